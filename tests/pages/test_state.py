"""The dashboard's state without a browser: specs, conversions, sharing, uploads."""

from __future__ import annotations

import dataclasses

import pytest

import evaluation
from components import state, uploads
from evaluation import ColumnMapping, LoadOptions, Settings


def test_load_options_survive_json() -> None:
    options = LoadOptions(mapping=ColumnMapping(label="y", probabilities={"a": "p_a", "b": "p_b"}, metadata=("city",)),
                          positive_label="b", threshold=0.3, labels=("a", "b"), shared_ids_only=True)
    import json
    assert state.options_from_dict(json.loads(json.dumps(state.options_to_dict(options)))) == options
    assert state.options_from_dict(state.options_to_dict(LoadOptions())) == LoadOptions()


def test_settings_survive_json() -> None:
    settings = Settings(confidence=0.9, alpha=0.01, resamples=123, target_precisions=(0.8, 0.9), correction="fdr_bh")
    assert state.settings_from_dict(state.settings_to_dict(settings)) == settings


def test_the_key_follows_the_content() -> None:
    spec = state.ComparisonSpec(files=(("a.csv", b"1"), ("b.csv", b"2")), names=("a", "b"), baseline="a")
    same = state.ComparisonSpec(files=(("a.csv", b"1"), ("b.csv", b"2")), names=("a", "b"), baseline="a")
    assert spec.key == same.key
    changed_bytes = dataclasses.replace(spec, files=(("a.csv", b"1"), ("b.csv", b"3")))
    changed_settings = dataclasses.replace(spec, settings=dataclasses.replace(spec.settings, alpha=0.01))
    changed_mapping = dataclasses.replace(spec, options=LoadOptions(mapping=ColumnMapping(label="y")))
    changed_baseline = dataclasses.replace(spec, baseline="b")
    keys = {spec.key, changed_bytes.key, changed_settings.key, changed_mapping.key, changed_baseline.key}
    assert len(keys) == 5
    assert changed_settings.load_key == spec.load_key  # a new alpha reuses the loaded data


def test_share_payload_round_trip() -> None:
    spec = state.ComparisonSpec(files=(("a.csv", b"1"), ("b.csv", b"2")), names=("a", "b"), baseline="b",
                                options=LoadOptions(mapping=ColumnMapping(metadata=())), settings=Settings(alpha=0.01))
    view = {"threshold": 0.7, "class_label": "3", "slice_column": "city", "ignored": 1}
    from components.share_store import SharedComparison
    shared = SharedComparison("t" * 32, spec.files, state.share_payload(spec, view), "now")
    restored, restored_view = state.spec_from_share(shared)
    assert dataclasses.replace(restored, origin="upload") == spec
    assert restored.origin == "shared"
    assert restored_view == {"threshold": 0.7, "class_label": "3", "slice_column": "city", "candidate": None}


def test_the_chosen_candidate_survives_a_share_payload() -> None:
    from components.share_store import SharedComparison

    spec = state.ComparisonSpec(files=(("a.csv", b"1"), ("b.csv", b"2"), ("c.csv", b"3")), names=("a", "b", "c"),
                                baseline="a")
    payload = state.share_payload(spec, dict(state.DEFAULT_VIEW) | {"candidate": "c"})
    assert payload["view"]["candidate"] == "c"
    import json
    _, restored_view = state.spec_from_share(SharedComparison("t" * 32, spec.files, json.loads(json.dumps(payload)),
                                                              "now"))
    assert restored_view["candidate"] == "c"
    older = payload | {"view": {"threshold": 0.5}}  # a link shared before the candidate was kept
    _, older_view = state.spec_from_share(SharedComparison("t" * 32, spec.files, older, "now"))
    assert older_view["candidate"] is None


def test_build_options_keeps_detection_unless_changed() -> None:
    detected = ColumnMapping(id="id", label="label", prediction="pred", probabilities={"0": "prob_0", "1": "prob_1"},
                             metadata=("city", "age"))
    unchanged = {"id": "id", "label": "label", "prediction": "pred", "score": None,
                 "probabilities": ["prob_1", "prob_0"], "metadata": ["age", "city"]}
    assert state.build_options(detected, unchanged, positive_label=None) == LoadOptions()
    changed = unchanged | {"label": "gold", "probabilities": ["prob_0"], "metadata": []}
    options = state.build_options(detected, changed, positive_label="1")
    assert options.mapping == ColumnMapping(label="gold", probabilities={"0": "prob_0"}, metadata=())
    assert options.positive_label == "1"


@pytest.mark.parametrize("columns", [
    ["prob_cat", "prob_dog"], [" Prob_Cat ", "PROB_dog"], ["p_1", "p_2"], ["proba_x", "proba_y"],
    ["probability_a", "probability_b"], ["score_pos", "score_neg"],
])
def test_mapped_probability_columns_stand_for_the_classes_detection_finds(columns: list[str]) -> None:
    # Unticking one probability column turns detection into an explicit mapping; its classes must be
    # the ones the engine itself reads from the names.
    header = ",".join(["label", *columns])
    detected = evaluation.inspect_file(("m.csv", f"{header}\na,0.5,0.5\n".encode())).mapping
    assert detected.probabilities is not None and sorted(detected.probabilities.values()) == sorted(columns)
    chosen = {"id": None, "label": "label", "prediction": None, "score": None, "probabilities": columns[:1],
              "metadata": []}
    options = state.build_options(detected, chosen, positive_label=None)
    assert options.mapping.probabilities == {label: column for label, column in detected.probabilities.items()
                                             if column == columns[0]}


def test_the_uploader_takes_exactly_the_files_the_engine_reads() -> None:
    from evaluation._io import table_format

    for kind in uploads.UPLOAD_TYPES:  # every type offered is read (a .gz by what it holds)
        table_format(f"preds.{kind}" if kind != "gz" else "preds.csv.gz")
    offered = {f".{kind}" for kind in uploads.UPLOAD_TYPES}
    assert set(evaluation.ACCEPTED_EXTENSIONS) <= offered and offered - set(evaluation.ACCEPTED_EXTENSIONS) == {".gz"}
    assert "txt" in uploads.UPLOAD_TYPES and "tab" not in uploads.UPLOAD_TYPES


def test_the_stop_check_fires_once_the_browser_session_is_gone() -> None:
    import streamlit.runtime
    import streamlit.runtime.scriptrunner

    active = {"session-1"}

    class Runtime:
        @staticmethod
        def instance() -> Runtime:
            return Runtime()

        def is_active_session(self, session_id: str) -> bool:
            return session_id in active

    with pytest.MonkeyPatch.context() as patch:  # undone before the cache fixture's teardown needs the real runtime
        patch.setattr(streamlit.runtime, "exists", lambda: True)
        patch.setattr(streamlit.runtime, "Runtime", Runtime)
        patch.setattr(streamlit.runtime.scriptrunner, "get_script_run_ctx",
                      lambda: type("Context", (), {"session_id": "session-1"})())
        ended = state._session_ended()
    assert ended() is False
    active.clear()  # the tab was closed: Streamlit's session manager drops the session
    assert ended() is True


def test_without_a_server_the_stop_check_never_fires() -> None:
    assert state._session_ended()() is False
