"""Reading the two files of ``python -m evaluation shift``: a test file (a prediction file, as ``compare`` reads it)
and a production file (the same model's predictions and/or probabilities and the metadata, no labels needed),
checked once into trusted :class:`ShiftData` (:func:`read_shift`). The statistics are in :mod:`evaluation._shift`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from ._columns import ALIASES, detect_columns, label_or_none, normalize_label, sort_labels
from ._data import ColumnMapping, LoadOptions
from ._errors import EvaluationError, format_examples, format_names, quote
from ._io import Source, read_table, source_name
from ._limits import Limits
from ._values import number_values, probability_matrix, read_labels, rows_text

__all__ = ["MAX_CATEGORY_VALUES", "MAX_GRID", "ShiftColumn", "ShiftData", "read_shift"]

MAX_CATEGORY_VALUES = 5
"""A numeric column with at most this many distinct values in the test set is treated as categorical."""
MAX_GRID = 1024
"""Numeric columns with more distinct values are resampled on this many pooled-quantile bins (see :func:`numeric_drift`)."""
_MISSING = "(missing)"


# --- data -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShiftColumn:
    """One column's values in the test set and in production, trusted.

    Attributes
    ----------
    name, kind, role:
        The column, ``"categorical"`` or ``"numeric"``, and ``"metadata"``, ``"prediction"`` or ``"confidence"``.
    test, production:
        Categorical: integer codes into ``categories`` (a missing value is the category ``(missing)``);
        numeric: float64, NaN where missing.
    categories:
        Categorical: the categories, sorted; numeric: empty.
    """

    name: str
    kind: str
    role: str
    test: np.ndarray
    production: np.ndarray
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShiftData:
    """A test file and a production file, read and checked.

    Attributes
    ----------
    test_file, production_file:
        The files.
    task:
        ``"classification"`` or ``"regression"``.
    columns:
        Every column found in both files, metadata first, then the prediction and the confidence.
    y_true, y_pred:
        The test set's true values and predictions (class codes into ``classes``, or numbers).
    classes:
        Classification: the classes; regression: empty.
    warnings:
        What was left out, and why.
    """

    test_file: str
    production_file: str
    task: str
    columns: tuple[ShiftColumn, ...]
    y_true: np.ndarray
    y_pred: np.ndarray
    classes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def n_test(self) -> int:
        """Rows of the test set."""
        return int(self.y_true.shape[0])

    @property
    def n_production(self) -> int:
        """Rows of production."""
        return int(self.columns[0].production.shape[0]) if self.columns else 0

    def column(self, name: str) -> ShiftColumn:
        """The column named ``name``."""
        return next(c for c in self.columns if c.name == name)


# --- reading ----------------------------------------------------------------------------------------

def _production_columns(names: Sequence[str], mapping: ColumnMapping, filename: str) -> ColumnMapping:
    """The production file's columns: as :func:`detect_columns`, but a label column is optional."""
    label = mapping.label if mapping.label in names else next(
        (c for alias in ALIASES["label"] for c in names if c.strip().lower() == alias), None)
    placeholder = "\x00no label"
    columns = detect_columns([*names, *([] if label else [placeholder])], replace(mapping, label=label or placeholder),
                             filename=filename)
    return replace(columns, label=label)


def _is_numeric(values: np.ndarray) -> bool:
    """More than :data:`MAX_CATEGORY_VALUES` distinct finite numbers."""
    return bool(np.unique(values[np.isfinite(values)]).size > MAX_CATEGORY_VALUES)


def _category_text(values: Sequence[object]) -> list[str]:
    """Each value's category: its normalized label, ``(missing)`` when missing."""
    cache: dict[object, str] = {}
    out = []
    for value in values:
        try:
            text = cache[value]
        except (KeyError, TypeError):
            text = label_or_none(value) or _MISSING
            with contextlib.suppress(TypeError):  # an unhashable value is not cached
                cache[value] = text
        out.append(text)
    return out


def _categorical(name: str, role: str, test: Sequence[str], production: Sequence[str]) -> ShiftColumn:
    """A categorical column from the two samples' category text."""
    categories = sort_labels({*test, *production})
    index = {c: i for i, c in enumerate(categories)}
    return ShiftColumn(name, "categorical", role, np.array([index[v] for v in test], dtype=np.int64),
                       np.array([index[v] for v in production], dtype=np.int64), categories)


def _column(name: str, role: str, test: pa.ChunkedArray, production: pa.ChunkedArray, files: tuple[str, str],
            *, numeric_allowed: bool = True) -> ShiftColumn:
    """One column of both files, numeric when both are numbers with enough distinct values, else categorical."""
    test_numbers, test_bad = number_values(test)
    production_numbers, production_bad = number_values(production)
    if numeric_allowed and not test_bad.any() and _is_numeric(test_numbers):
        if production_bad.any():
            raise EvaluationError(
                f"{files[1]}: column {quote(name)} holds numbers in {files[0]} but text that is not a number in "
                f"{rows_text(np.flatnonzero(production_bad) + 1)}: "
                f"{format_examples(production.take(pa.array(np.flatnonzero(production_bad)[:5])).to_pylist())}; "
                "expected numbers in both files", file=files[1], column=name)
        return ShiftColumn(name, "numeric", role, test_numbers, production_numbers)
    return _categorical(name, role, _category_text(test.to_pylist()), _category_text(production.to_pylist()))


