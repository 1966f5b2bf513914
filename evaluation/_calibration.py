"""Expected calibration error of one model and of a candidate against the baseline, with the reliability curve.

ECE needs only each example's top-label confidence and whether that label is right, not the
per-class rankings, so it is computed beside the confusion-count metrics. Intervals come from the
bootstrap on (confidence bin, correct) cells of :mod:`evaluation._calibration_cells`, reflected
(basic bootstrap) because ECE is biased upward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._calibration_cells import ece_pair_statistic, ece_pair_table, ece_single_statistic, ece_single_table
from ._data import ClassificationData, ModelData
from ._inference import make_difference, make_estimate, resampled_intervals, rng_for
from ._probability import calibration_bin, top_label
from ._resampling import bootstrap_p_value
from ._results import CalibrationCurve, Difference, Estimate, Settings
from ._thresholds import calibration_curve

__all__ = ["ECE", "Calibration", "calibration", "ece_difference", "ece_estimate"]

ECE = "expected_calibration_error"
# Seed streams shared with evaluation._classification's numbering.
_STREAM_MODEL_ECE, _STREAM_PAIR_ECE = 2, 4


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
    _, low, high, _, method = resampled_intervals(table, ece_single_statistic(settings.ece_bins), settings,
                                                  rng_for(settings, _STREAM_MODEL_ECE, index), basic=True)
    return make_estimate(pieces.curve.ece, max(0.0, float(low[ECE])), high[ECE], method)


def ece_difference(baseline: Estimate, candidate: Estimate, index: int, settings: Settings,
                   base: Calibration, cand: Calibration) -> Difference:
    """Candidate minus baseline ECE, with the paired basic-bootstrap interval and p-value."""
    table = ece_pair_table((base.confidence, base.correct), (cand.confidence, cand.correct), n_bins=settings.ece_bins,
                           bins=(base.bins, cand.bins))
    point, low, high, replicates, method = resampled_intervals(
        table, ece_pair_statistic(settings.ece_bins), settings, rng_for(settings, _STREAM_PAIR_ECE, index), basic=True)
    return make_difference(ECE, candidate.value - baseline.value, low[ECE], high[ECE],
                           bootstrap_p_value(point[ECE], replicates[ECE]), "paired bootstrap", method,
                           baseline.value, candidate.value)
