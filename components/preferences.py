"""Preference judgments beside a generation comparison: each candidate against the baseline, and ratings of three or more.

A judgments file (``docs/preferences.md``: ``id``, ``winner``, optional ``judge``, ``position``, ``model_a``/
``model_b``) goes through the engine's :func:`~evaluation._generation_preferences.with_preferences`, which gives
every comparison of the report its ``preferences`` (the same function as ``compare --preferences``): :func:`judge`
is a pure function of the report, the data and the file; :func:`preferences` caches it by content for the pages.
:func:`check_judgments` is the Data page's check of an upload (the same reading, before the prediction files are
loaded), shown beside the file by :func:`judgments_section`; :func:`preferences_section` draws the Overview's
Preferences section, with the sentences of :func:`preference_sentence` and :func:`length_sentence`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

import evaluation
from evaluation import (
    EvaluationError,
    GenerationComparison,
    GenerationData,
    GenerationReport,
    PreferenceComparison,
    PreferenceRatings,
    pair_judgments,
    rate_models,
    read_judgments,
    read_judgments_against,
    with_preferences,
)

from . import charts_preferences, render, uploads

__all__ = ["JUDGMENTS_LABEL", "LENGTH_NOTE", "Preferences", "check_judgments", "judge", "judgments_section",
           "length_sentence", "preference_sentence", "preferences", "preferences_section"]

JUDGMENTS_LABEL = "Preference judgments (optional)"
"""The label of the Data page's judgments uploader."""

LENGTH_NOTE = ("Longer answers tend to win judges' favour, so read the win rate beside the change in output length: "
               "a candidate that writes more can win judgments without being better.")
"""The one sentence the Preferences section says about length."""


@dataclass(frozen=True)
class Preferences:
    """What a judgments file says about the comparison shown.

    Attributes
    ----------
    source:
        The judgments file's name.
    comparisons:
        Candidate name -> the candidate against the baseline (the engine's ``GenerationComparison.preferences``);
        ``None`` when no judgment compares the two.
    ratings:
        Bradley-Terry ratings of every model in the file, with three or more models in the comparison (and a
        file with ``model_a``/``model_b``); else ``None``.
    ratings_problem:
        Why there are no ratings although there are three or more models (the engine's message), else ``None``.
    warnings:
        What the engine added to the report's warnings about the judgments (pairs left out, a candidate never
        judged).
    """

    source: str
    comparisons: dict[str, PreferenceComparison | None]
    ratings: PreferenceRatings | None = None
    ratings_problem: str | None = None
    warnings: tuple[str, ...] = ()


def judge(report: GenerationReport, data: GenerationData, source: tuple[str, bytes]) -> Preferences:
    """Every candidate of ``report`` against its baseline by the judgments in ``source``, and Bradley-Terry ratings
    with three or more models.

    Parameters
    ----------
    report:
        The generation comparison (its models, baseline and settings: confidence, resamples, seed).
    data:
        The loaded generation files the report was computed from (the judgments' ids must be theirs; the outputs
        give the lengths of the length-adjusted win rate).
    source:
        ``(filename, content)`` of the judgments file.

    Returns
    -------
    Preferences

    Raises
    ------
    EvaluationError
        When the file cannot be read as judgments of these models and examples (the message names the file, the
        column and the rows).
    """
    limits = evaluation.DASHBOARD_LIMITS
    judged = with_preferences(report, data, source, limits=limits)
    comparisons = {comparison.candidate: comparison.preferences for comparison in judged.comparisons}
    settings = report.settings
    ratings, problem = None, None
    if len(report.models) >= 3:
        try:
            ratings = rate_models(read_judgments(source, baseline=report.baseline, limits=limits),
                                  confidence=settings.confidence, resamples=settings.resamples, seed=settings.seed)
        except EvaluationError as error:
            problem = error.message
    return Preferences(source=source[0], comparisons=comparisons, ratings=ratings, ratings_problem=problem,
                       warnings=judged.warnings[len(report.warnings):])


@st.cache_data(show_spinner=False, max_entries=8)
def _judge(key: str, _report: GenerationReport, _data: GenerationData, _source: tuple[str, bytes]) -> Preferences:
    """:func:`judge`, cached on ``key`` (the comparison's key and the digest of the file)."""
    return judge(_report, _data, _source)


def preferences(comparison_key: str, report: GenerationReport, data: GenerationData,
                source: tuple[str, bytes]) -> Preferences:
    """:func:`judge` computed once per comparison (``comparison_key``, :attr:`ComparisonSpec.key`) and file content.

    Raises
    ------
    EvaluationError
        As :func:`judge`.
    """
    digest = hashlib.sha256(source[0].encode() + b"\0" + source[1]).hexdigest()
    return _judge(f"{comparison_key}:{digest}", report, data, source)


