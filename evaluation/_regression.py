"""Regression: models that predict a number, compared on the same examples.

Loading reads the same files as classification (``id``, ``label`` holding the true value,
``prediction``, metadata); :func:`load_regression` checks that both are numbers on every row and
pairs the files by id. :func:`compare_regression` computes every statistic registered for the
``"regression"`` task (scikit-learn's metrics, see :data:`REGRESSION_METRICS`) with its interval, and
each candidate's paired differences with their tests: the paired t-test on per-example absolute
errors (mean absolute error) and squared errors (mean squared error), which is
``scipy.stats.ttest_rel``; the paired permutation test for the others (their intervals: the paired
bootstrap). Slices by metadata and by quartile of the true value, and the examples whose error grew,
complete a comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.special import ndtri

from ._data import ColumnMapping, LoadOptions
from ._errors import EvaluationError
from ._io import Source, model_name
from ._limits import Limits
from ._loading import FileSummary
from ._pairing import pair_checked, paired_metadata, without_ids
from ._prediction_file import PredictionFile, _metadata, guarded, read_file, unlabelled_file
from ._results import Difference, Estimate, Power, Settings, SliceResult
from ._settings import settings_iv
from ._slices import slice_columns
from ._statistics import PAIRED_PERMUTATION, PAIRED_T, Statistic, register
from ._sums import SummedStatistics, baseline_first
from ._values import number_values, read_ids, rows_text, training_rows

if TYPE_CHECKING:
    from ._regression_sums import SummedRegressionData

__all__ = [
    "REGRESSION_METRICS",
    "TRUE_VALUE_SLICE",
    "ErrorChanges",
    "RegressionComparison",
    "RegressionData",
    "RegressionModel",
    "RegressionModelReport",
    "RegressionReport",
    "compare_regression",
    "inspect_regression_file",
    "load_regression",
    "regression_flip_table",
]

TASK = "regression"
DEFAULT_PRIMARY = "mean_absolute_error"
"""The regression task's primary metric unless another is chosen."""
TRUE_VALUE_SLICE = "true value (quartile)"
"""The slice column that cuts examples by quartile of the true value."""
_COLUMNS = ("abs_error", "squared_error", "y", "y_squared", "one")
SUMS = SummedStatistics(TASK, _COLUMNS, stream=30)
"""The regression statistics' estimates, differences and slices, from each example's row of ``_COLUMNS``."""
"""Per-example sufficient statistics of one model: |e|, e^2, y, y^2 and 1 (e = y - prediction)."""


