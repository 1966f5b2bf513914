"""Directories of part files and glob patterns: read as one file holding every part's rows in name order."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from evaluation import Limits, LoadOptions, Settings, load_classification, load_regression
from evaluation._errors import EvaluationError
from evaluation._io import model_name, read_table, source_name
from evaluation._tasks import detect_task, task_named

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
TEXT = {column: pa.string() for column in ("id", "label", "prediction", "split")}


def lines(path: Path) -> list[bytes]:
    """The lines of a text file, each with its line end."""
    return path.read_bytes().splitlines(keepends=True)


def split_text(source: Path, folder: Path, *, parts: int, header: bool, suffix: str) -> Path:
    """Write a CSV or JSON Lines file's rows into ``parts`` files (each with the header) in ``folder``."""
    folder.mkdir(parents=True)
    rows = lines(source)
    head, body = (rows[:1], rows[1:]) if header else ([], rows)
    size = -(-len(body) // parts)
    for i in range(parts):
        (folder / f"part-{i:05d}{suffix}").write_bytes(b"".join(head + body[i * size:(i + 1) * size]))
    return folder


def split_parquet(source: Path, folder: Path, *, parts: int) -> Path:
    """Write a CSV file's rows as ``parts`` Parquet files in ``folder``, with the files Spark writes beside them."""
    folder.mkdir(parents=True)
    table = pa_csv.read_csv(source, convert_options=pa_csv.ConvertOptions(column_types=TEXT))
    size = -(-table.num_rows // parts)
    for i in range(parts):
        pq.write_table(table.slice(i * size, size), folder / f"part-{i:05d}.snappy.parquet")
        (folder / f".part-{i:05d}.snappy.parquet.crc").write_bytes(b"crc")
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / "_committed_1234").write_bytes(b"{}")
    return folder


def report(task: str, sources: list[Any], names: list[str] | None = None) -> dict[str, Any]:
    """The JSON report of comparing the sources, without the sources' names."""
    chosen = task_named(task)
    chosen.prepare()
    document = chosen.to_dict(chosen.compare(chosen.load(sources, names=names), settings=Settings(resamples=200)))
    for model in document["models"].values():
        model.pop("source")
    return document


def test_split_parquet_directories_give_the_classification_report_of_single_files(tmp_path: Path) -> None:
    base = split_parquet(DEMO / "base.csv", tmp_path / "base", parts=3)
    finetuned = split_parquet(DEMO / "finetuned.csv", tmp_path / "finetuned", parts=4)
    assert detect_task([base]) == "classification"
    split = report("classification", [f"{base}/", str(finetuned)])
    assert split == report("classification", [DEMO / "base.csv", DEMO / "finetuned.csv"])
    assert list(split["models"]) == ["base", "finetuned"]


def test_a_glob_of_csv_parts_gives_the_regression_report_of_single_files(tmp_path: Path) -> None:
    split_text(DEMO / "regression_base.csv", tmp_path / "base", parts=3, header=True, suffix=".csv")
    split_text(DEMO / "regression_finetuned.csv", tmp_path / "finetuned", parts=2, header=True, suffix=".csv")
    sources = [str(tmp_path / "base" / "part-*.csv"), str(tmp_path / "finetuned" / "*.csv")]
    split = report("regression", sources)
    assert split == report("regression", [DEMO / "regression_base.csv", DEMO / "regression_finetuned.csv"],
                            names=["base", "finetuned"])
    assert list(split["models"]) == ["base", "finetuned"]


def test_json_lines_parts_give_the_generation_report_of_single_files(tmp_path: Path) -> None:
    base = split_text(DEMO / "generation_base.jsonl", tmp_path / "base", parts=3, header=False, suffix=".jsonl")
    finetuned = split_text(DEMO / "generation_finetuned.jsonl", tmp_path / "ft", parts=2, header=False, suffix=".jsonl")
    (finetuned / "part-00001.jsonl").write_bytes(gzip.compress((finetuned / "part-00001.jsonl").read_bytes()))
    (finetuned / "part-00001.jsonl").rename(finetuned / "part-00001.jsonl.gz")
    assert detect_task([base]) == "generation"
    split = report("generation", [base, finetuned])
    assert split == report("generation", [DEMO / "generation_base.jsonl", DEMO / "generation_finetuned.jsonl"],
                            names=["base", "ft"])
    assert list(split["models"]) == ["base", "ft"]


def test_the_task_is_detected_from_the_first_part(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_bytes(b"id,label,prediction\n2,cat,dog\n")
    (tmp_path / "a.csv").write_bytes(b"id,label,prediction\n1,2.5,2.25\n")
    assert detect_task([tmp_path]) == detect_task([str(tmp_path / "?.csv")]) == "regression"


def test_a_recursive_glob_reads_parts_in_path_order(tmp_path: Path) -> None:
    for day, rows in (("day=2", b"3,c\n"), ("day=1", b"1,a\n2,b\n")):
        (tmp_path / day).mkdir()
        (tmp_path / day / "part-0.csv").write_bytes(b"id,label\n" + rows)
    table = read_table(str(tmp_path / "**" / "*.csv"))
    assert table.column("id").to_pylist() == [1, 2, 3]


def test_a_directory_skips_bookkeeping_files_and_other_extensions(tmp_path: Path) -> None:
    (tmp_path / "part-1.csv").write_bytes(b"id,label\n2,b\n")
    (tmp_path / "part-0.csv").write_bytes(b"id,label\n1,a\n")
    for name in ("_SUCCESS", "_committed_42", ".part-0.csv.crc", "README.md"):
        (tmp_path / name).write_bytes(b"not a table")
    (tmp_path / "subfolder").mkdir()
    assert read_table(tmp_path).column("label").to_pylist() == ["a", "b"]
    assert source_name(tmp_path) == str(tmp_path)


def test_model_names_of_directories_and_globs() -> None:
    assert model_name("data/finetuned/") == "finetuned"
    assert model_name("data/finetuned") == "finetuned"
    assert model_name("data/base/*.parquet") == "base"
    assert model_name("runs/base/**/part-*.csv.gz") == "base"
    assert model_name("spark/preds.parquet/") == "preds"  # Spark names its output directories like files
    assert model_name("preds[1].csv") == "preds[1]"


def test_a_file_whose_name_holds_glob_characters_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "preds[1].csv"
    path.write_bytes(b"id,label\n1,a\n")
    assert read_table(str(path)).num_rows == 1
    assert source_name(str(path)) == "preds[1].csv"


def test_parts_with_different_columns_name_both_files_and_the_column(tmp_path: Path) -> None:
    (tmp_path / "part-0.csv").write_bytes(b"id,label,prediction\n1,a,a\n")
    (tmp_path / "part-1.csv").write_bytes(b"id,label,pred\n2,b,b\n")
    with pytest.raises(EvaluationError) as info:
        read_table(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path}: column 'prediction' is in {tmp_path / 'part-0.csv'} but not in "
                              f"{tmp_path / 'part-1.csv'}")
    assert info.value.column == "prediction" and info.value.file == str(tmp_path)


def test_columns_in_another_order_are_put_in_the_first_files_order(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"id,label\n1,x\n")
    (tmp_path / "b.csv").write_bytes(b"label,id\ny,2\n")
    table = read_table(tmp_path)
    assert table.column_names == ["id", "label"] and table.column("id").to_pylist() == [1, 2]


def test_nothing_matching_is_named_with_what_was_expected(tmp_path: Path) -> None:
    pattern = str(tmp_path / "base" / "*.parquet")
    with pytest.raises(EvaluationError) as info:
        read_table(pattern)
    assert str(info.value).startswith(f"{pattern}: no .parquet, .csv, .tsv or .jsonl file matches '{pattern}'")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "_SUCCESS").write_bytes(b"")
    with pytest.raises(EvaluationError, match=r"no \.parquet, \.csv, \.tsv or \.jsonl file in the directory"):
        read_table(tmp_path / "empty")
    with pytest.raises(EvaluationError, match=r"no \.parquet, \.csv, \.tsv or \.jsonl file in the directory"):
        detect_task([tmp_path / "empty"])


