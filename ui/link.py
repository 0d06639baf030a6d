"""Links that reproduce a comparison: every set-up setting that changes a result travels in the URL.

Every setting of the set-up panel is registered here with :func:`default` when its widget is built. The
most-used ones have readable query parameters of their own (``scenario``, ``strategies``, ``seed``,
``reps``, ``learn``); every other one that differs from its default (households, regulation regime,
economy, run length, population, the extra TOML, the guided tour) travels in one compact parameter, ``s``
(JSON, deflated, base64url). ``run=1`` says that the comparison was run; the tab is bound to ``tab`` by
Streamlit. Opening a link restores the settings before the widgets are drawn, once per session.

The page writes these parameters itself rather than binding widgets to the URL: a widget bound by
Streamlit cannot be written from the script, and a write of any other parameter in the same rerun sends
the server's copy of the query string, which can undo the browser's update of a bound widget.

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


READABLE = {"scenario": str, "strategies": list, "reps": int, "seed": int, "learn": bool}


def _from_param(kind, value):
    if kind is list:
        return list(value) if isinstance(value, list) else [value]
    value = value[-1] if isinstance(value, list) else value
    if kind is bool:
        return value.lower() in ("true", "1", "yes")
    return kind(value)


def restore() -> str | None:
    """On a session's first run, put the settings of the URL into the session before the widgets are drawn.
    Returns an error message for a damaged link."""
    st.session_state["_link_defaults"] = {}
    if st.session_state.get("_restored"):
        return None
    st.session_state["_restored"] = True
    problems = []
    for key, kind in READABLE.items():
        if key in st.query_params:
            value = st.query_params.get_all(key) if kind is list else st.query_params.get(key)
            try:
                st.session_state[key] = _from_param(kind, value)
            except ValueError:
                problems.append(f"{key}={value!r}")
    code = st.query_params.get(PARAM)
    if code:
        try:
            values = decode(code)
        except ValueError as exc:
            problems.append(str(exc))
        else:
            for key, value in values.items():
                st.session_state[key] = value
    return f"Parts of the link were ignored: {'; '.join(problems)}" if problems else None


def default(key: str, value) -> None:
    """Register a set-up widget's key and default (call before drawing the widget without a ``value``)."""
    if key not in st.session_state:
        st.session_state[key] = value
    st.session_state["_link_defaults"][key] = value


def _as_param(value) -> str | list[str]:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return str(value)


def publish(ran: bool) -> None:
    """Write the registered settings that differ from their defaults into the URL (readable parameters, and
    ``s`` for the rest), and ``run=1`` when the results on screen belong to the set-up in the panel."""
    defaults = st.session_state.get("_link_defaults", {})
    changed = {}
    wanted: dict[str, str | list[str] | None] = {key: None for key in READABLE}
    for key, value in defaults.items():
        current = st.session_state.get(key, value)
        if isinstance(current, (list, tuple)):
            current = list(current)
            value = list(value) if isinstance(value, (list, tuple)) else value
        if current == value:
            continue
        if key in READABLE:
            wanted[key] = _as_param(current)
        else:
            changed[key] = current
    wanted[PARAM] = encode(changed) if changed else None
    wanted["run"] = "1" if ran else None
    for key, value in wanted.items():
        current = st.query_params.get_all(key) if isinstance(value, list) else st.query_params.get(key)
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif current != value:
            st.query_params[key] = value
