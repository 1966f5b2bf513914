"""The verdict never hides a regression, and no interval is shown beside a verdict it contradicts unexplained."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

import evaluation
from evaluation import Settings, candidate_verdict, compare, load_classification, load_regression, verdict_sentence
from evaluation._inference import decide, interval_note
from evaluation._results import Difference, Verdict
from evaluation._thresholds import best_threshold
from tests.helpers import make_data

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
FAST = Settings(resamples=1000, slice_resamples=400)


def _files(*names: str) -> list[tuple[str, bytes]]:
    return [(name, (DEMO / name).read_bytes()) for name in names]


def _perturbed(source: str) -> tuple[str, bytes]:
    """The same predictions as ``source`` with scrambled, over-confident probabilities (worse ranking and calibration)."""
    frame = pd.read_csv(DEMO / source)
    columns = [c for c in frame.columns if c.startswith("prob_")]
    rng = np.random.default_rng(1)
    probabilities = 0.5 * frame[columns].to_numpy() + 0.5 * rng.dirichlet(np.full(len(columns), 0.3), len(frame))
    top = frame["prediction"].to_numpy()
    probabilities[np.arange(len(frame)), top] = np.maximum(probabilities.max(axis=1) + 0.01, 0.9)
    frame[columns] = probabilities / probabilities.sum(axis=1, keepdims=True)
    return "perturbed.csv", frame.to_csv(index=False).encode()


@pytest.fixture(scope="module")
def demo_report() -> evaluation.ComparisonReport:
    return compare(load_classification(_files("base.csv", "finetuned.csv")), settings=FAST)


@pytest.fixture(scope="module")
def three_files_report() -> evaluation.ComparisonReport:
    """Baseline finetuned; candidates base and a perturbed finetuned (equal predictions, worse probabilities)."""
    data = load_classification(_files("finetuned.csv", "base.csv") + [_perturbed("finetuned.csv")])
    return compare(data, settings=FAST)


def test_a_candidate_with_an_unchanged_primary_metric_has_its_regressions_named(three_files_report) -> None:
    comparison = next(c for c in three_files_report.comparisons if c.candidate == "perturbed")
    assert comparison.metrics["f1_macro"].difference == 0.0
    verdict = candidate_verdict(comparison, three_files_report)
    worse = {f.changes[0][0] for f in verdict.regressions if f.scope == "metric"}
    assert {"roc_auc", "log_loss", "expected_calibration_error"} <= worse
    assert verdict.outcome == "mixed"
    sentence = verdict_sentence(comparison, three_files_report)
    assert sentence.startswith("perturbed shows no significant difference from finetuned on F1 (macro): +0.000")
    log_loss = comparison.metrics["log_loss"]
    assert (f"Log loss {log_loss.baseline_value:.3f} -> {log_loss.candidate_value:.3f} "
            f"({log_loss.difference:+.3f}, adjusted p") in sentence
    assert "Significantly worse on" in sentence and "ROC AUC" in sentence


def test_the_demo_verdict_names_the_fax_slice_beside_a_better_primary_metric(demo_report) -> None:
    comparison = demo_report.comparisons[0]
    fax = next(s for s in comparison.slices if s.column == "scanner" and s.value == "fax")
    assert fax.metrics["f1_macro"].difference.verdict == "worse"
    verdict = candidate_verdict(comparison, demo_report)
    assert verdict.outcome == "mixed"
    assert next(f.where for f in verdict.regressions if f.scope == "slice") == "scanner = fax"
    sentence = verdict_sentence(comparison, demo_report)
    assert sentence.startswith("finetuned is significantly better than base on F1 (macro)")
    assert f"But significantly worse on slice scanner = fax (n = {fax.n})" in sentence


def test_regressions_of_every_scope_are_listed_worst_first_and_counted_past_three() -> None:
    rng = np.random.default_rng(5)
    k, n = 8, 4000
    y = rng.integers(0, k, n)
    base = np.where(rng.random(n) < 0.9, y, rng.integers(0, k, n))
    # The candidate is worse on classes 0-4 (and on the precision of 1-5, where they land), more the
    # higher the class index.
    damage = np.isin(y, [0, 1, 2, 3, 4]) & (rng.random(n) < 0.08 * (1 + y))
    cand = np.where(damage, (y + 1) % k, base)
    report = compare(make_data(y, {"base": base, "cand": cand}), settings=FAST)
    verdict = candidate_verdict(report.comparisons[0], report)
    classes = [f for f in verdict.regressions if f.scope == "class"]
    assert classes[0].where == "4"  # 40% of class 4 damaged, and 32% of class 3 lands there
    assert {name for name, _ in classes[0].changes} == {"precision", "recall", "f1"}
    sizes = [f.size for f in classes]
    assert sizes == sorted(sizes, reverse=True)
    sentence = verdict_sentence(report.comparisons[0], report)
    assert f"{len(classes)} classes, worst first: '4'" in sentence
    assert f"and {len(classes) - 3} more" in sentence
    assert verdict.outcome == "worse"
    assert sentence.startswith("cand is significantly worse than base on F1 (macro)")


def _all_differences(report) -> list[tuple[str, Difference]]:
    out = []
    for comparison in report.comparisons:
        out += [(f"{comparison.candidate} {name}", d) for name, d in comparison.metrics.items()]
        out += [(f"{comparison.candidate} class {label} {name}", d)
                for label, values in getattr(comparison, "per_class", {}).items() for name, d in values.items()]
        out += [(f"{comparison.candidate} slice {s.column}={s.value} {name}", m.difference)
                for s in comparison.slices for name, m in s.metrics.items()]
    return out


def _disagrees(d: Difference) -> bool:
    excludes = d.ci_low > 0 or d.ci_high < 0
    return (d.verdict == "no significant difference" and excludes) or (d.verdict in ("better", "worse") and not excludes)


@pytest.mark.parametrize("files", [("base.csv", "finetuned.csv"), ("binary_base.csv", "binary_finetuned.csv")])
def test_no_interval_contradicts_its_verdict_without_a_note(files) -> None:
    report = compare(load_classification(_files(*files)), settings=FAST)
    differences = _all_differences(report)
    assert len(differences) > 40
    for where, d in differences:
        if _disagrees(d):
            assert d.note, where
            assert evaluation.verdict_label(d) == f"{d.verdict} ({d.note})"
        else:
            assert not d.note, where


def test_no_regression_interval_contradicts_its_verdict_without_a_note() -> None:
    report = evaluation.compare_regression(load_regression(_files("regression_base.csv", "regression_finetuned.csv")),
                                           settings=replace(FAST, primary_metric="mean_absolute_error"))
    for where, d in _all_differences(report):
        assert bool(d.note) == _disagrees(d), where


def test_a_class_significant_alone_but_not_after_the_correction_says_so() -> None:
    # Ten classes tested together: a difference with p = 0.01 and an interval excluding 0 is not
    # significant after Holm (0.01 x 10 = 0.1); the note says so beside its interval.
    family = [Difference(0.07, 0.01, 0.13, 0.01, 0.01, "paired permutation", Verdict.UNDEFINED, "bootstrap", 0.5, 0.57)]
    family += [Difference(0.0, -0.05, 0.05, 0.9, 0.9, "paired permutation", Verdict.UNDEFINED, "bootstrap", 0.5, 0.5)] * 9
    decided = decide(family, Settings(), higher_is_better=True)
    assert decided[0].verdict == "no significant difference" and decided[0].p_value_adjusted == pytest.approx(0.1)
    assert decided[0].note == ("interval not adjusted; not significant after Holm correction for 10 tests "
                               "(adjusted p = 0.100)")
    assert evaluation.verdict_label(decided[0]).startswith("no significant difference (interval not adjusted")
    assert all(d.note == "" for d in decided[1:])


def test_an_interval_and_a_test_of_different_methods_that_disagree_are_called_borderline() -> None:
    settings = Settings()
    excludes = Difference(-0.016, -0.028, -0.005, 0.051, 0.051, "paired permutation", Verdict.NONE, "test inversion",
                          0.2, 0.184)
    assert interval_note(excludes, settings, tests=1) == "borderline: interval excludes 0, paired permutation p = 0.0510"
    includes = replace(excludes, ci_high=0.001, p_value=0.049, p_value_adjusted=0.049, verdict=Verdict.BETTER)
    assert interval_note(includes, settings, tests=1) == (
        "borderline: interval includes 0, paired permutation p = 0.0490 < 0.05")
    agrees = replace(excludes, p_value=0.01, p_value_adjusted=0.01, verdict=Verdict.BETTER)
    assert interval_note(agrees, settings, tests=1) == ""


def test_a_model_that_never_predicts_a_class_is_warned_about() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 600)
    base = np.where(np.isin(y, [2, 3]), 0, y)  # never predicts '2' or '3'
    cand = np.where(rng.random(600) < 0.85, y, (y + 1) % 4)
    report = compare(make_data(y, {"base": base, "cand": cand}), settings=FAST)
    assert any(w.startswith("base never predicts 2 of the 4 classes in the labels ('2', '3')") for w in report.warnings)
    assert not any(w.startswith("cand never predicts") for w in report.warnings)
    notes = candidate_verdict(report.comparisons[0], report).notes
    assert notes == ("base never predicts 2 of the classes ('2', '3'), so its recall there is 0",)
    assert "Note: base never predicts 2 of the classes" in verdict_sentence(report.comparisons[0], report)


def test_best_threshold_equals_the_best_scikit_learn_score_over_every_threshold() -> None:
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, 300)
    score = np.clip(0.3 * y + 0.7 * rng.random(300), 0, 1).round(2)  # ties too
    for positive, metric, function in ((1, "f1_macro", lambda p: f1_score(y, p, average="macro")),
                                       (0, "accuracy", lambda p: float(np.mean(p == y)))):
        own = score if positive == 1 else 1 - score
        values = {t: function(np.where(own >= t, positive, 1 - positive)) for t in np.unique(own)}
        best = max(values.values())
        threshold, value = best_threshold(y, own, positive, metric)
        assert value == pytest.approx(best, abs=1e-12)
        assert threshold == max(t for t, v in values.items() if v == pytest.approx(best, abs=1e-12))


def test_a_binary_gain_that_is_the_threshold_is_called_so() -> None:
    # Both models rank the examples alike (one score, a little noise); the baseline predicts the
    # positive class only above its 88th percentile against a 32% positive rate, the candidate at 0.5.
    rng = np.random.default_rng(11)
    n = 3000
    y = (rng.random(n) < 0.32).astype(int)
    latent = y * 1.4 + rng.normal(size=n)
    base_score = 1 / (1 + np.exp(-(latent + rng.normal(0, 0.3, n) - 0.7)))
    cand_score = 1 / (1 + np.exp(-(latent + rng.normal(0, 0.3, n) - 0.7)))
    base_pred = (base_score >= np.quantile(base_score, 0.88)).astype(int)
    cand_pred = (cand_score >= np.quantile(cand_score, 0.62)).astype(int)
    scores = {name: np.column_stack([1 - s, s]) for name, s in (("base", base_score), ("cand", cand_score))}
    report = compare(make_data(y, {"base": base_pred, "cand": cand_pred}, scores), settings=FAST)
    comparison = report.comparisons[0]
    assert comparison.metrics["f1_macro"].verdict == "better"
    assert comparison.metrics["roc_auc"].verdict == "no significant difference"
    best = comparison.best_threshold
    assert best is not None and best.metric == "f1_macro"
    expected = [max(f1_score(y, (s >= t).astype(int), average="macro") for t in np.unique(s))
                for s in (base_score, cand_score)]
    assert (best.baseline_value, best.candidate_value) == pytest.approx(expected, abs=1e-12)
    notes = candidate_verdict(comparison, report).notes
    assert len(notes) == 2
    assert notes[0].startswith("the threshold-free metrics do not agree (ROC AUC")
    assert notes[1].startswith(f"at each model's best threshold (chosen on this test set) F1 (macro) differs by "
                               f"{best.difference:+.3f} instead of {comparison.metrics['f1_macro'].difference:+.3f}")


def test_a_better_candidate_with_nothing_worse_says_so(demo_report) -> None:
    report = compare(load_classification(_files("binary_base.csv", "binary_finetuned.csv")), settings=FAST)
    verdict = candidate_verdict(report.comparisons[0], report)
    assert verdict.outcome == "better" and verdict.regressions == ()
    assert "No other metric, class or slice is significantly worse." in verdict_sentence(report.comparisons[0], report)
