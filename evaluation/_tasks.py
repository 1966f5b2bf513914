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
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from ._columns import detect_columns
from ._data import ColumnMapping
from ._errors import EvaluationError
from ._io import Source, first_file, source_name, table_format
from ._values import number_values

__all__ = ["TASKS", "Task", "check_flips", "detect_task", "task_named"]

TASKS: tuple[str, ...] = ("classification", "regression", "generation")
_HEAD = 1 << 16


@dataclass(frozen=True)
class Task:
    """What a task is to the faces: what its input needs, what it computes, how it reads and writes.

    The functions import their task's modules when first called, so naming a task costs nothing.
    A new task (generation) is one more entry here, its statistics registered in
    :mod:`evaluation._statistics`, and its own modules; the CLI and the inference layer stay as they are.

    Attributes
    ----------
    name:
        ``"classification"``, ``"regression"``.
    requires:
        The column roles every file must have.
    breakdowns:
        The task's own breakdowns besides metadata slices.
    default_primary:
        The headline metric unless another is chosen.
    prepare:
        Imports the task's computing modules (SciPy with them): the CLI runs it on another thread while
        the files are read.
    load, compare, to_dict, to_markdown, flip_table:
        ``load(sources, names=, options=)``, ``compare(data, settings=, baseline=)``, the report as
        JSON-ready dicts and as Markdown, and every example of a pair with what changed.
    """

    name: str
    requires: tuple[str, ...]
    breakdowns: tuple[str, ...]
    default_primary: str
    prepare: Callable[[], None]
    load: Callable[..., Any]
    compare: Callable[..., Any]
    to_dict: Callable[[Any], dict[str, Any]]
    to_markdown: Callable[[Any], str]
    flip_table: Callable[[Any, str, str], Any]


def _classification() -> Task:
    def load(*args: Any, **kwargs: Any) -> Any:
        from ._loading import load_classification
        return load_classification(*args, **kwargs)

    def compare(*args: Any, **kwargs: Any) -> Any:
        from ._compare import compare as run
        return run(*args, **kwargs)

    def to_dict(report: Any) -> dict[str, Any]:
        from ._report import report_to_dict
        return report_to_dict(report)

    def to_markdown(report: Any) -> str:
        from ._report import report_to_markdown
        return report_to_markdown(report)

    def flip_table(data: Any, baseline: str, candidate: str) -> Any:
        from ._flips import flip_table as table
        return table(data, baseline, candidate)

    def prepare() -> None:
        from . import _compare  # noqa: F401

    return Task("classification", ("label", "prediction or probabilities"), ("class",), "f1_macro", prepare,
                load, compare, to_dict, to_markdown, flip_table)


def _regression() -> Task:
    def load(*args: Any, **kwargs: Any) -> Any:
        from ._regression import load_regression
        return load_regression(*args, **kwargs)

    def compare(*args: Any, **kwargs: Any) -> Any:
        from ._regression import compare_regression
        return compare_regression(*args, **kwargs)

    def to_dict(report: Any) -> dict[str, Any]:
        from ._regression_report import regression_report_to_dict
        return regression_report_to_dict(report)

    def to_markdown(report: Any) -> str:
        from ._regression_report import regression_report_to_markdown
        return regression_report_to_markdown(report)

    def flip_table(data: Any, baseline: str, candidate: str) -> Any:
        from ._regression import regression_flip_table
        check_flips("regression", data)
        return regression_flip_table(data, baseline, candidate)

    def prepare() -> None:
        from . import _regression  # noqa: F401

    return Task("regression", ("label (the true value)", "prediction"), ("true value (quartile)",),
                "mean_absolute_error", prepare, load, compare, to_dict, to_markdown, flip_table)


def _generation() -> Task:
    def load(*args: Any, **kwargs: Any) -> Any:
        from ._generation_data import load_generation
        return load_generation(*args, **kwargs)

    def compare(*args: Any, **kwargs: Any) -> Any:
        from ._generation import compare_generation
        return compare_generation(*args, **kwargs)

    def to_dict(report: Any) -> dict[str, Any]:
        from ._generation_report import generation_report_to_dict
        return generation_report_to_dict(report)

    def to_markdown(report: Any) -> str:
        from ._generation_report import generation_report_to_markdown
        return generation_report_to_markdown(report)

    def flip_table(data: Any, baseline: str, candidate: str) -> Any:
        raise EvaluationError("--flips-out is not available for the generation task yet; the JSON report has every "
                              "metric and slice")

    def prepare() -> None:
        from . import _generation  # noqa: F401

    return Task("generation", ("output", "reference"), (), "bleu", prepare, load, compare, to_dict, to_markdown,
                flip_table)


_MAKERS: dict[str, Callable[[], Task]] = {"classification": _classification, "regression": _regression,
                                          "generation": _generation}


