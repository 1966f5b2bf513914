"""Monitoring: how is the model doing now? Per time window, the realised metrics against the test set's band, the
label-free estimates, alerts with the family-wise error controlled, and drift per column (``docs/monitor.md``)."""

import streamlit as st

import evaluation
from components import charts_monitor, monitor, render, state

if render.labelled_page_start("Monitoring", "monitor") is None:
    st.stop()
spec = state.current_spec()
(baseline_file, _), (candidate_file, _) = monitor.reference_files(spec, 2)[0]
st.markdown(f"A test set says how the model did on the rows it holds. Once it is live, how is it doing *now*? Upload "
            f"the production log (one row per prediction, with a timestamp; labels may arrive later). The reference is "
            f"the test set: the baseline's file, **{render.text(baseline_file)}** (**{render.text(spec.baseline)}**), "
            f"and in shadow mode the candidate's, **{render.text(candidate_file)}** "
            f"(**{render.text(monitor.candidate_name(spec))}**).")
chosen = monitor.inputs(spec)
with st.expander("Production logs", expanded=chosen is None, icon=":material/upload_file:"):
    monitor.production_section(spec, key_prefix="monitor")
if chosen is None:
    st.caption("Without a production log there is nothing to monitor. The page then shows, per week (or day, or month), "
               "each metric on the rows whose label has arrived against the test set's band, an estimate without "
               "labels where the probabilities allow one, alerts, and which columns drifted.")
    st.stop()

headline = st.container()  # filled once the report is computed, above the selectors it depends on
left, right = st.columns(2)
window = monitor.WINDOWS[left.selectbox("Window", list(monitor.WINDOWS), key="monitor_window")]
try:
    with st.spinner("Monitoring the production log..."):
        report = monitor.monitor_report(chosen, window, options=spec.options, settings=spec.settings)
except evaluation.EvaluationError as error:
    headline.error(render.text(error.message), icon=":material/error:")
    st.stop()
show = headline.warning if report.alerts else headline.success
show(render.text(monitor.headline_sentence(report)), icon=":material/monitor_heart:")
headline.caption(monitor.files_sentence(report, spec))
for warning in report.warnings:
    headline.warning(render.text(warning), icon=":material/warning:")

metrics = monitor.metrics_shown(report)
metric = right.selectbox("Metric", metrics, format_func=evaluation.metric_title, key="monitor_metric")
render.plot(charts_monitor.metric_figure(report, metric), key="monitor_metric_chart")
for name, reference in report.reference.items():
    if not reference.cbpe_supported:
        st.caption(f"No estimate without labels for **{render.text(name)}**: {render.text(reference.note)}.")
if report.alerts:
    render.table(monitor.alerts_frame(report), key="monitor_alerts", max_rows=10)
if any(w.difference for w in report.windows):
    st.subheader(f"Shadow mode: {report.models[1]} against {report.models[0]}, on the same traffic")
    render.plot(charts_monitor.difference_figure(report, metric), key="monitor_difference")
    st.caption("Both models scored every row of the window; the difference is paired on the rows whose label has "
               "arrived (McNemar's exact test for accuracy; the paired bootstrap for the others), with Holm's correction "
               "over every window and metric.")

st.subheader("Which columns drifted")
render.plot(charts_monitor.drift_figure(report), key="monitor_drift")
st.caption("Each column of the test set and production (the metadata, and each model's predicted class and "
           "confidence), per window: Jensen-Shannon distance for a categorical column, normalised Wasserstein for a "
           "numeric one. Drifted: a Holm-adjusted permutation p-value within the window at most alpha, and an effect "
           "size of at least the practical threshold.")
