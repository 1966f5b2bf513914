"""Classification metrics computed from per-class counts, vectorised over resamples.

Every confusion-matrix metric is a function of three per-class count vectors: true positives
``tp``, predicted counts ``predicted`` (column sums of the confusion matrix) and true counts
``actual`` (row sums). Each function here takes arrays of shape ``(..., k)`` and returns shape
``(...)`` (or ``(..., k)`` for per-class values), so one call scores the original data, 10,000
bootstrap resamples or the jackknife replicates alike.

Conventions, identical to scikit-learn with ``labels`` set to the one label set and
``zero_division=0``: a precision, recall or F1 whose denominator is zero is 0; macro averages run
over every class of the label set; balanced accuracy averages recall over the classes present in
``y_true`` (scikit-learn's behaviour); MCC is 0 when undefined; Cohen's kappa is NaN when undefined.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CONFUSION_METRICS",
    "METRICS",
    "PER_CLASS_METRICS",
    "PROBABILITY_METRICS",
    "MetricInfo",
    "confusion_metrics",
    "per_class_metrics",
]


@dataclass(frozen=True)
class MetricInfo:
    """What a metric is: its name, how to read it and which data it needs.

    Attributes
    ----------
    name:
        Key used in results and JSON.
    title:
        Human-readable name.
    higher_is_better:
        Direction: ``*_score``-like metrics are higher-is-better, losses lower-is-better.
    needs_probabilities:
        Whether the metric needs class probabilities rather than predicted labels.
    description:
        One sentence on what the number means.
    """

    name: str
    title: str
    higher_is_better: bool
    needs_probabilities: bool
    description: str


_INFO = [
    MetricInfo("accuracy", "Accuracy", True, False, "Share of examples predicted correctly."),
    MetricInfo("balanced_accuracy", "Balanced accuracy", True, False,
               "Mean recall over the classes present in the labels."),
    MetricInfo("precision_macro", "Precision (macro)", True, False, "Unweighted mean of per-class precision."),
    MetricInfo("recall_macro", "Recall (macro)", True, False, "Unweighted mean of per-class recall."),
    MetricInfo("f1_macro", "F1 (macro)", True, False, "Unweighted mean of per-class F1."),
    MetricInfo("precision_weighted", "Precision (weighted)", True, False,
               "Per-class precision averaged with class frequency as weight."),
    MetricInfo("recall_weighted", "Recall (weighted)", True, False,
               "Per-class recall averaged with class frequency as weight (equals accuracy)."),
    MetricInfo("f1_weighted", "F1 (weighted)", True, False, "Per-class F1 averaged with class frequency as weight."),
    MetricInfo("f1_micro", "F1 (micro)", True, False,
               "F1 of the pooled counts; equals accuracy for single-label classification."),
    MetricInfo("matthews_corrcoef", "Matthews correlation", True, False,
               "Correlation between predicted and true labels (-1 to 1); robust to class imbalance."),
    MetricInfo("cohen_kappa", "Cohen's kappa", True, False, "Agreement with the labels beyond chance."),
    MetricInfo("roc_auc", "ROC AUC", True, True,
               "Probability that a positive ranks above a negative (multiclass: one-vs-rest macro)."),
    MetricInfo("average_precision", "Average precision", True, True,
               "Area under the precision-recall curve as a step sum (multiclass: one-vs-rest macro)."),
    MetricInfo("log_loss", "Log loss", False, True, "Mean negative log probability of the true class."),
    MetricInfo("brier_score", "Brier score", False, True,
               "Mean squared error of the probabilities (binary: positive class; multiclass: all classes)."),
    MetricInfo("expected_calibration_error", "Expected calibration error", False, True,
               "Mean gap between confidence and accuracy over confidence bins (top label)."),
]

METRICS: Mapping[str, MetricInfo] = {info.name: info for info in _INFO}
"""Every headline metric, in report order."""

CONFUSION_METRICS: tuple[str, ...] = tuple(m.name for m in _INFO if not m.needs_probabilities)
PROBABILITY_METRICS: tuple[str, ...] = tuple(m.name for m in _INFO if m.needs_probabilities)
PER_CLASS_METRICS: tuple[str, ...] = ("precision", "recall", "f1")


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise numerator / denominator with 0 where the denominator is 0 (zero_division=0)."""
    out = np.zeros(np.broadcast(numerator, denominator).shape, dtype=float)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def per_class_metrics(tp: np.ndarray, predicted: np.ndarray, actual: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class precision, recall and F1 from counts.

    Parameters
    ----------
    tp, predicted, actual:
        Arrays of shape ``(..., k)``: true positives, predicted counts and true counts per class.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``, each of shape ``(..., k)``; 0 where undefined.

    Examples
    --------
    >>> import numpy as np
    >>> per_class_metrics(np.array([2, 1]), np.array([3, 1]), np.array([2, 2]))["recall"]
    array([1. , 0.5])
    """
    tp = np.asarray(tp, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    actual = np.asarray(actual, dtype=float)
    return {
        "precision": _ratio(tp, predicted),
        "recall": _ratio(tp, actual),
        # scikit-learn >= 1.3 defines F1 as 2 tp / (2 tp + fp + fn) = 2 tp / (predicted + actual).
        "f1": _ratio(2.0 * tp, predicted + actual),
    }


def confusion_metrics(tp: np.ndarray, predicted: np.ndarray, actual: np.ndarray) -> dict[str, np.ndarray]:
    """Every confusion-matrix headline metric from per-class counts.

    Parameters
    ----------
    tp, predicted, actual:
        Arrays of shape ``(..., k)`` over the one label set.

    Returns
    -------
    dict
        Metric name (see :data:`CONFUSION_METRICS`) -> array of shape ``(...)``.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(confusion_metrics(np.array([2, 1]), np.array([3, 1]), np.array([2, 2]))["accuracy"]), 3)
    0.75
    """
    tp = np.asarray(tp, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    actual = np.asarray(actual, dtype=float)
    per_class = per_class_metrics(tp, predicted, actual)
    total = actual.sum(axis=-1)
    correct = tp.sum(axis=-1)
    weights = _ratio(actual, total[..., None])
    present = actual > 0
    n_present = present.sum(axis=-1)
    recall_present = np.where(present, per_class["recall"], 0.0).sum(axis=-1)
    chance = (actual * predicted).sum(axis=-1)  # sum_k t_k p_k
    # MCC as in scikit-learn: (c s - sum t p) / sqrt((s^2 - sum p^2)(s^2 - sum t^2)), 0 when undefined.
    cov_true_pred = correct * total - chance
    cov_pred = total**2 - (predicted**2).sum(axis=-1)
    cov_true = total**2 - (actual**2).sum(axis=-1)
    mcc_denominator = np.sqrt(cov_pred * cov_true)
    # Kappa: 1 - observed disagreement / expected disagreement; NaN when nothing can disagree.
    expected_disagreement = total - _ratio(chance, total)
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = np.where(expected_disagreement > 0,
                         1.0 - (total - correct) / np.where(expected_disagreement > 0, expected_disagreement, 1.0),
                         np.nan)
    return {
        "accuracy": _ratio(correct, total),
        "balanced_accuracy": _ratio(recall_present, n_present),
        "precision_macro": per_class["precision"].mean(axis=-1),
        "recall_macro": per_class["recall"].mean(axis=-1),
        "f1_macro": per_class["f1"].mean(axis=-1),
        "precision_weighted": (weights * per_class["precision"]).sum(axis=-1),
        "recall_weighted": (weights * per_class["recall"]).sum(axis=-1),
        "f1_weighted": (weights * per_class["f1"]).sum(axis=-1),
        "f1_micro": _ratio(2.0 * correct, predicted.sum(axis=-1) + total),
        "matthews_corrcoef": _ratio(cov_true_pred, mcc_denominator),
        "cohen_kappa": kappa,
    }


def _count_metric(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """The finalize of a count metric: totals ``(..., 3k)`` of the blocks (true positives, predicted, actual)."""
    def finalize(totals: np.ndarray) -> np.ndarray:
        tp, predicted, actual = np.split(np.asarray(totals, dtype=float), 3, axis=-1)
        return confusion_metrics(tp, predicted, actual)[name]

    return finalize


def _register_classification() -> None:
    """Each classification metric as a registered statistic (the engine computes the count metrics together, with
    :func:`confusion_metrics` over the cells; the registry drives the test suite and the metric lookups)."""
    from ._statistics import DELONG, JACKKNIFE_T, MCNEMAR, PAIRED_PERMUTATION, PAIRED_T, Statistic, register

    own: dict[str, tuple[tuple[str, ...], str]] = {
        "roc_auc": (("scores",), DELONG), "average_precision": (("scores",), JACKKNIFE_T),
        "log_loss": (("log_loss", "one"), PAIRED_T), "brier_score": (("squared_error", "one"), PAIRED_T),
        "expected_calibration_error": (("confidence_bins",), PAIRED_PERMUTATION)}
    for info in _INFO:
        columns: tuple[str, ...]
        finalize: Callable[[np.ndarray], np.ndarray] | None
        if info.name in CONFUSION_METRICS:
            columns, finalize = ("true_positives", "predicted", "actual"), _count_metric(info.name)
            test = MCNEMAR if info.name == "accuracy" else PAIRED_PERMUTATION
        else:
            (columns, test), finalize = own[info.name], None
            if test == PAIRED_T:  # a mean of per-example losses
                finalize = _mean_of_first
        register(Statistic(info.name, info.title, "classification", info.higher_is_better, columns, finalize, test,
                           info.description))


def _mean_of_first(totals: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return totals[..., 0] / totals[..., 1]


_register_classification()
