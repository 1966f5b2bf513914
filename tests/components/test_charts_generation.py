"""The distribution figures of a generation comparison: bar heights, means and pass shares against NumPy's own
counts of the fixture's values, never against the code under test."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from components.charts_generation import OUTPUT_WORDS, distribution_columns, distribution_figure, distribution_values
from components.palette import model_colors
from evaluation import GenerationData, load_generation
from tests.components.checks import assert_axis_titles, assert_message, assert_well_formed

BASE_WORDS = [1, 2, 2, 3, 5, 8]
TUNED_WORDS = [2, 2, 3, 3, 4, 9]
BASE_PASS = [1, 0, 1, 1, 0, 1]
TUNED_PASS = [1, 1, 1, 0, 1, 1]
BASE_JUDGE = [1, 2, 3, 2, 4, 5]
TUNED_JUDGE = [2, 3, 3, 4, 4, 5]
BASE_PROB = [0.1, 0.25, 0.33, 0.5, 0.8, 0.95]
TUNED_PROB = [0.2, 0.3, 0.3, 0.65, 0.7, 0.99]


def _lines(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _files(words: tuple[list[int], list[int]] = (BASE_WORDS, TUNED_WORDS)) -> list[tuple[str, bytes]]:
    files = []
    for name, lengths, passed, judged, prob in (("base.jsonl", words[0], BASE_PASS, BASE_JUDGE, BASE_PROB),
                                                ("tuned.jsonl", words[1], TUNED_PASS, TUNED_JUDGE, TUNED_PROB)):
        rows = [{"id": i, "output": " ".join(["w"] * n), "reference": "w w", "score_pass": p, "score_judge": j,
                 "score_prob": q} for i, (n, p, j, q) in enumerate(zip(lengths, passed, judged, prob, strict=True))]
        files.append((name, _lines(rows)))
    return files


@pytest.fixture(scope="module")
def data() -> GenerationData:
    return load_generation(_files())


def test_the_choices_are_the_output_length_then_every_score_column(data: GenerationData) -> None:
    assert distribution_columns(data) == [OUTPUT_WORDS, "score_judge", "score_pass", "score_prob"]
    assert list(distribution_values(data, "tuned", OUTPUT_WORDS)) == TUNED_WORDS


def test_the_output_length_histogram_counts_every_word_count_and_marks_the_means(data: GenerationData) -> None:
    fig = distribution_figure(data, "base", "tuned", column=OUTPUT_WORDS)
    assert_well_formed(fig)
    assert_axis_titles(fig)
    assert fig.layout.xaxis.title.text == "output length (words)" and fig.layout.yaxis.title.text == "examples"
    colors = model_colors(["base", "tuned"])
    for trace, words, name in zip(fig.data, (BASE_WORDS, TUNED_WORDS), ("base", "tuned"), strict=True):
        counts = Counter(words)
        assert list(trace.x) == list(range(1, 10))  # one bar per word count from the shortest to the longest output
        assert list(trace.y) == [counts[n] for n in range(1, 10)]
        assert trace.marker.color == colors[name]
        assert trace.name == f"{name} (mean {np.mean(words):.3g})"
    assert [shape.x0 for shape in fig.layout.shapes] == pytest.approx([np.mean(BASE_WORDS), np.mean(TUNED_WORDS)])
    assert [shape.line.color for shape in fig.layout.shapes] == [colors["base"], colors["tuned"]]


def test_long_outputs_share_bins_of_several_word_counts() -> None:
    base, tuned = [1, 5, 40, 90, 200, 200], [3, 3, 60, 61, 150, 180]
    data = load_generation(_files((base, tuned)))
    fig = distribution_figure(data, "base", "tuned", column=OUTPUT_WORDS)
    centres = np.array(fig.data[0].x)
    width = centres[1] - centres[0]
    assert len(centres) <= 40 and width == 5  # 200 word counts in bins of 5
    edges = np.append(centres - width / 2, centres[-1] + width / 2)
    for trace, words in zip(fig.data, (base, tuned), strict=True):
        assert list(trace.y) == list(np.histogram(words, bins=edges)[0])
        assert sum(trace.y) == len(words)
    assert fig.data[0].customdata[0][0] == "1–5"


def test_a_rating_is_a_histogram_of_its_values(data: GenerationData) -> None:
    fig = distribution_figure(data, "base", "tuned", column="score_judge")
    assert_well_formed(fig)
    assert "score_judge" in fig.layout.title.text
    for trace, values in zip(fig.data, (BASE_JUDGE, TUNED_JUDGE), strict=True):
        assert list(trace.x) == [1, 2, 3, 4, 5]
        assert list(trace.y) == [values.count(v) for v in range(1, 6)]
        assert [share for _, share in trace.customdata] == pytest.approx([values.count(v) / 6 for v in range(1, 6)])
    assert [shape.x0 for shape in fig.layout.shapes] == pytest.approx([np.mean(BASE_JUDGE), np.mean(TUNED_JUDGE)])


def test_a_continuous_score_falls_in_shared_bins(data: GenerationData) -> None:
    fig = distribution_figure(data, "base", "tuned", column="score_prob")
    centres = np.array(fig.data[0].x)
    assert list(fig.data[1].x) == list(centres)
    width = centres[1] - centres[0]
    edges = np.append(centres - width / 2, centres[-1] + width / 2)
    assert edges[0] == pytest.approx(min(BASE_PROB + TUNED_PROB)) and edges[-1] == pytest.approx(max(BASE_PROB + TUNED_PROB))
    for trace, values in zip(fig.data, (BASE_PROB, TUNED_PROB), strict=True):
        assert list(trace.y) == list(np.histogram(values, bins=edges)[0]) and sum(trace.y) == 6
    assert [shape.x0 for shape in fig.layout.shapes] == pytest.approx([np.mean(BASE_PROB), np.mean(TUNED_PROB)])


def test_a_pass_or_fail_score_is_each_models_share_of_passes(data: GenerationData) -> None:
    fig = distribution_figure(data, "base", "tuned", column="score_pass")
    assert_well_formed(fig)
    assert_axis_titles(fig)
    (bars,) = fig.data
    assert list(bars.x) == pytest.approx([np.mean(BASE_PASS), np.mean(TUNED_PASS)])
    assert list(bars.y) == ["base", "tuned"]
    assert list(bars.text) == ["67% (4 of 6)", "83% (5 of 6)"]
    colors = model_colors(["base", "tuned"])
    assert list(bars.marker.color) == [colors["base"], colors["tuned"]]
    gained = sum(b == 0 and t == 1 for b, t in zip(BASE_PASS, TUNED_PASS, strict=True))
    lost = sum(b == 1 and t == 0 for b, t in zip(BASE_PASS, TUNED_PASS, strict=True))
    assert (gained, lost) == (2, 1)
    assert "tuned passes 2 examples that base fails, and fails 1 that base passes" in fig.layout.title.text


def test_the_candidate_keeps_its_colour_among_three_models() -> None:
    base, tuned = _files()
    data = load_generation([base, tuned, ("other.jsonl", tuned[1])])
    fig = distribution_figure(data, "base", "other", column=OUTPUT_WORDS)
    assert [trace.marker.color for trace in fig.data] == [model_colors(["base", "tuned", "other"])[name]
                                                          for name in ("base", "other")]
    assert fig.layout.title.text == "Distribution of output length (words): other vs base"


def test_language_model_scores_alone_have_no_output_length() -> None:
    files = [(name, _lines([{"id": i, "nll": 3.0 + i, "n_tokens": 4, "score_pass": p} for i, p in enumerate(passed)]))
             for name, passed in (("base.jsonl", BASE_PASS), ("tuned.jsonl", TUNED_PASS))]
    data = load_generation(files)
    assert not data.has_text
    assert distribution_columns(data) == ["score_pass"]
    assert_message(distribution_figure(data, "base", "tuned", column=OUTPUT_WORDS), "no outputs")
    assert list(distribution_figure(data, "base", "tuned", column="score_pass").data[0].x) == \
        pytest.approx([np.mean(BASE_PASS), np.mean(TUNED_PASS)])
    with pytest.raises(ValueError, match="no outputs"):
        distribution_values(data, "base", OUTPUT_WORDS)
