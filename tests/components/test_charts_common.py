"""User text in figures: escaped (Plotly renders <a href>, <b>, <br>… and %{…}), shortened, distinct."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import evaluation
from components import charts
from components.charts_common import LABEL_LIMIT, TITLE_LIMIT, distinct_labels, hover_label, label, plain
from tests.helpers import make_data, simulated_probabilities

from .checks import assert_well_formed

LINK = '<a href="http://evil.example">x</a>'
ALLOWED_TAGS = {"b", "/b", "br", "sup", "/sup", "extra", "/extra"}  # the builders' own markup
SETTINGS = evaluation.Settings(resamples=100, slice_resamples=40)


def _report(classes: tuple[str, ...], names: tuple[str, str], *, column: str = "lang",
            values: tuple[str, ...] = ("en", "fr")) -> evaluation.ComparisonReport:
    rng = np.random.default_rng(4)
    n, k = 300, len(classes)
    y = rng.integers(0, k, n)
    scores = {name: simulated_probabilities(rng, y, k, strength) for name, strength in zip(names, (1.0, 1.5),
                                                                                            strict=True)}
    data = make_data(y, {name: s.argmax(axis=1) for name, s in scores.items()}, scores, classes=classes)
    data = dataclasses.replace(data, metadata=pd.DataFrame({column: rng.choice(list(values), n)}))
    return evaluation.compare(data, settings=SETTINGS)


@pytest.fixture(scope="module")
def hostile_report() -> evaluation.ComparisonReport:
    return _report((LINK, "<b>bold</b> & <br>", "50% $x$ %{x}"),
                   (f"base {LINK}", 'cand <img src="http://evil.example/a.png"> %{y}'),
                   column=f"<i>{LINK}</i>", values=(LINK, "<script>alert(1)</script>"))


@pytest.fixture(scope="module")
def long_report() -> evaluation.ComparisonReport:
    return _report(("x" * 10_000, "x" * 9_999 + "y", "short"), ("m" * 10_000, "m" * 9_999 + "n"),
                   values=("v" * 10_000, "v" * 9_999 + "w"))


def _figures(report: evaluation.ComparisonReport) -> Iterator[go.Figure]:
    """Every builder on every class, model and slice column of the report, message figures included."""
    comparison = report.comparisons[0]
    column = comparison.slices[0].column
    yield charts.metric_intervals_figure(report)
    yield charts.per_class_figure(report, "recall")
    for name, model in report.models.items():
        yield charts.confusion_matrix_figure(model.confusion_matrix, title=name)
    yield charts.confusion_difference_figure(report.classes, comparison.confusion_matrix_difference,
                                             title=f"{comparison.candidate} minus {comparison.baseline}")
    yield charts.difference_forest_figure(comparison, confidence=0.95)
    yield charts.per_class_difference_figure(comparison, "f1")
    yield charts.slice_forest_figure(comparison, column, "accuracy")
    yield charts.slice_forest_figure(comparison, f"{LINK} missing", "accuracy")
    yield charts.flips_figure(comparison)
    for class_label in (*report.classes, f"{LINK} unknown"):
        yield charts.pr_curve_figure(report, class_label, threshold=0.5)
        yield charts.roc_curve_figure(report, class_label, threshold=0.5)
        yield charts.threshold_metrics_figure(report, class_label, threshold=0.5)
    yield charts.reliability_figure(report)


def _strings(value: object) -> Iterator[str]:
    """Every string in a figure's JSON (data, layout, annotations, templates)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.dtype == object):
        for item in value:
            yield from _strings(item)


def test_helpers_escape_and_shorten():
    assert plain(LINK) == "&lt;a href=&#34;http://evil.example&#34;&gt;x&lt;/a&gt;"
    assert plain("50% of $5 & more\nlines") == "50&#37; of &#36;5 &amp; more lines"
    assert label("<b>" + "x" * 100) == "&lt;b&gt;" + "x" * 36 + "…"
    assert hover_label("y" * 200) == "<br>".join(["y" * 80, "y" * 80, "y" * 40])
    assert hover_label("<b>" * 100, limit=3) == "&lt;b…"
    assert distinct_labels(["a" * 50, "a" * 50 + "b", "a" * 50 + "c"], limit=10) == [
        "aaaaaaaaa…", "aaaaa… (2)", "aaaaa… (3)"]
    assert distinct_labels(["same", "same"], suffixes=[" (n=1)", " (n=1)"]) == ["same (n=1)", "same (2) (n=1)"]


