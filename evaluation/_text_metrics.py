"""Text-generation metrics as per-example sufficient statistics, and their corpus formulas.

Corpus BLEU, chrF and TER are not means of per-example scores: each is a function of statistics
summed over the corpus. :func:`bleu_statistics`, :func:`chrf_statistics` and :func:`ter_statistics`
return those statistics per example, exactly as sacrebleu extracts them (its tokenizers, its n-gram
counting), one row per example; :func:`bleu_from_totals`, :func:`chrf_from_totals` and
:func:`ter_from_totals` turn their column totals into the corpus score, vectorised over leading axes
(``(..., q) -> (...)``), so that one call scores the corpus and every bootstrap resample
(``totals = weights @ statistics``). With sacrebleu's default settings they equal
``BLEU().corpus_score``, ``CHRF().corpus_score`` and ``TER().corpus_score`` (0-100 scale), and the
``*_signature`` functions give sacrebleu's reproducibility signature to keep beside the number.

ROUGE (:func:`rouge_f`), exact match (:func:`exact_match`) and token F1 (:func:`token_f1`) are
means of per-example values, which these functions return.

``references[i]`` holds the reference of ``hypotheses[i]``: one string, or a sequence of one or more
strings when an example has several references (their number may vary). With several, each metric
follows its own library's rule: sacrebleu's (BLEU clips n-gram counts by the most any reference holds
and takes the closest reference length; chrF keeps the best-scoring reference's statistics; TER the
fewest edits over the average reference length), rouge-score's ``score_multi`` (the best F-measure),
and SQuAD's (the best exact match and F1 over the references that do not normalise to nothing).

Statistics come from sacrebleu's private ``_extract_corpus_statistics``, the batch form of what
the public ``sentence_score`` does per sentence (without a logged warning per BLEU sentence); the
tests pin it to the public route and to ``corpus_score``, and sacrebleu's major version is pinned.
"""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.metrics.base import Metric

__all__ = [
    "BLEU_COLUMNS",
    "CHRF_COLUMNS",
    "ROUGE_KINDS",
    "TER_COLUMNS",
    "bleu_from_totals",
    "bleu_signature",
    "bleu_statistics",
    "chrf_from_totals",
    "chrf_signature",
    "chrf_statistics",
    "exact_match",
    "normalize_answer",
    "references_count",
    "rouge_f",
    "ter_from_totals",
    "ter_signature",
    "ter_statistics",
    "token_f1",
]

_BLEU_ORDER = 4  # sacrebleu's MAX_NGRAM_ORDER
BLEU_COLUMNS: tuple[str, ...] = (
    "sys_len",
    "ref_len",
    *(f"correct_{n}" for n in range(1, _BLEU_ORDER + 1)),
    *(f"total_{n}" for n in range(1, _BLEU_ORDER + 1)),
)
"""Columns of :func:`bleu_statistics`, in sacrebleu's order: hypothesis and reference lengths in
13a tokens, then the clipped matching n-grams of orders 1-4, then the hypothesis n-grams of orders 1-4."""

_CHRF_ORDER = 6  # sacrebleu's CHRF.CHAR_ORDER (word order 0)
_CHRF_BETA = 2
CHRF_COLUMNS: tuple[str, ...] = tuple(
    f"{kind}_{n}" for n in range(1, _CHRF_ORDER + 1) for kind in ("hyp", "ref", "match")
)
"""Columns of :func:`chrf_statistics`, in sacrebleu's order: for each character n-gram order 1-6, the
hypothesis n-grams (0 when the reference has none of that order), the reference n-grams and the
matching n-grams (whitespace excluded)."""

TER_COLUMNS: tuple[str, ...] = ("edits", "ref_len")
"""Columns of :func:`ter_statistics`: the Tercom edits (shifts included) and the reference length in
tokens."""

ROUGE_KINDS: tuple[str, ...] = ("rouge1", "rouge2", "rougeL")
"""The ROUGE variants :func:`rouge_f` computes."""

References: TypeAlias = Sequence[str] | Sequence[Sequence[str]]
"""Each example's reference: a string, or a sequence of one or more strings."""

_LOG_ZERO = -9999999999.0  # sacrebleu.utils.my_log(0)


