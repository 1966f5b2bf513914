"""Figure builders for the shift between the test set and production (no streamlit).

:func:`drift_figure` draws each column's effect size (Jensen-Shannon distance for a categorical column, normalised
Wasserstein for a numeric one) with its bootstrap interval, worst first; drifted columns in the palette's "worse"
colour and marker, the others grey, and the practical threshold the drift rule asks for as a dashed line (one mark
per row when the two statistics' thresholds differ). :func:`slice_mix_figure` draws each slice's share of the test set
and of production, the mix the re-weighted performance uses. Column names go through
:func:`~components.charts_common.label`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from evaluation import ColumnDrift, ShiftReport, format_number, format_p_value

from .charts_common import distinct_labels, error_arrays, finish, hover_label, label, message_figure, row_height
from .palette import MODEL_COLOR_ORDER, VERDICT_COLORS, verdict_symbol

__all__ = ["DRIFTED_COLOR", "STABLE_COLOR", "STATISTIC_TITLES", "THRESHOLD_COLOR", "drift_figure", "drift_order",
           "slice_mix_figure"]

DRIFTED_COLOR = VERDICT_COLORS["worse"]
"""A drifted column: the palette's "worse"."""
STABLE_COLOR = VERDICT_COLORS["no significant difference"]
"""A column that is not drifted."""
THRESHOLD_COLOR = "#444444"
STATISTIC_TITLES = {"jensen_shannon_distance": "Jensen-Shannon distance",
                    "normalized_wasserstein": "normalised Wasserstein"}
"""Effect-size statistic -> how a figure names it."""


def _key(column: ColumnDrift) -> float:
    return column.value if math.isfinite(column.value) else -math.inf


def drift_order(columns: Sequence[ColumnDrift]) -> list[ColumnDrift]:
    """The columns worst first: largest effect size first (an undefined one last), ties in the report's order.

    >>> from evaluation._shift_report import ColumnDrift
    >>> def column(name, value):
    ...     return ColumnDrift(name, "categorical", "metadata", "chi-square", "jensen_shannon_distance", value, 0, 1,
    ...                        0.5, 0.5, 0.5, 0.5, 0.1, 0.0, False, 10, 10)
    >>> [c.column for c in drift_order([column("a", 0.1), column("b", float("nan")), column("c", 0.3)])]
    ['c', 'a', 'b']
    """
    return sorted(columns, key=_key, reverse=True)


def _hover(column: ColumnDrift, level: int) -> str:
    statistic = STATISTIC_TITLES.get(column.statistic, column.statistic)
    return (f"<b>{hover_label(column.column)}</b> ({column.kind}, {column.role})<br>{statistic}: "
            f"{format_number(column.value)}<br>{level}% CI: [{format_number(column.ci_low)}, "
            f"{format_number(column.ci_high)}]<br>practical threshold: {format_number(column.threshold)}<br>"
            f"permutation p (Holm): {format_p_value(column.permutation_p_value_adjusted)}<br>"
            f"{column.test} p (Holm): {format_p_value(column.p_value_adjusted)}<br>PSI: {format_number(column.psi)}<br>"
            f"<b>{'drifted' if column.drifted else 'not drifted'}</b>")


def drift_figure(report: ShiftReport) -> go.Figure:
    """Each column's effect size with its interval, worst first; drifted ones in the "worse" colour, the practical
    threshold dashed."""
    title = "How far each column moved between the test set and production"
    if not report.columns:
        return message_figure(title, "No column to compare.")
    level = round(report.confidence * 100)
    ordered = drift_order(report.columns)
    labels = distinct_labels([c.column for c in ordered])
    fig = go.Figure()
    for drifted in (True, False):
        index = [i for i, c in enumerate(ordered) if c.drifted is drifted]
        if not index:
            continue
        chosen = [ordered[i] for i in index]
        color = DRIFTED_COLOR if drifted else STABLE_COLOR
        plus, minus = error_arrays([c.value for c in chosen], [c.ci_low for c in chosen], [c.ci_high for c in chosen])
        fig.add_trace(go.Scatter(
            x=[c.value for c in chosen], y=[labels[i] for i in index], mode="markers",
            name="drifted" if drifted else "not drifted",
            marker={"color": color, "size": 12, "symbol": verdict_symbol("worse") if drifted else "circle",
                    "line": {"color": color, "width": 1.5}},
            error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": color,
                     "thickness": 1.8, "width": 5},
            hovertext=[_hover(c, level) for c in chosen], hoverinfo="text"))
    thresholds = {c.threshold for c in ordered}
    if len(thresholds) == 1:
        threshold = thresholds.pop()
        fig.add_vline(x=threshold, line={"color": THRESHOLD_COLOR, "width": 1.2, "dash": "dash"},
                      annotation={"text": f"practical threshold {format_number(threshold)}", "font": {"size": 12}},
                      annotation_position="top right")
    else:
        fig.add_trace(go.Scatter(
            x=[c.threshold for c in ordered], y=labels, mode="markers", name="practical threshold",
            marker={"color": THRESHOLD_COLOR, "symbol": "line-ns-open", "size": 18, "line": {"width": 2}},
            hovertext=[f"{hover_label(c.column)}: practical threshold {format_number(c.threshold)}" for c in ordered],
            hoverinfo="text"))
    statistics = sorted({STATISTIC_TITLES.get(c.statistic, c.statistic) for c in ordered})
    finish(fig, title=f"{title}<br><sup>effect size with its {level}% interval, worst first; drifted: real (permutation "
                      f"p, Holm) and at least the practical threshold</sup>",
           x_title="effect size (" + " / ".join(statistics) + ")", y_title="column", height=row_height(len(ordered)))
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=labels)
    fig.update_xaxes(rangemode="tozero")
    return fig


def slice_mix_figure(report: ShiftReport) -> go.Figure:
    """Each slice's share of the test set and of production (the re-weighting column's slices)."""
    reweighted = report.reweighted
    if reweighted is None or not reweighted.slices:
        return message_figure("Slice mix", "No column to re-weight by.")
    labels = distinct_labels([s.slice for s in reweighted.slices])
    fig = go.Figure()
    for name, shares, color in (("test set", [s.test_share for s in reweighted.slices], MODEL_COLOR_ORDER[0]),
                                ("production", [s.production_share for s in reweighted.slices], MODEL_COLOR_ORDER[1])):
        fig.add_trace(go.Bar(x=labels, y=shares, name=name, marker={"color": color},
                             text=[f"{share:.0%}" for share in shares], textposition="outside",
                             hovertext=[f"<b>{hover_label(s.slice)}</b><br>{name}: {share:.1%}"
                                        for s, share in zip(reweighted.slices, shares, strict=True)],
                             hoverinfo="text"))
    finish(fig, title=f"Mix of {label(reweighted.column)}: test set and production", x_title=label(reweighted.column),
           y_title="share of rows", height=380)
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig
