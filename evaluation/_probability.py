"""Per-example losses of class probabilities: log loss and the Brier score.

Both metrics are means of per-example values, so their intervals and paired tests use those values
directly (a t interval and a paired t test). Calibration is :mod:`evaluation._calibration`'s; the
statistics of the ranking (ROC AUC, average precision, curves) are :mod:`evaluation._ranking`'s.
"""

from __future__ import annotations

import numpy as np

__all__ = ["brier_per_example", "log_loss_per_example"]


def log_loss_per_example(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    """Negative log probability of the true class, clipped to ``[eps, 1 - eps]`` as scikit-learn does.

    Parameters
    ----------
    y_true:
        ``(n,)`` integer class codes.
    y_score:
        ``(n, k)`` class probabilities.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` losses; their mean is ``sklearn.metrics.log_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> log_loss_per_example(np.array([1]), np.array([[0.5, 0.5]])).round(4)
    array([0.6931])
    """
    eps = np.finfo(y_score.dtype).eps
    p_true = _true_class_probability(y_true, y_score)
    np.clip(p_true, eps, 1 - eps, out=p_true)
    np.log(p_true, out=p_true)
    return np.negative(p_true, out=p_true)


def brier_per_example(y_true: np.ndarray, y_score: np.ndarray, *, positive: int | None = None) -> np.ndarray:
    """Squared error of the probabilities per example.

    Binary tasks (``positive`` given): ``(p_positive - y)^2``, the scikit-learn binary Brier score.
    Multiclass: ``sum_k (p_k - [y = k])^2``, the original Brier (1950) score that scikit-learn uses
    for more than two classes.

    Examples
    --------
    >>> import numpy as np
    >>> brier_per_example(np.array([1]), np.array([[0.2, 0.8]]), positive=1).round(4)
    array([0.04])
    """
    n = y_true.shape[0]
    if positive is not None:
        return (y_score[:, positive] - (y_true == positive)) ** 2
    # sum_k (p_k - onehot_k)^2 = sum_k p_k^2 - 2 p_true + 1, without building the one-hot matrix,
    # column by column (the matrix may be column-major; no (n, k) temporary either way).
    total = _true_class_probability(y_true, y_score)
    total *= -2.0
    total += 1.0
    square = np.empty(n)
    for k in range(y_score.shape[1]):
        total += np.square(y_score[:, k], out=square)
    return total


def _true_class_probability(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    """Each example's probability of its true class, as a new array."""
    n = y_true.shape[0]
    if y_score.flags.f_contiguous and y_score.ndim == 2:
        # Column-major: one gather from the flat columns reads faster than a two-index lookup.
        flat_index = y_true.astype(np.int64) * n
        flat_index += np.arange(n)
        return np.take(y_score.T.reshape(-1), flat_index)
    return y_score[np.arange(n), y_true]
