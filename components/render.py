"""Small Streamlit render helpers shared by the pages; each takes a ``key_prefix`` for its widget keys."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import runpy
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlsplit

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import evaluation
from evaluation import (
    Comparison,
    ComparisonReport,
    GenerationComparison,
    GenerationReport,
    RegressionComparison,
    RegressionReport,
)

from . import html_report, scorecard, share_panel, state, uploads

__all__ = [
    "PUBLIC_URL_VARIABLE", "any_page_start", "candidate_selector", "ensure_entrypoint", "file_name", "file_section",
    "first_screen", "generation_page_start", "labelled_page_start", "mapping_inputs", "page_start", "plot",
    "regression_page_start",
    "settings_inputs", "share_link",
    "sidebar", "small_table", "table", "text", "unexpected_error", "verdict_box", "view_selectbox",
]

DATA_PAGE = "pages/data.py"
PUBLIC_URL_VARIABLE = "MODEL_COMPARE_PUBLIC_URL"
_log = logging.getLogger(__name__)
APP_PATH = Path(__file__).resolve().parent.parent / "app.py"


def plot(fig: go.Figure, *, key: str, legend_below: bool = False) -> None:
    """An interactive Plotly chart as wide as its container (``legend_below`` for narrow columns)."""
    if legend_below:
        fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0, "xanchor": "left"},
                          margin={"r": 20, "b": 150})
    st.plotly_chart(fig, width="stretch", key=key, config={"displaylogo": False})


def table(frame: pd.DataFrame, *, key: str, height: int | None = None, max_rows: int = 25) -> None:
    """A read-only table without the index, tall enough for ``max_rows`` rows before it scrolls."""
    rows = min(len(frame), max_rows)
    st.dataframe(frame, hide_index=True, width="stretch", height=height or 38 + 35 * max(rows, 1), key=key)


def ensure_entrypoint() -> None:
    """Make sure the page runs inside ``app.py`` (its state, navigation and sidebar).

    Streamlit treats an app with a ``pages/`` folder as a legacy multipage app until ``st.navigation`` is
    called, so the first session of a fresh server that opens ``/slices`` (and every ``AppTest`` run after
    the first) runs the page alone. The page then runs ``app.py`` in its place, which leaves that mode and
    runs this same page (same URL path) inside the app, and stops: no rerun, so a click is not lost.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy mode
        return
    if PagesManager.uses_pages_directory:
        runpy.run_path(str(APP_PATH), run_name="__main__")
        st.stop()
    if "spec" not in st.session_state:
        state.init_session()


def unexpected_error(error: Exception) -> None:
    """A short apology with a reference for an error that is a bug; the traceback goes to the server's log.

    What the session holds (uploads, the comparison, shared links) is kept: the visitor can go on.
    """
    reference = secrets.token_hex(4)
    _log.error("unexpected error (reference %s)", reference, exc_info=error)
    st.error(f"Sorry, something went wrong on our side and this part of the page could not be shown (reference "
             f"{reference}). Your files and settings are kept; try another page, or send the reference to whoever "
             "runs this dashboard.", icon=":material/report:")


def verdict_box(sentence: str, *, outcome: str) -> None:
    """A candidate's verdict (Markdown) in the colour of its :attr:`evaluation.CandidateVerdict.outcome`: red when
    the primary metric is worse, amber when anything else regressed, green when better with nothing worse, blue
    otherwise."""
    show = {"worse": st.error, "mixed": st.warning, "better": st.success}.get(outcome, st.info)
    show(sentence)


def first_screen(report: ComparisonReport | RegressionReport | GenerationReport, *,
                 after_verdicts: Callable[[], None] | None = None) -> None:
    """What a stakeholder reads first, for every task: each candidate's verdict (then ``after_verdicts``, e.g. the
    leakage lines), the scorecard, a leaderboard of several candidates, and the report's warnings."""
    st.subheader("Verdict")
    for comparison in report.comparisons:
        verdict_box(evaluation.verdict_sentence(comparison, report, markup=True),
                    outcome=evaluation.candidate_verdict(comparison, report).outcome)
    if after_verdicts is not None:
        after_verdicts()
    st.subheader("Scorecard")
    st.html(scorecard.scorecard_html(scorecard.scorecard(report)))
    if len(report.comparisons) > 1:
        st.subheader("Leaderboard")
        st.html(scorecard.leaderboard_html(scorecard.leaderboard(report)))
    for warning in report.warnings:
        st.warning(text(warning))


