"""Threshold trade-offs: precision-recall and ROC curves, metrics at a threshold, operating points.

Every curve is one-vs-rest: for class ``c`` the score is the probability of ``c`` and an example is
predicted ``c`` when that score is ``>= threshold``. Binary tasks use the positive class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._metrics import confusion_metrics
from ._ranking import FullCurve, full_curve
from ._results import OperatingPoint, ThresholdCurve

if TYPE_CHECKING:
    from ._data import ClassificationData

__all__ = [
    "MAX_CURVE_POINTS",
    "best_threshold",
    "curve_best_threshold",
    "metrics_at_threshold",
    "one_vs_rest",
    "operating_points",
    "threshold_curve",
]

MAX_CURVE_POINTS = 300


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


def one_vs_rest(data: ClassificationData, label: str) -> tuple[np.ndarray, Mapping[str, np.ndarray]]:
    """Return which examples are of class ``label`` and each model's probability of it.

    Models without probabilities are left out; a binary task's curves use its positive class.

    Examples
    --------
    >>> from evaluation import load_classification
    >>> data = load_classification([("m.csv", b"label,prob_a,prob_b\\na,0.8,0.2\\nb,0.3,0.7\\n"),
    ...                             ("n.csv", b"label,prediction\\na,a\\nb,a\\n")])
    >>> positive, scores = one_vs_rest(data, "b")
    >>> positive.tolist(), {name: score.tolist() for name, score in scores.items()}
    ([False, True], {'m': [0.2, 0.7]})
    """
    index = data.classes.index(label)
    return data.y_true == index, {model.name: model.y_score[:, index] for model in data.models
                                  if model.y_score is not None}


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


def _operating_points(curve: FullCurve, target_precisions: Sequence[float],
                      target_recalls: Sequence[float]) -> tuple[list[OperatingPoint], int]:
    """The operating points of one curve (see :func:`operating_points`) and the index of best F1."""
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
    return points, best


def operating_points(
    positive: np.ndarray, score: np.ndarray, *, target_precisions: Sequence[float] = (),
    target_recalls: Sequence[float] = (),
) -> tuple[OperatingPoint, ...]:
    """Exact operating points of one score: best F1, and the thresholds reaching target precisions and recalls.

    ``best_f1`` is the threshold of highest F1 (the highest such threshold on ties);
    ``precision>=p`` the lowest threshold whose precision is at least p (the most recall at that
    precision); ``recall>=r`` the highest threshold whose recall is at least r (the most precision at
    that recall). A target no threshold reaches gives a point with ``met=False`` and NaN values.
    The points of the report's curves (``--target-precision``/``--target-recall``) are these.

    Parameters
    ----------
    positive:
        Whether each example is of the class.
    score:
        Each example's score of the class; predicted when ``score >= threshold``.
    target_precisions, target_recalls:
        Targets in (0, 1].

    Returns
    -------
    tuple of OperatingPoint
        Best F1 first, then one point per target precision, then one per target recall.

    Examples
    --------
    >>> points = operating_points(np.array([True, False, True, False]), np.array([0.9, 0.8, 0.6, 0.2]),
    ...                           target_precisions=(1.0,), target_recalls=(1.0,))
    >>> [(p.name, p.threshold, p.precision, p.recall) for p in points]
    [('best_f1', 0.6, 0.6666666666666666, 1.0), ('precision>=1', 0.9, 1.0, 0.5), ('recall>=1', 0.6, 0.6666666666666666, 1.0)]
    """
    points, _ = _operating_points(full_curve(positive, score), target_precisions, target_recalls)
    return tuple(points)


def threshold_curve(
    label: str, positive: np.ndarray, score: np.ndarray, *,
    target_precisions: Sequence[float] = (), target_recalls: Sequence[float] = (),
    max_points: int = MAX_CURVE_POINTS, order: np.ndarray | None = None, curve: FullCurve | None = None,
) -> ThresholdCurve:
    """The thinned curves and operating points of one class.

    The operating points are :func:`operating_points`'. ``curve`` passes counts already computed from
    the same scores.
    """
    if curve is None:
        curve = full_curve(positive, score, order=order)
    points, best = _operating_points(curve, target_precisions, target_recalls)
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


def best_threshold(y_true: np.ndarray, score: np.ndarray, positive: int, metric: str) -> tuple[float, float]:
    """The threshold on a binary model's positive-class score that maximises a confusion metric, and its value.

    Every distinct score is tried as a threshold (predict the positive class when ``score >=
    threshold``); the metric is computed from the two classes' counts, as scikit-learn computes it
    from the predictions (macro averages over both classes). Chosen on the data it is scored on, the
    value is optimistic: it says what a model's ranking allows, not what it will do.

    Parameters
    ----------
    y_true:
        Class index of each example (0 or 1).
    score:
        Each example's probability of class ``positive``.
    positive:
        Index of the positive class.
    metric:
        A confusion metric's name (``"f1_macro"``, ``"accuracy"``, ...).

    Returns
    -------
    (threshold, value)
        The highest threshold of the best value.

    Examples
    --------
    >>> best_threshold(np.array([0, 1, 1, 0]), np.array([0.1, 0.4, 0.35, 0.8]), 1, "accuracy")
    (0.35, 0.75)
    """
    return curve_best_threshold(full_curve(y_true == positive, score), positive, metric)


def curve_best_threshold(curve: FullCurve, positive: int, metric: str) -> tuple[float, float]:
    """:func:`best_threshold` from the positive class's counts at every distinct threshold."""
    tp, fp = curve.true_positives.astype(float), curve.false_positives.astype(float)
    tn, fn = curve.negatives - fp, curve.positives - tp
    columns = [tn, tp] if positive == 1 else [tp, tn]
    predicted = [tn + fn, tp + fp] if positive == 1 else [tp + fp, tn + fn]
    actual = [np.full_like(tp, curve.negatives), np.full_like(tp, curve.positives)]
    if positive == 0:
        actual = actual[::-1]
    values = confusion_metrics(np.column_stack(columns), np.column_stack(predicted), np.column_stack(actual))[metric]
    best = int(np.nanargmax(values))
    return float(curve.thresholds[best]), float(values[best])
