"""The Overview's scorecard and leaderboard against the report's own numbers, formatted by hand here."""

from __future__ import annotations

import dataclasses
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evaluation
from components import scorecard
from components.state import DEMO_FILES, REGRESSION_DEMO_FILES
from evaluation import ComparisonReport, RegressionReport

SETTINGS = evaluation.Settings(resamples=200, slice_resamples=60)
GREEN, VERMILLION, GREY = "#009E73", "#D55E00", "#6E6E6E"  # Okabe & Ito's bluish green and vermillion
DEGRADED_CLASS = "3"


def degraded_demo_file() -> tuple[str, bytes]:
    """A third demo model, ``degraded.csv``: the finetuned model made wrong on every other digit 3.

    Those examples are predicted as 4 (the two probability columns swapped, so the file stays
    consistent); everything else is the finetuned model's. Its recall of class 3 drops by half.
    """
    frame = pd.read_csv(DEMO_FILES[1])
    rows = np.flatnonzero((frame["label"].astype(str) == DEGRADED_CLASS).to_numpy())[::2]
    for row in rows:
        predicted = int(frame.at[row, "prediction"])
        wrong = (int(DEGRADED_CLASS) + 1) % 10
        if predicted != wrong:
            columns = [f"prob_{predicted}", f"prob_{wrong}"]
            frame.loc[row, columns] = frame.loc[row, columns[::-1]].to_numpy()
        frame.at[row, "prediction"] = wrong
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return "degraded.csv", buffer.getvalue().encode()


def three_demo_files() -> list[tuple[str, bytes]]:
    """The demo's base and finetuned files and :func:`degraded_demo_file`."""
    return [*((path.name, path.read_bytes()) for path in DEMO_FILES), degraded_demo_file()]


@pytest.fixture(scope="module")
def three_report() -> ComparisonReport:
    return evaluation.compare(evaluation.load_classification(three_demo_files()), settings=SETTINGS)


@pytest.fixture(scope="module")
def regression_report() -> RegressionReport:
    files = [(Path(path).name, Path(path).read_bytes()) for path in REGRESSION_DEMO_FILES]
    return evaluation.compare_regression(evaluation.load_regression(files, names=["base", "finetuned"]),
                                         settings=SETTINGS)


def value_text(estimate: evaluation.Estimate) -> tuple[str, str]:
    return f"{estimate.value:.3f}", f"[{estimate.ci_low:.3f}, {estimate.ci_high:.3f}]"


def difference_text(difference: evaluation.Difference) -> tuple[str, str]:
    return f"{difference.difference:+.3f}", f"[{difference.ci_low:+.3f}, {difference.ci_high:+.3f}]"


class TestHeadlineMetrics:
    def test_classification_with_probabilities(self, multiclass_report):
        assert scorecard.headline_metrics(multiclass_report) == ("f1_macro", "accuracy", "roc_auc")

    def test_the_primary_metric_comes_first_and_once(self, multiclass_report):
        report = dataclasses.replace(multiclass_report, settings=dataclasses.replace(
            multiclass_report.settings, primary_metric="accuracy"))
        assert scorecard.headline_metrics(report) == ("accuracy", "roc_auc")

    def test_log_loss_when_there_is_no_roc_auc(self, multiclass_report):
        models = {name: dataclasses.replace(model, metrics={k: v for k, v in model.metrics.items() if k != "roc_auc"})
                  for name, model in multiclass_report.models.items()}
        report = dataclasses.replace(multiclass_report, models=models)
        assert scorecard.headline_metrics(report) == ("f1_macro", "accuracy", "log_loss")

    def test_no_probability_metric_without_probabilities(self, no_probability_report):
        assert scorecard.headline_metrics(no_probability_report) == ("f1_macro", "accuracy")

    def test_regression(self, regression_report):
        assert regression_report.settings.primary_metric == "mean_absolute_error"
        assert scorecard.headline_metrics(regression_report) == (
            "mean_absolute_error", "root_mean_squared_error", "r2")
        report = dataclasses.replace(regression_report, settings=dataclasses.replace(
            regression_report.settings, primary_metric="r2"))
        assert scorecard.headline_metrics(report) == ("r2", "root_mean_squared_error", "mean_absolute_error")


