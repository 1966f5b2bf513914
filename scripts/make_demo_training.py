"""Write ``data/demo/generation_training.jsonl``: a fine-tuning file that leaks some of the text demo's test messages.

The text demo's messages (``data/demo/generation_base.jsonl``) are held out from the data its versions were
built from. This file shows what ``compare --training-data`` finds when that goes wrong: 24 training rows
with ids of their own (``train-NN``) whose prompts are test messages, every 14th of the 330 in file order;
16 copied as they are and 8 re-cased with a full stop added (near-duplicates, not exact copies). Nothing is
random: running it again writes the same bytes.

Usage::

    .venv/bin/python scripts/make_demo_training.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data" / "demo" / "generation_base.jsonl"
TARGET = ROOT / "data" / "demo" / "generation_training.jsonl"


def rows() -> list[dict[str, str]]:
    """The training rows: every 14th test message, every third of them edited."""
    messages = [json.loads(line) for line in SOURCE.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = []
    for number, message in enumerate(messages[::14]):
        prompt = message["prompt"]
        if number % 3 == 2:  # re-cased and punctuated: a near-duplicate, not an exact copy
            prompt = prompt.upper().rstrip(".") + "."
        out.append({"id": f"train-{number:02d}", "prompt": prompt, "completion": message["reference"]})
    return out


def main() -> None:
    TARGET.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows()), encoding="utf-8")


if __name__ == "__main__":
    main()
