"""The dashboard's logic, importable and testable without a browser.

What is being compared is one :class:`ComparisonSpec` (files, names, baseline, load options,
settings) kept in the session; :func:`compute` turns it into engine results, cached by content.
View settings (threshold, class, slice column, candidate) live in a small dict beside it, shared by
every page and carried by share links. Pages call :func:`init_session` (through ``app.py``), then
:func:`compute`. The tables the pages show are built by :mod:`components.tables`; the Data page's
kept files are in :mod:`components.uploads`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import streamlit as st

import evaluation
from evaluation import (
    ClassificationData,
    ColumnMapping,
    ComparisonReport,
    GenerationData,
    GenerationReport,
    LoadOptions,
    RegressionData,
    RegressionReport,
    Settings,
    compare_generation,
    load_generation,
)

from . import uploads
from .share_store import SharedComparison, ShareStore, ShareUnavailable, closed_link_message, default_path

__all__ = [
    "APP_DIR",
    "DASHBOARD_SETTINGS",
    "DEFAULT_VIEW",
    "DEMO_FILES",
    "GENERATION_DEFAULT_PRIMARY",
    "GENERATION_DEMO_FILES",
    "GENERATION_DEMO_JUDGMENTS",
    "PAYLOAD_VERSION",
    "PRODUCTION_SLOTS",
    "REGRESSION_DEMO_FILES",
    "ComparisonSpec",
    "GenerationResults",
    "ProductionFiles",
    "RegressionResults",
    "Results",
    "build_options",
    "choose_baseline",
    "compute",
    "current_spec",
    "demo_spec",
    "error_location",
    "generation_settings",
    "init_session",
    "inspect_upload",
    "is_shared_view",
    "leave_shared_view",
    "open_demo",
    "options_from_dict",
    "options_to_dict",
    "production_files",
    "production_from_share",
    "restore_production_files",
    "set_current_spec",
    "settings_from_dict",
    "settings_to_dict",
    "share_files",
    "share_payload",
    "share_store",
    "spec_from_share",
    "view",
]

APP_DIR = Path(__file__).resolve().parent.parent
DEMO_FILES = (APP_DIR / "data" / "demo" / "base.csv", APP_DIR / "data" / "demo" / "finetuned.csv")
REGRESSION_DEMO_FILES = (APP_DIR / "data" / "demo" / "regression_base.csv",
                         APP_DIR / "data" / "demo" / "regression_finetuned.csv")
GENERATION_DEMO_FILES = (APP_DIR / "data" / "demo" / "generation_base.jsonl",
                         APP_DIR / "data" / "demo" / "generation_finetuned.jsonl")
GENERATION_DEMO_JUDGMENTS = APP_DIR / "data" / "demo" / "generation_judgments.csv"
# Fewer resamples than the CLI's 10,000 so that a comparison shows within seconds (the bootstrap draws cell
# counts, so its cost does not grow with the rows); the Data page raises them for final numbers. Slices keep
# 1,000 exchanges: a permutation p-value counts to 1/(B + 1) (a normal tail below it), and after Holm's
# correction over 20 slices that must stay below alpha for a slice to be able to show a significant change.
DASHBOARD_SETTINGS = Settings(resamples=2_000, slice_resamples=1_000, target_precisions=(0.9,), target_recalls=(0.9,))
# ``candidate``: the model name shown where a page shows one comparison (``None``: the first candidate).
DEFAULT_VIEW: Mapping[str, Any] = MappingProxyType({"threshold": 0.5, "class_label": None, "slice_column": None,
                                                    "candidate": None})
PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class ComparisonSpec:
    """Everything that determines a comparison's numbers.

    Attributes
    ----------
    files:
        ``(filename, content)`` of every prediction file, baseline candidates in upload order.
    names:
        One model name per file.
    baseline:
        The model the others are compared with.
    options:
        Column mapping and loading options.
    settings:
        Engine settings (confidence, alpha, resamples, correction, ...).
    origin:
        ``"demo"``, ``"upload"`` or ``"shared"``.
    task:
        ``"classification"``, ``"regression"``, or ``None`` to detect it from the first file
        (:func:`evaluation.detect_task`); :attr:`resolved_task` is the one used.
    judgments:
        ``(filename, content)`` of a file of pairwise preference judgments shown beside a generation comparison
        (:mod:`components.preferences`), or ``None``. The report does not depend on it, so neither do the keys.
    training:
        ``(filename, content)`` of each fine-tuning file searched for the test examples (:mod:`components.leakage`;
        none: no leakage check). Like the judgments, it does not enter the keys.
    """

    files: tuple[tuple[str, bytes], ...]
    names: tuple[str, ...]
    baseline: str
    options: LoadOptions = field(default_factory=LoadOptions)
    settings: Settings = DASHBOARD_SETTINGS
    origin: str = "upload"
    task: str | None = None
    judgments: tuple[str, bytes] | None = None
    training: tuple[tuple[str, bytes], ...] = ()

    @cached_property
    def resolved_task(self) -> str:
        """The task the numbers are computed for: the chosen one, else the detected one."""
        return self.task or evaluation.detect_task(list(self.files), mapping=self.options.mapping)

    @cached_property
    def load_key(self) -> str:
        """Digest of what loading depends on: the files' bytes and names, the model names, the options, the task."""
        digest = hashlib.sha256()
        for filename, content in self.files:
            digest.update(filename.encode() + b"\0" + hashlib.sha256(content).digest())
        digest.update(json.dumps([list(self.names), options_to_dict(self.options), self.resolved_task],
                                 sort_keys=True).encode())
        return digest.hexdigest()

    @cached_property
    def key(self) -> str:
        """Digest of everything the numbers depend on (:attr:`load_key` plus baseline and settings)."""
        extra = json.dumps([self.baseline, settings_to_dict(self.settings)], sort_keys=True)
        return hashlib.sha256((self.load_key + extra).encode()).hexdigest()


