"""An embedded store of shared comparisons: SQLite through the standard library, no streamlit.

A shared comparison is the uploaded files (names and bytes) plus a JSON payload (model names,
column mapping, settings and view settings). Saving returns a public token, which goes in the link
(``?c=TOKEN``), and a private delete key, which only its owner holds; only a hash of the key is
stored. Nothing is stored unless someone shares.

Schema (``PRAGMA user_version = 1``)::

    shares(token TEXT PRIMARY KEY, delete_key_sha256 TEXT, created_at TEXT, payload TEXT)
    share_files(token TEXT REFERENCES shares ON DELETE CASCADE, position INTEGER,
                filename TEXT, content BLOB, PRIMARY KEY (token, position))

Examples
--------
>>> import tempfile, pathlib
>>> store = ShareStore(pathlib.Path(tempfile.mkdtemp()) / "shares.sqlite3")
>>> token, key = store.save([("base.csv", b"id,label\\n")], {"names": ["base"]})
>>> store.load(token).payload
{'names': ['base']}
>>> store.delete(token, key), store.load(token)
(True, None)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_PATH", "ENVIRONMENT_VARIABLE", "ShareStore", "SharedComparison", "default_path", "is_valid_token"]

ENVIRONMENT_VARIABLE = "MODEL_COMPARE_SHARE_DB"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / ".shares" / "shares.sqlite3"
TOKEN_BYTES = 24  # secrets.token_urlsafe(24): 192 random bits, 32 URL-safe characters
_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
_SCHEMA_VERSION = 1
_SCHEMA = """
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
"""


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


def _hash_key(delete_key: str) -> str:
    """SHA-256 of a delete key (192 random bits: a plain hash cannot be brute-forced)."""
    return hashlib.sha256(delete_key.encode("ascii")).hexdigest()


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
    """

    token: str
    files: tuple[tuple[str, bytes], ...]
    payload: dict[str, Any]
    created_at: str


class ShareStore:
    """Shared comparisons in one SQLite file; the schema is created when the store is opened.

    Each operation opens its own connection, so one instance may serve every session's thread.

    Parameters
    ----------
    path:
        The database file; its folder is created when missing.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.executescript(_SCHEMA)
            connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction (committed on success), with foreign keys enforced."""
        with closing(sqlite3.connect(self.path, timeout=10)) as connection:
            connection.execute("PRAGMA foreign_keys = ON")
            with connection:
                yield connection

    def save(self, files: Sequence[tuple[str, bytes]], payload: Mapping[str, Any]) -> tuple[str, str]:
        """Store files and payload; return ``(token, delete_key)``.

        Raises
        ------
        ValueError
            When there are no files or the payload is not JSON-serialisable.
        """
        if not files:
            raise ValueError("a shared comparison needs at least one file")
        document = json.dumps(dict(payload), allow_nan=False, sort_keys=True)
        token, delete_key = secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(TOKEN_BYTES)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect() as connection:
            connection.execute("INSERT INTO shares VALUES (?, ?, ?, ?)", (token, _hash_key(delete_key), created, document))
            connection.executemany(
                "INSERT INTO share_files VALUES (?, ?, ?, ?)",
                [(token, position, str(name), sqlite3.Binary(bytes(content)))
                 for position, (name, content) in enumerate(files)])
        return token, delete_key

    def load(self, token: str) -> SharedComparison | None:
        """The comparison shared under ``token``; ``None`` when the token is malformed, unknown or deleted."""
        if not is_valid_token(token):
            return None
        with self._connect() as connection:
            row = connection.execute("SELECT payload, created_at FROM shares WHERE token = ?", (token,)).fetchone()
            if row is None:
                return None
            files = connection.execute(
                "SELECT filename, content FROM share_files WHERE token = ? ORDER BY position", (token,)).fetchall()
        return SharedComparison(token=token, files=tuple((name, bytes(content)) for name, content in files),
                                payload=json.loads(row[0]), created_at=row[1])

    def delete(self, token: str, delete_key: str) -> bool:
        """Delete the share when ``delete_key`` is its key; return whether something was deleted."""
        if not (is_valid_token(token) and is_valid_token(delete_key)):
            return False
        with self._connect() as connection:
            row = connection.execute("SELECT delete_key_sha256 FROM shares WHERE token = ?", (token,)).fetchone()
            if row is None or not hmac.compare_digest(row[0], _hash_key(delete_key)):
                return False
            connection.execute("DELETE FROM share_files WHERE token = ?", (token,))
            connection.execute("DELETE FROM shares WHERE token = ?", (token,))
        return True
