"""The dashboard on a regression comparison: the demo, an upload detected as regression, every page that applies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from streamlit.testing.v1 import AppTest

from components import state
from components.share_store import ShareStore
from tests.pages.conftest import DEMO, ROOT
from tests.pages.test_pages import charts, texts
from tests.pages.test_upload_and_share import unescaped, upload


@pytest.fixture
def regression(app: AppTest) -> AppTest:
    """The app showing the regression demo (opened from the Data page)."""
    app.switch_page("pages/data.py").run()
    app.button(key="data_demo_regression").click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_the_regression_demo_shows_every_metric_equal_to_scikit_learn(regression: AppTest) -> None:
    regression.switch_page("pages/regression_overview.py").run()
    assert not regression.exception, [e.value for e in regression.exception]
    assert regression.title[0].value == "Overview"
    assert "Regression task · 177 paired examples" in texts(regression)
    verdict = [unescaped(v.value) for v in (*regression.info, *regression.success, *regression.warning, *regression.error)
               if "mean absolute error" in v.value.lower() or "Mean absolute error" in unescaped(v.value)]
    assert verdict and verdict[0].startswith("finetuned shows no significant difference from base on Mean absolute error")
    table = next(frame.value for frame in regression.dataframe if "metric" in frame.value.columns
                 and "finetuned" in frame.value.columns)
    base = pd.read_csv(DEMO / "regression_base.csv").set_index("id")
    tuned = pd.read_csv(DEMO / "regression_finetuned.csv").set_index("id").loc[base.index]
    mae = table.loc[table["metric"] == "Mean absolute error (lower is better)"].iloc[0]
    assert mae["base"].startswith(f"{skm.mean_absolute_error(base['label'], base['prediction']):.3f} [")
    assert mae["finetuned"].startswith(f"{skm.mean_absolute_error(tuned['label'], tuned['prediction']):.3f} [")
    r2 = table.loc[table["metric"] == "R²"].iloc[0]
    assert r2["finetuned"].startswith(f"{skm.r2_score(tuned['label'], tuned['prediction']):.3f} [")
    assert charts(regression) >= 2


@pytest.mark.parametrize(("page", "expected"), [
    ("pages/residuals.py", "larger absolute error"),
    ("pages/slices.py", "worst first"),
    ("pages/regression_examples.py", "examples"),
    ("pages/methods.py", "DeLong"),
])
def test_every_regression_page_renders(regression: AppTest, page: str, expected: str) -> None:
    regression.switch_page(page).run()
    assert not regression.exception, [e.value for e in regression.exception]
    assert expected in unescaped(texts(regression))
    assert not regression.error


def test_pages_that_do_not_apply_are_not_shown(regression: AppTest) -> None:
    for page in ("pages/per_class.py", "pages/tradeoffs.py", "pages/calibration.py", "pages/overview.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            regression.switch_page(page)
    regression.switch_page("pages/residuals.py").run()  # and those that apply are
    assert regression.title[0].value == "Residuals"


def test_slices_include_the_quartiles_of_the_true_value(regression: AppTest) -> None:
    regression.switch_page("pages/slices.py").run()
    assert "true value (quartile)" in regression.selectbox(key="slices_slice_column").options
    assert regression.selectbox(key="slices_metric").value == "mean_absolute_error"


def test_an_upload_with_non_integer_targets_is_detected_and_compared_as_regression(app: AppTest) -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(100, 15, size=120).round(2)
    files = []
    for name, noise in (("old.csv", 12.0), ("new.csv", 4.0)):
        frame = pd.DataFrame({"id": range(120), "label": y, "prediction": (y + rng.normal(0, noise, size=120)).round(2),
                              "region": np.where(np.arange(120) % 2, "east", "west")})
        files.append((name, frame.to_csv(index=False).encode()))
    upload(app, files)
    assert "rows · regression · detected" in unescaped(texts(app))
    assert app.selectbox(key="data_task").format_func(None) == "automatic"
    assert "Detected from the first file: **regression**" in texts(app)
    app.button(key="data_compare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Overview"
    verdicts = [unescaped(v.value) for v in (*app.success, *app.info, *app.warning, *app.error)]
    assert any(v.startswith("new is significantly better than old on Mean absolute error") for v in verdicts), verdicts


def test_a_shared_regression_link_reopens_as_regression(share_db, regression: AppTest) -> None:
    regression.sidebar.button(key="sidebar_share").click().run()
    link = next(code.value for code in regression.sidebar.code if "?c=" in code.value)
    token = link.split("?c=")[1]
    shared = ShareStore(share_db).load(token)
    assert shared is not None and shared.payload["task"] == "regression"
    viewer = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    viewer.query_params["c"] = token
    viewer.run()
    assert not viewer.exception
    assert "Regression task · 177 paired examples" in texts(viewer)
    assert state.spec_from_share(shared)[0].resolved_task == "regression"
