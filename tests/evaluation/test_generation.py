"""The generation task on real text: sacrebleu's and rouge-score's numbers, paired tests, slices, loading checks."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sacrebleu
from rouge_score import rouge_scorer
from scipy import stats

import evaluation
from evaluation import EvaluationError, LoadOptions, Settings, candidate_verdict, detect_task, verdict_sentence
from evaluation._arguments import GENERATION_METRICS
from evaluation._generation import compare_generation, load_generation

ROOT = Path(__file__).resolve().parents[2]
FAST = Settings(resamples=400, slice_resamples=200)
WORDS = ["the", "cat", "sat", "on", "a", "mat", "while", "dogs", "ran", "quickly", "through", "green", "fields", "under",
         "bright", "blue", "sky", "near", "old", "houses", "é", "ça", "naïve"]


def _files(n: int = 240, seed: int = 3) -> tuple[list[dict], list[dict]]:
    """A baseline and a fine-tune: word substitutions, more of them on the legal domain for the fine-tune."""
    rng = random.Random(seed)
    base, tuned = [], []
    for i in range(n):
        reference = [rng.choice(WORDS) for _ in range(rng.randint(4, 12))]
        domain = rng.choice(["news", "chat", "legal"])

        def noisy(p: float, reference: list[str] = reference) -> str:
            return " ".join(t if rng.random() > p else rng.choice(WORDS) for t in reference)

        nll = rng.uniform(10, 40)
        common = {"id": f"ex{i}", "prompt": f"translate {i}", "reference": " ".join(reference), "domain": domain,
                  "n_tokens": len(reference) + 2}
        base.append({**common, "output": noisy(0.35), "nll": nll, "text": " ".join(reference),
                     "score_judge": rng.randint(1, 7), "score_passed": int(rng.random() < 0.5)})
        tuned.append({**common, "output": noisy(0.15 if domain != "legal" else 0.55), "nll": nll * rng.uniform(0.8, 1.0),
                      "text": " ".join(reference), "score_judge": rng.randint(2, 8), "score_passed": int(rng.random() < 0.62)})
    base[0]["output"] = ""  # an empty output is scored
    return base, tuned


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


@pytest.fixture(scope="module")
def rows() -> tuple[list[dict], list[dict]]:
    return _files()


@pytest.fixture(scope="module")
def report(rows):
    base, tuned = rows
    data = load_generation([("base.jsonl", _jsonl(base)), ("tuned.jsonl", _jsonl(tuned))])
    return compare_generation(data, settings=FAST)


def test_corpus_metrics_equal_sacrebleu(report, rows) -> None:
    references = [row["reference"] for row in rows[0]]
    for name, side in (("base", rows[0]), ("tuned", rows[1])):
        outputs = [row["output"] for row in side]
        metrics = report.models[name].metrics
        assert metrics["bleu"].value == pytest.approx(sacrebleu.corpus_bleu(outputs, [references]).score, abs=1e-9)
        assert metrics["chrf"].value == pytest.approx(sacrebleu.corpus_chrf(outputs, [references]).score, abs=1e-9)
        assert metrics["ter"].value == pytest.approx(sacrebleu.corpus_ter(outputs, [references]).score, abs=1e-9)
        assert metrics["bleu"].ci_low < metrics["bleu"].value < metrics["bleu"].ci_high
    bleu = sacrebleu.BLEU()
    bleu.corpus_score([row["output"] for row in rows[1]], [references])
    assert report.signatures["bleu"] == str(bleu.get_signature())


def test_rouge_difference_is_scipy_paired_t_test_on_rouge_score(report, rows) -> None:
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    per_model = [np.array([scorer.score(row["reference"], row["output"])["rougeL"].fmeasure for row in side])
                 for side in rows]
    d = report.comparisons[0].metrics["rougeL"]
    assert d.difference == pytest.approx(per_model[1].mean() - per_model[0].mean(), abs=1e-12)
    assert d.p_value == pytest.approx(stats.ttest_rel(per_model[1], per_model[0]).pvalue, rel=1e-9)
    assert d.test == "paired t"
    interval = stats.ttest_rel(per_model[1], per_model[0]).confidence_interval(0.95)
    assert (d.ci_low, d.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-9)


def test_perplexity_and_bits_per_byte_are_the_summed_formulas(report, rows) -> None:
    for name, side in (("base", rows[0]), ("tuned", rows[1])):
        nll = np.array([row["nll"] for row in side])
        tokens = np.array([row["n_tokens"] for row in side])
        size = np.array([len(row["text"].encode("utf-8")) for row in side])
        metrics = report.models[name].metrics
        assert metrics["perplexity"].value == pytest.approx(np.exp(nll.sum() / tokens.sum()), rel=1e-12)
        assert metrics["bits_per_byte"].value == pytest.approx(nll.sum() / (np.log(2) * size.sum()), rel=1e-12)
    assert report.comparisons[0].metrics["perplexity"].verdict == "better"


def test_the_verdict_names_the_slice_the_fine_tune_broke(report) -> None:
    comparison = report.comparisons[0]
    legal = next(s for s in comparison.slices if s.value == "legal")
    assert legal.metrics["bleu"].difference.verdict == "worse"
    assert comparison.metrics["bleu"].verdict == "better"
    assert candidate_verdict(comparison, report).outcome == "mixed"
    assert "But significantly worse on slice domain = legal" in verdict_sentence(comparison, report)


def test_identical_models_differ_by_nothing() -> None:
    base, _ = _files(60)
    data = load_generation([("a.jsonl", _jsonl(base)), ("b.jsonl", _jsonl(base))])
    comparison = compare_generation(data, settings=FAST).comparisons[0]
    for name, d in comparison.metrics.items():
        assert d.difference == 0.0, name
        assert d.p_value == 1.0 and d.verdict == "no significant difference", name


def test_loading_refuses_what_it_cannot_pair_or_score() -> None:
    one = [{"id": "1", "output": "a cat", "reference": "the cat"}, {"id": "2", "output": "dog", "reference": "a dog"}]
    other = [{"id": "1", "output": "the cat", "reference": "the cat"}, {"id": "2", "output": "dog", "reference": "dogs"}]
    with pytest.raises(EvaluationError, match=r"b.jsonl: the references differ from a.jsonl's for 1 example \(for "
                                              r"example id '2'"):
        load_generation([("a.jsonl", _jsonl(one)), ("b.jsonl", _jsonl(other))])
    with pytest.raises(EvaluationError, match=r"a\.jsonl: no column holds the reference; expected one named reference"):
        load_generation([("a.jsonl", _jsonl([{"id": "1", "output": "x"}])), ("b.jsonl", _jsonl(one))])
    scored = [{**row, "nll": 3.0} for row in one]
    with pytest.raises(EvaluationError, match=r"a\.jsonl: column 'nll' needs its token counts"):
        load_generation([("a.jsonl", _jsonl(scored)), ("b.jsonl", _jsonl(scored))])
    csv = b"id,output,reference\n1,,the cat\n2,dog,a dog\n"
    data = load_generation([("a.csv", csv), ("b.csv", csv)], options=LoadOptions())
    assert data.model("a").outputs == ("", "dog")
    assert any("1 missing outputs are scored as the empty text" in w for w in data.warnings)


def test_the_task_is_detected_and_runs_from_the_command_line(tmp_path, rows) -> None:
    base, tuned = (tmp_path / "base.jsonl", tmp_path / "tuned.jsonl")
    base.write_bytes(_jsonl(rows[0]))
    tuned.write_bytes(_jsonl(rows[1]))
    assert detect_task([str(base)]) == "generation"
    result = subprocess.run([sys.executable, "-m", "evaluation", "compare", str(base), str(tuned), "--resamples", "300",
                             "--slice-resamples", "200", "--fail-on-regression", "--gate-slices", "bleu"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr  # the legal slice's BLEU is significantly worse
    document = json.loads(result.stdout)
    assert document["task"] == "generation" and document["settings"]["primary_metric"] == "bleu"
    assert document["comparisons"][0]["verdict"]["outcome"] == "mixed"
    assert "regression: tuned vs base: bleu on slice 'domain' = 'legal' significantly worse" in result.stderr


def test_help_names_every_generation_metric() -> None:
    assert tuple(evaluation.statistics_of("generation")) == GENERATION_METRICS


def test_per_example_scores_are_compared_by_the_paired_t_test_or_mcnemar(report, rows) -> None:
    from statsmodels.stats.contingency_tables import mcnemar

    judge = [np.array([row["score_judge"] for row in side], dtype=float) for side in rows]
    d = report.comparisons[0].metrics["score_judge"]
    assert (d.test, d.difference) == ("paired t", pytest.approx(judge[1].mean() - judge[0].mean()))
    assert d.p_value == pytest.approx(stats.ttest_rel(judge[1], judge[0]).pvalue, rel=1e-9)
    passed = [np.array([row["score_passed"] for row in side]) for side in rows]
    table = [[int(((passed[0] == a) & (passed[1] == b)).sum()) for b in (1, 0)] for a in (1, 0)]
    d = report.comparisons[0].metrics["score_passed"]
    assert d.test == "McNemar exact"
    assert d.p_value == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-9)
    assert report.models["tuned"].metrics["score_passed"].value == pytest.approx(passed[1].mean())


def test_the_gate_and_the_primary_metric_take_a_score_column(tmp_path, rows) -> None:
    base, tuned = (tmp_path / "base.jsonl", tmp_path / "tuned.jsonl")
    base.write_bytes(_jsonl(rows[0]))
    tuned.write_bytes(_jsonl(rows[1]))
    common = [sys.executable, "-m", "evaluation", "compare", str(base), str(tuned), "--resamples", "200",
              "--slice-resamples", "100", "--out", str(tmp_path / "out.json")]
    passed = subprocess.run([*common, "--primary", "score_judge", "--fail-on-regression"], cwd=ROOT,
                            capture_output=True, text=True)
    assert passed.returncode == 0, passed.stderr
    assert "verdict: tuned is significantly better than base on score_judge" in passed.stderr
    absent = subprocess.run([*common, "--fail-on-regression", "score_missing"], cwd=ROOT, capture_output=True, text=True)
    assert absent.returncode == 2
    assert "--fail-on-regression: the comparison has no metric 'score_missing'" in absent.stderr


def test_the_perplexity_ratio_by_the_delta_method_agrees_with_the_bootstrap() -> None:
    from evaluation._generation import perplexity_ratio

    rng = np.random.default_rng(12)
    n = 3000
    tokens = rng.integers(5, 60, n).astype(float)
    base_nll = tokens * rng.gamma(4.0, 0.6, n)
    cand_nll = base_nll * rng.uniform(0.85, 1.02, n)
    designs = [np.column_stack([nll, tokens]) for nll in (base_nll, cand_nll)]
    result = perplexity_ratio(designs[0], designs[1], Settings(resamples=4000), np.random.default_rng(3))
    assert result.ratio == pytest.approx(np.exp(cand_nll.sum() / tokens.sum() - base_nll.sum() / tokens.sum()), rel=1e-12)
    # The delta method written out: each example's contribution to the difference of the two ratio estimators.
    u = (cand_nll - cand_nll.sum() / tokens.sum() * tokens - base_nll + base_nll.sum() / tokens.sum() * tokens) / tokens.sum()
    se = np.sqrt(n / (n - 1) * np.sum(u**2))
    assert result.std_error_log == pytest.approx(se, rel=1e-12)
    assert result.ci_low == pytest.approx(result.ratio * np.exp(-stats.norm.ppf(0.975) * se), rel=1e-12)
    width = np.log(result.ci_high) - np.log(result.ci_low)
    assert abs(np.log(result.bootstrap_ci_low) - np.log(result.ci_low)) < 0.1 * width
    assert abs(np.log(result.bootstrap_ci_high) - np.log(result.ci_high)) < 0.1 * width


def test_the_report_carries_the_perplexity_ratio(report) -> None:
    ratio = report.comparisons[0].perplexity_ratio
    perplexity = report.comparisons[0].metrics["perplexity"]
    assert ratio.ratio == pytest.approx(perplexity.candidate_value / perplexity.baseline_value, rel=1e-12)
    assert ratio.ci_low < ratio.ratio < ratio.ci_high < 1.0
    assert ratio.bootstrap_ci_low < ratio.ratio < ratio.bootstrap_ci_high  # its designs also hold score_ columns


@pytest.mark.parametrize("names", [
    ("base/samples_gsm8k_2024-06-28T10-11-12.123456.jsonl", "tuned/samples_gsm8k_2024-06-28T11-02-40.654321.jsonl"),
    ("base/capitals_base.json", "tuned/capitals_tuned.json"),
])
def test_evaluation_logs_are_compared_as_they_are(names) -> None:
    logs = [str(ROOT / "tests" / "data" / "generation_logs" / name) for name in names]
    assert detect_task(logs[:1]) == "generation"
    result = subprocess.run([sys.executable, "-m", "evaluation", "compare", *logs, "--names", "base", "tuned",
                             "--resamples", "200", "--slice-resamples", "100"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["task"] == "generation" and document["n_examples"] == 3
    assert any(name.startswith("score_") for name in document["comparisons"][0]["metrics"])


def _repeated(samples: int, *, seed: int = 5) -> tuple[bytes, bytes]:
    """Each prompt answered ``samples`` times by each model, the answers of one prompt alike (correlated)."""
    rng = random.Random(seed)
    base, tuned = [], []
    for i in range(90):
        reference = [rng.choice(WORDS) for _ in range(rng.randint(5, 10))]
        quality = rng.random()  # how hard the prompt is: shared by its samples, so they are correlated
        for k in range(samples):
            def answer(p: float, reference: list[str] = reference) -> str:
                return " ".join(t if rng.random() > p else rng.choice(WORDS) for t in reference)

            common = {"id": f"q{i}", "sample": k, "reference": " ".join(reference), "topic": f"t{i % 3}"}
            base.append({**common, "output": answer(0.2 + 0.5 * quality), "score_ok": rng.random() < 0.6 - 0.3 * quality})
            tuned.append({**common, "output": answer(0.1 + 0.5 * quality), "score_ok": rng.random() < 0.7 - 0.3 * quality})
    return _jsonl([{**r, "score_ok": int(r["score_ok"])} for r in base]), \
        _jsonl([{**r, "score_ok": int(r["score_ok"])} for r in tuned])


def test_samples_of_one_id_are_resampled_together_with_the_clustered_standard_error() -> None:
    import statsmodels.api as sm
    from rouge_score import rouge_scorer as scorer_module

    base, tuned = _repeated(3)
    data = load_generation([("base.jsonl", base), ("tuned.jsonl", tuned)])
    assert data.n_examples == 270 and int(data.clusters.max()) + 1 == 90
    report = compare_generation(data, settings=FAST)
    comparison = report.comparisons[0]
    assert any("270 examples form 90 clusters" in w for w in report.warnings)
    # The paired ROUGE-L difference: statsmodels' cluster-robust OLS of the per-example differences on a constant.
    scorer = scorer_module.RougeScorer(["rougeL"], use_stemmer=False)
    rows = [[json.loads(line) for line in side.decode().splitlines()] for side in (base, tuned)]
    diff = np.array([scorer.score(b["reference"], c["output"])["rougeL"].fmeasure
                     - scorer.score(b["reference"], b["output"])["rougeL"].fmeasure for b, c in zip(*rows, strict=True)])
    groups = np.array([int(row["id"][1:]) for row in rows[0]])
    fit = sm.OLS(diff, np.ones_like(diff)).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    d = comparison.metrics["rougeL"]
    assert d.test == "paired t (clustered)"
    assert d.std_error == pytest.approx(float(fit.bse[0]), rel=1e-9)
    assert d.p_value == pytest.approx(float(fit.pvalues[0]), rel=1e-9)
    assert (d.ci_low, d.ci_high) == pytest.approx(tuple(fit.conf_int(0.05)[0]), rel=1e-9)
    assert comparison.design_effect["rougeL"] == pytest.approx(
        (fit.bse[0] / (diff.std(ddof=1) / np.sqrt(diff.size))) ** 2, rel=1e-9)
    assert comparison.metrics["score_ok"].test == "paired t (clustered)"  # McNemar assumes independent pairs


def test_identical_samples_widen_the_corpus_intervals_as_whole_clusters_should() -> None:
    # Every id answered three times identically: resampling ids (clusters) must give an interval about sqrt(3)
    # times wider than resampling the 3n rows as if independent.
    base, tuned = _files(150, seed=9)
    tripled = [[{**row, "sample": k} for row in side for k in range(3)] for side in (base, tuned)]
    as_rows = [[{**row, "id": f"{row['id']}-{row['sample']}"} for row in side] for side in tripled]
    widths = []
    for sides in (tripled, as_rows):
        data = load_generation([("a.jsonl", _jsonl(sides[0])), ("b.jsonl", _jsonl(sides[1]))])
        d = compare_generation(data, settings=Settings(resamples=2000, slice_resamples=100)).comparisons[0].metrics["bleu"]
        widths.append(d.ci_high - d.ci_low)
    assert widths[0] / widths[1] == pytest.approx(np.sqrt(3), rel=0.2)


def test_pass_at_k_is_the_unbiased_estimator_over_ids() -> None:
    from math import comb

    base, tuned = _repeated(3)
    report = compare_generation(load_generation([("base.jsonl", base), ("tuned.jsonl", tuned)]), settings=FAST)
    for name, side in (("base", base), ("tuned", tuned)):
        rows = [json.loads(line) for line in side.decode().splitlines()]
        by_id: dict[str, list[int]] = {}
        for row in rows:
            by_id.setdefault(row["id"], []).append(row["score_ok"])
        for k in (1, 3):
            expected = np.mean([1 - comb(len(v) - sum(v), k) / comb(len(v), k) for v in by_id.values()])
            estimate = report.models[name].metrics[f"score_ok_pass@{k}"]
            assert estimate.value == pytest.approx(expected, rel=1e-12)
            assert estimate.ci_low <= estimate.value <= estimate.ci_high
    d = report.comparisons[0].metrics["score_ok_pass@3"]
    assert d.test == "paired permutation" and np.isfinite(d.p_value)


def test_numeric_scores_also_get_the_wilcoxon_signed_rank_test(report, rows) -> None:
    judge = [np.array([row["score_judge"] for row in side], dtype=float) for side in rows]
    assert report.comparisons[0].wilcoxon == {"score_judge": pytest.approx(stats.wilcoxon(judge[1] - judge[0]).pvalue)}


def _several_references(n: int = 80, seed: int = 11) -> tuple[list[dict], list[dict]]:
    """Two models' rows with one to three references each (a varying number)."""
    base, tuned = _files(n, seed)
    rng = random.Random(seed)
    for b, t in zip(base, tuned, strict=True):
        extra = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))) for _ in range(rng.randint(0, 2))]
        b["references"] = t["references"] = [b.pop("reference"), *extra]
        del t["reference"]
    return base, tuned


