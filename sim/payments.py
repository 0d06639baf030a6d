"""What a household pays, to whom: the month's payment decision on every loan of the book.

:func:`decide_payments` (ODD section 7.6) turns the state of each loan and its household into a payment:

- intention: a logistic of willingness, collection pressure, legal consequence (suits, judgments, credible
  threats), goodwill and the lender's reputation, neighbours' behaviour, debt overhang, how far behind the
  account is, stress, a promise made this month, and the reactance contact provoked (``sim.contacts``);
  a delinquent household that means to pay clears its arrears only some of the time;
- attention: a household forgets a payment with its inattention, less often after a reminder;
- misreading: it misreads the amount (pays half) with its misunderstanding, less after education;
- disputes: it will not pay an amount its lender's records got wrong;
- garnishment: after a judgment, once an order reaches its employer, part of its wages above essentials is
  taken first (:func:`garnish_wages`);
- the split: a household that cannot pay all it means to pays first what has legal consequences, then the
  loudest creditor (the rule of ``sim.borrowers.split_budget``, which the fused kernel
  ``sim.kernels.split_short_budgets`` applies to the short households' loans with the same arithmetic).

The step draws from the ``behaviour`` stream only (four uniforms per loan, one per loan under judgment, then
one per disputed record error), marks disputes, corrects some record errors and counts broken promises on the book.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import kernels
from sim.borrowers import DRAWDOWN, BorrowerTable
from sim.config import Behaviour, NetworkConfig, Tactics
from sim.loans import LoanBook
from sim.records import BudgetSplit, Payments


@dataclass(frozen=True)
class PaymentSetting:
    """What the payment decision needs to know of the world besides the book and the households."""

    behaviour: Behaviour
    tactics: Tactics
    network: NetworkConfig
    reputation: np.ndarray  # per lender: -1..1, falls with public complaints
    peer_delinquent: np.ndarray  # per household: share of neighbours 30+ days late last month
    peer_legal: np.ndarray  # per household: share of neighbours sued or garnished last month


@dataclass(frozen=True)
class HiddenTruth:
    """Why each loan of the book was or was not paid this month, as only the model knows it."""

    loan_id: np.ndarray
    due: np.ndarray  # amount due this month
    unwilling: np.ndarray  # the household did not intend to pay this loan
    cash_short: np.ndarray  # it intended to, but its budget could not cover all it meant to pay


def collection_pressure(book: LoanBook, behaviour: Behaviour) -> np.ndarray:
    """Collection pressure on every loan of the book (0-1): concave in the contact stock,
    ``1 - exp(-stock / behaviour.pressure_scale)``."""
    scale = np.float32(behaviour.pressure_scale)
    return -np.expm1(-book.view("pressure") / scale)


#: a garnishment order's states (the book's ``garnish_order``): to seek, in force, none (the creditor stopped trying)
ORDER_TO_SEEK, ORDER_IN_FORCE, ORDER_NONE = 0, 1, 2


def garnish_wages(book: LoanBook, t: BorrowerTable, tac: Tactics, rng: np.random.Generator) -> np.ndarray:
    """Per loan: the wages garnished this month under a judgment ($), after the garnishment orders move on.

    A judgment only garnishes once an order is served on the household's employer (the loan's
    ``garnish_order``: ``ORDER_TO_SEEK``, ``ORDER_IN_FORCE`` or ``ORDER_NONE``). The creditor seeks one in a month the
    household is at work, and gets it served with ``tactics.garnishment_order_share``, never where wages are
    exempt (``BorrowerTable.wages_exempt``); if not, it stops trying. An order ends with the job: when the
    household loses it, or changes employer (``tactics.garnishment_job_change`` a month); the creditor seeks a
    new one at the next job. Under an order, ``tactics.garnishment_share`` of the earnings above essentials is
    taken, shared among the household's garnished loans and at most each claim; nothing is taken from
    unemployment benefits. One uniform draw per loan under judgment, from ``rng``.
    """
    rows, amounts = wage_garnishments(book, t, tac, rng)
    garnish = np.zeros(book.n)
    garnish[rows] = amounts
    return garnish


def wage_garnishments(book: LoanBook, t: BorrowerTable, tac: Tactics,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """:func:`garnish_wages` as the loans under an order in force (rows, increasing) and what is taken on each."""
    judged = book.rows_collected_where(book.view("judgment"))
    if not len(judged):
        return judged, np.zeros(0)
    jowner = book.view("borrower")[judged]
    order = book.view("garnish_order")
    state = order[judged]
    employed = t.employed[jowner]
    u = rng.random(len(judged))
    lapse = (state == ORDER_IN_FORCE) & (~employed | (u < tac.garnishment_job_change))
    seek = (state == ORDER_TO_SEEK) & employed
    served = seek & (u < tac.garnishment_order_share) & ~t.wages_exempt[jowner]
    state = np.where(lapse, ORDER_TO_SEEK, np.where(served, ORDER_IN_FORCE, np.where(seek, ORDER_NONE, state)))
    order[judged] = state.astype(np.int8)
    on = state == ORDER_IN_FORCE
    rows, owners = judged[on], jowner[on]
    if not len(rows):
        return rows, np.zeros(0)
    free_income = np.maximum(t.income[owners] - t.essentials[owners], 0.0)
    _, household, count = np.unique(owners, return_inverse=True, return_counts=True)
    n_garnished = count[household]  # each loan's household's garnished loans
    return rows, np.minimum(tac.garnishment_share * free_income / n_garnished, book.claim_of(rows))


def decide_payments(setting: PaymentSetting, book: LoanBook, t: BorrowerTable, reactance: np.ndarray,
                    reminded: np.ndarray, rng: np.random.Generator,
                    keep_truth: bool = False) -> tuple[Payments, HiddenTruth | None]:
    """What each household pays on each loan this month (see the module docstring).

    ``reactance`` (per loan) is the fall in the payment logit that this month's contact provoked;
    ``reminded`` (per loan) says whether a reminder reached the household. With ``keep_truth``, also the
    hidden reasons for not paying (else None).

    The arithmetic runs in compiled passes over the book (``sim.kernels``: :func:`~sim.kernels.debt_to_income`,
    :func:`~sim.kernels.payment_logits`, :func:`~sim.kernels.payment_decisions`,
    :func:`~sim.kernels.split_short_budgets`); between them numpy takes the transcendental functions.
    """
    beh, tac, net = setting.behaviour, setting.tactics, setting.network
    v = book.view
    owner = v("borrower")
    n = book.n
    f32 = np.float32
    u = rng.random((4, n), dtype=f32)
    # garnishment after judgment takes part of earnings above essentials, before anything else
    garnished, taken = wage_garnishments(book, t, tac, rng)
    # debt overhang: the more a household owes relative to its income, the less it tries (log1p of the ratio)
    log_overhang = np.zeros(t.n)
    kernels.debt_to_income(v("principal"), v("interest"), v("fees"), v("status"), owner, t.income_base, log_overhang)
    np.log1p(log_overhang, out=log_overhang)
    # collection pressure, negated (collection_pressure): expm1(-stock / scale)
    neg_pressure = np.divide(v("pressure"), -f32(beh.pressure_scale))
    np.expm1(neg_pressure, out=neg_pressure)
    reputation = (net.reputation_weight * setting.reputation).astype(f32)
    # the intention's logit (negated) and the priority's exponent, per loan
    neg_logit, priority_arg = np.empty(n, dtype=f32), np.empty(n, dtype=f32)
    cycles = v("cycles")
    kernels.payment_logits(owner, v("lender"), t.willingness, neg_pressure, v("litigation_age"), v("judgment"),
                           v("threat"), v("goodwill"), reputation, setting.peer_legal, setting.peer_delinquent,
                           log_overhang, cycles, t.stress, v("promise"), reactance, beh.willingness_intercept,
                           beh.willingness_weight, beh.pressure_weight, beh.legal_weight, beh.goodwill_weight,
                           net.peer_legal_deterrence, net.peer_default_weight, beh.overhang_weight,
                           beh.delinquency_weight, beh.delinquency_cap, beh.stress_weight, tac.promise_boost,
                           beh.priority_consequence, beh.priority_loudness, neg_logit, priority_arg)
    del neg_pressure, log_overhang, reputation
    np.exp(neg_logit, out=neg_logit)
    # intends, catches up, forgets, misreads, disputes a record error: what it means to pay on each loan; what its
    # budget allows; what it pays where the budget covers it all
    catch_up = np.power(f32(beh.catch_up_rate), np.arange(1, max(int(cycles.max(initial=1)), 1) + 1, dtype=np.int16))
    due, wanted, voluntary, paid = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    budget = np.zeros(t.n)
    intends, disputed = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
    short_rows, error_rows = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    short, errors = kernels.payment_decisions(
        u, neg_logit, catch_up, owner, cycles, v("scheduled"), v("arrears"), v("principal"), v("interest"), v("fees"),
        v("settlement_offer"), 1.0 - tac.settlement_haircut, reminded, v("record_error"), t.attention,
        1.0 - beh.reminder_attention_fix, t.misunderstanding, t.education_effect, beh.misread_current_share,
        beh.error_dispute_rate, t.income, t.essentials, t.shock, t.savings, DRAWDOWN, garnished, taken, v("promise"),
        due, wanted, voluntary, paid, budget, intends, disputed, v("disputed"), v("broken_promises"), short_rows,
        error_rows)
    del u, neg_logit
    # a household that cannot pay all it means to pays first what has consequences, then the loudest creditor
    # (the priority: numpy's exp, on those loans only); the amounts it disputes because of a record error were set
    # to nothing
    short_rows = short_rows[:short]
    kernels.split_short_budgets(short_rows, np.exp(priority_arg[short_rows]), budget, wanted, owner, garnished, taken,
                                v("promise"), due, voluntary, paid, v("broken_promises"))
    truth = None
    if keep_truth:
        truth = HiddenTruth(loan_id=v("loan_id").copy(), due=due.copy(), unwilling=~intends,
                            cash_short=voluntary < wanted - 1e-9)
    # some of the record errors disputed are corrected
    fixed = error_rows[:errors]
    fixed = fixed[rng.random(len(fixed)) < beh.error_correction_rate]
    v("record_error")[fixed] = False
    split = BudgetSplit(owner=owner.copy(), lender=v("lender").copy(), budget=budget, wanted=wanted, paid=voluntary)
    return Payments(due=due, paid=paid, disputed=disputed, split=split), truth
