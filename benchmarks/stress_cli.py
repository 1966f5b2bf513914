"""Run ``python -m evaluation compare`` many times in fresh processes and count the exit statuses.

A race between threads importing modules shows only over many fresh processes: the command once exited
3 with "partially initialized module 'pandas' has no attribute '_pandas_datetime_CAPI'" in about 1 run
of 370, because SciPy was imported on a second thread while the files were read (and pandas with it,
through Arrow's conversions, on the loader's threads). Every module is now imported on the main thread
before any thread starts; ``tests/evaluation/test_cli_imports.py`` checks that in one run, this script
checks that no run of many ends as a bug. It is a script to run by hand, not a timed test.

Usage::

    python benchmarks/stress_cli.py                       # 400 runs of the audit's command, 2 at a time
    python benchmarks/stress_cli.py --runs 1000 --jobs 4
    python benchmarks/stress_cli.py --runs 100 -- compare data/demo/base.csv data/demo/finetuned.csv --format html

Prints the count of each exit status and the message of every run that exited 3; exits 1 when any did.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXIT_BUG = 3
DEMO = ROOT / "data" / "demo"
# The command of the audit that exited 3, with few resamples: the race is in the start-up, not the statistics.
DEFAULT_COMMAND = ("compare", str(DEMO / "base.csv"), str(DEMO / "finetuned.csv"), "--resamples", "200",
                   "--slice-resamples", "50", "--out", os.devnull,
                   "--fail-on-regression", "log_loss", "roc_auc", "average_precision")


def run_once(command: list[str]) -> subprocess.CompletedProcess[str]:
    """One fresh ``python -m evaluation`` with ``command``, from the project folder."""
    return subprocess.run([sys.executable, "-m", "evaluation", *command], cwd=ROOT, capture_output=True, text=True)


def main(argv: list[str] | None = None) -> int:
    """Run the command ``--runs`` times, ``--jobs`` at once; exit 1 when any run ended with status 3."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=400, help="fresh processes to start (default 400)")
    parser.add_argument("--jobs", type=int, default=2, help="processes at once (default 2)")
    parser.add_argument("command", nargs="*", help="the arguments after python -m evaluation (default: the audit's command)")
    args = parser.parse_args(argv)
    command = list(args.command or DEFAULT_COMMAND)
    statuses: Counter[int] = Counter()
    bugs: list[str] = []
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for index, result in enumerate(pool.map(lambda _: run_once(command), range(args.runs)), start=1):
            statuses[result.returncode] += 1
            if result.returncode == EXIT_BUG:
                bugs.append(f"run {index}: {result.stderr.strip()}")
            if index % 50 == 0:
                print(f"{index} runs ...", file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(f"python -m evaluation {' '.join(command)}")
    print(f"{args.runs} runs, {args.jobs} at a time, {elapsed:.0f} s; exit statuses: "
          + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items())))
    for bug in bugs:
        print(bug)
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