class TestScorecard:
    def test_every_model_and_metric_with_intervals_differences_and_verdicts(self, three_report):
        card = scorecard.scorecard(three_report)
        assert [column.metric for column in card.columns] == ["f1_macro", "accuracy", "roc_auc"]
        assert [column.title for column in card.columns] == ["F1 (macro)", "Accuracy", "ROC AUC"]
        assert [column.primary for column in card.columns] == [True, False, False]
        assert {column.direction for column in card.columns} == {"higher is better"}
        assert [(row.model, row.baseline) for row in card.rows] == [
            ("base", True), ("finetuned", False), ("degraded", False)]
        assert (card.level, card.correction) == (95, "holm")
        comparisons = {c.candidate: c for c in three_report.comparisons}
        for row in card.rows:
            for column, cell in zip(card.columns, row.cells, strict=True):
                estimate = three_report.models[row.model].metrics[column.metric]
                assert (cell.value, cell.interval) == value_text(estimate)
                if row.baseline:
                    assert (cell.difference, cell.verdict, cell.color, cell.glyph) == ("", "", "", "")
                    continue
                difference = comparisons[row.model].metrics[column.metric]
                assert (cell.difference, cell.difference_interval) == difference_text(difference)
                assert cell.verdict == evaluation.verdict_label(difference)
                expected = {"better": (GREEN, "▲"), "worse": (VERMILLION, "▼"),
                            "no significant difference": (GREY, "●")}[str(difference.verdict)]
                assert (cell.color, cell.glyph) == expected

    def test_the_demo_finetuned_model_is_better_on_f1_in_green(self, three_report):
        finetuned = scorecard.scorecard(three_report).rows[1].cells[0]
        assert (finetuned.verdict, finetuned.color, finetuned.glyph) == ("better", GREEN, "▲")
        assert finetuned.difference.startswith("+")

    def test_a_regression_report(self, regression_report):
        card = scorecard.scorecard(regression_report)
        assert [c.direction for c in card.columns] == ["lower is better", "lower is better", "higher is better"]
        mae = regression_report.models["finetuned"].metrics["mean_absolute_error"]
        difference = regression_report.comparisons[0].metrics["mean_absolute_error"]
        cell = card.rows[1].cells[0]
        assert (cell.value, cell.interval) == value_text(mae)
        assert (cell.difference, cell.difference_interval) == difference_text(difference)

    def test_undefined_values_read_n_a(self, nan_report):
        card = scorecard.scorecard(nan_report, ["cohen_kappa"])
        baseline, candidate = (row.cells[0] for row in card.rows)
        assert (baseline.value, baseline.interval) == ("n/a", "")
        assert (candidate.value, candidate.difference, candidate.verdict) == ("n/a", "n/a", "undefined")

    def test_html_has_large_numbers_verdict_colours_and_glyphs(self, three_report):
        text = scorecard.scorecard_html(scorecard.scorecard(three_report))
        base_f1 = three_report.models["base"].metrics["f1_macro"].value
        assert f'font-size:1.9rem;font-weight:700;line-height:1.1">{base_f1:.3f}<' in text
        assert f'<span style="color:{GREEN}">▲</span> better' in text
        assert "primary" in text and "95% confidence interval" in text and "holm" in text
        assert text.count("<tr>") == 4  # header and three models

    def test_a_verdict_with_a_note_keeps_its_label_short(self, multiclass_report):
        comparison = multiclass_report.comparisons[0]
        noted = dataclasses.replace(comparison.metrics["accuracy"], verdict="no significant difference",
                                    reason="a <b>reason</b> (with brackets)")
        report = dataclasses.replace(multiclass_report, comparisons=(dataclasses.replace(
            comparison, metrics={**comparison.metrics, "accuracy": noted}),))
        card = scorecard.scorecard(report, ["accuracy"])
        assert card.rows[1].cells[0].verdict == "no verdict (a <b>reason</b> (with brackets))"
        text = scorecard.scorecard_html(card)
        assert f'<span style="color:{GREY}">●</span> no verdict</span>' in text
        assert "(a &lt;b&gt;reason&lt;/b&gt; (with brackets))</span>" in text

    def test_html_escapes_model_names(self, multiclass_report):
        hostile = '<img src=x onerror="alert(1)">' + "x" * 60
        report = _renamed(multiclass_report, "cand", hostile)
        text = scorecard.scorecard_html(scorecard.scorecard(report))
        assert "<img" not in text and "&lt;img src=x onerror=" in text
        assert 'title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;' in text  # the whole name in the tooltip
        assert "x" * 60 not in text.split("title=")[0]


def _renamed(report: ComparisonReport, old: str, new: str) -> ComparisonReport:
    """The report with model ``old`` renamed ``new``."""
    models = {new if name == old else name: dataclasses.replace(model, name=new) if name == old else model
              for name, model in report.models.items()}
    comparisons = tuple(dataclasses.replace(c, candidate=new) if c.candidate == old else c for c in report.comparisons)
    return dataclasses.replace(report, models=models, comparisons=comparisons)


