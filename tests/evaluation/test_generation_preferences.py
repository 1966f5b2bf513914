"""A judge's preferences beside a generation comparison: ``with_preferences`` and the report's three faces.

Reference values: the counts are worked out from the rows written; the sign test is SciPy's ``binomtest``;
the length-adjusted win rate is statsmodels' binomial GLM on lengths counted here from the outputs.
"""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
from scipy.stats import binomtest

from evaluation import EvaluationError, Settings
from evaluation._generation import compare_generation, load_generation
from evaluation._generation_preferences import example_lengths, with_preferences
from evaluation._generation_report import generation_report_to_dict, generation_report_to_markdown

FAST = Settings(resamples=300, slice_resamples=100)
WORDS = ["the", "cat", "sat", "on", "a", "mat", "while", "dogs", "ran", "through", "green", "fields"]
LABEL = "length-adjusted win rate (logistic regression on the standardised length difference; an adjustment, not a " \
        "measurement)"


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _outputs(n: int, seed: int = 5) -> tuple[list[dict], list[dict], list[dict]]:
    """A baseline and two candidates whose outputs have varied lengths."""
    rng = random.Random(seed)
    models: tuple[list[dict], list[dict], list[dict]] = ([], [], [])
    for i in range(n):
        reference = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
        for rows in models:
            output = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14)))
            rows.append({"id": f"q{i}", "output": output, "reference": reference})
    return models


def _judgments(base: list[dict], tuned: list[dict], seed: int = 1) -> tuple[bytes, list[str]]:
    """Two judgments per id, in both orders, preferring the longer output most of the time."""
    rng = random.Random(seed)
    lines, winners = ["id,judge,position,winner"], []
    for b, t in zip(base, tuned, strict=True):
        longer = len(t["output"].split()) - len(b["output"].split())
        for shown in ("base", "tuned"):
            p = 1 / (1 + math.exp(-(0.2 + 0.15 * longer)))
            winner = "tie" if rng.random() < 0.15 else "tuned" if rng.random() < p else "base"
            winners.append(winner)
            lines.append(f"{b['id']},judge-1,{shown},{winner}")
    return ("\n".join(lines) + "\n").encode(), winners


@pytest.fixture(scope="module")
def generation():
    base, tuned, _ = _outputs(120)
    data = load_generation([("base.jsonl", _jsonl(base)), ("tuned.jsonl", _jsonl(tuned))])
    return base, tuned, data, compare_generation(data, settings=FAST)


@pytest.fixture(scope="module")
def judged(generation):
    base, tuned, data, report = generation
    content, winners = _judgments(base, tuned)
    return winners, with_preferences(report, data, ("judgments.csv", content))


def test_the_counts_and_the_sign_test_are_those_of_the_rows(judged) -> None:
    winners, report = judged
    result = report.comparisons[0].preferences
    assert result is not None and (result.baseline, result.candidate) == ("base", "tuned")
    wins, losses, ties = winners.count("tuned"), winners.count("base"), winners.count("tie")
    assert (result.wins, result.losses, result.ties) == (wins, losses, ties)
    assert (result.n_judgments, result.n_ids, result.judges) == (240, 120, 1)
    assert result.win_rate.value == pytest.approx((wins + ties / 2) / 240)
    assert result.p_value == binomtest(wins, wins + losses, 0.5).pvalue
    assert result.position_bias is not None and result.position_bias.judgments_with_position == 240
    # the report's own settings drive the bootstrap
    assert (result.resamples, result.seed, result.confidence) == (300, 0, 0.95)


def test_the_length_adjustment_uses_the_outputs_lengths_and_agrees_with_statsmodels(generation, judged) -> None:
    import statsmodels.api as sm

    base, tuned, _, _ = generation
    winners, report = judged
    result = report.comparisons[0].preferences
    difference = np.repeat([len(t["output"].split()) - len(b["output"].split()) for b, t in zip(base, tuned, strict=True)],
                           2).astype(float)
    score = np.array([{"tuned": 1.0, "base": 0.0, "tie": 0.5}[w] for w in winners])
    x = difference / difference.std(ddof=1)
    tie = score == 0.5
    fit = sm.GLM(np.concatenate([np.where(tie, 1.0, score), np.zeros(tie.sum())]),
                 sm.add_constant(np.concatenate([x, x[tie]])), family=sm.families.Binomial(),
                 freq_weights=np.concatenate([np.where(tie, 0.5, 1.0), np.full(tie.sum(), 0.5)])).fit(tol=1e-12)
    assert result.length_adjusted is not None
    assert result.length_adjusted.value == pytest.approx(1 / (1 + math.exp(-fit.params[0])), abs=1e-9)
    assert result.length_slope == pytest.approx(fit.params[1], abs=1e-8)
    assert result.length_sd == pytest.approx(difference.std(ddof=1))
    assert result.length_adjusted.ci_low < result.length_adjusted.value < result.length_adjusted.ci_high


