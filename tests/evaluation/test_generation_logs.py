"""Reading lm-evaluation-harness and Inspect logs into the generation table (fixtures: tests/data/generation_logs)."""

from __future__ import annotations

import gzip
import io
import json
import math
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from evaluation import EvaluationError
from evaluation._generation import compare_generation, load_generation
from evaluation._generation_logs import log_format, read_log, read_logs

DATA = Path(__file__).parent.parent / "data" / "generation_logs"
GSM8K_BASE = DATA / "base" / "samples_gsm8k_2024-06-28T10-11-12.123456.jsonl"
GSM8K_TUNED = DATA / "tuned" / "samples_gsm8k_2024-06-28T11-02-40.654321.jsonl"
WIKITEXT = DATA / "base" / "samples_wikitext_2024-06-28T10-11-12.123456.jsonl"
ARC = DATA / "base" / "samples_arc_easy_2024-06-28T10-11-12.123456.jsonl"
INSPECT_BASE = DATA / "base" / "capitals_base.json"
INSPECT_TUNED = DATA / "tuned" / "capitals_tuned.json"
INSPECT_EPOCHS = DATA / "base" / "capitals_epochs.json"


def jsonl(table: pa.Table) -> bytes:
    """The table as JSON Lines, as a user would save it."""
    return "".join(json.dumps(row) + "\n" for row in table.to_pylist()).encode()


def eval_zip(json_log: Path) -> bytes:
    """An Inspect ``.eval`` zip holding a JSON log's samples, laid out as Inspect's EvalRecorder writes it."""
    log = json.loads(json_log.read_text())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        header = {key: value for key, value in log.items() if key != "samples"}
        archive.writestr("_journal/start.json", json.dumps({"version": 2, "eval": log["eval"], "plan": log["plan"]}))
        for sample in log["samples"]:
            archive.writestr(f"samples/{sample['id']}_epoch_{sample['epoch']}.json", json.dumps(sample))
        archive.writestr("summaries.json", json.dumps([{k: s[k] for k in ("id", "epoch", "input", "target", "scores")}
                                                       for s in log["samples"]]))
        archive.writestr("header.json", json.dumps(header))
    return out.getvalue()


# --- detection ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "expected"), [
    (GSM8K_BASE, "lm_eval"), (WIKITEXT, "lm_eval"), (INSPECT_BASE, "inspect"), (INSPECT_EPOCHS, "inspect"),
])
def test_log_format_from_the_file_name_and_first_bytes(path: Path, expected: str) -> None:
    assert log_format(path) == expected


def test_log_format_of_renamed_gzipped_and_other_files() -> None:
    line = GSM8K_BASE.read_bytes().splitlines()[0]
    assert log_format(("gsm8k_run.jsonl", line)) == "lm_eval"  # renamed: recognised by its first record
    assert log_format(("gsm8k_run.jsonl.gz", gzip.compress(line))) == "lm_eval"
    assert log_format(("run.eval", eval_zip(INSPECT_BASE))) == "inspect"
    assert log_format(("base.jsonl", b'{"id": 1, "output": "a", "reference": "a"}\n')) is None
    assert log_format(("base.csv", b"id,output,reference\n1,a,a\n")) is None
    assert log_format(("other.zip", eval_zip(INSPECT_BASE))) is None


# --- lm-evaluation-harness ---------------------------------------------------------------------------

def test_lm_eval_generation_one_row_per_document_and_a_score_per_filter() -> None:
    table = read_log(GSM8K_BASE)
    rows = table.to_pylist()
    assert table.column_names[:6] == ["id", "prompt", "output", "reference", "score_exact_match_strict-match",
                                      "score_exact_match_flexible-extract"]
    assert [r["id"] for r in rows] == ["0", "1", "2"]
    assert [r["output"] for r in rows] == ["5", "7", "[invalid]"]  # the first filter's (strict-match) response
    assert [r["reference"] for r in rows] == ["3 + 2 = 5\n#### 5", "4 * 3 = 12\n#### 12", "10 - 4 = 6\n#### 6"]
    assert rows[0]["prompt"] == "Question: Tom has 3 apples and buys 2 more. How many apples does he have?\nAnswer:"
    assert [r["score_exact_match_strict-match"] for r in rows] == [1.0, 0.0, 0.0]
    assert [r["score_exact_match_flexible-extract"] for r in rows] == [1.0, 0.0, 1.0]
    assert rows[2]["doc_question"] == "Sara had 10 sweets and ate 4. How many are left?"


