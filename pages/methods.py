"""Methods: what each number means and how intervals and tests are computed, with references."""

from pathlib import Path

import streamlit as st

from components import render

METHODS = Path(__file__).resolve().parent.parent / "docs" / "methods.md"


@st.cache_data(show_spinner=False)
def methods_body(text: str) -> str:
    """``docs/methods.md`` (the one source of these facts) without its title: the page has its own."""
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(lines).strip()


render.ensure_entrypoint()
st.title("Methods")
st.markdown(
    "Every metric carries a confidence interval; every difference is **candidate minus baseline on the same "
    "examples** (a paired difference) with its own interval and a named test; p-values are adjusted for multiple "
    "comparisons, and a verdict (better / worse) needs the adjusted p-value below alpha. The details below are "
    "the project's `docs/methods.md`, so the dashboard, the command line and the reports follow the same rules.")
body = methods_body(METHODS.read_text(encoding="utf-8")) if METHODS.exists() else ""
if body:
    st.markdown(body)
else:
    st.warning("docs/methods.md could not be found next to the app.")
