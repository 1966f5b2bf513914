"""Sources that name several files: a directory of part files, or a glob pattern.

A directory holds the files Spark, Hadoop, DuckDB or pandas wrote in parts (``part-00000.parquet``,
...); a pattern such as ``data/base/*.parquet`` or ``runs/**/preds.csv`` names them by their paths.
Either way the parts are read one by one, in name order, and concatenated into one table here:
:func:`evaluation._io.read_table` calls :func:`part_paths` and :func:`concatenate`, so every reader of
prediction files accepts them. The table keeps its rows in the order of the parts, so rows are
numbered across the parts (row 1 is the first data row of the first part).
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TypeVar

import pyarrow as pa

from ._errors import EvaluationError, quote

__all__ = ["EXTENSIONS_TEXT", "concatenate", "first_part", "group_name", "is_multi_file", "part_paths"]

#: The file types a directory or pattern is searched for, as messages name them.
EXTENSIONS_TEXT = ".parquet, .csv, .tsv or .jsonl"
_S = TypeVar("_S")
_GLOB = re.compile(r"[*?[]")
# Files that Spark, Hadoop and Delta write beside the data (_SUCCESS, _committed_*, .part-0.crc, _delta_log).
_BOOKKEEPING = ("_", ".")


def _has_glob(text: str) -> bool:
    """Whether text holds a glob character (``*``, ``?`` or ``[``)."""
    return _GLOB.search(text) is not None


def is_multi_file(source: object) -> bool:
    """Whether a source names several files: an existing directory, or a glob pattern that is not itself a file.

    Examples
    --------
    >>> is_multi_file("."), is_multi_file("absent.csv"), is_multi_file("runs/*.csv")
    (True, False, True)
    >>> is_multi_file(("upload.csv", b"id\\n"))
    False
    """
    if not isinstance(source, (str, os.PathLike)):
        return False
    path = os.fspath(source)
    if not isinstance(path, str):
        return False
    return os.path.isdir(path) or (_has_glob(path) and not os.path.exists(path))


def _bookkeeping(path: str) -> bool:
    """Whether a file is one a writer keeps beside the data (its name starts with ``_`` or ``.``)."""
    return os.path.basename(path).startswith(_BOOKKEEPING)


def part_paths(source: str | os.PathLike[str], accepted: Callable[[str], bool]) -> list[str]:
    """The files a directory or pattern names, sorted by path.

    A directory gives its own files whose name ``accepted`` (not its subdirectories), leaving out
    the writers' bookkeeping files (``_SUCCESS``, ``_committed_*``, ``.part-0.crc``); a pattern gives
    every file :func:`glob.glob` matches (``**`` spans directories), bookkeeping files left out, so a
    part with an unknown extension is named by the reader.

    Raises
    ------
    EvaluationError
        When no file is found: the message names the directory or pattern and what was expected.
    """
    given = os.fspath(source)
    if os.path.isdir(given):
        with os.scandir(given) as entries:
            paths = [os.path.join(given, entry.name) for entry in entries
                     if entry.is_file() and not _bookkeeping(entry.name) and accepted(entry.name)]
        where = f"in the directory {quote(given, width=200)}"
    else:
        paths = [path for path in glob.glob(given, recursive=True) if os.path.isfile(path) and not _bookkeeping(path)]
        where = f"matches {quote(given, width=200)}"
    if not paths:
        raise EvaluationError(f"{given}: no {EXTENSIONS_TEXT} file {where}; expected a prediction file, a directory "
                              "of part files or a glob pattern such as 'data/base/*.parquet' (each part optionally "
                              "gzipped, ending in .gz)", file=given)
    return sorted(paths)


def first_part(source: _S, accepted: Callable[[str], bool]) -> _S | str:
    """The first file of a directory or pattern (to sniff its columns), or the source itself.

    Raises
    ------
    EvaluationError
        A directory or pattern without a file (see :func:`part_paths`).
    """
    if not isinstance(source, (str, os.PathLike)) or not is_multi_file(source):
        return source
    return part_paths(source, accepted)[0]


def group_name(pattern: str) -> str:
    """A directory's or pattern's name: its last path component without glob characters.

    ``data/finetuned/`` -> ``finetuned``; ``data/base/*.parquet`` -> ``base``; a name with glob characters
    in every component (``*.parquet``, or a file such as ``preds[1].csv``) is kept as it is.

    Examples
    --------
    >>> group_name("data/base/*.parquet"), group_name("data/finetuned/"), group_name("runs/ft/**/part-*.csv")
    ('base', 'finetuned', 'ft')
    """
    path = Path(pattern)
    if not _has_glob(pattern):
        return path.name
    plain = [part for part in path.parts if not _has_glob(part) and part not in (os.sep, "/", ".", "..")]
    return plain[-1] if plain else path.name


def concatenate(parts: Sequence[tuple[str, pa.Table]], text_columns: Callable[[list[str]], Collection[str]] | None,
                *, name: str) -> pa.Table:
    """One table of every part's rows, in order, its columns in the first part's order.

    Every part must have the same column names (in any order). A column whose type differs between
    parts is unified: numbers to the wider type (``int64`` and ``double`` give ``double``), an
    all-missing column to the other parts' type, dictionary-encoded text to text, and numbers to text
    in a column the reader keeps as text (``text_columns``: ids, labels).

    Raises
    ------
    EvaluationError
        Different column names, or types that cannot be unified: the message names both parts, the
        column and the two types.
    """
    first_name, first = parts[0]
    first = first.replace_schema_metadata(None)  # a writer's metadata (pandas' index, types) describes one file
    order = first.column_names
    tables = [first]
    for part_name, table in parts[1:]:
        if sorted(table.column_names) != sorted(order):
            raise _columns_differ(name, first_name, order, part_name, table.column_names)
        tables.append(table.select(order).replace_schema_metadata(None))
    if all(table.schema.equals(first.schema) for table in tables[1:]):
        return pa.concat_tables(tables)
    names = [part_name for part_name, _ in parts]
    kept_as_text: Collection[str] | None = None
    for column in order:
        kinds = [table.schema.field(column).type for table in tables]
        if all(kind == kinds[0] for kind in kinds):
            continue
        if any(pa.types.is_dictionary(kind) for kind in kinds):
            tables = [_cast(table, column, kind.value_type) if pa.types.is_dictionary(kind) else table
                      for table, kind in zip(tables, kinds, strict=True)]
            kinds = [table.schema.field(column).type for table in tables]
        if any(_is_text(kind) for kind in kinds) and not all(_is_text(kind) or pa.types.is_null(kind) for kind in kinds):
            if kept_as_text is None:
                kept_as_text = set(text_columns(order)) if text_columns is not None else set()
            if column in kept_as_text:
                tables = [_cast(table, column, pa.string()) for table in tables]
                continue
        target = _unified(column, kinds, names, name)
        tables = [_cast(table, column, target) for table in tables]
    return pa.concat_tables(tables)


def _is_text(kind: pa.DataType) -> bool:
    """Whether a type is text."""
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _cast(table: pa.Table, column: str, kind: pa.DataType) -> pa.Table:
    """The table with one column cast to a type (unchanged when it has it)."""
    index = table.schema.get_field_index(column)
    field = table.schema.field(index)
    if field.type == kind:
        return table
    return table.set_column(index, field.with_type(kind), table.column(index).cast(kind))


def _unified(column: str, kinds: Sequence[pa.DataType], names: Sequence[str], name: str) -> pa.DataType:
    """The type every part's column can be cast to without loss, or the message naming two parts that differ."""
    target = kinds[0]
    for index, kind in enumerate(kinds[1:], start=1):
        try:
            target = pa.unify_schemas([pa.schema([(column, target)]), pa.schema([(column, kind)])],
                                      promote_options="permissive").field(column).type
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            origin = next(i for i, earlier in enumerate(kinds[:index]) if not pa.types.is_null(earlier))
            raise EvaluationError(
                f"{name}: column {quote(column)} holds {_type_text(kinds[origin])} in {names[origin]} but "
                f"{_type_text(kind)} in {names[index]}; expected the same type in every file (for example numbers in "
                "all of them, or text in all of them)", file=name, column=column) from None
    return target


def _type_text(kind: pa.DataType) -> str:
    """A type as a message words it: ``text (string)``, ``numbers (int64)``."""
    if _is_text(kind):
        return f"text ({kind})"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return f"numbers ({kind})"
    return f"values of type {kind}"


def _columns_differ(name: str, first_name: str, first: Sequence[str], other_name: str,
                    other: Sequence[str]) -> EvaluationError:
    """The message for two parts whose column names differ, naming both parts and a column in only one."""
    missing = [column for column in first if column not in other]
    extra = [column for column in other if column not in first]
    column, held, lacking = (missing[0], first_name, other_name) if missing else (extra[0], other_name, first_name)
    return EvaluationError(
        f"{name}: column {quote(column)} is in {held} but not in {lacking}; expected every file of a directory or "
        f"pattern to have the same columns ({first_name} has {len(first):,}: "
        f"{', '.join(quote(c) for c in first[:10])}{', ...' if len(first) > 10 else ''})", file=name, column=column)
