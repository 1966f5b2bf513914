"""Ranking statistics of one class's scores: the threshold curve, ROC AUC with DeLong's influences, average precision.

Each class's scores are ranked once (:func:`ranked_summary`); every statistic that depends on the
ranking is read from the runs of tied scores:

* the counts at every distinct threshold (:class:`FullCurve`), from which the precision-recall and
  ROC curves and the operating points follow (:mod:`evaluation._thresholds`);
* ROC AUC and each example's DeLong influence (DeLong, DeLong & Clarke-Pearson 1988, with the
  structural components of Sun & Xu 2014): ``sum(psi**2)`` is DeLong's variance of the AUC and
  ``sum((psi_a - psi_b)**2)`` that of a paired difference;
* average precision, exact on the raw scores, and its jackknife values on scores grouped into 1,000
  rank bins, where leaving one example out has a closed form per bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_AP_BINS", "GRID_DECIMALS", "FullCurve", "RankedSummary", "RunValues", "full_curve", "ranked_summary",
           "run_values"]

DEFAULT_AP_BINS = 1000


@dataclass(frozen=True)
class FullCurve:
    """Counts at every distinct threshold, highest threshold first.

    Attributes
    ----------
    thresholds:
        Distinct scores, decreasing.
    true_positives, false_positives:
        Examples with score ``>= threshold`` that are / are not of the class.
    positives, negatives:
        Totals.
    """

    thresholds: np.ndarray
    true_positives: np.ndarray
    false_positives: np.ndarray
    positives: int
    negatives: int

    @property
    def precision(self) -> np.ndarray:
        """Precision at each threshold (always defined: at least one example is predicted)."""
        return self.true_positives / (self.true_positives + self.false_positives)

    @property
    def recall(self) -> np.ndarray:
        """Recall (true-positive rate) at each threshold; 0 without positives."""
        return self.true_positives / self.positives if self.positives else np.zeros_like(self.thresholds)

    @property
    def false_positive_rate(self) -> np.ndarray:
        """False-positive rate at each threshold; 0 without negatives."""
        return self.false_positives / self.negatives if self.negatives else np.zeros_like(self.thresholds)

    @property
    def f1(self) -> np.ndarray:
        """F1 at each threshold (0 where precision and recall are both 0)."""
        denominator = self.true_positives * 2 + (self.false_positives + (self.positives - self.true_positives))
        return np.divide(2.0 * self.true_positives, denominator, out=np.zeros(self.thresholds.shape),
                         where=denominator > 0)


def full_curve(positive: np.ndarray, score: np.ndarray, *, order: np.ndarray | None = None) -> FullCurve:
    """Cumulative counts at every distinct threshold (the points of scikit-learn's curves).

    ``precision``/``recall`` equal ``sklearn.metrics.precision_recall_curve`` and
    ``false_positive_rate``/``recall`` equal ``roc_curve(drop_intermediate=False)`` at the same
    thresholds. ``order`` may pass ``np.argsort(score)`` to share one sort.

    Examples
    --------
    >>> curve = full_curve(np.array([True, False, True]), np.array([0.9, 0.5, 0.5]))
    >>> curve.thresholds.tolist(), curve.precision.tolist()
    ([0.9, 0.5], [1.0, 0.6666666666666666])
    """
    order = np.argsort(-score) if order is None else order[::-1]
    sorted_score = score[order]
    last_of_run = np.append(np.flatnonzero(sorted_score[1:] != sorted_score[:-1]), score.shape[0] - 1)
    true_positives = np.cumsum(positive[order], dtype=np.int64)[last_of_run]
    false_positives = last_of_run + 1 - true_positives
    positives = int(positive.sum())
    return FullCurve(sorted_score[last_of_run], true_positives, false_positives, positives,
                     int(score.shape[0]) - positives)


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
        ROC AUC and each example's DeLong influence (``psi`` above).
    average_precision, leave_one_out:
        Exact AP and each example's binned leave-one-out AP (``n_bins`` bins of consecutive ranks).
    curve:
        Counts at every distinct threshold (as :func:`full_curve`).
    """

    auc: float
    auc_influence: np.ndarray
    average_precision: float
    leave_one_out: np.ndarray
    curve: FullCurve


GRID_DECIMALS = 6
"""Scores written with at most this many decimals are counted on their grid (:func:`_runs`); the engines count
every score on it."""


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
    scaled = score * 10.0**GRID_DECIMALS
    np.rint(scaled, out=scaled)
    if n and scaled.min() >= 0 and np.array_equal(scaled / 10.0**GRID_DECIMALS, score):
        cells = scaled.astype(np.int64)
        length = 2 * int(cells.max()) + 2
        cells *= 2
        cells += positive
        by_class = np.bincount(cells, minlength=length).reshape(-1, 2)  # [negatives, positives] per grid key
        sizes = by_class[:, 0] + by_class[:, 1]
        values = np.flatnonzero(sizes)
        return values / 10.0**GRID_DECIMALS, sizes[values], by_class[values, 1], values, cells
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


@dataclass(frozen=True)
class RunValues:
    """A class's ranking statistics from its runs of tied scores, each example's values per run.

    Attributes
    ----------
    auc, psi:
        ROC AUC, and the DeLong influence of a negative and of a positive example of each run.
    average_precision, leave_one_out:
        Exact AP, and the binned leave-one-out AP of a negative and of a positive example of each run (``None``
        without positives or with fewer than two examples).
    curve:
        Counts at every distinct threshold.
    """

    auc: float
    psi: tuple[np.ndarray, np.ndarray]
    average_precision: float
    leave_one_out: tuple[np.ndarray, np.ndarray] | None
    curve: FullCurve


def run_values(thresholds: np.ndarray, sizes: np.ndarray, positives_in: np.ndarray, *,
               n_bins: int = DEFAULT_AP_BINS) -> RunValues:
    """ROC AUC with DeLong influences, AP with jackknife values and the threshold curve, from the runs of tied
    scores in ascending order (their scores, sizes and positives): what :func:`ranked_summary` reads from one
    ranking, and what an engine that counts examples per score gives without the rows."""
    n = int(sizes.sum())
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
        return RunValues(auc, psi_by_run, float(average_precision), None, curve)
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
    return RunValues(auc, psi_by_run, average_precision, (drop_negative[bin_of_run], drop_positive[bin_of_run]), curve)


def ranked_summary(positive: np.ndarray, score: np.ndarray, *, n_bins: int = DEFAULT_AP_BINS) -> RankedSummary:
    """ROC AUC with DeLong influences, AP with jackknife values and the threshold curve, from one ranking.

    The scores are grouped into runs of ties in ascending order (see :func:`_runs`); every
    statistic is a function of the positives and negatives per run (:func:`run_values`), and each
    example's influence is read from a table indexed by (its run, its class). At a million examples
    this costs less than one sort per statistic, and no sort at all for scores on a six-decimal grid.
    """
    thresholds, sizes, positives_in, slot_of_run, row_cell = _runs(positive, score)
    values = run_values(thresholds, sizes, positives_in, n_bins=n_bins)
    if values.leave_one_out is None:
        psi = _spread(slot_of_run, row_cell, values.psi, values.psi).real
        return RankedSummary(values.auc, psi, values.average_precision, np.full(score.shape[0], np.nan), values.curve)
    rows = _spread(slot_of_run, row_cell, values.psi, values.leave_one_out)
    return RankedSummary(values.auc, rows.real, values.average_precision, rows.imag, values.curve)
