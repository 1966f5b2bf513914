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
