"""Other tools drive the same model: the EMA Workbench (perform_experiments and PRIM scenario
discovery) through ``sim.run_scenario``, and Mesa's ``batch_run`` through ``sim.CollectionModel``; and
the Python examples in docs/experiments.md run as written.

Every run is tiny (300 households, 3 burn-in and 6 recorded months).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
TINY = {"n_borrowers": 300, "horizon": 6, "burn_in_months": 3}


def collection_model(unemployment: float = 4.6, call_answer_rate: float = 0.35, strategy: str = "conventional",
                     seed: int = 0) -> dict[str, float]:
    """The model as the EMA Workbench sees it: a function of plain values returning plain outcomes."""
    out = sim.run_scenario("baseline", seed=seed, strategy=strategy, **TINY,
                           **{"economy.unemployment.rate": unemployment, "tactics.call_answer_rate": call_answer_rate})
    return {"recovery": out["recovery_rate_net"], "complaints": out["complaints_per_1000"],
            "wellbeing": out["wellbeing_mean"]}


@pytest.fixture(scope="module")
def ema_results():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import CategoricalParameter, Model, RealParameter, ScalarOutcome, perform_experiments

    model = Model("collections", function=collection_model)
    model.uncertainties = [RealParameter("unemployment", 3.0, 12.0), RealParameter("call_answer_rate", 0.1, 0.4)]
    model.levers = [CategoricalParameter("strategy", ["conventional", "aggressive", "hardship_first"])]
    model.outcomes = [ScalarOutcome("recovery"), ScalarOutcome("complaints"), ScalarOutcome("wellbeing")]
    return perform_experiments(model, scenarios=8, policies=3, uncertainty_sampling_kwargs={"rng": 1},
                               lever_sampling_kwargs={"rng": 2})


def test_ema_perform_experiments_runs_the_model_over_uncertainties_and_levers(ema_results):
    experiments, outcomes = ema_results
    assert len(experiments) == 24
    assert set(experiments["strategy"]) == {"conventional", "aggressive", "hardship_first"}
    assert experiments["unemployment"].between(3.0, 12.0).all()
    for name in ("recovery", "complaints", "wellbeing"):
        assert outcomes[name].shape == (24,) and np.isfinite(outcomes[name]).all()
    # each experiment is exactly sim.run_scenario at those values
    row = experiments.iloc[5]
    again = collection_model(row["unemployment"], row["call_answer_rate"], row["strategy"])
    assert again["wellbeing"] == outcomes["wellbeing"][5]


def test_prim_finds_the_box_where_complaints_are_high(ema_results):
    from ema_workbench.analysis import prim

    experiments, outcomes = ema_results
    x = experiments[["unemployment", "call_answer_rate", "strategy"]]
    y = outcomes["complaints"] > np.percentile(outcomes["complaints"], 75)
    box = prim.Prim(x, y, peel_alpha=0.1).find_box()
    assert box is not None
    assert box.stats["density"] > y.mean()  # the box holds more of the cases of interest than chance
    assert 0 < box.stats["coverage"] <= 1
    limits = box.box_lims[-1]
    assert set(limits.columns) == {"unemployment", "call_answer_rate", "strategy"}


class BatchCollectionModel(sim.CollectionModel):
    """sim.CollectionModel with a Mesa DataCollector of the run's outcomes, for mesa.batch_run."""

    OUTCOMES = ("recovery_rate_net", "complaints_per_1000", "wellbeing_mean")

    def __init__(self, *args, **kwargs):
        import mesa

        super().__init__(*args, **kwargs)
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.results().to_dict()[k]) for k in self.OUTCOMES})

    def step(self):
        super().step()
        if not self.running:  # collect the outcomes of the whole run once, at the end
            self.datacollector.collect(self)


def test_mesa_batch_run_drives_collection_model_with_seeds_and_dotted_overrides():
    import mesa

    rows = mesa.batch_run(
        BatchCollectionModel,
        parameters={"strategy": ["conventional", "hardship_first"], "population.n_borrowers": 300,
                    "horizon_months": 6, "burn_in_months": 3},
        rng=[1, 2], max_steps=100, number_processes=1, data_collection_period=-1, display_progress=False)
    table = pd.DataFrame(rows)
    assert len(table) == 4
    assert set(table["strategy"]) == {"conventional", "hardship_first"}
    for _, row in table.iterrows():  # batch_run's runs are sim.run_scenario's runs
        direct = sim.run_scenario("baseline", seed=int(row["rng"]), strategy=row["strategy"], **TINY)
        for key in BatchCollectionModel.OUTCOMES:
            assert row[key] == direct[key]
