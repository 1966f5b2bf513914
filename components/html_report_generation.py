"""Exports of a generation report (:class:`evaluation.GenerationReport`): one offline HTML document and
a long CSV.

The same conventions as :mod:`components.html_report`: plotly.js embedded once, every figure beside the numbers
in tables, user text escaped (:func:`html.escape`, the charts' label helpers, :func:`evaluation.csv_safe`).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from html import escape

import plotly.graph_objects as go

from evaluation import (
    GenerationReport,
    csv_safe,
    format_number,
    format_p_value,
    length_adjusted_sentence,
    metric_title,
    verdict_label,
    verdict_sentence,
)
from evaluation._generation import GenerationComparison

from . import charts, charts_generation, charts_preferences
from .html_report import CSV_COLUMNS, PLAIN_CSS, csv_number, figure_div, html_page, plain_table

__all__ = ["generation_metrics_csv", "generation_report_html"]

_MAX_SLICE_ROWS = 30
_MAX_SLICE_COLUMNS = 6


def _p(p: float) -> str:
    return format_number(p, digits=4)


def generation_report_html(report: GenerationReport) -> str:
    """One self-contained HTML document of a comparison of text-generating models, readable offline.

    Examples
    --------
    >>> from evaluation import compare_generation, load_generation
    >>> data = load_generation([("a.jsonl", b'{"id": 1, "output": "a cat", "reference": "the cat"}\\n'
    ...                                     b'{"id": 2, "output": "dog", "reference": "a dog"}\\n'),
    ...                         ("b.jsonl", b'{"id": 1, "output": "the cat", "reference": "the cat"}\\n'
    ...                                     b'{"id": 2, "output": "a dog", "reference": "a dog"}\\n')])
    >>> generation_report_html(compare_generation(data)).startswith("<!DOCTYPE html>")
    True
    """
    settings = report.settings
    level = round(settings.confidence * 100)
    figures = 0

    def figure(fig: go.Figure) -> str:
        nonlocal figures
        figures += 1
        return figure_div(fig, figures)

    parts = [f"<h1>Model comparison (generation): {escape(', '.join(report.models))}</h1>",
             f"<p>{report.n_examples:,} paired examples · baseline {escape(report.baseline)} · {level}% intervals · alpha "
             f"{settings.alpha} ({escape(settings.correction)} correction) · {settings.resamples:,} resamples</p>",
             "<h2>Verdict</h2><ul>" + "".join(f"<li>{escape(verdict_sentence(c, report))}</li>"
                                              for c in report.comparisons) + "</ul>"]
    parts += [f'<div class="warning">{escape(w)}</div>' for w in report.warnings]
    metrics = list(report.models[report.baseline].metrics)
    length_column = ["output words"] if any(math.isfinite(m.output_words) for m in report.models.values()) else []
    parts.append("<h2>Metrics</h2>" + plain_table(["model", *[metric_title(m) for m in metrics], *length_column], [
        [name] + [f"{format_number(e.value)} [{format_number(e.ci_low)}, {format_number(e.ci_high)}]"
                  for e in (model.metrics[m] for m in metrics)]
        + [format_number(model.output_words, digits=1)] * len(length_column)
        for name, model in report.models.items()]))
    parts.append(figure(charts_generation.generation_metrics_figure(report)))
    for comparison in report.comparisons:
        parts.append(f"<h2>{escape(comparison.candidate)} minus {escape(comparison.baseline)}</h2>")
        parts.append(plain_table(["metric", "baseline", "candidate", "difference", f"{level}% CI", "test", "p", "p adjusted",
                             "verdict"], [
            [metric_title(m), format_number(d.baseline_value), format_number(d.candidate_value),
             format_number(d.difference, signed=True),
             f"[{format_number(d.ci_low, signed=True)}, {format_number(d.ci_high, signed=True)}]", d.test, _p(d.p_value),
             _p(d.p_value_adjusted), verdict_label(d)] for m, d in comparison.metrics.items()]))
        parts.append(figure(charts_generation.generation_difference_figure(comparison, confidence=settings.confidence)))
        words = comparison.output_words
        if words is not None:
            parts.append(f"<p>Output length: {format_number(words.candidate_value, digits=1)} words against "
                         f"{format_number(words.baseline_value, digits=1)} "
                         f"({format_number(words.difference, signed=True, digits=1)}, {level}% CI "
                         f"{format_number(words.ci_low, signed=True, digits=1)} to "
                         f"{format_number(words.ci_high, signed=True, digits=1)}): read it beside every gain.</p>")
        parts += _preference_parts(comparison, figure)
        primary = settings.primary_metric
        rows = [[s.column, s.value, f"{s.n:,}", format_number(s.metrics[primary].baseline.value),
                 format_number(s.metrics[primary].candidate.value),
                 format_number(s.metrics[primary].difference.difference, signed=True),
                 _p(s.metrics[primary].difference.p_value_adjusted), verdict_label(s.metrics[primary].difference)]
                for s in comparison.slices[:_MAX_SLICE_ROWS] if primary in s.metrics]
        if rows:
            parts.append(f"<h3>Slices ({escape(metric_title(primary))}, worst first)</h3>" + plain_table(
                ["column", "value", "n", "baseline", "candidate", "difference", "p adjusted", "verdict"], rows))
            for column in list(dict.fromkeys(s.column for s in comparison.slices))[:_MAX_SLICE_COLUMNS]:
                parts.append(figure(charts.slice_forest_figure(comparison, column, primary)))  # type: ignore[arg-type]
    if report.signatures:
        parts.append("<h2>Signatures</h2><ul>" + "".join(
            f"<li>{escape(metric_title(name))}: <code>{escape(sig)}</code></li>" for name, sig in report.signatures.items())
            + "</ul>")
    return html_page(report.models, parts, css=PLAIN_CSS)


def _preference_parts(comparison: GenerationComparison, figure: Callable[[go.Figure], str]) -> list[str]:
    """The comparison's pairwise preferences: counts, win rate, sign test, the length adjustment, position bias, a bar."""
    result = comparison.preferences
    if result is None:
        return []
    level = round(result.confidence * 100)
    rate = result.win_rate
    judges = f" by {result.judges:,} judge{'s' if result.judges != 1 else ''}" if result.judges else ""
    parts = [f"<h3>Pairwise preferences ({escape(result.source)})</h3>",
             f"<p>{result.n_judgments:,} judgments of {result.n_ids:,} ids{judges}; wins and losses are the "
             f"candidate's.</p>",
             plain_table(["wins", "losses", "ties", "win rate (ties half)", f"{level}% CI", "wins / decisive", "sign test p"],
                    [[f"{result.wins:,}", f"{result.losses:,}", f"{result.ties:,}", format_number(rate.value),
                      f"[{format_number(rate.ci_low)}, {format_number(rate.ci_high)}]",
                      format_number(result.decisive_win_rate), format_p_value(result.p_value)]])]
    sentence = length_adjusted_sentence(result, markup=False)
    words = comparison.output_words
    if words is not None:
        sentence += (f" Output length, candidate minus baseline: {format_number(words.difference, signed=True, digits=1)} "
                     "words on average.")
    parts.append(f"<p>{escape(sentence)}</p>")
    bias = result.position_bias
    if bias is not None:
        flips = (f"{bias.flips:,} of {bias.pairs:,} pairs judged in both orders flipped with the order (flip rate "
                 f"{format_number(bias.flip_rate)}; {bias.favours_first:,} for the model shown first, "
                 f"{bias.favours_second:,} for the one shown second)" if bias.pairs else "no id was judged in both orders")
        parts.append(f"<p>Position bias: {escape(flips)}; the model shown first scored "
                     f"{format_number(bias.first_shown_score)} (ties half).</p>")
    parts += [f'<div class="warning">{escape(note)}</div>' for note in result.notes]
    parts.append(figure(charts_preferences.preference_bar_figure([result])))
    return parts


def generation_metrics_csv(report: GenerationReport) -> str:
    """Every estimate and difference (and the output length) in the long format of
    :data:`components.html_report.CSV_COLUMNS`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for name, model in report.models.items():
        for metric, e in model.metrics.items():
            writer.writerow(["model", csv_safe(name), csv_safe(metric), "", csv_number(e.value), csv_number(e.ci_low),
                             csv_number(e.ci_high), "", "", "", "", e.method])
        writer.writerow(["model", csv_safe(name), "output_words", "", csv_number(model.output_words), "", "", "", "", "",
                         "", "mean"])
    for comparison in report.comparisons:
        pair = csv_safe(f"{comparison.candidate} - {comparison.baseline}")
        differences = dict(comparison.metrics)
        if comparison.output_words is not None:
            differences["output_words"] = comparison.output_words
        for metric, d in differences.items():
            writer.writerow(["comparison", pair, csv_safe(metric), "", csv_number(d.difference), csv_number(d.ci_low),
                             csv_number(d.ci_high), csv_number(d.p_value), csv_number(d.p_value_adjusted), d.test,
                             verdict_label(d), d.method])
    return out.getvalue()
