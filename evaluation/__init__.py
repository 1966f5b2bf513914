"""Is the fine-tuned model really better? Paired, statistically honest comparison of model versions.

The engine behind the dashboard, the command line (``python -m evaluation``) and the reports. It
never imports streamlit or plotly.

Typical use::

    from evaluation import load_classification, compare, report_to_dict
    data = load_classification(["base.csv", "finetuned.csv"])
    report = compare(data)
"""

from ._compare import CI_METHODS, compare
from ._data import ClassificationData, ColumnMapping, LoadOptions, ModelData
from ._errors import EvaluationError
from ._flips import flip_table
from ._loading import FileSummary, inspect_file, load_classification
from ._metrics import METRICS, MetricInfo
from ._multiple import CORRECTIONS, adjust_p_values
from ._report import SCHEMA_VERSION, format_number, report_to_dict, report_to_markdown, verdict_sentence
from ._results import (
    AccuracyTest,
    CalibrationCurve,
    Comparison,
    ComparisonReport,
    ConfusionMatrix,
    Difference,
    Estimate,
    FlipCounts,
    Flips,
    ModelReport,
    OperatingPoint,
    Power,
    Settings,
    SliceFlips,
    SliceMetric,
    SliceResult,
    ThresholdCurve,
)
from ._slices import slice_labels
from ._thresholds import metrics_at_threshold

__all__ = [
    "CI_METHODS",
    "CORRECTIONS",
    "METRICS",
    "SCHEMA_VERSION",
    "AccuracyTest",
    "CalibrationCurve",
    "ClassificationData",
    "ColumnMapping",
    "Comparison",
    "ComparisonReport",
    "ConfusionMatrix",
    "Difference",
    "Estimate",
    "EvaluationError",
    "FileSummary",
    "FlipCounts",
    "Flips",
    "LoadOptions",
    "MetricInfo",
    "ModelData",
    "ModelReport",
    "OperatingPoint",
    "Power",
    "Settings",
    "SliceFlips",
    "SliceMetric",
    "SliceResult",
    "ThresholdCurve",
    "adjust_p_values",
    "compare",
    "flip_table",
    "format_number",
    "inspect_file",
    "load_classification",
    "metrics_at_threshold",
    "report_to_dict",
    "report_to_markdown",
    "slice_labels",
    "verdict_sentence",
]
