"""Pairwise preference judgments: sign test, win rate, position bias, Bradley-Terry ratings, the command.

Reference values come from SciPy (``binomtest``), statsmodels (a binomial GLM on the +1/-1 design, and the
length-adjusted win rate's GLM and Logit on the standardised length difference) and scikit-learn (Chatbot
Arena's unpenalised logistic regression), or are worked out by hand.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from evaluation._cli import EXIT_BAD_INPUT, EXIT_OK, main
from evaluation._errors import EvaluationError
from evaluation._preferences import (
    ANCHOR_RATING,
    SCALE,
    bradley_terry,
    compare_preferences,
    pair_judgments,
    position_bias,
    rate_models,
    read_judgments,
    read_judgments_against,
)

ROOT = Path(__file__).resolve().parents[2]
STRENGTHS = {"alpha": 0.0, "bravo": 0.35, "charlie": -0.6, "delta": 1.1, "echo": 0.7}  # natural log-odds


def two_model_file(wins: int, losses: int, ties: int) -> bytes:
    winners = ["new"] * wins + ["old"] * losses + ["tie"] * ties
    return ("id,winner\n" + "".join(f"{i},{w}\n" for i, w in enumerate(winners))).encode()


def tournament(n: int, *, seed: int = 1, tie_rate: float = 0.1) -> bytes:
    """Judgments drawn from known Bradley-Terry strengths, with ties."""
    rng = np.random.default_rng(seed)
    names = list(STRENGTHS)
    lines = ["id,model_a,model_b,winner"]
    for i in range(n):
        a, b = rng.choice(len(names), size=2, replace=False)
        p = 1 / (1 + math.exp(STRENGTHS[names[b]] - STRENGTHS[names[a]]))
        winner = "tie" if rng.random() < tie_rate else names[a] if rng.random() < p else names[b]
        lines.append(f"{i},{names[a]},{names[b]},{winner}")
    return ("\n".join(lines) + "\n").encode()


def log_odds(rating: float) -> float:
    return (rating - ANCHOR_RATING) * math.log(10) / SCALE


# ---------------------------------------------------------------------------------------------------- two models


@pytest.mark.parametrize("wins, losses, ties", [(7, 3, 2), (0, 5, 1), (12, 12, 0), (40, 25, 9), (1, 0, 0)])
def test_sign_test_equals_scipy_binomtest(wins, losses, ties) -> None:
    data = read_judgments(("j.csv", two_model_file(wins, losses, ties)), baseline="old", candidate="new")
    result = compare_preferences(data, resamples=50)
    assert (result.wins, result.losses, result.ties) == (wins, losses, ties)
    assert result.p_value == binomtest(wins, wins + losses, 0.5).pvalue


def test_win_rate_counts_a_tie_as_half() -> None:
    # 3 wins, 1 loss, 2 ties: (3 + 2 / 2) / 6 = 2/3; decisive: 3 / 4
    data = read_judgments(("j.csv", two_model_file(3, 1, 2)), baseline="old", candidate="new")
    result = compare_preferences(data, resamples=200)
    assert result.win_rate.value == pytest.approx(2 / 3)
    assert result.decisive_win_rate == pytest.approx(3 / 4)


def test_all_ties_leave_the_sign_test_undefined() -> None:
    result = compare_preferences(read_judgments(("j.csv", two_model_file(0, 0, 4)), baseline="old", candidate="new"),
                                 resamples=50)
    assert math.isnan(result.p_value) and result.win_rate.value == 0.5 and result.notes


def test_winner_words_and_model_columns_mean_the_same_judgments() -> None:
    words = b"id,winner\n1,candidate\n2,baseline\n3,TIE\n4,new\n"
    columns = b"id,model_a,model_b,winner\n1,new,old,model_a\n2,old,new,old\n3,new,old,tie\n4,old,new,b\n"
    by_words = read_judgments(("w.csv", words), baseline="old", candidate="new")
    by_columns = read_judgments(("c.csv", columns), baseline="old", candidate="new")
    assert by_words.left_score.tolist() == by_columns.left_score.tolist() == [0.0, 1.0, 0.5, 0.0]


@pytest.mark.parametrize("seed", [0, 7])
def test_bootstrap_interval_contains_the_estimate_and_repeats_with_its_seed(seed) -> None:
    data = read_judgments(("j.csv", two_model_file(30, 18, 7)), baseline="old", candidate="new")
    first, again = (compare_preferences(data, resamples=500, seed=seed) for _ in range(2))
    assert first.win_rate.ci_low <= first.win_rate.value <= first.win_rate.ci_high
    assert first.win_rate.ci_low < first.win_rate.ci_high
    assert first == again


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["new", "old", "tie"]), min_size=1, max_size=40), st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_counts_or_the_test(winners, random) -> None:
    shuffled = list(winners)
    random.shuffle(shuffled)
    results = []
    for order in (winners, shuffled):
        rows = ("id,winner\n" + "".join(f"{i},{w}\n" for i, w in enumerate(order))).encode()
        results.append(compare_preferences(read_judgments(("j.csv", rows), baseline="old", candidate="new"), resamples=20))
    first, second = ((r.wins, r.losses, r.ties, r.win_rate.value) for r in results)
    assert first == second
    assert results[0].p_value == results[1].p_value or math.isnan(results[0].p_value)


# ---------------------------------------------------------------------------------------------------- position bias


def test_position_bias_on_a_hand_made_file() -> None:
    rows = (b"id,winner,position,judge\n"
            b"1,new,new,j1\n1,old,old,j1\n"      # flips: the model shown first won both times
            b"2,new,new,j1\n2,new,old,j1\n"      # consistent
            b"3,old,new,j1\n3,new,old,j1\n"      # flips: the model shown second won both times
            b"4,tie,new,j1\n4,new,old,j1\n"      # flips: a tie one way, a win the other
            b"5,new,new,j1\n5,old,old,j2\n"      # different judges: not a pair
            b"6,new,,j1\n")                      # position unknown
    bias = position_bias(read_judgments(("j.csv", rows), baseline="old", candidate="new"))
    assert bias is not None
    assert (bias.pairs, bias.flips, bias.favours_first, bias.favours_second) == (4, 3, 1, 1)
    assert bias.flip_rate == 0.75
    assert bias.judgments_with_position == 10
    # the first-shown model's score over the 10: wins 1,1,1,0,0,0,0.5,0,1,1
    assert bias.first_shown_score == pytest.approx(5.5 / 10)
    assert "inflating ties" in bias.note


def test_position_is_optional() -> None:
    assert position_bias(read_judgments(("j.csv", two_model_file(2, 1, 0)), baseline="old", candidate="new")) is None


def test_position_bias_in_a_tournament_pairs_the_same_two_models() -> None:
    rows = (b"id,model_a,model_b,winner,position\n"
            b"1,x,y,x,a\n1,y,x,y,a\n"     # x then y: x won; y then x: y won -> flip
            b"1,x,z,x,a\n1,z,x,x,a\n")    # x then z, z then x: x won both: consistent
    bias = position_bias(read_judgments(("j.csv", rows)))
    assert bias is not None and (bias.pairs, bias.flips) == (2, 1)


# ---------------------------------------------------------------------------------------------------- Bradley-Terry


@pytest.fixture(scope="module")
def synthetic():
    data = read_judgments(("t.csv", tournament(4000)))
    return data, rate_models(data, resamples=200, seed=3)


def test_bradley_terry_recovers_the_ordering_of_known_strengths(synthetic) -> None:
    _, result = synthetic
    assert [r.model for r in result.ratings] == sorted(STRENGTHS, key=STRENGTHS.get, reverse=True)
    assert result.anchor == "alpha" and next(r for r in result.ratings if r.model == "alpha").rating == ANCHOR_RATING


def test_bradley_terry_agrees_with_statsmodels_glm(synthetic) -> None:
    import statsmodels.api as sm

    data, result = synthetic
    k = len(data.models)
    rows = np.arange(data.left.size)
    design = np.zeros((data.left.size, k))
    design[rows, data.left] = 1.0
    design[rows, data.right] = -1.0
    # a tie is half a win for each side: two rows of weight 1/2
    tie = data.left_score == 0.5
    x = np.vstack([design, design[tie]])[:, 1:]  # the anchor, the first model, is fixed at 0
    y = np.concatenate([np.where(tie, 1.0, data.left_score), np.zeros(tie.sum())])
    weights = np.concatenate([np.where(tie, 0.5, 1.0), np.full(tie.sum(), 0.5)])
    fit = sm.GLM(y, x, family=sm.families.Binomial(), var_weights=weights).fit(tol=1e-12, maxiter=100)
    expected = dict(zip(data.models, [0.0, *fit.params], strict=True))
    for rating in result.ratings:
        assert log_odds(rating.rating) == pytest.approx(expected[rating.model], abs=1e-4)


def test_bradley_terry_agrees_with_chatbot_arenas_logistic_regression(synthetic) -> None:
    from sklearn.linear_model import LogisticRegression

    data, result = synthetic
    k = len(data.models)
    rows = np.arange(data.left.size)
    design = np.zeros((data.left.size, k))
    design[rows, data.left] = math.log(10)
    design[rows, data.right] = -math.log(10)
    # compute_mle_elo: every judgment twice, a tie once as a win for each side
    x = np.vstack([design, design])
    y = np.concatenate([data.left_score > 0, data.left_score == 1])
    # unpenalised: C=inf (scikit-learn 1.8 deprecates penalty=None for it)
    model = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-10, max_iter=1000).fit(x, y)
    arena = SCALE * model.coef_[0]
    arena = arena - arena[0] + ANCHOR_RATING  # the same anchor
    ours = {r.model: r.rating for r in result.ratings}
    assert [ours[m] for m in data.models] == pytest.approx(arena.tolist(), abs=0.01)


def test_bradley_terry_on_counts_matches_a_hand_worked_two_model_case() -> None:
    # 7 of 10 to the first model (a tie counting half): strength of the second = -log(7 / 3)
    theta = bradley_terry(np.array([10.0]), np.array([7.0]), k=2)
    assert theta is not None and theta[1] == pytest.approx(-math.log(7 / 3), abs=1e-10)


def test_rating_intervals_contain_the_estimates_and_repeat_with_the_seed(synthetic) -> None:
    data, result = synthetic
    for rating in result.ratings:
        assert rating.ci_low <= rating.rating <= rating.ci_high
    assert rate_models(data, resamples=200, seed=3).to_dict() == result.to_dict()  # NaN (never met) is None here


def test_win_rate_matrix_counts_ties_as_half() -> None:
    rows = b"id,model_a,model_b,winner\n1,x,y,x\n2,y,x,tie\n3,x,y,y\n4,x,y,x\n5,y,z,y\n6,z,y,z\n7,x,z,z\n8,x,z,x\n"
    result = rate_models(read_judgments(("j.csv", rows)), resamples=50)
    at = {m: i for i, m in enumerate(result.models)}
    assert result.battles[at["x"]][at["y"]] == 4
    assert result.win_rates[at["x"]][at["y"]] == pytest.approx(2.5 / 4)
    assert result.win_rates[at["y"]][at["x"]] == pytest.approx(1.5 / 4)
    assert math.isnan(result.win_rates[at["x"]][at["x"]])


def test_baseline_anchors_a_tournament(synthetic) -> None:
    data = read_judgments(("t.csv", tournament(4000)), baseline="delta")
    result = rate_models(data, resamples=20)
    by_model = {r.model: r for r in result.ratings}
    assert result.anchor == "delta" and by_model["delta"].rating == ANCHOR_RATING
    _, anchored_on_alpha = synthetic
    shift = by_model["alpha"].rating - ANCHOR_RATING
    for rating in anchored_on_alpha.ratings:  # the same differences, another origin
        assert by_model[rating.model].rating == pytest.approx(rating.rating + shift, abs=1e-6)


def test_a_model_that_never_lost_is_refused() -> None:
    rows = b"id,model_a,model_b,winner\n1,x,y,x\n2,y,x,x\n3,y,z,y\n4,z,y,y\n5,y,z,z\n"
    with pytest.raises(EvaluationError, match="x never lost"):
        rate_models(read_judgments(("j.csv", rows)), resamples=10)


# ---------------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("rows, baseline, candidate, message", [
    (b"id,winner\n1,new\n2,gpt5\n3,tie\n4,gpt5\n", "old", "new",
     "j.csv: column 'winner', rows 2, 4: 'gpt5', 'gpt5' is not one of the row's models"),
    (b"id,model_a,model_b,winner\n1,x,y,x\n2,x,y,z\n", None, None,
     "j.csv: column 'winner', row 2: 'z' is not one of the row's models"),
    (b"id,model_a,winner\n1,x,x\n", None, None, "j.csv: no column 'model_b'"),
    (b"id,judgement\n1,x\n", "old", "new", "j.csv: no column 'winner'"),
    (b"id,winner\n1,new\n,old\n", "old", "new", "j.csv: column 'id' is empty in row 2"),
    (b"id,model_a,model_b,winner\n1,x,x,x\n", None, None, "j.csv: columns 'model_a' and 'model_b', row 1: a model"),
    (b"id,model_a,model_b,winner\n1,x,y,x\n2,x,z,x\n", "x", "y", "j.csv: columns 'model_a' and 'model_b', row 2"),
    (b"id,winner,position\n1,new,c\n", "old", "new", "j.csv: column 'position', row 1: 'c'"),
    (b"id,winner\n1,new\n", None, "new", "j.csv: --candidate needs --baseline"),
])
def test_bad_input_names_the_file_column_and_rows(rows, baseline, candidate, message) -> None:
    with pytest.raises(EvaluationError) as info:
        read_judgments(("j.csv", rows), baseline=baseline, candidate=candidate)
    assert info.value.message.startswith(message)
    assert "\n" not in info.value.message


@pytest.mark.parametrize("content, options, message", [
    (b"id,winner\n1,new\n2,gpt5\n", ["--baseline", "old", "--candidate", "new"],
     "error: judgments.csv: column 'winner', row 2: 'gpt5' is not one of the row's models"),
    (b"id,winner\n1,new\n", [], "error: judgments.csv: no column 'model_a', 'model_b'"),
    (b"id,winner\n1,new\n", ["--baseline", "old", "--candidate", "new", "--confidence", "95"],
     "error: confidence must be between 0 and 1"),
    (b"id,winner\n1,new\n", ["--baseline", "old", "--candidate", "new", "--formt", "json"],
     "error: unknown option '--formt' (did you mean --format?); python -m evaluation preferences --help"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, content, options, message) -> None:
    path = tmp_path / "judgments.csv"
    path.write_bytes(content)
    assert main(["preferences", str(path), *options]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.err.startswith(message) and captured.err.count("\n") == 1
    assert captured.out == ""


def test_a_missing_file_and_a_missing_argument_exit_2(tmp_path, capsys) -> None:
    assert main(["preferences", str(tmp_path / "nowhere.csv")]) == EXIT_BAD_INPUT
    assert main(["preferences"]) == EXIT_BAD_INPUT
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].endswith("nowhere.csv: no such file")
    assert lines[1].startswith("error: no judgments file: write python -m evaluation preferences JUDGMENTS")


# ---------------------------------------------------------------------------------------------------- command line


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evaluation", *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_the_command_compares_two_models_end_to_end(tmp_path) -> None:
    path = tmp_path / "judgments.jsonl"
    path.write_text("".join(json.dumps({"id": i, "winner": w}) + "\n"
                            for i, w in enumerate(["new"] * 9 + ["old"] * 4 + ["tie"] * 3)))
    result = run("preferences", str(path), "--baseline", "old", "--candidate", "new", "--resamples", "300")
    assert result.returncode == EXIT_OK, result.stderr
    report = json.loads(result.stdout)
    assert report["kind"] == "pairwise" and (report["wins"], report["losses"], report["ties"]) == (9, 4, 3)
    assert report["p_value"] == pytest.approx(binomtest(9, 13).pvalue)
    assert report["position_bias"] is None


def test_the_command_rates_a_tournament_end_to_end(tmp_path) -> None:
    path = tmp_path / "arena.csv"
    path.write_bytes(tournament(600, seed=5))
    out = tmp_path / "ratings.md"
    result = run("preferences", str(path), "--format", "markdown", "--out", str(out), "--resamples", "100", "--seed", "4")
    assert result.returncode == EXIT_OK, result.stderr
    text = out.read_text()
    assert text.startswith("# Pairwise preferences: Bradley-Terry ratings")
    assert "anchored at **alpha** = 1000" in text and "## Pairwise win rates" in text
    as_json = run("preferences", str(path), "--resamples", "100", "--seed", "4")
    assert json.loads(as_json.stdout)["kind"] == "bradley_terry"


def test_the_command_refuses_bad_input_without_a_traceback(tmp_path) -> None:
    path = tmp_path / "arena.csv"
    path.write_bytes(b"id,model_a,model_b,winner\n1,x,y,x\n2,x,y,claude\n")
    result = run("preferences", str(path))
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr == ("error: arena.csv: column 'winner', row 2: 'claude' is not one of the row's models; "
                             "expected the row's model_a or model_b name, model_a, model_b, a, b or tie\n")


# ---------------------------------------------------------------------------------------------------- length adjustment


def length_file(n: int, *, seed: int = 2, intercept: float = 0.4, slope: float = 0.9, tie_rate: float = 0.15,
                layout: str = "named") -> tuple[bytes, np.ndarray, np.ndarray]:
    """Judgments whose log-odds of a candidate win rise with the length difference; and the lengths (baseline, candidate)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(3, 40, size=n).astype(float)
    cand = np.maximum(0, base + rng.normal(4, 9, size=n).round())
    difference = cand - base
    p = 1 / (1 + np.exp(-(intercept + slope * difference / difference.std(ddof=1))))
    outcome = np.where(rng.random(n) < tie_rate, "tie", np.where(rng.random(n) < p, "new", "old"))
    if layout == "named":
        lines = ["id,winner,baseline_length,candidate_length"]
        lines += [f"{i},{w},{b:g},{c:g}" for i, (w, b, c) in enumerate(zip(outcome, base, cand, strict=True))]
    else:  # model_a / model_b in alternating order, lengths following the columns
        lines = ["id,model_a,model_b,winner,length_a,length_b"]
        for i, (w, b, c) in enumerate(zip(outcome, base, cand, strict=True)):
            lines.append(f"{i},old,new,{w},{b:g},{c:g}" if i % 2 else f"{i},new,old,{w},{c:g},{b:g}")
    return ("\n".join(lines) + "\n").encode(), base, cand