def task_named(name: str) -> Task:
    """The :class:`Task` called ``name`` (one of :data:`TASKS`).

    Examples
    --------
    >>> task_named("regression").default_primary
    'mean_absolute_error'
    """
    if name not in _MAKERS:
        raise EvaluationError(f"unknown task {name!r}; expected one of {', '.join(TASKS)}")
    return _MAKERS[name]()


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
    source = first_file(source)  # a directory or pattern: its first file
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


_OUTPUTS = ("output", "completion", "response", "hypothesis", "generation")
_REFERENCES = ("reference", "references", "target", "targets", "answer", "gold")
NUMBERED_REFERENCE = re.compile(r"(?:reference|target|answer)_?(\d+)")
"""Numbered reference columns (``reference_1``, ``reference_2``, ...): an example's several references."""


def _head_columns(source: Source) -> list[str]:
    """The column names of a file, from its first bytes (a Parquet file's schema); empty when unreadable."""
    source = first_file(source)  # a directory or pattern: its first file
    name = source_name(source)
    try:
        kind = table_format(name)
        if kind == "parquet":
            import pyarrow.parquet as pq

            return list(pq.ParquetFile(source if not isinstance(source, tuple) else pa.BufferReader(source[1]))
                        .schema_arrow.names)
        head = _raw_head(source).decode("utf-8", errors="replace")
        if kind == "jsonl":
            first = next((line for line in head.splitlines() if line.strip()), "")
            row = json.loads(first) if first else {}
            return list(row) if isinstance(row, dict) else []
        line = head.splitlines()[0] if head else ""
        return [c.strip().strip('"') for c in line.split("\t" if kind == "tsv" or "\t" in line else ",")]
    except (pa.ArrowException, ValueError, OSError, RecursionError, EvaluationError):
        return []  # loading reads the whole file and names any problem


def check_flips(task: str, data: Any) -> None:
    """Refuse ``--flips-out`` where the data holds no rows to list: a regression engine's sums by resampling group
    (above 100,000 paired examples), before the comparison is computed for nothing."""
    from ._regression import RegressionData

    if task == "regression" and not isinstance(data, RegressionData):
        raise EvaluationError(f"--flips-out lists every example with both models' errors, and above 100,000 paired "
                              f"examples the regression engines keep sums, not rows ({data.n_examples:,} examples "
                              "here); run it on the local engine")


def detect_task(sources: Sequence[Source], *, mapping: ColumnMapping | None = None) -> str:
    """``"generation"`` when the first file has an output and a reference column (``output``, ``completion``,
    ``response``, ``hypothesis`` or ``generation``; ``reference``, ``target``, ``answer``, ``gold``, a list in
    ``references`` or ``targets``, or numbered ``reference_1``, ...), a language model's ``nll`` (or
    ``logprob_sum``) and ``n_tokens``, or is an
    lm-evaluation-harness or Inspect log;
    ``"regression"`` when its first true values are numbers, not all whole, or its first predictions are (a
    regressor's predictions have fractions where its true values may not); else ``"classification"``.

    Examples
    --------
    >>> detect_task([("a.jsonl", b'{"id": 1, "output": "a cat", "reference": "the cat"}\\n')])
    'generation'
    >>> detect_task([("a.csv", b"id,label,prediction\\n1,2.5,2.1\\n2,3.0,3.3\\n")])
    'regression'
    >>> detect_task([("a.csv", b"id,label,prediction\\n1,75,98.68\\n2,150,141.2\\n")])  # whole true values
    'regression'
    >>> detect_task([("a.csv", b"id,label,prediction\\n1,cat,dog\\n2,dog,dog\\n")])
    'classification'
    """
    if not sources:
        return "classification"
    from ._generation_logs import log_format

    if log_format(sources[0]) is not None:
        return "generation"
    names = {c.strip().lower() for c in _head_columns(sources[0])}
    if names & set(_OUTPUTS) and (names & set(_REFERENCES) or any(NUMBERED_REFERENCE.fullmatch(n) for n in names)):
        return "generation"
    if names & {"nll", "logprob_sum"} and "n_tokens" in names:  # a language model's scores, with or without texts
        return "generation"
    mapping = mapping or ColumnMapping()
    if _fractional(_head_values(sources[0], mapping)):
        return "regression"
    # whole true values (ages, prices in dollars) or none (a production log): a regressor's predictions still have
    # fractions, where a classifier's are its classes
    try:
        prediction = detect_columns(_head_columns(sources[0]), mapping, filename=source_name(sources[0])).prediction
    except EvaluationError:
        return "classification"  # loading names the problem
    values = _head_values(sources[0], replace(mapping, label=prediction)) if prediction else None
    return "regression" if _fractional(values) else "classification"


def _fractional(values: pa.ChunkedArray | None) -> bool:
    """Whether the values are all numbers (missing ones aside), and some are not whole."""
    if values is None or len(values) == 0:
        return False
    numbers, bad = number_values(values)
    finite = numbers[np.isfinite(numbers)]
    return not bad.any() and finite.size > 0 and bool(np.any(finite != np.round(finite)))
