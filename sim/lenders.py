"""What lenders earn and spend, and how they plan: lenders, collection agencies, debt buyers (ordinary Mesa
agents) and the steps of a month that are theirs.

A lender owns a strategy, underwrites applicants from a noisy view of their creditworthiness, rations
its strategy's requests by collector capacity, and keeps its costs and revenue. Agencies work placed
accounts for a contingency fee; a debt buyer buys claims at a price per dollar and collects them.

The month's steps here: :func:`plan_treatments` (every arm's strategy plans, the agency and the buyer
add theirs), :func:`accommodate` (accommodation programmes), :class:`Costs` (every cost, fee, fine and
sale proceed booked in one place), :func:`learn_losses` (what lenders learn from charge-offs). What they
learn of each account from its payments (the score they see) is updated with the ledger
(``sim.kernels.ledger_outcomes``).
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim import kernels
from sim.config import Lender as LenderConfig
from sim.config import Regulation as RegulationConfig
from sim.config import Tactics
from sim.economy import accommodation_at, programme_over
from sim.loans import AccommodationMonth, LoanBook, Observation, ProductTerms, Status, collection_rows, observe
from sim.records import Contacts, Events, Plan
from sim.strategies import Strategy, make_strategy
from sim.tactics import Collector, Tactic, Treatment

if TYPE_CHECKING:
    from sim.borrowers import BorrowerTable


class Lender(mesa.Agent):
    """A lender with a product, underwriting, a collection strategy and collector capacity."""

    def __init__(self, model: mesa.Model, index: int, cfg: LenderConfig) -> None:
        super().__init__(model)
        self.index = index
        self.cfg = cfg
        self.name = cfg.name
        declared = list(getattr(model.cfg, "strategies", []))
        self.strategy: Strategy = make_strategy(cfg.strategy, cfg.strategy_params, declared)
        # champion first, then challengers; each arm gets a random share of the accounts
        self.strategies: list[Strategy] = [self.strategy] + [
            make_strategy(arm.strategy, arm.strategy_params, declared) for arm in cfg.challengers]
        shares = [arm.share for arm in cfg.challengers]
        self.arm_shares = np.array([1.0 - sum(shares), *shares])
        self.arm_names = [f"{cfg.name}" if not shares else f"{cfg.name} [champion: {self.strategy.name}]"] + [
            f"{cfg.name} [challenger {k + 1}: {s.name}]" for k, s in enumerate(self.strategies[1:])]
        self.costs = np.zeros(len(Tactic))  # cumulative cost by tactic, $
        self.sale_proceeds = 0.0
        self.agency_fees = 0.0
        self.fines = 0.0
        self.capacity_shortfall_hours = 0.0
        self.expected_loss = cfg.target_loss_rate  # expected annual net charge-off rate, learned from charge-offs
        self.anticipated_loss = 0.0  # annual loss rate added in anticipation (lenders.N.anticipation), set monthly
        self.capacity_log: list[tuple[int, float, float]] = []  # (month, hours used, hours available) per plan

    @property
    def underwriting_loss(self) -> float:
        """The annual loss rate underwriting plans for: the learned expected loss plus any anticipated loss."""
        return self.expected_loss + self.anticipated_loss

    @property
    def cutoff(self) -> float:
        """Today's approval cutoff: the base cutoff moved by expected losses (learned and anticipated)
        against the target."""
        excess = self.underwriting_loss - self.cfg.target_loss_rate
        return float(np.clip(self.cfg.approval_cutoff + self.cfg.supply_sensitivity * excess, 0.0, 0.95))

    def approves(self, observed_score: np.ndarray) -> np.ndarray:
        """Underwriting: approve applicants whose observed score clears today's cutoff."""
        return observed_score >= self.cutoff

    def price(self, observed_score: np.ndarray) -> np.ndarray:
        """APR for approved applicants: the base rate plus a risk spread that widens when expected losses
        exceed the target."""
        cut = self.cutoff
        risk = np.clip((1.0 - observed_score) / max(1.0 - cut, 1e-6), 0.0, 1.0)
        excess = max(self.underwriting_loss - self.cfg.target_loss_rate, 0.0)
        spread = self.cfg.product.apr_risk_spread * (1.0 + self.cfg.price_sensitivity * excess)
        return self.cfg.product.apr + spread * risk

    def learn_losses(self, annual_loss_rate: float) -> None:
        """Update the expected annual loss rate from this month's annualised net charge-off rate."""
        keep = self.cfg.loss_memory
        self.expected_loss = keep * self.expected_loss + (1.0 - keep) * annual_loss_rate

    def capacity_hours(self, accounts_on_book: int) -> float:
        """Collector hours available this month."""
        return self.cfg.collectors * accounts_on_book / 1000.0 * self.cfg.hours_per_collector

    def hours_needed(self, t: Treatment, tactics: Tactics) -> np.ndarray:
        """Collector hours each row's requests take."""
        return t.hours(tactics)

    def ration(self, t: Treatment, tactics: Tactics, available: float, hours: np.ndarray | None = None) -> Treatment:
        """Keep the highest-priority requests that fit in ``available`` collector hours; the rest lose
        every action that takes collector time. ``hours``: the hours each row's requests take, when known."""
        hours = self.hours_needed(t, tactics) if hours is None else hours
        total = float(hours.sum())
        if total <= available:
            return t
        self.capacity_shortfall_hours += total - available
        order = np.argsort(-t.priority, kind="stable")
        keep = np.zeros(len(t), dtype=bool)
        keep[order] = np.cumsum(hours[order]) <= available
        return t.scaled_down(keep)

    def plan(self, obs: Observation, strategy: Strategy, tactics: Tactics, capacity_hours: float,
             rng: np.random.Generator) -> Treatment:
        """The treatments ``strategy`` requests for these accounts this month, rationed by capacity."""
        t = strategy.decide(obs, rng)
        if not isinstance(t, Treatment):
            raise TypeError(f"strategy {strategy.name!r} returned {type(t).__name__}, not a Treatment")
        t.validate(len(obs))
        hours = self.hours_needed(t, tactics)
        rationed = self.ration(t, tactics, capacity_hours, hours)
        used = float(hours.sum()) if rationed is t else float(self.hours_needed(rationed, tactics).sum())
        self.capacity_log.append((obs.month, used, capacity_hours))
        return rationed


