"""Overview: the verdict of every candidate, its scorecard (and a leaderboard of several), headline metrics,
differences, flips, power and warnings."""

import streamlit as st

import evaluation
from components import charts, leakage, render, tables

results = render.page_start("Overview", "overview")
if results is None:
    st.stop()
report = results.report

# the verdicts (then the fine-tuning data's leakage), the scorecard, the leaderboard, the warnings
render.first_screen(report, after_verdicts=lambda: leakage.leakage_summary(report, key_prefix="overview"))

st.subheader("Headline metrics")
render.plot(charts.metric_intervals_figure(report), key="overview_intervals")
with st.expander("Metrics table", expanded=False):
    render.table(tables.metrics_table(report), key="overview_metrics_table")

st.subheader("Differences")
comparison = render.candidate_selector(report, "overview")
render.plot(charts.difference_forest_figure(comparison, confidence=report.settings.confidence),
            key="overview_forest")
render.table(tables.differences_table(comparison), key="overview_differences")
test = comparison.accuracy_test
st.caption(f"Accuracy: {test.baseline_only:,} examples right only by {render.text(comparison.baseline)}, "
           f"{test.candidate_only:,} right only by {render.text(comparison.candidate)} (McNemar exact p = "
           f"{evaluation.format_number(test.p_value, digits=4)}, "
           f"mid-p = {evaluation.format_number(test.mid_p_value, digits=4)}).")

st.subheader("Flips and power")
columns = st.columns(4)
if comparison.flips is not None:
    columns[0].metric("Regressions", f"{comparison.flips.regressions:,}", help="Right before, wrong now.")
    columns[1].metric("Improvements", f"{comparison.flips.improvements:,}", help="Wrong before, right now.")
if comparison.power is not None:
    power = comparison.power
    columns[2].metric("Minimum detectable difference", evaluation.format_number(power.minimum_detectable_difference),
                      help=f"The smallest accuracy difference this test set detects with {power.power:.0%} power at "
                           f"alpha {power.alpha} ({power.method}).")
    columns[3].metric("Observed accuracy difference", evaluation.format_number(power.observed_difference, signed=True))
render.plot(charts.flips_figure(comparison), key="overview_flips")
st.page_link("pages/examples.py", label="See the flipped examples", icon=":material/list_alt:")
