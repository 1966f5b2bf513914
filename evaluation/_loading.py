"""From prediction files to aligned, validated :class:`ClassificationData`.

Each file is first checked on its own (:func:`load_prediction_file`: columns, training rows, ids,
missing values, numbers, probabilities), then the files are put on one label set and paired by id
(by row order only when no file has ids) in :func:`load_classification`. Every problem becomes an
:class:`EvaluationError` naming the file, the column, how many rows with a few examples, and what was
expected. Rows are numbered as a user sees them: row 1 is the first data row below the header.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._columns import (
    detect_columns,
    id_hashes,
    label_codes,
    normalize_label,
    probability_matrix,
    read_ids,
    read_labels,
    sort_labels,
    timestamp_array,
    training_rows,
)
from ._data import ClassificationData, ColumnMapping, LoadOptions, ModelData
from ._errors import EvaluationError, format_examples
from ._io import Source, model_name, read_table, source_name

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FileSummary", "PredictionFile", "inspect_file", "load_classification", "load_prediction_file",
           "normalize_label"]

_POSITIVE_NAMES = ("1", "true", "yes", "positive", "pos")
_T = TypeVar("_T")


@dataclass(frozen=True)
class FileSummary:
    """What a file holds and which columns were detected, before anything is computed.

    Attributes
    ----------
    filename, n_rows, columns:
        The file, its number of data rows and its column names.
    mapping:
        The column of each role, as detected (or given).
    classes:
        Candidate classes: labels in the label and prediction columns and classes named by
        probability columns, normalized and sorted like the label set.
    """

    filename: str
    n_rows: int
    columns: tuple[str, ...]
    mapping: ColumnMapping
    classes: tuple[str, ...]


@dataclass(frozen=True)
class PredictionFile:
    """One prediction file read and checked on its own, before pairing (internal to loading).

    ``row_numbers`` are the 1-based data-row numbers of the rows kept (training rows may be
    dropped), for messages; ``ids`` the normalized id text (``None`` without an id column);
    ``true_codes``/``predicted_codes`` index the file's own normalized ``true_labels`` /
    ``predicted_labels``; ``probabilities`` (rows summing to 1) follow ``probability_classes``;
    :attr:`id_index` indexes 64-bit hashes of the ids, for pairing; ``score`` is a single
    positive-class probability; ``metadata`` holds the metadata columns and the parsed timestamp.
    """

    name: str
    filename: str
    columns: ColumnMapping
    row_numbers: np.ndarray
    ids: pa.Array | None
    true_codes: np.ndarray
    true_labels: tuple[str, ...]
    predicted_codes: np.ndarray | None
    predicted_labels: tuple[str, ...]
    probabilities: np.ndarray | None
    probability_classes: tuple[str, ...]
    score: np.ndarray | None
    metadata: pa.Table
    warnings: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        """Number of rows kept."""
        return int(self.row_numbers.shape[0])

    @cached_property
    def id_index(self) -> pd.Index | None:
        """An index of the ids' 64-bit hashes, built on first use (files whose ids equal the first's need none)."""
        return None if self.ids is None else _hash_index(self.ids)


def _text_columns(mapping: ColumnMapping) -> list[str]:
    """Columns to read as text so ids keep leading zeros and labels keep their spelling."""
    return [column for column in (mapping.id, mapping.label, mapping.prediction, mapping.split) if column]


def _read(source: Source, mapping: ColumnMapping) -> tuple[str, pa.Table, ColumnMapping]:
    """Read a file and detect its columns (before the data rows for delimited text)."""
    filename = source_name(source)
    table = read_table(source, filename=filename, text_columns=lambda header: _text_columns(
        detect_columns(header, mapping, filename=filename)))
    return filename, table, detect_columns(table.column_names, mapping, filename=filename)


def _hash_index(ids: pa.Array) -> pd.Index:
    """An index of the ids' hashes, its hash table built now (in this file's thread) for pairing."""
    import pandas as pd  # imported when needed: reading a file should not wait for it

    index = pd.Index(id_hashes(ids))
    index.is_unique  # noqa: B018  (computing it builds the table that get_indexer reuses)
    return index


def _check_unique_ids(f: PredictionFile) -> bool:
    """Refuse a file that lists one id on several rows; return whether its id hashes are distinct."""
    assert f.ids is not None and f.id_index is not None
    if f.id_index.is_unique:
        return True
    counts = pc.value_counts(f.ids)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1))
    if len(repeated) == 0:
        return False  # two ids share a hash: pair this file by exact text instead
    examples = [f"{value!r} ({count} times)" for value, count in zip(
        repeated.field("values").to_pylist()[:5], repeated.field("counts").to_pylist()[:5], strict=True)]
    raise EvaluationError(f"{f.filename}: column {f.columns.id!r} repeats {_count(len(repeated), 'id')}, for example "
                          f"{', '.join(examples)}; expected each example on one row only",
                          file=f.filename, column=f.columns.id)


def _count(number: int, noun: str) -> str:
    """``1 id``, ``3 ids``."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def load_prediction_file(source: Source, *, name: str | None = None, options: LoadOptions | None = None) -> PredictionFile:
    """Read one prediction file and check it on its own.

    Parameters
    ----------
    source:
        A path, or a ``(filename, bytes)`` upload.
    name:
        The model's name; by default the file name without its extensions.
    options:
        Column names, tolerance and whether to drop training rows (see :class:`LoadOptions`).

    Returns
    -------
    PredictionFile
        The file's ids, labels, predictions and probabilities, checked but not yet on the common
        label set nor paired with other files.

    Raises
    ------
    EvaluationError
        For any problem in the file (see the module docstring); repeated ids included.

    Examples
    --------
    >>> f = load_prediction_file(("m.csv", b"id,label,score\\n1,0,0.2\\n2,1,0.9\\n"))
    >>> f.name, f.true_labels, f.score.tolist()
    ('m', ('0', '1'), [0.2, 0.9])
    """
    options = options or LoadOptions()
    loaded = _load_file(source, name, options)
    if loaded.ids is not None:
        _check_unique_ids(loaded)
    return loaded


