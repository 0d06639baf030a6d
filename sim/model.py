"""The collection model: construction from a scenario, the order of one month, and data collection.

One month, in order (``CollectionModel.step``):

1. The economy moves (unemployment path); support programmes switch on or off.
2. Households earn, lose or find jobs, and meet expense shocks.
3. Lenders originate loans to applicants who pass underwriting; early repayments close loans; interest
   accrues; each lender's strategy plans treatments for its accounts in collection, rationed by
   collector capacity; agencies and the debt buyer plan theirs.
4. The contact calendar runs day by day under the regulation regime: call attempts, right-party
   conversations, promises, visits, offers accepted, lawsuits filed, placements and sales.
5. Households decide what to pay and split a short budget across lenders.
6. Accounting: the contractual schedule, the payment waterfall, arrears, days past due, late fees,
   cures, charge-offs, judgments and garnishment.
7. Households update stress and well-being and complain.
8. Lenders book costs and fees.
9. Data collection (recorded months only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np

from sim.borrowers import (
    LOW_WELLBEING,
    Borrower,
    BorrowerTable,
    draw_labour,
    labour_and_shocks,
    payment_budget,
    settle_month,
    split_budget,
    update_stress_and_wellbeing,
)
from sim.complaints import Category, Channel, ComplaintInputs, draw_complaints
from sim.config import Scenario, load_scenario
from sim.economy import labour_hazards, levers_at, unemployment_path
from sim.lenders import CollectionAgency, DebtBuyer, Lender
from sim.loans import LoanBook, ProductTerms, Status, observe
from sim.metrics import MonthlyRecorder, Tracer
from sim.regulation import REGIMES, Rule, run_calendar
from sim.tactics import Collector, Offer, Tactic, Treatment

STREAMS = ("population", "economy", "labour", "shocks", "origination", "behaviour", "contacts",
           "complaints", "lenders", "prepayment", "trace")


def spawn_streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per source of randomness, each fixed by the seed and its name, so that
    adding a strategy or a draw elsewhere never changes the shocks households meet."""
    return {
        name: np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
        for i, name in enumerate(STREAMS)
    }