def _hand_counts(report: ComparisonReport, candidate: str) -> tuple[int, int, int]:
    """Significantly worse metrics, classes and tested slices, counted from the report's JSON."""
    document = evaluation.report_to_dict(report)
    comparison = next(c for c in document["comparisons"] if c["candidate"] == candidate)
    metrics = [name for name, d in comparison["metrics"].items() if d["verdict"] == "worse"]
    classes = [label for label, values in comparison["per_class"].items()
               if "worse" in [d["verdict"] for d in values.values()]]
    slices = [(s["column"], s["value"]) for s in comparison["slices"] if not s["insufficient"]
              and "worse" in [m["difference"]["verdict"] for m in s["metrics"].values()]]
    return len(metrics), len(classes), len(slices)


class TestLeaderboard:
    def test_three_files_ranked_with_their_regressions(self, three_report):
        board = scorecard.leaderboard(three_report)
        assert (board.metric, board.metric_title, board.baseline, board.level) == ("f1_macro", "F1 (macro)", "base", 95)
        differences = {c.candidate: c.metrics["f1_macro"] for c in three_report.comparisons}
        # finetuned gains about 0.035 in F1; degraded loses half of one class's recall (about -0.01).
        assert differences["finetuned"].difference > 0 > differences["degraded"].difference
        assert [(row.rank, row.candidate) for row in board.rows] == [(1, "finetuned"), (2, "degraded")]
        for row in board.rows:
            difference = differences[row.candidate]
            estimate = three_report.models[row.candidate].metrics["f1_macro"]
            assert (row.value, row.interval) == value_text(estimate)
            assert (row.difference, row.difference_interval) == difference_text(difference)
            assert row.verdict == evaluation.verdict_label(difference)
            assert (row.worse_metrics, row.worse_classes, row.worse_slices) == _hand_counts(three_report, row.candidate)

    def test_the_degraded_class_is_counted_worse(self, three_report):
        degraded = next(row for row in scorecard.leaderboard(three_report).rows if row.candidate == "degraded")
        recall = next(c for c in three_report.comparisons if c.candidate == "degraded").per_class[DEGRADED_CLASS]["recall"]
        assert recall.verdict == "worse" and recall.difference < -0.3
        assert degraded.worse_classes is not None and degraded.worse_classes >= 1

    def test_lower_is_better_ranks_the_largest_drop_first(self, regression_report):
        comparison = regression_report.comparisons[0]
        mae = comparison.metrics["mean_absolute_error"]
        worse = dataclasses.replace(mae, difference=3.0, ci_low=1.0, ci_high=5.0, verdict="worse")
        best = dataclasses.replace(mae, difference=mae.difference - 5.0)
        undefined = dataclasses.replace(mae, difference=math.nan, verdict="undefined")
        variants = {"worse": worse, "best": best, "undefined": undefined}
        comparisons = [comparison] + [dataclasses.replace(comparison, candidate=name, metrics={
            **comparison.metrics, "mean_absolute_error": d}) for name, d in variants.items()]
        models = dict(regression_report.models) | {name: regression_report.models["finetuned"] for name in variants}
        report = dataclasses.replace(regression_report, comparisons=tuple(comparisons), models=models)
        board = scorecard.leaderboard(report)
        assert [row.candidate for row in board.rows] == ["best", "finetuned", "worse", "undefined"]
        assert all(row.worse_classes is None for row in board.rows)  # regression: no classes
        assert board.rows[2].worse_metrics == 1 + sum(d.verdict == "worse" for name, d in comparison.metrics.items()
                                                      if name != "mean_absolute_error")
        assert (board.rows[2].color, board.rows[2].glyph) == (VERMILLION, "▼")
        assert (board.rows[3].difference, board.rows[3].verdict) == ("n/a", "undefined")

    def test_html_lists_each_candidate_and_hides_classes_for_regression(self, three_report, regression_report):
        text = scorecard.leaderboard_html(scorecard.leaderboard(three_report))
        assert text.index("finetuned") < text.index("degraded")
        assert "worse classes" in text and "worse slices" in text and "F1 (macro) [95% CI]" in text
        regression = scorecard.leaderboard_html(scorecard.leaderboard(regression_report))
        assert "worse classes" not in regression and "worse slices" in regression

    def test_html_escapes_names(self, three_model_report):
        report = _renamed(three_model_report, "ft2", "<script>alert(1)</script>")
        text = scorecard.leaderboard_html(scorecard.leaderboard(report))
        assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
