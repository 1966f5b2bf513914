"""The first screen of the Overview: a scorecard of the headline numbers and, with several candidates, a leaderboard.

Pure functions from the engine's report to small result objects (:func:`scorecard`,
:func:`leaderboard`) whose cells are the text the page shows, and to the HTML that shows them
(:func:`scorecard_html`, :func:`leaderboard_html`), so both are tested without Streamlit. Every
number is the engine's; only the choice of metrics and the formatting are here. Verdict colours and
glyphs come from :mod:`components.palette`; every user-supplied name is escaped.

In the examples, ``report`` is a small binary comparison of ``base`` and ``finetuned`` (``components/conftest.py``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import evaluation
from evaluation import (
    Comparison,
    ComparisonReport,
    Difference,
    Estimate,
    GenerationComparison,
    GenerationReport,
    RegressionComparison,
    RegressionReport,
)

from .palette import verdict_color, verdict_glyph

__all__ = [
    "Leaderboard",
    "LeaderboardRow",
    "Scorecard",
    "ScorecardCell",
    "ScorecardColumn",
    "ScorecardRow",
    "headline_metrics",
    "leaderboard",
    "leaderboard_html",
    "scorecard",
    "scorecard_html",
]

_CLASSIFICATION_EXTRAS: tuple[str, ...] = ("accuracy",)
_PROBABILITY_METRICS: tuple[str, ...] = ("roc_auc", "log_loss")  # the first every model has
_REGRESSION_EXTRAS: tuple[str, ...] = ("root_mean_squared_error", "mean_absolute_error", "r2")
_GENERATION_EXTRAS: tuple[str, ...] = ("chrf", "rougeL", "bleu", "ter")  # the first two not the primary
_GENERATION_COLUMNS = 3
AnyReport = ComparisonReport | RegressionReport | GenerationReport
AnyComparison = Comparison | RegressionComparison | GenerationComparison
_NAME_LIMIT = 40
_MUTED = "#595959"  # secondary text: 7:1 on white
_WORSE = "worse"  # a verdict (evaluation's Verdict is a StrEnum: equal to its text)


@dataclass(frozen=True)
class ScorecardColumn:
    """One metric of the scorecard.

    Attributes
    ----------
    metric:
        The metric's key (``"f1_macro"``).
    title:
        Its human-readable name (``"F1 (macro)"``).
    primary:
        Whether it is the report's primary metric (the verdict's).
    direction:
        ``"higher is better"`` or ``"lower is better"``.
    """

    metric: str
    title: str
    primary: bool
    direction: str


@dataclass(frozen=True)
class ScorecardCell:
    """One model's value of one metric and, for a candidate, its difference from the baseline.

    Attributes
    ----------
    value:
        The value, three decimals (``"0.923"``; ``"n/a"`` when undefined or not computed).
    interval:
        Its confidence interval (``"[0.905, 0.940]"``), empty when there is no value.
    difference, difference_interval:
        Candidate minus baseline with its interval, signed (``"+0.035"``, ``"[+0.014, +0.057]"``);
        empty for the baseline.
    verdict:
        :func:`evaluation.verdict_label` of the difference; empty for the baseline.
    color, glyph:
        The verdict's colour and glyph (:mod:`components.palette`); empty for the baseline.
    """

    value: str
    interval: str
    difference: str = ""
    difference_interval: str = ""
    verdict: str = ""
    color: str = ""
    glyph: str = ""


@dataclass(frozen=True)
class ScorecardRow:
    """One model: its name, its role and a cell per :class:`ScorecardColumn`."""

    model: str
    baseline: bool
    cells: tuple[ScorecardCell, ...]


@dataclass(frozen=True)
class Scorecard:
    """The headline numbers of every model, baseline first.

    Attributes
    ----------
    columns:
        The metrics, primary first.
    rows:
        One per model, baseline first, in the report's order.
    level:
        The intervals' confidence in percent (95).
    correction:
        The multiple-comparison correction the verdicts' p-values went through.
    """

    columns: tuple[ScorecardColumn, ...]
    rows: tuple[ScorecardRow, ...]
    level: int
    correction: str


@dataclass(frozen=True)
class LeaderboardRow:
    """One candidate against the baseline on the primary metric, with its count of significant regressions.

    Attributes
    ----------
    rank:
        1 for the candidate whose primary metric improved most (direction-aware); undefined differences last.
    candidate:
        The candidate's name.
    value, interval:
        Its primary metric with the interval (text as in :class:`ScorecardCell`).
    difference, difference_interval:
        Candidate minus baseline on the primary metric, signed, with its interval.
    verdict, color, glyph:
        :func:`evaluation.verdict_label` of that difference, its colour and glyph.
    worse_metrics:
        Headline metrics significantly worse than the baseline's.
    worse_classes:
        Classes with at least one per-class metric (precision, recall, F1) significantly worse;
        ``None`` for a regression comparison (no classes).
    worse_slices:
        Tested slices with at least one metric significantly worse.
    """

    rank: int
    candidate: str
    value: str
    interval: str
    difference: str
    difference_interval: str
    verdict: str
    color: str
    glyph: str
    worse_metrics: int
    worse_classes: int | None
    worse_slices: int


@dataclass(frozen=True)
class Leaderboard:
    """Every candidate against the baseline on the primary metric, best first.

    Attributes
    ----------
    metric, metric_title:
        The primary metric's key and title.
    baseline:
        The baseline's name.
    level:
        The intervals' confidence in percent.
    rows:
        One per candidate, best first.
    """

    metric: str
    metric_title: str
    baseline: str
    level: int
    rows: tuple[LeaderboardRow, ...]


def _number(value: float, *, signed: bool = False) -> str:
    return evaluation.format_number(value, signed=signed)


def _interval(low: float, high: float, *, signed: bool = False) -> str:
    return f"[{_number(low, signed=signed)}, {_number(high, signed=signed)}]"


def _is_regression(report: AnyReport) -> bool:
    return isinstance(report, RegressionReport)


def _is_generation(report: AnyReport) -> bool:
    return isinstance(report, GenerationReport)


def _comparisons(report: AnyReport) -> list[AnyComparison]:
    """The report's comparisons, typed for either task."""
    return list(report.comparisons)


