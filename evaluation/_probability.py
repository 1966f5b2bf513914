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
    p_true = _true_class_probability(y_true, y_score)
    np.clip(p_true, eps, 1 - eps, out=p_true)
    np.log(p_true, out=p_true)
    return np.negative(p_true, out=p_true)


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
    # sum_k (p_k - onehot_k)^2 = sum_k p_k^2 - 2 p_true + 1, without building the one-hot matrix,
    # column by column (the matrix may be column-major; no (n, k) temporary either way).
    total = _true_class_probability(y_true, y_score)
    total *= -2.0
    total += 1.0
    square = np.empty(n)
    for k in range(y_score.shape[1]):
        total += np.square(y_score[:, k], out=square)
    return total


def _true_class_probability(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    """Each example's probability of its true class, as a new array."""
    n = y_true.shape[0]
    if y_score.flags.f_contiguous and y_score.ndim == 2:
        # Column-major: one gather from the flat columns reads faster than a two-index lookup.
        flat_index = y_true.astype(np.int64) * n
        flat_index += np.arange(n)
        return np.take(y_score.T.reshape(-1), flat_index)
    return y_score[np.arange(n), y_true]


def top_label(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Confidence of the most probable class and whether that class is the true one.

    Returns
    -------
    (confidence, correct)
        ``(n,)`` float and bool arrays; ties go to the first class, as ``numpy.argmax``.
    """
    if y_score.flags.f_contiguous and not y_score.flags.c_contiguous:
        # Column by column: argmax along rows of a column-major matrix reads memory with a stride.
        top = np.zeros(y_score.shape[0], dtype=np.int64)
        confidence = y_score[:, 0].copy()
        for k in range(1, y_score.shape[1]):
            higher = y_score[:, k] > confidence
            top[higher] = k
            np.maximum(confidence, y_score[:, k], out=confidence)
        return confidence, top == y_true
    top = np.argmax(y_score, axis=1)
    confidence = y_score[np.arange(y_score.shape[0]), top]
    return confidence, top == y_true


def calibration_bin(confidence: np.ndarray, *, n_bins: int = DEFAULT_ECE_BINS) -> np.ndarray:
    """Equal-width bin of each confidence: bin ``b`` holds ``b/M < c <= (b+1)/M`` (Guo et al. 2017).

    Compared against the edges themselves (``ceil(c * M)`` rounds wrongly for some edges, such as
    0.28 with 25 bins); a confidence of 0 falls in the first bin.

    Examples
    --------
    >>> calibration_bin(np.array([0.0, 0.28, 0.2801, 1.0]), n_bins=25).tolist()
    [0, 6, 7, 24]
    """
    edges = np.arange(1, n_bins) / n_bins
    return np.searchsorted(edges, confidence, side="left").astype(np.int64)


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
    """What one sort of a class's scores gives.

    Attributes
    ----------
    auc, auc_influence:
        ROC AUC and each example's DeLong influence (as :func:`evaluation._delong.auc_influence`).
    average_precision, leave_one_out:
        Exact AP and each example's binned leave-one-out AP (as :func:`average_precision_jackknife`).
    curve:
        Counts at every distinct threshold (as :func:`evaluation._thresholds.full_curve`).
    """

    auc: float
    auc_influence: np.ndarray
    average_precision: float
    leave_one_out: np.ndarray
    curve: FullCurve


_GRID_DECIMALS = 6


def _runs(positive: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Runs of tied scores in ascending order: their scores, sizes and positives, and where each row's run is.

    The last two arrays give every run a slot (the run's index, or for grid scores the score's
    grid key) and every row its cell ``2 * slot + positive``, so that per-run values of each class
    spread to the rows with one gather from a table indexed by cell.

    Scores written with at most six decimals (as prediction files usually are) are counted on that
    grid, in O(n) without sorting: one count of the rows' cells gives every run's negatives and
    positives. Any other scores are sorted.
    """
    n = score.shape[0]
    scaled = score * 10.0**_GRID_DECIMALS
    np.rint(scaled, out=scaled)
    if n and scaled.min() >= 0 and np.array_equal(scaled / 10.0**_GRID_DECIMALS, score):
        cells = scaled.astype(np.int64)
        length = 2 * int(cells.max()) + 2
        cells *= 2
        cells += positive
        by_class = np.bincount(cells, minlength=length).reshape(-1, 2)  # [negatives, positives] per grid key
        sizes = by_class[:, 0] + by_class[:, 1]
        values = np.flatnonzero(sizes)
        return values / 10.0**_GRID_DECIMALS, sizes[values], by_class[values, 1], values, cells
    order = np.argsort(score)
    sorted_score = score[order]
    run_start = np.empty(n, dtype=bool)
    run_start[:1] = True
    np.not_equal(sorted_score[1:], sorted_score[:-1], out=run_start[1:])
    starts = np.flatnonzero(run_start)
    sizes = np.diff(np.append(starts, n))
    positives = np.add.reduceat(positive[order].astype(np.int64), starts) if n else np.zeros(0, dtype=np.int64)
    cells = np.empty(n, dtype=np.int64)
    cells[order] = np.cumsum(run_start, dtype=np.int64) - 1
    cells *= 2
    cells += positive
    return sorted_score[starts], sizes, positives, np.arange(starts.shape[0]), cells


def _spread(slot_of_run: np.ndarray, row_cell: np.ndarray, first: tuple[np.ndarray, np.ndarray],
            second: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Each row's two values, from per-run ``(negatives' value, positives' value)`` pairs, as one complex array.

    The values travel as the real and imaginary parts of one complex table, so a row's two values
    cost one gather: the rows' cells are scattered across the table, and each read misses the cache.
    """
    if slot_of_run.shape[0] == 0:  # no examples
        return np.zeros(row_cell.shape[0], dtype=np.complex128)
    table = np.empty(2 * (int(slot_of_run[-1]) + 1), dtype=np.complex128)
    slots = 2 * slot_of_run
    np.put(table, slots, first[0] + 1j * second[0])
    slots += 1
    np.put(table, slots, first[1] + 1j * second[1])
    return np.take(table, row_cell)


def ranked_summary(positive: np.ndarray, score: np.ndarray, *, n_bins: int = DEFAULT_AP_BINS) -> RankedSummary:
    """ROC AUC with DeLong influences, AP with jackknife values and the threshold curve, from one ranking.

    The scores are grouped into runs of ties in ascending order (see :func:`_runs`); every
    statistic is a function of the positives and negatives per run, and each example's influence
    is read from a table indexed by (its run, its class). At a million examples this costs less
    than one sort per statistic, and no sort at all for scores on a six-decimal grid.
    """
    n = score.shape[0]
    thresholds, sizes, positives_in, slot_of_run, row_cell = _runs(positive, score)
    negatives_in = sizes - positives_in
    ends = np.cumsum(sizes)  # exclusive ascending end of each run
    starts = ends - sizes
    positives_below = np.cumsum(positives_in) - positives_in
    negatives_below = starts - positives_below
    n_positive = int(positives_in.sum())
    n_negative = n - n_positive
    # Descending view: a run's threshold admits every example from it upwards.
    tp_at = n_positive - positives_below
    fp_at = n_negative - negatives_below
    curve = FullCurve(thresholds[::-1], tp_at[::-1], fp_at[::-1], n_positive, n_negative)
    if n_positive == 0 or n_negative == 0:
        auc, psi_by_run = float("nan"), (np.zeros(thresholds.shape[0]), np.zeros(thresholds.shape[0]))
    else:
        negatives_under = negatives_below + 0.5 * negatives_in
        positives_over = n_positive - positives_below - 0.5 * positives_in
        auc = float(np.sum(positives_in * negatives_under)) / (n_positive * n_negative)  # no BLAS: its idle threads spin
        scale_positive = 1.0 / np.sqrt(n_positive * (n_positive - 1.0)) if n_positive > 1 else 0.0
        scale_negative = 1.0 / np.sqrt(n_negative * (n_negative - 1.0)) if n_negative > 1 else 0.0
        psi_by_run = ((positives_over / n_positive - auc) * scale_negative,
                      (negatives_under / n_negative - auc) * scale_positive)
    if n_positive == 0 or n < 2:
        average_precision = float(np.sum(positives_in * (tp_at / (tp_at + fp_at))) / n_positive) if n_positive else np.nan
        psi = _spread(slot_of_run, row_cell, psi_by_run, psi_by_run).real
        return RankedSummary(auc, psi, float(average_precision), np.full(n, np.nan), curve)
    average_precision = float(np.sum(positives_in * (tp_at / (tp_at + fp_at))) / n_positive)
    n_bins = min(n_bins, n)
    bin_of_run = (n - ends) * n_bins // n  # bins of descending rank, from a run's first descending position
    positives = np.bincount(bin_of_run, weights=positives_in, minlength=n_bins)
    negatives = np.bincount(bin_of_run, weights=negatives_in, minlength=n_bins)
    drop_positive, drop_negative = _binned_leave_one_out(positives, negatives)
    cum_tp, cum_fp = np.cumsum(positives), np.cumsum(negatives)
    binned = float(np.sum(positives * np.divide(cum_tp, cum_tp + cum_fp, out=np.zeros(n_bins),
                                                 where=cum_tp + cum_fp > 0)) / cum_tp[-1])
    # Leaving out the only positive leaves AP undefined: that example gets no influence.
    drop_positive = np.where(np.isfinite(drop_positive), drop_positive, binned)
    rows = _spread(slot_of_run, row_cell, psi_by_run, (drop_negative[bin_of_run], drop_positive[bin_of_run]))
    return RankedSummary(auc, rows.real, average_precision, rows.imag, curve)


def average_precision_jackknife(
    positive: np.ndarray, score: np.ndarray, *, n_bins: int = DEFAULT_AP_BINS
) -> tuple[float, np.ndarray]:
    """Exact average precision and each example's leave-one-out value on rank-binned scores.

    Scores are grouped into ``n_bins`` bins of consecutive ranks (tied scores share a bin); leaving
    one example out changes only its bin's counts, so every leave-one-out value is read from two
    ``n_bins``-long tables. The jackknife variance of AP (or of a paired difference of APs, by
    subtracting two models' leave-one-out vectors) follows from these values.

    Returns
    -------
    (estimate, leave_one_out)
        The exact AP and an ``(n,)`` array of binned leave-one-out APs; NaNs when there are no
        positives.
    """
    summary = ranked_summary(positive, score, n_bins=n_bins)
    return summary.average_precision, summary.leave_one_out
