"""The options of ``python -m evaluation``: the parser, its help, and short messages for mistakes in them.

A mistake in the options is answered with one or two lines saying what happened and what to do (exit
status 2), never with the usage block: an option that takes a list (``--fail-on-regression``,
``--names``, ...) takes every word after it, so the files written after it are named as what it took;
an unknown choice lists the choices.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import textwrap
from collections.abc import Callable, Sequence
from typing import NoReturn

from ._abtest_cli import add_abtest_command
from ._errors import EXIT_BAD_INPUT, EXIT_BUG, EXIT_OK, EXIT_REGRESSION, EvaluationError, quote
from ._io import ACCEPTED_EXTENSIONS
from ._limits import Limits, format_size, parse_size
from ._metrics import METRICS, PER_CLASS_METRICS
from ._monitor_cli import add_monitor_command
from ._multiple import CORRECTIONS
from ._results import CI_METHODS
from ._settings import metric_names
from ._shift_cli import add_shift_command
from ._slices import SLICE_METRICS
from ._sql_engine import ENGINES
from ._statistics import higher_is_better
from ._tasks import TASKS

__all__ = ["EXIT_BAD_INPUT", "EXIT_BUG", "EXIT_OK", "EXIT_REGRESSION", "UsageError", "build_parser", "command_of", "explain",
           "limits", "probability_columns", "swallowed_file"]

PROG = "python -m evaluation"
FORMATS = ("json", "markdown", "html")
PREFERENCE_FORMATS = ("json", "markdown")

# Options taking a list, and what each takes: a file written after one of them is taken as one of these.
_LISTS = {
    "--fail-on-regression": "a metric name", "--gate-classes": "a metric name", "--gate-slices": "a metric name",
    "--names": "a model name", "--probability-columns": "a CLASS=COLUMN pair", "--metadata-columns": "a column name",
    "--class-order": "a label",
    "--labels": "a label", "--target-precision": "a target precision", "--target-recall": "a target recall",
}
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")  # argparse's: a value, not an option
_WIDTH = 100


class UsageError(Exception):
    """A mistake in the options, with argparse's message (see :func:`explain`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises :class:`UsageError` instead of printing its usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _join(names: Sequence[str], word: str = "or") -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {word} {names[-1]}"


