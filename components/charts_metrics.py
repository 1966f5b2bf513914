"""Figures of each model's own numbers: headline metrics, per-class metrics, confusion matrices.

In the examples, ``report`` is a small binary comparison of ``base`` and ``finetuned`` (``components/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evaluation import METRICS, ComparisonReport, ConfusionMatrix

from .charts_common import (
    TITLE_LIMIT,
    data_range,
    distinct_labels,
    error_arrays,
    estimate_hover,
    finish,
    fmt,
    hover_label,
    label,
    message_figure,
    metric_title,
    panel_spacing,
    row_height,
)
from .palette import better_worse_scale, model_colors

__all__ = [
    "PER_CLASS_METRICS",
    "confusion_difference_figure",
    "confusion_matrix_figure",
    "metric_intervals_figure",
    "per_class_figure",
]

PER_CLASS_METRICS: tuple[str, ...] = ("precision", "recall", "f1")
_CELL_HOVER_LIMIT = 200  # a heatmap repeats each label in k² hovers: long ones are cut there


def _level(report: ComparisonReport) -> int:
    return round(report.settings.confidence * 100)


def _default_metrics(report: ComparisonReport) -> list[str]:
    """The metrics every model has, in the registry's order."""
    shared = set.intersection(*(set(model.metrics) for model in report.models.values())) if report.models else set()
    first = next(iter(report.models.values())).metrics if report.models else {}
    return [m for m in METRICS if m in shared] + [m for m in first if m in shared and m not in METRICS]


def metric_intervals_figure(report: ComparisonReport, metrics: Sequence[str] | None = None) -> go.Figure:
    """Dot plot of every model's headline metrics with confidence intervals, one row per metric.

    Metrics where higher is better and losses (lower is better) get separate panels with their own
    axes, so a log loss above 1 does not squash the others; each axis is zoomed to the values and
    intervals it shows (not 0 to 1), so close models stay apart.

    Parameters
    ----------
    report:
        The engine's report.
    metrics:
        Metric names to show, top to bottom; by default every metric all models have.

    Returns
    -------
    go.Figure
        One trace per model and panel (named after the model, coloured by :func:`model_colors`);
        error bars span the interval.

    Examples
    --------
    >>> fig = metric_intervals_figure(report, ["accuracy", "f1_macro"])
    >>> [(trace.name, list(trace.y)) for trace in fig.data]
    [('base', ['Accuracy', 'F1 (macro)']), ('finetuned', ['Accuracy', 'F1 (macro)'])]
    """
    chosen = list(metrics) if metrics is not None else _default_metrics(report)
    chosen = [m for m in chosen if any(m in model.metrics for model in report.models.values())]
    title = f"Metrics with {_level(report)}% confidence intervals"
    if not chosen:
        return message_figure(title, "No metric to show: none of the requested metrics is in the report.")
    scores = [m for m in chosen if m not in METRICS or METRICS[m].higher_is_better]
    losses = [m for m in chosen if m in METRICS and not METRICS[m].higher_is_better]
    panels = [(rows, axis) for rows, axis in ((scores, "metric value (higher is better)"),
                                              (losses, "loss value (lower is better)")) if rows]
    height = row_height(len(chosen), per_row=18 + 12 * len(report.models), base=220 + 90 * (len(panels) - 1))
    fig = make_subplots(rows=len(panels), cols=1, row_heights=[len(rows) for rows, _ in panels],
                        vertical_spacing=panel_spacing(height) if len(panels) > 1 else 0.0)
    colors = model_colors(report.models)
    shown = dict(zip(report.models, distinct_labels(list(report.models)), strict=True))
    nan = float("nan")
    for row, (rows, axis_title) in enumerate(panels, start=1):
        labels = [_row_label(report, m) for m in rows]
        shown_values: list[float] = []
        for name, model in report.models.items():
            estimates = [model.metrics.get(m) for m in rows]
            values = [e.value if e else nan for e in estimates]
            plus, minus = error_arrays(values, [e.ci_low if e else nan for e in estimates],
                                       [e.ci_high if e else nan for e in estimates])
            shown_values += [v for e in estimates if e for v in (e.value, e.ci_low, e.ci_high)]
            hovers = [estimate_hover(f"{hover_label(name)} · {metric_title(m)}", e, level=_level(report)) if e
                      else f"<b>{hover_label(name)} · {metric_title(m)}</b><br>not computed"
                      for m, e in zip(rows, estimates, strict=True)]
            fig.add_trace(go.Scatter(
                x=values, y=labels, mode="markers", name=shown[name], legendgroup=shown[name], showlegend=row == 1,
                orientation="h", marker={"color": colors[name], "size": 10},
                error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                         "color": colors[name], "thickness": 1.8, "width": 4},
                hovertext=hovers, hoverinfo="text"), row=row, col=1)
        fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed",
                         row=row, col=1)
        # Zoomed to the values and their intervals: on a fixed 0-to-1 axis 0.923 and 0.975 look the same.
        fig.update_xaxes(title_text=axis_title, range=data_range(shown_values), row=row, col=1)
    fig.update_layout(scattermode="group", scattergap=0.35)
    return finish(fig, title=title, x_title=None, y_title="metric", height=height)


