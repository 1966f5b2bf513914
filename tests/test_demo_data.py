"""The committed demo data in ``data/demo/`` is well-formed, tells its story, and is reproducible."""

from __future__ import annotations

import gettext
import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import sacrebleu
from sklearn.datasets import load_diabetes
from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score, root_mean_squared_error

from evaluation import Settings
from evaluation._generation import compare_generation, load_generation

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
SCRIPT = ROOT / "scripts" / "make_demo_data.py"
PROBS = [f"prob_{k}" for k in range(10)]
MULTICLASS_COLUMNS = ["id", "label", "prediction", *PROBS, "split", "scanner", "ink"]
BINARY_COLUMNS = ["id", "label", "prediction", "score", "split", "tumor_size", "clinic"]
REGRESSION_METADATA = ["sex", "age_band", "bmi_band"]
REGRESSION_COLUMNS = ["id", "label", "prediction", "split", *REGRESSION_METADATA]
PAIRS = {
    "multiclass": ("base.csv", "finetuned.csv", MULTICLASS_COLUMNS, ["scanner", "ink"]),
    "binary": ("binary_base.csv", "binary_finetuned.csv", BINARY_COLUMNS, ["tumor_size", "clinic"]),
    "regression": ("regression_base.csv", "regression_finetuned.csv", REGRESSION_COLUMNS, REGRESSION_METADATA),
}
CLASSIFICATION = ["multiclass", "binary"]
REGRESSION_FILES = ["regression_base.csv", "regression_finetuned.csv"]
GENERATION_FILES = ["generation_base.jsonl", "generation_finetuned.jsonl"]
GENERATION_COLUMNS = ["id", "prompt", "output", "reference", "split", "catalog", "length", "nll", "n_tokens", "n_bytes",
                      "score_placeholders_kept"]
FAST = Settings(resamples=200, slice_resamples=100)


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_demo_data", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DEMO / name)


@pytest.mark.parametrize("task", PAIRS)
def test_files_exist_with_documented_columns(task: str) -> None:
    base_name, finetuned_name, columns, _ = PAIRS[task]
    for name in (base_name, finetuned_name):
        path = DEMO / name
        assert path.is_file()
        assert path.stat().st_size < 300_000
        frame = _read(name)
        assert list(frame.columns) == columns
        assert frame["id"].is_unique
        assert (frame["split"] == "test").all()
        assert not frame.isna().any().any()


@pytest.mark.parametrize("task", PAIRS)
def test_base_and_finetuned_share_ids_labels_and_metadata(task: str) -> None:
    base_name, finetuned_name, _, metadata = PAIRS[task]
    base, finetuned = _read(base_name), _read(finetuned_name)
    shared = ["id", "label", "split", *metadata]
    pd.testing.assert_frame_equal(base[shared], finetuned[shared])


@pytest.mark.parametrize("name", ["base.csv", "finetuned.csv"])
def test_multiclass_probabilities_are_valid_and_match_predictions(name: str) -> None:
    frame = _read(name)
    probs = frame[PROBS].to_numpy()
    assert ((probs >= 0) & (probs <= 1)).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6, rtol=0)
    assert (frame["prediction"].to_numpy() == probs.argmax(axis=1)).all()
    assert set(frame["label"]) == set(range(10))


@pytest.mark.parametrize("name", ["binary_base.csv", "binary_finetuned.csv"])
def test_binary_scores_are_valid_and_match_predictions(name: str) -> None:
    frame = _read(name)
    assert set(frame["label"]) == {"malignant", "benign"}
    assert set(frame["prediction"]) <= {"malignant", "benign"}
    assert frame["score"].between(0, 1).all()
    assert ((frame["score"] >= 0.5) == (frame["prediction"] == "malignant")).all()


@pytest.mark.parametrize("task", CLASSIFICATION)
def test_finetuned_is_better_overall(task: str) -> None:
    base_name, finetuned_name, _, _ = PAIRS[task]
    base, finetuned = _read(base_name), _read(finetuned_name)
    base_accuracy = accuracy_score(base["label"], base["prediction"])
    finetuned_accuracy = accuracy_score(finetuned["label"], finetuned["prediction"])
    assert finetuned_accuracy > base_accuracy + 0.02


def test_finetuned_is_not_better_on_some_scanner() -> None:
    base, finetuned = _read("base.csv"), _read("finetuned.csv")
    worse_or_equal = [
        scanner
        for scanner, rows in base.groupby("scanner").groups.items()
        if accuracy_score(finetuned.loc[rows, "label"], finetuned.loc[rows, "prediction"])
        <= accuracy_score(base.loc[rows, "label"], base.loc[rows, "prediction"])
    ]
    assert worse_or_equal == ["fax"]
    assert set(base["scanner"]) == {"flatbed", "phone", "fax"}


