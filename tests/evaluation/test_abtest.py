"""The ``abtest`` analysis: every number against SciPy, statsmodels or a hand computation, the messages, the faces."""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import re
import shlex
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestIndPower

from evaluation._abtest import SRM_THRESHOLD, ABTestReport, analyze_abtest, units_needed
from evaluation._abtest_cli import add_abtest_command, run_abtest
from evaluation._abtest_data import Experiment, read_experiment
from evaluation._arguments import UsageError, _Parser, explain
from evaluation._errors import EvaluationError
from evaluation._multiple import adjust_p_values

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo" / "ab_test_events.csv"
DOCS = ROOT / "docs" / "abtest.md"
SCRIPT = ROOT / "scripts" / "make_demo_abtest.py"


def _source(frame: pd.DataFrame, name: str = "ab.csv") -> tuple[str, bytes]:
    return name, frame.to_csv(index=False).encode()


def _read(frame: pd.DataFrame, metrics: list[str], **options) -> Experiment:
    return read_experiment(_source(frame), variant_column="variant", unit_column="unit", metrics=metrics, **options)


def _unit_level(seed: int = 0, sizes: tuple[int, ...] = (120, 140), shift: float = 0.3) -> pd.DataFrame:
    """One row per unit: a skewed metric, a 0/1 conversion and a correlated pre-period covariate."""
    rng = np.random.default_rng(seed)
    frames = []
    for v, n in enumerate(sizes):
        pre = rng.gamma(2.0, 2.0, n)
        frames.append(pd.DataFrame({
            "unit": [f"{'ABCD'[v]}{i}" for i in range(n)], "variant": "ABCD"[v],
            "value": 0.8 * pre + rng.normal(shift * v, 1.5, n), "converted": (rng.random(n) < 0.2 + 0.05 * v).astype(int),
            "pre": pre}))
    return pd.concat(frames, ignore_index=True)


def _events(seed: int = 0, units: int = 150) -> pd.DataFrame:
    """Several rows per unit: a unit-level propensity makes a unit's events correlated."""
    rng = np.random.default_rng(seed)
    rows = []
    for v in "AB":
        count = 1 + rng.poisson(3.0, units)
        propensity = rng.beta(1.0, 3.0, units)
        pre = rng.gamma(2.0, 1.0, units) + 3 * propensity
        for u in range(units):
            converted = (rng.random(count[u]) < propensity[u]).astype(int)
            for c in converted:
                rows.append({"unit": f"{v}{u}", "variant": v, "converted": c, "revenue": c * rng.gamma(2.0, 10.0),
                             "pre": pre[u]})
    return pd.DataFrame(rows)


# --- Welch, the delta method, the lift -------------------------------------------------------------------------

@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_one_row_per_unit_is_welchs_t_test(confidence):
    frame = _unit_level()
    report = analyze_abtest(_read(frame, ["value", "converted"]), confidence=confidence, correction="none")
    for c in report.comparisons:
        control = frame.loc[frame.variant == "A", c.metric].to_numpy(float)
        treatment = frame.loc[frame.variant == "B", c.metric].to_numpy(float)
        expected = stats.ttest_ind(treatment, control, equal_var=False)
        interval = expected.confidence_interval(confidence)
        assert report.unit_level
        assert c.difference == pytest.approx(treatment.mean() - control.mean(), rel=1e-12)
        assert c.p_value == pytest.approx(expected.pvalue, rel=1e-9)
        assert c.df == pytest.approx(expected.df, rel=1e-12)
        assert (c.ci_low, c.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-9)
        assert (c.control_value, c.treatment_value) == pytest.approx((control.mean(), treatment.mean()), rel=1e-12)


def _delta_by_hand(sums: np.ndarray, events: np.ndarray) -> tuple[float, float]:
    """Deng et al. (2018): Var(mean S / mean N) = (s_S^2 - 2 R s_SN + R^2 s_N^2) / (n mean(N)^2)."""
    n = sums.size
    mean_s, mean_n = sums.mean(), events.mean()
    ratio = mean_s / mean_n
    covariance = np.cov(sums, events, ddof=1)
    variance = (covariance[0, 0] - 2 * ratio * covariance[0, 1] + ratio**2 * covariance[1, 1]) / (n * mean_n**2)
    return ratio, variance


