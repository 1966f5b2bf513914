"""Finding the id, label, prediction, probability, split and timestamp columns by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ._data import ColumnMapping
from ._errors import EvaluationError

__all__ = ["ALIASES", "PROBABILITY_PREFIXES", "detect_columns"]

ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "example_id", "sample_id", "uid", "guid", "row_id", "idx"),
    "label": ("label", "y_true", "true_label", "target", "gold", "gold_label", "ground_truth", "truth", "actual",
              "y"),
    "prediction": ("prediction", "pred", "y_pred", "predicted", "predicted_label", "pred_label"),
    "score": ("score", "y_score", "prob", "proba", "probability", "positive_score", "y_prob"),
    "split": ("split", "subset", "partition", "data_split"),
    "timestamp": ("timestamp", "time", "datetime", "date", "created_at"),
}
"""Accepted names of each role, matched case-insensitively."""

PROBABILITY_PREFIXES: tuple[str, ...] = ("prob_", "proba_", "probability_", "p_", "score_")
"""Prefixes of per-class probability columns: ``prob_<class>`` and so on."""


def _find(columns: Sequence[str], role: str, taken: set[str]) -> str | None:
    """The first column whose lower-cased name is an alias of ``role``."""
    lowered = {column.lower(): column for column in reversed(columns) if column not in taken}
    for alias in ALIASES[role]:
        if alias in lowered:
            return lowered[alias]
    return None


def _probability_columns(columns: Sequence[str], taken: set[str]) -> dict[str, str]:
    """``prob_<class>`` columns of the first prefix family present (class part kept as written)."""
    for prefix in PROBABILITY_PREFIXES:
        found = {column[len(prefix):]: column for column in columns
                 if column.lower().startswith(prefix) and len(column) > len(prefix) and column not in taken}
        if found:
            return found
    return {}


def detect_columns(columns: Sequence[str], mapping: ColumnMapping, *, filename: str = "the file") -> ColumnMapping:
    """Resolve every role left ``None`` in ``mapping`` by name; check the names given explicitly.

    Parameters
    ----------
    columns:
        The file's column names.
    mapping:
        Explicit names; ``None`` roles are detected.
    filename:
        For messages.

    Returns
    -------
    ColumnMapping
        Every role resolved (``None`` where the file has no such column); ``metadata`` lists every
        column not used by another role unless given.

    Raises
    ------
    EvaluationError
        When an explicit column does not exist or no label column is found.

    Examples
    --------
    >>> m = detect_columns(["ID", "y_true", "pred", "prob_a", "prob_b", "city"], ColumnMapping())
    >>> (m.id, m.label, m.prediction, dict(m.probabilities), m.metadata)
    ('ID', 'y_true', 'pred', {'a': 'prob_a', 'b': 'prob_b'}, ('city',))
    """
    columns = [str(column) for column in columns]
    found = ", ".join(columns) if columns else "none"
    explicit = {role: getattr(mapping, role) for role in ("id", "label", "prediction", "score", "split", "timestamp")}
    named = [name for name in explicit.values() if name is not None]
    named += list((mapping.probabilities or {}).values()) + list(mapping.metadata or ())
    for name in named:
        if name not in columns:
            raise EvaluationError(f"{filename}: there is no column {name!r}; the columns found are: {found}.",
                                  file=filename, column=name)
    taken = set(named)
    resolved: dict[str, str | None] = {}
    for role in ("label", "prediction", "id", "split", "timestamp"):
        resolved[role] = explicit[role] or _find(columns, role, taken)
        if resolved[role]:
            taken.add(str(resolved[role]))
    if resolved["label"] is None:
        raise EvaluationError(
            f"{filename}: no column holds the true labels. Expected a column named one of "
            f"{', '.join(ALIASES['label'])} (or name it with --label-column); the columns found are: {found}.",
            file=filename)
    probabilities = dict(mapping.probabilities) if mapping.probabilities else _probability_columns(columns, taken)
    taken |= set(probabilities.values())
    score = explicit["score"] or (None if probabilities else _find(columns, "score", taken))
    if score:
        taken.add(score)
    metadata = mapping.metadata if mapping.metadata is not None else tuple(c for c in columns if c not in taken)
    return replace(mapping, id=resolved["id"], label=resolved["label"], prediction=resolved["prediction"], score=score,
                   probabilities=probabilities or None, split=resolved["split"], timestamp=resolved["timestamp"],
                   metadata=tuple(metadata))