def test_lm_eval_single_filter_gives_plain_score_names() -> None:
    lines = [json.loads(line) for line in GSM8K_BASE.read_text().splitlines()]
    strict = "".join(json.dumps(r) + "\n" for r in lines if r["filter"] == "strict-match").encode()
    table = read_log((GSM8K_BASE.name, strict))
    assert table.column("score_exact_match").to_pylist() == [1.0, 0.0, 0.0]
    assert "score_exact_match_strict-match" not in table.column_names


def test_lm_eval_rolling_loglikelihood_gives_nll_words_and_bytes() -> None:
    rows = read_log(WIKITEXT).to_pylist()
    pages = [json.loads(line)["doc"]["page"] for line in WIKITEXT.read_text().splitlines()]
    assert [r["nll"] for r in rows] == [112.5, 98.25]  # -loglikelihood
    assert [r["n_tokens"] for r in rows] == [float(len(p.split())) for p in pages]  # word_perplexity's weight: words
    assert [r["n_bytes"] for r in rows] == [float(len(p.encode())) for p in pages]
    assert [r["output"] for r in rows] == ["", ""]
    assert "prompt" not in rows[0]  # the only argument is the scored text, not a context
    assert not any(key.startswith("score_") for key in rows[0])


def test_lm_eval_multiple_choice_old_layout() -> None:
    rows = read_log(ARC).to_pylist()
    assert [r["output"] for r in rows] == ["", ""]
    assert [r["reference"] for r in rows] == ["carbon dioxide", "ice"]  # the target index's choice
    assert [r["score_acc"] for r in rows] == [1.0, 0.0]
    assert [r["score_acc_norm"] for r in rows] == [1.0, 0.0]
    assert rows[0]["prompt"] == "Question: Which gas do plants take in?\nAnswer:"


def test_lm_eval_lambada_perplexity_and_corpus_metric_items_are_left_out() -> None:
    line = {"doc_id": 0, "doc": {"text": "a b"}, "target": " b", "arguments": [["a", " b"]],
            "resps": [[[-8.5, False]]], "filtered_resps": [[-8.5, False]], "perplexity": -8.5, "acc": 0,
            "bleu": [["ref"], "pred"], "f1": [1, 0]}
    row = read_log(("samples_lambada_openai_2024-03-17T10-00-00.000001.jsonl", json.dumps(line).encode())).to_pylist()[0]
    assert row["score_acc"] == 0.0
    assert {"score_perplexity", "score_bleu", "score_f1", "nll"}.isdisjoint(row)


def test_several_lm_eval_tasks_prefix_ids_with_the_task() -> None:
    table = read_logs([GSM8K_BASE, ARC])
    assert table.column("id").to_pylist() == ["gsm8k/0", "gsm8k/1", "gsm8k/2", "arc_easy/0", "arc_easy/1"]
    assert table.column("task").to_pylist() == ["gsm8k"] * 3 + ["arc_easy"] * 2


# --- Inspect -----------------------------------------------------------------------------------------

def test_inspect_json_log() -> None:
    rows = read_log(INSPECT_BASE).to_pylist()
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert [r["prompt"] for r in rows] == ["What is the capital of France?", "What is the capital of Australia?",
                                           "What is the capital of Canada?"]  # sample 3: the last user message
    assert [r["output"] for r in rows] == ["Paris", "Sydney", "Ottawa"]
    assert [r["reference"] for r in rows] == [["Paris"], ["Canberra"], ["Ottawa", "Ottawa, Ontario"]]  # any is right
    assert [r["score_match"] for r in rows] == [1.0, 0.0, 1.0]  # C, I, C
    assert [r["score_model_graded_qa"] for r in rows] == [1.0, 0.5, 1.0]  # C, P, C
    assert [r["metadata_region"] for r in rows] == ["europe", "oceania", "americas"]
    assert "epoch" not in rows[0]


