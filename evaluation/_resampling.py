"""Bootstrap and jackknife over cell counts instead of rows.

A metric that depends on the data only through the counts of a few kinds of example ("cells", such
as (true label, baseline prediction, candidate prediction)) can be bootstrapped exactly by drawing
the cell counts from a multinomial distribution: resampling ``n`` rows with replacement and counting
them per cell gives the same distribution. Each statistic here is linear in the cell counts up to a
final non-linear step: ``aggregates = counts @ design`` (per-class true positives, predicted counts,
bin sums, ...) and then ``metric = f(aggregates)``. One resample therefore costs O(cells), not
O(rows).

The jackknife (leave one example out) has the same closed form: removing an example of cell ``j``
subtracts row ``j`` of the design from the aggregates, so there are only as many distinct
leave-one-out values as cells, each weighted by its count.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import ndtr, ndtri

from ._parallel import parallel_map

__all__ = [
    "POISSON_FROM",
    "CellTable",
    "bca_interval",
    "bootstrap_p_value",
    "bootstrap_statistics",
    "bootstrap_weights",
    "cell_table",
    "count_keys",
    "draw_counts",
    "draw_exchanges",
    "jackknife_statistics",
    "percentile_interval",
    "permutation_p_value",
    "swap_statistics",
    "swap_weights",
]

Statistic = Callable[[np.ndarray], dict[str, np.ndarray]]

# Upper bound on the elements of one chunk of resampled counts (keeps memory near 160 MB per core).
_BATCH_ELEMENTS = 20_000_000
# Resamples per chunk when the cells are few.
_CHUNK_RESAMPLES = 1_000
POISSON_FROM = 50_000
"""From this many examples up, cell counts are drawn as independent Poissons (see :func:`draw_counts`)."""
NORMAL_EXCHANGES_FROM = 100
"""From this many examples in a unit up, its exchanged count is drawn as a rounded normal (see :func:`draw_exchanges`)."""


@dataclass(frozen=True)
class CellTable:
    """Distinct cells, their counts and the design mapping cell counts to aggregates.

    Attributes
    ----------
    counts:
        ``(m,)`` number of examples in each non-empty cell.
    design:
        ``(m, q)`` sparse matrix; ``counts @ design`` gives the ``q`` aggregates of the data.
    """

    counts: np.ndarray
    design: sparse.csr_matrix

    @property
    def n(self) -> int:
        """Number of examples."""
        return int(self.counts.sum())

    def aggregates(self, weights: np.ndarray) -> np.ndarray:
        """``weights @ design`` for a ``(b, m)`` (or ``(m,)``) array of cell weights."""
        return np.asarray((self.design.T @ np.atleast_2d(weights).T).T)


def cell_table(keys: np.ndarray, design_of: Callable[[np.ndarray], sparse.csr_matrix], *, key_space: int,
               weights: np.ndarray | None = None) -> CellTable:
    """Group examples by an integer cell key and build the design of the occupied cells.

    Parameters
    ----------
    keys:
        ``(n,)`` non-negative integer key of each example's cell.
    design_of:
        Function from the ``(m,)`` occupied keys to their ``(m, q)`` design rows.
    key_space:
        Exclusive upper bound of the keys; small key spaces are counted with ``bincount``.
    weights:
        How many examples each key stands for (rows of a cell table; ``None``: one each).
    """
    occupied, counts = count_keys(keys, key_space=key_space, weights=weights)
    return CellTable(counts=counts, design=sparse.csr_matrix(design_of(occupied)))


def count_keys(keys: np.ndarray, *, key_space: int, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys in increasing order and how often each occurs (``bincount`` for small key spaces).

    ``weights``: how many examples each key stands for (``None``: one each); keys of no example are left out.

    Examples
    --------
    >>> [a.tolist() for a in count_keys(np.array([5, 1, 5]), key_space=8)]
    [[1, 5], [1, 2]]
    >>> [a.tolist() for a in count_keys(np.array([5, 1, 5]), key_space=8, weights=np.array([2, 0, 3]))]
    [[5], [5]]
    """
    if weights is not None:
        occupied, inverse = np.unique(keys, return_inverse=True)
        counts = np.bincount(inverse, weights=weights, minlength=occupied.shape[0]).round().astype(np.int64)
        return occupied[counts > 0], counts[counts > 0]
    if key_space <= 8 * keys.shape[0] + 1_000_000:
        all_counts = np.bincount(keys, minlength=key_space)
        occupied = np.flatnonzero(all_counts)
        return occupied, all_counts[occupied].astype(np.int64)
    occupied, counts = np.unique(keys, return_counts=True)
    return occupied, counts.astype(np.int64)


