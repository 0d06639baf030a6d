"""What a month produced: the typed records that pass between the steps of ``CollectionModel.step``.

Each step of the month (``sim.payments``, ``sim.contacts``, the ledger in ``sim.loans``, the lenders'
books in ``sim.lenders``) receives arrays and small context records and returns one of these; the
recorder (``sim.metrics.MonthlyRecorder``) and observers (``CollectionModel.observers``) read them.

Conventions: arrays "per loan" have one entry per row of the loan book as it stands during the month
(``book.n`` rows; the book is compacted only after the month's records are made, see
``CollectionModel.step``); arrays "per contacted row" follow :attr:`Contacts.rows`; arrays "per household"
have one entry per household; arrays "by group" have one entry per outcome group (a lender, or one arm of
a lender that tests challengers; ``CollectionModel.groups``). Money is in dollars. The records are frozen
(no field is reassigned); their arrays belong to the month and must be treated as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.tactics import Tactic, Treatment


@dataclass(frozen=True)
class Labour:
    """Jobs, income and the crisis levers on households this month (``sim.borrowers``)."""

    lost_job: np.ndarray  # per household: lost a job this month
    unemployment_rate: float  # share of households unemployed at the start of the month
    short_hours_rate: float  # share of employed households put on short hours this month
    transfers: np.ndarray | None  # per household: stimulus and programme payments added to income ($), or None


@dataclass(frozen=True)
class Origination:
    """New lending this month (``sim.lenders.CreditMarket``) and early repayments."""

    applicants: np.ndarray  # households that applied
    approved: np.ndarray  # households approved, one entry per new loan
    lent: np.ndarray  # principal lent, one entry per new loan ($)
    originated_by_group: np.ndarray  # principal lent by group ($)
    prepaid_by_group: np.ndarray  # balances repaid early by group ($)


@dataclass(frozen=True)
class Plan:
    """The treatments requested for this month's accounts in collection: by the lenders' strategies
    (rationed by collector capacity), the agency and the debt buyer."""

    rows: np.ndarray  # loan rows, sorted within the lenders' part, then the debt buyer's claims
    treatment: Treatment  # one row per entry of ``rows``
    who: np.ndarray  # per entry of ``rows``: who collects it (a ``sim.tactics.Collector``)


@dataclass(frozen=True)
class Contacts:
    """What the contact calendar did this month (``sim.contacts.run_contacts``), per contacted row unless
    said otherwise."""

    rows: np.ndarray  # loan rows contacted (as :attr:`Plan.rows`)
    who: np.ndarray  # who collects each row (a Collector)
    owner: np.ndarray  # household of each row
    group: np.ndarray  # outcome group of each row
    call_requests: np.ndarray  # calls requested, before any rule
    attempts: np.ndarray  # daytime call attempts made
    night: np.ndarray  # night call attempts made
    visits: np.ndarray  # home visits made
    conversations: np.ndarray  # right-party conversations (calls and visits)
    talked: np.ndarray  # at least one conversation
    promise: np.ndarray  # a promise to pay was made
    offered: np.ndarray  # an offer (plan, deferral, write-down, settlement) reached the household
    accepted: np.ndarray  # the offer was accepted
    settled_offer: np.ndarray  # a settlement offer was accepted
    sued: np.ndarray  # a lawsuit was filed
    placed: np.ndarray  # placed with the agency
    sold: np.ndarray  # sold to the debt buyer
    threatened: np.ndarray  # threatened with legal action in a conversation
    legal: np.ndarray  # in litigation or judgment after this month's suits
    reminded: np.ndarray  # a reminder (SMS, push or e-mail) restored attention
    third_party: np.ndarray  # calls to relatives and contacts
    social_media: np.ndarray  # a public post about the debt
    uses: dict[Tactic, np.ndarray]  # per tactic used this month: its uses on each row (the costs' base)
    reactance: np.ndarray  # per loan: fall in the payment logit this month
    harassment: np.ndarray  # harassment units
    writedown_rows: np.ndarray  # loan rows written down this month
    writedown_amounts: np.ndarray  # amount written down on each ($)
    sold_rows: np.ndarray  # loan rows sold this month
    sold_was_charged_off: np.ndarray  # per sold row: charged off before the sale
    sold_face: np.ndarray  # per sold row: the claim sold ($)
    sold_proceeds: np.ndarray  # per sold row: what the debt buyer paid ($)
    proceeds_by_group: np.ndarray  # sale proceeds ($)
    proceeds_co_by_group: np.ndarray  # sale proceeds on claims already charged off ($)
    sale_loss_by_group: np.ndarray  # face less proceeds on claims sold before charge-off ($)
    clipped: np.ndarray  # per Rule: requests the regime in force clipped (all collectors)
    would_clip: np.ndarray  # per Rule: requests the reference regime would have clipped
    violations: np.ndarray  # per Rule: forbidden requests executed by collectors that do not comply
    clipped_by_group: np.ndarray  # (group, Rule): as ``clipped``, lender-held accounts only
    would_clip_by_group: np.ndarray  # (group, Rule)
    violations_by_group: np.ndarray  # violations attributed to lender arms
    third_party_harm: float  # people who owe nothing contacted or exposed (all collectors)
    third_party_harm_by_group: np.ndarray
    stress_by_household: np.ndarray  # per household: stress added by contact (own and neighbours')


@dataclass(frozen=True)
class Reminders:
    """Reminders that restore attention this month, per loan."""

    before_due: np.ndarray  # pre-due reminders to current accounts (a strategy's ``reminders`` on them)
    reminded: np.ndarray  # any reminder that reached the household: pre-due, or in collection (Contacts)


@dataclass(frozen=True)
class BudgetSplit:
    """How households split what they can pay across their loans (``sim.borrowers.split_budget``)."""

    owner: np.ndarray  # per loan: its household (a copy, as ``lender``)
    lender: np.ndarray  # per loan: its lender (a copy, so the record outlives the book's compaction)
    budget: np.ndarray  # per household: what it can pay voluntarily, after garnishment ($, at least 0)
    wanted: np.ndarray  # per loan: what the household means to pay, after garnishment ($)
    paid: np.ndarray  # per loan: what it pays voluntarily ($)


@dataclass(frozen=True)
class Payments:
    """What each household pays on each loan this month (``sim.payments.decide_payments``), per loan."""

    due: np.ndarray  # amount due (a settlement's discounted claim where one was accepted)
    paid: np.ndarray  # voluntary payments plus garnishment
    disputed: np.ndarray  # the household disputes the amount (misread, or a record error)
    split: BudgetSplit


@dataclass(frozen=True)
class Events:
    """What the ledger recorded this month (``LoanBook.apply_payments`` and settlements), per loan."""

    paid: np.ndarray  # applied to the claim ($)
    paid_on_charged_off: np.ndarray  # recoveries on claims charged off before this month ($)
    due_while_current: np.ndarray
    paid_on_time: np.ndarray
    cured: np.ndarray
    rolled_60: np.ndarray
    new_episode: np.ndarray
    chargeoff: np.ndarray
    gross_chargeoff: np.ndarray  # charge-offs, settlements' and write-downs' forgiveness included ($)
    promise_kept: np.ndarray
    disputed: np.ndarray  # disputed, claims held by the debt buyer excepted
    settled: np.ndarray  # per settled loan: the amount forgiven ($)


@dataclass(frozen=True)
class Complaints:
    """Complaints drawn this month, per contacted row (as :attr:`Contacts.rows`)."""

    rows: np.ndarray
    category: np.ndarray  # a ``sim.complaints.Category``, or -1 for no complaint
    channel: np.ndarray  # a ``sim.complaints.Channel``


@dataclass(frozen=True)
class Enforcement:
    """The regulator's review of the month (``sim.regulation``; ``Regulator.review``)."""

    fines_by_group: np.ndarray  # fines on each group ($)
    tightened: bool  # the adaptive regulator tightened the caps


@dataclass(frozen=True)
class LenderBooks:
    """The lenders' running books at the end of the month (``sim.lenders.Costs``) and their credit supply."""

    cumulative_costs: np.ndarray  # (group, Tactic): collection costs since set-up ($)
    cumulative_fines: np.ndarray  # by group, since set-up ($)
    agency_fees: np.ndarray  # by group: contingency fees owed on this month's payments ($)
    cutoff: np.ndarray  # by group: the lender's approval cutoff
    expected_loss: np.ndarray  # by group: the lender's expected annual loss rate
    collector_hours: np.ndarray  # by group: collector hours used this month


@dataclass(frozen=True)
class Month:
    """Everything one month produced, in the order the steps made it; what observers receive."""

    month: int  # the month simulated (negative during burn-in)
    labour: Labour
    origination: Origination
    plan: Plan
    contacts: Contacts
    reminders: Reminders
    payments: Payments
    events: Events
    complaints: Complaints
    enforcement: Enforcement
    books: LenderBooks
    any_30plus: np.ndarray  # per household: a loan 30+ days past due at the end of the month
    consumption: np.ndarray | None  # per household: effective consumption (recorded months only)
