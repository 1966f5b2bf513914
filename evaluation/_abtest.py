"""Online A/B tests: every treatment against the control, per metric, with the unit as the independent observation.

:func:`analyze_abtest` takes a checked :class:`~evaluation._abtest_data.Experiment` (one row per unit
or per event, aggregated per unit by :func:`~evaluation._abtest_data.read_experiment`) and only
computes:

- each metric's value per variant: ``sum of the metric / number of events`` over the variant's units,
  a **ratio metric** whose variance is the **delta method**'s (Deng, Knoblich and Lu 2018, "Applying
  the Delta Method in Metric Analytics"), through each unit's linearised value ``R + (S_i - R N_i) /
  mean(N)``; with one row per unit that value is the metric itself and the test is Welch's t-test;
- the difference treatment minus control, with Welch-Satterthwaite degrees of freedom over units, and
  the relative difference (lift) ``R_t / R_c - 1`` with its delta-method normal interval;
- **CUPED** (Deng, Xu, Kohavi and Walker 2013) on the unit-level linearised value, with one ``theta``
  per metric pooled over every unit of every variant;
- the **sample-ratio mismatch** check of units per variant against the expected split;
- the units per variant a two-sided t-test would need to detect the observed effect (and a given
  minimum detectable effect) with the given power;
- p-values adjusted over the family of metrics x treatments, and a verdict per metric.

The result objects are here; their JSON and Markdown forms in :mod:`evaluation._abtest_report`.
See ``docs/abtest.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.special import ndtri, stdtr, stdtrit

from ._abtest_data import Experiment
from ._errors import EvaluationError, format_names, quote
from ._inference import verdict
from ._multiple import CORRECTIONS, adjust_p_values
from ._results import Verdict
from ._settings import levels_iv

__all__ = ["SRM_THRESHOLD", "ABTestReport", "Cuped", "MetricComparison", "SampleRatio", "SampleSize", "VariantSummary",
           "analyze_abtest", "units_needed", "welch"]

SRM_THRESHOLD = 0.001
"""A sample-ratio mismatch is flagged when the chi-square test's p-value is below this (the industry convention:
a strict threshold, because the check runs on every experiment and a false alarm stops a valid one)."""

WELCH = "Welch t-test over units (delta method for a ratio metric)"
CUPED_TEST = "Welch t-test over units on the CUPED-adjusted linearised metric"


@dataclass(frozen=True)
class VariantSummary:
    """One variant's allocation.

    Attributes
    ----------
    name:
        The variant.
    units, events:
        Its units and its rows.
    share, expected_share:
        Its observed share of the units, and the share the expected split gives it.
    """

    name: str
    units: int
    events: int
    share: float
    expected_share: float


@dataclass(frozen=True)
class SampleRatio:
    """The sample-ratio mismatch check: units per variant against the expected split.

    Attributes
    ----------
    statistic, df, p_value:
        Pearson's chi-square goodness-of-fit statistic, its degrees of freedom (variants - 1) and its
        p-value (``scipy.stats.chisquare(observed, expected)``).
    threshold:
        :data:`SRM_THRESHOLD`.
    mismatch:
        ``p_value < threshold``: the allocation is not the expected one, and no result is trustworthy
        until the cause (assignment, logging, filtering of units) is found.
    test:
        The test's name.
    """

    statistic: float
    df: int
    p_value: float
    threshold: float
    mismatch: bool
    test: str = "chi-square goodness of fit of units per variant against the expected split"


@dataclass(frozen=True)
class Cuped:
    """The CUPED-adjusted comparison of one metric (Deng et al. 2013).

    Attributes
    ----------
    covariate:
        The pre-period column.
    theta:
        ``cov(Y, X) / var(X)`` over every unit of every variant, ``Y`` the unit's linearised metric and
        ``X`` its covariate.
    control_value, treatment_value:
        The variants' adjusted means, ``mean(Y - theta (X - mean X))`` (``mean X`` over every unit).
    difference, ci_low, ci_high, std_error, df, p_value:
        The adjusted difference, treatment minus control, with Welch's interval, standard error,
        degrees of freedom and two-sided p-value.
    variance_reduction:
        ``1 - var(adjusted difference) / var(unadjusted difference)``: the share of the variance
        removed (about the squared correlation of ``Y`` and ``X``).
    test:
        The test's name.
    """

    covariate: str
    theta: float
    control_value: float
    treatment_value: float
    difference: float
    ci_low: float
    ci_high: float
    std_error: float
    df: float
    p_value: float
    variance_reduction: float
    test: str = CUPED_TEST


@dataclass(frozen=True)
class SampleSize:
    """Units per variant a two-sided two-sample t-test needs (equal groups; statsmodels' ``TTestIndPower``).

    Attributes
    ----------
    alpha, power:
        The test's level and the power asked for.
    standard_deviation:
        The pooled standard deviation of the unit-level (linearised) metric over the two variants.
    observed_effect, units_for_observed:
        The observed absolute difference, and the units per variant to detect it (infinite, ``null``
        in JSON, when it is 0).
    minimum_detectable_effect, units_for_minimum:
        The absolute effect asked for (``--mde``) and its units per variant; NaN (``null``) when none.
    """

    alpha: float
    power: float
    standard_deviation: float
    observed_effect: float
    units_for_observed: float
    minimum_detectable_effect: float = math.nan
    units_for_minimum: float = math.nan


@dataclass(frozen=True)
class MetricComparison:
    """One metric, one treatment against the control.

    Attributes
    ----------
    metric, treatment, control:
        What is compared.
    higher_is_better:
        The metric's direction (``--higher-is-worse`` turns it).
    control_value, treatment_value:
        Each variant's value: the sum of the metric over its events divided by its events (the mean
        per unit with one row per unit).
    difference, ci_low, ci_high, std_error, df, p_value:
        Treatment minus control, Welch's interval over units (delta-method variance), standard error,
        Welch-Satterthwaite degrees of freedom and two-sided p-value.
    relative, relative_low, relative_high, relative_std_error:
        The lift ``treatment / control - 1`` and its delta-method normal interval; NaN when the
        control's value is 0.
    test:
        The test of :attr:`p_value`.
    p_value_adjusted:
        The deciding p-value (CUPED's when there is a covariate, :attr:`verdict_test` says) after the
        correction over every metric and treatment.
    verdict:
        Better, worse or no significant difference, on the adjusted p-value and the direction of the
        deciding difference (CUPED's with a covariate); undefined when the test is (no variation in
        either variant).
    verdict_test:
        The test the verdict is on: :attr:`test`, or CUPED's.
    cuped:
        The CUPED-adjusted comparison, with a covariate.
    sample_size:
        The units per variant needed to detect the observed (and the minimum detectable) effect.
    """

    metric: str
    treatment: str
    control: str
    higher_is_better: bool
    control_value: float
    treatment_value: float
    difference: float
    ci_low: float
    ci_high: float
    std_error: float
    df: float
    p_value: float
    relative: float
    relative_low: float
    relative_high: float
    relative_std_error: float
    test: str
    p_value_adjusted: float
    verdict: Verdict
    verdict_test: str
    cuped: Cuped | None
    sample_size: SampleSize


@dataclass(frozen=True)
class ABTestReport:
    """Every treatment compared with the control on every metric, and the checks on the allocation.

    Attributes
    ----------
    source, variant_column, unit_column:
        The file and its variant and unit columns.
    control:
        The control variant.
    variants:
        Every variant's allocation, in sorted order.
    metrics:
        The metrics, in the order asked for.
    unit_level:
        Whether every unit has one row (each metric is then a mean per unit; otherwise a ratio per event).
    rows, units:
        Data rows and units.
    sample_ratio:
        The sample-ratio mismatch check.
    comparisons:
        One per treatment and metric, treatments in sorted order, metrics in the order asked for.
    covariate:
        The CUPED covariate, or ``None``.
    confidence, alpha, power, correction:
        The intervals' level, the tests' level, the power of the sample sizes and the correction.
    verdict:
        One sentence per treatment, and the sample-ratio warning first when there is a mismatch.
    notes:
        How to read the numbers.
    """

    source: str
    variant_column: str
    unit_column: str
    control: str
    variants: tuple[VariantSummary, ...]
    metrics: tuple[str, ...]
    unit_level: bool
    rows: int
    units: int
    sample_ratio: SampleRatio
    comparisons: tuple[MetricComparison, ...]
    covariate: str | None
    confidence: float
    alpha: float
    power: float
    correction: str
    verdict: str
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dicts (NaN and infinities become ``None``), with ``kind: "abtest"``."""
        from ._abtest_report import abtest_to_dict

        return abtest_to_dict(self)

    def to_markdown(self) -> str:
        """A short Markdown report."""
        from ._abtest_report import abtest_to_markdown

        return abtest_to_markdown(self)


def linearised(sums: np.ndarray, events: np.ndarray) -> tuple[float, np.ndarray]:
    """A ratio ``R = sum(S) / sum(N)`` over units and each unit's linearised value ``R + (S_i - R N_i) / mean(N)``.

    The values' mean is ``R`` and their variance over ``n`` is the delta method's variance of ``R``
    (Deng et al. 2018): the first-order Taylor expansion of ``mean(S) / mean(N)``. With one
    event per unit the values are ``S_i`` themselves.
    """
    ratio = float(sums.sum() / events.sum())
    if (events == 1).all():
        return ratio, sums.astype(float)
    return ratio, ratio + (sums - ratio * events) / events.mean()


def welch(control: np.ndarray, treatment: np.ndarray, *, confidence: float) -> tuple[float, float, float, float, float, float]:
    """Welch's two-sample t-test of the means: difference, interval, standard error, degrees of freedom, p-value.

    Equal to ``scipy.stats.ttest_ind(treatment, control, equal_var=False)`` and its ``confidence_interval``;
    NaN interval and p-value when neither sample varies.

    Examples
    --------
    >>> [round(x, 4) for x in welch(np.array([1.0, 2, 3, 4]), np.array([3.0, 5, 4, 6, 7]), confidence=0.95)]
    [2.5, 0.2348, 4.7652, 0.9574, 6.9808, 0.0349]
    """
    v_c = control.var(ddof=1) / control.size
    v_t = treatment.var(ddof=1) / treatment.size
    difference = float(treatment.mean() - control.mean())
    variance = v_c + v_t
    if not variance > 0:
        return difference, math.nan, math.nan, 0.0, math.nan, math.nan
    df = variance**2 / (v_c**2 / (control.size - 1) + v_t**2 / (treatment.size - 1))
    error = math.sqrt(variance)
    half = float(stdtrit(df, 0.5 + confidence / 2.0)) * error
    p_value = float(2.0 * stdtr(df, -abs(difference) / error))
    return difference, difference - half, difference + half, error, float(df), p_value


def units_needed(effect_size: float, *, alpha: float, power: float) -> float:
    """Units per group for a two-sided two-sample t-test with equal groups to reach ``power`` at ``alpha``.

    Solves ``P(|T| > t_{1-alpha/2, 2n-2}) = power`` for ``n``, ``T`` noncentral t with ``2n - 2``
    degrees of freedom and noncentrality ``effect_size * sqrt(n / 2)``: statsmodels'
    ``TTestIndPower().solve_power(effect_size, alpha=alpha, power=power)``. Infinite for no effect; never
    fewer than 2 (a group's spread needs two units).

    Examples
    --------
    >>> round(units_needed(0.5, alpha=0.05, power=0.8), 3)
    63.766
    """
    from scipy.optimize import brentq
    from scipy.stats import nct, t

    d = abs(effect_size)
    if not d > 0 or not math.isfinite(d):
        return math.inf

    def shortfall(n: float) -> float:
        df = 2.0 * n - 2.0
        critical = t.isf(alpha / 2.0, df)
        nc = d * math.sqrt(n / 2.0)
        return float(nct.sf(critical, df, nc) + nct.cdf(-critical, df, nc)) - power

    normal = 2.0 * ((ndtri(1 - alpha / 2.0) + ndtri(power)) / d) ** 2  # the t-test needs a little more
    low, high = 2.0, max(4.0, 2.0 * normal + 4.0)
    if shortfall(low) >= 0:
        return low
    while shortfall(high) < 0:
        high *= 2.0
    return float(brentq(shortfall, low, high, xtol=1e-10, rtol=1e-12))


def _sample_ratio(experiment: Experiment, expected: np.ndarray) -> tuple[SampleRatio, np.ndarray]:
    """The chi-square check of units per variant, and the units per variant."""
    from scipy.stats import chi2

    observed = np.bincount(experiment.unit_variant, minlength=len(experiment.variants))
    counts = expected * observed.sum()
    statistic = float(((observed - counts) ** 2 / counts).sum())
    df = len(experiment.variants) - 1
    p_value = float(chi2.sf(statistic, df))
    return SampleRatio(statistic, df, p_value, SRM_THRESHOLD, p_value < SRM_THRESHOLD), observed


def _split_iv(split: Mapping[str, float] | Sequence[float] | None, variants: Sequence[str]) -> np.ndarray:
    """The expected share of each variant: equal by default; weights in the variants' sorted order or by name."""
    if split is None:
        return np.full(len(variants), 1.0 / len(variants))
    if isinstance(split, Mapping):
        unknown = [name for name in split if name not in variants]
        if unknown:
            raise EvaluationError(f"--expected-split names {quote(unknown[0])}, which is not a variant; the variants are "
                                  f"{format_names(list(variants))}")
        absent = [name for name in variants if name not in split]
        if absent:
            raise EvaluationError(f"--expected-split gives no weight to variant {quote(absent[0])}; give one per variant")
        weights = np.array([float(split[name]) for name in variants])
    else:
        weights = np.array([float(w) for w in split])
        if weights.size != len(variants):
            raise EvaluationError(f"--expected-split has {weights.size} weights for {len(variants)} variants "
                                  f"({format_names(list(variants))}, in this order); give one per variant")
    if not (np.isfinite(weights) & (weights > 0)).all():
        raise EvaluationError(f"--expected-split takes positive weights such as 50,50, got {weights.tolist()}")
    return weights / weights.sum()


def _options_iv(experiment: Experiment, confidence: float, alpha: float, power: float, correction: str,
                higher_is_worse: Sequence[str], mde: float | Mapping[str, float] | None) -> dict[str, float]:
    """Check the options; the minimum detectable effect of each metric (absent: none)."""
    levels_iv(confidence=confidence, alpha=alpha)
    if not alpha < power < 1:
        raise EvaluationError(f"power must be between alpha and 1 (for example 0.8), got {power}")
    if correction not in CORRECTIONS:
        raise EvaluationError(f"unknown correction {quote(correction)}; expected one of {', '.join(CORRECTIONS)}")
    for metric in higher_is_worse:
        if metric not in experiment.metrics:
            raise EvaluationError(f"--higher-is-worse names {quote(metric)}, which is not a metric analysed; the metrics "
                                  f"are {format_names(list(experiment.metrics))}")
    if mde is None:
        return {}
    effects = dict(mde) if isinstance(mde, Mapping) else dict.fromkeys(experiment.metrics, float(mde))
    for metric, effect in effects.items():
        if metric not in experiment.metrics:
            raise EvaluationError(f"--mde names {quote(metric)}, which is not a metric analysed; the metrics are "
                                  f"{format_names(list(experiment.metrics))}")
        if not (math.isfinite(effect) and effect > 0):
            raise EvaluationError(f"--mde takes a positive absolute effect (in the metric's units), got {effect} for "
                                  f"{quote(metric)}")
    return effects


def _relative(control: float, treatment: float, v_c: float, v_t: float, confidence: float) -> tuple[float, ...]:
    """The lift ``t / c - 1``, its delta-method interval and standard error: ``var = v_t / c^2 + t^2 v_c / c^4``."""
    if control == 0:
        return math.nan, math.nan, math.nan, math.nan
    lift = treatment / control - 1.0
    error = math.sqrt(v_t / control**2 + treatment**2 * v_c / control**4)
    half = float(ndtri(0.5 + confidence / 2.0)) * error
    return lift, lift - half, lift + half, error


def _pooled_sd(control: np.ndarray, treatment: np.ndarray) -> float:
    """The pooled standard deviation of two samples."""
    dof = control.size + treatment.size - 2
    return math.sqrt(((control.size - 1) * control.var(ddof=1) + (treatment.size - 1) * treatment.var(ddof=1)) / dof)


def _compare(y: np.ndarray, values: np.ndarray, experiment: Experiment, treatment: int, metric: int, *,
             adjusted: np.ndarray | None, theta: float, confidence: float, alpha: float, power: float,
             mde: float) -> MetricComparison:
    """One metric, one treatment against the control (verdict and adjusted p-value filled in later)."""
    control = experiment.variants.index(experiment.control)
    in_c, in_t = experiment.unit_variant == control, experiment.unit_variant == treatment
    y_c, y_t = y[in_c], y[in_t]
    difference, low, high, error, df, p_value = welch(y_c, y_t, confidence=confidence)
    c_value, t_value = float(values[control]), float(values[treatment])
    relative = _relative(c_value, t_value, y_c.var(ddof=1) / y_c.size, y_t.var(ddof=1) / y_t.size, confidence)
    cuped = None
    if adjusted is not None and experiment.covariate_column is not None:
        a_c, a_t = adjusted[in_c], adjusted[in_t]
        c_diff, c_low, c_high, c_error, c_df, c_p = welch(a_c, a_t, confidence=confidence)
        reduction = 1.0 - c_error**2 / error**2 if error > 0 else math.nan
        cuped = Cuped(experiment.covariate_column, theta, float(a_c.mean()), float(a_t.mean()), c_diff, c_low, c_high,
                      c_error, c_df, c_p, reduction)
    spread = _pooled_sd(y_c, y_t)
    size = SampleSize(alpha, power, spread, difference,
                      units_needed(difference / spread, alpha=alpha, power=power) if spread > 0 else math.nan)
    if math.isfinite(mde):
        units = units_needed(mde / spread, alpha=alpha, power=power) if spread > 0 else math.nan
        size = SampleSize(alpha, power, spread, difference, size.units_for_observed, mde, units)
    return MetricComparison(
        metric=experiment.metrics[metric], treatment=experiment.variants[treatment], control=experiment.control,
        higher_is_better=True, control_value=c_value, treatment_value=t_value, difference=difference, ci_low=low,
        ci_high=high, std_error=error, df=df, p_value=p_value, relative=relative[0], relative_low=relative[1],
        relative_high=relative[2], relative_std_error=relative[3], test=WELCH, p_value_adjusted=math.nan,
        verdict=Verdict.UNDEFINED, verdict_test=CUPED_TEST if cuped is not None else WELCH, cuped=cuped, sample_size=size)


def analyze_abtest(experiment: Experiment, *, confidence: float = 0.95, alpha: float = 0.05, power: float = 0.8,
                   correction: str = "holm", expected_split: Mapping[str, float] | Sequence[float] | None = None,
                   higher_is_worse: Sequence[str] = (), mde: float | Mapping[str, float] | None = None) -> ABTestReport:
    """Compare every treatment with the control on every metric, check the allocation, and decide.

    Parameters
    ----------
    experiment:
        From :func:`~evaluation._abtest_data.read_experiment`.
    confidence, alpha:
        The intervals' level and the tests' level (on the adjusted p-values).
    power:
        The power the sample sizes are computed for.
    correction:
        ``"holm"``, ``"fdr_bh"``, ``"bonferroni"`` or ``"none"``, over every metric and treatment.
    expected_split:
        The expected share of units per variant: weights in the variants' sorted order, or by name
        (normalised to sum to 1); equal by default.
    higher_is_worse:
        Metrics for which a lower value is better (a latency, an error rate).
    mde:
        An absolute minimum detectable effect for every metric, or one per metric by name.

    Returns
    -------
    ABTestReport

    Raises
    ------
    EvaluationError
        An option out of range, an unknown metric or variant named in an option.

    Examples
    --------
    >>> from evaluation._abtest_data import read_experiment
    >>> rows = "user,arm,converted\\n" + "".join(f"u{i},{'AB'[i % 2]},{int(i % 5 == 0)}\\n" for i in range(40))
    >>> data = read_experiment(("ab.csv", rows.encode()), variant_column="arm", unit_column="user", metrics=["converted"])
    >>> result = analyze_abtest(data)
    >>> result.comparisons[0].control_value, result.comparisons[0].treatment_value, str(result.comparisons[0].verdict)
    (0.2, 0.2, 'no significant difference')
    """
    effects = _options_iv(experiment, confidence, alpha, power, correction, higher_is_worse, mde)
    expected = _split_iv(expected_split, experiment.variants)
    sample_ratio, observed = _sample_ratio(experiment, expected)
    k = len(experiment.variants)
    control = experiment.variants.index(experiment.control)
    covariate = experiment.covariate
    comparisons: list[MetricComparison] = []
    for j, metric in enumerate(experiment.metrics):
        y = np.empty(experiment.unit_variant.size)
        values = np.empty(k)
        for v in range(k):
            inside = experiment.unit_variant == v
            values[v], y[inside] = linearised(experiment.sums[inside, j], experiment.events[inside])
        adjusted, theta = None, math.nan
        if covariate is not None:
            theta = float(np.cov(y, covariate)[0, 1] / covariate.var(ddof=1))
            adjusted = y - theta * (covariate - covariate.mean())
        for v in range(k):
            if v != control:
                comparisons.append(_compare(y, values, experiment, v, j, adjusted=adjusted, theta=theta,
                                            confidence=confidence, alpha=alpha, power=power,
                                            mde=effects.get(metric, math.nan)))
    comparisons.sort(key=lambda c: experiment.variants.index(c.treatment))  # treatments first, metrics in order
    deciding = np.array([c.cuped.p_value if c.cuped is not None else c.p_value for c in comparisons])
    adjusted_p = adjust_p_values(deciding, method=correction)
    decided = []
    for c, p in zip(comparisons, adjusted_p, strict=True):
        better = c.metric not in higher_is_worse
        change = c.cuped.difference if c.cuped is not None else c.difference
        decided.append(replace(c, higher_is_better=better, p_value_adjusted=float(p),
                               verdict=verdict(change, float(p), alpha=alpha, higher_is_better=better)))
    summaries = tuple(VariantSummary(name, int(observed[v]),
                                     int(experiment.events[experiment.unit_variant == v].sum()),
                                     float(observed[v] / observed.sum()), float(expected[v]))
                      for v, name in enumerate(experiment.variants))
    from ._abtest_report import notes, verdict_text

    report = ABTestReport(
        source=experiment.source, variant_column=experiment.variant_column, unit_column=experiment.unit_column,
        control=experiment.control, variants=summaries, metrics=experiment.metrics, unit_level=not experiment.clustered,
        rows=experiment.rows, units=int(observed.sum()), sample_ratio=sample_ratio, comparisons=tuple(decided),
        covariate=experiment.covariate_column, confidence=confidence, alpha=alpha, power=power, correction=correction,
        verdict="", notes=())
    return replace(report, verdict=verdict_text(report), notes=notes(report))
