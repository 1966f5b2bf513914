"""The dashboard's logic, importable and testable without a browser.

What is being compared is one :class:`ComparisonSpec` (files, names, baseline, load options,
settings) kept in the session; :func:`compute` turns it into engine results, cached by content.
View settings (threshold, class, slice column) live in a small dict beside it. Pages call
:func:`init_session` (through ``app.py``), then :func:`compute`. Table builders at the bottom are
pure functions of engine results.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

import evaluation
from evaluation import ClassificationData, ColumnMapping, Comparison, ComparisonReport, LoadOptions, Settings

from .share_store import SharedComparison, ShareStore, default_path

__all__ = [
    "APP_DIR",
    "DASHBOARD_SETTINGS",
    "DEFAULT_VIEW",
    "DEMO_FILES",
    "PAYLOAD_VERSION",
    "PROBABILITY_PREFIXES",
    "THRESHOLD_COLUMNS",
    "UPLOAD_TYPES",
    "ComparisonSpec",
    "Results",
    "build_options",
    "calibration_table",
    "class_of_probability_column",
    "class_positive_and_scores",
    "compute",
    "current_spec",
    "default_model_name",
    "demo_spec",
    "differences_table",
    "error_location",
    "filter_flips",
    "find_operating_points",
    "flip_slices",
    "init_session",
    "inspect_upload",
    "is_shared_view",
    "leave_shared_view",
    "metrics_table",
    "on_upload_change",
    "options_from_dict",
    "options_to_dict",
    "per_class_table",
    "set_current_spec",
    "settings_from_dict",
    "settings_to_dict",
    "share_payload",
    "share_store",
    "slices_table",
    "spec_from_share",
    "threshold_table",
    "upload_digests",
    "upload_errors",
    "uploads",
    "uploads_signature",
    "view",
]

APP_DIR = Path(__file__).resolve().parent.parent
DEMO_FILES = (APP_DIR / "data" / "demo" / "base.csv", APP_DIR / "data" / "demo" / "finetuned.csv")
# Fewer resamples than the CLI's 10,000 so that a comparison shows within seconds (the bootstrap draws cell
# counts, so its cost does not grow with the rows); the Data page raises them for final numbers. Slices keep
# 1,000: a bootstrap p-value is at least 2/(B + 1), and after Holm's correction over 20 slices that floor must
# stay below alpha for a slice to be able to show a significant change.
DASHBOARD_SETTINGS = Settings(resamples=2_000, slice_resamples=1_000, target_precisions=(0.9,), target_recalls=(0.9,))
DEFAULT_VIEW: Mapping[str, Any] = MappingProxyType({"threshold": 0.5, "class_label": None, "slice_column": None})
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
    """

    files: tuple[tuple[str, bytes], ...]
    names: tuple[str, ...]
    baseline: str
    options: LoadOptions = field(default_factory=LoadOptions)
    settings: Settings = DASHBOARD_SETTINGS
    origin: str = "upload"

    @cached_property
    def load_key(self) -> str:
        """Digest of what loading depends on: the files' bytes and names, the model names, the options."""
        digest = hashlib.sha256()
        for filename, content in self.files:
            digest.update(filename.encode() + b"\0" + hashlib.sha256(content).digest())
        digest.update(json.dumps([list(self.names), options_to_dict(self.options)], sort_keys=True).encode())
        return digest.hexdigest()

    @cached_property
    def key(self) -> str:
        """Digest of everything the numbers depend on (:attr:`load_key` plus baseline and settings)."""
        extra = json.dumps([self.baseline, settings_to_dict(self.settings)], sort_keys=True)
        return hashlib.sha256((self.load_key + extra).encode()).hexdigest()


class Results(NamedTuple):
    """The loaded data and the engine's report of one comparison."""

    data: ClassificationData
    report: ComparisonReport


# --- conversions to and from JSON (sharing, cache keys) -------------------------------------------

