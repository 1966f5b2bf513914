"""Exports of a :class:`evaluation.RegressionReport`: one offline HTML document and a long CSV.

The same conventions as :mod:`components.html_report`: plotly.js embedded once, every figure beside
the numbers in tables, user text escaped (:func:`html.escape`, the charts' label helpers,
:func:`evaluation.csv_safe`).
"""

from __future__ import annotations

import csv
import io
from html import escape

from evaluation import (
    RegressionReport,
    csv_safe,
    format_number,
    regression_verdict_sentence,
    statistics_of,
    verdict_label,
)

from . import charts, charts_regression
from .html_report import CSV_COLUMNS, PLAIN_CSS, csv_number, figure_div, html_page, plain_table

__all__ = ["regression_metrics_csv", "regression_report_html"]

_MAX_SLICE_ROWS = 30


def _title(metric: str) -> str:
    return statistics_of("regression")[metric].title


def _p(p: float) -> str:
    return format_number(p, digits=4)


def regression_report_html(report: RegressionReport) -> str:
    """One self-contained HTML document of a regression comparison, readable offline."""
    settings = report.settings
    level = round(settings.confidence * 100)
    parts = [f"<h1>Model comparison (regression): {escape(', '.join(report.models))}</h1>",
             f"<p>{report.n_examples:,} paired examples · baseline {escape(report.baseline)} · {level}% intervals · alpha "
             f"{settings.alpha} ({escape(settings.correction)} correction) · {settings.resamples:,} resamples</p>",
             "<h2>Verdict</h2><ul>" + "".join(f"<li>{escape(regression_verdict_sentence(c, report))}</li>"
                                              for c in report.comparisons) + "</ul>"]
    parts += [f'<div class="warning">{escape(w)}</div>' for w in report.warnings]
    figures = [charts_regression.regression_metrics_figure(report)]
    metrics = list(statistics_of("regression"))
    parts.append("<h2>Metrics</h2>" + plain_table(["model", *[_title(m) for m in metrics]], [
        [name] + [f"{format_number(e.value)} [{format_number(e.ci_low)}, {format_number(e.ci_high)}]"
                  for e in (model.metrics[m] for m in metrics)] for name, model in report.models.items()]))
    parts.append("FIGURE")
    for comparison in report.comparisons:
        parts.append(f"<h2>{escape(comparison.candidate)} minus {escape(comparison.baseline)}</h2>")
        parts.append(plain_table(["metric", "baseline", "candidate", "difference", f"{level}% CI", "test", "p", "p adjusted",
                             "verdict"], [
            [_title(m), format_number(d.baseline_value), format_number(d.candidate_value),
             format_number(d.difference, signed=True),
             f"[{format_number(d.ci_low, signed=True)}, {format_number(d.ci_high, signed=True)}]", d.test, _p(d.p_value),
             _p(d.p_value_adjusted), verdict_label(d)] for m, d in comparison.metrics.items()]))
        figures.append(charts_regression.regression_difference_figure(comparison, confidence=settings.confidence))
        parts.append("FIGURE")
        primary = settings.primary_metric
        rows = [[s.column, s.value, f"{s.n:,}", format_number(s.metrics[primary].baseline.value),
                 format_number(s.metrics[primary].candidate.value),
                 format_number(s.metrics[primary].difference.difference, signed=True),
                 _p(s.metrics[primary].difference.p_value_adjusted), verdict_label(s.metrics[primary].difference)]
                for s in comparison.slices[:_MAX_SLICE_ROWS]]
        if rows:
            parts.append(f"<h3>Slices ({escape(_title(primary))}, worst first)</h3>" + plain_table(
                ["column", "value", "n", "baseline", "candidate", "difference", "p adjusted", "verdict"], rows))
            for column in list(dict.fromkeys(s.column for s in comparison.slices))[:6]:
                figures.append(charts.slice_forest_figure(comparison, column, primary))
                parts.append("FIGURE")
        if comparison.flips is not None:
            f = comparison.flips
            parts.append(f"<p>Absolute error larger for {f.worse:,} examples, smaller for {f.better:,}, unchanged for "
                         f"{f.unchanged:,}.</p>")
    body, index = [], 0
    for part in parts:
        if part == "FIGURE":
            fig = figures[index]
            index += 1
            body.append(figure_div(fig, index))
        else:
            body.append(part)
    return html_page(report.models, body, css=PLAIN_CSS)


def regression_metrics_csv(report: RegressionReport) -> str:
    """Every estimate and difference in the long format of :data:`components.html_report.CSV_COLUMNS`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for name, model in report.models.items():
        for metric, e in model.metrics.items():
            writer.writerow(["model", csv_safe(name), metric, "", csv_number(e.value), csv_number(e.ci_low),
                             csv_number(e.ci_high), "", "", "", "", e.method])
    for comparison in report.comparisons:
        pair = csv_safe(f"{comparison.candidate} - {comparison.baseline}")
        for metric, d in comparison.metrics.items():
            writer.writerow(["comparison", pair, metric, "", csv_number(d.difference), csv_number(d.ci_low),
                             csv_number(d.ci_high), csv_number(d.p_value), csv_number(d.p_value_adjusted), d.test,
                             verdict_label(d), d.method])
    return out.getvalue()
