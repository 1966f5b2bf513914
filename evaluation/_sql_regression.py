"""A regression comparison computed by a SQL engine, where the files lie (DuckDB, Spark).

:func:`load_regression_sql` reads regression prediction files (the true value in ``label``, a number in
``prediction``) through the :class:`~evaluation._sql_engine.SQLBackend` of the classification engine, makes the
local loader's checks there (missing values, text that is not a number, repeated ids, ids not in every file, true
values that differ between files; each message names the file, the column and a few ids), and then:

- up to :data:`~evaluation._sums.GROUPED_ABOVE` paired examples, fetches the joined rows (id, true value, each
  model's prediction, the metadata columns) in the order the local loader reads them, and returns the
  :class:`~evaluation._regression.RegressionData` :func:`~evaluation._regression.load_regression` returns, so
  :func:`~evaluation._regression.compare_regression` gives the local engine's report, byte for byte;
- above, lets no example leave the engine: one ``GROUP BY GROUPING SETS`` over the files joined on their ids sums,
  per resampling group (the engine's hash of the id modulo :data:`~evaluation._sums.RESAMPLING_GROUPS`) and per
  slice, every model's design columns, their squares and each pair of models' squared differences; the engine's
  exact quantiles give the median absolute errors and the residual quantiles, and ``ORDER BY ... LIMIT`` the ids
  of the largest error increases. :mod:`evaluation._regression_sums` turns those into the report, and says what
  is exact and what agrees within Monte Carlo error.

Slices are cut as the local engine cuts them (:func:`evaluation._sql_slices._slicings`), the true value's quartiles
as one more numeric column. The DuckDB and Spark entry points are :func:`load_regression_duckdb` and
:func:`load_regression_spark`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._data import LoadOptions
from ._errors import EvaluationError, quote
from ._regression import TRUE_VALUE_SLICE, ErrorChanges, RegressionData, RegressionModel
from ._regression_sums import QUANTILES, SummedRegressionData
from ._results import Settings
from ._slices import MISSING
from ._sql_engine import (
    SQLBackend,
    _check_unique,
    _examples,
    _File,
    _held_out,
    _id,
    _listed,
    _open,
    _paired_rows,
    _pairing,
    _rows,
    _without_ids,
)
from ._sql_slices import _INFINITY, _missing, _Slicing, _slicings
from ._sums import GROUPED_ABOVE, RESAMPLING_GROUPS, GroupSums

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["load_regression_duckdb", "load_regression_spark", "load_regression_sql"]

_RTOL, _ATOL = 1e-9, 1e-12  # numpy.isclose's tolerances, as load_regression compares the files' true values
_TRUE = "evaluation_true_value"  # the first file's true value as a column, to cut its quartiles as a metadata column
_MAX_IDS = Settings().max_flip_ids  # the ids of the largest error increases fetched per pair of models


def _double(backend: SQLBackend, f: _File, column: str, *, trying: bool = False) -> str:
    """A column as a number (``trying``: NULL where the text is not one). Text is trimmed first, which also keeps
    DuckDB from casting the column as it reads the file (where a value that is not a number stops the query)."""
    quoted = backend.identifier(column)
    value = f"trim({quoted})" if f.kinds.get(column) == "text" else quoted
    return f"{'TRY_CAST' if trying else 'CAST'}({value} AS DOUBLE)"


def _check_numbers(backend: SQLBackend, f: _File) -> None:
    """Refuse a true value or prediction that is not a number, or not a finite one (naming the column and ids)."""
    for column, what in ((f.columns.label, "the true value"), (f.columns.prediction, "the predicted value")):
        assert column is not None
        number = _double(backend, f, column, trying=True)
        text = f"{number} IS NULL"
        infinite = f"isnan({number}) OR abs({number}) = {_INFINITY}"
        bad, endless = backend.rows(f"SELECT count(*) FILTER (WHERE {text}), count(*) FILTER (WHERE {infinite}) "
                                    f"FROM {f.relation}")[0]
        if bad:
            raise EvaluationError(f"{f.filename}: column {quote(column)} holds text that is not a number in "
                                  f"{int(bad):,} row{'s' if bad != 1 else ''}"
                                  f"{_examples(backend, f, text, backend.identifier(column))}; expected {what} as a "
                                  "number on every row", file=f.filename, column=column)
        if endless:
            raise EvaluationError(f"{f.filename}: column {quote(column)} has missing or infinite values in "
                                  f"{int(endless):,} row{'s' if endless != 1 else ''}"
                                  f"{_examples(backend, f, infinite)}; expected {what} as a finite number on every "
                                  "row", file=f.filename, column=column)


def _models(backend: SQLBackend, files: Sequence[_File], first: Sequence[str] = (),
            others: Sequence[Sequence[str]] = ()) -> str:
    """Each file as ``m<i>`` (its id, true value and prediction, and the ``first`` / ``others[i]`` extra select
    items)."""
    parts = []
    for i, f in enumerate(files):
        assert f.columns.label is not None and f.columns.prediction is not None
        extra = list(first) if i == 0 else list(others[i]) if i < len(others) else []
        items = [f"{_id(backend, f)} AS id", f"{_double(backend, f, f.columns.label)} AS y",
                 f"{_double(backend, f, f.columns.prediction)} AS p", *extra]
        parts.append(f"m{i} AS (SELECT {', '.join(items)} FROM {f.relation})")
    return ", ".join(parts)


def _inner(files: Sequence[_File]) -> str:
    """The files joined on their ids: the examples in every file."""
    return "m0" + "".join(f" JOIN m{i} ON m0.id = m{i}.id" for i in range(1, len(files)))


def _pair(backend: SQLBackend, files: Sequence[_File], lengths: Sequence[int],
          shared_only: bool) -> tuple[int, list[str]]:
    """Pass 2: refuse repeated ids, ids not in every file (unless ``shared_only``) and true values that differ;
    the number of paired examples and the pairing's warnings, as the local loader words them."""
    joined, seen = "m0", "m0.id"
    for i in range(1, len(files)):
        joined += f" FULL JOIN m{i} ON {seen} = m{i}.id"
        seen = f"coalesce({seen}, m{i}.id)"
    differ = [f"abs(m{i}.y - m0.y) > {_ATOL!r} + {_RTOL!r} * abs(m0.y)" for i in range(1, len(files))]
    counts = backend.frame(
        f"WITH {_models(backend, files)} SELECT {', '.join(f'm{i}.id IS NULL AS absent{i}' for i in range(len(files)))}"
        f", count(*) AS n{''.join(f', count(*) FILTER (WHERE {d}) AS differ{i + 1}' for i, d in enumerate(differ))} "
        f"FROM {joined} GROUP BY {', '.join(str(i + 1) for i in range(len(files)))}")
    n = counts["n"].to_numpy(dtype=np.int64)
    if any(int(n[~counts[f"absent{i}"].to_numpy(dtype=bool)].sum()) > lengths[i] for i in range(len(files))):
        for f in files:  # more joined rows than a file has: an id is repeated in some file
            _check_unique(backend, f)
    paired = _pairing(counts, files, shared_only, [])
    kept = int(paired["n"].sum())
    for i, f in enumerate(files[1:], start=1):
        count = int(paired[f"differ{i}"].sum())
        if count:
            first = files[0]
            found = backend.rows(f"WITH {_models(backend, files)} SELECT m0.id, m{i}.y, m0.y FROM {_inner(files)} "
                                 f"WHERE {differ[i - 1]} ORDER BY 1 LIMIT 1")[0]
            raise EvaluationError(f"{f.filename}: the true values differ from {first.filename}'s for {count:,} examples "
                                  f"(for example id {str(found[0])!r}: {float(found[1])!r} against {float(found[2])!r});"
                                  " expected the same test set, with the same true values, in every file",
                                  file=f.filename, column=f.columns.label)
    return kept, [f"{f.filename}: {length - kept:,} of {length:,} rows were left out because their ids are not in "
                  "every file (shared_ids_only)" for f, length in zip(files, lengths, strict=True) if length != kept]


