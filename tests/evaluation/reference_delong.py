"""Reference implementation for the tests: DeLong's variance of the ROC AUC, its interval and paired test.

A standalone, documented implementation checked against pROC in ``test_delong.py``; the engine's own
ROC AUC and influences (:func:`evaluation._ranking.ranked_summary`, which shares one ranking with
average precision and the curves) are checked against it in ``test_ranking.py``. It was the engine's
``evaluation._delong`` until the engine stopped using it.

DeLong, DeLong & Clarke-Pearson (1988) write the variance of the empirical AUC through the
*structural components* ``V10_i`` (for positive i, the fraction of negatives ranked below it, ties
counting 1/2) and ``V01_j`` (for negative j, the fraction of positives ranked above it). With m
positives and n negatives,

    var(AUC) = S10 / m + S01 / n,

where S10 and S01 are the sample variances (denominators m - 1 and n - 1) of the components. Here
each example gets an influence value ``psi`` (for positive i ``(V10_i - AUC) / sqrt(m (m - 1))``,
for negative j ``(V01_j - AUC) / sqrt(n (n - 1))``), so that ``sum(psi**2)`` is that variance and,
for two scores on the same examples, ``sum((psi_a - psi_b)**2)`` is DeLong's variance of the paired
difference, covariance included. The components come from one sort of the scores and cumulative
class counts over its tie groups (the idea of Sun & Xu 2014): O(N log N), never O(m n).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr, ndtri

__all__ = [
    "ConfidenceInterval",
    "DeLongResult",
    "auc_influence",
    "delong_interval",
    "delong_test",
]


class ConfidenceInterval(NamedTuple):
    """Bounds of a confidence interval; unpacks as ``low, high``."""

    low: float
    high: float


@dataclass(frozen=True)
class DeLongResult:
    """DeLong's test of two ROC AUCs measured on the same examples.

    Attributes
    ----------
    auc_baseline, auc_candidate:
        ROC AUC of each score (NaN when a class is absent).
    difference:
        ``auc_candidate - auc_baseline``.
    std_error:
        DeLong's standard error of the paired difference.
    z:
        ``difference / std_error``; 0 when both are 0, +-inf when only the standard error is 0.
    p_value:
        Two-sided p-value of the normal test of no difference (1 for identical scores).
    test:
        ``"DeLong"``.
    """

    auc_baseline: float
    auc_candidate: float
    difference: float
    std_error: float
    z: float
    p_value: float
    test: str = "DeLong"


def _scores_iv(positive: ArrayLike, *scores: ArrayLike) -> tuple[NDArray[np.bool_], list[NDArray[np.float64]]]:
    """Check that the labels and every score are 1-D, of one length and free of NaN."""
    labels = np.asarray(positive, dtype=bool)
    if labels.ndim != 1:
        raise ValueError(f"`positive` must be 1-D, got shape {labels.shape}.")
    arrays = [np.asarray(score, dtype=np.float64) for score in scores]
    for array in arrays:
        if array.shape != labels.shape:
            raise ValueError(f"scores of shape {array.shape} do not match `positive` of shape {labels.shape}.")
        if np.isnan(array).any():
            raise ValueError("scores contain NaN; rank-based AUC needs every score.")
    return labels, arrays


def _auc_influence(
    positive: NDArray[np.bool_], y_score: NDArray[np.float64], order: NDArray[np.intp] | None = None
) -> tuple[float, NDArray[np.float64]]:
    """AUC and influence vector of checked inputs (see :func:`auc_influence`)."""
    size = positive.shape[0]
    m = int(np.count_nonzero(positive))
    n = size - m
    if m == 0 or n == 0:
        return float("nan"), np.zeros(size)
    # The one sort. Ties need no stable order: every quantity below is a function of the tie group.
    if order is None:
        order = np.argsort(y_score)
    sorted_score = y_score[order]
    sorted_positive = positive[order]
    tied = np.equal(sorted_score[1:], sorted_score[:-1])
    # Midrank counts of each example's tie group: examples of a class below it, plus half of the
    # group's members of that class (ties count one half).
    positives_mid = np.cumsum(sorted_positive, dtype=np.float64)
    if not tied.any():
        positives_mid -= 0.5 * sorted_positive
        negatives_mid = np.arange(0.5, size)
    else:
        ends = np.append(np.flatnonzero(~tied), size - 1)
        group_size = np.diff(ends, prepend=-1)
        through = positives_mid[ends]
        positives_mid = np.repeat(through - 0.5 * np.diff(through, prepend=0.0), group_size)
        negatives_mid = np.repeat((ends + 1.0) - 0.5 * group_size, group_size)
    negatives_mid -= positives_mid
    # Every term is a multiple of 1/2 below 2**53, so the sum is exact; one rounding in the division.
    auc = float(np.sum(negatives_mid, where=sorted_positive)) / (m * n)
    # A single example of a class has no sample variance; that class then contributes zero.
    scale_positive = 1.0 / math.sqrt(m * (m - 1)) if m > 1 else 0.0
    scale_negative = 1.0 / math.sqrt(n * (n - 1)) if n > 1 else 0.0
    # In place, to spare a million-row call new arrays: V10 = negatives_mid / n, V01 = 1 - positives_mid / m.
    negatives_mid *= scale_positive / n
    negatives_mid -= auc * scale_positive
    positives_mid *= -scale_negative / m
    positives_mid += (1.0 - auc) * scale_negative
    np.copyto(positives_mid, negatives_mid, where=sorted_positive)
    psi = np.empty(size)
    psi[order] = positives_mid
    return auc, psi


def auc_influence(
    positive: ArrayLike, y_score: ArrayLike, *, order: NDArray[np.intp] | None = None
) -> tuple[float, NDArray[np.float64]]:
    """ROC AUC and its DeLong influence vector.

    Parameters
    ----------
    positive : array of bool, shape (n,)
        True for the positive class.
    y_score : array of float, shape (n,)
        Scores, higher meaning more likely positive; ties count 1/2. NaN is not allowed.
    order : array of int, shape (n,), optional
        ``np.argsort(y_score)`` when the caller already has it (any order within ties), so that
        several statistics of one score share a single sort.

    Returns
    -------
    auc : float
        The ROC AUC, equal to :func:`sklearn.metrics.roc_auc_score`. NaN if either class is absent.
    psi : ndarray, shape (n,)
        Influence of each example: ``np.sum(psi**2)`` is DeLong's variance of the AUC (pROC's
        ``var(roc, method = "delong")``) and ``np.sum((psi_a - psi_b)**2)`` DeLong's variance of the
        difference of two AUCs on the same examples. All zeros if either class is absent. With a
        single positive (or negative) that class has no sample variance and its entries are 0.

    Raises
    ------
    ValueError
        If the shapes differ, the input is not 1-D, or a score is NaN.

    Examples
    --------
    >>> auc, psi = auc_influence(np.array([True, False, True, False]), np.array([0.9, 0.1, 0.4, 0.6]))
    >>> auc
    0.75
    >>> round(float(np.sum(psi**2)), 4)
    0.125
    """
    labels, (score,) = _scores_iv(positive, y_score)
    return _auc_influence(labels, score, order)


def delong_interval(
    psi: ArrayLike, estimate: float, *, confidence: float, bounds: tuple[float, float] = (0.0, 1.0)
) -> ConfidenceInterval:
    """Normal confidence interval ``estimate +- z * sqrt(sum(psi**2))``, clipped to ``bounds``.

    Parameters
    ----------
    psi : array of float
        Influence vector from :func:`auc_influence` (or a difference of two, for a paired difference).
    estimate : float
        The AUC (or difference of AUCs).
    confidence : float
        Two-sided level in (0, 1), e.g. 0.95.
    bounds : (float, float)
        Range of the parameter: ``(0, 1)`` for an AUC, ``(-1, 1)`` for a difference.

    Returns
    -------
    ConfidenceInterval
        ``(low, high)``; NaN bounds if ``estimate`` is NaN.

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1.

    Examples
    --------
    >>> delong_interval(np.array([0.03, -0.04]), 0.9, confidence=0.95)
    ConfidenceInterval(low=0.8020018007729973, high=0.9979981992270027)
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}.")
    if math.isnan(estimate):
        return ConfidenceInterval(float("nan"), float("nan"))
    half_width = float(ndtri(0.5 + confidence / 2.0)) * math.sqrt(float(np.sum(np.square(psi))))
    low, high = float(bounds[0]), float(bounds[1])
    return ConfidenceInterval(max(low, float(estimate) - half_width), min(high, float(estimate) + half_width))


