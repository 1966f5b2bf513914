"""The Data page's kept files: an :class:`Upload` list in the session, one of them the baseline.

The files live in the session, not in the uploader widget (whose state Streamlit drops when its page
is not shown): the uploader's callback (:func:`on_upload_change`) adds what was dropped, then empties
the uploader. Files are added, replaced and removed one at a time; each keeps its model name, and one
of them is the baseline. Errors of the last failed computation are kept beside them, by filename.

A generation comparison may also keep one file of preference judgments (:func:`judgments_upload`), beside the
prediction files: its own uploader adds it (:func:`on_judgments_change`; a new file takes the place of the kept
one) and its Remove button drops it (:func:`remove_judgments`).

Every task may also keep fine-tuning data (:func:`training_uploads`, one or more files searched for the test
examples, ``docs/leakage.md``): its uploader adds files (:func:`on_training_change`; a file named like a kept one
takes its place) and each file's Remove button drops it (:func:`remove_training`). The Shift page keeps one
production file (:func:`production_upload`), in the same way as the judgments file.

Everything is kept under fixed ``st.session_state`` keys: ``upload_set``, ``upload_baseline``,
``upload_replacing``, ``uploader_generation``, ``upload_errors``, ``upload_judgments``,
``judgments_uploader_generation``, ``upload_training``, ``training_uploader_generation``, ``upload_production`` and
``production_uploader_generation``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import streamlit as st

import evaluation

__all__ = [
    "UPLOAD_TYPES",
    "Upload",
    "add_uploads",
    "judgments_file",
    "judgments_upload",
    "judgments_uploader_key",
    "on_judgments_change",
    "on_production_change",
    "on_training_change",
    "on_upload_change",
    "production_file",
    "production_upload",
    "production_uploader_key",
    "remove_judgments",
    "remove_production",
    "remove_training",
    "remove_upload",
    "replace_upload",
    "replacing",
    "set_production",
    "set_upload_baseline",
    "set_upload_names",
    "start_replacing",
    "stop_replacing",
    "training_files",
    "training_uploader_key",
    "training_uploads",
    "upload_baseline",
    "upload_digests",
    "upload_errors",
    "upload_set",
    "uploader_key",
    "uploads",
    "uploads_signature",
]

UPLOAD_TYPES: tuple[str, ...] = (*(extension.lstrip(".") for extension in evaluation.ACCEPTED_EXTENSIONS), "gz")
"""What the uploader accepts: the engine's file types, each optionally gzipped."""


@dataclass(frozen=True)
class Upload:
    """One prediction file kept in the session for the Data page.

    Attributes
    ----------
    filename:
        The file's name as uploaded; unique in the list (a file with the same name replaces it).
    content:
        The file's bytes.
    digest:
        SHA-256 of ``content`` (computed once, at upload).
    name:
        The model name the comparison uses for it.
    """

    filename: str
    content: bytes = field(repr=False)
    digest: str
    name: str


def _upload(filename: str, content: bytes, name: str | None = None) -> Upload:
    """An :class:`Upload` of ``content``, named ``name`` or the default model name of ``filename``."""
    return Upload(filename, content, hashlib.sha256(content).hexdigest(), name or evaluation.model_name(filename))


def upload_set() -> list[Upload]:
    """The files kept in this session for the Data page, in upload order (the list survives page switches)."""
    return list(st.session_state.get("upload_set") or [])


def upload_baseline() -> str | None:
    """The filename of the baseline among :func:`upload_set` (``None`` when no file is kept)."""
    entries = upload_set()
    chosen = st.session_state.get("upload_baseline")
    filenames = [entry.filename for entry in entries]
    return chosen if chosen in filenames else (filenames[0] if filenames else None)


def _store(entries: list[Upload], baseline: str | None, changed: Sequence[str]) -> None:
    """Keep ``entries`` and their baseline; forget computation errors about changed or removed files."""
    session = st.session_state
    session["upload_set"] = entries
    session["upload_baseline"] = baseline
    filenames = {entry.filename for entry in entries}
    errors = upload_errors()
    for filename in list(errors):
        if filename == "" or filename in changed or filename not in filenames:
            del errors[filename]


def add_uploads(files: Sequence[tuple[str, bytes]]) -> None:
    """Add ``(filename, content)`` files to the list; a file named like one in the list takes its place.

    A replaced file keeps its position, its model name and its baseline role; the other files stay as
    they are (also when the new file cannot be read: its error is shown beside it).
    """
    entries = upload_set()
    positions = {entry.filename: i for i, entry in enumerate(entries)}
    for filename, content in files:
        if filename in positions:
            entries[positions[filename]] = _upload(filename, content, entries[positions[filename]].name)
        else:
            positions[filename] = len(entries)
            entries.append(_upload(filename, content))
    _store(entries, upload_baseline() or (entries[0].filename if entries else None), [name for name, _ in files])


