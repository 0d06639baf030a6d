"""The Python API (criterion 10) and the Mesa structure (criterion 2): ``sim.run_scenario`` as a pure
function of plain values, numpy scalars accepted, TOML paths, ``mesa.batch_run``; borrowers as Mesa
agents that view model-owned columns; lenders as Mesa agents that own a strategy; households with loans
from several lenders; and one contract test over every registered strategy."""

from __future__ import annotations

import inspect

import mesa
import numpy as np
import pytest

import sim

OVERRIDES = {"population.n_borrowers": 500, "horizon_months": 6, "burn_in_months": 3}


@pytest.fixture(scope="module")
def outcome():
    return sim.run_scenario("baseline", seed=0, **OVERRIDES)


def test_run_scenario_returns_plain_floats_and_fixed_length_arrays(outcome):
    scalars = {k: v for k, v in outcome.items() if not k.startswith("series.")}
    series = {k: v for k, v in outcome.items() if k.startswith("series.")}
    assert scalars and series
    for key, value in scalars.items():
        assert type(value) is float, (key, type(value))
    for key, value in series.items():
        assert isinstance(value, np.ndarray) and value.dtype == np.float64, key
        assert value.shape == (6,), (key, value.shape)
        assert np.isfinite(value).all(), key
    for key in ("recovery_rate_gross", "recovery_rate_net", "cost_to_collect", "cure_rate",
                "delinquency_30plus_rate", "chargeoff_rate", "complaints_per_1000", "wellbeing_mean",
                "wellbeing_low_share", "recovery_rate_gross@Card issuer"):
        assert key in scalars, key
    assert 0 <= outcome["delinquency_30plus_rate"] <= 1
    assert 0 <= outcome["wellbeing_mean"] <= 100
    assert 0 <= outcome["wellbeing_low_share"] <= 1


def test_run_scenario_summary_agrees_with_monthly_series(outcome):
    """The summary's delinquency and charge-off rates are the means of the monthly series."""
    assert outcome["delinquency_30plus_rate"] == pytest.approx(outcome["series.delinquency_30plus_rate"].mean())
    assert outcome["chargeoff_rate"] == pytest.approx(outcome["series.chargeoff_rate"].mean())
    assert outcome["wellbeing_mean"] == pytest.approx(outcome["series.wellbeing_mean"].mean())


def test_numpy_scalars_are_accepted_as_overrides_and_seed(outcome):
    again = sim.run_scenario(
        "baseline", seed=np.int64(0),
        **{"population.n_borrowers": np.int64(500), "horizon_months": np.int32(6), "burn_in_months": np.int16(3),
           "economy.unemployment.rate": np.float64(4.6), "population.attention_mean": np.float32(0.93)})
    scalar = {k: v for k, v in again.items() if not k.startswith("series.")}
    assert all(type(v) is float for v in scalar.values())
    # float32(0.93) is not exactly 0.93, so compare the run without it for exact equality
    exact = sim.run_scenario("baseline", seed=np.int64(0), **{"population.n_borrowers": np.int64(500),
                                                              "horizon_months": np.int64(6),
                                                              "burn_in_months": np.int64(3),
                                                              "economy.unemployment.rate": np.float64(4.6)})
    for key in outcome:
        np.testing.assert_array_equal(exact[key], outcome[key], err_msg=key)
    model = sim.CollectionModel("baseline", rng=np.int64(5), **OVERRIDES)
    assert type(model.seed) is int and model.seed == 5


def test_shortcut_overrides(outcome):
    """``n_borrowers``, ``horizon`` and ``strategy`` are shortcuts for the dotted paths."""
    short = sim.run_scenario("baseline", seed=0, n_borrowers=500, horizon=6, burn_in_months=3,
                             strategy="conventional")
    for key in outcome:
        np.testing.assert_array_equal(short[key], outcome[key], err_msg=key)
    cfg = sim.load_scenario("baseline", strategy="hardship_first", n_borrowers=10, horizon=3)
    assert [lc.strategy for lc in cfg.lenders] == ["hardship_first"]
    assert cfg.population.n_borrowers == 10 and cfg.horizon_months == 3


def test_toml_path_works_as_scenario(tmp_path, outcome, helpers):
    text = (helpers.ROOT / "scenarios" / "baseline.toml").read_text()
    text = text.replace("n_borrowers = 10000", "n_borrowers = 500").replace("horizon_months = 36", "horizon_months = 6")
    text = text.replace("burn_in_months = 24", "burn_in_months = 3")
    path = tmp_path / "mine.toml"
    path.write_text(text)
    for scenario in (path, str(path)):
        out = sim.run_scenario(scenario, seed=0)
        for key in outcome:
            np.testing.assert_array_equal(out[key], outcome[key], err_msg=key)


def test_scenario_object_and_dict_are_accepted(outcome):
    cfg = sim.load_scenario("baseline", **OVERRIDES)
    from_obj = sim.run_scenario(cfg, seed=0)
    from_dict = sim.run_scenario(cfg.model_dump(mode="json"), seed=0)
    for key in outcome:
        np.testing.assert_array_equal(from_obj[key], outcome[key], err_msg=key)
        np.testing.assert_array_equal(from_dict[key], outcome[key], err_msg=key)


def test_run_scenario_signature():
    sig = inspect.signature(sim.run_scenario)
    assert list(sig.parameters)[0] == "scenario" and sig.parameters["scenario"].default == "baseline"
    assert sig.parameters["seed"].kind is inspect.Parameter.KEYWORD_ONLY and sig.parameters["seed"].default == 0


