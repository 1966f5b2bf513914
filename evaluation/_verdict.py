"""The verdict on a candidate: the primary metric, then every significant regression, then the improvements.

One logic for every face (the dashboard's verdict boxes, the Markdown and HTML reports, the CLI) and
every task. A regression anywhere (an overall metric, a class, a slice) is named whatever the
primary metric says: a verdict never hides one. Regressions come worst first within each scope,
and past :data:`LISTED` per scope they are counted; the tables and pages hold the rest.

Notes follow the findings: a model that never predicts a class the labels hold, and for binary
tasks a gain that the ranking metrics (ROC AUC, average precision) do not share or that shrinks when
each model is scored at its own best threshold, which is then the threshold, not the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._format import format_number, interval_decimals, p_clause
from ._metrics import METRICS
from ._results import VERDICT_BETTER, VERDICT_NONE, VERDICT_WORSE, Difference, SliceResult
from ._statistics import metric_title
from ._text import escape_markdown

__all__ = ["LISTED", "CandidateVerdict", "Finding", "candidate_verdict", "verdict_document", "verdict_sentence"]

LISTED = 3
"""At most this many classes, and this many slices, are named in a sentence; the rest are counted."""

RANKING_METRICS = ("roc_auc", "average_precision")
"""Threshold-free metrics of a binary task."""

SHRINK = 0.5
"""A binary gain is called mostly a threshold effect when at the models' best thresholds it keeps less than this share."""


@dataclass(frozen=True)
class Finding:
    """One significant change of a candidate: an overall metric, a class or a slice.

    Attributes
    ----------
    scope:
        ``"metric"``, ``"class"`` or ``"slice"``.
    where:
        ``""`` for an overall metric, the class label, or ``"column = value"`` for a slice.
    n:
        The class's support or the slice's size; ``None`` for an overall metric.
    changes:
        ``(metric name, difference)`` of every metric that changed this way there, largest first.
    """

    scope: str
    where: str
    n: int | None
    changes: tuple[tuple[str, Difference], ...]

    @property
    def size(self) -> float:
        """The largest absolute difference of its changes (how findings of one scope are ordered)."""
        return max(abs(d.difference) for _, d in self.changes)


@dataclass(frozen=True)
class CandidateVerdict:
    """What a candidate's comparison says, in the order a reader needs it.

    Attributes
    ----------
    candidate, baseline:
        The two models.
    primary:
        The primary metric's name.
    primary_difference:
        Its difference, or ``None`` when the comparison has no value of it.
    regressions, improvements:
        Every other significant change, overall metrics first, then classes, then slices, each
        scope worst (largest) first.
    notes:
        What the numbers alone do not say (a class never predicted; a binary gain that is the threshold).
    """

    candidate: str
    baseline: str
    primary: str
    primary_difference: Difference | None
    regressions: tuple[Finding, ...]
    improvements: tuple[Finding, ...]
    notes: tuple[str, ...]

    @property
    def outcome(self) -> str:
        """``"worse"`` (the primary metric is), ``"mixed"`` (something else is), ``"better"``, ``"none"`` or
        ``"undefined"``: the colour of the verdict."""
        verdict = self.primary_difference.verdict if self.primary_difference is not None else "undefined"
        if verdict == VERDICT_WORSE:
            return "worse"
        if self.regressions:
            return "mixed"
        if verdict == VERDICT_BETTER:
            return "better"
        return "none" if verdict == VERDICT_NONE else "undefined"


def _slice_findings(slices: tuple[SliceResult, ...], verdict: str) -> list[Finding]:
    out = []
    for entry in slices:
        if entry.insufficient:
            continue
        changes = [(name, m.difference) for name, m in entry.metrics.items() if m.difference.verdict == verdict]
        if changes:
            out.append(Finding("slice", f"{entry.column} = {entry.value}", entry.n,
                               tuple(sorted(changes, key=lambda c: -abs(c[1].difference)))))
    return sorted(out, key=lambda f: -f.size)


def _findings(comparison: Any, primary: str, support: Mapping[str, int], verdict: str) -> tuple[Finding, ...]:
    """Every change of ``verdict`` except the primary metric's: metrics, classes, slices."""
    metrics = [Finding("metric", "", None, ((name, d),)) for name, d in comparison.metrics.items()
               if name != primary and d.verdict == verdict]
    classes = []
    for label, values in getattr(comparison, "per_class", {}).items():
        changes = [(name, d) for name, d in values.items() if d.verdict == verdict]
        if changes:
            classes.append(Finding("class", label, support.get(label),
                                   tuple(sorted(changes, key=lambda c: -abs(c[1].difference)))))
    return tuple(metrics + sorted(classes, key=lambda f: -f.size) + _slice_findings(comparison.slices, verdict))


