"""Multiple-comparison corrections of p-values (Holm, Bonferroni, Benjamini-Hochberg)."""

from __future__ import annotations

import numpy as np

__all__ = ["CORRECTIONS", "adjust_p_values"]

CORRECTIONS: tuple[str, ...] = ("holm", "fdr_bh", "bonferroni", "none")


def adjust_p_values(p_values: np.ndarray, *, method: str = "holm") -> np.ndarray:
    """Adjust a family of p-values for multiple testing; NaNs are left out of the family and kept.

    Parameters
    ----------
    p_values:
        The family's raw p-values.
    method:
        ``"holm"`` (step-down, controls the family-wise error rate; Holm 1979), ``"bonferroni"``,
        ``"fdr_bh"`` (Benjamini & Hochberg 1995, controls the false discovery rate) or ``"none"``.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, equal to ``statsmodels.stats.multitest.multipletests(p, method=...)[1]``.

    Examples
    --------
    >>> adjust_p_values(np.array([0.01, 0.04, 0.03]), method="holm")
    array([0.03, 0.06, 0.06])
    """
    if method not in CORRECTIONS:
        raise ValueError(f"unknown correction {method!r}; expected one of {', '.join(CORRECTIONS)}")
    p = np.asarray(p_values, dtype=float)
    out = p.copy()
    valid = np.isfinite(p)
    values = p[valid]
    m = values.size
    if m == 0 or method == "none":
        return out
    if method == "bonferroni":
        adjusted = np.minimum(1.0, values * m)
    else:
        order = np.argsort(values, kind="stable")
        ranked = values[order]
        if method == "holm":
            stepped = np.maximum.accumulate((m - np.arange(m)) * ranked)
        else:  # fdr_bh: step-up from the largest p-value
            stepped = np.minimum.accumulate((m / np.arange(m, 0, -1)) * ranked[::-1])[::-1]
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(1.0, stepped)
    out[valid] = adjusted
    return out