def _metadata_columns(files: Sequence[_File], warnings: list[list[str]]) -> list[list[str]]:
    """Each file's metadata columns the paired metadata takes (the first file's, then the others' new ones), as
    :func:`evaluation._pairing.paired_metadata` takes them; lists and records are left out with a warning."""
    taken: list[list[str]] = []
    seen: set[str] = set()
    for f, said in zip(files, warnings, strict=True):
        names = list(dict.fromkeys(c for c in f.columns.metadata or () if c != f.columns.timestamp))
        nested = [c for c in names if f.kinds.get(c) == "other"]
        if nested:
            said.append(f"{f.filename}: {', '.join(quote(c) for c in nested)} cannot be sliced by, and "
                        f"{'was' if len(nested) == 1 else 'were'} left out of the metadata")
        taken.append([c for c in names if c not in nested and c not in seen])
        seen.update(names)
    return taken


def _fetched(backend: SQLBackend, files: Sequence[_File], warnings: list[list[str]],
             pairing: list[str]) -> RegressionData:
    """Up to :data:`GROUPED_ABOVE` examples: the joined rows, as :func:`~evaluation._regression.load_regression`
    returns them."""
    columns = _metadata_columns(files, warnings)
    items = [[f"{backend.identifier(c)} AS {backend.identifier(f'meta{i}_{k}')}" for k, c in enumerate(names)]
             for i, names in enumerate(columns)]
    selected = ["m0.id AS id", "m0.y AS y", *(f"m{i}.p AS p{i}" for i in range(len(files))),
                *(f"m{i}.{backend.identifier(f'meta{i}_{k}')}" for i, names in enumerate(columns)
                  for k in range(len(names)))]
    frame = backend.frame(f"WITH {_models(backend, files, items[0], items)} SELECT {', '.join(selected)} "
                          f"FROM {_inner(files)}")
    order = pd.Index([str(v) for v in backend.in_file_order(files[0].relation, _id(backend, files[0])).column(0).to_pylist()])
    ids = pd.Index([str(v) for v in frame["id"].tolist()])
    position = order.get_indexer(ids)
    frame = frame.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)
    metadata = pd.DataFrame({c: frame[f"meta{i}_{k}"].to_numpy() for i, names in enumerate(columns)
                             for k, c in enumerate(names)}, index=pd.RangeIndex(len(frame)))
    metadata = _as_local(metadata)
    y_true = frame["y"].to_numpy(dtype=float)
    models = tuple(RegressionModel(f.name, f.filename, frame[f"p{i}"].to_numpy(dtype=float), f.columns)
                   for i, f in enumerate(files))
    return RegressionData(ids=np.asarray([str(v) for v in frame["id"].tolist()], dtype=object), y_true=y_true,
                          models=models, metadata=metadata,
                          warnings=tuple(w for said in warnings for w in said) + tuple(pairing))


