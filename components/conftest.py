"""The ``report`` the examples in this package's docstrings draw: a small binary comparison, computed once.

Two models of 400 examples (``base`` and ``finetuned``, classes ``"0"`` and ``"1"``, scores, a
``device`` column to slice by), as :func:`evaluation.load_classification` reads them from files.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

import evaluation


def _file(rng: np.random.Generator, label: np.ndarray, device: np.ndarray, strength: float) -> bytes:
    """A prediction file whose scores lean towards the true class by ``strength``."""
    score = 1 / (1 + np.exp(-(rng.normal(size=label.shape[0]) + strength * (2 * label - 1))))
    rows = [f"{i},{y},{p:.4f},{d}" for i, (y, p, d) in enumerate(zip(label, score, device, strict=True))]
    return ("id,label,score,device\n" + "\n".join(rows) + "\n").encode()


@functools.cache
def example_report() -> evaluation.ComparisonReport:
    """The comparison the docstring examples use."""
    rng = np.random.default_rng(0)
    label = rng.integers(0, 2, 400)
    device = rng.choice(["phone", "laptop", "tablet"], 400)
    files = [("base.csv", _file(rng, label, device, 1.0)), ("finetuned.csv", _file(rng, label, device, 1.6))]
    settings = evaluation.Settings(resamples=200, slice_resamples=100)
    return evaluation.compare(evaluation.load_classification(files), settings=settings)


@pytest.fixture(autouse=True)
def _report_for_examples(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace["report"] = example_report()
