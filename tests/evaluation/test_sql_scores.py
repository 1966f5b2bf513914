"""The SQL of the engines' score terms, run by DuckDB against numpy (the Spark suite runs the same on Spark)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from evaluation._duckdb import DuckDBBackend
from evaluation._sql_engine import SQLBackend
from evaluation._sql_scores import ScoreTerms, calibration_bin, score_runs, score_terms


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


def hard_scores(n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Binary scores whose confidences are :func:`hard_confidences`, with 0.5 and scores beside it; and labels."""
    halves = [0.5, *(np.nextafter(0.5, d) for d in (0.0, 1.0)), 0.4999995, 0.5000005, 0.4999994, 0.5000006]
    confidence = hard_confidences(n_bins)
    score = np.clip(np.concatenate([confidence, 1.0 - confidence, halves, [-0.0, 0.0, 1.0]]), 0.0, 1.0)
    return score, np.random.default_rng(n_bins).integers(0, 2, score.shape[0])


SCORE = "least(greatest(CAST(s AS DOUBLE), 0.0), 1.0)"
RUNS = f"SELECT CAST(round({SCORE} * 1e6) AS BIGINT) AS grid, y = 1 AS positive, count(*) AS n FROM scores GROUP BY 1, 2"


def scored_terms(backend: SQLBackend, runs: pd.DataFrame, n_bins: int) -> ScoreTerms:
    """A score column's terms over the table ``scores`` (``s``: the score, ``y``: the label, 0 or 1)."""
    return score_terms(backend, 0, {"1": score_runs(runs)}, {"0": f"1.0 - {SCORE}", "1": SCORE},
                       {"0": "y = 0", "1": "y = 1"}, ("0", "1"), "y", n_bins, scored="1")


def check_scored_cells(score: np.ndarray, label: np.ndarray, found: list[tuple[int, bool]], n_bins: int) -> None:
    """The cells found (with whether the lookup gave each) are numpy's, and the lookup gave every one it could."""
    probability = np.stack([1.0 - score, score], axis=1)
    top = np.argmax(probability, axis=1)  # the first of equal ones
    expected = 2 * numpy_bins(probability.max(axis=1), n_bins) + (top == label)
    np.testing.assert_array_equal([row[0] for row in found], expected)
    looked_up = np.array([row[1] for row in found])
    # the lookup serves every score whose run is clear of the bins' edges and of 0.5; the arithmetic, the rest
    edges = np.arange(n_bins + 1) / n_bins
    clear = ((np.abs(probability.max(axis=1)[:, None] - edges[None, :]).min(axis=1) > 2e-6)
             & (np.abs(score - 0.5) > 2e-6))
    assert clear.sum() > 10_000 and looked_up[clear].all()
    assert not looked_up[np.abs(score - 0.5) < 1e-15].any()  # 0.5 and its neighbours: the arithmetic


@pytest.mark.parametrize("n_bins", [1, 2, 7, 15, 25, 100])
def test_a_score_columns_calibration_cells_looked_up_on_the_grid_are_numpys(n_bins: int) -> None:
    score, label = hard_scores(n_bins)
    connection = duckdb.connect()
    connection.register("scores", {"s": score, "y": label, "row": np.arange(score.shape[0])})
    terms = scored_terms(DuckDBBackend(connection), connection.execute(RUNS).df(), n_bins)
    found = connection.execute(f"SELECT {terms.calibration_cell}, l0_0.calibration >= 0 FROM scores{terms.joins} "
                               "ORDER BY row").fetchall()
    check_scored_cells(score, label, found, n_bins)
