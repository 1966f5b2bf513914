"""Figure builders for pairwise preference judgments (no streamlit): preference bars and Bradley-Terry ratings.

A preference bar is one horizontal stacked bar per candidate: the shares of the judgments the candidate won
(bluish green, "better"), tied (the neutral colour) and lost to the baseline (vermillion, "worse"), with the win
rate (ties half) and its interval drawn on the same 0-100% axis just under the bar (it falls in the middle of the tie
segment), and the dashed line at 50% is no preference. User-supplied names go through :func:`~components.charts_common.label`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go

from evaluation import PreferenceComparison, PreferenceRatings, format_number, format_p_value

from .charts_common import distinct_labels, error_arrays, finish, hover_label, label, message_figure, row_height
from .palette import NEUTRAL_COLOR, VERDICT_COLORS, model_colors

__all__ = ["PREFERENCE_COLORS", "preference_bar_figure", "preference_shares", "ratings_figure"]

PREFERENCE_COLORS = {"candidate": VERDICT_COLORS["better"], "tie": NEUTRAL_COLOR, "baseline": VERDICT_COLORS["worse"]}
"""Segment -> colour: the candidate's wins in "better", ties in the neutral colour, the baseline's wins in "worse"."""
_OUTLINE = VERDICT_COLORS["no significant difference"]  # the neutral segment is near-white: outline it
_WIN_RATE_COLOR = "#000000"
_BAR_WIDTH, _RATE_OFFSET = 0.5, 0.42  # in rows: each bar's thickness, and how far under its bar's centre the rate is


def preference_shares(comparison: PreferenceComparison) -> tuple[float, float, float]:
    """The shares of the judgments the candidate won, tied and lost (the baseline won); they add up to 1.

    >>> from evaluation import Estimate
    >>> rate = Estimate(0.625, 0.4, 0.8, "bootstrap")
    >>> preference_shares(PreferenceComparison("j.csv", "old", "new", 8, 8, 4, 2, 2, rate, 0.667, 0.69, "sign", 0.95,
    ...                                        100, 0))
    (0.5, 0.25, 0.25)
    """
    n = comparison.n_judgments
    return comparison.wins / n, comparison.ties / n, comparison.losses / n


def preference_bar_figure(comparisons: Sequence[PreferenceComparison]) -> go.Figure:
    """One stacked bar per candidate (candidate wins, ties, baseline wins, as shares of its judgments), with the win
    rate (ties half) and its interval on the same axis, and a dashed line at 50%: no preference."""
    if not comparisons:
        return message_figure("Preferences", "No judgment compares a candidate with the baseline.")
    level = round(comparisons[0].confidence * 100)
    baselines = {c.baseline for c in comparisons}
    baseline = label(comparisons[0].baseline) if len(baselines) == 1 else "baseline"
    rows = distinct_labels([f"{c.candidate} vs {c.baseline}" for c in comparisons])
    single = len(comparisons) == 1
    positions = list(range(len(comparisons)))
    fig = go.Figure()
    segments = (("candidate", f"{label(comparisons[0].candidate)} wins" if single else "candidate wins", "wins"),
                ("tie", "tie", "ties"), ("baseline", f"{baseline} wins", "losses"))
    for segment, name, count in segments:
        shares = [preference_shares(c)[("candidate", "tie", "baseline").index(segment)] for c in comparisons]
        hovers = [f"<b>{hover_label(c.candidate)} vs {hover_label(c.baseline)}</b><br>{html.escape(name)}: "
                  f"{getattr(c, count):,} of {c.n_judgments:,} judgments ({share:.0%})"
                  for c, share in zip(comparisons, shares, strict=True)]
        fig.add_trace(go.Bar(
            x=shares, y=positions, width=_BAR_WIDTH, orientation="h", name=name, legendgroup=segment,
            marker={"color": PREFERENCE_COLORS[segment], "line": {"color": _OUTLINE if segment == "tie" else "#FFFFFF",
                                                                   "width": 1}},
            text=[f"{share:.0%}" for share in shares], textposition="inside", insidetextanchor="middle",
            textfont={"color": "#000000" if segment == "tie" else "#FFFFFF"},
            hovertext=hovers, hoverinfo="text"))
    plus, minus = error_arrays([c.win_rate.value for c in comparisons], [c.win_rate.ci_low for c in comparisons],
                               [c.win_rate.ci_high for c in comparisons])
    fig.add_trace(go.Scatter(
        x=[c.win_rate.value for c in comparisons], y=[p + _RATE_OFFSET for p in positions], mode="markers",
        name=f"win rate (ties half), {level}% CI",
        marker={"color": _WIN_RATE_COLOR, "size": 11, "symbol": "diamond", "line": {"color": "#FFFFFF", "width": 1}},
        error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": _WIN_RATE_COLOR,
                 "thickness": 2, "width": 8},
        hovertext=[f"<b>{hover_label(c.candidate)} vs {hover_label(c.baseline)}</b><br>win rate (ties half): "
                   f"{format_number(c.win_rate.value)}<br>{level}% CI: [{format_number(c.win_rate.ci_low)}, "
                   f"{format_number(c.win_rate.ci_high)}]<br>sign test p: {format_p_value(c.p_value)}"
                   for c in comparisons], hoverinfo="text"))
    fig.add_vline(x=0.5, line={"color": "#444444", "dash": "dash", "width": 1})
    fig.update_layout(barmode="stack", uniformtext={"minsize": 10, "mode": "hide"}, bargap=0.35)
    fig.update_xaxes(range=[0, 1], tickformat=".0%", dtick=0.1, showgrid=False)
    # Numbers, not categories: the win rate is drawn just under its bar, clear of the shares written on it.
    fig.update_yaxes(tickvals=positions, ticktext=rows, range=[len(rows) - 0.35, -0.45], showgrid=False, zeroline=False)
    return finish(fig, title="Which answer did the judges prefer? Shares of the judgments",
                  x_title="share of judgments (dashed line: no preference)", y_title=None,
                  height=max(260, 170 + 75 * len(comparisons)))


def ratings_figure(ratings: PreferenceRatings, *, models: Sequence[str] | None = None) -> go.Figure:
    """Every model's Bradley-Terry rating with its interval, highest first, and a dashed line at the anchor's rating.

    ``models`` orders the colours as every other chart does (the report's models, baseline first); the models of
    the file that are not in it follow.
    """
    level = round(ratings.confidence * 100)
    title = (f"Bradley-Terry ratings with {level}% intervals (Elo scale, {label(ratings.anchor)} = "
             f"{ratings.anchor_rating:g})")
    if not ratings.ratings:
        return message_figure(title, "No model was rated.")
    colors = model_colors([*(models or ()), *ratings.models])
    rows = distinct_labels([r.model for r in ratings.ratings])
    fig = go.Figure()
    for shown, rating in zip(rows, ratings.ratings, strict=True):
        plus, minus = error_arrays([rating.rating], [rating.ci_low], [rating.ci_high])
        anchor = rating.model == ratings.anchor
        fig.add_trace(go.Scatter(
            x=[rating.rating], y=[shown], mode="markers", name=shown, showlegend=False,
            marker={"color": colors[rating.model], "size": 11, "symbol": "square" if anchor else "circle"},
            error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": colors[rating.model]},
            hovertext=[f"<b>{hover_label(rating.model)}</b>{' (anchor)' if anchor else ''}<br>rating: {rating.rating:.1f}"
                       f"<br>{level}% CI: [{rating.ci_low:.1f}, {rating.ci_high:.1f}]<br>{rating.judgments:,} judgments: "
                       f"{rating.wins:,} won, {rating.losses:,} lost, {rating.ties:,} tied"], hoverinfo="text"))
    fig.add_vline(x=ratings.anchor_rating, line={"color": "#444444", "dash": "dash", "width": 1})
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=rows, autorange="reversed")
    return finish(fig, title=title, x_title=f"rating ({ratings.scale:g} points: 10 to 1 odds of winning)", y_title=None,
                  height=row_height(len(rows), per_row=40, base=170, minimum=240))
