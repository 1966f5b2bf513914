"""Log loss and Brier score from a cell table's sums: each model's interval and each candidate's paired test.

The local engine's interval of a mean loss is the t interval of the per-example losses, and a difference's test the
paired t-test of their differences (:func:`evaluation._classification.probability_estimates` and
:func:`~evaluation._classification.probability_differences`). Both need only the number of examples, the sum and
the sum of squares: of each model's losses, and of the differences, whose squares come from the models' squares
and their cross products. A cell table carries those per cell (:class:`LossSums`), so the engines give the local
engine's values, to the rounding of a sum taken in another order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._inference import FEWER_THAN_TWO, NO_SPREAD, make_difference, make_estimate
from ._results import Difference, Estimate, Settings
from ._sums import t_from_sums

__all__ = ["LOSSES", "LossSums", "loss_differences", "loss_estimates"]

LOSSES = ("log_loss", "brier_score")
"""The metrics a cell table's sums give."""


@dataclass(frozen=True)
class LossSums:
    """Per cell, each model's summed per-example losses, their squares, and each pair of models' summed products.

    Attributes
    ----------
    sums, squares:
        ``(metric, model)`` -> ``(m,)`` the cell's sum of the model's per-example losses, and of their squares.
    products:
        ``(metric, model_a, model_b)`` -> ``(m,)`` the sum of the two models' losses multiplied, example by example
        (both orders of a pair are keys).
    """

    sums: Mapping[tuple[str, str], np.ndarray]
    squares: Mapping[tuple[str, str], np.ndarray]
    products: Mapping[tuple[str, str, str], np.ndarray]

    def models(self, metric: str) -> set[str]:
        """The models whose losses the cells carry."""
        return {model for name, model in self.sums if name == metric}


def loss_estimates(sums: LossSums, model: str, n: int, settings: Settings) -> dict[str, Estimate]:
    """A model's log loss and Brier score with their t intervals, as the local engine's on the rows."""
    out = {}
    for metric in LOSSES:
        if (metric, model) not in sums.sums:
            continue
        mean, low, high, se, _ = t_from_sums(n, float(sums.sums[metric, model].sum()),
                                             float(sums.squares[metric, model].sum()), settings.confidence)
        out[metric] = make_estimate(mean, max(low, 0.0) if n > 1 else np.nan, high, "t interval", std_error=se)
    return out


def loss_differences(sums: LossSums, baseline: str, candidate: str, n: int, settings: Settings,
                     values: Mapping[str, Sequence[float]]) -> dict[str, Difference]:
    """Candidate minus baseline on each loss both carry: the paired t interval and test of the per-example
    differences (``values``: each metric's baseline and candidate value)."""
    out = {}
    for metric in LOSSES:
        if (metric, baseline) not in sums.sums or (metric, candidate) not in sums.sums:
            continue
        total = float(sums.sums[metric, candidate].sum() - sums.sums[metric, baseline].sum())
        square = float(sums.squares[metric, candidate].sum() + sums.squares[metric, baseline].sum()
                       - 2.0 * sums.products[metric, baseline, candidate].sum())
        mean, low, high, se, p = t_from_sums(n, total, square, settings.confidence)
        if n < 2:
            out[metric] = make_difference(metric, mean, np.nan, np.nan, np.nan, "paired t", "t interval",
                                          *values[metric], std_error=np.nan, reason=FEWER_THAN_TWO)
        elif se == 0:  # every example moved by the same amount (to the sums' rounding): no spread to test with
            p, low, high = (1.0, mean, mean) if mean == 0 else (np.nan, np.nan, np.nan)
            out[metric] = make_difference(metric, mean, low, high, p, "paired t", "t interval", *values[metric],
                                          std_error=se, reason="" if mean == 0 else NO_SPREAD)
        else:
            out[metric] = make_difference(metric, mean, low, high, p, "paired t", "t interval", *values[metric],
                                          std_error=se)
    return out
