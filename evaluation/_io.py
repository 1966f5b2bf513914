"""Reading prediction files (CSV, TSV, Parquet, JSON Lines, each optionally gzipped) into Arrow tables.

Every problem a user can cause (an unknown extension, text that is not UTF-8, an empty file, ragged
rows, a binary file, an unreadable Parquet file, a file beyond a :class:`~evaluation.Limits`) becomes
an :class:`EvaluationError` naming the file and, where it can, the row. Rows are numbered from 1 at the
first data row (the header is not counted).

A source may also be a directory of part files or a glob pattern (:mod:`evaluation._sources`): each
part is read and checked as a file of its own, and the parts are concatenated in name order, so the
rows of the table, and the row numbers of later messages, run on across the parts.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import os
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json

from ._errors import EvaluationError, clip, format_examples, quote
from ._limits import (
    MAX_NESTING,
    ROLE_COLUMNS,
    Limits,
    count_lines,
    decoded_size,
    format_size,
    gunzip,
    json_lines,
    limit_error,
    long_lines,
)
from ._sources import concatenate, first_part, group_name, is_multi_file, part_paths

__all__ = ["ACCEPTED_EXTENSIONS", "Source", "accepted_file_name", "first_file", "import_pandas_integration",
           "model_name", "read_table", "source_exists", "source_name", "table_format"]

#: A path (or a directory of part files, or a glob pattern), raw bytes, or a ``(filename, bytes)`` pair as a
#: dashboard upload gives it.
Source = str | os.PathLike[str] | bytes | tuple[str, bytes]

_FORMATS: dict[str, str] = {
    ".csv": "csv", ".tsv": "tsv", ".txt": "txt", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
}
#: Accepted extensions; each may also end in ``.gz``.
ACCEPTED_EXTENSIONS: tuple[str, ...] = tuple(_FORMATS)
_HEAD_BYTES = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_ROW_CONVENTION = "row 1 is the first data row"
_BLOCK = 1 << 20  # Arrow's block for text: a line must fit in one; longer lines are measured, then read with a larger block
_MAX_BLOCK = (1 << 31) - 1
_PARQUET_BATCH = 1 << 16
_FIRST_RECORD = 1 << 26  # a first JSON line up to this long is parsed in Python to count its keys
# What pyarrow's Parquet reader raises on a damaged file, besides its own errors.
_PARQUET_ERRORS = (pa.ArrowException, OSError, ValueError, TypeError, KeyError, IndexError, EOFError)


def import_pandas_integration() -> None:
    """Load Arrow's pandas integration (pandas with it) now, on this thread; call it before starting threads.

    Arrow loads it on its first conversion (``to_numpy``, ``to_pandas``), on whichever thread converts
    first: a loader's worker, maybe while another thread imports, and a module imported on two threads
    at once can be seen half-initialised by one of them.
    """
    pa.table({}).to_pandas()


def source_name(source: Source) -> str:
    """Return the file name a source is known by (``'<bytes>'`` for bare bytes).

    A file is known by its name without its directory; a directory of part files or a glob pattern
    by the path as given (``data/base/*.parquet``).
    """
    if isinstance(source, tuple):
        return str(source[0])
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    if is_multi_file(source):
        return os.fspath(source)
    return Path(source).name


def source_exists(path: str) -> bool:
    """Whether a command-line path names input: an existing file or directory, or a glob pattern.

    A pattern passes even when it matches nothing: :func:`read_table` then says what it looked for.

    Examples
    --------
    >>> source_exists("."), source_exists("runs/*.csv"), source_exists("absent.csv")
    (True, True, False)
    """
    return os.path.isfile(path) or is_multi_file(path)


def first_file(source: Source) -> Source:
    """The first file of a directory or glob pattern, in name order (to sniff its columns), or the source itself.

    Raises
    ------
    EvaluationError
        A directory or pattern without a file.
    """
    return first_part(source, accepted_file_name)


def model_name(filename: str) -> str:
    """Return a model's default name: the file name without its known extensions (``base.csv.gz`` -> ``base``).

    A directory of part files is named like a file (``data/finetuned/`` -> ``finetuned``); a glob
    pattern after its last path component without glob characters (``data/base/*.parquet`` -> ``base``).

    Examples
    --------
    >>> model_name("ft.v2.jsonl.gz"), model_name("data/base/*.parquet"), model_name("data/finetuned/")
    ('ft.v2', 'base', 'finetuned')
    """
    stem = group_name(filename)
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
            f"{filename}: unknown file type {quote(suffix) if suffix else repr('(no extension)')}; expected one of {accepted}"
            " (each optionally gzipped, ending in .gz)", file=filename)
    return _FORMATS[suffix]


def read_table(
    source: Source,
    *,
    filename: str | None = None,
    text_columns: Callable[[list[str]], Collection[str]] | None = None,
    limits: Limits | None = None,
) -> pa.Table:
    """Read a prediction file into an Arrow table, turning every reading problem into a clear message.

    Parameters
    ----------
    source:
        A path, raw bytes, or a ``(filename, bytes)`` pair. Gzip compression is recognised by its
        magic bytes, so ``.gz`` files and compressed uploads both work. A path may also be a
        directory or a glob pattern (``data/base/*.parquet``, ``runs/**/*.csv``): its files of one
        format (a directory's with an accepted extension, leaving out names starting with ``_`` or
        ``.`` such as ``_SUCCESS``) are each read as a file, then concatenated in name order.
    filename:
        The name used for the file type and in messages; defaults to the path's or pair's name (a
        directory or pattern: the path as given; each part is named by its own path).
    text_columns:
        Called with the header's column names before any data row is read (delimited text and
        Parquet), so it may refuse the file early; for delimited text it returns the columns to keep
        as text instead of inferring a type (so ids such as ``007`` keep their leading zeros).
    limits:
        Limits on the file's bytes, rows, columns and field length (see :class:`~evaluation.Limits`;
        its defaults when ``None``). For a directory or pattern each part is checked against them,
        and the parts' bytes and rows together against ``max_bytes`` and ``max_rows``.

    Returns
    -------
    pyarrow.Table
        At least one row.

    Raises
    ------
    EvaluationError
        Unknown extension, missing file, text that is not UTF-8, an empty or header-only file, ragged
        rows, binary content, a Parquet / JSON Lines file that cannot be parsed, or a file beyond
        one of the limits; for a directory or pattern also no file found, parts of different formats,
        columns or types (see :func:`evaluation._sources.concatenate`).

    Examples
    --------
    >>> read_table(("preds.csv", b"id,label\\n1,a\\n")).num_rows
    1
    """
    name = filename or source_name(source)
    limits = limits or Limits()
    if is_multi_file(source):
        assert isinstance(source, (str, os.PathLike))
        return _read_parts(source, name, text_columns, limits)
    table, _ = _read_one(source, name, text_columns, limits)
    return table


def _read_one(source: Source, name: str, text_columns: Callable[[list[str]], Collection[str]] | None,
              limits: Limits, *, part: bool = False) -> tuple[pa.Table, int]:
    """:func:`read_table` of one file, and the bytes it holds (decompressed, or decoded for Parquet).

    A ``part`` of a directory or pattern may have no data rows (writers leave empty parts).
    """
    kind = table_format(name)
    content = _Content(source, name, limits)
    if not content.head.strip():
        raise EvaluationError(f"{name}: the file is empty; expected a header row and at least one data row",
                              file=name)
    _check_not_other_format(content.head, kind, name)
    try:
        if kind == "parquet":
            table = _read_parquet(content, text_columns)
        elif kind == "jsonl":
            table = _read_jsonl(content)
        else:
            table = _read_delimited(content, kind, text_columns)
    except pa.ArrowException as error:
        raise EvaluationError(f"{name}: could not be read as a table ({clip(str(error))})", file=name) from error
    _check_shape(table, name, limits, empty=part)
    size = content.size
    if kind == "parquet":
        size = max(size, sum(decoded_size(batch) for batch in table.to_batches()))
    return table, size


def accepted_file_name(filename: str) -> bool:
    """Whether a file name has an accepted extension (optionally followed by ``.gz``)."""
    return Path(filename.lower().removesuffix(".gz")).suffix in _FORMATS


def _read_parts(source: str | os.PathLike[str], name: str,
                text_columns: Callable[[list[str]], Collection[str]] | None, limits: Limits) -> pa.Table:
    """Read a directory's or pattern's files one by one, within the limits together, and concatenate them."""
    paths = part_paths(source, accepted_file_name)
    kinds = [table_format(path) for path in paths]
    for path, kind in zip(paths, kinds, strict=True):
        if kind != kinds[0]:
            raise EvaluationError(f"{name}: {paths[0]} is {kinds[0].upper()} but {path} is {kind.upper()}; expected "
                                  "the files of a directory or pattern to be of one format", file=name)
    together = f"{format_size(limits.max_bytes)} for the files of a directory or pattern together"
    on_disk = 0
    with contextlib.suppress(OSError):  # reading names a file that cannot be opened
        on_disk = sum(os.path.getsize(path) for path in paths)
    if on_disk > limits.max_bytes:
        raise limit_error(name, f"its {len(paths):,} files hold {format_size(on_disk)}", together, limits, "max_bytes")
    parts: list[tuple[str, pa.Table]] = []
    rows = size = 0
    for path in paths:
        if on_disk and not os.path.getsize(path):  # writers leave empty files for empty partitions
            continue
        table, held = _read_one(path, path, text_columns, limits, part=True)
        parts.append((path, table))
        rows, size = rows + table.num_rows, size + held
        if rows > limits.max_rows:
            raise limit_error(name, f"its first {len(parts):,} files hold {rows:,} data rows",
                              f"{limits.max_rows:,} rows for the files of a directory or pattern together", limits,
                              "max_rows")
        if size > limits.max_bytes:
            raise limit_error(name, f"its first {len(parts):,} files hold {format_size(size)}", together, limits,
                              "max_bytes")
    table = concatenate(parts, text_columns, name=name) if parts else None
    if table is None or table.num_rows == 0:
        raise EvaluationError(f"{name}: its {len(paths):,} files have no data rows (no rows to evaluate); expected at "
                              "least one row", file=name)
    return table


class _Content:
    """A file's bytes, within the byte limit: the first few for sniffing, a stream for pyarrow, all only for diagnosis."""

    def __init__(self, source: Source, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.path: str | None = None
        self._data: bytes | bytearray | None = None
        if isinstance(source, tuple):
            raw = bytes(source[1])
            size = len(raw)
        elif isinstance(source, (bytes, bytearray, memoryview)):
            raw = bytes(source)
            size = len(raw)
        else:
            self.path = os.fspath(source)
            raw, size = self._open_head()
        if raw[:2] == _GZIP_MAGIC:
            self._data = gunzip(self.path if self.path is not None else raw, name, limits)
            self.path = None
            size = len(self._data)
        elif name.lower().endswith(".gz") and raw:
            raise EvaluationError(f"{name}: the name ends in .gz but the file is not gzip-compressed; rename it "
                                  "without .gz or compress it with gzip", file=name)
        elif size > limits.max_bytes:  # a plain file's size is known before reading it
            raise _too_large(name, limits, f"the file holds {format_size(size)}")
        elif self.path is None:
            self._data = raw
        self.size = size
        self.head = raw[:_HEAD_BYTES] if self._data is None else bytes(self._data[:_HEAD_BYTES])

    def _open_head(self) -> tuple[bytes, int]:
        """The first bytes of the file on disk, and its size."""
        assert self.path is not None
        try:
            with open(self.path, "rb") as handle:
                return handle.read(_HEAD_BYTES), os.fstat(handle.fileno()).st_size
        except FileNotFoundError:
            raise EvaluationError(f"{self.name}: file not found at {quote(self.path, width=200)}", file=self.name) from None
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

    def view(self) -> np.ndarray:
        """Every (decompressed) byte as a NumPy array, without a copy (files on disk are memory-mapped)."""
        if self.path is not None:
            return np.frombuffer(pa.memory_map(self.path).read_buffer(), dtype=np.uint8)
        return np.frombuffer(self.data, dtype=np.uint8)

    @property
    def data(self) -> bytes | bytearray:
        """Every (decompressed) byte, read on demand to explain a problem."""
        if self._data is None:
            self._data = self._read_path()
        return self._data

    def first_line(self) -> bytes:
        """The header line, up to its line end (LF, CR LF or a lone CR); past the head only when it is longer."""
        text = self.head if b"\n" in self.head or b"\r" in self.head else self.data
        ends = [end for end in (text.find(b"\n"), text.find(b"\r")) if end >= 0]
        return bytes(text[:min(ends, default=len(text))])


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


def _check_columns(count: int, name: str, limits: Limits) -> None:
    """Refuse a file with more columns than the roles, classes and metadata limits allow, before its rows are read."""
    if count > limits.max_columns:
        raise limit_error(name, f"the file has {count:,} columns",
                          f"{limits.max_columns:,} columns ({limits.max_classes:,} for class probabilities, "
                          f"{limits.max_metadata_columns:,} for metadata and {ROLE_COLUMNS} for id, label, prediction, "
                          "score, split and timestamp)", limits, "max_metadata_columns", "max_classes")


def _too_many_rows(name: str, limits: Limits, found: str) -> EvaluationError:
    """The message for a file with more rows than the limit."""
    return limit_error(name, found, f"{limits.max_rows:,} rows per file", limits, "max_rows")


def _too_large(name: str, limits: Limits, found: str) -> EvaluationError:
    """The message for a file holding more bytes than the limit."""
    return limit_error(name, found, f"{format_size(limits.max_bytes)} per file", limits, "max_bytes")


def _read_parquet(content: _Content, header: Callable[[list[str]], object] | None) -> pa.Table:
    """Read Parquet, dropping a stored pandas index; the limits are checked on the metadata, then batch by batch."""
    import pyarrow.parquet as pq  # imported when needed: it brings pyarrow's file systems, unused for text

    name, limits = content.name, content.limits

    def unreadable(error: Exception) -> EvaluationError:
        return EvaluationError(f"{name}: could not be read as Parquet ({clip(str(error) or type(error).__name__)}); the "
                               "file may be damaged or truncated", file=name)

    try:
        parquet = pq.ParquetFile(content.stream())
        metadata, schema = parquet.metadata, parquet.schema_arrow
        stored = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        stored_names = schema.names
    except _PARQUET_ERRORS as error:
        raise unreadable(error) from None
    keep = [i for i, column in enumerate(stored_names) if not column.startswith("__index_level_")]
    names = [stored_names[i] for i in keep]
    _check_columns(len(names), name, limits)
    if header is not None:
        header(names)
    if metadata.num_rows > limits.max_rows:
        raise _too_many_rows(name, limits, f"the file has {metadata.num_rows:,} data rows")
    least = max(stored, metadata.num_rows * sum(_least_width(schema.field(i).type) for i in keep))
    if least > limits.max_bytes:
        raise _too_large(name, limits, f"decoded, the file holds at least {format_size(least)}")
    batches, decoded = [], 0
    try:
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH):
            decoded += decoded_size(batch)
            if decoded > limits.max_bytes:
                raise _too_large(name, limits, f"decoded, the file holds more than {format_size(limits.max_bytes)}")
            batches.append(batch)
        table = pa.Table.from_batches(batches) if batches else schema.empty_table()
    except _PARQUET_ERRORS as error:
        raise unreadable(error) from None
    return table.select(keep) if len(keep) != table.num_columns else table


