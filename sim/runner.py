"""Running scenarios: the pure-function API that the CLI, the app, the experiment scripts, Mesa's
``batch_run`` and the EMA Workbench all use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario, load_scenario
from sim.metrics import SUMMARY_KEYS, RunResult
from sim.model import CollectionModel, master_seed


def simulate(scenario: str | Path | Scenario | dict = "baseline", *, seed: int | None = None,
             trace: int | list[int] | None = None, **overrides: Any) -> RunResult:
    """Run one scenario to the end and return its tables.

    Args:
        scenario: a built-in scenario name (a file in ``scenarios/``), a path, a dict or a Scenario.
        seed: master seed (an int in 0..2**63-1; numpy integers and whole floats are accepted); None, the
            default, is the scenario's ``seed``.
        trace: households whose month-by-month story goes into ``result.traces`` (rows, or a number
            drawn evenly across income quintiles).
        **overrides: dotted paths into the scenario (see :func:`run_scenario`).

    Raises:
        ScenarioError: the scenario or an override is invalid, or the seed is out of range.
        TypeError: the scenario, the seed or ``trace`` is of the wrong type.
    """
    if seed is None:  # the scenario's own seed
        seed = load_scenario(scenario, **overrides).seed
    model = CollectionModel(scenario, rng=plain_seed(seed), trace=trace, **overrides)
    model.run()
    result = model.results()
    # the config as run: the seed actually used, so that the config alone reproduces the run
    as_run = model.cfg.model_copy(update={"seed": model.seed})
    result.meta["config"] = as_run.model_dump(mode="json")
    result.meta["config_hash"] = as_run.config_hash()
    return result


def run_scenario(scenario: str | Path | Scenario | dict = "baseline", *, seed: int | None = 0, welfare: bool = False,
                 **overrides: Any) -> dict[str, Any]:
    """Run a scenario and return its outcomes as plain values.

    Overrides are dotted paths into the scenario file, for example ``**{"population.n_borrowers": 5000}``,
    ``horizon_months=24`` or ``**{"lenders.0.strategy": "aggressive"}``; ``strategy="hardship_first"``
    sets every lender's strategy, and ``n_borrowers`` and ``horizon`` are shortcuts for
    ``population.n_borrowers`` and ``horizon_months``. Numpy scalars are accepted.

    With ``welfare=True`` the scenario's no-collection counterfactual is run on the same seed too (once per
    scenario and seed in a process: it is cached) and the consumption-equivalent welfare changes are added:
    ``ce_change`` (the recorded months and the future after them), ``ce_change_horizon`` (the recorded
    months only), each by segment (``ce_change.income_q1`` ...), and what households owe and the marks on
    their records at the end (``sim.welfare.welfare_outcomes``). They are household outcomes, not per lender.

    Returns a dict of plain floats (the run summary for all lenders, and per lender as
    ``"<outcome>@<lender>"``) and fixed-length numpy arrays (``"series.<outcome>"``, one value a
    recorded month). Every outcome is defined in ``docs/outcomes.md``. ``seed`` is taken as by :func:`simulate`
    (None: the scenario's seed).
    """
    result = simulate(scenario, seed=seed, **overrides)
    out = result.to_dict()
    if welfare:
        from sim.welfare import welfare_outcomes

        out.update(welfare_outcomes(result, scenario))
    return out


def plain_seed(seed: Any) -> int:
    """A seed as a plain int: ints and numpy integers as they are, whole floats (3.0, from SALib or the
    EMA Workbench) as ints.

    Raises:
        TypeError: anything else, with the value; ScenarioError: outside 0..2**63-1.
    """
    value = seed.item() if isinstance(seed, (np.generic, np.ndarray)) and np.ndim(seed) == 0 else seed
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"seed: expected a whole number, got {type(seed).__name__} {seed!r:.60}")
    return master_seed(value)


def compare(scenario: str | Path | Scenario | dict, strategies: list[str], reps: int, *, seed: int = 0,
            progress: bool = False, welfare: bool = False, **overrides: Any) -> pd.DataFrame:
    """Run every strategy ``reps`` times with common random numbers: replication ``r`` uses the same
    seed for every strategy, so households meet the same shocks. Returns one row per run.

    The first strategy is the reference: ``recovery_rate_common_base`` (and ``net_``) divide what each
    strategy collected by the ``recovery_base`` of the reference's run with the same seed, so that the
    denominator is the same for every strategy of a replication (also per lender, as ``...@<lender>``).
    With ``welfare=True`` each row has the welfare changes of :func:`run_scenario` (the counterfactual is
    run once a replication)."""
    from sim.progress import progress_bar

    rows = []
    total = len(strategies) * reps
    with progress_bar(total, "runs", enabled=progress) as bar:
        for rep in range(reps):
            for name in strategies:
                out = run_scenario(scenario, seed=seed + rep, strategy=name, welfare=welfare, **overrides)
                rows.append({"strategy": name, "rep": rep, "seed": seed + rep,
                             **{k: v for k, v in out.items() if not k.startswith("series.")}})
                bar.update(1)
    return add_common_base(pd.DataFrame(rows), by="strategy", reference=strategies[0])


def add_common_base(runs: pd.DataFrame, by: str, reference: str, pair_on: str = "rep") -> pd.DataFrame:
    """Add ``recovery_rate_common_base`` and ``net_recovery_rate_common_base`` (and their ``@<lender>``
    versions) to a table of runs: collected (net of costs) over the ``recovery_base`` of the ``reference``
    group's run in the same replication."""
    runs = runs.copy()
    ref = runs[runs[by] == reference].set_index(pair_on)
    for key in [k for k in runs.columns if k == "recovery_base" or k.startswith("recovery_base@")]:
        suffix = key[len("recovery_base"):]
        base = runs[pair_on].map(ref[key]).to_numpy(dtype=float)
        collected = runs[f"collected{suffix}"].to_numpy(dtype=float)
        cost = runs[f"collection_cost{suffix}"].to_numpy(dtype=float)
        ok = base > 0
        runs[f"recovery_rate_common_base{suffix}"] = np.where(ok, collected / np.where(ok, base, 1.0), 0.0)
        runs[f"net_recovery_rate_common_base{suffix}"] = np.where(ok, (collected - cost) / np.where(ok, base, 1.0), 0.0)
    return runs


def confidence_table(runs: pd.DataFrame, outcomes: list[str], by: str = "strategy",
                     order: list[str] | None = None) -> pd.DataFrame:
    """Mean and 95% confidence interval (Student t, ``sim.stats.mean_ci``) of each outcome by group, groups
    in ``order`` (default: order of first appearance)."""
    from sim.stats import grouped_mean_ci

    table = grouped_mean_ci(runs, [by], outcomes)
    if order is not None:
        rank = {g: i for i, g in enumerate(order)}
        table = table[table[by].isin(rank)]
        table = table.iloc[np.argsort([rank[g] for g in table[by]], kind="stable")]
    return table.reset_index(drop=True)


def arm_outcomes(result: RunResult) -> pd.DataFrame:
    """One row per lender or arm of a run (and "all"): the summary outcomes, the arm's share of its lender's
    accounts, money scaled to the whole book (``npv_scaled``, ``pnl_scaled``: divided by the share) and
    recovery on a base common to the arms of a lender (``recovery_rate_common_base``: collected over the
    share times the book at the start plus originations of all the lender's arms), so that champion and
    challengers of different sizes compare on the same footing."""
    summary = result.summary.set_index("lender")
    rows = []
    lender_base: dict[str, float] = {}
    for g in result.meta["groups"]:
        lender_base[g["lender"]] = lender_base.get(g["lender"], 0.0) + float(summary.loc[g["name"], "recovery_base"])
    groups = [*result.meta["groups"], {"name": "all", "lender": "all", "arm": -1, "share": 1.0}]
    for g in groups:
        row = summary.loc[g["name"]]
        share = g["share"]
        base = share * (lender_base[g["lender"]] if g["lender"] != "all" else float(row["recovery_base"]))
        out = {"group": g["name"], "lender_name": g["lender"], "arm": g["arm"], "share": share,
               **{k: float(row[k]) for k in SUMMARY_KEYS},
               "npv_scaled": float(row["npv"]) / share, "pnl_scaled": float(row["pnl"]) / share,
               "recovery_rate_common_base": float(row["collected"]) / base if base > 0 else 0.0,
               "net_recovery_rate_common_base": float(row["collected"] - row["collection_cost"]) / base if base > 0
               else 0.0}
        rows.append(out)
    return pd.DataFrame(rows)
