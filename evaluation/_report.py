"""Turning a :class:`ComparisonReport` into JSON-ready dicts, plain-language verdicts and Markdown.

In the Markdown every user-supplied value (model names, class labels, slice columns and values, and
the warnings that quote them) is escaped with :func:`escape_markdown`/:func:`markdown_cell`: it reads
as text, never as a link, an image or a broken table.
"""

from __future__ import annotations

import math
from dataclasses import fields, is_dataclass
from typing import Any

from ._format import format_number, format_p_value, p_clause
from ._metrics import METRICS, PER_CLASS_METRICS
from ._results import VERDICT_BETTER, VERDICT_WORSE, ComparisonReport, Difference
from ._text import escape_markdown, markdown_cell
from ._verdict import verdict_document, verdict_sentence

__all__ = ["SCHEMA_VERSION", "format_number", "format_p_value", "report_to_dict", "report_to_markdown", "verdict_label",
           "verdict_sentence"]

SCHEMA_VERSION = 2
"""Version of the JSON of every task. Version 2 (from version 1): ``task`` names the task (``"classification"``
or ``"regression"``) and ``kind`` says ``"binary"`` or ``"multiclass"`` for classification; every other
classification field keeps its name and meaning (``docs/json.md``)."""


def _clean(value: Any) -> Any:
    """Recursively make a value JSON-safe: NaN and infinities become None, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, dict):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _clean(getattr(value, f.name)) for f in fields(value)}
    return value


def report_to_dict(report: ComparisonReport) -> dict[str, Any]:
    """The report as JSON-ready nested dicts (the schema documented in the README).

    Examples
    --------
    >>> import json
    >>> from evaluation import Settings, compare, load_classification
    >>> base = ("base.csv", b"id,label,prediction\\n1,a,a\\n2,b,a\\n3,a,b\\n4,b,b\\n")
    >>> tuned = ("tuned.csv", b"id,label,prediction\\n1,a,a\\n2,b,b\\n3,a,b\\n4,b,b\\n")
    >>> document = report_to_dict(compare(load_classification([base, tuned]), settings=Settings(resamples=100)))
    >>> document["schema_version"], document["baseline"], list(document["models"])
    (2, 'base', ['base', 'tuned'])
    >>> document["comparisons"][0]["metrics"]["accuracy"]["difference"]
    0.25
    >>> json.loads(json.dumps(document, allow_nan=False)) == document  # strict JSON: NaN is written as null
    True
    """
    models = {}
    for name, model in report.models.items():
        per_class: dict[str, Any] = {}
        for label, values in model.per_class.items():
            per_class[label] = dict(values)
            per_class[label]["support"] = model.support[label]
        models[name] = {
            "source": model.source,
            "metrics": model.metrics,
            "per_class": per_class,
            "confusion_matrix": model.confusion_matrix,
            "thresholds": model.thresholds,
            "calibration": model.calibration,
        }
    comparisons = []
    for comparison in report.comparisons:
        entry = {f.name: getattr(comparison, f.name) for f in fields(comparison)}
        entry["slices"] = list(comparison.slices)
        # Each comparison also carries its two models' curves, so an entry reads on its own.
        pair = (comparison.baseline, comparison.candidate)
        entry["thresholds"] = {name: models[name]["thresholds"] for name in pair}
        entry["calibration"] = {name: models[name]["calibration"] for name in pair}
        entry["verdict"] = verdict_document(comparison, report)
        comparisons.append(entry)
    return _clean({
        "schema_version": SCHEMA_VERSION,
        "task": "classification",
        "kind": report.task,  # binary or multiclass
        "n_examples": report.n_examples,
        "classes": list(report.classes),
        "positive_label": report.positive_label,
        "baseline": report.baseline,
        "settings": report.settings,
        "models": models,
        "comparisons": comparisons,
        "warnings": list(report.warnings),
    })


def verdict_label(difference: Difference) -> str:
    """The verdict as every table shows it: the verdict, or ``"no verdict"`` and why the data cannot support one.

    A verdict whose interval seems to say otherwise carries its :attr:`Difference.note` in brackets.

    Examples
    --------
    >>> from evaluation._results import Verdict
    >>> d = Difference(0.5, float("nan"), float("nan"), float("nan"), float("nan"), "paired t", Verdict.UNDEFINED,
    ...                "t interval", 0.0, 0.5, reason="fewer than two examples")
    >>> verdict_label(d)
    'no verdict (fewer than two examples)'
    """
    if difference.reason:
        return f"no verdict ({difference.reason})"
    return f"{difference.verdict} ({difference.note})" if difference.note else str(difference.verdict)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GFM table; cells are Markdown already (user-supplied values through :func:`markdown_cell`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def report_to_markdown(report: ComparisonReport) -> str:
    """The report as Markdown: verdicts first, then metrics, differences, per-class changes, warnings."""
    settings = report.settings
    level = round(settings.confidence * 100)
    names = list(report.models)
    md = escape_markdown
    lines = [f"# Model comparison: {', '.join(md(name) for name in names[1:])} vs {md(report.baseline)}", ""]
    lines.append(f"{report.task.capitalize()} task, {len(report.classes)} classes, {report.n_examples:,} paired "
                 f"examples. {level}% confidence intervals; verdicts at alpha {settings.alpha} after "
                 f"{settings.correction} correction; {settings.resamples:,} bootstrap resamples, seed {settings.seed}.")
    lines += ["", "## Verdict", ""]
    lines += [f"- {verdict_sentence(comparison, report, markup=True)}" for comparison in report.comparisons]
    lines += _worse_section(report)
    if report.warnings:
        lines += ["", "## Warnings", ""] + [f"- {md(warning)}" for warning in report.warnings]
    lines += _flips_and_power_section(report)
    lines += ["", "## Metrics", ""]
    rows = []
    for metric, info in METRICS.items():
        cells = []
        for name in names:
            estimate = report.models[name].metrics.get(metric)
            cells.append("n/a" if estimate is None else
                         f"{format_number(estimate.value)} [{format_number(estimate.ci_low)}, "
                         f"{format_number(estimate.ci_high)}]")
        if any(cell != "n/a" for cell in cells):
            rows.append([info.title + ("" if info.higher_is_better else " (lower is better)")] + cells)
    lines += _table(["metric"] + [markdown_cell(name) for name in names], rows)
    for comparison in report.comparisons:
        candidate, baseline = md(comparison.candidate), md(comparison.baseline)
        lines += ["", f"## Differences: {candidate} - {baseline}", ""]
        rows = [[METRICS[metric].title, format_number(d.difference, signed=True),
                 f"[{format_number(d.ci_low, signed=True)}, {format_number(d.ci_high, signed=True)}]",
                 format_p_value(d.p_value), format_p_value(d.p_value_adjusted), d.test, markdown_cell(verdict_label(d))]
                for metric, d in comparison.metrics.items()]
        lines += _table(["metric", "difference", f"{level}% CI", "p", "p adjusted", "test", "verdict"], rows)
        test = comparison.accuracy_test
        lines += ["", f"Discordant examples: {test.baseline_only:,} right only by {baseline}, "
                      f"{test.candidate_only:,} right only by {candidate} (McNemar exact "
                      f"{p_clause(test.p_value)}, mid-{p_clause(test.mid_p_value)})."]
        lines += ["", f"### Per class: {candidate} - {baseline}", ""]
        rows = []
        support = report.models[report.baseline].support
        for label, values in comparison.per_class.items():
            row = [markdown_cell(label), f"{support[label]:,}"]
            for metric in PER_CLASS_METRICS:
                d = values[metric]
                mark = " ▲" if d.verdict == VERDICT_BETTER else " ▼" if d.verdict == VERDICT_WORSE else ""
                mark += " †" if d.note else ""
                row.append(f"{format_number(d.difference, signed=True)} [{format_number(d.ci_low, signed=True)}, "
                           f"{format_number(d.ci_high, signed=True)}]{mark}")
            rows.append(row)
        lines += _table(["class", "support"] + [f"{m} difference" for m in PER_CLASS_METRICS], rows)
        lines += ["", f"▲/▼: significantly better/worse after {settings.correction} correction across classes. "
                      "†: the interval (not adjusted) seems to say otherwise; the verdict follows the adjusted test "
                      "(see the JSON's note)."]
    lines += _slices_section(report)
    lines += _thresholds_section(report)
    lines += _calibration_section(report)
    return "\n".join(lines) + "\n"


def _worse_section(report: ComparisonReport) -> list[str]:
    """Classes and slices where a candidate is significantly worse: the trade-offs a headline hides."""
    lines = ["", "## What got significantly worse", ""]
    found = False
    md = escape_markdown
    for comparison in report.comparisons:
        candidate = md(comparison.candidate)
        for label, values in comparison.per_class.items():
            for metric, d in values.items():
                if d.verdict == VERDICT_WORSE:
                    found = True
                    lines.append(f"- {candidate}: {metric} of class '{md(label)}' "
                                 f"{format_number(d.baseline_value)} -> {format_number(d.candidate_value)} "
                                 f"({format_number(d.difference, signed=True)}, adjusted {p_clause(d.p_value_adjusted)})")
        for entry in comparison.slices:
            for metric, m in entry.metrics.items():
                if m.difference.verdict == VERDICT_WORSE:
                    found = True
                    lines.append(f"- {candidate}: {metric} on {md(entry.column)} = {md(entry.value)} (n = {entry.n:,}) "
                                 f"{format_number(m.baseline.value)} -> {format_number(m.candidate.value)} "
                                 f"({format_number(m.difference.difference, signed=True)}, adjusted "
                                 f"{p_clause(m.difference.p_value_adjusted)})")
    if not found:
        lines.append("Nothing: no class or slice is significantly worse after correction.")
    return lines


def _flips_and_power_section(report: ComparisonReport) -> list[str]:
    lines = ["", "## Flips and power", ""]
    for comparison in report.comparisons:
        if comparison.flips is not None:
            flips = comparison.flips
            lines.append(f"- {escape_markdown(comparison.candidate)} vs {escape_markdown(comparison.baseline)}: "
                         f"{flips.regressions:,} regressions "
                         f"(right before, wrong now) and {flips.improvements:,} improvements.")
        if comparison.power is not None:
            power = comparison.power
            lines.append(f"- Minimum detectable accuracy difference at {power.power:.0%} power, alpha {power.alpha}: "
                         f"{format_number(power.minimum_detectable_difference)} (observed "
                         f"{format_number(power.observed_difference, signed=True)}).")
    return lines


def _slices_section(report: ComparisonReport, *, limit: int = 15) -> list[str]:
    lines: list[str] = []
    for comparison in report.comparisons:
        if not comparison.slices:
            continue
        primary = report.settings.primary_metric
        metric = primary if primary in comparison.slices[0].metrics else "f1_macro"
        candidate, baseline = escape_markdown(comparison.candidate), escape_markdown(comparison.baseline)
        lines += ["", f"## Slices: {candidate} - {baseline} on {METRICS[metric].title}", "",
                  "Worst first; slices under the minimum size are marked and not tested."]
        rows = []
        for entry in comparison.slices[:limit]:
            m = entry.metrics[metric]
            rows.append([markdown_cell(entry.column), markdown_cell(entry.value), f"{entry.n:,}",
                         format_number(m.baseline.value),
                         format_number(m.candidate.value),
                         f"{format_number(m.difference.difference, signed=True)} "
                         f"[{format_number(m.difference.ci_low, signed=True)}, "
                         f"{format_number(m.difference.ci_high, signed=True)}]",
                         format_p_value(m.difference.p_value_adjusted), markdown_cell(verdict_label(m.difference))])
        lines += [""] + _table(["column", "value", "n", markdown_cell(comparison.baseline),
                                markdown_cell(comparison.candidate), "difference", "p adjusted", "verdict"], rows)
        if len(comparison.slices) > limit:
            lines.append(f"\n({len(comparison.slices) - limit} more slices in the JSON output.)")
    return lines


def _thresholds_section(report: ComparisonReport, *, limit: int = 10) -> list[str]:
    rows = []
    for name, model in report.models.items():
        for label, curve in list(model.thresholds.items())[:limit]:
            for point in curve.operating_points:
                rows.append([markdown_cell(name), markdown_cell(label), point.name,
                             format_number(point.threshold), format_number(point.precision),
                             format_number(point.recall), format_number(point.f1)])
    if not rows:
        return []
    return ["", "## Operating points (one-vs-rest)", ""] + _table(
        ["model", "class", "point", "threshold", "precision", "recall", "F1"], rows)


def _calibration_section(report: ComparisonReport) -> list[str]:
    rows = []
    for name, model in report.models.items():
        curve = model.calibration
        if curve is not None:
            ece = model.metrics.get("expected_calibration_error")
            interval = "" if ece is None else f" [{format_number(ece.ci_low)}, {format_number(ece.ci_high)}]"
            busiest = max(range(len(curve.count)), key=curve.count.__getitem__)
            rows.append([markdown_cell(name), format_number(curve.ece) + interval,
                         f"{curve.lower[busiest]:.2f}-{curve.upper[busiest]:.2f}: confidence "
                         f"{format_number(curve.mean_confidence[busiest])}, accuracy "
                         f"{format_number(curve.accuracy[busiest])}"])
    if not rows:
        return []
    return ["", "## Calibration", ""] + _table(["model", "ECE [CI]", "fullest bin"], rows)
