"""Every registered statistic of every task, checked the same way (as scikit-learn's test_common checks its metrics).

For each statistic of the registry: it equals its reference implementation; row order does not
change it; identical models give a zero difference with p = 1; its interval contains its estimate;
and a statistic of sums equals its reference when its ``finalize`` is applied to summed per-example
columns. A statistic registered without a reference here fails the suite, so adding a metric means
registering it and naming its reference (docs/adding-a-metric.md).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from evaluation import ClassificationData, Settings, compare, statistics_of
from evaluation._data import ColumnMapping
from evaluation._regression import RegressionData, RegressionModel, compare_regression
from evaluation._statistics import DELONG, MCNEMAR, PAIRED_T, Statistic
from tests.helpers import make_data, simulated_probabilities

K = 3
LABELS = list(range(K))


def _onehot(y: np.ndarray) -> np.ndarray:
    return np.eye(K)[y]


def _expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE with equal-width bins (lower, upper], written out directly."""
    confidence, correct = p.max(axis=1), (p.argmax(axis=1) == y)
    which = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    return float(sum(abs(correct[which == b].mean() - confidence[which == b].mean()) * (which == b).sum()
                     for b in range(bins) if (which == b).any()) / y.shape[0])


def _macro(function: Callable[..., float]) -> Callable[[np.ndarray, np.ndarray, np.ndarray], float]:
    return lambda y, pred, p: function(y, pred, labels=LABELS, average="macro", zero_division=0)


def _weighted(function: Callable[..., float]) -> Callable[[np.ndarray, np.ndarray, np.ndarray], float]:
    return lambda y, pred, p: function(y, pred, labels=LABELS, average="weighted", zero_division=0)


CLASSIFICATION: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], float]] = {
    "accuracy": lambda y, pred, p: skm.accuracy_score(y, pred),
    "balanced_accuracy": lambda y, pred, p: skm.balanced_accuracy_score(y, pred),
    "precision_macro": _macro(skm.precision_score),
    "recall_macro": _macro(skm.recall_score),
    "f1_macro": _macro(skm.f1_score),
    "precision_weighted": _weighted(skm.precision_score),
    "recall_weighted": _weighted(skm.recall_score),
    "f1_weighted": _weighted(skm.f1_score),
    "f1_micro": lambda y, pred, p: skm.f1_score(y, pred, labels=LABELS, average="micro"),
    "matthews_corrcoef": lambda y, pred, p: skm.matthews_corrcoef(y, pred),
    "cohen_kappa": lambda y, pred, p: skm.cohen_kappa_score(y, pred, labels=LABELS),
    "roc_auc": lambda y, pred, p: skm.roc_auc_score(y, p, multi_class="ovr", average="macro", labels=LABELS),
    "average_precision": lambda y, pred, p: skm.average_precision_score(_onehot(y), p, average="macro"),
    "log_loss": lambda y, pred, p: skm.log_loss(y, p, labels=LABELS),
    "brier_score": lambda y, pred, p: float(np.mean(np.sum((p - _onehot(y)) ** 2, axis=1))),
    "expected_calibration_error": lambda y, pred, p: _expected_calibration_error(y, p),
}
REGRESSION: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "mean_absolute_error": skm.mean_absolute_error,
    "mean_squared_error": skm.mean_squared_error,
    "root_mean_squared_error": skm.root_mean_squared_error,
    "r2": skm.r2_score,
    "median_absolute_error": skm.median_absolute_error,
}
"""The established implementation each registered statistic must equal."""

REGISTERED = [s for task in ("classification", "regression") for s in statistics_of(task).values()]
SETTINGS = Settings(resamples=400, slice_resamples=100)


def ids(statistic: Statistic) -> str:
    return f"{statistic.task}:{statistic.name}"


# --- data of each task --------------------------------------------------------------------------

def classification_data(n: int = 150, seed: int = 0, *, same: bool = False,
                        order: np.ndarray | None = None) -> ClassificationData:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, n)
    base = simulated_probabilities(rng, y, K, 1.0)
    cand = base.copy() if same else simulated_probabilities(rng, y, K, 1.5)
    index = np.arange(n) if order is None else order
    return make_data(y[index], {"base": base.argmax(axis=1)[index], "cand": cand.argmax(axis=1)[index]},
                     {"base": base[index], "cand": cand[index]}, ids=np.array([f"r{i}" for i in index]))


def regression_data(n: int = 120, seed: int = 0, *, same: bool = False, order: np.ndarray | None = None) -> RegressionData:
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 10.0, size=n)
    base = y + rng.normal(0, 4, size=n)
    cand = base.copy() if same else y + rng.normal(0, 3, size=n)
    index = np.arange(n) if order is None else order
    models = (RegressionModel("base", "base.csv", base[index], ColumnMapping()),
              RegressionModel("cand", "cand.csv", cand[index], ColumnMapping()))
    return RegressionData(np.array([f"r{i}" for i in index], dtype=object), y[index], models,
                          pd.DataFrame(index=range(n)))


