"""Every page renders the demo comparison without an exception and shows what it is for."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

DEMO_VERDICT = "finetuned is significantly better than base on F1 (macro)"


def texts(at: AppTest) -> str:
    """Every piece of text of the current page (markdown, captions, alerts, titles, headers)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        parts += [str(element.value) for element in at.get(kind)]
    return "\n".join(parts)


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def test_opens_on_the_demo_with_a_note_and_the_verdict(app: AppTest) -> None:
    assert app.title[0].value == "Overview"
    assert any("Demo data" in info.value for info in app.info)
    verdicts = [element.value for element in (*app.success, *app.warning, *app.error, *app.info)]
    assert any(DEMO_VERDICT in value for value in verdicts)
    assert charts(app) >= 3  # intervals, forest plot of differences, flips
    assert "Minimum detectable difference" in [metric.label for metric in app.metric]
    downloads = [button.label for button in app.sidebar.get("download_button")]
    assert downloads == ["HTML report", "Metrics (CSV)", "Full report (JSON)"]


def test_overview_tables_hold_formatted_numbers(app: AppTest) -> None:
    import pandas as pd
    from sklearn.metrics import f1_score

    from components.state import DEMO_FILES

    base, finetuned = (pd.read_csv(path) for path in DEMO_FILES)
    expected = (f1_score(finetuned["label"], finetuned["prediction"], average="macro")
                - f1_score(base["label"], base["prediction"], average="macro"))
    frames = [element.value for element in app.dataframe]
    differences = next(frame for frame in frames if "p adjusted" in frame.columns)
    f1 = differences.loc[differences["metric"] == "F1 (macro)"].iloc[0]
    assert f1["difference"] == f"{expected:+.3f}"
    assert f1["verdict"] == "better"


@pytest.mark.parametrize(("page", "expected"), [
    ("pages/data.py", "Prediction files"),
    ("pages/per_class.py", "Confusion matrices"),
    ("pages/tradeoffs.py", "Suggested operating points"),
    ("pages/calibration.py", "Calibration metrics"),
    ("pages/slices.py", "worst first"),
    ("pages/examples.py", "flipped examples"),
    ("pages/methods.py", "DeLong"),
])
def test_every_page_renders_the_demo(app: AppTest, page: str, expected: str) -> None:
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert expected in texts(app)
    assert not app.error


def test_per_class_metric_choice_and_normalised_confusion(app: AppTest) -> None:
    app.switch_page("pages/per_class.py").run()
    table = next(frame.value for frame in app.dataframe if "class" in frame.value.columns)
    digit_0 = table.loc[table["class"] == "0"].iloc[0]  # recall of digit 0 drops by 0.09: p 0.008, 0.08 after Holm
    # Its interval excludes 0, so the verdict says why it is not significant: the correction across 10 classes.
    assert digit_0["difference"] == "-0.090"
    assert digit_0["verdict"].startswith("no significant difference (interval not adjusted; not significant after "
                                         "Holm correction for 10 tests (adjusted p = 0.0")
    app.button_group(key="per_class_metric").set_value("f1").run()
    assert "per-class f1" in app.get("plotly_chart")[0].proto.spec.lower()
    app.toggle[0].set_value(True).run()
    assert not app.exception
    assert charts(app) == 5  # per-class values, differences, two confusion matrices, their difference


def test_slices_page_lists_metadata_columns_worst_first(app: AppTest) -> None:
    app.switch_page("pages/slices.py").run()
    column = app.selectbox(key="slices_slice_column")
    assert column.options == ["scanner", "ink"]
    table = next(frame.value for frame in app.dataframe if "verdict" in frame.value.columns)
    assert table.iloc[0]["value"] == "fax" and table.iloc[0]["verdict"] == "worse"
    column.set_value("ink").run()
    assert not app.exception
    table = next(frame.value for frame in app.dataframe if "verdict" in frame.value.columns)
    assert set(table["column"]) == {"ink"}


def test_examples_filter_by_kind_class_and_slice(app: AppTest) -> None:
    app.switch_page("pages/examples.py").run()
    everything = app.dataframe[0].value
    assert set(everything["kind"]) == {"regression", "improvement"}
    app.multiselect(key="examples_kinds").set_value(["regression"]).run()
    app.multiselect(key="examples_classes").set_value(["0"]).run()
    app.selectbox(key="examples_slice_column").set_value("scanner").run()
    app.multiselect(key="examples_slice_values").set_value(["fax"]).run()
    shown = app.dataframe[0].value
    assert len(shown) > 0
    assert set(shown["kind"]) == {"regression"} and set(shown["label"].astype(str)) == {"0"}
    assert set(shown["scanner"]) == {"fax"}
    assert app.get("download_button")


