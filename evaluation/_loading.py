"""From prediction files to aligned, validated :class:`ClassificationData`.

Each file is checked on its own (columns, missing values, numbers, probabilities, training rows),
then the files are paired by id (by row order only when no file has ids) and put on one label set.
Every problem becomes an :class:`EvaluationError` naming the file, the column, how many rows (data
rows counted from 1 after the header, as a spreadsheet shows them) with a few examples, and what
was expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._columns import detect_columns
from ._data import ClassificationData, ColumnMapping, LoadOptions, ModelData
from ._errors import EvaluationError, format_examples
from ._io import Source, model_name, read_table, source_name

__all__ = ["FileSummary", "inspect_file", "load_classification", "normalize_label"]

_POSITIVE_NAMES = ("1", "true", "yes", "positive", "pos")
_TRAIN_VALUES = ("train", "training")
_SLACK = 1e-9  # probabilities this far outside [0, 1] are rounding, and clipped


@dataclass(frozen=True)
class FileSummary:
    """What a file holds, before anything is computed (for a UI to show and let the user correct).

    Attributes
    ----------
    filename, n_rows, columns:
        The file, its number of data rows and its column names.
    mapping:
        The columns detected for each role.
    classes:
        Labels seen in the label and prediction columns and probability column names.
    """

    filename: str
    n_rows: int
    columns: tuple[str, ...]
    mapping: ColumnMapping
    classes: tuple[str, ...]


@dataclass(frozen=True)
class _File:
    """One checked file: labels as codes into its own small vocabularies."""

    name: str
    filename: str
    mapping: ColumnMapping
    ids: pa.Array | None
    true_codes: np.ndarray
    true_vocabulary: list[str]
    pred_codes: np.ndarray | None
    pred_vocabulary: list[str]
    probabilities: np.ndarray | None
    probability_classes: list[str]
    score: np.ndarray | None
    metadata: pd.DataFrame


def normalize_label(value: object) -> str:
    """The class name of a label: ``"1"``, ``1`` and ``1.0`` are all ``"1"``; whitespace is stripped.

    Examples
    --------
    >>> [normalize_label(v) for v in ("1", 1, 1.0, " cat ", 2.5, True)]
    ['1', '1', '1', 'cat', '2.5', 'True']
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and abs(number) < 2**53 else text


def _rows(mask: np.ndarray | np.bool_) -> str:
    """``"3 rows (rows 2, 7, 9)"`` for a mask of offending rows, 1-based after the header."""
    positions = np.flatnonzero(mask) + 1
    return f"{positions.shape[0]:,} row{'s' if positions.shape[0] != 1 else ''} (rows {format_examples(positions.tolist())})"


def _encode(table: pa.Table, column: str, filename: str) -> tuple[np.ndarray, list[str]]:
    """Integer codes and the normalized vocabulary of a label-like column; refuses missing values."""
    array = table.column(column)
    if array.null_count:
        missing = np.asarray(array.is_null().to_numpy(zero_copy_only=False))
        raise EvaluationError(f"{filename}: column {column!r} has missing values in {_rows(missing)}; expected a "
                              f"label on every row.", file=filename, column=column)
    encoded = pc.dictionary_encode(array).combine_chunks()
    names = [normalize_label(v) for v in encoded.dictionary.to_pylist()]
    vocabulary = sorted(set(names))
    remap = np.array([vocabulary.index(name) for name in names], dtype=np.int64)
    return remap[encoded.indices.to_numpy(zero_copy_only=False)], vocabulary


def _numbers(table: pa.Table, column: str, filename: str, what: str) -> np.ndarray:
    """A numeric column as float64, with a message naming rows that are missing or not numbers."""
    array = table.column(column)
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        values = array.to_numpy().astype(np.float64)
        bad = np.isnan(values)
        if bad.any():
            raise EvaluationError(f"{filename}: column {column!r} has missing values in {_rows(bad)}; expected {what}.",
                                  file=filename, column=column)
        return values
    text = pd.Series(array.to_pandas(), dtype=object)
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values)
    if text.isna().all() or bad.any():
        examples = format_examples([str(v) for v in text[bad].head(5)]) if bad.any() else ""
        raise EvaluationError(f"{filename}: column {column!r} has values that are not numbers in {_rows(bad)}"
                              f"{': ' + examples if examples else ''}; expected {what}.", file=filename, column=column)
    return values


