"""A classification comparison's cell table computed by a SQL engine, where the files lie (DuckDB, Spark).

:func:`load_classification_sql` reads prediction files (paths, directories or globs of Parquet, CSV or JSON Lines)
through a :class:`SQLBackend` and returns the weighted data of a cell table (:mod:`evaluation._cells`): how many
examples have each (true label, every model's prediction, slices). The local engine's statistics then give the same
numbers as on the rows (``docs/scale.md``). The work is two passes over the data:

1. one over each file's id, label and prediction columns (missing values, the row count), and over the first file's
   metadata columns (distinct values, the quantiles of numeric ones), to cut the slices as the local engine cuts
   them (:func:`evaluation._slices.slice_columns`);
2. one ``GROUP BY`` over the files joined on their ids, which counts the cells; the same pass counts the ids found
   in only some files, the examples whose true labels differ between files, and shows whether an id is repeated
   (an id twice in a file makes more joined rows than the file has).

A problem found in pass 2 is then located by a query that names the file, the column and the ids. The SQL is one
text for every engine; a backend gives its dialect's few differences (quoting, quantiles, how files are read).
With probability (or score) columns, after the probabilities are checked, each cell also sums every model's
per-example log loss and Brier score, their squares and each pair's products (:mod:`evaluation._cell_losses`); and
the metrics that rank or bin the scores (ROC AUC, average precision, ECE, the curves) need each model's examples per
score (a score column's counted in pass 1 with its labels and predictions, probability columns' in one more pass
over the file), and a few more sums and grouping sets in pass 2 (:mod:`evaluation._sql_scores`). Each cell also
keeps the first ids in text order of its changed examples (or, on an engine whose top-k aggregate would slow the cell
query, counts them for a query of their own).
"""

from __future__ import annotations

import itertools
import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from ._calibration import DEFAULT_ECE_BINS
from ._cell_losses import LOSSES
from ._cell_scores import RANKED, CellScores, ScoreRuns
from ._cells import (
    CELL_COUNT,
    CELL_LABEL,
    CELL_PREDICTION_PREFIX,
    LOSS_PRODUCT,
    LOSS_SQUARE,
    LOSS_SUM,
    BinnedSlice,
    cells_data,
)
from ._columns import detect_columns, label_or_none, normalize_label, sort_labels
from ._data import CellIds, ClassificationData, ColumnMapping, LoadOptions
from ._errors import EvaluationError, format_examples, quote
from ._io import accepted_file_name, model_name, source_name, table_format
from ._loading import _in_order, _positive_label
from ._pairing import excluded_warnings
from ._results import Settings
from ._sources import is_multi_file, part_paths
from ._sql_scores import (
    ScoreTerms,
    argmax_case,
    calibration_cells,
    calibration_sets,
    grid_key,
    runs_query,
    score_runs,
    score_terms,
)
from ._sql_slices import _missing, _SliceKeys, _Slicing, _slicings

__all__ = ["ENGINES", "SQLBackend", "TableRead", "load_classification_sql", "source_files"]

ENGINES = ("local", "duckdb", "spark")
"""Where the statistics are computed: in memory (the default), by DuckDB out of core, or by Apache Spark."""

_TRAIN_VALUES = ("train", "training")  # a split column's values that mark training rows, as the local loader reads it
IDS_PER_CELL = Settings().max_flip_ids
"""The ids the cell query keeps of each cell (the first in text order): the changed examples the report lists."""
_SQUARES = "rank_sq__{metric}__{model}"
_DIFFERENCES = "rank_dsq__{metric}__{first}__{second}"


def source_files(source: str) -> list[str]:
    """The files a path, directory or glob names, in name order (as the local reader finds them:
    :func:`evaluation._sources.part_paths`).

    Raises
    ------
    EvaluationError
        Nothing there, or no prediction file.
    """
    if is_multi_file(source):
        return part_paths(source, accepted_file_name)
    if os.path.isfile(source):
        return [source]
    raise EvaluationError(f"{source}: no such file", file=source)


@dataclass(frozen=True)
class TableRead:
    """A source as the backend reads it: the relation to select from, and each column's kind."""

    relation: str
    kinds: dict[str, str]
    """Column -> ``"integer"``, ``"float"``, ``"bool"``, ``"text"``, ``"time"`` or ``"other"``."""


class SQLBackend(ABC):
    """What a SQL engine gives :func:`load_classification_sql`: reading files, running queries, its dialect."""

    name: str

    @abstractmethod
    def read(self, files: Sequence[str], kind: str, text: Sequence[str] = ()) -> TableRead:
        """A relation over ``files`` (``kind``: parquet, csv, jsonl), with the ``text`` columns read as text."""

    def read_object(self, source: object) -> TableRead | None:
        """A relation over an in-memory table of the engine's (a Spark DataFrame), or ``None`` for other objects."""
        return None

    @abstractmethod
    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows a query returns."""

    @abstractmethod
    def frame(self, sql: str) -> pd.DataFrame:
        """A query's result as a pandas frame (a missing value: ``None`` or NaN)."""

    @abstractmethod
    def identifier(self, name: str) -> str:
        """A quoted identifier."""

    def literal(self, text: str) -> str:
        """A string literal."""
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'" if self.name == "spark" else (
            "'" + text.replace("'", "''") + "'")

    @abstractmethod
    def table(self, frame: pd.DataFrame) -> str:
        """A small table of the caller's as a relation the engine's queries can join."""

    def quantiles(self, column: str, where: str) -> str:
        """An aggregate giving the exact 0, 25, 50, 75 and 100% quantiles (linear interpolation, as numpy's default)
        of ``column`` over the rows where ``where`` holds, as a list."""
        return f"{self.quantile_list(column, [0.0, 0.25, 0.5, 0.75, 1.0])} FILTER (WHERE {where})"

    @abstractmethod
    def quantile_list(self, value: str, levels: Sequence[float]) -> str:
        """An aggregate giving the exact quantiles of ``value`` at ``levels`` as a list (linear interpolation, as
        numpy's default)."""

    @abstractmethod
    def smallest(self, value: str, n: int) -> str:
        """An aggregate giving the ``n`` smallest values of ``value`` as a list (missing values left out)."""

    fanout = False
    """Whether a query may read one subquery twice without computing it twice (DuckDB streams it to both readers):
    the calibration cells are then counted by their own ``GROUP BY``, with only their sums, instead of a grouping set
    that computes every sum of the cells again."""

    ids_with_cells = True
    """Whether the cell query keeps each cell's first ids (else one more query keeps each prediction cell's)."""

    @abstractmethod
    def hash_group(self, key: str, groups: int) -> str:
        """The engine's hash of ``key`` modulo ``groups``: a group fixed by the key alone, whatever the partitioning."""

    def in_file_order(self, relation: str, items: str = "*", where: str | None = None) -> pa.Table:
        """The select ``items`` of every row of ``relation`` (where ``where`` holds) as an Arrow table, in the order
        the local loader reads the rows (the files in name order, each file's rows in order).

        The places are taken before the filter, which may join and move the rows."""
        place = self.place_columns()
        keys = [item.rsplit(" AS ", 1)[1] for item in place]
        found = self.ordered_table(f"SELECT {items} FROM (SELECT *, {', '.join(place)} FROM {relation}) AS placed"
                                   + (f" WHERE {where}" if where is not None else "") + f" ORDER BY {', '.join(keys)}")
        return found.drop_columns([key for key in keys if key in found.column_names])  # selected by a *

    @abstractmethod
    def place_columns(self) -> list[str]:
        """Select items giving each row of a file's relation its place in the order the local loader reads the rows
        (``... AS name``; ordering by the names in turn gives that order), for :meth:`ordered_table`."""

    @abstractmethod
    def ordered_table(self, sql: str) -> pa.Table:
        """A query's result as an Arrow table, run so that :meth:`place_columns` number the rows in file order."""

    def replace_all(self, value: str, pattern: str, replacement: str) -> str:
        """SQL replacing every match of the regular expression ``pattern`` in ``value`` by ``replacement``."""
        return f"regexp_replace({value}, {self.literal(pattern)}, {self.literal(replacement)}, 'g')"