def replace_upload(filename: str, file: tuple[str, bytes]) -> None:
    """Put ``file`` (``(filename, content)``) in the place of the kept file ``filename``.

    It keeps the position and the baseline role; the model name too, unless it was the default name
    of the old file (then the new file's default name). Added at the end if ``filename`` is not kept.
    """
    new_filename, content = file
    entries = upload_set()
    filenames = [entry.filename for entry in entries]
    if filename not in filenames:
        add_uploads([file])
        return
    index = filenames.index(filename)
    old = entries[index]
    name = None if old.name == evaluation.model_name(old.filename) else old.name
    entries[index] = _upload(new_filename, content, name)
    entries = [entry for i, entry in enumerate(entries) if i == index or entry.filename != new_filename]
    baseline = upload_baseline()
    _store(entries, new_filename if baseline in (filename, new_filename) else baseline, [filename, new_filename])


def remove_upload(filename: str) -> None:
    """Drop one kept file (a callback of its Remove button); the others stay."""
    entries = [entry for entry in upload_set() if entry.filename != filename]
    baseline = upload_baseline()
    _store(entries, None if baseline == filename else baseline, [filename])
    if st.session_state.get("upload_replacing") == filename:
        stop_replacing()


def set_upload_names(names: Sequence[str]) -> None:
    """The model names of the kept files, in their order (as the Data page's name fields hold them)."""
    entries = upload_set()
    st.session_state["upload_set"] = [dataclasses.replace(entry, name=name)
                                      for entry, name in zip(entries, names, strict=True)]


def set_upload_baseline(filename: str) -> None:
    """Make the kept file ``filename`` the baseline."""
    if filename in [entry.filename for entry in upload_set()]:
        st.session_state["upload_baseline"] = filename


def uploader_key() -> str:
    """The key of the Data page's uploader; it changes after each upload, which empties the uploader."""
    return f"data_uploader_{st.session_state.get('uploader_generation', 0)}"


def replacing() -> str | None:
    """The kept file the next upload replaces (after its Replace button), else ``None``."""
    target = st.session_state.get("upload_replacing")
    return target if target in [entry.filename for entry in upload_set()] else None


def start_replacing(filename: str) -> None:
    """Let the next upload replace ``filename`` (a callback of its Replace button)."""
    st.session_state["upload_replacing"] = filename
    st.session_state["uploader_generation"] = st.session_state.get("uploader_generation", 0) + 1


def stop_replacing() -> None:
    """Back to adding files (a callback of the Cancel button)."""
    st.session_state.pop("upload_replacing", None)
    st.session_state["uploader_generation"] = st.session_state.get("uploader_generation", 0) + 1


def on_upload_change(widget_key: str) -> None:
    """The uploader's callback: keep what was dropped in the session's list, then empty the uploader.

    Dropped files are added (a file named like a kept one replaces it), or, after a Replace button,
    the one dropped file takes the place of that kept file. Nothing else in the list changes.
    """
    session = st.session_state
    value = session.get(widget_key)
    dropped = value if isinstance(value, list) else [] if value is None else [value]
    files = [(file.name, file.getvalue()) for file in dropped]
    target = replacing()
    session.pop("upload_replacing", None)
    if target is not None and len(files) == 1:
        replace_upload(target, files[0])
    elif files:
        add_uploads(files)
    session["uploader_generation"] = session.get("uploader_generation", 0) + 1


def uploads() -> list[tuple[str, bytes]]:
    """The kept files, ``(filename, content)``, in the order of :func:`upload_set`."""
    return [(entry.filename, entry.content) for entry in upload_set()]


def upload_digests() -> list[str]:
    """SHA-256 of each kept file's bytes (computed once, at upload), in the order of :func:`uploads`."""
    return [entry.digest for entry in upload_set()]


def uploads_signature(files: Sequence[tuple[str, bytes]], digests: Sequence[str]) -> str:
    """A short digest of a set of files (names and content digests), to key widgets that depend on them."""
    return hashlib.sha256(json.dumps([[name for name, _ in files], list(digests)]).encode()).hexdigest()[:12]


def upload_errors() -> dict[str, str]:
    """Messages of the last failed computation, by filename (``""`` for errors about no single file)."""
    return st.session_state.setdefault("upload_errors", {})


# --- the judgments file (generation) ----------------------------------------------------------------

def judgments_upload() -> Upload | None:
    """The kept file of preference judgments, or ``None`` (its ``name`` is the file's default model name, unused)."""
    return st.session_state.get("upload_judgments")


