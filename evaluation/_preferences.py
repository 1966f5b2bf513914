"""Pairwise preference judgments: two models' win rate and sign test, or Bradley-Terry ratings of many.

A judgments file (any format :func:`evaluation._io.read_table` reads) has one row per judgment: ``id``,
``winner`` (a model's name or ``tie``), the two models compared (columns ``model_a`` and ``model_b``,
or the ``baseline`` and ``candidate`` named by the caller), and optionally ``judge`` and ``position``
(the model shown first). :func:`read_judgments` checks it once and returns trusted
:class:`Judgments`; :func:`compare_preferences` (two models) and :func:`rate_models` (two or more)
only compute. Resampling is by ``id``: every judgment of an id (both orders, several judges) is drawn
together, so with one judgment per id it is the plain bootstrap over judgments. See
``docs/preferences.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._errors import EvaluationError, format_examples, format_names, quote
from ._format import format_number, format_p_value
from ._io import Source, read_table, source_name
from ._limits import Limits
from ._resampling import draw_counts, percentile_interval
from ._results import Estimate
from ._text import escape_markdown, markdown_cell

__all__ = ["ANCHOR_RATING", "SCALE", "Judgments", "ModelRating", "PositionBias", "PreferenceComparison",
           "PreferenceRatings", "bradley_terry", "compare_preferences", "position_bias", "rate_models",
           "read_judgments"]

SCALE = 400.0
"""Elo points per factor of ten in the odds: a model ``SCALE`` points above another wins 10 to 1."""
ANCHOR_RATING = 1000.0
"""The anchor model's rating; every other rating and interval is relative to it."""

_TIES = ("tie", "tie (bothbad)")  # Chatbot Arena writes a tie where both answers are bad as "tie (bothbad)"
_LEFT_ALIASES = ("model_a", "a")
_RIGHT_ALIASES = ("model_b", "b")
_BATCH_ELEMENTS = 1 << 22  # resampled counts drawn at once (resamples x cells)
_NEWTON_STEPS = 200
_POSITION_NOTE = (
    "position bias: a judge that favours the model shown first (or second) flips its verdict when the order is "
    "swapped; over both orders such flips cancel like ties, pulling the win rate towards 0.5 and inflating ties")


@dataclass(frozen=True, eq=False)
class Judgments:
    """Checked judgments, one entry per row, ready to compute on (built by :func:`read_judgments`).

    Attributes
    ----------
    source:
        The file's name, for messages and reports.
    models:
        Model names; ``(baseline, candidate)`` for two named models, else sorted.
    left, right:
        Codes (indices into :attr:`models`) of the two models of each judgment; for two named models
        ``left`` is always the baseline.
    left_score:
        1 when ``left`` won, 0 when ``right`` won, 0.5 for a tie.
    unit:
        Code of each judgment's ``id``: the resampling unit.
    first_shown:
        1 when ``left`` was shown first, 0 when ``right`` was, -1 when unknown; ``None`` without a
        ``position`` column.
    judge:
        Code of each judgment's judge; ``None`` without a ``judge`` column.
    baseline, candidate:
        The two models' names when given by the caller; ``None`` for a tournament.
    """

    source: str
    models: tuple[str, ...]
    left: np.ndarray
    right: np.ndarray
    left_score: np.ndarray
    unit: np.ndarray
    first_shown: np.ndarray | None = None
    judge: np.ndarray | None = None
    baseline: str | None = None
    candidate: str | None = None

    @property
    def n_units(self) -> int:
        """Distinct ids."""
        return int(self.unit.max()) + 1 if self.unit.size else 0


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


# ---------------------------------------------------------------------------------------------------- reading


