"""Command line: ``python -m evaluation compare BASELINE CANDIDATE [CANDIDATE ...]`` (with ``--preferences
JUDGMENTS`` for generation, a judge's preferences beside the metrics), and ``python -m evaluation preferences
JUDGMENTS`` for pairwise preference judgments alone (``docs/preferences.md``).

Exit status: 0 success; 1 a candidate regressed where the CI gate looks (``--fail-on-regression``,
``--gate-classes``, ``--gate-slices``); 2 bad input or usage (the message names the file, column and
rows, or the option); 3 an unexpected internal error (a bug). The options, their help and the
messages for mistakes in them are in :mod:`evaluation._arguments`; the gate in :mod:`evaluation._gate`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _loading  # noqa: F401  (the loader is imported here, on the main thread)
from ._abtest_cli import run_abtest
from ._arguments import (
    EXIT_BAD_INPUT,
    EXIT_BUG,
    EXIT_OK,
    EXIT_REGRESSION,
    UsageError,
    build_parser,
    explain,
    limits,
    probability_columns,
    swallowed_file,
)
from ._data import ColumnMapping, LoadOptions
from ._errors import EvaluationError, exit_status
from ._gate import Gate, apply_gate, gate_iv
from ._io import import_pandas_integration, source_exists
from ._monitor_cli import run_monitor
from ._results import ComparisonReport, Settings
from ._settings import settings_iv
from ._shift_cli import run_shift
from ._tasks import check_flips, detect_task, task_named
from ._verdict import verdict_sentence

if TYPE_CHECKING:
    from ._abtest import ABTestReport
    from ._monitor_report import MonitorReport
    from ._preferences import PreferenceComparison, PreferenceRatings
    from ._regression import RegressionReport
    from ._shift_report import ShiftReport

__all__ = ["EXIT_BAD_INPUT", "EXIT_BUG", "EXIT_OK", "EXIT_REGRESSION", "build_parser", "main"]


def _html_report(report: ComparisonReport | RegressionReport | ShiftReport | MonitorReport | ABTestReport, *,
                 leakage: dict[str, Any] | None = None, document: dict[str, Any] | None = None) -> str:
    """The HTML report, drawn by the dashboard's chart components (the engine itself draws nothing).

    The engine's one import from the dashboard's package, inside this function so that only
    ``--format html`` loads Plotly; ``tests/test_architecture.py`` allows exactly this one.
    """
    try:
        from components import html_report
    except ImportError as error:
        raise EvaluationError("--format html needs the dashboard's components package (run from the project "
                              f"folder with the requirements installed): {error}") from error
    page = str(html_report.report_html(report))
    if leakage is None or document is None:
        return page
    return str(html_report.with_leakage(page, leakage, document))


def write_report(report: ShiftReport | MonitorReport | ABTestReport, *, output_format: str, out: str | None,
                 summary: Sequence[str] = ()) -> None:
    """Write a command's report as compact JSON, Markdown or the HTML page, to ``out`` or standard output; with
    ``out``, the ``summary`` lines go to standard error, so the terminal still says what was found."""
    if output_format == "html":
        text = _html_report(report)
    else:
        text = (json.dumps(report.to_dict(), allow_nan=False) + "\n" if output_format == "json"
                else report.to_markdown())
    if not out:
        sys.stdout.write(text)
        return
    Path(out).write_text(text, encoding="utf-8")
    for line in summary:
        print(line, file=sys.stderr)


def _settings(args: argparse.Namespace, task: str) -> Settings:
    """The comparison's settings from the options, checked (before the files are read)."""
    primary = args.primary or task_named(task).default_primary
    return settings_iv(Settings(
        confidence=args.confidence, alpha=args.alpha, resamples=args.resamples, seed=args.seed,
        ci_method=args.ci_method, correction=args.correction, primary_metric=primary,
        slice_resamples=args.slice_resamples, min_slice_size=args.min_slice_size,
        target_precisions=tuple(args.target_precision), target_recalls=tuple(args.target_recall),
        rouge_stemmer=args.rouge_stemmer, normalize_answers=args.normalize_answers, pass_k=tuple(args.pass_k)), task=task)


