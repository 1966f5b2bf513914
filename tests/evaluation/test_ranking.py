"""Tests of ``evaluation._ranking``: one sort, three statistics, each agreeing with its reference.

References: the DeLong reference (``reference_delong.py``, itself checked against pROC); scikit-learn's
``roc_auc_score``, ``average_precision_score`` and ``precision_recall_curve``; brute-force leave-one-out
average precision.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.metrics import average_precision_score

from evaluation._ranking import full_curve, ranked_summary

from .reference_delong import auc_influence


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("decimals", [1, 2, 6, None])  # None: off the grid, so sorted
def test_ranked_summary_agrees_with_delong_sklearn_and_the_curve(seed, decimals):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 400))
    positive = rng.random(n) < rng.uniform(0.1, 0.6)
    score = np.clip(rng.normal(0.4 + 0.2 * positive, 0.25), 0, 1)
    if decimals is not None:
        score = np.round(score, decimals)
    summary = ranked_summary(positive, score)
    auc, psi = auc_influence(positive, score)  # checked against pROC in test_delong
    assert summary.auc == pytest.approx(auc, abs=1e-12)
    np.testing.assert_allclose(summary.auc_influence, psi, atol=1e-12)
    assert summary.auc == pytest.approx(skm.roc_auc_score(positive, score), abs=1e-12)
    assert summary.average_precision == pytest.approx(skm.average_precision_score(positive, score), abs=1e-12)
    curve = full_curve(positive, score)
    np.testing.assert_array_equal(summary.curve.thresholds, curve.thresholds)
    np.testing.assert_array_equal(summary.curve.true_positives, curve.true_positives)
    np.testing.assert_array_equal(summary.curve.false_positives, curve.false_positives)


def test_exact_leave_one_out_when_every_example_has_its_own_bin():
    rng = np.random.default_rng(1)
    positive = rng.random(60) < 0.4
    score = np.round(rng.random(60), 2)
    summary = ranked_summary(positive, score, n_bins=10**6)
    brute = [skm.average_precision_score(np.delete(positive, i), np.delete(score, i)) for i in range(60)]
    np.testing.assert_allclose(summary.leave_one_out, brute, atol=1e-12)


def test_a_class_without_positives_or_negatives_is_undefined_not_an_error():
    score = np.linspace(0, 1, 10)
    none = ranked_summary(np.zeros(10, dtype=bool), score)
    assert np.isnan(none.auc) and np.isnan(none.average_precision) and not none.auc_influence.any()
    everything = ranked_summary(np.ones(10, dtype=bool), score)
    assert np.isnan(everything.auc) and everything.average_precision == 1.0


def test_no_examples_gives_undefined_values_not_an_error():
    summary = ranked_summary(np.zeros(0, dtype=bool), np.zeros(0))
    assert np.isnan(summary.auc) and np.isnan(summary.average_precision)
    assert summary.auc_influence.shape == (0,) and summary.leave_one_out.shape == (0,)


# --- average precision and its jackknife ------------------------------------------------------

def _ap_case(name: str, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    positive = rng.random(n) < 0.35
    positive[0] = True
    score = rng.normal(size=n) + positive
    if name == "one-decimal ties":
        score = np.round(score, 1)
    elif name == "three levels":
        score = np.clip(np.round(score), -1, 1)
    elif name == "all tied":
        score = np.full(n, 0.3)
    elif name == "single positive":
        positive = np.zeros(n, dtype=bool)
        positive[n // 2] = True
    elif name == "all positive":
        positive = np.ones(n, dtype=bool)
    return positive, score


AP_CASES = [("continuous", 16, 300), ("continuous", 17, 3), ("one-decimal ties", 18, 500),
            ("three levels", 19, 400), ("three levels", 20, 12), ("all tied", 21, 50),
            ("single positive", 22, 80), ("all positive", 23, 30), ("continuous", 24, 1)]


@pytest.mark.parametrize(("name", "seed", "n"), AP_CASES)
def test_average_precision_equals_sklearn(name: str, seed: int, n: int) -> None:
    positive, score = _ap_case(name, seed, n)
    expected = average_precision_score(positive, score)
    assert ranked_summary(positive, score).average_precision == pytest.approx(expected, abs=1e-12)


def test_average_precision_without_positives_is_nan() -> None:
    assert np.isnan(ranked_summary(np.zeros(5, dtype=bool), np.arange(5.0)).average_precision)


def _jackknife(positive: np.ndarray, score: np.ndarray, *, n_bins: int) -> tuple[float, np.ndarray]:
    """Exact average precision and the binned leave-one-out values the engine's jackknife uses."""
    summary = ranked_summary(positive, score, n_bins=n_bins)
    return summary.average_precision, summary.leave_one_out


