"""The Monitoring page through AppTest: the explanation and the uploaders without a log; with the demo's 12 weeks, the
alert sentence, the charts and the alerts; the window selector's number of windows counted here from the log with
pandas; a bad file's message; which tasks show the page."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import DEMO
from tests.pages.test_pages import texts
from tests.pages.test_upload_and_share import unescaped

HEADLINE = ("finetuned: alert in week 10 (from 2026-11-02) on accuracy 0.840 against 0.931 on the test set, worse "
            "(Holm-adjusted p = 0.0056). 4 alerts in 12 windows")


@pytest.fixture
def monitoring(app: AppTest) -> AppTest:
    """The Monitoring page of the classification demo with the demo's production logs loaded."""
    app.switch_page("pages/monitor.py").run()
    app.button(key="monitor_demo").click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def headline(at: AppTest) -> str:
    return unescaped(next(str(e.value) for e in (*at.warning, *at.success) if "window" in str(e.value)))


def test_without_a_log_the_page_names_the_reference_and_offers_the_uploaders(app: AppTest) -> None:
    app.switch_page("pages/monitor.py").run()
    assert not app.exception, [e.value for e in app.exception]
    said = unescaped(texts(app))
    assert "the baseline's file, **base.csv** (**base**), and in shadow mode the candidate's, **finetuned.csv**" in said
    assert "Without a production log there is nothing to monitor." in said
    assert [u.label.split(" ")[0] for u in app.file_uploader] == ["Production", "Optional,"]
    assert app.button(key="monitor_demo").label.startswith("Load the demo's 12 weeks of production")
    assert not app.get("plotly_chart") and not app.error


def test_the_demo_shows_the_alert_sentence_first_and_the_charts(monitoring: AppTest) -> None:
    assert headline(monitoring).startswith(HEADLINE)
    said = unescaped(texts(monitoring))
    assert ("Reference (test set): the demo's own test files (a half of base.csv's rows), not the comparison's files; "
            "**base** monitor_production.csv against monitor_test.csv, **finetuned** monitor_production_finetuned.csv "
            "against monitor_test_finetuned.csv") in said
    production = pd.read_csv(DEMO / "monitor_production.csv")
    assert f"{len(production):,} production rows, {production['label'].notna().sum():,} labelled" in said
    assert "No estimate without labels for **base**: the test set's expected calibration error is 0.123" in said
    assert len(monitoring.get("plotly_chart")) == 3  # the metric over the weeks, shadow mode's difference, the drift
    assert "Shadow mode: finetuned against base, on the same traffic" in [h.value for h in monitoring.subheader]
    figure = json.loads(monitoring.get("plotly_chart")[1].proto.spec)
    assert figure["layout"]["title"]["text"].startswith("Accuracy: finetuned minus base, per week")
    monitoring.selectbox(key="monitor_metric").set_value("log_loss").run()
    figure = json.loads(monitoring.get("plotly_chart")[1].proto.spec)
    assert figure["layout"]["title"]["text"].startswith("Log loss: finetuned minus base, per week")
    alerts = next(f.value for f in monitoring.dataframe if "p (Holm)" in f.value.columns)
    assert list(alerts["metric"]) == ["Accuracy", "F1 (macro)", "Log loss", "Brier score"]
    assert alerts["p (Holm)"].iloc[0] == "0.0056"
    assert monitoring.selectbox(key="monitor_window").value == "1 week"


def test_the_window_selector_changes_the_number_of_windows(monitoring: AppTest) -> None:
    times = pd.to_datetime(pd.read_csv(DEMO / "monitor_production.csv")["timestamp"])
    assert "in 12 windows" in headline(monitoring) and times.dt.to_period("W-SUN").nunique() == 12
    days, months = times.dt.date.nunique(), times.dt.to_period("M").nunique()
    monitoring.selectbox(key="monitor_window").set_value("1 day").run()
    assert not monitoring.exception, [e.value for e in monitoring.exception]
    assert f"in {days} windows" in headline(monitoring)
    assert f"{days} windows with rows" in unescaped(texts(monitoring))
    monitoring.selectbox(key="monitor_window").set_value("1 month").run()
    assert f"in {months} windows" in headline(monitoring) and months == 4


