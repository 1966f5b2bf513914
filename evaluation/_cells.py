"""Cell tables: a classification comparison from the counts of (true label, each model's prediction, slices) cells.

Every count metric (accuracy, F1, MCC, ... per class and per slice), McNemar's test, the paired bootstrap and the
permutation test of the local engine read only how many examples fall in each cell: the cell bootstrap draws cell
counts, never rows. So a table of those counts, one ``GROUP BY`` away from the prediction files, gives the same
numbers as the files themselves; log loss and the Brier score need only sums (:mod:`evaluation._cell_losses`).
This module turns such a table into weighted
:class:`~evaluation._data.ClassificationData` (each row a cell, its count as weight) for
:func:`~evaluation.compare`. It is what the DuckDB and Spark engines return, and a format a user can write with
the SQL of their warehouse (``docs/scale.md``):

========================  =====================================================================
column                    holds
========================  =====================================================================
``label``                 the true label
``pred_<model>``          one per model, its predicted label (the first is the default baseline)
``n``                     how many examples have these values
``METRIC__<model>``       optional (``log_loss``, ``brier_score``): the model's losses, summed
``METRIC_sq__<model>``    with it: their squares, summed
``METRIC_x__<a>__<b>``    with two models' sums: their losses multiplied example by example, summed
any other column          a slice column (a metadata value, or a bin of a numeric one)
========================  =====================================================================

Labels are read like the files' (:func:`~evaluation._columns.normalize_label`), so ``1``, ``1.0`` and ``"1"``
are one class. The cells need not be distinct: equal cells are added up.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ._cell_losses import LOSSES, LossSums
from ._columns import normalize_label, sort_labels
from ._data import ClassificationData, ColumnMapping, LoadOptions, ModelData
from ._errors import EvaluationError, format_examples, format_names, quote
from ._loading import _in_order, _positive_label
from ._slices import MISSING, SliceColumn, categorical_column

__all__ = ["CELL_COUNT", "CELL_LABEL", "CELL_PREDICTION_PREFIX", "LOSS_PRODUCT", "LOSS_SQUARE", "LOSS_SUM",
           "BinnedSlice", "cells_data", "read_cell_table"]

CELL_LABEL = "label"
CELL_COUNT = "n"
CELL_PREDICTION_PREFIX = "pred_"
LOSS_SUM = "{metric}__{model}"
"""Optional: a model's per-example losses summed over the cell (``log_loss__base``, ``brier_score__base``)."""
LOSS_SQUARE = "{metric}_sq__{model}"
"""With :data:`LOSS_SUM`: the losses' squares summed."""
LOSS_PRODUCT = "{metric}_x__{first}__{second}"
"""With two models' sums: their losses multiplied example by example, summed (the pair in the table's order)."""


@dataclass(frozen=True)
class BinnedSlice:
    """A slice column cut into ordered bins before counting (a numeric column's quantile bins).

    ``values`` are the bins' names in order; the cell table's column holds one of them (or ``None``: missing).
    """

    values: tuple[str, ...]


def _model_columns(names: Sequence[str], filename: str) -> list[str]:
    """The prediction columns of a cell table, in order."""
    found = [name for name in names if name.startswith(CELL_PREDICTION_PREFIX) and len(name) > len(CELL_PREDICTION_PREFIX)]
    missing = [name for name in (CELL_LABEL, CELL_COUNT) if name not in names]
    if missing or len(found) < 2:
        what = (f"no column {format_names(missing)}" if missing else
                f"{len(found)} prediction column{'s' if len(found) != 1 else ''} ({format_names(found)})")
        raise EvaluationError(f"{filename}: a cell table needs the columns {quote(CELL_LABEL)}, {quote(CELL_COUNT)} and "
                              f"one {quote(CELL_PREDICTION_PREFIX + '<model>')} column per model, at least two; found "
                              f"{what}; the columns are {format_names(list(names), limit=20)}", file=filename)
    return found


def _counts(frame: pd.DataFrame, filename: str) -> np.ndarray:
    """The ``n`` column as non-negative whole numbers."""
    values = pd.to_numeric(frame[CELL_COUNT], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values != np.round(values)))
    if bad.shape[0]:
        rows = ", ".join(str(i + 1) for i in bad[:5])
        raise EvaluationError(f"{filename}: column {quote(CELL_COUNT)} must hold whole numbers of examples, 0 or more; "
                              f"{bad.shape[0]:,} row{'s' if bad.shape[0] != 1 else ''} do not (rows {rows}; row 1 is "
                              f"the first data row): {format_examples([str(v) for v in frame[CELL_COUNT].iloc[bad[:5]]])}",
                              file=filename, column=CELL_COUNT)
    return values.astype(np.int64)


