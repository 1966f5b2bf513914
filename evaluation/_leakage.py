"""Leakage: test examples that are also in the fine-tuning data (``compare --training-data FILE [FILE ...]``).

A test example is leaked when the training data holds it:

- **by id**: its id is an id of a training row (the id column found by name as in prediction files);
- **by content**: the exact text of its content columns (``--leakage-columns``; by default the prompt-like
  columns both sides have: ``prompt``, ``input``, ``question``, ``instruction``, ``text``), surrounding
  whitespace stripped and inner whitespace runs made one space, equals a training row's;
- **near-duplicate** (text): the Jaccard similarity of their sets of word 3-grams (lower-cased ``\\w+``
  words; a text of fewer than 3 words is one shingle) is at least ``threshold`` (0.8 by default) with a
  training row's. Candidates come from MinHash signatures (128 hash functions) banded for locality-sensitive
  hashing, with as many rows per band as keep the chance that a pair at the threshold becomes a candidate
  above 0.9999 (at 0.8: 32 bands of 4 rows, ``1 - (1 - 0.8**4)**32``); every candidate's Jaccard similarity
  is then computed exactly, so no pair below the threshold is reported (Broder 1997; Leskovec, Rajaraman and
  Ullman, *Mining of Massive Datasets*, ch. 3).

:func:`find_leakage` returns the leaked ids by kind; the command line then recomputes the comparison without
them (``LoadOptions.exclude_ids``) and reports both (:func:`leakage_document`, :func:`leakage_markdown`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ._columns import ALIASES
from ._data import LoadOptions
from ._errors import EvaluationError, quote
from ._io import Source, read_table, source_name
from ._limits import Limits
from ._results import Settings
from ._text import escape_markdown, markdown_cell
from ._values import id_text

__all__ = ["CONTENT_COLUMNS", "LEAKAGE_HEADER", "NEAR_DUPLICATE_THRESHOLD", "Leakage", "find_leakage",
           "leakage_document", "leakage_markdown", "leakage_section", "leakage_sentences", "leakage_table", "leakage_warning",
           "minhash_signatures", "near_duplicates", "shingles"]

CONTENT_COLUMNS: tuple[str, ...] = ("prompt", "input", "question", "instruction", "text")
"""Columns compared by content when ``--leakage-columns`` is not given and both sides have them."""
NEAR_DUPLICATE_THRESHOLD = 0.8
"""Jaccard similarity of word 3-gram sets from which two texts are near-duplicates."""
_HASHES = 128
_WORD = re.compile(r"\w+", re.UNICODE)
_IDS = (*ALIASES["id"], "doc_id")


@dataclass(frozen=True)
class Leakage:
    """The test examples found in the training data.

    Attributes
    ----------
    sources:
        The training files.
    n_examples:
        The test examples looked for.
    by_id, by_content, near_duplicates:
        The leaked test ids of each kind (an id may be in several).
    content_columns:
        The columns compared by content (none: no content comparison).
    threshold:
        The near-duplicate threshold (Jaccard similarity of word 3-gram sets); ``None`` when near-duplicates were
        not looked for (an out-of-memory engine's search: :mod:`evaluation._sql_leakage`).
    """

    sources: tuple[str, ...]
    n_examples: int
    by_id: tuple[str, ...] = ()
    by_content: tuple[str, ...] = ()
    near_duplicates: tuple[str, ...] = ()
    content_columns: tuple[str, ...] = ()
    threshold: float | None = NEAR_DUPLICATE_THRESHOLD
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every leaked test id, once, in the order found."""
        return tuple(dict.fromkeys((*self.by_id, *self.by_content, *self.near_duplicates)))


def _normalized(values: Sequence[object]) -> list[str]:
    """Text with surrounding whitespace stripped and inner runs of whitespace made one space (missing: empty)."""
    return [" ".join(str(v).split()) if v is not None else "" for v in values]


def shingles(text: str, size: int = 3) -> frozenset[str]:
    """The set of lower-cased word ``size``-grams of ``text`` (the whole text as one shingle when shorter).

    >>> sorted(shingles("The cat sat on the mat"))
    ['cat sat on', 'on the mat', 'sat on the', 'the cat sat']
    >>> sorted(shingles("Hello, world"))
    ['hello world']
    """
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i:i + size]) for i in range(len(words) - size + 1))