def read_judgments(source: Source, *, baseline: str | None = None, candidate: str | None = None,
                   filename: str | None = None, limits: Limits | None = None) -> Judgments:
    """Read and check a judgments file.

    Parameters
    ----------
    source:
        A path, raw bytes or a ``(filename, bytes)`` pair (CSV, TSV, JSON Lines or Parquet, maybe gzipped).
    baseline, candidate:
        The two models' names, both or neither. Without columns ``model_a``/``model_b`` every row
        compares these two and ``winner`` is one of the names, ``baseline``, ``candidate`` or ``tie``;
        with the columns every row must compare these two. ``baseline`` alone, with the columns,
        names the anchor of the ratings.
    filename, limits:
        As for :func:`evaluation._io.read_table`.

    Returns
    -------
    Judgments

    Raises
    ------
    EvaluationError
        A missing column, an empty value, a winner or position that is not one of its row's models,
        a model compared with itself, a model named ``tie``; the message names the file, the column
        and the rows (row 1 is the first data row).

    Examples
    --------
    >>> data = read_judgments(("j.csv", b"id,winner\\n1,new\\n2,tie\\n"), baseline="old", candidate="new")
    >>> data.left_score.tolist()
    [0.0, 0.5]
    """
    name = filename or source_name(source)
    if candidate is not None and baseline is None:
        raise EvaluationError(f"{name}: --candidate needs --baseline: name both models compared, or neither",
                              file=name)
    wanted = {"id", "winner", "model_a", "model_b", "judge", "position"}
    table = read_table(source, filename=name, limits=limits,
                       text_columns=lambda columns: [c for c in columns if c in wanted])
    columns = set(table.column_names)
    has_models = {"model_a", "model_b"} <= columns
    required = ["id", "winner"] + ([] if candidate is not None else ["model_a", "model_b"])
    missing = [c for c in required if c not in columns]
    if missing:
        how = ("expected columns id and winner, and model_a and model_b unless --baseline and --candidate name the "
               "two models")
        raise EvaluationError(f"{name}: no column {', '.join(repr(c) for c in missing)}; {how} (found: "
                              f"{format_names(table.column_names)})", file=name, column=missing[0])
    text = {c: _text(table, c, name, required=c in ("id", "winner") or (has_models and c in ("model_a", "model_b")))
            for c in wanted & columns}
    rows = table.num_rows
    if has_models:
        left, right = text["model_a"], text["model_b"]
    else:
        assert baseline is not None and candidate is not None
        left, right = np.full(rows, baseline, dtype=object), np.full(rows, candidate, dtype=object)
    _check_names(name, left, right, baseline, candidate, has_models)
    winner = _resolve(name, "winner", text["winner"], left, right, baseline, candidate, has_models)
    left_score = np.where(winner == left, 1.0, np.where(winner == right, 0.0, 0.5))
    first_shown = None
    if "position" in text:
        shown = _resolve(name, "position", text["position"], left, right, baseline, candidate, has_models)
        first_shown = np.where(shown == left, 1, np.where(shown == right, 0, -1)).astype(np.int8)
    judge = pd.factorize(text["judge"], use_na_sentinel=False)[0] if "judge" in text else None
    unit = pd.factorize(text["id"])[0]
    if candidate is not None:
        assert baseline is not None
        models: tuple[str, ...] = (baseline, candidate)
        swap = left == candidate  # orient every judgment baseline (left) against candidate (right)
        left_score = np.where(swap, 1.0 - left_score, left_score)
        if first_shown is not None:
            first_shown = np.where(swap & (first_shown >= 0), 1 - first_shown, first_shown).astype(np.int8)
        left_codes, right_codes = np.zeros(rows, dtype=np.intp), np.ones(rows, dtype=np.intp)
    else:
        models = tuple(sorted(set(left.tolist()) | set(right.tolist())))
        codes = {model: index for index, model in enumerate(models)}
        left_codes = np.fromiter((codes[m] for m in left), dtype=np.intp, count=rows)
        right_codes = np.fromiter((codes[m] for m in right), dtype=np.intp, count=rows)
        if baseline is not None and baseline not in codes:
            raise EvaluationError(f"{name}: --baseline {quote(baseline)} names no model of the file; it anchors the "
                                  f"ratings, so it must be one of {format_names(models)}", file=name)
    return Judgments(source=name, models=models, left=left_codes, right=right_codes, left_score=left_score,
                     unit=unit.astype(np.intp), first_shown=first_shown, judge=judge, baseline=baseline,
                     candidate=candidate)


def _rows(mask: np.ndarray) -> str:
    """``rows 3, 9, ... (12 in all)`` for a mask over the rows (row 1 is the first data row)."""
    numbers = (np.flatnonzero(mask) + 1).tolist()
    shown = ", ".join(f"{n:,}" for n in numbers[:5]) + (f", ... ({len(numbers):,} in all)" if len(numbers) > 5 else "")
    return f"row{'s' if len(numbers) > 1 else ''} {shown}"


