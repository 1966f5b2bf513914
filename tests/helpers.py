"""Small builders shared by the engine tests: synthetic predictions with a known structure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evaluation._data import ClassificationData, ColumnMapping, ModelData


def simulated_probabilities(rng: np.random.Generator, y_true: np.ndarray, k: int, strength: float) -> np.ndarray:
    """Softmax of Gaussian logits with ``strength`` added to the true class's logit."""
    logits = rng.normal(size=(y_true.shape[0], k))
    logits[np.arange(y_true.shape[0]), y_true] += strength
    probabilities = np.exp(logits)
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def make_data(
    y_true: np.ndarray,
    predictions: dict[str, np.ndarray],
    scores: dict[str, np.ndarray] | None = None,
    *,
    classes: tuple[str, ...] | None = None,
    positive_label: str | None = None,
    ids: np.ndarray | None = None,
) -> ClassificationData:
    """ClassificationData from integer-coded labels, predictions and optional probabilities."""
    k = int(max(y_true.max(), *(p.max() for p in predictions.values()))) + 1
    if scores:
        k = max(k, *(s.shape[1] for s in scores.values()))
    classes = classes or tuple(str(i) for i in range(k))
    task = "binary" if len(classes) == 2 else "multiclass"
    if task == "binary" and positive_label is None:
        positive_label = classes[1]
    models = tuple(
        ModelData(name=name, source=f"{name}.csv", y_pred=np.asarray(pred),
                  y_score=None if not scores else scores.get(name), columns=ColumnMapping())
        for name, pred in predictions.items()
    )
    return ClassificationData(
        task=task, classes=classes, positive_label=positive_label if task == "binary" else None,
        ids=np.array([f"r{i}" for i in range(y_true.shape[0])]) if ids is None else ids, y_true=np.asarray(y_true), models=models,
        metadata=pd.DataFrame(index=range(y_true.shape[0])))


def two_models(n: int, k: int, *, seed: int = 0, probabilities: bool = True,
               strengths: tuple[float, float] = (1.0, 1.4)) -> ClassificationData:
    """A baseline and a stronger candidate on ``n`` examples of ``k`` classes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    base = simulated_probabilities(rng, y, k, strengths[0])
    cand = simulated_probabilities(rng, y, k, strengths[1])
    scores = {"base": base, "cand": cand} if probabilities else None
    return make_data(y, {"base": base.argmax(axis=1), "cand": cand.argmax(axis=1)}, scores)


def assert_close_documents(left: object, right: object, *, rel: float = 1e-9, path: str = "") -> None:
    """Assert two JSON-like documents are equal up to floating-point summation order.

    Lists of example ids are compared as sets: their order follows the row order.
    """
    if isinstance(left, dict):
        assert isinstance(right, dict) and set(left) == set(right), path
        for key in left:
            assert_close_documents(left[key], right[key], rel=rel, path=f"{path}/{key}")
    elif isinstance(left, list):
        assert isinstance(right, list) and len(left) == len(right), path
        if path.endswith("_ids"):
            assert set(left) == set(right), path
            return
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_close_documents(a, b, rel=rel, path=f"{path}[{i}]")
    elif isinstance(left, float) and isinstance(right, float):
        assert math.isclose(left, right, rel_tol=rel, abs_tol=1e-12), (path, left, right)
    else:
        assert left == right, (path, left, right)


def dirichlet_probabilities(seed: int, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities that lean towards the true class."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    concentration = np.ones((n, k))
    concentration[np.arange(n), y_true] += 2.0
    weights = rng.gamma(concentration)
    return y_true, weights / weights.sum(axis=1, keepdims=True)


# True-class probabilities of exactly 0 and exactly 1 are clipped to [eps, 1 - eps] as in scikit-learn.
EXTREME_SCORES = np.array([
    [1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0],
    [0.0, 0.0, 1.0],
    [0.5, 0.5, 0.0],
    [0.2, 0.3, 0.5],
])
EXTREME_TRUE = np.array([0, 2, 1, 2, 2])  # certain and right, certain and wrong (twice), zero on truth, ordinary
