"""Run ``python -m evaluation compare`` many times and report every run that ended as a bug (exit 3).

The command line imports SciPy on a second thread while it reads the files. A module imported on two
threads at once can be seen half-initialised by one of them; before pandas was imported on the main
thread first, about 1 run in 370 ended with "partially initialized module 'pandas'". A race that rare
shows only over many fresh processes, so this is a script to run by hand, not a timed test.

Usage::

    python benchmarks/stress_cli_imports.py                 # 100 runs on the demo files, 2 at a time
    python benchmarks/stress_cli_imports.py --runs 1000 --jobs 4
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXIT_BUG = 3
DEFAULT_FILES = (ROOT / "data" / "demo" / "base.csv", ROOT / "data" / "demo" / "finetuned.csv")


def run_once(files: list[str]) -> subprocess.CompletedProcess[str]:
    """One fresh ``python -m evaluation compare`` on ``files``, few resamples, output discarded."""
    command = [sys.executable, "-m", "evaluation", "compare", *files, "--resamples", "200", "--slice-resamples", "50",
               "--out", os.devnull]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


def main(argv: list[str] | None = None) -> int:
    """Run the command ``--runs`` times, ``--jobs`` at once; exit 1 when any run ended with status 3."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", default=[str(path) for path in DEFAULT_FILES],
                        help="prediction files (default: the demo's)")
    parser.add_argument("--runs", type=int, default=100, help="fresh processes to start (default 100)")
    parser.add_argument("--jobs", type=int, default=2, help="processes at once (default 2)")
    args = parser.parse_args(argv)
    statuses: dict[int, int] = {}
    bugs: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for index, result in enumerate(pool.map(lambda _: run_once(args.files), range(args.runs)), start=1):
            statuses[result.returncode] = statuses.get(result.returncode, 0) + 1
            if result.returncode == EXIT_BUG:
                bugs.append(f"run {index}: {result.stderr.strip()}")
    print(f"{args.runs} runs; exit statuses: " + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items())))
    for bug in bugs:
        print(bug)
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