def _pairs_iv(hypotheses: Sequence[str], references: References) -> tuple[list[str], list[tuple[str, ...]]]:
    """Check one reference (a string, or a sequence of one or more strings) per hypothesis; return the
    hypotheses and each example's references as a tuple."""
    hypotheses, given = list(hypotheses), list(references)
    if len(hypotheses) != len(given):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(given)} references; expected one reference each")
    bad = next((i for i, text in enumerate(hypotheses) if not isinstance(text, str)), None)
    if bad is not None:
        raise ValueError(f"hypotheses[{bad}] is {type(hypotheses[bad]).__name__}, expected a string")
    out = []
    for i, entry in enumerate(given):
        refs = (entry,) if isinstance(entry, str) else tuple(entry) if isinstance(entry, Sequence) else None
        if not refs or not all(isinstance(ref, str) for ref in refs):
            raise ValueError(f"references[{i}] is {entry!r}, expected a string or a non-empty sequence of strings")
        out.append(refs)
    return hypotheses, out


def _statistics(metric: Metric, hypotheses: Sequence[str], references: References, width: int) -> np.ndarray:
    """sacrebleu's per-sentence statistics of ``metric`` as an ``(n, width)`` float array."""
    hypotheses, refs = _pairs_iv(hypotheses, references)
    if not hypotheses:
        return np.zeros((0, width))
    # A pair's statistics depend on that pair alone: repeated pairs (short answers, outputs that two
    # models share) are computed once, which matters for TER's edit distance.
    pairs: dict[tuple[str, tuple[str, ...]], int] = {}
    codes = np.array([pairs.setdefault(pair, len(pairs)) for pair in zip(hypotheses, refs, strict=True)])
    unique = [r for _, r in pairs]
    streams = [[r[j] if j < len(r) else None for r in unique] for j in range(max(map(len, unique)))]
    # None is sacrebleu's "no such reference" (its docs allow it; its annotation does not)
    rows = metric._extract_corpus_statistics([h for h, _ in pairs], streams)  # type: ignore[arg-type]
    return np.asarray(rows, dtype=float).reshape(len(pairs), width)[codes]


def _signature(metric: Metric, nrefs: int | None) -> str:
    """The signature of ``metric`` once it has seen ``nrefs`` references per sentence (``None``: a varying number)."""
    if nrefs is None:  # sacrebleu writes "var" when the sentences have different numbers of references
        metric.corpus_score(["a", "a"], [["a", "a"], ["a", None]])  # type: ignore[list-item]
    else:  # sacrebleu fills in nrefs only when it meets references
        metric.corpus_score(["a"], [["a"]] * nrefs)
    return str(metric.get_signature())


def references_count(references: References) -> int | None:
    """The number of references every example has, ``None`` when it varies (sacrebleu's ``nrefs:var``).

    >>> references_count(["a", "b"]), references_count([("a", "b"), ("c",)])
    (1, None)
    """
    counts = {1 if isinstance(entry, str) else len(entry) for entry in references}
    return counts.pop() if len(counts) == 1 else None if counts else 1


def bleu_statistics(hypotheses: Sequence[str], references: References) -> np.ndarray:
    """Per-example sufficient statistics of corpus BLEU (sacrebleu's defaults: 13a tokens, mixed case).

    Parameters
    ----------
    hypotheses:
        Model outputs, one per example.
    references:
        Each example's reference, or a sequence of its references.

    Returns
    -------
    numpy.ndarray
        ``(n, 10)`` floats, columns :data:`BLEU_COLUMNS`.

    Raises
    ------
    ValueError
        When the lengths differ or an entry is not a string.

    Examples
    --------
    >>> bleu_statistics(["the cat sat"], ["the cat sat down"])
    array([[3., 4., 3., 2., 1., 0., 3., 2., 1., 0.]])
    """
    return _statistics(BLEU(), hypotheses, references, len(BLEU_COLUMNS))


