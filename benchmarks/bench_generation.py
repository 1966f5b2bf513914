"""Speed and memory of ``python -m evaluation compare`` on text generation, against sacrebleu, in one run.

Prints, on the same machine and data (two models' outputs of 10-20 words against references, drawn
from a word list with controlled noise; the candidate is the better model):

1. **The yardstick**: a Python process that reads the two JSON Lines files and computes sacrebleu's
   corpus BLEU, chrF and TER of both systems once (its compute alone is printed too);
2. **the whole ``compare``**: the wall time and peak memory of ``python -m evaluation compare`` (files in,
   JSON with BLEU, chrF, TER, ROUGE, ..., every interval, difference and permutation test out), and its
   ratio to (1) -- the target is at most 3x;
3. **sacrebleu's own paired bootstrap** (``sacrebleu.significance.PairedTest``, ``test_type="bs"``) of
   BLEU, chrF and TER: at the full number of resamples its index matrix alone (resamples x examples
   int64: 8 GB at 100,000 examples, drawn twice) and some 20 minutes of resampling are out of reach of
   a benchmark run, so it runs with ``--sacrebleu-resamples`` (default 100) and its resampling
   time is extrapolated linearly in the number of resamples (the extraction of the statistics, timed
   apart inside the same call, is counted once). Target: ``compare`` at least 20x faster;
4. **that the intervals agree**: each system's 95% interval from sacrebleu (mean +- its half-width)
   beside the engine's (``models.<name>.metrics.<metric>.ci_low/ci_high``); the half-widths agree when
   they differ by at most 3 Monte Carlo standard errors of a percentile interval's half-width,
   ``1.89 sd sqrt(1/B1 + 1/B2)`` (sd the engine's ``std_error``, B the two numbers of resamples);
5. **perplexity from Parquet**: ``compare --primary perplexity`` on two Parquet files of
   ``--perplexity-rows`` rows of a language model's scores (id, nll, n_tokens; no texts) against a process that
   only reads them with ``pyarrow.parquet.read_table``. Target: at most 3x the read.

Peak memory is every child process's ``ru_maxrss``. The processes of (1) and (2) are interleaved
(``--runs``) and the best of each counts.

Usage::

    python benchmarks/bench_generation.py                        # 100,000 examples, 10,000 resamples
    python benchmarks/bench_generation.py --examples 10000 --perplexity-rows 100000 --runs 1   # quicker
"""

