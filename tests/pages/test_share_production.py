"""Share links carry the Shift and Monitoring pages' production files: a link made after loading them opens both
pages with the same files and the same numbers; the payload names each file in its slot."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from components import state
from components.share_store import SharedComparison, ShareStore
from tests.pages.conftest import DEMO, ROOT
from tests.pages.test_monitor_page import HEADLINE, headline
from tests.pages.test_pages import texts
from tests.pages.test_share_panel import share
from tests.pages.test_upload_and_share import unescaped


def test_a_link_opens_the_shift_and_monitoring_pages_with_the_senders_production_files(app: AppTest,
                                                                                        share_db: Path) -> None:
    app.switch_page("pages/shift.py").run()
    app.button(key="shift_demo").click().run()
    app.switch_page("pages/monitor.py").run()
    app.button(key="monitor_demo").click().run()
    assert headline(app).startswith(HEADLINE)
    _, token, _ = share(app)

    stored = ShareStore(share_db).load(token)
    assert stored is not None
    assert stored.payload["production"] == [
        ["shift_production", "shift_production.csv"],
        ["monitor_production", "monitor_production.csv"],
        ["monitor_candidate_production", "monitor_production_finetuned.csv"],
        ["monitor_reference", "monitor_test.csv"], ["monitor_reference", "monitor_test_finetuned.csv"]]
    assert stored.files[-1] == ("monitor_test_finetuned.csv", (DEMO / "monitor_test_finetuned.csv").read_bytes())

    opened = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    opened.query_params["c"] = token
    opened.run()
    opened.switch_page("pages/monitor.py").run()
    assert not opened.exception, [e.value for e in opened.exception]
    assert headline(opened) == headline(app)  # the same logs and reference, so the same alert
    opened.switch_page("pages/shift.py").run()
    assert not opened.exception, [e.value for e in opened.exception]
    assert "production rows (shift_production.csv)" in unescaped(texts(opened))
    assert opened.session_state["spec"].files == state.demo_spec().files


def test_a_share_without_production_files_has_no_production_entry_and_opens_as_before() -> None:
    spec = state.demo_spec()
    payload = state.share_payload(spec, state.DEFAULT_VIEW, {})
    assert "production" not in payload
    assert state.share_files(spec, {}) == spec.files
    shared = SharedComparison("t" * 32, spec.files, payload, "2025-01-01T00:00:00+00:00")
    assert state.production_from_share(shared) == {}
    assert state.spec_from_share(shared)[0].files == spec.files


def test_the_production_files_come_off_the_end_before_the_fine_tuning_files() -> None:
    training = (("fine_tuning.csv", b"id\nx\n"),)
    spec = state.ComparisonSpec(files=state.demo_spec().files, names=("base", "finetuned"), baseline="base",
                                training=training)
    production = {"shift_production": (("prod.csv", b"a\n1\n"),),
                  "monitor_reference": (("t1.csv", b"1"), ("t2.csv", b"2"))}
    shared = SharedComparison("t" * 32, state.share_files(spec, production),
                              state.share_payload(spec, state.DEFAULT_VIEW, production), "2025-01-01T00:00:00+00:00")
    assert state.spec_from_share(shared)[0].training == training
    assert state.spec_from_share(shared)[0].files == spec.files
    assert state.production_from_share(shared) == production
