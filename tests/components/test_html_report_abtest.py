"""The A/B test's HTML page: every row of every table of the Markdown report, cell for cell, the verdict, the sample-ratio
check, the notes and the lift chart."""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from components.html_report_abtest import abtest_report_html
from evaluation._abtest import ABTestReport, analyze_abtest
from evaluation._abtest_data import read_experiment

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "ab_test_events.csv"


def _demo(**options: object) -> ABTestReport:
    covariate = options.pop("covariate", "pre_period_revenue")
    experiment = read_experiment(str(DEMO), variant_column="variant", unit_column="user_id",
                                 metrics=["converted", "revenue"], covariate=covariate)  # type: ignore[arg-type]
    return analyze_abtest(experiment, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def cuped() -> ABTestReport:
    return _demo()


@pytest.fixture(scope="module")
def plain() -> ABTestReport:
    return _demo(covariate=None, mde={"converted": 0.02, "revenue": 1.0})


def markdown_rows(markdown: str) -> list[list[str]]:
    """Every header and body row of the Markdown report's tables, as plain text cells (Markdown escapes undone)."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("| ") and not re.fullmatch(r"\|[-:|]+\|", line):
            rows.append([re.sub(r"\\(.)", r"\1", cell.strip()) for cell in line.strip("|").split(" | ")])
    return rows


def html_row(cells: list[str]) -> str:
    """A row as :func:`components.html_report.plain_table` writes it, whether header or body."""
    return "".join(f"<td>{html.escape(cell)}</td>" for cell in cells)


def html_header(cells: list[str]) -> str:
    return "".join(f"<th>{html.escape(cell)}</th>" for cell in cells)


@pytest.mark.parametrize("which", ["cuped", "plain"])
def test_every_markdown_table_row_is_an_html_row(which: str, request: pytest.FixtureRequest) -> None:
    report: ABTestReport = request.getfixturevalue(which)
    page = abtest_report_html(report)
    rows = markdown_rows(report.to_markdown())
    assert len(rows) == 3 * (4 if which == "cuped" else 3)  # a header and 2 rows: allocation, metrics, sizes, CUPED
    missing = [row for row in rows if html_row(row) not in page and html_header(row) not in page]
    assert missing == []


def test_the_sections_the_verdict_and_the_notes(cuped: ABTestReport) -> None:
    page = abtest_report_html(cuped)
    assert page.startswith("<!DOCTYPE html>") and page.count("<script type='text/javascript'>") == 1
    for heading in ("Allocation", "Metrics", "CUPED on pre_period_revenue", "Units per variant needed (power 0.8, "
                    "alpha 0.05)", "Notes"):
        assert f"<h2>{heading}</h2>" in page
    assert ("<strong>Verdict.</strong> treatment vs control: converted better (+0.0303, 95% CI +0.0075 to +0.0532, "
            "CUPED, adjusted p = 0.017); revenue better (+1.987, 95% CI +0.511 to +3.462, CUPED, adjusted p = 0.017).</p>"
            ) in page  # the sentence docs/abtest.md quotes
    assert "Sample-ratio check: chi-square 0.008 on 1 df, p = 0.929: no mismatch (threshold 0.001)." in page
    assert "6,665 rows · 2,000 units (user_id) · 2 variants (variant), control <strong>control</strong>" in page
    assert all(f"<li>{html.escape(note)}</li>" in page for note in cuped.notes) and len(cuped.notes) == 6
    assert "Without CUPED. The verdicts are CUPED's, below." in page


def test_the_lift_chart_carries_the_engines_lifts(cuped: ABTestReport) -> None:
    page = abtest_report_html(cuped)
    assert page.count('class="plotly-graph-div"') == 1
    spec = re.search(r'Plotly\.newPlot\(\s*"figure-1",\s*(\[.*?\]),\s*\{', page, re.S)
    assert spec is not None
    traces = json.loads(spec.group(1))
    lifts = {y: x for trace in traces if trace.get("mode") == "markers" for x, y in zip(trace["x"], trace["y"], strict=True)}
    assert lifts == pytest.approx({c.metric: 100 * c.relative for c in cuped.comparisons}, rel=1e-12)


def test_a_sample_ratio_mismatch_is_a_warning() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"variant": ["control"] * 700 + ["treatment"] * 300, "unit": range(1000),
                          "value": rng.normal(size=1000)})
    out = io.StringIO()
    frame.to_csv(out, index=False)
    experiment = read_experiment(("ab.csv", out.getvalue().encode()), variant_column="variant", unit_column="unit",
                                 metrics=["value"])
    page = abtest_report_html(analyze_abtest(experiment))
    assert '<p class="warning"><strong>Verdict.</strong> Sample-ratio mismatch: the units split control 70.0%' in page
    assert ": <strong>mismatch</strong>: the results are not trustworthy (threshold 0.001)." in page


def test_names_are_text(cuped: ABTestReport) -> None:
    hostile = '<script>alert("x")</script>'
    page = abtest_report_html(dataclasses.replace(cuped, source=hostile, control=hostile, covariate=hostile))
    assert hostile not in page
    assert f"<h1>A/B test: {html.escape(hostile)}</h1>" in page and f"<h2>CUPED on {html.escape(hostile)}</h2>" in page
