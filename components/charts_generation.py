"""Figure builders for a comparison of text-generating models (no streamlit).

Generation metrics live on different scales: sacrebleu's BLEU, chrF and TER on 0-100, ROUGE, exact match
and token F1 on 0-1, perplexity, bits per byte and ``score_<name>`` columns on their own. Each metric's
values get a panel with their own axis, zoomed to the data; the differences are grouped by scale, so that
metrics on one scale are read against each other. User-supplied names go through
:func:`~components.charts_common.label` like everywhere else.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evaluation import Difference, GenerationComparison, GenerationData, GenerationReport, higher_is_better

from .charts_common import (
    add_zero_line,
    data_range,
    difference_hover,
    distinct_labels,
    error_arrays,
    estimate_hover,
    finish,
    hover_label,
    label,
    message_figure,
    metric_title,
    range_with_zero,
    verdict_traces,
)
from .palette import model_colors

__all__ = ["OUTPUT_WORDS", "distribution_columns", "distribution_figure", "distribution_values",
           "generation_difference_figure", "generation_metrics_figure", "metric_scale", "output_length_figure"]

_HUNDRED = ("bleu", "chrf", "ter")
_UNIT = ("rouge1", "rouge2", "rougeL", "exact_match", "token_f1")
OUTPUT_WORDS = "output_words"
"""The distribution of each output's length in words (whitespace-separated, as the engine counts them)."""
_MAX_BINS = 40


def metric_scale(metric: str) -> str:
    """The scale a generation metric is read on: ``"0-100"``, ``"0-1"``, or the metric itself (its own scale).

    >>> metric_scale("chrf"), metric_scale("rougeL"), metric_scale("score_judge")
    ('0-100', '0-1', 'score_judge')
    """
    return "0-100" if metric in _HUNDRED else "0-1" if metric in _UNIT else metric


def _title(metric: str) -> str:
    return label(metric_title(metric)) + ("" if higher_is_better(metric) else " (lower is better)")


def generation_metrics_figure(report: GenerationReport) -> go.Figure:
    """Every model's value of every metric with its interval: one panel per metric, two columns, each axis zoomed
    to its values and intervals."""
    names = list(report.models)
    metrics = list(report.models[report.baseline].metrics)
    level = round(report.settings.confidence * 100)
    if not metrics:
        return message_figure(f"Metrics with {level}% confidence intervals", "No metric was computed.")
    colors = model_colors(names)
    rows = distinct_labels(names)
    n_rows = math.ceil(len(metrics) / 2)
    panel, gap = 70 + 26 * len(names), 80  # pixels: a panel's plot, the room for the next one's title and ticks
    height = 150 + n_rows * panel + (n_rows - 1) * gap
    fig = make_subplots(rows=n_rows, cols=2, subplot_titles=[_title(m) for m in metrics], horizontal_spacing=0.12,
                        vertical_spacing=gap / max(height - 150, 1) if n_rows > 1 else 0.0)
    for index, metric in enumerate(metrics):
        row, col = index // 2 + 1, index % 2 + 1
        ends: list[float] = []
        for name, shown in zip(names, rows, strict=True):
            estimate = report.models[name].metrics.get(metric)
            if estimate is None:
                continue
            ends += [estimate.value, estimate.ci_low, estimate.ci_high]
            plus, minus = error_arrays([estimate.value], [estimate.ci_low], [estimate.ci_high])
            fig.add_trace(go.Scatter(
                x=[estimate.value], y=[shown], mode="markers", name=shown, legendgroup=shown, showlegend=index == 0,
                marker={"color": colors[name], "size": 10},
                error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": colors[name]},
                hovertext=[estimate_hover(f"{hover_label(name)} · {_title(metric)}", estimate, level=level)],
                hoverinfo="text"), row=row, col=col)
        fig.update_xaxes(range=data_range(ends), row=row, col=col)
        fig.update_yaxes(type="category", categoryorder="array", categoryarray=rows, autorange="reversed",
                         row=row, col=col)
    return finish(fig, title=f"Metrics with {level}% confidence intervals", x_title=None, y_title=None, height=height,
                  legend="right")