def _check_probabilities(values: np.ndarray, filename: str, columns: Sequence[str], tolerance: float) -> np.ndarray:
    """Probabilities in [0, 1] whose rows sum to 1 within the tolerance (kept as given, like scikit-learn)."""
    outside = (values < -_SLACK) | (values > 1 + _SLACK)
    if outside.any():
        rows, cols = np.nonzero(outside)
        column = columns[cols[0]]
        raise EvaluationError(
            f"{filename}: probabilities must lie between 0 and 1, but {_rows(outside.any(axis=1))} hold values such as "
            f"{values[rows[0], cols[0]]:g} in column {column!r}. Logits or percentages? Convert them to probabilities "
            f"(softmax, or divide by 100).", file=filename, column=column)
    np.clip(values, 0.0, 1.0, out=values)
    if len(columns) > 1:
        sums = values.sum(axis=1)
        off = np.abs(sums - 1.0) > tolerance
        if off.any():
            raise EvaluationError(
                f"{filename}: the class probabilities ({', '.join(columns[:4])}{', ...' if len(columns) > 4 else ''}) "
                f"must sum to 1 on every row, but {_rows(off)} sum to values such as {format_examples(sums[off][:3])} "
                f"(allowed rounding: {tolerance:g}). Is a class column missing, or are these independent scores?",
                file=filename)
    return values


def _ids(table: pa.Table, column: str, filename: str) -> pa.Array:
    """The id column as normalized strings; refuses missing values and duplicates."""
    array = table.column(column)
    if array.null_count:
        missing = np.asarray(array.is_null().to_numpy(zero_copy_only=False))
        raise EvaluationError(f"{filename}: column {column!r} has missing ids in {_rows(missing)}; expected an id "
                              f"on every row.", file=filename, column=column)
    if pa.types.is_floating(array.type):
        values = array.to_numpy()
        if np.all(np.mod(values, 1) == 0):
            array = pa.chunked_array([pa.array(values.astype(np.int64))])
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = pc.cast(array, pa.string())
    ids = pc.utf8_trim_whitespace(array).combine_chunks()
    if len(pc.unique(ids)) != len(ids):
        counts = pc.value_counts(ids)
        duplicated = counts.field("values").filter(pc.greater(counts.field("counts"), 1)).to_pylist()
        raise EvaluationError(f"{filename}: column {column!r} has {len(duplicated):,} duplicated ids (for example "
                              f"{format_examples(duplicated)}); expected one row per example.",
                              file=filename, column=column)
    return ids


def _label_columns(header: list[str], mapping: ColumnMapping, filename: str) -> list[str]:
    """Columns read as text from delimited files: ids, labels and predictions."""
    try:
        detected = detect_columns(header, mapping, filename=filename)
    except EvaluationError:
        return []  # the same check runs again on the table and reports it
    return [c for c in (detected.id, detected.label, detected.prediction, detected.split) if c]


def _read_file(source: Source, name: str, options: LoadOptions) -> _File:
    """Read and check one file on its own."""
    filename = source_name(source)
    table = read_table(source, text_columns=lambda header: _label_columns(header, options.mapping, filename))
    mapping = detect_columns(table.column_names, options.mapping, filename=filename)
    assert mapping.label is not None
    if mapping.split:
        split = pc.utf8_lower(pc.utf8_trim_whitespace(pc.cast(table.column(mapping.split), pa.string())))
        train = np.asarray(pc.is_in(split, pa.array(_TRAIN_VALUES)).fill_null(False).to_numpy(zero_copy_only=False))
        if train.any() and not options.drop_train_rows:
            raise EvaluationError(
                f"{filename}: column {mapping.split!r} marks {_rows(train)} as training data. Evaluating on rows the "
                f"model was trained on overstates its performance; remove them, or drop them with --drop-train-rows.",
                file=filename, column=mapping.split)
        if train.all():
            raise EvaluationError(f"{filename}: every row is training data (column {mapping.split!r}); "
                                  f"expected held-out test rows.", file=filename, column=mapping.split)
        table = table.filter(pa.array(~train))
    true_codes, true_vocabulary = _encode(table, mapping.label, filename)
    pred_codes, pred_vocabulary = (_encode(table, mapping.prediction, filename) if mapping.prediction
                                   else (None, []))
    probabilities, score = None, None
    if mapping.probabilities:
        columns = list(mapping.probabilities.values())
        raw = np.empty((table.num_rows, len(columns)))
        for i, column in enumerate(columns):
            raw[:, i] = _numbers(table, column, filename, "a probability between 0 and 1")
        probabilities = _check_probabilities(raw, filename, columns, options.probability_tolerance)
    elif mapping.score:
        raw = _numbers(table, mapping.score, filename, "the positive class's probability between 0 and 1")
        score = _check_probabilities(raw[:, None], filename, [mapping.score], options.probability_tolerance)[:, 0]
    if pred_codes is None and probabilities is None and score is None:
        raise EvaluationError(
            f"{filename}: there is neither a prediction column (one of prediction, pred, y_pred, ...) nor class "
            f"probabilities (prob_<class> columns, or a score column for a binary task); the columns found are: "
            f"{', '.join(table.column_names)}.", file=filename)
    metadata_columns = [c for c in mapping.metadata or () if c != mapping.timestamp]
    metadata = table.select(metadata_columns).to_pandas() if metadata_columns else pd.DataFrame(index=range(
        table.num_rows))
    if mapping.timestamp:
        metadata[mapping.timestamp] = pd.to_datetime(table.column(mapping.timestamp).to_pandas(), errors="coerce")
    return _File(
        name=name, filename=filename, mapping=mapping,
        ids=_ids(table, mapping.id, filename) if mapping.id else None,
        true_codes=true_codes, true_vocabulary=true_vocabulary, pred_codes=pred_codes,
        pred_vocabulary=pred_vocabulary, probabilities=probabilities,
        probability_classes=[normalize_label(c) for c in (mapping.probabilities or {})], score=score,
        metadata=metadata)


