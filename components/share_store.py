"""An embedded store of shared comparisons: SQLite through the standard library, no streamlit.

A shared comparison is the uploaded files (names and bytes) plus a JSON payload (model names,
column mapping, settings and view settings). Saving returns a public token, which goes in the link
(``?c=TOKEN``), and a private delete key, which only its owner holds; only a hash of the key is
stored. Nothing is stored unless someone shares. Every share expires (the sharer chooses when, up to
the server's maximum); identical files are stored once.

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

Limits (a constructor argument, else the environment variable, else the default):

=====================  ========================================  =======  =================================
argument               environment variable                      default  meaning
=====================  ========================================  =======  =================================
``max_share_bytes``    ``MODEL_COMPARE_SHARE_MAX_BYTES``         200 MB   the files of one share
``max_total_bytes``    ``MODEL_COMPARE_SHARE_TOTAL_BYTES``       2 GB     stored contents, each counted once
``lifetime_days``      ``MODEL_COMPARE_SHARE_DAYS``              30       a share's lifetime when not given
``max_lifetime_days``  ``MODEL_COMPARE_SHARE_MAX_DAYS``          365      the longest lifetime a save asks
``saves_per_minute``   ``MODEL_COMPARE_SHARE_SAVES_PER_MINUTE``  30       shares saved in the last 60 s
=====================  ========================================  =======  =================================

A save that breaks a limit raises :class:`ShareRefused` (expired shares are removed first); a load of an
expired share returns ``None``; ``purge_expired()`` removes expired shares and unused contents.
``delete_share(token, key)`` says what happened (:class:`DeleteOutcome`: deleted, wrong key, expired,
already deleted, unknown); ``token_from_link`` reads the token out of a pasted link.

The database is ``$MODEL_COMPARE_SHARE_DB``, else ``.shares/shares.sqlite3`` beside the app.

A store that cannot be written (read-only file, folder or filesystem; ``read_only=True``; an invalid
environment variable) still loads existing links; a store that cannot be read (a folder that cannot be
created, a directory, a file that is not a share store) is unavailable. Opening never raises for these:
``writable``, ``readable``, ``unavailable_reason`` (public) and ``unavailable_detail`` (with the path,
for logs) say what happened, and the operations raise :class:`ShareUnavailable`.

Exceptions::

    ShareError                      .reason: a message safe to show anyone (it names no server path)
    ├── ShareRefused (ValueError)   a save this store will not take: size, total, rate or lifetime
    └── ShareUnavailable            the store cannot be read (load) or written (save, delete, purge);
                                    .detail names the path, for the server's log

Examples
--------
>>> import tempfile, pathlib
>>> store = ShareStore(pathlib.Path(tempfile.mkdtemp()) / "shares.sqlite3")
>>> token, key = store.save([("base.csv", b"id,label\\n")], {"names": ["base"]})
>>> store.load(token).payload
{'names': ['base']}
>>> store.writable, store.unavailable_reason
(True, None)
>>> ShareStore(store.path, read_only=True).delete(token, key)
Traceback (most recent call last):
    ...
components.share_store.ShareUnavailable: sharing is unavailable: the share store is read-only
>>> store.delete(token, key), store.load(token), store.status(token).state
(True, None, <ShareState.DELETED: 'deleted'>)
>>> store.delete_share(token, key)
<DeleteOutcome.ALREADY_DELETED: 'already_deleted'>
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "DEFAULT_PATH",
    "ENDED_KEPT_DAYS",
    "ENVIRONMENT_VARIABLE",
    "LIMIT_VARIABLES",
    "DeleteOutcome",
    "ShareError",
    "ShareLimits",
    "ShareRefused",
    "ShareState",
    "ShareStatus",
    "ShareStore",
    "ShareUnavailable",
    "SharedComparison",
    "closed_link_message",
    "default_path",
    "expiry_text",
    "is_valid_token",
    "token_from_link",
]

ENVIRONMENT_VARIABLE = "MODEL_COMPARE_SHARE_DB"
LIMIT_VARIABLES = {
    "max_share_bytes": "MODEL_COMPARE_SHARE_MAX_BYTES",
    "max_total_bytes": "MODEL_COMPARE_SHARE_TOTAL_BYTES",
    "lifetime_days": "MODEL_COMPARE_SHARE_DAYS",
    "max_lifetime_days": "MODEL_COMPARE_SHARE_MAX_DAYS",
    "saves_per_minute": "MODEL_COMPARE_SHARE_SAVES_PER_MINUTE",
}
DEFAULT_PATH = Path(__file__).resolve().parent.parent / ".shares" / "shares.sqlite3"
TOKEN_BYTES = 24  # secrets.token_urlsafe(24): 192 random bits, 32 URL-safe characters
_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
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
_READ_ONLY_CODES = {sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN}
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_READ_ONLY = "the share store is read-only"
_UNREADABLE = "the share store cannot be opened"
_UNWRITABLE = "the share store cannot be written"
_log = logging.getLogger(__name__)


class ShareError(Exception):
    """Base of the store's errors; ``reason`` is safe to show to anyone (it names no server path)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ShareRefused(ShareError, ValueError):
    """A save this store will not take; the message names the limit and the variable that raises it."""


