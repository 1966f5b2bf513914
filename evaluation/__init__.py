"""Is the fine-tuned model really better? Paired, statistically honest comparison of model versions.

The engine behind the dashboard, the command line (``python -m evaluation``) and the reports. It
never imports streamlit or plotly.

Typical use::

    from evaluation import load_classification, compare, report_to_dict
    data = load_classification(["base.csv", "finetuned.csv"])
    report = compare(data)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._cells import cells_data, read_cell_table
    from ._columns import PROBABILITY_PREFIXES, class_of_probability_column
    from ._compare import compare
    from ._data import ClassificationData, ColumnMapping, LoadOptions, ModelData
    from ._duckdb import load_classification_duckdb
    from ._errors import EvaluationError
    from ._flips import flip_table
    from ._format import format_number, format_p_value
    from ._generation import GenerationComparison, GenerationReport, PerplexityRatio, compare_generation
    from ._generation_data import GenerationData, GenerationModel, inspect_generation_file, load_generation
    from ._generation_preferences import with_preferences
    from ._generation_report import generation_report_to_dict, generation_report_to_markdown
    from ._io import ACCEPTED_EXTENSIONS, model_name
    from ._leakage import LEAKAGE_HEADER, Leakage, find_leakage, leakage_section, leakage_table
    from ._limits import DASHBOARD_LIMITS, Limits
    from ._loading import FileSummary, inspect_file, load_classification
    from ._metrics import METRICS, MetricInfo
    from ._monitor import analyze_monitor
    from ._monitor_data import read_monitor
    from ._monitor_report import MonitorReport, iso_time
    from ._multiple import CORRECTIONS, adjust_p_values
    from ._parallel import Cancelled, stop_when
    from ._preferences import (
        PreferenceComparison,
        PreferenceRatings,
        compare_preferences,
        pair_judgments,
        rate_models,
        read_judgments,
        read_judgments_against,
    )
    from ._preferences_results import length_adjusted_sentence
    from ._regression import (
        RegressionComparison,
        RegressionData,
        RegressionReport,
        compare_regression,
        inspect_regression_file,
        load_regression,
        regression_flip_table,
    )
    from ._regression_report import regression_report_to_dict, regression_report_to_markdown, regression_verdict_sentence
    from ._regression_sums import SummedRegressionData
    from ._report import SCHEMA_VERSION, report_to_dict, report_to_markdown, verdict_label
    from ._results import (
        CI_METHODS,
        AccuracyTest,
        BestThreshold,
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
    from ._shift import analyze_shift, read_shift
    from ._shift_report import ColumnDrift, ShiftReport
    from ._slices import slice_labels
    from ._spark import load_classification_spark, spark_session
    from ._sql_engine import ENGINES
    from ._sql_generation import load_generation_duckdb, load_generation_spark
    from ._sql_regression import load_regression_duckdb, load_regression_spark
    from ._statistics import Statistic, higher_is_better, metric_title, statistics_of
    from ._tasks import TASKS, Task, detect_task, task_named
    from ._text import csv_safe, csv_safe_frame, escape_markdown, markdown_cell, shorten
    from ._text_metrics import rouge_f
    from ._thresholds import metrics_at_threshold, one_vs_rest, operating_points
    from ._verdict import CandidateVerdict, Finding, candidate_verdict, verdict_sentence

# Names are imported on first use, so that a command needing only the loader (or starting to read
# files while the rest imports) does not wait for SciPy.
_WHERE = {
    "GenerationComparison": "._generation",
    "GenerationData": "._generation_data",
    "GenerationModel": "._generation_data",
    "GenerationReport": "._generation",
    "PerplexityRatio": "._generation",
    "compare_generation": "._generation",
    "inspect_generation_file": "._generation_data",
    "load_generation": "._generation_data",
    "with_preferences": "._generation_preferences",
    "LEAKAGE_HEADER": "._leakage",
    "Leakage": "._leakage",
    "find_leakage": "._leakage",
    "leakage_section": "._leakage",
    "leakage_table": "._leakage",
    "analyze_shift": "._shift",
    "analyze_monitor": "._monitor",
    "cells_data": "._cells",
    "read_cell_table": "._cells",
    "load_classification_duckdb": "._duckdb",
    "load_classification_spark": "._spark",
    "load_generation_duckdb": "._sql_generation",
    "load_generation_spark": "._sql_generation",
    "load_regression_duckdb": "._sql_regression",
    "load_regression_spark": "._sql_regression",
    "SummedRegressionData": "._regression_sums",
    "spark_session": "._spark",
    "ENGINES": "._sql_engine",
    "read_monitor": "._monitor_data",
    "MonitorReport": "._monitor_report",
    "iso_time": "._monitor_report",
    "read_shift": "._shift",
    "ColumnDrift": "._shift_report",
    "ShiftReport": "._shift_report",
    "PreferenceComparison": "._preferences",
    "PreferenceRatings": "._preferences",
    "compare_preferences": "._preferences",
    "rate_models": "._preferences",
    "read_judgments": "._preferences",
    "read_judgments_against": "._preferences",
    "pair_judgments": "._preferences",
    "length_adjusted_sentence": "._preferences_results",
    "generation_report_to_dict": "._generation_report",
    "generation_report_to_markdown": "._generation_report",
    "rouge_f": "._text_metrics",
    "task_named": "._tasks",
    "Task": "._tasks",
    "metric_title": "._statistics",
    "higher_is_better": "._statistics",
    "inspect_regression_file": "._regression",
    "detect_task": "._tasks",
    "TASKS": "._tasks",
    "statistics_of": "._statistics",
    "Statistic": "._statistics",
    "regression_verdict_sentence": "._regression_report",
    "regression_report_to_markdown": "._regression_report",
    "regression_report_to_dict": "._regression_report",
    "regression_flip_table": "._regression",
    "load_regression": "._regression",
    "compare_regression": "._regression",
    "RegressionReport": "._regression",
    "RegressionData": "._regression",
    "RegressionComparison": "._regression",
    "ACCEPTED_EXTENSIONS": "._io",
    "AccuracyTest": "._results",
    "BestThreshold": "._results",
    "CandidateVerdict": "._verdict",
    "Finding": "._verdict",
    "candidate_verdict": "._verdict",
    "CI_METHODS": "._results",
    "CORRECTIONS": "._multiple",
    "DASHBOARD_LIMITS": "._limits",
    "CalibrationCurve": "._results",
    "Cancelled": "._parallel",
    "ClassificationData": "._data",
    "ColumnMapping": "._data",
    "Comparison": "._results",
    "ComparisonReport": "._results",
    "ConfusionMatrix": "._results",
    "Difference": "._results",
    "Estimate": "._results",
    "EvaluationError": "._errors",
    "FileSummary": "._loading",
    "FlipCounts": "._results",
    "Flips": "._results",
    "Limits": "._limits",
    "LoadOptions": "._data",
    "METRICS": "._metrics",
    "MetricInfo": "._metrics",
    "ModelData": "._data",
    "ModelReport": "._results",
    "OperatingPoint": "._results",
    "PROBABILITY_PREFIXES": "._columns",
    "Power": "._results",
    "SCHEMA_VERSION": "._report",
    "Settings": "._results",
    "SliceFlips": "._results",
    "SliceMetric": "._results",
    "SliceResult": "._results",
    "ThresholdCurve": "._results",
    "adjust_p_values": "._multiple",
    "class_of_probability_column": "._columns",
    "compare": "._compare",
    "csv_safe": "._text",
    "csv_safe_frame": "._text",
    "escape_markdown": "._text",
    "flip_table": "._flips",
    "format_number": "._format",
    "format_p_value": "._format",
    "inspect_file": "._loading",
    "load_classification": "._loading",
    "markdown_cell": "._text",
    "metrics_at_threshold": "._thresholds",
    "model_name": "._io",
    "one_vs_rest": "._thresholds",
    "operating_points": "._thresholds",
    "report_to_dict": "._report",
    "report_to_markdown": "._report",
    "shorten": "._text",
    "slice_labels": "._slices",
    "stop_when": "._parallel",
    "verdict_label": "._report",
    "verdict_sentence": "._verdict",
}

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "CI_METHODS",
    "CORRECTIONS",
    "DASHBOARD_LIMITS",
    "ENGINES",
    "LEAKAGE_HEADER",
    "METRICS",
    "PROBABILITY_PREFIXES",
    "SCHEMA_VERSION",
    "TASKS",
    "AccuracyTest",
    "BestThreshold",
    "CalibrationCurve",
    "Cancelled",
    "CandidateVerdict",
    "ClassificationData",
    "ColumnDrift",
    "ColumnMapping",
    "Comparison",
    "ComparisonReport",
    "ConfusionMatrix",
    "Difference",
    "Estimate",
    "EvaluationError",
    "FileSummary",
    "Finding",
    "FlipCounts",
    "Flips",
    "GenerationComparison",
    "GenerationData",
    "GenerationModel",
    "GenerationReport",
    "Leakage",
    "Limits",
    "LoadOptions",
    "MetricInfo",
    "ModelData",
    "ModelReport",
    "MonitorReport",
    "OperatingPoint",
    "PerplexityRatio",
    "Power",
    "PreferenceComparison",
    "PreferenceRatings",
    "RegressionComparison",
    "RegressionData",
    "RegressionReport",
    "Settings",
    "ShiftReport",
    "SliceFlips",
    "SliceMetric",
    "SliceResult",
    "Statistic",
    "SummedRegressionData",
    "Task",
    "ThresholdCurve",
    "adjust_p_values",
    "analyze_monitor",
    "analyze_shift",
    "candidate_verdict",
    "cells_data",
    "class_of_probability_column",
    "compare",
    "compare_generation",
    "compare_preferences",
    "compare_regression",
    "csv_safe",
    "csv_safe_frame",
    "detect_task",
    "escape_markdown",
    "find_leakage",
    "flip_table",
    "format_number",
    "format_p_value",
    "generation_report_to_dict",
    "generation_report_to_markdown",
    "higher_is_better",
    "inspect_file",
    "inspect_generation_file",
    "inspect_regression_file",
    "iso_time",
    "leakage_section",
    "leakage_table",
    "length_adjusted_sentence",
    "load_classification",
    "load_classification_duckdb",
    "load_classification_spark",
    "load_generation",
    "load_generation_duckdb",
    "load_generation_spark",
    "load_regression",
    "load_regression_duckdb",
    "load_regression_spark",
    "markdown_cell",
    "metric_title",
    "metrics_at_threshold",
    "model_name",
    "one_vs_rest",
    "operating_points",
    "pair_judgments",
    "rate_models",
    "read_cell_table",
    "read_judgments",
    "read_judgments_against",
    "read_monitor",
    "read_shift",
    "regression_flip_table",
    "regression_report_to_dict",
    "regression_report_to_markdown",
    "regression_verdict_sentence",
    "report_to_dict",
    "report_to_markdown",
    "rouge_f",
    "shorten",
    "slice_labels",
    "spark_session",
    "statistics_of",
    "stop_when",
    "task_named",
    "verdict_label",
    "verdict_sentence",
    "with_preferences",
]



def __getattr__(name: str) -> Any:
    """Import an exported name from its module on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'evaluation' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
