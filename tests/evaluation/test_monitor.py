"""Monitoring a production log: windows, realised metrics against scikit-learn and statsmodels, label-free estimates,
the alerts' family-wise error by simulation, shadow mode, drift, error messages, JSON and Markdown, the command."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.metrics import accuracy_score, brier_score_loss, f1_score, log_loss
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from evaluation._errors import EvaluationError
from evaluation._monitor import BUCKETS, analyze_monitor, assign_windows, parse_window, wilson_interval
from evaluation._monitor_cli import main
from evaluation._monitor_data import MonitorData, read_monitor

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
CLASSES = ("a", "b", "c")


def _times(text: list[str]) -> np.ndarray:
    return np.array(text, dtype="datetime64[us]").astype(np.int64)


def _iso(microseconds: int) -> str:
    return str(np.datetime64(int(microseconds), "us"))[:19]


def _probabilities(rng: np.random.Generator, y: np.ndarray, k: int = 3, strength: float = 1.6) -> np.ndarray:
    """Class probabilities that put extra weight on the true class (a model better than chance)."""
    logits = rng.normal(size=(y.size, k))
    logits[np.arange(y.size), y] += strength
    return np.round(softmax(logits, axis=1), 6)


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    return ("\n".join([",".join(header), *(",".join("" if v is None else str(v) for v in row) for row in rows)])
            + "\n").encode()


def _files(seed: int = 0, *, n_test: int = 300, n_production: int = 600, missing_labels: int = 100,
           shifted: bool = False) -> tuple[tuple[str, bytes], tuple[str, bytes], dict[str, np.ndarray]]:
    """A test file and a production log (timestamps over six weeks, the last rows unlabelled)."""
    rng = np.random.default_rng(seed)
    classes = np.array(CLASSES)
    y_test = rng.integers(0, 3, n_test)
    p_test = _probabilities(rng, y_test)
    city_test = rng.choice(["x", "y"], n_test)
    test = _csv(["id", "label", "prediction", "prob_a", "prob_b", "prob_c", "city"],
                [[f"t{i}", classes[y_test[i]], classes[p_test[i].argmax()], *p_test[i], city_test[i]]
                 for i in range(n_test)])
    y = rng.integers(0, 3, n_production)
    p = _probabilities(rng, y)
    city = rng.choice(["x", "y"], n_production, p=[0.1, 0.9] if shifted else [0.5, 0.5])
    start = np.datetime64("2026-01-05T00:00:00", "s")  # a Monday
    seconds = np.sort(rng.integers(0, 42 * 86_400, n_production))
    stamps = (start + seconds.astype("timedelta64[s]")).astype(str)
    labels = [classes[v] for v in y[: n_production - missing_labels]] + [None] * missing_labels
    log = _csv(["id", "timestamp", "label", "prediction", "prob_a", "prob_b", "prob_c", "city"],
               [[f"p{i}", stamps[i], labels[i], classes[p[i].argmax()], *p[i], city[i]] for i in range(n_production)])
    truth = {"y": y, "p": p, "stamps": stamps, "labelled": np.arange(n_production) < n_production - missing_labels}
    return ("test.csv", test), ("log.csv", log), truth


# --- windows ----------------------------------------------------------------------------------------

def test_calendar_windows_start_on_midnight_monday_and_the_first_of_the_month():
    t = _times(["2026-01-04T23:59:59", "2026-01-05T00:00:00", "2026-01-11T23:00:00", "2026-12-31T12:00:00",
                "2027-01-01T00:00:00"])
    weeks = assign_windows(t, parse_window("1w"))
    assert weeks.codes.tolist() == [0, 1, 1, 2, 2]  # 2026-12-31 and 2027-01-01 share ISO week 53 of 2026
    assert [_iso(s) for s in weeks.starts] == ["2025-12-29T00:00:00", "2026-01-05T00:00:00", "2026-12-28T00:00:00"]
    assert [_iso(e) for e in weeks.ends] == ["2026-01-05T00:00:00", "2026-01-12T00:00:00", "2027-01-04T00:00:00"]
    months = assign_windows(t, parse_window("1M"))
    assert months.codes.tolist() == [0, 0, 0, 1, 2]
    assert [_iso(s) for s in months.starts] == ["2026-01-01T00:00:00", "2026-12-01T00:00:00", "2027-01-01T00:00:00"]
    assert [_iso(e) for e in months.ends] == ["2026-02-01T00:00:00", "2027-01-01T00:00:00", "2027-02-01T00:00:00"]
    days = assign_windows(t, parse_window("1d"))
    assert days.codes.tolist() == [0, 1, 2, 3, 4]
    assert _iso(days.starts[0]) == "2026-01-04T00:00:00" and _iso(days.ends[0]) == "2026-01-05T00:00:00"


def test_row_windows_follow_time_order_and_end_where_the_next_starts():
    t = _times(["2026-01-03", "2026-01-01", "2026-01-02", "2026-01-05", "2026-01-04"])
    windows = assign_windows(t, parse_window("2"))
    assert windows.codes.tolist() == [1, 0, 0, 2, 1]
    assert [_iso(s) for s in windows.starts] == ["2026-01-01T00:00:00", "2026-01-03T00:00:00", "2026-01-05T00:00:00"]
    assert windows.ends[0] == windows.starts[1] and windows.ends[1] == windows.starts[2]
    assert windows.ends[2] == t.max() + 1


@pytest.mark.parametrize("text", ["2x", "0", "-5", "1y", "", "1.5"])
def test_a_window_it_cannot_read_is_refused(text):
    with pytest.raises(EvaluationError, match="--window: cannot read"):
        parse_window(text)


# --- realised metrics against scikit-learn and statsmodels -------------------------------------------

@pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one")
def test_realised_metrics_per_window_match_scikit_learn():
    test, log, truth = _files(1)
    data = read_monitor([log], [test])
    report = analyze_monitor(data, "1w", resamples=100, drift_permutations=0)
    windows = assign_windows(data.timestamps, parse_window("1w"))
    assert [w.n for w in report.windows] == np.bincount(windows.codes).tolist()
    for w, result in enumerate(report.windows):
        rows = (windows.codes == w) & truth["labelled"]
        assert result.n_labelled == int(rows.sum())
        if not rows.any():
            assert result.models["test"].metrics == {}
            continue
        y, p = truth["y"][rows], truth["p"][rows]
        metrics = result.models["test"].metrics
        assert metrics["accuracy"].value == pytest.approx(accuracy_score(y, p.argmax(axis=1)))
        assert metrics["f1_macro"].value == pytest.approx(
            f1_score(y, p.argmax(axis=1), labels=[0, 1, 2], average="macro", zero_division=0))
        assert metrics["log_loss"].value == pytest.approx(log_loss(y, p, labels=[0, 1, 2]))
        multiclass_brier = np.mean(np.sum((p - np.eye(3)[y]) ** 2, axis=1))
        assert metrics["brier_score"].value == pytest.approx(multiclass_brier)
        low, high = proportion_confint(int((p.argmax(axis=1) == y).sum()), int(rows.sum()), alpha=0.05, method="wilson")
        assert (metrics["accuracy"].ci_low, metrics["accuracy"].ci_high) == pytest.approx((low, high))
        assert metrics["f1_macro"].ci_low <= metrics["f1_macro"].value <= metrics["f1_macro"].ci_high


def test_wilson_interval_matches_statsmodels():
    for x, n in [(0, 10), (3, 10), (10, 10), (480, 500)]:
        for level in (0.9, 0.95):
            ours = wilson_interval(np.array(x), np.array(n), confidence=level)
            assert tuple(float(v) for v in ours) == pytest.approx(proportion_confint(x, n, alpha=1 - level,
                                                                                     method="wilson"))


def test_binary_brier_score_is_scikit_learns():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    score = np.round(np.clip(0.5 + 0.3 * (2 * y - 1) + rng.normal(0, 0.2, 200), 0.01, 0.99), 4)
    test = _csv(["label", "score"], [[int(v), s] for v, s in zip(y[:100], score[:100], strict=True)])
    log = _csv(["timestamp", "label", "score"], [[f"2026-01-0{1 + i % 2}", int(y[i]), score[i]] for i in range(100, 200)])
    report = analyze_monitor(read_monitor([("log.csv", log)], [("test.csv", test)]), "1d", resamples=50,
                             drift_permutations=0)
    day = np.arange(100) % 2
    for w in range(2):
        rows = np.arange(100, 200)[day == w]
        assert report.windows[w].models["test"].metrics["brier_score"].value == pytest.approx(
            brier_score_loss(y[rows], score[rows]))


def test_reference_band_is_the_test_sets_estimate():
    test, log, _ = _files(2)
    data = read_monitor([log], [test])
    report = analyze_monitor(data, "1w", resamples=100, drift_permutations=0)
    reference = report.reference["test"].metrics
    y, y_pred = data.reference.y_true, data.reference.models[0].y_pred
    assert reference["accuracy"].value == pytest.approx(accuracy_score(y, y_pred))
    assert (reference["accuracy"].ci_low, reference["accuracy"].ci_high) == pytest.approx(
        proportion_confint(int((y == y_pred).sum()), y.size, method="wilson"))
    assert reference["accuracy"].n == y.size


def test_accuracy_p_values_are_statsmodels_two_proportion_tests_and_holm_is_multipletests():
    test, log, _ = _files(4, shifted=True)
    data = read_monitor([log], [test])
    report = analyze_monitor(data, "1w", resamples=100, drift_permutations=0)
    reference = report.reference["test"].metrics["accuracy"]
    raw, adjusted = [], []
    for result in report.windows:
        for name, metric in result.models["test"].metrics.items():
            if math.isnan(metric.p_value):
                continue
            raw.append(metric.p_value)
            adjusted.append(metric.p_value_adjusted)
            if name == "accuracy":
                count = round(metric.value * metric.n)
                expected = proportions_ztest([count, round(reference.value * reference.n)], [metric.n, reference.n])[1]
                assert metric.p_value == pytest.approx(expected)
    assert len(raw) > 4
    assert adjusted == pytest.approx(multipletests(raw, method="holm")[1].tolist())


def test_seed_gives_the_same_numbers_and_windows_too_small_are_not_tested():
    test, log, _ = _files(5)
    data = read_monitor([log], [test])
    first = analyze_monitor(data, "1w", resamples=60, seed=3).to_dict()
    assert analyze_monitor(data, "1w", resamples=60, seed=3).to_dict() == first
    small = analyze_monitor(data, "1w", resamples=60, min_labelled=10_000, drift_permutations=0)
    assert all(math.isnan(m.p_value) for w in small.windows for m in w.models["test"].metrics.values())
    assert small.alerts == ()


# --- label-free estimates ---------------------------------------------------------------------------

def test_expected_accuracy_is_the_mean_largest_probability_on_every_row_of_the_window():
    test, log, truth = _files(6, n_test=2000)
    data = read_monitor([log], [test])
    report = analyze_monitor(data, "1w", resamples=100, drift_permutations=0, ece_threshold=1.0)
    windows = assign_windows(data.timestamps, parse_window("1w"))
    for w, result in enumerate(report.windows):
        estimated = result.models["test"].estimated["accuracy"]
        assert estimated.value == pytest.approx(float(np.mean(truth["p"][windows.codes == w].max(axis=1))))
        assert estimated.ci_low <= estimated.value <= estimated.ci_high


def test_expected_macro_f1_comes_from_the_expected_confusion_counts():
    test, log, truth = _files(7)
    data = read_monitor([log], [test])
    report = analyze_monitor(data, "1M", resamples=50, drift_permutations=0, ece_threshold=1.0)
    p = truth["p"][assign_windows(data.timestamps, parse_window("1M")).codes == 0]
    predicted = p.argmax(axis=1)
    confusion = np.stack([p[predicted == c].sum(axis=0) for c in range(3)], axis=1)  # expected true x predicted
    f1 = [2 * confusion[c, c] / (confusion[c].sum() + confusion[:, c].sum()) for c in range(3)]
    assert report.windows[0].models["test"].estimated["f1_macro"].value == pytest.approx(np.mean(f1))


def test_no_estimate_when_the_test_sets_calibration_does_not_support_it():
    report = analyze_monitor(read_monitor([DEMO / "monitor_production.csv"], [DEMO / "monitor_test.csv"]), "1w",
                             resamples=50, drift_permutations=0)
    reference = report.reference["monitor_test"]
    assert not reference.cbpe_supported and reference.ece_high >= 0.05
    document = report.to_dict()
    model = document["windows"][0]["models"]["monitor_test"]
    assert "estimated" not in model and "calibration error" in model["estimated_note"]


# --- alerts: family-wise error by simulation ----------------------------------------------------------

def _simulated(template: MonitorData, rng: np.random.Generator, *, windows: int, per_window: int,
               n_test: int) -> MonitorData:
    """The template's reference and log redrawn from one population (no change between test set and production)."""
    y_test = rng.integers(0, 3, n_test)
    p_test = softmax(rng.normal(size=(n_test, 3)) + 1.6 * np.eye(3)[y_test], axis=1)
    model = replace(template.reference.models[0], y_pred=p_test.argmax(axis=1), y_score=p_test)
    reference = replace(template.reference, y_true=y_test, models=(model,), ids=np.arange(n_test).astype(object))
    n = windows * per_window
    y = rng.integers(0, 3, n)
    p = softmax(rng.normal(size=(n, 3)) + 1.6 * np.eye(3)[y], axis=1)
    stamps = np.repeat(np.arange(windows), per_window) * 86_400_000_000
    production = replace(template.models[0], y_pred=p.argmax(axis=1), y_score=p)
    return replace(template, timestamps=stamps, y_true=y, models=(production,), reference=reference, columns=())


