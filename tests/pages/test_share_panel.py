"""The sidebar's Share section through AppTest: the expiry choice, the delete key shown once, and deleting a
link with its key from a later session (right key, wrong key, malformed input, an expired link)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import share_store
from components.share_panel import lifetime_choices, lifetime_label
from components.share_store import LIMIT_VARIABLES, ShareLimits, ShareStore

APP = str(Path(__file__).resolve().parents[2] / "app.py")
START = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


class Clock:
    """The time the app's share store reads (it takes its clock when it is created)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """A settable clock for every store made in the test (the app's cached one too), and default limits."""
    for variable in LIMIT_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    settable = Clock()
    monkeypatch.setattr(share_store, "_utc_now", settable)
    yield settable


def fresh(token: str | None = None) -> AppTest:
    """A new browser session (nothing of an earlier one), opening ``?c=token`` when given."""
    at = AppTest.from_file(APP, default_timeout=60)
    if token:
        at.query_params["c"] = token
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def share(at: AppTest, days: int | None = None) -> tuple[str, str, str]:
    """Click Share (after choosing the lifetime); the link, its token and the delete key the page shows."""
    if days is not None:
        at.selectbox(key="sidebar_share_days").set_value(days)
    at.button(key="sidebar_share").click().run()
    assert not at.exception, [e.value for e in at.exception]
    codes = [code.value for code in at.code]
    link = next(value for value in codes if "?c=" in value)
    key = next(value for value in codes if "?c=" not in value)
    return link, link.rsplit("?c=", 1)[1], key


def delete(at: AppTest, link: str, key: str) -> AppTest:
    """Open the delete form, paste a link and a key, and submit."""
    at.toggle(key="sidebar_delete_open").set_value(True).run()
    at.text_input(key="sidebar_delete_link").set_value(link)
    at.text_input(key="sidebar_delete_key").set_value(key)
    at.button(key="sidebar_delete_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def alerts(at: AppTest) -> dict[str, list[str]]:
    """The alerts of the page's main area (a link that does not open says so there)."""
    return {"error": [a.value for a in at.main.error], "info": [a.value for a in at.main.info]}


def sidebar_alerts(at: AppTest) -> dict[str, list[str]]:
    """The Share section's alerts."""
    side = at.sidebar
    return {"success": [a.value for a in side.success], "info": [a.value for a in side.info],
            "error": [a.value for a in side.error], "warning": [a.value for a in side.warning]}


def test_the_expiry_choices_stop_at_the_servers_maximum() -> None:
    assert lifetime_choices(ShareLimits()) == [1, 7, 30, 90, 365]
    assert lifetime_choices(ShareLimits(lifetime_days=14, max_lifetime_days=60)) == [1, 7, 14, 30, 60]
    assert lifetime_choices(ShareLimits(lifetime_days=1, max_lifetime_days=1)) == [1]
    assert lifetime_label(1, ShareLimits(lifetime_days=1, max_lifetime_days=1)) == (
        "1 day (default, the longest this server allows)")
    assert lifetime_label(7, ShareLimits()) == "7 days"


def test_the_share_expires_when_the_sharer_chose(share_db: Path, clock: Clock) -> None:
    at = fresh()
    select = at.selectbox(key="sidebar_share_days")
    assert select.options == ["1 day", "7 days", "30 days (default)", "90 days",
                              "365 days (the longest this server allows)"]
    assert select.value == 30
    _, token, _ = share(at, days=7)
    shared = ShareStore(share_db).load(token)
    assert shared is not None and (shared.created_at, shared.expires_at) == (
        "2025-06-01T12:00:00+00:00", "2025-06-08T12:00:00+00:00")
    assert any("until 2025-06-08 12:00 UTC" in caption.value for caption in at.caption)


def test_the_servers_maximum_limits_the_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_COMPARE_SHARE_DAYS", "3")
    monkeypatch.setenv("MODEL_COMPARE_SHARE_MAX_DAYS", "10")
    at = fresh()
    select = at.selectbox(key="sidebar_share_days")
    assert (select.options, select.value) == (["1 day", "3 days (default)", "7 days",
                                              "10 days (the longest this server allows)"], 3)


