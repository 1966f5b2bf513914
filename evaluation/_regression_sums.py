"""A regression comparison from sums by resampling group: what a SQL engine returns above 100,000 examples.

Above :data:`~evaluation._sums.GROUPED_ABOVE` paired examples the DuckDB and Spark engines
(:mod:`evaluation._sql_regression`) return no example: one ``GROUP BY`` gives, per resampling group (a hash of the
id modulo :data:`~evaluation._sums.RESAMPLING_GROUPS`) and per slice, the sums of every model's design columns
(``abs_error``, ``squared_error``, ``y``, ``y_squared``, ``one``), the sums of squares the t intervals need and the
sums of squared per-example differences the paired t-tests need. :func:`compare_summed_regression` turns them into
the report :func:`~evaluation._regression.compare_regression` gives on the rows:

- every statistic of sums (the mean absolute and squared errors, their root, R²) has the local value, up to the
  order of summation (about 1e-12 relative);
- the mean absolute and squared errors' t intervals and paired t-tests are the local ones, up to that rounding;
- the root mean squared error's and R²'s bootstrap intervals and permutation tests move whole groups, as the local
  engine moves its own groups; the groups differ (another hash), so they agree within Monte Carlo error;
- the median absolute error has its exact value (the engine's quantile), but no interval nor test: those resample
  each example's error, which the sums do not hold (a warning says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from ._regression import (
    SUMS,
    TASK,
    ErrorChanges,
    RegressionComparison,
    RegressionModelReport,
    RegressionReport,
    _settings_iv,
)
from ._results import Power, Settings
from ._sums import GroupSums, baseline_first, t_from_sums

__all__ = ["QUANTILES", "SummedRegressionData", "compare_summed_regression"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""The residual quantiles a report gives (``q05`` ... ``q95``)."""
_ABS_ERROR = 0  # the design column of the absolute error (see evaluation._regression._COLUMNS)


@dataclass(frozen=True)
class SummedRegressionData:
    """Paired regression predictions as a SQL engine summed them (no example left the engine).

    Attributes
    ----------
    n_examples:
        How many paired examples.
    names, sources:
        Each model's name and its files, in file order.
    overall:
        Every example's sums by resampling group (:class:`~evaluation._sums.GroupSums`; ``points`` holds the
        median absolute error).
    slices:
        ``(column, value, sums)`` of each slice, in the order the local engine reads them (metadata columns, then
        the true value's quartiles; each column's values in its order).
    residual_quantiles:
        ``(models, 5)``: the quantiles :data:`QUANTILES` of ``prediction - true`` of each model.
    error_changes:
        ``(baseline, candidate)`` model positions -> the examples whose absolute error grew or shrank (ids of the
        largest increases: at most ``max_ids``, ties by id).
    max_ids:
        How many ids of the largest increases were fetched.
    warnings:
        What the user must know to read the numbers right.
    """

    n_examples: int
    names: tuple[str, ...]
    sources: tuple[str, ...]
    overall: GroupSums
    slices: tuple[tuple[str, str, GroupSums], ...]
    residual_quantiles: np.ndarray
    error_changes: Mapping[tuple[int, int], ErrorChanges]
    max_ids: int
    warnings: tuple[str, ...] = ()
    task: str = TASK

    @property
    def model_names(self) -> tuple[str, ...]:
        """The models' names in file order."""
        return self.names


def _power(sums: GroupSums, baseline: int, candidate: int, settings: Settings, power: float = 0.8) -> Power:
    """:func:`evaluation._regression._power` from the sums of the per-example differences of absolute errors."""
    total = float((sums.units[candidate][:, _ABS_ERROR] - sums.units[baseline][:, _ABS_ERROR]).sum())
    mean, _, _, se, _ = t_from_sums(sums.n, total, sums.difference_squares(baseline, candidate, _ABS_ERROR),
                                    settings.confidence)
    z = ndtri(1 - settings.alpha / 2) + ndtri(power)
    return Power(minimum_detectable_difference=float(z * se), alpha=settings.alpha, power=power,
                 observed_difference=float(mean), method="paired normal approximation on per-example absolute errors")


def _changes(data: SummedRegressionData, baseline: int, candidate: int, settings: Settings) -> ErrorChanges:
    """The error changes of a pair, the ids cut to ``max_flip_ids``."""
    found = data.error_changes[(baseline, candidate)]
    return ErrorChanges(found.worse, found.better, found.unchanged, found.largest_increases[: settings.max_flip_ids])


def compare_summed_regression(data: SummedRegressionData, *, settings: Settings | None = None,
                              baseline: str | None = None) -> RegressionReport:
    """:func:`~evaluation._regression.compare_regression` from a SQL engine's sums (see the module docstring).

    Raises
    ------
    EvaluationError
        Settings out of range, or no model named ``baseline``.
    """
    settings = _settings_iv(settings or Settings())
    order = baseline_first(data.names, baseline)
    position = {name: data.names.index(name) for name in order}
    estimates, decided = SUMS.compared_from_sums(data.overall, data.names, order, settings)
    models = {name: RegressionModelReport(
        name=name, source=data.sources[position[name]], metrics=estimates[name],
        residual_quantiles={f"q{round(q * 100):02d}": float(v)
                            for q, v in zip(QUANTILES, data.residual_quantiles[position[name]], strict=True)})
        for name in order}
    chosen = order[0]
    comparisons = []
    for index, name in enumerate(order[1:], start=1):
        b, c = position[chosen], position[name]
        comparisons.append(RegressionComparison(
            candidate=name, baseline=chosen, metrics=decided[name],
            slices=SUMS.slices_from_sums(data.slices, b, c, index, settings),
            flips=_changes(data, b, c, settings), power=_power(data.overall, b, c, settings)))
    warnings = list(data.warnings)
    if settings.max_flip_ids > data.max_ids:
        warnings.append(f"the engine fetched the ids of the {data.max_ids:,} largest error increases; "
                        f"max_flip_ids = {settings.max_flip_ids:,} asks for more")
    if data.n_examples < 30:
        warnings.append(f"only {data.n_examples} paired examples: intervals and tests rest on few examples")
    return RegressionReport(n_examples=data.n_examples, baseline=chosen, models=models, comparisons=tuple(comparisons),
                            warnings=tuple(warnings), settings=settings)
