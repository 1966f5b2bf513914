"""ShareStore's protections: file modes, read-only and unavailable stores, quotas, rate, expiry, de-duplication, migration."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from components.share_store import (
    ENDED_KEPT_DAYS,
    LIMIT_VARIABLES,
    DeleteOutcome,
    ShareError,
    ShareRefused,
    ShareState,
    ShareStatus,
    ShareStore,
    ShareUnavailable,
)

ROOT = Path(__file__).resolve().parents[2]
FILES = [("base.csv", b"id,label\n1,a\n"), ("tuned.parquet", bytes(range(256)))]
PAYLOAD = {"names": ["base", "tuned"]}
START = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
# Today's (version 1) schema, as shipped before expiry and de-duplication.
SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS shares (
    token TEXT PRIMARY KEY,
    delete_key_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS share_files (
    token TEXT NOT NULL REFERENCES shares(token) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    filename TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (token, position)
);
PRAGMA user_version = 1;
"""


class Clock:
    """A settable clock for the store's ``clock`` argument."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def no_limit_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The defaults, whatever the developer's environment says."""
    for variable in LIMIT_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def query(path: Path, sql: str, *parameters: object) -> list[tuple]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as connection:
        return connection.execute(sql, parameters).fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """Make a file or folder unwritable for this process: chmod, or as root (who ignores modes) ``chattr +i``."""
    if os.geteuid() != 0:
        original = mode(path)
        path.chmod(original & ~0o222)
        try:
            yield
        finally:
            path.chmod(original)
        return
    made = shutil.which("chattr") is not None and not subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode
    assert made, "running as root, chattr +i (e2fsprogs) must work here to make a path unwritable; it never skips"
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


# --- file modes -----------------------------------------------------------------------------------

