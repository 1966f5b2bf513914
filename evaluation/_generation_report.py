"""A :class:`GenerationReport` as JSON-ready dicts and Markdown.

The JSON carries ``schema_version`` 2 and ``task: "generation"``; its core (``n_examples``,
``baseline``, ``settings``, ``models[].metrics``, ``comparisons[].metrics``, ``slices``, ``verdict``,
``warnings``) has the field names of the other tasks (see ``docs/json.md``), plus sacrebleu's
``signatures`` and each model's and comparison's ``output_words``, and with a judgments file each
comparison's ``preferences`` (the ``preferences`` command's two-model object).
"""

from __future__ import annotations

import math
from typing import Any

from ._format import format_number, format_p_value
from ._generation import TASK, GenerationComparison, GenerationReport
from ._preferences_results import length_adjusted_sentence
from ._report import SCHEMA_VERSION, _clean, verdict_label
from ._statistics import metric_title
from ._text import escape_markdown, markdown_cell
from ._verdict import verdict_document, verdict_sentence

__all__ = ["generation_report_to_dict", "generation_report_to_markdown"]


def generation_report_to_dict(report: GenerationReport) -> dict[str, Any]:
    """The report as JSON-ready nested dicts (NaN becomes ``None``)."""
    return _clean({
        "schema_version": SCHEMA_VERSION,
        "task": TASK,
        "n_examples": report.n_examples,
        "baseline": report.baseline,
        "settings": report.settings,
        "signatures": report.signatures,
        "models": {name: {"source": model.source, "metrics": model.metrics, "output_words": model.output_words}
                   for name, model in report.models.items()},
        "comparisons": [{"candidate": c.candidate, "baseline": c.baseline, "metrics": c.metrics,
                         "output_words": c.output_words, "perplexity_ratio": c.perplexity_ratio,
                         "design_effect": c.design_effect, "wilcoxon": c.wilcoxon,
                         "slices": list(c.slices),
                         "preferences": None if c.preferences is None else c.preferences.to_dict(),
                         "verdict": verdict_document(c, report)} for c in report.comparisons],
        "warnings": list(report.warnings),
    })


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _judges(judges: int) -> str:
    return f" by {judges:,} judge{'s' if judges != 1 else ''}" if judges else ""


def _preference_lines(comparison: GenerationComparison) -> list[str]:
    """The comparison's pairwise preferences: counts, win rate, sign test, position bias, the length adjustment."""
    result = comparison.preferences
    if result is None:
        return []
    level = round(result.confidence * 100)
    rate = result.win_rate
    lines = ["", f"### Pairwise preferences ({escape_markdown(result.source)})", "",
             f"{result.n_judgments:,} judgments of {result.n_ids:,} ids{_judges(result.judges)}; wins and losses are the "
             "candidate's.",
             "", _row(["wins", "losses", "ties", "win rate (ties half)", f"{level}% CI", "wins / decisive", "sign test p"]),
             _row(["---:"] * 4 + ["---"] + ["---:"] * 2),
             _row([f"{result.wins:,}", f"{result.losses:,}", f"{result.ties:,}", format_number(rate.value),
                   f"[{format_number(rate.ci_low)}, {format_number(rate.ci_high)}]",
                   format_number(result.decisive_win_rate), format_p_value(result.p_value)]),
             "", length_adjusted_sentence(result)]
    words = comparison.output_words
    if words is not None:
        lines[-1] += (f" Output length, candidate minus baseline: {format_number(words.difference, signed=True, digits=1)} "
                      "words on average.")
    bias = result.position_bias
    if bias is not None:
        flips = (f"{bias.flips:,} of {bias.pairs:,} pairs judged in both orders flipped with the order (flip rate "
                 f"{format_number(bias.flip_rate)}; {bias.favours_first:,} for the model shown first, "
                 f"{bias.favours_second:,} for the one shown second)" if bias.pairs else "no id was judged in both orders")
        lines += ["", f"Position bias: {flips}; the model shown first scored {format_number(bias.first_shown_score)} "
                      "(ties half)."]
    if result.notes:
        lines += [""] + [f"- {note}" for note in result.notes]
    return lines


def generation_report_to_markdown(report: GenerationReport) -> str:
    """A Markdown report: verdicts, every model's metrics, every difference with its test, the length change."""
    settings = report.settings
    level = round(settings.confidence * 100)
    names = list(next(iter(report.models.values())).metrics)
    lines = ["# Model comparison (generation)", "",
             f"{report.n_examples:,} paired examples · baseline **{escape_markdown(report.baseline)}** · {level}% "
             f"intervals · alpha {settings.alpha} ({settings.correction} correction) · {settings.resamples:,} resamples",
             "", "## Verdict", ""]
    lines += [f"- {verdict_sentence(c, report, markup=True)}" for c in report.comparisons]
    length_column = ["output words"] if any(math.isfinite(m.output_words) for m in report.models.values()) else []
    lines += ["", "## Metrics", "", _row(["model", *[metric_title(n) for n in names], *length_column]),
              _row(["---"] * (len(names) + 1 + len(length_column)))]
    for name, model in report.models.items():
        lines.append(_row([markdown_cell(name)] + [
            f"{format_number(e.value)} [{format_number(e.ci_low)}, {format_number(e.ci_high)}]"
            for e in model.metrics.values()] + [format_number(model.output_words, digits=1)] * len(length_column)))
    for comparison in report.comparisons:
        lines += ["", f"## {escape_markdown(comparison.candidate)} minus {escape_markdown(comparison.baseline)}", "",
                  _row(["metric", "baseline", "candidate", "difference", f"{level}% CI", "test", "p adjusted", "verdict"]),
                  _row(["---"] * 8)]
        for name, d in comparison.metrics.items():
            lines.append(_row([metric_title(name), format_number(d.baseline_value), format_number(d.candidate_value),
                               format_number(d.difference, signed=True),
                               f"[{format_number(d.ci_low, signed=True)}, {format_number(d.ci_high, signed=True)}]",
                               d.test, format_p_value(d.p_value_adjusted), markdown_cell(verdict_label(d))]))
        words = comparison.output_words
        if words is not None:
            lines += ["", f"Output length: {format_number(words.candidate_value, digits=1)} words against "
                          f"{format_number(words.baseline_value, digits=1)} ({format_number(words.difference, signed=True)}, "
                          f"{level}% CI {format_number(words.ci_low, signed=True)} to "
                          f"{format_number(words.ci_high, signed=True)}); longer outputs tend to score higher with "
                          "judges and on recall-oriented metrics."]
        if comparison.wilcoxon:
            lines += ["", "Wilcoxon signed-rank test of the numeric scores' paired differences: " + "; ".join(
                f"{escape_markdown(key)} p = {format_p_value(p)}" for key, p in comparison.wilcoxon.items()) + "."]
        ratio = comparison.perplexity_ratio
        if ratio is not None:
            lines += ["", f"Perplexity ratio (candidate / baseline): {format_number(ratio.ratio)} ({level}% CI "
                          f"{format_number(ratio.ci_low)} to {format_number(ratio.ci_high)} by the delta method; "
                          f"{format_number(ratio.bootstrap_ci_low)} to {format_number(ratio.bootstrap_ci_high)} by the "
                          "paired bootstrap)."]
        lines += _preference_lines(comparison)
    if report.signatures:
        lines += ["", "## Signatures", ""] + [f"- {metric_title(name)}: `{signature}`"
                                              for name, signature in report.signatures.items()]
    if report.warnings:
        lines += ["", "## Warnings", ""] + [f"- {escape_markdown(w)}" for w in report.warnings]
    return "\n".join(lines) + "\n"