def _least_width(kind: pa.DataType) -> int:
    """Bytes a value of a type takes at least once read (an offset for text, the index for dictionary values)."""
    if pa.types.is_dictionary(kind):
        kind = kind.index_type
    try:
        return max(kind.bit_width // 8, 1)
    except ValueError:
        return 4


def _check_rows_before_parsing(content: _Content, *, min_row_bytes: int, header_lines: int,
                               rows: Callable[[], Iterator[int]], lines: int | None = None) -> None:
    """Refuse text with more rows than the limit before Arrow parses all of it.

    Only when the file's size allows more rows than the limit are its line ends counted, and only
    when those allow more are the rows themselves counted, streaming, until the limit is passed.
    """
    limits = content.limits
    if content.size // max(min_row_bytes, 1) <= limits.max_rows:
        return
    if (count_lines(content.view()) if lines is None else lines) - header_lines <= limits.max_rows:
        return
    counted = 0
    with contextlib.suppress(pa.ArrowException):  # the read that follows explains a file it cannot count
        for batch_rows in rows():
            counted += batch_rows
            if counted > limits.max_rows:
                raise _too_many_rows(content.name, limits, f"the file has more than {limits.max_rows:,} data rows")


def _block_for_long_lines(content: _Content, fields: Callable[[bytes], list[tuple[str | None, int]]],
                          *, header_lines: int) -> int:
    """An Arrow block size holding the longest line, once no field is longer than the limit."""
    name, limits = content.name, content.limits
    view = content.view()
    longest, lines = long_lines(view, limits.max_field_bytes)
    for number, start, end in lines:
        column, size = max(fields(bytes(view[start:end])), key=lambda field: field[1], default=(None, end - start))
        if size > limits.max_field_bytes:
            if header_lines and number == 1:
                raise _field_too_long(name, limits, "the header holds a column name", size, None)
            where = (f"row {number - header_lines:,} (line {number:,} of the file; {_ROW_CONVENTION}) holds a field"
                     if header_lines else f"line {number:,} holds a value")
            raise _field_too_long(name, limits, where, size, column)
    if longest + _BLOCK > _MAX_BLOCK:
        raise EvaluationError(f"{name}: a line of {format_size(longest)}; lines longer than 2 GiB cannot be read", file=name)
    return longest + _BLOCK


def _field_too_long(name: str, limits: Limits, where: str, size: int, column: str | None) -> EvaluationError:
    """The message for a field longer than the limit."""
    of_column = f" in column {quote(column)}" if column is not None else ""
    return limit_error(name, f"{where} of {size:,} bytes ({format_size(size)}){of_column}",
                       f"{format_size(limits.max_field_bytes)} per field", limits, "max_field_bytes", column=column)


def _check_fields(table: pa.Table, content: _Content) -> None:
    """Refuse a field longer than a limit set below Arrow's block, which by itself keeps fields shorter than the block."""
    name, limits = content.name, content.limits
    if limits.max_field_bytes >= _BLOCK:
        return
    for column, values in zip(table.column_names, table.columns, strict=True):
        if len(column.encode()) > limits.max_field_bytes:
            raise _field_too_long(name, limits, "the header holds a column name", len(column.encode()), None)
        kind = values.type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
                or pa.types.is_large_binary(kind)):
            continue
        lengths = pc.binary_length(values)
        longest = pc.max(lengths).as_py() or 0
        if longest > limits.max_field_bytes:
            row = int(pc.index(lengths, longest).as_py()) + 1
            raise _field_too_long(name, limits, f"row {row:,} ({_ROW_CONVENTION}) holds a field", longest, column)


