"""Reports shared by the component tests: real engine output on small synthetic data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import evaluation
from evaluation import ComparisonReport, Difference, Estimate
from tests.helpers import make_data, simulated_probabilities, two_models

SETTINGS = evaluation.Settings(resamples=200, slice_resamples=60, target_precisions=(0.8,), target_recalls=(0.9,))


def with_metadata(data: evaluation.ClassificationData, *, seed: int = 1) -> evaluation.ClassificationData:
    """Add a categorical column with one rare value (an insufficient slice) and a numeric column."""
    rng = np.random.default_rng(seed)
    n = data.y_true.shape[0]
    metadata = pd.DataFrame({"lang": rng.choice(["en", "fr", "de", "xx"], n, p=[0.5, 0.3, 0.17, 0.03]),
                             "age": rng.integers(18, 80, n)})
    return dataclasses.replace(data, metadata=metadata)


@pytest.fixture(scope="session")
def multiclass_report() -> ComparisonReport:
    return evaluation.compare(with_metadata(two_models(600, 4)), settings=SETTINGS)


@pytest.fixture(scope="session")
def binary_report() -> ComparisonReport:
    return evaluation.compare(with_metadata(two_models(400, 2, seed=2)), settings=SETTINGS)


@pytest.fixture(scope="session")
def no_probability_report() -> ComparisonReport:
    return evaluation.compare(two_models(300, 3, probabilities=False), settings=SETTINGS)


@pytest.fixture(scope="session")
def three_model_report() -> ComparisonReport:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 300)
    scores = {name: simulated_probabilities(rng, y, 3, strength)
              for name, strength in (("base", 1.0), ("ft1", 1.5), ("ft2", 0.5))}
    data = make_data(y, {name: s.argmax(axis=1) for name, s in scores.items()}, scores)
    return evaluation.compare(data, settings=SETTINGS)


@pytest.fixture(scope="session")
def many_class_report() -> ComparisonReport:
    return evaluation.compare(two_models(2000, 200, probabilities=False, strengths=(3.0, 3.3)),
                              settings=evaluation.Settings(resamples=50, slice_resamples=20))


NAN = float("nan")
NAN_ESTIMATE = Estimate(NAN, NAN, NAN, "bootstrap percentile")
NAN_DIFFERENCE = Difference(NAN, NAN, NAN, NAN, NAN, "paired bootstrap", "undefined", "bootstrap percentile", NAN, NAN)


@pytest.fixture(scope="session")
def nan_report(multiclass_report: ComparisonReport) -> ComparisonReport:
    """The multiclass report with Cohen's kappa, class '0' recall and one slice's accuracy undefined."""
    models = {}
    for name, model in multiclass_report.models.items():
        per_class = {label: dict(values) for label, values in model.per_class.items()}
        per_class["0"]["recall"] = NAN_ESTIMATE
        models[name] = dataclasses.replace(model, metrics={**model.metrics, "cohen_kappa": NAN_ESTIMATE},
                                           per_class=per_class)
    comparison = multiclass_report.comparisons[0]
    per_class = {label: dict(values) for label, values in comparison.per_class.items()}
    per_class["0"]["recall"] = NAN_DIFFERENCE
    first = comparison.slices[0]
    slice_metric = evaluation.SliceMetric(NAN_ESTIMATE, NAN_ESTIMATE, NAN_DIFFERENCE)
    slices = (dataclasses.replace(first, metrics={**first.metrics, "accuracy": slice_metric}), *comparison.slices[1:])
    comparison = dataclasses.replace(comparison, metrics={**comparison.metrics, "cohen_kappa": NAN_DIFFERENCE},
                                     per_class=per_class, slices=slices)
    return dataclasses.replace(multiclass_report, models=models, comparisons=(comparison,))