def _run_compare(args: argparse.Namespace) -> int:
    mapping = ColumnMapping(
        id=args.id_column, label=args.label_column, prediction=args.prediction_column, score=args.score_column,
        probabilities=probability_columns(args.probability_columns), split=args.split_column,
        timestamp=args.timestamp_column, metadata=tuple(args.metadata_columns) if args.metadata_columns else None)
    if args.input == "cells":  # a cell table is a classification comparison's counts
        task = "classification"
    else:
        task = args.task or detect_task(args.files, mapping=mapping)  # reads the first rows of the first file only
    _engine_iv(args, task)
    if args.preferences is not None and task != "generation":
        raise EvaluationError(f"--preferences compares the outputs of text-generating models; these files are the "
                              f"{task} task (add --task generation if they hold generated text)")
    chosen_text = [option for option, given in (("--rouge-stemmer", args.rouge_stemmer),
                                                 ("--normalize-answers", args.normalize_answers),
                                                 ("--pass-k", bool(args.pass_k))) if given]
    if chosen_text and task != "generation":
        raise EvaluationError(f"{chosen_text[0]} applies to text generation; these files are the {task} task (add "
                              "--task generation if they hold generated text)")
    settings = _settings(args, task)
    gate = gate_iv(args.fail_on_regression, args.gate_classes, args.gate_slices, margin=args.margin, task=task,
                   settings=settings)
    options = LoadOptions(
        mapping=mapping, positive_label=args.positive_label, threshold=args.threshold,
        labels=tuple(args.labels) if args.labels else None,
        class_order=tuple(args.class_order) if args.class_order else None, shared_ids_only=args.shared_ids_only,
        drop_train_rows=args.drop_train_rows, limits=limits(args))
    for path in [*args.files, *([args.preferences] if args.preferences is not None else []), *args.training_data]:
        if not source_exists(path):  # a file, a directory of part files or a glob pattern
            raise EvaluationError(f"{path}: no such file", file=path)
    # Every module the command needs is imported here, on the main thread, before the loader and the
    # comparison start their threads: a package imported on two threads at once can be seen
    # half-initialised by one of them ("partially initialized module 'pandas' has no attribute
    # '_pandas_datetime_CAPI'", about 1 run in 370 while SciPy was imported on a second thread
    # during the reading; benchmarks/stress_cli.py). tests/evaluation/test_cli_imports.py checks
    # that no module is imported on another thread.
    import pandas as pd

    import_pandas_integration()
    chosen = task_named(task)  # what the task loads, computes and writes; the rest of the command is the same
    chosen.prepare()
    if args.preferences is not None:
        from ._generation_preferences import with_preferences
    backend = _backend(args) if args.engine != "local" and args.input != "cells" else None
    data = _load(args, chosen, options, backend)
    if args.flips_out:
        check_flips(chosen.name, data)
    report = chosen.compare(data, settings=settings, baseline=args.baseline)
    if args.preferences is not None:
        report = with_preferences(report, data, args.preferences, limits=options.limits)
    if args.flips_out:
        from ._text import csv_safe_frame

        tables = [chosen.flip_table(data, c.baseline, c.candidate).assign(candidate=c.candidate)
                  for c in report.comparisons]
        csv_safe_frame(pd.concat(tables, ignore_index=True)).to_csv(args.flips_out, index=False)  # no spreadsheet formulas
    document = chosen.to_dict(report)
    leakage = _leakage(args, chosen, options, settings, document, backend) if args.training_data else None
    if args.format == "json":
        if leakage is not None:
            document["leakage"] = leakage
        text = json.dumps(document, allow_nan=False) + "\n"  # compact: the C encoder, 10x faster
    elif args.format == "html":
        text = _html_report(report, leakage=leakage, document=document)
    else:
        text = chosen.to_markdown(report)
        if leakage is not None:
            from ._leakage import leakage_markdown

            text += "\n" + leakage_markdown(leakage, document)
    return _write_and_gate(args, text, report, gate, leakage=leakage)


def _engine_iv(args: argparse.Namespace, task: str) -> None:
    """Refuse what a cell table or an out-of-memory engine cannot do (they hold counts, not examples; generation's
    engines bring every example to Python)."""
    if args.input == "cells" and len(args.files) != 1:
        raise EvaluationError(f"--input cells reads one cell table; {len(args.files)} files were given")
    if args.input == "cells" and args.task not in (None, "classification"):
        raise EvaluationError(f"a cell table holds a classification comparison's counts, not the {args.task} task")
    if args.input == "cells" and args.engine != "local":
        raise EvaluationError("--input cells reads counts already made: leave out --engine")
    if args.input == "cells" and args.flips_out:
        raise EvaluationError("--flips-out needs each changed example's row, and a cell table counts examples without "
                              "keeping them; run it on the prediction files")
    if args.input == "cells" and args.training_data:
        raise EvaluationError("--training-data needs every example's id, and a cell table counts examples without "
                              "keeping them; run it on the prediction files")
    for option, value, engine in (("--duckdb-memory-limit", args.duckdb_memory_limit, "duckdb"),
                                  ("--spark-master", args.spark_master, "spark")):
        if value is not None and args.engine != engine:
            raise EvaluationError(f"{option} applies to --engine {engine}")