class ShareUnavailable(ShareError):
    """The store cannot be read (``load``) or written (``save``, ``delete``, ``purge_expired``).

    ``reason`` is public (``"the share store is read-only"``); ``detail`` adds the path, for logs.
    """

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.detail = detail or reason

    def __str__(self) -> str:
        return f"sharing is unavailable: {self.reason}"


@dataclass(frozen=True)
class ShareLimits:
    """How much a store takes; see the module docstring for the environment variables.

    Attributes
    ----------
    max_share_bytes:
        The largest total size of one share's files, in bytes.
    max_total_bytes:
        The largest size of all stored file contents (identical files counted once), in bytes.
    lifetime_days:
        How long a share lasts when its lifetime is not given.
    max_lifetime_days:
        The longest lifetime a save may ask for.
    saves_per_minute:
        How many shares may be saved in any 60 seconds.
    """

    max_share_bytes: int = 200_000_000
    max_total_bytes: int = 2_000_000_000
    lifetime_days: int = 30
    max_lifetime_days: int = 365
    saves_per_minute: int = 30


@dataclass(frozen=True)
class SharedComparison:
    """What a token opens.

    Attributes
    ----------
    token:
        The public token.
    files:
        ``(filename, content)`` of every prediction file, in the order they were shared.
    payload:
        The JSON document saved with them (names, mapping, settings, view settings).
    created_at:
        When it was shared (ISO 8601, UTC).
    expires_at:
        When the link stops working (ISO 8601, UTC); ``None`` for one built outside a store.
    """

    token: str
    files: tuple[tuple[str, bytes], ...]
    payload: dict[str, Any]
    created_at: str
    expires_at: str | None = None


class ShareState(StrEnum):
    """Where a link stands: it opens (``ACTIVE``), it ``EXPIRED``, it was ``DELETED``, or it is ``UNKNOWN``
    (never shared here, malformed, or ended more than ``ENDED_KEPT_DAYS`` ago)."""

    ACTIVE = "active"
    EXPIRED = "expired"
    DELETED = "deleted"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ShareStatus:
    """What :meth:`ShareStore.status` says about a token.

    Attributes
    ----------
    state:
        Whether the link opens, expired, was deleted, or is unknown.
    expires_at:
        When an active link stops working, or when an expired one did (ISO 8601, UTC); ``None`` for a
        deleted or unknown link and for a version-1 share read without migrating (made with no expiry).
    """

    state: ShareState
    expires_at: str | None = None


def expiry_text(expires_at: str | None) -> str:
    """A stored time (ISO 8601, UTC) as people read it; ``None`` (no expiry) is ``"never"``.

    >>> expiry_text("2025-07-01T12:00:00+00:00"), expiry_text(None)
    ('2025-07-01 12:00 UTC', 'never')
    """
    return "never" if expires_at is None else datetime.fromisoformat(expires_at).strftime("%Y-%m-%d %H:%M UTC")


