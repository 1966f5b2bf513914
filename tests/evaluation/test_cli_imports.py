"""The command imports every module on its main thread, and says what is missing outside its environment.

A module imported on two threads at once can be seen half-initialised by one of them: the command
once exited 3 with "partially initialized module 'pandas' has no attribute '_pandas_datetime_CAPI'"
(about 1 run in 370) while SciPy was imported on a second thread during the reading, and Arrow
loaded its pandas integration on a loader's worker thread. ``benchmarks/stress_cli.py`` runs the
command hundreds of times; the test here catches the cause in one process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from evaluation._cli import EXIT_BAD_INPUT

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
FAST = ["--resamples", "200", "--slice-resamples", "50"]

# Records, in a fresh process, every module a thread other than the main one imports while the command
# runs on each input (the first run imports most; each later one what only its path needs).
WATCH = """
import json, sys, threading
off_main = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        if threading.current_thread() is not threading.main_thread():
            off_main.append((threading.current_thread().name, name))
        return None
sys.meta_path.insert(0, Watch())
from evaluation._cli import main
statuses = [main(arguments) for arguments in json.loads(sys.argv[1])]
print(json.dumps({"statuses": statuses, "off_main": off_main}))
"""


def test_no_module_is_imported_off_the_main_thread(tmp_path: Path) -> None:
    base = pd.read_csv(DEMO / "base.csv")
    tuned = pd.read_csv(DEMO / "finetuned.csv")
    base.to_parquet(tmp_path / "base.parquet")
    tuned.to_json(tmp_path / "tuned.jsonl", orient="records", lines=True)
    out = str(tmp_path / "out")
    runs = [
        ["compare", str(DEMO / "base.csv"), str(DEMO / "finetuned.csv"), *FAST, "--out", out,
         "--fail-on-regression", "log_loss", "roc_auc", "average_precision", "--gate-slices"],
        ["compare", str(DEMO / "binary_base.csv"), str(DEMO / "binary_finetuned.csv"), *FAST, "--out", out,
         "--positive-label", "malignant", "--target-recall", "0.95", "--format", "markdown",
         "--flips-out", str(tmp_path / "flips.csv")],
        ["compare", str(DEMO / "regression_base.csv"), str(DEMO / "regression_finetuned.csv"), "--task", "regression",
         *FAST, "--out", out, "--flips-out", str(tmp_path / "flips.csv")],
        ["compare", str(tmp_path / "base.parquet"), str(tmp_path / "tuned.jsonl"), *FAST, "--out", out],
    ]
    result = subprocess.run([sys.executable, "-c", WATCH, json.dumps(runs)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["statuses"] == [0, 0, 0, 0], result.stderr
    assert found["off_main"] == []  # before the fix: SciPy's modules, pyarrow.pandas_compat, ...


def _without_numpy(*arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m evaluation`` on this interpreter without its site-packages (``-S``): numpy cannot be imported."""
    return subprocess.run([sys.executable, "-S", "-m", "evaluation", *arguments], cwd=ROOT, capture_output=True,
                          text=True)


def test_a_python_without_the_requirements_is_told_how_to_run_the_command() -> None:
    probe = subprocess.run([sys.executable, "-S", "-c", "import numpy"], capture_output=True, text=True)
    assert probe.returncode == 1 and "No module named 'numpy'" in probe.stderr  # the situation under test
    result = _without_numpy("compare", "data/demo/base.csv", "data/demo/finetuned.csv", "--format", "markdown")
    assert result.returncode == EXIT_BAD_INPUT
    assert "Traceback" not in result.stderr and result.stdout == ""
    first, second = result.stderr.splitlines()
    assert first == (f"error: python -m evaluation needs numpy, which this Python ({sys.executable}, "
                     f"{sys.version.split()[0]}) cannot import")
    assert second == ("run it with the project's environment: .venv/bin/python -m evaluation compare data/demo/base.csv "
                      "data/demo/finetuned.csv --format markdown (set it up once, in the project folder: "
                      "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt)")


def test_the_message_without_arguments_shows_the_command_to_type(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-S", "-m", "evaluation"], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == EXIT_BAD_INPUT and "Traceback" not in result.stderr
    python = ROOT / ".venv" / "bin" / "python"  # run from elsewhere: the full path
    assert f"{python} -m evaluation compare BASELINE CANDIDATE" in result.stderr
