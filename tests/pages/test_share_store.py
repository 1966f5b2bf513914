"""ShareStore: an embedded SQLite store of shared comparisons (no streamlit)."""

from __future__ import annotations

import math
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from components.share_store import (
    DeleteOutcome,
    ShareState,
    ShareStatus,
    ShareStore,
    default_path,
    is_valid_token,
    token_from_link,
)

FILES = [("base.csv", b"id,label\n1,a\n"), ("tuned.parquet", bytes(range(256)))]
PAYLOAD = {"names": ["base", "tuned"], "baseline": "base", "view": {"threshold": 0.25, "slice_column": None}}


@pytest.fixture
def store(tmp_path: Path) -> ShareStore:
    return ShareStore(tmp_path / "nested" / "folder" / "shares.sqlite3")


def test_round_trip_keeps_bytes_names_order_and_payload(store: ShareStore) -> None:
    token, _ = store.save(FILES, PAYLOAD)
    shared = store.load(token)
    assert shared is not None
    assert shared.files == tuple(FILES)
    assert shared.payload == PAYLOAD
    assert shared.token == token and shared.created_at < shared.expires_at  # type: ignore[operator]


def test_folder_and_schema_are_created_on_open(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "shares.sqlite3"
    ShareStore(path)
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = connection.execute("PRAGMA user_version").fetchone()[0]
    assert tables == {"shares", "share_files", "blobs", "ended_shares"} and version == 3


def test_unknown_and_malformed_tokens_load_nothing(store: ShareStore) -> None:
    store.save(FILES, PAYLOAD)
    assert store.load("A" * 32) is None
    for bad in ("", "short", "x" * 31, "x" * 33, "' OR 1=1 --xxxxxxxxxxxxxxxxxxxxx", "../../etc/passwd" * 2, None, 42):
        assert store.load(bad) is None  # type: ignore[arg-type]


def test_delete_needs_the_right_key(store: ShareStore) -> None:
    token, key = store.save(FILES, PAYLOAD)
    other_token, other_key = store.save(FILES, PAYLOAD)
    assert not store.delete(token, other_key)
    assert not store.delete(token, "not a key")
    assert not store.delete("B" * 32, key)
    assert store.load(token) is not None
    assert store.delete(token, key)
    assert store.load(token) is None
    assert not store.delete(token, key)  # already gone
    assert store.load(other_token) is not None  # others untouched
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM share_files WHERE token = ?", (token,)).fetchone()[0] == 0


def test_the_delete_key_is_stored_hashed(store: ShareStore) -> None:
    token, key = store.save(FILES, PAYLOAD)
    raw = store.path.read_bytes()
    assert key.encode() not in raw
    with sqlite3.connect(store.path) as connection:
        stored = connection.execute("SELECT delete_key_sha256 FROM shares WHERE token = ?", (token,)).fetchone()[0]
    assert re.fullmatch(r"[0-9a-f]{64}", stored)


def test_shares_persist_across_instances_and_processes(tmp_path: Path) -> None:
    path = tmp_path / "shares.sqlite3"
    token, key = ShareStore(path).save(FILES, PAYLOAD)
    assert ShareStore(path).load(token).payload == PAYLOAD  # type: ignore[union-attr]
    code = (f"from components.share_store import ShareStore; s = ShareStore({str(path)!r}); "
            f"print(s.load({token!r}).files[1][1] == bytes(range(256)), s.delete({token!r}, {key!r}))")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "True"]
    assert ShareStore(path).load(token) is None


def test_tokens_and_keys_carry_at_least_128_random_bits(tmp_path: Path) -> None:
    store = ShareStore(tmp_path / "shares.sqlite3", saves_per_minute=1000)
    pairs = [store.save(FILES[:1], {}) for _ in range(200)]
    secrets_seen = [secret for pair in pairs for secret in pair]
    assert len(set(secrets_seen)) == len(secrets_seen)
    for secret in secrets_seen:
        assert is_valid_token(secret)
        assert len(secret) * math.log2(64) >= 128  # URL-safe base64: 6 bits a character, 32 characters = 192 bits
    # Every position varies: the characters are not drawn from a narrow set.
    characters = {c for secret in secrets_seen for c in secret}
    assert len(characters) > 50


def test_saving_refuses_no_files_and_non_json_payloads(store: ShareStore) -> None:
    with pytest.raises(ValueError):
        store.save([], PAYLOAD)
    with pytest.raises(ValueError):
        store.save(FILES, {"threshold": float("nan")})
    with pytest.raises(TypeError):
        store.save(FILES, {"bytes": b"x"})


def test_default_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MODEL_COMPARE_SHARE_DB", str(tmp_path / "x.sqlite3"))
    assert default_path() == tmp_path / "x.sqlite3"
    monkeypatch.delenv("MODEL_COMPARE_SHARE_DB")
    assert default_path().parts[-2:] == (".shares", "shares.sqlite3")


def test_the_store_does_not_import_streamlit() -> None:
    code = "import sys, components.share_store; print('streamlit' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_delete_share_says_why_nothing_was_deleted(store: ShareStore) -> None:
    token, key = store.save(FILES, PAYLOAD)
    assert store.delete_share(token, "W" * 32) is DeleteOutcome.WRONG_KEY
    assert store.delete_share(token, "not a key") is DeleteOutcome.WRONG_KEY
    assert store.delete_share("U" * 32, key) is DeleteOutcome.UNKNOWN
    assert store.delete_share("../etc/passwd", key) is DeleteOutcome.UNKNOWN
    assert store.status(token) == ShareStatus(ShareState.ACTIVE, store.load(token).expires_at)  # type: ignore[union-attr]
    assert store.delete_share(token, key) is DeleteOutcome.DELETED
    assert store.delete_share(token, key) is DeleteOutcome.ALREADY_DELETED
    assert store.delete_share(token, "W" * 32) is DeleteOutcome.ALREADY_DELETED
    assert store.status(token) == ShareStatus(ShareState.DELETED, None)
    assert store.status("U" * 32) == ShareStatus(ShareState.UNKNOWN, None)
    assert store.status("short") == ShareStatus(ShareState.UNKNOWN, None)


@pytest.mark.parametrize("pasted", ["{t}", "  {t}\n", "https://models.example/?c={t}", "http://127.0.0.1:8501/overview?c={t}&x=1",
                                    "<https://models.example/base/?c={t}>", '"{t}"', "?c={t}", "c={t}"])
def test_token_from_link_reads_a_pasted_link_or_token(pasted: str) -> None:
    token = "Ab-_" * 8
    assert token_from_link(pasted.format(t=token)) == token


@pytest.mark.parametrize("pasted", ["", "   ", "https://models.example/", "https://models.example/?c=short",
                                    "https://x/?c=" + "A" * 32 + "&c=" + "B" * 32, "A" * 33, "../" * 11])
def test_token_from_link_refuses_what_is_not_a_link(pasted: str) -> None:
    assert token_from_link(pasted) is None