def headline_metrics(report: AnyReport) -> tuple[str, ...]:
    """The scorecard's metrics: the primary metric, then the ones a stakeholder asks for first.

    Classification: the primary metric, accuracy, and the main probability metric (ROC AUC, else log
    loss) when every model has one. Regression: the primary metric, root mean squared error, mean
    absolute error and R². Generation: the primary metric and the next two of chrF, ROUGE-L, BLEU and
    TER. Each once, and only metrics every model has.

    Examples
    --------
    >>> headline_metrics(report)
    ('f1_macro', 'accuracy', 'roc_auc')
    """
    metrics: list[Mapping[str, Estimate]] = [model.metrics for _, model in report.models.items()]
    shared = [m for m in metrics[0] if all(m in values for values in metrics)] if metrics else []
    primary = report.settings.primary_metric
    extras = _REGRESSION_EXTRAS if _is_regression(report) else _GENERATION_EXTRAS if _is_generation(report) else (
        *_CLASSIFICATION_EXTRAS, *[m for m in _PROBABILITY_METRICS if m in shared][:1])
    chosen: list[str] = []
    for metric in (primary, *extras):
        if metric in shared and metric not in chosen:
            chosen.append(metric)
    return tuple(chosen[:_GENERATION_COLUMNS] if _is_generation(report) else chosen)


def _estimate_cell(estimate: Estimate | None) -> tuple[str, str]:
    if estimate is None or not math.isfinite(estimate.value):
        return "n/a", ""
    return _number(estimate.value), _interval(estimate.ci_low, estimate.ci_high)


def _cell(estimate: Estimate | None, difference: Difference | None) -> ScorecardCell:
    value, interval = _estimate_cell(estimate)
    if difference is None:
        return ScorecardCell(value, interval)
    return ScorecardCell(value, interval, _number(difference.difference, signed=True),
                         _interval(difference.ci_low, difference.ci_high, signed=True),
                         evaluation.verdict_label(difference), verdict_color(difference.verdict),
                         verdict_glyph(difference.verdict))


def scorecard(report: AnyReport, metrics: Sequence[str] | None = None) -> Scorecard:
    """Every model's headline metrics with intervals and every candidate's differences with verdicts.

    Parameters
    ----------
    report:
        The engine's report (classification, regression or generation).
    metrics:
        The metrics to show, left to right; by default :func:`headline_metrics`.

    Returns
    -------
    Scorecard
        A row per model (baseline first) and a column per metric; a candidate's cells carry the
        difference from the baseline, its interval and its verdict.

    Examples
    --------
    >>> card = scorecard(report)
    >>> [column.title for column in card.columns], [row.model for row in card.rows]
    (['F1 (macro)', 'Accuracy', 'ROC AUC'], ['base', 'finetuned'])
    """
    chosen = tuple(metrics) if metrics is not None else headline_metrics(report)
    primary = report.settings.primary_metric
    columns = tuple(ScorecardColumn(m, evaluation.metric_title(m), m == primary,
                                    "higher is better" if evaluation.higher_is_better(m) else "lower is better")
                    for m in chosen)
    comparisons: dict[str, AnyComparison] = {c.candidate: c for c in _comparisons(report)}
    rows = []
    for name, model in report.models.items():
        comparison = comparisons.get(name)
        cells = tuple(_cell(model.metrics.get(m), None if comparison is None else comparison.metrics.get(m))
                      for m in chosen)
        rows.append(ScorecardRow(name, name == report.baseline, cells))
    return Scorecard(columns, tuple(rows), round(report.settings.confidence * 100), report.settings.correction)