def _straddles(error: pa.ArrowInvalid) -> bool:
    """Whether Arrow failed on a line longer than its block."""
    return "straddling" in str(error)


def _csv_fields(line: bytes, parse: pa_csv.ParseOptions, header: list[str]) -> list[tuple[str | None, int]]:
    """``(column, bytes)`` of each field of one line of delimited text, split as Arrow splits it."""
    count = line.count(parse.delimiter.encode()) + 1
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(line + b"\n"), parse_options=parse,
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, use_threads=False,
                                            block_size=min(len(line) + _BLOCK, _MAX_BLOCK)),
            convert_options=pa_csv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(count)}))
    except pa.ArrowException:
        return [(None, len(line))]
    return [(header[i] if i < len(header) else None, int(pc.max(pc.binary_length(column)).as_py() or 0))
            for i, column in enumerate(table.columns)]


def _json_fields(line: bytes) -> list[tuple[str | None, int]]:
    """``(key, bytes)`` of each value of one line of JSON Lines (a key's own length when longer)."""
    try:
        table = pa_json.read_json(pa.BufferReader(line + b"\n"), read_options=pa_json.ReadOptions(
            use_threads=False, block_size=min(len(line) + _BLOCK, _MAX_BLOCK)))
        sizes: list[tuple[str | None, int]] = []
        for key, column in zip(table.column_names, table.columns, strict=True):
            text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
            size = int(pc.max(pc.binary_length(column)).as_py() or 0) if text else column.nbytes
            sizes.append((key, max(size, len(key.encode()))))
    except (pa.ArrowException, UnicodeDecodeError):  # not one JSON object, or a key that is not UTF-8
        return [(None, len(line))]
    return sizes