def _load_file(source: Source, name: str | None, options: LoadOptions) -> PredictionFile:
    """:func:`load_prediction_file` without the check for repeated ids (pairing does it for less)."""
    return _check_read(source, _guarded(source, _read, source, options.mapping), name, options)


def _guarded(source: Source, work: Callable[..., _T], *args: object) -> _T:
    """Run ``work(*args)`` on a file, turning Arrow errors no check anticipated into a message naming the file."""
    try:
        return work(*args)
    except pa.ArrowException as error:
        filename = source_name(source)
        raise EvaluationError(f"{filename}: could not be read ({error}); expected a table with one value per cell",
                              file=filename) from error


def _check_read(source: Source, read: tuple[str, pa.Table, ColumnMapping], name: str | None,
                options: LoadOptions, *, index_ids: bool = False) -> PredictionFile:
    """:func:`_check_table` on what :func:`_read` returned, guarded; ``index_ids`` builds the id index now."""
    checked = _guarded(source, _check_table, *read, name, options)
    if index_ids:
        checked.id_index  # noqa: B018  (built here, in the worker, while the next file is read)
    return checked


def _check_table(filename: str, table: pa.Table, columns: ColumnMapping, name: str | None,
                 options: LoadOptions) -> PredictionFile:
    """Run every check on one file's table that needs no other file."""
    assert columns.label is not None
    table, numbers, warnings = training_rows(table, columns, filename, drop=options.drop_train_rows)
    tolerance = options.probability_tolerance
    with ThreadPoolExecutor(max_workers=1) as helper:
        # The probability columns, the largest part of the checks, are read on another thread
        # meanwhile; their problems are reported after the labels', as they would be in order.
        matrix = None
        if columns.probabilities or columns.score:
            names = list(columns.probabilities.values()) if columns.probabilities else [str(columns.score)]
            matrix = helper.submit(probability_matrix, table, names, numbers, filename, tolerance)
        ids = read_ids(table, columns.id, numbers, filename) if columns.id else None
        true_codes, true_labels = read_labels(table, columns.label, numbers, filename, "a true label")
        predicted_codes: np.ndarray | None = None
        predicted_labels: tuple[str, ...] = ()
        if columns.prediction:
            predicted_codes, predicted_labels = read_labels(table, columns.prediction, numbers, filename,
                                                            "a predicted label")
            _refuse_scores_as_predictions(predicted_labels, true_labels, filename, columns.prediction)
        probabilities: np.ndarray | None = None
        score: np.ndarray | None = None
        classes: tuple[str, ...] = ()
        if columns.probabilities:
            classes = tuple(normalize_label(c) for c in columns.probabilities)
            if len(set(classes)) != len(classes):
                raise EvaluationError(f"{filename}: two probability columns name the same class "
                                      f"({', '.join(columns.probabilities.values())}); expected one column per class",
                                      file=filename)
            _require_probability_columns(filename, columns, classes, sort_labels({*true_labels, *predicted_labels}))
        if matrix is not None:
            if columns.probabilities:
                probabilities = matrix.result()
            else:
                score = matrix.result()[:, 0]
    if predicted_codes is None and probabilities is None and score is None:
        raise EvaluationError(
            f"{filename}: expected predictions: a prediction column (one of prediction, pred, y_pred, predicted, "
            "predicted_label, pred_label), per-class probability columns (prob_<class>) or, for two classes, a score "
            f"column; the columns found are: {', '.join(map(repr, table.column_names))}", file=filename)
    metadata = table.select(list(dict.fromkeys(c for c in columns.metadata or () if c != columns.timestamp)))
    if columns.timestamp:
        metadata = metadata.append_column(columns.timestamp, timestamp_array(
            table.column(columns.timestamp), numbers, filename, columns.timestamp))
    return PredictionFile(
        name=name or model_name(filename), filename=filename, columns=columns, row_numbers=numbers, ids=ids,
        true_codes=true_codes, true_labels=true_labels, predicted_codes=predicted_codes,
        predicted_labels=predicted_labels, probabilities=probabilities, probability_classes=classes, score=score,
        metadata=metadata, warnings=tuple(warnings))


