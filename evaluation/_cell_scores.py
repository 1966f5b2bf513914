"""ROC AUC, average precision, calibration and the threshold curves from what an engine counts and sums.

These metrics rank or bin each example's score, so a cell table of (label, predictions, slices) cannot give them.
They need little more, which an engine computes where the data lies (:mod:`evaluation._sql_engine`):

- **per model and class, the examples at each distinct score** (:class:`ScoreRuns`), on a grid of
  :data:`~evaluation._ranking.GRID_DECIMALS` decimals. ROC AUC, average precision and the threshold curves are
  functions of these counts (:func:`evaluation._ranking.run_values`), as are each example's DeLong influence and
  jackknife value, which depend only on its run and its class;
- **per class, the summed squares of those influences**, and of each pair of models' differences of them: DeLong's
  standard error, the jackknife's, and Satterthwaite's degrees of freedom are functions of these sums
  (:func:`evaluation._classification.probability_estimates`, ``probability_differences``);
- **per calibration cell (confidence bin, top label right), the examples and their summed confidence**
  (:class:`CalibrationCells`), of each model and each pair: the cell bootstrap and the exchanges of ECE read
  nothing else (:mod:`evaluation._calibration`).

Scores written with at most six decimals (as prediction files usually are) give the local engine's values; other
scores are counted on the grid, as if rounded to six decimals (ties within 1e-6 count as ties).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ._calibration import ECE, binned_curve, summed_ece_table, table_ece_difference, table_ece_estimate
from ._classification import rank_difference, rank_reason, ranking_estimates
from ._data import ClassificationData
from ._errors import EvaluationError
from ._inference import FEWER_THAN_TWO, satterthwaite_df_of
from ._ranking import RunValues, run_values
from ._results import CalibrationCurve, Difference, Estimate, Settings, ThresholdCurve
from ._statistics import DELONG, JACKKNIFE_T
from ._thresholds import curve_best_threshold, threshold_curve

__all__ = ["RANKED", "CalibrationCells", "CellScores", "ScoreRuns", "ScoredModel", "best_threshold_of", "class_lookups",
           "scored_difference", "scored_model"]

RANKED = ("roc_auc", "average_precision")
"""The metrics whose influences an engine sums."""


@dataclass(frozen=True)
class ScoreRuns:
    """One model's examples at each distinct score of one class, in ascending order of the score."""

    thresholds: np.ndarray
    sizes: np.ndarray
    positives: np.ndarray
    """Examples of the class among them."""


@dataclass(frozen=True)
class CalibrationCells:
    """Examples per calibration cell and their summed top-label confidence, of one model or of a pair.

    A model's cell is ``2 * bin + right`` (:func:`evaluation._calibration.ece_single_table`); a pair's is
    ``first's cell * 2 * bins + second's cell`` (``ece_pair_table``). ``keys`` are in increasing order, as the
    local engine counts them, so the bootstrap's draws are the same.
    """

    keys: np.ndarray
    counts: np.ndarray
    confidence: tuple[np.ndarray, ...]
    """Each model's summed confidence per cell."""

    def transposed(self, n_bins: int) -> CalibrationCells:
        """The pair's cells with the second model first."""
        width = 2 * n_bins
        keys = (self.keys % width) * width + self.keys // width
        order = np.argsort(keys, kind="stable")
        return CalibrationCells(keys[order], self.counts[order], tuple(c[order] for c in self.confidence[::-1]))

    def marginal(self, first: bool, n_bins: int) -> CalibrationCells:
        """One model's cells from a pair's (``first``: the pair's first model)."""
        width = 2 * n_bins
        own = self.keys // width if first else self.keys % width
        keys, codes = np.unique(own, return_inverse=True)
        confidence = self.confidence[0 if first else 1]
        return CalibrationCells(keys, np.bincount(codes, weights=self.counts).astype(np.int64),
                                (np.bincount(codes, weights=confidence),))


@dataclass(frozen=True)
class CellScores:
    """What an engine gives for the metrics that rank or bin the scores (see the module docstring).

    Attributes
    ----------
    runs:
        Model -> scored class -> :class:`ScoreRuns` (the positive class of a binary task, else every class present).
    squares:
        ``(metric, model)`` -> class -> the summed squares of the model's influences (DeLong's for ``roc_auc``, the
        jackknife's for ``average_precision``) over the class's examples.
    differences:
        ``(metric, model_a, model_b)`` -> class -> the summed squares of the two models' differences of influence
        (both orders of a pair are keys).
    calibration:
        ``(model,)`` or ``(model_a, model_b)`` -> :class:`CalibrationCells` (both orders of a pair are keys).
    ece_bins:
        The confidence bins the cells were counted in.
    """

    runs: Mapping[str, Mapping[str, ScoreRuns]]
    squares: Mapping[tuple[str, str], Mapping[str, float]]
    differences: Mapping[tuple[str, str, str], Mapping[str, float]]
    calibration: Mapping[tuple[str, ...], CalibrationCells]
    ece_bins: int


def _values(runs: Mapping[str, ScoreRuns]) -> dict[str, RunValues]:
    return {label: run_values(r.thresholds, r.sizes, r.positives) for label, r in runs.items()}


