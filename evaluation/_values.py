"""Reading the values of a prediction file's columns: labels, ids, numbers, probabilities, timestamps.

Each reader turns one Arrow column into trusted numpy or Arrow values, or raises an
:class:`EvaluationError` naming the file, the column, the rows (row 1 is the first data row) and
what was expected.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._columns import label_or_none
from ._data import ColumnMapping
from ._errors import EvaluationError, clip, format_examples, format_names, quote
from ._limits import Limits, limit_error

__all__ = [
    "LabelsBeyondLimit",
    "id_hashes",
    "id_text",
    "label_codes",
    "number_values",
    "probability_matrix",
    "read_ids",
    "read_labels",
    "rows_text",
    "timestamp_array",
    "training_rows",
]

_TRAIN_VALUES = ("train", "training")
_SLACK = 1e-9  # probabilities this far outside [0, 1] are rounding, and clipped
_MISSING_TEXT = frozenset({"", "nan", "na", "n/a", "null", "none", "#n/a"})
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_LABEL_BATCH = 4096  # distinct values normalized between two checks of the class limit


def _text_type(array: pa.ChunkedArray) -> pa.ChunkedArray:
    """Decode a dictionary-encoded column to its values."""
    return array.cast(array.type.value_type) if pa.types.is_dictionary(array.type) else array


class LabelsBeyondLimit(Exception):
    """A column holds more distinct labels, or a longer label, than the limits allow (turned into a message by the caller)."""

    def __init__(self, found: str, limit: str, field: str) -> None:
        super().__init__(found)
        self.found, self.limit, self.field = found, limit, field

    def error(self, filename: str, column: str, limits: Limits) -> EvaluationError:
        """The message naming the file and the column."""
        return limit_error(filename, f"column {quote(column)} holds {self.found}", self.limit, limits, self.field,
                           column=column)


def label_codes(array: pa.ChunkedArray, *, limits: Limits | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Return integer codes (``-1`` where missing) into the column's normalized labels.

    Only the distinct values pass through Python, so a million rows with a few classes cost one
    dictionary encoding. With ``limits``, raises :class:`LabelsBeyondLimit` for a label longer than
    ``max_label_length`` and as soon as more than ``max_classes`` distinct labels are seen.
    """
    encoded = pc.dictionary_encode(_text_type(array).combine_chunks())
    dictionary = encoded.dictionary
    if limits is not None:
        _check_label_length(dictionary, limits)
    names: list[str | None] = []
    distinct: set[str] = set()
    for start in range(0, len(dictionary), _LABEL_BATCH):
        for value in dictionary.slice(start, _LABEL_BATCH).to_pylist():
            name = label_or_none(value)
            names.append(name)
            if name is not None:
                distinct.add(name)
        if limits is not None and len(distinct) > limits.max_classes:
            raise LabelsBeyondLimit(f"more than {limits.max_classes:,} distinct labels (for example "
                                    f"{format_examples(sorted(distinct)[:5])}, ...)", f"{limits.max_classes:,} classes",
                                    "max_classes")
    vocabulary = tuple(sorted(distinct))
    position = {name: i for i, name in enumerate(vocabulary)}
    remap = np.array([position[name] if name is not None else -1 for name in names] + [-1], dtype=np.int64)
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return remap[indices], vocabulary


