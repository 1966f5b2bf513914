"""The SQL of the engines' score counts: runs of scores, influences looked up, calibration cells.

:mod:`evaluation._cell_scores` says what the ranking metrics, ECE and the curves need; this module writes the SQL
that counts it where the data lies, for :func:`evaluation._sql_engine.load_classification_sql`:

1. per model and scored class, one ``GROUP BY`` of the grid score (six decimals) and whether the example is of the
   class (:func:`runs_query`; a score column's are counted with the file's rows), read into
   :class:`~evaluation._cell_scores.ScoreRuns`;
2. from those counts, each run's influences (:func:`evaluation._cell_scores.class_lookups`), handed to the engine
   as small tables that the cell query joins on the grid score (:func:`score_terms`): each example's summed
   DeLong influence and jackknife value, whose squares, and the pairs' squared differences, the cells sum;
3. each example's calibration cell (confidence bin, top label right) and confidence (a score column's cell is
   looked up with its influences, but in the runs that straddle a bin's edge), counted for every pair of models by
   the same cell query (:func:`calibration_cells`): grouping sets, or a second ``GROUP BY`` of the joined
   rows where the engine reads them once for both (:attr:`~evaluation._sql_engine.SQLBackend.fanout`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._calibration import calibration_bin as bin_of
from ._cell_scores import CalibrationCells, ScoreRuns, class_lookups
from ._ranking import GRID_DECIMALS

if TYPE_CHECKING:
    from ._sql_engine import SQLBackend

__all__ = ["ScoreTerms", "argmax_case", "calibration_bin", "calibration_cells", "calibration_sets", "grid_key",
           "runs_query", "score_runs", "score_terms"]

_GRID = 10.0**GRID_DECIMALS
_LOOKUP = ("grid", "psi_negative", "psi_positive", "jackknife_negative", "jackknife_positive")
_SCORED_LOOKUP = ("key", "psi", "jackknife", "calibration")


def grid_key(value: str) -> str:
    """A score's place on the grid, as an integer."""
    return f"CAST(round({value} * {_GRID!r}) AS BIGINT)"


def argmax_case(value: Mapping[str, str], classes: Sequence[str], then: Sequence[str]) -> str:
    """``then[i]`` where class ``i`` has the largest probability, the first of equal ones (numpy's argmax)."""
    return "CASE " + " ".join(
        "WHEN " + " AND ".join(f"{value[k]} {'>' if j < i else '>='} {value[other]}"
                               for j, other in enumerate(classes) if other != k) + f" THEN {then[i]}"
        for i, k in enumerate(classes[:-1])) + f" ELSE {then[-1]} END"


def runs_query(relation: str, value: str, is_class: str, counted: Sequence[str] = ()) -> str:
    """Examples per (grid score, of the class or not) of one class's scores (and of each ``counted`` condition, as
    ``counted<j>``: the probabilities' checks, in the same pass)."""
    extra = "".join(f", count(*) FILTER (WHERE {c}) AS counted{j}" for j, c in enumerate(counted))
    return (f"SELECT {grid_key(value)} AS grid, {is_class} AS positive, count(*) AS n{extra} FROM {relation} "
            f"GROUP BY 1, 2")


def score_runs(frame: pd.DataFrame) -> ScoreRuns:
    """:func:`runs_query`'s counts as runs in ascending order of the score."""
    grid = frame["grid"].to_numpy(dtype=np.int64)
    counts = frame["n"].to_numpy(dtype=np.int64)
    positive = frame["positive"].to_numpy(dtype=bool)
    keys, codes = np.unique(grid, return_inverse=True)
    sizes = np.bincount(codes, weights=counts, minlength=keys.shape[0]).astype(np.int64)
    positives = np.bincount(codes, weights=counts * positive, minlength=keys.shape[0]).astype(np.int64)
    return ScoreRuns(keys / _GRID, sizes, positives)


@dataclass(frozen=True)
class ScoreTerms:
    """One model's per-example terms in the cell query: the joins to its lookup tables, its summed influences
    (metric -> SQL), its calibration cell and its top-label confidence."""

    joins: str
    influence: dict[str, str]
    calibration_cell: str
    confidence: str
    lookups: tuple[str, ...]
    """The lookup tables' aliases in the joins."""


