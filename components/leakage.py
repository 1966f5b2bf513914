"""Leakage on the dashboard: the test examples found in the fine-tuning data, beside every Overview's verdict.

The Data page keeps fine-tuning files (:func:`training_section`, each checked by :func:`check_training`); the
comparison then carries them (:attr:`components.state.ComparisonSpec.training`). :func:`leakage` is the one engine
call, :func:`evaluation._leakage.leakage_section` (what ``compare --training-data`` runs) with the comparison's
names, options, settings and baseline, cached by content; :func:`leakage_summary` draws its result right after the
verdicts of every Overview: an amber box when test examples leaked (and the verdicts that change without them), an
expander with each difference with and without them and the leaked ids, or one green line when none leaked. The
sentences are pure functions (:func:`leaked_sentence`, :func:`clean_sentence`, :func:`changed_verdicts`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

import evaluation
from evaluation import (
    LEAKAGE_HEADER,
    ComparisonReport,
    EvaluationError,
    GenerationReport,
    RegressionReport,
    leakage_section,
    leakage_table,
)
from evaluation._io import read_table

from . import render, state, uploads

__all__ = [
    "TRAINING_LABEL",
    "LeakageCheck",
    "changed_verdicts",
    "check_training",
    "clean_sentence",
    "compute_leakage",
    "error_location",
    "leakage",
    "leakage_frame",
    "leakage_summary",
    "leaked_ids_frame",
    "leaked_sentence",
    "training_section",
]

TRAINING_LABEL = "Fine-tuning data (optional): find test examples in it"
"""The label of the Data page's switch that opens the fine-tuning data's uploader."""

Report = ComparisonReport | RegressionReport | GenerationReport


@dataclass(frozen=True)
class LeakageCheck:
    """What the fine-tuning data says about a comparison.

    Attributes
    ----------
    section:
        The engine's JSON ``leakage`` section (``docs/leakage.md``).
    table:
        :func:`evaluation._leakage.leakage_table`'s rows (:data:`evaluation._leakage.LEAKAGE_HEADER`): each candidate
        and metric's difference and verdict with and without the leaked examples; none when nothing leaked.
    """

    section: dict[str, Any]
    table: tuple[tuple[str, ...], ...] = ()


def compute_leakage(spec: state.ComparisonSpec, report: Report) -> LeakageCheck:
    """The test examples of ``spec`` (its first prediction file) found in ``spec.training``, and the comparison
    recomputed without them with the same names, options, settings (``report``'s, as computed) and baseline.

    Raises
    ------
    EvaluationError
        A fine-tuning file that cannot be read (the message names it), or a column it lacks.
    """
    task = spec.resolved_task
    document = evaluation.task_named(task).to_dict(report)
    options = dataclasses.replace(spec.options, limits=evaluation.DASHBOARD_LIMITS)
    section = leakage_section(list(spec.files), list(spec.training), task=task, document=document,
                              names=list(spec.names), options=options, settings=report.settings,
                              baseline=spec.baseline)
    return LeakageCheck(section, tuple(tuple(str(cell) for cell in row) for row in leakage_table(section, document)))


@st.cache_data(show_spinner=False, max_entries=8)
def _leakage(key: str, _spec: state.ComparisonSpec, _report: Report) -> LeakageCheck:
    """:func:`compute_leakage`, cached on ``key`` (the comparison's key and the digests of the fine-tuning files)."""
    return compute_leakage(_spec, _report)


def leakage(spec: state.ComparisonSpec, report: Report) -> LeakageCheck:
    """:func:`compute_leakage` computed once per comparison (:attr:`~components.state.ComparisonSpec.key`) and
    fine-tuning files.

    Raises
    ------
    EvaluationError
        As :func:`compute_leakage`.
    """
    digest = hashlib.sha256()
    for filename, content in spec.training:
        digest.update(filename.encode() + b"\0" + hashlib.sha256(content).digest())
    return _leakage(f"{spec.key}:{digest.hexdigest()}", spec, report)


def error_location(error: EvaluationError, spec: state.ComparisonSpec) -> str | None:
    """The fine-tuning file an error is about, or ``None``."""
    return next((filename for filename, _ in spec.training if error.file == filename), None)


# --- sentences (pure) -------------------------------------------------------------------------------

def _how(section: Mapping[str, Any]) -> str:
    """``"3 by id, 2 by content, 4 near-duplicates"`` (by id alone when there is no content column to compare)."""
    if not section["content_columns"]:
        return f"{len(section['by_id']):,} by id; compared by id alone, no prompt-like column on both sides"
    return (f"{len(section['by_id']):,} by id, {len(section['by_content']):,} by content, "
            f"{len(section['near_duplicates']):,} near-duplicates")


def leaked_sentence(section: Mapping[str, Any]) -> str:
    """How many test examples are in the fine-tuning data, and how they were found (Markdown).

    >>> leaked_sentence({"n_leaked": 3, "n_examples": 10, "by_id": ["a", "b"], "by_content": ["c"],
    ...                  "near_duplicates": ["b", "c"], "content_columns": ["prompt"]})
    '**3 of 10 test examples are in the fine-tuning data** (2 by id, 1 by content, 2 near-duplicates).'
    """
    return (f"**{section['n_leaked']:,} of {section['n_examples']:,} test examples are in the fine-tuning data** "
            f"({_how(section)}).")


def clean_sentence(section: Mapping[str, Any]) -> str:
    """The one line shown when no test example is in the fine-tuning data.

    >>> clean_sentence({"n_examples": 10, "content_columns": ["prompt"]})
    'None of the 10 test examples were found in the fine-tuning data (by id, content, near-duplicates).'
    """
    how = "by id, content, near-duplicates" if section["content_columns"] else "by id; no prompt-like column to compare"
    return f"None of the {section['n_examples']:,} test examples were found in the fine-tuning data ({how})."


def changed_verdicts(section: Mapping[str, Any]) -> list[str]:
    """Each verdict that changes without the leaked examples (Markdown, names escaped).

    >>> changed_verdicts({"verdict_changes": [{"candidate": "tuned", "metric": "f1_macro", "verdict": "better",
    ...                                        "verdict_without_leaked": "no significant difference"}]})
    ['**tuned**, F1 (macro): better with them, no significant difference without']
    """
    return [f"**{render.text(change['candidate'])}**, {evaluation.metric_title(change['metric'])}: "
            f"{change['verdict']} with them, {change['verdict_without_leaked']} without"
            for change in section["verdict_changes"]]


def leakage_frame(found: LeakageCheck) -> pd.DataFrame:
    """The table of each difference and verdict with and without the leaked examples (metric titles)."""
    frame = pd.DataFrame(list(found.table), columns=list(LEAKAGE_HEADER))
    frame["metric"] = frame["metric"].map(evaluation.metric_title)
    return frame


def leaked_ids_frame(section: Mapping[str, Any]) -> pd.DataFrame:
    """Every leaked test id once, with how it was found (``yes`` or empty)."""
    kinds = {"by id": set(section["by_id"]), "by content": set(section["by_content"]),
             "near-duplicate": set(section["near_duplicates"])}
    return pd.DataFrame([{"id": test_id, **{kind: "yes" if test_id in found else "" for kind, found in kinds.items()}}
                         for test_id in section["ids"]], columns=["id", *kinds])


# --- render helpers ---------------------------------------------------------------------------------

def leakage_summary(report: Report, *, key_prefix: str) -> None:
    """The Overview's leakage lines, right after the verdicts, when the comparison shown has fine-tuning data."""
    spec = state.current_spec()
    if not spec.training:
        return
    try:
        with st.spinner("Looking for the test examples in the fine-tuning data..."):
            found = leakage(spec, report)
    except EvaluationError as error:
        st.error(f"The fine-tuning data cannot be searched for test examples: {render.text(error.message)}",
                 icon=":material/error:")
        return
    section = found.section
    if not section["n_leaked"]:
        st.caption(f":green[{clean_sentence(section)}]")
        return
    clean = section["without_leaked"]
    changes = changed_verdicts(section)
    kept = f"Without them ({clean['n_examples']:,} examples)" if clean else "Without them"
    change = "a verdict changes" if len(changes) == 1 else f"{len(changes)} verdicts change"
    said = (f"{kept} {change}: " + "; ".join(changes) + "." if changes
            else f"{kept} every verdict stays the same.")
    st.warning(f"{leaked_sentence(section)} A model may score well on them for the wrong reason. {said}",
               icon=":material/warning:")
    with st.expander(f"Leakage: each difference with and without the {section['n_leaked']:,} leaked examples"):
        files = ", ".join(render.text(name) for name in section["training_data"])
        how = (f" Compared by id, by the exact text of {', '.join(render.text(c) for c in section['content_columns'])}, "
               f"and as near-duplicates (word 3-gram Jaccard similarity at least "
               f"{section['near_duplicate_threshold']:g})." if section["content_columns"] else "")
        st.caption(f"Searched: {files}.{how}" + "".join(f" Note: {render.text(note)}." for note in section["notes"]))
        if found.table:
            render.table(leakage_frame(found), key=f"{key_prefix}_leakage_table")
        st.markdown("**Leaked test examples**")
        render.table(leaked_ids_frame(section), key=f"{key_prefix}_leakage_ids", max_rows=10)


@st.cache_data(show_spinner=False, max_entries=32)
def check_training(filename: str, digest: str, _content: bytes) -> str:
    """What a kept fine-tuning file holds, in one line, cached on its name and digest.

    Raises
    ------
    EvaluationError
        When the engine cannot read it (the message names the file).
    """
    table = read_table((filename, _content), filename=filename, limits=evaluation.DASHBOARD_LIMITS)
    columns = table.column_names
    shown = ", ".join(columns[:8]) + (f" and {len(columns) - 8} more" if len(columns) > 8 else "")
    return f"{table.num_rows:,} row{'s' if table.num_rows != 1 else ''} · columns {shown}"


def training_section(*, shown: Sequence[tuple[str, bytes]],
                     key_prefix: str) -> tuple[tuple[tuple[str, bytes], ...], str | None]:
    """The Data page's optional fine-tuning data: a switch that opens its uploader, the kept files with what each
    holds (or the engine's error beside it) and their Remove buttons.

    Parameters
    ----------
    shown:
        The fine-tuning files of the comparison shown (named when none is kept here).
    key_prefix:
        Prefix of the switch's and the Remove buttons' keys.

    Returns
    -------
    tuple
        ``(the fine-tuning files for the next comparison, the engine's message when a kept file is bad)``.
    """
    kept = uploads.training_uploads()
    if not kept and not st.toggle(TRAINING_LABEL, key=f"{key_prefix}_training_open",
                                  help="Test examples the fine-tuned model saw in training make it look better than "
                                       "it is. See docs/leakage.md."):
        if shown:
            st.caption("The comparison shown was checked against " + ", ".join(render.text(f) for f, _ in shown)
                       + "; Compare without fine-tuning data to drop it.")
        return (), None
    if kept:
        st.subheader("Fine-tuning data")
    key = uploads.training_uploader_key()
    st.file_uploader("Fine-tuning data: one or more files (CSV, TSV, Parquet or JSON Lines, optionally .gz). A file "
                     "named like a kept one replaces it.", type=list(uploads.UPLOAD_TYPES), accept_multiple_files=True,
                     key=key, on_change=uploads.on_training_change, args=(key,))
    st.caption("Compare then looks for the test examples (the rows of the first prediction file) in these files: by id, "
               "by the exact text of prompt-like columns, and as near-duplicates; the Overview says how many it found "
               "and recomputes every difference without them.")
    problem = None
    errors = uploads.upload_errors()
    for entry in kept:
        summary, bad = None, None
        try:
            summary = check_training(entry.filename, entry.digest, entry.content)
        except EvaluationError as error:
            bad = error.message
        problem = problem or bad
        computed = errors.get(entry.filename)  # the last Compare's, about a column the file lacks
        with st.container(border=True):
            left, right = st.columns([3, 1])
            left.markdown(f"**{render.text(entry.filename)}**" + (f" · {render.text(summary)}" if summary else ""))
            right.button("Remove", key=f"{key_prefix}_training_remove_{entry.digest[:12]}", icon=":material/delete:",
                         on_click=uploads.remove_training, args=(entry.filename,))
            if bad or computed:
                st.error(render.text(bad or computed), icon=":material/error:")
    return tuple((entry.filename, entry.content) for entry in kept), problem
