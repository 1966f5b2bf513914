"""Reading a production log for monitoring: timestamps, one or two models' outputs, labels as they arrive, metadata.

:func:`read_monitor` reads the test files (the reference, as ``compare`` reads them) and one
production file per model, checks them once and returns trusted :class:`MonitorData`; everything
in :mod:`evaluation._monitor` assumes it. A production row's label may be missing: its label has not
arrived yet. Regression files (detected by :func:`monitor_task`) are read by
:mod:`evaluation._monitor_regression_data` (see ``docs/monitor.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._columns import ALIASES, detect_columns, label_or_none, normalize_label, sort_labels
from ._data import ClassificationData, ColumnMapping, LoadOptions
from ._errors import EvaluationError, format_examples, format_names, quote
from ._io import Source, model_name, read_table, source_name
from ._shift import MAX_CATEGORY_VALUES, ShiftColumn
from ._values import id_text, label_codes, number_values, probability_matrix, rows_text, timestamp_array

if TYPE_CHECKING:
    import pandas as pd

    from ._monitor_regression_data import RegressionMonitorData

__all__ = ["MonitorData", "MonitorModel", "monitor_task", "production_tables", "read_monitor", "shared_metadata"]

_MISSING = "(missing)"


@dataclass(frozen=True)
class MonitorModel:
    """One model's outputs on the production rows, trusted.

    Attributes
    ----------
    name, file:
        The model's name and its production file.
    y_pred:
        ``(n,)`` predicted class codes into :attr:`MonitorData.classes`.
    y_score:
        ``(n, k)`` class probabilities in the classes' order, or ``None`` without probabilities.
    """

    name: str
    file: str
    y_pred: np.ndarray
    y_score: np.ndarray | None


@dataclass(frozen=True)
class MonitorData:
    """A production log and its reference (the test set), read and checked.

    Attributes
    ----------
    production_files, reference_files:
        The files, one per model, in the models' order (the first model is the baseline).
    classes, positive_label:
        The test set's classes and, for two classes, the positive one.
    timestamps:
        ``(n,)`` int64 microseconds since 1970-01-01 (UTC when the file's times carry a zone).
    timezone:
        ``"UTC"`` when the file's times carried a zone (converted to UTC), else ``None`` (local times as written).
    y_true:
        ``(n,)`` true class codes; ``-1`` where the label has not arrived.
    models:
        Each model's production outputs.
    reference:
        The test set, as :func:`~evaluation.load_classification` read it (the same models' order).
    columns:
        The metadata columns both the test set and production have, as :class:`~evaluation._shift.ShiftColumn`
        (``test``: the test set's values; ``production``: every production row's).
    warnings:
        What was left out, and why.
    """

    production_files: tuple[str, ...]
    reference_files: tuple[str, ...]
    classes: tuple[str, ...]
    positive_label: str | None
    timestamps: np.ndarray
    timezone: str | None
    y_true: np.ndarray
    models: tuple[MonitorModel, ...]
    reference: ClassificationData
    columns: tuple[ShiftColumn, ...]
    warnings: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        """Production rows."""
        return int(self.timestamps.shape[0])

    @property
    def model_names(self) -> tuple[str, ...]:
        """The models' names, baseline first."""
        return tuple(m.name for m in self.models)


def _production_columns(names: Sequence[str], mapping: ColumnMapping, filename: str) -> ColumnMapping:
    """A production file's columns, detected as :func:`~evaluation._columns.detect_columns` does, the label optional."""
    label = mapping.label if mapping.label in names else next(
        (c for alias in ALIASES["label"] for c in names if c.strip().lower() == alias), None)
    placeholder = "\x00no label"
    found = detect_columns([*names, *([] if label else [placeholder])], replace(mapping, label=label or placeholder),
                           filename=filename)
    return replace(found, label=label)


def _microseconds(table: pa.Table, column: str, filename: str) -> tuple[np.ndarray, str | None]:
    """The timestamp column as int64 microseconds since the epoch; refuses missing and unreadable times."""
    numbers = np.arange(1, table.num_rows + 1)
    raw = table.column(column)
    if pa.types.is_dictionary(raw.type):
        raw = raw.cast(raw.type.value_type)
    parsed: pa.Array | pa.ChunkedArray | None = None
    if pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type):
        try:  # Arrow's ISO-8601 parser: fast; anything else goes through pandas (with the message naming the rows)
            parsed = pc.cast(raw, pa.timestamp("us"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = None
    if parsed is None:
        parsed = timestamp_array(raw, numbers, filename, column)
    if not pa.types.is_timestamp(parsed.type):
        raise EvaluationError(f"{filename}: timestamp column {quote(column)} holds numbers that are not Unix times (below "
                              "1e8 seconds); expected dates and times such as 2024-05-31T14:05:00 or Unix seconds",
                              file=filename, column=column)
    if parsed.null_count:
        missing = np.asarray(pc.is_null(parsed)).astype(bool) if isinstance(parsed, pa.Array) else \
            pc.is_null(parsed).to_numpy(zero_copy_only=False)
        raise EvaluationError(f"{filename}: timestamp column {quote(column)} has missing values in "
                              f"{rows_text(numbers[missing])}; expected a date and time on every row (each row belongs "
                              "to a window by its time)", file=filename, column=column)
    zone = parsed.type.tz
    values = pc.cast(parsed, pa.timestamp("us", tz=zone)).cast(pa.int64())
    out = values.to_numpy(zero_copy_only=False) if isinstance(values, pa.ChunkedArray) else values.to_numpy()
    return np.asarray(out, dtype=np.int64), ("UTC" if zone else None)


def _codes_onto(array: pa.ChunkedArray, classes: tuple[str, ...], filename: str, column: str, what: str,
                *, missing_allowed: bool) -> np.ndarray:
    """Class codes of a label or prediction column on the test set's classes (``-1`` where missing, when allowed)."""
    numbers = np.arange(1, len(array) + 1)
    try:
        codes, labels = label_codes(array)
    except (pa.ArrowException, TypeError):
        raise EvaluationError(f"{filename}: column {quote(column)} cannot be read as labels; expected {what}",
                              file=filename, column=column) from None
    unknown = [label for label in labels if label not in classes]
    if unknown:
        index = {label: i for i, label in enumerate(labels)}
        bad = np.isin(codes, [index[u] for u in unknown])
        raise EvaluationError(f"{filename}: column {quote(column)} holds classes the test set does not have "
                              f"({format_examples(unknown)}) in {rows_text(numbers[bad])}; expected one of "
                              f"{format_names(classes, limit=20)}", file=filename, column=column)
    if not missing_allowed and (codes < 0).any():
        raise EvaluationError(f"{filename}: column {quote(column)} has missing values in {rows_text(numbers[codes < 0])}; "
                              f"expected {what} on every row", file=filename, column=column)
    remap = np.array([classes.index(label) for label in labels] + [-1], dtype=np.int64)
    return remap[codes]  # a missing value (-1) picks the appended -1


def _outputs(table: pa.Table, columns: ColumnMapping, filename: str, classes: tuple[str, ...], positive: str | None,
             options: LoadOptions) -> tuple[np.ndarray, np.ndarray | None]:
    """A production file's predicted codes and class probabilities (in the classes' order), checked."""
    numbers = np.arange(1, table.num_rows + 1)
    y_score: np.ndarray | None = None
    if columns.probabilities:
        found = {normalize_label(c): name for c, name in columns.probabilities.items()}
        missing = [c for c in classes if c not in found]
        extra = [c for c in found if c not in classes]
        if missing or extra:
            problem = (f"no probability column for the classes {format_examples(missing)}" if missing
                       else f"probability columns for classes the test set does not have ({format_examples(extra)})")
            raise EvaluationError(f"{filename}: {problem}; expected one probability column per class of the test set "
                                  f"({format_names(classes)})", file=filename)
        y_score = probability_matrix(table, [found[c] for c in classes], numbers, filename,
                                     options.probability_tolerance)
    elif columns.score:
        if positive is None:
            raise EvaluationError(f"{filename}: a single score column ({quote(columns.score)}) only describes two classes, "
                                  f"but the test set has {len(classes)}; expected one probability column per class",
                                  file=filename, column=columns.score)
        score = probability_matrix(table, [columns.score], numbers, filename, options.probability_tolerance)[:, 0]
        y_score = np.column_stack([1.0 - score, score] if classes.index(positive) == 1 else [score, 1.0 - score])
    if columns.prediction:
        y_pred = _codes_onto(table.column(columns.prediction), classes, filename, columns.prediction,
                             "a predicted class", missing_allowed=False)
    elif y_score is not None:
        if positive is not None:
            index = classes.index(positive)
            y_pred = np.where(y_score[:, index] >= options.threshold, index, 1 - index).astype(np.int64)
        else:
            y_pred = np.argmax(y_score, axis=1).astype(np.int64)
    else:
        raise EvaluationError(
            f"{filename}: expected the model's outputs on production rows: a prediction column (one of "
            f"{', '.join(ALIASES['prediction'])}), per-class probability columns (prob_<class>) or, for two classes, a "
            f"score column; the columns found are: {format_examples(table.column_names, limit=20)}", file=filename)
    return y_pred, y_score


def _categories(values: Sequence[object]) -> list[str]:
    """Each value's category text (``(missing)`` when missing)."""
    return [label_or_none(v) or _MISSING for v in values]


def _metadata_column(name: str, reference: pa.ChunkedArray, production: pa.ChunkedArray, filename: str) -> ShiftColumn:
    """One metadata column of both samples: numeric as the shift command decides, else categorical (vectorised)."""
    test_numbers, test_bad = number_values(reference)
    finite = test_numbers[np.isfinite(test_numbers)]
    if not test_bad.any() and np.unique(finite).size > MAX_CATEGORY_VALUES:
        values, bad = number_values(production)
        if bad.any():
            raise EvaluationError(f"{filename}: column {quote(name)} holds numbers in the test set but text that is not a "
                                  f"number in {rows_text(np.flatnonzero(bad) + 1)}; expected numbers in both",
                                  file=filename, column=name)
        return ShiftColumn(name, "numeric", "metadata", test_numbers, values)
    test_text = _categories(reference.to_pylist())
    raw = production.cast(production.type.value_type) if pa.types.is_dictionary(production.type) else production
    encoded = pc.dictionary_encode(raw.combine_chunks())
    dictionary = _categories(encoded.dictionary.to_pylist())
    categories = sort_labels({*test_text, *dictionary, *([_MISSING] if encoded.null_count else [])})
    index = {c: i for i, c in enumerate(categories)}
    remap = np.array([index[c] for c in dictionary] + [index.get(_MISSING, 0)], dtype=np.int64)
    codes = remap[pc.fill_null(encoded.indices, len(dictionary)).to_numpy(zero_copy_only=False)]
    return ShiftColumn(name, "categorical", "metadata", np.array([index[v] for v in test_text], dtype=np.int64),
                       codes.astype(np.int64), categories)


def _pair(tables: list[pa.Table], found: list[ColumnMapping], files: tuple[str, ...]) -> list[np.ndarray | None]:
    """Each file's row order onto the first file's rows: by id when every file has one, else by row order."""
    if len(tables) == 1:
        return [None]
    if not all(c.id for c in found):
        if len({t.num_rows for t in tables}) != 1:
            raise EvaluationError(f"{files[1]}: {tables[1].num_rows:,} rows, but {files[0]} has {tables[0].num_rows:,}; "
                                  "without an id column in both files the rows are paired by their order, so expected "
                                  "the same number of rows (or add an id column to both)", file=files[1])
        return [None, None]
    import pandas as pd

    ids = [id_text(t.column(str(c.id))).to_pandas() for t, c in zip(tables, found, strict=True)]
    for f, i, c in zip(files, ids, found, strict=True):
        if i.isna().any() or i.duplicated().any():
            bad = np.flatnonzero((i.isna() | i.duplicated(keep=False)).to_numpy()) + 1
            raise EvaluationError(f"{f}: column {quote(str(c.id))} has missing or repeated ids in {rows_text(bad)}; "
                                  "expected one row per id, to pair the models' rows", file=f, column=str(c.id))
    position = pd.Index(ids[1]).get_indexer(ids[0])
    if (position < 0).any() or len(ids[1]) != len(ids[0]):
        lacking = ids[0][position < 0].tolist()
        extra = ids[1][~ids[1].isin(ids[0])].tolist()
        detail = (f"{len(lacking):,} ids of {files[0]} are not in it ({format_examples(lacking)})" if lacking
                  else f"it has {len(extra):,} ids that {files[0]} lacks ({format_examples(extra)})")
        raise EvaluationError(f"{files[1]}: {detail}; expected the same production rows (ids) in every model's file "
                              "(shadow mode scores the same traffic)", file=files[1])
    return [None, position]


def read_monitor(production: Sequence[Source], reference: Sequence[Source], *, names: Sequence[str] | None = None,
                 options: LoadOptions | None = None, task: str | None = None) -> MonitorData | RegressionMonitorData:
    """Read and check production logs and their test sets for :func:`~evaluation._monitor.analyze_monitor`.

    The task is detected from the first test file (:func:`monitor_task`), or given as ``task``:
    for regression the result is a :class:`~evaluation._monitor_regression_data.RegressionMonitorData`.

    Parameters
    ----------
    production:
        One production file per model (two: shadow mode, the second a candidate scoring the same
        traffic), each with a timestamp column, the model's predictions and/or probabilities, a
        label column where labels have arrived (a missing label: not yet), metadata, and ids to pair
        two files (else they are paired by row order). Time, labels and metadata come from the first.
    reference:
        The test set's prediction file for each model, in the same order (read as ``compare`` reads them).
    names:
        The models' names; default the test files' names.
    options:
        Columns, positive label, threshold, tolerance and limits, as :class:`~evaluation.LoadOptions`.
    task:
        ``"classification"`` or ``"regression"``; ``None`` (the default) detects it.

    Returns
    -------
    MonitorData or RegressionMonitorData

    Raises
    ------
    EvaluationError
        No reference file, a count of files that does not match, a missing or unreadable timestamp,
        probabilities that do not sum to 1, classes the test set lacks, ... (the message names the
        file, the column and the rows).

    Examples
    --------
    >>> test = ("test.csv", b"label,prediction\\na,a\\nb,b\\na,b\\n")
    >>> log = ("log.csv", b"timestamp,label,prediction\\n2026-01-05,a,a\\n2026-01-06,,b\\n")
    >>> data = read_monitor([log], [test])
    >>> data.model_names, data.y_true.tolist(), data.n
    (('test',), [0, -1], 2)
    """
    from ._loading import load_classification

    options = options or LoadOptions()
    production, reference = list(production), list(reference)
    if not reference:
        raise EvaluationError("no reference file: monitoring compares production with the test set; give the test set's "
                              "prediction file with --reference TEST_FILE (one per production file)")
    if not production:
        raise EvaluationError("no production file: give the production log (one file per model, two for shadow mode)")
    if len(production) > 2:
        raise EvaluationError(f"{len(production)} production files were given; expected one (a model) or two (shadow "
                              "mode: the baseline and a candidate scoring the same traffic)")
    if len(reference) != len(production):
        raise EvaluationError(f"{len(reference)} reference files for {len(production)} production files; expected one test "
                              "file per production file, in the same order (the same model in each pair)")
    names = list(names) if names else [model_name(source_name(s)) for s in reference]
    # The production log's own columns (its timestamp, its metadata list) need not be in the test files.
    reference_mapping = replace(options.mapping, timestamp=None, metadata=None)
    reference_options = replace(options, mapping=reference_mapping, shared_ids_only=False)
    chosen = task or monitor_task(reference, mapping=reference_mapping)
    if chosen == "regression":
        from ._monitor_regression_data import read_monitor_regression

        return read_monitor_regression(production, reference, names=names, options=options,
                                       reference_options=reference_options)
    if task is not None and task != "classification":
        raise EvaluationError(f"monitoring takes a classification or a regression task, not {task!r}")
    test = load_classification(reference, names=names, options=reference_options)
    classes, positive = test.classes, test.positive_label
    files, tables, found = production_tables(production, options)
    first, columns = tables[0], found[0]
    timestamps, zone = _microseconds(first, str(columns.timestamp), files[0])
    takes = _pair(tables, found, files)
    warnings = list(test.warnings)
    y_true = (_codes_onto(first.column(columns.label), classes, files[0], columns.label, "a true class",
                          missing_allowed=True) if columns.label else np.full(first.num_rows, -1, dtype=np.int64))
    if not columns.label:
        warnings.append(f"{files[0]}: no label column, so no label has arrived: only label-free estimates and drift")
    models = []
    for i, (table, c, take, filename) in enumerate(zip(tables, found, takes, files, strict=True)):
        y_pred, y_score = _outputs(table, c, filename, classes, positive, options)
        if take is not None:
            y_pred = y_pred[take]
            y_score = None if y_score is None else y_score[take]
        if i and c.label:
            other = _codes_onto(table.column(c.label), classes, filename, c.label, "a true class", missing_allowed=True)
            other = other if take is None else other[take]
            differ = (other >= 0) & (y_true >= 0) & (other != y_true)
            if differ.any():
                rows = rows_text(np.flatnonzero(differ) + 1)
                raise EvaluationError(f"{filename}: the label differs from {files[0]}'s on {rows} (rows of {files[0]}); "
                                      "expected the same labels for the same production rows",
                                      file=filename, column=c.label)
        models.append(MonitorModel(test.models[i].name, filename, y_pred, y_score))
    metadata = shared_metadata(test.metadata, test.models[0].columns.timestamp, columns, first, files[0], warnings)
    return MonitorData(files, tuple(source_name(s) for s in reference), classes, positive, timestamps, zone, y_true,
                       tuple(models), test, tuple(metadata), tuple(warnings))


def monitor_task(reference: Sequence[Source], *, mapping: ColumnMapping | None = None) -> str:
    """``"regression"`` or ``"classification"``, from the first test file.

    As ``compare`` detects it (:func:`~evaluation._tasks.detect_task`): regression when the true values are
    numbers, not all whole, or the first predictions are (no classifier predicts the class 98.68: the diabetes
    demo's whole-number targets).

    Examples
    --------
    >>> monitor_task([("t.csv", b"label,prediction\\n75,98.68\\n135,133.68\\n")])
    'regression'
    >>> monitor_task([("t.csv", b"label,prediction\\n1,1\\n2,1\\n")])
    'classification'
    """
    from ._tasks import detect_task

    return "regression" if detect_task(reference[:1], mapping=mapping) == "regression" else "classification"


def production_tables(production: Sequence[Source],
                      options: LoadOptions) -> tuple[tuple[str, ...], list[pa.Table], list[ColumnMapping]]:
    """Each production file's name, table and columns; refuses a first file without a timestamp column."""
    files = tuple(source_name(s) for s in production)
    mapping = options.mapping
    tables, found = [], []
    for source, filename in zip(production, files, strict=True):
        def text_columns(header: list[str], filename: str = filename) -> list[str]:
            c = _production_columns(header, mapping, filename)
            return [x for x in (c.id, c.label, c.prediction) if x]

        table = read_table(source, filename=filename, text_columns=text_columns, limits=options.limits)
        tables.append(table)
        found.append(_production_columns(table.column_names, mapping, filename))
    first, columns = tables[0], found[0]
    if not columns.timestamp:
        raise EvaluationError(f"{files[0]}: no timestamp column; expected a column named one of "
                              f"{', '.join(ALIASES['timestamp'])} (or --timestamp-column) giving each row's time, which "
                              f"puts it in a window; the columns found are: {format_examples(first.column_names, limit=20)}",
                              file=files[0])
    return files, tables, found


def shared_metadata(test_metadata: pd.DataFrame, test_timestamp: str | None, columns: ColumnMapping, first: pa.Table,
                    filename: str, warnings: list[str]) -> list[ShiftColumn]:
    """The metadata columns both the test set and the first production file have (a warning names the others)."""
    skip = {x for x in (columns.timestamp, test_timestamp) if x}
    production_names = [x for x in columns.metadata or () if x not in skip]
    shared = [x for x in test_metadata.columns if x in production_names and x not in skip]
    only = [x for x in production_names if x not in shared]
    if only:
        warnings.append(f"{format_names(only)} {'is' if len(only) == 1 else 'are'} only in {filename}: no drift measured")
    return [_metadata_column(x, pa.chunked_array([pa.array(test_metadata[x].to_numpy(dtype=object), from_pandas=True)]),
                             first.column(x), filename) for x in shared]