def _labels(frame: pd.DataFrame, column: str, filename: str) -> np.ndarray:
    """A label column as normalised strings; a missing label is refused."""
    values = frame[column]
    missing = np.flatnonzero(values.isna().to_numpy())
    if missing.shape[0]:
        rows = ", ".join(str(i + 1) for i in missing[:5])
        raise EvaluationError(f"{filename}: column {quote(column)} is empty in {missing.shape[0]:,} row"
                              f"{'s' if missing.shape[0] != 1 else ''} (rows {rows}; row 1 is the first data row); "
                              "expected a label in every cell", file=filename, column=column)
    return np.array([normalize_label(value) for value in values.tolist()], dtype=object)


def _sums(frame: pd.DataFrame, column: str, filename: str) -> np.ndarray:
    """A loss column's per-cell sums: finite and not negative (a product of two losses, like a loss, is not)."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.shape[0]:
        rows = ", ".join(str(i + 1) for i in bad[:5])
        raise EvaluationError(f"{filename}: column {quote(column)} must hold a sum of losses, a number 0 or more, in "
                              f"every row; {bad.shape[0]:,} rows do not (rows {rows}; row 1 is the first data row)",
                              file=filename, column=column)
    return values


def _losses(frame: pd.DataFrame, suffixes: Sequence[str], names: Sequence[str],
            filename: str) -> tuple[LossSums | None, list[str]]:
    """The cells' summed losses (:data:`LOSS_COLUMNS`' columns), keyed by the models' names; the columns read."""
    sums: dict[tuple[str, str], np.ndarray] = {}
    squares: dict[tuple[str, str], np.ndarray] = {}
    products: dict[tuple[str, str, str], np.ndarray] = {}
    read: list[str] = []
    for metric in LOSSES:
        carried = [(suffix, name) for suffix, name in zip(suffixes, names, strict=True)
                   if LOSS_SUM.format(metric=metric, model=suffix) in frame]
        for suffix, name in carried:
            for column, into in ((LOSS_SUM.format(metric=metric, model=suffix), sums),
                                 (LOSS_SQUARE.format(metric=metric, model=suffix), squares)):
                if column not in frame:
                    raise EvaluationError(f"{filename}: column {quote(LOSS_SUM.format(metric=metric, model=suffix))} "
                                          f"needs {quote(column)} beside it; expected the sum of the losses' squares "
                                          "too", file=filename, column=column)
                into[metric, name] = _sums(frame, column, filename)
                read.append(column)
        for (a, first), (b, second) in itertools.combinations(carried, 2):
            column = LOSS_PRODUCT.format(metric=metric, first=a, second=b)
            if column not in frame:
                raise EvaluationError(f"{filename}: the models {quote(first)} and {quote(second)} both carry "
                                      f"{metric} sums, so the paired test needs {quote(column)}, the sum of their "
                                      "losses multiplied example by example", file=filename, column=column)
            products[metric, first, second] = products[metric, second, first] = _sums(frame, column, filename)
            read.append(column)
    return (LossSums(sums, squares, products) if sums else None), read


def _slice(values: pd.Series, counts: np.ndarray, spec: BinnedSlice | None) -> SliceColumn:
    """A slice column of the cells: ordered bins, or categories by decreasing count (as the local engine cuts them)."""
    missing = values.isna().to_numpy()
    text = np.array(["" if m else str(v) for v, m in zip(values.tolist(), missing, strict=True)], dtype=object)
    if spec is not None:
        index = {name: i for i, name in enumerate(spec.values)}
        names = spec.values + ((MISSING,) if missing.any() else ())
        codes = np.array([len(spec.values) if m else index[t] for t, m in zip(text, missing, strict=True)],
                         dtype=np.int64)
        return SliceColumn(codes, names)
    uniques, codes = np.unique(text[~missing], return_inverse=True)
    all_codes = np.full(text.shape[0], -1, dtype=np.int64)
    all_codes[~missing] = codes
    return categorical_column(all_codes, pd.Index(uniques), weights=counts)


