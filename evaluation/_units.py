"""The unit table: what a backend hands the inference layer.

Every statistic is a function of per-unit sufficient statistics summed with resampling weights
(:mod:`evaluation._statistics`), so the inference layer needs only the table of units: each distinct
row of per-example statistics once, with how many examples share it (a "cell"), and the group codes
(slice, class, time window) each unit belongs to. Where the data lives decides who builds the table:

- the in-memory NumPy backend (:func:`numpy_units`) compresses the rows itself, finding cells
  automatically when the statistics take few distinct values (counts of labels, 0/1 correctness)
  and keeping one unit per row otherwise (continuous errors);
- an out-of-core or distributed backend (DuckDB, Spark) returns the same table from one
  ``GROUP BY`` of the per-example statistics and group keys, so no row leaves the engine that holds
  the data; statistics that need rows (a median) ask it for the rows of one column.

Resampling draws one weight per unit (:func:`~evaluation._resampling.draw_counts`: multinomial of the
units' counts below 50,000 examples, independent Poissons from there), from the seed alone, so a
table built by any backend gives the same numbers for the same units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ._resampling import bootstrap_weights

__all__ = ["Units", "bootstrap_units", "numpy_units"]

_MAX_CELLS_SHARE = 0.5  # compress when the distinct rows are at most this share of the examples


@dataclass(frozen=True)
class Units:
    """Distinct per-unit statistics, their multiplicities and their groups.

    Attributes
    ----------
    design:
        ``(m, q)`` per-unit sufficient statistics (each row one cell or one example).
    counts:
        ``(m,)`` how many examples each unit stands for.
    groups:
        Group name -> ``(m,)`` integer code of each unit (a slice column, a class, a window).
    """

    design: np.ndarray
    counts: np.ndarray
    groups: Mapping[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of examples the units stand for."""
        return int(self.counts.sum())

    def totals(self, weights: np.ndarray | None = None) -> np.ndarray:
        """``weights @ design``: the summed statistics (of the data when ``weights`` is ``None``)."""
        return (self.counts if weights is None else weights) @ self.design


def numpy_units(rows: np.ndarray, groups: Mapping[str, np.ndarray] | None = None) -> Units:
    """The in-memory backend: the unit table of ``(n, q)`` per-example statistics and ``(n,)`` group codes.

    Rows that repeat (with their group codes) become one cell when the distinct rows are at most half
    the examples; otherwise every example is a unit of its own.

    Examples
    --------
    >>> units = numpy_units(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]]))
    >>> units.design.tolist(), units.counts.tolist(), units.totals().tolist()
    ([[0.0, 1.0], [1.0, 0.0]], [1, 3], [3.0, 1.0])
    """
    rows = np.asarray(rows, dtype=float)
    groups = dict(groups or {})
    keyed = np.column_stack([rows, *(np.asarray(code, dtype=float) for code in groups.values())]) if groups else rows
    distinct, first, counts = np.unique(keyed, axis=0, return_index=True, return_counts=True)
    if distinct.shape[0] > _MAX_CELLS_SHARE * rows.shape[0]:
        return Units(rows, np.ones(rows.shape[0], dtype=np.int64), {name: np.asarray(code) for name, code in groups.items()})
    return Units(rows[first], counts.astype(np.int64), {name: np.asarray(code)[first] for name, code in groups.items()})


def bootstrap_units(
    units: Units, statistic: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]], *, resamples: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Resampled values of ``statistic(totals, weights)`` over the units (see :func:`bootstrap_weights`).

    ``totals`` is ``(b, q)`` (``weights @ design``) for statistics of sums; ``weights`` is the ``(b, m)``
    resampled counts, for the others.
    """
    return bootstrap_weights(units.counts, lambda weights: statistic(weights @ units.design, weights),
                             resamples=resamples, rng=rng)
