"""The shift figures: each point is the engine's effect size, which equals SciPy's Jensen-Shannon distance or
Wasserstein distance over the test set's standard deviation worked out here; the slice-mix bars are the shares
counted by hand."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from components import charts_shift
from components.palette import VERDICT_COLORS
from evaluation._shift import analyze_shift, read_shift
from evaluation._shift_report import ShiftReport
from tests.components.checks import assert_axis_titles, assert_message, assert_same, assert_well_formed, plus_minus

HOSTILE = '<a href="http://x.example">city</a>'


def frames(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A test set of 300 rows and production of 240: the city mix moves a lot, age a little, the channel not at all."""
    rng = np.random.default_rng(seed)
    n, m = 300, 240
    label = rng.choice(["a", "b"], n)
    test = pd.DataFrame({"id": [f"t{i}" for i in range(n)], "label": label,
                         "prediction": np.where(rng.random(n) < 0.8, label, np.where(label == "a", "b", "a")),
                         "city": rng.choice(["oslo", "rome", "lima"], n, p=[0.6, 0.3, 0.1]),
                         "channel": rng.choice(["web", "app"], n), "age": rng.normal(40, 10, n).round(1)})
    production = pd.DataFrame({"id": [f"p{i}" for i in range(m)], "prediction": rng.choice(["a", "b"], m),
                               "city": rng.choice(["oslo", "rome", "lima"], m, p=[0.2, 0.3, 0.5]),
                               "channel": rng.choice(["web", "app"], m), "age": rng.normal(42, 10, m).round(1)})
    return test, production


def csv_bytes(frame: pd.DataFrame) -> bytes:
    out = io.StringIO()
    frame.to_csv(out, index=False)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def report() -> ShiftReport:
    test, production = frames()
    data = read_shift(("test.csv", csv_bytes(test)), ("production.csv", csv_bytes(production)))
    return analyze_shift(data, resamples=400, seed=0, classifier=False)


def by_name(fig, report: ShiftReport) -> dict[str, float]:
    """Column -> the x of its point in the figure."""
    return {y: x for trace in fig.data if trace.name in ("drifted", "not drifted") for x, y in zip(trace.x, trace.y,
                                                                                                  strict=True)}


def test_each_point_is_the_effect_size_scipy_gives(report: ShiftReport) -> None:
    test, production = frames()
    fig = charts_shift.drift_figure(report)
    assert_well_formed(fig)
    assert_axis_titles(fig)
    points = by_name(fig, report)
    for column in ("city", "channel", "prediction"):
        categories = sorted(set(test[column]) | set(production[column]))
        p = test[column].value_counts(normalize=True).reindex(categories, fill_value=0)
        q = production[column].value_counts(normalize=True).reindex(categories, fill_value=0)
        assert points[column] == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)
    expected_age = wasserstein_distance(test["age"], production["age"]) / np.std(test["age"])
    assert points["age"] == pytest.approx(expected_age, rel=1e-9)


def test_points_are_worst_first_with_the_engines_intervals_and_flags(report: ShiftReport) -> None:
    fig = charts_shift.drift_figure(report)
    ordered = sorted(report.columns, key=lambda c: -c.value)
    assert list(fig.layout.yaxis.categoryarray) == [c.column for c in ordered]
    assert fig.layout.yaxis.autorange == "reversed"  # the first (worst) on top
    assert ordered[0].column == "city" and ordered[0].drifted  # the city mix moved most
    flags = {c.column: c.drifted for c in report.columns}
    assert flags["city"] and not flags["channel"]  # the channel mix did not move
    assert {trace.name for trace in fig.data} == {"drifted", "not drifted"}
    for trace in fig.data:
        chosen = [next(c for c in report.columns if c.column == y) for y in trace.y]
        assert {c.drifted for c in chosen} == {trace.name == "drifted"}
        assert trace.marker.color == (VERDICT_COLORS["worse"] if trace.name == "drifted"
                                      else VERDICT_COLORS["no significant difference"])
        assert_same(trace.x, [c.value for c in chosen])
        plus, minus = plus_minus([c.value for c in chosen], [c.ci_low for c in chosen], [c.ci_high for c in chosen])
        assert_same(trace.error_x.array, plus)
        assert_same(trace.error_x.arrayminus, minus)


def test_the_practical_threshold_is_drawn(report: ShiftReport) -> None:
    fig = charts_shift.drift_figure(report)
    lines = [shape for shape in fig.layout.shapes if shape.type == "line"]
    assert [(shape.x0, shape.x1) for shape in lines] == [(0.1, 0.1)]  # both statistics' default threshold
    assert any("practical threshold 0.100" in annotation.text for annotation in fig.layout.annotations)
    numeric = {c.column: dataclasses.replace(c, threshold=0.25) if c.kind == "numeric" else c for c in report.columns}
    mixed = dataclasses.replace(report, columns=tuple(numeric.values()))
    fig = charts_shift.drift_figure(mixed)
    marks = next(trace for trace in fig.data if trace.name == "practical threshold")
    assert dict(zip(marks.y, marks.x, strict=True)) == {c.column: c.threshold for c in mixed.columns}
    assert not [shape for shape in fig.layout.shapes if shape.type == "line"]


def test_the_slice_mix_is_the_shares_counted_by_hand(report: ShiftReport) -> None:
    test, production = frames()
    fig = charts_shift.slice_mix_figure(report)
    assert_well_formed(fig)
    assert report.reweighted is not None and report.reweighted.column == "city"
    bars = {trace.name: dict(zip(trace.x, trace.y, strict=True)) for trace in fig.data}
    assert bars["test set"] == pytest.approx(test["city"].value_counts(normalize=True).to_dict())
    assert bars["production"] == pytest.approx(production["city"].value_counts(normalize=True).to_dict())


def test_user_names_are_escaped_and_empty_reports_explain(report: ShiftReport) -> None:
    renamed = dataclasses.replace(report, columns=tuple(dataclasses.replace(c, column=HOSTILE) if c.column == "city"
                                                        else c for c in report.columns))
    fig = charts_shift.drift_figure(renamed)
    assert HOSTILE not in fig.to_json()
    assert "&lt;a href=&#34;http://x.example&#34;&gt;city&lt;/a&gt;" in list(fig.layout.yaxis.categoryarray)
    assert_message(charts_shift.drift_figure(dataclasses.replace(report, columns=())), "no column")
    assert_message(charts_shift.slice_mix_figure(dataclasses.replace(report, reweighted=None)), "re-weight")
