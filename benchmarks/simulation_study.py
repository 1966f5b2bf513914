"""Simulation study of the engine's statistics: do its intervals cover and do its tests hold their level?

Test sets are drawn from known populations and compared with :func:`evaluation.compare`, as a user's
files would be; the truth is computed on the whole population independently of the engine
(scikit-learn, and the ECE by its formula). Measured per metric, population and sample size, each
with its Monte Carlo standard error:

1. coverage of every single-model interval and of every difference interval (non-null populations);
2. the type-I error of every metric's test (raw ``p < alpha`` and a false "better"/"worse") on exact
   nulls: each example duplicated with the two models swapped on the copy, so that every metric of
   the two models is identical on the population;
3. family error rates on those nulls: any false verdict among 8 slices (of ~50 examples at n = 400,
   ~250 at n = 2,000) and among the classes' recalls, after the engine's correction;
4. small data: DeLong's paired test and the single-model ROC AUC interval with one or two positives
   among 200 examples.

Targets (issue 11): every interval covers 93.5-96.5% and every test and family rejects at most 5% (plus
Monte Carlo error) at n >= 400; at n = 100 the shortfall is reported. See ``docs/simulation.md``.

Usage::

    python benchmarks/simulation_study.py                        # 500 replications, n = 100, 400, 2000
    python benchmarks/simulation_study.py --replications 100 --sizes 400 --json out.json
    python benchmarks/simulation_study.py --from-json out.json --metrics all     # the tables again
    PYTHONPATH=/path/to/other/checkout python benchmarks/simulation_study.py   # study another copy of the engine
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import subprocess
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # appended, so that PYTHONPATH may point at another copy of the engine

import evaluation  # noqa: E402
from evaluation import ClassificationData, ColumnMapping, ComparisonReport, ModelData, Settings, compare  # noqa: E402

__all__ = [
    "COVERAGE_TARGET",
    "HEADLINE_METRICS",
    "LEVEL_TARGET",
    "METRIC_NAMES",
    "POPULATIONS",
    "SLICE_METRIC_NAMES",
    "Cell",
    "CellResult",
    "ModelSpec",
    "Population",
    "PopulationSpec",
    "Rate",
    "StudySettings",
    "classification_data",
    "default_cells",
    "expected_calibration_error",
    "load_json",
    "main",
    "make_population",
    "measure",
    "metric_values",
    "null_population",
    "population",
    "population_summary",
    "population_truth",
    "run_cells",
    "target_std_error",
    "to_json",
    "to_markdown",
]

ALPHA = 0.05
COVERAGE_TARGET = (0.935, 0.965)
LEVEL_TARGET = 0.05
TARGET_FROM_N = 400
"""Below this many examples the targets are not promised: the shortfall is reported instead."""
ECE_BINS = 15
SLICES = 8
METRIC_NAMES: tuple[str, ...] = (
    "accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro", "precision_weighted",
    "recall_weighted", "f1_weighted", "f1_micro", "matthews_corrcoef", "cohen_kappa", "roc_auc",
    "average_precision", "log_loss", "brier_score", "expected_calibration_error",
)
"""Every headline metric of a classification report (the engine's ``METRICS``, spelled out here)."""
HEADLINE_METRICS: tuple[str, ...] = (
    "accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "average_precision", "log_loss", "brier_score",
    "expected_calibration_error",
)
"""The metrics the tables show by default (every metric is measured and written to the JSON)."""
SLICE_METRIC_NAMES: tuple[str, ...] = ("accuracy", "balanced_accuracy", "f1_macro")
"""The metrics the engine tests in every slice."""
FAMILY_METRIC = "recall"
ROLES = ("baseline", "candidate")
DEFAULT_POPULATION_SIZE = 200_000
DEFAULT_SIZES = (100, 400, 2000)
SMALL_N = 200
SMALL_POSITIVES = (1, 2)


# --- populations ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelSpec:
    """How a model's probabilities derive from the label-generating ones.

    ``noise == 0`` and ``temperature == 1``: the model *is* the label-generating distribution, hence
    perfectly calibrated. Otherwise Gaussian noise of that scale is added to the true logits (more in
    some slices for a baseline) and the result multiplied by ``temperature`` (above 1: over-confident).
    """

    noise: float = 0.0
    temperature: float = 1.0
    calibration: str = "calibrated"
    """How its mean confidence compares with its accuracy: calibrated, over-confident or under-confident."""

    @property
    def calibrated(self) -> bool:
        """Whether the labels are drawn from this model's probabilities."""
        return self.noise == 0 and self.temperature == 1


@dataclass(frozen=True)
class PopulationSpec:
    """A population: class frequencies, how separable the classes are, and the two models."""

    name: str
    prior: tuple[float, ...]
    sharpness: float
    baseline: ModelSpec
    candidate: ModelSpec
    description: str


POPULATIONS: Mapping[str, PopulationSpec] = {spec.name: spec for spec in (
    PopulationSpec("binary_balanced", (0.5, 0.5), 4.0, ModelSpec(2.5, 1.0, "over-confident"), ModelSpec(),
                   "binary, balanced; baseline over-confident, candidate calibrated and better"),
    PopulationSpec("binary_rare", (0.95, 0.05), 3.5, ModelSpec(), ModelSpec(1.5, 0.5, "under-confident"),
                   "binary, 5% positives; baseline calibrated, candidate noisier and under-confident"),
    PopulationSpec("four_class", (0.50, 0.25, 0.15, 0.10), 4.0, ModelSpec(2.0, 1.1, "over-confident"), ModelSpec(),
                   "4 classes, 50/25/15/10%; baseline over-confident, candidate calibrated and better"),
    PopulationSpec("ten_class", (0.1,) * 10, 7.0, ModelSpec(2.0, 1.2, "over-confident"),
                   ModelSpec(1.2, 0.9, "over-confident"), "10 balanced classes; both over-confident, candidate better"),
    PopulationSpec("five_class_overconfident", (0.2,) * 5, 4.0, ModelSpec(), ModelSpec(1.0, 1.6, "over-confident"),
                   "5 balanced classes; baseline calibrated, candidate (a fine-tune) noisier and over-confident"),
)}


@dataclass(frozen=True)
class Population:
    """A finite population: each example's true label, both models' class probabilities and its slice.

    Samples are drawn from it with replacement, so its own metrics are the truth.
    """

    name: str
    y_true: np.ndarray
    baseline: np.ndarray
    candidate: np.ndarray
    group: np.ndarray

    @property
    def classes(self) -> int:
        """Number of classes."""
        return int(self.baseline.shape[1])

    @property
    def size(self) -> int:
        """Number of examples."""
        return int(self.y_true.shape[0])


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def make_population(spec: PopulationSpec, *, size: int = DEFAULT_POPULATION_SIZE, seed: int = 0) -> Population:
    """Draw a population of ``size`` examples from ``spec`` (the same seed gives the same population).

    True logits are Gaussian (scale ``spec.sharpness``) with class offsets fitted so that the label
    frequencies match ``spec.prior``; each label is drawn from the softmax of its logits. The slice
    (``SLICES`` values of about equal size) is independent of the label; a noisy baseline is noisier
    in the higher slices, so slices differ in their true differences.

    Examples
    --------
    >>> pop = make_population(POPULATIONS["binary_rare"], size=20_000)
    >>> round(float(pop.y_true.mean()), 2), pop.classes
    (0.05, 2)
    """
    rng = np.random.default_rng([seed, list(POPULATIONS).index(spec.name) if spec.name in POPULATIONS else 99])
    prior = np.asarray(spec.prior)
    logits = rng.normal(size=(size, prior.shape[0])) * spec.sharpness
    offset = np.log(prior)
    for _ in range(60):  # fixed-point fit of the offsets to the class frequencies
        offset += np.log(prior / _softmax(logits + offset).mean(axis=0))
    logits += offset
    truth = _softmax(logits)
    cumulative = truth.cumsum(axis=1)
    y_true = (cumulative > rng.random(size)[:, None] * cumulative[:, -1:]).argmax(axis=1)
    group = rng.integers(0, SLICES, size)

    def model(model_spec: ModelSpec, slice_noise: np.ndarray) -> np.ndarray:
        if model_spec.calibrated:
            return truth
        noise = rng.normal(size=logits.shape) * (model_spec.noise * slice_noise)[:, None]
        return _softmax(model_spec.temperature * (logits + noise))

    baseline = model(spec.baseline, 0.7 + 0.6 * group / (SLICES - 1))
    candidate = model(spec.candidate, np.ones(size))
    return Population(spec.name, y_true, baseline, candidate, group)


def null_population(pop: Population) -> Population:
    """The exact null of ``pop``: every example twice, the two models swapped on the copy.

    Both models then hold the same multiset of (label, probabilities, slice), so every metric, in
    the population and in every slice, is identical for the two: every true difference is 0.
    """
    return Population(f"{pop.name} (null)", np.concatenate([pop.y_true, pop.y_true]),
                      np.concatenate([pop.baseline, pop.candidate]), np.concatenate([pop.candidate, pop.baseline]),
                      np.concatenate([pop.group, pop.group]))


@lru_cache(maxsize=16)
def population(name: str, size: int, seed: int, null: bool = False) -> Population:
    """The named population (its null when ``null``), built once per process."""
    pop = make_population(POPULATIONS[name], size=size, seed=seed)
    return null_population(pop) if null else pop


# --- truth, independently of the engine ---------------------------------------------------------

def expected_calibration_error(y_true: np.ndarray, y_score: np.ndarray, *, n_bins: int = ECE_BINS) -> float:
    """Top-label ECE, ``sum_b |B_b|/N |acc(B_b) - conf(B_b)|``, bins ``(b/M, (b+1)/M]`` with 0 in the first.

    Examples
    --------
    >>> round(expected_calibration_error(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]), n_bins=10), 6)
    0.35
    """
    confidence = y_score.max(axis=1)
    correct = (y_score.argmax(axis=1) == y_true).astype(float)
    upper_edges = np.arange(1, n_bins) / n_bins
    bins = (confidence[:, None] > upper_edges[None, :]).sum(axis=1)  # how many edges lie strictly below
    gap = np.bincount(bins, weights=correct - confidence, minlength=n_bins)
    return float(np.abs(gap).sum() / y_true.shape[0])


def metric_values(y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
    """Every headline metric of one model, and ``recall/<class>``, by scikit-learn (ECE by its formula).

    The engine's conventions (``docs/methods.md``): predictions are the most probable class; one label
    set; ``zero_division=0``; binary ROC AUC, average precision and Brier score of class 1; multiclass
    ROC AUC and average precision one-vs-rest macro; multiclass Brier ``sum_k (p_k - [y = k])^2``.
    """
    k = y_score.shape[1]
    labels = list(range(k))
    y_pred = y_score.argmax(axis=1)
    zero: Any = 0
    values = {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y_true, y_pred),
        "f1_micro": skm.f1_score(y_true, y_pred, labels=labels, average="micro", zero_division=zero),
        "matthews_corrcoef": skm.matthews_corrcoef(y_true, y_pred),
        "cohen_kappa": skm.cohen_kappa_score(y_true, y_pred, labels=labels),
        "log_loss": skm.log_loss(y_true, y_score, labels=labels),
        "expected_calibration_error": expected_calibration_error(y_true, y_score),
    }
    for average in ("macro", "weighted"):
        values[f"precision_{average}"] = skm.precision_score(y_true, y_pred, labels=labels, average=average,
                                                             zero_division=zero)
        values[f"recall_{average}"] = skm.recall_score(y_true, y_pred, labels=labels, average=average,
                                                       zero_division=zero)
        values[f"f1_{average}"] = skm.f1_score(y_true, y_pred, labels=labels, average=average, zero_division=zero)
    if k == 2:
        values["roc_auc"] = skm.roc_auc_score(y_true == 1, y_score[:, 1])
        values["average_precision"] = skm.average_precision_score(y_true == 1, y_score[:, 1])
        values["brier_score"] = skm.brier_score_loss(y_true, y_score[:, 1])
    else:
        values["roc_auc"] = skm.roc_auc_score(y_true, y_score, multi_class="ovr", average="macro", labels=labels)
        values["average_precision"] = skm.average_precision_score(label_binarize(y_true, classes=labels), y_score,
                                                                  average="macro")
        values["brier_score"] = skm.brier_score_loss(y_true, y_score, labels=labels)
    recall = skm.recall_score(y_true, y_pred, labels=labels, average=None, zero_division=zero)
    values.update({f"recall/{label}": recall[label] for label in labels})
    return {name: float(value) for name, value in values.items()}


@lru_cache(maxsize=16)
def population_truth(name: str, size: int, seed: int) -> dict[str, dict[str, float]]:
    """The population's metrics of each model (``baseline``, ``candidate``) and their ``difference``."""
    pop = population(name, size, seed)
    truth = {role: metric_values(pop.y_true, getattr(pop, role)) for role in ROLES}
    truth["difference"] = {metric: truth["candidate"][metric] - truth["baseline"][metric] for metric in truth["baseline"]}
    return truth


def population_summary(name: str, size: int, seed: int) -> dict[str, Any]:
    """What a reader needs to know of a population: its description, truth, and how often the models disagree."""
    pop = population(name, size, seed)
    disagreement = float(np.mean(pop.baseline.argmax(axis=1) != pop.candidate.argmax(axis=1)))
    return {"description": POPULATIONS[name].description, "classes": pop.classes, "size": pop.size,
            "disagreement": disagreement, "truth": population_truth(name, size, seed)}


# --- one replication -----------------------------------------------------------------------------

def classification_data(pop: Population, rows: np.ndarray, *, slices: bool) -> ClassificationData:
    """The engine's input for the examples ``rows`` of ``pop``, as a loaded pair of files would give it.

    With ``slices`` the metadata holds one categorical column, ``group``, of ``SLICES`` values.
    """
    k = pop.classes
    classes = tuple(str(label) for label in range(k))
    models = tuple(ModelData(role, f"{role}.csv", scores.argmax(axis=1), scores, ColumnMapping())
                   for role, scores in (("baseline", pop.baseline[rows]), ("candidate", pop.candidate[rows])))
    n = rows.shape[0]
    metadata = (pd.DataFrame({"group": np.array([f"g{g}" for g in range(SLICES)])[pop.group[rows]]}) if slices
                else pd.DataFrame(index=range(n)))
    return ClassificationData("binary" if k == 2 else "multiclass", classes, "1" if k == 2 else None,
                              np.arange(n).astype(str), pop.y_true[rows], models, metadata)


@dataclass(frozen=True)
class Cell:
    """One cell of the study: a population (or its null), a sample size, and what is measured.

    ``positives``: draw exactly this many examples of class 1 (the small-data cases); ``slices``: give
    the engine the slicing column.
    """

    population: str
    n: int
    null: bool
    positives: int | None = None
    slices: bool = False

    @property
    def key(self) -> str:
        """A readable, unique name."""
        parts = [self.population, f"n={self.n}", "null" if self.null else "population"]
        if self.positives is not None:
            parts.append(f"positives={self.positives}")
        return "/".join(parts)


@dataclass(frozen=True)
class StudySettings:
    """What every replication shares: the populations' size and seed, and the engine's settings."""

    population_size: int = DEFAULT_POPULATION_SIZE
    seed: int = 0
    resamples: int = 1000
    slice_resamples: int = 1000
    ci_method: str = "percentile"


def _draw(pop: Population, cell: Cell, rng: np.random.Generator) -> np.ndarray:
    """Row numbers of one sample: i.i.d. from the population, or with exactly ``cell.positives`` positives."""
    if cell.positives is None:
        return rng.integers(0, pop.size, cell.n)
    positive, negative = np.flatnonzero(pop.y_true == 1), np.flatnonzero(pop.y_true != 1)
    rows = np.concatenate([rng.choice(positive, cell.positives), rng.choice(negative, cell.n - cell.positives)])
    return rng.permutation(rows)


Outcome = dict[str, tuple[bool, bool]]
"""Measurement name -> (hit, undefined) of one replication."""


def _rejected(verdict: object) -> bool:
    """A significant verdict; "undefined", "insufficient data" and anything new count as no rejection."""
    return str(verdict) in {"better", "worse"}


def _reason(difference: object) -> str | None:
    """The engine's reason for an undefined result, when it gives one."""
    reason = getattr(difference, "reason", None)
    return str(reason) if reason else None


def _covers(low: float, high: float, truth: float) -> tuple[bool, bool]:
    """(covered, undefined): a NaN bound never covers."""
    undefined = not (math.isfinite(low) and math.isfinite(high))
    return (not undefined and low - 1e-12 <= truth <= high + 1e-12), undefined


def measure(report: ComparisonReport, cell: Cell,
            truth: Mapping[str, Mapping[str, float]] | None) -> tuple[Outcome, Counter[str]]:
    """What one replication's report says about coverage (``truth`` given) or about errors (a null cell).

    Returns the outcome and the reasons the engine gave for undefined results.
    """
    out: Outcome = {}
    reasons: Counter[str] = Counter()
    comparison = report.comparisons[0]
    if truth is not None:
        # With the number of positives fixed, only a statistic conditional on the labels (ROC AUC) keeps its truth.
        measured = set(truth["difference"]) if cell.positives is None else {"roc_auc"}
        for role in ROLES:
            for name, estimate in report.models[role].metrics.items():
                if name in measured:
                    out[f"coverage/{role}/{name}"] = _covers(estimate.ci_low, estimate.ci_high, truth[role][name])
        for name, difference in comparison.metrics.items():
            if name in measured:
                out[f"coverage/difference/{name}"] = _covers(difference.ci_low, difference.ci_high,
                                                             truth["difference"][name])
    if cell.null:
        for name, difference in comparison.metrics.items():
            undefined = not math.isfinite(difference.p_value) or str(difference.verdict) == "undefined"
            out[f"rejection/{name}"] = (difference.p_value < ALPHA, undefined)
            out[f"false_verdict/{name}"] = (_rejected(difference.verdict), undefined)
            if undefined and (reason := _reason(difference)):
                reasons[f"{name}: {reason}"] += 1
        per_class = [metrics[FAMILY_METRIC] for metrics in comparison.per_class.values()]
        out[f"family/classes/{FAMILY_METRIC}"] = (any(_rejected(d.verdict) for d in per_class),
                                                   any(str(d.verdict) == "undefined" for d in per_class))
        tested = [result for result in comparison.slices if not result.insufficient]
        if cell.slices:
            out["family/slices/tested"] = (len(tested) > 0, False)
            for name in SLICE_METRIC_NAMES:
                verdicts = [str(result.metrics[name].difference.verdict) for result in tested if name in result.metrics]
                out[f"family/slices/{name}/worse"] = ("worse" in verdicts, False)
                out[f"family/slices/{name}/better"] = ("better" in verdicts, False)
                out[f"family/slices/{name}/any"] = (any(_rejected(v) for v in verdicts), "undefined" in verdicts)
    return out, reasons


def _replication(cell: Cell, replication: int, study: StudySettings) -> tuple[Outcome, Counter[str], int]:
    """Draw one sample, compare the two models on it and measure; also return the engine's reasons for undefined
    results and its warnings, and the number of slices tested."""
    pop = population(cell.population, study.population_size, study.seed, cell.null)
    truth = None if cell.null else population_truth(cell.population, study.population_size, study.seed)
    rng = np.random.default_rng([study.seed, list(POPULATIONS).index(cell.population), cell.n, int(cell.null),
                                 cell.positives or 0, replication])
    rows = _draw(pop, cell, rng)
    data = classification_data(pop, rows, slices=cell.slices)
    with warnings.catch_warnings(record=True) as caught:  # counted, not printed by every replication
        warnings.simplefilter("always")
        report = compare(data, settings=Settings(resamples=study.resamples, slice_resamples=study.slice_resamples,
                                                 seed=replication, ci_method=study.ci_method))
    outcome, reasons = measure(report, cell, truth)
    reasons.update({f"warning: {category}: {message}" for category, message in
                    ((warning.category.__name__, str(warning.message)) for warning in caught)})
    tested = sum(not result.insufficient for result in report.comparisons[0].slices)
    return outcome, reasons, tested


def _replications(job: tuple[Cell, range, StudySettings]) -> tuple[list[Outcome], Counter[str], int]:
    """A chunk of one cell's replications (the unit of work of a worker process)."""
    cell, replications, study = job
    outcomes, reasons, tested = [], Counter[str](), 0
    for replication in replications:
        outcome, why, slices = _replication(cell, replication, study)
        outcomes.append(outcome)
        reasons.update(why)
        tested += slices
    return outcomes, reasons, tested


# --- aggregation --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rate:
    """How often something happened in ``replications`` independent replications.

    ``undefined``: replications whose interval was NaN (counted as not covering) or whose verdict was
    undefined (counted as no rejection).
    """

    hits: int
    replications: int
    undefined: int = 0

    @property
    def rate(self) -> float:
        """The proportion of replications."""
        return self.hits / self.replications if self.replications else float("nan")

    @property
    def std_error(self) -> float:
        """Its Monte Carlo standard error, ``sqrt(p (1 - p) / R)``."""
        return math.sqrt(self.rate * (1 - self.rate) / self.replications) if self.replications else float("nan")


def target_std_error(target: float, replications: int) -> float:
    """Monte Carlo standard error of a rate whose true value is ``target``."""
    return math.sqrt(target * (1 - target) / replications)


@dataclass(frozen=True)
class CellResult:
    """Every measurement of one cell: ``coverage/<role>/<metric>``, ``rejection/<metric>``, ``false_verdict/<metric>``,
    ``family/classes/recall``, ``family/slices/<metric>/{worse,better,any}`` -> :class:`Rate`."""

    cell: Cell
    rates: dict[str, Rate]
    mean_tested_slices: float
    reasons: dict[str, int] = field(default_factory=dict)
    finished_after: float = 0.0
    """Seconds from the start of the run until the cell's last replication finished (cells run interleaved)."""


def _aggregate(cell: Cell, outcomes: Sequence[Outcome], reasons: Counter[str], tested: int,
               finished_after: float) -> CellResult:
    """Sum the replications' outcomes into rates."""
    keys = sorted({key for outcome in outcomes for key in outcome})
    rates = {}
    for key in keys:
        hits = sum(outcome[key][0] for outcome in outcomes if key in outcome)
        undefined = sum(outcome[key][1] for outcome in outcomes if key in outcome)
        rates[key] = Rate(int(hits), len(outcomes), int(undefined))
    return CellResult(cell, rates, tested / max(len(outcomes), 1), dict(reasons), finished_after)


def _pin_worker(counter: Any) -> None:
    """Pin each worker process to one core, so that the engine's own thread pool (one thread per core it
    may use) does not put two workers' threads on every core."""
    if not hasattr(os, "sched_setaffinity"):
        return
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    allowed = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {allowed[index % len(allowed)]})


