"""The engine end to end on in-memory data: reference values, invariances and coverage."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn import metrics as skm
from statsmodels.stats.contingency_tables import mcnemar

from evaluation import METRICS, EvaluationError, Settings, compare, report_to_dict
from evaluation._results import VERDICT_BETTER, VERDICT_NONE, VERDICT_WORSE

from ..helpers import assert_close_documents, make_data, two_models

FAST = Settings(resamples=400)
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"


@pytest.fixture(scope="module")
def multiclass_report():
    data = two_models(600, 4, seed=3)
    return data, compare(data, settings=Settings(resamples=2000, seed=7))


def test_point_values_equal_scikit_learn(multiclass_report):
    data, report = multiclass_report
    labels = list(range(len(data.classes)))
    for model in data.models:
        metrics = report.models[model.name].metrics
        y, p, s = data.y_true, model.y_pred, model.y_score
        expected = {
            "accuracy": skm.accuracy_score(y, p),
            "balanced_accuracy": skm.balanced_accuracy_score(y, p),
            "f1_macro": skm.f1_score(y, p, labels=labels, average="macro", zero_division=0),
            "precision_weighted": skm.precision_score(y, p, labels=labels, average="weighted", zero_division=0),
            "matthews_corrcoef": skm.matthews_corrcoef(y, p),
            "cohen_kappa": skm.cohen_kappa_score(y, p),
            "roc_auc": skm.roc_auc_score(y, s, multi_class="ovr", average="macro"),
            "average_precision": skm.average_precision_score(np.eye(4)[y], s, average="macro"),
            "log_loss": skm.log_loss(y, s, labels=labels),
            "brier_score": skm.brier_score_loss(y, s, labels=labels),
        }
        for name, value in expected.items():
            assert metrics[name].value == pytest.approx(value, abs=1e-12), name
        recall = skm.recall_score(y, p, labels=labels, average=None, zero_division=0)
        for i, label in enumerate(data.classes):
            assert report.models[model.name].per_class[label]["recall"].value == pytest.approx(recall[i], abs=1e-12)


def test_accuracy_difference_uses_mcnemar_exact_as_statsmodels(multiclass_report):
    data, report = multiclass_report
    base_right = data.models[0].y_pred == data.y_true
    cand_right = data.models[1].y_pred == data.y_true
    table = [[np.sum(base_right & cand_right), np.sum(base_right & ~cand_right)],
             [np.sum(~base_right & cand_right), np.sum(~base_right & ~cand_right)]]
    diff = report.comparisons[0].metrics["accuracy"]
    assert diff.test == "McNemar exact"
    assert diff.p_value == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-12)
    assert diff.difference == pytest.approx(cand_right.mean() - base_right.mean(), abs=1e-12)


def test_log_loss_difference_is_scipy_paired_t_test(multiclass_report):
    data, report = multiclass_report
    y = data.y_true
    per_example = [-np.log(np.clip(m.y_score[np.arange(y.size), y], 1e-16, 1)) for m in data.models]
    reference = stats.ttest_rel(per_example[1], per_example[0])
    diff = report.comparisons[0].metrics["log_loss"]
    assert diff.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    ci = reference.confidence_interval(0.95)
    assert (diff.ci_low, diff.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_every_metric_has_an_interval_containing_it_and_names_its_method(multiclass_report):
    _, report = multiclass_report
    for model in report.models.values():
        assert list(model.metrics) == list(METRICS)
        for estimate in model.metrics.values():
            assert estimate.ci_low <= estimate.value <= estimate.ci_high
            assert estimate.ci_high - estimate.ci_low > 0
            assert estimate.method
    for diff in report.comparisons[0].metrics.values():
        assert diff.ci_low <= diff.difference <= diff.ci_high
        assert diff.test and diff.method


def test_stronger_candidate_is_judged_better(multiclass_report):
    _, report = multiclass_report
    metrics = report.comparisons[0].metrics
    for name in ("accuracy", "f1_macro", "roc_auc", "log_loss", "brier_score"):
        assert metrics[name].verdict == VERDICT_BETTER, name
    assert metrics["log_loss"].difference < 0


def test_same_seed_same_numbers_and_other_seed_other_resamples():
    data = two_models(300, 3, seed=1, probabilities=False)
    first = report_to_dict(compare(data, settings=Settings(resamples=300, seed=5)))
    again = report_to_dict(compare(data, settings=Settings(resamples=300, seed=5)))
    other = report_to_dict(compare(data, settings=Settings(resamples=300, seed=6)))
    assert first == again
    assert first["models"]["base"]["metrics"]["f1_macro"] != other["models"]["base"]["metrics"]["f1_macro"]


def test_identical_models_give_zero_difference_and_p_one():
    data = two_models(400, 3, seed=2)
    same = make_data(data.y_true, {"base": data.models[0].y_pred, "copy": data.models[0].y_pred.copy()},
                     {"base": data.models[0].y_score, "copy": data.models[0].y_score.copy()})
    report = compare(same, settings=FAST)
    for name, diff in report.comparisons[0].metrics.items():
        assert diff.difference == 0, name
        assert diff.p_value == 1, name
        assert diff.verdict == VERDICT_NONE
    for values in report.comparisons[0].per_class.values():
        for diff in values.values():
            assert diff.difference == 0 and diff.p_value == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), k=st.integers(2, 5))
def test_row_order_changes_nothing(seed, k):
    data = two_models(120, k, seed=seed)
    order = np.random.default_rng(seed).permutation(120)
    shuffled = make_data(data.y_true[order], {m.name: m.y_pred[order] for m in data.models},
                         {m.name: m.y_score[order] for m in data.models}, ids=data.ids[order])
    # Cell-count resampling depends on counts only, so even the intervals are identical (up to the
    # order of floating-point sums).
    assert_close_documents(report_to_dict(compare(data, settings=FAST)), report_to_dict(compare(shuffled, settings=FAST)))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_renaming_classes_changes_no_value(seed):
    k = 4
    data = two_models(150, k, seed=seed)
    permutation = np.random.default_rng(seed).permutation(k)  # old code -> new code
    names = ("apple", "kiwi", "fig", "plum")
    renamed_classes = tuple(sorted(names))
    new_code = np.array([renamed_classes.index(names[permutation[c]]) for c in range(k)])
    scores = {}
    for m in data.models:
        s = np.empty_like(m.y_score)
        s[:, new_code] = m.y_score
        scores[m.name] = s
    renamed = make_data(new_code[data.y_true], {m.name: new_code[m.y_pred] for m in data.models}, scores,
                        classes=renamed_classes)
    before, after = compare(data, settings=FAST), compare(renamed, settings=FAST)
    for name in METRICS:
        assert after.models["cand"].metrics[name].value == pytest.approx(before.models["cand"].metrics[name].value,
                                                                         abs=1e-12)
        assert after.comparisons[0].metrics[name].difference == pytest.approx(
            before.comparisons[0].metrics[name].difference, abs=1e-12)
    for c in range(k):
        old, new = data.classes[c], names[permutation[c]]
        assert after.models["base"].per_class[new]["f1"].value == pytest.approx(
            before.models["base"].per_class[old]["f1"].value)


def test_binary_uses_positive_class_for_auc_and_brier():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 500)
    scores = {}
    for name, shift in (("base", 0.5), ("cand", 1.0)):
        s = 1 / (1 + np.exp(-(rng.normal(size=500) + shift * (2 * y - 1))))
        scores[name] = np.column_stack([1 - s, s])
    data = make_data(y, {n: (s[:, 1] >= 0.5).astype(int) for n, s in scores.items()}, scores,
                     classes=("neg", "pos"), positive_label="pos")
    report = compare(data, settings=FAST)
    metrics = report.models["cand"].metrics
    assert metrics["roc_auc"].value == pytest.approx(skm.roc_auc_score(y, scores["cand"][:, 1]))
    assert metrics["average_precision"].value == pytest.approx(skm.average_precision_score(y, scores["cand"][:, 1]))
    assert metrics["brier_score"].value == pytest.approx(skm.brier_score_loss(y, scores["cand"][:, 1]))


def test_worse_candidate_fails_and_trade_offs_are_reported():
    rng = np.random.default_rng(9)
    n = 3000
    y = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    base = np.where(rng.random(n) < 0.8, y, rng.integers(0, 3, n))
    # The candidate is better on the frequent classes but forgets the rare class 2.
    cand = np.where(rng.random(n) < 0.9, y, rng.integers(0, 2, n))
    cand[(y == 2) & (rng.random(n) < 0.6)] = 0
    report = compare(make_data(y, {"base": base, "cand": cand}), settings=Settings(resamples=1000))
    comparison = report.comparisons[0]
    assert comparison.per_class["2"]["recall"].verdict == VERDICT_WORSE
    assert comparison.per_class["0"]["recall"].verdict == VERDICT_BETTER


def test_models_without_probabilities_get_confusion_metrics_only():
    data = two_models(200, 3, probabilities=False)
    report = compare(data, settings=FAST)
    assert "roc_auc" not in report.models["base"].metrics
    assert "roc_auc" not in report.comparisons[0].metrics
    assert "f1_macro" in report.comparisons[0].metrics


def test_several_candidates_are_each_compared_and_corrected():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 800)
    preds = {name: np.where(rng.random(800) < acc, y, rng.integers(0, 3, 800))
             for name, acc in (("base", 0.6), ("a", 0.62), ("b", 0.75), ("c", 0.6))}
    report = compare(make_data(y, preds), settings=Settings(resamples=500, correction="holm"))
    assert [c.candidate for c in report.comparisons] == ["a", "b", "c"]
    raw = np.array([c.metrics["f1_macro"].p_value for c in report.comparisons])
    adjusted = [c.metrics["f1_macro"].p_value_adjusted for c in report.comparisons]
    from statsmodels.stats.multitest import multipletests
    assert adjusted == pytest.approx(multipletests(raw, method="holm")[1])
    assert report.comparisons[1].metrics["f1_macro"].verdict == VERDICT_BETTER


def test_baseline_can_be_chosen_and_bad_settings_are_refused():
    data = two_models(100, 3, probabilities=False)
    report = compare(data, settings=FAST, baseline="cand")
    assert report.baseline == "cand" and report.comparisons[0].candidate == "base"
    with pytest.raises(EvaluationError, match="baseline"):
        compare(data, baseline="nope")
    with pytest.raises(EvaluationError, match="confidence"):
        compare(data, settings=Settings(confidence=95))
    with pytest.raises(EvaluationError, match="correction"):
        compare(data, settings=Settings(correction="sidak"))


def test_bca_intervals_are_close_to_percentile_for_a_symmetric_case():
    data = two_models(2000, 3, seed=8, probabilities=False)
    percentile = compare(data, settings=Settings(resamples=3000))
    bca = compare(data, settings=Settings(resamples=3000, ci_method="bca"))
    for name in ("accuracy", "f1_macro"):
        p, b = percentile.models["base"].metrics[name], bca.models["base"].metrics[name]
        assert b.method == "bootstrap BCa"
        assert b.ci_low == pytest.approx(p.ci_low, abs=0.006)
        assert b.ci_high == pytest.approx(p.ci_high, abs=0.006)


def test_json_has_the_documented_shape_and_no_nan(multiclass_report):
    _, report = multiclass_report
    document = report_to_dict(report)
    text = json.dumps(document, allow_nan=False)
    assert json.loads(text) == document
    assert {"task", "n_examples", "classes", "baseline", "models", "comparisons", "warnings"} <= set(document)
    model = document["models"]["base"]
    assert set(model["metrics"]["accuracy"]) >= {"value", "ci_low", "ci_high", "method"}
    assert set(model["per_class"]["0"]) == {"precision", "recall", "f1", "support"}
    comparison = document["comparisons"][0]
    assert {"candidate", "baseline", "metrics", "per_class", "slices", "flips"} <= set(comparison)
    assert set(comparison["metrics"]["f1_macro"]) >= {"difference", "ci_low", "ci_high", "p_value", "test", "verdict"}


@pytest.mark.slow
def test_intervals_of_a_difference_cover_the_true_value_about_95_percent():
    """Simulation: draw test sets from a known population and count how often the intervals cover."""
    rng = np.random.default_rng(2024)
    k = 3
    # Population of (true, baseline, candidate) cells with known probabilities.
    cells = np.array([(t, b, c) for t in range(k) for b in range(k) for c in range(k)])
    weights = rng.random(len(cells)) + 4.0 * (cells[:, 0] == cells[:, 2]) + 3.0 * (cells[:, 0] == cells[:, 1])
    probabilities = weights / weights.sum()
    base_correct = probabilities[cells[:, 0] == cells[:, 1]].sum()
    cand_correct = probabilities[cells[:, 0] == cells[:, 2]].sum()
    true_difference = cand_correct - base_correct

    def population_f1(column: int) -> float:
        f1 = []
        for c in range(k):
            tp = probabilities[(cells[:, 0] == c) & (cells[:, column] == c)].sum()
            f1.append(2 * tp / (probabilities[cells[:, 0] == c].sum() + probabilities[cells[:, column] == c].sum()))
        return float(np.mean(f1))

    true_f1_difference = population_f1(2) - population_f1(1)
    covered_accuracy = covered_f1 = 0
    repetitions = 300
    for rep in range(repetitions):
        draw = cells[rng.choice(len(cells), size=400, p=probabilities)]
        data = make_data(draw[:, 0], {"base": draw[:, 1], "cand": draw[:, 2]})
        diff = compare(data, settings=Settings(resamples=1000, seed=rep)).comparisons[0].metrics
        covered_accuracy += diff["accuracy"].ci_low <= true_difference <= diff["accuracy"].ci_high
        covered_f1 += diff["f1_macro"].ci_low <= true_f1_difference <= diff["f1_macro"].ci_high
    assert 0.91 <= covered_accuracy / repetitions <= 0.99
    assert 0.91 <= covered_f1 / repetitions <= 0.99
    assert math.isfinite(true_f1_difference)


def test_a_regression_on_one_of_many_classes_survives_the_correction():
    """With 150 classes, Holm multiplies the smallest p-value by 150: it must not be stuck at 1/B."""
    rng = np.random.default_rng(12)
    k, n = 150, 30_000
    y = rng.integers(0, k, n)
    base = np.where(rng.random(n) < 0.9, y, rng.integers(0, k, n))
    cand = base.copy()
    hurt = (y == 7) & (base == 7) & (rng.random(n) < 0.6)
    cand[hurt] = 8
    report = compare(make_data(y, {"base": base, "cand": cand}), settings=Settings(resamples=500))
    recall = report.comparisons[0].per_class["7"]["recall"]
    assert recall.verdict == VERDICT_WORSE and recall.p_value_adjusted < 1e-6
    untouched = [values["recall"].verdict for label, values in report.comparisons[0].per_class.items()
                 if label not in {"7", "8"}]
    assert set(untouched) == {VERDICT_NONE}


# --- the engine end to end against pROC's published aSAH results ------------------------------------

def asah_files(folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """pROC's aSAH data, and its markers s100b and wfns as two files of scores in [0, 1] (a division keeps their
    order, and so every rank statistic)."""
    asah = pd.read_csv(REFERENCE / "asah.csv", comment="#")
    paths = []
    for marker, top in (("s100b", asah["s100b"].max()), ("wfns", 5.0)):
        path = folder / f"{marker}.csv"
        pd.DataFrame({"id": np.arange(len(asah)), "label": asah["outcome"], "score": asah[marker] / top}).to_csv(
            path, index=False, float_format="%.17g")
        paths.append(str(path))
    return asah, paths


def test_compare_reproduces_proc_delong_on_asah_files(tmp_path):
    """Files in, report out: DeLong's standard errors equal pROC's; the test and intervals use them with t.

    pROC's test suite gives wfns vs s100b: Z = 2.20898359144091, p = 0.0271757822291882, 95% CI of
    the difference 0.0104061769564846 to 0.174214419249478; ``ci.auc`` of s100b: 0.6301 to 0.8326
    (see tests/data/reference/README.md). The markers become scores in [0, 1] by a division, which
    keeps their order and so every rank statistic. The engine refers DeLong's statistic to a t
    distribution with Welch-Satterthwaite degrees of freedom (from the reference implementation's
    influences per class, here) and puts a single AUC's interval on the logit scale with the smaller
    class's size minus one as degrees of freedom; both are written out below from pROC's standard
    errors and ``scipy.stats.t``.
    """
    from evaluation import LoadOptions, load_classification

    from .reference_delong import auc_influence

    asah, paths = asah_files(tmp_path)
    data = load_classification(paths, options=LoadOptions(positive_label="Poor"))
    report = compare(data, settings=Settings(resamples=200))
    difference = report.comparisons[0].metrics["roc_auc"]
    assert (difference.test, difference.method) == ("DeLong t", "DeLong t")
    assert round(report.models["s100b"].metrics["roc_auc"].value, 4) == 0.7314  # pROC: AUC of roc1 (s100b)
    assert round(report.models["wfns"].metrics["roc_auc"].value, 4) == 0.8237
    se = (0.174214419249478 - 0.0104061769564846) / (2 * stats.norm.ppf(0.975))  # pROC's, from its interval
    assert 2 * stats.norm.sf(difference.difference / se) == pytest.approx(0.0271757822291882, rel=1e-9)  # pROC's z
    positive = (asah["outcome"] == "Poor").to_numpy()
    psi = auc_influence(positive, asah["wfns"])[1] - auc_influence(positive, asah["s100b"])[1]
    shares = np.array([np.sum(psi[positive] ** 2), np.sum(psi[~positive] ** 2)])
    sizes = np.array([positive.sum(), (~positive).sum()])
    df = shares.sum() ** 2 / np.sum(shares**2 / (sizes - 1))
    assert 40 < df < 150
    assert difference.p_value == pytest.approx(2 * stats.t.sf(difference.difference / se, df), rel=1e-9)
    half = stats.t.ppf(0.975, df) * se
    assert (difference.ci_low, difference.ci_high) == pytest.approx(
        (difference.difference - half, difference.difference + half), rel=1e-9)
    s100b = report.models["s100b"].metrics["roc_auc"]
    single_se = math.sqrt(0.00266868245717244)  # pROC's var(roc) of s100b
    df_single = sizes.min() - 1  # the smaller class (41 positives) minus one
    logit, half = math.log(s100b.value / (1 - s100b.value)), stats.t.ppf(0.975, df_single) * single_se / (
        s100b.value * (1 - s100b.value))
    assert (s100b.ci_low, s100b.ci_high) == pytest.approx(
        (1 / (1 + math.exp(-(logit - half))), 1 / (1 + math.exp(-(logit + half)))), rel=1e-9)
    assert s100b.ci_low < 0.6301 and s100b.ci_high < 0.8326  # pROC's symmetric 0.6301-0.8326, moved away from 1


# --- no verdict where the data cannot support one -----------------------------------------------------

def _verdicts(report) -> dict[str, str]:
    return {name: difference.verdict for name, difference in report.comparisons[0].metrics.items()}


def test_one_example_gives_no_verdict_with_the_reason() -> None:
    """One example: every difference undefined, with the reason, where a spread of 0 once read as p = 0."""
    y = np.array([0])
    base = np.array([[0.2, 0.8]])
    cand = np.array([[0.9, 0.1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "All-NaN slice encountered" once reached the user
        report = compare(make_data(y, {"base": np.array([1]), "cand": np.array([0])}, {"base": base, "cand": cand},
                                   classes=("a", "b")), settings=Settings(resamples=200))
    comparison = report.comparisons[0]
    assert comparison.metrics["f1_macro"].difference > 0  # the candidate got the one example right
    for name, difference in comparison.metrics.items():
        assert difference.verdict in {"undefined", VERDICT_NONE}, name
        assert difference.verdict != VERDICT_WORSE and difference.verdict != VERDICT_BETTER
    for name in ("f1_macro", "log_loss", "brier_score", "balanced_accuracy"):
        assert comparison.metrics[name].verdict == "undefined"
        assert comparison.metrics[name].reason.startswith("fewer than two examples")
        assert math.isnan(comparison.metrics[name].ci_low) and math.isnan(comparison.metrics[name].p_value)
    assert report_to_dict(report)["comparisons"][0]["metrics"]["f1_macro"]["reason"].startswith("fewer than two")
    assert math.isnan(report.models["cand"].metrics["f1_macro"].ci_low)
    from evaluation import report_to_markdown, verdict_sentence

    assert r"| no verdict \(fewer than two examples, so nothing measures the uncertainty\) |" in report_to_markdown(report)
    assert verdict_sentence(comparison, report).startswith(
        "cand cannot be compared with base on F1 (macro) (+0.500): fewer than two")


def test_two_examples_never_give_a_significant_difference() -> None:
    """Two examples once gave macro F1 "worse" at p = 6e-5; the exact tests give p >= 0.5 (McNemar says so too)."""
    y = np.array([0, 1])
    report = compare(make_data(y, {"base": np.array([0, 1]), "cand": np.array([1, 1])}),
                     settings=Settings(resamples=2_000))
    comparison = report.comparisons[0]
    assert comparison.metrics["f1_macro"].difference < 0
    assert set(_verdicts(report).values()) == {VERDICT_NONE}
    assert comparison.metrics["f1_macro"].p_value >= 0.5
    assert comparison.metrics["accuracy"].p_value == pytest.approx(mcnemar([[1, 1], [0, 0]], exact=True).pvalue)


def test_one_positive_gives_no_roc_auc_verdict() -> None:
    """One positive among 60: DeLong's variance of that class is zero; the AUC difference is reported, not tested."""
    rng = np.random.default_rng(0)
    y = np.zeros(60, dtype=int)
    y[0] = 1
    base = rng.random(60)
    cand = base.copy()
    cand[0] = 0.0  # ranked below every negative by the candidate: AUC falls from about 0.5 to 0
    scores = {"base": np.column_stack([1 - base, base]), "cand": np.column_stack([1 - cand, cand])}
    report = compare(make_data(y, {"base": (base > 0.5).astype(int), "cand": (cand > 0.5).astype(int)}, scores),
                     settings=Settings(resamples=200))
    auc = report.comparisons[0].metrics["roc_auc"]
    assert auc.difference == pytest.approx(skm.roc_auc_score(y, cand) - skm.roc_auc_score(y, base))
    assert auc.verdict == "undefined" and "class '1' has 1 example" in auc.reason
    assert report.comparisons[0].metrics["average_precision"].reason == auc.reason  # a ranking metric too
    assert math.isnan(report.models["base"].metrics["roc_auc"].ci_low)
    assert math.isnan(report.models["base"].metrics["average_precision"].ci_low)


