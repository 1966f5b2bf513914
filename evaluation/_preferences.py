"""Pairwise preference judgments: two models' win rate and sign test, or Bradley-Terry ratings of many.

A judgments file (any format :func:`evaluation._io.read_table` reads) has one row per judgment: ``id``,
``winner`` (a model's name or ``tie``), the two models compared (columns ``model_a`` and ``model_b``,
or the ``baseline`` and ``candidate`` named by the caller), and optionally ``judge`` and ``position``
(the model shown first). :func:`read_judgments` checks it once and returns trusted
:class:`Judgments`; :func:`compare_preferences` (two models) and :func:`rate_models` (two or more)
only compute. Resampling is by ``id``: every judgment of an id (both orders, several judges) is drawn
together, so with one judgment per id it is the plain bootstrap over judgments. See
``docs/preferences.md``.

With the lengths of the two outputs of each judgment, the two-model analysis adds the length-adjusted
win rate (:func:`logistic_fit` on the standardised length difference).

This module holds the two analyses and the position-bias count, and re-exports the rest: reading and
checking live in :mod:`evaluation._preferences_judgments`, the Bradley-Terry fit in
:mod:`evaluation._preferences_bradley_terry`, the result objects and their reports in
:mod:`evaluation._preferences_results`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ._errors import EvaluationError
from ._preferences_bradley_terry import _pair_codes, _pairs, _unbeaten, bradley_terry
from ._preferences_judgments import LENGTH_COLUMNS, Judgments, pair_judgments, read_judgments, read_judgments_against
from ._preferences_results import (
    LENGTH_ADJUSTED_LABEL,
    ModelRating,
    PositionBias,
    PreferenceComparison,
    PreferenceRatings,
)
from ._resampling import draw_counts, percentile_interval
from ._results import Estimate

__all__ = ["ANCHOR_RATING", "LENGTH_ADJUSTED_LABEL", "LENGTH_COLUMNS", "SCALE", "Judgments", "ModelRating", "PositionBias",
           "PreferenceComparison", "PreferenceRatings", "bradley_terry", "compare_preferences", "logistic_fit",
           "pair_judgments", "position_bias", "rate_models", "read_judgments", "read_judgments_against"]

SCALE = 400.0
"""Elo points per factor of ten in the odds: a model ``SCALE`` points above another wins 10 to 1."""
ANCHOR_RATING = 1000.0
"""The anchor model's rating; every other rating and interval is relative to it."""

_BATCH_ELEMENTS = 1 << 22  # resampled counts drawn at once (resamples x cells)


def _iv(judgments: Judgments, confidence: float, resamples: int, seed: int) -> None:
    """Check the options shared by both analyses."""
    if not 0 < confidence < 1:
        raise EvaluationError(f"confidence must be between 0 and 1 (for example 0.95), got {confidence}")
    if resamples < 1:
        raise EvaluationError(f"resamples must be a positive number (1000 by default), got {resamples}")
    if seed < 0:
        raise EvaluationError(f"seed must be a whole number, zero or more (0 by default), got {seed}")
    if judgments.left.size == 0:
        raise EvaluationError(f"{judgments.source}: no judgments")


