"""Tests of ``evaluation._resampling`` (with the confusion-count cell tables of ``evaluation._counts``).

References: the ordinary row-index bootstrap (resampling rows with replacement, computed here with
numpy) for the multinomial and the Poisson cell bootstrap; ``np.percentile`` for the percentile interval;
``scipy.stats.bootstrap(method="BCa")`` for the BCa interval (both within Monte Carlo error and, fed
SciPy's own bootstrap distribution, exactly); brute-force leave-one-out with ``np.delete`` and
scikit-learn for the jackknife; the documented normal-theory formula ``2 Phi(-|d| / sd(d*))``,
evaluated with ``scipy.stats.norm``, for the bootstrap p-value.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse, stats
from sklearn import metrics as skm

from evaluation import _parallel as parallel
from evaluation import _resampling as resampling
from evaluation._counts import (
    pair_discordant,
    pair_statistic,
    pair_swap,
    pair_table,
    pair_tables_by_group,
    single_model_statistic,
    single_model_table,
)
from evaluation._resampling import (
    bca_interval,
    bootstrap_p_value,
    bootstrap_statistics,
    cell_table,
    draw_counts,
    jackknife_statistics,
    percentile_interval,
)


def paired_predictions(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, a baseline right ~65% of the time and a correlated candidate right ~72%."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    noise = rng.integers(0, k, n)
    baseline = np.where(rng.random(n) < 0.65, y_true, noise)
    candidate = np.where(rng.random(n) < 0.3, baseline, np.where(rng.random(n) < 0.72, y_true, rng.integers(0, k, n)))
    return y_true, baseline, candidate


def _accuracy_and_macro_f1(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy and macro F1 of each row of ``(b, n)`` label arrays, from confusion matrices."""
    b, n = y_true.shape
    keys = (np.arange(b)[:, None] * k + y_true) * k + y_pred
    confusion = np.bincount(keys.ravel(), minlength=b * k * k).reshape(b, k, k)
    tp = np.diagonal(confusion, axis1=1, axis2=2)
    predicted, actual = confusion.sum(axis=1), confusion.sum(axis=2)
    denominator = predicted + actual
    f1 = np.divide(2.0 * tp, denominator, out=np.zeros(tp.shape), where=denominator > 0)
    return tp.sum(axis=1) / n, f1.mean(axis=1)


def row_bootstrap_differences(y_true, baseline, candidate, k, *, resamples, rng, batch=500):
    """Candidate minus baseline accuracy and macro F1 over row-index bootstrap resamples."""
    n = y_true.shape[0]
    accuracy, macro_f1 = [], []
    for start in range(0, resamples, batch):
        rows = rng.integers(0, n, (min(batch, resamples - start), n))
        base_accuracy, base_f1 = _accuracy_and_macro_f1(y_true[rows], baseline[rows], k)
        cand_accuracy, cand_f1 = _accuracy_and_macro_f1(y_true[rows], candidate[rows], k)
        accuracy.append(cand_accuracy - base_accuracy)
        macro_f1.append(cand_f1 - base_f1)
    return {"accuracy": np.concatenate(accuracy), "f1_macro": np.concatenate(macro_f1)}


@pytest.fixture(scope="module")
def pair_bootstraps() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    k = 3
    y_true, baseline, candidate = paired_predictions(3000, k, seed=1)
    cells = bootstrap_statistics(pair_table(y_true, baseline, candidate, k), pair_statistic(k),
                                 resamples=4000, rng=np.random.default_rng(2))
    rows = row_bootstrap_differences(y_true, baseline, candidate, k, resamples=4000, rng=np.random.default_rng(3))
    return cells, rows


@pytest.mark.parametrize("name", ["accuracy", "f1_macro"])
def test_cell_bootstrap_standard_deviation_matches_row_bootstrap(pair_bootstraps, name: str) -> None:
    cells, rows = pair_bootstraps
    assert cells[name].shape == (4000,)
    assert np.std(cells[name]) == pytest.approx(np.std(rows[name]), rel=0.05)


