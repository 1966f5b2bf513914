"""The HTML report of ``python -m evaluation shift``: the Markdown report's sections with the Shift page's charts.

One self-contained page (plotly.js inside): which columns drifted, the per-column chart (worst first, the
practical threshold drawn) and table, the domain classifier, the re-weighted performance and the slice mix.
"""

from __future__ import annotations

from html import escape

from evaluation import ShiftReport, format_number, format_p_value

from . import charts_shift
from .html_report import PLAIN_CSS, figure_div, html_page, plain_table

__all__ = ["shift_report_html"]


def shift_report_html(report: ShiftReport) -> str:
    """One self-contained HTML document of a shift analysis, readable offline.

    Examples
    --------
    >>> from evaluation import analyze_shift, read_shift
    >>> data = read_shift("data/demo/shift_test.csv", "data/demo/shift_production.csv")
    >>> page = shift_report_html(analyze_shift(data, resamples=200, classifier=False))
    >>> page.startswith("<!DOCTYPE html>"), "Drifted columns: scanner" in page
    (True, True)
    """
    drifted = ", ".join(report.drifted_columns) or "none"
    parts = ["<h1>Shift: is the test set like production?</h1>",
             f"<p>Test set: {escape(report.test_file)} ({report.n_test:,} rows); production: "
             f"{escape(report.production_file)} ({report.n_production:,} rows).</p>",
             f"<p><strong>Drifted columns: {escape(drifted)}.</strong></p>"]
    parts += [f'<div class="warning">{escape(w)}</div>' for w in report.warnings]
    parts += ["<h2>Per column</h2>", figure_div(charts_shift.drift_figure(report), 1), plain_table(
        ["column", "kind", "effect size", "value", "interval", "permutation p (Holm)", "test", "p (Holm)", "PSI",
         "drifted"],
        [[c.column, c.kind, c.statistic, format_number(c.value), f"{format_number(c.ci_low)} to {format_number(c.ci_high)}",
          format_p_value(c.permutation_p_value_adjusted), c.test, format_p_value(c.p_value_adjusted), format_number(c.psi),
          "yes" if c.drifted else "no"] for c in charts_shift.drift_order(report.columns)]),
        f"<p>Rule: {escape(report.rule)}</p>", "<h2>Domain classifier</h2>"]
    classifier = report.domain_classifier
    if classifier is None:
        parts.append("<p>Not trained (left out with --no-classifier, or fewer rows than folds on one side).</p>")
    else:
        tops = ", ".join(f"{t.column} ({format_number(t.auc_drop, signed=True)})" for t in classifier.top_columns)
        parts += [f"<p>ROC AUC {format_number(classifier.auc)} ({format_number(classifier.ci_low)} to "
                  f"{format_number(classifier.ci_high)}); 0.5 means no detectable shift. {escape(classifier.method)}.</p>",
                  f"<p>Columns that drive it (drop in AUC when shuffled): {escape(tops or 'none')}.</p>"]
    parts.append("<h2>Re-weighted performance</h2>")
    reweighted = report.reweighted
    if reweighted is None:
        parts.append("<p>Not computed (no column to re-weight by).</p>")
    else:
        parts += [f"<p>{escape(reweighted.sentence[0].upper() + reweighted.sentence[1:])}.</p>", plain_table(
            ["metric", "production mix", "interval", "test set"],
            [[name, format_number(m.value), f"{format_number(m.ci_low)} to {format_number(m.ci_high)}",
              format_number(m.test_set_value)] for name, m in reweighted.metrics.items()]),
            figure_div(charts_shift.slice_mix_figure(report), 2),
            f"<p>Method: {escape(reweighted.method)}.</p>"]
    return html_page([report.test_file, report.production_file], parts, css=PLAIN_CSS)
