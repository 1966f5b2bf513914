"""Figures drawn from probabilities: precision-recall and ROC curves, metrics versus threshold, calibration.

In the examples, ``report`` is a small binary comparison of ``base`` and ``finetuned`` (``components/conftest.py``).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evaluation import ComparisonReport, ThresholdCurve

from .charts_common import distinct_labels, finish, fmt, hover_label, interval_text, message_figure
from .charts_common import label as short_label
from .palette import model_colors

__all__ = ["pr_curve_figure", "reliability_figure", "roc_curve_figure", "threshold_metrics_figure"]

_NO_SCORES = ("No probabilities in the prediction files, so there is no {what}.<br>"
              "Add a probability (score) column per class to see it.")
_POINT_NAMES = {"best_f1": "best F1"}
_METRIC_DASH = {"precision": "solid", "recall": "dash", "f1": "dot"}


def _curves(report: ComparisonReport, label: str, title: str, what: str) -> dict[str, ThresholdCurve] | go.Figure:
    """Every model's curve for ``label``, or a figure explaining why there is none."""
    curves = {name: model.thresholds[label] for name, model in report.models.items() if label in model.thresholds}
    if curves:
        return curves
    if not any(model.thresholds for model in report.models.values()):
        return message_figure(title, _NO_SCORES.format(what=what))
    known = sorted({key for model in report.models.values() for key in model.thresholds})
    note = (f" Binary tasks have curves for the positive class {short_label(repr(report.positive_label))} only."
            if report.task == "binary" else "")
    return message_figure(title, f"No {what} for class {short_label(repr(label))}.{note}<br>Classes with curves: "
                                 f"{short_label(', '.join(known), 200)}.")


def _point_hover(head: str, threshold: float, precision: float, recall: float, f1: float, fpr: float) -> str:
    return (f"<b>{head}</b><br>threshold: {fmt(threshold)}<br>precision: {fmt(precision)}<br>recall (TPR): "
            f"{fmt(recall)}<br>F1: {fmt(f1)}<br>false-positive rate: {fmt(fpr)}")


def _curve_hover(name: str, curve: ThresholdCurve) -> dict:
    """Per-point hover as compact ``customdata`` and one template (curves have hundreds of points)."""
    data = np.column_stack([curve.thresholds, curve.precision, curve.recall, curve.f1, curve.false_positive_rate])
    # hover_label writes % as an entity, so a name never reads as a %{…} placeholder.
    template = (f"<b>{hover_label(name)}</b><br>threshold: %{{customdata[0]:.3f}}<br>precision: "
                "%{customdata[1]:.3f}<br>recall (TPR): %{customdata[2]:.3f}<br>F1: %{customdata[3]:.3f}<br>"
                "false-positive rate: %{customdata[4]:.3f}<extra></extra>")
    return {"customdata": data.astype(np.float32), "hovertemplate": template}


def _nearest(curve: ThresholdCurve, threshold: float) -> int | None:
    """Index of the curve threshold nearest to ``threshold`` (None when the curve has no finite threshold)."""
    values = np.asarray(curve.thresholds, dtype=float)
    finite = np.isfinite(values)
    if not finite.any() or not math.isfinite(threshold):
        return None
    return int(np.argmin(np.where(finite, np.abs(values - threshold), np.inf)))


