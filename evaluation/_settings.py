"""Checking a comparison's settings, in one place, before any file is read.

The command line calls :func:`settings_iv` before it loads the files and :func:`evaluation.compare`
calls it first, so a setting out of range is refused the same way in every face, and never after
minutes of reading. It imports no SciPy: ``--help`` and bad arguments answer quickly.
"""

from __future__ import annotations

import operator
from dataclasses import replace

from ._errors import EvaluationError
from ._metrics import METRICS
from ._multiple import CORRECTIONS
from ._results import CI_METHODS, Settings

__all__ = ["levels_iv", "metric_names", "settings_iv"]


def _whole(value: object) -> int | None:
    """``value`` as an int when it is a whole number (not a bool), else ``None``."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


def _targets_iv(kind: str, targets: tuple[float, ...]) -> None:
    """Each target precision or recall lies in (0, 1]."""
    for target in targets:
        if not 0 < target <= 1:  # NaN fails too
            raise EvaluationError(f"a target {kind} must lie in (0, 1] (for example 0.9), got {target}")


def metric_names(task: str) -> tuple[str, ...]:
    """The metrics a task reports (``"binary"`` and ``"multiclass"`` are classification).

    >>> metric_names("regression")[:2]
    ('mean_absolute_error', 'mean_squared_error')
    """
    if task in ("regression", "generation"):
        from ._statistics import statistics_of

        return tuple(statistics_of(task))
    return tuple(METRICS)


def levels_iv(*, confidence: float | None = None, alpha: float | None = None, seed: int | None = None) -> None:
    """Refuse a confidence level or alpha outside (0, 1), or a seed that is not a whole number of zero or more: the
    checks every analysis makes of these options, in one wording.

    Examples
    --------
    >>> levels_iv(confidence=0.95, alpha=0.05, seed=0)
    >>> levels_iv(alpha=5)
    Traceback (most recent call last):
    ...
    evaluation._errors.EvaluationError: alpha must be between 0 and 1 (for example 0.05), got 5
    """
    if confidence is not None and not 0 < confidence < 1:
        raise EvaluationError(f"confidence must be between 0 and 1 (for example 0.95), got {confidence}")
    if alpha is not None and not 0 < alpha < 1:
        raise EvaluationError(f"alpha must be between 0 and 1 (for example 0.05), got {alpha}")
    if seed is not None and ((whole := _whole(seed)) is None or whole < 0):
        raise EvaluationError(f"seed must be a whole number, zero or more (0 by default), got {seed}")


def settings_iv(settings: Settings, *, task: str = "classification", default_primary: str | None = None) -> Settings:
    """Check every setting of a comparison and return them (SciPy's ``_<name>_iv`` convention).

    Parameters
    ----------
    settings:
        The settings to check.
    task:
        ``"classification"``, ``"regression"`` or ``"generation"``: the primary metric must be one of its
        metrics (generation: or a ``score_`` column).
    default_primary:
        The task's default primary metric, which replaces classification's default (``f1_macro``) when
        the settings still name it.

    Returns
    -------
    Settings
        ``settings``, now trusted (with the task's default primary metric).

    Raises
    ------
    EvaluationError
        Naming the first setting out of range and what was expected.

    Examples
    --------
    >>> settings_iv(Settings(target_precisions=(0.9,))).target_precisions
    (0.9,)
    >>> settings_iv(Settings(target_precisions=(1.5,)))
    Traceback (most recent call last):
    ...
    evaluation._errors.EvaluationError: a target precision must lie in (0, 1] (for example 0.9), got 1.5
    """
    if default_primary is not None and settings.primary_metric == Settings().primary_metric:
        settings = replace(settings, primary_metric=default_primary)
    levels_iv(confidence=settings.confidence, alpha=settings.alpha)
    if settings.resamples < 1:
        raise EvaluationError(f"resamples must be a positive number (10000 by default), got {settings.resamples}")
    levels_iv(seed=settings.seed)
    if settings.ci_method not in CI_METHODS:
        raise EvaluationError(f"unknown interval method {settings.ci_method!r}; expected one of {', '.join(CI_METHODS)}")
    if settings.correction not in CORRECTIONS:
        raise EvaluationError(f"unknown correction {settings.correction!r}; expected one of {', '.join(CORRECTIONS)}")
    names = metric_names(task)
    if settings.primary_metric not in names and not (task == "generation" and settings.primary_metric.startswith("score_")):
        raise EvaluationError(f"unknown primary metric {settings.primary_metric!r} for {task}; expected one of "
                              f"{', '.join(names)}")
    if settings.slice_resamples < 1 or settings.min_slice_size < 1 or settings.max_flip_ids < 0:
        raise EvaluationError("slice_resamples and min_slice_size must be positive and max_flip_ids not negative")
    if settings.ece_bins < 1:
        raise EvaluationError(f"ece_bins must be a positive number, got {settings.ece_bins}")
    if any(_whole(k) is None or k < 1 for k in settings.pass_k):
        raise EvaluationError(f"each pass@k needs a whole k of 1 or more (for example 1 5 10), got "
                              f"{', '.join(map(str, settings.pass_k))}")
    _targets_iv("precision", settings.target_precisions)
    _targets_iv("recall", settings.target_recalls)
    return settings