def _never_predicted(report: Any, comparison: Any) -> list[str]:
    notes = []
    for name in (comparison.baseline, comparison.candidate):
        model = report.models[name]
        matrix = getattr(model, "confusion_matrix", None)
        if matrix is None:
            continue
        never = [label for j, label in enumerate(matrix.labels)
                 if sum(row[j] for row in matrix.counts) == 0 and model.support.get(label, 0) > 0]
        if never:
            listed = ", ".join(f"'{label}'" for label in never[:LISTED]) + (" ..." if len(never) > LISTED else "")
            notes.append(f"{name} never predicts {len(never)} of the classes ({listed}), so its recall there is 0")
    return notes


def _threshold_notes(report: Any, comparison: Any, primary: str) -> list[str]:
    """Binary tasks: when the ranking metrics or the best thresholds tell another story than the primary metric."""
    d = comparison.metrics.get(primary)
    if getattr(report, "task", "") != "binary" or d is None or primary not in METRICS or \
            METRICS[primary].needs_probabilities or d.verdict not in (VERDICT_BETTER, VERDICT_WORSE):
        return []
    notes = []
    title = metric_title(primary)
    ranking = [comparison.metrics[name] for name in RANKING_METRICS if name in comparison.metrics]
    if ranking and all(r.verdict != d.verdict for r in ranking):
        said = ", ".join(f"{metric_title(name)} {format_number(comparison.metrics[name].difference, signed=True)} "
                         f"({comparison.metrics[name].verdict})" for name in RANKING_METRICS if name in comparison.metrics)
        notes.append(f"the threshold-free metrics do not agree ({said}): the {title} change comes from where the "
                     f"models put their threshold more than from how they rank the examples")
    best = comparison.best_threshold
    if best is not None and abs(d.difference) > 0 and (
            best.difference * d.difference <= 0 or abs(best.difference) < SHRINK * abs(d.difference)):
        notes.append(f"at each model's best threshold (chosen on this test set) {title} differs by "
                     f"{format_number(best.difference, signed=True)} instead of {format_number(d.difference, signed=True)} "
                     f"({format_number(best.baseline_value)} at {best.baseline_threshold:.3g} vs "
                     f"{format_number(best.candidate_value)} at {best.candidate_threshold:.3g}): most of the difference "
                     f"is the threshold, which {comparison.baseline} could move too")
    return notes


def candidate_verdict(comparison: Any, report: Any) -> CandidateVerdict:
    """The verdict on one candidate of a classification or regression report.

    Parameters
    ----------
    comparison:
        A :class:`~evaluation.Comparison` or a regression comparison.
    report:
        The report it belongs to (its settings give the primary metric; its models the supports).

    Returns
    -------
    CandidateVerdict
    """
    primary = report.settings.primary_metric
    support = getattr(report.models[comparison.baseline], "support", {})
    return CandidateVerdict(
        candidate=comparison.candidate, baseline=comparison.baseline, primary=primary,
        primary_difference=comparison.metrics.get(primary),
        regressions=_findings(comparison, primary, support, VERDICT_WORSE),
        improvements=_findings(comparison, primary, support, VERDICT_BETTER),
        notes=tuple(_never_predicted(report, comparison) + _threshold_notes(report, comparison, primary)),
    )


# --- The sentence -----------------------------------------------------------------------------------

def _change(name: str, d: Difference) -> str:
    """``F1 (macro) 0.885 -> 0.758 (-0.127, adjusted p = 0.025)``."""
    adjusted = "adjusted " if d.p_value_adjusted != d.p_value else ""
    title = "F1" if name == "f1" else metric_title(name)  # a per-class F1 (precision and recall read as they are)
    return (f"{title} {format_number(d.baseline_value)} -> {format_number(d.candidate_value)} "
            f"({format_number(d.difference, signed=True)}, {adjusted}{p_clause(d.p_value_adjusted)})")


def _listing(items: list[str], limit: int, noun: str) -> str:
    """``a, b and c``, or the first ``limit`` and ``and 3 more <noun>``."""
    shown = items[:limit] + ([f"{len(items) - limit} more {noun}"] if len(items) > limit else [])
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _scope_text(findings: list[Finding], scope: str, text: Callable[[str], str], *, detail: bool) -> str:
    """One scope's findings: the first :data:`LISTED` named (with their changes when ``detail``), the rest counted."""
    if not findings:
        return ""
    if scope == "metric":
        if detail:
            return ", ".join(_change(f.changes[0][0], f.changes[0][1]) for f in findings)
        return _listing([metric_title(f.changes[0][0]) for f in findings], 2 * LISTED, "metrics")
    noun = ("class", "classes") if scope == "class" else ("slice", "slices")
    places = [(f"'{text(f.where)}'" if scope == "class" else text(f.where))
              + (f" (n = {f.n:,})" if f.n is not None and scope == "slice" and detail else "") for f in findings]
    if not detail:
        return (f"{noun[0]} {places[0]}" if len(places) == 1
                else f"{len(places)} {noun[1]} ({_listing(places, LISTED, '')})".replace(" more )", " more)"))
    named = [place + ": " + ", ".join(_change(name, d) for name, d in f.changes)
             for place, f in zip(places, findings, strict=True)][:LISTED]
    if len(findings) == 1:
        return f"{noun[0]} {named[0]}"
    more = len(findings) - LISTED
    return f"{len(findings)} {noun[1]}, worst first: " + "; ".join(named) + (f"; and {more} more" if more > 0 else "")


