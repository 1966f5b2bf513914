"""The classification task: every model's metrics and every candidate's paired differences.

Which method gives each interval and test:

================================  ==========================  =================================
metric                            interval                    test of a difference
================================  ==========================  =================================
confusion-matrix metrics          bootstrap on cell counts    paired bootstrap (accuracy:
                                  (percentile or BCa)         McNemar exact)
roc_auc                           DeLong, logit scale, t      DeLong t (Satterthwaite df)
average_precision                 jackknife, t                jackknife t (Satterthwaite df)
log_loss, brier_score             t interval                  paired t
expected_calibration_error        see ``_calibration.py``     paired permutation
================================  ==========================  =================================

Confusion-matrix differences other than accuracy are tested by the paired permutation test on the
same cells (:func:`evaluation._resampling.swap_statistics`), which holds its level at any size.
No verdict is given where the data cannot support one: fewer than two examples, per-example loss
differences with no spread, or a class with fewer than :data:`MIN_RANK_CLASS` examples in a ranking
metric (ROC AUC, average precision).

ECE is computed in :mod:`evaluation._calibration`, beside the confusion-count metrics; this module
holds the rest. :func:`evaluation._compare.compare` runs the parts as tasks of one pool and merges them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import stdtr, stdtrit

from ._counts import (
    PER_CLASS_PREFIX,
    pair_discordant,
    pair_statistic,
    pair_swap,
    pair_table,
    single_model_statistic,
    single_model_table,
)
from ._data import ClassificationData, ModelData
from ._inference import (
    FEWER_THAN_TWO,
    NO_SPREAD,
    bootstrap_std_error,
    decide,
    logit_interval,
    make_difference,
    make_estimate,
    mean_std_error,
    resampled_intervals,
    rng_for,
    satterthwaite_df,
    t_interval,
    t_test_p_value,
)
from ._mcnemar import mcnemar_exact
from ._metrics import METRICS, PER_CLASS_METRICS
from ._parallel import carry_stop_check, parallel_map
from ._probability import brier_per_example, log_loss_per_example
from ._ranking import ranked_summary
from ._resampling import permutation_p_value, swap_statistics
from ._results import (
    AccuracyTest,
    CalibrationCurve,
    Comparison,
    ConfusionMatrix,
    Difference,
    Estimate,
    ModelReport,
    Settings,
    ThresholdCurve,
)
from ._statistics import DELONG, JACKKNIFE_T, PAIRED_PERMUTATION
from ._thresholds import threshold_curve

__all__ = [
    "MIN_RANK_CLASS",
    "ProbabilityParts",
    "apply_corrections",
    "compare_pair",
    "model_report",
    "probability_differences",
    "probability_estimates",
    "probability_parts",
    "rank_difference",
    "rank_reason",
    "ranking_estimates",
    "with_probability_differences",
    "with_probability_metrics",
]

# Seed streams, one per family of draws (2 and 4, for ECE, are evaluation._calibration's).
_STREAM_MODEL_COUNTS, _STREAM_PAIR_COUNTS, _STREAM_PAIR_SWAP = 1, 3, 5

MIN_RANK_CLASS = 3
"""Examples of every class that ROC AUC's interval and test need.

DeLong's variance estimates each class's component from that class's examples: with one example it
is zero, and even with DeLong's t (:func:`evaluation._inference.satterthwaite_df`) two positives
among 200 gave a false "significant" in 10% of exact-null simulations; three or more hold the
level (``docs/simulation.md``)."""


@dataclass(frozen=True)
class ProbabilityParts:
    """Per-example pieces of one model's probability metrics, shared by its comparisons."""

    log_loss: np.ndarray
    brier: np.ndarray
    auc: float
    auc_influence: np.ndarray
    average_precision: float
    average_precision_loo: np.ndarray
    curves: dict[int, ThresholdCurve]
    groups: np.ndarray
    labels: tuple[str, ...]


