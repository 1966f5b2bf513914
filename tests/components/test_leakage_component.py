"""The leakage component: the engine call with the comparison's names, options and settings (the leaked ids counted
here by hand, the difference without them from scikit-learn), its sentences, and share links that carry the
fine-tuning files after the judgments file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

import evaluation
from components import leakage, state
from components.share_store import SharedComparison, ShareStore

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def demo_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(DEMO / "base.csv"), pd.read_csv(DEMO / "finetuned.csv")


def training_file(ids: list[str], name: str = "train.csv") -> tuple[str, bytes]:
    return name, ("id,completion\n" + "".join(f"{i},x\n" for i in ids)).encode()


@pytest.fixture(scope="module")
def demo() -> tuple[state.ComparisonSpec, evaluation.ComparisonReport]:
    spec = state.demo_spec()
    data = evaluation.load_classification(list(spec.files), names=list(spec.names))
    return spec, evaluation.compare(data, settings=spec.settings, baseline=spec.baseline)


def test_the_leaked_examples_are_counted_and_left_out(demo) -> None:
    spec, report = demo
    base, tuned = demo_frames()
    # the examples only the fine-tune gets right, and every 10th example, plus ids the test set does not have
    improved = base.loc[(base["prediction"] != base["label"]) & (tuned["prediction"] == tuned["label"]), "id"]
    leaked = sorted(set(improved) | set(base["id"][::10]))
    spec = dataclasses.replace(spec, training=(training_file([*leaked, "x-1", "x-2"]),))
    found = leakage.compute_leakage(spec, report)
    section = found.section
    assert (section["n_examples"], section["n_leaked"]) == (len(base), len(leaked))
    assert sorted(section["by_id"]) == leaked and section["by_content"] == section["near_duplicates"] == []
    kept_base, kept_tuned = (frame[~frame["id"].isin(leaked)] for frame in (base, tuned))
    expected = (accuracy_score(kept_tuned["label"], kept_tuned["prediction"])
                - accuracy_score(kept_base["label"], kept_base["prediction"]))
    table = leakage.leakage_frame(found)
    accuracy = table.loc[table["metric"] == "Accuracy"].iloc[0]
    assert float(accuracy["difference (without leaked)"]) == pytest.approx(expected, abs=5e-5)  # 4 digits shown
    assert accuracy["verdict (all)"] == "better" and accuracy["verdict (without leaked)"] == "worse"
    assert section["without_leaked"]["n_examples"] == len(base) - len(leaked)
    changes = leakage.changed_verdicts(section)
    assert "**finetuned**, Accuracy: better with them, worse without" in changes
    ids = leakage.leaked_ids_frame(section)
    assert sorted(ids["id"]) == leaked and set(ids["by id"]) == {"yes"} and set(ids["by content"]) == {""}


def test_nothing_leaked_gives_the_one_line(demo) -> None:
    spec, report = demo
    spec = dataclasses.replace(spec, training=(training_file(["x-1", "x-2"]),))
    found = leakage.compute_leakage(spec, report)
    assert found.section["n_leaked"] == 0 and found.table == ()
    assert leakage.clean_sentence(found.section) == ("None of the 899 test examples were found in the fine-tuning "
                                                     "data (by id; no prompt-like column to compare).")


def test_a_bad_training_file_is_the_engines_error_naming_it(demo) -> None:
    spec, report = demo
    bad = ("broken.jsonl", b'{"id": "1"}\n{not json\n')
    spec = dataclasses.replace(spec, training=(bad,))
    with pytest.raises(evaluation.EvaluationError) as raised:
        leakage.compute_leakage(spec, report)
    assert raised.value.message.startswith("broken.jsonl")
    assert leakage.error_location(raised.value, spec) == "broken.jsonl"


def test_sentences() -> None:
    section = {"n_leaked": 24, "n_examples": 330, "by_id": [], "by_content": ["a"] * 16, "near_duplicates": ["b"] * 24,
               "content_columns": ["prompt"], "verdict_changes": []}
    assert leakage.leaked_sentence(section) == ("**24 of 330 test examples are in the fine-tuning data** (0 by id, 16 by "
                                                "content, 24 near-duplicates).")
    assert leakage.clean_sentence(section) == ("None of the 330 test examples were found in the fine-tuning data (by id, "
                                               "content, near-duplicates).")
    assert leakage.changed_verdicts(section) == []
    hostile = {"verdict_changes": [{"candidate": "*tuned*", "metric": "bleu", "verdict": "better",
                                    "verdict_without_leaked": "no significant difference"}]}
    assert leakage.changed_verdicts(hostile) == [
        f"**{evaluation.escape_markdown('*tuned*')}**, BLEU: better with them, no significant difference without"]


FILES = (("base.csv", b"id,label,prediction\n1,a,a\n"), ("tuned.csv", b"id,label,prediction\n1,a,b\n"))
JUDGMENTS = ("judgments.csv", b"id,winner\n1,tuned\n")
TRAINING = (("train_a.csv", b"id\n1\n"), ("train_b.jsonl", b'{"id": "2"}\n'))


@pytest.mark.parametrize("judgments", [None, JUDGMENTS])
def test_a_share_carries_the_fine_tuning_files_last(tmp_path: Path, judgments: tuple[str, bytes] | None) -> None:
    shared = state.ComparisonSpec(files=FILES, names=("base", "tuned"), baseline="base", judgments=judgments,
                                  training=TRAINING)
    store = ShareStore(tmp_path / "shares.sqlite3")
    token, _ = store.save(state.share_files(shared), state.share_payload(shared, state.DEFAULT_VIEW))
    loaded = store.load(token)
    assert loaded is not None
    assert loaded.files == (*FILES, *((judgments,) if judgments else ()), *TRAINING)
    assert loaded.payload["training_data"] == ["train_a.csv", "train_b.jsonl"]
    json.dumps(loaded.payload)
    opened, _ = state.spec_from_share(loaded)
    assert (opened.files, opened.judgments, opened.training) == (FILES, judgments, TRAINING)
    assert opened.key == shared.key  # the fine-tuning data does not change the comparison's numbers


def test_a_share_without_fine_tuning_files_is_as_before() -> None:
    spec = state.ComparisonSpec(files=FILES, names=("base", "tuned"), baseline="base", judgments=JUDGMENTS)
    payload = state.share_payload(spec, state.DEFAULT_VIEW)
    assert "training_data" not in payload
    opened, _ = state.spec_from_share(SharedComparison("t" * 32, (*FILES, JUDGMENTS), payload, "2025-01-01T00:00:00+00:00"))
    assert opened.training == () and opened.judgments == JUDGMENTS and opened.files == FILES
    lost = payload | {"training_data": ["lost.csv", "gone.csv"]}  # files missing: every prediction file is kept
    opened, _ = state.spec_from_share(SharedComparison("t" * 32, FILES, lost, "2025-01-01T00:00:00+00:00"))
    assert opened.files == FILES and opened.training == ()


def test_the_downloaded_html_report_carries_the_leakage_section(demo) -> None:
    from components import render

    spec, report = demo
    base, _ = demo_frames()
    leaked = list(base["id"][:40])
    with_training = dataclasses.replace(spec, training=(training_file(leaked),))
    page = render._html_export(with_training, report)
    assert "<h2>Leakage</h2>" in page and f"40 of {len(base)} test examples are in the training data" in page
    assert "<h2>Leakage</h2>" not in render._html_export(spec, report)