def test_several_rows_per_unit_is_a_ratio_metric_with_the_delta_methods_variance():
    frame = _events()
    report = analyze_abtest(_read(frame, ["converted", "revenue"]), correction="none")
    assert not report.unit_level
    units = frame.groupby(["variant", "unit"]).agg(converted=("converted", "sum"), revenue=("revenue", "sum"),
                                                   events=("converted", "size")).reset_index()
    for c in report.comparisons:
        parts = {v: units[units.variant == v] for v in "AB"}
        (r_c, v_c), (r_t, v_t) = (_delta_by_hand(parts[v][c.metric].to_numpy(float), parts[v]["events"].to_numpy(float))
                                  for v in "AB")
        n_c, n_t = len(parts["A"]), len(parts["B"])
        df = (v_c + v_t) ** 2 / (v_c**2 / (n_c - 1) + v_t**2 / (n_t - 1))
        error = math.sqrt(v_c + v_t)
        assert c.control_value == pytest.approx(frame.loc[frame.variant == "A", c.metric].mean(), rel=1e-12)
        assert c.treatment_value == pytest.approx(r_t, rel=1e-12)
        assert c.std_error == pytest.approx(error, rel=1e-9)
        assert c.df == pytest.approx(df, rel=1e-9)
        assert c.p_value == pytest.approx(2 * stats.t.sf(abs(r_t - r_c) / error, df), rel=1e-8)
        half = stats.t.ppf(0.975, df) * error
        assert (c.ci_low, c.ci_high) == pytest.approx((r_t - r_c - half, r_t - r_c + half), rel=1e-9)
        # The lift R_t / R_c - 1: gradient (1 / R_c, -R_t / R_c^2) applied to the two independent variances.
        lift_error = math.sqrt(v_t / r_c**2 + r_t**2 * v_c / r_c**4)
        z = stats.norm.ppf(0.975)
        assert c.relative == pytest.approx(r_t / r_c - 1, rel=1e-12)
        assert c.relative_std_error == pytest.approx(lift_error, rel=1e-9)
        assert (c.relative_low, c.relative_high) == pytest.approx((c.relative - z * lift_error, c.relative + z * lift_error))


def test_a_control_of_zero_has_no_lift():
    frame = pd.DataFrame({"unit": list("abcd"), "variant": list("AABB"), "x": [0, 0, 1, 2]})
    c = analyze_abtest(_read(frame, ["x"])).comparisons[0]
    assert math.isnan(c.relative) and math.isnan(c.relative_low)


def test_no_variation_anywhere_gives_an_undefined_verdict():
    frame = pd.DataFrame({"unit": list("abcd"), "variant": list("AABB"), "x": [1, 1, 1, 1]})
    report = analyze_abtest(_read(frame, ["x"]))
    c = report.comparisons[0]
    assert c.difference == 0 and math.isnan(c.p_value) and str(c.verdict) == "undefined"
    assert json.dumps(report.to_dict(), allow_nan=False)


# --- CUPED -----------------------------------------------------------------------------------------------------

def _cuped_by_hand(y: np.ndarray, x: np.ndarray, in_treatment: np.ndarray) -> tuple[float, np.ndarray, float]:
    """Deng et al. (2013): theta = cov(Y, X) / var(X) pooled; Y - theta (X - mean X); the reduction of the variance."""
    theta = np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1)
    adjusted = y - theta * (x - x.mean())

    def variance(values: np.ndarray) -> float:
        a, b = values[~in_treatment], values[in_treatment]
        return a.var(ddof=1) / a.size + b.var(ddof=1) / b.size

    return theta, adjusted, 1 - variance(adjusted) / variance(y)


