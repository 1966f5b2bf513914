"""How small a difference the test set could detect, and the warnings the user must see."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from ._data import ClassificationData
from ._results import VERDICT_NONE, Comparison, Power

__all__ = ["IMBALANCE_RATIO", "SMALL_CLASS", "analysis_warnings", "minimum_detectable_difference"]

SMALL_CLASS = 30
IMBALANCE_RATIO = 3.0


def minimum_detectable_difference(
    baseline_correct: np.ndarray, candidate_correct: np.ndarray, *, alpha: float, power: float = 0.8,
    weights: np.ndarray | None = None,
) -> Power:
    """Smallest accuracy difference detectable with ``power`` at two-sided ``alpha`` on these examples.

    For paired correctness ``d_i = candidate_i - baseline_i`` the standard error of the mean
    difference is ``sd(d) / sqrt(n)``, so a true difference ``delta`` is detected with probability
    ``power`` when ``delta >= (z_{1 - alpha/2} + z_power) sd(d) / sqrt(n)`` (Miller 2024, "Adding
    Error Bars to Evals", section on power; Card et al. 2020). ``sd(d)`` is estimated from the
    observed disagreement: ``var(d) = p10 + p01 - (p01 - p10)^2``. When the models never disagree
    it is estimated as if one example in ``n`` did. ``weights``: how many examples each row stands for.

    Examples
    --------
    >>> base = np.array([True] * 80 + [False] * 20)
    >>> cand = np.array([True] * 70 + [False] * 10 + [True] * 15 + [False] * 5)
    >>> round(minimum_detectable_difference(base, cand, alpha=0.05).minimum_detectable_difference, 3)
    0.139
    """
    counts = np.ones(baseline_correct.shape[0]) if weights is None else weights
    n = int(counts.sum())
    only_baseline = float(counts[baseline_correct & ~candidate_correct].sum() / n)
    only_candidate = float(counts[candidate_correct & ~baseline_correct].sum() / n)
    variance = only_baseline + only_candidate - (only_candidate - only_baseline) ** 2
    variance = max(variance, 1.0 / n)
    z = ndtri(1 - alpha / 2) + ndtri(power)
    return Power(
        minimum_detectable_difference=float(z * np.sqrt(variance / n)),
        alpha=alpha,
        power=power,
        observed_difference=only_candidate - only_baseline,
        method="paired normal approximation on per-example correctness",
    )


def analysis_warnings(data: ClassificationData, comparisons: list[Comparison], *, primary: str) -> list[str]:
    """Warnings about the test set and the comparisons that the numbers alone do not show."""
    warnings: list[str] = []
    support = np.bincount(data.y_true, weights=data.count(), minlength=len(data.classes)).round().astype(np.int64)
    present = support[support > 0]
    if present.size >= 2 and present.max() >= IMBALANCE_RATIO * present.min():
        largest, smallest = int(np.argmax(support)), int(np.argmin(np.where(support > 0, support, np.inf)))
        warnings.append(
            f"The classes are imbalanced ('{data.classes[largest]}': {support[largest]:,} examples, "
            f"'{data.classes[smallest]}': {support[smallest]:,}): accuracy alone misleads here; read balanced "
            f"accuracy, macro F1 and the Matthews correlation, and the per-class recall.")
    small = [f"'{label}' ({support[i]})" for i, label in enumerate(data.classes) if support[i] < SMALL_CLASS]
    if small:
        warnings.append(
            f"{len(small)} class(es) have fewer than {SMALL_CLASS} examples: {', '.join(small[:10])}"
            f"{', ...' if len(small) > 10 else ''}. Their per-class intervals are too wide to mean much, and a "
            f"change there can hardly be significant.")
    for model in data.models:
        predicted = np.bincount(model.y_pred, weights=data.count(), minlength=len(data.classes))
        never = [f"'{label}'" for i, label in enumerate(data.classes) if support[i] > 0 and predicted[i] == 0]
        if never:
            warnings.append(
                f"{model.name} never predicts {len(never)} of the {int((support > 0).sum())} classes in the labels "
                f"({', '.join(never[:10])}{', ...' if len(never) > 10 else ''}): its recall and F1 there are 0, "
                f"which pulls its macro averages down; a candidate that predicts them gains there by default.")
    for comparison in comparisons:
        candidate, baseline = data.model(comparison.candidate), data.model(comparison.baseline)
        if np.array_equal(candidate.y_pred, baseline.y_pred):
            warnings.append(f"{comparison.candidate}'s predictions are identical to {comparison.baseline}'s on every "
                            f"example: check that the right files were given.")
            continue
        power = comparison.power
        diff = comparison.metrics.get(primary) or comparison.metrics.get("accuracy")
        if (power is not None and diff is not None and diff.verdict == VERDICT_NONE
                and abs(power.observed_difference) < power.minimum_detectable_difference):
            warnings.append(
                f"{comparison.candidate} vs {comparison.baseline}: this test set can only detect accuracy "
                f"differences of about {power.minimum_detectable_difference:.3f} or more (80% power, alpha "
                f"{power.alpha}); the observed {power.observed_difference:+.3f} is below that, so 'no significant "
                f"difference' is not evidence that the models are equal.")
    return warnings
