"""Calibration: the top-label confidence, its bins, the reliability curve and the expected calibration error.

``ECE = sum_b |B_b| / n * |accuracy(B_b) - mean confidence(B_b)|`` over equal-width bins of the
top-label confidence (Naeini et al. 2015; Guo et al. 2017), 15 bins by default. ECE needs only each
example's confidence and whether its top label is right, not the per-class rankings, so it is
computed beside the confusion-count metrics. The value reported is this plug-in ECE.

Cells. Each example falls in a cell (confidence bin, correct or not). A bin's signed gap
``sum(correct - confidence)`` is the sum over its cells of ``count x (correct - mean confidence of the
cell)``, exact on the original data. Resampling the cell counts treats the examples of a cell as
sharing its mean confidence: within a bin of width 1/15 the spread of confidences adds at most
``(1/15)^2 / 12`` to a per-example variance of about ``p(1 - p)``, so the bootstrap differs from a row
bootstrap by well under Monte Carlo error. The exception is a paired difference whose two models are
right and wrong on the same examples (a recalibrated model against its original) and whose bins are
all far from calibrated: correctness then cancels, the difference's variance is the spread of the
confidence differences within cells, and the cell bootstrap understates it (an interval 0.6 times
the delta method's at 100,000 examples with confidences jittered by 0.02, 0.2 times with 0.005).

Intervals: bootstrap test inversion. ECE is ``sum_b |g_b|``, a sum of absolute values of the bins'
mean gaps ``g_b``. The plug-in is biased upward, most where a bin is nearly calibrated
(``E|g_b + e| > |g_b|``; Kumar, Liang & Ma 2019), and ``|.|`` is not differentiable at 0, where the
bootstrap is inconsistent (Andrews 2000; Fang & Santos 2019): the basic, percentile and BCa
intervals of the plug-in covered 0-90% in simulation, and Kumar et al.'s debiasing ``2 ECE -
mean(ECE*)`` is the basic interval's centre. The interval here is the set of values ``t`` that a
test does not reject (test inversion: Carpenter & Bithell 2000): ``t`` is kept when the observed
ECE lies between the ``alpha/2`` and ``1 - alpha/2`` quantiles of the ECE of data drawn from a
world whose bins' gaps sum to ``t``. Its sampling noise is the cell bootstrap's, ``g*_b - g_b``, so
one set of resamples serves every ``t``; its gaps lie on a path of the model's own. Each
``|g_b|`` shrinks by ``s * var_b`` towards 0, no further (soft-thresholding: the restricted estimate
nearest the data in the bootstrap's variance metric, under a normal approximation), or grows by
``s * var_b``; the path is anchored at the model's median-unbiased point, the world on this path
through the data whose median resampled ECE is the observed ECE (removing the plug-in's bias), and
above it every bin grows, those shrunk to 0 too. Near calibration the worlds have gaps at or near 0
and the plug-in's full upward bias, so the interval can lie below the plug-in. The upper bound is
power-constrained (Cowan, Cranmer, Gross & Vitells 2011; see :func:`ece_interval`). A paired
difference moves the candidate along its path one way and the baseline along its own the other
way, with the paired resamples' noise. The method is used whatever ``Settings.ci_method`` says:
percentile and BCa intervals are what failed.

Measured by the project's simulation study (``docs/simulation.md``; 500 replications per cell, calibrated
and mis-calibrated models): 95% intervals of the ECE difference cover 95.7%, 95.7% and 95.6% pooled over
four populations at n = 100, 400 and 2,000 (79.5%, 84.9% and 87.1% with the basic bootstrap before);
single-model intervals 95.9%, 96.5% and 96.3% (a calibrated model up to 98-99%, since its interval can
only miss above 0), against 51-95% before. The hardest pair, a calibrated baseline against an
over-confident candidate (population ``five_class_overconfident``), covers 92.0%, 94.2% and 94.4%; an
earlier path that scaled every gap down by one common factor, rather than soft-thresholding them,
covered 85.8%, 89.8% and 90.6% there (its worlds near calibration kept every bin's gap in proportion,
when the truth has some bins calibrated and others not).

:func:`evaluation._inference.make_estimate` and ``make_difference`` extend every interval to contain
its value, this one too: where the test-inversion interval lies below a biased plug-in, the
reported interval reaches up to the plug-in.

The test of a difference is the paired permutation test on the cells
(:func:`evaluation._resampling.swap_statistics`): exchanging the two models' outputs on an example
moves its gap from one model's bins to the other's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import brentq

from ._data import ClassificationData, ModelData
from ._inference import FEWER_THAN_TWO, bootstrap_std_error, make_difference, make_estimate, rng_for
from ._resampling import CellTable, Statistic, bootstrap_statistics, cell_table, permutation_p_value, swap_statistics
from ._results import CalibrationCurve, Difference, Estimate, Settings
from ._statistics import PAIRED_PERMUTATION

__all__ = [
    "DEFAULT_ECE_BINS",
    "ECE",
    "ECE_INTERVAL_METHOD",
    "Calibration",
    "binned_curve",
    "calibration",
    "calibration_bin",
    "calibration_curve",
    "ece_difference",
    "ece_difference_interval",
    "ece_estimate",
    "ece_interval",
    "ece_pair_statistic",
    "ece_pair_table",
    "ece_single_statistic",
    "ece_single_table",
    "summed_ece_table",
    "table_ece_difference",
    "table_ece_estimate",
    "top_label",
]

ECE = "expected_calibration_error"
DEFAULT_ECE_BINS = 15
ECE_INTERVAL_METHOD = "bootstrap test inversion"
"""The ``method`` of every ECE interval (whatever :attr:`Settings.ci_method` says)."""
# Seed streams shared with evaluation._classification's numbering (1, 3 and 5 are its own).
_STREAM_MODEL_ECE, _STREAM_PAIR_ECE, _STREAM_PAIR_ECE_SWAP = 2, 4, 6


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
    return binned_curve(count, confidence_sum, correct_sum, n=confidence.shape[0])


def binned_curve(count: np.ndarray, confidence_sum: np.ndarray, correct_sum: np.ndarray, *, n: int) -> CalibrationCurve:
    """The reliability curve and ECE from each bin's examples, summed confidence and examples right (``n``: all)."""
    n_bins = count.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = confidence_sum / count
        accuracy = correct_sum / count
    ece = float(np.abs(correct_sum - confidence_sum).sum() / n)
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
    return cell_table(keys, lambda occupied: _single_design(occupied, _mean_confidence(keys, confidence, occupied),
                                                            n_bins), key_space=2 * n_bins)


