"""Tables the dashboard's pages show: metrics, differences, per-class, thresholds, calibration, slices, flips.

Pure functions from the engine's results to pandas frames (and small helpers for the threshold
page); no Streamlit state, so they are tested directly. Frames hold the real text (``st.dataframe`` shows
cells as plain text); :func:`csv_bytes` neutralises it for a download.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

import evaluation
from evaluation import ClassificationData, Comparison, ComparisonReport

__all__ = [
    "THRESHOLD_COLUMNS",
    "calibration_table",
    "class_positive_and_scores",
    "csv_bytes",
    "differences_table",
    "filter_flips",
    "find_operating_points",
    "flip_slices",
    "metrics_table",
    "per_class_table",
    "slices_table",
    "threshold_table",
]

THRESHOLD_COLUMNS: Mapping[str, str] = MappingProxyType({
    "precision": "precision", "recall": "recall", "f1": "F1", "specificity": "specificity",
    "false_positive_rate": "false-positive rate", "accuracy": "accuracy", "predicted_positive_rate": "share flagged",
})


def _interval(low: float, high: float, *, signed: bool = False) -> str:
    return f"[{evaluation.format_number(low, signed=signed)}, {evaluation.format_number(high, signed=signed)}]"


def _p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "n/a"
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}" if p < 0.01 else f"{p:.3f}"


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


def differences_table(comparison: Comparison) -> pd.DataFrame:
    """Paired differences of one candidate: difference, interval, p-values, test, verdict."""
    return pd.DataFrame([{
        "metric": evaluation.METRICS[metric].title if metric in evaluation.METRICS else metric,
        comparison.baseline: evaluation.format_number(d.baseline_value),
        comparison.candidate: evaluation.format_number(d.candidate_value),
        "difference": evaluation.format_number(d.difference, signed=True),
        "interval": _interval(d.ci_low, d.ci_high, signed=True),
        "p": _p(d.p_value), "p adjusted": _p(d.p_value_adjusted), "test": d.test, "verdict": d.verdict,
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
                     "p adjusted": _p(d.p_value_adjusted), "verdict": d.verdict})
    return pd.DataFrame(rows)


def class_positive_and_scores(data: ClassificationData, label: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One-vs-rest truth for ``label`` and each model's probability of it (models without probabilities left out)."""
    index = data.classes.index(label)
    positive = data.y_true == index
    scores = {model.name: model.y_score[:, index] for model in data.models if model.y_score is not None}
    return positive, scores


def threshold_table(data: ClassificationData, label: str, threshold: float) -> pd.DataFrame:
    """Each model's one-vs-rest metrics for ``label`` when predicting it at ``score >= threshold``."""
    positive, scores = class_positive_and_scores(data, label)
    rows = []
    for name, score in scores.items():
        values = evaluation.metrics_at_threshold(positive, score, threshold)
        rows.append({"model": name} | {title: evaluation.format_number(values[column])
                                       for column, title in THRESHOLD_COLUMNS.items()}
                    | {"TP": values["true_positives"], "FP": values["false_positives"],
                       "FN": values["false_negatives"], "TN": values["true_negatives"]})
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


def slices_table(comparison: Comparison, column: str | None, metric: str) -> pd.DataFrame:
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
                     "p adjusted": _p(m.difference.p_value_adjusted),
                     "verdict": "too small: not tested" if entry.insufficient else m.difference.verdict})
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


def find_operating_points(positive: np.ndarray, scores: Mapping[str, np.ndarray], *,
                          target_precision: float | None, target_recall: float | None) -> pd.DataFrame:
    """Exact operating points of every model: best F1, and the thresholds reaching the targets.

    ``precision>=P`` is the lowest threshold whose precision reaches P (the most recall at that
    precision); ``recall>=R`` the highest threshold whose recall reaches R; best F1 the highest
    threshold on ties (the engine's conventions).
    """
    rows = []
    for name, score in scores.items():
        order = np.argsort(-score, kind="stable")
        ranked, hits = score[order], positive[order]
        last = np.r_[np.flatnonzero(np.diff(ranked)), ranked.shape[0] - 1]  # last index of each distinct score
        tp = np.cumsum(hits)[last].astype(float)
        fp = (last + 1) - tp
        total = max(float(positive.sum()), 1.0)
        precision, recall = tp / (tp + fp), tp / total
        f1 = np.divide(2 * tp, tp + fp + total, out=np.zeros_like(tp), where=(tp + fp + total) > 0)
        candidates = [("best F1", int(np.flatnonzero(f1 == f1.max())[0]) if f1.size else None)]
        if target_precision is not None:
            reached = np.flatnonzero(precision >= target_precision)
            candidates.append((f"precision >= {target_precision:g}", int(reached[-1]) if reached.size else None))
        if target_recall is not None:
            reached = np.flatnonzero(recall >= target_recall)
            candidates.append((f"recall >= {target_recall:g}", int(reached[0]) if reached.size else None))
        for point, i in candidates:
            rows.append({"model": name, "point": point,
                         "threshold": "not reachable" if i is None else evaluation.format_number(ranked[last[i]], digits=4),
                         "precision": "n/a" if i is None else evaluation.format_number(precision[i]),
                         "recall": "n/a" if i is None else evaluation.format_number(recall[i]),
                         "f1": "n/a" if i is None else evaluation.format_number(f1[i])})
    return pd.DataFrame(rows)