def _scored_classes(data: ClassificationData) -> list[int]:
    """Classes with one-vs-rest probability metrics: the positive class, or every class present."""
    if data.task == "binary" and data.positive_label is not None:
        return [data.classes.index(data.positive_label)]
    counts = np.bincount(data.y_true, minlength=len(data.classes))
    return [int(c) for c in np.flatnonzero(counts > 0)]


_ClassParts = tuple[ThresholdCurve, tuple[float, np.ndarray], tuple[float, np.ndarray]]


def _class_parts(data: ClassificationData, y_score: np.ndarray, klass: int, settings: Settings) -> _ClassParts:
    """One class's thinned curve, ROC AUC with DeLong influence, and AP with leave-one-out values.

    The full curve (a point per distinct score) is thinned at once: kept for every class of every
    model it would hold three arrays of up to n values each.
    """
    is_class = data.y_true == klass
    score = np.ascontiguousarray(y_score[:, klass])
    summary = ranked_summary(is_class, score)
    curve = threshold_curve(data.classes[klass], is_class, score, target_precisions=settings.target_precisions,
                            target_recalls=settings.target_recalls, curve=summary.curve)
    return (curve, (summary.auc, summary.auc_influence), (summary.average_precision, summary.leave_one_out))


def _losses(data: ClassificationData, model: ModelData, positive: int | None) -> tuple[np.ndarray, np.ndarray]:
    """A model's per-example log loss and Brier score (``positive``: the binary task's positive class)."""
    assert model.y_score is not None
    return (log_loss_per_example(data.y_true, model.y_score),
            brier_per_example(data.y_true, model.y_score, positive=positive))


def _probability_parts(data: ClassificationData, per_class: Iterable[tuple[int, _ClassParts]],
                       losses: tuple[np.ndarray, np.ndarray]) -> ProbabilityParts:
    """Combine one model's per-class pieces, summed as they arrive, with its per-example losses.

    Each class's score is sorted once; ROC AUC (DeLong), average precision (jackknife) and the
    threshold curves all read that one order. Multiclass values are one-vs-rest macro averages;
    ROC AUC leaves out a class that every example belongs to.
    """
    aucs, ap_values, curves = [], [], {}
    psi, loo = np.zeros(data.n_examples), np.zeros(data.n_examples)
    for klass, (curve, (auc_class, psi_class), (ap_class, loo_class)) in per_class:
        curves[klass] = curve
        if np.isfinite(auc_class):
            aucs.append(auc_class)
            psi += psi_class
        ap_values.append(ap_class)
        loo += loo_class
    return ProbabilityParts(
        log_loss=losses[0],
        brier=losses[1],
        auc=float(np.mean(aucs)) if aucs else float("nan"),
        auc_influence=psi / max(len(aucs), 1),
        average_precision=float(np.mean(ap_values)),
        average_precision_loo=loo / len(ap_values),
        curves=curves,
        groups=data.y_true,
        labels=data.classes,
    )


def _confusion_matrix(labels: tuple[str, ...], y_true: np.ndarray, y_pred: np.ndarray,
                      weights: np.ndarray | None) -> ConfusionMatrix:
    k = len(labels)
    counts = np.bincount(y_true.astype(np.int64) * k + y_pred, weights=weights,
                         minlength=k * k).round().astype(np.int64).reshape(k, k)
    rows = counts.sum(axis=1, keepdims=True)
    normalized = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    return ConfusionMatrix(
        labels=labels,
        counts=tuple(tuple(int(v) for v in row) for row in counts),
        normalized=tuple(tuple(float(v) for v in row) for row in normalized),
    )


