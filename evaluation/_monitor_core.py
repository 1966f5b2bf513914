"""Monitoring's shared machinery, whatever the task: the bucket bootstrap per window, the alert family, the windows' results.

:func:`_summarise` turns per-unit (window x bucket) sums into each metric's value, percentile
interval and standard error per window; :func:`alert_family` tests every window's metric against the
test set's and Holm-adjusts every window, model and metric together; :func:`paired_family` adjusts
shadow mode's paired differences; :func:`window_results` assembles each window. Classification
(:mod:`evaluation._monitor`) and regression (:mod:`evaluation._monitor_regression`) plug their
sums and metrics in. Every aggregation is a ``bincount``; no Python loop runs over rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from ._inference import verdict
from ._monitor_report import Alert, Estimated, MetricDifference, ModelReference, ModelWindow, WindowMetric, WindowResult
from ._monitor_windows import Windows
from ._multiple import adjust_p_values
from ._parallel import parallel_map
from ._resampling import percentile_interval
from ._shift_report import ColumnDrift

__all__ = ["BUCKETS", "alert_family", "paired_family", "wilson_interval", "window_results"]

BUCKETS = 1024
"""Random buckets of rows per window: the units of the bootstrap (a window with fewer rows resamples its rows)."""
_STREAM_REALISED, _STREAM_ESTIMATED, _STREAM_BUCKETS = 1, 2, 3


# --- statistics -------------------------------------------------------------------------------------

def wilson_interval(successes: np.ndarray, n: np.ndarray, *, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval of a proportion (as ``statsmodels`` ``proportion_confint(method="wilson")``); NaN when n = 0.

    Examples
    --------
    >>> [round(float(v), 4) for v in wilson_interval(np.array(8), np.array(10), confidence=0.95)]
    [0.4902, 0.9433]
    """
    x, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    z = ndtri(1.0 - (1.0 - confidence) / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _two_sided(z: np.ndarray) -> np.ndarray:
    """Two-sided normal p-value of z (NaN stays NaN)."""
    return 2.0 * ndtr(-np.abs(z))


def _proportions_test(x1: np.ndarray, n1: np.ndarray, x2: float, n2: float) -> np.ndarray:
    """Pooled two-proportion z-test's two-sided p-value (``statsmodels`` ``proportions_ztest``); 1 when nothing varies."""
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = np.where(se > 0, (x1 / n1 - x2 / n2) / np.where(se > 0, se, 1.0), 0.0)
    return _two_sided(z)


def _normal_test(value: np.ndarray, se: np.ndarray, reference: float, reference_se: float) -> np.ndarray:
    """Two-sided normal test of ``value - reference`` with independent standard errors; NaN when undefined."""
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.sqrt(se**2 + reference_se**2)
        z = np.where(total > 0, (value - reference) / np.where(total > 0, total, 1.0), np.nan)
    return _two_sided(z)


def _replicates(sums: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """``(resamples, q)`` totals of a Poisson bootstrap over the non-empty units (rows of ``sums``)."""
    occupied = sums[sums[:, 0] > 0]
    weights = rng.poisson(1.0, size=(resamples, occupied.shape[0])).astype(float)
    return weights @ occupied


@dataclass(frozen=True)
class _Realised:
    """One model's realised metrics in every window (and their replicates, for the paired differences)."""

    value: dict[str, np.ndarray]          # metric -> (W,)
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    se: dict[str, np.ndarray]
    replicates: list[dict[str, np.ndarray]]  # per window: metric -> (R,)
    count: np.ndarray                     # (W,)
    correct: np.ndarray                   # (W,)


def _summarise(sums: np.ndarray, windows: int, metrics_of: Callable[[np.ndarray], dict[str, np.ndarray]], *,
               resamples: int, confidence: float, seed: int, stream: int, correct: slice | None = None) -> _Realised:
    """Values, intervals and standard errors per window from ``(windows * BUCKETS, q)`` sums (column 0: the rows).

    ``metrics_of`` turns ``(..., q)`` totals into each metric; with ``correct`` (the columns that sum to the correct
    rows) the accuracy's interval is Wilson's and its standard error the binomial one.
    """
    blocks = sums.reshape(windows, BUCKETS, sums.shape[1])
    totals = blocks.sum(axis=1)
    value = metrics_of(totals)
    names = list(value)
    low = {m: np.full(windows, np.nan) for m in names}
    high = {m: np.full(windows, np.nan) for m in names}
    se = {m: np.full(windows, np.nan) for m in names}

    def one(w: int) -> dict[str, np.ndarray]:
        if totals[w, 0] == 0:
            return {}
        return metrics_of(_replicates(blocks[w], np.random.default_rng([seed, stream, w]), resamples))

    replicates = parallel_map(one, range(windows))
    for w, drawn in enumerate(replicates):
        for m in drawn:
            finite = drawn[m][np.isfinite(drawn[m])]
            if finite.size > 1:
                lo, hi = percentile_interval(finite, confidence=confidence)
                low[m][w], high[m][w], se[m][w] = float(lo), float(hi), float(np.std(finite, ddof=1))
    count = totals[:, 0]
    right = totals[:, correct].sum(axis=1) if correct is not None else np.zeros(windows)
    if correct is not None:
        low["accuracy"], high["accuracy"] = wilson_interval(right, count, confidence=confidence)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = right / count
            se["accuracy"] = np.sqrt(p * (1 - p) / count)
    return _Realised(value, low, high, se, replicates, count, right)


def paired_family(rows: Sequence[tuple[int, str, float, float, float, float, str]], windows: int, *, alpha: float,
                  higher_is_better: Mapping[str, bool]) -> list[dict[str, MetricDifference]]:
    """Shadow mode's ``(window, metric, value, low, high, p, test)`` rows per window, Holm across every row, each with
    its verdict at ``alpha``."""
    adjusted = adjust_p_values(np.array([r[5] for r in rows]), method="holm") if rows else np.zeros(0)
    out: list[dict[str, MetricDifference]] = [{} for _ in range(windows)]
    for (w, metric, value, low, high, p, test), q in zip(rows, adjusted, strict=True):
        decided = verdict(value, float(q), alpha=alpha, higher_is_better=higher_is_better[metric])
        out[w][metric] = MetricDifference(value, low, high, p, float(q), test, str(decided))
    return out


def alert_family(realised: Mapping[str, _Realised], references: Mapping[str, ModelReference], models: Sequence[str],
                 starts: np.ndarray, *, alpha: float, min_labelled: int, higher_is_better: Mapping[str, bool],
                 ) -> tuple[dict[tuple[int, str, str], tuple[float, float]], list[Alert], int]:
    """Test every window's metric against the test set's, Holm over every window, model and metric; the alerts.

    Accuracy: the pooled two-proportion z-test; every other metric: the normal test with both bootstrap
    standard errors. Windows with fewer than ``min_labelled`` labelled rows are not tested. Returns the
    raw and adjusted p-value of each tested ``(window, model, metric)``, the alerts (in window, model
    and ``higher_is_better``'s metric order) and the size of the family.
    """
    family: list[tuple[int, str, str, float]] = []
    for name in models:
        mine, ref = realised[name], references[name]
        for metric in mine.value:
            if metric == "accuracy":
                reference_correct = round(ref.metrics["accuracy"].value * ref.metrics["accuracy"].n)
                tested = _proportions_test(mine.correct, mine.count, reference_correct, ref.metrics["accuracy"].n)
            else:
                tested = _normal_test(mine.value[metric], mine.se[metric], ref.metrics[metric].value,
                                      ref.metrics[metric].std_error)
            for w in range(starts.shape[0]):
                if mine.count[w] >= min_labelled and np.isfinite(tested[w]):
                    family.append((w, name, metric, float(tested[w])))
    adjusted = adjust_p_values(np.array([f[3] for f in family]), method="holm") if family else np.zeros(0)
    p_values = {(w, name, metric): (raw, float(q)) for (w, name, metric, raw), q in zip(family, adjusted, strict=True)}
    alerts = []
    for (w, name, metric, raw), q in zip(family, adjusted, strict=True):
        if q <= alpha:
            value, reference = float(realised[name].value[metric][w]), references[name].metrics[metric].value
            worse = (value < reference) == higher_is_better[metric]
            alerts.append(Alert(w, int(starts[w]), name, metric, value, reference, raw, float(q),
                                "worse" if worse else "better"))
    alerts.sort(key=lambda a: (a.window, list(models).index(a.model), list(higher_is_better).index(a.metric)))
    return p_values, alerts, len(family)


def window_results(found: Windows, n_rows: np.ndarray, n_labelled: np.ndarray, models: Sequence[str],
                   realised: Mapping[str, _Realised], p_values: Mapping[tuple[int, str, str], tuple[float, float]],
                   drifts: Sequence[Sequence[tuple[str, ColumnDrift]]],
                   differences: Sequence[Mapping[str, MetricDifference]],
                   estimated: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]]],
                   notes: Mapping[str, str]) -> tuple[WindowResult, ...]:
    """Each window's results: every model's metrics (with their p-values), estimates or why not, drift, differences."""
    results = []
    for w in range(found.count):
        window_models = {}
        split = drifts[w]
        for name in models:
            mine = realised[name]
            metrics = {}
            if mine.count[w] > 0:
                for metric in mine.value:
                    raw_p, adjusted_p = p_values.get((w, name, metric), (math.nan, math.nan))
                    metrics[metric] = WindowMetric(float(mine.value[metric][w]), float(mine.low[metric][w]),
                                                   float(mine.high[metric][w]), float(mine.se[metric][w]),
                                                   int(mine.count[w]), raw_p, adjusted_p)
            ours = estimated.get(name)
            estimates = ({m: Estimated(float(v[w]), float(lo[w]), float(hi[w])) for m, (v, lo, hi) in ours.items()}
                         if ours else {})
            window_models[name] = ModelWindow(metrics, estimates, "" if ours else notes[name],
                                              tuple(d for owner, d in split if owner == name))
        results.append(WindowResult(int(found.starts[w]), int(found.ends[w]), int(n_rows[w]), int(n_labelled[w]),
                                    window_models, tuple(d for owner, d in split if owner == ""), differences[w]))
    return tuple(results)
