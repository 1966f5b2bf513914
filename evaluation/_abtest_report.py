"""The A/B test's faces: the verdict sentence, the notes, the JSON document and the Markdown report."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ._format import format_number, format_p_value, p_clause
from ._inference import CORRECTION_NAMES
from ._results import Verdict
from ._text import escape_markdown, markdown_cell

if TYPE_CHECKING:
    from ._abtest import ABTestReport, MetricComparison

__all__ = ["ABTEST_SCHEMA_VERSION", "abtest_to_dict", "abtest_to_markdown", "notes", "verdict_text"]

ABTEST_SCHEMA_VERSION = 1
"""Version of the A/B test's JSON document (``docs/abtest.md``)."""


def _decimals(c: MetricComparison) -> int:
    """Decimals for a metric's values and differences: four significant digits of the larger variant value."""
    scale = max(abs(c.control_value), abs(c.treatment_value))
    return 3 if not (math.isfinite(scale) and scale > 0) else min(8, max(1, 3 - math.floor(math.log10(scale))))


def _number(value: float, decimals: int = 3, *, signed: bool = False) -> str:
    """A metric's value or difference with the metric's decimals; ``n/a`` when undefined."""
    return format_number(value, signed=signed, digits=decimals)


def _percent(value: float, *, signed: bool = True) -> str:
    """A share as a percentage with one decimal (``+4.2%``)."""
    if not math.isfinite(value):
        return "n/a"
    return f"{100 * value:+.1f}%" if signed else f"{100 * value:.1f}%"


def _units(value: float) -> str:
    """Units per variant, rounded up; ``n/a`` when infinite or undefined."""
    return f"{math.ceil(value):,}" if math.isfinite(value) else "n/a"


def _deciding(c: MetricComparison) -> tuple[float, float, float]:
    """The difference and interval the verdict is about: CUPED's when there is a covariate."""
    if c.cuped is not None:
        return c.cuped.difference, c.cuped.ci_low, c.cuped.ci_high
    return c.difference, c.ci_low, c.ci_high


def _finding(c: MetricComparison, level: int, text: Any) -> str:
    """``converted better (+0.021, 95% CI +0.009 to +0.033, CUPED, adjusted p = 0.0012)``."""
    difference, low, high = _deciding(c)
    places = _decimals(c)
    word = {Verdict.UNDEFINED: "undefined (no variation in either variant)"}.get(c.verdict, str(c.verdict))
    raw = c.cuped.p_value if c.cuped is not None else c.p_value
    adjusted = "adjusted " if c.p_value_adjusted != raw else ""
    cuped = ", CUPED" if c.cuped is not None else ""
    return (f"{text(c.metric)} {word} ({_number(difference, places, signed=True)}, {level}% CI "
            f"{_number(low, places, signed=True)} to {_number(high, places, signed=True)}{cuped}, "
            f"{adjusted}{p_clause(c.p_value_adjusted)})")


def _mismatch_sentence(report: ABTestReport, text: Any) -> str:
    """The sample-ratio warning."""
    shares = ", ".join(f"{text(v.name)} {_percent(v.share, signed=False)}" for v in report.variants)
    expected = ", ".join(f"{_percent(v.expected_share, signed=False)}" for v in report.variants)
    return (f"Sample-ratio mismatch: the units split {shares} against an expected {expected} (chi-square "
            f"p = {report.sample_ratio.p_value:.2g} < {report.sample_ratio.threshold:g}). The allocation is not the one "
            "designed, so these results are not trustworthy: find the cause (assignment, logging, filtering of units) "
            "before reading them.")


def verdict_text(report: ABTestReport, *, markup: bool = False) -> str:
    """The verdict: the sample-ratio warning when there is a mismatch, then one sentence per treatment.

    ``markup`` escapes names for Markdown.
    """
    text = escape_markdown if markup else str
    level = round(report.confidence * 100)
    sentences = [_mismatch_sentence(report, text)] if report.sample_ratio.mismatch else []
    for variant in report.variants:
        found = [c for c in report.comparisons if c.treatment == variant.name]
        if found:
            sentences.append(f"{text(variant.name)} vs {text(report.control)}: "
                             + "; ".join(_finding(c, level, text) for c in found) + ".")
    return " ".join(sentences)


def notes(report: ABTestReport, *, markup: bool = False) -> tuple[str, ...]:
    """How to read the report: the metric's kind, the test, CUPED, the correction, the sample sizes.

    ``markup`` escapes the covariate's name for Markdown.
    """
    tests = sum(math.isfinite(c.cuped.p_value if c.cuped is not None else c.p_value) for c in report.comparisons)
    found = [
        "one row per unit: each metric is a mean per unit and the test is Welch's t-test" if report.unit_level else
        "several rows share a unit: each metric is a ratio (its sum over the variant's events divided by its events), "
        "and the unit is the independent observation: the variance is the delta method's over units (Deng et al. "
        "2018), not a per-event test's, which would treat a unit's correlated events as independent",
        "lift: treatment / control - 1, with the delta method's normal interval",
        f"verdicts on p-values adjusted by {CORRECTION_NAMES.get(report.correction, report.correction)} correction over "
        f"{tests} tests (metrics x treatments) at alpha {report.alpha:g}; intervals are not adjusted",
        f"sample-ratio mismatch flagged at chi-square p < {report.sample_ratio.threshold:g} (the industry convention)",
        f"units per variant needed: a two-sided two-sample t-test at alpha {report.alpha:g} with power {report.power:g}, "
        "equal groups, the pooled standard deviation of the unit-level metric (without CUPED)",
    ]
    if report.covariate is not None:
        name = escape_markdown(report.covariate) if markup else report.covariate
        found.insert(2, f"CUPED on {name}: theta = cov(Y, X) / var(X) over every unit of every variant, "
                        "applied to each unit's linearised metric Y (the metric itself with one row per unit); the "
                        "verdicts use the CUPED-adjusted test")
    return tuple(found)


