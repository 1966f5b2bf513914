"""``benchmarks/bench_scale.py`` keeps working: its parts pair up in the engine, and one tiny run completes.

No timing is asserted: the script prints times for a person to read (and the machine may be busy).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from benchmarks.bench_scale import PART_ROWS, main, make_files
from evaluation import load_classification
from evaluation._duckdb import load_classification_duckdb


def test_the_parts_hold_the_same_examples_and_labels_in_another_order(tmp_path: Path) -> None:
    base, tuned = make_files(tmp_path, 3_000)
    assert sorted(p.name for p in base.iterdir()) == ["_SUCCESS", "part-00000.parquet"]  # 3,000 < PART_ROWS
    assert PART_ROWS == 5_000_000
    b, t = pd.read_parquet(base), pd.read_parquet(tuned)
    assert not (b["id"].to_numpy() == t["id"].to_numpy()).all()  # each model's file in its own order
    merged = b.merge(t, on="id", suffixes=("_b", "_t"))
    assert len(merged) == 3_000 and (merged["label_b"] == merged["label_t"]).all()
    assert (merged["prediction_b"] != merged["prediction_t"]).any()
    data = load_classification_duckdb([str(base), str(tuned)])
    assert data.n_examples == 3_000
    assert set(data.slices or {}) == {"region", "device", "age", "tenure"}
    assert load_classification([str(base), str(tuned)]).n_examples == 3_000


def test_one_tiny_run(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    summary = main(["--rows", "3000", "--resamples", "50", "--data-dir", str(tmp_path), "--json", str(out)])
    assert summary["engine"] == "duckdb" and summary["rows"] == 3_000
    for key in ("group_by_seconds", "group_by_peak_mb", "narrow_group_by_seconds", "narrow_group_by_peak_mb",
                "compare_seconds", "compare_peak_mb", "ratio", "narrow_ratio"):
        assert summary[key] > 0
    assert summary["ratio"] == summary["compare_seconds"] / summary["group_by_seconds"]
    assert summary["narrow_ratio"] == summary["compare_seconds"] / summary["narrow_group_by_seconds"]
    assert json.loads(out.read_text()) == summary
    report = json.loads((tmp_path / "duckdb_report.json").read_text())
    assert report["n_examples"] == 3_000 and report["comparisons"][0]["candidate"] == "tuned"


def test_the_baseline_reads_every_column_the_command_reads(tmp_path: Path) -> None:
    import duckdb

    from benchmarks.bench_scale import NARROW_QUERY, QUERY

    base, tuned = make_files(tmp_path, 3_000)
    files = {"base": f"read_parquet('{base}/*.parquet')", "tuned": f"read_parquet('{tuned}/*.parquet')"}
    rows = duckdb.connect().execute(QUERY.format(**files)).fetchall()
    b, t = pd.read_parquet(base), pd.read_parquet(tuned)
    assert sum(r[6] for r in rows) == 3_000
    for column, (frame, name) in zip(range(7, 11), ((b, "score"), (t, "score"), (b, "age"), (b, "tenure")), strict=True):
        assert abs(sum(r[column] for r in rows) - frame[name].sum()) < 1e-6 * max(1.0, abs(frame[name].sum()))
    narrow = duckdb.connect().execute(NARROW_QUERY.format(**files)).fetchall()
    assert sum(r[5] for r in narrow) == 3_000 and len(narrow[0]) == 6