def statsmodels_length_fit(score: np.ndarray, difference: np.ndarray) -> np.ndarray:
    """Intercept and slope of statsmodels' binomial GLM of the candidate's score on the standardised difference,
    a tie as one win and one loss of frequency weight 1/2."""
    import statsmodels.api as sm

    x = difference / difference.std(ddof=1)
    tie = score == 0.5
    design = sm.add_constant(np.concatenate([x, x[tie]]))
    y = np.concatenate([np.where(tie, 1.0, score), np.zeros(tie.sum())])
    weights = np.concatenate([np.where(tie, 0.5, 1.0), np.full(tie.sum(), 0.5)])
    return sm.GLM(y, design, family=sm.families.Binomial(), freq_weights=weights).fit(tol=1e-12, maxiter=100).params


@pytest.mark.parametrize("layout", ["named", "models"])
def test_length_adjusted_win_rate_agrees_with_statsmodels(layout) -> None:
    content, base, cand = length_file(500, layout=layout)
    data = read_judgments(("j.csv", content), baseline="old", candidate="new")
    result = compare_preferences(data, resamples=300, seed=4)
    score = 1.0 - data.left_score
    intercept, slope = statsmodels_length_fit(score, cand - base)
    assert result.length_adjusted is not None
    assert result.length_adjusted.value == pytest.approx(1 / (1 + math.exp(-intercept)), abs=1e-9)
    assert result.length_slope == pytest.approx(slope, abs=1e-8)
    assert result.length_sd == pytest.approx(np.std(cand - base, ddof=1))
    assert result.length_adjusted.ci_low < result.length_adjusted.value < result.length_adjusted.ci_high
    assert "an adjustment, not a measurement" in result.length_adjusted.method
    # longer candidates win more here, and they are longer on average: the adjustment lowers the win rate
    assert result.length_slope > 0 and result.length_adjusted.value < result.win_rate.value