def test_created_folders_are_0700_and_the_database_and_its_side_files_0600(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    previous = os.umask(0)  # the loosest umask: the modes must come from the store, not from the umask
    try:
        store = ShareStore(tmp_path / "a" / "b" / "shares.sqlite3")
        store.save(FILES, PAYLOAD)
    finally:
        os.umask(previous)
    assert (mode(tmp_path), mode(tmp_path / "a"), mode(tmp_path / "a" / "b")) == (0o755, 0o700, 0o700)
    assert mode(store.path) == 0o600
    with sqlite3.connect(store.path, isolation_level=None) as connection:  # a write in progress has a journal
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("DELETE FROM share_files")
        assert mode(Path(f"{store.path}-journal")) == 0o600
        connection.execute("ROLLBACK")
        assert connection.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
        connection.execute("DELETE FROM share_files")
        assert mode(Path(f"{store.path}-wal")) == 0o600 and mode(Path(f"{store.path}-shm")) == 0o600


# --- read-only and unavailable stores -------------------------------------------------------------

def assert_read_only(store: ShareStore, token: str, path: Path) -> None:
    assert (store.readable, store.writable) == (True, False)
    assert store.unavailable_reason == "the share store is read-only"
    assert store.unavailable_detail is not None and str(path) in store.unavailable_detail
    assert store.load(token).payload == PAYLOAD  # type: ignore[union-attr]
    for attempt in (lambda: store.save(FILES, PAYLOAD), lambda: store.delete(token, "k" * 32), store.purge_expired):
        with pytest.raises(ShareUnavailable) as raised:
            attempt()
        assert str(raised.value) == "sharing is unavailable: the share store is read-only"
        assert raised.value.reason == "the share store is read-only" and str(path) in raised.value.detail


@pytest.mark.parametrize("locked", ["file", "folder"])
def test_an_unwritable_file_or_folder_opens_read_only_and_existing_links_still_work(tmp_path: Path, locked: str) -> None:
    path = tmp_path / "store" / "shares.sqlite3"
    token, _ = ShareStore(path).save(FILES, PAYLOAD)
    before = digest(path)
    with unwritable(path if locked == "file" else path.parent):
        assert_read_only(ShareStore(path), token, path)
    assert digest(path) == before and sorted(p.name for p in path.parent.iterdir()) == ["shares.sqlite3"]


def test_read_only_true_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "shares.sqlite3"
    token, _ = ShareStore(path).save(FILES, PAYLOAD)
    before = (digest(path), os.stat(path).st_mtime_ns)
    assert_read_only(ShareStore(path, read_only=True), token, path)
    assert (digest(path), os.stat(path).st_mtime_ns) == before


def unshare_works() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode == 0


def test_a_read_only_filesystem_keeps_existing_links_working(tmp_path: Path) -> None:
    """The folder is bind-mounted read-only in a private mount namespace (root ignores modes, not a ro mount)."""
    assert unshare_works(), "needs root and unshare --mount (util-linux) for a private read-only bind mount"
    folder = tmp_path / "store"
    token, _ = ShareStore(folder / "shares.sqlite3").save(FILES, PAYLOAD)
    before = digest(folder / "shares.sqlite3")
    code = """if True:
        import json, sys
        from components.share_store import ShareStore, ShareUnavailable
        folder = sys.argv[1]
        stores = {name: ShareStore(f"{folder}/{name}") for name in ("shares.sqlite3", "absent.sqlite3", "new/s.sqlite3")}
        result = {name: [s.readable, s.writable, s.unavailable_reason] for name, s in stores.items()}
        result["payload"] = stores["shares.sqlite3"].load(sys.argv[2]).payload
        try:
            stores["shares.sqlite3"].save([("a.csv", b"x")], {})
        except ShareUnavailable as error:
            result["save"] = str(error)
        print(json.dumps(result))
    """
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && touch "$1/probe" 2>/dev/null; shift; exec "$@"'
    completed = subprocess.run(["unshare", "--mount", "sh", "-c", script, "sh", str(folder), sys.executable, "-c", code,
                                str(folder), token], cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(completed.stdout)
    assert result["shares.sqlite3"] == [True, False, "the share store is read-only"]
    assert result["payload"] == PAYLOAD
    assert result["save"] == "sharing is unavailable: the share store is read-only"
    assert result["absent.sqlite3"] == result["new/s.sqlite3"] == [False, False, "the share store cannot be opened"]
    assert digest(folder / "shares.sqlite3") == before
    assert sorted(p.name for p in folder.iterdir()) == ["shares.sqlite3"]  # the probe could not be written


def not_a_database(tmp_path: Path) -> Path:
    path = tmp_path / "shares.sqlite3"
    path.write_bytes(b"id,label\n1,a\n" * 100)
    return path


def a_directory(tmp_path: Path) -> Path:
    (tmp_path / "shares.sqlite3").mkdir()
    return tmp_path / "shares.sqlite3"


def under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "file.txt").write_text("not a folder")
    return tmp_path / "file.txt" / "shares" / "shares.sqlite3"


def another_apps_database(tmp_path: Path) -> Path:
    with closing_connection(tmp_path / "other.sqlite3") as connection:
        connection.execute("CREATE TABLE users (name TEXT)")
    return tmp_path / "other.sqlite3"


def a_newer_version(tmp_path: Path) -> Path:
    path = tmp_path / "shares.sqlite3"
    ShareStore(path).save(FILES, PAYLOAD)
    with closing_connection(path) as connection:
        connection.execute("PRAGMA user_version = 4")
    return path


@contextmanager
def closing_connection(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path)
    try:
        with connection:
            yield connection
    finally:
        connection.close()


@pytest.mark.parametrize("make", [not_a_database, a_directory, under_a_file, another_apps_database, a_newer_version])
def test_a_store_that_cannot_be_read_is_unavailable_without_a_traceback(tmp_path: Path, make) -> None:
    path = make(tmp_path)
    before = digest(path) if path.is_file() else None
    store = ShareStore(path)
    assert (store.readable, store.writable) == (False, False)
    assert store.unavailable_reason == "the share store cannot be opened"
    assert str(tmp_path) not in store.unavailable_reason and str(path) in store.unavailable_detail  # type: ignore[operator]
    assert store.load("not a token") is None
    with pytest.raises(ShareUnavailable, match=r"^sharing is unavailable: the share store cannot be opened$") as raised:
        store.load("A" * 32)
    assert str(path) in raised.value.detail and str(path) not in str(raised.value)
    with pytest.raises(ShareUnavailable):
        store.save(FILES, PAYLOAD)
    with pytest.raises(ShareUnavailable):
        store.delete("A" * 32, "B" * 32)
    assert (digest(path) if path.is_file() else None) == before


def test_a_store_damaged_after_opening_raises_share_unavailable(tmp_path: Path) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3")
    token, key = store.save(FILES, PAYLOAD)
    store.path.write_bytes(b"garbage" * 1000)
    with pytest.raises(ShareUnavailable, match="cannot be opened"):
        store.load(token)
    with pytest.raises(ShareUnavailable, match="cannot be written"):
        store.delete(token, key)


# --- quotas and rate --------------------------------------------------------------------------------

def count(path: Path, table: str) -> int:
    return query(path, f"SELECT COUNT(*) FROM {table}")[0][0]


def stored_bytes(path: Path) -> int:
    return query(path, "SELECT COALESCE(SUM(LENGTH(content)), 0) FROM blobs")[0][0]


def test_a_share_larger_than_max_share_bytes_is_refused(tmp_path: Path) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3", max_share_bytes=300)
    store.save([("a.csv", b"a" * 200), ("b.csv", b"b" * 100)], {})  # exactly the limit
    with pytest.raises(ShareRefused) as raised:
        store.save([("a.csv", b"a" * 200), ("c.csv", b"c" * 101)], {})
    assert str(raised.value) == ("this comparison's files take 301 bytes; a share holds at most 300 bytes "
                                 "(MODEL_COMPARE_SHARE_MAX_BYTES raises it)")
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, ShareError)
    assert count(store.path, "shares") == 1


