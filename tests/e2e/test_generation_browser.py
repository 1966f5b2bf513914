"""A comparison of text-generating models in a real browser: upload two files, Compare, the verdict, a chart, Examples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from rouge_score import rouge_scorer

from tests.e2e.conftest import ROOT, Server, open_app, wait_idle
from tests.pages.test_generation_pages import N, generation_files
from tests.pages.test_generation_preferences import judgments_file

pytestmark = pytest.mark.browser

TIMEOUT = 60_000
SCREENSHOTS = Path("/tmp")


def test_two_generation_files_are_uploaded_compared_and_browsed(page: Page, server: Server, tmp_path: Path) -> None:
    paths = []
    for name, content in generation_files():
        path = tmp_path / name
        path.write_bytes(content)
        paths.append(str(path))
    open_app(page, f"{server.url}/data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(paths)
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"rows · generated text · detected")).first).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Compare").click()
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.locator("h1").first).to_have_text("Overview", timeout=TIMEOUT)
    expect(page.get_by_text(re.compile(rf"Generation task · {N} paired examples")).first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile(r"tuned is significantly better than base on BLEU")).first) \
        .to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "gen_overview.png"))
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(4, timeout=TIMEOUT)  # metrics, differences, output length, its distribution
    for index, name in enumerate(("metrics", "differences", "length", "distribution")):
        charts.nth(index).screenshot(path=str(SCREENSHOTS / f"gen_chart_{name}.png"))

    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Per class", exact=True)).to_have_count(0)  # pages that do not apply are not shown
    nav.get_by_text("Slices", exact=True).click()
    wait_idle(page)
    expect(main.locator("h1").first).to_have_text("Slices", timeout=TIMEOUT)
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(SCREENSHOTS / "gen_slices.png"))

    nav.get_by_text("Examples", exact=True).click()
    wait_idle(page)
    expect(main.locator("h1").first).to_have_text("Examples", timeout=TIMEOUT)
    assert page.url.rstrip("/").endswith("/examples")
    expect(page.get_by_text("One example, side by side")).to_be_visible(timeout=TIMEOUT)
    # shown literally, in bold, in the side-by-side view (the table's hidden grid cells hold the text too)
    expect(main.get_by_test_id("stMarkdownContainer").get_by_text("**nothing**").first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "gen_examples.png"))


def test_the_generation_demo_shows_the_judges_preferences(page: Page, server: Server) -> None:
    open_app(page, f"{server.url}/data")
    page.get_by_role("button", name="Open the text-generation demo (translation)").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"with the preference judgments generation_judgments\.csv"))) \
        .to_be_visible(timeout=TIMEOUT)
    main = page.get_by_test_id("stMain")
    page.get_by_test_id("stSidebarNav").get_by_text("Overview", exact=True).click()
    wait_idle(page)
    expect(main.locator("h1").first).to_have_text("Overview", timeout=TIMEOUT)
    heading = main.get_by_role("heading", name="Preferences", exact=True)
    expect(heading).to_be_visible(timeout=TIMEOUT)
    # The demo's judge: 340 of 660 judgments for finetuned, 74 for base, 246 ties (scripts/make_demo_judgments.py).
    expect(page.get_by_text("Of 660 judgments, the judges preferred finetuned in 52%, base in 11%, and called 37% a "
                            "tie.")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Longer answers tend to win judges' favour", exact=False)).to_be_visible(timeout=TIMEOUT)
    flips = page.get_by_test_id("stMetric").filter(has_text="Position bias: flip rate")
    expect(flips).to_contain_text("9%")
    bars = page.get_by_test_id("stPlotlyChart").filter(has_text="Which answer did the judges prefer?")
    expect(bars).to_have_count(1, timeout=TIMEOUT)
    expect(bars.locator("g.bars text").first).to_have_text("52%", timeout=TIMEOUT)
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    heading.scroll_into_view_if_needed()
    bars.screenshot(path=str(SCREENSHOTS / "gen_preferences_chart.png"))
    page.screenshot(path=str(SCREENSHOTS / "gen_preferences.png"))


def test_a_judgments_file_uploaded_beside_generation_files_shows_on_the_overview(page: Page, server: Server,
                                                                                 tmp_path: Path) -> None:
    paths = []
    for name, content in [*generation_files(), judgments_file()]:
        path = tmp_path / name
        path.write_bytes(content)
        paths.append(str(path))
    open_app(page, f"{server.url}/data")
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(paths[:2])
    wait_idle(page)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Preference judgments (optional)")
    expect(uploader).to_have_count(1, timeout=TIMEOUT)
    uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(paths[2])
    wait_idle(page)
    expect(page.get_by_text("80 judgments of tuned vs base · positions")).to_be_visible(timeout=TIMEOUT)
    # The rerun the judgments cause keeps the prediction files read as generated text (the task box once lost it).
    expect(page.get_by_text(re.compile(r"80 rows · generated text · detected"))).to_have_count(2)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    page.get_by_role("button", name="Compare").click()
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.locator("h1").first).to_have_text("Overview", timeout=TIMEOUT)
    expect(main.get_by_role("heading", name="Preferences", exact=True)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Of 80 judgments, the judges preferred tuned in 60%, base in 20%, and called 20% a tie.")) \
        .to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _choose(page: Page, box: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``box`` and wait for the rerun."""
    page.get_by_test_id("stSelectbox").filter(has_text=box).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def test_the_generation_demo_shows_distributions_and_filters_examples_by_score(page: Page, server: Server) -> None:
    base, tuned = ([json.loads(line) for line in (ROOT / "data" / "demo" / f"generation_{name}.jsonl").open()]
                   for name in ("base", "finetuned"))
    open_app(page, f"{server.url}/data")
    page.get_by_role("button", name="Open the text-generation demo (translation)").click()
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    page.get_by_test_id("stSidebarNav").get_by_text("Overview", exact=True).click()
    wait_idle(page)
    expect(main.locator("h1").first).to_have_text("Overview", timeout=TIMEOUT)
    lengths = page.get_by_test_id("stPlotlyChart").filter(has_text="Distribution of output length (words)")
    expect(lengths).to_have_count(1, timeout=TIMEOUT)
    for rows, name in ((base, "base"), (tuned, "finetuned")):  # each model's mean, marked on the chart
        mean = sum(len(row["output"].split()) for row in rows) / len(rows)
        expect(lengths.get_by_text(f"mean {name}: {mean:.3g}")).to_have_count(1)
    lengths.scroll_into_view_if_needed()
    lengths.screenshot(path=str(SCREENSHOTS / "gen_distribution_length.png"))

    _choose(page, "Distribution of", "score_placeholders_kept")
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="score_placeholders_kept: share of examples that pass")
    expect(chart).to_have_count(1, timeout=TIMEOUT)
    wait_idle(page)
    shown = [f"{sum(row['score_placeholders_kept'] for row in rows) / len(rows):.0%} "
             f"({sum(row['score_placeholders_kept'] for row in rows)} of {len(rows)})" for rows in (base, tuned)]
    assert shown == ["82% (272 of 330)", "86% (283 of 330)"]
    expect(chart.locator("g.bars text")).to_have_text(shown, timeout=TIMEOUT)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    chart.screenshot(path=str(SCREENSHOTS / "gen_distribution_score.png"))

    page.get_by_test_id("stSidebarNav").get_by_text("Examples", exact=True).click()
    wait_idle(page)
    expect(main.locator("h1").first).to_have_text("Examples", timeout=TIMEOUT)
    # The default kinds, worse and better in ROUGE-L: the examples whose ROUGE-L changed, per rouge-score itself.
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    changes = {b["id"]: scorer.score(b["reference"], t["output"])["rougeL"].fmeasure
               - scorer.score(b["reference"], b["output"])["rougeL"].fmeasure for b, t in zip(base, tuned, strict=True)}
    changed = {key for key, change in changes.items() if change != 0}
    expect(page.get_by_text(f"{len(changed)} of 330 examples", exact=True)).to_be_visible(timeout=TIMEOUT)
    _choose(page, "Score column", "score_placeholders_kept")
    expect(page.get_by_role("combobox", name="Keep examples whose score is")) \
        .to_have_value("lower for the candidate", timeout=TIMEOUT)
    lost = [b["id"] for b, t in zip(base, tuned, strict=True)
            if t["score_placeholders_kept"] < b["score_placeholders_kept"] and b["id"] in changed]
    expect(page.get_by_text(f"{len(lost)} of 330 examples", exact=True)).to_be_visible(timeout=TIMEOUT)
    assert 0 < len(lost) < len(changed)
    first = min(lost, key=lambda key: changes[key])  # the table's order: the change in ROUGE-L, lowest first
    expect(page.get_by_role("combobox", name="Example id")).to_have_value(first)
    expect(page.get_by_text("score_placeholders_kept 1 → 0 (-1)").first).to_be_visible(timeout=TIMEOUT)
    _choose(page, "Keep examples whose score is", "higher for the candidate")
    gained = [b["id"] for b, t in zip(base, tuned, strict=True)
              if t["score_placeholders_kept"] > b["score_placeholders_kept"] and b["id"] in changed]
    expect(page.get_by_text(f"{len(gained)} of 330 examples", exact=True)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "gen_examples_score_filter.png"))


@pytest.mark.parametrize("width", [1200, 800])
def test_the_html_report_of_many_metrics_fits_the_window_its_wide_tables_scroll(page: Page, tmp_path: Path,
                                                                             width: int) -> None:
    from evaluation._cli import main

    out = tmp_path / "report.html"
    assert main(["compare", str(ROOT / "data/demo/generation_base.jsonl"), str(ROOT / "data/demo/generation_finetuned.jsonl"),
                 "--resamples", "200", "--slice-resamples", "50", "--format", "html", "--out", str(out)]) == 0
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(out.as_uri())
    expect(page.get_by_role("heading", name="Verdict")).to_be_visible(timeout=TIMEOUT)
    widths = page.evaluate("""() => ({page: document.documentElement.scrollWidth,
        window: document.documentElement.clientWidth,
        tables: [...document.querySelectorAll('table')].map(t => [t.getBoundingClientRect().right, t.scrollWidth,
                                                                   t.clientWidth])})""")
    assert widths["page"] <= widths["window"]  # nothing runs off the page's right edge
    assert all(right <= widths["window"] for right, _, _ in widths["tables"])
    assert any(scrolled > shown for _, scrolled, shown in widths["tables"])  # the metrics table scrolls instead