def test_mesa_batch_run_drives_the_model():
    """``mesa.batch_run`` builds CollectionModel from plain keyword parameters and a seed, runs it to
    the end and reports model-level outcomes that equal those of a direct run."""
    params = {"population.n_borrowers": [200, 300], "horizon_months": 4, "burn_in_months": 2,
              "strategy": "aggressive"}
    rows = mesa.batch_run(sim.CollectionModel, parameters=params, rng=[7], max_steps=1000,
                          number_processes=1, display_progress=False)
    assert len(rows) >= 2
    assert {r["population.n_borrowers"] for r in rows} == {200, 300}
    for row in rows:
        assert row["horizon_months"] == 4 and row["strategy"] == "aggressive"
    final = {}
    for row in rows:
        final[row["population.n_borrowers"]] = row  # the last row per run is its final step
    for n, row in final.items():
        direct = sim.CollectionModel(rng=7, **{**params, "population.n_borrowers": n})
        direct.run()
        assert direct.steps == 6
        vars_ = direct.datacollector.get_model_vars_dataframe()
        reported = {k: v for k, v in row.items() if k in vars_.columns}
        assert reported, "batch_run reports no model-level outcome"
        for key, value in reported.items():
            assert value == pytest.approx(vars_[key].iloc[-1]), key


# --------------------------------------------------------------------------------------------------
# Mesa structure
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model():
    m = sim.CollectionModel("baseline", rng=1, **{"population.n_borrowers": 300, "horizon_months": 3,
                                                  "burn_in_months": 2})
    m.run()
    return m


def test_one_borrower_agent_per_household(model):
    agents = model.agents_by_type[sim.Borrower]
    assert len(agents) == model.borrowers.n == 300
    assert sorted(a.row for a in agents) == list(range(300))
    assert len({a.unique_id for a in agents}) == 300
    assert all(isinstance(a, mesa.Agent) for a in agents)
    assert len(model.borrower_agents) == 300


def test_borrower_attributes_read_and_write_the_columns(model):
    agents = model.agents_by_type[sim.Borrower]
    agent = next(a for a in agents if a.row == 17)
    t = model.borrowers
    neighbour = float(t.savings[18])
    assert agent.savings == t.savings[17] and type(agent.savings) is float
    assert agent.employed == bool(t.employed[17]) and type(agent.employed) is bool
    assert agent.wellbeing == pytest.approx(float(t.wellbeing[17]))
    assert agent.quintile == int(t.quintile[17])
    agent.savings = 1234.5
    assert t.savings[17] == 1234.5
    agent.employed = not agent.employed
    assert bool(t.employed[17]) == agent.employed
    t.wellbeing[17] = 42.0
    assert agent.wellbeing == 42.0
    other = next(a for a in agents if a.row == 18)
    assert other.savings == t.savings[18] == neighbour  # only row 17 was written
    # a vectorised write is seen by every agent
    t.stress[:] = 0.25
    assert all(a.stress == pytest.approx(0.25) for a in agents)


def test_lenders_are_mesa_agents_that_own_a_strategy(model):
    lenders = list(model.agents_by_type[sim.Lender])
    assert lenders == model.lenders
    assert all(isinstance(ln, mesa.Agent) for ln in lenders)
    assert isinstance(lenders[0].strategy, sim.STRATEGIES["conventional"])
    assert isinstance(lenders[0].strategy, sim.Strategy)
    assert len(model.agents_by_type[sim.CollectionAgency]) == 1
    assert len(model.agents_by_type[sim.DebtBuyer]) == 1


def test_model_time_advances_one_per_month(model):
    assert model.steps == 5 and model.time == 5
    assert not model.running
    assert model.month == 3


def test_a_household_can_hold_loans_from_several_lenders(helpers):
    scenario = {"horizon_months": 2, "burn_in_months": 1,
                "population": {"n_borrowers": 300, "initial_loans_per_borrower": 2.0, "max_loans_per_borrower": 4},
                "lenders": [{"name": "A", "strategy": "conventional"},
                            {"name": "B", "strategy": "aggressive", "product": {"kind": "instalment"}},
                            {"name": "C", "strategy": "hardship_first"}]}
    m = sim.CollectionModel(scenario, rng=0)
    m.run()
    helpers.check_book(m)
    book = m.book
    owner, lender = book.view("borrower"), book.view("lender")
    open_ = book.collecting()
    pairs = np.unique(np.stack([owner[open_], lender[open_]]), axis=1)
    lenders_per_household = np.bincount(pairs[0], minlength=m.borrowers.n)
    assert (lenders_per_household >= 2).sum() > 30
    assert (lenders_per_household == 3).any()
    agent = next(a for a in m.agents_by_type[sim.Borrower] if lenders_per_household[a.row] >= 2)
    rows = agent.loans
    assert (owner[rows] == agent.row).all()
    assert len(set(lender[rows].tolist())) >= 2
    # each lender's strategy is its own
    assert [type(ln.strategy).name for ln in m.lenders] == ["conventional", "aggressive", "hardship_first"]
    # per-lender rows in the monthly table
    assert set(m.results().monthly["lender"]) == {"A", "B", "C", "all"}


def test_run_scenario_does_not_mutate_its_inputs():
    """A pure function: the scenario dict and the overrides are left as they were."""
    import copy

    scenario = sim.load_scenario("baseline", **OVERRIDES).model_dump(mode="json")
    overrides = {"strategy": "aggressive", "lenders.0.product.late_fee": 20.0, "economy.income_support": [
        {"start_month": 1, "end_month": 2, "amount": 100.0}]}
    before = copy.deepcopy((scenario, overrides))
    sim.run_scenario(scenario, seed=1, **overrides)
    assert (scenario, overrides) == before
