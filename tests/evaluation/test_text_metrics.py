"""Text metrics against sacrebleu, rouge-score and hand-computed SQuAD values, never against themselves."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import sacrebleu
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF, TER

from evaluation._text_metrics import (
    BLEU_COLUMNS,
    CHRF_COLUMNS,
    ROUGE_KINDS,
    TER_COLUMNS,
    bleu_from_totals,
    bleu_signature,
    bleu_statistics,
    chrf_from_totals,
    chrf_signature,
    chrf_statistics,
    exact_match,
    rouge_f,
    ter_from_totals,
    ter_signature,
    ter_statistics,
    token_f1,
)

WORDS = (
    "the", "a", "model", "cat", "dog", "sat", "on", "mat", "river", "bank", "money", "flows", "quickly", "slowly",
    "over", "under", "bridge", "city", "night", "light", "café", "naïve", "Zürich", "日本語", "東京", "über", "straße",
    "résumé", "data", "test", "42", "3.14", "don't", "it's",
)
PUNCTUATION = ("", "", "", ".", ",", "!", "?", ";", ":", "'", '"')


def corpus(n: int = 200, seed: int = 0) -> tuple[list[str], list[str]]:
    """Sentence pairs with varied overlap: copies, paraphrase-like edits, unrelated text, empty sides."""
    rng = np.random.default_rng(seed)
    hypotheses, references = [], []
    for i in range(n):
        length = int(rng.integers(0 if i % 37 == 0 else 1, 25))
        reference = [str(rng.choice(WORDS)) + (str(rng.choice(PUNCTUATION)) if rng.random() < 0.2 else "")
                     for _ in range(length)]
        keep = (0.0, 0.3, 0.6, 0.9, 1.0)[i % 5]
        hypothesis = [word if rng.random() < keep else str(rng.choice(WORDS)) for word in reference]
        if rng.random() < 0.3 and hypothesis:  # drop a word
            del hypothesis[int(rng.integers(len(hypothesis)))]
        if rng.random() < 0.3:  # insert a word
            hypothesis.insert(int(rng.integers(len(hypothesis) + 1)), str(rng.choice(WORDS)))
        if rng.random() < 0.1 and len(hypothesis) > 3:  # move a block (a TER shift)
            hypothesis = hypothesis[3:] + hypothesis[:3]
        if i % 23 == 0:
            hypothesis = []
        hypotheses.append(" ".join(hypothesis))
        references.append(" ".join(reference) + (str(rng.choice(["", ".", " .", "!"])) if reference else ""))
    return hypotheses, references


HYPOTHESES, REFERENCES = corpus()

SMALL_CORPORA = {
    "no match": (["alpha beta gamma delta"], ["one two three four"]),
    "no 4-grams": (["the cat sat", "a dog"], ["the cat sat down", "a dog"]),
    "no 2-gram match": (["cat the mat on sat"], ["the cat sat on the mat"]),
    "short hypotheses": (["the cat sat on", "on the mat it"], ["the cat sat on the mat today", "and on the mat it stayed"]),
    "long hypotheses": (["the cat sat on the mat and then it sat on the mat again"], ["the cat sat on the mat"]),
    "empty hypotheses": (["", ""], ["the cat sat", "on the mat"]),
    "empty references": (["the cat sat", "on it"], ["", ""]),
    "all empty": (["", ""], ["", ""]),
    "identical": (["the cat sat on the mat ."], ["the cat sat on the mat ."]),
    "unicode": (["東京 は 大きい 都市 です", "Zürich über alles"], ["東京 は 大きな 都市 です", "Zürich über alles!"]),
}

CASES = [
    ("bleu", bleu_statistics, bleu_from_totals, BLEU, len(BLEU_COLUMNS)),
    ("chrf", chrf_statistics, chrf_from_totals, CHRF, len(CHRF_COLUMNS)),
    ("ter", ter_statistics, ter_from_totals, TER, len(TER_COLUMNS)),
]
CASE_IDS = [case[0] for case in CASES]


@pytest.fixture(autouse=True)
def _quiet_sacrebleu():
    """sacrebleu logs a warning for every sentence-level BLEU; the tests call it on purpose."""
    logger = logging.getLogger("sacrebleu")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def test_sacrebleu_major_version_is_the_pinned_one():
    """The statistics come from sacrebleu's private extraction: a new major version must be re-checked."""
    assert sacrebleu.__version__.split(".")[0] == "2"