def test_cuped_on_unit_level_metrics():
    frame = _unit_level(seed=3)
    report = analyze_abtest(_read(frame, ["value", "converted"], covariate="pre"), correction="none")
    treated = (frame.variant == "B").to_numpy()
    for c in report.comparisons:
        theta, adjusted, reduction = _cuped_by_hand(frame[c.metric].to_numpy(float), frame.pre.to_numpy(float), treated)
        expected = stats.ttest_ind(adjusted[treated], adjusted[~treated], equal_var=False)
        assert c.cuped is not None
        assert c.cuped.theta == pytest.approx(theta, rel=1e-10)
        assert c.cuped.variance_reduction == pytest.approx(reduction, rel=1e-9)
        assert c.cuped.difference == pytest.approx(adjusted[treated].mean() - adjusted[~treated].mean(), rel=1e-9)
        assert c.cuped.p_value == pytest.approx(expected.pvalue, rel=1e-8)
        interval = expected.confidence_interval(0.95)
        assert (c.cuped.ci_low, c.cuped.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-9)
        assert c.p_value_adjusted == c.cuped.p_value  # the verdict is CUPED's
    value = report.comparisons[0].cuped
    assert value is not None and value.variance_reduction > 0.5  # the covariate explains most of "value"


def test_cuped_on_a_ratio_metric_adjusts_the_linearised_unit_values():
    frame = _events(seed=5)
    report = analyze_abtest(_read(frame, ["revenue"], covariate="pre"), correction="none")
    units = frame.groupby("unit", sort=True).agg(variant=("variant", "first"), revenue=("revenue", "sum"),
                                                 events=("revenue", "size"), pre=("pre", "first"))
    linearised = np.empty(len(units))
    for v in "AB":
        inside = (units.variant == v).to_numpy()
        s, n = units.revenue.to_numpy(float)[inside], units.events.to_numpy(float)[inside]
        ratio = s.sum() / n.sum()
        linearised[inside] = ratio + (s - ratio * n) / n.mean()  # Deng et al. (2018): the influence of each unit
    treated = (units.variant == "B").to_numpy()
    theta, adjusted, reduction = _cuped_by_hand(linearised, units.pre.to_numpy(float), treated)
    c = report.comparisons[0]
    assert c.cuped is not None
    assert c.cuped.theta == pytest.approx(theta, rel=1e-9)
    assert c.cuped.variance_reduction == pytest.approx(reduction, rel=1e-8)
    assert c.cuped.difference == pytest.approx(adjusted[treated].mean() - adjusted[~treated].mean(), rel=1e-9)
    assert c.cuped.p_value == pytest.approx(stats.ttest_ind(adjusted[treated], adjusted[~treated], equal_var=False).pvalue,
                                            rel=1e-8)


# --- Sample-ratio mismatch -------------------------------------------------------------------------------------

@pytest.mark.parametrize("split", [[50, 30, 20], {"A": 5, "B": 3, "C": 2}])
def test_sample_ratio_is_scipys_chisquare(split):
    frame = _unit_level(sizes=(100, 70, 30))
    report = analyze_abtest(_read(frame, ["value"]), expected_split=split)
    expected = stats.chisquare([100, 70, 30], f_exp=[100, 60, 40])
    assert report.sample_ratio.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert report.sample_ratio.p_value == pytest.approx(expected.pvalue, rel=1e-10)
    assert report.sample_ratio.df == 2 and not report.sample_ratio.mismatch
    assert [v.expected_share for v in report.variants] == pytest.approx([0.5, 0.3, 0.2])
    assert [c.treatment for c in report.comparisons] == ["B", "C"]


def test_a_sample_ratio_mismatch_is_flagged_and_the_verdict_says_not_trustworthy():
    frame = _unit_level(sizes=(600, 400))
    report = analyze_abtest(_read(frame, ["value"]))
    assert report.sample_ratio.p_value == pytest.approx(stats.chisquare([600, 400]).pvalue)
    assert report.sample_ratio.p_value < SRM_THRESHOLD and report.sample_ratio.mismatch
    assert report.verdict.startswith("Sample-ratio mismatch") and "not trustworthy" in report.verdict
    assert "**mismatch**" in report.to_markdown()


# --- Sample size -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("effect", "alpha", "power"), [(0.05, 0.05, 0.8), (0.2, 0.05, 0.8), (0.5, 0.01, 0.9),
                                                        (1.2, 0.05, 0.8), (-0.3, 0.1, 0.8)])
def test_units_needed_is_statsmodels_solve_power(effect, alpha, power):
    expected = TTestIndPower().solve_power(effect_size=abs(effect), alpha=alpha, power=power, ratio=1.0,
                                           alternative="two-sided")
    assert units_needed(effect, alpha=alpha, power=power) == pytest.approx(expected, rel=1e-6)


