"""The Bradley-Terry model: its maximum-likelihood fit from totals per pair of models, and pair bookkeeping."""

from __future__ import annotations

import numpy as np

from ._errors import format_names

__all__ = ["bradley_terry"]

_NEWTON_STEPS = 200


def _pairs(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Both models of every unordered pair ``i < j``, in a fixed order."""
    i, j = np.triu_indices(k, 1)
    return i.astype(np.intp), j.astype(np.intp)


def _pair_codes(left: np.ndarray, right: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each judgment's pair index and whether ``left`` is the pair's first model."""
    low, high = np.minimum(left, right), np.maximum(left, right)
    index = low * k - low * (low + 1) // 2 + (high - low - 1)  # position of (low, high) in np.triu_indices(k, 1)
    return index, left < right


def _identifiable(battles: np.ndarray, scores: np.ndarray, first: np.ndarray, second: np.ndarray, k: int) -> bool:
    """Whether the maximum-likelihood ratings are finite: every split of the models has wins both ways (Zermelo, Ford)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    beats = np.concatenate([first[scores > 0], second[battles - scores > 0]])
    beaten = np.concatenate([second[scores > 0], first[battles - scores > 0]])
    graph = coo_matrix((np.ones(beats.size), (beats, beaten)), shape=(k, k))
    return bool(connected_components(graph, directed=True, connection="strong")[0] == 1)


def bradley_terry(battles: np.ndarray, scores: np.ndarray, *, k: int, anchor: int = 0) -> np.ndarray | None:
    """Maximum-likelihood Bradley-Terry strengths (natural log-odds) from totals per pair, by Newton's method.

    Parameters
    ----------
    battles, scores:
        For every unordered pair ``(i, j)``, ``i < j``, in the order of ``np.triu_indices(k, 1)``: the
        judgments between them and ``i``'s score in them (a win 1, a tie 0.5). Weights need not be whole.
    k:
        Number of models.
    anchor:
        The model whose strength is fixed at 0.

    Returns
    -------
    numpy.ndarray or None
        ``theta`` with ``P(i beats j) = 1 / (1 + exp(theta[j] - theta[i]))`` maximising the likelihood;
        ``None`` when the maximum is not finite (some group of models never lost, or never won, to the rest).

    Examples
    --------
    >>> bradley_terry(np.array([4.0]), np.array([3.0]), k=2).round(4).tolist()  # model 0 won 3 of 4: odds 3 to 1
    [0.0, -1.0986]
    """
    first, second = _pairs(k)
    if not _identifiable(battles, scores, first, second, k):
        return None
    free = np.arange(k) != anchor
    theta = np.zeros(k)

    def log_likelihood(t: np.ndarray) -> float:
        d = t[first] - t[second]
        return float(-(scores * np.logaddexp(0, -d) + (battles - scores) * np.logaddexp(0, d)).sum())

    current = log_likelihood(theta)
    for _ in range(_NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(theta[second] - theta[first]))
        residual = scores - battles * p
        gradient = np.bincount(first, residual, minlength=k) - np.bincount(second, residual, minlength=k)
        weight = battles * p * (1 - p)
        information = np.zeros((k, k))  # the negative Hessian: a weighted graph Laplacian
        np.add.at(information, (first, second), -weight)
        np.add.at(information, (second, first), -weight)
        information[np.diag_indices(k)] = -information.sum(axis=1)
        step = np.zeros(k)
        step[free] = np.linalg.solve(information[np.ix_(free, free)], gradient[free])
        length = 1.0
        while True:  # halve the step until the likelihood does not fall (Newton's full step nearly always)
            trial = theta + length * step
            value = log_likelihood(trial)
            if value >= current - 1e-12 * abs(current) or length < 1e-8:
                break
            length /= 2
        theta, current = trial, value
        if np.max(np.abs(length * step)) < 1e-10:
            break
    return theta


def _unbeaten(battles: np.ndarray, scores: np.ndarray, models: tuple[str, ...]) -> str:
    """Which models make the ratings infinite, in words."""
    first, second = _pairs(len(models))
    k = len(models)
    lost = np.bincount(first, battles - scores, minlength=k) + np.bincount(second, scores, minlength=k)
    won = np.bincount(first, scores, minlength=k) + np.bincount(second, battles - scores, minlength=k)
    never_lost = [models[m] for m in range(k) if lost[m] == 0]
    never_won = [models[m] for m in range(k) if won[m] == 0]
    if never_lost:
        return f"{format_names(never_lost)} never lost"
    if never_won:
        return f"{format_names(never_won)} never won"
    return "the models split into groups where one group won every judgment against the other"