@dataclass(frozen=True)
class _File:
    """One model's files as the backend reads them, and its columns."""

    filename: str
    name: str
    relation: str
    columns: ColumnMapping
    kinds: dict[str, str]
    integer_ids: bool = False
    """Every file's ids are integers: they are joined as numbers (a hash join on text keys takes several times the
    memory)."""


def read_source(backend: SQLBackend, source: object, index: int, name: str | None,
                text_columns: Callable[[list[str], str], Sequence[str]]) -> tuple[str, str, TableRead]:
    """A source's name in messages, its model's name and its relation: a path, directory or glob of one format's
    files, or an engine's table (a Spark DataFrame). ``text_columns`` is given the header and the name, may refuse
    the file, and names the columns a CSV file is read again with as text (ids such as 007 keep their zeros)."""
    read = backend.read_object(source)
    if read is None and not isinstance(source, str | os.PathLike):
        raise EvaluationError(f"the {backend.name} engine reads files where they lie: give paths, directories or globs"
                              f"{', or DataFrames' if backend.name == 'spark' else ''}, not uploaded bytes")
    if read is not None:
        filename = f"DataFrame {index + 1}"
        text_columns(list(read.kinds), filename)
        return filename, name or f"model_{index + 1}", read
    assert isinstance(source, str | os.PathLike)
    filename = source_name(os.fspath(source))
    files = source_files(os.fspath(source))
    kinds = {table_format(os.path.basename(f)) for f in files}
    if len(kinds) > 1:
        raise EvaluationError(f"{filename}: the files are of different formats ({', '.join(sorted(kinds))}); "
                              "expected one format", file=filename)
    kind = kinds.pop()
    kind = "csv" if kind in ("csv", "tsv") else kind
    read = backend.read(files, kind)
    text = text_columns(list(read.kinds), filename)
    if kind == "csv":
        read = backend.read(files, kind, text)
    return filename, name or model_name(filename), read


def _open(backend: SQLBackend, source: object, index: int, name: str | None, mapping: ColumnMapping) -> _File:
    """Find a source's files (or the engine's table) and columns."""
    found: list[ColumnMapping] = []

    def text_columns(header: list[str], filename: str) -> list[str]:
        columns = detect_columns(header, mapping, filename=filename)
        if columns.prediction is None and not (columns.probabilities or columns.score):
            raise EvaluationError(f"{filename}: expected predictions: a prediction column (prediction, y_pred, ...), "
                                  "per-class probability columns (prob_<class>) or, for two classes, a score column",
                                  file=filename)
        if columns.id is None:
            raise EvaluationError(f"{filename}: the {backend.name} engine pairs examples by id, and these files have no "
                                  "id column (id, example_id, ...); expected one, or the local engine, which pairs by "
                                  "row order", file=filename)
        found.append(columns)
        return [c for c in (columns.id, columns.label, columns.prediction) if c]

    filename, name, read = read_source(backend, source, index, name, text_columns)
    return _File(filename, name, read.relation, found[0], read.kinds)


def _id(backend: SQLBackend, f: _File) -> str:
    """An id as text: ``12`` and ``12.0`` are one id, surrounding spaces are not part of it (as the local loader);
    integers when every file's ids are."""
    assert f.columns.id is not None
    quoted = backend.identifier(f.columns.id)
    if f.integer_ids:
        return f"CAST({quoted} AS BIGINT)"
    if f.kinds.get(f.columns.id) == "float":
        return (f"CASE WHEN {quoted} = floor({quoted}) THEN CAST(CAST({quoted} AS BIGINT) AS STRING) "
                f"ELSE CAST({quoted} AS STRING) END")
    return f"trim(CAST({quoted} AS STRING))"


def _paired_rows(backend: SQLBackend, files: Sequence[_File], index: int = 0) -> str:
    """A file's rows (the first's by default) whose ids are in every file (``shared_ids_only``), as a relation."""
    within = " AND ".join(f"{_id(backend, files[index])} IN (SELECT {_id(backend, f)} FROM {f.relation})"
                          for i, f in enumerate(files) if i != index)
    return f"(SELECT * FROM {files[index].relation} WHERE {within})"


_EPS = float(np.finfo(np.float64).eps)  # the log loss's clipping, as scikit-learn's and the local engine's
_SLACK = 1e-9  # probabilities this far outside [0, 1] are clipped, as the local loader clips them


@dataclass(frozen=True)
class _Losses:
    """A file's per-example log loss and Brier score as SQL over its own columns, and the checks of its
    probabilities (``(condition of a bad row, column, what the message says)``)."""

    log_loss: str
    brier_score: str
    checks: tuple[tuple[str, str, str], ...]
    prediction: str
    """The predicted class, as the local loader derives it for a file without a prediction column: the positive
    class when its probability reaches the threshold, else the class of the largest probability (the first of equal
    ones)."""
    value: dict[str, str]
    """Each class's probability, clipped to [0, 1] (a score column: the positive class's, and 1 minus it)."""
    is_class: dict[str, str]
    """Whether the example's true label is the class."""
    label_code: str
    """The true label's place among the classes."""
    scored: str | None = None
    """The class of a score column (the other's probability is 1 minus it); ``None`` with probability columns."""


