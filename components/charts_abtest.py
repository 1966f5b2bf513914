"""Figure builders for online A/B tests (no streamlit): each metric's lift with its interval.

:func:`lift_figure` draws one row per metric (per metric and treatment with several treatments): the lift
``treatment / control - 1`` in percent with its delta-method interval, a dashed line at zero, each row in its
verdict's colour and marker. The lift puts metrics of different units (a conversion rate, a revenue) on one axis.
With a CUPED covariate the verdicts are CUPED's while the lift is not adjusted, and the subtitle says so. Names go
through :func:`~components.charts_common.distinct_labels` and :func:`~components.charts_common.hover_label`.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from evaluation import format_number, format_p_value
from evaluation._abtest import ABTestReport, MetricComparison

from .charts_common import add_zero_line, distinct_labels, error_arrays, finish, hover_label, label, message_figure, row_height
from .palette import VERDICT_ORDER, verdict_color, verdict_symbol

__all__ = ["lift_figure", "lift_labels"]


def lift_labels(report: ABTestReport) -> list[str]:
    """Each comparison's row label: the metric, ``(lower is better)`` after a metric named in ``--higher-is-worse``,
    then ``: treatment`` when there are several treatments."""
    several = len({c.treatment for c in report.comparisons}) > 1
    return distinct_labels([c.metric + ("" if c.higher_is_better else " (lower is better)")
                            + (f": {c.treatment}" if several else "") for c in report.comparisons])


def _percent(value: float) -> str:
    return f"{100 * value:+.1f}%" if math.isfinite(value) else "n/a"


def _hover(c: MetricComparison, level: int) -> str:
    cuped = (f"<br>CUPED difference: {format_number(c.cuped.difference, signed=True, digits=4)} ({level}% CI "
             f"{format_number(c.cuped.ci_low, signed=True, digits=4)} to "
             f"{format_number(c.cuped.ci_high, signed=True, digits=4)})" if c.cuped is not None else "")
    return (f"<b>{hover_label(c.metric)}</b>: {hover_label(c.treatment)} vs {hover_label(c.control)}<br>"
            f"lift: {_percent(c.relative)} ({level}% CI {_percent(c.relative_low)} to {_percent(c.relative_high)})<br>"
            f"control {format_number(c.control_value, digits=4)}, {hover_label(c.treatment)} "
            f"{format_number(c.treatment_value, digits=4)}<br>difference: "
            f"{format_number(c.difference, signed=True, digits=4)}{cuped}<br>adjusted p: "
            f"{format_p_value(c.p_value_adjusted)}<br><b>{c.verdict}</b>"
            + ("" if c.higher_is_better else " (lower is better)"))


def lift_figure(report: ABTestReport) -> go.Figure:
    """Each metric's lift (treatment / control - 1) in percent with its interval, coloured by verdict.

    Parameters
    ----------
    report:
        From :func:`evaluation._abtest.analyze_abtest`.

    Returns
    -------
    go.Figure
        One trace per verdict present (legend: the verdicts), a dashed vertical line at zero; rows whose lift is
        undefined (a control value of 0) say ``n/a``. A message figure when there is no comparison.

    Examples
    --------
    >>> from evaluation._abtest import analyze_abtest
    >>> from evaluation._abtest_data import read_experiment
    >>> experiment = read_experiment("data/demo/ab_test_events.csv", variant_column="variant", unit_column="user_id",
    ...                              metrics=["converted", "revenue"], covariate="pre_period_revenue")
    >>> [(trace.name, trace.y) for trace in lift_figure(analyze_abtest(experiment)).data]
    [('better', ('converted', 'revenue'))]
    """
    level = round(report.confidence * 100)
    title = f"Lift of each metric against {label(report.control)}, {level}% intervals"
    if not report.comparisons:
        return message_figure(title, "No metric compared.")
    labels = lift_labels(report)
    fig = go.Figure()
    defined = [i for i, c in enumerate(report.comparisons) if math.isfinite(c.relative)]
    verdicts = [str(c.verdict) for c in report.comparisons]
    for verdict in [*VERDICT_ORDER, *sorted(set(verdicts) - set(VERDICT_ORDER))]:
        index = [i for i in defined if verdicts[i] == verdict]
        if not index:
            continue
        chosen = [report.comparisons[i] for i in index]
        plus, minus = error_arrays([100 * c.relative for c in chosen], [100 * c.relative_low for c in chosen],
                                   [100 * c.relative_high for c in chosen])
        color = verdict_color(verdict)
        fig.add_trace(go.Scatter(
            x=[100 * c.relative for c in chosen], y=[labels[i] for i in index], mode="markers", name=verdict,
            orientation="h", marker={"color": color, "symbol": verdict_symbol(verdict), "size": 11},
            error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": color,
                     "thickness": 1.8, "width": 4},
            hovertext=[_hover(c, level) for c in chosen], hoverinfo="text"))
    undefined = [labels[i] for i in range(len(labels)) if i not in defined]
    if undefined:
        fig.add_trace(go.Scatter(x=[0.0] * len(undefined), y=undefined, mode="text", text=["n/a"] * len(undefined),
                                 textposition="middle right", textfont={"color": "#8C8C8C"}, showlegend=False,
                                 hoverinfo="skip"))
    add_zero_line(fig)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed")
    fig.update_xaxes(ticksuffix="%", zeroline=False)
    note = ("the lift is not adjusted by CUPED; the colour is the verdict, on the CUPED-adjusted difference"
            if report.covariate else "the colour is the verdict, on the adjusted p-value")
    fig.update_layout(legend_title_text="verdict:", showlegend=True)
    return finish(fig, title=f"{title}<br><sup>treatment / control − 1; {note}</sup>", x_title="lift (%)",
                  y_title="metric", height=row_height(len(labels), per_row=40, base=200, minimum=260))
