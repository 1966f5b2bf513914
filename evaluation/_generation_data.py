"""Reading text-generation files: each model's outputs, the references, language-model scores and
per-example scores, checked and paired by id (:func:`load_generation`).

One file per model version (CSV, TSV, JSON Lines or Parquet, gzip allowed), paired by ``id`` as for the
other tasks. Columns are found by name (case-insensitively; :data:`GENERATION_ALIASES`): the model's
``output`` and the ``reference`` (or several references: a list, or numbered ``reference_1``, ...) are
required unless the files hold a language model's scores alone; a ``prompt`` is kept for reading; a
language model's summed negative log-likelihood ``nll`` (nats) with its ``n_tokens``, and optionally
``n_bytes`` (or the scored ``text``, whose UTF-8 bytes are counted); ``score_<name>`` columns; ``sample``
and ``cluster`` columns; every other column is metadata to slice by. A missing output is scored as the
empty text. References must be the same in every file for an id. lm-evaluation-harness's per-sample logs
and Inspect's eval logs are read as such files (:mod:`evaluation._generation_logs`). The statistics
are in :mod:`evaluation._generation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from ._data import ColumnMapping, LoadOptions
from ._errors import EvaluationError, quote
from ._generation_logs import log_format, read_log
from ._io import Source, model_name, read_table, source_name
from ._limits import Limits
from ._loading import FileSummary
from ._pairing import pair_checked, paired_metadata, without_ids
from ._prediction_file import PredictionFile, _metadata, guarded, unlabelled_file
from ._tasks import NUMBERED_REFERENCE
from ._values import read_ids, rows_text, training_rows

__all__ = ["GENERATION_ALIASES", "SCORE_PREFIX", "TASK", "GenerationData", "GenerationModel", "inspect_generation_file",
           "load_generation"]

T = TypeVar("T")
TASK = "generation"
SCORE_PREFIX = "score_"
"""Columns ``score_<name>`` hold a per-example score: compared as a mean (McNemar's test when every value is 0 or 1)."""

GENERATION_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "example_id", "sample_id", "uid", "guid", "row_id", "idx", "doc_id"),
    "output": ("output", "prediction", "completion", "response", "hypothesis", "generation"),
    "reference": ("reference", "target", "answer", "gold", "references", "targets"),
    "prompt": ("prompt", "input", "question", "instruction"),
    "nll": ("nll",),
    "logprob_sum": ("logprob_sum",),
    "n_tokens": ("n_tokens",),
    "n_bytes": ("n_bytes",),
    "text": ("text", "scored_text"),
    "split": ("split", "subset", "partition", "data_split"),
    "timestamp": ("timestamp", "time", "datetime", "date", "created_at"),
    "sample": ("sample", "repeat", "sample_index", "epoch"),
    "cluster": ("cluster", "cluster_id", "group_id", "conversation_id", "passage_id"),
}
"""Accepted names of each column role of a generation file, matched case-insensitively, first alias first.
A reference column may hold lists of references; without one, numbered columns (``reference_1``,
``reference_2``, ...; or ``target_1``, ...) hold an example's several references."""


@dataclass(frozen=True)
class GenerationModel:
    """One model's outputs (and language-model scores), aligned with :attr:`GenerationData.references`."""

    name: str
    source: str
    outputs: tuple[str, ...] | None
    """The texts; ``None`` when the files hold language-model scores alone."""
    nll: np.ndarray | None = None
    n_tokens: np.ndarray | None = None
    n_bytes: np.ndarray | None = None
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    """Per-example scores by column (``score_<name>``: a judge's rating, a unit test's pass or fail)."""


@dataclass(frozen=True)
class GenerationData:
    """Paired outputs of several models for the same prompts.

    Attributes
    ----------
    ids:
        ``(n,)`` example ids (text).
    references:
        Each example's references: one text, or several; ``None`` when the files hold language-model
        scores (``nll``, ``n_tokens``) without references.
    prompts:
        The prompt of each example when a file has one, else ``None``.
    models:
        One :class:`GenerationModel` per file, in file order.
    metadata:
        Columns to slice by, one row per example.
    warnings:
        What the user must know to read the numbers right.
    """

    ids: np.ndarray
    references: tuple[tuple[str, ...], ...] | None
    prompts: tuple[str, ...] | None
    models: tuple[GenerationModel, ...]
    metadata: pd.DataFrame
    warnings: tuple[str, ...] = ()
    task: str = TASK
    clusters: np.ndarray | None = None
    """Each example's cluster, coded 0..C-1 (an id with its samples, or the ``cluster`` column); ``None``: independent."""
    repeats: bool = False
    """Whether the clusters are ids with several samples each (a ``sample`` column, no ``cluster`` column): pass@k."""
    tokens_differ: str | None = None
    """Where the files' token counts differ for an example (their tokenizers differ): token perplexity is then not
    compared, bits per byte is."""

    @property
    def n_examples(self) -> int:
        """Number of paired examples."""
        return len(self.ids)

    @property
    def has_text(self) -> bool:
        """Whether every model has outputs and the examples references: the text metrics can be computed."""
        return self.references is not None and all(model.outputs is not None for model in self.models)

    @property
    def model_names(self) -> tuple[str, ...]:
        """The models' names in file order."""
        return tuple(model.name for model in self.models)

    def model(self, name: str) -> GenerationModel:
        """The model called ``name``."""
        return next(model for model in self.models if model.name == name)


