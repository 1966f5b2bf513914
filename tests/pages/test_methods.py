"""The Methods page shows ``docs/methods.md``, the one source of how every number is computed."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

METHODS = Path(__file__).resolve().parents[2] / "docs" / "methods.md"


def test_methods_page_shows_docs_methods_without_its_title(app: AppTest) -> None:
    app.switch_page("pages/methods.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.warning  # the file was found
    assert [title.value for title in app.title] == ["Methods"]
    title, body = METHODS.read_text(encoding="utf-8").strip().split("\n", 1)
    assert title == "# Methods and conventions"
    shown = [str(element.value) for element in app.markdown]
    assert body.strip() in shown
    assert not any(value.lstrip().startswith("# ") for value in shown)
