"""Links that reproduce a comparison: every set-up setting that changes a result travels in the URL.

The most-used settings have readable query parameters of their own (``scenario``, ``strategies``,
``seed``, ``reps``, ``tour``, ``learn``, ``tab``: Streamlit binds those widgets to the URL). Every other
setting of the set-up panel (households, regulation regime, economy, run length, population, the extra
TOML) is registered here with :func:`default` when its widget is built; the ones that differ from their
default travel together in one compact parameter, ``s`` (JSON, deflated, base64url). Opening a link
restores them before the widgets are drawn.

An uploaded file cannot travel in a URL: the page says so and offers the scenario download instead.
"""

from __future__ import annotations

import base64
import json
import zlib

import streamlit as st

PARAM = "s"


def encode(values: dict) -> str:
    raw = json.dumps(values, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode(code: str) -> dict:
    """The settings of a link's ``s`` parameter; raises ValueError when it is not one."""
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(code + "=" * (-len(code) % 4)))
        values = json.loads(raw)
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"the link's settings could not be read ({exc})") from exc
    if not isinstance(values, dict):
        raise ValueError("the link's settings could not be read")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


def restore() -> str | None:
    """Put the settings of the URL's ``s`` into the session before the widgets are drawn (once per link).
    Returns an error message for a damaged link."""
    code = st.query_params.get(PARAM)
    st.session_state["_link_defaults"] = {}
    if not code or st.session_state.get("_link") == code:
        return None
    st.session_state["_link"] = code
    try:
        values = decode(code)
    except ValueError as exc:
        return str(exc)
    for key, value in values.items():
        st.session_state[key] = value
    return None


def default(key: str, value) -> None:
    """Register a set-up widget's key and default (call before drawing the widget without a ``value``)."""
    if key not in st.session_state:
        st.session_state[key] = value
    st.session_state["_link_defaults"][key] = value


def publish() -> None:
    """Write the registered settings that differ from their defaults into the URL's ``s``."""
    defaults = st.session_state.get("_link_defaults", {})
    changed = {}
    for key, value in defaults.items():
        current = st.session_state.get(key, value)
        if isinstance(current, (list, tuple)):
            current = list(current)
            value = list(value) if isinstance(value, (list, tuple)) else value
        if current != value:
            changed[key] = current
    code = encode(changed) if changed else None
    st.session_state["_link"] = code
    if code is None:
        if PARAM in st.query_params:
            del st.query_params[PARAM]
    elif st.query_params.get(PARAM) != code:
        st.query_params[PARAM] = code
