"""``benchmarks/bench_monitor.py`` keeps working: its files load in the engine and one tiny run completes.

No timing is asserted: the script prints times for a person to read (and the machine may be busy).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from benchmarks.bench_monitor import main, make_files
from evaluation._monitor import analyze_monitor
from evaluation._monitor_data import read_monitor


def test_the_generated_log_loads_and_spans_52_weeks(tmp_path: Path) -> None:
    log, test = make_files(tmp_path, 2_000)
    data = read_monitor([log], [test])
    assert data.n == 2_000 and len(data.columns) == 10
    assert 0.6 < (data.y_true >= 0).mean() < 0.9  # about a quarter of the labels have not arrived
    report = analyze_monitor(data, "1w", resamples=20, drift_permutations=0)
    assert len(report.windows) == 52


def test_one_tiny_run(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    summary = main(["--rows", "2000", "--resamples", "20", "--data-dir", str(tmp_path), "--json", str(out)])
    assert summary["windows"] == 52
    for key in ("read_seconds", "monitor_seconds", "monitor_over_read", "monitor_peak_mb"):
        assert math.isfinite(summary[key]) and summary[key] > 0
    assert json.loads(out.read_text(encoding="utf-8")) == summary
