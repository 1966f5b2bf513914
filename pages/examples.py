"""Examples: the flipped examples (regressions and improvements), filterable and downloadable."""

import streamlit as st

import evaluation
from components import render, tables

results = render.page_start("Examples", "examples")
if results is None:
    st.stop()
data, report = results
comparison = render.candidate_selector(report, "examples")
table = evaluation.flip_table(data, comparison.baseline, comparison.candidate)
st.caption(f"**Regression**: {render.text(comparison.baseline)} was right and {render.text(comparison.candidate)} is wrong. "
           f"**Improvement**: the reverse. {int((table['kind'] == 'regression').sum()):,} regressions, "
           f"{int((table['kind'] == 'improvement').sum()):,} improvements.")

left, middle, right = st.columns(3)
kinds = left.multiselect("Kind", ["regression", "improvement"], default=["regression", "improvement"],
                         key="examples_kinds")
classes = middle.multiselect("True class", list(report.classes), key="examples_classes",
                             placeholder="every class")
slice_columns = list(data.metadata.columns)
slice_column, slice_values, slice_of_row = None, [], None
with right:
    if slice_columns:
        slice_column = render.view_selectbox("Slice column", [None, *slice_columns], "slice_column", "examples",
                                             format_func=lambda c: "(no slice filter)" if c is None else c)
    if slice_column:
        slice_of_row = tables.flip_slices(data, table, slice_column)
        slice_values = st.multiselect("Slice values", sorted(set(map(str, slice_of_row))), key="examples_slice_values",
                                      placeholder="every value")

shown = tables.filter_flips(table, kinds=kinds, classes=classes, slice_column=slice_column, slice_values=slice_values,
                           slice_of_row=slice_of_row)
st.write(f"{len(shown):,} of {len(table):,} flipped examples")
render.table(shown, key="examples_table", height=480)
st.download_button("Download these examples (CSV)", data=evaluation.csv_safe_frame(shown).to_csv(index=False).encode(),
                   file_name=render.file_name(f"flips-{comparison.candidate}-vs-{comparison.baseline}.csv"), mime="text/csv",
                   on_click="ignore", key="examples_download", icon=":material/download:")
