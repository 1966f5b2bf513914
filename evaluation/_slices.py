"""Slices: the comparison restricted to the examples sharing a metadata value.

Categorical columns slice by value (the most frequent values, the rest pooled as "other"); numeric
and datetime columns by quantile bins. Each slice gets both models' metrics and their paired
difference from one cell-count bootstrap; the difference is tested by McNemar's exact test
(accuracy) or the paired permutation test (the others), both exact at a slice's size, and the
p-values of every tested slice are adjusted together, one family per metric, so that a slice is
called worse only when the evidence survives the number of slices looked at.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ._counts import BASELINE_PREFIX, CANDIDATE_PREFIX, pair_discordant, pair_statistic, pair_swap, pair_tables_by_group
from ._data import ClassificationData
from ._inference import (
    FEWER_THAN_TWO,
    bootstrap_std_error,
    decide,
    make_difference,
    make_estimate,
    resampled_intervals,
    rng_for,
)
from ._mcnemar import mcnemar_exact
from ._metrics import METRICS
from ._parallel import parallel_map
from ._resampling import CellTable, permutation_p_value, swap_statistics
from ._results import VERDICT_INSUFFICIENT, Settings, SliceMetric, SliceResult
from ._statistics import PAIRED_PERMUTATION

__all__ = ["MISSING", "OTHER", "SLICE_METRICS", "SliceColumn", "categorical_column", "format_edge", "slice_columns",
           "slice_labels", "slice_results"]

SLICE_METRICS: tuple[str, ...] = ("accuracy", "balanced_accuracy", "f1_macro")
MISSING = "(missing)"
OTHER = "(other)"
_STREAM_SLICES = 10
_STREAM_SLICE_SWAPS = 1_000_000  # plus the candidate's index: far from the bootstrap's streams


def format_edge(value: object) -> str:
    """A bin edge for reading: dates as dates, numbers with up to four significant digits."""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    return f"{float(value):.4g}"  # type: ignore[arg-type]


@dataclass(frozen=True)
class SliceColumn:
    """One metadata column cut into slices.

    Attributes
    ----------
    codes:
        ``(n,)`` index into :attr:`values` of each example's slice.
    values:
        The slices' names in reading order: bins in numeric order, categories by decreasing count,
        ``"(other)"`` and ``"(missing)"`` last.
    """

    codes: np.ndarray
    values: tuple[str, ...]

    def labels(self) -> np.ndarray:
        """Each example's slice name."""
        return np.asarray(self.values, dtype=object)[self.codes]


def _quantile_column(values: pd.Series, n_bins: int) -> SliceColumn | None:
    """Quantile bins of a numeric or datetime column, named ``"a to b"``; None if it cannot bin."""
    infinite = None
    if not pd.api.types.is_datetime64_any_dtype(values):  # infinities join the outer bins, which then reach them
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        infinite = np.isinf(numbers)
        if infinite.any():
            values = pd.Series(np.where(infinite, np.nan, numbers), index=values.index)
    try:
        binned, raw_edges = pd.qcut(values, q=n_bins, duplicates="drop", retbins=True, labels=False)
    except (ValueError, TypeError):
        return None
    edges: list = list(pd.to_datetime(raw_edges)) if pd.api.types.is_datetime64_any_dtype(values) else list(raw_edges)
    codes = np.array(binned, dtype=float)
    if infinite is not None and infinite.any():
        negative = infinite & (numbers < 0)
        codes[negative], codes[infinite & ~negative] = 0, len(edges) - 2
        edges[0], edges[-1] = (-np.inf if negative.any() else edges[0]), (np.inf if (infinite & ~negative).any() else edges[-1])
    names = [f"{format_edge(edges[i])} to {format_edge(edges[i + 1])}" for i in range(len(edges) - 1)]
    missing = np.isnan(codes)
    if missing.any():
        names.append(MISSING)
        codes[missing] = len(names) - 1
    return SliceColumn(codes.astype(np.int64), tuple(names))


