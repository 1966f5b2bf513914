"""Regression comparisons through the DuckDB and Spark engines (:mod:`evaluation._sql_regression`).

Up to 100,000 paired examples the engines fetch the joined rows, so the claim is identity: the local engine's JSON,
byte for byte, on the same files (CSV, Parquet, directories of parts in another row order). Above, no example leaves
the engine: the sums of each resampling group give the statistics of sums, the t intervals and the paired t-tests
exactly (checked against scikit-learn and SciPy on the rows), while the bootstrap intervals and permutation tests of
the root mean squared error and R² move the engine's groups, not the local engine's, and agree with the local
engine's within the Monte Carlo error of the resampling (the tolerance is derived in
:func:`test_above_100000_examples_the_resampled_statistics_agree_within_monte_carlo_error`).
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import ndtri
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

import evaluation._sql_regression as sql_regression
from evaluation import (
    EvaluationError,
    LoadOptions,
    Settings,
    SummedRegressionData,
    compare_regression,
    load_regression,
    load_regression_duckdb,
    load_regression_spark,
    regression_report_to_dict,
)
from evaluation._cli import main
from evaluation._regression import SUMS, RegressionData, _design
from evaluation._sums import GROUPED_ABOVE
from tests.evaluation.test_duckdb import DEMO, write
from tests.evaluation.test_spark import spark  # noqa: F401  (the module's local[2] session)
from tests.helpers import assert_close_documents

SETTINGS = Settings(resamples=300, slice_resamples=100, seed=5)
MEANS = ("mean_absolute_error", "mean_squared_error")


def as_json(data: Any, settings: Settings = SETTINGS) -> str:
    return json.dumps(regression_report_to_dict(compare_regression(data, settings=settings)), allow_nan=False)


def demo_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's regression files, the baseline with a numeric column (cut in quartiles) and a missing value."""
    base = pd.read_csv(DEMO / "regression_base.csv")
    base["weight"] = np.round(np.random.default_rng(3).normal(80, 12, len(base)), 1)
    base.loc[4, "sex"] = None
    tuned = pd.read_csv(DEMO / "regression_finetuned.csv")[["id", "label", "prediction"]]
    return base, tuned


def parts(frame: pd.DataFrame, folder: Path) -> str:
    """A directory of three Parquet parts, each with every third row (so the rows come in another order)."""
    folder.mkdir()
    for part in range(3):
        frame.iloc[part::3].to_parquet(folder / f"part-{part:05d}.parquet", index=False)
    (folder / "_SUCCESS").write_text("")
    return str(folder)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_duckdb_gives_the_local_json_byte_for_byte(tmp_path: Path, suffix: str) -> None:
    base, tuned = demo_frames()
    files = [write(base, tmp_path / f"base{suffix}"),
             write(tuned.sample(frac=1.0, random_state=3), tmp_path / f"tuned{suffix}")]
    data = load_regression_duckdb(files)
    assert isinstance(data, RegressionData) and data.n_examples == 177
    local = as_json(load_regression(files))
    assert as_json(data) == local
    slices = {(s["column"], s["value"]) for s in json.loads(local)["comparisons"][0]["slices"]}
    assert ("sex", "(missing)") in slices and any(column == "weight" for column, _ in slices)


def test_directories_of_parts_and_shared_ids_give_the_local_json(spark: Any, tmp_path: Path) -> None:  # noqa: F811
    base, tuned = demo_frames()
    directories = [parts(base, tmp_path / "base"), parts(tuned.sample(frac=1.0, random_state=8), tmp_path / "tuned")]
    local = as_json(load_regression(directories))
    assert as_json(load_regression_duckdb(directories)) == local
    assert as_json(load_regression_spark(directories, session=spark)) == local
    short = write(tuned.iloc[:150], tmp_path / "short.parquet")
    options = LoadOptions(shared_ids_only=True)
    local = as_json(load_regression([directories[0], short], options=options))
    assert "27 of 177 rows were left out" in local
    assert as_json(load_regression_duckdb([directories[0], short], options=options)) == local


