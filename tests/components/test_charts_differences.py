from __future__ import annotations

import dataclasses
import math

import pytest

from components.charts import (
    difference_forest_figure,
    flips_figure,
    per_class_difference_figure,
    slice_forest_figure,
)
from components.palette import TOO_SMALL_COLOR, VERDICT_COLORS, VERDICT_SYMBOLS
from evaluation import METRICS, Difference, Flips

from .checks import assert_axis_titles, assert_message, assert_same, assert_well_formed, plus_minus, zero_lines

VERDICT_NAMES = {"better (significant)": "better", "worse (significant)": "worse",
                 "no significant difference": "no significant difference", "undefined": "undefined",
                 "insufficient data": "insufficient data"}


def _points(fig):
    """(row label, x, trace) for every verdict-coloured point."""
    return [(y, x, trace) for trace in fig.data if trace.name in VERDICT_NAMES and trace.mode == "markers"
            for y, x in zip(trace.y, trace.x, strict=True)]


def _assert_verdict_styles(fig):
    for trace in fig.data:
        if trace.name in VERDICT_NAMES:
            verdict = VERDICT_NAMES[trace.name]
            assert trace.marker.color == VERDICT_COLORS[verdict]
            assert trace.marker.symbol == VERDICT_SYMBOLS[verdict]


class TestDifferenceForest:
    def test_every_metric_once_with_its_difference_and_interval(self, multiclass_report):
        comparison = multiclass_report.comparisons[0]
        fig = difference_forest_figure(comparison, confidence=0.95)
        assert_well_formed(fig)
        assert_axis_titles(fig)
        points = _points(fig)
        titles = {METRICS[m].title + (" (loss)" if not METRICS[m].higher_is_better else ""): m
                  for m in comparison.metrics}
        assert sorted(y for y, _, _ in points) == sorted(titles)
        for label, x, _ in points:
            assert x == comparison.metrics[titles[label]].difference
        for trace in fig.data:
            diffs = [comparison.metrics[titles[label]] for label in trace.y]
            plus, minus = plus_minus([d.difference for d in diffs], [d.ci_low for d in diffs],
                                     [d.ci_high for d in diffs])
            assert_same(trace.error_x.array, plus)
            assert_same(trace.error_x.arrayminus, minus)

    def test_coloured_by_verdict_with_symbols(self, multiclass_report):
        comparison = multiclass_report.comparisons[0]
        fig = difference_forest_figure(comparison, confidence=0.95)
        _assert_verdict_styles(fig)
        for trace in fig.data:
            for label in trace.y:
                metric = next(m for m in comparison.metrics if label.startswith(METRICS[m].title))
                assert VERDICT_NAMES[trace.name] == comparison.metrics[metric].verdict
        legend = [t.name for t in fig.data if t.showlegend is not False]
        assert len(legend) == len(set(legend))  # each verdict once in the legend across panels

    def test_zero_line_and_axis_titles_explain_direction(self, multiclass_report):
        fig = difference_forest_figure(multiclass_report.comparisons[0], confidence=0.9)
        assert len(zero_lines(fig)) == 2  # one per panel
        assert "candidate − baseline" in fig.layout.xaxis.title.text
        assert "losses: negative = candidate better" in fig.layout.xaxis2.title.text
        assert "90% confidence" in fig.layout.title.text
        low, high = fig.layout.xaxis.range
        assert low < 0 < high  # zero is inside the axis, not on its edge

    def test_axes_are_zoomed_to_the_intervals_and_zero(self, multiclass_report):
        # A difference axis must show zero (no change); beyond that it fits the intervals, never a fixed scale.
        comparison = multiclass_report.comparisons[0]
        fig = difference_forest_figure(comparison, confidence=0.95)
        for axis, losses in ((fig.layout.xaxis, False), (fig.layout.xaxis2, True)):
            ends = [v for m, d in comparison.metrics.items() if (not METRICS[m].higher_is_better) == losses
                    for v in (d.ci_low, d.ci_high, d.difference, 0.0)]
            low, high = min(ends), max(ends)
            assert axis.range[0] == pytest.approx(low - 0.06 * (high - low))
            assert axis.range[1] == pytest.approx(high + 0.06 * (high - low))

    def test_hover_shows_difference_ci_p_adjusted_test_verdict(self, multiclass_report):
        comparison = multiclass_report.comparisons[0]
        fig = difference_forest_figure(comparison, confidence=0.95, metrics=["accuracy"])
        d = comparison.metrics["accuracy"]
        hover = fig.data[0].hovertext[0]
        for text in (f"{d.difference:+.3f}", f"[{d.ci_low:+.3f}, {d.ci_high:+.3f}]", "adjusted p", d.test, d.verdict):
            assert text in hover

    def test_nan_difference_is_marked_not_plotted(self, nan_report):
        fig = difference_forest_figure(nan_report.comparisons[0], confidence=0.95)
        assert_well_formed(fig)
        marks = [t for t in fig.data if t.mode == "text"]
        assert len(marks) == 1 and list(marks[0].y) == ["Cohen's kappa"] and list(marks[0].text) == ["n/a"]
        undefined = [t for t in fig.data if t.name == "undefined"]
        assert undefined and undefined[0].marker.color == VERDICT_COLORS["undefined"]

    def test_nothing_to_show(self, multiclass_report):
        assert_message(difference_forest_figure(multiclass_report.comparisons[0], confidence=0.95, metrics=[]),
                       "no metric")