def model_report(
    data: ClassificationData, model: ModelData, index: int, settings: Settings,
) -> ModelReport:
    """Every confusion-matrix metric of one model with its interval, per-class metrics and confusion matrix.

    The probability metrics, curves and calibration are added by :func:`with_probability_metrics`.
    """
    k = len(data.classes)
    table = single_model_table(data.y_true, model.y_pred, k, data.weights)
    point, low, high, replicates, method = resampled_intervals(
        table, single_model_statistic(k), settings, rng_for(settings, _STREAM_MODEL_COUNTS, index))
    if table.n < 2:  # one example: the resamples all repeat it, which measures nothing
        low = high = {name: np.full_like(values, np.nan, dtype=float) for name, values in point.items()}
    std_error = {name: bootstrap_std_error(values, n_examples=table.n) for name, values in replicates.items()}
    metrics = {name: make_estimate(point[name], low[name], high[name], method, std_error=std_error[name])
               for name in METRICS if name in point}
    per_class = {
        label: {name: make_estimate(point[PER_CLASS_PREFIX + name][i], low[PER_CLASS_PREFIX + name][i],
                                    high[PER_CLASS_PREFIX + name][i], method,
                                    std_error=std_error[PER_CLASS_PREFIX + name][i]) for name in PER_CLASS_METRICS}
        for i, label in enumerate(data.classes)
    }
    support = np.bincount(data.y_true, weights=data.count(), minlength=k).round().astype(np.int64)
    return ModelReport(
        name=model.name,
        source=model.source,
        metrics=metrics,
        per_class=per_class,
        support={label: int(support[i]) for i, label in enumerate(data.classes)},
        confusion_matrix=_confusion_matrix(data.classes, data.y_true, model.y_pred, data.weights),
        thresholds={},
        calibration=None,
    )


def with_probability_metrics(
    data: ClassificationData, report: ModelReport, parts: ProbabilityParts, estimates: Mapping[str, Estimate],
    calibration: CalibrationCurve,
) -> ModelReport:
    """A model's report with its probability metrics (every one, ECE included), curves and calibration."""
    metrics = {**report.metrics, **estimates}
    return replace(
        report,
        metrics={name: metrics[name] for name in METRICS if name in metrics},
        thresholds={data.classes[c]: curve for c, curve in parts.curves.items()},
        calibration=calibration,
    )


def _rank_reason(parts: ProbabilityParts) -> str:
    """Why the ranking metrics' intervals and tests are undefined on these examples ("" when they are defined)."""
    return rank_reason(np.bincount(parts.groups, minlength=len(parts.labels)), parts.labels)


def rank_reason(sizes: np.ndarray, labels: tuple[str, ...]) -> str:
    """Why the ranking metrics' intervals and tests are undefined with these examples per class ("" when defined)."""
    present = np.flatnonzero(sizes)
    if present.shape[0] < 2:
        return ""  # the AUC itself is undefined, and says so
    smallest = int(present[np.argmin(sizes[present])])
    if sizes[smallest] >= MIN_RANK_CLASS:
        return ""
    count = int(sizes[smallest])
    return (f"class {labels[smallest]!r} has {count} example{'s' if count != 1 else ''}; ROC AUC and average "
            f"precision need at least {MIN_RANK_CLASS} of every class for an interval and a test")


def _jackknife_influence(leave_one_out: np.ndarray) -> np.ndarray:
    """Per-example terms whose squares sum to the jackknife variance ``(n - 1)/n sum (loo_i - mean)^2``."""
    n = leave_one_out.shape[0]
    return np.sqrt((n - 1) / n) * (leave_one_out - leave_one_out.mean())


def _smallest_class_df(groups: np.ndarray) -> float:
    """The smallest class's examples minus one: the conservative degrees of freedom of a sum of class variances."""
    sizes = np.bincount(groups)
    return float(sizes[sizes > 0].min() - 1)