def grouped(data: Any) -> SummedRegressionData:
    assert isinstance(data, SummedRegressionData)
    return data


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_the_summed_path_gives_the_local_sums_t_tests_quantiles_and_slices(
        spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> None:  # noqa: F811
    base, tuned = demo_frames()
    files = [write(base, tmp_path / "base.parquet"), write(tuned, tmp_path / "tuned.parquet")]
    local = regression_report_to_dict(compare_regression(load_regression(files), settings=SETTINGS))
    monkeypatch.setattr(sql_regression, "GROUPED_ABOVE", 0)  # the summed path on the demo's 177 examples
    data = grouped(load_regression_duckdb(files) if engine == "duckdb" else
                   load_regression_spark(files, session=spark))
    found = regression_report_to_dict(compare_regression(data, settings=SETTINGS))
    for name, model in local["models"].items():
        for metric, estimate in model["metrics"].items():
            assert found["models"][name]["metrics"][metric]["value"] == pytest.approx(estimate["value"], rel=1e-12)
            if metric in MEANS:
                assert_close_documents(found["models"][name]["metrics"][metric], estimate, rel=1e-10)
        assert found["models"][name]["residual_quantiles"] == pytest.approx(model["residual_quantiles"], rel=1e-12)
        median = found["models"][name]["metrics"]["median_absolute_error"]
        assert median["ci_low"] is None and median["std_error"] is None  # no interval: sums cannot give one
    (expected,), (comparison,) = local["comparisons"], found["comparisons"]
    for metric in MEANS:
        assert_close_documents(comparison["metrics"][metric], expected["metrics"][metric], rel=1e-9)
    median = comparison["metrics"]["median_absolute_error"]
    assert median["difference"] == pytest.approx(expected["metrics"]["median_absolute_error"]["difference"], rel=1e-12)
    assert median["p_value"] is None and median["verdict"] == "undefined" and "resample each example" in median["reason"]
    assert comparison["flips"] == expected["flips"]
    assert_close_documents(comparison["power"], expected["power"], rel=1e-9)
    assert [(s["column"], s["value"], s["n"]) for s in comparison["slices"]] == [
        (s["column"], s["value"], s["n"]) for s in expected["slices"]]
    for ours, theirs in zip(comparison["slices"], expected["slices"], strict=True):
        for metric in MEANS:
            assert_close_documents(ours["metrics"][metric], theirs["metrics"][metric], rel=1e-9)
    assert any("median absolute error has its value but no interval" in w for w in found["warnings"])


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], pd.DataFrame]:
    """150,000 paired examples (above GROUPED_ABOVE): two models of equal error, the candidate's rows shuffled."""
    folder = tmp_path_factory.mktemp("large")
    rng = np.random.default_rng(1)
    n = 150_000
    y = rng.normal(50.0, 10.0, n)
    frame = pd.DataFrame({"id": [f"e{i}" for i in range(n)], "label": y, "prediction": y + rng.normal(0.0, 3.0, n),
                          "region": rng.choice(["north", "south", "east"], n)})
    tuned = frame[["id", "label"]].assign(prediction=y + rng.normal(0.0, 3.0, n))
    files = [write(frame, folder / "base.parquet"), write(tuned.sample(frac=1.0, random_state=2), folder / "tuned.parquet")]
    return files, frame.assign(candidate=tuned["prediction"])