def file_name(name: str) -> str:
    """A download's file name made of safe characters only (model names can hold anything).

    >>> file_name('flips-<a href="x">-vs-base.csv')
    'flips-_a_href_x_-vs-base.csv'
    """
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9._-]", "_", name))[:120]


def text(value: object) -> str:
    """User-supplied text (a model name, a label, a file name, a message quoting them) as literal Markdown."""
    return evaluation.escape_markdown(value)


def small_table(frame: pd.DataFrame, *, index: str) -> None:
    """A short static table (all rows visible, text in the page), rows named by the ``index`` column.

    ``st.table`` renders Markdown in its cells, so every text cell, name and header is escaped.
    """
    frame = frame.set_index(index) if index in frame.columns else frame
    frame = frame.rename(index=evaluation.markdown_cell, columns=evaluation.markdown_cell)
    st.table(frame.map(lambda cell: evaluation.markdown_cell(cell) if isinstance(cell, str) else cell))


def _notes(key_prefix: str) -> None:
    """Demo, shared-view and bad-link notes shown at the top of every page."""
    session = st.session_state
    if session.get("share_error") and st.query_params.get("c") == session.get("failed_token"):
        st.error(session["share_error"])
    spec = state.current_spec()
    if state.is_shared_view():
        st.info("**Shared view** (read-only): this comparison was shared with you with its settings. "
                "You can explore it; uploads and settings cannot change it.", icon=":material/link:")
        st.button("Leave shared view", key=f"{key_prefix}_leave_shared", on_click=state.leave_shared_view)
    elif spec.origin == "demo":
        what = {"regression": "a model of diabetes progression one year on (regression), `base` vs `finetuned`",
                "generation": "a model that writes text (generation), `base` vs `finetuned`"}.get(
                    spec.task or "", "a handwritten-digit classifier, `base` vs `finetuned`")
        st.info(f"**Demo data**: {what} (data/demo). To compare your own models, upload two or more prediction "
                "files on the Data page, or open the other demo there.", icon=":material/science:")
        st.page_link(DATA_PAGE, label="Upload your own prediction files", icon=":material/upload_file:")


def any_page_start(title: str, key_prefix: str) -> state.Results | state.RegressionResults | state.GenerationResults | None:
    """Title, notes and the current comparison's results (computed with a spinner), or ``None`` on failure."""
    ensure_entrypoint()
    st.title(title)
    _notes(key_prefix)
    spec = state.current_spec()
    try:
        with st.spinner("Computing the comparison..."):
            results = state.compute(spec)
    except evaluation.EvaluationError as error:
        st.error(f"This comparison cannot be computed: {text(error.message)}")
        return None
    report = results.report
    kind = ("Regression task" if isinstance(report, RegressionReport)
            else "Generation task" if isinstance(report, GenerationReport)
            else f"{report.task.capitalize()} task · {len(report.classes)} classes")
    st.caption(f"{kind} · {report.n_examples:,} paired examples · baseline **{text(report.baseline)}** · "
               f"{round(report.settings.confidence * 100)}% intervals · alpha {report.settings.alpha} "
               f"({report.settings.correction} correction) · {report.settings.resamples:,} resamples")
    return results


def page_start(title: str, key_prefix: str) -> state.Results | None:
    """:func:`any_page_start` for a page that shows classification only (a regression comparison gets a note)."""
    results = any_page_start(title, key_prefix)
    if isinstance(results, (state.RegressionResults, state.GenerationResults)):
        st.info("This page is for classification; the comparison shown is not one. See the Overview and "
                "Examples pages.", icon=":material/info:")
        return None
    return results


