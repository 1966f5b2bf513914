"""Shared inference helpers: seeds, bootstrap intervals, normal and t intervals, standard errors, verdicts."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from scipy.special import ndtri, stdtr, stdtrit

from ._format import p_clause
from ._multiple import adjust_p_values
from ._resampling import (
    CellTable,
    Statistic,
    bca_interval,
    bootstrap_statistics,
    jackknife_statistics,
    percentile_interval,
)
from ._results import (
    VERDICT_BETTER,
    VERDICT_NONE,
    VERDICT_UNDEFINED,
    VERDICT_WORSE,
    Difference,
    Estimate,
    Settings,
    Verdict,
)

__all__ = [
    "CORRECTION_NAMES",
    "FEWER_THAN_TWO",
    "NO_SPREAD",
    "bootstrap_std_error",
    "contain",
    "decide",
    "interval_note",
    "logit_interval",
    "make_difference",
    "make_estimate",
    "mean_std_error",
    "resampled_intervals",
    "rng_for",
    "satterthwaite_df",
    "satterthwaite_df_of",
    "t_interval",
    "t_test_p_value",
    "verdict",
]

Scalar = float | np.floating[Any] | np.ndarray
"""A number, or a 0-d array holding one (what indexing resampled statistics gives)."""

FEWER_THAN_TWO = "fewer than two examples, so nothing measures the uncertainty"
"""Why a difference on fewer than two examples has no verdict."""
NO_SPREAD = "the per-example differences have no spread, so the t-test is undefined"
"""Why a paired t-test of constant, nonzero per-example differences has no verdict."""


def verdict(difference: float, p_value: float, *, alpha: float, higher_is_better: bool) -> Verdict:
    """``"better"``, ``"worse"`` or ``"no significant difference"`` for a candidate-minus-baseline value.

    Examples
    --------
    >>> verdict(-0.02, 0.01, alpha=0.05, higher_is_better=False)
    <Verdict.BETTER: 'better'>
    """
    if not np.isfinite(p_value) or not np.isfinite(difference):
        return VERDICT_UNDEFINED
    if p_value >= alpha or difference == 0:
        return VERDICT_NONE
    return VERDICT_BETTER if (difference > 0) == higher_is_better else VERDICT_WORSE


def decide(family: Sequence[Difference], settings: Settings, *, higher_is_better: bool | Sequence[bool]) -> list[Difference]:
    """Adjust a family of p-values (:attr:`Settings.correction`) and decide every verdict: the one place that does.

    Parameters
    ----------
    family:
        The differences tested together (a metric across candidates, a metric across classes or slices).
    settings:
        The correction and alpha.
    higher_is_better:
        The metric's direction, one for the family or one per difference.

    Returns
    -------
    list of Difference
        Each with ``p_value_adjusted`` and ``verdict`` set; undefined p-values stay out of the family.

    Examples
    --------
    >>> d = Difference(0.1, 0.0, 0.2, 0.02, 0.02, "paired t", Verdict.UNDEFINED, "t interval", 0.5, 0.6)
    >>> [(x.p_value_adjusted, x.verdict) for x in decide([d, d], Settings(), higher_is_better=True)]
    [(0.04, <Verdict.BETTER: 'better'>), (0.04, <Verdict.BETTER: 'better'>)]
    """
    directions = [higher_is_better] * len(family) if isinstance(higher_is_better, bool) else list(higher_is_better)
    raw = np.array([d.p_value for d in family], dtype=float)
    adjusted = adjust_p_values(raw, method=settings.correction)
    tests = int(np.isfinite(raw).sum())
    decided = [replace(d, p_value_adjusted=float(p), verdict=verdict(d.difference, float(p), alpha=settings.alpha,
                                                                     higher_is_better=higher))
               for d, p, higher in zip(family, adjusted, directions, strict=True)]
    return [replace(d, note=interval_note(d, settings, tests=tests)) for d in decided]


CORRECTION_NAMES = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini-Hochberg", "none": "no"}
"""How each :attr:`Settings.correction` is named in a sentence."""


def interval_note(difference: Difference, settings: Settings, *, tests: int) -> str:
    """Why a decided difference's interval and verdict seem to disagree; empty when they agree.

    The interval is the unadjusted one of its method; the verdict is the test's, on the adjusted
    p-value. They disagree on a screen when the interval excludes 0 beside "no significant
    difference" (the correction across ``tests`` tests of the family, or a test and an interval of
    different methods near the boundary) or includes 0 beside "better"/"worse" (different methods
    near the boundary). The verdict always follows the test.

    Examples
    --------
    >>> d = Difference(0.07, 0.01, 0.13, 0.01, 0.08, "paired permutation", Verdict.NONE, "bootstrap percentile",
    ...                0.5, 0.57)
    >>> interval_note(d, Settings(), tests=10)
    'interval not adjusted; not significant after Holm correction for 10 tests (adjusted p = 0.080)'
    """
    if difference.reason or not (np.isfinite(difference.ci_low) and np.isfinite(difference.ci_high)):
        return ""
    excludes_zero = difference.ci_low > 0 or difference.ci_high < 0
    significant = difference.verdict in (VERDICT_BETTER, VERDICT_WORSE)
    if difference.verdict not in (VERDICT_BETTER, VERDICT_WORSE, VERDICT_NONE) or excludes_zero == significant:
        return ""
    if significant:
        return (f"borderline: interval includes 0, {difference.test} {p_clause(difference.p_value_adjusted)} "
                f"< {settings.alpha:g}")
    if difference.p_value < settings.alpha <= difference.p_value_adjusted and tests > 1:
        return (f"interval not adjusted; not significant after {CORRECTION_NAMES[settings.correction]} correction "
                f"for {tests} tests (adjusted {p_clause(difference.p_value_adjusted)})")
    return f"borderline: interval excludes 0, {difference.test} {p_clause(difference.p_value_adjusted)}"


def rng_for(settings: Settings, stream: int, index: int) -> np.random.Generator:
    """Independent, reproducible generator for one family of draws."""
    return np.random.default_rng([settings.seed, stream, index])


def resampled_intervals(
    table: CellTable, statistic: Statistic, settings: Settings, rng: np.random.Generator, *, basic: bool = False
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], str]:
    """Point values, interval bounds and replicates of a cell-count statistic.

    ``basic`` asks for the basic (reverse percentile) interval instead of the percentile one: it
    corrects the bias of a statistic like ECE, whose resampled values all lie above the estimate
    when the model is well calibrated.
    """
    point = {name: values[0] for name, values in statistic(table.aggregates(table.counts.astype(float))).items()}
    replicates = bootstrap_statistics(table, statistic, resamples=settings.resamples, rng=rng)
    low: dict[str, np.ndarray] = {}
    high: dict[str, np.ndarray] = {}
    if settings.ci_method == "bca":
        jackknife = jackknife_statistics(table, statistic)
        for name in point:
            low[name], high[name] = bca_interval(replicates[name], point[name], jackknife[name], table.counts,
                                                 confidence=settings.confidence)
        method = "bootstrap BCa"
    else:
        if basic:
            # Reflecting the replicates about the estimate turns the percentile interval (and the
            # p-value read off the same replicates) into the basic bootstrap's.
            replicates = {name: 2 * point[name] - values for name, values in replicates.items()}
        for name in point:
            low[name], high[name] = percentile_interval(replicates[name], confidence=settings.confidence)
        method = "bootstrap basic" if basic else "bootstrap percentile"
    return point, low, high, replicates, method


def contain(value: float, low: float, high: float) -> tuple[float, float]:
    """Extend an interval to contain its estimate (a percentile interval of a biased statistic may not)."""
    if not np.isfinite(value):
        return float("nan"), float("nan")
    return float(min(low, value)) if np.isfinite(low) else low, float(max(high, value)) if np.isfinite(high) else high


def _defined_std_error(value: float, std_error: Scalar) -> float:
    """The standard error of a defined value; NaN for an undefined (NaN) value, like its interval."""
    return float(std_error) if np.isfinite(value) else float("nan")


def make_estimate(value: Scalar, low: Scalar, high: Scalar, method: str, *, std_error: Scalar) -> Estimate:
    """An :class:`Estimate` whose interval is extended to contain its value."""
    low, high = contain(float(value), float(low), float(high))
    return Estimate(value=float(value), ci_low=low, ci_high=high, method=method,
                    std_error=_defined_std_error(float(value), std_error))


def bootstrap_std_error(replicates: np.ndarray, *, n_examples: int) -> np.ndarray:
    """Standard deviation (``ddof=1``) of bootstrap replicates along axis 0, the interval's standard error.

    Resamples where the statistic is undefined (NaN) are left out, as the intervals leave them out.
    NaN with fewer than two examples or fewer than two defined replicates.

    Examples
    --------
    >>> float(bootstrap_std_error(np.array([1.0, 2.0, 3.0, np.nan]), n_examples=10))
    1.0
    """
    replicates = np.asarray(replicates, dtype=float)
    defined = np.isfinite(replicates).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # fewer than two defined replicates: NaN, set below
        spread = np.nanstd(replicates, axis=0, ddof=1)
    return np.where((defined >= 2) & (n_examples >= 2), spread, np.nan)


def mean_std_error(values: np.ndarray) -> float:
    """Standard error ``s / sqrt(n)`` of the mean of per-example values (``scipy.stats.sem``); NaN below two."""
    n = values.shape[0]
    if n < 2:
        return float("nan")
    return float(values.std(ddof=1) / np.sqrt(n))


def t_interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Mean and t interval of per-example values."""
    n = values.shape[0]
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan"), float("nan")
    half = stdtrit(n - 1, 0.5 + confidence / 2.0) * values.std(ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def t_test_p_value(values: np.ndarray) -> float:
    """Two-sided one-sample t-test of mean zero (``scipy.stats.ttest_1samp(values, 0).pvalue``)."""
    n = values.shape[0]
    t = values.mean() / (values.std(ddof=1) / np.sqrt(n))
    return float(2.0 * stdtr(n - 1, -abs(t)))


def make_difference(
    name: str, difference: Scalar, low: Scalar, high: Scalar, p_value: Scalar, test: str, method: str,
    baseline_value: Scalar, candidate_value: Scalar, *, std_error: Scalar, reason: str = "",
) -> Difference:
    """A :class:`Difference` whose adjusted p-value and verdict are filled in later.

    A ``reason`` says the data cannot support a verdict: the interval, standard error and p-value
    are then undefined (NaN), whatever was passed, and the verdict stays ``"undefined"``. A
    difference that is itself undefined gets a reason saying so.

    Examples
    --------
    >>> d = make_difference("accuracy", 1.0, 1.0, 1.0, 0.0, "paired permutation", "bootstrap", 0.0, 1.0,
    ...                     std_error=0.0, reason=FEWER_THAN_TWO)
    >>> d.p_value, d.ci_low, d.verdict
    (nan, nan, <Verdict.UNDEFINED: 'undefined'>)
    """
    nan = float("nan")
    if not reason and not np.isfinite(float(difference)):
        reason = "the metric is undefined on these examples"
    if reason:
        low, high, p_value, std_error = nan, nan, nan, nan
    low, high = contain(float(difference), float(low), float(high)) if np.isfinite(float(low)) else (nan, nan)
    return Difference(
        difference=float(difference), ci_low=low, ci_high=high, p_value=float(p_value),
        p_value_adjusted=float(p_value), test=test, verdict=VERDICT_UNDEFINED, method=method,
        baseline_value=float(baseline_value), candidate_value=float(candidate_value),
        std_error=_defined_std_error(float(difference), std_error), reason=reason,
    )


def satterthwaite_df(influence: np.ndarray, groups: np.ndarray) -> float:
    """Welch-Satterthwaite degrees of freedom of a variance that is a sum of per-group variances.

    DeLong's variance of a (difference of) ROC AUC is ``sum(psi**2)``, the sum over the classes'
    examples of each class's component, estimated from that class's examples. With few examples of
    a class its component is estimated with few degrees of freedom, and a normal reference
    distribution gives p-values far too small (one test in five false at two positives among
    200). The effective degrees of freedom of the sum, ``(sum a_g)^2 / sum(a_g^2 / (n_g - 1))`` with
    ``a_g`` a group's share of the variance and ``n_g`` its examples (Satterthwaite 1946; Welch
    1947), give a t reference distribution instead. NaN when a group has fewer than two examples;
    infinite when there is no variance.

    Examples
    --------
    >>> round(satterthwaite_df(np.array([0.1, -0.1, 0.01, -0.01, 0.0]), np.array([0, 0, 1, 1, 1])), 2)
    1.02
    """
    shares = np.bincount(groups, weights=influence**2)
    return satterthwaite_df_of(shares, np.bincount(groups, minlength=shares.shape[0]))


def satterthwaite_df_of(shares: np.ndarray, sizes: np.ndarray) -> float:
    """:func:`satterthwaite_df` from each group's summed squared influence (``shares``) and its examples.

    Examples
    --------
    >>> round(satterthwaite_df_of(np.array([0.02, 0.0002]), np.array([2, 3])), 2)
    1.02
    """
    present = sizes > 0
    if (sizes[present] < 2).any():
        return float("nan")
    shares, sizes = shares[present], sizes[present]
    spread = float(np.sum(shares**2 / (sizes - 1)))
    return float(np.sum(shares)) ** 2 / spread if spread > 0 else float("inf")


def logit_interval(value: float, std_error: float, confidence: float, df: float) -> tuple[float, float]:
    """Interval of a proportion-like value in (0, 1) on the logit scale, with a t (or normal) quantile.

    ``expit(logit(v) +- t * se / (v (1 - v)))``: the delta method's standard error on the logit
    scale, so that the interval stays inside (0, 1) and is longer on the side away from the bound,
    where the estimate's sampling distribution has its longer tail (Pepe 2003, section 5.2.2, for
    the ROC AUC). At 0 or 1 (perfect separation) the logit is infinite and the interval is the
    value itself.

    Examples
    --------
    >>> [round(x, 4) for x in logit_interval(0.9, 0.03, 0.95, float("inf"))]
    [0.824, 0.9453]
    """
    if not 0.0 < value < 1.0:
        return value, value
    quantile = stdtrit(df, 0.5 + confidence / 2.0) if np.isfinite(df) else ndtri(0.5 + confidence / 2.0)
    centre = np.log(value / (1.0 - value))
    half = quantile * std_error / (value * (1.0 - value))
    return float(1.0 / (1.0 + np.exp(-(centre - half)))), float(1.0 / (1.0 + np.exp(-(centre + half))))
