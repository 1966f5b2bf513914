"""Speed and memory of ``python -m evaluation compare`` against naive baselines, in one run.

Prints, on the same machine and data:

1. the wall time of a Python process that only reads the two CSV files with pyarrow, as it is and
   with transparent huge pages turned off as ``python -m evaluation`` turns them off (the kernel's
   compaction for huge pages can stall either process; the faster of the two reads counts, so that
   the CLI's setting does not flatter the ratio);
2. the wall time and peak memory of the whole ``compare`` (files in, JSON with every interval out),
   and its ratio to (1) — the target is at most 5x and under 2 GB;
3. the paired bootstrap of accuracy and macro F1 (both models and their difference) by resampling
   row indices with numpy, timed on a few resamples and extrapolated, against the engine's
   count-based (at this size Poisson) bootstrap of the same statistics with the full number of resamples — and the two
   intervals side by side, to show they agree within Monte Carlo error.

Usage::

    python benchmarks/bench_compare.py                 # 1,000,000 rows, 10 classes, 10,000 resamples
    python benchmarks/bench_compare.py --rows 100000   # quicker
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evaluation._counts import pair_statistic, pair_table  # noqa: E402
from evaluation._metrics import confusion_metrics  # noqa: E402
from evaluation._resampling import POISSON_FROM, bootstrap_statistics, percentile_interval  # noqa: E402


def make_files(directory: Path, rows: int, classes: int, seed: int = 0) -> tuple[Path, Path]:
    """Write a baseline and a better candidate with probabilities and metadata (once per size)."""
    directory.mkdir(parents=True, exist_ok=True)
    base_path, cand_path = directory / f"base_{rows}_{classes}.csv", directory / f"cand_{rows}_{classes}.csv"
    if base_path.exists() and cand_path.exists():
        return base_path, cand_path
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, rows)
    metadata = {
        "region": rng.choice(["north", "south", "east", "west"], rows),
        "age": rng.integers(18, 90, rows),
        "channel": rng.choice(["web", "app", "store"], rows),
    }
    for path, strength in ((base_path, 1.0), (cand_path, 1.3)):
        logits = rng.normal(size=(rows, classes))
        logits[np.arange(rows), y] += strength
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        frame = pd.DataFrame({"id": np.arange(rows), "label": y, "prediction": probabilities.argmax(axis=1)})
        for c in range(classes):
            frame[f"prob_{c}"] = probabilities[:, c].round(6)
        for column, values in metadata.items():
            frame[column] = values
        frame.to_csv(path, index=False, float_format="%.6f")
    return base_path, cand_path


def run_process(arguments: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MB) of a child process."""
    start = time.perf_counter()
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(arguments)}\n{process.stderr.read().decode() if process.stderr else ''}")
    return elapsed, usage.ru_maxrss / 1024