@st.cache_data(show_spinner=False, max_entries=32)
def check_judgments(filename: str, digest: str, _content: bytes, models: tuple[str, ...], baseline: str) -> str:
    """What an uploaded judgments file holds for these models, in one line, cached on its name, digest, the models
    and the baseline (its ids are checked against the examples when the comparison is computed).

    Raises
    ------
    EvaluationError
        When the engine cannot read it as judgments of these models.
    """
    candidates = [model for model in models if model != baseline]
    judgments = read_judgments_against((filename, _content), baseline=baseline, candidates=candidates,
                                       limits=evaluation.DASHBOARD_LIMITS)
    pairs = {candidate: pair_judgments(judgments, baseline, candidate) for candidate in candidates}
    judged = {candidate: pair for candidate, pair in pairs.items() if pair is not None}
    if not judged:
        raise EvaluationError(f"{filename}: no judgment compares a candidate ({', '.join(candidates)}) with the "
                              f"baseline {baseline}; the winner and model columns must use the comparison's model names",
                              file=filename)
    extras = [what for what, present in (("a judge column", judgments.judge is not None),
                                          ("positions", judgments.first_shown is not None)) if present]
    return (", ".join(f"{pair.left.size:,} judgments of {candidate} vs {baseline}" for candidate, pair in judged.items())
            + (f" · {' and '.join(extras)}" if extras else ""))


def _share(count: int, total: int) -> str:
    return f"{count / total:.0%}" if total else "n/a"


def preference_sentence(comparison: PreferenceComparison) -> str:
    """Who the judges preferred, in shares of the judgments (Markdown, names escaped).

    >>> from evaluation import Estimate
    >>> rate = Estimate(0.625, 0.4, 0.8, "bootstrap")
    >>> preference_sentence(PreferenceComparison("j.csv", "old", "new", 8, 8, 4, 2, 2, rate, 0.667, 0.69, "sign", 0.95,
    ...                                          100, 0))
    'Of 8 judgments, the judges preferred **new** in 50%, **old** in 25%, and called 25% a tie.'
    """
    n = comparison.n_judgments
    candidate, baseline = (evaluation.escape_markdown(name) for name in (comparison.candidate, comparison.baseline))
    return (f"Of {n:,} judgments, the judges preferred **{candidate}** in {_share(comparison.wins, n)}, "
            f"**{baseline}** in {_share(comparison.losses, n)}, and called {_share(comparison.ties, n)} a tie.")


def length_sentence(comparison: GenerationComparison, *, confidence: float) -> str | None:
    """The candidate's change in mean output length, in words, with its interval (Markdown); ``None`` when the report
    has none."""
    words = comparison.output_words
    if words is None:
        return None
    level = round(confidence * 100)
    how = "longer" if words.difference > 0 else "shorter" if words.difference < 0 else "as long"
    size = "" if how == "as long" else f"{evaluation.format_number(abs(words.difference), digits=1)} words "
    return (f"**{evaluation.escape_markdown(comparison.candidate)}**'s outputs are {size}{how} on average than "
            f"**{evaluation.escape_markdown(comparison.baseline)}**'s ({level}% CI "
            f"{evaluation.format_number(words.ci_low, signed=True, digits=1)} to "
            f"{evaluation.format_number(words.ci_high, signed=True, digits=1)} words).")


def _judgment_tiles(chosen: PreferenceComparison) -> None:
    """The win rate with its interval, the sign test, and the position bias when the file has positions."""
    level = round(chosen.confidence * 100)
    rate = chosen.win_rate
    columns = st.columns(3)
    columns[0].metric("Win rate (a tie counts half)", evaluation.format_number(rate.value),
                      help=f"{rate.method}; {chosen.resamples:,} resamples, seed {chosen.seed}.")
    columns[0].caption(f"{level}% CI {evaluation.format_number(rate.ci_low)} to "
                       f"{evaluation.format_number(rate.ci_high)}; 0.5 is no preference.")
    columns[1].metric("Sign test p-value", evaluation.format_p_value(chosen.p_value), help=chosen.test)
    columns[1].caption(f"{chosen.wins:,} wins against {chosen.losses:,} losses, ties left out.")
    bias = chosen.position_bias
    if bias is not None:
        columns[2].metric("Position bias: flip rate", f"{bias.flip_rate:.0%}" if bias.pairs else "n/a", help=bias.note)
        columns[2].caption(f"{bias.flips:,} of {bias.pairs:,} pairs judged in both orders; {bias.favours_first:,} "
                           f"favour the answer shown first, {bias.favours_second:,} the one shown second."
                           if bias.pairs else "No example was judged in both orders.")


