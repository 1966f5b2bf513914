"""The HTML report of ``python -m evaluation abtest``: the Markdown report's sections with a chart of the lifts.

One self-contained page (plotly.js inside): the verdict, the allocation and the sample-ratio check, the metrics (with
:func:`components.charts_abtest.lift_figure`), CUPED when there is a covariate, the units needed and the notes. The
numbers are written as the Markdown report writes them (:mod:`evaluation._abtest_report`'s formatting), so the two
faces always agree.
"""

from __future__ import annotations

from html import escape

from evaluation import format_p_value
from evaluation._abtest import ABTestReport, MetricComparison
from evaluation._abtest_report import _decimals, _number, _percent, _units

from . import charts_abtest
from .html_report import PLAIN_CSS, figure_div, html_page, plain_table

__all__ = ["abtest_report_html"]


def _interval(low: float, high: float, decimals: int) -> str:
    """``[+0.0075, +0.0532]``, as the Markdown report writes a difference's interval."""
    return f"[{_number(low, decimals, signed=True)}, {_number(high, decimals, signed=True)}]"


def _metric_row(c: MetricComparison, *, with_verdict: bool) -> list[str]:
    places = _decimals(c)
    return [c.metric, c.treatment, _number(c.control_value, places), _number(c.treatment_value, places),
            _number(c.difference, places, signed=True), _interval(c.ci_low, c.ci_high, places), _percent(c.relative),
            f"[{_percent(c.relative_low)}, {_percent(c.relative_high)}]", format_p_value(c.p_value),
            *([format_p_value(c.p_value_adjusted), str(c.verdict)] if with_verdict else [])]


def abtest_report_html(report: ABTestReport) -> str:
    """One self-contained HTML document of an A/B test, readable offline.

    Parameters
    ----------
    report:
        From :func:`evaluation._abtest.analyze_abtest`.

    Returns
    -------
    str
        The document: every section of :meth:`ABTestReport.to_markdown` and the lift chart.

    Examples
    --------
    >>> from evaluation._abtest import analyze_abtest
    >>> from evaluation._abtest_data import read_experiment
    >>> experiment = read_experiment("data/demo/ab_test_events.csv", variant_column="variant", unit_column="user_id",
    ...                              metrics=["converted"])
    >>> page = abtest_report_html(analyze_abtest(experiment))
    >>> page.startswith("<!DOCTYPE html>"), "<h2>Allocation</h2>" in page
    (True, True)
    """
    level = round(report.confidence * 100)
    ratio = report.sample_ratio
    with_cuped = report.covariate is not None
    parts = [f"<h1>A/B test: {escape(report.source)}</h1>",
             f"<p>{report.rows:,} rows · {report.units:,} units ({escape(report.unit_column)}) · "
             f"{len(report.variants)} variants ({escape(report.variant_column)}), control "
             f"<strong>{escape(report.control)}</strong> · {level}% intervals</p>"]
    verdict_class = ' class="warning"' if ratio.mismatch else ""
    parts += [f"<p{verdict_class}><strong>Verdict.</strong> {escape(report.verdict)}</p>", "<h2>Allocation</h2>",
              plain_table(["variant", "units", "events", "share", "expected"],
                          [[v.name, f"{v.units:,}", f"{v.events:,}", _percent(v.share, signed=False),
                            _percent(v.expected_share, signed=False)] for v in report.variants])]
    state = "<strong>mismatch</strong>: the results are not trustworthy" if ratio.mismatch else "no mismatch"
    parts += [f"<p>Sample-ratio check: chi-square {ratio.statistic:.3f} on {ratio.df} df, p = "
              f"{format_p_value(ratio.p_value)}: {state} (threshold {ratio.threshold:g}).</p>", "<h2>Metrics</h2>",
              figure_div(charts_abtest.lift_figure(report), 1),
              plain_table(["metric", "variant", "control mean", "variant mean", "difference", f"{level}% CI", "lift",
                           "lift CI", "p", *([] if with_cuped else ["adjusted p", "verdict"])],
                          [_metric_row(c, with_verdict=not with_cuped) for c in report.comparisons])]
    if with_cuped:
        rows = []
        for c in report.comparisons:
            if c.cuped is None:
                continue
            places = _decimals(c)
            rows.append([c.metric, c.treatment, f"{c.cuped.theta:.4g}", _number(c.cuped.difference, places, signed=True),
                         _interval(c.cuped.ci_low, c.cuped.ci_high, places),
                         _percent(c.cuped.variance_reduction, signed=False), format_p_value(c.cuped.p_value),
                         format_p_value(c.p_value_adjusted), str(c.verdict)])
        parts += ["<p>Without CUPED. The verdicts are CUPED's, below.</p>",
                  f"<h2>CUPED on {escape(str(report.covariate))}</h2>",
                  plain_table(["metric", "variant", "theta", "adjusted difference", f"{level}% CI", "variance reduction",
                               "p", "adjusted p", "verdict"], rows)]
    parts += [f"<h2>Units per variant needed (power {report.power:g}, alpha {report.alpha:g})</h2>",
              plain_table(["metric", "variant", "standard deviation", "observed effect", "units", "minimum effect",
                           "units"],
                          [[c.metric, c.treatment, _number(c.sample_size.standard_deviation, _decimals(c)),
                            _number(abs(c.sample_size.observed_effect), _decimals(c)),
                            _units(c.sample_size.units_for_observed),
                            _number(c.sample_size.minimum_detectable_effect, _decimals(c)),
                            _units(c.sample_size.units_for_minimum)] for c in report.comparisons]),
              "<h2>Notes</h2>", "<ul>" + "".join(f"<li>{escape(note)}</li>" for note in report.notes) + "</ul>"]
    return html_page([report.source], parts, css=PLAIN_CSS)
