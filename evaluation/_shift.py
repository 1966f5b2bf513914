"""Shift: is the test set like production? Per-column drift, a domain classifier, re-weighted performance.

:func:`read_shift` (:mod:`evaluation._shift_data`, re-exported here) reads a test file (a prediction file,
as ``compare`` reads it) and a production file (the same model's predictions and/or probabilities and the
metadata, no labels needed), checks them once and returns trusted :class:`ShiftData`; :func:`analyze_shift`
only computes. Every column
found in both files (the metadata, the model's predictions and its confidence) is compared:

* categorical columns: Jensen-Shannon distance (base 2) and the chi-square test of homogeneity;
* numeric columns (numbers with more than :data:`MAX_CATEGORY_VALUES` distinct values in the test
  set): Wasserstein-1 distance over the test set's standard deviation, and the two-sample
  Kolmogorov-Smirnov test;
* both: the population stability index with bins fixed on the test set.

The drift flag: a column is drifted when its effect size is statistically distinguishable from what
sampling alone produces (its permutation p-value, Holm-adjusted across the columns, is at most
``alpha``) **and** at least a practical threshold (:data:`DEFAULT_THRESHOLDS`). See ``docs/shift.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

import numpy as np

from ._errors import EvaluationError, format_names, quote
from ._inference import logit_interval
from ._multiple import adjust_p_values
from ._ranking import ranked_summary
from ._resampling import percentile_interval
from ._settings import levels_iv
from ._shift_data import (
    _MISSING,
    MAX_CATEGORY_VALUES,
    MAX_GRID,
    ShiftColumn,
    ShiftData,
    read_shift,
)
from ._shift_report import (
    ColumnDrift,
    ColumnImportance,
    DomainClassifier,
    ReweightedMetric,
    ReweightedPerformance,
    ShiftReport,
    SliceMix,
    reweighted_sentence,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "JENSEN_SHANNON",
    "MAX_CATEGORY_VALUES",
    "MAX_GRID",
    "PSI_EPSILON",
    "WASSERSTEIN",
    "ShiftColumn",
    "ShiftData",
    "analyze_shift",
    "categorical_drift",
    "column_drift",
    "domain_classifier",
    "flag_drift",
    "numeric_drift",
    "population_stability_index",
    "read_shift",
    "reweighted_performance",
]

JENSEN_SHANNON = "jensen_shannon_distance"
WASSERSTEIN = "normalized_wasserstein"
DEFAULT_THRESHOLDS: Mapping[str, float] = {JENSEN_SHANNON: 0.1, WASSERSTEIN: 0.1}
"""Smallest effect size that counts as drift: Evidently's defaults for the two statistics."""
PSI_EPSILON = 1e-4
"""Share given to an empty PSI bin (on either side) so that its logarithm is finite; shares are not renormalised."""
_CLASSIFIER_ROWS = 50_000  # rows of each side the domain classifier sees at most
_MAX_CODES = 254  # categories the classifier keeps per column (HistGradientBoosting's bins); the rest share one code
_BATCH_ELEMENTS = 1 << 22
_CHI2 = "chi-square test of homogeneity"
_KS = "two-sample Kolmogorov-Smirnov"


# --- statistics -------------------------------------------------------------------------------------

