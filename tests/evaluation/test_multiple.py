"""Tests of ``evaluation._multiple``: Holm, Bonferroni and Benjamini-Hochberg adjusted p-values.

Reference: ``statsmodels.stats.multitest.multipletests(p, method=...)[1]`` (methods ``"holm"``,
``"bonferroni"``, ``"fdr_bh"``), applied to the non-NaN p-values only.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from evaluation._multiple import CORRECTIONS, adjust_p_values

METHODS = ["holm", "fdr_bh", "bonferroni"]


def reference_adjusted(p_values: np.ndarray, method: str) -> np.ndarray:
    """statsmodels' adjusted p-values.

    Its Holm branch calls ``gc.collect()`` (about 0.1 s inside a large test process); that call only
    frees memory, so it is skipped here to keep the suite fast.
    """
    with mock.patch("gc.collect", return_value=0):
        return multipletests(p_values, method=method)[1]


def _families() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    families = [np.array([0.01, 0.04, 0.03]), np.array([0.2]), np.array([1.0, 1.0, 1.0]), np.array([0.0, 0.5, 1.0])]
    for size in (2, 3, 5, 10, 30, 200):
        families.append(rng.random(size))
        families.append(rng.random(size) ** 4)  # many small p-values
        families.append(np.round(rng.random(size), 1))  # heavy ties, including 0 and 1
        with_ones = rng.random(size) * 0.2
        with_ones[rng.random(size) < 0.3] = 1.0
        families.append(with_ones)
    return families


FAMILIES = _families()


@pytest.mark.parametrize("method", METHODS)
def test_adjusted_p_values_equal_statsmodels(method: str) -> None:
    for family in FAMILIES:
        expected = reference_adjusted(family, method)
        np.testing.assert_allclose(adjust_p_values(family, method=method), expected, rtol=1e-12, atol=0,
                                   err_msg=f"{method} on {family!r}")


@settings(max_examples=150, deadline=None)
@given(
    family=st.lists(st.sampled_from([0.0, 0.001, 0.01, 0.02, 0.05, 0.1, 0.5, 0.9, 1.0])
                    | st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=25),
    method=st.sampled_from(METHODS),
)
def test_adjusted_p_values_equal_statsmodels_on_arbitrary_families(family: list[float], method: str) -> None:
    p_values = np.array(family)
    expected = reference_adjusted(p_values, method)
    np.testing.assert_allclose(adjust_p_values(p_values, method=method), expected, rtol=1e-12, atol=1e-300)


def test_holm_worked_example_of_the_docstring() -> None:
    # Sorted 0.01, 0.03, 0.04 times 3, 2, 1 -> 0.03, 0.06, 0.04 -> running maximum 0.03, 0.06, 0.06.
    np.testing.assert_allclose(adjust_p_values(np.array([0.01, 0.04, 0.03]), method="holm"), [0.03, 0.06, 0.06],
                               rtol=1e-12)


def test_default_method_is_holm() -> None:
    family = FAMILIES[10]
    np.testing.assert_array_equal(adjust_p_values(family), adjust_p_values(family, method="holm"))


@pytest.mark.parametrize("method", METHODS)
def test_nans_are_kept_and_left_out_of_the_family(method: str) -> None:
    family = np.array([0.01, np.nan, 0.04, 0.03, np.nan, 0.2])
    adjusted = adjust_p_values(family, method=method)
    valid = np.isfinite(family)
    assert np.isnan(adjusted[~valid]).all()
    np.testing.assert_allclose(adjusted[valid], reference_adjusted(family[valid], method), rtol=1e-12)


@pytest.mark.parametrize("method", [*METHODS, "none"])
def test_all_nan_family_stays_nan(method: str) -> None:
    assert np.isnan(adjust_p_values(np.array([np.nan, np.nan]), method=method)).all()


@pytest.mark.parametrize("method", [*METHODS, "none"])
def test_empty_family_gives_empty_result(method: str) -> None:
    assert adjust_p_values(np.array([]), method=method).shape == (0,)


def test_none_returns_the_input_values() -> None:
    family = np.array([0.01, np.nan, 0.9, 1.0, 0.0])
    np.testing.assert_array_equal(adjust_p_values(family, method="none"), family)


@pytest.mark.parametrize("method", [*METHODS, "none"])
def test_input_is_not_modified(method: str) -> None:
    family = np.array([0.04, np.nan, 0.01, 0.03])
    copy = family.copy()
    adjust_p_values(family, method=method)
    np.testing.assert_array_equal(family, copy)


@pytest.mark.parametrize("method", ["hochberg", "Holm", "", "fdr_by"])
def test_unknown_method_raises_value_error(method: str) -> None:
    with pytest.raises(ValueError, match="unknown correction"):
        adjust_p_values(np.array([0.01, 0.02]), method=method)


def test_corrections_lists_the_supported_methods() -> None:
    assert set(CORRECTIONS) == {"holm", "fdr_bh", "bonferroni", "none"}
