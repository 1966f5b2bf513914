from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

import evaluation
from components.html_report import CSV_COLUMNS, metrics_csv, report_html, report_json
from evaluation import verdict_sentence
from tests.helpers import make_data, simulated_probabilities

FORMULA = '=HYPERLINK("http://x.example","click")'
LINK = '<a href="http://evil.example">x</a>'


@pytest.fixture(scope="module")
def multiclass_html(multiclass_report) -> str:
    return report_html(multiclass_report)


def test_plotly_js_embedded_exactly_once(multiclass_html):
    library = get_plotlyjs()
    assert multiclass_html.count(library[:300]) == 1  # the library's licence header
    assert multiclass_html.count("plotly.js v") == library.count("plotly.js v")
    assert multiclass_html.startswith("<!DOCTYPE html>") and multiclass_html.rstrip().endswith("</html>")


def _figure_ids(document: str) -> list[str]:
    return re.findall(r'<div id="(figure-\d+)" class="plotly-graph-div"', document)


def test_every_figure_present(multiclass_html):
    ids = _figure_ids(multiclass_html)
    # metrics, forest, per-class difference, 2 slice columns, flips, confusion change, per-class,
    # 2 confusion matrices, 3 curves x 3 classes, reliability
    assert ids == [f"figure-{i}" for i in range(1, 21)]
    for div_id in ids:
        assert re.search(rf'Plotly\.newPlot\(\s*"{div_id}",', multiclass_html), div_id
    assert multiclass_html.count('class="plotly-graph-div"') == len(ids)


def test_verdict_sentence_and_sections(multiclass_report, multiclass_html):
    for comparison in multiclass_report.comparisons:
        assert html.escape(verdict_sentence(comparison, multiclass_report)) in multiclass_html
    for heading in ("Verdict", "Metrics", "Differences: cand − base", "Per class: cand − base", "Slices on",
                    "Flips: cand − base", "Curves (one-vs-rest)", "Calibration", "Minimum detectable"):
        assert heading in multiclass_html, heading
    power = multiclass_report.comparisons[0].power
    assert f"{power.minimum_detectable_difference:.3f}" in multiclass_html


def test_works_offline(multiclass_html):
    assert not re.search(r"<script[^>]*\bsrc\s*=", multiclass_html, re.IGNORECASE)
    assert not re.search(r"<link[^>]*href\s*=\s*[\"']?(https?:)?//", multiclass_html, re.IGNORECASE)
    assert not re.search(r"@import|url\(\s*[\"']?https?:", multiclass_html, re.IGNORECASE)
    assert '<meta charset="utf-8">' in multiclass_html or "<meta charset='utf-8'>" in multiclass_html


def test_tables_carry_the_numbers(multiclass_report, multiclass_html):
    estimate = multiclass_report.models["cand"].metrics["accuracy"]
    assert f"{estimate.value:.3f} [{estimate.ci_low:.3f}, {estimate.ci_high:.3f}]" in multiclass_html
    d = multiclass_report.comparisons[0].metrics["f1_macro"]
    assert f"<td class=\"num\">{d.difference:+.3f}</td>" in multiclass_html
    worst = multiclass_report.comparisons[0].slices[0]
    assert f"<td>{html.escape(worst.value)}</td>" in multiclass_html or worst.value in multiclass_html


def test_nan_metric_renders_as_na(nan_report):
    document = report_html(nan_report)
    rows = [row for row in re.findall(r"<tr>.*?</tr>", document) if html.escape("Cohen's kappa") in row]
    assert rows, "no Cohen's kappa row"
    assert all("n/a" in row for row in rows)
    assert "nan" not in " ".join(rows).lower().replace("n/a", "")


def test_text_is_escaped(no_probability_report):
    hostile = dataclasses.replace(no_probability_report, warnings=("<script>alert(1)</script> & more",))
    document = report_html(hostile)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in document
    assert "<script>alert(1)" not in document


def test_without_probabilities(no_probability_report):
    document = report_html(no_probability_report)
    assert "No probabilities" in document
    ids = _figure_ids(document)
    assert document.count('class="plotly-graph-div"') == len(ids) == 8
    assert "Precision-recall curve" not in document


def test_binary_curves_for_positive_class(binary_report):
    document = report_html(binary_report)
    label = binary_report.positive_label
    assert f"Precision-recall curve, class {label} vs rest" in document
    negative = next(c for c in binary_report.classes if c != label)
    assert f"Precision-recall curve, class {negative} vs rest" not in document


def test_metrics_csv_long_format(multiclass_report):
    frame = pd.read_csv(io.StringIO(metrics_csv(multiclass_report)), dtype={"class": str}, keep_default_na=False,
                        na_values=[""])
    assert tuple(frame.columns) == CSV_COLUMNS
    k = len(multiclass_report.classes)
    per_model = len(multiclass_report.models["base"].metrics) + 3 * k
    per_comparison = len(multiclass_report.comparisons[0].metrics) + 3 * k
    assert (frame["kind"] == "model").sum() == per_model * len(multiclass_report.models)
    assert (frame["kind"] == "comparison").sum() == per_comparison * len(multiclass_report.comparisons)
    row = frame[(frame["name"] == "cand") & (frame["metric"] == "accuracy") & (frame["class"].isna())]
    assert len(row) == 1
    estimate = multiclass_report.models["cand"].metrics["accuracy"]
    assert row["value"].item() == estimate.value and row["ci_high"].item() == estimate.ci_high
    assert row["p_value"].isna().item() and row["method"].item() == estimate.method
    diff_row = frame[(frame["kind"] == "comparison") & (frame["metric"] == "recall") & (frame["class"] == "2")]
    d = multiclass_report.comparisons[0].per_class["2"]["recall"]
    assert diff_row["name"].item() == "cand - base"
    assert diff_row["value"].item() == d.difference and diff_row["p_value_adjusted"].item() == d.p_value_adjusted
    assert diff_row["test"].item() == d.test and diff_row["verdict"].item() == d.verdict


