"""Reading column values: the id hashes that pair files, and labels within the limits."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation._limits import Limits
from evaluation._values import LabelsBeyondLimit, id_hashes, label_codes, rows_text


def test_a_short_id_after_a_long_one_does_not_read_past_the_buffer() -> None:
    # Regression: the probe's two rows raised IndexError (the second id's word index ran past the buffer).
    hashes = id_hashes(pa.array(["this-is-a-rather-long-identifier-0001", "b"]))
    assert hashes.shape == (2,) and hashes[0] != hashes[1]


def test_ten_thousand_shuffled_ids_ending_in_a_short_one() -> None:
    # Regression: doc-1..doc-10000 shuffled, ending in doc-7, raised IndexError.
    ids = [f"doc-{i}" for i in range(1, 10_001) if i != 7]
    random.Random(0).shuffle(ids)
    ids.append("doc-7")
    hashes = id_hashes(pa.array(ids))
    assert np.unique(hashes).shape[0] == len(ids)
    assert hashes[-1] == id_hashes(pa.array(["doc-7"]))[0]


def test_an_ids_hash_does_not_depend_on_the_other_ids() -> None:
    # Files are paired on these hashes: an id must hash alike whatever the longest id of its file.
    alone = id_hashes(pa.array(["x1", "x2", ""]))
    beside_long = id_hashes(pa.array(["x1", "x2", "", "a-very-long-identifier-0000000000"]))
    assert alone.tolist() == beside_long[:3].tolist()


ids_lists = st.lists(st.text(max_size=40), max_size=60)


def _arrays(ids: list[str], offset: int) -> list[pa.Array]:
    """The same ids as string and large_string arrays, each also sliced out of a longer array."""
    padded = ["pad-" * 5] * offset + ids + ["tail-" * 3]
    arrays = []
    for kind in (pa.string(), pa.large_string()):
        arrays.append(pa.array(ids, type=kind))
        arrays.append(pa.array(padded, type=kind).slice(offset, len(ids)))
    return arrays


@settings(max_examples=150, deadline=None)
@given(ids=ids_lists, offset=st.integers(0, 5))
def test_equal_ids_hash_equal_in_any_array(ids: list[str], offset: int) -> None:
    reference = {text: int(id_hashes(pa.array([text]))[0]) for text in ids}
    for array in _arrays(ids, offset):
        hashes = id_hashes(array)  # never raises, for empty, multi-byte and sliced ids alike
        assert hashes.shape == (len(ids),)
        assert [int(h) for h in hashes] == [reference[text] for text in ids]


def test_label_codes_stop_at_the_class_limit() -> None:
    column = pa.chunked_array([pa.array([f"l{i}" for i in range(5_000)])])
    with pytest.raises(LabelsBeyondLimit) as info:
        label_codes(column, limits=Limits(max_classes=1_000))
    assert info.value.field == "max_classes" and "more than 1,000 distinct labels" in str(info.value)
    codes, labels = label_codes(column, limits=Limits(max_classes=5_000))
    assert len(labels) == 5_000 and codes.max() == 4_999


def test_label_codes_refuse_a_label_longer_than_the_limit() -> None:
    column = pa.chunked_array([pa.array(["cat", " " + "x" * 300 + " "])])
    with pytest.raises(LabelsBeyondLimit) as info:
        label_codes(column, limits=Limits(max_label_length=200))
    assert info.value.field == "max_label_length" and "300 characters" in str(info.value)
    assert len(label_codes(column, limits=Limits(max_label_length=300))[1]) == 2


def test_rows_text_lists_a_few_rows_of_many() -> None:
    assert rows_text(np.arange(1, 20_000_001)) == (
        "20,000,000 rows (rows 1, 2, 3, 4, 5, ... (20,000,000 in all); row 1 is the first data row)")
    assert rows_text(np.array([3])) == "1 row (row 3; row 1 is the first data row)"
