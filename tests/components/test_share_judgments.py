"""A share carries a comparison's judgments file: stored after the prediction files, named in the payload, and
given back as the comparison's judgments (not as one more prediction file); shares without one are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from components import state
from components.share_store import SharedComparison, ShareStore

FILES = (("base.jsonl", b'{"id": "1", "output": "a", "reference": "a"}\n'),
         ("tuned.jsonl", b'{"id": "1", "output": "b", "reference": "a"}\n'))
JUDGMENTS = ("judgments.csv", b"id,winner\n1,tuned\n")


def spec(judgments: tuple[str, bytes] | None) -> state.ComparisonSpec:
    return state.ComparisonSpec(files=FILES, names=("base", "tuned"), baseline="base", task="generation",
                                judgments=judgments)


def round_trip(tmp_path: Path, shared: state.ComparisonSpec) -> tuple[SharedComparison, state.ComparisonSpec]:
    store = ShareStore(tmp_path / "shares.sqlite3")
    token, _ = store.save(state.share_files(shared), state.share_payload(shared, state.DEFAULT_VIEW))
    loaded = store.load(token)
    assert loaded is not None
    return loaded, state.spec_from_share(loaded)[0]


def test_the_judgments_file_is_stored_last_and_comes_back_as_judgments(tmp_path: Path) -> None:
    loaded, opened = round_trip(tmp_path, spec(JUDGMENTS))
    assert loaded.files == (*FILES, JUDGMENTS)
    assert loaded.payload["judgments"] == "judgments.csv"
    json.dumps(loaded.payload)
    assert opened.files == FILES and opened.names == ("base", "tuned")
    assert opened.judgments == JUDGMENTS
    assert opened.key == spec(JUDGMENTS).key  # the same numbers: the judgments do not enter the report's key


def test_a_share_without_judgments_is_as_before(tmp_path: Path) -> None:
    loaded, opened = round_trip(tmp_path, spec(None))
    assert loaded.files == FILES and "judgments" not in loaded.payload
    assert opened.judgments is None and opened.files == FILES


def test_a_payload_naming_judgments_without_their_file_keeps_every_prediction_file() -> None:
    payload = state.share_payload(spec(None), state.DEFAULT_VIEW) | {"judgments": "lost.csv"}
    opened, _ = state.spec_from_share(SharedComparison("t" * 32, FILES, payload, "2025-01-01T00:00:00+00:00"))
    assert opened.files == FILES and opened.judgments is None