def test_length_adjusted_fit_agrees_with_statsmodels_logit_without_ties() -> None:
    import statsmodels.api as sm

    content, base, cand = length_file(300, seed=8, tie_rate=0.0)
    result = compare_preferences(read_judgments(("j.csv", content), baseline="old", candidate="new"), resamples=100)
    difference = cand - base
    won = np.array([line.split(",")[1] == "new" for line in content.decode().splitlines()[1:]], dtype=float)
    fit = sm.Logit(won, sm.add_constant(difference / difference.std(ddof=1))).fit(disp=0, tol=1e-12)
    assert result.length_adjusted is not None
    assert result.length_adjusted.value == pytest.approx(1 / (1 + math.exp(-fit.params[0])), abs=1e-9)
    assert result.length_slope == pytest.approx(fit.params[1], abs=1e-8)


def test_the_two_length_layouts_give_the_same_adjustment_and_the_seed_repeats_it() -> None:
    named = compare_preferences(read_judgments(("j.csv", length_file(200)[0]), baseline="old", candidate="new"),
                                resamples=200, seed=1)
    models = compare_preferences(read_judgments(("j.csv", length_file(200, layout="models")[0]), baseline="old",
                                                candidate="new"), resamples=200, seed=1)
    assert named.length_adjusted == models.length_adjusted and named.length_slope == models.length_slope
    again = compare_preferences(read_judgments(("j.csv", length_file(200)[0]), baseline="old", candidate="new"),
                                resamples=200, seed=1)
    assert again == named


