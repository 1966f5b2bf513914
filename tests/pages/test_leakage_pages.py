"""Leakage on the dashboard, through AppTest: the Data page's fine-tuning data (a switch opens its uploader; kept,
replaced, removed; a bad file's error beside it), and every Overview's lines right after the verdict.

Leaked counts are counted here from the demo files, or are the ones docs/leakage.md states for the text demo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import FileUploader

from components import state
from components.share_store import ShareStore
from tests.pages.conftest import DEMO, ROOT
from tests.pages.test_data_page import filenames
from tests.pages.test_pages import texts
from tests.pages.test_upload_and_share import unescaped

SWITCH = "data_training_open"
BAD = ("broken.jsonl", b'{"id": "1"}\n{not json\n')


def training_file(ids: list[str], name: str = "fine_tuning.csv") -> tuple[str, bytes]:
    """A fine-tuning file with these ids (and a completion column, which the test files do not have)."""
    return name, ("id,completion\n" + "".join(f"{i},x\n" for i in ids)).encode()


def training_uploader(at: AppTest) -> FileUploader | None:
    return next((u for u in at.file_uploader if u.label.startswith("Fine-tuning data:")), None)


def drop_training(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    """Open the Data page's fine-tuning data (the switch, when no file is kept) and drop files on its uploader."""
    if at.title[0].value != "Data":
        at.switch_page("pages/data.py").run()
    if training_uploader(at) is None:
        at.toggle(key=SWITCH).set_value(True).run()
    uploader = training_uploader(at)
    assert uploader is not None
    uploader.set_value([(name, content, "text/csv") for name, content in files]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def compare(at: AppTest) -> AppTest:
    at.button(key="data_compare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Overview", [e.value for e in at.error]
    return at


def walk(node: Any) -> Iterator[Any]:
    """Every element of a block, in page order."""
    for child in getattr(node, "children", {}).values():
        yield child
        yield from walk(child)


def first_screen(at: AppTest) -> list[tuple[str, str]]:
    """(type, text) of the main area's elements up to the Scorecard heading."""
    out = []
    for element in walk(at.main):
        if element.type == "subheader" and element.value == "Scorecard":
            break
        out.append((element.type, unescaped(str(getattr(element, "value", "")))))
    return out


def demo_ids() -> pd.DataFrame:
    base, tuned = (pd.read_csv(DEMO / name) for name in ("base.csv", "finetuned.csv"))
    return pd.DataFrame({"id": base["id"], "improved": (base["prediction"] != base["label"])
                         & (tuned["prediction"] == tuned["label"])})


def test_the_switch_opens_the_uploader_and_the_files_are_kept_replaced_and_removed(app: AppTest) -> None:
    app.switch_page("pages/data.py").run()
    assert len(app.file_uploader) == 1  # the prediction files' only, until the switch
    app.toggle(key=SWITCH).set_value(True).run()
    assert training_uploader(app) is not None
    drop_training(app, [training_file(["a", "b", "c"]), training_file(["d"], "more.csv")])
    said = unescaped(texts(app))
    assert "**fine_tuning.csv** · 3 rows · columns id, completion" in said and "**more.csv** · 1 row ·" in said
    app.switch_page("pages/overview.py").run()
    app.switch_page("pages/data.py").run()  # kept in the session: listed, with the uploader, no switch needed
    assert training_uploader(app) is not None and "**fine_tuning.csv** · 3 rows" in unescaped(texts(app))
    drop_training(app, [training_file(["a", "b"])])  # the same name: takes its place
    said = unescaped(texts(app))
    assert "**fine_tuning.csv** · 2 rows" in said and "· 3 rows" not in said and "more.csv" in said
    remove = [b for b in app.button if (b.key or "").startswith("data_training_remove_")]
    assert len(remove) == 2
    remove[1].click().run()
    said = unescaped(texts(app))
    assert "more.csv" not in said and "**fine_tuning.csv** · 2 rows" in said


def test_leaked_ids_show_an_amber_box_right_after_the_verdict_and_a_changed_verdict(app: AppTest) -> None:
    ids = demo_ids()
    # every example only the fine-tune gets right, and every 10th example; two ids the test set does not have
    leaked = sorted(set(ids.loc[ids["improved"], "id"]) | set(ids["id"][::10]))
    drop_training(app, [training_file([*leaked, "other-1", "other-2"])])
    compare(app)
    screen = first_screen(app)
    kinds = [kind for kind, _ in screen]
    verdict = kinds.index("subheader") + 1
    assert screen[verdict][1].startswith("finetuned is significantly better than base on F1 (macro)")
    kind, box = screen[verdict + 1]
    assert kind == "warning"
    assert box.startswith(f"**{len(leaked)} of 899 test examples are in the fine-tuning data** ({len(leaked)} by id; "
                          "compared by id alone")
    assert "**finetuned**, Accuracy: better with them, worse without" in box  # none of its gains is left
    expander = next(e for e in app.expander if "leaked examples" in e.label)
    assert expander.label == f"Leakage: each difference with and without the {len(leaked)} leaked examples"
    frames = [frame.value for frame in expander.dataframe]
    table = next(frame for frame in frames if "verdict (without leaked)" in frame.columns)
    assert table.loc[table["metric"] == "Accuracy", "verdict (without leaked)"].item() == "worse"
    changed = (table["verdict (all)"] != table["verdict (without leaked)"]).sum()
    assert changed > 1 and f"Without them ({899 - len(leaked)} examples) {changed} verdicts change: " in box
    leaked_ids = next(frame for frame in frames if "by id" in frame.columns)
    assert sorted(leaked_ids["id"]) == leaked
    app.switch_page("pages/data.py").run()
    assert "checked against the fine-tuning data fine_tuning.csv" in unescaped(texts(app))


def test_nothing_leaked_is_one_green_line(app: AppTest) -> None:
    drop_training(app, [training_file(["other-1", "other-2"])])
    compare(app)
    captions = [unescaped(c.value) for c in app.caption]
    assert (":green[None of the 899 test examples were found in the fine-tuning data (by id; no prompt-like column "
            "to compare).]") in captions
    assert not [w for w in app.warning if "fine-tuning" in w.value]


def test_the_text_demos_fine_tuning_file_leaks_what_the_docs_say(app: AppTest) -> None:
    app.switch_page("pages/data.py").run()
    app.button(key="data_demo_generation").click().run()
    drop_training(app, [("generation_training.jsonl", (DEMO / "generation_training.jsonl").read_bytes())])
    compare(app)
    screen = first_screen(app)
    box = next(text for kind, text in screen if kind == "warning" and "fine-tuning data" in text)
    # docs/leakage.md: all 24 found, 16 by exact text, all 24 as near-duplicates; the BLEU gain stays significant
    assert box.startswith("**24 of 330 test examples are in the fine-tuning data** (0 by id, 16 by content, 24 "
                          "near-duplicates).")
    assert "Without them (306 examples) every verdict stays the same." in box


def test_the_regression_overview_shows_the_leak_too(app: AppTest) -> None:
    app.switch_page("pages/data.py").run()
    app.button(key="data_demo_regression").click().run()
    patients = pd.read_csv(DEMO / "regression_base.csv")["id"]
    drop_training(app, [training_file(list(patients[:20]))])
    compare(app)
    assert "Errors and power" in [s.value for s in app.subheader]  # the regression Overview
    box = next(w.value for w in app.warning if "fine-tuning data" in w.value)
    assert unescaped(box).startswith(f"**20 of {len(patients)} test examples are in the fine-tuning data** (20 by id")


def test_a_bad_fine_tuning_file_shows_the_engines_error_beside_it_and_nothing_is_lost(app: AppTest) -> None:
    drop_training(app, [training_file(["digit-0000"])])
    compare(app)
    shown = app.session_state["spec"]
    drop_training(app, [BAD])
    errors = [unescaped(e.value) for e in app.error]
    assert any(e.startswith("broken.jsonl") for e in errors), errors
    assert "**fine_tuning.csv** · 1 row ·" in unescaped(texts(app))  # the good file stays
    app.button(key="data_compare").click().run()
    assert app.title[0].value == "Data"
    assert app.session_state["spec"] == shown  # the comparison shown, with its good fine-tuning file, stays
    assert any("The fine-tuning data cannot be read" in unescaped(e.value) for e in app.error)
    remove = next(b for b in app.button if b.key == f"data_training_remove_{hashlib.sha256(BAD[1]).hexdigest()[:12]}")
    remove.click().run()
    assert not app.error and "broken.jsonl" not in unescaped(texts(app))


def test_uploaded_prediction_files_are_searched_and_kept(app: AppTest, demo_files: list[tuple[str, bytes]]) -> None:
    app.switch_page("pages/data.py").run()
    app.file_uploader[0].set_value([(name, content, "text/csv") for name, content in demo_files]).run()
    drop_training(app, [training_file(["digit-0000", "digit-0001"])])
    assert filenames(app) == ["base.csv", "finetuned.csv"]
    compare(app)
    assert any("**2 of 899 test examples" in w.value for w in app.warning)


def test_a_shared_link_carries_the_fine_tuning_data(share_db: Path) -> None:
    first = list(pd.read_csv(DEMO / "base.csv")["id"][:3])
    spec = state.ComparisonSpec(files=state.demo_spec().files, names=("base", "finetuned"), baseline="base",
                                training=(training_file(first),))
    token, _ = ShareStore(share_db).save(state.share_files(spec), state.share_payload(spec, state.DEFAULT_VIEW))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["c"] = token
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(unescaped(w.value).startswith("**3 of 899 test examples are in the fine-tuning data**")
               for w in at.warning)
    at.switch_page("pages/data.py").run()
    assert "fine-tuning data: fine_tuning.csv" in unescaped(texts(at))