def labelled_page_start(title: str, key_prefix: str) -> state.Results | state.RegressionResults | None:
    """:func:`any_page_start` for a page that shows classification and regression (a text generation gets a note)."""
    results = any_page_start(title, key_prefix)
    if isinstance(results, state.GenerationResults):
        st.info("This page is for classification and regression; the comparison shown is a text generation.",
                icon=":material/info:")
        return None
    return results


def regression_page_start(title: str, key_prefix: str) -> state.RegressionResults | None:
    """:func:`any_page_start` for a page that shows regression only (a classification comparison gets a note)."""
    results = any_page_start(title, key_prefix)
    if isinstance(results, (state.Results, state.GenerationResults)):
        st.info("This page is for regression; the comparison shown is not a regression.", icon=":material/info:")
        return None
    return results


def generation_page_start(title: str, key_prefix: str) -> state.GenerationResults | None:
    """:func:`any_page_start` for a page that shows text generation only (another task gets a note)."""
    results = any_page_start(title, key_prefix)
    if results is not None and not isinstance(results, state.GenerationResults):
        st.info("This page is for text generation; the comparison shown is not one.", icon=":material/info:")
        return None
    return results


@overload
def candidate_selector(report: ComparisonReport, key_prefix: str) -> Comparison: ...


@overload
def candidate_selector(report: RegressionReport, key_prefix: str) -> RegressionComparison: ...


@overload
def candidate_selector(report: GenerationReport, key_prefix: str) -> GenerationComparison: ...


@overload
def candidate_selector(report: ComparisonReport | RegressionReport | GenerationReport,
                       key_prefix: str) -> Comparison | RegressionComparison | GenerationComparison: ...


def candidate_selector(report: ComparisonReport | RegressionReport | GenerationReport,
                       key_prefix: str) -> Comparison | RegressionComparison | GenerationComparison:
    """The comparison to show: the only candidate, or the one chosen when there are several.

    The choice is the session's view ``candidate``: every page shows the same one and a share link
    carries it. Beside it, "Compare against" makes another model the baseline of every page (not in a
    shared view, which is read-only), so that any two versions can be compared.
    """
    if len(report.comparisons) == 1:
        return report.comparisons[0]
    names = [comparison.candidate for comparison in report.comparisons]
    view = state.view()
    left, right = st.columns(2)
    chosen = left.selectbox(f"Candidate compared with {text(report.baseline)}", names, key=f"{key_prefix}_candidate",
                            index=names.index(view["candidate"]) if view.get("candidate") in names else 0)
    view["candidate"] = chosen
    models = list(state.current_spec().names)
    if report.baseline in models and not state.is_shared_view():
        baseline_key = f"{key_prefix}_baseline"
        right.selectbox("Compare against (the baseline of every page)", models, index=models.index(report.baseline),
                        key=baseline_key, on_change=lambda: state.choose_baseline(st.session_state[baseline_key]))
    return report.comparisons[names.index(chosen)]


def view_selectbox(label: str, options: Sequence[Any], view_key: str, key_prefix: str, *,
                   format_func: Callable[[Any], str] = str, help: str | None = None) -> Any:
    """A selectbox whose value is kept in the session's view settings (shared by pages and by Share)."""
    view = state.view()
    options = list(options)
    index = options.index(view[view_key]) if view.get(view_key) in options else 0
    value = st.selectbox(label, options, index=index, key=f"{key_prefix}_{view_key}", format_func=format_func, help=help)
    view[view_key] = value
    return value


def share_link(token: str) -> str:
    """The link that opens a share: ``$MODEL_COMPARE_PUBLIC_URL/?c=TOKEN`` when the server's public address
    is configured (behind a reverse proxy, on a team's network), else this server as the browser reaches it."""
    public = os.environ.get(PUBLIC_URL_VARIABLE, "").strip().rstrip("/")
    if public:
        return f"{public}/?c={token}"
    url = st.context.url  # None without a browser (AppTest): fall back to the Host header, then the config
    if url:
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
    elif st.context.headers and st.context.headers.get("Host"):
        base = f"http://{st.context.headers.get('Host')}"
    else:
        base = f"http://{st.get_option('server.address') or 'localhost'}:{st.get_option('server.port')}"
    path = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{base}/{path + '/' if path else ''}?c={token}"


