"""Detecting column roles by name, and reading label, id and number columns."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from evaluation._columns import ALIASES, PROBABILITY_PREFIXES, detect_columns, normalize_label, sort_labels
from evaluation._data import ColumnMapping
from evaluation._errors import EvaluationError
from evaluation._values import id_text, label_codes, number_values


@pytest.mark.parametrize("role, alias", [(role, alias) for role, aliases in ALIASES.items() for alias in aliases])
def test_every_alias_is_detected_in_any_case(role: str, alias: str) -> None:
    columns = [alias.upper(), "other"] if role == "label" else ["gold_label", alias.title(), "other"]
    mapping = detect_columns(columns, ColumnMapping())
    assert getattr(mapping, role) == (alias.upper() if role == "label" else alias.title())
    assert mapping.metadata == ("other",)


def test_earlier_aliases_win() -> None:
    mapping = detect_columns(["y", "target", "label"], ColumnMapping())
    assert mapping.label == "label"
    assert mapping.metadata == ("y", "target")


@pytest.mark.parametrize("prefix", PROBABILITY_PREFIXES)
def test_probability_prefixes_keep_the_class_as_written(prefix: str) -> None:
    columns = ["label", f"{prefix.upper()}Cat", f"{prefix}dog", "city"]
    mapping = detect_columns(columns, ColumnMapping())
    assert dict(mapping.probabilities or {}) == {"Cat": f"{prefix.upper()}Cat", "dog": f"{prefix}dog"}
    assert mapping.metadata == ("city",)


def test_only_one_prefix_family_is_used() -> None:
    mapping = detect_columns(["label", "prob_a", "prob_b", "score_a", "score_b"], ColumnMapping())
    assert dict(mapping.probabilities or {}) == {"a": "prob_a", "b": "prob_b"}
    assert mapping.metadata == ("score_a", "score_b")


def test_a_lone_p_value_column_is_metadata_not_a_probability() -> None:
    mapping = detect_columns(["label", "pred", "p_value"], ColumnMapping())
    assert mapping.probabilities is None
    assert mapping.metadata == ("p_value",)


def test_score_is_detected_only_without_probability_columns() -> None:
    assert detect_columns(["label", "score"], ColumnMapping()).score == "score"
    mapping = detect_columns(["label", "score", "prob_0", "prob_1"], ColumnMapping())
    assert mapping.score is None and "score" in (mapping.metadata or ())


def test_explicit_columns_are_kept_and_the_rest_detected() -> None:
    mapping = detect_columns(["key", "truth_col", "label", "pred"],
                             ColumnMapping(id="key", label="truth_col"))
    assert (mapping.id, mapping.label, mapping.prediction) == ("key", "truth_col", "pred")
    assert mapping.metadata == ("label",)


def test_explicit_names_match_case_insensitively() -> None:
    assert detect_columns(["Gold Truth", "pred"], ColumnMapping(label="gold truth")).label == "Gold Truth"


def test_explicit_metadata_is_used_as_given() -> None:
    mapping = detect_columns(["label", "pred", "a", "b"], ColumnMapping(metadata=("b",)))
    assert mapping.metadata == ("b",)


def test_an_explicit_column_that_does_not_exist_lists_the_columns() -> None:
    with pytest.raises(EvaluationError) as info:
        detect_columns(["id", "label", "pred"], ColumnMapping(prediction="guess"), filename="m.csv")
    message = str(info.value)
    assert message.startswith("m.csv: the prediction column 'guess' was not found")
    assert "'id', 'label', 'pred'" in message
    assert info.value.file == "m.csv" and info.value.column == "guess"


def test_one_column_cannot_have_two_roles() -> None:
    with pytest.raises(EvaluationError, match="both as the label and the prediction column"):
        detect_columns(["a", "b"], ColumnMapping(label="a", prediction="a"))


def test_no_label_column_lists_columns_found_and_accepted_names() -> None:
    with pytest.raises(EvaluationError) as info:
        detect_columns(["id", "pred", "prob_a"], ColumnMapping(), filename="m.csv")
    message = str(info.value)
    assert "no column holds the true labels" in message
    assert "'id', 'pred', 'prob_a'" in message
    assert all(alias in message for alias in ALIASES["label"])
    assert info.value.file == "m.csv"


@pytest.mark.parametrize("value, expected", [
    ("1", "1"), (1, "1"), (1.0, "1"), (" 1.00 ", "1"), ("+1", "1"), ("007", "7"), ("1e3", "1000"), (np.int64(3), "3"),
    (0.5, "0.5"), ("0.50", "0.5"), (" cat ", "cat"), ("Cat", "Cat"), (True, "True"), (float("nan"), ""), (None, ""),
    ("inf", "inf"), ("12345678901234567890", "12345678901234567890"),
])
def test_normalize_label(value: object, expected: str) -> None:
    assert normalize_label(value) == expected


def test_sort_labels_numerically_only_when_all_are_numbers() -> None:
    assert sort_labels(["10", "9", "-1", "2.5"]) == ("-1", "2.5", "9", "10")
    assert sort_labels(["b", "10", "9", "a"]) == ("10", "9", "a", "b")


def test_label_codes_merge_spellings_and_mark_missing() -> None:
    codes, labels = label_codes(pa.chunked_array([["1", "1.0", " 2", None, "", "cat"]]))
    assert labels == ("1", "2", "cat")
    assert codes.tolist() == [0, 0, 1, -1, -1, 2]
    codes, labels = label_codes(pa.chunked_array([[1.0, 2.0, float("nan")]]))
    assert labels == ("1", "2") and codes.tolist() == [0, 1, -1]


@pytest.mark.parametrize("values, expected", [
    (["a ", " 007", "12.0", "", None], ["a", "007", "12", None, None]),
    ([3, 4, None], ["3", "4", None]),
    ([3.0, 4.0, float("nan")], ["3", "4", None]),
    ([3.5, 4.0], ["3.5", "4"]),
])
def test_id_text(values: list[object], expected: list[object]) -> None:
    assert id_text(pa.chunked_array([pa.array(values, from_pandas=True)])).to_pylist() == expected


def test_number_values_separate_missing_from_unparseable() -> None:
    values, bad = number_values(pa.chunked_array([["0.5", " 1 ", "", "NA", "abc", "0,3", None]]))
    assert values[:2].tolist() == [0.5, 1.0]
    assert np.isnan(values[2:]).all()
    assert bad.tolist() == [False, False, False, False, True, True, False]
    values, bad = number_values(pa.chunked_array([[1, 0, None]]))
    assert values[:2].tolist() == [1.0, 0.0] and np.isnan(values[2]) and not bad.any()


def test_number_values_write_every_chunk_into_the_given_column() -> None:
    matrix = np.full((5, 2), -1.0, order="F")
    values, bad = number_values(pa.chunked_array([[0.25, None], [1.0, 2.0], [0.5]]), out=matrix[:, 1])
    assert np.shares_memory(values, matrix) and not bad.any()
    np.testing.assert_array_equal(matrix[:, 1], [0.25, np.nan, 1.0, 2.0, 0.5])
    number_values(pa.chunked_array([[1, 0], [None, 3, 4]], pa.int32()), out=matrix[:, 0])
    np.testing.assert_array_equal(matrix[:, 0], [1.0, 0.0, np.nan, 3.0, 4.0])
    values, bad = number_values(pa.chunked_array([["0.5", "x"]]), out=matrix[:2, 0])
    assert matrix[0, 0] == 0.5 and np.isnan(matrix[1, 0]) and bad.tolist() == [False, True]


@pytest.mark.parametrize("text, expected", [
    ("1" * 5_000, "1" * 5_000), ("-000" + "9" * 4_500, "-" + "9" * 4_500), ("+0", "0"), ("-0", "0"),
    ("1e5000", "1E+5000"), ("1e99999999999", "1e99999999999"), ("1e-400", "0.0"),
])
def test_extreme_numbers_are_labels_without_errors(text: str, expected: str) -> None:
    # Python refuses to print integers of more than 4,300 digits; decimal refuses huge exponents.
    assert normalize_label(text) == expected
