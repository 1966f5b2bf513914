"""Figure builders for monitoring (no streamlit): a metric over time windows, shadow mode's paired difference over
windows, and drift per column over windows.

:func:`metric_figure` draws one metric for every model: the realised value per window (on the rows whose label has
arrived) with its interval as error bars, the label-free estimate as a dashed line where the engine offers one, the
test set's estimate as a shaded horizontal band, alert windows marked in the palette's "worse" (or "better") colour and
shape, and windows without labels shaded grey. :func:`difference_figure` draws shadow mode's candidate-minus-baseline
difference per window, each point in its verdict's colour and shape. :func:`drift_figure` is a heatmap of each column's
effect size by window, worst column first, drifted cells marked. All take a :class:`~evaluation._monitor_report.MonitorReport` and
place each window at its start time (:func:`window_starts`).
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from evaluation import ColumnDrift, MonitorReport, format_number, format_p_value, iso_time

from .charts_common import distinct_labels, error_arrays, finish, hover_label, message_figure, metric_title, row_height
from .palette import NEUTRAL_COLOR, VERDICT_COLORS, VERDICT_ORDER, model_colors, verdict_glyph, verdict_symbol

__all__ = ["DRIFTED_GLYPH", "NO_LABELS_COLOR", "difference_figure", "drift_figure", "drift_rows", "metric_figure",
           "unlabelled_spans", "window_name", "window_starts"]

NO_LABELS_COLOR = "#BDBDBD"
"""The shading of windows whose labels have not arrived."""
DRIFTED_GLYPH = verdict_glyph("worse")
"""The mark of a drifted cell in :func:`drift_figure`."""
_UNITS = {"1d": "day", "1w": "week", "1M": "month"}


def window_name(report: MonitorReport, index: int) -> str:
    """How a window is called: ``week 10`` for the tenth weekly window with rows (``day``, ``month``, or ``window``
    for N-row windows).

    >>> from types import SimpleNamespace
    >>> window_name(SimpleNamespace(window="1w"), 9), window_name(SimpleNamespace(window="500"), 0)
    ('week 10', 'window 1')
    """
    return f"{_UNITS.get(report.window, 'window')} {index + 1}"


def window_starts(report: MonitorReport) -> list[str]:
    """Each window's start as ISO text (the x of every trace)."""
    return [iso_time(w.start, report.timezone) for w in report.windows]


def _nan(value: float | None) -> float | None:
    """``None`` for NaN (a gap in a line), else the value."""
    return None if value is None or not math.isfinite(value) else value


def _window_hover(report: MonitorReport, index: int) -> str:
    window = report.windows[index]
    return (f"<b>{window_name(report, index)}</b>, {iso_time(window.start, report.timezone)} to "
            f"{iso_time(window.end, report.timezone)}<br>{window.n:,} rows, {window.n_labelled:,} labelled")


def unlabelled_spans(report: MonitorReport) -> list[tuple[int, int]]:
    """Runs of consecutive windows without a labelled row, as ``(first, last)`` window indices (one shaded span
    each)."""
    spans: list[tuple[int, int]] = []
    for i, window in enumerate(report.windows):
        if window.n_labelled:
            continue
        if spans and spans[-1][1] == i - 1:
            spans[-1] = (spans[-1][0], i)
        else:
            spans.append((i, i))
    return spans


