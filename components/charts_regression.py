"""Figure builders for a regression comparison (no streamlit).

Regression metrics live on different scales (an error in the target's units, its square, R² between 0
and 1), so each metric gets a panel with its own axis. User-supplied names go through
:func:`~components.charts_common.label` like everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evaluation import RegressionComparison, RegressionData, RegressionReport, statistics_of

from .charts_common import (
    add_zero_line,
    difference_hover,
    distinct_labels,
    error_arrays,
    estimate_hover,
    finish,
    hover_label,
    label,
    message_figure,
    range_with_zero,
    verdict_traces,
)
from .palette import model_colors, verdict_color

__all__ = ["error_change_figure", "predicted_vs_true_figure", "regression_difference_figure",
           "regression_metrics_figure", "residuals_figure"]

_MAX_POINTS = 5_000  # points per model in a scatter; more are drawn as a random, fixed sample


def _title(metric: str) -> str:
    statistic = statistics_of("regression")[metric]
    return statistic.title + ("" if statistic.higher_is_better else " (lower is better)")


def regression_metrics_figure(report: RegressionReport) -> go.Figure:
    """Every model's value of every metric with its interval, one panel (and axis) per metric."""
    metrics = list(statistics_of("regression"))
    names = list(report.models)
    level = round(report.settings.confidence * 100)
    colors = model_colors(names)
    rows = distinct_labels(names)
    fig = make_subplots(rows=len(metrics), cols=1, subplot_titles=[_title(m) for m in metrics], vertical_spacing=0.07)
    for row, metric in enumerate(metrics, start=1):
        for name, shown in zip(names, rows, strict=True):
            estimate = report.models[name].metrics[metric]
            plus, minus = error_arrays([estimate.value], [estimate.ci_low], [estimate.ci_high])
            fig.add_trace(go.Scatter(
                x=[estimate.value], y=[shown], mode="markers", name=shown, legendgroup=shown, showlegend=row == 1,
                marker={"color": colors[name], "size": 10},
                error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": colors[name]},
                hovertext=[estimate_hover(f"{hover_label(name)} · {_title(metric)}", estimate, level=level)],
                hoverinfo="text"), row=row, col=1)
        fig.update_yaxes(type="category", categoryorder="array", categoryarray=rows, autorange="reversed", row=row, col=1)
    height = 140 + len(metrics) * (70 + 30 * len(names))
    return finish(fig, title=f"Metrics with {level}% confidence intervals", x_title=None, y_title=None, height=height)


def regression_difference_figure(comparison: RegressionComparison, *, confidence: float) -> go.Figure:
    """Each metric's paired difference (candidate minus baseline) with its interval, coloured by verdict."""
    metrics = [m for m in statistics_of("regression") if m in comparison.metrics]
    level = round(confidence * 100)
    title = f"{label(comparison.candidate)} − {label(comparison.baseline)}: differences with {level}% confidence intervals"
    if not metrics:
        return message_figure(title, "No metric was compared.")
    fig = make_subplots(rows=len(metrics), cols=1, subplot_titles=[_title(m) for m in metrics], vertical_spacing=0.09)
    seen: set[str] = set()
    for row, metric in enumerate(metrics, start=1):
        d = comparison.metrics[metric]
        hover = difference_hover(_title(metric), d, level=level)
        for trace in verdict_traces(["difference"], [d], [hover]):
            trace.showlegend = trace.legendgroup not in seen
            seen.add(str(trace.legendgroup))
            fig.add_trace(trace, row=row, col=1)
        fig.update_xaxes(range=range_with_zero([d.ci_low, d.ci_high, d.difference]), zeroline=False, row=row, col=1)
        fig.update_yaxes(showticklabels=False, row=row, col=1)
        add_zero_line(fig, row=row, col=1)
    fig.update_layout(legend_title_text="verdict (adjusted p):", showlegend=True)
    return finish(fig, title=title, x_title=None, y_title=None, height=140 + 110 * len(metrics))


def _sample(n: int) -> np.ndarray:
    """The examples a scatter draws: all of them, or a fixed random sample of :data:`_MAX_POINTS`."""
    if n <= _MAX_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, _MAX_POINTS, replace=False))


def predicted_vs_true_figure(data: RegressionData, names: Sequence[str]) -> go.Figure:
    """Predicted against true value for each model, with the line of perfect predictions."""
    shown = _sample(data.n_examples)
    y = data.y_true[shown]
    colors = model_colors(names)
    fig = go.Figure()
    for name, legend in zip(names, distinct_labels(names), strict=True):
        fig.add_trace(go.Scatter(x=y, y=data.model(name).y_pred[shown], mode="markers", name=legend,
                                 marker={"color": colors[name], "size": 6, "opacity": 0.6},
                                 hovertemplate="true %{x:.4g}<br>predicted %{y:.4g}<extra>" + legend + "</extra>"))
    low = float(min(y.min(), *(data.model(n).y_pred[shown].min() for n in names)))
    high = float(max(y.max(), *(data.model(n).y_pred[shown].max() for n in names)))
    fig.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines", name="perfect prediction",
                             line={"color": "#444444", "dash": "dash", "width": 1}, hoverinfo="skip"))
    note = f" (a random {len(shown):,} of {data.n_examples:,})" if len(shown) < data.n_examples else ""
    return finish(fig, title=f"Predicted against true value{note}", x_title="true value", y_title="predicted value",
                  height=520)


def residuals_figure(data: RegressionData, names: Sequence[str]) -> go.Figure:
    """The distribution of each model's residuals (predicted minus true)."""
    colors = model_colors(names)
    fig = go.Figure()
    for name, legend in zip(names, distinct_labels(names), strict=True):
        fig.add_trace(go.Histogram(x=data.model(name).y_pred - data.y_true, name=legend, opacity=0.55,
                                   marker={"color": colors[name]}, nbinsx=40))
    fig.update_layout(barmode="overlay")
    add_zero_line(fig)
    return finish(fig, title="Residuals (predicted − true)", x_title="residual; right of 0: predicted too high",
                  y_title="examples", height=420)


def error_change_figure(data: RegressionData, baseline: str, candidate: str) -> go.Figure:
    """How each example's absolute error changed: candidate's minus baseline's (right of 0: worse)."""
    change = np.abs(data.y_true - data.model(candidate).y_pred) - np.abs(data.y_true - data.model(baseline).y_pred)
    fig = go.Figure()
    for name, values, verdict in (("larger error (worse)", change[change > 0], "worse"),
                                  ("smaller error (better)", change[change < 0], "better")):
        fig.add_trace(go.Histogram(x=values, name=f"{name}: {values.size:,}", marker={"color": verdict_color(verdict)},
                                   opacity=0.8, nbinsx=30))
    fig.update_layout(barmode="overlay")
    add_zero_line(fig)
    return finish(fig, title=f"Change in absolute error, {label(candidate)} vs {label(baseline)}",
                  x_title="candidate's |error| − baseline's |error|; right of 0: worse", y_title="examples", height=420)