def test_a_missing_path_without_glob_characters_is_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="file not found"):
        read_table(tmp_path / "absent.csv")


def test_parts_of_different_formats_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"id,label\n1,x\n")
    (tmp_path / "b.jsonl").write_bytes(b'{"id": 2, "label": "y"}\n')
    with pytest.raises(EvaluationError, match=r"is CSV but .*b\.jsonl is JSONL; expected the files of a directory or "
                                              "pattern to be of one format"):
        read_table(tmp_path)


def test_a_later_check_counts_rows_across_the_parts_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "part-0.csv").write_bytes(b"id,label,prediction\n1,a,a\n2,b,a\n3,a,a\n")
    (tmp_path / "part-1.csv").write_bytes(b"id,label,prediction\n4,a,a\n5,,b\n")
    with pytest.raises(EvaluationError) as info:
        load_classification([tmp_path, DEMO / "base.csv"])
    assert str(info.value).startswith(f"{tmp_path}: column 'label' has missing values in 1 row (row 5;")


def test_a_reading_problem_names_the_part_and_its_own_row(tmp_path: Path) -> None:
    (tmp_path / "part-0.csv").write_bytes(b"id,label,prediction\n1,a,a\n2,b,a\n")
    (tmp_path / "part-1.csv").write_bytes(b"id,label,prediction\n3,a,a\n4,b,b,extra\n")
    with pytest.raises(EvaluationError) as info:
        read_table(str(tmp_path / "*.csv"))
    assert str(info.value).startswith(f"{tmp_path / 'part-1.csv'}: not a regular table: row 2 (line 3 of the file;")


