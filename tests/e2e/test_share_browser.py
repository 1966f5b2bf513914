"""Share management in a real browser: choose the expiry, copy the delete key (shown once), and delete the link
with it from another browser whose session never saw it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, open_app, wait_idle

pytestmark = pytest.mark.browser

TIMEOUT = 60_000


def test_share_copy_the_key_then_delete_the_link_from_another_browser(page: Page, browser: Browser,
                                                                       server: Server) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    open_app(page, server.url)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Link expires after").click()
    page.get_by_role("option", name="7 days", exact=True).click()
    wait_idle(page)
    sidebar.get_by_role("button", name="Share this comparison").click()

    link_code = sidebar.get_by_test_id("stCode").filter(has_text="?c=")
    expect(link_code).to_be_visible(timeout=TIMEOUT)
    link = link_code.inner_text().strip()
    assert re.fullmatch(rf"{re.escape(server.url)}/\?c=[A-Za-z0-9_-]{{32}}", link), link
    expires = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d")
    expect(sidebar.get_by_text(re.compile(rf"read-only, until {expires} \d\d:\d\d UTC"))).to_be_visible()
    expect(sidebar.get_by_text("Delete key: copy it now, it will not be shown again.")).to_be_visible()
    key_code = sidebar.get_by_test_id("stCode").filter(has_not_text="?c=")
    key = key_code.inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", key), key
    key_code.hover()
    copy = key_code.get_by_role("button")
    expect(copy).to_be_visible()
    copy.click()
    assert page.evaluate("navigator.clipboard.readText()") == key  # the copy button copies the key itself

    context = browser.new_context(viewport={"width": 1280, "height": 1800})
    try:
        other = context.new_page()
        open_app(other, server.url)
        side = other.get_by_test_id("stSidebar")
        side.get_by_text("Delete a shared link", exact=True).click()
        link_field = side.get_by_role("textbox", name="Link or token")
        expect(link_field).to_be_visible(timeout=TIMEOUT)
        link_field.fill(link)
        side.get_by_role("textbox", name="Delete key").fill("W" * 32)
        side.get_by_role("button", name="Delete link").click()
        expect(side.get_by_text("Not deleted: that delete key does not belong to this link.",
                                exact=False)).to_be_visible(timeout=TIMEOUT)
        wait_idle(other)
        side.get_by_role("textbox", name="Delete key").fill(key)
        side.get_by_role("button", name="Delete link").click()
        expect(side.get_by_text("Deleted: the link no longer opens.")).to_be_visible(timeout=TIMEOUT)

        opened = context.new_page()
        open_app(opened, link)
        expect(opened.get_by_text("This shared link was deleted by whoever shared it.", exact=False)).to_be_visible(
            timeout=TIMEOUT)
        expect(opened.get_by_text("Shared view")).to_have_count(0)
    finally:
        context.close()
