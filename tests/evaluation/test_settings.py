"""Tests of ``evaluation._settings``: every setting is checked in one place, the same way in every face."""

from __future__ import annotations

import dataclasses

import pytest

from evaluation import EvaluationError, Settings, compare
from evaluation._settings import settings_iv

from ..helpers import two_models

BAD = [
    ({"confidence": 1.0}, "confidence must be between 0 and 1"),
    ({"alpha": float("nan")}, "alpha must be between 0 and 1"),
    ({"resamples": 0}, "resamples must be a positive number"),
    ({"seed": -1}, "seed must be a whole number, zero or more"),
    ({"seed": 1.5}, "seed must be a whole number, zero or more"),
    ({"ci_method": "studentized"}, "unknown interval method"),
    ({"correction": "sidak"}, "unknown correction"),
    ({"primary_metric": "f2"}, "unknown primary metric"),
    ({"slice_resamples": 0}, "slice_resamples and min_slice_size must be positive"),
    ({"ece_bins": 0}, "ece_bins must be a positive number"),
    ({"target_precisions": (0.9, 1.5)}, "a target precision must lie in (0, 1]"),
    ({"target_precisions": (0.0,)}, "a target precision must lie in (0, 1]"),
    ({"target_recalls": (float("nan"),)}, "a target recall must lie in (0, 1]"),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_a_bad_setting_is_refused_with_its_name(change: dict, message: str) -> None:
    with pytest.raises(EvaluationError, match=message.replace("(", r"\(").replace("]", r"\]")):
        settings_iv(dataclasses.replace(Settings(), **change))


@pytest.mark.parametrize(("change", "message"), BAD)
def test_compare_checks_the_settings_the_same_way(change: dict, message: str) -> None:
    with pytest.raises(EvaluationError) as error:
        compare(two_models(50, 3), settings=dataclasses.replace(Settings(), **change))
    assert message in str(error.value)


def test_good_settings_pass_unchanged() -> None:
    settings = Settings(confidence=0.9, seed=7, target_precisions=(1.0, 0.5), target_recalls=(0.01,))
    assert settings_iv(settings) is settings
