"""Reading, checking and pairing prediction files: formats, label rules and one test per bad input."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import ColumnMapping, EvaluationError, LoadOptions, inspect_file, load_classification


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def frames(n: int = 6, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 3, n)
    base = pd.DataFrame({"id": [f"e{i}" for i in range(n)], "label": label, "prediction": rng.integers(0, 3, n)})
    probabilities = rng.dirichlet(np.ones(3), n).round(6)
    probabilities[:, 2] = 1 - probabilities[:, 0] - probabilities[:, 1]
    for c in range(3):
        base[f"prob_{c}"] = probabilities[:, c]
    base["city"] = rng.choice(["oslo", "rome"], n)
    cand = base.copy()
    cand["prediction"] = label
    return base, cand


def load(*files: tuple[str, pd.DataFrame | bytes], **options: object):
    sources = [(name, data if isinstance(data, bytes) else csv_bytes(data)) for name, data in files]
    return load_classification(sources, options=LoadOptions(**options))  # type: ignore[arg-type]


def expect_error(match: str, *files: tuple[str, pd.DataFrame | bytes], **options: object) -> EvaluationError:
    with pytest.raises(EvaluationError, match=match) as info:
        load(*files, **options)
    return info.value


# --- formats -------------------------------------------------------------------------------------------

def to_format(frame: pd.DataFrame, kind: str) -> bytes:
    buffer = io.BytesIO()
    if kind == "csv":
        return csv_bytes(frame)
    if kind == "tsv":
        return frame.to_csv(index=False, sep="\t").encode()
    if kind == "parquet":
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    return frame.to_json(orient="records", lines=True).encode()


@pytest.mark.parametrize("kind", ["csv", "tsv", "parquet", "jsonl"])
@pytest.mark.parametrize("compressed", [False, True])
def test_every_format_gives_the_same_data(kind, compressed):
    base, cand = frames()
    reference = load(("base.csv", base), ("cand.csv", cand))
    suffix = f".{kind}" + (".gz" if compressed else "")
    raw = [to_format(f, kind) for f in (base, cand)]
    if compressed:
        raw = [gzip.compress(r) for r in raw]
    data = load(("base" + suffix, raw[0]), ("cand" + suffix, raw[1]))
    assert data.model_names == ("base", "cand")
    assert data.classes == reference.classes == ("0", "1", "2")
    np.testing.assert_array_equal(data.y_true, reference.y_true)
    np.testing.assert_allclose(data.models[0].y_score, reference.models[0].y_score)
    np.testing.assert_array_equal(data.models[1].y_pred, reference.models[1].y_pred)
    assert data.metadata["city"].tolist() == reference.metadata["city"].tolist()


def test_files_on_disk_and_model_names_from_file_names(tmp_path):
    base, cand = frames()
    base.to_csv(tmp_path / "base.csv", index=False)
    (tmp_path / "tuned.csv.gz").write_bytes(gzip.compress(csv_bytes(cand)))
    data = load_classification([tmp_path / "base.csv", tmp_path / "tuned.csv.gz"])
    assert data.model_names == ("base", "tuned")
    assert data.model("tuned").source == "tuned.csv.gz"
    named = load_classification([tmp_path / "base.csv", tmp_path / "tuned.csv.gz"], names=["v1", "v2"])
    assert named.model_names == ("v1", "v2")


# --- label rules ---------------------------------------------------------------------------------------

def test_one_and_one_point_zero_and_text_one_are_one_class():
    base, cand = frames()
    base["label"] = base["label"].astype(float)  # 1.0
    cand["label"] = cand["label"].astype(str)  # "1"
    cand["prediction"] = cand["prediction"].map(lambda v: f" {v} ")
    data = load(("base.csv", base), ("cand.csv", cand))
    assert data.classes == ("0", "1", "2")
    np.testing.assert_array_equal(data.models[1].y_pred, data.y_true)


def test_label_set_is_the_union_of_labels_predictions_and_probability_columns():
    base, cand = frames()
    cand["prediction"] = np.where(cand.index == 0, 7, cand["prediction"])
    cand = cand.drop(columns=["prob_0", "prob_1", "prob_2"])
    data = load(("base.csv", base.drop(columns=["prob_0", "prob_1", "prob_2"])), ("cand.csv", cand))
    assert data.classes == ("0", "1", "2", "7")
    labels = ["a", "b", "c"]
    text = base.assign(label=[labels[v] for v in base["label"]], prediction=[labels[v] for v in base["prediction"]])
    text = text.rename(columns={f"prob_{i}": f"prob_{labels[i]}" for i in range(3)})
    assert load(("x.csv", text), ("y.csv", text)).classes == ("a", "b", "c")


def test_labels_sort_numerically_when_all_are_numbers():
    base, _ = frames()
    base = base.drop(columns=["prob_0", "prob_1", "prob_2"])
    base["label"] = [10, 9, 2, 10, 9, 2]
    base["prediction"] = base["label"]
    assert load(("a.csv", base), ("b.csv", base)).classes == ("2", "9", "10")


def test_declared_labels_are_used_and_unknown_labels_refused():
    base, cand = (f.drop(columns=["prob_0", "prob_1", "prob_2"]) for f in frames())
    data = load(("a.csv", base), ("b.csv", cand), labels=("0", "1", "2", "3"))
    assert data.classes == ("0", "1", "2", "3")
    error = expect_error("outside the declared label set", ("a.csv", base), ("b.csv", cand), labels=("0", "1"))
    assert error.file == "a.csv"


def binary_frames(positive_names=("no", "yes")) -> tuple[pd.DataFrame, pd.DataFrame]:
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    score = np.array([0.2, 0.7, 0.4, 0.1, 0.9, 0.55, 0.3, 0.5])
    names = np.array(positive_names, dtype=object)
    base = pd.DataFrame({"id": range(8), "label": names[y], "score": score})
    return base, base.assign(score=np.clip(score + 0.1 * (2 * y - 1), 0, 1))


@pytest.mark.parametrize("names, positive", [(("no", "yes"), "yes"), (("0", "1"), "1"), (("neg", "Positive"), "Positive"),
                                             (("false", "true"), "true")])
def test_positive_class_is_recognised_by_name(names, positive):
    base, cand = binary_frames(names)
    data = load(("a.csv", base), ("b.csv", cand))
    assert data.task == "binary" and data.positive_label == positive and data.warnings == ()


def test_positive_class_otherwise_is_the_second_sorted_with_a_warning_or_given():
    base, cand = binary_frames(("benign", "malignant"))
    data = load(("a.csv", base), ("b.csv", cand))
    assert data.positive_label == "malignant"
    assert any("positive" in w for w in data.warnings)
    given_one = load(("a.csv", base), ("b.csv", cand), positive_label="benign")
    assert given_one.positive_label == "benign"
    # The score is the positive class's probability: column order follows the classes.
    np.testing.assert_allclose(given_one.models[0].y_score[:, 0], base["score"])
    expect_error("not one of the classes", ("a.csv", base), ("b.csv", cand), positive_label="maybe")


def test_threshold_rule_without_predictions():
    base, cand = binary_frames()
    data = load(("a.csv", base), ("b.csv", cand), threshold=0.5)
    expected = (base["score"] >= 0.5).to_numpy()
    np.testing.assert_array_equal(data.models[0].y_pred == data.classes.index("yes"), expected)
    strict = load(("a.csv", base), ("b.csv", cand), threshold=0.6)
    np.testing.assert_array_equal(strict.models[0].y_pred == 1, (base["score"] >= 0.6).to_numpy())


def test_argmax_rule_without_predictions_takes_the_first_class_on_ties():
    base, cand = frames()
    base = base.drop(columns=["prediction"])
    base.loc[0, ["prob_0", "prob_1", "prob_2"]] = [0.4, 0.4, 0.2]
    data = load(("a.csv", base), ("b.csv", cand))
    expected = base[["prob_0", "prob_1", "prob_2"]].to_numpy().argmax(axis=1)
    np.testing.assert_array_equal(data.models[0].y_pred, expected)
    assert data.models[0].y_pred[0] == 0


def test_explicit_column_names_override_detection():
    base, cand = frames()
    renamed = [f.rename(columns={"id": "key", "label": "truth_col", "prediction": "guess"}) for f in (base, cand)]
    mapping = ColumnMapping(id="key", label="truth_col", prediction="guess")
    data = load(("a.csv", renamed[0]), ("b.csv", renamed[1]), mapping=mapping)
    assert data.n_examples == 6 and data.models[0].columns.prediction == "guess"
    expect_error("there is no column 'nope'", ("a.csv", base), ("b.csv", cand), mapping=ColumnMapping(label="nope"))


# --- pairing -------------------------------------------------------------------------------------------

def test_rows_are_paired_by_id_in_the_first_files_order():
    base, cand = frames()
    shuffled = cand.iloc[[3, 1, 5, 0, 2, 4]]
    data = load(("a.csv", base), ("b.csv", shuffled))
    assert data.ids.tolist() == base["id"].tolist()
    np.testing.assert_array_equal(data.models[1].y_pred, data.y_true)


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(6)))
def test_shuffling_the_candidate_file_changes_nothing(permutation):
    base, cand = frames()
    plain = load(("a.csv", base), ("b.csv", cand))
    shuffled = load(("a.csv", base), ("b.csv", cand.iloc[list(permutation)]))
    np.testing.assert_array_equal(plain.y_true, shuffled.y_true)
    for a, b in zip(plain.models, shuffled.models, strict=True):
        np.testing.assert_array_equal(a.y_pred, b.y_pred)
        np.testing.assert_allclose(a.y_score, b.y_score)


def test_row_order_pairing_without_ids_warns():
    base, cand = frames()
    data = load(("a.csv", base.drop(columns=["id"])), ("b.csv", cand.drop(columns=["id"])))
    assert any("paired by their order" in w for w in data.warnings)
    assert data.ids.tolist() == ["1", "2", "3", "4", "5", "6"]


def test_shared_ids_only_keeps_the_intersection_with_a_warning():
    base, cand = frames()
    data = load(("a.csv", base), ("b.csv", cand.iloc[:4]), shared_ids_only=True)
    assert data.n_examples == 4
    assert any("left out" in w for w in data.warnings)


def test_metadata_keeps_types_and_timestamps_are_parsed():
    base, cand = frames()
    base["age"] = [20, 30, 40, 50, 60, 70]
    base["timestamp"] = pd.date_range("2026-01-01", periods=6, freq="D").astype(str)
    cand["channel"] = "web"
    data = load(("a.csv", base), ("b.csv", cand))
    assert pd.api.types.is_integer_dtype(data.metadata["age"])
    assert pd.api.types.is_datetime64_any_dtype(data.metadata["timestamp"])
    assert set(data.metadata.columns) == {"city", "age", "timestamp", "channel"}


def test_train_rows_are_refused_or_dropped():
    base, cand = frames()
    for f in (base, cand):
        f["split"] = ["test", "Train", "test", "training", "test", "test"]
    error = expect_error("training data", ("a.csv", base), ("b.csv", cand))
    assert "2 rows (rows 2, 4)" in error.message and "--drop-train-rows" in error.message
    assert error.column == "split"
    data = load(("a.csv", base), ("b.csv", cand), drop_train_rows=True)
    assert data.n_examples == 4


def test_inspect_file_shows_the_detected_columns():
    base, _ = frames()
    summary = inspect_file(("base.csv", csv_bytes(base)))
    assert summary.n_rows == 6 and summary.mapping.label == "label" and summary.mapping.id == "id"
    assert dict(summary.mapping.probabilities) == {"0": "prob_0", "1": "prob_1", "2": "prob_2"}
    assert summary.mapping.metadata == ("city",)
    assert summary.classes == ("0", "1", "2")


# --- one test per bad input -----------------------------------------------------------------------------

def test_no_label_column_lists_the_columns_found():
    base, cand = frames()
    error = expect_error("no column holds the true labels", ("a.csv", base), ("b.csv", cand.drop(columns=["label"])))
    assert error.file == "b.csv"
    assert "the columns found are: id, prediction, prob_0" in error.message


def test_duplicate_ids():
    base, cand = frames()
    cand.loc[3, "id"] = "e1"
    error = expect_error("duplicated ids", ("a.csv", base), ("b.csv", cand))
    assert "'e1'" in error.message and error.file == "b.csv"


def test_ids_present_in_one_file_only():
    base, cand = frames()
    error = expect_error("do not hold the same examples", ("a.csv", base), ("b.csv", cand.iloc[:4]))
    assert "a.csv has 2 ids the others lack" in error.message and "--shared-ids-only" in error.message


def test_true_label_differs_between_files():
    base, cand = frames()
    cand.loc[2, "label"] = (cand.loc[2, "label"] + 1) % 3
    error = expect_error("true label of 1 examples differs", ("a.csv", base), ("b.csv", cand))
    assert "e2" in error.message


@pytest.mark.parametrize("content, match", [(b"", "the file is empty"), (b"id,label,prediction\n", "no rows")])
def test_empty_file_or_header_only(content, match):
    base, _ = frames()
    expect_error(match, ("a.csv", base), ("b.csv", content))


def test_not_a_table():
    base, _ = frames()
    expect_error("not a readable comma-separated table", ("a.csv", base), ("b.csv", b"id,label\n1,2\n3,4,5,6\n"))
    expect_error("not readable as a Parquet file", ("a.csv", base), ("b.parquet", b"PAR1 this is not parquet"))


def test_unparseable_numbers():
    base, cand = frames()
    cand["prob_1"] = cand["prob_1"].astype(object)
    cand.loc[4, "prob_1"] = "n/a?"
    error = expect_error("not numbers in 1 row \\(rows 5\\)", ("a.csv", base), ("b.csv", cand))
    assert "'n/a?'" in error.message and error.column == "prob_1"


def test_probabilities_outside_zero_one():
    base, cand = frames()
    cand["prob_0"] = cand["prob_0"] * 100
    error = expect_error("between 0 and 1", ("a.csv", base), ("b.csv", cand))
    assert "percentages" in error.message


def test_probability_rows_not_summing_to_one():
    base, cand = frames()
    cand["prob_2"] = cand["prob_2"] + 0.3
    error = expect_error("must sum to 1", ("a.csv", base), ("b.csv", cand))
    assert "6 rows" in error.message


def test_missing_values():
    base, cand = frames()
    cand.loc[1, "prediction"] = None
    error = expect_error("missing values in 1 row \\(rows 2\\)", ("a.csv", base), ("b.csv", cand))
    assert error.column == "prediction"


def test_text_in_another_encoding():
    base, cand = frames()
    latin = csv_bytes(cand.assign(city="Zürich")).decode().encode("latin-1")
    error = expect_error("not UTF-8", ("a.csv", base), ("b.csv", latin))
    assert "byte 0xfc on line 2" in error.message


def test_unknown_extension():
    base, _ = frames()
    expect_error("unknown file type '.xlsx'", ("a.csv", base), ("b.xlsx", b"..."))


def test_missing_probability_column_for_a_class():
    base, cand = frames()
    cand = cand.drop(columns=["prob_2"])
    cand["prob_1"] = 1 - cand["prob_0"]
    error = expect_error("no probability column for class\\(es\\) '2'", ("a.csv", base), ("b.csv", cand))
    assert "prob_2" in error.message


def test_single_score_column_with_many_classes():
    base, cand = frames()
    cand = cand.drop(columns=["prob_0", "prob_1", "prob_2"]).assign(score=0.5)
    expect_error("only describes a binary task", ("a.csv", base), ("b.csv", cand))


def test_neither_predictions_nor_probabilities():
    base, cand = frames()
    expect_error("neither a prediction column", ("a.csv", base), ("b.csv", cand[["id", "label", "city"]]))


def test_two_files_with_one_name():
    base, cand = frames()
    expect_error("name the models", ("x.csv", base), ("x.csv", cand))
