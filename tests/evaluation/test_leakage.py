"""Leakage (``compare --training-data``): test examples found in the fine-tuning data by id, by content and as
near-duplicates, and the comparison recomputed without them."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation import EvaluationError, LoadOptions, Settings
from evaluation._generation_data import load_generation
from evaluation._leakage import find_leakage, near_duplicates, shingles
from evaluation._loading import load_classification
from evaluation._regression import load_regression

ROOT = Path(__file__).resolve().parents[2]
WORDS = ["the", "a", "cat", "dog", "sat", "ran", "on", "under", "mat", "table", "red", "blue", "quickly", "slowly",
         "big", "small", "house", "garden", "river", "tree"]


def _jaccard(a: str, b: str) -> float:
    """Word 3-gram Jaccard similarity, written out independently of the module."""
    def grams(text: str) -> set[str]:
        words = "".join(ch if ch.isalnum() or ch == "_" else " " for ch in text.lower()).split()
        return {" ".join(words)} if len(words) < 3 else {" ".join(words[i:i + 3]) for i in range(len(words) - 2)}
    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def test_near_duplicates_are_exactly_the_pairs_at_or_above_the_threshold() -> None:
    rng = random.Random(4)
    train = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20))) for _ in range(300)]
    test = []
    for i in range(200):  # edited copies of training texts (some close, some far) and fresh texts
        if i % 2:
            words = rng.choice(train).split()
            for _ in range(rng.randint(0, 4)):
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            test.append(" ".join(words))
        else:
            test.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20))))
    for threshold in (0.5, 0.8):
        expected = [i for i, t in enumerate(test) if max(_jaccard(t, u) for u in train) >= threshold]
        assert near_duplicates(test, train, threshold=threshold).tolist() == expected
        assert len(expected) > 10


def test_shingles_and_the_three_ways_of_finding_leaked_examples() -> None:
    assert shingles("A b") == frozenset({"a b"}) and shingles("...") == frozenset()
    test = ("test.csv", b"id,prompt,label,prediction\n1,What is two plus two?,4,4\n2,Name a colour,red,blue\n"
                        b"3,Translate the word house into German please,Haus,Haus\n4,Unseen,a,a\n")
    train = ("train.jsonl", b'{"id": "2", "prompt": "x"}\n{"id": "9", "prompt": "What is two  plus two?"}\n'
                            b'{"id": "8", "prompt": "translate the word house into german, please!"}\n')
    found = find_leakage(test, [train])
    assert (found.by_id, found.by_content, found.near_duplicates) == (("2",), ("1",), ("1", "3"))
    assert found.ids == ("2", "1", "3") and found.n_examples == 4 and found.content_columns == ("prompt",)
    alone = find_leakage(test, [train], content_columns=[])
    assert alone.ids == ("2",) and "compared by id alone" in alone.notes[0]
    with pytest.raises(EvaluationError, match=r"test\.csv: no column 'question' to compare by content"):
        find_leakage(test, [train], content_columns=["question"])
    with pytest.raises(EvaluationError, match=r"threshold must lie in \(0, 1\]"):
        find_leakage(test, [train], threshold=0.0)


def test_excluded_ids_leave_every_task_and_take_an_ids_samples_with_them() -> None:
    classes = b"id,label,prediction\n1,a,a\n2,b,a\n3,a,b\n"
    data = load_classification([("a.csv", classes), ("b.csv", classes)], options=LoadOptions(exclude_ids=("2",)))
    assert data.ids.tolist() == ["1", "3"] and any("1 of 3 examples were left out" in w for w in data.warnings)
    values = b"id,label,prediction\n1,1.5,1.0\n2,2.5,2.0\n3,0.5,1.0\n"
    assert load_regression([("a.csv", values), ("b.csv", values)],
                           options=LoadOptions(exclude_ids=("3",))).ids.tolist() == ["1", "2"]
    rows = "".join(json.dumps({"id": f"q{i // 2}", "sample": i % 2, "output": "a", "reference": "a"}) + "\n"
                   for i in range(6)).encode()
    text = load_generation([("a.jsonl", rows), ("b.jsonl", rows)], options=LoadOptions(exclude_ids=("q1",)))
    assert text.ids.tolist() == ["q0 #0", "q0 #1", "q2 #0", "q2 #1"] and text.clusters.tolist() == [0, 0, 1, 1]
    with pytest.raises(EvaluationError, match="every one of the 3 examples is excluded"):
        load_classification([("a.csv", classes), ("b.csv", classes)], options=LoadOptions(exclude_ids=("1", "2", "3")))


def _memorised(tmp_path: Path) -> tuple[list[Path], Path, list[str]]:
    """The fine-tune is right on the 70 examples it was trained on and no better than the base elsewhere."""
    rng = np.random.default_rng(2)
    n = 400
    ids = [f"e{i}" for i in range(n)]
    y = rng.integers(0, 2, n)
    base = np.where(rng.random(n) < 0.7, y, 1 - y)
    tuned = np.where(rng.random(n) < 0.7, y, 1 - y)
    leaked = ids[:70]
    tuned[:70] = y[:70]
    paths = []
    for name, prediction in (("base", base), ("tuned", tuned)):
        path = tmp_path / f"{name}.csv"
        pd.DataFrame({"id": ids, "label": y, "prediction": prediction}).to_csv(path, index=False)
        paths.append(path)
    training = tmp_path / "train.csv"
    pd.DataFrame({"id": leaked + [f"t{i}" for i in range(100)]}).to_csv(training, index=False)
    return paths, training, leaked


def _run(*arguments: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evaluation", "compare", *map(str, arguments)], capture_output=True,
                          text=True, cwd=ROOT, check=False)


def test_the_command_reports_the_leak_and_the_comparison_without_it(tmp_path: Path) -> None:
    paths, training, leaked = _memorised(tmp_path)
    common = ["--resamples", "500", "--slice-resamples", "100", "--primary", "accuracy"]
    out = _run(*paths, "--training-data", training, *common)
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    section = document["leakage"]
    assert section["n_leaked"] == 70 and sorted(section["ids"]) == sorted(leaked) and section["by_id"] == leaked
    assert document["comparisons"][0]["metrics"]["accuracy"]["verdict"] == "better"  # thanks to the memorised rows
    # Independently: the same comparison on files without the leaked rows.
    kept = []
    for path in paths:
        frame = pd.read_csv(path)
        target = tmp_path / f"clean_{path.name}"
        frame[~frame["id"].isin(leaked)].to_csv(target, index=False)
        kept.append(target)
    clean = json.loads(_run(*kept, *common, "--names", "base", "tuned").stdout)
    without = section["without_leaked"]
    assert without["n_examples"] == 330
    assert without["comparisons"][0]["metrics"] == clean["comparisons"][0]["metrics"]
    assert without["models"]["tuned"]["metrics"] == clean["models"]["tuned"]["metrics"]
    assert without["comparisons"][0]["metrics"]["accuracy"]["verdict"] == "no significant difference"
    assert {"candidate": "tuned", "metric": "accuracy", "verdict": "better",
            "verdict_without_leaked": "no significant difference"} in section["verdict_changes"]
    assert "leakage: 70 test examples are in the training data, and without them a verdict changes" in out.stderr
    markdown = _run(*paths, "--training-data", training, *common, "--format", "markdown").stdout
    assert "## Leakage" in markdown and "70 of 400 test examples are in the training data" in markdown
    assert "| tuned | accuracy |" in markdown
    html = _run(*paths, "--training-data", training, *common, "--format", "html").stdout
    assert "<h2>Leakage</h2>" in html and "70 of 400 test examples are in the training data" in html


def test_no_leak_and_bad_training_files(tmp_path: Path) -> None:
    paths, _, _ = _memorised(tmp_path)
    other = tmp_path / "other.csv"
    other.write_text("id\nx1\nx2\n")
    document = json.loads(_run(*paths, "--training-data", other, "--resamples", "200").stdout)
    assert document["leakage"]["n_leaked"] == 0 and document["leakage"]["without_leaked"] is None
    missing = _run(*paths, "--training-data", tmp_path / "nope.csv")
    assert missing.returncode == 2 and "nope.csv: no such file" in missing.stderr and "Traceback" not in missing.stderr
    bad = _run(*paths, "--training-data", other, "--leakage-columns", "prompt")
    assert bad.returncode == 2 and "no column 'prompt' to compare by content" in bad.stderr


def test_pairs_are_counted_once_per_test_example() -> None:
    texts = ["a b c d e f", "a b c d e f", "x y z w"]
    assert near_duplicates(texts, ["a b c d e f g"], threshold=0.5).tolist() == [0, 1]
    assert all(_jaccard(a, b) == _jaccard(b, a) for a, b in combinations(texts, 2))


def test_settings_are_unchanged_by_leakage() -> None:
    assert Settings().resamples == 10_000  # the leak-free comparison reuses the command's settings
