"""Examples (regression): every example with both models' errors, largest increase first; filterable, downloadable."""

import streamlit as st

import evaluation
from components import render

results = render.regression_page_start("Examples", "examples")
if results is None:
    st.stop()
data, report = results
comparison = render.candidate_selector(report, "examples")
table = evaluation.regression_flip_table(data, comparison.baseline, comparison.candidate)
st.caption(f"**Worse**: {render.text(comparison.candidate)}'s absolute error is larger than "
           f"{render.text(comparison.baseline)}'s; **better**: smaller. Sorted by the change, largest increase first.")

left, right = st.columns(2)
kinds = left.multiselect("Kind", ["worse", "better", "unchanged"], default=["worse", "better"], key="examples_kinds")
slice_columns = list(data.metadata.columns)
shown = table[table["kind"].isin(kinds)]
with right:
    if slice_columns:
        column = render.view_selectbox("Slice column", [None, *slice_columns], "slice_column", "examples",
                                       format_func=lambda c: "(no slice filter)" if c is None else c)
        if column:
            values = st.multiselect("Slice values", sorted(set(map(str, table[column]))), key="examples_slice_values",
                                    placeholder="every value")
            if values:
                shown = shown[shown[column].astype(str).isin(values)]
st.write(f"{len(shown):,} of {len(table):,} examples")
render.table(shown, key="examples_table", height=480)
st.download_button("Download these examples (CSV)", data=evaluation.csv_safe_frame(shown).to_csv(index=False).encode(),
                   file_name=render.file_name(f"errors-{comparison.candidate}-vs-{comparison.baseline}.csv"),
                   mime="text/csv", on_click="ignore", key="examples_download", icon=":material/download:")
