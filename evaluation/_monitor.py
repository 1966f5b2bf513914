"""Monitoring: per time window, how is the model doing now? Realised metrics, label-free estimates, drift, alerts.

:func:`analyze_monitor` takes trusted :class:`~evaluation._monitor_data.MonitorData` (from
:func:`~evaluation._monitor_data.read_monitor`) and only computes:

* **windows** (:func:`parse_window`, :func:`assign_windows`): calendar days, ISO weeks (Monday to
  Monday) or calendar months of the timestamps, or consecutive blocks of N rows in time order;
* **realised metrics** per window and model on the rows whose label has arrived: accuracy with
  Wilson's interval, macro F1, and with probabilities log loss and Brier score with percentile
  intervals of a Poisson bootstrap over random buckets of rows (:data:`BUCKETS` per window: a
  cluster bootstrap whose clusters are random, so it is the row bootstrap up to Monte Carlo error,
  while its cost does not grow with the rows); the test set's estimates, computed the same way, are
  the **reference band**;
* **alerts**: each window's metric is tested against the test set's (two-proportion z-test for
  accuracy, a normal test with both bootstrap standard errors for the others); the p-values of every
  window, model and metric are one family, Holm-adjusted, and a window alerts when its adjusted
  p-value is at most ``alpha``: the family-wise error over W windows and M metrics is at most alpha;
* **label-free estimates** (confidence-based performance estimation, as NannyML's CBPE): the
  expected accuracy is the mean probability of the predicted class, the expected macro F1 comes from
  the expected confusion counts, offered only when the test set's calibration supports it;
* **drift** per window of the metadata and of each model's prediction and confidence against the
  test set, with the shift command's per-column functions (:func:`evaluation._shift.column_drift`);
* **shadow mode** (two models scoring the same traffic): the paired difference per window.

The machinery every task shares (the bucket bootstrap, the alert family, the windows' results) is in
:mod:`evaluation._monitor_core`. A regression model's log
(:class:`~evaluation._monitor_regression_data.RegressionMonitorData`) goes to
:func:`evaluation._monitor_regression.analyze_monitor_regression`, which uses the same machinery.

Every aggregation is a ``bincount`` over window and bucket codes; no Python loop runs over rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import partial

import numpy as np

from ._calibration import Calibration, calibration_bin, calibration_curve, ece_estimate, top_label
from ._errors import EvaluationError
from ._mcnemar import mcnemar_exact
from ._metrics import per_class_metrics
from ._monitor_core import (
    _STREAM_BUCKETS,
    _STREAM_ESTIMATED,
    _STREAM_REALISED,
    BUCKETS,
    _Realised,
    _summarise,
    _two_sided,
    alert_family,
    paired_family,
    wilson_interval,
    window_results,
)
from ._monitor_data import MonitorData
from ._monitor_drift import DRIFT_BINS, DRIFT_ROWS, output_columns, window_drift
from ._monitor_regression_data import RegressionMonitorData
from ._monitor_report import (
    MetricDifference,
    ModelReference,
    MonitorReport,
    WindowMetric,
)
from ._monitor_windows import Windows, WindowSpec, assign_windows, parse_window
from ._probability import brier_per_example, log_loss_per_example
from ._resampling import percentile_interval
from ._results import Settings
from ._settings import levels_iv

__all__ = ["BUCKETS", "DEFAULT_ECE_THRESHOLD", "DRIFT_BINS", "HIGHER_IS_BETTER", "MIN_LABELLED", "WindowSpec", "Windows",
           "analyze_monitor", "assign_windows", "parse_window", "wilson_interval"]

DEFAULT_ECE_THRESHOLD = 0.05
"""Label-free estimates are offered when the upper bound of the test set's ECE interval is below this."""
MIN_LABELLED = 30
"""Windows with fewer labelled rows show their metrics but are not tested (no alert, no p-value)."""
HIGHER_IS_BETTER: Mapping[str, bool] = {"accuracy": True, "f1_macro": True, "log_loss": False, "brier_score": False}


def _layout(k: int, probabilities: bool) -> dict[str, slice]:
    """Columns of the realised aggregates: count, true positives, actual and predicted per class, loss sums."""
    out = {"count": slice(0, 1), "tp": slice(1, 1 + k), "actual": slice(1 + k, 1 + 2 * k),
           "predicted": slice(1 + 2 * k, 1 + 3 * k)}
    if probabilities:
        out |= {"log_loss": slice(1 + 3 * k, 2 + 3 * k), "brier_score": slice(2 + 3 * k, 3 + 3 * k)}
    return out