def test_the_total_counts_stored_bytes_once_and_refuses_beyond_max_total_bytes(tmp_path: Path) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3", max_total_bytes=2_500_000)
    first, key = store.save([("a.csv", b"a" * 1_000_000)], {})
    store.save([("b.csv", b"b" * 1_000_000)], {})
    store.save([("again.csv", b"a" * 1_000_000), ("b.csv", b"b" * 1_000_000)], {})  # no new bytes
    with pytest.raises(ShareRefused) as raised:
        store.save([("c.csv", b"c" * 1_000_000)], {})
    assert str(raised.value) == ("the share store is full: 2 MB of 2.5 MB are used and this comparison needs 1 MB more "
                                 "(MODEL_COMPARE_SHARE_TOTAL_BYTES raises the limit)")
    assert (count(store.path, "shares"), stored_bytes(store.path)) == (3, 2_000_000)
    store.delete(first, key)  # "a" is still used by the third share: nothing is freed
    with pytest.raises(ShareRefused):
        store.save([("c.csv", b"c" * 1_000_000)], {})


def test_expired_shares_are_removed_before_the_total_is_checked(tmp_path: Path, clock: Clock) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3", max_total_bytes=150, clock=clock)
    old, _ = store.save([("a.csv", b"a" * 100)], {}, expires_in_days=1)
    with pytest.raises(ShareRefused):
        store.save([("b.csv", b"b" * 100)], {})
    clock.advance(days=1)
    store.save([("b.csv", b"b" * 100)], {})
    assert store.load(old) is None and stored_bytes(store.path) == 100
    assert query(store.path, "SELECT COUNT(*) FROM shares WHERE token = ?", old) == [(0,)]


def test_at_most_saves_per_minute_saves_in_any_minute(tmp_path: Path, clock: Clock) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3", clock=clock)
    assert store.limits.saves_per_minute == 30
    for _ in range(30):
        store.save(FILES, PAYLOAD)
    with pytest.raises(ShareRefused) as raised:
        store.save(FILES, PAYLOAD)
    assert str(raised.value) == ("too many shares: at most 30 a minute on this server; try again in a minute "
                                 "(MODEL_COMPARE_SHARE_SAVES_PER_MINUTE raises it)")
    clock.advance(seconds=59)
    with pytest.raises(ShareRefused):
        store.save(FILES, PAYLOAD)
    clock.advance(seconds=1)
    store.save(FILES, PAYLOAD)
    assert count(store.path, "shares") == 31 and count(store.path, "blobs") == 2