def test_several_references_are_read_from_lists_numbered_columns_and_parquet(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    base, tuned = _several_references()
    streams = [[row["references"][j] if j < len(row["references"]) else None for row in base] for j in range(3)]
    from_lists = load_generation([("a.jsonl", _jsonl(base)), ("b.jsonl", _jsonl(tuned))])
    assert from_lists.references == tuple(tuple(row["references"]) for row in base)

    def numbered(rows: list[dict]) -> bytes:  # CSV: reference_1..3, an empty cell where an example has fewer
        import pandas as pd

        frame = pd.DataFrame([{"id": r["id"], "output": r["output"], **{f"reference_{j + 1}": (r["references"][j]
                               if j < len(r["references"]) else "") for j in range(3)}} for r in rows])
        return frame.to_csv(index=False).encode()

    from_columns = load_generation([("a.csv", numbered(base)), ("b.csv", numbered(tuned))])
    assert from_columns.references == from_lists.references
    for name, rows in (("a", base), ("b", tuned)):
        pq.write_table(pa.Table.from_pylist([{k: r[k] for k in ("id", "output", "references")} for r in rows]),
                       tmp_path / f"{name}.parquet")
    from_parquet = load_generation([tmp_path / "a.parquet", tmp_path / "b.parquet"])
    assert from_parquet.references == from_lists.references
    report = compare_generation(from_parquet, settings=FAST)
    for name, rows in (("a", base), ("b", tuned)):
        outputs = [row["output"] for row in rows]
        metrics = report.models[name].metrics
        assert metrics["bleu"].value == pytest.approx(sacrebleu.corpus_bleu(outputs, streams).score, abs=1e-9)
        assert metrics["chrf"].value == pytest.approx(sacrebleu.corpus_chrf(outputs, streams).score, abs=1e-9)
        assert metrics["ter"].value == pytest.approx(sacrebleu.corpus_ter(outputs, streams).score, abs=1e-9)
        scorer = rouge_scorer.RougeScorer(["rougeL"])
        rouge = np.mean([scorer.score_multi(row["references"], row["output"])["rougeL"].fmeasure for row in rows])
        assert metrics["rougeL"].value == pytest.approx(rouge, abs=1e-12)
    bleu = sacrebleu.BLEU()
    bleu.corpus_score([row["output"] for row in base], streams)
    assert report.signatures["bleu"] == str(bleu.get_signature())
    assert report.signatures["bleu"].startswith("nrefs:var|")
    assert detect_task([("a.csv", numbered(base))]) == "generation"


def test_rows_without_a_reference_and_lists_of_numbers_are_refused() -> None:
    rows = [{"id": "1", "output": "a", "references": ["a"]}, {"id": "2", "output": "b", "references": []},
            {"id": "3", "output": "c", "references": None}]
    with pytest.raises(EvaluationError, match=r"a\.jsonl: column 'references' has no reference in 2 rows \(rows 2, 3; "
                                              r"row 1 is the first data row\); expected at least one reference on every row"):
        load_generation([("a.jsonl", _jsonl(rows)), ("b.jsonl", _jsonl(rows))])
    csv = b"id,output,reference_1,reference_2\n1,a,a,b\n2,b,,\n"
    with pytest.raises(EvaluationError, match=r"a\.csv: columns 'reference_1', 'reference_2' have no reference in 1 row "
                                              r"\(row 2;"):
        load_generation([("a.csv", csv), ("b.csv", csv)])
    numbers = [{"id": "1", "output": "a", "references": [1, 2]}]
    with pytest.raises(EvaluationError, match=r"a\.jsonl: column 'references' holds lists of int64; expected lists of "
                                              r"reference texts"):
        load_generation([("a.jsonl", _jsonl(numbers)), ("b.jsonl", _jsonl(numbers))])
    one = [{"id": "1", "output": "a", "references": ["x", "y"]}]
    other = [{"id": "1", "output": "a", "references": ["x", "z"]}]
    with pytest.raises(EvaluationError, match=r"b\.jsonl: the references differ from a\.jsonl's for 1 example \(for "
                                              r"example id '1': 'x \| z' against 'x \| y'\)"):
        load_generation([("a.jsonl", _jsonl(one)), ("b.jsonl", _jsonl(other))])


def test_pass_at_a_chosen_k_and_too_large_a_k() -> None:
    from dataclasses import replace
    from math import comb

    base, tuned = _repeated(4)
    data = load_generation([("base.jsonl", base), ("tuned.jsonl", tuned)])
    report = compare_generation(data, settings=replace(FAST, pass_k=(2,)))
    assert [m for m in report.models["base"].metrics if "pass@" in m] == ["score_ok_pass@2"]
    rows = [json.loads(line) for line in base.decode().splitlines()]
    by_id: dict[str, list[int]] = {}
    for row in rows:
        by_id.setdefault(row["id"], []).append(row["score_ok"])
    expected = np.mean([1 - comb(len(v) - sum(v), 2) / comb(len(v), 2) for v in by_id.values()])
    assert report.models["base"].metrics["score_ok_pass@2"].value == pytest.approx(expected, rel=1e-12)
    with pytest.raises(EvaluationError, match=r"pass@5 needs at least 5 samples of every id; some ids have only 4 "
                                              r"\(for example q0, q0, q0\); choose k up to 4"):
        compare_generation(data, settings=replace(FAST, pass_k=(1, 5)))
    single = load_generation([("a.jsonl", _jsonl(_files(20)[0])), ("b.jsonl", _jsonl(_files(20)[1]))])
    with pytest.raises(EvaluationError, match=r"pass@1 needs several samples per id"):
        compare_generation(single, settings=replace(FAST, pass_k=(1,)))
    with pytest.raises(EvaluationError, match=r"each pass@k needs a whole k of 1 or more"):
        compare_generation(single, settings=replace(FAST, pass_k=(0,)))


def test_rouge_stemming_and_answer_normalisation_are_options(rows) -> None:
    from dataclasses import replace

    base, tuned = rows
    base = [{**row, "output": row["output"].upper() + "!"} if i % 3 == 0 else row for i, row in enumerate(base)]
    data = load_generation([("base.jsonl", _jsonl(base)), ("tuned.jsonl", _jsonl(tuned))])
    plain = compare_generation(data, settings=FAST)
    chosen = compare_generation(data, settings=replace(FAST, rouge_stemmer=True, normalize_answers=True))
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    stemmed = np.mean([scorer.score(row["reference"], row["output"])["rouge1"].fmeasure for row in base])
    assert chosen.models["base"].metrics["rouge1"].value == pytest.approx(stemmed, abs=1e-12)
    def squad(text: str) -> str:  # normalize_answer of the official SQuAD v2.0 evaluation script
        import re
        import string

        text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
        return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())

    exact = [squad(row["output"]) == squad(row["reference"]) for row in base]
    assert chosen.models["base"].metrics["exact_match"].value == pytest.approx(np.mean(exact), abs=1e-12)
    stripped = [row["output"].strip() == row["reference"].strip() for row in base]
    assert plain.models["base"].metrics["exact_match"].value == pytest.approx(np.mean(stripped), abs=1e-12)
    assert np.mean(exact) > np.mean(stripped)  # the upper-cased, punctuated copies match only once normalised
    assert chosen.signatures["rouge1"].endswith("|stemmer:yes|nrefs:1")
    assert (plain.signatures["exact_match"], chosen.signatures["exact_match"]) == ("normalize:strip", "normalize:squad")


