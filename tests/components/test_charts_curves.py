from __future__ import annotations

import numpy as np
import pytest

from components.charts import pr_curve_figure, reliability_figure, roc_curve_figure, threshold_metrics_figure
from components.palette import model_colors

from .checks import assert_axis_titles, assert_message, assert_same, assert_well_formed


def _curve_traces(fig, report):
    return {t.name.split(" (")[0]: t for t in fig.data if t.mode == "lines" and t.legendgroup in report.models}


@pytest.mark.parametrize(("builder", "x_field", "y_field"), [
    (pr_curve_figure, "recall", "precision"),
    (roc_curve_figure, "false_positive_rate", "recall"),
])
class TestCurves:
    def test_every_model_curve_equals_the_report(self, binary_report, builder, x_field, y_field):
        label = binary_report.positive_label
        fig = builder(binary_report, label)
        assert_well_formed(fig)
        assert_axis_titles(fig)
        curves = _curve_traces(fig, binary_report)
        assert list(curves) == list(binary_report.models)
        colors = model_colors(binary_report.models)
        for name, trace in curves.items():
            curve = binary_report.models[name].thresholds[label]
            assert_same(trace.x, getattr(curve, x_field))
            assert_same(trace.y, getattr(curve, y_field))
            assert trace.line.color == colors[name]
            assert_same(np.asarray(trace.customdata)[:, 0], np.float32(curve.thresholds))

    def test_operating_points_marked(self, binary_report, builder, x_field, y_field):
        label = binary_report.positive_label
        fig = builder(binary_report, label)
        for name, model in binary_report.models.items():
            (trace,) = [t for t in fig.data if t.name == f"{name}: operating points"]
            points = [p for p in model.thresholds[label].operating_points if p.met]
            assert points[0].name == "best_f1" and trace.marker.symbol[0] == "star"
            assert_same(trace.x, [getattr(p, x_field) for p in points])
            assert_same(trace.y, [getattr(p, y_field) for p in points])
            assert "best F1" in trace.hovertext[0]

    def test_threshold_marks_the_nearest_curve_point(self, binary_report, builder, x_field, y_field):
        label = binary_report.positive_label
        fig = builder(binary_report, label, threshold=0.5)
        for name, model in binary_report.models.items():
            curve = model.thresholds[label]
            index = int(np.argmin(np.abs(np.asarray(curve.thresholds) - 0.5)))
            (trace,) = [t for t in fig.data if t.name == f"{name}: at threshold 0.500"]
            assert list(trace.x) == [getattr(curve, x_field)[index]]
            assert list(trace.y) == [getattr(curve, y_field)[index]]
        assert not [t for t in builder(binary_report, label).data if "at threshold" in t.name]

    def test_without_probabilities_explains(self, no_probability_report, builder, x_field, y_field):
        assert_message(builder(no_probability_report, "0"), "no probabilities")

    def test_class_without_curve_explains(self, binary_report, builder, x_field, y_field):
        negative = next(c for c in binary_report.classes if c != binary_report.positive_label)
        assert_message(builder(binary_report, negative), "positive class")

    def test_multiclass_any_class(self, multiclass_report, builder, x_field, y_field):
        fig = builder(multiclass_report, "2")
        assert_well_formed(fig)
        assert list(_curve_traces(fig, multiclass_report)) == list(multiclass_report.models)


def test_summary_in_legend_for_binary(binary_report):
    label = binary_report.positive_label
    pr = pr_curve_figure(binary_report, label)
    roc = roc_curve_figure(binary_report, label)
    for name, model in binary_report.models.items():
        assert any(t.name == f"{name} (AP {model.metrics['average_precision'].value:.3f})" for t in pr.data)
        assert any(t.name == f"{name} (AUC {model.metrics['roc_auc'].value:.3f})" for t in roc.data)
    chance = [t for t in roc.data if t.name == "chance"]
    assert chance and list(chance[0].x) == [0, 1] and list(chance[0].y) == [0, 1]
    prevalence = binary_report.models["base"].support[label] / binary_report.n_examples
    assert any(t.name == f"chance (prevalence {prevalence:.3f})" for t in pr.data)


class TestThresholdMetrics:
    def test_three_lines_per_model_and_threshold_line(self, binary_report):
        label = binary_report.positive_label
        fig = threshold_metrics_figure(binary_report, label, threshold=0.4)
        assert_well_formed(fig)
        assert_axis_titles(fig)
        names = list(binary_report.models)
        assert [t.name for t in fig.data] == [f"{n}: {m}" for n in names for m in ("precision", "recall", "F1")]
        assert len({t.line.dash for t in fig.data[:3]}) == 3
        colors = model_colors(names)
        for trace in fig.data:
            model, metric = trace.name.split(": ")
            curve = binary_report.models[model].thresholds[label]
            assert_same(trace.x, curve.thresholds)
            assert_same(trace.y, getattr(curve, metric.lower()))
            assert trace.line.color == colors[model]
        lines = [s for s in fig.layout.shapes if s.x0 == s.x1 == 0.4]
        assert len(lines) == 1
        assert not threshold_metrics_figure(binary_report, label).layout.shapes

    def test_without_probabilities(self, no_probability_report):
        assert_message(threshold_metrics_figure(no_probability_report, "1", threshold=0.5), "no probabilities")


class TestReliability:
    def test_diagram_per_model_with_counts_and_ece(self, multiclass_report):
        fig = reliability_figure(multiclass_report)
        assert_well_formed(fig)
        assert_axis_titles(fig)
        diagonal = fig.data[0]
        assert diagonal.name == "perfect calibration" and list(diagonal.x) == [0, 1] == list(diagonal.y)
        for name, model in multiclass_report.models.items():
            curve = model.calibration
            (line,) = [t for t in fig.data if t.type == "scatter" and t.legendgroup == name]
            assert line.name.startswith(f"{name} (ECE {curve.ece:.3f}")
            filled = [i for i, c in enumerate(curve.count) if c > 0]
            assert_same(line.x, [curve.mean_confidence[i] for i in filled])
            assert_same(line.y, [curve.accuracy[i] for i in filled])
            (bars,) = [t for t in fig.data if t.type == "bar" and t.legendgroup == name]
            assert list(bars.y) == list(curve.count)
            assert bars.yaxis == "y2"
        assert fig.layout.yaxis2.title.text == "examples per bin"

    def test_without_probabilities(self, no_probability_report):
        assert_message(reliability_figure(no_probability_report), "no probabilities")