def _require_probability_columns(filename: str, columns: ColumnMapping, present: tuple[str, ...],
                                 classes: tuple[str, ...]) -> None:
    """Refuse probability columns that leave out some of the classes."""
    missing = [c for c in classes if c not in present]
    if missing:
        written, column = next(iter((columns.probabilities or {}).items()))
        prefix = column[: len(column) - len(written)] if column.endswith(written) else "prob_"
        raise EvaluationError(
            f"{filename}: there are probability columns for {format_examples(list(present))} but none for "
            f"{format_examples(missing)}; expected one column per class ({', '.join(classes)}), that is also "
            f"{', '.join(prefix + c for c in missing[:5])}", file=filename)


def _refuse_scores_as_predictions(predicted: tuple[str, ...], true: tuple[str, ...], filename: str, column: str) -> None:
    """A prediction column of fractions such as 0.73 holds scores, not labels."""
    fractions = []
    for label in predicted:
        try:
            value = float(label)
        except ValueError:
            continue
        if 0 < value < 1 and label not in true:
            fractions.append(label)
    if fractions:
        raise EvaluationError(
            f"{filename}: column {column!r} holds fractions such as {format_examples(fractions, limit=3)}, but it should "
            "hold predicted class labels; if these are probabilities, name the column 'score' (two classes) or "
            "prob_<class>", file=filename, column=column)


