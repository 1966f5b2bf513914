"""McNemar's exact test of two classifiers' accuracy on the same examples, with its mid-p version.

Only the discordant examples carry information (McNemar 1947): b examples only the baseline got
right and c only the candidate got right. Under the null hypothesis of equal accuracy, given
n = b + c, the count b is Binomial(n, 1/2). The exact conditional two-sided p-value is
``min(1, 2 * P(X <= min(b, c)))``; the mid-p value (Fagerland, Lydersen & Laake 2013) counts only
half the probability of the observed table, ``2 * [P(X <= min(b, c)) - P(X = min(b, c)) / 2]``,
which is less conservative and keeps the nominal level in practice. Binomial probabilities come from
:mod:`scipy.stats`, so counts in the hundreds of thousands are neither slow nor overflow.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import SupportsIndex

from scipy.special import bdtr

__all__ = ["McNemarResult", "mcnemar_exact"]


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's exact test on the discordant pairs of two classifiers.

    Attributes
    ----------
    baseline_only:
        Number of examples only the baseline classified correctly.
    candidate_only:
        Number of examples only the candidate classified correctly.
    statistic:
        ``min(baseline_only, candidate_only)``, the binomial count the p-values are tail areas of.
    p_value:
        Exact conditional two-sided p-value, ``min(1, 2 * P(X <= statistic))`` for
        X ~ Binomial(baseline_only + candidate_only, 1/2); 1 when there is no discordant pair.
    mid_p_value:
        Mid-p value: ``p_value - P(X = statistic)``, and ``1 - P(X = statistic) / 2`` when the two
        counts are equal (Fagerland et al. 2013); 1 when there is no discordant pair.
    test:
        ``"McNemar exact"``.
    """

    baseline_only: int
    candidate_only: int
    statistic: int
    p_value: float
    mid_p_value: float
    test: str = "McNemar exact"


def _mcnemar_exact_iv(baseline_only: SupportsIndex, candidate_only: SupportsIndex) -> tuple[int, int]:
    """Check that both counts are non-negative integers and return them as ``int``."""
    counts = []
    for name, value in (("baseline_only", baseline_only), ("candidate_only", candidate_only)):
        try:
            count = operator.index(value)
        except TypeError:
            raise TypeError(f"`{name}` must be an integer count, got {value!r}.") from None
        if count < 0:
            raise ValueError(f"`{name}` must be non-negative, got {count}.")
        counts.append(count)
    return counts[0], counts[1]


def mcnemar_exact(baseline_only: SupportsIndex, candidate_only: SupportsIndex) -> McNemarResult:
    """McNemar's exact conditional test, and its mid-p value, from the two discordant counts.

    Parameters
    ----------
    baseline_only : int
        Examples the baseline got right and the candidate wrong (any integer type).
    candidate_only : int
        Examples the candidate got right and the baseline wrong.

    Returns
    -------
    McNemarResult
        The counts, the statistic ``min(baseline_only, candidate_only)``, the exact two-sided
        p-value and the mid-p value. With no discordant pair both p-values are 1.

    Raises
    ------
    TypeError
        If a count is not an integer.
    ValueError
        If a count is negative.

    Examples
    --------
    The worked example of Fagerland et al. (2013): 1 and 7 discordant pairs.

    >>> result = mcnemar_exact(1, 7)
    >>> round(result.p_value, 3), round(result.mid_p_value, 3)
    (0.07, 0.039)
    """
    baseline, candidate = _mcnemar_exact_iv(baseline_only, candidate_only)
    discordant = baseline + candidate
    smaller = min(baseline, candidate)
    if discordant == 0:
        return McNemarResult(baseline, candidate, 0, 1.0, 1.0)
    # Binomial(n, 1/2) tails through scipy.special (scipy.stats costs a second to import).
    at_most = float(bdtr(smaller, discordant, 0.5))
    below = float(bdtr(smaller - 1, discordant, 0.5)) if smaller > 0 else 0.0
    point = at_most - below
    if baseline == candidate:
        # The two tails overlap on the observed count: exact p is 1, mid-p drops half of it.
        p_value, mid_p_value = 1.0, 1.0 - 0.5 * point
    else:
        p_value = min(1.0, 2.0 * at_most)
        # P(X < min) + P(X <= min) rather than p - P(X = min): a tail that underflows cannot
        # leave a negative mid-p; the min keeps mid-p <= p through rounding.
        mid_p_value = min(p_value, below + at_most)
    return McNemarResult(baseline, candidate, smaller, p_value, mid_p_value)