def _as_local(metadata: pd.DataFrame) -> pd.DataFrame:
    """Metadata as the local loader's Arrow tables give them to pandas (text as pandas' text, integers with
    missing values as floats)."""
    import pyarrow as pa

    if metadata.columns.empty:
        return metadata
    converted = {}
    for column in metadata.columns:
        values = metadata[column]
        try:
            converted[column] = pa.array(values.to_numpy(dtype=object), from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            converted[column] = pa.array(values.astype(str).to_numpy(dtype=object))
    return pa.table(converted).to_pandas()


def _slices(backend: SQLBackend, files: Sequence[_File], shared_only: bool,
            warnings: list[str]) -> tuple[list[dict[str, _Slicing]], _Slicing | None]:
    """Each file's slices (the first file's metadata columns, then the others' new ones), cut on the paired
    examples, and the true value's quartiles."""
    columns = _metadata_columns(files, [[] for _ in files])
    slicings = []
    for i, (f, names) in enumerate(zip(files, columns, strict=True)):
        relation = _paired_rows(backend, files, i) if shared_only else f.relation
        own = replace(f, columns=replace(f.columns, metadata=tuple(names), timestamp=None))
        slicings.append(_slicings(backend, own, relation, warnings) if names else {})
    first = files[0]
    assert first.columns.label is not None
    rows = _paired_rows(backend, files) if shared_only else first.relation
    relation = f"(SELECT {_double(backend, first, first.columns.label)} AS {backend.identifier(_TRUE)} FROM {rows}) AS truth"
    truth = replace(first, columns=replace(first.columns, metadata=(_TRUE,), timestamp=None), kinds={_TRUE: "float"})
    return slicings, _slicings(backend, truth, relation, warnings).get(_TRUE)


def _summed(backend: SQLBackend, files: Sequence[_File], n: int, shared_only: bool, warnings: list[list[str]],
            pairing: list[str]) -> SummedRegressionData:
    """Above :data:`GROUPED_ABOVE` examples: sums by resampling group and slice, quantiles and the largest error
    increases, computed by the engine."""
    said: list[str] = []
    slicings, truth = _slices(backend, files, shared_only, said)
    names: list[tuple[str, tuple[str, ...]]] = []  # each slice column's name and values, in the local order
    items: list[list[str]] = [[] for _ in files]
    keys: list[str] = []
    for i, cut in enumerate(slicings):
        for column, slicing in cut.items():  # cut in the file's own rows, carried through the join
            items[i].append(f"{slicing.expression} AS s{len(names)}")
            keys.append(f"m{i}.s{len(names)} AS s{len(names)}")
            names.append((column, slicing.values))
    if truth is not None:  # cut in the joined rows, from the first file's true value
        items[0].append(f"{_double(backend, files[0], str(files[0].columns.label))} AS {backend.identifier(_TRUE)}")
        keys.append(f"{truth.expression} AS s{len(names)}")
        names.append((TRUE_VALUE_SLICE, truth.values))
    k = len(files)
    pairs = list(itertools.combinations(range(k), 2))
    errors = [f"abs(m0.y - m{i}.p) AS a{i}, (m0.y - m{i}.p) * (m0.y - m{i}.p) AS q{i}, m{i}.p - m0.y AS r{i}"
              for i in range(k)]
    group = backend.hash_group("m0.id", RESAMPLING_GROUPS)
    joined = (f"WITH {_models(backend, files, items[0], items)}, j AS (SELECT m0.id AS id, {group} AS g, m0.y AS y, "
              f"{', '.join(errors + keys)} FROM {_inner(files)})")
    s = [f"s{j}" for j in range(len(names))]
    sums = ["count(*) AS n", "sum(y) AS y", "sum(y * y) AS yy"]
    sums += [f"sum(a{i}) AS a{i}, sum(q{i}) AS q{i}, sum(a{i} * a{i}) AS aa{i}, sum(q{i} * q{i}) AS qq{i}"
             for i in range(k)]
    sums += [f"sum((a{j} - a{i}) * (a{j} - a{i})) AS da{i}_{j}, sum((q{j} - q{i}) * (q{j} - q{i})) AS dq{i}_{j}, "
             f"sum(CASE WHEN a{j} > a{i} THEN 1 ELSE 0 END) AS up{i}_{j}, "
             f"sum(CASE WHEN a{j} < a{i} THEN 1 ELSE 0 END) AS down{i}_{j}" for i, j in pairs]
    flags = "".join(f", grouping({c}) AS u{c}" for c in s)
    sets = ", ".join(["(g)", *(f"(g, {c})" for c in s)])
    table = backend.frame(f"{joined} SELECT g{''.join(', ' + c for c in s)}{flags}, {', '.join(sums)} FROM j "
                          f"GROUP BY GROUPING SETS ({sets})")
    medians = [f"{backend.quantile_list(f'a{i}', [0.5])} AS median{i}" for i in range(k)]
    residuals = [f"{backend.quantile_list(f'r{i}', QUANTILES)} AS residual{i}" for i in range(k)]
    points = backend.frame(f"{joined} SELECT {''.join(c + ', ' for c in s)}{''.join(f'grouping({c}) AS u{c}, ' for c in s)}"
                           f"{', '.join(medians + residuals)} FROM j GROUP BY GROUPING SETS "
                           f"({', '.join(['()', *(f'({c})' for c in s)])})")

    groups, quantiles = _GroupingSets(table, s), _GroupingSets(points, s)

    def group_sums(column: str | None, value: str | None) -> GroupSums:
        rows = groups.rows(column, value).sort_values("g", kind="stable")  # the groups in one order, whatever the engine's
        count = rows["n"].to_numpy(dtype=float)
        y, yy = rows["y"].to_numpy(dtype=float), rows["yy"].to_numpy(dtype=float)
        units = np.stack([np.column_stack([rows[f"a{i}"].to_numpy(dtype=float), rows[f"q{i}"].to_numpy(dtype=float),
                                           y, yy, count]) for i in range(k)]) if len(rows) else np.zeros((k, 0, 5))
        nan = float("nan")
        squares = np.array([[rows[f"aa{i}"].sum(), rows[f"qq{i}"].sum(), yy.sum(), nan, count.sum()]
                            for i in range(k)], dtype=float)
        pair_squares = np.array([[rows[f"da{i}_{j}"].sum(), rows[f"dq{i}_{j}"].sum(), 0.0, 0.0, 0.0]
                                 for i, j in pairs], dtype=float).reshape(len(pairs), 5)
        found = quantiles.rows(column, value)
        medians = (np.array([float(_first(found[f"median{i}"].iloc[0])) for i in range(k)]) if len(found)
                   else np.full(k, nan))
        return GroupSums(int(count.sum()), units, squares, pair_squares, {"median_absolute_error": medians})

    overall = group_sums(None, None)
    every = quantiles.rows(None, None)
    residual = np.array([[float(v) for v in _listed(every[f"residual{i}"].iloc[0])] for i in range(k)])
    slices: list[tuple[str, str, GroupSums]] = []
    for j, (column, values) in enumerate(names):
        listed = list(values) + ([MISSING] if (groups.text[f"s{j}"][groups.only(f"s{j}")] == MISSING).any() else [])
        slices.extend((column, value, group_sums(f"s{j}", value)) for value in listed)
    changes = _error_changes(backend, joined, groups.rows(None, None), k, pairs)
    return SummedRegressionData(
        n_examples=n, names=tuple(f.name for f in files), sources=tuple(f.filename for f in files), overall=overall,
        slices=tuple(slices), residual_quantiles=residual, error_changes=changes, max_ids=_MAX_IDS,
        warnings=(*(w for per_file in warnings for w in per_file), *pairing, *said, _grouped_warning(backend, n)))


def _grouped_warning(backend: SQLBackend, n: int) -> str:
    """What the summed comparison computes differently from the local engine."""
    return (f"the {backend.name} engine summed the {n:,} examples by resampling group (a hash of the id modulo "
            f"{RESAMPLING_GROUPS:,}) without fetching them: the median absolute error has its value but no interval "
            "nor test (they resample each example's error); the root mean squared error's and R²'s intervals and "
            "p-values agree with the local engine's within Monte Carlo error; ties among the largest error "
            "increases are in id order")


def _first(value: Any) -> Any:
    """The first element of a one-element list the engine returns."""
    return _listed(value)[0]


def _slice_text(values: pd.Series) -> np.ndarray:
    """Slice values as the slices name them: ``str`` of the value, :data:`MISSING` where missing."""
    return np.array([MISSING if _missing(v) else str(v) for v in values.tolist()], dtype=object)


class _GroupingSets:
    """The rows of a ``GROUP BY GROUPING SETS`` result, one grouping set (every example, or one slice column) at a
    time; ``u<column>`` flags the columns a set leaves out (``grouping()``)."""

    def __init__(self, frame: pd.DataFrame, columns: Sequence[str]) -> None:
        self.frame = frame
        self.flags = {c: frame[f"u{c}"].to_numpy(dtype=np.int64) for c in columns}
        self.text = {c: _slice_text(frame[c]) for c in columns}

    def only(self, column: str | None) -> np.ndarray:
        """Which rows belong to the set of ``column`` alone (``None``: the set of every example)."""
        keep = np.ones(len(self.frame), dtype=bool)
        for c, flag in self.flags.items():
            keep &= flag == (0 if c == column else 1)
        return keep

    def rows(self, column: str | None, value: str | None) -> pd.DataFrame:
        """The rows of every example (``column`` None), or of one value of a slice column."""
        keep = self.only(column)
        if column is not None:
            keep &= self.text[column] == value
        return self.frame[keep]


def _error_changes(backend: SQLBackend, joined: str, every: pd.DataFrame, k: int,
                   pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], ErrorChanges]:
    """Worse, better and unchanged counts of every ordered pair of models (from the sums of ``every`` example's
    groups), and the ids of the largest increases (``ORDER BY ... LIMIT``; ties by id)."""
    n = int(every["n"].sum())
    out = {}
    for i, j in pairs:
        up, down = int(every[f"up{i}_{j}"].sum()), int(every[f"down{i}_{j}"].sum())
        for baseline, candidate, worse, better in ((i, j, up, down), (j, i, down, up)):
            grew = f"a{candidate} - a{baseline}"
            ids = backend.rows(f"{joined} SELECT id, {grew} AS grew FROM j WHERE {grew} > 0 "
                               f"ORDER BY grew DESC, id LIMIT {_MAX_IDS}")
            out[(baseline, candidate)] = ErrorChanges(worse, better, n - worse - better,
                                                      tuple(str(row[0]) for row in ids))
    return out


