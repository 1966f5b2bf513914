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


def _sklearn_operating_points(positive: np.ndarray, score: np.ndarray, *, precision_target: float,
                              recall_target: float) -> dict[str, float]:
    """Best-F1, precision>=P and recall>=R thresholds read off scikit-learn's precision-recall curve."""
    precision, recall, thresholds = precision_recall_curve(positive, score)
    precision, recall = precision[:-1], recall[:-1]
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    return {"best F1": thresholds[np.flatnonzero(f1 == f1.max()).max()],  # the highest threshold on ties
            f"precision >= {precision_target:g}": thresholds[precision >= precision_target].min(),
            f"recall >= {recall_target:g}": thresholds[recall >= recall_target].max()}


def test_operating_points_table_matches_scikit_learn_curves() -> None:
    data = _data(seed=3)
    table = tables.operating_points_table(data, "2", target_precision=0.8, target_recall=0.9)
    positive = data.y_true == 2
    assert list(table["model"].unique()) == [model.name for model in data.models]
    for model in data.models:
        expected = _sklearn_operating_points(positive, model.y_score[:, 2], precision_target=0.8, recall_target=0.9)
        rows = table[table["model"] == model.name].set_index("point")["threshold"].astype(float)
        assert rows.to_dict() == pytest.approx(expected, abs=5e-5)


def test_the_page_shows_the_engines_operating_points() -> None:
    # The Trade-offs page and the report (--target-precision/--target-recall) give the same points.
    data = _data(seed=4)
    report = evaluation.compare(data, settings=evaluation.Settings(resamples=50, target_precisions=(0.7,),
                                                                    target_recalls=(0.85,)))
    table = tables.operating_points_table(data, "1", target_precision=0.7, target_recall=0.85)
    for name, model in report.models.items():
        shown = table[table["model"] == name]["threshold"].tolist()
        assert shown == [evaluation.format_number(point.threshold, digits=4)
                         for point in model.thresholds["1"].operating_points]


def test_an_unreachable_target_is_said_so() -> None:
    scores = np.array([[0.9, 0.1], [0.1, 0.9], [0.8, 0.2], [0.2, 0.8]])
    model = evaluation.ModelData("m", "m.csv", scores.argmax(axis=1), scores, ColumnMapping())
    data = evaluation.ClassificationData("binary", ("0", "1"), "1", np.arange(4).astype(str), np.array([1, 0, 1, 0]),
                                         (model,), pd.DataFrame(index=range(4)))
    table = tables.operating_points_table(data, "1", target_precision=0.99, target_recall=1.0)
    rows = table.set_index("point")
    assert rows.loc["precision >= 0.99", "threshold"] == "not reachable"
    assert rows.loc["precision >= 0.99", "precision"] == "n/a"
    assert rows.loc["recall >= 1", "threshold"] == "0.1000"


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


def test_a_difference_without_a_verdict_shows_why() -> None:
    """One positive: ROC AUC is not tested, and every table and hover says why instead of "undefined"."""
    from components import charts_common

    rng = np.random.default_rng(0)
    y = np.zeros(60, dtype=np.int64)
    y[0] = 1
    models = []
    for name in ("base", "tuned"):
        p = rng.random(60)
        models.append(evaluation.ModelData(name, f"{name}.csv", (p > 0.5).astype(np.int64), np.column_stack([1 - p, p]),
                                           ColumnMapping()))
    data = evaluation.ClassificationData("binary", ("no", "yes"), "yes", np.arange(60).astype(str), y, tuple(models),
                                         pd.DataFrame(index=range(60)))
    comparison = evaluation.compare(data, settings=evaluation.Settings(resamples=200)).comparisons[0]
    row = tables.differences_table(comparison).set_index("metric").loc[evaluation.METRICS["roc_auc"].title]
    assert row["verdict"] == ("no verdict (class 'yes' has 1 example; ROC AUC and average precision need at least 3 "
                              "of every class for an interval and a test)")
    assert "no verdict (class &#x27;yes&#x27; has 1 example" in charts_common.difference_hover(
        "ROC AUC", comparison.metrics["roc_auc"])