def _chunk_sizes(resamples: int, cells: int) -> list[int]:
    """Resamples per chunk: fixed sizes, so the draws depend on the seed and not on the machine's cores."""
    size = max(1, min(_CHUNK_RESAMPLES, _BATCH_ELEMENTS // max(1, cells)))
    return [min(size, resamples - start) for start in range(0, resamples, size)]


def draw_counts(counts: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``(size, m)`` resampled cell counts: multinomial of ``n`` below :data:`POISSON_FROM` examples, else Poisson.

    The multinomial is exactly the row bootstrap. From :data:`POISSON_FROM` examples up, each cell's
    count is drawn as an independent Poisson with the observed count as its mean: the Poisson
    bootstrap (Hanley & MacGibbon 2006; Chamandy et al. 2012), whose resamples hold ``n +- sqrt(n)``
    examples and whose standard errors differ from the multinomial's by a factor ``1 + O(1/n)``, far
    inside Monte Carlo error, for half the cost of the multinomial's chain of binomials.

    Examples
    --------
    >>> draw_counts(np.array([3, 1]), 2, np.random.default_rng(0)).sum(axis=1).tolist()
    [4, 4]
    """
    n = int(counts.sum())
    if n >= POISSON_FROM:
        return rng.poisson(counts, size=(size, counts.shape[0]))
    return rng.multinomial(n, counts / n, size=size)


def bootstrap_statistics(
    table: CellTable, statistic: Statistic, *, resamples: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Bootstrap distribution of every statistic, drawing cell counts (see :func:`draw_counts`).

    The resamples are drawn in chunks of fixed size, each from its own generator spawned from
    ``rng``, and the chunks run on every core: numpy releases the GIL while it draws.

    Parameters
    ----------
    table:
        Cells, counts and design.
    statistic:
        Maps ``(b, q)`` aggregates to a dict of arrays with leading dimension ``b``.
    resamples:
        Number of bootstrap resamples.
    rng:
        Source of randomness; the same generator state gives the same numbers.

    Returns
    -------
    dict
        Name -> array with leading dimension ``resamples``.
    """
    return bootstrap_weights(table.counts, lambda weights: statistic(table.aggregates(weights)),
                             resamples=resamples, rng=rng)


def bootstrap_weights(
    counts: np.ndarray, statistic: Callable[[np.ndarray], dict[str, np.ndarray]], *, resamples: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Bootstrap distribution of a statistic of the units' resampled weights; the one resampling path.

    ``counts`` holds each unit's multiplicity (a cell's count, or 1 for a row); ``statistic`` maps
    ``(b, m)`` resampled counts (see :func:`draw_counts`) to a dict of arrays with leading dimension
    ``b``. Statistics of sums use ``weights @ design`` (:func:`bootstrap_statistics`); others, such as
    a median, read the weights directly. Chunks of fixed size, each with a generator spawned from
    ``rng``, run on every core, so the numbers depend on the seed alone.

    Examples
    --------
    >>> out = bootstrap_weights(np.ones(4, dtype=np.int64), lambda w: {"n": w.sum(axis=1)}, resamples=3,
    ...                         rng=np.random.default_rng(0))
    >>> out["n"].tolist()
    [4, 4, 4]
    """
    return _in_chunks(counts, draw_counts, statistic, resamples=resamples, rng=rng)


def _in_chunks(
    counts: np.ndarray, draw: Callable[[np.ndarray, int, np.random.Generator], np.ndarray],
    statistic: Callable[[np.ndarray], dict[str, np.ndarray]], *, resamples: int, rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """``statistic`` of ``resamples`` draws of the units' weights, in fixed chunks on every core.

    Each chunk has its own generator spawned from ``rng`` and a size that depends only on the number
    of units, so the numbers depend on the seed alone, not on the machine's cores.
    """
    sizes = _chunk_sizes(resamples, counts.shape[0])
    chunks = list(zip(rng.spawn(len(sizes)), sizes, strict=True))

    def one_chunk(chunk: tuple[np.random.Generator, int]) -> dict[str, np.ndarray]:
        return statistic(draw(counts, chunk[1], chunk[0]))

    parts = parallel_map(one_chunk, chunks)
    return {name: np.concatenate([part[name] for part in parts], axis=0) for name in parts[0]}


def jackknife_statistics(table: CellTable, statistic: Statistic) -> dict[str, np.ndarray]:
    """Leave-one-out values of every statistic, one per cell (weight: the cell's count).

    Returns
    -------
    dict
        Name -> array with leading dimension ``m`` (the cells); pair with ``table.counts``.
    """
    full = table.aggregates(table.counts.astype(float))
    parts: dict[str, list[np.ndarray]] = {}
    m = table.counts.shape[0]
    batch = max(1, _BATCH_ELEMENTS // max(1, table.design.shape[1]))
    for start in range(0, m, batch):
        rows = table.design[start:start + batch].toarray()
        for name, values in statistic(full - rows).items():
            parts.setdefault(name, []).append(values)
    return {name: np.concatenate(values, axis=0) for name, values in parts.items()}


def percentile_interval(replicates: np.ndarray, *, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval along axis 0, ignoring resamples where the statistic is undefined (NaN)."""
    tail = (1.0 - confidence) / 2.0
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a statistic undefined in every resample: NaN bounds
        low, high = np.nanquantile(replicates, [tail, 1.0 - tail], axis=0) if replicates.size else (np.nan, np.nan)
    return np.asarray(low), np.asarray(high)


def bca_interval(
    replicates: np.ndarray,
    estimate: np.ndarray,
    jackknife: np.ndarray,
    weights: np.ndarray,
    *,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected and accelerated interval (Efron 1987), as ``scipy.stats.bootstrap(method="BCa")``.

    Parameters
    ----------
    replicates:
        ``(B, ...)`` bootstrap values.
    estimate:
        ``(...)`` value on the original data.
    jackknife:
        ``(m, ...)`` distinct leave-one-out values.
    weights:
        ``(m,)`` how many examples give each leave-one-out value.
    """
    valid = np.isfinite(replicates)
    n_valid = valid.sum(axis=0)
    below = np.where(valid, replicates < estimate, False).sum(axis=0)
    at_or_below = np.where(valid, replicates <= estimate, False).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z0 = ndtri((below + at_or_below) / (2.0 * n_valid))
        w = weights.reshape((-1,) + (1,) * (jackknife.ndim - 1)).astype(float)
        mean = (w * jackknife).sum(axis=0) / w.sum()
        deviation = mean - jackknife
        acceleration = (w * deviation**3).sum(axis=0) / (6.0 * ((w * deviation**2).sum(axis=0)) ** 1.5)
        acceleration = np.where(np.isfinite(acceleration), acceleration, 0.0)
        tail = (1.0 - confidence) / 2.0
        bounds = []
        for z_alpha in (ndtri(tail), ndtri(1.0 - tail)):
            shifted = z0 + z_alpha
            bounds.append(ndtr(z0 + shifted / (1.0 - acceleration * shifted)))
    low = _nan_quantile_per_column(replicates, bounds[0])
    high = _nan_quantile_per_column(replicates, bounds[1])
    return low, high


def _nan_quantile_per_column(replicates: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantile of each column of ``replicates`` at its own level (NaN level or data gives NaN)."""
    flat = replicates.reshape(replicates.shape[0], -1)
    flat_levels = np.broadcast_to(levels, replicates.shape[1:]).reshape(-1)
    out = np.full(flat.shape[1], np.nan)
    for column in range(flat.shape[1]):
        values = flat[:, column]
        values = values[np.isfinite(values)]
        level = flat_levels[column]
        if values.size and np.isfinite(level):
            out[column] = np.quantile(values, level)
    return out.reshape(replicates.shape[1:])


def bootstrap_p_value(estimate: np.ndarray, replicates: np.ndarray) -> np.ndarray:
    """Two-sided p-value of "the difference is zero": the estimate over its bootstrap standard error.

    ``p = 2 Phi(-|d| / sd(d*))`` elementwise, with ``sd(d*)`` the standard deviation of the paired
    bootstrap replicates along axis 0 (NaN replicates, where the metric is undefined, left out). A
    continuous p-value keeps its resolution however many classes or slices are corrected for,
    which a p-value counted from B resamples (at best ``1/B``) does not. Identical models (every
    ``d* = 0`` and ``d = 0``) get 1; a nonzero difference with no spread (one example, where every
    resample repeats it) is undefined: NaN, not 0, since nothing measured its uncertainty.

    Examples
    --------
    >>> float(bootstrap_p_value(np.array(0.0), np.zeros(100)))
    1.0
    >>> round(float(bootstrap_p_value(np.array(0.196), np.random.default_rng(0).normal(0.196, 0.1, 20000))), 2)
    0.05
    """
    estimate = np.asarray(estimate, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every replicate undefined: the p-value is NaN
        spread = np.nanstd(replicates, axis=0) if replicates.size else np.full(estimate.shape, np.nan)
        z = np.abs(estimate) / spread
    p = 2.0 * ndtr(-z)
    p = np.where(spread > 0, p, np.where(estimate == 0, 1.0, np.nan))
    return np.where(np.isfinite(estimate) & np.isfinite(spread), p, np.nan)


def swap_statistics(
    table: CellTable, statistic: Statistic, swap: np.ndarray, *, resamples: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Distribution of a paired statistic when each example's two model outputs are exchanged at random.

    The paired permutation test (Fisher's randomisation test of paired data; "approximate
    randomisation" in Riezler & Maxwell 2005 and sacrebleu's ``--paired-ar``): under the null
    hypothesis that the two models are exchangeable on every example, swapping which model gave
    which output leaves the data's distribution unchanged. Exchanging the outputs of an example of
    a cell moves its contribution from the aggregates' columns to the ``swap`` permutation of them
    (the baseline's columns become the candidate's and back), so one resample draws, in each cell,
    how many of its examples are exchanged, ``Binomial(count, 1/2)``, and costs O(cells) like a
    bootstrap resample.

    Parameters
    ----------
    table:
        Cells of a pair of models.
    statistic:
        Maps ``(b, q)`` aggregates to a dict of arrays with leading dimension ``b``.
    swap:
        ``(q,)`` column permutation of the aggregates that exchanges the two models.
    resamples, rng:
        Number of random exchanges and their source (the same generator state, the same numbers).

    Examples
    --------
    >>> from scipy import sparse
    >>> table = CellTable(np.array([3]), sparse.csr_matrix([[1.0, 0.0]]))  # one cell: 3 examples, a=1, b=0
    >>> out = swap_statistics(table, lambda a: {"d": a[:, 1] - a[:, 0]}, np.array([1, 0]), resamples=4,
    ...                       rng=np.random.default_rng(0))
    >>> set(out["d"].tolist()) <= {-3.0, -1.0, 1.0, 3.0}  # 0 to 3 of the 3 examples exchanged
    True
    """
    # Exchanging an example of cell j adds row j of ``change`` to the aggregates; cells where both
    # models gave the same output do not change, and are not drawn.
    change = sparse.csr_matrix(table.design[:, swap] - table.design)
    moved = np.flatnonzero(change.getnnz(axis=1))
    change = change[moved]
    observed = table.aggregates(table.counts.astype(float))
    return swap_weights(table.counts[moved], lambda exchanged: statistic(observed + np.asarray((change.T @ exchanged.T).T)),
                        resamples=resamples, rng=rng)


def draw_exchanges(counts: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``(size, m)`` exchanged counts, ``Binomial(count, 1/2)`` per unit: exact below :data:`NORMAL_EXCHANGES_FROM`.

    From :data:`NORMAL_EXCHANGES_FROM` examples in a unit up, the count is drawn as a normal of mean
    ``c/2`` and variance ``c/4``, rounded and kept in ``[0, c]``: for a probability of 1/2 the binomial
    is symmetric, so the normal approximation errs by ``O(1/c)`` (no ``1/sqrt(c)`` skewness term), and
    the statistic sums many units. It halves the cost of the draws on large data; small data, where
    the test must be exact, is drawn exactly.

    Examples
    --------
    >>> draws = draw_exchanges(np.array([3, 10_000]), 2_000, np.random.default_rng(0))
    >>> bool(draws[:, 0].max() <= 3), round(float(draws[:, 1].std() / np.sqrt(10_000 / 4)), 1)
    (True, 1.0)
    """
    large = counts >= NORMAL_EXCHANGES_FROM
    out = np.empty((size, counts.shape[0]))
    out[:, ~large] = rng.binomial(counts[~large], 0.5, size=(size, int((~large).sum())))
    if large.any():
        big = counts[large].astype(np.float32)  # exact for counts below 2^24
        normal = rng.standard_normal((size, big.shape[0]), dtype=np.float32)
        normal *= np.sqrt(big) / 2
        normal += big / 2
        np.rint(normal, out=normal)
        out[:, large] = np.clip(normal, 0, big)
    return out


def swap_weights(
    counts: np.ndarray, statistic: Callable[[np.ndarray], dict[str, np.ndarray]], *, resamples: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Random exchanges of the two models' outputs: per unit, how many of its ``counts`` examples swap.

    ``statistic`` maps ``(b, m)`` exchanged counts, each ``Binomial(count, 1/2)`` (:func:`draw_exchanges`), to a dict of arrays
    with leading dimension ``b``; the one path of the paired permutation test, as
    :func:`bootstrap_weights` is the bootstrap's (fixed chunks on every core, numbers from the seed alone).

    Examples
    --------
    >>> out = swap_weights(np.array([2, 0]), lambda e: {"max": e.max(axis=1)}, resamples=50,
    ...                    rng=np.random.default_rng(0))
    >>> set(out["max"].tolist()) <= {0, 1, 2}
    True
    """
    return _in_chunks(counts, draw_exchanges, statistic, resamples=resamples, rng=rng)


def permutation_p_value(estimate: np.ndarray, replicates: np.ndarray) -> np.ndarray:
    """Two-sided p-value of a paired permutation test: how often a random exchange is at least as extreme.

    ``p = (1 + #{|d*| >= |d|}) / (1 + R)`` elementwise over the ``R`` defined replicates (Phipson &
    Smyth 2010): a p-value that holds its level exactly, whatever the number of examples, because
    the observed data is one of the equally likely exchanges. Its smallest value is ``1 / (1 + R)``;
    when no replicate reaches ``|d|`` the tail beyond is read from a normal distribution with the
    replicates' spread about zero (the permutation distribution's centre), capped at that smallest
    value, so that p-values corrected over many slices or classes keep their order. NaN when the
    estimate or every replicate is undefined.

    Examples
    --------
    >>> float(permutation_p_value(np.array(1.0), np.array([1.0, -1.0, 1.0, -1.0])))  # one example: no evidence
    1.0
    >>> float(permutation_p_value(np.array(0.0), np.array([0.5, -0.5])))
    1.0
    >>> round(float(permutation_p_value(np.array(2.0), np.array([0.5, -0.5, 1.0, -1.0]))), 3)  # normal tail
    0.011
    """
    estimate = np.asarray(estimate, dtype=float)
    replicates = np.asarray(replicates, dtype=float)
    defined = np.isfinite(replicates)
    size = defined.sum(axis=0)
    magnitude = np.abs(estimate)
    # Exchanges that reproduce the observed data give |d*| = |d| up to rounding: they count as reaching it.
    reach = magnitude * (1.0 - 1e-9) - 1e-12
    with np.errstate(invalid="ignore"):
        extreme = (defined & (np.abs(np.where(defined, replicates, 0.0)) >= reach)).sum(axis=0)
        counted = (1.0 + extreme) / (1.0 + size)
        spread = np.sqrt((np.where(defined, replicates, 0.0) ** 2).sum(axis=0) / np.maximum(size, 1))
        tail = np.where(spread > 0, 2.0 * ndtr(-magnitude / np.where(spread > 0, spread, 1.0)), 0.0)
    p = np.where(extreme == 0, np.minimum(counted, tail), counted)
    return np.where(np.isfinite(estimate) & (size > 0), p, np.nan)