def test_above_100000_examples_the_engine_sums_match_scikit_learn_and_scipy(large: tuple[list[str], pd.DataFrame],
                                                                             ) -> None:
    files, rows = large
    data = grouped(load_regression_duckdb(files))
    assert data.n_examples == 150_000 > GROUPED_ABOVE
    report = compare_regression(data, settings=Settings(resamples=200, slice_resamples=50))
    y, predictions = rows["label"].to_numpy(), {"base": rows["prediction"].to_numpy(),
                                                 "tuned": rows["candidate"].to_numpy()}
    for name, prediction in predictions.items():
        metrics = report.models[name].metrics
        assert metrics["mean_absolute_error"].value == pytest.approx(mean_absolute_error(y, prediction), rel=1e-12)
        assert metrics["mean_squared_error"].value == pytest.approx(mean_squared_error(y, prediction), rel=1e-12)
        assert metrics["root_mean_squared_error"].value == pytest.approx(np.sqrt(mean_squared_error(y, prediction)),
                                                                         rel=1e-12)
        assert metrics["r2"].value == pytest.approx(r2_score(y, prediction), rel=1e-12)
        assert metrics["median_absolute_error"].value == pytest.approx(np.median(np.abs(y - prediction)), rel=1e-12)
        interval = stats.ttest_1samp(np.abs(y - prediction), 0.0).confidence_interval(0.95)
        assert (metrics["mean_absolute_error"].ci_low, metrics["mean_absolute_error"].ci_high) == pytest.approx(
            (interval.low, interval.high), rel=1e-10)
        assert list(report.models[name].residual_quantiles.values()) == pytest.approx(
            np.quantile(prediction - y, [0.05, 0.25, 0.5, 0.75, 0.95]), rel=1e-12)
    (comparison,) = report.comparisons
    for metric, per_example in (("mean_absolute_error", np.abs), ("mean_squared_error", np.square)):
        test = stats.ttest_rel(per_example(y - predictions["tuned"]), per_example(y - predictions["base"]))
        difference = comparison.metrics[metric]
        assert difference.p_value == pytest.approx(test.pvalue, rel=1e-9)
        assert (difference.ci_low, difference.ci_high) == pytest.approx(tuple(test.confidence_interval(0.95)), rel=1e-9)
    grew = np.abs(y - predictions["tuned"]) - np.abs(y - predictions["base"])
    flips = comparison.flips
    assert flips is not None and (flips.worse, flips.better) == (int((grew > 0).sum()), int((grew < 0).sum()))
    assert list(flips.largest_increases[:5]) == rows["id"].to_numpy()[np.argsort(-grew, kind="stable")[:5]].tolist()
    assert comparison.power is not None and comparison.power.minimum_detectable_difference == pytest.approx(
        (ndtri(0.975) + ndtri(0.8)) * np.std(grew, ddof=1) / np.sqrt(len(grew)), rel=1e-9)
    assert {(s.column, s.value): s.n for s in comparison.slices if s.column == "region"} == {
        ("region", value): int(count) for value, count in rows["region"].value_counts().items()}


def test_above_100000_examples_the_resampled_statistics_agree_within_monte_carlo_error(
        large: tuple[list[str], pd.DataFrame]) -> None:
    """The engine's groups differ from the local engine's units, so the bootstrap and the exchanges draw other
    replicates. Each percentile endpoint is an estimated 2.5% or 97.5% quantile of R replicates; for a near-normal
    bootstrap distribution of standard deviation s its Monte Carlo standard deviation is
    ``sqrt(p (1 - p) / R) / phi(z_p) * s = 2.67 s / sqrt(R)``, so two independent runs differ by
    ``2.67 s sqrt(1 / R_local + 1 / R_engine)``; 10,000 random groups add a relative error of about
    ``1 / sqrt(2 G) = 0.7%`` to ``s``. A permutation p-value's Monte Carlo standard deviation is
    ``sqrt(p (1 - p) / R)``, a bootstrap standard error's relative one ``1 / sqrt(2 R)``. Each check allows four
    of those standard deviations (fixed seeds: the test is deterministic)."""
    files, _ = large
    local_resamples, engine_resamples = 400, 4000
    local = load_regression(files)
    designs = {model.name: _design(local.y_true, model.y_pred) for model in local.models}
    resampled = [m for m in SUMS.metrics if m.name in ("root_mean_squared_error", "r2")]
    # the local engine's own computation on the rows (compare_regression's), without the median's costly bootstrap
    estimates, differences = SUMS.compared(designs, ["base", "tuned"], Settings(resamples=local_resamples),
                                           metrics=resampled)
    report = compare_regression(grouped(load_regression_duckdb(files)),
                                settings=Settings(resamples=engine_resamples, slice_resamples=20))
    spread = 2.671 * np.sqrt(1 / local_resamples + 1 / engine_resamples)
    pairs: list[tuple[Any, Any]] = [(estimates[name][m.name], report.models[name].metrics[m.name])
                                    for name in designs for m in resampled]
    pairs += [(differences["tuned"][m.name], report.comparisons[0].metrics[m.name]) for m in resampled]
    for theirs, ours in pairs:
        s = theirs.std_error
        for endpoint in ("ci_low", "ci_high"):
            assert abs(getattr(ours, endpoint) - getattr(theirs, endpoint)) < 4 * spread * s + 1.96 * 0.007 * s * 4
        assert abs(ours.std_error / s - 1) < 4 * np.sqrt(1 / (2 * local_resamples) + 1 / (2 * engine_resamples))
    for m in resampled:
        p, q = differences["tuned"][m.name].p_value, report.comparisons[0].metrics[m.name].p_value
        assert 0.05 < p < 0.95  # a p-value away from the edges, where its Monte Carlo error is widest
        assert abs(p - q) < 4 * np.sqrt(p * (1 - p) * (1 / local_resamples + 1 / engine_resamples))


