"""Welfare against a no-collection counterfactual.

Each household's monthly utility is CRRA in *effective* consumption: what it consumed, less the
money-equivalent disutility of collection contacts (more at night, via third parties, beyond a legal
cap) and of stress, floored near zero (``sim.borrowers.effective_consumption``). A run accumulates, by
income quintile and literacy tercile, the discounted sum of utility ``W``, of ``c^(1-g)`` (``A``) and of
household-months (``B``). The consumption-equivalent welfare change of a scenario against the
counterfactual in which lenders do not collect at all (strategy ``no_collection``), run with the same
seed and so on the same random numbers, is the proportional change ``d`` of counterfactual consumption
in every month that would give the scenario's welfare:

    W = ((1 + d)^(1-g) A_cf - B) / (1 - g)   so   d = ((W (1-g) + B) / A_cf)^(1/(1-g)) - 1,

and ``d = exp((W - W_cf) / B) - 1`` for log utility (g = 1). A negative ``d`` means households would give
up that share of consumption to avoid the scenario's collection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.config import Scenario, load_scenario
from sim.metrics import SEGMENT_LABELS, RunResult
from sim.runner import simulate


def consumption_equivalent(policy: RunResult, counterfactual: RunResult) -> dict[str, float]:
    """The consumption-equivalent welfare change of ``policy`` against ``counterfactual``, overall and by
    segment (``ce_change`` and ``ce_change.<segment>``)."""
    p, c = policy.meta["welfare"], counterfactual.meta["welfare"]
    gamma = p["risk_aversion"]
    to_segment = np.asarray(p["cell_to_segment"])
    out: dict[str, float] = {"ce_change": _ce(np.sum(p["W"]), np.sum(c["W"]), np.sum(c["A"]), np.sum(c["B"]), gamma)}
    w, wc = np.asarray(p["W"]) @ to_segment, np.asarray(c["W"]) @ to_segment
    a, b = np.asarray(c["A"]) @ to_segment, np.asarray(c["B"]) @ to_segment
    for k, label in enumerate(SEGMENT_LABELS):
        out[f"ce_change.{label}"] = _ce(w[k], wc[k], a[k], b[k], gamma)
    return out


def _ce(w: float, w_cf: float, a_cf: float, b: float, gamma: float) -> float:
    if b <= 0:
        return 0.0
    if abs(gamma - 1.0) < 1e-9:
        return float(np.expm1((w - w_cf) / b))
    base = (w * (1.0 - gamma) + b) / a_cf
    if base <= 0:
        return -1.0
    return float(base ** (1.0 / (1.0 - gamma)) - 1.0)


def welfare_change(scenario: str | Path | Scenario | dict = "baseline", *, seed: int = 0,
                   **overrides: Any) -> dict[str, float]:
    """Run a scenario and its no-collection counterfactual on the same random numbers; return the
    consumption-equivalent welfare change overall and by segment, and the two runs' mean utility,
    deprivation share and third-party harm."""
    cfg = load_scenario(scenario, **overrides)
    policy = simulate(cfg, seed=seed)
    cf_overrides = {f"lenders.{i}.strategy": "no_collection" for i in range(len(cfg.lenders))}
    cf_overrides.update({f"lenders.{i}.challengers": [] for i in range(len(cfg.lenders))})
    counterfactual = simulate(cfg, seed=seed, **cf_overrides)
    out = consumption_equivalent(policy, counterfactual)
    for name, result in (("policy", policy), ("counterfactual", counterfactual)):
        row = result.summary.set_index("lender").loc["all"]
        for key in ("utility_mean", "deprivation_share", "third_party_harm", "recovery_rate_net", "chargeoff_rate"):
            out[f"{name}.{key}"] = float(row[key])
    return out
