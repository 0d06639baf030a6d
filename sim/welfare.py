"""Welfare against a no-collection counterfactual, with the future after the horizon in it.

Each household's monthly utility is CRRA in *effective* consumption: what it consumed, less the
money-equivalent disutility of collection contacts (more at night, via third parties, beyond a legal
cap) and of stress, floored near zero (``sim.borrowers.effective_consumption``). A run accumulates, by
income quintile and literacy tercile, the discounted sum of utility ``W``, of ``c^(1-g)`` (``A``) and of
household-months (``B``) over the recorded months, and the same sums over ``welfare.future_months`` after
the horizon (:func:`future_welfare`). In each of those months a household consumes its mean income of the
last recorded year plus the annuity of its net worth at the end, less the cost of its credit record:

- net worth: its savings less what it still owes (on the book, charged off, sold, or no longer worked),
  with court costs added to claims under judgment; the annuity runs over the future months at the welfare
  discount rate, so its present value at the horizon is the net worth itself;
- the cost of the adverse marks on its credit record (higher prices, lost access): a share of its income
  per mark, fading as the marks do.

The consumption-equivalent welfare change of a scenario against the counterfactual in which lenders do not
collect at all (strategy ``no_collection``), run with the same seed and so on the same random numbers, is
the proportional change ``d`` of counterfactual consumption in every month, recorded and future, that
would give the scenario's welfare:

    W = ((1 + d)^(1-g) A_cf - B) / (1 - g)   so   d = ((W (1-g) + B) / A_cf)^(1/(1-g)) - 1,

and ``d = exp((W - W_cf) / B) - 1`` for log utility (g = 1), with ``W``, ``A`` and ``B`` summed over the
recorded and the future months (``ce_change``) or over the recorded months only (``ce_change_horizon``: it
counts money a household does not repay as consumption, so more default can look like a gain). Formula and
sources: ``docs/ODD.md`` section 7.18 and ``docs/outcomes.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.borrowers import crra
from sim.config import Scenario, Welfare, load_scenario
from sim.loans import Status, level_payment
from sim.metrics import SEGMENT_LABELS, RunResult

if TYPE_CHECKING:
    from sim.model import CollectionModel


def consumption_equivalent(policy: RunResult | dict, counterfactual: RunResult | dict) -> dict[str, float]:
    """The consumption-equivalent welfare change of ``policy`` against ``counterfactual`` (results, or their
    ``meta["welfare"]`` dicts), overall and by segment: ``ce_change`` and ``ce_change.<segment>`` value the
    recorded months and the future after them; ``ce_change_horizon`` and ``ce_change_horizon.<segment>`` the
    recorded months only."""
    p = policy.meta["welfare"] if isinstance(policy, RunResult) else policy
    c = counterfactual.meta["welfare"] if isinstance(counterfactual, RunResult) else counterfactual
    gamma = p["risk_aversion"]
    to_segment = np.asarray(p["cell_to_segment"])
    out: dict[str, float] = {}
    for key, parts in (("ce_change", ("", "_future")), ("ce_change_horizon", ("",))):
        w, wc, a, b = (sum(np.asarray(d[f"{x}{part}"]) for part in parts)
                       for d, x in ((p, "W"), (c, "W"), (c, "A"), (c, "B")))
        out[key] = _ce(w.sum(), wc.sum(), a.sum(), b.sum(), gamma)
        w, wc, a, b = (v @ to_segment for v in (w, wc, a, b))
        for k, label in enumerate(SEGMENT_LABELS):
            out[f"{key}.{label}"] = _ce(w[k], wc[k], a[k], b[k], gamma)
    return out


@dataclass(frozen=True)
class HouseholdEnd:
    """What each household holds and owes at the end of a run (arrays, one value a household)."""

    income: np.ndarray  # mean monthly income over the last recorded year, $
    savings: np.ndarray  # $
    owed: np.ndarray  # every claim not repaid or forgiven: on the book, charged off, sold or no longer worked, $
    owed_judged: np.ndarray  # the part of ``owed`` under a court judgment, $
    marks: np.ndarray  # adverse marks on the credit record
    income_base: np.ndarray  # monthly earnings when employed, $ (the scale of the marks' cost)
    essentials: np.ndarray  # essential spending a month, $ (the scale of the consumption floor)


def future_consumption(end: HouseholdEnd, cfg: Welfare, mark_memory: float, k: int) -> np.ndarray:
    """Consumption of each household in the ``k``-th month after the horizon (k = 1, 2, ...), thousands of $:
    its income plus the annuity of its net worth (savings less what it owes, with court costs on judged
    claims, times ``owed_repaid_share``) over ``future_months`` at the welfare discount rate, less the cost of
    its credit marks fading at ``mark_memory`` a month, floored as in the recorded months."""
    rate = 1.0 / cfg.discount - 1.0 if cfg.discount > 0 else 0.0
    months = max(cfg.future_months, 1)
    annuity = level_payment(1.0, rate, months)
    net_worth = end.savings - cfg.owed_repaid_share * (end.owed + cfg.judgment_cost_share * end.owed_judged)
    marks_cost = cfg.mark_cost * end.income_base * end.marks * mark_memory**k
    floor = 0.2 * cfg.subsistence_share * end.essentials
    return np.maximum(end.income + annuity * net_worth - marks_cost, floor) / 1000.0


def future_utility(end: HouseholdEnd, cfg: Welfare, mark_memory: float, horizon: int) -> np.ndarray:
    """Each household's discounted utility over the ``future_months`` after a ``horizon`` of recorded months
    (discounted to the first recorded month, as the recorded months are)."""
    total = np.zeros(len(end.income))
    for k in range(1, cfg.future_months + 1):
        total += cfg.discount ** (horizon - 1 + k) * crra(future_consumption(end, cfg, mark_memory, k),
                                                           cfg.risk_aversion)
    return total


def household_end(model: CollectionModel, owed_closed: np.ndarray, income: np.ndarray) -> HouseholdEnd:
    """The households' position at the end of ``model``'s run. ``owed_closed``: claims that left the book
    after they stopped being worked; ``income``: mean monthly income over the last recorded year."""
    t, book = model.borrowers, model.book
    owner, claim = book.view("borrower"), book.claim()
    unpaid = book.view("status") != Status.PAID_OFF
    owed = np.bincount(owner[unpaid], weights=claim[unpaid], minlength=t.n) + owed_closed
    judged = book.view("judgment") & book.collecting()
    owed_judged = np.bincount(owner[judged], weights=claim[judged], minlength=t.n)
    return HouseholdEnd(income=np.asarray(income, dtype=float), savings=t.savings.astype(float), owed=owed,
                        owed_judged=owed_judged, marks=t.derogatory.astype(np.float64),
                        income_base=t.income_base.astype(float), essentials=t.essentials.astype(float))


def future_welfare(model: CollectionModel, owed_closed: np.ndarray, income: np.ndarray,
                   cell_of: np.ndarray) -> dict[str, Any]:
    """Discounted sums of utility (``W_future``), of ``c^(1-g)`` (``A_future``) and of household-months
    (``B_future``) by (income quintile, literacy tercile) cell over ``welfare.future_months`` after the
    horizon, from the state at the end of a run (:func:`future_consumption`; ``docs/ODD.md`` section 7.18),
    with totals of what households owe, their marks and savings at the end."""
    cfg = model.cfg.welfare
    end = household_end(model, owed_closed, income)
    gamma, memory = cfg.risk_aversion, model.cfg.economy.credit_record_memory
    w_sum, a_sum, b_sum = np.zeros(15), np.zeros(15), np.zeros(15)
    households = np.bincount(cell_of, minlength=15).astype(float)
    for k in range(1, cfg.future_months + 1):
        weight = cfg.discount ** (model.cfg.horizon_months - 1 + k)
        c = future_consumption(end, cfg, memory, k)
        w_sum += weight * np.bincount(cell_of, weights=crra(c, gamma), minlength=15)
        power = np.log(c) if abs(gamma - 1.0) < 1e-9 else c ** (1.0 - gamma)
        a_sum += weight * np.bincount(cell_of, weights=power, minlength=15)
        b_sum += weight * households
    return {"W_future": w_sum.tolist(), "A_future": a_sum.tolist(), "B_future": b_sum.tolist(),
            "owed_end": float(end.owed.sum()), "owed_judged_end": float(end.owed_judged.sum()),
            "marks_end": float(end.marks.sum()), "savings_end": float(end.savings.sum()),
            "households": int(len(end.owed))}


def _ce(w: float, w_cf: float, a_cf: float, b: float, gamma: float) -> float:
    if b <= 0:
        return 0.0
    if abs(gamma - 1.0) < 1e-9:
        return float(np.expm1((w - w_cf) / b))
    base = (w * (1.0 - gamma) + b) / a_cf
    if base <= 0:
        return -1.0
    return float(base ** (1.0 / (1.0 - gamma)) - 1.0)


def counterfactual_scenario(cfg: Scenario) -> Scenario:
    """The scenario with every lender's strategy set to ``no_collection`` and no challengers."""
    overrides: dict[str, Any] = {f"lenders.{i}.strategy": "no_collection" for i in range(len(cfg.lenders))}
    overrides.update({f"lenders.{i}.challengers": [] for i in range(len(cfg.lenders))})
    overrides.update({f"lenders.{i}.strategy_params": {} for i in range(len(cfg.lenders))})
    return load_scenario(cfg, **overrides)


