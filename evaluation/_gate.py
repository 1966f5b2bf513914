"""The CI gate of ``python -m evaluation compare``: which differences fail a build, and which it leaves out.

A gate names the metrics it checks at three levels: overall (``--fail-on-regression``), on every class
(``--gate-classes``, classification only) and on every tested slice (``--gate-slices``). A gated
difference fails when its verdict is "worse" (its adjusted p-value below alpha, in the metric's worse
direction); with a margin, it fails unless the whole interval of the difference lies above ``-margin``
(below ``+margin`` for a loss), a non-inferiority test. Slices smaller than ``min_slice_size`` are not
tested, so they are never gated.

Whatever it gates, the gate also lists the significant regressions it did not gate on (another
overall metric, a class, a slice), so a passing build still says where the candidate got worse.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._errors import EvaluationError, quote
from ._metrics import METRICS, PER_CLASS_METRICS
from ._results import VERDICT_WORSE, ComparisonReport, Difference, Settings
from ._settings import metric_names
from ._slices import SLICE_METRICS
from ._statistics import higher_is_better

if TYPE_CHECKING:
    from ._regression import RegressionReport

__all__ = ["Gate", "GateResult", "apply_gate", "gate_iv", "slice_metric_names"]

_OPTIONS = {"overall": "--fail-on-regression", "classes": "--gate-classes", "slices": "--gate-slices"}
_MAX_UNGATED_SHOWN = 10  # lines of regressions the gate left out; the report has every one


@dataclass(frozen=True)
class Gate:
    """What fails the build.

    Attributes
    ----------
    overall:
        Headline metrics checked on each candidate.
    classes:
        Per-class metrics (``precision``, ``recall``, ``f1``) checked on every class.
    slices:
        Metrics checked on every tested slice.
    margin:
        Non-inferiority margin in the metric's units, or ``None`` for the significance test.
    """

    overall: tuple[str, ...]
    classes: tuple[str, ...] = ()
    slices: tuple[str, ...] = ()
    margin: float | None = None

    def describe(self) -> str:
        """What the gate checks, for a message (``f1_macro; recall of every class``)."""
        parts = [", ".join(self.overall)] if self.overall else []
        if self.classes:
            parts.append(f"{_join(self.classes)} of every class")
        if self.slices:
            parts.append(f"{_join(self.slices)} on every tested slice")
        return "; ".join(parts)


@dataclass(frozen=True)
class GateResult:
    """The gate's outcome.

    Attributes
    ----------
    failures:
        One line per gated difference that failed; empty when the gate passed.
    ungated:
        One line per significant regression the gate did not check, every one.
    widen:
        The gate options that would also check those regressions (``--gate-slices f1_macro``), or "".
    """

    failures: tuple[str, ...]
    ungated: tuple[str, ...]
    widen: str = ""

    @property
    def passed(self) -> bool:
        """Whether no gated difference failed."""
        return not self.failures

    def messages(self, gate: Gate) -> list[str]:
        """The lines the command prints on standard error: failures or a pass, then what was not gated."""
        if self.failures:
            lines = [f"regression: {failure}" for failure in self.failures]
        else:
            how = "no candidate significantly worse" if gate.margin is None else f"every candidate within margin {gate.margin:g}"
            lines = [f"gate passed ({how}) on {gate.describe()}"]
        shown = self.ungated[:_MAX_UNGATED_SHOWN]
        lines += [f"not gated: {line}" for line in shown]
        if len(self.ungated) > len(shown):
            lines.append(f"not gated: ... and {len(self.ungated) - len(shown)} more significant regressions (see the report)")
        if self.widen:
            lines.append(f"to gate them too: {self.widen}")
        return lines


def _join(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _choices(names: Sequence[str]) -> str:
    return _join(list(names)).replace(" and ", " or ")


def _a_score(metric: str, task: str) -> bool:
    """A generation file's ``score_<name>`` column, which only the files can confirm (:func:`apply_gate` does)."""
    return task == "generation" and metric.startswith("score_")


def slice_metric_names(task: str, settings: Settings) -> tuple[str, ...]:
    """The metrics each slice carries: classification's confusion-matrix trio and the primary metric
    when it needs no probabilities (see :func:`evaluation._slices.slice_results`); regression's every metric.

    >>> slice_metric_names("classification", Settings(primary_metric="recall_macro"))
    ('accuracy', 'balanced_accuracy', 'f1_macro', 'recall_macro')
    """
    if task in ("regression", "generation"):
        return metric_names(task)
    primary = settings.primary_metric
    extra = (primary,) if primary not in SLICE_METRICS and not METRICS[primary].needs_probabilities else ()
    return SLICE_METRICS + extra


