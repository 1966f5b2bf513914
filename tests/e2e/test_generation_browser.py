"""A comparison of text-generating models in a real browser: upload two files, Compare, the verdict, a chart, Examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, open_app, wait_idle
from tests.pages.test_generation_pages import N, generation_files

pytestmark = pytest.mark.browser

TIMEOUT = 60_000
SCREENSHOTS = Path("/tmp")


def test_two_generation_files_are_uploaded_compared_and_browsed(page: Page, server: Server, tmp_path: Path) -> None:
    paths = []
    for name, content in generation_files():
        path = tmp_path / name
        path.write_bytes(content)
        paths.append(str(path))
    open_app(page, f"{server.url}/data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(paths)
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"rows · generated text · detected")).first).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Compare").click()
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.locator("h1").first).to_have_text("Overview", timeout=TIMEOUT)
    expect(page.get_by_text(re.compile(rf"Generation task · {N} paired examples")).first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile(r"tuned is significantly better than base on BLEU")).first) \
        .to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "gen_overview.png"))
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(3, timeout=TIMEOUT)  # metrics, differences, output length
    for index, name in enumerate(("metrics", "differences", "length")):
        charts.nth(index).screenshot(path=str(SCREENSHOTS / f"gen_chart_{name}.png"))

    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Per class", exact=True)).to_have_count(0)  # pages that do not apply are not shown
    nav.get_by_text("Slices", exact=True).click()
    wait_idle(page)
    expect(main.locator("h1").first).to_have_text("Slices", timeout=TIMEOUT)
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(SCREENSHOTS / "gen_slices.png"))

    nav.get_by_text("Examples", exact=True).click()
    wait_idle(page)
    expect(main.locator("h1").first).to_have_text("Examples", timeout=TIMEOUT)
    assert page.url.rstrip("/").endswith("/examples")
    expect(page.get_by_text("One example, side by side")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("**nothing**").first).to_be_visible(timeout=TIMEOUT)  # shown literally, in bold
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "gen_examples.png"))