def test_csv_parts_inferring_whole_and_decimal_numbers_are_unified(tmp_path: Path) -> None:
    (tmp_path / "part-0.csv").write_bytes(b"id,label,prediction\n1,10,11\n2,20,19\n")
    (tmp_path / "part-1.csv").write_bytes(b"id,label,prediction\n3,30.5,29.5\n4,40,41\n")
    table = read_table(tmp_path)
    assert table.schema.field("label").type == pa.float64()
    data = load_regression([tmp_path, ("single.csv", b"id,label,prediction\n1,10,11\n2,20,19\n3,30.5,29.5\n4,40,41\n")],
                           names=["split", "single"])
    assert data.y_true.tolist() == [10.0, 20.0, 30.5, 40.0]
    assert data.model("split").y_pred.tolist() == data.model("single").y_pred.tolist()


def test_a_column_missing_in_one_part_takes_the_other_parts_type(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(b'{"id": 1, "label": "x", "note": null}\n')
    (tmp_path / "b.jsonl").write_bytes(b'{"id": 2, "label": "y", "note": 2.5}\n')
    assert read_table(tmp_path).column("note").to_pylist() == [None, 2.5]


def test_numbers_and_text_in_a_column_read_as_text_are_kept_as_text(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": [1, 2], "label": ["a", "b"], "prediction": ["a", "a"]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"id": ["x3", "x4"], "label": ["a", "b"], "prediction": ["b", "b"]}), tmp_path / "b.parquet")
    f = load_classification([tmp_path, ("other.csv", b"id,label,prediction\n1,a,a\n2,b,b\nx3,a,a\nx4,b,b\n")]).models[0]
    assert f.name == Path(tmp_path).name


def test_numbers_and_text_in_another_column_name_both_files_and_types(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": [1], "label": ["a"], "age": [31]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"id": [2], "label": ["b"], "age": ["unknown"]}), tmp_path / "b.parquet")
    with pytest.raises(EvaluationError) as info:
        read_table(tmp_path, text_columns=lambda header: ["id", "label"])
    assert str(info.value) == (
        f"{tmp_path}: column 'age' holds numbers (int64) in {tmp_path / 'a.parquet'} but text (string) in "
        f"{tmp_path / 'b.parquet'}; expected the same type in every file (for example numbers in all of them, or "
        "text in all of them)")
    assert info.value.column == "age"


def test_the_row_limit_applies_to_the_parts_together(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"id,label\n1,x\n2,y\n")
    (tmp_path / "b.csv").write_bytes(b"id,label\n3,x\n4,y\n")
    with pytest.raises(EvaluationError) as info:
        read_table(tmp_path, limits=Limits(max_rows=3))
    assert str(info.value) == (f"{tmp_path}: its first 2 files hold 4 data rows; the limit is 3 rows for the files of a "
                               "directory or pattern together (raise it with --max-rows)")
    with pytest.raises(EvaluationError, match=r"its 2 files hold 34 bytes; the limit is 30 bytes for the files of a "
                                              "directory"):
        read_table(tmp_path, limits=Limits(max_bytes=30))


def test_empty_parts_are_allowed_but_not_only_empty_parts(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"id,label\n")
    (tmp_path / "b.csv").write_bytes(b"id,label\n1,x\n")
    assert read_table(tmp_path).num_rows == 1
    (tmp_path / "c.csv").write_bytes(b"")
    assert read_table(tmp_path).num_rows == 1
    (tmp_path / "b.csv").write_bytes(b"id,label\n")
    with pytest.raises(EvaluationError, match="its 3 files have no data rows"):
        read_table(tmp_path)


def test_the_loading_options_reach_every_part(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"id,label,prediction,split\n1,a,a,test\n")
    (tmp_path / "b.csv").write_bytes(b"id,label,prediction,split\n2,b,b,train\n3,b,a,test\n")
    options = LoadOptions(drop_train_rows=True)
    data = load_classification([tmp_path, ("single.csv", b"id,label,prediction\n1,a,a\n3,b,a\n")], options=options)
    assert data.n_examples == 2 and data.model(Path(tmp_path).name).y_pred.tolist() == [0, 0]


def test_the_shift_command_reads_a_directory_as_the_file_of_its_rows(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from evaluation._cli import main

    production = split_text(DEMO / "shift_production.csv", tmp_path / "production", parts=3, header=True, suffix=".csv")
    documents = []
    for source in (production, DEMO / "shift_production.csv"):
        assert main(["shift", str(DEMO / "shift_test.csv"), str(source), "--resamples", "100",
                     "--format", "json"]) == 0
        documents.append(json.loads(capsys.readouterr().out))
    assert documents[0].pop("production_file") == str(production)
    assert documents[1].pop("production_file") == "shift_production.csv"
    assert documents[0] == documents[1]


def test_monitoring_an_a_b_test_and_leakage_read_directories_as_their_files(tmp_path: Path) -> None:
    from evaluation._abtest_data import read_experiment
    from evaluation._leakage import find_leakage
    from evaluation._monitor_data import read_monitor

    production = split_text(DEMO / "monitor_production.csv", tmp_path / "production", parts=4, header=True,
                            suffix=".csv")
    split, single = (read_monitor([source], [DEMO / "monitor_test.csv"], names=["base"])
                     for source in (production, DEMO / "monitor_production.csv"))
    assert split.n == single.n and split.y_true.tolist() == single.y_true.tolist()

    events = split_text(DEMO / "ab_test_events.csv", tmp_path / "events", parts=3, header=True, suffix=".csv")
    arguments: dict[str, Any] = {"variant_column": "variant", "unit_column": "user_id", "metrics": ["converted", "revenue"]}
    split_experiment, experiment = (read_experiment(source, **arguments)
                                    for source in (str(events / "*.csv"), DEMO / "ab_test_events.csv"))
    assert split_experiment.source == str(events / "*.csv")
    assert split_experiment.unit_variant.tolist() == experiment.unit_variant.tolist()
    assert split_experiment.sums.tolist() == experiment.sums.tolist()

    training = split_text(DEMO / "generation_training.jsonl", tmp_path / "training", parts=2, header=False,
                          suffix=".jsonl")
    test = DEMO / "generation_base.jsonl"
    leaked, expected = (find_leakage(test, [source]) for source in (training, DEMO / "generation_training.jsonl"))
    assert leaked.sources == (str(training),)
    assert (leaked.by_id, leaked.by_content, leaked.near_duplicates) == (expected.by_id, expected.by_content,
                                                                         expected.near_duplicates)
    assert leaked.by_content  # the demo's training data holds some test prompts


def test_the_compare_command_reads_directories_and_globs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evaluation._cli import main

    base = split_parquet(DEMO / "base.csv", tmp_path / "base", parts=2)
    split_parquet(DEMO / "finetuned.csv", tmp_path / "finetuned", parts=3)
    assert main(["compare", f"{base}/", str(tmp_path / "finetuned" / "*.parquet"), "--resamples", "200",
                 "--slice-resamples", "200", "--format", "json"]) == 0
    assert list(json.loads(capsys.readouterr().out)["models"]) == ["base", "finetuned"]