def _options_iv(options: LoadOptions) -> tuple[tuple[str, ...] | None, str | None]:
    """Check the options; return the declared labels and positive label, normalized."""
    if not 0.0 <= options.threshold <= 1.0:
        raise EvaluationError(f"threshold must be between 0 and 1, got {options.threshold}")
    if not 0.0 <= options.probability_tolerance < 1.0:
        raise EvaluationError(f"probability_tolerance must be between 0 and 1, got {options.probability_tolerance}")
    declared = None
    if options.labels is not None:
        normalized = [normalize_label(label) for label in options.labels]
        if "" in normalized or len(set(normalized)) != len(normalized):
            raise EvaluationError(f"the declared labels {format_examples(list(options.labels))} repeat a class or hold "
                                  "an empty one (1, 1.0 and '1' are one class); expected distinct labels")
        declared = sort_labels(normalized)
    positive = None if options.positive_label is None else normalize_label(options.positive_label)
    return declared, positive


def _label_set(files: Sequence[PredictionFile], declared: tuple[str, ...] | None) -> tuple[str, ...]:
    """The declared labels (refusing others) or the union of every label, prediction and probability class."""
    if declared is None:
        classes = sort_labels(label for f in files for label in (*f.true_labels, *f.predicted_labels,
                                                                  *f.probability_classes))
    else:
        classes = declared
        for f in files:
            for column, found in ((f.columns.label, f.true_labels), (f.columns.prediction, f.predicted_labels),
                                  (None, f.probability_classes)):
                unknown = [label for label in found if label not in classes]
                if unknown:
                    where = f"column {column!r}" if column else "the probability columns"
                    raise EvaluationError(f"{f.filename}: {where} holds labels that are not among the declared labels "
                                          f"({', '.join(classes)}): {format_examples(unknown)}",
                                          file=f.filename, column=column)
    if len(classes) < 2:
        raise EvaluationError(f"only one class ({format_examples(list(classes))}) appears in the labels, predictions "
                              "and probability columns; expected at least two classes (declare the label set with "
                              "labels=..., CLI --labels, to evaluate a one-class test set)")
    return classes


def _positive_label(classes: tuple[str, ...], given: str | None, warnings: list[str]) -> str | None:
    """The positive class of a binary task (``None`` for multiclass)."""
    if len(classes) != 2:
        if given is not None:
            warnings.append(f"positive_label {given!r} was ignored: the task has {len(classes)} classes")
        return None
    if given is not None:
        if given not in classes:
            raise EvaluationError(f"the positive label {given!r} is not one of the classes {', '.join(classes)}")
        return given
    lowered = [label.lower() for label in classes]
    for name in _POSITIVE_NAMES:
        if name in lowered:
            return classes[lowered.index(name)]
    warnings.append(f"no class is named 1/true/yes/positive/pos, so {classes[1]!r} (the second class in sorted order) "
                    "was taken as the positive class; set positive_label (CLI --positive-label) to choose another")
    return classes[1]


def _pair(files: Sequence[PredictionFile], shared_only: bool) -> tuple[np.ndarray, list[np.ndarray | None], list[str]]:
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
    first_hashed = _check_unique_ids(first)
    takes: list[np.ndarray | None] = [None]
    for f in files[1:]:
        assert f.ids is not None
        if f.ids.equals(reference):  # the same ids in the same order: as unique as the first file's
            takes.append(None)
            continue
        f_hashed = _check_unique_ids(f)
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
        parts.append(f"lacks {_count(len(absent), 'id')} of {first.filename} (for example {format_examples(absent)})")
    if extra:
        parts.append(f"has {_count(len(extra), 'id')} {first.filename} lacks (for example {format_examples(extra)})")
    return f"{other.filename} " + " and ".join(parts)


def _rows_taken(values: np.ndarray, take: np.ndarray | None) -> np.ndarray:
    """Rows in aligned order (``np.take`` is several times faster than fancy indexing here)."""
    return values if take is None else np.take(values, take, axis=0)


def _codes(f: PredictionFile, labels: tuple[str, ...], codes: np.ndarray, classes: tuple[str, ...],
           take: np.ndarray | None) -> np.ndarray:
    """A file's codes, mapped onto the label set and put in aligned order."""
    index = {label: i for i, label in enumerate(classes)}
    return _rows_taken(np.array([index[label] for label in labels], dtype=np.int64)[codes], take)