def abtest_to_dict(report: ABTestReport) -> dict[str, Any]:
    """The report as JSON-ready nested dicts: ``kind: "abtest"``, ``schema_version``, then every field.

    NaN and infinities (a sample size for no effect) become ``None``.
    """
    from ._report import _clean

    return {"kind": "abtest", "schema_version": ABTEST_SCHEMA_VERSION, **_clean(report)}


def _table(header: list[str], align: list[str], rows: list[list[str]]) -> list[str]:
    """A GFM table: the header, the alignment row, the rows."""
    return ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|", *("| " + " | ".join(r) + " |" for r in rows)]


def abtest_to_markdown(report: ABTestReport) -> str:
    """A short Markdown report: verdict, allocation, metrics, CUPED, sample sizes, notes."""
    level = round(report.confidence * 100)
    cell = markdown_cell
    ratio = report.sample_ratio
    lines = [f"# A/B test: {escape_markdown(report.source)}", "",
             f"{report.rows:,} rows · {report.units:,} units ({escape_markdown(report.unit_column)}) · "
             f"{len(report.variants)} variants ({escape_markdown(report.variant_column)}), control "
             f"**{escape_markdown(report.control)}** · {level}% intervals", "",
             f"**Verdict.** {verdict_text(report, markup=True)}", "", "## Allocation", ""]
    lines += _table(["variant", "units", "events", "share", "expected"], ["---", "---:", "---:", "---:", "---:"],
                    [[cell(v.name), f"{v.units:,}", f"{v.events:,}", _percent(v.share, signed=False),
                      _percent(v.expected_share, signed=False)] for v in report.variants])
    state = "**mismatch**: the results are not trustworthy" if ratio.mismatch else "no mismatch"
    lines += ["", f"Sample-ratio check: chi-square {ratio.statistic:.3f} on {ratio.df} df, p = "
                  f"{format_p_value(ratio.p_value)}: {state} (threshold {ratio.threshold:g}).", "", "## Metrics", ""]
    with_cuped = report.covariate is not None
    lines += _table(["metric", "variant", "control mean", "variant mean", "difference", f"{level}% CI", "lift", "lift CI",
                     "p", *([] if with_cuped else ["adjusted p", "verdict"])],
                    ["---", "---", "---:", "---:", "---:", "---", "---:", "---", "---:",
                     *([] if with_cuped else ["---:", "---"])],
                    [[cell(c.metric), cell(c.treatment), _number(c.control_value, _decimals(c)),
                      _number(c.treatment_value, _decimals(c)), _number(c.difference, _decimals(c), signed=True),
                      f"[{_number(c.ci_low, _decimals(c), signed=True)}, {_number(c.ci_high, _decimals(c), signed=True)}]",
                      _percent(c.relative), f"[{_percent(c.relative_low)}, {_percent(c.relative_high)}]",
                      format_p_value(c.p_value), *([] if with_cuped else [format_p_value(c.p_value_adjusted), str(c.verdict)])]
                     for c in report.comparisons])
    if with_cuped:
        lines += ["", "Without CUPED. The verdicts are CUPED's, below.", "", f"## CUPED on {escape_markdown(report.covariate)}",
                  ""]
        lines += _table(["metric", "variant", "theta", "adjusted difference", f"{level}% CI", "variance reduction", "p",
                         "adjusted p", "verdict"], ["---", "---", "---:", "---:", "---", "---:", "---:", "---:", "---"],
                        [[cell(c.metric), cell(c.treatment), f"{c.cuped.theta:.4g}",
                          _number(c.cuped.difference, _decimals(c), signed=True),
                          f"[{_number(c.cuped.ci_low, _decimals(c), signed=True)}, "
                          f"{_number(c.cuped.ci_high, _decimals(c), signed=True)}]",
                          _percent(c.cuped.variance_reduction, signed=False), format_p_value(c.cuped.p_value),
                          format_p_value(c.p_value_adjusted), str(c.verdict)]
                         for c in report.comparisons if c.cuped is not None])
    lines += ["", f"## Units per variant needed (power {report.power:g}, alpha {report.alpha:g})", ""]
    lines += _table(["metric", "variant", "standard deviation", "observed effect", "units", "minimum effect", "units"],
                    ["---", "---", "---:", "---:", "---:", "---:", "---:"],
                    [[cell(c.metric), cell(c.treatment), _number(c.sample_size.standard_deviation, _decimals(c)),
                      _number(abs(c.sample_size.observed_effect), _decimals(c)), _units(c.sample_size.units_for_observed),
                      _number(c.sample_size.minimum_detectable_effect, _decimals(c)),
                      _units(c.sample_size.units_for_minimum)]
                     for c in report.comparisons])
    lines += ["", "## Notes", "", *(f"- {note}" for note in notes(report, markup=True))]
    return "\n".join(lines) + "\n"