def _row_label(report: ComparisonReport, metric: str) -> str:
    """The metric's title, marked ``(n/a)`` when no model has a value."""
    undefined = all(not np.isfinite(model.metrics[metric].value) for model in report.models.values()
                    if metric in model.metrics)
    return metric_title(metric) + (" (n/a)" if undefined else "")


def per_class_figure(report: ComparisonReport, metric: str = "recall", *, max_classes: int = 40) -> go.Figure:
    """Horizontal grouped bars of one per-class metric: a row per class, a bar per model, CI error bars.

    Parameters
    ----------
    report:
        The engine's report.
    metric:
        ``"precision"``, ``"recall"`` or ``"f1"``.
    max_classes:
        With more classes than this, only the ``max_classes`` most frequent are drawn (the title says
        so); the figure grows in height with the classes shown.

    Returns
    -------
    go.Figure
        One bar trace per model; ``y`` the class labels in report order, ``x`` the values.

    Examples
    --------
    >>> per_class_figure(report, "f1").layout.title.text
    'Per-class f1 with 95% confidence intervals'
    """
    level = _level(report)
    title = f"Per-class {metric} with {level}% confidence intervals"
    if metric not in PER_CLASS_METRICS:
        return message_figure(title, f"No per-class {metric!r}: choose one of {', '.join(PER_CLASS_METRICS)}.")
    if not report.models or not report.classes:
        return message_figure(title, "No classes to show.")
    support = next(iter(report.models.values())).support
    shown = _top_classes(report.classes, support, max_classes)
    if len(shown) < len(report.classes):
        title += f" — the {len(shown)} most frequent of {len(report.classes)} classes"
    colors = model_colors(report.models)
    models = dict(zip(report.models, distinct_labels(list(report.models)), strict=True))
    rows = distinct_labels(shown)
    fig = go.Figure()
    nan = float("nan")
    for name, model in report.models.items():
        estimates = [model.per_class.get(c, {}).get(metric) for c in shown]
        values = [e.value if e else nan for e in estimates]
        plus, minus = error_arrays(values, [e.ci_low if e else nan for e in estimates],
                                   [e.ci_high if e else nan for e in estimates])
        heads = [f"{hover_label(name)} · class {hover_label(c)}" for c in shown]
        hovers = [estimate_hover(head, e, level=level, extra=f"support: {support.get(c, 0):,}")
                  if e else f"<b>{head}</b><br>not computed" for head, c, e in zip(heads, shown, estimates, strict=True)]
        fig.add_trace(go.Bar(x=values, y=rows, orientation="h", name=models[name], marker_color=colors[name],
                             error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                                      "color": "#333333", "thickness": 1.2, "width": 2},
                             hovertext=hovers, hoverinfo="text"))
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=rows, autorange="reversed")
    fig.update_xaxes(range=[0, 1.05])
    return finish(fig, title=title, x_title=f"{metric} (one-vs-rest, 0 to 1)", y_title="class",
                  height=row_height(len(shown), per_row=10 + 9 * len(report.models)))


def _top_classes(classes: Sequence[str], support: Mapping[str, int], limit: int) -> list[str]:
    """The ``limit`` most frequent classes, in the report's class order."""
    if len(classes) <= limit:
        return list(classes)
    ranked = sorted(range(len(classes)), key=lambda i: (-support.get(classes[i], 0), i))[:max(limit, 1)]
    return [classes[i] for i in sorted(ranked)]


