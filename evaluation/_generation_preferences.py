"""A judge's pairwise preferences beside a generation comparison (``compare --preferences FILE``).

:func:`with_preferences` reads a judgments file (``docs/preferences.md``) once, checks that its ids are
examples of the comparison, and gives every candidate-vs-baseline comparison of a
:class:`~evaluation.GenerationReport` the preference comparison of that pair
(:class:`~evaluation._preferences.PreferenceComparison`): wins, losses, ties, the win rate with its
paired bootstrap interval over ids, the sign test, position bias, and the length-adjusted win rate on
the lengths of the two models' outputs (words, ``len(output.split())``; an id with several samples
counts its samples' mean). The command line and the dashboard call the same function.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ._errors import EvaluationError, format_examples, quote
from ._generation import GenerationData, GenerationReport
from ._io import Source, source_name
from ._limits import Limits
from ._preferences import Judgments, compare_preferences, pair_judgments, read_judgments_against
from ._values import rows_text

__all__ = ["example_lengths", "with_preferences"]


def example_lengths(data: GenerationData) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The ids a judgment may name, and each model's output length in words at each of them.

    With several samples per id (a ``sample`` column) an id is the file's id and its length the mean of
    its samples'; otherwise every example is its own id.

    Returns
    -------
    tuple
        ``(ids, lengths)``: ``ids`` the ``(m,)`` id texts, ``lengths[model]`` the ``(m,)`` mean lengths (no
        entry for a model whose files hold no outputs, only language-model scores).

    Examples
    --------
    >>> from evaluation._generation import load_generation
    >>> data = load_generation([("a.jsonl", b'{"id": 1, "output": "a cat", "reference": "the cat"}\\n'),
    ...                         ("b.jsonl", b'{"id": 1, "output": "the black cat", "reference": "the cat"}\\n')])
    >>> ids, lengths = example_lengths(data)
    >>> ids.tolist(), lengths["a"].tolist(), lengths["b"].tolist()
    (['1'], [2.0], [3.0])
    """
    ids = np.asarray([str(i) for i in data.ids], dtype=object)
    if data.repeats:  # "<id> #<sample>" (load_generation's pairing key): the id is the judged unit
        ids = np.asarray([i.rsplit(" #", 1)[0] for i in ids], dtype=object)
    codes, unique = pd.factorize(ids)
    counts = np.bincount(codes, minlength=unique.size)
    lengths = {}
    for model in data.models:
        if model.outputs is None:  # language-model scores alone: no text to measure
            continue
        words = np.array([len(output.split()) for output in model.outputs], dtype=float)
        lengths[model.name] = np.bincount(codes, weights=words, minlength=unique.size) / np.maximum(counts, 1)
    return np.asarray(unique, dtype=object), lengths


def _check_ids(judgments: Judgments, known: np.ndarray, name: str) -> None:
    """Refuse judgments whose id is not an example of the comparison, naming the rows."""
    assert judgments.ids is not None
    row_ids = judgments.ids[judgments.unit]
    unknown = ~pd.Series(row_ids, dtype=object).isin(known).to_numpy()
    if unknown.any():
        raise EvaluationError(
            f"{name}: column 'id' has ids that are not examples of the compared generation files in "
            f"{rows_text(np.flatnonzero(unknown) + 1)} (for example {format_examples(list(dict.fromkeys(row_ids[unknown])))}); "
            f"expected the ids of the generation files (for example {format_examples(known[:3].tolist())})",
            file=name, column="id")


