"""The dashboard's tables against scikit-learn: thresholds, operating points, flips."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, precision_recall_curve, precision_score, recall_score

import evaluation
from components import tables
from evaluation import ColumnMapping


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
    return evaluation.ClassificationData("multiclass", ("0", "1", "2"), None, np.arange(n).astype(str), y,
                                         tuple(models), pd.DataFrame(index=range(n)))


def test_threshold_table_matches_scikit_learn() -> None:
    data = _data()
    table = tables.threshold_table(data, "1", 0.4)
    positive = data.y_true == 1
    for row, model in zip(table.itertuples(index=False), data.models, strict=True):
        predicted = model.y_score[:, 1] >= 0.4
        assert row.model == model.name
        assert float(row.precision) == pytest.approx(precision_score(positive, predicted), abs=5e-4)
        assert float(row.recall) == pytest.approx(recall_score(positive, predicted), abs=5e-4)
        assert float(row.F1) == pytest.approx(f1_score(positive, predicted), abs=5e-4)


def test_operating_points_match_scikit_learn_curves() -> None:
    data = _data(seed=3)
    positive, scores = tables.class_positive_and_scores(data, "2")
    table = tables.find_operating_points(positive, scores, target_precision=0.8, target_recall=0.9)
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
    table = tables.find_operating_points(positive, {"m": np.array([0.1, 0.9, 0.2, 0.8])}, target_precision=0.99,
                                        target_recall=None)
    assert table.set_index("point").loc["precision >= 0.99", "threshold"] == "not reachable"


def test_filter_flips() -> None:
    table = pd.DataFrame({"id": list("abcd"), "kind": ["regression", "regression", "improvement", "improvement"],
                          "label": ["x", "y", "x", "y"]})
    slices = np.array(["s1", "s2", "s1", "s2"], dtype=object)
    assert list(tables.filter_flips(table, kinds=["regression"])["id"]) == ["a", "b"]
    assert list(tables.filter_flips(table, kinds=["regression", "improvement"], classes=["y"])["id"]) == ["b", "d"]
    assert list(tables.filter_flips(table, kinds=["improvement"], slice_column="c", slice_values=["s1"],
                                   slice_of_row=slices)["id"]) == ["c"]


def test_csv_bytes_neutralises_text_cells_and_headers() -> None:
    # A flip table as evaluation.flip_table builds it, with ids, labels and metadata from an attacker.
    table = pd.DataFrame({"id": ["=1+1", "r2"], "kind": ["regression", "improvement"], "label": ["-1", "cat"],
                          "baseline_score": [-0.25, 0.5], "count": [-3, 4], "@region": ["+eu", "us"]})
    rows = list(csv.reader(io.StringIO(tables.csv_bytes(table).decode("utf-8"))))
    assert rows == [["id", "kind", "label", "baseline_score", "count", "'@region"],
                    ["'=1+1", "regression", "'-1", "-0.25", "-3", "'+eu"],
                    ["r2", "improvement", "cat", "0.5", "4", "us"]]
    assert table["id"][0] == "=1+1"  # the table the page shows keeps the real text
