"""One prediction file read and checked on its own, before it meets the others.

:func:`load_prediction_file` reads a file, finds its columns, drops or refuses training rows, and
checks ids, labels, predictions and probabilities; every problem becomes an
:class:`EvaluationError` naming the file, the column, the rows and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._columns import detect_columns, normalize_label, sort_labels
from ._data import ColumnMapping, LoadOptions
from ._errors import EvaluationError, clip, format_examples, format_names, quote
from ._io import Source, model_name, read_table, source_name
from ._limits import Limits, limit_error
from ._values import id_hashes, probability_matrix, read_ids, read_labels, timestamp_array, training_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PredictionFile",
    "check_columns",
    "check_read",
    "check_unique_ids",
    "count_text",
    "guarded",
    "load_file",
    "load_prediction_file",
    "read_file",
    "require_probability_columns",
    "unlabelled_file",
]

_T = TypeVar("_T")


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


def read_file(source: Source, mapping: ColumnMapping, limits: Limits, *,
              metadata: bool = True) -> tuple[str, pa.Table, ColumnMapping]:
    """Read a file and detect its columns (before the data rows for delimited text and Parquet).

    The columns are checked against the limits as soon as the header is known; ``metadata=False``
    leaves out the metadata-column limit (for a summary, before the user has chosen the columns).
    """
    filename = source_name(source)

    def text_columns(header: list[str]) -> list[str]:
        detected = detect_columns(header, mapping, filename=filename)
        check_columns(detected, filename, limits, metadata=metadata)
        return _text_columns(detected)

    table = read_table(source, filename=filename, text_columns=text_columns, limits=limits)
    columns = detect_columns(table.column_names, mapping, filename=filename)
    check_columns(columns, filename, limits, metadata=metadata)
    return filename, table, columns


def check_columns(columns: ColumnMapping, filename: str, limits: Limits, *, metadata: bool = True) -> None:
    """Refuse more probability columns than classes, a class name beyond the label length, or too many metadata columns."""
    probabilities = columns.probabilities or {}
    if len(probabilities) > limits.max_classes:
        raise limit_error(filename, f"the file has {len(probabilities):,} probability columns, one per class "
                          f"({format_names(list(probabilities.values()), limit=5)})", f"{limits.max_classes:,} classes",
                          limits, "max_classes")
    for label, column in probabilities.items():
        if len(label.strip()) > limits.max_label_length:
            raise limit_error(filename, f"the probability column {quote(column)} names a class of {len(label.strip()):,} "
                              "characters", f"{limits.max_label_length:,} characters per label", limits,
                              "max_label_length", column=column)
    chosen = columns.metadata or ()
    if metadata and len(chosen) > limits.max_metadata_columns:
        raise limit_error(filename, f"the file has {len(chosen):,} metadata columns (columns to slice by: "
                          f"{format_names(chosen, limit=5)})", f"{limits.max_metadata_columns:,} metadata columns",
                          limits, "max_metadata_columns")


def _hash_index(ids: pa.Array) -> pd.Index:
    """An index of the ids' hashes, its hash table built now (in this file's thread) for pairing."""
    import pandas as pd  # imported when needed: reading a file should not wait for it

    index = pd.Index(id_hashes(ids))
    index.is_unique  # noqa: B018  (computing it builds the table that get_indexer reuses)
    return index


def check_unique_ids(f: PredictionFile) -> bool:
    """Refuse a file that lists one id on several rows; return whether its id hashes are distinct."""
    assert f.ids is not None and f.id_index is not None
    if f.id_index.is_unique:
        return True
    counts = pc.value_counts(f.ids)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1))
    if len(repeated) == 0:
        return False  # two ids share a hash: pair this file by exact text instead
    examples = [f"{quote(value)} ({count:,} times)" for value, count in zip(
        repeated.field("values").slice(0, 5).to_pylist(), repeated.field("counts").slice(0, 5).to_pylist(), strict=True)]
    raise EvaluationError(f"{f.filename}: column {quote(f.columns.id)} repeats {count_text(len(repeated), 'id')}, for example "
                          f"{', '.join(examples)}; expected each example on one row only",
                          file=f.filename, column=f.columns.id)


def count_text(number: int, noun: str) -> str:
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
    loaded = load_file(source, name, options)
    if loaded.ids is not None:
        check_unique_ids(loaded)
    return loaded


def load_file(source: Source, name: str | None, options: LoadOptions) -> PredictionFile:
    """:func:`load_prediction_file` without the check for repeated ids (pairing does it for less)."""
    return check_read(source, guarded(source, read_file, source, options.mapping, options.limits), name, options)


def guarded(source: Source, work: Callable[..., _T], *args: object) -> _T:
    """Run ``work(*args)`` on a file, turning Arrow errors no check anticipated into a message naming the file."""
    try:
        return work(*args)
    except pa.ArrowException as error:
        filename = source_name(source)
        raise EvaluationError(f"{filename}: could not be read ({clip(str(error))}); expected a table with one value per cell",
                              file=filename) from error


def check_read(source: Source, read: tuple[str, pa.Table, ColumnMapping], name: str | None,
                options: LoadOptions, *, index_ids: bool = False) -> PredictionFile:
    """:func:`_check_table` on what :func:`_read` returned, guarded; ``index_ids`` builds the id index now."""
    checked = guarded(source, _check_table, *read, name, options)
    if index_ids:
        checked.id_index  # noqa: B018  (built here, in the worker, while the next file is read)
    return checked


def _check_table(filename: str, table: pa.Table, columns: ColumnMapping, name: str | None,
                 options: LoadOptions) -> PredictionFile:
    """Run every check on one file's table that needs no other file."""
    assert columns.label is not None
    table, numbers, warnings = training_rows(table, columns, filename, drop=options.drop_train_rows)
    limits = options.limits
    tolerance = options.probability_tolerance
    with ThreadPoolExecutor(max_workers=1) as helper:
        # The probability columns, the largest part of the checks, are read on another thread
        # meanwhile; their problems are reported after the labels', as they would be in order.
        matrix = None
        if columns.probabilities or columns.score:
            names = list(columns.probabilities.values()) if columns.probabilities else [str(columns.score)]
            matrix = helper.submit(probability_matrix, table, names, numbers, filename, tolerance)
        ids = read_ids(table, columns.id, numbers, filename) if columns.id else None
        true_codes, true_labels = read_labels(table, columns.label, numbers, filename, "a true label", limits)
        predicted_codes: np.ndarray | None = None
        predicted_labels: tuple[str, ...] = ()
        if columns.prediction:
            predicted_codes, predicted_labels = read_labels(table, columns.prediction, numbers, filename,
                                                            "a predicted label", limits)
            _refuse_scores_as_predictions(predicted_labels, true_labels, filename, columns.prediction)
        probabilities: np.ndarray | None = None
        score: np.ndarray | None = None
        classes: tuple[str, ...] = ()
        if columns.probabilities:
            classes = tuple(normalize_label(c) for c in columns.probabilities)
            if len(set(classes)) != len(classes):
                raise EvaluationError(f"{filename}: two probability columns name the same class "
                                      f"({format_names(list(columns.probabilities.values()))}); expected one column per "
                                      "class", file=filename)
            require_probability_columns(filename, columns, classes, sort_labels({*true_labels, *predicted_labels}))
        if matrix is not None:
            if columns.probabilities:
                probabilities = matrix.result()
            else:
                score = matrix.result()[:, 0]
    if predicted_codes is None and probabilities is None and score is None:
        raise EvaluationError(
            f"{filename}: expected predictions: a prediction column (one of prediction, pred, y_pred, predicted, "
            "predicted_label, pred_label), per-class probability columns (prob_<class>) or, for two classes, a score "
            f"column; the columns found are: {format_examples(table.column_names, limit=20)}", file=filename)
    metadata = _metadata(table, columns, filename, chosen=options.mapping.metadata is not None, warnings=warnings)
    if columns.timestamp:
        metadata = metadata.append_column(columns.timestamp, timestamp_array(
            table.column(columns.timestamp), numbers, filename, columns.timestamp))
    return PredictionFile(
        name=name or model_name(filename), filename=filename, columns=columns, row_numbers=numbers, ids=ids,
        true_codes=true_codes, true_labels=true_labels, predicted_codes=predicted_codes,
        predicted_labels=predicted_labels, probabilities=probabilities, probability_classes=classes, score=score,
        metadata=metadata, warnings=tuple(warnings))


