"""Running scenarios: the pure-function API that the CLI, the app, the experiment scripts, Mesa's
``batch_run`` and the EMA Workbench all use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario, load_scenario
from sim.metrics import RunResult
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


def run_scenario(scenario: str | Path | Scenario | dict = "baseline", *, seed: int | None = 0,
                 **overrides: Any) -> dict[str, Any]:
    """Run a scenario and return its outcomes as plain values.

    Overrides are dotted paths into the scenario file, for example ``**{"population.n_borrowers": 5000}``,
    ``horizon_months=24`` or ``**{"lenders.0.strategy": "aggressive"}``; ``strategy="hardship_first"``
    sets every lender's strategy, and ``n_borrowers`` and ``horizon`` are shortcuts for
    ``population.n_borrowers`` and ``horizon_months``. Numpy scalars are accepted.

    Returns a dict of plain floats (the run summary for all lenders, and per lender as
    ``"<outcome>@<lender>"``) and fixed-length numpy arrays (``"series.<outcome>"``, one value a
    recorded month). ``seed`` is taken as by :func:`simulate` (None: the scenario's seed).
    """
    return simulate(scenario, seed=seed, **overrides).to_dict()


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
            progress: bool = False, **overrides: Any) -> pd.DataFrame:
    """Run every strategy ``reps`` times with common random numbers: replication ``r`` uses the same
    seed for every strategy, so households meet the same shocks. Returns one row per run."""
    from sim.progress import progress_bar

    rows = []
    total = len(strategies) * reps
    with progress_bar(total, "runs", enabled=progress) as bar:
        for rep in range(reps):
            for name in strategies:
                out = run_scenario(scenario, seed=seed + rep, strategy=name, **overrides)
                rows.append({"strategy": name, "rep": rep, "seed": seed + rep,
                             **{k: v for k, v in out.items() if not k.startswith("series.")}})
                bar.update(1)
    return pd.DataFrame(rows)


def confidence_table(runs: pd.DataFrame, outcomes: list[str], by: str = "strategy",
                     order: list[str] | None = None) -> pd.DataFrame:
    """Mean and 95% confidence interval (Student t) of each outcome by group."""
    from scipy import stats

    rows = []
    groups = order or list(dict.fromkeys(runs[by]))
    for g in groups:
        sel = runs[runs[by] == g]
        for outcome in outcomes:
            x = sel[outcome].to_numpy(dtype=float)
            n = len(x)
            mean = float(np.mean(x))
            half = float(stats.t.ppf(0.975, n - 1) * np.std(x, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
            rows.append({by: g, "outcome": outcome, "mean": mean, "ci_low": mean - half, "ci_high": mean + half,
                         "n": n})
    return pd.DataFrame(rows)
