"""Monitoring a regression model: realised errors against scikit-learn, interval coverage and the alerts' family-wise
error by simulation, a shifted window alerted, shadow mode against scipy's paired t-test, JSON and Markdown, the demo."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import ttest_rel
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from statsmodels.stats.multitest import multipletests

from evaluation._errors import EvaluationError
from evaluation._monitor import analyze_monitor, assign_windows, parse_window
from evaluation._monitor_cli import main
from evaluation._monitor_data import monitor_task, read_monitor
from evaluation._monitor_regression_data import RegressionMonitorData

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
MODEL = "test"
METRICS = ("mean_absolute_error", "root_mean_squared_error", "r2")


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    return ("\n".join([",".join(header), *(",".join("" if v is None else str(v) for v in row) for row in rows)])
            + "\n").encode()


def _files(seed: int = 0, *, n_test: int = 300, n_production: int = 600, missing_labels: int = 100,
           noise: float = 1.0) -> tuple[tuple[str, bytes], tuple[str, bytes], dict[str, np.ndarray]]:
    """A regression test file and a production log over six weeks (the last rows without a true value)."""
    rng = np.random.default_rng(seed)
    y_test = np.round(rng.normal(10, 3, n_test), 3)
    p_test = np.round(y_test + rng.normal(0, noise, n_test), 3)
    test = _csv(["id", "label", "prediction", "city"],
                [[f"t{i}", y_test[i], p_test[i], rng.choice(["x", "y"])] for i in range(n_test)])
    y = np.round(rng.normal(10, 3, n_production), 3)
    p = np.round(y + rng.normal(0, noise, n_production), 3)
    start = np.datetime64("2026-01-05T00:00:00", "s")  # a Monday
    stamps = (start + np.sort(rng.integers(0, 42 * 86_400, n_production)).astype("timedelta64[s]")).astype(str)
    labelled = np.arange(n_production) < n_production - missing_labels
    log = _csv(["id", "timestamp", "label", "prediction", "city"],
               [[f"p{i}", stamps[i], y[i] if labelled[i] else None, p[i], rng.choice(["x", "y"])]
                for i in range(n_production)])
    return ("test.csv", test), ("log.csv", log), {"y": y, "p": p, "stamps": stamps, "labelled": labelled}


# --- reading and the task -------------------------------------------------------------------------------

def test_the_task_is_detected_from_the_test_file():
    test, log, truth = _files(0)
    data = read_monitor([log], [test])
    assert isinstance(data, RegressionMonitorData) and data.task == "regression"
    np.testing.assert_array_equal(np.isfinite(data.y_true), truth["labelled"])
    np.testing.assert_allclose(data.models[0].y_pred, truth["p"])
    assert [c.name for c in data.columns] == ["city"]
    # Whole-number targets with predictions that are not whole numbers (the diabetes demo) are regression too.
    assert monitor_task([DEMO / "monitor_regression_test.csv"]) == "regression"
    assert monitor_task([DEMO / "monitor_test.csv"]) == "classification"
    assert monitor_task([("t.csv", b"label,prediction\n1,2\n2,2\n")]) == "classification"


def test_the_task_can_be_given_and_a_prediction_that_is_not_a_number_is_refused():
    test = ("test.csv", b"label,prediction\n1,2\n2,2\n3,3\n")
    log = ("log.csv", b"timestamp,label,prediction\n2026-01-05,1,2.5\n2026-01-06,,3\n")
    data = read_monitor([log], [test], task="regression")
    assert isinstance(data, RegressionMonitorData) and np.isnan(data.y_true[1])
    with pytest.raises(EvaluationError, match=r"bad\.csv: column 'prediction' holds text that is not a number in 1 row \(row 2;"):
        read_monitor([("bad.csv", b"timestamp,label,prediction\n2026-01-05,1,2.5\n2026-01-06,,high\n")], [test],
                     task="regression")
    with pytest.raises(EvaluationError, match="monitoring takes a classification or a regression task"):
        read_monitor([log], [test], task="generation")


# --- realised metrics against scikit-learn ----------------------------------------------------------------

def test_realised_metrics_per_window_match_scikit_learn():
    test, log, truth = _files(1)
    data = read_monitor([log], [test])
    report = analyze_monitor(data, "1w", resamples=100, drift_permutations=0)
    windows = assign_windows(data.timestamps, parse_window("1w"))
    assert report.task == "regression"
    checked = 0
    for w, result in enumerate(report.windows):
        rows = (windows.codes == w) & truth["labelled"]
        assert result.n_labelled == int(rows.sum())
        metrics = result.models[MODEL].metrics
        if not rows.any():
            assert metrics == {}
            continue
        y, p = truth["y"][rows], truth["p"][rows]
        assert metrics["mean_absolute_error"].value == pytest.approx(mean_absolute_error(y, p), rel=1e-12)
        assert metrics["root_mean_squared_error"].value == pytest.approx(np.sqrt(mean_squared_error(y, p)), rel=1e-12)
        assert metrics["r2"].value == pytest.approx(r2_score(y, p), rel=1e-9)
        for m in METRICS:
            assert metrics[m].ci_low < metrics[m].value < metrics[m].ci_high and metrics[m].n == rows.sum()
        checked += 1
    assert checked >= 5
    frame = np.loadtxt(test[1].decode().splitlines()[1:], delimiter=",", usecols=(1, 2),
                       converters={0: lambda s: 0.0, 3: lambda s: 0.0})
    reference = report.reference[MODEL].metrics
    assert reference["mean_absolute_error"].value == pytest.approx(mean_absolute_error(frame[:, 0], frame[:, 1]))
    assert reference["r2"].value == pytest.approx(r2_score(frame[:, 0], frame[:, 1]))


# --- intervals and alerts by simulation ----------------------------------------------------------------

def _simulated(template: RegressionMonitorData, rng: np.random.Generator, *, windows: int, per_window: int,
               n_test: int, scale: np.ndarray | None = None) -> RegressionMonitorData:
    """The template's test set and log redrawn from one population (errors N(0, 1)), window w's errors times scale[w]."""
    y_test = rng.normal(10, 3, n_test)
    model = replace(template.reference.models[0], y_pred=y_test + rng.normal(0, 1, n_test))
    reference = replace(template.reference, y_true=y_test, models=(model,), ids=np.arange(n_test).astype(object))
    n = windows * per_window
    window = np.repeat(np.arange(windows), per_window)
    y = rng.normal(10, 3, n)
    error = rng.normal(0, 1, n) * (1.0 if scale is None else scale[window])
    production = replace(template.models[0], y_pred=y + error)
    return replace(template, timestamps=window * 86_400_000_000, y_true=y, models=(production,), reference=reference,
                   columns=())


def test_intervals_cover_and_alerts_keep_the_family_wise_error_without_a_shift():
    test, log, _ = _files(2, n_test=40, n_production=40, missing_labels=0)
    template = read_monitor([log], [test])
    assert isinstance(template, RegressionMonitorData)
    rng = np.random.default_rng(2026)
    replications, any_alert, any_raw, covered, intervals = 100, 0, 0, 0, 0
    for _ in range(replications):
        data = _simulated(template, rng, windows=10, per_window=200, n_test=500)
        report = analyze_monitor(data, "1d", resamples=200, drift_permutations=0)
        any_alert += bool(report.alerts)
        any_raw += any(m.p_value <= 0.05 for w in report.windows for m in w.models[MODEL].metrics.values())
        for w in report.windows:
            m = w.models[MODEL].metrics["mean_absolute_error"]
            covered += m.ci_low <= np.sqrt(2 / np.pi) <= m.ci_high  # E|e| of N(0, 1) errors
            intervals += 1
    # Observed: 7 reports of 100 with an alert (alpha 0.05 over 30 tests a report; Monte Carlo standard error about
    # 0.022, more as a report's windows share the test set), against 60 with "p < 0.05 in some window"; 93.5% coverage.
    assert any_alert / replications <= 0.10
    assert any_raw / replications >= 0.4
    assert 0.91 <= covered / intervals <= 0.98  # 95% percentile intervals of 1,000 windows, 200 resamples each


def test_a_shifted_window_alerts_worse_and_no_other_does():
    test, log, _ = _files(3, n_test=40, n_production=40, missing_labels=0)
    template = read_monitor([log], [test])
    assert isinstance(template, RegressionMonitorData)
    scale = np.ones(10)
    scale[6] = 1.6
    report = analyze_monitor(_simulated(template, np.random.default_rng(3), windows=10, per_window=300, n_test=1000,
                                        scale=scale), "1d", resamples=200, drift_permutations=0)
    flagged = {(a.window, a.metric, a.direction) for a in report.alerts}
    assert {(6, "mean_absolute_error", "worse"), (6, "root_mean_squared_error", "worse")} <= flagged
    assert {a.window for a in report.alerts} == {6}
    assert all(a.p_value_adjusted <= 0.05 for a in report.alerts)


# --- shadow mode -----------------------------------------------------------------------------------------

def test_shadow_mode_is_scipys_paired_t_test_per_window_holm_adjusted():
    rng = np.random.default_rng(4)
    test, log, truth = _files(4)
    n = truth["y"].size
    p2 = np.round(truth["y"] + rng.normal(0.2, 0.8, n), 3)
    order = rng.permutation(n)  # the candidate's file in another order: paired by id
    candidate_log = _csv(["id", "timestamp", "prediction"], [[f"p{i}", truth["stamps"][i], p2[i]] for i in order])
    data = read_monitor([log, ("candidate_log.csv", candidate_log)], [test, ("candidate.csv", test[1])],
                        names=["base", "tuned"])
    report = analyze_monitor(data, "1w", resamples=200, drift_permutations=0)
    windows = assign_windows(data.timestamps, parse_window("1w"))
    raw, adjusted = [], []
    for w, result in enumerate(report.windows):
        rows = (windows.codes == w) & truth["labelled"]
        if not rows.any():
            assert result.difference == {}
            continue
        y, base, tuned = truth["y"][rows], truth["p"][rows], p2[rows]
        difference = result.difference
        assert difference["mean_absolute_error"].value == pytest.approx(
            mean_absolute_error(y, tuned) - mean_absolute_error(y, base))
        assert difference["r2"].value == pytest.approx(r2_score(y, tuned) - r2_score(y, base))
        absolute = ttest_rel(np.abs(y - tuned), np.abs(y - base)).pvalue
        squared = ttest_rel((y - tuned) ** 2, (y - base) ** 2).pvalue
        assert difference["mean_absolute_error"].p_value == pytest.approx(absolute, rel=1e-9)
        assert difference["root_mean_squared_error"].p_value == pytest.approx(squared, rel=1e-9)
        assert difference["r2"].p_value == pytest.approx(squared, rel=1e-9)
        assert difference["mean_absolute_error"].test == "paired t on absolute errors"
        for m in METRICS:
            assert difference[m].ci_low <= difference[m].value <= difference[m].ci_high
            raw.append(difference[m].p_value)
            adjusted.append(difference[m].p_value_adjusted)
    np.testing.assert_allclose(adjusted, multipletests(raw, method="holm")[1], rtol=1e-12)


def test_shadow_mode_refuses_true_values_that_disagree():
    test, log, truth = _files(5, n_production=20, missing_labels=0)
    other = _csv(["id", "timestamp", "label", "prediction"],
                 [[f"p{i}", truth["stamps"][i], truth["y"][i] + (1 if i == 3 else 0), truth["p"][i]] for i in range(20)])
    with pytest.raises(EvaluationError, match=r"other\.csv: the true value differs from log\.csv's on 1 row \(row 4;"):
        read_monitor([log, ("other.csv", other)], [test, ("t2.csv", test[1])])


# --- JSON, Markdown, the command and the demo ------------------------------------------------------------

def test_json_and_markdown_keep_the_monitor_shape_with_task_regression():
    test, log, _ = _files(6)
    report = analyze_monitor(read_monitor([log], [test]), "1w", resamples=50)
    document = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert document["kind"] == "monitor" and document["task"] == "regression"
    window = document["windows"][0]
    model = window["models"][MODEL]
    assert set(model) == {"metrics", "estimated", "estimated_note", "drift"}
    assert model["estimated"] == {} and "no label-free estimate for regression" in model["estimated_note"]
    assert list(model["metrics"]) == list(METRICS)
    for metric in model["metrics"].values():
        assert set(metric) == {"value", "ci_low", "ci_high", "std_error", "n", "p_value", "p_value_adjusted"}
    assert [c["column"] for c in model["drift"]["columns"]] == ["prediction"]
    assert [c["column"] for c in window["drift"]["columns"]] == ["city"]
    assert document["windows"][-1]["models"][MODEL]["metrics"] == {}  # no true value has arrived
    reference = document["reference"][MODEL]
    assert list(reference["metrics"]) == list(METRICS) and reference["cbpe_supported"] is False
    assert reference["expected_calibration_error"] is None
    assert "no label-free estimate" in document["method"]["estimated"]
    assert "ttest_rel" in document["method"]["difference"] and isinstance(document["alerts"], list)
    markdown = report.to_markdown()
    assert "| window | start | n | labelled | mean_absolute_error | root_mean_squared_error | r2 | drifted |" in markdown
    assert "estimated accuracy" not in markdown and "calibration error" not in markdown
    assert "No label-free estimate for regression" in markdown


def test_the_demo_script_rewrites_the_files_and_the_referral_weeks_alert(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("make_demo_monitor_regression",
                                                  ROOT / "scripts" / "make_demo_monitor_regression.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    written = script.tables()
    assert sorted(path.name for path in written) == ["monitor_regression_production.csv", "monitor_regression_test.csv"]
    for path, text in written.items():
        assert path.read_bytes() == text.encode("utf-8"), path.name
    out = tmp_path / "report.json"
    assert main([str(DEMO / "monitor_regression_production.csv"), "--reference", str(DEMO / "monitor_regression_test.csv"),
                 "--names", "base", "--window", "1w", "--out", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["task"] == "regression" and len(document["windows"]) == 12
    assert [w["n_labelled"] for w in document["windows"][-2:]] == [0, 0]
    alerted = {(a["window"], a["direction"]) for a in document["alerts"]}
    assert alerted and {w for w, _ in alerted} <= {6, 7, 8, 9} and {d for _, d in alerted} == {"worse"}
    assert not any(w["models"]["base"]["drift"]["drifted_columns"] for w in document["windows"][:6])
    assert "prediction" in document["windows"][-1]["models"]["base"]["drift"]["drifted_columns"]
