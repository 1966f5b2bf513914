"""Helpers shared by the figure builders: user text, number formatting, hover text, verdict traces, empty figures.

Plotly renders a subset of HTML in every text it draws (titles, ticks, legends, hovers, annotations:
``<a href>``, ``<b>``, ``<br>``, entities) and fills ``%{…}`` in hover templates. Every user-supplied
string (model names, class labels, slice columns and values) reaches a figure through :func:`label`,
:func:`hover_label` or :func:`distinct_labels`, which escape it and keep long ones short.

Not part of the public surface; the builders live in :mod:`components.charts`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from evaluation import Difference, Estimate, format_p_value, shorten, verdict_label
from evaluation import metric_title as evaluation_metric_title

from .palette import VERDICT_ORDER, verdict_color, verdict_symbol

__all__ = [
    "HOVER_WIDTH",
    "LABEL_LIMIT",
    "TEMPLATE",
    "TITLE_LIMIT",
    "add_zero_line",
    "data_range",
    "difference_hover",
    "distinct_labels",
    "error_arrays",
    "estimate_hover",
    "finish",
    "fmt",
    "fmt_signed",
    "hover_label",
    "interval_text",
    "label",
    "message_figure",
    "metric_title",
    "panel_spacing",
    "plain",
    "range_with_zero",
    "row_height",
    "undefined_marks",
    "verdict_traces",
]

TEMPLATE = "plotly_white"
LABEL_LIMIT = 40
"""Characters of a user-supplied name in a tick, a legend entry or a title; the hover has the rest."""
TITLE_LIMIT = 100
"""Characters of a whole caller-supplied title (``confusion_matrix_figure(title=...)``)."""
HOVER_WIDTH = 80
"""Characters per line of a long name in a hover box."""
# Plotly decodes numeric entities and &amp; &lt; &gt; (not &quot;); %, $ and " as entities also stop
# hover templates (%{…}), MathJax ($…$) and attribute quoting.
_PLOTLY_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "$": "&#36;",
                                 "%": "&#37;"})
# Verdicts whose rows are drawn in the colour of the verdict; the others are greys.
_LEGEND_NAMES = {
    "better": "better (significant)",
    "worse": "worse (significant)",
    "no significant difference": "no significant difference",
    "insufficient data": "insufficient data",
    "undefined": "undefined",
}


def _finite(value: float | None) -> bool:
    """Whether a value is a real, finite number."""
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def plain(text: object) -> str:
    """Text that Plotly shows literally, on one line: its markup characters as entities.

    Examples
    --------
    >>> plain('<a href="x">50%</a>')
    '&lt;a href=&#34;x&#34;&gt;50&#37;&lt;/a&gt;'
    """
    whole = str(text)
    return shorten(whole, max(len(whole), 1)).translate(_PLOTLY_ESCAPES)  # shorten: one line, nothing cut


def label(text: object, limit: int = LABEL_LIMIT) -> str:
    """A user-supplied name for a tick, legend entry or title: escaped, at most ``limit`` characters.

    Longer text ends in "…" (put the whole of it in the hover with :func:`hover_label`).

    Examples
    --------
    >>> label("<b>x</b>"), label("a" * 50, 5)
    ('&lt;b&gt;x&lt;/b&gt;', 'aaaa…')
    """
    return plain(shorten(text, limit))


def hover_label(text: object, *, limit: int | None = None, width: int = HOVER_WIDTH) -> str:
    """A user-supplied name for a hover box: all of it (or ``limit`` characters), escaped, wrapped every ``width``.

    Examples
    --------
    >>> hover_label("<i>" + "x" * 6, width=4)
    '&lt;i&gt;x<br>xxxx<br>x'
    """
    whole = str(text)
    line = shorten(whole, limit if limit is not None else max(len(whole), 1))
    return "<br>".join(plain(line[start:start + width]) for start in range(0, max(len(line), 1), width))


def distinct_labels(texts: Sequence[object], *, limit: int = LABEL_LIMIT,
                    suffixes: Sequence[str] | None = None) -> list[str]:
    """:func:`label` of each text (plus its suffix), kept distinct for a category axis.

    Two texts that shorten to the same label would share one row (bars and points merge); the later
    ones get a counter (``"… (2)"``, ``"… (3)"``) within the limit. ``suffixes`` are appended as they
    are (Plotly markup, e.g. ``" (n=120)"``).

    Examples
    --------
    >>> distinct_labels(["a" * 50, "a" * 51], limit=10)
    ['aaaaaaaaa…', 'aaaaa… (2)']
    """
    ends = list(suffixes) if suffixes is not None else [""] * len(texts)
    seen: set[str] = set()
    labels = []
    for text, end in zip(texts, ends, strict=True):
        candidate, count = label(text, limit) + end, 1
        while candidate in seen:
            count += 1
            mark = f" ({count})"
            candidate = label(text, max(limit - len(mark), 1)) + mark + end
        seen.add(candidate)
        labels.append(candidate)
    return labels


def fmt(value: float | None) -> str:
    """Three decimals, ``"n/a"`` when undefined."""
    return f"{value:.3f}" if _finite(value) else "n/a"


def fmt_signed(value: float | None) -> str:
    """Three decimals with an explicit sign, ``"n/a"`` when undefined."""
    return f"{value:+.3f}" if _finite(value) else "n/a"


def interval_text(low: float, high: float, *, signed: bool = False) -> str:
    """``[low, high]`` with three decimals."""
    form = fmt_signed if signed else fmt
    return f"[{form(low)}, {form(high)}]"


def metric_title(name: str) -> str:
    """The metric's human-readable title (its key when unknown)."""
    return evaluation_metric_title(name)


