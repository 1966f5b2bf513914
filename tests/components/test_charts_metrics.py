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

    def test_difference_is_diverging_and_centred(self, multiclass_report):
        comparison = multiclass_report.comparisons[0]
        fig = confusion_difference_figure(multiclass_report.classes, comparison.confusion_matrix_difference)
        assert_well_formed(fig)
        assert_axis_titles(fig)
        (heatmap,) = fig.data
        assert heatmap.zmid == 0
        assert heatmap.zmin == -heatmap.zmax
        assert_same(np.ravel(heatmap.z), np.ravel(comparison.confusion_matrix_difference))
        assert heatmap.zmax == np.abs(np.asarray(comparison.confusion_matrix_difference)).max()
        assert "candidate − baseline" in fig.layout.title.text

    def test_all_zero_difference(self):
        fig = confusion_difference_figure(["a", "b"], [[0, 0], [0, 0]], title="same")
        assert_well_formed(fig)
        assert fig.data[0].zmax == 1

    @pytest.mark.parametrize("labels", [[], ()])
    def test_empty(self, labels):
        assert_message(confusion_difference_figure(labels, []), "empty")
