"""Tests of ``evaluation._calibration``: top-label confidence, its bins and the expected calibration error.

Reference: the definition of the expected calibration error of Guo et al. (2017), "On Calibration of
Modern Neural Networks", ICML, section 2: with ``M`` equal-width bins ``I_m = ((m-1)/M, m/M]``,
``ECE = sum_m |B_m| / n * |acc(B_m) - conf(B_m)|``, worked out by hand below and implemented as a
plain loop in this file. The ECE under test is the engine's point estimate: the ``ece`` of
:func:`calibration_curve` on :func:`top_label`'s confidences.
"""

from __future__ import annotations

import numpy as np
import pytest

from evaluation._calibration import DEFAULT_ECE_BINS, calibration_bin, calibration_curve, top_label

from ..helpers import EXTREME_SCORES, EXTREME_TRUE, dirichlet_probabilities


def expected_calibration_error(y_true: np.ndarray, y_score: np.ndarray, *, n_bins: int) -> float:
    """The engine's ECE of class probabilities, as :func:`evaluation.compare` computes it."""
    confidence, correct = top_label(y_true, y_score)
    return calibration_curve(confidence, correct, n_bins=n_bins).ece


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
