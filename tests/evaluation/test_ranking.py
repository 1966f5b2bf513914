"""One sort, three statistics: the shared ranking agrees with each statistic computed on its own."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from evaluation._delong import auc_influence
from evaluation._probability import ranked_summary
from evaluation._thresholds import full_curve


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
