"""The A/B test's lift figure: each point is the lift worked out here with pandas from the rows (sum of the metric over
a variant's events divided by its events, treatment over control minus one), each error bar the engine's delta-method
interval from its JSON, each colour the verdict's."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from components import charts_abtest
from components.palette import VERDICT_COLORS
from evaluation._abtest import ABTestReport, analyze_abtest
from evaluation._abtest_data import read_experiment
from tests.components.checks import assert_axis_titles, assert_message, assert_same, assert_well_formed, plus_minus, zero_lines

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "ab_test_events.csv"


def _report(frame: pd.DataFrame, metrics: list[str], **options: object) -> ABTestReport:
    out = io.StringIO()
    frame.to_csv(out, index=False)
    experiment = read_experiment(("ab.csv", out.getvalue().encode()), variant_column="variant", unit_column="unit",
                                 metrics=metrics)
    return analyze_abtest(experiment, **options)  # type: ignore[arg-type]


def _three_variants(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    variant = np.repeat(["control", "blue", "green"], 200)
    shift = np.select([variant == "blue", variant == "green"], [0.4, -0.4], 0.0)
    return pd.DataFrame({"variant": variant, "unit": np.arange(600), "value": rng.normal(5 + shift, 1),
                         "latency": rng.normal(100, 10, 600)})


@pytest.fixture(scope="module")
def demo() -> ABTestReport:
    experiment = read_experiment(str(DEMO), variant_column="variant", unit_column="user_id",
                                 metrics=["converted", "revenue"], covariate="pre_period_revenue")
    return analyze_abtest(experiment)


def test_each_point_is_the_lift_pandas_gives_and_each_bar_the_engines_interval(demo: ABTestReport) -> None:
    fig = charts_abtest.lift_figure(demo)
    assert_well_formed(fig)
    assert_axis_titles(fig)
    rows = pd.read_csv(DEMO)
    ratio = rows.groupby("variant")[["converted", "revenue"]].sum().div(rows.groupby("variant").size(), axis=0)
    expected = 100 * (ratio.loc["treatment"] / ratio.loc["control"] - 1)
    points = {y: (x, plus, minus) for trace in fig.data if trace.mode == "markers"
              for x, y, plus, minus in zip(trace.x, trace.y, trace.error_x.array, trace.error_x.arrayminus, strict=True)}
    assert set(points) == {"converted", "revenue"}
    document = {c["metric"]: c for c in demo.to_dict()["comparisons"]}
    for metric in ("converted", "revenue"):
        assert points[metric][0] == pytest.approx(expected[metric], rel=1e-12)
        c = document[metric]
        plus, minus = plus_minus([100 * c["relative"]], [100 * c["relative_low"]], [100 * c["relative_high"]])
        assert_same([points[metric][1], points[metric][2]], [plus[0], minus[0]])
    assert len(zero_lines(fig)) == 1
    assert fig.layout.xaxis.ticksuffix == "%"


def test_the_colour_is_the_verdict_and_the_subtitle_says_cuped_decides(demo: ABTestReport) -> None:
    fig = charts_abtest.lift_figure(demo)
    assert [(t.name, tuple(t.y), t.marker.color) for t in fig.data] == [
        ("better", ("converted", "revenue"), VERDICT_COLORS["better"])]
    assert "not adjusted by CUPED" in fig.layout.title.text
    plain = charts_abtest.lift_figure(dataclasses.replace(demo, covariate=None))
    assert "CUPED" not in plain.layout.title.text


def test_several_treatments_get_a_row_each_and_a_lower_is_better_metric_says_so() -> None:
    report = _report(_three_variants(), ["value", "latency"], higher_is_worse=["latency"])
    fig = charts_abtest.lift_figure(report)
    labels = [y for trace in fig.data for y in trace.y]
    assert sorted(labels) == sorted(["value: blue", "value: green", "latency (lower is better): blue",
                                     "latency (lower is better): green"])
    by_verdict = {t.name: set(t.y) for t in fig.data}
    assert {"value: blue"} <= by_verdict["better"] and {"value: green"} <= by_verdict["worse"]
    assert list(fig.layout.yaxis.categoryarray) == charts_abtest.lift_labels(report)


def test_a_control_of_zero_has_no_point_but_says_n_a() -> None:
    frame = pd.DataFrame({"variant": ["control"] * 40 + ["treatment"] * 40, "unit": range(80),
                          "x": [0.0] * 40 + [1.0, 0.0] * 20, "y": np.arange(80) % 3 + 1.0})
    fig = charts_abtest.lift_figure(_report(frame, ["x", "y"]))
    marked = [y for trace in fig.data if trace.mode == "markers" for y in trace.y]
    text = [trace for trace in fig.data if trace.mode == "text"]
    assert marked == ["y"] and len(text) == 1 and list(text[0].y) == ["x"] and list(text[0].text) == ["n/a"]


def test_names_are_escaped_and_no_comparison_gives_a_message(demo: ABTestReport) -> None:
    hostile = '<img src=x onerror="alert(1)">'
    fig = charts_abtest.lift_figure(dataclasses.replace(demo, control=hostile))
    assert hostile not in fig.layout.title.text and "&lt;img" in fig.layout.title.text
    assert_message(charts_abtest.lift_figure(dataclasses.replace(demo, comparisons=())), "no metric")
