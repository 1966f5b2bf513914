"""Figures of one candidate against the baseline: headline, per-class and per-slice differences, flips.

In the examples, ``report`` is a small binary comparison of ``base`` and ``finetuned`` (``components/conftest.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evaluation import Comparison, Difference, RegressionComparison, higher_is_better

from .charts_common import (
    add_zero_line,
    difference_hover,
    distinct_labels,
    error_arrays,
    finish,
    fmt,
    fmt_signed,
    hover_label,
    interval_text,
    label,
    message_figure,
    metric_title,
    panel_spacing,
    range_with_zero,
    row_height,
    undefined_marks,
    verdict_traces,
)
from .palette import TOO_SMALL_COLOR, VERDICT_COLORS

__all__ = ["difference_forest_figure", "flips_figure", "per_class_difference_figure", "slice_forest_figure"]

_SCORE_AXIS = "difference (candidate − baseline); right of 0: candidate higher"
_LOSS_AXIS = "difference (candidate − baseline); losses: negative = candidate better"


def _dedupe_legend(fig: go.Figure) -> None:
    """Show each legend group once, however many panels it appears in."""
    seen: set[str] = set()
    for trace in fig.data:
        group = trace.legendgroup or trace.name
        if trace.showlegend is not False and group in seen:
            trace.showlegend = False
        seen.add(group)


def _is_loss(metric: str) -> bool:
    return not higher_is_better(metric)


def _undefined(labels: Sequence[str], diffs: Sequence[Difference]) -> list[str]:
    return [row for row, d in zip(labels, diffs, strict=True) if not math.isfinite(d.difference)]


def _pair(comparison: Comparison | RegressionComparison) -> str:
    """``candidate − baseline`` for a title, each name escaped and shortened."""
    return f"{label(comparison.candidate)} − {label(comparison.baseline)}"


def difference_forest_figure(comparison: Comparison, *, confidence: float,
                             metrics: Sequence[str] | None = None) -> go.Figure:
    """Forest plot of the candidate-minus-baseline differences of headline metrics, coloured by verdict.

    Metrics where higher is better and losses (log loss, Brier score, ECE: negative is better) are drawn
    in separate panels whose axis titles say which side is better; signs are never flipped.

    Parameters
    ----------
    comparison:
        One candidate against the baseline.
    confidence:
        The intervals' level (``report.settings.confidence``), shown in the title and hover.
    metrics:
        Metric names, top to bottom; by default every metric of the comparison.

    Returns
    -------
    go.Figure
        One trace per verdict present (legend: verdicts, each with its colour and marker symbol), a
        dashed vertical line at zero in every panel.

    Examples
    --------
    >>> difference_forest_figure(report.comparisons[0], confidence=report.settings.confidence).layout.title.text
    'finetuned − base: differences with 95% confidence intervals'
    """
    level = round(confidence * 100)
    title = f"{_pair(comparison)}: differences with {level}% confidence intervals"
    chosen = [m for m in (metrics if metrics is not None else comparison.metrics) if m in comparison.metrics]
    if not chosen:
        return message_figure(title, "No metric to show: none of the requested metrics was compared.")
    panels = [(rows, axis) for rows, axis in (([m for m in chosen if not _is_loss(m)], _SCORE_AXIS),
                                              ([m for m in chosen if _is_loss(m)], _LOSS_AXIS)) if rows]
    height = row_height(len(chosen), base=240 + 90 * (len(panels) - 1))
    fig = make_subplots(rows=len(panels), cols=1, row_heights=[len(rows) for rows, _ in panels],
                        vertical_spacing=panel_spacing(height) if len(panels) > 1 else 0.0)
    for row, (rows, axis_title) in enumerate(panels, start=1):
        labels = [metric_title(m) + (" (loss)" if _is_loss(m) else "") for m in rows]
        diffs = [comparison.metrics[m] for m in rows]
        hovers = [difference_hover(row_label, d, level=level,
                                   extra="lower is better: negative = improvement" if _is_loss(m) else "")
                  for row_label, m, d in zip(labels, rows, diffs, strict=True)]
        for trace in verdict_traces(labels, diffs, hovers):
            fig.add_trace(trace, row=row, col=1)
        marks = undefined_marks(_undefined(labels, diffs))
        if marks is not None:
            fig.add_trace(marks, row=row, col=1)
        fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed",
                         row=row, col=1)
        fig.update_xaxes(title_text=axis_title, zeroline=False, row=row, col=1,
                         range=range_with_zero([v for d in diffs for v in (d.ci_low, d.ci_high, d.difference)]))
        add_zero_line(fig, row=row, col=1)
    _dedupe_legend(fig)
    fig.update_layout(legend_title_text="verdict (adjusted p):", showlegend=True)
    return finish(fig, title=title, x_title=None, y_title="metric", height=height)


def per_class_difference_figure(comparison: Comparison, metric: str = "recall", *,
                                max_classes: int = 40) -> go.Figure:
    """Per-class differences of one metric with intervals, coloured by the adjusted verdict, worst first.

    Parameters
    ----------
    comparison:
        One candidate against the baseline.
    metric:
        ``"precision"``, ``"recall"`` or ``"f1"``.
    max_classes:
        With more classes than this, only the ``max_classes`` largest drops are drawn (the title says so).

    Returns
    -------
    go.Figure
        One trace per verdict present; rows sorted by difference, most negative at the top, undefined last.

    Examples
    --------
    >>> [list(trace.y) for trace in per_class_difference_figure(report.comparisons[0], "f1").data]
    [['1', '0']]
    """
    title = f"Per-class {label(metric)}: {_pair(comparison)}, worst first"
    items = [(c, values[metric]) for c, values in comparison.per_class.items() if metric in values]
    if not items:
        return message_figure(title, f"No per-class {label(repr(metric))} in this comparison (choose precision, recall "
                                     "or f1).")
    items.sort(key=lambda item: (not math.isfinite(item[1].difference),
                                 item[1].difference if math.isfinite(item[1].difference) else 0.0))
    total = len(items)
    items = items[:max(max_classes, 1)]
    if len(items) < total:
        title += f" (the {len(items)} largest drops of {total} classes)"
    labels = distinct_labels([c for c, _ in items])
    diffs = [d for _, d in items]
    hovers = [difference_hover(f"class {hover_label(c)} · {label(metric)}", d) for c, d in items]
    fig = go.Figure(verdict_traces(labels, diffs, hovers))
    marks = undefined_marks(_undefined(labels, diffs))
    if marks is not None:
        fig.add_trace(marks)
    add_zero_line(fig)
    fig.update_xaxes(range=range_with_zero([v for d in diffs for v in (d.ci_low, d.ci_high, d.difference)]))
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed")
    fig.update_layout(legend_title_text="verdict (p adjusted across classes):", showlegend=True)
    return finish(fig, title=title, x_title=f"{label(metric)} difference (candidate − baseline)", y_title="class",
                  height=row_height(len(labels), per_row=24))


def slice_forest_figure(comparison: Comparison | RegressionComparison, column: str, metric: str) -> go.Figure:
    """Per-slice differences of one metric for one metadata column, in the comparison's order (worst first).

    Slices too small to test are drawn as hollow grey circles named "too small", never in a verdict colour.

    Parameters
    ----------
    comparison:
        One candidate against the baseline.
    column:
        The metadata column whose slices to draw.
    metric:
        A slice metric (``"accuracy"``, ``"balanced_accuracy"``, ``"f1_macro"``).

    Returns
    -------
    go.Figure
        One trace per verdict among tested slices, one "too small" trace, a vertical zero line; row
        labels are ``"value (n=…)"``.

    Examples
    --------
    >>> fig = slice_forest_figure(report.comparisons[0], "device", "accuracy")
    >>> sorted(row for trace in fig.data for row in trace.y)
    ['laptop (n=127)', 'phone (n=134)', 'tablet (n=139)']
    """
    name = label(metric_title(metric))
    title = f"{name} by {label(column)}: {_pair(comparison)}"
    in_column = [entry for entry in comparison.slices if entry.column == column]
    entries = [entry for entry in in_column if metric in entry.metrics]
    if not in_column:
        return message_figure(title, f"No slices for column {label(repr(column))}.")
    if not entries:
        available = sorted({m for entry in in_column for m in entry.metrics})
        return message_figure(title, f"{name} was not computed on slices; available: {label(', '.join(available), 200)}.")
    labels = distinct_labels([entry.value for entry in entries], suffixes=[f" (n={entry.n:,})" for entry in entries])
    hovers = []
    baseline, candidate, where = hover_label(comparison.baseline), hover_label(comparison.candidate), hover_label(column)
    for entry in entries:
        m = entry.metrics[metric]
        head = f"{where} = {hover_label(entry.value)} (n={entry.n:,})"
        extra = (f"n = {entry.n:,}<br>{baseline}: {fmt(m.baseline.value)} "
                 f"{interval_text(m.baseline.ci_low, m.baseline.ci_high)}<br>{candidate}: "
                 f"{fmt(m.candidate.value)} {interval_text(m.candidate.ci_low, m.candidate.ci_high)}")
        if entry.insufficient:
            d = m.difference
            hovers.append(f"<b>{head}</b><br>difference: {fmt_signed(d.difference)} "
                          f"{interval_text(d.ci_low, d.ci_high, signed=True)}<br>{extra}<br>"
                          "<b>too small to test</b> (no p-value, no verdict)")
        else:
            hovers.append(difference_hover(head, m.difference, extra=extra))
    tested = [i for i, entry in enumerate(entries) if not entry.insufficient]
    small = [i for i, entry in enumerate(entries) if entry.insufficient]
    fig = go.Figure(verdict_traces([labels[i] for i in tested], [entries[i].metrics[metric].difference for i in tested],
                                   [hovers[i] for i in tested]))
    if small:
        diffs = [entries[i].metrics[metric].difference for i in small]
        plus, minus = error_arrays([d.difference for d in diffs], [d.ci_low for d in diffs], [d.ci_high for d in diffs])
        fig.add_trace(go.Scatter(
            x=[d.difference for d in diffs], y=[labels[i] for i in small], mode="markers",
            name="too small to test", legendgroup="too small",
            marker={"symbol": "circle-open", "color": TOO_SMALL_COLOR, "size": 11, "line": {"width": 2}},
            error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                     "color": TOO_SMALL_COLOR, "thickness": 1.2, "width": 3},
            hovertext=[hovers[i] for i in small], hoverinfo="text"))
    marks = undefined_marks([labels[i] for i, entry in enumerate(entries)
                             if not math.isfinite(entry.metrics[metric].difference.difference)])
    if marks is not None:
        fig.add_trace(marks)
    add_zero_line(fig)
    every = [entry.metrics[metric].difference for entry in entries]
    fig.update_xaxes(range=range_with_zero([v for d in every for v in (d.ci_low, d.ci_high, d.difference)]))
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed")
    fig.update_layout(legend_title_text="verdict (p adjusted across slices):", showlegend=True)
    side = "; negative = candidate better" if _is_loss(metric) else ""
    return finish(fig, title=title + "<br><sup>worst first · hollow grey: slice too small to test</sup>",
                  x_title=f"{name} difference (candidate − baseline){side}", y_title=f"{label(column)} (slice)",
                  height=row_height(len(labels), per_row=26))


def _nice_step(bound: float) -> float:
    """A round tick step giving about four ticks up to ``bound``."""
    raw = max(bound, 1.0) / 4
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def flips_figure(comparison: Comparison, *, max_classes: int = 40) -> go.Figure:
    """Diverging bars per true class: regressions to the left, improvements to the right.

    Parameters
    ----------
    comparison:
        One candidate against the baseline.
    max_classes:
        With more classes than this, only the ``max_classes`` classes with the most flips are drawn.

    Returns
    -------
    go.Figure
        Two bar traces, ``"regressions"`` (negative ``x``, hatched, vermillion) and ``"improvements"``
        (positive ``x``, bluish green); tick labels show counts without sign.

    Examples
    --------
    >>> [trace.name for trace in flips_figure(report.comparisons[0]).data]
    ['regressions', 'improvements']
    """
    title = f"Flips by true class: {label(comparison.candidate)} vs {label(comparison.baseline)}"
    flips = comparison.flips
    if flips is None or not flips.by_class:
        return message_figure(title, "No flip counts in this comparison.")
    classes = list(flips.by_class)
    if len(classes) > max_classes:
        busiest = set(sorted(classes, key=lambda c: -(flips.by_class[c].regressions
                                                      + flips.by_class[c].improvements))[:max(max_classes, 1)])
        classes = [c for c in classes if c in busiest]
    labels = distinct_labels(classes)
    title += (f"<br><sup>{flips.regressions:,} regressions (right before, wrong now) · {flips.improvements:,} "
              "improvements (wrong before, right now)"
              + (f" · {len(labels)} of {len(flips.by_class)} classes with most flips" if len(labels) < len(
                  flips.by_class) else "") + "</sup>")
    regressions = [flips.by_class[c].regressions for c in classes]
    improvements = [flips.by_class[c].improvements for c in classes]
    heads = [hover_label(c) for c in classes]
    fig = go.Figure([
        go.Bar(x=[-r for r in regressions], y=labels, orientation="h", name="regressions",
               marker={"color": VERDICT_COLORS["worse"], "pattern": {"shape": "/"}},
               text=[f"{r:,}" for r in regressions], textposition="outside",
               hovertext=[f"<b>class {head}</b><br>regressions: {r:,}<br>(right before, wrong now)"
                          for head, r in zip(heads, regressions, strict=True)], hoverinfo="text"),
        go.Bar(x=improvements, y=labels, orientation="h", name="improvements",
               marker={"color": VERDICT_COLORS["better"]},
               text=[f"{i:,}" for i in improvements], textposition="outside",
               hovertext=[f"<b>class {head}</b><br>improvements: {i:,}<br>(wrong before, right now)"
                          for head, i in zip(heads, improvements, strict=True)], hoverinfo="text"),
    ])
    bound = max([*regressions, *improvements, 1])
    step = _nice_step(bound)
    ticks = [k * step for k in range(-math.ceil(bound / step), math.ceil(bound / step) + 1)]
    fig.update_xaxes(tickvals=ticks, ticktext=[f"{abs(t):,.0f}" for t in ticks],
                     range=[-bound * 1.2, bound * 1.2], zeroline=True, zerolinecolor="#444444")
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed")
    fig.update_layout(barmode="relative", bargap=0.3)
    return finish(fig, title=title, x_title="examples (← regressions · improvements →)", y_title="true class",
                  height=row_height(len(labels), per_row=24))