@cache
def _report(task: str, n: int, seed: int, same: bool, shuffled: bool):
    order = np.random.default_rng(99).permutation(n) if shuffled else None
    if task == "regression":
        return compare_regression(regression_data(n, seed, same=same, order=order), settings=SETTINGS)
    return compare(classification_data(n, seed, same=same, order=order), settings=SETTINGS)


def report_of(statistic: Statistic, *, n: int | None = None, seed: int = 0, same: bool = False, shuffled: bool = False):
    return _report(statistic.task, n or (120 if statistic.task == "regression" else 150), seed, same, shuffled)


def reference_value(statistic: Statistic, model: str) -> float:
    if statistic.task == "regression":
        data = regression_data()
        return REGRESSION[statistic.name](data.y_true, data.model(model).y_pred)
    data = classification_data()
    chosen = data.model(model)
    return CLASSIFICATION[statistic.name](data.y_true, chosen.y_pred, chosen.y_score)


# --- the suite ----------------------------------------------------------------------------------

def test_every_registered_statistic_has_a_reference() -> None:
    assert {(s.task, s.name) for s in REGISTERED} == (
        {("classification", name) for name in CLASSIFICATION} | {("regression", name) for name in REGRESSION})


@pytest.mark.parametrize("statistic", REGISTERED, ids=ids)
def test_equals_its_reference(statistic: Statistic) -> None:
    report = report_of(statistic)
    for model in ("base", "cand"):
        assert report.models[model].metrics[statistic.name].value == pytest.approx(
            reference_value(statistic, model), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("statistic", REGISTERED, ids=ids)
def test_row_order_changes_nothing(statistic: Statistic) -> None:
    first, second = report_of(statistic), report_of(statistic, shuffled=True)
    for name in first.models:
        assert second.models[name].metrics[statistic.name].value == pytest.approx(
            first.models[name].metrics[statistic.name].value, rel=1e-10, abs=1e-12)
    a, b = first.comparisons[0].metrics[statistic.name], second.comparisons[0].metrics[statistic.name]
    assert b.difference == pytest.approx(a.difference, rel=1e-9, abs=1e-12)
    if statistic.test in (PAIRED_T, MCNEMAR, DELONG):  # computed tests; resampled ones draw other rows
        assert b.p_value == pytest.approx(a.p_value, rel=1e-9)


@pytest.mark.parametrize("statistic", REGISTERED, ids=ids)
def test_identical_models_differ_by_zero_with_p_one(statistic: Statistic) -> None:
    d = report_of(statistic, same=True).comparisons[0].metrics[statistic.name]
    assert (d.difference, d.ci_low, d.ci_high) == (0.0, 0.0, 0.0)
    assert d.p_value == 1.0 and d.verdict == "no significant difference"


@pytest.mark.parametrize("statistic", REGISTERED, ids=ids)
def test_every_interval_contains_its_estimate(statistic: Statistic) -> None:
    report = report_of(statistic, n=60, seed=3)
    for model in report.models.values():
        estimate = model.metrics[statistic.name]
        assert estimate.ci_low <= estimate.value <= estimate.ci_high
    d = report.comparisons[0].metrics[statistic.name]
    assert d.ci_low <= d.difference <= d.ci_high


COUNT_STATISTICS = [s for s in statistics_of("classification").values() if s.columns == ("true_positives", "predicted",
                                                                                          "actual")]


@pytest.mark.parametrize("statistic", COUNT_STATISTICS, ids=ids)
def test_a_count_statistic_finalizes_summed_per_example_blocks(statistic: Statistic) -> None:
    data = classification_data()
    for model in data.models:
        truth, predicted = _onehot(data.y_true), _onehot(model.y_pred)
        per_example = np.hstack([truth * predicted, predicted, truth])  # the three blocks of one value per class
        assert statistic.finalize is not None
        value = float(statistic.finalize(per_example.sum(axis=0)))
        assert value == pytest.approx(reference_value(statistic, model.name), rel=1e-12)


def test_a_classification_report_does_not_load_the_text_metrics_libraries() -> None:
    """Naming a class's recall in the verdict once imported the generation task, and with it rouge-score and NLTK:
    a second of every classification command's time."""
    script = ("import sys; from evaluation import compare, load_classification, report_to_dict, Settings; "
              "report_to_dict(compare(load_classification(['data/demo/base.csv', 'data/demo/finetuned.csv']), "
              "settings=Settings(resamples=50, slice_resamples=20))); "
              "print(sorted(m for m in ('rouge_score', 'nltk', 'sacrebleu') if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[2])
    assert found.stdout.strip() == "[]"
