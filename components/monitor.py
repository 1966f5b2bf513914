"""The Monitoring page's logic: how is the model doing now, window by window?

The reference (test set) is the comparison's files: the baseline's, and in shadow mode the candidate's too
(:func:`reference_files`). The classification and regression demos' button loads the demo's production logs with the
demo's own test files (``scripts/make_demo_monitor.py``, ``scripts/make_demo_monitor_regression.py``), which then stay
the reference until a log is uploaded. The production logs are kept in the session (``monitor_production``,
``monitor_candidate_production``, ``monitor_reference`` and ``monitor_uploader_generation`` in ``st.session_state``).
:func:`monitor_report` is the one engine call, :func:`evaluation._monitor_data.read_monitor` then
:func:`evaluation._monitor.analyze_monitor` (what the ``monitor`` command runs), cached by content.
:func:`headline_sentence` and :func:`alerts_frame`, pure functions of the report, live in :mod:`components.monitor_text`
(the HTML report reads them without streamlit).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence

import streamlit as st

import evaluation
from evaluation import MonitorReport, analyze_monitor, read_monitor

from . import access, render, state, uploads
from .monitor_text import alerts_frame, headline_sentence, metrics_shown

__all__ = ["DEMO_DIR", "DEMO_NAMES", "DEMO_PRODUCTION", "DEMO_REFERENCE", "REGRESSION_DEMO_PRODUCTION",
           "REGRESSION_DEMO_REFERENCE", "WINDOWS", "Inputs", "alerts_frame",
           "candidate_name", "compute_monitor", "files_sentence", "headline_sentence", "inputs", "load_demo",
           "metrics_shown", "monitor_report", "production_section", "reference_files"]

Source = tuple[str, bytes]
DEMO_DIR = state.APP_DIR / "data" / "demo"
DEMO_PRODUCTION = (DEMO_DIR / "monitor_production.csv", DEMO_DIR / "monitor_production_finetuned.csv")
"""The demo's production logs: the live base model, and the fine-tuned model in shadow mode."""
DEMO_REFERENCE = (DEMO_DIR / "monitor_test.csv", DEMO_DIR / "monitor_test_finetuned.csv")
"""The demo's test files for those logs (a seeded half of ``base.csv``'s rows, not the comparison's files)."""
DEMO_NAMES = ("base", "finetuned")
REGRESSION_DEMO_PRODUCTION = DEMO_DIR / "monitor_regression_production.csv"
"""The regression demo's production log (``scripts/make_demo_monitor_regression.py``): the base model, live."""
REGRESSION_DEMO_REFERENCE = DEMO_DIR / "monitor_regression_test.csv"
"""Its test file (a half of ``regression_base.csv``'s patients)."""
WINDOWS = {"1 week": "1w", "1 day": "1d", "1 month": "1M"}
"""The window selector's choices -> the engine's window specification (the first is the default)."""


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What the engine reads: one production log per model, each model's test file, the models' names."""

    production: tuple[Source, ...]
    reference: tuple[Source, ...]
    names: tuple[str, ...]
    task: str | None = None


def candidate_name(spec: state.ComparisonSpec) -> str:
    """The comparison's candidate (the first model that is not the baseline)."""
    return next(name for name in spec.names if name != spec.baseline)


def reference_files(spec: state.ComparisonSpec, count: int) -> tuple[tuple[Source, ...], tuple[str, ...]]:
    """The comparison's test files and names for ``count`` production logs: the baseline's, then the candidate's."""
    names = (spec.baseline, candidate_name(spec))[:count]
    return tuple(spec.files[spec.names.index(name)] for name in names), names


def inputs(spec: state.ComparisonSpec) -> Inputs | None:
    """The kept production logs with their reference: the demo's test files after the demo button, else the
    comparison's; ``None`` without a log."""
    session = st.session_state
    production = tuple(f for f in (session.get("monitor_production"), session.get("monitor_candidate_production")) if f)
    if not session.get("monitor_production"):
        return None
    task = spec.resolved_task if spec.resolved_task in ("classification", "regression") else None
    demo = session.get("monitor_reference")
    if demo is not None:
        return Inputs(production, tuple(demo[:len(production)]), DEMO_NAMES[:len(production)], task)
    reference, names = reference_files(spec, len(production))
    return Inputs(production, reference, names, task)


def compute_monitor(chosen: Inputs, window: str, *, options: evaluation.LoadOptions,
                    settings: evaluation.Settings) -> MonitorReport:
    """Monitor ``chosen``'s production logs against their test files in ``window``s, with the comparison's column
    options (within the dashboard's limits), alpha, confidence and seed (resamples: the engine's default).

    Raises
    ------
    EvaluationError
        A file that cannot be read (no timestamp, probabilities that do not sum to 1, a class the test set lacks, ...;
        the message names the file).
    """
    options = dataclasses.replace(options, limits=evaluation.DASHBOARD_LIMITS)
    data = read_monitor(list(chosen.production), list(chosen.reference), names=list(chosen.names), options=options,
                        task=chosen.task)
    return analyze_monitor(data, window, alpha=settings.alpha, confidence=settings.confidence, seed=settings.seed)


@st.cache_data(show_spinner=False, max_entries=8)
def _monitor(key: str, _chosen: Inputs, window: str, _options: evaluation.LoadOptions,
             _settings: evaluation.Settings) -> MonitorReport:
    """:func:`compute_monitor`, cached on ``key`` and ``window``."""
    return compute_monitor(_chosen, window, options=_options, settings=_settings)


