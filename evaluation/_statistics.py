"""Metrics as registered statistics: per-unit sufficient statistics, summed, then finalised.

A metric is a :class:`Statistic`: its name and direction, the per-unit columns it needs (absolute
errors, squared errors, counts of cells, ...), and a function that turns those columns' totals into
the metric, vectorised over any leading axes, so the same call scores the data and every bootstrap
resample (``totals = weights @ columns``). A statistic that is not a function of sums (a median)
reads the units' resampled weights instead (:attr:`Statistic.from_weights`).

The registry drives the computation (a task computes every statistic registered for it) and the
tests (``tests/evaluation/test_statistics.py`` checks every registered statistic for row-order
invariance, zero difference and p = 1 for identical models, an interval containing its estimate, and
agreement with its reference implementation). Adding a metric is registering one statistic and its
reference: see ``docs/adding-a-metric.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["DELONG", "JACKKNIFE_T", "MCNEMAR", "PAIRED_BOOTSTRAP", "PAIRED_PERMUTATION", "PAIRED_T", "STATISTICS",
           "TESTS", "Statistic", "higher_is_better", "metric_title", "register", "statistics_of"]

PAIRED_T = "paired t"
"""Test of a difference of means of per-example values: the t-test on the paired differences."""
PAIRED_BOOTSTRAP = "paired bootstrap"
"""Test of a difference by resampling examples, both models together, and reading the spread."""
PAIRED_PERMUTATION = "paired permutation"
"""Test of a difference by exchanging the two models' outputs on random examples: exact at any size."""
MCNEMAR = "McNemar exact"
"""Classification accuracy: the exact conditional test on the examples only one model got right."""
DELONG = "DeLong t"
"""ROC AUC: DeLong's test of two correlated AUCs, from their per-example placement values, with a
t reference distribution whose degrees of freedom account for small classes (Welch-Satterthwaite)."""
JACKKNIFE_T = "jackknife t"
"""Average precision: the jackknife's standard error of the paired difference, with a t reference
distribution of Welch-Satterthwaite degrees of freedom (as DeLong's)."""
TESTS: tuple[str, ...] = (PAIRED_T, PAIRED_BOOTSTRAP, PAIRED_PERMUTATION, MCNEMAR, DELONG, JACKKNIFE_T)
"""Every test a statistic may name."""


@dataclass(frozen=True)
class Statistic:
    """One metric of one task, as the engine computes it.

    Attributes
    ----------
    name:
        Key in results and JSON (scikit-learn's name where it has one).
    title:
        Human-readable name.
    task:
        The task it belongs to (``"regression"``, ...).
    higher_is_better:
        Direction of "better".
    columns:
        The per-unit sufficient statistics it needs, by the task's column names (a classification
        column is a block of one value per class).
    finalize:
        ``(..., total width of columns)`` totals -> ``(...)`` metric values; ``None`` for a statistic
        of ranks or of bins, which its task computes in its own module (ROC AUC and average precision
        in ``_ranking.py``, the expected calibration error in ``_calibration.py``).
    test:
        How a paired difference is tested (one of :data:`TESTS`): :data:`PAIRED_T` when the metric is
        the mean of the first column (then its interval is the t interval too), :data:`PAIRED_BOOTSTRAP`
        by default, or a test of its own (McNemar for accuracy, DeLong for ROC AUC).
    description:
        One sentence on what the number means.
    from_weights:
        For a statistic that is not a function of sums: ``(weights (b, n), values (n,)) -> (b,)``
        from the units' resampled weights and the per-unit values of its first column; ``finalize``
        is then not used for resamples.
    """

    name: str
    title: str
    task: str
    higher_is_better: bool
    columns: tuple[str, ...]
    finalize: Callable[[np.ndarray], np.ndarray] | None
    test: str
    description: str
    from_weights: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None


STATISTICS: dict[str, dict[str, Statistic]] = {}
"""Task -> metric name -> :class:`Statistic`, in registration (report) order."""


def register(statistic: Statistic) -> Statistic:
    """Add a statistic to the registry (its name must be new for its task); returns it.

    Raises
    ------
    ValueError
        When the task already has a statistic of that name, or the test is unknown.
    """
    task = STATISTICS.setdefault(statistic.task, {})
    if statistic.name in task:
        raise ValueError(f"the {statistic.task} task already has a statistic named {statistic.name!r}")
    if statistic.test not in TESTS:
        raise ValueError(f"unknown test {statistic.test!r}; expected one of {', '.join(TESTS)}")
    task[statistic.name] = statistic
    return statistic


def statistics_of(task: str) -> Mapping[str, Statistic]:
    """The statistics registered for ``task``, in report order.

    Examples
    --------
    >>> list(statistics_of("regression"))[:2]
    ['mean_absolute_error', 'mean_squared_error']
    """
    if task not in STATISTICS and task == "regression":
        from . import _regression  # noqa: F401  (registers the regression task's statistics on import)
    if task not in STATISTICS and task == "generation":
        from . import _generation  # noqa: F401  (registers the generation task's statistics on import)
    if task not in STATISTICS and task == "classification":
        from . import _metrics  # noqa: F401  (registers the classification task's statistics on import)
    return STATISTICS.get(task, {})


def _lookup(name: str) -> tuple[str, bool] | None:
    """A metric's title and direction, whichever task reports it (classification's first: a classification report
    never imports the text metrics' libraries, a second of the command's time)."""
    from ._metrics import METRICS, PER_CLASS_METRICS

    if name in METRICS:
        return METRICS[name].title, METRICS[name].higher_is_better
    if name in PER_CLASS_METRICS:  # a class's precision, recall, F1: read as they are
        return name, True
    for task in ("regression", "generation"):
        statistic = statistics_of(task).get(name)
        if statistic is not None:
            return statistic.title, statistic.higher_is_better
    return None


def metric_title(name: str) -> str:
    """A metric's human-readable title, for any task (its key when unknown).

    >>> metric_title("f1_macro"), metric_title("r2"), metric_title("something")
    ('F1 (macro)', 'R²', 'something')
    """
    found = _lookup(name)
    return name if found is None else found[0]


def higher_is_better(name: str) -> bool:
    """Whether a larger value of the metric is better (``True`` for unknown names).

    >>> higher_is_better("accuracy"), higher_is_better("mean_absolute_error")
    (True, False)
    """
    found = _lookup(name)
    return True if found is None else found[1]
