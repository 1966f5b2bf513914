"""Leakage on the DuckDB and Spark engines: the test examples found in the training files by id and by exact content
are the in-memory search's (``evaluation._leakage.find_leakage``, in the test file's row order), and the comparison
without them is the local engine's (``LoadOptions.exclude_ids`` in the engines' loaders).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation import EvaluationError, LoadOptions, load_classification
from evaluation._duckdb import DuckDBBackend, load_classification_duckdb
from evaluation._leakage import find_leakage, leakage_sentences
from evaluation._regression import load_regression
from evaluation._spark import SparkBackend, load_classification_spark
from evaluation._sql_leakage import find_leakage_sql
from evaluation._sql_regression import load_regression_duckdb, load_regression_spark
from evaluation._tasks import task_named
from tests.evaluation.test_duckdb import DEMO, report
from tests.evaluation.test_leakage import _run
from tests.evaluation.test_spark import spark  # noqa: F401  (the module's local[2] session)
from tests.helpers import assert_close_documents

# Python's whitespace that a regular expression's \s misses: a no-break space, an em space, a vertical tab, a file
# separator, an ideographic space
ODD_SPACES = "\u00a0\u2003\x0b\x1c\u3000"


def _backend(engine: str, session: Any) -> Any:
    return DuckDBBackend() if engine == "duckdb" else SparkBackend(session)


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str], list[str], list[str]]:
    """A test file in three Parquet parts (ids in no sorted order), and two training files: a CSV whose ids are
    numbers (12 and 12.0 name one test id) and a JSON Lines file whose prompts are test prompts re-spaced with
    Python's whitespace. Returns the test directory, the training files, and the ids leaked by id and by content
    in the test file's row order."""
    folder = tmp_path_factory.mktemp("leaky")
    rng = np.random.default_rng(5)
    n = 600
    ids = rng.permutation(np.arange(1000, 1000 + n))
    prompts = [f"Review {i}: the  product\twas {'good' if i % 3 else 'bad'} and arrived on day {i % 17}" for i in ids]
    test = pd.DataFrame({"id": ids.astype(str), "label": rng.integers(0, 2, n), "prediction": rng.integers(0, 2, n),
                         "prompt": prompts})
    directory = folder / "test"
    directory.mkdir()
    for part, rows in enumerate(np.array_split(np.arange(n), 3)):
        test.iloc[rows].to_parquet(directory / f"part-{part:05d}.parquet", index=False)
    by_id_rows = sorted(rng.choice(n, 40, replace=False).tolist())
    numbers = pd.DataFrame({"id": [float(ids[r]) if r % 2 else int(ids[r]) for r in by_id_rows] + [5.5, 99_999],
                            "prompt": ["unrelated"] * (len(by_id_rows) + 2)})
    numbers.to_csv(folder / "numbers.csv", index=False)
    content_rows = sorted(rng.choice(n, 30, replace=False).tolist())
    spaced = []
    for k, r in enumerate(content_rows):
        text = prompts[r].replace(" ", ODD_SPACES[k % len(ODD_SPACES)] + " ", 2)
        spaced.append({"id": f"train-{k}", "prompt": f"\n {text}\u2028"})
    spaced.append({"id": "train-x", "prompt": prompts[0].upper()})  # another case: not the exact text
    spaced.append({"id": "train-y", "prompt": "   "})  # an empty text matches no test row
    (folder / "spaced.jsonl").write_text("".join(json.dumps(row) + "\n" for row in spaced), encoding="utf-8")
    in_order = [str(ids[r]) for r in range(n)]
    return (str(directory), [str(folder / "numbers.csv"), str(folder / "spaced.jsonl")],
            [i for i in in_order if in_order.index(i) in by_id_rows],
            [i for i in in_order if in_order.index(i) in content_rows])


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_the_engines_find_the_in_memory_searchs_ids_by_id_and_by_content(
        leaky: tuple[str, list[str], list[str], list[str]], engine: str, spark: Any) -> None:  # noqa: F811
    test, training, by_id, by_content = leaky
    local = find_leakage(test, training)
    assert list(local.by_id) == by_id and list(local.by_content) == by_content  # the fixture's own account
    assert sorted(by_id) != by_id  # the row order is not the text order
    found = find_leakage_sql(_backend(engine, spark), test, training)
    assert (found.by_id, found.by_content) == (local.by_id, local.by_content)
    assert found.ids == tuple(dict.fromkeys(by_id + by_content))
    assert pd.read_parquet(test)["id"].iloc[0] in set(local.near_duplicates) - set(local.by_content)  # upper-cased
    assert (found.n_examples, found.content_columns, found.sources) == (600, ("prompt",), ("numbers.csv", "spaced.jsonl"))
    assert found.near_duplicates == () and found.threshold is None
    assert found.notes == (f"near-duplicates were not looked for: the {engine} engine compares ids and exact text; "
                           "the local engine also finds near-duplicates",)
    sentence = leakage_sentences({"n_leaked": len(found.ids), "n_examples": 600, "training_data": list(found.sources),
                                  "by_id": by_id, "by_content": by_content, "near_duplicates": [],
                                  "content_columns": ["prompt"], "near_duplicate_threshold": None,
                                  "notes": list(found.notes), "without_leaked": None, "verdict_changes": []})[0]
    assert sentence.endswith("40 by id; 30 by the exact text of prompt.") and "near-duplicates (" not in sentence
    alone = find_leakage_sql(_backend(engine, spark), test, training, content_columns=[])
    assert alone.by_content == () and alone.by_id == local.by_id
    assert "compared by id alone" in alone.notes[0]


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_training_file_without_ids_or_the_named_columns(tmp_path: Path, leaky: tuple[str, list[str], list[str],
                                                                                       list[str]],
                                                          engine: str, spark: Any) -> None:  # noqa: F811
    test, _, _, _ = leaky
    prompts = tmp_path / "prompts.csv"
    pd.read_parquet(test).iloc[[3, 1]][["prompt"]].to_csv(prompts, index=False)
    found = find_leakage_sql(_backend(engine, spark), test, [str(prompts)])
    assert found.by_content == tuple(pd.read_parquet(test)["id"].iloc[[1, 3]])  # the test file's order
    assert found.notes[0] == "prompts.csv: no id column, so its rows are compared by content alone"
    with pytest.raises(EvaluationError, match=r"^prompts.csv: no column 'label' to compare by content "
                                              r"\(--leakage-columns\); the columns are prompt$"):
        find_leakage_sql(_backend(engine, spark), test, [str(prompts)], content_columns=["prompt", "label"])


