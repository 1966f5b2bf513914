from __future__ import annotations

import ast
from pathlib import Path

import pytest

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
PURE_MODULES = ["palette.py", "charts.py", "charts_common.py", "charts_metrics.py", "charts_differences.py",
                "charts_curves.py", "html_report.py"]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_builders_do_not_import_streamlit(module):
    tree = ast.parse((COMPONENTS / module).read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name.split(".")[0] == "streamlit"], imported


def test_charts_exports_exactly_the_contract():
    from components import charts

    assert sorted(charts.__all__) == sorted([
        "metric_intervals_figure", "difference_forest_figure", "per_class_figure", "per_class_difference_figure",
        "confusion_matrix_figure", "confusion_difference_figure", "pr_curve_figure", "roc_curve_figure",
        "threshold_metrics_figure", "reliability_figure", "slice_forest_figure", "flips_figure"])
    assert all(callable(getattr(charts, name)) for name in charts.__all__)