def test_the_logs_are_kept_and_a_bad_file_shows_the_engines_message(monitoring: AppTest) -> None:
    monitoring.switch_page("pages/overview.py").run()
    monitoring.switch_page("pages/monitor.py").run()
    assert headline(monitoring).startswith(HEADLINE)  # kept in the session
    monitoring.file_uploader[0].set_value(("unrelated.csv", b"colour\nred\nblue\n", "text/csv")).run()
    assert not monitoring.exception, [e.value for e in monitoring.exception]
    errors = [unescaped(e.value) for e in monitoring.error]
    assert len(errors) == 1 and errors[0].startswith("unrelated.csv"), errors
    assert "Traceback" not in errors[0] and not monitoring.get("plotly_chart")
    monitoring.button(key="monitor_monitor_production_remove").click().run()
    assert not monitoring.error and "Without a production log" in unescaped(texts(monitoring))


def test_an_uploaded_log_is_read_against_the_comparisons_baseline_file(app: AppTest) -> None:
    app.switch_page("pages/monitor.py").run()
    log = (DEMO / "monitor_production.csv").read_bytes()
    app.file_uploader[0].set_value(("monitor_production.csv", log, "text/csv")).run()
    assert not app.exception and not app.error, [e.value for e in (*app.exception, *app.error)]
    said = unescaped(texts(app))
    assert "Reference (test set): **base** monitor_production.csv against base.csv · 3,600 production rows" in said
    assert "demo's own test files" not in said
    assert headline(app).startswith("No alerts in 12 windows")  # the base model holds up (docs/monitor.md)
    app.selectbox(key="monitor_metric").set_value("log_loss").run()
    frame = pd.read_csv(DEMO / "monitor_production.csv")
    without = frame[[c for c in frame.columns if not c.startswith("prob_")]].to_csv(index=False).encode()
    app.file_uploader[0].set_value(("no_probabilities.csv", without, "text/csv")).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.selectbox(key="monitor_metric").options == ["Accuracy", "F1 (macro)"]  # nothing to draw for log loss
    assert app.selectbox(key="monitor_metric").value == "accuracy"
    assert "no probabilities, so no log loss, Brier score or label-free estimate" in unescaped(texts(app))


def test_the_regression_demo_monitors_its_model_and_generation_has_no_monitoring_page(app: AppTest) -> None:
    app.switch_page("pages/data.py").run()
    app.button(key="data_demo_regression").click().run()
    app.switch_page("pages/monitor.py").run()
    app.button(key="monitor_demo").click().run()
    assert not app.exception and not app.error, [e.value for e in (*app.exception, *app.error)]
    production = pd.read_csv(DEMO / "monitor_regression_production.csv", parse_dates=["timestamp"])
    said = unescaped(texts(app))
    labelled = production.dropna(subset=["label"])
    assert f"{len(production):,} production rows, {len(labelled):,} labelled" in said
    assert app.selectbox(key="monitor_metric").options == ["Mean absolute error", "Root mean squared error", "R²"]
    week = labelled["timestamp"].dt.to_period("W-SUN")
    mae = (labelled["label"] - labelled["prediction"]).abs().groupby(week).mean().to_numpy()
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    realised = next(t for t in figure["data"] if t.get("name") == "base: realised")
    np.testing.assert_allclose([v for v in realised["y"] if v is not None], mae, atol=1e-9)
    assert headline(app).startswith("base: alert in week 9")  # the fast-progressing patients (docs/monitor.md)
    assert "No estimate without labels for **base**" in said
    assert "the demo's own test files (a half of regression_base.csv's patients)" in said
    assert not figure["layout"]["title"]["text"].count("dashed")  # no label-free estimate to draw for regression
    app.switch_page("pages/data.py").run()
    app.button(key="data_demo_generation").click().run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("pages/monitor.py")
