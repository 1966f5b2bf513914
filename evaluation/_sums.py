"""Statistics of summed per-example columns, for any task: estimates, paired differences, slices.

A task whose metrics are functions of per-example sufficient statistics (absolute and squared errors
for regression; n-gram matches, lengths and per-example scores for generated text) describes each
example of each model as a row of named columns, its *design*. :class:`SummedStatistics` then gives
every registered statistic of the task its value, its interval (the t interval for a mean of one
column, else the paired bootstrap's percentile interval, resampling the examples of every model with
the same weights) and each candidate's paired difference with its test (the paired t-test, or the
paired permutation test exchanging the two models' outputs on random examples), per slice too, with
the multiple-comparison correction of :func:`evaluation._inference.decide`.

Seeds: each piece of work draws from :func:`evaluation._inference.rng_for` with the task's
``stream`` (bootstrap), ``stream + 1`` (exchanges), ``stream + 10 + candidate`` and
``stream + 1010 + candidate`` (per slice), so tasks never share a stream and the same seed gives the
same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.special import stdtr, stdtrit

from ._errors import EvaluationError
from ._inference import (
    FEWER_THAN_TWO,
    NO_SPREAD,
    bootstrap_std_error,
    decide,
    make_difference,
    make_estimate,
    mean_std_error,
    rng_for,
    t_interval,
    t_test_p_value,
)
from ._mcnemar import mcnemar_exact
from ._resampling import bootstrap_weights, percentile_interval, permutation_p_value, swap_weights
from ._results import VERDICT_INSUFFICIENT, Difference, Estimate, Settings, SliceMetric, SliceResult
from ._statistics import MCNEMAR, PAIRED_PERMUTATION, PAIRED_T, Statistic, statistics_of
from ._units import numpy_units

__all__ = ["CLUSTERED_T", "GROUPED_ABOVE", "RESAMPLING_GROUPS", "GroupSums", "SliceCodes", "SummedStatistics",
           "baseline_first", "cluster_sums", "clustered_t", "resampling_groups", "t_from_sums"]

_MEANS = (PAIRED_T, MCNEMAR)
"""Tests of a mean of one per-example column: its interval is the t interval, it needs no resamples."""
CLUSTERED_T = "paired t (clustered)"
"""The test of a mean's difference when examples come in clusters: the clustered standard error, C - 1 df."""