def _model(f: PredictionFile, classes: tuple[str, ...], positive: str | None, take: np.ndarray | None,
           threshold: float) -> ModelData:
    """One file's predictions and probabilities on the label set, in aligned order."""
    y_score = None
    if f.probabilities is not None:
        _require_probability_columns(f.filename, f.columns, f.probability_classes, classes)
        order = [f.probability_classes.index(c) for c in classes]
        y_score = _rows_taken(f.probabilities, take)
        if order != list(range(len(classes))):
            y_score = y_score[:, order]
    elif f.score is not None:
        if positive is None:
            raise EvaluationError(
                f"{f.filename}: a single score column ({f.columns.score!r}) only describes two classes, but the task has "
                f"{len(classes)} ({', '.join(classes[:10])}); expected one probability column per class, named "
                f"{', '.join('prob_' + c for c in classes[:5])}", file=f.filename, column=f.columns.score)
        score = _rows_taken(f.score, take)
        y_score = np.column_stack([1.0 - score, score] if classes.index(positive) == 1 else [score, 1.0 - score])
    if f.predicted_codes is not None:
        y_pred = _codes(f, f.predicted_labels, f.predicted_codes, classes, take)
    else:
        assert y_score is not None
        if positive is not None:
            index = classes.index(positive)
            y_pred = np.where(y_score[:, index] >= threshold, index, 1 - index).astype(np.int64)
        else:
            y_pred = np.argmax(y_score, axis=1).astype(np.int64)
    return ModelData(name=f.name, source=f.filename, y_pred=y_pred, y_score=y_score, columns=f.columns)


def _check_true_labels(files: Sequence[PredictionFile], truths: list[np.ndarray], ids: np.ndarray,
                       classes: tuple[str, ...]) -> None:
    """Every file must give each example the same true label."""
    for f, truth in zip(files[1:], truths[1:], strict=True):
        differ = np.flatnonzero(truth != truths[0])
        if differ.shape[0]:
            examples = "; ".join(f"id {ids[i]!r}: {classes[truths[0][i]]!r} in {files[0].filename}, "
                                 f"{classes[truth[i]]!r} in {f.filename}" for i in differ[:5])
            raise EvaluationError(f"{f.filename}: the true label ({f.columns.label!r}) differs from {files[0].filename}'s "
                                  f"for {_count(differ.shape[0], 'example')} ({examples}); expected the same true labels in "
                                  "every file", file=f.filename, column=f.columns.label)


def _metadata(files: Sequence[PredictionFile], takes: list[np.ndarray | None], n: int) -> pd.DataFrame:
    """Metadata columns, each from the first file that has it, in aligned order."""
    import pandas as pd

    arrays: dict[str, pa.ChunkedArray] = {}
    for f, take in zip(files, takes, strict=True):
        for column in f.metadata.column_names:
            if column not in arrays:
                values = f.metadata.column(column)
                arrays[column] = values if take is None else values.take(pa.array(take))
    if not arrays:
        return pd.DataFrame(index=pd.RangeIndex(n))
    frame = pa.table(arrays).to_pandas()
    frame.index = pd.RangeIndex(n)
    return frame


def _load_files(sources: Sequence[Source], names: Sequence[str] | None, options: LoadOptions) -> list[PredictionFile]:
    """Load every file: Arrow reads each with every core while a worker checks the previous one.

    Errors are raised in file order; a file that cannot be read stops the reading of later ones.
    """
    jobs: list[Future[PredictionFile]] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for i, source in enumerate(sources):
            name = None if names is None else str(names[i])
            try:
                read = _guarded(source, _read, source, options.mapping)
            except EvaluationError as error:
                failed: Future[PredictionFile] = Future()
                failed.set_exception(error)
                jobs.append(failed)
                break
            jobs.append(pool.submit(_check_read, source, read, name, options, index_ids=i == 0))
        return [job.result() for job in jobs]