def score_terms(backend: SQLBackend, model: int, runs: Mapping[str, ScoreRuns], value: Mapping[str, str],
                is_class: Mapping[str, str], classes: Sequence[str], label_code: str, n_bins: int,
                scored: str | None = None) -> ScoreTerms:
    """The SQL of one model's terms (``value``: each class's probability, ``is_class``: whether the example is of
    it, ``label_code``: its true class's place in ``classes``).

    ``scored``: the class whose score is the model's one column, when the other class's probability is 1 minus it.
    Its lookup table is keyed by the grid score and the class (:func:`_scored_lookup`): it gives each example its
    influences and, but where a run's scores straddle an edge of a bin or 0.5, its calibration cell; only the
    examples of those runs are binned by :func:`calibration_bin`'s arithmetic."""
    joins, psi, jackknife, aliases = [], [], [], []
    looked_up = ""
    for c, (label, columns) in enumerate(class_lookups(runs).items()):
        grid = np.rint(runs[label].thresholds * _GRID).astype(np.int64)
        alias = f"l{model}_{c}"
        aliases.append(alias)
        if label == scored:
            relation = backend.table(_scored_lookup(grid, columns, classes, scored, n_bins))
            name = {column: f"{alias}.{backend.identifier(column)}" for column in _SCORED_LOOKUP}
            joins.append(f" LEFT JOIN {relation} AS {alias} ON {name['key']} = {grid_key(value[label])} * 2 + "
                         f"CASE WHEN {is_class[label]} THEN 1 ELSE 0 END")
            psi.append(name["psi"])
            jackknife.append(name["jackknife"])
            looked_up = name["calibration"]
            continue
        relation = backend.table(pd.DataFrame(dict(zip(_LOOKUP, (grid, *columns), strict=True))))
        name = {column: f"{alias}.{backend.identifier(column)}" for column in _LOOKUP}
        joins.append(f" LEFT JOIN {relation} AS {alias} ON {name['grid']} = {grid_key(value[label])}")
        psi.append(f"CASE WHEN {is_class[label]} THEN {name['psi_positive']} ELSE {name['psi_negative']} END")
        jackknife.append(f"CASE WHEN {is_class[label]} THEN {name['jackknife_positive']} "
                         f"ELSE {name['jackknife_negative']} END")
    confidence = f"greatest({', '.join(value[k] for k in classes)})"
    top = argmax_case(value, classes, [str(i) for i in range(len(classes))])
    cell = f"2 * ({calibration_bin(confidence, n_bins)}) + CASE WHEN ({top}) = ({label_code}) THEN 1 ELSE 0 END"
    if looked_up:
        cell = f"CASE WHEN {looked_up} >= 0 THEN {looked_up} ELSE {cell} END"
    return ScoreTerms("".join(joins), {"roc_auc": " + ".join(psi), "average_precision": " + ".join(jackknife)},
                      cell, confidence, tuple(aliases))


def _scored_lookup(grid: np.ndarray, columns: tuple[np.ndarray, ...], classes: Sequence[str], scored: str,
                   n_bins: int) -> pd.DataFrame:
    """A score column's lookup table: per grid score ``g`` and class, keyed ``2 * g + (of the scored class)``, the
    example's DeLong influence and jackknife value (``columns``, from :func:`class_lookups`) and its calibration
    cell, or -1 where :func:`_grid_calibration` cannot tell it."""
    doubled, top = _grid_calibration(grid, classes, scored, n_bins)
    negative, positive = next(i for i, k in enumerate(classes) if k != scored), classes.index(scored)
    psi_negative, psi_positive, jackknife_negative, jackknife_positive = columns
    return pd.DataFrame({
        "key": np.concatenate([2 * grid, 2 * grid + 1]),
        "psi": np.concatenate([psi_negative, psi_positive]),
        "jackknife": np.concatenate([jackknife_negative, jackknife_positive]),
        "calibration": np.concatenate([np.where(doubled >= 0, doubled + (top == code), -1)
                                       for code in (negative, positive)])})