def test_sample_sizes_for_the_observed_effect_and_the_minimum_detectable_effect():
    frame = _unit_level(seed=7)
    report = analyze_abtest(_read(frame, ["value", "converted"]), mde={"value": 0.5})
    for c in report.comparisons:
        a = frame.loc[frame.variant == "A", c.metric].to_numpy(float)
        b = frame.loc[frame.variant == "B", c.metric].to_numpy(float)
        pooled = math.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2))
        expected = TTestIndPower().solve_power(effect_size=abs(b.mean() - a.mean()) / pooled, alpha=0.05, power=0.8)
        assert c.sample_size.standard_deviation == pytest.approx(pooled, rel=1e-12)
        assert c.sample_size.units_for_observed == pytest.approx(expected, rel=1e-6)
    value, converted = report.comparisons
    expected = TTestIndPower().solve_power(effect_size=0.5 / value.sample_size.standard_deviation, alpha=0.05, power=0.8)
    assert value.sample_size.units_for_minimum == pytest.approx(expected, rel=1e-6)
    assert math.isnan(converted.sample_size.units_for_minimum)


# --- The family of tests and the verdicts ----------------------------------------------------------------------

@pytest.mark.parametrize("correction", ["holm", "fdr_bh", "bonferroni"])
def test_p_values_are_adjusted_over_metrics_and_treatments(correction):
    frame = _unit_level(sizes=(150, 150, 150), shift=0.5)
    report = analyze_abtest(_read(frame, ["value", "converted"]), correction=correction)
    raw = [c.p_value for c in report.comparisons]
    assert [(c.treatment, c.metric) for c in report.comparisons] == [("B", "value"), ("B", "converted"),
                                                                     ("C", "value"), ("C", "converted")]
    assert [c.p_value_adjusted for c in report.comparisons] == pytest.approx(multipletests(raw, method=correction)[1])


def test_higher_is_worse_turns_the_verdict():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"unit": range(200), "variant": ["A"] * 100 + ["B"] * 100,
                          "latency": np.r_[rng.normal(200, 20, 100), rng.normal(180, 20, 100)]})
    plain, turned = (analyze_abtest(_read(frame, ["latency"]), higher_is_worse=worse).comparisons[0]
                     for worse in ((), ("latency",)))
    assert plain.difference < 0 and plain.p_value < 1e-6
    assert (str(plain.verdict), str(turned.verdict)) == ("worse", "better")
    assert not turned.higher_is_better


def test_the_control_is_named_control_or_the_first_or_chosen():
    frame = _unit_level(sizes=(20, 20, 20)).replace({"variant": {"A": "alpha", "B": "Control", "C": "zeta"}})
    assert _read(frame, ["value"]).control == "Control"
    assert _read(frame.replace({"variant": {"Control": "beta"}}), ["value"]).control == "alpha"
    chosen = analyze_abtest(_read(frame, ["value"], control="zeta"))
    assert chosen.control == "zeta" and [c.treatment for c in chosen.comparisons] == ["Control", "alpha"]


def test_row_order_does_not_change_the_numbers():
    frame = _events(seed=2)
    shuffled = frame.sample(frac=1.0, random_state=3)
    first, second = (analyze_abtest(_read(f, ["converted", "revenue"], covariate="pre")).to_dict() for f in (frame, shuffled))
    assert first == second


# --- Simulation: the delta method holds its level where a per-event test does not ------------------------------

def test_the_delta_method_holds_its_level_on_clustered_events_and_a_per_event_t_test_does_not():
    rng = np.random.default_rng(2024)
    replications, units = 400, 100
    delta_rejects = naive_rejects = 0
    for _ in range(replications):
        events = 1 + rng.poisson(9.0, 2 * units)  # variable cluster sizes
        propensity = rng.beta(0.5, 2.0, 2 * units)  # strong within-unit correlation; the same law in both arms (A/A)
        converted = rng.binomial(events, propensity).astype(float)
        arm = np.repeat([0, 1], units)
        experiment = Experiment(source="aa", variant_column="variant", unit_column="unit", variants=("A", "B"),
                                control="A", metrics=("converted",), unit_variant=arm, sums=converted[:, None],
                                events=events, covariate=None, covariate_column=None, rows=int(events.sum()))
        delta_rejects += analyze_abtest(experiment).comparisons[0].p_value < 0.05
        # The per-event t-test: every event a 0/1 observation, as if independent.
        per_event = [np.repeat(np.tile([1.0, 0.0], units), np.c_[converted, events - converted][arm == a].ravel().astype(int))
                     for a in (0, 1)]
        naive_rejects += stats.ttest_ind(per_event[1], per_event[0], equal_var=False).pvalue < 0.05
    limit = 0.05 + 3 * math.sqrt(0.05 * 0.95 / replications)
    assert delta_rejects / replications <= limit
    assert naive_rejects / replications > 0.15  # the design effect inflates its false positives several times


