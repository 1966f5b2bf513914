"""Overview (regression): the verdict of every candidate, its scorecard (and a leaderboard of several), every
metric with its interval, the differences."""

import streamlit as st

import evaluation
from components import charts_regression, leakage, render, tables

results = render.regression_page_start("Overview", "overview")
if results is None:
    st.stop()
data, report = results

# the verdicts (then the fine-tuning data's leakage), the scorecard, the leaderboard, the warnings
render.first_screen(report, after_verdicts=lambda: leakage.leakage_summary(report, key_prefix="overview"))

st.subheader("Metrics")
render.plot(charts_regression.regression_metrics_figure(report), key="overview_regression_metrics")
with st.expander("Metrics table", expanded=False):
    render.table(tables.regression_metrics_table(report), key="overview_regression_table")

st.subheader("Differences")
comparison = render.candidate_selector(report, "overview")
render.plot(charts_regression.regression_difference_figure(comparison, confidence=report.settings.confidence),
            key="overview_regression_differences")
render.table(tables.differences_table(comparison), key="overview_regression_differences_table")
st.caption("Mean absolute and mean squared error: paired t-test on per-example errors (t interval). Root mean squared "
           "error, R² and median absolute error: paired permutation test (paired bootstrap percentile interval). "
           f"p-values adjusted across candidates ({report.settings.correction}).")

st.subheader("Errors and power")
columns = st.columns(4)
if comparison.flips is not None:
    columns[0].metric("Larger error", f"{comparison.flips.worse:,}", help="Examples the candidate predicts worse.")
    columns[1].metric("Smaller error", f"{comparison.flips.better:,}", help="Examples the candidate predicts better.")
if comparison.power is not None:
    power = comparison.power
    columns[2].metric("Minimum detectable difference", evaluation.format_number(power.minimum_detectable_difference),
                      help=f"The smallest difference in mean absolute error this test set detects with {power.power:.0%} "
                           f"power at alpha {power.alpha} ({power.method}).")
    columns[3].metric("Observed difference", evaluation.format_number(power.observed_difference, signed=True),
                      help="Candidate's mean absolute error minus the baseline's.")
st.page_link("pages/residuals.py", label="See the residuals and each example's change in error",
             icon=":material/scatter_plot:")
