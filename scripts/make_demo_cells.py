"""Write ``data/demo/cells.csv``: the classification demo's cell table, made by the SQL ``docs/scale.md`` shows.

A cell table holds how many test examples have each (true label, each model's prediction, slice): here the
digits demo's two files (``base.csv``, ``finetuned.csv``) joined on their ids by DuckDB and counted per label,
prediction of each model and scanner. ``python -m evaluation compare data/demo/cells.csv --input cells`` then
gives the count metrics of the comparison of the files themselves. The rows are sorted, so running it again
writes the same bytes.

Usage::

    .venv/bin/python scripts/make_demo_cells.py
"""

from __future__ import annotations

from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
TARGET = DEMO / "cells.csv"
SQL = """
SELECT b.label, b.prediction AS pred_base, f.prediction AS pred_finetuned, b.scanner, count(*) AS n
FROM read_csv('{base}') AS b JOIN read_csv('{finetuned}') AS f USING (id)
GROUP BY b.label, b.prediction, f.prediction, b.scanner
ORDER BY b.label, b.prediction, f.prediction, b.scanner
"""


def write(target: Path = TARGET) -> Path:
    """Count the cells and write them as CSV."""
    cells = duckdb.sql(SQL.format(base=DEMO / "base.csv", finetuned=DEMO / "finetuned.csv")).df()
    cells.to_csv(target, index=False, lineterminator="\n")
    return target


if __name__ == "__main__":
    print(write())
