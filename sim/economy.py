"""The economy: the unemployment path, the job-loss and job-finding hazards that follow it, and the
policy levers that a scenario switches on for a period: income support, forbearance and a pause in credit
reporting, and the crisis-response levers (stimulus payments, unemployment-insurance programmes, pauses
on other debts, lockdowns, lenders' accommodation programmes and anticipatory tightening).

``LEVERS`` lists the crisis levers with a label and a plain-language explanation, for interfaces that
expose them (the app's set-up panel reads it)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import (
    Accommodation,
    Anticipation,
    ConstantUnemployment,
    Forbearance,
    IncomeSupport,
    Lockdown,
    OtherDebtPause,
    Period,
    RegimeUnemployment,
    SeriesUnemployment,
    Stimulus,
    UnemploymentProgramme,
)
from sim.config import (
    Economy as EconomyConfig,
)
from sim.config import (
    Lender as LenderConfig,
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


def short_hours_share(cfg: EconomyConfig, unemployment: float) -> float:
    """Share of employed households on short hours at an unemployment rate ``unemployment`` (a fraction):
    ``short_hours_per_point`` points for each point of unemployment above ``reference_unemployment``, none at or
    below it, at most 1. The share is the cycle's rise in part-time work for economic reasons; the part time
    worked at the reference rate is in the households' usual earnings already."""
    excess = 100.0 * unemployment - cfg.reference_unemployment
    return float(min(max(cfg.short_hours_per_point * excess / 100.0, 0.0), 1.0))


@dataclass(frozen=True)
class Levers:
    """Which policy levers are on in a month, and how strongly (1 in force, 0-1 while phasing out)."""

    income_support: float  # monthly transfer to each unemployed household, $
    forbearance: bool
    forbearance_unemployed_only: bool
    forbearance_interest_accrues: bool
    reporting_paused: bool = False
    stimulus: tuple[tuple[Stimulus, float], ...] = ()  # payments due this month, with the share paid
    unemployment_programmes: tuple[tuple[UnemploymentProgramme, float], ...] = ()
    other_debt_pause: tuple[tuple[OtherDebtPause, float], ...] = ()
    lockdown: tuple[tuple[Lockdown, float], ...] = ()

    @property
    def household_income_levers(self) -> bool:
        """Stimulus payments or unemployment programmes pay something this month."""
        return bool(self.stimulus or self.unemployment_programmes)

    @property
    def spending_levers(self) -> bool:
        """A pause on other debts or a lockdown lowers essential spending this month."""
        return bool(self.other_debt_pause or self.lockdown)


def _in_force(periods, month: int) -> tuple:
    """The periods with a positive strength in ``month``, each with its strength."""
    return tuple((p, p.strength(month)) for p in periods if p.strength(month) > 0.0)


def levers_at(cfg: EconomyConfig, month: int) -> Levers:
    """The policy levers in force in ``month`` (0 = first recorded month)."""
    support = sum(p.amount * p.strength(month) for p in cfg.income_support)
    active = [p for p in cfg.forbearance if p.start_month <= month <= p.end_month]
    stimulus = tuple((p, 1.0) for p in cfg.stimulus if p.frequency == "once" and month == p.start_month)
    stimulus += tuple((p, w) for p, w in _in_force([p for p in cfg.stimulus if p.frequency == "monthly"], month))
    return Levers(
        income_support=float(support),
        forbearance=bool(active),
        forbearance_unemployed_only=all(p.unemployed_only for p in active) if active else True,
        forbearance_interest_accrues=any(p.interest_accrues for p in active),
        reporting_paused=any(p.start_month <= month <= p.end_month for p in cfg.reporting_pause),
        stimulus=stimulus,
        unemployment_programmes=_in_force(cfg.unemployment_programmes, month),
        other_debt_pause=_in_force(cfg.other_debt_pause, month),
        lockdown=_in_force(cfg.lockdown, month),
    )


# --------------------------------------------------------------------------------------------------
# lenders' levers: accommodation programmes and anticipatory tightening
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AccommodationInForce:
    """A lender's accommodation programme in a month: enrolment is open from start to end; during the
    phase-out payments of enrolled accounts come back at ``1 - strength`` of the contractual payment."""

    programme: Accommodation
    strength: float
    enrolling: bool

    @property
    def payment_share(self) -> float:
        """Share of the contractual payment that enrolled accounts whose pause is over must pay."""
        return 1.0 if self.enrolling else 1.0 - self.strength


def accommodation_at(cfg: LenderConfig, month: int) -> AccommodationInForce | None:
    """The lender's accommodation programme in force in ``month`` (programmes never overlap)."""
    for p in cfg.accommodation:
        w = p.strength(month)
        if w > 0.0:
            return AccommodationInForce(p, w, p.start_month <= month <= p.end_month)
    return None


def programme_over(cfg: LenderConfig, month: int) -> bool:
    """A programme of the lender ended (phase-out included) with the previous month."""
    return any(month == p.end_month + p.phase_out_months + 1 for p in cfg.accommodation)


