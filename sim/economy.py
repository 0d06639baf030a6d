"""The economy: the unemployment path, the job-loss and job-finding hazards that follow it, and the
policy levers (income support, forbearance) that a scenario switches on for a period."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import (
    ConstantUnemployment,
    RegimeUnemployment,
    SeriesUnemployment,
)
from sim.config import (
    Economy as EconomyConfig,
)


def unemployment_path(
    cfg: EconomyConfig, n_months: int, rng: np.random.Generator, first_month: int = 0
) -> np.ndarray:
    """Monthly unemployment rates (as fractions) for months ``first_month .. first_month + n_months - 1``.

    Month 0 is the first recorded month; burn-in months are negative and a series holds its first
    value there.

    A quarterly series is read as quarterly means placed at each quarter's middle month and linearly
    interpolated; the path holds the first value before the first midpoint and the last after the end.
    A regime process switches between expansion and recession by a two-state Markov chain and moves
    the rate a share ``adjustment`` of the way to the regime's level each month, plus noise.
    """
    u = cfg.unemployment
    if isinstance(u, ConstantUnemployment):
        return np.full(n_months, u.rate / 100.0)
    if isinstance(u, SeriesUnemployment):
        values = np.asarray(u.values, dtype=float) / 100.0
        if u.frequency == "monthly":
            months = np.arange(len(values), dtype=float)
        else:
            months = 3.0 * np.arange(len(values)) + 1.0
        return np.interp(np.arange(first_month, first_month + n_months, dtype=float), months, values)
    assert isinstance(u, RegimeUnemployment)
    rates = np.empty(n_months)
    in_recession = u.start_in_recession
    rate = (u.recession_rate if in_recession else u.expansion_rate) / 100.0
    switch = rng.random(n_months)
    noise = rng.standard_normal(n_months) * u.volatility / 100.0
    for t in range(n_months):  # one loop over months, not over borrowers
        if in_recession:
            in_recession = switch[t] >= u.p_exit_recession
        else:
            in_recession = switch[t] < u.p_enter_recession
        target = (u.recession_rate if in_recession else u.expansion_rate) / 100.0
        rate = min(0.6, max(0.005, rate + u.adjustment * (target - rate) + noise[t]))
        rates[t] = rate
    return rates


@dataclass(frozen=True)
class Hazards:
    """Monthly labour-market hazards for one month."""

    separation: float  # mean job-loss probability of an employed household
    finding: float  # job-finding probability of an unemployed household


def labour_hazards(cfg: EconomyConfig, u_now: float, u_next: float, outflow_share: float = 1.0) -> Hazards:
    """Job-finding and job-loss hazards that move unemployment from ``u_now`` to ``u_next``.

    Job finding falls as unemployment rises, ``f = f_ref * (u_ref / u) ** elasticity``; the separation
    rate is then the one that makes the stock-flow identity ``u' = u + s (1 - u) - f w u`` hit the path,
    where ``w`` (``outflow_share``) is the mean duration-dependence weight of the unemployed.
    """
    u_ref = cfg.reference_unemployment / 100.0
    f = min(0.95, cfg.job_finding_rate * (u_ref / max(u_now, 1e-4)) ** cfg.job_finding_elasticity)
    s = (u_next - u_now + f * outflow_share * u_now) / max(1.0 - u_now, 1e-6)
    return Hazards(separation=float(np.clip(s, 1e-5, 0.5)), finding=float(f))


@dataclass(frozen=True)
class Levers:
    """Which policy levers are on in a month."""

    income_support: float  # monthly transfer to each unemployed household, $
    forbearance: bool
    forbearance_unemployed_only: bool
    forbearance_interest_accrues: bool
    reporting_paused: bool = False


def levers_at(cfg: EconomyConfig, month: int) -> Levers:
    """The policy levers in force in ``month`` (0 = first recorded month)."""
    support = sum(p.amount for p in cfg.income_support if p.start_month <= month <= p.end_month)
    active = [p for p in cfg.forbearance if p.start_month <= month <= p.end_month]
    return Levers(
        income_support=float(support),
        forbearance=bool(active),
        forbearance_unemployed_only=all(p.unemployed_only for p in active) if active else True,
        forbearance_interest_accrues=any(p.interest_accrues for p in active),
        reporting_paused=any(p.start_month <= month <= p.end_month for p in cfg.reporting_pause),
    )
