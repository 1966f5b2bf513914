"""The share store's errors, and the reasons they carry that are safe to show anyone.

Exceptions::

    ShareError                      .reason: a message safe to show anyone (it names no server path)
    ├── ShareRefused (ValueError)   a save this store will not take: size, total, rate or lifetime
    └── ShareUnavailable            the store cannot be read (load) or written (save, delete, purge);
                                    .detail names the path, for the server's log

Examples
--------
>>> error = ShareUnavailable("the share store is read-only", "the share store /srv/shares.sqlite3 is read-only")
>>> str(error), isinstance(ShareRefused("too big"), ValueError)
('sharing is unavailable: the share store is read-only', True)
"""

from __future__ import annotations

import sqlite3

__all__ = ["ShareError", "ShareRefused", "ShareUnavailable"]

_READ_ONLY_CODES = {sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN}
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_READ_ONLY = "the share store is read-only"
_UNREADABLE = "the share store cannot be opened"
_UNWRITABLE = "the share store cannot be written"


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


def _reason(error: sqlite3.Error, otherwise: str) -> str:
    """The public reason for an SQLite error: read-only, busy, else ``otherwise``."""
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF  # the primary code of an extended one
    if code in _READ_ONLY_CODES:
        return _READ_ONLY
    if code in _BUSY_CODES:
        return "the share store is busy; try again in a moment"
    return otherwise
