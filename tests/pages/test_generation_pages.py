"""The dashboard on a comparison of text-generating models: upload, Compare, every page, the share link, the exports.

Reference values come from sacrebleu and rouge-score directly, never from the code under test.
"""

from __future__ import annotations

import html
import json
import random

import numpy as np
import pytest
import sacrebleu
from rouge_score import rouge_scorer
from streamlit.testing.v1 import AppTest

import evaluation
from components import charts_generation, generation_examples, html_report, scorecard, state
from components.share_store import ShareStore
from evaluation._generation import compare_generation, load_generation
from tests.pages.conftest import ROOT
from tests.pages.test_pages import charts, texts
from tests.pages.test_upload_and_share import unescaped, upload

_WORDS = ("the", "cat", "sat", "on", "mat", "a", "dog", "ran", "in", "park", "big", "small", "red", "blue", "house",
          "tree", "river", "sun", "moon", "quick", "brown", "fox", "jumps", "over", "lazy")
N = 80


def generation_rows(seed: int = 0) -> tuple[list[dict], list[dict]]:
    """A baseline that garbles half of the reference's words and a candidate that garbles few (one example
    broken on purpose), two domains, a judge's score, prompts holding Markdown and HTML."""
    rng = random.Random(seed)
    base, tuned = [], []
    for i in range(N):
        reference = [rng.choice(_WORDS) for _ in range(rng.randint(6, 12))]
        worse = [w if rng.random() > 0.5 else rng.choice(_WORDS) for w in reference]
        better = [w if rng.random() > 0.15 else rng.choice(_WORDS) for w in reference]
        if i == 7:
            better = ["**nothing**", "<b>at</b>", "all"]
        common = {"id": f"ex{i}", "prompt": f"Say it *again* <i>{i}</i>", "reference": " ".join(reference),
                  "domain": "news" if i % 2 else "chat"}
        base.append(common | {"output": " ".join(worse), "score_judge": rng.randint(1, 4)})
        tuned.append(common | {"output": " ".join(better), "score_judge": rng.randint(2, 5)})
    return base, tuned


def generation_files(seed: int = 0) -> list[tuple[str, bytes]]:
    """The two files as JSON Lines, as an upload sends them."""
    return [(name, "".join(json.dumps(row) + "\n" for row in rows).encode())
            for name, rows in zip(("base.jsonl", "tuned.jsonl"), generation_rows(seed), strict=True)]


@pytest.fixture
def generation(app: AppTest) -> AppTest:
    """The app after uploading the two generation files and pressing Compare (on the Overview)."""
    upload(app, generation_files())
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _report() -> evaluation.ComparisonReport:
    data = load_generation(generation_files(), names=["base", "tuned"])
    return compare_generation(data, settings=state.generation_settings(state.DASHBOARD_SETTINGS, data))


def test_the_data_page_says_what_it_detected_in_generation_files(app: AppTest) -> None:
    upload(app, generation_files())
    said = unescaped(texts(app))
    assert f"{N} rows · generated text · detected: reference **reference** · output **output**" in said
    assert not app.error
    assert app.selectbox(key="data_task").format_func(None) == "automatic"
    assert "Detected from the first file: **generation**" in texts(app)
    assert app.selectbox(key="data_primary_generation").value == "bleu"


def test_the_overview_shows_the_engines_verdict_and_the_corpus_bleu(generation: AppTest) -> None:
    assert generation.title[0].value == "Overview"
    assert f"Generation task · {N} paired examples" in texts(generation)
    report = _report()
    expected = evaluation.verdict_sentence(report.comparisons[0], report, markup=True)
    assert [box.value for box in generation.success] == [expected]
    assert expected.startswith("tuned is significantly better than base on BLEU")
    base, tuned = generation_rows()
    card = next(element.proto.body for element in generation.get("html") if "model-compare" in element.proto.body)
    for rows in (base, tuned):
        bleu = sacrebleu.corpus_bleu([r["output"] for r in rows], [[r["reference"] for r in rows]]).score
        assert f">{evaluation.format_number(bleu)}<" in card
    assert "chrF" in card and "ROUGE-L" in card
    assert charts(generation) >= 3
    assert "Output length" in texts(generation)


