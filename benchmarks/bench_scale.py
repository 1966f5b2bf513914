"""Speed and memory of ``compare --engine duckdb|spark`` against the engine's own ``GROUP BY`` of the same files.

The issue's benchmarks: 100,000,000 paired rows (binary, with scores, 4 metadata columns) in Parquet, every
interval, within 2x the time DuckDB needs for one ``GROUP BY`` of the same columns of the same files, under 3 GB;
and 10,000,000 rows on Spark ``local[2]`` within 2x Spark's own ``GROUP BY``. This script writes two directories of
Parquet parts (``base/`` and ``tuned/``, the same ids in another order in each part) of ``--rows`` rows, then
prints, each in a child process:

1. the wall time and peak memory of the engine joining the two directories on the id and grouping by the label,
   both predictions and the two categorical metadata columns, reading every column the command reads (both ids,
   labels, predictions and scores, and the 4 metadata columns of the first file): the join and one ``GROUP BY``
   of the same columns, what any engine must do to pair the files and count, started from Python as the command
   starts it. The scores and the numeric columns are summed: grouped by their raw values they would make
   millions of groups, and binning them is part of the work measured in (3). This is the issue's baseline;
2. the same with the five grouped columns alone (the predictions of both files, the first file's label and
   categorical columns): a cheaper query, printed as a stricter reference;
3. the wall time and peak memory of ``python -m evaluation compare base/ tuned/ --engine ENGINE --format json``
   (checks, slices, every interval and test), and its ratios to (1) and (2).

Spark's memory is the driver's and its JVM's, on ``local[2]`` (the workers are threads of that JVM). With
``--local`` it also runs the local engine on the same files (its reading needs the rows in memory: keep the rows to
a few million). Usage::

    python benchmarks/bench_scale.py --rows 1000000
    python benchmarks/bench_scale.py --rows 100000000 --memory-limit 2GB
    python benchmarks/bench_scale.py --rows 10000000 --engine spark
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
PART_ROWS = 5_000_000
QUERY = """
    SELECT b.label, t.label, b.prediction, t.prediction, b.region, b.device, count(*),
           sum(b.score), sum(t.score), sum(b.age), sum(b.tenure)
    FROM {base} AS b JOIN {tuned} AS t ON b.id = t.id
    GROUP BY b.label, t.label, b.prediction, t.prediction, b.region, b.device"""
"""The join and one ``GROUP BY`` of every column the command reads (the issue's baseline)."""
NARROW_QUERY = """
    SELECT b.label, b.prediction, t.prediction, b.region, b.device, count(*)
    FROM {base} AS b JOIN {tuned} AS t ON b.id = t.id
    GROUP BY b.label, b.prediction, t.prediction, b.region, b.device"""
"""The join and one ``GROUP BY`` of the five grouped columns alone (a cheaper, stricter reference)."""
GROUP_BY = {
    "duckdb": """
import duckdb
connection = duckdb.connect(config={{"memory_limit": "{limit}"}} if "{limit}" else {{}})
print(len(connection.execute(\"\"\"{query}\"\"\").fetchall()))
""",
    "spark": """
from evaluation._spark import spark_session
spark = spark_session("local[2]")
spark.read.parquet("{base_dir}").createOrReplaceTempView("base")
spark.read.parquet("{tuned_dir}").createOrReplaceTempView("tuned")
print(len(spark.sql(\"\"\"{query}\"\"\").collect()))
"""}


def _part(rng: np.random.Generator, start: int, rows: int, *, skill: float, seed_order: int) -> pa.Table:
    """One Parquet part: ids ``start..start+rows``, a binary label, a prediction and score, 4 metadata columns."""
    ids = np.arange(start, start + rows, dtype=np.int64)
    label = (rng.random(rows) < 0.3).astype(np.int8)
    score = np.clip(label * skill + rng.normal(0.35, 0.25, rows), 0, 1)
    order = np.random.default_rng(seed_order).permutation(rows)  # each model's file in its own order
    return pa.table({
        "id": ids[order], "label": label[order], "prediction": (score >= 0.5).astype(np.int8)[order],
        "score": np.round(score, 4)[order],
        "region": pa.array(np.array(["north", "south", "east", "west", "centre"])[rng.integers(0, 5, rows)][order]),
        "device": pa.array(np.array(["phone", "desktop", "tablet"])[rng.integers(0, 3, rows)][order]),
        "age": rng.integers(18, 90, rows)[order].astype(np.int16),
        "tenure": np.round(rng.exponential(3.0, rows), 2)[order]})


def make_files(directory: Path, rows: int) -> tuple[Path, Path]:
    """Write ``base/`` and ``tuned/`` (once per size); the labels agree, the predictions differ."""
    base, tuned = directory / f"duckdb_{rows}" / "base", directory / f"duckdb_{rows}" / "tuned"
    if (base / "_SUCCESS").exists() and (tuned / "_SUCCESS").exists():
        return base, tuned
    for folder in (base, tuned):
        folder.mkdir(parents=True, exist_ok=True)
    for part, start in enumerate(range(0, rows, PART_ROWS)):
        size = min(PART_ROWS, rows - start)
        for folder, skill, order in ((base, 0.40, part), (tuned, 0.45, 10_000 + part)):
            table = _part(np.random.default_rng(part), start, size, skill=skill, seed_order=order)
            if folder == tuned:  # the same examples and labels, the candidate's own predictions
                rng = np.random.default_rng(50_000 + part)
                score = np.clip(np.asarray(table["score"]) + rng.normal(0.03, 0.1, size) * np.asarray(table["label"]),
                                0, 1)
                table = table.set_column(3, "score", pa.array(np.round(score, 4)))
                table = table.set_column(2, "prediction", pa.array((score >= 0.5).astype(np.int8)))
            pq.write_table(table, folder / f"part-{part:05d}.parquet")
    for folder in (base, tuned):
        (folder / "_SUCCESS").write_text("")
    return base, tuned


def _timed(arguments: Sequence[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of a child process (which must succeed)."""
    start = time.perf_counter()
    child = subprocess.Popen(list(arguments), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        said = child.stderr.read().decode() if child.stderr is not None else ""
        raise SystemExit(f"{' '.join(arguments)} failed: {said[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Run the benchmark and print (and return) its summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--resamples", type=int, default=2_000)
    parser.add_argument("--memory-limit", default="", help="DuckDB's memory limit for both runs, such as 2GB")
    parser.add_argument("--local", action="store_true", help="also time the local engine on the same files")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "_data")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    base, tuned = make_files(args.data_dir, args.rows)
    if args.engine == "duckdb":
        files = {"base": f"read_parquet('{base}/*.parquet')", "tuned": f"read_parquet('{tuned}/*.parquet')"}
    else:
        files = {"base": "base", "tuned": "tuned"}
    baselines = [_timed([sys.executable, "-c", GROUP_BY[args.engine].format(
        query=query.format(**files), limit=args.memory_limit, base_dir=base, tuned_dir=tuned)])
        for query in (QUERY, NARROW_QUERY)]
    (group_seconds, group_mb), (narrow_seconds, narrow_mb) = baselines
    command = [sys.executable, "-m", "evaluation", "compare", f"{base}/", f"{tuned}/", "--engine", args.engine,
               "--format", "json", "--resamples", str(args.resamples),
               "--out", str(args.data_dir / f"{args.engine}_report.json")]
    if args.memory_limit and args.engine == "duckdb":
        command += ["--duckdb-memory-limit", args.memory_limit]
    seconds, mb = _timed(command)
    summary = {"rows": args.rows, "engine": args.engine, "group_by_seconds": group_seconds, "group_by_peak_mb": group_mb,
               "narrow_group_by_seconds": narrow_seconds, "narrow_group_by_peak_mb": narrow_mb,
               "compare_seconds": seconds, "compare_peak_mb": mb, "ratio": seconds / group_seconds,
               "narrow_ratio": seconds / narrow_seconds}
    print(f"{args.rows:,} paired rows (binary with scores, 4 metadata columns), Parquet")
    rows = [(f"{args.engine} join + GROUP BY, the same columns", group_seconds, group_mb),
            (f"{args.engine} join + GROUP BY, 5 columns alone", narrow_seconds, narrow_mb),
            (f"compare --engine {args.engine}", seconds, mb)]
    for name, spent, peak in rows:
        print(f"{name + ':':<45}{spent:8.2f} s   peak {peak:8.0f} MB")
    print(f"{'ratio to the same columns:':<45}{seconds / group_seconds:8.2f} x   (target: at most 2x; DuckDB under 3 GB)")
    print(f"{'ratio to the 5 columns alone:':<45}{seconds / narrow_seconds:8.2f} x")
    if args.local:
        local = [sys.executable, "-m", "evaluation", "compare", f"{base}/", f"{tuned}/", "--format", "json",
                 "--resamples", str(args.resamples), "--out", str(args.data_dir / "local_report.json")]
        local_seconds, local_mb = _timed(local)
        summary |= {"local_seconds": local_seconds, "local_peak_mb": local_mb}
        print(f"{'compare (local engine):':<45}{local_seconds:8.2f} s   peak {local_mb:8.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    main()