def closed_link_message(status: ShareStatus) -> str:
    """Why a link does not open, for whoever opened it (one sentence, ending with a space).

    >>> closed_link_message(ShareStatus(ShareState.EXPIRED, "2025-07-01T12:00:00+00:00"))
    'This shared link has expired (on 2025-07-01 12:00 UTC); ask whoever shared it for a new one. '
    >>> closed_link_message(ShareStatus(ShareState.UNKNOWN))
    'This shared link is unknown, expired or was deleted. '
    """
    if status.state is ShareState.EXPIRED:
        return f"This shared link has expired (on {expiry_text(status.expires_at)}); ask whoever shared it for a new one. "
    if status.state is ShareState.DELETED:
        return "This shared link was deleted by whoever shared it. "
    return "This shared link is unknown, expired or was deleted. "


class DeleteOutcome(StrEnum):
    """What :meth:`ShareStore.delete_share` did: only ``DELETED`` removed something."""

    DELETED = "deleted"
    WRONG_KEY = "wrong_key"
    EXPIRED = "expired"
    ALREADY_DELETED = "already_deleted"
    UNKNOWN = "unknown"


def default_path() -> Path:
    """The database file: ``$MODEL_COMPARE_SHARE_DB``, else ``.shares/shares.sqlite3`` beside the app."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    return Path(configured) if configured else DEFAULT_PATH


def is_valid_token(value: object) -> bool:
    """Whether ``value`` has the shape of a token or delete key (32 URL-safe characters).

    >>> is_valid_token("x" * 32), is_valid_token("../etc"), is_valid_token(None)
    (True, False, False)
    """
    return isinstance(value, str) and _SECRET_PATTERN.fullmatch(value) is not None


def token_from_link(text: str) -> str | None:
    """The token in a pasted share link (``https://host/?c=TOKEN``, with or without other parameters) or a bare
    token; ``None`` when ``text`` holds neither. Surrounding spaces, quotes and angle brackets are ignored.

    >>> token_from_link("  https://models.example/overview?c=" + "A" * 32 + "&x=1 ") == "A" * 32
    True
    >>> token_from_link("B" * 32) == "B" * 32, token_from_link("https://models.example/"), token_from_link("")
    (True, None, None)
    """
    text = text.strip().strip("\"'<>").strip() if isinstance(text, str) else ""
    if is_valid_token(text):
        return text
    query = urlsplit(text).query if "?" in text else text
    found = parse_qs(query).get("c", [])
    return found[0] if len(found) == 1 and is_valid_token(found[0]) else None


def _hash_key(delete_key: str) -> str:
    """SHA-256 of a delete key (192 random bits: a plain hash cannot be brute-forced)."""
    return hashlib.sha256(delete_key.encode("ascii")).hexdigest()


def _hash_token(token: str) -> str:
    """SHA-256 of a token: how ``ended_shares`` remembers a link without keeping it."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _sha256(content: bytes) -> str:
    """The hex SHA-256 of a file's bytes: its key in ``blobs``."""
    return hashlib.sha256(content).hexdigest()


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second: one format, so stored times compare as strings."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _size(count: int) -> str:
    """A byte count for people: ``200 MB``."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"


def _reason(error: sqlite3.Error, otherwise: str) -> str:
    """The public reason for an SQLite error: read-only, busy, else ``otherwise``."""
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF  # the primary code of an extended one
    if code in _READ_ONLY_CODES:
        return _READ_ONLY
    if code in _BUSY_CODES:
        return "the share store is busy; try again in a moment"
    return otherwise


def _limits_iv(arguments: Mapping[str, int | None], environ: Mapping[str, str]) -> tuple[ShareLimits, str | None]:
    """The limits (argument, else environment, else default) and what is wrong with the environment, if anything.

    A bad argument raises ``ValueError``; a bad environment variable is reported instead (the store then opens
    read-only with the defaults), so a typo in the server's configuration never shows a traceback.
    """
    defaults, values, problems = ShareLimits(), {}, []
    for field in fields(ShareLimits):
        name, variable, argument = field.name, LIMIT_VARIABLES[field.name], arguments[field.name]
        if argument is not None:
            if isinstance(argument, bool) or not isinstance(argument, int) or argument < 1:
                raise ValueError(f"{name} must be a positive whole number, not {argument!r}")
            values[name] = argument
            continue
        text = environ.get(variable, "").strip()
        try:
            values[name] = int(text) if text else getattr(defaults, name)
        except ValueError:
            values[name] = 0
        if values[name] < 1:
            problems.append(f"{variable}={text!r} is not a positive whole number")
            values[name] = getattr(defaults, name)
    if values["lifetime_days"] > values["max_lifetime_days"]:
        message = (f"the default lifetime of {values['lifetime_days']} days ({LIMIT_VARIABLES['lifetime_days']}) "
                   f"exceeds the maximum of {values['max_lifetime_days']} ({LIMIT_VARIABLES['max_lifetime_days']})")
        if arguments["lifetime_days"] is not None and arguments["max_lifetime_days"] is not None:
            raise ValueError(message)
        problems.append(message)
        values["lifetime_days"] = values["max_lifetime_days"]
    return ShareLimits(**values), "; ".join(problems) or None


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


def _utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class ShareStore:
    """Shared comparisons in one SQLite file, created or migrated when the store is opened and writable.

    Each operation opens its own connection, so one instance may serve every session's thread. Whether the
    store is writable is decided once, when it is opened.

    Parameters
    ----------
    path:
        The database file; its missing folders are created (``0700``), and the file itself (``0600``).
    read_only:
        Open without writing anything, even when the file could be written; otherwise the store writes
        when it opens and falls back to read-only when it cannot.
    max_share_bytes, max_total_bytes, lifetime_days, max_lifetime_days, saves_per_minute:
        The limits (:class:`ShareLimits`); ``None`` takes the environment variable, else the default.
    clock:
        Returns the current time as an aware ``datetime``; for tests.

    Raises
    ------
    ValueError
        When a limit argument is not a positive whole number, or the default lifetime exceeds the maximum.
        Problems with the file or the environment never raise: see ``writable`` and ``unavailable_reason``.
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False, max_share_bytes: int | None = None,
                 max_total_bytes: int | None = None, lifetime_days: int | None = None,
                 max_lifetime_days: int | None = None, saves_per_minute: int | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.path = Path(path)
        self.limits, misconfigured = _limits_iv(
            {"max_share_bytes": max_share_bytes, "max_total_bytes": max_total_bytes, "lifetime_days": lifetime_days,
             "max_lifetime_days": max_lifetime_days, "saves_per_minute": saves_per_minute}, os.environ)
        self._clock = clock or _utc_now
        self.readable = self.writable = False
        self.unavailable_reason: str | None = None
        self.unavailable_detail: str | None = None
        if misconfigured:
            self._open_read_only("the share settings on this server are invalid", f"sharing is off: {misconfigured}")
        elif read_only:
            self._open_read_only(_READ_ONLY, f"the share store {self.path} was opened read-only")
        else:
            self._open()
        if self.unavailable_detail:
            _log.warning("%s", self.unavailable_detail)

    def _open(self) -> None:
        """Create or migrate the database; fall back to reading it when that fails."""
        try:
            _make_private_folders(self.path.parent)
            _create_private_file(self.path)
            with self._connection(writable=True) as connection, _transaction(connection, write=True):
                expires_at = _timestamp(self._now() + timedelta(days=self.limits.lifetime_days))
                _migrate(connection, _version(connection), expires_at)
        except ShareUnavailable as error:
            self.unavailable_reason, self.unavailable_detail = error.reason, f"the share store {self.path}: {error.detail}"
        except (OSError, sqlite3.Error) as error:
            reason = _reason(error, _UNWRITABLE) if isinstance(error, sqlite3.Error) else _READ_ONLY
            self._open_read_only(reason, f"the share store {self.path} cannot be written ({error})")
        else:
            self.readable = self.writable = True

    def _open_read_only(self, reason: str, detail: str) -> None:
        """Check that the database can be read without writing; otherwise the store is unavailable."""
        try:
            with self._connection(writable=False) as connection:
                _version(connection)
        except ShareUnavailable as error:
            reason, detail = error.reason, f"the share store {self.path}: {error.detail}"
        except sqlite3.Error as error:
            reason, detail = _UNREADABLE, f"the share store {self.path} cannot be opened ({error}); {detail}"
        else:
            self.readable = True
        self.unavailable_reason, self.unavailable_detail = reason, detail

    @contextmanager
    def _connection(self, *, writable: bool) -> Iterator[sqlite3.Connection]:
        """A connection (``mode=ro`` or ``rw``: never creates the file) with foreign keys enforced, autocommit."""
        uri = f"{self.path.absolute().as_uri()}?mode={'rw' if writable else 'ro'}"
        with closing(sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)) as connection:
            connection.execute("PRAGMA foreign_keys = ON")
            yield connection

    @contextmanager
    def _operation(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction; SQLite errors become ``ShareUnavailable``."""
        if not (self.writable if write else self.readable):
            raise ShareUnavailable(self.unavailable_reason or _UNREADABLE, self.unavailable_detail)
        try:
            with self._connection(writable=self.writable) as connection, _transaction(connection, write=write):
                yield connection
        except sqlite3.Error as error:
            _log.warning("the share store %s failed: %s", self.path, error)
            reason = _reason(error, _UNWRITABLE if write else _UNREADABLE)
            raise ShareUnavailable(reason, f"the share store {self.path} failed: {error}") from error

    def _now(self) -> datetime:
        """The clock's time; it must be aware (a naive time has no defined UTC offset)."""
        moment = self._clock()
        if moment.tzinfo is None:
            raise ValueError("the store's clock must return an aware datetime")
        return moment

    def _save_iv(self, files: Sequence[tuple[str, bytes]], payload: Mapping[str, Any],
                 expires_in_days: int | None) -> tuple[list[tuple[str, bytes, str]], str, int]:
        """Files with their hashes, the JSON document and the lifetime in days, or the reason to refuse."""
        if not files:
            raise ValueError("a shared comparison needs at least one file")
        document = json.dumps(dict(payload), allow_nan=False, sort_keys=True)
        hashed = [(str(name), bytes(content), _sha256(bytes(content))) for name, content in files]
        size = sum(len(content) for _, content, _ in hashed)
        if size > self.limits.max_share_bytes:
            raise ShareRefused(f"this comparison's files take {_size(size)}; a share holds at most "
                               f"{_size(self.limits.max_share_bytes)} ({LIMIT_VARIABLES['max_share_bytes']} raises it)")
        days = self.limits.lifetime_days if expires_in_days is None else expires_in_days
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"expires_in_days must be a whole number of days, not {days!r}")
        if days < 1:
            raise ShareRefused(f"a share must last at least 1 day, not {days}")
        if days > self.limits.max_lifetime_days:
            raise ShareRefused(f"a share can last at most {self.limits.max_lifetime_days} days, not {days} "
                               f"({LIMIT_VARIABLES['max_lifetime_days']} raises it)")
        return hashed, document, days

    def save(self, files: Sequence[tuple[str, bytes]], payload: Mapping[str, Any], *,
             expires_in_days: int | None = None) -> tuple[str, str]:
        """Store files and payload; return ``(token, delete_key)``. Expired shares are removed first.

        Parameters
        ----------
        files:
            ``(filename, content)`` of each file; identical contents are stored once across shares.
        payload:
            A JSON-serialisable mapping.
        expires_in_days:
            The share's lifetime; ``None`` takes ``limits.lifetime_days``.

        Raises
        ------
        ShareUnavailable
            When the store cannot be written.
        ShareRefused
            When the files exceed ``max_share_bytes``, storing them would exceed ``max_total_bytes``, more than
            ``saves_per_minute`` shares were saved in the last minute, or the lifetime is not 1 to
            ``max_lifetime_days`` days.
        ValueError, TypeError
            When there are no files, the payload is not JSON-serialisable or the lifetime is not a whole number.
        """
        if not self.writable:
            raise ShareUnavailable(self.unavailable_reason or _UNREADABLE, self.unavailable_detail)
        hashed, document, days = self._save_iv(files, payload, expires_in_days)
        self.purge_expired()  # its own transaction: a refused save still frees the expired space
        now = self._now()
        token, delete_key = secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(TOKEN_BYTES)
        with self._operation(write=True) as connection:
            recent = connection.execute("SELECT COUNT(*) FROM shares WHERE created_at > ?",
                                        (_timestamp(now - timedelta(minutes=1)),)).fetchone()[0]
            if recent >= self.limits.saves_per_minute:
                raise ShareRefused(f"too many shares: at most {self.limits.saves_per_minute} a minute on this server; "
                                   f"try again in a minute ({LIMIT_VARIABLES['saves_per_minute']} raises it)")
            new = {sha: len(content) for _, content, sha in hashed
                   if connection.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha,)).fetchone() is None}
            used = connection.execute("SELECT COALESCE(SUM(LENGTH(content)), 0) FROM blobs").fetchone()[0]
            if used + sum(new.values()) > self.limits.max_total_bytes:
                raise ShareRefused(f"the share store is full: {_size(used)} of {_size(self.limits.max_total_bytes)} "
                                   f"are used and this comparison needs {_size(sum(new.values()))} more "
                                   f"({LIMIT_VARIABLES['max_total_bytes']} raises the limit)")
            connection.executemany("INSERT OR IGNORE INTO blobs VALUES (?, ?)",
                                   [(sha, sqlite3.Binary(content)) for _, content, sha in hashed if sha in new])
            connection.execute("INSERT INTO shares VALUES (?, ?, ?, ?, ?)",
                               (token, _hash_key(delete_key), _timestamp(now), _timestamp(now + timedelta(days=days)),
                                document))
            connection.executemany("INSERT INTO share_files VALUES (?, ?, ?, ?)",
                                   [(token, position, name, sha) for position, (name, _, sha) in enumerate(hashed)])
        return token, delete_key

    def load(self, token: str) -> SharedComparison | None:
        """The comparison shared under ``token``; ``None`` when the token is malformed, unknown, deleted or expired.

        Raises
        ------
        ShareUnavailable
            When the store cannot be read; its ``reason`` may be shown to the viewer ("this link cannot be
            opened: ..."), its ``detail`` names the path.
        """
        if not is_valid_token(token):
            return None
        now = self._now()
        with self._operation(write=False) as connection:
            version = _version(connection)
            if version == 0:
                return None
            if version == 1:  # a read-only store left at the old layout: contents inline, no expires_at
                row = connection.execute("SELECT payload, created_at, NULL FROM shares WHERE token = ?", (token,)).fetchone()
                files = connection.execute("SELECT filename, content FROM share_files WHERE token = ? ORDER BY position",
                                           (token,)).fetchall()
            else:
                row = connection.execute("SELECT payload, created_at, expires_at FROM shares WHERE token = ?",
                                         (token,)).fetchone()
                files = connection.execute("SELECT filename, content FROM share_files JOIN blobs USING (sha256) "
                                           "WHERE token = ? ORDER BY position", (token,)).fetchall()
        if row is None:
            return None
        payload, created_at, expires_at = row
        if expires_at is not None and expires_at <= _timestamp(now):  # None: a version-1 share, made with no expiry
            return None
        return SharedComparison(token=token, files=tuple((name, bytes(content)) for name, content in files),
                                payload=json.loads(payload), created_at=created_at, expires_at=expires_at)

    def status(self, token: str) -> ShareStatus:
        """Whether the link of ``token`` opens, expired, was deleted or is unknown; never writes.

        A link that ended more than ``ENDED_KEPT_DAYS`` ago is unknown.

        Raises
        ------
        ShareUnavailable
            When the store cannot be read.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> store = ShareStore(pathlib.Path(tempfile.mkdtemp()) / "shares.sqlite3")
        >>> token, key = store.save([("base.csv", b"id,label\\n")], {}, expires_in_days=7)
        >>> store.status(token).state, store.status("A" * 32).state
        (<ShareState.ACTIVE: 'active'>, <ShareState.UNKNOWN: 'unknown'>)
        """
        if not is_valid_token(token):
            return ShareStatus(ShareState.UNKNOWN)
        now = _timestamp(self._now())
        with self._operation(write=False) as connection:
            version = _version(connection)
            if version == 0:
                return ShareStatus(ShareState.UNKNOWN)
            row = connection.execute(f"SELECT {'NULL' if version == 1 else 'expires_at'} FROM shares WHERE token = ?",
                                     (token,)).fetchone()
            ended = None if row is not None or version < 3 else connection.execute(
                "SELECT reason, ended_at FROM ended_shares WHERE token_sha256 = ?", (_hash_token(token),)).fetchone()
        if row is not None:
            expires_at = row[0]
            expired = expires_at is not None and expires_at <= now
            return ShareStatus(ShareState.EXPIRED if expired else ShareState.ACTIVE, expires_at)
        if ended is None:
            return ShareStatus(ShareState.UNKNOWN)
        reason, ended_at = ended
        return ShareStatus(ShareState(reason), ended_at if reason == ShareState.EXPIRED else None)

    def delete_share(self, token: str, delete_key: str) -> DeleteOutcome:
        """Delete the share when ``delete_key`` is its key, and say what happened.

        Expired shares are removed first (so an expired link reports ``EXPIRED`` whatever the key). A malformed
        token is ``UNKNOWN``; a malformed key is ``WRONG_KEY`` for a link that still opens.

        Raises
        ------
        ShareUnavailable
            When the store cannot be written.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> store = ShareStore(pathlib.Path(tempfile.mkdtemp()) / "shares.sqlite3")
        >>> token, key = store.save([("base.csv", b"id,label\\n")], {})
        >>> store.delete_share(token, "K" * 32), store.delete_share(token, key), store.delete_share(token, key)
        (<DeleteOutcome.WRONG_KEY: 'wrong_key'>, <DeleteOutcome.DELETED: 'deleted'>, \
<DeleteOutcome.ALREADY_DELETED: 'already_deleted'>)
        """
        if not self.writable:
            raise ShareUnavailable(self.unavailable_reason or _UNREADABLE, self.unavailable_detail)
        if not is_valid_token(token):
            return DeleteOutcome.UNKNOWN
        now = self._now()
        with self._operation(write=True) as connection:
            _purge(connection, now)
            row = connection.execute("SELECT delete_key_sha256 FROM shares WHERE token = ?", (token,)).fetchone()
            if row is None:
                ended = connection.execute("SELECT reason FROM ended_shares WHERE token_sha256 = ?",
                                           (_hash_token(token),)).fetchone()
                return {None: DeleteOutcome.UNKNOWN, ShareState.EXPIRED.value: DeleteOutcome.EXPIRED,
                        ShareState.DELETED.value: DeleteOutcome.ALREADY_DELETED}[ended and ended[0]]
            if not (is_valid_token(delete_key) and hmac.compare_digest(row[0], _hash_key(delete_key))):
                return DeleteOutcome.WRONG_KEY
            connection.execute("DELETE FROM share_files WHERE token = ?", (token,))
            connection.execute("DELETE FROM shares WHERE token = ?", (token,))
            _end(connection, [(token, ShareState.DELETED.value, _timestamp(now))])
            _remove_unused_blobs(connection)
        return DeleteOutcome.DELETED

    def delete(self, token: str, delete_key: str) -> bool:
        """Delete the share when ``delete_key`` is its key; return whether something was deleted.

        :meth:`delete_share` says why nothing was.

        Raises
        ------
        ShareUnavailable
            When the store cannot be written.
        """
        return self.delete_share(token, delete_key) is DeleteOutcome.DELETED

    def purge_expired(self) -> int:
        """Delete the expired shares and the contents no other share uses; return how many shares went.

        Raises
        ------
        ShareUnavailable
            When the store cannot be written.
        """
        now = self._now()
        with self._operation(write=True) as connection:
            return _purge(connection, now)