def bleu_from_totals(totals: np.ndarray) -> np.ndarray:
    """Corpus BLEU (0-100) from summed :func:`bleu_statistics`, vectorised over leading axes.

    Mirrors ``sacrebleu.BLEU.compute_bleu`` with its defaults: brevity penalty
    ``exp(1 - ref_len / sys_len)`` when the hypotheses are shorter (0 when they are empty); 0 when no
    n-gram matches; exponential ("exp", mteval-v13a) smoothing, where the k-th order with no match
    gets precision ``100 / (2**k * total)``; an order with no hypothesis n-grams (and every order after
    it) makes the score 0; no effective order.

    Parameters
    ----------
    totals:
        ``(..., 10)`` column totals, columns :data:`BLEU_COLUMNS`.

    Returns
    -------
    numpy.ndarray
        ``(...)`` BLEU scores, equal to ``BLEU().corpus_score(...).score``.

    Examples
    --------
    >>> hypotheses = ["the cat sat on the mat", "a dog barked"]
    >>> references = ["the cat sat on a mat", "a dog barked loudly"]
    >>> round(float(bleu_from_totals(bleu_statistics(hypotheses, references).sum(axis=0))), 4)
    53.4174
    >>> bleu_from_totals(np.zeros((2, 3, 10))).shape
    (2, 3)
    """
    totals = np.asarray(totals, dtype=float)
    sys_len, ref_len = totals[..., 0], totals[..., 1]
    correct, total = totals[..., 2 : 2 + _BLEU_ORDER], totals[..., 2 + _BLEU_ORDER : 2 + 2 * _BLEU_ORDER]
    with np.errstate(divide="ignore", invalid="ignore"):
        brevity = np.where(
            sys_len < ref_len, np.where(sys_len > 0, np.exp(1 - ref_len / sys_len), 0.0), 1.0
        )
        smooth = np.ones_like(sys_len)
        reached = np.ones(sys_len.shape, dtype=bool)  # sacrebleu stops at the first order with no n-grams
        log_sum = np.zeros_like(sys_len)
        for k in range(_BLEU_ORDER):
            reached = reached & (total[..., k] > 0)
            missed = reached & (correct[..., k] == 0)
            smooth = np.where(missed, smooth * 2, smooth)
            precision = np.where(
                missed, 100.0 / (smooth * total[..., k]), 100.0 * correct[..., k] / total[..., k]
            )
            log_sum = log_sum + np.where(reached, np.log(np.where(reached, precision, 1.0)), _LOG_ZERO)
        score = brevity * np.exp(log_sum / _BLEU_ORDER)
    return np.where((correct != 0).any(axis=-1), score, 0.0)


def bleu_signature(nrefs: int | None = 1) -> str:
    """sacrebleu's signature of the BLEU that :func:`bleu_statistics` computes.

    Examples
    --------
    >>> bleu_signature().startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")
    True
    """
    return _signature(BLEU(), nrefs)


def chrf_statistics(hypotheses: Sequence[str], references: References) -> np.ndarray:
    """Per-example sufficient statistics of corpus chrF (sacrebleu's defaults: character order 6,
    word order 0, beta 2, mixed case, whitespace excluded).

    Parameters
    ----------
    hypotheses:
        Model outputs, one per example.
    references:
        Each example's reference, or a sequence of its references.

    Returns
    -------
    numpy.ndarray
        ``(n, 18)`` floats, columns :data:`CHRF_COLUMNS`.

    Raises
    ------
    ValueError
        When the lengths differ or an entry is not a string.

    Examples
    --------
    >>> chrf_statistics(["abc"], ["abd"])[0, :6]
    array([3., 3., 2., 2., 2., 1.])
    """
    return _statistics(CHRF(), hypotheses, references, len(CHRF_COLUMNS))


def chrf_from_totals(totals: np.ndarray) -> np.ndarray:
    """Corpus chrF (0-100) from summed :func:`chrf_statistics`, vectorised over leading axes.

    Mirrors sacrebleu's ``CHRF._compute_f_score`` with its defaults: character n-gram precision and
    recall averaged over the orders where both hypothesis and reference have n-grams, then
    ``F_beta = (1 + beta^2) P R / (beta^2 P + R)`` with beta 2; 0 when no order counts or P + R is 0.

    Parameters
    ----------
    totals:
        ``(..., 18)`` column totals, columns :data:`CHRF_COLUMNS`.

    Returns
    -------
    numpy.ndarray
        ``(...)`` chrF scores, equal to ``CHRF().corpus_score(...).score``.

    Examples
    --------
    >>> totals = chrf_statistics(["the cat sat"], ["the cat sat down"]).sum(axis=0)
    >>> round(float(chrf_from_totals(totals)), 4)
    66.0176
    """
    totals = np.asarray(totals, dtype=float)
    eps = 1e-16  # sacrebleu's stand-in for an undefined precision or recall
    factor = _CHRF_BETA**2
    shape = totals.shape[:-1]
    precision_sum, recall_sum, orders = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(_CHRF_ORDER):
            hyp, ref, match = totals[..., 3 * i], totals[..., 3 * i + 1], totals[..., 3 * i + 2]
            precision = np.where(hyp > 0, match / hyp, eps)
            recall = np.where(ref > 0, match / ref, eps)
            counted = (hyp > 0) & (ref > 0)
            precision_sum = precision_sum + np.where(counted, precision, 0.0)
            recall_sum = recall_sum + np.where(counted, recall, 0.0)
            orders = orders + counted
        precision = np.where(orders > 0, precision_sum / orders, 0.0)
        recall = np.where(orders > 0, recall_sum / orders, 0.0)
        score = (1 + factor) * precision * recall
        score = score / (factor * precision + recall)
    return np.where(precision + recall != 0, 100 * score, 0.0)


