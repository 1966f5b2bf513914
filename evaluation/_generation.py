"""Generation: models that write text (or score it), compared on the same prompts.

One file per model version (CSV, TSV, JSON Lines or Parquet, gzip allowed), paired by ``id`` as for
the other tasks. Columns are found by name (case-insensitively; :data:`GENERATION_ALIASES`): the
model's ``output`` and the ``reference`` are required; a ``prompt`` is kept for reading; a language
model's summed negative log-likelihood ``nll`` (nats) with its ``n_tokens``, and optionally ``n_bytes``,
give perplexity, and with ``n_bytes`` (or the scored ``text``, whose UTF-8 bytes are counted) bits per byte;
every other column is metadata to slice by. A missing output
is scored as the empty text. References must be the same in every file for an id. lm-evaluation-harness's
per-sample logs (``samples_<task>_<timestamp>.jsonl``) and Inspect's eval logs are read as such files
(:mod:`evaluation._generation_logs`).

Every metric is a registered statistic of per-example sufficient statistics (:mod:`evaluation._sums`):
sacrebleu's BLEU, chrF and TER from their summed per-sentence statistics (equal to sacrebleu's
``corpus_score``; its signatures are in the report), rouge-score's ROUGE-1/2/L F-measure, exact
match and the bag-of-tokens F1 of question answering as means of per-example values (paired t-test),
perplexity ``exp(sum nll / sum tokens)`` and bits per byte ``sum nll / (ln 2 * sum bytes)``. The
corpus metrics get the paired bootstrap's interval and the paired permutation test.
"""

from __future__ import annotations

import importlib.metadata
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats
from scipy.special import ndtri

from . import _text_metrics as text
from ._data import ColumnMapping, LoadOptions
from ._errors import EvaluationError, quote
from ._generation_logs import log_format, read_log
from ._inference import rng_for
from ._io import Source, model_name, read_table, source_name
from ._limits import Limits
from ._loading import FileSummary
from ._pairing import pair_checked, paired_metadata
from ._prediction_file import PredictionFile, _metadata, guarded, unlabelled_file
from ._preferences_results import PreferenceComparison
from ._resampling import percentile_interval
from ._results import Difference, Estimate, Settings, SliceResult
from ._settings import settings_iv
from ._slices import slice_columns
from ._statistics import MCNEMAR, PAIRED_PERMUTATION, PAIRED_T, Statistic, register, statistics_of
from ._sums import SummedStatistics, baseline_first, cluster_sums, clustered_t, resampling_groups
from ._tasks import NUMBERED_REFERENCE
from ._values import read_ids, rows_text, training_rows

__all__ = [
    "GENERATION_ALIASES",
    "GenerationComparison",
    "GenerationData",
    "GenerationModel",
    "GenerationModelReport",
    "GenerationReport",
    "PerplexityRatio",
    "compare_generation",
    "inspect_generation_file",
    "load_generation",
    "perplexity_ratio",
]

T = TypeVar("T")
TASK = "generation"
DEFAULT_PRIMARY = "bleu"
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
    "sample": ("sample", "repeat", "sample_index"),
    "cluster": ("cluster", "cluster_id", "group_id", "conversation_id", "passage_id"),
}
"""Accepted names of each column role of a generation file, matched case-insensitively, first alias first.
A reference column may hold lists of references; without one, numbered columns (``reference_1``,
``reference_2``, ...; or ``target_1``, ...) hold an example's several references."""

_BLEU = tuple(f"bleu_{name}" for name in text.BLEU_COLUMNS)  # sacrebleu's per-sentence statistics
_CHRF = tuple(f"chrf_{name}" for name in text.CHRF_COLUMNS)
_TER = tuple(f"ter_{name}" for name in text.TER_COLUMNS)
_COLUMNS = (*_BLEU, *_CHRF, *_TER, "rouge1", "rouge2", "rougeL", "exact_match", "token_f1", "nll", "n_tokens",
            "n_bytes", "output_words", "one")
