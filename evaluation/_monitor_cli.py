"""The ``monitor`` command: ``python -m evaluation monitor PRODUCTION_FILE [...] --reference TEST_FILE [...] --window 1w``.

:func:`add_monitor_command` adds the command and its options to the parser's subcommands;
:func:`run_monitor` runs it and returns the exit status: 0 the report was written; 2 bad input or
usage (one line naming the file, the column and the rows, or the option); 3 an unexpected internal
error. :func:`main` runs the command on its own (``python -m evaluation._monitor_cli ...``), for
tools that call it before it is registered in ``python -m evaluation``. See ``docs/monitor.md``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._errors import EXIT_BAD_INPUT, EXIT_OK, EvaluationError, exit_status

__all__ = ["MONITOR_FORMATS", "add_monitor_command", "main", "run_monitor"]

MONITOR_FORMATS = ("json", "markdown", "html")
_PROG = "python -m evaluation"


def add_monitor_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``monitor`` command and its options to ``commands`` (a parser's subcommands) and return it.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> command = add_monitor_command(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["monitor", "log.csv", "--reference", "test.csv", "--window", "1d"])
    >>> args.production_files, args.reference, args.window
    (['log.csv'], ['test.csv'], '1d')
    """
    from ._arguments import _add_limit_options, _choice  # here: evaluation._arguments imports this module

    cmd: argparse.ArgumentParser = commands.add_parser(
        "monitor", help="how is it doing now? metrics per time window against the test set, label-free estimates, "
                        "drift, alerts with family-wise error control",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Monitor a classifier or a regression model in production, window by window (calendar day, ISO\n"
                    "week, month, or N rows); the task is detected from the first test file (or --task).\n"
                    "The production log has a timestamp column, the model's predictions (and class probabilities),\n"
                    "labels where they have arrived (a missing label has not arrived yet) and metadata. Two production\n"
                    "files are shadow mode: two models scoring the same traffic, paired by id (or by row order).\n"
                    "Each production file has its model's test-set prediction file as --reference, in the same order.\n"
                    "Per window and model: realised accuracy, macro F1, log loss and Brier score (regression: mean\n"
                    "absolute error, RMSE and R²) with intervals; the test set's estimates as the reference band;\n"
                    "label-free estimates (CBPE) when the test set's calibration supports them (classifiers only;\n"
                    "none for regression); drift of the metadata and of the predictions; alerts tested against\n"
                    "the test set with Holm's correction over every window, model and metric.",
        epilog="exit status: 0 the report was written; 2 bad input or usage; 3 internal error (a bug)\n"
               f"example: {_PROG} monitor data/demo/monitor_production.csv --reference data/demo/monitor_test.csv "
               "--window 1w --format markdown")
    cmd.add_argument("production_files", metavar="PRODUCTION_FILE", nargs="+",
                     help="the production log (two files: shadow mode, baseline then candidate)")
    cmd.add_argument("--reference", nargs="+", metavar="TEST_FILE", default=None,
                     help="each model's test-set prediction file, in the production files' order")
    cmd.add_argument("--window", default="1w", metavar="SPEC",
                     help="1d (calendar day), 1w (ISO week, default), 1M (calendar month) or a number of rows")
    cmd.add_argument("--names", nargs="+", metavar="NAME", help="the models' names (default: the test files' names)")
    cmd.add_argument("--task", type=_choice("task", "--task", ("classification", "regression")), default=None,
                     help="classification or regression (default: detected from the first test file; integer "
                          "targets with whole-number predictions need --task regression)")
    columns = cmd.add_argument_group("columns (detected by name unless given)")
    columns.add_argument("--timestamp-column", metavar="COL")
    columns.add_argument("--id-column", metavar="COL", help="pairs the rows of two production files")
    columns.add_argument("--label-column", metavar="COL", help="a missing value: the label has not arrived")
    columns.add_argument("--prediction-column", metavar="COL")
    columns.add_argument("--score-column", metavar="COL", help="binary: the positive-class probability")
    columns.add_argument("--metadata-columns", nargs="+", metavar="COL", help="columns whose drift is measured "
                                                                             "(default: the rest)")
    labels = cmd.add_argument_group("labels")
    labels.add_argument("--positive-label", metavar="LABEL", help="binary: the positive class")
    labels.add_argument("--threshold", type=float, default=0.5,
                        help="binary files without predictions: positive when score >= this (default 0.5)")
    statistics = cmd.add_argument_group("statistics")
    statistics.add_argument("--alpha", type=float, default=0.05,
                            help="family-wise error rate of the alerts, Holm over windows x models x metrics (default 0.05)")
    statistics.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    statistics.add_argument("--resamples", type=int, default=200,
                            help="bootstrap resamples per window (default 200; the test set gets at least 1,000)")
    statistics.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    statistics.add_argument("--drift-permutations", type=int, default=None,
                            help="permutations per window and column for drift; 0 leaves drift out (default: "
                                 "max(200, 1.25 x columns / alpha))")
    statistics.add_argument("--ece-threshold", type=float, default=0.05,
                            help="offer label-free estimates when the test set's ECE upper bound is below this "
                                 "(default 0.05)")
    statistics.add_argument("--min-labelled", type=int, default=30,
                            help="windows with fewer labelled rows are shown but not tested (default 30)")
    output = cmd.add_argument_group("output")
    output.add_argument("--format", type=_choice("format", "--format", MONITOR_FORMATS), default="json",
                        help="json (default), markdown, or html: one self-contained page with the charts")
    output.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    _add_limit_options(cmd)
    return cmd


def _run(args: argparse.Namespace) -> int:
    """Read, analyse, write."""
    from ._arguments import limits
    from ._data import ColumnMapping, LoadOptions
    from ._io import source_exists
    from ._monitor import analyze_monitor, parse_window
    from ._monitor_data import read_monitor

    spec = parse_window(args.window)  # before reading: a window it cannot read is a usage error
    if not args.reference:
        raise EvaluationError("no reference file: give the test set's prediction file with --reference TEST_FILE (one "
                              "per production file); monitoring compares each window with it")
    for path in (*args.production_files, *args.reference):
        if not source_exists(path):  # a file, a directory of part files or a glob pattern
            raise EvaluationError(f"{path}: no such file", file=path)
    mapping = ColumnMapping(id=args.id_column, label=args.label_column, prediction=args.prediction_column,
                            score=args.score_column, timestamp=args.timestamp_column,
                            metadata=tuple(args.metadata_columns) if args.metadata_columns else None)
    options = LoadOptions(mapping=mapping, positive_label=args.positive_label, threshold=args.threshold,
                          limits=limits(args))
    data = read_monitor(args.production_files, args.reference, names=args.names, options=options, task=args.task)
    report = analyze_monitor(data, spec, alpha=args.alpha, confidence=args.confidence, resamples=args.resamples,
                             seed=args.seed, drift_permutations=args.drift_permutations,
                             ece_threshold=args.ece_threshold, min_labelled=args.min_labelled)
    from ._cli import write_report  # here: evaluation._cli imports this module

    write_report(report, output_format=args.format, out=args.out, summary=[
        f"monitor: {len(report.windows)} windows, {len(report.alerts)} alert{'s' if len(report.alerts) != 1 else ''}"])
    return EXIT_OK


def run_monitor(args: argparse.Namespace) -> int:
    """Run the ``monitor`` command on parsed options and return its exit status (never raises for bad input).

    Bad input prints one line, ``error: ...`` naming the file, the column and the rows, on standard
    error and returns 2; an unexpected error returns 3 (``EVALUATION_DEBUG=1`` prints its traceback).
    """
    return exit_status(lambda: _run(args))


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``monitor`` with its own parser (``argv`` without the word ``monitor``); the exit status.

    Usage mistakes print argparse's message and return 2.
    """
    parser = argparse.ArgumentParser(prog=f"{_PROG} monitor")
    add_monitor_command(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(["monitor", *(sys.argv[1:] if argv is None else argv)])
    except SystemExit as stop:
        return int(stop.code or 0) if stop.code in (0, None) else EXIT_BAD_INPUT
    return run_monitor(args)


if __name__ == "__main__":
    sys.exit(main())