def _sort_labels(labels: set[str]) -> tuple[str, ...]:
    """Numerically when every label is a number, else as strings."""
    try:
        return tuple(sorted(labels, key=float))
    except ValueError:
        return tuple(sorted(labels))


def _row_orders(files: list[_File], options: LoadOptions) -> tuple[np.ndarray, list[np.ndarray], list[str]]:
    """The ids and, per file, the row of each aligned example; warnings."""
    warnings: list[str] = []
    with_ids = [f for f in files if f.ids is not None]
    if not with_ids:
        sizes = {f.filename: f.true_codes.shape[0] for f in files}
        if len(set(sizes.values())) > 1:
            raise EvaluationError("No file has an id column, so rows are paired by position, but the files have "
                                  "different numbers of rows: " + ", ".join(f"{k}: {v:,}" for k, v in sizes.items())
                                  + ". Add an id column (id, example_id, ...) to pair them.")
        warnings.append("No file has an id column: rows were paired by their order in the files. Add an id column "
                        "to make sure each row compares the same example.")
        n = files[0].true_codes.shape[0]
        return np.array([str(i + 1) for i in range(n)], dtype=object), [np.arange(n) for _ in files], warnings
    if len(with_ids) != len(files):
        missing = [f.filename for f in files if f.ids is None]
        raise EvaluationError(f"{', '.join(missing)}: no id column, while {with_ids[0].filename} has one "
                              f"({with_ids[0].mapping.id!r}); every file needs the same kind of id to be paired.",
                              file=missing[0])
    reference = files[0].ids
    assert reference is not None
    if all(f.ids is not None and f.ids.equals(reference) for f in files[1:]):
        n = len(reference)  # the common case: the same ids in the same order
        return reference.to_numpy(zero_copy_only=False).astype(object), [np.arange(n) for _ in files], warnings
    orders = [np.asarray(pc.index_in(reference, value_set=f.ids).fill_null(-1).to_numpy(zero_copy_only=False))
              for f in files[1:]]
    if all(len(f.ids) == len(reference) and (order >= 0).all()  # type: ignore[arg-type]
           for f, order in zip(files[1:], orders, strict=True)):
        return (reference.to_numpy(zero_copy_only=False).astype(object),
                [np.arange(len(reference)), *orders], warnings)
    # Arrow's hash joins: membership and positions of a million ids take a fraction of a second.
    in_all = np.ones(len(reference), dtype=bool)
    problems = []
    for f in files[1:]:
        assert f.ids is not None
        in_all &= np.asarray(pc.is_in(reference, value_set=f.ids).to_numpy(zero_copy_only=False))
    for f in files:
        assert f.ids is not None
        shared_mask = np.ones(len(f.ids), dtype=bool)
        for other in files:
            if other is not f:
                assert other.ids is not None
                shared_mask &= np.asarray(pc.is_in(f.ids, value_set=other.ids).to_numpy(zero_copy_only=False))
        if not shared_mask.all():
            problems.append((f, f.ids.filter(pa.array(~shared_mask)).to_pylist()))
    if problems and not options.shared_ids_only:
        details = "; ".join(f"{f.filename} has {len(ids):,} ids the others lack (for example {format_examples(ids)})"
                            for f, ids in problems)
        raise EvaluationError(f"The files do not hold the same examples: {details}. Expected the same ids in every "
                              f"file; evaluate only the shared ids with --shared-ids-only.", file=problems[0][0].filename)
    for f, ids in problems:
        warnings.append(f"{f.filename}: {len(ids):,} rows whose ids are not in every file were left out "
                        f"(--shared-ids-only).")
    if not in_all.any():
        raise EvaluationError("The files share no id at all; expected prediction files on the same test set.")
    keep = reference.filter(pa.array(in_all)) if problems else reference
    orders = [np.asarray(pc.index_in(keep, value_set=f.ids).to_numpy(zero_copy_only=False)) for f in files]
    return keep.to_numpy(zero_copy_only=False).astype(object), orders, warnings