def _roles(header: Sequence[str], mapping: ColumnMapping, filename: str) -> dict[str, str]:
    """Each role's column: an explicit name (``--label-column`` names the reference, ``--prediction-column`` the
    output, ``--id-column`` the id) or the first alias found."""
    lowered = {name.strip().lower(): name for name in header}
    explicit = {"id": mapping.id, "reference": mapping.label, "output": mapping.prediction, "split": mapping.split,
                "timestamp": mapping.timestamp}
    roles: dict[str, str] = {}
    for role, aliases in GENERATION_ALIASES.items():
        given = explicit.get(role)
        if given is not None:
            if given not in header:
                raise EvaluationError(f"{filename}: no column {quote(given)} (the {role}); the columns are "
                                      f"{', '.join(header[:20])}", file=filename, column=given)
            roles[role] = given
            continue
        found = next((lowered[alias] for alias in aliases if alias in lowered and lowered[alias] not in roles.values()),
                     None)
        if found is not None:
            roles[role] = found
    if "reference" not in roles:  # several references in numbered columns: roles "reference", "reference 2", ...
        numbered = sorted((int(match.group(1)), name) for name in header
                          if (match := NUMBERED_REFERENCE.fullmatch(name.strip().lower())) and name not in roles.values())
        for position, (_, name) in enumerate(numbered, start=1):
            roles["reference" if position == 1 else f"reference {position}"] = name
    scored = "nll" in roles or "logprob_sum" in roles  # language-model scores alone need no text
    for role, names in (("output", "output, prediction, completion, response or hypothesis"),
                        ("reference", "reference, target, answer or gold (lists of references allowed), or "
                                      "numbered reference_1, reference_2, ...")):
        if role not in roles and not scored:
            raise EvaluationError(f"{filename}: no column holds the {role}; expected one named {names} (or name it "
                                  f"with --{'prediction' if role == 'output' else 'label'}-column)", file=filename)
    return roles


def _reference_columns(roles: dict[str, str]) -> list[str]:
    """The reference column, then the other numbered ones in order (none in a file of language-model scores alone)."""
    if "reference" not in roles:
        return []
    return [roles["reference"], *(roles[f"reference {i}"] for i in range(2, len(roles) + 1) if f"reference {i}" in roles)]


def _references(table: pa.Table, columns: list[str], numbers: np.ndarray, filename: str) -> list[tuple[str, ...]]:
    """Each row's references: one text column, a column of lists of texts, or numbered text columns (where an
    empty cell is no reference). Every row needs at least one."""
    first = table.column(columns[0])
    if len(columns) == 1 and (pa.types.is_list(first.type) or pa.types.is_large_list(first.type)):
        if not (pa.types.is_string(first.type.value_type) or pa.types.is_large_string(first.type.value_type)
                or pa.types.is_null(first.type.value_type)):
            raise EvaluationError(f"{filename}: column {quote(columns[0])} holds lists of {first.type.value_type}; "
                                  "expected lists of reference texts", file=filename, column=columns[0])
        rows = [tuple(ref for ref in value if ref is not None) if value is not None else () for value in first.to_pylist()]
    elif len(columns) == 1:
        rows = [(value,) if value is not None else () for value in first.cast(pa.string()).to_pylist()]
    else:
        cells = [table.column(column).cast(pa.string()).to_pylist() for column in columns]
        rows = [tuple(value for value in row if value) for row in zip(*cells, strict=True)]
    missing = np.flatnonzero(np.array([not refs for refs in rows], dtype=bool))
    if missing.size:
        named = f"column {quote(columns[0])}" if len(columns) == 1 else f"columns {', '.join(quote(c) for c in columns)}"
        raise EvaluationError(f"{filename}: {named} {'has' if len(columns) == 1 else 'have'} no reference in "
                              f"{rows_text(numbers[missing])}; expected at least one reference on every row",
                              file=filename, column=columns[0])
    return rows


