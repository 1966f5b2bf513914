"""Residuals (regression): predicted against true, the residuals' distribution, how each example's error changed."""

import streamlit as st

from components import charts_regression, render

results = render.regression_page_start("Residuals", "residuals")
if results is None:
    st.stop()
data, report = results
names = list(report.models)

render.plot(charts_regression.predicted_vs_true_figure(data, names), key="residuals_scatter")
st.caption("Points on the dashed line are predicted exactly; above it, predicted too high.")
render.plot(charts_regression.residuals_figure(data, names), key="residuals_histogram")

st.subheader("Change in each example's error")
comparison = render.candidate_selector(report, "residuals")
render.plot(charts_regression.error_change_figure(data, comparison.baseline, comparison.candidate),
            key="residuals_change")
flips = comparison.flips
if flips is not None:
    st.caption(f"{render.text(comparison.candidate)} has a larger absolute error than {render.text(comparison.baseline)} "
               f"on {flips.worse:,} examples and a smaller one on {flips.better:,} ({flips.unchanged:,} unchanged).")