def probability_estimates(settings: Settings, parts: ProbabilityParts) -> dict[str, Estimate]:
    """Intervals of the ranking and loss metrics of one model (ECE: :mod:`evaluation._calibration`).

    ROC AUC's interval is DeLong's standard error on the logit scale with a t quantile
    (:func:`evaluation._inference.logit_interval`): it stays inside [0, 1], and it is longer below,
    where an AUC near 1 has its longer tail. Its degrees of freedom are the smallest class's
    examples minus one, the conservative bound of Welch's (Hsu 1938): with 20 positives the
    Satterthwaite value still left the interval covering 90-92% (``docs/simulation.md``). Average
    precision's interval is the jackknife's standard error with a t quantile of Satterthwaite's degrees
    of freedom (:func:`evaluation._inference.satterthwaite_df`), clipped to [0, 1].
    """
    undefined = bool(_rank_reason(parts)) or parts.groups.shape[0] < 2
    influence = None if undefined else _jackknife_influence(parts.average_precision_loo)
    out = ranking_estimates(
        settings, parts.auc, float(np.sqrt(np.sum(parts.auc_influence**2))),
        np.nan if undefined else _smallest_class_df(parts.groups), parts.average_precision,
        np.nan if influence is None else float(np.sqrt(np.sum(influence**2))),
        np.nan if influence is None else satterthwaite_df(influence, parts.groups), undefined=undefined)
    for name, values in (("log_loss", parts.log_loss), ("brier_score", parts.brier)):
        mean, low, high = t_interval(values, settings.confidence)
        out[name] = make_estimate(mean, max(low, 0.0), high, "t interval", std_error=mean_std_error(values))
    return out


def ranking_estimates(settings: Settings, auc: float, auc_std_error: float, auc_df: float, average_precision: float,
                      ap_std_error: float, ap_df: float, *, undefined: bool) -> dict[str, Estimate]:
    """ROC AUC's and average precision's intervals from their standard errors and degrees of freedom (see
    :func:`probability_estimates`); ``undefined``: the examples cannot support them (:func:`rank_reason`)."""
    out: dict[str, Estimate] = {}
    if undefined or not np.isfinite(auc):
        out["roc_auc"] = make_estimate(auc, np.nan, np.nan, "DeLong logit", std_error=np.nan)
    else:
        out["roc_auc"] = make_estimate(auc, *logit_interval(auc, auc_std_error, settings.confidence, auc_df),
                                       "DeLong logit", std_error=auc_std_error)
    if undefined:
        out["average_precision"] = make_estimate(average_precision, np.nan, np.nan, "jackknife t", std_error=np.nan)
    else:
        half = stdtrit(ap_df, 0.5 + settings.confidence / 2.0) * ap_std_error
        out["average_precision"] = make_estimate(average_precision, max(0.0, average_precision - half),
                                                 min(1.0, average_precision + half), "jackknife t",
                                                 std_error=ap_std_error)
    return out


def compare_pair(
    data: ClassificationData,
    baseline: ModelReport,
    candidate: ModelReport,
    index: int,
    settings: Settings,
) -> Comparison:
    """Paired differences of every confusion-matrix metric between one candidate and the baseline.

    The probability metrics are added by :func:`with_probability_differences`.
    """
    k = len(data.classes)
    base_model, cand_model = data.model(baseline.name), data.model(candidate.name)
    table = pair_table(data.y_true, base_model.y_pred, cand_model.y_pred, k, data.weights)
    point, low, high, replicates, method = resampled_intervals(
        table, pair_statistic(k), settings, rng_for(settings, _STREAM_PAIR_COUNTS, index))
    exchanged = swap_statistics(table, pair_statistic(k), pair_swap(k), resamples=settings.resamples,
                                rng=rng_for(settings, _STREAM_PAIR_SWAP, index))
    p_values = {name: permutation_p_value(point[name], values) for name, values in exchanged.items()}
    reason = FEWER_THAN_TWO if table.n < 2 else ""
    # McNemar's test has no interval of its own: the accuracy's interval, and so its standard error,
    # is the paired bootstrap's, like every other metric's.
    std_errors = {name: bootstrap_std_error(values, n_examples=table.n) for name, values in replicates.items()}
    mcnemar = mcnemar_exact(*pair_discordant(table, k))
    metrics: dict[str, Difference] = {}
    for name in METRICS:
        if name not in point:
            continue
        test, p = ("McNemar exact", mcnemar.p_value) if name == "accuracy" else (PAIRED_PERMUTATION, p_values[name])
        metrics[name] = make_difference(name, point[name], low[name], high[name], p, test, method,
                                        baseline.metrics[name].value, candidate.metrics[name].value,
                                        std_error=std_errors[name], reason=reason)
    per_class = _per_class_differences(data, baseline, candidate, point, low, high, p_values, std_errors, method,
                                       settings, reason)
    base_counts = np.array(baseline.confusion_matrix.counts)
    cand_counts = np.array(candidate.confusion_matrix.counts)
    return Comparison(
        candidate=candidate.name,
        baseline=baseline.name,
        metrics=metrics,
        per_class=per_class,
        confusion_matrix_difference=tuple(tuple(int(v) for v in row) for row in cand_counts - base_counts),
        accuracy_test=AccuracyTest(
            baseline_only=mcnemar.baseline_only, candidate_only=mcnemar.candidate_only,
            p_value=float(mcnemar.p_value), mid_p_value=float(mcnemar.mid_p_value)),
    )