@pytest.mark.parametrize(("name", "statistics", "from_totals", "metric", "width"), CASES, ids=CASE_IDS)
def test_summed_statistics_give_the_corpus_score(name, statistics, from_totals, metric, width):
    rows = statistics(HYPOTHESES, REFERENCES)
    assert rows.shape == (len(HYPOTHESES), width)
    expected = metric().corpus_score(HYPOTHESES, [REFERENCES]).score
    assert 0 < expected < 100
    assert float(from_totals(rows.sum(axis=0))) == pytest.approx(expected, abs=1e-9, rel=0)


@pytest.mark.parametrize(("name", "statistics", "from_totals", "metric", "width"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("small", list(SMALL_CORPORA), ids=list(SMALL_CORPORA))
def test_edge_corpora_give_the_corpus_score(name, statistics, from_totals, metric, width, small):
    hypotheses, references = SMALL_CORPORA[small]
    expected = metric().corpus_score(hypotheses, [references]).score
    assert float(from_totals(statistics(hypotheses, references).sum(axis=0))) == pytest.approx(expected, abs=1e-9, rel=0)


@pytest.mark.parametrize(("name", "statistics", "from_totals", "metric", "width"), CASES, ids=CASE_IDS)
def test_finalize_is_vectorised_over_bootstrap_resamples(name, statistics, from_totals, metric, width):
    """A (5, q) stack of resampled totals gives the scores of the 5 resampled corpora, materialised."""
    rows = statistics(HYPOTHESES, REFERENCES)
    rng = np.random.default_rng(7)
    n = len(HYPOTHESES)
    indices = rng.integers(0, n, size=(5, n))
    weights = np.stack([np.bincount(index, minlength=n) for index in indices])
    scores = from_totals(weights @ rows)
    assert scores.shape == (5,)
    expected = [metric().corpus_score([HYPOTHESES[i] for i in index], [[REFERENCES[i] for i in index]]).score
                for index in indices]
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-9)
    assert from_totals((weights @ rows).reshape(5, 1, width)).shape == (5, 1)


def test_bleu_statistics_are_the_public_sentence_statistics():
    """The batch extraction equals ``BLEU().sentence_score`` sentence by sentence (sacrebleu's public route)."""
    rows = bleu_statistics(HYPOTHESES, REFERENCES)
    for row, hypothesis, reference in zip(rows, HYPOTHESES, REFERENCES, strict=True):
        score = BLEU().sentence_score(hypothesis, [reference])
        assert list(row) == [score.sys_len, score.ref_len, *score.counts, *score.totals]


def test_bleu_from_totals_is_sacrebleus_public_compute_bleu():
    totals = bleu_statistics(HYPOTHESES, REFERENCES)[:40].sum(axis=0).astype(int).tolist()
    expected = BLEU.compute_bleu(totals[2:6], totals[6:10], totals[0], totals[1], smooth_method="exp").score
    assert float(bleu_from_totals(np.array(totals))) == pytest.approx(expected, abs=1e-9, rel=0)


def test_ter_with_empty_references_follows_sacrebleu():
    assert float(ter_from_totals(ter_statistics(["a b"], [""]).sum(axis=0))) == TER().corpus_score(["a b"], [[""]]).score == 100
    assert float(ter_from_totals(ter_statistics([""], [""]).sum(axis=0))) == TER().corpus_score([""], [[""]]).score == 0


def test_no_examples_give_empty_statistics():
    assert bleu_statistics([], []).shape == (0, 10)
    assert chrf_statistics([], []).shape == (0, 18)
    assert ter_statistics([], []).shape == (0, 2)
    assert rouge_f([], [], kind="rouge1").shape == (0,)


@pytest.mark.parametrize(
    "function",
    [bleu_statistics, chrf_statistics, ter_statistics, exact_match, token_f1,
     lambda h, r: rouge_f(h, r, kind="rougeL")],
)
def test_bad_inputs_raise(function):
    with pytest.raises(ValueError, match="one reference each"):
        function(["a", "b"], ["a"])
    with pytest.raises(ValueError, match=r"hypotheses\[1\] is NoneType"):
        function(["a", None], ["a", "b"])


def test_unknown_rouge_kind_raises():
    with pytest.raises(ValueError, match="unknown ROUGE kind"):
        rouge_f(["a"], ["a"], kind="rougeLsum")


@pytest.mark.parametrize("use_stemmer", [False, True])
@pytest.mark.parametrize("kind", ROUGE_KINDS)
def test_rouge_is_rouge_score_per_example(kind, use_stemmer):
    scorer = rouge_scorer.RougeScorer([kind], use_stemmer=use_stemmer)
    expected = [scorer.score(reference, hypothesis)[kind].fmeasure
                for hypothesis, reference in zip(HYPOTHESES, REFERENCES, strict=True)]
    np.testing.assert_array_equal(rouge_f(HYPOTHESES, REFERENCES, kind=kind, use_stemmer=use_stemmer), expected)


def test_rouge_argument_order_is_target_then_prediction():
    """Recall is over the reference: a short correct hypothesis has precision 1 and F below 1."""
    value = rouge_f(["cat"], ["the cat sat"], kind="rouge1")[0]
    assert value == pytest.approx(2 * 1 * (1 / 3) / (1 + 1 / 3))


# SQuAD-style answers (gold answers from the SQuAD v1.1 dev set's first question, "Denver Broncos");
# expected values computed by hand from the official script's definitions.
SQUAD = [
    # hypothesis, reference, exact (stripped), exact (normalised), token F1
    ("Denver Broncos", "Denver Broncos", 1.0, 1.0, 1.0),
    ("  Denver Broncos\n", "Denver Broncos", 1.0, 1.0, 1.0),
    ("the Denver Broncos.", "Denver Broncos", 0.0, 1.0, 1.0),
    ("DENVER   broncos!", "Denver Broncos", 0.0, 1.0, 1.0),
    ("Broncos", "Denver Broncos", 0.0, 0.0, 2 / 3),  # P 1, R 1/2
    ("Carolina Panthers beat Denver", "Denver Broncos", 0.0, 0.0, 1 / 3),  # P 1/4, R 1/2
    ("Carolina Panthers", "Denver Broncos", 0.0, 0.0, 0.0),
    ("x y y", "y y z", 0.0, 0.0, 2 / 3),  # a repeated token counts as often as in both
    ("Santa Clara, California", "Santa Clara California", 0.0, 1.0, 1.0),
    ("", "", 1.0, 1.0, 1.0),  # both unanswerable
    ("", "Denver Broncos", 0.0, 0.0, 0.0),
    ("Denver Broncos", "", 0.0, 0.0, 0.0),
    ("The", "", 0.0, 1.0, 1.0),  # empty after normalisation
    ("an apple", "the apple", 0.0, 1.0, 1.0),
]


def test_exact_match_on_squad_examples():
    hypotheses, references, stripped, normalised, _ = zip(*SQUAD, strict=True)
    np.testing.assert_array_equal(exact_match(hypotheses, references), stripped)
    np.testing.assert_array_equal(exact_match(hypotheses, references, normalize=True), normalised)


def test_token_f1_on_squad_examples():
    hypotheses, references, _, _, f1 = zip(*SQUAD, strict=True)
    np.testing.assert_allclose(token_f1(hypotheses, references), f1, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("signature", "metric"), [(bleu_signature, BLEU), (chrf_signature, CHRF), (ter_signature, TER)]
)
def test_signatures_are_sacrebleus(signature, metric):
    text = signature()
    assert f"version:{sacrebleu.__version__}" in text
    assert "nrefs:1" in text
    scored = metric()
    scored.corpus_score(HYPOTHESES, [REFERENCES])
    assert text == str(scored.get_signature())


@pytest.mark.parametrize(("name", "statistics", "from_totals", "metric", "width"), CASES, ids=CASE_IDS)
def test_rows_are_sacrebleus_segment_statistics_with_repeated_pairs(name, statistics, from_totals, metric, width):
    """Repeated pairs are computed once; each row is still sacrebleu's statistics of its own pair."""
    order = np.random.default_rng(3).permutation(2 * len(HYPOTHESES))
    hypotheses = [(HYPOTHESES * 2)[i] for i in order]
    references = [(REFERENCES * 2)[i] for i in order]
    expected = metric()._extract_corpus_statistics(hypotheses, [references])
    np.testing.assert_array_equal(statistics(hypotheses, references), np.array(expected, dtype=float))


def _several(n: int = len(HYPOTHESES), seed: int = 5) -> list[tuple[str, ...]]:
    """One to three references per example: the corpus's reference and others drawn from the corpus."""
    rng = np.random.default_rng(seed)
    return [(REFERENCES[i], *(REFERENCES[int(j)] for j in rng.integers(0, n, size=int(rng.integers(0, 3)))))
            for i in range(n)]


SEVERAL = _several()


@pytest.mark.parametrize(("name", "statistics", "from_totals", "metric", "width"), CASES, ids=CASE_IDS)
def test_several_references_give_sacrebleus_multi_reference_corpus_score(name, statistics, from_totals, metric, width):
    """sacrebleu's own multi-reference rules (a varying number: streams padded with None, as its docs allow)."""
    streams = [[refs[j] if j < len(refs) else None for refs in SEVERAL] for j in range(3)]
    expected = metric().corpus_score(HYPOTHESES, streams).score
    assert from_totals(statistics(HYPOTHESES, SEVERAL).sum(axis=0)) == pytest.approx(expected, abs=1e-9)
    single = metric().corpus_score(HYPOTHESES, [REFERENCES]).score
    assert expected != pytest.approx(single)  # the extra references change the score


@pytest.mark.parametrize("kind", ROUGE_KINDS)
def test_several_references_give_rouge_scores_score_multi(kind):
    scorer = rouge_scorer.RougeScorer([kind])
    expected = [scorer.score_multi(list(refs), hypothesis)[kind].fmeasure
                for hypothesis, refs in zip(HYPOTHESES, SEVERAL, strict=True)]
    np.testing.assert_array_equal(rouge_f(HYPOTHESES, SEVERAL, kind=kind), expected)


def test_several_references_follow_squads_max_over_gold_answers():
    """SQuAD v2.0's get_raw_scores: the best score over the gold answers that normalise to something."""
    hypotheses = ["Denver Broncos", "Broncos", "", "the Panthers", "", "x"]
    references = [("Broncos", "Denver Broncos"), ("Denver Broncos", "The Broncos"), ("The", "Denver"),
                  ("The", "An"), ("", ""), ("y", " x ")]
    np.testing.assert_array_equal(exact_match(hypotheses, references), [1, 0, 0, 0, 1, 1])
    # normalised: "", "an", "the" normalise to nothing, so ("The", "Denver") keeps only "Denver"
    np.testing.assert_array_equal(exact_match(hypotheses, references, normalize=True), [1, 1, 0, 0, 1, 1])
    np.testing.assert_allclose(token_f1(hypotheses, references), [1, 1, 0, 0, 1, 1], atol=1e-12)


@pytest.mark.parametrize("nrefs", [2, None])
@pytest.mark.parametrize(("signature", "metric"), [(bleu_signature, BLEU), (chrf_signature, CHRF), (ter_signature, TER)])
def test_signatures_name_the_number_of_references(signature, metric, nrefs):
    scored = metric()
    if nrefs is None:
        scored.corpus_score(HYPOTHESES, [[refs[j] if j < len(refs) else None for refs in SEVERAL] for j in range(3)])
    else:
        scored.corpus_score(HYPOTHESES, [REFERENCES, REFERENCES[::-1]])
    assert signature(nrefs) == str(scored.get_signature())
    assert ("nrefs:var" if nrefs is None else "nrefs:2") in signature(nrefs)


def test_references_must_be_texts():
    with pytest.raises(ValueError, match=r"references\[1\] is \(\), expected a string or a non-empty sequence"):
        bleu_statistics(["a", "b"], ["a", ()])
    with pytest.raises(ValueError, match=r"references\[0\] is \('a', None\)"):
        token_f1(["a"], [("a", None)])
