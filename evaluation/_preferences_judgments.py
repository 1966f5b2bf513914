"""Reading and checking a judgments file: :func:`read_judgments` and the trusted :class:`Judgments` it returns.

The columns are described in :mod:`evaluation._preferences` (and the optional output lengths in
:data:`LENGTH_COLUMNS`); every check happens here, once, so the analyses behind it only compute.
:func:`read_judgments_against` reads a file judging candidates against one baseline (``compare
--preferences``), and :func:`pair_judgments` takes one pair's judgments out of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._errors import EvaluationError, format_examples, format_names, quote
from ._io import Source, read_table, source_name
from ._limits import Limits

__all__ = ["LENGTH_COLUMNS", "Judgments", "pair_judgments", "read_judgments", "read_judgments_against"]

_TIES = ("tie", "tie (bothbad)")  # Chatbot Arena writes a tie where both answers are bad as "tie (bothbad)"
_LEFT_ALIASES = ("model_a", "a")
_RIGHT_ALIASES = ("model_b", "b")

LENGTH_COLUMNS = {"models": ("length_a", "length_b"), "named": ("baseline_length", "candidate_length")}
"""Optional output lengths (words) of a judgments file: of the row's ``model_a`` and ``model_b``, or of the
``baseline`` and ``candidate`` named by the caller; the length-adjusted win rate needs one pair."""


@dataclass(frozen=True, eq=False)
class Judgments:
    """Checked judgments, one entry per row, ready to compute on (built by :func:`read_judgments`).

    Attributes
    ----------
    source:
        The file's name, for messages and reports.
    models:
        Model names; ``(baseline, candidate)`` for two named models, else sorted.
    left, right:
        Codes (indices into :attr:`models`) of the two models of each judgment; for two named models
        ``left`` is always the baseline.
    left_score:
        1 when ``left`` won, 0 when ``right`` won, 0.5 for a tie.
    unit:
        Code of each judgment's ``id``: the resampling unit.
    first_shown:
        1 when ``left`` was shown first, 0 when ``right`` was, -1 when unknown; ``None`` without a
        ``position`` column.
    judge:
        Code of each judgment's judge; ``None`` without a ``judge`` column.
    baseline, candidate:
        The two models' names when given by the caller; ``None`` for a tournament.
    ids:
        The text of each ``id`` code: ``ids[unit]`` is each judgment's id.
    left_length, right_length:
        The lengths (words) of the outputs of ``left`` and ``right`` judged in each row; ``None``
        without length columns (:data:`LENGTH_COLUMNS`).
    """

    source: str
    models: tuple[str, ...]
    left: np.ndarray
    right: np.ndarray
    left_score: np.ndarray
    unit: np.ndarray
    first_shown: np.ndarray | None = None
    judge: np.ndarray | None = None
    baseline: str | None = None
    candidate: str | None = None
    ids: np.ndarray | None = None
    left_length: np.ndarray | None = None
    right_length: np.ndarray | None = None

    @property
    def n_units(self) -> int:
        """Distinct ids."""
        return int(self.unit.max()) + 1 if self.unit.size else 0


def read_judgments(source: Source, *, baseline: str | None = None, candidate: str | None = None,
                   filename: str | None = None, limits: Limits | None = None) -> Judgments:
    """Read and check a judgments file.

    Parameters
    ----------
    source:
        A path, raw bytes or a ``(filename, bytes)`` pair (CSV, TSV, JSON Lines or Parquet, maybe gzipped).
    baseline, candidate:
        The two models' names, both or neither. Without columns ``model_a``/``model_b`` every row
        compares these two and ``winner`` is one of the names, ``baseline``, ``candidate`` or ``tie``;
        with the columns every row must compare these two. ``baseline`` alone, with the columns,
        names the anchor of the ratings.
    filename, limits:
        As for :func:`evaluation._io.read_table`.

    Returns
    -------
    Judgments

    Raises
    ------
    EvaluationError
        A missing column, an empty value, a winner or position that is not one of its row's models,
        a model compared with itself, a model named ``tie``, a length that is not a number of zero or
        more; the message names the file, the column and the rows (row 1 is the first data row).

    Examples
    --------
    >>> data = read_judgments(("j.csv", b"id,winner\\n1,new\\n2,tie\\n"), baseline="old", candidate="new")
    >>> data.left_score.tolist()
    [0.0, 0.5]
    """
    name = filename or source_name(source)
    if candidate is not None and baseline is None:
        raise EvaluationError(f"{name}: --candidate needs --baseline: name both models compared, or neither",
                              file=name)
    return _judgments(_table(source, name, limits), name, baseline, candidate)


def read_judgments_against(source: Source, *, baseline: str, candidates: Sequence[str], filename: str | None = None,
                           limits: Limits | None = None) -> Judgments:
    """Read the judgments of one or more candidates against a baseline (``compare --preferences``).

    Without columns ``model_a``/``model_b`` the file is read as by :func:`read_judgments` with
    ``baseline`` and the one candidate (a file without them cannot say which of several candidates a
    row judged). With them it is read as a tournament in which ``winner`` (and ``position``) may also
    be the word ``baseline``, the row's model called ``baseline``, or ``candidate``, the row's other
    model; rows comparing other pairs are kept (:func:`pair_judgments` leaves them out). Length columns
    are not read: the caller measures the outputs.

    Parameters
    ----------
    source:
        A path, raw bytes or a ``(filename, bytes)`` pair.
    baseline:
        The baseline model's name.
    candidates:
        The candidates' names.
    filename, limits:
        As for :func:`evaluation._io.read_table`.

    Returns
    -------
    Judgments

    Raises
    ------
    EvaluationError
        As :func:`read_judgments`; and a file without ``model_a``/``model_b`` for several candidates.

    Examples
    --------
    >>> rows = b"id,model_a,model_b,winner\\n1,base,x,candidate\\n2,y,base,baseline\\n"
    >>> data = read_judgments_against(("j.csv", rows), baseline="base", candidates=["x", "y"])
    >>> data.models, data.left_score.tolist()
    (('base', 'x', 'y'), [0.0, 0.0])
    """
    name = filename or source_name(source)
    table = _table(source, name, limits)
    if not {"model_a", "model_b"} <= set(table.column_names):
        if len(candidates) != 1:
            raise EvaluationError(
                f"{name}: no columns 'model_a' and 'model_b'; with {len(candidates)} candidates "
                f"({format_names(list(candidates))}) every row must say which two models it compares", file=name,
                column="model_a")
        return _judgments(table, name, baseline, candidates[0], lengths=False)
    return _judgments(table, name, baseline, None, against=True, lengths=False)


def pair_judgments(judgments: Judgments, baseline: str, candidate: str) -> Judgments | None:
    """The judgments comparing ``baseline`` with ``candidate``, as two named models; ``None`` when there are none.

    Every judgment is oriented baseline (left) against candidate (right); ids keep their text.

    Examples
    --------
    >>> rows = b"id,model_a,model_b,winner\\n1,x,y,x\\n2,y,z,z\\n3,y,x,tie\\n"
    >>> pair = pair_judgments(read_judgments(("j.csv", rows)), "y", "x")
    >>> pair.models, pair.left_score.tolist(), pair.ids.tolist()
    (('y', 'x'), [0.0, 0.5], ['1', '3'])
    """
    codes = {model: index for index, model in enumerate(judgments.models)}
    if baseline not in codes or candidate not in codes:
        return None
    b, c = codes[baseline], codes[candidate]
    keep = ((judgments.left == b) & (judgments.right == c)) | ((judgments.left == c) & (judgments.right == b))
    if not keep.any():
        return None
    swap = (judgments.left == c)[keep]
    left_score = np.where(swap, 1.0 - judgments.left_score[keep], judgments.left_score[keep])
    first_shown = None
    if judgments.first_shown is not None:
        shown = judgments.first_shown[keep]
        first_shown = np.where(swap & (shown >= 0), 1 - shown, shown).astype(np.int8)
    judge = None if judgments.judge is None else pd.factorize(judgments.judge[keep])[0]
    unit, first = pd.factorize(judgments.unit[keep])
    ids = None if judgments.ids is None else judgments.ids[first]
    lengths: list[np.ndarray | None] = [None, None]
    if judgments.left_length is not None and judgments.right_length is not None:
        left, right = judgments.left_length[keep], judgments.right_length[keep]
        lengths = [np.where(swap, right, left), np.where(swap, left, right)]
    n = int(keep.sum())
    return replace(judgments, models=(baseline, candidate), left=np.zeros(n, dtype=np.intp),
                   right=np.ones(n, dtype=np.intp), left_score=left_score, unit=unit.astype(np.intp),
                   first_shown=first_shown, judge=judge, baseline=baseline, candidate=candidate, ids=ids,
                   left_length=lengths[0], right_length=lengths[1])


def _table(source: Source, name: str, limits: Limits | None) -> pa.Table:
    """The file's table, its model, id and position columns as text."""
    return read_table(source, filename=name, limits=limits,
                      text_columns=lambda columns: [c for c in columns if c in _WANTED])


