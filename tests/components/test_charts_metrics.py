from __future__ import annotations

import math

import numpy as np
import pytest

from components.charts import (
    confusion_difference_figure,
    confusion_matrix_figure,
    metric_intervals_figure,
    per_class_figure,
)
from components.palette import model_colors
from evaluation import METRICS

from .checks import assert_axis_titles, assert_message, assert_same, assert_well_formed, plus_minus

LOSSES = [m for m, info in METRICS.items() if not info.higher_is_better]


class TestMetricIntervals:
    def test_one_trace_per_model_and_panel_with_values_and_intervals(self, multiclass_report):
        fig = metric_intervals_figure(multiclass_report)
        assert_well_formed(fig)
        assert_axis_titles(fig)
        names = list(multiclass_report.models)
        # Two panels (scores, losses), one trace per model in each; legend once per model.
        assert [t.name for t in fig.data] == names * 2
        assert [t.showlegend for t in fig.data] == [True] * len(names) + [False] * len(names)
        scores = [m for m in METRICS if METRICS[m].higher_is_better]
        for trace in fig.data:
            model = multiclass_report.models[trace.name]
            rows = scores if trace.yaxis == "y" else LOSSES
            assert list(trace.y) == [METRICS[m].title for m in rows]
            estimates = [model.metrics[m] for m in rows]
            assert_same(trace.x, [e.value for e in estimates])
            plus, minus = plus_minus([e.value for e in estimates], [e.ci_low for e in estimates],
                                     [e.ci_high for e in estimates])
            assert_same(trace.error_x.array, plus)
            assert_same(trace.error_x.arrayminus, minus)
            assert trace.marker.color == model_colors(names)[trace.name]

    def test_losses_get_their_own_axis_saying_lower_is_better(self, multiclass_report):
        fig = metric_intervals_figure(multiclass_report)
        assert "higher is better" in fig.layout.xaxis.title.text
        assert "lower is better" in fig.layout.xaxis2.title.text
        assert fig.layout.yaxis.autorange == "reversed"  # first metric on top

    def test_axes_are_zoomed_to_the_values_and_intervals(self, multiclass_report):
        fig = metric_intervals_figure(multiclass_report)
        for axis, losses in ((fig.layout.xaxis, False), (fig.layout.xaxis2, True)):
            ends = [v for model in multiclass_report.models.values() for m, e in model.metrics.items()
                    if (m in LOSSES) == losses for v in (e.value, e.ci_low, e.ci_high)]
            low, high = min(ends), max(ends)
            assert axis.range[0] == pytest.approx(low - 0.08 * (high - low))
            assert axis.range[1] == pytest.approx(high + 0.08 * (high - low))
        assert fig.layout.xaxis.range[0] > 0.2  # not a 0-to-1 axis: the scores here are all above 0.3

    def test_close_values_stay_apart(self, three_model_report):
        fig = metric_intervals_figure(three_model_report, ["accuracy"])
        values = [t.x[0] for t in fig.data]
        ends = [v for name in three_model_report.models for v in (
            three_model_report.models[name].metrics["accuracy"].ci_low,
            three_model_report.models[name].metrics["accuracy"].ci_high)]
        span = fig.layout.xaxis.range[1] - fig.layout.xaxis.range[0]
        assert span == pytest.approx((max(ends) - min(ends)) * 1.16)
        assert (max(values) - min(values)) / span > 0.3  # the models' spread fills a good part of the axis

    def test_hover_has_three_decimals_and_interval(self, multiclass_report):
        fig = metric_intervals_figure(multiclass_report, ["accuracy"])
        estimate = multiclass_report.models["base"].metrics["accuracy"]
        hover = fig.data[0].hovertext[0]
        assert f"{estimate.value:.3f}" in hover and f"[{estimate.ci_low:.3f}, {estimate.ci_high:.3f}]" in hover
        assert "95% CI" in hover

    def test_chosen_metrics_in_order_single_panel(self, multiclass_report):
        fig = metric_intervals_figure(multiclass_report, ["f1_macro", "accuracy", "not_a_metric"])
        assert len(fig.data) == 2
        assert list(fig.data[0].y) == ["F1 (macro)", "Accuracy"]

    def test_default_metrics_are_those_every_model_has(self, no_probability_report):
        fig = metric_intervals_figure(no_probability_report)
        assert list(fig.data[0].y) == [METRICS[m].title for m in no_probability_report.models["base"].metrics]
        assert all(t.yaxis == "y" for t in fig.data)

    def test_three_models_three_colours(self, three_model_report):
        fig = metric_intervals_figure(three_model_report, ["accuracy"])
        assert [t.name for t in fig.data] == ["base", "ft1", "ft2"]
        assert len({t.marker.color for t in fig.data}) == 3

    def test_nan_metric_is_marked_and_does_not_fail(self, nan_report):
        fig = metric_intervals_figure(nan_report)
        assert_well_formed(fig)
        assert "Cohen's kappa (n/a)" in fig.data[0].y
        index = list(fig.data[0].y).index("Cohen's kappa (n/a)")
        assert math.isnan(fig.data[0].x[index])

    def test_nothing_to_show(self, multiclass_report):
        assert_message(metric_intervals_figure(multiclass_report, ["nope"]), "no metric")


