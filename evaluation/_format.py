"""How numbers and p-values read in every face: tables, charts, sentences and reports."""

from __future__ import annotations

import math

__all__ = ["format_number", "format_p_value", "interval_decimals", "p_clause"]

_MOST_DECIMALS = 8


def format_number(value: float, *, signed: bool = False, digits: int = 3) -> str:
    """A number for reading: fixed decimals, an explicit sign for differences, "n/a" when undefined.

    A difference too small for the decimals shows two significant digits: on millions of examples a tiny
    difference can be significant, and ``-0.000`` would read as none.

    Examples
    --------
    >>> format_number(0.03125, signed=True)
    '+0.031'
    >>> format_number(-0.000312, signed=True), format_number(0.0, signed=True), format_number(2e-12, signed=True)
    ('-0.00031', '+0.000', '+2e-12')
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    if signed and value != 0 and abs(value) < 0.5 * 10.0 ** -digits:
        digits = 1 - math.floor(math.log10(abs(value)))
        if digits > _MOST_DECIMALS:
            return f"{value:+.2g}"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def interval_decimals(low: float, high: float, digits: int = 3) -> int:
    """The fewest decimals, from ``digits`` up to 8, that tell an interval's ends apart (``digits`` when none do, or
    an end is undefined): on millions of examples an interval can be narrower than the third decimal.

    >>> interval_decimals(0.0168, 0.0173), interval_decimals(0.014, 0.057), interval_decimals(0.5, float("nan"))
    (4, 3, 3)
    """
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return digits
    return next((d for d in range(digits, _MOST_DECIMALS + 1) if round(low, d) != round(high, d)), digits)


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
