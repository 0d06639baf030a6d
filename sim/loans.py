"""Loans, held column-wise: origination, the monthly schedule, interest, fees, the payment waterfall,
days past due and buckets, cures, re-ageing by plans, charge-off, sale, and the ledger that proves that
every dollar is accounted for.

For every loan and every month::

    principal lent + interest charged + fees charged
        == outstanding on the book + repaid + written off + sold

where *outstanding on the book* is the claim (principal + interest + fees still owed) of a loan that is
neither charged off nor sold, *written off* is the claim at charge-off less what was recovered or sold
afterwards, and *sold* is the face value transferred to a debt buyer. Payments to a debt buyer after a
sale reduce the borrower's claim but belong to the buyer (``buyer_collected``), not to the lender.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from sim import kernels
from sim.tactics import Collector

if TYPE_CHECKING:
    from sim.config import Tactics

DAYS_PER_CYCLE = 30


class Status(IntEnum):
    """Status of a loan at the end of a month."""

    CURRENT = 0
    DELINQUENT = 1
    PLAN = 2  # on an instalment plan or a deferral
    LITIGATION = 3
    JUDGMENT = 4
    CHARGED_OFF = 5
    SOLD = 6
    PAID_OFF = 7
    CLOSED = 8  # charged off or sold and no longer collected


class Bucket(IntEnum):
    """Days-past-due buckets as banks report them."""

    CURRENT = 0
    DPD_1_29 = 1
    DPD_30_59 = 2
    DPD_60_89 = 3
    DPD_90_119 = 4
    DPD_120_149 = 5
    DPD_150_179 = 6
    DPD_180_PLUS = 7

    @property
    def label(self) -> str:
        return {0: "current", 7: "180+"}.get(self.value, f"{30 * (self.value - 1) or 1}-{30 * self.value - 1}")


BUCKET_EDGES = np.array([1, 30, 60, 90, 120, 150, 180])
ON_BOOK = np.array([s in (Status.CURRENT, Status.DELINQUENT, Status.PLAN, Status.LITIGATION, Status.JUDGMENT)
                    for s in Status])
def level_payment(amount: ArrayLike, rate: ArrayLike, months: ArrayLike) -> np.ndarray:
    """The level monthly payment that repays ``amount`` over ``months`` at the monthly ``rate`` (an annuity):
    ``amount r / (1 - (1 + r)^-n)``, written with expm1/log1p so that it stays accurate as the rate goes to
    zero, and ``amount / n`` when ``r n`` is below 1e-12 (a zero rate included)."""
    rate = np.asarray(rate, dtype=float)
    months = np.asarray(months, dtype=float)
    denominator = -np.expm1(-months * np.log1p(rate))
    return np.where(rate * months > 1e-12, amount * rate / np.where(denominator > 0, denominator, 1.0),
                    amount / months)


IN_COLLECTION_AFTER_CHARGE_OFF = 24  # months a charged-off or sold claim is still worked
REAGE_INTERVAL = 12  # an account is re-aged at most once in 12 months (FFIEC 2000 account management guidance)
NEVER = -32000


#: the events of a month that ``LoanBook.apply_payments`` returns, one entry per loan, in the kernel's order
_EVENTS = {"paid": np.float64, "paid_on_charged_off": np.float64, "due_while_current": np.bool_,
           "paid_on_time": np.bool_, "missed": np.bool_, "cured": np.bool_, "rolled_60": np.bool_,
           "new_episode": np.bool_, "chargeoff": np.bool_, "gross_chargeoff": np.float64, "paid_off": np.bool_,
           "broken_plan": np.bool_, "late_fee": np.float64}
#: the events among them that only ``apply_payments(..., details=True)`` writes (the month's records,
#: ``sim.records.Events``, read none of them)
EVENT_DETAILS = ("missed", "paid_off", "broken_plan", "late_fee")
_NO_SHARE = np.ones(0)
_NO_FLAGS = np.zeros(0, dtype=bool)


def bucket_of(dpd: np.ndarray) -> np.ndarray:
    """Bucket (a Bucket value) of each days-past-due figure."""
    dpd = np.asarray(dpd)
    out = np.empty(dpd.shape, dtype=np.int8)
    kernels.buckets(dpd.reshape(-1), out.reshape(-1))
    return out


FLOAT_COLUMNS = (
    "principal_lent", "principal", "interest", "fees", "interest_charged", "fees_charged", "repaid",
    "written_off", "sold", "buyer_collected", "arrears", "instalment", "apr", "scheduled", "paid_last",
    "episode_exposure", "plan_arrears", "contractual",
)
COLUMNS = {
    **{name: np.float64 for name in FLOAT_COLUMNS},
    "goodwill": np.float32,
    "goodwill_base": np.float32,  # goodwill at origination, towards which goodwill recovers
    "pressure": np.float32,  # the contact stock (pressure is concave in it: see CollectionModel._decide_payments)
    "threat": np.float32,  # weight of threats of legal action, by their credibility, fading
    "score_observed": np.float32,
    "loan_id": np.int64,  # stable identifier (rows move when the book is compacted)
    "borrower": np.int32,
    "lender": np.int16,
    "months_on_book": np.int16,
    "term": np.int16,
    "cycles": np.int16,
    "dpd": np.int16,
    "chargeoff_days": np.int16,
    "due_day": np.int8,
    "plan_left": np.int16,
    "deferral_left": np.int16,
    "litigation_age": np.int16,  # -1 when not in litigation
    "months_since_chargeoff": np.int16,  # -1 before charge-off
    "broken_promises": np.int16,
    "reaged_month": np.int16,  # month of the last re-ageing (plan or deferral); -32000 if never
    "contacts_last": np.int16,
    "rpc_last": np.int16,
    "status": np.int8,
    "collector": np.int8,
    "arm": np.int8,  # champion (0) or challenger arm of the lender
    "settlement_offer": np.bool_,  # a settlement was accepted this month
    "dispute_pause": np.int8,  # months collection stays paused after a written dispute (regimes with validation)
    "is_card": np.bool_,
    "judgment": np.bool_,
    "garnish_order": np.int8,  # under judgment: 0 an order to seek, 1 wages garnished, 2 none (see sim.payments)
    "promise": np.bool_,
    "disputed": np.bool_,
    "record_error": np.bool_,  # the lender's record of the amount owed is wrong
    "in_episode": np.bool_,  # in a delinquency episode (from the first missed payment to a cure by payment)
    "accommodated": np.bool_,  # enrolled in its lender's accommodation programme (until the programme ends)
    "accommodation_left": np.int8,  # months of payments still paused by the accommodation
}


@dataclass(frozen=True)
class ProductTerms:
    """Per-lender product terms as plain arrays indexed by lender id (for vectorised lookups)."""

    is_card: np.ndarray
    apr: np.ndarray
    apr_risk_spread: np.ndarray
    min_payment_share: np.ndarray
    min_payment_floor: np.ndarray
    term: np.ndarray
    late_fee: np.ndarray
    chargeoff_days: np.ndarray
    limit_income_multiple: np.ndarray


@dataclass(frozen=True)
class AccommodationMonth:
    """What lenders' accommodation programmes do to each loan row this month (``sim.lenders.accommodate``)."""

    paused: np.ndarray  # payments paused (treated like forbearance: nothing scheduled, no ageing, no late fee)
    interest_free: np.ndarray  # no interest accrues
    fee_waived: np.ndarray  # no late fee even if a payment is missed
    shielded: np.ndarray  # nothing adverse reaches the credit record (reported as current)
    payment_share: np.ndarray  # share of the contractual payment scheduled (below 1 on a ramp back)