def _cells(judgments: Judgments, pair: np.ndarray, score: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids compressed to cells: each cell's totals (judgments per pair, then score per pair) and its count of ids.

    An id with one judgment is keyed by that judgment's pair and score, so identical ones share a
    cell; an id judged more than once stays a cell of its own.
    """
    unit = judgments.unit
    single = np.bincount(unit, minlength=judgments.n_units)[unit] == 1
    key = pair * 3 + (score * 2).astype(np.intp)
    keys, cell = np.unique(np.where(single, key, 3 * p + unit), return_inverse=True)
    cell = cell.ravel()
    representative = np.zeros(keys.size, dtype=np.intp)
    representative[cell] = unit  # any one id of each cell
    keep = representative[cell] == unit
    totals = (np.bincount(cell[keep] * 2 * p + pair[keep], minlength=keys.size * 2 * p)
              + np.bincount(cell[keep] * 2 * p + p + pair[keep], score[keep], minlength=keys.size * 2 * p))
    unit_cell = np.zeros(judgments.n_units, dtype=np.intp)
    unit_cell[unit] = cell
    return totals.reshape(keys.size, 2 * p), np.bincount(unit_cell, minlength=keys.size)


def _resampled(counts: np.ndarray, resamples: int, seed: int, width: int = 0) -> Iterator[np.ndarray]:
    """Resampled cell counts in chunks of fixed size (the draws depend on the seed alone); ``width``: the elements
    per resample the caller expands each chunk to, when more than the cells."""
    rng = np.random.default_rng(seed)
    size = max(1, min(resamples, _BATCH_ELEMENTS // max(1, counts.size, width)))
    for start in range(0, resamples, size):
        yield draw_counts(counts, min(size, resamples - start), rng)


def compare_preferences(judgments: Judgments, *, confidence: float = 0.95, resamples: int = 1000,
                        seed: int = 0) -> PreferenceComparison:
    """The candidate's wins, losses and ties against the baseline, its win rate with an interval, and the sign test.

    With output lengths (``judgments.left_length``/``right_length``) also the length-adjusted win rate:
    a logistic regression of the candidate's score on the standardised length difference, predicted at
    no difference (an adjustment, not a measurement; see :class:`PreferenceComparison`).

    Parameters
    ----------
    judgments:
        From :func:`read_judgments` with ``baseline`` and ``candidate``.
    confidence, resamples, seed:
        Level of the percentile-bootstrap interval of the win rate, resamples of ids, seed of the draws.

    Returns
    -------
    PreferenceComparison

    Examples
    --------
    >>> data = read_judgments(("j.csv", b"id,winner\\n1,new\\n2,new\\n3,tie\\n4,old\\n"), baseline="old", candidate="new")
    >>> result = compare_preferences(data, resamples=100)
    >>> result.wins, result.losses, result.ties, result.win_rate.value
    (2, 1, 1, 0.625)
    """
    from scipy.stats import binomtest

    _iv(judgments, confidence, resamples, seed)
    if judgments.baseline is None or judgments.candidate is None:
        raise EvaluationError(f"{judgments.source}: comparing two models needs their names (baseline and candidate)")
    score = 1.0 - judgments.left_score  # the candidate's
    n = score.size
    wins, losses = int((score == 1).sum()), int((score == 0).sum())
    ties = n - wins - losses
    value = float(score.mean())
    # Cell totals of (judgments, candidate score); the win rate of a resample is their ratio.
    totals, counts = _cells(judgments, np.zeros(n, dtype=np.intp), score, 1)
    replicates = np.concatenate([(drawn @ totals[:, 1]) / (drawn @ totals[:, 0])
                                 for drawn in _resampled(counts, resamples, seed)])
    low, high = percentile_interval(replicates, confidence=confidence)
    decisive = wins + losses
    p_value = float(binomtest(wins, decisive, 0.5).pvalue) if decisive else math.nan
    notes = [] if decisive else ["every judgment is a tie: the sign test is undefined"]
    if judgments.n_units < n:
        notes.append(f"{n - judgments.n_units:,} judgments repeat an id: the interval resamples ids, but the sign test "
                     "treats every judgment as independent")
    adjusted, slope, spread, length_note = _length_adjustment(judgments, confidence=confidence, resamples=resamples,
                                                              seed=seed)
    return PreferenceComparison(
        source=judgments.source, baseline=judgments.baseline, candidate=judgments.candidate, n_judgments=n,
        n_ids=judgments.n_units, wins=wins, losses=losses, ties=ties,
        win_rate=Estimate(value, float(low), float(high), "paired bootstrap percentile over ids (ties count half)",
                          float(np.std(replicates, ddof=1)) if replicates.size > 1 else math.nan),
        decisive_win_rate=wins / decisive if decisive else math.nan, p_value=p_value,
        test="exact sign test (two-sided binomial of wins against losses at 0.5, ties dropped)",
        confidence=confidence, resamples=resamples, seed=seed, judges=_judges(judgments),
        position_bias=position_bias(judgments), notes=tuple(notes), length_adjusted=adjusted, length_slope=slope,
        length_sd=spread, length_note=length_note)


_NO_LENGTHS = ("no output lengths (columns length_a and length_b, or baseline_length and candidate_length; compare "
               "--preferences measures them on the outputs), so no length-adjusted win rate")
_NEWTON_STEPS = 100
_RUNAWAY = 50.0  # log-odds: a fitted probability within 1e-21 of 0 or 1


def logistic_fit(x: np.ndarray, y: np.ndarray, weights: np.ndarray, *, start: np.ndarray | None = None) -> np.ndarray:
    """Intercept and slope of the logistic regression of a fractional response ``y`` in [0, 1] on ``x``, by Newton's method.

    The maximum of ``sum w (y log p + (1 - y) log(1 - p))``, ``p = 1 / (1 + exp(-(a + b x)))``: a tie
    (``y = 0.5``) counts as half a win and half a loss, as two rows of weight 1/2 would in a binomial GLM.

    Parameters
    ----------
    x, y:
        ``(n,)`` the regressor and the response.
    weights:
        ``(n,)`` or ``(r, n)`` weights (a bootstrap's counts): one fit per row.
    start:
        ``(2,)`` where Newton's method starts (zero by default; a bootstrap starts at the data's fit).

    Returns
    -------
    numpy.ndarray
        ``(2,)`` or ``(r, 2)``: intercept and slope; NaN where the maximum is not finite (wins and losses
        separated by ``x``, or every judgment on one side) or ``x`` does not vary under the weights.

    Examples
    --------
    >>> fit = logistic_fit(np.array([-1.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0, 0.5, 1.0]), np.ones(4))
    >>> fit.round(4).tolist()  # statsmodels' binomial GLM, the tie as two rows of weight 1/2: 0.2620, 1.5427
    [0.262, 1.5427]
    """
    from scipy.special import expit

    single = weights.ndim == 1
    w = np.atleast_2d(weights).astype(float)
    beta = np.zeros((w.shape[0], 2)) if start is None else np.tile(np.asarray(start, dtype=float), (w.shape[0], 1))
    done = np.zeros(w.shape[0], dtype=bool)
    for _ in range(_NEWTON_STEPS):
        p = expit(beta[:, :1] + beta[:, 1:] * x)
        residual, curvature = w * (y - p), w * p * (1.0 - p)
        g0, g1 = residual.sum(axis=1), residual @ x
        h00, h01, h11 = curvature.sum(axis=1), curvature @ x, curvature @ (x * x)
        det = h00 * h11 - h01 * h01
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.stack([(h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det], axis=1)
        step[done] = 0.0
        beta += np.where(np.isfinite(step), step, np.nan)
        size = np.abs(beta).max(axis=1)
        # A coefficient past _RUNAWAY is running off to infinity (separation): stop there, no finite maximum.
        done |= ~np.isfinite(step).all(axis=1) | (np.abs(step).max(axis=1) < 1e-10 * (1.0 + size)) | (size > _RUNAWAY)
        if done.all():
            break
    beta[~done | (np.abs(beta).max(axis=1) > _RUNAWAY)] = np.nan  # not converged, or running off
    return beta[0] if single else beta


def _length_adjustment(judgments: Judgments, *, confidence: float = 0.95, resamples: int = 1000,
                       seed: int = 0) -> tuple[Estimate | None, float, float, str]:
    """The candidate's win rate adjusted for the difference in output length, by a logistic regression.

    The candidate's score (win 1, tie 1/2, loss 0) is regressed on the standardised length
    difference of each judgment (candidate minus baseline, in words, over its standard deviation);
    the adjusted rate is the fitted probability at no difference, ``1 / (1 + exp(-intercept))``. Its
    interval is the paired percentile bootstrap over ids, refitting on every resample (resamples
    without a finite fit are left out and counted in the note). An adjustment, not a measurement: it
    says what the model predicts for outputs of equal length, assuming the log-odds are linear in the
    difference.

    Parameters
    ----------
    judgments:
        Two named models' judgments with ``left_length`` and ``right_length``.
    confidence, resamples, seed:
        As for :func:`compare_preferences`.

    Returns
    -------
    tuple
        The adjusted rate (``None`` when there is none), the slope (log-odds per standard deviation of the
        length difference), the standard deviation in words (NaN when undefined), and a note: why there is
        no adjusted rate, or what to know about it.

    Examples
    --------
    >>> rows = b"id,winner,baseline_length,candidate_length\\n1,new,5,9\\n2,old,6,4\\n3,tie,5,5\\n4,new,7,8\\n5,old,5,8\\n"
    >>> rate, slope, spread, note = _length_adjustment(read_judgments(("j.csv", rows), baseline="old", candidate="new"),
    ...                                                resamples=50)
    >>> round(rate.value, 3), round(slope, 3), round(spread, 3)
    (0.386, 0.916, 2.387)
    """
    if judgments.left_length is None or judgments.right_length is None:
        return None, math.nan, math.nan, _NO_LENGTHS
    difference = judgments.right_length - judgments.left_length
    spread = float(np.std(difference, ddof=1)) if difference.size > 1 else math.nan
    if not spread > 0:
        return None, math.nan, spread, ("the output-length difference does not vary between judgments, so there is no "
                                        "length-adjusted win rate")
    x, y = difference / spread, 1.0 - judgments.left_score
    intercept, slope = logistic_fit(x, y, np.ones(x.size))
    if not np.isfinite(intercept):
        return None, math.nan, spread, ("the logistic regression on the length difference has no finite maximum (wins "
                                        "and losses are separated by length, or all on one side), so there is no "
                                        "length-adjusted win rate")
    units = np.ones(judgments.n_units, dtype=np.int64)
    start = np.array([intercept, slope])
    fits = [logistic_fit(x, y, drawn[:, judgments.unit], start=start) for drawn in _resampled(units, resamples, seed, x.size)]
    replicates = _expit(np.concatenate(fits)[:, 0])
    failed = int(np.isnan(replicates).sum())
    low, high = percentile_interval(replicates, confidence=confidence)
    kept = replicates[~np.isnan(replicates)]
    note = (f"{LENGTH_ADJUSTED_LABEL}: the fitted rate at no length difference, assuming the log-odds of a win are linear "
            "in the difference")
    if failed:
        note += f"; {failed:,} of {resamples:,} resamples had no finite fit and are left out of its interval"
    estimate = Estimate(float(_expit(np.array([intercept]))[0]), float(low), float(high),
                        f"{LENGTH_ADJUSTED_LABEL}; paired bootstrap percentile over ids",
                        float(np.std(kept, ddof=1)) if kept.size > 1 else math.nan)
    return estimate, float(slope), spread, note


def _expit(values: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-values))``, NaN kept."""
    from scipy.special import expit

    return np.asarray(expit(values), dtype=float)


def _judges(judgments: Judgments) -> int:
    return 0 if judgments.judge is None else int(judgments.judge.max()) + 1


def rate_models(judgments: Judgments, *, confidence: float = 0.95, resamples: int = 1000, seed: int = 0) -> PreferenceRatings:
    """Bradley-Terry ratings on the Elo-like scale, with bootstrap intervals, and the pairwise win rates.

    The anchor is ``judgments.baseline`` when given, else the first model in name order; it is rated
    :data:`ANCHOR_RATING`. Ties count as half a win for each model (as Chatbot Arena's
    ``compute_mle_elo``).

    Parameters
    ----------
    judgments:
        From :func:`read_judgments`.
    confidence, resamples, seed:
        Level of the percentile-bootstrap intervals, resamples of ids, seed of the draws.

    Returns
    -------
    PreferenceRatings

    Raises
    ------
    EvaluationError
        When the ratings are not finite: some group of models won (or lost) every judgment against the rest.

    Examples
    --------
    >>> rows = b"id,model_a,model_b,winner\\n1,x,y,x\\n2,x,y,y\\n3,x,y,x\\n4,y,z,y\\n5,y,z,z\\n"
    >>> result = rate_models(read_judgments(("j.csv", rows)), resamples=50)
    >>> [(r.model, round(r.rating)) for r in result.ratings]
    [('x', 1000), ('y', 880), ('z', 880)]
    """
    _iv(judgments, confidence, resamples, seed)
    models, k = judgments.models, len(judgments.models)
    anchor = models.index(judgments.baseline) if judgments.baseline in models else 0
    pair, left_first = _pair_codes(judgments.left, judgments.right, k)
    first_score = np.where(left_first, judgments.left_score, 1.0 - judgments.left_score)
    p = k * (k - 1) // 2
    battles = np.bincount(pair, minlength=p).astype(float)
    scores = np.bincount(pair, first_score, minlength=p)
    theta = bradley_terry(battles, scores, k=k, anchor=anchor)
    if theta is None:
        raise EvaluationError(f"{judgments.source}: the ratings are infinite: {_unbeaten(battles, scores, models)}; "
                              "Bradley-Terry needs every group of models to have won and lost against the rest")
    n = pair.size
    totals, counts = _cells(judgments, pair, first_score, p)
    replicates, unidentified = [], 0
    for drawn in _resampled(counts, resamples, seed):
        for row in drawn @ totals:
            fitted = bradley_terry(row[:p], row[p:], k=k, anchor=anchor)
            unidentified += fitted is None
            replicates.append(np.full(k, np.nan) if fitted is None else fitted)
    to_rating = SCALE / math.log(10)
    low, high = percentile_interval(np.array(replicates) * to_rating + ANCHOR_RATING, confidence=confidence)
    ratings = theta * to_rating + ANCHOR_RATING
    order = sorted(range(k), key=lambda m: (-ratings[m], models[m]))
    first, second = _pairs(k)
    records = []
    for m in order:
        involved = (judgments.left == m) | (judgments.right == m)
        own = np.where(judgments.left == m, judgments.left_score, 1.0 - judgments.left_score)[involved]
        records.append(ModelRating(models[m], float(ratings[m]), float(low[m]), float(high[m]), int(involved.sum()),
                                   int((own == 1).sum()), int((own == 0).sum()), int((own == 0.5).sum())))
    rank = {m: position for position, m in enumerate(order)}
    won, met = np.zeros((k, k)), np.zeros((k, k))
    for a, b, total, score in zip(first, second, battles, scores, strict=True):
        met[rank[a], rank[b]] = met[rank[b], rank[a]] = total
        won[rank[a], rank[b]], won[rank[b], rank[a]] = score, total - score
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(met > 0, won / met, np.nan)
    notes = []
    if unidentified:
        notes.append(f"{unidentified:,} of {resamples:,} resamples left out of the intervals: in them some model won or "
                     "lost every judgment, so its rating was infinite")
    return PreferenceRatings(
        source=judgments.source, n_judgments=n, n_ids=judgments.n_units, anchor=models[anchor],
        anchor_rating=ANCHOR_RATING, scale=SCALE, ratings=tuple(records), models=tuple(models[m] for m in order),
        win_rates=tuple(tuple(float(v) for v in row) for row in rates),
        battles=tuple(tuple(int(v) for v in row) for row in met),
        method="Bradley-Terry maximum likelihood (ties count half a win each), Newton's method; percentile bootstrap "
               "over ids",
        confidence=confidence, resamples=resamples, seed=seed, unidentified_resamples=unidentified,
        judges=_judges(judgments), position_bias=position_bias(judgments), notes=tuple(notes))


def position_bias(judgments: Judgments) -> PositionBias | None:
    """How often the verdict on an id changes when the two models are shown in the other order.

    Returns ``None`` without a ``position`` column. See :class:`PositionBias`.

    Examples
    --------
    >>> rows = b"id,winner,position\\n1,new,new\\n1,old,old\\n2,new,new\\n2,new,old\\n"
    >>> bias = position_bias(read_judgments(("j.csv", rows), baseline="old", candidate="new"))
    >>> bias.pairs, bias.flips, bias.favours_first
    (2, 1, 1)
    """
    if judgments.first_shown is None:
        return None
    known = judgments.first_shown >= 0
    left, right = judgments.left[known], judgments.right[known]
    k = len(judgments.models)
    # Orient each judgment on the lower-coded model of its pair: which was shown first, and its score.
    low_first = np.where(left < right, judgments.first_shown[known], 1 - judgments.first_shown[known])
    low_score = np.where(left < right, judgments.left_score[known], 1.0 - judgments.left_score[known])
    verdict = (low_score * 2).astype(np.intp)  # 0 the other won, 1 tie, 2 the lower-coded won
    judge = np.zeros(left.size, dtype=np.intp) if judgments.judge is None else judgments.judge[known]
    group_key = np.stack([judgments.unit[known], judge, np.minimum(left, right) * k + np.maximum(left, right)], axis=1)
    groups = np.unique(group_key, axis=0, return_inverse=True)[1].ravel() if left.size else np.zeros(0, dtype=np.intp)
    g = int(groups.max()) + 1 if groups.size else 0
    table = np.bincount(groups * 6 + low_first * 3 + verdict, minlength=g * 6).reshape(g, 2, 3)
    shown_second, shown_first = table[:, 0, :], table[:, 1, :]
    pairs = int((shown_first.sum(axis=1) * shown_second.sum(axis=1)).sum())
    same = int((shown_first * shown_second).sum())
    # Shown first and won (verdict 2 with low first), matched with the other order where the other model, first, won.
    favours_first = int((shown_first[:, 2] * shown_second[:, 0]).sum())
    favours_second = int((shown_first[:, 0] * shown_second[:, 2]).sum())
    first_score = np.where(low_first == 1, low_score, 1.0 - low_score)
    return PositionBias(pairs=pairs, flips=pairs - same, flip_rate=(pairs - same) / pairs if pairs else math.nan,
                        favours_first=favours_first, favours_second=favours_second,
                        judgments_with_position=int(known.sum()),
                        first_shown_score=float(first_score.mean()) if first_score.size else math.nan)