def _read_jsonl(content: _Content) -> pa.Table:
    """Read JSON Lines, locating bad lines and text that is not UTF-8."""
    name, limits = content.name, content.limits
    scan = json_lines(content.view())
    if scan.deep is not None:
        raise EvaluationError(f"{name}: line {scan.deep[0]:,} nests lists or objects {scan.deep[1]:,} levels deep; "
                              f"expected one flat JSON object per line (values nested at most {MAX_NESTING:,} levels)",
                              file=name)
    if scan.null is not None:
        raise EvaluationError(f"{name}: line {scan.null:,} holds null, not an object; expected one JSON object per line, "
                              'such as {"id": 1, "label": "cat"}', file=name)
    first = content.first_line()
    if first.count(b'":') > limits.max_columns and len(first) <= _FIRST_RECORD:  # perhaps too many keys: count them
        try:
            record = json.loads(first.decode("utf-8-sig"))
        except ValueError:  # not JSON: the read explains it
            record = None
        if isinstance(record, dict):
            _check_columns(len(record), name, limits)

    def rows() -> Iterator[int]:
        ignore = pa_json.ParseOptions(explicit_schema=pa.schema([]), unexpected_field_behavior="ignore")
        for batch in pa_json.open_json(content.stream(), parse_options=ignore):
            yield batch.num_rows

    _check_rows_before_parsing(content, min_row_bytes=2, header_lines=0, rows=rows, lines=scan.lines)
    block = None
    while True:
        try:
            options = None if block is None else pa_json.ReadOptions(block_size=block)
            table = pa_json.read_json(content.stream(), read_options=options)
            break
        except pa.ArrowInvalid as error:
            if block is None and _straddles(error):
                block = _block_for_long_lines(content, _json_fields, header_lines=0)
                continue
            raise _jsonl_problem(content.data, name, str(error)) from None
    # The JSON reader keeps bytes that are not UTF-8 in its text columns and names; full validation finds them.
    try:
        table.validate(full=True)
        table.column_names  # noqa: B018  (a name that is not UTF-8 fails here)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        raise _utf8_problem(content.data, name, header_lines=0) from None
    if block is None:
        _check_fields(table, content)
    return table


