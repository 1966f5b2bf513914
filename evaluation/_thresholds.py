"""Threshold trade-offs: precision-recall and ROC curves, metrics at a threshold, operating points.

Every curve is one-vs-rest: for class ``c`` the score is the probability of ``c`` and an example is
predicted ``c`` when that score is ``>= threshold``. Binary tasks use the positive class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._results import CalibrationCurve, OperatingPoint, ThresholdCurve

__all__ = [
    "MAX_CURVE_POINTS",
    "FullCurve",
    "calibration_curve",
    "full_curve",
    "metrics_at_threshold",
    "threshold_curve",
]

MAX_CURVE_POINTS = 300


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


def metrics_at_threshold(positive: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    """One-vs-rest counts and metrics when predicting the class for ``score >= threshold``.

    Returns
    -------
    dict
        ``threshold``, ``true_positives``, ``false_positives``, ``false_negatives``,
        ``true_negatives``, ``precision``, ``recall``, ``f1``, ``specificity``,
        ``false_positive_rate``, ``accuracy``, ``predicted_positive_rate``; ratios with a zero
        denominator are 0 (scikit-learn's ``zero_division=0``).

    Examples
    --------
    >>> metrics_at_threshold(np.array([True, False, True]), np.array([0.9, 0.5, 0.4]), 0.5)["precision"]
    0.5
    """
    predicted = score >= threshold
    tp = int(np.sum(predicted & positive))
    fp = int(np.sum(predicted & ~positive))
    fn = int(np.sum(~predicted & positive))
    tn = int(positive.shape[0]) - tp - fp - fn

    def ratio(a: float, b: float) -> float:
        return a / b if b else 0.0

    return {
        "threshold": float(threshold),
        "true_positives": tp, "false_positives": fp, "false_negatives": fn, "true_negatives": tn,
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
        "specificity": ratio(tn, tn + fp),
        "false_positive_rate": ratio(fp, fp + tn),
        "accuracy": ratio(tp + tn, positive.shape[0]),
        "predicted_positive_rate": ratio(tp + fp, positive.shape[0]),
    }


def _point(name: str, curve: FullCurve, i: int | None) -> OperatingPoint:
    """The operating point at curve index ``i`` (None: the target cannot be met)."""
    if i is None:
        nan = float("nan")
        return OperatingPoint(name, nan, nan, nan, nan, nan, met=False)
    at = FullCurve(curve.thresholds[i:i + 1], curve.true_positives[i:i + 1], curve.false_positives[i:i + 1],
                   curve.positives, curve.negatives)  # the one point, not the whole curve's ratios
    return OperatingPoint(name, float(at.thresholds[0]), float(at.precision[0]), float(at.recall[0]),
                          float(at.f1[0]), float(at.false_positive_rate[0]))


def _thin(n_points: int, keep: Sequence[int], limit: int) -> np.ndarray:
    """At most about ``limit`` indices spread over ``range(n_points)``, always with ``keep``."""
    if n_points <= limit:
        return np.arange(n_points)
    spread = np.unique(np.linspace(0, n_points - 1, limit).round().astype(np.int64))
    return np.unique(np.concatenate([spread, np.asarray(keep, dtype=np.int64)]))


def threshold_curve(
    label: str, positive: np.ndarray, score: np.ndarray, *,
    target_precisions: Sequence[float] = (), target_recalls: Sequence[float] = (),
    max_points: int = MAX_CURVE_POINTS, order: np.ndarray | None = None, curve: FullCurve | None = None,
) -> ThresholdCurve:
    """The thinned curves and operating points of one class.

    Operating points: ``best_f1`` (the threshold of highest F1; the highest such threshold on ties);
    ``precision>=p`` (the lowest threshold whose precision is at least p: the most recall at that
    precision); ``recall>=r`` (the highest threshold whose recall is at least r: the most precision
    at that recall). ``curve`` passes counts already computed from the same scores.
    """
    if curve is None:
        curve = full_curve(positive, score, order=order)
    best = int(np.argmax(curve.f1))
    points = [_point("best_f1", curve, best)]
    if target_precisions:
        precision = curve.precision
        for target in target_precisions:
            reached = np.flatnonzero(precision >= target)
            points.append(_point(f"precision>={target:g}", curve, int(reached[-1]) if reached.size else None))
    if target_recalls:
        recall = curve.recall
        for target in target_recalls:
            reached = np.flatnonzero(recall >= target)
            points.append(_point(f"recall>={target:g}", curve, int(reached[0]) if reached.size else None))
    keep = _thin(curve.thresholds.shape[0], [0, best, curve.thresholds.shape[0] - 1], max_points)
    thin = FullCurve(curve.thresholds[keep], curve.true_positives[keep], curve.false_positives[keep], curve.positives,
                     curve.negatives)
    return ThresholdCurve(
        label=label,
        thresholds=tuple(thin.thresholds.tolist()),
        precision=tuple(thin.precision.tolist()),
        recall=tuple(thin.recall.tolist()),
        f1=tuple(thin.f1.tolist()),
        false_positive_rate=tuple(thin.false_positive_rate.tolist()),
        operating_points=tuple(points),
    )


def calibration_curve(
    confidence: np.ndarray, correct: np.ndarray, *, n_bins: int, bins: np.ndarray | None = None
) -> CalibrationCurve:
    """Reliability-diagram bins of the top-label confidence, ``(b/M, (b+1)/M]``, and the ECE.

    ``bins`` may pass each example's bin (``evaluation._probability.calibration_bin``) when known.

    Examples
    --------
    >>> curve = calibration_curve(np.array([0.9, 0.8, 0.3]), np.array([True, False, True]), n_bins=2)
    >>> curve.count, curve.accuracy
    ((1, 2), (1.0, 0.5))
    """
    if bins is None:
        bins = np.searchsorted(np.arange(1, n_bins) / n_bins, confidence, side="left")
    count = np.bincount(bins, minlength=n_bins)
    confidence_sum = np.bincount(bins, weights=confidence, minlength=n_bins)
    correct_sum = np.bincount(bins, weights=correct.astype(float), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = confidence_sum / count
        accuracy = correct_sum / count
    ece = float(np.abs(correct_sum - confidence_sum).sum() / confidence.shape[0])
    edges = np.arange(n_bins + 1) / n_bins
    return CalibrationCurve(
        lower=tuple(edges[:-1].tolist()), upper=tuple(edges[1:].tolist()), count=tuple(int(c) for c in count),
        mean_confidence=tuple(float(v) for v in mean_confidence), accuracy=tuple(float(v) for v in accuracy),
        ece=ece)