def chrf_signature(nrefs: int | None = 1) -> str:
    """sacrebleu's signature of the chrF that :func:`chrf_statistics` computes.

    Examples
    --------
    >>> chrf_signature().startswith("nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:")
    True
    """
    return _signature(CHRF(), nrefs)


def ter_statistics(hypotheses: Sequence[str], references: References) -> np.ndarray:
    """Per-example sufficient statistics of corpus TER (sacrebleu's defaults: Tercom tokens, case
    insensitive, no normalisation, punctuation kept).

    Parameters
    ----------
    hypotheses:
        Model outputs, one per example.
    references:
        Each example's reference, or a sequence of its references.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` floats, columns :data:`TER_COLUMNS`.

    Raises
    ------
    ValueError
        When the lengths differ or an entry is not a string.

    Examples
    --------
    >>> ter_statistics(["the cat sat", ""], ["the cat sat down", "a dog"])
    array([[1., 4.],
           [2., 2.]])
    """
    return _statistics(TER(), hypotheses, references, len(TER_COLUMNS))


def ter_from_totals(totals: np.ndarray) -> np.ndarray:
    """Corpus TER (0-100, lower is better) from summed :func:`ter_statistics`, vectorised over leading axes.

    ``100 * edits / ref_len``; with empty references (``ref_len`` 0) it is 100 when there are edits
    and 0 when there are none, as sacrebleu's ``TER._compute_score_from_stats``. It can exceed 100.

    Parameters
    ----------
    totals:
        ``(..., 2)`` column totals, columns :data:`TER_COLUMNS`.

    Returns
    -------
    numpy.ndarray
        ``(...)`` TER scores, equal to ``TER().corpus_score(...).score``.

    Examples
    --------
    >>> ter_from_totals(np.array([[3.0, 6.0], [2.0, 0.0], [0.0, 0.0]]))
    array([ 50., 100.,   0.])
    """
    totals = np.asarray(totals, dtype=float)
    edits, ref_len = totals[..., 0], totals[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(ref_len > 0, edits / ref_len, np.where(edits > 0, 1.0, 0.0))
    return 100 * rate


def ter_signature(nrefs: int | None = 1) -> str:
    """sacrebleu's signature of the TER that :func:`ter_statistics` computes.

    Examples
    --------
    >>> ter_signature().startswith("nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:")
    True
    """
    return _signature(TER(), nrefs)


def rouge_f(hypotheses: Sequence[str], references: References, *, kind: str, use_stemmer: bool = False) -> np.ndarray:
    """Per-example ROUGE F-measure from Google's rouge-score (0-1 scale, as rouge-score returns it).

    ``RougeScorer([kind], use_stemmer=use_stemmer).score(target=reference, prediction=hypothesis)``:
    its tokenizer lower-cases and keeps only ``[a-z0-9]`` runs, so text without such characters
    scores 0. The corpus metric is the mean of these values.

    Parameters
    ----------
    hypotheses:
        Model outputs, one per example.
    references:
        Each example's reference, or a sequence of its references.
    kind:
        One of :data:`ROUGE_KINDS`: unigram, bigram or longest-common-subsequence overlap.
    use_stemmer:
        Porter-stem tokens first (rouge-score's option).

    Returns
    -------
    numpy.ndarray
        ``(n,)`` F-measures in [0, 1].

    Raises
    ------
    ValueError
        When ``kind`` is unknown, the lengths differ or an entry is not a string.

    Examples
    --------
    >>> rouge_f(["the cat sat"], ["the cat sat down"], kind="rouge1")
    array([0.85714286])
    """
    if kind not in ROUGE_KINDS:
        raise ValueError(f"unknown ROUGE kind {kind!r}; expected one of {', '.join(ROUGE_KINDS)}")
    hypotheses, refs = _pairs_iv(hypotheses, references)
    scorer = rouge_scorer.RougeScorer([kind], use_stemmer=use_stemmer)
    # score_multi's rule: the reference with the best F-measure
    return np.array([max(scorer.score(target=r, prediction=h)[kind].fmeasure for r in rs)
                     for h, rs in zip(hypotheses, refs, strict=True)], dtype=float)


_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's answer normalisation: lower case, drop ASCII punctuation and the articles a/an/the,
    collapse whitespace (``normalize_answer`` of the official SQuAD v1.1 and v2.0 evaluation scripts).

    Examples
    --------
    >>> normalize_answer("  The Eiffel-Tower, in Paris! ")
    'eiffeltower in paris'
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(hypotheses: Sequence[str], references: References, *, normalize: bool = False) -> np.ndarray:
    """Per-example exact match: 1.0 when hypothesis and reference are equal, else 0.0.

    Parameters
    ----------
    hypotheses:
        Model outputs, one per example.
    references:
        Each example's reference, or a sequence of its references.
    normalize:
        Compare :func:`normalize_answer` of both (SQuAD's ``compute_exact``) instead of the texts with
        surrounding whitespace stripped.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` zeros and ones; their mean is the exact-match rate.

    Raises
    ------
    ValueError
        When the lengths differ or an entry is not a string.

    Examples
    --------
    >>> exact_match(["Paris ", "the Paris"], ["Paris", "Paris"])
    array([1., 0.])
    >>> exact_match(["Paris ", "the Paris"], ["Paris", "Paris"], normalize=True)
    array([1., 1.])
    """
    hypotheses, refs = _pairs_iv(hypotheses, references)
    if normalize:
        return np.array([max(normalize_answer(h) == normalize_answer(r) for r in _answers(rs))
                         for h, rs in zip(hypotheses, refs, strict=True)], dtype=float)
    return np.array([any(h.strip() == r.strip() for r in rs) for h, rs in zip(hypotheses, refs, strict=True)],
                    dtype=float)


def _answers(references: tuple[str, ...]) -> tuple[str, ...]:
    """SQuAD v2.0's gold answers: the references that normalise to something, or the empty answer when none does."""
    return tuple(r for r in references if normalize_answer(r)) or ("",)


def _token_f1(hypothesis: str, reference: str) -> float:
    """SQuAD v2.0's ``compute_f1`` of one pair."""
    predicted, gold = normalize_answer(hypothesis).split(), normalize_answer(reference).split()
    if not predicted or not gold:
        return float(predicted == gold)
    same = sum((collections.Counter(predicted) & collections.Counter(gold)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def token_f1(hypotheses: Sequence[str], references: References) -> np.ndarray:
    """Per-example bag-of-tokens F1 of the normalised texts, as the official SQuAD v2.0 evaluation
    script (``evaluate-v2.0.py``, ``compute_f1``).

    Tokens are the whitespace-separated words of :func:`normalize_answer`; the overlap counts each
    token at most as often as it occurs in both. When either side has no tokens (after normalisation,
    so "The" is empty), F1 is 1.0 if both are empty and 0.0 otherwise, as SQuAD v2.0 scores
    unanswerable questions.

    Parameters
    ----------
    hypotheses:
        Model outputs, one per example.
    references:
        Each example's reference, or a sequence of its references.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` F1 values in [0, 1]; their mean is the metric.

    Raises
    ------
    ValueError
        When the lengths differ or an entry is not a string.

    Examples
    --------
    >>> token_f1(["the Eiffel tower", "", "Paris"], ["Eiffel tower in Paris", "", ""])
    array([0.66666667, 1.        , 0.        ])
    """
    hypotheses, refs = _pairs_iv(hypotheses, references)
    return np.array([max(_token_f1(h, r) for r in _answers(rs)) for h, rs in zip(hypotheses, refs, strict=True)],
                    dtype=float)
