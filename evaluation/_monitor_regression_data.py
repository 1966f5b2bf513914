"""Reading a regression model's production log for monitoring: timestamps, numeric predictions, true values as they arrive.

:func:`read_monitor_regression` is what :func:`~evaluation._monitor_data.read_monitor` calls when the
test files hold a regression model's predictions (numbers): it reads the test files as ``compare``
reads them (:func:`~evaluation._regression.load_regression`) and one production file per model,
checks them once and returns trusted :class:`RegressionMonitorData`. A production row's true value
may be missing: it has not arrived yet (``NaN``). See ``docs/monitor.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ._data import LoadOptions
from ._errors import EvaluationError, quote
from ._io import Source, source_name
from ._monitor_data import _microseconds, _pair, production_tables, shared_metadata
from ._regression import RegressionData, _numbers
from ._shift import ShiftColumn
from ._values import number_values, rows_text

__all__ = ["RegressionMonitorData", "RegressionMonitorModel", "read_monitor_regression"]

TASK = "regression"


@dataclass(frozen=True)
class RegressionMonitorModel:
    """One regression model's predictions on the production rows, trusted.

    Attributes
    ----------
    name, file:
        The model's name and its production file.
    y_pred:
        ``(n,)`` predicted values (finite).
    """

    name: str
    file: str
    y_pred: np.ndarray


@dataclass(frozen=True)
class RegressionMonitorData:
    """A regression model's production log and its reference (the test set), read and checked.

    Attributes
    ----------
    production_files, reference_files:
        The files, one per model, in the models' order (the first model is the baseline).
    timestamps:
        ``(n,)`` int64 microseconds since 1970-01-01 (UTC when the file's times carry a zone).
    timezone:
        ``"UTC"`` when the file's times carried a zone (converted to UTC), else ``None``.
    y_true:
        ``(n,)`` true values; ``NaN`` where the true value has not arrived.
    models:
        Each model's production predictions.
    reference:
        The test set, as :func:`~evaluation._regression.load_regression` read it (the same models' order).
    columns:
        The metadata columns both the test set and production have.
    warnings:
        What was left out, and why.
    """

    production_files: tuple[str, ...]
    reference_files: tuple[str, ...]
    timestamps: np.ndarray
    timezone: str | None
    y_true: np.ndarray
    models: tuple[RegressionMonitorModel, ...]
    reference: RegressionData
    columns: tuple[ShiftColumn, ...]
    warnings: tuple[str, ...] = ()
    task: str = TASK

    @property
    def n(self) -> int:
        """Production rows."""
        return int(self.timestamps.shape[0])

    @property
    def model_names(self) -> tuple[str, ...]:
        """The models' names, baseline first."""
        return tuple(m.name for m in self.models)


def _true_values(table: pa.Table, column: str, filename: str) -> np.ndarray:
    """A production file's true values: numbers, ``NaN`` where missing (not arrived); refuses text and infinities."""
    values, bad = number_values(table.column(column))
    if bad.any():
        raise EvaluationError(f"{filename}: column {quote(column)} holds text that is not a number in "
                              f"{rows_text(np.flatnonzero(bad) + 1)}; expected the true value as a number, or nothing "
                              "where it has not arrived yet", file=filename, column=column)
    infinite = np.isinf(values)
    if infinite.any():
        raise EvaluationError(f"{filename}: column {quote(column)} has infinite values in "
                              f"{rows_text(np.flatnonzero(infinite) + 1)}; expected finite true values (or nothing "
                              "where the value has not arrived yet)", file=filename, column=column)
    return values


def read_monitor_regression(production: Sequence[Source], reference: Sequence[Source], *, names: Sequence[str],
                            options: LoadOptions, reference_options: LoadOptions) -> RegressionMonitorData:
    """Read and check a regression model's production logs and test sets (``read_monitor`` has checked the counts).

    Parameters
    ----------
    production, reference:
        One production file and one test file per model, in the same order.
    names:
        The models' names.
    options, reference_options:
        The production files' options, and the test files' (read as ``compare`` reads them).

    Returns
    -------
    RegressionMonitorData

    Raises
    ------
    EvaluationError
        A missing or unreadable timestamp, a prediction that is missing or not a number, a true
        value that is not a number, files that do not pair (the message names the file, the column
        and the rows).

    Examples
    --------
    >>> from evaluation._monitor_data import read_monitor
    >>> test = ("test.csv", b"label,prediction\\n1.5,1.0\\n2.5,2.0\\n")
    >>> log = ("log.csv", b"timestamp,label,prediction\\n2026-01-05,3.5,3.0\\n2026-01-06,,2.0\\n")
    >>> data = read_monitor([log], [test])
    >>> data.task, data.y_true.tolist(), data.models[0].y_pred.tolist()
    ('regression', [3.5, nan], [3.0, 2.0])
    """
    from ._regression import load_regression

    test = load_regression(reference, names=names, options=reference_options)
    files, tables, found = production_tables(production, options)
    first, columns = tables[0], found[0]
    timestamps, zone = _microseconds(first, str(columns.timestamp), files[0])
    takes = _pair(tables, found, files)
    warnings = list(test.warnings)
    y_true = (_true_values(first, columns.label, files[0]) if columns.label else np.full(first.num_rows, np.nan))
    if not columns.label:
        warnings.append(f"{files[0]}: no label column, so no true value has arrived: only drift")
    models = []
    for i, (table, c, take, filename) in enumerate(zip(tables, found, takes, files, strict=True)):
        if not c.prediction:
            raise EvaluationError(f"{filename}: no column holds the predictions; expected one named prediction, pred, "
                                  "y_pred or predicted (or --prediction-column)", file=filename)
        y_pred = _numbers(table, c.prediction, np.arange(1, table.num_rows + 1), filename, "the predicted value")
        if take is not None:
            y_pred = y_pred[take]
        if i and c.label:
            other = _true_values(table, c.label, filename)
            other = other if take is None else other[take]
            both = np.isfinite(other) & np.isfinite(y_true)
            differ = both & ~np.isclose(other, np.where(both, y_true, 0.0), rtol=1e-9, atol=1e-12)
            if differ.any():
                raise EvaluationError(f"{filename}: the true value differs from {files[0]}'s on "
                                      f"{rows_text(np.flatnonzero(differ) + 1)} (rows of {files[0]}); expected the same "
                                      "true values for the same production rows", file=filename, column=c.label)
        models.append(RegressionMonitorModel(test.models[i].name, filename, y_pred))
    metadata = shared_metadata(test.metadata, test.models[0].columns.timestamp, columns, first, files[0], warnings)
    return RegressionMonitorData(files, tuple(source_name(s) for s in reference), timestamps, zone, y_true,
                                 tuple(models), test, tuple(metadata), tuple(warnings))
