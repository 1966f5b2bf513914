"""Simulation study of grouped resampling: intervals cover and tests hold their level when the bootstrap and
the permutation test move random groups of examples instead of examples.

Beyond ``GROUPED_ABOVE`` resampling units the engine pools them into ``RESAMPLING_GROUPS`` random groups
(:func:`evaluation._sums.resampling_groups`). What matters for the method is the number of groups, not
the number of examples in each, so this study runs the generation task's perplexity comparison on test sets
of ``--n`` examples pooled into ``--groups`` groups (far fewer than the engine's 10,000: a harder case),
and, for reference, on the same test sets without grouping. Each replication draws a test set from a fixed
population of a language model's per-example scores (``nll``, ``n_tokens``) whose true perplexities are
known, and records

- whether each 95% interval covers the population's value: the baseline's perplexity, the difference of
  the two perplexities, and the perplexity ratio (delta method and paired bootstrap);
- on an exact null (each example's two scores exchanged at random, so the two models are exchangeable),
  whether the paired permutation test rejects at 5%.

Usage::

    python benchmarks/simulation_grouped.py                      # 1,000 replications, a few minutes
    python benchmarks/simulation_grouped.py --replications 200   # quicker
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation import Settings
from evaluation import _sums as sums
from evaluation._generation import GenerationData, GenerationModel, compare_generation

POPULATION = 200_000
COVERAGE = ("perplexity", "difference", "ratio_delta", "ratio_bootstrap")


@dataclass(frozen=True)
class Population:
    """A language model's scores on every example of a population: tokens and both models' summed nll."""

    tokens: np.ndarray
    base: np.ndarray
    cand: np.ndarray

    def perplexity(self, nll: np.ndarray) -> float:
        return math.exp(nll.sum() / self.tokens.sum())


def make_population(size: int = POPULATION, seed: int = 0) -> Population:
    """Skewed token counts and per-token losses (some examples much harder), the candidate 3% better on average."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(5, 400, size).astype(float)
    hardness = rng.gamma(2.0, 1.2, size)
    base = tokens * hardness
    cand = base * np.clip(rng.normal(0.97, 0.08, size), 0.5, None)
    return Population(tokens, base, cand)


@contextlib.contextmanager
def grouped(groups: int | None) -> Iterator[None]:
    """Pool every test set of more than ``groups`` examples into ``groups`` groups (``None``: never)."""
    saved = sums.GROUPED_ABOVE, sums.RESAMPLING_GROUPS
    sums.GROUPED_ABOVE, sums.RESAMPLING_GROUPS = (sys.maxsize, saved[1]) if groups is None else (groups, groups)
    try:
        yield
    finally:
        sums.GROUPED_ABOVE, sums.RESAMPLING_GROUPS = saved


def _data(ids: np.ndarray, tokens: np.ndarray, base: np.ndarray, cand: np.ndarray) -> GenerationData:
    models = (GenerationModel("base", "base", None, base, tokens), GenerationModel("tuned", "tuned", None, cand, tokens))
    return GenerationData(ids=ids.astype(str).astype(object), references=None, prompts=None, models=models,
                          metadata=pd.DataFrame(index=range(ids.size)))


def replicate(pop: Population, n: int, groups: int | None, *, null: bool, resamples: int,
              rng: np.random.Generator) -> dict[str, bool]:
    """One test set's outcomes: which intervals cover the truth, or (``null``) whether the test rejects."""
    rows = rng.choice(pop.tokens.size, size=n, replace=False)
    tokens, base, cand = pop.tokens[rows], pop.base[rows], pop.cand[rows]
    if null:  # exchange each example's two scores at random: the models are exchangeable, the null is exact
        swap = rng.random(n) < 0.5
        base, cand = np.where(swap, cand, base), np.where(swap, base, cand)
    settings = Settings(resamples=resamples, seed=int(rng.integers(2**31)), primary_metric="perplexity")
    with grouped(groups):
        report = compare_generation(_data(rows, tokens, base, cand), settings=settings)
    difference = report.comparisons[0].metrics["perplexity"]
    if null:
        return {"rejected": bool(difference.p_value < 0.05)}
    truth_base, truth_cand = pop.perplexity(pop.base), pop.perplexity(pop.cand)
    estimate = report.models["base"].metrics["perplexity"]
    ratio = report.comparisons[0].perplexity_ratio
    assert ratio is not None
    truth_ratio = truth_cand / truth_base
    return {"perplexity": estimate.ci_low <= truth_base <= estimate.ci_high,
            "difference": difference.ci_low <= truth_cand - truth_base <= difference.ci_high,
            "ratio_delta": ratio.ci_low <= truth_ratio <= ratio.ci_high,
            "ratio_bootstrap": ratio.bootstrap_ci_low <= truth_ratio <= ratio.bootstrap_ci_high}


def run(*, n: int, groups: int | None, replications: int, resamples: int = 1000, seed: int = 0,
        pop: Population | None = None) -> dict[str, float]:
    """Coverage of each interval and the null's rejection rate over ``replications`` test sets."""
    pop = pop or make_population()
    rng = np.random.default_rng([seed, n, groups or 0])
    covered = [replicate(pop, n, groups, null=False, resamples=resamples, rng=rng) for _ in range(replications)]
    rejected = [replicate(pop, n, groups, null=True, resamples=resamples, rng=rng)["rejected"] for _ in range(replications)]
    out = {key: float(np.mean([c[key] for c in covered])) for key in COVERAGE}
    out["rejected"] = float(np.mean(rejected))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="examples per test set (default 20000)")
    parser.add_argument("--groups", type=int, default=200, help="random groups (default 200)")
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args(argv)
    pop = make_population()
    print(f"{args.replications:,} test sets of {args.n:,} examples from {POPULATION:,}; {args.resamples:,} resamples; "
          f"Monte Carlo standard error of a 95% coverage {math.sqrt(0.95 * 0.05 / args.replications):.1%}")
    print("| resampling | " + " | ".join(f"{key} coverage" for key in COVERAGE) + " | type I error |")
    print("|---" * (len(COVERAGE) + 2) + "|")
    for label, groups in ((f"{args.groups} groups", args.groups), ("examples (not grouped)", None)):
        result = run(n=args.n, groups=groups, replications=args.replications, resamples=args.resamples, pop=pop)
        print(f"| {label} | " + " | ".join(f"{result[key]:.1%}" for key in COVERAGE) + f" | {result['rejected']:.1%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