def load_regression_sql(backend: SQLBackend, sources: Sequence[object], *, names: Sequence[str] | None = None,
                        options: LoadOptions | None = None) -> RegressionData | SummedRegressionData:
    """Read, check and pair regression prediction files with a SQL engine.

    Parameters
    ----------
    backend:
        The engine (:class:`evaluation._duckdb.DuckDBBackend`, :class:`evaluation._spark.SparkBackend`).
    sources:
        One path, directory or glob per model (Parquet, CSV or JSON Lines; for Spark also a DataFrame), each with an
        id, the true value and the prediction; the first is the default baseline.
    names:
        The models' names (default: from the file names).
    options:
        Column names, ``shared_ids_only`` and ``drop_train_rows`` (:class:`LoadOptions`).

    Returns
    -------
    RegressionData or SummedRegressionData
        Up to 100,000 paired examples, the rows the local loader gives; beyond, the engine's sums by resampling
        group. :func:`evaluation.compare_regression` takes either.

    Raises
    ------
    EvaluationError
        A missing file or column, a missing value, a true value or prediction that is not a finite number, a
        repeated id, ids not in every file, true values that differ between files.
    """
    options = options or LoadOptions()
    if len(sources) < 2:
        raise EvaluationError("a comparison needs at least two prediction files: a baseline and a candidate")
    if names is not None and len(names) != len(sources):
        raise EvaluationError(f"{len(names)} model names for {len(sources)} files; expected one name per file")
    files = [_open(backend, source, i, None if names is None else str(names[i]), options.mapping)
             for i, source in enumerate(sources)]
    for f in files:
        if f.columns.label is None:
            raise EvaluationError(f"{f.filename}: no column holds the true values; expected one named label, y_true, "
                                  "target, true or actual (or name it with --label-column)", file=f.filename)
        if f.columns.prediction is None:
            raise EvaluationError(f"{f.filename}: no column holds the predictions; expected one named prediction, pred, "
                                  "y_pred or predicted (or name it with --prediction-column)", file=f.filename)
    model_names = [f.name for f in files]
    if len(set(model_names)) != len(model_names):
        raise EvaluationError(f"two files have the same model name ({', '.join(model_names)}); give distinct names "
                              "(--names)")
    if all(f.kinds.get(str(f.columns.id)) == "integer" for f in files):
        files = [replace(f, integer_ids=True) for f in files]
    warnings: list[list[str]] = [[] for _ in files]
    files = [_held_out(backend, f, options.drop_train_rows, said) for f, said in zip(files, warnings, strict=True)]
    excluded: list[str] = []  # said after the pairing's warnings, as the local loader says it
    files = _without_ids(backend, files, options.exclude_ids, options.shared_ids_only, excluded)
    lengths = [_rows(backend, f).rows for f in files]
    for f in files:
        _check_numbers(backend, f)
    n, pairing = _pair(backend, files, lengths, options.shared_ids_only)
    pairing = [*pairing, *excluded]
    if n <= GROUPED_ABOVE:
        return _fetched(backend, files, warnings, pairing)
    return _summed(backend, files, n, options.shared_ids_only, warnings, pairing)


