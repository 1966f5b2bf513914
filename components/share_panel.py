"""The sidebar's Share section: the Share button with the link's expiry, the links this session shared (each
delete key shown once), and a form that deletes any link with its delete key, from any browser.

Render helpers take a ``key_prefix`` for their widget keys; the choices and messages are plain data, tested
without a browser. The store is :func:`components.state.share_store`.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

import evaluation

from . import access, state
from .share_store import (
    DeleteOutcome,
    ShareError,
    ShareLimits,
    ShareRefused,
    ShareState,
    ShareStore,
    ShareUnavailable,
    expiry_text,
    is_valid_token,
    token_from_link,
)

__all__ = ["CLI_DELETE", "DELETE_MESSAGES", "LIFETIME_CHOICES", "delete_form", "lifetime_choices", "lifetime_label",
           "share_section"]

LIFETIME_CHOICES = (1, 7, 30, 90)
"""Lifetimes (days) offered when sharing, besides the server's default and maximum (never beyond the maximum)."""
CLI_DELETE = "python -m components.share_cli delete LINK --key KEY"
DELETE_MESSAGES: dict[DeleteOutcome, tuple[str, str]] = {
    DeleteOutcome.DELETED: ("success", "Deleted: the link no longer opens."),
    DeleteOutcome.ALREADY_DELETED: ("info", "This link was already deleted; nothing to do."),
    DeleteOutcome.EXPIRED: ("info", "This link has expired; it no longer opens and its files are removed."),
    DeleteOutcome.WRONG_KEY: ("error", "Not deleted: that delete key does not belong to this link. The key was shown "
                                       "once, when the link was made."),
    DeleteOutcome.UNKNOWN: ("error", "Not deleted: this server has no such link. Check the link (a link made on "
                                     "another server is deleted there)."),
}
"""The kind of alert (``success``, ``info``, ``error``) and the message for each outcome of a delete."""
_NOT_A_LINK = ("Not deleted: that is not a share link. Paste the whole link (it ends in `?c=` and 32 characters) "
               "or just its token.")
_NOT_A_KEY = "Not deleted: that is not a delete key. A delete key has 32 characters (letters, digits, - and _)."


def lifetime_choices(limits: ShareLimits) -> list[int]:
    """The lifetimes (days) a sharer may choose: :data:`LIFETIME_CHOICES` up to the server's maximum, plus its
    default and its maximum.

    >>> lifetime_choices(ShareLimits()), lifetime_choices(ShareLimits(lifetime_days=3, max_lifetime_days=14))
    ([1, 7, 30, 90, 365], [1, 3, 7, 14])
    """
    allowed = {days for days in LIFETIME_CHOICES if days <= limits.max_lifetime_days}
    return sorted(allowed | {limits.lifetime_days, limits.max_lifetime_days})


def lifetime_label(days: int, limits: ShareLimits) -> str:
    """How a lifetime reads in the select box.

    >>> lifetime_label(1, ShareLimits()), lifetime_label(30, ShareLimits()), lifetime_label(365, ShareLimits())
    ('1 day', '30 days (default)', '365 days (the longest this server allows)')
    """
    notes = [note for note, applies in (("default", days == limits.lifetime_days),
                                        ("the longest this server allows", days == limits.max_lifetime_days)) if applies]
    return ("1 day" if days == 1 else f"{days} days") + (f" ({', '.join(notes)})" if notes else "")


def _flash(key_prefix: str, kind: str, message: str) -> None:
    """Keep a message for the section to show on this run or the next (a callback or a rerun comes first)."""
    st.session_state[f"{key_prefix}_share_flash"] = (kind, message)


def _show_flash(key_prefix: str) -> None:
    """Show the kept message once."""
    kept = st.session_state.pop(f"{key_prefix}_share_flash", None)
    if kept is not None:
        kind, message = kept
        show = {"success": st.success, "info": st.info}.get(kind, st.error)
        show(message, icon={"success": ":material/check_circle:", "info": ":material/info:"}.get(kind, ":material/error:"))


def _forget(token: str) -> str:
    """Drop a link that no longer opens from this session; a note when the session was viewing it."""
    session = st.session_state
    session.get("my_shares", {}).pop(token, None)
    if session.get("shared_token") == token:
        state.leave_shared_view()
        return " You were viewing it: the demo comparison is shown now."
    return ""


def _delete_submitted(key_prefix: str) -> None:
    """The delete form's callback: validate the pasted link and key, delete, and keep the outcome's message."""
    session = st.session_state
    link_key, key_key = f"{key_prefix}_delete_link", f"{key_prefix}_delete_key"
    token = token_from_link(session.get(link_key) or "")
    delete_key = (session.get(key_key) or "").strip()
    if token is None:
        _flash(key_prefix, "error", _NOT_A_LINK)
        return
    if not is_valid_token(delete_key):
        _flash(key_prefix, "error", _NOT_A_KEY)
        return
    try:
        outcome = state.share_store().delete_share(token, delete_key)
    except ShareUnavailable as error:
        _flash(key_prefix, "error", f"Not deleted: {error}.")
        return
    kind, message = DELETE_MESSAGES[outcome]
    if outcome is not DeleteOutcome.WRONG_KEY and outcome is not DeleteOutcome.UNKNOWN:
        session[link_key] = session[key_key] = ""
        message += _forget(token)
    _flash(key_prefix, kind, message)


