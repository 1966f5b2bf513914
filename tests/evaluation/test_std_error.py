"""Standard errors of estimates and differences, against references from outside the code under test.

- t intervals: ``scipy.stats.sem`` of per-example values read from the demo files with pandas;
- DeLong: pROC's published aSAH numbers (variances from ``test-var.R``, the interval of the paired
  difference from ``test-roc.test.R``; see ``tests/data/reference/README.md``);
- jackknife normal: scikit-learn's ``average_precision_score`` left out one example at a time;
- bootstrap: theory, where an analytic standard error exists (a proportion's ``sqrt(p (1 - p) / n)``,
  a paired difference of proportions' ``sqrt((p01 + p10 - (p01 - p10)^2) / n)``, the delta method
  for a root mean squared error), within 10%.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import ndtri
from sklearn.metrics import average_precision_score, log_loss

from evaluation import LoadOptions, Settings, compare, load_classification, report_to_dict
from evaluation._data import ClassificationData
from evaluation._inference import bootstrap_std_error, make_difference, make_estimate, mean_std_error
from evaluation._regression import compare_regression, load_regression
from evaluation._results import Difference, Estimate

from ..helpers import make_data, two_models

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
REFERENCE = ROOT / "tests" / "data" / "reference"
Z_95 = float(ndtri(0.975))


# --- the demo data, read independently of the engine ----------------------------------------------

@pytest.fixture(scope="module")
def demo_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    base = pd.read_csv(DEMO / "base.csv")
    candidate = pd.read_csv(DEMO / "finetuned.csv").set_index("id").loc[base["id"]].reset_index()
    return base, candidate


@pytest.fixture(scope="module")
def demo_report():
    data = load_classification([str(DEMO / "base.csv"), str(DEMO / "finetuned.csv")])
    return compare(data, settings=Settings())  # the CLI's defaults: 10,000 resamples


def _true_class_probability(frame: pd.DataFrame) -> np.ndarray:
    probabilities = frame[[f"prob_{k}" for k in range(10)]].to_numpy()
    return probabilities[np.arange(len(frame)), frame["label"].to_numpy()]


def test_log_loss_std_error_is_scipy_sem_of_per_example_losses(demo_frames, demo_report) -> None:
    base, candidate = demo_frames
    losses = {"base": -np.log(_true_class_probability(base)), "finetuned": -np.log(_true_class_probability(candidate))}
    for name, frame in (("base", base), ("finetuned", candidate)):
        estimate = demo_report.models[name].metrics["log_loss"]
        probabilities = frame[[f"prob_{k}" for k in range(10)]].to_numpy()
        assert estimate.value == pytest.approx(log_loss(frame["label"], probabilities, labels=range(10)), rel=1e-9)
        assert estimate.method == "t interval"
        assert estimate.std_error == pytest.approx(stats.sem(losses[name]), rel=1e-9)
    difference = demo_report.comparisons[0].metrics["log_loss"]
    assert difference.std_error == pytest.approx(stats.sem(losses["finetuned"] - losses["base"]), rel=1e-9)


def test_brier_std_error_is_scipy_sem_of_per_example_scores(demo_frames, demo_report) -> None:
    def per_example(frame: pd.DataFrame) -> np.ndarray:
        probabilities = frame[[f"prob_{k}" for k in range(10)]].to_numpy()
        return ((probabilities - np.eye(10)[frame["label"].to_numpy()]) ** 2).sum(axis=1)

    base, candidate = demo_frames
    assert demo_report.models["base"].metrics["brier_score"].std_error == pytest.approx(
        stats.sem(per_example(base)), rel=1e-9)
    assert demo_report.comparisons[0].metrics["brier_score"].std_error == pytest.approx(
        stats.sem(per_example(candidate) - per_example(base)), rel=1e-9)


def test_accuracy_bootstrap_std_error_is_close_to_the_binomial_one(demo_frames, demo_report) -> None:
    for name, frame in zip(("base", "finetuned"), demo_frames, strict=True):
        correct = (frame["label"] == frame["prediction"]).to_numpy()
        p, n = correct.mean(), correct.shape[0]
        estimate = demo_report.models[name].metrics["accuracy"]
        assert estimate.value == pytest.approx(p, rel=1e-12)
        assert estimate.std_error == pytest.approx(math.sqrt(p * (1 - p) / n), rel=0.10)


def test_accuracy_difference_std_error_is_close_to_the_discordant_pairs_one(demo_frames, demo_report) -> None:
    base, candidate = demo_frames
    right_base = (base["label"] == base["prediction"]).to_numpy()
    right_candidate = (candidate["label"] == candidate["prediction"]).to_numpy()
    n = right_base.shape[0]
    p01 = np.mean(right_base & ~right_candidate)  # baseline only
    p10 = np.mean(~right_base & right_candidate)  # candidate only
    difference = demo_report.comparisons[0].metrics["accuracy"]
    assert difference.test == "McNemar exact"  # the test is McNemar's; the interval and the SE the bootstrap's
    assert difference.difference == pytest.approx(p10 - p01, rel=1e-12)
    assert difference.std_error == pytest.approx(math.sqrt((p01 + p10 - (p01 - p10) ** 2) / n), rel=0.10)


def test_normal_interval_from_the_std_error_matches_the_bootstrap_interval_at_900_examples(demo_report) -> None:
    entries = [demo_report.models[name].metrics["accuracy"] for name in ("base", "finetuned")]
    entries.append(demo_report.comparisons[0].metrics["accuracy"])
    for entry in entries:
        assert entry.method == "bootstrap percentile"
        assert 2 * Z_95 * entry.std_error == pytest.approx(entry.ci_high - entry.ci_low, rel=0.15)


def test_per_class_recall_std_error_is_close_to_the_binomial_one(demo_frames, demo_report) -> None:
    base, _ = demo_frames
    for label in ("0", "5", "9"):
        rows = base["label"].astype(str) == label
        recall = (base.loc[rows, "prediction"].astype(str) == label).mean()
        estimate = demo_report.models["base"].per_class[label]["recall"]
        assert estimate.value == pytest.approx(recall, rel=1e-12)
        # the class's size varies across resamples too, which the binomial SE ignores: to first order no matter
        assert estimate.std_error == pytest.approx(math.sqrt(recall * (1 - recall) / rows.sum()), rel=0.10)


def test_every_entry_of_the_demo_report_has_a_finite_std_error(demo_report) -> None:
    document = report_to_dict(demo_report)
    found: list[object] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if "ci_low" in value:
                assert "std_error" in value
                found.append(value["std_error"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    assert found and all(isinstance(se, float) and se >= 0 for se in found)


# --- DeLong against pROC on aSAH --------------------------------------------------------------------

def test_delong_std_errors_equal_proc_on_asah(tmp_path) -> None:
    """pROC's ``var(roc)`` of s100b and wfns, and the 95% interval of their paired difference.

    pROC's test suite: var 0.00266868245717244 (s100b), 0.00146991470882363 (wfns); wfns - s100b
    interval 0.0104061769564846 to 0.174214419249478, symmetric, so its half-width over z is the SE.
    """
    asah = pd.read_csv(REFERENCE / "asah.csv", comment="#")
    paths = []
    for marker, top in (("s100b", asah["s100b"].max()), ("wfns", 5.0)):  # a division keeps every rank
        path = tmp_path / f"{marker}.csv"
        pd.DataFrame({"id": np.arange(len(asah)), "label": asah["outcome"], "score": asah[marker] / top}).to_csv(
            path, index=False, float_format="%.17g")
        paths.append(str(path))
    data = load_classification(paths, options=LoadOptions(positive_label="Poor"))
    report = compare(data, settings=Settings(resamples=200))
    for marker, variance in (("s100b", 0.00266868245717244), ("wfns", 0.00146991470882363)):
        estimate = report.models[marker].metrics["roc_auc"]
        assert estimate.method == "DeLong logit"
        assert estimate.std_error == pytest.approx(math.sqrt(variance), rel=1e-9)
    difference = report.comparisons[0].metrics["roc_auc"]
    assert difference.std_error == pytest.approx((0.174214419249478 - 0.0104061769564846) / (2 * Z_95), rel=1e-9)


# --- the jackknife against scikit-learn -------------------------------------------------------------

def _jackknife_std_error(leave_one_out: np.ndarray) -> float:
    """Efron & Stein's jackknife standard error, written out."""
    n = leave_one_out.shape[0]
    return math.sqrt((n - 1) / n * np.sum((leave_one_out - leave_one_out.mean()) ** 2))


