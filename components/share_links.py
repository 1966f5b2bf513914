"""Tokens and delete keys, and where a shared link stands: active, expired, deleted or unknown.

A token (public, in the link ``?c=TOKEN``) and a delete key (private, its owner's) are each
``secrets.token_urlsafe(TOKEN_BYTES)``; the store keeps only a hash of the key, and remembers an ended link
by a hash of its token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "TOKEN_BYTES",
    "DeleteOutcome",
    "ShareState",
    "ShareStatus",
    "closed_link_message",
    "expiry_text",
    "is_valid_token",
    "new_secret",
    "token_from_link",
]

TOKEN_BYTES = 24  # secrets.token_urlsafe(24): 192 random bits, 32 URL-safe characters


def new_secret() -> str:
    """``secrets.token_urlsafe(TOKEN_BYTES)``, drawn again while it starts with ``-``: a delete key passed on a command
    line (``share_cli delete LINK --key KEY``) would otherwise be read as an option, about one key in 64."""
    while (value := secrets.token_urlsafe(TOKEN_BYTES)).startswith("-"):
        pass
    return value


_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")


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
