"""The collection model: construction from a scenario, the order of one month, and data collection.

One month, in order (``CollectionModel.step``):

1. The economy moves (unemployment path); support programmes and the regime in force switch on or off.
2. Households earn, lose or find jobs, meet expense shocks, and receive any crisis transfers.
3. Lenders originate loans to applicants who pass underwriting (with the cutoff their expected losses
   set); early repayments close loans; interest accrues; each lender's strategies (champion and
   challengers) plan treatments for their accounts in collection, rationed by collector capacity;
   agencies and the debt buyer plan theirs.
4. The contact calendar runs day by day under the regulation regime: messages, call attempts,
   right-party conversations, promises, visits, third-party and public pressure, offers accepted,
   lawsuits filed, placements and sales; collection costs are booked; strategies send their pre-due
   reminders to current accounts.
5. Households decide what to pay (intention, attention, disputes, garnishment of wages after a judgment)
   and split a short budget across lenders.
6. Accounting: the contractual schedule, the payment waterfall, arrears, days past due, late fees,
   cures, episodes, charge-offs, settlements and forgiveness; lawsuits age into judgments; lenders update
   their scores of accounts.
7. Households consume and save, update stress and well-being, and complain; complaints in public cost
   lenders reputation.
8. Agency fees are booked; lenders learn their losses (credit supply); credit records are updated;
   neighbours' behaviour is noted for next month; the regulator enforces and may fine or tighten.
9. Data collection (recorded months only); the book is compacted every third month; observers are called.

Each step lives in the module whose name says what it does and returns a typed, frozen record
(``sim.records``), which later steps, the recorder and observers read: 1-2 ``sim.economy``,
``sim.regulation.regime_in_force`` and ``sim.borrowers`` (``Labour``); 3 ``sim.lenders.CreditMarket``,
``accommodate`` and ``plan_treatments`` (``Origination``, ``Plan``); 4 ``sim.contacts`` (``Contacts``,
``Reminders``) with costs in ``sim.lenders.Costs``; 5 ``sim.payments`` (``Payments``); 6 ``sim.loans``
(``Events``); 7 ``sim.borrowers`` and ``sim.complaints`` (``Complaints``); 8 ``sim.lenders`` and
``sim.regulation`` (``Enforcement``, ``LenderBooks``); 9 ``sim.metrics`` and the observers (``Month``,
:class:`Observer`). No step module imports this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import mesa
import numpy as np

from sim import kernels
from sim.borrowers import (
    SHORT_HOURS_SALT,
    Borrower,
    BorrowerTable,
    crisis_income,
    draw_labour,
    effective_consumption,
    labour_and_shocks,
    lower_essentials,
    restore_essentials,
    settle_month,
    short_hours,
    update_stress_and_wellbeing,
)
from sim.complaints import Channel, month_complaints
from sim.config import Scenario, ScenarioError, load_scenario
from sim.contacts import ContactSetting, pre_due_reminders, run_contacts
from sim.economy import (
    anticipated_loss,
    household_uniform,
    labour_hazards,
    levers_at,
    short_hours_share,
    unemployment_path,
)
from sim.lenders import (
    CollectionAgency,
    Costs,
    CreditMarket,
    DebtBuyer,
    Lender,
    Regulator,
    accommodate,
    learn_losses,
    plan_treatments,
)
from sim.loans import ON_BOOK, AccommodationMonth, LoanBook, ProductTerms
from sim.metrics import MonthlyRecorder, Tracer
from sim.network import mesa_network, row_normalised, shared_row_weights, small_world, unit_pattern
from sim.payments import HiddenTruth, PaymentSetting, collection_pressure, decide_payments
from sim.records import (
    Complaints,
    Contacts,
    Enforcement,
    Events,
    Labour,
    LenderBooks,
    Month,
    Origination,
    Payments,
    Plan,
    Reminders,
)
from sim.regulation import REGIMES, pause_disputed, regime_in_force
from sim.tactics import Collector, Tactic

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


class Observer(Protocol):
    """Watches a run without changing it: any callable ``observer(model, month)``.

    Called by :meth:`CollectionModel.step` at the end of every month, burn-in included (``month.month`` is
    negative then), after data collection and the book's compaction, with the model and the month's
    records (:class:`sim.records.Month`): labour and transfers, originations, the plan, contacts, reminders,
    payments (with the split of short budgets across lenders, :class:`sim.records.BudgetSplit`), the
    ledger's events, complaints, enforcement and the lenders' books. Per-loan arrays in the records are
    indexed by the book's rows during the month; in a month that ends with a compaction (every third) the
    book's rows have moved since, so read per-loan records with their own ``owner`` and ``lender`` copies,
    not with the book. An observer must not modify the model or the records.
    """

    def __call__(self, model: CollectionModel, month: Month) -> None: ...


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
        observers: callables ``observer(model, month)`` called at the end of every month with the month's
            records (see :class:`Observer`); more can be appended to ``model.observers`` before a run.
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
                 observers: list[Observer] | tuple[Observer, ...] = (), **overrides: Any) -> None:
        cfg = load_scenario(scenario, **overrides)
        seed = cfg.seed if rng is None and "seed" in overrides else master_seed(rng)
        trace = check_trace(trace, None if cfg.portfolio else cfg.population.n_borrowers)
        super().__init__(rng=seed)
        self.cfg = cfg
        self.seed = seed
        self.streams = spawn_streams(seed)
        self._short_hours_uniform: np.ndarray | None = None  # fixed per household, made when hours are first cut
        self.keep_contact_log = keep_contact_log
        #: what watches the run: each is called as ``observer(model, month)`` at the end of every month
        self.observers: list[Observer] = list(observers)
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
        adjacency = small_world(cfg.population.n_borrowers, cfg.network.degree, cfg.network.rewire,
                                self.streams["network"])
        self.peers = row_normalised(adjacency)
        self.adjacency = unit_pattern(self.peers)  # the same links, on the peers' index arrays
        self._peer_weight = shared_row_weights(self.peers)  # each row's one weight (None if rows' weights differ)
        del adjacency
        self._network = None
        if cfg.population.n_borrowers <= cfg.network.mesa_limit:
            _ = self.network
        n = cfg.population.n_borrowers
        self._peer_state = {"delinquent": np.zeros(n, np.float32), "legal": np.zeros(n, np.float32)}
        rel = np.asarray(cfg.economy.separation_by_quintile)[self.borrowers.quintile]
        # each household's relative job-loss risk is its quintile's over the mean: five values, not a column
        self._separation_by_quintile = np.asarray(cfg.economy.separation_by_quintile, dtype=float) / rel.mean()
        del rel

        # lenders and the collectors that work for them
        self.lenders = [Lender(self, i, lc) for i, lc in enumerate(cfg.lenders)]
        # outcome groups: every arm (champion, challengers) of every lender
        self.groups = [(lender.index, arm, name)
                       for lender in self.lenders for arm, name in enumerate(lender.arm_names)]
        self.group_offset = np.cumsum([0] + [len(lender.strategies) for lender in self.lenders])[:-1]
        self.group_lender = np.array([lender_index for lender_index, _, _ in self.groups])
        self._observed_ids: dict[int, np.ndarray] = {}  # loan ids each lender observed last month
        self._learning_rate = np.array([lc.learning_rate for lc in cfg.lenders], dtype=np.float32)
        self.reputation = np.zeros(len(self.lenders))  # -1..1, falls with public complaints
        # each lender's running share of threatened accounts that it sued: how credible its threats are
        self.suit_share = np.zeros(len(self.lenders))
        self.agency = CollectionAgency(self, cfg.tactics.agency_fee, cfg.tactics.agency_calls)
        self.regulator = Regulator(self, cfg.regulation)
        self.buyer = DebtBuyer(self, cfg.tactics.sale_price, max(cfg.tactics.agency_calls // 2, 1))
        #: what lenders spend and earn on collection, by outcome group (sim.lenders.Costs)
        self.costs = Costs(self.lenders, self.group_lender, self.group_offset, self.agency, self.buyer, cfg.tactics)
        self._contact_setting = ContactSetting(
            tactics=cfg.tactics, behaviour=cfg.behaviour, network=cfg.network,
            tactic_params={tactic: getattr(cfg.tactics, tactic.key) for tactic in Tactic
                           if hasattr(cfg.tactics, tactic.key)},
            compliance=np.array([lc.compliance for lc in cfg.lenders]), group_offset=self.group_offset,
            n_groups=len(self.groups), n_lenders=len(self.lenders), adjacency=self.adjacency, peers=self.peers,
            buyer_price=self.buyer.price)
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
        # room for the new loans and the charged-off claims a running book carries (about 0.3 a household in the
        # baseline), so that the book seldom grows: growing holds the old and new columns at once
        n_loans = int(cfg.population.n_borrowers * (cfg.population.initial_loans_per_borrower + 0.35)) + 16
        self.book = LoanBook(len(self.lenders), capacity=n_loans)
        self.book.plan_payment_share = cfg.tactics.plan_payment_share
        #: where households borrow: applications, underwriting, pricing, the arm split, prepayment
        self.market = CreditMarket(self.lenders, cfg, self.terms, self.book, self.borrowers, seed, self.group_offset)
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
        self.market.seed_synthetic(self.streams["origination"])

    def open_accounts(self, owner: np.ndarray, lender: np.ndarray, balance: np.ndarray, apr: np.ndarray,
                      goodwill: np.ndarray, due_day: np.ndarray, months_on_book: np.ndarray,
                      score_noise: np.ndarray) -> np.ndarray:
        """Put accounts on the loan book at set-up: the public hook for seeding a book (``sim.portfolio``
        seeds a lender's own book with it). One entry per account: its household (row), lender (index),
        balance ($), APR, goodwill (-1..1), due day (1-28), months on book, and a standard normal draw for
        the lender's noisy view of the household's creditworthiness (the credit record's score plus the
        draw times ``lenders.N.score_noise``). Each account is assigned to its lender's champion or a
        challenger (by a hash of its id and the seed: nothing is drawn). Returns the new rows of the book,
        whose other columns (arrears, status, term, ...) the caller may then set. Call it before the first
        ``step``.
        """
        return self.market.open_accounts(owner, lender, balance, apr, goodwill, due_day, months_on_book, score_noise)

    def _report_credit(self, events: Events, paused: bool, shielded: np.ndarray | None = None) -> None:
        """Adverse marks: one when a loan reaches 60 days past due, two at charge-off; they fade. Nothing is
        reported while a reporting pause is on, nor for loans ``shielded`` by an accommodation programme that
        reports its accounts as current."""
        t, owner = self.borrowers, self.book.view("borrower")
        t.derogatory *= np.float32(self.cfg.economy.credit_record_memory)
        if paused:
            return
        marked = events.rolled_60 | events.chargeoff
        if shielded is not None:
            marked &= ~shielded
        hit = np.flatnonzero(marked)
        if len(hit):
            marks = events.rolled_60[hit].astype(np.float32) + 2.0 * events.chargeoff[hit]  # on the marked loans only
            t.derogatory += np.bincount(owner[hit], weights=marks, minlength=t.n).astype(np.float32)

    # ---------------------------------------------------------------------------------------------
    # the month
    # ---------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one month in the order given in the module docstring. Each step returns a record
        (``sim.records``); the month's records go to the recorder and to every observer, and are released
        before the recorder notes the state the next month starts from (so that the two are never held at
        once)."""
        record = self._simulate_month(self.month)
        self._record(record)
        for observer in self.observers:
            observer(self, record)
        del record
        self.recorder.snapshot(self.month + 1)
        self.month += 1
        if self.month >= self.cfg.horizon_months:
            self.running = False

    def _simulate_month(self, m: int) -> Month:
        """The steps of month ``m``, in order; returns the month's records."""
        levers, hazards, finding_weights, unemployment = self._economy(m)                     # 1
        labour, spending = self._labour(levers, hazards, finding_weights, unemployment)       # 2
        origination = self._lend()                                                            # 3
        accrual = self._accrue(levers, m)
        plan = plan_treatments(self.lenders, self.book, m, self.borrowers.digital, self._observed_ids,
                               accrual.accounts_on_book, self.cfg.tactics, self.agency, self.buyer,
                               self.streams["lenders"])
        contacts = self._contact(plan)                                                        # 4
        reminders = self._remind(contacts)
        payments = self._pay(contacts, reminders, accrual)                                    # 5
        ledger = self._account(payments, contacts, accrual)                                   # 6
        events, any_30 = ledger.events, ledger.any_30plus
        shielded = accrual.shielded
        del accrual  # its per-loan arrays (interest, forbearance) are not needed after the ledger
        self._settle_households(ledger.paid_by_household, spending)                           # 7
        update_stress_and_wellbeing(self.borrowers, self.cfg.behaviour, contacts.stress_by_household, any_30,
                                    labour.lost_job)
        complaints = self._complain(contacts)
        consumption = effective_consumption(self.borrowers, self.cfg.welfare, contacts) if m >= 0 else None
        agency_fees = self._lenders_learn(events, contacts)                                   # 8
        self._update_peers(any_30, ledger.legal)
        del ledger
        self._report_credit(events, levers.reporting_paused, shielded)
        enforcement = self._enforce_rules(contacts, complaints, payments)
        self._note_contacts(contacts)
        books = self._lender_books(agency_fees)
        return Month(month=m, labour=labour, origination=origination, plan=plan, contacts=contacts,  # 9
                     reminders=reminders, payments=payments, events=events, complaints=complaints,
                     enforcement=enforcement, books=books, any_30plus=any_30, consumption=consumption)

    def run(self) -> CollectionModel:
        """Run burn-in and every recorded month."""
        while self.running:
            self.step()
        return self

    # ---------------------------------------------------------------------------------------------
    # the steps of a month, in order
    # ---------------------------------------------------------------------------------------------
    def _economy(self, m: int) -> tuple[Any, Any, np.ndarray, float]:
        """The economy's levers this month, the regime in force, the job-loss and job-finding hazards,
        and lenders' anticipation of losses."""
        cfg, t = self.cfg, self.borrowers
        idx = m + cfg.burn_in_months
        levers = levers_at(cfg.economy, m)
        self.regime = regime_in_force(cfg.regulation, m, self.regulator.tightenings)
        u_now = 1.0 - float(t.employed.mean()) if t.n else 0.0
        # duration_dependence ** min(months unemployed, 24), looked up in the powers 0-24 (the same numbers)
        powers = cfg.economy.duration_dependence ** np.arange(25, dtype=t.months_unemployed.dtype)
        finding_weights = np.take(powers, np.minimum(t.months_unemployed, 24))
        outflow_share = float(finding_weights[~t.employed].mean()) if u_now > 0 else 1.0
        hazards = labour_hazards(cfg.economy, u_now, float(self.unemployment[idx + 1]), outflow_share)
        if self._anticipating:  # lenders tighten on the published unemployment rate, ahead of losses
            for lend in self.lenders:
                lend.anticipated_loss = anticipated_loss(lend.cfg.anticipation, m, self.unemployment, idx)
        return levers, hazards, finding_weights, u_now

    def _labour(self, levers, hazards, finding_weights, unemployment: float) -> tuple[Labour, Any]:
        """Jobs, income and shocks (fixed-size draws: common random numbers across strategies); crisis
        levers on households: stimulus payments and unemployment programmes add income; a pause on other
        debts or a lockdown lowers this month's essential spending until the month is settled."""
        cfg, t = self.cfg, self.borrowers
        draws = draw_labour(self.streams["labour"], self.streams["shocks"], t.n)
        # relative job-loss risks are rescaled over the employed, so the mean separation hits the path
        separation_weights = self._separation_by_quintile[t.quintile]
        employed_mean = float(separation_weights[t.employed].mean()) if t.employed.any() else 1.0
        exposure = separation_weights / employed_mean
        lost_job = labour_and_shocks(t, cfg.economy, hazards.separation, hazards.finding, levers.income_support,
                                     draws, exposure, finding_weights)
        # hours are cut with the published rate of the month (the path), as the BLS relation was measured
        cut = short_hours_share(cfg.economy, float(self.unemployment[self.month + cfg.burn_in_months]))
        if cut > 0.0 and self._short_hours_uniform is None:
            self._short_hours_uniform = household_uniform(t.n, self.seed, SHORT_HOURS_SALT)
        short_hours(t, cut, cfg.economy.short_hours_income_loss, exposure, self._short_hours_uniform)
        transfers = None
        if levers.household_income_levers:
            transfers = crisis_income(t, levers, self.seed)
            t.income += transfers
        spending = lower_essentials(t, levers, self.seed) if levers.spending_levers else None
        return Labour(lost_job=lost_job, unemployment_rate=unemployment, short_hours_rate=cut,
                      transfers=transfers), spending

    def _lend(self) -> Origination:
        """New loans, then early repayments (``sim.lenders.CreditMarket``)."""
        book = self.book
        applicants, approved, rows = self.market.applications(self.month, self.streams["origination"])
        self.last_applicants, self.last_approved = applicants, approved
        self.last_originated = book.principal_lent[rows]
        originated = self.market.by_group(rows, book.principal_lent[rows])
        prepaid = self.market.prepay(self.streams["prepayment"])
        return Origination(applicants=applicants, approved=approved, lent=self.last_originated,
                           originated_by_group=originated, prepaid_by_group=prepaid)

    def _accrue(self, levers, m: int) -> _Accrual:
        """Accommodation programmes and forbearance pause accounts; interest accrues on the rest."""
        t, book = self.borrowers, self.book
        accommodation = (accommodate(self.lenders, book, t, m, self.streams["policy"]) if self._accommodating
                         else None)
        forborne = np.zeros(book.n, dtype=bool)
        if levers.forbearance:
            owner = book.view("borrower")
            forborne = book.on_book() & (~t.employed[owner] if levers.forbearance_unemployed_only else True)
        if accommodation is None:
            interest = book.accrue_interest(forborne, levers.forbearance_interest_accrues)
        else:  # accommodated accounts are paused like forborne ones; interest-free ones accrue nothing
            no_interest = (np.zeros(book.n, dtype=bool) if levers.forbearance_interest_accrues else forborne) \
                | (accommodation.paused & accommodation.interest_free)
            forborne = forborne | accommodation.paused
            interest = book.accrue_interest(no_interest, False)
        accounts_on_book = np.zeros(len(self.lenders), dtype=np.int64)
        kernels.on_book_by_group(book.view("status"), book.view("lender"), accounts_on_book)
        return _Accrual(interest=interest, forborne=forborne, accommodation=accommodation,
                        accounts_on_book=accounts_on_book)

    def _contact(self, plan: Plan) -> Contacts:
        """The contact calendar and its consequences (``sim.contacts``); its costs and any sale are booked."""
        contacts, self.suit_share, daily = run_contacts(
            self._contact_setting, plan, self.book, self.borrowers, self.regime, self.reference_regime,
            self.suit_share, self.streams["contacts"], self.month, keep_daily=self.keep_contact_log)
        if daily is not None:
            self.contact_log.append(daily)
        self.costs.book_sale(contacts.proceeds_by_group, contacts.sold_face, contacts.sold_proceeds)
        self.costs.book_contacts(contacts.uses, contacts.who, contacts.group, self.regime.collectors_per_visit)
        return contacts

    def _remind(self, contacts: Contacts) -> Reminders:
        """Pre-due reminders to current accounts, and every reminder that reached a household this month."""
        before_due, sent = pre_due_reminders(self.lenders, self.book, self.borrowers, self.month,
                                             self.streams["lenders"])
        for lender_index, arm, count in sent:
            if count:
                self.costs.book_reminders(lender_index, arm, count)
        reminded = before_due.copy()
        reminded[contacts.rows] |= contacts.reminded
        return Reminders(before_due=before_due, reminded=reminded)

    def _pay(self, contacts: Contacts, reminders: Reminders, accrual: _Accrual) -> Payments:
        """The contractual schedule, then what households pay (``sim.payments``)."""
        book = self.book
        acc = accrual.accommodation
        book.schedule(accrual.interest, self.terms, accrual.forborne, None if acc is None else acc.payment_share)
        setting = PaymentSetting(behaviour=self.cfg.behaviour, tactics=self.cfg.tactics, network=self.cfg.network,
                                 reputation=self.reputation, peer_delinquent=self._peer_state["delinquent"],
                                 peer_legal=self._peer_state["legal"])
        payments, truth = decide_payments(setting, book, self.borrowers, contacts.reactance, reminders.reminded,
                                          self.streams["behaviour"], keep_truth=self.keep_truth)
        if truth is not None:
            self.truth = truth
        return payments

    def _account(self, payments: Payments, contacts: Contacts, accrual: _Accrual) -> _Ledger:
        """The ledger (``LoanBook.apply_payments``): the waterfall, arrears, fees, cures, charge-offs; promises kept,
        lenders' scores of accounts and what each household paid (``kernels.ledger_outcomes``); then settlements
        and write-downs booked as losses, lawsuits aging into judgments, statuses and the households with a loan
        30+ days late or in court (``kernels.refresh_status_by_household``)."""
        book, n_households = self.book, self.borrowers.n
        acc = accrual.accommodation
        ledger = book.apply_payments(payments.paid, self.terms, accrual.forborne, month=self.month,
                                     fee_waived=None if acc is None else acc.fee_waived, details=False)
        promise_kept, disputed = np.empty(book.n, dtype=bool), np.empty(book.n, dtype=bool)
        settled = np.empty(book.n, dtype=np.int64)
        paid_by_household = np.zeros(n_households)
        v = book.view
        k = kernels.ledger_outcomes(ledger["paid"], payments.due, payments.disputed, v("promise"), v("collector"),
                                    int(Collector.BUYER), v("settlement_offer"), v("lender"), self._learning_rate,
                                    v("borrower"), v("score_observed"), promise_kept, disputed, settled,
                                    paid_by_household)
        settled = settled[:k]
        settled_on_book = ON_BOOK[v("status")[settled]]
        forgiven = book.settle(settled) if len(settled) else np.zeros(0)
        # what restructuring forgives on the book is a loss like a charge-off
        gross_chargeoff = ledger["gross_chargeoff"]
        gross_chargeoff[settled] += np.where(settled_on_book, forgiven, 0.0)
        gross_chargeoff[contacts.writedown_rows] += contacts.writedown_amounts
        self._litigation_clock()
        late_30, legal = np.zeros(n_households, dtype=bool), np.zeros(n_households, dtype=bool)
        kernels.refresh_status_by_household(v("status"), v("cycles"), v("plan_left"), v("deferral_left"),
                                            v("litigation_age"), v("judgment"), v("dpd"), v("borrower"), late_30, legal)
        events = Events(paid=ledger["paid"], paid_on_charged_off=ledger["paid_on_charged_off"],
                        due_while_current=ledger["due_while_current"], paid_on_time=ledger["paid_on_time"],
                        cured=ledger["cured"], rolled_60=ledger["rolled_60"], new_episode=ledger["new_episode"],
                        chargeoff=ledger["chargeoff"], gross_chargeoff=gross_chargeoff, promise_kept=promise_kept,
                        disputed=disputed, settled=forgiven)
        return _Ledger(events=events, paid_by_household=paid_by_household, any_30plus=late_30, legal=legal)

    def _settle_households(self, paid_by_household: np.ndarray, spending) -> None:
        """Households' month: what they paid and borrowed, consumption and savings."""
        t = self.borrowers
        borrowed = np.bincount(self.last_approved, weights=self.last_originated, minlength=t.n)
        settle_month(t, paid_by_household, self.cfg.population, borrowed, spending)
        if spending is not None:
            restore_essentials(t, spending)

    def _complain(self, contacts: Contacts) -> Complaints:
        """Complaints about the month's contacts and disputes; public ones cost lenders reputation."""
        complaints, self.reputation = month_complaints(contacts, self.borrowers, self.book, self.cfg.behaviour,
                                                       self.cfg.network, self.reputation, self.streams["complaints"])
        return complaints

    def _lenders_learn(self, events: Events, contacts: Contacts) -> np.ndarray:
        """Agency fees are booked (returned by group); lenders learn their losses (credit supply)."""
        book = self.book
        by_agency, buyer_paid = np.zeros(len(self.groups)), np.empty(book.n)
        k = kernels.collections_by_collector(events.paid, book.view("collector"), int(Collector.AGENCY),
                                             int(Collector.BUYER), book.view("lender"), book.view("arm"),
                                             self.group_offset, by_agency, buyer_paid)
        fees = self.costs.book_agency_fees(by_agency, float(buyer_paid[:k].sum()))
        learn_losses(self.lenders, self.book, events, contacts, self.group_lender)
        return fees

    def _lender_books(self, agency_fees: np.ndarray) -> LenderBooks:
        """The lenders' running books at the end of the month, by outcome group."""
        hours = [used for lend in self.lenders for _, used, _ in lend.capacity_log[-len(lend.strategies):]]
        return LenderBooks(cumulative_costs=self.costs.by_group.copy(),
                           cumulative_fines=self.costs.fines_by_group.copy(), agency_fees=agency_fees,
                           cutoff=np.array([self.lenders[li].cutoff for li, _, _ in self.groups]),
                           expected_loss=np.array([self.lenders[li].expected_loss for li, _, _ in self.groups]),
                           collector_hours=np.asarray(hours, dtype=float))

    def _note_contacts(self, contacts: Contacts) -> None:
        """What lenders will observe next month of this month's contact."""
        book = self.book
        kernels.note_contacts(contacts.rows, contacts.attempts, contacts.visits, contacts.conversations,
                              book.view("contacts_last"), book.view("rpc_last"))

    def _record(self, record: Month) -> None:
        """Data collection (recorded months only); the book is compacted every third month."""
        m = record.month
        if m >= 0:
            self.recorder.record(record)
            self.datacollector.collect(self)
            if self.tracer is not None:
                self.tracer.record(record)
        else:
            self.recorder.note_burn_in(record)
        if m % 3 == 2:
            self._compact()

    # ---------------------------------------------------------------------------------------------
    # step pieces
    # ---------------------------------------------------------------------------------------------
    def group_of(self, rows: np.ndarray) -> np.ndarray:
        """Outcome group (lender arm) of loan rows."""
        return self.group_offset[self.book.lender[rows]] + self.book.arm[rows]

    def groups_in_book(self) -> np.ndarray:
        """Outcome group of every loan row in use."""
        return self.book.groups(self.group_offset)

    def _update_peers(self, any_30: np.ndarray, legal: np.ndarray) -> None:
        """What each household's neighbours did this month, for next month's decisions: the share 30+ days
        late (``any_30``) and the share sued or garnished (``legal``: households with a loan in litigation or under
        judgment)."""
        n = self.borrowers.n
        delinquent, sued = np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32)
        peers = self.peers  # both means at once (as peers @ x, bit for bit): from the flagged households when each
        # row's links share one weight (kernels.neighbour_shares_from_flagged), else over every link
        if self._peer_weight is not None:
            kernels.neighbour_shares_from_flagged(peers.indptr, peers.indices, self._peer_weight, any_30, legal,
                                                  delinquent, sued)
        else:
            kernels.neighbour_shares(peers.indptr, peers.indices, peers.data, any_30, legal, delinquent, sued)
        self._peer_state["delinquent"], self._peer_state["legal"] = delinquent, sued

    def _enforce_rules(self, contacts: Contacts, complaints: Complaints, payments: Payments) -> Enforcement:
        """Disputes pause collection where the regime requires validation; the regulator detects and fines
        violations and, if adaptive, tightens the caps when complaints stay high."""
        pause_disputed(self.regime, self.book, self.borrowers, payments.disputed, self.cfg.behaviour.notice_effect)
        made = complaints.category >= 0
        to_regulator = float(np.count_nonzero(complaints.channel[made] == Channel.REGULATOR))
        in_collection = max(float(self.recorder.in_collection.sum()), 1.0)
        per_1000 = 1000.0 * float(made.sum()) / in_collection
        fines, tighten = self.regulator.review(contacts.violations_by_group, to_regulator, per_1000,
                                               self.streams["regulator"])
        self.costs.book_fines(fines)
        if tighten:
            self.regime = self.regime.tightened()
        return Enforcement(fines_by_group=fines, tightened=tighten)

    def pressure(self) -> np.ndarray:
        """Collection pressure on every loan of the book (0-1): concave in the contact stock,
        ``1 - exp(-stock / behaviour.pressure_scale)``."""
        return collection_pressure(self.book, self.cfg.behaviour)

    def _litigation_clock(self) -> None:
        """Lawsuits age; at the lag a judgment is entered with the default-judgment probability or the
        case is dropped."""
        book = self.book
        age = book.view("litigation_age")
        pending = age >= 0
        age += pending  # one more month for each pending lawsuit
        lag = self.cfg.tactics.lawsuit_judgment_lag
        decided = np.flatnonzero(pending & (age > lag) & ~book.view("judgment"))  # `lag` months after filing
        if len(decided):
            wins = self.streams["contacts"].random(len(decided)) < self.cfg.tactics.default_judgment_share
            book.judgment[decided[wins]] = True
            book.litigation_age[decided[~wins]] = -1

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
class _Ledger:
    """The month's ledger events and what they mean for households (internal to the step)."""

    events: Events
    paid_by_household: np.ndarray  # $ paid on all its loans this month
    any_30plus: np.ndarray  # a loan on the book 30+ days past due at the end of the month
    legal: np.ndarray  # a loan in litigation or under judgment at the end of the month


@dataclass(frozen=True)
class _Accrual:
    """Interest, forbearance and accommodation of the month (internal to the step)."""

    interest: np.ndarray
    forborne: np.ndarray
    accommodation: AccommodationMonth | None
    accounts_on_book: np.ndarray  # per lender

    @property
    def shielded(self) -> np.ndarray | None:
        return None if self.accommodation is None else self.accommodation.shielded


def _latest(recorder: MonthlyRecorder, name: str):
    """A DataCollector reporter: the all-lenders value of ``name`` in the month just recorded."""

    def report(model: CollectionModel) -> float:
        return float(recorder.data[name][model.month, -1])

    return report


__all__ = ["CollectionModel", "HiddenTruth", "Observer", "Month"]
