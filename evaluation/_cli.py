"""Command line: ``python -m evaluation compare BASELINE CANDIDATE [CANDIDATE ...]``.

Exit status: 0 success; 1 a candidate regressed (with ``--fail-on-regression``); 2 bad input or
usage (the message names the file, column and rows); 3 an unexpected internal error (a bug).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import _loading  # noqa: F401  (the loader is imported here, on the main thread, never beside the engine's import)
from ._data import ColumnMapping, LoadOptions
from ._errors import EvaluationError
from ._limits import Limits, format_size, parse_size
from ._metrics import METRICS
from ._multiple import CORRECTIONS
from ._results import CI_METHODS, VERDICT_WORSE, ComparisonReport, Settings
from ._settings import metric_names, settings_iv
from ._statistics import statistics_of
from ._tasks import TASKS, detect_task, task_named

if TYPE_CHECKING:
    from ._regression import RegressionReport

__all__ = ["build_parser", "main", "regressions"]

EXIT_OK, EXIT_REGRESSION, EXIT_BAD_INPUT, EXIT_BUG = 0, 1, 2, 3


def _probability_columns(values: Sequence[str] | None) -> dict[str, str] | None:
    """Parse ``CLASS=COLUMN`` pairs."""
    if not values:
        return None
    mapping = {}
    for value in values:
        label, sep, column = value.partition("=")
        if not sep or not label or not column:
            raise EvaluationError(f"--probability-columns takes CLASS=COLUMN pairs (for example cat=p_cat), got {value!r}")
        mapping[label] = column
    return mapping


def _size(text: str) -> int:
    """A byte count such as ``4294967296``, ``500M`` or ``4G``, for argparse."""
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _count(text: str) -> int:
    """A positive whole number such as ``20000000`` or ``20_000_000``, for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _add_limit_options(parser: argparse.ArgumentParser) -> None:
    """The options raising or lowering the limits on each file (see :class:`~evaluation.Limits`)."""
    default = Limits()
    limits = parser.add_argument_group("limits on each file (a file beyond one is refused with a message naming it)")
    limits.add_argument("--max-bytes", type=_size, default=default.max_bytes, metavar="SIZE",
                        help=f"data per file, decompressed (suffixes K, M, G, T; default {format_size(default.max_bytes)})")
    limits.add_argument("--max-rows", type=_count, default=default.max_rows, metavar="N",
                        help=f"data rows per file (default {default.max_rows:,})")
    limits.add_argument("--max-classes", type=_count, default=default.max_classes, metavar="N",
                        help=f"distinct classes across every file (default {default.max_classes:,})")
    limits.add_argument("--max-metadata-columns", type=_count, default=default.max_metadata_columns, metavar="N",
                        help=f"metadata columns per file (default {default.max_metadata_columns:,})")
    limits.add_argument("--max-label-length", type=_count, default=default.max_label_length, metavar="N",
                        help=f"characters of a class label (default {default.max_label_length:,})")
    limits.add_argument("--max-field-bytes", type=_size, default=default.max_field_bytes, metavar="SIZE",
                        help=f"bytes of one field of CSV, TSV or JSON Lines (default {format_size(default.max_field_bytes)})")


