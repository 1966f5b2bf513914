"""Leakage found where the files lie: ``compare --training-data`` with ``--engine duckdb`` or ``--engine spark``.

:func:`find_leakage_sql` looks for the test examples (the first prediction file's rows) in the training files with
the engine's own joins, as :func:`evaluation._leakage.find_leakage` does in memory: **by id** (an id as the local
loader reads it: ``12`` and ``12.0`` are one id, surrounding spaces dropped) and **by content** (the content columns'
text with surrounding whitespace stripped and inner runs of whitespace made one space, Python's whitespace, the
columns joined by `` \u241f ``). Each kind's ids come back in the test file's row order, once each, so the section equals
the local engine's.

Near-duplicates are not looked for: their MinHash signatures are computed in Python over every text, which an
engine's files need not fit. The section says so (its threshold is ``None`` and a note names the local engine).
The comparison without the leaked examples is the engine's too (``LoadOptions.exclude_ids``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ._data import ColumnMapping
from ._errors import EvaluationError, quote
from ._leakage import CONTENT_COLUMNS, Leakage, _id_column
from ._sql_engine import SQLBackend, TableRead, _File, _id, read_source

__all__ = ["find_leakage_sql", "normalized_text"]

_SEPARATOR = " \u241f "  # between a row's content columns, as the local engine joins them
# every character Python's str.split() splits on (str.isspace), as a class both RE2 (DuckDB) and Java (Spark) read
_WHITESPACE = (r"[\x{9}-\x{d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}"
               r"\x{3000}]+")


def normalized_text(backend: SQLBackend, column: str) -> str:
    """SQL for a column's text as the local engine compares it: missing as empty, surrounding whitespace stripped,
    inner runs of whitespace made one space (``" ".join(str(v).split())``)."""
    spaced = backend.replace_all(f"coalesce(CAST({backend.identifier(column)} AS STRING), '')", _WHITESPACE, " ")
    return f"trim({spaced})"


class _Opened:
    """A file as the search reads it: its name in messages, its relation, its id column and its columns."""

    def __init__(self, filename: str, read: TableRead, id_column: str | None) -> None:
        self.filename = filename
        self.read = read
        self.id_column = id_column
        self.columns = list(read.kinds)

    def id_text(self, backend: SQLBackend) -> str:
        """The id as text, as the local loader reads it."""
        assert self.id_column is not None
        return _id(backend, _File(self.filename, "", self.read.relation, ColumnMapping(id=self.id_column),
                                  self.read.kinds))


def _open(backend: SQLBackend, source: object, index: int, id_column: str | None) -> _Opened:
    """Read a file and find its id column. A CSV file's column types are inferred, as the local search reads them
    (an id written 12.0 is the id 12)."""
    found: list[str | None] = []

    def text_columns(header: list[str], filename: str) -> list[str]:
        found.append(_id_column(header, filename, id_column))
        return []

    filename, _, read = read_source(backend, source, index, None, text_columns)
    return _Opened(filename, read, found[0])


def _content(backend: SQLBackend, f: _Opened, columns: Sequence[str]) -> str:
    """A row's content columns' normalised texts joined as the local engine joins them."""
    parts = [normalized_text(backend, c) for c in columns]
    return parts[0] if len(parts) == 1 else "concat(" + f", '{_SEPARATOR}', ".join(parts) + ")"


def _found(backend: SQLBackend, test: _Opened, value: str, known: Sequence[tuple[str, str]],
           where: str = "") -> tuple[str, ...]:
    """The test ids (once each, in the file's row order) whose ``value`` is one of the ``known`` values (each a pair
    of SQL: a value, and the relation it is read from)."""
    if not known:
        return ()
    union = " UNION ALL ".join(f"SELECT {k} AS evaluation_known FROM {r}" for k, r in known)
    condition = f"{value} IN (SELECT evaluation_known FROM ({union}) AS known)" + (f" AND {where}" if where else "")
    table = backend.in_file_order(test.read.relation, f"{test.id_text(backend)} AS evaluation_id", where=condition)
    return tuple(dict.fromkeys(str(v) for v in table.column(0).to_pylist()))


def find_leakage_sql(backend: SQLBackend, test_source: object, training_sources: Sequence[object], *,
                     id_column: str | None = None, content_columns: Sequence[str] | None = None) -> Leakage:
    """The test examples (the rows of the first prediction file) found in the training files by id and by exact
    content, with the engine's joins (:func:`evaluation._leakage.find_leakage`'s rules; no near-duplicates).

    Parameters
    ----------
    backend:
        The engine (:class:`evaluation._duckdb.DuckDBBackend`, :class:`evaluation._spark.SparkBackend`).
    test_source:
        The first prediction file (a path, directory or glob; for Spark also a DataFrame).
    training_sources:
        The fine-tuning data, in any format the engine reads (Parquet, CSV, JSON Lines).
    id_column:
        The id column's name in every file (found by name otherwise).
    content_columns:
        Columns compared by content (default: the prompt-like columns both sides have); empty: ids alone.

    Raises
    ------
    EvaluationError
        An unreadable file, a named column a file lacks, a test file without ids.
    """
    test = _open(backend, test_source, 0, id_column)
    if test.id_column is None:
        raise EvaluationError(f"{test.filename}: the {backend.name} engine finds leaked examples by id, and this file "
                              "has no id column (id, example_id, ...); expected one", file=test.filename)
    training = [_open(backend, s, i + 1, id_column) for i, s in enumerate(training_sources)]
    files = [test, *training]
    if content_columns is None:
        lowered = [{c.strip().lower(): c for c in f.columns} for f in files]
        chosen = [name for name in CONTENT_COLUMNS if all(name in low for low in lowered)]
        columns = [[low[name] for name in chosen] for low in lowered]
    else:
        chosen = list(content_columns)
        for f in files:
            missing = [c for c in chosen if c not in f.columns]
            if missing:
                raise EvaluationError(f"{f.filename}: no column {quote(missing[0])} to compare by content "
                                      f"(--leakage-columns); the columns are {', '.join(f.columns[:20])}",
                                      file=f.filename, column=missing[0])
        columns = [chosen for _ in files]
    notes = [f"{f.filename}: no id column, so its rows are compared by content alone"
             for f in training if f.id_column is None]
    by_id = _found(backend, test, test.id_text(backend),
                   [(f.id_text(backend), f.read.relation) for f in training if f.id_column is not None])
    by_content: tuple[str, ...] = ()
    if chosen:
        text = _content(backend, test, columns[0])
        by_content = _found(backend, test, text, [(_content(backend, f, c), f.read.relation)
                                                  for f, c in zip(training, columns[1:], strict=True)],
                            where=f"{text} <> ''")
        notes.append(f"near-duplicates were not looked for: the {backend.name} engine compares ids and exact text; "
                     "the local engine also finds near-duplicates")
    else:
        notes.append("no content column on both sides (prompt, input, question, instruction or text; or "
                     "--leakage-columns), so examples are compared by id alone")
    n_examples = int(backend.rows(f"SELECT count(DISTINCT {test.id_text(backend)}) FROM {test.read.relation}")[0][0])
    return Leakage(sources=tuple(f.filename for f in training), n_examples=n_examples, by_id=by_id,
                   by_content=by_content, content_columns=tuple(chosen), threshold=None, notes=tuple(notes))