def test_several_samples_of_an_id_count_their_mean_length() -> None:
    def rows(outputs: list[str]) -> bytes:
        return _jsonl([{"id": i // 2, "sample": i % 2, "output": o, "reference": "a b"} for i, o in enumerate(outputs)])

    data = load_generation([("old.jsonl", rows(["a", "a b c", "a b", "a"])),
                            ("new.jsonl", rows(["a b c d", "a b", "a", "a b c d e f"]))])
    ids, lengths = example_lengths(data)
    assert ids.tolist() == ["0", "1"]
    assert lengths["old"].tolist() == [2.0, 1.5] and lengths["new"].tolist() == [3.0, 3.5]


def test_unknown_ids_name_the_file_the_column_and_the_rows(generation) -> None:
    _, _, data, report = generation
    content = b"id,winner\nq1,tuned\nnope,base\nq2,tie\nalso-not,tie\n"
    with pytest.raises(EvaluationError) as info:
        with_preferences(report, data, ("judgments.csv", content))
    assert info.value.message.startswith("judgments.csv: column 'id' has ids that are not examples of the compared "
                                         "generation files in 2 rows (rows 2, 4; row 1 is the first data row) "
                                         "(for example 'nope', 'also-not')")
    assert (info.value.file, info.value.column) == ("judgments.csv", "id")


def test_a_pair_nobody_judged_is_a_warning_and_other_pairs_are_left_out() -> None:
    base, tuned, other = _outputs(40, seed=9)
    data = load_generation([("base.jsonl", _jsonl(base)), ("tuned.jsonl", _jsonl(tuned)), ("other.jsonl", _jsonl(other))])
    report = compare_generation(data, settings=FAST)
    content = (b"id,model_a,model_b,winner\n" + b"".join(f"q{i},tuned,base,{'a' if i % 3 else 'b'}\n".encode()
                                                         for i in range(30))
               + b"q0,tuned,other,tie\nq1,other,tuned,other\n")
    judged = with_preferences(report, data, ("j.csv", content))
    tuned_result, other_result = (c.preferences for c in judged.comparisons)
    assert other_result is None
    assert tuned_result is not None and (tuned_result.wins, tuned_result.losses) == (20, 10)
    assert "j.csv: no judgment compares 'other' with 'base', so that comparison has no preferences" in judged.warnings
    assert any("2 judgments compare pairs that are not a candidate against the baseline ('other vs tuned', "
               "'tuned vs other')" in w for w in judged.warnings)
    assert report.comparisons[0].preferences is None  # the report given is left as it was


def test_several_candidates_without_model_columns_are_refused() -> None:
    base, tuned, other = _outputs(10)
    data = load_generation([("base.jsonl", _jsonl(base)), ("tuned.jsonl", _jsonl(tuned)), ("other.jsonl", _jsonl(other))])
    report = compare_generation(data, settings=FAST)
    with pytest.raises(EvaluationError, match=r"j\.csv: no columns 'model_a' and 'model_b'; with 2 candidates"):
        with_preferences(report, data, ("j.csv", b"id,winner\nq1,tuned\n"))


def test_json_and_markdown_carry_the_preferences(judged) -> None:
    _, report = judged
    result = report.comparisons[0].preferences
    as_json = generation_report_to_dict(report)["comparisons"][0]["preferences"]
    assert as_json == json.loads(json.dumps(result.to_dict()))
    assert as_json["kind"] == "pairwise" and as_json["length_adjusted"]["value"] == result.length_adjusted.value
    text = generation_report_to_markdown(report)
    section = text.split("### Pairwise preferences (judgments\\.csv)", 1)[1].split("## Signatures")[0]
    assert f"| {result.wins:,} | {result.losses:,} | {result.ties:,} | {result.win_rate.value:.3f} |" in section
    assert LABEL[0].upper() + LABEL[1:] + f": {result.length_adjusted.value:.3f}" in section
    words = report.comparisons[0].output_words
    assert f"Output length, candidate minus baseline: {words.difference:+.1f} words" in section
    assert "Position bias: " in section


def test_without_preferences_the_faces_are_unchanged(generation) -> None:
    _, _, _, report = generation
    assert generation_report_to_dict(report)["comparisons"][0]["preferences"] is None
    assert "Pairwise preferences" not in generation_report_to_markdown(report)