# --- Errors ----------------------------------------------------------------------------------------------------

def _error(frame: pd.DataFrame, metrics: list[str] | None = None, **options) -> str:
    with pytest.raises(EvaluationError) as caught:
        report = _read(frame, metrics or ["x"], **options)
        analyze_abtest(report)
    return caught.value.message


def test_a_unit_in_two_variants_is_refused_with_its_rows():
    frame = pd.DataFrame({"unit": ["u0", "u1", "u1", "u2", "u3", "u4", "u1", "u3"],
                          "variant": ["A", "A", "A", "B", "B", "A", "B", "A"], "x": range(8)})
    message = _error(frame)
    assert message.startswith("ab.csv: columns 'unit' and 'variant': ")
    assert "unit u1 appears in variants A and B in rows 2 and 7; expected each unit in one variant" in message
    assert "2 units in all" in message


@pytest.mark.parametrize(("change", "expected"), [
    ({"x": ["1", "2", "abc", "4"]}, r"ab\.csv: column 'x' holds text that is not a number in 1 row \(row 3; .*'abc'"),
    ({"x": [1, None, 3, 4]}, r"ab\.csv: column 'x' has missing values in 1 row \(row 2;.*expected a number"),
    ({"variant": ["A", None, "B", "B"]}, r"ab\.csv: column 'variant' has missing values in 1 row \(row 2;"),
    ({"unit": ["a", "b", None, "d"]}, r"ab\.csv: column 'unit' has missing values in 1 row \(row 3;"),
    ({"variant": ["A"] * 4}, r"ab\.csv: column 'variant' holds one variant \(A\); expected two or more"),
    ({"variant": ["A", "A", "A", "B"]}, r"ab\.csv: variant B in column 'variant' has 1 unit; expected at least two"),
])
def test_bad_values_are_refused_naming_the_file_column_and_rows(change, expected):
    frame = pd.DataFrame({"unit": list("abcd"), "variant": list("AABB"), "x": [1, 2, 3, 4]}).assign(**change)
    assert re.search(expected, _error(frame)), _error(frame)


@pytest.mark.parametrize(("options", "expected"), [
    ({"metrics": ["y"]}, "ab.csv: no column 'y' (the metric); the columns are unit, variant, x, pre"),
    ({"control": "C"}, "ab.csv: the control 'C' is not a variant in column 'variant'; the variants are A, B"),
    ({"metrics": ["x", "x"]}, "metric 'x' is named twice; name each metric column once"),
    ({"metrics": ["variant"]}, "column 'variant' is the variant column; it cannot also be a metric or the covariate"),
])
def test_bad_options_are_refused(options, expected):
    frame = pd.DataFrame({"unit": list("abcd"), "variant": list("AABB"), "x": [1, 2, 3, 4], "pre": [1, 2, 3, 4]})
    assert _error(frame, options.pop("metrics", None), **options) == expected


def test_a_covariate_must_be_one_value_per_unit():
    frame = pd.DataFrame({"unit": list("aabcd"), "variant": list("AAABB"), "x": range(5), "pre": [1, 2, 2, 3, 4]})
    message = _error(frame, covariate="pre")
    assert message.startswith("ab.csv: column 'pre' differs between the rows of a unit in 1 row (row 2;")
    assert "(unit a first)" in message


