"""Speed and memory of ``python -m evaluation monitor`` against a pyarrow read of the same production log.

The issue's benchmark: 10,000,000 rows, 52 weekly windows, 10 metadata columns, within 5x a pyarrow
read. This script writes a synthetic log of ``--rows`` rows (a timestamp over 52 ISO weeks, three
classes with a prediction and probabilities, a quarter of the labels not arrived, 5 categorical and 5
numeric metadata columns, the later weeks shifted) and a 20,000-row test file, then prints:

1. the wall time of a Python process that only reads the log with pyarrow (``pyarrow.csv.read_csv``
   or ``pyarrow.parquet.read_table``);
2. the wall time and peak memory (the child's maximum resident set) of ``python -m evaluation monitor
   LOG --reference TEST --window 1w``, writing JSON, and its ratio to (1).

Until ``monitor`` is registered in ``python -m evaluation``, the command runs as ``python -m
evaluation._monitor_cli`` (the same code). Usage::

    python benchmarks/bench_monitor.py                  # 10,000,000 rows
    python benchmarks/bench_monitor.py --rows 1000000   # quicker
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
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
CLASSES = ("a", "b", "c")
WEEKS = 52
FIRST_MONDAY = np.datetime64("2025-01-06T00:00:00", "s")


def _table(rng: np.random.Generator, rows: int, *, shift: np.ndarray, with_time: bool) -> pa.Table:
    """Rows of a log or test file: outputs, labels, metadata (``shift``: per row, 0 to 1, how far its inputs moved)."""
    y = rng.integers(0, 3, rows)
    logits = rng.normal(size=(rows, 3)).astype(np.float32)
    logits[np.arange(rows), y] += 1.5
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    probabilities = np.round(probabilities, 6)
    probabilities[:, 2] = np.round(1.0 - probabilities[:, 0] - probabilities[:, 1], 6)
    columns: dict[str, pa.Array] = {}
    if with_time:
        seconds = np.sort(rng.integers(0, WEEKS * 7 * 86_400, rows))
        columns["timestamp"] = pa.array(FIRST_MONDAY + seconds.astype("timedelta64[s]"))
    labels = np.array(CLASSES)[y].astype(object)
    if with_time:
        labels[rng.random(rows) < 0.25] = None  # not arrived yet
    columns["label"] = pa.array(labels, type=pa.string())
    columns["prediction"] = pa.array(np.array(CLASSES)[probabilities.argmax(axis=1)])
    for k, name in enumerate(CLASSES):
        columns[f"prob_{name}"] = pa.array(probabilities[:, k].astype(np.float64))
    for j in range(5):
        levels = np.array([f"level_{i}" for i in range(3 + j)])
        codes = rng.integers(0, levels.size, rows)
        moved = rng.random(rows) < 0.3 * shift  # later weeks: more of the first level
        codes[moved] = 0
        columns[f"category_{j}"] = pa.array(levels[codes])
    for j in range(5):
        columns[f"number_{j}"] = pa.array(np.round(rng.normal(0.5 * shift * (j == 0), 1.0, rows), 4))
    return pa.table(columns)


def make_files(directory: Path, rows: int, *, file_format: str = "csv", seed: int = 0) -> tuple[Path, Path]:
    """Write the log and the test file (once per size and format)."""
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / f"monitor_log_{rows}.{file_format}"
    test = directory / "monitor_test_20000.csv"
    rng = np.random.default_rng(seed)
    if not test.exists():
        pa_csv.write_csv(_table(rng, 20_000, shift=np.zeros(20_000), with_time=False), test)
    if not log.exists():
        week = np.arange(rows) * WEEKS // max(rows, 1)
        table = _table(rng, rows, shift=np.clip((week - 30) / 20, 0, 1), with_time=True)
        if file_format == "parquet":
            pq.write_table(table, log)
        else:
            pa_csv.write_csv(table, log)
    return log, test


def _timed(arguments: Sequence[str]) -> tuple[float, float, int]:
    """Wall seconds, peak resident memory (MB) and exit status of a child process."""
    start = time.perf_counter()
    child = subprocess.Popen(list(arguments), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        said = child.stderr.read().decode() if child.stderr is not None else ""
        raise SystemExit(f"{' '.join(arguments)} exited {child.returncode}: {said[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, child.returncode


def _command() -> list[str]:
    """``python -m evaluation monitor``."""
    return [sys.executable, "-m", "evaluation", "monitor"]


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Run the benchmark and print (and return) its summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "_data")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    log, test = make_files(args.data_dir, args.rows, file_format=args.format)
    reader = (f"import pyarrow.csv as c; c.read_csv({str(log)!r})" if args.format == "csv"
              else f"import pyarrow.parquet as q; q.read_table({str(log)!r})")
    read_seconds, read_mb, _ = _timed([sys.executable, "-c", reader])
    out = args.data_dir / "monitor_report.json"
    monitor_seconds, monitor_mb, _ = _timed([*_command(), str(log), "--reference", str(test), "--window", "1w",
                                             "--resamples", str(args.resamples), "--out", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))
    summary = {"rows": float(args.rows), "windows": float(len(report["windows"])), "read_seconds": read_seconds,
               "read_peak_mb": read_mb, "monitor_seconds": monitor_seconds, "monitor_peak_mb": monitor_mb,
               "monitor_over_read": monitor_seconds / read_seconds}
    print(f"{args.rows:,} rows, {len(report['windows'])} weekly windows, 10 metadata columns ({args.format})")
    print(f"pyarrow read:       {read_seconds:8.2f} s   peak {read_mb:8.0f} MB")
    print(f"monitor (to JSON):  {monitor_seconds:8.2f} s   peak {monitor_mb:8.0f} MB")
    print(f"ratio:              {summary['monitor_over_read']:8.2f} x   (target: at most 5x)")
    if args.json:
        args.json.write_text(json.dumps(summary), encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
