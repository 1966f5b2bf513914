"""Shift between a test set and production: statistics against SciPy and scikit-learn, the drift flag's
false-alarm rate by simulation, the domain classifier, re-weighted performance and the ``shift`` command."""

from __future__ import annotations

import argparse
import io
import itertools
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.special import expit, logit
from scipy.stats import chi2_contingency, ks_2samp, wasserstein_distance
from scipy.stats import t as student_t
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, roc_auc_score
from statsmodels.stats.multitest import multipletests

from evaluation._data import ColumnMapping, LoadOptions
from evaluation._errors import EvaluationError
from evaluation._shift import (
    JENSEN_SHANNON,
    PSI_EPSILON,
    WASSERSTEIN,
    ShiftColumn,
    analyze_shift,
    categorical_drift,
    column_drift,
    domain_classifier,
    flag_drift,
    numeric_drift,
    population_stability_index,
    read_shift,
    reweighted_performance,
)
from evaluation._shift_cli import add_shift_command, run_shift

from .reference_delong import auc_influence

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
SHARES = np.array([0.4, 0.3, 0.2, 0.1])


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def classification_pair(n_test: int = 300, n_production: int = 400, *, shift: bool = True,
                        seed: int = 0) -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    """A labelled test file and an unlabelled production file; production favours the ``fax`` slice."""
    rng = np.random.default_rng(seed)

    def rows(n: int, fax_share: float) -> pd.DataFrame:
        scanner = np.where(rng.random(n) < fax_share, "fax", "flatbed")
        label = rng.integers(0, 3, n)
        wrong = rng.random(n) < np.where(scanner == "fax", 0.4, 0.1)
        prediction = np.where(wrong, (label + 1) % 3, label)
        confidence = np.clip(rng.normal(np.where(wrong, 0.5, 0.8), 0.1), 0.34, 0.98)
        probabilities = np.empty((n, 3))
        probabilities[:] = ((1 - confidence) / 2)[:, None]
        probabilities[np.arange(n), prediction] = confidence
        return pd.DataFrame({"id": np.arange(n), "label": label, "prediction": prediction,
                             **{f"prob_{k}": probabilities[:, k].round(6) for k in range(3)},
                             "scanner": scanner, "ink": rng.normal(np.where(scanner == "fax", 2.0, 0.0), 1.0)})

    test = rows(n_test, 0.2)
    production = rows(n_production, 0.6 if shift else 0.2).drop(columns=["label"])
    # Probabilities rounded to six decimals still sum to 1 within the loader's tolerance.
    return ("test.csv", csv_bytes(test)), ("production.csv", csv_bytes(production))


# --- statistics against SciPy ------------------------------------------------------------------------

def test_categorical_statistics_equal_scipy() -> None:
    rng = np.random.default_rng(1)
    test, production = rng.choice(4, 500, p=SHARES), rng.choice(4, 700, p=[0.25, 0.25, 0.25, 0.25])
    drift = categorical_drift(test, production, 4, resamples=200)
    t, p = np.bincount(test, minlength=4), np.bincount(production, minlength=4)
    assert drift.value == pytest.approx(jensenshannon(t / t.sum(), p / p.sum(), base=2), rel=1e-12)
    assert drift.p_value == pytest.approx(chi2_contingency(np.vstack([t, p])).pvalue, rel=1e-12)
    assert drift.statistic == JENSEN_SHANNON and drift.kind == "categorical"
    assert drift.ci_low <= drift.value <= drift.ci_high


def test_numeric_statistics_equal_scipy() -> None:
    rng = np.random.default_rng(2)
    test, production = rng.normal(size=800), rng.normal(0.3, 1.2, size=1500)
    drift = numeric_drift(test, production, resamples=200)
    assert drift.value == pytest.approx(wasserstein_distance(test, production) / np.std(test), rel=1e-12)
    assert drift.p_value == pytest.approx(ks_2samp(test, production).pvalue, rel=1e-12)
    assert drift.statistic == WASSERSTEIN and drift.kind == "numeric"
    assert drift.ci_low <= drift.value <= drift.ci_high


