"""The dashboard's logic without a browser: specs, conversions, tables and operating points."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_recall_curve, precision_score, recall_score

import evaluation
from components import state
from evaluation import ColumnMapping, LoadOptions, Settings


def test_load_options_survive_json() -> None:
    options = LoadOptions(mapping=ColumnMapping(label="y", probabilities={"a": "p_a", "b": "p_b"}, metadata=("city",)),
                          positive_label="b", threshold=0.3, labels=("a", "b"), shared_ids_only=True)
    import json
    assert state.options_from_dict(json.loads(json.dumps(state.options_to_dict(options)))) == options
    assert state.options_from_dict(state.options_to_dict(LoadOptions())) == LoadOptions()


def test_settings_survive_json() -> None:
    settings = Settings(confidence=0.9, alpha=0.01, resamples=123, target_precisions=(0.8, 0.9), correction="fdr_bh")
    assert state.settings_from_dict(state.settings_to_dict(settings)) == settings


def test_the_key_follows_the_content() -> None:
    spec = state.ComparisonSpec(files=(("a.csv", b"1"), ("b.csv", b"2")), names=("a", "b"), baseline="a")
    same = state.ComparisonSpec(files=(("a.csv", b"1"), ("b.csv", b"2")), names=("a", "b"), baseline="a")
    assert spec.key == same.key
    changed_bytes = dataclasses.replace(spec, files=(("a.csv", b"1"), ("b.csv", b"3")))
    changed_settings = dataclasses.replace(spec, settings=dataclasses.replace(spec.settings, alpha=0.01))
    changed_mapping = dataclasses.replace(spec, options=LoadOptions(mapping=ColumnMapping(label="y")))
    changed_baseline = dataclasses.replace(spec, baseline="b")
    keys = {spec.key, changed_bytes.key, changed_settings.key, changed_mapping.key, changed_baseline.key}
    assert len(keys) == 5
    assert changed_settings.load_key == spec.load_key  # a new alpha reuses the loaded data


def test_share_payload_round_trip() -> None:
    spec = state.ComparisonSpec(files=(("a.csv", b"1"), ("b.csv", b"2")), names=("a", "b"), baseline="b",
                                options=LoadOptions(mapping=ColumnMapping(metadata=())), settings=Settings(alpha=0.01))
    view = {"threshold": 0.7, "class_label": "3", "slice_column": "city", "ignored": 1}
    from components.share_store import SharedComparison
    shared = SharedComparison("t" * 32, spec.files, state.share_payload(spec, view), "now")
    restored, restored_view = state.spec_from_share(shared)
    assert dataclasses.replace(restored, origin="upload") == spec
    assert restored.origin == "shared"
    assert restored_view == {"threshold": 0.7, "class_label": "3", "slice_column": "city"}


def test_build_options_keeps_detection_unless_changed() -> None:
    detected = ColumnMapping(id="id", label="label", prediction="pred", probabilities={"0": "prob_0", "1": "prob_1"},
                             metadata=("city", "age"))
    unchanged = {"id": "id", "label": "label", "prediction": "pred", "score": None,
                 "probabilities": ["prob_1", "prob_0"], "metadata": ["age", "city"]}
    assert state.build_options(detected, unchanged, positive_label=None) == LoadOptions()
    changed = unchanged | {"label": "gold", "probabilities": ["prob_0"], "metadata": []}
    options = state.build_options(detected, changed, positive_label="1")
    assert options.mapping == ColumnMapping(label="gold", probabilities={"0": "prob_0"}, metadata=())
    assert options.positive_label == "1"


@pytest.mark.parametrize(("column", "label"), [("prob_cat", "cat"), ("proba_1", "1"), ("p_x", "x"), ("dog", "dog")])
def test_class_of_probability_column(column: str, label: str) -> None:
    assert state.class_of_probability_column(column) == label


def test_default_model_names() -> None:
    assert state.default_model_name("base.csv") == "base"
    assert state.default_model_name("ft.v2.jsonl.gz") == "ft.v2"


def _data(n: int = 400, seed: int = 0) -> evaluation.ClassificationData:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    models = []
    for name, strength in (("base", 1.0), ("tuned", 2.0)):
        logits = rng.normal(size=(n, 3))
        logits[np.arange(n), y] += strength
        scores = np.round(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True), 2)
        scores = scores / scores.sum(axis=1, keepdims=True)
        models.append(evaluation.ModelData(name, f"{name}.csv", scores.argmax(axis=1), scores, ColumnMapping()))
    import pandas as pd
    return evaluation.ClassificationData("multiclass", ("0", "1", "2"), None, np.arange(n).astype(str), y,
                                         tuple(models), pd.DataFrame(index=range(n)))


def test_threshold_table_matches_scikit_learn() -> None:
    data = _data()
    table = state.threshold_table(data, "1", 0.4)
    positive = data.y_true == 1
    for row, model in zip(table.itertuples(index=False), data.models, strict=True):
        predicted = model.y_score[:, 1] >= 0.4
        assert row.model == model.name
        assert float(row.precision) == pytest.approx(precision_score(positive, predicted), abs=5e-4)
        assert float(row.recall) == pytest.approx(recall_score(positive, predicted), abs=5e-4)
        assert float(row.F1) == pytest.approx(f1_score(positive, predicted), abs=5e-4)


def test_operating_points_match_scikit_learn_curves() -> None:
    data = _data(seed=3)
    positive, scores = state.class_positive_and_scores(data, "2")
    table = state.find_operating_points(positive, scores, target_precision=0.8, target_recall=0.9)
    for name, score in scores.items():
        precision, recall, thresholds = precision_recall_curve(positive, score)
        precision, recall = precision[:-1], recall[:-1]
        f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
        best = thresholds[np.flatnonzero(f1 == f1.max()).max()]  # the highest threshold on ties
        at_precision = thresholds[precision >= 0.8].min()
        at_recall = thresholds[recall >= 0.9].max()
        rows = table[table["model"] == name].set_index("point")["threshold"].astype(float)
        assert rows["best F1"] == pytest.approx(best, abs=5e-5)
        assert rows["precision >= 0.8"] == pytest.approx(at_precision, abs=5e-5)
        assert rows["recall >= 0.9"] == pytest.approx(at_recall, abs=5e-5)


def test_an_unreachable_target_is_said_so() -> None:
    positive = np.array([True, False, True, False])
    table = state.find_operating_points(positive, {"m": np.array([0.1, 0.9, 0.2, 0.8])}, target_precision=0.99,
                                        target_recall=None)
    assert table.set_index("point").loc["precision >= 0.99", "threshold"] == "not reachable"


def test_filter_flips() -> None:
    import pandas as pd
    table = pd.DataFrame({"id": list("abcd"), "kind": ["regression", "regression", "improvement", "improvement"],
                          "label": ["x", "y", "x", "y"]})
    slices = np.array(["s1", "s2", "s1", "s2"], dtype=object)
    assert list(state.filter_flips(table, kinds=["regression"])["id"]) == ["a", "b"]
    assert list(state.filter_flips(table, kinds=["regression", "improvement"], classes=["y"])["id"]) == ["b", "d"]
    assert list(state.filter_flips(table, kinds=["improvement"], slice_column="c", slice_values=["s1"],
                                   slice_of_row=slices)["id"]) == ["c"]