class ThirdPartyCollector(mesa.Agent):
    """A collector other than the lender: it calls each account it works ``calls_per_month`` times a month
    and counts what households pay it (``collected``, $)."""

    def __init__(self, model: mesa.Model, calls_per_month: int) -> None:
        super().__init__(model)
        self.calls_per_month = calls_per_month
        self.collected = 0.0


class CollectionAgency(ThirdPartyCollector):
    """A third-party agency that works placed accounts for a contingency fee (``fee`` of what it collects)."""

    def __init__(self, model: mesa.Model, fee: float, calls_per_month: int) -> None:
        super().__init__(model, calls_per_month)
        self.fee = fee
        self.fees_earned = 0.0


class DebtBuyer(ThirdPartyCollector):
    """A debt buyer: buys claims at ``price`` per dollar of face value and collects them."""

    def __init__(self, model: mesa.Model, price: float, calls_per_month: int) -> None:
        super().__init__(model, calls_per_month)
        self.price = price
        self.face_bought = 0.0
        self.paid = 0.0


class Regulator(mesa.Agent):
    """Receives complaints, detects violations with some probability and fines the lender; when adaptive,
    tightens contact caps after complaints stay above a threshold for ``patience_months``."""

    def __init__(self, model: mesa.Model, cfg: RegulationConfig) -> None:
        super().__init__(model)
        self.cfg = cfg
        self.complaints_received = 0.0
        self.violations_detected = 0.0
        self.fines_issued = 0.0
        self.months_above = 0
        self.tightenings = 0

    def review(self, violations_by_lender: np.ndarray, complaints_to_regulator: float,
               complaints_per_1000: float, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
        """Detect violations and fine; return (fines by lender, whether to tighten the caps)."""
        self.complaints_received += complaints_to_regulator
        counts = np.round(violations_by_lender).astype(np.int64)
        detected = rng.binomial(counts, self.cfg.detection_probability) if counts.any() else np.zeros_like(counts)
        fines = detected * self.cfg.fine_per_violation
        self.violations_detected += float(detected.sum())
        self.fines_issued += float(fines.sum())
        tighten = False
        if self.cfg.adaptive:
            self.months_above = self.months_above + 1 if complaints_per_1000 > self.cfg.complaint_threshold else 0
            if self.months_above >= self.cfg.patience_months:
                tighten = True
                self.tightenings += 1
                self.months_above = 0
        return fines.astype(float), tighten


class Costs:
    """What lenders spend and earn on collection, booked in one place: tactic costs, agency fees, fines and
    debt-sale proceeds, by outcome group (cumulative since set-up) and on each lender, agency and buyer.

    Args:
        lenders: the lenders, in index order; ``group_lender`` gives each outcome group's lender and
            ``group_offset`` each lender's first group (its arms follow).
    """

    def __init__(self, lenders: list[Lender], group_lender: np.ndarray, group_offset: np.ndarray,
                 agency: CollectionAgency, buyer: DebtBuyer, tactics: Tactics) -> None:
        self.lenders = lenders
        self.group_lender = [int(i) for i in group_lender]
        self.group_offset = group_offset
        self.agency = agency
        self.buyer = buyer
        self.tactics = tactics
        self.unit_cost = {tactic: getattr(tactics, tactic.key).cost for tactic in Tactic
                          if hasattr(tactics, tactic.key)}
        self.by_group = np.zeros((len(self.group_lender), len(Tactic)))  # cumulative cost by tactic, $
        self.fines_by_group = np.zeros(len(self.group_lender))  # cumulative fines, $

    def book_contacts(self, uses: dict[Tactic, np.ndarray], who: np.ndarray, group: np.ndarray,
                      collectors_per_visit: float) -> None:
        """The month's contact costs: the lender pays for what its own collectors do, and for what it
        requests on accounts placed with the agency except the agency's calls (those are paid by the
        contingency fee); a debt buyer's accounts cost the lender nothing. ``uses`` counts each tactic's
        uses per contacted row; a visit costs ``collectors_per_visit`` collectors (the regime's rule)."""
        own = who == Collector.LENDER
        not_sold = who != Collector.BUYER
        visit_cost = self.tactics.visit.cost * collectors_per_visit
        k = len(self.group_lender)
        for tactic, count in uses.items():
            unit = visit_cost if tactic == Tactic.VISIT else self.unit_cost[tactic]
            paid_for = own if tactic in (Tactic.CALL, Tactic.VISIT, Tactic.THIRD_PARTY) else not_sold
            uses_by_group = np.zeros(k)
            kernels.sum_by_group_where(count, paid_for, group, uses_by_group)
            spent = unit * uses_by_group
            self.by_group[:, tactic] += spent
            for g, lender_index in enumerate(self.group_lender):
                self.lenders[lender_index].costs[tactic] += spent[g]

    def book_reminders(self, lender_index: int, arm: int, reminders: int) -> None:
        """Pre-due reminders sent by one arm of a lender: ``tactics.reminder.cost`` each."""
        cost = self.tactics.reminder.cost * float(reminders)
        self.lenders[lender_index].costs[Tactic.REMINDER] += cost
        self.by_group[self.group_offset[lender_index] + arm, Tactic.REMINDER] += cost

    def book_sale(self, proceeds_by_group: np.ndarray, face: np.ndarray, proceeds: np.ndarray) -> None:
        """Claims sold to the debt buyer: its purchases, and each lender's proceeds."""
        if not len(face):
            return
        self.buyer.face_bought += float(face.sum())
        self.buyer.paid += float(proceeds.sum())
        for g, lender_index in enumerate(self.group_lender):
            self.lenders[lender_index].sale_proceeds += float(proceeds_by_group[g])

    def book_agency_fees(self, collected_by_group: np.ndarray, paid_to_buyer: float) -> np.ndarray:
        """Contingency fees owed to the agency on what its placed accounts paid (``collected_by_group``),
        by group; the debt buyer keeps what its claims paid (``paid_to_buyer``). Returns the fees."""
        fees = collected_by_group * self.agency.fee
        self.agency.collected += float(collected_by_group.sum())
        self.agency.fees_earned += float(fees.sum())
        for g, lender_index in enumerate(self.group_lender):
            self.lenders[lender_index].agency_fees += float(fees[g])
        self.buyer.collected += paid_to_buyer
        return fees

    def book_fines(self, fines_by_group: np.ndarray) -> None:
        """Fines the regulator imposed this month."""
        self.fines_by_group += fines_by_group
        for g, lender_index in enumerate(self.group_lender):
            self.lenders[lender_index].fines += float(fines_by_group[g])


def plan_treatments(lenders: list[Lender], book: LoanBook, month: int, uses_app: np.ndarray,
                    observed_ids: dict[int, np.ndarray], accounts_on_book: np.ndarray, tactics: Tactics,
                    agency: CollectionAgency, buyer: DebtBuyer, rng: np.random.Generator) -> Plan:
    """Every lender's strategies (champion and challengers, each on its arm's accounts in collection) plan,
    rationed by the arm's share of collector capacity; agencies add their calls to placed accounts and the
    debt buyer to the claims it bought. ``observed_ids`` holds the sorted ids each lender observed last
    month (updated here: lenders learn from the accounts that left collection since).

    Returns the loan rows (the lenders' sorted, then the buyer's), the combined treatment, and who collects
    each row, as a :class:`~sim.records.Plan`."""
    parts_rows, parts_t = [], []
    for lender in lenders:
        observed = collection_rows(book, lender.index)
        obs = observe(book, observed, month, uses_app, previous_ids=observed_ids.get(lender.index))
        # sorted already: the rows increase and the book's ids increase with the row (a copy: strategies get obs)
        observed_ids[lender.index] = obs.loan_id.copy()
        arms = book.arm[observed]
        capacity = lender.capacity_hours(int(accounts_on_book[lender.index]))
        for arm, strategy in enumerate(lender.strategies):
            mine = arms == arm
            sub, sub_rows = (obs.subset(mine), observed[mine]) if len(lender.strategies) > 1 else (obs, observed)
            sub.capacity_hours = capacity * lender.arm_shares[arm]
            sub.tactics = tactics
            t = lender.plan(sub, strategy, tactics, capacity * lender.arm_shares[arm], rng)
            # accounts with an agency are worked by the agency, not by the lender's collectors
            placed = np.flatnonzero(sub.collector == Collector.AGENCY)
            for name in ("calls", "night_calls", "visits", "third_party"):
                getattr(t, name)[placed] = 0
            t.place[placed] = False
            parts_rows.append(sub_rows)
            parts_t.append(t)
    rows = np.concatenate(parts_rows) if parts_rows else np.zeros(0, dtype=np.int64)
    treat = _concat(parts_t)
    if len(parts_rows) > 1:  # one lender's one strategy planned its rows in book order already
        order = np.argsort(rows, kind="stable")
        rows, treat = rows[order], treat.subset(order)
    who = np.full(len(rows), Collector.LENDER, dtype=np.int8)
    placed_rows, sold_rows = book.rows_collected_by(Collector.AGENCY, Collector.BUYER)  # still collected
    if len(rows) and len(placed_rows):
        pos = np.searchsorted(rows, placed_rows)
        found = (pos < len(rows)) & (rows[np.minimum(pos, len(rows) - 1)] == placed_rows)
        treat.calls[pos[found]] += agency.calls_per_month
        who[pos[found]] = Collector.AGENCY
    buyer_t = Treatment.empty(len(sold_rows))
    buyer_t.calls[:] = buyer.calls_per_month
    rows = np.concatenate([rows, sold_rows])
    treat = _concat([treat, buyer_t])
    who = np.concatenate([who, np.full(len(sold_rows), Collector.BUYER, dtype=np.int8)])
    return Plan(rows=rows, treatment=treat, who=who)


def learn_losses(lenders: list[Lender], book: LoanBook, events: Events, contacts: Contacts,
                 group_lender: np.ndarray) -> None:
    """Each lender updates its expected loss rate from this month's annualised net charge-offs (charge-offs
    and losses on sales, less recoveries); its approval cutoff and pricing follow (credit supply responds
    to expected losses)."""
    k = len(lenders)
    balance, net = np.zeros(k), np.zeros(k)
    v = book.view
    kernels.loss_tallies(v("principal"), v("interest"), v("fees"), v("status"), v("lender"), events.gross_chargeoff,
                         events.paid_on_charged_off, balance, net)
    net = net + np.bincount(group_lender, weights=contacts.sale_loss_by_group - contacts.proceeds_co_by_group,
                            minlength=k)
    for lend in lenders:
        rate = 12.0 * net[lend.index] / balance[lend.index] if balance[lend.index] > 0 else 0.0
        lend.learn_losses(rate)


def accommodate(lenders: list[Lender], book: LoanBook, t: BorrowerTable, month: int,
                rng: np.random.Generator) -> AccommodationMonth | None:
    """Lenders' accommodation programmes (``lenders.N.accommodation``, ODD 7.9): while enrolment is open,
    households that ask (one draw per household and lender from the ``policy`` stream, so the draws do
    not depend on the strategy) enrol their current or delinquent accounts with the lender; enrolled
    accounts skip ``pause_months`` payments, then pay in full, or a rising share during the phase-out; a
    programme's end clears its enrolments. Returns None when no programme is in force."""
    for lend in lenders:
        if programme_over(lend.cfg, month):
            book.end_accommodation(lend.index)
    in_force = [accommodation_at(lend.cfg, month) for lend in lenders]
    if not any(in_force):
        return None
    n = book.n
    lender, status = book.view("lender"), book.view("status")
    accommodated, left = book.view("accommodated"), book.view("accommodation_left")
    on_book = book.on_book()
    paused, interest_free = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    waived, shielded = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    share = np.ones(n)
    for lend, state in zip(lenders, in_force, strict=True):
        if state is None:
            continue
        p = state.programme
        mine = lender == lend.index
        if state.enrolling:
            asks = rng.random(t.n) < p.take_up
            if p.unemployed_only:
                asks &= ~t.employed
            eligible = (mine & ((status == Status.CURRENT) | (status == Status.DELINQUENT)) & ~accommodated
                        & (book.view("collector") == Collector.LENDER) & asks[book.view("borrower")])
            book.enrol(np.flatnonzero(eligible), p.pause_months, p.report_current, month)
        enrolled = mine & accommodated & on_book
        pausing = enrolled & (left > 0) & state.enrolling
        left[pausing] -= 1
        paused |= pausing
        if p.interest_free:
            interest_free |= pausing
        if p.waive_late_fees:
            waived |= enrolled
        if p.report_current:
            shielded |= enrolled
        share[enrolled & ~pausing] = state.payment_share
    return AccommodationMonth(paused=paused, interest_free=interest_free, fee_waived=waived, shielded=shielded,
                              payment_share=share)


def _concat(parts: list[Treatment]) -> Treatment:
    """One treatment from several, row blocks in order."""
    if not parts:
        return Treatment.empty(0)
    return Treatment(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Treatment)})