@dataclass(frozen=True)
class _Model:
    """What one file says about the model: predicted labels or numbers, and the probability of each class."""

    prediction: pa.ChunkedArray | None
    probabilities: np.ndarray | None  # (n, k) in the order of ``classes``
    classes: tuple[str, ...]


def _production_model(table: pa.Table, columns: ColumnMapping, filename: str, task: str, limits: Limits,
                      tolerance: float) -> _Model:
    """The production file's predictions and probabilities, checked."""
    numbers = np.arange(1, table.num_rows + 1)
    prediction = None
    if columns.prediction:
        if task == "classification":
            codes, labels = read_labels(table, columns.prediction, numbers, filename, "a predicted label", limits)
            prediction = pa.chunked_array([pa.array(np.asarray(labels, dtype=object)[codes], pa.string())])
        else:
            values, bad = number_values(table.column(columns.prediction))
            if bad.any() or np.isnan(values).any():
                rows = numbers[bad | np.isnan(values)]
                raise EvaluationError(f"{filename}: column {quote(columns.prediction)} has missing values or text in "
                                      f"{rows_text(rows)}; expected a predicted number on every row", file=filename,
                                      column=columns.prediction)
            prediction = pa.chunked_array([pa.array(values)])
    probabilities: np.ndarray | None = None
    classes: tuple[str, ...] = ()
    if task == "classification" and (columns.probabilities or columns.score):
        names = list(columns.probabilities.values()) if columns.probabilities else [str(columns.score)]
        probabilities = probability_matrix(table, names, numbers, filename, tolerance)
        classes = tuple(normalize_label(c) for c in columns.probabilities) if columns.probabilities else ("\x00score",)
    if prediction is None and probabilities is None:
        raise EvaluationError(
            f"{filename}: expected the model's outputs on production rows: a prediction column (one of "
            f"{', '.join(ALIASES['prediction'])}), per-class probability columns (prob_<class>) or, for two classes, a "
            f"score column; the columns found are: {format_examples(table.column_names, limit=20)}", file=filename)
    return _Model(prediction, probabilities, classes)


def _outputs(test_model: _Model, production: _Model, classes: tuple[str, ...], positive: str | None,
             threshold: float, files: tuple[str, str], warnings: list[str]) -> list[ShiftColumn]:
    """The model's prediction and confidence as columns (classification), each when both files give it."""
    out: list[ShiftColumn] = []
    test_probabilities = test_model.probabilities
    production_probabilities = production.probabilities
    if production_probabilities is not None:
        if production.classes == ("\x00score",):
            if positive is None:
                raise EvaluationError(f"{files[1]}: a single score column only describes two classes, but the test set has "
                                      f"{len(classes)} ({format_names(classes)}); expected one probability column per "
                                      "class", file=files[1])
            score = production_probabilities[:, 0]
            production_probabilities = np.column_stack([1 - score, score] if classes.index(positive) == 1
                                                       else [score, 1 - score])
        else:
            missing = [c for c in classes if c not in production.classes]
            if missing:
                raise EvaluationError(f"{files[1]}: there are no probability columns for the classes "
                                      f"{format_examples(missing)}; expected one per class of the test set "
                                      f"({format_names(classes)})", file=files[1])
            production_probabilities = production_probabilities[:, [production.classes.index(c) for c in classes]]
    production_prediction = production.prediction
    if production_prediction is None and production_probabilities is not None:
        if positive is not None:
            index = classes.index(positive)
            chosen = np.where(production_probabilities[:, index] >= threshold, index, 1 - index)
        else:
            chosen = np.argmax(production_probabilities, axis=1)
        production_prediction = pa.chunked_array([pa.array(np.asarray(classes, dtype=object)[chosen], pa.string())])
        warnings.append(f"{files[1]}: no prediction column; the predictions are the most probable class"
                        + (f" (positive when the score >= {threshold:g})" if positive is not None else ""))
    if test_model.prediction is not None and production_prediction is not None:
        out.append(_column("prediction", "prediction", test_model.prediction, production_prediction, files,
                           numeric_allowed=not classes))
    if test_probabilities is not None and production_probabilities is not None:
        if positive is not None:
            index = classes.index(positive)
            name, test_values, production_values = "score", test_probabilities[:, index], production_probabilities[:, index]
        else:
            name, test_values = "confidence", test_probabilities.max(axis=1)
            production_values = production_probabilities.max(axis=1)
        out.append(_column(name, "confidence", pa.chunked_array([pa.array(test_values)]),
                           pa.chunked_array([pa.array(production_values)]), files))
    elif (test_probabilities is None) != (production_probabilities is None):
        lacking = files[0] if test_probabilities is None else files[1]
        warnings.append(f"{lacking} has no probabilities, so the model's confidence is not compared")
    return out