def _choice(kind: str, option: str, names: Sequence[str], *, prefix: str | None = None) -> Callable[[str], str]:
    """An argparse type accepting one of ``names`` (or any name starting with ``prefix``) and refusing anything else
    with the choices."""
    def check(text: str) -> str:
        if text in names or (prefix is not None and text.startswith(prefix) and len(text) > len(prefix)):
            return text
        close = difflib.get_close_matches(text, names, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise argparse.ArgumentTypeError(f"unknown {kind} {quote(text)} for {option}: choose {_join(names)}{hint}")

    return check


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
    group = parser.add_argument_group("limits on each file (a file beyond one is refused with a message naming it)")
    group.add_argument("--max-bytes", type=_size, default=default.max_bytes, metavar="SIZE",
                       help=f"data per file, decompressed (suffixes K, M, G, T; default {format_size(default.max_bytes)})")
    group.add_argument("--max-rows", type=_count, default=default.max_rows, metavar="N",
                       help=f"data rows per file (default {default.max_rows:,})")
    group.add_argument("--max-classes", type=_count, default=default.max_classes, metavar="N",
                       help=f"distinct classes across every file (default {default.max_classes:,})")
    group.add_argument("--max-metadata-columns", type=_count, default=default.max_metadata_columns, metavar="N",
                       help=f"metadata columns per file (default {default.max_metadata_columns:,})")
    group.add_argument("--max-label-length", type=_count, default=default.max_label_length, metavar="N",
                       help=f"characters of a class label (default {default.max_label_length:,})")
    group.add_argument("--max-field-bytes", type=_size, default=default.max_field_bytes, metavar="SIZE",
                       help=f"bytes of one field of CSV, TSV or JSON Lines (default {format_size(default.max_field_bytes)})")


def limits(args: argparse.Namespace) -> Limits:
    """The limits the options set."""
    return Limits(max_bytes=args.max_bytes, max_rows=args.max_rows, max_classes=args.max_classes,
                  max_metadata_columns=args.max_metadata_columns, max_label_length=args.max_label_length,
                  max_field_bytes=args.max_field_bytes)


def _wrapped(title: str, text: str) -> str:
    return textwrap.fill(text, width=_WIDTH, initial_indent=f"  {title}", subsequent_indent="      ")


GENERATION_METRICS = ("bleu", "chrf", "ter", "rouge1", "rouge2", "rougeL", "exact_match", "token_f1", "perplexity",
                      "bits_per_byte")
"""The generation task's metrics, named here so that --help need not import sacrebleu (a test checks the registry)."""


def _epilog() -> str:
    """Metrics of each task (from the engine's registries), exit statuses and examples, for ``--help``."""
    classification = [m for m in METRICS if not METRICS[m].needs_probabilities]
    probabilities = [m for m in METRICS if METRICS[m].needs_probabilities]
    regression = list(metric_names("regression"))
    lower = [m for m in [*METRICS, *regression] if not higher_is_better(m)] + ["ter", "perplexity", "bits_per_byte"]
    demo = "data/demo/base.csv data/demo/finetuned.csv"
    return "\n".join([
        "metrics (--primary, --fail-on-regression):",
        _wrapped("classification: ", ", ".join(classification)),
        _wrapped("  with probabilities: ", ", ".join(probabilities)),
        _wrapped("regression: ", ", ".join(regression)),
        _wrapped("generation: ", ", ".join(GENERATION_METRICS) + " (perplexity and bits_per_byte need nll and n_tokens)"),
        _wrapped("lower is better: ", ", ".join(lower) + "; every other metric: higher is better"),
        _wrapped("per class (--gate-classes, classification): ", ", ".join(PER_CLASS_METRICS)),
        _wrapped("per slice (--gate-slices): ", f"classification: {', '.join(SLICE_METRICS)}, and the primary metric "
                 "when it needs no probabilities; regression: every regression metric"),
        "",
        "exit status:",
        "  0  the report was written (and the gate, if any, passed)",
        "  1  the gate failed: a candidate is significantly worse where the gate looks (each failure on standard error)",
        "  2  bad input or usage: one message naming the file, the column and the rows, or the option",
        "  3  internal error (a bug; EVALUATION_DEBUG=1 prints its traceback)",
        "",
        "examples (from the project folder, with the project's environment):",
        f"  .venv/bin/python -m evaluation compare {demo} --format markdown",
        f"  .venv/bin/python -m evaluation compare {demo} \\",
        "      --fail-on-regression f1_macro recall_macro --gate-classes recall --gate-slices f1_macro",
    ])


def _add_compare(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """The ``compare`` command and its options."""
    regression_metrics = metric_names("regression")
    cmd: argparse.ArgumentParser = commands.add_parser(
        "compare", help="compare candidate prediction files with a baseline",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_epilog(),
        description="Compare one or more candidates with a baseline. Files: CSV, TSV, Parquet or JSON Lines\n"
                    "(optionally .gz), one per model, paired by example id. Put the files first, then the options.")
    cmd.add_argument("files", nargs="+", metavar="FILE", help="baseline file first, then one or more candidates")
    cmd.add_argument("--task", choices=TASKS, type=_choice("task", "--task", TASKS), default=None,
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
    labels.add_argument("--class-order", nargs="+", metavar="LABEL",
                        help="these classes first, in this order, in every table and chart (the rest sorted)")
    labels.add_argument("--positive-label", metavar="LABEL", help="binary: the positive class")
    labels.add_argument("--threshold", type=float, default=0.5,
                        help="binary files without predictions: positive when score >= this (default 0.5)")
    labels.add_argument("--shared-ids-only", action="store_true", help="evaluate only the ids found in every file")
    scale = cmd.add_argument_group("beyond memory (docs/scale.md)")
    scale.add_argument("--engine", type=_choice("engine", "--engine", ENGINES), default="local",
                       help="where the counting happens: local (in memory, the default), duckdb (out of core, "
                            "streaming the files) or spark (Spark SQL)")
    scale.add_argument("--input", type=_choice("input", "--input", ("rows", "cells")), default="rows",
                       help="rows: prediction files (the default); cells: one cell table (label, pred_<model> per "
                            "model, n, slice columns), as the SQL in docs/scale.md writes it")
    scale.add_argument("--duckdb-memory-limit", metavar="SIZE",
                       help="duckdb: the most memory it takes, such as 2GB; beyond it, it spills to disk")
    scale.add_argument("--spark-master", metavar="URL",
                       help="spark: the master to run on (default: local[2]; a cluster: spark://host:7077)")
    leakage = cmd.add_argument_group("leakage (docs/leakage.md)")
    leakage.add_argument("--training-data", nargs="+", metavar="FILE", default=[],
                         help="the fine-tuning data: test examples found in it (by id, by content, as near-duplicates) "
                              "are reported and every metric is recomputed without them")
    leakage.add_argument("--leakage-columns", nargs="+", metavar="COLUMN", default=None,
                         help="columns compared by content (default: prompt, input, question, instruction or text, when "
                              "both sides have them)")
    leakage.add_argument("--near-duplicate-threshold", type=float, default=0.8, metavar="J",
                         help="Jaccard similarity of word 3-gram sets from which texts are near-duplicates (default 0.8)")
    labels.add_argument("--drop-train-rows", action="store_true",
                        help="drop rows whose split is train/training instead of refusing the file")
    statistics = cmd.add_argument_group("statistics")
    statistics.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    statistics.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    statistics.add_argument("--resamples", type=int, default=10_000,
                            help="bootstrap resamples and permutation exchanges (default 10000)")
    statistics.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    statistics.add_argument("--ci-method", choices=CI_METHODS, type=_choice("interval method", "--ci-method", CI_METHODS),
                            default="percentile", help="bootstrap interval (default percentile)")
    statistics.add_argument("--correction", choices=CORRECTIONS, type=_choice("correction", "--correction", CORRECTIONS),
                            default="holm", help="multiple-comparison correction (default holm)")
    every_metric = (*METRICS, *regression_metrics, *GENERATION_METRICS)
    statistics.add_argument("--primary", type=_choice("metric", "--primary", every_metric, prefix="score_"), default=None,
                            metavar="METRIC", help="headline metric (default f1_macro; regression: mean_absolute_error; "
                                                   "generation: bleu, or a score_<name> column)")
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
    analyses.add_argument("--preferences", metavar="FILE",
                          help="generation: a judge's pairwise preferences between the outputs (columns id, winner; "
                               "docs/preferences.md): wins, ties, win rate, sign test and length-adjusted win rate of "
                               "each candidate against the baseline")
    text = cmd.add_argument_group("text generation")
    text.add_argument("--rouge-stemmer", action="store_true",
                      help="Porter-stem words before ROUGE (rouge-score's use_stemmer; off by default)")
    text.add_argument("--normalize-answers", action="store_true",
                      help="exact match after SQuAD's answer normalisation (lower case, no punctuation or articles) "
                           "instead of after stripping surrounding whitespace")
    text.add_argument("--pass-k", nargs="+", type=int, default=[], metavar="K",
                      help="with several samples per id: the k of each pass@k (default 1 and the fewest samples of an id)")
    output = cmd.add_argument_group("output")
    output.add_argument("--format", choices=FORMATS, type=_choice("format", "--format", FORMATS), default="json",
                        help="html: one self-contained page with every chart (needs the dashboard's components)")
    output.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    gate = cmd.add_argument_group("CI gate", textwrap.fill(
        "Exit 1 when a candidate is significantly worse where the gate looks: overall metrics, and on request every "
        "class and every tested slice. A passing gate still prints, on standard error, the significant regressions it "
        "did not look at.", width=_WIDTH - 20))
    gate.add_argument("--fail-on-regression", nargs="*", metavar="METRIC",
                      help="gate on these overall metrics (default: the primary)")
    gate.add_argument("--gate-classes", nargs="*", metavar="METRIC",
                      help=f"also gate every class on these per-class metrics ({', '.join(PER_CLASS_METRICS)}; default: all "
                           "three); classification only")
    gate.add_argument("--gate-slices", nargs="*", metavar="METRIC",
                      help="also gate every tested slice on these metrics (default: the primary); a slice below "
                           "the minimum slice size is not tested")
    gate.add_argument("--margin", type=float,
                      help="non-inferiority margin for every gated metric: fail when the interval of the difference "
                           "reaches beyond -MARGIN (in the metric's units, worse direction)")
    _add_limit_options(cmd)
    return cmd


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m evaluation``; a mistake raises :class:`UsageError`."""
    parser = _Parser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Compare model versions on the same labelled test set, with paired confidence intervals and "
                    "significance tests.",
        epilog="exit status: 0 success; 1 the CI gate failed; 2 bad input or usage; 3 internal error (a bug)\n"
               "example: .venv/bin/python -m evaluation compare data/demo/base.csv data/demo/finetuned.csv "
               "--format markdown\n"
               f"{PROG} compare --help lists every option, the metrics of each task and the gate.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_compare(commands)
    _add_preferences(commands)
    add_abtest_command(commands)
    add_shift_command(commands)
    add_monitor_command(commands)
    return parser


def _add_preferences(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """The ``preferences`` command: pairwise preference judgments (see ``docs/preferences.md``)."""
    cmd: argparse.ArgumentParser = commands.add_parser(
        "preferences", help="win rates, sign test or Bradley-Terry ratings from pairwise preference judgments",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Pairwise preference judgments, one per row: columns id, winner (a model's name or tie) and\n"
                    "either model_a and model_b (Bradley-Terry ratings of every model) or, for two models named by\n"
                    "--baseline and --candidate, nothing more (wins, losses, ties, win rate and sign test);\n"
                    "optional judge and position (the model shown first), and for the length-adjusted win rate the\n"
                    "output lengths in words: length_a and length_b (with model_a and model_b) or baseline_length\n"
                    "and candidate_length. CSV, TSV, Parquet or JSON Lines (.gz).",
        epilog="exit status: 0 the report was written; 2 bad input or usage; 3 internal error (a bug)\n"
               f"example: {PROG} preferences judgments.csv --baseline base --candidate tuned --format markdown")
    cmd.add_argument("judgments", metavar="JUDGMENTS", help="the judgments file")
    models = cmd.add_argument_group("models")
    models.add_argument("--baseline", metavar="NAME",
                        help="two models: the baseline; with columns model_a and model_b alone: the ratings' anchor "
                             "(default: the first model by name)")
    models.add_argument("--candidate", metavar="NAME", help="two models: the candidate (needs --baseline)")
    statistics = cmd.add_argument_group("statistics")
    statistics.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    statistics.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of ids (default 1000)")
    statistics.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    output = cmd.add_argument_group("output")
    output.add_argument("--format", choices=PREFERENCE_FORMATS,
                        type=_choice("format", "--format", PREFERENCE_FORMATS), default="json")
    output.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    return cmd


def command_of(argv: Sequence[str]) -> str:
    """The command ``argv`` runs: its first word that is not an option (``compare`` when there is none)."""
    return next((word for word in argv if not word.startswith("-")), "compare")


def _long_options(parser: argparse.ArgumentParser, command: str = "compare") -> list[str]:
    """Every long option of a command (``compare`` by default)."""
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    chosen = commands.choices[command if command in commands.choices else "compare"]
    return [s for action in chosen._actions for s in action.option_strings if s.startswith("--")]


def _resolve(token: str, options: Sequence[str]) -> str | None:
    """The option ``token`` names, as argparse reads it: exactly, or by a unique prefix."""
    if token in options:
        return token
    matches = [option for option in options if option.startswith(token)]
    return matches[0] if len(matches) == 1 else None


def _looks_like_file(token: str) -> bool:
    """Whether a word is a prediction file: an existing file, or a name with an accepted extension."""
    name = token.lower().removesuffix(".gz")
    return os.path.isfile(token) or any(name.endswith(extension) for extension in ACCEPTED_EXTENSIONS)


def swallowed_file(argv: Sequence[str], parser: argparse.ArgumentParser) -> str | None:
    """The message for a file taken by an option that takes a list, or ``None`` when no such option took one.

    >>> swallowed_file(["compare", "--fail-on-regression", "f1_macro", "base.csv", "cand.csv"], build_parser())
    "--fail-on-regression took 'base.csv' as a metric name: put the files before the options, or end the list with --"
    """
    options = _long_options(parser)
    current = None
    for token in argv:
        if token == "--":
            return None
        if token.startswith("-") and not _NEGATIVE_NUMBER.match(token):
            name, equals, _ = token.partition("=")
            option = _resolve(name, options)
            current = option if option in _LISTS and not equals else None
        elif current is not None and _looks_like_file(token):
            return (f"{current} took {quote(token)} as {_LISTS[current]}: put the files before the options, "
                    "or end the list with --")
    return None


def explain(message: str, argv: Sequence[str], parser: argparse.ArgumentParser) -> str:
    """argparse's ``message`` about ``argv`` as one or two lines: what happened and what to do."""
    about = re.match(r"argument (\S+?)[:/]", message)
    if "required: FILE" in message or (about and about.group(1) in _LISTS):
        swallowed = swallowed_file(argv, parser)
        if swallowed:
            return swallowed
    if re.search(r"required: (command|compare|COMMAND)$", message):
        return (f"no command: run {PROG} compare BASELINE CANDIDATE [CANDIDATE ...] [options], or {PROG} preferences "
                f"JUDGMENTS [options] ({PROG} --help)")
    command = re.match(r"argument (?:command|compare|COMMAND): invalid choice: (.*?) \(choose from", message)
    if command:
        return (f"unknown command {command.group(1)}: the command is compare ({PROG} compare BASELINE CANDIDATE ...), "
                f"preferences ({PROG} preferences JUDGMENTS ...), shift ({PROG} shift TEST PRODUCTION ...), monitor "
                f"({PROG} monitor PRODUCTION --reference TEST ...) or abtest ({PROG} abtest EVENTS ...)")
    if "required: JUDGMENTS" in message:
        return (f"no judgments file: write {PROG} preferences JUDGMENTS [--baseline NAME --candidate NAME] [options], "
                "the file before the options")
    if "required: FILE" in message:
        return (f"no files: write {PROG} compare BASELINE CANDIDATE [CANDIDATE ...], the files before the options "
                "(an option taking a list takes every word after it; end its list with --)")
    unknown = re.match(r"unrecognized arguments: (.*)", message)
    if unknown:
        return _unrecognized(unknown.group(1).split(), parser, command_of(argv))
    value = re.match(r"argument (\S+?)(?:/\S+)?: invalid (int|float) value: (.*)", message)
    if value:
        kind = "a whole number" if value.group(2) == "int" else "a number"
        return f"{value.group(1)} takes {kind}, got {value.group(3)}"
    missing = re.match(r"argument (\S+?)(?:/\S+)?: expected (one|at least one) argument", message)
    if missing:
        return f"{missing.group(1)} needs {'a value' if missing.group(2) == 'one' else 'one or more values'}"
    named = re.match(r"argument (\S+?)(?:/\S+)?: (.*)", message, re.S)
    if named:
        option, text = named.groups()
        return text if option in text else f"{option}: {text}"
    return message


def probability_columns(values: Sequence[str] | None) -> dict[str, str] | None:
    """Parse ``--probability-columns`` ``CLASS=COLUMN`` pairs (``compare`` and ``shift``)."""
    if not values:
        return None
    mapping = {}
    for value in values:
        label, sep, column = value.partition("=")
        if not sep or not label or not column:
            raise EvaluationError(f"--probability-columns takes CLASS=COLUMN pairs (for example cat=p_cat), got {value!r}")
        mapping[label] = column
    return mapping


def _unrecognized(words: Sequence[str], parser: argparse.ArgumentParser, command: str = "compare") -> str:
    """What to do about words the parser could not place: a misspelt option, or files split by the options."""
    command = command if command in ("preferences", "abtest", "shift", "monitor") else "compare"
    word = words[0]
    if word == "--" and len(words) > 1:
        word = words[1]
    if not word.startswith("-"):
        if command == "preferences":
            return f"unexpected word {quote(word)}: preferences takes one judgments file, then the options"
        if _looks_like_file(word):
            return f"the file {quote(word)} came after the options: put every file together, before the options"
        return f"unexpected word {quote(word)}: the files go first, then the options ({PROG} compare --help)"
    options = _long_options(parser, command)
    close = difflib.get_close_matches(word.partition("=")[0], options, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown option {quote(word)}{hint}; {PROG} {command} --help lists every option"