@pytest.mark.parametrize("name", ["accuracy", "f1_macro"])
def test_cell_bootstrap_percentiles_match_row_bootstrap(pair_bootstraps, name: str) -> None:
    cells, rows = pair_bootstraps
    tolerance = 0.25 * np.std(rows[name])  # about four Monte Carlo standard errors of the difference
    np.testing.assert_allclose(np.percentile(cells[name], [2.5, 50, 97.5]), np.percentile(rows[name], [2.5, 50, 97.5]),
                               rtol=0, atol=tolerance)


@pytest.mark.parametrize("name", ["accuracy", "f1_macro"])
def test_poisson_draws_match_the_row_bootstrap(pair_bootstraps, monkeypatch, name: str) -> None:
    """Large tables draw cell counts as Poissons; forced here on 3,000 rows, they still match row resampling."""
    monkeypatch.setattr(resampling, "POISSON_FROM", 1)
    k = 3
    y_true, baseline, candidate = paired_predictions(3000, k, seed=1)
    poisson = bootstrap_statistics(pair_table(y_true, baseline, candidate, k), pair_statistic(k),
                                   resamples=4000, rng=np.random.default_rng(5))
    _, rows = pair_bootstraps
    assert np.std(poisson[name]) == pytest.approx(np.std(rows[name]), rel=0.05)
    tolerance = 0.25 * np.std(rows[name])
    np.testing.assert_allclose(np.percentile(poisson[name], [2.5, 50, 97.5]), np.percentile(rows[name], [2.5, 50, 97.5]),
                               rtol=0, atol=tolerance)


def test_poisson_draws_vary_the_total_and_multinomial_draws_keep_it() -> None:
    counts = np.array([40_000, 9_000, 1_000])
    poisson = draw_counts(counts, 2000, np.random.default_rng(6))
    assert poisson.shape == (2000, 3)
    assert np.std(poisson.sum(axis=1)) == pytest.approx(np.sqrt(50_000), rel=0.1)  # Poisson(n) totals
    np.testing.assert_allclose(poisson.mean(axis=0), counts, rtol=0.01)
    small = counts // 10
    multinomial = draw_counts(small, 2000, np.random.default_rng(6))
    assert set(multinomial.sum(axis=1).tolist()) == {5_000}


def test_bootstrap_draws_do_not_depend_on_the_number_of_cores(monkeypatch) -> None:
    k = 3
    table = pair_table(*paired_predictions(300, k, seed=18), k)

    def draws() -> np.ndarray:  # 3,500 resamples: four chunks, run concurrently where there are cores
        return bootstrap_statistics(table, pair_statistic(k), resamples=3500, rng=np.random.default_rng(7))["accuracy"]

    monkeypatch.setattr(parallel, "cores", lambda: 4)
    several = draws()
    with parallel.worker_limit(1):
        one = draws()
    assert several.shape == (3500,)
    np.testing.assert_array_equal(several, one)


def test_pair_statistic_on_the_full_table_equals_sklearn_differences() -> None:
    k = 4
    y_true, baseline, candidate = paired_predictions(500, k, seed=4)
    table = pair_table(y_true, baseline, candidate, k)
    assert table.n == 500
    result = pair_statistic(k)(table.aggregates(table.counts.astype(float)))
    labels = np.arange(k)
    expected_accuracy = skm.accuracy_score(y_true, candidate) - skm.accuracy_score(y_true, baseline)
    expected_f1 = (skm.f1_score(y_true, candidate, labels=labels, average="macro", zero_division=0)
                   - skm.f1_score(y_true, baseline, labels=labels, average="macro", zero_division=0))
    assert float(result["accuracy"][0]) == pytest.approx(expected_accuracy, abs=1e-12)
    assert float(result["f1_macro"][0]) == pytest.approx(expected_f1, abs=1e-12)


@pytest.mark.parametrize("k", [3, 40])  # 40: (group, cell) keys too many to count with bincount
def test_pair_tables_by_group_equal_one_pair_table_per_group(k: int) -> None:
    y_true, baseline, candidate = paired_predictions(2000, k, seed=8)
    groups = np.random.default_rng(9).integers(0, 4, 2000)
    groups[groups == 2] = 3  # group 2 is empty
    tables = pair_tables_by_group(groups, 4, y_true, baseline, candidate, k)
    assert [table.n for table in tables] == [int(np.sum(groups == g)) for g in range(4)]
    for g, table in enumerate(tables):
        mask = groups == g
        expected = pair_table(y_true[mask], baseline[mask], candidate[mask], k)
        np.testing.assert_array_equal(table.counts, expected.counts)
        np.testing.assert_array_equal(table.design.toarray(), expected.design.toarray())