def _load(args: argparse.Namespace, chosen: Any, options: LoadOptions, backend: Any = None) -> Any:
    """The comparison's data: the files read into memory, counted into cells by DuckDB or Spark (``backend``: the
    command's :func:`_backend`), or a cell table."""
    if args.input == "cells":
        from ._cells import read_cell_table

        return read_cell_table(args.files[0], names=args.names, options=options)
    if backend is not None:
        from ._sql_engine import load_classification_sql
        from ._sql_generation import load_generation_sql
        from ._sql_regression import load_regression_sql

        load_sql = {"regression": load_regression_sql, "generation": load_generation_sql}.get(
            chosen.name, load_classification_sql)
        return load_sql(backend, args.files, names=args.names, options=options)
    return chosen.load(args.files, names=args.names, options=options)


def _leakage(args: argparse.Namespace, chosen: Any, options: LoadOptions, settings: Settings,
             document: dict[str, Any], backend: Any = None) -> dict[str, Any]:
    """The JSON ``leakage`` section of ``--training-data`` (:func:`evaluation._leakage.leakage_section`): found and
    recomputed by the engine where the files lie (but for text generation, whose engines bring the texts to memory)."""
    from ._leakage import Leakage, leakage_section

    engine = None
    if backend is not None and chosen.name != "generation":
        from ._sql_leakage import find_leakage_sql

        def find() -> Leakage:
            return find_leakage_sql(backend, args.files[0], args.training_data, id_column=options.mapping.id,
                                    content_columns=args.leakage_columns)

        def load(given: LoadOptions) -> Any:
            return _load(args, chosen, given, backend)

        engine = (find, load)
    return leakage_section(args.files, args.training_data, task=chosen.name, document=document, names=args.names,
                           options=options, settings=settings, baseline=args.baseline,
                           content_columns=args.leakage_columns, threshold=args.near_duplicate_threshold, engine=engine)


def _backend(args: argparse.Namespace) -> Any:
    """The chosen engine's backend, with the command's settings (``--duckdb-memory-limit``, ``--spark-master``)."""
    if args.engine == "duckdb":
        from ._duckdb import DuckDBBackend, connect

        return DuckDBBackend(connect(memory_limit=args.duckdb_memory_limit))
    from ._spark import SparkBackend

    return SparkBackend(master=args.spark_master)


def _write_and_gate(args: argparse.Namespace, text: str, report: ComparisonReport | RegressionReport,
                    gate: Gate | None, *, leakage: dict[str, Any] | None = None) -> int:
    """Write the report, then apply the CI gate and say on standard error what it found and left out."""
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        # The report went to a file: the terminal still gets each candidate's verdict, the dashboard's sentence.
        for comparison in report.comparisons:
            print(f"verdict: {verdict_sentence(comparison, report)}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if leakage is not None:
        from ._leakage import leakage_warning

        warning = leakage_warning(leakage)
        if warning or leakage["n_leaked"]:
            print(f"leakage: {warning or str(leakage['n_leaked']) + ' test examples are in the training data'}",
                  file=sys.stderr)
    if gate is None:
        return EXIT_OK
    result = apply_gate(report, gate)
    sys.stdout.flush()
    for line in result.messages(gate):
        print(line, file=sys.stderr)
    return EXIT_OK if result.passed else EXIT_REGRESSION


def _run_preferences(args: argparse.Namespace) -> int:
    """Pairwise preference judgments: two models' win rate and sign test, or Bradley-Terry ratings."""
    from ._preferences import compare_preferences, rate_models, read_judgments

    if not source_exists(args.judgments):
        raise EvaluationError(f"{args.judgments}: no such file", file=args.judgments)
    judgments = read_judgments(args.judgments, baseline=args.baseline, candidate=args.candidate)
    if args.candidate:
        result: PreferenceComparison | PreferenceRatings = compare_preferences(
            judgments, confidence=args.confidence, resamples=args.resamples, seed=args.seed)
    else:
        result = rate_models(judgments, confidence=args.confidence, resamples=args.resamples, seed=args.seed)
    text = json.dumps(result.to_dict(), allow_nan=False) + "\n" if args.format == "json" else result.to_markdown()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """The options, or :class:`UsageError` with one or two lines saying what went wrong and what to do."""
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
    except UsageError as error:
        raise UsageError(explain(error.message, argv, parser)) from None
    if args.command in ("preferences", "abtest", "shift", "monitor"):
        return args
    gated = [*(args.fail_on_regression or ()), *(args.gate_classes or ()), *(args.gate_slices or ())]
    wanted = 1 if args.input == "cells" else 2  # a cell table holds every model's predictions
    if len(args.files) < wanted or gated:
        swallowed = swallowed_file(argv, parser)
        if swallowed:
            raise UsageError(swallowed)
    if len(args.files) < wanted:
        raise UsageError("compare needs at least two files: the baseline, then one or more candidates (or one cell "
                         "table with --input cells)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status (never raises for bad input; ``--help`` exits 0)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = _parse(parser, arguments)
    except UsageError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    runs = {"abtest": run_abtest, "shift": run_shift, "monitor": run_monitor, "preferences": _run_preferences}
    return exit_status(lambda: runs.get(args.command, _run_compare)(args))