@pytest.mark.parametrize(("options", "expected"), [
    ({"expected_split": [1, 2, 3]}, "--expected-split has 3 weights for 2 variants (A, B, in this order)"),
    ({"expected_split": {"A": 1, "Z": 1}}, "--expected-split names 'Z', which is not a variant"),
    ({"expected_split": [1, 0]}, "--expected-split takes positive weights"),
    ({"higher_is_worse": ["y"]}, "--higher-is-worse names 'y', which is not a metric analysed"),
    ({"mde": -1.0}, "--mde takes a positive absolute effect"),
    ({"confidence": 95}, "confidence must be between 0 and 1"),
])
def test_bad_analysis_options_are_refused(options, expected):
    experiment = _read(pd.DataFrame({"unit": list("abcd"), "variant": list("AABB"), "x": [1, 2, 3, 4]}), ["x"])
    with pytest.raises(EvaluationError, match=re.escape(expected)):
        analyze_abtest(experiment, **options)


# --- The faces: JSON, Markdown, the command --------------------------------------------------------------------

def test_json_document():
    report = analyze_abtest(_read(_events(seed=4), ["converted", "revenue"], covariate="pre"), mde=0.01)
    document = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert document["kind"] == "abtest" and document["schema_version"] == 1
    assert document["control"] == "A" and document["unit_level"] is False and document["covariate"] == "pre"
    assert [v["name"] for v in document["variants"]] == ["A", "B"]
    assert set(document["sample_ratio"]) == {"statistic", "df", "p_value", "threshold", "mismatch", "test"}
    first = document["comparisons"][0]
    assert set(first) >= {"metric", "treatment", "control", "difference", "ci_low", "ci_high", "p_value", "p_value_adjusted",
                          "verdict", "relative", "relative_low", "relative_high", "cuped", "sample_size"}
    assert first["verdict"] in {"better", "worse", "no significant difference"}
    assert set(first["cuped"]) >= {"theta", "difference", "ci_low", "ci_high", "p_value", "variance_reduction"}
    assert first["sample_size"]["minimum_detectable_effect"] == 0.01
    assert document["verdict"] == report.verdict and document["notes"]


def test_markdown_report_escapes_names_and_shows_cuped_only_with_a_covariate():
    frame = _unit_level().replace({"variant": {"B": "new|page"}})
    plain = analyze_abtest(_read(frame, ["value"])).to_markdown()
    cuped = analyze_abtest(_read(frame, ["value"], covariate="pre")).to_markdown()
    assert plain.startswith("# A/B test: ab\\.csv") and "## Allocation" in plain and "## Metrics" in plain
    assert "new\\|page" in plain and "new|page" not in plain
    assert "## CUPED" not in plain and "## CUPED on pre" in cuped
    assert "## Units per variant needed (power 0.8, alpha 0.05)" in plain
    assert "Sample-ratio check: chi-square" in plain


