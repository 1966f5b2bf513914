"""Detecting the task from the first rows: the documented rule, and never an exception on any bytes."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import detect_task


@pytest.mark.parametrize(("content", "task"), [
    (b"id,label,prediction\n1,2.5,2\n2,3,3\n", "regression"),     # a non-integer true value
    (b"id,label,prediction\n1,2,2\n2,3,3\n", "classification"),   # whole numbers: class labels unless told
    (b"id,label,prediction\n1,2.0,2\n2,3.0,3\n", "classification"),  # 2.0 is a whole number too
    (b"id,label,prediction\n1,cat,dog\n2,dog,dog\n", "classification"),
    (b"id,y_true,y_pred\n1,0.5,0.4\n", "regression"),
])
def test_the_documented_rule(content: bytes, task: str) -> None:
    assert detect_task([("a.csv", content)]) == task
    assert detect_task([("a.csv.gz", gzip.compress(content))]) == task


def test_json_lines_are_read_too() -> None:
    assert detect_task([("a.jsonl", b'{"id": 1, "label": 2.5, "prediction": 2}\n{"id": 2, "label": 1, "prediction": 1}\n')]) \
        == "regression"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2_000), st.sampled_from(["a.csv", "a.tsv", "a.jsonl", "a.parquet", "a.csv.gz", "a.txt"]))
def test_any_bytes_give_a_task_not_an_exception(content: bytes, name: str) -> None:
    assert detect_task([(name, content)]) in ("classification", "regression")


@pytest.mark.parametrize(("name", "files"), [
    ("classification", ["base.csv", "finetuned.csv"]),
    ("regression", ["regression_base.csv", "regression_finetuned.csv"]),
])
def test_each_task_loads_compares_and_writes_through_one_interface(name: str, files: list[str]) -> None:
    from pathlib import Path

    from evaluation import Settings, task_named

    demo = Path(__file__).resolve().parents[2] / "data" / "demo"
    task = task_named(name)
    task.prepare()
    data = task.load([demo / f for f in files])
    report = task.compare(data, settings=Settings(resamples=200, slice_resamples=100))
    document = task.to_dict(report)
    assert (document["schema_version"], document["task"]) == (2, name)
    assert report.settings.primary_metric == task.default_primary
    assert task.to_markdown(report).startswith("# Model comparison")
    table = task.flip_table(data, report.baseline, report.comparisons[0].candidate)
    assert len(table) > 0 and "id" in table.columns


def test_an_unknown_task_is_a_clear_error() -> None:
    from evaluation import EvaluationError, task_named

    with pytest.raises(EvaluationError, match="unknown task 'summarisation'; expected one of classification, regression, "
                                              "generation"):
        task_named("summarisation")
