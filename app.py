"""Model comparison dashboard: ``streamlit run app.py``.

Configures the page, sets the session's shared state (the demo comparison, or a shared link's) and
runs the pages in ``pages/``.
"""

import streamlit as st

from components import render, state

# An emoji icon is drawn in the page itself; a Material icon would be fetched from a font server.
st.set_page_config(page_title="Is the fine-tuned model better?", page_icon="⚖️", layout="wide")
state.init_session()

# The pages that apply to the comparison shown: a regression or a text generation has no classes, curves or
# calibration, and its Overview and Examples are its own (at the same addresses). Shift compares the test set with
# production rows, for classification and regression;
# Monitoring follows a production log window by window against the test set, for classification only.
task = state.current_spec().resolved_task
if task == "generation":
    results = [
        st.Page("pages/generation_overview.py", title="Overview", icon=":material/dashboard:", default=True,
                url_path="overview"),
        st.Page("pages/slices.py", title="Slices", icon=":material/pie_chart:"),
        st.Page("pages/generation_examples.py", title="Examples", icon=":material/list_alt:", url_path="examples"),
    ]
elif task == "regression":
    results = [
        st.Page("pages/regression_overview.py", title="Overview", icon=":material/dashboard:", default=True,
                url_path="overview"),
        st.Page("pages/residuals.py", title="Residuals", icon=":material/scatter_plot:"),
        st.Page("pages/slices.py", title="Slices", icon=":material/pie_chart:"),
        st.Page("pages/regression_examples.py", title="Examples", icon=":material/list_alt:", url_path="examples"),
        st.Page("pages/shift.py", title="Shift", icon=":material/compare_arrows:"),
        st.Page("pages/monitor.py", title="Monitoring", icon=":material/monitor_heart:"),
    ]
else:
    results = [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/per_class.py", title="Per class", icon=":material/category:"),
        st.Page("pages/tradeoffs.py", title="Trade-offs", icon=":material/tune:"),
        st.Page("pages/calibration.py", title="Calibration", icon=":material/straighten:"),
        st.Page("pages/slices.py", title="Slices", icon=":material/pie_chart:"),
        st.Page("pages/examples.py", title="Examples", icon=":material/list_alt:"),
        st.Page("pages/shift.py", title="Shift", icon=":material/compare_arrows:"),
        st.Page("pages/monitor.py", title="Monitoring", icon=":material/monitor_heart:"),
    ]
pages = {
    "Input": [st.Page("pages/data.py", title="Data", icon=":material/upload_file:")],
    "Results": results,
    "Reference": [st.Page("pages/methods.py", title="Methods", icon=":material/menu_book:")],
}
page = st.navigation(pages)
if st.session_state.pop("go_to_overview", False):  # set by the Data page's Compare button
    st.switch_page(results[0])
try:
    render.sidebar("sidebar")  # share and export, on every page (also when a page stops early)
except Exception as error:  # a bug: an apology with a reference, never a traceback (st.stop and reruns pass)
    render.unexpected_error(error)
try:
    page.run()
except Exception as error:
    render.unexpected_error(error)
