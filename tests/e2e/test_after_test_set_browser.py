"""After the test set, in a real browser: fine-tuning data that leaks test examples shows on the Overview's first
screen, the Shift page compares the demo's test set with its production traffic, and the Monitoring page follows the
demo's 12 weeks of production and names the week that alerts.

The leaked count is counted here from the demo file (the ids the constructed training file shares with it).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, open_app, wait_idle

pytestmark = pytest.mark.browser

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
TIMEOUT = 90_000


def leaking_training_file(directory: Path) -> tuple[Path, int]:
    """A fine-tuning file holding every 4th test id of the classification demo, plus ids of its own; the leaked
    count."""
    with (DEMO / "base.csv").open(newline="") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    leaked = ids[::4]
    path = directory / "fine_tuning.csv"
    path.write_text("id,completion\n" + "".join(f"{i},x\n" for i in [*leaked, "train-1", "train-2"]))
    return path, len(leaked)


def test_fine_tuning_data_that_leaks_shows_on_the_overview_first_screen(page: Page, server: Server,
                                                                      tmp_path: Path) -> None:
    training, leaked = leaking_training_file(tmp_path)
    open_app(page, f"{server.url}/data")
    page.get_by_text("Fine-tuning data (optional): find test examples in it").click()
    wait_idle(page)
    dropzones = page.get_by_test_id("stFileUploaderDropzoneInput")
    expect(dropzones).to_have_count(2, timeout=TIMEOUT)  # the prediction files', then the fine-tuning data's
    dropzones.nth(1).set_input_files(str(training), timeout=TIMEOUT)
    expect(page.get_by_text(f"{leaked + 2} rows · columns id, completion")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    page.get_by_text("Fine-tuning data", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "data_page.png"))
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=TIMEOUT)
    box = page.get_by_test_id("stAlertContainer").filter(has_text="test examples are in the fine-tuning data")
    expect(box).to_contain_text(f"{leaked} of 899 test examples are in the fine-tuning data ({leaked} by id",
                                timeout=TIMEOUT)
    wait_idle(page)
    # the first screen: the box is in view without scrolling, under the verdict
    verdict = page.get_by_test_id("stAlertContainer").filter(has_text="finetuned is significantly better than base")
    assert verdict.first.bounding_box()["y"] < box.bounding_box()["y"] < 900
    expander = page.get_by_test_id("stExpander").filter(has_text="with and without the")
    expander.get_by_text(f"Leakage: each difference with and without the {leaked} leaked examples").click()
    expect(expander.get_by_test_id("stDataFrame")).to_have_count(2, timeout=TIMEOUT)  # the differences, the ids
    wait_idle(page)
    page.screenshot(path=str(tmp_path / "leakage_overview.png"))  # to look at: pytest --basetemp


def test_the_shift_page_loads_the_demo_production_file_and_draws_the_drift(page: Page, server: Server,
                                                                          tmp_path: Path) -> None:
    open_app(page, f"{server.url}/shift")
    expect(page.get_by_text("The test set here is the baseline's file, base.csv")).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Load the demo's production traffic").click()
    expect(page.get_by_text("3 of 4 columns drifted")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("stMetric").filter(has_text="Domain classifier ROC AUC")).to_be_visible()
    headline = page.get_by_test_id("stAlertContainer").filter(has_text="columns drifted")
    expect(headline).to_contain_text("0.5 means no detectable shift")
    expect(headline).to_contain_text("On production's mix of scanner, expect accuracy")
    chart = page.locator(".js-plotly-plot").filter(has_text="How far each column moved")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    expect(chart.locator(".ytick")).to_have_count(4)
    expect(chart).to_contain_text("practical threshold 0.100")
    page.screenshot(path=str(tmp_path / "shift_page.png"))


def test_the_monitoring_page_loads_the_demo_logs_and_shows_the_alert_over_the_chart(page: Page, server: Server,
                                                                                   tmp_path: Path) -> None:
    open_app(page, f"{server.url}/monitor")
    expect(page.get_by_text("The reference is the test set: the baseline's file, base.csv")).to_be_visible(
        timeout=TIMEOUT)
    page.get_by_role("button", name="Load the demo's 12 weeks of production").click()
    headline = page.get_by_test_id("stAlertContainer").filter(has_text="alert in week 10")
    # the model's name is escaped with word joiners around its colon: match the sentence after it
    expect(headline).to_contain_text("alert in week 10 (from 2026-11-02) on accuracy 0.840 against 0.931",
                                     timeout=TIMEOUT)
    expect(headline).to_contain_text("finetuned")
    expect(headline).to_contain_text("Holm-adjusted p = 0.0056")
    chart = page.locator(".js-plotly-plot").filter(has_text="Accuracy per week")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    expect(chart).to_contain_text("no labels yet")
    expect(chart).to_contain_text("finetuned: alert (worse)")
    # the first screen: the sentence above the chart, both in view without scrolling
    assert headline.bounding_box()["y"] < chart.bounding_box()["y"] < 900
    shadow = page.locator(".js-plotly-plot").filter(has_text="Accuracy: finetuned minus base, per week")
    expect(shadow.locator(".main-svg").first).to_be_visible(timeout=TIMEOUT)
    expect(shadow).to_contain_text("no significant difference")  # the legend: every week's verdict
    expect(shadow.locator(".point")).to_have_count(10)  # the ten weeks with labels
    page.screenshot(path=str(tmp_path / "monitor_page.png"), full_page=True)  # to look at: pytest --basetemp


def test_the_monitoring_page_follows_the_regression_demos_model(page: Page, server: Server) -> None:
    open_app(page, server.url)
    page.get_by_role("link", name="Data").click()
    page.get_by_role("button", name="Open the regression demo").click()
    wait_idle(page)
    page.get_by_role("link", name="Monitoring").click()
    page.get_by_role("button", name="Load the demo's 12 weeks of production").click()
    headline = page.get_by_test_id("stAlertContainer").filter(has_text="alert in week 9")
    expect(headline).to_contain_text("on mean absolute error", timeout=TIMEOUT)
    chart = page.locator(".js-plotly-plot").filter(has_text="Mean absolute error per week")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=TIMEOUT)
    expect(chart).to_contain_text("base: alert (worse)")
