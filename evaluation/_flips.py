"""Flips: the examples one model gets right and the other wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._data import ClassificationData
from ._results import FlipCounts, Flips, SliceFlips
from ._slices import SliceColumn

__all__ = ["IMPROVEMENT", "REGRESSION", "flip_table", "flips"]

REGRESSION = "regression"
IMPROVEMENT = "improvement"


def _masks(data: ClassificationData, baseline: str, candidate: str) -> tuple[np.ndarray, np.ndarray]:
    """(regressed, improved): baseline right and candidate wrong; and the reverse."""
    base_right = data.model(baseline).y_pred == data.y_true
    cand_right = data.model(candidate).y_pred == data.y_true
    return base_right & ~cand_right, cand_right & ~base_right


def flips(
    data: ClassificationData, baseline: str, candidate: str, *, slices: dict[str, SliceColumn], max_ids: int
) -> Flips:
    """Count and list the flipped examples, overall, per true class and per slice.

    Parameters
    ----------
    data:
        The aligned data.
    baseline, candidate:
        Model names.
    slices:
        Column -> slices (:func:`evaluation._slices.slice_columns`).
    max_ids:
        At most this many ids of each kind are listed.
    """
    regressed, improved = _masks(data, baseline, candidate)
    k = len(data.classes)

    def counted(codes: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
        return np.bincount(codes[mask], weights=data.count(mask), minlength=size).round().astype(np.int64)

    regressed_by_class, improved_by_class = counted(data.y_true, regressed, k), counted(data.y_true, improved, k)
    by_slice = []
    for column, cut in slices.items():
        regressed_in = counted(cut.codes, regressed, len(cut.values))
        improved_in = counted(cut.codes, improved, len(cut.values))
        by_slice += [SliceFlips(column=column, value=value, regressions=int(regressed_in[i]),
                                improvements=int(improved_in[i])) for i, value in enumerate(cut.values)]
    regressions, improvements = int(data.count(regressed).sum()), int(data.count(improved).sum())
    return Flips(
        regressions=regressions,
        improvements=improvements,
        by_class={label: FlipCounts(int(regressed_by_class[i]), int(improved_by_class[i]))
                  for i, label in enumerate(data.classes)},
        by_slice=tuple(by_slice),
        regression_ids=_first_ids(data, regressed, max_ids),
        improvement_ids=_first_ids(data, improved, max_ids),
        ids_truncated=regressions > max_ids or improvements > max_ids,
    )


def _first_ids(data: ClassificationData, mask: np.ndarray, max_ids: int) -> tuple[str, ...]:
    """The first ``max_ids`` ids where ``mask`` holds, in text order (so the list does not depend on the files' row
    order, and an engine lists the same from its cells' first ids); none for a cell table's cells."""
    if data.weights is None:
        return tuple(sorted(str(i) for i in data.ids[mask])[:max_ids])
    if data.cell_ids is None:
        return ()
    return tuple(sorted({i for cell in np.flatnonzero(mask) for i in data.cell_ids.ids[cell]})[:max_ids])


def flip_table(data: ClassificationData, baseline: str, candidate: str) -> pd.DataFrame:
    """Every flipped example as a row: id, kind, true label, both predictions and confidences, metadata.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``kind`` (``"regression"`` or ``"improvement"``), ``label``,
        ``baseline_prediction``, ``candidate_prediction``, ``baseline_confidence`` and
        ``candidate_confidence`` (probability given to the predicted class, when available), then
        the metadata columns; regressions first.
    """
    if data.changed_rows is not None:  # an engine's cells: the rows are read where the files lie
        return data.changed_rows(baseline, candidate)
    regressed, improved = _masks(data, baseline, candidate)
    rows = np.concatenate([np.flatnonzero(regressed), np.flatnonzero(improved)])
    classes = np.asarray(data.classes, dtype=object)
    base, cand = data.model(baseline), data.model(candidate)
    table = pd.DataFrame({
        "id": data.ids[rows],
        "kind": [REGRESSION] * int(regressed.sum()) + [IMPROVEMENT] * int(improved.sum()),
        "label": classes[data.y_true[rows]],
        "baseline_prediction": classes[base.y_pred[rows]],
        "candidate_prediction": classes[cand.y_pred[rows]],
    })
    for column, model in (("baseline_confidence", base), ("candidate_confidence", cand)):
        if model.y_score is not None:
            table[column] = model.y_score[rows, model.y_pred[rows]]
    metadata = data.metadata.iloc[rows].reset_index(drop=True)
    for column in metadata.columns:
        if column not in table.columns:
            table[column] = metadata[column].to_numpy()
    return table