def options_to_dict(options: LoadOptions) -> dict[str, Any]:
    """LoadOptions as a JSON-ready dict (the inverse of :func:`options_from_dict`)."""
    document = dataclasses.asdict(options)
    mapping = document["mapping"]
    mapping["probabilities"] = None if options.mapping.probabilities is None else dict(options.mapping.probabilities)
    mapping["metadata"] = None if options.mapping.metadata is None else list(options.mapping.metadata)
    document["labels"] = None if options.labels is None else list(options.labels)
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
    if values.get("labels") is not None:
        values["labels"] = tuple(values["labels"])
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


def share_payload(spec: ComparisonSpec, view: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON document stored with a share's files."""
    return {"version": PAYLOAD_VERSION, "names": list(spec.names), "baseline": spec.baseline,
            "options": options_to_dict(spec.options), "settings": settings_to_dict(spec.settings),
            "view": {key: view.get(key) for key in DEFAULT_VIEW}}


def spec_from_share(shared: SharedComparison) -> tuple[ComparisonSpec, dict[str, Any]]:
    """The comparison and view settings a share holds."""
    payload = shared.payload
    spec = ComparisonSpec(files=shared.files, names=tuple(payload["names"]), baseline=payload["baseline"],
                          options=options_from_dict(payload.get("options", {})),
                          settings=settings_from_dict(payload.get("settings", {})), origin="shared")
    view = dict(DEFAULT_VIEW) | {key: value for key, value in payload.get("view", {}).items() if key in DEFAULT_VIEW}
    return spec, view


def demo_spec() -> ComparisonSpec:
    """The bundled demo: digits, base vs fine-tuned."""
    return ComparisonSpec(files=tuple((path.name, path.read_bytes()) for path in DEMO_FILES),
                          names=("base", "finetuned"), baseline="base", origin="demo")


# --- computation (cached by content) ------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=8)
def _load(load_key: str, _spec: ComparisonSpec) -> ClassificationData:
    """Load and validate the files (keyed on :attr:`ComparisonSpec.load_key`)."""
    return evaluation.load_classification(list(_spec.files), names=list(_spec.names), options=_spec.options)


@st.cache_data(show_spinner=False, max_entries=8)
def _compare(key: str, _spec: ComparisonSpec) -> Results:
    """Load (cached) and compare (keyed on :attr:`ComparisonSpec.key`)."""
    data = _load(_spec.load_key, _spec)
    return Results(data, evaluation.compare(data, settings=_spec.settings, baseline=_spec.baseline))


def compute(spec: ComparisonSpec) -> Results:
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
    results = _compare(spec.key, spec)
    session["_results"] = (spec.key, results)
    return results


@st.cache_data(show_spinner=False, max_entries=32)
def inspect_upload(filename: str, digest: str, _content: bytes) -> Any:
    """:func:`evaluation.inspect_file` of one uploaded file, cached on its name and the digest of its bytes."""
    return evaluation.inspect_file((filename, _content))


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
        shared = share_store().load(token)
        try:
            opened = None if shared is None else spec_from_share(shared)
        except (KeyError, TypeError, ValueError):  # a payload this version cannot read
            opened = None
        if opened is None:
            session["failed_token"] = token
            session["share_error"] = ("This shared link is unknown or was deleted. Showing the demo comparison "
                                      "instead; upload your own files on the Data page.")
        else:
            session["spec"], session["view"] = opened
            session["shared_token"] = token
            session.pop("share_error", None)
    session.setdefault("spec", None)
    if session["spec"] is None:
        session["spec"] = demo_spec()
    session.setdefault("view", dict(DEFAULT_VIEW))
    shared_token = session.get("shared_token")
    if shared_token and st.query_params.get("c") != shared_token:
        st.query_params["c"] = shared_token  # keep the address bar shareable while browsing pages


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
    """The session's view settings (threshold, class_label, slice_column), shared by every page."""
    return st.session_state.setdefault("view", dict(DEFAULT_VIEW))


# --- mapping helpers --------------------------------------------------------------------------

PROBABILITY_PREFIXES = ("prob_", "proba_", "probability_", "p_", "score_")


def class_of_probability_column(column: str) -> str:
    """The class a probability column stands for (``prob_cat`` -> ``cat``).

    >>> class_of_probability_column("prob_3"), class_of_probability_column("dog")
    ('3', 'dog')
    """
    for prefix in PROBABILITY_PREFIXES:
        if column.lower().startswith(prefix) and len(column) > len(prefix):
            return column[len(prefix):]
    return column


def build_options(detected: ColumnMapping, chosen: Mapping[str, Any], *, positive_label: str | None) -> LoadOptions:
    """LoadOptions keeping detection wherever the user left the detected choice.

    ``chosen`` holds the user's ``id``, ``label``, ``prediction``, ``score`` (column or ``None``),
    ``probabilities`` (list of columns) and ``metadata`` (list of columns).
    """
    values: dict[str, Any] = {}
    for role in ("id", "label", "prediction", "score"):
        if chosen.get(role) != getattr(detected, role):
            values[role] = chosen.get(role)
    detected_probabilities = sorted((detected.probabilities or {}).values())
    if sorted(chosen.get("probabilities") or []) != detected_probabilities:
        values["probabilities"] = {class_of_probability_column(c): c for c in chosen.get("probabilities") or []}
    detected_metadata = sorted(detected.metadata or ())
    if sorted(chosen.get("metadata") or []) != detected_metadata:
        values["metadata"] = tuple(chosen.get("metadata") or ())
    return LoadOptions(mapping=ColumnMapping(**values), positive_label=positive_label)


def error_location(error: evaluation.EvaluationError, spec: ComparisonSpec) -> str | None:
    """The filename an error concerns (its ``file`` may be a filename, a path or a model name)."""
    if not error.file:
        return None
    for (filename, _), name in zip(spec.files, spec.names, strict=True):
        if error.file in (filename, name) or Path(str(error.file)).name == filename:
            return filename
    return None


# --- tables (pure functions of engine results) ----------------------------------------------------

def _interval(low: float, high: float, *, signed: bool = False) -> str:
    return f"[{evaluation.format_number(low, signed=signed)}, {evaluation.format_number(high, signed=signed)}]"


def _p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "n/a"
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}" if p < 0.01 else f"{p:.3f}"


