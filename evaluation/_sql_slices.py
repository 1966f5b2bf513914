"""The slices of the engines' cell query: how each metadata column of the first file is cut, where the data lies.

:func:`_slicings` profiles the columns in two passes (approximate distinct counts route them; one ``GROUPING SETS``
query counts the values of those with few) and cuts them as :func:`evaluation._slices.slice_columns` cuts the local
engine's: a numeric column with more than four values into quantile bins, any other into its categories.
:class:`_SliceKeys` then carries the bins through the join as one packed integer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._errors import quote
from ._slices import MISSING, OTHER, categorical_column, format_edge

if TYPE_CHECKING:
    from ._sql_engine import SQLBackend, _File

__all__ = ["weighted_quantiles"]  # and, for the engines' modules, the slicing itself (_slicings, _SliceKeys)

_N_BINS = 4  # as slice_columns cuts a numeric column
_MAX_CATEGORIES = 20
_MAX_DISTINCT = 10_000  # a categorical column with more distinct values is not sliced (its cells would not be few)
_VALUE_COUNTS = 1_000_000  # a numeric column with at most this many distinct values: quantiles from its value counts
_INFINITY = "CAST('Infinity' AS DOUBLE)"


def _missing(value: object) -> bool:
    """A missing value as pandas gives it back from the engine."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class _Slicing:
    """How one metadata column is cut: its SQL expression in the cell query and its bins' names."""

    expression: str
    values: tuple[str, ...]
    code: str | None = None
    """The bin's place in :attr:`values`, a small integer that a join carries more cheaply than the name (``None``:
    the expression gives the raw value, named in Python)."""

    def name(self, value: object) -> str | None:
        """The bin of a value of :attr:`code` (or of the raw expression): its name, or ``None`` where missing."""
        if _missing(value):
            return None
        return self.values[int(np.asarray(value, dtype=float))] if self.code is not None else str(value)


_PACKED = "sp"
_PACKED_LIMIT = 2**62  # the packed codes stay a BIGINT


