"""The monitoring report's sentences and tables, pure functions of a :class:`~evaluation.MonitorReport` (no streamlit):
the Monitoring page and the ``monitor --format html`` page say the same thing."""

from __future__ import annotations

import pandas as pd

import evaluation
from evaluation import MonitorReport, format_number, format_p_value, iso_time

from . import charts_monitor

__all__ = ["alerts_frame", "headline_sentence", "metrics_shown"]


def _p(value: float) -> str:
    text = format_p_value(value)
    return f"p {text}" if text.startswith(("<", ">")) else f"p = {text}"


def headline_sentence(report: MonitorReport) -> str:
    """What a stakeholder reads first (plain text): each alerting model's first alert, or that there is none.

    The first alert of a model is its earliest alerting window, on accuracy when that window alerts on it.
    """
    windows = len(report.windows)
    family = (f"family-wise error {report.alpha:g} controlled with Holm over every window, model and metric")
    if not report.alerts:
        return f"No alerts in {windows} window{'s' if windows != 1 else ''} ({family})."
    said = []
    for name in report.models:
        alerts = [a for a in report.alerts if a.model == name]
        if not alerts:
            continue
        first = min(a.window for a in alerts)
        chosen = [a for a in alerts if a.window == first]
        alert = next((a for a in chosen if a.metric == "accuracy"), chosen[0])
        said.append(f"{name}: alert in {charts_monitor.window_name(report, alert.window)} (from "
                    f"{iso_time(alert.start, report.timezone)[:10]}) on {evaluation.metric_title(alert.metric).lower()} "
                    f"{format_number(alert.value)} against {format_number(alert.reference)} on the test set, "
                    f"{alert.direction} (Holm-adjusted {_p(alert.p_value_adjusted)})")
    count = len(report.alerts)
    return "; ".join(said) + f". {count} alert{'s' if count != 1 else ''} in {windows} windows ({family})."


def metrics_shown(report: MonitorReport) -> list[str]:
    """The metrics the chart can draw: the test set's that some window realises (log loss and the Brier score need
    probabilities in production too); the test set's when no window has labels."""
    reference = list(report.reference[report.models[0]].metrics)
    realised = [m for m in reference if any(m in w.models[name].metrics for w in report.windows for name in report.models)]
    return realised or reference


def alerts_frame(report: MonitorReport) -> pd.DataFrame:
    """One row per alert, in window order: window, start, model, metric, value, test set, direction, p-values."""
    return pd.DataFrame([{
        "window": charts_monitor.window_name(report, a.window), "from": iso_time(a.start, report.timezone),
        "model": a.model, "metric": evaluation.metric_title(a.metric), "value": format_number(a.value),
        "test set": format_number(a.reference), "direction": a.direction, "p": format_p_value(a.p_value),
        "p (Holm)": format_p_value(a.p_value_adjusted)} for a in report.alerts],
        columns=["window", "from", "model", "metric", "value", "test set", "direction", "p", "p (Holm)"])
