"""Results of monitoring (how is the model doing now?): frozen dataclasses, JSON and Markdown.

The computation is :mod:`evaluation._monitor`; ``docs/monitor.md`` documents every field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._format import format_number, format_p_value
from ._shift_report import ColumnDrift
from ._text import escape_markdown, markdown_cell

__all__ = ["Alert", "Estimated", "MetricDifference", "ModelReference", "ModelWindow", "MonitorReport", "WindowMetric",
           "WindowResult", "iso_time"]


def iso_time(microseconds: int, timezone: str | None) -> str:
    """ISO 8601 text of a time in microseconds since the epoch (``+00:00`` when the log's times were in a zone).

    >>> iso_time(0, None), iso_time(86_400_000_000, "UTC")
    ('1970-01-01T00:00:00', '1970-01-02T00:00:00+00:00')
    """
    text = str(np.datetime64(int(microseconds), "us"))
    if text.endswith(".000000"):
        text = text[:-7]
    return text + ("+00:00" if timezone else "")


@dataclass(frozen=True)
class WindowMetric:
    """A metric realised on a window's labelled rows (or on the test set), with its interval and test.

    Attributes
    ----------
    value, ci_low, ci_high:
        The metric and its interval (Wilson for accuracy, percentile bootstrap otherwise).
    std_error:
        Its bootstrap standard error (for accuracy the binomial one, ``sqrt(p(1-p)/n)``).
    n:
        The labelled rows it is computed on.
    p_value, p_value_adjusted:
        The two-sample test of this window's metric against the test set's, and its Holm
        adjustment across every window, model and metric (the alert family); ``NaN`` for the test set
        itself and where the metric is undefined.
    """

    value: float
    ci_low: float
    ci_high: float
    std_error: float
    n: int
    p_value: float = float("nan")
    p_value_adjusted: float = float("nan")


@dataclass(frozen=True)
class Estimated:
    """A label-free (confidence-based) estimate of a metric on a window's rows, with its interval."""

    value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class MetricDifference:
    """Shadow mode: candidate minus baseline on a window's labelled rows, paired.

    Attributes
    ----------
    value, ci_low, ci_high:
        The difference and its paired percentile-bootstrap interval.
    p_value, p_value_adjusted:
        McNemar's exact test (accuracy) or the paired bootstrap's normal test (the others), and Holm's
        adjustment across the windows and metrics.
    test:
        The test's name.
    verdict:
        ``"better"``, ``"worse"`` or ``"no significant difference"`` (the candidate's, at the adjusted p-value and
        alpha), ``"undefined"`` without a test.
    """

    value: float
    ci_low: float
    ci_high: float
    p_value: float
    p_value_adjusted: float
    test: str
    verdict: str


@dataclass(frozen=True)
class ModelWindow:
    """One model in one window.

    Attributes
    ----------
    metrics:
        Metric name -> :class:`WindowMetric`, realised on the labelled rows (empty without labelled rows).
    estimated:
        Metric name -> :class:`Estimated`, label-free on every row of the window; empty when not offered
        (see :attr:`estimated_note`).
    estimated_note:
        Why there is no estimate, or ``""``.
    drift:
        The model's prediction and confidence columns' drift against the test set.
    """

    metrics: Mapping[str, WindowMetric]
    estimated: Mapping[str, Estimated]
    estimated_note: str
    drift: tuple[ColumnDrift, ...]


@dataclass(frozen=True)
class WindowResult:
    """One window: ``[start, end)`` in microseconds since the epoch, its rows, each model's results, drift.

    Attributes
    ----------
    start, end:
        The window's bounds (``end`` exclusive).
    n, n_labelled:
        Rows, and rows whose label has arrived.
    models:
        Model name -> :class:`ModelWindow`.
    drift:
        The metadata columns' drift against the test set.
    difference:
        Shadow mode: metric name -> :class:`MetricDifference` (candidate minus baseline); else empty.
    """

    start: int
    end: int
    n: int
    n_labelled: int
    models: Mapping[str, ModelWindow]
    drift: tuple[ColumnDrift, ...]
    difference: Mapping[str, MetricDifference]


@dataclass(frozen=True)
class ModelReference:
    """The test set's estimates of one model: the reference band, and whether its calibration supports CBPE.

    Attributes
    ----------
    metrics:
        Metric name -> :class:`WindowMetric` on the test set.
    ece, ece_low, ece_high:
        Expected calibration error (top label, 15 bins) and its interval; ``NaN`` without probabilities.
    cbpe_supported:
        Whether ``ece_high`` is below the threshold, so label-free estimates are offered.
    note:
        Why not, when not.
    """

    metrics: Mapping[str, WindowMetric]
    ece: float
    ece_low: float
    ece_high: float
    cbpe_supported: bool
    note: str


@dataclass(frozen=True)
class Alert:
    """A window whose metric differs from the test set's beyond the family-wise error rate.

    ``direction`` is ``"worse"`` or ``"better"`` than the reference (in the metric's own direction).
    """

    window: int
    start: int
    model: str
    metric: str
    value: float
    reference: float
    p_value: float
    p_value_adjusted: float
    direction: str


@dataclass(frozen=True)
class MonitorReport:
    """Everything monitoring found.

    Attributes
    ----------
    production_files, reference_files:
        The files, one per model.
    models:
        The models' names, baseline first.
    window:
        The window specification as given (``1d``, ``1w``, ``1M`` or a number of rows).
    timezone:
        ``"UTC"`` when the log's times carried a zone, else ``None``.
    n, n_labelled:
        Production rows, and rows with a label.
    alpha, confidence, resamples, seed, drift_permutations, ece_threshold:
        The settings.
    reference:
        Model name -> :class:`ModelReference` (the test set's estimates).
    windows:
        The windows with rows, in time order.
    alerts:
        The alerts, in window order.
    method:
        How everything was computed, in words (the alert rule among it).
    warnings:
        What the reader must know to read the numbers right.
    task:
        ``"classification"`` or ``"regression"`` (no label-free estimate and no calibration error).
    """

    production_files: tuple[str, ...]
    reference_files: tuple[str, ...]
    models: tuple[str, ...]
    window: str
    timezone: str | None
    n: int
    n_labelled: int
    alpha: float
    confidence: float
    resamples: int
    seed: int
    drift_permutations: int
    ece_threshold: float
    reference: Mapping[str, ModelReference]
    windows: tuple[WindowResult, ...]
    alerts: tuple[Alert, ...]
    method: Mapping[str, str]
    warnings: tuple[str, ...] = field(default=())
    task: str = "classification"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dicts (NaN becomes ``None``), with ``kind: "monitor"``; see ``docs/monitor.md``."""
        from ._report import _clean

        zone = self.timezone
        windows = []
        for i, w in enumerate(self.windows):
            models = {}
            for name, m in w.models.items():
                entry: dict[str, Any] = {"metrics": _clean(dict(m.metrics)), "drift": _drift_dict(m.drift)}
                if m.estimated:
                    entry["estimated"] = _clean(dict(m.estimated))
                else:
                    if self.task != "classification":  # never offered: say so in both keys
                        entry["estimated"] = {}
                    entry["estimated_note"] = m.estimated_note
                models[name] = entry
            item: dict[str, Any] = {"index": i, "start": iso_time(w.start, zone), "end": iso_time(w.end, zone), "n": w.n,
                                    "n_labelled": w.n_labelled, "models": models, "drift": _drift_dict(w.drift)}
            if w.difference:
                item["difference"] = {"baseline": self.models[0], "candidate": self.models[1],
                                      "metrics": _clean(dict(w.difference))}
            windows.append(item)
        return {
            "kind": "monitor", "task": self.task, "production_files": list(self.production_files),
            "reference_files": list(self.reference_files), "models": list(self.models), "window": self.window,
            "timezone": zone, "n": self.n, "n_labelled": self.n_labelled,
            "settings": _clean({"alpha": self.alpha, "confidence": self.confidence, "resamples": self.resamples,
                                "seed": self.seed, "drift_permutations": self.drift_permutations,
                                "ece_threshold": self.ece_threshold}),
            "reference": {name: _clean({"metrics": dict(r.metrics), "expected_calibration_error": r.ece,
                                        "ece_ci_low": r.ece_low, "ece_ci_high": r.ece_high,
                                        "cbpe_supported": r.cbpe_supported, "note": r.note})
                          for name, r in self.reference.items()},
            "windows": windows,
            "alerts": [_clean({"window": a.window, "start": iso_time(a.start, zone), "model": a.model, "metric": a.metric,
                               "value": a.value, "reference": a.reference, "p_value": a.p_value,
                               "p_value_adjusted": a.p_value_adjusted, "direction": a.direction}) for a in self.alerts],
            "method": dict(self.method),
            "warnings": list(self.warnings),
        }

    def to_markdown(self) -> str:
        """A short Markdown report: the reference, one table per model over the windows, alerts, method."""
        return _markdown(self)


def _drift_dict(columns: tuple[ColumnDrift, ...]) -> dict[str, Any]:
    """A window's drift, compact: the drifted columns, and every column's effect size and adjusted p-value."""
    from ._report import _clean

    return {"drifted_columns": [c.column for c in columns if c.drifted],
            "columns": [_clean({"column": c.column, "statistic": c.statistic, "value": c.value,
                                "permutation_p_value_adjusted": c.permutation_p_value_adjusted,
                                "threshold": c.threshold, "drifted": c.drifted}) for c in columns]}


def _interval(value: float, low: float, high: float) -> str:
    """``0.912 (0.880 to 0.936)``."""
    return f"{format_number(value)} ({format_number(low)} to {format_number(high)})"


def _markdown(report: MonitorReport) -> str:
    """The report as Markdown."""
    zone = report.timezone
    classification = report.task == "classification"
    estimated_header, estimated_rule = (" estimated accuracy |", "---|") if classification else ("", "")
    lines = ["# Monitoring: how is it doing now?", "",
             f"Production: {escape_markdown(', '.join(report.production_files))} ({report.n:,} rows, "
             f"{report.n_labelled:,} labelled); reference (test set): {escape_markdown(', '.join(report.reference_files))}; "
             f"windows: {escape_markdown(report.window)} ({len(report.windows)} with rows).", ""]
    if report.alerts:
        lines += [f"**{len(report.alerts)} alert{'s' if len(report.alerts) != 1 else ''}** (family-wise error "
                  f"{report.alpha:g} over every window, model and metric, Holm):", ""]
        lines += [f"- window {a.window} ({iso_time(a.start, zone)}), {markdown_cell(a.model)}: {a.metric} "
                  f"{format_number(a.value)} against {format_number(a.reference)} on the test set, {a.direction} "
                  f"(p {format_p_value(a.p_value)}, Holm {format_p_value(a.p_value_adjusted)})" for a in report.alerts]
    else:
        lines.append(f"No alert: no window's metric differs from the test set's at family-wise error {report.alpha:g} "
                     "(Holm over every window, model and metric).")
    lines += ["", "## Reference (test set)", "", "| model | metric | value (interval) |", "|---|---|---|"]
    for name, ref in report.reference.items():
        for metric, value in ref.metrics.items():
            lines.append(f"| {markdown_cell(name)} | {metric} | {_interval(value.value, value.ci_low, value.ci_high)} |")
        if classification:
            lines.append(f"| {markdown_cell(name)} | expected calibration error | "
                         f"{_interval(ref.ece, ref.ece_low, ref.ece_high)} |")
    for name, ref in report.reference.items():
        if not ref.cbpe_supported and classification:
            lines += ["", f"{escape_markdown(name)}: no label-free estimate: {ref.note}."]
    if not classification:
        note = next(iter(report.reference.values())).note
        lines += ["", f"{note[:1].upper()}{note[1:]}."]
    for name in report.models:
        names = list(report.reference[name].metrics)
        lines += ["", f"## {escape_markdown(name)} per window", "",
                  "| window | start | n | labelled | " + " | ".join(names) + f" |{estimated_header} drifted |",
                  "|---:|---|---:|---:|" + "---|" * len(names) + f"{estimated_rule}---|"]
        for i, w in enumerate(report.windows):
            m = w.models[name]
            cells = [(_interval(m.metrics[k].value, m.metrics[k].ci_low, m.metrics[k].ci_high)
                      + (" **alert**" if m.metrics[k].p_value_adjusted <= report.alpha else ""))
                     if k in m.metrics else "n/a" for k in names]
            estimated = m.estimated.get("accuracy")
            drifted = [c.column for c in (*w.drift, *m.drift) if c.drifted]
            guess = ((_interval(estimated.value, estimated.ci_low, estimated.ci_high) if estimated else "n/a") + " | "
                     if classification else "")
            lines.append(f"| {i} | {iso_time(w.start, zone)} | {w.n:,} | {w.n_labelled:,} | " + " | ".join(cells) + " | "
                         + guess + f"{escape_markdown(', '.join(drifted)) or 'none'} |")
    if len(report.models) == 2:
        first: Mapping[str, MetricDifference] = next((w.difference for w in report.windows if w.difference), {})
        shown = list(first)
        lines += ["", f"## {escape_markdown(report.models[1])} minus {escape_markdown(report.models[0])} (shadow mode, "
                  "paired)", "", "| window | " + " | ".join(shown) + " |", "|---:|" + "---|" * len(shown)]
        for i, w in enumerate(report.windows):
            cells = [(_interval(w.difference[k].value, w.difference[k].ci_low, w.difference[k].ci_high)
                      + f", p (Holm) {format_p_value(w.difference[k].p_value_adjusted)}, {w.difference[k].verdict}")
                     if k in w.difference else "n/a"
                     for k in shown]
            lines.append(f"| {i} | " + " | ".join(cells) + " |")
    lines += ["", "## Method", "", *(f"- {name}: {text}." for name, text in report.method.items())]
    if report.warnings:
        lines += ["", "## Warnings", "", *(f"- {escape_markdown(w)}" for w in report.warnings)]
    return "\n".join(lines) + "\n"