def row_bootstrap(y: np.ndarray, base: np.ndarray, cand: np.ndarray, k: int, resamples: int,
                  rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The naive paired bootstrap: resample row indices, recount, recompute."""
    n = y.shape[0]
    out: dict[str, list[float]] = {"accuracy": [], "f1_macro": []}
    for _ in range(resamples):
        index = rng.integers(0, n, n)
        yy = y[index]
        values = {}
        for name, pred in (("base", base[index]), ("cand", cand[index])):
            tp = np.bincount(yy[yy == pred], minlength=k)
            values[name] = confusion_metrics(tp, np.bincount(pred, minlength=k), np.bincount(yy, minlength=k))
        for metric in out:
            out[metric].append(float(values["cand"][metric] - values["base"][metric]))
    return {metric: np.array(values) for metric, values in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--naive-resamples", type=int, default=20, help="row resamples timed, then extrapolated")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "_data")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each process (the best counts)")
    args = parser.parse_args()

    base_path, cand_path = make_files(args.data_dir, args.rows, args.classes)
    print(f"data: {args.rows:,} paired rows, {args.classes} classes with probabilities, 3 metadata columns "
          f"({base_path.stat().st_size / 1e6:.0f} MB per file)")

    read_code = "import pyarrow.csv as c, sys; c.read_csv(sys.argv[1]); c.read_csv(sys.argv[2])"
    # The same read in a process without transparent huge pages (Linux's prctl 41, PR_SET_THP_DISABLE).
    read_no_huge_pages = "import ctypes; ctypes.CDLL(None).prctl(41, 1, 0, 0, 0); " + read_code
    out = args.data_dir / "report.json"
    # Byte-compiled first, as installing the package or any earlier run leaves it (pyarrow's modules,
    # which the reading process imports, were compiled when pyarrow was installed); this matters
    # where PYTHONDONTWRITEBYTECODE is set.
    compileall.compile_dir(ROOT / "evaluation", quiet=1)
    # Interleaved, so that a busy spell of the machine slows both sides alike; best of each.
    read_runs, read_runs_no_huge_pages, compare_runs = [], [], []
    linux = sys.platform.startswith("linux")
    for _ in range(args.runs):
        read_runs.append(run_process([sys.executable, "-c", read_code, str(base_path), str(cand_path)])[0])
        if linux:
            read_runs_no_huge_pages.append(
                run_process([sys.executable, "-c", read_no_huge_pages, str(base_path), str(cand_path)])[0])
        compare_runs.append(run_process([sys.executable, "-m", "evaluation", "compare", str(base_path), str(cand_path),
                                         "--resamples", str(args.resamples), "--out", str(out)]))
    read_time = min(read_runs + read_runs_no_huge_pages)
    compare_time, peak_mb = min(compare_runs)
    print("\nwhole compare (CSV files in, JSON with every interval out), best of runs:")
    print(f"  python process reading both files with pyarrow: {min(read_runs):8.2f} s")
    if linux:
        print(f"    the same, transparent huge pages off:          {min(read_runs_no_huge_pages):8.2f} s")
    print(f"  python -m evaluation compare:                   {compare_time:8.2f} s   "
          f"ratio {compare_time / read_time:.2f}x (target <= 5x)")
    print(f"  peak memory of compare:                         {peak_mb:8.0f} MB  (target < 2048 MB)")

    frame_base = pd.read_csv(base_path, usecols=["label", "prediction"], engine="pyarrow")
    frame_cand = pd.read_csv(cand_path, usecols=["prediction"], engine="pyarrow")
    y = frame_base["label"].to_numpy()
    base, cand = frame_base["prediction"].to_numpy(), frame_cand["prediction"].to_numpy()
    k = args.classes

    start = time.perf_counter()
    row_bootstrap(y, base, cand, k, args.naive_resamples, np.random.default_rng(1))
    naive_time = (time.perf_counter() - start) / args.naive_resamples * args.resamples

    start = time.perf_counter()
    table = pair_table(y, base, cand, k)
    counted = bootstrap_statistics(table, pair_statistic(k, with_models=True), resamples=args.resamples,
                                   rng=np.random.default_rng(2))
    count_time = time.perf_counter() - start
    print(f"\npaired bootstrap of accuracy and macro F1 (both models and the difference), {args.resamples:,} "
          f"resamples:")
    print(f"  resampling row indices with numpy (extrapolated from {args.naive_resamples}): {naive_time:8.1f} s")
    draw = "Poisson" if table.n >= POISSON_FROM else "multinomial"
    print(f"  {draw} draw over {table.counts.shape[0]:,} occupied cells:                {count_time:8.2f} s   "
          f"speed-up {naive_time / count_time:,.0f}x")

    check = min(args.resamples, 200)
    naive_check = row_bootstrap(y, base, cand, k, check, np.random.default_rng(3))
    right_base, right_cand = base == y, cand == y
    only_base, only_cand = np.mean(right_base & ~right_cand), np.mean(right_cand & ~right_base)
    analytic = np.sqrt((only_base + only_cand - (only_cand - only_base) ** 2) / y.shape[0])
    print(f"  intervals of the difference ({check} row resamples vs {args.resamples:,} cell resamples; "
          f"analytic sd of the accuracy difference {analytic:.5f}):")
    for metric in ("accuracy", "f1_macro"):
        low, high = percentile_interval(naive_check[metric], confidence=0.95)
        low_c, high_c = percentile_interval(counted[metric], confidence=0.95)
        print(f"    {metric:9s} rows [{float(low):+.5f}, {float(high):+.5f}]  cells [{float(low_c):+.5f}, "
              f"{float(high_c):+.5f}]  sd {np.std(naive_check[metric]):.5f} vs {np.std(counted[metric]):.5f}")


if __name__ == "__main__":
    main()
