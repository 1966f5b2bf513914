"""One format of p-values in every face: the dashboard's tables and charts, the HTML and Markdown reports."""

from __future__ import annotations

from dataclasses import replace
from html import escape

import pytest

import evaluation
from components import charts, html_report, tables
from evaluation import ComparisonReport, format_p_value


@pytest.mark.parametrize(("p", "text"), [(0.5, "0.500"), (0.0123, "0.012"), (0.0042, "0.0042"), (0.0001, "0.0001"),
                                         (3e-5, "< 0.0001"), (0.0, "< 0.0001"), (float("nan"), "n/a"), (None, "n/a")])
def test_the_engine_formats_a_p_value(p: float | None, text: str) -> None:
    assert format_p_value(p) == text


def test_every_face_prints_a_p_value_the_same_way(multiclass_report: ComparisonReport) -> None:
    comparison = multiclass_report.comparisons[0]
    accuracy = replace(comparison.metrics["accuracy"], p_value=0.0042, p_value_adjusted=3e-5)
    comparison = replace(comparison, metrics={**comparison.metrics, "accuracy": accuracy})
    report = replace(multiclass_report, comparisons=(comparison,))
    raw, adjusted = format_p_value(0.0042), format_p_value(3e-5)
    row = tables.differences_table(comparison).set_index("metric").loc[evaluation.METRICS["accuracy"].title]
    assert (row["p"], row["p adjusted"]) == (raw, adjusted)
    hovers = [text for trace in charts.difference_forest_figure(comparison, confidence=0.95).data
              for text in trace.hovertext or ()]
    assert any(f"p: {raw} · adjusted p: {adjusted}" in text for text in hovers)
    assert f'<td class="num">{raw}</td><td class="num">{escape(adjusted)}</td>' in html_report.report_html(report)
    assert f"| {raw} | {adjusted} |" in evaluation.report_to_markdown(report)
