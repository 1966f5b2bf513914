"""An embedded store of shared comparisons: SQLite through the standard library, no streamlit.

A shared comparison is the uploaded files (names and bytes) plus a JSON payload (model names,
column mapping, settings and view settings). Saving returns a public token, which goes in the link
(``?c=TOKEN``), and a private delete key, which only its owner holds; only a hash of the key is
stored. Nothing is stored unless someone shares. Every share expires (the sharer chooses when, up to
the server's maximum); identical files are stored once.

The database is ``$MODEL_COMPARE_SHARE_DB``, else ``.shares/shares.sqlite3`` beside the app. Its tables, versions
and migrations are described in :mod:`components.share_schema`; the limits a store enforces (size, total, rate,
lifetime) and their environment variables in :mod:`components.share_limits`; tokens and the states of a link in
:mod:`components.share_links`; the exception hierarchy in :mod:`components.share_errors`. Their public names are
importable from here.

A save that breaks a limit raises :class:`ShareRefused` (expired shares are removed first); a load of an
expired share returns ``None``; ``purge_expired()`` removes expired shares and unused contents.
``delete_share(token, key)`` says what happened (:class:`DeleteOutcome`: deleted, wrong key, expired,
already deleted, unknown); ``token_from_link`` reads the token out of a pasted link.

A store that cannot be written (read-only file, folder or filesystem; ``read_only=True``; an invalid
environment variable) still loads existing links; a store that cannot be read (a folder that cannot be
created, a directory, a file that is not a share store) is unavailable. Opening never raises for these:
``writable``, ``readable``, ``unavailable_reason`` (public) and ``unavailable_detail`` (with the path,
for logs) say what happened, and the operations raise :class:`ShareUnavailable`.

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
components.share_errors.ShareUnavailable: sharing is unavailable: the share store is read-only
>>> store.delete(token, key), store.load(token), store.status(token).state
(True, None, <ShareState.DELETED: 'deleted'>)
>>> store.delete_share(token, key)
<DeleteOutcome.ALREADY_DELETED: 'already_deleted'>
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .share_errors import _READ_ONLY, _UNREADABLE, _UNWRITABLE, ShareError, ShareRefused, ShareUnavailable, _reason
from .share_limits import LIMIT_VARIABLES, ShareLimits, _limits_iv, _save_iv, _size
from .share_links import (
    DeleteOutcome,
    ShareState,
    ShareStatus,
    _hash_key,
    _hash_token,
    closed_link_message,
    expiry_text,
    is_valid_token,
    new_secret,
    token_from_link,
)
from .share_schema import (
    ENDED_KEPT_DAYS,
    _create_private_file,
    _end,
    _make_private_folders,
    _migrate,
    _purge,
    _remove_unused_blobs,
    _timestamp,
    _transaction,
    _version,
)

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
DEFAULT_PATH = Path(__file__).resolve().parent.parent / ".shares" / "shares.sqlite3"
_log = logging.getLogger(__name__)


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


def default_path() -> Path:
    """The database file: ``$MODEL_COMPARE_SHARE_DB``, else ``.shares/shares.sqlite3`` beside the app."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    return Path(configured) if configured else DEFAULT_PATH


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
        hashed, document, days = _save_iv(self.limits, files, payload, expires_in_days)
        self.purge_expired()  # its own transaction: a refused save still frees the expired space
        now = self._now()
        token, delete_key = new_secret(), new_secret()
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