def metrics_table(report: ComparisonReport, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Headline metrics: one row per metric, one column per model, ``value [low, high]``."""
    rows = []
    for metric, info in evaluation.METRICS.items():
        if metrics is not None and metric not in metrics:
            continue
        cells = {}
        for name, model in report.models.items():
            estimate = model.metrics.get(metric)
            cells[name] = "n/a" if estimate is None else (
                f"{evaluation.format_number(estimate.value)} {_interval(estimate.ci_low, estimate.ci_high)}")
        if any(cell != "n/a" for cell in cells.values()):
            rows.append({"metric": info.title + ("" if info.higher_is_better else " (lower is better)")} | cells)
    return pd.DataFrame(rows)


def differences_table(comparison: Comparison) -> pd.DataFrame:
    """Paired differences of one candidate: difference, interval, p-values, test, verdict."""
    return pd.DataFrame([{
        "metric": evaluation.METRICS[metric].title if metric in evaluation.METRICS else metric,
        comparison.baseline: evaluation.format_number(d.baseline_value),
        comparison.candidate: evaluation.format_number(d.candidate_value),
        "difference": evaluation.format_number(d.difference, signed=True),
        "interval": _interval(d.ci_low, d.ci_high, signed=True),
        "p": _p(d.p_value), "p adjusted": _p(d.p_value_adjusted), "test": d.test, "verdict": d.verdict,
    } for metric, d in comparison.metrics.items()])


def per_class_table(report: ComparisonReport, comparison: Comparison, metric: str) -> pd.DataFrame:
    """Per-class ``metric`` of both models, their difference and its adjusted p-value."""
    support = report.models[report.baseline].support
    rows = []
    for label, values in comparison.per_class.items():
        d = values[metric]
        rows.append({"class": label, "support": support.get(label, 0),
                     comparison.baseline: evaluation.format_number(d.baseline_value),
                     comparison.candidate: evaluation.format_number(d.candidate_value),
                     "difference": evaluation.format_number(d.difference, signed=True),
                     "interval": _interval(d.ci_low, d.ci_high, signed=True),
                     "p adjusted": _p(d.p_value_adjusted), "verdict": d.verdict})
    return pd.DataFrame(rows)


def class_positive_and_scores(data: ClassificationData, label: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One-vs-rest truth for ``label`` and each model's probability of it (models without probabilities left out)."""
    index = data.classes.index(label)
    positive = data.y_true == index
    scores = {model.name: model.y_score[:, index] for model in data.models if model.y_score is not None}
    return positive, scores


THRESHOLD_COLUMNS: Mapping[str, str] = MappingProxyType({
    "precision": "precision", "recall": "recall", "f1": "F1", "specificity": "specificity",
    "false_positive_rate": "false-positive rate", "accuracy": "accuracy", "predicted_positive_rate": "share flagged",
})


def threshold_table(data: ClassificationData, label: str, threshold: float) -> pd.DataFrame:
    """Each model's one-vs-rest metrics for ``label`` when predicting it at ``score >= threshold``."""
    positive, scores = class_positive_and_scores(data, label)
    rows = []
    for name, score in scores.items():
        values = evaluation.metrics_at_threshold(positive, score, threshold)
        rows.append({"model": name} | {title: evaluation.format_number(values[column])
                                       for column, title in THRESHOLD_COLUMNS.items()}
                    | {"TP": values["true_positives"], "FP": values["false_positives"],
                       "FN": values["false_negatives"], "TN": values["true_negatives"]})
    return pd.DataFrame(rows)


def calibration_table(report: ComparisonReport) -> pd.DataFrame:
    """ECE, Brier score and log loss of every model with their intervals."""
    rows = []
    for name, model in report.models.items():
        row = {"model": name}
        for metric in ("expected_calibration_error", "brier_score", "log_loss"):
            estimate = model.metrics.get(metric)
            row[evaluation.METRICS[metric].title] = "n/a" if estimate is None else (
                f"{evaluation.format_number(estimate.value, digits=4)} "
                f"[{evaluation.format_number(estimate.ci_low, digits=4)}, "
                f"{evaluation.format_number(estimate.ci_high, digits=4)}]")
        rows.append(row)
    return pd.DataFrame(rows)


def slices_table(comparison: Comparison, column: str | None, metric: str) -> pd.DataFrame:
    """Slices of one column (all columns when ``None``) on ``metric``, worst first as the engine ranks them."""
    rows = []
    for entry in comparison.slices:
        if (column is not None and entry.column != column) or metric not in entry.metrics:
            continue
        m = entry.metrics[metric]
        rows.append({"column": entry.column, "value": entry.value, "n": entry.n,
                     comparison.baseline: evaluation.format_number(m.baseline.value),
                     comparison.candidate: evaluation.format_number(m.candidate.value),
                     "difference": evaluation.format_number(m.difference.difference, signed=True),
                     "interval": _interval(m.difference.ci_low, m.difference.ci_high, signed=True),
                     "p adjusted": _p(m.difference.p_value_adjusted),
                     "verdict": "too small: not tested" if entry.insufficient else m.difference.verdict})
    return pd.DataFrame(rows)


def filter_flips(table: pd.DataFrame, *, kinds: Sequence[str], classes: Sequence[str] | None = None,
                 slice_column: str | None = None, slice_values: Sequence[str] | None = None,
                 slice_of_row: np.ndarray | None = None) -> pd.DataFrame:
    """Rows of :func:`evaluation.flip_table` of the given kinds, true classes and slice values.

    ``slice_of_row`` gives each row's slice value of ``slice_column`` (binned as the engine bins it).
    """
    keep = table["kind"].isin(list(kinds)).to_numpy()
    if classes:
        keep = keep & table["label"].astype(str).isin(list(classes)).to_numpy()
    if slice_column and slice_values and slice_of_row is not None:
        keep = keep & np.isin(slice_of_row, list(slice_values))
    return table.loc[keep].reset_index(drop=True)


def flip_slices(data: ClassificationData, table: pd.DataFrame, column: str) -> np.ndarray:
    """Each flip-table row's slice value of ``column``, binned as the engine's slices are."""
    labels = evaluation.slice_labels(data.metadata[[column]]).get(column)
    if labels is None:
        return table[column].astype(str).to_numpy() if column in table else np.full(len(table), "", dtype=object)
    position = pd.Index(data.ids.astype(str)).get_indexer(table["id"].astype(str))
    return labels[position]


def find_operating_points(positive: np.ndarray, scores: Mapping[str, np.ndarray], *,
                          target_precision: float | None, target_recall: float | None) -> pd.DataFrame:
    """Exact operating points of every model: best F1, and the thresholds reaching the targets.

    ``precision>=P`` is the lowest threshold whose precision reaches P (the most recall at that
    precision); ``recall>=R`` the highest threshold whose recall reaches R; best F1 the highest
    threshold on ties (the engine's conventions).
    """
    rows = []
    for name, score in scores.items():
        order = np.argsort(-score, kind="stable")
        ranked, hits = score[order], positive[order]
        last = np.r_[np.flatnonzero(np.diff(ranked)), ranked.shape[0] - 1]  # last index of each distinct score
        tp = np.cumsum(hits)[last].astype(float)
        fp = (last + 1) - tp
        total = max(float(positive.sum()), 1.0)
        precision, recall = tp / (tp + fp), tp / total
        f1 = np.divide(2 * tp, tp + fp + total, out=np.zeros_like(tp), where=(tp + fp + total) > 0)
        candidates = [("best F1", int(np.flatnonzero(f1 == f1.max())[0]) if f1.size else None)]
        if target_precision is not None:
            reached = np.flatnonzero(precision >= target_precision)
            candidates.append((f"precision >= {target_precision:g}", int(reached[-1]) if reached.size else None))
        if target_recall is not None:
            reached = np.flatnonzero(recall >= target_recall)
            candidates.append((f"recall >= {target_recall:g}", int(reached[0]) if reached.size else None))
        for point, i in candidates:
            rows.append({"model": name, "point": point,
                         "threshold": "not reachable" if i is None else evaluation.format_number(ranked[last[i]], digits=4),
                         "precision": "n/a" if i is None else evaluation.format_number(precision[i]),
                         "recall": "n/a" if i is None else evaluation.format_number(recall[i]),
                         "f1": "n/a" if i is None else evaluation.format_number(f1[i])})
    return pd.DataFrame(rows)


# --- uploads --------------------------------------------------------------------------------------

UPLOAD_TYPES = ("csv", "tsv", "tab", "parquet", "pq", "jsonl", "ndjson", "gz")
_EXTENSIONS = (".gz", ".csv", ".tsv", ".tab", ".parquet", ".pq", ".jsonl", ".ndjson")


def default_model_name(filename: str) -> str:
    """A model's default name: the file name without its extensions.

    >>> default_model_name("ft_v1.csv.gz"), default_model_name("base.parquet")
    ('ft_v1', 'base')
    """
    name = Path(filename).name
    for extension in _EXTENSIONS:
        if name.lower().endswith(extension) and len(name) > len(extension):
            name = name[: -len(extension)]
    return name


def on_upload_change(widget_key: str) -> None:
    """Mirror the uploader into the session (a callback): files then survive switching pages."""
    files = [(file.name, file.getvalue()) for file in st.session_state.get(widget_key) or []]
    st.session_state["uploads"] = files
    st.session_state["upload_digests"] = [hashlib.sha256(content).hexdigest() for _, content in files]
    st.session_state["upload_errors"] = {}


def uploads() -> list[tuple[str, bytes]]:
    """The uploaded files kept in this session, ``(filename, content)``."""
    return list(st.session_state.get("uploads") or [])


def upload_digests() -> list[str]:
    """SHA-256 of each uploaded file's bytes (computed once, at upload), in the order of :func:`uploads`."""
    return list(st.session_state.get("upload_digests") or [])


def uploads_signature(files: Sequence[tuple[str, bytes]], digests: Sequence[str]) -> str:
    """A short digest of a set of files (names and content digests), to key widgets that depend on them."""
    return hashlib.sha256(json.dumps([[name for name, _ in files], list(digests)]).encode()).hexdigest()[:12]


def upload_errors() -> dict[str, str]:
    """Messages of the last failed computation, by filename (``""`` for errors about no single file)."""
    return st.session_state.setdefault("upload_errors", {})