def _lines(data: bytes | bytearray) -> Iterator[tuple[int, bytes]]:
    """``(number, line)`` of each line, one at a time."""
    start, number = 0, 1
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        yield number, bytes(data[start:end])
        start, number = end + 1, number + 1


def _jsonl_problem(data: bytes | bytearray, name: str, detail: str) -> EvaluationError:
    """Explain a JSON Lines parse failure with the line it happened on."""
    if _invalid_utf8(data) is not None:
        return _utf8_problem(data, name, header_lines=0)
    types: dict[str, tuple[str, int]] = {}
    for number, raw in _lines(data):
        line = raw.decode("utf-8")
        if number == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as error:
            reason = error.msg if isinstance(error, json.JSONDecodeError) else "nested too deep"
            return EvaluationError(f"{name}: line {number:,} is not valid JSON ({reason}): {quote(line)}; "
                                   "expected one JSON object per line", file=name)
        if not isinstance(record, dict):
            return EvaluationError(f"{name}: line {number:,} is a JSON {type(record).__name__}, not an object: "
                                   f"{quote(line)}; expected one object per line, such as "
                                   '{"id": 1, "label": "cat"}', file=name)
        for key, value in record.items():
            kind = "null" if value is None else "number" if isinstance(value, (int, float)) else type(value).__name__
            if kind == "null":
                continue
            first = types.setdefault(key, (kind, number))
            if first[0] != kind:
                return EvaluationError(
                    f"{name}: column {quote(key)} holds a {first[0]} on line {first[1]:,} but a {kind} on line "
                    f"{number:,}; write every value of a column the same way (for example all as text: \"1\")",
                    file=name, column=key)
    return EvaluationError(f"{name}: could not be read as JSON Lines ({clip(detail)})", file=name)


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