def _is_identity(order: np.ndarray, n_rows: int) -> bool:
    """Whether a row order keeps every one of ``n_rows`` rows in place (no copy needed)."""
    return order.shape[0] == n_rows and bool(np.array_equal(order, np.arange(n_rows)))


def _positive_label(classes: tuple[str, ...], options: LoadOptions, warnings: list[str]) -> str:
    """The positive class of a binary task (see :class:`LoadOptions`)."""
    if options.positive_label is not None:
        chosen = normalize_label(options.positive_label)
        if chosen not in classes:
            raise EvaluationError(f"The positive label {options.positive_label!r} is not one of the classes "
                                  f"{', '.join(classes)}.")
        return chosen
    for name in _POSITIVE_NAMES:
        for label in classes:
            if label.lower() == name:
                return label
    warnings.append(f"Binary task without an obvious positive class: '{classes[1]}' was taken as positive (the "
                    f"second in sorted order); set it with --positive-label.")
    return classes[1]


def load_classification(
    sources: Sequence[Source], *, names: Sequence[str] | None = None, options: LoadOptions | None = None
) -> ClassificationData:
    """Read, check and pair prediction files into one :class:`ClassificationData`.

    Parameters
    ----------
    sources:
        Paths, or ``(file name, bytes)`` uploads, one per model version; the first is the default
        baseline.
    names:
        Model names in the same order; by default the file names without extensions.
    options:
        Column names, positive class, threshold, label set and pairing options.

    Returns
    -------
    ClassificationData
        Rows in the first file's order, labels as codes into one sorted label set.

    Raises
    ------
    EvaluationError
        With a message naming the file, the column, the rows and what was expected.
    """
    options = options or LoadOptions()
    names = list(names) if names else [model_name(source_name(s)) for s in sources]
    if len(names) != len(sources):
        raise EvaluationError(f"{len(names)} model names were given for {len(sources)} files; give one name per file.")
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise EvaluationError(f"Two files give the model name {format_examples(repeated)}; name the models "
                              f"(--names) so each is told apart.")
    files = [_read_file(source, name, options) for source, name in zip(sources, names, strict=True)]
    ids, orders, warnings = _row_orders(files, options)
    files = [f if _is_identity(order, f.true_codes.shape[0]) else
             replace(f, true_codes=f.true_codes[order], pred_codes=None if f.pred_codes is None else f.pred_codes[order],
                     probabilities=None if f.probabilities is None else f.probabilities[order],
                     score=None if f.score is None else f.score[order],
                     metadata=f.metadata.iloc[order].reset_index(drop=True))
             for f, order in zip(files, orders, strict=True)]
    reference_codes, names = files[0].true_codes, files[0].true_vocabulary
    for f in files[1:]:
        # Compare codes, not strings: map this file's vocabulary onto the first file's.
        known = {label: i for i, label in enumerate(names)}
        translate = np.array([known.get(label, -1) for label in f.true_vocabulary], dtype=np.int64)
        differ = translate[f.true_codes] != reference_codes
        if differ.any():
            rows = np.flatnonzero(differ)[:5]
            examples = [f"{ids[j]} ({names[reference_codes[j]]!r} vs {f.true_vocabulary[f.true_codes[j]]!r})"
                        for j in rows]
            raise EvaluationError(f"{f.filename}: the true label of {int(differ.sum()):,} examples differs from "
                                  f"{files[0].filename}'s, e.g. ids {', '.join(examples)}; every file must carry the "
                                  f"same labels.", file=f.filename, column=f.mapping.label)
    if options.labels:
        classes = _sort_labels({normalize_label(label) for label in options.labels})
    else:
        found = set(files[0].true_vocabulary)
        for f in files:
            found |= set(f.pred_vocabulary) | set(f.probability_classes)
        classes = _sort_labels(found)
    if len(classes) < 2:
        raise EvaluationError(f"Only one class ({format_examples(list(classes))}) appears in the labels and "
                              f"predictions; declare the label set (--labels) to evaluate a single-class test set.")
    task = "binary" if len(classes) == 2 else "multiclass"
    positive = _positive_label(classes, options, warnings) if task == "binary" else None
    models = [_model(f, classes, task, positive, options) for f in files]
    metadata = files[0].metadata
    for f in files[1:]:
        for column in f.metadata.columns:
            if column not in metadata.columns:
                metadata[column] = f.metadata[column].to_numpy()
    y_true = _codes(files[0].true_vocabulary, files[0].true_codes, classes, files[0], files[0].mapping.label)
    return ClassificationData(task=task, classes=classes, positive_label=positive, ids=ids, y_true=y_true,
                              models=tuple(models), metadata=metadata.reset_index(drop=True), warnings=tuple(warnings))


