"""Every changed example's row on the DuckDB and Spark engines (``--flips-out``): the table the local engine's
``flip_table`` gives from the examples, row for row and byte for byte once written as the command writes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation import LoadOptions, load_classification
from evaluation._duckdb import load_classification_duckdb
from evaluation._flips import flip_table
from evaluation._spark import load_classification_spark
from evaluation._text import csv_safe_frame
from tests.evaluation.test_duckdb import DEMO
from tests.evaluation.test_leakage import _run
from tests.evaluation.test_spark import spark  # noqa: F401  (the module's local[2] session)


def _probabilities(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.dirichlet([1.0, 1.0, 1.0], n)
    return np.round(raw, 4)


@pytest.fixture(scope="module")
def three_models(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Three models of one 3-class test set with integer ids, each file in its own row order:

    - the base: Parquet parts, a prediction column of integers, probabilities, two metadata columns, training rows;
    - the fine-tune: CSV, probabilities only (its prediction the largest's class), a metadata column of its own;
    - a third: Parquet, its predictions as text ("0", "1", "2"), no probabilities.
    """
    folder = tmp_path_factory.mktemp("flips")
    rng = np.random.default_rng(11)
    n = 900
    ids = np.arange(5_000, 5_000 + n)
    y = rng.integers(0, 3, n)
    base_p, tuned_p = _probabilities(rng, n), _probabilities(rng, n)
    tuned_p[np.arange(n), y] += 0.6  # the fine-tune is often right
    tuned_p = np.round(tuned_p / tuned_p.sum(axis=1, keepdims=True), 4)
    split = np.where(rng.random(n) < 0.02, "train", "test")
    base = pd.DataFrame({"id": ids, "label": y, "prediction": base_p.argmax(axis=1), "split": split,
                         **{f"prob_{k}": base_p[:, k] for k in range(3)},
                         "region": rng.choice(["north", "south", "=east"], n), "age": rng.integers(18, 80, n)})
    tuned = pd.DataFrame({"id": ids, "label": y, "split": split, **{f"prob_{k}": tuned_p[:, k] for k in range(3)},
                          "channel": rng.choice(["web", "app"], n)})
    third = pd.DataFrame({"id": ids, "label": y, "split": split,
                          "prediction": np.where(rng.random(n) < 0.6, y, rng.integers(0, 3, n)).astype(str)})
    directory = folder / "base"
    directory.mkdir()
    order = rng.permutation(n)
    for part, rows in enumerate(np.array_split(order, 2)):
        base.iloc[rows].to_parquet(directory / f"part-{part:05d}.parquet", index=False)
    tuned.iloc[rng.permutation(n)].to_csv(folder / "tuned.csv", index=False)
    third.iloc[rng.permutation(n)].to_parquet(folder / "third.parquet", index=False)
    return [str(directory), str(folder / "tuned.csv"), str(folder / "third.parquet")]


def _written(table: pd.DataFrame) -> str:
    """The table as ``--flips-out`` writes it."""
    return csv_safe_frame(table).to_csv(index=False)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_the_engines_give_the_local_flip_table(three_models: list[str], engine: str, spark: Any) -> None:  # noqa: F811
    excluded = tuple(str(i) for i in range(5_000, 5_300, 7))
    options = LoadOptions(drop_train_rows=True, exclude_ids=excluded)
    local = load_classification(three_models, options=options)
    data = (load_classification_duckdb(three_models, options=options) if engine == "duckdb" else
            load_classification_spark(three_models, options=options, session=spark))
    for candidate in ("tuned", "third"):
        expected, found = flip_table(local, "base", candidate), flip_table(data, "base", candidate)
        assert len(expected) > 100 and set(expected["kind"]) == {"regression", "improvement"}
        assert not set(found["id"]) & set(excluded)
        assert list(found.columns) == list(expected.columns)
        assert _written(found) == _written(expected)
    assert "candidate_confidence" in flip_table(data, "base", "tuned").columns
    assert "candidate_confidence" not in flip_table(data, "base", "third").columns  # no probabilities
    assert list(flip_table(data, "base", "tuned").columns[-3:]) == ["region", "age", "channel"]
    assert _written(flip_table(data, "third", "tuned")) == _written(flip_table(local, "third", "tuned"))


def test_the_command_writes_the_local_engines_flips_file_on_duckdb(tmp_path: Path) -> None:
    files = [DEMO / "binary_base.csv", DEMO / "binary_finetuned.csv"]
    common = ["--resamples", "200", "--slice-resamples", "50", "--out", tmp_path / "report.json"]
    for engine in ("local", "duckdb"):
        done = _run(*files, *common, "--engine", engine, "--flips-out", tmp_path / f"{engine}.csv")
        assert done.returncode == 0, done.stderr
    written = (tmp_path / "duckdb.csv").read_text()
    assert written == (tmp_path / "local.csv").read_text()
    table = pd.read_csv(tmp_path / "duckdb.csv")
    assert set(table["kind"]) == {"regression", "improvement"} and (table["candidate"] == "binary_finetuned").all()
    assert table["baseline_confidence"].between(0.5, 1).all()  # the probability of the predicted class
