"""Trade-offs: precision-recall and ROC curves, metrics at a chosen threshold, suggested operating points."""

import streamlit as st

from components import charts, render, state, tables

results = render.page_start("Trade-offs", "tradeoffs")
if results is None:
    st.stop()
data, report = results
if not any(model.thresholds for model in report.models.values()):
    st.info("Threshold trade-offs need scores or class probabilities; none of these files has them.")
    st.stop()

if report.task == "binary":
    label = str(report.positive_label)
    st.caption(f"Scores are the probability of the positive class **{render.text(label)}**.")
else:
    label = str(render.view_selectbox("Class (one-vs-rest: this class against all others)", report.classes,
                                      "class_label", "tradeoffs"))


@st.fragment
def at_threshold() -> None:
    """The slider and what depends on it; moving it reruns only this part (metrics on the cached data)."""
    view = state.view()
    threshold = st.slider("Threshold: predict the class when its score is at least", 0.0, 1.0,
                          float(view.get("threshold", 0.5)), 0.01, key="tradeoffs_threshold", format="%.2f")
    view["threshold"] = threshold
    st.subheader(f"At threshold {threshold:.2f}")
    render.small_table(tables.threshold_table(data, label, threshold), index="model")
    left, right = st.columns(2)
    with left:
        render.plot(charts.pr_curve_figure(report, label, threshold=threshold), key="tradeoffs_pr", legend_below=True)
    with right:
        render.plot(charts.roc_curve_figure(report, label, threshold=threshold), key="tradeoffs_roc", legend_below=True)
    render.plot(charts.threshold_metrics_figure(report, label, threshold=threshold), key="tradeoffs_metrics")


at_threshold()

st.subheader("Suggested operating points")
left, right = st.columns(2)
target_precision = left.number_input("Target precision", 0.01, 1.0, 0.9, 0.01, key="tradeoffs_target_precision")
target_recall = right.number_input("Target recall", 0.01, 1.0, 0.9, 0.01, key="tradeoffs_target_recall")
render.small_table(tables.operating_points_table(data, label, target_precision=target_precision,
                                                target_recall=target_recall), index="model")
st.caption("Best F1: the threshold with the highest F1. Precision >= P: the lowest threshold reaching P (the most "
           "recall at that precision). Recall >= R: the highest threshold still reaching R.")