_WANTED = {"id", "winner", "model_a", "model_b", "judge", "position"}


def _judgments(table: pa.Table, name: str, baseline: str | None, candidate: str | None, *,
               against: bool = False, lengths: bool = True) -> Judgments:
    """Check a judgments table (see :func:`read_judgments`); ``against``: a tournament whose words ``baseline`` and
    ``candidate`` are read relative to ``baseline`` (see :func:`read_judgments_against`); ``lengths``: read the
    length columns (``compare --preferences`` measures the lengths on the outputs instead)."""
    columns = set(table.column_names)
    has_models = {"model_a", "model_b"} <= columns
    required = ["id", "winner"] + ([] if candidate is not None else ["model_a", "model_b"])
    missing = [c for c in required if c not in columns]
    if missing:
        how = ("expected columns id and winner, and model_a and model_b unless --baseline and --candidate name the "
               "two models")
        raise EvaluationError(f"{name}: no column {', '.join(repr(c) for c in missing)}; {how} (found: "
                              f"{format_names(table.column_names)})", file=name, column=missing[0])
    text = {c: _text(table, c, name, required=c in ("id", "winner") or (has_models and c in ("model_a", "model_b")))
            for c in _WANTED & columns}
    rows = table.num_rows
    if has_models:
        left, right = text["model_a"], text["model_b"]
    else:
        assert baseline is not None and candidate is not None
        left, right = np.full(rows, baseline, dtype=object), np.full(rows, candidate, dtype=object)
    _check_names(name, left, right, baseline, candidate, has_models)
    relative = baseline if against else None
    winner = _resolve(name, "winner", text["winner"], left, right, baseline, candidate, has_models, relative)
    left_score = np.where(winner == left, 1.0, np.where(winner == right, 0.0, 0.5))
    first_shown = None
    if "position" in text:
        shown = _resolve(name, "position", text["position"], left, right, baseline, candidate, has_models, relative)
        first_shown = np.where(shown == left, 1, np.where(shown == right, 0, -1)).astype(np.int8)
    judge = pd.factorize(text["judge"], use_na_sentinel=False)[0] if "judge" in text else None
    unit, ids = pd.factorize(text["id"])
    left_length, right_length = _lengths(table, name, has_models, candidate is not None) if lengths else (None, None)
    if candidate is not None:
        assert baseline is not None
        models: tuple[str, ...] = (baseline, candidate)
        swap = left == candidate  # orient every judgment baseline (left) against candidate (right)
        left_score = np.where(swap, 1.0 - left_score, left_score)
        if first_shown is not None:
            first_shown = np.where(swap & (first_shown >= 0), 1 - first_shown, first_shown).astype(np.int8)
        if left_length is not None and right_length is not None and has_models and "length_a" in columns:
            left_length, right_length = np.where(swap, right_length, left_length), np.where(swap, left_length, right_length)
        left_codes, right_codes = np.zeros(rows, dtype=np.intp), np.ones(rows, dtype=np.intp)
    else:
        models = tuple(sorted(set(left.tolist()) | set(right.tolist())))
        codes = {model: index for index, model in enumerate(models)}
        left_codes = np.fromiter((codes[m] for m in left), dtype=np.intp, count=rows)
        right_codes = np.fromiter((codes[m] for m in right), dtype=np.intp, count=rows)
        if baseline is not None and baseline not in codes and not against:
            raise EvaluationError(f"{name}: --baseline {quote(baseline)} names no model of the file; it anchors the "
                                  f"ratings, so it must be one of {format_names(models)}", file=name)
    return Judgments(source=name, models=models, left=left_codes, right=right_codes, left_score=left_score,
                     unit=unit.astype(np.intp), first_shown=first_shown, judge=judge, baseline=baseline,
                     candidate=candidate, ids=np.asarray(ids, dtype=object), left_length=left_length,
                     right_length=right_length)