def _text(table: pa.Table, column: str, name: str, *, required: bool) -> np.ndarray:
    """A column as an object array of stripped strings (``None`` where empty); a required column may not be empty."""
    values = table.column(column)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        try:
            values = values.cast(pa.string())
        except (pa.ArrowException, ValueError):
            raise EvaluationError(f"{name}: column {column!r} holds {values.type}; expected text (model names, ids)",
                                  file=name, column=column) from None
    stripped = pc.utf8_trim_whitespace(values)
    array = np.asarray(pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
                       .to_numpy(zero_copy_only=False), dtype=object)
    empty = pd.isna(array)
    if required and empty.any():
        raise EvaluationError(f"{name}: column {column!r} is empty in {_rows(empty)}; every judgment needs one",
                              file=name, column=column)
    return array


def _check_names(name: str, left: np.ndarray, right: np.ndarray, baseline: str | None, candidate: str | None,
                 has_models: bool) -> None:
    """Refuse a model compared with itself, a model named like a tie, and rows comparing other models than those named."""
    if candidate is not None and baseline == candidate:
        raise EvaluationError(f"{name}: --baseline and --candidate are both {quote(baseline)}; name two different models",
                              file=name)
    for option, model in (("--baseline", baseline), ("--candidate", candidate)):
        if model is not None and model.lower() in _TIES:
            raise EvaluationError(f"{name}: {option} {quote(model)} reads as a tie; rename the model", file=name)
    if not has_models:
        return
    for column, models in (("model_a", left), ("model_b", right)):
        tie = np.isin(pd.Series(models).str.lower().to_numpy(), _TIES)
        if tie.any():
            raise EvaluationError(f"{name}: column {column!r}, {_rows(tie)}: a model named {quote(models[tie][0])} "
                                  "cannot be told from a tie in the winner column; rename it", file=name, column=column)
    same = left == right
    if same.any():
        raise EvaluationError(f"{name}: columns 'model_a' and 'model_b', {_rows(same)}: a model compared with itself "
                              f"({quote(left[same][0])}); expected two different models", file=name, column="model_b")
    if candidate is not None:
        pair = ((left == baseline) & (right == candidate)) | ((left == candidate) & (right == baseline))
        if not pair.all():
            found = sorted({f"{a} vs {b}" for a, b in zip(left[~pair][:100], right[~pair][:100], strict=True)})
            raise EvaluationError(
                f"{name}: columns 'model_a' and 'model_b', {_rows(~pair)}: compare {format_examples(found)}, not "
                f"{quote(baseline)} and {quote(candidate)} (--baseline, --candidate); drop --baseline and --candidate "
                "to rate every model", file=name, column="model_a")


def _resolve(name: str, column: str, values: np.ndarray, left: np.ndarray, right: np.ndarray, baseline: str | None,
             candidate: str | None, has_models: bool) -> np.ndarray:
    """Each row's value as the name of one of its two models, or ``None`` (a tie, or a position not given)."""
    lower = pd.Series(values, dtype=object).str.lower().to_numpy()
    resolved = np.full(values.shape, None, dtype=object)
    aliases: list[tuple[tuple[str, ...], np.ndarray]] = [(_LEFT_ALIASES, left), (_RIGHT_ALIASES, right)] if has_models else []
    if candidate is not None:
        aliases += [(("baseline",), np.full(values.shape, baseline, dtype=object)),
                    (("candidate",), np.full(values.shape, candidate, dtype=object))]
    for words, models in aliases:
        chosen = np.isin(lower, words)
        resolved[chosen] = models[chosen]
    named = (values == left) | (values == right)  # a model's own name comes before any alias
    resolved[named] = values[named]
    known = pd.notna(resolved)
    if column == "winner":
        known |= np.isin(lower, _TIES)
    else:
        known |= pd.isna(values)  # an unknown position is allowed: the row is left out of the position bias
    if not known.all():
        expected = ["the row's model_a or model_b name" if has_models else f"{quote(baseline)} or {quote(candidate)}"]
        expected += ["model_a, model_b, a, b"] if has_models else []
        expected += ["baseline, candidate"] if candidate is not None else []
        expected += ["tie" if column == "winner" else "empty when unknown"]
        raise EvaluationError(f"{name}: column {column!r}, {_rows(~known)}: {format_examples(values[~known].tolist())} "
                              f"is not one of the row's models; expected {', '.join(expected[:-1])} or {expected[-1]}",
                              file=name, column=column)
    return resolved