def _main(argv: list[str]) -> int:
    """The command line as ``evaluation._cli.main`` runs a command: bad input and usage exit 2."""
    parser = _Parser(prog="python -m evaluation")
    add_abtest_command(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        print(f"error: {explain(error.message, argv, parser)}")
        return 2
    try:
        return run_abtest(args)
    except EvaluationError as error:
        print(f"error: {error.message}")
        return 2


def test_the_command_writes_json_markdown_and_files(tmp_path, capsys):
    path = tmp_path / "events.csv"
    _events(seed=6).to_csv(path, index=False)
    common = [str(path), "--variant-column", "variant", "--unit-column", "unit", "--metric", "converted", "revenue"]
    assert _main(["abtest", *common]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["kind"] == "abtest" and len(document["comparisons"]) == 2
    out = tmp_path / "report.md"
    assert _main(["abtest", *common, "--format", "markdown", "--out", str(out), "--covariate", "pre",
                  "--expected-split", "A=1,B=1", "--mde", "revenue=1.5", "--correction", "bonferroni"]) == 0
    assert out.read_text().startswith("# A/B test: events\\.csv")
    assert capsys.readouterr().err.startswith("verdict: B vs A: converted")


@pytest.mark.parametrize(("extra", "expected"), [
    (["--expected-split", "50,x"], "error: --expected-split takes numbers, got 'x'"),
    (["--mde", "0.1", "revenue=2"], "error: --mde takes one effect for every metric, or METRIC=EFFECT pairs"),
    (["--correction", "holmes"], "error: unknown correction 'holmes' for --correction: choose holm, fdr_bh, bonferroni or "
                                 "none (did you mean holm?)"),
    (["--control", "C"], "error: events.csv: the control 'C' is not a variant"),
])
def test_the_command_exits_2_with_one_line(tmp_path, capsys, extra, expected):
    path = tmp_path / "events.csv"
    _events(seed=6).to_csv(path, index=False)
    argv = ["abtest", str(path), "--variant-column", "variant", "--unit-column", "unit", "--metric", "converted", *extra]
    assert _main(argv) == 2
    out = capsys.readouterr().out
    assert out.startswith(expected) and out.count("\n") == 1


def test_a_missing_file_exits_2(tmp_path, capsys):
    missing = str(tmp_path / "nothing.csv")
    assert _main(["abtest", missing, "--variant-column", "v", "--unit-column", "u", "--metric", "m"]) == 2
    assert capsys.readouterr().out == f"error: {missing}: no such file\n"


# --- The demo and the documentation ----------------------------------------------------------------------------

def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_demo_abtest", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_demo_file_is_what_the_script_writes():
    frame = _script().events()
    assert frame.to_csv(index=False, float_format="%.2f", lineterminator="\n") == DEMO.read_text(encoding="utf-8")
    users = frame.groupby("user_id").variant.first().value_counts()
    assert users.sum() == 2000 and abs(users["control"] - 1000) < 50 and len(frame) > 3 * 2000


def _documented_commands() -> list[str]:
    blocks = re.findall(r"^```bash\n(.*?)^```", DOCS.read_text(encoding="utf-8"), re.S | re.M)
    return [line.strip() for block in blocks for line in block.replace("\\\n", " ").splitlines()
            if "-m evaluation abtest" in line]


def test_the_documented_commands_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    commands = _documented_commands()
    assert len(commands) >= 3
    for line in commands:
        words = shlex.split(line)
        argv = words[words.index("-m") + 2:]
        if "--out" in argv:
            argv[argv.index("--out") + 1] = str(tmp_path / Path(argv[argv.index("--out") + 1]).name)
        assert _main(argv) == 0, (line, capsys.readouterr())
    capsys.readouterr()


def test_the_documented_demo_verdict_is_the_tools():
    args = argparse.Namespace(events=str(DEMO), variant_column="variant", unit_column="user_id",
                              metric=["converted", "revenue"], covariate="pre_period_revenue")
    report: ABTestReport = analyze_abtest(read_experiment(args.events, variant_column=args.variant_column,
                                                          unit_column=args.unit_column, metrics=args.metric,
                                                          covariate=args.covariate))
    text = " ".join(DOCS.read_text(encoding="utf-8").split())
    assert f"> {report.verdict}" in text
    assert all(str(c.verdict) == "better" for c in report.comparisons)
    converted, revenue = report.comparisons
    assert converted.cuped is not None and revenue.cuped is not None
    control, treatment = report.variants
    assert f"({control.units} and {treatment.units:,} users, chi-square p = {report.sample_ratio.p_value:.2f})" in text
    assert (f"rises from {converted.control_value:.3f} to {converted.treatment_value:.3f} "
            f"(+{converted.difference:.4f}, p = {converted.p_value:.3f})") in text
    assert f"from {revenue.control_value:.2f} to {revenue.treatment_value:.2f} (p = {revenue.p_value:.2f})" in text
    assert adjust_p_values(np.array([converted.p_value, revenue.p_value])).min() > 0.05  # "neither would be significant"
    assert (f"removes {converted.cuped.variance_reduction:.0%} of the variance of the conversion difference and "
            f"{revenue.cuped.variance_reduction:.0%} of the revenue difference") in text
    assert f"about {round(converted.sample_size.units_for_observed, -1):,.0f} per variant" in text


def test_renaming_the_variants_changes_only_the_names():
    frame = _events(seed=8)
    renamed = frame.replace({"variant": {"A": "zz-old", "B": "aa-new"}})
    first = analyze_abtest(_read(frame, ["converted"], covariate="pre")).comparisons[0]
    second = analyze_abtest(_read(renamed, ["converted"], covariate="pre", control="zz-old")).comparisons[0]
    assert (second.control, second.treatment) == ("zz-old", "aa-new")
    for name in ("difference", "ci_low", "ci_high", "p_value", "relative"):
        assert getattr(second, name) == pytest.approx(getattr(first, name), rel=1e-12)
    assert second.cuped == first.cuped
