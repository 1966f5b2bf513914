"""The command line on real files: outputs, the regression gate's exit codes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from evaluation._cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REGRESSION, main

ROOT = Path(__file__).resolve().parents[2]
BASE = str(ROOT / "data" / "demo" / "base.csv")
TUNED = str(ROOT / "data" / "demo" / "finetuned.csv")
FAST = ["--resamples", "300", "--slice-resamples", "200"]


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evaluation", *arguments], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def demo_json() -> dict:
    result = run("compare", BASE, TUNED, *FAST)
    assert result.returncode == EXIT_OK, result.stderr
    return json.loads(result.stdout)


def test_json_report_on_the_demo_files(demo_json):
    assert (demo_json["schema_version"], demo_json["task"], demo_json["kind"]) == (2, "classification", "multiclass")
    assert demo_json["n_examples"] == len(pd.read_csv(BASE))
    assert demo_json["classes"] == [str(i) for i in range(10)]
    assert demo_json["baseline"] == "base"
    assert list(demo_json["models"]) == ["base", "finetuned"]
    comparison = demo_json["comparisons"][0]
    assert (comparison["candidate"], comparison["baseline"]) == ("finetuned", "base")
    base = pd.read_csv(BASE)
    tuned = pd.read_csv(TUNED)
    accuracy = demo_json["models"]["finetuned"]["metrics"]["accuracy"]
    assert accuracy["value"] == pytest.approx(skm.accuracy_score(tuned["label"], tuned["prediction"]))
    assert accuracy["ci_low"] < accuracy["value"] < accuracy["ci_high"]
    difference = comparison["metrics"]["f1_macro"]
    expected = (skm.f1_score(tuned["label"], tuned["prediction"], average="macro")
                - skm.f1_score(base["label"], base["prediction"], average="macro"))
    assert difference["difference"] == pytest.approx(expected)
    assert comparison["metrics"]["accuracy"]["test"] == "McNemar exact"
    assert comparison["metrics"]["roc_auc"]["test"] == "DeLong t"


def test_the_demo_story_shows_in_the_analyses(demo_json):
    comparison = demo_json["comparisons"][0]
    fax = next(s for s in comparison["slices"] if s["column"] == "scanner" and s["value"] == "fax")
    assert fax["metrics"]["accuracy"]["difference"]["difference"] < 0
    assert comparison["slices"][0]["metrics"]["f1_macro"]["difference"]["difference"] < 0  # worst first
    assert comparison["flips"]["regressions"] > 0 and comparison["flips"]["improvements"] > 0
    assert comparison["power"]["minimum_detectable_difference"] > 0
    assert set(comparison["thresholds"]) == {"base", "finetuned"}
    assert len(comparison["calibration"]["base"]["count"]) == 15


def test_markdown_report_leads_with_the_verdict(tmp_path, capsys):
    out = tmp_path / "report.md"
    assert main(["compare", BASE, TUNED, *FAST, "--format", "markdown", "--out", str(out)]) == EXIT_OK
    text = out.read_text()
    # The report went to a file; the terminal gets the same verdict sentence as the report's first line.
    sentence = text.split("## Verdict", 1)[1].strip().splitlines()[0].removeprefix("- ")
    said = capsys.readouterr().err.strip()
    assert said.startswith("verdict: finetuned is significantly better than base on F1 (macro)")
    assert said.replace("\\", "") == "verdict: " + sentence.replace("\\", "")
    assert text.index("## Verdict") < text.index("## What got significantly worse") < text.index("## Metrics")
    assert "finetuned is significantly better than base" in text
    assert "scanner" in text


def test_same_seed_gives_identical_output(capsys):
    main(["compare", BASE, TUNED, *FAST, "--seed", "3"])
    first = capsys.readouterr().out
    main(["compare", BASE, TUNED, *FAST, "--seed", "3"])
    assert capsys.readouterr().out == first


def test_gate_passes_an_improvement_and_fails_a_regression(capsys):
    assert main(["compare", BASE, TUNED, *FAST, "--out", "/dev/null", "--fail-on-regression"]) == EXIT_OK
    # Swap the roles: the base model is then a significantly worse candidate.
    status = main(["compare", TUNED, BASE, *FAST, "--out", "/dev/null", "--fail-on-regression", "f1_macro",
                   "accuracy"])
    assert status == EXIT_REGRESSION
    err = capsys.readouterr().err
    assert "base vs finetuned: f1_macro significantly worse" in err
    assert "accuracy significantly worse" in err


def test_gate_with_a_margin_is_a_non_inferiority_test():
    args = ["compare", TUNED, BASE, *FAST, "--out", "/dev/null", "--fail-on-regression", "accuracy"]
    assert main([*args, "--margin", "0.2"]) == EXIT_OK  # the whole interval lies above -0.2
    assert main([*args, "--margin", "0.001"]) == EXIT_REGRESSION


@pytest.mark.parametrize("rows", [1, 2])
def test_gate_never_fails_on_one_or_two_examples(tmp_path, capsys, rows):
    """One example once failed the gate on macro F1, log loss and ECE (exit 1); two on macro F1."""
    header = "id,label,prediction,prob_a,prob_b\n"
    base_rows = ["1,a,b,0.2,0.8", "2,b,b,0.3,0.7"][:rows]
    tuned_rows = ["1,a,a,0.9,0.1", "2,b,b,0.4,0.6"][:rows]
    paths = []
    for name, lines in (("base", base_rows), ("tuned", tuned_rows)):
        path = tmp_path / f"{name}.csv"
        path.write_text(header + "\n".join(lines) + "\n")
        paths.append(str(path))
    gate = ["f1_macro", "log_loss", "brier_score", "expected_calibration_error", "balanced_accuracy"]
    out = tmp_path / "report.json"
    assert main(["compare", paths[1], paths[0], *FAST, "--out", str(out), "--fail-on-regression", *gate]) == EXIT_OK
    metrics = json.loads(out.read_text())["comparisons"][0]["metrics"]
    assert all(metrics[name]["verdict"] != "worse" for name in gate)
    assert metrics["f1_macro"]["difference"] < 0  # the candidate is worse on the data, but that proves nothing
    if rows == 1:
        assert metrics["f1_macro"]["reason"].startswith("fewer than two examples")
        assert main(["compare", paths[1], paths[0], *FAST, "--out", "/dev/null", "--fail-on-regression", "f1_macro",
                     "--margin", "0.1"]) == EXIT_REGRESSION  # non-inferiority cannot be shown without an interval
        assert "no interval (fewer than two examples" in capsys.readouterr().err


def test_gate_exit_code_through_a_real_process():
    result = run("compare", TUNED, BASE, *FAST, "--out", "/dev/null", "--fail-on-regression")
    assert result.returncode == EXIT_REGRESSION
    assert "regression:" in result.stderr


def test_flips_out_writes_every_flipped_example(tmp_path, demo_json):
    out = tmp_path / "flips.csv"
    assert main(["compare", BASE, TUNED, *FAST, "--out", "/dev/null", "--flips-out", str(out)]) == EXIT_OK
    flips = pd.read_csv(out)
    counts = demo_json["comparisons"][0]["flips"]
    assert (flips["kind"] == "regression").sum() == counts["regressions"]
    assert (flips["kind"] == "improvement").sum() == counts["improvements"]
    assert {"id", "label", "baseline_prediction", "candidate_prediction", "scanner"} <= set(flips.columns)


def test_flips_out_cells_never_run_as_spreadsheet_formulas(tmp_path):
    rows = ["id,label,prediction,source"] + [f'{i},{"=cmd|x" if i % 2 else "+cat"},{{}},@{i % 3}' for i in range(40)]
    files = []
    for name, flip_every in (("base", 3), ("tuned", 5)):
        path = tmp_path / f"{name}.csv"
        path.write_text("\n".join(row.format("-dog" if i and i % flip_every == 0 else row.split(",")[1])
                                  if i else row for i, row in enumerate(rows)) + "\n")
        files.append(str(path))
    out = tmp_path / "flips.csv"
    assert main(["compare", *files, *FAST, "--out", "/dev/null", "--flips-out", str(out)]) == EXIT_OK
    import csv
    with out.open(newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert "'-dog" in cells and "'@1" in cells  # a prediction and a slice value that start formulas
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]


def test_target_operating_points_reach_the_json(capsys):
    main(["compare", BASE, TUNED, *FAST, "--target-precision", "0.95", "--target-recall", "0.9"])
    curve = json.loads(capsys.readouterr().out)["models"]["finetuned"]["thresholds"]["3"]
    names = [point["name"] for point in curve["operating_points"]]
    assert names == ["best_f1", "precision>=0.95", "recall>=0.9"]


def test_html_report_is_one_offline_file(tmp_path):
    out = tmp_path / "report.html"
    result = run("compare", BASE, TUNED, *FAST, "--format", "html", "--out", str(out))
    assert result.returncode == EXIT_OK, result.stderr
    text = out.read_text()
    assert text.lstrip().lower().startswith("<!doctype html")
    assert "finetuned is significantly better than base" in text
    assert "src=\"http" not in text and "src='http" not in text


@pytest.mark.parametrize("arguments, expected", [
    (["compare", BASE, "missing.csv"], "missing.csv: no such file"),
    (["compare", BASE], "at least two files"),
    (["compare", BASE, TUNED, "--fail-on-regression", "f2"], "unknown metric"),
    (["compare", BASE, TUNED, "--confidence", "95"], "confidence must be between 0 and 1"),
    (["compare", BASE, TUNED, "--baseline", "nobody"], "no model is named 'nobody'"),
    (["compare", BASE, TUNED, "--margin", "-1", "--fail-on-regression"], "--margin"),
])
def test_bad_usage_exits_2_with_a_message(arguments, expected, capsys):
    assert main(arguments) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_a_file_without_labels_exits_2_naming_file_and_columns(tmp_path):
    broken = tmp_path / "broken.csv"
    pd.read_csv(TUNED).drop(columns=["label"]).to_csv(broken, index=False)
    result = run("compare", BASE, str(broken))
    assert result.returncode == EXIT_BAD_INPUT
    assert "broken.csv" in result.stderr and "label" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_cli_process_settings_turn_off_huge_pages_and_keep_freed_memory() -> None:
    # What python -m evaluation sets before the engine loads, read back from the kernel and glibc
    # in a fresh process (Linux with glibc, as on CI): prctl's PR_GET_THP_DISABLE is 1 once
    # huge pages are off, and a freed block below the raised mmap threshold stays in the heap.
    code = (
        "import ctypes, os, evaluation.__main__ as m\n"
        "assert 'OPENBLAS_NUM_THREADS' not in os.environ  # importing the module changes nothing\n"
        "libc = ctypes.CDLL(None)\n"
        "before = libc.prctl(42, 0, 0, 0, 0)\n"
        "m._one_blas_thread(); m._no_huge_pages(); m._reuse_freed_memory()\n"
        "libc.malloc.restype = ctypes.c_void_p; libc.free.argtypes = [ctypes.c_void_p]\n"
        "block = libc.malloc(64 << 20); ctypes.memset(block, 1, 64 << 20)\n"
        "rss = lambda: int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')\n"
        "held = rss(); libc.free(block)\n"
        "print(before, libc.prctl(42, 0, 0, 0, 0), os.environ['OPENBLAS_NUM_THREADS'], (held - rss()) >> 20)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"})
    assert result.returncode == 0, result.stderr
    before, after, blas_threads, released_mb = result.stdout.split()
    assert (before, after, blas_threads) == ("0", "1", "1")
    assert int(released_mb) < 8  # kept for reuse, not unmapped (glibc's default returns all 64 MB)



@pytest.mark.parametrize("platform, os_name", [("darwin", "posix"), ("win32", "nt"), ("linux", "posix")])
def test_process_settings_are_skipped_where_the_platform_lacks_them(monkeypatch, platform, os_name) -> None:
    import ctypes

    import evaluation.__main__ as entry

    def no_library(name: object) -> None:
        raise OSError(f"cannot open {name!r}")

    monkeypatch.setattr(entry.sys, "platform", platform)
    monkeypatch.setattr(entry.os, "name", os_name)
    monkeypatch.setattr(ctypes, "CDLL", no_library)  # Windows, or a C library that cannot be opened by name
    monkeypatch.setattr(entry.os, "confstr", lambda name: None)  # musl, macOS: not glibc
    entry._no_huge_pages()
    entry._reuse_freed_memory()
    assert entry._c_library() is None and not entry._glibc()


@pytest.mark.parametrize("option", ["--target-precision", "--target-recall"])
def test_a_bad_setting_is_refused_before_any_file_is_read(option, tmp_path, capsys) -> None:
    missing = str(tmp_path / "missing.csv")
    assert main(["compare", BASE, missing, option, "1.5"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"a target {option.rsplit('-', 1)[1]} must lie in (0, 1]" in err  # not "missing.csv: no such file"
    assert "missing.csv" not in err


def test_a_negative_seed_is_a_usage_error_not_a_bug(capsys) -> None:
    assert main(["compare", BASE, TUNED, *FAST, "--seed", "-1"]) == EXIT_BAD_INPUT
    assert "seed must be a whole number, zero or more" in capsys.readouterr().err

HOSTILE = ROOT / "tests" / "data" / "hostile"


def hostile_files(directory: Path) -> dict[str, list[str]]:
    """The probe's inputs, small: each a list of files (and options) the CLI must refuse with exit 2."""
    import gzip
    import json as json_module

    def write(name: str, content: bytes) -> str:
        (directory / name).write_bytes(content)
        return str(directory / name)

    rows = "".join(f"{i},{'ab'[i % 2]},a\n" for i in range(3_000))
    plain = write("plain.csv", ("id,label,prediction\n" + rows).encode())
    labels = "".join(f"{i},l{i % 5_000},l{(i + 1) % 5_000}\n" for i in range(20_000))
    deep = b'{"id": 1, "label": "a", "prediction": "a", "x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}\n"
    wide = ",".join(["id", "label", "prediction", *(f"m{i}" for i in range(100_000))])
    return {
        "bomb": [write("bomb.csv.gz", gzip.compress(b"id,label,prediction\n" + b"1,a,a\n" * 2_000_000)), plain,
                 "--max-bytes", "1M"],
        "rows": [plain, plain, "--max-rows", "1000"],
        "classes": [write("labels.csv", ("id,label,prediction\n" + labels).encode()), plain],
        "damaged gzip": [str(HOSTILE / "gzip_damaged_mid.csv.gz"), plain],
        "deep json": [write("deep.jsonl", deep), plain],
        "wide": [write("wide.csv", (wide + "\n" + ",".join(["1", "a", "a"] + ["0"] * 100_000) + "\n").encode()), plain],
        "field": [write("field.csv", b"id,label,prediction,text\n1,a,a," + b"t" * 5_000 + b"\n"), plain,
                  "--max-field-bytes", "1K"],
        "long label": [write("label.csv", f"id,label,prediction\n1,{'x' * 100_000},a\n".encode()), plain],
        "metadata": [write("meta.csv", b"id,label,prediction,m1,m2,m3\n1,a,a,1,2,3\n"), plain,
                     "--max-metadata-columns", "2"],
        "nested label": [write("nested.jsonl", json_module.dumps({"id": 1, "label": [1], "prediction": "a"}).encode()),
                         plain],
    }