from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TEXT_METRICS = ("bleu", "chrf", "ter")
_SYLLABLES = ("ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "da", "gu", "sho", "an", "el", "or", "um")


def word_list(size: int = 3000, seed: int = 0) -> list[str]:
    """Distinct pseudo-words of 1-4 syllables (deterministic)."""
    rng = np.random.default_rng(seed)
    words: dict[str, None] = {}
    while len(words) < size:
        words["".join(rng.choice(_SYLLABLES, rng.integers(1, 5)))] = None
    return list(words)


def _noisy(reference: list[str], words: list[str], noise: float, rng: np.random.Generator) -> str:
    """The reference with each word replaced (noise), dropped (noise/4) or followed by an extra word (noise/4)."""
    out = []
    draws = rng.random(len(reference))
    for word, u in zip(reference, draws, strict=True):
        if u < noise:
            out.append(words[int(rng.integers(len(words)))])
        elif u < 1.25 * noise:
            continue
        else:
            out.append(word)
            if u > 1 - noise / 4:
                out.append(words[int(rng.integers(len(words)))])
    return " ".join(out)


def make_texts(rows: int, *, low: int, high: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """References of ``low``-``high`` Zipf-distributed words and a baseline (noise 0.35) and candidate (0.28)."""
    rng = np.random.default_rng(seed)
    words = word_list()
    weights = 1 / np.arange(1, len(words) + 1)
    weights /= weights.sum()
    lengths = rng.integers(low, high + 1, rows)
    drawn = rng.choice(len(words), size=int(lengths.sum()), p=weights)
    references, base, cand = [], [], []
    start = 0
    for length in lengths:
        reference = [words[i] for i in drawn[start:start + length]]
        start += length
        references.append(" ".join(reference))
        base.append(_noisy(reference, words, 0.35, rng))
        cand.append(_noisy(reference, words, 0.28, rng))
    return references, base, cand


def make_jsonl(directory: Path, examples: int, seed: int = 0) -> tuple[Path, Path]:
    """Write ``base_<n>.jsonl`` and ``tuned_<n>.jsonl`` (id, output, reference) once per size."""
    directory.mkdir(parents=True, exist_ok=True)
    base_path, cand_path = directory / f"gen_base_{examples}.jsonl", directory / f"gen_tuned_{examples}.jsonl"
    if base_path.exists() and cand_path.exists():
        return base_path, cand_path
    references, base, cand = make_texts(examples, low=10, high=20, seed=seed)
    for path, outputs in ((base_path, base), (cand_path, cand)):
        partial = path.with_name(path.name + ".part")  # renamed when complete: a killed run leaves no cached half
        with partial.open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps({"id": i, "output": output, "reference": reference}) + "\n"
                              for i, (output, reference) in enumerate(zip(outputs, references, strict=True)))
        partial.replace(path)
    return base_path, cand_path


def make_parquet(directory: Path, rows: int, seed: int = 1) -> tuple[Path, Path]:
    """Write two Parquet files of a language model's scores (id, nll, n_tokens: no texts) once per size."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    base_path, cand_path = directory / f"scores_base_{rows}.parquet", directory / f"scores_tuned_{rows}.parquet"
    if base_path.exists() and cand_path.exists():
        return base_path, cand_path
    rng = np.random.default_rng(seed + 1)
    n_tokens = rng.integers(20, 400, rows)
    difficulty = rng.normal(0, 0.3, rows)
    for path, loss in ((base_path, 2.30), (cand_path, 2.25)):
        per_token = np.clip(loss + difficulty + rng.normal(0, 0.1, rows), 0.1, None)
        table = pa.table({"id": np.arange(rows), "nll": np.round(per_token * n_tokens, 4), "n_tokens": n_tokens})
        partial = path.with_name(path.name + ".part")
        pq.write_table(table, partial)
        partial.replace(path)
    return base_path, cand_path


def run_process(arguments: Sequence[str]) -> tuple[float, float, str]:
    """Wall time (s), peak resident memory (MB) and standard output of a child process."""
    start = time.perf_counter()
    process = subprocess.Popen(list(arguments), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    stdout = process.stdout.read().decode()
    stderr = process.stderr.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(arguments)}\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024, stdout


def _read_jsonl(path: Path) -> tuple[list[str], list[str]]:
    """Outputs and references of one JSON Lines file."""
    outputs, references = [], []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            outputs.append(row["output"])
            references.append(row["reference"])
    return outputs, references


def _sacrebleu_metrics() -> dict[str, Any]:
    """sacrebleu's BLEU, chrF and TER with their defaults (the engine's settings)."""
    from sacrebleu.metrics import BLEU, CHRF, TER

    return {"bleu": BLEU(), "chrf": CHRF(), "ter": TER()}


def worker_corpus(base_path: Path, cand_path: Path) -> dict[str, Any]:
    """The yardstick's process: read both files, six corpus scores once; prints its compute time and scores."""
    base, references = _read_jsonl(base_path)
    cand, _ = _read_jsonl(cand_path)
    metrics = _sacrebleu_metrics()
    start = time.perf_counter()
    scores = {f"{system}_{name}": metric.corpus_score(outputs, [references]).score
              for system, outputs in (("base", base), ("tuned", cand)) for name, metric in metrics.items()}
    return {"compute_seconds": time.perf_counter() - start, "scores": scores}


def worker_paired_bootstrap(base_path: Path, cand_path: Path, resamples: int) -> dict[str, Any]:
    """sacrebleu's paired bootstrap of BLEU, chrF and TER (its default seed) with ``resamples`` resamples."""
    from sacrebleu.significance import PairedTest

    base, references = _read_jsonl(base_path)
    cand, _ = _read_jsonl(cand_path)
    metrics = _sacrebleu_metrics()
    extraction = [0.0]
    for metric in metrics.values():  # time the extraction of the statistics apart from the resampling
        extract = metric._extract_corpus_statistics

        def timed(*arguments: Any, extract: Any = extract) -> Any:
            started = time.perf_counter()
            try:
                return extract(*arguments)
            finally:
                extraction[0] += time.perf_counter() - started

        metric._extract_corpus_statistics = timed
    start = time.perf_counter()
    test = PairedTest([("base", base), ("tuned", cand)], metrics, [references], test_type="bs", n_samples=resamples)
    _, scores = test()
    elapsed = time.perf_counter() - start
    names = {"bleu": "BLEU", "chrf": "chrF2", "ter": "TER"}
    results: dict[str, list[Any]] = dict(scores)  # each metric's column: a Result per system
    intervals = {name: [{"score": float(r.score), "mean": float(r.mean), "half_width": float(r.ci)}
                        for r in results[key]] for name, key in names.items()}
    return {"seconds": elapsed, "extraction_seconds": extraction[0], "intervals": intervals}