def error_arrays(values: Sequence[float], lows: Sequence[float], highs: Sequence[float]) -> tuple[list, list]:
    """Plus and minus error-bar lengths ``high - value`` and ``value - low``, never negative, NaN kept."""
    value, low, high = (np.asarray(x, dtype=float) for x in (values, lows, highs))
    with np.errstate(invalid="ignore"):
        plus = np.where(np.isnan(high - value), np.nan, np.maximum(high - value, 0.0))
        minus = np.where(np.isnan(value - low), np.nan, np.maximum(value - low, 0.0))
    return plus.tolist(), minus.tolist()


def estimate_hover(head: str, estimate: Estimate, *, level: int | None = None, extra: str = "") -> str:
    """Hover text of one estimate: value, interval, method (``head`` is markup: escape user text in it)."""
    ci = f"{level}% CI" if level else "CI"
    text = (f"<b>{head}</b><br>value: {fmt(estimate.value)}<br>{ci}: {interval_text(estimate.ci_low, estimate.ci_high)}"
            f"<br>interval: {estimate.method}")
    return text + (f"<br>{extra}" if extra else "")


def difference_hover(head: str, diff: Difference, *, level: int | None = None, extra: str = "") -> str:
    """Hover text of one paired difference: difference, interval, both values, p, adjusted p, test, verdict.

    ``head`` and ``extra`` are Plotly markup: user text in them goes through :func:`hover_label`.
    """
    ci = f"{level}% CI" if level else "CI"
    text = (f"<b>{head}</b><br>difference: {fmt_signed(diff.difference)}<br>"
            f"{ci}: {interval_text(diff.ci_low, diff.ci_high, signed=True)}<br>"
            f"baseline: {fmt(diff.baseline_value)} · candidate: {fmt(diff.candidate_value)}<br>"
            f"p: {format_p_value(diff.p_value)} · adjusted p: {format_p_value(diff.p_value_adjusted)}<br>"
            f"test: {diff.test}<br>verdict: <b>{html.escape(verdict_label(diff))}</b>")
    return text + (f"<br>{extra}" if extra else "")


def message_figure(title: str, message: str) -> go.Figure:
    """A figure that explains why there is nothing to draw (instead of raising); both texts are markup."""
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font={"size": 14}, align="center")
    fig.update_layout(title={"text": title}, template=TEMPLATE, height=300,
                      xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def finish(fig: go.Figure, *, title: str, x_title: str | None, y_title: str | None, height: int | None = None,
           legend: str = "top") -> go.Figure:
    """Apply the shared layout: title, axis titles (None keeps the ones set per panel), white template.

    ``legend="top"`` puts a one-line legend between title and plot; ``"right"`` a column beside the plot
    (for figures with many legend entries, which would wrap into the title).
    """
    subtitle = "<sup>" in title
    if legend == "right":
        legend_layout = {"orientation": "v", "yanchor": "top", "y": 1.0, "xanchor": "left", "x": 1.02}
        top = 70 + 20 * subtitle
    else:
        legend_layout = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0}
        top = 85 + 20 * subtitle
    fig.update_layout(title={"text": title, "y": 1.0, "yref": "container", "yanchor": "top", "x": 0,
                             "xref": "paper", "xanchor": "left", "pad": {"t": 14}},
                      template=TEMPLATE, hoverlabel={"align": "left"}, legend=legend_layout, margin={"t": top})
    if height is not None:
        fig.update_layout(height=height)
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    return fig


