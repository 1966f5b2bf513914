"""Hostile and accidental input in the dashboard: no markup from user text, no traceback, gated uploads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from components.share_store import ShareStore
from tests.pages.conftest import ROOT
from tests.pages.test_pages import texts
from tests.pages.test_upload_and_share import unescaped, upload

INJECTED = "![pwn](http://attacker.example/x.png) [phish](http://attacker.example/login)"


def markdown_sources(at: AppTest) -> list[str]:
    """The Markdown source of every element that renders Markdown (alerts, captions, labels)."""
    sources = [str(element.value) for kind in ("markdown", "caption", "info", "success", "warning", "error")
               for element in at.get(kind)]
    sources += [widget.label for widget in (*at.text_input, *at.selectbox, *at.multiselect, *at.button)]
    return sources


def live_markup(source: str) -> list[str]:
    """Links, images and autolinks that Markdown would render from ``source`` (escaped ones do not count)."""
    unescaped = re.sub(r"\\.", "", source)  # an escaped character is text, whatever it is
    return re.findall(r"!?\[[^\]]*\]\([^)]*\)|https?://|www\.", unescaped)


def hostile_files(demo_files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The demo files with a class, a slice value and file names that are Markdown links."""
    three, fax = "[3](http://attacker.example/three)", "[fax](http://attacker.example/fax)"
    renamed = []
    for name, content in demo_files:
        lines = content.decode().splitlines()
        header = ["prob_" + three if column == "prob_3" else column for column in lines[0].split(",")]
        roles = [header.index(column) for column in ("label", "prediction")]
        scanner = header.index("scanner")
        rows = []
        for line in lines[1:]:
            cells = line.split(",")
            for i in roles:
                cells[i] = three if cells[i] == "3" else cells[i]
            cells[scanner] = fax if cells[scanner] == "fax" else cells[scanner]
            rows.append(",".join(cells))
        renamed.append((f"[{name}](http://attacker.example/f).csv", "\n".join([",".join(header), *rows]).encode()))
    return renamed


def test_names_labels_and_file_names_are_text_not_markup(app: AppTest, demo_files: list[tuple[str, bytes]]) -> None:
    upload(app, hostile_files(demo_files))
    app.text_input[0].set_value(INJECTED)
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    for page in ("pages/overview.py", "pages/per_class.py", "pages/tradeoffs.py", "pages/calibration.py",
                 "pages/slices.py", "pages/examples.py", "pages/data.py"):
        app.switch_page(page).run()
        assert not app.exception, (page, [e.value for e in app.exception])
        sources = markdown_sources(app)
        assert any("attacker" in source for source in sources) or page != "pages/overview.py", page
        offending = [source for source in sources if live_markup(source)]
        assert not offending, (page, offending)


def test_an_unexpected_error_shows_an_apology_with_a_reference(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(spec: state.ComparisonSpec) -> state.Results:
        raise RuntimeError("/srv/secret/path exploded")

    monkeypatch.setattr(state, "compute", broken)
    app.switch_page("pages/slices.py").run()
    assert not app.exception  # no traceback reaches the page
    apologies = [error.value for error in app.error]
    assert any(re.search(r"Sorry, something went wrong.*\(reference [0-9a-f]{8}\)", value) for value in apologies)
    assert "/srv/secret/path" not in texts(app)
    monkeypatch.undo()
    app.switch_page("pages/overview.py").run()  # the session goes on
    assert not app.exception and app.title[0].value == "Overview"


def test_a_team_token_gates_uploads_and_sharing_but_not_links(share_db: Path, monkeypatch: pytest.MonkeyPatch,
                                                              demo_files: list[tuple[str, bytes]]) -> None:
    token, _ = ShareStore(share_db).save(demo_files, state.share_payload(state.demo_spec(), state.DEFAULT_VIEW))
    monkeypatch.setenv("MODEL_COMPARE_ACCESS_TOKEN", "correct horse")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert all(button.key != "sidebar_share" for button in at.sidebar.button)
    at.switch_page("pages/data.py").run()
    assert not at.get("file_uploader")
    at.text_input(key="data_token").set_value("wrong").run()
    assert any("not right" in error.value for error in at.error)
    assert not at.get("file_uploader")
    at.text_input(key="data_token").set_value("correct horse").run()
    at.run()
    assert at.get("file_uploader")
    assert any(button.key == "sidebar_share" for button in at.sidebar.button)  # one token unlocks both

    viewer = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    viewer.query_params["c"] = token
    viewer.run()
    assert not viewer.exception
    assert any("Shared view" in info.value for info in viewer.info)


def test_share_links_use_the_configured_public_address(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_COMPARE_PUBLIC_URL", "https://models.example.org/compare/")
    app.sidebar.button(key="sidebar_share").click().run()
    links = [code.value for code in app.sidebar.code if "?c=" in code.value]
    assert len(links) == 1
    assert re.fullmatch(r"https://models\.example\.org/compare/\?c=[A-Za-z0-9_-]{32}", links[0])


def test_a_read_only_share_store_still_opens_links_and_says_why_share_is_off(
        share_db: Path, demo_files: list[tuple[str, bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    token, _ = ShareStore(share_db).save(demo_files, state.share_payload(state.demo_spec(), state.DEFAULT_VIEW))
    monkeypatch.setattr(state, "_share_store", lambda path: ShareStore(path, read_only=True))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert all(button.key != "sidebar_share" for button in at.sidebar.button)
    assert any("Sharing is unavailable" in caption.value for caption in at.sidebar.caption)
    at.query_params["c"] = token
    at.run()
    assert not at.exception
    assert any("Shared view" in info.value for info in at.info)


def test_a_broken_share_store_gives_a_message_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_a_database = tmp_path / "shares.sqlite3"
    not_a_database.write_bytes(b"this is not an SQLite database" * 100)
    monkeypatch.setenv("MODEL_COMPARE_SHARE_DB", str(not_a_database))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["c"] = "x" * 32
    at.run()
    assert not at.exception
    page = texts(at) + "\n".join(caption.value for caption in at.sidebar.caption)
    assert "cannot be opened right now" in page
    assert str(tmp_path) not in page  # no server path in front of a visitor


HOSTILE = ROOT / "tests" / "data" / "hostile"


@pytest.mark.parametrize("filename", ["long_then_short_id.csv", "cr_only.csv", "gzip_damaged_mid.csv.gz"])
def test_the_probes_crash_files_upload_without_a_traceback(app: AppTest, demo_files: list[tuple[str, bytes]],
                                                          filename: str) -> None:
    upload(app, [demo_files[0], (filename, (HOSTILE / filename).read_bytes())])
    assert not app.exception, [e.value for e in app.exception]
    if filename == "gzip_damaged_mid.csv.gz":
        messages = [unescaped(error.value) for error in app.error]
        assert any(message.startswith(f"{filename}: the gzip data is damaged") for message in messages), messages
    app.switch_page("pages/overview.py").run()
    assert not app.exception and app.title[0].value == "Overview"  # what was shown before is still there


def test_the_dashboard_refuses_a_file_beyond_its_own_limits_and_says_so(app: AppTest) -> None:
    rows = ["id,label,prediction"] + [f"{i},class-{i},class-{i}" for i in range(250)]  # 250 classes > 200
    content = ("\n".join(rows) + "\n").encode()
    upload(app, [("many.csv", content), ("many_too.csv", content)])
    assert not app.exception
    messages = [unescaped(error.value) for error in app.error]
    assert any(message.startswith("many.csv: ") and "200 classes (the dashboard's limit" in message
               for message in messages), messages
