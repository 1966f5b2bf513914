"""Reading an online experiment's file: one row per unit or per event, checked once into a trusted :class:`Experiment`.

The file (any format :func:`evaluation._io.read_table` reads) has a variant column, a unit column (the
randomised unit: a user, a device, a session) and one numeric column per metric; optionally a
pre-period covariate, one value per unit. :func:`read_experiment` refuses what cannot be analysed,
naming the file, the column and the rows (row 1 is the first data row): a missing variant or unit, a
metric value that is not a number, a unit in two variants, fewer than two variants, a variant with
fewer than two units, a covariate that differs between the rows of a unit. Everything behind it
assumes valid data. See ``docs/abtest.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._errors import EvaluationError, clip, format_examples, format_names, quote
from ._io import Source, read_table, source_name
from ._limits import Limits
from ._values import id_text, number_values, rows_text

__all__ = ["CONTROL_NAME", "Experiment", "read_experiment"]

CONTROL_NAME = "control"
"""The variant taken as the control when none is named (in any case); otherwise the first variant in sorted order."""


@dataclass(frozen=True)
class Experiment:
    """An experiment's data aggregated per unit, checked and ready to analyse.

    Attributes
    ----------
    source:
        The file's name.
    variant_column, unit_column:
        The columns the variants and the units were read from.
    variants:
        Every variant, in sorted order.
    control:
        The control variant, one of :attr:`variants`.
    metrics:
        The metric columns, in the order asked for.
    unit_variant:
        ``(units,)`` each unit's variant, an index into :attr:`variants`.
    sums:
        ``(units, metrics)`` the sum of each metric over the unit's rows.
    events:
        ``(units,)`` the unit's rows (events); 1 everywhere for a file with one row per unit.
    covariate:
        ``(units,)`` the pre-period covariate of each unit, or ``None``.
    covariate_column:
        The covariate's column, or ``None``.
    rows:
        Data rows read.
    """

    source: str
    variant_column: str
    unit_column: str
    variants: tuple[str, ...]
    control: str
    metrics: tuple[str, ...]
    unit_variant: np.ndarray
    sums: np.ndarray
    events: np.ndarray
    covariate: np.ndarray | None
    covariate_column: str | None
    rows: int

    @property
    def clustered(self) -> bool:
        """Whether some unit has more than one row (the metrics are then per-event ratios)."""
        return bool((self.events > 1).any())


def _columns_iv(names: Sequence[str], wanted: dict[str, str], filename: str) -> None:
    """Refuse a file without one of the columns asked for, listing the columns it has."""
    for column, role in wanted.items():
        if column not in names:
            raise EvaluationError(f"{filename}: no column {quote(column)} (the {role}); the columns are "
                                  f"{format_names(list(names))}", file=filename, column=column)


def _options_iv(variant_column: str, unit_column: str, metrics: Sequence[str], covariate: str | None) -> None:
    """Refuse metrics named twice and a column asked to play two roles."""
    if not metrics:
        raise EvaluationError("name at least one metric column (--metric)")
    repeated = sorted({m for m in metrics if list(metrics).count(m) > 1})
    if repeated:
        raise EvaluationError(f"metric {quote(repeated[0])} is named twice; name each metric column once")
    roles = {variant_column: "the variant column", unit_column: "the unit column"}
    if variant_column == unit_column:
        raise EvaluationError(f"column {quote(variant_column)} cannot be both the variant column and the unit column")
    for column in [*metrics, *([covariate] if covariate is not None else [])]:
        if column in roles:
            raise EvaluationError(f"column {quote(column)} is {roles[column]}; it cannot also be a metric or the covariate")
    if covariate is not None and covariate in metrics:
        raise EvaluationError(f"column {quote(covariate)} is a metric; the covariate must be a pre-period column")


def _names(table: pa.Table, column: str, numbers: np.ndarray, filename: str, what: str) -> tuple[np.ndarray, list[str]]:
    """Codes of a column's values as text, and the distinct values in sorted order; refuses missing values."""
    try:
        text = id_text(table.column(column))
    except (pa.ArrowException, TypeError) as error:
        raise EvaluationError(f"{filename}: column {quote(column)} cannot be read as {what}s ({clip(str(error))}); "
                              f"expected one {what} per row", file=filename, column=column) from None
    if text.null_count:
        missing = text.is_null().to_numpy(zero_copy_only=False)
        raise EvaluationError(f"{filename}: column {quote(column)} has missing values in {rows_text(numbers[missing])}; "
                              f"expected a {what} on every row", file=filename, column=column)
    encoded = pc.dictionary_encode(text)
    values = encoded.dictionary.to_pylist()
    order = sorted(range(len(values)), key=values.__getitem__)
    rank = np.empty(len(values), dtype=np.intp)
    rank[order] = np.arange(len(values))
    return rank[encoded.indices.to_numpy(zero_copy_only=False)], [values[i] for i in order]