def test_two_positives_give_no_roc_auc_verdict_but_three_are_tested() -> None:
    rng = np.random.default_rng(1)
    for positives, tested in ((2, False), (3, True)):
        y = np.zeros(200, dtype=int)
        y[:positives] = 1
        base, cand = rng.random(200), rng.random(200)
        scores = {"base": np.column_stack([1 - base, base]), "cand": np.column_stack([1 - cand, cand])}
        report = compare(make_data(y, {"base": (base > 0.5).astype(int), "cand": (cand > 0.5).astype(int)}, scores),
                         settings=Settings(resamples=200))
        auc = report.comparisons[0].metrics["roc_auc"]
        assert (auc.verdict != "undefined") == tested and bool(auc.reason) != tested


def test_a_one_example_slice_is_never_significant_even_when_tested() -> None:
    """``min_slice_size=1`` tests every slice; a one-example slice once came out "worse" at p < 0.0001."""
    import pandas as pd

    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 300)
    base = np.where(rng.random(300) < 0.8, y, (y + 1) % 3)
    cand = base.copy()
    cand[0] = (y[0] + 1) % 3
    base[0] = y[0]  # the lone example of slice "solo": right before, wrong after
    data = make_data(y, {"base": base, "cand": cand})
    data = type(data)(**{**data.__dict__, "metadata": pd.DataFrame({"group": ["solo"] + ["rest"] * 299})})
    report = compare(data, settings=Settings(resamples=200, slice_resamples=500, min_slice_size=1))
    solo = next(s for s in report.comparisons[0].slices if s.value == "solo")
    assert solo.n == 1 and not solo.insufficient
    for name, metric in solo.metrics.items():
        assert metric.difference.verdict == "undefined", name
        assert metric.difference.reason.startswith("fewer than two examples")
