"""Typed, trusted objects produced by loading and validation.

Everything behind the loading edge (metrics, resampling, reports) assumes these hold valid data:
aligned rows, one label set for every model, integer-coded labels, probabilities in [0, 1] whose rows
sum to 1 within the loading tolerance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

from ._limits import Limits

if TYPE_CHECKING:
    import pandas as pd

    from ._cell_losses import LossSums
    from ._cell_scores import CellScores
    from ._slices import SliceColumn

__all__ = ["CellIds", "ClassificationData", "ColumnMapping", "LoadOptions", "ModelData"]


@dataclass(frozen=True)
class ColumnMapping:
    """Which column holds what. ``None`` means "detect it by name".

    Attributes
    ----------
    id, label, prediction:
        Example id, true label, predicted label.
    score:
        Binary tasks: the single positive-class probability column.
    probabilities:
        Class label (as a string) -> column holding that class's probability.
    split, timestamp:
        Optional columns with those roles (``split`` rows equal to train/training are refused).
    metadata:
        Columns to slice by; ``None`` means every column not used above.
    """

    id: str | None = None
    label: str | None = None
    prediction: str | None = None
    score: str | None = None
    probabilities: Mapping[str, str] | None = None
    split: str | None = None
    timestamp: str | None = None
    metadata: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LoadOptions:
    """Options that govern how prediction files are read, checked and paired.

    Attributes
    ----------
    mapping:
        Explicit column names; anything left ``None`` is detected.
    positive_label:
        Binary tasks: the positive class. ``None`` picks ``1``/``true``/``yes``/``positive``/``pos``
        when present, else the second class in sorted order (with a warning).
    threshold:
        Binary tasks without a prediction column: predict positive when ``score >= threshold``.
    labels:
        A declared label set; ``None`` uses the union of true labels, predictions and probability
        columns of every file.
    class_order:
        The order of the classes in every table, chart and report: these classes first, in this
        order, then any other class in sorted order; ``None``: sorted. Each must be a class.
    shared_ids_only:
        Evaluate only ids present in every file instead of refusing files whose ids differ.
    exclude_ids:
        Ids left out after pairing (the test examples found in the training data, say); a warning counts them.
    drop_train_rows:
        Drop rows whose ``split`` is train/training (with a warning) instead of refusing the file.
    probability_tolerance:
        How far a row of class probabilities may sum from 1 before it is refused. Accepted rows are
        used as given (as scikit-learn does), not renormalised.
    limits:
        Limits on each file's bytes, rows, classes, metadata columns, label and field lengths (see
        :class:`~evaluation.Limits`; for uploads to the dashboard, :data:`~evaluation.DASHBOARD_LIMITS`). A
        mapping of its fields, as JSON gives it back, is accepted too.
    """

    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    positive_label: str | None = None
    threshold: float = 0.5
    labels: tuple[str, ...] | None = None
    class_order: tuple[str, ...] | None = None
    shared_ids_only: bool = False
    exclude_ids: tuple[str, ...] = ()
    drop_train_rows: bool = False
    probability_tolerance: float = 1e-3
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.limits is None:
            object.__setattr__(self, "limits", Limits())
        elif isinstance(self.limits, Mapping):  # options read back from JSON (a shared or cached comparison)
            known = {f.name for f in fields(Limits)}
            object.__setattr__(self, "limits", Limits(**{k: v for k, v in self.limits.items() if k in known}))


@dataclass(frozen=True)
class ModelData:
    """One model version's aligned predictions.

    Attributes
    ----------
    name:
        The model's name (file name without extension unless given).
    source:
        The file it came from, for messages.
    y_pred:
        ``(n,)`` integer codes into :attr:`ClassificationData.classes`.
    y_score:
        ``(n, k)`` class probabilities in the order of ``classes`` (rows sum to 1 within the
        loading tolerance), or ``None``
        when the file has none. A binary file's single score ``s`` becomes ``[1 - s, s]``.
    columns:
        The columns used for this file, as detected or given.
    """

    name: str
    source: str
    y_pred: np.ndarray
    y_score: np.ndarray | None
    columns: ColumnMapping


@dataclass(frozen=True)
class CellIds:
    """The ids an engine keeps of its cells' examples: enough to list the first changed examples of any pair of
    models in text order (:func:`evaluation._flips.flips`)."""

    ids: tuple[tuple[str, ...], ...]
    """Per cell, the first ids in text order, at most :attr:`limit`, of its examples (or of all the examples with its
    label and predictions, whatever their slices); none where every model predicts alike."""
    limit: int
    """The most ids kept of a cell: a pair's list is complete up to this many."""


