"""The regression task against SciPy, statsmodels and scikit-learn, and its loading checks."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from evaluation import EvaluationError, Settings
from evaluation._regression import (
    TRUE_VALUE_SLICE,
    _weighted_median,
    compare_regression,
    load_regression,
    regression_flip_table,
)
from evaluation._regression_report import regression_report_to_dict, regression_report_to_markdown

SETTINGS = Settings(resamples=1_000, slice_resamples=300, min_slice_size=20)


def files(n: int = 300, seed: int = 0) -> list[tuple[str, bytes]]:
    """Two models' predictions of a skewed target, with a region column where the candidate is worse."""
    rng = np.random.default_rng(seed)
    y = np.round(rng.gamma(2.0, 20.0, size=n), 2)
    region = np.where(np.arange(n) % 3 == 0, "north", "south")
    base = np.round(y + rng.normal(0, 8, size=n), 2)
    cand = np.round(np.where(region == "north", y + rng.normal(0, 14, size=n), y + rng.normal(0, 3, size=n)), 2)
    out = []
    for name, prediction in (("base.csv", base), ("tuned.csv", cand)):
        frame = pd.DataFrame({"id": [f"ex{i}" for i in range(n)], "label": y, "prediction": prediction, "region": region})
        out.append((name, frame.sample(frac=1.0, random_state=seed).to_csv(index=False).encode()))
    return out


@pytest.fixture(scope="module")
def loaded():
    return load_regression(files())


@pytest.fixture(scope="module")
def report(loaded):
    return compare_regression(loaded, settings=SETTINGS)


def test_paired_t_tests_equal_scipy(loaded, report) -> None:
    y, base, cand = loaded.y_true, loaded.model("base").y_pred, loaded.model("tuned").y_pred
    for name, power in (("mean_absolute_error", 1), ("mean_squared_error", 2)):
        b, c = np.abs(y - base) ** power, np.abs(y - cand) ** power
        expected = stats.ttest_rel(c, b)
        interval = expected.confidence_interval(0.95)
        d = report.comparisons[0].metrics[name]
        assert d.test == "paired t"
        assert d.p_value == pytest.approx(expected.pvalue, rel=1e-9)
        assert (d.ci_low, d.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-9)
        assert d.difference == pytest.approx(c.mean() - b.mean(), rel=1e-12)


def test_single_model_t_intervals_equal_scipy(loaded, report) -> None:
    errors = np.abs(loaded.y_true - loaded.model("base").y_pred)
    expected = stats.ttest_1samp(errors, 0).confidence_interval(0.95)
    estimate = report.models["base"].metrics["mean_absolute_error"]
    assert (estimate.ci_low, estimate.ci_high) == pytest.approx((expected.low, expected.high), rel=1e-9)
    assert estimate.method == "t interval"


def test_each_metric_is_holm_adjusted_across_candidates_as_statsmodels() -> None:
    base, tuned = files()
    frame = pd.read_csv(io.BytesIO(tuned[1]))
    frame["prediction"] = frame["prediction"] + np.random.default_rng(9).normal(0, 5, size=len(frame))
    data = load_regression([base, tuned, ("other.csv", frame.to_csv(index=False).encode())])
    report = compare_regression(data, settings=SETTINGS)
    assert [c.candidate for c in report.comparisons] == ["tuned", "other"]
    for metric in report.comparisons[0].metrics:
        raw = np.array([c.metrics[metric].p_value for c in report.comparisons])
        expected = multipletests(raw, method="holm")[1]
        assert [c.metrics[metric].p_value_adjusted for c in report.comparisons] == pytest.approx(expected.tolist(), rel=1e-12)


def test_the_worse_slice_is_found_and_true_value_quartiles_are_slices(report) -> None:
    slices = report.comparisons[0].slices
    north = next(s for s in slices if s.column == "region" and s.value == "north")
    assert north.metrics["mean_absolute_error"].difference.verdict == "worse"
    assert slices[0] is north  # worst first
    quartiles = [s for s in slices if s.column == TRUE_VALUE_SLICE]
    assert len(quartiles) == 4 and sum(s.n for s in quartiles) == report.n_examples
    tested = [s for s in slices if not s.insufficient]
    for name in tested[0].metrics:  # one family per metric across the tested slices, as in classification
        raw = np.array([s.metrics[name].difference.p_value for s in tested])
        assert [s.metrics[name].difference.p_value_adjusted for s in tested] == pytest.approx(
            multipletests(raw, method="holm")[1].tolist(), rel=1e-12)


def test_error_changes_and_the_flip_table_agree(loaded, report) -> None:
    table = regression_flip_table(loaded, "base", "tuned")
    flips = report.comparisons[0].flips
    assert (flips.worse, flips.better) == ((table["kind"] == "worse").sum(), (table["kind"] == "better").sum())
    assert list(flips.largest_increases[:5]) == table["id"].head(5).tolist()
    assert table["change"].is_monotonic_decreasing