def test_alerts_keep_the_family_wise_false_alarm_rate_near_alpha_over_twenty_windows():
    test, log, _ = _files(8, n_test=50, n_production=50, missing_labels=0)
    template = read_monitor([log], [test])
    rng = np.random.default_rng(2026)
    replications, any_alert, any_raw = 150, 0, 0
    for _ in range(replications):
        data = _simulated(template, rng, windows=20, per_window=200, n_test=1000)
        report = analyze_monitor(data, "1d", resamples=100, drift_permutations=0, ece_threshold=0.0)
        any_alert += bool(report.alerts)
        any_raw += any(m.p_value <= 0.05 for w in report.windows for m in w.models["test"].metrics.values())
    assert any_alert / replications <= 0.09  # alpha 0.05; Monte Carlo standard error about 0.018
    assert any_raw / replications >= 0.5  # "p < 0.05 in some window" would alarm most of the time


def test_a_real_drop_alerts_in_the_right_window_and_direction():
    test, log, _ = _files(9, n_test=1000, n_production=1200, missing_labels=0)
    data = read_monitor([log], [test])
    windows = assign_windows(data.timestamps, parse_window("1w"))
    wrong = (windows.codes == 3) & (np.arange(data.n) % 2 == 0)  # half of week 3's predictions broken
    broken = np.where(wrong, (data.y_true + 1) % 3, data.models[0].y_pred)
    data = replace(data, models=(replace(data.models[0], y_pred=broken),))
    report = analyze_monitor(data, "1w", resamples=100, drift_permutations=0)
    accuracy = [a for a in report.alerts if a.metric == "accuracy"]
    assert [(a.window, a.direction) for a in accuracy] == [(3, "worse")]
    assert accuracy[0].p_value_adjusted <= 0.05