def with_probability_differences(comparison: Comparison, differences: Mapping[str, Difference]) -> Comparison:
    """A comparison with the probability metrics' differences (from :func:`probability_differences`) added."""
    metrics = {**comparison.metrics, **differences}
    return replace(comparison, metrics={name: metrics[name] for name in METRICS if name in metrics})


def _per_class_differences(
    data: ClassificationData, baseline: ModelReport, candidate: ModelReport,
    point: Mapping[str, np.ndarray], low: Mapping[str, np.ndarray], high: Mapping[str, np.ndarray],
    p_values: Mapping[str, np.ndarray], std_errors: Mapping[str, np.ndarray], method: str, settings: Settings,
    reason: str,
) -> dict[str, dict[str, Difference]]:
    """Per-class differences with p-values adjusted across classes, one family per metric."""
    out: dict[str, dict[str, Difference]] = {label: {} for label in data.classes}
    for name in PER_CLASS_METRICS:
        key = PER_CLASS_PREFIX + name
        family = [make_difference(name, point[key][i], low[key][i], high[key][i], p_values[key][i], PAIRED_PERMUTATION,
                                  method, baseline.per_class[label][name].value, candidate.per_class[label][name].value,
                                  std_error=std_errors[key][i], reason=reason)
                  for i, label in enumerate(data.classes)]
        for label, decided in zip(data.classes, decide(family, settings, higher_is_better=True), strict=True):
            out[label][name] = decided
    return out


def probability_differences(
    baseline: Mapping[str, Estimate], candidate: Mapping[str, Estimate], settings: Settings,
    base: ProbabilityParts, cand: ProbabilityParts,
) -> dict[str, Difference]:
    """Paired differences of the ranking and loss metrics, given both models' :func:`probability_estimates`."""
    out: dict[str, Difference] = {}
    n = base.groups.shape[0]
    too_few = FEWER_THAN_TWO if n < 2 else ""

    def values(name: str) -> tuple[float, float]:
        return baseline[name].value, candidate[name].value

    ranks = too_few or _rank_reason(base)
    for name, difference, influence, test, method in (
            ("roc_auc", cand.auc - base.auc, cand.auc_influence - base.auc_influence, DELONG, "DeLong t"),
            ("average_precision", cand.average_precision - base.average_precision,
             _jackknife_influence(cand.average_precision_loo - base.average_precision_loo) if n > 1 else np.zeros(n),
             JACKKNIFE_T, "jackknife t")):
        out[name] = rank_difference(name, settings, difference, float(np.sqrt(np.sum(influence**2))),
                                    satterthwaite_df(influence, base.groups), values(name), test, method, ranks)
    for name, b, c in (("log_loss", base.log_loss, cand.log_loss), ("brier_score", base.brier, cand.brier)):
        diff = c - b
        mean, low, high = t_interval(diff, settings.confidence)
        constant = n > 0 and bool(np.all(diff == diff[0]))
        p = (1.0 if mean == 0 else float("nan")) if constant else t_test_p_value(diff) if n > 1 else float("nan")
        out[name] = make_difference(name, mean, low, high, p, "paired t", "t interval", *values(name),
                                    std_error=mean_std_error(diff),
                                    reason=too_few or (NO_SPREAD if constant and mean != 0 else ""))
    return out


