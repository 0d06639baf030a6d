"""Borrowers (households): their state in numpy columns, the Mesa agent that views one row, and the
vectorised monthly behaviour: earning, losing and finding jobs, expense shocks, deciding what to pay
and to whom, saving and consuming, and stress and well-being.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent

from sim import kernels
from sim.config import Behaviour, Economy, Population
from sim.economy import Levers, household_uniform

#: literacy (0-1) at which `behaviour.misunderstanding_mean` is the mean monthly probability of misreading: the
#: default `population.literacy_mean` (Lusardi & Mitchell 2011)
REFERENCE_LITERACY = 0.55
ESSENTIALS_ELASTICITY = -0.25  # essential spending as a share of income moves as income to this power
LOW_WELLBEING = 38.0  # CFPB Financial Well-Being Scale: "very low" 0-29 and "low" 30-37
WELLBEING_BANDS = (0, 30, 38, 50, 58, 68, 101)
WELLBEING_BAND_NAMES = ("very low", "low", "medium-low", "medium-high", "high", "very high")

COLUMNS = {
    "income_base": np.float64,  # monthly earnings when employed, $
    "essentials": np.float64,  # essential spending a month, $
    "savings": np.float64,  # liquid savings, $
    "savings_target": np.float64,
    "income": np.float64,  # this month's income, $
    "shock": np.float64,  # this month's expense shock, $
    "consumption": np.float64,  # this month's consumption, $
    "shortfall": np.float64,  # essentials not covered this month, $
    "paid": np.float64,  # paid on debts this month, $
    "literacy": np.float32,
    "attention": np.float32,
    "willingness": np.float32,
    "misunderstanding": np.float32,
    "complaint_propensity": np.float32,
    "stress": np.float32,
    "wellbeing": np.float32,
    "wellbeing_offset": np.float32,
    "risk_score": np.float32,  # the true creditworthiness that lenders observe with noise
    "employed": np.bool_,
    "short_hours": np.bool_,  # employed on short hours this month (part time for economic reasons)
    "reachable": np.bool_,
    "digital": np.bool_,  # uses the lender's app and digital channels
    "education_effect": np.float32,  # current relative fall in misunderstanding from financial education
    "quintile": np.int8,  # income quintile, 0 = lowest
    "months_unemployed": np.int16,
    "derogatory": np.float32,  # adverse marks on the credit record (60+ days late, charge-off), fading over 7 years
    "wages_exempt": np.bool_,  # lives where wages cannot be garnished for consumer debts
}


class BorrowerTable:
    """The state of all households, one numpy column per attribute."""

    def __init__(self, n: int) -> None:
        self.n = n
        for name, dtype in COLUMNS.items():
            setattr(self, name, np.zeros(n, dtype=dtype))

    @classmethod
    def sample(cls, cfg: Population, economy: Economy, u0: float, rng: np.random.Generator) -> BorrowerTable:
        """Draw a population of ``cfg.n_borrowers`` households."""
        n = cfg.n_borrowers
        t = cls(n)
        t.income_base[:] = cfg.income_median * np.exp(cfg.income_sigma * rng.standard_normal(n))
        t.rank_quintiles()
        # essential spending is a larger share of a small income
        share = cfg.essentials_share * (t.income_base / cfg.income_median) ** ESSENTIALS_ELASTICITY
        share = share + cfg.essentials_share_sd * rng.standard_normal(n)
        t.essentials[:] = np.clip(share, 0.25, 1.1) * t.income_base
        months = cfg.savings_months_median * np.exp(cfg.savings_sigma * rng.standard_normal(n))
        t.savings[:] = np.minimum(months, 60.0) * t.income_base * (0.6 + 0.4 * (t.quintile / 4))
        t.savings_target[:] = t.savings
        t.literacy[:] = _beta(rng, cfg.literacy_mean, 0.2, n)
        t.attention[:] = _beta(rng, cfg.attention_mean, 0.05, n) * (0.98 + 0.02 * t.literacy)
        t.willingness[:] = _beta(rng, cfg.willingness_mean, cfg.willingness_sd, n)
        # relative to a household of reference literacy; scaled to probabilities by `scale_misunderstanding`
        t.misunderstanding[:] = (1.4 - t.literacy) / (1.4 - REFERENCE_LITERACY) * rng.gamma(2.0, 0.5, n)
        t.complaint_propensity[:] = cfg.complaint_propensity_mean * rng.gamma(2.0, 0.5, n)
        t.reachable[:] = rng.random(n) < cfg.reachable_share
        t.digital[:] = rng.random(n) < cfg.digital_share * (0.7 + 0.6 * t.literacy)
        # initial employment by quintile-specific risk
        rel = np.asarray(economy.separation_by_quintile)[t.quintile]
        p_unemp = np.clip(u0 * rel / rel.mean(), 0, 0.9)
        t.employed[:] = rng.random(n) >= p_unemp
        t.wellbeing_offset[:] = 9.0 * rng.standard_normal(n)
        t.risk_score[:] = _risk_score(t)
        t.stress[:] = 0.05
        t.wellbeing[:] = np.clip(52.0 + t.wellbeing_offset, 0, 100)
        t.start_income(economy.unemployment_insurance_replacement)
        t.wages_exempt[:] = rng.random(n) < cfg.garnishment_banned_share
        return t

    def rank_quintiles(self) -> None:
        """Set every household's income quintile (0 = the lowest fifth) from its rank by base income."""
        ranks = np.argsort(np.argsort(self.income_base, kind="stable"), kind="stable")
        self.quintile[:] = np.minimum(ranks * 5 // max(self.n, 1), 4)

    def start_income(self, replacement: float) -> None:
        """Set the first month's income: the base income when employed, ``replacement`` of it otherwise."""
        self.income[:] = np.where(self.employed, self.income_base, self.income_base * replacement)

    def rescale_income(self, rows: np.ndarray, income_base: np.ndarray, replacement: float) -> None:
        """Give households ``rows`` a new base income and rescale what is drawn in proportion to it: essential
        spending (its share of income moves as income to the power ``ESSENTIALS_ELASTICITY``, as when the
        population is sampled, within 25%-110% of income), savings and the savings target (in proportion);
        then rank the quintiles again and set the first month's income (:meth:`start_income`)."""
        old = self.income_base[rows]
        ratio = income_base / np.maximum(old, 1e-9)
        share = self.essentials[rows] / np.maximum(old, 1e-9) * ratio ** ESSENTIALS_ELASTICITY
        self.income_base[rows] = income_base
        self.essentials[rows] = np.clip(share, 0.25, 1.1) * income_base
        self.savings[rows] *= ratio
        self.savings_target[rows] *= ratio
        self.rank_quintiles()
        self.start_income(replacement)

    def scale_misunderstanding(self, mean: float) -> None:
        """Turn the relative misunderstanding column into monthly probabilities: ``mean`` is the mean
        probability of households of reference literacy (``REFERENCE_LITERACY``, the default mean). The scale is
        fixed, not the population's mean, so a less literate population misreads more (ODD section 7.6)."""
        self.misunderstanding *= np.float32(mean)
        np.clip(self.misunderstanding, 0, 1, out=self.misunderstanding)


def _beta(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    """Beta draws with the given mean and standard deviation (degenerate if sd is 0)."""
    mean = float(np.clip(mean, 1e-4, 1 - 1e-4))
    var = min(sd**2, mean * (1 - mean) * 0.99)
    if var <= 0:
        return np.full(n, mean)
    k = mean * (1 - mean) / var - 1
    return rng.beta(mean * k, (1 - mean) * k, n)


def _risk_score(t: BorrowerTable) -> np.ndarray:
    """True creditworthiness in 0-1 from willingness, literacy, buffer and income rank."""
    buffer = np.log1p(t.savings / np.maximum(t.essentials, 1.0))
    z = -4.0 + 4.5 * t.willingness + 1.0 * t.literacy + 0.8 * buffer + 0.25 * t.quintile
    return 1.0 / (1.0 + np.exp(-z))


class Column:
    """Descriptor that maps an agent attribute to one element of a model-owned column."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        value = getattr(agent.model.borrowers, self.name)[agent.row]
        return value.item() if hasattr(value, "item") else value

    def __set__(self, agent, value) -> None:
        getattr(agent.model.borrowers, self.name)[agent.row] = value


class Borrower(FixedAgent):
    """A household. Its state lives in the model's :class:`BorrowerTable`; this agent is a view of
    one row, so reading or writing ``borrower.savings`` reads or writes the column. It sits in a cell of
    the model's social network (``model.network``, a Mesa ``discrete_space.Network``)."""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        # the row is not stored (a million agents: 40 MB): households are created in row order, so it is
        # the unique id counted from the first household's
        if self.row != row:
            raise ValueError(f"Borrower agents must be created in row order: got row {row}, expected {self.row}")

    @property
    def row(self) -> int:
        """The household's row in ``model.borrowers``."""
        return self.unique_id - self.model.first_borrower_id

    @property
    def cell(self):
        """The borrower's cell in ``model.network`` (the space is built on first use)."""
        if self._mesa_cell is None and getattr(self.model, "_network", None) is None:
            _ = self.model.network  # places every borrower in its cell
        return self._mesa_cell

    @cell.setter
    def cell(self, cell) -> None:
        FixedAgent.cell.fset(self, cell)

    @property
    def loans(self) -> np.ndarray:
        """Rows of the loan book that belong to this household (open or in collection)."""
        book = self.model.book
        return np.flatnonzero((book.view("borrower") == self.row) & book.collecting())

    def __repr__(self) -> str:
        return f"Borrower(unique_id={self.unique_id}, row={self.row})"


for _name in COLUMNS:
    setattr(Borrower, _name, Column(_name))


# --------------------------------------------------------------------------------------------------
# Monthly behaviour, vectorised over households
# --------------------------------------------------------------------------------------------------
@dataclass
class LabourDraws:
    """Uniform draws for one month, one per household, from the labour and shock streams."""

    transition: np.ndarray
    income_noise: np.ndarray
    shock_event: np.ndarray
    shock_size: np.ndarray


def draw_labour(rng_labour: np.random.Generator, rng_shocks: np.random.Generator, n: int) -> LabourDraws:
    """Draw the month's labour and shock randomness. Always ``n`` of each, whatever the strategy, so
    that households meet the same shocks under every strategy (common random numbers)."""
    return LabourDraws(
        transition=rng_labour.random(n, dtype=np.float32),
        income_noise=rng_labour.standard_normal(n, dtype=np.float32),
        shock_event=rng_shocks.random(n, dtype=np.float32),
        shock_size=rng_shocks.standard_exponential(n, dtype=np.float32),
    )


def labour_and_shocks(
    t: BorrowerTable, cfg: Economy, separation: float, finding: float, support: float, draws: LabourDraws,
    separation_weights: np.ndarray, finding_weights: np.ndarray,
) -> np.ndarray:
    """Move households between jobs and unemployment, set income and expense shocks.

    Returns the mask of households who lost their job this month.
    """
    growth = np.exp(cfg.income_volatility * draws.income_noise - 0.5 * cfg.income_volatility**2)
    lost = np.empty(t.n, dtype=bool)
    kernels.labour_market(draws.transition, separation_weights, finding_weights, float(separation), float(finding),
                          growth, cfg.unemployment_insurance_replacement, float(support), draws.shock_event,
                          cfg.expense_shock_probability, draws.shock_size, cfg.expense_shock_size,
                          t.employed, t.months_unemployed, t.income_base, t.income, t.shock, lost)
    return lost


# salts of the fixed hashes that pick the households a lever reaches (one per lever, so that the sets are
# independent of each other)
STIMULUS_SALT, PROGRAMME_SALT, PAUSE_SALT, SHORT_HOURS_SALT = 1, 2, 3, 4


def short_hours(t: BorrowerTable, share: float, income_loss: float, exposure: np.ndarray,
                uniform: np.ndarray | None) -> None:
    """Put employed households on short hours, and cut their earnings by ``income_loss``.

    A household is on short hours this month when it is employed and its fixed uniform (``uniform``, from
    :func:`sim.economy.household_uniform` with ``SHORT_HOURS_SALT``) is below ``share * exposure``: ``exposure``
    is its relative risk of losing a job (mean 1 over the employed), so hours are cut where jobs are lost. The
    same households are cut for as long as the share lasts and a higher share only adds households: which jobs
    have their hours cut is a trait of the job, not a monthly draw (an assumption). ``share`` 0 (unemployment at or
    below the reference rate) puts nobody on short hours and needs no ``uniform``."""
    if share <= 0.0 or uniform is None:
        t.short_hours[:] = False
        return
    np.less(uniform, share * exposure, out=t.short_hours)
    t.short_hours &= t.employed
    t.income[t.short_hours] *= 1.0 - income_loss


def crisis_income(t: BorrowerTable, levers: Levers, seed: int) -> np.ndarray:
    """Stimulus payments and unemployment-programme benefits each household receives this month, $.

    A stimulus pays ``amount`` (times its strength while a monthly payment phases out) less
    ``income_phase_out_rate`` per $ of usual earnings above ``income_threshold``, to the share ``share`` of
    households it reaches. An unemployment programme pays ``replacement`` times usual earnings plus
    ``top_up`` (times its strength) to unemployed households it covers (a fixed share ``coverage``) that
    have been out of work for at most ``max_months_unemployed`` months. Households are picked by fixed
    hashes (:func:`sim.economy.household_uniform`), never by draws from the model's streams.
    """
    extra = np.zeros(t.n)
    if levers.stimulus:
        u = household_uniform(t.n, seed, STIMULUS_SALT)
        for p, strength in levers.stimulus:
            payment = np.maximum(p.amount - p.income_phase_out_rate * np.maximum(t.income_base - p.income_threshold,
                                                                                 0.0), 0.0)
            extra += np.where(u < p.share, strength * payment, 0.0)
    if levers.unemployment_programmes:
        u = household_uniform(t.n, seed, PROGRAMME_SALT)
        for p, strength in levers.unemployment_programmes:
            reached = ~t.employed & (u < p.coverage) & (t.months_unemployed <= p.max_months_unemployed)
            extra += np.where(reached, strength * (p.replacement * t.income_base + p.top_up), 0.0)
    return extra


@dataclass(frozen=True)
class MonthSpending:
    """Essential spending of a month in which a pause on other debts or a lockdown is in force ($ per
    household): the usual amount, the payments on other debts that are paused (the service they pay for,
    a home, is still consumed) and the spending a lockdown prevents (it is saved)."""

    usual: np.ndarray
    paused: np.ndarray
    locked: np.ndarray


def lower_essentials(t: BorrowerTable, levers: Levers, seed: int) -> MonthSpending:
    """Lower this month's essential spending ``t.essentials`` by the paused payments and the locked-down
    spending; return what was taken off (:func:`restore_essentials` puts the usual amount back).

    A household reached by a pause on other debts (a fixed share ``share``, picked by hash) pays
    ``essentials_cut`` (times the pause's strength) less of its essentials; a lockdown keeps every
    household from spending ``spending_cut`` (times its strength) of them. Overlapping periods of the same
    lever do not add up: the strongest applies.
    """
    usual = t.essentials.copy()
    paused = np.zeros(t.n)
    if levers.other_debt_pause:
        u = household_uniform(t.n, seed, PAUSE_SALT)
        cut = np.zeros(t.n)
        for p, strength in levers.other_debt_pause:
            cut = np.maximum(cut, np.where(u < p.share, strength * p.essentials_cut, 0.0))
        paused = usual * cut
    lock = max((strength * p.spending_cut for p, strength in levers.lockdown), default=0.0)
    locked = np.minimum(usual * lock, usual - paused)
    t.essentials[:] = usual - paused - locked
    return MonthSpending(usual=usual, paused=paused, locked=locked)


def restore_essentials(t: BorrowerTable, spending: MonthSpending) -> None:
    """Put the usual essential spending back after the month is settled."""
    t.essentials[:] = spending.usual


#: share of its savings (less any deficit) a household puts towards its debts in a month (``payment_budget``)
DRAWDOWN = 0.5


def payment_budget(t: BorrowerTable, drawdown: float = DRAWDOWN) -> np.ndarray:
    """Money a household can put towards its debts this month: what is left of income after
    essentials and shocks, plus part of its savings (ODD 7.4). The model's month computes it inside
    ``sim.kernels.payment_decisions`` with the same arithmetic (``kernels._budget``); this function gives it on
    its own, for analysis and tests."""
    budget = np.empty(t.n)
    kernels.payment_budget(t.income, t.essentials, t.shock, t.savings, drawdown, budget)
    return budget


def split_budget(budget: np.ndarray, wanted: np.ndarray, owner: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """How much each household pays on each loan.

    A household pays what it means to pay on each loan (``wanted``) when its budget covers the total. When
    it does not, it cannot pay every lender: it splits its budget across the loans it meant to pay in
    proportion to ``priority * wanted`` (consequences first, then the loudest creditor: see
    ``sim.payments.decide_payments``), never paying a loan more than it meant to, and passes what a loan
    cannot absorb to the others. Only the loans of such households are touched after the first test.
    The model's month does this in ``sim.kernels.payment_decisions`` and ``split_short_budgets``, with the same
    arithmetic (``kernels._split_rows``); this function gives the split on its own, for analysis and tests.
    """
    pay = np.empty(len(wanted))
    kernels.split_budget(budget, wanted, owner, priority, pay)
    return pay


def settle_month(t: BorrowerTable, paid: np.ndarray, cfg: Population, borrowed: np.ndarray | float = 0.0,
                 spending: MonthSpending | None = None) -> None:
    """Households pay, save towards their buffer, and consume the rest; a deficit draws savings down,
    and what savings cannot cover is consumption below essentials (``shortfall``). New loans are spent in
    the month they are taken (``borrowed``: the purchase the loan financed).

    With ``spending`` (a month with a pause on other debts or a lockdown; ``t.essentials`` is then the
    lowered amount), what a lockdown kept the household from spending is saved, beyond the buffer target,
    out of any surplus left after the usual saving; and the paused payments still count as consumption
    (the home they pay for is lived in)."""
    t.paid[:] = paid
    borrowed = np.full(t.n, float(borrowed)) if np.ndim(borrowed) == 0 else np.asarray(borrowed, dtype=np.float64)
    none = np.zeros(0)
    kernels.settle_month(t.income, t.essentials, t.shock, t.paid, cfg.saving_rate, t.savings_target, borrowed,
                         none if spending is None else spending.locked, none if spending is None else spending.paused,
                         spending is not None, t.savings, t.shortfall, t.consumption)


def crra(c: np.ndarray, gamma: float) -> np.ndarray:
    """CRRA utility of monthly consumption in thousands of dollars: ``(c^(1-g) - 1) / (1-g)``, log at g=1."""
    if abs(gamma - 1.0) < 1e-9:
        return np.log(c)
    return (c ** (1.0 - gamma) - 1.0) / (1.0 - gamma)


def effective_consumption(t: BorrowerTable, cfg: Any, contacts: Any) -> np.ndarray:
    """Consumption less the money-equivalent disutility of collection contacts and stress, in thousands of
    dollars, floored at a fifth of the subsistence floor (so deprivation is steeply but finitely bad):
    ``max(consumption - essentials (c_call calls + c_night night calls + c_visit visits + c_third third-party
    contacts + c_social posts + c_over max(calls + visits - legal cap, 0) + c_stress stress), floor) / 1000``.
    ``contacts`` is the month's :class:`sim.records.Contacts` (per contacted row); each household's contacts
    of each kind are summed over its rows and the terms added in the order above, in one compiled pass
    (``kernels.effective_consumption``)."""
    out = np.empty(t.n)
    kernels.effective_consumption(
        contacts.owner, contacts.attempts, contacts.night, contacts.visits, contacts.third_party, contacts.social_media,
        t.stress, t.essentials, t.consumption, float(cfg.call_cost), float(cfg.night_call_cost), float(cfg.visit_cost),
        float(cfg.third_party_cost), float(cfg.social_media_cost), float(cfg.legal_cap), float(cfg.over_cap_cost),
        float(cfg.stress_cost), 0.2 * cfg.subsistence_share, out)
    return out


def update_stress_and_wellbeing(
    t: BorrowerTable, cfg: Behaviour, contact_stress: np.ndarray, any_30plus: np.ndarray, lost_job: np.ndarray,
) -> None:
    """Stress decays and rises with contacts, arrears, job loss, shocks and unmet essentials; the
    well-being index (0-100, scaled like the CFPB Financial Well-Being Scale) moves towards a target
    set by savings, stress, arrears and employment."""
    log_buffer = np.empty(t.n)
    kernels.savings_buffer(t.savings, t.essentials, log_buffer)  # then numpy's log
    np.log(log_buffer, out=log_buffer)
    kernels.stress_and_wellbeing(
        t.stress, np.asarray(contact_stress, dtype=np.float64), any_30plus, lost_job, t.shock, t.shortfall,
        log_buffer, t.wellbeing, t.wellbeing_offset, t.employed, cfg.stress_decay, cfg.stress_from_arrears,
        cfg.stress_from_job_loss, cfg.stress_from_shock, cfg.wellbeing_base, cfg.wellbeing_savings_weight,
        cfg.wellbeing_stress_weight, cfg.wellbeing_arrears_weight, cfg.wellbeing_unemployment_weight,
        cfg.wellbeing_adjustment)