def _limits(args: argparse.Namespace) -> Limits:
    """The limits the options set."""
    return Limits(max_bytes=args.max_bytes, max_rows=args.max_rows, max_classes=args.max_classes,
                  max_metadata_columns=args.max_metadata_columns, max_label_length=args.max_label_length,
                  max_field_bytes=args.max_field_bytes)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m evaluation``."""
    parser = argparse.ArgumentParser(
        prog="python -m evaluation",
        description="Compare classifier versions on the same labelled test set, with paired confidence "
                    "intervals and significance tests.")
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser(
        "compare", help="compare candidate prediction files with a baseline",
        description="Compare one or more candidates with a baseline. Files: CSV, TSV, Parquet or JSON Lines "
                    "(optionally .gz), one per model, paired by example id.")
    cmd.add_argument("files", nargs="+", metavar="FILE", help="baseline file first, then one or more candidates")
    cmd.add_argument("--task", choices=TASKS, default=None,
                     help="classification or regression (default: detected; non-integer true values mean regression)")
    names = cmd.add_argument_group("models")
    names.add_argument("--names", nargs="+", metavar="NAME", help="model names, in file order (default: file names)")
    names.add_argument("--baseline", metavar="NAME", help="the baseline model's name (default: the first file)")
    columns = cmd.add_argument_group("columns (detected by name unless given)")
    columns.add_argument("--id-column", metavar="COL")
    columns.add_argument("--label-column", metavar="COL")
    columns.add_argument("--prediction-column", metavar="COL")
    columns.add_argument("--score-column", metavar="COL", help="binary: the positive-class probability")
    columns.add_argument("--probability-columns", nargs="+", metavar="CLASS=COL")
    columns.add_argument("--split-column", metavar="COL")
    columns.add_argument("--timestamp-column", metavar="COL")
    columns.add_argument("--metadata-columns", nargs="+", metavar="COL", help="columns to slice by (default: the rest)")
    labels = cmd.add_argument_group("labels and pairing")
    labels.add_argument("--labels", nargs="+", metavar="LABEL", help="declare the label set")
    labels.add_argument("--positive-label", metavar="LABEL", help="binary: the positive class")
    labels.add_argument("--threshold", type=float, default=0.5,
                        help="binary files without predictions: positive when score >= this (default 0.5)")
    labels.add_argument("--shared-ids-only", action="store_true", help="evaluate only the ids found in every file")
    labels.add_argument("--drop-train-rows", action="store_true",
                        help="drop rows whose split is train/training instead of refusing the file")
    statistics = cmd.add_argument_group("statistics")
    statistics.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    statistics.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    statistics.add_argument("--resamples", type=int, default=10_000,
                            help="bootstrap resamples and permutation exchanges (default 10000)")
    statistics.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    statistics.add_argument("--ci-method", choices=CI_METHODS, default="percentile",
                            help="bootstrap interval (default percentile)")
    statistics.add_argument("--correction", choices=CORRECTIONS, default="holm",
                            help="multiple-comparison correction (default holm)")
    statistics.add_argument("--primary", choices=[*METRICS, *metric_names("regression")], default=None, metavar="METRIC",
                            help="headline metric (default f1_macro; regression: mean_absolute_error)")
    analyses = cmd.add_argument_group("analyses")
    analyses.add_argument("--target-precision", nargs="+", type=float, default=[], metavar="P",
                          help="find the threshold reaching this precision on every curve")
    analyses.add_argument("--target-recall", nargs="+", type=float, default=[], metavar="R",
                          help="find the threshold reaching this recall on every curve")
    analyses.add_argument("--min-slice-size", type=int, default=30,
                          help="smaller slices are shown but not tested (default 30)")
    analyses.add_argument("--slice-resamples", type=int, default=1000,
                          help="bootstrap resamples and permutation exchanges per slice (default 1000)")
    analyses.add_argument("--flips-out", metavar="FILE",
                          help="write every flipped example (id, kind, label, predictions, metadata) as CSV")
    output = cmd.add_argument_group("output")
    output.add_argument("--format", choices=("json", "markdown", "html"), default="json",
                        help="html: one self-contained page with every chart (needs the dashboard's components)")
    output.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    gate = cmd.add_argument_group("CI gate")
    gate.add_argument("--fail-on-regression", nargs="*", metavar="METRIC",
                      help="exit 1 when a candidate is significantly worse on these metrics (default: the primary); "
                           "put it after the files or end its list with --")
    gate.add_argument("--margin", type=float,
                      help="non-inferiority margin: fail when the interval of the difference reaches beyond "
                           "-MARGIN (in the metric's units, worse direction)")
    _add_limit_options(cmd)
    return parser


def regressions(report: ComparisonReport | RegressionReport, metrics: Sequence[str], *, margin: float | None) -> list[str]:
    """Describe every (candidate, metric) that fails the gate; empty when all pass.

    Without a margin a candidate fails when its verdict on the metric is "worse". With a margin it
    fails unless the whole interval of the difference lies above ``-margin`` (below ``+margin`` for
    a loss): a non-inferiority test.
    """
    failures = []
    for comparison in report.comparisons:
        for metric in metrics:
            diff = comparison.metrics.get(metric)
            if diff is None:
                continue
            higher = (statistics_of("regression")[metric].higher_is_better if report.task == "regression"
                      else METRICS[metric].higher_is_better)
            if margin is None:
                failed = diff.verdict == VERDICT_WORSE
                reason = f"significantly worse (difference {diff.difference:+.4f}, p adjusted {diff.p_value_adjusted:.4g})"
            else:
                bound = diff.ci_low if higher else -diff.ci_high
                failed = not bound > -margin
                reason = (f"not shown non-inferior within margin {margin}: no interval ({diff.reason})"
                          if diff.reason else f"not non-inferior within margin {margin} (interval "
                          f"[{diff.ci_low:+.4f}, {diff.ci_high:+.4f}])")
            if failed:
                failures.append(f"{comparison.candidate} vs {comparison.baseline}: {metric} {reason}")
    return failures


def _html_report(report: ComparisonReport | RegressionReport) -> str:
    """The HTML report, drawn by the dashboard's chart components (the engine itself draws nothing).

    The engine's one import from the dashboard's package, inside this function so that only
    ``--format html`` loads Plotly; ``tests/test_architecture.py`` allows exactly this one.
    """
    try:
        from components import html_report
    except ImportError as error:
        raise EvaluationError("--format html needs the dashboard's components package (run from the project "
                              f"folder with the requirements installed): {error}") from error
    return str(html_report.report_html(report))


def _import_comparison(prepare: Callable[[], None]) -> None:
    """Import the comparison's modules ahead of their use; a failure is left for the importing call to raise and report."""
    with contextlib.suppress(Exception):
        prepare()


