"""The DuckDB engine: the cell table of :mod:`evaluation._sql_engine` computed out of core on one machine.

DuckDB streams Parquet, CSV and JSON Lines files where they lie and spills to disk beyond its memory limit, so the
counting needs neither the rows in memory nor a cluster. :func:`load_classification_duckdb` is the engine's entry
point; :class:`DuckDBBackend` gives :func:`~evaluation._sql_engine.load_classification_sql` DuckDB's dialect.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from ._calibration import DEFAULT_ECE_BINS
from ._data import ClassificationData, LoadOptions
from ._errors import EvaluationError
from ._sql_engine import SQLBackend, TableRead, load_classification_sql

if TYPE_CHECKING:
    import duckdb

__all__ = ["DuckDBBackend", "connect", "load_classification_duckdb"]

_TABLES = itertools.count(1)  # names of registered tables, unique in the process
_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
             "UHUGEINT")


def connect(*, memory_limit: str | None = None, temp_directory: str | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for the engine (``memory_limit`` such as ``"2GB"``: beyond it DuckDB spills to disk).

    Raises
    ------
    EvaluationError
        When the ``duckdb`` package is not installed.
    """
    try:
        import duckdb
    except ImportError as error:  # an optional requirement
        raise EvaluationError("the duckdb engine needs the duckdb package: pip install -r requirements-scale.txt "
                              "(or pip install duckdb)") from error
    config: dict[str, Any] = {"preserve_insertion_order": False}  # the cells' order is set by sorting, not by DuckDB
    if memory_limit:
        config["memory_limit"] = memory_limit
    if temp_directory:
        config["temp_directory"] = temp_directory
    try:
        connection = duckdb.connect(config=config)
    except duckdb.Error as error:
        raise EvaluationError(f"DuckDB refused its settings ({error}); expected a memory limit such as 2GB") from error
    connection.execute("SET enable_progress_bar = false")  # on a terminal it would mix with the report
    return connection


def _kind(type_name: str) -> str:
    """A DuckDB column type as the engine's kind of column."""
    name = type_name.upper()
    if name in _INTEGERS:
        return "integer"
    if name in ("FLOAT", "DOUBLE", "REAL") or name.startswith("DECIMAL"):
        return "float"
    if name == "BOOLEAN":
        return "bool"
    if name in ("VARCHAR", '"NULL"', "NULL"):  # a column with no value at all (Parquet's null type): no text either
        return "text"
    if name.startswith(("TIMESTAMP", "DATE", "TIME")):
        return "time"
    return "other"


@contextmanager
def _refusals() -> Iterator[None]:
    """DuckDB's errors as the user's: out of memory (what to change), or a file it cannot read (its words)."""
    import duckdb

    try:
        yield
    except duckdb.OutOfMemoryException as error:
        raise EvaluationError(f"DuckDB ran out of memory ({str(error).splitlines()[0]}); raise --duckdb-memory-limit "
                              "(in Python: connect(memory_limit=...)), or give DuckDB a temporary directory on a disk "
                              "with room to spill") from error
    except duckdb.Error as error:
        raise EvaluationError(f"DuckDB could not read the files: {str(error).splitlines()[0]}") from error


class DuckDBBackend(SQLBackend):
    """DuckDB's dialect and readers for :func:`~evaluation._sql_engine.load_classification_sql`."""

    name = "duckdb"
    fanout = True

    def __init__(self, connection: duckdb.DuckDBPyConnection | None = None) -> None:
        self.connection = connection if connection is not None else connect()

    def read(self, files: Sequence[str], kind: str, text: Sequence[str] = ()) -> TableRead:
        listed = "[" + ", ".join(self.literal(f) for f in files) + "]"
        if kind == "parquet":
            relation = f"read_parquet({listed}, union_by_name = true)"
        elif kind == "jsonl":
            relation = f"read_json_auto({listed}, format = 'newline_delimited', union_by_name = true)"
        else:
            types = ", ".join(f"{self.literal(c)}: 'VARCHAR'" for c in text)
            # the separator the name says, as the local reader takes it: a sniffed one can be a tab inside a text
            separator = r"\t" if all(f.lower().endswith((".tsv", ".tsv.gz")) for f in files) else ","
            relation = (f"read_csv({listed}, header = true, union_by_name = true, delim = '{separator}'"
                        f"{f', types = {{{types}}}' if types else ''})")
        described = self.rows(f"DESCRIBE SELECT * FROM {relation}")
        return TableRead(relation, {str(row[0]): _kind(str(row[1])) for row in described})

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with _refusals():
            return self.connection.execute(sql).fetchall()

    def frame(self, sql: str) -> pd.DataFrame:
        with _refusals():
            return self.connection.execute(sql).fetch_df()

    def identifier(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def table(self, frame: pd.DataFrame) -> str:
        name = f"evaluation_lookup_{next(_TABLES)}"
        self.connection.register(name, frame)
        return self.identifier(name)

    def quantile_list(self, value: str, levels: Sequence[float]) -> str:
        return f"quantile_cont({value}, [{', '.join(repr(float(q)) for q in levels)}])"

    def smallest(self, value: str, n: int) -> str:
        return f"min({value}, {n})"

    def hash_group(self, key: str, groups: int) -> str:
        return f"CAST(hash({key}) % {groups} AS BIGINT)"

    @contextmanager
    def _in_order(self) -> Iterator[None]:
        """DuckDB keeps the files' order only when asked to (the engine's connection does not ask)."""
        setting = self.connection.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
        before = bool(setting and setting[0])
        self.connection.execute("SET preserve_insertion_order = true")
        try:
            with _refusals():
                yield
        finally:
            self.connection.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")

    def in_file_order(self, relation: str, items: str = "*", where: str | None = None) -> pa.Table:
        if where is None:  # a scan keeps the files' order when asked to: no places to number and sort by
            return self.ordered_table(f"SELECT {items} FROM {relation}")
        return super().in_file_order(relation, items, where)

    def place_columns(self) -> list[str]:
        return ["row_number() OVER () AS evaluation_place"]

    def ordered_table(self, sql: str) -> pa.Table:
        with self._in_order():
            return self.connection.sql(sql).to_arrow_table()


def load_classification_duckdb(sources: Sequence[str], *, names: Sequence[str] | None = None,
                               options: LoadOptions | None = None,
                               connection: duckdb.DuckDBPyConnection | None = None,
                               ece_bins: int = DEFAULT_ECE_BINS) -> ClassificationData:
    """Read, check and pair prediction files with DuckDB into the weighted data of their cell table.

    ``sources``, ``names``, ``options`` and ``ece_bins`` as :func:`~evaluation._sql_engine.load_classification_sql`
    takes them (paths, directories or globs); ``connection``: a DuckDB connection (default: :func:`connect`'s, in memory,
    spilling to a temporary directory). Raises what that function raises.

    Examples
    --------
    >>> data = load_classification_duckdb(["data/demo/base.csv", "data/demo/finetuned.csv"])
    >>> data.n_examples, data.y_true.shape[0] < data.n_examples
    (899, True)
    """
    return load_classification_sql(DuckDBBackend(connection), sources, names=names, options=options, ece_bins=ece_bins)