def test_inspect_epochs_numbers_and_dict_values() -> None:
    rows = read_log(INSPECT_EPOCHS).to_pylist()
    assert [r["id"] for r in rows] == ["q1", "q1", "q2", "q2"]  # the epoch column numbers an id's samples
    assert [r["epoch"] for r in rows] == [1, 2, 1, 2]
    assert [r["score_rating"] for r in rows] == [8.0, 8.0, 3.0, 8.0]
    assert [r["score_rubric_accuracy"] for r in rows] == [1.0, 1.0, 0.0, 1.0]
    assert [r["score_rubric_style"] for r in rows] == [0.5] * 4


def test_inspect_output_without_completion_reads_the_first_choice() -> None:
    log = json.loads(INSPECT_BASE.read_text())
    for sample in log["samples"]:
        del sample["output"]["completion"]
    rows = read_log(("run.json", json.dumps(log).encode())).to_pylist()
    assert [r["output"] for r in rows] == ["Paris", "Sydney", "Ottawa"]  # sample 2: the text part only


def test_inspect_eval_zip_gives_the_json_logs_table() -> None:
    assert read_log(("capitals_base.eval", eval_zip(INSPECT_BASE))).equals(read_log(INSPECT_BASE))


@pytest.mark.parametrize(("value", "expected"), [
    ("C", 1.0), ("I", 0.0), ("P", 0.5), ("N", 0.0), ("yes", 1.0), ("False", 0.0), ("0.25", 0.25), (True, 1.0),
    (3, 3.0), ("unreadable", 0.0), (None, None),
])
def test_inspect_score_values_as_value_to_float(value: object, expected: float | None) -> None:
    log = {"version": 2, "status": "success", "eval": {"task": "t"},
           "samples": [{"id": 1, "epoch": 1, "input": "q", "target": "a", "output": {"completion": "a"},
                        "scores": {"s": {"value": value}}}]}
    got = read_log(("t.json", json.dumps(log).encode())).column("score_s").to_pylist()[0]
    assert got == expected or (expected is not None and math.isclose(got, expected))


# --- malformed logs ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "message"), [
    ("samples_x_2024-01-01T00-00-00.jsonl", b'{"doc_id": 0, "target": "a"}\nnot json\n',
     r"samples_x_2024-01-01T00-00-00\.jsonl: line 2 is not JSON .*expected one lm-evaluation-harness sample per line"),
    ("samples_x_2024-01-01T00-00-00.jsonl", b'{"id": 0}\n',
     r"samples_x_2024-01-01T00-00-00\.jsonl: line 1 has no doc_id or target; expected an lm-evaluation-harness"),
    ("samples_x_2024-01-01T00-00-00.jsonl", b"\n",
     r"samples_x_2024-01-01T00-00-00\.jsonl: no samples; expected one lm-evaluation-harness sample per line"),
    ("samples_x_2024-01-01T00-00-00.jsonl", b'{"doc_id": 0, "target": "a", "word_perplexity": 3.5}\n',
     r"doc_id 0: word_perplexity is 3\.5; expected a \[loglikelihood, weight\] pair"),
    ("run.json", b'{"version": 2, "status": "success", "eval": {}, "samples": [{"id": 1}]}',
     r"run\.json: sample 1 has no id or target; expected an Inspect sample"),
    ("run.json", b'{"version": 2, "status": "success", "eval": {}, "samples": []}',
     r"run\.json: the log has no samples"),
    ("run.json", b'{"version": 2, "status": "success", "eval": {} ',
     r"run\.json: not valid JSON .*expected an Inspect JSON log"),
    ("run.eval", b"PK\x03\x04broken", r"run\.eval: not a readable Inspect \.eval log .*expected a zip"),
    ("notes.txt", b"hello", r"notes\.txt: not an evaluation log; expected lm-evaluation-harness samples_"),
])
def test_malformed_logs_name_the_file_and_what_was_expected(name: str, data: bytes, message: str) -> None:
    with pytest.raises(EvaluationError, match=message) as caught:
        read_log((name, data))
    assert caught.value.file == name
    assert "\n" not in str(caught.value)