@pytest.mark.parametrize(("page", "expected"), [
    ("pages/slices.py", "worst first"),
    ("pages/generation_examples.py", "largest regression first"),
    ("pages/methods.py", "DeLong"),
])
def test_every_generation_page_renders(generation: AppTest, page: str, expected: str) -> None:
    generation.switch_page(page).run()
    assert not generation.exception, [e.value for e in generation.exception]
    assert expected in unescaped(texts(generation))
    assert not generation.error


def test_classification_pages_are_not_shown(generation: AppTest) -> None:
    for page in ("pages/per_class.py", "pages/residuals.py", "pages/overview.py", "pages/regression_examples.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            generation.switch_page(page)


def test_slices_choose_among_the_generation_metrics(generation: AppTest) -> None:
    generation.switch_page("pages/slices.py").run()
    metric = generation.selectbox(key="slices_metric")
    assert metric.value == "bleu" and {"BLEU", "chrF", "ROUGE-L", "score_judge"} <= set(metric.options)
    assert generation.selectbox(key="slices_slice_column").options == ["domain"]


def test_the_examples_table_starts_with_the_largest_regression(generation: AppTest) -> None:
    generation.switch_page("pages/generation_examples.py").run()
    frame = next(element.value for element in generation.dataframe if "ROUGE-L change" in element.value.columns)
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    base, tuned = generation_rows()
    change = {b["id"]: scorer.score(b["reference"], t["output"])["rougeL"].fmeasure
              - scorer.score(b["reference"], b["output"])["rougeL"].fmeasure for b, t in zip(base, tuned, strict=True)}
    worst = min(change, key=lambda key: change[key])
    assert frame.iloc[0]["id"] == worst == "ex7"
    assert frame.iloc[0]["ROUGE-L change"] == pytest.approx(change[worst])
    assert list(frame["ROUGE-L change"]) == sorted(frame["ROUGE-L change"])
    said = texts(generation)
    assert "\\*\\*nothing\\*\\*" in said and "<b>at</b>" not in said  # user text shown literally


def test_the_examples_filter_by_slice_value(generation: AppTest) -> None:
    generation.switch_page("pages/generation_examples.py").run()
    generation.selectbox(key="examples_slice_column").set_value("domain").run()
    generation.multiselect(key="examples_slice_values").set_value(["news"]).run()
    frame = next(element.value for element in generation.dataframe if "ROUGE-L change" in element.value.columns)
    assert len(frame) > 0 and set(frame["domain"]) == {"news"}


def _chart(at: AppTest, title: str) -> dict:
    """The figure JSON of the one chart whose title starts with ``title``."""
    found = [spec for spec in (json.loads(element.proto.spec) for element in at.get("plotly_chart"))
             if spec["layout"]["title"]["text"].startswith(title)]
    assert len(found) == 1, [json.loads(e.proto.spec)["layout"]["title"]["text"] for e in at.get("plotly_chart")]
    return found[0]


def _examples_frame(at: AppTest):
    return next(element.value for element in at.dataframe if "ROUGE-L change" in element.value.columns)


def test_the_overview_shows_the_distribution_of_output_length_then_of_a_score(generation: AppTest) -> None:
    generation.switch_page("pages/generation_overview.py").run()  # AppTest reruns the page it last switched to
    choice = generation.selectbox(key="overview_distribution")
    assert choice.options == ["output length (words)", "score_judge"] and choice.value == "output_words"
    base, tuned = generation_rows()
    spec = _chart(generation, "Distribution of output length (words): tuned vs base")
    lengths = [[len(row["output"].split()) for row in rows] for rows in (base, tuned)]
    shortest, longest = min(map(min, lengths)), max(map(max, lengths))
    for trace, words in zip(spec["data"], lengths, strict=True):  # a bar per word count, both models on one axis
        assert dict(zip(trace["x"], trace["y"], strict=True)) == {n: words.count(n) for n in range(shortest, longest + 1)}
        assert trace["name"].endswith(f"(mean {np.mean(words):.3g})")
    choice.set_value("score_judge").run()
    assert not generation.exception, [e.value for e in generation.exception]
    spec = _chart(generation, "Distribution of score_judge: tuned vs base")
    for trace, rows in zip(spec["data"], (base, tuned), strict=True):
        judged = [row["score_judge"] for row in rows]
        assert dict(zip(trace["x"], trace["y"], strict=True)) == {v: judged.count(v) for v in range(1, 6)}
    assert [shape["x0"] for shape in spec["layout"]["shapes"]] == pytest.approx(
        [np.mean([row["score_judge"] for row in rows]) for rows in (base, tuned)])


def test_the_examples_filter_by_the_change_in_a_score(generation: AppTest) -> None:
    generation.switch_page("pages/generation_examples.py").run()
    generation.multiselect(key="examples_kinds").set_value(list(generation_examples.KINDS)).run()
    assert f"{N:,} of {N:,} examples" in texts(generation)
    assert generation.selectbox(key="examples_score").options == ["(no score filter)", "score_judge"]
    generation.selectbox(key="examples_score").set_value("score_judge").run()
    change = generation.selectbox(key="examples_score_change")
    assert change.value == "candidate lower"
    base, tuned = generation_rows()
    lower = [b["id"] for b, t in zip(base, tuned, strict=True) if t["score_judge"] < b["score_judge"]]
    assert 0 < len(lower) < N
    frame = _examples_frame(generation)
    assert set(frame["id"]) == set(lower) and (frame["score_judge change"] < 0).all()
    assert f"{len(lower):,} of {N:,} examples" in texts(generation)
    change.set_value("equal").run()
    equal = {b["id"] for b, t in zip(base, tuned, strict=True) if t["score_judge"] == b["score_judge"]}
    assert set(_examples_frame(generation)["id"]) == equal
    generation.selectbox(key="examples_slice_column").set_value("domain").run()
    generation.multiselect(key="examples_slice_values").set_value(["news"]).run()
    frame = _examples_frame(generation)
    assert set(frame["id"]) == {b["id"] for b in base if b["id"] in equal and b["domain"] == "news"}
    assert not generation.exception, [e.value for e in generation.exception]


def test_files_without_scores_have_no_score_filter_and_no_score_distribution(app: AppTest) -> None:
    files = [(name, "".join(json.dumps({k: v for k, v in row.items() if k != "score_judge"}) + "\n" for row in rows)
              .encode()) for name, rows in zip(("base.jsonl", "tuned.jsonl"), generation_rows(), strict=True)]
    upload(app, files)
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.selectbox(key="overview_distribution").options == ["output length (words)"]
    app.switch_page("pages/generation_examples.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not [box for box in app.selectbox if box.key == "examples_score"]
    frame = _examples_frame(app)
    assert not [column for column in frame.columns if column.startswith("score_")]
    assert f"{len(frame):,} of {N:,} examples" in texts(app)


def test_language_model_scores_alone_show_the_distribution_of_their_scores(app: AppTest) -> None:
    rng = random.Random(3)
    rows = [[{"id": f"ex{i}", "nll": rng.uniform(20, 40), "n_tokens": 10, "n_bytes": 40, "score_pass": rng.randint(0, 1)}
             for i in range(40)] for _ in range(2)]
    upload(app, [(name, "".join(json.dumps(row) + "\n" for row in model).encode())
                 for name, model in zip(("base.jsonl", "tuned.jsonl"), rows, strict=True)])
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.selectbox(key="overview_distribution").options == ["score_pass"]
    spec = _chart(app, "score_pass: share of examples that pass")
    assert spec["data"][0]["x"] == pytest.approx([np.mean([row["score_pass"] for row in model]) for model in rows])


def test_a_shared_generation_link_reopens_as_generation(share_db, generation: AppTest) -> None:
    generation.sidebar.button(key="sidebar_share").click().run()
    link = next(code.value for code in generation.sidebar.code if "?c=" in code.value)
    token = link.split("?c=")[1]
    shared = ShareStore(share_db).load(token)
    assert shared is not None
    assert state.spec_from_share(shared)[0].resolved_task == "generation"
    viewer = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    viewer.query_params["c"] = token
    viewer.run()
    assert not viewer.exception, [e.value for e in viewer.exception]
    assert viewer.title[0].value == "Overview"
    assert f"Generation task · {N} paired examples" in texts(viewer)
    assert any(box.value.startswith("tuned is significantly better than base on BLEU") for box in viewer.success)


def test_the_exports_of_a_generation_report() -> None:
    report = _report()
    page = html_report.report_html(report)
    assert page.startswith("<!DOCTYPE html>") and "BLEU" in page and "Output length" in page
    assert json.loads(html_report.report_json(report))["task"] == "generation"
    csv_text = html_report.metrics_csv(report)
    assert csv_text.splitlines()[0] == ",".join(html_report.CSV_COLUMNS) and "output_words" in csv_text


def test_the_scorecard_of_a_generation_report_is_primary_then_chrf_and_rouge_l() -> None:
    report = _report()
    assert scorecard.headline_metrics(report) == ("bleu", "chrf", "rougeL")
    assert [row.candidate for row in scorecard.leaderboard(report).rows] == ["tuned"]


def test_the_figures_put_each_metric_on_its_own_axis_and_group_differences_by_scale() -> None:
    report = _report()
    metrics = charts_generation.generation_metrics_figure(report)
    assert len(metrics.data) == 2 * len(report.models["base"].metrics)
    differences = charts_generation.generation_difference_figure(report.comparisons[0], confidence=0.95)
    titles = [annotation.text for annotation in differences.layout.annotations]
    assert titles[:2] == ["0-100 scale", "0-1 scale"] and "score_judge" in titles[2]
    assert {trace.legendgroup for trace in differences.data} <= {"better", "worse", "no significant difference"}
    length = charts_generation.output_length_figure(report, report.comparisons[0])
    assert list(length.data[0].x) == [report.models["base"].output_words, report.models["tuned"].output_words]


def test_highlighted_words_are_escaped_and_bold() -> None:
    shown = generation_examples.highlighted_words("the <b>new</b> [link](x) cat", "the cat")
    assert shown.startswith("the **") and "<b>" not in shown and "](" not in shown
    assert html.unescape(unescaped(shown)).replace("**", "") == "the <b>new</b> [link](x) cat"
    assert np.isfinite(generation_examples.examples_table(load_generation(generation_files()), "base", "tuned")
                       ["ROUGE-L change"]).all()


def test_three_generation_files_show_a_leaderboard_and_a_candidate_choice(app: AppTest) -> None:
    base, tuned = generation_files()
    other = [row | {"output": row["reference"] if index % 2 else row["output"]}
             for index, row in enumerate(generation_rows()[0])]
    third = ("other.jsonl", "".join(json.dumps(row) + "\n" for row in other).encode())
    upload(app, [base, tuned])
    app.file_uploader[0].set_value([(third[0], third[1], "text/csv")]).run()
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert "Leaderboard" in texts(app)
    app.switch_page("pages/generation_overview.py").run()  # AppTest stays on the page it last switched to
    app.selectbox(key="overview_candidate").set_value("other").run()
    assert not app.exception, [e.value for e in app.exception]
    app.switch_page("pages/generation_examples.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert "of other minus base" in unescaped(texts(app))


def test_the_bundled_generation_demo_renders_on_every_page(app: AppTest) -> None:
    app.switch_page("pages/data.py").run()
    app.button(key="data_demo_generation").click().run()  # the Data page's demo button
    assert app.session_state["spec"].resolved_task == "generation"
    for page in ("pages/generation_overview.py", "pages/slices.py", "pages/generation_examples.py"):
        app.switch_page(page).run()
        assert not app.exception, [e.value for e in app.exception]
        assert "Generation task" in texts(app) and "Demo data" in texts(app)
        assert not app.error
    app.switch_page("pages/generation_overview.py").run()
    said = " ".join(unescaped(element.value) for element in app.warning)
    assert "finetuned is significantly better than base on BLEU" in said  # the demo names its models
    assert "But significantly worse on slice catalog = core" in said


def test_the_text_scoring_options_reach_the_engine(app: AppTest) -> None:
    upload(app, generation_files())
    app.checkbox(key="data_rouge_stemmer").check().run()
    app.checkbox(key="data_normalize_answers").check().run()
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    settings = app.session_state["spec"].settings
    assert settings.rouge_stemmer and settings.normalize_answers
    assert app.title[0].value == "Overview"
    said = unescaped(texts(app))  # the signatures say how the text was scored
    assert "|stemmer:yes|" in said and "normalize:squad" in said
