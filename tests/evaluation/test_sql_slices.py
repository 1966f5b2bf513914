"""How the engines cut the slices, against the local engine's cuts (which the slice tests check against pandas):
quantiles from value counts bit for bit as numpy's, columns with many values counted exactly before they are
sliced or left out, and the bins carried through the join packed into one integer or in columns of their own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evaluation._sql_slices as sql_slices
from evaluation import load_classification
from evaluation._duckdb import load_classification_duckdb
from evaluation._sql_slices import weighted_quantiles
from tests.evaluation.test_duckdb import COLUMNS, DEMO, report, write


@pytest.fixture(scope="module")
def demo_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    base, tuned = pd.read_csv(DEMO / "base.csv"), pd.read_csv(DEMO / "finetuned.csv")
    return base[COLUMNS], tuned[["id", "label", "prediction"]]


@pytest.mark.parametrize("limit", [1, 8])
def test_slices_outside_the_packed_codes_give_the_same_report(tmp_path: Path, limit: int,
                                                             demo_frames: tuple[pd.DataFrame, pd.DataFrame],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    base, tuned = demo_frames
    row = np.arange(len(base))
    base = base.assign(flagged=row % 3 == 0, weight=(row % 4) / 2)  # slices named from their raw values
    base.loc[::7, "scanner"] = None  # a missing value in a packed slice
    files = [write(base, tmp_path / "base.parquet"), write(tuned, tmp_path / "finetuned.parquet")]
    local = report(load_classification(files))
    monkeypatch.setattr(sql_slices, "_PACKED_LIMIT", limit)  # none packed, or only the first slice
    assert report(load_classification_duckdb(files)) == local
    assert {s["column"] for s in local["comparisons"][0]["slices"]} == {"scanner", "ink", "flagged", "weight"}


def test_columns_with_many_values_are_counted_exactly_before_they_are_sliced_or_left_out(
        tmp_path: Path, demo_frames: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch) -> None:
    base, tuned = demo_frames
    rng = np.random.default_rng(4)
    n = len(base)
    base = base.assign(reading=rng.normal(0, 1, n).round(3),  # quantiles from the engine's sort, not value counts
                       ticket=[f"t{i:04d}" for i in range(n)])  # an identifier: not sliced
    files = [write(base, tmp_path / "base.parquet"), write(tuned, tmp_path / "finetuned.parquet")]
    local = report(load_classification(files))
    wide = base.assign(operator=rng.integers(0, 60, n).astype(str), shift=rng.integers(0, 30, n).astype(str))
    files[0] = write(wide, tmp_path / "wide.parquet")
    monkeypatch.setattr(sql_slices, "_VALUE_COUNTS", 50)
    monkeypatch.setattr(sql_slices, "_MAX_DISTINCT", 25)  # estimated above twice this: counted exactly; 30: value counts
    counted = report(load_classification_duckdb(files))
    assert counted["comparisons"][0]["slices"] == local["comparisons"][0]["slices"]
    assert {s["column"] for s in local["comparisons"][0]["slices"]} == {"scanner", "ink", "reading"}
    for column, distinct in (("operator", 60), ("shift", 30)):
        assert (f"wide.parquet: column '{column}' has {distinct} distinct values; the duckdb engine does not slice by "
                "a column of more than 25") in counted["warnings"]


def test_quantiles_from_value_counts_are_numpys_bit_for_bit() -> None:
    rng = np.random.default_rng(4)
    for _ in range(200):
        values = np.round(rng.exponential(3.0, rng.integers(1, 400)), int(rng.integers(0, 3)))
        distinct, counts = np.unique(values, return_counts=True)
        q = [0.0, 0.25, 0.5, 0.75, 1.0]
        assert weighted_quantiles(distinct[::-1], counts[::-1], q).tolist() == np.quantile(values, q).tolist()


def empty_columns(folder: Path) -> list[str]:
    """Two models' files; the first has metadata columns without a single value: of type text, of a nullable float
    type and of Parquet's null type."""
    rng = np.random.default_rng(0)
    n = 300
    label = rng.integers(0, 3, n)
    base = pd.DataFrame({"id": np.arange(n), "label": label,
                         "prediction": np.where(rng.random(n) < 0.7, label, rng.integers(0, 3, n)),
                         "note": pd.array([None] * n, dtype="string"), "reading": pd.array([None] * n, dtype="Float64"),
                         "nothing": [None] * n, "scanner": rng.choice(["fax", "flatbed"], n)})
    tuned = base[["id", "label"]].assign(prediction=np.where(rng.random(n) < 0.8, label, rng.integers(0, 3, n)))
    return [write(base, folder / "base.parquet"), write(tuned, folder / "tuned.parquet")]


def test_a_column_without_a_value_is_one_missing_slice_as_the_local_engine_cuts_it(tmp_path: Path) -> None:
    files = empty_columns(tmp_path)
    local = report(load_classification(files))
    assert {(s["column"], s["value"]) for s in local["comparisons"][0]["slices"]} >= {
        ("note", "(missing)"), ("reading", "(missing)"), ("nothing", "(missing)"), ("scanner", "fax")}
    assert report(load_classification_duckdb(files)) == local
