"""Reading prediction files (CSV, TSV, Parquet, JSON Lines, each optionally gzipped) into Arrow tables.

Every problem a user can cause (an unknown extension, text that is not UTF-8, an empty file, ragged
rows, a binary file, an unreadable Parquet file) becomes an :class:`EvaluationError` naming the file
and, where it can, the row. Rows are numbered from 1 at the first data row (the header is not counted).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
from collections.abc import Callable, Collection
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json

from ._errors import EvaluationError

__all__ = ["ACCEPTED_EXTENSIONS", "Source", "model_name", "read_table", "source_name", "table_format"]

#: A path, raw bytes, or a ``(filename, bytes)`` pair as a dashboard upload gives it.
Source = str | os.PathLike[str] | bytes | tuple[str, bytes]

_FORMATS: dict[str, str] = {
    ".csv": "csv", ".tsv": "tsv", ".txt": "txt", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
}
#: Accepted extensions; each may also end in ``.gz``.
ACCEPTED_EXTENSIONS: tuple[str, ...] = tuple(_FORMATS)
_HEAD_BYTES = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
_ROW_CONVENTION = "row 1 is the first data row"


def source_name(source: Source) -> str:
    """Return the file name a source is known by (``'<bytes>'`` for bare bytes)."""
    if isinstance(source, tuple):
        return str(source[0])
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    return Path(source).name


def model_name(filename: str) -> str:
    """Return a model's default name: the file name without its known extensions (``base.csv.gz`` -> ``base``).

    Examples
    --------
    >>> model_name("ft.v2.jsonl.gz")
    'ft.v2'
    """
    stem = Path(filename).name
    if stem.lower().endswith(".gz"):
        stem = stem[:-3]
    suffix = Path(stem).suffix
    return stem[: -len(suffix)] if suffix.lower() in _FORMATS and len(stem) > len(suffix) else stem


def table_format(filename: str) -> str:
    """Return ``csv``, ``tsv``, ``txt``, ``parquet`` or ``jsonl`` for a file name, or raise."""
    lower = filename.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    suffix = Path(lower).suffix
    if suffix not in _FORMATS:
        accepted = ", ".join(ACCEPTED_EXTENSIONS)
        raise EvaluationError(
            f"{filename}: unknown file type {suffix or '(no extension)'!r}; expected one of {accepted}"
            " (each optionally gzipped, ending in .gz)", file=filename)
    return _FORMATS[suffix]


def read_table(
    source: Source,
    *,
    filename: str | None = None,
    text_columns: Callable[[list[str]], Collection[str]] | None = None,
) -> pa.Table:
    """Read a prediction file into an Arrow table, turning every reading problem into a clear message.

    Parameters
    ----------
    source:
        A path, raw bytes, or a ``(filename, bytes)`` pair. Gzip compression is recognised by its
        magic bytes, so ``.gz`` files and compressed uploads both work.
    filename:
        The name used for the file type and in messages; defaults to the path's or pair's name.
    text_columns:
        For delimited text only: called with the header's column names, returns the columns to keep
        as text instead of inferring a type (so ids such as ``007`` keep their leading zeros).

    Returns
    -------
    pyarrow.Table
        At least one row.

    Raises
    ------
    EvaluationError
        Unknown extension, missing file, text that is not UTF-8, an empty or header-only file, ragged
        rows, binary content, or a Parquet / JSON Lines file that cannot be parsed.

    Examples
    --------
    >>> read_table(("preds.csv", b"id,label\\n1,a\\n")).num_rows
    1
    """
    name = filename or source_name(source)
    kind = table_format(name)
    content = _Content(source, name)
    if not content.head.strip():
        raise EvaluationError(f"{name}: the file is empty; expected a header row and at least one data row",
                              file=name)
    _check_not_other_format(content.head, kind, name)
    try:
        if kind == "parquet":
            table = _read_parquet(content)
        elif kind == "jsonl":
            table = _read_jsonl(content)
        else:
            table = _read_delimited(content, kind, text_columns)
    except pa.ArrowException as error:
        raise EvaluationError(f"{name}: could not be read as a table ({error})", file=name) from error
    _check_shape(table, name)
    return table


class _Content:
    """A file's bytes: the first few for sniffing, a stream for pyarrow, all of them only for diagnosis."""

    def __init__(self, source: Source, name: str) -> None:
        self.name = name
        self.path: str | None = None
        self._data: bytes | None = None
        if isinstance(source, tuple):
            raw = bytes(source[1])
        elif isinstance(source, (bytes, bytearray, memoryview)):
            raw = bytes(source)
        else:
            self.path = os.fspath(source)
            raw = self._open_head()
        if raw[:2] == _GZIP_MAGIC:
            if self.path is not None:
                raw = self._read_path()
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, gzip.BadGzipFile) as error:
                raise EvaluationError(f"{name}: the gzip data is damaged or truncated ({error})", file=name) from None
            self.path = None
        elif name.lower().endswith(".gz") and raw:
            raise EvaluationError(f"{name}: the name ends in .gz but the file is not gzip-compressed; rename it "
                                  "without .gz or compress it with gzip", file=name)
        if self.path is None:
            self._data = raw
        self.head = raw[:_HEAD_BYTES]

    def _open_head(self) -> bytes:
        """The first bytes of the file on disk."""
        assert self.path is not None
        try:
            with open(self.path, "rb") as handle:
                return handle.read(_HEAD_BYTES)
        except FileNotFoundError:
            raise EvaluationError(f"{self.name}: file not found at {self.path!r}", file=self.name) from None
        except OSError as error:
            raise EvaluationError(f"{self.name}: could not be opened ({error.strerror or error})",
                                  file=self.name) from None

    def _read_path(self) -> bytes:
        """Every byte of the file on disk."""
        assert self.path is not None
        try:
            return Path(self.path).read_bytes()
        except OSError as error:
            raise EvaluationError(f"{self.name}: could not be read ({error.strerror or error})", file=self.name) from None

    def stream(self) -> pa.NativeFile:
        """A fresh pyarrow input over the (decompressed) bytes; files on disk are memory-mapped."""
        return pa.memory_map(self.path) if self.path is not None else pa.BufferReader(self._data)

    @property
    def data(self) -> bytes:
        """Every (decompressed) byte, read on demand to explain a problem."""
        if self._data is None:
            self._data = self._read_path()
        return self._data

    def first_line(self) -> bytes:
        """The header line (the head unless the line is longer)."""
        end = self.head.find(b"\n")
        if end >= 0:
            return self.head[:end]
        end = self.data.find(b"\n")
        return self.data if end < 0 else self.data[:end]