def test_numeric_missing_values_are_left_out() -> None:
    test = np.array([1.0, 2.0, 3.0, np.nan, 4.0, 5.0, 6.0, 7.0])
    production = np.array([2.0, np.nan, np.nan, 5.0, 6.0, 7.0, 8.0])
    drift = numeric_drift(test, production, resamples=50)
    x, y = test[~np.isnan(test)], production[~np.isnan(production)]
    assert drift.value == pytest.approx(wasserstein_distance(x, y) / np.std(x))
    assert (drift.n_test, drift.missing_test, drift.n_production, drift.missing_production) == (7, 1, 5, 2)


def reference_psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI written out term by term, as the credit-scoring literature defines it (Siddiqi 2006, ch. 8)."""
    total = 0.0
    for e, a in zip(expected / expected.sum(), actual / actual.sum(), strict=True):
        e, a = (e or PSI_EPSILON), (a or PSI_EPSILON)
        total += (a - e) * math.log(a / e)
    return total


def test_psi_of_numeric_columns_uses_the_test_sets_deciles() -> None:
    rng = np.random.default_rng(3)
    test, production = rng.normal(size=1000), rng.normal(0.5, 1.0, size=1000)
    edges = np.percentile(test, np.arange(10, 100, 10))
    bounds = [-np.inf, *edges, np.inf]

    def counts(values: np.ndarray) -> np.ndarray:
        return np.array([np.sum((values >= low) & (values < high)) for low, high in itertools.pairwise(bounds)])

    expected, actual = counts(test), counts(production)
    assert numeric_drift(test, production, resamples=20).psi == pytest.approx(reference_psi(expected, actual), rel=1e-12)


def test_psi_of_categories_gives_empty_bins_epsilon() -> None:
    test = np.array([0] * 50 + [1] * 50)
    production = np.array([0] * 70 + [2] * 30)  # category 1 vanished, category 2 is new
    drift = categorical_drift(test, production, 3, resamples=20)
    assert drift.psi == pytest.approx(reference_psi(np.array([50, 50, 0]), np.array([70, 0, 30])), rel=1e-12)
    assert population_stability_index(np.array([50, 50]), np.array([60, 40])) == pytest.approx(
        0.1 * math.log(1.2) - 0.1 * math.log(0.8))


def test_holm_adjustment_equals_statsmodels() -> None:
    rng = np.random.default_rng(4)
    columns = [ShiftColumn("a", "numeric", "metadata", rng.normal(size=300), rng.normal(0.2, 1, size=300)),
               ShiftColumn("b", "categorical", "metadata", rng.choice(4, 300, p=SHARES), rng.choice(4, 300, p=SHARES),
                           ("w", "x", "y", "z")),
               ShiftColumn("c", "numeric", "metadata", rng.normal(size=300), rng.normal(size=300))]
    drifts = flag_drift([column_drift(c, index=i, resamples=300) for i, c in enumerate(columns)])
    raw = [d.p_value for d in drifts]
    permutation = [d.permutation_p_value for d in drifts]
    assert [d.p_value_adjusted for d in drifts] == pytest.approx(multipletests(raw, method="holm")[1])
    assert [d.permutation_p_value_adjusted for d in drifts] == pytest.approx(multipletests(permutation, method="holm")[1])


def test_same_seed_same_numbers_and_another_seed_other_draws() -> None:
    rng = np.random.default_rng(5)
    test, production = rng.normal(size=400), rng.normal(size=500)
    first, again = (numeric_drift(test, production, resamples=300, seed=3),
                    numeric_drift(test, production, resamples=300, seed=3))
    other = numeric_drift(test, production, resamples=300, seed=4)
    assert first == again
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)


def test_many_distinct_values_are_resampled_on_a_grid_close_to_the_exact_distance() -> None:
    rng = np.random.default_rng(6)
    test, production = rng.normal(size=20_000), rng.normal(0.5, 1.0, size=20_000)
    drift = numeric_drift(test, production, resamples=200)
    assert drift.ci_low < drift.value < drift.ci_high
    assert drift.ci_high - drift.ci_low < 0.1


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_row_order_changes_nothing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    test, production = rng.choice(3, 60), rng.choice(3, 80, p=[0.5, 0.3, 0.2])
    assert categorical_drift(test, production, 3, resamples=50) == categorical_drift(
        rng.permutation(test), rng.permutation(production), 3, resamples=50)
    x, y = rng.normal(size=60).round(2), rng.normal(0.5, 1, size=80).round(2)
    first, second = numeric_drift(x, y, resamples=50), numeric_drift(rng.permutation(x), rng.permutation(y), resamples=50)
    assert second.value == pytest.approx(first.value, rel=1e-12)  # the standard deviation's sum is taken in row order
    assert replace(second, value=first.value) == first


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_renaming_the_categories_keeps_the_statistics(seed: int) -> None:
    rng = np.random.default_rng(seed)
    test, production = rng.choice(4, 50), rng.choice(4, 70, p=[0.1, 0.2, 0.3, 0.4])
    renamed = rng.permutation(4)
    first = categorical_drift(test, production, 4, resamples=20)
    second = categorical_drift(renamed[test], renamed[production], 4, resamples=20)
    assert (second.value, second.p_value, second.psi) == pytest.approx((first.value, first.p_value, first.psi))


def test_identical_samples_show_no_shift() -> None:
    rng = np.random.default_rng(7)
    codes, values = rng.choice(3, 300), rng.normal(size=300)
    for drift in (categorical_drift(codes, codes.copy(), 3, resamples=100),
                  numeric_drift(values, values.copy(), resamples=100)):
        assert drift.value == 0 and drift.psi == 0 and not drift.drifted
        assert drift.p_value == pytest.approx(1.0) and drift.permutation_p_value == 1.0


# --- the drift flag's false alarms, by simulation ------------------------------------------------------

def null_replications(n: int, replications: int, *, seed: int, resamples: int) -> tuple[int, list[float]]:
    """Replications where any column was flagged, and every raw permutation p-value, with no shift at all."""
    rng = np.random.default_rng(seed)
    alarms, p_values = 0, []
    for r in range(replications):
        columns = [ShiftColumn("channel", "categorical", "metadata", rng.choice(4, n, p=SHARES),
                               rng.choice(4, n, p=SHARES), ("a", "b", "c", "d")),
                   ShiftColumn("amount", "numeric", "metadata", rng.lognormal(size=n), rng.lognormal(size=n))]
        drifts = flag_drift([column_drift(c, index=i, resamples=resamples, seed=r) for i, c in enumerate(columns)])
        alarms += any(d.drifted for d in drifts)
        p_values += [d.permutation_p_value for d in drifts]
    return alarms, p_values


def test_false_alarm_rate_is_at_most_nominal_at_200_rows() -> None:
    alarms, p_values = null_replications(200, 200, seed=10, resamples=199)
    # The permutation test alone is exact: about 5% of p-values at or below 0.05 (400 tests).
    share = np.mean(np.asarray(p_values) <= 0.05)
    assert 0.02 <= share <= 0.09
    # The flag (Holm across the two columns, and the threshold) fires in at most about 5% of the tables.
    assert alarms / 200 <= 0.09


def test_no_false_alarms_at_200000_rows() -> None:
    alarms, p_values = null_replications(200_000, 8, seed=11, resamples=199)
    assert alarms == 0
    assert np.mean(np.asarray(p_values) <= 0.05) <= 0.25  # 16 exact tests at 5%: more than 4 would be a 1-in-100 event


def test_a_tiny_shift_on_a_large_sample_is_significant_but_not_drift() -> None:
    rng = np.random.default_rng(12)
    n = 200_000
    columns = [ShiftColumn("channel", "categorical", "metadata", rng.choice(4, n, p=SHARES),
                           rng.choice(4, n, p=[0.39, 0.3, 0.2, 0.11]), ("a", "b", "c", "d")),
               ShiftColumn("amount", "numeric", "metadata", rng.normal(size=n), rng.normal(0.03, 1.0, size=n))]
    drifts = flag_drift([column_drift(c, index=i, resamples=199) for i, c in enumerate(columns)])
    for drift in drifts:
        assert drift.permutation_p_value_adjusted <= 0.05 and drift.p_value_adjusted < 1e-6  # real, and detected
        assert drift.value < drift.threshold and not drift.drifted  # but too small to matter


def test_a_real_shift_is_flagged_at_200_rows() -> None:
    rng = np.random.default_rng(13)
    columns = [ShiftColumn("channel", "categorical", "metadata", rng.choice(4, 200, p=SHARES),
                           rng.choice(4, 200, p=[0.1, 0.2, 0.3, 0.4]), ("a", "b", "c", "d")),
               ShiftColumn("amount", "numeric", "metadata", rng.normal(size=200), rng.normal(0.8, 1.0, size=200))]
    drifts = flag_drift([column_drift(c, index=i, resamples=499) for i, c in enumerate(columns)])
    assert all(d.drifted for d in drifts)


# --- domain classifier -----------------------------------------------------------------------------------

def test_domain_classifier_auc_and_interval_against_scikit_learn_and_delong() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rng = np.random.default_rng(20)
    columns = [ShiftColumn("x", "numeric", "metadata", rng.normal(size=300), rng.normal(0.7, 1.0, size=250)),
               ShiftColumn("noise", "numeric", "metadata", rng.normal(size=300), rng.normal(size=250))]
    result = domain_classifier(columns, seed=0)
    assert result is not None
    side = np.repeat([0, 1], [300, 250])
    matrix = np.column_stack([np.concatenate([c.test, c.production]) for c in columns])
    scores = cross_val_predict(HistGradientBoostingClassifier(early_stopping=True, random_state=0), matrix, side,
                               cv=StratifiedKFold(5, shuffle=True, random_state=0), method="predict_proba")[:, 1]
    assert result.auc == pytest.approx(roc_auc_score(side, scores), rel=1e-12)
    _, psi = auc_influence(side.astype(bool), scores)
    std_error = math.sqrt(np.sum(psi**2))
    half = student_t.ppf(0.975, 249) * std_error / (result.auc * (1 - result.auc))
    assert (result.ci_low, result.ci_high) == pytest.approx((expit(logit(result.auc) - half),
                                                            expit(logit(result.auc) + half)), rel=1e-9)
    assert result.ci_low > 0.5
    assert result.top_columns[0].column == "x"


def test_domain_classifier_finds_nothing_without_a_shift() -> None:
    rng = np.random.default_rng(21)
    columns = [ShiftColumn("x", "numeric", "metadata", rng.normal(size=300), rng.normal(size=300)),
               ShiftColumn("c", "categorical", "metadata", rng.choice(3, 300), rng.choice(3, 300), ("a", "b", "c"))]
    result = domain_classifier(columns, seed=1)
    assert result is not None and result.ci_low < 0.5 < result.ci_high + 0.02


# --- re-weighted performance --------------------------------------------------------------------------

def test_reweighted_classification_equals_scikit_learn_with_sample_weights() -> None:
    test, production = classification_pair()
    data = read_shift(test, production)
    result = reweighted_performance(data, "scanner", resamples=300)
    scanner = data.column("scanner")
    test_share = np.bincount(scanner.test, minlength=2) / scanner.test.size
    production_share = np.bincount(scanner.production, minlength=2) / scanner.production.size
    weights = (production_share / test_share)[scanner.test]
    assert result.metrics["accuracy"].value == pytest.approx(
        accuracy_score(data.y_true, data.y_pred, sample_weight=weights), rel=1e-12)
    assert result.metrics["f1_macro"].value == pytest.approx(
        f1_score(data.y_true, data.y_pred, average="macro", sample_weight=weights), rel=1e-12)
    assert result.metrics["accuracy"].test_set_value == pytest.approx(accuracy_score(data.y_true, data.y_pred))
    accuracy = result.metrics["accuracy"]
    assert accuracy.ci_low < accuracy.value < accuracy.ci_high
    assert accuracy.value < accuracy.test_set_value  # production has more faxes, which the model reads worse
    assert result.sentence.startswith("on production's mix of scanner, expect accuracy ")


def test_reweighted_interval_carries_production_sampling_error() -> None:
    test, production = classification_pair(n_production=40)
    few = reweighted_performance(read_shift(test, production), "scanner", resamples=500).metrics["accuracy"]
    test, production = classification_pair(n_production=4000)
    many = reweighted_performance(read_shift(test, production), "scanner", resamples=500).metrics["accuracy"]
    assert few.ci_high - few.ci_low > many.ci_high - many.ci_low


def test_reweighted_regression_equals_scikit_learn() -> None:
    rng = np.random.default_rng(30)
    region = rng.choice(["north", "south"], 200)
    truth = rng.normal(10, 2, 200).round(3)
    prediction = (truth + rng.normal(0, np.where(region == "south", 2.0, 0.5))).round(3)
    test = pd.DataFrame({"id": range(200), "label": truth, "prediction": prediction, "region": region})
    production = pd.DataFrame({"prediction": rng.normal(10, 2, 300).round(3),
                               "region": rng.choice(["north", "south"], 300, p=[0.2, 0.8])})
    data = read_shift(("t.csv", csv_bytes(test)), ("p.csv", csv_bytes(production)), task="regression")
    assert [c.name for c in data.columns] == ["region", "prediction"]
    result = reweighted_performance(data, "region", resamples=300)
    shares = pd.Series(production.region).value_counts(normalize=True) / pd.Series(region).value_counts(normalize=True)
    weights = shares[region].to_numpy()
    assert result.metrics["mean_absolute_error"].value == pytest.approx(
        mean_absolute_error(truth, prediction, sample_weight=weights), rel=1e-9)
    assert result.metrics["mean_absolute_error"].value > result.metrics["mean_absolute_error"].test_set_value


# --- reading ---------------------------------------------------------------------------------------------

def test_reading_finds_metadata_prediction_and_confidence() -> None:
    test, production = classification_pair()
    data = read_shift(test, production)
    assert [(c.name, c.kind, c.role) for c in data.columns] == [
        ("scanner", "categorical", "metadata"), ("ink", "numeric", "metadata"),
        ("prediction", "categorical", "prediction"), ("confidence", "numeric", "confidence")]
    assert (data.n_test, data.n_production) == (300, 400)


def test_binary_scores_are_compared_as_the_score() -> None:
    test = ("t.csv", b"label,score,site\n" + b"".join(f"{i % 2},{(i % 10) / 10 + 0.05:.2f},a\n".encode() for i in range(40)))
    production = ("p.csv", b"score,site\n" + b"".join(f"{(i % 7) / 7:.3f},b\n".encode() for i in range(30)))
    data = read_shift(test, production)
    assert [c.name for c in data.columns] == ["site", "prediction", "score"]


@pytest.mark.parametrize(("production", "expected"), [
    (b"id,scanner,ink\n1,fax,1.0\n", "expected the model's outputs on production rows"),
    (b"prediction,scanner,ink\n1,fax,1.0\n2,fax,heavy\n", "column 'ink' holds numbers in test.csv but text"),
    (b"prediction,prob_0,prob_1,scanner,ink\n1,0.2,0.8,fax,1.0\n", "no probability columns for the classes '2'"),
])
def test_bad_production_files_are_refused_with_the_file_column_and_rows(production: bytes, expected: str) -> None:
    test, _ = classification_pair()
    with pytest.raises(EvaluationError, match=expected.replace("(", r"\(")) as error:
        read_shift(test, ("production.csv", production))
    assert "production.csv" in error.value.message


def test_an_explicit_metadata_column_missing_from_production_is_named() -> None:
    test, production = classification_pair()
    options = LoadOptions(mapping=ColumnMapping(metadata=("scanner", "ink")))
    frame = pd.read_csv(io.BytesIO(production[1])).drop(columns=["ink"])
    with pytest.raises(EvaluationError, match=r"production\.csv: the metadata column 'ink' was not found"):
        read_shift(test, ("production.csv", csv_bytes(frame)), options=options)


# --- the analysis and the command ----------------------------------------------------------------------

def test_analysis_flags_the_shifted_columns_and_reweights_by_the_most_drifted() -> None:
    test, production = classification_pair(n_test=400, n_production=400)
    report = analyze_shift(read_shift(test, production), resamples=400, classifier=False)
    assert {"scanner", "ink"} <= set(report.drifted_columns)
    assert report.reweighted is not None and report.reweighted.column == "scanner"
    steady = analyze_shift(read_shift(*classification_pair(shift=False, seed=3)), resamples=400, classifier=False)
    assert steady.drifted_columns == ()


def test_too_few_permutations_for_the_columns_are_announced() -> None:
    report = analyze_shift(read_shift(*classification_pair()), resamples=50, classifier=False)
    assert report.drifted_columns == ()  # 4 columns, p >= 1/51: Holm lifts every p-value above 0.05
    assert any("raise --resamples to at least 80" in warning for warning in report.warnings)


def shift_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_shift_command(parser.add_subparsers(dest="command"))
    return parser


def run(*words: str) -> int:
    return run_shift(shift_parser().parse_args(["shift", *words]))


def test_command_writes_the_documented_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shift.json"
    status = run(str(DEMO / "shift_test.csv"), str(DEMO / "shift_production.csv"), "--resamples", "200", "--out", str(out))
    assert status == 0
    assert "drifted columns" in capsys.readouterr().err
    document = json.loads(out.read_text())
    column = document["drift"]["columns"][0]
    assert set(column) >= {"column", "kind", "test", "statistic", "value", "ci_low", "ci_high", "p_value",
                           "p_value_adjusted", "psi", "drifted"}
    assert column["column"] == "scanner" and column["drifted"] is True
    assert set(document["drift"]["domain_classifier"]) >= {"auc", "ci_low", "ci_high", "method", "top_columns"}
    assert document["drift"]["domain_classifier"]["auc"] > 0.6
    accuracy = document["reweighted"]["metrics"]["accuracy"]
    assert set(accuracy) == {"value", "ci_low", "ci_high", "test_set_value"}
    assert document["reweighted"]["column"] == "scanner"


def test_command_writes_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    test, production = classification_pair()
    directory = tmp_path
    (directory / "test.csv").write_bytes(test[1])
    (directory / "production.csv").write_bytes(production[1])
    status = run(str(directory / "test.csv"), str(directory / "production.csv"), "--resamples", "100", "--no-classifier",
                 "--format", "markdown", "--reweight-by", "ink")
    text = capsys.readouterr().out
    assert status == 0
    assert text.startswith("# Shift: is the test set like production?")
    assert "On production's mix of ink, expect accuracy" in text


@pytest.mark.parametrize(("words", "expected"), [
    (["missing.csv", "other.csv"], "missing.csv: no such file"),
    (["{test}", "{test}", "--reweight-by", "colour"], "--reweight-by: column 'colour' is not a metadata column"),
    (["{test}", "{bad}"], "bad.csv: column 'ink' holds numbers"),
])
def test_command_refuses_bad_input_with_one_line_and_status_2(words: list[str], expected: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    test, _ = classification_pair()
    (tmp_path / "test.csv").write_bytes(test[1])
    (tmp_path / "bad.csv").write_bytes(b"prediction,scanner,ink\n1,fax,1.0\n2,fax,heavy\n")
    files = {"test": str(tmp_path / "test.csv"), "bad": str(tmp_path / "bad.csv")}
    status = run(*[word.format(**files) for word in words], "--resamples", "50", "--no-classifier")
    err = capsys.readouterr().err
    assert status == 2
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_command_passes_the_command_lines_shared_checks() -> None:
    """Registered beside compare and preferences, the command's options pass ``evaluation._cli._parse`` as they are."""
    from evaluation._arguments import build_parser
    from evaluation._cli import _parse

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "shift" not in commands.choices:
        add_shift_command(commands)
    words = ["shift", str(DEMO / "shift_test.csv"), str(DEMO / "shift_production.csv"), "--resamples", "100",
             "--no-classifier", "--format", "markdown"]
    args = _parse(parser, words)
    assert args.command == "shift" and args.files == words[1:3]


def test_the_demo_files_are_what_the_script_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_demo_shift", ROOT / "scripts" / "make_demo_shift.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    test, production = script.tables()
    assert test == (DEMO / "shift_test.csv").read_text(encoding="utf-8")
    assert production == (DEMO / "shift_production.csv").read_text(encoding="utf-8")
    assert "label" not in production.splitlines()[0].split(",")


def test_the_html_report_has_the_sections_and_charts(tmp_path: Path) -> None:
    out = tmp_path / "shift.html"
    assert run("data/demo/shift_test.csv", "data/demo/shift_production.csv", "--format", "html", "--resamples", "200",
               "--out", str(out)) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count('class="plotly-graph-div"') == 2
    for heading in ("Per column", "Domain classifier", "Re-weighted performance"):
        assert f"<h2>{heading}</h2>" in page
    assert "Drifted columns: scanner, ink, confidence." in page and "<td>scanner</td>" in page
