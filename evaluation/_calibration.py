"""Calibration: the top-label confidence, its bins, the reliability curve and the expected calibration error.

``ECE = sum_b |B_b| / n * |accuracy(B_b) - mean confidence(B_b)|`` over equal-width bins of the
top-label confidence (Naeini et al. 2015; Guo et al. 2017), 15 bins by default. ECE needs only each
example's confidence and whether its top label is right, not the per-class rankings, so it is
computed beside the confusion-count metrics.

Intervals come from the bootstrap on cells: each example falls in a cell (confidence bin, correct or
not). A bin's signed gap ``sum(correct - confidence)`` is the sum over its cells of ``count x (correct
- mean confidence of the cell)``, exact on the original data. Resampling the cell counts treats the
examples of a cell as sharing its mean confidence: within a bin of width 1/15 the spread of
confidences adds at most ``(1/15)^2 / 12`` to a per-example variance of about ``p(1 - p)``, so the
intervals differ from a row bootstrap by well under Monte Carlo error. They are reflected (basic
bootstrap) because ECE is biased upward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ._data import ClassificationData, ModelData
from ._inference import bootstrap_std_error, make_difference, make_estimate, resampled_intervals, rng_for
from ._resampling import CellTable, Statistic, bootstrap_p_value, cell_table
from ._results import CalibrationCurve, Difference, Estimate, Settings

__all__ = [
    "DEFAULT_ECE_BINS",
    "ECE",
    "Calibration",
    "calibration",
    "calibration_bin",
    "calibration_curve",
    "ece_difference",
    "ece_estimate",
    "ece_pair_statistic",
    "ece_pair_table",
    "ece_single_statistic",
    "ece_single_table",
    "top_label",
]

ECE = "expected_calibration_error"
DEFAULT_ECE_BINS = 15
# Seed streams shared with evaluation._classification's numbering.
_STREAM_MODEL_ECE, _STREAM_PAIR_ECE = 2, 4


def top_label(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Confidence of the most probable class and whether that class is the true one.

    Returns
    -------
    (confidence, correct)
        ``(n,)`` float and bool arrays; ties go to the first class, as ``numpy.argmax``.
    """
    if y_score.flags.f_contiguous and not y_score.flags.c_contiguous:
        # Column by column: argmax along rows of a column-major matrix reads memory with a stride.
        top = np.zeros(y_score.shape[0], dtype=np.int64)
        confidence = y_score[:, 0].copy()
        for k in range(1, y_score.shape[1]):
            higher = y_score[:, k] > confidence
            top[higher] = k
            np.maximum(confidence, y_score[:, k], out=confidence)
        return confidence, top == y_true
    top = np.argmax(y_score, axis=1)
    confidence = y_score[np.arange(y_score.shape[0]), top]
    return confidence, top == y_true


def calibration_bin(confidence: np.ndarray, *, n_bins: int = DEFAULT_ECE_BINS) -> np.ndarray:
    """Equal-width bin of each confidence: bin ``b`` holds ``b/M < c <= (b+1)/M`` (Guo et al. 2017).

    Compared against the edges themselves (``ceil(c * M)`` rounds wrongly for some edges, such as
    0.28 with 25 bins); a confidence of 0 falls in the first bin.

    Examples
    --------
    >>> calibration_bin(np.array([0.0, 0.28, 0.2801, 1.0]), n_bins=25).tolist()
    [0, 6, 7, 24]
    """
    edges = np.arange(1, n_bins) / n_bins
    return np.searchsorted(edges, confidence, side="left").astype(np.int64)