SUMS = SummedStatistics(TASK, _COLUMNS, stream=50)
"""The generation statistics' estimates, differences and slices, from each example's row of ``_COLUMNS``."""


def _perplexity(totals: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.exp(totals[..., 0] / totals[..., 1])


def _bits_per_byte(totals: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return totals[..., 0] / (math.log(2) * totals[..., 1])


def _mean(totals: np.ndarray) -> np.ndarray:
    """The mean of a per-example value from its total and the count (its columns: the value, ``one``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return totals[..., 0] / totals[..., 1]


for _statistic in (
    Statistic("bleu", "BLEU", TASK, True, _BLEU, text.bleu_from_totals, PAIRED_PERMUTATION,
              "sacrebleu's corpus BLEU (0-100) with its default settings."),
    Statistic("chrf", "chrF", TASK, True, _CHRF, text.chrf_from_totals, PAIRED_PERMUTATION,
              "sacrebleu's corpus chrF (0-100): character n-gram F-score, beta 2."),
    Statistic("ter", "TER", TASK, False, _TER, text.ter_from_totals, PAIRED_PERMUTATION,
              "sacrebleu's corpus translation edit rate (0-100 and more): edits per reference word."),
    Statistic("rouge1", "ROUGE-1", TASK, True, ("rouge1", "one"), _mean, PAIRED_T,
              "Mean ROUGE-1 F-measure (rouge-score; stemming only when asked), 0-1."),
    Statistic("rouge2", "ROUGE-2", TASK, True, ("rouge2", "one"), _mean, PAIRED_T,
              "Mean ROUGE-2 F-measure (rouge-score; stemming only when asked), 0-1."),
    Statistic("rougeL", "ROUGE-L", TASK, True, ("rougeL", "one"), _mean, PAIRED_T,
              "Mean ROUGE-L F-measure (rouge-score; stemming only when asked), 0-1."),
    Statistic("exact_match", "Exact match", TASK, True, ("exact_match", "one"), _mean, PAIRED_T,
              "Share of outputs equal to a reference after stripping surrounding whitespace (or after SQuAD's "
              "normalisation when asked)."),
    Statistic("token_f1", "Token F1", TASK, True, ("token_f1", "one"), _mean, PAIRED_T,
              "Mean bag-of-tokens F1 of question answering (normalised text)."),
    Statistic("perplexity", "Perplexity", TASK, False, ("nll", "n_tokens"), _perplexity, PAIRED_PERMUTATION,
              "exp(summed negative log-likelihood / summed tokens): token-weighted corpus perplexity."),
    Statistic("bits_per_byte", "Bits per byte", TASK, False, ("nll", "n_bytes"), _bits_per_byte, PAIRED_PERMUTATION,
              "Summed negative log-likelihood / (ln 2 x summed UTF-8 bytes): comparable across tokenizers."),
):
    register(_statistic)


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
class _Read:
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


def _read_one(source: Source, name: str | None, options: LoadOptions) -> _Read:
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
    roles = found or _roles(table.column_names, options.mapping, filename)
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
    return _Read(shell, outputs, references, prompts, scores, empty, clusters, "sample" in roles and "cluster" not in roles)


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
    read = [_read_one(source, None if names is None else names[i], options) for i, source in enumerate(sources)]
    files = [r.shell for r in read]
    ids, takes, warnings = pair_checked(files, options.shared_ids_only)

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
        def column(key: str, r: _Read = r, take: np.ndarray | None = take) -> np.ndarray | None:
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
    if read[0].clusters is not None:
        clusters = np.unique(np.asarray(aligned(read[0].clusters, takes[0]), dtype=object).astype(str),
                             return_inverse=True)[1].astype(np.int64)
    return GenerationData(ids=np.asarray(ids, dtype=object), clusters=clusters,
                          references=None if references is None else tuple(references),
                          repeats=clusters is not None and all(r.repeats for r in read),
                          prompts=None if prompts is None else tuple(aligned(prompts, takes[0])), models=tuple(models),
                          metadata=metadata,
                          warnings=tuple([w for f in files for w in f.warnings] + list(warnings)))


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


# --- results --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GenerationModelReport:
    """One model's metrics, and the mean length of its outputs in words."""

    name: str
    source: str
    metrics: dict[str, Estimate]
    output_words: float


@dataclass(frozen=True)
class GenerationComparison:
    """One candidate against the baseline: every metric's paired difference, the slices, the length change.

    ``output_words``: the candidate's mean output length in words minus the baseline's, with its paired
    t interval (judges and overlap metrics favour length: read it beside every gain).
    """

    candidate: str
    baseline: str
    metrics: dict[str, Difference]
    slices: tuple[SliceResult, ...] = ()
    output_words: Difference | None = None
    perplexity_ratio: PerplexityRatio | None = None
    wilcoxon: dict[str, float] = field(default_factory=dict)
    """For each numeric ``score_`` column (not 0/1), independent examples: the two-sided p-value of the Wilcoxon
    signed-rank test of the paired differences (``scipy.stats.wilcoxon``, zeros dropped), beside the paired t."""
    design_effect: dict[str, float] = field(default_factory=dict)
    """With clustered examples: each mean metric's design effect, the variance of its paired difference with
    clusters over the variance were the examples independent (1: clustering changes nothing)."""
    preferences: PreferenceComparison | None = None
    """A judge's pairwise preferences between the two models' outputs, when a judgments file was given
    (:func:`evaluation._generation_preferences.with_preferences`)."""


@dataclass(frozen=True)
class PerplexityRatio:
    """The candidate's perplexity divided by the baseline's, with two intervals that should agree.

    The log of the ratio is a difference of two ratio estimators (summed negative log-likelihood over
    summed tokens). ``ci_low``/``ci_high``: the delta method, ``exp(log ratio +- z se)`` with ``se``
    from the linearised per-example contributions ``(nll_i - r n_i) / N`` of each model (Cochran 1977,
    ratio estimators), the baseline's subtracted; ``bootstrap_ci_low``/``bootstrap_ci_high``: the paired
    bootstrap's percentile interval of the same ratio. Below 1 the candidate is better.
    """

    ratio: float
    ci_low: float
    ci_high: float
    bootstrap_ci_low: float
    bootstrap_ci_high: float
    std_error_log: float


_LOG_PERPLEXITY = Statistic("log_perplexity", "log perplexity", TASK, False, ("nll", "n_tokens"),
                            lambda totals: np.log(_perplexity(totals)), PAIRED_PERMUTATION,
                            "log(perplexity) = summed nll / summed tokens; not registered: the ratio's bootstrap reads it.")


_RATIO_SUMS = SummedStatistics(TASK, ("nll", "n_tokens"), stream=SUMS.stream)


def perplexity_ratio(base: np.ndarray, cand: np.ndarray, settings: Settings, rng: np.random.Generator, *,
                     clusters: np.ndarray | None = None, groups: np.ndarray | None = None) -> PerplexityRatio:
    """The perplexity ratio of two ``(n, 2)`` designs of ``nll`` and ``n_tokens``, by the delta method and the paired
    bootstrap.

    Examples
    --------
    >>> tokens = np.full(4, 10.0)
    >>> base = np.column_stack([[20.0, 22.0, 18.0, 21.0], tokens])
    >>> cand = np.column_stack([[18.0, 20.0, 17.0, 19.0], tokens])
    >>> result = perplexity_ratio(base, cand, Settings(resamples=200), np.random.default_rng(0))
    >>> bool(np.isclose(result.ratio, np.exp((74 - 81) / 40)))  # exp(cand nll / tokens - base nll / tokens)
    True
    """
    nll, tokens = 0, 1

    def contributions(design: np.ndarray) -> tuple[float, np.ndarray]:
        total_nll, total_tokens = design[:, nll].sum(), design[:, tokens].sum()
        rate = total_nll / total_tokens
        return rate, (design[:, nll] - rate * design[:, tokens]) / total_tokens

    base_rate, base_u = contributions(base)
    cand_rate, cand_u = contributions(cand)
    log_ratio = cand_rate - base_rate
    u = cand_u - base_u
    if clusters is not None:  # whole clusters are the units: their summed contributions, and their summed rows
        u = np.bincount(clusters, weights=u)
    moved = groups if groups is not None else clusters  # the bootstrap's units (see evaluation._sums.resampling_groups)
    if moved is not None:
        base, cand = cluster_sums(base, moved), cluster_sums(cand, moved)
    n = u.shape[0]
    std_error = float(np.sqrt(n / (n - 1) * np.sum(u * u))) if n > 1 else float("nan")
    z = float(ndtri(0.5 + settings.confidence / 2.0))
    replicates = _RATIO_SUMS.bootstrap([base, cand], [_LOG_PERPLEXITY], settings.resamples, rng)
    low, high = percentile_interval(replicates[1]["log_perplexity"] - replicates[0]["log_perplexity"],
                                    confidence=settings.confidence)
    return PerplexityRatio(float(np.exp(log_ratio)), float(np.exp(log_ratio - z * std_error)),
                           float(np.exp(log_ratio + z * std_error)), float(np.exp(low)), float(np.exp(high)), std_error)


@dataclass(frozen=True)
class GenerationReport:
    """Everything the engine concluded about text-generating models (the task-agnostic core of a report).

    ``signatures``: sacrebleu's signature of each of its metrics, for reproducing the numbers.
    """

    n_examples: int
    baseline: str
    models: dict[str, GenerationModelReport]
    comparisons: tuple[GenerationComparison, ...]
    warnings: tuple[str, ...]
    signatures: dict[str, str]
    settings: Settings = field(default_factory=Settings)
    task: str = TASK


def pass_at_k(passes: np.ndarray, groups: np.ndarray, k: int) -> np.ndarray:
    """The unbiased pass@k of each group (an id's samples) from its 0/1 results (Chen et al. 2021, HumanEval):
    ``1 - C(n - c, k) / C(n, k)`` with ``n`` samples and ``c`` passes, in its stable product form.

    Examples
    --------
    >>> pass_at_k(np.array([1, 0, 0, 0, 1, 1]), np.array([0, 0, 0, 1, 1, 1]), 2).round(4).tolist()
    [0.6667, 1.0]
    """
    n = np.bincount(groups).astype(float)
    c = np.bincount(groups, weights=passes).astype(float)
    out = np.ones_like(n)
    for i, (total, right) in enumerate(zip(n, c, strict=True)):
        if total - right >= k:
            out[i] = 1.0 - float(np.prod(1.0 - k / np.arange(total - right + 1, total + 1)))
    return out


def pass_statistics(data: GenerationData, ks: Sequence[int] = ()) -> list[tuple[Statistic, int, str]]:
    """With several samples per id: pass@k of every 0/1 score column for each k of ``ks`` (default: 1 and the
    fewest samples of an id), as ``(statistic, k, score column)``; the statistic is the mean over ids (a ratio of
    per-sample sums, so resampling ids is exact).

    Raises
    ------
    EvaluationError
        A k larger than the fewest samples of an id: the unbiased estimator needs at least k samples.
    """
    if not data.repeats or data.clusters is None:
        if ks:
            raise EvaluationError(f"pass@{ks[0]} needs several samples per id (a sample, repeat or epoch column beside "
                                  "the id); these files have one output per id")
        return []
    counts = np.bincount(data.clusters)
    fewest = int(counts.min())
    if ks and max(ks) > fewest:
        short = data.ids[np.flatnonzero(counts[data.clusters] < max(ks))[:3]]
        raise EvaluationError(f"pass@{max(ks)} needs at least {max(ks)} samples of every id; some ids have only "
                              f"{fewest} (for example {', '.join(str(i).rsplit(' #', 1)[0] for i in short)}); "
                              f"choose k up to {fewest}")
    out = []
    for key in data.models[0].scores:
        if all(np.isin(model.scores[key], (0.0, 1.0)).all() for model in data.models):
            for k in sorted(set(ks) or {1, fewest}):
                name = f"{key}_pass@{k}"
                out.append((Statistic(name, f"{key} pass@{k}", TASK, True, (name, "per_id"), _mean, PAIRED_PERMUTATION,
                                      f"Unbiased pass@{k} of {key} over the ids, from each id's samples."), k, key))
    return out


def score_statistics(data: GenerationData) -> list[Statistic]:
    """A statistic per ``score_<name>`` column of every file: the mean, higher is better, tested by McNemar's exact
    test when every value of every model is 0 or 1, else by the paired t-test."""
    out = []
    for key in data.models[0].scores:
        binary = all(np.isin(model.scores[key], (0.0, 1.0)).all() for model in data.models)
        out.append(Statistic(key, key, TASK, True, (key, "one"), _mean, MCNEMAR if binary else PAIRED_T,
                             f"Mean of the per-example {'pass (1) or fail (0)' if binary else 'score'} in column {key}."))
    return out


def _columns(data: GenerationData) -> tuple[str, ...]:
    """The design's columns before the scores: every one with texts; without, the language-model ones (and the
    output length when there are outputs)."""
    if data.has_text:
        return _COLUMNS
    words = ("output_words",) if all(model.outputs is not None for model in data.models) else ()
    return ("nll", "n_tokens", "n_bytes", *words, "one")


def _design(data: GenerationData, model: GenerationModel, settings: Settings, columns: Sequence[str]) -> np.ndarray:
    """``(n, len(columns) + scores)`` per-example sufficient statistics of a model's outputs, then its scores."""
    n = data.n_examples
    language = {"nll": model.nll, "n_tokens": model.n_tokens, "n_bytes": model.n_bytes}
    blocks = {key: np.zeros(n) if values is None else values for key, values in language.items()} | {"one": np.ones(n)}
    if model.outputs is not None:
        blocks["output_words"] = np.array([len(output.split()) for output in model.outputs], dtype=float)
    if data.has_text:
        assert model.outputs is not None and data.references is not None
        outputs, references = list(model.outputs), list(data.references)
        for name, values in (("bleu", text.bleu_statistics(outputs, references)),
                             ("chrf", text.chrf_statistics(outputs, references)),
                             ("ter", text.ter_statistics(outputs, references))):
            blocks.update({f"{name}_{column}": values[:, i] for i, column in
                           enumerate({"bleu": text.BLEU_COLUMNS, "chrf": text.CHRF_COLUMNS, "ter": text.TER_COLUMNS}[name])})
        for kind in text.ROUGE_KINDS:
            blocks[kind] = text.rouge_f(outputs, references, kind=kind, use_stemmer=settings.rouge_stemmer)
        blocks["exact_match"] = text.exact_match(outputs, references, normalize=settings.normalize_answers)
        blocks["token_f1"] = text.token_f1(outputs, references)
    return np.column_stack([blocks[column] for column in columns] + list(model.scores.values())).astype(float)


def _settings_iv(settings: Settings) -> Settings:
    """Check the settings; the classification default primary metric becomes BLEU."""
    return settings_iv(settings, task=TASK, default_primary=DEFAULT_PRIMARY)


def _wilcoxon(data: GenerationData, baseline: str, candidate: str, clusters: np.ndarray | None) -> dict[str, float]:
    """The Wilcoxon signed-rank p-value of each numeric score's paired differences (none with clusters: it
    assumes independent pairs)."""
    if clusters is not None:
        return {}
    out = {}
    for key, values in data.model(candidate).scores.items():
        base = data.model(baseline).scores[key]
        if np.isin(values, (0.0, 1.0)).all() and np.isin(base, (0.0, 1.0)).all():
            continue
        diff = values - base
        out[key] = float(stats.wilcoxon(diff).pvalue) if np.any(diff != 0) else 1.0
    return out


def _design_effects(sums: SummedStatistics, base: np.ndarray, cand: np.ndarray, metrics: Sequence[Statistic],
                    clusters: np.ndarray) -> dict[str, float]:
    """Each mean metric's design effect: (clustered standard error / independent one) squared, of its paired difference."""
    out = {}
    for metric in metrics:
        if metric.test in (PAIRED_T, MCNEMAR):
            column = sums.select(metric)[0]
            diff = cand[:, column] - base[:, column]
            independent = float(diff.std(ddof=1) / np.sqrt(diff.shape[0])) if diff.shape[0] > 1 else float("nan")
            clustered = clustered_t(diff, clusters, 0.95)[3]
            out[metric.name] = clustered**2 / independent**2 if independent > 0 else float("nan")
    return out


def compare_generation(
    data: GenerationData, *, settings: Settings | None = None, baseline: str | None = None
) -> GenerationReport:
    """Score every text-generating model and compare every candidate with the baseline.

    Parameters
    ----------
    data:
        From :func:`load_generation`.
    settings:
        Confidence, alpha, resamples, seed, correction, slices (see :class:`Settings`); the primary
        metric defaults to ``bleu``.
    baseline:
        The baseline model's name; the first file's by default.

    Returns
    -------
    GenerationReport
    """
    settings = _settings_iv(settings or Settings())
    order = baseline_first(data.model_names, baseline)
    chosen = order[0]
    supported = {"perplexity": all(data.model(name).nll is not None for name in order),
                 "bits_per_byte": all(data.model(name).n_bytes is not None for name in order)}
    scores = score_statistics(data)
    if not data.has_text and settings.primary_metric == DEFAULT_PRIMARY:  # no texts: the default cannot be BLEU
        fallback = "perplexity" if supported["perplexity"] else scores[0].name if scores else DEFAULT_PRIMARY
        settings = replace(settings, primary_metric=fallback)
    passes = pass_statistics(data, settings.pass_k)
    columns = _columns(data)
    metrics = ([s for name, s in statistics_of(TASK).items() if supported.get(name, set(s.columns) <= set(columns))]
               + scores + [statistic for statistic, _, _ in passes])
    extra = (*(statistic.name for statistic, _, _ in passes), "per_id") if passes else ()
    sums = SummedStatistics(TASK, columns + tuple(s.name for s in scores) + extra, stream=SUMS.stream)
    if settings.primary_metric not in {s.name for s in metrics}:
        raise EvaluationError(f"the primary metric {settings.primary_metric} is not in every file: the text metrics need "
                              "outputs and references, perplexity log-likelihoods (nll and n_tokens), bits per byte "
                              "also n_bytes or the scored text, and a score_ metric its column; choose another with "
                              f"--primary (these files have {', '.join(s.name for s in metrics)})")
    designs = {name: _design(data, data.model(name), settings, columns) for name in order}
    if passes:  # each sample carries its id's pass@k / n, and 1 / n: their sums over ids are the mean over ids
        assert data.clusters is not None
        per_sample = 1.0 / np.bincount(data.clusters)[data.clusters]
        for name in order:
            scored = [pass_at_k(data.model(name).scores[key], data.clusters, k)[data.clusters] * per_sample
                      for _, k, key in passes]
            designs[name] = np.column_stack([designs[name], *scored, per_sample])
    clusters = data.clusters
    groups = resampling_groups(data.ids if clusters is None else clusters)
    estimates, decided = sums.compared(designs, order, settings, metrics=metrics, clusters=clusters, groups=groups)
    words = columns.index("output_words") if "output_words" in columns else None
    models = {name: GenerationModelReport(name, data.model(name).source, estimates[name],
                                          float(designs[name][:, words].mean())
                                          if data.n_examples and words is not None else float("nan"))
              for name in order}
    codes = {column: (entry.codes, entry.values) for column, entry in slice_columns(data.metadata).items()}
    comparisons = []
    for index, name in enumerate(order[1:], start=1):
        base, cand = designs[chosen], designs[name]
        length_difference = (sums.differences(base, cand, {}, {}, {}, [_WORDS], settings)["output_words"]
                             if words is not None else None)
        ratio = (perplexity_ratio(base[:, [columns.index("nll"), columns.index("n_tokens")]],
                                  cand[:, [columns.index("nll"), columns.index("n_tokens")]], settings,
                                  rng_for(settings, SUMS.stream + 2, index), clusters=clusters, groups=groups)
                 if supported["perplexity"] and data.n_examples > 1 else None)
        comparisons.append(GenerationComparison(
            candidate=name, baseline=chosen, metrics=decided[name],
            slices=sums.slices(codes, base, cand, index, settings, metrics=metrics, clusters=clusters, groups=groups),
            output_words=length_difference, perplexity_ratio=ratio, wilcoxon=_wilcoxon(data, chosen, name, clusters),
            design_effect={} if clusters is None else _design_effects(sums, base, cand, metrics, clusters)))
    warnings = list(data.warnings)
    if clusters is not None:
        warnings.append(f"the {data.n_examples:,} examples form {int(clusters.max()) + 1:,} clusters (an id's samples or "
                        "the cluster column): intervals and tests resample whole clusters")
    if groups is not None:
        warnings.append(f"the {int(np.unique(data.ids if clusters is None else clusters).size):,} resampling units are "
                        f"pooled into {int(groups.max()) + 1:,} random groups (by a hash of the id or cluster): the bootstrap "
                        "and the permutation test move whole groups, so their cost no longer grows with the examples")
    if data.n_examples < 30:
        warnings.append(f"only {data.n_examples} paired examples: intervals and tests rest on few examples")
    return GenerationReport(n_examples=data.n_examples, baseline=chosen, models=models, comparisons=tuple(comparisons),
                            warnings=tuple(warnings), signatures=_signatures(data, settings), settings=settings)


def _signatures(data: GenerationData, settings: Settings) -> dict[str, str]:
    """How to reproduce each text metric: sacrebleu's signatures, and the settings of the others (none without texts)."""
    if data.references is None or not data.has_text:
        return {}
    nrefs = text.references_count(data.references)
    refs = "1" if nrefs == 1 else "var" if nrefs is None else str(nrefs)
    rouge = (f"rouge-score:{importlib.metadata.version('rouge-score')}|stemmer:{'yes' if settings.rouge_stemmer else 'no'}"
             f"|nrefs:{refs}{'|refs:best-f' if nrefs != 1 else ''}")
    squad = "|refs:best" if nrefs != 1 else ""
    return {"bleu": text.bleu_signature(nrefs), "chrf": text.chrf_signature(nrefs), "ter": text.ter_signature(nrefs),
            **{kind: rouge for kind in text.ROUGE_KINDS},
            "exact_match": f"normalize:{'squad' if settings.normalize_answers else 'strip'}{squad}",
            "token_f1": f"normalize:squad{squad}"}


_WORDS = Statistic("output_words", "Output length (words)", TASK, True, ("output_words", "one"), _mean, PAIRED_T,
                   "Mean output length in whitespace-separated words (not a quality metric: read it beside gains).")
"""The output length, compared like a mean but never registered: it has no better or worse."""
