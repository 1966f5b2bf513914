"""The demo's judgments file is what ``scripts/make_demo_judgments.py`` writes from the two demo files, byte for byte,
and the engine reads it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from evaluation._preferences import compare_preferences, read_judgments

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_demo_judgments", ROOT / "scripts" / "make_demo_judgments.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DEMO / name).read_text(encoding="utf-8").splitlines()]


def test_the_committed_file_is_reproduced_byte_for_byte() -> None:
    written = _script().judgments(_rows("generation_base.jsonl"), _rows("generation_finetuned.jsonl"))
    assert written == (DEMO / "generation_judgments.csv").read_text(encoding="utf-8")


def test_every_message_is_judged_in_both_orders_by_one_judge() -> None:
    judged = read_judgments(DEMO / "generation_judgments.csv", baseline="base", candidate="finetuned")
    result = compare_preferences(judged, resamples=100)
    assert (result.n_judgments, result.n_ids, result.judges) == (660, 330, 1)
    assert result.position_bias is not None and result.position_bias.pairs == 330
    assert result.position_bias.favours_second == 0  # the judge only ever favours the answer shown first
