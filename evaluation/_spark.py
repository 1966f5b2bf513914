"""The Spark engine: the cell table of :mod:`evaluation._sql_engine` computed by Apache Spark, on a cluster or locally.

The same SQL as the DuckDB engine runs as Spark SQL over temporary views of the files (or of DataFrames a Python
caller passes in), so the counting happens where the data is and only the small cell table comes back.
:func:`load_classification_spark` is the engine's entry point; :func:`spark_session` starts (or joins) a session.
Spark needs a Java runtime (Debian: ``openjdk-17-jre-headless``) and the ``pyspark`` package.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import warnings
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
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkBackend", "load_classification_spark", "spark_session"]

_INTEGERS = ("tinyint", "smallint", "int", "bigint")
_VIEWS = itertools.count(1)  # temporary view names, unique in the process


def spark_session(master: str | None = None) -> SparkSession:
    """The active Spark session, or a new one on ``master`` (default ``local[2]``; a cluster: ``spark://host:7077``).

    Raises
    ------
    EvaluationError
        When pyspark is not installed or Spark cannot start (no Java runtime, a master that does not answer).
    """
    try:
        with warnings.catch_warnings():  # pyspark warns that it does not yet fully support pandas 3 (its toPandas)
            warnings.simplefilter("ignore", FutureWarning)
            from pyspark.sql import SparkSession
    except ImportError as error:  # an optional requirement
        raise EvaluationError("the spark engine needs the pyspark package and a Java runtime: pip install -r "
                              "requirements-scale.txt, and apt-get install openjdk-17-jre-headless") from error
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    try:
        session = (SparkSession.builder.master(master or "local[2]").appName("evaluation")
                   .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.shuffle.partitions", "8")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true")  # small tables of ours, sent quickly
                   .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{_quiet_logging()}")
                   .getOrCreate())
    except Exception as error:  # py4j and Java errors have no common base worth naming
        raise EvaluationError(f"Spark did not start on {master or 'local[2]'} ({str(error).splitlines()[0][:300]}); "
                              "expected a Java runtime (java on the PATH) and a master that answers") from error
    session.sparkContext.setLogLevel("ERROR")  # its warnings are about the JVM, not the user's data
    return session


_LOGGING = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


def _quiet_logging() -> str:
    """A log4j2 configuration that keeps the JVM's errors and drops its start-up notices (the path of a file)."""
    path = os.path.join(tempfile.gettempdir(), "evaluation-spark-log4j2.properties")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(_LOGGING)
    return path


def _kind(type_name: str) -> str:
    """A Spark column type (``DataFrame.dtypes``) as the engine's kind of column."""
    name = type_name.lower()
    if name in _INTEGERS:
        return "integer"
    if name in ("float", "double") or name.startswith("decimal"):
        return "float"
    if name == "boolean":
        return "bool"
    if name in ("string", "void"):  # void: a column with no value at all (Parquet's null type)
        return "text"
    if name.startswith(("timestamp", "date")):
        return "time"
    return "other"


@contextmanager
def _refusals() -> Iterator[None]:
    """Spark's errors (a file it cannot read, a worker that ran out of memory) as the user's, in Spark's words."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    try:
        yield
    except (PySparkException, Py4JJavaError) as error:
        raise EvaluationError(f"Spark could not count the cells: {str(error).strip().splitlines()[0][:500]}") from error


class SparkBackend(SQLBackend):
    """Spark SQL's dialect and readers for :func:`~evaluation._sql_engine.load_classification_sql`."""

    name = "spark"

    def __init__(self, session: SparkSession | None = None, *, master: str | None = None) -> None:
        self.session = session if session is not None else spark_session(master)

    def _view(self, frame: DataFrame) -> TableRead:
        view = f"evaluation_input_{next(_VIEWS)}"
        frame.createOrReplaceTempView(view)
        return TableRead(f"`{view}`", {name: _kind(kind) for name, kind in frame.dtypes})

    def read(self, files: Sequence[str], kind: str, text: Sequence[str] = ()) -> TableRead:
        reader = self.session.read
        if kind == "parquet":
            return self._view(reader.option("mergeSchema", "true").parquet(*files))
        if kind == "jsonl":  # Spark sorts the fields by name: put them back in the file's order, as it is read locally
            frame = reader.json(list(files))
            first = reader.text(files[0]).where("trim(value) <> ''").limit(1).collect()
            order = [key for key in json.loads(first[0][0]) if key in frame.columns] if first else []
            return self._view(frame.select(*[self.identifier(c) for c in order + [c for c in frame.columns
                                                                                 if c not in order]]))
        separator = "\t" if all(f.lower().endswith((".tsv", ".tsv.gz")) for f in files) else ","
        inferred = reader.csv(list(files), header=True, inferSchema=True, sep=separator)
        if not text:
            return self._view(inferred)
        from pyspark.sql.types import StringType, StructField, StructType

        schema = StructType([StructField(f.name, StringType() if f.name in text else f.dataType, True)
                             for f in inferred.schema.fields])
        return self._view(reader.csv(list(files), header=True, schema=schema, sep=separator))

    def read_object(self, source: object) -> TableRead | None:
        from pyspark.sql import DataFrame

        return self._view(source) if isinstance(source, DataFrame) else None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with _refusals():
            return [tuple(row) for row in self.session.sql(sql).collect()]

    def frame(self, sql: str) -> pd.DataFrame:
        with _refusals():
            rows = self.session.sql(sql)
            return pd.DataFrame([tuple(row) for row in rows.collect()], columns=rows.columns)

    def identifier(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def table(self, frame: pd.DataFrame) -> str:
        with _refusals():
            return self._view(self.session.createDataFrame(frame)).relation

    def quantile_list(self, value: str, levels: Sequence[float]) -> str:
        return f"percentile({value}, array({', '.join(repr(float(q)) for q in levels)}))"

    def smallest(self, value: str, n: int) -> str:
        return f"min_by({value}, {value}, {n})"

    # a top-k aggregate in the cell query makes Spark aggregate every sum as objects (29 s more at 10,000,000 rows on
    # local[2]); one more query over the prediction cells costs a third of that
    ids_with_cells = False

    def hash_group(self, key: str, groups: int) -> str:
        return f"pmod(xxhash64({key}), {groups})"

    def place_columns(self) -> list[str]:  # a file's rows keep their order within its part; the parts in name order
        return ["input_file_name() AS evaluation_part", "monotonically_increasing_id() AS evaluation_place"]

    def ordered_table(self, sql: str) -> pa.Table:
        with _refusals():
            return self.session.sql(sql).toArrow()

    def replace_all(self, value: str, pattern: str, replacement: str) -> str:
        return f"regexp_replace({value}, {self.literal(pattern)}, {self.literal(replacement)})"


def load_classification_spark(sources: Sequence[str | DataFrame], *, names: Sequence[str] | None = None,
                              options: LoadOptions | None = None, session: SparkSession | None = None,
                              master: str | None = None, ece_bins: int = DEFAULT_ECE_BINS) -> ClassificationData:
    """Read, check and pair prediction files (or Spark DataFrames) with Spark into the weighted data of their cell table.

    ``sources``, ``names``, ``options`` and ``ece_bins`` as :func:`~evaluation._sql_engine.load_classification_sql`
    takes them, where a source may also be a Spark DataFrame (named ``model_1``, ... unless ``names`` says otherwise; on a
    cluster, paths every worker can read). ``session``, ``master``: the Spark session to use, or the master to start
    one on (default: the active session, else ``local[2]``). Raises what that function raises, or
    :class:`~evaluation.EvaluationError` when Spark cannot start.
    """
    return load_classification_sql(SparkBackend(session, master=master), sources, names=names, options=options,
                                   ece_bins=ece_bins)
