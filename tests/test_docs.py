"""The README and ``docs/`` stay true: links resolve, the README stays short, and its examples run.

Every ``python -m evaluation ...`` line in a ``bash`` code block of README.md or ``docs/*.md`` is run
as written from the project folder, with the interpreter running the tests, fewer resamples (the
numbers are not checked here, only that the command works) and output files in a temporary folder.
Synopses such as ``python -m evaluation compare BASELINE CANDIDATE ...`` belong in ``text`` blocks.
"""

from __future__ import annotations

import argparse
import functools
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]
MAX_README_LINES = 250
SCREENSHOT = ROOT / "docs" / "images" / "overview.png"

FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.M)
SHELL_BLOCKS = {"bash", "sh", "shell", "console"}
OUTPUT_OPTIONS = {"--out", "--flips-out"}
FEWER_RESAMPLES = {"--resamples": "200", "--slice-resamples": "200"}
DOCUMENTED_STATUS = re.compile(r"\bexits (\d)\b")


@functools.cache
def _options_of(command: str | None = None) -> Any:
    """The options of one command of ``python -m evaluation`` (no command: every command's name)."""
    from evaluation._arguments import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    if command is None:
        return frozenset(commands)
    return frozenset(o for a in commands[command]._actions for o in a.option_strings)


def prose(text: str) -> str:
    """The text without fenced code blocks and inline code (where brackets are not links)."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    heading = re.sub(r"[`*_]", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def relative_links(path: Path) -> list[str]:
    """Every link or image target in ``path`` that is not a URL or a bare anchor."""
    targets = LINK.findall(prose(path.read_text(encoding="utf-8")))
    return [target for target in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(path: Path) -> None:
    broken = []
    for target in relative_links(path):
        file_part, _, fragment = target.partition("#")
        destination = (path.parent / file_part).resolve()
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif fragment and destination.suffix == ".md":
            anchors = {anchor(heading) for heading in HEADING.findall(prose(destination.read_text(encoding="utf-8")))}
            if fragment not in anchors:
                broken.append(f"{target}: no heading with anchor #{fragment}")
    assert not broken, f"broken links in {path.relative_to(ROOT)}: {broken}"


def test_readme_links_every_docs_page() -> None:
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in relative_links(README)}
    assert not [page.name for page in DOCUMENTS[1:] if page.resolve() not in linked]


def test_readme_stays_short() -> None:
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines < MAX_README_LINES, f"README.md has {lines} lines; move detail to docs/ (limit {MAX_README_LINES})"


def test_readme_screenshot_is_small() -> None:
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size < 300 * 1024, "retake it with scripts/screenshot.py at 1280x900"


@dataclass(frozen=True)
class Example:
    """One documented command and the exit statuses its text allows."""

    source: str
    line: str
    statuses: frozenset[int]


def examples(path: Path) -> list[Example]:
    """The ``python -m evaluation`` commands of ``path``'s shell code blocks.

    A command exits 0 unless a comment line just above it says it ``exits N``; a gate
    (``--fail-on-regression``) may also exit 1, the status the README documents for a failed gate.
    """
    found = []
    for language, block in FENCE.findall(path.read_text(encoding="utf-8")):
        if language not in SHELL_BLOCKS:
            continue
        comments: list[str] = []
        for line in block.replace("\\\n", " ").splitlines():
            stripped = line.strip()
            if stripped.startswith("#"):
                comments.append(stripped)
                continue
            if "-m evaluation" in stripped:
                documented = [int(match) for comment in comments for match in DOCUMENTED_STATUS.findall(comment)]
                statuses = set(documented) if documented else {0, 1} if "--fail-on-regression" in stripped else {0}
                found.append(Example(path.name, stripped, frozenset(statuses)))
            comments = []
    return found


EXAMPLES = [example for path in DOCUMENTS for example in examples(path)]


def test_the_readme_has_runnable_examples() -> None:
    readme = [example.line for example in EXAMPLES if example.source == README.name]
    assert len(readme) >= 4
    assert any("--fail-on-regression" in line for line in readme)
    assert not any(re.search(r"(^|\s)(?!data/demo/)[\w./-]+\.(csv|tsv|parquet|jsonl)\b", line.split("--")[0])
                   for line in readme), "inputs of the examples must be the bundled demo files"


def command(line: str, output_folder: Path) -> tuple[list[str], list[Path]]:
    """The argument list to run for ``line``, and the output files it names (moved to ``output_folder``)."""
    words = shlex.split(line, comments=True)
    python = words.index("-m") - 1
    assert words[python].endswith("python"), line
    arguments = [sys.executable, *words[python + 1:]]
    outputs = []
    for index, word in enumerate(arguments[:-1]):
        if word in OUTPUT_OPTIONS:
            arguments[index + 1] = str(output_folder / Path(arguments[index + 1]).name)
            outputs.append(Path(arguments[index + 1]))
    taken = _options_of(next((w for w in arguments if w in _options_of()), "compare"))
    for option, value in FEWER_RESAMPLES.items():
        if option in taken and option not in arguments:  # each command gets the resampling options it has
            arguments += [option, value]
    return arguments, outputs


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.source}:{i}" for i, e in enumerate(EXAMPLES)])
def test_documented_command_runs(example: Example, tmp_path: Path) -> None:
    arguments, outputs = command(example.line, tmp_path)
    result = subprocess.run(arguments, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode in example.statuses, f"{example.line}\nexit {result.returncode}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    if result.returncode == 1:  # a failed gate names each failure
        assert result.stderr.strip()
    for output in outputs:
        assert output.exists() and output.stat().st_size > 0, f"{example.line} did not write {output.name}"
    if not outputs:
        assert result.stdout.strip()


def test_the_readme_demo_story_is_what_the_tool_says() -> None:
    """The quoted verdict is the tool's sentence on the demo at the CLI's defaults, and the prose around it agrees."""
    import evaluation

    files = [(name, (ROOT / "data" / "demo" / name).read_bytes()) for name in ("base.csv", "finetuned.csv")]
    report = evaluation.compare(evaluation.load_classification(files))
    comparison = report.comparisons[0]
    text = README.read_text(encoding="utf-8")
    quoted = re.search(r"<!-- demo-verdict:.*?-->\n> (.+)\n", text)
    assert quoted is not None, "the README quotes the demo's verdict after a demo-verdict comment"
    assert quoted.group(1) == evaluation.verdict_sentence(comparison, report)
    text = " ".join(text.split())  # the prose wraps anywhere
    accuracy = comparison.metrics["accuracy"]
    assert f"accuracy {accuracy.baseline_value:.3f} -> {accuracy.candidate_value:.3f}" in text
    fax = next(s for s in comparison.slices if (s.column, s.value) == ("scanner", "fax"))
    assert f"on the {fax.n} fax copies its macro F1 falls from {fax.metrics['f1_macro'].baseline.value:.3f} to " \
           f"{fax.metrics['f1_macro'].candidate.value:.3f}" in text
    assert fax.metrics["f1_macro"].difference.verdict == "worse"
    assert fax.metrics["accuracy"].difference.verdict == "no significant difference"
    zero = comparison.per_class["0"]["recall"]
    assert zero.verdict == "no significant difference" and zero.ci_high < 0
    assert (f"Recall of digit 0 drops too ({zero.baseline_value:.3f} -> {zero.candidate_value:.3f}) and its interval "
            f"excludes 0") in text
    assert f"(adjusted p = {zero.p_value_adjusted:.3f})" in text
    assert comparison.metrics["log_loss"].verdict == "no significant difference"
    assert comparison.per_class["6"]["recall"].verdict == "no significant difference"