def _scopes(findings: tuple[Finding, ...], text: Callable[[str], str], *, detail: bool) -> str:
    parts = [_scope_text([f for f in findings if f.scope == scope], scope, text, detail=detail)
             for scope in ("metric", "class", "slice")]
    return "; on ".join(part for part in parts if part)


def _head(verdict: CandidateVerdict, level: int, text: Callable[[str], str]) -> str:
    d, title = verdict.primary_difference, metric_title(verdict.primary)
    candidate, baseline = text(verdict.candidate), text(verdict.baseline)
    if d is None:
        return f"{candidate} has no value of {text(title)} to compare with {baseline}"
    digits = interval_decimals(d.ci_low, d.ci_high)  # as many decimals as tell the interval's ends apart

    def signed(value: float) -> str:
        return format_number(value, signed=True, digits=digits)

    described = (f"{title}: {signed(d.difference)} ({level}% CI {signed(d.ci_low)} to {signed(d.ci_high)}, "
                 f"{d.test} {p_clause(d.p_value_adjusted)})")
    if d.verdict == VERDICT_BETTER:
        return f"{candidate} is significantly better than {baseline} on {described}"
    if d.verdict == VERDICT_WORSE:
        return f"{candidate} is significantly worse than {baseline} on {described}"
    if d.reason:
        return (f"{candidate} cannot be compared with {baseline} on {title} "
                f"({format_number(d.difference, signed=True)}): {text(d.reason)}")
    head = f"{candidate} shows no significant difference from {baseline} on {described}"
    return head + (f" ({text(d.note)})" if d.note else "")


def verdict_sentence(comparison: Any, report: Any, *, markup: bool = False) -> str:
    """A plain-language verdict for one candidate: the primary metric, every regression, the improvements, notes.

    Parameters
    ----------
    comparison, report:
        The comparison and the report it belongs to (classification or regression).
    markup:
        ``False`` (default): plain text, names and labels as they are, for HTML (escape it there),
        JSON and terminals. ``True``: Markdown, every model name, class label and slice escaped with
        :func:`escape_markdown`, for ``st.success``/``st.warning`` and the Markdown report.

    Returns
    -------
    str
        For example ``"tuned is significantly better than base on F1 (macro): +0.031 (95% CI +0.024
        to +0.038, paired permutation p = 0.0002). But significantly worse on class '0': recall 0.97
        -> 0.93 (-0.04, adjusted p = 0.01); on slice source = fax (n = 120): ... Also significantly
        better on Accuracy."``
    """
    text: Callable[[str], str] = escape_markdown if markup else str
    verdict = candidate_verdict(comparison, report)
    level = round(report.settings.confidence * 100)
    sentence = _head(verdict, level, text) + "."
    primary = str(verdict.primary_difference.verdict) if verdict.primary_difference is not None else ""
    leads: dict[str, tuple[str, str]] = {VERDICT_BETTER: ("But s", "Also s"), VERDICT_WORSE: ("Also s", "But s")}
    lead = leads.get(primary, ("S", "S"))
    if verdict.regressions:
        sentence += f" {lead[0]}ignificantly worse on " + _scopes(verdict.regressions, text, detail=True) + "."
    elif verdict.primary_difference is not None and not verdict.primary_difference.reason:
        scopes = "metric, class or slice" if getattr(comparison, "per_class", None) else "metric or slice"
        sentence += f" No other {scopes} is significantly worse."
    if verdict.improvements:
        sentence += f" {lead[1]}ignificantly better on " + _scopes(verdict.improvements, text, detail=False) + "."
    for note in verdict.notes:
        sentence += f" Note: {text(note)}."
    return sentence


def verdict_document(comparison: Any, report: Any) -> dict[str, Any]:
    """A candidate's verdict for the JSON report: outcome, sentence, every regression and improvement, notes.

    Each finding is one row per changed metric: ``scope`` (``"metric"``, ``"class"``, ``"slice"``),
    ``where`` (the class label or ``"column = value"``; empty for an overall metric), ``n``,
    ``metric``, ``difference``, ``p_value_adjusted``.
    """
    verdict = candidate_verdict(comparison, report)

    def rows(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
        return [{"scope": f.scope, "where": f.where, "n": f.n, "metric": name, "difference": d.difference,
                 "p_value_adjusted": d.p_value_adjusted} for f in findings for name, d in f.changes]

    return {"outcome": verdict.outcome, "sentence": verdict_sentence(comparison, report),
            "regressions": rows(verdict.regressions), "improvements": rows(verdict.improvements),
            "notes": list(verdict.notes)}
