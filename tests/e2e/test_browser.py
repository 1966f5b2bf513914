"""The dashboard in a real browser: demo, upload, threshold slider, sharing, a bad file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, open_app, wait_idle

pytestmark = pytest.mark.browser

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
TIMEOUT = 60_000


def verdict(page: Page) -> str:
    """The text of the first verdict alert on the Overview page."""
    alert = page.get_by_test_id("stAlertContainer").filter(has_text=re.compile(r"significantly|no significant"))
    expect(alert.first).to_be_visible(timeout=TIMEOUT)
    return alert.first.inner_text()


def expect_chart(page: Page) -> None:
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=TIMEOUT)


def goto_page(page: Page, label: str) -> None:
    """Open a page through the sidebar navigation."""
    page.get_by_test_id("stSidebarNav").get_by_text(label, exact=True).click()
    wait_idle(page)


def upload_and_compare(page: Page, server: Server, files: list[Path]) -> None:
    open_app(page, f"{server.url}/data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(path) for path in files], timeout=TIMEOUT)
    for path in files:
        expect(page.get_by_text(f"Model name for {path.name}")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)


def test_opens_on_the_demo_with_the_verdict_and_a_chart(page: Page, server: Server) -> None:
    open_app(page, server.url)
    expect(page.get_by_text("Demo data", exact=False).first).to_be_visible()
    said = verdict(page)
    assert said.startswith("finetuned is significantly better than base on F1 (macro)")
    # The first screen never hides a regression: the fax slice is named, in the amber box of a mixed verdict.
    assert "But significantly worse on slice scanner = fax (n = 124): F1 (macro) 0.885 → 0.758" in said
    expect(page.get_by_test_id("stAlertContentWarning").filter(has_text="scanner = fax")).to_be_visible()
    expect_chart(page)


def test_the_metrics_csv_downloads(page: Page, server: Server) -> None:
    open_app(page, server.url)
    with page.expect_download(timeout=TIMEOUT) as download:
        page.get_by_role("button", name="Metrics (CSV)").click()
    assert download.value.suggested_filename == "model-comparison-metrics.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "accuracy" in text and "finetuned" in text


def test_uploading_two_csv_files_shows_their_verdict_and_charts(page: Page, server: Server) -> None:
    upload_and_compare(page, server, [DEMO / "binary_base.csv", DEMO / "binary_finetuned.csv"])
    assert verdict(page).startswith("binary_finetuned is significantly better than binary_base")
    expect_chart(page)
    expect(page.locator(".js-plotly-plot .main-svg").nth(1)).to_be_visible(timeout=TIMEOUT)  # intervals and differences
    expect(page.get_by_text("Demo data")).to_have_count(0)


def test_moving_the_threshold_slider_changes_the_numbers(page: Page, server: Server) -> None:
    open_app(page, f"{server.url}/tradeoffs")
    expect_chart(page)
    table = page.get_by_test_id("stTable").first
    expect(page.get_by_role("heading", name="At threshold 0.50")).to_be_visible(timeout=TIMEOUT)
    before = table.inner_text()
    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(40):
        slider.press("ArrowRight")
    expect(page.get_by_role("heading", name="At threshold 0.90")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    after = page.get_by_test_id("stTable").first.inner_text()
    assert after != before
    assert "base" in after and "finetuned" in after


def test_a_shared_link_opens_the_same_comparison_in_a_fresh_browser(page: Page, browser: Browser,
                                                                   server: Server) -> None:
    upload_and_compare(page, server, [DEMO / "binary_base.csv", DEMO / "binary_finetuned.csv"])
    original = verdict(page)
    caption = page.get_by_text(re.compile(r"paired examples · baseline")).first.inner_text()
    page.get_by_role("button", name="Share this comparison").click()
    code = page.get_by_test_id("stCode").filter(has_text="?c=").first
    expect(code).to_be_visible(timeout=TIMEOUT)
    link = code.inner_text().strip()
    assert re.fullmatch(rf"{re.escape(server.url)}/\?c=[A-Za-z0-9_-]{{32}}", link), link

    def check(link: str) -> None:
        context = browser.new_context(viewport={"width": 1280, "height": 1800})
        try:
            fresh = context.new_page()
            open_app(fresh, link)
            expect(fresh.get_by_text("Shared view").first).to_be_visible(timeout=TIMEOUT)
            assert verdict(fresh) == original
            assert fresh.get_by_text(re.compile(r"paired examples · baseline")).first.inner_text() == caption
            goto_page(fresh, "Data")
            expect(fresh.get_by_test_id("stFileUploaderDropzoneInput")).to_have_count(0)
        finally:
            context.close()

    check(link)
    server.restart()  # the share is in the database, not in the server's memory
    check(link)


def test_a_bad_file_shows_its_message(page: Page, server: Server, tmp_path: Path) -> None:
    bad = tmp_path / "no_labels.csv"
    bad.write_text("id,prediction,prob_0,prob_1\na,0,0.9,0.1\nb,1,0.2,0.8\n")
    open_app(page, f"{server.url}/data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(DEMO / "binary_base.csv"), str(bad)], timeout=TIMEOUT)
    error = page.get_by_test_id("stAlertContainer").filter(has_text="no_labels.csv")
    expect(error.first).to_be_visible(timeout=TIMEOUT)
    assert "label" in error.first.inner_text()
    goto_page(page, "Overview")
    assert verdict(page).startswith("finetuned is significantly better than base")  # the demo is still shown


FIRST_SCREEN = 900  # pixels: what a stakeholder sees of the Overview without scrolling


def test_the_scorecard_is_on_the_first_screen(page: Page, server: Server) -> None:
    open_app(page, server.url)
    card = page.locator(".model-compare-scorecard table")
    expect(card).to_be_visible(timeout=TIMEOUT)
    box = card.bounding_box()
    assert box is not None and box["y"] + box["height"] <= FIRST_SCREEN, box
    text = card.inner_text()
    assert "F1 (macro)" in text and "Accuracy" in text and "finetuned" in text and "better" in text
    number = card.locator("td span").first  # the baseline's primary metric
    size = float(number.evaluate("element => getComputedStyle(element).fontSize").removesuffix("px"))
    assert size >= 28, size  # large enough to read in a screenshot


def test_three_files_get_a_leaderboard(page: Page, server: Server, tmp_path: Path) -> None:
    from tests.components.test_scorecard import degraded_demo_file

    name, content = degraded_demo_file()
    (tmp_path / name).write_bytes(content)
    upload_and_compare(page, server, [DEMO / "base.csv", DEMO / "finetuned.csv", tmp_path / name])
    board = page.locator(".model-compare-leaderboard table")
    expect(board).to_be_visible(timeout=TIMEOUT)
    rows = board.locator("tbody tr")
    expect(rows).to_have_count(2)
    assert "finetuned" in rows.nth(0).inner_text() and "degraded" in rows.nth(1).inner_text()
    # Its macro F1 does not move significantly, yet its verdict names every regression, in amber.
    degraded = page.get_by_test_id("stAlertContentWarning").filter(has_text="degraded shows no significant difference")
    expect(degraded).to_be_visible()
    said = degraded.inner_text()
    assert "Significantly worse on ROC AUC" in said and "Log loss 0.425 → 1.114" in said
    assert "on slice scanner = fax (n = 124)" in said