def class_lookups(runs: Mapping[str, ScoreRuns]) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per scored class, each run's influences as the local engine gives them to its examples: DeLong's of a negative
    and of a positive (a class's share of the model's macro average), then the jackknife's of a negative and of a
    positive (centred, scaled, and the class's share). Summed over a model's classes, an example's values are
    the local engine's ``auc_influence`` and the jackknife influence of its ``average_precision_loo``."""
    values = _values(runs)
    finite = [label for label, v in values.items() if np.isfinite(v.auc)]
    out = {}
    for label, v in values.items():
        r = runs[label]
        n = int(r.sizes.sum())
        share = 1.0 / max(len(finite), 1)
        psi = (v.psi[0] * share, v.psi[1] * share) if label in finite else (np.zeros_like(v.psi[0]),) * 2
        if v.leave_one_out is None:
            jackknife = (np.full(r.sizes.shape[0], np.nan),) * 2
        else:
            negatives = r.sizes - r.positives
            mean = float(np.sum(negatives * v.leave_one_out[0]) + np.sum(r.positives * v.leave_one_out[1])) / n
            scale = np.sqrt((n - 1) / n) / len(values)
            jackknife = ((v.leave_one_out[0] - mean) * scale, (v.leave_one_out[1] - mean) * scale)
        out[label] = (psi[0], psi[1], jackknife[0], jackknife[1])
    return out


@dataclass(frozen=True)
class ScoredModel:
    """One model's ranking metrics, ECE, curves and reliability curve from an engine's sums."""

    estimates: dict[str, Estimate]
    thresholds: dict[str, ThresholdCurve]
    calibration: CalibrationCurve


def _sizes(data: ClassificationData) -> np.ndarray:
    """Examples of each class."""
    return np.bincount(data.y_true, weights=data.count(), minlength=len(data.classes)).round().astype(np.int64)


def _per_class(data: ClassificationData, values: Mapping[str, float]) -> np.ndarray:
    return np.array([values.get(label, 0.0) for label in data.classes])


def scored_model(data: ClassificationData, scores: CellScores, name: str, index: int, settings: Settings) -> ScoredModel:
    """A model's ROC AUC, average precision and ECE with their intervals, its curves and its reliability curve, as
    :func:`evaluation._classification.probability_estimates` and :func:`evaluation._calibration.ece_estimate`
    give them on the rows (``index``: the model's place, which seeds the ECE's draws)."""
    if scores.ece_bins != settings.ece_bins:
        raise EvaluationError(f"the engine counted the confidences in {scores.ece_bins} calibration bins, and the "
                              f"comparison asks for {settings.ece_bins}; load the files with ece_bins="
                              f"{settings.ece_bins}")
    values = _values(scores.runs[name])
    sizes = _sizes(data)
    present = sizes[sizes > 0]
    undefined = bool(rank_reason(sizes, data.classes)) or data.n_examples < 2
    aucs = [v.auc for v in values.values() if np.isfinite(v.auc)]
    auc = float(np.mean(aucs)) if aucs else float("nan")
    average_precision = float(np.mean([v.average_precision for v in values.values()]))
    auc_shares = _per_class(data, scores.squares["roc_auc", name])
    ap_shares = _per_class(data, scores.squares["average_precision", name])
    estimates = ranking_estimates(
        settings, auc, float(np.sqrt(auc_shares.sum())), np.nan if undefined else float(present.min() - 1),
        average_precision, np.nan if undefined else float(np.sqrt(ap_shares.sum())),
        np.nan if undefined else satterthwaite_df_of(ap_shares, sizes), undefined=undefined)
    cells = scores.calibration[name,]
    n_bins = settings.ece_bins
    bins = cells.keys // 2
    curve = binned_curve(np.bincount(bins, weights=cells.counts, minlength=n_bins).astype(np.int64),
                         np.bincount(bins, weights=cells.confidence[0], minlength=n_bins),
                         np.bincount(bins, weights=cells.counts * (cells.keys % 2), minlength=n_bins),
                         n=data.n_examples)
    table = summed_ece_table(cells.keys, cells.counts, cells.confidence, n_bins=n_bins)
    estimates[ECE] = table_ece_estimate(table, curve.ece, index, settings)
    thresholds = {label: threshold_curve(label, np.zeros(0, dtype=bool), np.zeros(0), curve=v.curve,
                                         target_precisions=settings.target_precisions,
                                         target_recalls=settings.target_recalls)
                  for label, v in values.items()}
    return ScoredModel(estimates, thresholds, curve)


def scored_difference(data: ClassificationData, scores: CellScores, baseline: str, candidate: str, index: int,
                      settings: Settings, estimates: Mapping[str, Mapping[str, Estimate]]) -> dict[str, Difference]:
    """The candidate's paired differences from the baseline in ROC AUC, average precision and ECE, as
    :func:`evaluation._classification.probability_differences` and :func:`evaluation._calibration.ece_difference`
    give them on the rows (``estimates``: both models' from :func:`scored_model`)."""
    sizes = _sizes(data)
    reason = FEWER_THAN_TWO if data.n_examples < 2 else rank_reason(sizes, data.classes)
    out = {}
    for metric, test, method in (("roc_auc", DELONG, "DeLong t"), ("average_precision", JACKKNIFE_T, "jackknife t")):
        shares = _per_class(data, scores.differences[metric, baseline, candidate])
        b, c = estimates[baseline][metric].value, estimates[candidate][metric].value
        out[metric] = rank_difference(metric, settings, c - b, float(np.sqrt(shares.sum())),
                                      satterthwaite_df_of(shares, sizes), (b, c), test, method, reason)
    pair = scores.calibration[baseline, candidate]
    table = summed_ece_table(pair.keys, pair.counts, pair.confidence, n_bins=settings.ece_bins)
    out[ECE] = table_ece_difference(table, estimates[baseline][ECE], estimates[candidate][ECE], index, settings)
    return out


def best_threshold_of(scores: CellScores, name: str, positive: str, positive_index: int,
                      metric: str) -> tuple[float, float]:
    """:func:`evaluation._thresholds.best_threshold` from a model's runs of its positive-class scores."""
    r = scores.runs[name][positive]
    return curve_best_threshold(run_values(r.thresholds, r.sizes, r.positives).curve, positive_index, metric)