# --- shadow mode --------------------------------------------------------------------------------------

def test_shadow_mode_pairs_by_id_and_reports_the_paired_difference():
    rng = np.random.default_rng(10)
    test, log, truth = _files(10)
    n = truth["y"].size
    p2 = _probabilities(rng, truth["y"], strength=2.5)
    order = rng.permutation(n)  # the candidate's file in another order: paired by id
    classes = np.array(CLASSES)
    candidate_log = _csv(["id", "timestamp", "prediction", "prob_a", "prob_b", "prob_c"],
                         [[f"p{i}", truth["stamps"][i], classes[p2[i].argmax()], *p2[i]] for i in order])
    data = read_monitor([log, ("candidate_log.csv", candidate_log)], [test, ("candidate.csv", test[1])],
                        names=["base", "tuned"])
    report = analyze_monitor(data, "1w", resamples=200, drift_permutations=0)
    windows = assign_windows(data.timestamps, parse_window("1w"))
    for w, result in enumerate(report.windows):
        rows = (windows.codes == w) & truth["labelled"]
        if not rows.any():
            assert result.difference == {}
            continue
        y = truth["y"][rows]
        base_right, tuned_right = truth["p"][rows].argmax(axis=1) == y, p2[rows].argmax(axis=1) == y
        difference = result.difference["accuracy"]
        assert difference.value == pytest.approx(tuned_right.mean() - base_right.mean())
        table = [[np.sum(base_right & tuned_right), np.sum(base_right & ~tuned_right)],
                 [np.sum(~base_right & tuned_right), np.sum(~base_right & ~tuned_right)]]
        assert difference.p_value == pytest.approx(mcnemar(table, exact=True).pvalue)
        assert difference.ci_low <= difference.value <= difference.ci_high
    document = report.to_dict()
    assert document["windows"][0]["difference"]["baseline"] == "base"
    assert set(document["windows"][0]["difference"]["metrics"]) == {"accuracy", "f1_macro", "log_loss", "brier_score"}