def _worse(difference: Difference) -> bool:
    return difference.verdict == _WORSE


def _sort_key(comparison: AnyComparison, primary: str) -> tuple[bool, float]:
    """Largest improvement first whatever the metric's direction; undefined last."""
    difference = comparison.metrics[primary].difference if primary in comparison.metrics else math.nan
    if not math.isfinite(difference):
        return True, 0.0
    return False, -difference if evaluation.higher_is_better(primary) else difference


def leaderboard(report: AnyReport) -> Leaderboard:
    """Every candidate against the baseline, best first on the primary metric, with its significant regressions.

    Parameters
    ----------
    report:
        The engine's report (classification or regression), with any number of candidates.

    Returns
    -------
    Leaderboard
        A row per candidate, ranked by the primary metric's difference from the baseline (the largest
        improvement first, whether higher or lower is better; ties keep the report's order).

    Examples
    --------
    >>> [(row.rank, row.candidate, row.verdict) for row in leaderboard(report).rows]
    [(1, 'finetuned', 'better')]
    """
    primary = report.settings.primary_metric
    ordered = sorted(_comparisons(report), key=lambda c: _sort_key(c, primary))
    rows = []
    for rank, comparison in enumerate(ordered, start=1):
        cell = _cell(report.models[comparison.candidate].metrics.get(primary), comparison.metrics.get(primary))
        found = evaluation.candidate_verdict(comparison, report)  # the engine's one account of the regressions
        regressions = [f.scope for f in found.regressions]
        primary_worse = found.primary_difference is not None and _worse(found.primary_difference)
        rows.append(LeaderboardRow(
            rank=rank, candidate=comparison.candidate, value=cell.value, interval=cell.interval,
            difference=cell.difference or "n/a", difference_interval=cell.difference_interval,
            verdict=cell.verdict or "not compared", color=cell.color or verdict_color("undefined"),
            glyph=cell.glyph or verdict_glyph("undefined"),
            worse_metrics=regressions.count("metric") + primary_worse,
            worse_classes=None if getattr(comparison, "per_class", None) is None else regressions.count("class"),
            worse_slices=regressions.count("slice")))
    return Leaderboard(primary, evaluation.metric_title(primary), report.baseline,
                       round(report.settings.confidence * 100), tuple(rows))


# --- HTML -----------------------------------------------------------------------------------------

_TABLE = "width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums;line-height:1.25"
_HEAD = "text-align:left;padding:6px 10px;border-bottom:2px solid #d0d0d0;font-weight:600;vertical-align:bottom"
_CELL = "padding:8px 10px;border-bottom:1px solid #e6e6e6;vertical-align:top"
_SMALL = f"font-size:0.8rem;color:{_MUTED}"


def _name(text: object) -> str:
    """A user-supplied name for HTML: escaped, shortened, whole in its tooltip."""
    whole = html.escape(str(text), quote=True)
    return f'<span title="{whole}">{html.escape(evaluation.shorten(text, _NAME_LIMIT))}</span>'


def _chip(glyph: str, verdict: str, color: str) -> str:
    """A verdict as a label in its colour with its glyph (dark text on a tint, readable; never colour alone).

    The label is :func:`evaluation.verdict_label`'s verdict; the why in its brackets (a note, a reason)
    follows in small text, so the label stays short.
    """
    head, _, detail = verdict.partition(" (")
    note = f' <span style="{_SMALL}">({html.escape(detail)}</span>' if detail else ""
    return (f'<span style="display:inline-block;padding:1px 8px;border-radius:10px;border:2px solid {color};'
            f'background:{color}1F;color:#1F1F1F;font-weight:600;font-size:0.85rem;white-space:nowrap">'
            f'<span style="color:{color}">{glyph}</span> {html.escape(head)}</span>{note}')