def _header(first_line: str, delimiter: str, name: str, limits: Limits) -> list[str]:
    """The header's column names, refused here when there are more than a file may have."""
    try:
        header = next(csv.reader([first_line], delimiter=delimiter), [])
    except csv.Error:  # a name longer than the csv module's field limit: Arrow splits the line instead
        try:
            header = pa_csv.read_csv(pa.BufferReader(first_line.encode() + b"\n"), parse_options=pa_csv.ParseOptions(
                delimiter=delimiter), read_options=pa_csv.ReadOptions(use_threads=False, block_size=min(
                    len(first_line) * 4 + _BLOCK, _MAX_BLOCK))).column_names
        except pa.ArrowException:
            header = first_line.split(delimiter)
    _check_columns(len(header), name, limits)
    return header


def _read_delimited(
    content: _Content, kind: str, text_columns: Callable[[list[str]], Collection[str]] | None
) -> pa.Table:
    """Read CSV/TSV with pyarrow's multi-threaded reader."""
    name = content.name
    try:
        first_line = content.first_line().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _utf8_problem(content.data, name, header_lines=1) from None
    delimiter = _sniff_delimiter(first_line, kind)
    header = _header(first_line, delimiter, name, content.limits)
    column_types = {column: pa.string() for column in (text_columns(header) if text_columns else ())}
    convert = pa_csv.ConvertOptions(column_types=column_types, strings_can_be_null=True)
    parse = pa_csv.ParseOptions(delimiter=delimiter)

    def rows() -> Iterator[int]:
        if not header:  # a blank first line: the read that follows explains it
            return
        first = pa_csv.ConvertOptions(include_columns=header[:1], column_types={header[0]: pa.string()})
        for batch in pa_csv.open_csv(content.stream(), parse_options=parse, convert_options=first):
            yield batch.num_rows

    _check_rows_before_parsing(content, min_row_bytes=len(header), header_lines=1, rows=rows)
    block = None
    while True:
        try:
            options = None if block is None else pa_csv.ReadOptions(block_size=block)
            table = pa_csv.read_csv(content.stream(), read_options=options, parse_options=parse, convert_options=convert)
            break
        except pa.ArrowInvalid as error:
            # A header longer than the block reads to Arrow as an empty file rather than a long line.
            if block is None and (_straddles(error) or len(first_line) >= _BLOCK):
                block = _block_for_long_lines(content, lambda line: _csv_fields(line, parse, header), header_lines=1)
                continue
            raise _delimited_problem(content.data, name, delimiter, convert, str(error), block) from None
    try:  # Arrow keeps column names that are not UTF-8 (when a quoted name spans lines) and fails only when asked
        table.column_names  # noqa: B018
        binary = any(pa.types.is_binary(field.type) for field in table.schema)
    except UnicodeDecodeError:
        binary = True
    if binary:
        raise _utf8_problem(content.data, name, header_lines=1)
    if block is None:  # a larger block was chosen after measuring every long line's fields
        _check_fields(table, content)
    return table


