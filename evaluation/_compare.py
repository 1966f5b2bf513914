"""The engine's entry point: validate the settings, then score and compare every model."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TypeVar

from ._calibration import ECE, Calibration, calibration, ece_difference, ece_estimate
from ._cell_losses import LossSums, loss_differences, loss_estimates
from ._cell_scores import CellScores, best_threshold_of, scored_difference, scored_model
from ._classification import (
    ProbabilityParts,
    apply_corrections,
    compare_pair,
    model_report,
    probability_differences,
    probability_estimates,
    probability_parts,
    with_probability_differences,
    with_probability_metrics,
)
from ._data import ClassificationData
from ._errors import EvaluationError
from ._flips import flips
from ._metrics import CONFUSION_METRICS, METRICS
from ._parallel import carry_stop_check, comparison_slot, cores, worker_limit
from ._power import analysis_warnings, minimum_detectable_difference
from ._results import (
    BestThreshold,
    Comparison,
    ComparisonReport,
    Difference,
    Estimate,
    Flips,
    ModelReport,
    Power,
    Settings,
    SliceResult,
)
from ._settings import settings_iv
from ._slices import slice_columns, slice_results
from ._thresholds import best_threshold

__all__ = ["compare"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class _Paired:
    """Confusion-count reports of every model and each candidate's comparison without analyses."""

    reports: dict[str, ModelReport]
    comparisons: list[Comparison]


@dataclass(frozen=True)
class _Calibrated:
    """ECE of every model with probabilities, and of each candidate against the baseline."""

    calibrations: dict[str, Calibration]
    ece: dict[str, Estimate]
    ece_differences: dict[str, Difference]


@dataclass(frozen=True)
class _Analysed:
    """Each candidate's slices, flips and minimum detectable effect."""

    slices: dict[str, tuple[SliceResult, ...]]
    flips: dict[str, Flips]
    power: dict[str, Power]


@dataclass(frozen=True)
class _Ranked:
    """The ranking side: per-model pieces, metrics and differences of ROC AUC, AP, log loss and Brier score."""

    parts: dict[str, ProbabilityParts]
    estimates: dict[str, dict[str, Estimate]]
    differences: dict[str, dict[str, Difference]]


def _compare_iv(data: ClassificationData, settings: Settings, baseline: str | None) -> str:
    """Check the settings (:func:`~evaluation._settings.settings_iv`) and the baseline; return the baseline's name."""
    settings_iv(settings)
    names = data.model_names
    if len(names) < 2:
        raise EvaluationError("a comparison needs at least two prediction files: a baseline and a candidate")
    chosen = names[0] if baseline is None else baseline
    if chosen not in names:
        raise EvaluationError(f"no model is named {chosen!r} to serve as baseline; the models are {', '.join(names)}")
    return chosen


def _pairs(data: ClassificationData, settings: Settings, order: list[str]) -> _Paired:
    """Every model's confusion-count report, then each candidate's comparison with the baseline."""
    reports = {name: model_report(data, data.model(name), index, settings) for index, name in enumerate(order)}
    comparisons = [compare_pair(data, reports[order[0]], reports[name], index, settings)
                   for index, name in enumerate(order[1:], start=1)]
    return _Paired(reports, comparisons)


def _calibrations(data: ClassificationData, settings: Settings, order: list[str]) -> _Calibrated:
    """ECE of every model with probabilities and of each candidate's difference from the baseline."""
    baseline = order[0]
    calibrations = {name: calibration(data, data.model(name), settings) for name in order
                    if data.model(name).y_score is not None}
    ece = {name: ece_estimate(order.index(name), settings, pieces) for name, pieces in calibrations.items()}
    differences = {name: ece_difference(ece[baseline], ece[name], index, settings, calibrations[baseline],
                                        calibrations[name])
                   for index, name in enumerate(order[1:], start=1) if {name, baseline} <= set(ece)}
    return _Calibrated(calibrations, ece, differences)


def _analyses(data: ClassificationData, settings: Settings, order: list[str]) -> _Analysed:
    """Each candidate's slices, flips and the minimum accuracy difference its examples can detect."""
    baseline = order[0]
    labels = dict(data.slices) if data.slices is not None else slice_columns(data.metadata)
    base_correct = data.model(baseline).y_pred == data.y_true
    out = _Analysed({}, {}, {})
    for index, name in enumerate(order[1:], start=1):
        out.slices[name] = slice_results(data, baseline, name, index, settings, labels)
        out.flips[name] = flips(data, baseline, name, slices=labels, max_ids=settings.max_flip_ids)
        out.power[name] = minimum_detectable_difference(base_correct, data.model(name).y_pred == data.y_true,
                                                        alpha=settings.alpha, weights=data.weights)
    return out