def gate_iv(overall: Sequence[str] | None, classes: Sequence[str] | None, slices: Sequence[str] | None, *,
            margin: float | None, task: str, settings: Settings) -> Gate | None:
    """The gate the options ask for, checked; ``None`` when there is no gate.

    ``overall`` is ``None`` without ``--fail-on-regression`` and empty when it names no metric (the
    primary is gated); ``classes`` and ``slices`` likewise, empty meaning their defaults: every
    per-class metric, and the primary metric (or ``f1_macro`` when slices do not carry the primary).

    Raises
    ------
    EvaluationError
        An unknown metric for its level, a widening option without the gate, a negative margin.
    """
    if overall is None:
        for option, given in (("--gate-classes", classes), ("--gate-slices", slices)):
            if given is not None:
                raise EvaluationError(f"{option} widens the CI gate: add --fail-on-regression (with no metric it gates "
                                      f"the primary metric, {settings.primary_metric})")
        if margin is not None:
            raise EvaluationError("--margin is the CI gate's non-inferiority margin: add --fail-on-regression")
        return None
    if margin is not None and not margin >= 0:
        raise EvaluationError(f"--margin must be zero or positive, got {margin}")
    names = metric_names(task)
    overall = list(overall) or [settings.primary_metric]
    unknown = [m for m in overall if m not in names and not _a_score(m, task)]
    if unknown:
        close = difflib.get_close_matches(unknown[0], names, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise EvaluationError(f"--fail-on-regression: unknown metric {quote(unknown[0])} for {task}{hint}; choose from "
                              f"{', '.join(names)}")
    gated_classes: list[str] = []
    if classes is not None:
        if task in ("regression", "generation"):
            raise EvaluationError(f"--gate-classes: a {task} comparison has no classes; gate its slices with --gate-slices")
        gated_classes = list(classes) or list(PER_CLASS_METRICS)
        unknown = [m for m in gated_classes if m not in PER_CLASS_METRICS]
        if unknown:
            raise EvaluationError(f"--gate-classes: unknown per-class metric {quote(unknown[0])}; choose "
                                  f"{_choices(PER_CLASS_METRICS)}")
    gated_slices: list[str] = []
    if slices is not None:
        carried = slice_metric_names(task, settings)
        default = settings.primary_metric if settings.primary_metric in carried else "f1_macro"
        gated_slices = list(slices) or [default]
        unknown = [m for m in gated_slices if m not in carried and not _a_score(m, task)]
        if unknown:
            hint = (f", or make it the primary metric (--primary {unknown[0]})"
                    if unknown[0] in METRICS and not METRICS[unknown[0]].needs_probabilities else "")
            raise EvaluationError(f"--gate-slices: slices are not measured on {quote(unknown[0])}; choose "
                                  f"{_choices(carried)}{hint}")
    return Gate(tuple(dict.fromkeys(overall)), tuple(dict.fromkeys(gated_classes)), tuple(dict.fromkeys(gated_slices)),
                margin)


@dataclass(frozen=True)
class _Found:
    """One difference of one candidate at one level."""

    level: str  # "overall", "classes" or "slices"
    metric: str
    where: str  # "", "of class '0'" or "on slice 'scanner' = 'fax'"
    difference: Difference
    higher_is_better: bool


def _differences(comparison: object) -> Iterator[_Found]:
    """Every difference of a comparison: overall, per class (classification), per tested slice."""
    metrics: dict[str, Difference] = getattr(comparison, "metrics", {})
    for metric, difference in metrics.items():
        yield _Found("overall", metric, "", difference, higher_is_better(metric))
    for label, per_class in getattr(comparison, "per_class", {}).items():
        for metric, difference in per_class.items():
            yield _Found("classes", metric, f"of class {quote(label)}", difference, True)
    for result in getattr(comparison, "slices", ()):
        if result.insufficient:
            continue  # shown, not tested: nothing to gate on
        for metric, entry in result.metrics.items():
            yield _Found("slices", metric, f"on slice {quote(result.column)} = {quote(result.value)}", entry.difference,
                         higher_is_better(metric))


def _name(found: _Found) -> str:
    return f"{found.metric} {found.where}" if found.where else found.metric


def _worse(difference: Difference) -> str:
    return (f"significantly worse (difference {difference.difference:+.4f}, "
            f"p adjusted {difference.p_value_adjusted:.4g})")


def _failure(found: _Found, margin: float | None) -> str | None:
    """Why a gated difference fails, or ``None`` when it passes."""
    diff = found.difference
    if margin is None:
        return _worse(diff) if diff.verdict == VERDICT_WORSE else None
    bound = diff.ci_low if found.higher_is_better else -diff.ci_high
    if bound > -margin:  # NaN (no interval) fails: non-inferiority cannot be shown without one
        return None
    if diff.reason:
        return f"not shown non-inferior within margin {margin:g}: no interval ({diff.reason})"
    return f"not non-inferior within margin {margin:g} (interval [{diff.ci_low:+.4f}, {diff.ci_high:+.4f}])"


def apply_gate(report: ComparisonReport | RegressionReport, gate: Gate) -> GateResult:
    """Check every candidate of ``report`` against ``gate``.

    Parameters
    ----------
    report:
        A classification or regression report.
    gate:
        From :func:`gate_iv`.

    Returns
    -------
    GateResult
        The failures (empty when the gate passed) and every significant regression not gated.
    """
    levels = {"overall": gate.overall, "classes": gate.classes, "slices": gate.slices}
    for comparison in report.comparisons:
        absent = [metric for metric in gate.overall if metric not in comparison.metrics]
        if absent:
            raise EvaluationError(f"--fail-on-regression: the comparison has no metric {quote(absent[0])} (a score_ "
                                  "column must be in every file; perplexity needs nll and n_tokens); it has "
                                  f"{', '.join(comparison.metrics)}")
    missing: dict[str, list[str]] = {level: [] for level in levels}
    failures, ungated = [], []
    for comparison in report.comparisons:
        pair = f"{comparison.candidate} vs {comparison.baseline}"
        for found in _differences(comparison):
            if found.metric in levels[found.level]:
                reason = _failure(found, gate.margin)
                if reason is not None:
                    failures.append(f"{pair}: {_name(found)} {reason}")
            elif found.difference.verdict == VERDICT_WORSE:
                ungated.append(f"{pair}: {_name(found)} {_worse(found.difference)}")
                missing[found.level].append(found.metric)
    widen = " ".join(f"{_OPTIONS[level]} {' '.join(dict.fromkeys([*levels[level], *missing[level]]))}"
                     for level in levels if missing[level])
    return GateResult(tuple(failures), tuple(ungated), widen)
