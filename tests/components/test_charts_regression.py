"""The regression figures: what they draw is the report's numbers and the data, with names as plain text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from components import charts_regression as charts
from evaluation import Settings, compare_regression, load_regression

HOSTILE = '<a href="http://x.example">m</a>'


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(4)
    y = rng.normal(50, 10, size=150)
    frames = []
    for noise in (6.0, 3.0):
        frames.append(pd.DataFrame({"id": range(150), "label": y, "prediction": y + rng.normal(0, noise, size=150)}))
    sources = [("base.csv", frames[0].to_csv(index=False).encode()), ("tuned.csv", frames[1].to_csv(index=False).encode())]
    return load_regression(sources, names=["base", HOSTILE])


@pytest.fixture(scope="module")
def report(data):
    return compare_regression(data, settings=Settings(resamples=300, slice_resamples=100))


def test_metrics_figure_draws_every_model_and_metric_with_its_interval(report) -> None:
    fig = charts.regression_metrics_figure(report)
    assert len(fig.layout.annotations) == 5  # one panel title per metric
    points = [v for trace in fig.data for v in (trace.x[0], trace.error_x.array[0], trace.error_x.arrayminus[0])]
    metrics = ("mean_absolute_error", "mean_squared_error", "root_mean_squared_error", "r2", "median_absolute_error")
    estimates = [report.models[name].metrics[metric] for metric in metrics for name in report.models]
    expected = [v for e in estimates for v in (e.value, e.ci_high - e.value, e.value - e.ci_low)]
    assert points == pytest.approx(expected)


def test_difference_figure_is_coloured_by_verdict(report) -> None:
    comparison = report.comparisons[0]
    fig = charts.regression_difference_figure(comparison, confidence=0.95)
    drawn = [trace.x[0] for trace in fig.data if trace.type == "scatter"]
    assert drawn == pytest.approx([d.difference for d in comparison.metrics.values()])
    assert comparison.metrics["mean_absolute_error"].verdict == "better"
    assert any(trace.legendgroup == "better" for trace in fig.data)


def test_scatter_residuals_and_error_change_come_from_the_data(data, report) -> None:
    names = list(report.models)
    scatter = charts.predicted_vs_true_figure(data, names)
    assert list(scatter.data[0].x) == pytest.approx(data.y_true.tolist())
    assert list(scatter.data[1].y) == pytest.approx(data.model(HOSTILE).y_pred.tolist())
    residuals = charts.residuals_figure(data, names)
    assert list(residuals.data[0].x) == pytest.approx((data.model("base").y_pred - data.y_true).tolist())
    change = charts.error_change_figure(data, "base", HOSTILE)
    flips = report.comparisons[0].flips
    assert (len(change.data[0].x), len(change.data[1].x)) == (flips.worse, flips.better)


def test_names_are_plain_text_in_every_figure(data, report) -> None:
    names = list(report.models)
    figures = [charts.regression_metrics_figure(report), charts.regression_difference_figure(report.comparisons[0],
                                                                                              confidence=0.95),
               charts.predicted_vs_true_figure(data, names), charts.residuals_figure(data, names),
               charts.error_change_figure(data, "base", HOSTILE)]
    for fig in figures:
        assert "<a" not in json.dumps(fig.to_plotly_json(), default=str)