def brute_force_leave_one_out(positive: np.ndarray, score: np.ndarray) -> np.ndarray:
    """scikit-learn's AP with each example deleted in turn."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([average_precision_score(np.delete(positive, i), np.delete(score, i))
                         for i in range(positive.shape[0])])


@pytest.mark.parametrize(("name", "seed", "n", "bins_per_example"), [
    ("continuous", 25, 100, 1), ("continuous", 26, 60, 10), ("one-decimal ties", 27, 120, 1),
    ("three levels", 28, 60, 3)])
def test_jackknife_with_a_bin_per_example_equals_brute_force_leave_one_out(
    name: str, seed: int, n: int, bins_per_example: int
) -> None:
    positive, score = _ap_case(name, seed, n)
    estimate, leave_one_out = _jackknife(positive, score, n_bins=bins_per_example * n)
    assert estimate == pytest.approx(average_precision_score(positive, score), abs=1e-12)
    np.testing.assert_allclose(leave_one_out, brute_force_leave_one_out(positive, score), rtol=0, atol=1e-12)


def test_jackknife_gives_the_only_positive_the_full_data_value() -> None:
    # Without its only positive AP is undefined; the documented convention gives that example no influence.
    positive, score = _ap_case("single positive", 30, 40)
    estimate, leave_one_out = _jackknife(positive, score, n_bins=40)
    only = int(np.flatnonzero(positive)[0])
    assert leave_one_out[only] == pytest.approx(estimate, abs=1e-12)
    others = np.delete(np.arange(40), only)
    np.testing.assert_allclose(leave_one_out[others], brute_force_leave_one_out(positive, score)[others], atol=1e-12)


def _step_sum_average_precision(positive_sorted: np.ndarray, score_sorted: np.ndarray) -> float:
    """AP over distinct thresholds of descending-sorted data (scikit-learn's definition, checked below)."""
    last_of_run = np.append(score_sorted[1:] != score_sorted[:-1], True)
    true_positives = np.cumsum(positive_sorted)[last_of_run]
    precision = true_positives / (np.flatnonzero(last_of_run) + 1.0)
    return float(np.sum(np.diff(true_positives, prepend=0) / true_positives[-1] * precision))


def _jackknife_standard_error(leave_one_out: np.ndarray) -> float:
    n = leave_one_out.shape[0]
    return float(np.sqrt((n - 1) / n * np.sum((leave_one_out - leave_one_out.mean()) ** 2)))


@pytest.mark.parametrize("name", ["continuous", "one-decimal ties"])
def test_binned_jackknife_standard_error_is_close_to_the_exact_one(name: str) -> None:
    n = 2000
    positive, score = _ap_case(name, 29, n)
    order = np.argsort(-score, kind="stable")
    positive_sorted, score_sorted = positive[order], score[order]
    # The in-test AP is scikit-learn's on these data (and on a few deletions).
    assert _step_sum_average_precision(positive_sorted, score_sorted) == pytest.approx(
        average_precision_score(positive, score), abs=1e-12)
    for i in (0, 7, 1999):
        assert _step_sum_average_precision(np.delete(positive_sorted, i), np.delete(score_sorted, i)) == pytest.approx(
            average_precision_score(np.delete(positive, order[i]), np.delete(score, order[i])), abs=1e-12)
    exact = np.array([_step_sum_average_precision(np.delete(positive_sorted, i), np.delete(score_sorted, i))
                      for i in range(n)])
    binned = ranked_summary(positive, score).leave_one_out
    assert _jackknife_standard_error(binned) == pytest.approx(_jackknife_standard_error(exact), rel=0.05)