def minhash_signatures(sets: Sequence[frozenset[str]], *, hashes: int = _HASHES, seed: int = 0) -> np.ndarray:
    """``(len(sets), hashes)`` MinHash signatures: for each of ``hashes`` random 64-bit hash functions (each shingle's
    BLAKE2b 64-bit hash XOR a random mask, through the splitmix64 finaliser), the minimum over the set; an empty
    set's row is all ones (the largest value).

    The share of equal entries of two rows estimates the Jaccard similarity of their sets.

    >>> sig = minhash_signatures([frozenset({"a b c", "b c d"}), frozenset({"a b c", "b c d"}), frozenset({"x y z"})])
    >>> bool((sig[0] == sig[1]).all()), float((sig[0] == sig[2]).mean())
    (True, 0.0)
    >>> one, other = frozenset(f"w{i}" for i in range(100)), frozenset(f"w{i}" for i in range(50, 150))
    >>> sig = minhash_signatures([one, other], hashes=4000)
    >>> round(float((sig[0] == sig[1]).mean()), 2)  # Jaccard 50 / 150
    0.33
    """
    masks = np.random.default_rng(seed).integers(0, np.iinfo(np.uint64).max, size=hashes, dtype=np.uint64,
                                                 endpoint=True)
    out = np.full((len(sets), hashes), np.iinfo(np.uint64).max, dtype=np.uint64)
    filled = [i for i, shingle_set in enumerate(sets) if shingle_set]
    values = [np.fromiter((int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "little")
                           for t in sets[i]), dtype=np.uint64, count=len(sets[i])) for i in filled]
    budget = max(1, (1 << 22) // hashes)  # shingles per block: a block's (hashes, shingles) array stays ~32 MB
    first = 0
    while first < len(filled):
        last, size = first, 0
        while last < len(filled) and (last == first or size + values[last].size <= budget):
            size += values[last].size
            last += 1
        block = np.concatenate(values[first:last])
        starts = np.cumsum([0] + [v.size for v in values[first:last - 1]])
        out[filled[first:last]] = np.minimum.reduceat(_mix(masks[:, None] ^ block[None, :]), starts, axis=1).T
        first = last
    return out


def _mix(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (Steele, Lea and Flood 2014), on uint64 arrays: multiplications wrap modulo 2^64."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _band_rows(threshold: float) -> int:
    """Signature rows per band: the most (fewest candidates to check) that still make a pair at ``threshold`` a
    candidate with probability at least 0.9999, ``1 - (1 - t^r)^(128 / r)``."""
    return next((r for r in (8, 4, 2) if 1 - (1 - threshold**r) ** (_HASHES // r) >= 0.9999), 1)


def _candidates(test: np.ndarray, train: np.ndarray, threshold: float) -> np.ndarray:
    """``(m, 2)`` pairs (test row, training row) that share a band of their signatures."""
    rows = _band_rows(threshold)
    pairs = []
    for band in range(_HASHES // rows):
        part = slice(band * rows, (band + 1) * rows)
        keys_test = pd.util.hash_array(np.ascontiguousarray(test[:, part]).view(f"V{8 * rows}").ravel().astype(object)
                                       ) if test.size else np.zeros(0, dtype=np.uint64)
        keys_train = pd.util.hash_array(np.ascontiguousarray(train[:, part]).view(f"V{8 * rows}").ravel().astype(object)
                                        ) if train.size else np.zeros(0, dtype=np.uint64)
        left = pd.DataFrame({"key": keys_test, "test": np.arange(test.shape[0])})
        right = pd.DataFrame({"key": keys_train, "train": np.arange(train.shape[0])})
        merged = left.merge(right, on="key")
        pairs.append(merged[["test", "train"]].to_numpy())
    both = np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
    return np.unique(both, axis=0) if both.size else both.reshape(0, 2)


def near_duplicates(test_texts: Sequence[str], train_texts: Sequence[str], *,
                    threshold: float = NEAR_DUPLICATE_THRESHOLD) -> np.ndarray:
    """The test rows with a training text whose word 3-gram sets have Jaccard similarity ``>= threshold``.

    >>> near_duplicates(["the cat sat on the mat today", "a dog"], ["the cat sat on the mat today!", "birds fly"]).tolist()
    [0]
    """
    test_sets = [shingles(t) for t in test_texts]
    train_sets = [shingles(t) for t in train_texts]
    pairs = _candidates(minhash_signatures(test_sets), minhash_signatures(train_sets), threshold)
    found = set()
    for i, j in pairs.tolist():
        if i in found or not test_sets[i] or not train_sets[j]:
            continue
        common = len(test_sets[i] & train_sets[j])
        if common / (len(test_sets[i]) + len(train_sets[j]) - common) >= threshold:
            found.add(i)
    return np.array(sorted(found), dtype=np.int64)


def _id_column(columns: Sequence[str], filename: str, given: str | None) -> str | None:
    if given is not None:
        if given not in columns:
            raise EvaluationError(f"{filename}: no column {quote(given)} (the id); the columns are "
                                  f"{', '.join(columns[:20])}", file=filename, column=given)
        return given
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[a] for a in _IDS if a in lowered), None)


def _text_column(table: pa.Table, column: str) -> list[str]:
    return _normalized(table.column(column).cast(pa.string()).to_pylist())


def find_leakage(test_source: Source, training_sources: Sequence[Source], *,
                 id_column: str | None = None, content_columns: Sequence[str] | None = None,
                 threshold: float = NEAR_DUPLICATE_THRESHOLD, limits: Limits | None = None) -> Leakage:
    """The test examples (the rows of the first prediction file) found in the training files.

    Parameters
    ----------
    test_source:
        The first prediction file (its content columns are compared).
    training_sources:
        The fine-tuning data: any format :func:`evaluation._io.read_table` reads.
    id_column:
        The id column's name in every file (found by name otherwise).
    content_columns:
        Columns compared by content and, for text, by near-duplicates (default: the prompt-like
        :data:`CONTENT_COLUMNS` both sides have); an empty sequence compares ids alone.
    threshold:
        Near-duplicate threshold in (0, 1].

    Raises
    ------
    EvaluationError
        An unreadable file, a named column a file lacks, a threshold out of range.

    Examples
    --------
    >>> test = ("test.csv", b"id,prompt,label,prediction\\n1,What is two plus two?,4,4\\n2,Name a colour,red,blue\\n")
    >>> train = ("train.csv", b"id,prompt\\n9,what is  two plus two?\\n2,Something else\\n")
    >>> found = find_leakage(test, [train])
    >>> found.by_id, found.by_content, found.near_duplicates  # "What is" and "what is  ": the same words
    (('2',), (), ('1',))
    """
    if not 0 < threshold <= 1:
        raise EvaluationError(f"the near-duplicate threshold must lie in (0, 1] (for example 0.8), got {threshold}")
    limits = limits or Limits()
    test_name = source_name(test_source)
    test = read_table(test_source, filename=test_name, limits=limits)
    test_id = _id_column(test.column_names, test_name, id_column)
    names = [source_name(s) for s in training_sources]
    tables = [read_table(s, filename=n, limits=limits) for s, n in zip(training_sources, names, strict=True)]
    if content_columns is None:
        lowered = [{c.strip().lower(): c for c in t.column_names} for t in (test, *tables)]
        chosen = [name for name in CONTENT_COLUMNS if all(name in low for low in lowered)]
        columns = {id(t): [low[name] for name in chosen] for t, low in zip((test, *tables), lowered, strict=True)}
    else:
        chosen = list(content_columns)
        for t, n in zip((test, *tables), (test_name, *names), strict=True):
            missing = [c for c in chosen if c not in t.column_names]
            if missing:
                raise EvaluationError(f"{n}: no column {quote(missing[0])} to compare by content (--leakage-columns); the "
                                      f"columns are {', '.join(t.column_names[:20])}", file=n, column=missing[0])
        columns = {id(t): chosen for t in (test, *tables)}
    notes = []
    test_row_ids = id_text(test.column(test_id)).to_pylist() if test_id else [str(i) for i in range(test.num_rows)]
    keep = list(range(test.num_rows))
    by_id: list[str] = []
    training_ids: set[str] = set()
    for t, n in zip(tables, names, strict=True):
        column = _id_column(t.column_names, n, id_column)
        if column is not None:
            training_ids.update(v for v in id_text(t.column(column)).to_pylist() if v is not None)
        else:
            notes.append(f"{n}: no id column, so its rows are compared by content alone")
    if test_id is not None:
        by_id = list(dict.fromkeys(test_row_ids[i] for i in keep if test_row_ids[i] in training_ids))
    by_content: list[str] = []
    near: list[str] = []
    if chosen:
        def joined(t: pa.Table) -> list[str]:
            parts = [_text_column(t, c) for c in columns[id(t)]]
            return [" \u241f ".join(values) for values in zip(*parts, strict=True)]

        test_text = [joined(test)[i] for i in keep]
        train_text = [text for t in tables for text in joined(t)]
        known = set(train_text)
        by_content = list(dict.fromkeys(test_row_ids[i] for i, text in zip(keep, test_text, strict=True)
                                        if text and text in known))
        near = list(dict.fromkeys(test_row_ids[keep[i]]
                                  for i in near_duplicates(test_text, train_text, threshold=threshold).tolist()))
    else:
        notes.append("no content column on both sides (prompt, input, question, instruction or text; or "
                     "--leakage-columns), so examples are compared by id alone")
    return Leakage(sources=tuple(names), n_examples=len(set(test_row_ids)), by_id=tuple(by_id), by_content=tuple(by_content),
                   near_duplicates=tuple(near), content_columns=tuple(chosen), threshold=threshold, notes=tuple(notes))


def leakage_section(sources: Sequence[Source], training_sources: Sequence[Source], *, task: str,
                    document: Mapping[str, Any], names: Sequence[str] | None = None,
                    options: LoadOptions | None = None, settings: Settings | None = None, baseline: str | None = None,
                    content_columns: Sequence[str] | None = None,
                    threshold: float = NEAR_DUPLICATE_THRESHOLD,
                    engine: tuple[Callable[[], Leakage], Callable[[LoadOptions], Any]] | None = None) -> dict[str, Any]:
    """The JSON ``leakage`` section of a comparison: the test examples found in ``training_sources``
    (:func:`find_leakage` on the first prediction file), and the comparison of ``sources`` recomputed without
    them with the same names, options, settings and baseline (``document``: the full comparison's JSON
    document). The command line's ``--training-data`` and the dashboard call this.

    ``engine``: where the files lie (DuckDB, Spark), how to find the leaked examples there
    (:func:`evaluation._sql_leakage.find_leakage_sql`) and how to load the comparison's data with given options.
    """
    from dataclasses import replace

    from ._tasks import task_named

    options = options or LoadOptions()
    chosen = task_named(task)

    def load_here(given: LoadOptions) -> Any:
        return chosen.load(sources, names=names, options=given)

    load: Callable[[LoadOptions], Any] = load_here
    if engine is None:
        found = find_leakage(sources[0], training_sources, id_column=options.mapping.id,
                             content_columns=content_columns, threshold=threshold, limits=options.limits)
    else:
        find, load = engine
        found = find()
    if not found.ids:
        return leakage_document(found, document, None)
    clean = load(replace(options, exclude_ids=found.ids))
    return leakage_document(found, document, chosen.to_dict(chosen.compare(clean, settings=settings, baseline=baseline)))


def _verdicts(document: Mapping[str, Any]) -> dict[tuple[str, str], tuple[float, str]]:
    """(candidate, metric) -> (difference, verdict) of a report's JSON document."""
    return {(c["candidate"], metric): (d.get("difference", float("nan")), d.get("verdict", ""))
            for c in document.get("comparisons", []) for metric, d in c.get("metrics", {}).items()}


def leakage_document(leakage: Leakage, full: Mapping[str, Any], clean: Mapping[str, Any] | None) -> dict[str, Any]:
    """The JSON ``leakage`` section: what was found, and every metric and difference without the leaked examples
    beside the full set's (``clean``: the report's document recomputed without them; ``None`` when none leaked).
    ``verdict_changes`` lists every (candidate, metric) whose verdict differs."""
    changes = []
    if clean is not None:
        before, after = _verdicts(full), _verdicts(clean)
        changes = [{"candidate": c, "metric": m, "verdict": before[(c, m)][1], "verdict_without_leaked": after[(c, m)][1]}
                   for (c, m) in before if (c, m) in after and before[(c, m)][1] != after[(c, m)][1]]
    return {
        "training_data": list(leakage.sources), "n_examples": leakage.n_examples, "n_leaked": len(leakage.ids),
        "ids": list(leakage.ids), "by_id": list(leakage.by_id), "by_content": list(leakage.by_content),
        "near_duplicates": list(leakage.near_duplicates), "content_columns": list(leakage.content_columns),
        "near_duplicate_threshold": leakage.threshold, "notes": list(leakage.notes),
        "without_leaked": None if clean is None else {
            "n_examples": clean.get("n_examples"),
            "models": {name: {"metrics": model.get("metrics", {})} for name, model in clean.get("models", {}).items()},
            "comparisons": [{"candidate": c["candidate"], "baseline": c["baseline"], "metrics": c.get("metrics", {}),
                             "verdict": c.get("verdict")} for c in clean.get("comparisons", [])]},
        "verdict_changes": changes,
    }


def leakage_warning(section: Mapping[str, Any]) -> str | None:
    """The warning to print when leaked examples change a verdict, else ``None``."""
    changes = section["verdict_changes"]
    if not changes:
        return None
    shown = "; ".join(f"{c['candidate']} {c['metric']}: {c['verdict']} with them, {c['verdict_without_leaked']} without"
                      for c in changes[:3])
    more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
    return (f"{section['n_leaked']:,} test examples are in the training data, and without them a verdict changes: "
            f"{shown}{more}")


LEAKAGE_HEADER = ("candidate", "metric", "difference (all)", "verdict (all)", "difference (without leaked)",
                  "verdict (without leaked)")
"""The columns of :func:`leakage_table`."""


def _number(value: object) -> str:
    return f"{value:+.4g}" if isinstance(value, int | float) and not isinstance(value, bool) else "n/a"


def leakage_sentences(section: Mapping[str, Any], *, name: Callable[[str], str] = str) -> list[str]:
    """What leaked and how it was found, the notes, and the warning when a verdict changes (plain text; ``name``
    formats file, model and column names, e.g. escapes them for Markdown)."""
    how = [f"{len(section['by_id']):,} by id"]
    if section["content_columns"]:
        how.append(f"{len(section['by_content']):,} by the exact text of {', '.join(map(name, section['content_columns']))}")
        if section["near_duplicate_threshold"] is not None:  # None: not looked for (a note says why)
            how.append(f"{len(section['near_duplicates']):,} near-duplicates (word 3-gram Jaccard >= "
                       f"{section['near_duplicate_threshold']:g})")
    out = [f"{section['n_leaked']:,} of {section['n_examples']:,} test examples are in the training data "
           f"({', '.join(map(name, section['training_data']))}): " + "; ".join(how) + ".", *map(name, section["notes"])]
    if section["without_leaked"] is not None:
        out.append(f"Every difference recomputed on the {section['without_leaked']['n_examples']:,} examples that are "
                   "not in the training data:")
    warning = leakage_warning(section)
    if warning:
        out.append(f"Warning: {name(warning)}.")
    return out


def leakage_table(section: Mapping[str, Any], full: Mapping[str, Any]) -> list[list[str]]:
    """One row per candidate and metric (:data:`LEAKAGE_HEADER`): the difference and verdict with and without the
    leaked examples (``full``: the report's JSON document); none when nothing leaked."""
    clean = section["without_leaked"]
    if clean is None:
        return []
    before = _verdicts(full)
    rows = []
    for comparison in clean["comparisons"]:
        for metric, d in comparison["metrics"].items():
            difference, verdict = before.get((comparison["candidate"], metric), (None, ""))
            rows.append([comparison["candidate"], metric, _number(difference), verdict, _number(d.get("difference")),
                         d.get("verdict", "")])
    return rows


def leakage_markdown(section: Mapping[str, Any], full: Mapping[str, Any]) -> str:
    """A Markdown section: what leaked, how it was found, and each difference with (``full``: the report's JSON
    document) and without the leaked examples."""
    lines = ["## Leakage", ""]
    for sentence in leakage_sentences(section, name=escape_markdown):
        lines += [sentence, ""]
    rows = leakage_table(section, full)
    if rows:
        lines += ["| " + " | ".join(LEAKAGE_HEADER) + " |", "| --- | --- | ---: | --- | ---: | --- |"]
        lines += ["| " + " | ".join([markdown_cell(row[0]), *row[1:]]) + " |" for row in rows]
    return "\n".join(lines).rstrip() + "\n"