def _check_label_length(values: pa.Array, limits: Limits) -> None:
    """Refuse a label longer than ``max_label_length`` characters (surrounding spaces aside)."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)) or len(values) == 0:
        return
    lengths = pc.utf8_length(pc.utf8_trim_whitespace(values))
    if (pc.max(lengths).as_py() or 0) > limits.max_label_length:
        longest = int(pc.index(lengths, pc.max(lengths)).as_py())
        label = str(values[longest].as_py()).strip()
        raise LabelsBeyondLimit(f"a label of {len(label):,} characters ({quote(label)})",
                                f"{limits.max_label_length:,} characters per label", "max_label_length")


def id_text(array: pa.ChunkedArray) -> pa.Array:
    """Return ids as trimmed text (null where missing); ``12`` and ``12.0`` are the same id.

    Raises ``pyarrow.ArrowInvalid`` for columns that cannot be text (nested values).
    """
    array = _text_type(array)
    kind = array.type
    if pa.types.is_floating(kind):
        values = array.to_numpy(zero_copy_only=False)
        finite = values[np.isfinite(values)]
        if np.all(finite == np.round(finite)) and (finite.size == 0 or np.abs(finite).max() < 2**53):
            mask = ~np.isfinite(values)
            return pa.array(np.nan_to_num(values).astype(np.int64), mask=mask).cast(pa.string())
        return pc.cast(array, pa.string()).combine_chunks()
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return pc.cast(array, pa.string()).combine_chunks()
    text = pc.utf8_trim_whitespace(array)
    if pc.any(pc.match_substring(text, ".")).as_py():
        text = pc.replace_substring_regex(text, r"^([+-]?[0-9]+)\.0+$", r"\1")
    lengths = pc.utf8_length(text)
    if pc.min(lengths).as_py() == 0:  # blank ids are missing ids
        text = pc.if_else(pc.equal(lengths, 0), pa.scalar(None, text.type), text)
    return text.combine_chunks()


def id_hashes(ids: pa.Array) -> np.ndarray:
    """Return a 64-bit hash of each id's UTF-8 bytes, mixed eight bytes at a time.

    An id's hash depends on its bytes alone (not on the other ids), so equal ids have equal hashes,
    in one file or across files, and distinct hashes prove ids distinct; callers confirm matches
    exactly. Pairing a million ids this way costs a fraction of a string hash table.
    """
    n = len(ids)
    _, offsets_buffer, data_buffer = ids.buffers()[:3]
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if pa.types.is_large_string(ids.type) else np.int32)
    offsets = offsets[ids.offset: ids.offset + n + 1].astype(np.int64)
    starts, lengths = offsets[:-1], np.diff(offsets)
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, dtype=np.uint8)
    padded = np.zeros(data.shape[0] + 8, dtype=np.uint8)
    padded[: data.shape[0]] = data
    # An unaligned view with a one-byte stride: words[i] is the eight bytes starting at byte i.
    words = np.ndarray(shape=(data.shape[0] + 1,), dtype="<u8", buffer=padded, strides=(1,))
    padding = data.shape[0]  # words[padding] is eight zero bytes
    hashes = lengths.astype(np.uint64) * _MULTIPLIER
    with np.errstate(over="ignore"):
        for k in range(0, int(lengths.max(initial=0)), 8):
            # Clipped: an id that ended before byte k may start near the end of the buffer, and its
            # word is masked to nothing anyway.
            word = words[np.minimum(starts + k, padding)]
            rest = lengths - k
            if (rest < 8).any():
                bits = np.clip(rest, 0, 7).astype(np.uint64) * np.uint64(8)
                word &= np.where(rest >= 8, ~np.uint64(0), (np.uint64(1) << bits) - np.uint64(1))
            mixed = (hashes ^ word) * _MULTIPLIER
            mixed ^= mixed >> np.uint64(29)
            # Ids that have ended keep their hash, which therefore does not depend on the longest id.
            hashes = mixed if (rest > 0).all() else np.where(rest > 0, mixed, hashes)
    return hashes


def number_values(array: pa.ChunkedArray, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return a column as float64 (NaN where missing) and a mask of cells that are not numbers.

    With ``out`` (an ``(n,)`` float64 array, such as a column of a matrix) the values are written
    there and ``out`` is returned; numeric columns are then copied once, chunk by chunk.
    """
    array = _text_type(array)
    kind = array.type
    n = len(array)
    values = np.empty(n) if out is None else out
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind) or pa.types.is_boolean(kind):
        start = 0
        for chunk in array.chunks:
            if chunk.type != pa.float64():
                chunk = pc.cast(chunk, pa.float64())
            values[start:start + len(chunk)] = chunk.to_numpy(zero_copy_only=False)  # a view unless there are nulls
            start += len(chunk)
        return values, np.zeros(n, dtype=bool)
    values[:], bad = _text_numbers(array)
    return values, bad