def test_no_user_markup_reaches_any_figure(hostile_report):
    figures = list(_figures(hostile_report))
    assert len(figures) == 23
    for fig in figures:
        assert_well_formed(fig)
        for text in _strings(fig.to_plotly_json()):
            assert "<a" not in text.lower() and "<img" not in text.lower() and "<script" not in text.lower(), text
            assert set(re.findall(r"<(/?[A-Za-z][^<>\s]*)", text)) <= ALLOWED_TAGS, text
            assert "%{x}" not in text and "%{y}" not in text and "$x$" not in text, text


def test_user_text_is_shown_as_written(hostile_report):
    fig = charts.per_class_figure(hostile_report, "recall")
    assert list(fig.data[0].y) == [plain(c) for c in hostile_report.classes]
    assert fig.data[0].name == plain(f"base {LINK}")  # 40 characters: not shortened
    assert plain(f"base {LINK}") in fig.data[0].hovertext[0].replace("<br>", "")
    curve = charts.pr_curve_figure(hostile_report, hostile_report.classes[0])
    template = next(t.hovertemplate for t in curve.data if t.hovertemplate)
    assert template.startswith(f"<b>{plain(f'base {LINK}')}</b>")


def test_long_labels_are_shortened_with_the_whole_text_on_hover(long_report):
    fig = charts.per_class_figure(long_report, "recall")
    ticks = list(fig.data[0].y)
    assert all(len(tick) <= LABEL_LIMIT for tick in ticks) and len(set(ticks)) == 3  # none merged
    assert ticks[0] == "x" * (LABEL_LIMIT - 1) + "…" and ticks[2] == "short"
    assert "x" * 10_000 in fig.data[0].hovertext[0].replace("<br>", "")
    assert "m" * 10_000 in fig.data[0].hovertext[0].replace("<br>", "")
    assert all(len(trace.name) <= LABEL_LIMIT for trace in fig.data) and len({t.name for t in fig.data}) == 2
    assert list(fig.layout.yaxis.categoryarray) == ticks


@pytest.mark.parametrize("builder", [
    lambda r: charts.metric_intervals_figure(r),
    lambda r: charts.confusion_matrix_figure(r.models[r.baseline].confusion_matrix, title=r.baseline),
    lambda r: charts.confusion_difference_figure(r.classes, r.comparisons[0].confusion_matrix_difference),
    lambda r: charts.per_class_difference_figure(r.comparisons[0]),
    lambda r: charts.slice_forest_figure(r.comparisons[0], "lang", "accuracy"),
    lambda r: charts.flips_figure(r.comparisons[0]),
    lambda r: charts.pr_curve_figure(r, r.classes[0]),
    lambda r: charts.threshold_metrics_figure(r, r.classes[0]),
    lambda r: charts.reliability_figure(r),
])
def test_every_builder_keeps_long_names_short(long_report, builder):
    fig = builder(long_report)
    assert_well_formed(fig)
    layout = fig.layout.to_plotly_json()
    assert len(layout["title"]["text"].split("<br>")[0]) <= TITLE_LIMIT + 2 * LABEL_LIMIT
    for trace in fig.data:
        assert len(trace.name or "") <= LABEL_LIMIT + 30  # a name and a short suffix (": operating points")
        for axis in ("x", "y"):
            values = getattr(trace, axis, None)
            if values is not None and len(values) and isinstance(values[0], str):
                assert max(map(len, values)) <= LABEL_LIMIT + 12  # " (n=123)" on slice rows
                assert len(set(values)) == len(values) or trace.type != "heatmap"
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            assert len(axis.get("title", {}).get("text", "")) <= LABEL_LIMIT + 100


def test_a_difference_whose_interval_disagrees_with_its_verdict_is_drawn_open_and_named() -> None:
    from components.charts_common import verdict_traces
    from evaluation._results import Difference, Verdict

    plain_none = Difference(0.01, -0.02, 0.04, 0.5, 0.5, "paired permutation", Verdict.NONE, "bootstrap", 0.5, 0.51)
    noted = dataclasses.replace(plain_none, ci_low=0.01, ci_high=0.13, difference=0.07, p_value=0.01,
                                p_value_adjusted=0.1, note="interval not adjusted; not significant after Holm")
    traces = verdict_traces(["a", "b"], [plain_none, noted], ["hover a", "hover b"])
    assert [(t.name, list(t.y), t.marker.color) for t in traces] == [
        ("no significant difference", ["a"], traces[0].marker.line.color),
        ("no significant difference: interval disagrees, see hover", ["b"], "white")]