@dataclass(frozen=True)
class ClassificationData:
    """Aligned, validated data for a classification comparison.

    Attributes
    ----------
    task:
        ``"binary"`` or ``"multiclass"``.
    classes:
        The one label set every model is scored on, as strings, in sorted order (numerically when
        every label is a number).
    positive_label:
        Binary tasks: the positive class (an element of ``classes``); ``None`` for multiclass.
    ids:
        ``(n,)`` example ids as strings (row numbers, as strings, when the files have no ids).
    y_true:
        ``(n,)`` integer codes into ``classes``.
    models:
        Every model version, in the order given; the first is the default baseline.
    metadata:
        ``n`` rows of slicing columns, aligned with ``ids`` (index 0..n-1).
    warnings:
        Things the user must know about the input (for example pairing by row order).
    weights:
        ``None``: each row is one example. Else the rows are the cells of a cell table (``docs/scale.md``): each
        row stands for ``weights[i]`` examples with its label, predictions and slices; the models then have no
        probabilities, :attr:`ids` hold no example ids, and :attr:`slices` gives the slices.
    slices:
        The slices of each metadata column, cut already (a cell table's); ``None``: cut from :attr:`metadata`.
    losses:
        A cell table's summed per-example log losses and Brier scores (:class:`~evaluation._cell_losses.LossSums`),
        or ``None``.
    scores:
        An engine's counts and sums for the metrics that rank or bin the scores (ROC AUC, average precision, ECE,
        the curves: :class:`~evaluation._cell_scores.CellScores`), or ``None``.
    cell_ids:
        An engine's cells: each cell's first ids in text order (:class:`CellIds`), from which the changed examples'
        ids are listed; ``None``: the rows are examples, or a cell table's cells, which hold no ids.
    changed_rows:
        An engine's query of every changed example's row between two models (names: baseline, candidate), as
        :func:`evaluation._flips.flip_table` gives them from examples (``--flips-out``); ``None`` otherwise.
    """

    task: str
    classes: tuple[str, ...]
    positive_label: str | None
    ids: np.ndarray
    y_true: np.ndarray
    models: tuple[ModelData, ...]
    metadata: pd.DataFrame
    warnings: tuple[str, ...] = ()
    weights: np.ndarray | None = None
    slices: Mapping[str, SliceColumn] | None = None
    losses: LossSums | None = None
    scores: CellScores | None = None
    cell_ids: CellIds | None = None
    changed_rows: Callable[[str, str], pd.DataFrame] | None = field(default=None, compare=False, repr=False)

    @property
    def n_examples(self) -> int:
        """Number of aligned examples."""
        return int(self.y_true.shape[0]) if self.weights is None else int(self.weights.sum())

    def count(self, mask: np.ndarray | None = None) -> np.ndarray:
        """How many examples each row stands for (one each without :attr:`weights`), where ``mask`` holds."""
        counts = np.ones(self.y_true.shape[0], dtype=np.int64) if self.weights is None else self.weights
        return counts if mask is None else counts[mask]

    @property
    def model_names(self) -> tuple[str, ...]:
        """Model names in the order given (every task's data has this and :attr:`n_examples`)."""
        return tuple(model.name for model in self.models)

    def model(self, name: str) -> ModelData:
        """Return the model called ``name``."""
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(name)
