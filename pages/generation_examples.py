"""Examples (generation): prompt, reference and both outputs of every example, largest drop in ROUGE-L first;
filterable by kind, slice and change in a score column, one example side by side, downloadable."""

import streamlit as st

import evaluation
from components import generation_examples, render

results = render.generation_page_start("Examples", "examples")
if results is None:
    st.stop()
data, report = results
comparison = render.candidate_selector(report, "examples")
if not data.has_text:
    st.info("These files hold a language model's scores (nll and n_tokens) without outputs and references: there is "
            "no text to show. The Overview compares their perplexity.")
    st.stop()
stemmer = report.settings.rouge_stemmer
table = generation_examples.examples_table(data, comparison.baseline, comparison.candidate, use_stemmer=stemmer)
st.caption(f"Each example's ROUGE-L F-measure (rouge-score, {'Porter stemming' if stemmer else 'no stemming'}) of "
           f"{render.text(comparison.candidate)} minus "
           f"{render.text(comparison.baseline)}'s; **worse**: lower. Sorted by the change, largest regression first.")

left, right = st.columns(2)
kinds = left.multiselect("Kind", list(generation_examples.KINDS), default=["worse", "better"], key="examples_kinds")
column, values = None, []
with right:
    slice_columns = list(data.metadata.columns)
    if slice_columns:
        column = render.view_selectbox("Slice column", [None, *slice_columns], "slice_column", "examples",
                                       format_func=lambda c: "(no slice filter)" if c is None else c)
        if column:
            values = st.multiselect("Slice values", sorted(set(map(str, table[column]))), key="examples_slice_values",
                                    placeholder="every value")
score, score_change = None, "any"
scores = generation_examples.score_columns(data)
if scores:  # the files' score_ columns: keep the examples whose score fell (or rose, or stayed)
    left, right = st.columns(2)
    score = left.selectbox("Score column", [None, *scores], key="examples_score",
                           format_func=lambda c: "(no score filter)" if c is None else c)
    if score:
        score_change = right.selectbox("Keep examples whose score is", generation_examples.SCORE_CHANGES,
                                       key="examples_score_change",
                                       format_func=generation_examples.SCORE_CHANGE_LABELS.__getitem__)
shown = generation_examples.filter_examples(table, kinds=kinds, column=column, values=values, score=score,
                                            score_change=score_change)
st.write(f"{len(shown):,} of {len(table):,} examples")
render.table(shown, key="examples_table", height=420)
st.download_button("Download these examples (CSV)", data=evaluation.csv_safe_frame(shown).to_csv(index=False).encode(),
                   file_name=render.file_name(f"outputs-{comparison.candidate}-vs-{comparison.baseline}.csv"),
                   mime="text/csv", on_click="ignore", key="examples_download", icon=":material/download:")

if len(shown):
    st.subheader("One example, side by side")
    ids = list(shown["id"])
    chosen = st.selectbox("Example id", ids, key="examples_id")
    row = shown[shown["id"] == chosen].iloc[0]
    st.markdown(f"ROUGE-L {row['ROUGE-L baseline']:.3f} → {row['ROUGE-L candidate']:.3f} "
                f"(**{row[generation_examples.CHANGE]:+.3f}**) · words in bold are not in the other model's output")
    for name in scores:
        st.markdown(f"{render.text(name)} {row[f'{name} baseline']:g} → {row[f'{name} candidate']:g} "
                    f"(**{row[f'{name} change']:+g}**)")
    if "prompt" in row:
        st.markdown("**Prompt**: " + render.text(row["prompt"]))
    st.markdown("**Reference**: " + render.text(row["reference"]))
    first, second = st.columns(2)
    with first.container(border=True):
        st.markdown(f"**{render.text(comparison.baseline)}** (baseline)")
        st.markdown(generation_examples.highlighted_words(row["baseline output"], row["candidate output"]))
    with second.container(border=True):
        st.markdown(f"**{render.text(comparison.candidate)}** (candidate)")
        st.markdown(generation_examples.highlighted_words(row["candidate output"], row["baseline output"]))
