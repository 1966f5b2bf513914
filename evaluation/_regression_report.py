"""A :class:`RegressionReport` as JSON-ready dicts, a plain-language verdict and Markdown.

The JSON carries ``schema_version`` 2 and ``task: "regression"``; its core (``n_examples``,
``baseline``, ``settings``, ``models[].metrics``, ``comparisons[].metrics``, ``slices``, ``flips``,
``power``, ``warnings``) has the field names of the classification report (see ``docs/json.md``).
"""

from __future__ import annotations

from typing import Any

from ._regression import TASK, RegressionComparison, RegressionReport
from ._report import SCHEMA_VERSION, _clean, format_number, verdict_label
from ._statistics import statistics_of
from ._text import escape_markdown, markdown_cell
from ._verdict import verdict_document, verdict_sentence

__all__ = ["REGRESSION_SCHEMA_VERSION", "regression_report_to_dict", "regression_report_to_markdown",
           "regression_verdict_sentence"]

REGRESSION_SCHEMA_VERSION = SCHEMA_VERSION


def regression_report_to_dict(report: RegressionReport) -> dict[str, Any]:
    """The report as JSON-ready nested dicts (NaN becomes ``None``)."""
    return _clean({
        "schema_version": REGRESSION_SCHEMA_VERSION,
        "task": report.task,
        "n_examples": report.n_examples,
        "baseline": report.baseline,
        "settings": report.settings,
        "models": {name: {"source": model.source, "metrics": model.metrics,
                          "residual_quantiles": model.residual_quantiles} for name, model in report.models.items()},
        "comparisons": [{"candidate": c.candidate, "baseline": c.baseline, "metrics": c.metrics,
                         "slices": list(c.slices), "flips": c.flips, "power": c.power,
                         "verdict": verdict_document(c, report)} for c in report.comparisons],
        "warnings": list(report.warnings),
    })


def _title(name: str) -> str:
    return statistics_of(TASK)[name].title


def regression_verdict_sentence(comparison: RegressionComparison, report: RegressionReport, *, markup: bool = False) -> str:
    """The verdict sentence of a regression candidate: :func:`evaluation.verdict_sentence`, the one logic of every task."""
    return verdict_sentence(comparison, report, markup=markup)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def regression_report_to_markdown(report: RegressionReport) -> str:
    """A Markdown report: verdicts, every model's metrics, every difference with its test, slices."""
    settings = report.settings
    level = round(settings.confidence * 100)
    lines = ["# Model comparison (regression)", "",
             f"{report.n_examples:,} paired examples · baseline **{escape_markdown(report.baseline)}** · {level}% intervals "
             f"· alpha {settings.alpha} ({settings.correction} correction) · {settings.resamples:,} resamples", "",
             "## Verdict", ""]
    lines += [f"- {regression_verdict_sentence(c, report, markup=True)}" for c in report.comparisons]
    lines += ["", "## Metrics", "", _row(["model", *[_title(n) for n in statistics_of(TASK)]]),
              _row(["---"] * (1 + len(statistics_of(TASK))))]
    for name, model in report.models.items():
        lines.append(_row([markdown_cell(name)] + [
            f"{format_number(e.value)} [{format_number(e.ci_low)}, {format_number(e.ci_high)}]"
            for e in model.metrics.values()]))
    for comparison in report.comparisons:
        lines += ["", f"## {escape_markdown(comparison.candidate)} minus {escape_markdown(comparison.baseline)}", "",
                  _row(["metric", "baseline", "candidate", "difference", f"{level}% CI", "test", "p adjusted", "verdict"]),
                  _row(["---"] * 8)]
        for name, d in comparison.metrics.items():
            lines.append(_row([_title(name), format_number(d.baseline_value), format_number(d.candidate_value),
                               format_number(d.difference, signed=True),
                               f"[{format_number(d.ci_low, signed=True)}, {format_number(d.ci_high, signed=True)}]",
                               d.test, format_number(d.p_value_adjusted, digits=4), markdown_cell(verdict_label(d))]))
        if comparison.flips is not None:
            f = comparison.flips
            lines += ["", f"Absolute error larger for {f.worse:,} examples, smaller for {f.better:,}, unchanged for "
                          f"{f.unchanged:,}."]
        primary = settings.primary_metric
        tested = [s for s in comparison.slices if not s.insufficient][:15]
        if tested:
            lines += ["", f"### Slices ({_title(primary)}, worst first)", "",
                      _row(["column", "value", "n", "baseline", "candidate", "difference", "p adjusted", "verdict"]),
                      _row(["---"] * 8)]
            for s in tested:
                m = s.metrics[primary]
                lines.append(_row([markdown_cell(s.column), markdown_cell(s.value), f"{s.n:,}",
                                   format_number(m.baseline.value), format_number(m.candidate.value),
                                   format_number(m.difference.difference, signed=True),
                                   format_number(m.difference.p_value_adjusted, digits=4),
                                   markdown_cell(verdict_label(m.difference))]))
    if report.warnings:
        lines += ["", "## Warnings", ""] + [f"- {escape_markdown(w)}" for w in report.warnings]
    return "\n".join(lines) + "\n"
