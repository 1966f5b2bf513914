"""Write ``data/demo/shift_test.csv`` and ``data/demo/shift_production.csv``, the demo of ``python -m evaluation shift``.

The story. The digit-recognition service of the classification demo (``data/demo/base.csv``, the base
model's predictions on the held-out test images, each tagged with its ``scanner`` and its ``ink``)
went live. Its test set is a seeded half of ``base.csv``'s rows, written as they are. Later, in
production, the traffic changed: more documents now arrive by fax and by phone photo, fewer from
flatbed scanners. The production file is drawn from the other half of the rows, with replacement,
each row weighted by its scanner (:data:`WEIGHTS`: a fax four times, a phone photo twice as likely
as a flatbed scan), and it has no labels (production rows are not labelled) and no split column; its
ids are new (``prod-NNNN``). So ``scanner`` drifts, ``ink`` with it (faxes carry more ink), and so do
the model's confidence and predictions; on production's mix of scanners, which favours the scanners
the model reads worse, its expected accuracy is lower than on the test set.

The script draws from a seeded generator and writes the rows' text exactly as read (no number is
reformatted), so it rewrites both files byte for byte. Run from the repository's root::

    .venv/bin/python scripts/make_demo_shift.py
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
SOURCE = DEMO / "base.csv"
TEST = DEMO / "shift_test.csv"
PRODUCTION = DEMO / "shift_production.csv"
SEED = 20261130
PRODUCTION_ROWS = 600
WEIGHTS = {"flatbed": 1.0, "phone": 2.0, "fax": 4.0}
"""How much more likely a production row is to come through each scanner than in the test set."""
DROPPED = ("label", "split")
"""Columns production rows do not have."""


def tables(source: Path = SOURCE) -> tuple[str, str]:
    """The test file's and the production file's text, from the classification demo's base-model file."""
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(rows))
    half = len(rows) // 2
    test = sorted(order[:half].tolist())
    pool = np.sort(order[half:])
    scanner = header.index("scanner")
    weights = np.array([WEIGHTS[rows[i][scanner]] for i in pool])
    drawn = rng.choice(pool, size=PRODUCTION_ROWS, replace=True, p=weights / weights.sum())
    keep = [j for j, name in enumerate(header) if name not in DROPPED]
    identifier = header.index("id")
    test_text, production_text = io.StringIO(), io.StringIO()
    writer = csv.writer(test_text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows[i] for i in test)
    writer = csv.writer(production_text, lineterminator="\n")
    writer.writerow([header[j] for j in keep])
    for number, i in enumerate(drawn.tolist(), start=1):
        row = list(rows[i])
        row[identifier] = f"prod-{number:04d}"
        writer.writerow([row[j] for j in keep])
    return test_text.getvalue(), production_text.getvalue()


def main() -> None:
    """Write the two files."""
    test, production = tables()
    TEST.write_text(test, encoding="utf-8", newline="")
    PRODUCTION.write_text(production, encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