def _metadata(table: pa.Table, columns: ColumnMapping, filename: str, *, chosen: bool, warnings: list[str]) -> pa.Table:
    """The metadata columns; lists and records cannot be sliced by: refused when chosen, else left out with a warning."""
    names = list(dict.fromkeys(c for c in columns.metadata or () if c != columns.timestamp))
    nested = [c for c in names if _nested(table.schema.field(c).type)]
    if nested and chosen:
        raise EvaluationError(f"{filename}: metadata column {quote(nested[0])} holds lists or records "
                              f"({clip(str(table.schema.field(nested[0]).type), width=60)}), which cannot be sliced by; "
                              "expected one plain value (text, number, date) per cell", file=filename, column=nested[0])
    if nested:
        warnings.append(f"{filename}: {format_names(nested)} hold{'s' if len(nested) == 1 else ''} lists or records, "
                        f"which cannot be sliced by, and {'was' if len(nested) == 1 else 'were'} left out of the metadata")
        names = [c for c in names if c not in nested]
    return table.select(names)


def _nested(kind: pa.DataType) -> bool:
    """Whether values of a type are lists, records or maps rather than plain values."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_nested(kind))


def require_probability_columns(filename: str, columns: ColumnMapping, present: tuple[str, ...],
                                 classes: tuple[str, ...]) -> None:
    """Refuse probability columns that leave out some of the classes."""
    missing = [c for c in classes if c not in present]
    if missing:
        written, column = next(iter((columns.probabilities or {}).items()))
        prefix = column[: len(column) - len(written)] if column.endswith(written) else "prob_"
        raise EvaluationError(
            f"{filename}: there are probability columns for {format_examples(list(present))} but none for "
            f"{format_examples(missing)}; expected one column per class ({format_names(classes)}), that is also "
            f"{format_names([prefix + c for c in missing], limit=5)}", file=filename)


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
            f"{filename}: column {quote(column)} holds fractions such as {format_examples(fractions, limit=3)}, but it should "
            "hold predicted class labels; if these are probabilities, name the column 'score' (two classes) or "
            "prob_<class>", file=filename, column=column)


def unlabelled_file(name: str, filename: str, columns: ColumnMapping, numbers: np.ndarray, ids: pa.Array | None,
                    metadata: pa.Table, warnings: Sequence[str]) -> PredictionFile:
    """The shape pairing needs of a file whose rows hold no classes (regression, generation)."""
    return PredictionFile(name=name, filename=filename, columns=columns, row_numbers=numbers, ids=ids,
                          true_codes=np.zeros(0, dtype=np.int64), true_labels=(), predicted_codes=None,
                          predicted_labels=(), probabilities=None, probability_classes=(), score=None,
                          metadata=metadata, warnings=tuple(warnings))