@pytest.mark.parametrize("rows, reason", [
    (b"id,winner\n1,new\n2,old\n3,tie\n", "no output lengths"),
    (b"id,winner,baseline_length,candidate_length\n1,new,3,5\n2,old,4,6\n3,tie,1,3\n", "does not vary"),
    # every longer candidate won, every shorter one lost: the log-odds run off to infinity
    (b"id,winner,baseline_length,candidate_length\n1,new,3,9\n2,old,6,4\n3,new,5,8\n4,old,7,2\n", "no finite maximum"),
])
def test_no_length_adjustment_says_why(rows, reason) -> None:
    result = compare_preferences(read_judgments(("j.csv", rows), baseline="old", candidate="new"), resamples=50)
    assert result.length_adjusted is None and math.isnan(result.length_slope)
    assert reason in result.length_note
    text = result.to_markdown()
    assert "Length-adjusted win rate (logistic regression on the standardised length difference; an adjustment, not a " \
           "measurement): none" in text and reason in text
    assert result.to_dict()["length_adjusted"] is None


def test_the_length_adjustment_reaches_json_and_markdown() -> None:
    result = compare_preferences(read_judgments(("j.csv", length_file(120)[0]), baseline="old", candidate="new"),
                                 resamples=100)
    as_dict = result.to_dict()
    assert as_dict["length_adjusted"]["value"] == result.length_adjusted.value
    assert as_dict["length_slope"] == result.length_slope and as_dict["length_sd"] == result.length_sd
    text = result.to_markdown()
    assert "an adjustment, not a measurement): " + format(result.length_adjusted.value, ".3f") in text
    assert "log-odds per standard deviation of the length difference" in text


