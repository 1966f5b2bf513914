"""Tests of ``evaluation._probability``: per-example log loss and Brier score.

References: scikit-learn's ``log_loss`` and ``brier_score_loss``.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, log_loss

from evaluation._probability import brier_per_example, log_loss_per_example

from ..helpers import EXTREME_SCORES, EXTREME_TRUE, dirichlet_probabilities

# --- log loss ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("seed", "n", "k"), [(1, 1, 2), (2, 50, 2), (3, 200, 3), (4, 500, 10)])
def test_mean_log_loss_equals_sklearn(seed: int, n: int, k: int) -> None:
    y_true, y_score = dirichlet_probabilities(seed, n, k)
    expected = log_loss(y_true, y_score, labels=np.arange(k))
    assert log_loss_per_example(y_true, y_score).mean() == pytest.approx(expected, rel=1e-12)


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
