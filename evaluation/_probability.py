"""Metrics of class probabilities: per-example losses, calibration and average precision.

Log loss and the Brier score are means of per-example values, so their intervals and paired tests
use those values directly. Expected calibration error and average precision are not; this module
gives each a representation its resampling can use without revisiting rows:

* ECE: every example falls in one cell (confidence bin, correct or not); a bin's gap is the sum of
  ``correct - confidence`` over its examples, so resampled ECE needs only cell counts and each cell's
  mean confidence.
* Average precision: exact on the raw scores; its standard error comes from the jackknife on scores
  grouped into 1,000 rank bins, where leaving one example out has a closed form per bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._thresholds import FullCurve

__all__ = [
    "DEFAULT_AP_BINS",
    "DEFAULT_ECE_BINS",
    "RankedSummary",
    "average_precision",
    "average_precision_jackknife",
    "brier_per_example",
    "calibration_bin",
    "expected_calibration_error",
    "log_loss_per_example",
    "ranked_summary",
    "top_label",
]

DEFAULT_ECE_BINS = 15
DEFAULT_AP_BINS = 1000


def log_loss_per_example(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    """Negative log probability of the true class, clipped to ``[eps, 1 - eps]`` as scikit-learn does.

    Parameters
    ----------
    y_true:
        ``(n,)`` integer class codes.
    y_score:
        ``(n, k)`` class probabilities.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` losses; their mean is ``sklearn.metrics.log_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> log_loss_per_example(np.array([1]), np.array([[0.5, 0.5]])).round(4)
    array([0.6931])
    """
    eps = np.finfo(y_score.dtype).eps
    p_true = y_score[np.arange(y_true.shape[0]), y_true]
    return -np.log(np.clip(p_true, eps, 1 - eps))


def brier_per_example(y_true: np.ndarray, y_score: np.ndarray, *, positive: int | None = None) -> np.ndarray:
    """Squared error of the probabilities per example.

    Binary tasks (``positive`` given): ``(p_positive - y)^2``, the scikit-learn binary Brier score.
    Multiclass: ``sum_k (p_k - [y = k])^2``, the original Brier (1950) score that scikit-learn uses
    for more than two classes.

    Examples
    --------
    >>> import numpy as np
    >>> brier_per_example(np.array([1]), np.array([[0.2, 0.8]]), positive=1).round(4)
    array([0.04])
    """
    n = y_true.shape[0]
    if positive is not None:
        return (y_score[:, positive] - (y_true == positive)) ** 2
    squared = y_score**2
    total = squared.sum(axis=1)
    p_true = y_score[np.arange(n), y_true]
    # sum_k (p_k - onehot_k)^2 = sum_k p_k^2 - 2 p_true + 1, without building the one-hot matrix.
    return total - 2.0 * p_true + 1.0


def top_label(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Confidence of the most probable class and whether that class is the true one.

    Returns
    -------
    (confidence, correct)
        ``(n,)`` float and bool arrays; ties go to the first class, as ``numpy.argmax``.
    """
    top = np.argmax(y_score, axis=1)
    confidence = y_score[np.arange(y_score.shape[0]), top]
    return confidence, top == y_true


def calibration_bin(confidence: np.ndarray, *, n_bins: int = DEFAULT_ECE_BINS) -> np.ndarray:
    """Equal-width bin of each confidence: bin ``b`` holds ``b/M < c <= (b+1)/M`` (Guo et al. 2017)."""
    return np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)


def expected_calibration_error(y_true: np.ndarray, y_score: np.ndarray, *, n_bins: int = DEFAULT_ECE_BINS) -> float:
    """Top-label expected calibration error with equal-width bins.

    ``ECE = sum_b |B_b| / n * |accuracy(B_b) - mean confidence(B_b)|`` (Naeini et al. 2015; Guo et
    al. 2017), 15 bins by default.

    Examples
    --------
    >>> import numpy as np
    >>> expected_calibration_error(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
    0.45
    """
    confidence, correct = top_label(y_true, y_score)
    bins = calibration_bin(confidence, n_bins=n_bins)
    gap = np.bincount(bins, weights=correct - confidence, minlength=n_bins)
    return float(np.abs(gap).sum() / y_true.shape[0])


def _sorted_groups(
    score: np.ndarray, ascending: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Descending order of the scores, the sorted scores and where each run of ties starts.

    ``ascending`` is ``np.argsort(score)`` when the caller has it; reversed, it is a descending
    order (the order within ties does not matter: every quantity is per run of ties).
    """
    order = np.argsort(-score) if ascending is None else ascending[::-1]
    sorted_score = score[order]
    starts = np.empty(score.shape[0], dtype=bool)
    starts[:1] = True
    np.not_equal(sorted_score[1:], sorted_score[:-1], out=starts[1:])
    return order, sorted_score, starts


def _average_precision_sorted(positive_sorted: np.ndarray, starts: np.ndarray) -> float:
    """Step-sum average precision over distinct thresholds (scikit-learn's definition)."""
    ends = np.append(np.flatnonzero(starts[1:]), positive_sorted.shape[0] - 1)
    true_positives = np.cumsum(positive_sorted)[ends]
    n_positive = true_positives[-1]
    if n_positive == 0:
        return float("nan")
    precision = true_positives / (ends + 1.0)
    recall_step = np.diff(true_positives, prepend=0) / n_positive
    return float(np.sum(recall_step * precision))


def average_precision(positive: np.ndarray, score: np.ndarray) -> float:
    """Average precision, equal to ``sklearn.metrics.average_precision_score``; NaN without positives.

    Examples
    --------
    >>> import numpy as np
    >>> average_precision(np.array([False, False, True, True]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.8333333333333333
    """
    order, _, starts = _sorted_groups(score)
    return _average_precision_sorted(positive[order], starts)


def _binned_leave_one_out(positives: np.ndarray, negatives: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Binned AP with one positive (first array) or one negative (second) removed from each bin.

    Removing an example from bin ``j`` changes the cumulative counts of bins ``b >= j`` only, so
    with prefix sums of the unchanged terms and suffix sums of the shifted ones each of the
    ``2 n_bins`` leave-one-out values costs O(1).
    """
    cum_tp = np.cumsum(positives)
    cum_fp = np.cumsum(negatives)
    total_positive = cum_tp[-1]

    def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        return np.divide(numerator, denominator, out=np.zeros(numerator.shape), where=denominator > 0)

    unchanged = positives * ratio(cum_tp, cum_tp + cum_fp)
    before = np.concatenate([[0.0], np.cumsum(unchanged)[:-1]])  # sum over bins b < j
    # One positive fewer from bin j on: bins after j keep their positives, bin j loses one.
    shifted_tp = positives * ratio(cum_tp - 1.0, cum_tp - 1.0 + cum_fp)
    after_tp = np.cumsum(shifted_tp[::-1])[::-1] - shifted_tp  # sum over bins b > j
    own = (positives - 1.0) * ratio(cum_tp - 1.0, cum_tp - 1.0 + cum_fp)
    with np.errstate(invalid="ignore", divide="ignore"):
        drop_positive = (before + own + after_tp) / (total_positive - 1.0)
    # One negative fewer from bin j on.
    shifted_fp = positives * ratio(cum_tp, cum_tp + cum_fp - 1.0)
    from_j = np.cumsum(shifted_fp[::-1])[::-1]  # sum over bins b >= j
    drop_negative = (before + from_j) / total_positive
    return drop_positive, drop_negative


@dataclass(frozen=True)
class RankedSummary:
    """What one sort of a class's scores gives: exact AP, its leave-one-out values, the curve counts."""

    average_precision: float
    leave_one_out: np.ndarray
    curve: FullCurve


def ranked_summary(
    positive: np.ndarray, score: np.ndarray, *, n_bins: int = DEFAULT_AP_BINS, order: np.ndarray | None = None
) -> RankedSummary:
    """Average precision, its binned leave-one-out values and the threshold curve, from one sort.

    See :func:`average_precision_jackknife` for the leave-one-out values and
    :func:`evaluation._thresholds.full_curve` for the curve.
    """
    n = score.shape[0]
    order, sorted_score, starts = _sorted_groups(score, order)
    positive_sorted = positive[order]
    ends = np.append(np.flatnonzero(starts[1:]), n - 1)
    true_positives = np.cumsum(positive_sorted, dtype=np.int64)[ends]
    n_positive = int(true_positives[-1]) if n else 0
    curve = FullCurve(sorted_score[ends], true_positives, ends + 1 - true_positives, n_positive, n - n_positive)
    if n_positive == 0:
        return RankedSummary(float("nan"), np.full(n, np.nan), curve)
    precision = true_positives / (ends + 1.0)
    estimate = float(np.sum(np.diff(true_positives, prepend=0) / n_positive * precision))
    if n < 2:
        return RankedSummary(estimate, np.full(n, np.nan), curve)
    n_bins = min(n_bins, n)
    first_of_run = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    bin_sorted = first_of_run * n_bins // n
    positives = np.bincount(bin_sorted, weights=positive_sorted, minlength=n_bins)
    negatives = np.bincount(bin_sorted, minlength=n_bins) - positives
    drop_positive, drop_negative = _binned_leave_one_out(positives, negatives)
    # Leaving out the only positive leaves AP undefined: that example gets no influence.
    cum_tp, cum_fp = np.cumsum(positives), np.cumsum(negatives)
    binned = float(np.sum(positives * np.divide(cum_tp, cum_tp + cum_fp, out=np.zeros(n_bins),
                                                 where=cum_tp + cum_fp > 0)) / cum_tp[-1])
    drop_positive = np.where(np.isfinite(drop_positive), drop_positive, binned)
    leave_one_out = np.empty(n)
    leave_one_out[order] = np.where(positive_sorted, drop_positive[bin_sorted], drop_negative[bin_sorted])
    return RankedSummary(estimate, leave_one_out, curve)


def average_precision_jackknife(
    positive: np.ndarray, score: np.ndarray, *, n_bins: int = DEFAULT_AP_BINS, order: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Exact average precision and each example's leave-one-out value on rank-binned scores.

    Scores are grouped into ``n_bins`` bins of consecutive ranks (tied scores share a bin); leaving
    one example out changes only its bin's counts, so every leave-one-out value is read from two
    ``n_bins``-long tables. The jackknife variance of AP (or of a paired difference of APs, by
    subtracting two models' leave-one-out vectors) follows from these values.

    ``order`` may pass ``np.argsort(score)`` to share one sort with other statistics.

    Returns
    -------
    (estimate, leave_one_out)
        The exact AP and an ``(n,)`` array of binned leave-one-out APs; NaNs when there are no
        positives.
    """
    summary = ranked_summary(positive, score, n_bins=n_bins, order=order)
    return summary.average_precision, summary.leave_one_out
