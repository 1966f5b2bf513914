"""Pure Plotly figure builders for a :class:`evaluation.ComparisonReport` (no streamlit).

Every builder returns a ``go.Figure`` with a title, axis titles and the ``plotly_white`` template;
undefined (NaN) values are left out or marked "n/a", and the curve and calibration builders return a
figure with an explanatory annotation when the report has no probabilities.
"""

from __future__ import annotations

from .charts_curves import pr_curve_figure, reliability_figure, roc_curve_figure, threshold_metrics_figure
from .charts_differences import (
    difference_forest_figure,
    flips_figure,
    per_class_difference_figure,
    slice_forest_figure,
)
from .charts_metrics import (
    confusion_difference_figure,
    confusion_matrix_figure,
    metric_intervals_figure,
    per_class_figure,
)

__all__ = [
    "confusion_difference_figure",
    "confusion_matrix_figure",
    "difference_forest_figure",
    "flips_figure",
    "metric_intervals_figure",
    "per_class_difference_figure",
    "per_class_figure",
    "pr_curve_figure",
    "reliability_figure",
    "roc_curve_figure",
    "slice_forest_figure",
    "threshold_metrics_figure",
]
