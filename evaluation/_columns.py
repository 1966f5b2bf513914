"""Finding each column's role by name, and the one spelling of every class label.

Roles are matched case-insensitively against :data:`ALIASES`; per-class probability columns are
``<prefix><class>`` for one prefix of :data:`PROBABILITY_PREFIXES`. Labels are text: ``"1"``, ``1`` and
``1.0`` are the class ``"1"``. Reading the columns' values is :mod:`evaluation._values`'.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

import numpy as np

from ._data import ColumnMapping
from ._errors import EvaluationError, format_examples, quote

__all__ = [
    "ALIASES",
    "PROBABILITY_PREFIXES",
    "class_of_probability_column",
    "detect_columns",
    "label_or_none",
    "normalize_label",
    "sort_labels",
]

ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "example_id", "sample_id", "uid", "guid", "row_id", "idx"),
    "label": ("label", "y_true", "true_label", "target", "gold", "gold_label", "ground_truth", "truth", "actual", "y"),
    "prediction": ("prediction", "pred", "y_pred", "predicted", "predicted_label", "pred_label"),
    "score": ("score", "y_score", "prob", "proba", "probability", "positive_score", "y_prob"),
    "split": ("split", "subset", "partition", "data_split"),
    "timestamp": ("timestamp", "time", "datetime", "date", "created_at"),
}
"""Accepted names of each role, matched case-insensitively, first alias first."""

PROBABILITY_PREFIXES: tuple[str, ...] = ("prob_", "proba_", "probability_", "p_", "score_")
"""Prefixes of per-class probability columns (``prob_<class>``); one family per file."""

# ``p_value`` or ``score_model`` alone are not probability columns: these prefixes need two columns.
_AMBIGUOUS_PREFIXES = ("p_", "score_")
_ROLES = ("label", "prediction", "id", "split", "timestamp")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_LISTED = 20  # columns listed in a message
_DIGITS = 4000  # integral labels with more digits keep an exponent (Python refuses to print longer integers)


def _key(name: str) -> str:
    """A column name as compared with aliases."""
    return name.strip().lower()


def _resolve(name: str, columns: Sequence[str], role: str, filename: str | None) -> str:
    """The column an explicit name refers to (exact, else the one case-insensitive match)."""
    if name in columns:
        return name
    matches = [column for column in columns if _key(column) == _key(name)]
    if len(matches) == 1:
        return matches[0]
    where = f"{filename}: " if filename else ""
    raise EvaluationError(f"{where}the {role} column {quote(name)} was not found; the columns found are: "
                          f"{format_examples(columns, limit=_LISTED) or 'none'}", file=filename, column=name)


def _find(columns: Sequence[str], role: str, taken: set[str]) -> str | None:
    """The first free column whose name is an alias of ``role``, aliases in order of preference."""
    free = [column for column in columns if column not in taken]
    for alias in ALIASES[role]:
        for column in free:
            if _key(column) == alias:
                return column
    return None


def _class_after(prefix: str, column: str) -> str | None:
    """The class a column names after ``prefix`` (``prob_cat`` -> ``cat``), or ``None`` without that prefix."""
    name = column.strip()
    if _key(column).startswith(prefix) and len(name) > len(prefix):
        return name[len(prefix):]
    return None


def class_of_probability_column(column: str) -> str:
    """Return the class a per-class probability column stands for: its name after a :data:`PROBABILITY_PREFIXES` prefix.

    The rule column detection uses; a name without such a prefix is its own class.

    Examples
    --------
    >>> class_of_probability_column("prob_3"), class_of_probability_column(" Proba_cat "), class_of_probability_column("dog")
    ('3', 'cat', 'dog')
    """
    for prefix in PROBABILITY_PREFIXES:
        if (label := _class_after(prefix, column)) is not None:
            return label
    return column.strip()


def _probability_columns(columns: Sequence[str], taken: set[str]) -> dict[str, str]:
    """Class (as written) -> column, for the first prefix family present."""
    for prefix in PROBABILITY_PREFIXES:
        found = {label: column for column in columns
                 if column not in taken and (label := _class_after(prefix, column)) is not None}
        if len(found) >= (2 if prefix in _AMBIGUOUS_PREFIXES else 1):
            return found
    return {}


def detect_columns(
    column_names: Sequence[str], mapping: ColumnMapping | None = None, *, filename: str | None = None
) -> ColumnMapping:
    """Resolve every role left ``None`` in ``mapping`` by name, keeping (and checking) explicit names.

    Parameters
    ----------
    column_names:
        The file's column names.
    mapping:
        Explicit names; roles left ``None`` are detected by :data:`ALIASES` and
        :data:`PROBABILITY_PREFIXES`. A ``score`` column is only detected when there are no
        per-class probability columns.
    filename:
        The file, for messages.

    Returns
    -------
    ColumnMapping
        Every role resolved (``None`` where the file has no such column); ``metadata`` is every
        column not used by another role unless given. The timestamp column is not repeated there.

    Raises
    ------
    EvaluationError
        When an explicit column does not exist, one column is given two roles, or no label column
        is found (the message lists the columns found and the accepted names).

    Examples
    --------
    >>> m = detect_columns(["ID", "y_true", "pred", "prob_a", "prob_b", "city"], ColumnMapping())
    >>> (m.id, m.label, m.prediction, dict(m.probabilities), m.metadata)
    ('ID', 'y_true', 'pred', {'a': 'prob_a', 'b': 'prob_b'}, ('city',))
    """
    columns = [str(column) for column in column_names]
    mapping = mapping or ColumnMapping()
    where = f"{filename}: " if filename else ""
    resolved: dict[str, str | None] = {}
    taken: dict[str, str] = {}
    for role in (*_ROLES, "score"):
        name = getattr(mapping, role)
        resolved[role] = None if name is None else _resolve(name, columns, role, filename)
    probabilities = ({str(k): _resolve(v, columns, "probability", filename) for k, v in mapping.probabilities.items()}
                     if mapping.probabilities else None)
    for role, column in [*resolved.items(), *((f"probability of {quote(k)}", v) for k, v in (probabilities or {}).items())]:
        if column is None:
            continue
        if column in taken:
            raise EvaluationError(f"{where}column {quote(column)} is given both as the {taken[column]} and the {role} "
                                  "column; give each role its own column", file=filename, column=column)
        taken[column] = role
    if probabilities and resolved["score"]:
        raise EvaluationError(f"{where}give either a score column or per-class probability columns, not both",
                              file=filename, column=resolved["score"])
    used = set(taken)
    for role in _ROLES:
        if resolved[role] is None and (found := _find(columns, role, used)):
            resolved[role] = found
            used.add(found)
    if resolved["label"] is None:
        raise EvaluationError(
            f"{where}no column holds the true labels. Expected a column named one of "
            f"{', '.join(ALIASES['label'])} (any case), or name it explicitly (CLI --label-column); the columns found "
            f"are: {format_examples(columns, limit=_LISTED) or 'none'}", file=filename)
    if probabilities is None and resolved["score"] is None:
        probabilities = _probability_columns(columns, used) or None
        used |= set((probabilities or {}).values())
        if probabilities is None and (found := _find(columns, "score", used)):
            resolved["score"] = found
    used |= {column for column in resolved.values() if column}
    metadata = (tuple(_resolve(c, columns, "metadata", filename) for c in mapping.metadata)
                if mapping.metadata is not None else tuple(c for c in columns if c not in used))
    return replace(mapping, probabilities=probabilities, metadata=metadata, **resolved)


def label_or_none(value: object) -> str | None:
    """The class name of one value, or ``None`` when it is missing."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        return str(int(number)) if number.is_integer() else repr(number)
    text = str(value).strip()
    if not text:
        return None
    if _INTEGER.fullmatch(text):  # str(int(text)) without the conversion, which refuses thousands of digits
        digits = text.lstrip("+-").lstrip("0") or "0"
        return "-" + digits if text[0] == "-" and digits != "0" else digits
    if _NUMBER.fullmatch(text):
        try:
            exact = Decimal(text)
            if exact != exact.to_integral_value():
                return repr(float(text))
            return str(int(exact)) if exact.adjusted() < _DIGITS else f"{exact.normalize():E}"
        except ArithmeticError:  # an exponent beyond decimal's range: kept as written
            return text
    return text


def normalize_label(value: object) -> str:
    """Return the class name of a label: ``"1"``, ``1`` and ``1.0`` are all ``"1"``; whitespace is stripped.

    Parameters
    ----------
    value:
        A label as read from a file (text, integer, float or boolean).

    Returns
    -------
    str
        Integral numbers without decimals, other numbers as Python prints them, text stripped;
        ``""`` for a missing value.

    Examples
    --------
    >>> [normalize_label(v) for v in ("1", 1, 1.0, " cat ", "2.50", True, "007")]
    ['1', '1', '1', 'cat', '2.5', 'True', '7']
    """
    return label_or_none(value) or ""


def sort_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """Return labels sorted numerically when every one is a number, else as text.

    Examples
    --------
    >>> sort_labels(["10", "2", "1"]), sort_labels(["b", "10", "a"])
    (('1', '2', '10'), ('10', 'a', 'b'))
    """
    unique = set(labels)
    if all(_NUMBER.fullmatch(label) for label in unique):
        return tuple(sorted(unique, key=Decimal))
    return tuple(sorted(unique))


