"""``benchmarks/bench_first_page.py`` keeps working: its files load in the engine and one quick run completes.

No timing is asserted: the script prints times for a person to read (and the machine may be busy).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import evaluation
from benchmarks.bench_first_page import main, make_files


def test_the_generated_files_load_as_a_ten_class_comparison(tmp_path: Path) -> None:
    baseline, candidate = make_files(tmp_path, rows=500, classes=10)
    data = evaluation.load_classification([baseline, candidate])
    assert data.n_examples == 500
    assert data.classes == tuple(str(label) for label in range(10))
    assert data.model_names == (baseline.stem, candidate.stem)
    for model in data.models:
        assert model.y_score is not None and model.y_score.shape == (500, 10)
        np.testing.assert_allclose(model.y_score.sum(axis=1), 1, atol=1e-4)
    accuracy = [np.mean(model.y_pred == data.y_true) for model in data.models]
    assert accuracy[1] > accuracy[0]  # the candidate is the better model, as the docstring says


@pytest.mark.browser
def test_one_quick_run_of_the_yardstick_and_the_upload(tmp_path: Path) -> None:
    """The browser path end to end on small files (the demo's visits use the same waits as the upload's Overview)."""
    out = tmp_path / "first_page.json"
    summary = main(["--runs", "1", "--rows", "300", "--cases", "blank", "upload", "--json", str(out)])
    cases = ["blank, cold", "blank, warm", "upload, cold", "upload, warm"]
    assert list(summary) == cases
    for row in summary.values():
        assert row["runs"] == 1 and math.isfinite(row["median"]) and row["median"] > 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert [timing["case"] for timing in document["timings"]] == cases
    assert set(document["timings"][-1]["parts"]) >= {"files checked", "compare on server", "browser after"}
