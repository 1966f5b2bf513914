"""Who may upload files and share comparisons on a dashboard served to a team.

Viewing is open: the demo, and any comparison whose share link (``?c=TOKEN``) a visitor holds. Uploading
and sharing can be restricted in one of two ways, both off by default (a dashboard on 127.0.0.1 serves
only its own machine):

- a team token: set ``MODEL_COMPARE_ACCESS_TOKEN`` in the server's environment; a visitor types it once
  per browser session to unlock the Data page's uploads and the Share button;
- an identity provider: configure Streamlit's built-in OpenID Connect login (an ``[auth]`` section in
  ``.streamlit/secrets.toml``); a visitor then logs in to upload and share. Setting
  ``MODEL_COMPARE_ALLOWED_EMAILS`` (comma-separated addresses, or ``@domain`` entries) narrows who may.

The pure checks are here; :func:`gate` is the small render helper the pages call.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping

import streamlit as st

__all__ = ["ALLOWED_EMAILS_VARIABLE", "TOKEN_VARIABLE", "email_allowed", "gate", "required_token", "token_matches"]

TOKEN_VARIABLE = "MODEL_COMPARE_ACCESS_TOKEN"
ALLOWED_EMAILS_VARIABLE = "MODEL_COMPARE_ALLOWED_EMAILS"
_GRANTED = "access_granted"


def required_token(environ: Mapping[str, str] | None = None) -> str | None:
    """The team token uploads and shares need, or ``None`` when none is configured.

    >>> required_token({"MODEL_COMPARE_ACCESS_TOKEN": "  s3cret "}), required_token({})
    ('s3cret', None)
    """
    value = (os.environ if environ is None else environ).get(TOKEN_VARIABLE, "").strip()
    return value or None


def token_matches(given: str, expected: str) -> bool:
    """Whether ``given`` is the token, compared in constant time.

    >>> token_matches("s3cret", "s3cret"), token_matches("guess", "s3cret"), token_matches("", "s3cret")
    (True, False, False)
    """
    return bool(given) and hmac.compare_digest(given.strip().encode(), expected.encode())


def email_allowed(email: str | None, allowed: str) -> bool:
    """Whether a logged-in ``email`` is on the allowed list (empty list: everyone who logs in).

    >>> email_allowed("ana@corp.example", "@corp.example"), email_allowed("eve@evil.example", "ana@corp.example")
    (True, False)
    >>> email_allowed("x@y.example", ""), email_allowed(None, "@corp.example")
    (True, False)
    """
    entries = [entry.strip().lower() for entry in allowed.split(",") if entry.strip()]
    if not entries:
        return True
    if not email:
        return False
    email = email.strip().lower()
    return any(email == entry or (entry.startswith("@") and email.endswith(entry)) for entry in entries)


def _login_configured() -> bool:
    """Whether Streamlit's built-in login has an ``[auth]`` section to use."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, ValueError, OSError):  # no secrets file, or one Streamlit cannot read
        return False


def gate(action: str, key_prefix: str) -> bool:
    """Whether this visitor may ``action`` (upload, share); asks for the token or a login when not.

    Returns ``True`` at once when no access control is configured.
    """
    if _login_configured():
        if not st.user.is_logged_in:
            st.info(f"Log in to {action}. Shared links open without logging in.", icon=":material/lock:")
            st.button("Log in", key=f"{key_prefix}_login", on_click=st.login, icon=":material/login:")
            return False
        email = st.user.get("email")
        if not email_allowed(email if isinstance(email, str) else None, os.environ.get(ALLOWED_EMAILS_VARIABLE, "")):
            st.warning(f"Your account may view shared comparisons but not {action}.", icon=":material/lock:")
            return False
        return True
    expected = required_token()
    if expected is None or st.session_state.get(_GRANTED):
        return True
    given = st.text_input(f"Team access token (needed to {action})", type="password", key=f"{key_prefix}_token",
                          help="The dashboard's owner set a token for uploads and shares. Shared links open without it.")
    if given and token_matches(given, expected):
        st.session_state[_GRANTED] = True
        return True
    if given:
        st.error("That token is not right.", icon=":material/lock:")
    return False