def test_an_expired_link_says_it_has_expired(share_db: Path, clock: Clock) -> None:
    at = fresh()
    _, token, key = share(at, days=1)
    clock.now += timedelta(days=1, seconds=-1)
    assert any("Shared view" in info.value for info in fresh(token).info)
    clock.now += timedelta(seconds=1)
    opened = fresh(token)
    assert alerts(opened)["error"] == ["This shared link has expired (on 2025-06-02 12:00 UTC); ask whoever shared "
                                       "it for a new one. Showing the demo comparison instead; upload your own files "
                                       "on the Data page."]
    assert any("Demo data" in info.value for info in opened.info)
    ShareStore(share_db).purge_expired()  # its files are gone; the link still says why it does not open
    assert "has expired" in alerts(fresh(token))["error"][0]
    assert sidebar_alerts(delete(fresh(), token, key))["info"] == [
        "This link has expired; it no longer opens and its files are removed."]


def test_the_delete_key_is_shown_once_with_a_copy_button_and_a_note(share_db: Path) -> None:
    at = fresh()
    link, token, key = share(at)
    assert len(key) == 32 and ShareStore(share_db).delete_share(token, "W" * 32) == "wrong_key"
    assert [warning.value for warning in at.sidebar.warning] == [
        "**Delete key: copy it now, it will not be shown again.** With it you can delete this link later from any "
        "browser (Delete a shared link, below) or on the server."]
    at.run()
    assert [code.value for code in at.code] == [link]
    assert not at.sidebar.warning


def test_a_later_session_deletes_the_link_with_its_key(share_db: Path) -> None:
    link, token, key = share(fresh())
    later = fresh()
    assert not [box for box in later.text_input if box.key.startswith("sidebar_delete")]  # only when asked for
    delete(later, link, "W" * 32)
    assert sidebar_alerts(later)["error"] == ["Not deleted: that delete key does not belong to this link. The key was shown "
                                      "once, when the link was made."]
    assert ShareStore(share_db).load(token) is not None
    assert later.text_input(key="sidebar_delete_link").value == link  # kept, to correct the key
    delete(later, link, key)
    assert sidebar_alerts(later)["success"] == ["Deleted: the link no longer opens."]
    assert ShareStore(share_db).load(token) is None
    assert later.text_input(key="sidebar_delete_key").value == ""
    opened = fresh(token)
    assert alerts(opened)["error"][0].startswith("This shared link was deleted by whoever shared it.")
    delete(later, token, key)  # the bare token works too
    assert sidebar_alerts(later)["info"] == ["This link was already deleted; nothing to do."]


@pytest.mark.parametrize(("link", "key", "message"), [
    ("https://example.org/", "K" * 32, "Not deleted: that is not a share link."),
    ("", "K" * 32, "Not deleted: that is not a share link."),
    ("A" * 32, "too short", "Not deleted: that is not a delete key."),
    ("https://example.org/?c=" + "A" * 32, "K" * 32, "Not deleted: this server has no such link."),
])
def test_bad_input_says_what_is_wrong(link: str, key: str, message: str) -> None:
    at = delete(fresh(), link, key)
    assert len(sidebar_alerts(at)["error"]) == 1 and sidebar_alerts(at)["error"][0].startswith(message)


def test_a_shared_view_offers_its_own_link_and_leaves_once_deleted(share_db: Path) -> None:
    _, token, key = share(fresh())
    viewer = fresh(token)
    assert any("Shared view" in info.value for info in viewer.info)
    assert not [button for button in viewer.button if button.key == "sidebar_share"]  # read-only: no re-sharing
    viewer.toggle(key="sidebar_delete_open").set_value(True).run()
    assert viewer.text_input(key="sidebar_delete_link").value == token
    viewer.text_input(key="sidebar_delete_key").set_value(key)
    viewer.button(key="sidebar_delete_submit").click().run()
    assert not viewer.exception
    assert sidebar_alerts(viewer)["success"] == ["Deleted: the link no longer opens. You were viewing it: the demo comparison "
                                         "is shown now."]
    assert not any("Shared view" in info.value for info in viewer.info)
    assert any("Demo data" in info.value for info in viewer.info)
    assert "c" not in viewer.query_params and ShareStore(share_db).load(token) is None


def test_the_delete_button_of_this_sessions_link_says_it_deleted(share_db: Path) -> None:
    at = fresh()
    _, token, _ = share(at)
    at.button(key=f"sidebar_delete_{token}").click().run()
    assert not at.exception
    assert sidebar_alerts(at)["success"] == ["Deleted: the link no longer opens."]
    assert ShareStore(share_db).status(token).state == "deleted"
