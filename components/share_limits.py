"""How much a share store takes: its limits, the environment variables that set them and their defaults.

Limits (a ``ShareStore`` constructor argument, else the environment variable, else the default):

=====================  ========================================  =======  =================================
argument               environment variable                      default  meaning
=====================  ========================================  =======  =================================
``max_share_bytes``    ``MODEL_COMPARE_SHARE_MAX_BYTES``         200 MB   the files of one share
``max_total_bytes``    ``MODEL_COMPARE_SHARE_TOTAL_BYTES``       2 GB     stored contents, each counted once
``lifetime_days``      ``MODEL_COMPARE_SHARE_DAYS``              30       a share's lifetime when not given
``max_lifetime_days``  ``MODEL_COMPARE_SHARE_MAX_DAYS``          365      the longest lifetime a save asks
``saves_per_minute``   ``MODEL_COMPARE_SHARE_SAVES_PER_MINUTE``  30       shares saved in the last 60 s
=====================  ========================================  =======  =================================

A save that breaks a limit raises :class:`ShareRefused` (``_save_iv`` checks size and lifetime; the store checks the
total and the rate, which need the database); an invalid environment variable opens the store read-only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from .share_errors import ShareRefused
from .share_schema import _sha256

__all__ = ["LIMIT_VARIABLES", "ShareLimits"]

LIMIT_VARIABLES = {
    "max_share_bytes": "MODEL_COMPARE_SHARE_MAX_BYTES",
    "max_total_bytes": "MODEL_COMPARE_SHARE_TOTAL_BYTES",
    "lifetime_days": "MODEL_COMPARE_SHARE_DAYS",
    "max_lifetime_days": "MODEL_COMPARE_SHARE_MAX_DAYS",
    "saves_per_minute": "MODEL_COMPARE_SHARE_SAVES_PER_MINUTE",
}


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


def _size(count: int) -> str:
    """A byte count for people: ``200 MB``."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"


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


def _save_iv(limits: ShareLimits, files: Sequence[tuple[str, bytes]], payload: Mapping[str, Any],
             expires_in_days: int | None) -> tuple[list[tuple[str, bytes, str]], str, int]:
    """Files with their hashes, the JSON document and the lifetime in days, or the reason to refuse."""
    if not files:
        raise ValueError("a shared comparison needs at least one file")
    document = json.dumps(dict(payload), allow_nan=False, sort_keys=True)
    hashed = [(str(name), bytes(content), _sha256(bytes(content))) for name, content in files]
    size = sum(len(content) for _, content, _ in hashed)
    if size > limits.max_share_bytes:
        raise ShareRefused(f"this comparison's files take {_size(size)}; a share holds at most "
                           f"{_size(limits.max_share_bytes)} ({LIMIT_VARIABLES['max_share_bytes']} raises it)")
    days = limits.lifetime_days if expires_in_days is None else expires_in_days
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"expires_in_days must be a whole number of days, not {days!r}")
    if days < 1:
        raise ShareRefused(f"a share must last at least 1 day, not {days}")
    if days > limits.max_lifetime_days:
        raise ShareRefused(f"a share can last at most {limits.max_lifetime_days} days, not {days} "
                           f"({LIMIT_VARIABLES['max_lifetime_days']} raises it)")
    return hashed, document, days
