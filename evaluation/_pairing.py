"""Pairing prediction files by id (or, when no file has ids, by row order).

Files whose ids equal the first file's in the same order need no work; otherwise rows are joined on
64-bit hashes of the ids and the matches confirmed on the text, falling back to Arrow's exact join
when two ids share a hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._errors import EvaluationError, format_examples
from ._prediction_file import PredictionFile, check_unique_ids, count_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["excluded_warnings", "pair_checked", "pair_files", "paired_metadata", "without_ids"]


def pair_files(files: Sequence[PredictionFile], shared_only: bool) -> tuple[np.ndarray, list[np.ndarray | None], list[str]]:
    """The aligned ids and, per file, the rows to take (``None``: all rows in place); warnings."""
    first = files[0]
    with_ids = [f.filename for f in files if f.ids is not None]
    if not with_ids:
        sizes = {f.filename: f.n_rows for f in files}
        if len(set(sizes.values())) > 1:
            raise EvaluationError("no file has an id column, so rows can only be paired by their order, but the files "
                                  "have different numbers of rows (" + ", ".join(f"{k}: {v:,}" for k, v in sizes.items())
                                  + "); expected the same rows in every file, or an id column (id, example_id, ...)")
        warning = ("no file has an id column, so rows were paired by their order in each file; make sure every file "
                   "lists the same examples in the same order (or add an id column)")
        return first.row_numbers.astype(str).astype(object), [None] * len(files), [warning]
    if len(with_ids) != len(files):
        without = [f.filename for f in files if f.ids is None]
        raise EvaluationError(f"{', '.join(without)}: no id column, while {', '.join(with_ids)} has one; expected ids "
                              "in every file (to pair by id) or in none (to pair by row order)", file=without[0])
    reference = first.ids
    assert reference is not None
    first_hashed = check_unique_ids(first)
    takes: list[np.ndarray | None] = [None]
    for f in files[1:]:
        assert f.ids is not None
        if f.ids.equals(reference):  # the same ids in the same order: as unique as the first file's
            takes.append(None)
            continue
        f_hashed = check_unique_ids(f)
        if first_hashed and f_hashed:
            assert f.id_index is not None and first.id_index is not None
            takes.append(_positions(reference, f.ids, first.id_index, f.id_index))
        else:
            takes.append(_exact_positions(reference, f.ids))
    # With unique ids, finding every row of a file of the same length means a permutation.
    lacking = [(f, take) for f, take in zip(files, takes, strict=True)
               if take is not None and (take.shape[0] != f.n_rows or take.min() < 0)]
    if not lacking:
        return reference.to_numpy(zero_copy_only=False), takes, []
    details = "; ".join(_id_difference(first, f, take) for f, take in lacking)
    if not shared_only:
        raise EvaluationError(f"the files do not hold the same examples (ids): {details}. Expected the same ids in every "
                              "file; to evaluate only the ids found in every file, use shared_ids_only=True (CLI "
                              "--shared-ids-only)", file=lacking[0][0].filename, column=lacking[0][0].columns.id)
    in_all = np.logical_and.reduce([take >= 0 for take in takes if take is not None])
    if not in_all.any():
        raise EvaluationError(f"no id is found in every file ({details}); expected prediction files on the same examples")
    keep = np.flatnonzero(in_all)
    warnings = [f"{f.filename}: {f.n_rows - keep.shape[0]:,} of {f.n_rows:,} rows were left out because their ids are "
                "not in every file (shared_ids_only)" for f in files if f.n_rows != keep.shape[0]]
    return (reference.take(pa.array(keep)).to_numpy(zero_copy_only=False),
            [keep if take is None else take[keep] for take in takes], warnings)


def _positions(ids: pa.Array, other: pa.Array, index: pd.Index, other_index: pd.Index) -> np.ndarray:
    """Row of each id in ``other`` (-1 where absent): joined on hashes, confirmed on the text."""
    take = other_index.get_indexer(index)
    found = take >= 0
    if found.all():
        same = pc.all(pc.equal(ids, other.take(pa.array(take)))).as_py()
    else:
        same = pc.all(pc.equal(ids.filter(pa.array(found)), other.take(pa.array(take[found])))).as_py()
    return take if same is not False else _exact_positions(ids, other)  # False: different ids shared a hash


def _exact_positions(ids: pa.Array, other: pa.Array) -> np.ndarray:
    """Row of each id in ``other`` (-1 where absent), by Arrow's exact (slower) hash join on text."""
    found = pc.index_in(ids, value_set=other)
    return (found.fill_null(-1) if found.null_count else found).to_numpy(zero_copy_only=False)