@lru_cache(maxsize=64)
def _counterfactual_welfare(config_json: str, seed: int) -> dict[str, Any]:
    from sim.runner import simulate

    cfg = load_scenario(json.loads(config_json))
    return simulate(counterfactual_scenario(cfg), seed=seed).meta["welfare"]


def counterfactual_welfare(cfg: Scenario, seed: int) -> dict[str, Any]:
    """The welfare sums of the no-collection counterfactual of ``cfg`` run with ``seed`` (cached per
    scenario and seed, so a comparison of strategies runs it once a replication)."""
    cf = counterfactual_scenario(cfg)
    cf = cf.model_copy(update={"seed": 0})  # the seed is the argument
    return _counterfactual_welfare(json.dumps(cf.model_dump(mode="json"), sort_keys=True), int(seed))


def welfare_outcomes(result: RunResult, scenario: Any = None) -> dict[str, float]:
    """The consumption-equivalent welfare changes of a run (``simulate`` result) against its no-collection
    counterfactual on the same seed, overall and by segment, and what households owe and the marks on their
    records at the end (per household), in the run and in the counterfactual. ``scenario``: what the run
    was made from (a path finds a portfolio file named relative to it)."""
    cfg = load_scenario(result.meta["config"])
    if cfg.portfolio is not None:
        from sim.portfolio import portfolio_path

        cfg = cfg.model_copy(update={"portfolio": str(portfolio_path(cfg.portfolio, scenario).resolve())})
    cf = counterfactual_welfare(cfg, int(result.meta["seed"]))
    out = consumption_equivalent(result, cf)
    p = result.meta["welfare"]
    for name, w in (("", p), ("counterfactual.", cf)):
        n = max(w["households"], 1)
        out[f"{name}owed_end_per_household"] = w["owed_end"] / n
        out[f"{name}marks_end_per_household"] = w["marks_end"] / n
    return out


def welfare_change(scenario: str | Path | Scenario | dict = "baseline", *, seed: int = 0,
                   **overrides: Any) -> dict[str, float]:
    """Run a scenario and its no-collection counterfactual on the same random numbers; return the
    consumption-equivalent welfare change overall and by segment (with and without the future after the
    horizon), and the two runs' mean utility, deprivation share and third-party harm."""
    cfg = load_scenario(scenario, **overrides)
    from sim.runner import simulate

    policy = simulate(cfg, seed=seed)
    counterfactual = simulate(counterfactual_scenario(cfg), seed=seed)
    out = consumption_equivalent(policy, counterfactual)
    for name, result in (("policy", policy), ("counterfactual", counterfactual)):
        row = result.summary.set_index("lender").loc["all"]
        for key in ("utility_mean", "deprivation_share", "third_party_harm", "recovery_rate_net", "chargeoff_rate"):
            out[f"{name}.{key}"] = float(row[key])
    return out