def cells_data(table: pa.Table, *, filename: str = "cell table", names: Sequence[str] | None = None,
               options: LoadOptions | None = None, binned: Mapping[str, BinnedSlice] | None = None,
               sources: Sequence[str] | None = None, warnings: Sequence[str] = ()) -> ClassificationData:
    """Weighted classification data from a cell table (see the module docstring).

    Parameters
    ----------
    table:
        The cells: ``label``, ``pred_<model>`` per model, ``n``, slice columns.
    filename:
        The table's name in messages.
    names:
        The models' names (default: each prediction column's name after ``pred_``).
    options:
        The label set, class order and positive label (:class:`LoadOptions`; its column mapping does not apply).
    binned:
        Slice columns cut into ordered bins already (the engines' numeric columns); every other one is categorical.
    sources:
        Each model's source in the report (default: ``filename``).
    warnings:
        Warnings to carry (the engines' checks).

    Raises
    ------
    EvaluationError
        A missing column, a missing label, a count that is not a whole number, labels outside the declared set, or
        fewer than two classes.

    Examples
    --------
    >>> cells = pa.table({"label": ["a", "a", "b"], "pred_base": ["a", "b", "b"], "pred_tuned": ["a", "a", "b"],
    ...                   "n": [40, 10, 50]})
    >>> data = cells_data(cells)
    >>> data.n_examples, data.model_names, data.classes
    (100, ('base', 'tuned'), ('a', 'b'))
    """
    options = options or LoadOptions()
    model_columns = _model_columns(table.column_names, filename)
    frame = table.to_pandas()
    counts = _counts(frame, filename)
    keep = counts > 0
    frame, counts = frame.loc[keep].reset_index(drop=True), counts[keep]
    if counts.shape[0] == 0:
        raise EvaluationError(f"{filename}: the cells hold no example (every {quote(CELL_COUNT)} is 0 or the table is "
                              "empty); expected at least one", file=filename, column=CELL_COUNT)
    true = _labels(frame, CELL_LABEL, filename)
    predicted = [_labels(frame, column, filename) for column in model_columns]
    seen = set(true.tolist()).union(*(set(p.tolist()) for p in predicted))
    if options.labels is not None:
        declared = tuple(normalize_label(label) for label in options.labels)
        for column, values in zip((CELL_LABEL, *model_columns), (true, *predicted), strict=True):
            unknown = sorted(set(values.tolist()) - set(declared))
            if unknown:
                raise EvaluationError(f"{filename}: column {quote(column)} holds labels that are not among the declared "
                                      f"labels ({format_names(declared, limit=20)}): {format_examples(unknown)}",
                                      file=filename, column=column)
        classes = declared
    else:
        classes = sort_labels(seen)
    if len(classes) < 2:
        raise EvaluationError(f"{filename}: only one class ({format_examples(list(classes))}) appears in the labels and "
                              "predictions; expected at least two classes", file=filename)
    carried = list(warnings)
    positive = _positive_label(classes, None if options.positive_label is None else normalize_label(options.positive_label),
                               carried)
    classes = _in_order(classes, options.class_order)
    index = {label: i for i, label in enumerate(classes)}
    model_names = list(names) if names is not None else [c[len(CELL_PREDICTION_PREFIX):] for c in model_columns]
    if len(model_names) != len(model_columns):
        raise EvaluationError(f"{len(model_names)} model names were given for the {len(model_columns)} prediction "
                              f"columns of {filename}; expected one name per column", file=filename)
    shown = list(sources) if sources is not None else [filename] * len(model_columns)
    models = tuple(ModelData(name=name, source=source, y_pred=np.array([index[v] for v in values], dtype=np.int64),
                             y_score=None, columns=ColumnMapping(label=CELL_LABEL, prediction=column))
                   for name, source, column, values in zip(model_names, shown, model_columns, predicted, strict=True))
    suffixes = [c[len(CELL_PREDICTION_PREFIX):] for c in model_columns]
    losses, loss_columns = _losses(frame, suffixes, model_names, filename)
    slice_names = [c for c in frame.columns if c not in (CELL_LABEL, CELL_COUNT, *model_columns, *loss_columns)]
    slices = {str(c): _slice(frame[c], counts, (binned or {}).get(str(c))) for c in slice_names}
    return ClassificationData(
        task="binary" if len(classes) == 2 else "multiclass", classes=classes, positive_label=positive,
        ids=np.full(counts.shape[0], "", dtype=object), y_true=np.array([index[v] for v in true], dtype=np.int64), models=models,
        metadata=pd.DataFrame(index=pd.RangeIndex(counts.shape[0])), warnings=tuple(carried), weights=counts,
        slices=slices, losses=losses)


def read_cell_table(source: str, *, names: Sequence[str] | None = None,
                    options: LoadOptions | None = None) -> ClassificationData:
    """Read a cell table file (CSV, Parquet or JSON Lines, as prediction files are read) into weighted data.

    Raises
    ------
    EvaluationError
        What :func:`evaluation._io.read_table` and :func:`cells_data` refuse.
    """
    from ._io import read_table, source_name  # here: reading needs the readers, the conversion does not

    options = options or LoadOptions()
    filename = source_name(source)
    table = read_table(source, filename=filename, text_columns=lambda header: [c for c in header if c != CELL_COUNT],
                       limits=options.limits)
    return cells_data(table, filename=filename, names=names, options=options)