def _id_difference(first: PredictionFile, other: PredictionFile, take: np.ndarray) -> str:
    """``other.csv lacks 3 ids of first.csv (e.g. ...) and has 2 ids first.csv lacks (e.g. ...)``."""
    assert first.ids is not None and other.ids is not None
    absent = first.ids.filter(pa.array(take < 0)).to_pylist()
    extra = other.ids.filter(pc.invert(pc.is_in(other.ids, value_set=first.ids))).to_pylist()
    parts = []
    if absent:
        parts.append(f"lacks {count_text(len(absent), 'id')} of {first.filename} (for example {format_examples(absent)})")
    if extra:
        parts.append(f"has {count_text(len(extra), 'id')} {first.filename} lacks (for example {format_examples(extra)})")
    return f"{other.filename} " + " and ".join(parts)


def without_ids(ids: np.ndarray, takes: list[np.ndarray | None], exclude: Sequence[str], *,
                keys: np.ndarray | None = None) -> tuple[np.ndarray, list[np.ndarray | None], list[str]]:
    """The paired ids and takes without the examples whose id (or ``keys``, one per paired example) is in
    ``exclude`` (``LoadOptions.exclude_ids``), and a warning saying how many were left out.

    >>> ids, takes, said = without_ids(np.array(["a", "b", "c"], dtype=object), [None, np.array([2, 0, 1])], ["b"])
    >>> ids.tolist(), [t.tolist() for t in takes], said
    (['a', 'c'], [[0, 2], [2, 1]], ['1 of 3 examples were left out (their ids were excluded)'])
    """
    if not len(exclude):
        return ids, takes, []
    keep = ~pd.Series(ids if keys is None else keys, dtype=object).astype(str).isin(set(exclude)).to_numpy()
    if keep.all():
        return ids, takes, []
    rows = np.flatnonzero(keep)
    said = excluded_warnings(ids.shape[0] - rows.size, ids.shape[0])
    return ids[rows], [rows if take is None else take[rows] for take in takes], said


def excluded_warnings(left_out: int, total: int) -> list[str]:
    """The warning saying how many of the ``total`` paired examples excluded ids left out (none when none); leaving
    out every one is refused. The local loaders and the engines' say it alike."""
    if not left_out:
        return []
    if left_out == total:
        raise EvaluationError(f"every one of the {total:,} examples is excluded; nothing is left to compare")
    return [f"{left_out:,} of {total:,} examples were left out (their ids were excluded)"]


def pair_checked(files: Sequence[PredictionFile], shared_ids_only: bool) -> tuple[np.ndarray, list[np.ndarray | None], list[str]]:
    """Refuse two files of one model name or a file with repeated ids, then :func:`pair_files` (the tasks
    whose files hold no classes: regression, generation)."""
    model_names = [f.name for f in files]
    if len(set(model_names)) != len(model_names):
        raise EvaluationError(f"two files have the same model name ({', '.join(model_names)}); give distinct names "
                              "(--names)")
    for f in files:
        if f.ids is not None:
            check_unique_ids(f)
    return pair_files(files, shared_ids_only)


def paired_metadata(files: Sequence[PredictionFile], takes: Sequence[np.ndarray | None]) -> pd.DataFrame:
    """Every file's metadata columns in paired order, the first file's for a column several files hold."""
    frames = [f.metadata.to_pandas() if take is None else f.metadata.take(pa.array(take)).to_pandas()
              for f, take in zip(files, takes, strict=True)]
    metadata = frames[0]
    for frame in frames[1:]:
        extra = [c for c in frame.columns if c not in metadata.columns]
        metadata = pd.concat([metadata, frame[extra]], axis=1) if extra else metadata
    return metadata.reset_index(drop=True)
