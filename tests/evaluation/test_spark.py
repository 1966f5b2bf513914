"""The Spark engine on ``local[2]``: the local engine's report from directories of Parquet parts and from Spark
DataFrames, the loading checks' messages, and the command line.

As in ``test_duckdb.py``, the claim is invariance: the numbers of the local engine (itself checked against
scikit-learn, scipy and statsmodels) come out of Spark's cell table unchanged, whatever Spark's partitioning.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation import EvaluationError, LoadOptions, Settings, load_classification
from evaluation._spark import load_classification_spark, spark_session
from evaluation._sql_scores import calibration_bin
from tests.evaluation.test_duckdb import COLUMNS, DEMO, ROOT, bad_scores, changed_examples, empty_values, report, write
from tests.evaluation.test_sql_scores import RUNS, check_scored_cells, hard_confidences, hard_scores, numpy_bins, scored_terms
from tests.evaluation.test_sql_slices import empty_columns
from tests.helpers import assert_close_documents


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local Spark session for the module (it takes seconds to start)."""
    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """The demo's two files as single Parquet files, and as directories of three parts each in another row order."""
    folder = tmp_path_factory.mktemp("spark")
    base = pd.read_csv(DEMO / "base.csv")[COLUMNS]
    tuned = pd.read_csv(DEMO / "finetuned.csv")[["id", "label", "prediction"]].sample(frac=1.0, random_state=7)
    singles, directories = [], []
    for name, frame in (("base", base), ("finetuned", tuned)):
        frame.to_parquet(folder / f"{name}.parquet", index=False)
        (folder / name).mkdir()
        for part in range(3):
            frame.iloc[part::3].to_parquet(folder / name / f"part-{part:05d}.parquet", index=False)
        (folder / name / "_SUCCESS").write_text("")
        singles.append(str(folder / f"{name}.parquet"))
        directories.append(str(folder / name))
    return singles, directories


def test_spark_gives_the_local_report_from_directories_of_parts(spark: Any,
                                                                parts: tuple[list[str], list[str]]) -> None:
    singles, directories = parts
    local = report(load_classification(singles))
    found = report(load_classification_spark(directories, session=spark))
    for name in ("base", "finetuned"):
        found["models"][name]["source"] = local["models"][name]["source"]
    assert found == local
    assert any(s["column"] == "ink" and s["value"] == "228 to 299" for s in local["comparisons"][0]["slices"])


def test_spark_dataframes_are_read_as_they_are(spark: Any, parts: tuple[list[str], list[str]]) -> None:
    singles, _ = parts
    frames = [spark.read.parquet(path).repartition(5) for path in singles]
    data = load_classification_spark(frames, names=["base", "finetuned"], session=spark)
    assert [m.source for m in data.models] == ["DataFrame 1", "DataFrame 2"]
    local = report(load_classification(singles))
    found = report(data)
    for name in ("base", "finetuned"):
        found["models"][name]["source"] = local["models"][name]["source"]
    assert found == local


def test_the_checks_name_the_file_the_column_and_the_ids(spark: Any, tmp_path: Path) -> None:
    base = pd.read_csv(DEMO / "base.csv")[COLUMNS]
    tuned = pd.read_csv(DEMO / "finetuned.csv")[["id", "label", "prediction"]]
    base.to_csv(tmp_path / "base.csv", index=False)
    pd.concat([tuned, tuned.iloc[[3]]]).to_csv(tmp_path / "twice.csv", index=False)
    with pytest.raises(EvaluationError) as caught:
        load_classification_spark([str(tmp_path / "base.csv"), str(tmp_path / "twice.csv")], session=spark)
    assert caught.value.file == "twice.csv" and caught.value.column == "id"
    assert f"repeats 1 ids (for example '{tuned['id'].iloc[3]}')" in caught.value.message
    tuned.iloc[:800].to_csv(tmp_path / "short.csv", index=False)
    options = LoadOptions(shared_ids_only=True)
    data = load_classification_spark([str(tmp_path / "base.csv"), str(tmp_path / "short.csv")], options=options,
                                     session=spark)
    local = load_classification([str(tmp_path / "base.csv"), str(tmp_path / "short.csv")], options=options)
    assert data.n_examples == local.n_examples == 800
    assert report(data) == report(local) | {"warnings": report(data)["warnings"]}