def _single_design(occupied: np.ndarray, mean_confidence: np.ndarray, n_bins: int) -> sparse.csr_matrix:
    """The occupied (bin, correct) cells' design: the signed gap in the cell's bin, and a count."""
    gap = (occupied % 2) - mean_confidence
    rows = np.arange(occupied.shape[0])
    matrix = sparse.lil_matrix((occupied.shape[0], n_bins + 1))
    matrix[rows, occupied // 2] = gap
    matrix[rows, n_bins] = 1.0
    return matrix.tocsr()


def summed_ece_table(keys: np.ndarray, counts: np.ndarray, confidence: Sequence[np.ndarray], *,
                     n_bins: int) -> CellTable:
    """:func:`ece_single_table` (one ``confidence``) or :func:`ece_pair_table` (two) from cells counted elsewhere:
    the occupied keys in increasing order, their examples and each model's summed confidence (an engine's)."""
    if len(confidence) == 1:
        design = _single_design(keys, confidence[0] / counts, n_bins)
    else:
        design = _pair_design(keys, confidence[0] / counts, confidence[1] / counts, n_bins)
    return CellTable(counts=counts, design=sparse.csr_matrix(design))


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
    return cell_table(keys, lambda occupied: _pair_design(occupied, _mean_confidence(keys, baseline[0], occupied),
                                                          _mean_confidence(keys, candidate[0], occupied), n_bins),
                      key_space=width * width)


def _pair_design(occupied: np.ndarray, base_confidence: np.ndarray, cand_confidence: np.ndarray,
                 n_bins: int) -> sparse.csr_matrix:
    """The occupied (baseline cell, candidate cell) pairs' design: each model's signed gap in its bin, and a count."""
    width = 2 * n_bins
    base_cell, cand_cell = occupied // width, occupied % width
    rows = np.arange(occupied.shape[0])
    matrix = sparse.lil_matrix((occupied.shape[0], 2 * n_bins + 1))
    matrix[rows, base_cell // 2] = (base_cell % 2) - base_confidence
    matrix[rows, n_bins + cand_cell // 2] = (cand_cell % 2) - cand_confidence
    matrix[rows, 2 * n_bins] = 1.0
    return matrix.tocsr()


def ece_pair_statistic(n_bins: int) -> Statistic:
    """Candidate ECE minus baseline ECE from the aggregates of :func:`ece_pair_table`."""

    def statistic(aggregates: np.ndarray) -> dict[str, np.ndarray]:
        count = aggregates[:, 2 * n_bins]
        base = np.abs(aggregates[:, :n_bins]).sum(axis=1) / count
        cand = np.abs(aggregates[:, n_bins:2 * n_bins]).sum(axis=1) / count
        return {"expected_calibration_error": cand - base}

    return statistic


# --- Intervals by test inversion ----------------------------------------------------------------

def _gap_statistic(n_bins: int, models: int) -> Statistic:
    """Each model's mean signed gap per bin, ``{"gaps": (b, models * n_bins)}``, from a table's aggregates."""

    def statistic(aggregates: np.ndarray) -> dict[str, np.ndarray]:
        return {"gaps": aggregates[:, :models * n_bins] / aggregates[:, models * n_bins:models * n_bins + 1]}

    return statistic


@dataclass(frozen=True)
class _Path:
    """One model's worlds in the test inversion: per-bin gap magnitudes ``max(anchor + step * var, 0)``.

    ``noise`` holds the bootstrap's ``g* - g`` per resample and bin, ``weight`` its variance per bin
    and ``sign`` the observed gaps' signs. Steps below 0 shrink the anchor's gaps towards 0 by
    ``step * var_b`` each, no further than 0 (soft-thresholding: the restricted estimate nearest the
    anchor in the bootstrap's variance metric); steps above 0 grow every bin's gap, those at 0 too.
    """

    magnitude: np.ndarray
    sign: np.ndarray
    noise: np.ndarray
    weight: np.ndarray

    @classmethod
    def of(cls, gaps: np.ndarray, replicates: np.ndarray) -> _Path:
        """The path anchored at the median-unbiased point of the observed ``gaps`` (``replicates``: bootstrap)."""
        noise = replicates - gaps
        # A gap of exactly 0 grows upward, an arbitrary direction: only its size enters the ECE.
        through_data = cls(np.abs(gaps), np.where(gaps < 0, -1.0, 1.0), noise, noise.var(axis=0))
        if not through_data.moves:
            return through_data
        step = _median_unbiased_step(through_data, float(np.abs(gaps).sum()))
        return cls(np.abs(through_data.means(step)), through_data.sign, noise, through_data.weight)

    @property
    def moves(self) -> bool:
        """Whether any bin varies across resamples."""
        return bool((self.weight > 0).any())

    @property
    def empty_step(self) -> float:
        """The step at which every varying bin's gap has shrunk to 0."""
        varying = self.weight > 0
        return -float(np.max(self.magnitude[varying] / self.weight[varying], initial=0.0))

    @property
    def scale(self) -> float:
        """A step that moves the noisiest bin by about one standard deviation of the ECE."""
        spread = float(np.abs(self.magnitude * self.sign + self.noise).sum(axis=1).std())
        return max(spread, 1e-12) / float(self.weight.max())

    def means(self, step: float) -> np.ndarray:
        """Per-bin gaps of the world at ``step``."""
        return self.sign * np.maximum(self.magnitude + step * self.weight, 0.0)

    def ece(self, step: float) -> float:
        """The ECE of the world at ``step`` (non-decreasing in ``step``)."""
        return float(np.abs(self.means(step)).sum())

    def resampled(self, step: float) -> np.ndarray:
        """The plug-in ECE of every resample drawn from the world at ``step``."""
        return np.abs(self.means(step) + self.noise).sum(axis=1)


def _outward(function: Callable[[float], float], start: float, direction: float, limit: int = 64) -> float:
    """The first step ``direction * start * 2^k`` where ``function`` has ``direction``'s sign or is 0.

    A path that ends (a model whose bins never vary cannot move) gives its last step tried, where
    every later step has the same world.
    """
    step = direction * start
    for _ in range(limit):
        if function(step) * direction >= 0:
            break
        step *= 2.0
    return step


def _root(function: Callable[[float], float], low: float, high: float, scale: float) -> float:
    """The step in ``[low, high]`` where ``function`` crosses 0, or the end it never leaves."""
    if function(low) * function(high) > 0:
        return low if abs(function(low)) < abs(function(high)) else high
    return float(brentq(function, low, high, xtol=1e-10 * scale))


def _median_unbiased_step(path: _Path, value: float) -> float:
    """The step whose world puts the observed ECE ``value`` at the median of its resampled ECE."""

    def excess(step: float) -> float:
        return float(np.quantile(path.resampled(step), 0.5)) - value

    empty = path.empty_step
    if excess(empty) >= 0:
        return empty
    if excess(0.0) >= 0:
        return _root(excess, empty, 0.0, path.scale)
    return _root(excess, 0.0, _outward(excess, path.scale, 1.0), path.scale)


def ece_interval(gaps: np.ndarray, replicates: np.ndarray, *, confidence: float) -> tuple[float, float]:
    """Test-inversion interval of a model's ECE from its per-bin mean gaps and their bootstrap replicates.

    Parameters
    ----------
    gaps:
        ``(M,)`` mean signed gap ``sum(correct - confidence) / n`` of each bin on the data.
    replicates:
        ``(R, M)`` the same per bootstrap resample.
    confidence:
        Level of the interval.

    Returns
    -------
    (low, high)
        The values ``t >= 0`` at which the observed ECE is within the central ``confidence`` of the
        resampled ECE of a world whose gaps sum to ``t`` (see the module docstring); ``(ECE, ECE)``
        when nothing varies. The upper bound is power-constrained (Cowan, Cranmer, Gross & Vitells
        2011): it never excludes a value that a calibrated world would exclude less often than
        ``1 - confidence`` of the time, so it is never below the bound that the calibrated world's
        ``1 - confidence`` quantile of ECE gets, and an ECE smaller than chance allows (even 0) does not
        give the empty interval ``[0, 0]``.

    Examples
    --------
    >>> noise = np.random.default_rng(0).normal(0.0, 0.01, (4000, 3))
    >>> low, high = ece_interval(np.zeros(3), noise, confidence=0.95)  # a plug-in ECE of exactly 0
    >>> low, round(high, 3)
    (0.0, 0.02)
    """
    path = _Path.of(gaps, replicates)
    value = float(np.abs(gaps).sum())
    if not path.moves:
        return value, value
    tail = (1.0 - confidence) / 2.0
    empty = path.empty_step
    floor = float(np.quantile(path.resampled(empty), 1.0 - confidence))
    bounds = []
    for level, observed in ((1.0 - tail, value), (tail, max(value, floor))):

        def excess(step: float, level: float = level, observed: float = observed) -> float:
            return float(np.quantile(path.resampled(step), level)) - observed

        if excess(empty) >= 0:  # a calibrated world puts the observed ECE inside its central range
            bounds.append(0.0)
            continue
        bounds.append(path.ece(_root(excess, empty, _outward(excess, path.scale, 1.0), path.scale)))
    return bounds[0], bounds[1]


def ece_difference_interval(gaps: np.ndarray, replicates: np.ndarray, *, confidence: float) -> tuple[float, float]:
    """Test-inversion interval of the candidate's ECE minus the baseline's, paired.

    Parameters
    ----------
    gaps:
        ``(2M,)`` mean signed gaps per bin, the baseline's ``M`` bins then the candidate's.
    replicates:
        ``(R, 2M)`` the same per paired bootstrap resample.
    confidence:
        Level of the interval.

    Returns
    -------
    (low, high)
        The differences ``t`` at which the observed difference is within the central ``confidence``
        of the resampled difference of a world whose candidate and baseline ECEs differ by ``t``:
        the candidate moved along its path by ``+step`` and the baseline along its own by ``-step``
        (each path anchored at the model's median-unbiased point). The observed value twice when the
        difference never varies (identical models).

    Examples
    --------
    >>> noise = np.random.default_rng(0).normal(0.0, 0.01, (4000, 2))
    >>> ece_difference_interval(np.array([0.01, 0.01]), 0.01 + noise[:, [0, 0]], confidence=0.95)  # the same model
    (0.0, 0.0)
    """
    n_bins = gaps.shape[0] // 2
    value = float(np.abs(gaps[n_bins:]).sum() - np.abs(gaps[:n_bins]).sum())
    plug_in = np.abs(replicates[:, n_bins:]).sum(axis=1) - np.abs(replicates[:, :n_bins]).sum(axis=1)
    if np.all(plug_in == value):
        return value, value
    base, cand = _Path.of(gaps[:n_bins], replicates[:, :n_bins]), _Path.of(gaps[n_bins:], replicates[:, n_bins:])
    scale = max(float(plug_in.std()), 1e-12) / float(max(base.weight.max(), cand.weight.max()))
    tail = (1.0 - confidence) / 2.0
    bounds = []
    for level in (1.0 - tail, tail):

        def excess(step: float, level: float = level) -> float:
            return float(np.quantile(cand.resampled(step) - base.resampled(-step), level)) - value

        step = _root(excess, _outward(excess, scale, -1.0), _outward(excess, scale, 1.0), scale)
        bounds.append(cand.ece(step) - base.ece(-step))
    return bounds[0], bounds[1]


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


def _gaps_and_replicates(table: CellTable, models: int, settings: Settings,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin mean gaps of the data and of every bootstrap resample of the cells."""
    statistic = _gap_statistic(settings.ece_bins, models)
    gaps = statistic(table.aggregates(table.counts.astype(float)))["gaps"][0]
    return gaps, bootstrap_statistics(table, statistic, resamples=settings.resamples, rng=rng)["gaps"]


def ece_estimate(index: int, settings: Settings, pieces: Calibration) -> Estimate:
    """ECE with its test-inversion interval (``index``: the model's place, which seeds its draws)."""
    table = ece_single_table(pieces.confidence, pieces.correct, n_bins=settings.ece_bins, bins=pieces.bins)
    return table_ece_estimate(table, pieces.curve.ece, index, settings)


def table_ece_estimate(table: CellTable, value: float, index: int, settings: Settings) -> Estimate:
    """:func:`ece_estimate` from a model's table (:func:`ece_single_table`) and its ECE."""
    gaps, replicates = _gaps_and_replicates(table, 1, settings, rng_for(settings, _STREAM_MODEL_ECE, index))
    low, high = ece_interval(gaps, replicates, confidence=settings.confidence)
    return make_estimate(value, low, high, ECE_INTERVAL_METHOD,
                         std_error=bootstrap_std_error(np.abs(replicates).sum(axis=1), n_examples=table.n))


def ece_difference(baseline: Estimate, candidate: Estimate, index: int, settings: Settings,
                   base: Calibration, cand: Calibration) -> Difference:
    """Candidate minus baseline ECE, with the paired test-inversion interval and the paired permutation test."""
    table = ece_pair_table((base.confidence, base.correct), (cand.confidence, cand.correct), n_bins=settings.ece_bins,
                           bins=(base.bins, cand.bins))
    return table_ece_difference(table, baseline, candidate, index, settings)


def table_ece_difference(table: CellTable, baseline: Estimate, candidate: Estimate, index: int,
                         settings: Settings) -> Difference:
    """:func:`ece_difference` from the pair's table (:func:`ece_pair_table`) and both models' ECE."""
    n_bins = settings.ece_bins
    gaps, replicates = _gaps_and_replicates(table, 2, settings, rng_for(settings, _STREAM_PAIR_ECE, index))
    low, high = ece_difference_interval(gaps, replicates, confidence=settings.confidence)
    difference = candidate.value - baseline.value
    # Exchanging an example's two outputs moves its gap from the baseline's bins to the candidate's and back.
    swap = np.concatenate([np.arange(n_bins, 2 * n_bins), np.arange(n_bins), [2 * n_bins]])
    exchanged = swap_statistics(table, ece_pair_statistic(n_bins), swap, resamples=settings.resamples,
                                rng=rng_for(settings, _STREAM_PAIR_ECE_SWAP, index))[ECE]
    resampled = np.abs(replicates[:, n_bins:]).sum(axis=1) - np.abs(replicates[:, :n_bins]).sum(axis=1)
    return make_difference(ECE, difference, low, high, permutation_p_value(np.asarray(difference), exchanged),
                           PAIRED_PERMUTATION, ECE_INTERVAL_METHOD, baseline.value, candidate.value,
                           std_error=bootstrap_std_error(resampled, n_examples=table.n),
                           reason=FEWER_THAN_TWO if table.n < 2 else "")