def _numbers(table: pa.Table, column: str, numbers: np.ndarray, filename: str, what: str) -> np.ndarray:
    """A numeric column as float64; refuses text, missing and infinite values."""
    values, bad = number_values(table.column(column))
    if bad.any():
        texts = [str(v) for v in table.column(column).take(pa.array(np.flatnonzero(bad)[:5])).to_pylist()]
        raise EvaluationError(f"{filename}: column {quote(column)} holds text that is not a number in "
                              f"{rows_text(numbers[bad])}: {format_examples(texts)}; expected {what}",
                              file=filename, column=column)
    missing = ~np.isfinite(values)
    if missing.any():
        kind = "missing" if np.isnan(values[missing]).all() else "missing or infinite"
        raise EvaluationError(f"{filename}: column {quote(column)} has {kind} values in {rows_text(numbers[missing])}; "
                              f"expected {what} on every row", file=filename, column=column)
    return values


def _one_variant_per_unit(unit: np.ndarray, variant: np.ndarray, first: np.ndarray, unit_names: list[str],
                          variant_names: list[str], filename: str, columns: tuple[str, str]) -> None:
    """Refuse a unit seen in two variants, naming the first such unit, its two variants and two of its rows."""
    moved = np.flatnonzero(variant != variant[first[unit]])
    if moved.size == 0:
        return
    row = int(moved[0])
    u = int(unit[row])
    units = np.unique(unit[moved]).size
    more = f"; {units:,} units in all are in more than one variant" if units > 1 else ""
    raise EvaluationError(
        f"{filename}: columns {quote(columns[0])} and {quote(columns[1])}: unit {clip(unit_names[u])} appears in variants "
        f"{clip(variant_names[variant[first[u]]])} and {clip(variant_names[variant[row]])} in rows {first[u] + 1} and "
        f"{row + 1}; expected each unit in one variant (row 1 is the first data row{more})", file=filename, column=columns[0])


def _control(variants: list[str], control: str | None, filename: str, column: str) -> str:
    """The control: the one named, else the variant named ``control`` (any case), else the first in sorted order."""
    if control is not None:
        if control not in variants:
            raise EvaluationError(f"{filename}: the control {quote(control)} is not a variant in column {quote(column)}; "
                                  f"the variants are {format_names(variants)}", file=filename, column=column)
        return control
    named = [v for v in variants if v.lower() == CONTROL_NAME]
    return named[0] if len(named) == 1 else variants[0]


