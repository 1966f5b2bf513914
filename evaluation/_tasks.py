"""Which task a set of prediction files is: classification or regression.

The rule, documented for users: the true-value column of the first file is read from its first rows
(the first 64 KiB of text once decompressed, or the first row group of a Parquet file); when those
values are all numbers and at least one is not a whole number, the task is regression, otherwise
classification. Integer targets (counts, prices in whole units) therefore need ``--task regression``
(``task="regression"`` in Python); the JSON's ``task`` says which task was used.
"""

from __future__ import annotations

import io
import json
import os
import zlib
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from ._columns import detect_columns
from ._data import ColumnMapping
from ._errors import EvaluationError
from ._io import Source, source_name, table_format
from ._values import number_values

__all__ = ["TASKS", "detect_task"]

TASKS: tuple[str, ...] = ("classification", "regression")
_HEAD = 1 << 16


def _raw_head(source: Source) -> bytes:
    """The first bytes of a source, decompressed when gzipped (never more than the head)."""
    if isinstance(source, tuple):
        raw = bytes(source[1][: _HEAD * 4])
    elif isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source[: _HEAD * 4])
    else:
        try:
            with open(os.fspath(source), "rb") as handle:
                raw = handle.read(_HEAD * 4)
        except OSError:
            return b""  # loading names the problem
    if raw[:2] == b"\x1f\x8b":
        try:
            return zlib.decompressobj(wbits=31).decompress(raw, _HEAD)
        except zlib.error:
            return b""
    return raw[:_HEAD]


def _head_values(source: Source, mapping: ColumnMapping) -> pa.ChunkedArray | None:
    """The true-value column of the first rows, or ``None`` when it cannot be read from them."""
    name = source_name(source)
    kind = table_format(name)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            handle = pq.ParquetFile(source if not isinstance(source, tuple) else pa.BufferReader(source[1]))
            columns = detect_columns(handle.schema_arrow.names, mapping, filename=name)
            if columns.label is None or handle.num_row_groups == 0:
                return None
            return handle.read_row_group(0, columns=[columns.label]).column(0)
        head = _raw_head(source)
        cut = max(head.rfind(b"\n"), head.rfind(b"\r"))
        if cut <= 0:
            return None
        head = head[:cut]
        if kind == "jsonl":
            rows = [json.loads(line) for line in head.decode("utf-8", errors="replace").splitlines() if line.strip()]
            rows = [row for row in rows if isinstance(row, dict)]
            columns = detect_columns(list(dict.fromkeys(k for row in rows for k in row)), mapping, filename=name)
            if columns.label is None:
                return None
            return pa.chunked_array([pa.array([str(row.get(columns.label)) for row in rows])])
        table = pa_csv.read_csv(io.BytesIO(head), parse_options=pa_csv.ParseOptions(
            delimiter="\t" if kind == "tsv" or (kind == "txt" and b"\t" in head.split(b"\n", 1)[0]) else ","))
        columns = detect_columns(table.column_names, mapping, filename=name)
        return None if columns.label is None else table.column(columns.label)
    except (pa.ArrowException, ValueError, OSError, RecursionError, EvaluationError):
        return None  # loading reads the whole file and names any problem


def detect_task(sources: Sequence[Source], *, mapping: ColumnMapping | None = None) -> str:
    """``"regression"`` when the first file's first true values are numbers, not all whole; else ``"classification"``.

    Examples
    --------
    >>> detect_task([("a.csv", b"id,label,prediction\\n1,2.5,2.1\\n2,3.0,3.3\\n")])
    'regression'
    >>> detect_task([("a.csv", b"id,label,prediction\\n1,cat,dog\\n2,dog,dog\\n")])
    'classification'
    """
    if not sources:
        return "classification"
    values = _head_values(sources[0], mapping or ColumnMapping())
    if values is None or len(values) == 0:
        return "classification"
    numbers, bad = number_values(values)
    finite = numbers[np.isfinite(numbers)]
    if bad.any() or finite.size == 0:
        return "classification"
    return "regression" if bool(np.any(finite != np.round(finite))) else "classification"