def test_limits_come_from_arguments_then_environment_then_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ShareStore(tmp_path / "a.sqlite3").limits.__dict__ == {
        "max_share_bytes": 200_000_000, "max_total_bytes": 2_000_000_000, "lifetime_days": 30,
        "max_lifetime_days": 365, "saves_per_minute": 30}
    values = {"max_share_bytes": 10, "max_total_bytes": 20, "lifetime_days": 3, "max_lifetime_days": 4,
              "saves_per_minute": 5}
    for name, value in values.items():
        monkeypatch.setenv(LIMIT_VARIABLES[name], f" {value} ")
    assert ShareStore(tmp_path / "b.sqlite3").limits.__dict__ == values
    assert ShareStore(tmp_path / "c.sqlite3", max_share_bytes=11).limits.max_share_bytes == 11
    with pytest.raises(ShareRefused, match="MODEL_COMPARE_SHARE_MAX_BYTES"):
        ShareStore(tmp_path / "b.sqlite3").save([("a.csv", b"x" * 11)], {})


@pytest.mark.parametrize(("variable", "value"), [("MODEL_COMPARE_SHARE_MAX_BYTES", "lots"),
                                                 ("MODEL_COMPARE_SHARE_DAYS", "0"),
                                                 ("MODEL_COMPARE_SHARE_MAX_DAYS", "-1"),
                                                 ("MODEL_COMPARE_SHARE_DAYS", "400")])
