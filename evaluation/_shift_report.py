"""Results of the shift analysis (is the test set like production?): frozen dataclasses, JSON and Markdown.

The computation is :mod:`evaluation._shift`; ``docs/shift.md`` documents every field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._format import format_number, format_p_value
from ._text import escape_markdown, markdown_cell

__all__ = ["ColumnDrift", "ColumnImportance", "DomainClassifier", "ReweightedMetric", "ReweightedPerformance",
           "ShiftReport", "SliceMix", "reweighted_sentence"]


@dataclass(frozen=True)
class ColumnDrift:
    """One column's shift between the test set and production.

    Attributes
    ----------
    column:
        The column's name; the model's predictions are ``prediction``, its confidence ``confidence``
        (largest class probability) or, for two classes, ``score`` (the positive class's probability).
    kind:
        ``"categorical"`` or ``"numeric"``.
    role:
        ``"metadata"``, ``"prediction"`` or ``"confidence"``.
    test:
        The classical test: ``"chi-square test of homogeneity"`` or ``"two-sample Kolmogorov-Smirnov"``.
    statistic:
        The effect size: ``"jensen_shannon_distance"`` (base 2, in [0, 1]) or
        ``"normalized_wasserstein"`` (Wasserstein-1 distance over the test set's standard deviation).
    value, ci_low, ci_high:
        The effect size and its percentile-bootstrap interval (each sample resampled on its own).
    p_value, p_value_adjusted:
        The classical test's p-value, and Holm's adjustment of it across the columns.
    permutation_p_value, permutation_p_value_adjusted:
        The effect size's permutation p-value (test and production rows pooled and split again at
        their sizes), and Holm's adjustment across the columns: what the drift flag uses.
    threshold:
        The smallest effect size that counts as drift (practical significance).
    psi:
        Population stability index, bins fixed on the test set (see :data:`evaluation._shift.PSI_EPSILON`).
    drifted:
        ``permutation_p_value_adjusted <= alpha`` and ``value >= threshold``.
    n_test, n_production:
        Rows with a value (missing numbers are left out; a missing category is a category).
    missing_test, missing_production:
        Rows left out because the number is missing.
    """

    column: str
    kind: str
    role: str
    test: str
    statistic: str
    value: float
    ci_low: float
    ci_high: float
    p_value: float
    p_value_adjusted: float
    permutation_p_value: float
    permutation_p_value_adjusted: float
    threshold: float
    psi: float
    drifted: bool
    n_test: int
    n_production: int
    missing_test: int = 0
    missing_production: int = 0


@dataclass(frozen=True)
class ColumnImportance:
    """How much the domain classifier's out-of-fold ROC AUC drops when one column is permuted."""

    column: str
    auc_drop: float


@dataclass(frozen=True)
class DomainClassifier:
    """A classifier trained to tell test rows (0) from production rows (1), cross-fitted.

    Attributes
    ----------
    auc, ci_low, ci_high:
        ROC AUC of the out-of-fold scores, with DeLong's interval on the logit scale (0.5: no
        detectable shift; 1: the two samples are told apart perfectly).
    method:
        The classifier, the folds and the interval.
    n_test, n_production:
        Rows the classifier saw (a sample of each side beyond ``max_rows``).
    top_columns:
        Columns by decreasing permutation importance (the drop in out-of-fold AUC when the column
        is shuffled within each held-out fold), the five largest.
    importance_method:
        How the importance was measured.
    """

    auc: float
    ci_low: float
    ci_high: float
    method: str
    n_test: int
    n_production: int
    top_columns: tuple[ColumnImportance, ...]
    importance_method: str


@dataclass(frozen=True)
class ReweightedMetric:
    """A test-set metric re-weighted to production's mix, with an interval carrying both samples' error."""

    value: float
    ci_low: float
    ci_high: float
    test_set_value: float


@dataclass(frozen=True)
class SliceMix:
    """One slice's share of the test set and of production (and its size in the test set)."""

    slice: str
    test_share: float
    production_share: float
    test_rows: int


@dataclass(frozen=True)
class ReweightedPerformance:
    """Test-set performance re-weighted to production's mix of one column's slices.

    Attributes
    ----------
    column:
        The column whose slices are re-weighted.
    metrics:
        Metric name -> :class:`ReweightedMetric`.
    slices:
        Each slice's shares.
    uncovered_share:
        Share of production rows in slices the test set lacks: they cannot be re-weighted, and the
        estimate describes the rest of production.
    method:
        How the estimate and its interval were computed.
    sentence:
        The headline, for example "on production's mix of scanner, expect accuracy 0.81 (0.78-0.84)".
    """

    column: str
    metrics: Mapping[str, ReweightedMetric]
    slices: tuple[SliceMix, ...]
    uncovered_share: float
    method: str
    sentence: str


@dataclass(frozen=True)
class ShiftReport:
    """Everything the shift analysis found: per-column drift, the domain classifier, re-weighted performance.

    Attributes
    ----------
    test_file, production_file:
        The two files.
    task:
        ``"classification"`` or ``"regression"`` (the test file's).
    n_test, n_production:
        Rows of each file.
    alpha, confidence, resamples, seed:
        Significance level of the drift flag, interval level, bootstrap resamples (and permutations), seed.
    thresholds:
        Statistic name -> smallest effect size that counts as drift.
    rule:
        The drift rule, in words.
    columns:
        One :class:`ColumnDrift` per column, in the file's order (metadata, then prediction and confidence).
    domain_classifier:
        ``None`` when there are no columns or too few rows.
    reweighted:
        ``None`` without a column to re-weight by.
    warnings:
        What the reader must know to read the numbers right.
    """

    test_file: str
    production_file: str
    task: str
    n_test: int
    n_production: int
    alpha: float
    confidence: float
    resamples: int
    seed: int
    thresholds: Mapping[str, float]
    rule: str
    columns: tuple[ColumnDrift, ...]
    domain_classifier: DomainClassifier | None
    reweighted: ReweightedPerformance | None
    warnings: tuple[str, ...] = field(default=())

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        """Names of the columns flagged as drifted."""
        return tuple(c.column for c in self.columns if c.drifted)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dicts (NaN becomes ``None``), with ``kind: "shift"``; see ``docs/shift.md``."""
        from ._report import _clean

        return {
            "kind": "shift", "test_file": self.test_file, "production_file": self.production_file, "task": self.task,
            "n_test": self.n_test, "n_production": self.n_production,
            "settings": _clean({"alpha": self.alpha, "confidence": self.confidence, "resamples": self.resamples,
                                "seed": self.seed, "thresholds": dict(self.thresholds)}),
            "drift": {"rule": self.rule, "columns": _clean(list(self.columns)),
                      "drifted_columns": list(self.drifted_columns),
                      "domain_classifier": _clean(self.domain_classifier)},
            "reweighted": None if self.reweighted is None else _clean({
                "column": self.reweighted.column, "metrics": dict(self.reweighted.metrics),
                "slices": list(self.reweighted.slices), "uncovered_share": self.reweighted.uncovered_share,
                "method": self.reweighted.method, "sentence": self.reweighted.sentence}),
            "warnings": list(self.warnings),
        }

    def to_markdown(self) -> str:
        """A short Markdown report."""
        return _markdown(self)


def reweighted_sentence(column: str, metrics: Mapping[str, ReweightedMetric]) -> str:
    """``on production's mix of scanner, expect accuracy 0.81 (0.78-0.84); on the test set 0.83``."""
    parts = [f"{name} {format_number(m.value, digits=2)} ({format_number(m.ci_low, digits=2)}-"
             f"{format_number(m.ci_high, digits=2)}); on the test set {format_number(m.test_set_value, digits=2)}"
             for name, m in metrics.items()]
    return f"on production's mix of {column}, expect " + "; ".join(parts)


def _markdown(report: ShiftReport) -> str:
    """The report as Markdown."""
    drifted = report.drifted_columns
    lines = ["# Shift: is the test set like production?", "",
             f"Test set: {escape_markdown(report.test_file)} ({report.n_test:,} rows); production: "
             f"{escape_markdown(report.production_file)} ({report.n_production:,} rows).", "",
             f"Drifted columns: {escape_markdown(', '.join(drifted)) if drifted else 'none'}.", "",
             "## Per column", "",
             "| column | kind | effect size | value | interval | permutation p (Holm) | test | p (Holm) | PSI | drifted |",
             "|---|---|---|---:|---|---:|---|---:|---:|---|"]
    for c in report.columns:
        lines.append(
            f"| {markdown_cell(c.column)} | {c.kind} | {c.statistic} | {format_number(c.value)} | "
            f"{format_number(c.ci_low)} to {format_number(c.ci_high)} | {format_p_value(c.permutation_p_value_adjusted)} | "
            f"{c.test} | {format_p_value(c.p_value_adjusted)} | {format_number(c.psi)} | {'yes' if c.drifted else 'no'} |")
    lines += ["", f"Rule: {report.rule}"]
    classifier = report.domain_classifier
    lines += ["", "## Domain classifier", ""]
    if classifier is None:
        lines.append("Not trained (left out with --no-classifier, or fewer rows than folds on one side).")
    else:
        tops = ", ".join(f"{escape_markdown(t.column)} ({format_number(t.auc_drop, signed=True)})"
                         for t in classifier.top_columns)
        lines += [f"ROC AUC {format_number(classifier.auc)} ({format_number(classifier.ci_low)} to "
                  f"{format_number(classifier.ci_high)}); 0.5 means no detectable shift. {classifier.method}.", "",
                  f"Columns that drive it (drop in AUC when shuffled): {tops or 'none'}."]
    lines += ["", "## Re-weighted performance", ""]
    reweighted = report.reweighted
    if reweighted is None:
        lines.append("Not computed (no column to re-weight by).")
    else:
        sentence = reweighted_sentence(escape_markdown(reweighted.column), reweighted.metrics)
        lines += [sentence[0].upper() + sentence[1:] + ".", "",
                  "| metric | production mix | interval | test set |", "|---|---:|---|---:|"]
        for name, m in reweighted.metrics.items():
            lines.append(f"| {name} | {format_number(m.value)} | {format_number(m.ci_low)} to {format_number(m.ci_high)} | "
                         f"{format_number(m.test_set_value)} |")
        lines += ["", f"| {markdown_cell(reweighted.column)} | test share | production share | test rows |",
                  "|---|---:|---:|---:|"]
        for s in reweighted.slices:
            lines.append(f"| {markdown_cell(s.slice)} | {format_number(s.test_share)} | {format_number(s.production_share)} | "
                         f"{s.test_rows:,} |")
        lines += ["", f"Method: {reweighted.method}."]
    if report.warnings:
        lines += ["", "## Warnings", "", *(f"- {escape_markdown(w)}" for w in report.warnings)]
    return "\n".join(lines) + "\n"