def test_weighted_median_is_the_median_of_the_repeated_sample() -> None:
    rng = np.random.default_rng(2)
    values = rng.normal(size=9)
    weights = rng.multinomial(9, np.full(9, 1 / 9), size=50)
    expected = [np.median(np.repeat(values, w)) for w in weights]
    assert _weighted_median(weights, values).tolist() == pytest.approx(expected, rel=1e-12)


def test_the_json_and_markdown_carry_the_task_and_every_metric(report) -> None:
    document = regression_report_to_dict(report)
    assert (document["schema_version"], document["task"]) == (2, "regression")
    assert list(document["models"]["base"]["metrics"]) == [
        "mean_absolute_error", "mean_squared_error", "root_mean_squared_error", "r2", "median_absolute_error"]
    text = regression_report_to_markdown(report)
    assert "paired t" in text and "paired permutation" in text and "region" in text


def test_loading_pairs_by_id_and_names_bad_cells() -> None:
    good = b"id,label,prediction\n1,2.5,2\n2,3,3.5\n3,1,1\n"
    with pytest.raises(EvaluationError, match=r"bad\.csv: column 'prediction' holds text that is not a number in 1 row "
                                              r"\(row 2;.*'abc'"):
        load_regression([("good.csv", good), ("bad.csv", b"id,label,prediction\n1,2.5,2\n2,3,abc\n3,1,1\n")])
    with pytest.raises(EvaluationError, match=r"gap\.csv: column 'label' has missing or infinite values in 1 row \(row 3"):
        load_regression([("good.csv", good), ("gap.csv", b"id,label,prediction\n1,2.5,2\n2,3,3\n3,,1\n")])
    with pytest.raises(EvaluationError, match=r"other\.csv: the true values differ from good\.csv's for 1 examples"):
        load_regression([("good.csv", good), ("other.csv", b"id,label,prediction\n1,2.5,2\n2,4,3\n3,1,1\n")])


def _tiny(y: list[float], base: list[float], cand: list[float]):
    from evaluation._data import ColumnMapping
    from evaluation._regression import RegressionData, RegressionModel

    models = (RegressionModel("base", "base.csv", np.array(base), ColumnMapping()),
              RegressionModel("cand", "cand.csv", np.array(cand), ColumnMapping()))
    return RegressionData(np.array([f"r{i}" for i in range(len(y))], dtype=object), np.array(y), models,
                          pd.DataFrame(index=range(len(y))))


def test_one_example_gives_no_regression_verdict_with_the_reason() -> None:
    report = compare_regression(_tiny([1.0], [1.5], [3.0]), settings=Settings(resamples=200))
    for name, difference in report.comparisons[0].metrics.items():
        assert difference.verdict == "undefined", name
        assert difference.reason.startswith("fewer than two examples"), name
        assert np.isnan(difference.p_value) and np.isnan(difference.ci_low)


def test_constant_nonzero_error_differences_give_no_t_test() -> None:
    """Every absolute error grows by exactly 1: the t statistic is undefined (not infinitely significant)."""
    report = compare_regression(_tiny([0.0, 10.0, 20.0], [1.0, 11.0, 21.0], [2.0, 12.0, 22.0]),
                                settings=Settings(resamples=200))
    mae = report.comparisons[0].metrics["mean_absolute_error"]
    assert mae.difference == pytest.approx(1.0)
    assert mae.verdict == "undefined" and "no spread" in mae.reason


@pytest.mark.parametrize("metric", ["root_mean_squared_error", "r2", "median_absolute_error"])
def test_permutation_p_values_equal_scipys_exact_paired_permutation_test(metric: str) -> None:
    """``scipy.stats.permutation_test(permutation_type="samples")`` exchanges the two predictions of an example.

    With 12 examples scipy enumerates all 4,096 exchanges; the engine's 8,000 random ones agree
    within 4 Monte Carlo standard errors.
    """
    from sklearn import metrics as skm

    reference = {"root_mean_squared_error": lambda y, p: np.sqrt(skm.mean_squared_error(y, p)),
                 "r2": skm.r2_score, "median_absolute_error": skm.median_absolute_error}[metric]
    rng = np.random.default_rng(5)
    y = rng.normal(10, 3, 12)
    base, cand = y + rng.normal(0, 2.5, 12), y + rng.normal(0, 1.0, 12)

    def statistic(b: np.ndarray, c: np.ndarray, axis: int = -1) -> np.ndarray:
        b, c = np.atleast_2d(b), np.atleast_2d(c)
        return np.array([reference(y, c_row) - reference(y, b_row) for b_row, c_row in zip(b, c, strict=True)])

    exact = stats.permutation_test((base, cand), statistic, permutation_type="samples", vectorized=True,
                                   n_resamples=np.inf).pvalue
    report = compare_regression(_tiny(list(y), list(base), list(cand)), settings=Settings(resamples=8_000))
    difference = report.comparisons[0].metrics[metric]
    assert difference.test == "paired permutation"
    assert difference.difference == pytest.approx(reference(y, cand) - reference(y, base))
    assert exact < 0.2
    assert difference.p_value == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / 8_000) + 1e-4)
