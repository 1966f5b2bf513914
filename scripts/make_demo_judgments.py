"""Write ``data/demo/generation_judgments.csv``: a judge's pairwise preferences between the generation demo's outputs.

The judge is a rule, not a person: for every message of ``generation_base.jsonl`` and
``generation_finetuned.jsonl`` it is shown the two translations twice, once in each order, and prefers
the one closer to Django's reference by sentence chrF (sacrebleu's default chrF). Two identical outputs
(or two at the same chrF) are a tie. When the two are close (chrF within ``CLOSE`` points of each
other) it cannot tell them apart and prefers the translation shown first, as language-model judges
are known to do: those messages flip their verdict with the order, which the dashboard reports as
position bias. Nothing is random, so the file is rewritten byte for byte from the two demo files.

Columns: ``id`` (the message), ``judge`` (always ``chrf-judge``), ``position`` (the model shown first,
``base`` or ``finetuned``) and ``winner`` (``base``, ``finetuned`` or ``tie``); two rows per message,
base shown first, then finetuned.

Run from the repository's root::

    .venv/bin/python scripts/make_demo_judgments.py
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from sacrebleu.metrics import CHRF

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
BASE, CANDIDATE = "base", "finetuned"
SOURCES = {BASE: DEMO / "generation_base.jsonl", CANDIDATE: DEMO / "generation_finetuned.jsonl"}
TARGET = DEMO / "generation_judgments.csv"
JUDGE = "chrf-judge"
CLOSE = 5.0
"""chrF points within which the judge cannot tell two translations apart and takes the one shown first."""


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def verdict(first: tuple[str, float, str], second: tuple[str, float, str]) -> str:
    """The winner of one judgment: ``(model, chrF, output)`` of the model shown first and of the one shown second.

    >>> verdict(("base", 40.0, "a"), ("finetuned", 60.0, "b")), verdict(("base", 40.0, "a"), ("finetuned", 42.0, "b"))
    ('finetuned', 'base')
    >>> verdict(("base", 40.0, "a"), ("finetuned", 40.0, "a"))
    'tie'
    """
    (first_model, first_score, first_output), (second_model, second_score, second_output) = first, second
    if first_output == second_output or first_score == second_score:
        return "tie"
    if abs(first_score - second_score) < CLOSE:
        return first_model  # too close to call: the slot shown first wins
    return first_model if first_score > second_score else second_model


def judgments(base: Sequence[dict], candidate: Sequence[dict]) -> str:
    """The judgments file's text (CSV) for the two demo files' rows, paired by position and checked by id."""
    chrf = CHRF()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "judge", "position", "winner"])
    for old, new in zip(base, candidate, strict=True):
        if old["id"] != new["id"] or old["reference"] != new["reference"]:
            raise ValueError(f"the demo files are not paired row by row at id {old['id']!r}")
        scored = {model: (model, chrf.sentence_score(row["output"], [row["reference"]]).score, row["output"])
                  for model, row in ((BASE, old), (CANDIDATE, new))}
        for first, second in ((BASE, CANDIDATE), (CANDIDATE, BASE)):
            writer.writerow([old["id"], JUDGE, first, verdict(scored[first], scored[second])])
    return out.getvalue()


def main() -> None:
    TARGET.write_text(judgments(_rows(SOURCES[BASE]), _rows(SOURCES[CANDIDATE])), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