class Results(NamedTuple):
    """The loaded data and the engine's report of one classification comparison."""

    data: ClassificationData
    report: ComparisonReport


class RegressionResults(NamedTuple):
    """The loaded data and the engine's report of one regression comparison."""

    data: RegressionData
    report: RegressionReport


class GenerationResults(NamedTuple):
    """The loaded data and the engine's report of one comparison of text-generating models."""

    data: GenerationData
    report: GenerationReport


GENERATION_DEFAULT_PRIMARY = "bleu"
"""The generation task's primary metric when the settings hold another task's (the engine's default)."""


# --- conversions to and from JSON (sharing, cache keys) -------------------------------------------

def options_to_dict(options: LoadOptions) -> dict[str, Any]:
    """LoadOptions as a JSON-ready dict (the inverse of :func:`options_from_dict`)."""
    document = dataclasses.asdict(options)
    mapping = document["mapping"]
    mapping["probabilities"] = None if options.mapping.probabilities is None else dict(options.mapping.probabilities)
    mapping["metadata"] = None if options.mapping.metadata is None else list(options.mapping.metadata)
    document["labels"] = None if options.labels is None else list(options.labels)
    document["class_order"] = None if options.class_order is None else list(options.class_order)
    return document


def options_from_dict(document: Mapping[str, Any]) -> LoadOptions:
    """LoadOptions from :func:`options_to_dict`'s output; unknown keys are ignored."""
    known = {f.name for f in dataclasses.fields(LoadOptions)} - {"mapping"}
    mapping_fields = {f.name for f in dataclasses.fields(ColumnMapping)}
    raw_mapping = dict(document.get("mapping") or {})
    mapping = {key: value for key, value in raw_mapping.items() if key in mapping_fields}
    if mapping.get("metadata") is not None:
        mapping["metadata"] = tuple(mapping["metadata"])
    if mapping.get("probabilities") is not None:
        mapping["probabilities"] = dict(mapping["probabilities"])
    values = {key: value for key, value in document.items() if key in known}
    for key in ("labels", "class_order", "exclude_ids"):
        if values.get(key) is not None:
            values[key] = tuple(values[key])
    return LoadOptions(mapping=ColumnMapping(**mapping), **values)


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """Settings as a JSON-ready dict."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in dataclasses.asdict(settings).items()}


def settings_from_dict(document: Mapping[str, Any]) -> Settings:
    """Settings from :func:`settings_to_dict`'s output; unknown keys are ignored."""
    known = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value
                              for key, value in document.items() if key in known}
    return Settings(**values)