def delong_test(positive: ArrayLike, score_baseline: ArrayLike, score_candidate: ArrayLike) -> DeLongResult:
    """DeLong's test that two scores on the same examples have the same ROC AUC.

    Parameters
    ----------
    positive : array of bool, shape (n,)
        True for the positive class.
    score_baseline, score_candidate : array of float, shape (n,)
        The two models' scores for the positive class.

    Returns
    -------
    DeLongResult
        Difference candidate minus baseline, its standard error, z and the two-sided p-value.
        Identical scores give difference 0 and p-value 1; if a class is absent every number is NaN.

    Raises
    ------
    ValueError
        If the shapes differ or a score is NaN.

    Examples
    --------
    >>> result = delong_test([True, False, True, False], [0.9, 0.1, 0.4, 0.6], [0.9, 0.1, 0.7, 0.6])
    >>> result.difference
    0.25
    """
    labels, (baseline, candidate) = _scores_iv(positive, score_baseline, score_candidate)
    auc_baseline, psi_baseline = _auc_influence(labels, baseline)
    auc_candidate, psi_candidate = _auc_influence(labels, candidate)
    difference = auc_candidate - auc_baseline
    std_error = math.sqrt(float(np.sum((psi_candidate - psi_baseline) ** 2)))
    if math.isnan(difference):
        z = p_value = std_error = float("nan")
    elif std_error == 0.0:
        z = 0.0 if difference == 0.0 else math.copysign(math.inf, difference)
        p_value = 1.0 if difference == 0.0 else 0.0
    else:
        z = difference / std_error
        p_value = float(2.0 * ndtr(-abs(z)))
    return DeLongResult(auc_baseline, auc_candidate, difference, std_error, z, p_value)
