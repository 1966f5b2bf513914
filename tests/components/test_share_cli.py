"""``python -m components.share_cli``: delete a shared link with its key, or say where it stands."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from components.share_cli import main
from components.share_store import LIMIT_VARIABLES, ShareStore

ROOT = Path(__file__).resolve().parents[2]
FILES = [("base.csv", b"id,label\n1,a\n")]


@pytest.fixture(autouse=True)
def no_share_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (*LIMIT_VARIABLES.values(), "MODEL_COMPARE_SHARE_DB"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def store(tmp_path: Path) -> ShareStore:
    return ShareStore(tmp_path / "shares.sqlite3")


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    """Run the command line in a child process: its status, standard output and standard error."""
    result = subprocess.run([sys.executable, "-m", "components.share_cli", *argv], cwd=ROOT, input=stdin,
                            capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout, result.stderr


def test_the_right_key_deletes_and_the_link_then_reports_deleted(store: ShareStore) -> None:
    token, key = store.save(FILES, {})
    link = f"https://models.example/overview?c={token}"
    status, out, err = run("delete", link, "--key", key, "--store", str(store.path))
    assert (status, out, err) == (0, f"deleted: the link {token} no longer opens\n", "")
    assert store.load(token) is None
    assert run("delete", link, "--key", key, "--store", str(store.path)) == (
        0, f"nothing to delete: the link {token} was already deleted\n", "")
    assert run("status", link, "--store", str(store.path)) == (0, f"deleted: the link {token} was deleted\n", "")


def test_a_wrong_key_exits_2_and_deletes_nothing(store: ShareStore, capsys: pytest.CaptureFixture[str]) -> None:
    token, _ = store.save(FILES, {})
    assert main(["delete", token, "--key", "W" * 32, "--store", str(store.path)]) == 2
    assert capsys.readouterr() == ("", f"error: that delete key does not belong to the link {token}; nothing was deleted\n")
    assert store.load(token) is not None


@pytest.mark.parametrize(("link", "key", "message"), [
    ("https://models.example/", "K" * 32, "error: LINK_OR_TOKEN must be a share link (…/?c=TOKEN) or its 32-character "
                                          "token, not 'https://models.example/'\n"),
    ("A" * 32, "short", "error: a delete key has 32 characters (letters, digits, '-' and '_'); check --key\n"),
])
def test_malformed_input_exits_2_with_one_line(store: ShareStore, capsys: pytest.CaptureFixture[str], link: str, key: str,
                                               message: str) -> None:
    assert main(["delete", link, "--key", key, "--store", str(store.path)]) == 2
    assert capsys.readouterr() == ("", message)


def test_an_unknown_link_exits_2_and_names_the_store(store: ShareStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["delete", "U" * 32, "--key", "K" * 32, "--store", str(store.path)]) == 2
    assert capsys.readouterr().err == (f"error: the share store {store.path} has no link {'U' * 32} (check the link and "
                                       "--store); nothing was deleted\n")
    assert main(["status", "U" * 32, "--store", str(store.path)]) == 2


def test_a_missing_store_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo" / "shares.sqlite3"
    assert main(["delete", "A" * 32, "--key", "K" * 32, "--store", str(missing)]) == 2
    assert capsys.readouterr().err == (f"error: there is no share store at {missing} (--store or MODEL_COMPARE_SHARE_DB "
                                       "names it)\n")
    assert not (tmp_path / "typo").exists()


def test_the_store_comes_from_the_environment_and_the_key_from_stdin(store: ShareStore, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    token, key = store.save(FILES, {})
    monkeypatch.setenv("MODEL_COMPARE_SHARE_DB", str(store.path))
    assert main(["delete", token, "--key", "-"], stdin=io.StringIO(f"  {key}\n")) == 0
    assert capsys.readouterr().out == f"deleted: the link {token} no longer opens\n"


def test_an_expired_link_has_nothing_to_delete(store: ShareStore, capsys: pytest.CaptureFixture[str]) -> None:
    long_ago = ShareStore(store.path, clock=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    token, _ = long_ago.save(FILES, {}, expires_in_days=1)
    assert main(["status", token, "--store", str(store.path)]) == 0
    assert capsys.readouterr().out == f"expired: the link {token} stopped working at 2020-01-02T00:00:00+00:00\n"
    assert main(["delete", token, "--key", "W" * 32, "--store", str(store.path)]) == 0
    assert capsys.readouterr().out == f"nothing to delete: the link {token} has expired\n"
    assert store.status(token).state == "expired"


def test_status_of_an_active_link_gives_its_expiry(store: ShareStore, capsys: pytest.CaptureFixture[str]) -> None:
    token, _ = store.save(FILES, {}, expires_in_days=7)
    assert main(["status", f"?c={token}", "--store", str(store.path)]) == 0
    expires_at = store.status(token).expires_at
    assert capsys.readouterr().out == f"active: the link {token} opens until {expires_at}\n"


def test_a_read_only_store_says_so_without_a_traceback(store: ShareStore, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    token, key = store.save(FILES, {})
    monkeypatch.setenv("MODEL_COMPARE_SHARE_DAYS", "0")  # an invalid setting turns writing off
    assert main(["delete", token, "--key", key, "--store", str(store.path)]) == 2
    assert capsys.readouterr().err.startswith(
        "error: sharing is unavailable: the share settings on this server are invalid (sharing is off: "
        "MODEL_COMPARE_SHARE_DAYS='0' is not a positive whole number)")
    assert store.load(token) is not None


def test_help_shows_an_example_and_usage_errors_exit_2() -> None:
    status, out, _ = run("--help")
    assert status == 0 and "python -m components.share_cli delete 'https://models.example/?c=TOKEN' --key DELETE_KEY" in out
    status, out, _ = run("delete", "--help")
    assert status == 0 and "--key KEY" in out and "--store PATH" in out and "exit status: 0" in out
    status, _, err = run("delete", "A" * 32)
    assert status == 2 and "the following arguments are required: --key" in err
    status, _, err = run()
    assert status == 2 and "usage: python -m components.share_cli" in err


def test_the_command_line_imports_no_ui() -> None:
    code = "import sys, components.share_cli; print(sorted({'streamlit', 'plotly'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_delete_key_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key starting with '-' would be read as an option after --key (it happened in a CI run: one key in 64)."""
    import secrets

    from components import share_links

    drawn = iter(["-A2glaQ6idj", "-x", "Bq7"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda size: next(drawn))
    assert share_links.new_secret() == "Bq7"
