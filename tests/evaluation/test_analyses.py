"""Slices, flips, threshold curves, calibration bins, power and warnings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower

from evaluation import Settings, compare, flip_table, metrics_at_threshold, operating_points, slice_labels
from evaluation._calibration import calibration_curve
from evaluation._power import minimum_detectable_difference
from evaluation._ranking import full_curve
from evaluation._results import VERDICT_INSUFFICIENT, VERDICT_WORSE
from evaluation._thresholds import threshold_curve

from ..helpers import make_data, two_models


def with_metadata(data, **columns):
    return replace(data, metadata=pd.DataFrame(columns))


def test_slice_labels_bin_numbers_into_quantiles_and_keep_categories():
    frame = pd.DataFrame({
        "device": ["a", "b", "a", None, "c", "a", "b", "b"],
        "age": [18, 25, 33, 41, 52, 60, 70, 85],
        "text": [f"free text {i}" for i in range(8)],
    })
    labels = slice_labels(frame, n_bins=2)
    assert labels["device"].tolist() == ["a", "b", "a", "(missing)", "c", "a", "b", "b"]
    assert sorted(set(labels["age"])) == ["18 to 46.5", "46.5 to 85"]
    assert "text" not in labels


def test_slice_labels_pool_rare_categories():
    frame = pd.DataFrame({"shop": [f"s{i % 30}" for i in range(300)]})
    labels = slice_labels(frame, max_categories=5)["shop"]
    assert len(set(labels)) == 5 and "(other)" in set(labels)


def test_slices_agree_with_a_direct_computation_and_are_adjusted_together():
    data = two_models(1200, 3, seed=11, probabilities=False)
    rng = np.random.default_rng(0)
    data = with_metadata(data, region=rng.choice(["north", "south", "east"], 1200), tiny=np.where(
        np.arange(1200) < 10, "rare", "common"))
    report = compare(data, settings=Settings(resamples=300, slice_resamples=500))
    slices = report.comparisons[0].slices
    assert {(s.column, s.value) for s in slices} == {("region", "north"), ("region", "south"), ("region", "east"),
                                                     ("tiny", "rare"), ("tiny", "common")}
    region = data.metadata["region"].to_numpy()
    base, cand = data.models[0].y_pred, data.models[1].y_pred
    for entry in slices:
        mask = data.metadata[entry.column].to_numpy() == entry.value
        assert entry.n == mask.sum()
        f1 = entry.metrics["f1_macro"]
        expected_base = skm.f1_score(data.y_true[mask], base[mask], labels=[0, 1, 2], average="macro", zero_division=0)
        expected_cand = skm.f1_score(data.y_true[mask], cand[mask], labels=[0, 1, 2], average="macro", zero_division=0)
        assert f1.baseline.value == pytest.approx(expected_base, abs=1e-12)
        assert f1.candidate.value == pytest.approx(expected_cand, abs=1e-12)
        assert f1.difference.difference == pytest.approx(expected_cand - expected_base, abs=1e-12)
        assert f1.baseline.ci_low <= f1.baseline.value <= f1.baseline.ci_high
    rare = next(s for s in slices if s.value == "rare")
    assert rare.insufficient and rare.metrics["accuracy"].difference.verdict == VERDICT_INSUFFICIENT
    assert slices[-1] is rare  # insufficient slices come last, unranked
    tested = [s for s in slices if not s.insufficient]
    raw = [s.metrics["f1_macro"].difference.p_value for s in tested]
    assert [s.metrics["f1_macro"].difference.p_value_adjusted for s in tested] == pytest.approx(
        multipletests(raw, method="holm")[1])
    differences = [s.metrics["f1_macro"].difference.difference for s in tested]
    assert differences == sorted(differences)  # worst first
    assert np.isin(region, ["north", "south", "east"]).all()


@pytest.mark.slow
def test_a_truly_worse_slice_is_found_and_others_are_not_flagged_beyond_the_nominal_rate():
    """Simulation: the candidate is better everywhere except one segment, where it is worse."""
    rng = np.random.default_rng(7)
    repetitions, found, false_flags, tested_slices = 60, 0, 0, 0
    for rep in range(repetitions):
        n = 2400
        segment = rng.choice(["a", "b", "c", "d", "e", "f"], n)
        y = rng.integers(0, 2, n)
        base = np.where(rng.random(n) < 0.80, y, 1 - y)
        # Same accuracy as the baseline outside "f"; clearly worse on "f".
        accuracy = np.where(segment == "f", 0.62, 0.80)
        cand = np.where(rng.random(n) < accuracy, y, 1 - y)
        data = make_data(y, {"base": base, "cand": cand})
        data = with_metadata(data, segment=segment)
        slices = compare(data, settings=Settings(resamples=200, slice_resamples=400, seed=rep)).comparisons[0].slices
        for entry in slices:
            worse = entry.metrics["accuracy"].difference.verdict == VERDICT_WORSE
            if entry.value == "f":
                found += worse
            else:
                tested_slices += 1
                false_flags += worse
    assert found / repetitions >= 0.9
    # Holm controls the family-wise rate at 5%; per slice the false-flag rate is far below it.
    assert false_flags / tested_slices <= 0.05


def test_flips_match_a_direct_count_and_the_flip_table():
    data = two_models(500, 4, seed=2)
    data = with_metadata(data, channel=np.where(np.arange(500) % 3 == 0, "web", "app"))
    report = compare(data, settings=Settings(resamples=200, slice_resamples=200))
    flips = report.comparisons[0].flips
    base_right = data.models[0].y_pred == data.y_true
    cand_right = data.models[1].y_pred == data.y_true
    assert flips.regressions == np.sum(base_right & ~cand_right)
    assert flips.improvements == np.sum(cand_right & ~base_right)
    for klass, counts in flips.by_class.items():
        in_class = data.y_true == data.classes.index(klass)
        assert counts.regressions == np.sum(base_right & ~cand_right & in_class)
    web = next(s for s in flips.by_slice if s.value == "web")
    assert web.improvements == np.sum(cand_right & ~base_right & (data.metadata["channel"].to_numpy() == "web"))
    assert set(flips.regression_ids) == set(data.ids[base_right & ~cand_right])
    table = flip_table(data, "base", "cand")
    assert (table["kind"] == "regression").sum() == flips.regressions
    assert set(table.columns) >= {"id", "kind", "label", "baseline_prediction", "candidate_prediction",
                                  "baseline_confidence", "candidate_confidence", "channel"}
    regression = table[table["kind"] == "regression"].iloc[0]
    assert regression["baseline_prediction"] == regression["label"] != regression["candidate_prediction"]


def test_flip_ids_are_truncated_but_counted():
    data = two_models(400, 3, seed=3, probabilities=False)
    flips = compare(data, settings=Settings(resamples=100, max_flip_ids=5)).comparisons[0].flips
    assert len(flips.regression_ids) == 5 and flips.regressions > 5 and flips.ids_truncated
    regressed = (data.models[0].y_pred == data.y_true) & (data.models[1].y_pred != data.y_true)
    assert list(flips.regression_ids) == sorted(str(i) for i in data.ids[regressed])[:5]  # text order: row order aside


def test_full_curve_matches_scikit_learn_curves():
    rng = np.random.default_rng(5)
    y = rng.random(300) < 0.3
    score = np.round(rng.random(300) * 0.7 + 0.3 * y, 2)  # heavy ties
    curve = full_curve(y, score)
    precision, recall, thresholds = skm.precision_recall_curve(y, score)
    kept = len(thresholds)
    assert curve.thresholds[:kept] == pytest.approx(thresholds[::-1])
    assert curve.precision[:kept] == pytest.approx(precision[:-1][::-1])
    assert curve.recall[:kept] == pytest.approx(recall[:-1][::-1])
    fpr, tpr, roc_thresholds = skm.roc_curve(y, score, drop_intermediate=False)
    assert curve.thresholds == pytest.approx(roc_thresholds[1:])
    assert curve.false_positive_rate == pytest.approx(fpr[1:])
    assert curve.recall == pytest.approx(tpr[1:])


def test_operating_points_and_metrics_at_a_threshold():
    rng = np.random.default_rng(6)
    y = rng.random(1000) < 0.4
    score = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    result = threshold_curve("pos", y, score, target_precisions=(0.8,), target_recalls=(0.9, 1.01))
    best = result.operating_points[0]
    f1_at = [skm.f1_score(y, score >= t) for t in np.unique(score)]
    assert best.f1 == pytest.approx(max(f1_at))
    at_best = metrics_at_threshold(y, score, best.threshold)
    assert at_best["f1"] == pytest.approx(best.f1)
    assert at_best["precision"] == pytest.approx(skm.precision_score(y, score >= best.threshold))
    assert at_best["specificity"] == pytest.approx(skm.recall_score(~y, score < best.threshold))
    precision_point = result.operating_points[1]
    assert precision_point.precision >= 0.8
    # No lower threshold reaches the target precision with more recall.
    lower = np.unique(score[score < precision_point.threshold])
    assert all(skm.precision_score(y, score >= t) < 0.8 or skm.recall_score(y, score >= t) <= precision_point.recall
               for t in lower[-20:])
    recall_point = result.operating_points[2]
    assert recall_point.recall >= 0.9 and skm.recall_score(y, score >= recall_point.threshold) >= 0.9
    impossible = result.operating_points[3]
    assert not impossible.met and np.isnan(impossible.threshold)
    assert len(result.thresholds) <= 305 and best.threshold in result.thresholds


def test_calibration_bins_by_hand():
    confidence = np.array([0.05, 0.34, 0.5, 0.51, 0.66, 0.67, 0.95, 1.0])
    correct = np.array([False, True, False, True, True, False, True, True])
    curve = calibration_curve(confidence, correct, n_bins=3)
    # Bins (0, 1/3], (1/3, 2/3], (2/3, 1].
    assert curve.count == (1, 4, 3)
    assert curve.accuracy == pytest.approx((0.0, 0.75, 2 / 3))
    assert curve.mean_confidence == pytest.approx((0.05, (0.34 + 0.5 + 0.51 + 0.66) / 4, (0.67 + 0.95 + 1.0) / 3))
    expected = (1 * 0.05 + 4 * abs(0.75 - 0.5025) + 3 * abs(2 / 3 - 2.62 / 3)) / 8
    assert curve.ece == pytest.approx(expected)


def test_report_carries_curves_and_calibration_per_model():
    data = two_models(400, 3, seed=4)
    report = compare(data, settings=Settings(resamples=200, target_precisions=(0.7,)))
    model = report.models["cand"]
    assert set(model.thresholds) == {"0", "1", "2"}
    assert [p.name for p in model.thresholds["1"].operating_points] == ["best_f1", "precision>=0.7"]
    assert model.calibration.ece == pytest.approx(model.metrics["expected_calibration_error"].value)
    assert sum(model.calibration.count) == 400


def test_minimum_detectable_difference_matches_statsmodels_power():
    rng = np.random.default_rng(8)
    base = rng.random(2000) < 0.8
    cand = np.where(rng.random(2000) < 0.15, ~base, base)
    power = minimum_detectable_difference(base, cand, alpha=0.05)
    d = cand.astype(float) - base.astype(float)
    sd = np.sqrt(np.mean(d**2) - np.mean(d) ** 2)
    # One-sample normal test on the paired differences: statsmodels solves for the standardised effect.
    effect = NormalIndPower().solve_power(nobs1=2000, alpha=0.05, power=0.8, ratio=0, alternative="two-sided")
    assert power.minimum_detectable_difference == pytest.approx(effect * sd, rel=2e-3)


def test_warnings_for_imbalance_small_classes_identical_models_and_low_power():
    rng = np.random.default_rng(9)
    y = rng.choice(3, size=600, p=[0.9, 0.08, 0.02])
    pred = np.where(rng.random(600) < 0.85, y, 0)
    report = compare(make_data(y, {"base": pred, "copy": pred.copy()}), settings=Settings(resamples=100))
    text = " ".join(report.warnings)
    assert "imbalanced" in text and "balanced accuracy" in text
    assert "fewer than 30 examples" in text and "'2'" in text
    assert "identical" in text
    noisy = make_data(y[:80], {"base": pred[:80], "cand": np.where(rng.random(80) < 0.9, pred[:80], 1)})
    assert any("can only detect" in w for w in compare(noisy, settings=Settings(resamples=100)).warnings)


def test_slice_labels_bin_datetimes_and_keep_missing_values_apart():
    frame = pd.DataFrame({"when": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-05", "2026-04-01", None]),
                          "size": [1.5, 2, 3, 4, None]})
    labels = slice_labels(frame, n_bins=2)
    assert labels["when"].tolist() == ["2026-01-01 to 2026-02-17"] * 2 + ["2026-02-17 to 2026-04-01"] * 2 + [
        "(missing)"]
    assert labels["size"].tolist() == ["1.5 to 2.5", "1.5 to 2.5", "2.5 to 4", "2.5 to 4", "(missing)"]


def test_slice_labels_put_infinities_in_the_outer_bins():
    values = [float("-inf"), 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, float("inf"), float("nan"), 9.0]
    labels = slice_labels(pd.DataFrame({"size": values}))["size"]
    # pandas' quartiles of the finite values 1..9 are 1, 3, 5, 7, 9 (bins (1, 3], (3, 5], (5, 7], (7, 9])
    assert list(pd.qcut(pd.Series(values[1:9] + [9.0]), 4, retbins=True)[1]) == [1, 3, 5, 7, 9]
    assert labels.tolist() == ["-inf to 3", "-inf to 3", "-inf to 3", "-inf to 3", "3 to 5", "3 to 5", "5 to 7",
                               "5 to 7", "7 to inf", "7 to inf", "(missing)", "7 to inf"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_operating_points_match_scikit_learn_precision_recall_curve(seed):
    rng = np.random.default_rng(seed)
    y = rng.random(500) < 0.35
    score = np.round(np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1), 2)  # ties, as in most prediction files
    precision, recall, thresholds = skm.precision_recall_curve(y, score)
    precision, recall = precision[:-1], recall[:-1]
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(precision), where=precision + recall > 0)
    best, by_precision, by_recall = operating_points(y, score, target_precisions=(0.75,), target_recalls=(0.8,))
    at_best = np.flatnonzero(f1 == f1.max()).max()  # the highest threshold on ties
    assert (best.threshold, best.precision, best.recall, best.f1) == pytest.approx(
        (thresholds[at_best], precision[at_best], recall[at_best], f1[at_best]))
    lowest = np.flatnonzero(precision >= 0.75).min()  # the most recall at that precision
    assert (by_precision.threshold, by_precision.precision, by_precision.recall) == pytest.approx(
        (thresholds[lowest], precision[lowest], recall[lowest]))
    highest = np.flatnonzero(recall >= 0.8).max()  # the most precision at that recall
    assert (by_recall.threshold, by_recall.precision, by_recall.recall) == pytest.approx(
        (thresholds[highest], precision[highest], recall[highest]))
    assert by_recall.false_positive_rate == pytest.approx(np.mean(score[~y] >= by_recall.threshold))
    curve = threshold_curve("pos", y, score, target_precisions=(0.75,), target_recalls=(0.8,))
    assert curve.operating_points == (best, by_precision, by_recall)  # the report's points are these
