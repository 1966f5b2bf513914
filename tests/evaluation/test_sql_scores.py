"""The SQL of the engines' score terms, run by DuckDB against numpy (the Spark suite runs the same on Spark)."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from evaluation._sql_scores import calibration_bin


def hard_confidences(n_bins: int, seed: int = 0) -> np.ndarray:
    """Confidences on the bins' edges, one and two floating-point steps either side, at two or three decimals (as
    a CSV keeps them) and anywhere in [0, 1]."""
    rng = np.random.default_rng(seed)
    edges = np.arange(n_bins + 1) / n_bins
    once = [np.nextafter(edges, 2.0), np.nextafter(edges, -1.0)]
    twice = [np.nextafter(once[0], 2.0), np.nextafter(once[1], -1.0)]
    values = np.concatenate([edges, *once, *twice, rng.random(5_000), np.round(rng.random(5_000), 2),
                             np.round(rng.random(5_000), 3)])
    return np.clip(values, 0.0, 1.0)


def numpy_bins(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin ``b`` holds ``b/M < c <= (b+1)/M``: numpy's searchsorted among the edges ``i / M``."""
    return np.searchsorted(np.arange(1, n_bins) / n_bins, confidence, side="left")


@pytest.mark.parametrize("n_bins", [1, 2, 7, 10, 15, 25, 49, 100])
def test_the_calibration_bin_is_numpys_on_and_beside_every_edge(n_bins: int) -> None:
    confidence = hard_confidences(n_bins)
    connection = duckdb.connect()
    connection.register("confidences", {"c": confidence})
    found = np.array([row[0] for row in connection.execute(
        f"SELECT {calibration_bin('c', n_bins)} FROM confidences").fetchall()])
    np.testing.assert_array_equal(found, numpy_bins(confidence, n_bins))
    # ceil(c * M) - 1 alone puts some of these confidences in the next or the previous bin: the test can tell
    guess = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    assert n_bins < 49 or (guess != numpy_bins(confidence, n_bins)).any()