ProductionFiles = Mapping[str, Sequence[tuple[str, bytes]]]
"""The Shift and Monitoring pages' production files, by session slot (:data:`PRODUCTION_SLOTS`)."""

PRODUCTION_SLOTS = ("shift_production", "monitor_production", "monitor_candidate_production", "monitor_reference")
"""Where the pages keep production files: the Shift page's file, the Monitoring page's live log, its shadow-mode
log, and the demo's test files that replace the comparison's as the reference."""


def production_files() -> dict[str, tuple[tuple[str, bytes], ...]]:
    """The production files kept in the session, by slot (none kept: empty); a share carries them."""
    session = st.session_state
    kept: dict[str, tuple[tuple[str, bytes], ...]] = {}
    shift = uploads.production_file()
    if shift is not None:
        kept["shift_production"] = (shift,)
    for slot in ("monitor_production", "monitor_candidate_production"):
        if session.get(slot):
            kept[slot] = (session[slot],)
    if session.get("monitor_reference"):
        kept["monitor_reference"] = tuple(session["monitor_reference"])
    return kept


def restore_production_files(kept: ProductionFiles) -> None:
    """Keep a share's production files in the session (in place of any kept before: a shared link opens the sender's
    pages as they were)."""
    session = st.session_state
    uploads.remove_production()
    for slot in PRODUCTION_SLOTS[1:]:
        session.pop(slot, None)
    for slot, files in kept.items():
        if slot == "shift_production":
            uploads.set_production(*files[0])
        elif slot == "monitor_reference":
            session[slot] = tuple(files)
        elif slot in PRODUCTION_SLOTS:
            session[slot] = files[0]


def share_files(spec: ComparisonSpec, production: ProductionFiles | None = None) -> tuple[tuple[str, bytes], ...]:
    """The files a share stores: the prediction files, then the judgments file when there is one (the payload's
    ``judgments`` names it), then the fine-tuning files (the payload's ``training_data`` names them), then the
    production files of the Shift and Monitoring pages (the payload's ``production`` names them)."""
    kept = tuple(file for files in (production or {}).values() for file in files)
    return spec.files + ((spec.judgments,) if spec.judgments is not None else ()) + spec.training + kept


def share_payload(spec: ComparisonSpec, view: Mapping[str, Any],
                  production: ProductionFiles | None = None) -> dict[str, Any]:
    """The JSON document stored with a share's files (:func:`share_files`, given the same ``production``)."""
    payload = {"version": PAYLOAD_VERSION, "names": list(spec.names), "baseline": spec.baseline,
               "options": options_to_dict(spec.options), "settings": settings_to_dict(spec.settings), "task": spec.task,
               "view": {key: view.get(key) for key in DEFAULT_VIEW}}
    if spec.judgments is not None:
        payload["judgments"] = spec.judgments[0]  # stored after the prediction files; absent without judgments
    if spec.training:
        payload["training_data"] = [filename for filename, _ in spec.training]  # stored after the judgments
    if production:
        # [slot, filename] in the order stored (a list: the store writes JSON objects with their keys sorted)
        payload["production"] = [[slot, filename] for slot, files in production.items() for filename, _ in files]
    return payload


def _production_count(payload: Mapping[str, Any]) -> int:
    """How many production files end a share's files."""
    return len(payload.get("production") or ())