def read_experiment(source: Source, *, variant_column: str, unit_column: str, metrics: Sequence[str],
                    control: str | None = None, covariate: str | None = None,
                    limits: Limits | None = None) -> Experiment:
    """Read and check an experiment's file, aggregating every metric per unit.

    Parameters
    ----------
    source:
        A path, bytes, or a ``(filename, bytes)`` pair; CSV, TSV, Parquet or JSON Lines, optionally gzipped.
    variant_column, unit_column:
        The column naming each row's variant, and the column naming its unit (the randomised unit).
    metrics:
        Numeric columns (0/1 for a conversion); a unit's value is the sum over its rows.
    control:
        The control variant; by default the variant named ``control`` (in any case), else the first in sorted order.
    covariate:
        A pre-period column for CUPED, the same number on every row of a unit.
    limits:
        Limits on the file (see :class:`~evaluation.Limits`).

    Returns
    -------
    Experiment

    Raises
    ------
    EvaluationError
        A missing column, a missing variant or unit, a value that is not a number, a unit in two variants,
        fewer than two variants or a variant with fewer than two units, a covariate that differs between
        the rows of a unit, an unknown control.

    Examples
    --------
    >>> rows = b"user,arm,clicks\\nu1,A,1\\nu1,A,0\\nu2,A,1\\nu3,B,0\\nu4,B,1\\n"
    >>> data = read_experiment(("ab.csv", rows), variant_column="arm", unit_column="user", metrics=["clicks"])
    >>> data.variants, data.control, data.events.tolist(), data.sums[:, 0].tolist()
    (('A', 'B'), 'A', [2, 1, 1, 1], [1.0, 1.0, 0.0, 1.0])
    """
    _options_iv(variant_column, unit_column, metrics, covariate)
    filename = source_name(source)
    wanted = {variant_column: "variant column", unit_column: "unit column",
              **{m: "metric" for m in metrics}, **({covariate: "covariate"} if covariate is not None else {})}

    def text_columns(names: list[str]) -> list[str]:
        _columns_iv(names, wanted, filename)
        return [variant_column, unit_column]  # names, not numbers: unit 007 keeps its zeros

    table = read_table(source, filename=filename, text_columns=text_columns, limits=limits)
    _columns_iv(table.column_names, wanted, filename)  # JSON Lines: no header to check before reading
    numbers = np.arange(1, table.num_rows + 1)
    variant, variant_names = _names(table, variant_column, numbers, filename, "variant name")
    unit, unit_names = _names(table, unit_column, numbers, filename, "unit")
    n_units = len(unit_names)
    first = np.full(n_units, table.num_rows, dtype=np.intp)
    np.minimum.at(first, unit, np.arange(table.num_rows))  # each unit's first row
    _one_variant_per_unit(unit, variant, first, unit_names, variant_names, filename, (unit_column, variant_column))
    if len(variant_names) < 2:
        raise EvaluationError(f"{filename}: column {quote(variant_column)} holds one variant ({clip(variant_names[0])}); "
                              "expected two or more, one of them the control", file=filename, column=variant_column)
    unit_variant = variant[first]
    per_variant = np.bincount(unit_variant, minlength=len(variant_names))
    if (per_variant < 2).any():
        small = int(np.flatnonzero(per_variant < 2)[0])
        raise EvaluationError(f"{filename}: variant {clip(variant_names[small])} in column {quote(variant_column)} has "
                              f"{int(per_variant[small])} unit; expected at least two units in every variant, so that "
                              "their spread can be measured", file=filename, column=variant_column)
    chosen = _control(variant_names, control, filename, variant_column)
    sums = np.empty((n_units, len(metrics)))
    for j, metric in enumerate(metrics):
        values = _numbers(table, metric, numbers, filename, "a number (0 or 1 for a conversion)")
        sums[:, j] = np.bincount(unit, weights=values, minlength=n_units)
    pre = None
    if covariate is not None:
        values = _numbers(table, covariate, numbers, filename, "the unit's pre-period value (0 for a new unit)")
        pre = values[first]
        differs = values != pre[unit]
        if differs.any():
            raise EvaluationError(f"{filename}: column {quote(covariate)} differs between the rows of a unit in "
                                  f"{rows_text(numbers[differs])}; expected one pre-period value per unit, the same on "
                                  f"each of its rows (unit {clip(unit_names[int(unit[differs][0])])} first)",
                                  file=filename, column=covariate)
        if np.ptp(pre) == 0:
            raise EvaluationError(f"{filename}: column {quote(covariate)} has the same value for every unit; a covariate "
                                  "must vary between units to reduce variance", file=filename, column=covariate)
    return Experiment(
        source=filename, variant_column=variant_column, unit_column=unit_column, variants=tuple(variant_names),
        control=chosen, metrics=tuple(metrics), unit_variant=unit_variant, sums=sums,
        events=np.bincount(unit, minlength=n_units), covariate=pre, covariate_column=covariate, rows=table.num_rows)
