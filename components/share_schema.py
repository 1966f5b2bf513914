"""The share store's SQLite file: its schema, versions and migrations, and the bookkeeping of ended shares.

Schema (``PRAGMA user_version = 3``)::

    shares(token TEXT PRIMARY KEY, delete_key_sha256 TEXT, created_at TEXT, expires_at TEXT, payload TEXT)
    blobs(sha256 TEXT PRIMARY KEY, content BLOB)
    share_files(token TEXT REFERENCES shares ON DELETE CASCADE, position INTEGER,
                filename TEXT, sha256 TEXT REFERENCES blobs, PRIMARY KEY (token, position))
    ended_shares(token_sha256 TEXT PRIMARY KEY, reason TEXT ('expired' or 'deleted'), ended_at TEXT)

``ended_shares`` remembers, by a hash of the token, the links that expired or were deleted (for
``ENDED_KEPT_DAYS``), so that opening one says "this link has expired" rather than "unknown"
(:meth:`ShareStore.status`).

Times are ISO 8601 in UTC (``2025-01-31T12:00:00+00:00``). Version 1 kept each file's ``content`` in
``share_files`` and had no ``expires_at``; version 2 had no ``ended_shares``. A writable store migrates
either to version 3 when opened (version-1 shares then expire a default lifetime after the upgrade, so
no link breaks when the server is upgraded); a read-only store reads them as they are, version-1 shares
without an expiry.

Files are private to their owner: folders the store creates are ``0700``, the database ``0600`` (SQLite
gives its ``-journal``/``-wal`` files the database's mode).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .share_errors import _UNREADABLE, ShareUnavailable
from .share_links import ShareState, _hash_token

__all__ = ["ENDED_KEPT_DAYS"]

ENDED_KEPT_DAYS = 365  # how long an expired or deleted link still says so, instead of "unknown"
_SCHEMA_VERSION = 3
_SCHEMA = (  # statement by statement: executescript would commit the migration's transaction half-way
    """CREATE TABLE shares (
        token TEXT PRIMARY KEY,
        delete_key_sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        payload TEXT NOT NULL
    )""",
    "CREATE INDEX shares_created_at ON shares (created_at)",
    "CREATE INDEX shares_expires_at ON shares (expires_at)",
    "CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, content BLOB NOT NULL)",
    """CREATE TABLE share_files (
        token TEXT NOT NULL REFERENCES shares(token) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        filename TEXT NOT NULL,
        sha256 TEXT NOT NULL REFERENCES blobs(sha256),
        PRIMARY KEY (token, position)
    )""",
    "CREATE INDEX share_files_sha256 ON share_files (sha256)",
)
_SCHEMA_3 = (  # added by version 3
    """CREATE TABLE ended_shares (
        token_sha256 TEXT PRIMARY KEY,
        reason TEXT NOT NULL CHECK (reason IN ('expired', 'deleted')),
        ended_at TEXT NOT NULL
    )""",
    "CREATE INDEX ended_shares_ended_at ON ended_shares (ended_at)",
)


def _sha256(content: bytes) -> str:
    """The hex SHA-256 of a file's bytes: its key in ``blobs``."""
    return hashlib.sha256(content).hexdigest()


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second: one format, so stored times compare as strings."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _make_private_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each ``0700`` (only the owner may list or enter them)."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=0o700)
        except FileExistsError:  # another process made it first: its mode is its own
            continue
        created.chmod(0o700)  # mkdir's mode passes through the umask


def _create_private_file(path: Path) -> None:
    """Create an empty ``0600`` database file unless one exists (SQLite would create it with the umask)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # an existing store, or a directory in its place (SQLite reports that one)
        return
    try:
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


@contextmanager
def _transaction(connection: sqlite3.Connection, *, write: bool) -> Iterator[sqlite3.Connection]:
    """One transaction, committed on success; a write takes the lock at once so checks and inserts agree."""
    connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield connection
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _version(connection: sqlite3.Connection) -> int:
    """The schema version; raises ``ShareUnavailable`` for a database that is not a share store this code reads."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version == 0 and connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
        raise ShareUnavailable(_UNREADABLE, "the database has tables but no share-store version")
    if version not in (0, 1, 2, _SCHEMA_VERSION):
        raise ShareUnavailable(_UNREADABLE, f"schema version {version} is newer than this code ({_SCHEMA_VERSION})")
    return int(version)


def _migrate(connection: sqlite3.Connection, version: int, expires_at: str) -> None:
    """Bring an empty, version-1 or version-2 database to the current schema, inside the caller's transaction.

    Version-1 shares were made with no expiry: they get ``expires_at`` (a full lifetime from the upgrade),
    so that no link stops working the moment the server is upgraded. Version 3 adds ``ended_shares``.

    Sets ``user_version`` even when it is current: that write is how opening finds out the store is writable.
    """
    if version == 1:  # rename aside (SQLite repoints share_files' foreign key), create, copy, drop
        connection.execute("ALTER TABLE share_files RENAME TO share_files_v1")
        connection.execute("ALTER TABLE shares RENAME TO shares_v1")
    for statement in (*(_SCHEMA if version < 2 else ()), *(_SCHEMA_3 if version < 3 else ())):
        connection.execute(statement)
    if version == 1:
        connection.create_function("sha256", 1, _sha256, deterministic=True)
        connection.execute("INSERT INTO shares SELECT token, delete_key_sha256, created_at, ?, payload FROM shares_v1",
                           (expires_at,))
        connection.execute("INSERT OR IGNORE INTO blobs SELECT sha256(content), content FROM share_files_v1")
        connection.execute("INSERT INTO share_files SELECT token, position, filename, sha256(content) FROM share_files_v1")
        connection.execute("DROP TABLE share_files_v1")
        connection.execute("DROP TABLE shares_v1")
    connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")


def _remove_unused_blobs(connection: sqlite3.Connection) -> None:
    """Delete the contents no share refers to any more."""
    connection.execute("DELETE FROM blobs WHERE NOT EXISTS (SELECT 1 FROM share_files WHERE share_files.sha256 = blobs.sha256)")


def _end(connection: sqlite3.Connection, ended: Sequence[tuple[str, str, str]]) -> None:
    """Remember ``(token, reason, ended_at)`` of shares that end, so their links say why they no longer open."""
    connection.executemany("INSERT OR REPLACE INTO ended_shares VALUES (?, ?, ?)",
                           [(_hash_token(token), reason, ended_at) for token, reason, ended_at in ended])


def _purge(connection: sqlite3.Connection, now: datetime) -> int:
    """Delete the shares expired at ``now`` and their unused contents, and forget links that ended more than
    ``ENDED_KEPT_DAYS`` ago; return how many shares went."""
    moment = _timestamp(now)
    connection.execute("DELETE FROM ended_shares WHERE ended_at <= ?",
                       (_timestamp(now - timedelta(days=ENDED_KEPT_DAYS)),))
    expired = connection.execute("SELECT token, expires_at FROM shares WHERE expires_at <= ?", (moment,)).fetchall()
    if not expired:
        return 0
    _end(connection, [(token, ShareState.EXPIRED.value, expires_at) for token, expires_at in expired])
    connection.execute("DELETE FROM share_files WHERE token IN (SELECT token FROM shares WHERE expires_at <= ?)", (moment,))
    removed = connection.execute("DELETE FROM shares WHERE expires_at <= ?", (moment,)).rowcount
    _remove_unused_blobs(connection)
    return int(removed)
