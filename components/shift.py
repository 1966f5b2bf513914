"""The Shift page's logic: is the test set like production?

The test set is the baseline's prediction file of the comparison shown (:func:`test_file`); the production file is
kept in the session (:func:`components.uploads.production_upload`). :func:`shift_report` is the one engine call,
:func:`evaluation._shift.read_shift` then :func:`evaluation._shift.analyze_shift` (what the ``shift`` command runs)
with the comparison's column options and its settings (alpha, confidence, resamples, seed), cached by content. The
sentences and tables are pure functions of the report; :func:`production_section` is the page's uploader.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pandas as pd
import streamlit as st

import evaluation
from evaluation import ShiftReport, analyze_shift, format_number, format_p_value, read_shift

from . import access, charts_shift, render, state, uploads

__all__ = ["DEMO_PRODUCTION", "classifier_sentence", "columns_frame", "compute_shift", "drift_sentence", "headline",
           "production_section", "reweighted_sentence", "shift_report", "slices_frame", "test_file"]

DEMO_PRODUCTION = state.APP_DIR / "data" / "demo" / "shift_production.csv"
"""Later production traffic of the classification demo's model (``scripts/make_demo_shift.py``)."""


def test_file(spec: state.ComparisonSpec) -> tuple[str, bytes]:
    """The test side: the baseline's prediction file."""
    return spec.files[spec.names.index(spec.baseline)]


def compute_shift(spec: state.ComparisonSpec, production: tuple[str, bytes]) -> ShiftReport:
    """The shift between the baseline's file of ``spec`` and ``production``, with the comparison's column options
    (within the dashboard's limits) and settings.

    Raises
    ------
    EvaluationError
        A file that cannot be read, or no column both files have (the message names the file).
    """
    options = dataclasses.replace(spec.options, limits=evaluation.DASHBOARD_LIMITS)
    data = read_shift(test_file(spec), production, options=options, task=spec.resolved_task)
    settings = spec.settings
    return analyze_shift(data, alpha=settings.alpha, confidence=settings.confidence, resamples=settings.resamples,
                         seed=settings.seed)


@st.cache_data(show_spinner=False, max_entries=8)
def _shift(key: str, _spec: state.ComparisonSpec, _production: tuple[str, bytes]) -> ShiftReport:
    """:func:`compute_shift`, cached on ``key``."""
    return compute_shift(_spec, _production)


def shift_report(spec: state.ComparisonSpec, production: tuple[str, bytes]) -> ShiftReport:
    """:func:`compute_shift` computed once per test file, options, settings and production file.

    Raises
    ------
    EvaluationError
        As :func:`compute_shift`.
    """
    name, content = test_file(spec)
    parts = [name, hashlib.sha256(content).hexdigest(), production[0], hashlib.sha256(production[1]).hexdigest(),
             state.options_to_dict(spec.options), state.settings_to_dict(spec.settings), spec.resolved_task]
    return _shift(hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest(), spec, production)


# --- sentences and tables (pure) --------------------------------------------------------------------

def classifier_sentence(report: ShiftReport) -> str | None:
    """The domain classifier's AUC with its interval and the columns it relies on (Markdown); ``None`` without one."""
    classifier = report.domain_classifier
    if classifier is None:
        return None
    level = round(report.confidence * 100)
    tops = ", ".join(render.text(t.column) for t in classifier.top_columns)
    return (f"A classifier tells production rows from test rows with ROC AUC **{format_number(classifier.auc)}** "
            f"({level}% CI {format_number(classifier.ci_low)} to {format_number(classifier.ci_high)}); 0.5 means no "
            "detectable shift." + (f" It relies most on {tops}." if tops else ""))


def drift_sentence(report: ShiftReport) -> str:
    """How many columns drifted, and which (Markdown)."""
    drifted = report.drifted_columns
    if not drifted:
        return f"**No column drifted** of the {len(report.columns)} compared."
    return (f"**{len(drifted)} of {len(report.columns)} columns drifted**: "
            + ", ".join(render.text(name) for name in drifted) + ".")


def reweighted_sentence(report: ShiftReport) -> str | None:
    """The engine's sentence on re-weighted performance, as a sentence (Markdown); ``None`` without re-weighting."""
    if report.reweighted is None:
        return None
    sentence = render.text(report.reweighted.sentence)
    return sentence[0].upper() + sentence[1:] + "."