def metric_figure(report: MonitorReport, metric: str) -> go.Figure:
    """One metric over the windows for every model: realised with its interval, the label-free estimate dashed, the
    test set's band shaded, alerts marked, windows without labels shaded grey.

    Parameters
    ----------
    report:
        From :func:`~evaluation._monitor.analyze_monitor`.
    metric:
        A metric of the report (``accuracy``, ``f1_macro``, ``log_loss``, ``brier_score``).

    Returns
    -------
    go.Figure
        A message figure when the report has no window.
    """
    title = f"{metric_title(metric)} per {_UNITS.get(report.window, 'window')}"
    if not report.windows:
        return message_figure(title, "No window with rows.")
    level = round(report.confidence * 100)
    starts = window_starts(report)
    first, last = starts[0], iso_time(report.windows[-1].end, report.timezone)
    colors = model_colors(report.models)
    fig = go.Figure()
    for start, end in unlabelled_spans(report):
        fig.add_vrect(x0=starts[start], x1=iso_time(report.windows[end].end, report.timezone), fillcolor=NO_LABELS_COLOR,
                      opacity=0.25, line_width=0, layer="below",
                      annotation={"text": "no labels yet", "font": {"size": 11, "color": "#555555"}},
                      annotation_position="top left")
    for name in report.models:
        color, shown = colors[name], hover_label(name)
        reference = report.reference[name].metrics.get(metric)
        if reference is not None:
            fig.add_trace(go.Scatter(
                x=[first, last, last, first], y=[reference.ci_low, reference.ci_low, reference.ci_high, reference.ci_high],
                fill="toself", fillcolor=color, opacity=0.15, mode="lines", line={"width": 0},
                name=f"{shown}: test set {format_number(reference.value)}", legendgroup=f"{name} reference",
                hovertext=f"<b>{shown}</b> on the test set: {format_number(reference.value)}<br>{level}% CI "
                          f"{format_number(reference.ci_low)} to {format_number(reference.ci_high)}",
                hoverinfo="text"))
            fig.add_trace(go.Scatter(x=[first, last], y=[reference.value, reference.value], mode="lines",
                                     line={"color": color, "width": 1, "dash": "dot"}, hoverinfo="skip",
                                     showlegend=False, legendgroup=f"{name} reference"))
        realised = [w.models[name].metrics.get(metric) for w in report.windows]
        values = [_nan(m.value) if m else None for m in realised]
        plus, minus = error_arrays([m.value if m else math.nan for m in realised],
                                   [m.ci_low if m else math.nan for m in realised],
                                   [m.ci_high if m else math.nan for m in realised])
        fig.add_trace(go.Scatter(
            x=starts, y=values, mode="lines+markers", name=f"{shown}: realised", line={"color": color, "width": 2},
            marker={"color": color, "size": 8},
            error_y={"type": "data", "symmetric": False, "array": [_nan(v) for v in plus],
                     "arrayminus": [_nan(v) for v in minus], "color": color, "thickness": 1.5, "width": 4},
            hovertext=[f"{_window_hover(report, i)}<br><b>{shown}</b> {metric_title(metric)}: "
                       + (f"{format_number(m.value)} ({level}% CI {format_number(m.ci_low)} to "
                          f"{format_number(m.ci_high)})<br>p (Holm) against the test set: "
                          f"{format_p_value(m.p_value_adjusted)}" if m else "no labels yet")
                       for i, m in enumerate(realised)],
            hoverinfo="text"))
        estimated = [w.models[name].estimated.get(metric) for w in report.windows]
        if any(e is not None for e in estimated):
            fig.add_trace(go.Scatter(
                x=starts, y=[_nan(e.value) if e else None for e in estimated], mode="lines+markers",
                name=f"{shown}: estimated without labels", line={"color": color, "width": 1.5, "dash": "dash"},
                marker={"color": color, "size": 6, "symbol": "circle-open"},
                hovertext=[f"{_window_hover(report, i)}<br><b>{shown}</b> {metric_title(metric)} estimated from its "
                           f"probabilities: {format_number(e.value)} ({level}% CI {format_number(e.ci_low)} to "
                           f"{format_number(e.ci_high)})" if e else "" for i, e in enumerate(estimated)],
                hoverinfo="text"))
        for direction in ("worse", "better"):
            alerts = [a for a in report.alerts if a.model == name and a.metric == metric and a.direction == direction]
            if not alerts:
                continue
            alert_color = VERDICT_COLORS[direction]
            fig.add_trace(go.Scatter(
                x=[starts[a.window] for a in alerts], y=[a.value for a in alerts], mode="markers",
                name=f"{shown}: alert ({direction})",
                marker={"color": alert_color, "size": 16, "symbol": verdict_symbol(direction),
                        "line": {"color": "white", "width": 1}},
                hovertext=[f"<b>Alert</b>: {shown} {metric_title(metric)} {format_number(a.value)} against "
                           f"{format_number(a.reference)} on the test set, {a.direction}<br>Holm-adjusted p "
                           f"{format_p_value(a.p_value_adjusted)}" for a in alerts],
                hoverinfo="text"))
    dashed = any(w.models[name].estimated.get(metric) for w in report.windows for name in report.models)
    finish(fig, title=f"{title}<br><sup>realised on labelled rows with {level}% intervals; shaded band: the test "
                      f"set's estimate{'; dashed: estimated without labels' if dashed else ''}</sup>",
           x_title="window start", y_title=metric_title(metric), height=480, legend="right")
    return fig