def monitor_report(chosen: Inputs, window: str, *, options: evaluation.LoadOptions,
                   settings: evaluation.Settings) -> MonitorReport:
    """:func:`compute_monitor` computed once per files, names, task, window, options and settings.

    Raises
    ------
    EvaluationError
        As :func:`compute_monitor`.
    """
    parts = [[[name, hashlib.sha256(content).hexdigest()] for name, content in (*chosen.production, *chosen.reference)],
             list(chosen.names), chosen.task, state.options_to_dict(options), state.settings_to_dict(settings)]
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return _monitor(key, chosen, window, options, settings)


# --- sentences and tables (pure) --------------------------------------------------------------------

def files_sentence(report: MonitorReport, spec: state.ComparisonSpec) -> str:
    """Which production log was read against which test file, per model, and the rows (Markdown); says so when the
    reference is not the comparison's files (the demo's own test files)."""
    pairs = ", ".join(f"**{render.text(name)}** {render.text(production)} against {render.text(reference)}"
                      for name, production, reference
                      in zip(report.models, report.production_files, report.reference_files, strict=True))
    own = {filename for filename, _ in spec.files}
    source = "regression_base.csv's patients" if report.task == "regression" else "base.csv's rows"
    note = "" if set(report.reference_files) <= own else (
        f"the demo's own test files (a half of {source}), not the comparison's files; ")
    return (f"Reference (test set): {note}{pairs} · {report.n:,} production rows, {report.n_labelled:,} labelled · "
            f"{len(report.windows)} windows with rows.")


# --- render helpers ---------------------------------------------------------------------------------

def load_demo(task: str = "classification") -> None:
    """Keep the demo's production logs and make its test files the reference (a callback of the demo button): the
    classification demo's two models in shadow mode, or the regression demo's live model."""
    session = st.session_state
    if task == "regression":
        session["monitor_production"] = (REGRESSION_DEMO_PRODUCTION.name, REGRESSION_DEMO_PRODUCTION.read_bytes())
        session.pop("monitor_candidate_production", None)
        session["monitor_reference"] = ((REGRESSION_DEMO_REFERENCE.name, REGRESSION_DEMO_REFERENCE.read_bytes()),)
        return
    session["monitor_production"], session["monitor_candidate_production"] = (
        (path.name, path.read_bytes()) for path in DEMO_PRODUCTION)
    session["monitor_reference"] = tuple((path.name, path.read_bytes()) for path in DEMO_REFERENCE)


def _on_change(widget_key: str, slot: str) -> None:
    """An uploader's callback: keep the dropped file in ``slot`` (the comparison's files become the reference again),
    then empty the uploaders."""
    session = st.session_state
    dropped = session.get(widget_key)
    if dropped is not None:
        session[slot] = (dropped.name, dropped.getvalue())
        if session.pop("monitor_reference", None) is not None:  # the demo's logs do not go with the user's
            session.pop("monitor_candidate_production" if slot == "monitor_production" else "monitor_production", None)
    session["monitor_uploader_generation"] = session.get("monitor_uploader_generation", 0) + 1


def _remove(slots: Sequence[str]) -> None:
    """Drop kept logs (a callback of a Remove button)."""
    for slot in slots:
        st.session_state.pop(slot, None)
    if not st.session_state.get("monitor_production"):
        st.session_state.pop("monitor_reference", None)


def production_section(spec: state.ComparisonSpec, *, key_prefix: str) -> None:
    """The uploaders of the live model's production log and (optional, shadow mode) the candidate's, the demo button
    on the classification and regression demos, and the kept logs with Remove buttons."""
    session = st.session_state
    if not access.gate("upload files", key_prefix):
        return
    generation = session.get("monitor_uploader_generation", 0)
    left, right = st.columns(2)
    for column, slot, what in (
            (left, "monitor_production", f"Production log of the live model ({spec.baseline}): a timestamp, its "
                                         "predictions and/or probabilities, labels where they have arrived, metadata."),
            (right, "monitor_candidate_production", f"Optional, shadow mode: the candidate's log "
                                                    f"({candidate_name(spec)}) on the same rows, paired by id.")):
        key = f"{key_prefix}_{slot}_{generation}"
        column.file_uploader(what, type=list(uploads.UPLOAD_TYPES), key=key, on_change=_on_change, args=(key, slot))
        kept = session.get(slot)
        if kept is not None:
            column.markdown(f"Kept: **{render.text(kept[0])}**")
            column.button("Remove", key=f"{key_prefix}_{slot}_remove", icon=":material/delete:", on_click=_remove,
                          args=((slot, "monitor_candidate_production") if slot == "monitor_production" else (slot,),))
    if spec.origin == "demo" and spec.resolved_task == "classification":
        st.button("Load the demo's 12 weeks of production (base live, finetuned in shadow mode)",
                  key=f"{key_prefix}_demo", icon=":material/science:", on_click=load_demo)
    elif spec.origin == "demo" and spec.resolved_task == "regression":
        st.button("Load the demo's 12 weeks of production (base live; labels arrive late)",
                  key=f"{key_prefix}_demo", icon=":material/science:", on_click=load_demo, args=("regression",))
