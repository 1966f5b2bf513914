"""Grouped resampling keeps the intervals' coverage and the test's level: key cells of ``benchmarks/simulation_grouped.py``.

The engine pools more than 100,000 resampling units into 10,000 random groups; here far fewer groups (100,
of 40 examples each) make the case harder, and 400 replications let a miss show: coverage must lie in
93.5-96.5% widened by 3 Monte Carlo standard errors (90.2-99.8%), the type I error at most 5% plus 3
standard errors (8.3%).
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.simulation_grouped import COVERAGE, grouped, make_population, run
from evaluation import _sums as sums

REPLICATIONS = 400


def test_grouped_resampling_covers_and_holds_its_level() -> None:
    result = run(n=4000, groups=100, replications=REPLICATIONS, resamples=400, pop=make_population(50_000))
    low = 0.935 - 3 * math.sqrt(0.935 * 0.065 / REPLICATIONS)
    high = 0.965 + 3 * math.sqrt(0.965 * 0.035 / REPLICATIONS)
    for key in COVERAGE:
        assert low <= result[key] <= high, f"{key}: {result[key]:.1%} outside {low:.1%}-{high:.1%}"
    assert result["rejected"] <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / REPLICATIONS)


def test_groups_depend_on_the_ids_alone_and_keep_them_whole() -> None:
    ids = np.array([f"doc-{i % 3000}" for i in range(9000)], dtype=object)  # each id three times
    with grouped(1000):
        groups = sums.resampling_groups(ids)
        order = np.random.default_rng(1).permutation(ids.size)
        shuffled = sums.resampling_groups(ids[order])
    assert groups is not None and shuffled is not None
    assert np.array_equal(shuffled, groups[order])  # the same id, the same group, whatever the row order
    assert 900 < np.unique(groups).size == groups.max() + 1 <= 1000  # 3,000 ids in 1,000 hash buckets; none empty
    by_id = {}
    for identifier, group in zip(ids, groups, strict=True):
        assert by_id.setdefault(identifier, group) == group  # an id's rows share a group
    with grouped(None):
        assert sums.resampling_groups(ids) is None


def test_the_report_says_when_examples_are_resampled_in_groups() -> None:
    from benchmarks.simulation_grouped import _data
    from evaluation import Settings
    from evaluation._generation import compare_generation

    pop = make_population(5_000)
    ids = np.arange(3000)
    data = _data(ids, pop.tokens[ids], pop.base[ids], pop.cand[ids])
    with grouped(100):
        report = compare_generation(data, settings=Settings(resamples=200))
    assert any("3,000 resampling units are pooled into 100 random groups" in w for w in report.warnings)
