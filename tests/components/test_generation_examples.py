"""The Examples table of a generation comparison: its score columns and its filters (kind, slice, change in a score).

Expected rows come from the fixture's own values, and ROUGE-L from rouge-score directly."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from rouge_score import rouge_scorer

from components.generation_examples import (
    CHANGE,
    KINDS,
    SCORE_CHANGE_LABELS,
    SCORE_CHANGES,
    examples_table,
    filter_examples,
    score_columns,
)
from evaluation import GenerationData, load_generation

REFERENCES = ["the cat sat", "a dog ran", "the sun", "red house", "blue river", "big tree"]
BASE = ["the cat sat", "a cat ran", "sun", "red house", "river", "small tree"]
TUNED = ["the cat", "a dog ran", "the sun", "red house", "blue river", "small tree"]
DOMAINS = ["news", "chat", "news", "chat", "news", "chat"]
BASE_JUDGE = [4, 2, 3, 5, 1, 2]
TUNED_JUDGE = [3, 4, 3, 5, 4, 1]
BASE_PASS = [1, 0, 0, 1, 0, 1]
TUNED_PASS = [0, 1, 1, 1, 1, 1]


def _file(name: str, outputs: list[str], judged: list[int], passed: list[int], *, scores: bool) -> tuple[str, bytes]:
    rows = []
    for i, (output, reference, domain, judge, kept) in enumerate(zip(outputs, REFERENCES, DOMAINS, judged, passed,
                                                                     strict=True)):
        row = {"id": f"ex{i}", "prompt": f"say {i}", "output": output, "reference": reference, "domain": domain}
        rows.append(row | ({"score_judge": judge, "score_pass": kept} if scores else {}))
    return name, "".join(json.dumps(row) + "\n" for row in rows).encode()


def _data(*, scores: bool = True) -> GenerationData:
    return load_generation([_file("base.jsonl", BASE, BASE_JUDGE, BASE_PASS, scores=scores),
                            _file("tuned.jsonl", TUNED, TUNED_JUDGE, TUNED_PASS, scores=scores)])


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return examples_table(_data(), "base", "tuned")


def _ids(frame: pd.DataFrame) -> set[str]:
    return set(frame["id"])


def test_each_score_column_gets_the_baseline_the_candidate_and_the_change(table: pd.DataFrame) -> None:
    assert score_columns(_data()) == ["score_judge", "score_pass"]
    columns = list(table.columns)
    expected = ["ROUGE-L baseline", "ROUGE-L candidate", "score_judge baseline", "score_judge candidate",
                "score_judge change", "score_pass baseline", "score_pass candidate", "score_pass change", "domain"]
    assert columns[columns.index("ROUGE-L baseline"):] == expected
    by_id = table.set_index("id")
    for i in range(len(REFERENCES)):
        row = by_id.loc[f"ex{i}"]
        assert (row["score_judge baseline"], row["score_judge candidate"]) == (BASE_JUDGE[i], TUNED_JUDGE[i])
        assert row["score_judge change"] == TUNED_JUDGE[i] - BASE_JUDGE[i]
        assert row["score_pass change"] == TUNED_PASS[i] - BASE_PASS[i]


def test_the_table_stays_sorted_by_the_change_in_rouge_l(table: pd.DataFrame) -> None:
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    change = {f"ex{i}": scorer.score(r, t)["rougeL"].fmeasure - scorer.score(r, b)["rougeL"].fmeasure
              for i, (r, b, t) in enumerate(zip(REFERENCES, BASE, TUNED, strict=True))}
    assert list(table[CHANGE]) == pytest.approx(sorted(change.values()))
    assert table.iloc[0]["id"] == "ex0"  # the one regression: "the cat sat" became "the cat"


@pytest.mark.parametrize(("score_change", "expected"), [
    ("candidate lower", {f"ex{i}" for i in range(6) if TUNED_JUDGE[i] < BASE_JUDGE[i]}),
    ("candidate higher", {f"ex{i}" for i in range(6) if TUNED_JUDGE[i] > BASE_JUDGE[i]}),
    ("equal", {f"ex{i}" for i in range(6) if TUNED_JUDGE[i] == BASE_JUDGE[i]}),
    ("any", {f"ex{i}" for i in range(6)}),
])
def test_the_score_filter_keeps_the_examples_whose_score_moved_that_way(table: pd.DataFrame, score_change: str,
                                                                        expected: set[str]) -> None:
    shown = filter_examples(table, kinds=KINDS, score="score_judge", score_change=score_change)
    assert _ids(shown) == expected
    assert list(shown["id"]) == [i for i in table["id"] if i in expected]  # the table's order is kept


def test_the_score_filter_combines_with_kind_and_slice(table: pd.DataFrame) -> None:
    lower = {f"ex{i}" for i in range(6) if TUNED_PASS[i] < BASE_PASS[i]}
    assert lower == {"ex0"}
    higher_news = {f"ex{i}" for i in range(6) if TUNED_PASS[i] > BASE_PASS[i] and DOMAINS[i] == "news"}
    assert _ids(filter_examples(table, kinds=KINDS, column="domain", values=["news"], score="score_pass",
                                score_change="candidate higher")) == higher_news == {"ex2", "ex4"}
    kinds = dict(zip(table["id"], table["kind"], strict=True))
    better = _ids(filter_examples(table, kinds=["better"], score="score_judge", score_change="candidate higher"))
    assert better == {i for i in ("ex1", "ex4") if kinds[i] == "better"} and better
    assert _ids(filter_examples(table, kinds=["worse"], score="score_pass", score_change="candidate lower")) == lower


def test_no_score_keeps_the_former_filters(table: pd.DataFrame) -> None:
    unfiltered = filter_examples(table, kinds=["worse", "better"], column="domain", values=["chat"])
    assert filter_examples(table, kinds=["worse", "better"], column="domain", values=["chat"], score=None,
                           score_change="candidate lower").equals(unfiltered)
    assert set(unfiltered["domain"]) == {"chat"} and set(unfiltered["kind"]) <= {"worse", "better"}


def test_files_without_scores_have_no_score_columns() -> None:
    data = _data(scores=False)
    assert score_columns(data) == []
    table = examples_table(data, "base", "tuned")
    assert not [column for column in table.columns if column.startswith("score_")]
    assert len(filter_examples(table, kinds=KINDS)) == len(REFERENCES)


def test_a_wrong_score_filter_is_refused(table: pd.DataFrame) -> None:
    assert SCORE_CHANGES == ("candidate lower", "candidate higher", "equal", "any") == tuple(SCORE_CHANGE_LABELS)
    with pytest.raises(ValueError, match="expected one of candidate lower"):
        filter_examples(table, kinds=KINDS, score="score_judge", score_change="lower")
    with pytest.raises(ValueError, match="no column 'score_missing change'"):
        filter_examples(table, kinds=KINDS, score="score_missing", score_change="equal")
