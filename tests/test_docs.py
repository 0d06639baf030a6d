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


def test_the_kernel_table_names_every_kernel_and_no_other():
    """docs/kernels.md lists each compiled kernel of ``sim.kernels`` with where it is called from and what it
    replaced: every public ``@njit`` function is in the table, and every name in the table's first column is one."""
    import ast

    tree = ast.parse((ROOT / "sim" / "kernels.py").read_text())
    compiled = {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
                and any("njit" in ast.unparse(d) for d in node.decorator_list)}
    table = [line for line in (ROOT / "docs" / "kernels.md").read_text().splitlines()
             if line.startswith("| `")]
    named = {name for line in table for name in re.findall(r"`([a-z_0-9]+)`", line.split(" | ")[0])}
    assert compiled - named == set(), f"kernels missing from docs/kernels.md: {sorted(compiled - named)}"
    assert named - compiled == set(), f"docs/kernels.md names what is not a kernel: {sorted(named - compiled)}"
