"""The Data page's files in a real browser: kept across pages, replaced and added to one at a time."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Server, open_app, wait_idle

pytestmark = pytest.mark.browser

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
TIMEOUT = 60_000


def drop(page: Page, files: list[Path]) -> None:
    """Drop files on the Data page's uploader and wait for the list to show them."""
    expect(page.get_by_test_id("stFileUploaderDropzoneInput")).to_have_count(1, timeout=TIMEOUT)  # no stale one
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(path) for path in files], timeout=TIMEOUT)
    for path in files:
        expect(page.get_by_text(f"Model name for {path.name}")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)


def goto_page(page: Page, label: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(label, exact=True).click()
    # exact: "Per class" would also match the page's "Differences per class" once that is drawn (strict mode)
    expect(page.get_by_test_id("stMain").get_by_role("heading", name=label, exact=True)).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)


def model_name(page: Page, filename: str) -> str:
    """The model name typed for a listed file."""
    box = page.get_by_test_id("stTextInput").filter(has_text=f"Model name for {filename}")
    return box.locator("input").input_value()


def file_box(page: Page, filename: str) -> Locator:
    """The bordered box that lists one file (the innermost block holding its name field and a row of columns)."""
    return (page.get_by_test_id("stVerticalBlock").filter(has=page.get_by_test_id("stHorizontalBlock"))
            .filter(has_text=f"Model name for {filename}").last)


def test_files_stay_listed_after_visiting_another_page(page: Page, server: Server) -> None:
    open_app(page, f"{server.url}/data")
    drop(page, [DEMO / "base.csv", DEMO / "finetuned.csv"])
    box = page.get_by_test_id("stTextInput").filter(has_text="Model name for finetuned.csv").locator("input")
    box.fill("tuned")
    box.press("Enter")
    wait_idle(page)
    goto_page(page, "Per class")
    expect(page.get_by_text("Confusion matrices")).to_be_visible(timeout=TIMEOUT)
    goto_page(page, "Data")
    expect(page.get_by_text("2 files kept in this session")).to_be_visible(timeout=TIMEOUT)
    assert (model_name(page, "base.csv"), model_name(page, "finetuned.csv")) == ("base", "tuned")
    expect(file_box(page, "base.csv")).to_contain_text("899 rows · multiclass (10 classes)")
    expect(file_box(page, "base.csv")).to_contain_text("baseline")
    expect(file_box(page, "finetuned.csv")).not_to_contain_text("baseline")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("baseline base", exact=False).first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("tuned is significantly better than base").first).to_be_visible(timeout=TIMEOUT)


def test_a_bad_file_added_later_is_named_and_the_others_stay(page: Page, server: Server, tmp_path: Path) -> None:
    bad = tmp_path / "no_labels.csv"
    bad.write_text("id,prediction,prob_0,prob_1\na,0,0.9,0.1\nb,1,0.2,0.8\n")
    open_app(page, f"{server.url}/data")
    drop(page, [DEMO / "binary_base.csv", DEMO / "binary_finetuned.csv"])
    drop(page, [bad])
    error = page.get_by_test_id("stAlertContainer").filter(has_text="no_labels.csv")
    expect(error.first).to_be_visible(timeout=TIMEOUT)
    assert "label" in error.first.inner_text()
    expect(page.get_by_text("3 files kept in this session")).to_be_visible()
    assert model_name(page, "binary_base.csv") == "binary_base"
    file_box(page, "no_labels.csv").get_by_role("button", name="Remove").click()
    expect(page.get_by_text("Model name for no_labels.csv")).to_have_count(0, timeout=TIMEOUT)
    expect(page.get_by_text("2 files kept in this session")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("stAlertContainer").filter(has_text="no_labels.csv")).to_have_count(0)


def test_the_replace_button_swaps_one_file_and_keeps_the_baseline(page: Page, server: Server, tmp_path: Path) -> None:
    corrected = tmp_path / "binary_finetuned_v2.csv"
    corrected.write_bytes((DEMO / "binary_finetuned.csv").read_bytes())
    open_app(page, f"{server.url}/data")
    drop(page, [DEMO / "binary_base.csv", DEMO / "binary_finetuned.csv"])
    file_box(page, "binary_base.csv").get_by_role("button", name="Replace").click()
    expect(page.get_by_text("The corrected file for binary_base.csv")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    drop(page, [DEMO / "binary_base.csv"])
    expect(page.get_by_text("2 files kept in this session")).to_be_visible()
    file_box(page, "binary_finetuned.csv").get_by_role("button", name="Replace").click()
    expect(page.get_by_text("The corrected file for binary_finetuned.csv")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    drop(page, [corrected])
    expect(page.get_by_text("Model name for binary_finetuned.csv")).to_have_count(0)
    assert model_name(page, "binary_finetuned_v2.csv") == "binary_finetuned_v2"
    expect(file_box(page, "binary_base.csv")).to_contain_text("baseline")
    expect(page.get_by_text("2 files kept in this session")).to_be_visible()