def test_average_precision_std_error_is_the_jackknife_of_scikit_learn() -> None:
    rng = np.random.default_rng(4)
    n = 240  # fewer examples than the 1,000 rank bins and distinct scores: the engine's jackknife is exact
    y = (rng.random(n) < 0.4).astype(int)
    scores = {name: 1 / (1 + np.exp(-(strength * (2 * y - 1) + rng.normal(size=n)))) for name, strength in
              (("base", 0.6), ("cand", 1.2))}
    data = make_data(y, {name: (s >= 0.5).astype(int) for name, s in scores.items()},
                     {name: np.column_stack([1 - s, s]) for name, s in scores.items()})
    report = compare(data, settings=Settings(resamples=200))
    keep = ~np.eye(n, dtype=bool)
    loo = {name: np.array([average_precision_score(y[keep[i]], s[keep[i]]) for i in range(n)])
           for name, s in scores.items()}
    def welch_df(values: np.ndarray) -> float:  # Satterthwaite's df of the jackknife variance, by true class
        terms = (values - values.mean()) ** 2 * (n - 1) / n
        shares = np.array([terms[y == c].sum() for c in (0, 1)])
        sizes = np.array([(y == c).sum() for c in (0, 1)])
        return shares.sum() ** 2 / np.sum(shares**2 / (sizes - 1))

    for name in scores:
        estimate = report.models[name].metrics["average_precision"]
        assert estimate.method == "jackknife t"
        assert estimate.value == pytest.approx(average_precision_score(y, scores[name]), rel=1e-12)
        assert estimate.std_error == pytest.approx(_jackknife_std_error(loo[name]), rel=1e-9)
        half = stats.t.ppf(0.975, welch_df(loo[name])) * _jackknife_std_error(loo[name])
        assert (estimate.ci_low, estimate.ci_high) == pytest.approx((estimate.value - half, estimate.value + half))
    difference = report.comparisons[0].metrics["average_precision"]
    assert difference.std_error == pytest.approx(_jackknife_std_error(loo["cand"] - loo["base"]), rel=1e-9)
    t = difference.difference / difference.std_error
    assert difference.p_value == pytest.approx(2 * stats.t.sf(abs(t), welch_df(loo["cand"] - loo["base"])), rel=1e-9)