def _numbers(table: pa.Table, column: str, numbers: np.ndarray, filename: str) -> np.ndarray:
    try:
        values = table.column(column).cast(pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowException, TypeError):
        raise EvaluationError(f"{filename}: column {quote(column)} holds text that is not a number; expected a number on "
                              "every row", file=filename, column=column) from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise EvaluationError(f"{filename}: column {quote(column)} has missing or infinite values in "
                              f"{rows_text(numbers[bad])}; expected a finite number on every row",
                              file=filename, column=column)
    return values


@dataclass(frozen=True)
class GenerationFile:
    """One model's file, read and checked, before pairing (:func:`read_generation_table`)."""

    shell: PredictionFile
    outputs: list[str] | None
    references: list[tuple[str, ...]] | None
    prompts: list[str] | None
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    empty: int = 0
    clusters: list[str] | None = None
    repeats: bool = False


def _text(table: pa.Table, column: str) -> tuple[list[str], int]:
    """A text column as strings, a missing cell as the empty text; and how many were missing."""
    values = table.column(column).cast(pa.string()).to_pylist()
    missing = sum(value is None for value in values)
    return [value if value is not None else "" for value in values], missing


def _read_one(source: Source, name: str | None, options: LoadOptions) -> GenerationFile:
    filename = source_name(source)
    found: dict[str, str] = {}

    def text_columns(header: list[str]) -> list[str]:
        found.update(_roles(header, options.mapping, filename))
        return [found[role] for role in ("id", "output", "prompt", "split") if role in found] + _reference_columns(found)

    if log_format(source) is not None:  # an lm-evaluation-harness or Inspect log: its rows as this task's table
        table = read_log(source)
    else:
        table = guarded(source, lambda: read_table(source, filename=filename, text_columns=text_columns,
                                                   limits=options.limits))
    return read_generation_table(table, filename, name, options, found or None)


def read_generation_table(table: pa.Table, filename: str, name: str | None, options: LoadOptions,
                          roles: dict[str, str] | None = None) -> GenerationFile:
    """One model's file, read into ``table`` (its rows in file order), checked: its outputs, references, prompts,
    scores, ids, clusters and metadata (``roles``: the columns found, by default from the table's header)."""
    roles = roles or _roles(table.column_names, options.mapping, filename)
    used = set(roles.values())
    metadata = tuple(c for c in table.column_names if c not in used and not c.strip().lower().startswith(SCORE_PREFIX)) \
        if options.mapping.metadata is None else tuple(options.mapping.metadata)
    columns = ColumnMapping(id=roles.get("id"), label=roles.get("reference"), prediction=roles.get("output"),
                            split=roles.get("split"), timestamp=roles.get("timestamp"), metadata=metadata)
    table, numbers, warnings = training_rows(table, columns, filename, drop=options.drop_train_rows)
    outputs, empty = _text(table, roles["output"]) if "output" in roles else (None, 0)
    references = _references(table, _reference_columns(roles), numbers, filename) if "reference" in roles else None
    prompts = _text(table, roles["prompt"])[0] if "prompt" in roles else None
    scores = {}
    nll = roles.get("nll") or roles.get("logprob_sum")
    if nll is not None:
        scores["nll"] = _numbers(table, nll, numbers, filename) * (1.0 if "nll" in roles else -1.0)
        if "n_tokens" not in roles:
            raise EvaluationError(f"{filename}: column {quote(nll)} needs its token counts; expected a column named "
                                  "n_tokens", file=filename, column=nll)
        scores["n_tokens"] = _numbers(table, roles["n_tokens"], numbers, filename)
        if "n_bytes" in roles:
            scores["n_bytes"] = _numbers(table, roles["n_bytes"], numbers, filename)
        elif "text" in roles:  # the scored text's UTF-8 bytes
            scores["n_bytes"] = np.array([len(t.encode("utf-8")) for t in _text(table, roles["text"])[0]], dtype=float)
    for column in (c for c in table.column_names if c.strip().lower().startswith(SCORE_PREFIX) and c not in used):
        scores[SCORE_PREFIX + column.strip()[len(SCORE_PREFIX):]] = _numbers(table, column, numbers, filename)
    ids = read_ids(table, columns.id, numbers, filename) if columns.id else None
    clusters = None
    if "sample" in roles:  # several generations per id: pair by (id, sample), resample each id with its samples
        if ids is None:
            raise EvaluationError(f"{filename}: column {quote(roles['sample'])} numbers several samples per id, but the "
                                  "file has no id column; expected an id on every row", file=filename,
                                  column=roles["sample"])
        samples = _text(table, roles["sample"])[0]
        clusters = [str(i) for i in ids.to_pylist()]
        ids = pa.array([f"{i} #{sample}" for i, sample in zip(clusters, samples, strict=True)])
    if "cluster" in roles:  # examples that share a passage, a template or a conversation
        clusters = _text(table, roles["cluster"])[0]
    kept = _metadata(table, columns, filename, chosen=options.mapping.metadata is not None, warnings=warnings)
    shell = unlabelled_file(name or model_name(filename), filename, columns, numbers, ids, kept, warnings)
    return GenerationFile(shell, outputs, references, prompts, scores, empty, clusters,
                          "sample" in roles and "cluster" not in roles)