def judgments_file() -> tuple[str, bytes] | None:
    """The kept judgments file as ``(filename, content)``, or ``None``."""
    kept = judgments_upload()
    return None if kept is None else (kept.filename, kept.content)


def judgments_uploader_key() -> str:
    """The key of the judgments uploader; it changes after each upload, which empties the uploader."""
    return f"data_judgments_uploader_{st.session_state.get('judgments_uploader_generation', 0)}"


def on_judgments_change(widget_key: str) -> None:
    """The judgments uploader's callback: keep the dropped file in place of the kept one, then empty the uploader.

    The prediction files and their errors are left as they are, also when the new file cannot be read; errors of
    the former judgments file are forgotten.
    """
    session = st.session_state
    dropped = session.get(widget_key)
    if dropped is not None:
        former = judgments_upload()
        session["upload_judgments"] = _upload(dropped.name, dropped.getvalue())
        _forget_judgments_errors(former)
    session["judgments_uploader_generation"] = session.get("judgments_uploader_generation", 0) + 1


def remove_judgments() -> None:
    """Drop the kept judgments file (a callback of its Remove button)."""
    _forget_judgments_errors(st.session_state.pop("upload_judgments", None))


def _forget_judgments_errors(former: Upload | None) -> None:
    """Forget the last computation's errors about a judgments file that was replaced or removed."""
    errors = upload_errors()
    errors.pop("", None)
    if former is not None and former.filename not in {entry.filename for entry in upload_set()}:
        errors.pop(former.filename, None)


# --- the fine-tuning data (leakage, every task) ----------------------------------------------------

def training_uploads() -> list[Upload]:
    """The kept fine-tuning files, in upload order (their ``name`` is the file's default model name, unused)."""
    return list(st.session_state.get("upload_training") or [])


def training_files() -> tuple[tuple[str, bytes], ...]:
    """The kept fine-tuning files as ``(filename, content)``, in the order of :func:`training_uploads`."""
    return tuple((entry.filename, entry.content) for entry in training_uploads())


def training_uploader_key() -> str:
    """The key of the fine-tuning data's uploader; it changes after each upload, which empties the uploader."""
    return f"data_training_uploader_{st.session_state.get('training_uploader_generation', 0)}"


def on_training_change(widget_key: str) -> None:
    """The fine-tuning uploader's callback: keep the dropped files (a file named like a kept one takes its place),
    then empty the uploader. The prediction files and their errors are left as they are."""
    session = st.session_state
    value = session.get(widget_key)
    dropped = value if isinstance(value, list) else [] if value is None else [value]
    entries = training_uploads()
    positions = {entry.filename: i for i, entry in enumerate(entries)}
    errors = upload_errors()
    for file in dropped:
        entry = _upload(file.name, file.getvalue())
        if file.name in positions:
            entries[positions[file.name]] = entry
        else:
            positions[file.name] = len(entries)
            entries.append(entry)
        if file.name not in {kept.filename for kept in upload_set()}:
            errors.pop(file.name, None)
    if dropped:
        errors.pop("", None)
        session["upload_training"] = entries
    session["training_uploader_generation"] = session.get("training_uploader_generation", 0) + 1


def remove_training(filename: str) -> None:
    """Drop one kept fine-tuning file (a callback of its Remove button); the others stay."""
    st.session_state["upload_training"] = [entry for entry in training_uploads() if entry.filename != filename]
    errors = upload_errors()
    errors.pop("", None)
    if filename not in {entry.filename for entry in upload_set()}:
        errors.pop(filename, None)


# --- the production file (the Shift page) ----------------------------------------------------------

def production_upload() -> Upload | None:
    """The kept production file of the Shift page, or ``None``."""
    return st.session_state.get("upload_production")


def production_file() -> tuple[str, bytes] | None:
    """The kept production file as ``(filename, content)``, or ``None``."""
    kept = production_upload()
    return None if kept is None else (kept.filename, kept.content)


def production_uploader_key() -> str:
    """The key of the production uploader; it changes after each upload, which empties the uploader."""
    return f"shift_production_uploader_{st.session_state.get('production_uploader_generation', 0)}"


def set_production(filename: str, content: bytes) -> None:
    """Keep ``content`` as the production file (in place of the kept one)."""
    st.session_state["upload_production"] = _upload(filename, content)


def on_production_change(widget_key: str) -> None:
    """The production uploader's callback: keep the dropped file in place of the kept one, then empty the uploader."""
    session = st.session_state
    dropped = session.get(widget_key)
    if dropped is not None:
        set_production(dropped.name, dropped.getvalue())
    session["production_uploader_generation"] = session.get("production_uploader_generation", 0) + 1


def remove_production() -> None:
    """Drop the kept production file (a callback of its Remove button)."""
    st.session_state.pop("upload_production", None)