def test_an_invalid_environment_variable_turns_sharing_off_but_links_still_open(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    path = tmp_path / "shares.sqlite3"
    token, _ = ShareStore(path).save(FILES, PAYLOAD)
    monkeypatch.setenv(variable, value)
    store = ShareStore(path)
    assert (store.readable, store.writable) == (True, False)
    assert store.unavailable_reason == "the share settings on this server are invalid"
    assert variable in store.unavailable_detail  # type: ignore[operator]
    assert store.load(token).payload == PAYLOAD  # type: ignore[union-attr]
    with pytest.raises(ShareUnavailable, match="settings on this server are invalid"):
        store.save(FILES, PAYLOAD)


@pytest.mark.parametrize("arguments", [{"max_share_bytes": 0}, {"saves_per_minute": -1}, {"max_total_bytes": 1.5},
                                       {"lifetime_days": True}, {"lifetime_days": 10, "max_lifetime_days": 9}])
def test_invalid_limit_arguments_raise(tmp_path: Path, arguments: dict) -> None:
    with pytest.raises(ValueError):
        ShareStore(tmp_path / "shares.sqlite3", **arguments)


# --- expiry -----------------------------------------------------------------------------------------

def test_a_share_expires_after_its_lifetime(tmp_path: Path, clock: Clock) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3", clock=clock)
    token, _ = store.save(FILES, PAYLOAD)
    week, _ = store.save(FILES, PAYLOAD, expires_in_days=7)
    shared = store.load(token)
    assert shared is not None
    assert (shared.created_at, shared.expires_at) == ("2025-06-01T12:00:00+00:00", "2025-07-01T12:00:00+00:00")
    clock.advance(days=7)
    assert store.load(week) is None and store.load(token) is not None
    clock.advance(days=23, seconds=-1)
    assert store.load(token) is not None
    clock.advance(seconds=1)
    assert store.load(token) is None
    assert count(store.path, "shares") == 2  # loading never writes; purging does
    assert store.purge_expired() == 2
    assert (count(store.path, "shares"), count(store.path, "share_files"), count(store.path, "blobs")) == (0, 0, 0)


def test_purging_keeps_contents_that_a_live_share_uses(tmp_path: Path, clock: Clock) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3", clock=clock)
    store.save(FILES, PAYLOAD, expires_in_days=1)
    kept, _ = store.save(FILES[:1], PAYLOAD, expires_in_days=2)
    clock.advance(days=1)
    assert store.purge_expired() == 1
    assert store.load(kept).files == tuple(FILES[:1])  # type: ignore[union-attr]
    assert query(store.path, "SELECT LENGTH(content) FROM blobs") == [(len(FILES[0][1]),)]


def test_the_lifetime_is_between_one_day_and_the_maximum(tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3", clock=clock)
    assert store.load(store.save(FILES, PAYLOAD, expires_in_days=365)[0]).expires_at == "2026-06-01T12:00:00+00:00"  # type: ignore[union-attr]
    with pytest.raises(ShareRefused) as raised:
        store.save(FILES, PAYLOAD, expires_in_days=366)
    assert str(raised.value) == "a share can last at most 365 days, not 366 (MODEL_COMPARE_SHARE_MAX_DAYS raises it)"
    with pytest.raises(ShareRefused, match="at least 1 day, not 0"):
        store.save(FILES, PAYLOAD, expires_in_days=0)
    with pytest.raises(TypeError):
        store.save(FILES, PAYLOAD, expires_in_days=1.5)  # type: ignore[arg-type]
    monkeypatch.setenv("MODEL_COMPARE_SHARE_MAX_DAYS", "1000")
    monkeypatch.setenv("MODEL_COMPARE_SHARE_DAYS", "2")
    longer = ShareStore(tmp_path / "shares.sqlite3", clock=clock)
    assert longer.load(longer.save(FILES, PAYLOAD)[0]).expires_at == "2025-06-03T12:00:00+00:00"  # type: ignore[union-attr]
    longer.save(FILES, PAYLOAD, expires_in_days=1000)
    assert count(store.path, "shares") == 3


def test_the_clock_must_be_aware(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="aware"):
        ShareStore(tmp_path / "shares.sqlite3", clock=lambda: datetime(2025, 1, 1)).save(FILES, PAYLOAD)


# --- de-duplication ---------------------------------------------------------------------------------

def test_identical_files_are_stored_once_and_freed_with_their_last_share(tmp_path: Path) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3")
    big = bytes(range(256)) * 4096  # 1 MiB
    shares = [store.save([("base.csv", big), (f"tuned{i}.csv", FILES[0][1])], {"i": i}) for i in range(10)]
    shares.append(store.save([("renamed.csv", big), ("same.csv", big)], {}))
    assert count(store.path, "blobs") == 2 and count(store.path, "share_files") == 22
    assert stored_bytes(store.path) == len(big) + len(FILES[0][1])
    assert store.path.stat().st_size < 1.2 * len(big)  # eleven shares of the same megabyte: one megabyte on disk
    assert store.load(shares[-1][0]).files == (("renamed.csv", big), ("same.csv", big))  # type: ignore[union-attr]
    for token, key in shares[:-1]:
        assert store.delete(token, key)
    assert query(store.path, "SELECT LENGTH(content) FROM blobs") == [(len(big),)]
    assert store.delete(*shares[-1])
    assert count(store.path, "blobs") == 0


# --- migration from version 1 -----------------------------------------------------------------------

def version_1_store(path: Path) -> list[tuple[str, str]]:
    """A database written by the version-1 code: two recent shares of the same files, one older than 30 days."""
    tokens = [("T" * 31 + str(i), "K" * 31 + str(i)) for i in range(3)]
    created = ["2025-05-30T09:00:00+00:00", "2025-05-31T10:00:00+00:00", "2025-04-01T10:00:00+00:00"]
    with closing_connection(path) as connection:
        connection.executescript(SCHEMA_V1)
        for (token, key), when in zip(tokens, created, strict=True):
            connection.execute("INSERT INTO shares VALUES (?, ?, ?, ?)",
                               (token, hashlib.sha256(key.encode()).hexdigest(), when, json.dumps(PAYLOAD)))
            connection.executemany("INSERT INTO share_files VALUES (?, ?, ?, ?)",
                                   [(token, position, name, content) for position, (name, content) in enumerate(FILES)])
    return tokens


def test_a_read_only_store_reads_version_1_as_it_is(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "shares.sqlite3"
    (token, _), _, (old, _) = version_1_store(path)
    before = digest(path)
    store = ShareStore(path, read_only=True, clock=clock)
    shared = store.load(token)
    assert shared is not None and shared.files == tuple(FILES) and shared.payload == PAYLOAD
    assert (shared.created_at, shared.expires_at) == ("2025-05-30T09:00:00+00:00", None)  # shared with no expiry
    assert store.load(old) is not None  # 61 days old: a read-only store cannot expire what was shared for good
    assert digest(path) == before


def test_a_writable_store_migrates_version_1_to_version_3(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "shares.sqlite3"
    (first, first_key), (second, second_key), (old, _) = version_1_store(path)
    store = ShareStore(path, clock=clock)
    assert store.writable
    tables = {row[0] for row in query(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"shares", "blobs", "share_files", "ended_shares"} and query(path, "PRAGMA user_version") == [(3,)]
    assert query(path, "PRAGMA integrity_check") == [("ok",)] and query(path, "PRAGMA foreign_key_check") == []
    upgraded = (clock.now + timedelta(days=30)).isoformat(timespec="seconds")  # a full lifetime from the upgrade
    assert query(path, "SELECT token, expires_at FROM shares ORDER BY created_at") == [
        (old, upgraded), (first, upgraded), (second, upgraded)]
    assert count(path, "blobs") == 2 and stored_bytes(path) == sum(len(content) for _, content in FILES)
    shared = store.load(first)
    assert shared is not None and shared.files == tuple(FILES) and shared.payload == PAYLOAD
    assert store.load(old) is not None  # 61 days old, and its link still works after the upgrade
    assert store.delete(first, first_key)  # the version-1 key still deletes
    assert count(path, "blobs") == 2
    assert store.purge_expired() == 0 and store.delete(second, second_key)
    clock.now += timedelta(days=30)
    assert store.load(old) is None and store.purge_expired() == 1
    assert count(path, "blobs") == 0
    assert ShareStore(path).writable and query(path, "PRAGMA user_version") == [(3,)]  # opening again: nothing to do


# --- migration from version 2, and what an ended link says -------------------------------------------

def version_2_store(path: Path, clock: Clock) -> tuple[str, str]:
    """A database as the version-2 code left it: today's tables without ``ended_shares``, one share."""
    token, key = ShareStore(path, clock=clock).save(FILES, PAYLOAD, expires_in_days=7)
    with closing_connection(path) as connection:
        connection.execute("DROP TABLE ended_shares")
        connection.execute("PRAGMA user_version = 2")
    return token, key


def test_a_read_only_store_reads_version_2_as_it_is(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "shares.sqlite3"
    token, _ = version_2_store(path, clock)
    before = digest(path)
    store = ShareStore(path, read_only=True, clock=clock)
    assert store.load(token).payload == PAYLOAD  # type: ignore[union-attr]
    assert (store.status(token).state, store.status(token).expires_at) == ("active", "2025-06-08T12:00:00+00:00")
    assert store.status("A" * 32).state == "unknown"
    clock.advance(days=7)
    assert store.status(token).state == "expired" and store.load(token) is None
    assert digest(path) == before


def test_a_writable_store_migrates_version_2_to_version_3(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "shares.sqlite3"
    token, key = version_2_store(path, clock)
    store = ShareStore(path, clock=clock)
    assert store.writable and query(path, "PRAGMA user_version") == [(3,)]
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    assert query(path, "SELECT COUNT(*) FROM ended_shares") == [(0,)]
    assert store.load(token).files == tuple(FILES)  # type: ignore[union-attr]
    assert store.delete_share(token, key) == "deleted"
    assert store.status(token).state == "deleted"


def test_an_expired_link_still_says_expired_after_it_is_purged(tmp_path: Path, clock: Clock) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3", clock=clock)
    token, key = store.save(FILES, PAYLOAD, expires_in_days=1)
    assert store.status(token) == ShareStatus(ShareState.ACTIVE, "2025-06-02T12:00:00+00:00")
    clock.advance(days=1)
    assert store.status(token) == ShareStatus(ShareState.EXPIRED, "2025-06-02T12:00:00+00:00")
    assert store.purge_expired() == 1 and count(store.path, "shares") == 0
    assert store.status(token) == ShareStatus(ShareState.EXPIRED, "2025-06-02T12:00:00+00:00")
    assert store.delete_share(token, key) is DeleteOutcome.EXPIRED
    # only a hash of the token is remembered
    assert query(store.path, "SELECT * FROM ended_shares") == [
        (hashlib.sha256(token.encode()).hexdigest(), "expired", "2025-06-02T12:00:00+00:00")]
    clock.advance(days=ENDED_KEPT_DAYS)
    store.purge_expired()
    assert store.status(token).state == "unknown" and count(store.path, "ended_shares") == 0


def test_deleting_an_expired_share_purges_it_and_says_expired_whatever_the_key(tmp_path: Path, clock: Clock) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3", clock=clock)
    token, _ = store.save(FILES, PAYLOAD, expires_in_days=2)
    clock.advance(days=2)
    assert store.delete_share(token, "W" * 32) is DeleteOutcome.EXPIRED
    assert (count(store.path, "shares"), count(store.path, "blobs")) == (0, 0)
