"""Tables the dashboard's pages show: metrics, differences, per-class, thresholds, calibration, slices, flips.

Pure functions from the engine's results to pandas frames (every number, the threshold page's
operating points included, is the engine's; only its formatting is here); no Streamlit state, so they
are tested directly. Frames hold the real text (``st.dataframe`` shows cells as plain text);
:func:`csv_bytes` neutralises it for a download.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

import evaluation
from evaluation import ClassificationData, Comparison, ComparisonReport, RegressionComparison, RegressionReport

__all__ = [
    "THRESHOLD_COLUMNS",
    "calibration_table",
    "csv_bytes",
    "differences_table",
    "filter_flips",
    "flip_slices",
    "metrics_table",
    "operating_points_table",
    "per_class_table",
    "regression_metrics_table",
    "slices_table",
    "threshold_table",
]

_POINT_NAMES: Mapping[str, str] = MappingProxyType({"best_f1": "best F1"})
THRESHOLD_COLUMNS: Mapping[str, str] = MappingProxyType({
    "precision": "precision", "recall": "recall", "f1": "F1", "specificity": "specificity",
    "false_positive_rate": "false-positive rate", "accuracy": "accuracy", "predicted_positive_rate": "share flagged",
})


def _interval(low: float, high: float, *, signed: bool = False) -> str:
    return f"[{evaluation.format_number(low, signed=signed)}, {evaluation.format_number(high, signed=signed)}]"


def metrics_table(report: ComparisonReport, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Headline metrics: one row per metric, one column per model, ``value [low, high]``."""
    rows = []
    for metric, info in evaluation.METRICS.items():
        if metrics is not None and metric not in metrics:
            continue
        cells = {}
        for name, model in report.models.items():
            estimate = model.metrics.get(metric)
            cells[name] = "n/a" if estimate is None else (
                f"{evaluation.format_number(estimate.value)} {_interval(estimate.ci_low, estimate.ci_high)}")
        if any(cell != "n/a" for cell in cells.values()):
            rows.append({"metric": info.title + ("" if info.higher_is_better else " (lower is better)")} | cells)
    return pd.DataFrame(rows)


def differences_table(comparison: Comparison | RegressionComparison) -> pd.DataFrame:
    """Paired differences of one candidate: difference, interval, p-values, test, verdict."""
    return pd.DataFrame([{
        "metric": evaluation.metric_title(metric),
        comparison.baseline: evaluation.format_number(d.baseline_value),
        comparison.candidate: evaluation.format_number(d.candidate_value),
        "difference": evaluation.format_number(d.difference, signed=True),
        "interval": _interval(d.ci_low, d.ci_high, signed=True),
        "p": evaluation.format_p_value(d.p_value), "p adjusted": evaluation.format_p_value(d.p_value_adjusted),
        "test": d.test, "verdict": evaluation.verdict_label(d),
    } for metric, d in comparison.metrics.items()])


def per_class_table(report: ComparisonReport, comparison: Comparison, metric: str) -> pd.DataFrame:
    """Per-class ``metric`` of both models, their difference and its adjusted p-value."""
    support = report.models[report.baseline].support
    rows = []
    for label, values in comparison.per_class.items():
        d = values[metric]
        rows.append({"class": label, "support": support.get(label, 0),
                     comparison.baseline: evaluation.format_number(d.baseline_value),
                     comparison.candidate: evaluation.format_number(d.candidate_value),
                     "difference": evaluation.format_number(d.difference, signed=True),
                     "interval": _interval(d.ci_low, d.ci_high, signed=True),
                     "p adjusted": evaluation.format_p_value(d.p_value_adjusted), "verdict": evaluation.verdict_label(d)})
    return pd.DataFrame(rows)


def threshold_table(data: ClassificationData, label: str, threshold: float) -> pd.DataFrame:
    """Each model's one-vs-rest metrics for ``label`` when predicting it at ``score >= threshold``."""
    positive, scores = evaluation.one_vs_rest(data, label)
    rows = []
    for name, score in scores.items():
        values = evaluation.metrics_at_threshold(positive, score, threshold)
        rows.append({"model": name} | {title: evaluation.format_number(values[column])
                                       for column, title in THRESHOLD_COLUMNS.items()}
                    | {"TP": values["true_positives"], "FP": values["false_positives"],
                       "FN": values["false_negatives"], "TN": values["true_negatives"]})
    return pd.DataFrame(rows)


