"""Methods: what each number means and how intervals and tests are computed, with references."""

import re
from pathlib import Path

import streamlit as st

from components import render

README = Path(__file__).resolve().parent.parent / "README.md"


@st.cache_data(show_spinner=False)
def methods_section(text: str) -> str:
    """The README's "Methods and conventions" section (the one source of these facts), headings demoted."""
    match = re.search(r"^## Methods and conventions\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    return match.group(1).strip() if match else ""


render.ensure_entrypoint()
st.title("Methods")
st.markdown(
    "Every metric carries a confidence interval; every difference is **candidate minus baseline on the same "
    "examples** (a paired difference) with its own interval and a named test; p-values are adjusted for multiple "
    "comparisons, and a verdict (better / worse) needs the adjusted p-value below alpha. The details below are "
    "the README's, so the dashboard, the command line and the reports follow the same rules.")
section = methods_section(README.read_text(encoding="utf-8")) if README.exists() else ""
if section:
    st.markdown(section)
else:
    st.warning("The methods section of README.md could not be found next to the app.")