def test_identical_models_in_shadow_mode_differ_by_zero():
    test, log, _ = _files(11)
    data = read_monitor([log, ("copy.csv", log[1])], [test, ("copy_test.csv", test[1])], names=["a", "b"])
    report = analyze_monitor(data, "1w", resamples=50, drift_permutations=0)
    for result in report.windows:
        for difference in result.difference.values():
            assert difference.value == 0 and difference.ci_low == 0 and difference.ci_high == 0


# --- drift --------------------------------------------------------------------------------------------

def test_drift_flags_the_shifted_metadata_column_per_window():
    test, log, _ = _files(12, n_test=1000, n_production=1200, shifted=True)
    report = analyze_monitor(read_monitor([log], [test]), "1w", resamples=50)
    flagged = [c.column for w in report.windows for c in w.drift if c.drifted]
    assert flagged.count("city") == len(report.windows)
    assert all(c.column in ("prediction", "confidence") for w in report.windows for c in w.models["test"].drift)
    same_test, same_log, _ = _files(12, n_test=1000, n_production=1200)
    quiet = analyze_monitor(read_monitor([same_log], [same_test]), "1w", resamples=50)
    assert not any(c.drifted and c.column == "city" for w in quiet.windows for c in w.drift)


# --- error messages -----------------------------------------------------------------------------------