def _delimited_problem(
    data: bytes | bytearray, name: str, delimiter: str, convert: pa_csv.ConvertOptions, detail: str, block: int | None
) -> EvaluationError:
    """Explain a CSV parse failure, re-reading on one thread to learn the row."""
    # Text that is not UTF-8 first: Arrow cannot hand such a row to the handler below.
    if "UTF8" in detail or "UTF-8" in detail or _invalid_utf8(data) is not None:
        return _utf8_problem(data, name, header_lines=1)
    if "Empty CSV file" in detail:
        return EvaluationError(f"{name}: the file is empty; expected a header row and data rows", file=name)
    bad: list[pa_csv.InvalidRow] = []

    def record(row: pa_csv.InvalidRow) -> str:
        bad.append(row)
        return "error"

    with contextlib.suppress(pa.ArrowInvalid):
        pa_csv.read_csv(pa.BufferReader(data), read_options=pa_csv.ReadOptions(use_threads=False, block_size=block or _BLOCK),
                        parse_options=pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=record),
                        convert_options=convert)
    if bad:
        row = bad[0]
        where = f"row {row.number - 1:,} (line {row.number:,} of the file; {_ROW_CONVENTION})" if row.number else "a row"
        return EvaluationError(
            f"{name}: not a regular table: {where} has {row.actual_columns:,} fields but the header has "
            f"{row.expected_columns:,} columns: {quote(row.text, width=80)}; expected the same number of "
            f"{'tab' if delimiter == chr(9) else repr(delimiter)}-separated fields on every row", file=name)
    return EvaluationError(f"{name}: could not be read as a table ({clip(detail)})", file=name)


