"""One candidate and one baseline for every page and for share links, through AppTest."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.test_data_page import compare, drop, report
from tests.pages.test_pages import texts
from tests.pages.test_upload_and_share import unescaped

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def three(app: AppTest, demo_files: list[tuple[str, bytes]]) -> AppTest:
    """The demo's two files and a third (a copy of the base model's predictions), compared."""
    drop(app, [*demo_files, ("third.csv", demo_files[0][1])])
    compare(app)
    assert app.title[0].value == "Overview"
    assert [c.candidate for c in report(app).comparisons] == ["finetuned", "third"]
    return app


def flips(demo_files: list[tuple[str, bytes]]) -> tuple[int, int]:
    """Examples the base model gets right and the fine-tuned one wrong, and the reverse (counted with pandas)."""
    base, tuned = (pd.read_csv(io.BytesIO(content)) for _, content in demo_files)
    both = base.merge(tuned, on="id", suffixes=("_base", "_tuned"))
    base_right = both["prediction_base"] == both["label_base"]
    tuned_right = both["prediction_tuned"] == both["label_tuned"]
    return int((base_right & ~tuned_right).sum()), int((~base_right & tuned_right).sum())


def caption(at: AppTest) -> str:
    return next(unescaped(text) for text in texts(at).splitlines() if text.startswith("**Regression**"))


def test_the_candidate_chosen_on_one_page_is_shown_on_the_others(three: AppTest,
                                                                 demo_files: list[tuple[str, bytes]]) -> None:
    regressions, improvements = flips(demo_files)
    three.switch_page("pages/examples.py").run()
    assert three.selectbox(key="examples_candidate").value == "finetuned"
    assert caption(three).endswith(f"{regressions:,} regressions, {improvements:,} improvements.")
    three.selectbox(key="examples_candidate").set_value("third").run()
    assert "base was right and third is wrong" in caption(three)
    assert caption(three).endswith("0 regressions, 0 improvements.")  # the same predictions as base
    three.switch_page("pages/per_class.py").run()
    assert three.selectbox(key="per_class_candidate").value == "third"
    assert any("third minus base" in chart.proto.spec for chart in three.get("plotly_chart"))
    three.switch_page("pages/slices.py").run()
    assert three.selectbox(key="slices_candidate").value == "third"
    three.switch_page("pages/examples.py").run()
    assert three.selectbox(key="examples_candidate").value == "third"
    assert caption(three).endswith("0 regressions, 0 improvements.")


def test_a_shared_link_opens_on_the_chosen_candidate(three: AppTest, share_db: Path) -> None:
    from components.share_store import ShareStore

    three.switch_page("pages/per_class.py").run()
    three.selectbox(key="per_class_candidate").set_value("third").run()
    three.button(key="sidebar_share").click().run()
    assert not three.exception, [e.value for e in three.exception]
    link = next(code.value for code in three.code if "?c=" in code.value)
    token = link.rsplit("?c=", 1)[1]
    saved = ShareStore(share_db).load(token)
    assert saved is not None and saved.payload["view"]["candidate"] == "third"
    shared = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    shared.query_params["c"] = token
    shared.run()
    assert not shared.exception, [e.value for e in shared.exception]
    shared.switch_page("pages/examples.py").run()
    assert any("Shared view" in info.value for info in shared.info)
    assert shared.selectbox(key="examples_candidate").value == "third"
    assert "base was right and third is wrong" in caption(shared)
    assert not [box for box in shared.selectbox if box.key == "examples_baseline"]  # read-only: no baseline choice
    shared.switch_page("pages/per_class.py").run()
    assert shared.selectbox(key="per_class_candidate").value == "third"


def test_compare_against_makes_any_model_the_baseline_of_every_page(three: AppTest,
                                                                     demo_files: list[tuple[str, bytes]]) -> None:
    regressions, improvements = flips(demo_files)
    three.switch_page("pages/examples.py").run()
    assert three.selectbox(key="examples_baseline").options == ["base", "finetuned", "third"]
    three.selectbox(key="examples_baseline").set_value("third").run()  # candidate against candidate
    assert report(three).baseline == "third"
    assert three.selectbox(key="examples_candidate").options == ["base", "finetuned"]
    three.selectbox(key="examples_candidate").set_value("finetuned").run()
    # third holds base's predictions: finetuned against third flips what finetuned against base flips.
    assert "third was right and finetuned is wrong" in caption(three)
    assert caption(three).endswith(f"{regressions:,} regressions, {improvements:,} improvements.")
    three.selectbox(key="examples_baseline").set_value("finetuned").run()  # the candidate's model: the pair swaps
    assert report(three).baseline == "finetuned"
    assert three.selectbox(key="examples_candidate").value == "third"
    assert caption(three).endswith(f"{improvements:,} regressions, {regressions:,} improvements.")
    three.switch_page("pages/per_class.py").run()
    assert "baseline **finetuned**" in texts(three)
    assert three.selectbox(key="per_class_candidate").value == "third"
    three.switch_page("pages/data.py").run()
    assert three.selectbox(key="data_baseline").value == "finetuned.csv"  # the Data page's files follow


def test_a_regression_comparison_keeps_its_candidate_across_pages(app: AppTest) -> None:
    demo = ROOT / "data" / "demo"
    base, tuned = ((demo / name).read_bytes() for name in ("regression_base.csv", "regression_finetuned.csv"))
    drop(app, [("regression_base.csv", base), ("regression_finetuned.csv", tuned), ("copy.csv", base)])
    app.selectbox(key="data_task").set_value("regression").run()  # whole-number targets: chosen, not detected
    compare(app)
    assert app.title[0].value == "Overview"
    app.switch_page("pages/residuals.py").run()
    assert app.selectbox(key="residuals_candidate").options == ["regression_finetuned", "copy"]
    app.selectbox(key="residuals_candidate").set_value("copy").run()
    app.switch_page("pages/regression_examples.py").run()
    assert app.selectbox(key="examples_candidate").value == "copy"
    # copy holds the baseline's predictions: every example's error is unchanged.
    examples = app.dataframe[0].value
    assert len(examples) == 0 and f"0 of {len(pd.read_csv(io.BytesIO(base))):,} examples" in texts(app)