def test_the_engines_name_the_file_the_column_and_the_ids(spark: Any, tmp_path: Path) -> None:  # noqa: F811
    base, tuned = demo_frames()
    base_file = write(base, tmp_path / "base.csv")
    bad = tuned.astype({"prediction": object})
    bad.loc[[5, 9], "prediction"] = "about 80"
    with pytest.raises(EvaluationError) as caught:
        load_regression_duckdb([base_file, write(bad, tmp_path / "text.csv")])
    assert (caught.value.file, caught.value.column) == ("text.csv", "prediction")
    assert "holds text that is not a number in 2 rows" in caught.value.message
    assert f"'{tuned['id'].iloc[5]}'" in caught.value.message and "'about 80'" in caught.value.message
    twice = write(pd.concat([tuned, tuned.iloc[[3]]]), tmp_path / "twice.csv")
    for load in (load_regression_duckdb, lambda files: load_regression_spark(files, session=spark)):
        with pytest.raises(EvaluationError) as caught:
            load([base_file, twice])
        assert (caught.value.file, caught.value.column) == ("twice.csv", "id")
        assert f"repeats 1 ids (for example '{tuned['id'].iloc[3]}')" in caught.value.message
    short = write(tuned.iloc[:170], tmp_path / "short.csv")
    with pytest.raises(EvaluationError) as caught:
        load_regression_spark([base_file, short], session=spark)
    assert "short.csv lacks 7 ids found in another file" in caught.value.message
    assert "--shared-ids-only" in caught.value.message
    moved = tuned.assign(label=tuned["label"] + np.where(np.arange(len(tuned)) == 7, 1.0, 0.0))
    with pytest.raises(EvaluationError) as caught:
        load_regression_duckdb([base_file, write(moved, tmp_path / "moved.csv")])
    assert (caught.value.file, caught.value.column) == ("moved.csv", "label")
    assert f"differ from base.csv's for 1 examples (for example id '{tuned['id'].iloc[7]}'" in caught.value.message
    missing = tuned.astype({"label": float})
    missing.loc[2, "label"] = np.nan
    with pytest.raises(EvaluationError) as caught:
        load_regression_duckdb([base_file, write(missing, tmp_path / "missing.csv")])
    assert (caught.value.column, "is empty in 1 row") == ("label", "is empty in 1 row")
    assert "is empty in 1 row" in caught.value.message


def run_cli(arguments: list[str]) -> tuple[int, str]:
    output = io.StringIO()
    with redirect_stdout(output):
        status = main(arguments)
    return status, output.getvalue()


def test_the_command_line_runs_regression_on_duckdb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, tuned = demo_frames()
    base = base.assign(label=base["label"] + 0.5)  # true values that are not whole numbers: detected as regression
    tuned = tuned.assign(label=tuned["label"] + 0.5)
    files = [parts(base, tmp_path / "base"), write(tuned, tmp_path / "tuned.parquet")]
    options = ["--resamples", "200", "--slice-resamples", "50"]
    status, local = run_cli(["compare", *files, *options])
    assert status == 0 and json.loads(local)["task"] == "regression"
    status, counted = run_cli(["compare", *files, *options, "--engine", "duckdb"])
    assert status == 0 and counted == local


def test_flips_out_on_the_engines_is_the_local_file_up_to_100000_examples_and_refused_above(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [str(DEMO / "regression_base.csv"), str(DEMO / "regression_finetuned.csv")]
    common = ["compare", *files, "--task", "regression", "--resamples", "200", "--out", str(tmp_path / "r.json")]
    for engine in ("local", "duckdb"):
        assert main([*common, "--engine", engine, "--flips-out", str(tmp_path / f"{engine}.csv")]) == 0
    written = (tmp_path / "duckdb.csv").read_text()
    assert written == (tmp_path / "local.csv").read_text() and len(written.splitlines()) == 178
    monkeypatch.setattr(sql_regression, "GROUPED_ABOVE", 0)  # the summed path on the demo's 177 examples
    said = io.StringIO()
    from contextlib import redirect_stderr

    with redirect_stderr(said):
        status = main([*common, "--engine", "duckdb", "--flips-out", str(tmp_path / "summed.csv")])
    assert status == 2 and not (tmp_path / "summed.csv").exists()
    assert ("--flips-out lists every example with both models' errors, and above 100,000 paired examples the "
            "regression engines keep sums, not rows (177 examples here); run it on the local engine") in said.getvalue()