def operating_points_table(data: ClassificationData, label: str, *, target_precision: float,
                           target_recall: float) -> pd.DataFrame:
    """Each model's operating points for ``label`` (:func:`evaluation.operating_points`): best F1 and the targets."""
    positive, scores = evaluation.one_vs_rest(data, label)
    rows = []
    for name, score in scores.items():
        for point in evaluation.operating_points(positive, score, target_precisions=(target_precision,),
                                                 target_recalls=(target_recall,)):
            rows.append({"model": name, "point": _POINT_NAMES.get(point.name, point.name.replace(">=", " >= ")),
                         "threshold": evaluation.format_number(point.threshold, digits=4) if point.met else "not reachable",
                         "precision": evaluation.format_number(point.precision),
                         "recall": evaluation.format_number(point.recall), "f1": evaluation.format_number(point.f1)})
    return pd.DataFrame(rows)


def calibration_table(report: ComparisonReport) -> pd.DataFrame:
    """ECE, Brier score and log loss of every model with their intervals."""
    rows = []
    for name, model in report.models.items():
        row = {"model": name}
        for metric in ("expected_calibration_error", "brier_score", "log_loss"):
            estimate = model.metrics.get(metric)
            row[evaluation.METRICS[metric].title] = "n/a" if estimate is None else (
                f"{evaluation.format_number(estimate.value, digits=4)} "
                f"[{evaluation.format_number(estimate.ci_low, digits=4)}, "
                f"{evaluation.format_number(estimate.ci_high, digits=4)}]")
        rows.append(row)
    return pd.DataFrame(rows)


def slices_table(comparison: Comparison | RegressionComparison, column: str | None, metric: str) -> pd.DataFrame:
    """Slices of one column (all columns when ``None``) on ``metric``, worst first as the engine ranks them."""
    rows = []
    for entry in comparison.slices:
        if (column is not None and entry.column != column) or metric not in entry.metrics:
            continue
        m = entry.metrics[metric]
        rows.append({"column": entry.column, "value": entry.value, "n": entry.n,
                     comparison.baseline: evaluation.format_number(m.baseline.value),
                     comparison.candidate: evaluation.format_number(m.candidate.value),
                     "difference": evaluation.format_number(m.difference.difference, signed=True),
                     "interval": _interval(m.difference.ci_low, m.difference.ci_high, signed=True),
                     "p adjusted": evaluation.format_p_value(m.difference.p_value_adjusted),
                     "verdict": "too small: not tested" if entry.insufficient else evaluation.verdict_label(m.difference)})
    return pd.DataFrame(rows)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV bytes for a download, without the index, safe to open in a spreadsheet.

    Column names and text cells go through :func:`evaluation.csv_safe_frame` (a leading ``'`` before
    ``=``, ``+``, ``-``, ``@``…), so ids, labels and metadata from the user's files never run as formulas.

    Examples
    --------
    >>> csv_bytes(pd.DataFrame({"id": ["=1+1", "a"], "n": [-1, 2]}))
    b"id,n\\n'=1+1,-1\\na,2\\n"
    """
    return evaluation.csv_safe_frame(frame).to_csv(index=False).encode("utf-8")


def filter_flips(table: pd.DataFrame, *, kinds: Sequence[str], classes: Sequence[str] | None = None,
                 slice_column: str | None = None, slice_values: Sequence[str] | None = None,
                 slice_of_row: np.ndarray | None = None) -> pd.DataFrame:
    """Rows of :func:`evaluation.flip_table` of the given kinds, true classes and slice values.

    ``slice_of_row`` gives each row's slice value of ``slice_column`` (binned as the engine bins it).
    """
    keep = table["kind"].isin(list(kinds)).to_numpy()
    if classes:
        keep = keep & table["label"].astype(str).isin(list(classes)).to_numpy()
    if slice_column and slice_values and slice_of_row is not None:
        keep = keep & np.isin(slice_of_row, list(slice_values))
    return table.loc[keep].reset_index(drop=True)


def flip_slices(data: ClassificationData, table: pd.DataFrame, column: str) -> np.ndarray:
    """Each flip-table row's slice value of ``column``, binned as the engine's slices are."""
    labels = evaluation.slice_labels(data.metadata[[column]]).get(column)
    if labels is None:
        return table[column].astype(str).to_numpy() if column in table else np.full(len(table), "", dtype=object)
    position = pd.Index(data.ids.astype(str)).get_indexer(table["id"].astype(str))
    return labels[position]


def regression_metrics_table(report: RegressionReport) -> pd.DataFrame:
    """Regression metrics: one row per metric, one column per model, ``value [low, high]``."""
    rows = []
    for metric, statistic in evaluation.statistics_of("regression").items():
        cells = {name: f"{evaluation.format_number(model.metrics[metric].value)} "
                       f"{_interval(model.metrics[metric].ci_low, model.metrics[metric].ci_high)}"
                 for name, model in report.models.items()}
        rows.append({"metric": statistic.title + ("" if statistic.higher_is_better else " (lower is better)")} | cells)
    return pd.DataFrame(rows)