def categorical_column(codes: np.ndarray, uniques: pd.Index, max_categories: int = 20, *,
                       weights: np.ndarray | None = None) -> SliceColumn:
    """A categorical column's values (factorized) by decreasing count, then by value (so the order does not depend on
    the rows' order), rare ones pooled as "(other)" (``codes`` -1: missing; ``weights``: examples per row)."""
    present = codes >= 0
    counts = np.bincount(codes[present], weights=None if weights is None else weights[present], minlength=len(uniques))
    order = np.lexsort((np.array([str(value) for value in uniques], dtype=object), -counts))
    keep = order[: max_categories - 1] if len(uniques) > max_categories else order
    names = [str(uniques[i]) for i in keep]
    remap = np.full(len(uniques) + 1, -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    if len(keep) < len(uniques):
        names.append(OTHER)
        remap[:-1][remap[:-1] < 0] = len(names) - 1
    if (codes < 0).any():
        names.append(MISSING)
        remap[-1] = len(names) - 1
    return SliceColumn(remap[np.where(codes < 0, len(uniques), codes)], tuple(names))


def slice_columns(
    metadata: pd.DataFrame, *, n_bins: int = 4, max_categories: int = 20
) -> dict[str, SliceColumn]:
    """Cut every usable metadata column into slices (see :func:`slice_labels`)."""
    out: dict[str, SliceColumn] = {}
    n = len(metadata)
    for column in metadata.columns:
        values = metadata[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if (numeric or pd.api.types.is_datetime64_any_dtype(values)) and values.nunique(dropna=True) > n_bins:
            cut = _quantile_column(values, n_bins)
            if cut is not None:
                out[str(column)] = cut
            continue
        codes, uniques = pd.factorize(values, use_na_sentinel=True)  # a Series gives an Index of values
        distinct = len(uniques)
        if not numeric and distinct > 1 and (distinct >= 0.9 * n or distinct > max(max_categories, 0.5 * n)):
            continue  # an identifier or free text: nothing to slice
        out[str(column)] = categorical_column(codes, uniques, max_categories)
    return out


def slice_labels(
    metadata: pd.DataFrame, *, n_bins: int = 4, max_categories: int = 20
) -> dict[str, np.ndarray]:
    """The slice value of every example for every usable metadata column.

    Parameters
    ----------
    metadata:
        One row per example.
    n_bins:
        Quantile bins for numeric and datetime columns with more distinct values than this.
    max_categories:
        Categorical columns keep their most frequent values up to this many; the rest become
        ``"(other)"``. Columns with (almost) one value per example, such as free text, are skipped.

    Returns
    -------
    dict
        Column name -> ``(n,)`` array of slice values as strings, in the columns' order.

    Examples
    --------
    >>> frame = pd.DataFrame({"device": ["a", "b", "a", None], "age": [20, 30, 40, 50]})
    >>> slice_labels(frame, n_bins=2)["device"].tolist()
    ['a', 'b', 'a', '(missing)']
    """
    return {column: cut.labels() for column, cut in
            slice_columns(metadata, n_bins=n_bins, max_categories=max_categories).items()}


def slice_results(
    data: ClassificationData, baseline: str, candidate: str, index: int, settings: Settings,
    columns: dict[str, SliceColumn],
) -> tuple[SliceResult, ...]:
    """Per-slice metrics of both models and their differences, worst regressions first.

    Parameters
    ----------
    data:
        The aligned data.
    baseline, candidate:
        Model names.
    index:
        The candidate's position (seeds its draws).
    settings:
        Confidence, alpha, correction, slice resamples, minimum slice size, primary metric.
    columns:
        From :func:`slice_columns`.
    """
    k = len(data.classes)
    metrics = SLICE_METRICS + ((settings.primary_metric,) if settings.primary_metric not in SLICE_METRICS
                               and not METRICS[settings.primary_metric].needs_probabilities else ())
    base_pred, cand_pred = data.model(baseline).y_pred, data.model(candidate).y_pred
    slice_settings = replace(settings, resamples=settings.slice_resamples)
    every_metric = pair_statistic(k, with_models=True, per_class=False)
    wanted = {prefix + name for name in metrics for prefix in ("", BASELINE_PREFIX, CANDIDATE_PREFIX)}

    def statistic(aggregates: np.ndarray) -> dict[str, np.ndarray]:  # only what a slice reports gets intervals
        return {name: values for name, values in every_metric(aggregates).items() if name in wanted}

    jobs = [(column, code, table) for column, cut in columns.items()
            for code, table in enumerate(pair_tables_by_group(cut.codes, len(cut.values), data.y_true, base_pred,
                                                              cand_pred, k, data.weights))]

    def one_slice(job: tuple[int, tuple[str, int, CellTable]]) -> SliceResult:
        stream, (column, code, table) = job
        value = columns[column].values[code]
        n = table.n
        point, low, high, replicates, method = resampled_intervals(
            table, statistic, slice_settings, rng_for(settings, _STREAM_SLICES + index, stream))
        insufficient = n < settings.min_slice_size
        if n < 2:  # one example: every resample repeats it, which measures nothing
            low = high = {name: np.full_like(values, np.nan, dtype=float) for name, values in point.items()}
        exchanged = {} if insufficient or n < 2 else swap_statistics(
            table, statistic, pair_swap(k), resamples=settings.slice_resamples,
            rng=rng_for(settings, _STREAM_SLICE_SWAPS + index, stream))
        std_error = {name: bootstrap_std_error(values, n_examples=n) for name, values in replicates.items()}
        entry = {}
        for name in metrics:
            if insufficient:
                p_value, test = float("nan"), "not tested (slice too small)"
            elif n < 2:
                p_value, test = float("nan"), PAIRED_PERMUTATION
            elif name == "accuracy":
                p_value, test = mcnemar_exact(*pair_discordant(table, k)).p_value, "McNemar exact"
            else:
                p_value, test = float(permutation_p_value(point[name], exchanged[name])), PAIRED_PERMUTATION
            b, c = BASELINE_PREFIX + name, CANDIDATE_PREFIX + name
            entry[name] = SliceMetric(
                baseline=make_estimate(point[b], low[b], high[b], method, std_error=std_error[b]),
                candidate=make_estimate(point[c], low[c], high[c], method, std_error=std_error[c]),
                difference=make_difference(name, point[name], low[name], high[name], p_value, test, method,
                                           point[b], point[c], std_error=std_error[name],
                                           reason=FEWER_THAN_TWO if n < 2 else ""),
            )
        return SliceResult(column=column, value=value, n=n, insufficient=insufficient, metrics=entry)

    results = parallel_map(one_slice, enumerate(jobs, start=1))
    return _adjust_and_rank(results, metrics, settings)


def _adjust_and_rank(results: list[SliceResult], metrics: tuple[str, ...], settings: Settings) -> tuple[SliceResult, ...]:
    """Adjust p-values across tested slices (one family per metric), set verdicts, sort worst first."""
    tested = [i for i, result in enumerate(results) if not result.insufficient]
    decided = {name: decide([results[i].metrics[name].difference for i in tested], settings,
                            higher_is_better=METRICS[name].higher_is_better) for name in metrics}
    updated = list(results)
    for position, i in enumerate(tested):
        entry = {name: replace(metric, difference=decided[name][position]) for name, metric in results[i].metrics.items()}
        updated[i] = replace(results[i], metrics=entry)
    for i, result in enumerate(updated):
        if result.insufficient:
            updated[i] = replace(result, metrics={name: replace(m, difference=replace(
                m.difference, verdict=VERDICT_INSUFFICIENT)) for name, m in result.metrics.items()})
    primary = settings.primary_metric if settings.primary_metric in metrics else "f1_macro"
    sign = 1.0 if METRICS[primary].higher_is_better else -1.0

    def key(result: SliceResult) -> tuple[bool, float]:
        difference = result.metrics[primary].difference.difference
        return result.insufficient, sign * difference if np.isfinite(difference) else np.inf

    return tuple(sorted(updated, key=key))
