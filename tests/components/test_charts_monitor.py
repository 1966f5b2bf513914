"""The monitoring figures on the demo's 12 weeks (base live, finetuned in shadow mode): every point, error bar, band
and heatmap cell equals the engine's JSON (``MonitorReport.to_dict``); the realised accuracy and its interval and the
test set's accuracy are also worked out here from the CSV files (pandas, statsmodels' Wilson interval)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from components import charts_monitor, monitor
from components.palette import VERDICT_COLORS, model_colors
from evaluation._monitor import analyze_monitor
from evaluation._monitor_data import read_monitor
from evaluation._monitor_report import MonitorReport
from tests.components.checks import assert_axis_titles, assert_message, assert_same, assert_well_formed, plus_minus

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
FILES = ("monitor_production.csv", "monitor_production_finetuned.csv", "monitor_test.csv", "monitor_test_finetuned.csv")


@pytest.fixture(scope="module")
def report() -> MonitorReport:
    production, candidate, test, candidate_test = ((name, (DEMO / name).read_bytes()) for name in FILES)
    data = read_monitor([production, candidate], [test, candidate_test], names=["base", "finetuned"])
    return analyze_monitor(data, "1w")


@pytest.fixture(scope="module")
def document(report: MonitorReport) -> dict[str, Any]:
    return report.to_dict()


def trace(fig: Any, name: str) -> Any:
    return next(t for t in fig.data if t.name == name)


def as_float(values: Any) -> list[float]:
    return [np.nan if v is None else float(v) for v in values]


@pytest.mark.parametrize("metric", ["accuracy", "f1_macro", "log_loss", "brier_score"])
def test_each_models_points_and_error_bars_are_the_engines_windows(report: MonitorReport, document: dict[str, Any],
                                                                    metric: str) -> None:
    fig = charts_monitor.metric_figure(report, metric)
    assert_well_formed(fig)
    assert_axis_titles(fig)
    starts = [w["start"] for w in document["windows"]]
    for name in ("base", "finetuned"):
        entries = [w["models"][name]["metrics"].get(metric) for w in document["windows"]]
        values = [e["value"] if e else np.nan for e in entries]
        realised = trace(fig, f"{name}: realised")
        assert list(realised.x) == starts
        assert_same(as_float(realised.y), values)
        plus, minus = plus_minus(values, [e["ci_low"] if e else np.nan for e in entries],
                                 [e["ci_high"] if e else np.nan for e in entries])
        assert_same(as_float(realised.error_y.array), plus)
        assert_same(as_float(realised.error_y.arrayminus), minus)
        assert realised.line.color == model_colors(["base", "finetuned"])[name]
        reference = document["reference"][name]["metrics"][metric]
        band = trace(fig, next(t.name for t in fig.data if t.name and t.name.startswith(f"{name}: test set")))
        assert band.fill == "toself"
        assert_same(band.y, [reference["ci_low"]] * 2 + [reference["ci_high"]] * 2)
        assert list(band.x) == [starts[0], document["windows"][-1]["end"], document["windows"][-1]["end"], starts[0]]


def test_the_last_two_weeks_have_no_labels_and_are_shaded(report: MonitorReport, document: dict[str, Any]) -> None:
    fig = charts_monitor.metric_figure(report, "accuracy")
    assert [w["n_labelled"] for w in document["windows"]][-2:] == [0, 0]
    assert charts_monitor.unlabelled_spans(report) == [(10, 11)]
    shaded = [s for s in fig.layout.shapes if s.fillcolor == charts_monitor.NO_LABELS_COLOR]
    assert [(s.x0, s.x1) for s in shaded] == [(document["windows"][10]["start"], document["windows"][11]["end"])]
    assert [a.text for a in fig.layout.annotations] == ["no labels yet"]
    assert np.isnan(as_float(trace(fig, "base: realised").y)[-2:]).all()  # a gap: no realised value


def test_the_estimate_is_dashed_for_the_calibrated_model_only(report: MonitorReport, document: dict[str, Any]) -> None:
    fig = charts_monitor.metric_figure(report, "accuracy")
    estimated = trace(fig, "finetuned: estimated without labels")
    assert estimated.line.dash == "dash"
    assert_same(as_float(estimated.y), [w["models"]["finetuned"]["estimated"]["accuracy"]["value"]
                                        for w in document["windows"]])
    assert "estimated" not in document["windows"][0]["models"]["base"]  # base is under-confident (docs/monitor.md)
    assert not [t for t in fig.data if t.name == "base: estimated without labels"]


def test_the_alert_of_week_10_is_marked_in_the_worse_colour(report: MonitorReport, document: dict[str, Any]) -> None:
    fig = charts_monitor.metric_figure(report, "accuracy")
    alert = next(a for a in document["alerts"] if a["metric"] == "accuracy")
    assert (alert["window"], alert["model"], alert["direction"]) == (9, "finetuned", "worse")
    marks = trace(fig, "finetuned: alert (worse)")
    assert list(marks.x) == [alert["start"]] and list(marks.y) == [alert["value"]]
    assert marks.marker.color == VERDICT_COLORS["worse"] and marks.marker.symbol == "triangle-down"
    assert not [t for t in fig.data if t.name and t.name.startswith("base: alert")]


def test_the_accuracy_points_are_the_files_accuracy_with_wilsons_interval(report: MonitorReport) -> None:
    production = pd.read_csv(DEMO / "monitor_production.csv", parse_dates=["timestamp"])
    labelled = production.dropna(subset=["label"])
    week = labelled["timestamp"].dt.to_period("W-SUN")
    correct = (labelled["label"].astype(int) == labelled["prediction"]).groupby(week)
    counts, successes = correct.size(), correct.sum()
    fig = charts_monitor.metric_figure(report, "accuracy")
    realised = trace(fig, "base: realised")
    np.testing.assert_allclose(as_float(realised.y)[:10], (successes / counts).to_numpy(), atol=1e-12)
    low, high = proportion_confint(successes.to_numpy(), counts.to_numpy(), alpha=0.05, method="wilson")
    np.testing.assert_allclose(np.asarray(realised.y[:10], dtype=float) + np.asarray(realised.error_y.array[:10]),
                               high, atol=1e-12)
    np.testing.assert_allclose(np.asarray(realised.y[:10], dtype=float) - np.asarray(realised.error_y.arrayminus[:10]),
                               low, atol=1e-12)
    test = pd.read_csv(DEMO / "monitor_test.csv")
    assert trace(fig, f"base: test set {(test['label'] == test['prediction']).mean():.3f}")


def test_the_drift_heatmap_is_the_engines_effect_sizes_worst_column_first(report: MonitorReport,
                                                                          document: dict[str, Any]) -> None:
    fig = charts_monitor.drift_figure(report)
    assert_well_formed(fig)
    heatmap = fig.data[0]
    rows = list(heatmap.y)
    assert rows[:2] == ["ink", "scanner"]  # the metadata moves most (docs/monitor.md)
    assert set(rows) == {"ink", "scanner", "base: prediction", "base: confidence", "finetuned: prediction",
                         "finetuned: confidence"}
    maxima = [np.nanmax(as_float(row)) for row in heatmap.z]
    assert maxima == sorted(maxima, reverse=True)
    for row, values, marks in zip(rows, heatmap.z, heatmap.text, strict=True):
        model, _, column = row.rpartition(": ")
        for w, value, mark in zip(document["windows"], values, marks, strict=True):
            drift = w["models"][model]["drift"] if model else w["drift"]
            entry = next(c for c in drift["columns"] if c["column"] == column)
            assert value == entry["value"]
            assert mark == (charts_monitor.DRIFTED_GLYPH if entry["drifted"] else "")
    ink = rows.index("ink")
    assert [bool(m) for m in heatmap.text[ink]] == [False] * 6 + [True] * 6  # drifted from week 7 on


def test_the_headline_names_the_alert_and_the_table_lists_all_four(report: MonitorReport) -> None:
    assert monitor.headline_sentence(report) == (
        "finetuned: alert in week 10 (from 2026-11-02) on accuracy 0.840 against 0.931 on the test set, worse "
        "(Holm-adjusted p = 0.0056). 4 alerts in 12 windows (family-wise error 0.05 controlled with Holm over every "
        "window, model and metric).")
    frame = monitor.alerts_frame(report)
    assert list(frame["metric"]) == ["Accuracy", "F1 (macro)", "Log loss", "Brier score"]
    assert set(frame["window"]) == {"week 10"}


def test_without_alerts_the_headline_says_so_and_nothing_is_marked(report: MonitorReport) -> None:
    quiet = dataclasses.replace(report, alerts=())
    assert monitor.headline_sentence(quiet) == ("No alerts in 12 windows (family-wise error 0.05 controlled with Holm "
                                                "over every window, model and metric).")
    assert not [t for t in charts_monitor.metric_figure(quiet, "accuracy").data if "alert" in (t.name or "")]


def test_no_window_and_no_drift_explain_themselves(report: MonitorReport) -> None:
    empty = dataclasses.replace(report, windows=(), alerts=())
    assert_message(charts_monitor.metric_figure(empty, "accuracy"), "no window")
    assert_message(charts_monitor.drift_figure(empty), "no column")


def test_the_shadow_difference_is_the_files_paired_accuracy_difference_with_mcnemar(report: MonitorReport,
                                                                                     document: dict[str, Any]) -> None:
    base = pd.read_csv(DEMO / "monitor_production.csv", parse_dates=["timestamp"])
    tuned = pd.read_csv(DEMO / "monitor_production_finetuned.csv")
    both = base.merge(tuned[["id", "prediction"]], on="id", suffixes=("_base", "_tuned")).dropna(subset=["label"])
    week = both["timestamp"].dt.to_period("W-SUN")
    base_right = both["label"].astype(int) == both["prediction_base"]
    tuned_right = both["label"].astype(int) == both["prediction_tuned"]
    expected = (tuned_right.astype(int) - base_right.astype(int)).groupby(week).mean().to_numpy()
    discordant = pd.DataFrame({"b": base_right & ~tuned_right, "c": tuned_right & ~base_right}).groupby(week).sum()
    raw = [float(mcnemar([[0, b], [c, 0]], exact=True).pvalue) for b, c in discordant.to_numpy()]
    fig = charts_monitor.difference_figure(report, "accuracy")
    assert_well_formed(fig)
    assert_axis_titles(fig)
    points = {x: (float(y), name) for t in fig.data for x, y, name in zip(t.x, t.y, [t.name] * len(t.x), strict=True)}
    starts = [w["start"] for w in document["windows"]]
    assert sorted(points) == starts[:10]  # the last two weeks have no labels
    np.testing.assert_allclose([points[s][0] for s in starts[:10]], expected, atol=1e-12)
    engine = [w["difference"]["metrics"]["accuracy"] for w in document["windows"][:10]]
    np.testing.assert_allclose([e["p_value"] for e in engine], raw, atol=1e-12)
    for start, entry in zip(starts, engine, strict=False):
        assert points[start][1] == entry["verdict"]
        colour = next(t.marker.color for t in fig.data if t.name == entry["verdict"])
        assert colour == VERDICT_COLORS[entry["verdict"]]
    family = [(w["index"], m, entry) for w in document["windows"] for m, entry in w.get("difference", {})
              .get("metrics", {}).items()]
    adjusted = multipletests([entry["p_value"] for _, _, entry in family], method="holm")[1]
    np.testing.assert_allclose([entry["p_value_adjusted"] for _, _, entry in family], adjusted, atol=1e-12)


def test_without_shadow_mode_the_difference_figure_says_what_it_needs(report: MonitorReport) -> None:
    alone = dataclasses.replace(report, models=report.models[:1])
    assert_message(charts_monitor.difference_figure(alone, "accuracy"), "Shadow mode only")
    unlabelled = dataclasses.replace(report, windows=tuple(dataclasses.replace(w, difference={})
                                                             for w in report.windows))
    assert_message(charts_monitor.difference_figure(unlabelled, "accuracy"), "No window has labelled rows")


def test_a_significant_window_is_drawn_in_its_verdicts_colour_and_shape(report: MonitorReport) -> None:
    first = next(i for i, w in enumerate(report.windows) if w.difference)
    worse = dataclasses.replace(report.windows[first].difference["accuracy"], verdict="worse")
    windows = list(report.windows)
    windows[first] = dataclasses.replace(windows[first], difference={**windows[first].difference, "accuracy": worse})
    fig = charts_monitor.difference_figure(dataclasses.replace(report, windows=tuple(windows)), "accuracy")
    marked = trace(fig, "worse")
    assert list(marked.x) == [charts_monitor.window_starts(report)[first]] and marked.y[0] == worse.value
    assert (marked.marker.color, marked.marker.symbol) == (VERDICT_COLORS["worse"], "triangle-down")