def cluster_sums(design: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Each cluster's summed rows (clusters coded 0..C-1): resampling them resamples whole clusters."""
    out = np.zeros((int(clusters.max()) + 1 if clusters.size else 0, design.shape[1]))
    np.add.at(out, clusters, design)
    return out


def clustered_t(values: np.ndarray, clusters: np.ndarray, confidence: float) -> tuple[float, float, float, float, float]:
    """Mean, t interval, standard error and two-sided p-value (of mean zero) with examples in clusters.

    The standard error is Miller's (2024, "Adding Error Bars to Evals", Appendix A) with the finite-cluster
    correction, ``sqrt(C / (C - 1) * sum_c (sum_{i in c} (s_i - mean))**2) / n``, as Inspect's
    ``stderr(cluster=...)`` computes it; the reference distribution is t with ``C - 1`` degrees of freedom.

    Examples
    --------
    >>> mean, low, high, se, p = clustered_t(np.array([1.0, 1.0, 0.0, 0.0]), np.array([0, 0, 1, 1]), 0.95)
    >>> mean, round(se, 4)  # two clusters, all right and all wrong: the SE of the two cluster means' mean
    (0.5, 0.5)
    """
    n = values.shape[0]
    mean = float(values.mean()) if n else float("nan")
    count = int(np.unique(clusters).size)
    if count < 2:
        return mean, float("nan"), float("nan"), float("nan"), float("nan")
    deviations = np.bincount(clusters, weights=values - mean)
    se = float(np.sqrt(count / (count - 1) * np.sum(deviations**2)) / n)
    if se == 0:
        return mean, mean, mean, 0.0, 1.0 if mean == 0 else float("nan")
    half = float(stdtrit(count - 1, 0.5 + confidence / 2.0)) * se
    return mean, mean - half, mean + half, se, float(2.0 * stdtr(count - 1, -abs(mean) / se))


NOT_FROM_SUMS = "computed by the engine (no interval)"
"""The method of a statistic that is not a function of sums (a median) when only sums leave the engine."""
NO_TEST_FROM_SUMS = "none (sums by group)"
"""The test of such a statistic's difference: none."""
NO_INTERVAL_FROM_SUMS = ("a median's interval and test resample each example's error, and above 100,000 examples "
                         "the engine returns sums by resampling group, not examples; the local engine computes them")


def t_from_sums(n: int, total: float, squares: float, confidence: float) -> tuple[float, float, float, float, float]:
    """Mean, t interval, standard error and two-sided p-value (of mean zero) of ``n`` values from their sum and the
    sum of their squares, computed as :func:`evaluation._inference.t_interval` and ``t_test_p_value`` compute them on
    the values (equal to the rounding of a sum taken in another order; a variance within that rounding of zero is
    zero).

    Examples
    --------
    >>> values = np.array([1.0, 2.0, 4.0])
    >>> mean, low, high, se, p = t_from_sums(3, float(values.sum()), float((values**2).sum()), 0.95)
    >>> from scipy import stats
    >>> bool(np.isclose(p, stats.ttest_1samp(values, 0.0).pvalue)), bool(np.isclose(se, stats.sem(values)))
    (True, True)
    """
    nan = float("nan")
    mean = total / n if n else nan
    if n < 2:
        return mean, nan, nan, nan, nan
    centred = squares - total * mean
    variance = centred / (n - 1) if centred > 1e-12 * squares else 0.0  # below the rounding of the sums: no spread
    sd = float(np.sqrt(variance))
    half = float(stdtrit(n - 1, 0.5 + confidence / 2.0)) * sd / np.sqrt(n)
    se = sd / float(np.sqrt(n))
    p = float(2.0 * stdtr(n - 1, -abs(mean / se))) if se > 0 else nan
    return mean, mean - half, mean + half, se, p


@dataclass(frozen=True)
class GroupSums:
    """A set of examples (all, or one slice's) summed by resampling group for every model: what a SQL engine
    returns instead of the examples (``docs/scale.md``).

    Attributes
    ----------
    n:
        How many examples.
    units:
        ``(models, groups, q)``: each model's design columns summed over the examples of each resampling group
        (the groups the bootstrap and the exchanges move, as :func:`cluster_sums` of :func:`resampling_groups`).
    squares:
        ``(models, q)``: each design column's sum of squares over the examples (a mean's t interval).
    pair_squares:
        ``(pairs, q)``: for each pair ``i < j`` of models (in ``itertools.combinations`` order), the sum over the
        examples of ``(design_j - design_i) ** 2`` (the paired t-test), summed directly rather than from products
        so that it does not cancel.
    points:
        Statistic name -> ``(models,)`` values of the statistics that are not of sums (a median), computed by the
        engine.
    """

    n: int
    units: np.ndarray
    squares: np.ndarray
    pair_squares: np.ndarray
    points: Mapping[str, np.ndarray] = field(default_factory=dict)

    def difference_squares(self, first: int, second: int, column: int) -> float:
        """The sum of squared per-example differences of two models' ``column`` (either order)."""
        models = self.units.shape[0]
        low, high = min(first, second), max(first, second)
        pair = sum(models - 1 - i for i in range(low)) + (high - low - 1)
        return float(self.pair_squares[pair, column])


SliceCodes = Mapping[str, tuple[np.ndarray, tuple[str, ...]]]
"""Slice column name -> (each example's code, the slices' values)."""


RESAMPLING_GROUPS = 10_000
"""Beyond :data:`GROUPED_ABOVE` resampling units, the bootstrap and the exchanges move this many random groups."""
GROUPED_ABOVE = 100_000
"""Resampling units (examples or clusters) above which they are pooled into :data:`RESAMPLING_GROUPS` groups."""


def resampling_groups(keys: np.ndarray) -> np.ndarray | None:
    """Each example's resampling group when there are more than :data:`GROUPED_ABOVE` units, else ``None``.

    ``keys`` names each example's unit (its id, or its cluster); a unit's group is a hash of its key
    modulo :data:`RESAMPLING_GROUPS` (pandas' ``hash_array``, fixed across runs and machines), so the
    groups depend on the ids alone, not on the order of the rows. Random groups of independent units are
    themselves independent, so the bootstrap over groups estimates the same sampling distribution of a
    sum (the random-group method of variance estimation; Wolter 2007, ch. 2) at a cost that no longer
    grows with the examples, and exchanging whole groups is a permutation test of the same null
    hypothesis (a subgroup of the exchanges, so its level holds exactly). Means keep their t intervals
    over examples.

    Examples
    --------
    >>> resampling_groups(np.array(["a", "b"], dtype=object)) is None
    True
    >>> groups = resampling_groups(np.arange(GROUPED_ABOVE + 1).astype(str).astype(object))
    >>> int(groups.max()) + 1 == np.unique(groups).size == RESAMPLING_GROUPS
    True
    """
    import pandas as pd

    codes, unique = pd.factorize(pd.Series(keys, dtype=object).astype(str))
    if unique.size <= GROUPED_ABOVE:
        return None
    hashed = pd.util.hash_array(np.asarray(unique, dtype=object)) % np.uint64(RESAMPLING_GROUPS)
    return np.unique(hashed, return_inverse=True)[1].astype(np.int64)[codes]  # coded 0..G-1: no empty group


def baseline_first(names: Sequence[str], baseline: str | None) -> list[str]:
    """The models in comparison order: the baseline (the first file's model by default), then the candidates.

    Raises
    ------
    EvaluationError
        Fewer than two models, or no model of the baseline's name.

    Examples
    --------
    >>> baseline_first(["a", "b", "c"], "b")
    ['b', 'a', 'c']
    """
    if len(names) < 2:
        raise EvaluationError("a comparison needs at least two prediction files: a baseline and a candidate")
    chosen = names[0] if baseline is None else baseline
    if chosen not in names:
        raise EvaluationError(f"no model is named {chosen!r} to serve as baseline; the models are {', '.join(names)}")
    return [chosen] + [name for name in names if name != chosen]


@dataclass(frozen=True)
class SummedStatistics:
    """The registered statistics of one task, computed from its per-example design.

    Attributes
    ----------
    task:
        The task whose statistics (:func:`evaluation._statistics.statistics_of`) are computed.
    columns:
        The design's column names, in order; a statistic's ``columns`` name some of them.
    stream:
        The first of the task's random streams (see the module docstring).
    """

    task: str
    columns: tuple[str, ...]
    stream: int

    @property
    def metrics(self) -> list[Statistic]:
        """The task's statistics, in report order."""
        return list(statistics_of(self.task).values())

    def select(self, statistic: Statistic) -> list[int]:
        """The design columns a statistic reads."""
        return [self.columns.index(column) for column in statistic.columns]

    def values(self, statistic: Statistic, totals: np.ndarray, weights: np.ndarray | None,
               design: np.ndarray) -> np.ndarray:
        """The statistic of each row of ``totals`` (or of ``weights`` for statistics not of sums)."""
        if statistic.from_weights is not None:
            assert weights is not None
            return statistic.from_weights(weights, design[:, self.select(statistic)[0]])
        assert statistic.finalize is not None  # every statistic here is of sums or of weights
        return statistic.finalize(totals[..., self.select(statistic)])

    def point(self, statistic: Statistic, design: np.ndarray) -> float:
        """The statistic on the data (a statistic of weights: the median of its column, exactly as ``np.median``)."""
        if statistic.from_weights is not None:
            return float(np.median(design[:, self.select(statistic)[0]]))
        assert statistic.finalize is not None
        return float(statistic.finalize(design.sum(axis=0)[self.select(statistic)]))

    def bootstrap(self, designs: Sequence[np.ndarray], metrics: Sequence[Statistic], resamples: int,
                  rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
        """Resampled values of every bootstrapped metric for each design (the same examples drawn for all: paired).

        The models' per-example statistics side by side form one unit table (:func:`numpy_units`: cells
        when they repeat, else one unit per example), so every model is resampled with the same weights.
        """
        width = len(self.columns)
        units = numpy_units(np.hstack(list(designs)))
        metrics = [metric for metric in metrics if metric.test not in _MEANS]  # those have t intervals, not replicates

        def statistic(weights: np.ndarray) -> dict[str, np.ndarray]:
            out = {}
            for index in range(len(designs)):
                design = units.design[:, index * width:(index + 1) * width]
                totals = weights @ design  # one product per model: identical models give identical totals, bit for bit
                for metric in metrics:
                    out[f"{index}:{metric.name}"] = self.values(metric, totals, weights, design)
            return out

        replicates = bootstrap_weights(units.counts, statistic, resamples=resamples, rng=rng)
        return [{metric.name: replicates[f"{index}:{metric.name}"] for metric in metrics}
                for index in range(len(designs))]

    def exchanges(self, base: np.ndarray, cand: np.ndarray, metrics: Sequence[Statistic], resamples: int,
                  rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Candidate-minus-baseline values of every resampled metric when the two models' outputs are
        exchanged on random examples (the paired permutation test; see :func:`evaluation._resampling.swap_weights`).

        The two models' per-example statistics are stacked, ``[baseline rows; candidate rows]`` of each
        unit: exchanging ``e`` of a unit's ``c`` examples weighs its baseline row ``c - e`` and its
        candidate row ``e`` in the baseline's resample, and the reverse in the candidate's, so sums and
        medians alike read the weights.
        """
        units = numpy_units(np.hstack([base, cand]))
        width = len(self.columns)
        stacked = np.vstack([units.design[:, :width], units.design[:, width:]])
        metrics = [metric for metric in metrics if metric.test not in _MEANS]

        def statistic(exchanged: np.ndarray) -> dict[str, np.ndarray]:
            kept = units.counts - exchanged
            as_baseline, as_candidate = np.hstack([kept, exchanged]), np.hstack([exchanged, kept])
            totals_baseline, totals_candidate = as_baseline @ stacked, as_candidate @ stacked
            return {metric.name: self.values(metric, totals_candidate, as_candidate, stacked)
                    - self.values(metric, totals_baseline, as_baseline, stacked) for metric in metrics}

        return swap_weights(units.counts, statistic, resamples=resamples, rng=rng)

    def estimates(self, design: np.ndarray, replicates: Mapping[str, np.ndarray], metrics: Sequence[Statistic],
                  settings: Settings, *, clusters: np.ndarray | None = None) -> dict[str, Estimate]:
        """Each metric with its interval: the t interval for a mean of per-example values (clustered when the
        examples come in ``clusters``), else the bootstrap's."""
        out = {}
        for metric in metrics:
            value = self.point(metric, design)
            if metric.test in _MEANS and clusters is not None:
                values = design[:, self.select(metric)[0]]
                _, low, high, se, _ = clustered_t(values, clusters, settings.confidence)
                out[metric.name] = make_estimate(value, low, high, "clustered t interval", std_error=se)
            elif metric.test in _MEANS:
                values = design[:, self.select(metric)[0]]
                _, low, high = t_interval(values, settings.confidence)
                out[metric.name] = make_estimate(value, low, high, "t interval", std_error=mean_std_error(values))
            else:
                bounds = percentile_interval(replicates[metric.name], confidence=settings.confidence)
                out[metric.name] = make_estimate(value, bounds[0], bounds[1], "bootstrap percentile",
                                                 std_error=bootstrap_std_error(replicates[metric.name],
                                                                               n_examples=design.shape[0]))
        return out

    def differences(self, base: np.ndarray, cand: np.ndarray, base_reps: Mapping[str, np.ndarray],
                    cand_reps: Mapping[str, np.ndarray], exchanged: Mapping[str, np.ndarray],
                    metrics: Sequence[Statistic], settings: Settings, *,
                    clusters: np.ndarray | None = None) -> dict[str, Difference]:
        """Each metric's paired difference (candidate minus baseline) with its interval and named test.

        ``exchanged``: each resampled metric's differences under random exchanges (:meth:`exchanges`).
        ``clusters``: each example's cluster (coded 0..C-1) when examples are not independent; a mean's
        difference is then tested with the clustered standard error (:func:`clustered_t`).
        """
        out = {}
        too_few = FEWER_THAN_TWO if base.shape[0] < 2 else ""
        for metric in metrics:
            b, c = self.point(metric, base), self.point(metric, cand)
            if metric.test in _MEANS and clusters is not None:
                column = self.select(metric)[0]
                _, low, high, se, p = clustered_t(cand[:, column] - base[:, column], clusters, settings.confidence)
                out[metric.name] = make_difference(metric.name, c - b, low, high, p, CLUSTERED_T, "clustered t interval",
                                                   b, c, std_error=se, reason=too_few)
            elif metric.test == MCNEMAR:  # a 0/1 column: the exact conditional test on the discordant examples
                column = self.select(metric)[0]
                diff = cand[:, column] - base[:, column]
                _, low, high = t_interval(diff, settings.confidence)
                p = mcnemar_exact(int((diff < 0).sum()), int((diff > 0).sum())).p_value
                out[metric.name] = make_difference(metric.name, c - b, low, high, p, MCNEMAR, "t interval", b, c,
                                                   std_error=mean_std_error(diff), reason=too_few)
            elif metric.test == PAIRED_T:
                column = self.select(metric)[0]
                diff = cand[:, column] - base[:, column]
                mean, low, high = t_interval(diff, settings.confidence)
                spread = diff.shape[0] > 1 and np.std(diff) > 0
                p = t_test_p_value(diff) if spread else (1.0 if mean == 0 else float("nan"))
                out[metric.name] = make_difference(metric.name, c - b, low, high, p, PAIRED_T, "t interval", b, c,
                                                   std_error=mean_std_error(diff),
                                                   reason=too_few or ("" if spread or mean == 0 else NO_SPREAD))
            else:
                out[metric.name] = _resampled_difference(metric, b, c, base_reps, cand_reps, exchanged, settings,
                                                         base.shape[0], too_few)
        return out

    def compared(self, designs: Mapping[str, np.ndarray], order: Sequence[str], settings: Settings, *,
                 metrics: Sequence[Statistic] | None = None, clusters: np.ndarray | None = None,
                 groups: np.ndarray | None = None,
                 ) -> tuple[dict[str, dict[str, Estimate]], dict[str, dict[str, Difference]]]:
        """Every model's estimates and every candidate's decided differences from the baseline ``order[0]``.

        ``metrics``: the statistics the data supports (default: every one of the task). ``clusters``: each
        example's cluster (coded 0..C-1): the bootstrap and the exchanges then move whole clusters (their
        summed rows), and means get the clustered standard error. ``groups``: each example's resampling
        group (:func:`resampling_groups`, clusters kept whole): the bootstrap and the exchanges move whole
        groups instead. Each metric's differences are decided across the candidates (one family per
        metric, as in classification).
        """
        metrics = self.metrics if metrics is None else list(metrics)
        moved = groups if groups is not None else clusters
        units = designs if moved is None else {name: cluster_sums(design, moved) for name, design in designs.items()}
        replicates = dict(zip(order, self.bootstrap([units[name] for name in order], metrics, settings.resamples,
                                                    rng_for(settings, self.stream, 0)), strict=True))
        estimates = {name: self.estimates(designs[name], replicates[name], metrics, settings, clusters=clusters)
                     for name in order}
        baseline = order[0]
        raw = {name: self.differences(designs[baseline], designs[name], replicates[baseline], replicates[name],
                                      self.exchanges(units[baseline], units[name], metrics, settings.resamples,
                                                     rng_for(settings, self.stream + 1, index)), metrics, settings,
                                      clusters=clusters)
               for index, name in enumerate(order[1:], start=1)}
        return estimates, _decided(raw, metrics, settings)

    def slices(self, slice_codes: SliceCodes, base: np.ndarray, cand: np.ndarray, index: int,
               settings: Settings, *, metrics: Sequence[Statistic] | None = None,
               clusters: np.ndarray | None = None, groups: np.ndarray | None = None) -> tuple[SliceResult, ...]:
        """Per-slice estimates and differences; each metric's p-values adjusted across the tested slices,
        the worst difference of the primary metric first, slices under ``min_slice_size`` last (not tested)."""
        metrics = self.metrics if metrics is None else list(metrics)
        results: _SliceEntries = []
        stream = 0
        for column, (codes, values) in slice_codes.items():
            for code, value in enumerate(values):
                rows = np.flatnonzero(codes == code)
                n = int(rows.shape[0])
                if n == 0:
                    continue
                stream += 1
                small = n < max(settings.min_slice_size, 2)
                b, c = base[rows], cand[rows]
                within = None if clusters is None else np.unique(clusters[rows], return_inverse=True)[1]
                moved = within if groups is None else np.unique(groups[rows], return_inverse=True)[1]
                ub, uc = (b, c) if moved is None else (cluster_sums(b, moved), cluster_sums(c, moved))
                reps = self.bootstrap([ub, uc], metrics, settings.slice_resamples,
                                      rng_for(settings, self.stream + 10 + index, stream))
                exchanged = ({metric.name: np.full(1, np.nan) for metric in metrics} if small else
                             self.exchanges(ub, uc, metrics, settings.slice_resamples,
                                            rng_for(settings, self.stream + 1010 + index, stream)))
                estimates_b = self.estimates(b, reps[0], metrics, settings, clusters=within)
                estimates_c = self.estimates(c, reps[1], metrics, settings, clusters=within)
                differences = self.differences(b, c, reps[0], reps[1], exchanged, metrics, settings, clusters=within)
                results.append((column, value, n, small, {
                    name: SliceMetric(estimates_b[name], estimates_c[name], differences[name]) for name in differences}))
        return _decided_slices(results, metrics, settings)

    # --- from sums by resampling group (a SQL engine's GROUP BY: no example leaves it) ---------------------------

    def _from_sums(self, metrics: Sequence[Statistic]) -> list[Statistic]:
        """The bootstrapped metrics a :class:`GroupSums` supports: statistics of sums that are not means."""
        return [metric for metric in metrics if metric.test not in _MEANS and metric.from_weights is None]

    def estimates_from_sums(self, sums: GroupSums, model: int, replicates: Mapping[str, np.ndarray],
                            metrics: Sequence[Statistic], settings: Settings) -> dict[str, Estimate]:
        """Each metric of one model with its interval, from its sums: the t interval of a mean from the sums of its
        column and of its squares, the groups' bootstrap otherwise; a statistic not of sums (a median) gets the
        engine's value and no interval."""
        out = {}
        for metric in metrics:
            if metric.from_weights is not None:
                out[metric.name] = make_estimate(float(sums.points[metric.name][model]), float("nan"), float("nan"),
                                                 NOT_FROM_SUMS, std_error=float("nan"))
                continue
            value = self.point(metric, sums.units[model])
            if metric.test == PAIRED_T:
                column = self.select(metric)[0]
                _, low, high, se, _ = t_from_sums(sums.n, float(sums.units[model][:, column].sum()),
                                                  float(sums.squares[model, column]), settings.confidence)
                out[metric.name] = make_estimate(value, low, high, "t interval", std_error=se)
            elif metric.test in _MEANS:
                raise ValueError(f"{metric.test} needs each example's values, which sums do not hold")
            else:
                bounds = percentile_interval(replicates[metric.name], confidence=settings.confidence)
                out[metric.name] = make_estimate(value, bounds[0], bounds[1], "bootstrap percentile",
                                                 std_error=bootstrap_std_error(replicates[metric.name],
                                                                               n_examples=sums.n))
        return out

    def differences_from_sums(self, sums: GroupSums, baseline: int, candidate: int,
                              base_reps: Mapping[str, np.ndarray], cand_reps: Mapping[str, np.ndarray],
                              exchanged: Mapping[str, np.ndarray], metrics: Sequence[Statistic],
                              settings: Settings) -> dict[str, Difference]:
        """Each metric's paired difference from sums: a mean's paired t-test from the sums of the per-example
        differences and of their squares (as :meth:`differences` computes it on the rows), the groups' bootstrap
        and exchanges otherwise; a statistic not of sums (a median) gets its difference and no interval or test."""
        out = {}
        too_few = FEWER_THAN_TWO if sums.n < 2 else ""
        base, cand = sums.units[baseline], sums.units[candidate]
        for metric in metrics:
            if metric.from_weights is not None:
                b, c = (float(sums.points[metric.name][i]) for i in (baseline, candidate))
                out[metric.name] = make_difference(metric.name, c - b, float("nan"), float("nan"), float("nan"),
                                                   NO_TEST_FROM_SUMS, NOT_FROM_SUMS, b, c, std_error=float("nan"),
                                                   reason=too_few or NO_INTERVAL_FROM_SUMS)
                continue
            b, c = self.point(metric, base), self.point(metric, cand)
            if metric.test == PAIRED_T:
                column = self.select(metric)[0]
                total = float((cand[:, column] - base[:, column]).sum())
                mean, low, high, se, p = t_from_sums(sums.n, total, sums.difference_squares(baseline, candidate, column),
                                                     settings.confidence)
                spread = bool(np.isfinite(se) and se > 0)
                p = p if spread else (1.0 if mean == 0 else float("nan"))
                out[metric.name] = make_difference(metric.name, c - b, low, high, p, PAIRED_T, "t interval", b, c,
                                                   std_error=se,
                                                   reason=too_few or ("" if spread or mean == 0 else NO_SPREAD))
            elif metric.test in _MEANS:
                raise ValueError(f"{metric.test} needs each example's values, which sums do not hold")
            else:
                out[metric.name] = _resampled_difference(metric, b, c, base_reps, cand_reps, exchanged, settings,
                                                         sums.n, too_few)
        return out

    def compared_from_sums(self, sums: GroupSums, names: Sequence[str], order: Sequence[str], settings: Settings,
                           ) -> tuple[dict[str, dict[str, Estimate]], dict[str, dict[str, Difference]]]:
        """:meth:`compared` from every model's sums by resampling group (``names``: the models of ``sums``' rows):
        the bootstrap and the exchanges move whole groups, with the same streams."""
        metrics, index = self.metrics, {name: names.index(name) for name in order}
        resampled = self._from_sums(metrics)
        replicates = dict(zip(order, self.bootstrap([sums.units[index[name]] for name in order], resampled,
                                                    settings.resamples, rng_for(settings, self.stream, 0)),
                              strict=True))
        estimates = {name: self.estimates_from_sums(sums, index[name], replicates[name], metrics, settings)
                     for name in order}
        baseline = order[0]
        raw = {name: self.differences_from_sums(
            sums, index[baseline], index[name], replicates[baseline], replicates[name],
            self.exchanges(sums.units[index[baseline]], sums.units[index[name]], resampled, settings.resamples,
                           rng_for(settings, self.stream + 1, position)), metrics, settings)
            for position, name in enumerate(order[1:], start=1)}
        return estimates, _decided(raw, metrics, settings)

    def slices_from_sums(self, slices: Sequence[tuple[str, str, GroupSums]], baseline: int, candidate: int,
                         index: int, settings: Settings) -> tuple[SliceResult, ...]:
        """:meth:`slices` from each slice's sums by resampling group (``(column, value, sums)`` in the order
        :meth:`slices` reads the slice codes), with the same streams, sizes and decisions."""
        metrics = self.metrics
        resampled = self._from_sums(metrics)
        results: _SliceEntries = []
        stream = 0
        for column, value, sums in slices:
            if sums.n == 0:
                continue
            stream += 1
            small = sums.n < max(settings.min_slice_size, 2)
            ub, uc = sums.units[baseline], sums.units[candidate]
            reps = self.bootstrap([ub, uc], resampled, settings.slice_resamples,
                                  rng_for(settings, self.stream + 10 + index, stream))
            exchanged = ({metric.name: np.full(1, np.nan) for metric in resampled} if small else
                         self.exchanges(ub, uc, resampled, settings.slice_resamples,
                                        rng_for(settings, self.stream + 1010 + index, stream)))
            estimates_b = self.estimates_from_sums(sums, baseline, reps[0], metrics, settings)
            estimates_c = self.estimates_from_sums(sums, candidate, reps[1], metrics, settings)
            differences = self.differences_from_sums(sums, baseline, candidate, reps[0], reps[1], exchanged, metrics,
                                                     settings)
            results.append((column, value, sums.n, small, {
                name: SliceMetric(estimates_b[name], estimates_c[name], differences[name]) for name in differences}))
        return _decided_slices(results, metrics, settings)


def _resampled_difference(metric: Statistic, b: float, c: float, base_reps: Mapping[str, np.ndarray],
                          cand_reps: Mapping[str, np.ndarray], exchanged: Mapping[str, np.ndarray], settings: Settings,
                          n: int, reason: str) -> Difference:
    """A resampled metric's paired difference: the paired bootstrap's percentile interval, the permutation test."""
    replicates = cand_reps[metric.name] - base_reps[metric.name]
    bounds = percentile_interval(replicates, confidence=settings.confidence)
    p = float(permutation_p_value(np.asarray(c - b), exchanged[metric.name]))
    return make_difference(metric.name, c - b, bounds[0], bounds[1], p, PAIRED_PERMUTATION, "bootstrap percentile",
                           b, c, std_error=bootstrap_std_error(replicates, n_examples=n), reason=reason)


def _decided(raw: Mapping[str, Mapping[str, Difference]], metrics: Sequence[Statistic],
             settings: Settings) -> dict[str, dict[str, Difference]]:
    """Each metric's differences decided across the candidates (one family per metric, as in classification)."""
    decided: dict[str, dict[str, Difference]] = {name: {} for name in raw}
    for metric in metrics:
        family = decide([raw[name][metric.name] for name in raw], settings, higher_is_better=metric.higher_is_better)
        for name, difference in zip(raw, family, strict=True):
            decided[name][metric.name] = difference
    return decided


_SliceEntries = list[tuple[str, str, int, bool, dict[str, SliceMetric]]]


def _decided_slices(results: _SliceEntries, metrics: Sequence[Statistic], settings: Settings) -> tuple[SliceResult, ...]:
    """The slices' differences decided (one family per metric across the tested slices), the worst first."""
    tested = [i for i, (_, _, _, small, _) in enumerate(results) if not small]
    lookup: dict[tuple[int, str], Difference] = {}
    for metric in metrics:  # one family per metric across the tested slices, as in classification
        family = decide([results[i][4][metric.name].difference for i in tested], settings,
                        higher_is_better=metric.higher_is_better)
        lookup.update({(i, metric.name): difference for i, difference in zip(tested, family, strict=True)})
    out = []
    for i, (column, value, n, small, entries) in enumerate(results):
        final = {}
        for name, entry in entries.items():
            d = entry.difference
            if small:
                d = replace(d, p_value=float("nan"), p_value_adjusted=float("nan"), verdict=VERDICT_INSUFFICIENT)
            else:
                d = lookup[(i, name)]
            final[name] = replace(entry, difference=d)
        out.append(SliceResult(column=column, value=value, n=n, insufficient=small, metrics=final))
    primary = next(metric for metric in metrics if metric.name == settings.primary_metric)
    sign = 1.0 if primary.higher_is_better else -1.0
    out.sort(key=lambda s: (s.insufficient, sign * s.metrics[primary.name].difference.difference
                            if np.isfinite(s.metrics[primary.name].difference.difference) else np.inf))
    return tuple(out)