def anticipated_loss(programmes: list[Anticipation], month: int, path: np.ndarray, index: int) -> float:
    """Annual loss rate a lender adds to its learned expected loss in ``month`` when it tightens in
    anticipation: for each programme in force, its strength times ``overlay`` plus ``unemployment_weight``
    per percentage point by which the published rate ``path[index]`` exceeds ``path[index -
    lookback_months]`` (the path as a fraction; the earliest value stands in for months before it). Zero
    when no programme is in force."""
    total = 0.0
    for p in programmes:
        w = p.strength(month)
        if w > 0.0:
            rise = max(100.0 * (float(path[index]) - float(path[max(index - p.lookback_months, 0)])), 0.0)
            total += w * (p.overlay + p.unemployment_weight * rise)
    return total


# --------------------------------------------------------------------------------------------------
# fixed household selection
# --------------------------------------------------------------------------------------------------
def household_uniform(n: int, seed: int, salt: int) -> np.ndarray:
    """A fixed uniform in [0, 1) for each of ``n`` households, from a splitmix64 hash of the row, the seed
    and a salt (one per lever). Levers that reach a share of households pick those below the share: no
    random stream is drawn from, and raising the share only adds households."""
    with np.errstate(over="ignore"):
        key = (seed * 0x9E3779B97F4A7C15 + salt * 0xD1B54A32D192ED03) & 0xFFFFFFFFFFFFFFFF
        z = np.arange(n, dtype=np.uint64) + np.uint64(key)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


# --------------------------------------------------------------------------------------------------
# the levers as an interface shows them
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LeverInfo:
    """A policy lever as a set-up panel shows it: where it lives in a scenario (a list of periods; ``N`` is
    a lender's index), a label, the pydantic model of one period (its fields carry their descriptions,
    bounds, defaults and sources), and a plain-language explanation for learn mode."""

    path: str
    label: str
    period: type[Period]
    explanation: str

    @property
    def per_lender(self) -> bool:
        return self.path.startswith("lenders.N.")


LEVERS: tuple[LeverInfo, ...] = (
    LeverInfo("economy.income_support", "Income support for the unemployed", IncomeSupport,
              "A flat monthly transfer to every household out of work, on top of its unemployment benefits, for "
              "the months you choose. It adds to the cash a household has for essentials and debts, so fewer "
              "fall behind; it reaches only the unemployed, and all of them alike."),
    LeverInfo("economy.stimulus", "Stimulus payments", Stimulus,
              "A payment to every household, once (a stimulus cheque) or every month (like the 2021 advance "
              "child tax credit), that can shrink as usual earnings rise above a threshold. Households in work "
              "get it too: it builds savings that later absorb job loss or shocks, but much of it goes to "
              "households that would have paid their debts anyway."),
    LeverInfo("economy.unemployment_programmes", "Unemployment insurance programmes", UnemploymentProgramme,
              "Extra unemployment benefits for a period: a flat top-up (like the $600 a week of 2020), a "
              "higher replacement of lost earnings, wider coverage (reaching workers regular insurance misses, "
              "such as the self-employed) and a longer duration. Each programme reaches a fixed share of the "
              "unemployed, only while they have been out of work for at most the duration you set."),
    LeverInfo("economy.other_debt_pause", "Pauses on other debts", OtherDebtPause,
              "A pause on payments of debts the lenders in the model do not hold (student loans, mortgages, "
              "rent) for a share of households. Their essential spending falls by the paused payment while "
              "they keep their home, so more cash is left for the loans in the model. The model does not "
              "follow the paused debts: what comes due after the pause is not charged back."),
    LeverInfo("economy.lockdown", "Lockdown", Lockdown,
              "A period in which households cannot spend part of their usual essential budget (services are "
              "closed). What they cannot spend is saved, so savings rise and consumption falls; the extra "
              "savings later help pay debts."),
    LeverInfo("economy.forbearance", "Forbearance", Forbearance,
              "A public rule that pauses payments on all loans of eligible households (the unemployed, or "
              "everyone) for the months you choose: nothing new falls due, no late fees, and arrears stop "
              "ageing. When it ends, payments are due again at once."),
    LeverInfo("economy.reporting_pause", "Credit-reporting pause", Period,
              "Lenders report nothing adverse to credit records during the period, so households who fall "
              "behind keep the score that lenders see when they apply for new loans."),
    LeverInfo("lenders.N.accommodation", "Lender accommodation programme", Accommodation,
              "The lender's own hardship programme: households who ask (by default only those out of work) "
              "enrol their accounts and skip a few payments (skip-a-payment, or a deferral that can be "
              "interest-free), with late fees waived. Enrolled accounts can be reported as current: arrears "
              "are set aside and nothing adverse reaches the credit record. When enrolment closes, payments "
              "come back in full at once (a cliff) or rise step by step over the phase-out (a ramp)."),
    LeverInfo("lenders.N.anticipation", "Anticipatory tightening", Anticipation,
              "The lender tightens new lending as soon as unemployment rises, before charge-offs show it: it "
              "adds an overlay, and an amount per point of rise in unemployment, to the losses it expects. Its "
              "approval cutoff and prices rise; fewer, safer loans are made."),
)
