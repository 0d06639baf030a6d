"""Regenerate the parameter tables embedded in docs/ODD.md, in place.

    python docs/update_params.py           # rewrite the generated blocks
    python docs/update_params.py --check   # exit 1 if a block is out of date, change nothing

Two blocks are generated:

- ``params``: the exact output of ``python -m sim params`` (every parameter of a default scenario, with
  its default, meaning and source, from ``sim/config.py``);
- ``tactic-sources``: the source of each tactic's defaults (cost, hours, pressure, stress, goodwill);
- ``strategies``: the registered strategies with their parameters and sources (``sim/strategies.py``);
- ``regimes``: the regulation regimes and their rules (``sim/regulation.py``);
- ``variants``: the parameters that a default scenario does not show because they belong to an
  alternative (``economy.unemployment`` of kind ``series`` or ``regime``) or to list entries that are
  empty by default (policy levers, lenders' accommodation and anticipation periods, challengers, regime
  changes, declared strategies and their steps).

Each block sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` lines; the text outside the
markers is never touched.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"


def params_table() -> str:
    """The output of ``python -m sim params``, run with this interpreter from the repository root."""
    out = subprocess.run([sys.executable, "-m", "sim", "params"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


# meanings of list and dict fields that carry no description in sim/config.py
UNDESCRIBED = {
    "strategy_params": "Parameters of the arm's strategy (see the strategies table in 7.14).",
    "steps": "The steps of the ladder, in order (fields below).",
}


def variants_table() -> str:
    """A Markdown table of the parameters of the unemployment alternatives and of the policy levers."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sim.config import (
        Accommodation,
        Anticipation,
        Challenger,
        DeclaredStrategy,
        Forbearance,
        IncomeSupport,
        LadderStep,
        Lockdown,
        OtherDebtPause,
        Period,
        RegimeChange,
        RegimeUnemployment,
        SeriesUnemployment,
        Stimulus,
        UnemploymentProgramme,
    )

    groups = [
        (SeriesUnemployment, "economy.unemployment.", 'with `kind = "series"`: '),
        (RegimeUnemployment, "economy.unemployment.", 'with `kind = "regime"`: '),
        (IncomeSupport, "economy.income_support.N.", "each income-support period: "),
        (Forbearance, "economy.forbearance.N.", "each forbearance period: "),
        (Period, "economy.reporting_pause.N.", "each credit-reporting pause: "),
        (Stimulus, "economy.stimulus.N.", "each stimulus payment: "),
        (UnemploymentProgramme, "economy.unemployment_programmes.N.", "each unemployment-insurance programme: "),
        (OtherDebtPause, "economy.other_debt_pause.N.", "each pause on other debts: "),
        (Lockdown, "economy.lockdown.N.", "each lockdown: "),
        (Challenger, "lenders.N.challengers.K.", "each challenger arm: "),
        (Accommodation, "lenders.N.accommodation.K.", "each accommodation programme of a lender: "),
        (Anticipation, "lenders.N.anticipation.K.", "each anticipatory-tightening period of a lender: "),
        (RegimeChange, "regulation.changes.K.", "each scheduled regime change: "),
        (DeclaredStrategy, "strategies.N.", "each strategy declared in the scenario: "),
        (LadderStep, "strategies.N.steps.K.", "each step of a declared strategy: "),
    ]
    lines = ["| parameter | default | meaning | source |", "| --- | --- | --- | --- |"]
    for model, prefix, context in groups:
        for name, field in model.model_fields.items():
            if name == "kind":
                continue
            if field.is_required():
                default = "(required)"
            elif field.default_factory is not None:
                default = f"`{_show(field.default_factory())}`"
            else:
                default = f"`{_show(field.default)}`"
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            source = str(extra.get("source", "assumption"))
            meaning = field.description or UNDESCRIBED.get(name, "")
            # a dollar sign would open inline maths on GitHub (as in ``python -m sim params``)
            meaning, source = meaning.replace("$", "USD"), source.replace("$", "USD ")
            lines.append(f"| `{prefix}{name}` | {default} | {context}{meaning} | {source} |")
    return "\n".join(lines)


def tactic_sources_table() -> str:
    """The source of each tactic's default cost and effects (``python -m sim params`` lists the
    values but, for these nested tables, only the sub-fields' generic source)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sim.config import TacticParams, Tactics

    lines = ["| tactic | source of its defaults |", "| --- | --- |"]
    for name, field in Tactics.model_fields.items():
        if field.annotation is not TacticParams:
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        lines.append(f"| `tactics.{name}` | {extra.get('source', 'assumption')} |")
    return "\n".join(lines)


def strategies_table() -> str:
    """The registered strategies (``sim.docs.strategy_table``, also used by docs/strategies.md)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sim.docs import strategy_table

    return strategy_table()


def regimes_table() -> str:
    """The regulation regimes and their rules (``sim.docs.regime_table``)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sim.docs import regime_table

    return regime_table()


BLOCKS = {"params": params_table, "variants": variants_table, "tactic-sources": tactic_sources_table,
          "strategies": strategies_table, "regimes": regimes_table}


def replace_block(text: str, name: str, content: str) -> str:
    """Put ``content`` between the ``name`` markers of ``text``; raise ValueError if they are missing."""
    pattern = re.compile(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{ODD}: no '<!-- {name}:start -->' ... '<!-- {name}:end -->' block")
    block = f"<!-- {name}:start -->\n{content}\n<!-- {name}:end -->"
    return pattern.sub(lambda _: block, text, count=1)


def read_block(text: str, name: str) -> str:
    """The text between the ``name`` markers of ``text``, without the newlines next to the markers."""
    match = re.search(rf"<!-- {name}:start -->\n?(.*?)\n?<!-- {name}:end -->", text, re.DOTALL)
    if match is None:
        raise ValueError(f"no '<!-- {name}:start -->' ... '<!-- {name}:end -->' block")
    return match.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/ODD.md is out of date")
    args = parser.parse_args(argv)
    text = ODD.read_text(encoding="utf-8")
    new = text
    for name, make in BLOCKS.items():
        new = replace_block(new, name, make())
    if new == text:
        print(f"{ODD.relative_to(ROOT)} is up to date")
        return 0
    if args.check:
        print(f"{ODD.relative_to(ROOT)} is out of date: run `python docs/update_params.py`", file=sys.stderr)
        return 1
    ODD.write_text(new, encoding="utf-8")
    print(f"updated {ODD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