class CollectionModel(mesa.Model):
    """Households, lenders, agencies, a debt buyer and a regulator in a monthly collection economy.

    Args:
        scenario: a built-in scenario name, a path to a TOML file, a dict, or a validated Scenario.
        rng: the master seed (an int); defaults to the scenario's ``seed``. ``mesa.batch_run`` passes it.
        keep_contact_log: keep each month's day-by-day call calendar in ``contact_log``.
        trace: households whose month-by-month story is recorded: a list of rows, or a number to draw
            evenly across income quintiles.
        **overrides: dotted paths into the scenario, e.g. ``**{"population.n_borrowers": 5000}``, or the
            shortcuts ``strategy``, ``n_borrowers`` and ``horizon``.

    Raises:
        ScenarioError: the scenario or an override is invalid (the message names the field).
    """

    def __init__(self, scenario: str | Path | Scenario | dict = "baseline", *, rng: int | None = None,
                 keep_contact_log: bool = False, trace: int | list[int] | None = None,
                 **overrides: Any) -> None:
        cfg = load_scenario(scenario, **overrides)
        seed = int(cfg.seed if rng is None else rng)
        super().__init__(rng=seed)
        self.cfg = cfg
        self.seed = seed
        self.streams = spawn_streams(seed)
        self.keep_contact_log = keep_contact_log
        self.contact_log: list[dict[str, np.ndarray]] = []
        burn_in, horizon = cfg.burn_in_months, cfg.horizon_months
        self.month = -burn_in  # the month about to be simulated; 0 is the first recorded month
        self.unemployment = unemployment_path(cfg.economy, burn_in + horizon + 1, self.streams["economy"],
                                              first_month=-burn_in)
        self.regime = REGIMES[cfg.regulation.regime]
        self.reference_regime = REGIMES[cfg.regulation.reference_regime]

        # households: columns owned by the model, one Mesa agent per row as a view
        self.borrowers = BorrowerTable.sample(cfg.population, cfg.economy, float(self.unemployment[0]),
                                              self.streams["population"])
        self.borrowers.scale_misunderstanding(cfg.behaviour.misunderstanding_mean)
        self.first_borrower_id = self.agent_id_counter
        for row in range(cfg.population.n_borrowers):
            Borrower(self, row)
        rel = np.asarray(cfg.economy.separation_by_quintile)[self.borrowers.quintile]
        self._separation_weights = rel / rel.mean()

        # lenders and the collectors that work for them
        self.lenders = [Lender(self, i, lc) for i, lc in enumerate(cfg.lenders)]
        self.agency = CollectionAgency(self, cfg.tactics.agency_fee, cfg.tactics.agency_calls)
        self.buyer = DebtBuyer(self, cfg.tactics.sale_price, max(cfg.tactics.agency_calls // 2, 1))
        self.terms = ProductTerms(
            is_card=np.array([lc.product.kind == "card" for lc in cfg.lenders]),
            apr=np.array([lc.product.apr for lc in cfg.lenders]),
            apr_risk_spread=np.array([lc.product.apr_risk_spread for lc in cfg.lenders]),
            min_payment_share=np.array([lc.product.min_payment_share for lc in cfg.lenders]),
            min_payment_floor=np.array([lc.product.min_payment_floor for lc in cfg.lenders]),
            term=np.array([lc.product.term_months for lc in cfg.lenders], dtype=np.int16),
            late_fee=np.array([lc.product.late_fee for lc in cfg.lenders]),
            chargeoff_days=np.array([lc.product.chargeoff_days for lc in cfg.lenders], dtype=np.int16),
            limit_income_multiple=np.array([lc.product.limit_income_multiple for lc in cfg.lenders]),
        )
        shares = np.array([lc.market_share for lc in cfg.lenders], dtype=float)
        self._share_cum = np.cumsum(shares / shares.sum())
        n_loans = int(cfg.population.n_borrowers * (cfg.population.initial_loans_per_borrower + 0.2)) + 16
        self.book = LoanBook(len(self.lenders), capacity=n_loans)
        self.book.plan_payment_share = cfg.tactics.plan_payment_share
        self._seed_initial_book()
        self.recorder = MonthlyRecorder(self)
        self.tracer = Tracer(self, trace) if trace is not None else None
        self.running = True

    # ---------------------------------------------------------------------------------------------
    # construction helpers
    # ---------------------------------------------------------------------------------------------
    def _lender_of(self, u: np.ndarray) -> np.ndarray:
        return np.minimum(np.searchsorted(self._share_cum, u, side="right"), len(self.lenders) - 1)

    def _seed_initial_book(self) -> None:
        """Give households the loans they hold at the start, of random age; burn-in settles the rest."""
        rng = self.streams["origination"]
        pop = self.cfg.population
        t = self.borrowers
        count = np.minimum(rng.poisson(pop.initial_loans_per_borrower, t.n), pop.max_loans_per_borrower)
        owner = np.repeat(np.arange(t.n), count)
        if len(owner) == 0:
            return
        lender = self._lender_of(rng.random(len(owner)))
        observed = t.risk_score[owner] + rng.normal(0, 1, len(owner)) * self._score_noise(lender)
        approved = np.ones(len(owner), dtype=bool)
        for lend in self.lenders:
            mine = lender == lend.index
            approved[mine] = lend.approves(observed[mine])
        owner, lender, observed = owner[approved], lender[approved], observed[approved]
        age = rng.integers(0, 24, len(owner))
        self._originate_rows(owner, lender, observed, rng, months_on_book=age)

    def _score_noise(self, lender: np.ndarray) -> np.ndarray:
        return np.array([lc.score_noise for lc in self.cfg.lenders])[lender]

    def _originate_rows(self, owner, lender, observed, rng, months_on_book=None) -> np.ndarray:
        t = self.borrowers
        size = self.terms.limit_income_multiple[lender] * t.income_base[owner] * np.exp(0.3 * rng.standard_normal(len(owner)) - 0.045)
        apr = np.empty(len(owner))
        for lend in self.lenders:
            mine = lender == lend.index
            apr[mine] = lend.price(observed[mine])
        goodwill = np.clip(0.2 + 0.2 * rng.standard_normal(len(owner)), -1, 1)
        due_day = rng.integers(1, 29, len(owner))
        return self.book.originate(owner, lender, size, apr, self.terms, goodwill, observed.astype(np.float32),
                                   due_day, months_on_book)

    # ---------------------------------------------------------------------------------------------
    # the month
    # ---------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one month in the order given in the module docstring."""
        cfg = self.cfg
        t, book = self.borrowers, self.book
        m = self.month
        idx = m + cfg.burn_in_months

        # 1. economy and levers
        levers = levers_at(cfg.economy, m)
        u_now = 1.0 - float(t.employed.mean()) if t.n else 0.0
        finding_weights = cfg.economy.duration_dependence ** np.minimum(t.months_unemployed, 24)
        outflow_share = float(finding_weights[~t.employed].mean()) if u_now > 0 else 1.0
        hazards = labour_hazards(cfg.economy, u_now, float(self.unemployment[idx + 1]), outflow_share)

        # 2. jobs, income and shocks (fixed-size draws: common random numbers across strategies)
        draws = draw_labour(self.streams["labour"], self.streams["shocks"], t.n)
        lost_job = labour_and_shocks(t, cfg.economy, hazards.separation, hazards.finding, levers.income_support,
                                     draws, self._separation_weights, finding_weights)

        # 3. originations, early repayment, interest, plans
        originated = self._originate()
        prepaid = self._prepay()
        owner = book.view("borrower")
        status = book.view("status")
        on_book = book.on_book()
        forborne = np.zeros(book.n, dtype=bool)
        if levers.forbearance:
            forborne = on_book & (~t.employed[owner] if levers.forbearance_unemployed_only else True)
        interest = book.accrue_interest(forborne, levers.forbearance_interest_accrues)
        accounts_on_book = np.bincount(book.view("lender")[on_book], minlength=len(self.lenders))
        rows, treat, who = self._plan_treatments(accounts_on_book)

        # 4. the contact calendar and its consequences
        contacts = self._run_contacts(rows, treat, who)

        # 5-6. the schedule, what households pay, and the accounting
        book.schedule(interest, self.terms, forborne)
        decision = self._decide_payments(contacts, lost_job)
        events = book.apply_payments(decision["paid"], self.terms, forborne)
        self._litigation_clock()
        book.refresh_status()
        paid_by_household = np.bincount(owner, weights=events["paid"], minlength=t.n)
        settle_month(t, paid_by_household, cfg.population)

        # 7. stress, well-being, complaints
        status = book.view("status")
        in_30 = (book.view("dpd") >= 30) & book.on_book()
        any_30 = np.bincount(owner[in_30], minlength=t.n) > 0
        update_stress_and_wellbeing(t, cfg.behaviour, contacts["stress_by_household"], any_30, lost_job)
        complaints = self._complaints(contacts)

        # 8. lenders book fees; collectors are paid
        agency_fee = self._agency_fees(events["paid"])
        book.view("contacts_last")[:] = 0
        book.view("rpc_last")[:] = 0
        if len(rows):
            book.contacts_last[rows] = np.minimum(contacts["attempts"] + contacts["visits"], 32000)
            book.rpc_last[rows] = contacts["conversations"]

        # 9. data collection
        if m >= 0:
            self.recorder.record(m, events=events, contacts=contacts, complaints=complaints, agency_fee=agency_fee,
                                 originated=originated, prepaid=prepaid, unemployment=u_now,
                                 any_30plus=any_30)
            if self.tracer is not None:
                self.tracer.record(m, decision=decision, events=events, contacts=contacts, complaints=complaints)
        if m % 12 == 11:
            self._compact()
        self.recorder.snapshot()
        self.month += 1
        if self.month >= cfg.horizon_months:
            self.running = False

    def run(self) -> CollectionModel:
        """Run burn-in and every recorded month."""
        while self.running:
            self.step()
        return self

    # ---------------------------------------------------------------------------------------------
    # step pieces
    # ---------------------------------------------------------------------------------------------
    def _originate(self) -> np.ndarray:
        """Households apply with a fixed monthly probability; lenders approve those whose observed score
        clears the cutoff. Returns the amount originated by lender."""
        rng = self.streams["origination"]
        t, book = self.borrowers, self.book
        u = rng.random((3, t.n), dtype=np.float32)  # apply?, which lender, observation noise
        pop = self.cfg.population
        open_loans = np.bincount(book.view("borrower")[book.on_book()], minlength=t.n)
        applicants = np.flatnonzero((u[0] < pop.application_rate) & (open_loans < pop.max_loans_per_borrower))
        amounts = np.zeros(len(self.lenders))
        if len(applicants) == 0:
            return amounts
        lender = self._lender_of(u[1][applicants])
        noise = np.sqrt(2.0) * _erfinv(2.0 * u[2][applicants] - 1.0)  # a standard normal from the uniform
        observed = t.risk_score[applicants] + noise * self._score_noise(lender)
        approved = np.zeros(len(applicants), dtype=bool)
        for lend in self.lenders:
            mine = lender == lend.index
            approved[mine] = lend.approves(observed[mine])
        rows = self._originate_rows(applicants[approved], lender[approved], observed[approved], rng)
        return np.bincount(book.lender[rows], weights=book.principal_lent[rows], minlength=len(self.lenders))

    def _prepay(self) -> np.ndarray:
        """Current loans are repaid early (refinanced) with a monthly probability."""
        book = self.book
        status = book.view("status")
        rng = self.streams["prepayment"]
        rate = self.cfg.behaviour.prepayment_rate
        current = np.flatnonzero(status == Status.CURRENT)
        rows = current[rng.random(len(current), dtype=np.float32) < rate]
        amount = book.prepay(rows)
        return np.bincount(book.lender[rows], weights=amount, minlength=len(self.lenders))

    def _plan_treatments(self, accounts_on_book: np.ndarray) -> tuple[np.ndarray, Treatment, np.ndarray]:
        """Every lender's strategy plans its accounts; agencies and the buyer plan theirs.

        Returns the loan rows, the combined treatment, and who collects each row (a Collector)."""
        book = self.book
        parts_rows, parts_t, parts_who = [], [], []
        rng = self.streams["lenders"]
        for lender in self.lenders:
            obs = observe(book, lender.index, self.month)
            t = lender.plan(obs, self.cfg.tactics, int(accounts_on_book[lender.index]), rng)
            # accounts with an agency are worked by the agency, not by the lender's collectors
            placed = obs.collector == Collector.AGENCY
            t.calls[placed] = 0
            t.night_calls[placed] = 0
            t.visits[placed] = 0
            t.place[placed] = False
            parts_rows.append(obs.rows)
            parts_t.append(t)
            parts_who.append(np.full(len(obs), Collector.LENDER, dtype=np.int8))
        # agency-placed accounts and claims sold to the buyer
        collector = book.view("collector")
        collecting = book.collecting()
        placed_rows = np.flatnonzero(collecting & (collector == Collector.AGENCY))
        sold_rows = np.flatnonzero(collecting & (collector == Collector.BUYER))
        # placed rows already appear in the lenders' observations (with their other requests); the
        # agency adds its calls to those rows
        rows = np.concatenate(parts_rows) if parts_rows else np.zeros(0, dtype=np.int64)
        treat = _concat(parts_t)
        who = np.concatenate(parts_who) if parts_who else np.zeros(0, dtype=np.int8)
        order = np.argsort(rows, kind="stable")
        rows, treat, who = rows[order], treat.subset(order), who[order]
        pos = np.searchsorted(rows, placed_rows)
        if len(rows):
            found = (pos < len(rows)) & (rows[np.minimum(pos, len(rows) - 1)] == placed_rows)
            treat.calls[pos[found]] += self.agency.calls_per_month
            who[pos[found]] = Collector.AGENCY
        buyer_t = Treatment.empty(len(sold_rows))
        buyer_t.calls[:] = self.buyer.calls_per_month
        rows = np.concatenate([rows, sold_rows])
        treat = _concat([treat, buyer_t])
        who = np.concatenate([who, np.full(len(sold_rows), Collector.BUYER, dtype=np.int8)])
        return rows, treat, who

    def _run_contacts(self, rows: np.ndarray, treat: Treatment, who: np.ndarray) -> dict[str, Any]:
        """Execute the month's contacts: the call calendar under the regime, visits, promises, offers,
        lawsuits, placements and sales; update pressure and goodwill; book costs."""
        cfg, tac = self.cfg, self.cfg.tactics
        t, book = self.borrowers, self.book
        owner = book.borrower[rows]
        n = len(rows)
        beh = self.streams["contacts"]
        reachable = t.reachable[owner]
        has_calls = (treat.calls + treat.night_calls) > 0
        attempts = np.zeros(n, dtype=np.int32)
        night = np.zeros(n, dtype=np.int32)
        conversations = np.zeros(n, dtype=np.int32)
        clipped = np.zeros(len(Rule), dtype=np.int64)
        would = np.zeros(len(Rule), dtype=np.int64)
        if has_calls.any():
            sub = np.flatnonzero(has_calls)
            p_answer = tac.call_answer_rate * reachable[sub]
            cal = run_calendar(treat.calls[sub], treat.night_calls[sub], who[sub] != Collector.LENDER, p_answer, beh,
                               self.regime, self.reference_regime, keep_daily=self.keep_contact_log)
            attempts[sub], night[sub], conversations[sub] = cal.attempts, cal.night_attempts, cal.conversations
            clipped, would = cal.clipped, cal.would_clip
            if self.keep_contact_log:
                self.contact_log.append({"month": self.month, "rows": rows[sub], "who": who[sub],
                                         "loan_lender": book.lender[rows[sub]], "daily": cal.daily})
        visits = treat.visits.astype(np.int32) if self.regime.visits_allowed else np.zeros(n, dtype=np.int32)
        u = beh.random((n, 4), dtype=np.float32)
        visit_talk = (visits > 0) & (u[:, 0] < 0.5)
        talked = (conversations > 0) | visit_talk
        reminded = (treat.reminders > 0) & reachable
        willing = t.willingness[owner]
        promise = talked & (u[:, 1] < tac.promise_rate * willing)
        # offers made in a conversation; accepted more often by willing households
        offered = talked & (treat.offer != Offer.NONE) & book.on_book()[rows] if n else np.zeros(0, bool)
        accepted = offered & (u[:, 2] < 0.45 + 0.45 * willing) & book.can_reage(rows, self.month)
        plan_rows = rows[accepted & (treat.offer == Offer.PLAN)]
        defer_rows = rows[accepted & (treat.offer == Offer.DEFERRAL)]
        book.plan_left[plan_rows] = tac.plan_months
        book.deferral_left[defer_rows] = tac.deferral_months
        book.reage(np.concatenate([plan_rows, defer_rows]), self.month)
        # lawsuits, placements, sales
        status = book.status[rows]
        can_sue = treat.sue & (book.litigation_age[rows] < 0) & (status < Status.SOLD)
        book.litigation_age[rows[can_sue]] = 0
        place = treat.place & (book.collector[rows] == Collector.LENDER) & (status < Status.SOLD)
        book.collector[rows[place]] = Collector.AGENCY
        sell = treat.sell & (status < Status.SOLD)
        proceeds_by_lender = np.zeros(len(self.lenders))
        if sell.any():
            sell_rows = rows[sell]
            lender_of_sold = book.lender[sell_rows]
            face = book.claim()[sell_rows]
            proceeds = book.sell(sell_rows, self.buyer.price)
            proceeds_by_lender = np.bincount(lender_of_sold, weights=proceeds, minlength=len(self.lenders))
            self.buyer.face_bought += float(face.sum())
            self.buyer.paid += float(proceeds.sum())
            for lender in self.lenders:
                lender.sale_proceeds += float(proceeds_by_lender[lender.index])
        threatened = treat.threaten & talked
        # pressure and goodwill of the loan relationship
        uses = {
            Tactic.REMINDER: reminded.astype(np.int32),
            Tactic.CALL: attempts + night,
            Tactic.VISIT: visits,
            Tactic.LAWSUIT: can_sue.astype(np.int32),
            Tactic.PLAN: offered.astype(np.int32),
            Tactic.PLACEMENT: place.astype(np.int32),
            Tactic.THREAT: threatened.astype(np.int32),
        }
        pressure_add = np.zeros(n)
        goodwill_add = np.zeros(n)
        stress_add = np.zeros(n)
        for tactic, count in uses.items():
            p = getattr(tac, tactic.key)
            pressure_add += count * p.pressure
            goodwill_add += count * p.goodwill
            stress_add += count * p.stress
        goodwill_add += accepted * tac.plan.goodwill
        collector_pressure = np.where(who == Collector.BUYER, tac.buyer_pressure, 0.0)
        legal = (book.litigation_age[rows] >= 0) | book.judgment[rows]
        pressure = book.view("pressure")
        pressure *= np.float32(0.5)
        pressure[rows] = np.minimum(1.0, pressure[rows] + pressure_add + collector_pressure + 0.3 * legal)
        goodwill = book.view("goodwill")
        goodwill[rows] = np.clip(goodwill[rows] + goodwill_add, -1.0, 1.0)
        book.promise[:] = False
        book.promise[rows] = promise
        # costs of the lender's own collection (agency and buyer costs are theirs)
        own = who == Collector.LENDER
        lender_of_row = book.lender[rows]
        visit_cost = tac.visit.cost * self.regime.collectors_per_visit
        for lender in self.lenders:
            mine = own & (lender_of_row == lender.index)
            lender.costs[Tactic.REMINDER] += tac.reminder.cost * float(uses[Tactic.REMINDER][lender_of_row == lender.index].sum())
            lender.costs[Tactic.CALL] += tac.call.cost * float(uses[Tactic.CALL][mine].sum())
            lender.costs[Tactic.VISIT] += visit_cost * float(visits[mine].sum())
            lender.costs[Tactic.LAWSUIT] += tac.lawsuit.cost * float(can_sue[lender_of_row == lender.index].sum())
            lender.costs[Tactic.PLAN] += tac.plan.cost * float(offered[mine].sum())
            lender.costs[Tactic.PLACEMENT] += tac.placement.cost * float(place[mine].sum())
        # pre-due reminders to current accounts of lenders whose strategy sends them
        reminded_current = np.zeros(book.n, dtype=bool)
        current = book.view("status") == Status.CURRENT
        for lender in self.lenders:
            if lender.strategy.reminds_current:
                mine = current & (book.view("lender") == lender.index)
                reminded_current |= mine & t.reachable[book.view("borrower")]
                lender.costs[Tactic.REMINDER] += tac.reminder.cost * float(mine.sum())
        reminded_all = reminded_current
        reminded_all[rows] |= reminded
        stress_by_household = np.bincount(owner, weights=stress_add, minlength=t.n)
        contacts_by_household = np.bincount(owner, weights=attempts + night + visits, minlength=t.n)
        return {
            "rows": rows, "who": who, "owner": owner, "attempts": attempts, "night": night, "visits": visits,
            "conversations": conversations + visit_talk, "talked": talked, "promise": promise,
            "offered": offered, "accepted": accepted, "sued": can_sue, "placed": place, "sold": sell,
            "threatened": threatened, "legal": legal, "reminded": reminded_all,
            "proceeds_by_lender": proceeds_by_lender, "clipped": clipped, "would_clip": would,
            "stress_by_household": stress_by_household, "contacts_by_household": contacts_by_household,
        }

    def _decide_payments(self, contacts: dict[str, Any], lost_job: np.ndarray) -> dict[str, np.ndarray]:
        """What each household pays on each loan: intention (willingness, pressure, goodwill, promises,
        reactance), attention (restored by reminders), misreading, cash, garnishment and the split of a
        short budget across lenders."""
        cfg, beh = self.cfg, self.cfg.behaviour
        t, book = self.borrowers, self.book
        owner = book.view("borrower")
        n = book.n
        due = book.amount_due()
        rng = self.streams["behaviour"]
        u = rng.random((3, n), dtype=np.float32)
        f32 = np.float32
        excess = np.maximum(contacts["contacts_by_household"] - beh.contact_tolerance, 0.0).astype(f32)
        cycles = book.view("cycles")
        logit = (f32(beh.willingness_intercept) + f32(beh.willingness_weight) * t.willingness[owner]
                 + f32(beh.pressure_weight) * book.view("pressure") + f32(beh.goodwill_weight) * book.view("goodwill")
                 + f32(beh.delinquency_weight) * cycles + f32(beh.stress_weight) * t.stress[owner]
                 + f32(cfg.tactics.promise_boost) * book.view("promise") - f32(beh.reactance_weight) * excess[owner])
        intends = u[0] * (f32(1.0) + np.exp(-logit)) < f32(1.0)  # u < 1 / (1 + e^-logit)
        lapse = (f32(1.0) - t.attention[owner]) * np.where(contacts["reminded"], f32(1.0 - beh.reminder_attention_fix),
                                                              f32(1.0))
        forgets = u[1] < lapse
        delinquent = cycles > 0
        misreads = u[2] < t.misunderstanding[owner] * np.where(delinquent, f32(1.0), f32(0.2))
        wanted = np.where(intends & ~forgets, due, 0.0)
        wanted[misreads] *= 0.5
        # garnishment after judgment takes part of earnings above essentials, before anything else
        garnish = np.zeros(n)
        judged = np.flatnonzero(book.view("judgment") & book.collecting())
        budget = payment_budget(t)
        if len(judged):
            jowner = owner[judged]
            free_income = np.maximum(t.income[jowner] - t.essentials[jowner], 0.0)
            n_judged = np.bincount(jowner, minlength=t.n)[jowner]
            garnish[judged] = np.minimum(cfg.tactics.garnishment_share * free_income / n_judged,
                                         book.claim()[judged])
            budget = budget - np.bincount(jowner, weights=garnish[judged], minlength=t.n)
            wanted = np.maximum(wanted - garnish, 0.0)

        def weight(rows: np.ndarray) -> np.ndarray:
            return (1.0 + 2.0 * book.pressure[rows] + np.maximum(book.goodwill[rows], 0.0) + book.judgment[rows]
                    + 0.5 * (book.cycles[rows] >= 3))

        voluntary = split_budget(np.maximum(budget, 0.0), wanted, owner, weight)
        paid = voluntary + garnish
        disputed = misreads & delinquent
        book.view("disputed")[:] = disputed
        # a promise is broken when the month's payment falls short of what was due
        broken = book.view("promise") & (paid < due - 1e-9)
        book.view("broken_promises")[:] += broken
        return {"paid": paid, "intends": intends, "forgets": forgets, "disputed": disputed, "due": due,
                "garnish": garnish}

    def _litigation_clock(self) -> None:
        """Lawsuits age; at the lag a judgment is entered with the default-judgment probability or the
        case is dropped."""
        book = self.book
        age = book.view("litigation_age")
        pending = age >= 0
        age[pending] += 1
        lag = self.cfg.tactics.lawsuit_judgment_lag
        decided = np.flatnonzero(pending & (age >= lag) & ~book.view("judgment"))
        if len(decided):
            wins = self.streams["contacts"].random(len(decided)) < self.cfg.tactics.default_judgment_share
            book.judgment[decided[wins]] = True
            book.litigation_age[decided[~wins]] = -1

    def _complaints(self, contacts: dict[str, Any]) -> dict[str, np.ndarray]:
        """Draw complaints for loans in contact or in dispute this month."""
        t, book, beh = self.borrowers, self.book, self.cfg.behaviour
        rows, owner = contacts["rows"], contacts["owner"]
        disputed = book.disputed[rows]
        hh_contacts = contacts["contacts_by_household"][owner]
        own_contacts = contacts["attempts"] + contacts["night"] + contacts["visits"]
        excess = np.maximum(hh_contacts - beh.contact_tolerance, 0.0) * np.divide(
            own_contacts, hh_contacts, out=np.zeros(len(rows)), where=hh_contacts > 0)
        lit_mean = max(float(t.literacy.mean()), 1e-6)
        x = ComplaintInputs(
            disputed=disputed, excess_contacts=excess, night_calls=contacts["night"],
            threatened=contacts["threatened"], legal=contacts["legal"], visits=contacts["visits"],
            propensity=t.complaint_propensity[owner] * (0.5 + t.stress[owner]),
            literacy_ratio=t.literacy[owner] / lit_mean,
        )
        category, channel = draw_complaints(x, beh, self.streams["complaints"])
        return {"rows": rows, "category": category, "channel": channel}

    def _agency_fees(self, paid: np.ndarray) -> np.ndarray:
        """Contingency fees owed to the agency on what its placed accounts paid, by lender."""
        book = self.book
        placed = (book.view("collector") == Collector.AGENCY)
        collected = np.bincount(book.view("lender")[placed], weights=paid[placed], minlength=len(self.lenders))
        fees = collected * self.agency.fee
        self.agency.collected += float(collected.sum())
        self.agency.fees_earned += float(fees.sum())
        for lender in self.lenders:
            lender.agency_fees += float(fees[lender.index])
        sold = book.view("collector") == Collector.BUYER
        self.buyer.collected += float(paid[sold].sum())
        return fees

    def _compact(self) -> None:
        self.book.compact()

    # ---------------------------------------------------------------------------------------------
    # inspection
    # ---------------------------------------------------------------------------------------------
    @property
    def borrower_agents(self):
        return self.agents_by_type[Borrower]

    def results(self):
        """The run's monthly table and summary (a :class:`~sim.metrics.RunResult`)."""
        result = self.recorder.result()
        if self.tracer is not None:
            result.traces = self.tracer.table()
        return result


def _concat(parts: list[Treatment]) -> Treatment:
    from dataclasses import fields

    if not parts:
        return Treatment.empty(0)
    return Treatment(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Treatment)})


def _erfinv(x: np.ndarray) -> np.ndarray:
    from scipy.special import erfinv

    return erfinv(np.clip(x, -0.999999, 0.999999))


_ = (LOW_WELLBEING, Category, Channel)
