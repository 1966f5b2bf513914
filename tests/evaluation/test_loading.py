"""Reading, checking and pairing prediction files: formats, label rules, pairing and one test per bad input."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation._data import ClassificationData, ColumnMapping, LoadOptions
from evaluation._errors import EvaluationError
from evaluation._loading import FileSummary, inspect_file, load_classification, load_prediction_file

Files = tuple[tuple[str, pd.DataFrame | bytes], ...]


def frames(n: int = 6, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A baseline and a candidate on the same ``n`` examples of 3 classes, with probabilities and metadata."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 3, n)
    base = pd.DataFrame({"id": [f"e{i}" for i in range(n)], "label": label, "prediction": rng.integers(0, 3, n)})
    probabilities = rng.dirichlet(np.ones(3), n).round(6)
    probabilities[:, 2] = 1 - probabilities[:, 0] - probabilities[:, 1]
    for c in range(3):
        base[f"prob_{c}"] = probabilities[:, c]
    base["city"] = rng.choice(["oslo", "rome"], n)
    base["age"] = rng.integers(20, 80, n)
    candidate = base.copy()
    candidate["prediction"] = label
    return base, candidate


def encode(frame: pd.DataFrame, kind: str = "csv") -> bytes:
    if kind == "tsv":
        return frame.to_csv(index=False, sep="\t").encode()
    if kind == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    if kind == "jsonl":
        return frame.to_json(orient="records", lines=True).encode()
    return frame.to_csv(index=False).encode()


def load(*files: tuple[str, pd.DataFrame | bytes], **options: object) -> ClassificationData:
    sources = [(name, data if isinstance(data, bytes) else encode(data)) for name, data in files]
    return load_classification(sources, options=LoadOptions(**options))  # type: ignore[arg-type]


def error_of(*files: tuple[str, pd.DataFrame | bytes], **options: object) -> EvaluationError:
    with pytest.raises(EvaluationError) as info:
        load(*files, **options)
    return info.value


def assert_same_data(left: ClassificationData, right: ClassificationData) -> None:
    assert (left.task, left.classes, left.positive_label, left.warnings) == (
        right.task, right.classes, right.positive_label, right.warnings)
    np.testing.assert_array_equal(left.ids, right.ids)
    np.testing.assert_array_equal(left.y_true, right.y_true)
    for a, b in zip(left.models, right.models, strict=True):
        assert (a.name, a.columns) == (b.name, b.columns)
        np.testing.assert_array_equal(a.y_pred, b.y_pred)
        assert (a.y_score is None) == (b.y_score is None)
        if a.y_score is not None:
            np.testing.assert_allclose(a.y_score, b.y_score, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(left.metadata, right.metadata, check_dtype=False)


# --- formats and sources -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["csv", "tsv", "parquet", "jsonl"])
@pytest.mark.parametrize("compressed", [False, True])
def test_every_format_gives_the_same_data(kind: str, compressed: bool) -> None:
    base, candidate = frames()
    reference = load(("base.csv", base), ("cand.csv", candidate))

    def source(name: str, frame: pd.DataFrame) -> tuple[str, bytes]:
        content = encode(frame, kind)
        return (f"{name}.{kind}.gz", gzip.compress(content)) if compressed else (f"{name}.{kind}", content)

    data = load_classification([source("base", base), source("cand", candidate)])
    assert data.model_names == ("base", "cand")
    assert [m.source for m in data.models] == [source("base", base)[0], source("cand", candidate)[0]]
    assert_same_data(data, reference)


def test_files_on_disk_and_names_given(tmp_path) -> None:
    base, candidate = frames()
    (tmp_path / "base.csv.gz").write_bytes(gzip.compress(encode(base)))
    (tmp_path / "cand.parquet").write_bytes(encode(candidate, "parquet"))
    data = load_classification([tmp_path / "base.csv.gz", str(tmp_path / "cand.parquet")])
    assert data.model_names == ("base", "cand")
    named = load_classification([tmp_path / "base.csv.gz", tmp_path / "cand.parquet"], names=["old", "new"])
    assert named.model_names == ("old", "new")


def test_load_prediction_file_checks_one_file() -> None:
    base, _ = frames()
    loaded = load_prediction_file(("base.csv", encode(base)))
    assert (loaded.name, loaded.filename, loaded.n_rows) == ("base", "base.csv", 6)
    assert loaded.probability_classes == ("0", "1", "2")
    np.testing.assert_allclose(loaded.probabilities.sum(axis=1), 1.0)  # type: ignore[union-attr]


# --- labels ---------------------------------------------------------------------------------------------

def test_one_and_one_point_zero_and_text_one_are_one_class() -> None:
    text = pd.DataFrame({"id": ["a", "b", "c"], "label": ["1", " 0", "1"], "prediction": ["1", "1", "0"]})
    floats = pd.DataFrame({"id": ["a", "b", "c"], "label": [1.0, 0.0, 1.0], "prediction": [1.0, 0.0, 0.0]})
    integers = pd.DataFrame({"id": ["a", "b", "c"], "label": [1, 0, 1], "prediction": [0, 0, 1]})
    data = load_classification([("t.csv", encode(text)), ("f.parquet", encode(floats, "parquet")),
                                ("i.jsonl", encode(integers, "jsonl"))])
    assert data.classes == ("0", "1")
    assert data.y_true.tolist() == [1, 0, 1]
    assert [m.y_pred.tolist() for m in data.models] == [[1, 1, 0], [1, 0, 0], [0, 0, 1]]


def test_label_set_is_the_union_of_labels_predictions_and_probability_columns() -> None:
    base = pd.DataFrame({"id": [1, 2], "label": ["a", "b"], "prediction": ["a", "c"]})
    candidate = pd.DataFrame({"id": [1, 2], "label": ["a", "b"], "prob_a": [0.5, 0.2], "prob_b": [0.2, 0.3],
                              "prob_c": [0.2, 0.4], "prob_d": [0.1, 0.1]})
    data = load(("base.csv", base), ("cand.csv", candidate))
    assert data.classes == ("a", "b", "c", "d") and data.task == "multiclass"
    assert data.models[0].y_pred.tolist() == [0, 2]
    assert data.models[1].y_score.shape == (2, 4)  # type: ignore[union-attr]


def test_labels_sort_numerically_when_all_are_numbers() -> None:
    frame = pd.DataFrame({"label": ["10", "9", "2", "10"], "prediction": ["9", "2", "10", "10"]})
    assert load(("a.csv", frame), ("b.csv", frame)).classes == ("2", "9", "10")
    frame["label"] = ["10", "9", "x", "10"]
    assert load(("a.csv", frame), ("b.csv", frame)).classes == ("10", "2", "9", "x")


def test_declared_labels_add_classes_and_refuse_others() -> None:
    frame = pd.DataFrame({"id": [1, 2], "label": [0, 1], "prediction": [1, 1]})
    data = load(("a.csv", frame), ("b.csv", frame), labels=("0", "1.0", "2"))
    assert data.classes == ("0", "1", "2") and data.task == "multiclass"
    error = error_of(("a.csv", frame), ("b.csv", frame), labels=("0", "2"))
    assert error.file == "a.csv" and error.column == "label"
    assert "column 'label' holds labels that are not among the declared labels (0, 2): '1'" in str(error)


def test_fewer_than_two_classes() -> None:
    frame = pd.DataFrame({"id": [1, 2], "label": ["a", "a"], "prediction": ["a", "a"]})
    assert "only one class ('a')" in str(error_of(("a.csv", frame), ("b.csv", frame)))


@pytest.mark.parametrize("classes, positive", [
    (("0", "1"), "1"), (("False", "True"), "True"), (("no", "YES"), "YES"), (("negative", "positive"), "positive"),
    (("neg", "pos"), "pos"),
])
def test_positive_class_is_recognised_by_name(classes: tuple[str, str], positive: str) -> None:
    frame = pd.DataFrame({"label": list(classes), "prediction": list(classes)})
    data = load(("a.csv", frame), ("b.csv", frame))
    assert data.positive_label == positive
    assert not any("positive" in warning for warning in data.warnings)


def test_positive_class_otherwise_is_the_second_sorted_with_a_warning_or_given() -> None:
    frame = pd.DataFrame({"label": ["spam", "ham"], "prediction": ["spam", "spam"]})
    data = load(("a.csv", frame), ("b.csv", frame))
    assert data.positive_label == "spam"
    assert any("'spam' (the second class in sorted order)" in w for w in data.warnings)
    assert load(("a.csv", frame), ("b.csv", frame), positive_label="ham").positive_label == "ham"
    assert "'eggs' is not one of the classes ham, spam" in str(
        error_of(("a.csv", frame), ("b.csv", frame), positive_label="eggs"))


def test_threshold_rule_without_predictions() -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "label": [0, 1, 1], "score": [0.2, 0.5, 0.7]})
    data = load(("a.csv", frame), ("b.csv", frame))
    assert data.models[0].y_pred.tolist() == [0, 1, 1]  # score >= 0.5 is positive
    np.testing.assert_allclose(data.models[0].y_score, [[0.8, 0.2], [0.5, 0.5], [0.3, 0.7]])  # type: ignore[arg-type]
    assert load(("a.csv", frame), ("b.csv", frame), threshold=0.6).models[0].y_pred.tolist() == [0, 0, 1]


def test_single_score_is_for_the_positive_class_whichever_its_position() -> None:
    frame = pd.DataFrame({"id": [1, 2], "label": ["a", "b"], "score": [0.9, 0.2]})
    data = load(("a.csv", frame), ("b.csv", frame), positive_label="a")
    np.testing.assert_allclose(data.models[0].y_score, [[0.9, 0.1], [0.2, 0.8]])  # type: ignore[arg-type]
    assert data.models[0].y_pred.tolist() == [0, 1]


def test_argmax_rule_without_predictions_takes_the_first_class_on_ties() -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "label": ["a", "b", "c"], "prob_c": [0.2, 0.4, 0.5],
                          "prob_a": [0.6, 0.2, 0.5], "prob_b": [0.2, 0.4, 0.0]})
    data = load(("a.csv", frame), ("b.csv", frame))
    assert data.models[0].y_pred.tolist() == [0, 1, 0]
    np.testing.assert_allclose(data.models[0].y_score[0], [0.6, 0.2, 0.2])  # type: ignore[index]


def test_probability_rows_are_kept_as_given_and_tiny_overshoot_clipped() -> None:
    # Like scikit-learn, rows within the tolerance of 1 are not rescaled: log loss and AUC see the file's values.
    frame = pd.DataFrame({"label": [0, 1], "prob_0": [0.3333, 1 + 5e-10], "prob_1": [0.6666, 0.0]})
    y_score = load(("a.csv", frame), ("b.csv", frame)).models[0].y_score
    np.testing.assert_array_equal(y_score, [[0.3333, 0.6666], [1.0, 0.0]])


def test_explicit_column_names_override_detection() -> None:
    frame = pd.DataFrame({"key": ["a", "b"], "truth": [0, 1], "guess": [1, 1], "label": ["x", "y"]})
    mapping = ColumnMapping(id="key", label="truth", prediction="guess")
    data = load(("a.csv", frame), ("b.csv", frame), mapping=mapping)
    assert data.ids.tolist() == ["a", "b"] and data.y_true.tolist() == [0, 1]
    assert list(data.metadata.columns) == ["label"]


# --- pairing --------------------------------------------------------------------------------------------

def test_rows_are_paired_by_id_in_the_first_files_order() -> None:
    base, candidate = frames()
    shuffled = candidate.iloc[[3, 0, 5, 1, 4, 2]]
    data = load(("base.csv", base), ("cand.csv", shuffled))
    assert data.ids.tolist() == base["id"].tolist()
    assert data.models[1].y_pred.tolist() == base["label"].tolist()
    assert data.metadata["city"].tolist() == base["city"].tolist()


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(8)), st.integers(0, 2**16))
def test_shuffling_the_candidate_file_changes_nothing(permutation: list[int], seed: int) -> None:
    base, candidate = frames(8, seed)
    candidate["note"] = [f"n{i}" for i in range(8)]
    in_order = load(("base.csv", base), ("cand.csv", candidate))
    shuffled = load(("base.csv", base), ("cand.csv", candidate.iloc[permutation]))
    assert_same_data(in_order, shuffled)


def test_row_order_pairing_without_ids_warns() -> None:
    base, candidate = frames()
    data = load(("base.csv", base.drop(columns="id")), ("cand.csv", candidate.drop(columns="id")))
    assert data.ids.tolist() == ["1", "2", "3", "4", "5", "6"]
    assert any("paired by their order" in warning for warning in data.warnings)


def test_row_order_pairing_needs_equal_row_counts() -> None:
    base, candidate = frames()
    error = error_of(("base.csv", base.drop(columns="id")), ("cand.csv", candidate.drop(columns="id").iloc[:4]))
    assert "base.csv: 6, cand.csv: 4" in str(error)


def test_ids_in_some_files_only() -> None:
    base, candidate = frames()
    error = error_of(("base.csv", base), ("cand.csv", candidate.drop(columns="id")))
    assert error.file == "cand.csv" and "no id column, while base.csv has one" in str(error)


def test_ids_present_in_one_file_only_are_counted_per_file() -> None:
    base, candidate = frames()
    candidate = candidate.iloc[:4].copy()
    candidate.loc[0, "id"] = "new"
    error = error_of(("base.csv", base), ("cand.csv", candidate))
    message = str(error)
    assert "cand.csv lacks 3 ids of base.csv (for example 'e0', 'e4', 'e5')" in message
    assert "has 1 id base.csv lacks (for example 'new')" in message
    assert "shared_ids_only" in message and "--shared-ids-only" in message
    assert error.file == "cand.csv" and error.column == "id"


def test_shared_ids_only_keeps_the_intersection_with_a_warning() -> None:
    base, candidate = frames()
    candidate = candidate.iloc[[5, 1, 2]]
    data = load(("base.csv", base), ("cand.csv", candidate), shared_ids_only=True)
    assert data.ids.tolist() == ["e1", "e2", "e5"]
    assert data.y_true.tolist() == base["label"].iloc[[1, 2, 5]].tolist()
    assert data.metadata.index.tolist() == [0, 1, 2]
    assert any("base.csv: 3 of 6 rows were left out" in warning for warning in data.warnings)


def test_duplicate_ids() -> None:
    base, candidate = frames()
    candidate.loc[3, "id"] = "e1"
    error = error_of(("base.csv", base), ("cand.csv", candidate))
    assert error.file == "cand.csv" and error.column == "id"
    assert "repeats 1 id, for example 'e1' (2 times)" in str(error)
    with pytest.raises(EvaluationError, match="repeats 1 id"):
        load_prediction_file(("cand.csv", encode(candidate)))


def test_true_label_differs_between_files() -> None:
    base, candidate = frames()
    candidate.loc[2, "label"] = (candidate.loc[2, "label"] + 1) % 3
    error = error_of(("base.csv", base), ("cand.csv", candidate))
    assert error.file == "cand.csv" and error.column == "label"
    original, changed = base.loc[2, "label"], candidate.loc[2, "label"]
    assert f"1 example (id 'e2': '{original}' in base.csv, '{changed}' in cand.csv)" in str(error)


def test_two_files_with_one_name() -> None:
    base, candidate = frames()
    error = error_of(("x.csv", base), ("x.csv.gz", gzip.compress(encode(candidate))))
    assert "x.csv, x.csv.gz would all be called 'x'" in str(error) and "--names" in str(error)


# --- training rows, metadata, inspection ----------------------------------------------------------------

def test_train_rows_are_refused_or_dropped() -> None:
    base, candidate = frames()
    for frame in (base, candidate):
        frame["split"] = ["test", " Train", "test", "TRAINING", "valid", "test"]
    error = error_of(("base.csv", base), ("cand.csv", candidate))
    assert error.file == "base.csv" and error.column == "split"
    assert "2 rows (rows 2, 4; row 1 is the first data row)" in str(error)
    assert "overstates" in str(error) and "--drop-train-rows" in str(error)
    data = load(("base.csv", base), ("cand.csv", candidate), drop_train_rows=True)
    assert data.ids.tolist() == ["e0", "e2", "e4", "e5"]
    assert any("base.csv: dropped 2 training rows" in warning for warning in data.warnings)


def test_row_numbers_refer_to_the_file_after_dropping_train_rows() -> None:
    base, _ = frames()
    base["split"] = ["test", "train", "test", "test", "test", "test"]
    base["label"] = base["label"].astype(object)
    base.loc[4, "label"] = None
    error = error_of(("base.csv", base), ("cand.csv", base), drop_train_rows=True)
    assert "1 row (row 5; row 1 is the first data row)" in str(error)


def test_metadata_keeps_types_and_timestamps_are_parsed() -> None:
    base, candidate = frames()
    base["created_at"] = pd.date_range("2024-01-01", periods=6, freq="D").strftime("%Y-%m-%d %H:%M")
    candidate["extra"] = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5]
    candidate["city"] = "elsewhere"  # the first file's column wins
    data = load(("base.csv", base), ("cand.csv", candidate.iloc[::-1]))
    metadata = data.metadata
    assert list(metadata.columns) == ["city", "age", "created_at", "extra"]
    assert metadata["city"].tolist() == base["city"].tolist()
    assert pd.api.types.is_integer_dtype(metadata["age"])
    assert pd.api.types.is_datetime64_any_dtype(metadata["created_at"])
    assert metadata["created_at"].iloc[1] == pd.Timestamp("2024-01-02")
    assert metadata["extra"].tolist() == candidate["extra"].tolist()
    assert metadata.index.equals(pd.RangeIndex(6))


def test_unparseable_timestamps() -> None:
    base, _ = frames()
    base["timestamp"] = ["2024-01-01", "2024-01-02", "soon", "2024-01-04", "", "2024-01-06"]
    error = error_of(("base.csv", base), ("cand.csv", base))
    assert error.column == "timestamp" and "1 row (row 3; row 1 is the first data row): 'soon'" in str(error)


def test_inspect_file_shows_the_detected_columns() -> None:
    base, _ = frames()
    summary = inspect_file(("base.csv", encode(base)))
    assert isinstance(summary, FileSummary)
    assert (summary.filename, summary.n_rows) == ("base.csv", 6)
    assert summary.columns == tuple(base.columns)
    assert (summary.mapping.id, summary.mapping.label, summary.mapping.prediction) == ("id", "label", "prediction")
    assert dict(summary.mapping.probabilities or {}) == {"0": "prob_0", "1": "prob_1", "2": "prob_2"}
    assert summary.mapping.metadata == ("city", "age")
    assert summary.classes == ("0", "1", "2")


# --- one test per bad input -----------------------------------------------------------------------------

def test_no_label_column_lists_the_columns_found() -> None:
    base, candidate = frames()
    error = error_of(("base.csv", base), ("cand.csv", candidate.drop(columns="label")))
    assert error.file == "cand.csv"
    assert "'id', 'prediction', 'prob_0'" in str(error) and "y_true" in str(error)


@pytest.mark.parametrize("column, expected", [
    ("id", "missing ids in 2 rows (rows 2, 5;"),
    ("label", "missing values in 2 rows (rows 2, 5;"),
    ("prediction", "missing values in 2 rows (rows 2, 5;"),
    ("prob_1", "missing values in 2 rows (rows 2, 5;"),
])
def test_missing_values(column: str, expected: str) -> None:
    base, candidate = frames()
    candidate[column] = candidate[column].astype(object)
    candidate.loc[[1, 4], column] = None
    error = error_of(("base.csv", base), ("cand.csv", candidate))
    assert error.file == "cand.csv" and error.column == column
    assert expected in str(error) and "row 1 is the first data row" in str(error)


def test_unparseable_numbers_show_the_text() -> None:
    base, candidate = frames()
    candidate["prob_1"] = candidate["prob_1"].astype(object)
    candidate.loc[4, "prob_1"] = "0,25"
    error = error_of(("base.csv", base), ("cand.csv", candidate))
    assert error.column == "prob_1"
    assert "not a number in 1 row (row 5; row 1 is the first data row): '0,25'" in str(error)
    assert "decimal separator" in str(error)


@pytest.mark.parametrize("values, hint", [
    ([-2.1, 0.4, 1.2], "logits"),
    ([12.0, 30.0, 58.0], "percentages"),
])
def test_logits_and_percentages(values: list[float], hint: str) -> None:
    frame = pd.DataFrame({"label": ["a", "b", "c"], "prob_a": values, "prob_b": [0.5, 0.3, 0.2],
                          "prob_c": [0.5, 0.3, 0.2]})
    error = error_of(("base.csv", frame), ("cand.csv", frame))
    assert error.file == "base.csv" and error.column == "prob_a"
    assert "must lie between 0 and 1" in str(error) and hint in str(error)
    assert "rows" in str(error)


def test_probability_rows_not_summing_to_one() -> None:
    frame = pd.DataFrame({"label": ["a", "b"], "prob_a": [0.5, 0.3], "prob_b": [0.5, 0.3]})
    error = error_of(("base.csv", frame), ("cand.csv", frame))
    assert "must sum to 1 on every row (within 0.001)" in str(error)
    assert "1 row (row 2; row 1 is the first data row) sum to 0.6" in str(error)
    assert load(("base.csv", frame), ("cand.csv", frame), probability_tolerance=0.5).n_examples == 2


def test_missing_probability_column_for_a_class() -> None:
    base, candidate = frames()
    error = error_of(("base.csv", base), ("cand.csv", candidate.drop(columns="prob_2")))
    assert error.file == "cand.csv"
    assert "none for '2'" in str(error) and "prob_2" in str(error)


def test_single_score_column_with_many_classes() -> None:
    base, candidate = frames()
    candidate = candidate.drop(columns=["prob_0", "prob_1", "prob_2", "prediction"]).assign(score=0.5)
    error = error_of(("base.csv", base), ("cand.csv", candidate))
    assert error.file == "cand.csv" and error.column == "score"
    assert "only describes two classes" in str(error) and "prob_0, prob_1, prob_2" in str(error)


def test_neither_predictions_nor_probabilities() -> None:
    base, candidate = frames()
    error = error_of(("base.csv", base), ("cand.csv", candidate[["id", "label", "city"]]))
    assert error.file == "cand.csv" and "expected predictions" in str(error) and "'city'" in str(error)


def test_scores_in_the_prediction_column() -> None:
    frame = pd.DataFrame({"label": [0, 1], "prediction": [0.73, 0.12]})
    error = error_of(("base.csv", frame), ("cand.csv", frame))
    assert error.column == "prediction" and "fractions such as '0.12', '0.73'" in str(error)


@pytest.mark.parametrize("option, message", [
    ({"threshold": 1.5}, "threshold must be between 0 and 1"),
    ({"labels": ("1", "1.0")}, "repeat a class"),
])
def test_bad_options(option: dict[str, object], message: str) -> None:
    base, candidate = frames()
    assert message in str(error_of(("base.csv", base), ("cand.csv", candidate), **option))


def test_nested_values_are_not_ids() -> None:
    content = b'{"id": {"a": 1}, "label": 0, "prediction": 0}\n{"id": {"a": 2}, "label": 1, "prediction": 1}\n'
    with pytest.raises(EvaluationError) as info:
        load_classification([("a.jsonl", content), ("b.jsonl", content)])
    assert info.value.file == "a.jsonl" and info.value.column == "id"


def test_probability_columns_must_cover_classes_seen_only_in_other_files() -> None:
    base = pd.DataFrame({"id": [1, 2], "label": ["a", "b"], "prediction": ["a", "c"]})
    candidate = pd.DataFrame({"id": [1, 2], "label": ["a", "b"], "p_a": [0.5, 0.2], "p_b": [0.5, 0.8]})
    error = error_of(("base.csv", base), ("cand.csv", candidate))
    assert error.file == "cand.csv"
    assert "none for 'c'" in str(error) and "expected one column per class (a, b, c), that is also p_c" in str(error)


def test_unparseable_score_column() -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "label": [0, 1, 1], "score": ["0.2", "high", "0.9"]})
    error = error_of(("base.csv", frame), ("cand.csv", frame))
    assert error.column == "score" and "1 row (row 2; row 1 is the first data row): 'high'" in str(error)


def test_no_shared_ids_at_all() -> None:
    base, candidate = frames()
    candidate["id"] = [f"x{i}" for i in range(6)]
    assert "no id is found in every file" in str(error_of(("base.csv", base), ("cand.csv", candidate),
                                                           shared_ids_only=True))


def test_numeric_time_is_parsed_only_when_it_looks_like_unix_time() -> None:
    base, candidate = frames()
    base["time"] = [1_700_000_000 + i for i in range(6)]
    candidate["time"] = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]
    assert pd.api.types.is_datetime64_any_dtype(load(("base.csv", base), ("cand.csv", candidate)).metadata["time"])
    data = load(("base.csv", candidate), ("cand.csv", base))
    assert data.metadata["time"].tolist() == candidate["time"].tolist()


def test_hash_collisions_within_a_file_fall_back_to_exact_text(monkeypatch: pytest.MonkeyPatch) -> None:
    base, candidate = frames()
    shuffled = candidate.iloc[[3, 0, 5, 1, 4, 2]]
    expected = load(("base.csv", base), ("cand.csv", shuffled))
    monkeypatch.setattr("evaluation._prediction_file.id_hashes", lambda ids: np.full(len(ids), 7, dtype=np.uint64))
    assert_same_data(load(("base.csv", base), ("cand.csv", shuffled)), expected)
    candidate.loc[3, "id"] = "e1"
    assert "repeats 1 id" in str(error_of(("base.csv", base), ("cand.csv", candidate)))


def test_hash_collisions_across_files_are_caught_by_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    base, candidate = frames()
    candidate.loc[0, "id"] = "x0"  # hashes like e0 below, but is another example
    monkeypatch.setattr("evaluation._prediction_file.id_hashes",
                        lambda ids: np.array([int(text[1:]) for text in ids.to_pylist()], dtype=np.uint64))
    message = str(error_of(("base.csv", base), ("cand.csv", candidate.iloc[::-1])))
    assert "lacks 1 id of base.csv (for example 'e0')" in message and "(for example 'x0')" in message


def test_positive_label_is_ignored_with_a_warning_for_multiclass() -> None:
    base, candidate = frames()
    data = load(("base.csv", base), ("cand.csv", candidate), positive_label="1")
    assert data.positive_label is None and any("ignored" in warning for warning in data.warnings)


def test_numeric_time_beyond_any_date_is_refused_naming_the_rows() -> None:
    # Found by fuzzing: 1e20 (as Unix milliseconds) raised pandas' OutOfBoundsDatetime.
    base = pd.DataFrame({"id": ["a", "b", "c"], "label": [0, 1, 0], "prediction": [0, 1, 1],
                         "timestamp": [1.7e12, 1e20, 1.7e12]})
    error = error_of(("b.csv", base), ("c.csv", base))
    assert error.column == "timestamp"
    assert "b.csv: timestamp column 'timestamp' holds numbers beyond any date in 1 row (row 2;" in str(error)


def test_a_class_order_puts_classes_first_and_changes_no_number() -> None:
    import evaluation

    base = ("b.csv", b"label,prediction\na,a\nb,a\nc,c\nb,b\nc,a\na,a\n")
    tuned = ("t.csv", b"label,prediction\na,a\nb,b\nc,c\nb,b\nc,c\na,b\n")
    sorted_data = evaluation.load_classification([base, tuned])
    ordered = evaluation.load_classification([base, tuned], options=evaluation.LoadOptions(class_order=("c", "a")))
    assert ordered.classes == ("c", "a", "b")
    assert [ordered.classes[i] for i in ordered.y_true] == [sorted_data.classes[i] for i in sorted_data.y_true]
    settings = evaluation.Settings(resamples=50, slice_resamples=20)
    one, other = (evaluation.compare(d, settings=settings) for d in (sorted_data, ordered))
    assert one.models["t"].metrics["f1_macro"].value == other.models["t"].metrics["f1_macro"].value
    assert one.models["t"].per_class["c"]["recall"] == other.models["t"].per_class["c"]["recall"]
    assert list(other.models["t"].per_class) == ["c", "a", "b"]
    with pytest.raises(evaluation.EvaluationError, match="the class order names 'z', which is not a class"):
        evaluation.load_classification([base, tuned], options=evaluation.LoadOptions(class_order=("z",)))