@pytest.mark.parametrize("rows, baseline, candidate, message", [
    (b"id,winner,baseline_length,candidate_length\n1,new,3,5\n2,old,-1,6\n3,new,,2\n", "old", "new",
     "j.csv: column 'baseline_length' is empty, negative or not finite in rows 2, 3"),
    (b"id,winner,baseline_length,candidate_length\n1,new,3,five\n", "old", "new",
     "j.csv: column 'candidate_length' holds string; expected a number of words"),
    (b"id,winner,baseline_length\n1,new,3\n", "old", "new", "j.csv: column 'baseline_length' needs column 'candidate_length'"),
    (b"id,winner,length_a,length_b\n1,new,3,4\n", "old", "new", "j.csv: columns 'length_a' and 'length_b' give the lengths"),
    (b"id,model_a,model_b,winner,baseline_length,candidate_length\n1,x,y,x,3,4\n", None, None,
     "j.csv: columns 'baseline_length' and 'candidate_length' need the two models named"),
])
def test_bad_lengths_name_the_file_column_and_rows(rows, baseline, candidate, message) -> None:
    with pytest.raises(EvaluationError) as info:
        read_judgments(("j.csv", rows), baseline=baseline, candidate=candidate)
    assert info.value.message.startswith(message)


def test_the_command_reports_the_length_adjusted_win_rate(tmp_path) -> None:
    path = tmp_path / "judgments.csv"
    content, base, cand = length_file(150, seed=6)
    path.write_bytes(content)
    result = run("preferences", str(path), "--baseline", "old", "--candidate", "new", "--resamples", "200")
    assert result.returncode == EXIT_OK, result.stderr
    report = json.loads(result.stdout)
    data = read_judgments(("j.csv", content), baseline="old", candidate="new")
    intercept, slope = statsmodels_length_fit(1.0 - data.left_score, cand - base)
    assert report["length_adjusted"]["value"] == pytest.approx(1 / (1 + math.exp(-intercept)), abs=1e-9)
    assert report["length_slope"] == pytest.approx(slope, abs=1e-8)


