"""Write the demo of ``python -m evaluation monitor``: a production log over twelve weeks, and its test sets.

The story. The digit-recognition service of the classification demo went live with the base model
(``data/demo/base.csv``); the fine-tuned model (``data/demo/finetuned.csv``), which won the offline
comparison, scores the same traffic in shadow mode before it replaces it. The test set is a seeded
half of the demo's rows (the same half as ``scripts/make_demo_shift.py``'s), written for each model:
``monitor_test.csv`` (base) and ``monitor_test_finetuned.csv``. Production is drawn from the other
half, with replacement, :data:`ROWS_PER_WEEK` rows a week for :data:`WEEKS` weeks starting on Monday
:data:`FIRST_MONDAY`: in the first six weeks every row is as likely as in the test set; from the
seventh, documents arrive more and more often by fax, each row weighted by its scanner
(:data:`LATER_WEIGHTS`: a fax 3 times as likely as in the test set in week 7, 40 times in week 12).
The fine-tuned model reads fax scans worse than the base model, so its advantage melts and its
accuracy drops. The labels of the last
:data:`UNLABELLED_WEEKS` weeks have not arrived yet (blank). Each row's time is a seeded random
moment of its week.

``monitor_production.csv`` holds the base model's outputs with the log's columns (``id``,
``timestamp``, ``label``, ``prediction``, ``prob_0`` ... ``prob_9``, ``scanner``, ``ink``);
``monitor_production_finetuned.csv`` the fine-tuned model's outputs on the same rows (``id``,
``timestamp``, ``prediction``, the probabilities). Values are written as read (nothing is
reformatted), so the script rewrites the four files byte for byte. Run from the repository's root::

    .venv/bin/python scripts/make_demo_monitor.py
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
BASE, FINETUNED = DEMO / "base.csv", DEMO / "finetuned.csv"
TEST, TEST_FINETUNED = DEMO / "monitor_test.csv", DEMO / "monitor_test_finetuned.csv"
PRODUCTION, PRODUCTION_FINETUNED = DEMO / "monitor_production.csv", DEMO / "monitor_production_finetuned.csv"
SPLIT_SEED = 20261130
"""The seed of ``scripts/make_demo_shift.py``'s split: the same test half."""
SEED = 20261201
WEEKS = 12
ROWS_PER_WEEK = 300
UNLABELLED_WEEKS = 2
FIRST_MONDAY = np.datetime64("2026-08-31T00:00:00", "s")
LATER_WEIGHTS = {"flatbed": (1, 1, 1, 1, 1, 1), "phone": (1, 1, 1, 1, 1, 1), "fax": (3, 6, 12, 20, 30, 40)}
"""Weeks 7 to 12: how much more likely a row is to come through each scanner than in the test set."""


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    """A CSV file's header and rows, as text."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, list(reader)


def _text(header: list[str], rows: list[list[str]]) -> str:
    """CSV text, ``\\n`` line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def tables() -> dict[Path, str]:
    """Each file's text."""
    header, base = _read(BASE)
    header_finetuned, finetuned = _read(FINETUNED)
    assert header == header_finetuned and [r[0] for r in base] == [r[0] for r in finetuned]
    order = np.random.default_rng(SPLIT_SEED).permutation(len(base))
    half = len(base) // 2
    test = sorted(order[:half].tolist())
    pool = np.sort(order[half:])
    scanner = np.array([base[i][header.index("scanner")] for i in pool])
    rng = np.random.default_rng(SEED)
    drawn, times = [], []
    for week in range(WEEKS):
        weights = np.ones(pool.size)
        if week >= WEEKS - len(LATER_WEIGHTS["fax"]):
            later = week - (WEEKS - len(LATER_WEIGHTS["fax"]))
            weights = np.array([float(LATER_WEIGHTS[s][later]) for s in scanner])
        drawn.append(rng.choice(pool, size=ROWS_PER_WEEK, replace=True, p=weights / weights.sum()))
        seconds = np.sort(rng.integers(0, 7 * 86_400, size=ROWS_PER_WEEK))
        times.append(FIRST_MONDAY + np.timedelta64(7 * 86_400 * week, "s") + seconds.astype("timedelta64[s]"))
    rows, stamps = np.concatenate(drawn), np.concatenate(times)
    unlabelled_from = FIRST_MONDAY + np.timedelta64(7 * 86_400 * (WEEKS - UNLABELLED_WEEKS), "s")
    probabilities = [j for j, name in enumerate(header) if name.startswith("prob_")]
    at = {name: header.index(name) for name in ("label", "prediction", "scanner", "ink")}
    log_header = ["id", "timestamp", "label", "prediction", *(header[j] for j in probabilities), "scanner", "ink"]
    shadow_header = ["id", "timestamp", "prediction", *(header[j] for j in probabilities)]
    log, shadow = [], []
    for number, (i, stamp) in enumerate(zip(rows.tolist(), stamps, strict=True), start=1):
        identifier, when = f"prod-{number:05d}", str(stamp)
        label = base[i][at["label"]] if stamp < unlabelled_from else ""
        log.append([identifier, when, label, base[i][at["prediction"]], *(base[i][j] for j in probabilities),
                    base[i][at["scanner"]], base[i][at["ink"]]])
        shadow.append([identifier, when, finetuned[i][at["prediction"]], *(finetuned[i][j] for j in probabilities)])
    return {TEST: _text(header, [base[i] for i in test]), TEST_FINETUNED: _text(header, [finetuned[i] for i in test]),
            PRODUCTION: _text(log_header, log), PRODUCTION_FINETUNED: _text(shadow_header, shadow)}


def main() -> None:
    """Write the four files."""
    for path, text in tables().items():
        path.write_text(text, encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