def _chunks(resamples: int, width: int) -> Iterator[int]:
    """Sizes of the batches of resamples, each at most :data:`_BATCH_ELEMENTS` numbers."""
    size = max(1, min(resamples, _BATCH_ELEMENTS // max(1, width)))
    for start in range(0, resamples, size):
        yield min(size, resamples - start)


def _js_distance(test_counts: np.ndarray, production_counts: np.ndarray) -> np.ndarray:
    """Jensen-Shannon distance, base 2, between the rows' distributions (as ``scipy.spatial.distance.jensenshannon``)."""
    from scipy.special import rel_entr

    p = test_counts / test_counts.sum(axis=-1, keepdims=True)
    q = production_counts / production_counts.sum(axis=-1, keepdims=True)
    m = (p + q) / 2.0
    divergence = (rel_entr(p, m).sum(axis=-1) + rel_entr(q, m).sum(axis=-1)) / (2.0 * np.log(2.0))
    return np.sqrt(np.maximum(divergence, 0.0))


def _permutation_p_value(observed: float, null: np.ndarray) -> float:
    """``(1 + #{null >= observed}) / (1 + resamples)``, with a relative tolerance for rounding."""
    return float((1 + np.count_nonzero(null >= observed - 1e-12 * max(1.0, abs(observed)))) / (1 + null.shape[0]))


def population_stability_index(test_counts: np.ndarray, production_counts: np.ndarray, *,
                               epsilon: float = PSI_EPSILON) -> float:
    """Population stability index ``sum((q - p) * ln(q / p))`` of bin counts, empty bins given ``epsilon``.

    Parameters
    ----------
    test_counts, production_counts:
        Counts per bin, bins fixed on the test set.
    epsilon:
        Share given to an empty bin (either side); shares are not renormalised.

    Examples
    --------
    >>> round(population_stability_index(np.array([50, 50]), np.array([60, 40])), 4)
    0.0405
    """
    p = test_counts / test_counts.sum()
    q = production_counts / production_counts.sum()
    p, q = np.where(p == 0, epsilon, p), np.where(q == 0, epsilon, q)
    return float(np.sum((q - p) * np.log(q / p)))


def categorical_drift(test: np.ndarray, production: np.ndarray, n_categories: int, *, column: str = "column",
                      role: str = "metadata", resamples: int = 2000, confidence: float = 0.95,
                      threshold: float = DEFAULT_THRESHOLDS[JENSEN_SHANNON], alpha: float = 0.05,
                      seed: int | Sequence[int] = 0) -> ColumnDrift:
    """Jensen-Shannon distance with a bootstrap interval and a permutation p-value, chi-square test and PSI.

    Parameters
    ----------
    test, production:
        Category codes in ``[0, n_categories)``.
    n_categories:
        Number of categories.
    column, role:
        For the result.
    resamples:
        Bootstrap resamples (each sample resampled on its own: multinomial counts) and permutations
        (pooled counts split again at the two sizes: multivariate hypergeometric counts, exactly the
        counts a permutation of the rows gives).
    confidence, threshold, alpha, seed:
        Interval level, the effect size counting as drift, the level of the permutation test, seed of the draws.

    Returns
    -------
    ColumnDrift
        With ``p_value_adjusted`` and ``permutation_p_value_adjusted`` equal to the raw values and
        ``drifted`` decided on them (:func:`analyze_shift` adjusts across columns and decides again).

    Examples
    --------
    >>> drift = categorical_drift(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2, resamples=50)
    >>> round(drift.value, 4), drift.statistic
    (0.2209, 'jensen_shannon_distance')
    """
    from scipy.stats import chi2_contingency

    rng = np.random.default_rng(seed)
    t = np.bincount(test, minlength=n_categories).astype(np.int64)
    p = np.bincount(production, minlength=n_categories).astype(np.int64)
    present = (t + p) > 0
    t, p = t[present], p[present]
    value = float(_js_distance(t.astype(float), p.astype(float)))
    if t.size > 1:
        p_value = float(chi2_contingency(np.vstack([t, p])).pvalue)
    else:
        p_value = 1.0
    replicates = np.concatenate([
        _js_distance(rng.multinomial(int(t.sum()), t / t.sum(), size=size).astype(float),
                     rng.multinomial(int(p.sum()), p / p.sum(), size=size).astype(float))
        for size in _chunks(resamples, 2 * t.size)])
    low, high = percentile_interval(replicates, confidence=confidence)
    pooled = t + p
    null = []
    for size in _chunks(resamples, 2 * t.size):
        drawn = rng.multivariate_hypergeometric(pooled, int(t.sum()), size=size, method="marginals")
        null.append(_js_distance(drawn.astype(float), (pooled - drawn).astype(float)))
    permutation = _permutation_p_value(value, np.concatenate(null))
    # PSI's bins: the test set's categories, and one bin for production's categories the test set lacks.
    seen = t > 0
    psi = population_stability_index(np.append(t[seen], 0), np.append(p[seen], p[~seen].sum()))
    return ColumnDrift(column, "categorical", role, _CHI2, JENSEN_SHANNON, value, float(low), float(high), p_value, p_value,
                       permutation, permutation, threshold, psi, permutation <= alpha and value >= threshold,
                       int(test.shape[0]), int(production.shape[0]))


def _grid(test: np.ndarray, production: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Support points and the two samples' counts on them: the pooled distinct values, or :data:`MAX_GRID` quantile bins."""
    pooled = np.concatenate([test, production])
    distinct, inverse = np.unique(pooled, return_inverse=True)
    if distinct.size > MAX_GRID:
        edges = np.unique(np.quantile(pooled, np.arange(1, MAX_GRID) / MAX_GRID))
        inverse = np.searchsorted(edges, pooled, side="right")
        sizes = np.bincount(inverse, minlength=edges.size + 1)
        keep = sizes > 0
        support = np.bincount(inverse, weights=pooled, minlength=edges.size + 1)[keep] / sizes[keep]
        inverse = (np.cumsum(keep) - 1)[inverse]
    else:
        support = distinct
    n = test.shape[0]
    return (support, np.bincount(inverse[:n], minlength=support.size).astype(np.int64),
            np.bincount(inverse[n:], minlength=support.size).astype(np.int64))


def _grid_wasserstein(support: np.ndarray, test_counts: np.ndarray, production_counts: np.ndarray) -> np.ndarray:
    """Wasserstein-1 distance between the rows' distributions on ``support``: ``sum |F_t - F_p| * gap``."""
    gaps = np.diff(support)
    f_test = np.cumsum(test_counts, axis=-1)[..., :-1] / test_counts.sum(axis=-1, keepdims=True)
    f_production = np.cumsum(production_counts, axis=-1)[..., :-1] / production_counts.sum(axis=-1, keepdims=True)
    return np.abs(f_test - f_production) @ gaps


def _grid_std(support: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Standard deviation (``ddof=0``) of the rows' distributions on ``support``."""
    n = counts.sum(axis=-1)
    mean = counts @ support / n
    return np.sqrt(np.maximum(counts @ support**2 / n - mean**2, 0.0))


def numeric_drift(test: np.ndarray, production: np.ndarray, *, column: str = "column", role: str = "metadata",
                  resamples: int = 2000, confidence: float = 0.95, threshold: float = DEFAULT_THRESHOLDS[WASSERSTEIN],
                  alpha: float = 0.05, seed: int | Sequence[int] = 0) -> ColumnDrift:
    """Normalised Wasserstein distance with a bootstrap interval and a permutation p-value, KS test and PSI.

    The value is ``scipy.stats.wasserstein_distance(test, production) / np.std(test)``; missing
    values (NaN) are left out. The bootstrap and the permutations run on counts over support points:
    the pooled distinct values when there are at most :data:`MAX_GRID`, else :data:`MAX_GRID` bins at
    the pooled quantiles, each at the mean of its values, so their cost does not grow with the rows.
    The permutation p-value compares the observed distance on those points with the distances of
    the pooled counts split again at the two sizes (the denominator, a scale, does not change it);
    the grid depends on the pooled sample only, so the test is exact for the distance on the grid.

    Parameters
    ----------
    test, production:
        The two samples' values.
    column, role, resamples, confidence, threshold, alpha, seed:
        As :func:`categorical_drift`.

    Returns
    -------
    ColumnDrift

    Examples
    --------
    >>> drift = numeric_drift(np.arange(10.0), np.arange(10.0) + 1, resamples=50)
    >>> round(drift.value, 4), drift.test
    (0.3482, 'two-sample Kolmogorov-Smirnov')
    """
    from scipy.stats import ks_2samp, wasserstein_distance

    rng = np.random.default_rng(seed)
    x, y = test[np.isfinite(test)], production[np.isfinite(production)]
    scale = float(np.std(x))
    value = float(wasserstein_distance(x, y)) / scale if scale > 0 else math.nan
    p_value = float(ks_2samp(x, y).pvalue)
    support, t, p = _grid(x, y)
    replicates = []
    for size in _chunks(resamples, 2 * support.size):
        drawn_test = rng.multinomial(x.size, t / x.size, size=size)
        drawn_production = rng.multinomial(y.size, p / y.size, size=size)
        with np.errstate(divide="ignore", invalid="ignore"):
            replicates.append(_grid_wasserstein(support, drawn_test, drawn_production) / _grid_std(support, drawn_test))
    low, high = percentile_interval(np.concatenate(replicates), confidence=confidence)
    observed = float(_grid_wasserstein(support, t, p))
    pooled = t + p
    null = []
    for size in _chunks(resamples, 2 * support.size):
        drawn = rng.multivariate_hypergeometric(pooled, x.size, size=size, method="marginals")
        null.append(_grid_wasserstein(support, drawn, pooled - drawn))
    permutation = _permutation_p_value(observed, np.concatenate(null))
    edges = np.unique(np.quantile(x, np.arange(1, 10) / 10))  # the test set's deciles
    bins = edges.size + 1
    psi = population_stability_index(np.bincount(np.searchsorted(edges, x, side="right"), minlength=bins),
                                     np.bincount(np.searchsorted(edges, y, side="right"), minlength=bins))
    return ColumnDrift(column, "numeric", role, _KS, WASSERSTEIN, value, float(low), float(high), p_value, p_value,
                       permutation, permutation, threshold, psi, permutation <= alpha and value >= threshold,
                       int(x.size), int(y.size), int(test.size - x.size), int(production.size - y.size))


def _drift_rule(alpha: float, thresholds: Mapping[str, float]) -> str:
    """The drift rule in words."""
    return (f"a column is drifted when its effect size is both statistically distinguishable from sampling noise (its "
            f"permutation p-value, test and production rows pooled and split again at their sizes, Holm-adjusted across "
            f"the columns, is at most alpha = {alpha:g}) and at least a practical threshold (Jensen-Shannon distance "
            f">= {thresholds[JENSEN_SHANNON]:g} for categorical columns, Wasserstein distance over the test set's standard "
            f"deviation >= {thresholds[WASSERSTEIN]:g} for numeric ones)")


# --- domain classifier ------------------------------------------------------------------------------

def _features(columns: Sequence[ShiftColumn], rows_test: np.ndarray,
              rows_production: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classifier's matrix (test rows, then production rows) and which of its columns are categorical."""
    matrix = np.empty((rows_test.size + rows_production.size, len(columns)))
    categorical = np.zeros(len(columns), dtype=bool)
    for j, c in enumerate(columns):
        values = np.concatenate([c.test[rows_test], c.production[rows_production]])
        if c.kind == "categorical":
            categorical[j] = True
            counts = np.bincount(values, minlength=len(c.categories))
            # The most frequent categories keep a code each; the rest share the last one.
            order = np.argsort(-counts, kind="stable")
            code = np.full(len(c.categories), _MAX_CODES, dtype=float)
            code[order[:_MAX_CODES]] = np.arange(min(_MAX_CODES, order.size))
            matrix[:, j] = code[values]
        else:
            matrix[:, j] = values
    return matrix, categorical


def _out_of_fold(columns: Sequence[ShiftColumn], *, seed: int, folds: int,
                 max_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows' side (0 test, 1 production), out-of-fold scores, and the scores with each column shuffled."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold

    n_test, n_production = columns[0].test.shape[0], columns[0].production.shape[0]
    rng = np.random.default_rng([seed, 1])
    rows_test = np.sort(rng.choice(n_test, max_rows, replace=False)) if n_test > max_rows else np.arange(n_test)
    rows_production = (np.sort(rng.choice(n_production, max_rows, replace=False)) if n_production > max_rows
                       else np.arange(n_production))
    matrix, categorical = _features(columns, rows_test, rows_production)
    side = np.concatenate([np.zeros(rows_test.size, dtype=np.int64), np.ones(rows_production.size, dtype=np.int64)])
    scores = np.empty(side.size)
    shuffled = np.empty((len(columns), side.size))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, held_out in splitter.split(matrix, side):
        # Early stopping on a tenth of the training rows: without a shift there is nothing to learn, and the
        # model stops after a few rounds instead of fitting noise for a hundred.
        model = HistGradientBoostingClassifier(categorical_features=categorical if categorical.any() else None,
                                               early_stopping=True, random_state=seed)
        model.fit(matrix[train], side[train])
        scores[held_out] = model.predict_proba(matrix[held_out])[:, 1]
        for j in range(len(columns)):
            part = matrix[held_out].copy()
            part[:, j] = rng.permutation(part[:, j])
            shuffled[j, held_out] = model.predict_proba(part)[:, 1]
    return side, scores, shuffled


def domain_classifier(columns: Sequence[ShiftColumn], *, confidence: float = 0.95, seed: int = 0, folds: int = 5,
                      max_rows: int = _CLASSIFIER_ROWS) -> DomainClassifier | None:
    """A gradient-boosted classifier telling test rows from production rows, cross-fitted, and its ROC AUC.

    Each fold's scikit-learn ``HistGradientBoostingClassifier`` (categorical columns as native
    categories, early stopping on a tenth of the training rows) scores the rows it did not see; the
    out-of-fold scores' ROC AUC has DeLong's interval on the logit scale
    (:func:`evaluation._inference.logit_interval`, degrees of freedom the smaller side's rows minus
    one). A column's importance is the drop in that AUC when the column is shuffled within each
    held-out fold before scoring (permutation importance on held-out rows; the models are not
    refitted). Beyond ``max_rows`` rows a side is sampled (seeded).

    Parameters
    ----------
    columns:
        The columns, as :class:`ShiftColumn` (every one has the same rows).
    confidence, seed, folds, max_rows:
        Interval level, seed of the folds, the model and the shuffles, number of folds, rows per side.

    Returns
    -------
    DomainClassifier or None
        ``None`` without columns, or with fewer than ``folds`` rows on a side.
    """
    if not columns:
        return None
    if min(columns[0].test.shape[0], columns[0].production.shape[0]) < folds:
        return None
    side, scores, shuffled = _out_of_fold(columns, seed=seed, folds=folds, max_rows=max_rows)
    n_test, n_production = int((side == 0).sum()), int((side == 1).sum())
    summary = ranked_summary(side, scores)
    std_error = float(np.sqrt(np.sum(summary.auc_influence**2)))
    low, high = logit_interval(summary.auc, std_error, confidence, float(min(n_test, n_production) - 1))
    drops = [summary.auc - ranked_summary(side, shuffled[j]).auc for j in range(len(columns))]
    order = np.argsort(-np.asarray(drops), kind="stable")[:5]
    return DomainClassifier(
        auc=summary.auc, ci_low=low, ci_high=high,
        method=f"scikit-learn HistGradientBoostingClassifier, {folds}-fold cross-fitted (out-of-fold scores); "
               "ROC AUC with DeLong's interval on the logit scale",
        n_test=n_test, n_production=n_production,
        top_columns=tuple(ColumnImportance(columns[j].name, float(drops[j])) for j in order),
        importance_method="drop in out-of-fold ROC AUC when the column is shuffled within each held-out fold")


# --- re-weighted performance ------------------------------------------------------------------------

def _slices(column: ShiftColumn) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Slice codes of the test and production rows, and the slices' names (numeric: the test set's deciles)."""
    if column.kind == "categorical":
        return column.test, column.production, column.categories
    finite = column.test[np.isfinite(column.test)]
    edges = np.unique(np.quantile(finite, np.arange(1, 10) / 10))
    bounds = [-math.inf, *edges.tolist(), math.inf]
    names = [f"[{bounds[i]:.4g}, {bounds[i + 1]:.4g})" for i in range(edges.size + 1)] + [_MISSING]

    def codes(values: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(values), np.searchsorted(edges, values, side="right"), edges.size + 1)

    return codes(column.test), codes(column.production), tuple(names)


def _classification_metrics(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy and macro F1 of ``(..., k, k)`` weighted confusion matrices (true class by predicted class)."""
    total = confusion.sum(axis=(-2, -1))
    tp = np.diagonal(confusion, axis1=-2, axis2=-1)
    denominator = confusion.sum(axis=-1) + confusion.sum(axis=-2)  # 2tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(denominator > 0, 2 * tp / denominator, np.nan)
        return {"accuracy": tp.sum(axis=-1) / total, "f1_macro": np.nanmean(f1, axis=-1)}


def _mix_weights(test_sizes: np.ndarray, production_sizes: np.ndarray) -> np.ndarray:
    """Each slice's weight per test row: production's share over the slices the test set covers, over the test rows."""
    covered = np.where(test_sizes > 0, production_sizes, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = covered / covered.sum(axis=-1, keepdims=True)
        return np.where(test_sizes > 0, share / test_sizes, 0.0)


def reweighted_performance(data: ShiftData, column: str, *, confidence: float = 0.95, resamples: int = 2000,
                           seed: int = 0) -> ReweightedPerformance:
    """Test-set performance re-weighted to production's mix of one column's slices.

    Each test row of slice ``s`` weighs ``w_s = P_s / T_s``, production's share of the slice over
    the test set's rows in it, so that every slice counts as much as it does in production (the
    covariate-shift assumption: within a slice, performance is the same in both). Classification:
    accuracy and macro F1 of the weighted confusion matrix; regression: mean absolute error and root
    mean squared error. The interval is the percentile bootstrap that resamples the test rows and
    production's slice counts (multinomial) together, so it carries both samples' error.

    Parameters
    ----------
    data:
        From :func:`read_shift`.
    column:
        The column whose slices are re-weighted (numeric: the test set's deciles).
    confidence, resamples, seed:
        Interval level, bootstrap resamples, seed.

    Returns
    -------
    ReweightedPerformance

    Raises
    ------
    EvaluationError
        When ``column`` is not one of the metadata columns both files have.
    """
    names = [c.name for c in data.columns if c.role == "metadata"]
    if column not in names:
        raise EvaluationError(f"--reweight-by: column {quote(column)} is not a metadata column of both files; expected one "
                              f"of {format_names(names) or 'none'}", column=column)
    rng = np.random.default_rng([seed, 2])
    test_slice, production_slice, slice_names = _slices(data.column(column))
    s = len(slice_names)
    test_sizes = np.bincount(test_slice, minlength=s).astype(float)
    production_sizes = np.bincount(production_slice, minlength=s).astype(float)
    n_test, n_production = test_slice.size, production_slice.size
    if data.task == "classification":
        k = len(data.classes)
        cells = np.bincount((test_slice * k + data.y_true) * k + data.y_pred, minlength=s * k * k).astype(float)

        def metrics(cell_counts: np.ndarray, production_counts: np.ndarray) -> dict[str, np.ndarray]:
            per_slice = cell_counts.reshape(*cell_counts.shape[:-1], s, k, k)
            weights = _mix_weights(per_slice.sum(axis=(-2, -1)), production_counts)
            return _classification_metrics(np.einsum("...s,...sij->...ij", weights, per_slice))

        point = metrics(cells, production_sizes)
        unweighted = _classification_metrics(cells.reshape(s, k, k).sum(axis=0))
        draws: dict[str, list[np.ndarray]] = {name: [] for name in point}
        for size in _chunks(resamples, cells.size + s):
            drawn = metrics(rng.multinomial(n_test, cells / n_test, size=size).astype(float),
                            rng.multinomial(n_production, production_sizes / n_production, size=size).astype(float))
            for name in draws:
                draws[name].append(drawn[name])
    else:
        error = data.y_pred - data.y_true
        one_hot = np.zeros((n_test, s))
        one_hot[np.arange(n_test), test_slice] = 1.0
        design = np.column_stack([one_hot, one_hot * np.abs(error)[:, None], one_hot * (error**2)[:, None]])

        def metrics_of(totals: np.ndarray, production_counts: np.ndarray) -> dict[str, np.ndarray]:
            sizes, absolute, squared = totals[..., :s], totals[..., s:2 * s], totals[..., 2 * s:]
            weights = _mix_weights(sizes, production_counts)
            return {"mean_absolute_error": (weights * absolute).sum(axis=-1),
                    "root_mean_squared_error": np.sqrt((weights * squared).sum(axis=-1))}

        point = metrics_of(design.sum(axis=0), production_sizes)
        unweighted = {"mean_absolute_error": np.mean(np.abs(error)), "root_mean_squared_error": np.sqrt(np.mean(error**2))}
        draws = {name: [] for name in point}
        for size in _chunks(resamples, n_test + design.shape[1]):
            counts = rng.multinomial(n_test, np.full(n_test, 1.0 / n_test), size=size).astype(float)
            drawn = metrics_of(counts @ design,
                               rng.multinomial(n_production, production_sizes / n_production, size=size).astype(float))
            for name in draws:
                draws[name].append(drawn[name])
    results: dict[str, ReweightedMetric] = {}
    for name, value in point.items():
        replicates = np.concatenate(draws[name])
        low, high = percentile_interval(replicates[np.isfinite(replicates)], confidence=confidence)
        results[name] = ReweightedMetric(float(value), float(low), float(high), float(unweighted[name]))
    uncovered = float(production_sizes[test_sizes == 0].sum() / n_production)
    slices = tuple(SliceMix(slice_names[i], float(test_sizes[i] / n_test), float(production_sizes[i] / n_production),
                            int(test_sizes[i])) for i in range(s) if test_sizes[i] or production_sizes[i])
    method = ("each test row weighted by production's share of its slice over the test set's share (slices the test "
              "set lacks left out); percentile bootstrap resampling the test rows and production's slice counts together")
    return ReweightedPerformance(column, results, slices, uncovered, method, reweighted_sentence(column, results))


# --- the analysis -----------------------------------------------------------------------------------

def _analyze_iv(alpha: float, confidence: float, resamples: int, seed: int, thresholds: Mapping[str, float]) -> None:
    """Check the options."""
    levels_iv(confidence=confidence, alpha=alpha, seed=seed)
    if resamples < 1:
        raise EvaluationError(f"resamples must be a positive number (2000 by default), got {resamples}")
    for name, value in thresholds.items():
        if not math.isfinite(value) or value < 0:
            raise EvaluationError(f"the threshold of {name} must be a number, zero or more, got {value}")


def column_drift(column: ShiftColumn, *, index: int = 0, resamples: int = 2000, confidence: float = 0.95,
                 thresholds: Mapping[str, float] = DEFAULT_THRESHOLDS, seed: int = 0) -> ColumnDrift:
    """One column's drift (:func:`categorical_drift` or :func:`numeric_drift`), seeded by ``(seed, index)``."""
    if column.kind == "categorical":
        return categorical_drift(column.test, column.production, len(column.categories), column=column.name,
                                 role=column.role, resamples=resamples, confidence=confidence,
                                 threshold=thresholds[JENSEN_SHANNON], seed=[seed, 0, index])
    return numeric_drift(column.test, column.production, column=column.name, role=column.role, resamples=resamples,
                         confidence=confidence, threshold=thresholds[WASSERSTEIN], seed=[seed, 0, index])


def flag_drift(columns: Sequence[ColumnDrift], *, alpha: float = 0.05) -> tuple[ColumnDrift, ...]:
    """Holm-adjust both families of p-values across the columns and decide each column's drift flag."""
    if not columns:
        return ()
    adjusted = adjust_p_values(np.array([c.p_value for c in columns]), method="holm")
    permutation = adjust_p_values(np.array([c.permutation_p_value for c in columns]), method="holm")
    return tuple(replace(c, p_value_adjusted=float(adjusted[i]), permutation_p_value_adjusted=float(permutation[i]),
                         drifted=bool(permutation[i] <= alpha and math.isfinite(c.value) and c.value >= c.threshold))
                 for i, c in enumerate(columns))


def analyze_shift(data: ShiftData, *, alpha: float = 0.05, confidence: float = 0.95, resamples: int = 2000,
                  seed: int = 0, thresholds: Mapping[str, float] | None = None, reweight_by: str | None = None,
                  classifier: bool = True, folds: int = 5) -> ShiftReport:
    """Compare the test set with production: per-column drift, the domain classifier, re-weighted performance.

    Parameters
    ----------
    data:
        From :func:`read_shift`.
    alpha:
        Family-wise error rate of the drift flags (Holm across the columns).
    confidence, resamples, seed:
        Interval level, bootstrap resamples and permutations per column, seed of every draw.
    thresholds:
        Statistic name -> smallest effect size counting as drift (default :data:`DEFAULT_THRESHOLDS`).
    reweight_by:
        The metadata column whose slices re-weight the test-set performance; default the categorical
        metadata column with the largest Jensen-Shannon distance (none without one).
    classifier, folds:
        Whether to train the domain classifier, and its folds.

    Returns
    -------
    ShiftReport

    Examples
    --------
    >>> test = ("test.csv", b"label,prediction,city\\n" + b"a,a,x\\nb,b,y\\n" * 10)
    >>> production = ("prod.csv", b"prediction,city\\n" + b"a,y\\nb,y\\n" * 10)
    >>> report = analyze_shift(read_shift(test, production), resamples=200, classifier=False)
    >>> report.drifted_columns, report.reweighted.metrics["accuracy"].value
    (('city',), 1.0)
    """
    chosen = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    _analyze_iv(alpha, confidence, resamples, seed, chosen)
    drifts = flag_drift([column_drift(c, index=i, resamples=resamples, confidence=confidence, thresholds=chosen,
                                      seed=seed) for i, c in enumerate(data.columns)], alpha=alpha)
    warnings = list(data.warnings)
    if len(drifts) / (resamples + 1) > alpha:
        warnings.append(f"with {resamples:,} permutations the smallest permutation p-value is 1/{resamples + 1:,}, which "
                        f"Holm's adjustment across {len(drifts)} columns lifts above alpha = {alpha:g}: no column can be "
                        f"flagged; raise --resamples to at least {math.ceil(len(drifts) / alpha):,}")
    found = domain_classifier(data.columns, confidence=confidence, seed=seed, folds=folds) if classifier else None
    if classifier and found is None:
        warnings.append(f"the domain classifier needs at least {folds} rows on each side")
    if reweight_by is None:
        candidates = [d for d in drifts if d.role == "metadata" and d.kind == "categorical"]
        reweight_by = max(candidates, key=lambda d: d.value).column if candidates else None
    reweighted = (reweighted_performance(data, reweight_by, confidence=confidence, resamples=resamples, seed=seed)
                  if reweight_by is not None else None)
    if reweighted is not None and reweighted.uncovered_share > 0:
        warnings.append(f"{reweighted.uncovered_share:.1%} of production rows are in slices of {reweight_by} that the test "
                        "set lacks: the re-weighted performance describes the rest of production")
    return ShiftReport(data.test_file, data.production_file, data.task, data.n_test, data.n_production, alpha,
                       confidence, resamples, seed, chosen, _drift_rule(alpha, chosen), drifts, found, reweighted,
                       tuple(warnings))
