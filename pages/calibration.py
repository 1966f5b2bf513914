"""Calibration: reliability diagrams with bin counts; ECE, Brier score and log loss with intervals."""

import pandas as pd
import streamlit as st

import evaluation
from components import charts, render, tables

results = render.page_start("Calibration", "calibration")
if results is None:
    st.stop()
report = results.report
if not any(model.calibration is not None for model in report.models.values()):
    st.info("Calibration needs class probabilities (or a score column); none of these files has them.")
    st.stop()

render.plot(charts.reliability_figure(report), key="calibration_reliability")
st.caption(f"{report.settings.ece_bins} equal-width bins of the top-label confidence. Points below the diagonal "
           "are over-confident: the model is right less often than it claims.")

st.subheader("Calibration metrics")
render.small_table(tables.calibration_table(report), index="model")
st.caption(f"Lower is better. {round(report.settings.confidence * 100)}% intervals: ECE by bootstrap test inversion, "
           "Brier score and log loss by t interval.")

st.subheader("Differences")
metrics = ("expected_calibration_error", "brier_score", "log_loss")
rows = []
for comparison in report.comparisons:
    for metric in metrics:
        d = comparison.metrics.get(metric)
        if d is not None:
            rows.append({"candidate": comparison.candidate, "metric": evaluation.METRICS[metric].title,
                         "difference": evaluation.format_number(d.difference, signed=True, digits=4),
                         "interval": f"[{evaluation.format_number(d.ci_low, signed=True, digits=4)}, "
                                     f"{evaluation.format_number(d.ci_high, signed=True, digits=4)}]",
                         "test": d.test, "verdict": d.verdict})
render.small_table(pd.DataFrame(rows), index="candidate")