class CreditMarket:
    """Where households borrow: applications routed to lenders by market share, underwriting on a noisy
    reading of the credit record against each lender's cutoff, pricing, the new loan's terms and record
    errors, the champion/challenger split of new accounts, and early repayment (ODD 7.8).

    Args:
        lenders: the lenders, in index order. cfg: the scenario. terms: the lenders' product terms.
        book: the loan book. households: the household table. seed: the run's master seed (the arm split
            hashes loan ids with it). group_offset: each lender's first outcome group (its arms follow).
    """

    def __init__(self, lenders: list[Lender], cfg: Any, terms: ProductTerms, book: LoanBook,
                 households: BorrowerTable, seed: int, group_offset: np.ndarray) -> None:
        self.lenders = lenders
        self.cfg = cfg
        self.terms = terms
        self.book = book
        self.households = households
        self.seed = seed
        self.group_offset = group_offset
        self.n_groups = int(sum(len(lend.strategies) for lend in lenders))
        shares = np.array([lc.market_share for lc in cfg.lenders], dtype=float)
        self.share_cum = np.cumsum(shares / shares.sum())
        self.score_noise = np.array([lc.score_noise for lc in cfg.lenders])
        self.record_error_rate = np.array([lc.record_error_rate for lc in cfg.lenders])

    def lender_of(self, u: np.ndarray) -> np.ndarray:
        """The lender an application goes to, from a uniform draw, by market share."""
        return np.minimum(np.searchsorted(self.share_cum, u, side="right"), len(self.lenders) - 1)

    def seen_score(self, households: np.ndarray) -> np.ndarray:
        """Creditworthiness as the credit record shows it (before the lender's own noise)."""
        t = self.households
        return t.risk_score[households] - self.cfg.economy.credit_record_weight * t.derogatory[households]

    def approve(self, lender: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """Each lender's underwriting of the applications routed to it."""
        approved = np.zeros(len(lender), dtype=bool)
        for lend in self.lenders:
            mine = lender == lend.index
            approved[mine] = lend.approves(observed[mine])
        return approved

    def seed_synthetic(self, rng: np.random.Generator) -> None:
        """Give households the loans they hold at the start, of random age (burn-in settles the rest)."""
        pop = self.cfg.population
        t = self.households
        count = np.minimum(rng.poisson(pop.initial_loans_per_borrower, t.n), pop.max_loans_per_borrower)
        owner = np.repeat(np.arange(t.n), count)
        if len(owner) == 0:
            return
        lender = self.lender_of(rng.random(len(owner)))
        observed = self.seen_score(owner) + rng.normal(0, 1, len(owner)) * self.score_noise[lender]
        approved = np.ones(len(owner), dtype=bool)
        for lend in self.lenders:
            mine = lender == lend.index
            approved[mine] = lend.approves(observed[mine])
        owner, lender, observed = owner[approved], lender[approved], observed[approved]
        age = rng.integers(0, np.maximum(np.minimum(24, self.terms.term[lender]), 1))  # not yet matured
        self.lend(owner, lender, observed, rng, months_on_book=age)

    def open_accounts(self, owner: np.ndarray, lender: np.ndarray, balance: np.ndarray, apr: np.ndarray,
                      goodwill: np.ndarray, due_day: np.ndarray, months_on_book: np.ndarray,
                      score_noise: np.ndarray) -> np.ndarray:
        """Accounts put on the book as given (``CollectionModel.open_accounts`` documents the arguments)."""
        observed = self.seen_score(owner) + score_noise * self.score_noise[lender]
        rows = self.book.originate(owner, lender, balance, apr, self.terms, goodwill, observed.astype(np.float32),
                                   due_day, months_on_book)
        self.assign_arms(rows)
        return rows

    def applications(self, month: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Households apply with a fixed monthly probability (up to ``population.max_loans_per_borrower``
        open loans); each application goes to a lender by market share and is underwritten on the credit
        record read with the lender's noise; after ``regulation.ability_to_pay_from`` only households with
        earnings are approved. Lends to those approved. Returns the applicants, the households approved
        (one per new loan) and the new loans' rows."""
        t, book = self.households, self.book
        u = rng.random((3, t.n), dtype=np.float32)  # apply?, which lender, observation noise
        pop = self.cfg.population
        applicants = np.empty(t.n, dtype=np.int64)
        k = kernels.loan_applicants(book.view("borrower"), book.view("status"), u[0], pop.application_rate,
                                    pop.max_loans_per_borrower, applicants)
        applicants = applicants[:k]
        if len(applicants) == 0:
            return applicants, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        lender = self.lender_of(u[1][applicants])
        noise = np.sqrt(2.0) * _erfinv(2.0 * u[2][applicants] - 1.0)  # a standard normal from the uniform
        observed = self.seen_score(applicants) + noise * self.score_noise[lender]
        approved = self.approve(lender, observed)
        atp = self.cfg.regulation.ability_to_pay_from
        if atp is not None and month >= atp:
            approved &= t.employed[applicants]  # no earnings, no ability to pay
        rows = self.lend(applicants[approved], lender[approved], observed[approved], rng)
        return applicants, applicants[approved], rows

    def lend(self, owner, lender, observed, rng, months_on_book=None) -> np.ndarray:
        """New loans: size from the household's income and the lender's limit multiple, price from the
        observed score, goodwill and due day drawn, a record error at the lender's rate, an arm."""
        t = self.households
        spread = np.exp(0.3 * rng.standard_normal(len(owner)) - 0.045)  # log-normal, mean 1
        size = self.terms.limit_income_multiple[lender] * t.income_base[owner] * spread
        apr = np.empty(len(owner))
        for lend in self.lenders:
            mine = lender == lend.index
            apr[mine] = lend.price(observed[mine])
        goodwill = np.clip(0.2 + 0.2 * rng.standard_normal(len(owner)), -1, 1)
        due_day = rng.integers(1, 29, len(owner))
        rows = self.book.originate(owner, lender, size, apr, self.terms, goodwill, observed.astype(np.float32),
                                   due_day, months_on_book)
        self.book.record_error[rows] = rng.random(len(rows)) < self.record_error_rate[lender]
        self.assign_arms(rows)
        return rows

    def assign_arms(self, rows: np.ndarray) -> None:
        """Split each lender's new accounts at random between its champion and challengers, by a hash of
        the loan id and the seed (so the split draws nothing from the model's streams)."""
        book = self.book
        for lender in self.lenders:
            if len(lender.strategies) == 1:
                continue
            mine = rows[book.lender[rows] == lender.index]
            u = _uniform_hash(book.loan_id[mine], self.seed)
            book.arm[mine] = np.searchsorted(np.cumsum(lender.arm_shares)[:-1], u, side="right")

    def prepay(self, rng: np.random.Generator) -> np.ndarray:
        """Current loans are repaid early (refinanced) with a monthly probability; returns the balances
        repaid by outcome group."""
        book = self.book
        current = book.rows_with_status(Status.CURRENT)
        rows = current[rng.random(len(current), dtype=np.float32) < self.cfg.behaviour.prepayment_rate]
        amount = book.prepay(rows)
        return self.by_group(rows, amount)

    def by_group(self, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Sum of ``weights`` over loan ``rows`` by outcome group."""
        group = self.group_offset[self.book.lender[rows]] + self.book.arm[rows]
        return np.bincount(group, weights=weights, minlength=self.n_groups).astype(float)


def _uniform_hash(ids: np.ndarray, seed: int) -> np.ndarray:
    """Uniforms in [0, 1) from a splitmix64 hash of ``ids`` and ``seed``."""
    with np.errstate(over="ignore"):
        z = ids.astype(np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _erfinv(x: np.ndarray) -> np.ndarray:
    from scipy.special import erfinv

    return erfinv(np.clip(x, -0.999999, 0.999999))
