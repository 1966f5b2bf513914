"""Write the regression demo of ``python -m evaluation monitor``: a production log over twelve weeks, and its test set.

The story. The disease-progression model of the regression demo (``data/demo/regression_base.csv``:
a linear regression on body mass index and blood pressure, predicting the progression of diabetes
one year on) went live in a clinic. The test set is a seeded half of the demo's held-out patients,
written as read: ``monitor_regression_test.csv``. Production is drawn from the other half, with
replacement, :data:`ROWS_PER_WEEK` rows a week for :data:`WEEKS` weeks starting on Monday
:data:`FIRST_MONDAY`. In the first six weeks every patient is as likely as in the test set. From the
seventh, a specialist clinic refers its patients too, and patients whose disease progresses fast
arrive more and more often: each patient is weighted by ``exp(k * (progression - mean))``, with
``k`` from :data:`LATER_STRENGTHS` (0.005 in week 7, 0.02 from week 10). The model regresses to
the mean, so it underestimates exactly those patients, and its errors grow. The true progression
of the last :data:`UNLABELLED_WEEKS` weeks' patients is not known yet (blank). Each row's time is a
seeded random moment of its week.

``monitor_regression_production.csv`` holds ``id``, ``timestamp``, ``label`` (the true progression,
blank when not yet known), ``prediction``, ``sex``, ``age_band`` and ``bmi_band``. Values are
written as read (nothing is reformatted: the true values stay whole numbers, the predictions keep
their two decimals), so the script rewrites both files byte for byte. Run from the repository's
root::

    .venv/bin/python scripts/make_demo_monitor_regression.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the classification demo's script, beside this one
from make_demo_monitor import _read, _text  # its CSV reading and writing, the same for both demos

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
BASE = DEMO / "regression_base.csv"
TEST, PRODUCTION = DEMO / "monitor_regression_test.csv", DEMO / "monitor_regression_production.csv"
SPLIT_SEED = 20261130
SEED = 20261202
WEEKS = 12
ROWS_PER_WEEK = 300
UNLABELLED_WEEKS = 2
FIRST_MONDAY = np.datetime64("2026-08-31T00:00:00", "s")
LATER_STRENGTHS = (0.005, 0.01, 0.015, 0.02, 0.02, 0.02)
"""Weeks 7 to 12: how strongly a patient's weight grows with the true progression (per unit of progression)."""


def tables() -> dict[Path, str]:
    """Each file's text."""
    header, base = _read(BASE)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(base))
    half = len(base) // 2
    test = sorted(order[:half].tolist())
    pool = np.sort(order[half:])
    at = {name: header.index(name) for name in ("id", "label", "prediction", "sex", "age_band", "bmi_band")}
    progression = np.array([float(base[i][at["label"]]) for i in pool])
    rng = np.random.default_rng(SEED)
    drawn, times = [], []
    for week in range(WEEKS):
        weights = np.ones(pool.size)
        later = week - (WEEKS - len(LATER_STRENGTHS))
        if later >= 0:
            weights = np.exp(LATER_STRENGTHS[later] * (progression - progression.mean()))
        drawn.append(rng.choice(pool, size=ROWS_PER_WEEK, replace=True, p=weights / weights.sum()))
        seconds = np.sort(rng.integers(0, 7 * 86_400, size=ROWS_PER_WEEK))
        times.append(FIRST_MONDAY + np.timedelta64(7 * 86_400 * week, "s") + seconds.astype("timedelta64[s]"))
    rows, stamps = np.concatenate(drawn), np.concatenate(times)
    unlabelled_from = FIRST_MONDAY + np.timedelta64(7 * 86_400 * (WEEKS - UNLABELLED_WEEKS), "s")
    log_header = ["id", "timestamp", "label", "prediction", "sex", "age_band", "bmi_band"]
    log = []
    for number, (i, stamp) in enumerate(zip(rows.tolist(), stamps, strict=True), start=1):
        label = base[i][at["label"]] if stamp < unlabelled_from else ""
        log.append([f"visit-{number:05d}", str(stamp), label, base[i][at["prediction"]],
                    *(base[i][at[name]] for name in ("sex", "age_band", "bmi_band"))])
    return {TEST: _text(header, [base[i] for i in test]), PRODUCTION: _text(log_header, log)}


def main() -> None:
    """Write the two files."""
    for path, text in tables().items():
        path.write_text(text, encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
