"""The scenario files (criterion 8): every file in ``scenarios/`` validates, the built-in baseline and
recession say what they claim, and the recession path is the published unemployment series."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

import sim
from sim.config import SCENARIO_DIR, load_scenario, scenario_to_toml

SCENARIO_FILES = sorted(SCENARIO_DIR.glob("*.toml"))


def test_the_built_in_scenarios_exist():
    names = {p.stem for p in SCENARIO_FILES}
    assert {"baseline", "recession"} <= names


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_scenario_file_validates_by_path_and_by_name(path):
    by_path = load_scenario(path)
    by_name = load_scenario(path.stem)
    assert by_path == by_name
    # the file is data: the validated scenario keeps every value written in it
    raw = tomllib.loads(path.read_text())
    dumped = by_path.model_dump(mode="json")
    for key, value in raw.items():
        if not isinstance(value, (dict, list)):
            assert dumped[key] == value, key
    # the exact TOML text of the validated scenario loads back to the same scenario
    assert load_scenario(sim.config.parse_toml(scenario_to_toml(by_path))) == by_path


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_scenario_file_runs_with_balanced_books(path, helpers):
    model = sim.CollectionModel(path, rng=0, **{"population.n_borrowers": 300, "horizon_months": 6,
                                                "burn_in_months": 3})
    helpers.run_stepwise(model)
    helpers.check_tables(model.results())


def test_baseline_is_calm_card_market():
    s = load_scenario("baseline")
    assert s.name == "baseline"
    assert s.economy.unemployment.kind == "constant" and s.economy.unemployment.rate == 4.6
    assert len(s.lenders) == 1
    assert s.lenders[0].product.kind == "card" and s.lenders[0].product.chargeoff_days == 180
    assert s.lenders[0].strategy == "conventional"
    assert s.regulation.regime == "none"
    assert s.population.n_borrowers == 10_000 and s.horizon_months >= 24 and s.burn_in_months >= 12


def test_recession_path_is_the_published_unemployment_series(helpers):
    data = pd.read_csv(helpers.ROOT / "data" / "us_credit_cards_2006_2011.csv")
    s = load_scenario("recession")
    u = s.economy.unemployment
    assert u.kind == "series" and u.frequency == "quarterly"
    assert u.start == data["quarter"].iloc[0] == "2006Q1"
    assert u.values == data["unemployment_rate"].tolist()
    assert len(u.values) == 24
    assert s.horizon_months == 3 * len(u.values)  # 2006Q1-2011Q4 recorded
    assert s.lenders[0].product.kind == "card" and s.lenders[0].product.chargeoff_days == 180


def test_recession_model_path_hits_each_quarter_mid_month():
    """The model's monthly path passes through each published quarterly mean at the quarter's middle
    month (month 3q + 1), and holds the 2006Q1 value during burn-in."""
    s = load_scenario("recession")
    model = sim.CollectionModel("recession", rng=0, **{"population.n_borrowers": 20})
    burn = s.burn_in_months
    values = np.array(s.economy.unemployment.values) / 100
    mid = burn + 3 * np.arange(len(values)) + 1
    np.testing.assert_allclose(model.unemployment[mid], values)
    np.testing.assert_allclose(model.unemployment[:burn + 1], values[0])


def test_data_file_has_its_provenance(helpers):
    readme = (helpers.ROOT / "data" / "README.md").read_text()
    assert "us_credit_cards_2006_2011.csv" in readme
    for source in ("UNRATE", "DRCCLACBS", "CORCCACBS"):
        assert source in readme


def test_a_tactic_given_in_part_keeps_its_other_defaults(tmp_path):
    """``[tactics.call] goodwill = 0`` changes that one number: the call's cost, hours, pressure and stress
    stay at the call's defaults, not at the zeros of a bare tactic."""
    default = load_scenario("baseline").tactics
    by_override = load_scenario("baseline", **{"tactics.call.goodwill": 0.0}).tactics
    assert by_override.call.goodwill == 0.0
    assert by_override.call.model_dump(exclude={"goodwill"}) == default.call.model_dump(exclude={"goodwill"})
    assert by_override.call.pressure > 0 and by_override.call.cost > 0
    assert by_override.visit == default.visit
    text = (SCENARIO_DIR / "baseline.toml").read_text() + "\n[tactics.visit]\ncost = 60.0\n"
    path = tmp_path / "partial_tactic.toml"
    path.write_text(text)
    from_file = load_scenario(path).tactics
    assert from_file.visit.cost == 60.0
    assert from_file.visit.model_dump(exclude={"cost"}) == default.visit.model_dump(exclude={"cost"})
    # a whole round trip through TOML keeps every value
    assert load_scenario(tomllib.loads(scenario_to_toml(load_scenario(path)))).tactics == from_file
