"""Reading prediction files (CSV, TSV, Parquet, JSON Lines; optionally gzip) into Arrow tables."""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from ._errors import EvaluationError

__all__ = ["EXTENSIONS", "Source", "model_name", "read_table", "source_name"]

Source = str | os.PathLike[str] | tuple[str, bytes]
"""A path, or ``(file name, raw bytes)`` for an upload."""

EXTENSIONS: dict[str, str] = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
}


def source_name(source: Source) -> str:
    """The file name of a path or an upload."""
    return source[0] if isinstance(source, tuple) else Path(source).name


def model_name(filename: str) -> str:
    """A model's default name: the file name without its extensions (``base.csv.gz`` -> ``base``)."""
    name = Path(filename).name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    stem, ext = os.path.splitext(name)
    return stem if ext.lower() in EXTENSIONS else name


def _kind(filename: str) -> tuple[str, bool]:
    """The format and whether the file is gzip-compressed, from its extensions."""
    name = filename.lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    ext = os.path.splitext(name)[1]
    if ext not in EXTENSIONS:
        accepted = ", ".join(sorted(EXTENSIONS)) + " (each optionally .gz)"
        raise EvaluationError(f"{filename}: unknown file type {ext or '(no extension)'!r}; expected one of {accepted}.",
                              file=filename)
    return EXTENSIONS[ext], compressed


def _raw_bytes(source: Source, filename: str, compressed: bool) -> bytes:
    """The file's (decompressed) bytes."""
    try:
        data = source[1] if isinstance(source, tuple) else Path(source).read_bytes()
        return gzip.decompress(data) if compressed else data
    except FileNotFoundError as error:
        raise EvaluationError(f"{filename}: no such file.", file=filename) from error
    except (OSError, EOFError) as error:
        raise EvaluationError(f"{filename}: cannot read it ({error}); expected a gzip-compressed file for .gz.",
                              file=filename) from error


def _utf8_problem(data: bytes, filename: str) -> EvaluationError | None:
    """A message locating the first byte that is not UTF-8, if any."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return EvaluationError(
            f"{filename}: the text is not UTF-8: byte 0x{data[error.start]:02x} on line {line} cannot be decoded "
            f"(the file is probably in another encoding such as Latin-1 or Windows-1252). Re-save it as UTF-8.",
            file=filename)
    return None


def _header(data: bytes, delimiter: str) -> list[str]:
    """The column names on the first line of a delimited file."""
    end = data.find(b"\n")
    first_line = data[: end if end >= 0 else len(data)].decode("utf-8", errors="replace").rstrip("\r")
    return next(csv.reader([first_line], delimiter=delimiter), [])


def _read_delimited(
    data: bytes, filename: str, delimiter: str, text_columns: Callable[[list[str]], Sequence[str]] | None
) -> pa.Table:
    if not data[:4096].strip() and not data.strip():  # look at the start first: no copy of a large file
        raise EvaluationError(f"{filename}: the file is empty; expected a header row and one row per example.",
                              file=filename)
    header = _header(data, delimiter)
    as_text = {name: pa.string() for name in (text_columns(header) if text_columns else ()) if name in header}
    try:
        table = pa_csv.read_csv(io.BytesIO(data), parse_options=pa_csv.ParseOptions(delimiter=delimiter),
                                convert_options=pa_csv.ConvertOptions(strings_can_be_null=True, column_types=as_text))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        problem = _utf8_problem(data, filename)
        if problem is not None:
            raise problem from error
        detail = str(error).split("\n")[0]
        raise EvaluationError(
            f"{filename}: not a readable {'tab' if delimiter == chr(9) else 'comma'}-separated table ({detail}); "
            f"expected a header row and the same number of fields on every row.", file=filename) from error
    if any(pa.types.is_binary(field.type) for field in table.schema):
        problem = _utf8_problem(data, filename)  # pyarrow reads text that is not UTF-8 as bytes
        if problem is not None:
            raise problem
    return table


def read_table(source: Source, *, text_columns: Callable[[list[str]], Sequence[str]] | None = None) -> pa.Table:
    """Read one prediction file into an Arrow table.

    Parameters
    ----------
    source:
        A path, or ``(file name, bytes)`` for an upload. The format follows the extension: ``.csv``,
        ``.tsv``, ``.parquet``/``.pq``, ``.jsonl``/``.ndjson``, each optionally ``.gz``.
    text_columns:
        For delimited text, a function from the header to the columns to keep as text (labels:
        ``true`` must stay ``true``, not become a boolean).

    Returns
    -------
    pyarrow.Table
        The file's columns with their inferred types.

    Raises
    ------
    EvaluationError
        For an unknown extension, a missing, empty or unreadable file, text that is not UTF-8, a
        file that is not a table, or a table without rows.
    """
    filename = source_name(source)
    kind, compressed = _kind(filename)
    if kind == "parquet" and not compressed and not isinstance(source, tuple):
        if not Path(source).is_file():
            raise EvaluationError(f"{filename}: no such file.", file=filename)
        data = None
    else:
        data = _raw_bytes(source, filename, compressed)
    if data is not None and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte-order mark
    try:
        if kind in ("csv", "tsv"):
            assert data is not None
            table = _read_delimited(data, filename, "," if kind == "csv" else "\t", text_columns)
        elif kind == "parquet":
            table = pq.read_table(io.BytesIO(data) if data is not None else source)
        else:
            assert data is not None
            if not data.strip():
                raise EvaluationError(f"{filename}: the file is empty; expected one JSON object per line.",
                                      file=filename)
            table = pa_json.read_json(io.BytesIO(data))
    except EvaluationError:
        raise
    except (pa.ArrowException, OSError, ValueError) as error:
        problem = _utf8_problem(data, filename) if data is not None and kind == "jsonl" else None
        if problem is not None:
            raise problem from error
        what = "a Parquet file" if kind == "parquet" else "JSON Lines (one JSON object per line)"
        raise EvaluationError(f"{filename}: not readable as {what}: {str(error).splitlines()[0]}",
                              file=filename) from error
    if table.num_rows == 0:
        raise EvaluationError(f"{filename}: the table has a header but no rows; expected one row per example.",
                              file=filename)
    return table
