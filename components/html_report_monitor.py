"""The HTML report of ``python -m evaluation monitor``: the Monitoring page's headline and charts with the report's tables.

One self-contained page (plotly.js inside): the dashboard's headline sentence, the alerts, one chart per metric over
the windows (:func:`components.charts_monitor.metric_figure`: realised values, label-free estimates, the test set's
band, alerts), the reference (test set) table, each model's table per window, the drift heatmap, in shadow mode the
paired differences, and the method notes. Intervals are written as the Markdown report writes them.

The headline, the metrics drawn and the alerts' table are the dashboard's own (:mod:`components.monitor_text`), so the
page and the Monitoring page say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from evaluation import MonitorReport, format_p_value, iso_time
from evaluation._monitor_report import MetricDifference, _interval

from . import charts_monitor
from .charts_common import metric_title
from .html_report import PLAIN_CSS, figure_div, html_page, plain_table
from .monitor_text import alerts_frame, headline_sentence, metrics_shown

__all__ = ["monitor_report_html"]

_CSS = PLAIN_CSS + """
.wide{overflow-x:auto}.wide td:nth-child(-n+2){white-space:nowrap}
"""
_CALENDAR = ("1d", "1w", "1M")


def _wide(table: str) -> str:
    """A table of many columns: its window and start never wrap, and it scrolls sideways on a narrow screen."""
    return f'<div class="wide">{table}</div>'


def _cell(value: float, low: float, high: float) -> str:
    """:func:`_interval`'s text (as the Markdown report writes it) that wraps only before its interval."""
    return _interval(value, low, high).replace(" to ", "\u00a0to\u00a0")


def _start(report: MonitorReport, start: int) -> str:
    """A window's start: its date for calendar windows (they start at midnight), the full time for N-row windows."""
    text = iso_time(start, report.timezone)
    return text[:10] if report.window in _CALENDAR else text


def _alerts(report: MonitorReport) -> list[str]:
    """The alerts' table (the dashboard's), or that no window differs (the headline above has said there is none)."""
    family = f"family-wise error {report.alpha:g} over every window, model and metric, Holm"
    if not report.alerts:
        return ["<p>None: no window's metric differs from the test set's beyond the family-wise error rate.</p>"]
    frame = alerts_frame(report)
    count = len(report.alerts)
    return [f"<p>{count} alert{'s' if count != 1 else ''} ({family}):</p>",
            plain_table([str(c) for c in frame.columns], frame.astype(str).values.tolist())]


def _reference(report: MonitorReport) -> list[str]:
    """The test set's estimates (the band of every chart) and why a model has no label-free estimate (regression: why
    there never is one)."""
    classification = report.task == "classification"
    rows = []
    for name, ref in report.reference.items():
        rows += [[name, metric_title(metric), _interval(value.value, value.ci_low, value.ci_high)]
                 for metric, value in ref.metrics.items()]
        if classification:
            rows.append([name, "expected calibration error", _interval(ref.ece, ref.ece_low, ref.ece_high)])
    if classification:
        notes = [f"<p>{escape(name)}: no label-free estimate: {escape(ref.note)}.</p>"
                 for name, ref in report.reference.items() if not ref.cbpe_supported]
    else:
        note = next(iter(report.reference.values())).note
        notes = [f"<p>{escape(note[:1].upper() + note[1:])}.</p>"]
    return ["<h2>Reference (test set)</h2>", "<p>The shaded band of each chart: the test set's estimate and its "
            "interval.</p>", plain_table(["model", "metric", "value (interval)"], rows), *notes]


def _per_window(report: MonitorReport, name: str) -> list[str]:
    """One model's table over the windows: each metric with its interval (alerts marked), the label-free estimate of
    accuracy (classification), drift."""
    classification = report.task == "classification"
    names = list(report.reference[name].metrics)
    rows = []
    for i, w in enumerate(report.windows):
        m = w.models[name]
        cells = [(_cell(m.metrics[k].value, m.metrics[k].ci_low, m.metrics[k].ci_high)
                  + (" alert" if m.metrics[k].p_value_adjusted <= report.alpha else "")) if k in m.metrics else "n/a"
                 for k in names]
        estimated = m.estimated.get("accuracy")
        guess = [_cell(estimated.value, estimated.ci_low, estimated.ci_high) if estimated else "n/a"]
        drifted = [c.column for c in (*w.drift, *m.drift) if c.drifted]
        rows.append([charts_monitor.window_name(report, i), _start(report, w.start), f"{w.n:,}",
                     f"{w.n_labelled:,}", *cells, *(guess if classification else []), ", ".join(drifted) or "none"])
    return [f"<h2>{escape(name)} per window</h2>",
            _wide(plain_table(["window", "start", "n", "labelled", *(metric_title(k) for k in names),
                               *(["estimated accuracy"] if classification else []), "drifted"], rows))]