@dataclass(frozen=True)
class _SliceKeys:
    """The slices as the cell query carries and groups them: every bin's code packed into one integer, one narrow
    column through the join and one key to group by (at 100,000,000 rows, 3 s of 45); a slice named in Python from
    its raw values (or one past the packing's range) in a column of its own."""

    slicings: dict[str, _Slicing]

    @cached_property
    def _radices(self) -> dict[int, tuple[int, int]]:
        """The packed slices' places: their multiplier and radix (their bins and one for a missing value)."""
        out, multiplier = {}, 1
        for k, slicing in enumerate(self.slicings.values()):
            radix = len(slicing.values) + 1
            if slicing.code is not None and multiplier * radix < _PACKED_LIMIT:
                out[k] = (multiplier, radix)
                multiplier *= radix
        return out

    def selected(self, backend: SQLBackend) -> list[str]:
        """The first file's select items: the packed codes, then each other slice's value."""
        radices = self._radices
        codes = [f"CAST(coalesce({s.code}, {radices[k][1] - 1}) AS BIGINT) * {radices[k][0]}"
                 for k, s in enumerate(self.slicings.values()) if k in radices]
        packed = [f"{' + '.join(codes)} AS {_PACKED}"] if codes else []
        return packed + [f"{s.code or s.expression} AS {backend.identifier(f's{k}')}"
                         for k, s in enumerate(self.slicings.values()) if k not in radices]

    @property
    def columns(self) -> list[str]:
        """The cells' slice columns (the packed codes', then the others')."""
        radices = self._radices
        return [_PACKED] * bool(radices) + [f"s{k}" for k in range(len(self.slicings)) if k not in radices]

    def names(self, cells: pd.DataFrame) -> dict[str, list[str | None]]:
        """Each slice's bin in every cell: its name, or ``None`` where the value is missing."""
        radices = self._radices
        packed = cells[_PACKED].to_numpy(dtype=np.int64) if radices else np.empty(0, dtype=np.int64)
        out: dict[str, list[str | None]] = {}
        for k, (name, slicing) in enumerate(self.slicings.items()):
            if k in radices:
                multiplier, radix = radices[k]
                out[name] = [slicing.values[c] if c < radix - 1 else None for c in (packed // multiplier % radix).tolist()]
            else:
                out[name] = [slicing.name(v) for v in cells[f"s{k}"].tolist()]
        return out


def weighted_quantiles(values: np.ndarray, counts: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """The ``q`` quantiles of values repeated ``counts`` times, interpolated as ``numpy.quantile``'s default (linear).

    Examples
    --------
    >>> weighted_quantiles(np.array([1.0, 2.0, 10.0]), np.array([2, 1, 1]), [0.0, 0.5, 0.9]).tolist()
    [1.0, 1.5, 7.600000000000001]
    >>> np.quantile([1.0, 1.0, 2.0, 10.0], [0.0, 0.5, 0.9]).tolist()
    [1.0, 1.5, 7.600000000000001]
    """
    order = np.argsort(values, kind="stable")
    values, ends = values[order], np.cumsum(counts[order])
    position = (ends[-1] - 1) * np.asarray(q, dtype=float)
    below = np.floor(position)
    low = values[np.searchsorted(ends, below, side="right")]
    high = values[np.searchsorted(ends, np.minimum(below + 1, ends[-1] - 1), side="right")]
    fraction = position - below
    # numpy's lerp, bit for bit: from the lower value below a half, back from the upper value from a half on
    return np.where(fraction >= 0.5, high - (high - low) * (1 - fraction), low + (high - low) * fraction)


def _quantile_slicing(backend: SQLBackend, relation: str, column: str,
                      counted: Sequence[tuple[Any, int]] | None) -> _Slicing | None:
    """Quantile bins of a numeric column, as ``pandas.qcut(q=4, duplicates="drop")`` cuts them (infinities join the
    outer bins). From the column's value counts where they were counted (up to about :data:`_VALUE_COUNTS` distinct
    values), else from the engine's exact quantile (a sort)."""
    value = f"CAST({backend.identifier(column)} AS DOUBLE)"
    finite = f"{value} IS NOT NULL AND NOT isnan({value}) AND abs({value}) <> {_INFINITY}"
    quarters = [0.0, 0.25, 0.5, 0.75, 1.0]
    if counted is not None:
        numbers = np.array([float(v) for v, _ in counted])
        counts = np.array([int(n) for _, n in counted], dtype=np.int64)
        numbers, counts = numbers[~np.isnan(numbers)], counts[~np.isnan(numbers)]
        finite_rows = np.isfinite(numbers)
        above, below = int(counts[numbers == math.inf].sum()), int(counts[numbers == -math.inf].sum())
        quantiles = (weighted_quantiles(numbers[finite_rows], counts[finite_rows], quarters).tolist()
                     if finite_rows.any() else None)
    else:
        found = backend.rows(f"SELECT {backend.quantiles(value, finite)}, "
                             f"count(*) FILTER (WHERE {value} = {_INFINITY}), "
                             f"count(*) FILTER (WHERE {value} = -{_INFINITY}) FROM {relation}")
        quantiles, above, below = found[0]
    if not quantiles:
        return None
    edges = sorted({float(q) for q in quantiles})
    if len(edges) < 2:
        return None
    if below:
        edges[0] = -math.inf
    if above:
        edges[-1] = math.inf
    names = tuple(f"{format_edge(edges[i])} to {format_edge(edges[i + 1])}" for i in range(len(edges) - 1))

    def case(then: Sequence[str]) -> str:
        cases = " ".join(f"WHEN {value} <= CAST({edges[i + 1]!r} AS DOUBLE) THEN {then[i]}"
                         for i in range(len(edges) - 2) if math.isfinite(edges[i + 1]))
        return (f"CASE WHEN {value} IS NULL OR isnan({value}) THEN NULL WHEN {value} = -{_INFINITY} THEN "
                f"{then[0]} {cases} ELSE {then[-1]} END")

    return _Slicing(case([backend.literal(n) for n in names]), names, case([str(i) for i in range(len(names))]))


def _categorical_slicing(backend: SQLBackend, relation: str, column: str, kind: str, rows: int, distinct: int,
                         counted: Sequence[tuple[Any, int]] | None, warnings: list[str],
                         filename: str) -> _Slicing | None:
    """A categorical column's slices, as :func:`evaluation._slices.slice_columns` keeps and pools them (``counted``:
    its value counts, counted for every column with few enough values to be sliced)."""
    numeric = kind in ("integer", "float")
    if not numeric and distinct > 1 and (distinct >= 0.9 * rows or distinct > max(_MAX_CATEGORIES, 0.5 * rows)):
        return None  # an identifier or free text: nothing to slice
    if distinct > _MAX_DISTINCT:
        warnings.append(f"{filename}: column {quote(column)} has {distinct:,} distinct values; the {backend.name} "
                        f"engine does not slice by a column of more than {_MAX_DISTINCT:,}")
        return None
    if counted is None:  # the estimate of its distinct values was far above the count
        counted = _value_counts(backend, relation, [column])[column]
    quoted = backend.identifier(column)
    text = [_category(value) for value, _ in counted]
    cut = categorical_column(np.arange(len(text)), pd.Index(text), _MAX_CATEGORIES,
                             weights=np.array([n for _, n in counted], dtype=float))
    values = tuple(name for name in cut.values if name != MISSING)
    if kind in ("float", "bool"):  # named in Python (str of the value, as pandas names them) from the raw values
        return _Slicing(quoted, values)

    def case(then: Sequence[str]) -> str:
        if not values:  # no value at all: every row is in the missing slice
            return "NULL"
        kept = " ".join(f"WHEN {backend.literal(name)} THEN {then[i]}" for i, name in enumerate(values) if name != OTHER)
        other = f" ELSE {then[values.index(OTHER)]}" if OTHER in values else ""
        return f"CASE CAST({quoted} AS STRING) {kept}{other} END"

    return _Slicing(case([backend.literal(name) for name in values]), values, case([str(i) for i in range(len(values))]))


def _category(value: object) -> str:
    """A category's name, as pandas names the value (``str``)."""
    return str(value)


def _slicings(backend: SQLBackend, first: _File, relation: str, warnings: list[str]) -> dict[str, _Slicing]:
    """The slices of the first file's metadata columns on ``relation``'s rows (pass 1)."""
    columns = [c for c in first.columns.metadata or () if c != first.columns.timestamp
               and first.kinds.get(c) in ("integer", "float", "bool", "text", "time")]
    for column in columns:
        if first.kinds[column] == "time":
            warnings.append(f"{first.filename}: column {quote(column)} holds times; the {backend.name} engine does not "
                            "slice by a time column yet")
    columns = [c for c in columns if first.kinds[c] != "time"]
    if not columns:
        return {}
    numeric = {c for c in columns if first.kinds[c] in ("integer", "float")}
    found = backend.rows(f"SELECT count(*), {', '.join(f'approx_count_distinct({backend.identifier(c)})' for c in columns)}"
                         f" FROM {relation}")[0]
    rows = int(found[0])
    few = [c for c, n in zip(columns, found[1:], strict=True)
           if int(n) <= (_VALUE_COUNTS if c in numeric else 2 * _MAX_DISTINCT)]
    counted = _value_counts(backend, relation, few)
    many = [c for c in columns if c not in counted]  # exactly counted: the routing must not rest on an estimate
    exact = dict(zip(many, backend.rows(f"SELECT {', '.join(f'count(DISTINCT {backend.identifier(c)})' for c in many)} "
                                        f"FROM {relation}")[0], strict=True)) if many else {}
    out: dict[str, _Slicing] = {}
    for column in columns:
        values = counted.get(column)
        distinct = len(values) if values is not None else int(exact[column])
        if column in numeric and distinct > _N_BINS:
            slicing = _quantile_slicing(backend, relation, column, values)
        else:
            slicing = _categorical_slicing(backend, relation, column, first.kinds[column], rows, distinct, values,
                                           warnings, first.filename)
        if slicing is not None:
            out[column] = slicing
    return out


def _value_counts(backend: SQLBackend, relation: str, columns: Sequence[str]) -> dict[str, list[tuple[Any, int]]]:
    """Each column's distinct values (missing ones left out) and how many rows hold each: one pass, by grouping sets
    (the counts of the columns with few values are the slices' only need, and a query costs a pass over the data)."""
    if not columns:
        return {}
    quoted = [backend.identifier(c) for c in columns]
    flags = ", ".join(f"grouping({q})" for q in quoted)
    found = backend.rows(f"SELECT {', '.join(quoted)}, {flags}, count(*) FROM {relation} "
                         f"GROUP BY GROUPING SETS ({', '.join(f'({q})' for q in quoted)})")
    out: dict[str, list[tuple[Any, int]]] = {c: [] for c in columns}
    for row in found:
        k = [row[len(columns) + i] for i in range(len(columns))].index(0)
        if row[k] is not None:
            out[columns[k]].append((row[k], int(row[-1])))
    return out