def _scored(folder: Path, integer_ids: bool) -> list[str]:
    """The demo's binary files with their score column, the candidate's rows in another order."""
    paths = []
    for name in ("binary_base", "binary_finetuned"):
        frame = pd.read_csv(DEMO / f"{name}.csv")
        if integer_ids:
            frame["id"] = frame["id"].str.removeprefix("case-").astype(int)
        if name == "binary_finetuned":
            frame = frame.sample(frac=1.0, random_state=3)
        paths.append(str(folder / f"{name}.parquet"))
        frame.to_parquet(paths[-1], index=False)
    return paths


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
@pytest.mark.parametrize("integer_ids", [False, True])
def test_leaving_out_ids_gives_the_local_engines_report(tmp_path: Path, engine: str, integer_ids: bool,
                                                        spark: Any) -> None:  # noqa: F811
    paths = _scored(tmp_path, integer_ids)
    ids = [str(v) for v in pd.read_parquet(paths[0])["id"]]
    excluded = (*ids[7:120:4], "not-an-id", "12.5")
    options = LoadOptions(exclude_ids=excluded)
    local = load_classification(paths, options=options)
    load = load_classification_duckdb if engine == "duckdb" else load_classification_spark
    kwargs = {} if engine == "duckdb" else {"session": spark}
    data = load(paths, options=options, **kwargs)
    assert data.n_examples == local.n_examples == len(ids) - 29
    assert data.warnings == local.warnings
    assert f"29 of {len(ids)} examples were left out (their ids were excluded)" in data.warnings
    assert_close_documents(report(data), report(local))
    with pytest.raises(EvaluationError, match=f"every one of the {len(ids):,} examples is excluded"):
        load(paths, options=LoadOptions(exclude_ids=tuple(ids)), **kwargs)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_leaving_out_ids_in_a_regression_comparison(engine: str, spark: Any) -> None:  # noqa: F811
    paths = [str(DEMO / "regression_base.csv"), str(DEMO / "regression_finetuned.csv")]
    excluded = tuple(pd.read_csv(paths[1])["id"].iloc[::5])
    options = LoadOptions(exclude_ids=excluded)
    local = load_regression(paths, options=options)
    data = (load_regression_duckdb(paths, options=options) if engine == "duckdb" else
            load_regression_spark(paths, options=options, session=spark))
    assert data.n_examples == local.n_examples == 177 - 36 and data.warnings == local.warnings
    task = task_named("regression")
    assert_close_documents(task.to_dict(task.compare(data)), task.to_dict(task.compare(local)))


def test_the_command_finds_the_leak_and_recomputes_without_it_on_duckdb(tmp_path: Path) -> None:
    paths = _scored(tmp_path, integer_ids=False)
    ids = pd.read_parquet(paths[0])["id"]
    training = tmp_path / "train.csv"
    pd.DataFrame({"id": list(ids.iloc[10:80]) + ["elsewhere"]}).to_csv(training, index=False)
    common = ["--training-data", training, "--resamples", "300", "--slice-resamples", "100"]
    local = _run(*paths, *common)
    duck = _run(*paths, *common, "--engine", "duckdb")
    assert local.returncode == duck.returncode == 0, duck.stderr
    section, expected = json.loads(duck.stdout)["leakage"], json.loads(local.stdout)["leakage"]
    assert section["n_leaked"] == 70 and section["by_id"] == list(ids.iloc[10:80])
    assert section["near_duplicate_threshold"] is None and expected["near_duplicate_threshold"] == 0.8
    assert "compared by id alone" in section["notes"][0]  # no content column on both sides
    for key in ("training_data", "n_examples", "n_leaked", "ids", "by_id", "by_content", "near_duplicates",
                "content_columns", "notes", "verdict_changes"):
        assert section[key] == expected[key], key
    assert_close_documents(section["without_leaked"], expected["without_leaked"])
    markdown = _run(*paths, *common, "--engine", "duckdb", "--format", "markdown").stdout
    assert "70 of 285 test examples are in the training data (train\\.csv): 70 by id." in markdown