def difference_figure(report: MonitorReport, metric: str) -> go.Figure:
    """Shadow mode: the candidate minus the baseline on one metric, per window, with its paired interval; each point
    in its verdict's colour and shape (Holm over every window and metric), a line at no difference.

    Returns
    -------
    go.Figure
        A message figure without shadow mode or without a labelled window.
    """
    title = f"{metric_title(metric)}: {report.models[-1]} minus {report.models[0]}, per {_UNITS.get(report.window, 'window')}"
    if len(report.models) < 2:
        return message_figure(title, "Shadow mode only: give the candidate's production log too.")
    shown = [(i, w.difference[metric]) for i, w in enumerate(report.windows) if metric in w.difference]
    if not shown:
        return message_figure(title, "No window has labelled rows of both models.")
    level = round(report.confidence * 100)
    starts = window_starts(report)
    fig = go.Figure()
    fig.add_hline(y=0, line={"color": "#555555", "width": 1, "dash": "dot"})
    for decided in VERDICT_ORDER:
        points = [(i, d) for i, d in shown if d.verdict == decided]
        if not points:
            continue
        plus, minus = error_arrays([d.value for _, d in points], [d.ci_low for _, d in points],
                                   [d.ci_high for _, d in points])
        fig.add_trace(go.Scatter(
            x=[starts[i] for i, _ in points], y=[d.value for _, d in points], mode="markers", name=decided,
            marker={"color": VERDICT_COLORS[decided], "size": 11, "symbol": verdict_symbol(decided)},
            error_y={"type": "data", "symmetric": False, "array": [_nan(v) for v in plus],
                     "arrayminus": [_nan(v) for v in minus], "color": VERDICT_COLORS[decided], "thickness": 1.5,
                     "width": 4},
            hovertext=[f"{_window_hover(report, i)}<br><b>{hover_label(report.models[-1])}</b> minus "
                       f"<b>{hover_label(report.models[0])}</b>: {format_number(d.value)} ({level}% CI "
                       f"{format_number(d.ci_low)} to {format_number(d.ci_high)})<br>{d.test}, p (Holm) "
                       f"{format_p_value(d.p_value_adjusted)}: <b>{d.verdict}</b>" for i, d in points],
            hoverinfo="text"))
    finish(fig, title=f"{title}<br><sup>paired, on the rows both models scored and whose label has arrived; "
                      f"{level}% intervals; verdicts with Holm over every window and metric</sup>",
           x_title="window start", y_title=f"difference in {metric_title(metric).lower()}", height=420)
    fig.update_layout(showlegend=True)  # the verdicts' key, even when every window has the same verdict
    return fig


def drift_rows(report: MonitorReport) -> list[tuple[str, list[ColumnDrift | None]]]:
    """Every drift column (metadata, then each model's outputs as ``model: column``) with its drift per window
    (``None`` where a window lacks it), worst first: the largest effect size over the windows first."""
    rows: dict[str, list[ColumnDrift | None]] = {}
    count = len(report.windows)

    def add(label: str, index: int, column: ColumnDrift) -> None:
        rows.setdefault(label, [None] * count)[index] = column

    for i, window in enumerate(report.windows):
        for column in window.drift:
            add(column.column, i, column)
        for name in report.models:
            for column in window.models[name].drift:
                add(f"{name}: {column.column}", i, column)

    def worst(item: tuple[str, list[ColumnDrift | None]]) -> float:
        values = [c.value for c in item[1] if c is not None and math.isfinite(c.value)]
        return max(values, default=-math.inf)

    return sorted(rows.items(), key=worst, reverse=True)


def drift_figure(report: MonitorReport) -> go.Figure:
    """A heatmap of each column's effect size by window, worst column first, drifted cells marked."""
    title = "Drift against the test set, per column and window"
    rows = drift_rows(report)
    if not rows:
        return message_figure(title, "No column to compare (drift was left out or no column is shared).")
    level = round(report.confidence * 100)
    labels = distinct_labels([name for name, _ in rows])
    x = [start[:10] if report.window in _UNITS else start for start in window_starts(report)]
    z = [[_nan(c.value) if c else None for c in cells] for _, cells in rows]
    text = [[DRIFTED_GLYPH if c is not None and c.drifted else "" for c in cells] for _, cells in rows]
    hover = [[(f"<b>{hover_label(name)}</b>, {window_name(report, i)}<br>{c.statistic.replace('_', ' ')}: "
               f"{format_number(c.value)} ({level}% CI {format_number(c.ci_low)} to {format_number(c.ci_high)})<br>"
               f"permutation p (Holm): {format_p_value(c.permutation_p_value_adjusted)}<br>"
               f"<b>{'drifted' if c.drifted else 'not drifted'}</b>") if c else "not compared"
              for i, c in enumerate(cells)] for name, cells in rows]
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=labels, text=text, texttemplate="%{text}", textfont={"color": "#222222", "size": 13},
        colorscale=[[0.0, NEUTRAL_COLOR], [1.0, VERDICT_COLORS["worse"]]], zmin=0,
        colorbar={"title": {"text": "effect size"}}, hovertext=hover, hoverinfo="text", xgap=2, ygap=2))
    finish(fig, title=f"{title}<br><sup>effect size, worst column first; {DRIFTED_GLYPH} drifted</sup>",
           x_title="window start", y_title=None, height=row_height(len(rows), per_row=44, base=200))
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=labels)
    fig.update_xaxes(type="category")
    return fig