def _grid_calibration(grid: np.ndarray, classes: Sequence[str], scored: str,
                      n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Per grid score of a model with one score column: twice the confidence's bin and the top label's place in
    ``classes``, as the local engine finds them for every score that rounds to it; -1 where those scores do not
    all have the same (a run straddling a bin's edge or 0.5).

    The scores that round to ``g`` lie between ``(g - 0.5) / 10**6`` and ``(g + 0.5) / 10**6`` (widened by far more
    than the product's rounding); the top label changes once, at 0.5, and the confidence is monotone on either
    side, so ends with the same bin and top label bound runs whose scores all have them.
    """
    ends = [np.clip((grid + shift) / _GRID, 0.0, 1.0) for shift in (-0.5 - 1e-6, 0.5 + 1e-6)]
    found = []
    for score in ends:
        probability = {k: score if k == scored else 1.0 - score for k in classes}
        first, second = (probability[k] for k in classes)
        found.append((bin_of(np.maximum(first, second), n_bins=n_bins), np.where(first >= second, 0, 1)))
    (low_bin, low_top), (high_bin, high_top) = found
    same = (low_bin == high_bin) & (low_top == high_top)
    return np.where(same, 2 * low_bin, -1), np.where(same, low_top, -1)


def calibration_bin(confidence: str, n_bins: int) -> str:
    """The bin of a confidence in [0, 1] as numpy's searchsorted among the edges ``i / n_bins`` places it
    (:func:`evaluation._calibration.calibration_bin`): ``ceil(c * n_bins) - 1``, moved one bin where the rounding of
    the product crossed an edge (the edges, as numpy's, are ``i / n_bins`` divided in doubles)."""
    if n_bins == 1:
        return "0"
    bins = f"CAST({n_bins} AS DOUBLE)"
    guess = f"least(greatest(CAST(ceil({confidence} * {bins}) AS INT) - 1, 0), {n_bins - 1})"
    return (f"{guess} - CASE WHEN {guess} > 0 AND {confidence} <= CAST({guess} AS DOUBLE) / {bins} THEN 1 ELSE 0 END"
            f" + CASE WHEN {confidence} > CAST({guess} + 1 AS DOUBLE) / {bins} THEN 1 ELSE 0 END")


def calibration_sets(scored: Sequence[int]) -> list[tuple[int, ...]]:
    """The models whose calibration cells are counted together: every pair of models with scores (a lone one alone)."""
    pairs: list[tuple[int, ...]] = list(itertools.combinations(scored, 2))
    return pairs or [(i,) for i in scored]


def calibration_cells(rows: pd.DataFrame, scored: Sequence[int], names: Sequence[str],
                      n_bins: int) -> dict[tuple[str, ...], CalibrationCells]:
    """Every scored model's and pair's :class:`~evaluation._cell_scores.CalibrationCells` from the cell query's
    grouping sets (``rows``: those of examples in every file; ``scored``: the models with scores)."""
    width = 2 * n_bins
    out: dict[tuple[str, ...], CalibrationCells] = {}
    for group in calibration_sets(scored):
        mine = np.ones(len(rows), dtype=bool)
        for i in scored:
            mine &= rows[f"ge{i}"].to_numpy() == (0 if i in group else 1)
        part = rows.loc[mine]
        keys = part[f"e{group[0]}"].to_numpy(dtype=np.int64)
        if len(group) == 2:
            keys = keys * width + part[f"e{group[1]}"].to_numpy(dtype=np.int64)
        distinct, codes = np.unique(keys, return_inverse=True)
        counts = np.bincount(codes, weights=part["n"].to_numpy(dtype=float), minlength=distinct.shape[0])
        confidence = tuple(np.bincount(codes, weights=part[f"confidence{i}"].to_numpy(dtype=float),
                                       minlength=distinct.shape[0]) for i in group)
        cells = CalibrationCells(distinct, counts.astype(np.int64), confidence)
        key = tuple(names[i] for i in group)
        out[key] = cells
        if len(group) == 2:
            out[key[::-1]] = cells.transposed(n_bins)
            for first, i in ((True, group[0]), (False, group[1])):
                out.setdefault((names[i],), cells.marginal(first, n_bins))
    return out