def _score_cell(cell: ScorecardCell) -> str:
    parts = [f'<div><span style="font-size:1.9rem;font-weight:700;line-height:1.1">{html.escape(cell.value)}</span>'
             + (f' <span style="{_SMALL};white-space:nowrap">{html.escape(cell.interval)}</span>' if cell.interval else "")
             + "</div>"]
    if cell.verdict:
        parts.append(f'<div style="margin-top:2px"><span style="white-space:nowrap"><span style="font-size:1.2rem;'
                     f'font-weight:700;color:{cell.color}">{html.escape(cell.difference)}</span> '
                     f'<span style="{_SMALL}">{html.escape(cell.difference_interval)}</span></span> '
                     f'{_chip(cell.glyph, cell.verdict, cell.color)}</div>')
    return f'<td style="{_CELL}">{"".join(parts)}</td>'


def scorecard_html(card: Scorecard) -> str:
    """The scorecard as one HTML table (inline styles only), large numbers, verdicts in their colours.

    Examples
    --------
    >>> "finetuned" in scorecard_html(scorecard(report))
    True
    """
    heads = "".join(
        f'<th style="{_HEAD}">{html.escape(column.title)}'
        + (' <span style="font-size:0.75rem;font-weight:700;border:1px solid #888;border-radius:8px;'
           'padding:0 6px">primary</span>' if column.primary else "")
        + f'<br><span style="{_SMALL};font-weight:400">{column.direction}</span></th>' for column in card.columns)
    body = []
    for row in card.rows:
        role = "baseline" if row.baseline else "candidate"
        body.append(f'<tr><th scope="row" style="{_CELL};text-align:left;font-size:1.05rem">{_name(row.model)}'
                    f'<br><span style="{_SMALL};font-weight:400">{role}</span></th>'
                    + "".join(_score_cell(cell) for cell in row.cells) + "</tr>")
    caption = (f"Value with its {card.level}% confidence interval; for each candidate, the difference from the "
               f"baseline with its interval and the verdict (p-values adjusted: {html.escape(card.correction)}).")
    return (f'<div class="model-compare-scorecard"><table style="{_TABLE}"><thead><tr><th style="{_HEAD}">model</th>{heads}'
            f'</tr></thead><tbody>{"".join(body)}</tbody></table>'
            f'<div style="{_SMALL};margin-top:6px">{caption}</div></div>')


def leaderboard_html(board: Leaderboard) -> str:
    """The leaderboard as one HTML table: rank, candidate, primary metric, difference, verdict, regressions.

    Examples
    --------
    >>> "finetuned" in leaderboard_html(leaderboard(report))
    True
    """
    rows = board.rows
    classes = any(row.worse_classes is not None for row in rows)
    heads = ["#", "candidate", f"{html.escape(board.metric_title)} [{board.level}% CI]",
             f"difference from {_name(board.baseline)} [{board.level}% CI]", "verdict", "worse metrics"]
    heads += ["worse classes"] if classes else []
    heads += ["worse slices"]
    head = "".join(f'<th style="{_HEAD}">{text}</th>' for text in heads)
    body = []
    for row in rows:
        counts = [row.worse_metrics] + ([row.worse_classes] if classes else []) + [row.worse_slices]
        count_cells = "".join(
            f'<td style="{_CELL};font-size:1.15rem;font-weight:700;'
            f'color:{verdict_color("worse") if count else "inherit"}">'
            f'{"n/a" if count is None else count}</td>' for count in counts)
        body.append(
            f'<tr><td style="{_CELL};font-weight:700">{row.rank}</td>'
            f'<td style="{_CELL};font-weight:600">{_name(row.candidate)}</td>'
            f'<td style="{_CELL}"><span style="font-size:1.3rem;font-weight:700">{html.escape(row.value)}</span> '
            f'<span style="{_SMALL}">{html.escape(row.interval)}</span></td>'
            f'<td style="{_CELL};white-space:nowrap"><span style="font-size:1.2rem;font-weight:700;color:{row.color}">'
            f'{html.escape(row.difference)}</span> <span style="{_SMALL}">{html.escape(row.difference_interval)}</span></td>'
            f'<td style="{_CELL}">{_chip(row.glyph, row.verdict, row.color)}</td>{count_cells}</tr>')
    caption = ("Best first on the primary metric. Worse metrics: headline metrics significantly worse than the "
               "baseline's" + ("; worse classes: classes with a precision, recall or F1 significantly worse"
                               if classes else "") + "; worse slices: tested slices with a metric significantly worse "
               "(adjusted p-values).")
    return (f'<div class="model-compare-leaderboard"><table style="{_TABLE}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table><div style="{_SMALL};margin-top:6px">{caption}</div></div>')
