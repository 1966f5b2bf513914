"""The CI gate on overall metrics, classes and slices, and what a passing gate still reports.

The demo's story: the fine-tune is better overall, but on the fax slice its macro F1 (-0.1268) and
balanced accuracy (-0.1092) are significantly worse after Holm's correction; the reference differences
come from scikit-learn.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn import metrics as skm

import evaluation
from evaluation._cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REGRESSION, main
from evaluation._errors import EvaluationError
from evaluation._gate import Gate, apply_gate, gate_iv, slice_metric_names
from evaluation._results import Settings

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
BASE, TUNED = str(DEMO / "base.csv"), str(DEMO / "finetuned.csv")
REGRESSION_BASE, REGRESSION_TUNED = str(DEMO / "regression_base.csv"), str(DEMO / "regression_finetuned.csv")
FAST = ["--resamples", "300"]  # slices: the default 1,000 exchanges, as the audit ran it
SETTINGS = Settings(resamples=300)
FAX = "'scanner' = 'fax'"


@pytest.fixture(scope="module")
def fax_differences() -> tuple[float, float]:
    """The fine-tune's macro F1 and balanced accuracy minus the base model's on the fax slice (scikit-learn)."""
    base = pd.read_csv(BASE)
    tuned = pd.read_csv(TUNED).set_index("id").loc[base["id"]].reset_index()
    fax = base["scanner"] == "fax"
    f1 = [skm.f1_score(f.loc[fax, "label"], f.loc[fax, "prediction"], average="macro", labels=range(10), zero_division=0)
          for f in (tuned, base)]
    balanced = [skm.balanced_accuracy_score(f.loc[fax, "label"], f.loc[fax, "prediction"]) for f in (tuned, base)]
    return f1[0] - f1[1], balanced[0] - balanced[1]


@pytest.fixture(scope="module")
def demo_report() -> evaluation.ComparisonReport:
    return evaluation.compare(evaluation.load_classification([BASE, TUNED]), settings=SETTINGS)


@pytest.fixture(scope="module")
def swapped_report() -> evaluation.ComparisonReport:
    """The base model as the candidate: significantly worse overall and on the precision of classes 1 and 9."""
    return evaluation.compare(evaluation.load_classification([TUNED, BASE]), settings=SETTINGS)


def test_the_overall_gate_passes_and_names_the_slice_regressions_it_left_out(demo_report, fax_differences) -> None:
    gate = gate_iv(["f1_macro", "recall_macro"], None, None, margin=None, task="classification", settings=SETTINGS)
    assert gate == Gate(("f1_macro", "recall_macro"))
    result = apply_gate(demo_report, gate)
    assert result.passed
    f1, balanced = fax_differences
    lines = result.messages(gate)
    assert lines[0] == "gate passed (no candidate significantly worse) on f1_macro, recall_macro"
    assert (f"not gated: finetuned vs base: f1_macro on slice {FAX} significantly worse (difference {f1:+.4f}, "
            "p adjusted") in lines[2]
    assert (f"not gated: finetuned vs base: balanced_accuracy on slice {FAX} significantly worse (difference "
            f"{balanced:+.4f}, p adjusted") in lines[1]
    assert lines[3:] == ["to gate them too: --gate-slices balanced_accuracy f1_macro"]
    assert len(lines) == 4  # no class of the demo is significantly worse after the correction


def test_the_slice_gate_fails_on_the_fax_slice(demo_report, fax_differences) -> None:
    gate = gate_iv(["f1_macro"], None, [], margin=None, task="classification", settings=SETTINGS)
    assert gate.slices == ("f1_macro",)  # the primary by default
    result = apply_gate(demo_report, gate)
    assert not result.passed
    assert result.failures == (f"finetuned vs base: f1_macro on slice {FAX} significantly worse (difference "
                               f"{fax_differences[0]:+.4f}, p adjusted {_p(demo_report, 'f1_macro'):.4g})",)
    assert result.widen == "--gate-slices f1_macro balanced_accuracy"


def _p(report: evaluation.ComparisonReport, metric: str) -> float:
    fax = next(s for s in report.comparisons[0].slices if (s.column, s.value) == ("scanner", "fax"))
    return fax.metrics[metric].difference.p_value_adjusted


def test_the_class_gate_fails_on_the_classes_that_regress(swapped_report) -> None:
    gate = gate_iv(["log_loss"], ["precision"], None, margin=None, task="classification", settings=SETTINGS)
    result = apply_gate(swapped_report, gate)
    assert [line.split(" significantly")[0] for line in result.failures] == [
        "base vs finetuned: precision of class '1'", "base vs finetuned: precision of class '9'"]
    per_class = swapped_report.comparisons[0].per_class
    assert f"difference {per_class['1']['precision'].difference:+.4f}" in result.failures[0]
    assert per_class["1"]["precision"].difference == pytest.approx(-0.1586, abs=1e-4)
    # Not gated on classes: the same regressions are listed, and the gate passes on log loss alone.
    passed = apply_gate(swapped_report, gate_iv(["log_loss"], None, None, margin=None, task="classification",
                                                settings=SETTINGS))
    assert passed.passed
    assert any(line.startswith("base vs finetuned: precision of class '1' significantly worse") for line in passed.ungated)
    assert "--gate-classes f1 precision" in passed.widen or "--gate-classes precision f1" in passed.widen


def test_the_margin_applies_to_every_gated_level(demo_report) -> None:
    gate = gate_iv([], None, ["f1_macro"], margin=0.05, task="classification", settings=SETTINGS)
    result = apply_gate(demo_report, gate)
    fax = next(s for s in demo_report.comparisons[0].slices if (s.column, s.value) == ("scanner", "fax"))
    difference = fax.metrics["f1_macro"].difference
    assert (f"finetuned vs base: f1_macro on slice {FAX} not non-inferior within margin 0.05 (interval "
            f"[{difference.ci_low:+.4f}, {difference.ci_high:+.4f}])") in result.failures
    lenient = apply_gate(demo_report, Gate(("f1_macro",), (), ("f1_macro",), margin=0.5))
    assert lenient.passed and lenient.messages(Gate(("f1_macro",), (), ("f1_macro",), margin=0.5))[0] == (
        "gate passed (every candidate within margin 0.5) on f1_macro; f1_macro on every tested slice")


def test_slices_too_small_to_test_are_never_gated() -> None:
    report = evaluation.compare(evaluation.load_classification([BASE, TUNED]),
                                settings=Settings(resamples=300, slice_resamples=300, min_slice_size=10_000))
    assert all(s.insufficient for s in report.comparisons[0].slices)
    result = apply_gate(report, Gate(("f1_macro",), (), ("f1_macro", "accuracy")))
    assert result.passed and result.ungated == ()


@pytest.mark.parametrize("arguments, message", [
    ((None, None, []), "--gate-slices widens the CI gate: add --fail-on-regression"),
    ((None, [], None), "--gate-classes widens the CI gate: add --fail-on-regression"),
    ((["f1_macro"], ["recall_macro"], None), "--gate-classes: unknown per-class metric 'recall_macro'; choose precision, "
                                             "recall or f1"),
    ((["f1_macro"], None, ["log_loss"]), "--gate-slices: slices are not measured on 'log_loss'; choose accuracy, "
                                         "balanced_accuracy or f1_macro"),
    ((["f1_macro"], None, ["recall_macro"]), "or make it the primary metric (--primary recall_macro)"),
    ((["f1macro"], None, None), "--fail-on-regression: unknown metric 'f1macro' for classification (did you mean f1_macro?)"),
])
def test_a_gate_that_cannot_be_applied_is_refused(arguments, message) -> None:
    with pytest.raises(EvaluationError) as info:
        gate_iv(*arguments, margin=None, task="classification", settings=SETTINGS)
    assert message in info.value.message


def test_slices_carry_the_primary_metric_when_it_needs_no_probabilities() -> None:
    assert slice_metric_names("classification", Settings(primary_metric="log_loss")) == (
        "accuracy", "balanced_accuracy", "f1_macro")
    gate = gate_iv([], None, [], margin=None, task="classification", settings=Settings(primary_metric="recall_macro"))
    assert gate.slices == ("recall_macro",) and gate.overall == ("recall_macro",)
    assert gate_iv([], None, [], margin=None, task="classification", settings=Settings(primary_metric="log_loss")).slices == (
        "f1_macro",)


def _gate_said(capsys) -> str:
    """What the command said on standard error, less the verdict lines it prints when the report goes to a file."""
    said = capsys.readouterr().err.splitlines(keepends=True)
    assert not said or said[0].startswith(("verdict: ", "error: "))
    return "".join(line for line in said if not line.startswith("verdict: "))


def test_the_command_gates_slices_end_to_end(capsys, fax_differences) -> None:
    common = ["compare", BASE, TUNED, *FAST, "--out", "/dev/null", "--fail-on-regression", "f1_macro", "recall_macro"]
    assert main(common) == EXIT_OK
    err = _gate_said(capsys)
    assert err.startswith("gate passed (no candidate significantly worse) on f1_macro, recall_macro\n")
    assert (f"not gated: finetuned vs base: f1_macro on slice {FAX} significantly worse (difference "
            f"{fax_differences[0]:+.4f}") in err
    assert main([*common, "--gate-slices"]) == EXIT_REGRESSION
    err = _gate_said(capsys)
    assert err.startswith(f"regression: finetuned vs base: f1_macro on slice {FAX} significantly worse")
    assert main([*common, "--gate-slices", "f1_macro", "balanced_accuracy", "--gate-classes"]) == EXIT_REGRESSION
    assert "not gated" not in _gate_said(capsys)  # every significant regression is gated now


def test_the_regression_task_gates_its_slices(capsys) -> None:
    common = ["compare", REGRESSION_BASE, REGRESSION_TUNED, "--task", "regression", *FAST, "--out", "/dev/null",
              "--fail-on-regression"]
    assert main([*common, "--gate-slices"]) == EXIT_OK  # 177 patients: no slice difference is significant
    assert _gate_said(capsys) == ("gate passed (no candidate significantly worse) on mean_absolute_error; "
                                       "mean_absolute_error on every tested slice\n")
    assert main([*common, "--gate-slices", "mean_absolute_error", "r2", "--margin", "1"]) == EXIT_REGRESSION
    err = _gate_said(capsys)
    assert "regression: regression_finetuned vs regression_base: mean_absolute_error on slice 'age_band' = '<40' " \
           "not non-inferior within margin 1 (interval [" in err
    assert main([*common, "--gate-classes"]) == EXIT_BAD_INPUT
    assert _gate_said(capsys) == ("error: --gate-classes: a regression comparison has no classes; gate its slices "
                                       "with --gate-slices\n")
