"""Shift: is the test set like production? Each column's drift, a classifier that tells the two apart, and the
test-set performance re-weighted to production's mix (``docs/shift.md``)."""

import streamlit as st

import evaluation
from components import charts_shift, render, shift, state

if render.labelled_page_start("Shift", "shift") is None:
    st.stop()
spec = state.current_spec()
test_name, _ = shift.test_file(spec)
st.markdown(f"A test set says how the model does on the rows it holds. Once the model is live, does production still "
            f"look like them? The test set here is the baseline's file, **{render.text(test_name)}** "
            f"(**{render.text(spec.baseline)}**); upload a sample of production rows from the same model to compare.")
production = shift.production_section(spec, key_prefix="shift")
if production is None:
    st.caption("Without a production file there is nothing to compare. The page then shows which columns moved (each "
               "with an effect size, its interval and a test), how well a classifier tells production rows from test "
               "rows, and the test-set performance re-weighted to production's mix.")
    st.stop()
try:
    with st.spinner("Comparing the test set with production..."):
        report = shift.shift_report(spec, production)
except evaluation.EvaluationError as error:
    st.error(render.text(error.message), icon=":material/error:")
    st.stop()

st.subheader("Is production like the test set?")
shift.headline(report)
st.caption(f"{report.n_test:,} test rows ({render.text(report.test_file)}), {report.n_production:,} production rows "
           f"({render.text(report.production_file)}) · {report.resamples:,} resamples, seed {report.seed}.")
for warning in report.warnings:
    st.warning(render.text(warning), icon=":material/warning:")

st.subheader("Which columns moved")
render.plot(charts_shift.drift_figure(report), key="shift_drift")
st.caption(f"Drifted: {render.text(report.rule)}.")
render.table(shift.columns_frame(report), key="shift_columns")

st.subheader("Re-weighted performance")
if report.reweighted is None:
    st.info("No categorical metadata column to re-weight by.", icon=":material/info:")
else:
    method = report.reweighted.method
    st.caption(f"Re-weighted by {render.text(report.reweighted.column)}: {render.text(method)}. It corrects for this "
               "column's mix only, not for changes within a slice.")
    render.table(shift.slices_frame(report), key="shift_slices")
    render.plot(charts_shift.slice_mix_figure(report), key="shift_slice_mix")
