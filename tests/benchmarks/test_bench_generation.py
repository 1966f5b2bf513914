"""``benchmarks/bench_generation.py`` keeps working: its files load in the engine and one tiny run completes.

No timing is asserted: the script prints times for a person to read (and the machine may be busy).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import evaluation
from benchmarks.bench_generation import main, make_jsonl, make_parquet


def test_the_generated_files_load_as_a_generation_comparison(tmp_path: Path) -> None:
    baseline, candidate = make_jsonl(tmp_path, 200)
    data = evaluation.load_generation([baseline, candidate])
    assert data.n_examples == 200
    assert all(len(refs) == 1 and 10 <= len(refs[0].split()) <= 20 for refs in data.references)
    scored = make_parquet(tmp_path, 300)
    assert evaluation.load_generation(list(scored)).n_examples == 300


def test_one_tiny_run_of_every_part(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    summary = main(["--examples", "150", "--resamples", "200", "--sacrebleu-resamples", "20", "--perplexity-rows",
                    "300", "--runs", "1", "--data-dir", str(tmp_path), "--json", str(out)])
    assert summary["same_scores"]  # the yardstick computes what the engine computes
    assert summary["engine_scores"]["tuned_bleu"] > summary["engine_scores"]["base_bleu"]  # the candidate is better
    for key in ("compare_over_corpus", "speedup_over_sacrebleu_bootstrap", "perplexity_over_read",
                "compare_peak_mb", "perplexity_compare_peak_mb"):
        assert math.isfinite(summary[key]) and summary[key] > 0
    assert len(summary["intervals"]) == 6
    for row in summary["intervals"].values():
        assert row["engine"][0] < row["engine"][1] and row["sacrebleu"][0] < row["sacrebleu"][1]
    assert json.loads(out.read_text(encoding="utf-8")) == summary