def _share(key_prefix: str) -> None:
    """The Share section: expiry and Share button, this session's links, and deleting any link with its key."""
    share_panel.share_section(key_prefix, link=share_link)


def _html_export(spec: state.ComparisonSpec, report: ComparisonReport | RegressionReport | GenerationReport) -> str:
    """The HTML report, with the leakage section when the comparison has fine-tuning files (as the command line's)."""
    page = str(html_report.report_html(report))
    if not spec.training:
        return page
    from . import leakage  # here: it imports this module

    try:
        section = leakage.leakage(spec, report).section
    except evaluation.EvaluationError:  # the Overview names the problem; the report keeps the rest
        return page
    return str(html_report.with_leakage(page, section, evaluation.task_named(spec.resolved_task).to_dict(report)))


def sidebar(key_prefix: str) -> None:
    """Share and export, on every page."""
    spec = state.current_spec()
    try:
        report = state.compute(spec).report
    except evaluation.EvaluationError:
        return
    with st.sidebar:
        st.subheader("Share and export")
        _share(key_prefix)  # in a shared view too: its owner may delete it there
        stem = "model-comparison"
        st.download_button("HTML report", data=lambda: _html_export(spec, report), file_name=f"{stem}.html",
                           mime="text/html", on_click="ignore", key=f"{key_prefix}_html", icon=":material/download:")
        st.download_button("Metrics (CSV)", data=lambda: html_report.metrics_csv(report), file_name=f"{stem}-metrics.csv",
                           mime="text/csv", on_click="ignore", key=f"{key_prefix}_csv", icon=":material/download:")
        st.download_button("Full report (JSON)", data=lambda: html_report.report_json(report), file_name=f"{stem}.json",
                           mime="application/json", on_click="ignore", key=f"{key_prefix}_json",
                           icon=":material/download:")


# --- Data page ------------------------------------------------------------------------------------

AUTO = "(automatic)"


def file_section(index: int, filename: str, content: bytes, digest: str, default_name: str,
                 key_prefix: str, *, task: str | None = None, baseline: bool = False) -> tuple[str, Any]:
    """One kept file: its model name, rows, what was detected in it, any error about it, and its Replace and
    Remove buttons (:func:`uploads.start_replacing`, :func:`uploads.remove_upload`).

    ``task`` is the chosen task (``None``: detected from the file); ``baseline`` marks the baseline's file.
    Returns ``(model name, FileSummary or None when the file cannot be read)``.
    """
    summary, problem = None, None
    try:
        summary = state.inspect_upload(filename, digest, content, task)
    except evaluation.EvaluationError as error:
        problem = error.message
    with st.container(border=True):
        left, right = st.columns([1, 2])
        name = left.text_input(f"Model name for **{text(filename)}**", value=default_name,
                               key=f"{key_prefix}_name_{index}_{digest[:12]}_{filename}")
        if summary is not None:
            mapping = summary.mapping
            roles = [f"label **{text(mapping.label)}**", f"prediction **{text(mapping.prediction or 'none')}**",
                     f"id **{text(mapping.id or 'none')}**"]
            if mapping.probabilities:
                roles.append(f"{len(mapping.probabilities)} probability columns")
            elif mapping.score:
                roles.append(f"score **{text(mapping.score)}**")
            roles += [f"{role} **{text(getattr(mapping, role))}**" for role in ("split", "timestamp") if getattr(mapping, role)]
            if mapping.metadata:
                roles.append("metadata " + ", ".join(f"**{text(c)}**" for c in mapping.metadata))
            generation = (task or evaluation.detect_task([(filename, content)])) == "generation"
            if generation:
                roles[:2] = [f"reference **{text(mapping.label)}**", f"output **{text(mapping.prediction)}**"]
            kind = ("generated text" if generation else "regression" if not summary.classes else
                    f"{'binary' if len(summary.classes) == 2 else 'multiclass'} ({len(summary.classes)} classes)")
            right.markdown((":blue-badge[baseline] " if baseline else "")
                           + f"{summary.n_rows:,} rows · {kind} · detected: " + " · ".join(roles))
        elif baseline:
            right.markdown(":blue-badge[baseline]")
        with right.container(horizontal=True):
            st.button("Replace", key=f"{key_prefix}_replace_{index}", icon=":material/swap_horiz:",
                      on_click=uploads.start_replacing, args=(filename,),
                      help="Upload a corrected file in its place: it keeps its position, model name and role.")
            st.button("Remove", key=f"{key_prefix}_remove_{index}", icon=":material/delete:",
                      on_click=uploads.remove_upload, args=(filename,))
        message = uploads.upload_errors().get(filename) or problem
        if message:
            st.error(text(message), icon=":material/error:")
    return name.strip() or default_name, summary