TEST = ("test.csv", b"label,prediction,prob_a,prob_b\na,a,0.9,0.1\nb,b,0.2,0.8\n")


@pytest.mark.parametrize("log, expected", [
    (b"label,prediction\na,a\n", r"log\.csv: no timestamp column"),
    (b"timestamp,label,prediction\n2026-01-01,a,a\n,b,b\n", r"log\.csv: timestamp column 'timestamp' has missing values "
                                                            r"in 1 row \(row 2;"),
    (b"timestamp,label,prediction\n2026-01-01,a,a\nsoon,b,b\n", r"log\.csv: timestamp column 'timestamp' holds text that "
                                                                r"is not a date or time in 1 row \(row 2;"),
    (b"timestamp,label,prob_a,prob_b\n2026-01-01,a,0.5,0.6\n", r"log\.csv: the class probabilities \(prob_a, prob_b\) "
                                                               r"must sum to 1 on every row .* 1 row \(row 1;"),
    (b"timestamp,label,prediction\n2026-01-01,a,z\n", r"log\.csv: column 'prediction' holds classes the test set does not "
                                                      r"have \('z'\) in 1 row \(row 1;"),
    (b"timestamp,label,prediction\n2026-01-01,a,\n", r"log\.csv: column 'prediction' has missing values in 1 row"),
])
def test_bad_input_names_the_file_the_column_and_the_rows(log, expected):
    with pytest.raises(EvaluationError, match=expected):
        read_monitor([("log.csv", log)], [TEST])