def _length_tiles(chosen: PreferenceComparison, comparison: GenerationComparison) -> None:
    """The change in output length beside the preferences, the length-adjusted win rate, and the sentence on length."""
    level = round(chosen.confidence * 100)
    words = comparison.output_words
    left, middle, right = st.columns(3)
    if words is not None:
        left.metric("Output length difference", f"{evaluation.format_number(words.difference, signed=True, digits=1)} "
                                                 "words")
        left.caption(f"{render.text(comparison.candidate)} minus {render.text(comparison.baseline)}, {level}% CI "
                     f"{evaluation.format_number(words.ci_low, signed=True, digits=1)} to "
                     f"{evaluation.format_number(words.ci_high, signed=True, digits=1)}.")
    adjusted = chosen.length_adjusted
    middle.metric("Length-adjusted win rate", "n/a" if adjusted is None else evaluation.format_number(adjusted.value),
                  help=chosen.length_note or None)
    if adjusted is None:
        middle.caption(f"None: {render.text(chosen.length_note)}." if chosen.length_note else "None.")
    else:
        middle.caption(f"An adjustment, not a measurement: the win rate a logistic fit on the length difference "
                       f"predicts for answers of equal length; {level}% CI {evaluation.format_number(adjusted.ci_low)} "
                       f"to {evaluation.format_number(adjusted.ci_high)}.")
    said = length_sentence(comparison, confidence=chosen.confidence)
    right.markdown(LENGTH_NOTE + (f" Here {said}" if said else ""))


def preferences_section(judged: Preferences, report: GenerationReport, comparison: GenerationComparison, *,
                        key_prefix: str) -> None:
    """The Overview's Preferences section: every candidate's preference bar; for ``comparison``'s candidate the win
    rate with its interval, the sign test, the position bias and the length change beside them; Bradley-Terry
    ratings with three or more models."""
    for warning in judged.warnings:
        st.warning(render.text(warning), icon=":material/warning:")
    found = [c for c in judged.comparisons.values() if c is not None]
    if not found:
        st.info(f"No judgment in {render.text(judged.source)} compares a candidate with "
                f"{render.text(report.baseline)}: the winner and model columns must use the comparison's model names.",
                icon=":material/info:")
        return
    render.plot(charts_preferences.preference_bar_figure(found), key=f"{key_prefix}_preference_bars")
    chosen = judged.comparisons.get(comparison.candidate)
    if chosen is None:
        st.info(f"No judgment compares {render.text(comparison.candidate)} with {render.text(report.baseline)}.",
                icon=":material/info:")
    else:
        st.markdown(preference_sentence(chosen))
        _judgment_tiles(chosen)
        _length_tiles(chosen, comparison)
        for note in chosen.notes:
            st.caption(f"Note: {render.text(note)}.")
    if judged.ratings is not None:
        render.plot(charts_preferences.ratings_figure(judged.ratings, models=list(report.models)),
                    key=f"{key_prefix}_preference_ratings")
        st.caption(f"Bradley-Terry ratings from every judgment in the file ({judged.ratings.n_judgments:,}): a model "
                   f"{judged.ratings.scale:g} points above another wins 10 judgments to 1. Only differences mean "
                   f"anything; {render.text(judged.ratings.anchor)} is fixed at {judged.ratings.anchor_rating:g}.")
    elif judged.ratings_problem:
        st.info(f"No ratings of the {len(report.models)} models: {render.text(judged.ratings_problem)}.",
                icon=":material/info:")


def judgments_section(models: Sequence[str], baseline: str, *, shown: tuple[str, bytes] | None,
                      key_prefix: str) -> tuple[tuple[str, bytes] | None, str | None]:
    """The Data page's optional judgments file: its uploader, the kept file with what it holds (or the engine's error
    beside it) and its Remove button.

    Parameters
    ----------
    models, baseline:
        The model names and the baseline the file is checked against.
    shown:
        The judgments of the comparison shown, kept when no file is uploaded here (``None``: none, or other files).
    key_prefix:
        Prefix of the Remove button's key.

    Returns
    -------
    tuple
        ``(the judgments file for the next comparison or None, the engine's message when the kept file is bad)``.
    """
    st.subheader("Preference judgments")
    key = uploads.judgments_uploader_key()
    st.file_uploader(JUDGMENTS_LABEL, type=list(uploads.UPLOAD_TYPES), key=key, on_change=uploads.on_judgments_change,
                     args=(key,), help="A new file takes the place of the one kept. See docs/preferences.md.")
    st.caption("A judge's choice between two models' answers to the same prompt, one row per judgment: columns id and "
               "winner (a model's name, or tie), and optionally judge, position (the model shown first), and model_a "
               "and model_b (needed for three or more models). Shown on the Overview beside the metrics.")
    kept = uploads.judgments_upload()
    if kept is None:
        if shown is not None:
            st.caption(f"The comparison shown keeps its judgments ({render.text(shown[0])}); a file uploaded here takes "
                       "their place.")
        return shown, None
    found, problem = None, None
    try:
        found = check_judgments(kept.filename, kept.digest, kept.content, tuple(models), baseline)
    except EvaluationError as error:
        problem = error.message
    computed = uploads.upload_errors().get(kept.filename)  # the last Compare's, about ids the files do not have
    with st.container(border=True):
        left, right = st.columns([3, 1])
        left.markdown(f"**{render.text(kept.filename)}**" + (f" · {render.text(found)}" if found else ""))
        right.button("Remove", key=f"{key_prefix}_judgments_remove", icon=":material/delete:",
                     on_click=uploads.remove_judgments)
        if problem or computed:
            st.error(render.text(problem or computed), icon=":material/error:")
    return (kept.filename, kept.content), problem
