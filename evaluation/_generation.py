"""Generation: models that write text (or score it), compared on the same prompts.

The files are read and paired by :mod:`evaluation._generation_data` (:func:`load_generation`, re-exported
here); this module computes.

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

import numpy as np
from scipy import stats
from scipy.special import ndtri

from . import _text_metrics as text
from ._errors import EvaluationError
from ._generation_data import (
    GENERATION_ALIASES,
    TASK,
    GenerationData,
    GenerationModel,
    inspect_generation_file,
    load_generation,
)
from ._inference import rng_for
from ._preferences_results import PreferenceComparison
from ._resampling import percentile_interval
from ._results import Difference, Estimate, Settings, SliceResult
from ._settings import settings_iv
from ._slices import slice_columns
from ._statistics import MCNEMAR, PAIRED_PERMUTATION, PAIRED_T, Statistic, register, statistics_of
from ._sums import SummedStatistics, baseline_first, cluster_sums, clustered_t, resampling_groups

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

DEFAULT_PRIMARY = "bleu"

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
    supported = {"perplexity": all(data.model(name).nll is not None for name in order) and data.tokens_differ is None,
                 "bits_per_byte": all(data.model(name).n_bytes is not None for name in order)}
    scores = score_statistics(data)
    if not data.has_text and settings.primary_metric == DEFAULT_PRIMARY:  # no texts: the default cannot be BLEU
        fallback = next((name for name in ("perplexity", "bits_per_byte") if supported[name]),
                        scores[0].name if scores else DEFAULT_PRIMARY)
        settings = replace(settings, primary_metric=fallback)
    if data.tokens_differ is not None and settings.primary_metric == "perplexity":
        raise EvaluationError(f"token perplexities do not compare: {data.tokens_differ}, so the tokenizers differ; "
                              "compare bits per byte instead (--primary bits_per_byte, with n_bytes or the scored text "
                              "in the files)")
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
    if data.tokens_differ is not None:
        warnings.append(f"perplexity is left out: {data.tokens_differ}, so the tokenizers differ and token perplexities "
                        "do not compare" + ("; bits per byte compares them" if supported["bits_per_byte"] else
                                            "; give n_bytes (or the scored text) to compare bits per byte"))
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
