"""Every registered statistic, checked the same way (as scikit-learn's test_common checks its metrics).

For each statistic of the registry: row order does not change it; identical models give a zero
difference with p = 1; its interval contains its estimate; and it equals its reference
implementation. A statistic registered without a reference here fails the suite, so adding a metric
means registering it and naming its reference (docs/adding-a-metric.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import evaluation._regression  # noqa: F401  (registers the regression statistics)
from evaluation import Settings
from evaluation._data import ColumnMapping
from evaluation._regression import RegressionData, RegressionModel, compare_regression
from evaluation._statistics import STATISTICS, Statistic

REFERENCES: dict[tuple[str, str], Callable[[np.ndarray, np.ndarray], float]] = {
    ("regression", "mean_absolute_error"): skm.mean_absolute_error,
    ("regression", "mean_squared_error"): skm.mean_squared_error,
    ("regression", "root_mean_squared_error"): skm.root_mean_squared_error,
    ("regression", "r2"): skm.r2_score,
    ("regression", "median_absolute_error"): skm.median_absolute_error,
}
"""The established implementation each registered statistic must equal."""

REGISTERED = [statistic for task in STATISTICS.values() for statistic in task.values()]
SETTINGS = Settings(resamples=400, slice_resamples=100)


def ids(statistic: Statistic) -> str:
    return f"{statistic.task}:{statistic.name}"


def regression_data(n: int = 120, seed: int = 0, *, same: bool = False) -> RegressionData:
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 10.0, size=n)
    base = y + rng.normal(0, 4, size=n)
    cand = base.copy() if same else y + rng.normal(0, 3, size=n)
    models = (RegressionModel("base", "base.csv", base, ColumnMapping()),
              RegressionModel("cand", "cand.csv", cand, ColumnMapping()))
    return RegressionData(np.arange(n).astype(str).astype(object), y, models, pd.DataFrame(index=range(n)))


def reorder(data: RegressionData, order: np.ndarray) -> RegressionData:
    models = tuple(RegressionModel(m.name, m.source, m.y_pred[order], m.columns) for m in data.models)
    return RegressionData(data.ids[order], data.y_true[order], models, data.metadata.iloc[order].reset_index(drop=True))


def test_every_registered_statistic_has_a_reference() -> None:
    assert {(s.task, s.name) for s in REGISTERED} == set(REFERENCES)


@pytest.mark.parametrize("statistic", REGISTERED, ids=ids)
def test_equals_its_reference(statistic: Statistic) -> None:
    data = regression_data()
    report = compare_regression(data, settings=SETTINGS)
    for model in data.models:
        expected = REFERENCES[(statistic.task, statistic.name)](data.y_true, model.y_pred)
        assert report.models[model.name].metrics[statistic.name].value == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("statistic", REGISTERED, ids=ids)
def test_row_order_changes_nothing(statistic: Statistic) -> None:
    data = regression_data()
    order = np.random.default_rng(1).permutation(data.n_examples)
    first = compare_regression(data, settings=SETTINGS)
    second = compare_regression(reorder(data, order), settings=SETTINGS)
    for name in first.models:
        assert second.models[name].metrics[statistic.name].value == pytest.approx(
            first.models[name].metrics[statistic.name].value, rel=1e-12)
    a, b = first.comparisons[0].metrics[statistic.name], second.comparisons[0].metrics[statistic.name]
    assert b.difference == pytest.approx(a.difference, rel=1e-9, abs=1e-12)
    if statistic.test == "paired t":  # exact; bootstrap p-values depend on which rows the draws pick
        assert b.p_value == pytest.approx(a.p_value, rel=1e-9)


@pytest.mark.parametrize("statistic", REGISTERED, ids=ids)
def test_identical_models_differ_by_zero_with_p_one(statistic: Statistic) -> None:
    report = compare_regression(regression_data(same=True), settings=SETTINGS)
    d = report.comparisons[0].metrics[statistic.name]
    assert (d.difference, d.ci_low, d.ci_high, d.p_value, d.verdict) == (0.0, 0.0, 0.0, 1.0, "no significant difference")


@pytest.mark.parametrize("statistic", REGISTERED, ids=ids)
def test_every_interval_contains_its_estimate(statistic: Statistic) -> None:
    report = compare_regression(regression_data(n=40, seed=3), settings=SETTINGS)
    for model in report.models.values():
        estimate = model.metrics[statistic.name]
        assert estimate.ci_low <= estimate.value <= estimate.ci_high
    d = report.comparisons[0].metrics[statistic.name]
    assert d.ci_low <= d.difference <= d.ci_high
