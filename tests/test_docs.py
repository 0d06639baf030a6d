"""docs/ODD.md stays true to the code: its generated parameter tables match ``sim/config.py`` and it has
the seven elements of the ODD protocol."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from sim.docs import parameter_table

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
FIX = "docs/ODD.md is out of date: run `python docs/update_params.py`"

ODD_ELEMENTS = [
    "1. Purpose and patterns",
    "2. Entities, state variables and scales",
    "3. Process overview and scheduling",
    "4. Design concepts",
    "5. Initialisation",
    "6. Input data",
    "7. Submodels",
]


def _update_script():
    spec = importlib.util.spec_from_file_location("update_params", ROOT / "docs" / "update_params.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def odd_text() -> str:
    return ODD.read_text(encoding="utf-8")


def test_parameter_table_matches_the_code(odd_text):
    block = _update_script().read_block(odd_text, "params")
    assert block == parameter_table(), FIX


@pytest.mark.parametrize("name,make", [("variants", "variants_table"), ("tactic-sources", "tactic_sources_table"),
                                       ("strategies", "strategies_table"), ("regimes", "regimes_table")])
def test_other_generated_tables_match_the_code(odd_text, name, make):
    script = _update_script()
    assert script.read_block(odd_text, name) == getattr(script, make)(), FIX


def test_every_parameter_appears_in_the_odd(odd_text):
    paths = re.findall(r"^\| `([^`]+)` \|", parameter_table(), flags=re.MULTILINE)
    assert len(paths) > 50
    missing = [p for p in paths if f"`{p}`" not in odd_text]
    assert not missing, FIX


def test_the_seven_odd_elements_are_headings_in_order(odd_text):
    headings = re.findall(r"^## (.+?)\s*$", odd_text, flags=re.MULTILINE)
    found = [h for h in headings if h in ODD_ELEMENTS]
    assert found == ODD_ELEMENTS, f"ODD element headings found: {found}"


def test_the_odd_points_to_the_step_order_in_code(odd_text):
    assert "CollectionModel.step" in odd_text
    assert "python docs/update_params.py" in odd_text
