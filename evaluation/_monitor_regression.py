"""Monitoring a regression model: per time window, realised errors against the test set's, drift, alerts, shadow mode.

:func:`analyze_monitor_regression` is what :func:`~evaluation._monitor.analyze_monitor` runs on
:class:`~evaluation._monitor_regression_data.RegressionMonitorData`. It shares classification's
machinery: the windows, the Poisson bootstrap over random buckets of each window's rows
(:func:`evaluation._monitor_core._summarise`), the alert family (every window, model and metric tested
against the test set and Holm-adjusted together, :func:`evaluation._monitor_core.alert_family`), the drift
functions and the report. Per window and model, on the rows whose true value has arrived: mean
absolute error, root mean squared error and R² (scikit-learn's names), from each row's ``(1, |e|,
e², y, y²)``. Shadow mode tests the paired difference with the paired t-test on the per-row absolute
errors (mean absolute error) or squared errors (RMSE and R²: on the same rows both are equal exactly
when the mean squared errors are), as ``scipy.stats.ttest_rel``. There is no label-free estimate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.special import stdtr

from ._monitor import _method
from ._monitor_core import (
    _STREAM_BUCKETS,
    _STREAM_REALISED,
    BUCKETS,
    _Realised,
    _summarise,
    alert_family,
    paired_family,
    window_results,
)
from ._monitor_drift import DRIFT_ROWS, columns_drift
from ._monitor_regression_data import RegressionMonitorData
from ._monitor_report import MetricDifference, ModelReference, MonitorReport, WindowMetric
from ._monitor_windows import WindowSpec, assign_windows
from ._regression import _r2
from ._resampling import percentile_interval
from ._shift import ShiftColumn

__all__ = ["NO_ESTIMATE", "REGRESSION_HIGHER_IS_BETTER", "analyze_monitor_regression", "paired_t"]

REGRESSION_HIGHER_IS_BETTER: Mapping[str, bool] = {"mean_absolute_error": False, "root_mean_squared_error": False,
                                                   "r2": True}
"""The regression metrics monitored, in report order, and whether higher is better."""
NO_ESTIMATE = ("no label-free estimate for regression: a regression model gives one number per row, with no "
               "probability of being right to take an expected error from (as CBPE does for classifiers); estimating "
               "the error without true values (direct loss estimation) needs a second model trained on the inputs to "
               "predict each row's error, and the files hold no inputs or error model. Only the realised errors, once "
               "true values arrive, and the drift of the inputs and predictions are shown")
"""Why ``estimated`` is empty for a regression model."""


def _sums(unit: np.ndarray, units: int, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """``(units, 5)`` sums per unit (window x bucket): rows, |e|, e², y and y² (e = y - prediction)."""
    error = y_true - y_pred
    return np.column_stack([np.bincount(unit, minlength=units).astype(float)]
                           + [np.bincount(unit, weights=w, minlength=units)
                              for w in (np.abs(error), error * error, y_true, y_true * y_true)])


def _metrics_of(totals: np.ndarray) -> dict[str, np.ndarray]:
    """Mean absolute error, RMSE and R² (as scikit-learn's) of ``(..., 5)`` totals; NaN without rows."""
    count = totals[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mse = totals[..., 2] / count
        r2 = np.where(count > 0, _r2(totals[..., [2, 3, 4, 0]]), np.nan)
        return {"mean_absolute_error": totals[..., 1] / count, "root_mean_squared_error": np.sqrt(mse), "r2": r2}


def paired_t(difference_sum: np.ndarray, squares_about_mean: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p-value of the paired t-test per group from each group's sum of differences, sum of squared
    deviations from its mean and count (``scipy.stats.ttest_rel``); 1 when every difference is 0, NaN with fewer than 2.

    Examples
    --------
    >>> d = np.array([0.5, -0.2, 0.9, 0.4])
    >>> round(float(paired_t(np.array([d.sum()]), np.array([((d - d.mean()) ** 2).sum()]), np.array([4]))[0]), 4)
    0.1767
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = difference_sum / n
        se = np.sqrt(squares_about_mean / (n - 1) / n)
        t = np.where(se > 0, mean / np.where(se > 0, se, 1.0), np.where(mean == 0, 0.0, np.nan))
        p = 2.0 * stdtr(n - 1, -np.abs(t))
    return np.where(n >= 2, p, np.nan)


def _reference(data: RegressionMonitorData, index: int, *, confidence: float, resamples: int, seed: int) -> ModelReference:
    """One model's test-set estimates (the reference band), computed as the windows' are."""
    test = data.reference
    rng = np.random.default_rng([seed, _STREAM_BUCKETS, 1_000_000 + index])
    unit = np.asarray(rng.integers(0, BUCKETS, size=test.y_true.shape[0]), dtype=np.int64)
    sums = _sums(unit, BUCKETS, test.y_true, test.models[index].y_pred)
    realised = _summarise(sums, 1, _metrics_of, resamples=max(resamples, 1000), confidence=confidence, seed=seed,
                          stream=1_000 + index)
    metrics = {m: WindowMetric(float(realised.value[m][0]), float(realised.low[m][0]), float(realised.high[m][0]),
                               float(realised.se[m][0]), int(realised.count[0])) for m in realised.value}
    return ModelReference(metrics, math.nan, math.nan, math.nan, False, NO_ESTIMATE)


def _differences(data: RegressionMonitorData, realised: Mapping[str, _Realised], windows: int, *, confidence: float,
                 labelled: np.ndarray, codes: np.ndarray, alpha: float) -> list[dict[str, MetricDifference]]:
    """Shadow mode: candidate minus baseline per window; paired t-test on the rows' errors, paired bootstrap interval."""
    if len(data.models) != 2:
        return [{} for _ in range(windows)]
    base, cand = realised[data.models[0].name], realised[data.models[1].name]
    y, window = data.y_true[labelled], codes[labelled]
    base_error, cand_error = y - data.models[0].y_pred[labelled], y - data.models[1].y_pred[labelled]
    n = np.bincount(window, minlength=windows)
    tested = {}
    for kind, d in (("absolute", np.abs(cand_error) - np.abs(base_error)), ("squared", cand_error**2 - base_error**2)):
        total = np.bincount(window, weights=d, minlength=windows)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / n
        squares = np.bincount(window, weights=(d - mean[window]) ** 2, minlength=windows)
        tested[kind] = paired_t(total, squares, n)
    rows: list[tuple[int, str, float, float, float, float, str]] = []
    for w in range(windows):
        if base.count[w] == 0:
            continue
        for metric in base.value:
            value = float(cand.value[metric][w] - base.value[metric][w])
            drawn = cand.replicates[w][metric] - base.replicates[w][metric]
            drawn = drawn[np.isfinite(drawn)]
            low, high = (percentile_interval(drawn, confidence=confidence) if drawn.size > 1 else (np.nan, np.nan))
            kind = "absolute" if metric == "mean_absolute_error" else "squared"
            rows.append((w, metric, value, float(low), float(high), float(tested[kind][w]),
                         f"paired t on {kind} errors"))
    return paired_family(rows, windows, alpha=alpha, higher_is_better=REGRESSION_HIGHER_IS_BETTER)


def _regression_method(method: Mapping[str, str], *, confidence: float, resamples: int, alpha: float,
                       min_labelled: int, tests: int) -> dict[str, str]:
    """Classification's method notes with the regression-specific ones in their place."""
    level = f"{confidence:.0%}"
    return {**method,
            "metrics": f"realised on each window's rows whose true value has arrived (a missing one has not arrived): "
                       f"mean absolute error, root mean squared error and R² (as scikit-learn's; R² also moves with "
                       f"the spread of the window's true values), each with a {level} percentile interval of a Poisson "
                       f"bootstrap ({resamples:,} resamples) over {BUCKETS:,} random buckets of each window's rows "
                       f"(the row bootstrap up to Monte Carlo error)",
            "alerts": f"family-wise error over W windows and M metrics, Holm: each window's metric is tested against the "
                      f"test set's with a normal test of the difference with both bootstrap standard errors (independent "
                      f"samples), windows with at least {min_labelled} rows with a true value; the {tests:,} p-values of "
                      f"every window, model and metric are adjusted together (Holm 1979) and a window alerts when its "
                      f"adjusted p-value is at most alpha = {alpha:g}; never 'p < 0.05 in some window'",
            "estimated": NO_ESTIMATE,
            "drift": method["drift"].replace("per window and column,", "per window and column (the metadata and each "
                                             "model's predicted value),", 1),
            "difference": "shadow mode: candidate minus baseline on each window's rows with a true value, the same rows "
                          "and the same bootstrap weights for both (paired percentile interval); tested with the paired "
                          "t-test (as scipy.stats.ttest_rel) on the per-row absolute errors (mean absolute error) or "
                          "squared errors (RMSE and R², which on the same rows differ exactly when the mean squared "
                          "errors do); Holm across windows and metrics"}


def analyze_monitor_regression(data: RegressionMonitorData, spec: WindowSpec, *, alpha: float, confidence: float,
                               resamples: int, seed: int, drift_permutations: int | None, ece_threshold: float,
                               min_labelled: int, drift_rows: int = DRIFT_ROWS) -> MonitorReport:
    """Monitor a regression model's production log window by window against the test set (options checked).

    The options are :func:`~evaluation._monitor.analyze_monitor`'s (``ece_threshold`` is only reported:
    there is no label-free estimate).

    Examples
    --------
    >>> from evaluation._monitor import analyze_monitor
    >>> from evaluation._monitor_data import read_monitor
    >>> test = ("test.csv", b"label,prediction\\n" + b"1.5,1.0\\n2.5,3.0\\n" * 20)
    >>> log = ("log.csv", b"timestamp,label,prediction\\n" + b"2026-01-05,1.5,1.0\\n2026-01-13,2.5,3.5\\n" * 20)
    >>> report = analyze_monitor(read_monitor([log], [test]), "1w", resamples=50)
    >>> report.task, [w.models["test"].metrics["mean_absolute_error"].value for w in report.windows]
    ('regression', [0.5, 1.0])
    """
    found = assign_windows(data.timestamps, spec)
    windows = found.count
    buckets = np.random.default_rng([seed, _STREAM_BUCKETS]).integers(0, BUCKETS, size=data.n)
    unit = found.codes * BUCKETS + buckets
    labelled = np.isfinite(data.y_true)
    n_rows = np.bincount(found.codes, minlength=windows)
    n_labelled = np.bincount(found.codes[labelled], minlength=windows)
    warnings = list(data.warnings)
    references: dict[str, ModelReference] = {}
    realised: dict[str, _Realised] = {}
    for i, model in enumerate(data.models):
        references[model.name] = _reference(data, i, confidence=confidence, resamples=resamples, seed=seed)
        sums = _sums(unit[labelled], windows * BUCKETS, data.y_true[labelled], model.y_pred[labelled])
        realised[model.name] = _summarise(sums, windows, _metrics_of, resamples=resamples, confidence=confidence,
                                          seed=seed, stream=_STREAM_REALISED)
    p_values, alerts, tests = alert_family(realised, references, data.model_names, found.starts, alpha=alpha,
                                           min_labelled=min_labelled, higher_is_better=REGRESSION_HIGHER_IS_BETTER)
    columns = list(data.columns) + [ShiftColumn("prediction", "numeric", "prediction", data.reference.models[i].y_pred,
                                                model.y_pred) for i, model in enumerate(data.models)]
    owners = [""] * len(data.columns) + list(data.model_names)
    permutations = (max(200, math.ceil(1.25 * len(columns) / alpha)) if drift_permutations is None
                    else drift_permutations)
    drifts = (columns_drift(columns, owners, found.codes, windows, permutations=permutations, alpha=alpha,
                            confidence=confidence, seed=seed, drift_rows=drift_rows)
              if permutations > 0 else [[] for _ in range(windows)])
    differences = _differences(data, realised, windows, confidence=confidence, labelled=labelled, codes=found.codes,
                               alpha=alpha)
    results = window_results(found, n_rows, n_labelled, data.model_names, realised, p_values, drifts, differences, {},
                             {name: NO_ESTIMATE for name in data.model_names})
    if not labelled.any():
        warnings.append("no production row has a true value yet: no realised metric and no alert")
    method = _regression_method(_method(alpha, confidence, resamples, permutations, ece_threshold, min_labelled,
                                        drift_rows, tests),
                                confidence=confidence, resamples=resamples, alpha=alpha, min_labelled=min_labelled,
                                tests=tests)
    return MonitorReport(data.production_files, data.reference_files, data.model_names, spec.text, data.timezone, data.n,
                         int(labelled.sum()), alpha, confidence, resamples, seed, permutations, ece_threshold, references,
                         results, tuple(alerts), method, tuple(warnings), task="regression")
