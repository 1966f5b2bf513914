"""Preference judgments on the dashboard: the Data page's optional judgments file (upload, check, replace, remove),
the Overview's Preferences section, the demo's judge, and a shared link that carries the judgments.

Reference values are counted by hand, or come from scipy and sacrebleu, never from the code under test.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sacrebleu.metrics import CHRF
from scipy.stats import binomtest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import FileUploader

import evaluation
from components import state
from components.share_store import ShareStore
from tests.pages.conftest import DEMO, ROOT
from tests.pages.test_data_page import filenames
from tests.pages.test_generation_pages import N, generation_files, generation_rows
from tests.pages.test_pages import texts
from tests.pages.test_upload_and_share import unescaped, upload

LABEL = "Preference judgments (optional)"


def judgments_rows() -> list[dict[str, str]]:
    """One judgment per example of the generation files: tuned wins 3 in 5, a tie 1 in 5, base wins 1 in 5."""
    winners = ("tuned", "tuned", "tuned", "tie", "base")
    return [{"id": f"ex{i}", "winner": winners[i % 5], "position": "tuned" if i % 2 else "base"} for i in range(N)]


def judgments_file(name: str = "judgments.csv", rows: list[dict[str, str]] | None = None) -> tuple[str, bytes]:
    rows = judgments_rows() if rows is None else rows
    return name, ("id,winner,position\n" + "".join(f"{r['id']},{r['winner']},{r['position']}\n" for r in rows)).encode()


BAD = judgments_file("bad.csv", [{"id": "ex0", "winner": "tuned", "position": "base"},
                                 {"id": "ex1", "winner": "claude", "position": "base"}])


def drop_judgments(at: AppTest, file: tuple[str, bytes]) -> AppTest:
    """Drop a file on the Data page's judgments uploader (the second uploader, shown for generation)."""
    uploader = judgments_uploader(at)
    assert uploader is not None
    uploader.set_value((file[0], file[1], "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def judgments_uploader(at: AppTest) -> FileUploader | None:
    """The judgments uploader of the Data page, if it is shown."""
    return next((u for u in at.file_uploader if u.label.startswith(LABEL)), None)


@pytest.fixture
def judged(app: AppTest) -> AppTest:
    """The generation files and their judgments uploaded, compared: the app on the Overview."""
    upload(app, generation_files())
    drop_judgments(app, judgments_file())
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Overview"
    return app


def metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def test_the_judgments_uploader_is_offered_for_generation_only(app: AppTest) -> None:
    upload(app, [(name, (DEMO / name).read_bytes()) for name in ("base.csv", "finetuned.csv")])
    assert len(app.file_uploader) == 1 and judgments_uploader(app) is None  # classification files


def test_the_generation_demo_keeps_its_judgments_until_a_file_takes_their_place(app: AppTest) -> None:
    app.switch_page("pages/data.py").run()
    assert judgments_uploader(app) is None  # the digits demo
    app.button(key="data_demo_generation").click().run()
    assert judgments_uploader(app) is not None
    said = unescaped(texts(app))
    assert "with the preference judgments generation_judgments.csv" in said
    assert "The comparison shown keeps its judgments (generation_judgments.csv)" in said


def test_an_uploaded_judgments_file_is_checked_and_shown_as_preferences(judged: AppTest) -> None:
    said = unescaped(texts(judged))
    assert "Preferences" in [s.value for s in judged.subheader]
    # 48 wins, 16 ties and 16 losses of 80, by hand.
    assert "Of 80 judgments, the judges preferred **tuned** in 60%, **base** in 20%, and called 20% a tie." in said
    assert metric(judged, "Win rate (a tie counts half)") == "0.700"  # (48 + 16 / 2) / 80
    assert metric(judged, "Sign test p-value") == evaluation.format_p_value(binomtest(48, 64, 0.5).pvalue)
    assert metric(judged, "Position bias: flip rate") == "n/a"  # every example judged in one order only
    base, tuned = generation_rows()
    words = np.mean([len(r["output"].split()) for r in tuned]) - np.mean([len(r["output"].split()) for r in base])
    assert metric(judged, "Output length difference") == f"{words:+.1f} words"
    assert "Longer answers tend to win judges' favour" in said
    assert not judged.error
    judged.switch_page("pages/data.py").run()
    assert "80 judgments of tuned vs base · positions" in unescaped(texts(judged))
    assert "with the preference judgments judgments.csv" in unescaped(texts(judged))


def test_a_bad_judgments_file_shows_the_engines_error_beside_it_and_nothing_is_lost(judged: AppTest) -> None:
    shown = judged.session_state["spec"]
    judged.switch_page("pages/data.py").run()
    drop_judgments(judged, BAD)
    errors = [unescaped(e.value) for e in judged.error]
    assert any(e.startswith("bad.csv: column 'winner', row 2: 'claude' is not one of the row's models") for e in errors)
    assert filenames(judged) == ["base.jsonl", "tuned.jsonl"]  # the prediction files stay
    judged.button(key="data_compare").click().run()
    assert not judged.exception, [e.value for e in judged.exception]
    assert judged.title[0].value == "Data"
    assert judged.session_state["spec"] == shown  # the comparison shown, with its good judgments, stays
    assert any("correct the file or remove it" in unescaped(e.value) for e in judged.error)
    judged.button(key="data_judgments_remove").click().run()
    assert not judged.error and "bad.csv" not in unescaped(texts(judged))
    drop_judgments(judged, judgments_file("again.csv"))  # a new file after a removal
    assert "again.csv" in unescaped(texts(judged)) and not judged.error
    drop_judgments(judged, judgments_file("replaced.csv", judgments_rows()[:40]))  # a new file replaces the kept one
    said = unescaped(texts(judged))
    assert "40 judgments of tuned vs base" in said and "again.csv" not in said.split("Preference judgments")[-1]


def test_the_generation_demo_carries_a_judge_that_flips_on_close_calls(app: AppTest) -> None:
    app.switch_page("pages/data.py").run()
    app.button(key="data_demo_generation").click().run()
    app.switch_page("pages/generation_overview.py").run()
    assert not app.exception, [e.value for e in app.exception]
    # The demo's judge (scripts/make_demo_judgments.py), recounted with sacrebleu: the better chrF wins, identical
    # outputs tie, and within 5 chrF points the answer shown first wins, so those examples flip with the order.
    rows = [[json.loads(line) for line in (DEMO / name).read_text().splitlines()]
            for name in ("generation_base.jsonl", "generation_finetuned.jsonl")]
    chrf = CHRF()
    close = wins = ties = 0
    for old, new in zip(*rows, strict=True):
        gap = (chrf.sentence_score(new["output"], [new["reference"]]).score
               - chrf.sentence_score(old["output"], [old["reference"]]).score)
        if old["output"] == new["output"] or gap == 0:
            ties += 2
        elif abs(gap) < 5:
            close += 1
            wins += 1
        else:
            wins += 2 * (gap > 0)
    assert metric(app, "Position bias: flip rate") == f"{close / 330:.0%}"
    assert f"{close} of 330 pairs judged in both orders; {close} favour the answer shown first" in unescaped(texts(app))
    losses = 660 - wins - ties
    assert (f"Of 660 judgments, the judges preferred **finetuned** in {wins / 660:.0%}, **base** in "
            f"{losses / 660:.0%}, and called {ties / 660:.0%} a tie.") in unescaped(texts(app))
    assert not app.error


def test_a_shared_link_restores_the_preferences_section(share_db, judged: AppTest) -> None:
    sentence = next(m.value for m in judged.markdown if m.value.startswith("Of 80 judgments"))
    judged.sidebar.button(key="sidebar_share").click().run()
    token = next(code.value for code in judged.sidebar.code if "?c=" in code.value).split("?c=")[1]
    shared = ShareStore(share_db).load(token)
    assert shared is not None and [name for name, _ in shared.files] == ["base.jsonl", "tuned.jsonl", "judgments.csv"]
    assert state.spec_from_share(shared)[0].judgments == judgments_file()
    viewer = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    viewer.query_params["c"] = token
    viewer.run()
    assert not viewer.exception, [e.value for e in viewer.exception]
    assert "Shared view" in texts(viewer) and "Preferences" in [s.value for s in viewer.subheader]
    assert sentence in [m.value for m in viewer.markdown]
    assert metric(viewer, "Win rate (a tie counts half)") == "0.700"


def test_judgments_of_other_examples_are_refused_at_compare_beside_the_file(app: AppTest) -> None:
    upload(app, generation_files())
    rows = [*judgments_rows()[:3], {"id": "ex999", "winner": "tuned", "position": "base"}]
    drop_judgments(app, judgments_file("other.csv", rows))
    assert not app.error  # read as judgments of base and tuned: the ids are checked against the examples at Compare
    shown = app.session_state["spec"]
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Data" and app.session_state["spec"] == shown
    errors = [unescaped(e.value) for e in app.error]
    assert any(e.startswith("other.csv: column 'id' has ids that are not examples of the compared generation files "
                            "in 1 row (row 4;") and "'ex999'" in e for e in errors), errors
    app.button(key="data_judgments_remove").click().run()
    assert not app.error
    app.button(key="data_compare").click().run()
    assert app.title[0].value == "Overview" and "Preferences" not in [s.value for s in app.subheader]


def test_three_models_get_a_bar_each_and_bradley_terry_ratings(app: AppTest) -> None:
    base, tuned = generation_files()
    other_rows = [row | {"output": row["reference"] if index % 2 else row["output"]}
                  for index, row in enumerate(generation_rows()[0])]
    other = ("other.jsonl", "".join(json.dumps(row) + "\n" for row in other_rows).encode())
    pairs = [("base", "tuned"), ("base", "other"), ("tuned", "other")]
    rows = []
    for i in range(N):  # every pair, model_a winning 2 in 4, model_b 1 in 4, a tie 1 in 4
        model_a, model_b = pairs[i % 3]
        rows.append(f"ex{i},{model_a},{model_b},{[model_a, model_a, model_b, 'tie'][i % 4]}\n")
    tournament = ("arena.csv", ("id,model_a,model_b,winner\n" + "".join(rows)).encode())
    upload(app, [base, tuned, other])
    drop_judgments(app, tournament)
    said = unescaped(texts(app))
    # ex0, ex3, ... compare base with tuned: 27 of the 80 rows; base with other: 27; tuned with other: 26.
    assert "27 judgments of tuned vs base, 27 judgments of other vs base" in said
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    app.switch_page("pages/generation_overview.py").run()
    assert "Preferences" in [s.value for s in app.subheader]
    assert any(c.value.startswith("Bradley-Terry ratings from every judgment in the file (80)") for c in app.caption)
    charts_shown = [json.loads(element.proto.spec)["layout"]["title"]["text"] for element in app.get("plotly_chart")]
    assert "Which answer did the judges prefer? Shares of the judgments" in charts_shown
    assert "Bradley-Terry ratings with 95% intervals (Elo scale, base = 1000)" in charts_shown
    # The bar of the candidate on view (the first): tuned vs base, 27 judgments; base is model_a in every one.
    tuned_rows = [row for row in rows if row.split(",")[1:3] == ["base", "tuned"]]
    wins = sum(row.strip().endswith(",tuned") for row in tuned_rows)
    ties = sum(row.strip().endswith(",tie") for row in tuned_rows)
    assert (f"Of 27 judgments, the judges preferred **tuned** in {wins / 27:.0%}, **base** in "
            f"{(27 - wins - ties) / 27:.0%}, and called {ties / 27:.0%} a tie.") in unescaped(texts(app))
    assert not app.error