def test_every_hostile_input_exits_2_with_one_line(tmp_path, capsys):
    for case, arguments in hostile_files(tmp_path).items():
        assert main(["compare", *arguments, *FAST, "--out", str(tmp_path / "out.json")]) == EXIT_BAD_INPUT, case
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1, (case, err)
        assert len(err) < 1_000 and "Traceback" not in err, case


def test_hostile_inputs_through_a_real_process(tmp_path):
    cases = hostile_files(tmp_path)
    for case in ("bomb", "damaged gzip", "deep json", "wide"):
        result = run("compare", *cases[case], *FAST, "--out", str(tmp_path / "out.json"))
        assert result.returncode == EXIT_BAD_INPUT, (case, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, case


def test_limit_messages_name_the_option_that_raises_them(tmp_path, capsys):
    cases = hostile_files(tmp_path)
    expected = {"bomb": "--max-bytes", "rows": "--max-rows", "classes": "--max-classes", "field": "--max-field-bytes",
                "long label": "--max-label-length", "metadata": "--max-metadata-columns", "wide": "--max-metadata-columns"}
    for case, option in expected.items():
        main(["compare", *cases[case], *FAST, "--out", str(tmp_path / "out.json")])
        assert f"(raise it with {option}" in capsys.readouterr().err, case


def test_the_probes_crash_inputs_now_compare(tmp_path):
    # A short id after a long one (IndexError in the id hashes) and CR-only line ends (csv.Error): both read now.
    ids = run("compare", str(HOSTILE / "long_then_short_id.csv"), str(HOSTILE / "long_then_short_id_candidate.csv"), *FAST)
    assert ids.returncode == EXIT_OK, ids.stderr
    assert json.loads(ids.stdout)["n_examples"] == 2
    assert main(["compare", str(HOSTILE / "cr_only.csv"), str(HOSTILE / "cr_only.csv"), *FAST, "--names", "a", "b",
                 "--out", str(tmp_path / "out.json")]) == EXIT_OK


@pytest.mark.parametrize("text, size", [("500M", 500 << 20), ("4G", 4 << 30), ("123456", 123_456)])
def test_size_options_take_suffixes(text, size):
    from evaluation._cli import build_parser

    args = build_parser().parse_args(["compare", "a.csv", "b.csv", "--max-bytes", text, "--max-field-bytes", text])
    assert args.max_bytes == size and args.max_field_bytes == size


@pytest.mark.parametrize("option, value", [("--max-bytes", "lots"), ("--max-rows", "0"), ("--max-classes", "-3"),
                                           ("--max-rows", "1.5")])
def test_bad_limit_options_are_usage_errors(option, value, capsys):
    assert main(["compare", BASE, TUNED, option, value]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith(f"error: {option}") and err.count("\n") == 1


REGRESSION_BASE = str(ROOT / "data" / "demo" / "regression_base.csv")
REGRESSION_TUNED = str(ROOT / "data" / "demo" / "regression_finetuned.csv")


def test_regression_from_real_files_equals_scikit_learn_and_scipy(capsys):
    assert main(["compare", REGRESSION_BASE, REGRESSION_TUNED, "--task", "regression", *FAST]) == EXIT_OK
    document = json.loads(capsys.readouterr().out)
    assert (document["schema_version"], document["task"]) == (2, "regression")
    base = pd.read_csv(REGRESSION_BASE).set_index("id")
    tuned = pd.read_csv(REGRESSION_TUNED).set_index("id").loc[base.index]
    references = {"mean_absolute_error": skm.mean_absolute_error, "mean_squared_error": skm.mean_squared_error,
                  "root_mean_squared_error": skm.root_mean_squared_error, "r2": skm.r2_score,
                  "median_absolute_error": skm.median_absolute_error}
    for name, frame in (("regression_base", base), ("regression_finetuned", tuned)):
        metrics = document["models"][name]["metrics"]
        for metric, reference in references.items():
            assert metrics[metric]["value"] == pytest.approx(reference(frame["label"], frame["prediction"]), rel=1e-12)
    from scipy import stats

    differences = document["comparisons"][0]["metrics"]
    for metric, power in (("mean_absolute_error", 1), ("mean_squared_error", 2)):
        expected = stats.ttest_rel((tuned["label"] - tuned["prediction"]).abs() ** power,
                                   (base["label"] - base["prediction"]).abs() ** power)
        assert differences[metric]["test"] == "paired t"
        assert differences[metric]["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
    for metric in ("root_mean_squared_error", "r2", "median_absolute_error"):
        assert differences[metric]["test"] == "paired permutation"
    assert {s["column"] for s in document["comparisons"][0]["slices"]} == {"sex", "age_band", "bmi_band",
                                                                           "true value (quartile)"}


def test_the_task_is_detected_from_non_integer_true_values(tmp_path, capsys):
    rows = ["id,label,prediction"] + [f"{i},{i * 1.5 + 0.25},{i * 1.5}" for i in range(40)]
    paths = []
    for name in ("a.csv", "b.csv"):
        path = tmp_path / name
        path.write_text("\n".join(rows) + "\n")
        paths.append(str(path))
    assert main(["compare", *paths, *FAST]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["task"] == "regression"
    # whole-number true values (the diabetes demo), predictions with fractions: regression too, as monitor reads them
    assert main(["compare", REGRESSION_BASE, REGRESSION_TUNED, *FAST, "--out", str(tmp_path / "r.json")]) == EXIT_OK
    assert json.loads((tmp_path / "r.json").read_text())["task"] == "regression"
    rows = ["id,label,prediction"] + [f"{i},{i % 7},{(i * 3) % 7}" for i in range(40)]  # whole numbers: classes
    (tmp_path / "c.csv").write_text("\n".join(rows) + "\n")
    assert main(["compare", str(tmp_path / "c.csv"), str(tmp_path / "c.csv"), "--names", "x", "y", *FAST,
                 "--out", str(tmp_path / "c.json")]) == EXIT_OK
    assert json.loads((tmp_path / "c.json").read_text())["task"] == "classification"
    assert main(["compare", REGRESSION_BASE, REGRESSION_TUNED, "--task", "regression", "--primary", "f1_macro"]) == 2


def test_the_regression_gate_and_flips(tmp_path, capsys):
    flips = tmp_path / "flips.csv"
    code = main(["compare", REGRESSION_TUNED, REGRESSION_BASE, "--task", "regression", *FAST, "--out", "/dev/null",
                 "--flips-out", str(flips), "--fail-on-regression", "mean_absolute_error", "--margin", "1"])
    assert code == 1  # the base is not shown non-inferior to the fine-tune within 1 point of MAE
    assert "not non-inferior within margin 1" in capsys.readouterr().err
    table = pd.read_csv(flips)
    assert table["change"].is_monotonic_decreasing and set(table["kind"]) <= {"worse", "better", "unchanged"}


# ---------------------------------------------------------------------------------------------------- --preferences

PREFERENCES = ROOT / "tests" / "data" / "preferences"
GENERATION = [str(PREFERENCES / "base.jsonl"), str(PREFERENCES / "tuned.jsonl")]
JUDGMENTS = str(PREFERENCES / "judgments.csv")


def test_compare_with_preferences_end_to_end(tmp_path):
    import statsmodels.api as sm
    from scipy.stats import binomtest

    result = run("compare", *GENERATION, "--preferences", JUDGMENTS, "--resamples", "500")
    assert result.returncode == EXIT_OK, result.stderr
    preferences = json.loads(result.stdout)["comparisons"][0]["preferences"]
    judgments = pd.read_csv(JUDGMENTS)
    wins, losses = int((judgments["winner"] == "tuned").sum()), int((judgments["winner"] == "base").sum())
    ties = len(judgments) - wins - losses
    assert preferences["kind"] == "pairwise"
    assert (preferences["baseline"], preferences["candidate"]) == ("base", "tuned")
    assert (preferences["wins"], preferences["losses"], preferences["ties"]) == (wins, losses, ties)
    assert preferences["win_rate"]["value"] == pytest.approx((wins + ties / 2) / len(judgments))
    assert preferences["p_value"] == pytest.approx(binomtest(wins, wins + losses).pvalue)
    assert preferences["resamples"] == 500 and preferences["judges"] == 2
    # the length-adjusted win rate on the outputs' lengths, against statsmodels
    base = pd.read_json(GENERATION[0], lines=True).set_index("id")["output"].str.split().str.len()
    tuned = pd.read_json(GENERATION[1], lines=True).set_index("id")["output"].str.split().str.len()
    difference = (tuned - base).loc[judgments["id"]].to_numpy(dtype=float)
    score = judgments["winner"].map({"tuned": 1.0, "base": 0.0, "tie": 0.5}).to_numpy()
    x, tie = difference / difference.std(ddof=1), score == 0.5
    fit = sm.GLM(np.concatenate([np.where(tie, 1.0, score), np.zeros(tie.sum())]),
                 sm.add_constant(np.concatenate([x, x[tie]])), family=sm.families.Binomial(),
                 freq_weights=np.concatenate([np.where(tie, 0.5, 1.0), np.full(tie.sum(), 0.5)])).fit(tol=1e-12)
    adjusted = preferences["length_adjusted"]
    assert adjusted["value"] == pytest.approx(1 / (1 + np.exp(-fit.params[0])), abs=1e-9)
    assert preferences["length_slope"] == pytest.approx(fit.params[1], abs=1e-8)
    assert adjusted["ci_low"] < adjusted["value"] < adjusted["ci_high"]
    assert "an adjustment, not a measurement" in adjusted["method"]


def test_compare_with_preferences_in_markdown_and_html(tmp_path):
    out = tmp_path / "report.md"
    assert main(["compare", *GENERATION, "--preferences", JUDGMENTS, "--resamples", "300", "--format", "markdown",
                 "--out", str(out)]) == EXIT_OK
    text = out.read_text()
    assert "### Pairwise preferences (judgments\\.csv)" in text
    assert "Length-adjusted win rate (logistic regression on the standardised length difference; an adjustment, not a " \
           "measurement): 0." in text
    assert "Output length, candidate minus baseline: +" in text and "Position bias: " in text
    page = tmp_path / "report.html"
    result = run("compare", *GENERATION, "--preferences", JUDGMENTS, "--resamples", "300", "--format", "html",
                 "--out", str(page))
    assert result.returncode == EXIT_OK, result.stderr
    html = page.read_text()
    assert "<h3>Pairwise preferences (judgments.csv)</h3>" in html
    assert "Length-adjusted win rate (logistic regression on the standardised length difference; an adjustment, not a " \
           "measurement): 0." in html
    assert "Which answer did the judges prefer?" in html  # the stacked bar of wins, ties and losses


def test_compare_with_preferences_refuses_unknown_ids(tmp_path):
    judgments = tmp_path / "judgments.csv"
    judgments.write_text("id,winner\np01,tuned\nq99,base\np02,tie\n")
    result = run("compare", *GENERATION, "--preferences", str(judgments), "--resamples", "100")
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr == ("error: judgments.csv: column 'id' has ids that are not examples of the compared generation "
                             "files in 1 row (row 2; row 1 is the first data row) (for example 'q99'); expected the ids of "
                             "the generation files (for example 'p00', 'p01', 'p02')\n")
    assert result.stdout == ""


@pytest.mark.parametrize("arguments, message", [
    ([BASE, TUNED, "--preferences", JUDGMENTS],
     "error: --preferences compares the outputs of text-generating models; these files are the classification task"),
    ([*GENERATION, "--preferences", "nowhere.csv"], "error: nowhere.csv: no such file"),
])
def test_compare_with_preferences_bad_usage_exits_2_with_one_line(arguments, message, capsys):
    assert main(["compare", *arguments, "--resamples", "100"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


DEMO = ROOT / "data" / "demo"
MONITOR_SHADOW = [str(DEMO / "monitor_production.csv"), str(DEMO / "monitor_production_finetuned.csv"), "--reference",
                  str(DEMO / "monitor_test.csv"), str(DEMO / "monitor_test_finetuned.csv"), "--names", "base", "finetuned"]
ABTEST = [str(DEMO / "ab_test_events.csv"), "--variant-column", "variant", "--unit-column", "user_id", "--metric",
          "converted", "revenue"]


def test_monitor_html_is_one_offline_page_with_the_shadow_modes_sections(tmp_path):
    out = tmp_path / "monitor.html"
    result = run("monitor", *MONITOR_SHADOW, "--window", "1w", "--resamples", "50", "--format", "html", "--out", str(out))
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stderr == "monitor: 12 windows, 4 alerts\n"  # and nothing of streamlit's about its caches
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script src=" not in page
    assert page.count('class="plotly-graph-div"') == 9  # the 4 metrics, drift, each metric's shadow-mode difference
    assert "<h2>finetuned minus base (shadow mode, paired)</h2>" in page and "<h2>Method</h2>" in page
    assert "<strong>finetuned: alert in week 10 (from 2026-11-02) on accuracy 0.840 against 0.931 on the test set" in page


def test_monitor_html_goes_to_standard_output_without_out():
    result = run("monitor", str(DEMO / "monitor_production.csv"), "--reference", str(DEMO / "monitor_test.csv"),
                 "--resamples", "50", "--drift-permutations", "0", "--format", "html")
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>") and result.stdout.endswith("</html>\n")
    assert "<h2>monitor_test per window</h2>" in result.stdout and "(shadow mode, paired)" not in result.stdout
    assert result.stderr == ""


def test_abtest_html_is_one_offline_page_with_the_verdict(tmp_path):
    out = tmp_path / "abtest.html"
    result = run("abtest", *ABTEST, "--covariate", "pre_period_revenue", "--format", "html", "--out", str(out))
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stderr.startswith("verdict: treatment vs control: converted better")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count('class="plotly-graph-div"') == 1
    assert "<h2>CUPED on pre_period_revenue</h2>" in page
    assert "<tr><td>converted</td><td>treatment</td><td>0.0004698</td><td>+0.0303</td>" in page
    standard = run("abtest", *ABTEST, "--format", "html")
    assert standard.returncode == EXIT_OK and standard.stdout.startswith("<!DOCTYPE html>")
    assert "<th>adjusted p</th><th>verdict</th>" in standard.stdout  # no covariate: the verdicts in the metrics table


@pytest.mark.parametrize("command", [["monitor", str(DEMO / "monitor_production.csv"), "--reference",
                                      str(DEMO / "monitor_test.csv")], ["abtest", *ABTEST]])
@pytest.mark.parametrize("bad", ["pdf", "htm", "HTML"])
def test_monitor_and_abtest_still_refuse_other_formats(command, bad):
    result = run(*command, "--format", bad)
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr.startswith(f"error: unknown format '{bad}' for --format: choose json, markdown or html")
    assert result.stdout == ""