def test_metrics_csv_nan_is_empty(nan_report):
    text = metrics_csv(nan_report)
    assert "nan" not in text.lower()
    frame = pd.read_csv(io.StringIO(text), dtype={"class": str})
    kappa = frame[(frame["metric"] == "cohen_kappa")]
    assert kappa["value"].isna().all() and len(kappa) == 3


def test_report_json_is_strict(nan_report):
    text = report_json(nan_report)
    document = json.loads(text)
    assert document["models"]["base"]["metrics"]["cohen_kappa"]["value"] is None
    assert "NaN" not in text


@pytest.fixture(scope="module")
def hostile_report() -> evaluation.ComparisonReport:
    """Models and classes named by an attacker: spreadsheet formulas and Plotly/HTML links."""
    rng = np.random.default_rng(5)
    classes = ("-1", LINK, "@SUM(1+1)")
    names = (FORMULA, f"+cand {LINK}")
    y = rng.integers(0, len(classes), 300)
    scores = {name: simulated_probabilities(rng, y, len(classes), strength)
              for name, strength in zip(names, (1.0, 1.5), strict=True)}
    data = make_data(y, {name: s.argmax(axis=1) for name, s in scores.items()}, scores, classes=classes)
    data = dataclasses.replace(data, metadata=pd.DataFrame({f"<b>{LINK}</b>": rng.choice([LINK, "=1+1"], 300)}))
    return evaluation.compare(data, settings=evaluation.Settings(resamples=100, slice_resamples=40))


def test_metrics_csv_cells_never_run_as_formulas(hostile_report):
    rows = list(csv.DictReader(io.StringIO(metrics_csv(hostile_report))))
    names = {row["name"] for row in rows}
    assert "'" + FORMULA in names and FORMULA not in names
    assert f"'+cand {LINK} - '=HYPERLINK" not in names  # the comparison name starts with the candidate's
    assert f"'+cand {LINK} - {FORMULA}" in names
    assert {row["class"] for row in rows} == {"", "'-1", LINK, "'@SUM(1+1)"}
    differences = [float(row["value"]) for row in rows if row["kind"] == "comparison" and row["value"]]
    assert min(differences) < 0  # numbers stay numbers: a negative difference is not quoted
    assert all(not row[column].startswith(("=", "+", "-", "@")) for row in rows
               for column in ("kind", "name", "metric", "class", "test", "verdict", "method"))


def test_html_report_shows_hostile_names_as_text(hostile_report):
    document = report_html(hostile_report)
    assert LINK not in document and "<b><a" not in document
    assert html.escape(f"+cand {LINK}") in document  # headings and tables: escaped, whole
    # Figures are JSON in which plotly writes "<" as \\u003c: a live link there would read \\u003ca.
    assert "\\u003ca " not in document.lower() and "\\u003cb\\u003e\\u003ca" not in document.lower()
    assert '"&lt;a href=&#34;http:' in document  # the class label as a figure shows it: as text


def test_generation_report_shows_the_preferences_with_the_length_adjustment() -> None:
    from components.html_report_generation import generation_report_html
    from evaluation._generation import compare_generation, load_generation
    from evaluation._generation_preferences import with_preferences

    def rows(outputs: list[str]) -> bytes:
        return "".join(json.dumps({"id": f"q{i}", "output": o, "reference": "a cat sat"}) + "\n"
                       for i, o in enumerate(outputs)).encode()

    base = ["a", "a cat", "cat", "a cat sat on", "sat", "a b", "cat cat", "a", "the cat", "on a mat"]
    tuned = ["a cat sat", "a", "a cat sat here", "cat", "a cat sat on a mat", "a cat", "a cat sat", "cat", "a", "a cat"]
    data = load_generation([("base.jsonl", rows(base)), ("tuned.jsonl", rows(tuned))])
    report = compare_generation(data, settings=evaluation.Settings(resamples=100, slice_resamples=50))
    winners = ["tuned", "base", "tuned", "base", "tuned", "tie", "tuned", "base", "base", "tie"]
    judgments = ("id,winner\n" + "".join(f"q{i},{w}\n" for i, w in enumerate(winners))).encode()
    judged = with_preferences(report, data, ("<b>judged</b>.csv", judgments))
    result = judged.comparisons[0].preferences
    assert result is not None and (result.wins, result.losses, result.ties) == (4, 4, 2)
    document = generation_report_html(judged)
    assert "<h3>Pairwise preferences (&lt;b&gt;judged&lt;/b&gt;.csv)</h3>" in document
    assert "<td>4</td><td>4</td><td>2</td><td>0.500</td>" in document
    assert ("Length-adjusted win rate (logistic regression on the standardised length difference; an adjustment, not a "
            f"measurement): {result.length_adjusted.value:.3f}") in document
    assert "Which answer did the judges prefer?" in document
    assert "Pairwise preferences" not in generation_report_html(report)