def production_from_share(shared: SharedComparison) -> dict[str, tuple[tuple[str, bytes], ...]]:
    """The production files a share holds, by slot (the last of its files; none: empty)."""
    kept: dict[str, tuple[tuple[str, bytes], ...]] = {}
    count = _production_count(shared.payload)
    if not count or len(shared.files) < count:
        return kept
    for (slot, _), file in zip(shared.payload["production"], shared.files[len(shared.files) - count:], strict=True):
        kept[slot] = (*kept.get(slot, ()), file)
    return kept


def spec_from_share(shared: SharedComparison) -> tuple[ComparisonSpec, dict[str, Any]]:
    """The comparison and view settings a share holds (its files end with the production files, before them the
    fine-tuning files, before them the judgments file)."""
    payload = shared.payload
    files, judgments = shared.files, None
    production = _production_count(payload)
    if production and len(files) >= len(payload["names"]) + production:
        files = files[:-production]
    training: tuple[tuple[str, bytes], ...] = ()
    count = len(payload.get("training_data") or ())
    if count and len(files) >= len(payload["names"]) + count:
        files, training = files[:-count], files[-count:]
    if payload.get("judgments") is not None and len(files) > len(payload["names"]):
        files, judgments = files[:-1], files[-1]
    spec = ComparisonSpec(files=files, names=tuple(payload["names"]), baseline=payload["baseline"],
                          options=options_from_dict(payload.get("options", {})),
                          settings=settings_from_dict(payload.get("settings", {})), origin="shared",
                          task=payload.get("task") if payload.get("task") in evaluation.TASKS else None,
                          judgments=judgments, training=training)
    view = dict(DEFAULT_VIEW) | {key: value for key, value in payload.get("view", {}).items() if key in DEFAULT_VIEW}
    return spec, view


def demo_spec(task: str = "classification") -> ComparisonSpec:
    """A bundled demo: digits (classification, the default), diabetes progression (regression) or generated text
    (generation, with a judge's pairwise preferences)."""
    if task == "generation":
        return ComparisonSpec(files=tuple((path.name, path.read_bytes()) for path in GENERATION_DEMO_FILES),
                              names=("base", "finetuned"), baseline="base", origin="demo", task="generation",
                              judgments=(GENERATION_DEMO_JUDGMENTS.name, GENERATION_DEMO_JUDGMENTS.read_bytes()))
    if task == "regression":
        return ComparisonSpec(files=tuple((path.name, path.read_bytes()) for path in REGRESSION_DEMO_FILES),
                              names=("base", "finetuned"), baseline="base", origin="demo", task="regression")
    return ComparisonSpec(files=tuple((path.name, path.read_bytes()) for path in DEMO_FILES),
                          names=("base", "finetuned"), baseline="base", origin="demo")


# --- computation (cached by content) ------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=8)
def _load(load_key: str, _spec: ComparisonSpec) -> ClassificationData | RegressionData | GenerationData:
    """Load and validate the files (keyed on :attr:`ComparisonSpec.load_key`), within the dashboard's limits."""
    options = dataclasses.replace(_spec.options, limits=evaluation.DASHBOARD_LIMITS)
    if _spec.resolved_task == "generation":
        return load_generation(list(_spec.files), names=list(_spec.names), options=options)
    if _spec.resolved_task == "regression":
        return evaluation.load_regression(list(_spec.files), names=list(_spec.names), options=options)
    return evaluation.load_classification(list(_spec.files), names=list(_spec.names), options=options)


@st.cache_data(show_spinner=False, max_entries=8)
def _compare(key: str, _spec: ComparisonSpec) -> Results | RegressionResults | GenerationResults:
    """Load (cached) and compare (keyed on :attr:`ComparisonSpec.key`)."""
    data = _load(_spec.load_key, _spec)
    if isinstance(data, GenerationData):
        return GenerationResults(data, compare_generation(data, settings=generation_settings(_spec.settings, data),
                                                          baseline=_spec.baseline))
    if isinstance(data, RegressionData):
        settings = _spec.settings
        if settings.primary_metric not in evaluation.statistics_of("regression"):  # a classification choice: the default
            settings = dataclasses.replace(settings, primary_metric="mean_absolute_error")
        return RegressionResults(data, evaluation.compare_regression(data, settings=settings, baseline=_spec.baseline))
    return Results(data, evaluation.compare(data, settings=_spec.settings, baseline=_spec.baseline))


