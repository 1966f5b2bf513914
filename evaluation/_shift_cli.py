"""The ``shift`` command: ``python -m evaluation shift TEST_FILE PRODUCTION_FILE`` (``docs/shift.md``).

:func:`add_shift_command` adds the command and its options to the parser's subcommands;
:func:`run_shift` runs it and returns the exit status: 0 the report was written; 2 bad input or usage
(one line naming the file, the column and the rows, or the option); 3 an unexpected internal error.
"""

from __future__ import annotations

import argparse

from ._errors import EXIT_OK, EvaluationError, exit_status

__all__ = ["SHIFT_FORMATS", "add_shift_command", "run_shift"]

SHIFT_FORMATS = ("json", "markdown", "html")
_PROG = "python -m evaluation"


class _File(argparse.Action):
    """A positional file, also appended to ``files`` (the name the command line's shared checks read)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.files = [*(getattr(namespace, "files", None) or []), values]


def add_shift_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``shift`` command and its options to ``commands`` (a parser's subcommands) and return it.

    Its two files are ``test_file`` and ``production_file``, and also ``files`` (both, in order), and the
    gate's options default to ``None``, so the command line's shared checks of ``compare`` read the
    options without a special case.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> command = add_shift_command(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["shift", "test.csv", "production.csv", "--resamples", "500"]).resamples
    500
    """
    from ._arguments import _add_limit_options, _choice  # here: evaluation._arguments imports this module

    cmd: argparse.ArgumentParser = commands.add_parser(
        "shift", help="is the test set like production? per-column drift, a domain classifier, re-weighted performance",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Compare a test set (a prediction file, as compare reads it) with production rows of the same\n"
                    "model (predictions and/or a score or per-class probabilities, and the metadata; no labels needed):\n"
                    "every shared column's drift (Jensen-Shannon distance and chi-square for categories, normalised\n"
                    "Wasserstein and Kolmogorov-Smirnov for numbers, PSI), a drift flag that needs both a significant\n"
                    "and a large enough effect, a domain classifier's ROC AUC, and the test-set performance\n"
                    "re-weighted to production's mix of one column's slices. Columns are found by name, as compare\n"
                    "finds them, with the same names in both files.",
        epilog="exit status: 0 the report was written; 2 bad input or usage; 3 internal error (a bug)\n"
               f"example: {_PROG} shift data/demo/shift_test.csv data/demo/shift_production.csv --format markdown")
    cmd.add_argument("test_file", metavar="TEST_FILE", action=_File, help="the test set's prediction file")
    cmd.add_argument("production_file", metavar="PRODUCTION_FILE", action=_File,
                     help="the same model's outputs on production rows")
    cmd.set_defaults(files=None, fail_on_regression=None, gate_classes=None, gate_slices=None)
    cmd.add_argument("--task", type=_choice("task", "--task", ("classification", "regression")), default=None,
                     help="classification or regression (default: detected from the test file)")
    columns = cmd.add_argument_group("columns (detected by name unless given; the same names in both files)")
    columns.add_argument("--id-column", metavar="COL")
    columns.add_argument("--label-column", metavar="COL", help="the test file's true labels")
    columns.add_argument("--prediction-column", metavar="COL")
    columns.add_argument("--score-column", metavar="COL", help="binary: the positive-class probability")
    columns.add_argument("--probability-columns", nargs="+", metavar="CLASS=COL")
    columns.add_argument("--split-column", metavar="COL")
    columns.add_argument("--timestamp-column", metavar="COL", help="not compared (the two samples differ in time by design)")
    columns.add_argument("--metadata-columns", nargs="+", metavar="COL", help="columns to compare (default: the rest)")
    labels = cmd.add_argument_group("labels")
    labels.add_argument("--positive-label", metavar="LABEL", help="binary: the positive class")
    labels.add_argument("--threshold", type=float, default=0.5,
                        help="binary files without predictions: positive when score >= this (default 0.5)")
    labels.add_argument("--drop-train-rows", action="store_true",
                        help="drop test rows whose split is train/training instead of refusing the file")
    statistics = cmd.add_argument_group("statistics")
    statistics.add_argument("--alpha", type=float, default=0.05,
                            help="family-wise error rate of the drift flags, Holm across the columns (default 0.05)")
    statistics.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    statistics.add_argument("--resamples", type=int, default=2000,
                            help="bootstrap resamples and permutations per column (default 2000)")
    statistics.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    statistics.add_argument("--min-js-distance", type=float, default=0.1,
                            help="smallest Jensen-Shannon distance that counts as drift (default 0.1)")
    statistics.add_argument("--min-wasserstein", type=float, default=0.1,
                            help="smallest Wasserstein distance over the test set's standard deviation that counts as "
                                 "drift (default 0.1)")
    analyses = cmd.add_argument_group("analyses")
    analyses.add_argument("--reweight-by", metavar="COLUMN",
                          help="re-weight the test-set performance to production's mix of this metadata column's slices "
                               "(default: the categorical metadata column with the largest drift)")
    analyses.add_argument("--no-classifier", action="store_true", help="leave out the domain classifier")
    analyses.add_argument("--folds", type=int, default=5, help="the domain classifier's folds (default 5)")
    output = cmd.add_argument_group("output")
    output.add_argument("--format", type=_choice("format", "--format", SHIFT_FORMATS), default="json",
                        help="json (default), markdown, or html: one self-contained page with the charts")
    output.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    _add_limit_options(cmd)
    return cmd


def _run(args: argparse.Namespace) -> int:
    """Read, analyse, write."""
    from ._arguments import limits, probability_columns
    from ._data import ColumnMapping, LoadOptions
    from ._io import source_exists
    from ._shift import JENSEN_SHANNON, WASSERSTEIN, analyze_shift, read_shift

    if args.folds < 2:
        raise EvaluationError(f"--folds must be 2 or more, got {args.folds}")
    for path in (args.test_file, args.production_file):
        if not source_exists(path):  # a file, a directory of part files or a glob pattern
            raise EvaluationError(f"{path}: no such file", file=path)
    mapping = ColumnMapping(
        id=args.id_column, label=args.label_column, prediction=args.prediction_column, score=args.score_column,
        probabilities=probability_columns(args.probability_columns), split=args.split_column,
        timestamp=args.timestamp_column, metadata=tuple(args.metadata_columns) if args.metadata_columns else None)
    options = LoadOptions(mapping=mapping, positive_label=args.positive_label, threshold=args.threshold,
                          drop_train_rows=args.drop_train_rows, limits=limits(args))
    data = read_shift(args.test_file, args.production_file, options=options, task=args.task)
    report = analyze_shift(data, alpha=args.alpha, confidence=args.confidence, resamples=args.resamples, seed=args.seed,
                           thresholds={JENSEN_SHANNON: args.min_js_distance, WASSERSTEIN: args.min_wasserstein},
                           reweight_by=args.reweight_by, classifier=not args.no_classifier, folds=args.folds)
    from ._cli import write_report  # here: evaluation._cli imports this module

    write_report(report, output_format=args.format, out=args.out, summary=[
        f"shift: drifted columns: {', '.join(report.drifted_columns) or 'none'}",
        *([f"shift: {report.reweighted.sentence}"] if report.reweighted is not None else [])])
    return EXIT_OK


def run_shift(args: argparse.Namespace) -> int:
    """Run the ``shift`` command on parsed options and return its exit status (never raises for bad input).

    Bad input prints one line, ``error: ...`` naming the file, the column and the rows, on standard
    error and returns 2; an unexpected error returns 3 (``EVALUATION_DEBUG=1`` prints its traceback).
    """
    return exit_status(lambda: _run(args))
