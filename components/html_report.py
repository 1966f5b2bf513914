"""Exports of a :class:`evaluation.ComparisonReport`: one offline HTML document, a long CSV, JSON.

The HTML embeds plotly.js once (no network needed to open it) and every figure of
:mod:`components.charts`, with the same numbers in tables beside them. Every user-supplied text is
escaped: :func:`html.escape` in the document, the figures' own label helpers in the charts, and
:func:`evaluation.csv_safe` in the CSV (no cell a spreadsheet would run as a formula).

In the examples, ``report`` is a small binary comparison of ``base`` and ``finetuned`` (``components/conftest.py``).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from evaluation import (
    METRICS,
    Comparison,
    ComparisonReport,
    Difference,
    Estimate,
    GenerationReport,
    MonitorReport,
    RegressionReport,
    ShiftReport,
    csv_safe,
    format_number,
    format_p_value,
    regression_report_to_dict,
    report_to_dict,
    shorten,
    verdict_label,
    verdict_sentence,
)
from evaluation._abtest import ABTestReport

from . import charts
from .charts_common import metric_title

__all__ = [
    "CSV_COLUMNS",
    "PLAIN_CSS",
    "csv_number",
    "figure_div",
    "html_page",
    "leakage_html",
    "metrics_csv",
    "plain_table",
    "report_html",
    "report_json",
    "with_leakage",
]

CSV_COLUMNS: tuple[str, ...] = ("kind", "name", "metric", "class", "value", "ci_low", "ci_high", "p_value",
                                "p_value_adjusted", "test", "verdict", "method")
"""Columns of :func:`metrics_csv`; ``value`` is the difference on ``comparison`` rows."""

_MAX_CURVE_CLASSES = 3
_MAX_SLICE_ROWS = 30
_MAX_SLICE_COLUMNS = 6
PLAIN_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.7em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em;display:block;max-width:100%;overflow-x:auto}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left}th{background:#f4f4f4}
.warning{background:#fff4e5;border-left:4px solid #E69F00;padding:.5em 1em;margin:.4em 0}
"""
"""The style of the regression and generation reports' plain tables."""
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.7em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em;display:block;max-width:100%;overflow-x:auto}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.verdict{font-weight:600}.better{color:#007a59}.worse{color:#b34700}.muted{color:#777}
.warning{background:#fff4e5;border-left:4px solid #E69F00;padding:.5em 1em;margin:.4em 0}
.figure{margin:1em 0 2em}ul.verdicts li{margin:.4em 0}
"""


def _interval(low: float, high: float, *, signed: bool = False) -> str:
    return f"[{format_number(low, signed=signed)}, {format_number(high, signed=signed)}]"


def _estimate_cell(estimate: Estimate | None) -> str:
    if estimate is None or not math.isfinite(estimate.value):
        return "n/a"
    return f"{format_number(estimate.value)} {_interval(estimate.ci_low, estimate.ci_high)}"


def _verdict_cell(verdict: str) -> str:
    # A label may carry a note in brackets ("better (borderline: ...)"): its colour is its verdict's.
    word = verdict.split(" (")[0]
    css = "better" if word == "better" else "worse" if word == "worse" else "muted"
    mark = " ▲" if word == "better" else " ▼" if word == "worse" else ""
    return f'<span class="verdict {css}">{escape(verdict)}{mark}</span>'


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, raw: Sequence[int] = ()) -> str:
    """An HTML table; every cell is escaped except the columns in ``raw`` (already-built HTML)."""
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(
        f"<td>{cell}</td>" if i in raw else f'<td class="num">{escape(cell)}</td>' if _numeric(cell)
        else f"<td>{escape(cell)}</td>" for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def plain_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An HTML table of text cells, every one escaped (the task reports' tables)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure_div(fig: go.Figure, index: int) -> str:
    """A figure as a ``div`` with its data (``figure-<index>``), for a page whose head holds plotly.js."""
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"figure-{index}",
                       default_height=f"{fig.layout.height or 450}px", config={"displaylogo": False})


def _numeric(cell: str) -> bool:
    return cell[:1] in "+-0123456789[<" or cell == "n/a"


def _difference_row(head: list[str], d: Difference, *, verdict: str | None = None) -> list[str]:
    return [*head, format_number(d.difference, signed=True), _interval(d.ci_low, d.ci_high, signed=True),
            format_p_value(d.p_value), format_p_value(d.p_value_adjusted), d.test, _verdict_cell(verdict or verdict_label(d))]


class _Document:
    """Collects HTML parts and numbers each figure's div."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.figure_ids: list[str] = []

    def add(self, html: str) -> None:
        self.parts.append(html)

    def figure(self, fig: go.Figure) -> None:
        div_id = f"figure-{len(self.figure_ids) + 1}"
        self.figure_ids.append(div_id)
        height = fig.layout.height or 450
        self.parts.append('<div class="figure">' + fig.to_html(
            full_html=False, include_plotlyjs=False, div_id=div_id, default_height=f"{height}px",
            config={"displaylogo": False, "responsive": True}) + "</div>")


def _build(report: ComparisonReport) -> _Document:
    """Every section of the HTML report, in reading order."""
    doc = _Document()
    settings = report.settings
    level = round(settings.confidence * 100)
    names = list(report.models)
    candidates = ", ".join(c.candidate for c in report.comparisons) or "(no candidate)"
    doc.add(f"<h1>Model comparison: {escape(candidates)} vs {escape(report.baseline)}</h1>")
    doc.add(f"<p>{escape(report.task.capitalize())} task, {len(report.classes):,} classes, {report.n_examples:,} "
            f"paired examples. {level}% confidence intervals; verdicts at alpha {settings.alpha} after "
            f"{escape(settings.correction)} correction; {settings.resamples:,} bootstrap resamples, seed "
            f"{settings.seed}.</p>")
    doc.add("<h2>Verdict</h2><ul class='verdicts'>" + "".join(
        f"<li>{escape(verdict_sentence(c, report))}</li>" for c in report.comparisons) + "</ul>")
    if report.warnings:
        doc.add("<h2>Warnings</h2>" + "".join(f'<div class="warning">{escape(w)}</div>' for w in report.warnings))

    doc.add("<h2>Metrics</h2>")
    metrics = [m for m in METRICS if any(m in model.metrics for model in report.models.values())]
    metrics += [m for model in report.models.values() for m in model.metrics if m not in metrics]
    doc.add(_table(["metric", *(f"{name} [{level}% CI]" for name in names)],
                   [[metric_title(m) + ("" if m not in METRICS or METRICS[m].higher_is_better
                                        else " (lower is better)")]
                    + [_estimate_cell(report.models[name].metrics.get(m)) for name in names] for m in metrics]))
    doc.figure(charts.metric_intervals_figure(report))

    support = next(iter(report.models.values())).support if report.models else {}
    for comparison in report.comparisons:
        pair = f"{comparison.candidate} − {comparison.baseline}"
        short_pair = f"{shorten(comparison.candidate)} − {shorten(comparison.baseline)}"  # figure titles are plain
        doc.add(f"<h2>Differences: {escape(pair)}</h2>")
        header = ["metric", "difference", f"{level}% CI", "p", "p adjusted", "test", "verdict"]
        doc.add(_table(header, [_difference_row([metric_title(m)], d) for m, d in comparison.metrics.items()],
                       raw=(6,)))
        doc.figure(charts.difference_forest_figure(comparison, confidence=settings.confidence))
        if comparison.power is not None:
            power = comparison.power
            doc.add(f"<p>Minimum detectable accuracy difference at {power.power:.0%} power, alpha {power.alpha}: "
                    f"<b>{format_number(power.minimum_detectable_difference)}</b> (observed "
                    f"{format_number(power.observed_difference, signed=True)}). {escape(power.method)}.</p>")
        doc.add(f"<h3>Per class: {escape(pair)}</h3>")
        rows = [[label, f"{support.get(label, 0):,}"]
                + [f"{format_number(values[m].difference, signed=True)} "
                   f"{_interval(values[m].ci_low, values[m].ci_high, signed=True)}" for m in ("precision", "recall",
                                                                                             "f1")]
                + [_verdict_cell(verdict_label(values["recall"]))] for label, values in comparison.per_class.items()]
        doc.add(_table(["class", "support", "precision diff [CI]", "recall diff [CI]", "F1 diff [CI]",
                        "recall verdict (adjusted)"], rows, raw=(5,)))
        doc.figure(charts.per_class_difference_figure(comparison, "recall"))
        _slices(doc, comparison, report, level)
        if comparison.flips is not None:
            flips = comparison.flips
            doc.add(f"<h3>Flips: {escape(pair)}</h3><p>{flips.regressions:,} regressions (right before, wrong "
                    f"now) and {flips.improvements:,} improvements (wrong before, right now).</p>")
            doc.figure(charts.flips_figure(comparison))
        doc.figure(charts.confusion_difference_figure(report.classes, comparison.confusion_matrix_difference,
                                                      title=f"Confusion matrix change ({short_pair})"))

    doc.add("<h2>Per class, per model</h2>")
    doc.figure(charts.per_class_figure(report, "recall"))
    for name, model in report.models.items():
        doc.figure(charts.confusion_matrix_figure(model.confusion_matrix, normalized=True,
                                                  title=f"Confusion matrix of {shorten(name)} (share of each true class)"))
    _curves(doc, report)
    return doc


def _slices(doc: _Document, comparison: Comparison, report: ComparisonReport, level: int) -> None:
    """The slice table (worst first) and a forest plot per metadata column."""
    if not comparison.slices:
        return
    available = comparison.slices[0].metrics
    metric = report.settings.primary_metric if report.settings.primary_metric in available else next(iter(available))
    doc.add(f"<h3>Slices on {escape(metric_title(metric))}: {escape(comparison.candidate)} − "
            f"{escape(comparison.baseline)}</h3><p>Worst first; slices under the minimum size are marked and not "
            "tested.</p>")
    rows = []
    for entry in comparison.slices[:_MAX_SLICE_ROWS]:
        m = entry.metrics[metric]
        verdict = "too small (not tested)" if entry.insufficient else verdict_label(m.difference)
        rows.append(_difference_row([entry.column, entry.value, f"{entry.n:,}", format_number(m.baseline.value),
                                     format_number(m.candidate.value)], m.difference, verdict=verdict))
    doc.add(_table(["column", "value", "n", comparison.baseline, comparison.candidate, "difference", f"{level}% CI",
                    "p", "p adjusted", "test", "verdict"], rows, raw=(10,)))
    if len(comparison.slices) > _MAX_SLICE_ROWS:
        doc.add(f"<p class='muted'>{len(comparison.slices) - _MAX_SLICE_ROWS} more slices in the JSON export.</p>")
    columns = list(dict.fromkeys(entry.column for entry in comparison.slices))
    for column in columns[:_MAX_SLICE_COLUMNS]:
        doc.figure(charts.slice_forest_figure(comparison, column, metric))


def _curves(doc: _Document, report: ComparisonReport) -> None:
    """Curves for the positive class (binary) or the first few classes, and the reliability diagram."""
    if not any(model.thresholds for model in report.models.values()):
        doc.add("<h2>Curves and calibration</h2><p class='muted'>No probabilities in the prediction files: no "
                "precision-recall, ROC or calibration curves.</p>")
        return
    labels = [report.positive_label] if report.task == "binary" and report.positive_label else list(
        report.classes[:_MAX_CURVE_CLASSES])
    doc.add("<h2>Curves (one-vs-rest)</h2>")
    for label in labels:
        doc.figure(charts.pr_curve_figure(report, label))
        doc.figure(charts.roc_curve_figure(report, label))
        doc.figure(charts.threshold_metrics_figure(report, label))
    if any(model.calibration is not None for model in report.models.values()):
        doc.add("<h2>Calibration</h2>")
        doc.figure(charts.reliability_figure(report))


def report_html(report: ComparisonReport | RegressionReport | GenerationReport | ShiftReport | MonitorReport
                | ABTestReport) -> str:
    """One self-contained HTML document of the whole comparison, readable offline.

    plotly.js is embedded once in the head; every figure follows as a ``div`` with its data.

    Parameters
    ----------
    report:
        The engine's report.

    Returns
    -------
    str
        The document: verdicts, warnings, metric and difference tables, per-class and slice tables,
        flips, minimum detectable effect and every chart of :mod:`components.charts`.

    Examples
    --------
    >>> page = report_html(report)
    >>> page.startswith("<!DOCTYPE html>"), "<script src=" in page  # one file: plotly.js is inside
    (True, False)
    """
    if isinstance(report, GenerationReport):  # the generation task's own layout
        from .html_report_generation import generation_report_html

        return generation_report_html(report)
    if isinstance(report, RegressionReport):  # the regression task's own layout
        from .html_report_regression import regression_report_html

        return regression_report_html(report)
    if isinstance(report, ShiftReport):  # python -m evaluation shift --format html
        from .html_report_shift import shift_report_html

        return shift_report_html(report)
    if isinstance(report, MonitorReport):  # python -m evaluation monitor --format html
        from .html_report_monitor import monitor_report_html

        return monitor_report_html(report)
    if isinstance(report, ABTestReport):  # python -m evaluation abtest --format html
        from .html_report_abtest import abtest_report_html

        return abtest_report_html(report)
    doc = _build(report)
    return html_page(report.models, doc.parts)


def html_page(models: Iterable[str], parts: Sequence[str], *, css: str = _CSS) -> str:
    """One self-contained HTML document of a report's parts (plotly.js inside, so it works offline)."""
    title = escape(f"Model comparison: {', '.join(models)}")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{title}</title>"
            f"<style>{css}</style><script type='text/javascript'>{get_plotlyjs()}</script></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def csv_number(value: float) -> str:
    """A number as the CSV exports write it: full precision, empty when undefined."""
    return repr(float(value)) if value is not None and math.isfinite(value) else ""


def metrics_csv(report: ComparisonReport | RegressionReport | GenerationReport) -> str:
    """Every estimate and difference in long format, one row each (see :data:`CSV_COLUMNS`).

    Model rows (``kind="model"``, ``name`` the model) hold each headline and per-class estimate;
    comparison rows (``kind="comparison"``, ``name`` ``"<candidate> - <baseline>"``) each difference
    with its tests. ``class`` is empty for headline metrics; undefined numbers are empty cells. Text cells
    pass through :func:`evaluation.csv_safe`: a name starting with ``=``, ``+``, ``-`` or ``@`` is written
    with a leading ``'``, so a spreadsheet shows it instead of running it.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.read_csv(io.StringIO(metrics_csv(report)))
    >>> tuple(frame.columns) == CSV_COLUMNS, frame["kind"].unique().tolist()
    (True, ['model', 'comparison'])
    """
    if isinstance(report, GenerationReport):  # the generation task's own layout
        from .html_report_generation import generation_metrics_csv

        return generation_metrics_csv(report)
    if isinstance(report, RegressionReport):  # the regression task's own layout
        from .html_report_regression import regression_metrics_csv

        return regression_metrics_csv(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for name, model in report.models.items():
        items = [("", m, e) for m, e in model.metrics.items()]
        items += [(label, m, e) for label, values in model.per_class.items() for m, e in values.items()]
        for label, metric, e in items:  # numbers are written as numbers; every text cell through csv_safe
            writer.writerow(["model", csv_safe(name), csv_safe(metric), csv_safe(label), csv_number(e.value),
                             csv_number(e.ci_low), csv_number(e.ci_high), "", "", "", "", csv_safe(e.method)])
    for comparison in report.comparisons:
        name = f"{comparison.candidate} - {comparison.baseline}"
        diffs = [("", m, d) for m, d in comparison.metrics.items()]
        diffs += [(label, m, d) for label, values in comparison.per_class.items() for m, d in values.items()]
        for label, metric, d in diffs:
            writer.writerow(["comparison", csv_safe(name), csv_safe(metric), csv_safe(label), csv_number(d.difference),
                             csv_number(d.ci_low), csv_number(d.ci_high), csv_number(d.p_value),
                             csv_number(d.p_value_adjusted), csv_safe(d.test), csv_safe(verdict_label(d)),
                             csv_safe(d.method)])
    return out.getvalue()


def report_json(report: ComparisonReport | RegressionReport | GenerationReport) -> str:
    """The report as JSON (:func:`evaluation.report_to_dict`); NaN becomes ``null``, never ``NaN``.

    Examples
    --------
    >>> json.loads(report_json(report))["schema_version"]
    2
    """
    if isinstance(report, GenerationReport):
        from evaluation import generation_report_to_dict

        return json.dumps(generation_report_to_dict(report), allow_nan=False, indent=2)
    if isinstance(report, RegressionReport):
        return json.dumps(regression_report_to_dict(report), allow_nan=False, indent=2)
    return json.dumps(report_to_dict(report), allow_nan=False, indent=2)


def with_leakage(page: str, section: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    """An HTML report ``page`` with the leakage section (:func:`leakage_html`) at its end."""
    return page.replace("</body>", leakage_html(section, document) + "</body>", 1)


def leakage_html(section: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    """The leakage section (``compare --training-data``) of an HTML report: what leaked and each difference with and
    without the leaked examples (``document``: the report's JSON document)."""
    from evaluation._leakage import LEAKAGE_HEADER, leakage_sentences, leakage_table

    rows = leakage_table(section, document)
    return ("<section><h2>Leakage</h2>" + "".join(f"<p>{escape(sentence)}</p>" for sentence in leakage_sentences(section))
            + (_table(LEAKAGE_HEADER, rows) if rows else "") + "</section>")