def _curve_figure(report: ComparisonReport, label: str, threshold: float | None, *, roc: bool) -> go.Figure:
    """A precision-recall (``roc=False``) or ROC curve per model, operating points and the chosen threshold."""
    what = "ROC curve" if roc else "precision-recall curve"
    title = f"{'ROC' if roc else 'Precision-recall'} curve, class {short_label(label)} vs rest"
    found = _curves(report, label, title, what)
    if isinstance(found, go.Figure):
        return found
    colors = model_colors(report.models)
    names = dict(zip(report.models, distinct_labels(list(report.models)), strict=True))
    summary = "roc_auc" if roc else "average_precision"
    fig = go.Figure()
    if roc:
        fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", hoverinfo="skip",
                                 line={"color": "#9E9E9E", "dash": "dot", "width": 1}))
    else:
        support = next(iter(report.models.values())).support.get(label, 0)
        prevalence = support / report.n_examples if report.n_examples else float("nan")
        if math.isfinite(prevalence):
            fig.add_trace(go.Scatter(x=[0, 1], y=[prevalence, prevalence], mode="lines", hoverinfo="skip",
                                     name=f"chance (prevalence {fmt(prevalence)})",
                                     line={"color": "#9E9E9E", "dash": "dot", "width": 1}))
    for name, curve in found.items():
        x = curve.false_positive_rate if roc else curve.recall
        y = curve.recall if roc else curve.precision
        estimate = report.models[name].metrics.get(summary)
        # The headline AUC/AP is this class's only in a binary task (multiclass: a macro average).
        show_summary = estimate is not None and report.task == "binary" and label == report.positive_label
        legend = names[name] + (f" ({'AUC' if roc else 'AP'} {fmt(estimate.value)})" if show_summary and estimate
                                else "")
        fig.add_trace(go.Scatter(x=np.asarray(x, dtype=float), y=np.asarray(y, dtype=float), mode="lines",
                                 name=legend, legendgroup=names[name], line={"color": colors[name], "width": 2},
                                 **_curve_hover(name, curve)))
        points = [p for p in curve.operating_points if p.met and math.isfinite(p.threshold)]
        if points:
            fig.add_trace(go.Scatter(
                x=[p.false_positive_rate if roc else p.recall for p in points],
                y=[p.recall if roc else p.precision for p in points], mode="markers",
                name=f"{names[name]}: operating points", legendgroup=names[name],
                marker={"color": colors[name], "size": 13, "line": {"color": "white", "width": 1},
                        "symbol": ["star" if p.name == "best_f1" else "diamond" for p in points]},
                hovertext=[_point_hover(f"{hover_label(name)}: {_POINT_NAMES.get(p.name, p.name)}", p.threshold, p.precision,
                                        p.recall, p.f1, p.false_positive_rate) for p in points], hoverinfo="text"))
        index = None if threshold is None else _nearest(curve, threshold)
        if index is not None:
            fig.add_trace(go.Scatter(
                x=[x[index]], y=[y[index]], mode="markers", name=f"{names[name]}: at threshold {fmt(threshold)}",
                legendgroup=names[name], marker={"color": colors[name], "size": 16, "symbol": "circle-open",
                                          "line": {"width": 3}},
                hovertext=[_point_hover(f"{hover_label(name)} at threshold {fmt(threshold)} (nearest on the curve)",
                                        curve.thresholds[index], curve.precision[index], curve.recall[index],
                                        curve.f1[index], curve.false_positive_rate[index])], hoverinfo="text"))
    fig.update_xaxes(range=[-0.02, 1.02], constrain="domain")
    fig.update_yaxes(range=[-0.02, 1.02])
    subtitle = "<br><sup>★ best F1 · ◆ target precision/recall · ○ chosen threshold</sup>"
    if roc:
        return finish(fig, title=title + subtitle, x_title="false-positive rate (share of negatives flagged)",
                      y_title="true-positive rate (recall)", height=520, legend="right")
    return finish(fig, title=title + subtitle, x_title="recall (share of class found)",
                  y_title="precision (share of flagged that are the class)", height=520, legend="right")


def pr_curve_figure(report: ComparisonReport, label: str, *, threshold: float | None = None) -> go.Figure:
    """Every model's one-vs-rest precision-recall curve for one class, with operating points.

    Parameters
    ----------
    report:
        The engine's report.
    label:
        The class (binary: the positive class).
    threshold:
        When given, each model's point at the curve threshold nearest to it is circled.

    Returns
    -------
    go.Figure
        A ``lines`` trace per model named after it (binary: with its average precision), a marker trace
        of its operating points (★ best F1), the no-skill prevalence line; an explanatory annotation
        instead when the report has no probabilities or no curve for ``label``.

    Examples
    --------
    >>> fig = pr_curve_figure(report, report.positive_label, threshold=0.5)
    >>> fig.layout.xaxis.title.text, fig.layout.yaxis.title.text
    ('recall (share of class found)', 'precision (share of flagged that are the class)')
    """
    return _curve_figure(report, label, threshold, roc=False)


def roc_curve_figure(report: ComparisonReport, label: str, *, threshold: float | None = None) -> go.Figure:
    """Every model's one-vs-rest ROC curve for one class, with operating points and the chance diagonal.

    Parameters
    ----------
    report:
        The engine's report.
    label:
        The class (binary: the positive class).
    threshold:
        When given, each model's point at the curve threshold nearest to it is circled.

    Returns
    -------
    go.Figure
        As :func:`pr_curve_figure`, with false-positive rate on ``x`` and recall on ``y``.

    Examples
    --------
    >>> [trace.name for trace in roc_curve_figure(report, "1").data]
    ['chance', 'base (AUC 0.910)', 'base: operating points', 'finetuned (AUC 0.989)', 'finetuned: operating points']
    """
    return _curve_figure(report, label, threshold, roc=True)