def _text_numbers(array: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Values of a column that is not numeric (NaN where missing or not a number) and its cells that are not numbers."""
    kind = array.type
    n = len(array)
    if pa.types.is_null(kind):
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return np.full(n, np.nan), np.ones(n, dtype=bool)
    import pandas as pd  # imported when needed: reading a file should not wait for it

    text = pd.Series(array.to_pylist(), dtype=object).str.strip()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    missing = text.isna().to_numpy() | text.str.lower().isin(_MISSING_TEXT).to_numpy()
    return numbers, np.isnan(numbers) & ~missing


def training_rows(
    table: pa.Table, columns: ColumnMapping, filename: str, *, drop: bool
) -> tuple[pa.Table, np.ndarray, list[str]]:
    """Refuse rows whose split is train/training, or drop them with a warning; return the rows' 1-based numbers."""
    numbers = np.arange(1, table.num_rows + 1)
    if not columns.split:
        return table, numbers, []
    try:
        split = pc.utf8_lower(pc.utf8_trim_whitespace(pc.cast(table.column(columns.split), pa.string())))
    except (pa.ArrowException, TypeError):
        return table, numbers, []
    train = pc.is_in(split, value_set=pa.array(_TRAIN_VALUES)).fill_null(False).to_numpy(zero_copy_only=False)
    if not train.any():
        return table, numbers, []
    column = columns.split
    if not drop:
        raise EvaluationError(
            f"{filename}: column {quote(column)} marks {rows_text(numbers[train])} as training data (train/training). "
            "Evaluating on data the model was trained on overstates its performance; expected held-out rows only. "
            "Remove them, or drop them with drop_train_rows=True (CLI --drop-train-rows).", file=filename, column=column)
    if train.all():
        raise EvaluationError(f"{filename}: every row of column {quote(column)} is training data; no held-out rows are left "
                              "to evaluate", file=filename, column=column)
    warning = f"{filename}: dropped {int(train.sum()):,} training rows (column {quote(column)} is train/training)"
    return table.filter(pa.array(~train)), numbers[~train], [warning]


def read_labels(
    table: pa.Table, column: str, numbers: np.ndarray, filename: str, what: str, limits: Limits
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes into the normalized labels of a label or prediction column; refuses missing values and labels beyond the limits."""
    try:
        codes, labels = label_codes(table.column(column), limits=limits)
    except LabelsBeyondLimit as beyond:
        raise beyond.error(filename, column, limits) from None
    except (pa.ArrowException, TypeError) as error:
        raise EvaluationError(f"{filename}: column {quote(column)} cannot be read as labels ({clip(str(error))}); "
                              f"expected {what}", file=filename, column=column) from None
    missing = codes < 0
    if missing.any():
        raise EvaluationError(f"{filename}: column {quote(column)} has missing values in {rows_text(numbers[missing])}; "
                              f"expected {what} on every row", file=filename, column=column)
    return codes, labels


def read_ids(table: pa.Table, column: str, numbers: np.ndarray, filename: str) -> pa.Array:
    """Normalized id text of the id column; refuses missing ids."""
    try:
        ids = id_text(table.column(column))
    except (pa.ArrowException, TypeError) as error:
        raise EvaluationError(f"{filename}: column {quote(column)} cannot be read as ids ({clip(str(error))}); expected "
                              "one text or number per row", file=filename, column=column) from None
    if ids.null_count:
        missing = ids.is_null().to_numpy(zero_copy_only=False)
        raise EvaluationError(f"{filename}: column {quote(column)} has missing ids in {rows_text(numbers[missing])}; "
                              "expected an id on every row", file=filename, column=column)
    return ids


def rows_text(numbers: np.ndarray) -> str:
    """``3 rows (rows 2, 7, 9; row 1 is the first data row)`` for 1-based data-row numbers."""
    count = int(numbers.shape[0])
    listed = ", ".join(str(number) for number in numbers[:5].tolist()) + (f", ... ({count:,} in all)" if count > 5 else "")
    return f"{count:,} row{'s' if count != 1 else ''} (row{'s' if count != 1 else ''} {listed}; row 1 is the first data row)"


def _text_of(array: pa.ChunkedArray, positions: np.ndarray) -> list[str]:
    """The cells at a few positions, as text."""
    return [str(value) for value in array.take(pa.array(positions[:5])).to_pylist()]


def _range_hint(values: np.ndarray) -> str:
    """Why values outside [0, 1] might be there."""
    if np.nanmin(values) < 0:
        return "negative values suggest logits or log-probabilities: apply a softmax (sigmoid for a single score) first"
    if np.nanmax(values) <= 100:
        return "values up to 100 suggest percentages: divide them by 100"
    return "expected probabilities, not raw scores"


def probability_matrix(table: pa.Table, columns: Sequence[str], numbers: np.ndarray, filename: str,
                       tolerance: float) -> np.ndarray:
    """Read probability columns into an ``(n, m)`` array in [0, 1] whose rows (when ``m > 1``) sum to 1.

    Values within 1e-9 of [0, 1] are clipped; rows must sum to 1 within ``tolerance`` and are then
    used as given, as scikit-learn does (no renormalisation). ``numbers`` are the rows' 1-based
    data-row numbers, for messages.
    """
    matrix = np.empty((table.num_rows, len(columns)), order="F")  # column-major: each column is written in one piece
    sums = np.zeros(table.num_rows)
    for j, column in enumerate(columns):
        values, bad = number_values(table.column(column), out=matrix[:, j])
        if bad.any():
            texts = _text_of(table.column(column), np.flatnonzero(bad))
            comma = " (use a dot as the decimal separator)" if any("," in text for text in texts) else ""
            raise EvaluationError(f"{filename}: column {quote(column)} holds text that is not a number in "
                                  f"{rows_text(numbers[bad])}: {format_examples(texts)}; expected probabilities written "
                                  f"as numbers such as 0.25{comma}", file=filename, column=column)
        sums += values  # NaN in a row where a value is missing: one sum finds both
    if np.isnan(sums).any():
        j = int(np.flatnonzero(np.isnan(matrix).any(axis=0))[0])
        missing = np.isnan(matrix[:, j])
        raise EvaluationError(f"{filename}: column {quote(columns[j])} has missing values in {rows_text(numbers[missing])}; "
                              "expected a probability between 0 and 1 on every row", file=filename, column=columns[j])
    low, high = matrix.min(initial=0.0), matrix.max(initial=0.0)
    if low < -_SLACK or high > 1 + _SLACK:
        outside = (matrix < -_SLACK) | (matrix > 1 + _SLACK)
        bad_rows = outside.any(axis=1)
        column = columns[int(np.flatnonzero(outside.any(axis=0))[0])]
        examples = [float(v) for v in matrix[outside][:5]]
        raise EvaluationError(
            f"{filename}: probabilities must lie between 0 and 1, but {rows_text(numbers[bad_rows])} hold values such as "
            f"{format_examples(examples)} (first in column {quote(column)}); {_range_hint(matrix)}", file=filename, column=column)
    if low < 0 or high > 1:
        np.clip(matrix, 0.0, 1.0, out=matrix)
        sums = matrix.sum(axis=1)
    if len(columns) > 1:
        off = np.abs(sums - 1.0) > tolerance
        if off.any():
            hint = ("; they look like percentages: divide by 100" if np.allclose(sums[off], 100, atol=100 * tolerance)
                    else "; is a class column missing, or are these independent scores rather than one distribution?")
            shown = format_names(columns, limit=4)
            raise EvaluationError(
                f"{filename}: the class probabilities ({shown}) must sum to 1 on every row (within {tolerance:g}), but "
                f"{rows_text(numbers[off])} sum to {format_examples([round(float(s), 6) for s in sums[off][:5]])}{hint}",
                file=filename, column=columns[0])
    return matrix


def timestamp_array(array: pa.ChunkedArray, numbers: np.ndarray, filename: str, column: str) -> pa.Array:
    """Parse a timestamp column (ISO text, dates, Unix seconds or milliseconds) into Arrow timestamps; nulls stay."""
    import pandas as pd

    array = _text_type(array)
    kind = array.type
    if pa.types.is_timestamp(kind):
        return array.combine_chunks()
    if pa.types.is_date(kind):
        return pc.cast(array, pa.timestamp("s")).combine_chunks()
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)
        if np.nanmin(values, initial=np.inf) < 1e8:  # not Unix time (1e8 s is 1973): a duration, say; kept as is
            return array.combine_chunks()
        milliseconds = np.nanmax(values, initial=0) > 1e11  # 1e11 s is the year 5138
        parsed = pd.to_datetime(values, unit="ms" if milliseconds else "s", errors="coerce")
        outside = np.flatnonzero(parsed.isna() & ~np.isnan(values))
        if outside.shape[0]:
            raise EvaluationError(
                f"{filename}: timestamp column {quote(column)} holds numbers beyond any date in {rows_text(numbers[outside])}: "
                f"{format_examples(values[outside[:5]].tolist())}; expected Unix time in seconds or milliseconds, or dates "
                "such as 2024-05-31", file=filename, column=column)
        return pa.array(parsed)
    text = pd.Series(pc.cast(array, pa.string()).to_pylist(), dtype=object)
    bad = np.ones(len(text), dtype=bool)
    for mixed, utc in ((False, False), (True, False), (True, True)):
        try:
            with warnings.catch_warnings():  # pandas's notice that it parses element by element is not the user's concern
                warnings.simplefilter("ignore", UserWarning)
                parsed = pd.to_datetime(text, errors="coerce", format="mixed" if mixed else None, utc=utc)
        except (ValueError, TypeError, OverflowError):
            continue
        bad = (parsed.isna() & text.notna()).to_numpy()
        if not bad.any():
            return pa.array(parsed)
    positions = np.flatnonzero(bad)
    raise EvaluationError(f"{filename}: timestamp column {quote(column)} holds text that is not a date or time in "
                          f"{rows_text(numbers[positions])}: {format_examples(text.iloc[positions[:5]].tolist())}; "
                          "expected dates such as 2024-05-31 or 2024-05-31T14:05:00", file=filename, column=column)