def test_the_command_line_runs_on_spark(parts: tuple[list[str], list[str]]) -> None:
    _, directories = parts
    completed = subprocess.run([sys.executable, "-m", "evaluation", "compare", *directories, "--engine", "spark",
                                "--spark-master", "local[1]", "--format", "markdown", "--resamples", "200"],
                               capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "# Model comparison: finetuned vs base" in completed.stdout
    assert "899 paired examples" in completed.stdout
    assert "| ink | 228 to 299 | 231 |" in completed.stdout  # a numeric column's quantile bin, cut by Spark


@pytest.mark.parametrize(("files", "options"), [
    (["binary_base.csv", "binary_finetuned.csv"], LoadOptions(positive_label="malignant")),  # one score column
    (["base.csv", "finetuned.csv"], LoadOptions()),  # ten probability columns
])
def test_spark_computes_every_probability_metric_as_the_local_engine(spark: Any, files: list[str],
                                                                     options: LoadOptions) -> None:
    paths = [str(DEMO / name) for name in files]
    local = report(load_classification(paths, options=options))
    counted = report(load_classification_spark(paths, options=options, session=spark))
    assert "roc_auc" in counted["comparisons"][0]["metrics"] and counted["comparisons"][0]["best_threshold"] == (
        local["comparisons"][0]["best_threshold"])
    assert_close_documents(counted, local, rel=1e-11)  # losses and influences summed in another order


def test_spark_lists_the_first_changed_examples_of_its_prediction_cells_as_the_local_engine(
        spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import evaluation._sql_engine as sql_engine

    _, paths = changed_examples(tmp_path)
    settings = Settings(resamples=100, slice_resamples=20, max_flip_ids=7)
    local = report(load_classification(paths), settings)
    monkeypatch.setattr(sql_engine, "IDS_PER_CELL", 7)  # every prediction cell holds more than it keeps
    counted = report(load_classification_spark(paths, session=spark), settings)
    flips = counted["comparisons"][0]["flips"]
    assert flips["ids_truncated"] and len(flips["regression_ids"]) == len(flips["improvement_ids"]) == 7
    assert counted == local


def test_the_calibration_bin_is_numpys_on_spark(spark: Any) -> None:
    confidence = hard_confidences(49)  # where ceil(c * 49) - 1 alone misplaces some
    spark.createDataFrame(list(enumerate(confidence.tolist())), "i long, c double").createOrReplaceTempView("confidences")
    found = spark.sql(f"SELECT {calibration_bin('c', 49)} FROM confidences ORDER BY i").collect()
    np.testing.assert_array_equal([row[0] for row in found], numpy_bins(confidence, 49))


def test_a_score_columns_calibration_cells_looked_up_on_the_grid_are_numpys_on_spark(spark: Any) -> None:
    from evaluation._spark import SparkBackend

    score, label = hard_scores(15)
    rows = list(zip(range(score.shape[0]), score.tolist(), label.tolist(), strict=True))
    spark.createDataFrame(rows, "row long, s double, y long").createOrReplaceTempView("scores")
    backend = SparkBackend(spark)
    terms = scored_terms(backend, backend.frame(RUNS), 15)
    found = spark.sql(f"SELECT {terms.calibration_cell}, l0_0.calibration >= 0 FROM scores{terms.joins} "
                      "ORDER BY row").collect()
    check_scored_cells(score, label, [tuple(row) for row in found], 15)


def test_an_empty_label_prediction_or_id_of_a_score_file_is_refused_with_ids_on_spark(spark: Any,
                                                                                  tmp_path: Path) -> None:
    for case, (files, column, said) in empty_values(tmp_path).items():
        with pytest.raises(EvaluationError) as caught:
            load_classification_spark(files, session=spark)
        assert (caught.value.file, caught.value.column) == (Path(files[1]).name, column), case
        assert f"column '{column}' {said}" in caught.value.message


def two_models(folder: Path, label: np.ndarray, changed: np.ndarray) -> list[str]:
    """Two models of a binary task on ids e00000, e00001, ...: the second predicts otherwise where ``changed``."""
    base = pd.DataFrame({"id": [f"e{i:05d}" for i in range(len(label))], "label": label, "prediction": label})
    tuned = base.assign(prediction=np.where(changed, 1 - label, label))
    return [write(frame.sample(frac=1.0, random_state=i), folder / f"m{i}.parquet")
            for i, frame in enumerate((base, tuned))]


@pytest.mark.parametrize(("case", "queries"), [("spread", 1), ("a few at the end", 1), ("many at the end", 2),
                                               ("none", 0)])
def test_spark_finds_the_first_changed_ids_among_likely_rows_unless_a_cell_lacks_some(
        spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, queries: int) -> None:
    import evaluation._sql_engine as sql_engine

    n = 4_000
    rng = np.random.default_rng(3)
    label = (rng.random(n) < 0.9).astype(int)
    changed = rng.random(n) < 0.2  # each changed cell holds hundreds: found among the first ids
    if case == "a few at the end":  # three of class 0, last in text order: found by their label and predictions
        changed &= label == 1
        changed[np.flatnonzero(label == 0)[-3:]] = True
    elif case == "many at the end":  # none among the first ids, where they were looked for
        changed = np.arange(n) >= n - 800
    elif case == "none":
        changed[:] = False
    paths = two_models(tmp_path, label, changed)
    asked: list[Any] = []
    ids_query = sql_engine._ids_query

    def spy(*args: Any) -> str:
        asked.append(args[4] if len(args) > 4 else None)
        return ids_query(*args)

    monkeypatch.setattr(sql_engine, "_ids_query", spy)
    monkeypatch.setattr(sql_engine, "IDS_PER_CELL", 5)
    settings = Settings(resamples=100, slice_resamples=20, max_flip_ids=5)
    counted = report(load_classification_spark(paths, session=spark), settings)
    assert counted == report(load_classification(paths), settings)
    assert len(asked) == queries
    if queries:
        assert asked[0] is not None  # the first query joins the likely rows only
        assert counted["comparisons"][0]["flips"]["regression_ids"]
    if queries == 2:
        assert asked[1] is None  # a cell found too few among them: every row


def test_a_nan_or_out_of_range_score_is_refused_with_ids_on_spark(spark: Any, tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match=r"bad.parquet: column 'score' does not hold a probability between 0 and 1 "
                                              r"in 2 rows \(for example ids '7', '30'\)"):
        load_classification_spark(bad_scores(tmp_path), session=spark)


def test_a_column_without_a_value_is_one_missing_slice_on_spark(spark: Any, tmp_path: Path) -> None:
    files = empty_columns(tmp_path)
    assert report(load_classification_spark(files, session=spark)) == report(load_classification(files))