def _check_not_other_format(head: bytes, kind: str, name: str) -> None:
    """Refuse content that is plainly another kind of file than the extension says."""
    if kind == "parquet":
        if head[:4] != b"PAR1":
            raise EvaluationError(f"{name}: not a Parquet file (it does not start with the PAR1 marker); "
                                  "check the extension matches the content", file=name)
        return
    if head[:4] == b"PAR1":
        raise EvaluationError(f"{name}: this is a Parquet file; name it .parquet", file=name)
    if head[:4] == b"PK\x03\x04":
        raise EvaluationError(f"{name}: this is a ZIP archive or an Excel workbook, not a text table; "
                              "export the sheet as CSV (UTF-8)", file=name)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise EvaluationError(f"{name}: the text is UTF-16 encoded; re-save the file as UTF-8", file=name)
    if b"\x00" in head:
        offset = head.index(b"\x00")
        raise EvaluationError(f"{name}: not a text table: it contains binary data (a NUL byte at byte "
                              f"{offset}); expected {kind.upper()} text", file=name)


def _read_parquet(content: _Content) -> pa.Table:
    """Read Parquet, dropping a stored pandas index."""
    import pyarrow.parquet as pq  # imported when needed: it brings pyarrow's file systems, unused for text

    name = content.name
    try:
        table = pq.read_table(content.stream())
    except (pa.ArrowException, OSError) as error:
        raise EvaluationError(f"{name}: could not be read as Parquet ({error}); the file may be damaged or "
                              "truncated", file=name) from None
    keep = [column for column in table.column_names if not column.startswith("__index_level_")]
    return table.select(keep)


def _read_jsonl(content: _Content) -> pa.Table:
    """Read JSON Lines, locating bad lines and text that is not UTF-8."""
    try:
        table = pa_json.read_json(content.stream())
    except pa.ArrowInvalid as error:
        raise _jsonl_problem(content.data, content.name, str(error)) from None
    # The JSON reader keeps bytes that are not UTF-8 in its text columns; full validation finds them.
    try:
        table.validate(full=True)
    except pa.ArrowInvalid:
        raise _utf8_problem(content.data, content.name, header_lines=0) from None
    return table