def calibration_curve(
    confidence: np.ndarray, correct: np.ndarray, *, n_bins: int, bins: np.ndarray | None = None
) -> CalibrationCurve:
    """Reliability-diagram bins of the top-label confidence, ``(b/M, (b+1)/M]``, and the ECE.

    ``bins`` may pass each example's bin (:func:`calibration_bin`) when known.

    Examples
    --------
    >>> curve = calibration_curve(np.array([0.9, 0.8, 0.3]), np.array([True, False, True]), n_bins=2)
    >>> curve.count, curve.accuracy
    ((1, 2), (1.0, 0.5))
    """
    if bins is None:
        bins = calibration_bin(confidence, n_bins=n_bins)
    count = np.bincount(bins, minlength=n_bins)
    confidence_sum = np.bincount(bins, weights=confidence, minlength=n_bins)
    correct_sum = np.bincount(bins, weights=correct.astype(float), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = confidence_sum / count
        accuracy = correct_sum / count
    ece = float(np.abs(correct_sum - confidence_sum).sum() / confidence.shape[0])
    edges = np.arange(n_bins + 1) / n_bins
    return CalibrationCurve(
        lower=tuple(edges[:-1].tolist()), upper=tuple(edges[1:].tolist()), count=tuple(int(c) for c in count),
        mean_confidence=tuple(float(v) for v in mean_confidence), accuracy=tuple(float(v) for v in accuracy),
        ece=ece)


# --- ECE as a cell-count statistic, for one model or a pair ----------------------------------------

def _cell_of(confidence: np.ndarray, correct: np.ndarray, n_bins: int, bins: np.ndarray | None) -> np.ndarray:
    """Cell key ``2 * bin + correct`` of each example (``bins``: the examples' bins, when already known)."""
    return (calibration_bin(confidence, n_bins=n_bins) if bins is None else bins) * 2 + correct


def _mean_confidence(keys: np.ndarray, confidence: np.ndarray, occupied: np.ndarray) -> np.ndarray:
    """Mean confidence of the examples in each occupied cell."""
    sums = np.bincount(keys, weights=confidence, minlength=int(occupied.max()) + 1)[occupied]
    counts = np.bincount(keys, minlength=int(occupied.max()) + 1)[occupied]
    return sums / counts


def ece_single_table(confidence: np.ndarray, correct: np.ndarray, *, n_bins: int,
                     bins: np.ndarray | None = None) -> CellTable:
    """Cells (bin, correct); aggregates ``[signed gap per bin (n_bins), count]``.

    ``bins`` may pass ``calibration_bin(confidence, n_bins=n_bins)`` when the caller has it.
    """
    keys = _cell_of(confidence, correct, n_bins, bins)

    def design(occupied: np.ndarray) -> sparse.csr_matrix:
        gap = (occupied % 2) - _mean_confidence(keys, confidence, occupied)
        rows = np.arange(occupied.shape[0])
        matrix = sparse.lil_matrix((occupied.shape[0], n_bins + 1))
        matrix[rows, occupied // 2] = gap
        matrix[rows, n_bins] = 1.0
        return matrix.tocsr()

    return cell_table(keys, design, key_space=2 * n_bins)


def ece_single_statistic(n_bins: int) -> Statistic:
    """ECE from the aggregates of :func:`ece_single_table`."""

    def statistic(aggregates: np.ndarray) -> dict[str, np.ndarray]:
        return {"expected_calibration_error": np.abs(aggregates[:, :n_bins]).sum(axis=1) / aggregates[:, n_bins]}

    return statistic


def ece_pair_table(
    baseline: tuple[np.ndarray, np.ndarray], candidate: tuple[np.ndarray, np.ndarray], *, n_bins: int,
    bins: tuple[np.ndarray, np.ndarray] | None = None,
) -> CellTable:
    """Cells (baseline cell, candidate cell); aggregates ``[gaps_b, gaps_c, count]``.

    ``baseline`` and ``candidate`` are (confidence, correct) pairs; ``bins`` may pass their bins.
    """
    base_keys = _cell_of(*baseline, n_bins, None if bins is None else bins[0])
    cand_keys = _cell_of(*candidate, n_bins, None if bins is None else bins[1])
    width = 2 * n_bins
    keys = base_keys * width + cand_keys

    def design(occupied: np.ndarray) -> sparse.csr_matrix:
        base_cell, cand_cell = occupied // width, occupied % width
        base_gap = (base_cell % 2) - _mean_confidence(keys, baseline[0], occupied)
        cand_gap = (cand_cell % 2) - _mean_confidence(keys, candidate[0], occupied)
        rows = np.arange(occupied.shape[0])
        matrix = sparse.lil_matrix((occupied.shape[0], 2 * n_bins + 1))
        matrix[rows, base_cell // 2] = base_gap
        matrix[rows, n_bins + cand_cell // 2] = cand_gap
        matrix[rows, 2 * n_bins] = 1.0
        return matrix.tocsr()

    return cell_table(keys, design, key_space=width * width)


def ece_pair_statistic(n_bins: int) -> Statistic:
    """Candidate ECE minus baseline ECE from the aggregates of :func:`ece_pair_table`."""

    def statistic(aggregates: np.ndarray) -> dict[str, np.ndarray]:
        count = aggregates[:, 2 * n_bins]
        base = np.abs(aggregates[:, :n_bins]).sum(axis=1) / count
        cand = np.abs(aggregates[:, n_bins:2 * n_bins]).sum(axis=1) / count
        return {"expected_calibration_error": cand - base}

    return statistic


# --- ECE of a model and of a candidate against the baseline ---------------------------------------

@dataclass(frozen=True)
class Calibration:
    """One model's top-label confidence, correctness, confidence bin of each example, and reliability curve."""

    confidence: np.ndarray
    correct: np.ndarray
    bins: np.ndarray
    curve: CalibrationCurve


def calibration(data: ClassificationData, model: ModelData, settings: Settings) -> Calibration:
    """The calibration pieces of a model with probabilities."""
    assert model.y_score is not None
    confidence, correct = top_label(data.y_true, model.y_score)
    bins = calibration_bin(confidence, n_bins=settings.ece_bins)
    return Calibration(confidence, correct, bins,
                       calibration_curve(confidence, correct, n_bins=settings.ece_bins, bins=bins))


def ece_estimate(index: int, settings: Settings, pieces: Calibration) -> Estimate:
    """ECE with its basic-bootstrap interval (``index``: the model's place, which seeds its draws)."""
    table = ece_single_table(pieces.confidence, pieces.correct, n_bins=settings.ece_bins, bins=pieces.bins)
    _, low, high, replicates, method = resampled_intervals(table, ece_single_statistic(settings.ece_bins), settings,
                                                           rng_for(settings, _STREAM_MODEL_ECE, index), basic=True)
    # The basic interval's reflected replicates (2 * estimate - replicate) have the same spread.
    return make_estimate(pieces.curve.ece, max(0.0, float(low[ECE])), high[ECE], method,
                         std_error=bootstrap_std_error(replicates[ECE], n_examples=table.n))


def ece_difference(baseline: Estimate, candidate: Estimate, index: int, settings: Settings,
                   base: Calibration, cand: Calibration) -> Difference:
    """Candidate minus baseline ECE, with the paired basic-bootstrap interval and p-value."""
    table = ece_pair_table((base.confidence, base.correct), (cand.confidence, cand.correct), n_bins=settings.ece_bins,
                           bins=(base.bins, cand.bins))
    point, low, high, replicates, method = resampled_intervals(
        table, ece_pair_statistic(settings.ece_bins), settings, rng_for(settings, _STREAM_PAIR_ECE, index), basic=True)
    return make_difference(ECE, candidate.value - baseline.value, low[ECE], high[ECE],
                           bootstrap_p_value(point[ECE], replicates[ECE]), "paired bootstrap", method,
                           baseline.value, candidate.value,
                           std_error=bootstrap_std_error(replicates[ECE], n_examples=table.n))