def _choice(label: str, columns: Sequence[str], detected: str | None, key: str, *, optional: bool = False) -> str | None:
    options: list[str | None] = ([None] if optional or detected is None else []) + list(columns)
    index = options.index(detected) if detected in options else 0
    return st.selectbox(label, options, index=index, key=key, persist_state="session",
                        format_func=lambda c: "(none)" if c is None else f"{c} (detected)" if c == detected else c)


def mapping_inputs(summary: Any, current: evaluation.LoadOptions | None, key_prefix: str) -> evaluation.LoadOptions:
    """Column mapping and loading options, starting from what was detected in the first file.

    The choices are kept for the session (also while another page is shown); ``key_prefix`` should name the
    set of files, so that other files start again from detection.
    """
    detected = summary.mapping
    columns = list(summary.columns)
    with st.expander("Column mapping (detected automatically; change it if it is wrong)", expanded=False):
        first, second, third = st.columns(3)
        with first:
            chosen: dict[str, Any] = {"label": _choice("True label", columns, detected.label, f"{key_prefix}_label")}
        with second:
            chosen["prediction"] = _choice("Predicted label", columns, detected.prediction, f"{key_prefix}_prediction")
        with third:
            chosen["id"] = _choice("Example id", columns, detected.id, f"{key_prefix}_id")
        chosen["probabilities"] = st.multiselect(
            "Class probability columns (one per class, named like prob_<class>)", columns,
            default=list((detected.probabilities or {}).values()), key=f"{key_prefix}_probabilities",
            persist_state="session")
        if len(summary.classes) == 2 or detected.score:
            chosen["score"] = _choice("Score of the positive class (binary)", columns, detected.score,
                                      f"{key_prefix}_score", optional=True)
        else:
            chosen["score"] = detected.score
        chosen["metadata"] = st.multiselect("Metadata columns to slice by", columns, default=list(detected.metadata or ()),
                                            key=f"{key_prefix}_metadata", persist_state="session")
        positive = None
        if len(summary.classes) == 2:
            choice = st.selectbox("Positive class", [AUTO, *summary.classes], key=f"{key_prefix}_positive",
                                  persist_state="session",
                                  help="Automatic: 1/true/yes/positive/pos, else the second class in sorted order.")
            positive = None if choice == AUTO else choice
        order: list[str] = []
        if summary.classes:
            kept = [c for c in (current.class_order or ()) if c in summary.classes] if current else []
            order = st.multiselect("Class order (the classes you pick come first, in the order you pick them; "
                                   "the rest follow sorted)", list(summary.classes), key=f"{key_prefix}_class_order",
                                   persist_state="session", default=kept)
        left, right = st.columns(2)
        shared_only = left.checkbox("Evaluate only ids present in every file", key=f"{key_prefix}_shared_ids",
                                    persist_state="session",
                                    value=bool(current and current.shared_ids_only))
        drop_train = right.checkbox("Drop rows marked as training data", key=f"{key_prefix}_drop_train",
                                    persist_state="session",
                                    value=bool(current and current.drop_train_rows))
    options = state.build_options(detected, chosen, positive_label=positive, class_order=order)
    return dataclasses.replace(options, shared_ids_only=shared_only, drop_train_rows=drop_train)