# --- regression ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def regression_demo():
    frames = [pd.read_csv(DEMO / name) for name in ("regression_base.csv", "regression_finetuned.csv")]
    data = load_regression([str(DEMO / "regression_base.csv"), str(DEMO / "regression_finetuned.csv")])
    return frames, compare_regression(data, settings=Settings())


def test_regression_t_std_errors_are_scipy_sem(regression_demo) -> None:
    (base, candidate), report = regression_demo
    candidate = candidate.set_index("id").loc[base["id"]].reset_index()
    for name, power in (("mean_absolute_error", 1), ("mean_squared_error", 2)):
        errors_base = np.abs(base["label"] - base["prediction"]).to_numpy() ** power
        errors_candidate = np.abs(candidate["label"] - candidate["prediction"]).to_numpy() ** power
        estimate = report.models["regression_base"].metrics[name]
        assert estimate.method == "t interval"
        assert estimate.value == pytest.approx(errors_base.mean(), rel=1e-12)
        assert estimate.std_error == pytest.approx(stats.sem(errors_base), rel=1e-9)
        difference = report.comparisons[0].metrics[name]
        assert difference.test == "paired t"
        assert difference.std_error == pytest.approx(stats.sem(errors_candidate - errors_base), rel=1e-9)


def test_root_mean_squared_error_bootstrap_std_error_is_close_to_the_delta_method(regression_demo) -> None:
    (base, _), report = regression_demo
    squared = ((base["label"] - base["prediction"]) ** 2).to_numpy()
    rmse = math.sqrt(squared.mean())
    estimate = report.models["regression_base"].metrics["root_mean_squared_error"]
    assert estimate.method == "bootstrap percentile"
    assert estimate.std_error == pytest.approx(squared.std(ddof=0) / math.sqrt(len(squared)) / (2 * rmse), rel=0.10)


