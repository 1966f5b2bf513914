"""A regression comparison in a real browser: the demo, every page that applies, a share link reopened."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, open_app, wait_idle

pytestmark = pytest.mark.browser

TIMEOUT = 60_000


def test_the_regression_demo_on_every_page_and_through_a_share_link(page: Page, browser: Browser, server: Server) -> None:
    open_app(page, f"{server.url}/data")
    page.get_by_role("button", name="Open the regression demo (diabetes)").click()
    wait_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Overview", exact=True).click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Regression task · 177 paired examples")).first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile(r"shows no significant difference from base on Mean absolute error")).first) \
        .to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=TIMEOUT)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Per class", exact=True)).to_have_count(0)  # pages that do not apply are not shown
    for title in ("Residuals", "Slices", "Examples"):
        nav.get_by_text(title, exact=True).click()
        wait_idle(page)
        expect(page.get_by_test_id("stMain").locator("h1").first).to_have_text(title, timeout=TIMEOUT)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        if title != "Examples":  # the Examples page is a table
            expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=TIMEOUT)

    page.get_by_role("button", name="Share this comparison").click()
    code = page.get_by_test_id("stCode").filter(has_text="?c=").first
    expect(code).to_be_visible(timeout=TIMEOUT)
    link = code.inner_text().strip()
    context = browser.new_context(viewport={"width": 1280, "height": 1800})
    try:
        viewer = context.new_page()
        open_app(viewer, link)
        expect(viewer.get_by_text("Shared view").first).to_be_visible(timeout=TIMEOUT)
        expect(viewer.get_by_text(re.compile(r"Regression task · 177 paired examples")).first).to_be_visible(timeout=TIMEOUT)
        expect(viewer.get_by_test_id("stSidebarNav").get_by_text("Residuals", exact=True)).to_be_visible()
    finally:
        context.close()
