"""Documentation generated from the code: the table of every scenario parameter with its default and
source, which ``docs/ODD.md`` embeds (``python -m sim params``)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from sim.config import Scenario


def _rows(model: type[BaseModel], instance: BaseModel, prefix: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        value = getattr(instance, name)
        path = f"{prefix}{name}"
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        source = str(extra.get("source", "assumption"))
        if isinstance(value, BaseModel):
            rows += _rows(type(value), value, f"{path}.")
            continue
        if isinstance(value, list) and value and isinstance(value[0], BaseModel):
            rows += _rows(type(value[0]), value[0], f"{path}.0.")
            continue
        shown = _show(value)
        rows.append((path, shown, field.description or "", source))
    return rows


def _show(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def parameter_table() -> str:
    """A Markdown table of every parameter of a default scenario, with its default and source."""
    scenario = Scenario()
    lines = ["| parameter | default | meaning | source |", "| --- | --- | --- | --- |"]
    for path, default, meaning, source in _rows(Scenario, scenario, ""):
        lines.append(f"| `{path}` | `{default}` | {meaning} | {source} |")
    return "\n".join(lines)
