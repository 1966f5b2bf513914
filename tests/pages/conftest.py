"""AppTest fixtures: the app on a clean cache, a share database in a temporary folder, the demo files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"


@pytest.fixture(autouse=True)
def clean_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test starts with empty caches and its own share database (never the repository's)."""
    database = tmp_path / "shares" / "shares.sqlite3"
    monkeypatch.setenv("MODEL_COMPARE_SHARE_DB", str(database))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield database
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def share_db(clean_caches: Path) -> Path:
    """The share database the app under test uses."""
    return clean_caches


@pytest.fixture
def app() -> AppTest:
    """The app after its first run (the demo comparison on the Overview page)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="session")
def demo_files() -> list[tuple[str, bytes]]:
    """The bundled demo prediction files, as an upload sends them."""
    return [(name, (DEMO / name).read_bytes()) for name in ("base.csv", "finetuned.csv")]


@pytest.fixture(scope="session")
def binary_files() -> list[tuple[str, bytes]]:
    """The bundled binary demo files (breast cancer, malignant vs benign)."""
    return [(name, (DEMO / name).read_bytes()) for name in ("binary_base.csv", "binary_finetuned.csv")]