class TestPerClassDifference:
    def test_worst_first_with_verdict_colours(self, multiclass_report):
        comparison = multiclass_report.comparisons[0]
        fig = per_class_difference_figure(comparison, "f1")
        assert_well_formed(fig)
        assert_axis_titles(fig)
        _assert_verdict_styles(fig)
        expected = sorted(comparison.per_class, key=lambda label: comparison.per_class[label]["f1"].difference)
        assert list(fig.layout.yaxis.categoryarray) == expected
        assert fig.layout.yaxis.autorange == "reversed"
        for label, x, trace in _points(fig):
            d = comparison.per_class[label]["f1"]
            assert x == d.difference and VERDICT_NAMES[trace.name] == d.verdict
        assert len(zero_lines(fig)) == 1
        assert fig.layout.xaxis.title.text == "f1 difference (candidate − baseline)"

    def test_worse_class_is_vermillion(self, multiclass_report):
        comparison = multiclass_report.comparisons[0]
        worse = Difference(-0.2, -0.3, -0.1, 0.001, 0.004, "paired bootstrap", "worse", "bootstrap percentile", 0.8,
                           0.6)
        per_class = {**comparison.per_class, "1": {**comparison.per_class["1"], "recall": worse}}
        fig = per_class_difference_figure(dataclasses.replace(comparison, per_class=per_class))
        (trace,) = [t for t in fig.data if t.name == "worse (significant)"]
        assert list(trace.y) == ["1"] and trace.marker.color == "#D55E00" and trace.marker.symbol == "triangle-down"
        assert fig.layout.yaxis.categoryarray[0] == "1"

    def test_undefined_last_and_many_classes_capped(self, nan_report, many_class_report):
        fig = per_class_difference_figure(nan_report.comparisons[0])
        assert fig.layout.yaxis.categoryarray[-1] == "0"
        assert_well_formed(fig)
        many = per_class_difference_figure(many_class_report.comparisons[0], max_classes=25)
        assert len(many.layout.yaxis.categoryarray) == 25 and "25 largest drops of 200" in many.layout.title.text

    def test_unknown_metric(self, multiclass_report):
        assert_message(per_class_difference_figure(multiclass_report.comparisons[0], "accuracy"), "accuracy")


