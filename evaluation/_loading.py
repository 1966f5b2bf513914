"""From prediction files to aligned, validated :class:`ClassificationData`.

Each file is first checked on its own (:func:`load_prediction_file`, in
:mod:`evaluation._prediction_file`: columns, training rows, ids, missing values, numbers,
probabilities), then the files are put on one label set and paired by id (by row order only when no
file has ids; :mod:`evaluation._pairing`) in :func:`load_classification`. Every problem becomes an
:class:`EvaluationError` naming the file, the column, how many rows with a few examples, and what was
expected. Rows are numbered as a user sees them: row 1 is the first data row below the header.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from ._columns import normalize_label, sort_labels
from ._data import ClassificationData, ColumnMapping, LoadOptions, ModelData
from ._errors import EvaluationError, format_examples, format_names, quote
from ._io import Source, import_pandas_integration
from ._limits import Limits, limit_error
from ._pairing import pair_files, without_ids
from ._parallel import cores
from ._prediction_file import (
    PredictionFile,
    check_read,
    count_text,
    guarded,
    load_prediction_file,
    read_file,
    require_probability_columns,
)
from ._values import LabelsBeyondLimit, label_codes

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FileSummary", "PredictionFile", "inspect_file", "load_classification", "load_prediction_file",
           "normalize_label"]

_POSITIVE_NAMES = ("1", "true", "yes", "positive", "pos")


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
        limits = options.limits
        if len(normalized) > limits.max_classes:
            raise limit_error("", f"{len(normalized):,} labels were declared (labels=..., CLI --labels)",
                              f"{limits.max_classes:,} classes", limits, "max_classes")
        longest = max(normalized, key=len)
        if len(longest) > limits.max_label_length:
            raise limit_error("", f"a declared label has {len(longest):,} characters ({quote(longest)})",
                              f"{limits.max_label_length:,} characters per label", limits, "max_label_length")
        declared = sort_labels(normalized)
    positive = None if options.positive_label is None else normalize_label(options.positive_label)
    return declared, positive


def _label_set(files: Sequence[PredictionFile], declared: tuple[str, ...] | None, limits: Limits) -> tuple[str, ...]:
    """The declared labels (refusing others) or the union of every label, prediction and probability class."""
    if declared is None:
        seen: set[str] = set()
        for i, f in enumerate(files):
            seen.update(f.true_labels, f.predicted_labels, f.probability_classes)
            if len(seen) > limits.max_classes:
                together = f"together with {format_names([g.filename for g in files[:i]], limit=3)}, " if i else ""
                raise limit_error(f.filename, f"{together}the true labels, predictions and probability columns hold "
                                  f"{len(seen):,} distinct classes (for example "
                                  f"{format_examples(sorted(seen))})", f"{limits.max_classes:,} classes", limits,
                                  "max_classes")
        classes = sort_labels(seen)
    else:
        classes = declared
        for f in files:
            for column, found in ((f.columns.label, f.true_labels), (f.columns.prediction, f.predicted_labels),
                                  (None, f.probability_classes)):
                unknown = [label for label in found if label not in classes]
                if unknown:
                    where = f"column {quote(column)}" if column else "the probability columns"
                    raise EvaluationError(f"{f.filename}: {where} holds labels that are not among the declared labels "
                                          f"({format_names(classes, limit=20)}): {format_examples(unknown)}",
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
            warnings.append(f"positive_label {quote(given)} was ignored: the task has {len(classes)} classes")
        return None
    if given is not None:
        if given not in classes:
            raise EvaluationError(f"the positive label {quote(given)} is not one of the classes {format_names(classes)}")
        return given
    lowered = [label.lower() for label in classes]
    for name in _POSITIVE_NAMES:
        if name in lowered:
            return classes[lowered.index(name)]
    warnings.append(f"no class is named 1/true/yes/positive/pos, so {quote(classes[1])} (the second class in sorted order) "
                    "was taken as the positive class; set positive_label (CLI --positive-label) to choose another")
    return classes[1]


def _in_order(classes: tuple[str, ...], order: Sequence[str] | None) -> tuple[str, ...]:
    """The classes with ``order``'s first, in its order, then the rest as they were (sorted).

    >>> _in_order(("a", "b", "c", "d"), ["c", "a"])
    ('c', 'a', 'b', 'd')
    """
    if not order:
        return classes
    named = [normalize_label(label) for label in order]
    unknown = [label for label in named if label not in classes]
    if unknown or len(set(named)) != len(named):
        problem = (f"names {format_examples(unknown)}, which {'is not a class' if len(unknown) == 1 else 'are not classes'}"
                   if unknown else "repeats a class")
        raise EvaluationError(f"the class order {problem}; expected distinct classes among {format_names(classes, limit=20)}")
    return tuple(named) + tuple(label for label in classes if label not in named)


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
        require_probability_columns(f.filename, f.columns, f.probability_classes, classes)
        order = [f.probability_classes.index(c) for c in classes]
        y_score = _rows_taken(f.probabilities, take)
        if order != list(range(len(classes))):
            y_score = y_score[:, order]
    elif f.score is not None:
        if positive is None:
            raise EvaluationError(
                f"{f.filename}: a single score column ({quote(f.columns.score)}) only describes two classes, but the task "
                f"has {len(classes)} ({format_names(classes)}); expected one probability column per class, named "
                f"{format_names(['prob_' + c for c in classes], limit=5)}", file=f.filename, column=f.columns.score)
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
            examples = "; ".join(f"id {quote(ids[i])}: {quote(classes[truths[0][i]])} in {files[0].filename}, "
                                 f"{quote(classes[truth[i]])} in {f.filename}" for i in differ[:5])
            raise EvaluationError(f"{f.filename}: the true label ({quote(f.columns.label)}) differs from {files[0].filename}'s "
                                  f"for {count_text(differ.shape[0], 'example')} ({examples}); expected the same true labels in "
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
    """Load every file: Arrow reads each with every core while workers check the files already read.

    Once the last file is read, its checks run beside what remains of the earlier files' checks.
    Errors are raised in file order; a file that cannot be read stops the reading of later ones.
    """
    jobs: list[Future[PredictionFile]] = []
    import_pandas_integration()  # on this thread, before the workers convert (the dashboard calls this directly)
    with ThreadPoolExecutor(max_workers=max(1, min(len(sources), cores()))) as pool:
        for i, source in enumerate(sources):
            name = None if names is None else str(names[i])
            try:
                read = guarded(source, read_file, source, options.mapping, options.limits)
            except EvaluationError as error:
                failed: Future[PredictionFile] = Future()
                failed.set_exception(error)
                jobs.append(failed)
                break
            jobs.append(pool.submit(check_read, source, read, name, options, index_ids=i == 0))
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
    classes = _label_set(files, declared, options.limits)
    warnings = [warning for f in files for warning in f.warnings]
    ids, takes, pairing_warnings = pair_files(files, options.shared_ids_only)
    ids, takes, excluded = without_ids(ids, takes, options.exclude_ids)
    warnings += pairing_warnings + excluded
    positive = _positive_label(classes, positive_given, warnings)
    classes = _in_order(classes, options.class_order)
    truths = [_codes(f, f.true_labels, f.true_codes, classes, take) for f, take in zip(files, takes, strict=True)]
    _check_true_labels(files, truths, ids, classes)
    models = tuple(_model(f, classes, positive, take, options.threshold) for f, take in zip(files, takes, strict=True))
    return ClassificationData(
        task="binary" if len(classes) == 2 else "multiclass", classes=classes, positive_label=positive,
        ids=np.asarray(ids, dtype=object), y_true=truths[0], models=models,
        metadata=_metadata(files, takes, truths[0].shape[0]), warnings=tuple(warnings))


def inspect_file(source: Source, *, mapping: ColumnMapping | None = None, limits: Limits | None = None) -> FileSummary:
    """Read a file and report its rows, columns, detected roles and candidate classes, without checking more.

    Parameters
    ----------
    source:
        A path, or a ``(filename, bytes)`` upload.
    mapping:
        Explicit column names; the rest are detected.
    limits:
        Limits on the file (see :class:`~evaluation.Limits`; its defaults when ``None``). The limit
        on metadata columns is left to loading, once the columns to slice by are chosen.

    Returns
    -------
    FileSummary
        For a UI to show the detected mapping before anything is computed.

    Raises
    ------
    EvaluationError
        When the file cannot be read, is beyond a limit, an explicit column does not exist, or no
        label column is found.

    Examples
    --------
    >>> s = inspect_file(("m.csv", b"ID,gold,prob_b,prob_a\\n1,a,0.4,0.6\\n"))
    >>> s.n_rows, s.mapping.id, s.mapping.label, s.classes
    (1, 'ID', 'gold', ('a', 'b'))
    """
    limits = limits or Limits()
    filename, table, columns = read_file(source, mapping or ColumnMapping(), limits, metadata=False)
    found: set[str] = {normalize_label(c) for c in columns.probabilities or {}}
    for column in (columns.label, columns.prediction):
        if column:
            try:
                found |= set(label_codes(table.column(column), limits=limits)[1])
            except LabelsBeyondLimit as beyond:
                raise beyond.error(filename, column, limits) from None
            except (pa.ArrowException, TypeError):
                continue
    found.discard("")
    if len(found) > limits.max_classes:
        raise limit_error(filename, f"the labels, predictions and probability columns hold {len(found):,} distinct "
                          f"classes (for example {format_examples(sorted(found))})", f"{limits.max_classes:,} classes",
                          limits, "max_classes")
    return FileSummary(filename=filename, n_rows=table.num_rows, columns=tuple(table.column_names), mapping=columns,
                       classes=sort_labels(found))