class LoanBook:
    """All loans of all lenders, one row per loan, in growable numpy columns.

    Rows ``0 .. n - 1`` are in use. Closed loans are archived by :meth:`compact`, which folds their
    ledger into per-lender totals so that money is still accounted for.
    """

    def __init__(self, n_lenders: int, capacity: int = 1024) -> None:
        self.n = 0
        self.next_id = 0
        self.compactions = 0  # how many times :meth:`compact` removed rows (the only time rows move)
        self.n_lenders = n_lenders
        self.plan_payment_share = 0.6  # the model sets it from tactics.plan_payment_share
        self._capacity = max(16, capacity)
        for name, dtype in COLUMNS.items():
            setattr(self, name, np.zeros(self._capacity, dtype=dtype))
        self.archived = {name: np.zeros(n_lenders) for name in self.LEDGER}

    LEDGER = ("principal_lent", "interest_charged", "fees_charged", "repaid", "written_off", "sold",
              "buyer_collected")

    # ---------------------------------------------------------------------------------------------
    # storage
    # ---------------------------------------------------------------------------------------------
    def _grow(self, needed: int) -> None:
        if needed <= self._capacity:
            return
        new = max(needed, int(self._capacity * 1.1))  # a running book grows slowly: small steps
        for name in COLUMNS:
            col = getattr(self, name)
            grown = np.zeros(new, dtype=col.dtype)
            grown[: self.n] = col[: self.n]
            setattr(self, name, grown)
        self._capacity = new

    def view(self, name: str) -> np.ndarray:
        """The in-use part of a column (a view: writes go to the book)."""
        return getattr(self, name)[: self.n]

    def originate(
        self,
        borrower: np.ndarray,
        lender: np.ndarray,
        amount: np.ndarray,
        apr: np.ndarray,
        terms: ProductTerms,
        goodwill: np.ndarray,
        score_observed: np.ndarray,
        due_day: np.ndarray,
        months_on_book: np.ndarray | None = None,
    ) -> np.ndarray:
        """Append new loans; return their row indices."""
        k = len(borrower)
        start = self.n
        self._grow(start + k)
        rows = np.arange(start, start + k)
        new = slice(start, start + k)  # the same rows, written as a slice (no index array to follow)
        self.n = start + k
        cols = {name: getattr(self, name) for name in COLUMNS}
        for name in COLUMNS:
            cols[name][new] = 0
        cols["loan_id"][new] = np.arange(self.next_id, self.next_id + k)
        self.next_id += k
        cols["borrower"][new] = borrower
        cols["lender"][new] = lender
        cols["principal_lent"][new] = amount
        cols["principal"][new] = amount
        cols["apr"][new] = apr
        cols["is_card"][new] = terms.is_card[lender]
        term = terms.term[lender]
        cols["term"][new] = term
        cols["instalment"][new] = level_payment(amount, apr / 12.0, term)
        cols["chargeoff_days"][new] = terms.chargeoff_days[lender]
        cols["due_day"][new] = due_day
        cols["goodwill"][new] = goodwill
        cols["goodwill_base"][new] = goodwill
        cols["score_observed"][new] = score_observed
        cols["litigation_age"][new] = -1
        cols["reaged_month"][new] = NEVER
        cols["months_since_chargeoff"][new] = -1
        cols["status"][new] = Status.CURRENT
        cols["collector"][new] = Collector.LENDER
        if months_on_book is not None:
            cols["months_on_book"][new] = months_on_book
        return rows

    def compact(self) -> int:
        """Archive paid-off and closed loans; return how many rows were removed."""
        gone = self.view("status") >= Status.PAID_OFF  # paid off or closed, the last two statuses
        removed = int(gone.sum())
        if removed == 0:
            return 0
        lender = self.view("lender")
        # in place, no gathered copy of each column; the ledger of the loans gone is archived by lender as it is
        # moved (before the lenders themselves move)
        for names in LEDGER_TOGETHER:
            archived = np.zeros((len(names), self.n_lenders))
            kernels.drop_rows_archiving(tuple(self.view(name) for name in names), gone, lender, archived)
            for q, name in enumerate(names):
                self.archived[name] += archived[q]
        for names in MOVED_TOGETHER:
            kept = kernels.drop_rows(tuple(self.view(name) for name in names), gone)
        self.n = kept
        self.compactions += 1
        return removed

    # ---------------------------------------------------------------------------------------------
    # derived quantities
    # ---------------------------------------------------------------------------------------------
    def claim(self) -> np.ndarray:
        """What each borrower still owes on each loan (principal + interest + fees)."""
        out = np.empty(self.n)
        kernels.claim(self.view("principal"), self.view("interest"), self.view("fees"), out)
        return out

    def rows_collected_where(self, flags: np.ndarray) -> np.ndarray:
        """The rows (increasing) of the loans still collected (:meth:`collecting`) where ``flags`` (per loan) holds."""
        rows = np.empty(self.n, dtype=np.int64)
        k = kernels.rows_collected_where(flags, self.view("status"), rows)
        return rows[:k]

    def rows_collected_by(self, first: int, second: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows (increasing) of the loans still collected (:meth:`collecting`) whose ``collector`` is ``first``,
        and those whose collector is ``second`` (``Collector`` values), in one pass."""
        first_rows, second_rows = np.empty(self.n, dtype=np.int64), np.empty(self.n, dtype=np.int64)
        j, k = kernels.rows_collected_by(self.view("status"), self.view("collector"), int(first), int(second),
                                         first_rows, second_rows)
        return first_rows[:j], second_rows[:k]

    def rows_with_status(self, status: Status, lender: int = -1) -> np.ndarray:
        """The rows (increasing) of the loans with ``status``, of every lender or only of ``lender``."""
        rows = np.empty(self.n, dtype=np.int64)
        k = kernels.rows_with_status(self.view("status"), int(status), self.view("lender"), lender, rows)
        return rows[:k]

    def claim_of(self, rows: np.ndarray) -> np.ndarray:
        """What each borrower still owes on the loans ``rows`` (row numbers or a mask of the rows in use): principal
        + interest + fees, the same numbers as ``claim()[rows]`` without computing the claim of every loan."""
        return self.view("principal")[rows] + self.view("interest")[rows] + self.view("fees")[rows]

    def groups(self, group_offset: np.ndarray) -> np.ndarray:
        """The outcome group (lender arm) of every loan: ``group_offset[lender] + arm``, ``group_offset`` being each
        lender's first group (int64)."""
        out = np.empty(self.n, dtype=np.int64)
        kernels.outcome_groups(self.view("lender"), self.view("arm"), group_offset, out)
        return out

    def on_book(self) -> np.ndarray:
        """Loans on their lender's book (``ON_BOOK``: current, delinquent, plan, litigation, judgment)."""
        out = np.empty(self.n, dtype=bool)
        kernels.on_book(self.view("status"), out)
        return out

    def outstanding(self) -> np.ndarray:
        """Claim carried on the lender's book: zero once charged off or sold."""
        return np.where(self.on_book(), self.claim(), 0.0)

    def ledger_gap(self) -> np.ndarray:
        """Relative error of the accounting identity for every loan (should be below 1e-9)."""
        lhs = self.view("principal_lent") + self.view("interest_charged") + self.view("fees_charged")
        rhs = self.outstanding() + self.view("repaid") + self.view("written_off") + self.view("sold")
        return np.abs(lhs - rhs) / np.maximum(lhs, 1.0)

    def collecting(self) -> np.ndarray:
        """Loans whose claim is still being collected by someone."""
        status = self.view("status")
        return status < Status.PAID_OFF

    def in_collection(self) -> np.ndarray:
        """Loans in their lender's collection: on the book and late, on a plan or deferral, in litigation or
        under judgment, or charged off and still held by the lender (not sold). These are the accounts a
        lender observes (:func:`observe`) and the denominator of rates "per account in collection"."""
        out = np.empty(self.n, dtype=bool)
        v = self.view
        kernels.in_collection(v("status"), v("cycles"), v("plan_left"), v("deferral_left"), v("litigation_age"),
                              v("judgment"), out)
        return out

    # ---------------------------------------------------------------------------------------------
    # the month's accounting
    # ---------------------------------------------------------------------------------------------
    def reage(self, rows: np.ndarray, month: int) -> None:
        """Re-age accounts entering a plan or deferral: arrears are set aside (restored if a plan breaks)
        and the account counts as current."""
        self.plan_arrears[rows] = self.arrears[rows]
        self.arrears[rows] = 0.0
        self.cycles[rows] = 0
        self.dpd[rows] = 0
        self.reaged_month[rows] = month

    def write_down(self, rows: np.ndarray, share: float) -> np.ndarray:
        """Forgive ``share`` of the principal of ``rows`` (written off); return the amounts."""
        amount = self.principal[rows] * share
        self.principal[rows] -= amount
        self.written_off[rows] += amount
        self.instalment[rows] *= 1.0 - share
        return amount

    def settle(self, rows: np.ndarray) -> np.ndarray:
        """Forgive what is left of the claim of ``rows`` after a settlement was paid (written off, or
        for a charged-off loan already counted there) and close them; return the amounts forgiven."""
        forgiven = self.claim_of(rows)
        on_book = ON_BOOK[self.status[rows]]
        self.written_off[rows] += np.where(on_book, forgiven, 0.0)
        for name in ("principal", "interest", "fees", "arrears"):
            getattr(self, name)[rows] = 0.0
        self.status[rows] = Status.PAID_OFF
        self.cycles[rows] = 0
        self.dpd[rows] = 0
        return forgiven

    def enrol(self, rows: np.ndarray, pause_months: int, report_current: bool, month: int) -> None:
        """Enrol accounts in their lender's accommodation programme: payments pause for ``pause_months``;
        with ``report_current``, an account in arrears is re-aged to current (its arrears stop being due now
        but stay part of the claim; ``plan_arrears`` is left alone)."""
        self.accommodated[rows] = True
        self.accommodation_left[rows] = pause_months
        if report_current:
            late = rows[self.cycles[rows] > 0]
            self.arrears[late] = 0.0
            self.cycles[late] = 0
            self.dpd[late] = 0
            self.reaged_month[late] = month

    def end_accommodation(self, lender: int) -> None:
        """The lender's programme is over: its accounts are no longer accommodated."""
        mine = self.view("lender") == lender
        self.view("accommodated")[mine] = False
        self.view("accommodation_left")[mine] = 0

    def can_reage(self, rows: np.ndarray, month: int) -> np.ndarray:
        return month - self.reaged_month[rows].astype(np.int32) >= REAGE_INTERVAL

    def accrue_interest(self, forborne: np.ndarray, forbearance_accrues: bool) -> np.ndarray:
        """Add a month's interest to on-book loans; return the interest charged per loan."""
        interest = np.empty(self.n)
        kernels.accrue_interest(self.view("principal"), self.view("apr"), self.view("status"), forborne,
                                forbearance_accrues, self.view("interest"), self.view("interest_charged"), interest)
        return interest

    def schedule(self, interest_this_month: np.ndarray, terms: ProductTerms, forborne: np.ndarray,
                 payment_share: np.ndarray | None = None) -> None:
        """Set this month's contractual payment of every loan, the column ``scheduled`` (zero while forborne or
        deferred). Charged-off and sold claims are asked for a twelfth of the claim a month. With
        ``payment_share`` (accounts coming back from an accommodation on a ramp), only that share of the
        contractual payment is scheduled."""
        v = self.view
        kernels.schedule_payments(
            v("principal"), v("interest"), v("fees"), interest_this_month, v("lender"), v("status"), v("is_card"),
            v("months_on_book"), v("term"), v("instalment"), v("plan_left"), v("deferral_left"), forborne,
            terms.min_payment_floor, terms.min_payment_share, self.plan_payment_share,
            _NO_SHARE if payment_share is None else payment_share, payment_share is not None,
            v("contractual"), v("scheduled"))

    def amount_due(self) -> np.ndarray:
        """This month's payment plus arrears, capped at the claim."""
        out = np.empty(self.n)
        kernels.amount_due(self.view("scheduled"), self.view("arrears"), self.view("principal"), self.view("interest"),
                           self.view("fees"), out)
        return out

    def apply_payments(self, paid: np.ndarray, terms: ProductTerms, forborne: np.ndarray,
                       month: int | None = None, fee_waived: np.ndarray | None = None,
                       details: bool = True) -> dict[str, np.ndarray]:
        """Apply payments (fees, then interest, then principal), update arrears, cycles, days past due,
        late fees, plans, cures and charge-offs. Return this month's events as boolean or money arrays;
        with ``details=False`` (the model's month) without ``EVENT_DETAILS`` (missed payments, pay-offs, broken
        plans, late fees), which are then not written. Accounts in ``fee_waived`` (an accommodation that waives
        late fees) are charged no late fee: the fee is never charged, so nothing is written off for it.
        """
        v, n = self.view, self.n
        events = {name: np.empty(n if details or name not in EVENT_DETAILS else 0, dtype=dtype)
                  for name, dtype in _EVENTS.items()}
        kernels.apply_payments_pass(
            paid, terms.late_fee, forborne, _NO_FLAGS if fee_waived is None else fee_waived, fee_waived is not None,
            0 if month is None else month, month is not None, self.plan_payment_share,
            v("lender"), v("scheduled"), v("contractual"), v("instalment"), v("is_card"), v("due_day"),
            v("chargeoff_days"), v("reaged_month"),
            v("principal"), v("interest"), v("fees"), v("repaid"), v("written_off"), v("buyer_collected"),
            v("paid_last"), v("fees_charged"), v("arrears"), v("plan_left"), v("plan_arrears"), v("deferral_left"),
            v("cycles"), v("dpd"), v("in_episode"), v("episode_exposure"), v("status"), v("months_since_chargeoff"),
            v("months_on_book"), *events.values(), details)
        if not details:
            for name in EVENT_DETAILS:
                del events[name]
        return events

    def refresh_status(self) -> None:
        """Set the status of loans that are still on the book from their flags."""
        v = self.view
        kernels.refresh_status(v("status"), v("cycles"), v("plan_left"), v("deferral_left"), v("litigation_age"),
                               v("judgment"))

    def prepay(self, rows: np.ndarray) -> np.ndarray:
        """Repay the whole claim of ``rows`` from outside (a refinance); return the amounts."""
        amount = self.claim_of(rows)
        self.repaid[rows] += amount
        for name in ("principal", "interest", "fees", "arrears"):
            getattr(self, name)[rows] = 0.0
        self.status[rows] = Status.PAID_OFF
        return amount

    def sell(self, rows: np.ndarray, price: float) -> np.ndarray:
        """Sell the claims of ``rows`` to the debt buyer; return the proceeds."""
        face = self.claim_of(rows)
        was_charged_off = self.status[rows] == Status.CHARGED_OFF
        self.written_off[rows] -= np.where(was_charged_off, face, 0.0)
        self.sold[rows] += face
        self.status[rows] = Status.SOLD
        self.collector[rows] = Collector.BUYER
        self.arrears[rows] = 0.0
        self.plan_left[rows] = 0
        self.deferral_left[rows] = 0
        self.litigation_age[rows] = -1
        self.judgment[rows] = False
        mco = self.months_since_chargeoff
        mco[rows] = np.where(mco[rows] < 0, 0, mco[rows])
        return face * price


#: the book's columns a compaction moves (all but ``LoanBook.LEDGER``, which are archived as they move), four
#: to a pass (``kernels.drop_rows``): one pass moving several columns reads the mask of rows gone and advances its
#: write position once for all of them
_MOVED = [name for name in COLUMNS if name not in LoanBook.LEDGER]
MOVED_TOGETHER = tuple(tuple(_MOVED[k:k + 4]) for k in range(0, len(_MOVED), 4))
#: the ledger columns, archived as they move, four to a pass (``kernels.drop_rows_archiving``)
LEDGER_TOGETHER = tuple(LoanBook.LEDGER[k:k + 4] for k in range(0, len(LoanBook.LEDGER), 4))


@dataclass
class Observation:
    """What a lender sees of its accounts in collection, one element per account in every array.

    Only what a lender can observe: its own records (which may be wrong), payments, contacts and its
    noisy score; never the borrower's income, savings, employment or willingness, and never where the
    account sits in the model's book. A strategy that remembers accounts keys them by ``loan_id``.
    """

    month: int  # the model's month (0 = the first month of the burn-in)
    loan_id: NDArray[np.int64]  # the account's stable identifier
    dpd: NDArray[np.int16]  # days past due
    cycles: NDArray[np.int16]  # missed payment cycles (0 = current)
    bucket: NDArray[np.int8]  # days-past-due bucket, a Bucket value
    claim: NDArray[np.float64]  # what the lender's records say is owed: principal, interest and fees, $
    scheduled: NDArray[np.float64]  # the payment due this month, $
    arrears: NDArray[np.float64]  # past-due amount, $
    months_on_book: NDArray[np.int16]  # months since the account was opened
    status: NDArray[np.int8]  # a Status value
    collector: NDArray[np.int8]  # who works the account, a Collector value (the lender, its agency)
    paid_last: NDArray[np.float64]  # what the household paid on the account last month, $
    broken_promises: NDArray[np.int16]  # promises to pay the household has broken
    contacts_last: NDArray[np.int16]  # contact attempts last month
    rpc_last: NDArray[np.int16]  # right-party contacts (conversations) last month
    disputed: NDArray[np.bool_]  # the household disputes the debt
    on_plan: NDArray[np.bool_]  # on an instalment plan or a deferral
    in_litigation: NDArray[np.bool_]  # a lawsuit is pending or decided
    judgment: NDArray[np.bool_]  # a court judgment was entered
    charged_off: NDArray[np.bool_]  # charged off and still held
    months_since_chargeoff: NDArray[np.int16]  # -1 before charge-off
    score: NDArray[np.float32]  # the lender's noisy score of the household, 0-1 (higher: better payer)
    is_card: NDArray[np.bool_]  # a card account (else an instalment loan)
    uses_app: NDArray[np.bool_]  # the household uses the lender's app (the lender sees its log-ins)
    capacity_hours: float = 0.0  # collector hours available to this strategy this month
    tactics: Tactics | None = None  # the scenario's tactic parameters (costs, hours, prices), as the lender knows them
    # accounts of the lender that were in collection last month and have left it (cured, paid off, settled,
    # re-aged or closed): their ids (sorted) and whether each paid something last month, from the lender's
    # own ledger; lenders learn from them (an account that cured paid). Not per account of this month:
    # ``subset`` passes them whole.
    left_ids: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    left_paid: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # True for an observation of the lender's current accounts before their due date (:func:`current_rows`):
    # what a strategy requests for them is its pre-due treatment (reminders only)
    before_due: bool = False

    ACROSS_ACCOUNTS: ClassVar[tuple[str, ...]] = ("left_ids", "left_paid")

    def __len__(self) -> int:
        return len(self.loan_id)

    @classmethod
    def scripted(cls, n: int, month: int = 0, **columns: object) -> Observation:
        """An observation of ``n`` made-up accounts, for testing a strategy against scripted borrowers.

        Unspecified columns take neutral defaults (a current card account owing $2,000, score 0.5);
        ``dpd`` sets ``cycles`` and ``bucket`` consistently unless they are given too.

        Raises:
            TypeError: a column that observations do not have.
        """
        def col(name: str, default: ArrayLike, dtype: DTypeLike) -> np.ndarray:
            value = columns.pop(name, default)
            return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

        dpd = col("dpd", 0, np.int16)
        cycles = col("cycles", np.where(dpd > 0, dpd // DAYS_PER_CYCLE + 1, 0), np.int16)
        charged_off = col("charged_off", False, bool)
        tactics = columns.pop("tactics", None)
        obs = cls(
            month=month,
            loan_id=col("loan_id", np.arange(n), np.int64),
            dpd=dpd,
            cycles=cycles,
            bucket=bucket_of(dpd),
            claim=col("claim", 2000.0, float),
            scheduled=col("scheduled", 60.0, float),
            arrears=col("arrears", 60.0 * cycles, float),
            months_on_book=col("months_on_book", 12, np.int16),
            status=col("status", np.where(charged_off, Status.CHARGED_OFF,
                                          np.where(cycles > 0, Status.DELINQUENT, Status.CURRENT)), np.int8),
            collector=col("collector", Collector.LENDER, np.int8),
            paid_last=col("paid_last", 0.0, float),
            broken_promises=col("broken_promises", 0, np.int16),
            contacts_last=col("contacts_last", 0, np.int16),
            rpc_last=col("rpc_last", 0, np.int16),
            disputed=col("disputed", False, bool),
            on_plan=col("on_plan", False, bool),
            in_litigation=col("in_litigation", False, bool),
            judgment=col("judgment", False, bool),
            charged_off=charged_off,
            months_since_chargeoff=col("months_since_chargeoff", np.where(charged_off, 1, -1), np.int16),
            score=col("score", 0.5, np.float32),
            is_card=col("is_card", True, bool),
            uses_app=col("uses_app", False, bool),
            capacity_hours=float(columns.pop("capacity_hours", 1e9)),
            tactics=tactics,
            left_ids=np.asarray(columns.pop("left_ids", np.zeros(0)), dtype=np.int64),
            left_paid=np.asarray(columns.pop("left_paid", np.zeros(0)), dtype=bool),
        )
        if columns:
            raise TypeError(f"unknown observation columns: {', '.join(sorted(columns))}")
        return obs

    def subset(self, mask: np.ndarray) -> Observation:
        """The observation of a subset of accounts (same month and context)."""
        out = {}
        for name, value in vars(self).items():
            per_account = isinstance(value, np.ndarray) and name not in self.ACROSS_ACCOUNTS
            out[name] = value[mask] if per_account else value
        return Observation(**out)


def collection_rows(book: LoanBook, lender: int) -> np.ndarray:
    """The rows of the book that hold ``lender``'s accounts in collection (:meth:`LoanBook.in_collection`),
    in book order: what :func:`observe` shows the lender, one row per account."""
    v = book.view
    rows = np.empty(book.n, dtype=np.int64)
    k = kernels.collection_rows_of(lender, v("lender"), v("status"), v("cycles"), v("plan_left"), v("deferral_left"),
                                   v("litigation_age"), v("judgment"), rows)
    return rows[:k]


def current_rows(book: LoanBook, lender: int) -> np.ndarray:
    """The rows of the book that hold ``lender``'s current accounts: what it observes before the due date
    (``observe(..., before_due=True)``) to send pre-due reminders."""
    return book.rows_with_status(Status.CURRENT, lender)


def observe(book: LoanBook, rows: np.ndarray, month: int, uses_app: np.ndarray | None = None,
            previous_ids: np.ndarray | None = None, before_due: bool = False) -> Observation:
    """The accounts at ``rows`` of the book (a lender's accounts in collection, :func:`collection_rows`) as
    the lender sees them. With ``previous_ids`` (the sorted ids it observed last month), also the accounts
    that have left collection since, with what they paid last month (an account archived from the book was
    paid off: it counts as having paid). With ``before_due``, ``rows`` are the lender's current accounts
    (:func:`current_rows`) seen before their due date (``Observation.before_due``)."""
    v = book.view
    rows = np.asarray(rows, dtype=np.int64)
    k = len(rows)
    # one pass over the rows gathers every column (kernels.observed_accounts), into arrays of the book's dtypes
    names = ("loan_id", "dpd", "cycles", "bucket", "claim", "scheduled", "arrears", "months_on_book", "status",
             "collector", "paid_last", "broken_promises", "contacts_last", "rpc_last", "disputed", "on_plan",
             "in_litigation", "judgment", "charged_off", "months_since_chargeoff", "score", "is_card", "uses_app")
    dtypes = {"bucket": np.int8, "claim": np.float64, "on_plan": np.bool_, "in_litigation": np.bool_,
              "charged_off": np.bool_, "score": np.float32, "uses_app": np.bool_}
    out = {name: np.empty(k, dtype=dtypes.get(name) or COLUMNS[name]) for name in names}
    kernels.observed_accounts(
        rows, _NO_FLAGS if uses_app is None else uses_app, v("loan_id"), v("dpd"), v("cycles"), v("scheduled"),
        v("arrears"), v("months_on_book"), v("status"), v("collector"), v("paid_last"), v("broken_promises"),
        v("contacts_last"), v("rpc_last"), v("disputed"), v("judgment"), v("months_since_chargeoff"),
        v("score_observed"), v("is_card"), v("borrower"), v("principal"), v("interest"), v("fees"), v("plan_left"),
        v("deferral_left"), v("litigation_age"), *out.values())
    return Observation(
        month=month,
        **out,
        **_left_collection(book, out["loan_id"], previous_ids),
        before_due=before_due,
    )


def _left_collection(book: LoanBook, current_ids: np.ndarray, previous_ids: np.ndarray | None) -> dict:
    if previous_ids is None or not len(previous_ids):
        return {}
    left = np.empty(len(previous_ids), dtype=np.int64)
    k = kernels.left_collection(previous_ids, current_ids, left)  # both sorted, as lenders observe: one merge
    left = left[:k] if k >= 0 else np.setdiff1d(previous_ids, current_ids, assume_unique=True)
    if not book.n:
        return {"left_ids": left, "left_paid": np.ones(len(left), dtype=bool)}
    ids = book.view("loan_id")  # ascending: loans are appended in id order and compaction keeps the order
    pos = np.minimum(np.searchsorted(ids, left), book.n - 1)
    found = ids[pos] == left
    # a loan no longer on the book was archived after it was paid off (or closed long after charge-off)
    paid = np.where(found, book.view("paid_last")[pos] > 0, True)
    return {"left_ids": left, "left_paid": paid}
