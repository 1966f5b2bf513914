"""Dashboard speed on a 100,000-row comparison, against naive baselines, in one run.

Measures what the dashboard does, without a browser:

1. the first page after an upload: loading the two uploaded files' bytes, the comparison with the
   dashboard's settings and the Overview's figures — target under 3 s — against the naive way of
   getting the same headline intervals: a pandas/scikit-learn loop bootstrapping rows (timed on a
   few resamples, extrapolated to the same number);
2. a threshold-slider move: every model's metrics at the new threshold and the two figures that
   depend on it — target under 0.5 s — against recomputing the whole comparison for it;
3. choosing another slice column: building its forest plot from the cached report.

Usage::

    python benchmarks/bench_dashboard.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import metrics as skm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components import charts  # noqa: E402
from components.state import DASHBOARD_SETTINGS  # noqa: E402
from evaluation import compare, load_classification, metrics_at_threshold  # noqa: E402


def make_upload(rows: int, seed: int = 0) -> list[tuple[str, bytes]]:
    """Two binary prediction files with a score and metadata, as uploaded bytes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, rows)
    metadata = {"region": rng.choice(["north", "south", "east", "west"], rows), "age": rng.integers(18, 90, rows)}
    files = []
    for name, shift in (("base.csv", 0.8), ("finetuned.csv", 1.1)):
        score = 1 / (1 + np.exp(-(rng.normal(size=rows) + shift * (2 * y - 1))))
        frame = pd.DataFrame({"id": np.arange(rows), "label": y, "score": score.round(6), **metadata})
        files.append((name, frame.to_csv(index=False).encode()))
    return files


def timed(function: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of a few runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    files = make_upload(args.rows)
    settings = DASHBOARD_SETTINGS

    def first_page() -> None:
        data = load_classification(files)
        report = compare(data, settings=settings)
        charts.metric_intervals_figure(report)
        charts.difference_forest_figure(report.comparisons[0], confidence=settings.confidence)

    first = timed(first_page, repeat=2)
    data = load_classification(files)
    report = compare(data, settings=settings)

    naive_resamples = 20
    frames = [pd.read_csv(io.BytesIO(content)) for _, content in files]
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    for _ in range(naive_resamples):
        index = rng.integers(0, args.rows, args.rows)
        for frame in frames:
            y, predicted = frame["label"].to_numpy()[index], frame["score"].to_numpy()[index] >= 0.5
            skm.f1_score(y, predicted, average="macro")
            skm.accuracy_score(y, predicted)
            skm.roc_auc_score(y, frame["score"].to_numpy()[index])
    naive_first = (time.perf_counter() - start) / naive_resamples * settings.resamples

    positive = data.y_true == data.classes.index(data.positive_label)
    label = str(data.positive_label)

    def slider(threshold: float = 0.37) -> None:
        for model in data.models:
            assert model.y_score is not None
            metrics_at_threshold(positive, model.y_score[:, data.classes.index(label)], threshold)
        charts.threshold_metrics_figure(report, label, threshold=threshold)
        charts.pr_curve_figure(report, label, threshold=threshold)

    slider_time = timed(slider)
    naive_slider = timed(lambda: compare(data, settings=settings), repeat=1)
    slice_time = timed(lambda: charts.slice_forest_figure(report.comparisons[0], "age", "f1_macro"))

    print(f"{args.rows:,} paired rows, binary with scores, 2 metadata columns; dashboard settings: "
          f"{settings.resamples:,} resamples, {settings.slice_resamples:,} per slice")
    print(f"first page after upload (load + compare + overview figures): {first:7.2f} s  (target < 3 s)")
    print(f"  naive row bootstrap with scikit-learn, extrapolated:       {naive_first:7.1f} s  "
          f"speed-up {naive_first / first:,.0f}x")
    print(f"threshold slider move (metrics of every model + 2 figures):  {slider_time:7.3f} s  (target < 0.5 s)")
    print(f"  naive: recompute the comparison:                           {naive_slider:7.2f} s  "
          f"speed-up {naive_slider / slider_time:,.0f}x")
    print(f"another slice column (forest plot from the cached report):   {slice_time:7.3f} s  (target < 0.5 s)")


if __name__ == "__main__":
    main()