def confusion_matrix_figure(matrix: ConfusionMatrix, *, normalized: bool = False, title: str = "") -> go.Figure:
    """Heatmap of a confusion matrix, true labels as rows (top to bottom), predicted as columns.

    Parameters
    ----------
    matrix:
        A model's :class:`evaluation.ConfusionMatrix`.
    normalized:
        Colour by each row's share (the diagonal is per-class recall) instead of counts.
    title:
        Figure title, plain text (shown as it is, cut at 100 characters); a descriptive default when empty.

    Returns
    -------
    go.Figure
        One heatmap trace; cells carry their number when there are at most 20 classes. Axis labels are
        the class labels, escaped and shortened (distinct); hovers carry them whole (up to 200 characters).

    Examples
    --------
    >>> fig = confusion_matrix_figure(report.models["base"].confusion_matrix, normalized=True)
    >>> [round(sum(row), 9) for row in fig.data[0].z]  # each true class's row sums to 1
    [1.0, 1.0]
    """
    labels = list(matrix.labels)
    title = label(title, TITLE_LIMIT) if title else (
        "Confusion matrix (share of each true class)" if normalized else "Confusion matrix (examples)")
    if not labels:
        return message_figure(title, "No classes: the confusion matrix is empty.")
    counts = np.asarray(matrix.counts, dtype=float).reshape(len(labels), len(labels))
    shares = np.asarray(matrix.normalized, dtype=float).reshape(len(labels), len(labels))
    z = shares if normalized else counts
    full = [hover_label(c, limit=_CELL_HOVER_LIMIT) for c in labels]
    hover = [[f"true: <b>{t}</b><br>predicted: <b>{p}</b><br>examples: {int(counts[i, j]):,}<br>"
              f"share of true {t}: {fmt(shares[i, j])}" for j, p in enumerate(full)] for i, t in enumerate(full)]
    cells = [[fmt(v) if normalized else f"{int(v):,}" for v in row] for row in z]
    ticks = distinct_labels(labels)
    fig = go.Figure(go.Heatmap(
        z=z.tolist(), x=ticks, y=ticks, colorscale="Blues", zmin=0, zmax=1 if normalized else None,
        text=cells, texttemplate="%{text}" if len(labels) <= 20 else None, hovertext=hover, hoverinfo="text",
        colorbar={"title": {"text": "share of row" if normalized else "examples"}}))
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(type="category", side="bottom")
    side = min(1400, max(380, 200 + 26 * len(labels)))
    return finish(fig, title=title, x_title="predicted label", y_title="true label", height=side)


def confusion_difference_figure(labels: Sequence[str], difference: Sequence[Sequence[int]], *,
                                title: str = "") -> go.Figure:
    """Heatmap of candidate-minus-baseline confusion counts, coloured by whether each change is better or worse.

    A positive change on the diagonal (more examples right) and a negative one off it (fewer errors)
    are better for the candidate: bluish green; the opposite is worse: vermillion (the palette's
    verdict colours); no change is white. Each cell shows the count's change as it is.

    Parameters
    ----------
    labels:
        Class labels, the order of rows (true) and columns (predicted).
    difference:
        ``Comparison.confusion_matrix_difference``: candidate's counts minus the baseline's.
    title:
        Figure title, plain text (shown as it is, cut at 100 characters); a descriptive default when empty.

    Returns
    -------
    go.Figure
        One heatmap trace: ``z`` is the change signed for the candidate (the count's change on the
        diagonal, its negative off it), centred at zero on the worse-to-better scale; ``text`` is
        the count's change (``"+3"``, ``"-2"``, ``"0"``).

    Examples
    --------
    >>> c = report.comparisons[0]
    >>> fig = confusion_difference_figure(report.classes, c.confusion_matrix_difference)
    >>> [sum(row) for row in fig.data[0].z] == [2 * row[i] for i, row in enumerate(c.confusion_matrix_difference)]
    True
    """
    labels = list(labels)
    title = label(title, TITLE_LIMIT) if title else "Confusion matrix change (candidate − baseline)"
    if not labels:
        return message_figure(title, "No classes: the confusion matrix is empty.")
    change = np.asarray(difference, dtype=float).reshape(len(labels), len(labels))
    # For the candidate, more on the diagonal is good and more off it is bad: flip the off-diagonal's sign.
    direction = np.where(np.eye(len(labels), dtype=bool), 1.0, -1.0)
    z = change * direction
    bound = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 0.0
    bound = max(bound, 1.0)
    full = [hover_label(c, limit=_CELL_HOVER_LIMIT) for c in labels]
    hover = [[f"true: <b>{t}</b><br>predicted: <b>{p}</b><br>change: {change[i, j]:+,.0f} examples<br>"
              + _cell_meaning(i == j, change[i, j]) for j, p in enumerate(full)] for i, t in enumerate(full)]
    cells = [[f"{v:+,.0f}" if v else "0" for v in row] for row in change]
    ticks = distinct_labels(labels)
    fig = go.Figure(go.Heatmap(
        z=z.tolist(), x=ticks, y=ticks, colorscale=better_worse_scale(), zmid=0, zmin=-bound, zmax=bound,
        text=cells, texttemplate="%{text}" if len(labels) <= 20 else None, hovertext=hover, hoverinfo="text",
        colorbar={"title": {"text": "for the candidate"}, "tickvals": [-bound, 0, bound],
                  "ticktext": ["worse", "no change", "better"]}))
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(type="category")
    side = min(1400, max(380, 200 + 26 * len(labels)))
    return finish(fig, title=title + "<br><sup>green: better (more right on the diagonal, fewer errors off it) · "
                  "vermillion: worse · numbers: change in examples</sup>", x_title="predicted label",
                  y_title="true label", height=side)


def _cell_meaning(diagonal: bool, change: float) -> str:
    """What a cell's change means for the candidate, for its hover."""
    if not change:
        return "(no change)"
    if diagonal:
        return "(diagonal: more right, better)" if change > 0 else "(diagonal: fewer right, worse)"
    return "(off-diagonal: fewer errors, better)" if change < 0 else "(off-diagonal: more errors, worse)"