def test_named_timestamp_and_metadata_columns_need_not_be_in_the_test_file():
    from evaluation._data import ColumnMapping, LoadOptions

    log = ("log.csv", b"when,label,prediction,city,extra\n2026-01-01,a,a,x,1\n2026-01-09,b,b,y,2\n")
    test = ("test.csv", b"label,prediction,city\na,a,x\nb,b,y\n")
    options = LoadOptions(mapping=ColumnMapping(timestamp="when", metadata=("city", "extra")))
    data = read_monitor([log], [test], options=options)
    assert [c.name for c in data.columns] == ["city"]
    assert assign_windows(data.timestamps, parse_window("1w")).count == 2


def test_no_reference_and_mismatched_file_counts_are_refused():
    log = ("log.csv", b"timestamp,label,prediction\n2026-01-01,a,a\n")
    with pytest.raises(EvaluationError, match="no reference file"):
        read_monitor([log], [])
    with pytest.raises(EvaluationError, match="2 reference files for 1 production files"):
        read_monitor([log], [TEST, ("other.csv", TEST[1])])
    with pytest.raises(EvaluationError, match=r"ids of log\.csv are not in it"):
        read_monitor([("log.csv", b"id,timestamp,prediction\n1,2026-01-01,a\n2,2026-01-02,b\n"),
                      ("two.csv", b"id,timestamp,prediction\n1,2026-01-01,a\n3,2026-01-02,b\n")],
                     [TEST, ("other.csv", TEST[1])])