def load_generation(
    sources: Sequence[Source], *, names: Sequence[str] | None = None, options: LoadOptions | None = None
) -> GenerationData:
    """Read the outputs of text-generating models, check them and pair them by id.

    Parameters
    ----------
    sources:
        Paths or ``(filename, bytes)`` uploads, baseline first.
    names:
        Model names (default: the file names without extensions).
    options:
        Column names (``mapping.label`` names the reference, ``mapping.prediction`` the output) and
        limits (see :class:`LoadOptions`).

    Returns
    -------
    GenerationData

    Raises
    ------
    EvaluationError
        A file that cannot be read, no output or reference column, references that differ between
        files for one id, log-likelihoods without token counts, or files that do not pair.

    Examples
    --------
    >>> data = load_generation([("a.jsonl", b'{"id": 1, "output": "a cat", "reference": "the cat"}\\n'),
    ...                         ("b.jsonl", b'{"id": 1, "output": "the cat", "reference": "the cat"}\\n')])
    >>> data.references, data.model("b").outputs
    ((('the cat',),), ('the cat',))
    """
    options = options or LoadOptions()
    if names is not None and len(names) != len(sources):
        raise EvaluationError(f"{len(names)} model names for {len(sources)} files; expected one name per file")
    return paired_generation([_read_one(source, None if names is None else names[i], options)
                              for i, source in enumerate(sources)], options)


