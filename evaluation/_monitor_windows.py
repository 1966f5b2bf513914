"""Monitoring's windows: calendar days, ISO weeks, calendar months, or blocks of N rows in time order.

Every row gets its window's code in one vectorised pass (``floor_divide`` or a ``datetime64`` cast,
then a ``bincount`` of the codes present); no Python loop runs over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._errors import EvaluationError, quote

__all__ = ["WindowSpec", "Windows", "assign_windows", "parse_window"]

_DAY = 86_400_000_000  # microseconds
_UNITS = {"1d": "day", "d": "day", "day": "day", "1w": "week", "w": "week", "week": "week", "1M": "month",
          "M": "month", "month": "month"}


@dataclass(frozen=True)
class WindowSpec:
    """A window: ``unit`` is ``"day"``, ``"week"`` (ISO, Monday 00:00 to Monday 00:00), ``"month"`` or ``"rows"``."""

    text: str
    unit: str
    rows: int = 0


def parse_window(text: str) -> WindowSpec:
    """Read ``--window``: ``1d``, ``1w``, ``1M`` (also ``day``, ``week``, ``month``) or a number of rows.

    Examples
    --------
    >>> parse_window("1w").unit, parse_window("5000").rows
    ('week', 5000)
    """
    cleaned = str(text).strip()
    if cleaned in _UNITS:
        return WindowSpec(cleaned, _UNITS[cleaned])
    if cleaned.lower() in ("day", "week", "month"):
        return WindowSpec(cleaned, cleaned.lower())
    if cleaned.isdigit() and int(cleaned) > 0:
        return WindowSpec(cleaned, "rows", int(cleaned))
    raise EvaluationError(f"--window: cannot read {quote(text)}; expected 1d (calendar day), 1w (ISO week, Monday to "
                          "Monday), 1M (calendar month) or a whole number of rows such as 5000")


@dataclass(frozen=True)
class Windows:
    """Each row's window and the windows' bounds.

    Attributes
    ----------
    codes:
        ``(n,)`` the window of each row, ``0 .. W-1`` in time order (windows without rows are left out).
    starts, ends:
        ``(W,)`` each window's ``[start, end)`` in microseconds since the epoch. For windows of N rows,
        ``start`` is its first row's time and ``end`` the next window's start (the last: its last
        row's time plus one microsecond).
    """

    codes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @property
    def count(self) -> int:
        """Number of windows."""
        return int(self.starts.shape[0])


def _calendar_start(keys: np.ndarray, unit: str) -> np.ndarray:
    """The start (microseconds) of the calendar windows with these keys."""
    if unit == "day":
        return keys * _DAY
    if unit == "week":
        return (keys * 7 - 3) * _DAY  # week 0 starts on Monday 1969-12-29
    return keys.astype("datetime64[M]").astype("datetime64[us]").astype(np.int64)


def assign_windows(timestamps: np.ndarray, spec: WindowSpec) -> Windows:
    """Put each row (its time, int64 microseconds since the epoch) in its window.

    Examples
    --------
    >>> t = np.array(["2026-01-04T23:00", "2026-01-05T01:00"], dtype="datetime64[us]").astype(np.int64)
    >>> w = assign_windows(t, parse_window("1w"))
    >>> w.codes.tolist(), str(w.starts[1].astype("datetime64[us]"))
    ([0, 1], '2026-01-05T00:00:00.000000')
    """
    t = np.asarray(timestamps, dtype=np.int64)
    if spec.unit == "rows":
        order = np.arange(t.size) if t.size < 2 or bool(np.all(t[1:] >= t[:-1])) else np.argsort(t, kind="stable")
        codes = np.empty(t.size, dtype=np.int64)
        codes[order] = np.arange(t.size) // spec.rows
        ordered = t[order]
        starts = ordered[::spec.rows]
        ends = np.append(starts[1:], ordered[-1] + 1) if t.size else starts
        return Windows(codes, starts, ends)
    days = np.floor_divide(t, _DAY)
    if spec.unit == "day":
        raw = days
    elif spec.unit == "week":
        raw = np.floor_divide(days + 3, 7)
    else:
        raw = t.view("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    offset = int(raw.min()) if raw.size else 0
    present = np.bincount(raw - offset) > 0 if raw.size else np.zeros(0, dtype=bool)
    occupied = np.flatnonzero(present)
    remap = np.cumsum(present) - 1
    keys = occupied + offset
    return Windows(remap[raw - offset].astype(np.int64), _calendar_start(keys, spec.unit),
                   _calendar_start(keys + 1, spec.unit))