def _realised_sums(unit: np.ndarray, units: int, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None,
                   k: int, positive: int | None) -> np.ndarray:
    """``(units, q)`` sums per unit (window x bucket) of the labelled rows: see :func:`_layout`."""
    def per_class(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(unit * k + values, weights=weights, minlength=units * k).reshape(units, k)

    parts = [np.bincount(unit, minlength=units)[:, None].astype(float),
             per_class(y_true, (y_true == y_pred).astype(float)), per_class(y_true).astype(float),
             per_class(y_pred).astype(float)]
    if y_score is not None:
        parts += [np.bincount(unit, weights=log_loss_per_example(y_true, y_score), minlength=units)[:, None],
                  np.bincount(unit, weights=brier_per_example(y_true, y_score, positive=positive), minlength=units)[:, None]]
    return np.hstack(parts)


def _expected_sums(unit: np.ndarray, units: int, y_pred: np.ndarray, y_score: np.ndarray, k: int) -> np.ndarray:
    """``(units, 1 + 3k)`` label-free sums per unit: count, expected true positives, expected actual, predicted."""
    chosen = np.take_along_axis(y_score, y_pred[:, None], axis=1)[:, 0]
    expected_actual = np.column_stack([np.bincount(unit, weights=y_score[:, c], minlength=units) for c in range(k)])
    return np.hstack([np.bincount(unit, minlength=units)[:, None].astype(float),
                      np.bincount(unit * k + y_pred, weights=chosen, minlength=units * k).reshape(units, k),
                      expected_actual,
                      np.bincount(unit * k + y_pred, minlength=units * k).reshape(units, k).astype(float)])


def _metrics_of(totals: np.ndarray, layout: Mapping[str, slice]) -> dict[str, np.ndarray]:
    """Metrics of ``(..., q)`` totals: accuracy, macro F1 (zero_division 0, every class), log loss, Brier."""
    count = totals[..., layout["count"]][..., 0]
    tp, actual, predicted = (totals[..., layout[name]] for name in ("tp", "actual", "predicted"))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {"accuracy": tp.sum(axis=-1) / count, "f1_macro": per_class_metrics(tp, predicted, actual)["f1"].mean(axis=-1)}
        out["f1_macro"] = np.where(count > 0, out["f1_macro"], np.nan)
        for name in ("log_loss", "brier_score"):
            if name in layout:
                out[name] = totals[..., layout[name]][..., 0] / count
    return out


# --- the analysis -----------------------------------------------------------------------------------

def _monitor_iv(alpha: float, confidence: float, resamples: int, seed: int, drift_permutations: int | None,
                ece_threshold: float, min_labelled: int) -> None:
    """Check the options."""
    levels_iv(confidence=confidence, alpha=alpha, seed=seed)
    if resamples < 10:
        raise EvaluationError(f"resamples must be at least 10 (200 by default), got {resamples}")
    if drift_permutations is not None and drift_permutations < 0:
        raise EvaluationError(f"drift permutations must be zero (no drift) or more, got {drift_permutations}")
    if not 0 <= ece_threshold <= 1:
        raise EvaluationError(f"the ECE threshold must be between 0 and 1 (0.05 by default), got {ece_threshold}")
    if min_labelled < 1:
        raise EvaluationError(f"the minimum of labelled rows per tested window must be 1 or more, got {min_labelled}")


def _reference(data: MonitorData, index: int, *, confidence: float, resamples: int, seed: int,
               ece_threshold: float) -> ModelReference:
    """One model's test-set estimates (the reference band) and whether its calibration supports CBPE."""
    test = data.reference
    model = test.models[index]
    k = len(data.classes)
    positive = None if data.positive_label is None else data.classes.index(data.positive_label)
    rng = np.random.default_rng([seed, _STREAM_BUCKETS, 1_000_000 + index])
    unit = np.asarray(rng.integers(0, BUCKETS, size=test.y_true.shape[0]), dtype=np.int64)
    sums = _realised_sums(unit, BUCKETS, test.y_true, model.y_pred, model.y_score, k, positive)
    layout = _layout(k, model.y_score is not None)
    realised = _summarise(sums, 1, partial(_metrics_of, layout=layout), resamples=max(resamples, 1000),
                          confidence=confidence, seed=seed, stream=1_000 + index, correct=layout["tp"])
    metrics = {m: WindowMetric(float(realised.value[m][0]), float(realised.low[m][0]), float(realised.high[m][0]),
                               float(realised.se[m][0]), int(realised.count[0])) for m in realised.value}
    if model.y_score is None:
        return ModelReference(metrics, math.nan, math.nan, math.nan, False,
                              "the test set has no probabilities, so nothing supports a label-free estimate")
    if ece_threshold == 0:
        return ModelReference(metrics, math.nan, math.nan, math.nan, False,
                              "label-free estimates are turned off (an ECE threshold of 0)")
    confidence_, correct = top_label(test.y_true, model.y_score)
    bins = calibration_bin(confidence_, n_bins=15)
    pieces = Calibration(confidence_, correct, bins, calibration_curve(confidence_, correct, n_bins=15, bins=bins))
    ece = ece_estimate(index, Settings(confidence=confidence, resamples=2000, seed=seed), pieces)
    supported = bool(ece.ci_high < ece_threshold)
    note = "" if supported else (
        f"the test set's expected calibration error is {ece.value:.3f} (interval {ece.ci_low:.3f} to {ece.ci_high:.3f}); "
        f"its upper bound is not below {ece_threshold:g}, so the probabilities are not shown to be calibrated "
        "and a confidence-based "
        "estimate could be off by that much")
    return ModelReference(metrics, ece.value, ece.ci_low, ece.ci_high, supported, note)


def analyze_monitor(data: MonitorData | RegressionMonitorData, window: str | WindowSpec, *, alpha: float = 0.05,
                    confidence: float = 0.95, resamples: int = 200, seed: int = 0, drift_permutations: int | None = None,
                    ece_threshold: float = DEFAULT_ECE_THRESHOLD, min_labelled: int = MIN_LABELLED,
                    drift_rows: int = DRIFT_ROWS) -> MonitorReport:
    """Monitor a production log window by window against the test set.

    Parameters
    ----------
    data:
        From :func:`~evaluation._monitor_data.read_monitor`: a classifier's log, or a regression model's
        (:mod:`evaluation._monitor_regression`: mean absolute error, RMSE and R² per window, no label-free
        estimate).
    window:
        ``1d``, ``1w``, ``1M`` or a number of rows (see :func:`parse_window`).
    alpha:
        Family-wise error rate of the alerts (Holm over every window, model and metric), and of the
        drift flags within each window (Holm over the window's columns).
    confidence:
        Level of every interval.
    resamples:
        Bootstrap resamples per window (Poisson weights over :data:`BUCKETS` random buckets of rows);
        the test set's reference gets at least 1,000.
    seed:
        Seed of every random draw.
    drift_permutations:
        Permutations (and bootstrap resamples) of each column's drift per window; 0 leaves drift
        out; ``None``: ``max(200, ceil(1.25 * columns / alpha))``, enough for Holm across the window's
        columns to be able to flag one.
    ece_threshold:
        Label-free estimates are offered for a model whose test-set ECE's upper bound is below this;
        0 turns them off (and the test set's ECE is not computed).
    min_labelled:
        Windows with fewer labelled rows are shown but not tested.
    drift_rows:
        Rows of the test set and of each window the drift statistics see at most (seeded samples
        beyond); numeric values are put on :data:`DRIFT_BINS` bins at the test set's quantiles, each
        value replaced by its sample's mean in its bin.

    Returns
    -------
    MonitorReport

    Examples
    --------
    >>> from evaluation._monitor_data import read_monitor
    >>> test = ("test.csv", b"label,prediction\\n" + b"a,a\\nb,b\\na,b\\n" * 20)
    >>> log = ("log.csv", b"timestamp,label,prediction\\n" + b"2026-01-05,a,a\\n2026-01-13,b,a\\n" * 20)
    >>> report = analyze_monitor(read_monitor([log], [test]), "1w", resamples=50)
    >>> [w.n for w in report.windows], report.windows[0].models["test"].metrics["accuracy"].value
    ([20, 20], 1.0)
    """
    _monitor_iv(alpha, confidence, resamples, seed, drift_permutations, ece_threshold, min_labelled)
    spec = window if isinstance(window, WindowSpec) else parse_window(window)
    if isinstance(data, RegressionMonitorData):
        from ._monitor_regression import analyze_monitor_regression

        return analyze_monitor_regression(data, spec, alpha=alpha, confidence=confidence, resamples=resamples, seed=seed,
                                          drift_permutations=drift_permutations, ece_threshold=ece_threshold,
                                          min_labelled=min_labelled, drift_rows=drift_rows)
    k = len(data.classes)
    positive = None if data.positive_label is None else data.classes.index(data.positive_label)
    found = assign_windows(data.timestamps, spec)
    windows = found.count
    buckets = np.random.default_rng([seed, _STREAM_BUCKETS]).integers(0, BUCKETS, size=data.n)
    unit = found.codes * BUCKETS + buckets
    labelled = data.y_true >= 0
    n_rows = np.bincount(found.codes, minlength=windows)
    n_labelled = np.bincount(found.codes[labelled], minlength=windows)
    warnings = list(data.warnings)
    references: dict[str, ModelReference] = {}
    realised: dict[str, _Realised] = {}
    estimated: dict[str, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for i, model in enumerate(data.models):
        references[model.name] = _reference(data, i, confidence=confidence, resamples=resamples, seed=seed,
                                            ece_threshold=ece_threshold)
        score = model.y_score if data.reference.models[i].y_score is not None else None
        if model.y_score is None and data.reference.models[i].y_score is not None:
            warnings.append(f"{model.file}: no probabilities, so no log loss, Brier score or label-free estimate")
        layout = _layout(k, score is not None)
        sums = _realised_sums(unit[labelled], windows * BUCKETS, data.y_true[labelled], model.y_pred[labelled],
                              None if score is None else score[labelled], k, positive)
        realised[model.name] = _summarise(sums, windows, partial(_metrics_of, layout=layout), resamples=resamples,
                                          confidence=confidence, seed=seed, stream=_STREAM_REALISED, correct=layout["tp"])
        if score is not None and references[model.name].cbpe_supported:
            expected = _expected_sums(unit, windows * BUCKETS, model.y_pred, score, k)
            summary = _summarise(expected, windows, partial(_metrics_of, layout=_layout(k, False)), resamples=resamples,
                                 confidence=confidence, seed=seed, stream=_STREAM_ESTIMATED + 10 * i)
            estimated[model.name] = {m: (summary.value[m], summary.low[m], summary.high[m]) for m in ("accuracy", "f1_macro")}
    # Alerts: one family over every window, model and metric.
    p_values, alerts, tests = alert_family(realised, references, data.model_names, found.starts, alpha=alpha,
                                           min_labelled=min_labelled, higher_is_better=HIGHER_IS_BETTER)
    # Drift.
    columns = len(data.columns) + sum(len(output_columns(data, i)) for i in range(len(data.models)))
    permutations = (max(200, math.ceil(1.25 * columns / alpha)) if drift_permutations is None else drift_permutations)
    drifts = (window_drift(data, found.codes, windows, permutations=permutations, alpha=alpha, confidence=confidence,
                           seed=seed, drift_rows=drift_rows) if permutations > 0 else [[] for _ in range(windows)])
    differences = _differences(data, realised, windows, confidence=confidence, labelled=labelled, codes=found.codes,
                               alpha=alpha)
    notes = {name: references[name].note or "no probabilities on production rows" for name in data.model_names}
    results = window_results(found, n_rows, n_labelled, data.model_names, realised, p_values, drifts, differences,
                             estimated, notes)
    if not labelled.any():
        warnings.append("no production row has a label yet: no realised metric and no alert")
    return MonitorReport(data.production_files, data.reference_files, data.model_names, spec.text, data.timezone, data.n,
                         int(labelled.sum()), alpha, confidence, resamples, seed, permutations, ece_threshold, references,
                         results, tuple(alerts),
                         _method(alpha, confidence, resamples, permutations, ece_threshold, min_labelled, drift_rows,
                                 tests), tuple(warnings))


def _differences(data: MonitorData, realised: Mapping[str, _Realised], windows: int, *, confidence: float,
                 labelled: np.ndarray, codes: np.ndarray, alpha: float) -> list[dict[str, MetricDifference]]:
    """Shadow mode: candidate minus baseline per window, paired (the same bootstrap weights), Holm across windows x metrics."""
    if len(data.models) != 2:
        return [{} for _ in range(windows)]
    base, cand = realised[data.models[0].name], realised[data.models[1].name]
    y = data.y_true[labelled]
    base_right = data.models[0].y_pred[labelled] == y
    cand_right = data.models[1].y_pred[labelled] == y
    window = codes[labelled]
    base_only = np.bincount(window, weights=(base_right & ~cand_right).astype(float), minlength=windows)
    cand_only = np.bincount(window, weights=(cand_right & ~base_right).astype(float), minlength=windows)
    rows: list[tuple[int, str, float, float, float, float, str]] = []
    for w in range(windows):
        if base.count[w] == 0:
            continue
        for metric in base.value:
            if metric not in cand.value:
                continue
            value = float(cand.value[metric][w] - base.value[metric][w])
            drawn = cand.replicates[w][metric] - base.replicates[w][metric]
            drawn = drawn[np.isfinite(drawn)]
            low, high = (percentile_interval(drawn, confidence=confidence) if drawn.size > 1 else (np.nan, np.nan))
            if metric == "accuracy":
                p, test = mcnemar_exact(int(base_only[w]), int(cand_only[w])).p_value, "McNemar exact"
            else:
                se = float(np.std(drawn, ddof=1)) if drawn.size > 1 else math.nan
                p = float(_two_sided(np.array(value / se))) if se > 0 else (1.0 if value == 0 else math.nan)
                test = "paired bootstrap, normal"
            rows.append((w, metric, value, float(low), float(high), float(p), test))
    return paired_family(rows, windows, alpha=alpha, higher_is_better=HIGHER_IS_BETTER)


def _method(alpha: float, confidence: float, resamples: int, permutations: int, ece_threshold: float, min_labelled: int,
            drift_rows: int, tests: int) -> dict[str, str]:
    """How everything was computed, in words."""
    level = f"{confidence:.0%}"
    return {
        "windows": "each row belongs to the window [start, end) holding its timestamp (calendar day, ISO week from Monday "
                   "00:00, or calendar month, in the log's own time; UTC when its times carry a zone) or to a block of N "
                   "consecutive rows in time order; only windows with rows are listed",
        "metrics": f"realised on each window's labelled rows (a missing label has not arrived): accuracy with Wilson's "
                   f"{level} interval; macro F1, log loss and Brier score with {level} percentile intervals of a Poisson "
                   f"bootstrap ({resamples:,} resamples) over {BUCKETS:,} random buckets of each window's rows",
        "reference": "the test set's estimates of the same metrics, computed the same way (at least 1,000 resamples): the "
                     "reference band",
        "alerts": f"family-wise error over W windows and M metrics, Holm: each window's metric is tested against the test "
                  f"set's (accuracy: pooled two-proportion z-test; the others: normal test with both bootstrap standard "
                  f"errors), windows with at least {min_labelled} labelled rows; the {tests:,} p-values of every window, "
                  f"model and metric are adjusted together (Holm 1979) and a window alerts when its adjusted p-value is at "
                  f"most alpha = {alpha:g}; never 'p < 0.05 in some window'",
        "estimated": f"confidence-based performance estimation (as NannyML's CBPE) on every row of the window, labelled or "
                     f"not: expected accuracy = mean probability of the predicted class (the mean largest probability "
                     f"when the prediction is the most probable class); expected macro F1 from the expected confusion "
                     f"counts; {level} percentile interval of the same bucket bootstrap. Assumes the probabilities are "
                     f"calibrated in production and P(label | input) has not changed (only the inputs' mix); offered "
                     f"only when the upper bound of the test set's expected calibration error interval is below "
                     f"{ece_threshold:g}",
        "drift": f"per window and column, the shift command's statistics against the test set (Jensen-Shannon distance "
                 f"for categories, Wasserstein distance over the test set's standard deviation for numbers) with "
                 f"{permutations:,} permutations and bootstrap resamples on at most {drift_rows:,} rows of the test set "
                 f"and of the window (seeded samples), numbers on {DRIFT_BINS} bins at the test set's quantiles (each "
                 f"value replaced by its sample's mean in its bin); a "
                 f"column drifted when its permutation p-value, Holm-adjusted across the window's columns, is at most "
                 f"alpha and its effect size at least the practical threshold (0.1); the flags control the error within "
                 f"each window, not across windows: drift is context for the alerts",
        "difference": "shadow mode: candidate minus baseline on each window's labelled rows, the same rows and the same "
                      "bootstrap weights for both (paired percentile interval); accuracy tested with McNemar's exact "
                      "test, the others with the paired bootstrap's normal test; Holm across windows and metrics",
    }