class TestSliceForest:
    def test_order_values_and_insufficient_marking(self, multiclass_report):
        comparison = multiclass_report.comparisons[0]
        fig = slice_forest_figure(comparison, "lang", "accuracy")
        assert_well_formed(fig)
        assert_axis_titles(fig)
        entries = [s for s in comparison.slices if s.column == "lang"]
        labels = [f"{s.value} (n={s.n:,})" for s in entries]
        assert list(fig.layout.yaxis.categoryarray) == labels
        small = [label for label, s in zip(labels, entries, strict=True) if s.insufficient]
        assert small, "the fixture must have a too-small slice"
        (hollow,) = [t for t in fig.data if t.name == "too small to test"]
        assert list(hollow.y) == small
        assert hollow.marker.symbol == "circle-open" and hollow.marker.color == TOO_SMALL_COLOR
        assert all(label not in small for label, _, _ in _points(fig))  # never drawn in a verdict colour
        by_label = dict(zip(labels, entries, strict=True))
        for label, x, trace in _points(fig):
            d = by_label[label].metrics["accuracy"].difference
            assert x == d.difference and VERDICT_NAMES[trace.name] == d.verdict
        assert len(zero_lines(fig)) == 1

    def test_hover_has_n_both_values_adjusted_p(self, multiclass_report):
        comparison = multiclass_report.comparisons[0]
        entry = next(s for s in comparison.slices if s.column == "lang" and not s.insufficient)
        fig = slice_forest_figure(comparison, "lang", "f1_macro")
        label = f"{entry.value} (n={entry.n:,})"
        hover = next(h for t in fig.data for y, h in zip(t.y, t.hovertext, strict=True) if y == label)
        m = entry.metrics["f1_macro"]
        for text in (f"n = {entry.n}", f"{m.baseline.value:.3f}", f"{m.candidate.value:.3f}", "adjusted p"):
            assert text in hover
        small = next(s for s in comparison.slices if s.insufficient)
        hover = next(h for t in fig.data for y, h in zip(t.y, t.hovertext, strict=True) if y.startswith(small.value))
        assert "too small to test" in hover

    def test_missing_column_metric_and_nan(self, multiclass_report, nan_report, no_probability_report):
        comparison = multiclass_report.comparisons[0]
        assert_message(slice_forest_figure(comparison, "nope", "accuracy"), "no slices")
        assert_message(slice_forest_figure(comparison, "lang", "log_loss"), "available")
        assert_message(slice_forest_figure(no_probability_report.comparisons[0], "lang", "accuracy"), "no slices")
        column = nan_report.comparisons[0].slices[0].column
        fig = slice_forest_figure(nan_report.comparisons[0], column, "accuracy")
        assert_well_formed(fig)
        assert any(t.mode == "text" for t in fig.data)


class TestFlips:
    def test_diverging_bars_per_class(self, multiclass_report):
        comparison = multiclass_report.comparisons[0]
        fig = flips_figure(comparison)
        assert_well_formed(fig)
        assert_axis_titles(fig)
        regressions, improvements = fig.data
        assert regressions.name == "regressions" and improvements.name == "improvements"
        labels = list(comparison.flips.by_class)
        assert list(regressions.y) == labels == list(improvements.y)
        assert list(regressions.x) == [-comparison.flips.by_class[c].regressions for c in labels]
        assert list(improvements.x) == [comparison.flips.by_class[c].improvements for c in labels]
        assert regressions.marker.color == VERDICT_COLORS["worse"]
        assert improvements.marker.color == VERDICT_COLORS["better"]
        assert regressions.marker.pattern.shape  # not colour alone
        assert fig.layout.barmode == "relative"
        assert all(not text.startswith("-") for text in fig.layout.xaxis.ticktext)
        assert f"{comparison.flips.regressions:,} regressions" in fig.layout.title.text

    def test_no_flips_and_many_classes(self, multiclass_report, many_class_report):
        assert_message(flips_figure(dataclasses.replace(multiclass_report.comparisons[0], flips=None)), "no flip")
        empty = Flips(0, 0, {}, (), (), (), False)
        assert_message(flips_figure(dataclasses.replace(multiclass_report.comparisons[0], flips=empty)), "no flip")
        fig = flips_figure(many_class_report.comparisons[0], max_classes=20)
        assert len(fig.data[0].y) == 20


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_forest_level_in_hover(multiclass_report, confidence):
    fig = difference_forest_figure(multiclass_report.comparisons[0], confidence=confidence, metrics=["accuracy"])
    assert f"{round(confidence * 100)}% CI" in fig.data[0].hovertext[0]
    assert not math.isnan(fig.data[0].x[0])
