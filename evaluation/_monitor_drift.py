"""Monitoring's drift per window: the shift command's per-column statistics, made cheap enough for every window.

:func:`window_drift` compares each window's metadata and each model's prediction and confidence with
the test set using :func:`evaluation._shift.column_drift`, Holm-adjusting across the window's columns
(:func:`evaluation._shift.flag_drift`). See ``docs/monitor.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._monitor_data import MonitorData
from ._parallel import parallel_map
from ._shift import DEFAULT_THRESHOLDS, ShiftColumn, column_drift, flag_drift
from ._shift_report import ColumnDrift

__all__ = ["DRIFT_BINS", "DRIFT_ROWS", "columns_drift", "output_columns", "window_drift", "window_order"]

DRIFT_ROWS = 5_000
"""Rows of the test set and of each window the drift statistics see at most (seeded samples beyond)."""
DRIFT_BINS = 64
"""Numeric columns' drift per window runs on this many bins at the test set's quantiles."""
_STREAM_DRIFT = 4


def window_order(codes: np.ndarray, windows: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by window (a stable counting sort) and each window's bounds in that order."""
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=windows))])
    return order, bounds


def output_columns(data: MonitorData, index: int) -> list[ShiftColumn]:
    """A model's prediction and confidence as columns (test set against every production row)."""
    test, model = data.reference.models[index], data.models[index]
    columns = [ShiftColumn("prediction", "categorical", "prediction", test.y_pred, model.y_pred, data.classes)]
    if test.y_score is not None and model.y_score is not None:
        columns.append(ShiftColumn("confidence", "numeric", "confidence", test.y_score.max(axis=1),
                                   model.y_score.max(axis=1)))
    return columns


def _quantized(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each finite value replaced by the mean of its sample's values in its bin (bins between ``edges``); NaN stays."""
    out = values.copy()
    finite = np.isfinite(values)
    code = np.searchsorted(edges, values[finite], side="right")
    sums = np.bincount(code, weights=values[finite], minlength=edges.size + 1)
    counts = np.bincount(code, minlength=edges.size + 1)
    out[finite] = (sums / np.maximum(counts, 1))[code]
    return out


def window_drift(data: MonitorData, codes: np.ndarray, windows: int, *, permutations: int, alpha: float, confidence: float,
           seed: int, drift_rows: int = DRIFT_ROWS) -> list[list[tuple[str, ColumnDrift]]]:
    """Each window's drift of every column as ``(model, drift)`` pairs (``""``: metadata), Holm across the window's columns.

    The metadata columns, then each model's prediction and confidence (:func:`output_columns`); see
    :func:`columns_drift`.
    """
    columns = list(data.columns) + [c for i in range(len(data.models)) for c in output_columns(data, i)]
    owners = [""] * len(data.columns) + [m.name for i, m in enumerate(data.models) for _ in output_columns(data, i)]
    return columns_drift(columns, owners, codes, windows, permutations=permutations, alpha=alpha, confidence=confidence,
                         seed=seed, drift_rows=drift_rows)


def columns_drift(columns: Sequence[ShiftColumn], owners: Sequence[str], codes: np.ndarray, windows: int, *,
                  permutations: int, alpha: float, confidence: float, seed: int,
                  drift_rows: int = DRIFT_ROWS) -> list[list[tuple[str, ColumnDrift]]]:
    """Each window's drift of ``columns`` (test set against every production row) as ``(owner, drift)`` pairs.

    ``owners`` names each column's model (``""``: metadata). Holm across the window's columns. Cheap by
    design: at most ``drift_rows`` rows of the test set and of each window (seeded samples), and
    numeric values on :data:`DRIFT_BINS` bins at the test set's quantiles (each value replaced by its
    sample's mean in its bin), so that the permutations run on a small grid.
    """
    n_test = columns[0].test.shape[0]
    sample = (np.sort(np.random.default_rng([seed, _STREAM_DRIFT]).choice(n_test, drift_rows, replace=False))
              if n_test > drift_rows else np.arange(n_test))
    edges, tests = [], []
    for column in columns:
        test = column.test[sample]
        if column.kind == "numeric":
            finite = column.test[np.isfinite(column.test)]
            cut = (np.unique(np.quantile(finite, np.arange(1, DRIFT_BINS) / DRIFT_BINS)) if finite.size
                   else np.zeros(0))
            edges.append(cut)
            test = _quantized(test, cut)
        else:
            edges.append(np.zeros(0))
        tests.append(test)
    order, bounds = window_order(codes, windows)
    # The shift functions import SciPy when first called: import it here, on the calling thread, so that no
    # module is first imported on the pool's threads (a module seen half-initialised there fails).
    import scipy.special
    import scipy.stats  # noqa: F401

    def one(w: int) -> list[tuple[str, ColumnDrift]]:
        rows = order[bounds[w]:bounds[w + 1]]
        if rows.size > drift_rows:
            rows = np.sort(np.random.default_rng([seed, _STREAM_DRIFT, w]).choice(rows, drift_rows, replace=False))
        found = []
        for j, column in enumerate(columns):
            values = column.production[rows]
            if column.kind == "numeric":
                values = _quantized(values, edges[j])
                if int(np.isfinite(values).sum()) < 2 or int(np.isfinite(tests[j]).sum()) < 2:
                    continue
            elif values.size < 2:
                continue
            window_column = ShiftColumn(column.name, column.kind, column.role, tests[j], values, column.categories)
            drift = column_drift(window_column, index=w * len(columns) + j, resamples=permutations,
                                 confidence=confidence, thresholds=DEFAULT_THRESHOLDS, seed=seed)
            found.append((owners[j], drift))
        flagged = flag_drift([d for _, d in found], alpha=alpha)
        return [(owner, d) for (owner, _), d in zip(found, flagged, strict=True)]

    return parallel_map(one, range(windows))  # each window seeds its own draws: the same numbers on any cores
