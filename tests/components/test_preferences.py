"""Judgments beside a generation comparison: each candidate's pair read out of a tournament file gives what the
engine gives on a file of that pair alone; two models need no model columns; three or more are rated; bad files
raise the engine's error."""

from __future__ import annotations

import json
from functools import cache

import pytest

from components import preferences
from evaluation import EvaluationError, GenerationData, GenerationReport, Settings, compare_generation, load_generation
from evaluation._preferences import compare_preferences, rate_models, read_judgments

SETTINGS = Settings(resamples=300, seed=5, confidence=0.9)
IDS = [str(i) for i in range(1, 12)]


@cache
def compared(*models: str) -> tuple[GenerationReport, GenerationData]:
    """Generation files of these models for ids 1 to 11 (the first is the baseline), loaded and compared."""
    files = [(f"{name}.jsonl", "".join(json.dumps({"id": i, "reference": "the cat sat on the mat",
                                                   "output": " ".join(["the cat sat"] + ["on"] * ((k + 1) * int(i) % 5))})
                                       + "\n" for i in IDS).encode()) for k, name in enumerate(models)]
    data = load_generation(files, names=list(models))
    return compare_generation(data, settings=SETTINGS), data


def judge(models: tuple[str, ...], source: tuple[str, bytes]) -> preferences.Preferences:
    return preferences.judge(*compared(*models), source)


# A tournament of three models; ids 1 and 2 are judged in both orders (positions), one judge flips once.
TOURNAMENT = [
    ("1", "base", "tuned", "tuned", "base", "ann"), ("1", "tuned", "base", "tuned", "tuned", "ann"),
    ("2", "base", "tuned", "base", "base", "ann"), ("2", "tuned", "base", "tuned", "tuned", "ann"),
    ("3", "tuned", "base", "tie", "tuned", "bob"), ("4", "base", "tuned", "tuned", "base", "bob"),
    ("5", "base", "other", "other", "base", "ann"), ("6", "other", "base", "base", "other", "bob"),
    ("7", "other", "tuned", "tuned", "other", "ann"), ("8", "tuned", "other", "other", "tuned", "bob"),
    ("9", "other", "base", "tie", "other", "ann"), ("10", "base", "other", "base", "base", "bob"),
    ("11", "tuned", "other", "tuned", "tuned", "ann"),
]
HEADER = "id,model_a,model_b,winner,position,judge\n"


def csv(rows: list[tuple[str, ...]], header: str = HEADER) -> bytes:
    return (header + "".join(",".join(row) + "\n" for row in rows)).encode()


def pair_only(candidate: str) -> list[tuple[str, ...]]:
    return [row for row in TOURNAMENT if {row[1], row[2]} == {"base", candidate}]


@pytest.mark.parametrize("candidate", ["tuned", "other"])
def test_each_pair_of_a_tournament_is_what_the_engine_says_of_that_pair_alone(candidate: str) -> None:
    judged = judge(("base", "tuned", "other"), ("t.csv", csv(TOURNAMENT)))
    alone = compare_preferences(read_judgments(("t.csv", csv(pair_only(candidate))), baseline="base",
                                               candidate=candidate), confidence=0.9, resamples=300, seed=5)
    result = judged.comparisons[candidate]
    assert result is not None
    for field in ("wins", "losses", "ties", "n_judgments", "n_ids", "win_rate", "p_value", "judges", "position_bias"):
        assert getattr(result, field) == getattr(alone, field), field
    assert result.length_adjusted is not None  # the engine measured the two models' outputs
    assert judged.source == "t.csv"


def test_the_pair_keeps_positions_and_counts_by_hand() -> None:
    judged = judge(("base", "tuned", "other"), ("t.csv", csv(TOURNAMENT))).comparisons["tuned"]
    assert judged is not None
    # tuned vs base: ids 1 (tuned twice), 2 (base, then tuned: a flip to the first shown), 3 (tie), 4 (tuned).
    assert (judged.wins, judged.losses, judged.ties, judged.n_judgments, judged.n_ids) == (4, 1, 1, 6, 4)
    assert judged.win_rate.value == pytest.approx(4.5 / 6)
    assert judged.judges == 2
    bias = judged.position_bias
    assert bias is not None and (bias.pairs, bias.flips, bias.favours_first) == (2, 1, 1)


def test_three_models_are_rated_as_the_engine_rates_the_file() -> None:
    judged = judge(("base", "tuned", "other"), ("t.csv", csv(TOURNAMENT)))
    assert judged.ratings is not None
    alone = rate_models(read_judgments(("t.csv", csv(TOURNAMENT)), baseline="base"), confidence=0.9, resamples=300,
                        seed=5)
    assert judged.ratings.to_dict() == alone.to_dict()  # NaN on the diagonals: compared as JSON's null
    assert judged.ratings.ratings[0].model == "tuned" and judged.ratings.anchor == "base"
    assert judged.ratings_problem is None


def test_two_models_need_no_model_columns_and_get_no_ratings() -> None:
    rows = [("1", "tuned"), ("2", "tie"), ("3", "base"), ("4", "candidate")]
    judged = judge(("base", "tuned"), ("j.csv", csv(rows, "id,winner\n")))
    result = judged.comparisons["tuned"]
    assert result is not None and (result.wins, result.ties, result.losses) == (2, 1, 1)
    assert judged.ratings is None and judged.ratings_problem is None


def test_a_candidate_never_judged_has_no_comparison() -> None:
    judged = judge(("base", "tuned", "other", "new"), ("t.csv", csv(TOURNAMENT)))
    assert judged.comparisons["new"] is None and judged.comparisons["tuned"] is not None


def test_three_models_without_model_columns_is_the_engines_error() -> None:
    with pytest.raises(EvaluationError, match="no columns 'model_a' and 'model_b'; with 2 candidates") as raised:
        judge(("base", "tuned", "other"), ("j.csv", csv([("1", "tuned")], "id,winner\n")))
    assert raised.value.file == "j.csv"


def test_a_winner_that_is_not_a_model_names_the_file_column_and_row() -> None:
    rows = [("1", "tuned"), ("2", "claude")]
    with pytest.raises(EvaluationError, match=r"j\.csv: column 'winner', row 2: 'claude'"):
        judge(("base", "tuned"), ("j.csv", csv(rows, "id,winner\n")))


def test_the_upload_check_says_what_the_file_holds() -> None:
    content = csv(TOURNAMENT)
    said = preferences.check_judgments("t.csv", "digest-1", content, ("base", "tuned", "other"), "base")
    # By hand: ids 1, 1, 2, 2, 3 and 4 compare tuned with base; 5, 6, 9 and 10 other with base.
    assert said == "6 judgments of tuned vs base, 4 judgments of other vs base · a judge column and positions"
    with pytest.raises(EvaluationError, match="no judgment compares a candidate"):
        preferences.check_judgments("t.csv", "digest-1", content, ("base", "unknown"), "base")


def test_the_sentences() -> None:
    judged = judge(("base", "tuned", "other"), ("t.csv", csv(TOURNAMENT))).comparisons["tuned"]
    assert judged is not None
    assert preferences.preference_sentence(judged) == ("Of 6 judgments, the judges preferred **tuned** in 67%, "
                                                       "**base** in 17%, and called 17% a tie.")
