"""Tests of the DeLong reference (``tests/evaluation/reference_delong.py``): AUC variance, interval and paired test.

References come from outside the code under test:

- pROC (Robin et al. 2011) on its ``aSAH`` data (``tests/data/reference/asah.csv``, source in the README
  there): the documented ``roc.test(aSAH$outcome, aSAH$s100b, aSAH$wfns)`` (Z = -2.209,
  p-value = 0.02718, AUCs 0.7314 and 0.8237) and ``ci.auc(aSAH$outcome, aSAH$s100b)``
  (0.6301-0.8326, DeLong), plus the full-precision values of pROC's own test suite
  (xrobin/pROC ``tests/testthat/test-roc.test.R`` and ``test-var.R``);
- scikit-learn's ``roc_auc_score``;
- DeLong et al. (1988) written out with the m x n comparison matrix (``_textbook_delong`` below);
- the binormal model, whose AUC is known in closed form, for coverage.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from evaluation import ClassificationData, ColumnMapping, ModelData, Settings
from evaluation._classification import probability_parts

from .reference_delong import (
    DeLongResult,
    auc_influence,
    delong_interval,
    delong_test,
)

ASAH = Path(__file__).resolve().parents[1] / "data" / "reference" / "asah.csv"


@pytest.fixture(scope="module")
def asah() -> pd.DataFrame:
    return pd.read_csv(ASAH, comment="#")


def _textbook_delong(positive: np.ndarray, *scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs and their DeLong covariance matrix from the m x n comparison matrix (DeLong et al. 1988)."""
    v10, v01, aucs = [], [], []
    for score in scores:
        x, y = score[positive], score[~positive]
        kernel = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
        v10.append(kernel.mean(axis=1))
        v01.append(kernel.mean(axis=0))
        aucs.append(kernel.mean())
    s10 = np.atleast_2d(np.cov(np.vstack(v10)))
    s01 = np.atleast_2d(np.cov(np.vstack(v01)))
    return np.array(aucs), s10 / len(v10[0]) + s01 / len(v01[0])


