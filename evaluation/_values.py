"""Reading the values of a prediction file's columns: labels, ids, numbers, probabilities, timestamps.

Each reader turns one Arrow column into trusted numpy or Arrow values, or raises an
:class:`EvaluationError` naming the file, the column, the rows (row 1 is the first data row) and
what was expected.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._columns import label_or_none
from ._data import ColumnMapping
from ._errors import EvaluationError, format_examples

__all__ = [
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


def _text_type(array: pa.ChunkedArray) -> pa.ChunkedArray:
    """Decode a dictionary-encoded column to its values."""
    return array.cast(array.type.value_type) if pa.types.is_dictionary(array.type) else array


def label_codes(array: pa.ChunkedArray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Return integer codes (``-1`` where missing) into the column's normalized labels.

    Only the distinct values pass through Python, so a million rows with a few classes cost one
    dictionary encoding.
    """
    encoded = pc.dictionary_encode(_text_type(array).combine_chunks())
    names = [label_or_none(value) for value in encoded.dictionary.to_pylist()]
    vocabulary = tuple(sorted({name for name in names if name is not None}))
    position = {name: i for i, name in enumerate(vocabulary)}
    remap = np.array([position[name] if name is not None else -1 for name in names] + [-1], dtype=np.int64)
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return remap[indices], vocabulary


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

    Equal ids have equal hashes, so distinct hashes prove ids distinct; callers confirm matches
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
    hashes = lengths.astype(np.uint64) * _MULTIPLIER
    with np.errstate(over="ignore"):
        for k in range(0, int(lengths.max(initial=0)), 8):
            word = words[starts + k]
            rest = lengths - k
            if (rest < 8).any():
                bits = np.clip(rest, 0, 7).astype(np.uint64) * np.uint64(8)
                word &= np.where(rest >= 8, ~np.uint64(0), (np.uint64(1) << bits) - np.uint64(1))
            hashes = (hashes ^ word) * _MULTIPLIER
            hashes ^= hashes >> np.uint64(29)
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
            f"{filename}: column {column!r} marks {rows_text(numbers[train])} as training data (train/training). "
            "Evaluating on data the model was trained on overstates its performance; expected held-out rows only. "
            "Remove them, or drop them with drop_train_rows=True (CLI --drop-train-rows).", file=filename, column=column)
    if train.all():
        raise EvaluationError(f"{filename}: every row of column {column!r} is training data; no held-out rows are left "
                              "to evaluate", file=filename, column=column)
    warning = f"{filename}: dropped {int(train.sum()):,} training rows (column {column!r} is train/training)"
    return table.filter(pa.array(~train)), numbers[~train], [warning]


def read_labels(
    table: pa.Table, column: str, numbers: np.ndarray, filename: str, what: str
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes into the normalized labels of a label or prediction column; refuses missing values."""
    try:
        codes, labels = label_codes(table.column(column))
    except (pa.ArrowException, TypeError) as error:
        raise EvaluationError(f"{filename}: column {column!r} cannot be read as labels ({error}); expected {what}",
                              file=filename, column=column) from None
    missing = codes < 0
    if missing.any():
        raise EvaluationError(f"{filename}: column {column!r} has missing values in {rows_text(numbers[missing])}; "
                              f"expected {what} on every row", file=filename, column=column)
    return codes, labels


def read_ids(table: pa.Table, column: str, numbers: np.ndarray, filename: str) -> pa.Array:
    """Normalized id text of the id column; refuses missing ids."""
    try:
        ids = id_text(table.column(column))
    except (pa.ArrowException, TypeError) as error:
        raise EvaluationError(f"{filename}: column {column!r} cannot be read as ids ({error}); expected one text or "
                              "number per row", file=filename, column=column) from None
    if ids.null_count:
        missing = ids.is_null().to_numpy(zero_copy_only=False)
        raise EvaluationError(f"{filename}: column {column!r} has missing ids in {rows_text(numbers[missing])}; "
                              "expected an id on every row", file=filename, column=column)
    return ids


def rows_text(numbers: np.ndarray) -> str:
    """``3 rows (rows 2, 7, 9; row 1 is the first data row)`` for 1-based data-row numbers."""
    count = int(numbers.shape[0])
    listed = format_examples(numbers[:5].tolist() + [0] * (count - min(count, 5)))
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
            raise EvaluationError(f"{filename}: column {column!r} holds text that is not a number in "
                                  f"{rows_text(numbers[bad])}: {format_examples(texts)}; expected probabilities written "
                                  f"as numbers such as 0.25{comma}", file=filename, column=column)
        sums += values  # NaN in a row where a value is missing: one sum finds both
    if np.isnan(sums).any():
        j = int(np.flatnonzero(np.isnan(matrix).any(axis=0))[0])
        missing = np.isnan(matrix[:, j])
        raise EvaluationError(f"{filename}: column {columns[j]!r} has missing values in {rows_text(numbers[missing])}; "
                              "expected a probability between 0 and 1 on every row", file=filename, column=columns[j])
    low, high = matrix.min(initial=0.0), matrix.max(initial=0.0)
    if low < -_SLACK or high > 1 + _SLACK:
        outside = (matrix < -_SLACK) | (matrix > 1 + _SLACK)
        bad_rows = outside.any(axis=1)
        column = columns[int(np.flatnonzero(outside.any(axis=0))[0])]
        examples = [float(v) for v in matrix[outside][:5]]
        raise EvaluationError(
            f"{filename}: probabilities must lie between 0 and 1, but {rows_text(numbers[bad_rows])} hold values such as "
            f"{format_examples(examples)} (first in column {column!r}); {_range_hint(matrix)}", file=filename, column=column)
    if low < 0 or high > 1:
        np.clip(matrix, 0.0, 1.0, out=matrix)
        sums = matrix.sum(axis=1)
    if len(columns) > 1:
        off = np.abs(sums - 1.0) > tolerance
        if off.any():
            hint = ("; they look like percentages: divide by 100" if np.allclose(sums[off], 100, atol=100 * tolerance)
                    else "; is a class column missing, or are these independent scores rather than one distribution?")
            shown = ", ".join(columns[:4]) + (", ..." if len(columns) > 4 else "")
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
        return pa.array(pd.to_datetime(values, unit="ms" if milliseconds else "s"))
    text = pd.Series(pc.cast(array, pa.string()).to_pylist(), dtype=object)
    bad = np.ones(len(text), dtype=bool)
    for mixed, utc in ((False, False), (True, False), (True, True)):
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="mixed" if mixed else None, utc=utc)
        except (ValueError, TypeError):
            continue
        bad = (parsed.isna() & text.notna()).to_numpy()
        if not bad.any():
            return pa.array(parsed)
    positions = np.flatnonzero(bad)
    raise EvaluationError(f"{filename}: timestamp column {column!r} holds text that is not a date or time in "
                          f"{rows_text(numbers[positions])}: {format_examples(text.iloc[positions[:5]].tolist())}; "
                          "expected dates such as 2024-05-31 or 2024-05-31T14:05:00", file=filename, column=column)
