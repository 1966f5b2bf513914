"""Served to a team: a second loopback address, a public URL for links, a token for uploads, hostile names.

The server listens on 127.0.0.2 (standing for a team's network address) with ``MODEL_COMPARE_PUBLIC_URL``
and ``MODEL_COMPARE_ACCESS_TOKEN`` set, as the README's "Serving to your team" section says. One browser
unlocks uploads with the token, uploads files whose labels, slice values and model name are Markdown
and HTML links and images, and shares; a second browser opens only the link and visits every page. It
must fetch nothing from anywhere but the server, and no injected link or image may appear.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, free_port, open_app, wait_idle

pytestmark = pytest.mark.browser

ADDRESS = "127.0.0.2"
TOKEN = "team-token-for-tests"
TIMEOUT = 60_000
ATTACKER = "127.0.0.3:9"  # nothing listens there; any request to it is a leak
PAGES = ("Overview", "Per class", "Trade-offs", "Calibration", "Slices", "Examples", "Data", "Methods")


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = free_port(ADDRESS)
    running = Server(tmp_path_factory.mktemp("team"), address=ADDRESS, port=port, environment={
        "MODEL_COMPARE_ACCESS_TOKEN": TOKEN, "MODEL_COMPARE_PUBLIC_URL": f"http://{ADDRESS}:{port}"})
    yield running
    running.stop()


def hostile_files(directory: Path) -> list[Path]:
    """Two models' predictions whose labels and slice values are links, images and HTML."""
    labels = ["cat", f"![img](http://{ATTACKER}/label.png)", f'<a href="http://{ATTACKER}/a">dog</a>']
    sources = [f"[click here](http://{ATTACKER}/phish)", "=HYPERLINK(\"http://x\")", "plain"]
    paths = []
    for name, wrong_every in (("base", 4), ("tuned", 9)):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "label", "prediction", "source"])
        for i in range(300):
            truth = labels[i % 3]
            predicted = labels[(i + 1) % 3] if i % wrong_every == 0 else truth
            writer.writerow([f"ex-{i}", truth, predicted, sources[i % 3]])
        path = directory / f"{name}.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        paths.append(path)
    return paths


def no_injected_markup(page: Page) -> None:
    """No element built from the injected text: no link or image pointing at the attacker."""
    assert page.locator(f'a[href*="{ATTACKER}"]').count() == 0
    assert page.locator(f'img[src*="{ATTACKER}"]').count() == 0
    assert page.locator(f'.js-plotly-plot a[href*="{ATTACKER}"]').count() == 0


def test_a_link_shared_on_the_network_opens_in_a_second_browser_fetching_only_from_the_server(
        page: Page, browser: Browser, team_server: Server, tmp_path: Path) -> None:
    files = hostile_files(tmp_path)
    open_app(page, f"{team_server.url}/data")
    expect(page.get_by_test_id("stFileUploaderDropzoneInput")).to_have_count(0)  # locked until the token
    page.get_by_test_id("stTextInputField").and_(page.get_by_label("Team access token (needed to upload files)")).fill(TOKEN)
    page.keyboard.press("Enter")
    wait_idle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(path) for path in files], timeout=TIMEOUT)
    expect(page.get_by_text("Model name for tuned.csv")).to_be_visible(timeout=TIMEOUT)
    name_box = page.get_by_test_id("stMain").get_by_test_id("stTextInputField").nth(1)  # base, then tuned
    name_box.fill(f"tuned [win a prize](http://{ATTACKER}/prize)")
    page.keyboard.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    no_injected_markup(page)
    page.get_by_role("button", name="Share this comparison").click()
    code = page.get_by_test_id("stCode").filter(has_text="?c=").first
    expect(code).to_be_visible(timeout=TIMEOUT)
    link = code.inner_text().strip()
    assert re.fullmatch(rf"http://{re.escape(ADDRESS)}:{team_server.port}/\?c=[A-Za-z0-9_-]{{32}}", link), link

    context = browser.new_context(viewport={"width": 1280, "height": 1800})
    hosts: set[str] = set()
    context.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    try:
        viewer = context.new_page()
        open_app(viewer, link)
        expect(viewer.get_by_text("Shared view").first).to_be_visible(timeout=TIMEOUT)
        expect(viewer.get_by_text("win a prize").first).to_be_visible(timeout=TIMEOUT)  # the name, as text
        for label in PAGES:
            viewer.get_by_test_id("stSidebarNav").get_by_text(label, exact=True).click()
            wait_idle(viewer)
            expect(viewer.get_by_test_id("stMain").locator("h1").first).to_have_text(label, timeout=TIMEOUT)
            no_injected_markup(viewer)
        expect(viewer.get_by_test_id("stFileUploaderDropzoneInput")).to_have_count(0)  # read-only
        assert viewer.get_by_label(re.compile("Team access token")).count() == 0  # a link needs no token
    finally:
        context.close()
    assert hosts <= {f"{ADDRESS}:{team_server.port}"} | {""}, hosts  # "" for data: and blob: URLs