def test_pair_discordant_counts_the_examples_only_one_model_got_right() -> None:
    k = 4
    y_true, baseline, candidate = paired_predictions(1500, k, seed=10)
    base_right, cand_right = baseline == y_true, candidate == y_true
    assert pair_discordant(pair_table(y_true, baseline, candidate, k), k) == (
        int(np.sum(base_right & ~cand_right)), int(np.sum(cand_right & ~base_right)))


def test_cell_table_groups_identically_with_a_large_key_space() -> None:
    keys = np.random.default_rng(5).integers(0, 40, 300)

    def design(occupied: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix(occupied[:, None].astype(float))

    small = cell_table(keys, design, key_space=40)
    large = cell_table(keys, design, key_space=10**9)  # grouped by np.unique instead of bincount
    occupied, counts = np.unique(keys, return_counts=True)
    np.testing.assert_array_equal(small.counts, counts)
    np.testing.assert_array_equal(large.counts, counts)
    np.testing.assert_array_equal(small.design.toarray()[:, 0], occupied)
    np.testing.assert_array_equal(large.design.toarray()[:, 0], occupied)


# --- percentile interval ----------------------------------------------------------------------------

def test_percentile_interval_of_zero_to_hundred() -> None:
    low, high = percentile_interval(np.arange(101.0), confidence=0.95)
    assert (float(low), float(high)) == pytest.approx((2.5, 97.5), abs=1e-12)


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_percentile_interval_equals_numpy_percentile_per_column(confidence: float) -> None:
    replicates = np.random.default_rng(6).gamma(2.0, size=(1001, 3))
    tail = 100 * (1 - confidence) / 2
    low, high = percentile_interval(replicates, confidence=confidence)
    np.testing.assert_allclose(low, np.percentile(replicates, tail, axis=0), rtol=1e-12)
    np.testing.assert_allclose(high, np.percentile(replicates, 100 - tail, axis=0), rtol=1e-12)


def test_percentile_interval_ignores_undefined_resamples() -> None:
    replicates = np.random.default_rng(7).normal(size=(500, 2))
    replicates[::7, 1] = np.nan
    low, high = percentile_interval(replicates, confidence=0.9)
    defined = replicates[np.isfinite(replicates[:, 1]), 1]
    assert float(low[1]) == pytest.approx(np.percentile(defined, 5), rel=1e-12)
    assert float(high[1]) == pytest.approx(np.percentile(defined, 95), rel=1e-12)
    assert float(low[0]) == pytest.approx(np.percentile(replicates[:, 0], 5), rel=1e-12)


# --- BCa interval -----------------------------------------------------------------------------------

def mean_table(values: np.ndarray):
    """Cells: the distinct values; aggregates ``[sum of values, number of examples]``."""
    distinct, keys = np.unique(values, return_inverse=True)

    def design(occupied: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix(np.column_stack([distinct[occupied], np.ones(occupied.shape[0])]))

    return cell_table(keys.astype(np.int64), design, key_space=distinct.shape[0])


def mean_statistic(aggregates: np.ndarray) -> dict[str, np.ndarray]:
    return {"mean": aggregates[:, 0] / aggregates[:, 1]}


def _our_bca(values: np.ndarray, replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    table = mean_table(values)
    jackknife = jackknife_statistics(table, mean_statistic)["mean"]
    low, high = bca_interval(replicates, np.asarray(values.mean()), jackknife, table.counts, confidence=confidence)
    return float(low), float(high)


def test_bca_interval_of_accuracy_agrees_with_scipy_within_monte_carlo_error() -> None:
    correct = (np.random.default_rng(8).random(150) < 0.8).astype(float)
    replicates = bootstrap_statistics(mean_table(correct), mean_statistic, resamples=20000,
                                      rng=np.random.default_rng(9))["mean"]
    reference = stats.bootstrap((correct,), np.mean, method="BCa", n_resamples=20000, confidence_level=0.95,
                                rng=np.random.default_rng(10)).confidence_interval
    np.testing.assert_allclose(_our_bca(correct, replicates, 0.95), (reference.low, reference.high), rtol=0, atol=0.01)


def skewed_values_with_repeats(distinct: int, seed: int) -> np.ndarray:
    """Exponential values, each repeated 1-6 times (cells with unequal counts, a skewed statistic)."""
    rng = np.random.default_rng(seed)
    return np.repeat(rng.exponential(size=distinct) ** 2, rng.integers(1, 7, distinct))


@pytest.mark.parametrize(("distinct", "confidence"), [(12, 0.95), (25, 0.9), (8, 0.99)])
def test_bca_interval_on_scipys_bootstrap_distribution_equals_scipy(distinct: int, confidence: float) -> None:
    # Given the same bootstrap values, only the bias correction, acceleration and quantile remain to compare.
    values = skewed_values_with_repeats(distinct, seed=distinct)
    result = stats.bootstrap((values,), np.mean, method="BCa", n_resamples=5000, confidence_level=confidence,
                             rng=np.random.default_rng(11))
    ours = _our_bca(values, result.bootstrap_distribution, confidence)
    reference = result.confidence_interval
    np.testing.assert_allclose(ours, (reference.low, reference.high), rtol=1e-12)


# --- jackknife --------------------------------------------------------------------------------------

def test_jackknife_cells_reproduce_brute_force_leave_one_out_of_one_model() -> None:
    k, n = 4, 80
    rng = np.random.default_rng(12)
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, n))
    table = single_model_table(y_true, y_pred, k)
    values = jackknife_statistics(table, single_model_statistic(k))
    assert values["accuracy"].shape == table.counts.shape and table.n == n
    labels = np.arange(k)
    references = {
        "accuracy": lambda y, p: skm.accuracy_score(y, p),
        "f1_macro": lambda y, p: skm.f1_score(y, p, labels=labels, average="macro", zero_division=0),
        "matthews_corrcoef": lambda y, p: skm.matthews_corrcoef(y, p),
    }
    for name, reference in references.items():
        brute_force = [reference(np.delete(y_true, i), np.delete(y_pred, i)) for i in range(n)]
        expanded = np.repeat(values[name], table.counts)  # each cell's value once per example in it
        np.testing.assert_allclose(np.sort(expanded), np.sort(brute_force), rtol=0, atol=1e-12, err_msg=name)


def test_jackknife_cells_reproduce_brute_force_leave_one_out_of_a_pair_difference() -> None:
    k = 3
    y_true, baseline, candidate = paired_predictions(200, k, seed=13)
    table = pair_table(y_true, baseline, candidate, k)
    values = jackknife_statistics(table, pair_statistic(k))["accuracy"]
    difference = (candidate == y_true).astype(float) - (baseline == y_true)
    brute_force = [np.delete(difference, i).mean() for i in range(200)]
    np.testing.assert_allclose(np.sort(np.repeat(values, table.counts)), np.sort(brute_force), rtol=0, atol=1e-12)


# --- bootstrap p-value ------------------------------------------------------------------------------

def normal_theory_p_value(estimate: float, replicates: np.ndarray) -> float:
    """``2 Phi(-|d| / sd(d*))`` with SciPy's normal tail and the standard deviation of the defined replicates."""
    defined = replicates[np.isfinite(replicates)]
    return float(2 * stats.norm.sf(abs(estimate) / np.std(defined)))


def test_bootstrap_p_value_of_identical_models_is_one() -> None:
    assert float(bootstrap_p_value(np.array(0.0), np.zeros(500))) == 1.0


def test_bootstrap_p_value_of_a_difference_without_spread_is_undefined() -> None:
    """No spread (one example: every resample repeats it) measures nothing; it once read as p = 0, "worse"."""
    assert np.isnan(bootstrap_p_value(np.array(0.02), np.full(500, 0.02)))


def test_bootstrap_p_value_of_a_zero_difference_with_symmetric_replicates_is_one() -> None:
    half = np.random.default_rng(15).normal(size=2000)
    assert float(bootstrap_p_value(np.array(0.0), np.concatenate([half, -half]))) == pytest.approx(1.0, abs=1e-15)


def test_bootstrap_p_value_at_one_point_nine_six_standard_errors_is_five_percent() -> None:
    replicates = np.random.default_rng(16).normal(0.196, 0.1, 40000)
    assert float(bootstrap_p_value(np.array(0.196), replicates)) == pytest.approx(0.05, abs=0.002)


@pytest.mark.parametrize("estimate", [-0.3, -0.01, 0.0, 0.05, 0.25])
def test_bootstrap_p_value_equals_the_normal_theory_formula(estimate: float) -> None:
    replicates = np.random.default_rng(17).gamma(2.0, 0.05, 3000) + estimate - 0.1
    expected = normal_theory_p_value(estimate, replicates)
    assert float(bootstrap_p_value(np.array(estimate), replicates)) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_bootstrap_p_value_per_column_leaves_out_undefined_resamples() -> None:
    replicates = np.random.default_rng(18).normal(0.1, 0.08, size=(1000, 3))
    replicates[::5, 1] = np.nan
    estimate = np.array([0.1, 0.12, -0.05])
    expected = [normal_theory_p_value(estimate[j], replicates[:, j]) for j in range(3)]
    np.testing.assert_allclose(bootstrap_p_value(estimate, replicates), expected, rtol=1e-12)


def test_bootstrap_p_value_without_defined_resamples_is_nan() -> None:
    assert np.isnan(bootstrap_p_value(np.array(0.1), np.full(10, np.nan)))


def test_bootstrap_p_value_of_an_undefined_estimate_is_nan() -> None:
    assert np.isnan(bootstrap_p_value(np.array(np.nan), np.random.default_rng(19).normal(size=100)))


# --- seeds ------------------------------------------------------------------------------------------

def _pair_draws(seed: int) -> dict[str, np.ndarray]:
    k = 3
    y_true, baseline, candidate = paired_predictions(300, k, seed=18)
    return bootstrap_statistics(pair_table(y_true, baseline, candidate, k), pair_statistic(k),
                                resamples=200, rng=np.random.default_rng(seed))


def test_same_seed_gives_identical_bootstrap_draws() -> None:
    first, second = _pair_draws(19), _pair_draws(19)
    assert set(first) == set(second)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def test_different_seeds_give_different_bootstrap_draws() -> None:
    assert not np.array_equal(_pair_draws(19)["accuracy"], _pair_draws(20)["accuracy"])


# --- the paired permutation test on cells, against scipy's exact permutation test --------------------

def _macro_f1(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """Macro F1 of each row of ``y_pred`` (``(b, n)``), written out; checked against scikit-learn below."""
    true = y_true[None, :, None] == np.arange(k)
    pred = y_pred[:, :, None] == np.arange(k)
    tp = (true & pred).sum(axis=1)
    denominator = true.sum(axis=1) + pred.sum(axis=1)
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0).mean(axis=1)


def _macro_f1_difference_rows(y_true: np.ndarray, k: int):
    """Candidate-minus-baseline macro F1 of row-level predictions, as scipy's statistic (vectorised)."""
    def statistic(baseline: np.ndarray, candidate: np.ndarray, axis: int = -1) -> np.ndarray:
        return _macro_f1(y_true, np.atleast_2d(candidate), k) - _macro_f1(y_true, np.atleast_2d(baseline), k)
    return statistic


@pytest.mark.parametrize(("seed", "expected"), [(0, 0.5), (2, 0.015625), (3, 0.125), (5, 0.03125)])
def test_permutation_p_value_on_cells_equals_scipys_exact_paired_permutation_test(seed: int, expected: float) -> None:
    """``scipy.stats.permutation_test(permutation_type="samples")`` exchanges x_i and y_i: the same null.

    With 13 examples scipy enumerates all 8,192 exchanges (exact; its p-values are listed). The
    engine's Monte Carlo p-value over 20,000 random exchanges of cell counts agrees within 4 Monte
    Carlo standard errors.
    """
    k = 3
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, 13)
    base = np.where(rng.random(13) < 0.3, y, rng.integers(0, k, 13))
    cand = np.where(rng.random(13) < 0.9, y, rng.integers(0, k, 13))
    assert _macro_f1(y, cand[None], k)[0] == pytest.approx(skm.f1_score(y, cand, average="macro", labels=range(k)))
    exact = stats.permutation_test((base, cand), _macro_f1_difference_rows(y, k), permutation_type="samples",
                                   vectorized=True, n_resamples=np.inf, alternative="two-sided").pvalue
    assert exact == pytest.approx(expected)
    table = pair_table(y, base, cand, k)
    point = pair_statistic(k)(table.aggregates(table.counts.astype(float)))["f1_macro"][0]
    exchanged = resampling.swap_statistics(table, pair_statistic(k), pair_swap(k), resamples=20_000,
                                           rng=np.random.default_rng(seed))
    ours = float(resampling.permutation_p_value(point, exchanged["f1_macro"]))
    assert ours == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / 20_000) + 1e-4)