def _codes(vocabulary: list[str], codes: np.ndarray, classes: tuple[str, ...], f: _File, column: str | None) -> np.ndarray:
    """Codes into a file's vocabulary mapped to codes into the label set."""
    unknown = [label for label in vocabulary if label not in classes]
    if unknown:
        raise EvaluationError(f"{f.filename}: column {column!r} holds labels outside the declared label set: "
                              f"{format_examples(unknown)}; the label set is {', '.join(classes)}.",
                              file=f.filename, column=column)
    return np.array([classes.index(label) for label in vocabulary], dtype=np.int64)[codes]


def _model(f: _File, classes: tuple[str, ...], task: str, positive: str | None, options: LoadOptions) -> ModelData:
    """One file's predictions on the label set."""
    y_score = None
    if f.probabilities is not None:
        missing = [c for c in classes if c not in f.probability_classes]
        if missing:
            columns = dict(f.mapping.probabilities or {})
            first_class, first_column = next(iter(columns.items()))
            prefix = first_column[: len(first_column) - len(first_class)]
            raise EvaluationError(
                f"{f.filename}: no probability column for class(es) {format_examples(missing)}; expected one column "
                f"per class, e.g. {', '.join(prefix + c for c in missing[:3])}.", file=f.filename)
        position = [f.probability_classes.index(c) for c in classes]
        in_order = position == list(range(len(position)))
        y_score = f.probabilities if in_order else f.probabilities[:, position]
    elif f.score is not None:
        if task != "binary":
            raise EvaluationError(
                f"{f.filename}: a single score column ({f.mapping.score!r}) only describes a binary task, but there are "
                f"{len(classes)} classes; expected one probability column per class (prob_<class>).",
                file=f.filename, column=f.mapping.score)
        y_score = np.zeros((f.score.shape[0], 2))
        y_score[:, classes.index(str(positive))] = f.score
        y_score[:, 1 - classes.index(str(positive))] = 1.0 - f.score
    if f.pred_codes is not None:
        y_pred = _codes(f.pred_vocabulary, f.pred_codes, classes, f, f.mapping.prediction)
    elif task == "binary" and f.score is not None:
        positive_code = classes.index(str(positive))
        y_pred = np.where(f.score >= options.threshold, positive_code, 1 - positive_code)
    else:
        assert y_score is not None
        y_pred = np.argmax(y_score, axis=1)
    return ModelData(name=f.name, source=f.filename, y_pred=y_pred.astype(np.int64), y_score=y_score, columns=f.mapping)


def inspect_file(source: Source, *, mapping: ColumnMapping | None = None) -> FileSummary:
    """Read a file and report what it holds and which columns were detected, without computing.

    Raises
    ------
    EvaluationError
        When the file cannot be read or has no label column.
    """
    filename = source_name(source)
    mapping = mapping or ColumnMapping()
    table = read_table(source, text_columns=lambda header: _label_columns(header, mapping, filename))
    detected = detect_columns(table.column_names, mapping, filename=filename)
    labels: set[str] = set()
    for column in (detected.label, detected.prediction):
        if column:
            values = pc.unique(table.column(column).drop_null()).to_pylist()
            labels |= {normalize_label(v) for v in values[:1000]}
    labels |= {normalize_label(c) for c in (detected.probabilities or {})}
    return FileSummary(filename=filename, n_rows=table.num_rows, columns=tuple(table.column_names), mapping=detected,
                       classes=_sort_labels(labels))
