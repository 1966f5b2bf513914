"""Per class: each class's precision, recall or F1 with intervals, their differences, confusion matrices."""

import streamlit as st

from components import charts, render, tables

results = render.page_start("Per class", "per_class")
if results is None:
    st.stop()
report = results.report

metric = st.segmented_control("Metric", ["recall", "precision", "f1"], default="recall", key="per_class_metric",
                              format_func=lambda m: {"f1": "F1"}.get(m, m.capitalize())) or "recall"
render.plot(charts.per_class_figure(report, metric), key="per_class_values")

st.subheader("Differences per class")
comparison = render.candidate_selector(report, "per_class")
render.plot(charts.per_class_difference_figure(comparison, metric), key="per_class_differences")
st.caption(f"Intervals at {round(report.settings.confidence * 100)}%; p-values adjusted across classes "
           f"({report.settings.correction}); a verdict needs the adjusted p-value below {report.settings.alpha}.")
render.table(tables.per_class_table(report, comparison, metric), key="per_class_table")

st.subheader("Confusion matrices")
normalized = st.toggle("Normalise rows (share of each true class)", key="per_class_normalized")
names = [comparison.baseline, comparison.candidate]
for column, name in zip(st.columns(len(names)), names, strict=True):
    with column:
        render.plot(charts.confusion_matrix_figure(report.models[name].confusion_matrix, normalized=normalized,
                                                   title=name), key=f"per_class_confusion_{name}")
render.plot(charts.confusion_difference_figure(
    report.classes, comparison.confusion_matrix_difference,
    title=f"Confusion counts: {comparison.candidate} minus {comparison.baseline}"), key="per_class_confusion_difference")