def read_shift(test: Source, production: Source, *, options: LoadOptions | None = None,
               task: str | None = None) -> ShiftData:
    """Read and check a test file and a production file for :func:`analyze_shift`.

    Parameters
    ----------
    test:
        A prediction file as ``compare`` reads it (labels, the model's predictions and/or
        probabilities, metadata); a path or a ``(filename, bytes)`` upload.
    production:
        The same model on production rows: predictions and/or a score or per-class probabilities,
        and the metadata; labels are not needed (a label column, if any, is ignored).
    options:
        Column names (the same names in both files), positive label, threshold and limits.
    task:
        ``"classification"`` or ``"regression"``; detected from the test file when ``None``.

    Returns
    -------
    ShiftData

    Raises
    ------
    EvaluationError
        A file that cannot be read, a column missing or holding the wrong kind of values (the
        message names the file, the column and the rows), or no column to compare.

    Examples
    --------
    >>> test = ("test.csv", b"label,prediction,city\\na,a,x\\nb,b,y\\na,b,x\\n")
    >>> production = ("prod.csv", b"prediction,city\\na,y\\nb,y\\n")
    >>> data = read_shift(test, production)
    >>> [c.name for c in data.columns], data.n_test, data.n_production
    (['city', 'prediction'], 3, 2)
    """
    from ._tasks import detect_task

    options = options or LoadOptions()
    mapping = options.mapping
    task = task or detect_task([test], mapping=mapping)
    if task not in ("classification", "regression"):
        raise EvaluationError(f"{source_name(test)}: shift compares a classification or regression test set with "
                              f"production; this file looks like the {task} task (add --task to choose)",
                              file=source_name(test))
    files = (source_name(test), source_name(production))
    warnings: list[str] = []
    positive: str | None = None
    classes: tuple[str, ...] = ()
    if task == "classification":
        from ._loading import load_classification

        data = load_classification([test], options=options)
        model = data.models[0]
        test_columns, classes, positive = model.columns, data.classes, data.positive_label
        y_true, y_pred, metadata = data.y_true, model.y_pred, data.metadata
        test_model = _Model(pa.chunked_array([pa.array(np.asarray(classes, dtype=object)[y_pred], pa.string())]),
                            model.y_score, classes)
        warnings += data.warnings
    else:
        from ._regression import load_regression

        regression = load_regression([test], options=options)
        test_columns = regression.models[0].columns
        y_true, y_pred, metadata = regression.y_true, regression.models[0].y_pred, regression.metadata
        test_model = _Model(pa.chunked_array([pa.array(y_pred)]), None, ())
        warnings += regression.warnings

    def text_columns(header: list[str]) -> list[str]:
        found = _production_columns(header, mapping, files[1])
        return [c for c in (found.id, found.prediction) if c and task == "classification"]

    table = read_table(production, filename=files[1], text_columns=text_columns, limits=options.limits)
    production_columns = _production_columns(table.column_names, mapping, files[1])
    production_model = _production_model(table, production_columns, files[1], task, options.limits,
                                         options.probability_tolerance)
    skip = {c for c in (test_columns.timestamp, production_columns.timestamp) if c}
    test_names = [c for c in metadata.columns if c not in skip]
    production_names = [c for c in production_columns.metadata or () if c not in skip]
    only_test = [c for c in test_names if c not in production_names]
    only_production = [c for c in production_names if c not in test_names]
    if only_test:
        warnings.append(f"{format_names(only_test)} {'is' if len(only_test) == 1 else 'are'} only in {files[0]}: not compared")
    if only_production:
        warnings.append(f"{format_names(only_production)} {'is' if len(only_production) == 1 else 'are'} only in "
                        f"{files[1]}: not compared")
    if skip:
        warnings.append(f"the timestamp column ({format_names(sorted(skip))}) is not compared: test set and production "
                        "come from different times by design")
    shared = pa.Table.from_pandas(metadata[[c for c in test_names if c in production_names]], preserve_index=False)
    columns = [_column(name, "metadata", shared.column(name), table.column(name), files) for name in shared.column_names]
    empty = [c.name for c in columns if c.kind == "numeric"
             and not (np.isfinite(c.test).any() and np.isfinite(c.production).any())]
    if empty:
        warnings.append(f"{format_names(empty)}: no numbers in one of the files, not compared")
        columns = [c for c in columns if c.name not in empty]
    if task == "classification":
        columns += _outputs(test_model, production_model, classes, positive, options.threshold, files, warnings)
    elif test_model.prediction is not None and production_model.prediction is not None:
        columns.append(_column("prediction", "prediction", test_model.prediction, production_model.prediction, files))
    if not columns:
        raise EvaluationError(f"{files[1]}: no column to compare with {files[0]}: expected metadata columns with the same "
                              "names in both files, or the model's predictions or probabilities in both", file=files[1])
    return ShiftData(files[0], files[1], task, tuple(columns), np.asarray(y_true), np.asarray(y_pred), classes,
                     tuple(warnings))