def threshold_metrics_figure(report: ComparisonReport, label: str, *, threshold: float | None = None) -> go.Figure:
    """Precision, recall and F1 of one class versus the decision threshold, for every model.

    Parameters
    ----------
    report:
        The engine's report.
    label:
        The class (binary: the positive class).
    threshold:
        When given, a vertical line marks it.

    Returns
    -------
    go.Figure
        Three traces per model named ``"<model>: precision"``, ``": recall"``, ``": F1"`` (colour per model,
        line style per metric); an explanatory annotation instead without probabilities.

    Examples
    --------
    >>> fig = threshold_metrics_figure(report, report.positive_label, threshold=0.5)
    >>> [trace.name for trace in fig.data][:3]
    ['base: precision', 'base: recall', 'base: F1']
    """
    title = f"Precision, recall and F1 versus threshold, class {short_label(label)} vs rest"
    found = _curves(report, label, title, "threshold curve")
    if isinstance(found, go.Figure):
        return found
    colors = model_colors(report.models)
    names = dict(zip(report.models, distinct_labels(list(report.models)), strict=True))
    fig = go.Figure()
    for name, curve in found.items():
        for metric, values in (("precision", curve.precision), ("recall", curve.recall), ("f1", curve.f1)):
            fig.add_trace(go.Scatter(
                x=np.asarray(curve.thresholds, dtype=float), y=np.asarray(values, dtype=float), mode="lines",
                legendgroup=names[name], name=f"{names[name]}: {'F1' if metric == 'f1' else metric}",
                line={"color": colors[name], "dash": _METRIC_DASH[metric], "width": 2},
                hovertemplate="%{y:.3f}"))
    if threshold is not None and math.isfinite(threshold):
        fig.add_vline(x=threshold, line={"color": "#444444", "width": 1.5},
                      annotation_text=f"threshold {fmt(threshold)}", annotation_position="top")
    fig.update_yaxes(range=[-0.02, 1.05])
    fig.update_layout(hovermode="x unified")
    fig.update_xaxes(hoverformat=".3f")
    return finish(fig, title=title + "<br><sup>solid: precision · dashed: recall · dotted: F1</sup>",
                  x_title=f"threshold on the score of class {short_label(label)} (predict it when score ≥ threshold)",
                  y_title="metric value (0 to 1)", height=480, legend="right")


def reliability_figure(report: ComparisonReport) -> go.Figure:
    """Reliability diagram per model: accuracy against mean top-label confidence per bin, bin counts below.

    Parameters
    ----------
    report:
        The engine's report.

    Returns
    -------
    go.Figure
        Top panel: the diagonal of perfect calibration and a ``lines+markers`` trace per model (empty
        bins left out) named ``"<model> (ECE …)"``; bottom panel: a bar trace of bin counts per model.
        An explanatory annotation instead when no model has probabilities.

    Examples
    --------
    >>> [trace.name for trace in reliability_figure(report).data if "ECE" not in trace.name]
    ['perfect calibration', 'base: examples per bin', 'finetuned: examples per bin']
    """
    title = "Calibration: accuracy versus confidence"
    calibrated = {name: model for name, model in report.models.items() if model.calibration is not None}
    if not calibrated:
        return message_figure(title, _NO_SCORES.format(what="reliability diagram"))
    colors = model_colors(report.models)
    names = dict(zip(report.models, distinct_labels(list(report.models)), strict=True))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.06)
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration", hoverinfo="skip",
                             line={"color": "#9E9E9E", "dash": "dot", "width": 1}), row=1, col=1)
    for name, model in calibrated.items():
        curve = model.calibration
        assert curve is not None  # filtered above
        filled = [i for i, count in enumerate(curve.count) if count > 0]
        ece = model.metrics.get("expected_calibration_error")
        ece_text = fmt(curve.ece) + ("" if ece is None else f" {interval_text(ece.ci_low, ece.ci_high)}")
        head = hover_label(name)
        hovers = [f"<b>{head}</b><br>confidence bin: ({fmt(curve.lower[i])}, {fmt(curve.upper[i])}]<br>"
                  f"mean confidence: {fmt(curve.mean_confidence[i])}<br>accuracy: {fmt(curve.accuracy[i])}<br>"
                  f"examples: {curve.count[i]:,}" for i in filled]
        fig.add_trace(go.Scatter(
            x=[curve.mean_confidence[i] for i in filled], y=[curve.accuracy[i] for i in filled],
            mode="lines+markers", name=f"{names[name]} (ECE {ece_text})", legendgroup=names[name],
            line={"color": colors[name], "width": 2}, marker={"color": colors[name], "size": 8},
            hovertext=hovers, hoverinfo="text"), row=1, col=1)
        centres = [(low + high) / 2 for low, high in zip(curve.lower, curve.upper, strict=True)]
        fig.add_trace(go.Bar(x=centres, y=list(curve.count), name=f"{names[name]}: examples per bin",
                             legendgroup=names[name],
                             showlegend=False, marker_color=colors[name],
                             hovertext=[f"<b>{head}</b><br>bin ({fmt(lo)}, {fmt(hi)}]<br>examples: {c:,}"
                                        for lo, hi, c in zip(curve.lower, curve.upper, curve.count, strict=True)],
                             hoverinfo="text"), row=2, col=1)
    fig.update_layout(barmode="group", bargap=0.1)
    fig.update_xaxes(range=[0, 1.0])
    fig.update_yaxes(range=[-0.02, 1.02], title_text="accuracy (share correct)", row=1, col=1)
    fig.update_yaxes(title_text="examples per bin", row=2, col=1)
    fig.update_xaxes(title_text="mean confidence (top-label probability)", row=2, col=1)
    return finish(fig, title=title + "<br><sup>on the diagonal: confidence matches accuracy · below: "
                  "over-confident</sup>", x_title=None, y_title=None, height=620, legend="right")