@pytest.mark.parametrize("name", REGRESSION_FILES)
def test_regression_rows_are_the_diabetes_test_patients(name: str) -> None:
    frame = _read(name)
    raw = load_diabetes(scaled=False, as_frame=True)
    rows = frame["id"].str.removeprefix("patient-").astype(int).to_numpy()
    assert len(frame) == round(0.4 * len(raw.target))
    assert (frame["label"].to_numpy() == raw.target.to_numpy()[rows]).all()
    assert (frame["sex"].to_numpy() == np.where(raw.data["sex"].to_numpy()[rows] == 1, "sex_1", "sex_2")).all()
    age, bmi = raw.data["age"].to_numpy()[rows], raw.data["bmi"].to_numpy()[rows]
    assert (frame["age_band"].to_numpy() == np.select([age < 40, age < 55], ["<40", "40-55"], "55+")).all()
    assert (frame["bmi_band"].to_numpy() == np.select([bmi < 25, bmi < 30], ["<25", "25-30"], "30+")).all()
    assert set(frame["age_band"]) == {"<40", "40-55", "55+"}


@pytest.mark.parametrize("name", REGRESSION_FILES)
def test_regression_values_are_written_as_documented(name: str) -> None:
    text = pd.read_csv(DEMO / name, dtype=str)
    assert text["label"].str.fullmatch(r"\d+").all()  # whole numbers, as in the data: 151, not 151.0
    assert text["prediction"].str.fullmatch(r"-?\d+\.\d\d").all()  # two decimals


def test_regression_finetuned_is_better_overall() -> None:
    base, finetuned = (_read(name) for name in REGRESSION_FILES)
    y_true = base["label"]
    assert mean_absolute_error(y_true, finetuned["prediction"]) < mean_absolute_error(y_true, base["prediction"]) - 1
    assert root_mean_squared_error(y_true, finetuned["prediction"]) < root_mean_squared_error(y_true, base["prediction"])
    assert r2_score(y_true, finetuned["prediction"]) > r2_score(y_true, base["prediction"])


def test_regression_finetuned_is_worse_for_patients_under_40() -> None:
    base, finetuned = (_read(name) for name in REGRESSION_FILES)

    def mae(frame: pd.DataFrame, band: str) -> float:
        rows = frame["age_band"] == band
        return float(mean_absolute_error(frame.loc[rows, "label"], frame.loc[rows, "prediction"]))

    assert mae(finetuned, "<40") > mae(base, "<40") + 1
    assert mae(finetuned, "40-55") < mae(base, "40-55")


OTHER_SCRIPTS = {"generation_judgments.csv": "scripts/make_demo_judgments.py",
                 "ab_test_events.csv": "scripts/make_demo_abtest.py", "shift_test.csv": "scripts/make_demo_shift.py",
                 "shift_production.csv": "scripts/make_demo_shift.py",
                 "generation_training.jsonl": "scripts/make_demo_training.py", "cells.csv": "scripts/make_demo_cells.py",
                 **{f"monitor_{name}.csv": "scripts/make_demo_monitor.py"
                    for name in ("test", "test_finetuned", "production", "production_finetuned")},
                 **{f"monitor_regression_{name}.csv": "scripts/make_demo_monitor_regression.py"
                    for name in ("test", "production")}}
"""Demo tables written by other scripts, each tested beside its script."""


def test_main_reproduces_committed_files(tmp_path: Path) -> None:
    paths = _load_script().write_tabular(tmp_path, verbose=False)
    assert sorted(path.name for path in paths) == sorted(p.name for p in DEMO.glob("*.csv") if p.name not in OTHER_SCRIPTS)
    assert all((ROOT / script).is_file() for script in OTHER_SCRIPTS.values())
    for path in paths:
        assert path.read_bytes() == (DEMO / path.name).read_bytes(), path.name


def _generation_rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DEMO / name).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def generation_report():
    return compare_generation(load_generation([DEMO / name for name in GENERATION_FILES]), settings=FAST)


def test_generation_files_regenerate_byte_for_byte(tmp_path: Path) -> None:
    # The catalogs are the text: requirements-dev.txt pins Django's release, so this runs wherever the tests do.
    paths = _load_script().write_generation(tmp_path, verbose=False)
    made_here = sorted(p.name for p in DEMO.glob("*.jsonl") if p.name not in OTHER_SCRIPTS)
    assert sorted(path.name for path in paths) == made_here == sorted(GENERATION_FILES)
    for path in paths:
        assert path.read_bytes() == (DEMO / path.name).read_bytes(), path.name


