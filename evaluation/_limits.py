"""Limits on what one prediction file may hold, so that a hostile or mistaken file is refused early and cheaply.

Each limit is checked as soon as what it bounds is known, before the work it protects:

- bytes: a plain file's size (a ``stat``, before reading); a gzip file's decompressed bytes, counted
  while it is decompressed in pieces, so a gzip bomb stops at the limit; a Parquet file's decoded
  size, from its metadata and then batch by batch as it is decoded;
- rows: from a Parquet file's metadata before any data is read; for text, by counting line ends
  (only when the file's size allows more rows than the limit) and, when those allow too many, by
  streaming through the rows until the limit is passed;
- columns: on the header, before a data row is parsed; metadata columns once the roles are known;
- classes and label length: as soon as a column's distinct labels are known, before per-class work;
- field length: when Arrow meets a line longer than its block, the line is measured and refused, or
  read with a block large enough for it (a limit below the block is checked on the table read).

JSON Lines are also scanned for the two inputs that crash Arrow's JSON reader outright (a segmentation
fault, not an error): a line nesting lists or objects thousands deep, and a line starting with a bare
``null``. Both are refused before Arrow sees them.

Every refusal is an :class:`EvaluationError` worded ``<file>: <what was found>; the limit is <limit>
(<how to raise it>)``; :attr:`Limits.hint` words the last part for the caller (the command line's
options by default; the dashboard says it is the dashboard's limit).
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._errors import EvaluationError, clip

__all__ = [
    "DASHBOARD_LIMITS",
    "GIB",
    "KIB",
    "MAX_NESTING",
    "MIB",
    "ROLE_COLUMNS",
    "JsonLines",
    "Limits",
    "count_lines",
    "decoded_size",
    "format_size",
    "gunzip",
    "json_lines",
    "limit_error",
    "long_lines",
    "parse_size",
]

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
_OPTIONS = {
    "max_bytes": "--max-bytes",
    "max_rows": "--max-rows",
    "max_classes": "--max-classes",
    "max_metadata_columns": "--max-metadata-columns",
    "max_label_length": "--max-label-length",
    "max_field_bytes": "--max-field-bytes",
}
#: Columns a file may have besides class probabilities and metadata: id, label, prediction, score,
#: split and timestamp.
ROLE_COLUMNS = 6
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": KIB, "m": MIB, "g": GIB, "t": GIB << 10}


@dataclass(frozen=True)
class Limits:
    """Limits on one prediction file; a file beyond any of them is refused with a message naming the limit.

    Attributes
    ----------
    max_bytes:
        Bytes of data per file: a plain file's size; a gzip file's size once decompressed (counted as
        it is decompressed, so a gzip bomb stops at the limit); a Parquet file's size on disk and its
        decoded size. Default 4 GiB (``--max-bytes``, which takes suffixes such as 500M or 4G).
    max_rows:
        Data rows per file. Default 20,000,000 (``--max-rows``).
    max_classes:
        Distinct class labels across every file's true labels, predictions and probability columns,
        and the declared labels. Default 1,000 (``--max-classes``).
    max_metadata_columns:
        Columns used as metadata (every column without another role, unless chosen). Default 200
        (``--max-metadata-columns``). A file may have at most :attr:`max_columns` columns in all.
    max_label_length:
        Characters of one class label (as written, without surrounding spaces). Default 1,000
        (``--max-label-length``).
    max_field_bytes:
        Bytes of one field (cell, or column name) of CSV, TSV or JSON Lines text. Default 16 MiB
        (``--max-field-bytes``).
    hint:
        How a message tells the user to raise a limit: a template with ``{option}`` (the command
        line's option) and ``{field}`` (this class's attribute). Default ``"raise it with {option}"``.

    Examples
    --------
    >>> Limits().max_rows, DASHBOARD_LIMITS.max_rows
    (20000000, 2000000)
    >>> Limits(max_rows=10).advice("max_rows")
    'raise it with --max-rows'
    """

    max_bytes: int = 4 * GIB
    max_rows: int = 20_000_000
    max_classes: int = 1_000
    max_metadata_columns: int = 200
    max_label_length: int = 1_000
    max_field_bytes: int = 16 * MIB
    hint: str = "raise it with {option}"

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name in _OPTIONS and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise EvaluationError(f"the limit {field.name} ({_OPTIONS[field.name]}) must be a positive whole number, "
                                      f"got {value!r}")
        try:
            self.advice(*_OPTIONS)
        except (KeyError, IndexError, ValueError, AttributeError):
            raise EvaluationError(f"Limits.hint must be text with no placeholders other than {{option}} and {{field}}, "
                                  f"got {self.hint!r}") from None

    @property
    def max_columns(self) -> int:
        """Columns a file may have: one per class probability, the metadata columns and the six other roles."""
        return self.max_classes + self.max_metadata_columns + ROLE_COLUMNS

    def advice(self, *names: str) -> str:
        """How to raise the limits ``names`` (attributes of this class), worded by :attr:`hint`."""
        return self.hint.format(option=" or ".join(_OPTIONS[name] for name in names), field=" or ".join(names))


DASHBOARD_LIMITS = Limits(
    max_bytes=GIB, max_rows=2_000_000, max_classes=200, max_metadata_columns=50, max_label_length=200,
    max_field_bytes=MIB, hint="the dashboard's limit; use the command line for larger files")
"""Lower limits for files uploaded to the dashboard, which shares one server between its users."""


def limit_error(name: str, found: str, limit: str, limits: Limits, *names: str, column: str | None = None) -> EvaluationError:
    """``<name>: <found>; the limit is <limit> (<advice>)`` as an :class:`EvaluationError`."""
    where = f"{name}: " if name else ""
    return EvaluationError(f"{where}{found}; the limit is {limit} ({limits.advice(*names)})", file=name or None,
                           column=column)


def format_size(size: int) -> str:
    """Bytes for reading: ``512 bytes``, ``1.5 MiB``, ``4 GiB``.

    Examples
    --------
    >>> format_size(512), format_size(3 * MIB // 2), format_size(4 * GIB)
    ('512 bytes', '1.5 MiB', '4 GiB')
    """
    if size < KIB:
        return f"{size:,} bytes"
    for unit, scale in (("TiB", GIB << 10), ("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if size >= scale:
            return f"{size / scale:,.1f}".removesuffix(".0") + f" {unit}"
    raise AssertionError(size)  # pragma: no cover


def parse_size(text: str) -> int:
    """Bytes from ``4294967296``, ``500M``, ``4G``, ``1.5GiB`` or ``64kb`` (K, M, G, T are powers of 1024).

    Raises
    ------
    ValueError
        For text that is not a size.

    Examples
    --------
    >>> parse_size("500M"), parse_size("4G"), parse_size("1000")
    (524288000, 4294967296, 1000)
    """
    match = _SIZE.fullmatch(text)
    if not match or float(match.group(1)) * _UNITS[match.group(2).lower()] < 1:
        raise ValueError(f"not a size: {text!r}; expected a number of bytes, optionally with K, M, G or T (such as 500M)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


# --- enforcing the limits while reading --------------------------------------------------------------

_PIECE = 1 << 20  # bytes decompressed at a time
_SCAN = 1 << 24  # bytes scanned at a time for line ends, so that scanning a large file needs little memory
#: Lists and objects nested deeper than this in one JSON line are refused before Arrow parses them:
#: Arrow's JSON reader overflows its stack (a crash, not an error) some 15,000 levels down.
MAX_NESTING = 1_000
_CR, _LF = 13, 10
_OPENERS, _CLOSERS = (ord("["), ord("{")), (ord("]"), ord("}"))
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN_OBJECT = ord("{")
_BOM = b"\xef\xbb\xbf"


def gunzip(source: str | bytes, name: str, limits: Limits) -> bytearray:
    """Decompress gzip data a piece at a time, counting, and stop as soon as it passes ``max_bytes``."""
    out = bytearray()
    try:
        handle = open(source, "rb") if isinstance(source, str) else io.BytesIO(source)  # noqa: SIM115 (closed below)
    except OSError as error:
        raise EvaluationError(f"{name}: could not be read ({error.strerror or error})", file=name) from None
    try:
        with handle, gzip.GzipFile(fileobj=handle) as archive:
            while piece := archive.read(_PIECE):
                out += piece
                if len(out) > limits.max_bytes:
                    del out[:]
                    raise limit_error(name, f"more than {format_size(limits.max_bytes)} of data once decompressed "
                                      "(decompression stopped there)", f"{format_size(limits.max_bytes)} per file",
                                      limits, "max_bytes")
    except (OSError, EOFError, zlib.error) as error:
        raise EvaluationError(f"{name}: the gzip data is damaged or truncated ({clip(str(error))})", file=name) from None
    return out


def _pieces(view: np.ndarray) -> Iterator[tuple[int, np.ndarray, int]]:
    """``(offset, piece, next byte or -1)`` over a byte array, a few megabytes at a time."""
    for start in range(0, view.shape[0], _SCAN):
        end = start + _SCAN
        yield start, view[start:end], int(view[end]) if end < view.shape[0] else -1


def _line_ends(piece: np.ndarray, following: int) -> np.ndarray:
    """Positions in ``piece`` of the bytes that end a line: LF, or CR not followed by LF (old Mac files)."""
    ends = piece == _LF
    carriage = piece == _CR
    if carriage.any():
        after = np.empty_like(piece)
        after[:-1] = piece[1:]
        after[-1] = following if following >= 0 else 0
        ends |= carriage & (after != _LF)
    return np.flatnonzero(ends)


def count_lines(view: np.ndarray) -> int:
    """Lines of text in a byte array (an upper bound on its rows), whatever its line ends."""
    lines = 0
    for _, piece, following in _pieces(view):
        lines += _line_ends(piece, following).shape[0]
    return lines + 1


def long_lines(view: np.ndarray, longer_than: int, *, most: int = 100) -> tuple[int, list[tuple[int, int, int]]]:
    """The longest line's length in bytes, and ``(line number, start, end)`` of the first lines longer than ``longer_than``."""
    longest, line, line_start = 0, 0, 0
    found: list[tuple[int, int, int]] = []
    for offset, piece, following in _pieces(view):
        ends = _line_ends(piece, following) + offset
        if ends.shape[0] == 0:
            continue
        starts = np.concatenate(([line_start], ends[:-1] + 1))
        lengths = ends - starts
        longest = max(longest, int(lengths.max()))
        for i in np.flatnonzero(lengths > longer_than)[: most - len(found)]:
            found.append((line + int(i) + 1, int(starts[i]), int(ends[i])))
        line += ends.shape[0]
        line_start = int(ends[-1]) + 1
    tail = view.shape[0] - line_start
    longest = max(longest, tail)
    if tail > longer_than and len(found) < most:
        found.append((line + 1, line_start, view.shape[0]))
    return longest, found


def _depth(line: np.ndarray) -> int:
    """How deep lists and objects nest in one line of JSON (brackets inside strings do not count), a piece at a time."""
    depth = deepest = run = 0  # run: backslashes ending the previous piece
    inside = False
    for start in range(0, line.shape[0], _PIECE):
        piece = line[start:start + _PIECE]
        quotes = piece == _QUOTE
        backslashes = piece == _BACKSLASH
        if run or backslashes.any():  # a quote after an odd number of backslashes is part of the string
            index = np.arange(piece.shape[0])
            last_other = np.maximum.accumulate(np.where(backslashes, -1, index))
            before = np.empty(piece.shape[0], dtype=np.int64)
            before[0] = run
            before[1:] = index[:-1] - last_other[:-1] + np.where(last_other[:-1] < 0, run, 0)
            quotes &= before % 2 == 0
            run = piece.shape[0] - 1 - int(last_other[-1]) + (run if last_other[-1] < 0 else 0)
        toggles = np.cumsum(quotes) % 2 == 1
        step = np.isin(piece, _OPENERS).astype(np.int64) - np.isin(piece, _CLOSERS)
        step[toggles != inside] = 0
        levels = depth + np.cumsum(step)
        deepest = max(deepest, int(levels.max(initial=depth)))
        depth = int(levels[-1])
        inside = bool(toggles[-1]) != inside
    return deepest


class JsonLines(NamedTuple):
    """What :func:`json_lines` found: the number of lines, and the first line Arrow cannot be given."""

    lines: int
    deep: tuple[int, int] | None  # (line number, depth) of the first line nesting deeper than the limit
    null: int | None  # number of the first line starting with a top-level null


def json_lines(view: np.ndarray, deeper_than: int = MAX_NESTING) -> JsonLines:
    """Scan JSON Lines for what crashes Arrow's reader (a stack overflow, not an error) before it reads them.

    That is a line nesting lists or objects deeper than ``deeper_than`` (such a line opens more
    brackets, so it is longer: only long lines are looked into) and a line starting with a bare
    ``null`` (only lines not starting with ``{`` are looked at). In an ordinary file no line is
    looked into and the scan only finds the line ends.
    """
    line = line_start = 0
    for offset, piece, following in _pieces(view):
        ends = _line_ends(piece, following) + offset
        if following < 0:
            ends = np.append(ends, view.shape[0])  # the last line, ended or not (an empty extra line is harmless)
        if ends.shape[0] == 0:
            continue
        starts = np.concatenate(([line_start], ends[:-1] + 1))
        filled = np.flatnonzero(ends > starts)
        for i in filled[view[starts[filled]] != _OPEN_OBJECT]:
            head = bytes(view[int(starts[i]):min(int(ends[i]), int(starts[i]) + 64)]).removeprefix(_BOM)
            if head.lstrip(b" \t\r\n").startswith(b"null"):
                return JsonLines(line + int(i) + 1, None, line + int(i) + 1)
        long = np.flatnonzero(ends - starts > deeper_than)
        if long.shape[0]:
            openers = _openers_per_line(view, starts[long], ends[long])
            for i in long[openers > deeper_than]:
                depth = _depth(view[int(starts[i]):int(ends[i])])
                if depth > deeper_than:
                    return JsonLines(line + int(i) + 1, (line + int(i) + 1, depth), None)
        line += ends.shape[0]
        line_start = int(ends[-1]) + 1
    return JsonLines(line, None, None)


def _openers(stretch: np.ndarray) -> int:
    """Brackets opened in a stretch of bytes, counted a piece at a time."""
    return sum(int(np.count_nonzero((part == _OPENERS[0]) | (part == _OPENERS[1])))
               for part in (stretch[i:i + _SCAN] for i in range(0, stretch.shape[0], _SCAN)))


def _openers_per_line(view: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Brackets opened on each of some lines, given by their bounds; many short ones are counted without a loop."""
    counts = np.zeros(starts.shape[0], dtype=np.int64)
    counts[0] = _openers(view[int(starts[0]):int(ends[0])])  # it may have begun pieces ago
    if starts.shape[0] <= 8:
        counts[1:] = [_openers(view[int(s):int(e)]) for s, e in zip(starts[1:], ends[1:], strict=True)]
    else:
        low = int(starts[1])
        stretch = view[low:int(ends[-1])]
        opened = (stretch == _OPENERS[0]) | (stretch == _OPENERS[1])
        bounds = np.column_stack((starts[1:] - low, ends[1:] - low)).ravel()
        counts[1:] = np.add.reduceat(opened, bounds[:-1], dtype=np.int64)[::2]
    return counts


def decoded_size(batch: pa.RecordBatch) -> int:
    """Bytes a batch takes once dictionary-encoded text is decoded, as the checks that follow decode it."""
    total = 0
    for column in batch.columns:
        if not pa.types.is_dictionary(column.type):
            total += column.nbytes
            continue
        values = column.dictionary
        total += column.indices.nbytes
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type) or pa.types.is_binary(
                values.type) or pa.types.is_large_binary(values.type):
            lengths = pc.take(pc.binary_length(values), column.indices)
            total += 8 * len(column) + (pc.sum(lengths).as_py() or 0)
        elif len(values):
            total += len(column) * -(-values.nbytes // len(values))
    return total