def run_cells(cells: Iterable[Cell], *, replications: int, study: StudySettings = StudySettings(), workers: int = 1,
              progress: Callable[[str], None] | None = None) -> dict[str, CellResult]:
    """Run ``replications`` replications of every cell, on ``workers`` processes; results by :attr:`Cell.key`.

    Replication ``r`` of a cell draws its sample from a generator seeded by the study's seed, the cell and
    ``r``, and runs the engine with ``seed=r``: the numbers depend on the seeds only, not on ``workers``.
    """
    cells = list(cells)
    chunk = max(1, min(50, replications // max(1, 4 * workers) or 1))
    jobs = [(cell, range(start, min(start + chunk, replications)), study)
            for cell in cells for start in range(0, replications, chunk)]
    pieces: dict[str, list[tuple[list[Outcome], Counter[str], int]]] = {cell.key: [] for cell in cells}
    started = {cell.key: time.perf_counter() for cell in cells}
    finished: dict[str, float] = {}

    def collect(job: tuple[Cell, range, StudySettings], piece: tuple[list[Outcome], Counter[str], int]) -> None:
        key = job[0].key
        pieces[key].append(piece)
        if sum(len(p[0]) for p in pieces[key]) == replications:
            finished[key] = time.perf_counter() - started[key]
            if progress:
                progress(f"{key}: {replications} replications, done after {finished[key]:.0f} s")

    if workers <= 1:
        for job in jobs:
            collect(job, _replications(job))
    else:
        context = multiprocessing.get_context("spawn")  # safe whatever threads the caller runs (pytest, the engine)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_pin_worker,
                                 initargs=(context.Value("i", 0),)) as pool:
            for job, piece in zip(jobs, pool.map(_replications, jobs), strict=True):
                collect(job, piece)
    results = {}
    for cell in cells:
        outcomes = [outcome for piece in pieces[cell.key] for outcome in piece[0]]
        reasons = sum((piece[1] for piece in pieces[cell.key]), Counter[str]())
        tested = sum(piece[2] for piece in pieces[cell.key])
        results[cell.key] = _aggregate(cell, outcomes, reasons, tested, finished.get(cell.key, 0.0))
    return results


def default_cells(populations: Sequence[str], sizes: Sequence[int], *, small: bool = True) -> list[Cell]:
    """The study's cells: every population and size, non-null and null (with slices), then the small-data cases."""
    cells = [Cell(name, n, null) if not null else Cell(name, n, True, slices=True)
             for name in populations for n in sizes for null in (False, True)]
    if small:
        cells += [Cell(name, SMALL_N, null, positives=m) for name in populations if len(POPULATIONS[name].prior) == 2
                  for m in SMALL_POSITIVES for null in (False, True)]
    return cells


# --- reporting ----------------------------------------------------------------------------------

def _coverage_flag(rate: Rate, n: int) -> str:
    """'' inside the target band; '?' outside it within 2 Monte Carlo SE; '✗' beyond (n >= 400), '↓'/'↑' (n = 100)."""
    low, high = COVERAGE_TARGET
    if low <= rate.rate <= high:
        return ""
    edge = low if rate.rate < low else high
    if abs(rate.rate - edge) <= 2 * target_std_error(edge, rate.replications):
        return "?"
    if n < TARGET_FROM_N:
        return "↓" if rate.rate < low else "↑"
    return "✗"


def _level_flag(rate: Rate, n: int) -> str:
    """'' at most 5%; '?' above it within 2 Monte Carlo SE; '✗' beyond (n >= 400), '↑' (n < 400)."""
    if rate.rate <= LEVEL_TARGET:
        return ""
    if rate.rate - LEVEL_TARGET <= 2 * target_std_error(LEVEL_TARGET, rate.replications):
        return "?"
    return "✗" if n >= TARGET_FROM_N else "↑"


def _percent(rate: Rate | None, flag: Callable[[Rate, int], str] | None = None, n: int = 0) -> str:
    """A rate as a table cell: percentage, flag and undefined count."""
    if rate is None:
        return "—"
    text = f"{100 * rate.rate:.1f}"
    if flag is not None and (mark := flag(rate, n)):
        text += f" {mark}"
    if rate.undefined:
        text += f" ({rate.undefined} undef.)"
    return text


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _find(results: Mapping[str, CellResult], population: str, n: int, null: bool,
          positives: int | None = None) -> CellResult | None:
    """The result of a cell, if it was run."""
    return results.get(Cell(population, n, null, positives).key)


def to_markdown(results: Mapping[str, CellResult], *, populations: Sequence[str], sizes: Sequence[int],
                metrics: Sequence[str] = HEADLINE_METRICS, summaries: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The study's tables in Markdown, with a summary of every target missed.

    ``summaries``: :func:`population_summary` of each population, for a table of the populations.
    """
    replications = max((rate.replications for result in results.values() for rate in result.rates.values()), default=0)
    out = []
    if summaries:
        rows = [[name, summary["description"], *(f"{summary['truth'][role][metric]:.3f}" for metric in
                 ("accuracy", "roc_auc", "expected_calibration_error") for role in ROLES), f"{summary['disagreement']:.3f}"]
                for name, summary in summaries.items()]
        out.extend(["### Populations (truth on the whole population; baseline / candidate)\n", *_table(
            ["population", "models", "accuracy b", "accuracy c", "ROC AUC b", "ROC AUC c", "ECE b", "ECE c",
             "predictions differ"], rows), ""])
    if replications:
        out.append(f"{replications} replications per cell: Monte Carlo SE {100 * target_std_error(0.95, replications):.1f} "
                   f"points at 95% coverage, {100 * target_std_error(0.05, replications):.1f} at a 5% level. Flags: "
                   "`✗` misses the target by more than 2 SE (n ≥ 400), `?` misses it within 2 SE, `↓`/`↑` below/above "
                   "the target at n < 400 (reported, not promised); `undef.`: NaN intervals (not covering) or "
                   "undefined verdicts (no rejection).\n")
    columns = [f"n={n}" for n in sizes]
    _pooled(out, results, populations, sizes, metrics)

    def grid(title: str, prefix: str, flag: Callable[[Rate, int], str], *, roles: Sequence[str], null: bool) -> None:
        rows = []
        for metric in metrics:
            for name in populations:
                for role in roles:
                    cells = []
                    for n in sizes:
                        result = _find(results, name, n, null)
                        key = f"{prefix}/{role}/{metric}" if role else f"{prefix}/{metric}"
                        cells.append(_percent(result.rates.get(key) if result else None, flag, n))
                    if any(cell != "—" for cell in cells):
                        model = ""
                        if role in ROLES:
                            spec = getattr(POPULATIONS[name], role)
                            model = f"{role} ({spec.calibration})"
                        rows.append([metric, name] + ([model] if role in ROLES else []) + cells)
        if rows:
            header = ["metric", "population"] + (["model"] if roles != ("",) else []) + columns
            out.extend([f"### {title}\n", *_table(header, rows), ""])

    grid("Coverage of single-model 95% intervals (%)", "coverage", _coverage_flag, roles=ROLES, null=False)
    grid("Coverage of 95% intervals of the difference, candidate - baseline (%)", "coverage/difference",
         _coverage_flag, roles=("",), null=False)
    grid("Type-I error on exact nulls: raw p < 0.05 (%)", "rejection", _level_flag, roles=("",), null=True)
    grid("Type-I error on exact nulls: a false \"better\" or \"worse\" (%)", "false_verdict", _level_flag,
         roles=("",), null=True)
    _families(out, results, populations, sizes)
    _small(out, results, populations)
    _summary(out, results, metrics)
    return "\n".join(out)


def _pool(rates: Iterable[Rate | None]) -> Rate | None:
    """Several cells' rates as one (the same measurement over several populations or models)."""
    present = [rate for rate in rates if rate is not None]
    if not present:
        return None
    return Rate(sum(r.hits for r in present), sum(r.replications for r in present), sum(r.undefined for r in present))


def _pooled(out: list[str], results: Mapping[str, CellResult], populations: Sequence[str], sizes: Sequence[int],
            metrics: Sequence[str]) -> None:
    """Each metric's coverage and type-I error pooled over the populations (and both models): the headline."""
    rows = []
    for metric in metrics:
        row = [metric]
        for prefix, roles, null, flag in (("coverage", ROLES, False, _coverage_flag),
                                          ("coverage/difference", ("",), False, _coverage_flag),
                                          ("false_verdict", ("",), True, _level_flag)):
            for n in sizes:
                found = [_find(results, name, n, null) for name in populations]
                keys = [f"{prefix}/{role}/{metric}" if role else f"{prefix}/{metric}" for role in roles]
                row.append(_percent(_pool(result.rates.get(key) for result in found if result for key in keys), flag, n))
        rows.append(row)
    if any(cell != "—" for row in rows for cell in row[1:]):
        header = ["metric", *(f"{what} n={n}" for what in ("single", "difference", "false verdict") for n in sizes)]
        out.extend(["### Pooled over the populations: coverage of single-model and difference intervals, and the "
                    "rate of false verdicts on the nulls (%)\n", *_table(header, rows), ""])


def _families(out: list[str], results: Mapping[str, CellResult], populations: Sequence[str], sizes: Sequence[int]) -> None:
    """Family-wise error tables: slices and per-class recall."""
    rows = []
    for name in populations:
        for n in sizes:
            result = _find(results, name, n, True)
            if result is None or "family/slices/tested" not in result.rates:
                continue
            if result.mean_tested_slices == 0:
                rows.append([name, str(n), "0", "no slice tested (all below the minimum size)", "", ""])
                continue
            for metric in SLICE_METRIC_NAMES:
                rows.append([name, str(n), f"{n // SLICES} / {result.mean_tested_slices:.1f}", metric] + [
                    _percent(result.rates.get(f"family/slices/{metric}/{kind}"), _level_flag if kind == "any" else None, n)
                    for kind in ("worse", "any")])
    if rows:
        out.extend([f"### Slice families on exact nulls: {SLICES} slices, any false verdict (%)\n",
                    *_table(["population", "n", "slice size / slices tested", "metric", "false \"worse\"",
                             "any false verdict"], rows), ""])
    rows = []
    for name in populations:
        cells = [_percent(result.rates.get(f"family/classes/{FAMILY_METRIC}"), _level_flag, n)
                 if (result := _find(results, name, n, True)) else "—" for n in sizes]
        if any(cell != "—" for cell in cells):
            rows.append([name, str(len(POPULATIONS[name].prior)), *cells])
    if rows:
        out.extend(["### Per-class recall family on exact nulls: any false verdict after the correction (%)\n",
                    *_table(["population", "classes", *(f"n={n}" for n in sizes)], rows), ""])


def _small(out: list[str], results: Mapping[str, CellResult], populations: Sequence[str]) -> None:
    """Small-data table: ROC AUC with one or two positives among ``SMALL_N``."""
    rows = []
    for name in populations:
        for m in SMALL_POSITIVES:
            null, real = _find(results, name, SMALL_N, True, m), _find(results, name, SMALL_N, False, m)
            if null is None and real is None:
                continue
            rows.append([name, str(m),
                         _percent(null.rates.get("rejection/roc_auc") if null else None, _level_flag, TARGET_FROM_N),
                         _percent(null.rates.get("false_verdict/roc_auc") if null else None, _level_flag, TARGET_FROM_N),
                         *(_percent(real.rates.get(f"coverage/{role}/roc_auc") if real else None, _coverage_flag,
                                    TARGET_FROM_N) for role in ROLES),
                         _percent(real.rates.get("coverage/difference/roc_auc") if real else None, _coverage_flag,
                                  TARGET_FROM_N)])
    if rows:
        out.extend([f"### Small data: ROC AUC with one or two positives among {SMALL_N} (%)\n",
                    *_table(["population", "positives", "DeLong paired test: p < 0.05 on the null", "false verdict",
                             "baseline AUC coverage", "candidate AUC coverage", "difference coverage"], rows), ""])


def _distance(name: str, rate: Rate) -> str:
    """How many Monte Carlo SE (at the target) a rate lies outside its target, for the lists of misses."""
    if name.startswith("coverage/"):
        edge = COVERAGE_TARGET[0] if rate.rate < COVERAGE_TARGET[0] else COVERAGE_TARGET[1]
    else:
        edge = LEVEL_TARGET
    return f" ({abs(rate.rate - edge) / target_std_error(edge, rate.replications):.1f} SE outside)"


def _summary(out: list[str], results: Mapping[str, CellResult], metrics: Sequence[str]) -> None:
    """Every target missed at n >= 400 (beyond 2 SE), every shortfall at n < 400, every reason for an undefined result.

    Only ``metrics`` are listed, and the families (slices, classes).
    """
    missed, short = [], []
    for key, result in results.items():
        n = result.cell.n if result.cell.positives is None else TARGET_FROM_N
        for name, rate in result.rates.items():
            if not name.startswith("family/") and name.rsplit("/", 1)[-1] not in metrics:
                continue
            if name.startswith("coverage/"):
                mark = _coverage_flag(rate, n)
            elif name.startswith(("rejection/", "false_verdict/")) or name.endswith(("/any", f"classes/{FAMILY_METRIC}")):
                mark = _level_flag(rate, n)
            else:
                continue
            line = f"- `{key}` {name}: {100 * rate.rate:.1f}% ± {100 * rate.std_error:.1f}{_distance(name, rate)}"
            if rate.undefined:
                line += f", {rate.undefined} of {rate.replications} undefined"
            if mark == "✗":
                missed.append(line)
            elif mark in {"↓", "↑"}:
                short.append(line)
    out.extend(["### Targets missed at n ≥ 400 (beyond 2 Monte Carlo SE)\n", *(missed or ["- none"]), ""])
    out.extend(["### Short of the targets at n < 400\n", *(short or ["- none"]), ""])
    reasons = Counter[str]()
    for result in results.values():
        reasons.update({f"{result.cell.key}: {reason}": count for reason, count in result.reasons.items()})
    if reasons:
        out.extend(["### Undefined results with the engine's reason, and warnings (replications)\n",
                    *(f"- {reason} ({count})" for reason, count in sorted(reasons.items())), ""])


def _engine_version() -> dict[str, str]:
    """Where the engine under study was imported from, and its commit when it is a git checkout."""
    where = Path(evaluation.__file__).resolve().parent
    info = {"path": str(where)}
    try:
        commit = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, check=True).stdout.strip()
        info["commit"] = commit + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def to_json(results: Mapping[str, CellResult], *, study: StudySettings, populations: Sequence[str],
            sizes: Sequence[int], seconds: float) -> dict[str, Any]:
    """Every cell's rates (with standard errors), the populations' truth and the settings, JSON-ready."""
    return {
        "engine": _engine_version(),
        "settings": asdict(study),
        "sizes": list(sizes),
        "targets": {"coverage": COVERAGE_TARGET, "level": LEVEL_TARGET, "from_n": TARGET_FROM_N},
        "seconds": round(seconds, 1),
        "populations": {name: population_summary(name, study.population_size, study.seed) for name in populations},
        "cells": [{**asdict(result.cell), "key": key, "finished_after": round(result.finished_after, 1),
                   "mean_tested_slices": result.mean_tested_slices, "reasons": result.reasons,
                   "rates": {name: {**asdict(rate), "rate": rate.rate, "std_error": rate.std_error}
                             for name, rate in result.rates.items()}}
                  for key, result in results.items()],
    }


def load_json(document: Mapping[str, Any]) -> dict[str, CellResult]:
    """The cells' results back from :func:`to_json`'s document (to print the tables again without running)."""
    results = {}
    for entry in document["cells"]:
        cell = Cell(entry["population"], entry["n"], entry["null"], entry["positives"], entry["slices"])
        rates = {name: Rate(rate["hits"], rate["replications"], rate["undefined"]) for name, rate in entry["rates"].items()}
        results[entry["key"]] = CellResult(cell, rates, entry["mean_tested_slices"], entry["reasons"],
                                           entry.get("finished_after", 0.0))
    return results


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--replications", type=int, default=500, help="replications per cell (default 500)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="sample sizes")
    parser.add_argument("--populations", nargs="+", choices=list(POPULATIONS), default=list(POPULATIONS))
    parser.add_argument("--resamples", type=int, default=1000, help="the engine's bootstrap resamples (default 1000)")
    parser.add_argument("--slice-resamples", type=int, default=1000, help="resamples per slice (default 1000)")
    parser.add_argument("--ci-method", choices=["percentile", "bca"], default="percentile")
    parser.add_argument("--population-size", type=int, default=DEFAULT_POPULATION_SIZE)
    parser.add_argument("--seed", type=int, default=0, help="seed of the populations and the samples")
    parser.add_argument("--metrics", nargs="+", choices=[*METRIC_NAMES, "all"], default=list(HEADLINE_METRICS),
                        help="metrics the tables show (default: the eight headline ones; the JSON has every metric)")
    parser.add_argument("--no-small", action="store_true", help="skip the one- and two-positive cases")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                        else os.cpu_count() or 1, help="worker processes (default: the cores this process may use)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--from-json", type=Path, help="print the tables of an earlier run's JSON file, without running")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study and print its tables (and write the JSON when asked)."""
    args = _arguments(argv)
    metrics = METRIC_NAMES if "all" in args.metrics else tuple(args.metrics)
    if args.from_json:
        document = json.loads(args.from_json.read_text())
        results = load_json(document)
        replications = max(rate.replications for result in results.values() for rate in result.rates.values())
        print(f"## Simulation study ({document['engine'].get('commit', document['engine']['path'])}; {replications} "
              f"replications, {document['settings']['resamples']} resamples, {document['settings']['ci_method']} "
              f"intervals, {document['seconds'] / 60:.1f} min)\n")
        print(to_markdown(results, populations=list(document["populations"]), sizes=document["sizes"], metrics=metrics,
                          summaries=document["populations"]))
        return 0
    study = StudySettings(population_size=args.population_size, seed=args.seed, resamples=args.resamples,
                          slice_resamples=args.slice_resamples, ci_method=args.ci_method)
    engine = _engine_version()
    print(f"engine: {engine['path']} {engine.get('commit', '')}".rstrip(), file=sys.stderr)
    start = time.perf_counter()
    cells = default_cells(args.populations, args.sizes, small=not args.no_small)
    results = run_cells(cells, replications=args.replications, study=study, workers=args.workers,
                        progress=lambda line: print(line, file=sys.stderr, flush=True))
    seconds = time.perf_counter() - start
    print(f"## Simulation study ({engine.get('commit', engine['path'])}; {args.replications} replications, "
          f"{study.resamples} resamples, {study.ci_method} intervals, {seconds / 60:.1f} min on {args.workers} "
          "processes)\n")
    summaries = {name: population_summary(name, study.population_size, study.seed) for name in args.populations}
    print(to_markdown(results, populations=args.populations, sizes=args.sizes, metrics=metrics, summaries=summaries))
    if args.json:
        document = to_json(results, study=study, populations=args.populations, sizes=args.sizes, seconds=seconds)
        args.json.write_text(json.dumps(document, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