def _invalid_utf8(data: bytes | bytearray) -> tuple[int, str] | None:
    """Offset and reason of the first byte that is not UTF-8 (after a BOM), decoded a piece at a time."""
    view = memoryview(data)
    position = len(_BOM) if data[:len(_BOM)] == _BOM else 0
    while position < len(view):
        final = position + _BLOCK >= len(view)
        try:
            _, used = codecs.utf_8_decode(view[position:position + _BLOCK], "strict", final)
        except UnicodeDecodeError as error:
            return position + error.start, error.reason
        if used == 0:
            break
        position += used
    return None


def _utf8_problem(data: bytes | bytearray, name: str, *, header_lines: int) -> EvaluationError:
    """Describe the first byte that is not UTF-8: which byte, on which line, and what to do."""
    found = _invalid_utf8(data)
    if found is None:
        return EvaluationError(f"{name}: the text could not be decoded as UTF-8; re-save the file as UTF-8", file=name)
    start, reason = found
    line = data.count(b"\n", 0, start) + 1
    line_start = data.rfind(b"\n", 0, start) + 1
    context = bytes(data[max(line_start, start - 20):start + 10]).decode("utf-8", errors="backslashreplace")
    row = line - header_lines
    where = f"line {line:,}" + (f" (row {row:,}; {_ROW_CONVENTION})" if header_lines and row >= 1 else
                                " (the header)" if header_lines else "")
    return EvaluationError(
        f"{name}: byte 0x{data[start]:02x} on {where}, near {context!r}, is not UTF-8 ({reason}); "
        "the file was probably saved as Latin-1 / Windows-1252; re-save the file as UTF-8", file=name)


def _check_shape(table: pa.Table, name: str, limits: Limits, *, empty: bool = False) -> None:
    """Refuse tables without rows (unless ``empty``), with more rows or columns than the limits, or whose column names repeat."""
    if table.num_rows == 0 and not empty:
        raise EvaluationError(f"{name}: the file has a header but no data rows (no rows to evaluate); expected at "
                              "least one row", file=name)
    if table.num_rows > limits.max_rows:
        raise _too_many_rows(name, limits, f"the file has {table.num_rows:,} data rows")
    _check_columns(table.num_columns, name, limits)
    counts = Counter(table.column_names)
    repeated = [column for column, count in counts.items() if count > 1]
    if repeated:
        raise EvaluationError(f"{name}: column names must be unique, but {format_examples(repeated)} "
                              "appears more than once", file=name, column=repeated[0])
