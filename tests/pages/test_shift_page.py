"""The Shift page through AppTest: the explanation and the uploader without a production file; with the demo's
production traffic, the numbers worked out here from the files (slice shares counted with pandas, the scanner's
Jensen-Shannon distance from SciPy, the re-weighted accuracy by hand); a bad file's message; which tasks show it."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import DEMO
from tests.pages.test_pages import texts
from tests.pages.test_upload_and_share import unescaped


def metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


@pytest.fixture
def shift(app: AppTest) -> AppTest:
    """The Shift page of the classification demo with the demo's production file loaded."""
    app.switch_page("pages/shift.py").run()
    app.button(key="shift_demo").click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_without_a_production_file_the_page_explains_and_offers_the_uploader(app: AppTest) -> None:
    app.switch_page("pages/shift.py").run()
    assert not app.exception, [e.value for e in app.exception]
    said = unescaped(texts(app))
    assert "The test set here is the baseline's file, **base.csv** (**base**)" in said
    assert "Without a production file there is nothing to compare." in said
    assert [u.label.split(":")[0] for u in app.file_uploader] == ["Production file"]
    assert app.button(key="shift_demo").label.startswith("Load the demo's production traffic")
    assert not app.get("plotly_chart") and not app.error


def test_the_demo_production_file_gives_the_numbers_worked_out_from_the_files(shift: AppTest) -> None:
    test, production = pd.read_csv(DEMO / "base.csv"), pd.read_csv(DEMO / "shift_production.csv")
    assert metric(shift, "Drifted columns") == "3 of 4"  # docs/shift.md: scanner, ink and confidence
    said = unescaped(texts(shift))
    assert "**3 of 4 columns drifted**: scanner, ink, confidence." in said
    assert "0.5 means no detectable shift" in said
    assert f"899 test rows (base.csv), {len(production)} production rows (shift_production.csv)" in said
    # the scanner's effect size: the Jensen-Shannon distance (base 2) of the two samples' shares
    shares = pd.DataFrame({"test": test["scanner"].value_counts(normalize=True),
                           "production": production["scanner"].value_counts(normalize=True)}).fillna(0)
    columns = next(f.value for f in shift.dataframe if "drifted" in f.value.columns)
    scanner = columns.loc[columns["column"] == "scanner"].iloc[0]
    assert scanner["value"] == f"{jensenshannon(shares['test'], shares['production'], base=2):.3f}"
    assert scanner["drifted"] == "yes"
    assert columns.loc[columns["column"] == "prediction", "drifted"].item() == "no"
    assert list(columns["column"]) == ["ink", "scanner", "confidence", "prediction"]  # the largest effect first
    # the re-weighting table: each slice's shares of the two files
    slices = next(f.value for f in shift.dataframe if "production share" in f.value.columns).set_index("slice")
    for name, row in shares.iterrows():
        assert slices.loc[name, "test share"] == f"{row['test']:.1%}"
        assert slices.loc[name, "production share"] == f"{row['production']:.1%}"
    # the expected accuracy: each scanner's test-set accuracy weighted by production's share of it
    accuracy = (test["prediction"] == test["label"]).groupby(test["scanner"]).mean()
    expected = float((accuracy * shares["production"]).sum())
    assert metric(shift, "Accuracy expected on production") == f"{expected:.2f}"
    assert f"on the test set {(test['prediction'] == test['label']).mean():.2f}" in said
    assert len(shift.get("plotly_chart")) == 2  # the effect sizes, the slice mix


def test_the_production_file_is_kept_and_a_bad_one_says_why(shift: AppTest) -> None:
    shift.switch_page("pages/overview.py").run()
    shift.switch_page("pages/shift.py").run()
    assert metric(shift, "Drifted columns") == "3 of 4"  # kept in the session
    shift.file_uploader[0].set_value(("unrelated.csv", b"colour\nred\nblue\n", "text/csv")).run()
    assert not shift.exception, [e.value for e in shift.exception]
    errors = [unescaped(e.value) for e in shift.error]
    assert len(errors) == 1 and errors[0].startswith("unrelated.csv"), errors
    shift.button(key="shift_production_remove").click().run()
    assert not shift.error and "Without a production file" in unescaped(texts(shift))


def test_the_shift_page_is_there_for_regression_and_not_for_generation(app: AppTest) -> None:
    app.switch_page("pages/data.py").run()
    app.button(key="data_demo_regression").click().run()
    app.switch_page("pages/shift.py").run()
    assert app.title[0].value == "Shift" and not app.exception
    assert "regression_base.csv" in unescaped(texts(app))
    assert not [b for b in app.button if b.key == "shift_demo"]  # the demo traffic is the digits model's
    app.switch_page("pages/data.py").run()
    app.button(key="data_demo_generation").click().run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("pages/shift.py")
