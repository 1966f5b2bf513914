"""Slices: per-slice differences of a metadata column, worst first, with adjusted p-values."""

from typing import Any

import streamlit as st

import evaluation
from components import charts, render, tables

results = render.any_page_start("Slices", "slices")
if results is None:
    st.stop()
report = results.report
# Any task: every comparison has slices of the same shape (a generation comparison's too).
comparison: Any = render.candidate_selector(report, "slices")
columns = list(dict.fromkeys(entry.column for entry in comparison.slices))
if not columns:
    st.info("No metadata column to slice by. Add columns such as device, language or source to the prediction "
            "files (every column not used as id, label, prediction or probability counts), or pick them on the Data page.")
    st.stop()

left, right = st.columns(2)
with left:
    column = render.view_selectbox("Metadata column", columns, "slice_column", "slices")
with right:
    metrics = list(comparison.slices[0].metrics)
    primary = report.settings.primary_metric
    metric = st.selectbox("Metric", metrics, index=metrics.index(primary) if primary in metrics else 0,
                          key="slices_metric", format_func=evaluation.metric_title)

render.plot(charts.slice_forest_figure(comparison, column, metric), key="slices_forest")
settings = report.settings
st.caption(f"Difference {render.text(comparison.candidate)} minus {render.text(comparison.baseline)}, worst first. "
           "Slices with fewer than "
           f"{settings.min_slice_size} examples are shown but not tested. Tests: McNemar's exact test (accuracy) and the "
           f"paired permutation test, exact at any slice size; p-values adjusted across all tested slices "
           f"({settings.correction}); {settings.slice_resamples:,} resamples and exchanges per slice.")
render.table(tables.slices_table(comparison, column, metric), key="slices_table")
with st.expander("Every slice of every column"):
    render.table(tables.slices_table(comparison, None, metric), key="slices_all")
