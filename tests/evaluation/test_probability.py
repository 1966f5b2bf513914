"""Tests of ``evaluation._probability``: per-example losses, calibration error and average precision.

References: scikit-learn's ``log_loss``, ``brier_score_loss`` and ``average_precision_score``;
brute-force leave-one-out average precision (``np.delete`` and scikit-learn); the definition of the
expected calibration error of Guo et al. (2017), "On Calibration of Modern Neural Networks", ICML,
section 2: with ``M`` equal-width bins ``I_m = ((m-1)/M, m/M]``,
``ECE = sum_m |B_m| / n * |acc(B_m) - conf(B_m)|``, worked out by hand below and implemented as a
plain loop in this file.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss

from evaluation._probability import (
    DEFAULT_ECE_BINS,
    average_precision,
    average_precision_jackknife,
    brier_per_example,
    calibration_bin,
    expected_calibration_error,
    log_loss_per_example,
    top_label,
)


def dirichlet_probabilities(seed: int, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities that lean towards the true class."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    concentration = np.ones((n, k))
    concentration[np.arange(n), y_true] += 2.0
    weights = rng.gamma(concentration)
    return y_true, weights / weights.sum(axis=1, keepdims=True)


# --- log loss ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("seed", "n", "k"), [(1, 1, 2), (2, 50, 2), (3, 200, 3), (4, 500, 10)])
def test_mean_log_loss_equals_sklearn(seed: int, n: int, k: int) -> None:
    y_true, y_score = dirichlet_probabilities(seed, n, k)
    expected = log_loss(y_true, y_score, labels=np.arange(k))
    assert log_loss_per_example(y_true, y_score).mean() == pytest.approx(expected, rel=1e-12)


# True-class probabilities of exactly 0 and exactly 1 are clipped to [eps, 1 - eps] as in scikit-learn.
EXTREME_SCORES = np.array([
    [1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0],
    [0.0, 0.0, 1.0],
    [0.5, 0.5, 0.0],
    [0.2, 0.3, 0.5],
])
EXTREME_TRUE = np.array([0, 2, 1, 2, 2])  # certain and right, certain and wrong (twice), zero on truth, ordinary


def test_mean_log_loss_with_probabilities_of_zero_and_one_equals_sklearn() -> None:
    expected = log_loss(EXTREME_TRUE, EXTREME_SCORES, labels=np.arange(3))
    assert log_loss_per_example(EXTREME_TRUE, EXTREME_SCORES).mean() == pytest.approx(expected, rel=1e-12)


def test_each_log_loss_with_probabilities_of_zero_and_one_equals_sklearn() -> None:
    losses = log_loss_per_example(EXTREME_TRUE, EXTREME_SCORES)
    expected = [log_loss(EXTREME_TRUE[i:i + 1], EXTREME_SCORES[i:i + 1], labels=np.arange(3)) for i in range(5)]
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    assert np.all(np.isfinite(losses))


# --- Brier score ------------------------------------------------------------------------------------

@pytest.mark.parametrize("positive", [0, 1])
@pytest.mark.parametrize(("seed", "n"), [(5, 1), (6, 40), (7, 300)])
def test_binary_brier_equals_sklearn(seed: int, n: int, positive: int) -> None:
    y_true, y_score = dirichlet_probabilities(seed, n, 2)
    expected = brier_score_loss(y_true, y_score[:, positive], pos_label=positive)
    assert brier_per_example(y_true, y_score, positive=positive).mean() == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("seed", "n", "k"), [(8, 1, 3), (9, 60, 3), (10, 400, 5), (11, 300, 12)])
def test_multiclass_brier_equals_sklearn(seed: int, n: int, k: int) -> None:
    y_true, y_score = dirichlet_probabilities(seed, n, k)
    expected = brier_score_loss(y_true, y_score, labels=np.arange(k))
    assert brier_per_example(y_true, y_score).mean() == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_multiclass_brier_with_probabilities_of_zero_and_one_equals_sklearn() -> None:
    expected = brier_score_loss(EXTREME_TRUE, EXTREME_SCORES, labels=np.arange(3))
    assert brier_per_example(EXTREME_TRUE, EXTREME_SCORES).mean() == pytest.approx(expected, rel=1e-12)


# --- calibration ------------------------------------------------------------------------------------

def test_top_label_is_the_most_probable_class_and_its_probability() -> None:
    confidence, correct = top_label(EXTREME_TRUE, EXTREME_SCORES)
    np.testing.assert_array_equal(confidence, [1.0, 1.0, 1.0, 0.5, 0.5])
    np.testing.assert_array_equal(correct, [True, False, False, False, True])


def test_calibration_bin_puts_zero_in_the_first_bin() -> None:
    assert calibration_bin(np.array([0.0]), n_bins=15).tolist() == [0]


def test_calibration_bin_puts_the_first_upper_edge_in_the_first_bin() -> None:
    assert calibration_bin(np.array([1 / 15]), n_bins=15).tolist() == [0]


def test_calibration_bin_puts_just_above_the_first_edge_in_the_second_bin() -> None:
    assert calibration_bin(np.array([np.nextafter(1 / 15, 1.0)]), n_bins=15).tolist() == [1]


def test_calibration_bin_puts_one_in_the_last_bin() -> None:
    assert calibration_bin(np.array([1.0]), n_bins=15).tolist() == [14]


def test_calibration_bin_default_is_fifteen_bins() -> None:
    assert DEFAULT_ECE_BINS == 15
    assert calibration_bin(np.array([1.0, 0.5])).tolist() == [14, 7]  # 0.5 lies in (7/15, 8/15]


@pytest.mark.parametrize("n_bins", [5, 10, 15, 20, 25, 50, 100])
def test_calibration_bin_puts_every_upper_edge_in_its_own_bin(n_bins: int) -> None:
    # Bin b is (b/M, (b+1)/M]: the edge (b+1)/M, as the float b/M computes it, belongs to bin b.
    edges = np.arange(1, n_bins + 1) / n_bins
    np.testing.assert_array_equal(calibration_bin(edges, n_bins=n_bins), np.arange(n_bins))


def loop_expected_calibration_error(y_true: np.ndarray, y_score: np.ndarray, n_bins: int) -> float:
    """Guo et al. (2017) written as a plain loop over bins (b/M, (b+1)/M] and examples."""
    n = y_true.shape[0]
    total = 0.0
    for b in range(n_bins):
        lower, upper = b / n_bins, (b + 1) / n_bins
        members = []
        for i in range(n):
            confidence = float(max(y_score[i]))
            if lower < confidence <= upper or (b == 0 and confidence == 0.0):
                predicted = int(np.argmax(y_score[i]))
                members.append((confidence, predicted == y_true[i]))
        if members:
            accuracy = sum(correct for _, correct in members) / len(members)
            mean_confidence = sum(confidence for confidence, _ in members) / len(members)
            total += len(members) / n * abs(accuracy - mean_confidence)
    return total


def test_expected_calibration_error_worked_example() -> None:
    # M = 5 bins: (0, .2], (.2, .4], (.4, .6], (.6, .8], (.8, 1].
    y_score = np.array([
        [0.5, 0.3, 0.2],  # true 0: confidence .5, right  -> bin (.4, .6]
        [0.6, 0.3, 0.1],  # true 1: confidence .6, wrong  -> bin (.4, .6] (upper edge included)
        [0.1, 0.9, 0.0],  # true 1: confidence .9, right  -> bin (.8, 1]
        [0.0, 0.0, 1.0],  # true 2: confidence 1., right  -> bin (.8, 1]
        [0.2, 0.7, 0.1],  # true 0: confidence .7, wrong  -> bin (.6, .8]
        [0.4, 0.4, 0.2],  # true 2: confidence .4, wrong whichever tied class is taken -> bin (.2, .4]
    ])
    y_true = np.array([0, 1, 1, 2, 0, 2])
    # (.2, .4]: 1 example, accuracy 0,   confidence .4          -> gap .4
    # (.4, .6]: 2 examples, accuracy 1/2, confidence (.5+.6)/2=.55 -> gap .05
    # (.6, .8]: 1 example, accuracy 0,   confidence .7          -> gap .7
    # (.8, 1.]: 2 examples, accuracy 1,   confidence (.9+1)/2=.95  -> gap .05
    # ECE = (1 * .4 + 2 * .05 + 1 * .7 + 2 * .05) / 6 = 1.3 / 6
    assert expected_calibration_error(y_true, y_score, n_bins=5) == pytest.approx(1.3 / 6, abs=1e-12)


@pytest.mark.parametrize("n_bins", [1, 5, 10, 15, 20])
@pytest.mark.parametrize(("seed", "k"), [(12, 2), (13, 3), (14, 10)])
def test_expected_calibration_error_equals_loop_implementation(seed: int, k: int, n_bins: int) -> None:
    y_true, y_score = dirichlet_probabilities(seed, 300, k)
    expected = loop_expected_calibration_error(y_true, y_score, n_bins)
    assert expected_calibration_error(y_true, y_score, n_bins=n_bins) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("n_bins", [10, 15, 20, 25, 50, 100])
def test_expected_calibration_error_of_rounded_probabilities_equals_loop_implementation(n_bins: int) -> None:
    # Probabilities as they come from a CSV written with two decimals: many lie exactly on bin edges.
    rng = np.random.default_rng(15)
    positive = np.round(rng.random(400), 2)
    y_score = np.column_stack([1.0 - positive, positive])
    y_true = (rng.random(400) < positive).astype(int)
    expected = loop_expected_calibration_error(y_true, y_score, n_bins)
    assert expected_calibration_error(y_true, y_score, n_bins=n_bins) == pytest.approx(expected, abs=1e-12)


def test_expected_calibration_error_counts_an_edge_confidence_in_the_lower_bin() -> None:
    # M = 25 bins of width .04. Confidence .56 = 14/25 is the upper edge of bin (.52, .56]; .58 lies in (.56, .60].
    y_score = np.array([[0.56, 0.44], [0.58, 0.42]])
    y_true = np.array([0, 1])  # the first is right (gap 1 - .56 = .44), the second wrong (gap .58)
    # Separate bins: ECE = (1 * .44 + 1 * .58) / 2 = .51 (one shared bin would give |.44 - .58| / 2 = .07).
    assert expected_calibration_error(y_true, y_score, n_bins=25) == pytest.approx(0.51, abs=1e-12)


def test_expected_calibration_error_of_a_perfectly_calibrated_bin_is_zero() -> None:
    # Confidence .75 everywhere and three of four right: one bin with no gap.
    y_score = np.array([[0.75, 0.25]] * 4)
    assert expected_calibration_error(np.array([0, 0, 0, 1]), y_score, n_bins=10) == pytest.approx(0.0, abs=1e-15)


# --- average precision ------------------------------------------------------------------------------

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
    assert average_precision(positive, score) == pytest.approx(expected, abs=1e-12)


def test_average_precision_without_positives_is_nan() -> None:
    assert np.isnan(average_precision(np.zeros(5, dtype=bool), np.arange(5.0)))


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
    estimate, leave_one_out = average_precision_jackknife(positive, score, n_bins=bins_per_example * n)
    assert estimate == pytest.approx(average_precision_score(positive, score), abs=1e-12)
    np.testing.assert_allclose(leave_one_out, brute_force_leave_one_out(positive, score), rtol=0, atol=1e-12)


def test_jackknife_gives_the_only_positive_the_full_data_value() -> None:
    # Without its only positive AP is undefined; the documented convention gives that example no influence.
    positive, score = _ap_case("single positive", 30, 40)
    estimate, leave_one_out = average_precision_jackknife(positive, score, n_bins=40)
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
    _, binned = average_precision_jackknife(positive, score)
    assert _jackknife_standard_error(binned) == pytest.approx(_jackknife_standard_error(exact), rel=0.05)