def _worker(argv: Sequence[str]) -> None:
    """Entry of the child processes: ``--worker corpus|bootstrap BASE TUNED [RESAMPLES]``."""
    kind, base, cand, *rest = argv
    if kind == "corpus":
        result = worker_corpus(Path(base), Path(cand))
    else:
        result = worker_paired_bootstrap(Path(base), Path(cand), int(rest[0]))
    print(json.dumps(result))


def _compare(base: Path, cand: Path, resamples: int, out: Path, *extra: str) -> list[str]:
    """The command line of the whole ``compare``."""
    return [sys.executable, "-m", "evaluation", "compare", str(base), str(cand), "--resamples", str(resamples),
            "--out", str(out), *extra]


def _verdict(ratio: float, target: float, *, at_most: bool = True) -> str:
    """'met' or 'NOT met' for a ratio against its target."""
    return "met" if (ratio <= target if at_most else ratio >= target) else "NOT met"


def agreement(ours: dict[str, Any], theirs: dict[str, Any], resamples: int, sacrebleu_resamples: int) -> dict[str, Any]:
    """Each system's interval from both bootstraps, and whether the half-widths agree within 3 Monte Carlo errors."""
    rows = {}
    for metric in TEXT_METRICS:
        for index, system in enumerate(("base", "tuned")):
            estimate = list(ours["models"].values())[index]["metrics"][metric]  # in file order, baseline first
            low, high = float(estimate["ci_low"]), float(estimate["ci_high"])
            other = theirs["intervals"][metric][index]
            half = (high - low) / 2
            sd = float(estimate["std_error"])
            error = 1.89 * sd * math.sqrt(1 / resamples + 1 / sacrebleu_resamples)
            rows[f"{system} {metric}"] = {
                "engine": [low, high], "sacrebleu": [other["mean"] - other["half_width"],
                                                     other["mean"] + other["half_width"]],
                "engine_half_width": half, "sacrebleu_half_width": other["half_width"],
                "monte_carlo_error": error, "agree": abs(half - other["half_width"]) <= 3 * error}
    return rows


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its table and return the figures (also written to ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--sacrebleu-resamples", type=int, default=100,
                        help="resamples of sacrebleu's paired bootstrap, extrapolated to --resamples")
    parser.add_argument("--skip-sacrebleu-bootstrap", action="store_true")
    parser.add_argument("--perplexity-rows", type=int, default=1_000_000, help="0 skips the perplexity case")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each process (the best counts)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "_data")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    compileall.compile_dir(ROOT / "evaluation", quiet=1)
    summary: dict[str, Any] = {"examples": args.examples, "resamples": args.resamples}
    base_path, cand_path = make_jsonl(args.data_dir, args.examples)
    print(f"data: {args.examples:,} paired examples of 10-20 words, JSON Lines "
          f"({base_path.stat().st_size / 1e6:.0f} MB per file)")
    out = args.data_dir / f"gen_report_{args.examples}.json"
    here = str(Path(__file__).resolve())
    corpus_runs, compare_runs = [], []
    for _ in range(args.runs):  # interleaved, so that a busy spell slows both alike
        wall, peak, corpus_stdout = run_process([sys.executable, here, "--worker", "corpus", str(base_path),
                                                 str(cand_path)])
        corpus_runs.append((wall, peak, json.loads(corpus_stdout)["compute_seconds"]))
        compare_runs.append(run_process(_compare(base_path, cand_path, args.resamples, out))[:2])
    corpus_wall, corpus_peak, corpus_compute = min(corpus_runs)
    compare_wall, compare_peak = min(compare_runs)
    ratio = compare_wall / corpus_wall
    summary.update(corpus_process_seconds=corpus_wall, corpus_compute_seconds=min(r[2] for r in corpus_runs),
                   corpus_peak_mb=corpus_peak, compare_seconds=compare_wall, compare_peak_mb=compare_peak,
                   compare_over_corpus=ratio)
    print(f"\nBLEU, chrF, TER (and ROUGE, ...) of two systems, {args.examples:,} examples, best of {args.runs}:")
    print(f"  sacrebleu corpus_score x 6, process (read + score): {corpus_wall:8.2f} s  peak {corpus_peak:6.0f} MB"
          f"  (scoring alone {corpus_compute:.2f} s)")
    print(f"  python -m evaluation compare --resamples {args.resamples}: {compare_wall:8.2f} s  peak "
          f"{compare_peak:6.0f} MB  ratio {ratio:.2f}x (target <= 3x: {_verdict(ratio, 3)})")
    report = json.loads(out.read_text(encoding="utf-8"))
    sacrebleu_scores = json.loads(corpus_stdout)["scores"]
    engine_scores = {f"{system}_{metric}": float(model["metrics"][metric]["value"])
                     for system, model in zip(("base", "tuned"), report["models"].values(), strict=True)
                     for metric in TEXT_METRICS}
    same = all(math.isclose(engine_scores[key], value, rel_tol=1e-9, abs_tol=1e-9)
               for key, value in sacrebleu_scores.items())
    summary.update(sacrebleu_scores=sacrebleu_scores, engine_scores=engine_scores, same_scores=same)
    print(f"  the engine's six corpus scores equal sacrebleu's: {'yes' if same else 'NO'}")

    if not args.skip_sacrebleu_bootstrap:
        small = min(args.sacrebleu_resamples, args.resamples)
        wall, peak, stdout = run_process([sys.executable, here, "--worker", "bootstrap", str(base_path),
                                          str(cand_path), str(small)])
        theirs = json.loads(stdout)
        # Both systems' statistics are extracted once whatever the resamples; the rest grows linearly with them.
        fixed = theirs["extraction_seconds"]
        per_resample = (theirs["seconds"] - fixed) / small
        extrapolated = fixed + per_resample * args.resamples
        speedup = extrapolated / compare_wall
        summary.update(sacrebleu_bootstrap_resamples=small, sacrebleu_bootstrap_seconds=theirs["seconds"],
                       sacrebleu_bootstrap_peak_mb=peak, sacrebleu_bootstrap_extrapolated_seconds=extrapolated,
                       speedup_over_sacrebleu_bootstrap=speedup)
        index_gb = 8 * args.resamples * args.examples / 1e9  # int64 indices, drawn once per system
        print("\nsacrebleu's paired bootstrap (PairedTest, bs) of BLEU, chrF and TER:")
        print(f"  {small:,} resamples: {theirs['seconds']:8.2f} s (peak {peak:.0f} MB); per resample "
              f"{per_resample * 1e3:.1f} ms after the extraction ({fixed:.2f} s)")
        print(f"  extrapolated linearly to {args.resamples:,}: {extrapolated:8.0f} s (and an index matrix of "
              f"{index_gb:.1f} GB, drawn twice)  compare is {speedup:,.1f}x faster (target >= 20x: "
              f"{_verdict(speedup, 20, at_most=False)})")
        rows = agreement(report, theirs, args.resamples, small)
        summary["intervals"] = rows
        print(f"  each system's 95% interval, engine ({args.resamples:,} resamples) vs sacrebleu ({small:,}):")
        for name, row in rows.items():
            print(f"    {name:11s} engine [{row['engine'][0]:7.3f}, {row['engine'][1]:7.3f}]  sacrebleu "
                  f"[{row['sacrebleu'][0]:7.3f}, {row['sacrebleu'][1]:7.3f}]  half-widths {row['engine_half_width']:.3f}"
                  f" vs {row['sacrebleu_half_width']:.3f} (MC error {row['monte_carlo_error']:.3f}): "
                  f"{'agree' if row['agree'] else 'DIFFER'}")

    if args.perplexity_rows:
        ppl_base, ppl_cand = make_parquet(args.data_dir, args.perplexity_rows)
        read = "import pyarrow.parquet as q, sys; q.read_table(sys.argv[1]); q.read_table(sys.argv[2])"
        ppl_out = args.data_dir / f"ppl_report_{args.perplexity_rows}.json"
        read_runs, ppl_runs = [], []
        for _ in range(args.runs):
            read_runs.append(run_process([sys.executable, "-c", read, str(ppl_base), str(ppl_cand)])[:2])
            ppl_runs.append(run_process(_compare(ppl_base, ppl_cand, args.resamples, ppl_out, "--primary",
                                                 "perplexity"))[:2])
        read_wall, read_peak = min(read_runs)
        ppl_wall, ppl_peak = min(ppl_runs)
        ppl_ratio = ppl_wall / read_wall
        summary.update(perplexity_rows=args.perplexity_rows, parquet_read_seconds=read_wall,
                       perplexity_compare_seconds=ppl_wall, perplexity_compare_peak_mb=ppl_peak,
                       perplexity_over_read=ppl_ratio)
        print(f"\nperplexity, {args.perplexity_rows:,} scored examples per model from Parquet, best of {args.runs}:")
        print(f"  python process reading both files (pyarrow.parquet.read_table): {read_wall:8.2f} s  "
              f"peak {read_peak:6.0f} MB")
        print(f"  python -m evaluation compare --primary perplexity:           {ppl_wall:8.2f} s  peak "
              f"{ppl_peak:6.0f} MB  ratio {ppl_ratio:.1f}x (target <= 3x: {_verdict(ppl_ratio, 3)})")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2:])
    else:
        main()
