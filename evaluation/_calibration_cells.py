"""Expected calibration error as a cell-count statistic, for one model or a pair.

Each example falls in a cell (confidence bin, correct or not). A bin's signed gap
``sum(correct - confidence)`` is the sum over its cells of ``count x (correct - mean confidence of
the cell)``, exact on the original data. Resampling the cell counts treats the examples of a cell as
sharing its mean confidence: within a bin of width 1/15 the spread of confidences adds at most
``(1/15)^2 / 12`` to a per-example variance of about ``p(1 - p)``, so the intervals differ from a
row bootstrap by well under Monte Carlo error.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ._probability import calibration_bin
from ._resampling import CellTable, Statistic, cell_table

__all__ = ["ece_pair_statistic", "ece_pair_table", "ece_single_statistic", "ece_single_table"]


def _cell_of(confidence: np.ndarray, correct: np.ndarray, n_bins: int, bins: np.ndarray | None) -> np.ndarray:
    """Cell key ``2 * bin + correct`` of each example (``bins``: the examples' bins, when already known)."""
    return (calibration_bin(confidence, n_bins=n_bins) if bins is None else bins) * 2 + correct


def _mean_confidence(keys: np.ndarray, confidence: np.ndarray, occupied: np.ndarray) -> np.ndarray:
    """Mean confidence of the examples in each occupied cell."""
    sums = np.bincount(keys, weights=confidence, minlength=int(occupied.max()) + 1)[occupied]
    counts = np.bincount(keys, minlength=int(occupied.max()) + 1)[occupied]
    return sums / counts


def ece_single_table(confidence: np.ndarray, correct: np.ndarray, *, n_bins: int,
                     bins: np.ndarray | None = None) -> CellTable:
    """Cells (bin, correct); aggregates ``[signed gap per bin (n_bins), count]``.

    ``bins`` may pass ``calibration_bin(confidence, n_bins=n_bins)`` when the caller has it.
    """
    keys = _cell_of(confidence, correct, n_bins, bins)

    def design(occupied: np.ndarray) -> sparse.csr_matrix:
        gap = (occupied % 2) - _mean_confidence(keys, confidence, occupied)
        rows = np.arange(occupied.shape[0])
        matrix = sparse.lil_matrix((occupied.shape[0], n_bins + 1))
        matrix[rows, occupied // 2] = gap
        matrix[rows, n_bins] = 1.0
        return matrix.tocsr()

    return cell_table(keys, design, key_space=2 * n_bins)


def ece_single_statistic(n_bins: int) -> Statistic:
    """ECE from the aggregates of :func:`ece_single_table`."""

    def statistic(aggregates: np.ndarray) -> dict[str, np.ndarray]:
        return {"expected_calibration_error": np.abs(aggregates[:, :n_bins]).sum(axis=1) / aggregates[:, n_bins]}

    return statistic


def ece_pair_table(
    baseline: tuple[np.ndarray, np.ndarray], candidate: tuple[np.ndarray, np.ndarray], *, n_bins: int,
    bins: tuple[np.ndarray, np.ndarray] | None = None,
) -> CellTable:
    """Cells (baseline cell, candidate cell); aggregates ``[gaps_b, gaps_c, count]``.

    ``baseline`` and ``candidate`` are (confidence, correct) pairs; ``bins`` may pass their bins.
    """
    base_keys = _cell_of(*baseline, n_bins, None if bins is None else bins[0])
    cand_keys = _cell_of(*candidate, n_bins, None if bins is None else bins[1])
    width = 2 * n_bins
    keys = base_keys * width + cand_keys

    def design(occupied: np.ndarray) -> sparse.csr_matrix:
        base_cell, cand_cell = occupied // width, occupied % width
        base_gap = (base_cell % 2) - _mean_confidence(keys, baseline[0], occupied)
        cand_gap = (cand_cell % 2) - _mean_confidence(keys, candidate[0], occupied)
        rows = np.arange(occupied.shape[0])
        matrix = sparse.lil_matrix((occupied.shape[0], 2 * n_bins + 1))
        matrix[rows, base_cell // 2] = base_gap
        matrix[rows, n_bins + cand_cell // 2] = cand_gap
        matrix[rows, 2 * n_bins] = 1.0
        return matrix.tocsr()

    return cell_table(keys, design, key_space=width * width)


def ece_pair_statistic(n_bins: int) -> Statistic:
    """Candidate ECE minus baseline ECE from the aggregates of :func:`ece_pair_table`."""

    def statistic(aggregates: np.ndarray) -> dict[str, np.ndarray]:
        count = aggregates[:, 2 * n_bins]
        base = np.abs(aggregates[:, :n_bins]).sum(axis=1) / count
        cand = np.abs(aggregates[:, n_bins:2 * n_bins]).sum(axis=1) / count
        return {"expected_calibration_error": cand - base}

    return statistic