def generation_settings(settings: Settings, data: GenerationData) -> Settings:
    """``settings`` for a generation comparison: another task's primary metric (or a score column not in these files)
    becomes BLEU."""
    known = set(evaluation.statistics_of("generation")) | set(data.models[0].scores if data.models else ())
    if settings.primary_metric in known:
        return settings
    return dataclasses.replace(settings, primary_metric=GENERATION_DEFAULT_PRIMARY)


def compute(spec: ComparisonSpec) -> Results | RegressionResults | GenerationResults:
    """The comparison's results, computed once per distinct content.

    Raises
    ------
    EvaluationError
        When a file cannot be evaluated (the message names the file).
    """
    session = st.session_state
    last = session.get("_results")
    if last is not None and last[0] == spec.key:  # the same comparison as the last run: no copy from the cache
        return last[1]
    with evaluation.stop_when(_session_ended()):
        results = _compare(spec.key, spec)
    session["_results"] = (spec.key, results)
    return results


def _session_ended() -> Callable[[], bool]:
    """A check that is true once this browser session has gone (tab closed, connection lost).

    The engine checks it between pieces of work, so a comparison nobody waits for any more stops
    instead of holding the server's cores. Without a server (AppTest, scripts) it is never true.
    """
    from streamlit.runtime import Runtime, exists
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    if context is None or not exists():
        return lambda: False
    runtime, session_id = Runtime.instance(), context.session_id
    return lambda: not runtime.is_active_session(session_id)


@st.cache_data(show_spinner=False, max_entries=32)
def inspect_upload(filename: str, digest: str, _content: bytes, task: str | None = None) -> Any:
    """What one uploaded file holds (within the dashboard's limits), cached on its name, the digest of its bytes
    and the task (``None``: detected from the file)."""
    chosen = task or evaluation.detect_task([(filename, _content)])
    if chosen == "generation":
        return _inspect_generation_file(filename, _content)
    if chosen == "regression":
        return evaluation.inspect_regression_file((filename, _content), limits=evaluation.DASHBOARD_LIMITS)
    return evaluation.inspect_file((filename, _content), limits=evaluation.DASHBOARD_LIMITS)


def _inspect_generation_file(filename: str, content: bytes) -> evaluation.FileSummary:
    """A generation file's rows and detected columns (reference as ``label``, output as ``prediction``), no classes."""
    return evaluation.inspect_generation_file((filename, content), limits=evaluation.DASHBOARD_LIMITS)


@st.cache_resource
def _share_store(path: str) -> ShareStore:
    return ShareStore(path)


def share_store() -> ShareStore:
    """The one store of this server (path from ``MODEL_COMPARE_SHARE_DB``)."""
    return _share_store(str(default_path()))


# --- session ------------------------------------------------------------------------------------

def init_session() -> None:
    """Set the session's defaults and open a shared link (``?c=TOKEN``) once per session."""
    session = st.session_state
    token = st.query_params.get("c")
    if token and token not in (session.get("shared_token"), session.get("failed_token")):
        unavailable, why = False, "This shared link is unknown, expired or was deleted. "
        try:
            shared = share_store().load(token)
            if shared is None:
                why = closed_link_message(share_store().status(token))  # expired or deleted, when the store knows
            opened = None if shared is None else (*spec_from_share(shared), production_from_share(shared))
        except ShareUnavailable:
            unavailable, opened = True, None
        except (KeyError, TypeError, ValueError):  # a payload this version cannot read
            opened = None
        if opened is None:
            session["failed_token"] = token
            session["share_error"] = (
                "This shared link cannot be opened right now: the server's share store is unavailable. "
                if unavailable else why) + (
                "Showing the demo comparison instead; upload your own files on the Data page.")
        else:
            session["spec"], session["view"], production = opened
            restore_production_files(production)
            session["shared_token"] = token
            session.pop("share_error", None)
    session.setdefault("spec", None)
    if session["spec"] is None:
        session["spec"] = demo_spec()
    session.setdefault("view", dict(DEFAULT_VIEW))
    shared_token = session.get("shared_token")
    if shared_token and st.query_params.get("c") != shared_token:
        st.query_params["c"] = shared_token  # keep the address bar shareable while browsing pages


