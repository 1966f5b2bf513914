"""The unit table: cells found automatically, totals equal to the rows', and the same bootstrap distribution."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation._units import bootstrap_units, numpy_units


def test_repeated_rows_become_cells_with_their_groups_and_the_totals_are_the_rows() -> None:
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 2, size=(1_000, 3)).astype(float)  # 0/1 statistics: at most 8 distinct rows
    group = rng.integers(0, 3, size=1_000)
    units = numpy_units(rows, {"slice": group})
    assert units.design.shape[0] <= 24 and units.n == 1_000
    assert units.totals().tolist() == rows.sum(axis=0).tolist()
    for code in range(3):  # a group's totals from the cells equal its rows' sums
        assert (units.counts[units.groups["slice"] == code] @ units.design[units.groups["slice"] == code]).tolist() \
            == rows[group == code].sum(axis=0).tolist()


def test_continuous_rows_stay_one_unit_each() -> None:
    rows = np.random.default_rng(1).normal(size=(500, 2))
    units = numpy_units(rows)
    assert units.design.shape == (500, 2) and units.counts.tolist() == [1] * 500


def test_the_cell_bootstrap_has_the_row_bootstrap_distribution() -> None:
    rng = np.random.default_rng(2)
    correct = (rng.random(400) < 0.8).astype(float)
    rows = np.column_stack([correct, np.ones(400)])

    def accuracy(totals: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
        return {"accuracy": totals[:, 0] / totals[:, 1]}

    cells = bootstrap_units(numpy_units(rows), accuracy, resamples=4_000, rng=np.random.default_rng(3))["accuracy"]
    by_row = correct[np.random.default_rng(4).integers(0, 400, size=(4_000, 400))].mean(axis=1)
    assert numpy_units(rows).design.shape[0] == 2
    analytic = np.sqrt(correct.mean() * (1 - correct.mean()) / 400)
    assert cells.std() == pytest.approx(analytic, rel=0.06) and by_row.std() == pytest.approx(analytic, rel=0.06)
    assert cells.mean() == pytest.approx(correct.mean(), abs=0.002)