def test_the_command_exits_2_with_one_line_and_0_with_a_report(tmp_path, capsys):
    assert main([str(DEMO / "monitor_production.csv"), "--window", "1w"]) == 2
    assert capsys.readouterr().err.startswith("error: no reference file")
    assert main([str(DEMO / "monitor_production.csv"), "--reference", str(DEMO / "monitor_test.csv"), "--window",
                 "fortnight"]) == 2
    assert "--window: cannot read 'fortnight'" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,label,prediction\nyesterday,1,1\n")
    assert main([str(bad), "--reference", str(DEMO / "monitor_test.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.csv: timestamp column 'timestamp'" in err
    out = tmp_path / "report.json"
    assert main([str(DEMO / "monitor_production.csv"), str(DEMO / "monitor_production_finetuned.csv"), "--reference",
                 str(DEMO / "monitor_test.csv"), str(DEMO / "monitor_test_finetuned.csv"), "--names", "base",
                 "finetuned", "--window", "1w", "--out", str(out)]) == 0
    document = json.loads(out.read_text())
    assert len(document["windows"]) == 12 and document["windows"][-1]["n_labelled"] == 0


# --- JSON and Markdown --------------------------------------------------------------------------------

def test_json_and_markdown_carry_windows_reference_alerts_and_method():
    data = read_monitor([DEMO / "monitor_production.csv", DEMO / "monitor_production_finetuned.csv"],
                        [DEMO / "monitor_test.csv", DEMO / "monitor_test_finetuned.csv"], names=["base", "finetuned"])
    report = analyze_monitor(data, "1w")
    document = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert document["kind"] == "monitor" and document["models"] == ["base", "finetuned"]
    first = document["windows"][0]
    assert (first["start"], first["end"]) == ("2026-08-31T00:00:00", "2026-09-07T00:00:00")
    assert set(first["models"]["finetuned"]) == {"metrics", "estimated", "drift"}
    assert set(first["models"]["finetuned"]["metrics"]["accuracy"]) >= {"value", "ci_low", "ci_high"}
    assert set(first["models"]["finetuned"]["estimated"]["accuracy"]) == {"value", "ci_low", "ci_high"}
    assert "estimated_note" in first["models"]["base"]
    last = document["windows"][-1]
    assert last["models"]["finetuned"]["metrics"] == {} and "estimated" in last["models"]["finetuned"]
    assert "scanner" in last["drift"]["drifted_columns"]
    assert set(document["reference"]["base"]["metrics"]) == {"accuracy", "f1_macro", "log_loss", "brier_score"}
    assert "family-wise error over W windows and M metrics, Holm" in document["method"]["alerts"]
    assert document["alerts"], "the demo's fax weeks alert"
    for alert in document["alerts"]:
        assert set(alert) == {"window", "start", "model", "metric", "value", "reference", "p_value", "p_value_adjusted",
                              "direction"}
        assert alert["p_value_adjusted"] <= 0.05 and alert["direction"] in ("worse", "better")
    assert {(a["model"], a["direction"]) for a in document["alerts"]} == {("finetuned", "worse")}
    markdown = report.to_markdown()
    assert markdown.startswith("# Monitoring: how is it doing now?")
    assert "## finetuned per window" in markdown and "**alert**" in markdown
    assert "## finetuned minus base (shadow mode, paired)" in markdown


def test_bucket_count_is_documented():
    assert BUCKETS == 1024
    assert "1,024 random buckets" in (ROOT / "docs" / "monitor.md").read_text()


def test_the_demo_script_rewrites_the_demo_files_byte_for_byte():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_demo_monitor", ROOT / "scripts" / "make_demo_monitor.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    written = script.tables()
    assert sorted(path.name for path in written) == ["monitor_production.csv", "monitor_production_finetuned.csv",
                                                     "monitor_test.csv", "monitor_test_finetuned.csv"]
    for path, text in written.items():
        assert path.read_bytes() == text.encode("utf-8"), path.name
    assert (DEMO / "monitor_test.csv").read_bytes() == (DEMO / "shift_test.csv").read_bytes()  # the shift demo's half


def test_row_order_does_not_change_the_windows_or_the_metrics():
    test, log, _ = _files(13)
    header, *rows = log[1].decode().splitlines()
    shuffled = [rows[i] for i in np.random.default_rng(0).permutation(len(rows))]
    first = analyze_monitor(read_monitor([log], [test]), "1w", resamples=50, drift_permutations=0)
    second = analyze_monitor(read_monitor([("log.csv", "\n".join([header, *shuffled]).encode() + b"\n")], [test]), "1w",
                             resamples=50, drift_permutations=0)
    assert [(w.start, w.end, w.n, w.n_labelled) for w in first.windows] == [
        (w.start, w.end, w.n, w.n_labelled) for w in second.windows]
    for a, b in zip(first.windows, second.windows, strict=True):
        for name, metric in a.models["test"].metrics.items():
            assert metric.value == pytest.approx(b.models["test"].metrics[name].value)
            if name == "accuracy":  # Wilson's interval depends on the counts alone
                assert metric.ci_low == pytest.approx(b.models["test"].metrics[name].ci_low)
