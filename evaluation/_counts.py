"""Confusion-count statistics of one model or of a baseline-candidate pair, as cell tables.

One model: cells are (true label, prediction), ``k^2`` at most. A pair: cells are (true label,
baseline prediction, candidate prediction), at most ``min(n, k^3)`` occupied. The aggregates are the
per-class counts every confusion-matrix metric needs: true counts, predicted counts and true
positives (for a pair, of both models).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ._metrics import confusion_metrics, per_class_metrics
from ._resampling import CellTable, Statistic, cell_table, count_keys

__all__ = [
    "BASELINE_PREFIX",
    "CANDIDATE_PREFIX",
    "PER_CLASS_PREFIX",
    "pair_discordant",
    "pair_statistic",
    "pair_swap",
    "pair_table",
    "pair_tables_by_group",
    "single_model_statistic",
    "single_model_table",
]

PER_CLASS_PREFIX = "class:"


def _indicator(rows: int, columns: list[np.ndarray], width: int) -> sparse.csr_matrix:
    """Sparse 0/1 matrix with a 1 at (row, column) for each column array (-1 means no entry)."""
    row_index = np.concatenate([np.arange(rows)[col >= 0] for col in columns])
    col_index = np.concatenate([col[col >= 0] for col in columns])
    data = np.ones(row_index.shape[0])
    return sparse.csr_matrix((data, (row_index, col_index)), shape=(rows, width))


def single_model_table(y_true: np.ndarray, y_pred: np.ndarray, k: int, weights: np.ndarray | None = None) -> CellTable:
    """Cells (true, predicted); aggregates ``[actual (k), predicted (k), tp (k)]`` (``weights``: examples per row)."""

    def design(keys: np.ndarray) -> sparse.csr_matrix:
        true, pred = keys // k, keys % k
        return _indicator(keys.shape[0], [true, k + pred, np.where(true == pred, 2 * k + true, -1)], 3 * k)

    return cell_table(y_true.astype(np.int64) * k + y_pred, design, key_space=k * k, weights=weights)


def _with_per_class(prefix: str, tp: np.ndarray, predicted: np.ndarray, actual: np.ndarray,
                    per_class: bool = True) -> dict[str, np.ndarray]:
    """Headline metrics, and unless ``per_class`` is false per-class metrics, under ``prefix``."""
    out = {prefix + name: values for name, values in confusion_metrics(tp, predicted, actual).items()}
    if not per_class:
        return out
    for name, values in per_class_metrics(tp, predicted, actual).items():
        out[prefix + PER_CLASS_PREFIX + name] = values
    return out


def single_model_statistic(k: int) -> Statistic:
    """Statistic of :func:`single_model_table`: every headline metric and per-class P/R/F1."""

    def statistic(aggregates: np.ndarray) -> dict[str, np.ndarray]:
        actual, predicted, tp = aggregates[:, :k], aggregates[:, k:2 * k], aggregates[:, 2 * k:]
        return _with_per_class("", tp, predicted, actual)

    return statistic


def _pair_design(keys: np.ndarray, k: int) -> sparse.csr_matrix:
    """Design rows of pair cells ``(true * k + baseline) * k + candidate``."""
    true, base, cand = keys // (k * k), (keys // k) % k, keys % k
    columns = [
        true,
        k + base,
        np.where(true == base, 2 * k + true, -1),
        3 * k + cand,
        np.where(true == cand, 4 * k + true, -1),
    ]
    return _indicator(keys.shape[0], columns, 5 * k)


def pair_table(y_true: np.ndarray, baseline: np.ndarray, candidate: np.ndarray, k: int,
               weights: np.ndarray | None = None) -> CellTable:
    """Cells (true, baseline, candidate); aggregates ``[actual, predicted_b, tp_b, predicted_c, tp_c]`` (``weights``:
    examples per row)."""
    keys = (y_true.astype(np.int64) * k + baseline) * k + candidate
    return cell_table(keys, lambda occupied: _pair_design(occupied, k), key_space=k**3, weights=weights)


def pair_swap(k: int) -> np.ndarray:
    """Column permutation of a :func:`pair_table`'s aggregates that exchanges the two models.

    ``[actual, predicted_b, tp_b, predicted_c, tp_c]`` becomes ``[actual, predicted_c, tp_c, predicted_b,
    tp_b]`` (see :func:`evaluation._resampling.swap_statistics`).

    Examples
    --------
    >>> pair_swap(1).tolist()
    [0, 3, 4, 1, 2]
    """
    blocks = np.arange(5 * k).reshape(5, k)
    return blocks[[0, 3, 4, 1, 2]].reshape(-1)


def pair_tables_by_group(
    groups: np.ndarray, n_groups: int, y_true: np.ndarray, baseline: np.ndarray, candidate: np.ndarray, k: int,
    weights: np.ndarray | None = None,
) -> list[CellTable]:
    """:func:`pair_table` of each group of examples (such as the slices of one column), from one count.

    Counting (group, cell) keys once costs one pass over the rows however many groups there are.
    A group without examples gets a table without cells.
    """
    cells = k**3
    keys = (((groups.astype(np.int64) * k + y_true) * k + baseline) * k) + candidate
    occupied, counts = count_keys(keys, key_space=n_groups * cells, weights=weights)
    bounds = np.searchsorted(occupied // cells, np.arange(n_groups + 1))
    tables = []
    for group in range(n_groups):
        own = slice(bounds[group], bounds[group + 1])
        tables.append(CellTable(counts=counts[own],
                                design=sparse.csr_matrix(_pair_design(occupied[own] % cells, k))))
    return tables


def pair_discordant(table: CellTable, k: int) -> tuple[int, int]:
    """Examples of a :func:`pair_table` that only the baseline, and only the candidate, got right."""
    base_right = table.design[:, 2 * k:3 * k].getnnz(axis=1) > 0  # the cell adds to a baseline true positive
    cand_right = table.design[:, 4 * k:5 * k].getnnz(axis=1) > 0
    return int(table.counts[base_right & ~cand_right].sum()), int(table.counts[cand_right & ~base_right].sum())


BASELINE_PREFIX = "baseline:"
CANDIDATE_PREFIX = "candidate:"


def pair_statistic(k: int, *, with_models: bool = False, per_class: bool = True) -> Statistic:
    """Statistic of :func:`pair_table`: candidate minus baseline for every metric, per class too.

    With ``with_models`` the two models' own values are returned as well, under
    :data:`BASELINE_PREFIX` and :data:`CANDIDATE_PREFIX` (slices need both from one draw). Without
    ``per_class`` only the headline metrics are computed.
    """

    def statistic(aggregates: np.ndarray) -> dict[str, np.ndarray]:
        actual = aggregates[:, :k]
        base = _with_per_class("", aggregates[:, 2 * k:3 * k], aggregates[:, k:2 * k], actual, per_class)
        cand = _with_per_class("", aggregates[:, 4 * k:5 * k], aggregates[:, 3 * k:4 * k], actual, per_class)
        out = {name: cand[name] - base[name] for name in base}
        if with_models:
            out.update({BASELINE_PREFIX + name: values for name, values in base.items()})
            out.update({CANDIDATE_PREFIX + name: values for name, values in cand.items()})
        return out

    return statistic