# --- the generation task consumes the tables ---------------------------------------------------------

@pytest.mark.parametrize(("base", "tuned"), [(GSM8K_BASE, GSM8K_TUNED), (INSPECT_BASE, INSPECT_TUNED)])
def test_tables_load_and_compare_as_generation_files(base: Path, tuned: Path) -> None:
    data = load_generation([("base.jsonl", jsonl(read_log(base))), ("tuned.jsonl", jsonl(read_log(tuned)))])
    assert data.n_examples == 3
    scores = sorted(data.models[0].scores)
    assert scores and all(key.startswith("score_") for key in scores)
    report = compare_generation(data)
    assert report.baseline == "base" and set(report.models) == {"base", "tuned"}


def test_inspect_scores_reach_the_comparison() -> None:
    data = load_generation([("base.jsonl", jsonl(read_log(INSPECT_BASE))),
                            ("tuned.jsonl", jsonl(read_log(INSPECT_TUNED)))])
    assert data.model("base").scores["score_match"].tolist() == [1.0, 0.0, 1.0]
    assert data.model("tuned").scores["score_model_graded_qa"].tolist() == [1.0, 1.0, 0.0]
    assert list(data.metadata.columns) == ["metadata_region", "metadata_difficulty"]


def test_wikitext_table_gives_perplexity() -> None:
    table = jsonl(read_log(WIKITEXT))
    data = load_generation([("base.jsonl", table), ("tuned.jsonl", table)])
    model = data.model("base")
    assert model.nll is not None and model.n_tokens is not None and model.n_bytes is not None
    assert model.nll.tolist() == [112.5, 98.25]
    assert model.n_tokens.tolist() == read_log(WIKITEXT).column("n_tokens").to_pylist()
    perplexity = compare_generation(data).models["base"].metrics["perplexity"].value
    assert math.isclose(perplexity, math.exp((112.5 + 98.25) / (15 + 19)))  # words: 15 and 19 in the fixture


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match=r"samples_x_2024-01-01T00-00-00\.jsonl: could not be read"):
        read_log(tmp_path / "samples_x_2024-01-01T00-00-00.jsonl")


def test_an_inspect_log_with_epochs_is_an_ids_samples_resampled_together() -> None:
    from evaluation._generation import compare_generation
    from evaluation._generation_data import load_generation
    from evaluation._results import Settings

    log = json.loads(INSPECT_EPOCHS.read_text())
    for sample in log["samples"]:  # the other model: every rating one point lower
        sample["scores"]["rating"]["value"] = float(sample["scores"]["rating"]["value"]) - 1
    data = load_generation([INSPECT_EPOCHS, ("other.json", json.dumps(log).encode())])
    assert data.repeats and data.clusters is not None
    assert data.clusters.tolist() == [0, 0, 1, 1]  # q1's two epochs, then q2's
    report = compare_generation(data, settings=Settings(resamples=50, primary_metric="score_rating"))
    assert any("4 examples form 2 clusters" in w for w in report.warnings)
    assert report.comparisons[0].metrics["score_rating"].test == "paired t (clustered)"


def test_an_lm_eval_list_of_gold_answers_is_several_references() -> None:
    from evaluation._generation_data import load_generation

    def log(answers: list[str]) -> bytes:
        rows = [{"doc_id": 0, "target": ["Paris", "City of Paris"], "filtered_resps": [answers[0]], "exact_match": 1.0},
                {"doc_id": 1, "target": "Rome", "filtered_resps": [answers[1]], "exact_match": 0.0}]
        return "".join(json.dumps(row) + "\n" for row in rows).encode()

    rows = read_log(("samples_nq_open_2024-06-28T10-11-12.jsonl", log(["City of Paris", "Milan"]))).to_pylist()
    assert [r["reference"] for r in rows] == [["Paris", "City of Paris"], ["Rome"]]
    data = load_generation([("samples_nq_open_2024-06-28T10-11-12.jsonl", log(["City of Paris", "Milan"])),
                            ("samples_nq_open_2024-06-29T10-11-12.jsonl", log(["Paris", "Rome"]))])
    assert data.references == (("Paris", "City of Paris"), ("Rome",))