def columns_frame(report: ShiftReport) -> pd.DataFrame:
    """One row per column, worst first: effect size and interval, the test, adjusted p-values, PSI, drifted."""
    level = round(report.confidence * 100)
    return pd.DataFrame([{
        "column": c.column, "kind": c.kind, "effect size": charts_shift.STATISTIC_TITLES.get(c.statistic, c.statistic),
        "value": format_number(c.value), f"{level}% CI": f"{format_number(c.ci_low)} to {format_number(c.ci_high)}",
        "permutation p (Holm)": format_p_value(c.permutation_p_value_adjusted), "test": c.test,
        "p adjusted (Holm)": format_p_value(c.p_value_adjusted), "PSI": format_number(c.psi),
        "drifted": "yes" if c.drifted else "no"} for c in charts_shift.drift_order(report.columns)])


def slices_frame(report: ShiftReport) -> pd.DataFrame:
    """The re-weighting column's slices: their shares of the test set and of production, the test rows and the weight
    each test row gets (production's share over the test set's)."""
    reweighted = report.reweighted
    if reweighted is None:
        return pd.DataFrame(columns=["slice", "test share", "production share", "test rows", "weight"])
    return pd.DataFrame([{"slice": s.slice, "test share": f"{s.test_share:.1%}",
                          "production share": f"{s.production_share:.1%}", "test rows": s.test_rows,
                          "weight": format_number(s.production_share / s.test_share if s.test_share else float("nan"),
                                                  digits=2)}
                         for s in reweighted.slices])


# --- render helpers ---------------------------------------------------------------------------------

def headline(report: ShiftReport) -> None:
    """Three tiles (drifted columns, the domain classifier's AUC, the first re-weighted metric) and the sentences."""
    drifted, classifier, reweighted = report.drifted_columns, report.domain_classifier, report.reweighted
    level = round(report.confidence * 100)
    left, middle, right = st.columns(3)
    left.metric("Drifted columns", f"{len(drifted)} of {len(report.columns)}")
    left.caption(", ".join(render.text(name) for name in drifted) if drifted else "None moved beyond the rule.")
    if classifier is not None:
        middle.metric("Domain classifier ROC AUC", format_number(classifier.auc))
        middle.caption(f"{level}% CI {format_number(classifier.ci_low)} to {format_number(classifier.ci_high)}; 0.5 "
                       "means no detectable shift.")
    if reweighted is not None and reweighted.metrics:
        name, metric = next(iter(reweighted.metrics.items()))
        right.metric(f"{evaluation.metric_title(name)} expected on production", format_number(metric.value, digits=2),
                     delta=f"{format_number(metric.value - metric.test_set_value, signed=True, digits=2)} vs the test "
                           "set", delta_color="normal" if evaluation.higher_is_better(name) else "inverse")
        right.caption(f"{level}% CI {format_number(metric.ci_low, digits=2)} to {format_number(metric.ci_high, digits=2)} "
                      f"on production's mix of {render.text(reweighted.column)}; "
                      f"{format_number(metric.test_set_value, digits=2)} on the test set.")
    said = [drift_sentence(report), classifier_sentence(report), reweighted_sentence(report)]
    show = st.warning if drifted else st.success
    show("\n\n".join(line for line in said if line), icon=":material/compare_arrows:")


def _load_demo() -> None:
    """Keep the demo's production file (a callback of the demo button)."""
    uploads.set_production(DEMO_PRODUCTION.name, DEMO_PRODUCTION.read_bytes())


def production_section(spec: state.ComparisonSpec, *, key_prefix: str) -> tuple[str, bytes] | None:
    """The production file's uploader (and, on the classification demo, a button that loads the demo's), the kept file
    with its Remove button; returns the kept file, or ``None`` (also while uploads are locked,
    :func:`components.access.gate`)."""
    kept = uploads.production_upload()
    if not access.gate("upload files", key_prefix):
        return None
    key = uploads.production_uploader_key()
    st.file_uploader("Production file: the same model's predictions and/or probabilities on production rows, with the "
                     "metadata columns; no labels needed. A new file takes the place of the kept one.",
                     type=list(uploads.UPLOAD_TYPES), key=key, on_change=uploads.on_production_change, args=(key,))
    if spec.origin == "demo" and spec.resolved_task == "classification":
        st.button("Load the demo's production traffic (shift_production.csv)", key=f"{key_prefix}_demo",
                  icon=":material/science:", on_click=_load_demo)
    if kept is None:
        return None
    left, right = st.columns([3, 1])
    left.markdown(f"Production file: **{render.text(kept.filename)}**")
    right.button("Remove", key=f"{key_prefix}_production_remove", icon=":material/delete:",
                 on_click=uploads.remove_production)
    return kept.filename, kept.content