def test_generation_catalog_reader_agrees_with_gettext() -> None:
    import django  # requirements-dev.txt pins it: a missing Django fails here rather than skipping

    script = _load_script()
    root = Path(django.__file__).parent
    for _, path in script.CATALOGS:
        po = root / path
        with po.with_suffix(".mo").open("rb") as compiled:  # Django's compiled catalog, read by the standard library
            catalog = vars(gettext.GNUTranslations(compiled))["_catalog"]
        expected = sorted(
            ((key[0] if isinstance(key, tuple) else key).split("\x04")[-1], text)  # msgctxt \x04 msgid; plural forms
            for key, text in catalog.items()
            if key != "" and not (isinstance(key, tuple) and key[1] != 0)
        )
        assert sorted(script.read_po(po.read_text(encoding="utf-8"))) == expected, path


@pytest.mark.parametrize("name", GENERATION_FILES)
def test_generation_files_have_documented_columns(name: str) -> None:
    assert (DEMO / name).stat().st_size < 1_000_000
    rows = _generation_rows(name)
    assert 300 <= len(rows) <= 400
    assert all(list(row) == GENERATION_COLUMNS for row in rows)
    assert len({row["id"] for row in rows}) == len(rows)
    assert {row["split"] for row in rows} == {"test"}
    assert {row["catalog"] for row in rows} == {"core", "admin", "auth", "admindocs", "humanize", "other"}
    assert {row["length"] for row in rows} == {"1-2 words", "3-6 words", "7+ words"}
    for row in rows:
        n_bytes = len(row["reference"].encode("utf-8"))  # the language model scores the reference
        assert (row["n_bytes"], row["n_tokens"]) == (n_bytes, n_bytes + 1)
        assert row["nll"] > 0 and row["score_placeholders_kept"] in (0, 1)


def test_generation_files_share_prompts_references_and_metadata() -> None:
    base, finetuned = (pd.DataFrame(_generation_rows(name)) for name in GENERATION_FILES)
    shared = ["id", "prompt", "reference", "split", "catalog", "length", "n_tokens", "n_bytes"]
    pd.testing.assert_frame_equal(base[shared], finetuned[shared])


def test_generation_language_models_are_distributions() -> None:
    script = _load_script()
    texts = ["Benutzer ändern", "Passwort zurücksetzen", "Gruppe hinzufügen"]
    base = script.ByteNgramModel(texts[:2], order=3)
    adapted = script.InterpolatedModel([(base, 0.25), (script.ByteNgramModel(texts[2:], order=3), 0.75)])
    for model in (base, adapted):
        for history in [(257, 257), tuple(b"Be"), tuple(b"zz"), tuple("ä".encode())]:
            total = math.fsum(model.probability(token, history) for token in range(257))
            assert total == pytest.approx(1.0, abs=1e-12)
        events = list(base.events(texts[0]))
        assert len(events) == len(texts[0].encode()) + 1
        assert model.nll(texts[0]) == pytest.approx(-math.fsum(math.log(model.probability(t, h)) for h, t in events))


def test_generation_metrics_equal_sacrebleu(generation_report) -> None:
    for name in GENERATION_FILES:
        rows = _generation_rows(name)
        outputs, references = [row["output"] for row in rows], [[row["reference"] for row in rows]]
        metrics = generation_report.models[name.removesuffix(".jsonl")].metrics
        assert metrics["bleu"].value == pytest.approx(sacrebleu.corpus_bleu(outputs, references).score, abs=1e-9)
        assert metrics["chrf"].value == pytest.approx(sacrebleu.corpus_chrf(outputs, references).score, abs=1e-9)
        assert metrics["ter"].value == pytest.approx(sacrebleu.corpus_ter(outputs, references).score, abs=1e-9)
        nll, tokens = sum(row["nll"] for row in rows), sum(row["n_tokens"] for row in rows)
        assert metrics["perplexity"].value == pytest.approx(math.exp(nll / tokens), rel=1e-12)


def test_generation_finetuned_is_better_overall_but_forgets_the_core_catalog(generation_report) -> None:
    base, finetuned = (pd.DataFrame(_generation_rows(name)) for name in GENERATION_FILES)
    comparison = generation_report.comparisons[0]
    for metric in ("bleu", "chrf", "perplexity", "score_placeholders_kept"):
        assert comparison.metrics[metric].verdict == "better", metric
    core = base["catalog"] == "core"

    def perplexity(frame: pd.DataFrame) -> float:
        return math.exp(frame.loc[core, "nll"].sum() / frame.loc[core, "n_tokens"].sum())

    assert perplexity(finetuned) > perplexity(base) * 1.1
    worse = [(s.column, s.value) for s in comparison.slices if s.metrics["perplexity"].difference.verdict == "worse"]
    assert worse == [("catalog", "core")]


def test_the_leaking_training_file_is_what_its_script_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_demo_training", ROOT / "scripts" / "make_demo_training.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in module.rows())
    assert written == (DEMO / "generation_training.jsonl").read_text(encoding="utf-8")
    assert len(module.rows()) == 24
