"""Mistakes in the options get one line saying what happened and what to do; ``--help`` lists metrics and exit codes."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation._cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REGRESSION, main
from evaluation._metrics import METRICS, PER_CLASS_METRICS
from evaluation._statistics import statistics_of

ROOT = Path(__file__).resolve().parents[2]
BASE = str(ROOT / "data" / "demo" / "base.csv")
TUNED = str(ROOT / "data" / "demo" / "finetuned.csv")
FAST = ["--resamples", "200", "--slice-resamples", "200"]


@pytest.mark.parametrize("arguments, message", [
    (["compare", "--fail-on-regression", "f1_macro", BASE, TUNED],
     f"--fail-on-regression took {BASE!r} as a metric name: put the files before the options, or end the list with --"),
    (["compare", BASE, "--fail-on-regression", "f1_macro", TUNED],
     f"--fail-on-regression took {TUNED!r} as a metric name: put the files before the options, or end the list with --"),
    (["compare", "--names", "old", "new", BASE, TUNED], f"--names took {BASE!r} as a model name"),
    (["compare", BASE, "--target-recall", "0.9", TUNED], f"--target-recall took {TUNED!r} as a target recall"),
    (["compare", BASE, TUNED, "--format", "jsn"],
     "unknown format 'jsn' for --format: choose json, markdown or html (did you mean json?)"),
    (["compare", BASE, TUNED, "--task", "regresion"],
     "unknown task 'regresion' for --task: choose classification, regression or generation (did you mean regression?)"),
    (["compare", BASE, TUNED, "--correction", "holmes"], "unknown correction 'holmes' for --correction: choose holm,"),
    (["compare", BASE, "--format", "markdown", TUNED],
     f"the file {TUNED!r} came after the options: put every file together, before the options"),
    (["compare", BASE, TUNED, "--formt", "json"],
     "unknown option '--formt' (did you mean --format?); python -m evaluation compare --help lists every option"),
    (["compare", BASE, TUNED, "--resamples", "many"], "--resamples takes a whole number, got 'many'"),
    (["compare", BASE, TUNED, "--alpha", "five"], "--alpha takes a number, got 'five'"),
    (["compare", BASE, TUNED, "--out"], "--out needs a value"),
    (["compare", BASE, TUNED, "--preferences"], "--preferences needs a value"),
    (["compare", BASE, TUNED, "--preferenes", "j.csv"],
     "unknown option '--preferenes' (did you mean --preferences?); python -m evaluation compare --help"),
    (["compare"], "no files: write python -m evaluation compare BASELINE CANDIDATE [CANDIDATE ...], the files before the "
                  "options"),
    (["compare", BASE], "compare needs at least two files: the baseline, then one or more candidates"),
    ([], "no command: run python -m evaluation compare BASELINE CANDIDATE"),
    (["comapre", BASE, TUNED], "unknown command 'comapre': the command is compare"),
    (["compare", BASE, TUNED, "--gate-slices"], "--gate-slices widens the CI gate: add --fail-on-regression"),
    (["compare", BASE, TUNED, "--margin", "0.1"], "--margin is the CI gate's non-inferiority margin: add --fail-on-regression"),
])
def test_an_option_mistake_is_one_line_saying_what_to_do(arguments, message, capsys) -> None:
    assert main(arguments) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {message}")
    assert captured.err.count("\n") == 1 and "usage:" not in captured.err
    assert captured.out == ""


def test_a_list_ended_with_a_double_dash_leaves_the_files_to_the_command(capsys) -> None:
    status = main(["compare", *FAST, "--out", "/dev/null", "--fail-on-regression", "f1_macro", "--", BASE, TUNED])
    assert status == EXIT_OK
    said = capsys.readouterr().err.splitlines()  # the verdict (the report went to a file), then the gate
    assert said[0].startswith("verdict: finetuned is significantly better than base")
    assert said[1].startswith("gate passed (no candidate significantly worse) on f1_macro")


def test_a_mistake_through_a_real_process_prints_no_usage_block() -> None:
    result = subprocess.run([sys.executable, "-m", "evaluation", "compare", "--fail-on-regression", "f1_macro",
                             "data/demo/base.csv", "data/demo/finetuned.csv"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr == ("error: --fail-on-regression took 'data/demo/base.csv' as a metric name: put the files "
                             "before the options, or end the list with --\n")


def _help(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main(["compare", "--help"])
    assert info.value.code == EXIT_OK
    return capsys.readouterr().out


def test_help_lists_every_metric_of_every_task_from_the_registries(capsys) -> None:
    text = _help(capsys)
    listed = set(text.replace(",", " ").split())
    assert set(METRICS) <= listed
    assert set(statistics_of("regression")) <= listed
    assert set(PER_CLASS_METRICS) <= listed
    assert "--gate-classes" in text and "--gate-slices" in text


def test_help_gives_the_exit_statuses(capsys) -> None:
    lines = _help(capsys).splitlines()
    start = lines.index("exit status:")
    assert [line.split()[0] for line in lines[start + 1:start + 5]] == ["0", "1", "2", "3"]
    assert "the gate failed" in lines[start + 2] and "bad input or usage" in lines[start + 3]
    assert "internal error" in lines[start + 4]


def test_the_examples_in_help_run(capsys) -> None:
    text = _help(capsys).replace("\\\n", " ")
    examples = [line.strip() for line in text.splitlines() if line.strip().startswith(".venv/bin/python -m evaluation")]
    assert len(examples) == 2
    for example in examples:
        arguments = shlex.split(example)[3:]
        status = main([*arguments, "--resamples", "200", "--out", "/dev/null"])  # slices: the default exchanges
        assert status == (EXIT_REGRESSION if "--gate-slices" in arguments else EXIT_OK)  # the fax slice regressed
    assert "regression: finetuned vs base: f1_macro on slice 'scanner' = 'fax'" in capsys.readouterr().err
