"""The preference figures: the bars' widths are the shares of the judgments, counted by hand; the ratings are the
Bradley-Terry ratings worked out by hand on a small tournament."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from components import charts_preferences as charts
from components.palette import NEUTRAL_COLOR, VERDICT_COLORS
from evaluation import format_p_value
from evaluation._preferences import compare_preferences, rate_models, read_judgments
from tests.components.checks import assert_message, assert_well_formed

HOSTILE = '<a href="http://x.example">new</a>'


def judgments_csv(rows: list[tuple[str, str]]) -> bytes:
    return ("id,winner\n" + "".join(f"{id_},{winner}\n" for id_, winner in rows)).encode()


# 10 judgments: the candidate wins 5, ties 2, loses 3.
TEN = [("1", "new"), ("2", "new"), ("3", "tie"), ("4", "old"), ("5", "new"), ("6", "new"), ("7", "old"),
       ("8", "tie"), ("9", "new"), ("10", "old")]


@pytest.fixture(scope="module")
def ten():
    return compare_preferences(read_judgments(("j.csv", judgments_csv(TEN)), baseline="old", candidate="new"),
                               resamples=200)


@pytest.fixture(scope="module")
def four():
    """4 judgments of another candidate: 1 win, 1 tie, 2 losses."""
    rows = [("1", "other"), ("2", "tie"), ("3", "old"), ("4", "old")]
    return compare_preferences(read_judgments(("k.csv", judgments_csv(rows)), baseline="old", candidate="other"),
                               resamples=200)


def test_the_bar_widths_are_the_shares_of_wins_ties_and_losses(ten) -> None:
    fig = charts.preference_bar_figure([ten])
    assert_well_formed(fig)
    bars = [trace for trace in fig.data if trace.type == "bar"]
    assert [trace.name for trace in bars] == ["new wins", "tie", "old wins"]
    assert [list(trace.x) for trace in bars] == [[0.5], [0.2], [0.3]]  # 5, 2 and 3 of 10, by hand
    assert [list(trace.text) for trace in bars] == [["50%"], ["20%"], ["30%"]]
    assert [trace.marker.color for trace in bars] == [VERDICT_COLORS["better"], NEUTRAL_COLOR, VERDICT_COLORS["worse"]]
    assert fig.layout.barmode == "stack"
    assert list(fig.layout.xaxis.range) == [0, 1]
    assert "5 of 10 judgments" in bars[0].hovertext[0] and "3 of 10 judgments" in bars[2].hovertext[0]


def test_the_win_rate_and_its_interval_sit_on_the_bar_with_the_sign_test_in_the_hover(ten) -> None:
    fig = charts.preference_bar_figure([ten])
    marker = next(trace for trace in fig.data if trace.type == "scatter")
    assert list(marker.x) == [pytest.approx(0.6)]  # (5 + 2 / 2) / 10
    assert marker.error_x.array[0] == pytest.approx(ten.win_rate.ci_high - 0.6)
    assert marker.error_x.arrayminus[0] == pytest.approx(0.6 - ten.win_rate.ci_low)
    assert marker.name == "win rate (ties half), 95% CI"
    # Exact two-sided sign test of 5 wins in 8 decisive judgments: 1 - C(8, 4) / 2^8.
    assert f"sign test p: {format_p_value(1 - math.comb(8, 4) / 2**8)}" in marker.hovertext[0]
    assert format_p_value(1 - math.comb(8, 4) / 2**8) == "0.727"
    line = fig.layout.shapes[0]
    assert (line.x0, line.x1, line.line.dash) == (0.5, 0.5, "dash")  # no preference


def test_one_bar_per_candidate_in_the_order_given(ten, four) -> None:
    fig = charts.preference_bar_figure([ten, four])
    bars = [trace for trace in fig.data if trace.type == "bar"]
    assert list(bars[0].y) == [0, 1] and list(fig.layout.yaxis.ticktext) == ["new vs old", "other vs old"]
    assert [trace.name for trace in bars] == ["candidate wins", "tie", "old wins"]
    assert [list(trace.x) for trace in bars] == [[0.5, 0.25], [0.2, 0.25], [0.3, 0.5]]
    assert charts.preference_shares(four) == (0.25, 0.25, 0.5)


def test_names_reach_the_figure_as_plain_text() -> None:
    quoted = HOSTILE.replace('"', '""')
    content = f'id,winner\n1,"{quoted}"\n2,old\n'.encode()
    result = compare_preferences(read_judgments(("j.csv", content), baseline="old", candidate=HOSTILE), resamples=50)
    assert (result.wins, result.losses) == (1, 1)
    text = charts.preference_bar_figure([result]).to_json()
    assert "<a href" not in text and "&lt;a href" in text


def test_no_comparison_is_a_message() -> None:
    assert_message(charts.preference_bar_figure([]), "No judgment")


def test_the_ratings_are_drawn_highest_first_with_their_intervals_and_the_anchor() -> None:
    # x beats y 2 to 1 and y ties z 1-1: by hand, R_y = 1000 - 400 log10(2) and R_z = R_y.
    rows = b"id,model_a,model_b,winner\n1,x,y,x\n2,x,y,y\n3,x,y,x\n4,y,z,y\n5,y,z,z\n"
    ratings = rate_models(read_judgments(("t.csv", rows), baseline="x"), resamples=100)
    fig = charts.ratings_figure(ratings, models=["x", "y", "z"])
    assert_well_formed(fig)
    assert [trace.y[0] for trace in fig.data] == ["x", "y", "z"]
    expected = [1000.0, 1000 - 400 * math.log10(2), 1000 - 400 * math.log10(2)]
    assert [trace.x[0] for trace in fig.data] == pytest.approx(expected, abs=1e-3)
    for trace, rating in zip(fig.data, ratings.ratings, strict=True):
        assert trace.error_x.array[0] == pytest.approx(max(rating.ci_high - rating.rating, 0.0))
        assert trace.error_x.arrayminus[0] == pytest.approx(max(rating.rating - rating.ci_low, 0.0))
    assert fig.data[0].marker.symbol == "square" and fig.data[1].marker.symbol == "circle"  # the anchor is square
    assert fig.layout.shapes[0].x0 == 1000.0
    assert "x = 1000" in fig.layout.title.text


def test_the_builders_are_pure() -> None:
    tree = ast.parse(Path(charts.__file__).read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [name for name in imported if name.split(".")[0] == "streamlit"], imported