# --- undefined standard errors and the helpers --------------------------------------------------------

def test_undefined_std_errors_are_null_in_json() -> None:
    data = two_models(300, 3, seed=2)
    site = np.where(np.arange(300) == 0, "solo", "shared")
    data = ClassificationData(data.task, data.classes, data.positive_label, data.ids, data.y_true, data.models,
                              pd.DataFrame({"site": site}))
    report = compare(data, settings=Settings(resamples=300, slice_resamples=200))
    solo = next(s for s in report.comparisons[0].slices if s.value == "solo")
    assert solo.n == 1
    for entry in solo.metrics.values():
        assert math.isnan(entry.baseline.std_error) and math.isnan(entry.difference.std_error)
    document = json.loads(json.dumps(report_to_dict(report), allow_nan=False))
    solo_json = next(s for s in document["comparisons"][0]["slices"] if s["value"] == "solo")
    assert {entry["difference"]["std_error"] for entry in solo_json["metrics"].values()} == {None}
    assert all(entry["baseline"]["std_error"] is None for entry in solo_json["metrics"].values())


def test_std_error_does_not_depend_on_the_bootstrap_interval_method() -> None:
    """Percentile and BCa intervals read the same replicates (same seed), so they share one SE."""
    data = two_models(400, 3, seed=5, probabilities=False)
    percentile = compare(data, settings=Settings(resamples=500))
    bca = compare(data, settings=Settings(resamples=500, ci_method="bca"))
    for name, estimate in percentile.models["base"].metrics.items():
        assert bca.models["base"].metrics[name].method == "bootstrap BCa"
        assert bca.models["base"].metrics[name].std_error == estimate.std_error
    for name, difference in percentile.comparisons[0].metrics.items():
        assert bca.comparisons[0].metrics[name].std_error == difference.std_error


def test_helpers_follow_their_definitions() -> None:
    values = np.array([1.0, 2.0, 4.0, 7.0])
    assert mean_std_error(values) == pytest.approx(stats.sem(values), rel=1e-15)
    assert math.isnan(mean_std_error(np.array([3.0])))
    assert float(bootstrap_std_error(values, n_examples=50)) == pytest.approx(np.std(values, ddof=1), rel=1e-15)
    assert float(bootstrap_std_error(np.append(values, np.nan), n_examples=50)) == pytest.approx(
        np.std(values, ddof=1), rel=1e-15)  # undefined resamples are left out, as the intervals leave them out
    assert math.isnan(float(bootstrap_std_error(values, n_examples=1)))
    assert math.isnan(float(bootstrap_std_error(np.array([1.0, np.nan]), n_examples=50)))
    assert math.isnan(make_estimate(float("nan"), 0.1, 0.2, "DeLong", std_error=0.0).std_error)
    assert math.isnan(make_difference("m", float("nan"), 0, 0, 1, "t", "m", 0, 0, std_error=0.1).std_error)


def test_positional_construction_keeps_working_with_an_undefined_std_error() -> None:
    assert math.isnan(Estimate(0.5, 0.4, 0.6, "t interval").std_error)
    assert math.isnan(Difference(0.1, 0.0, 0.2, 0.02, 0.02, "paired t", "undefined", "t interval", 0.5, 0.6).std_error)
