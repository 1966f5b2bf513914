"""The ``abtest`` command: ``python -m evaluation abtest EVENTS --variant-column V --unit-column U --metric M [M ...]``.

:func:`add_abtest_command` adds the command to the parser's subcommands; :func:`run_abtest` runs it
and returns the exit status (0 the report was written). Bad input raises
:class:`~evaluation.EvaluationError`, which the command line prints as one line and answers with
status 2. See ``docs/abtest.md``.
"""

from __future__ import annotations

import argparse

from ._errors import EvaluationError
from ._multiple import CORRECTIONS

__all__ = ["ABTEST_FORMATS", "add_abtest_command", "parse_mde", "parse_split", "run_abtest"]

ABTEST_FORMATS = ("json", "markdown", "html")
_PROG = "python -m evaluation"


def _number(text: str, option: str) -> float:
    """A number written in an option's value, or a message naming the option."""
    try:
        return float(text)
    except ValueError:
        raise EvaluationError(f"{option} takes numbers, got {text!r}") from None


def parse_split(text: str) -> list[float] | dict[str, float]:
    """``--expected-split``: weights in the variants' sorted order (``50,50``) or by name (``control=50,treatment=50``).

    >>> parse_split("50,50"), parse_split("control=1, treatment=2")
    ([50.0, 50.0], {'control': 1.0, 'treatment': 2.0})
    """
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if parts and all("=" in part for part in parts):
        return {name.strip(): _number(value, "--expected-split") for name, _, value in (p.partition("=") for p in parts)}
    if any("=" in part for part in parts):
        raise EvaluationError(f"--expected-split takes weights (50,50) or NAME=WEIGHT pairs, not both: got {text!r}")
    return [_number(part, "--expected-split") for part in parts]


def parse_mde(values: list[str] | None) -> float | dict[str, float] | None:
    """``--mde``: one absolute effect for every metric (``0.01``), or ``METRIC=EFFECT`` pairs.

    >>> parse_mde(["0.01"]), parse_mde(["converted=0.01", "revenue=0.5"])
    (0.01, {'converted': 0.01, 'revenue': 0.5})
    """
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return _number(values[0], "--mde")
    if not all("=" in value for value in values):
        raise EvaluationError(f"--mde takes one effect for every metric, or METRIC=EFFECT pairs; got {' '.join(values)}")
    return {name: _number(effect, "--mde") for name, _, effect in (value.partition("=") for value in values)}


def add_abtest_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """The ``abtest`` command: an online experiment's metrics, each treatment against the control (``docs/abtest.md``)."""
    from ._arguments import _choice  # here, not above: the parser's module imports this one

    cmd: argparse.ArgumentParser = commands.add_parser(
        "abtest", help="an online A/B test: differences per metric clustered by unit, sample-ratio check, CUPED, sample sizes",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="An online experiment, one row per unit or per event: the variant, the unit (the randomised user,\n"
                    "device or session) and numeric metrics (0/1 for a conversion). Each treatment is compared with\n"
                    "the control per metric with the unit as the independent observation (a ratio metric per event,\n"
                    "delta method; Welch's t-test with one row per unit), beside the sample-ratio mismatch check,\n"
                    "CUPED with a pre-period covariate, and the units needed. CSV, TSV, Parquet or JSON Lines (.gz).",
        epilog="exit status: 0 the report was written; 2 bad input or usage; 3 internal error (a bug)\n"
               f"example: {_PROG} abtest data/demo/ab_test_events.csv --variant-column variant --unit-column user_id "
               "--metric converted revenue --format markdown")
    cmd.add_argument("events", metavar="EVENTS", help="the experiment's file")
    columns = cmd.add_argument_group("columns")
    columns.add_argument("--variant-column", required=True, metavar="COLUMN", help="the variant of each row")
    columns.add_argument("--unit-column", required=True, metavar="COLUMN",
                         help="the randomised unit of each row (a user); several rows of a unit are its events")
    columns.add_argument("--metric", required=True, nargs="+", metavar="COLUMN",
                         help="numeric metric columns (0/1 for a conversion), summed over a unit's rows")
    columns.add_argument("--covariate", metavar="COLUMN",
                         help="CUPED: a pre-period value per unit (the same on each of its rows)")
    design = cmd.add_argument_group("design")
    design.add_argument("--control", metavar="NAME",
                        help="the control variant (default: the variant named control, else the first in sorted order)")
    design.add_argument("--expected-split", metavar="WEIGHTS", type=str,
                        help="the designed share of units per variant: weights in the variants' sorted order (50,50) or "
                             "NAME=WEIGHT pairs (control=90,treatment=10); default equal")
    design.add_argument("--higher-is-worse", nargs="+", default=[], metavar="METRIC",
                        help="metrics for which lower is better (a latency, an error rate)")
    design.add_argument("--mde", nargs="+", metavar="EFFECT",
                        help="absolute minimum detectable effect for the sample sizes: one for every metric, or "
                             "METRIC=EFFECT pairs")
    statistics = cmd.add_argument_group("statistics")
    statistics.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    statistics.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    statistics.add_argument("--power", type=float, default=0.8, help="power of the sample sizes (default 0.8)")
    statistics.add_argument("--correction", choices=CORRECTIONS, type=_choice("correction", "--correction", CORRECTIONS),
                            default="holm",
                            help="multiple-comparison correction over metrics x treatments (default holm)")
    output = cmd.add_argument_group("output")
    output.add_argument("--format", choices=ABTEST_FORMATS, type=_choice("format", "--format", ABTEST_FORMATS),
                        default="json", help="json (default), markdown, or html: one self-contained page with a chart "
                                             "of the lifts")
    output.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    return cmd


def run_abtest(args: argparse.Namespace) -> int:
    """Read the file, analyse the experiment and write the report; 0 when written.

    Raises
    ------
    EvaluationError
        Bad input: the message names the file, the column and the rows (the CLI exits 2).
    """
    from ._abtest import analyze_abtest
    from ._abtest_data import read_experiment
    from ._arguments import EXIT_OK
    from ._io import source_exists

    if not source_exists(args.events):  # a file, a directory of part files or a glob pattern
        raise EvaluationError(f"{args.events}: no such file", file=args.events)
    split = parse_split(args.expected_split) if args.expected_split else None
    mde = parse_mde(args.mde)
    experiment = read_experiment(args.events, variant_column=args.variant_column, unit_column=args.unit_column,
                                 metrics=args.metric, control=args.control, covariate=args.covariate)
    report = analyze_abtest(experiment, confidence=args.confidence, alpha=args.alpha, power=args.power,
                            correction=args.correction, expected_split=split, higher_is_worse=args.higher_is_worse, mde=mde)
    from ._cli import write_report  # here: evaluation._cli imports this module

    write_report(report, output_format=args.format, out=args.out, summary=[f"verdict: {report.verdict}"])
    return EXIT_OK