def _shadow(report: MonitorReport, first_figure: int) -> list[str]:
    """Shadow mode: candidate minus baseline per window, paired, with Holm's p-value and verdict; a chart per metric
    (numbered from ``first_figure``)."""
    first: Mapping[str, MetricDifference] = next((w.difference for w in report.windows if w.difference), {})
    shown = list(first)
    rows = []
    for i, w in enumerate(report.windows):
        cells = []
        for k in shown:
            d = w.difference.get(k)
            cells += ([_cell(d.value, d.ci_low, d.ci_high), f"{format_p_value(d.p_value_adjusted)}, {d.verdict}"]
                      if d is not None else ["n/a", "n/a"])
        rows.append([charts_monitor.window_name(report, i), _start(report, w.start), *cells])
    baseline, candidate = report.models
    return [f"<h2>{escape(candidate)} minus {escape(baseline)} (shadow mode, paired)</h2>",
            "<p>On each window's labelled rows, the same rows and bootstrap weights for both models; n/a where no label "
            "has arrived.</p>",
            *(figure_div(charts_monitor.difference_figure(report, k), first_figure + i) for i, k in enumerate(shown)),
            _wide(plain_table(["window", "start", *(h for k in shown for h in (metric_title(k), "p (Holm), verdict"))],
                              rows))]


def monitor_report_html(report: MonitorReport) -> str:
    """One self-contained HTML document of a monitoring report, readable offline.

    Parameters
    ----------
    report:
        From :func:`evaluation.analyze_monitor`.

    Returns
    -------
    str
        The document: headline, warnings, alerts, a chart per metric, the reference, a table per model, the drift
        heatmap, the shadow-mode differences (two models) and the method.

    Examples
    --------
    >>> from evaluation import analyze_monitor, read_monitor
    >>> data = read_monitor(["data/demo/monitor_production.csv"], ["data/demo/monitor_test.csv"], names=["base"])
    >>> page = monitor_report_html(analyze_monitor(data, "1w", resamples=50, drift_permutations=0))
    >>> page.startswith("<!DOCTYPE html>"), "<h2>base per window</h2>" in page
    (True, True)
    """
    files = ", ".join(f"{name}: {production} against {reference}" for name, production, reference
                      in zip(report.models, report.production_files, report.reference_files, strict=True))
    parts = ["<h1>Monitoring: how is it doing now?</h1>",
             f"<p>{escape(files)} · {report.n:,} production rows, {report.n_labelled:,} labelled · windows: "
             f"{escape(report.window)} ({len(report.windows)} with rows).</p>",
             f"<p><strong>{escape(headline_sentence(report))}</strong></p>"]
    parts += [f'<div class="warning">{escape(w)}</div>' for w in report.warnings]
    parts += ["<h2>Alerts</h2>", *_alerts(report), "<h2>Metrics per window</h2>"]
    figures = [charts_monitor.metric_figure(report, metric) for metric in metrics_shown(report)]
    parts += [figure_div(figure, i) for i, figure in enumerate(figures, start=1)]
    parts += _reference(report)
    for name in report.models:
        parts += _per_window(report, name)
    parts += ["<h2>Drift</h2>", figure_div(charts_monitor.drift_figure(report), len(figures) + 1)]
    if len(report.models) == 2:
        parts += _shadow(report, len(figures) + 2)
    parts += ["<h2>Method</h2>", "<ul>" + "".join(f"<li>{escape(name)}: {escape(text)}.</li>"
                                                 for name, text in report.method.items()) + "</ul>"]
    return html_page(report.models, parts, css=_CSS)