def test_language_model_scores_alone_give_perplexity_without_texts(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(4)
    n = 400
    tokens = rng.integers(20, 200, n)
    base_nll = tokens * rng.gamma(5.0, 0.5, n)
    cand_nll = base_nll * rng.uniform(0.9, 1.0, n)
    for name, nll in (("base", base_nll), ("tuned", cand_nll)):
        pq.write_table(pa.table({"id": np.arange(n), "nll": nll, "n_tokens": tokens, "domain": np.arange(n) % 2}),
                       tmp_path / f"{name}.parquet")
    files = [str(tmp_path / "base.parquet"), str(tmp_path / "tuned.parquet")]
    data = load_generation(files)
    assert data.references is None and not data.has_text and data.model("base").outputs is None
    report = compare_generation(data, settings=FAST)
    assert report.settings.primary_metric == "perplexity"
    assert set(report.models["base"].metrics) == {"perplexity"}
    assert report.models["tuned"].metrics["perplexity"].value == pytest.approx(np.exp(cand_nll.sum() / tokens.sum()))
    assert report.comparisons[0].metrics["perplexity"].verdict == "better"
    assert report.comparisons[0].perplexity_ratio is not None and report.comparisons[0].output_words is None
    assert report.signatures == {} and np.isnan(report.models["base"].output_words)
    out = subprocess.run([sys.executable, "-m", "evaluation", "compare", *files, "--resamples", "300"],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["comparisons"][0]["metrics"]["perplexity"]["verdict"] == "better"
    with pytest.raises(EvaluationError, match=r"the primary metric chrf is not in every file: the text metrics need "
                                              r"outputs and references.* \(these files have perplexity\)"):
        compare_generation(data, settings=Settings(primary_metric="chrf", resamples=100))
    assert detect_task(files) == "generation"
    texts = _jsonl([{"id": i, "output": "a", "reference": "a", "nll": 1.0, "n_tokens": 2} for i in range(n)])
    with pytest.raises(EvaluationError, match=r"base\.parquet: no column holds the output, but b\.jsonl has one"):
        load_generation([files[0], ("b.jsonl", texts)])


def test_text_options_on_the_command_line(tmp_path) -> None:
    base, tuned = _repeated(4)
    paths = [tmp_path / "base.jsonl", tmp_path / "tuned.jsonl"]
    for path, content in zip(paths, (base, tuned), strict=True):
        path.write_bytes(content)

    def run(*options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "evaluation", "compare", *map(str, paths), "--resamples", "200",
                               "--slice-resamples", "100", *options], capture_output=True, text=True, cwd=ROOT, check=False)

    out = run("--pass-k", "2", "3", "--rouge-stemmer", "--normalize-answers")
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert sorted(m for m in document["models"]["base"]["metrics"] if "pass@" in m) == ["score_ok_pass@2", "score_ok_pass@3"]
    assert document["settings"]["pass_k"] == [2, 3] and document["settings"]["rouge_stemmer"] is True
    assert document["signatures"]["exact_match"] == "normalize:squad"
    too_many = run("--pass-k", "9")
    assert too_many.returncode == 2 and "pass@9 needs at least 9 samples of every id" in too_many.stderr
    assert "Traceback" not in too_many.stderr
    classes = tmp_path / "a.csv"
    classes.write_text("id,label,prediction\n1,a,a\n2,b,a\n")
    wrong = subprocess.run([sys.executable, "-m", "evaluation", "compare", str(classes), str(classes), "--rouge-stemmer"],
                           capture_output=True, text=True, cwd=ROOT, check=False)
    assert wrong.returncode == 2 and "--rouge-stemmer applies to text generation" in wrong.stderr


def test_different_token_counts_leave_perplexity_out_and_unbalanced_samples_are_refused() -> None:
    rows = [{"id": f"t{i}", "nll": 10.0 + i, "n_tokens": 5 + i % 3, "n_bytes": 20 + i} for i in range(40)]
    other = [{**row, "nll": row["nll"] * 0.9, "n_tokens": row["n_tokens"] + (i == 7)} for i, row in enumerate(rows)]
    data = load_generation([("a.jsonl", _jsonl(rows)), ("b.jsonl", _jsonl(other))])
    with pytest.raises(EvaluationError, match=r"token perplexities do not compare: a\.jsonl and b\.jsonl count different "
                                              r"tokens for 1 example \(for example id 't7': 6 against 7\), so the "
                                              r"tokenizers differ; compare bits per byte instead"):
        compare_generation(data, settings=Settings(primary_metric="perplexity", resamples=100))
    report = compare_generation(data, settings=FAST)
    assert report.settings.primary_metric == "bits_per_byte" and set(report.models["a"].metrics) == {"bits_per_byte"}
    nll, size = np.array([r["nll"] for r in rows]), np.array([r["n_bytes"] for r in rows])
    assert report.models["a"].metrics["bits_per_byte"].value == pytest.approx(nll.sum() / (np.log(2) * size.sum()))
    assert report.comparisons[0].perplexity_ratio is None
    assert any("perplexity is left out" in w and "bits per byte compares them" in w for w in report.warnings)
    uneven = [{"id": f"q{i // 3}", "sample": i % 3, "output": "a", "reference": "a"} for i in range(9)][:-1]
    with pytest.raises(EvaluationError, match=r"a\.jsonl: the ids have different numbers of samples \(for example 'q2' 2, "
                                              r"'q0' 3\); expected the same number of samples of every id"):
        load_generation([("a.jsonl", _jsonl(uneven)), ("b.jsonl", _jsonl(uneven))])