def data_range(values: Sequence[float | None], *, pad: float = 0.08) -> list[float] | None:
    """An axis range zoomed to the finite ``values`` (values and interval ends) with ``pad`` of their span each side.

    For values on their own scale (a metric's value, not a difference): a fixed 0-to-1 axis squeezes 0.923
    and 0.975 into one spot. A single value gets 0.05 each side; ``None`` when nothing is finite.

    Examples
    --------
    >>> data_range([0.9, 1.0, float("nan")], pad=0.1)
    [0.89, 1.01]
    """
    finite = [float(v) for v in values if v is not None and _finite(v)]
    if not finite:
        return None
    low, high = min(finite), max(finite)
    margin = pad * (high - low) or 0.05 * max(abs(high), 1.0)
    return [round(low - margin, 12), round(high + margin, 12)]


def range_with_zero(values: Sequence[float]) -> list[float] | None:
    """An axis range covering ``values`` and zero with a little room, so the zero line is never on the edge."""
    finite = [v for v in values if _finite(v)]
    if not finite:
        return None
    low, high = min(*finite, 0.0), max(*finite, 0.0)
    pad = 0.06 * (high - low) or 0.05
    return [low - pad, high + pad]


def panel_spacing(height: int) -> float:
    """Vertical spacing between stacked panels worth about 90 pixels, as a share of the plotting area."""
    return min(0.4, 90 / max(height - 180, 200))


def add_zero_line(fig: go.Figure, **subplot: int) -> None:
    """A vertical line at zero: no difference."""
    fig.add_vline(x=0, line={"color": "#444444", "width": 1.2, "dash": "dash"}, **subplot)


def verdict_traces(
    labels: Sequence[str], differences: Sequence[Difference], hovers: Sequence[str]
) -> list[go.Scatter]:
    """One horizontal dot-and-whisker trace per verdict present (legend = verdicts).

    Differences whose interval seems to contradict their verdict (a :attr:`Difference.note`: an interval
    excluding 0 beside "no significant difference", say, after the correction) get a trace of their own,
    open markers and a legend entry saying so; the hover gives the note.
    """
    traces = []
    verdicts = [d.verdict for d in differences]
    known = list(VERDICT_ORDER) + sorted(set(verdicts) - set(VERDICT_ORDER))
    for verdict in known:
        for noted in (False, True):
            index = [i for i, v in enumerate(verdicts) if v == verdict and bool(differences[i].note) == noted]
            if not index:
                continue
            chosen = [differences[i] for i in index]
            plus, minus = error_arrays([d.difference for d in chosen], [d.ci_low for d in chosen],
                                       [d.ci_high for d in chosen])
            color = verdict_color(verdict)
            name = _LEGEND_NAMES.get(verdict, verdict)
            symbol = verdict_symbol(verdict)
            traces.append(go.Scatter(
                x=[d.difference for d in chosen], y=[labels[i] for i in index], mode="markers",
                name=f"{name}: interval disagrees, see hover" if noted else name, legendgroup=verdict,
                orientation="h",
                marker={"color": "white" if noted else color, "symbol": symbol, "size": 11,
                        "line": {"color": color, "width": 1.5}},
                error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": color,
                         "thickness": 1.8, "width": 4},
                hovertext=[hovers[i] for i in index], hoverinfo="text"))
    return traces


def undefined_marks(labels: Sequence[str], *, name: str = "n/a (undefined)") -> go.Scatter | None:
    """Grey "n/a" text at zero for rows whose value is undefined, so an empty row does not look like a bug."""
    if not labels:
        return None
    return go.Scatter(x=[0.0] * len(labels), y=list(labels), mode="text", text=["n/a"] * len(labels),
                      textposition="middle right", textfont={"color": "#8C8C8C"}, name=name, showlegend=False,
                      hoverinfo="skip")


def row_height(rows: int, *, per_row: int = 28, base: int = 180, minimum: int = 320) -> int:
    """Figure height that grows with the number of rows so labels never overlap."""
    return max(minimum, base + per_row * rows)
