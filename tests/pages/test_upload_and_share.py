"""Uploads, a bad file, shared links and the Share button, through AppTest."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from components import state
from components.share_store import ShareStore
from tests.pages.test_pages import texts

BAD = ("broken.csv", b"id,prediction,prob_0,prob_1\na,0,0.9,0.1\nb,1,0.2,0.8\n")


def upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    """Upload files through the Data page's file uploader."""
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].set_value([(name, content, "text/csv") for name, content in files]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def model_names(at: AppTest) -> list[Any]:
    """The Data page's model-name fields, one per kept file, in order (other text fields are left out)."""
    return [box for box in at.text_input if (box.key or "").startswith("data_name_")]


def unescaped(markdown: str) -> str:
    """The text Markdown escaped by ``evaluation.escape_markdown`` reads as (escapes and word joiners dropped)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def verdicts(at: AppTest) -> list[str]:
    return [unescaped(element.value) for element in (*at.success, *at.warning, *at.error, *at.info)]


def test_uploaded_files_are_named_and_compared(app: AppTest, binary_files: list[tuple[str, bytes]]) -> None:
    upload(app, binary_files)
    boxes = model_names(app)
    names = [box.value for box in boxes]
    assert names == ["binary_base", "binary_finetuned"]
    assert "binary (2 classes)" in texts(app) and "score **score**" in texts(app)
    boxes[0].set_value("two-feature")
    boxes[1].set_value("thirty-feature")
    app.selectbox(key="data_baseline").run()
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Overview"
    assert any(value.startswith("thirty-feature is significantly better than two-feature") for value in verdicts(app))
    assert not any("Demo data" in info.value for info in app.info)
    app.switch_page("pages/tradeoffs.py").run()
    assert "positive class **malignant**" in texts(app)


def test_uploading_the_demo_files_gives_the_demo_numbers(app: AppTest, demo_files: list[tuple[str, bytes]]) -> None:
    demo = next(frame.value for frame in app.dataframe if "p adjusted" in frame.value.columns)
    upload(app, demo_files).button(key="data_compare").click().run()
    uploaded = next(frame.value for frame in app.dataframe if "p adjusted" in frame.value.columns)
    assert uploaded.equals(demo)


def test_mapping_can_be_changed_before_computing(app: AppTest, demo_files: list[tuple[str, bytes]]) -> None:
    upload(app, demo_files)
    metadata = next(box for box in app.multiselect if box.key.endswith("_metadata"))
    assert metadata.value == ["scanner", "ink"]
    metadata.set_value(["ink"])
    app.button(key="data_compare").click().run()
    assert not app.exception
    app.switch_page("pages/slices.py").run()
    assert app.selectbox(key="slices_slice_column").options == ["ink"]


def test_a_bad_file_shows_its_error_beside_it_and_keeps_the_comparison(app: AppTest,
                                                                      demo_files: list[tuple[str, bytes]]) -> None:
    before = verdicts(app)
    upload(app, [demo_files[0], BAD])
    assert any("broken.csv" in unescaped(error.value) and "label" in unescaped(error.value) for error in app.error)
    app.button(key="data_compare").click().run()
    assert not app.exception
    assert app.title[0].value == "Data"  # stayed on the Data page, the error beside the file
    assert any("broken.csv" in unescaped(error.value) for error in app.error)
    app.switch_page("pages/overview.py").run()
    assert verdicts(app) == before  # the previous comparison is still shown


def test_an_error_found_only_when_loading_names_its_file(app: AppTest, demo_files: list[tuple[str, bytes]]) -> None:
    header, first, *rest = demo_files[1][1].decode().splitlines()
    cells = first.split(",")
    cells[3] = "7.5"  # prob_0 of the first row: not a probability
    corrupt = ("corrupt.csv", "\n".join([header, ",".join(cells), *rest]).encode() + b"\n")
    upload(app, [demo_files[0], corrupt])
    assert not app.error  # the columns are fine: only loading finds the problem
    app.button(key="data_compare").click().run()
    assert app.title[0].value == "Data"
    messages = [unescaped(error.value) for error in app.error]
    assert any("corrupt.csv" in message and "prob_0" in message for message in messages), messages


def test_files_that_do_not_pair_show_a_general_error(app: AppTest, demo_files: list[tuple[str, bytes]]) -> None:
    lines = demo_files[1][1].decode().splitlines()
    short = ("short.csv", ("\n".join(lines[:400]) + "\n").encode())  # ids missing from the second file
    upload(app, [demo_files[0], short])
    app.button(key="data_compare").click().run()
    assert app.title[0].value == "Data"
    assert any("same examples" in unescaped(error.value) for error in app.error), [e.value for e in app.error]


def save_share(demo_files: list[tuple[str, bytes]], path: Path, **view: object) -> tuple[str, str]:
    spec = state.ComparisonSpec(files=tuple(demo_files), names=("old", "new"), baseline="old",
                                settings=state.DASHBOARD_SETTINGS.__class__(resamples=1000, slice_resamples=200,
                                                                            confidence=0.9, alpha=0.01))
    return ShareStore(path).save(spec.files, state.share_payload(spec, dict(state.DEFAULT_VIEW) | view))


def test_a_shared_link_shows_the_same_comparison_read_only(share_db: Path, demo_files: list[tuple[str, bytes]]) -> None:
    token, _ = save_share(demo_files, share_db, threshold=0.35, class_label="6", slice_column="ink")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    at.query_params["c"] = token
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Shared view" in info.value for info in at.info)
    assert any(value.startswith("new is significantly better than old") for value in verdicts(at))
    assert "90% intervals" in texts(at) and "alpha 0.01" in texts(at) and "1,000 resamples" in texts(at)
    at.switch_page("pages/tradeoffs.py").run()
    assert at.selectbox(key="tradeoffs_class_label").value == "6"
    assert at.slider(key="tradeoffs_threshold").value == 0.35
    at.switch_page("pages/slices.py").run()
    assert at.selectbox(key="slices_slice_column").value == "ink"
    at.switch_page("pages/data.py").run()
    assert not at.get("file_uploader")
    assert "read-only" in texts(at)


def test_a_shared_link_has_the_numbers_of_the_original(share_db: Path, demo_files: list[tuple[str, bytes]]) -> None:
    original = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60).run()
    expected = next(frame.value for frame in original.dataframe if "p adjusted" in frame.value.columns)
    original.button(key="sidebar_share").click().run()
    link = next(code.value for code in original.code if "?c=" in code.value)
    token = link.rsplit("?c=", 1)[1]
    assert json.loads(json.dumps(ShareStore(share_db).load(token).payload))["names"] == ["base", "finetuned"]
    shared = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    shared.query_params["c"] = token
    shared.run()
    assert next(frame.value for frame in shared.dataframe if "p adjusted" in frame.value.columns).equals(expected)


def test_an_unknown_link_says_so_and_shows_the_demo(app: AppTest) -> None:
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    at.query_params["c"] = "A" * 32
    at.run()
    assert not at.exception
    assert any("unknown, expired or was deleted" in error.value for error in at.error)
    assert any("Demo data" in info.value for info in at.info)


def test_share_shows_link_and_key_once_and_delete_removes_it(app: AppTest, share_db: Path) -> None:
    app.button(key="sidebar_share").click().run()
    codes = [code.value for code in app.code]
    link = next(value for value in codes if "?c=" in value)
    token = link.rsplit("?c=", 1)[1]
    delete_key = next(value for value in codes if "?c=" not in value)
    assert link.startswith("http://") and len(token) == 32 and len(delete_key) == 32
    assert ShareStore(share_db).load(token) is not None
    app.run()
    assert [code.value for code in app.code] == [link]  # the delete key is shown only once
    app.button(key=f"sidebar_delete_{token}").click().run()
    assert not app.exception
    assert ShareStore(share_db).load(token) is None
    assert not [code.value for code in app.code]


def test_an_uploaded_file_is_named_as_the_command_line_names_it(app: AppTest,
                                                                 demo_files: list[tuple[str, bytes]]) -> None:
    import evaluation

    files = [(name.replace(".csv", ".txt"), content) for name, content in demo_files]
    upload(app, files)
    assert [box.value for box in model_names(app)] == [evaluation.model_name(name) for name, _ in files] == [
        "base", "finetuned"]
    assert app.file_uploader[0].allowed_type == [*evaluation.ACCEPTED_EXTENSIONS, ".gz"]
    app.button(key="data_compare").click().run()
    assert not app.exception and app.title[0].value == "Overview"
