"""The collection model: construction from a scenario, the order of one month, and data collection.

One month, in order (``CollectionModel.step``):

1. The economy moves (unemployment path); support programmes and the regime in force switch on or off.
2. Households earn, lose or find jobs, and meet expense shocks.
3. Lenders originate loans to applicants who pass underwriting (with the cutoff their expected losses
   set); early repayments close loans; interest accrues; each lender's strategies (champion and
   challengers) plan treatments for their accounts in collection, rationed by collector capacity;
   agencies and the debt buyer plan theirs.
4. The contact calendar runs day by day under the regulation regime: messages, call attempts,
   right-party conversations, promises, visits, third-party and public pressure, offers accepted,
   lawsuits filed, placements and sales; collection costs are booked.
5. Households decide what to pay (intention, attention, disputes, garnishment of wages after a judgment)
   and split a short budget across lenders.
6. Accounting: the contractual schedule, the payment waterfall, arrears, days past due, late fees,
   cures, episodes, charge-offs, settlements and forgiveness; lawsuits age into judgments; lenders update
   their scores of accounts.
7. Households consume and save, update stress and well-being, and complain; complaints in public cost
   lenders reputation.
8. Agency fees are booked; lenders learn their losses (credit supply); credit records are updated;
   neighbours' behaviour is noted for next month; the regulator enforces and may fine or tighten.
9. Data collection (recorded months only); the book is compacted once a year.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from sim.borrowers import (
    LOW_WELLBEING,
    Borrower,
    BorrowerTable,
    crisis_income,
    draw_labour,
    effective_consumption,
    labour_and_shocks,
    lower_essentials,
    payment_budget,
    restore_essentials,
    settle_month,
    split_budget,
    update_stress_and_wellbeing,
)
from sim.complaints import Category, Channel, ComplaintInputs, draw_complaints
from sim.config import Scenario, ScenarioError, load_scenario
from sim.economy import (
    accommodation_at,
    anticipated_loss,
    labour_hazards,
    levers_at,
    programme_over,
    unemployment_path,
)
from sim.lenders import CollectionAgency, DebtBuyer, Lender, Regulator
from sim.loans import ON_BOOK, AccommodationMonth, LoanBook, ProductTerms, Status, collection_rows, observe
from sim.metrics import MonthlyRecorder, Tracer
from sim.network import mesa_network, row_normalised, small_world
from sim.regulation import REGIMES, Rule, clip_requests, run_calendar
from sim.tactics import Collector, Offer, Tactic, Treatment

STREAMS = ("population", "economy", "labour", "shocks", "origination", "behaviour", "contacts",
           "complaints", "lenders", "prepayment", "trace", "regulator", "network", "policy")


#: the series in Mesa's DataCollector, one value a recorded month, as columns ``month_<name>``
DATACOLLECTOR_SERIES = ("delinquency_30plus_rate", "chargeoff_rate", "cure_rate", "complaints_per_1000",
                        "wellbeing_mean", "wellbeing_low_share", "collected", "collection_cost", "unemployment_rate")
MAX_SEED = 2**63 - 1


def master_seed(rng: Any) -> int:
    """The integer master seed for ``rng`` as Mesa 3 takes it: an int (0..2**63-1) as is; an int drawn
    from a ``numpy.random.Generator`` or a ``SeedSequence``; fresh entropy for None.

    Raises:
        TypeError: ``rng`` is none of these. ScenarioError: an int out of range.
    """
    if rng is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, MAX_SEED, endpoint=True))
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, (int, np.integer)):
        raise TypeError(f"rng: expected an int seed, a numpy Generator or SeedSequence, or None; got "
                        f"{type(rng).__name__} {rng!r:.60}")
    if not 0 <= int(rng) <= MAX_SEED:
        raise ScenarioError(f"seed: must be between 0 and 2**63-1, got {int(rng)}")
    return int(rng)


def check_trace(trace: Any, n_households: int | None) -> int | list[int] | None:
    """``trace`` as the model takes it: None, a number of households, or a list of household rows.

    Raises:
        TypeError: anything else (a float, NaN, a string); ScenarioError: a negative number or a row that
            does not exist.
    """
    if trace is None:
        return None
    if isinstance(trace, (int, np.integer)) and not isinstance(trace, (bool, np.bool_)):
        if trace < 0:
            raise ScenarioError(f"trace: the number of households to trace must be at least 0, got {int(trace)}")
        return int(trace)
    if isinstance(trace, (list, tuple, np.ndarray)):
        rows = np.asarray(trace)
        if rows.ndim != 1 or (rows.size and (rows.dtype.kind not in "iu")):
            raise TypeError(f"trace: expected a list of household rows (integers), got {str(trace)[:60]}")
        bad = rows[(rows < 0) | (rows >= (n_households if n_households is not None else np.inf))]
        if len(bad):
            raise ScenarioError(f"trace: household {int(bad[0])} does not exist (there are {n_households:,})")
        return [int(r) for r in rows]
    raise TypeError(f"trace: expected None, a number of households or a list of household rows, got "
                    f"{type(trace).__name__} {trace!r:.60}")


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
        rng: the master seed, as Mesa 3 takes it: an int in 0..2**63-1, a ``numpy.random.Generator`` or a
            ``numpy.random.SeedSequence`` (an int master seed is drawn from either), or None for fresh
            entropy, as in Mesa, unless ``seed`` is given among the overrides. ``mesa.batch_run`` passes it.
            The seed used is ``model.seed`` (and the DataCollector's ``seed`` column): ``rng=model.seed``
            reproduces the run.
        keep_contact_log: keep each month's day-by-day call calendar in ``contact_log``.
        trace: households whose month-by-month story is recorded: a list of rows, or a number to draw
            evenly across income quintiles.
        **overrides: dotted paths into the scenario, e.g. ``**{"population.n_borrowers": 5000}``, or the
            shortcuts ``strategy``, ``n_borrowers`` and ``horizon``.

    Raises:
        ScenarioError: the scenario or an override is invalid (the message names the field), or the run
            would need more memory than the machine has.
        TypeError: ``rng`` is not a seed (see above); the message names it.
    """

    def __init__(self, scenario: str | Path | Scenario | dict = "baseline", *,
                 rng: int | np.random.Generator | np.random.SeedSequence | None = None,
                 keep_contact_log: bool = False, trace: int | list[int] | None = None,
                 **overrides: Any) -> None:
        cfg = load_scenario(scenario, **overrides)
        seed = cfg.seed if rng is None and "seed" in overrides else master_seed(rng)
        trace = check_trace(trace, None if cfg.portfolio else cfg.population.n_borrowers)
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
        self.portfolio, self.portfolio_report = None, None  # set when the scenario names a portfolio file
        if cfg.portfolio is not None:
            self._portfolio_households(scenario)
        else:
            self.borrowers = BorrowerTable.sample(cfg.population, cfg.economy, float(self.unemployment[0]),
                                                  self.streams["population"])
        self.borrowers.scale_misunderstanding(cfg.behaviour.misunderstanding_mean)
        self.first_borrower_id = self.agent_id_counter
        for row in range(cfg.population.n_borrowers):
            Borrower(self, row)
        # the social network: a sparse matrix for neighbour effects, and a Mesa Network space
        self.adjacency = small_world(cfg.population.n_borrowers, cfg.network.degree, cfg.network.rewire,
                                     self.streams["network"])
        self.peers = row_normalised(self.adjacency)
        self._network = None
        if cfg.population.n_borrowers <= cfg.network.mesa_limit:
            _ = self.network
        n = cfg.population.n_borrowers
        self._peer_state = {"delinquent": np.zeros(n, np.float32), "legal": np.zeros(n, np.float32)}
        rel = np.asarray(cfg.economy.separation_by_quintile)[self.borrowers.quintile]
        self._separation_weights = rel / rel.mean()

        # lenders and the collectors that work for them
        self.lenders = [Lender(self, i, lc) for i, lc in enumerate(cfg.lenders)]
        # outcome groups: every arm (champion, challengers) of every lender
        self.groups = [(lender.index, arm, name)
                       for lender in self.lenders for arm, name in enumerate(lender.arm_names)]
        self.group_offset = np.cumsum([0] + [len(lender.strategies) for lender in self.lenders])[:-1]
        self.group_lender = np.array([lender_index for lender_index, _, _ in self.groups])
        self._group_lender = self.group_lender.tolist()
        self._observed_ids: dict[int, np.ndarray] = {}  # loan ids each lender observed last month
        self._tactic_params = {tactic: getattr(cfg.tactics, tactic.key) for tactic in Tactic
                               if hasattr(cfg.tactics, tactic.key)}
        self.group_costs = np.zeros((len(self.groups), len(Tactic)))
        self.group_fines = np.zeros(len(self.groups))
        self.reputation = np.zeros(len(self.lenders))  # -1..1, falls with public complaints
        # each lender's running share of threatened accounts that it sued: how credible its threats are
        self.suit_share = np.zeros(len(self.lenders))
        self.agency = CollectionAgency(self, cfg.tactics.agency_fee, cfg.tactics.agency_calls)
        self.regulator = Regulator(self, cfg.regulation)
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
        self._accommodating = any(lc.accommodation for lc in cfg.lenders)
        self._anticipating = any(lc.anticipation for lc in cfg.lenders)
        self.recorder = MonthlyRecorder(self)
        # Mesa's DataCollector holds the headline series too (mesa.batch_run reads it): each column is the
        # value of the month just recorded, named ``month_<outcome>`` so that it is never mistaken for
        # run_scenario's ``<outcome>`` (the run summary); ``seed`` reproduces the run (rng=seed)
        self.datacollector = mesa.DataCollector(model_reporters={
            "seed": lambda model: model.seed, "month": lambda model: model.month,
            **{f"month_{name}": _latest(self.recorder, name) for name in DATACOLLECTOR_SERIES}})
        self.tracer = Tracer(self, trace) if trace is not None else None
        #: set ``keep_truth = True`` to keep each month's hidden reasons for not paying in ``truth`` (a
        #: :class:`HiddenTruth`), against which experiments score what strategies infer; strategies never see it
        self.keep_truth = False
        self.truth: HiddenTruth | None = None
        self.running = True

    # ---------------------------------------------------------------------------------------------
    # construction helpers
    # ---------------------------------------------------------------------------------------------
    def _lender_of(self, u: np.ndarray) -> np.ndarray:
        return np.minimum(np.searchsorted(self._share_cum, u, side="right"), len(self.lenders) - 1)

    def _portfolio_households(self, scenario: Any) -> None:
        """Households from the scenario's portfolio file: one per borrower_id (else per account), with
        the file's incomes and scores where known and the documented fill distributions elsewhere."""
        from sim.portfolio import build_households, load_portfolio, portfolio_path

        cfg = self.cfg
        self.portfolio = load_portfolio(portfolio_path(cfg.portfolio, scenario), name=cfg.portfolio)
        self.borrowers, self._portfolio_household, self.portfolio_report = build_households(
            self.portfolio, cfg.population, cfg.economy, float(self.unemployment[0]), self.streams["population"])
        cfg.population.n_borrowers = self.borrowers.n

    def _seed_initial_book(self) -> None:
        """Give households the loans they hold at the start, of random age; burn-in settles the rest.
        With a portfolio file, the starting book is the file's accounts."""
        if self.portfolio is not None:
            from sim.portfolio import seed_book

            book_report = seed_book(self, self.portfolio, self._portfolio_household)
            self.portfolio_report["filled"].update(book_report.pop("filled"))
            self.portfolio_report.update(book_report)
            return
        rng = self.streams["origination"]
        pop = self.cfg.population
        t = self.borrowers
        count = np.minimum(rng.poisson(pop.initial_loans_per_borrower, t.n), pop.max_loans_per_borrower)
        owner = np.repeat(np.arange(t.n), count)
        if len(owner) == 0:
            return
        lender = self._lender_of(rng.random(len(owner)))
        observed = self._seen_score(owner) + rng.normal(0, 1, len(owner)) * self._score_noise(lender)
        approved = np.ones(len(owner), dtype=bool)
        for lend in self.lenders:
            mine = lender == lend.index
            approved[mine] = lend.approves(observed[mine])
        owner, lender, observed = owner[approved], lender[approved], observed[approved]
        age = rng.integers(0, np.maximum(np.minimum(24, self.terms.term[lender]), 1))  # not yet matured
        self._originate_rows(owner, lender, observed, rng, months_on_book=age)

    def _seen_score(self, households: np.ndarray) -> np.ndarray:
        """Creditworthiness as the credit record shows it (before the lender's own noise)."""
        t = self.borrowers
        return t.risk_score[households] - self.cfg.economy.credit_record_weight * t.derogatory[households]

    def _report_credit(self, events: dict[str, np.ndarray], paused: bool, shielded: np.ndarray | None = None) -> None:
        """Adverse marks: one when a loan reaches 60 days past due, two at charge-off; they fade. Nothing is
        reported while a reporting pause is on, nor for loans ``shielded`` by an accommodation programme that
        reports its accounts as current."""
        t, owner = self.borrowers, self.book.view("borrower")
        t.derogatory *= np.float32(self.cfg.economy.credit_record_memory)
        if paused:
            return
        marks = events["rolled_60"].astype(np.float32) + 2.0 * events["chargeoff"]
        if shielded is not None:
            marks[shielded] = 0.0
        hit = np.flatnonzero(marks)
        if len(hit):
            t.derogatory += np.bincount(owner[hit], weights=marks[hit], minlength=t.n).astype(np.float32)

    def _accommodate(self, month: int) -> AccommodationMonth | None:
        """Lenders' accommodation programmes (``lenders.N.accommodation``, ODD 7.9): while enrolment is open,
        households that ask (one draw per household and lender from the ``policy`` stream, so the draws do
        not depend on the strategy) enrol their current or delinquent accounts with the lender; enrolled
        accounts skip ``pause_months`` payments, then pay in full, or a rising share during the phase-out; a
        programme's end clears its enrolments. Returns None when no programme is in force."""
        book, t = self.book, self.borrowers
        for lend in self.lenders:
            if programme_over(lend.cfg, month):
                book.end_accommodation(lend.index)
        in_force = [accommodation_at(lend.cfg, month) for lend in self.lenders]
        if not any(in_force):
            return None
        n = book.n
        lender, status = book.view("lender"), book.view("status")
        accommodated, left = book.view("accommodated"), book.view("accommodation_left")
        on_book = book.on_book()
        paused, interest_free = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        waived, shielded = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        share = np.ones(n)
        rng = self.streams["policy"]
        for lend, state in zip(self.lenders, in_force, strict=True):
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

    def _learn_losses(self, events: dict[str, np.ndarray], contacts: dict[str, Any]) -> None:
        """Each lender updates its expected loss rate from this month's annualised net charge-offs; its
        approval cutoff and pricing follow (credit supply responds to expected losses)."""
        book = self.book
        lender = book.view("lender")
        k = len(self.lenders)
        balance = np.bincount(lender, weights=np.where(book.on_book(), book.claim(), 0.0), minlength=k)
        net = (np.bincount(lender, weights=events["gross_chargeoff"] - events["paid_on_charged_off"], minlength=k)
               + np.bincount(self.group_lender, weights=contacts["sale_loss_by_group"]
                             - contacts["proceeds_co_by_group"], minlength=k))
        for lend in self.lenders:
            rate = 12.0 * net[lend.index] / balance[lend.index] if balance[lend.index] > 0 else 0.0
            lend.learn_losses(rate)

    def _score_noise(self, lender: np.ndarray) -> np.ndarray:
        return np.array([lc.score_noise for lc in self.cfg.lenders])[lender]

    def _originate_rows(self, owner, lender, observed, rng, months_on_book=None) -> np.ndarray:
        t = self.borrowers
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
        error_rate = np.array([lc.record_error_rate for lc in self.cfg.lenders])[lender]
        self.book.record_error[rows] = rng.random(len(rows)) < error_rate
        self._assign_arms(rows)
        return rows

    def _assign_arms(self, rows: np.ndarray) -> None:
        """Split each lender's new accounts at random between its champion and challengers, by a hash of
        the loan id and the seed (so the split draws nothing from the model's streams)."""
        book = self.book
        for lender in self.lenders:
            if len(lender.strategies) == 1:
                continue
            mine = rows[book.lender[rows] == lender.index]
            u = _uniform_hash(book.loan_id[mine], self.seed)
            book.arm[mine] = np.searchsorted(np.cumsum(lender.arm_shares)[:-1], u, side="right")

    # ---------------------------------------------------------------------------------------------
    # the month
    # ---------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one month in the order given in the module docstring."""
        cfg = self.cfg
        t, book = self.borrowers, self.book
        m = self.month
        idx = m + cfg.burn_in_months

        # 1. economy, levers and the regime in force
        levers = levers_at(cfg.economy, m)
        self._update_regime(m)
        u_now = 1.0 - float(t.employed.mean()) if t.n else 0.0
        finding_weights = cfg.economy.duration_dependence ** np.minimum(t.months_unemployed, 24)
        outflow_share = float(finding_weights[~t.employed].mean()) if u_now > 0 else 1.0
        hazards = labour_hazards(cfg.economy, u_now, float(self.unemployment[idx + 1]), outflow_share)
        if self._anticipating:  # lenders tighten on the published unemployment rate, ahead of losses
            for lend in self.lenders:
                lend.anticipated_loss = anticipated_loss(lend.cfg.anticipation, m, self.unemployment, idx)

        # 2. jobs, income and shocks (fixed-size draws: common random numbers across strategies)
        draws = draw_labour(self.streams["labour"], self.streams["shocks"], t.n)
        # relative job-loss risks are rescaled over the employed, so the mean separation hits the path
        employed_mean = float(self._separation_weights[t.employed].mean()) if t.employed.any() else 1.0
        lost_job = labour_and_shocks(t, cfg.economy, hazards.separation, hazards.finding, levers.income_support,
                                     draws, self._separation_weights / employed_mean, finding_weights)
        # crisis levers on households: stimulus payments and unemployment programmes add income; a pause on
        # other debts or a lockdown lowers this month's essential spending until the month is settled
        if levers.household_income_levers:
            t.income += crisis_income(t, levers, self.seed)
        spending = lower_essentials(t, levers, self.seed) if levers.spending_levers else None

        # 3. originations, early repayment, interest, plans
        originated = self._originate()
        prepaid = self._prepay()
        owner = book.view("borrower")
        on_book = book.on_book()
        accommodation = self._accommodate(m) if self._accommodating else None
        forborne = np.zeros(book.n, dtype=bool)
        if levers.forbearance:
            forborne = on_book & (~t.employed[owner] if levers.forbearance_unemployed_only else True)
        if accommodation is None:
            interest = book.accrue_interest(forborne, levers.forbearance_interest_accrues)
        else:  # accommodated accounts are paused like forborne ones; interest-free ones accrue nothing
            no_interest = (np.zeros(book.n, dtype=bool) if levers.forbearance_interest_accrues else forborne) \
                | (accommodation.paused & accommodation.interest_free)
            forborne = forborne | accommodation.paused
            interest = book.accrue_interest(no_interest, False)
        accounts_on_book = np.bincount(book.view("lender")[on_book], minlength=len(self.lenders))
        rows, treat, who = self._plan_treatments(accounts_on_book)

        # 4. the contact calendar and its consequences
        contacts = self._run_contacts(rows, treat, who)

        # 5-6. the schedule, what households pay, and the accounting
        book.schedule(interest, self.terms, forborne, None if accommodation is None else accommodation.payment_share)
        decision = self._decide_payments(contacts, lost_job)
        events = book.apply_payments(decision["paid"], self.terms, forborne, month=m,
                                     fee_waived=None if accommodation is None else accommodation.fee_waived)
        events["promise_kept"] = book.view("promise") & (events["paid"] >= decision["due"] - 1e-9)
        # free what the rest of the month does not use (a million-loan book: every float column is 13 MB)
        del interest, forborne
        decision.pop("paid")
        for name in ("missed", "paid_off", "broken_plan", "late_fee"):
            events.pop(name)
        self._learn_scores(decision["due"], events["paid"])
        events["disputed"] = decision["disputed"] & (book.view("collector") != Collector.BUYER)
        settled = np.flatnonzero(book.view("settlement_offer") & (events["paid"] >= decision["due"] - 1e-9)
                                 & (decision["due"] > 0))
        settled_on_book = book.on_book()[settled]
        events["settled"] = book.settle(settled) if len(settled) else np.zeros(0)
        # what restructuring forgives on the book is a loss like a charge-off
        events["gross_chargeoff"][settled] += np.where(settled_on_book, events["settled"], 0.0)
        events["gross_chargeoff"][contacts["writedown_rows"]] += contacts["writedown_amounts"]
        if self.tracer is None or m < 0:
            decision.pop("due")  # only the tracer's stories need it from here on
        self._litigation_clock()
        book.refresh_status()
        paid_by_household = np.bincount(owner, weights=events["paid"], minlength=t.n)
        borrowed = np.bincount(self.last_approved, weights=self.last_originated, minlength=t.n)
        settle_month(t, paid_by_household, cfg.population, borrowed, spending)
        if spending is not None:
            restore_essentials(t, spending)

        # 7. stress, well-being, complaints
        in_30 = (book.view("dpd") >= 30) & book.on_book()
        any_30 = np.bincount(owner[in_30], minlength=t.n) > 0
        update_stress_and_wellbeing(t, cfg.behaviour, contacts["stress_by_household"], any_30, lost_job)
        complaints = self._complaints(contacts)
        c_eff = effective_consumption(t, cfg.welfare, self._contacts_by_household(contacts)) if m >= 0 else None

        # 8. lenders book fees and learn their losses; credit records are updated; the regulator enforces
        agency_fee = self._agency_fees(events["paid"])
        self._learn_losses(events, contacts)
        self._update_peers(any_30)
        self._report_credit(events, levers.reporting_paused,
                            None if accommodation is None else accommodation.shielded)
        self._enforce_rules(contacts, complaints, decision)
        book.view("contacts_last")[:] = 0
        book.view("rpc_last")[:] = 0
        if len(rows):
            book.contacts_last[rows] = np.minimum(contacts["attempts"] + contacts["visits"], 32000)
            book.rpc_last[rows] = contacts["conversations"]

        # 9. data collection
        if m >= 0:
            self.recorder.record(m, events=events, contacts=contacts, complaints=complaints, agency_fee=agency_fee,
                                 originated=originated, prepaid=prepaid, unemployment=u_now,
                                 any_30plus=any_30, c_eff=c_eff)
            self.datacollector.collect(self)
            if self.tracer is not None:
                self.tracer.record(m, decision=decision, events=events, contacts=contacts, complaints=complaints)
        if m % 3 == 2:
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
    def group_of(self, rows: np.ndarray) -> np.ndarray:
        """Outcome group (lender arm) of loan rows."""
        return self.group_offset[self.book.lender[rows]] + self.book.arm[rows]

    def groups_in_book(self) -> np.ndarray:
        """Outcome group of every loan row in use."""
        return self.group_offset[self.book.view("lender")] + self.book.view("arm")

    def _by_group(self, rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(self.group_of(rows), weights=weights, minlength=len(self.groups)).astype(float)

    def _originate(self) -> np.ndarray:
        """Households apply with a fixed monthly probability; lenders approve those whose observed score
        clears the cutoff. Returns the amount originated by outcome group."""
        rng = self.streams["origination"]
        t, book = self.borrowers, self.book
        u = rng.random((3, t.n), dtype=np.float32)  # apply?, which lender, observation noise
        pop = self.cfg.population
        open_loans = np.bincount(book.view("borrower")[book.on_book()], minlength=t.n)
        applicants = np.flatnonzero((u[0] < pop.application_rate) & (open_loans < pop.max_loans_per_borrower))
        self.last_applicants = applicants
        self.last_approved = np.zeros(0, dtype=np.int64)
        self.last_originated = np.zeros(0)
        if len(applicants) == 0:
            return np.zeros(len(self.groups))
        lender = self._lender_of(u[1][applicants])
        noise = np.sqrt(2.0) * _erfinv(2.0 * u[2][applicants] - 1.0)  # a standard normal from the uniform
        observed = self._seen_score(applicants) + noise * self._score_noise(lender)
        approved = np.zeros(len(applicants), dtype=bool)
        for lend in self.lenders:
            mine = lender == lend.index
            approved[mine] = lend.approves(observed[mine])
        atp = self.cfg.regulation.ability_to_pay_from
        if atp is not None and self.month >= atp:
            approved &= t.employed[applicants]  # no earnings, no ability to pay
        rows = self._originate_rows(applicants[approved], lender[approved], observed[approved], rng)
        self.last_approved = applicants[approved]
        self.last_originated = book.principal_lent[rows]
        return self._by_group(rows, book.principal_lent[rows])

    def _prepay(self) -> np.ndarray:
        """Current loans are repaid early (refinanced) with a monthly probability."""
        book = self.book
        status = book.view("status")
        rng = self.streams["prepayment"]
        rate = self.cfg.behaviour.prepayment_rate
        current = np.flatnonzero(status == Status.CURRENT)
        rows = current[rng.random(len(current), dtype=np.float32) < rate]
        amount = book.prepay(rows)
        return self._by_group(rows, amount)

    def _plan_treatments(self, accounts_on_book: np.ndarray) -> tuple[np.ndarray, Treatment, np.ndarray]:
        """Every lender's strategies (champion and challengers, each on its arm's accounts) plan; agencies
        add their calls to placed accounts and the debt buyer to the claims it bought.

        Returns the loan rows (sorted), the combined treatment, and who collects each row (a Collector)."""
        book = self.book
        parts_rows, parts_t = [], []
        rng = self.streams["lenders"]
        for lender in self.lenders:
            observed = collection_rows(book, lender.index)
            obs = observe(book, observed, self.month, self.borrowers.digital,
                          previous_ids=self._observed_ids.get(lender.index))
            self._observed_ids[lender.index] = np.sort(obs.loan_id)
            arms = book.arm[observed]
            capacity = lender.capacity_hours(int(accounts_on_book[lender.index]))
            for arm, strategy in enumerate(lender.strategies):
                mine = arms == arm
                sub, sub_rows = (obs.subset(mine), observed[mine]) if len(lender.strategies) > 1 else (obs, observed)
                sub.capacity_hours = capacity * lender.arm_shares[arm]
                sub.tactics = self.cfg.tactics
                t = lender.plan(sub, strategy, self.cfg.tactics, capacity * lender.arm_shares[arm], rng)
                # accounts with an agency are worked by the agency, not by the lender's collectors
                placed = sub.collector == Collector.AGENCY
                for name in ("calls", "night_calls", "visits", "third_party"):
                    getattr(t, name)[placed] = 0
                t.place[placed] = False
                parts_rows.append(sub_rows)
                parts_t.append(t)
        rows = np.concatenate(parts_rows) if parts_rows else np.zeros(0, dtype=np.int64)
        treat = _concat(parts_t)
        order = np.argsort(rows, kind="stable")
        rows, treat = rows[order], treat.subset(order)
        who = np.full(len(rows), Collector.LENDER, dtype=np.int8)
        collector = book.view("collector")
        collecting = book.collecting()
        placed_rows = np.flatnonzero(collecting & (collector == Collector.AGENCY))
        if len(rows) and len(placed_rows):
            pos = np.searchsorted(rows, placed_rows)
            found = (pos < len(rows)) & (rows[np.minimum(pos, len(rows) - 1)] == placed_rows)
            treat.calls[pos[found]] += self.agency.calls_per_month
            who[pos[found]] = Collector.AGENCY
        sold_rows = np.flatnonzero(collecting & (collector == Collector.BUYER))
        buyer_t = Treatment.empty(len(sold_rows))
        buyer_t.calls[:] = self.buyer.calls_per_month
        rows = np.concatenate([rows, sold_rows])
        treat = _concat([treat, buyer_t])
        who = np.concatenate([who, np.full(len(sold_rows), Collector.BUYER, dtype=np.int8)])
        return rows, treat, who

    def _run_contacts(self, rows: np.ndarray, treat: Treatment, who: np.ndarray) -> dict[str, Any]:
        """Execute the month's contacts under the regulation regime: the call calendar, visits, messages,
        third-party and public pressure, promises, offers, lawsuits, placements and sales; update pressure
        and goodwill; book costs; count what the rules clipped, what they would have clipped, and
        violations by collectors that do not comply."""
        tac = self.cfg.tactics
        t, book, regime = self.borrowers, self.book, self.regime
        owner = book.borrower[rows]
        n = len(rows)
        beh = self.streams["contacts"]
        reachable = t.reachable[owner]
        digital = t.digital[owner]
        lender_of_row = book.lender[rows]
        compliance = np.array([lc.compliance for lc in self.cfg.lenders])
        u = beh.random((n, 6), dtype=np.float32)
        complies = (who != Collector.LENDER) | (u[:, 5] < compliance[lender_of_row])
        third = who != Collector.LENDER
        bound = regime.binds(third)
        clipped = np.zeros(len(Rule), dtype=np.int64)
        violations = np.zeros(len(Rule), dtype=np.int64)
        would = np.zeros(len(Rule), dtype=np.int64)
        # the same counts by outcome group, for the lender's own and its agency's accounts (a debt buyer's
        # claims count only in the all-lenders totals, as their complaints do)
        row_group = self.group_of(rows)
        lender_held = who != Collector.BUYER
        clipped_by_group = np.zeros((len(self.groups), len(Rule)))
        would_by_group = np.zeros((len(self.groups), len(Rule)))

        def by_group(per_row: np.ndarray) -> np.ndarray:
            return np.bincount(row_group[lender_held], weights=per_row[lender_held].astype(np.float64),
                               minlength=len(self.groups))

        call_requests = (treat.calls + treat.night_calls).astype(np.int32)  # as planned, before any rule
        # a written dispute pauses collection until the debt is validated, where the regime requires it
        paused = (book.dispute_pause[rows] > 0) & bound
        if paused.any():
            stop = paused & complies
            requests = (treat.calls + treat.night_calls + treat.visits + treat.third_party + treat.sue).astype(np.int64)
            clipped[Rule.DISPUTE_PAUSE] += int(requests[stop].sum())
            clipped_by_group[:, Rule.DISPUTE_PAUSE] += by_group(np.where(stop, requests, 0))
            violations[Rule.DISPUTE_PAUSE] += int(requests[paused & ~complies].sum())
            for name in ("calls", "night_calls", "visits", "third_party"):
                getattr(treat, name)[stop] = 0
            treat.sue[stop] = False
        book.view("dispute_pause")[:] = np.maximum(book.view("dispute_pause") - 1, 0)

        # yes/no rules
        third_party, c, v = clip_requests(treat.third_party, regime.third_party_allowed, bound, complies)
        clipped[Rule.THIRD_PARTY] += c
        violations[Rule.THIRD_PARTY] += v
        social, c, v = clip_requests(treat.social_media.astype(np.int16), regime.social_media_allowed, bound, complies)
        clipped[Rule.SOCIAL_MEDIA] += c
        violations[Rule.SOCIAL_MEDIA] += v
        threats, c, v = clip_requests(treat.threaten.astype(np.int16), regime.threats_allowed, bound, complies)
        clipped[Rule.THREATS] += c
        violations[Rule.THREATS] += v
        visits, c, v = clip_requests(treat.visits, regime.visits_allowed, bound, complies)
        clipped[Rule.VISIT_BAN] += c
        violations[Rule.VISIT_BAN] += v
        for requested, executed, rule in ((treat.third_party, third_party, Rule.THIRD_PARTY),
                                          (treat.social_media, social, Rule.SOCIAL_MEDIA),
                                          (treat.threaten, threats, Rule.THREATS),
                                          (treat.visits, visits, Rule.VISIT_BAN)):
            clipped_by_group[:, rule] += by_group(requested.astype(np.int64) - executed.astype(np.int64))
        ref = self.reference_regime
        if ref.name != regime.name:
            ref_bound = ref.binds(third)
            for requested, allowed, rule in ((third_party, ref.third_party_allowed, Rule.THIRD_PARTY),
                                             (social, ref.social_media_allowed, Rule.SOCIAL_MEDIA),
                                             (threats, ref.threats_allowed, Rule.THREATS),
                                             (visits, ref.visits_allowed, Rule.VISIT_BAN)):
                if not allowed:
                    would[rule] += int(requested[ref_bound].astype(np.int64).sum())
                    would_by_group[:, rule] += by_group(np.where(ref_bound, requested.astype(np.int64), 0))

        # the call calendar
        attempts = np.zeros(n, dtype=np.int32)
        night = np.zeros(n, dtype=np.int32)
        conversations = np.zeros(n, dtype=np.int32)
        has_calls = (treat.calls + treat.night_calls) > 0
        if has_calls.any():
            sub = np.flatnonzero(has_calls)
            avoids = tac.call_avoidance * (1.0 - t.willingness[owner[sub]])
            p_answer = (tac.call_answer_rate * reachable[sub] * (1.0 - avoids)).astype(np.float32)
            cal = run_calendar(treat.calls[sub], treat.night_calls[sub], third[sub], p_answer, beh, regime, ref,
                               complies=complies[sub], keep_daily=self.keep_contact_log,
                               due_day=book.due_day[rows[sub]] - 1)
            attempts[sub], night[sub], conversations[sub] = cal.attempts, cal.night_attempts, cal.conversations
            clipped += cal.clipped
            would += cal.would_clip
            for r in Rule:
                clipped_by_group[:, r] += by_group(_scatter(n, sub, cal.clipped_rows[:, r]))
                would_by_group[:, r] += by_group(_scatter(n, sub, cal.would_clip_rows[:, r]))
            violations += cal.violations
            if self.keep_contact_log:
                self.contact_log.append({"month": self.month, "rows": rows[sub], "loan_id": book.loan_id[rows[sub]],
                                         "who": who[sub], "lender": lender_of_row[sub], "complies": complies[sub],
                                         "regime": regime.name, "daily": cal.daily, "daily_night": cal.daily_night})

        visit_talk = (visits > 0) & (u[:, 0] < 0.5)
        talked = (conversations > 0) | visit_talk
        sms = (treat.reminders > 0) & reachable
        push = (treat.push > 0) & digital
        email = (treat.emails > 0) & reachable
        # attention restored: SMS fully, push and e-mail in part (one draw decides which reaches)
        reach = np.maximum.reduce([sms * 1.0, push * tac.push_reach, email * tac.email_reach])
        reminded = u[:, 4] < reach
        willing = t.willingness[owner]
        promise = talked & (u[:, 1] < tac.promise_rate * willing)

        # offers: made in a conversation, or through the self-service app to digital households
        on_book = ON_BOOK[book.status[rows]]
        charged_off = book.status[rows] == Status.CHARGED_OFF
        has_offer = treat.offer != Offer.NONE
        by_app = treat.digital_offer & digital & (u[:, 3] < tac.digital_take_up)
        offered = has_offer & (talked | by_app) & (on_book | (charged_off & (treat.offer == Offer.SETTLEMENT)))
        reageable = book.can_reage(rows, self.month)
        needs_reage = (treat.offer == Offer.PLAN) | (treat.offer == Offer.DEFERRAL) | (treat.offer == Offer.WRITEDOWN)
        accepted = offered & (u[:, 2] < tac.offer_acceptance * (0.5 + 0.5 * willing)) & (reageable | ~needs_reage)
        plan_rows = rows[accepted & (treat.offer == Offer.PLAN)]
        defer_rows = rows[accepted & (treat.offer == Offer.DEFERRAL)]
        write_rows = rows[accepted & (treat.offer == Offer.WRITEDOWN)]
        settle_rows = rows[accepted & (treat.offer == Offer.SETTLEMENT)]
        book.plan_left[plan_rows] = tac.plan_months
        book.deferral_left[defer_rows] = tac.deferral_months
        writedown_amounts = book.write_down(write_rows, tac.writedown_share)
        book.reage(np.concatenate([plan_rows, defer_rows, write_rows]), self.month)
        book.settlement_offer[:] = False
        book.settlement_offer[settle_rows] = True

        # financial education: misunderstanding falls, and the effect fades
        t.education_effect *= np.float32(tac.education_decay)
        educated = treat.education & talked
        t.education_effect[owner[educated]] = np.float32(tac.education_effect)

        # lawsuits, placements, sales
        status = book.status[rows]
        can_sue = treat.sue & (book.litigation_age[rows] < 0) & ~book.judgment[rows] & (status < Status.SOLD)
        book.litigation_age[rows[can_sue]] = 0
        place = treat.place & (book.collector[rows] == Collector.LENDER) & (status < Status.SOLD)
        book.collector[rows[place]] = Collector.AGENCY
        sell = treat.sell & (status < Status.SOLD)
        proceeds_by_group = np.zeros(len(self.groups))
        proceeds_co_by_group = np.zeros(len(self.groups))
        sale_loss_by_group = np.zeros(len(self.groups))
        sale = {"sold_rows": np.zeros(0, dtype=np.int64), "sold_was_charged_off": np.zeros(0, dtype=bool),
                "sold_face": np.zeros(0)}
        if sell.any():
            sell_rows = rows[sell]
            was_co = book.status[sell_rows] == Status.CHARGED_OFF
            face = book.claim()[sell_rows]
            sale = {"sold_rows": sell_rows, "sold_was_charged_off": was_co, "sold_face": face}
            group_sold = self.group_of(sell_rows)
            proceeds = book.sell(sell_rows, self.buyer.price)
            k = len(self.groups)
            proceeds_by_group = np.bincount(group_sold, weights=proceeds, minlength=k)
            proceeds_co_by_group = np.bincount(group_sold, weights=np.where(was_co, proceeds, 0.0), minlength=k)
            sale_loss_by_group = np.bincount(group_sold, weights=np.where(was_co, 0.0, face - proceeds), minlength=k)
            self.buyer.face_bought += float(face.sum())
            self.buyer.paid += float(proceeds.sum())
            for g, (lender_index, _, _) in enumerate(self.groups):
                self.lenders[lender_index].sale_proceeds += float(proceeds_by_group[g])
        threatened = (threats > 0) & talked

        # pressure, goodwill and stress of each use
        uses = {
            Tactic.REMINDER: sms.astype(np.int32) * treat.reminders,
            Tactic.PUSH: push.astype(np.int32) * treat.push,
            Tactic.EMAIL: email.astype(np.int32) * treat.emails,
            Tactic.CALL: attempts + night,
            Tactic.VISIT: visits.astype(np.int32),
            Tactic.LAWSUIT: can_sue.astype(np.int32),
            Tactic.PLAN: (offered & (treat.offer <= Offer.PLAN)).astype(np.int32),
            Tactic.SETTLEMENT: (offered & (treat.offer == Offer.SETTLEMENT)).astype(np.int32),
            Tactic.WRITEDOWN: (offered & (treat.offer == Offer.WRITEDOWN)).astype(np.int32),
            Tactic.CHAT: (treat.digital_offer & digital).astype(np.int32),
            Tactic.PLACEMENT: place.astype(np.int32),
            Tactic.THREAT: threatened.astype(np.int32),
            Tactic.SOCIAL_MEDIA: (social > 0).astype(np.int32),
            Tactic.THIRD_PARTY: third_party.astype(np.int32),
            Tactic.EDUCATION: educated.astype(np.int32),
        }
        uses = {tactic: count for tactic, count in uses.items() if count.any()}  # (unused: no effect, no cost)
        effects = self._contact_effects(rows, who, uses, attempts + night + visits, night, conversations + visit_talk,
                                        threatened, can_sue, accepted)
        legal = (book.litigation_age[rows] >= 0) | book.judgment[rows]
        stress_add = effects.stress
        book.promise[:] = False
        book.promise[rows] = promise

        # costs of the lender's own collection (agencies and the buyer bear theirs)
        # the lender pays for what its own collectors do, and for what it requests on accounts placed with
        # the agency except the agency's calls (those are paid by the contingency fee); a debt buyer's
        # accounts cost the lender nothing
        own = who == Collector.LENDER
        not_sold = who != Collector.BUYER
        visit_cost = tac.visit.cost * regime.collectors_per_visit
        group = self.group_of(rows)
        group_own, group_not_sold = group[own], group[not_sold]
        for tactic, count in uses.items():
            unit = visit_cost if tactic == Tactic.VISIT else self._tactic_params[tactic].cost
            if tactic in (Tactic.CALL, Tactic.VISIT, Tactic.THIRD_PARTY):
                spent = unit * np.bincount(group_own, weights=count[own], minlength=len(self.groups))
            else:
                spent = unit * np.bincount(group_not_sold, weights=count[not_sold], minlength=len(self.groups))
            self.group_costs[:, tactic] += spent
            for g, lender_index in enumerate(self._group_lender):
                self.lenders[lender_index].costs[tactic] += spent[g]
        # pre-due reminders to current accounts of strategies that send them
        reminded_all = self._pre_due_reminders()
        reminded_all[rows] |= reminded
        # harm to people who owe nothing: relatives and contacts called, audiences of public posts
        third_party_harm = float(third_party.sum() + (social > 0).sum() * tac.third_party_audience)
        harm_by_group = by_group(third_party + (social > 0) * tac.third_party_audience)
        stress_by_household = np.bincount(owner, weights=stress_add, minlength=t.n)
        # neighbours see home visits; relatives and contacts called about a debt bear stress too
        net = self.cfg.network
        if visits.any():
            visited = np.bincount(owner, weights=visits, minlength=t.n).astype(np.float32)
            stress_by_household += net.visit_exposure_stress * (self.adjacency @ visited)
        if third_party.any():
            called = np.bincount(owner, weights=third_party, minlength=t.n).astype(np.float32)
            stress_by_household += net.third_party_stress * (self.peers.T @ called)
        contacts_by_household = np.bincount(owner, weights=attempts + night + visits, minlength=t.n)
        violations_by_group = np.zeros(len(self.groups))
        if violations.any():
            # violations are attributed to lender arms in proportion to their non-complying contacts
            breaking = bound & ~complies & (who == Collector.LENDER)
            weights = np.bincount(group[breaking], minlength=len(self.groups)).astype(float)
            if weights.sum() > 0:
                violations_by_group = violations.sum() * weights / weights.sum()
        return {
            "rows": rows, "who": who, "owner": owner, "call_requests": call_requests, "attempts": attempts,
            "night": night, "visits": visits,
            "conversations": conversations + visit_talk, "talked": talked, "promise": promise,
            "offered": offered, "accepted": accepted, "sued": can_sue, "placed": place, "sold": sell,
            "threatened": threatened, "legal": legal, "reminded": reminded_all, "third_party": third_party,
            "social_media": social > 0, "settled_offer": accepted & (treat.offer == Offer.SETTLEMENT),
            "writedown_rows": write_rows, "writedown_amounts": writedown_amounts,
            "proceeds_by_group": proceeds_by_group, "proceeds_co_by_group": proceeds_co_by_group,
            "sale_loss_by_group": sale_loss_by_group, "clipped": clipped, "would_clip": would,
            "violations": violations, "violations_by_group": violations_by_group,
            "third_party_harm": third_party_harm, "third_party_harm_by_group": harm_by_group,
            "clipped_by_group": clipped_by_group, "would_clip_by_group": would_by_group, **sale,
            "stress_by_household": stress_by_household, "contacts_by_household": contacts_by_household,
            "reactance": effects.reactance, "harassment": effects.harassment,
        }

    def _contact_effects(self, rows: np.ndarray, who: np.ndarray, uses: dict[Tactic, np.ndarray],
                         contacts: np.ndarray, night: np.ndarray, conversations: np.ndarray, threatened: np.ndarray,
                         sued: np.ndarray, accepted: np.ndarray) -> ContactEffects:
        """What this month's contact does to each account in collection (ODD section 7.5).

        - The contact stock: last month's, times ``behaviour.pressure_memory``, plus each use's dose
          (``tactics.*.pressure``), ``tactics.conversation_dose`` per day with a right-party conversation,
          and a debt buyer's own effort. Pressure is concave in it (diminishing returns).
        - Threats of legal action weigh in proportion to their credibility: the share of its threatened
          accounts that the collector has sued, as a running average, over ``tactics.threat_credibility_full``.
        - Harassment units: contacts from this collector above ``behaviour.contact_tolerance``, plus each use's
          ``tactics.*.reactance`` (a threat's in proportion to how little it is believed), plus night calls at
          ``behaviour.night_reactance``; they lower the intention to pay this collector this month.
        - Goodwill: each use's ``tactics.*.goodwill`` (a call's only above tolerance), an accepted offer's, and a
          recovery of ``behaviour.goodwill_recovery`` of the gap to the account's goodwill at origination.
        - Stress: each use's ``tactics.*.stress``.
        """
        cfg, book = self.cfg, self.book
        tac, beh = cfg.tactics, cfg.behaviour
        n = len(rows)
        dose = np.zeros(n)
        goodwill_add = np.zeros(n)
        stress_add = np.zeros(n)
        harassment = np.zeros(n)
        excess = np.maximum(contacts - beh.contact_tolerance, 0.0)
        lender_of_row = book.lender[rows]
        credibility = self._threat_credibility(lender_of_row, who, threatened, sued)
        for tactic, count in uses.items():
            p = self._tactic_params[tactic]
            dose += count * p.pressure
            stress_add += count * p.stress
            if tactic == Tactic.CALL:
                goodwill_add += np.minimum(count, excess) * p.goodwill
            elif tactic == Tactic.THREAT:
                goodwill_add += count * p.goodwill
                harassment += count * p.reactance * (1.0 - credibility)
            else:
                goodwill_add += count * p.goodwill
                harassment += count * p.reactance
        dose += tac.conversation_dose * conversations + np.where(who == Collector.BUYER, tac.buyer_pressure, 0.0)
        harassment += excess + beh.night_reactance * night
        goodwill_add += accepted * tac.plan.goodwill
        stock = book.view("pressure")
        stock *= np.float32(beh.pressure_memory)
        stock[rows] += dose.astype(np.float32)
        threat = book.view("threat")
        threat *= np.float32(beh.threat_memory)
        threat[rows] = np.maximum(threat[rows], (threatened * credibility).astype(np.float32))
        goodwill, base = book.view("goodwill"), book.view("goodwill_base")
        goodwill += np.float32(beh.goodwill_recovery) * (base - goodwill)
        goodwill[rows] = np.clip(goodwill[rows] + goodwill_add, -1.0, 1.0)
        reactance = np.zeros(book.n, dtype=np.float32)
        reactance[rows] = beh.reactance_weight * harassment
        return ContactEffects(reactance=reactance, harassment=harassment, stress=stress_add)

    def _threat_credibility(self, lender_of_row: np.ndarray, who: np.ndarray, threatened: np.ndarray,
                            sued: np.ndarray) -> np.ndarray:
        """Credibility (0-1) of each account's threat this month, by its collector: each lender's running share
        of threatened accounts sued (the lender's own collection only; agencies and buyers sue through the
        lender's suits), over ``tactics.threat_credibility_full``. Updated with this month's threats and suits."""
        k = len(self.lenders)
        own = who == Collector.LENDER
        threats = np.bincount(lender_of_row[own & threatened], minlength=k).astype(float)
        suits = np.bincount(lender_of_row[own & sued], minlength=k).astype(float)
        active = threats > 0
        rate = np.divide(suits, threats, out=np.zeros(k), where=active)
        self.suit_share = np.where(active, 0.9 * self.suit_share + 0.1 * np.minimum(rate, 1.0), self.suit_share)
        full = self.cfg.tactics.threat_credibility_full
        return np.minimum(self.suit_share / full, 1.0)[lender_of_row] * own

    def _contacts_by_household(self, contacts: dict[str, Any]) -> dict[str, np.ndarray]:
        """Contacts each household received this month, by kind."""
        owner, n = contacts["owner"], self.borrowers.n

        def per(values: np.ndarray) -> np.ndarray:
            return np.bincount(owner, weights=values, minlength=n)

        return {"calls": per(contacts["attempts"] + contacts["night"]), "night": per(contacts["night"]),
                "visits": per(contacts["visits"]), "third_party": per(contacts["third_party"]),
                "social_media": per(contacts["social_media"])}

    def _learn_scores(self, due: np.ndarray, paid: np.ndarray) -> None:
        """Lenders update their noisy estimate of each account's capacity and willingness (the score they
        see) from what it paid of what was due."""
        book = self.book
        asked = due > 0
        rate = np.array([lc.learning_rate for lc in self.cfg.lenders], dtype=np.float32)[book.view("lender")]
        signal = np.clip(paid / np.maximum(due, 1e-9), 0.0, 1.0).astype(np.float32)
        score = book.view("score_observed")
        score[:] = np.where(asked, (1.0 - rate) * score + rate * signal, score)

    def _update_peers(self, any_30: np.ndarray) -> None:
        """What each household's neighbours did this month, for next month's decisions: the share 30+ days
        late and the share sued or garnished."""
        book, t = self.book, self.borrowers
        legal_loans = (book.view("litigation_age") >= 0) | book.view("judgment")
        legal = np.bincount(book.view("borrower")[legal_loans], minlength=t.n) > 0
        self._peer_state["delinquent"] = self.peers @ any_30.astype(np.float32)
        self._peer_state["legal"] = self.peers @ legal.astype(np.float32)

    def _update_regime(self, month: int) -> None:
        """The regime in force this month: the scenario's starting regime, any scheduled change, and any
        tightening by an adaptive regulator."""
        name = self.cfg.regulation.regime
        for change in sorted(self.cfg.regulation.changes, key=lambda c: c.month):
            if month >= change.month:
                name = change.regime
        regime = REGIMES[name]
        cap = self.cfg.regulation.weekly_call_cap
        if cap == "unlimited":
            regime = replace(regime, name=f"{regime.name} (no weekly cap)", max_attempts_per_7_days=None)
        elif cap != "regime":
            regime = replace(regime, name=f"{regime.name} (cap {cap} a week)", max_attempts_per_7_days=int(cap),
                             applies_to_first_party=True)
        for _ in range(self.regulator.tightenings):
            regime = regime.tightened()
        self.regime = regime

    def _enforce_rules(self, contacts: dict[str, Any], complaints: dict[str, np.ndarray],
                       decision: dict[str, np.ndarray]) -> None:
        """Disputes pause collection where the regime requires validation; the regulator detects and fines
        violations and, if adaptive, tightens the caps when complaints stay high."""
        book = self.book
        if self.regime.dispute_pause:
            disputed = np.flatnonzero(decision["disputed"])
            bound = self.regime.binds(book.collector[disputed] != Collector.LENDER)
            book.dispute_pause[disputed[bound]] = 1
            # the validation notice is a clear statement of the debt: misunderstanding falls a little
            households = book.borrower[disputed[bound]]
            t = self.borrowers
            t.education_effect[households] = np.maximum(t.education_effect[households],
                                                        np.float32(self.cfg.behaviour.notice_effect))
        made = complaints["category"] >= 0
        to_regulator = float(np.count_nonzero(complaints["channel"][made] == Channel.REGULATOR))
        in_collection = max(float(self.recorder.in_collection.sum()), 1.0)
        per_1000 = 1000.0 * float(made.sum()) / in_collection
        fines, tighten = self.regulator.review(contacts["violations_by_group"], to_regulator, per_1000,
                                               self.streams["regulator"])
        self.group_fines += fines
        for g, (lender_index, _, _) in enumerate(self.groups):
            self.lenders[lender_index].fines += float(fines[g])
        contacts["fines"] = fines
        if tighten:
            self.regime = self.regime.tightened()

    def _pre_due_reminders(self) -> np.ndarray:
        """An SMS before the due date to every reachable current account of a strategy that sends them."""
        book, t, tac = self.book, self.borrowers, self.cfg.tactics
        reminded = np.zeros(book.n, dtype=bool)
        current = book.view("status") == Status.CURRENT
        for lender in self.lenders:
            for arm, strategy in enumerate(lender.strategies):
                if not strategy.reminds_current:
                    continue
                mine = current & (book.view("lender") == lender.index)
                if len(lender.strategies) > 1:
                    mine &= book.view("arm") == arm
                reminded |= mine & t.reachable[book.view("borrower")]
                cost = tac.reminder.cost * float(np.count_nonzero(mine))
                lender.costs[Tactic.REMINDER] += cost
                self.group_costs[self.group_offset[lender.index] + arm, Tactic.REMINDER] += cost
        return reminded

    def _decide_payments(self, contacts: dict[str, Any], lost_job: np.ndarray) -> dict[str, np.ndarray]:
        """What each household pays on each loan: intention (willingness, pressure, goodwill, promises,
        reactance), attention (restored by reminders), misreading, cash, garnishment and the split of a
        short budget across lenders."""
        cfg, beh = self.cfg, self.cfg.behaviour
        t, book = self.borrowers, self.book
        owner = book.view("borrower")
        n = book.n
        due = book.amount_due()
        settling = book.view("settlement_offer")
        if settling.any():
            due = np.where(settling, (1.0 - cfg.tactics.settlement_haircut) * book.claim(), due)
        rng = self.streams["behaviour"]
        u = rng.random((4, n), dtype=np.float32)
        f32 = np.float32
        cycles = book.view("cycles")
        net = cfg.network
        peer = (f32(net.peer_legal_deterrence) * self._peer_state["legal"]
                - f32(net.peer_default_weight) * self._peer_state["delinquent"])
        reputation = (net.reputation_weight * self.reputation).astype(f32)[book.view("lender")]
        # debt overhang: the more a household owes relative to its income, the less it tries
        owed = np.bincount(owner, weights=np.where(book.collecting(), book.claim(), 0.0), minlength=t.n)
        overhang = (f32(beh.overhang_weight) * np.log1p(owed / (12.0 * t.income_base))).astype(f32)
        pressure = self.pressure()
        legal = (book.view("litigation_age") >= 0) | book.view("judgment")
        consequence = legal + book.view("threat")
        logit = (f32(beh.willingness_intercept) + f32(beh.willingness_weight) * t.willingness[owner]
                 + f32(beh.pressure_weight) * pressure + f32(beh.legal_weight) * consequence
                 + f32(beh.goodwill_weight) * (book.view("goodwill") + reputation) + peer[owner] - overhang[owner]
                 + f32(beh.delinquency_weight) * np.minimum(cycles, beh.delinquency_cap)
                 + f32(beh.stress_weight) * t.stress[owner]
                 + f32(cfg.tactics.promise_boost) * book.view("promise") - contacts["reactance"])
        # below 1 with the probability 1 / (1 + e^-logit); e^-logit capped at e^80 (float32 overflows at e^88.7)
        odds = u[0] * (f32(1.0) + np.exp(np.minimum(-logit, f32(80.0))))
        intends = odds < f32(1.0)
        # a delinquent household that means to pay clears its arrears only some of the time, the less often the
        # further behind it is; otherwise it pays this month's payment and stays as far behind as it was (the
        # same draw decides, so nothing shifts)
        catches_up = odds < np.power(f32(beh.catch_up_rate), np.maximum(cycles, 1))
        del logit, reputation, odds
        lapse = (f32(1.0) - t.attention[owner]) * np.where(contacts["reminded"], f32(1.0 - beh.reminder_attention_fix),
                                                              f32(1.0))
        forgets = u[1] < lapse
        del lapse
        delinquent = cycles > 0
        misunderstanding = t.misunderstanding * (f32(1.0) - t.education_effect)
        misreads = u[2] < misunderstanding[owner] * np.where(delinquent, f32(1.0), f32(beh.misread_current_share))
        scheduled = np.minimum(book.view("scheduled"), due)
        wanted = np.where(intends & ~forgets, np.where(catches_up | (cycles == 0), due, scheduled), 0.0)
        del scheduled
        wanted[misreads] *= 0.5
        # garnishment after judgment takes part of earnings above essentials, before anything else
        garnish = np.zeros(n)
        judged = np.flatnonzero(book.view("judgment") & book.collecting())
        budget = payment_budget(t)
        if len(judged):
            jowner = owner[judged]
            free_income = np.maximum(t.income[jowner] - t.essentials[jowner], 0.0)
            n_judged = np.bincount(jowner, minlength=t.n)[jowner]
            # only wages can be garnished: nothing is taken from unemployment benefits
            garnish[judged] = np.where(t.employed[jowner], np.minimum(
                cfg.tactics.garnishment_share * free_income / n_judged, book.claim()[judged]), 0.0)
            budget = budget - np.bincount(jowner, weights=garnish[judged], minlength=t.n)
            wanted = np.maximum(wanted - garnish, 0.0)

        # a household that cannot pay all it means to pays first what has consequences, then the loudest creditor
        priority = np.exp(f32(beh.priority_consequence) * np.minimum(legal + 0.5 * book.view("threat"), 1.0)
                          + f32(beh.priority_loudness) * pressure)
        del consequence, legal, pressure

        # disputes: a misread amount, or an amount the lender's records got wrong; the household will not
        # pay an amount it disputes because of a record error
        record_error = book.view("record_error")
        error_dispute = record_error & delinquent & (u[3] < f32(beh.error_dispute_rate))
        wanted[error_dispute] = 0.0
        voluntary = split_budget(np.maximum(budget, 0.0), wanted, owner, priority)
        if self.keep_truth:
            self.truth = HiddenTruth(loan_id=book.view("loan_id").copy(), due=due.copy(), unwilling=~intends,
                                     cash_short=voluntary < wanted - 1e-9)
        paid = voluntary + garnish
        disputed = (misreads & delinquent) | error_dispute
        book.view("disputed")[:] = disputed
        fixed = np.flatnonzero(error_dispute)
        fixed = fixed[rng.random(len(fixed)) < beh.error_correction_rate]
        record_error[fixed] = False
        # a promise is broken when the month's payment falls short of what was due
        broken = book.view("promise") & (paid < due - 1e-9)
        book.view("broken_promises")[:] += broken
        return {"paid": paid, "disputed": disputed, "due": due}

    def pressure(self) -> np.ndarray:
        """Collection pressure on every loan of the book (0-1): concave in the contact stock,
        ``1 - exp(-stock / behaviour.pressure_scale)``."""
        scale = np.float32(self.cfg.behaviour.pressure_scale)
        return -np.expm1(-self.book.view("pressure") / scale)

    def _litigation_clock(self) -> None:
        """Lawsuits age; at the lag a judgment is entered with the default-judgment probability or the
        case is dropped."""
        book = self.book
        age = book.view("litigation_age")
        pending = age >= 0
        age[pending] += 1
        lag = self.cfg.tactics.lawsuit_judgment_lag
        decided = np.flatnonzero(pending & (age > lag) & ~book.view("judgment"))  # `lag` months after filing
        if len(decided):
            wins = self.streams["contacts"].random(len(decided)) < self.cfg.tactics.default_judgment_share
            book.judgment[decided[wins]] = True
            book.litigation_age[decided[~wins]] = -1

    def _complaints(self, contacts: dict[str, Any]) -> dict[str, np.ndarray]:
        """Draw complaints for loans in contact or in dispute this month."""
        t, book, beh = self.borrowers, self.book, self.cfg.behaviour
        rows, owner = contacts["rows"], contacts["owner"]
        disputed = book.disputed[rows]
        own_contacts = contacts["attempts"] + contacts["night"] + contacts["visits"]
        excess = np.maximum(own_contacts - beh.contact_tolerance, 0.0)  # tolerance is per collector
        lit_mean = max(float(t.literacy.mean()), 1e-6)
        x = ComplaintInputs(
            disputed=disputed, excess_contacts=excess, night_calls=contacts["night"],
            threatened=contacts["threatened"], legal=contacts["legal"], visits=contacts["visits"],
            third_party=contacts["third_party"], social_media=contacts["social_media"],
            propensity=t.complaint_propensity[owner] * (0.5 + t.stress[owner]),
            literacy_ratio=t.literacy[owner] / lit_mean,
        )
        category, channel = draw_complaints(x, beh, self.streams["complaints"])
        # public complaints cost the lender reputation
        public = channel == Channel.PUBLIC
        lender_held = contacts["who"] != Collector.BUYER
        k = len(self.lenders)
        per_lender = np.bincount(book.lender[rows[public & lender_held]], minlength=k)
        in_collection = np.maximum(np.bincount(book.lender[rows[lender_held]], minlength=k), 1)
        net = self.cfg.network
        public_rate = 1000.0 * per_lender / in_collection
        target = np.clip(-net.reputation_sensitivity * (public_rate - net.public_complaint_norm), -1.0, 1.0)
        self.reputation = net.reputation_memory * self.reputation + (1.0 - net.reputation_memory) * target
        return {"rows": rows, "category": category, "channel": channel}

    def _agency_fees(self, paid: np.ndarray) -> np.ndarray:
        """Contingency fees owed to the agency on what its placed accounts paid, by outcome group."""
        book = self.book
        placed = np.flatnonzero(book.view("collector") == Collector.AGENCY)
        collected = self._by_group(placed, paid[placed])
        fees = collected * self.agency.fee
        self.agency.collected += float(collected.sum())
        self.agency.fees_earned += float(fees.sum())
        for g, (lender_index, _, _) in enumerate(self.groups):
            self.lenders[lender_index].agency_fees += float(fees[g])
        sold = book.view("collector") == Collector.BUYER
        self.buyer.collected += float(paid[sold].sum())
        return fees

    def _compact(self) -> None:
        self.recorder.note_closed()  # what households still owe on claims that leave the book
        self.book.compact()

    # ---------------------------------------------------------------------------------------------
    # inspection
    # ---------------------------------------------------------------------------------------------
    @property
    def network(self):
        """The households' social network as a Mesa ``discrete_space.Network``; each Borrower sits in the
        cell of its row. Built at set-up for populations up to ``network.mesa_limit``, else on first use."""
        if self._network is None:
            self._network = mesa_network(self.adjacency, self.random)
            cells = self._network._cells
            for agent in self.agents_by_type.get(Borrower, []):
                agent.cell = cells[agent.row]
        return self._network

    @property
    def borrower_agents(self):
        return self.agents_by_type[Borrower]

    def results(self):
        """The run's monthly table and summary (a :class:`~sim.metrics.RunResult`)."""
        result = self.recorder.result()
        if self.tracer is not None:
            result.traces = self.tracer.table()
        if self.portfolio_report is not None:
            result.meta["portfolio"] = self.portfolio_report
        return result


@dataclass(frozen=True)
class HiddenTruth:
    """Why each loan of the book was or was not paid this month, as only the model knows it."""

    loan_id: np.ndarray
    due: np.ndarray  # amount due this month
    unwilling: np.ndarray  # the household did not intend to pay this loan
    cash_short: np.ndarray  # it intended to, but its budget could not cover all it meant to pay


@dataclass(frozen=True)
class ContactEffects:
    """What this month's contact did to the accounts in collection (one row per account contacted)."""

    reactance: np.ndarray  # fall in the payment logit, one entry per loan row of the book
    harassment: np.ndarray  # harassment units per contacted account
    stress: np.ndarray  # stress added to the household per contacted account


def _concat(parts: list[Treatment]) -> Treatment:
    from dataclasses import fields

    if not parts:
        return Treatment.empty(0)
    return Treatment(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Treatment)})


def _scatter(n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A length-``n`` array with ``values`` at ``rows`` and zero elsewhere."""
    out = np.zeros(n, dtype=values.dtype)
    out[rows] = values
    return out


def _latest(recorder: MonthlyRecorder, name: str):
    """A DataCollector reporter: the all-lenders value of ``name`` in the month just recorded."""

    def report(model: CollectionModel) -> float:
        return float(recorder.data[name][model.month, -1])

    return report


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


_ = (LOW_WELLBEING, Category, Channel)