def _sql_value(backend: SQLBackend, value: object) -> str:
    """A raw label value as a SQL literal."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return backend.literal(str(value))


def _class_set(files: Sequence[_File], found: Sequence[Sequence[tuple[Any, ...]]],
               options: LoadOptions) -> tuple[tuple[str, ...], str | None, list[list[object]]]:
    """The classes and the positive class the cells will have (the losses need them first), and each file's raw
    label values (``found``: each file's distinct pairs of label and prediction, or labels, from :func:`_rows`)."""
    raw = [list(dict.fromkeys(row[0] for row in rows if row[0] is not None)) for rows in found]
    predicted = {label_or_none(row[1]) for rows in found for row in rows if len(row) > 1}
    seen = {label_or_none(v) for values in raw for v in values} | predicted
    seen |= {normalize_label(c) for f in files for c in (f.columns.probabilities or {})}
    seen.discard(None)
    classes = (tuple(normalize_label(c) for c in options.labels) if options.labels is not None
               else sort_labels(str(c) for c in seen))
    given = None if options.positive_label is None else normalize_label(options.positive_label)
    positive = _positive_label(classes, given, []) if len(classes) == 2 else None
    return _in_order(classes, options.class_order), positive, raw


def _losses(backend: SQLBackend, f: _File, classes: Sequence[str], positive: str | None, raw: Sequence[object],
            tolerance: float, threshold: float, column: Callable[[str], str] | None = None) -> _Losses | None:
    """A file's per-example losses as the local engine computes them (``None`` without probabilities).

    ``column``: how the SQL names a column of the file (default: by its name; in the cell query, the joined file's).
    """
    col = column or backend.identifier
    c = f.columns
    label = col(str(c.label))
    of = {label_or_none(v): _sql_value(backend, v) for v in raw}

    def by_label(then: Mapping[str, str], otherwise: str) -> str:
        """``then[name]`` where the true label is the class ``name``, else ``otherwise``."""
        cases = " ".join(f"WHEN {literal} THEN {then[name]}" for name, literal in of.items()
                         if name is not None and name in then)
        return f"CASE {label} {cases} ELSE {otherwise} END" if cases else otherwise

    is_class = {k: by_label({k: "TRUE"}, "FALSE") for k in classes}
    if c.probabilities:
        columns = {normalize_label(k): v for k, v in c.probabilities.items()}
        missing = [k for k in classes if k not in columns]
        if missing:
            raise EvaluationError(f"{f.filename}: there are probability columns for {format_examples(list(columns))} "
                                  f"but none for {format_examples(missing)}; expected one column per class",
                                  file=f.filename)
        value = {k: f"least(greatest(CAST({col(columns[k])} AS DOUBLE), 0.0), 1.0)" for k in classes}
        checks = [(f"{col(columns[k])} IS NULL OR isnan(CAST({col(columns[k])} AS "
                   f"DOUBLE)) OR CAST({col(columns[k])} AS DOUBLE) NOT BETWEEN {-_SLACK!r} AND "
                   f"{1 + _SLACK!r}", columns[k], "a probability between 0 and 1") for k in classes]
        total = " + ".join(value[k] for k in classes)
        checks.append((f"abs(({total}) - 1.0) > {tolerance!r}", columns[classes[0]],
                       f"class probabilities that sum to 1 (within {tolerance:g})"))
        true = by_label(value, "NULL")
        pos = value[positive] if positive is not None else None
    elif c.score:
        if positive is None:
            raise EvaluationError(f"{f.filename}: a single score column ({quote(c.score)}) only describes two classes, "
                                  f"but the task has {len(classes)}; expected one probability column per class",
                                  file=f.filename, column=c.score)
        pos, bad = _score_sql(col(c.score))
        checks = [(bad, c.score, "a probability between 0 and 1")]
        true = f"CASE WHEN {is_class[positive]} THEN {pos} ELSE 1.0 - {pos} END"
        value = {k: pos if k == positive else f"1.0 - {pos}" for k in classes}
    else:
        return None
    log_loss = f"-ln(least(greatest({true}, {_EPS!r}), {1.0 - _EPS!r}))"
    if positive is not None:
        assert pos is not None
        brier = _square(f"{pos} - CASE WHEN {is_class[positive]} THEN 1.0 ELSE 0.0 END")
        negative = next(k for k in classes if k != positive)
        prediction = (f"CASE WHEN {pos} >= {threshold!r} THEN {backend.literal(positive)} "
                      f"ELSE {backend.literal(negative)} END")
    else:
        brier = f"({' + '.join(_square(value[k]) for k in classes)}) - 2.0 * {true} + 1.0"
        prediction = argmax_case(value, classes, [backend.literal(k) for k in classes])
    label_code = by_label({k: str(i) for i, k in enumerate(classes)}, "NULL")
    return _Losses(log_loss, brier, tuple(checks), prediction, value, is_class, label_code,
                   positive if c.score and not c.probabilities else None)


def _score_sql(quoted: str) -> tuple[str, str]:
    """A score column's value clipped to [0, 1], and where it is missing or outside (beyond the slack)."""
    return (f"least(greatest(CAST({quoted} AS DOUBLE), 0.0), 1.0)",
            f"{quoted} IS NULL OR isnan(CAST({quoted} AS DOUBLE)) OR CAST({quoted} AS DOUBLE) NOT BETWEEN "
            f"{-_SLACK!r} AND {1 + _SLACK!r}")


def _square(value: str) -> str:
    """A value squared, as numpy squares (a product: ``power(x, 2)`` calls the slower general power)."""
    return f"({value}) * ({value})"


def _check_probabilities(backend: SQLBackend, f: _File, losses: _Losses, found: Sequence[int] | None = None) -> None:
    """Refuse a missing or out-of-range probability, or rows that do not sum to 1 (naming the column and ids;
    ``found``: how many rows fail each check, when counted already)."""
    if found is None:
        found = backend.rows(f"SELECT {', '.join(f'count(*) FILTER (WHERE {bad})' for bad, _, _ in losses.checks)} "
                             f"FROM {f.relation}")[0]
    for (bad, column, expected), count in zip(losses.checks, found, strict=True):
        if count:
            ids = backend.rows(f"SELECT {_id(backend, f)} FROM {f.relation} WHERE {bad} ORDER BY 1 LIMIT 5")
            raise EvaluationError(f"{f.filename}: column {quote(column)} does not hold {expected} in {int(count):,} "
                                  f"row{'s' if count != 1 else ''} (for example ids "
                                  f"{format_examples([str(i[0]) for i in ids])})", file=f.filename, column=column)


def _raw_columns(f: _File) -> list[str]:
    """The columns of a file the cell query carries through the join: the label, the prediction, the probabilities."""
    c = f.columns
    assert c.label is not None
    return list(dict.fromkeys([c.label, *([c.prediction] if c.prediction else []), *(c.probabilities or {}).values(),
                               *([c.score] if c.score else [])]))


def _joined_column(f: _File, index: int) -> Callable[[str], str]:
    """How the cell query names a column of the ``index``-th file after the join."""
    alias = {name: f"c{j}" for j, name in enumerate(_raw_columns(f))}
    return lambda name: f"m{index}.{alias[name]}"


@dataclass(frozen=True)
class _Joined:
    """The files joined on their ids (a FULL JOIN: the pairing's counts see every id), as the cell query and the
    ids query select from them."""

    parts: list[str]
    """Each file's ``m<i>`` CTE: its id, raw columns (``c<j>``) and, the first, its slices' codes (``s<k>``)."""
    joined: str
    predicted: list[str]
    """Each model's prediction over the joined rows (its column, or from its probabilities)."""
    labels: list[str]
    """Each file's label over the joined rows."""
    integer_ids: bool
    alike: bool
    """Every model's prediction is of one kind (all integers, say): compared as they are, not as text."""

    def text(self, value: str) -> str:
        """An id as text: the changed examples' ids are listed in text order."""
        return f"CAST({value} AS STRING)" if self.integer_ids else value

    @property
    def differ(self) -> str:
        """Where some model predicts otherwise than the first (as text, unless alike): a superset of the changed
        examples."""
        predicted = self.predicted if self.alike else [f"CAST({p} AS STRING)" for p in self.predicted]
        return " OR ".join(f"{p} IS DISTINCT FROM {predicted[0]}" for p in predicted[1:])


def _id_text(backend: SQLBackend, f: _File) -> str:
    """A file's id as the text the changed examples are listed (and ordered) by."""
    return f"CAST({_id(backend, f)} AS STRING)" if f.integer_ids else _id(backend, f)


def _joined(backend: SQLBackend, files: Sequence[_File], slicings: dict[str, _Slicing],
            loss: Sequence[_Losses | None], within: Sequence[str] | None = None,
            carried: Sequence[Sequence[str]] = ()) -> _Joined:
    """Each file brings its id, label, prediction and probability columns (the first its slices) to the join
    (``within``: each file's rows where this condition holds; ``carried``: each file's further select items)."""
    parts = []
    for i, f in enumerate(files):
        raw = "".join(f", {backend.identifier(name)} AS c{j}" for j, name in enumerate(_raw_columns(f)))
        extra = "".join(f", {item}" for item in _SliceKeys(slicings).selected(backend)) if i == 0 else ""
        extra += "".join(f", {item}" for item in (carried[i] if i < len(carried) else ()))
        where = f" WHERE {within[i]}" if within is not None else ""
        parts.append(f"m{i} AS (SELECT {_id(backend, f)} AS id{raw}{extra} FROM {f.relation}{where})")
    joined, seen = "m0", "m0.id"
    for i in range(1, len(files)):
        joined += f" FULL JOIN m{i} ON {seen} = m{i}.id"
        seen = f"coalesce({seen}, m{i}.id)"
    predicted = [_joined_column(f, i)(f.columns.prediction) if f.columns.prediction else
                 getattr(loss[i], "prediction", "NULL") for i, f in enumerate(files)]
    kinds = {f.kinds.get(f.columns.prediction) if f.columns.prediction else "text" for f in files}
    return _Joined(parts, joined, predicted, [_joined_column(f, i)(str(f.columns.label)) for i, f in enumerate(files)],
                   files[0].integer_ids, len(kinds) == 1 and kinds <= {"integer", "float", "bool", "text"})


def _ids_query(backend: SQLBackend, files: Sequence[_File], losses: Sequence[_Losses | None],
               ids_per_cell: int, within: Sequence[str] | None = None) -> str:
    """The first ``ids_per_cell`` ids in text order of each prediction cell (the first file's label, every model's
    prediction) of the examples in every file where the models' predictions differ (``within``: among each file's
    rows where this holds): the engines whose top-k aggregate would slow the cell query
    (:attr:`SQLBackend.ids_with_cells`) list the changed examples from these."""
    rows = _joined(backend, files, {}, [losses[i] if i < len(losses) else None for i in range(len(files))], within)
    names = _prediction_cell(len(files))
    keys = [f"{value} AS {name}" for value, name in zip([rows.labels[0], *rows.predicted], names, strict=True)]
    present = " AND ".join(f"m{i}.id IS NOT NULL" for i in range(len(files)))
    return (f"WITH {', '.join(rows.parts)} SELECT {', '.join(names)}, "
            f"{backend.smallest('listed', ids_per_cell)} AS ids FROM (SELECT {', '.join(keys)}, {rows.text('m0.id')} AS "
            f"listed FROM {rows.joined} WHERE {present} AND ({rows.differ})) AS t "
            f"GROUP BY {', '.join(names)}")


def _cell_query(backend: SQLBackend, files: Sequence[_File], slicings: dict[str, _Slicing],
                ids_per_cell: int | None, losses: Sequence[_Losses | None] = (),
                scores: Mapping[int, ScoreTerms] | None = None) -> str:
    """Pass 2: the files joined on their ids, grouped into cells, with the pairing's counts and (``ids_per_cell``)
    the first ids in text order of each cell where the models' predictions differ.

    Without ``ids_per_cell`` (:attr:`SQLBackend.ids_with_cells` false), each cell counts its changed examples
    instead, for the ids query. The losses (``losses``, written with :func:`_joined_column`'s names) and the scores'
    terms (``scores``: the models whose scores are counted) are computed on the joined rows. With scores, the cells
    also sum each model's and each pair's squared influences, and every pair's calibration cells are counted: by
    grouping sets, or (:attr:`SQLBackend.fanout`) by a ``GROUP BY`` of their own over the same joined rows.
    """
    scores = scores or {}
    loss = [losses[i] if i < len(losses) else None for i in range(len(files))]
    rows = _joined(backend, files, slicings, loss)
    parts, joined, predicted = rows.parts, rows.joined, rows.predicted
    cells = ([f"{label} AS label{i}" for i, label in enumerate(rows.labels)]
             + [f"{predicted[i]} AS pred{i}" for i in range(len(files))]
             + [f"m0.{column} AS {column}" for column in _SliceKeys(slicings).columns])
    absent = [f"m{i}.id IS NULL AS absent{i}" for i in range(len(files))]
    # the id only where some model predicts otherwise (the rows the grouping sets hold carry few), as text only then
    listed = ([f"CASE WHEN {rows.differ} THEN m0.id END AS listed"] if ids_per_cell
              else [f"CASE WHEN {rows.differ} THEN 1 ELSE 0 END AS listed"])
    carried = [i for i, one in enumerate(loss) if one is not None]
    values = [f"{getattr(loss[i], metric)} AS {metric}{i}" for metric in LOSSES for i in carried]
    values += [f"{terms.influence[metric]} AS {metric}{i}" for metric in RANKED for i, terms in scores.items()]
    values += [f"{terms.confidence} AS confidence{i}" for i, terms in scores.items()]
    calibration = [f"{terms.calibration_cell} AS e{i}" for i, terms in scores.items()]
    joined += "".join(terms.joins for terms in scores.values())
    lookups = [alias for terms in scores.values() for alias in terms.lookups]
    hint = f"/*+ BROADCAST({', '.join(lookups)}) */ " if lookups else ""  # Spark sends them to every worker
    sums = {LOSS_SUM.format(metric=metric, model=i): f"sum({metric}{i})" for metric in LOSSES for i in carried}
    sums |= {LOSS_SQUARE.format(metric=metric, model=i): f"sum({metric}{i} * {metric}{i})"
             for metric in LOSSES for i in carried}
    sums |= {LOSS_PRODUCT.format(metric=metric, first=i, second=j): f"sum({metric}{i} * {metric}{j})"
             for metric in LOSSES for i, j in itertools.combinations(carried, 2)}
    sums |= {_SQUARES.format(metric=metric, model=i): f"sum({metric}{i} * {metric}{i})"
             for metric in RANKED for i in scores}
    sums |= {_DIFFERENCES.format(metric=metric, first=i, second=j): f"sum(({metric}{j} - {metric}{i}) * "
             f"({metric}{j} - {metric}{i}))" for metric in RANKED for i, j in itertools.combinations(scores, 2)}
    if ids_per_cell:
        sums["ids"] = backend.smallest(rows.text("listed"), ids_per_cell)
    else:  # how many examples of the cell the ids query will find
        sums["changed"] = "sum(listed)"
    keys = [column.rsplit(" AS ", 1)[1] for column in cells + absent]
    inner = f"SELECT {hint}{', '.join(cells + absent + listed + calibration + values)} FROM {joined}"
    if not scores:
        return (f"WITH {', '.join(parts)} SELECT {', '.join(keys)}, count(*) AS n"
                f"{''.join(f', {x} AS {name}' for name, x in sums.items())} FROM ({inner}) AS t GROUP BY {', '.join(keys)}")
    confidence = {f"confidence{i}": f"sum(confidence{i})" for i in scores}
    groups = calibration_sets(list(scores))
    if not backend.fanout:  # one pass of grouping sets, every sum in every set
        sets = [f"({', '.join(keys)})"] + [f"({', '.join([f'e{i}' for i in group] + keys[-len(files):])})"
                                           for group in groups]
        grouping = [f"e{i}, grouping(e{i}) AS ge{i}" for i in scores]
        return (f"WITH {', '.join(parts)} SELECT {', '.join(keys + grouping)}, count(*) AS n"
                f"{''.join(f', {x} AS {name}' for name, x in (sums | confidence).items())} FROM ({inner}) AS t "
                f"GROUP BY GROUPING SETS ({', '.join(sets)})")
    # the joined rows read twice, by the cells' GROUP BY and by the calibration cells' (each with its own sums), and
    # put together with the columns the grouping sets give: NULL where a set does not group or sum, ge<i> = 1
    # where it does not group by e<i>
    names = [*keys, *(f"{e}{i}" for i in scores for e in ("e", "ge")), "n", *sums, *confidence]
    branches = [(keys, {f"ge{i}": "1" for i in scores} | sums)]
    branches += [([f"e{i}" for i in group] + keys[-len(files):],
                  {f"ge{i}": "0" if i in group else "1" for i in scores}
                  | {f"confidence{i}": confidence[f"confidence{i}"] for i in group}) for group in groups]
    selects = []
    for by, summed in branches:
        columns = {name: name for name in by} | {"n": "count(*)"} | summed
        selected = [f"{columns.get(name, 'NULL')} AS {name}" for name in names]
        selects.append(f"SELECT {', '.join(selected)} FROM t GROUP BY {', '.join(by)}")
    return f"WITH {', '.join(parts)}, t AS ({inner}) {' UNION ALL '.join(selects)}"


def _check_unique(backend: SQLBackend, f: _File) -> None:
    """Refuse an id that appears twice in a file (the message names a few)."""
    assert f.columns.id is not None
    repeated = f"SELECT {_id(backend, f)} AS id FROM {f.relation} GROUP BY 1 HAVING count(*) > 1"
    found = backend.rows(f"{repeated} ORDER BY 1 LIMIT 5")
    if found:
        total = int(backend.rows(f"SELECT count(*) FROM ({repeated}) AS repeated")[0][0])
        raise EvaluationError(f"{f.filename}: column {quote(f.columns.id)} repeats {total:,} ids (for example "
                              f"{format_examples([str(row[0]) for row in found])}); expected each example once",
                              file=f.filename, column=f.columns.id)


def _empty(backend: SQLBackend, f: _File, column: str) -> str:
    """Where a column has no value: null, or (text) only spaces."""
    quoted = backend.identifier(column)
    return f"{quoted} IS NULL" + (f" OR trim({quoted}) = ''" if f.kinds.get(column) == "text" else "")


def _examples(backend: SQLBackend, f: _File, condition: str, shown: str | None = None) -> str:
    """`` (for example ids 'a', 'b')`` of the rows where ``condition`` holds (with their ``shown`` values)."""
    extra = f", CAST({shown} AS STRING)" if shown else ""
    found = backend.rows(f"SELECT {_id(backend, f)}{extra} FROM {f.relation} WHERE {condition} ORDER BY 1 LIMIT 5")
    ids = format_examples([str(row[0]) for row in found])
    values = f": {format_examples([str(row[1]) for row in found])}" if shown else ""
    return f" (for example ids {ids}{values})"


def _held_out(backend: SQLBackend, f: _File, drop: bool, warnings: list[str]) -> _File:
    """Refuse rows whose split is train/training, or leave them out with a warning (as the local loader)."""
    column = f.columns.split
    if not column:
        return f
    train = (f"lower(trim(CAST({backend.identifier(column)} AS STRING))) IN "
             f"({', '.join(backend.literal(v) for v in _TRAIN_VALUES)})")
    count, total = backend.rows(f"SELECT count(*) FILTER (WHERE {train}), count(*) FROM {f.relation}")[0]
    if not count:
        return f
    if not drop:
        raise EvaluationError(f"{f.filename}: column {quote(column)} marks {int(count):,} rows as training data "
                              f"(train/training){_examples(backend, f, train)}. Evaluating on data the model was "
                              "trained on overstates its performance; expected held-out rows only. Remove them, or "
                              "drop them with drop_train_rows=True (CLI --drop-train-rows).", file=f.filename,
                              column=column)
    if count == total:
        raise EvaluationError(f"{f.filename}: every row of column {quote(column)} is training data; no held-out rows "
                              "are left to evaluate", file=f.filename, column=column)
    warnings.append(f"{f.filename}: dropped {int(count):,} training rows (column {quote(column)} is train/training)")
    return replace(f, relation=f"(SELECT * FROM {f.relation} WHERE NOT coalesce({train}, FALSE))")


def _without_ids(backend: SQLBackend, files: Sequence[_File], exclude: Sequence[str], shared_ids_only: bool,
                 warnings: list[str]) -> list[_File]:
    """Leave out the examples whose id is in ``exclude`` (``LoadOptions.exclude_ids``, an id as the local loader
    reads it), with the local loader's warning saying how many of the paired examples were left out.

    The ids go to the engine as a small table, and each file keeps the rows with no id in it (``NOT EXISTS``, so a
    row without an id stays, to be refused with the other missing values)."""
    if not exclude:
        return list(files)
    wanted = list(dict.fromkeys(str(v).strip() for v in exclude))
    if files[0].integer_ids:  # ids joined as numbers: an excluded id that is not an integer is no file's id
        numbers = pd.to_numeric(pd.Series(wanted, dtype=object), errors="coerce")
        whole = numbers.notna() & (numbers == numbers.round())
        column = pd.Series(numbers[whole].astype("int64").unique(), dtype="int64")
    else:
        column = pd.Series(wanted, dtype=object)
    if column.empty:
        return list(files)
    table = backend.table(pd.DataFrame({"evaluation_excluded_id": column}))

    def excluded(f: _File) -> str:
        return f"EXISTS (SELECT 1 FROM {table} AS excluded WHERE excluded.evaluation_excluded_id = {_id(backend, f)})"

    relation = _paired_rows(backend, files) if shared_ids_only else files[0].relation
    left_out, total = backend.rows(f"SELECT count(*) FILTER (WHERE {excluded(files[0])}), count(*) FROM {relation}")[0]
    said = excluded_warnings(int(left_out), int(total))
    if not said:
        return list(files)
    warnings += said
    return [replace(f, relation=f"(SELECT * FROM {f.relation} WHERE NOT {excluded(f)})") for f in files]


class _Profile(NamedTuple):
    """What one pass over a file counts (:func:`_rows`)."""

    rows: int
    pairs: list[tuple[Any, ...]]
    """The distinct values of the columns counted by."""
    scores: pd.DataFrame | None
    """A score column's examples per distinct value of the columns counted by (the first: the true label, as
    ``label``) and grid score (``grid``, ``n``), and the rows whose score is missing or outside [0, 1] (``bad``)."""


def _rows(backend: SQLBackend, f: _File, by: Sequence[str] = (), score: str | None = None) -> _Profile:
    """A file's rows, after refusing a missing id, label or prediction (the message names the column, how many rows,
    and a few ids); and the distinct values of the ``by`` columns, counted in the same pass.

    A column of ``by`` is grouped by, so whether it is empty is read from each group's value, not tested on every
    row. ``score``: a score column, grouped by its grid score as well, which gives the runs a binary task ranks once
    the positive class is known (:func:`_scored_runs`), and the rows whose score is missing or outside [0, 1]."""
    roles = [c for c in (f.columns.id, f.columns.label, f.columns.prediction) if c]
    keys = [backend.identifier(c) for c in by]
    columns = [f"{k} AS key{i}" for i, k in enumerate(keys)] + [f"{_empty(backend, f, c)} AS blank{i}"
                                                                 for i, c in enumerate(by)]
    tested = [c for c in roles if c not in by]
    counts = ["count(*) AS n"] + [f"count(*) - count({backend.identifier(c)}) AS empty{i}"
                                  if f.kinds.get(c) != "text" else f"count(*) FILTER (WHERE {_empty(backend, f, c)}) "
                                  f"AS empty{i}" for i, c in enumerate(tested)]
    grouped = list(keys)
    if score is not None:
        value, bad = _score_sql(backend.identifier(score))
        grouped.append(grid_key(value))
        columns.append(f"{grouped[-1]} AS grid")
        counts.append(f"count(*) FILTER (WHERE {bad}) AS bad")
    frame = backend.frame(f"SELECT {', '.join(columns + counts)} FROM {f.relation}"
                          + (f" GROUP BY {', '.join(grouped)}" if grouped else ""))
    n = frame["n"].to_numpy(dtype=np.int64)
    empty = dict(zip(tested, (int(frame[f"empty{i}"].sum()) for i in range(len(tested))), strict=True))
    empty |= {c: int(n[frame[f"blank{i}"].to_numpy(dtype=bool)].sum()) for i, c in enumerate(by)}
    for column in roles:
        count = empty[column]
        if count:
            examples = ""
            if column != f.columns.id:
                ids = backend.rows(f"SELECT {_id(backend, f)} FROM {f.relation} WHERE {_empty(backend, f, column)} "
                                   "ORDER BY 1 LIMIT 5")
                examples = f" (for example ids {format_examples([str(i[0]) for i in ids])})"
            raise EvaluationError(f"{f.filename}: column {quote(column)} is empty in {count:,} row"
                                  f"{'s' if count != 1 else ''}{examples}; expected a value in every row",
                                  file=f.filename, column=column)
    values = frame[[f"key{i}" for i in range(len(keys))]]
    pairs = list(dict.fromkeys(tuple(_plain(v) for v in row) for row in values.itertuples(index=False)))
    scores = None if score is None else pd.DataFrame({"label": frame["key0"], "grid": frame["grid"], "n": n,
                                                      "bad": frame["bad"].to_numpy(dtype=np.int64)})
    return _Profile(int(n.sum()), pairs, scores)


def _scored_runs(scores: pd.DataFrame, positive: str) -> dict[str, ScoreRuns]:
    """The positive class's runs from a score column's counts per true label and grid score (:func:`_rows`)."""
    codes, labels = pd.factorize(scores["label"])
    is_positive = np.array([label_or_none(_plain(v)) == positive for v in labels], dtype=bool)[codes]
    return {positive: score_runs(pd.DataFrame({"grid": scores["grid"], "positive": is_positive, "n": scores["n"]}))}


def _pairing(cells: pd.DataFrame, files: Sequence[_File], shared_only: bool, warnings: list[str]) -> pd.DataFrame:
    """The cells of examples in every file; refuse ids missing from some file unless ``shared_only``."""
    absent = cells[[f"absent{i}" for i in range(len(files))]].to_numpy(dtype=bool)
    everywhere = ~absent.any(axis=1)
    if not everywhere.all():
        counts = cells["n"].to_numpy()
        lacking = {i: int(counts[absent[:, i]].sum()) for i in range(len(files))}
        details = "; ".join(f"{files[i].filename} lacks {n:,} ids found in another file" for i, n in lacking.items() if n)
        if not shared_only:
            raise EvaluationError(f"the files do not hold the same examples (ids): {details}. Expected the same ids in "
                                  "every file; to evaluate only the ids found in every file, use --shared-ids-only",
                                  file=files[0].filename, column=files[0].columns.id)
        if not everywhere.any():
            raise EvaluationError(f"no id is found in every file ({details}); expected prediction files on the same "
                                  "examples")
        warnings.append(f"{int(counts[~everywhere].sum()):,} ids not in every file were left out (shared_ids_only)")
    return cells.iloc[np.flatnonzero(everywhere)].reset_index(drop=True)


def _cell_ids(backend: SQLBackend, files: Sequence[_File], losses: Sequence[_Losses | None],
              cells: pd.DataFrame) -> CellIds:
    """Each cell's first ids in text order: from the cell query, or those of its prediction cell."""
    def ids(value: object) -> tuple[str, ...]:
        return () if _missing(value) else tuple(str(i) for i in _listed(value))

    if backend.ids_with_cells:
        return CellIds(tuple(ids(v) for v in cells["ids"]), IDS_PER_CELL)
    keys = _prediction_cell(len(files))
    changed: dict[tuple[Any, ...], int] = {}
    for row, count in zip(cells[keys].itertuples(index=False), cells["changed"].tolist(), strict=True):
        changed[tuple(row)] = changed.get(tuple(row), 0) + int(count)
    wanted = {key: min(count, IDS_PER_CELL) for key, count in changed.items() if count}

    def listed(within: Sequence[str] | None = None) -> dict[tuple[Any, ...], tuple[str, ...]]:
        found = backend.frame(_ids_query(backend, files, losses, IDS_PER_CELL, within))
        return {tuple(row[:-1]): ids(row[-1]) for row in found[[*keys, "ids"]].itertuples(index=False)}

    by_cell: dict[tuple[Any, ...], tuple[str, ...]] = {}
    if wanted:
        within = _likely_rows(backend, files, cells, changed)
        if within is not None:
            by_cell = listed(within)
        if any(len(by_cell.get(key, ())) < count for key, count in wanted.items()):
            by_cell = listed()  # a cell found too few: among every row
    return CellIds(tuple(by_cell.get(tuple(row), ()) for row in cells[keys].itertuples(index=False)), IDS_PER_CELL)


def _prediction_cell(models: int) -> list[str]:
    """The cells' columns that name a prediction cell: the true label and every model's prediction (the ids query's
    groups)."""
    return ["label0", *(f"pred{i}" for i in range(models))]


_SPREAD = 4  # a prediction cell whose changed examples are spread over the ids holds this many times what it lists
_SAMPLED_IDS = 20_000  # about this many ids, drawn by their hash, place the first ids' end


def _likely_rows(backend: SQLBackend, files: Sequence[_File], cells: pd.DataFrame,
                 changed: Mapping[tuple[Any, ...], int]) -> list[str] | None:
    """Each file's rows that likely hold every prediction cell's first changed ids, for the ids query to join instead
    of every row (``None``: most of the rows, or files the condition cannot be written for). A cell with many
    changed examples finds its first ones among the first ids in text order, if they are spread over the ids as over
    the rows; a cell with few is found by its label and predictions. The caller checks what was found and asks
    again for every row if a cell found too few: the ids are right whatever the condition."""
    if not all(f.columns.prediction for f in files):
        return None
    keys = _prediction_cell(len(files))
    examples = int(cells["n"].sum())
    many = [count for count in changed.values() if count >= _SPREAD * IDS_PER_CELL]
    share = min(1.0, _SPREAD * IDS_PER_CELL / min(many)) if many else 0.0
    few = [key for key, count in changed.items() if 0 < count < _SPREAD * IDS_PER_CELL]
    # a file's label is compared with the first file's values where it is of their kind, else only its predictions
    labelled = [f.kinds.get(str(f.columns.label)) == files[0].kinds.get(str(files[0].columns.label)) for f in files]
    # the rows the condition keeps: the first ids', and those of the few cells' (label and) predictions
    kept = share * examples * len(files)
    few_of = [{(k[0] if labelled[i] else None, k[i + 1]) for k in few} for i in range(len(files))]
    for row in cells[["n", *keys]].itertuples(index=False):
        kept += row[0] * sum((row[1] if labelled[i] else None, row[i + 2]) in few_of[i] for i in range(len(files)))
    if kept > 0.5 * examples * len(files):
        return None
    conditions: list[list[str]] = [[] for _ in files]
    if share:
        text = _id_text(backend, files[0])
        sample = sorted(str(row[0]) for row in backend.rows(
            f"SELECT {text} FROM {files[0].relation} WHERE "
            f"{backend.hash_group(_id(backend, files[0]), max(1, examples // _SAMPLED_IDS))} = 0"))
        if not sample:
            return None
        up_to = backend.literal(sample[min(len(sample) - 1, math.ceil(share * len(sample)))])
        conditions = [[f"{_id_text(backend, f)} <= {up_to}"] for f in files]
    for key in few:
        for i, f in enumerate(files):
            predicted = f"{backend.identifier(str(f.columns.prediction))} = {_sql_value(backend, _plain(key[i + 1]))}"
            label = f"{backend.identifier(str(f.columns.label))} = {_sql_value(backend, _plain(key[0]))}"
            conditions[i].append(f"({label} AND {predicted})" if labelled[i] else predicted)
    return [" OR ".join(dict.fromkeys(c)) for c in conditions]


def _plain(value: Any) -> Any:
    """A value from a pandas frame as a plain Python value (a numpy scalar's ``repr`` is not SQL)."""
    return value.item() if hasattr(value, "item") else value


def _listed(value: Any) -> list[Any]:
    """A list the engine returns (a Python list, a numpy array), as a list."""
    return list(value.tolist() if hasattr(value, "tolist") else value)


def _label_text(values: pd.Series) -> pa.Array:
    """Labels as text that :func:`evaluation._columns.normalize_label` reads as the local loader reads the values
    (``repr`` of a float keeps its digits)."""
    return pa.array([repr(float(v)) if isinstance(v, float) else str(v) for v in values.tolist()], type=pa.string())


def _check_labels(cells: pd.DataFrame, files: Sequence[_File]) -> None:
    """Every file must give each example the same true label."""
    first = np.array([label_or_none(v) for v in cells["label0"].tolist()], dtype=object)
    for i in range(1, len(files)):
        other = np.array([label_or_none(v) for v in cells[f"label{i}"].tolist()], dtype=object)
        differ = first != other
        if differ.any():
            n = int(cells["n"].to_numpy()[differ].sum())
            raise EvaluationError(f"{files[i].filename}: the true label ({quote(files[i].columns.label)}) differs from "
                                  f"{files[0].filename}'s for {n:,} example{'s' if n != 1 else ''}; expected the same "
                                  "true labels in every file", file=files[i].filename, column=files[i].columns.label)


def load_classification_sql(backend: SQLBackend, sources: Sequence[object], *, names: Sequence[str] | None = None,
                            options: LoadOptions | None = None, ece_bins: int = DEFAULT_ECE_BINS) -> ClassificationData:
    """Read, check and pair prediction files with a SQL engine into the weighted data of their cell table.

    Parameters
    ----------
    backend:
        The engine (:func:`evaluation._duckdb.duckdb_backend`, :func:`evaluation._spark.spark_backend`).
    sources:
        One path, directory or glob per model (Parquet, CSV or JSON Lines), each with an id, a true label and a
        prediction column; the first is the default baseline.
    names:
        The models' names (default: from the file names).
    options:
        Column names, label set, class order, positive label and ``shared_ids_only`` (:class:`LoadOptions`).
    ece_bins:
        The calibration bins the confidences are counted in (the comparison's ``Settings.ece_bins``).

    Returns
    -------
    ClassificationData
        Weighted: one row per cell (:mod:`evaluation._cells`), for :func:`evaluation.compare`.

    Raises
    ------
    EvaluationError
        A missing file or column, a missing value, a repeated id, ids not in every file, true labels that differ.
    """
    options = options or LoadOptions()
    if len(sources) < 2:
        raise EvaluationError("a comparison needs at least two prediction files: a baseline and a candidate")
    if names is not None and len(names) != len(sources):
        raise EvaluationError(f"{len(names)} model names were given for {len(sources)} files; expected one name per file")
    files = [_open(backend, source, i, None if names is None else str(names[i]), options.mapping)
             for i, source in enumerate(sources)]
    if all(f.kinds.get(str(f.columns.id)) == "integer" for f in files):
        files = [replace(f, integer_ids=True) for f in files]
    warnings: list[str] = []
    files = [_held_out(backend, f, options.drop_train_rows, warnings) for f in files]
    excluded: list[str] = []  # said after the pairing's warnings, as the local loader says it
    files = _without_ids(backend, files, options.exclude_ids, options.shared_ids_only, excluded)
    # a score column's runs are counted in the same pass as the rows (with --shared-ids-only, only paired rows rank)
    profiled = [_rows(backend, f, [c for c in (f.columns.label, f.columns.prediction) if c],
                      None if options.shared_ids_only or f.columns.probabilities else f.columns.score) for f in files]
    lengths = [p.rows for p in profiled]
    losses: list[_Losses | None] = []
    runs: dict[str, dict[str, ScoreRuns]] = {}
    terms: dict[int, ScoreTerms] = {}
    if any(f.columns.probabilities or f.columns.score for f in files):
        classes, positive, raw = _class_set(files, [p.pairs for p in profiled], options)
        losses = [_losses(backend, f, classes, positive, values, options.probability_tolerance, options.threshold)
                  for f, values in zip(files, raw, strict=True)]
        for i, (f, loss) in enumerate(zip(files, losses, strict=True)):
            if loss is not None:
                scores = profiled[i].scores
                if options.shared_ids_only:  # every row is checked, the paired rows ranked
                    _check_probabilities(backend, f, loss)
                    runs[f.name] = _score_runs(backend, _paired_rows(backend, files, i), loss, classes, positive)
                elif scores is not None and positive is not None:
                    _check_probabilities(backend, f, loss, [int(scores["bad"].sum())])
                    runs[f.name] = _scored_runs(scores, positive)
                else:
                    runs[f.name] = _score_runs(backend, f.relation, loss, classes, positive, f)
        # the same SQL over the joined rows, for the cell query
        losses = [_losses(backend, f, classes, positive, values, options.probability_tolerance, options.threshold,
                          _joined_column(f, i)) for i, (f, values) in enumerate(zip(files, raw, strict=True))]
        for i, loss in enumerate(losses):
            if loss is not None:
                terms[i] = score_terms(backend, i, runs[files[i].name], loss.value, loss.is_class, classes,
                                       loss.label_code, ece_bins, loss.scored)
    # slices are cut on the examples compared, as the local engine cuts them after pairing
    relation = _paired_rows(backend, files) if options.shared_ids_only else files[0].relation
    slicings = _slicings(backend, files[0], relation, warnings)
    cells = backend.frame(_cell_query(backend, files, slicings, IDS_PER_CELL if backend.ids_with_cells else None,
                                      losses, terms))
    calibration = cells.iloc[:0]
    if terms:  # the grouping sets' rows: the cells (every calibration cell summed over), then the calibration cells
        counted = np.logical_and.reduce([cells[f"ge{i}"].to_numpy() == 1 for i in terms])
        calibration, cells = cells.loc[~counted], cells.loc[counted].reset_index(drop=True)
    counts = cells["n"].to_numpy(dtype=np.int64)
    if any(int(counts[~cells[f"absent{i}"].to_numpy(dtype=bool)].sum()) > lengths[i] for i in range(len(files))):
        for f in files:  # more joined rows than a file has: an id is repeated in some file
            _check_unique(backend, f)
    cells = _pairing(cells, files, options.shared_ids_only, warnings)
    warnings += excluded
    _check_labels(cells, files)
    listed = _cell_ids(backend, files, losses, cells)
    table = pa.table({
        CELL_LABEL: _label_text(cells["label0"]),
        **{f"{CELL_PREDICTION_PREFIX}{i}": _label_text(cells[f"pred{i}"]) for i in range(len(files))},
        **{name: pa.array(bins, type=pa.string()) for name, bins in _SliceKeys(slicings).names(cells).items()},
        CELL_COUNT: pa.array(cells["n"].to_numpy(dtype=np.int64)),
        **{column: pa.array(cells[column].to_numpy(dtype=float)) for column in cells.columns
           if column.startswith(tuple(LOSSES))},
    })
    data = cells_data(table, filename=files[0].filename, names=[f.name for f in files], options=options,
                      binned={name: BinnedSlice(s.values) for name, s in slicings.items()},
                      sources=[f.filename for f in files], warnings=warnings)
    from ._sql_flips import changed_rows  # it builds on this module's joins

    data = replace(data, cell_ids=listed, changed_rows=changed_rows(backend, files, losses, data.classes))
    if not terms:
        return data
    everywhere = ~calibration[[f"absent{i}" for i in range(len(files))]].to_numpy(dtype=bool).any(axis=1)
    names = [f.name for f in files]
    labels = pd.Series([normalize_label(label) for label in _label_text(cells["label0"]).to_pylist()])

    def per_class(column: str) -> dict[str, float]:
        return {str(k): float(v) for k, v in cells[column].astype(float).groupby(labels).sum().items()}

    squares = {(metric, names[i]): per_class(_SQUARES.format(metric=metric, model=i)) for metric in RANKED
               for i in terms}
    differences = {}
    for metric in RANKED:
        for i, j in itertools.combinations(terms, 2):
            differences[metric, names[i], names[j]] = differences[metric, names[j], names[i]] = per_class(
                _DIFFERENCES.format(metric=metric, first=i, second=j))
    return replace(data, scores=CellScores(runs, squares, differences, calibration_cells(
        calibration.iloc[np.flatnonzero(everywhere)], list(terms), names, ece_bins), ece_bins))


def _score_runs(backend: SQLBackend, relation: str, loss: _Losses, classes: Sequence[str],
                positive: str | None, checked: _File | None = None) -> dict[str, ScoreRuns]:
    """A model's runs of scores for each class ranked: the positive class, or every class some example is of.

    ``checked``: the file whose rows ``relation`` is; the first query also counts its probabilities' checks, which
    refuse bad ones before the runs are read (a clipped score never fails the query: NaN is the largest number)."""
    ranked = [positive] if positive is not None else list(classes)
    runs: dict[str, ScoreRuns] = {}
    for k in ranked:
        checks = [bad for bad, _, _ in loss.checks] if checked is not None and not runs else []
        frame = backend.frame(runs_query(relation, loss.value[k], loss.is_class[k], checks))
        if checks:
            assert checked is not None
            _check_probabilities(backend, checked, loss, [int(frame[f"counted{j}"].sum()) for j in range(len(checks))])
        runs[k] = score_runs(frame)
    return {k: r for k, r in runs.items() if positive is not None or r.positives.sum() > 0}
