"""How numbers and p-values read in every face: tables, charts, sentences and reports."""

from __future__ import annotations

import math

__all__ = ["format_number", "format_p_value", "p_clause"]


def format_number(value: float, *, signed: bool = False, digits: int = 3) -> str:
    """A number for reading: fixed decimals, an explicit sign for differences, "n/a" when undefined.

    Examples
    --------
    >>> format_number(0.03125, signed=True)
    '+0.031'
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def format_p_value(p: float | None) -> str:
    """A p-value for reading: three decimals, four below 0.01 and near 0.05, ``< 0.0001`` below that, "n/a" when undefined.

    The one format of p-values in every face: the dashboard's tables and charts, the reports.

    Examples
    --------
    >>> [format_p_value(p) for p in (0.04321, 0.004321, 0.00004321, 0.04981, float("nan"))]
    ['0.043', '0.0043', '< 0.0001', '0.0498', 'n/a']
    """
    if p is None or not math.isfinite(p):
        return "n/a"
    # Four decimals near 0.05 too, so that a p-value just below the usual alpha never reads "0.050".
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}" if p < 0.01 or 0.045 <= p < 0.055 else f"{p:.3f}"


def p_clause(p: float) -> str:
    """``p = 0.012`` or ``p < 0.0001`` for a sentence.

    >>> p_clause(0.0123), p_clause(0.00001)
    ('p = 0.012', 'p < 0.0001')
    """
    text = format_p_value(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"