def settings_inputs(current: evaluation.Settings, key_prefix: str, *, task: str = "classification") -> evaluation.Settings:
    """Confidence, alpha, resamples, correction and primary metric (among ``task``'s), starting from ``current``."""
    with st.expander("Statistical settings", expanded=False):
        first, second, third = st.columns(3)
        levels = [0.8, 0.9, 0.95, 0.99]
        confidence = first.selectbox("Confidence level of intervals", levels, key=f"{key_prefix}_confidence",
                                     index=levels.index(current.confidence) if current.confidence in levels else 2,
                                     format_func=lambda c: f"{c:.0%}")
        alpha = second.number_input("Significance level (alpha)", 0.001, 0.5, float(current.alpha), 0.005,
                                    format="%.3f", key=f"{key_prefix}_alpha")
        counts = [1_000, 2_000, 5_000, 10_000, 20_000]
        resamples = third.selectbox("Bootstrap resamples", counts, key=f"{key_prefix}_resamples",
                                    index=counts.index(current.resamples) if current.resamples in counts else 2,
                                    format_func=lambda n: f"{n:,}")
        corrections = list(evaluation.CORRECTIONS)
        correction = first.selectbox("Multiple-comparison correction", corrections, key=f"{key_prefix}_correction",
                                     index=corrections.index(current.correction) if current.correction in corrections else 0)
        metrics = list(evaluation.statistics_of(task) if task in ("regression", "generation") else evaluation.METRICS)
        default = {"regression": "mean_absolute_error", "generation": state.GENERATION_DEFAULT_PRIMARY}.get(task, "f1_macro")
        primary = second.selectbox("Primary metric (the verdict's headline)", metrics, key=f"{key_prefix}_primary_{task}",
                                   index=metrics.index(current.primary_metric if current.primary_metric in metrics
                                                       else default),
                                   format_func=evaluation.metric_title)
        seed = third.number_input("Seed", 0, 2**31 - 1, int(current.seed), key=f"{key_prefix}_seed")
        slice_counts = [500, 1_000, 2_000, 5_000]
        slice_resamples = first.selectbox(
            "Bootstrap resamples per slice", slice_counts, key=f"{key_prefix}_slice_resamples",
            index=slice_counts.index(current.slice_resamples) if current.slice_resamples in slice_counts else 1,
            format_func=lambda n: f"{n:,}")
        st.caption("The dashboard starts with 2,000 bootstrap resamples (1,000 per slice) to answer within seconds; "
                   "choose 10,000 (2,000 per slice: the command line's defaults) for the numbers you report. "
                   "The same seed gives the same numbers.")
        stemmer, normalize = current.rouge_stemmer, current.normalize_answers
        if task == "generation":  # how text is scored: the command line's --rouge-stemmer and --normalize-answers
            left, right = st.columns(2)
            stemmer = left.checkbox("ROUGE with Porter stemming", value=current.rouge_stemmer,
                                                  key=f"{key_prefix}_rouge_stemmer",
                                                  help="rouge-score's use_stemmer (off by default, as rouge-score)")
            normalize = right.checkbox(
                "Exact match after SQuAD's answer normalisation", value=current.normalize_answers,
                key=f"{key_prefix}_normalize_answers",
                help="lower case, no punctuation or articles (a, an, the); off: only surrounding whitespace is stripped")
    return dataclasses.replace(current, confidence=confidence, alpha=float(alpha), resamples=int(resamples),
                               correction=correction, primary_metric=primary, seed=int(seed),
                               slice_resamples=int(slice_resamples), rouge_stemmer=bool(stemmer),
                               normalize_answers=bool(normalize))
