"""ROC AUC, average precision, ECE and the curves through an engine: from counts per score and summed influences.

The values are checked against scikit-learn (AUC, AP, the curves), pROC's published DeLong results and the ECE's
definition, and the whole report against the local engine's on the same files (which the rest of the suite checks
against scikit-learn, scipy and statsmodels): equal to the rounding of sums taken in another order, whatever the
baseline, the number of models, a model without probabilities, ``shared_ids_only`` or the confidence bins.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

from evaluation import EvaluationError, LoadOptions, Settings, compare, load_classification, report_to_dict
from evaluation._duckdb import load_classification_duckdb
from tests.evaluation.test_compare import asah_files
from tests.evaluation.test_duckdb import DEMO, report
from tests.helpers import assert_close_documents, dirichlet_probabilities

SETTINGS = Settings(resamples=300, slice_resamples=200, seed=5)


def binary_files(folder: Path, n: int, *, decimals: int | None = 6, models: int = 2, seed: int = 0) -> list[str]:
    """Files of a binary task with scores (ties included), one per model, each in its own row order."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    group = rng.choice(["north", "south", "east"], n)
    paths = []
    for m in range(models):
        score = 1 / (1 + np.exp(-(label * (1.0 + 0.3 * m) + rng.normal(0, 1, n) - 0.5)))
        score[: n // 10] = np.round(score[: n // 10], 2)  # ties
        if decimals is not None:
            score = np.round(score, decimals)
        frame = pd.DataFrame({"id": np.arange(n), "label": label, "score": score, "group": group})
        path = folder / f"model_{m}.parquet"
        frame.sample(frac=1.0, random_state=m).to_parquet(path, index=False)
        paths.append(str(path))
    return paths


def test_the_engines_values_are_scikit_learns(tmp_path: Path) -> None:
    paths = binary_files(tmp_path, 5_000)  # more than the 1,000 rank bins of average precision's jackknife
    counted = compare(load_classification_duckdb(paths), settings=SETTINGS)
    for path in paths:
        frame = pd.read_parquet(path).sort_values("id")
        model = counted.models[Path(path).stem]
        assert model.metrics["roc_auc"].value == pytest.approx(skm.roc_auc_score(frame["label"], frame["score"]),
                                                               rel=1e-12)
        assert model.metrics["average_precision"].value == pytest.approx(
            skm.average_precision_score(frame["label"], frame["score"]), rel=1e-12)
        precision, recall, thresholds = skm.precision_recall_curve(frame["label"], frame["score"])
        curve = model.thresholds["1"]
        at = {t: (p, r) for t, p, r in zip(thresholds, precision, recall, strict=False)}
        for t, p, r in zip(curve.thresholds, curve.precision, curve.recall, strict=True):
            assert at[t] == pytest.approx((p, r), rel=1e-12)
        confidence = np.maximum(frame["score"], 1 - frame["score"]).to_numpy()
        right = (np.where(frame["score"] > 1 - frame["score"], 1, 0) == frame["label"]).to_numpy()
        bins = np.searchsorted(np.arange(1, 15) / 15, confidence, side="left")  # (b/15, (b+1)/15], Guo et al.
        ece = sum(abs(right[bins == b].sum() - confidence[bins == b].sum()) for b in range(15)) / len(frame)
        assert model.metrics["expected_calibration_error"].value == pytest.approx(ece, rel=1e-12)


def test_the_engine_reproduces_procs_delong_test_on_asah(tmp_path: Path) -> None:
    """pROC's published wfns vs s100b (see test_compare.py's test of the local engine): the same z and p."""
    _, paths = asah_files(tmp_path)
    counted = compare(load_classification_duckdb(paths, options=LoadOptions(positive_label="Poor")),
                      settings=Settings(resamples=200))
    difference = counted.comparisons[0].metrics["roc_auc"]
    assert round(counted.models["s100b"].metrics["roc_auc"].value, 4) == 0.7314
    assert round(counted.models["wfns"].metrics["roc_auc"].value, 4) == 0.8237
    se = (0.174214419249478 - 0.0104061769564846) / (2 * stats.norm.ppf(0.975))  # pROC's, from its interval
    assert difference.std_error == pytest.approx(se, rel=1e-9)
    assert 2 * stats.norm.sf(difference.difference / difference.std_error) == pytest.approx(0.0271757822291882,
                                                                                          rel=1e-9)
    assert counted.models["s100b"].metrics["roc_auc"].std_error == pytest.approx(math.sqrt(0.00266868245717244),
                                                                                 rel=1e-9)  # pROC's var(roc)


def document(data: Any, settings: Settings, baseline: str | None) -> dict[str, Any]:
    """The report's JSON as a document."""
    return json.loads(json.dumps(report_to_dict(compare(data, settings=settings, baseline=baseline))))


def local_and_counted(paths: list[str], options: LoadOptions | None = None, settings: Settings = SETTINGS,
                      baseline: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The local engine's report and DuckDB's on the same files."""
    options = options or LoadOptions()
    return (document(load_classification(paths, options=options), settings, baseline),
            document(load_classification_duckdb(paths, options=options, ece_bins=settings.ece_bins), settings,
                     baseline))


def test_three_models_any_baseline_and_other_bins_give_the_local_report(tmp_path: Path) -> None:
    paths = binary_files(tmp_path, 3_000, models=3)
    local, counted = local_and_counted(paths, settings=Settings(resamples=300, slice_resamples=200, ece_bins=10),
                                       baseline="model_2")  # the pairs' calibration cells, transposed
    assert counted["baseline"] == "model_2" and len(counted["comparisons"]) == 2
    assert len(counted["models"]["model_0"]["calibration"]["count"]) == 10
    assert_close_documents(counted, local, rel=1e-11)


def test_scores_off_the_grid_are_counted_on_it(tmp_path: Path) -> None:
    """Scores with more than six decimals are ranked as if rounded to six: ties within 1e-6 are ties."""
    raw, rounded = binary_files(tmp_path, 2_000, decimals=None), []
    for path in raw:
        frame = pd.read_parquet(path)
        frame["score"] = frame["score"].round(6)
        rounded.append(path.replace(".parquet", "_rounded.parquet"))
        frame.to_parquet(rounded[-1], index=False)
    counted = report(load_classification_duckdb(raw), SETTINGS)
    on_grid = report(load_classification(rounded), SETTINGS)
    exact = report(load_classification(raw), SETTINGS)
    auc = [counted["models"][m]["metrics"]["roc_auc"]["value"] for m in ("model_0", "model_1")]
    assert auc == pytest.approx([on_grid["models"][m + "_rounded"]["metrics"]["roc_auc"]["value"]
                                 for m in ("model_0", "model_1")], rel=1e-12)
    assert auc == pytest.approx([exact["models"][m]["metrics"]["roc_auc"]["value"] for m in ("model_0", "model_1")],
                                abs=1e-5)


def test_a_model_without_probabilities_and_shared_ids_only(tmp_path: Path) -> None:
    paths = binary_files(tmp_path, 2_000, models=3)
    frame = pd.read_parquet(paths[2])
    frame.drop(columns="score").assign(prediction=(frame["score"] >= 0.5).astype(int)).iloc[:1_500].to_parquet(
        paths[2], index=False)
    options = LoadOptions(shared_ids_only=True)
    local, counted = local_and_counted(paths, options)
    assert counted["n_examples"] == 1_500 and "roc_auc" not in counted["models"]["model_2"]["metrics"]
    assert "roc_auc" in counted["comparisons"][0]["metrics"] and "roc_auc" not in counted["comparisons"][1]["metrics"]
    counted["warnings"] = [w for w in counted["warnings"] if "shared_ids_only" not in w]
    local["warnings"] = [w for w in local["warnings"] if "shared_ids_only" not in w and "not in every" not in w]
    assert_close_documents(counted, local, rel=1e-11)


def test_a_multiclass_task_in_a_chosen_class_order(tmp_path: Path) -> None:
    y_true, _ = dirichlet_probabilities(1, 3_000, 4)
    rng = np.random.default_rng(2)
    paths = []
    for m, lean in enumerate((1.0, 2.5)):  # a weaker and a stronger model
        weights = rng.gamma(np.ones((3_000, 4)) + lean * np.eye(4)[y_true])
        probabilities = np.round(weights / weights.sum(axis=1, keepdims=True), 6)
        probabilities[:, 3] = np.round(1 - probabilities[:, :3].sum(axis=1), 6)  # six decimals, as files are written
        frame = pd.DataFrame({"id": np.arange(3_000), "label": np.array(list("abcd"))[y_true]})
        for k, name in enumerate("abcd"):
            frame[f"prob_{name}"] = probabilities[:, k]
        paths.append(str(tmp_path / f"m{m}.csv"))
        frame.sample(frac=1.0, random_state=m).to_csv(paths[-1], index=False)
    local, counted = local_and_counted(paths, LoadOptions(class_order=("c", "a")))
    assert list(counted["models"]["m0"]["thresholds"]) == ["c", "a", "b", "d"]
    assert_close_documents(counted, local, rel=1e-11)


def test_the_bins_counted_must_be_the_bins_compared() -> None:
    data = load_classification_duckdb([str(DEMO / "base.csv"), str(DEMO / "finetuned.csv")])
    with pytest.raises(EvaluationError, match="in 15 calibration bins, and the comparison asks for 10; load the files "
                                              "with ece_bins=10"):
        compare(data, settings=Settings(ece_bins=10))


def test_a_class_no_example_is_of_is_not_ranked(tmp_path: Path) -> None:
    """A class with a probability column but no example of it: no AUC of its own, as in the local engine."""
    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 3, 1_000)  # classes a, b and c; d only has probabilities
    paths = []
    for m, lean in enumerate((1.0, 2.0)):
        weights = rng.gamma(np.ones((1_000, 4)) + lean * np.eye(4)[y_true])
        probabilities = np.round(weights / weights.sum(axis=1, keepdims=True), 6)
        probabilities[:, 3] = np.round(1 - probabilities[:, :3].sum(axis=1), 6)
        frame = pd.DataFrame({"id": np.arange(1_000), "label": np.array(list("abc"))[y_true]})
        for k, name in enumerate("abcd"):
            frame[f"prob_{name}"] = probabilities[:, k]
        paths.append(str(tmp_path / f"m{m}.parquet"))
        frame.to_parquet(paths[-1], index=False)
    local, counted = local_and_counted(paths)
    assert list(counted["classes"]) == ["a", "b", "c", "d"] and list(counted["models"]["m0"]["thresholds"]) == [
        "a", "b", "c"]
    assert_close_documents(counted, local, rel=1e-11)