def _ratio(totals: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return totals[..., 0] / totals[..., 1]


def _r2(totals: np.ndarray) -> np.ndarray:
    """1 - SSE / SST as scikit-learn's ``r2_score`` (1 for a perfect fit of constant targets, else 0 there)."""
    sse, y, y2, n = (totals[..., i] for i in range(4))
    with np.errstate(invalid="ignore", divide="ignore"):
        sst = y2 - y * y / n
        tiny = sst <= 1e-12 * np.maximum(y2, 1.0)
        return np.where(tiny, np.where(sse <= 1e-12 * np.maximum(y2, 1.0), 1.0, 0.0), 1.0 - sse / np.where(tiny, 1.0, sst))


def _weighted_median(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Median of ``values`` repeated ``weights[r]`` times, for each row ``r`` (as ``np.median`` of that sample)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    cumulative = np.cumsum(weights[:, order], axis=1)
    total = cumulative[:, -1]
    lower = (total + 1) // 2  # the middle one (odd totals) or the lower of the middle two
    upper = total // 2 + 1
    low = ordered[np.minimum((cumulative < lower[:, None]).sum(axis=1), values.shape[0] - 1)]
    high = ordered[np.minimum((cumulative < upper[:, None]).sum(axis=1), values.shape[0] - 1)]
    return np.where(total > 0, (low + high) / 2.0, np.nan)


REGRESSION_METRICS: tuple[Statistic, ...] = (
    register(Statistic("mean_absolute_error", "Mean absolute error", TASK, False, ("abs_error", "one"), _ratio, PAIRED_T,
                       "Mean of |true - predicted|, in the target's units.")),
    register(Statistic("mean_squared_error", "Mean squared error", TASK, False, ("squared_error", "one"), _ratio,
                       PAIRED_T, "Mean of (true - predicted)^2; large errors weigh more.")),
    register(Statistic("root_mean_squared_error", "Root mean squared error", TASK, False, ("squared_error", "one"),
                       lambda totals: np.sqrt(_ratio(totals)), PAIRED_PERMUTATION,
                       "Square root of the mean squared error, in the target's units.")),
    register(Statistic("r2", "R²", TASK, True, ("squared_error", "y", "y_squared", "one"), _r2, PAIRED_PERMUTATION,
                       "Share of the true values' variance the predictions explain (1 is perfect, 0 is the mean).")),
    register(Statistic("median_absolute_error", "Median absolute error", TASK, False, ("abs_error",),
                       None, PAIRED_PERMUTATION,
                       "Median of |true - predicted|; not moved by a few large errors.", from_weights=_weighted_median)),
)
"""The regression task's statistics, under scikit-learn's names, in report order."""


# --- loaded data ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegressionModel:
    """One model's predictions, aligned with :attr:`RegressionData.y_true`."""

    name: str
    source: str
    y_pred: np.ndarray
    columns: ColumnMapping


@dataclass(frozen=True)
class RegressionData:
    """Paired predictions of several regression models on the same examples.

    Attributes
    ----------
    ids:
        ``(n,)`` example ids (text).
    y_true:
        ``(n,)`` true values.
    models:
        One :class:`RegressionModel` per file, in file order.
    metadata:
        Columns to slice by, one row per example.
    warnings:
        What the user must know to read the numbers right.
    """

    ids: np.ndarray
    y_true: np.ndarray
    models: tuple[RegressionModel, ...]
    metadata: pd.DataFrame
    warnings: tuple[str, ...] = ()
    task: str = TASK

    @property
    def n_examples(self) -> int:
        """Number of paired examples."""
        return int(self.y_true.shape[0])

    @property
    def model_names(self) -> tuple[str, ...]:
        """The models' names in file order."""
        return tuple(model.name for model in self.models)

    def model(self, name: str) -> RegressionModel:
        """The model called ``name``."""
        return next(model for model in self.models if model.name == name)


def _numbers(table: pa.Table, column: str, numbers: np.ndarray, filename: str, what: str) -> np.ndarray:
    """A column of numbers, refusing missing cells and text that is not a number with the rows named."""
    values, bad = number_values(table.column(column))
    if bad.any():
        sample = [str(v) for v in table.column(column).take(pa.array(np.flatnonzero(bad)[:3])).to_pylist()]
        raise EvaluationError(f"{filename}: column {column!r} holds text that is not a number in {rows_text(numbers[bad])} "
                              f"(for example {', '.join(repr(s[:40]) for s in sample)}); expected {what} as a number on "
                              "every row", file=filename, column=column)
    missing = ~np.isfinite(values)
    if missing.any():
        raise EvaluationError(f"{filename}: column {column!r} has missing or infinite values in {rows_text(numbers[missing])}; "
                              f"expected {what} as a finite number on every row", file=filename, column=column)
    return values


def _read_one(source: Source, name: str | None,
              options: LoadOptions) -> tuple[PredictionFile, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Read one file: the shape pairing needs, its true values, its predictions and its column names."""
    filename, table, columns = guarded(source, read_file, source, options.mapping, options.limits)
    if columns.label is None:
        raise EvaluationError(f"{filename}: no column holds the true values; expected one named label, y_true, target, "
                              "true or actual (or name it with --label-column)", file=filename)
    if columns.prediction is None:
        raise EvaluationError(f"{filename}: no column holds the predictions; expected one named prediction, pred, y_pred "
                              "or predicted (or name it with --prediction-column)", file=filename)
    table, numbers, warnings = training_rows(table, columns, filename, drop=options.drop_train_rows)
    y_true = _numbers(table, columns.label, numbers, filename, "the true value")
    y_pred = _numbers(table, columns.prediction, numbers, filename, "the predicted value")
    ids = read_ids(table, columns.id, numbers, filename) if columns.id else None
    metadata = _metadata(table, columns, filename, chosen=options.mapping.metadata is not None, warnings=warnings)
    shell = unlabelled_file(name or model_name(filename), filename, columns, numbers, ids, metadata, warnings)
    return shell, y_true, y_pred, tuple(table.column_names)


def load_regression(
    sources: Sequence[Source], *, names: Sequence[str] | None = None, options: LoadOptions | None = None
) -> RegressionData:
    """Read prediction files of regression models, check them and pair them by id.

    Parameters
    ----------
    sources:
        Paths or ``(filename, bytes)`` uploads, baseline first.
    names:
        Model names (default: the file names without extensions).
    options:
        Column names and limits (see :class:`LoadOptions`); label options do not apply.

    Returns
    -------
    RegressionData

    Raises
    ------
    EvaluationError
        A file that cannot be read, a true value or prediction that is missing or not a number,
        true values that differ between files for one id, or files that do not pair.

    Examples
    --------
    >>> data = load_regression([("a.csv", b"id,label,prediction\\n1,2.5,2\\n2,3,3.5\\n"),
    ...                         ("b.csv", b"id,label,prediction\\n2,3,3\\n1,2.5,2.5\\n")])
    >>> data.model("b").y_pred.tolist(), data.y_true.tolist()
    ([2.5, 3.0], [2.5, 3.0])
    """
    options = options or LoadOptions()
    if names is not None and len(names) != len(sources):
        raise EvaluationError(f"{len(names)} model names for {len(sources)} files; expected one name per file")
    read = [_read_one(source, None if names is None else names[i], options) for i, source in enumerate(sources)]
    files = [shell for shell, _, _, _ in read]
    ids, takes, warnings = pair_checked(files, options.shared_ids_only)
    ids, takes, excluded = without_ids(ids, takes, options.exclude_ids)
    warnings += excluded
    aligned = [(y, p) if take is None else (y[take], p[take]) for (_, y, p, _), take in zip(read, takes, strict=True)]
    y_true = aligned[0][0]
    for f, (y, _) in zip(files[1:], aligned[1:], strict=True):
        differ = ~np.isclose(y, y_true, rtol=1e-9, atol=1e-12)
        if differ.any():
            first = int(np.flatnonzero(differ)[0])
            raise EvaluationError(f"{f.filename}: the true values differ from {files[0].filename}'s for "
                                  f"{int(differ.sum()):,} examples (for example id {ids[first]!r}: {y[first]!r} against "
                                  f"{y_true[first]!r}); expected the same test set, with the same true values, in every file",
                                  file=f.filename, column=f.columns.label)
    metadata = paired_metadata(files, takes)
    models = tuple(RegressionModel(f.name, f.filename, p, f.columns) for f, (_, p) in zip(files, aligned, strict=True))
    all_warnings = [w for f in files for w in f.warnings] + list(warnings)
    return RegressionData(ids=np.asarray(ids, dtype=object), y_true=y_true, models=models,
                          metadata=metadata, warnings=tuple(all_warnings))


def inspect_regression_file(source: Source, *, mapping: ColumnMapping | None = None,
                            limits: Limits | None = None) -> FileSummary:
    """What a regression file holds and which columns were detected, before anything is computed.

    The same summary as :func:`evaluation.inspect_file`, with no classes; the true values and
    predictions are checked to be numbers, so a problem shows beside the file at once.

    Examples
    --------
    >>> s = inspect_regression_file(("m.csv", b"id,y_true,y_pred\\n1,2.5,2\\n"))
    >>> s.n_rows, s.mapping.label, s.mapping.prediction
    (1, 'y_true', 'y_pred')
    """
    options = LoadOptions(mapping=mapping or ColumnMapping(), limits=limits or Limits())
    shell, _, _, columns = _read_one(source, None, options)
    return FileSummary(filename=shell.filename, n_rows=shell.n_rows, columns=columns,
                       mapping=shell.columns, classes=())


# --- results --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegressionModelReport:
    """One regression model's metrics.

    Attributes
    ----------
    name, source:
        The model's name and its file.
    metrics:
        Metric name -> :class:`Estimate`.
    residual_quantiles:
        Quantiles (5%, 25%, 50%, 75%, 95%) of ``prediction - true``, keyed ``"q05"`` ... ``"q95"``.
    """

    name: str
    source: str
    metrics: Mapping[str, Estimate]
    residual_quantiles: Mapping[str, float]


@dataclass(frozen=True)
class ErrorChanges:
    """Examples whose absolute error the candidate made larger (worse) or smaller (better).

    Attributes
    ----------
    worse, better, unchanged:
        How many examples.
    largest_increases:
        Ids of the examples whose absolute error grew most, largest first (at most ``max_flip_ids``).
    """

    worse: int
    better: int
    unchanged: int
    largest_increases: tuple[str, ...]


@dataclass(frozen=True)
class RegressionComparison:
    """One candidate against the baseline: every metric's paired difference, slices, error changes, power."""

    candidate: str
    baseline: str
    metrics: Mapping[str, Difference]
    slices: tuple[SliceResult, ...] = ()
    flips: ErrorChanges | None = None
    power: Power | None = None


@dataclass(frozen=True)
class RegressionReport:
    """Everything the engine concluded about regression models (the task-agnostic core of a report)."""

    n_examples: int
    baseline: str
    models: Mapping[str, RegressionModelReport]
    comparisons: tuple[RegressionComparison, ...]
    warnings: tuple[str, ...]
    settings: Settings = field(default_factory=Settings)
    task: str = TASK


# --- computation ----------------------------------------------------------------------------------

def _design(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """``(n, 5)`` per-example sufficient statistics in the order of ``_COLUMNS``."""
    error = y_true - y_pred
    return np.column_stack([np.abs(error), error * error, y_true, y_true * y_true, np.ones_like(y_true)])


def _slice_columns(data: RegressionData) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
    """Every metadata column's slices, then the quartiles of the true value."""
    columns = {name: (column.codes, column.values) for name, column in slice_columns(data.metadata).items()}
    quartiles = slice_columns(pd.DataFrame({TRUE_VALUE_SLICE: data.y_true}))
    if TRUE_VALUE_SLICE in quartiles:
        columns[TRUE_VALUE_SLICE] = (quartiles[TRUE_VALUE_SLICE].codes, quartiles[TRUE_VALUE_SLICE].values)
    return columns


def _error_changes(data: RegressionData, base: np.ndarray, cand: np.ndarray, settings: Settings) -> ErrorChanges:
    grew = cand[:, 0] - base[:, 0]
    order = np.argsort(-grew, kind="stable")
    order = order[grew[order] > 0][: settings.max_flip_ids]
    return ErrorChanges(worse=int((grew > 0).sum()), better=int((grew < 0).sum()), unchanged=int((grew == 0).sum()),
                        largest_increases=tuple(str(i) for i in data.ids[order]))


def _power(base: np.ndarray, cand: np.ndarray, settings: Settings, power: float = 0.8) -> Power:
    """Smallest difference in mean absolute error the paired t-test detects with ``power`` (normal approximation)."""
    diff = cand[:, 0] - base[:, 0]
    n = diff.shape[0]
    spread = float(np.std(diff, ddof=1)) if n > 1 else float("nan")
    z = ndtri(1 - settings.alpha / 2) + ndtri(power)
    return Power(minimum_detectable_difference=float(z * spread / np.sqrt(n)), alpha=settings.alpha, power=power,
                 observed_difference=float(diff.mean()),
                 method="paired normal approximation on per-example absolute errors")


def _settings_iv(settings: Settings) -> Settings:
    """Check the settings; the classification default primary metric becomes the mean absolute error."""
    return settings_iv(settings, task=TASK, default_primary=DEFAULT_PRIMARY)


def compare_regression(
    data: RegressionData | SummedRegressionData, *, settings: Settings | None = None, baseline: str | None = None
) -> RegressionReport:
    """Score every regression model and compare every candidate with the baseline.

    Parameters
    ----------
    data:
        From :func:`load_regression`, or from a SQL engine (:func:`evaluation.load_regression_duckdb`,
        :func:`evaluation.load_regression_spark`), which above 100,000 examples returns sums by resampling group
        instead of examples (:mod:`evaluation._regression_sums` says what is then exact).
    settings:
        Confidence, alpha, resamples, seed, correction, slices (see :class:`Settings`); the primary
        metric defaults to ``mean_absolute_error``. Bootstrap intervals are percentile intervals.
    baseline:
        The baseline model's name; the first file's by default.

    Returns
    -------
    RegressionReport

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=200)
    >>> models = (RegressionModel("a", "a.csv", y + rng.normal(size=200), ColumnMapping()),
    ...           RegressionModel("b", "b.csv", y + 0.5 * rng.normal(size=200), ColumnMapping()))
    >>> data = RegressionData(np.arange(200).astype(str).astype(object), y, models, pd.DataFrame(index=range(200)))
    >>> report = compare_regression(data, settings=Settings(resamples=200))
    >>> str(report.comparisons[0].metrics["mean_absolute_error"].verdict)
    'better'
    """
    if not isinstance(data, RegressionData):
        from ._regression_sums import compare_summed_regression

        return compare_summed_regression(data, settings=settings, baseline=baseline)
    settings = _settings_iv(settings or Settings())
    order = baseline_first(data.model_names, baseline)
    chosen = order[0]
    designs = {name: _design(data.y_true, data.model(name).y_pred) for name in order}
    estimates, decided = SUMS.compared(designs, order, settings)
    quantiles = (0.05, 0.25, 0.5, 0.75, 0.95)
    models = {name: RegressionModelReport(
        name=name, source=data.model(name).source, metrics=estimates[name],
        residual_quantiles={f"q{round(q * 100):02d}": float(v) for q, v in
                            zip(quantiles, np.quantile(data.model(name).y_pred - data.y_true, quantiles), strict=True)})
        for name in order}
    comparisons = []
    for index, name in enumerate(order[1:], start=1):
        base, cand = designs[chosen], designs[name]
        comparisons.append(RegressionComparison(
            candidate=name, baseline=chosen, metrics=decided[name],
            slices=SUMS.slices(_slice_columns(data), base, cand, index, settings),
            flips=_error_changes(data, base, cand, settings), power=_power(base, cand, settings)))
    warnings = list(data.warnings)
    if data.n_examples < 30:
        warnings.append(f"only {data.n_examples} paired examples: intervals and tests rest on few examples")
    return RegressionReport(n_examples=data.n_examples, baseline=chosen, models=models, comparisons=tuple(comparisons),
                            warnings=tuple(warnings), settings=settings)


def regression_flip_table(data: RegressionData, baseline: str, candidate: str) -> pd.DataFrame:
    """Every example with both models' absolute errors, the examples whose error grew most first.

    Columns: ``id``, ``true``, ``baseline_prediction``, ``candidate_prediction``, ``baseline_abs_error``,
    ``candidate_abs_error``, ``change`` (candidate minus baseline absolute error), ``kind``
    (``"worse"``, ``"better"`` or ``"unchanged"``), then the metadata columns.
    """
    y = data.y_true
    b, c = data.model(baseline).y_pred, data.model(candidate).y_pred
    change = np.abs(y - c) - np.abs(y - b)
    frame = pd.DataFrame({"id": data.ids, "true": y, "baseline_prediction": b, "candidate_prediction": c,
                          "baseline_abs_error": np.abs(y - b), "candidate_abs_error": np.abs(y - c), "change": change,
                          "kind": np.where(change > 0, "worse", np.where(change < 0, "better", "unchanged"))})
    frame = pd.concat([frame, data.metadata.reset_index(drop=True)], axis=1)
    return frame.sort_values("change", ascending=False, kind="stable").reset_index(drop=True)
