"""Tests of ``evaluation._mcnemar``: McNemar's exact test and its mid-p value.

References: statsmodels' ``mcnemar(table, exact=True)``; SciPy's ``binomtest``; the worked example and
the equal-counts rule of Fagerland, Lydersen & Laake (2013), BMC Medical Research Methodology 13:91,
and its supplement "How to calculate the McNemar mid-p test" (discordant pairs 1 and 7 give exact
p = 0.070 and mid-p = 0.039; with equal counts, mid-p = 1 - P(X = n12) / 2).
"""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from evaluation._mcnemar import McNemarResult, mcnemar_exact

TABLES = [(0, 0), (0, 1), (1, 0), (1, 7), (7, 1), (3, 3), (0, 12), (5, 9), (10, 30), (25, 25), (61, 40),
          (200, 260), (999, 1000), (40000, 41000)]


def test_fagerland_worked_example() -> None:
    result = mcnemar_exact(1, 7)
    assert (round(result.p_value, 3), round(result.mid_p_value, 3)) == (0.070, 0.039)
    assert result.statistic == 1 and result.test == "McNemar exact"


def test_fagerland_equal_counts_rule() -> None:
    result = mcnemar_exact(6, 6)
    assert result.p_value == 1.0
    assert result.mid_p_value == pytest.approx(1 - 0.5 * stats.binom.pmf(6, 12, 0.5), rel=1e-14)


def test_no_discordant_pairs() -> None:
    result = mcnemar_exact(0, 0)
    assert (result.statistic, result.p_value, result.mid_p_value) == (0, 1.0, 1.0)


@pytest.mark.parametrize(("baseline_only", "candidate_only"), TABLES)
def test_exact_p_matches_statsmodels(baseline_only: int, candidate_only: int) -> None:
    reference = mcnemar([[17, baseline_only], [candidate_only, 23]], exact=True)
    result = mcnemar_exact(baseline_only, candidate_only)
    assert result.statistic == reference.statistic
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(("baseline_only", "candidate_only"), [t for t in TABLES if sum(t) > 0])
def test_exact_p_matches_scipy_binomtest(baseline_only: int, candidate_only: int) -> None:
    reference = stats.binomtest(baseline_only, baseline_only + candidate_only, 0.5).pvalue
    assert mcnemar_exact(baseline_only, candidate_only).p_value == pytest.approx(reference, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(("baseline_only", "candidate_only"), [t for t in TABLES if t[0] != t[1]])
def test_mid_p_is_exact_p_minus_point_probability(baseline_only: int, candidate_only: int) -> None:
    n, smaller = baseline_only + candidate_only, min(baseline_only, candidate_only)
    expected = 2 * (stats.binom.cdf(smaller, n, 0.5) - 0.5 * stats.binom.pmf(smaller, n, 0.5))
    assert mcnemar_exact(baseline_only, candidate_only).mid_p_value == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_large_counts_are_fast_and_finite() -> None:
    started = time.perf_counter()
    result = mcnemar_exact(40000, 41000)
    assert time.perf_counter() - started < 0.5
    assert 0.0 < result.mid_p_value < result.p_value < 0.001
    assert np.isfinite([result.p_value, result.mid_p_value]).all()


def test_numpy_integers_and_bad_counts() -> None:
    assert mcnemar_exact(np.int64(3), np.int32(9)) == mcnemar_exact(3, 9)
    with pytest.raises(ValueError, match="non-negative"):
        mcnemar_exact(-1, 4)
    with pytest.raises(TypeError, match="integer"):
        mcnemar_exact(2.5, 4)  # type: ignore[arg-type]


def test_result_is_frozen_and_json_serialisable() -> None:
    result = mcnemar_exact(4, 11)
    assert isinstance(result, McNemarResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_value = 0.0  # type: ignore[misc]
    assert json.loads(json.dumps(dataclasses.asdict(result))) == dataclasses.asdict(result)


@given(st.integers(0, 5000), st.integers(0, 5000))
def test_properties(baseline_only: int, candidate_only: int) -> None:
    result = mcnemar_exact(baseline_only, candidate_only)
    swapped = mcnemar_exact(candidate_only, baseline_only)
    assert (result.p_value, result.mid_p_value) == (swapped.p_value, swapped.mid_p_value)
    assert 0.0 <= result.mid_p_value <= result.p_value <= 1.0
    assert (result.baseline_only, result.candidate_only) == (baseline_only, candidate_only)
