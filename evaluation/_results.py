"""Result objects: what every face of the engine (dashboard, CLI, HTML report) draws from.

All are frozen dataclasses of plain values (floats, ints, strings, tuples, dicts), so
:func:`evaluation.report_to_dict` turns them into JSON without loss. NaN stands for "undefined"
(for example ROC AUC when a class is absent) and becomes ``null`` in JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "CI_METHODS",
    "VERDICT_BETTER",
    "VERDICT_INSUFFICIENT",
    "VERDICT_NONE",
    "VERDICT_UNDEFINED",
    "VERDICT_WORSE",
    "AccuracyTest",
    "BestThreshold",
    "CalibrationCurve",
    "Comparison",
    "ComparisonReport",
    "ConfusionMatrix",
    "Difference",
    "Estimate",
    "FlipCounts",
    "Flips",
    "ModelReport",
    "OperatingPoint",
    "Power",
    "Settings",
    "SliceFlips",
    "SliceMetric",
    "SliceResult",
    "ThresholdCurve",
    "Verdict",
]

class Verdict(StrEnum):
    """What a paired difference says, judged on its adjusted p-value and the metric's direction.

    Members are strings (``Verdict.WORSE == "worse"``), so JSON and comparisons with text keep working.
    """

    BETTER = "better"
    WORSE = "worse"
    NONE = "no significant difference"
    UNDEFINED = "undefined"  # the test could not be computed
    INSUFFICIENT = "insufficient data"  # too few examples to test (a small slice)


VERDICT_BETTER = Verdict.BETTER
VERDICT_WORSE = Verdict.WORSE
VERDICT_NONE = Verdict.NONE
VERDICT_UNDEFINED = Verdict.UNDEFINED
VERDICT_INSUFFICIENT = Verdict.INSUFFICIENT


@dataclass(frozen=True)
class Estimate:
    """A metric's value with its confidence interval.

    Attributes
    ----------
    value:
        The metric on the data.
    ci_low, ci_high:
        Bounds of the confidence interval at :attr:`Settings.confidence`.
    method:
        How the interval was computed (``"bootstrap percentile"``, ``"bootstrap BCa"``,
        ``"DeLong"``, ``"t interval"``, ``"jackknife normal"``).
    std_error:
        The standard error of :attr:`value`, on the scale of the metric, by the same method as the
        interval: the standard deviation of the bootstrap replicates, ``s / sqrt(n)`` of the
        per-example values for a t interval, DeLong's or the jackknife's standard error. NaN (``null``
        in JSON) when undefined: fewer than two examples, or no spread to measure.
    """

    value: float
    ci_low: float
    ci_high: float
    method: str
    std_error: float = float("nan")


@dataclass(frozen=True)
class Difference:
    """A paired difference, candidate minus baseline, with its interval and test.

    Attributes
    ----------
    difference:
        Candidate's value minus the baseline's (for a loss, negative is an improvement).
    ci_low, ci_high:
        Interval of the difference.
    p_value:
        Two-sided p-value of "no difference" by :attr:`test`.
    p_value_adjusted:
        The p-value after the multiple-comparison correction of its family (see the README).
    test:
        The test's name (``"McNemar exact"``, ``"DeLong"``, ``"paired bootstrap"``, ``"paired t"``,
        ``"jackknife t"``).
    verdict:
        ``"better"``, ``"worse"`` or ``"no significant difference"`` at the chosen alpha, judged on
        the adjusted p-value and the metric's direction; ``"undefined"`` when the test could not be
        computed.
    method:
        How the interval was computed.
    baseline_value, candidate_value:
        The two values compared.
    std_error:
        The standard error of :attr:`difference`, on the scale of the metric, by the same method as
        the interval (for the accuracy, whose test is McNemar's, the paired bootstrap's). NaN
        (``null`` in JSON) when undefined.
    reason:
        Why there is no verdict, when the data cannot support one (``"fewer than two examples"``, a
        class too small for a rank statistic, ...); empty otherwise.
    note:
        Why the interval and the verdict seem to disagree, when they do: the interval excludes 0
        beside "no significant difference" (it is not adjusted for the family's multiple tests, or
        its method and the test's differ at the boundary) or includes 0 beside "better"/"worse";
        empty otherwise. The verdict follows the test.
    """

    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    p_value_adjusted: float
    test: str
    verdict: str
    method: str
    baseline_value: float
    candidate_value: float
    std_error: float = float("nan")
    reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of (true label, predicted label), rows true, columns predicted, in class order.

    Attributes
    ----------
    labels:
        The class labels, the order of rows and columns.
    counts:
        ``counts[i][j]``: examples of class ``labels[i]`` predicted as ``labels[j]``.
    normalized:
        Each row divided by its sum (the per-class recall on the diagonal); 0 for empty rows.
    """

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    normalized: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class OperatingPoint:
    """One threshold on a one-vs-rest score and what it gives.

    Attributes
    ----------
    name:
        Why this point: ``"best_f1"``, ``"precision>=0.9"``, ``"recall>=0.8"``.
    threshold:
        Predict the class when its score is ``>= threshold`` (NaN when the target cannot be met).
    precision, recall, f1, false_positive_rate:
        At that threshold.
    met:
        Whether the target is reached (always true for ``best_f1``).
    """

    name: str
    threshold: float
    precision: float
    recall: float
    f1: float
    false_positive_rate: float
    met: bool = True


@dataclass(frozen=True)
class ThresholdCurve:
    """Precision-recall and ROC curve points of one class's one-vs-rest score.

    Each index is one threshold, in decreasing order; thinned to a few hundred points that keep the
    curves' shape (the first and last points and the best-F1 point are always kept).

    Attributes
    ----------
    label:
        The class (binary: the positive class).
    thresholds, precision, recall, f1, false_positive_rate:
        The curve, point by point (recall is the true-positive rate).
    operating_points:
        The best-F1 point, then a point per target precision and recall.
    """

    label: str
    thresholds: tuple[float, ...]
    precision: tuple[float, ...]
    recall: tuple[float, ...]
    f1: tuple[float, ...]
    false_positive_rate: tuple[float, ...]
    operating_points: tuple[OperatingPoint, ...]


@dataclass(frozen=True)
class CalibrationCurve:
    """Reliability diagram of the top-label confidence.

    Attributes
    ----------
    lower, upper:
        Each bin's confidence range ``(lower, upper]``.
    count:
        Examples in each bin.
    mean_confidence, accuracy:
        Per bin (NaN for empty bins).
    ece:
        Expected calibration error, ``sum count/n * |accuracy - mean_confidence|``.
    """

    lower: tuple[float, ...]
    upper: tuple[float, ...]
    count: tuple[int, ...]
    mean_confidence: tuple[float, ...]
    accuracy: tuple[float, ...]
    ece: float


@dataclass(frozen=True)
class ModelReport:
    """One model version's metrics.

    Attributes
    ----------
    name, source:
        The model's name and the file it came from.
    metrics:
        Metric name -> :class:`Estimate` (probability metrics only when the file has
        probabilities).
    per_class:
        Class label -> ``precision``/``recall``/``f1`` -> :class:`Estimate`.
    support:
        Class label -> number of examples of that class.
    confusion_matrix:
        The model's confusion matrix.
    thresholds:
        Class label -> :class:`ThresholdCurve` (binary: the positive class only); empty without
        probabilities.
    calibration:
        The reliability diagram; ``None`` without probabilities.
    """

    name: str
    source: str
    metrics: Mapping[str, Estimate]
    per_class: Mapping[str, Mapping[str, Estimate]]
    support: Mapping[str, int]
    confusion_matrix: ConfusionMatrix
    thresholds: Mapping[str, ThresholdCurve] = field(default_factory=dict)
    calibration: CalibrationCurve | None = None


@dataclass(frozen=True)
class AccuracyTest:
    """The discordant pairs behind McNemar's test of the accuracy difference.

    Attributes
    ----------
    baseline_only:
        Examples the baseline got right and the candidate wrong.
    candidate_only:
        Examples the candidate got right and the baseline wrong.
    p_value, mid_p_value:
        McNemar's exact conditional p-value and its mid-p version.
    """

    baseline_only: int
    candidate_only: int
    p_value: float
    mid_p_value: float


@dataclass(frozen=True)
class SliceMetric:
    """One metric on one slice: both models with intervals, and their paired difference."""

    baseline: Estimate
    candidate: Estimate
    difference: Difference


@dataclass(frozen=True)
class SliceResult:
    """The comparison restricted to the examples where ``column`` has ``value``.

    Attributes
    ----------
    column, value:
        The metadata column and the slice's value (numeric columns: a quantile bin such as
        ``"18 to 35"``).
    n:
        Examples in the slice.
    insufficient:
        True when the slice is smaller than ``min_slice_size``: its numbers are shown but it is not
        tested, adjusted or ranked.
    metrics:
        Metric name -> :class:`SliceMetric`; p-values adjusted across every tested slice.
    """

    column: str
    value: str
    n: int
    insufficient: bool
    metrics: Mapping[str, SliceMetric]


@dataclass(frozen=True)
class FlipCounts:
    """Examples the candidate newly gets wrong (regressions) and newly gets right (improvements)."""

    regressions: int
    improvements: int


@dataclass(frozen=True)
class SliceFlips:
    """Flip counts within one slice."""

    column: str
    value: str
    regressions: int
    improvements: int


@dataclass(frozen=True)
class Flips:
    """Examples whose correctness flipped between the baseline and the candidate.

    Attributes
    ----------
    regressions, improvements:
        Baseline right and candidate wrong; and the reverse.
    by_class:
        Class label (the true label) -> counts.
    by_slice:
        Counts per slice of every metadata column.
    regression_ids, improvement_ids:
        The examples' ids, at most ``max_flip_ids`` of each (``ids_truncated`` says when cut; the
        CLI's ``--flips-out`` writes them all).
    """

    regressions: int
    improvements: int
    by_class: Mapping[str, FlipCounts]
    by_slice: tuple[SliceFlips, ...]
    regression_ids: tuple[str, ...]
    improvement_ids: tuple[str, ...]
    ids_truncated: bool


@dataclass(frozen=True)
class Power:
    """The smallest accuracy difference the test set could detect.

    Attributes
    ----------
    minimum_detectable_difference:
        Accuracy difference detectable with probability ``power`` at ``alpha`` (two-sided), given
        the observed rate of disagreement between the models (Miller 2024, eq. for paired
        differences; Card et al. 2020).
    alpha, power:
        The test's level and the power asked for.
    observed_difference:
        The accuracy difference actually observed.
    method:
        How it was computed.
    """

    minimum_detectable_difference: float
    alpha: float
    power: float
    observed_difference: float
    method: str


@dataclass(frozen=True)
class BestThreshold:
    """A binary comparison's primary metric at each model's own best threshold on its positive-class score.

    The thresholds are chosen on the test set itself, so both values are optimistic; their
    difference says how much of the headline difference a threshold could move.

    Attributes
    ----------
    metric:
        The metric (the primary one).
    baseline_threshold, candidate_threshold:
        Each model's best threshold.
    baseline_value, candidate_value:
        The metric at that threshold.
    """

    metric: str
    baseline_threshold: float
    candidate_threshold: float
    baseline_value: float
    candidate_value: float

    @property
    def difference(self) -> float:
        """Candidate's best value minus the baseline's."""
        return self.candidate_value - self.baseline_value


@dataclass(frozen=True)
class Comparison:
    """One candidate against the baseline.

    Attributes
    ----------
    candidate, baseline:
        Model names.
    metrics:
        Metric name -> :class:`Difference`.
    per_class:
        Class label -> ``precision``/``recall``/``f1`` -> :class:`Difference` (p-values adjusted
        across classes).
    confusion_matrix_difference:
        Candidate's confusion counts minus the baseline's.
    accuracy_test:
        McNemar's test details.
    slices:
        Per-slice results, worst regressions (on the primary metric) first, insufficient slices last.
    flips:
        Examples whose correctness flipped.
    power:
        The minimum detectable accuracy difference.
    best_threshold:
        Binary tasks with both models' probabilities and a confusion metric as the primary metric:
        that metric at each model's own best threshold; ``None`` otherwise.
    """

    candidate: str
    baseline: str
    metrics: Mapping[str, Difference]
    per_class: Mapping[str, Mapping[str, Difference]]
    confusion_matrix_difference: tuple[tuple[int, ...], ...]
    accuracy_test: AccuracyTest
    slices: tuple[SliceResult, ...] = ()
    flips: Flips | None = None
    power: Power | None = None
    best_threshold: BestThreshold | None = None


CI_METHODS: tuple[str, ...] = ("percentile", "bca")
"""The bootstrap interval methods :attr:`Settings.ci_method` may name."""


@dataclass(frozen=True)
class Settings:
    """How the comparison was computed.

    Attributes
    ----------
    confidence:
        Level of every interval (0.95 by default).
    alpha:
        Significance level of the verdicts.
    resamples:
        Bootstrap resamples, and random exchanges of the paired permutation tests.
    seed:
        Seed of every random draw; the same seed gives the same numbers.
    ci_method:
        ``"percentile"`` or ``"bca"`` for bootstrap intervals.
    correction:
        Multiple-comparison correction: ``"holm"``, ``"fdr_bh"``, ``"bonferroni"`` or ``"none"``.
    ece_bins:
        Equal-width bins of the expected calibration error.
    primary_metric:
        The metric the verdict headline and ``--fail-on-regression`` use by default.
    slice_resamples:
        Bootstrap resamples and permutation exchanges for each slice (fewer than the headline's: there
        are many slices).
    min_slice_size:
        Slices with fewer examples are marked insufficient: shown, not tested, not ranked.
    target_precisions, target_recalls:
        Operating points to find on every precision-recall curve.
    max_flip_ids:
        At most this many ids of each kind of flip are listed in the report (all are counted).
    rouge_stemmer:
        Text generation: Porter-stem words before ROUGE (rouge-score's ``use_stemmer``; off by default).
    normalize_answers:
        Text generation: exact match compares answers after SQuAD's normalisation (lower case, no
        punctuation or articles) instead of after stripping surrounding whitespace.
    pass_k:
        Text generation with several samples per id: the k of each pass@k; empty means 1 and the fewest
        samples of an id.
    """

    confidence: float = 0.95
    alpha: float = 0.05
    resamples: int = 10_000
    seed: int = 0
    ci_method: str = "percentile"
    correction: str = "holm"
    ece_bins: int = 15
    primary_metric: str = "f1_macro"
    slice_resamples: int = 1_000
    min_slice_size: int = 30
    target_precisions: tuple[float, ...] = ()
    target_recalls: tuple[float, ...] = ()
    max_flip_ids: int = 1_000
    rouge_stemmer: bool = False
    normalize_answers: bool = False
    pass_k: tuple[int, ...] = ()


@dataclass(frozen=True)
class ComparisonReport:
    """Everything the engine concluded about a set of model versions.

    Attributes
    ----------
    task:
        ``"binary"`` or ``"multiclass"``.
    n_examples:
        Paired examples evaluated.
    classes:
        The one label set, as strings.
    positive_label:
        Binary tasks: the positive class.
    baseline:
        The baseline's name.
    models:
        Model name -> :class:`ModelReport`, baseline first.
    comparisons:
        One :class:`Comparison` per candidate.
    warnings:
        What the user must know to read the numbers right.
    settings:
        How it was computed.
    """

    task: str
    n_examples: int
    classes: tuple[str, ...]
    positive_label: str | None
    baseline: str
    models: Mapping[str, ModelReport]
    comparisons: tuple[Comparison, ...]
    warnings: tuple[str, ...]
    settings: Settings = field(default_factory=Settings)