def _settings(args: argparse.Namespace, task: str) -> Settings:
    """The comparison's settings from the options, checked (before the files are read)."""
    primary = args.primary or ("mean_absolute_error" if task == "regression" else "f1_macro")
    return settings_iv(Settings(
        confidence=args.confidence, alpha=args.alpha, resamples=args.resamples, seed=args.seed,
        ci_method=args.ci_method, correction=args.correction, primary_metric=primary,
        slice_resamples=args.slice_resamples, min_slice_size=args.min_slice_size,
        target_precisions=tuple(args.target_precision), target_recalls=tuple(args.target_recall)), task=task)


def _run_compare(args: argparse.Namespace) -> int:
    mapping = ColumnMapping(
        id=args.id_column, label=args.label_column, prediction=args.prediction_column, score=args.score_column,
        probabilities=_probability_columns(args.probability_columns), split=args.split_column,
        timestamp=args.timestamp_column, metadata=tuple(args.metadata_columns) if args.metadata_columns else None)
    task = args.task or detect_task(args.files, mapping=mapping)  # reads the first rows of the first file only
    settings = _settings(args, task)
    gate = None
    if args.fail_on_regression is not None:
        gate = list(args.fail_on_regression) or [settings.primary_metric]
        names = metric_names(task)
        unknown = [m for m in gate if m not in names]
        if unknown:
            raise EvaluationError(f"--fail-on-regression: unknown metric(s) {', '.join(unknown)} for {task}; expected "
                                  f"some of {', '.join(names)} (list the metrics after the files)")
    if args.margin is not None and args.margin < 0:
        raise EvaluationError(f"--margin must be zero or positive, got {args.margin}")
    options = LoadOptions(
        mapping=mapping, positive_label=args.positive_label, threshold=args.threshold,
        labels=tuple(args.labels) if args.labels else None, shared_ids_only=args.shared_ids_only,
        drop_train_rows=args.drop_train_rows, limits=_limits(args))
    if len(args.files) < 2:
        raise EvaluationError("compare needs at least two files: the baseline, then one or more candidates")
    for path in args.files:
        if not os.path.isfile(path):
            raise EvaluationError(f"{path}: no such file", file=path)
    # The comparison's modules (SciPy) load on another thread while the files are read: Arrow
    # parses without the interpreter lock, so the import fills cores that would otherwise wait
    # (about 2% of a 1M-row run, interleaved runs on benchmarks/bench_compare.py's data). pandas,
    # which both the reading and the comparison import, is imported here first: a package imported
    # on two threads at once can be seen half-initialised by one of them ("partially initialized
    # module 'pandas'", about 1 run in 370; benchmarks/stress_cli_imports.py).
    import pandas as pd

    chosen = task_named(task)  # what the task loads, computes and writes; the rest of the command is the same
    engine = threading.Thread(target=_import_comparison, args=(chosen.prepare,), daemon=True)
    engine.start()
    data = chosen.load(args.files, names=args.names, options=options)
    engine.join()
    report = chosen.compare(data, settings=settings, baseline=args.baseline)
    if args.flips_out:
        from ._text import csv_safe_frame

        tables = [chosen.flip_table(data, c.baseline, c.candidate).assign(candidate=c.candidate)
                  for c in report.comparisons]
        csv_safe_frame(pd.concat(tables, ignore_index=True)).to_csv(args.flips_out, index=False)  # no spreadsheet formulas
    if args.format == "json":
        text = json.dumps(chosen.to_dict(report), allow_nan=False) + "\n"  # compact: the C encoder, 10x faster
    elif args.format == "html":
        text = _html_report(report)
    else:
        text = chosen.to_markdown(report)
    return _write_and_gate(args, text, report, gate)


def _write_and_gate(args: argparse.Namespace, text: str, report: ComparisonReport | RegressionReport,
                    gate: list[str] | None) -> int:
    """Write the report and apply the CI gate."""
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if gate is not None:
        failures = regressions(report, gate, margin=args.margin)
        for failure in failures:
            print(f"regression: {failure}", file=sys.stderr)
        if failures:
            return EXIT_REGRESSION
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status (never raises for bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run_compare(args)
    except EvaluationError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:
        if os.environ.get("EVALUATION_DEBUG"):
            traceback.print_exc()
        print(f"internal error (please report it, with EVALUATION_DEBUG=1 for details): "
              f"{type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_BUG