def _alone(work: Callable[[ClassificationData, Settings, list[str]], _T], data: ClassificationData,
           settings: Settings, order: list[str]) -> _T:
    """Run one part of the comparison as a task of the shared pool, its own inner work on its share of the cores."""
    with worker_limit(max(1, cores() // 2)):
        return work(data, settings, order)


def _ranking_side(data: ClassificationData, settings: Settings, order: list[str], pool: Executor) -> _Ranked:
    """What needs the per-class rankings, which run as tasks of ``pool``."""
    baseline = order[0]
    parts = probability_parts(data, settings, pool=pool)
    estimates = {name: probability_estimates(settings, part) for name, part in parts.items()}
    differences = {name: probability_differences(estimates[baseline], estimates[name], settings, parts[baseline],
                                                 parts[name])
                   for name in order[1:] if name in parts and baseline in parts}
    return _Ranked(parts, estimates, differences)


def _summed_losses(data: ClassificationData, sums: LossSums, reports: dict[str, ModelReport], order: list[str],
                   settings: Settings) -> tuple[dict[str, ModelReport], _Ranked]:
    """Every model's report with its log loss and Brier score from a cell table's sums, and each candidate's
    differences on them (as :class:`_Ranked` carries the ranking side's)."""
    n = data.n_examples
    estimates = {name: loss_estimates(sums, name, n, settings) for name in order}
    merged = {name: {**report.metrics, **estimates[name]} for name, report in reports.items()}
    reports = {name: replace(report, metrics={k: merged[name][k] for k in METRICS if k in merged[name]})
               for name, report in reports.items()}
    baseline = order[0]
    differences = {name: loss_differences(sums, baseline, name, n, settings, {
        metric: (estimates[baseline][metric].value, estimates[name][metric].value)
        for metric in estimates[name] if metric in estimates[baseline]}) for name in order[1:]}
    return reports, _Ranked({}, estimates, differences)


def _summed_scores(data: ClassificationData, scores: CellScores, reports: dict[str, ModelReport], order: list[str],
                   settings: Settings) -> tuple[dict[str, ModelReport], dict[str, dict[str, Difference]]]:
    """Every model's report with its ROC AUC, average precision, ECE and curves from an engine's sums, and each
    candidate's differences on them."""
    scored = {name: scored_model(data, scores, name, order.index(name), settings) for name in order
              if name in scores.runs}
    merged = {name: {**report.metrics, **scored[name].estimates} for name, report in reports.items() if name in scored}
    reports = {name: report if name not in scored else replace(
        report, metrics={k: merged[name][k] for k in METRICS if k in merged[name]}, thresholds=scored[name].thresholds,
        calibration=scored[name].calibration) for name, report in reports.items()}
    estimates = {name: model.estimates for name, model in scored.items()}
    differences = {name: scored_difference(data, scores, order[0], name, index, settings, estimates)
                   for index, name in enumerate(order[1:], start=1) if name in scored and order[0] in scored}
    return reports, differences


def _best_threshold(data: ClassificationData, comparison: Comparison, metric: str) -> BestThreshold | None:
    """A binary comparison's primary metric at each model's best threshold (when both models have probabilities)."""
    baseline, candidate = data.model(comparison.baseline), data.model(comparison.candidate)
    if data.task != "binary" or data.positive_label is None or metric not in CONFUSION_METRICS or data.n_examples == 0:
        return None
    positive = data.classes.index(data.positive_label)
    if data.scores is not None and {baseline.name, candidate.name} <= set(data.scores.runs):
        base_threshold, base_value = best_threshold_of(data.scores, baseline.name, data.positive_label, positive, metric)
        cand_threshold, cand_value = best_threshold_of(data.scores, candidate.name, data.positive_label, positive,
                                                       metric)
        return BestThreshold(metric, base_threshold, cand_threshold, base_value, cand_value)
    if baseline.y_score is None or candidate.y_score is None:
        return None
    base_threshold, base_value = best_threshold(data.y_true, baseline.y_score[:, positive], positive, metric)
    cand_threshold, cand_value = best_threshold(data.y_true, candidate.y_score[:, positive], positive, metric)
    return BestThreshold(metric, base_threshold, cand_threshold, base_value, cand_value)


def compare(
    data: ClassificationData, *, settings: Settings | None = None, baseline: str | None = None
) -> ComparisonReport:
    """Score every model and compare every candidate with the baseline, with intervals and tests.

    Parameters
    ----------
    data:
        Aligned predictions from :func:`evaluation.load_classification`.
    settings:
        Confidence level, alpha, resamples, seed, interval method, correction, ECE bins and primary
        metric (see :class:`Settings`).
    baseline:
        Name of the baseline model; the first model by default. Every other model is a candidate.

    Returns
    -------
    ComparisonReport
        Every model's metrics and every candidate's paired differences with verdicts.

    Raises
    ------
    EvaluationError
        When a setting is out of range or the baseline is unknown.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evaluation import ClassificationData, ColumnMapping, ModelData, compare, Settings
    >>> y = np.array([0, 1, 1, 0, 1, 0, 1, 1])
    >>> models = tuple(ModelData(name, name, pred, None, ColumnMapping()) for name, pred in
    ...                [("base", np.array([0, 1, 0, 0, 0, 1, 1, 1])), ("tuned", y.copy())])
    >>> data = ClassificationData("binary", ("0", "1"), "1", np.arange(8).astype(str), y, models, pd.DataFrame())
    >>> report = compare(data, settings=Settings(resamples=200))
    >>> report.models["tuned"].metrics["accuracy"].value
    1.0
    """
    settings = settings or Settings()
    baseline_name = _compare_iv(data, settings, baseline)
    order = [baseline_name] + [name for name in data.model_names if name != baseline_name]

    # The parts that count cells and the per-class rankings are independent tasks of one pool,
    # the longest first, so that every core stays busy until the last one ends. Comparisons running
    # at once (the dashboard's sessions) take turns for the cores.
    with comparison_slot(), ThreadPoolExecutor(max_workers=cores()) as pool:
        alone = carry_stop_check(_alone)  # a dashboard session that ends stops its comparison's tasks
        analysing = pool.submit(alone, _analyses, data, settings, order)
        pairing = pool.submit(alone, _pairs, data, settings, order)
        calibrating = pool.submit(alone, _calibrations, data, settings, order)
        ranked = _ranking_side(data, settings, order, pool)
        paired, calibrated, analysed = pairing.result(), calibrating.result(), analysing.result()
    reports = {name: report if name not in ranked.parts else with_probability_metrics(
        data, report, ranked.parts[name], {**ranked.estimates[name], ECE: calibrated.ece[name]},
        calibrated.calibrations[name].curve) for name, report in paired.reports.items()}
    if data.losses is not None:  # a cell table's summed losses: the same intervals and tests from the sums
        reports, ranked = _summed_losses(data, data.losses, reports, order, settings)
    scored: dict[str, dict[str, Difference]] = {}
    if data.scores is not None:  # an engine's counts of the scores: the ranking metrics, ECE and curves
        reports, scored = _summed_scores(data, data.scores, reports, order, settings)
    comparisons = apply_corrections([with_probability_differences(replace(
        comparison, slices=analysed.slices[comparison.candidate], flips=analysed.flips[comparison.candidate],
        power=analysed.power[comparison.candidate]), {
        **ranked.differences.get(comparison.candidate, {}), **scored.get(comparison.candidate, {}),
        **({ECE: calibrated.ece_differences[comparison.candidate]}
           if comparison.candidate in calibrated.ece_differences else {})})
        for comparison in paired.comparisons], settings)
    comparisons = [replace(c, best_threshold=_best_threshold(data, c, settings.primary_metric)) for c in comparisons]
    warnings = list(data.warnings) + analysis_warnings(data, comparisons, primary=settings.primary_metric)
    if data.cell_ids is not None and settings.max_flip_ids > data.cell_ids.limit:
        warnings.append(f"the engine kept the first {data.cell_ids.limit:,} ids of each cell; max_flip_ids = "
                        f"{settings.max_flip_ids:,} asks for more, so the changed examples' ids stop there")
    return ComparisonReport(
        task=data.task,
        n_examples=data.n_examples,
        classes=data.classes,
        positive_label=data.positive_label,
        baseline=baseline_name,
        models=reports,
        comparisons=tuple(comparisons),
        warnings=tuple(warnings),
        settings=replace(settings),
    )
