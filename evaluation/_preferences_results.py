"""Results of the preference analyses: frozen dataclasses with their JSON and Markdown forms."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ._format import format_number, format_p_value
from ._results import Estimate
from ._text import escape_markdown, markdown_cell

__all__ = ["LENGTH_ADJUSTED_LABEL", "ModelRating", "PositionBias", "PreferenceComparison", "PreferenceRatings",
           "length_adjusted_sentence"]

LENGTH_ADJUSTED_LABEL = ("length-adjusted win rate (logistic regression on the standardised length difference; an "
                         "adjustment, not a measurement)")
"""How every face labels :attr:`PreferenceComparison.length_adjusted`."""

_POSITION_NOTE = (
    "position bias: a judge that favours the model shown first (or second) flips its verdict when the order is "
    "swapped; over both orders such flips cancel like ties, pulling the win rate towards 0.5 and inflating ties")


@dataclass(frozen=True)
class PositionBias:
    """How verdicts change when the same id is judged with the two models in both orders.

    Attributes
    ----------
    pairs:
        Pairs of judgments of the same id, models and judge, one in each order (an id judged
        several times in an order gives every combination).
    flips:
        Pairs whose verdict (which model won, or a tie) differs between the orders.
    flip_rate:
        ``flips / pairs``; NaN without pairs.
    favours_first, favours_second:
        Flipped pairs where the model shown first (second) won in both orders.
    judgments_with_position:
        Judgments whose position is known.
    first_shown_score:
        Share of those judgments won by the model shown first, a tie counting half (0.5 means no
        preference for a slot when the orders are balanced); NaN without any.
    note:
        What position bias does to the results.
    """

    pairs: int
    flips: int
    flip_rate: float
    favours_first: int
    favours_second: int
    judgments_with_position: int
    first_shown_score: float
    note: str = _POSITION_NOTE


@dataclass(frozen=True)
class PreferenceComparison:
    """Two models compared by a judge: the candidate's wins, losses and ties against the baseline.

    Attributes
    ----------
    source:
        The judgments file.
    baseline, candidate:
        The two models.
    n_judgments, n_ids:
        Judgments, and distinct ids (the bootstrap's units).
    wins, losses, ties:
        Judgments the candidate won, lost (the baseline won) and tied.
    win_rate:
        The candidate's win rate, a tie counting half: ``(wins + ties / 2) / n_judgments``, with its
        paired percentile-bootstrap interval over ids (``method`` says so).
    decisive_win_rate:
        ``wins / (wins + losses)``, the share the sign test is about; NaN without decisive judgments.
    p_value:
        Two-sided exact sign test of ``wins`` against ``losses`` (ties dropped): the binomial test of
        ``wins`` in ``wins + losses`` at 0.5; NaN without decisive judgments.
    test:
        The test's name.
    confidence, resamples, seed:
        The interval's level, the bootstrap resamples and the seed of their draws.
    judges:
        Distinct judges (0 without a ``judge`` column).
    position_bias:
        Present when a ``position`` column says which model was shown first.
    notes:
        Plain-language caveats.
    length_adjusted:
        The :data:`LENGTH_ADJUSTED_LABEL`: the candidate's score (win 1, tie 1/2, loss 0) regressed
        by a logistic regression on each judgment's output-length difference (candidate minus
        baseline, in words) over its standard deviation, predicted at no difference
        (``1 / (1 + exp(-intercept))``), with the paired percentile-bootstrap interval over ids.
        ``None`` without lengths, when the difference does not vary, or when the fit has no finite
        maximum (:attr:`length_note` says which).
    length_slope:
        The fit's slope: the change in the log-odds of a candidate win per standard deviation of the
        length difference (positive: longer outputs win more); NaN without the adjustment.
    length_sd:
        The standard deviation of the length difference, in words (the slope's unit); NaN when undefined.
    length_note:
        Why there is no adjusted rate, or how to read it.
    """

    source: str
    baseline: str
    candidate: str
    n_judgments: int
    n_ids: int
    wins: int
    losses: int
    ties: int
    win_rate: Estimate
    decisive_win_rate: float
    p_value: float
    test: str
    confidence: float
    resamples: int
    seed: int
    judges: int = 0
    position_bias: PositionBias | None = None
    notes: tuple[str, ...] = ()
    length_adjusted: Estimate | None = None
    length_slope: float = math.nan
    length_sd: float = math.nan
    length_note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dicts (NaN becomes ``None``), with ``kind: "pairwise"``."""
        return {"kind": "pairwise", **_clean(self)}

    def to_markdown(self) -> str:
        """A short Markdown report."""
        return _comparison_markdown(self)


@dataclass(frozen=True)
class ModelRating:
    """One model's Bradley-Terry rating on the Elo-like scale, and its record.

    Attributes
    ----------
    model:
        The model's name.
    rating:
        ``ANCHOR_RATING + SCALE * log10(odds)`` against the anchor: a model ``SCALE`` points above
        another is expected to win 10 judgments to 1 (ties count half).
    ci_low, ci_high:
        Percentile-bootstrap interval over ids; the anchor's is its rating (ratings are relative to it).
    judgments, wins, losses, ties:
        The model's record over every judgment it took part in.
    """

    model: str
    rating: float
    ci_low: float
    ci_high: float
    judgments: int
    wins: int
    losses: int
    ties: int


@dataclass(frozen=True)
class PreferenceRatings:
    """Bradley-Terry ratings of two or more models from pairwise judgments, and their pairwise win rates.

    Attributes
    ----------
    source:
        The judgments file.
    n_judgments, n_ids:
        Judgments, and distinct ids (the bootstrap's units).
    anchor:
        The model whose rating is fixed at ``anchor_rating``.
    anchor_rating, scale:
        The anchor's rating and the points per factor of ten in the odds.
    ratings:
        Every model, highest rating first.
    models:
        The order of the rows and columns of the matrices (the ratings' order).
    win_rates:
        ``win_rates[i][j]``: share of the judgments between ``models[i]`` and ``models[j]`` won by
        ``models[i]``, a tie counting half; NaN where the two never met and on the diagonal.
    battles:
        ``battles[i][j]``: judgments between ``models[i]`` and ``models[j]``.
    method:
        How the ratings and intervals were computed.
    confidence, resamples, seed:
        The intervals' level, the bootstrap resamples and the seed of their draws.
    unidentified_resamples:
        Resamples left out of the intervals because some model won (or lost) all its judgments in
        them, which makes its rating infinite.
    judges:
        Distinct judges (0 without a ``judge`` column).
    position_bias:
        Present when a ``position`` column says which model was shown first.
    notes:
        Plain-language caveats.
    """

    source: str
    n_judgments: int
    n_ids: int
    anchor: str
    anchor_rating: float
    scale: float
    ratings: tuple[ModelRating, ...]
    models: tuple[str, ...]
    win_rates: tuple[tuple[float, ...], ...]
    battles: tuple[tuple[int, ...], ...]
    method: str
    confidence: float
    resamples: int
    seed: int
    unidentified_resamples: int = 0
    judges: int = 0
    position_bias: PositionBias | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dicts (NaN becomes ``None``), with ``kind: "bradley_terry"``."""
        return {"kind": "bradley_terry", **_clean(self)}

    def to_markdown(self) -> str:
        """A short Markdown report."""
        return _ratings_markdown(self)


def _clean(value: Any) -> Any:
    """A result as JSON-safe values: NaN becomes ``None``, tuples lists, dataclasses dicts."""
    from ._report import _clean as clean

    return clean(value)


def _position_lines(bias: PositionBias | None) -> list[str]:
    if bias is None:
        return []
    lines = ["", "## Position bias", "",
             f"{bias.judgments_with_position:,} judgments with a known position; the model shown first scored "
             f"{format_number(bias.first_shown_score)} (ties half)."]
    if bias.pairs:
        lines.append(f"Pairs judged in both orders: {bias.pairs:,}; the verdict flipped with the order in {bias.flips:,} "
                     f"(flip rate {format_number(bias.flip_rate)}): {bias.favours_first:,} for the model shown first "
                     f"both times, {bias.favours_second:,} for the one shown second.")
    else:
        lines.append("No id was judged in both orders, so no flips can be counted.")
    return [*lines, "", f"Note: {bias.note}."]


def _comparison_markdown(result: PreferenceComparison) -> str:
    level = round(result.confidence * 100)
    rate = result.win_rate
    lines = [f"# Pairwise preferences: {escape_markdown(result.candidate)} vs {escape_markdown(result.baseline)}", "",
             f"{result.n_judgments:,} judgments of {result.n_ids:,} ids from {escape_markdown(result.source)} · "
             f"{level}% intervals · {result.resamples:,} resamples · seed {result.seed}", "",
             "| wins | losses | ties | win rate (ties half) | interval | wins / decisive | sign test p |",
             "|---:|---:|---:|---:|---|---:|---:|",
             f"| {result.wins:,} | {result.losses:,} | {result.ties:,} | {format_number(rate.value)} | "
             f"[{format_number(rate.ci_low)}, {format_number(rate.ci_high)}] | {format_number(result.decisive_win_rate)} | "
             f"{format_p_value(result.p_value)} |", "",
             f"Wins and losses are the candidate's. Interval: {rate.method}. Test: {result.test}.", "",
             length_adjusted_sentence(result)]
    lines += _position_lines(result.position_bias)
    lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def length_adjusted_sentence(result: PreferenceComparison, *, markup: bool = True) -> str:
    """One sentence on the length-adjusted win rate: its value, interval and slope, or why there is none."""
    adjusted = result.length_adjusted
    label = LENGTH_ADJUSTED_LABEL[0].upper() + LENGTH_ADJUSTED_LABEL[1:]
    if adjusted is None:
        return f"{label}: none; {escape_markdown(result.length_note) if markup else result.length_note}."
    level = round(result.confidence * 100)
    direction = "longer" if result.length_slope > 0 else "shorter"
    return (f"{label}: {format_number(adjusted.value)} ({level}% CI {format_number(adjusted.ci_low)} to "
            f"{format_number(adjusted.ci_high)}, paired bootstrap over ids), beside the measured "
            f"{format_number(result.win_rate.value)}; slope {format_number(result.length_slope, signed=True)} log-odds per "
            f"standard deviation of the length difference ({format_number(result.length_sd, digits=1)} words): "
            f"{direction} outputs won more often.")


def _ratings_markdown(result: PreferenceRatings) -> str:
    level = round(result.confidence * 100)
    lines = ["# Pairwise preferences: Bradley-Terry ratings", "",
             f"{result.n_judgments:,} judgments of {result.n_ids:,} ids from {escape_markdown(result.source)} · "
             f"{len(result.ratings)} models · {level}% intervals · {result.resamples:,} resamples · seed {result.seed}", "",
             f"Ratings on the Elo scale ({result.scale:g} points per factor of ten in the odds), anchored at "
             f"**{escape_markdown(result.anchor)}** = {result.anchor_rating:g}. {result.method}.", "",
             "| model | rating | interval | judgments | wins | losses | ties |", "|---|---:|---|---:|---:|---:|---:|"]
    for r in result.ratings:
        lines.append(f"| {markdown_cell(r.model)} | {r.rating:.1f} | [{r.ci_low:.1f}, {r.ci_high:.1f}] | {r.judgments:,} | "
                     f"{r.wins:,} | {r.losses:,} | {r.ties:,} |")
    lines += ["", "## Pairwise win rates (row against column, ties half)", "",
              "| | " + " | ".join(markdown_cell(m) for m in result.models) + " |",
              "|---|" + "---:|" * len(result.models)]
    for model, row, met in zip(result.models, result.win_rates, result.battles, strict=True):
        cells = ["" if n == 0 else f"{format_number(v)} ({n:,})" for v, n in zip(row, met, strict=True)]
        lines.append(f"| {markdown_cell(model)} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("In parentheses: the number of judgments between the two.")
    lines += _position_lines(result.position_bias)
    lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"
