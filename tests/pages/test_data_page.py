"""The Data page keeps its files in the session: add, replace, remove, choose the baseline, through AppTest."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import TextInput

from tests.pages.test_pages import texts
from tests.pages.test_upload_and_share import unescaped

BAD = ("broken.csv", b"id,prediction,prob_0,prob_1\na,0,0.9,0.1\nb,1,0.2,0.8\n")


def drop(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    """Drop files on the Data page's uploader (there is one; its key changes after each upload)."""
    if at.title[0].value != "Data":
        at.switch_page("pages/data.py").run()
    assert len(at.file_uploader) == 1
    uploader = at.file_uploader[0]
    value = [(name, content, "text/csv") for name, content in files]
    uploader.set_value(value if uploader.accept_multiple_files else value[0]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def name_boxes(at: AppTest) -> list[TextInput]:
    """The model-name fields of the listed files, in order."""
    return [box for box in at.text_input if (box.key or "").startswith("data_name_")]


def name_box(at: AppTest, filename: str) -> TextInput:
    """The model-name field of one listed file."""
    return next(box for box in name_boxes(at) if unescaped(box.label) == f"Model name for **{filename}**")


def listed(at: AppTest) -> list[str]:
    """The model names of the listed files, in order."""
    return [str(box.value) for box in name_boxes(at)]


def filenames(at: AppTest) -> list[str]:
    """The files the model-name fields are for, in order."""
    return [unescaped(box.label).removeprefix("Model name for **").removesuffix("**")
            for box in name_boxes(at)]


def baseline_rows(at: AppTest) -> list[str]:
    """The descriptions of the files marked as the baseline."""
    return [element.value for element in at.markdown if element.value.startswith(":blue-badge[baseline]")]


def compare(at: AppTest) -> AppTest:
    at.button(key="data_compare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def report(at: AppTest) -> Any:
    """The report the session computed last."""
    return at.session_state["_results"][1].report


def at_files(at: AppTest) -> list[tuple[str, bytes]]:
    """The files of the comparison on display."""
    return list(at.session_state["spec"].files)


def test_kept_files_are_listed_after_switching_pages(app: AppTest, demo_files: list[tuple[str, bytes]]) -> None:
    drop(app, demo_files)
    name_box(app, "finetuned.csv").set_value("tuned").run()
    app.selectbox(key="data_baseline").set_value("finetuned.csv").run()
    app.switch_page("pages/overview.py").run()
    assert app.title[0].value == "Overview"
    app.switch_page("pages/data.py").run()
    assert filenames(app) == ["base.csv", "finetuned.csv"]
    assert listed(app) == ["base", "tuned"]
    assert "899 rows · multiclass (10 classes)" in texts(app)
    assert len(baseline_rows(app)) == 1 and "899 rows" in baseline_rows(app)[0]
    assert app.selectbox(key="data_baseline").value == "finetuned.csv"
    assert app.selectbox(key="data_baseline").options == ["base (base.csv)", "tuned (finetuned.csv)"]
    assert "2 files kept in this session" in texts(app)
    compare(app)
    assert report(app).baseline == "tuned" and [c.candidate for c in report(app).comparisons] == ["base"]


def test_a_file_dropped_with_a_kept_name_replaces_only_that_one(app: AppTest,
                                                                demo_files: list[tuple[str, bytes]]) -> None:
    (base_name, base), (tuned_name, _) = demo_files
    drop(app, demo_files)
    app.selectbox(key="data_baseline").set_value("finetuned.csv").run()
    drop(app, [(tuned_name, base)])  # a "corrected" finetuned.csv: the base model's predictions
    assert filenames(app) == ["base.csv", "finetuned.csv"] and listed(app) == ["base", "finetuned"]
    assert app.selectbox(key="data_baseline").value == "finetuned.csv"  # the replaced file stays the baseline
    drop(app, [(base_name, base)])  # replacing the other one keeps the baseline too
    assert app.selectbox(key="data_baseline").value == "finetuned.csv"
    compare(app)
    comparison = report(app).comparisons[0]
    assert (report(app).baseline, comparison.candidate) == ("finetuned", "base")
    # The same predictions on both sides now: no example is right for only one of them.
    assert (comparison.accuracy_test.baseline_only, comparison.accuracy_test.candidate_only) == (0, 0)
    assert at_files(app) == [(base_name, base), (tuned_name, base)]


def test_the_replace_button_puts_a_renamed_file_in_its_place(app: AppTest,
                                                             demo_files: list[tuple[str, bytes]]) -> None:
    (_, base), (_, tuned) = demo_files
    drop(app, [*demo_files, ("third.csv", base)])
    name_box(app, "third.csv").set_value("my third").run()
    app.selectbox(key="data_baseline").set_value("finetuned.csv").run()
    app.button(key="data_replace_1").click().run()  # finetuned.csv, the baseline
    uploader = app.file_uploader[0]
    assert not uploader.accept_multiple_files
    assert "finetuned\\.csv" in uploader.label
    drop(app, [("finetuned_v2.csv", tuned)])
    assert filenames(app) == ["base.csv", "finetuned_v2.csv", "third.csv"]
    assert listed(app) == ["base", "finetuned_v2", "my third"]  # a default name follows the file, a chosen one stays
    assert app.selectbox(key="data_baseline").value == "finetuned_v2.csv"
    assert app.file_uploader[0].accept_multiple_files  # back to adding files
    app.button(key="data_replace_2").click().run()
    app.button(key="data_cancel_replace").click().run()
    assert app.file_uploader[0].accept_multiple_files
    app.button(key="data_replace_2").click().run()
    drop(app, [("third_v2.csv", tuned)])
    assert filenames(app) == ["base.csv", "finetuned_v2.csv", "third_v2.csv"]
    assert listed(app) == ["base", "finetuned_v2", "my third"]


def test_removing_a_file_keeps_the_others(app: AppTest, demo_files: list[tuple[str, bytes]]) -> None:
    (_, base), _ = demo_files
    drop(app, [*demo_files, ("third.csv", base)])
    app.selectbox(key="data_baseline").set_value("third.csv").run()
    app.button(key="data_remove_1").click().run()
    assert filenames(app) == ["base.csv", "third.csv"]
    assert app.selectbox(key="data_baseline").value == "third.csv"
    app.button(key="data_remove_1").click().run()  # the baseline's file: the first file becomes the baseline
    assert filenames(app) == ["base.csv"]
    assert app.selectbox(key="data_baseline").value == "base.csv"
    assert "Upload at least two files" in texts(app)
    assert app.button(key="data_compare").disabled
    app.button(key="data_remove_0").click().run()
    assert filenames(app) == [] and "No files uploaded yet" in texts(app)


def test_a_bad_file_added_later_is_named_and_the_others_stay(app: AppTest,
                                                             demo_files: list[tuple[str, bytes]]) -> None:
    drop(app, demo_files)
    name_box(app, "finetuned.csv").set_value("tuned").run()
    drop(app, [BAD])
    assert filenames(app) == ["base.csv", "finetuned.csv", "broken.csv"]
    assert listed(app) == ["base", "tuned", "broken"]
    errors = [unescaped(error.value) for error in app.error]
    assert len(errors) == 1 and "broken.csv" in errors[0] and "label" in errors[0]
    compare(app)
    assert app.title[0].value == "Data"  # not computed; the files are all still there
    assert filenames(app) == ["base.csv", "finetuned.csv", "broken.csv"]
    assert any("broken.csv" in unescaped(error.value) for error in app.error)
    app.button(key="data_remove_2").click().run()
    assert not app.error
    compare(app)
    assert app.title[0].value == "Overview"
    assert [c.candidate for c in report(app).comparisons] == ["tuned"] and report(app).baseline == "base"


def test_the_chosen_baseline_is_the_one_compared_with(app: AppTest, demo_files: list[tuple[str, bytes]]) -> None:
    drop(app, demo_files)
    app.selectbox(key="data_baseline").set_value("finetuned.csv").run()
    badges = [element.value for element in app.markdown if "rows ·" in element.value]
    assert [value.startswith(":blue-badge[baseline]") for value in badges] == [False, True]
    compare(app)
    assert "baseline **finetuned**" in texts(app)
    comparison = report(app).comparisons[0]
    assert (comparison.baseline, comparison.candidate) == ("finetuned", "base")
    # base is worse than finetuned on the demo: the demo's verdict, seen from the other side.
    assert comparison.metrics["f1_macro"].verdict == "worse"


def test_without_uploads_the_baseline_of_the_comparison_shown_can_change(app: AppTest) -> None:
    app.switch_page("pages/data.py").run()
    box = app.selectbox(key="data_baseline")
    assert (box.options, box.value) == (["base", "finetuned"], "base")
    box.set_value("finetuned").run()
    compare(app)
    assert report(app).baseline == "finetuned" and at_files(app)[0][0] == "base.csv"


def test_a_changed_column_mapping_is_kept_while_another_page_is_shown(app: AppTest,
                                                                      demo_files: list[tuple[str, bytes]]) -> None:
    drop(app, demo_files)
    metadata = next(box for box in app.multiselect if (box.key or "").endswith("_metadata"))
    assert metadata.value == ["scanner", "ink"]
    metadata.set_value(["ink"]).run()
    app.switch_page("pages/methods.py").run()
    app.switch_page("pages/data.py").run()
    assert next(box for box in app.multiselect if (box.key or "").endswith("_metadata")).value == ["ink"]
    compare(app)
    app.switch_page("pages/slices.py").run()
    assert app.selectbox(key="slices_slice_column").options == ["ink"]


def test_the_class_order_chosen_is_the_order_of_every_table(app: AppTest, demo_files: list[tuple[str, bytes]]) -> None:
    drop(app, demo_files)
    order = next(box for box in app.multiselect if (box.key or "").endswith("_class_order"))
    order.select("9").select("3").run()
    compare(app)
    assert report(app).classes == ("9", "3", "0", "1", "2", "4", "5", "6", "7", "8")
    app.switch_page("pages/per_class.py").run()
    table = next(frame.value for frame in app.dataframe if "class" in frame.value.columns)
    assert list(table["class"])[:3] == ["9", "3", "0"]


def test_generated_text_files_open_the_generation_overview(app: AppTest) -> None:
    rows = b'{"id": 1, "output": "a cat", "reference": "the cat"}\n{"id": 2, "output": "dog", "reference": "a dog"}\n'
    better = b'{"id": 1, "output": "the cat", "reference": "the cat"}\n{"id": 2, "output": "a dog", "reference": "a dog"}\n'
    drop(app, [("base.jsonl", rows), ("tuned.jsonl", better)])
    compare(app)
    assert app.title[0].value == "Overview"  # the generation task's Overview
    assert "Generation task · 2 paired examples" in texts(app)
    assert not app.error
    said = " ".join(unescaped(box.value) for box in (*app.success, *app.info, *app.warning))
    assert "tuned" in said and "BLEU" in said