def with_preferences(report: GenerationReport, data: GenerationData, judgments_source: Source, *,
                     filename: str | None = None, limits: Limits | None = None) -> GenerationReport:
    """The report with every comparison's ``preferences``: a judge's pairwise preferences between its two models.

    The judgments file is read as by ``compare --preferences`` (``docs/preferences.md``): ``id`` and
    ``winner`` (a model's name, ``baseline``, ``candidate`` or ``tie``), optional ``judge`` and
    ``position``; with columns ``model_a``/``model_b`` each row names its two models (needed for several
    candidates), and rows comparing other pairs are left out. The interval's level, resamples and seed
    are the report's settings. A comparison no judgment covers keeps ``preferences=None`` and the report
    gets a warning.

    Parameters
    ----------
    report:
        From :func:`~evaluation.compare_generation` on ``data``.
    data:
        The loaded generation files (the outputs give the lengths of the length-adjusted win rate).
    judgments_source:
        A path, raw bytes or a ``(filename, bytes)`` pair.
    filename, limits:
        As for :func:`evaluation._io.read_table`.

    Returns
    -------
    GenerationReport
        A copy (:func:`dataclasses.replace`) with ``comparisons[i].preferences`` set and any warnings added.

    Raises
    ------
    EvaluationError
        A judgments file that cannot be read (see :func:`~evaluation._preferences.read_judgments`), or
        ids that are not examples of the generation files (naming the file, the column and the rows).

    Examples
    --------
    >>> from evaluation._generation import compare_generation, load_generation
    >>> from evaluation._results import Settings
    >>> rows = [(b'{"id": %d, "output": "a cat", "reference": "the cat"}\\n' % i) for i in range(4)]
    >>> better = [(b'{"id": %d, "output": "the cat sat", "reference": "the cat"}\\n' % i) for i in range(4)]
    >>> data = load_generation([("old.jsonl", b"".join(rows)), ("new.jsonl", b"".join(better))])
    >>> report = compare_generation(data, settings=Settings(resamples=50))
    >>> judged = with_preferences(report, data, ("j.csv", b"id,winner\\n0,new\\n1,new\\n2,tie\\n3,old\\n"))
    >>> result = judged.comparisons[0].preferences
    >>> result.wins, result.losses, result.ties, result.win_rate.value
    (2, 1, 1, 0.625)
    """
    name = filename or source_name(judgments_source)
    candidates = [comparison.candidate for comparison in report.comparisons]
    judgments = read_judgments_against(judgments_source, baseline=report.baseline, candidates=candidates,
                                       filename=name, limits=limits)
    ids, lengths = example_lengths(data)
    _check_ids(judgments, ids, name)
    position = {identifier: index for index, identifier in enumerate(ids.tolist())}
    settings = report.settings
    warnings, judged = list(report.warnings), np.zeros(judgments.left.size, dtype=bool)
    comparisons = []
    for comparison in report.comparisons:
        pair = pair_judgments(judgments, comparison.baseline, comparison.candidate)
        if pair is None:
            warnings.append(f"{name}: no judgment compares {quote(comparison.candidate)} with {quote(comparison.baseline)}, "
                            "so that comparison has no preferences")
            comparisons.append(comparison)
            continue
        judged |= _involves(judgments, comparison.baseline, comparison.candidate)
        assert pair.ids is not None
        measured = comparison.baseline in lengths and comparison.candidate in lengths
        if measured:
            at = np.array([position[i] for i in pair.ids], dtype=np.intp)[pair.unit]
            pair = replace(pair, left_length=lengths[comparison.baseline][at],
                           right_length=lengths[comparison.candidate][at])
        result = compare_preferences(pair, confidence=settings.confidence, resamples=settings.resamples, seed=settings.seed)
        if not measured:
            result = replace(result, length_note="the generation files hold no outputs (language-model scores alone), so "
                                                 "no length-adjusted win rate")
        comparisons.append(replace(comparison, preferences=result))
    if not judged.all() and len(judgments.models) > 2:
        others = sorted({f"{judgments.models[a]} vs {judgments.models[b]}"
                         for a, b in zip(judgments.left[~judged][:1000], judgments.right[~judged][:1000], strict=True)})
        warnings.append(f"{name}: {int((~judged).sum()):,} judgments compare pairs that are not a candidate against the "
                        f"baseline ({format_examples(others)}) and are left out")
    return replace(report, comparisons=tuple(comparisons), warnings=tuple(warnings))


def _involves(judgments: Judgments, baseline: str, candidate: str) -> np.ndarray:
    """Which judgments compare ``baseline`` with ``candidate``."""
    b, c = judgments.models.index(baseline), judgments.models.index(candidate)
    return ((judgments.left == b) & (judgments.right == c)) | ((judgments.left == c) & (judgments.right == b))