def test_threshold_slider_changes_the_numbers(app: AppTest) -> None:
    app.switch_page("pages/tradeoffs.py").run()
    before = app.table[0].value.copy()
    app.slider(key="tradeoffs_threshold").set_value(0.9).run()
    after = app.table[0].value
    assert not app.exception
    assert list(after.index) == ["base", "finetuned"]
    assert not before["recall"].equals(after["recall"])
    assert "At threshold 0.90" in texts(app)


def test_threshold_and_class_persist_across_pages(app: AppTest) -> None:
    app.switch_page("pages/tradeoffs.py").run()
    app.selectbox(key="tradeoffs_class_label").set_value("3").run()
    app.slider(key="tradeoffs_threshold").set_value(0.3).run()
    app.switch_page("pages/overview.py").run()
    app.switch_page("pages/tradeoffs.py").run()
    assert app.selectbox(key="tradeoffs_class_label").value == "3"
    assert app.slider(key="tradeoffs_threshold").value == pytest.approx(0.3)


def test_settings_recompute_the_comparison(app: AppTest) -> None:
    app.switch_page("pages/data.py").run()
    app.selectbox(key="data_confidence").set_value(0.9)
    app.selectbox(key="data_resamples").set_value(1000)
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Overview"
    assert "90% intervals" in texts(app)
    assert "1,000 resamples" in texts(app)


def html_blocks(at: AppTest, marker: str) -> list[str]:
    """The bodies of the page's ``st.html`` elements that contain ``marker``."""
    return [element.proto.body for element in at.get("html") if marker in element.proto.body]


def test_overview_opens_with_a_scorecard_right_after_the_verdict(app: AppTest) -> None:
    import pandas as pd
    from sklearn.metrics import accuracy_score, f1_score

    from components.state import DEMO_FILES

    headers = [element.value for element in app.subheader]
    assert headers[:3] == ["Verdict", "Scorecard", "Headline metrics"]
    (card,) = html_blocks(app, "model-compare-scorecard")
    base, finetuned = (pd.read_csv(path) for path in DEMO_FILES)
    f1 = [f1_score(frame["label"], frame["prediction"], average="macro") for frame in (base, finetuned)]
    accuracy = [accuracy_score(frame["label"], frame["prediction"]) for frame in (base, finetuned)]
    for value in (*f1, *accuracy):
        assert f">{value:.3f}<" in card
    assert f">{f1[1] - f1[0]:+.3f}<" in card
    assert "F1 (macro)" in card and "Accuracy" in card and "ROC AUC" in card and "primary" in card
    assert "> better</span>" in card and "#009E73" in card  # the verdict in the better colour
    assert not html_blocks(app, "model-compare-leaderboard")  # one candidate: no leaderboard


def test_overview_ranks_three_candidates_in_a_leaderboard(app: AppTest) -> None:
    from tests.components.test_scorecard import three_demo_files
    from tests.pages.test_upload_and_share import upload

    upload(app, three_demo_files()).button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Overview"
    headers = [element.value for element in app.subheader]
    assert headers[:4] == ["Verdict", "Scorecard", "Leaderboard", "Headline metrics"]
    (board,) = html_blocks(app, "model-compare-leaderboard")
    assert board.index(">finetuned<") < board.index(">degraded<")  # finetuned improves F1, degraded does not
    assert "worse classes" in board and "worse slices" in board
    (card,) = html_blocks(app, "model-compare-scorecard")
    assert card.count("<tr>") == 4  # header, base, finetuned, degraded


def test_regression_overview_opens_with_a_scorecard(app: AppTest) -> None:
    import pandas as pd
    from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    from components.state import REGRESSION_DEMO_FILES

    app.switch_page("pages/data.py").run()
    app.button(key="data_demo_regression").click().run()
    app.switch_page("pages/regression_overview.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert [element.value for element in app.subheader][:3] == ["Verdict", "Scorecard", "Metrics"]
    (card,) = html_blocks(app, "model-compare-scorecard")
    base, finetuned = (pd.read_csv(path).set_index("id") for path in REGRESSION_DEMO_FILES)
    finetuned = finetuned.loc[base.index]
    for frame in (base, finetuned):
        for metric in (mean_absolute_error, root_mean_squared_error, r2_score):
            assert f">{metric(frame['label'], frame['prediction']):.3f}<" in card
    assert "Mean absolute error" in card and "lower is better" in card and "R²" in card
    assert not html_blocks(app, "model-compare-leaderboard")