def generation_difference_figure(comparison: GenerationComparison, *, confidence: float) -> go.Figure:
    """Each metric's paired difference (candidate minus baseline) with its interval, coloured by verdict; one panel
    per scale (0-100: BLEU, chrF, TER; 0-1: ROUGE, exact match, token F1; every other metric alone)."""
    level = round(confidence * 100)
    title = f"{label(comparison.candidate)} − {label(comparison.baseline)}: differences with {level}% confidence intervals"
    if not comparison.metrics:
        return message_figure(title, "No metric was compared.")
    groups: dict[str, list[str]] = {}
    for metric in comparison.metrics:
        groups.setdefault(metric_scale(metric), []).append(metric)
    height = 170 + 70 * len(groups) + 40 * len(comparison.metrics)
    fig = make_subplots(rows=len(groups), cols=1,
                        vertical_spacing=70 / max(height - 170, 1) if len(groups) > 1 else 0.0,
                        subplot_titles=[f"{scale} scale" if scale in ("0-100", "0-1") else _title(scale)
                                        for scale in groups],
                        row_heights=[max(len(m), 1) for m in groups.values()])
    seen: set[str] = set()
    for row, metrics in enumerate(groups.values(), start=1):
        differences: list[Difference] = [comparison.metrics[m] for m in metrics]
        labels = [_title(m) for m in metrics]
        hovers = [difference_hover(_title(m), d, level=level) for m, d in zip(metrics, differences, strict=True)]
        for trace in verdict_traces(labels, differences, hovers):
            trace.showlegend = trace.legendgroup not in seen
            seen.add(str(trace.legendgroup))
            fig.add_trace(trace, row=row, col=1)
        ends = [v for d in differences for v in (d.ci_low, d.ci_high, d.difference)]
        fig.update_xaxes(range=range_with_zero(ends), zeroline=False, row=row, col=1)
        fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed",
                         row=row, col=1)
        add_zero_line(fig, row=row, col=1)
    fig.update_layout(legend_title_text="verdict (adjusted p):", showlegend=True)
    return finish(fig, title=title, x_title=None, y_title=None, height=height, legend="right")


def output_length_figure(report: GenerationReport, comparison: GenerationComparison) -> go.Figure:
    """Mean output length in words of the baseline and the candidate, and the difference with its interval."""
    words = comparison.output_words
    level = round(report.settings.confidence * 100)
    title = f"Output length: {label(comparison.candidate)} vs {label(comparison.baseline)}"
    if words is None:
        return message_figure(title, "The output length was not compared.")
    names = [comparison.baseline, comparison.candidate]
    shown = distinct_labels(names)
    colors = model_colors(list(report.models))
    fig = make_subplots(rows=1, cols=2, column_widths=[0.5, 0.5], horizontal_spacing=0.15,
                        subplot_titles=["mean words per output", f"difference with {level}% CI"])
    fig.add_trace(go.Bar(x=[report.models[n].output_words for n in names], y=shown, orientation="h",
                         marker={"color": [colors[n] for n in names]}, showlegend=False,
                         hovertemplate="%{y}: %{x:.1f} words<extra></extra>"), row=1, col=1)
    plus, minus = error_arrays([words.difference], [words.ci_low], [words.ci_high])
    fig.add_trace(go.Scatter(x=[words.difference], y=["difference"], mode="markers", showlegend=False,
                             marker={"color": "#444444", "size": 11},
                             error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                                      "color": "#444444"},
                             hovertext=[difference_hover("Output length (words)", words, level=level)],
                             hoverinfo="text"), row=1, col=2)
    fig.update_xaxes(range=range_with_zero([words.ci_low, words.ci_high, words.difference]), row=1, col=2)
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    add_zero_line(fig, row=1, col=2)
    return finish(fig, title=title, x_title=None, y_title=None, height=260)


def distribution_columns(data: GenerationData) -> list[str]:
    """The quantities whose per-example distribution can be drawn: :data:`OUTPUT_WORDS` when the files hold outputs,
    then every ``score_<name>`` column of every model.

    >>> from evaluation import load_generation
    >>> data = load_generation([("a.jsonl", b'{"id": 1, "output": "a", "reference": "a", "score_judge": 3}\\n'),
    ...                         ("b.jsonl", b'{"id": 1, "output": "b", "reference": "a", "score_judge": 4}\\n')])
    >>> distribution_columns(data)
    ['output_words', 'score_judge']
    """
    words = [OUTPUT_WORDS] if data.models and all(model.outputs is not None for model in data.models) else []
    return words + (sorted(data.models[0].scores) if data.models else [])


def distribution_values(data: GenerationData, model: str, column: str) -> np.ndarray:
    """One model's per-example values of ``column``: its outputs' lengths in words, or a ``score_<name>`` column."""
    chosen = data.model(model)
    if column == OUTPUT_WORDS:
        if chosen.outputs is None:
            raise ValueError("the files hold language-model scores alone: there are no outputs to measure")
        return np.array([len(output.split()) for output in chosen.outputs], dtype=float)
    return np.asarray(chosen.scores[column], dtype=float)