def rank_difference(name: str, settings: Settings, difference: float, std_error: float, df: float,
                    values: tuple[float, float], test: str, method: str, reason: str) -> Difference:
    """A ranking metric's paired difference: the standard error ``sqrt(sum(influence**2))`` (DeLong's, the
    jackknife's) with a t reference of ``df``, Satterthwaite's degrees of freedom over the classes."""
    if not reason and std_error > 0:
        p = float(2.0 * stdtr(df, -abs(difference) / std_error))
        half = stdtrit(df, 0.5 + settings.confidence / 2.0) * std_error
        low, high = max(-1.0, difference - half), min(1.0, difference + half)
    elif not reason and difference == 0:
        p, low, high = 1.0, 0.0, 0.0  # no example moves the difference: identical rankings
    else:
        p, low, high = np.nan, np.nan, np.nan
        reason = reason or "the standard error is zero: no spread to test the difference with"
    return make_difference(name, difference, low, high, p, test, method, *values, std_error=std_error, reason=reason)


def apply_corrections(comparisons: list[Comparison], settings: Settings) -> list[Comparison]:
    """Adjust each headline metric's p-values across candidates (one family per metric) and set the verdicts."""
    decided: list[dict[str, Difference]] = [{} for _ in comparisons]
    for name in METRICS:
        having = [i for i, c in enumerate(comparisons) if name in c.metrics]
        family = decide([comparisons[i].metrics[name] for i in having], settings,
                        higher_is_better=METRICS[name].higher_is_better)
        for i, difference in zip(having, family, strict=True):
            decided[i][name] = difference
    return [replace(comparison, metrics={name: decided[i][name] for name in comparison.metrics})
            for i, comparison in enumerate(comparisons)]


def _scores(model: ModelData) -> np.ndarray:
    """The model's probabilities (callers only pass models that have them)."""
    assert model.y_score is not None
    return model.y_score


def probability_parts(
    data: ClassificationData, settings: Settings, *, pool: Executor | None = None
) -> dict[str, ProbabilityParts]:
    """Per-example probability pieces of every model that has probabilities.

    The (model, class) rankings and each model's losses are independent, so they run on one
    thread per core (numpy releases the GIL while it counts and gathers), or as tasks of ``pool``
    when the caller shares one; each class's pieces are added to its model's sums as they arrive.
    """
    models = [model for model in data.models if model.y_score is not None]
    classes = _scored_classes(data)
    positive = classes[0] if data.task == "binary" and data.positive_label is not None else None
    jobs = [(model, klass) for model in models for klass in classes]

    def run(job: tuple[ModelData, int]) -> _ClassParts:
        return _class_parts(data, _scores(job[0]), job[1], settings)

    run = carry_stop_check(run)
    loss_tasks = [] if pool is None else [pool.submit(carry_stop_check(_losses), data, model, positive) for model in models]
    # Taken in (model, class) order and forgotten: a finished task holds its class's per-example
    # arrays (16 bytes a row) for as long as anything refers to it, and all of them would otherwise
    # stay alive until every model is summed.
    tasks: deque[Future[_ClassParts]] = deque(pool.submit(run, job) for job in jobs) if pool is not None else deque()
    ranked: deque[_ClassParts] = deque(parallel_map(run, jobs)) if pool is None else deque()

    def next_parts() -> _ClassParts:
        return ranked.popleft() if pool is None else tasks.popleft().result()

    out = {}
    for m, model in enumerate(models):  # a model's pieces are summed while the pool still ranks later classes
        per_class = ((klass, next_parts()) for klass in classes)
        losses = _losses(data, model, positive) if pool is None else loss_tasks[m].result()
        out[model.name] = _probability_parts(data, per_class, losses)
    return out