# ---------------------------------------------------------------------------------------------------- pairs of a file


def test_judgments_against_a_baseline_read_the_words_relative_to_it() -> None:
    rows = (b"id,model_a,model_b,winner,position\n"
            b"1,base,x,candidate,a\n2,x,base,baseline,a\n3,y,base,candidate,base\n4,x,y,x,b\n")
    data = read_judgments_against(("j.csv", rows), baseline="base", candidates=["x", "y"])
    x, y = pair_judgments(data, "base", "x"), pair_judgments(data, "base", "y")
    assert x is not None and y is not None
    assert x.left_score.tolist() == [0.0, 1.0] and x.ids.tolist() == ["1", "2"]
    assert x.first_shown.tolist() == [1, 0]  # base shown first in row 1, x in row 2
    assert y.left_score.tolist() == [0.0] and y.first_shown.tolist() == [1]
    assert pair_judgments(data, "base", "z") is None


def test_judgments_against_a_baseline_refuse_a_word_in_a_row_without_it() -> None:
    rows = b"id,model_a,model_b,winner\n1,base,x,x\n2,x,y,candidate\n"
    with pytest.raises(EvaluationError, match=r"j.csv: column 'winner', row 2: 'candidate' is not one of the row's"):
        read_judgments_against(("j.csv", rows), baseline="base", candidates=["x", "y"])


def test_several_candidates_need_model_columns() -> None:
    with pytest.raises(EvaluationError, match=r"j\.csv: no columns 'model_a' and 'model_b'; with 2 candidates"):
        read_judgments_against(("j.csv", b"id,winner\n1,x\n"), baseline="base", candidates=["x", "y"])