def _bins(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Shared bin edges for every model's values and a label per bin: whole numbers get bins of whole numbers."""
    low, high = float(values.min()), float(values.max())
    if np.all(values == np.round(values)):
        width = max(1, math.ceil((high - low + 1) / _MAX_BINS))
        count = math.ceil((high - low + 1) / width)
        edges = low - 0.5 + width * np.arange(count + 1)
        starts = low + width * np.arange(count)
        names = [f"{start:g}" if width == 1 else f"{start:g}–{start + width - 1:g}" for start in starts]
        return edges, names
    edges = np.histogram_bin_edges(values, bins="auto")
    if len(edges) - 1 > _MAX_BINS:
        edges = np.histogram_bin_edges(values, bins=_MAX_BINS)
    return edges, [f"{a:.3g} to {b:.3g}" for a, b in itertools.pairwise(edges)]


def _column_title(column: str) -> str:
    return "output length (words)" if column == OUTPUT_WORDS else label(column)


def distribution_figure(data: GenerationData, baseline: str, candidate: str, *, column: str) -> go.Figure:
    """The per-example distribution of ``column`` for the baseline and the candidate, each model's mean marked.

    ``column`` is :data:`OUTPUT_WORDS` (each output's length in words) or a ``score_<name>`` column. A score whose
    every value is 0 or 1 (a pass or a fail) is drawn as each model's share of passes; any other quantity as a
    histogram of both models on shared bins (whole numbers get whole-number bins), with a dashed line at each mean.

    Examples
    --------
    >>> from evaluation import load_generation
    >>> data = load_generation([("a.jsonl", b'{"id": 1, "output": "a b", "reference": "a"}\\n'),
    ...                         ("b.jsonl", b'{"id": 1, "output": "a", "reference": "a"}\\n')])
    >>> [list(trace.y) for trace in distribution_figure(data, "a", "b", column="output_words").data]
    [[0, 1], [1, 0]]
    """
    names = [baseline, candidate]
    shown = distinct_labels(names)
    what = _column_title(column)
    title = f"Distribution of {what}: {label(candidate)} vs {label(baseline)}"
    if column == OUTPUT_WORDS and any(data.model(name).outputs is None for name in names):
        return message_figure(title, "The files hold language-model scores alone: there are no outputs to measure.")
    if data.n_examples == 0:
        return message_figure(title, "There are no examples.")
    colors = model_colors(data.model_names)
    values = {name: distribution_values(data, name, column) for name in names}
    if column != OUTPUT_WORDS and all(np.isin(v, (0.0, 1.0)).all() for v in values.values()):
        return _pass_share_figure(values, names, shown, colors, column)
    edges, bins = _bins(np.concatenate(list(values.values())))
    centres = (edges[:-1] + edges[1:]) / 2
    unit = "words" if column == OUTPUT_WORDS else label(column)
    fig = go.Figure()
    for index, (name, legend) in enumerate(zip(names, shown, strict=True)):
        counts, _ = np.histogram(values[name], bins=edges)
        mean = float(values[name].mean())
        shares = counts / len(values[name])
        fig.add_trace(go.Bar(x=centres.tolist(), y=counts.tolist(), name=f"{legend} (mean {mean:.3g})",
                             marker={"color": colors[name]},
                             customdata=[[b, float(share)] for b, share in zip(bins, shares, strict=True)],
                             hovertemplate=f"{hover_label(name)}<br>%{{y}} examples (%{{customdata[1]:.0%}}) with "
                                           f"%{{customdata[0]}} {unit}<extra></extra>"))
        fig.add_vline(x=mean, line={"color": colors[name], "dash": ("dash", "dot")[index], "width": 2})
        fig.add_annotation(x=mean, y=1.0 - 0.08 * index, xref="x", yref="paper", showarrow=False,
                           xanchor="right" if mean <= float(values[names[1 - index]].mean()) else "left",
                           text=f"mean {legend}: {mean:.3g}", font={"color": colors[name]}, bgcolor="rgba(255,255,255,0.8)")
    fig.update_layout(barmode="group", bargap=0.15)
    return finish(fig, title=title, x_title=what, y_title="examples", height=380)


def _pass_share_figure(values: dict[str, np.ndarray], names: list[str], shown: list[str], colors: dict[str, str],
                       column: str) -> go.Figure:
    """Each model's share of examples whose 0/1 ``column`` is 1, and how many examples changed between them."""
    baseline, candidate = names
    base, cand = values[baseline], values[candidate]
    gained, lost = int(np.sum((base == 0) & (cand == 1))), int(np.sum((base == 1) & (cand == 0)))
    subtitle = (f"<br><sup>{label(candidate)} passes {gained:,} example{'s' if gained != 1 else ''} that "
                f"{label(baseline)} fails, and fails {lost:,} that {label(baseline)} passes</sup>")
    shares = [float(values[name].mean()) for name in names]
    passed = [int(values[name].sum()) for name in names]
    total = len(base)
    fig = go.Figure(go.Bar(x=shares, y=shown, orientation="h", marker={"color": [colors[n] for n in names]},
                           text=[f"{share:.0%} ({count:,} of {total:,})" for share, count in zip(shares, passed, strict=True)],
                           textposition="auto", showlegend=False,
                           hovertext=[f"{hover_label(name)}: {share:.1%} pass ({count:,} of {total:,} examples)"
                                      for name, share, count in zip(names, shares, passed, strict=True)],
                           hoverinfo="text"))
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(autorange="reversed")
    fig = finish(fig, title=f"{label(column)}: share of examples that pass (score 1){subtitle}",
                 x_title="share of examples", y_title="model", height=260)
    return fig.update_layout(margin={"t": 80})  # no legend to make room for
