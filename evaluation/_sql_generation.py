"""Text-generation files read through a SQL engine (DuckDB, Spark), where they lie.

The text metrics (sacrebleu's BLEU, chrF and TER, rouge-score's ROUGE, exact match, token F1) tokenise each text
in Python, so no engine can sum them: the texts must come to Python. :func:`load_generation_sql` lets the engine
find and read the files (a path, a directory or a glob of Parquet, CSV or JSON Lines parts; for Spark also a
DataFrame), refuse an id a file repeats before any text leaves it, and then brings each file's rows to Python in the
order the local loader reads them. The local loader's checks and pairing
(:func:`~evaluation._generation_data.read_generation_table`, :func:`~evaluation._generation_data.paired_generation`)
make the :class:`~evaluation._generation_data.GenerationData` :func:`~evaluation.load_generation` makes, so
:func:`~evaluation.compare_generation` gives the local engine's report, byte for byte. The memory needed is the
texts' (about what the local engine needs); lm-evaluation-harness and Inspect logs are read by the local engine.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._data import ColumnMapping, LoadOptions
from ._errors import EvaluationError
from ._generation_data import (
    GenerationData,
    GenerationFile,
    _reference_columns,
    _roles,
    paired_generation,
    read_generation_table,
)
from ._generation_logs import log_format
from ._sql_engine import SQLBackend, _check_unique, _File, read_source

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["load_generation_duckdb", "load_generation_spark", "load_generation_sql"]


def _read(backend: SQLBackend, source: object, index: int, name: str | None, options: LoadOptions) -> GenerationFile:
    """One model's source read by the engine, checked for repeated ids there, then its rows checked as the local
    loader checks them."""
    if isinstance(source, str | os.PathLike) and os.path.isfile(source) and log_format(os.fspath(source)) is not None:
        raise EvaluationError(f"{os.fspath(source)}: an lm-evaluation-harness or Inspect log is read by the local engine; "
                              "leave out --engine", file=os.fspath(source))
    roles: dict[str, str] = {}

    def text_columns(header: list[str], filename: str) -> list[str]:
        roles.update(_roles(header, options.mapping, filename))
        return [roles[role] for role in ("id", "output", "prompt", "split") if role in roles] + _reference_columns(roles)

    filename, model, read = read_source(backend, source, index, name, text_columns)
    if "id" in roles and "sample" not in roles:  # an id with several samples is repeated by design
        _check_unique(backend, _File(filename, model, read.relation, ColumnMapping(id=roles["id"]), read.kinds))
    return read_generation_table(backend.in_file_order(read.relation), filename, model, options, roles)


def load_generation_sql(backend: SQLBackend, sources: Sequence[object], *, names: Sequence[str] | None = None,
                        options: LoadOptions | None = None) -> GenerationData:
    """Read text-generation files with a SQL engine, and check and pair them as :func:`~evaluation.load_generation`.

    Parameters
    ----------
    backend:
        The engine (:class:`evaluation._duckdb.DuckDBBackend`, :class:`evaluation._spark.SparkBackend`).
    sources:
        One path, directory or glob per model (Parquet, CSV or JSON Lines; for Spark also a DataFrame), baseline
        first, with the columns :func:`~evaluation.load_generation` reads.
    names:
        The models' names (default: from the file names; ``model_1``, ... for DataFrames).
    options:
        Column names, ``shared_ids_only``, ``drop_train_rows`` and the rest of :class:`LoadOptions`.

    Returns
    -------
    GenerationData
        What :func:`~evaluation.load_generation` returns for the same files.

    Raises
    ------
    EvaluationError
        What :func:`~evaluation.load_generation` raises; an id a file repeats is refused by the engine, before the
        texts are fetched.
    """
    options = options or LoadOptions()
    if names is not None and len(names) != len(sources):
        raise EvaluationError(f"{len(names)} model names for {len(sources)} files; expected one name per file")
    return paired_generation([_read(backend, source, i, None if names is None else str(names[i]), options)
                              for i, source in enumerate(sources)], options)


def load_generation_duckdb(sources: Sequence[str], *, names: Sequence[str] | None = None,
                           options: LoadOptions | None = None,
                           connection: duckdb.DuckDBPyConnection | None = None) -> GenerationData:
    """Read, check and pair text-generation files with DuckDB (:func:`load_generation_sql`).

    ``connection``: a DuckDB connection (default: :func:`evaluation._duckdb.connect`'s). Raises what
    :func:`load_generation_sql` raises.

    Examples
    --------
    >>> data = load_generation_duckdb(["data/demo/generation_base.jsonl", "data/demo/generation_finetuned.jsonl"])
    >>> data.n_examples, data.model_names
    (330, ('generation_base', 'generation_finetuned'))
    """
    from ._duckdb import DuckDBBackend

    return load_generation_sql(DuckDBBackend(connection), sources, names=names, options=options)


def load_generation_spark(sources: Sequence[str | DataFrame], *, names: Sequence[str] | None = None,
                          options: LoadOptions | None = None, session: SparkSession | None = None,
                          master: str | None = None) -> GenerationData:
    """Read, check and pair text-generation files (or Spark DataFrames) with Spark (:func:`load_generation_sql`).

    ``session``, ``master``: the Spark session to use, or the master to start one on (default: the active session,
    else ``local[2]``). Raises what :func:`load_generation_sql` raises, or :class:`~evaluation.EvaluationError` when
    Spark cannot start.
    """
    from ._spark import SparkBackend

    return load_generation_sql(SparkBackend(session, master=master), sources, names=names, options=options)