def paired_generation(read: Sequence[GenerationFile], options: LoadOptions) -> GenerationData:
    """The files' checked rows (:func:`read_generation_table`) paired by id: the references must agree, the
    scores every file has are kept, the clusters of an id's samples found."""
    files = [r.shell for r in read]
    ids, takes, warnings = pair_checked(files, options.shared_ids_only)
    if options.exclude_ids:  # with several samples per id, an excluded id takes its samples with it
        raw = read[0].clusters if all(r.repeats for r in read) else None
        keys = None if raw is None else np.asarray(raw if takes[0] is None else [raw[i] for i in takes[0]], dtype=object)
        ids, takes, excluded = without_ids(ids, takes, options.exclude_ids, keys=keys)
        warnings += excluded

    def aligned(values: list[T], take: np.ndarray | None) -> list[T]:
        return values if take is None else [values[i] for i in take]

    def shown(refs: tuple[str, ...]) -> str:
        return repr(" | ".join(refs)[:60])

    for role, values in (("output", [r.outputs for r in read]), ("reference", [r.references for r in read])):
        given = [v is not None for v in values]
        if any(given) and not all(given):
            lacking, having = read[given.index(False)].shell.filename, read[given.index(True)].shell.filename
            raise EvaluationError(f"{lacking}: no column holds the {role}, but {having} has one; expected every file to "
                                  f"have it (or none, to compare language-model scores alone)", file=lacking)
    references = None if read[0].references is None else aligned(read[0].references, takes[0])
    for r, take in zip(read[1:], takes[1:], strict=True):
        if references is None or r.references is None:
            break
        theirs = aligned(r.references, take)
        differ = [i for i, (a, b) in enumerate(zip(theirs, references, strict=True)) if a != b]
        if differ:
            first = differ[0]
            many = "s" if len(differ) != 1 else ""
            raise EvaluationError(f"{r.shell.filename}: the references differ from {files[0].filename}'s for "
                                  f"{len(differ):,} example{many} (for example id {ids[first]!r}: {shown(theirs[first])} "
                                  f"against {shown(references[first])}); expected the same test set, with the same "
                                  "references, in every file", file=r.shell.filename, column=r.shell.columns.label)
    scored = ["nll" in r.scores for r in read]
    if any(scored) and not all(scored):
        warnings.append("only some files have log-likelihoods (nll, n_tokens): perplexity and bits per byte are left out")
    named = [{key for key in r.scores if key.startswith(SCORE_PREFIX)} for r in read]
    common = set.intersection(*named) if named else set()
    if set.union(*named) - common:
        warnings.append(f"{', '.join(sorted(set.union(*named) - common))}: not in every file, so not compared")
    models = []
    for r, take in zip(read, takes, strict=True):
        def column(key: str, r: GenerationFile = r, take: np.ndarray | None = take) -> np.ndarray | None:
            values = r.scores.get(key)
            if values is None or (not key.startswith(SCORE_PREFIX) and not all(scored)):
                return None
            return values if take is None else values[take]
        per_example = {key: column(key) for key in sorted(common)}
        models.append(GenerationModel(r.shell.name, r.shell.filename,
                                      None if r.outputs is None else tuple(aligned(r.outputs, take)),
                                      column("nll"), column("n_tokens"), column("n_bytes"),
                                      {key: values for key, values in per_example.items() if values is not None}))
        if r.empty:
            warnings.append(f"{r.shell.filename}: {r.empty:,} missing outputs are scored as the empty text")
    metadata = paired_metadata(files, takes)
    prompts = read[0].prompts
    clusters = None
    repeats = all(r.repeats for r in read)
    if read[0].clusters is not None:
        labels = np.asarray(aligned(read[0].clusters, takes[0]), dtype=object).astype(str)
        keys, clusters = np.unique(labels, return_inverse=True)
        clusters = clusters.astype(np.int64)
        counts = np.bincount(clusters)
        if repeats and counts.min() != counts.max():  # pass@k and the mean over samples need as many of each id
            least, most = int(counts.argmin()), int(counts.argmax())
            raise EvaluationError(f"{files[0].filename}: the ids have different numbers of samples (for example "
                                  f"{str(keys[least])!r} {counts[least]}, {str(keys[most])!r} {counts[most]}); expected "
                                  "the same number of samples of every id", file=files[0].filename)
    return GenerationData(ids=np.asarray(ids, dtype=object), clusters=clusters,
                          tokens_differ=_tokens_differ(models, ids),
                          references=None if references is None else tuple(references),
                          repeats=clusters is not None and repeats,
                          prompts=None if prompts is None else tuple(aligned(prompts, takes[0])), models=tuple(models),
                          metadata=metadata,
                          warnings=tuple([w for f in files for w in f.warnings] + list(warnings)))


def _tokens_differ(models: list[GenerationModel], ids: Sequence[object] | np.ndarray) -> str | None:
    """Where the models' token counts differ (their tokenizers do, so token perplexities do not compare), else ``None``."""
    counts = [model.n_tokens for model in models]
    if any(c is None for c in counts):
        return None
    first = counts[0]
    assert first is not None
    for model, theirs in zip(models[1:], counts[1:], strict=True):
        assert theirs is not None
        differ = np.flatnonzero(theirs != first)
        if differ.size:
            at = int(differ[0])
            return (f"{models[0].source} and {model.source} count different tokens for {differ.size:,} example"
                    f"{'s' if differ.size != 1 else ''} (for example id {ids[at]!r}: {first[at]:g} against {theirs[at]:g})")
    return None


def inspect_generation_file(source: Source, *, mapping: ColumnMapping | None = None,
                            limits: Limits | None = None) -> FileSummary:
    """What a generation file holds and which columns were detected, before anything is computed.

    The summary of :func:`evaluation.inspect_file`, with the reference as ``label``, the output as
    ``prediction`` and no classes; a problem with the file shows at once.

    Examples
    --------
    >>> s = inspect_generation_file(("m.jsonl", b'{"id": 1, "output": "a cat", "reference": "the cat"}\\n'))
    >>> s.n_rows, s.mapping.label, s.mapping.prediction
    (1, 'reference', 'output')
    """
    read = _read_one(source, None, LoadOptions(mapping=mapping or ColumnMapping(), limits=limits or Limits()))
    columns = read.shell.columns
    roles = (columns.id, columns.label, columns.prediction, columns.split, columns.timestamp, *(columns.metadata or ()))
    return FileSummary(filename=read.shell.filename, n_rows=read.shell.n_rows,
                       columns=tuple(dict.fromkeys(c for c in roles if c)), mapping=columns, classes=())