def test_swap_distribution_on_cells_matches_exchanging_rows() -> None:
    """Exchanging cell counts draws the same distribution as exchanging the rows themselves."""
    k = 4
    y, base, cand = paired_predictions(500, k, seed=4)
    table = pair_table(y, base, cand, k)
    cells = resampling.swap_statistics(table, pair_statistic(k), pair_swap(k), resamples=4_000,
                                       rng=np.random.default_rng(0))["balanced_accuracy"]
    swap = np.random.default_rng(1).random((4_000, 500)) < 0.5
    b, c = np.where(swap, cand, base), np.where(swap, base, cand)
    true = y[None, :, None] == np.arange(k)
    support = true.sum(axis=1)

    def balanced(pred: np.ndarray) -> np.ndarray:  # mean recall over the classes, written out
        return (((pred[:, :, None] == np.arange(k)) & true).sum(axis=1) / support).mean(axis=1)

    assert balanced(cand[None])[0] == pytest.approx(skm.balanced_accuracy_score(y, cand))
    rows_array = balanced(c) - balanced(b)
    assert abs(cells.mean()) < 4 * cells.std() / np.sqrt(4_000)  # centred on zero, as exchanging must be
    assert cells.std() == pytest.approx(rows_array.std(), rel=0.06)
    assert np.quantile(cells, 0.975) == pytest.approx(np.quantile(rows_array, 0.975), rel=0.1)


