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
        # a dollar sign would open inline maths on GitHub
        lines.append(f"| `{path}` | `{default}` | {meaning.replace('$', 'USD')} | {source.replace('$', 'USD ')} |")
    return "\n".join(lines)


def strategy_table() -> str:
    """A Markdown table of the registered strategies: name, description, classifier, parameters, source."""
    import inspect

    from sim.strategies import STRATEGIES

    lines = ["| strategy | what it does | classifier | parameters (defaults) | source |",
             "| --- | --- | --- | --- | --- |"]
    for name in sorted(STRATEGIES):
        cls = STRATEGIES[name]
        doc = inspect.getdoc(cls) or ""
        source = " ".join(doc[doc.index("Source:") + len("Source:"):].split())
        classifier = ", ".join(f"{k}={v}" for k, v in cls.classifier.items())
        params = ", ".join(f"`{k}={v}`" for k, v in cls.defaults.items()) or "none"
        lines.append(f"| `{name}` | {cls.description} | {classifier} | {params} | {source} |")
    return "\n".join(lines)


def regime_table() -> str:
    """A Markdown table of the regulation regimes and their rules."""
    from sim.regulation import REGIMES

    lines = ["| regime | attempts a day | attempts in 7 days | silent days after a conversation | quiet hours | "
             "third parties | social media | threats | dispute pause | covers first-party lenders | "
             "collectors per visit | source |", "| --- " * 12 + "|"]
    for r in REGIMES.values():
        def show(v):
            return "no limit" if v is None else str(v)

        lines.append(f"| `{r.name}` | {show(r.max_attempts_per_day)} | {show(r.max_attempts_per_7_days)} | "
                     f"{r.quiet_days_after_conversation or '-'} | {'yes' if r.quiet_hours else 'no'} | "
                     f"{'allowed' if r.third_party_allowed else 'banned'} | "
                     f"{'allowed' if r.social_media_allowed else 'banned'} | "
                     f"{'allowed' if r.threats_allowed else 'banned'} | {'yes' if r.dispute_pause else 'no'} | "
                     f"{'yes' if r.applies_to_first_party else 'no'} | {r.collectors_per_visit} | {r.source} |")
    return "\n".join(lines)


def replace_block(text: str, marker: str, block: str) -> str:
    """Replace the text between ``<!-- marker:start -->`` and ``<!-- marker:end -->``."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    if start not in text or end not in text:
        raise ValueError(f"markers {start} / {end} not found")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{block}\n{end}{tail}"