def _lengths(table: pa.Table, name: str, has_models: bool, named: bool) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The output lengths of each row's two models, in the order of its models (``model_a``, ``model_b``; or baseline,
    candidate), from one pair of :data:`LENGTH_COLUMNS`; ``(None, None)`` without them."""
    columns = set(table.column_names)
    given = [pair for pair in LENGTH_COLUMNS.values() if set(pair) & columns]
    if not given:
        return None, None
    if len(given) > 1:
        raise EvaluationError(f"{name}: columns length_a/length_b and baseline_length/candidate_length both give output "
                              "lengths; keep one pair", file=name, column="length_a")
    pair = given[0]
    absent = [c for c in pair if c not in columns]
    if absent:
        raise EvaluationError(f"{name}: column {pair[1 - pair.index(absent[0])]!r} needs column {absent[0]!r}: the "
                              "lengths of both outputs of a judgment", file=name, column=absent[0])
    if pair == LENGTH_COLUMNS["models"] and not has_models:
        raise EvaluationError(f"{name}: columns 'length_a' and 'length_b' give the lengths of the outputs of model_a and "
                              "model_b, but the file has no columns 'model_a' and 'model_b'; name them "
                              "baseline_length and candidate_length", file=name, column="length_a")
    if pair == LENGTH_COLUMNS["named"] and not named:
        raise EvaluationError(f"{name}: columns 'baseline_length' and 'candidate_length' need the two models named "
                              "(--baseline and --candidate); with model_a and model_b name them length_a and length_b",
                              file=name, column="baseline_length")
    return _length(table, pair[0], name), _length(table, pair[1], name)


def _length(table: pa.Table, column: str, name: str) -> np.ndarray:
    """A length column as floats: a number of words, zero or more, on every row."""
    values = table.column(column)
    try:
        numbers = np.asarray(values.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    except (pa.ArrowException, ValueError, TypeError):
        raise EvaluationError(f"{name}: column {column!r} holds {values.type}; expected a number of words on every row",
                              file=name, column=column) from None
    bad = ~np.isfinite(numbers) | (numbers < 0)
    if bad.any():
        raise EvaluationError(f"{name}: column {column!r} is empty, negative or not finite in {_rows(bad)}; expected a "
                              "number of words, zero or more, on every row", file=name, column=column)
    return numbers


def _rows(mask: np.ndarray) -> str:
    """``rows 3, 9, ... (12 in all)`` for a mask over the rows (row 1 is the first data row)."""
    numbers = (np.flatnonzero(mask) + 1).tolist()
    shown = ", ".join(f"{n:,}" for n in numbers[:5]) + (f", ... ({len(numbers):,} in all)" if len(numbers) > 5 else "")
    return f"row{'s' if len(numbers) > 1 else ''} {shown}"


def _text(table: pa.Table, column: str, name: str, *, required: bool) -> np.ndarray:
    """A column as an object array of stripped strings (``None`` where empty); a required column may not be empty."""
    values = table.column(column)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        try:
            values = values.cast(pa.string())
        except (pa.ArrowException, ValueError):
            raise EvaluationError(f"{name}: column {column!r} holds {values.type}; expected text (model names, ids)",
                                  file=name, column=column) from None
    stripped = pc.utf8_trim_whitespace(values)
    array = np.asarray(pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
                       .to_numpy(zero_copy_only=False), dtype=object)
    empty = pd.isna(array)
    if required and empty.any():
        raise EvaluationError(f"{name}: column {column!r} is empty in {_rows(empty)}; every judgment needs one",
                              file=name, column=column)
    return array


def _check_names(name: str, left: np.ndarray, right: np.ndarray, baseline: str | None, candidate: str | None,
                 has_models: bool) -> None:
    """Refuse a model compared with itself, a model named like a tie, and rows comparing other models than those named."""
    if candidate is not None and baseline == candidate:
        raise EvaluationError(f"{name}: --baseline and --candidate are both {quote(baseline)}; name two different models",
                              file=name)
    for option, model in (("--baseline", baseline), ("--candidate", candidate)):
        if model is not None and model.lower() in _TIES:
            raise EvaluationError(f"{name}: {option} {quote(model)} reads as a tie; rename the model", file=name)
    if not has_models:
        return
    for column, models in (("model_a", left), ("model_b", right)):
        tie = np.isin(pd.Series(models).str.lower().to_numpy(), _TIES)
        if tie.any():
            raise EvaluationError(f"{name}: column {column!r}, {_rows(tie)}: a model named {quote(models[tie][0])} "
                                  "cannot be told from a tie in the winner column; rename it", file=name, column=column)
    same = left == right
    if same.any():
        raise EvaluationError(f"{name}: columns 'model_a' and 'model_b', {_rows(same)}: a model compared with itself "
                              f"({quote(left[same][0])}); expected two different models", file=name, column="model_b")
    if candidate is not None:
        pair = ((left == baseline) & (right == candidate)) | ((left == candidate) & (right == baseline))
        if not pair.all():
            found = sorted({f"{a} vs {b}" for a, b in zip(left[~pair][:100], right[~pair][:100], strict=True)})
            raise EvaluationError(
                f"{name}: columns 'model_a' and 'model_b', {_rows(~pair)}: compare {format_examples(found)}, not "
                f"{quote(baseline)} and {quote(candidate)} (--baseline, --candidate); drop --baseline and --candidate "
                "to rate every model", file=name, column="model_a")


def _resolve(name: str, column: str, values: np.ndarray, left: np.ndarray, right: np.ndarray, baseline: str | None,
             candidate: str | None, has_models: bool, relative: str | None = None) -> np.ndarray:
    """Each row's value as the name of one of its two models, or ``None`` (a tie, or a position not given).

    ``relative``: in a tournament, the model the words ``baseline`` (that model) and ``candidate`` (the
    row's other model) refer to, in the rows that compare it.
    """
    lower = pd.Series(values, dtype=object).str.lower().to_numpy()
    resolved = np.full(values.shape, None, dtype=object)
    aliases: list[tuple[tuple[str, ...], np.ndarray]] = [(_LEFT_ALIASES, left), (_RIGHT_ALIASES, right)] if has_models else []
    if candidate is not None:
        aliases += [(("baseline",), np.full(values.shape, baseline, dtype=object)),
                    (("candidate",), np.full(values.shape, candidate, dtype=object))]
    elif relative is not None:
        nobody = np.full(values.shape, None, dtype=object)
        aliases += [(("baseline",), np.where(left == relative, left, np.where(right == relative, right, nobody))),
                    (("candidate",), np.where(left == relative, right, np.where(right == relative, left, nobody)))]
    for words, models in aliases:
        chosen = np.isin(lower, words)
        resolved[chosen] = models[chosen]
    named = (values == left) | (values == right)  # a model's own name comes before any alias
    resolved[named] = values[named]
    known = pd.notna(resolved)
    if column == "winner":
        known |= np.isin(lower, _TIES)
    else:
        known |= pd.isna(values)  # an unknown position is allowed: the row is left out of the position bias
    if not known.all():
        expected = ["the row's model_a or model_b name" if has_models else f"{quote(baseline)} or {quote(candidate)}"]
        expected += ["model_a, model_b, a, b"] if has_models else []
        expected += ["baseline, candidate"] if candidate is not None or relative is not None else []
        expected += ["tie" if column == "winner" else "empty when unknown"]
        raise EvaluationError(f"{name}: column {column!r}, {_rows(~known)}: {format_examples(values[~known].tolist())} "
                              f"is not one of the row's models; expected {', '.join(expected[:-1])} or {expected[-1]}",
                              file=name, column=column)
    return resolved