def open_demo(task: str) -> None:
    """Show a bundled demo (a callback of the Data page's demo buttons)."""
    session = st.session_state
    session["spec"] = demo_spec(task)
    session["view"] = dict(DEFAULT_VIEW)
    session.pop("data_task", None)  # the task choice follows the comparison shown
    uploads.upload_errors().clear()


def leave_shared_view() -> None:
    """Back to the demo comparison (a callback of the 'Leave shared view' button)."""
    session = st.session_state
    session["shared_token"] = None
    session["spec"] = demo_spec()
    session["view"] = dict(DEFAULT_VIEW)
    st.query_params.pop("c", None)


def is_shared_view() -> bool:
    """Whether this session shows a shared comparison (read-only)."""
    return bool(st.session_state.get("shared_token"))


def current_spec() -> ComparisonSpec:
    """The comparison on display."""
    return st.session_state["spec"]


def set_current_spec(spec: ComparisonSpec) -> None:
    """Make ``spec`` the comparison on display (after it computed successfully)."""
    st.session_state["spec"] = spec


def view() -> dict[str, Any]:
    """The session's view settings (threshold, class_label, slice_column, candidate), shared by every page."""
    return st.session_state.setdefault("view", dict(DEFAULT_VIEW))


def choose_baseline(name: str) -> None:
    """Compare every other model of the comparison shown with ``name`` (the same files, options and settings).

    The candidate on view stays; if it was ``name``, the former baseline takes its place (the pair swaps).
    When the Data page's files are the ones shown, their baseline follows.
    """
    spec = current_spec()
    if name not in spec.names or name == spec.baseline:
        return
    chosen = view()
    if chosen.get("candidate") == name:
        chosen["candidate"] = spec.baseline
    set_current_spec(dataclasses.replace(spec, baseline=name))
    if uploads.uploads() == list(spec.files):
        uploads.set_upload_baseline(spec.files[spec.names.index(name)][0])


# --- mapping helpers --------------------------------------------------------------------------

def build_options(detected: ColumnMapping, chosen: Mapping[str, Any], *, positive_label: str | None,
                  class_order: Sequence[str] = ()) -> LoadOptions:
    """LoadOptions keeping detection wherever the user left the detected choice.

    ``chosen`` holds the user's ``id``, ``label``, ``prediction``, ``score`` (column or ``None``),
    ``probabilities`` (list of columns) and ``metadata`` (list of columns). Each probability column's
    class is read from its name as the engine's detection reads it. ``class_order`` puts these classes
    first in every table and chart (the others follow sorted).
    """
    values: dict[str, Any] = {}
    for role in ("id", "label", "prediction", "score"):
        if chosen.get(role) != getattr(detected, role):
            values[role] = chosen.get(role)
    detected_probabilities = sorted((detected.probabilities or {}).values())
    if sorted(chosen.get("probabilities") or []) != detected_probabilities:
        values["probabilities"] = {evaluation.class_of_probability_column(c): c for c in chosen.get("probabilities") or []}
    detected_metadata = sorted(detected.metadata or ())
    if sorted(chosen.get("metadata") or []) != detected_metadata:
        values["metadata"] = tuple(chosen.get("metadata") or ())
    return LoadOptions(mapping=ColumnMapping(**values), positive_label=positive_label,
                       class_order=tuple(class_order) or None)


def error_location(error: evaluation.EvaluationError, spec: ComparisonSpec) -> str | None:
    """The filename an error concerns (its ``file`` may be a filename, a path or a model name)."""
    if not error.file:
        return None
    for (filename, _), name in zip(spec.files, spec.names, strict=True):
        if error.file in (filename, name) or Path(str(error.file)).name == filename:
            return filename
    return None
