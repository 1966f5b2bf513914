"""Every changed example's row between two models, read where the files lie (``compare --flips-out`` with
``--engine duckdb`` or ``--engine spark``).

A cell holds counts, not rows, so the engines' classification data carries a query instead
(:attr:`evaluation._data.ClassificationData.changed_rows`): the files joined on their ids as the cell query joins
them, keeping the examples (in every file) whose two models' predictions differ, with the first file's place of
each row, the true label, both predictions, each class's probability and every metadata column (each from the first
file that has it, as the local loader takes it). Python then keeps the examples one model gets right and the other
wrong, as :func:`evaluation._flips.flip_table` does from examples: regressions first, each kind in the first file's
row order, labels and predictions as the local loader names the classes, the confidence the probability of the
predicted class. The rows come to memory, one pair of models at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ._columns import normalize_label
from ._flips import IMPROVEMENT, REGRESSION
from ._sql_engine import SQLBackend, _File, _joined, _label_text, _Losses

__all__ = ["changed_rows"]


def _metadata_columns(files: Sequence[_File]) -> list[tuple[int, str]]:
    """(file, column) of every metadata column, each from the first file that has it; lists and records, which the
    local loader leaves out, are left out."""
    first: dict[str, int] = {}
    for i, f in enumerate(files):
        for column in f.columns.metadata or ():
            if f.kinds.get(column) != "other":
                first.setdefault(column, i)
    return [(i, column) for column, i in first.items()]


def changed_rows(backend: SQLBackend, files: Sequence[_File], losses: Sequence[_Losses | None],
                 classes: Sequence[str]) -> Callable[[str, str], pd.DataFrame]:
    """The query of every changed example's row between two models named as ``files`` name them (the files as the
    cell query read them: after the training rows and excluded ids were left out)."""
    names = [f.name for f in files]

    def table(baseline: str, candidate: str) -> pd.DataFrame:
        return _flip_table(backend, files, losses, classes, names.index(baseline), names.index(candidate))

    return table


def _flip_table(backend: SQLBackend, files: Sequence[_File], losses: Sequence[_Losses | None],
                classes: Sequence[str], b: int, c: int) -> pd.DataFrame:
    """:func:`evaluation._flips.flip_table`'s table for the ``b``-th model against the ``c``-th."""
    loss = [losses[i] if i < len(losses) else None for i in range(len(files))]
    place = backend.place_columns()
    keys = [item.rsplit(" AS ", 1)[1] for item in place]
    metadata = _metadata_columns(files)
    carried: list[list[str]] = [list(place) if i == 0 else [] for i in range(len(files))]
    for j, (i, column) in enumerate(metadata):
        carried[i].append(f"{backend.identifier(column)} AS k{j}")
    rows = _joined(backend, files, {}, loss, carried=carried)
    predicted = [rows.predicted[b], rows.predicted[c]]
    compared = predicted if rows.alike else [f"CAST({p} AS STRING)" for p in predicted]
    items = [f"{rows.text('m0.id')} AS id", f"{rows.labels[0]} AS label", f"{predicted[0]} AS pb", f"{predicted[1]} AS pc"]
    scored = [i for i in (b, c) if loss[i] is not None]
    for i in scored:
        values = loss[i]
        assert values is not None
        items += [f"{values.value[k]} AS p{i}_{position}" for position, k in enumerate(classes)]
    items += [f"m{i}.k{j} AS k{j}" for j, (i, _) in enumerate(metadata)]
    present = " AND ".join(f"m{i}.id IS NOT NULL" for i in range(len(files)))
    found = backend.ordered_table(
        f"WITH {', '.join(rows.parts)} SELECT {', '.join(items)} FROM {rows.joined} WHERE {present} AND "
        f"{compared[0]} IS DISTINCT FROM {compared[1]} ORDER BY {', '.join(f'm0.{key}' for key in keys)}")
    frame = found.to_pandas()

    def named(column: str) -> np.ndarray:
        return np.array([normalize_label(v) for v in _label_text(frame[column]).to_pylist()], dtype=object)

    y, base, cand = named("label"), named("pb"), named("pc")
    regressed, improved = (base == y) & (cand != y), (base != y) & (cand == y)
    rows_of = np.concatenate([np.flatnonzero(regressed), np.flatnonzero(improved)])
    table = pd.DataFrame({
        "id": frame["id"].astype(str).to_numpy(dtype=object)[rows_of],
        "kind": [REGRESSION] * int(regressed.sum()) + [IMPROVEMENT] * int(improved.sum()),
        "label": y[rows_of], "baseline_prediction": base[rows_of], "candidate_prediction": cand[rows_of],
    })
    code = {k: position for position, k in enumerate(classes)}
    for column, i, chosen in (("baseline_confidence", b, base), ("candidate_confidence", c, cand)):
        if i in scored:
            probabilities = frame[[f"p{i}_{position}" for position in range(len(classes))]].to_numpy(dtype=float)
            table[column] = probabilities[rows_of, [code[k] for k in chosen[rows_of]]]
    for j, (_, column) in enumerate(metadata):
        if column not in table.columns:
            table[column] = frame[f"k{j}"].to_numpy()[rows_of]
    return table
