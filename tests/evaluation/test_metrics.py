"""Tests of ``evaluation._metrics``: confusion-matrix metrics from per-class count vectors.

Reference: scikit-learn's ``sklearn.metrics`` on the labels themselves, with ``labels`` set to the
whole label set and ``zero_division=0``. The count vectors fed to the code under test are built here
with ``np.bincount``, independently of the package's own counting.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from evaluation._metrics import (
    CONFUSION_METRICS,
    METRICS,
    PER_CLASS_METRICS,
    PROBABILITY_METRICS,
    confusion_metrics,
    per_class_metrics,
)

TOLERANCE = 1e-12


def count_vectors(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class true positives, predicted counts and true counts."""
    tp = np.bincount(y_true[y_true == y_pred], minlength=k)
    predicted = np.bincount(y_pred, minlength=k)
    actual = np.bincount(y_true, minlength=k)
    return tp, predicted, actual


def _averaged(function: Callable[..., float], average: str) -> Callable[[np.ndarray, np.ndarray, int], float]:
    def reference(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> float:
        return function(y_true, y_pred, labels=np.arange(k), average=average, zero_division=0)

    return reference


SKLEARN_REFERENCE: dict[str, Callable[[np.ndarray, np.ndarray, int], float]] = {
    "accuracy": lambda y, p, k: skm.accuracy_score(y, p),
    "balanced_accuracy": lambda y, p, k: skm.balanced_accuracy_score(y, p),
    "precision_macro": _averaged(skm.precision_score, "macro"),
    "recall_macro": _averaged(skm.recall_score, "macro"),
    "f1_macro": _averaged(skm.f1_score, "macro"),
    "precision_weighted": _averaged(skm.precision_score, "weighted"),
    "recall_weighted": _averaged(skm.recall_score, "weighted"),
    "f1_weighted": _averaged(skm.f1_score, "weighted"),
    "f1_micro": _averaged(skm.f1_score, "micro"),
    "matthews_corrcoef": lambda y, p, k: skm.matthews_corrcoef(y, p),
    "cohen_kappa": lambda y, p, k: skm.cohen_kappa_score(y, p, labels=np.arange(k)),
}


def _random_case(seed: int, k: int, n: int, *, true_classes: int | None = None,
                 pred_classes: int | None = None, accuracy: float = 0.6) -> tuple[str, np.ndarray, np.ndarray, int]:
    """Labels over ``k`` classes; ``true_classes``/``pred_classes`` restrict which classes occur."""
    rng = np.random.default_rng(seed)
    true_pool = rng.choice(k, size=true_classes or k, replace=False)
    pred_pool = rng.choice(k, size=pred_classes or k, replace=False)
    y_true = rng.choice(true_pool, size=n)
    y_pred = np.where(rng.random(n) < accuracy, y_true, rng.choice(pred_pool, size=n))
    if pred_classes is not None:  # keep the predictions inside their pool
        y_pred = np.where(np.isin(y_pred, pred_pool), y_pred, rng.choice(pred_pool, size=n))
    name = f"seed{seed}-k{k}-n{n}-true{true_classes or k}-pred{pred_classes or k}-acc{accuracy}"
    return name, y_true, y_pred, k


def _cases() -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    cases = []
    seed = 0
    for k in (2, 3, 10, 50):
        for n in (1, 3, 40, 600):
            for accuracy in (0.0, 0.7):
                seed += 1
                cases.append(_random_case(seed, k, n, accuracy=accuracy))
        for true_classes, pred_classes in ((1, None), (None, 1), (max(1, k // 2), None), (None, max(1, k // 2)),
                                           (max(1, k // 2), max(1, k // 2)), (1, 1)):
            seed += 1
            n = (5, 300)[seed % 2]
            cases.append(_random_case(seed, k, n, true_classes=true_classes, pred_classes=pred_classes))
    y = np.array([0, 1, 2, 2, 1, 0, 2])
    cases.append(("perfect-3", y, y.copy(), 3))
    cases.append(("perfect-one-class", np.zeros(4, dtype=int), np.zeros(4, dtype=int), 3))
    cases.append(("all-wrong-binary", np.array([0, 1, 1, 0]), np.array([1, 0, 0, 1]), 2))
    cases.append(("constant-prediction", np.array([0, 1, 2, 1, 1]), np.ones(5, dtype=int), 3))
    cases.append(("single-example", np.array([4]), np.array([4]), 5))
    cases.append(("single-wrong-example", np.array([4]), np.array([1]), 5))
    return cases


CASES = _cases()


def _sklearn_value(name: str, y_true: np.ndarray, y_pred: np.ndarray, k: int) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on ill-defined values; the convention is what we test
        return float(SKLEARN_REFERENCE[name](y_true, y_pred, k))


def test_reference_table_covers_every_confusion_metric() -> None:
    assert set(SKLEARN_REFERENCE) == set(CONFUSION_METRICS)


@pytest.mark.parametrize("name", list(SKLEARN_REFERENCE))
def test_confusion_metric_equals_sklearn(name: str) -> None:
    mismatches = []
    for case, y_true, y_pred, k in CASES:
        got = float(confusion_metrics(*count_vectors(y_true, y_pred, k))[name])
        expected = _sklearn_value(name, y_true, y_pred, k)
        if not np.isclose(got, expected, rtol=0, atol=TOLERANCE, equal_nan=True):
            mismatches.append(f"{case}: got {got!r}, sklearn {expected!r}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("name", ["precision", "recall", "f1"])
def test_per_class_metric_equals_sklearn(name: str) -> None:
    index = {"precision": 0, "recall": 1, "f1": 2}[name]
    mismatches = []
    for case, y_true, y_pred, k in CASES:
        got = per_class_metrics(*count_vectors(y_true, y_pred, k))[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = skm.precision_recall_fscore_support(
                y_true, y_pred, labels=np.arange(k), average=None, zero_division=0)[index]
        if got.shape != (k,) or not np.allclose(got, expected, rtol=0, atol=TOLERANCE):
            mismatches.append(f"{case}: got {got!r}, sklearn {expected!r}")
    assert not mismatches, "\n".join(mismatches)


def test_worked_example_of_the_docstring() -> None:
    # Two classes; true [0, 0, 1, 1], predicted [0, 0, 0, 1]: tp = [2, 1], predicted = [3, 1], actual = [2, 2].
    result = confusion_metrics(np.array([2, 1]), np.array([3, 1]), np.array([2, 2]))
    assert float(result["accuracy"]) == pytest.approx(0.75, abs=TOLERANCE)
    assert float(result["f1_macro"]) == pytest.approx((2 * 2 / 5 + 2 * 1 / 3) / 2, abs=TOLERANCE)


def _stack_cases(k: int, count: int, seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    stacks = []
    for _ in range(count):
        n = int(rng.integers(1, 60))
        present = rng.choice(k, size=int(rng.integers(1, k + 1)), replace=False)
        y_true = rng.choice(present, size=n)
        y_pred = np.where(rng.random(n) < 0.5, y_true, rng.integers(0, k, n))
        stacks.append(count_vectors(y_true, y_pred, k))
    return stacks


@pytest.mark.parametrize("k", [2, 3, 10])
def test_confusion_metrics_of_a_stack_equal_separate_calls(k: int) -> None:
    cases = _stack_cases(k, 9, seed=k)
    stacked = confusion_metrics(*(np.stack([case[i] for case in cases]) for i in range(3)))
    assert set(stacked) == set(CONFUSION_METRICS)
    for position, case in enumerate(cases):
        single = confusion_metrics(*case)
        for name, values in stacked.items():
            assert values.shape == (len(cases),), name
            np.testing.assert_allclose(values[position], single[name], rtol=1e-15, atol=0, err_msg=name)


def test_confusion_metrics_over_two_leading_axes_equal_separate_calls() -> None:
    k = 4
    cases = _stack_cases(k, 6, seed=99)
    grid = [np.stack([case[i] for case in cases]).reshape(2, 3, k) for i in range(3)]
    stacked = confusion_metrics(*grid)
    for position, case in enumerate(cases):
        single = confusion_metrics(*case)
        for name, values in stacked.items():
            assert values.shape == (2, 3), name
            np.testing.assert_allclose(values.reshape(-1)[position], single[name], rtol=1e-15, atol=0, err_msg=name)


def test_per_class_metrics_of_a_stack_equal_separate_calls() -> None:
    k = 5
    cases = _stack_cases(k, 8, seed=5)
    stacked = per_class_metrics(*(np.stack([case[i] for case in cases]) for i in range(3)))
    assert set(stacked) == set(PER_CLASS_METRICS)
    for position, case in enumerate(cases):
        single = per_class_metrics(*case)
        for name, values in stacked.items():
            assert values.shape == (len(cases), k), name
            np.testing.assert_allclose(values[position], single[name], rtol=1e-15, atol=0, err_msg=name)


@st.composite
def labelled_examples(draw: st.DrawFn, min_classes: int = 2) -> tuple[np.ndarray, np.ndarray, int]:
    k = draw(st.integers(min_classes, 8))
    n = draw(st.integers(1, 60))
    y_true = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    y_pred = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    return np.array(y_true), np.array(y_pred), k


@settings(max_examples=80, deadline=None)
@given(data=st.data(), example=labelled_examples())
def test_relabelling_classes_leaves_every_headline_metric_unchanged(data: st.DataObject, example) -> None:
    y_true, y_pred, k = example
    permutation = np.array(data.draw(st.permutations(range(k))))
    original = confusion_metrics(*count_vectors(y_true, y_pred, k))
    relabelled = confusion_metrics(*count_vectors(permutation[y_true], permutation[y_pred], k))
    for name in CONFUSION_METRICS:
        np.testing.assert_allclose(relabelled[name], original[name], rtol=0, atol=TOLERANCE, err_msg=name)


@settings(max_examples=50, deadline=None)
@given(example=labelled_examples())
def test_matthews_correlation_of_perfect_predictions_is_one(example) -> None:
    y_true, _, k = example
    if np.unique(y_true).size < 2:  # one class only: the correlation is undefined (0 by convention)
        y_true = np.append(y_true, (y_true[0] + 1) % k)
    result = confusion_metrics(*count_vectors(y_true, y_true, k))
    assert float(result["matthews_corrcoef"]) == pytest.approx(1.0, abs=TOLERANCE)


DOCUMENTED_METRICS = (
    "accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro", "precision_weighted",
    "recall_weighted", "f1_weighted", "f1_micro", "matthews_corrcoef", "cohen_kappa", "roc_auc",
    "average_precision", "log_loss", "brier_score", "expected_calibration_error",
)
LOWER_IS_BETTER = {"log_loss", "brier_score", "expected_calibration_error"}
NEEDS_PROBABILITIES = {"roc_auc", "average_precision", "log_loss", "brier_score", "expected_calibration_error"}


def test_registry_names_exactly_the_documented_metrics() -> None:
    assert sorted(METRICS) == sorted(DOCUMENTED_METRICS)
    assert len(METRICS) == 16


def test_registry_keys_are_the_metric_names() -> None:
    assert all(info.name == key for key, info in METRICS.items())


def test_registry_directions_losses_and_calibration_error_are_lower_is_better() -> None:
    lower = {name for name, info in METRICS.items() if not info.higher_is_better}
    assert lower == LOWER_IS_BETTER


def test_registry_marks_probability_metrics() -> None:
    assert {name for name, info in METRICS.items() if info.needs_probabilities} == NEEDS_PROBABILITIES
    assert set(PROBABILITY_METRICS) == NEEDS_PROBABILITIES
    assert set(CONFUSION_METRICS) == set(DOCUMENTED_METRICS) - NEEDS_PROBABILITIES


def test_confusion_metrics_returns_exactly_the_confusion_metric_names() -> None:
    result = confusion_metrics(*count_vectors(np.array([0, 1, 1]), np.array([0, 1, 0]), 2))
    assert set(result) == set(CONFUSION_METRICS)
