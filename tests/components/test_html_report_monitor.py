"""The monitoring HTML page on the demo's 12 weeks (base live, finetuned in shadow mode): the dashboard's headline, the
alerts, a chart per metric and the drift heatmap, and every number of the engine's JSON (``MonitorReport.to_dict``)
written as the Markdown report writes it: each window's metrics, estimates and paired differences, the reference."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path
from typing import Any

import pytest

from components import monitor
from components.html_report_monitor import monitor_report_html
from evaluation import format_number, format_p_value
from evaluation._monitor import analyze_monitor
from evaluation._monitor_data import read_monitor
from evaluation._monitor_report import MonitorReport

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
FILES = ("monitor_production.csv", "monitor_production_finetuned.csv", "monitor_test.csv", "monitor_test_finetuned.csv")
TITLES = {"accuracy": "Accuracy", "f1_macro": "F1 (macro)", "log_loss": "Log loss", "brier_score": "Brier score"}


@pytest.fixture(scope="module")
def shadow() -> MonitorReport:
    production, candidate, test, candidate_test = ((name, (DEMO / name).read_bytes()) for name in FILES)
    data = read_monitor([production, candidate], [test, candidate_test], names=["base", "finetuned"])
    return analyze_monitor(data, "1w")


@pytest.fixture(scope="module")
def page(shadow: MonitorReport) -> str:
    return monitor_report_html(shadow).replace("\u00a0", " ")  # intervals wrap only before their parenthesis


def interval(entry: dict[str, Any]) -> str:
    """``0.912 (0.880 to 0.936)`` from a JSON entry, as the Markdown report writes it."""
    return f"{format_number(entry['value'])} ({format_number(entry['ci_low'])} to {format_number(entry['ci_high'])})"


def row(cells: list[str]) -> str:
    return "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>"


def test_the_headline_and_the_alerts_are_the_dashboards(shadow: MonitorReport, page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    headline = monitor.headline_sentence(shadow)
    assert headline.startswith("finetuned: alert in week 10 (from 2026-11-02) on accuracy 0.840 against 0.931")
    assert f"<p><strong>{html.escape(headline)}</strong></p>" in page
    document = shadow.to_dict()
    assert len(document["alerts"]) == 4
    assert "<p>4 alerts (family-wise error 0.05 over every window, model and metric, Holm):</p>" in page
    for alert in document["alerts"]:
        assert row([f"week {alert['window'] + 1}", alert["start"], alert["model"], TITLES[alert["metric"]],
                    format_number(alert["value"]), format_number(alert["reference"]), alert["direction"],
                    format_p_value(alert["p_value"]), format_p_value(alert["p_value_adjusted"])]) in page


def test_a_chart_per_metric_and_the_drift_heatmap(page: str) -> None:
    assert page.count('class="plotly-graph-div"') == 9  # a chart per metric, the heatmap, a difference per metric
    assert page.count("<script type='text/javascript'>") == 1  # plotly.js once, in the head
    for title in TITLES.values():
        assert f'"text":"{title} per week\\u003cbr\\u003e\\u003csup\\u003erealised on labelled rows' in page
    assert '"text":"Drift against the test set, per column and window' in page
    for title in TITLES.values():
        assert f'"text":"{title}: finetuned minus base, per week' in page
    for heading in ("Alerts", "Metrics per window", "Reference (test set)", "base per window", "finetuned per window",
                    "Drift", "finetuned minus base (shadow mode, paired)", "Method"):
        assert f"<h2>{heading}</h2>" in page


def test_every_window_of_every_model_is_a_row_of_its_table(shadow: MonitorReport, page: str) -> None:
    document = shadow.to_dict()
    for name in ("base", "finetuned"):
        for window in document["windows"]:
            entry = window["models"][name]
            cells = []
            for metric in TITLES:
                found = entry["metrics"].get(metric)
                flagged = found is not None and found["p_value_adjusted"] is not None and found["p_value_adjusted"] <= 0.05
                cells.append("n/a" if found is None else interval(found) + (" alert" if flagged else ""))
            estimated = entry.get("estimated", {}).get("accuracy")
            drifted = window["drift"]["drifted_columns"] + entry["drift"]["drifted_columns"]
            assert row([f"week {window['index'] + 1}", window["start"][:10], f"{window['n']:,}",
                        f"{window['n_labelled']:,}", *cells, interval(estimated) if estimated else "n/a",
                        ", ".join(drifted) or "none"]) in page, (name, window["index"])
    assert page.count(" alert</td>") == 4


def test_the_reference_band_and_the_paired_differences(shadow: MonitorReport, page: str) -> None:
    document = shadow.to_dict()
    for name, reference in document["reference"].items():
        for metric, entry in reference["metrics"].items():
            assert row([name, TITLES[metric], interval(entry)]) in page
        assert row([name, "expected calibration error", interval({
            "value": reference["expected_calibration_error"], "ci_low": reference["ece_ci_low"],
            "ci_high": reference["ece_ci_high"]})]) in page
    assert f"<p>base: no label-free estimate: {html.escape(document['reference']['base']['note'])}.</p>" in page
    for window in document["windows"]:
        differences = window.get("difference", {}).get("metrics", {})
        cells = [cell for metric in TITLES for cell in (
            (interval(differences[metric]),
             f'{format_p_value(differences[metric]["p_value_adjusted"])}, {differences[metric]["verdict"]}')
            if metric in differences else ("n/a", "n/a"))]
        assert row([f"week {window['index'] + 1}", window["start"][:10], *cells]) in page


def test_the_method_notes(shadow: MonitorReport, page: str) -> None:
    for name, text in shadow.method.items():
        assert f"<li>{html.escape(name)}: {html.escape(text)}.</li>" in page


def test_one_model_has_no_shadow_section_and_names_are_text(shadow: MonitorReport) -> None:
    hostile = "<b>base</b>"
    one = dataclasses.replace(shadow, models=(hostile,), production_files=shadow.production_files[:1],
                              reference_files=shadow.reference_files[:1],
                              reference={hostile: shadow.reference["base"]},
                              windows=tuple(dataclasses.replace(w, models={hostile: w.models["base"]}, difference={})
                                            for w in shadow.windows),
                              alerts=())
    page = monitor_report_html(one)
    assert "shadow mode, paired" not in page and "<h2>Drift</h2>" in page
    assert f"<h2>{html.escape(hostile)} per window</h2>" in page and not re.search(r"<b>base</b>", page)
    assert "<p><strong>No alerts in 12 windows (family-wise error 0.05 controlled with Holm" in page


def test_a_regression_model_has_its_errors_and_no_calibration_or_estimate() -> None:
    data = read_monitor([str(DEMO / "monitor_regression_production.csv")], [str(DEMO / "monitor_regression_test.csv")],
                        names=["base"])
    report = analyze_monitor(data, "1w", resamples=50)
    document = report.to_dict()
    assert document["task"] == "regression"
    page = monitor_report_html(report).replace("\u00a0", " ")
    assert "expected calibration error" not in page and "estimated accuracy" not in page
    assert ("<th>window</th><th>start</th><th>n</th><th>labelled</th><th>Mean absolute error</th><th>Root mean squared "
            "error</th><th>R²</th><th>drifted</th>") in page
    week = document["windows"][0]
    cells = [interval(week["models"]["base"]["metrics"][m]) for m in ("mean_absolute_error", "root_mean_squared_error", "r2")]
    assert row(["week 1", week["start"][:10], f"{week['n']:,}", f"{week['n_labelled']:,}", *cells,
                ", ".join(week["drift"]["drifted_columns"] + week["models"]["base"]["drift"]["drifted_columns"]) or "none"]
               ) in page
    note = document["reference"]["base"]["note"]
    assert f"<p>{html.escape(note[:1].upper() + note[1:])}.</p>" in page
    assert page.count('class="plotly-graph-div"') == 4  # three errors, drift