def _random_case(rng: np.random.Generator, size: int, levels: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels and two correlated scores; ``levels`` rounds scores to that many values (ties)."""
    positive = rng.random(size) < 0.4
    positive[:2] = [True, False]
    base = rng.normal(size=size) + positive
    first, second = base + rng.normal(size=size), base + 0.5 * rng.normal(size=size)
    if levels is not None:
        first, second = (np.floor(levels * stats.norm.cdf(s / 2)) for s in (first, second))
    return positive, first, second


# -- published reference: pROC on aSAH ----------------------------------------------------------


def test_roc_test_matches_proc_documentation(asah: pd.DataFrame) -> None:
    poor = (asah["outcome"] == "Poor").to_numpy()
    result = delong_test(poor, asah["s100b"].to_numpy(float), asah["wfns"].to_numpy(float))
    assert round(result.auc_baseline, 4) == 0.7314
    assert round(result.auc_candidate, 4) == 0.8237
    # pROC reports roc1 - roc2 = s100b - wfns; the difference here is candidate - baseline.
    assert round(result.z, 3) == 2.209
    assert round(result.p_value, 5) == 0.02718
    assert result.test == "DeLong"
    reverse = delong_test(poor, asah["wfns"].to_numpy(float), asah["s100b"].to_numpy(float))
    assert round(reverse.z, 3) == -2.209 and reverse.p_value == pytest.approx(result.p_value, rel=1e-14)


def test_ci_auc_matches_proc_documentation(asah: pd.DataFrame) -> None:
    poor = (asah["outcome"] == "Poor").to_numpy()
    auc, psi = auc_influence(poor, asah["s100b"].to_numpy(float))
    low, high = delong_interval(psi, auc, confidence=0.95)
    assert (round(auc, 4), round(low, 4), round(high, 4)) == (0.7314, 0.6301, 0.8326)


@pytest.mark.parametrize(
    ("candidate", "baseline", "z", "p_value", "low", "high"),
    [
        ("wfns", "s100b", 2.20898359144091, 0.0271757822291882, 0.0104061769564846, 0.174214419249478),
        ("wfns", "ndka", 2.79777591868904, 0.00514557970691098, 0.0634011709339876, 0.3600405634833566),
        ("ndka", "s100b", -1.39077002573558, 0.164295175223054, -0.2876917446341914, 0.0488706064228094),
    ],
)
def test_roc_test_matches_proc_test_suite(
    asah: pd.DataFrame, candidate: str, baseline: str, z: float, p_value: float, low: float, high: float
) -> None:
    poor = (asah["outcome"] == "Poor").to_numpy()
    result = delong_test(poor, asah[baseline].to_numpy(float), asah[candidate].to_numpy(float))
    assert result.z == pytest.approx(z, rel=1e-12)
    assert result.p_value == pytest.approx(p_value, rel=1e-12)
    _, psi_candidate = auc_influence(poor, asah[candidate].to_numpy(float))
    _, psi_baseline = auc_influence(poor, asah[baseline].to_numpy(float))
    interval = delong_interval(psi_candidate - psi_baseline, result.difference, confidence=0.95, bounds=(-1, 1))
    assert interval == pytest.approx((low, high), rel=1e-12)


@pytest.mark.parametrize(
    ("marker", "variance"),
    [("wfns", 0.00146991470882363), ("ndka", 0.0031908105493913), ("s100b", 0.00266868245717244)],
)
def test_variance_matches_proc_test_suite(asah: pd.DataFrame, marker: str, variance: float) -> None:
    _, psi = auc_influence((asah["outcome"] == "Poor").to_numpy(), asah[marker].to_numpy(float))
    assert np.sum(psi**2) == pytest.approx(variance, rel=1e-12)


# -- established library and the textbook definition --------------------------------------------


@pytest.mark.parametrize("levels", [None, 2, 3, 10])
@pytest.mark.parametrize("size", [5, 57, 2000])
def test_auc_equals_sklearn(size: int, levels: int | None) -> None:
    rng = np.random.default_rng(size * 100 + (levels or 0))
    positive, score, _ = _random_case(rng, size, levels)
    auc, psi = auc_influence(positive, score)
    assert abs(auc - roc_auc_score(positive, score)) < 1e-12
    assert psi.shape == (size,)


@pytest.mark.parametrize("levels", [None, 2, 4, 25])
@pytest.mark.parametrize("seed", range(4))
def test_variances_equal_textbook_delong(seed: int, levels: int | None) -> None:
    rng = np.random.default_rng(seed)
    positive, first, second = _random_case(rng, int(rng.integers(8, 90)), levels)
    aucs, covariance = _textbook_delong(positive, first, second)
    auc_first, psi_first = auc_influence(positive, first)
    auc_second, psi_second = auc_influence(positive, second)
    assert (auc_first, auc_second) == pytest.approx(tuple(aucs), abs=1e-12)
    assert np.sum(psi_first**2) == pytest.approx(covariance[0, 0], rel=1e-10, abs=1e-15)
    assert np.sum(psi_second**2) == pytest.approx(covariance[1, 1], rel=1e-10, abs=1e-15)
    paired = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    assert np.sum((psi_first - psi_second) ** 2) == pytest.approx(paired, rel=1e-10, abs=1e-15)
    result = delong_test(positive, first, second)
    assert result.std_error == pytest.approx(math.sqrt(paired), rel=1e-10, abs=1e-15)


def _engine_macro(y_true: np.ndarray, y_score: np.ndarray) -> tuple[float, np.ndarray]:
    """The engine's one-vs-rest macro ROC AUC and its DeLong influence vector."""
    k = y_score.shape[1]
    model = ModelData("m", "m.csv", np.argmax(y_score, axis=1), y_score, ColumnMapping())
    data = ClassificationData("multiclass", tuple(str(c) for c in range(k)), None, np.arange(len(y_true)).astype(str),
                              y_true, (model,), pd.DataFrame())
    parts = probability_parts(data, Settings())["m"]
    return parts.auc, parts.auc_influence


@pytest.mark.parametrize("seed", range(3))
def test_engine_macro_equals_sklearn_ovr(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k, size = 4, 300
    y_true = rng.integers(0, k, size)
    logits = np.round(rng.normal(size=(size, k)) + 1.5 * np.eye(k)[y_true], 1)
    y_score = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    auc, psi = _engine_macro(y_true, y_score)
    assert abs(auc - roc_auc_score(y_true, y_score, multi_class="ovr", average="macro")) < 1e-12
    per_class = [_textbook_influence(y_true == c, y_score[:, c]) for c in range(k)]
    np.testing.assert_allclose(psi, np.mean(per_class, axis=0), rtol=0, atol=1e-15)


def test_engine_parts_through_a_shared_pool_equal_their_own_run_and_sklearn() -> None:
    rng = np.random.default_rng(7)
    k, size = 3, 400
    y_true = rng.integers(0, k, size)
    models = []
    for name, strength in (("base", 1.0), ("tuned", 2.0)):
        logits = rng.normal(size=(size, k)) + strength * np.eye(k)[y_true]
        y_score = np.asfortranarray(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))  # as loaded
        models.append(ModelData(name, f"{name}.csv", np.argmax(y_score, axis=1), y_score, ColumnMapping()))
    data = ClassificationData("multiclass", ("0", "1", "2"), None, np.arange(size).astype(str), y_true,
                              tuple(models), pd.DataFrame())
    with ThreadPoolExecutor(max_workers=2) as pool:
        pooled = probability_parts(data, Settings(), pool=pool)
    alone = probability_parts(data, Settings())
    onehot = np.eye(k)[y_true]
    for model in models:
        shared, own = pooled[model.name], alone[model.name]
        assert shared.auc == own.auc and shared.average_precision == own.average_precision
        for field in ("auc_influence", "average_precision_loo", "log_loss", "brier"):
            np.testing.assert_array_equal(getattr(shared, field), getattr(own, field))
        assert shared.auc == pytest.approx(roc_auc_score(y_true, model.y_score, multi_class="ovr"), abs=1e-12)
        assert shared.average_precision == pytest.approx(average_precision_score(onehot, model.y_score), abs=1e-12)
        assert shared.log_loss.mean() == pytest.approx(log_loss(y_true, model.y_score), rel=1e-12)
        assert shared.brier.mean() == pytest.approx(brier_score_loss(y_true, model.y_score), rel=1e-12)


def test_engine_macro_skips_absent_classes() -> None:
    y_true = np.array([0, 2, 0, 2, 2, 0])
    y_score = np.array([[0.7, 0.1, 0.2], [0.2, 0.3, 0.5], [0.5, 0.4, 0.1],
                        [0.1, 0.1, 0.8], [0.4, 0.2, 0.4], [0.3, 0.6, 0.1]])
    auc, psi = _engine_macro(y_true, y_score)
    present = [(roc_auc_score(y_true == c, y_score[:, c]), _textbook_influence(y_true == c, y_score[:, c]))
               for c in (0, 2)]
    assert auc == pytest.approx(np.mean([a for a, _ in present]), abs=1e-15)
    np.testing.assert_allclose(psi, np.mean([p for _, p in present], axis=0), atol=1e-15)


def _textbook_influence(positive: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Each example's DeLong influence from the comparison matrix: its placement value minus the AUC, scaled.

    For a case, ``(V10_i - AUC) / sqrt(m (m - 1))``; for a control, ``(V01_j - AUC) / sqrt(n (n - 1))``, so
    that the sum of squares is DeLong's variance ``S10 / m + S01 / n``.
    """
    x, y = score[positive], score[~positive]
    kernel = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
    auc = kernel.mean()
    m, n = len(x), len(y)
    psi = np.empty(len(score))
    psi[positive] = (kernel.mean(axis=1) - auc) / math.sqrt(m * (m - 1))
    psi[~positive] = (kernel.mean(axis=0) - auc) / math.sqrt(n * (n - 1))
    return psi


# -- edge cases and contracts --------------------------------------------------------------------


def test_absent_class_gives_nan_and_zeros() -> None:
    auc, psi = auc_influence(np.ones(4, dtype=bool), np.arange(4.0))
    assert math.isnan(auc) and psi.shape == (4,) and not psi.any()
    result = delong_test(np.zeros(4, dtype=bool), np.arange(4.0), np.arange(4.0)[::-1])
    assert math.isnan(result.difference) and math.isnan(result.p_value)
    assert all(math.isnan(v) for v in delong_interval(psi, auc, confidence=0.95))


def test_single_positive_contributes_no_variance() -> None:
    auc, psi = auc_influence(np.array([False, True, False, False]), np.array([0.1, 0.5, 0.7, 0.2]))
    assert auc == pytest.approx(2 / 3) and psi[1] == 0.0
    assert np.sum(psi**2) == pytest.approx(np.var([1, 0, 1], ddof=1) / 3)


def test_zero_standard_error_with_a_difference() -> None:
    positive = np.array([True, True, False, False])
    result = delong_test(positive, np.full(4, 0.5), np.array([0.9, 0.8, 0.2, 0.1]))
    assert (result.difference, result.std_error, result.z, result.p_value) == (0.5, 0.0, math.inf, 0.0)


def test_interval_is_clipped_to_bounds() -> None:
    psi = np.array([0.2, -0.2])
    low, high = delong_interval(psi, 0.95, confidence=0.95)
    assert low == pytest.approx(0.95 - 1.959964 * 0.2828427, rel=1e-6) and high == 1.0
    assert delong_interval(psi, -0.9, confidence=0.95, bounds=(-1, 1))[0] == -1.0
    with pytest.raises(ValueError, match="confidence"):
        delong_interval(psi, 0.5, confidence=95)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="shape"):
        auc_influence(np.array([True, False]), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="NaN"):
        auc_influence(np.array([True, False]), np.array([0.1, np.nan]))


def test_result_is_frozen_and_json_serialisable() -> None:
    result = delong_test([True, False, True, False], [0.9, 0.1, 0.4, 0.6], [0.9, 0.1, 0.7, 0.6])
    assert isinstance(result, DeLongResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_value = 0.0  # type: ignore[misc]
    assert json.loads(json.dumps(dataclasses.asdict(result)))["test"] == "DeLong"


def test_one_million_examples_is_fast() -> None:
    """O(n log n): a million examples take well under a second (about 0.1 s on one core)."""
    rng = np.random.default_rng(0)
    positive = rng.random(1_000_000) < 0.3
    score = rng.normal(size=1_000_000) + positive
    started = time.perf_counter()
    auc, _ = auc_influence(positive, score)
    assert time.perf_counter() - started < 1.5
    assert 0.7 < auc < 0.8


# -- properties ----------------------------------------------------------------------------------

_labels_and_scores = st.integers(2, 40).flatmap(
    lambda size: st.tuples(
        st.lists(st.booleans(), min_size=size, max_size=size).filter(lambda b: 0 < sum(b) < len(b)),
        st.lists(st.integers(-20, 20), min_size=size, max_size=size),
        st.randoms(use_true_random=False),
    )
)


@settings(max_examples=60, deadline=None)
@given(_labels_and_scores)
def test_row_order_does_not_matter(case: tuple[list[bool], list[int], object]) -> None:
    labels, values, random = case
    positive, score = np.array(labels), np.array(values, dtype=float)
    permutation = np.array(random.sample(range(len(labels)), len(labels)))  # type: ignore[attr-defined]
    auc, psi = auc_influence(positive, score)
    auc_permuted, psi_permuted = auc_influence(positive[permutation], score[permutation])
    assert auc_permuted == auc
    np.testing.assert_array_equal(psi_permuted, psi[permutation])


@settings(max_examples=60, deadline=None)
@given(_labels_and_scores)
def test_identical_scores_give_no_difference(case: tuple[list[bool], list[int], object]) -> None:
    labels, values, _ = case
    score = np.array(values, dtype=float)
    result = delong_test(np.array(labels), score, score.copy())
    assert (result.difference, result.std_error, result.z, result.p_value) == (0.0, 0.0, 0.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(_labels_and_scores, st.sampled_from(["cube", "exp", "arctan", "affine"]))
def test_monotone_transform_changes_nothing(case: tuple[list[bool], list[int], object], name: str) -> None:
    labels, values, _ = case
    positive, score = np.array(labels), np.array(values, dtype=float)
    transforms: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "cube": lambda x: x**3 + 7.0, "exp": lambda x: np.exp(x / 3.0),
        "arctan": np.arctan, "affine": lambda x: 2.5 * x - 11.0,
    }
    transform = transforms[name]
    auc, psi = auc_influence(positive, score)
    auc_transformed, psi_transformed = auc_influence(positive, transform(score))
    assert auc_transformed == auc
    np.testing.assert_array_equal(psi_transformed, psi)
    assert delong_test(positive, score, transform(score)).p_value == 1.0


# -- coverage under the binormal model -----------------------------------------------------------


def test_paired_difference_interval_covers_truth() -> None:
    """Binormal scores: AUC = Phi(mu / sqrt(2)). 400 seeded samples of 60 positives and 90 negatives;
    the 95% DeLong interval of the paired difference must cover the true difference 91-99% of the time."""
    rng = np.random.default_rng(20240611)
    mean_first, mean_second, correlation = 0.9, 1.4, 0.6
    truth = stats.norm.cdf(mean_second / math.sqrt(2)) - stats.norm.cdf(mean_first / math.sqrt(2))
    covariance = [[1.0, correlation], [correlation, 1.0]]
    positive = np.r_[np.ones(60, dtype=bool), np.zeros(90, dtype=bool)]
    covered = 0
    for _ in range(400):
        scores = rng.multivariate_normal([0.0, 0.0], covariance, size=150)
        scores[positive] += [mean_first, mean_second]
        auc_first, psi_first = auc_influence(positive, scores[:, 0])
        auc_second, psi_second = auc_influence(positive, scores[:, 1])
        low, high = delong_interval(psi_second - psi_first, auc_second - auc_first, confidence=0.95, bounds=(-1, 1))
        covered += low <= truth <= high
    assert 0.91 <= covered / 400 <= 0.99, covered / 400
