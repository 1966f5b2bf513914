"""Overview (generation): the verdict of every candidate, its scorecard (and a leaderboard of several), every metric
with its interval, the differences, the judges' preferences when a judgments file is loaded, the change in output
length beside them, and the distributions of output length and of every score column."""

import streamlit as st

import evaluation
from components import charts_generation, leakage, preferences, render, state, tables

results = render.generation_page_start("Overview", "overview")
if results is None:
    st.stop()
data, report = results

# the verdicts (then the fine-tuning data's leakage), the scorecard, the leaderboard, the warnings
render.first_screen(report, after_verdicts=lambda: leakage.leakage_summary(report, key_prefix="overview"))

st.subheader("Metrics")
render.plot(charts_generation.generation_metrics_figure(report), key="overview_generation_metrics")

st.subheader("Differences")
comparison = render.candidate_selector(report, "overview")
render.plot(charts_generation.generation_difference_figure(comparison, confidence=report.settings.confidence),
            key="overview_generation_differences")
render.table(tables.differences_table(comparison), key="overview_generation_differences_table")  # type: ignore[arg-type]
st.caption("BLEU, chrF and TER (sacrebleu, corpus scores from summed per-sentence statistics), perplexity and bits per "
           "byte: paired permutation test, paired bootstrap percentile interval. ROUGE, exact match, token F1 and score "
           "columns: paired t-test (McNemar's exact test for 0/1 scores). p-values adjusted across candidates "
           f"({report.settings.correction}).")

judgments = state.current_spec().judgments
if judgments is not None:
    st.subheader("Preferences")
    st.caption(f"Pairwise judgments from {render.text(judgments[0])}: which of two answers to the same prompt a judge "
               "preferred. The win rate counts a tie as half a win; its interval resamples examples (every judgment "
               "of an example together); the sign test compares wins with losses.")
    try:
        judged = preferences.preferences(state.current_spec().key, report, data, judgments)
    except evaluation.EvaluationError as error:
        st.error(f"The preference judgments cannot be shown: {render.text(error.message)}", icon=":material/error:")
    else:
        preferences.preferences_section(judged, report, comparison, key_prefix="overview")

st.subheader("Output length")
st.caption("Read it beside every gain: overlap metrics and judges favour longer outputs.")
words = comparison.output_words
if words is not None:
    level = round(report.settings.confidence * 100)
    left, right = st.columns([1, 2])
    left.metric(f"{render.text(comparison.baseline)}: mean words", evaluation.format_number(words.baseline_value, digits=1))
    left.metric(f"{render.text(comparison.candidate)}: mean words", evaluation.format_number(words.candidate_value, digits=1),
                delta=evaluation.format_number(words.difference, signed=True, digits=1), delta_color="off")
    left.caption(f"Difference {evaluation.format_number(words.difference, signed=True, digits=1)} words, {level}% CI "
                 f"{evaluation.format_number(words.ci_low, signed=True, digits=1)} to "
                 f"{evaluation.format_number(words.ci_high, signed=True, digits=1)} ({words.test}).")
    with right:
        render.plot(charts_generation.output_length_figure(report, comparison), key="overview_generation_length")
distributions = charts_generation.distribution_columns(data)
if distributions:  # output lengths need outputs; scores need score_ columns
    st.subheader("Distributions")
    st.caption("How the per-example values spread, not just their means: each example's output length in words, or "
               "each score column (a 0/1 score as the share of examples that pass).")
    column = st.selectbox("Distribution of", distributions, key="overview_distribution",
                          format_func=lambda c: "output length (words)" if c == charts_generation.OUTPUT_WORDS else c)
    render.plot(charts_generation.distribution_figure(data, comparison.baseline, comparison.candidate, column=column),
                key="overview_generation_distribution")
if report.signatures:  # none without texts
    with st.expander("Signatures (to reproduce the numbers)"):
        for name, signature in report.signatures.items():
            st.markdown(f"{evaluation.metric_title(name)}: `{signature}`")
st.page_link("pages/generation_examples.py", label="See each example's outputs, largest regressions first",
             icon=":material/list_alt:")