def delete_form(key_prefix: str) -> None:
    """A toggle that opens a form: paste a link (or its token) and its delete key, and delete it.

    Works in any browser session, also after the one that shared has ended; in a shared view the link field
    starts with the link on display. The fields appear only when asked for (the toggle), so that a page's own
    inputs stay the first and only ones a visitor meets.
    """
    session = st.session_state
    if not st.toggle("Delete a shared link", key=f"{key_prefix}_delete_open",
                     help="With the delete key shown when the link was made; works from any browser."):
        return
    if session.get("shared_token"):
        session.setdefault(f"{key_prefix}_delete_link", session["shared_token"])
    with st.form(f"{key_prefix}_delete_form", enter_to_submit=True):
        st.text_input("Link or token", key=f"{key_prefix}_delete_link", placeholder="https://…/?c=…")
        st.text_input("Delete key", key=f"{key_prefix}_delete_key", type="password",
                      help="Shown once, when the link was made.")
        st.form_submit_button("Delete link", key=f"{key_prefix}_delete_submit", icon=":material/delete:",
                              on_click=_delete_submitted, args=(key_prefix,))
        st.caption(f"On the server, the command line does the same: `{CLI_DELETE}`.")


def _new_share(store: ShareStore, key_prefix: str) -> None:
    """The expiry select and the Share button; a new link's token and key go to the session."""
    limits = store.limits
    choices = lifetime_choices(limits)
    days = st.selectbox("Link expires after", choices, index=choices.index(limits.lifetime_days),
                        key=f"{key_prefix}_share_days", format_func=lambda days: lifetime_label(days, limits),
                        help="After that the link stops working and its files are removed from this server.")
    if st.button("Share this comparison", key=f"{key_prefix}_share", icon=":material/share:",
                 help="Saves the files (with the Shift and Monitoring pages' production files), the column mapping and the "
                      "view settings on this server and gives a link."):
        spec = state.current_spec()
        try:
            production = state.production_files()
            token, delete_key = store.save(state.share_files(spec, production),
                                           state.share_payload(spec, state.view(), production), expires_in_days=days)
        except (ShareRefused, ShareUnavailable) as refusal:
            st.error(f"Not shared: {evaluation.escape_markdown(refusal)}", icon=":material/error:")
        else:
            st.session_state.setdefault("my_shares", {})[token] = delete_key
            st.session_state["share_new"] = token


def _shared_links(store: ShareStore, link: Callable[[str], str], key_prefix: str) -> None:
    """The links this session shared that still open, each with its expiry and a Delete button; a new link's
    delete key, once."""
    session = st.session_state
    mine: dict[str, str] = session.setdefault("my_shares", {})
    new = session.pop("share_new", None)
    for token in list(mine):
        try:
            status = store.status(token)
        except ShareError:
            continue  # the store went away: the link is neither shown nor forgotten
        if status.state is not ShareState.ACTIVE:  # deleted elsewhere (the form, the command line) or expired
            mine.pop(token)
            continue
        st.markdown("Link to this comparison:")
        st.code(link(token), language=None, wrap_lines=True)
        st.caption(f"Anyone with the link sees this comparison, read-only, until {expiry_text(status.expires_at)}.")
        if token == new:
            st.warning("**Delete key: copy it now, it will not be shown again.** With it you can delete this link "
                       "later from any browser (Delete a shared link, below) or on the server.", icon=":material/key:")
            st.code(mine[token], language=None, wrap_lines=True)
        if st.button("Delete this shared link", key=f"{key_prefix}_delete_{token}", icon=":material/delete:"):
            try:
                outcome = store.delete_share(token, mine[token])
            except ShareUnavailable as refusal:
                st.error(f"Not deleted: {refusal}.", icon=":material/error:")
                return
            mine.pop(token, None)
            _flash(key_prefix, *DELETE_MESSAGES[outcome])
            st.rerun()


def share_section(key_prefix: str, *, link: Callable[[str], str]) -> None:
    """The sidebar's Share section.

    Outside a shared view: the expiry select and the Share button (behind :func:`components.access.gate`), or why
    sharing is unavailable; the links this session shared. Always, when the store can be written: the form that
    deletes a link with its key.

    Parameters
    ----------
    key_prefix:
        Prefix of the widget keys (``{key_prefix}_share``, ``{key_prefix}_delete_{token}``, ...).
    link:
        Builds a token's link (:func:`components.render.share_link`).
    """
    store = state.share_store()
    if not state.is_shared_view():
        if not store.writable:
            st.caption(f"Sharing is unavailable on this server: {evaluation.escape_markdown(store.unavailable_reason)}."
                       + (" Existing links still open." if store.readable else ""))
        elif access.gate("share comparisons", key_prefix):
            _new_share(store, key_prefix)
        _shared_links(store, link, key_prefix)
    if store.writable:
        delete_form(key_prefix)
    _show_flash(key_prefix)