def test_permutation_p_value_of_one_example_is_one() -> None:
    """One example: the exchange gives d or -d, as extreme as the data, so nothing is significant."""
    table = pair_table(np.array([0]), np.array([1]), np.array([0]), 2)
    point = pair_statistic(2)(table.aggregates(table.counts.astype(float)))
    exchanged = resampling.swap_statistics(table, pair_statistic(2), pair_swap(2), resamples=500,
                                           rng=np.random.default_rng(0))
    assert point["f1_macro"][0] > 0
    assert float(resampling.permutation_p_value(point["f1_macro"][0], exchanged["f1_macro"])) == 1.0


def test_permutation_p_value_counts_reaching_replicates_phipson_smyth() -> None:
    """``(1 + #{|d*| >= |d|}) / (1 + R)``, written out; below its resolution the normal tail, capped."""
    replicates = np.array([0.3, -0.1, 0.2, -0.25, 0.05, np.nan])
    assert float(resampling.permutation_p_value(np.array(0.2), replicates)) == pytest.approx((1 + 3) / (1 + 5))
    tail = 2 * stats.norm.sf(0.9 / np.sqrt(np.mean(replicates[:5] ** 2)))
    assert float(resampling.permutation_p_value(np.array(-0.9), replicates)) == pytest.approx(min(1 / 6, tail))
    assert np.isnan(resampling.permutation_p_value(np.array(np.nan), replicates))
    assert np.isnan(resampling.permutation_p_value(np.array(0.1), np.full(3, np.nan)))


def test_exchanged_counts_follow_the_binomial_of_one_half() -> None:
    """Small units exactly, large ones by the rounded normal: mean c/2, variance c/4 (scipy's binomial), in [0, c]."""
    counts = np.array([1, 7, 99, 100, 2_500])
    draws = resampling.draw_exchanges(counts, 40_000, np.random.default_rng(3))
    assert np.all((draws >= 0) & (draws <= counts)) and np.all(draws == np.rint(draws))
    for column, count in enumerate(counts):
        mean, variance = stats.binom(count, 0.5).stats()
        assert draws[:, column].mean() == pytest.approx(mean, abs=4 * np.sqrt(variance / 40_000))
        assert draws[:, column].var() == pytest.approx(variance, rel=0.03)
    small = draws[:, 1]
    observed = np.bincount(small.astype(int), minlength=8)
    assert stats.chisquare(observed, 40_000 * stats.binom(7, 0.5).pmf(np.arange(8))).pvalue > 1e-3
