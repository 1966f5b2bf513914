"""Text generation through the DuckDB and Spark engines (:mod:`evaluation._sql_generation`).

The text metrics tokenise each text in Python, so the engines read the files where they lie, refuse a repeated id
there, and bring the rows to Python in the local loader's order; the claim is identity: the local engine's JSON, byte
for byte, on the same files, in every format and shape of references, with language-model scores, per-example scores,
several samples per id (pass@k), slices and training rows.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation import (
    EvaluationError,
    LoadOptions,
    Settings,
    compare_generation,
    generation_report_to_dict,
    load_generation,
    load_generation_duckdb,
    load_generation_spark,
)
from evaluation._cli import main
from tests.evaluation.test_duckdb import DEMO
from tests.evaluation.test_spark import spark  # noqa: F401  (the module's local[2] session)

SETTINGS = Settings(resamples=200, slice_resamples=50, seed=3)
DEMO_FILES = [str(DEMO / "generation_base.jsonl"), str(DEMO / "generation_finetuned.jsonl")]
WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "rug", "ran", "far"]


def as_json(data: Any, settings: Settings = SETTINGS) -> str:
    return json.dumps(generation_report_to_dict(compare_generation(data, settings=settings)), allow_nan=False)


def sentence(rng: np.random.Generator) -> str:
    return " ".join(rng.choice(WORDS, int(rng.integers(2, 9))))


def frames(n: int = 240, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two models' outputs with ids such as 007, two numbered references (the second sometimes empty), a prompt, a
    split, a categorical and a numeric column to slice by, language-model scores and a judge's 1-5 rating."""
    rng = np.random.default_rng(seed)
    references = [sentence(rng) for _ in range(n)]
    second = [sentence(rng) if rng.random() < 0.6 else "" for _ in range(n)]
    common = pd.DataFrame({"id": [f"{i:03d}" for i in range(n)], "prompt": [f"say {i}" for i in range(n)],
                           "reference_1": references, "reference_2": second, "split": "test",
                           "topic": rng.choice(["news", "chat", "code"], n), "length": rng.integers(1, 40, n)})
    tokens = rng.integers(3, 30, n)
    out = []
    for quality in (0.4, 0.7):
        outputs = [ref if rng.random() < quality else sentence(rng) for ref in references]
        out.append(common.assign(output=outputs, nll=np.round(tokens * rng.uniform(1.0, 3.0 - quality, n), 4),
                                 n_tokens=tokens, score_judge=rng.integers(1, 6, n).astype(float)))
    return out[0], out[1]