# ---------------------------------------------------------------------------------------------------- computing


def _iv(judgments: Judgments, confidence: float, resamples: int, seed: int) -> None:
    """Check the options shared by both analyses."""
    if not 0 < confidence < 1:
        raise EvaluationError(f"confidence must be between 0 and 1 (for example 0.95), got {confidence}")
    if resamples < 1:
        raise EvaluationError(f"resamples must be a positive number (1000 by default), got {resamples}")
    if seed < 0:
        raise EvaluationError(f"seed must be a whole number, zero or more (0 by default), got {seed}")
    if judgments.left.size == 0:
        raise EvaluationError(f"{judgments.source}: no judgments")


def _cells(judgments: Judgments, pair: np.ndarray, score: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids compressed to cells: each cell's totals (judgments per pair, then score per pair) and its count of ids.

    An id with one judgment is keyed by that judgment's pair and score, so identical ones share a
    cell; an id judged more than once stays a cell of its own.
    """
    unit = judgments.unit
    single = np.bincount(unit, minlength=judgments.n_units)[unit] == 1
    key = pair * 3 + (score * 2).astype(np.intp)
    keys, cell = np.unique(np.where(single, key, 3 * p + unit), return_inverse=True)
    cell = cell.ravel()
    representative = np.zeros(keys.size, dtype=np.intp)
    representative[cell] = unit  # any one id of each cell
    keep = representative[cell] == unit
    totals = (np.bincount(cell[keep] * 2 * p + pair[keep], minlength=keys.size * 2 * p)
              + np.bincount(cell[keep] * 2 * p + p + pair[keep], score[keep], minlength=keys.size * 2 * p))
    unit_cell = np.zeros(judgments.n_units, dtype=np.intp)
    unit_cell[unit] = cell
    return totals.reshape(keys.size, 2 * p), np.bincount(unit_cell, minlength=keys.size)


def _resampled(counts: np.ndarray, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Resampled cell counts in chunks of fixed size (the draws depend on the seed alone)."""
    rng = np.random.default_rng(seed)
    size = max(1, min(resamples, _BATCH_ELEMENTS // max(1, counts.size)))
    for start in range(0, resamples, size):
        yield draw_counts(counts, min(size, resamples - start), rng)


def compare_preferences(judgments: Judgments, *, confidence: float = 0.95, resamples: int = 1000,
                        seed: int = 0) -> PreferenceComparison:
    """The candidate's wins, losses and ties against the baseline, its win rate with an interval, and the sign test.

    Parameters
    ----------
    judgments:
        From :func:`read_judgments` with ``baseline`` and ``candidate``.
    confidence, resamples, seed:
        Level of the percentile-bootstrap interval of the win rate, resamples of ids, seed of the draws.

    Returns
    -------
    PreferenceComparison

    Examples
    --------
    >>> data = read_judgments(("j.csv", b"id,winner\\n1,new\\n2,new\\n3,tie\\n4,old\\n"), baseline="old", candidate="new")
    >>> result = compare_preferences(data, resamples=100)
    >>> result.wins, result.losses, result.ties, result.win_rate.value
    (2, 1, 1, 0.625)
    """
    from scipy.stats import binomtest

    _iv(judgments, confidence, resamples, seed)
    if judgments.baseline is None or judgments.candidate is None:
        raise EvaluationError(f"{judgments.source}: comparing two models needs their names (baseline and candidate)")
    score = 1.0 - judgments.left_score  # the candidate's
    n = score.size
    wins, losses = int((score == 1).sum()), int((score == 0).sum())
    ties = n - wins - losses
    value = float(score.mean())
    # Cell totals of (judgments, candidate score); the win rate of a resample is their ratio.
    totals, counts = _cells(judgments, np.zeros(n, dtype=np.intp), score, 1)
    replicates = np.concatenate([(drawn @ totals[:, 1]) / (drawn @ totals[:, 0])
                                 for drawn in _resampled(counts, resamples, seed)])
    low, high = percentile_interval(replicates, confidence=confidence)
    decisive = wins + losses
    p_value = float(binomtest(wins, decisive, 0.5).pvalue) if decisive else math.nan
    notes = [] if decisive else ["every judgment is a tie: the sign test is undefined"]
    if judgments.n_units < n:
        notes.append(f"{n - judgments.n_units:,} judgments repeat an id: the interval resamples ids, but the sign test "
                     "treats every judgment as independent")
    return PreferenceComparison(
        source=judgments.source, baseline=judgments.baseline, candidate=judgments.candidate, n_judgments=n,
        n_ids=judgments.n_units, wins=wins, losses=losses, ties=ties,
        win_rate=Estimate(value, float(low), float(high), "paired bootstrap percentile over ids (ties count half)",
                          float(np.std(replicates, ddof=1)) if replicates.size > 1 else math.nan),
        decisive_win_rate=wins / decisive if decisive else math.nan, p_value=p_value,
        test="exact sign test (two-sided binomial of wins against losses at 0.5, ties dropped)",
        confidence=confidence, resamples=resamples, seed=seed, judges=_judges(judgments),
        position_bias=position_bias(judgments), notes=tuple(notes))


def _judges(judgments: Judgments) -> int:
    return 0 if judgments.judge is None else int(judgments.judge.max()) + 1


def _pairs(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Both models of every unordered pair ``i < j``, in a fixed order."""
    i, j = np.triu_indices(k, 1)
    return i.astype(np.intp), j.astype(np.intp)


def _pair_codes(left: np.ndarray, right: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each judgment's pair index and whether ``left`` is the pair's first model."""
    low, high = np.minimum(left, right), np.maximum(left, right)
    index = low * k - low * (low + 1) // 2 + (high - low - 1)  # position of (low, high) in np.triu_indices(k, 1)
    return index, left < right


def _identifiable(battles: np.ndarray, scores: np.ndarray, first: np.ndarray, second: np.ndarray, k: int) -> bool:
    """Whether the maximum-likelihood ratings are finite: every split of the models has wins both ways (Zermelo, Ford)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    beats = np.concatenate([first[scores > 0], second[battles - scores > 0]])
    beaten = np.concatenate([second[scores > 0], first[battles - scores > 0]])
    graph = coo_matrix((np.ones(beats.size), (beats, beaten)), shape=(k, k))
    return bool(connected_components(graph, directed=True, connection="strong")[0] == 1)


def bradley_terry(battles: np.ndarray, scores: np.ndarray, *, k: int, anchor: int = 0) -> np.ndarray | None:
    """Maximum-likelihood Bradley-Terry strengths (natural log-odds) from totals per pair, by Newton's method.

    Parameters
    ----------
    battles, scores:
        For every unordered pair ``(i, j)``, ``i < j``, in the order of ``np.triu_indices(k, 1)``: the
        judgments between them and ``i``'s score in them (a win 1, a tie 0.5). Weights need not be whole.
    k:
        Number of models.
    anchor:
        The model whose strength is fixed at 0.

    Returns
    -------
    numpy.ndarray or None
        ``theta`` with ``P(i beats j) = 1 / (1 + exp(theta[j] - theta[i]))`` maximising the likelihood;
        ``None`` when the maximum is not finite (some group of models never lost, or never won, to the rest).

    Examples
    --------
    >>> bradley_terry(np.array([4.0]), np.array([3.0]), k=2).round(4).tolist()  # model 0 won 3 of 4: odds 3 to 1
    [0.0, -1.0986]
    """
    first, second = _pairs(k)
    if not _identifiable(battles, scores, first, second, k):
        return None
    free = np.arange(k) != anchor
    theta = np.zeros(k)

    def log_likelihood(t: np.ndarray) -> float:
        d = t[first] - t[second]
        return float(-(scores * np.logaddexp(0, -d) + (battles - scores) * np.logaddexp(0, d)).sum())

    current = log_likelihood(theta)
    for _ in range(_NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(theta[second] - theta[first]))
        residual = scores - battles * p
        gradient = np.bincount(first, residual, minlength=k) - np.bincount(second, residual, minlength=k)
        weight = battles * p * (1 - p)
        information = np.zeros((k, k))  # the negative Hessian: a weighted graph Laplacian
        np.add.at(information, (first, second), -weight)
        np.add.at(information, (second, first), -weight)
        information[np.diag_indices(k)] = -information.sum(axis=1)
        step = np.zeros(k)
        step[free] = np.linalg.solve(information[np.ix_(free, free)], gradient[free])
        length = 1.0
        while True:  # halve the step until the likelihood does not fall (Newton's full step nearly always)
            trial = theta + length * step
            value = log_likelihood(trial)
            if value >= current - 1e-12 * abs(current) or length < 1e-8:
                break
            length /= 2
        theta, current = trial, value
        if np.max(np.abs(length * step)) < 1e-10:
            break
    return theta


def rate_models(judgments: Judgments, *, confidence: float = 0.95, resamples: int = 1000, seed: int = 0) -> PreferenceRatings:
    """Bradley-Terry ratings on the Elo-like scale, with bootstrap intervals, and the pairwise win rates.

    The anchor is ``judgments.baseline`` when given, else the first model in name order; it is rated
    :data:`ANCHOR_RATING`. Ties count as half a win for each model (as Chatbot Arena's
    ``compute_mle_elo``).

    Parameters
    ----------
    judgments:
        From :func:`read_judgments`.
    confidence, resamples, seed:
        Level of the percentile-bootstrap intervals, resamples of ids, seed of the draws.

    Returns
    -------
    PreferenceRatings

    Raises
    ------
    EvaluationError
        When the ratings are not finite: some group of models won (or lost) every judgment against the rest.

    Examples
    --------
    >>> rows = b"id,model_a,model_b,winner\\n1,x,y,x\\n2,x,y,y\\n3,x,y,x\\n4,y,z,y\\n5,y,z,z\\n"
    >>> result = rate_models(read_judgments(("j.csv", rows)), resamples=50)
    >>> [(r.model, round(r.rating)) for r in result.ratings]
    [('x', 1000), ('y', 880), ('z', 880)]
    """
    _iv(judgments, confidence, resamples, seed)
    models, k = judgments.models, len(judgments.models)
    anchor = models.index(judgments.baseline) if judgments.baseline in models else 0
    pair, left_first = _pair_codes(judgments.left, judgments.right, k)
    first_score = np.where(left_first, judgments.left_score, 1.0 - judgments.left_score)
    p = k * (k - 1) // 2
    battles = np.bincount(pair, minlength=p).astype(float)
    scores = np.bincount(pair, first_score, minlength=p)
    theta = bradley_terry(battles, scores, k=k, anchor=anchor)
    if theta is None:
        raise EvaluationError(f"{judgments.source}: the ratings are infinite: {_unbeaten(battles, scores, models)}; "
                              "Bradley-Terry needs every group of models to have won and lost against the rest")
    n = pair.size
    totals, counts = _cells(judgments, pair, first_score, p)
    replicates, unidentified = [], 0
    for drawn in _resampled(counts, resamples, seed):
        for row in drawn @ totals:
            fitted = bradley_terry(row[:p], row[p:], k=k, anchor=anchor)
            unidentified += fitted is None
            replicates.append(np.full(k, np.nan) if fitted is None else fitted)
    to_rating = SCALE / math.log(10)
    low, high = percentile_interval(np.array(replicates) * to_rating + ANCHOR_RATING, confidence=confidence)
    ratings = theta * to_rating + ANCHOR_RATING
    order = sorted(range(k), key=lambda m: (-ratings[m], models[m]))
    first, second = _pairs(k)
    records = []
    for m in order:
        involved = (judgments.left == m) | (judgments.right == m)
        own = np.where(judgments.left == m, judgments.left_score, 1.0 - judgments.left_score)[involved]
        records.append(ModelRating(models[m], float(ratings[m]), float(low[m]), float(high[m]), int(involved.sum()),
                                   int((own == 1).sum()), int((own == 0).sum()), int((own == 0.5).sum())))
    rank = {m: position for position, m in enumerate(order)}
    won, met = np.zeros((k, k)), np.zeros((k, k))
    for a, b, total, score in zip(first, second, battles, scores, strict=True):
        met[rank[a], rank[b]] = met[rank[b], rank[a]] = total
        won[rank[a], rank[b]], won[rank[b], rank[a]] = score, total - score
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(met > 0, won / met, np.nan)
    notes = []
    if unidentified:
        notes.append(f"{unidentified:,} of {resamples:,} resamples left out of the intervals: in them some model won or "
                     "lost every judgment, so its rating was infinite")
    return PreferenceRatings(
        source=judgments.source, n_judgments=n, n_ids=judgments.n_units, anchor=models[anchor],
        anchor_rating=ANCHOR_RATING, scale=SCALE, ratings=tuple(records), models=tuple(models[m] for m in order),
        win_rates=tuple(tuple(float(v) for v in row) for row in rates),
        battles=tuple(tuple(int(v) for v in row) for row in met),
        method="Bradley-Terry maximum likelihood (ties count half a win each), Newton's method; percentile bootstrap "
               "over ids",
        confidence=confidence, resamples=resamples, seed=seed, unidentified_resamples=unidentified,
        judges=_judges(judgments), position_bias=position_bias(judgments), notes=tuple(notes))


def _unbeaten(battles: np.ndarray, scores: np.ndarray, models: tuple[str, ...]) -> str:
    """Which models make the ratings infinite, in words."""
    first, second = _pairs(len(models))
    k = len(models)
    lost = np.bincount(first, battles - scores, minlength=k) + np.bincount(second, scores, minlength=k)
    won = np.bincount(first, scores, minlength=k) + np.bincount(second, battles - scores, minlength=k)
    never_lost = [models[m] for m in range(k) if lost[m] == 0]
    never_won = [models[m] for m in range(k) if won[m] == 0]
    if never_lost:
        return f"{format_names(never_lost)} never lost"
    if never_won:
        return f"{format_names(never_won)} never won"
    return "the models split into groups where one group won every judgment against the other"


def position_bias(judgments: Judgments) -> PositionBias | None:
    """How often the verdict on an id changes when the two models are shown in the other order.

    Returns ``None`` without a ``position`` column. See :class:`PositionBias`.

    Examples
    --------
    >>> rows = b"id,winner,position\\n1,new,new\\n1,old,old\\n2,new,new\\n2,new,old\\n"
    >>> bias = position_bias(read_judgments(("j.csv", rows), baseline="old", candidate="new"))
    >>> bias.pairs, bias.flips, bias.favours_first
    (2, 1, 1)
    """
    if judgments.first_shown is None:
        return None
    known = judgments.first_shown >= 0
    left, right = judgments.left[known], judgments.right[known]
    k = len(judgments.models)
    # Orient each judgment on the lower-coded model of its pair: which was shown first, and its score.
    low_first = np.where(left < right, judgments.first_shown[known], 1 - judgments.first_shown[known])
    low_score = np.where(left < right, judgments.left_score[known], 1.0 - judgments.left_score[known])
    verdict = (low_score * 2).astype(np.intp)  # 0 the other won, 1 tie, 2 the lower-coded won
    judge = np.zeros(left.size, dtype=np.intp) if judgments.judge is None else judgments.judge[known]
    group_key = np.stack([judgments.unit[known], judge, np.minimum(left, right) * k + np.maximum(left, right)], axis=1)
    groups = np.unique(group_key, axis=0, return_inverse=True)[1].ravel() if left.size else np.zeros(0, dtype=np.intp)
    g = int(groups.max()) + 1 if groups.size else 0
    table = np.bincount(groups * 6 + low_first * 3 + verdict, minlength=g * 6).reshape(g, 2, 3)
    shown_second, shown_first = table[:, 0, :], table[:, 1, :]
    pairs = int((shown_first.sum(axis=1) * shown_second.sum(axis=1)).sum())
    same = int((shown_first * shown_second).sum())
    # Shown first and won (verdict 2 with low first), matched with the other order where the other model, first, won.
    favours_first = int((shown_first[:, 2] * shown_second[:, 0]).sum())
    favours_second = int((shown_first[:, 0] * shown_second[:, 2]).sum())
    first_score = np.where(low_first == 1, low_score, 1.0 - low_score)
    return PositionBias(pairs=pairs, flips=pairs - same, flip_rate=(pairs - same) / pairs if pairs else math.nan,
                        favours_first=favours_first, favours_second=favours_second,
                        judgments_with_position=int(known.sum()),
                        first_shown_score=float(first_score.mean()) if first_score.size else math.nan)


# ---------------------------------------------------------------------------------------------------- output


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
             f"Wins and losses are the candidate's. Interval: {rate.method}. Test: {result.test}."]
    lines += _position_lines(result.position_bias)
    lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


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