class TestPerClass:
    def test_bars_per_model_with_values_and_intervals(self, multiclass_report):
        fig = per_class_figure(multiclass_report, "f1")
        assert_well_formed(fig)
        assert_axis_titles(fig)
        assert [t.name for t in fig.data] == list(multiclass_report.models)
        assert all(t.type == "bar" and t.orientation == "h" for t in fig.data)
        assert "f1" in fig.layout.xaxis.title.text
        for trace in fig.data:
            model = multiclass_report.models[trace.name]
            assert list(trace.y) == list(multiclass_report.classes)
            estimates = [model.per_class[label]["f1"] for label in multiclass_report.classes]
            assert_same(trace.x, [e.value for e in estimates])
            plus, _ = plus_minus([e.value for e in estimates], [e.ci_low for e in estimates],
                                 [e.ci_high for e in estimates])
            assert_same(trace.error_x.array, plus)
        assert fig.layout.yaxis.type == "category"  # "0", "1" stay labels, not numbers

    def test_hundreds_of_classes_stay_readable(self, many_class_report):
        fig = per_class_figure(many_class_report, max_classes=30)
        shown = list(fig.data[0].y)
        assert len(shown) == 30
        support = many_class_report.models["base"].support
        threshold = sorted(support.values(), reverse=True)[29]
        assert all(support[label] >= threshold for label in shown)
        assert shown == [c for c in many_class_report.classes if c in set(shown)]  # report order kept
        assert "30 most frequent of 200 classes" in fig.layout.title.text
        assert fig.layout.height >= 30 * 2 * 10
        everything = per_class_figure(many_class_report, max_classes=500)
        assert len(everything.data[0].y) == 200 and everything.layout.height > fig.layout.height

    def test_nan_and_unknown_metric(self, nan_report):
        fig = per_class_figure(nan_report, "recall")
        assert_well_formed(fig)
        assert math.isnan(fig.data[0].x[0])
        assert_message(per_class_figure(nan_report, "accuracy"), "precision, recall, f1")


class TestConfusion:
    def test_counts_and_normalized(self, multiclass_report):
        matrix = multiclass_report.models["base"].confusion_matrix
        fig = confusion_matrix_figure(matrix)
        assert_well_formed(fig)
        assert_axis_titles(fig)
        (heatmap,) = fig.data
        assert_same(np.ravel(heatmap.z), np.ravel(matrix.counts))
        assert list(heatmap.x) == list(matrix.labels) == list(heatmap.y)
        assert fig.layout.yaxis.autorange == "reversed" and fig.layout.xaxis.type == "category"
        assert fig.layout.xaxis.title.text == "predicted label" and fig.layout.yaxis.title.text == "true label"
        normalized = confusion_matrix_figure(matrix, normalized=True, title="base")
        assert_same(np.ravel(normalized.data[0].z), np.ravel(matrix.normalized))
        assert normalized.data[0].zmax == 1 and normalized.layout.title.text == "base"

    def test_difference_is_coloured_better_or_worse_for_the_candidate(self, multiclass_report):
        comparison = multiclass_report.comparisons[0]
        fig = confusion_difference_figure(multiclass_report.classes, comparison.confusion_matrix_difference)
        assert_well_formed(fig)
        assert_axis_titles(fig)
        (heatmap,) = fig.data
        assert heatmap.zmid == 0
        assert heatmap.zmin == -heatmap.zmax
        change = comparison.confusion_matrix_difference
        k = len(change)
        # More right answers (diagonal up) and fewer errors (off-diagonal down) are both better.
        expected = [[change[i][j] if i == j else -change[i][j] for j in range(k)] for i in range(k)]
        assert_same(np.ravel(heatmap.z), np.ravel(expected))
        assert [list(row) for row in heatmap.text] == [[f"{v:+d}" if v else "0" for v in row] for row in change]
        assert heatmap.zmax == max(abs(v) for row in change for v in row)
        assert "candidate − baseline" in fig.layout.title.text

    def test_difference_uses_the_better_and_worse_colours_with_a_legend(self):
        fig = confusion_difference_figure(["a", "b"], [[3, -3], [1, -1]])
        (heatmap,) = fig.data
        # Class a: 3 more right (better), 3 fewer a-as-b errors (better); class b: one more error, one fewer right.
        assert [list(row) for row in heatmap.z] == [[3.0, 3.0], [-1.0, -1.0]]
        assert [list(row) for row in heatmap.text] == [["+3", "-3"], ["+1", "-1"]]
        scale = [(stop, color.upper()) for stop, color in heatmap.colorscale]
        assert scale[0] == (0.0, "#D55E00") and scale[-1] == (1.0, "#009E73")  # worse low, better high
        assert list(heatmap.colorbar.ticktext) == ["worse", "no change", "better"]
        assert list(heatmap.colorbar.tickvals) == [-3, 0, 3]
        assert "green: better" in fig.layout.title.text and "vermillion: worse" in fig.layout.title.text
        assert "fewer errors, better" in heatmap.hovertext[0][1] and "more errors, worse" in heatmap.hovertext[1][0]
        assert "more right, better" in heatmap.hovertext[0][0] and "fewer right, worse" in heatmap.hovertext[1][1]

    def test_all_zero_difference(self):
        fig = confusion_difference_figure(["a", "b"], [[0, 0], [0, 0]], title="same")
        assert_well_formed(fig)
        assert fig.data[0].zmax == 1
        assert "no change" in fig.data[0].hovertext[0][0]

    @pytest.mark.parametrize("labels", [[], ()])
    def test_empty(self, labels):
        assert_message(confusion_difference_figure(labels, []), "empty")