def load_regression_duckdb(sources: Sequence[str], *, names: Sequence[str] | None = None,
                           options: LoadOptions | None = None,
                           connection: duckdb.DuckDBPyConnection | None = None) -> RegressionData | SummedRegressionData:
    """Read, check and pair regression prediction files with DuckDB (:func:`load_regression_sql`).

    ``connection``: a DuckDB connection (default: :func:`evaluation._duckdb.connect`'s, in memory, spilling to a
    temporary directory). Raises what :func:`load_regression_sql` raises.

    Examples
    --------
    >>> data = load_regression_duckdb(["data/demo/regression_base.csv", "data/demo/regression_finetuned.csv"])
    >>> data.n_examples, data.model_names
    (177, ('regression_base', 'regression_finetuned'))
    """
    from ._duckdb import DuckDBBackend

    return load_regression_sql(DuckDBBackend(connection), sources, names=names, options=options)


def load_regression_spark(sources: Sequence[str | DataFrame], *, names: Sequence[str] | None = None,
                          options: LoadOptions | None = None, session: SparkSession | None = None,
                          master: str | None = None) -> RegressionData | SummedRegressionData:
    """Read, check and pair regression prediction files (or Spark DataFrames) with Spark (:func:`load_regression_sql`).

    ``session``, ``master``: the Spark session to use, or the master to start one on (default: the active session,
    else ``local[2]``). Raises what :func:`load_regression_sql` raises, or :class:`~evaluation.EvaluationError` when
    Spark cannot start.
    """
    from ._spark import SparkBackend

    return load_regression_sql(SparkBackend(session, master=master), sources, names=names, options=options)