def _jsonl_problem(data: bytes, name: str, detail: str) -> EvaluationError:
    """Explain a JSON Lines parse failure with the line it happened on."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _utf8_problem(data, name, header_lines=0)
    types: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(data.decode("utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            return EvaluationError(f"{name}: line {number} is not valid JSON ({error.msg}): {line[:80]!r}; "
                                   "expected one JSON object per line", file=name)
        if not isinstance(record, dict):
            return EvaluationError(f"{name}: line {number} is a JSON {type(record).__name__}, not an object: "
                                   f"{line[:80]!r}; expected one object per line, such as "
                                   '{"id": 1, "label": "cat"}', file=name)
        for key, value in record.items():
            kind = "null" if value is None else "number" if isinstance(value, (int, float)) else type(value).__name__
            if kind == "null":
                continue
            first = types.setdefault(key, (kind, number))
            if first[0] != kind:
                return EvaluationError(
                    f"{name}: column {key!r} holds a {first[0]} on line {first[1]} but a {kind} on line {number}; "
                    f"write every value of a column the same way (for example all as text: \"1\")",
                    file=name, column=key)
    return EvaluationError(f"{name}: could not be read as JSON Lines ({detail})", file=name)


def _sniff_delimiter(header: str, kind: str) -> str:
    """Pick the delimiter: the format's own when the header holds it, else the commonest candidate."""
    default = "\t" if kind == "tsv" else ","
    if kind == "txt" and "\t" in header:
        return "\t"
    if default in header:
        return default
    counts = {candidate: header.count(candidate) for candidate in (",", "\t", ";", "|")}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else default


def _read_delimited(
    content: _Content, kind: str, text_columns: Callable[[list[str]], Collection[str]] | None
) -> pa.Table:
    """Read CSV/TSV with pyarrow's multi-threaded reader."""
    name = content.name
    try:
        first_line = content.first_line().decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        raise _utf8_problem(content.data, name, header_lines=1) from None
    delimiter = _sniff_delimiter(first_line, kind)
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
    column_types = {column: pa.string() for column in (text_columns(header) if text_columns else ())}
    convert = pa_csv.ConvertOptions(column_types=column_types, strings_can_be_null=True)
    parse = pa_csv.ParseOptions(delimiter=delimiter)
    try:
        table = pa_csv.read_csv(content.stream(), parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as error:
        raise _delimited_problem(content.data, name, delimiter, convert, str(error)) from None
    if any(pa.types.is_binary(column.type) for column in table.columns):
        raise _utf8_problem(content.data, name, header_lines=1)
    return table


def _delimited_problem(
    data: bytes, name: str, delimiter: str, convert: pa_csv.ConvertOptions, detail: str
) -> EvaluationError:
    """Explain a CSV parse failure, re-reading on one thread to learn the row."""
    if "UTF8" in detail or "UTF-8" in detail:
        return _utf8_problem(data, name, header_lines=1)
    if "Empty CSV file" in detail:
        return EvaluationError(f"{name}: the file is empty; expected a header row and data rows", file=name)
    bad: list[pa_csv.InvalidRow] = []

    def record(row: pa_csv.InvalidRow) -> str:
        bad.append(row)
        return "error"

    with contextlib.suppress(pa.ArrowInvalid):
        pa_csv.read_csv(pa.BufferReader(data), read_options=pa_csv.ReadOptions(use_threads=False),
                        parse_options=pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=record),
                        convert_options=convert)
    if bad:
        row = bad[0]
        where = f"row {row.number - 1} (line {row.number} of the file; {_ROW_CONVENTION})" if row.number else "a row"
        return EvaluationError(
            f"{name}: not a regular table: {where} has {row.actual_columns} fields but the header has "
            f"{row.expected_columns} columns: {row.text[:80]!r}; expected the same number of "
            f"{'tab' if delimiter == chr(9) else repr(delimiter)}-separated fields on every row", file=name)
    return EvaluationError(f"{name}: could not be read as a table ({detail})", file=name)


def _utf8_problem(data: bytes, name: str, *, header_lines: int) -> EvaluationError:
    """Describe the first byte that is not UTF-8: which byte, on which line, and what to do."""
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as error:
        start = error.start + (len(data) - len(text))
        line = data.count(b"\n", 0, start) + 1
        line_start = data.rfind(b"\n", 0, start) + 1
        context = data[max(line_start, start - 20):start + 10].decode("utf-8", errors="backslashreplace")
        row = line - header_lines
        where = f"line {line}" + (f" (row {row}; {_ROW_CONVENTION})" if header_lines and row >= 1 else
                                  " (the header)" if header_lines else "")
        return EvaluationError(
            f"{name}: byte 0x{data[start]:02x} on {where}, near {context!r}, is not UTF-8 ({error.reason}); "
            "the file was probably saved as Latin-1 / Windows-1252; re-save the file as UTF-8", file=name)
    return EvaluationError(f"{name}: the text could not be decoded as UTF-8; re-save the file as UTF-8", file=name)


def _check_shape(table: pa.Table, name: str) -> None:
    """Refuse tables without rows and tables whose column names repeat."""
    if table.num_rows == 0:
        raise EvaluationError(f"{name}: the file has a header but no data rows (no rows to evaluate); expected at "
                              "least one row", file=name)
    names = table.column_names
    repeated = list(dict.fromkeys(column for i, column in enumerate(names) if column in names[:i]))
    if repeated:
        raise EvaluationError(f"{name}: column names must be unique, but {', '.join(map(repr, repeated))} "
                              "appears more than once", file=name, column=repeated[0])