def write(frame: pd.DataFrame, path: Path) -> str:
    """A frame as CSV, JSON Lines (its references as one list column) or a directory of three Parquet parts."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        listed = frame.assign(reference=[[r for r in refs if r] for refs in zip(frame["reference_1"],
                                                                                  frame["reference_2"], strict=True)])
        listed.drop(columns=["reference_1", "reference_2"]).to_json(path, orient="records", lines=True)
    else:
        path.mkdir()
        for part in range(3):
            frame.iloc[part * len(frame) // 3:(part + 1) * len(frame) // 3].to_parquet(
                path / f"part-{part:05d}.parquet", index=False)
        (path / "_SUCCESS").write_text("")
    return str(path)


def test_duckdb_gives_the_local_json_of_the_demo_byte_for_byte() -> None:
    data = load_generation_duckdb(DEMO_FILES)
    assert data.n_examples == 330 and data.model_names == ("generation_base", "generation_finetuned")
    found = as_json(data)
    assert found == as_json(load_generation(DEMO_FILES))
    assert {"bleu", "chrf", "ter", "rougeL", "perplexity", "score_placeholders_kept"} <= set(
        json.loads(found)["models"]["generation_base"]["metrics"])


@pytest.mark.parametrize("shape", ["csv", "jsonl", "parts"])
def test_duckdb_gives_the_local_json_in_every_format(tmp_path: Path, shape: str) -> None:
    base, tuned = frames()
    suffix = "" if shape == "parts" else f".{shape}"
    files = [write(base, tmp_path / f"base{suffix}"), write(tuned.sample(frac=1.0, random_state=2),
                                                            tmp_path / f"tuned{suffix}")]
    local = load_generation(files)
    data = load_generation_duckdb(files)
    assert data.ids.tolist() == local.ids.tolist() and data.ids[7] == "007"
    assert data.references == local.references and len(data.references[0]) == 2  # type: ignore[index]
    assert as_json(data) == as_json(local)
    report = json.loads(as_json(data))
    assert {"topic", "length"} <= {entry["column"] for entry in report["comparisons"][0]["slices"]}


def test_spark_gives_the_local_json_from_parts_and_dataframes(spark: Any, tmp_path: Path) -> None:  # noqa: F811
    base, tuned = frames(seed=4)
    for suffix in (".csv", ".jsonl"):  # JSON Lines: the columns in the file's order, as the local reader keeps them
        lines = [write(base, tmp_path / f"base{suffix}"), write(tuned, tmp_path / f"tuned{suffix}")]
        assert as_json(load_generation_spark(lines, session=spark)) == as_json(load_generation(lines))
    files = [write(base, tmp_path / "base"), write(tuned.sample(frac=1.0, random_state=5), tmp_path / "tuned")]
    local = as_json(load_generation(files))
    assert as_json(load_generation_spark(files, session=spark)) == local
    frames_read = [spark.read.parquet(path) for path in files]
    data = load_generation_spark(frames_read, session=spark, names=["base", "tuned"])
    assert [model.source for model in data.models] == ["DataFrame 1", "DataFrame 2"]
    named = as_json(load_generation(files, names=["base", "tuned"]))
    assert as_json(data) == named.replace(files[0], "DataFrame 1").replace(files[1], "DataFrame 2")


def test_several_samples_per_id_give_the_local_pass_at_k(spark: Any, tmp_path: Path) -> None:  # noqa: F811
    rng = np.random.default_rng(6)
    ids = np.repeat([f"task-{i}" for i in range(60)], 4)
    paths = []
    for name, rate in (("base", 0.3), ("tuned", 0.5)):
        frame = pd.DataFrame({"id": ids, "sample": np.tile(np.arange(4), 60), "output": "x", "reference": "x",
                              "score_passed": (rng.random(ids.size) < rate).astype(int)})
        frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
        paths.append(str(tmp_path / f"{name}.parquet"))
    settings = Settings(resamples=200, slice_resamples=50, seed=3, pass_k=(1, 3))
    local = as_json(load_generation(paths), settings)
    assert "score_passed_pass@3" in json.loads(local)["models"]["base"]["metrics"]
    assert as_json(load_generation_duckdb(paths), settings) == local
    assert as_json(load_generation_spark(paths, session=spark), settings) == local


def test_a_repeated_id_is_refused_by_the_engine_and_training_rows_as_the_local_loader(tmp_path: Path) -> None:
    base, tuned = frames(n=30)
    repeated = pd.concat([base, base.iloc[[4, 9]]], ignore_index=True)
    files = [write(repeated, tmp_path / "base.csv"), write(tuned, tmp_path / "tuned.csv")]
    with pytest.raises(EvaluationError) as raised:
        load_generation_duckdb(files)
    assert str(raised.value) == "base.csv: column 'id' repeats 2 ids (for example '004', '009'); expected each example once"
    assert (raised.value.file, raised.value.column) == ("base.csv", "id")
    trained = base.assign(split=["train" if i in (2, 5) else "test" for i in range(len(base))])
    files = [write(trained, tmp_path / "trained.csv"), write(tuned, tmp_path / "tuned.csv")]
    with pytest.raises(EvaluationError) as local:
        load_generation(files)
    with pytest.raises(EvaluationError) as engine:
        load_generation_duckdb(files)
    assert str(engine.value) == str(local.value)
    assert "marks 2 rows (rows 3, 6; row 1 is the first data row) as training data" in str(engine.value)
    options = LoadOptions(drop_train_rows=True, shared_ids_only=True)
    data = load_generation_duckdb(files, options=options)
    assert data.n_examples == 28 and data.warnings == load_generation(files, options=options).warnings
    assert "trained.csv: dropped 2 training rows (column 'split' is train/training)" in data.warnings


def test_logs_and_uploaded_bytes_are_left_to_the_local_engine(tmp_path: Path) -> None:
    log = tmp_path / "samples_task.jsonl"
    log.write_text(json.dumps({"doc_id": 0, "doc": {}, "target": "a", "arguments": [["q", {}]], "resps": [["a"]],
                               "filtered_resps": ["a"], "exact_match": 1.0}) + "\n")
    with pytest.raises(EvaluationError, match="an lm-evaluation-harness or Inspect log is read by the local engine"):
        load_generation_duckdb([str(log), str(log)])
    with pytest.raises(EvaluationError, match="the duckdb engine reads files where they lie"):
        load_generation_duckdb([("a.jsonl", b"{}"), ("b.jsonl", b"{}")])  # type: ignore[list-item]


def run_cli(arguments: list[str]) -> tuple[int, str, str]:
    output, errors = io.StringIO(), io.StringIO()
    with redirect_stdout(output), redirect_stderr(errors):
        status = main(arguments)
    return status, output.getvalue(), errors.getvalue()


def test_the_command_line_runs_generation_on_duckdb_with_a_leakage_check() -> None:
    options = ["--resamples", "200", "--slice-resamples", "50", "--training-data", str(DEMO / "generation_training.jsonl")]
    status, local, said = run_cli(["compare", *DEMO_FILES, *options])
    assert status == 0 and json.loads(local)["leakage"]["n_examples"] == 330, said
    status, counted, said = run_cli(["compare", *DEMO_FILES, *options, "--engine", "duckdb"])
    assert status == 0 and counted == local, said