def load_classification(
    sources: Sequence[Source], *, names: Sequence[str] | None = None, options: LoadOptions | None = None
) -> ClassificationData:
    """Read, check and pair prediction files into one :class:`ClassificationData`.

    Parameters
    ----------
    sources:
        Paths, or ``(filename, bytes)`` uploads, one per model version; the first is the default
        baseline and fixes the row order.
    names:
        Model names in the same order; by default each file's name without extensions.
    options:
        Column names, label set, positive class, threshold, pairing and tolerance (see
        :class:`LoadOptions`).

    Returns
    -------
    ClassificationData
        Rows in the first file's order; labels as codes into one sorted label set.

    Raises
    ------
    EvaluationError
        With a message naming the file, the column, how many rows and what was expected.

    Examples
    --------
    >>> base = ("base.csv", b"id,label,prediction\\na,cat,cat\\nb,dog,cat\\n")
    >>> tuned = ("tuned.csv", b"id,label,prediction\\nb,dog,dog\\na,cat,cat\\n")
    >>> data = load_classification([base, tuned])
    >>> data.model_names, data.classes, data.model("tuned").y_pred.tolist()
    (('base', 'tuned'), ('cat', 'dog'), [0, 1])
    """
    options = options or LoadOptions()
    declared, positive_given = _options_iv(options)
    sources = list(sources)
    if not sources:
        raise EvaluationError("no prediction files were given; expected at least one file")
    if names is not None and len(names) != len(sources):
        raise EvaluationError(f"{len(names)} model names were given for {len(sources)} files; expected one name per file")
    files = _load_files(sources, names, options)
    model_names = [f.name for f in files]
    repeated = sorted({n for n in model_names if model_names.count(n) > 1})
    if repeated:
        clash = [f.filename for f in files if f.name in repeated]
        raise EvaluationError(f"{', '.join(clash)} would all be called {format_examples(repeated)}; give the models "
                              "distinct names (names=..., CLI --names)", file=clash[-1])
    classes = _label_set(files, declared)
    warnings = [warning for f in files for warning in f.warnings]
    ids, takes, pairing_warnings = _pair(files, options.shared_ids_only)
    warnings += pairing_warnings
    positive = _positive_label(classes, positive_given, warnings)
    truths = [_codes(f, f.true_labels, f.true_codes, classes, take) for f, take in zip(files, takes, strict=True)]
    _check_true_labels(files, truths, ids, classes)
    models = tuple(_model(f, classes, positive, take, options.threshold) for f, take in zip(files, takes, strict=True))
    return ClassificationData(
        task="binary" if len(classes) == 2 else "multiclass", classes=classes, positive_label=positive,
        ids=np.asarray(ids, dtype=object), y_true=truths[0], models=models,
        metadata=_metadata(files, takes, truths[0].shape[0]), warnings=tuple(warnings))


def inspect_file(source: Source, *, mapping: ColumnMapping | None = None) -> FileSummary:
    """Read a file and report its rows, columns, detected roles and candidate classes, without checking more.

    Parameters
    ----------
    source:
        A path, or a ``(filename, bytes)`` upload.
    mapping:
        Explicit column names; the rest are detected.

    Returns
    -------
    FileSummary
        For a UI to show the detected mapping before anything is computed.

    Raises
    ------
    EvaluationError
        When the file cannot be read, an explicit column does not exist, or no label column is found.

    Examples
    --------
    >>> s = inspect_file(("m.csv", b"ID,gold,prob_b,prob_a\\n1,a,0.4,0.6\\n"))
    >>> s.n_rows, s.mapping.id, s.mapping.label, s.classes
    (1, 'ID', 'gold', ('a', 'b'))
    """
    filename, table, columns = _read(source, mapping or ColumnMapping())
    found: set[str] = {normalize_label(c) for c in columns.probabilities or {}}
    for column in (columns.label, columns.prediction):
        if column:
            with contextlib.suppress(pa.ArrowException, TypeError):
                found |= set(label_codes(table.column(column))[1])
    return FileSummary(filename=filename, n_rows=table.num_rows, columns=tuple(table.column_names), mapping=columns,
                       classes=sort_labels(found - {""}))
