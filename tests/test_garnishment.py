"""Wage garnishment after a judgment (``sim.payments.garnish_wages``, ODD 7.5): an order must be served on the
household's employer, never where wages are exempt, and it ends with the job. Scripted books and households,
and one statistical check with a stated tolerance."""

from __future__ import annotations

import numpy as np
from test_accounting import _terms

from sim.borrowers import BorrowerTable
from sim.config import Tactics
from sim.loans import LoanBook, Status
from sim.payments import ORDER_IN_FORCE as IN_FORCE
from sim.payments import ORDER_NONE as NONE
from sim.payments import ORDER_TO_SEEK as TO_SEEK
from sim.payments import garnish_wages


def _judged(n: int, owners: np.ndarray | None = None, claim: float = 5000.0) -> tuple[LoanBook, BorrowerTable]:
    """``n`` loans under judgment, one per household unless ``owners`` says otherwise; every household at work
    earning $4,000 a month with $2,400 of essentials ($1,600 above them)."""
    owners = np.arange(n) if owners is None else owners
    book = LoanBook(1, capacity=len(owners))
    book.originate(borrower=owners, lender=np.zeros(len(owners), dtype=np.int64), amount=np.full(len(owners), claim),
                   apr=np.full(len(owners), 0.18), terms=_terms("card", 180), goodwill=np.zeros(len(owners)),
                   score_observed=np.full(len(owners), 0.5, np.float32),
                   due_day=np.full(len(owners), 15, dtype=np.int8))
    book.view("judgment")[:] = True
    book.view("status")[:] = Status.JUDGMENT
    t = BorrowerTable(int(owners.max()) + 1)
    t.employed[:] = True
    t.income[:] = 4000.0
    t.essentials[:] = 2400.0
    return book, t


def test_orders_are_served_on_the_stated_share_of_judgments_and_never_where_wages_are_exempt():
    """On 20,000 households at work, half of them where wages are exempt: the creditor gets an order on
    `garnishment_order_share` (0.53) of the others (within 0.02, four standard errors), none on the exempt;
    where it fails it stops trying; under an order a quarter of the earnings above essentials is taken."""
    n = 20_000
    book, t = _judged(n)
    t.wages_exempt[::2] = True
    tac = Tactics()
    garnish = garnish_wages(book, t, tac, np.random.default_rng(1))
    order = book.view("garnish_order")
    assert set(np.unique(order)) <= {IN_FORCE, NONE}
    assert (order[::2] == NONE).all() and (garnish[::2] == 0).all()
    served = order[1::2] == IN_FORCE
    assert abs(served.mean() - tac.garnishment_order_share) < 0.02
    assert np.allclose(garnish[1::2][served], tac.garnishment_share * 1600.0)
    assert (garnish[1::2][~served] == 0).all()
    # a creditor that failed does not try again
    again = garnish_wages(book, t, tac, np.random.default_rng(2))
    assert (book.view("garnish_order")[1::2][~served] == NONE).all() and (again[1::2][~served] == 0).all()


def test_an_order_ends_with_the_job_and_is_sought_again_at_the_next():
    """With orders always served and no changes of employer: at work, wages are garnished; out of work, the
    order lapses and nothing is taken (benefits are not garnished); back at work, a new order garnishes again."""
    book, t = _judged(3)
    tac = Tactics(garnishment_order_share=1.0, garnishment_job_change=0.0)
    rng = np.random.default_rng(0)
    assert (garnish_wages(book, t, tac, rng) == 400.0).all()
    t.employed[1] = False
    g = garnish_wages(book, t, tac, rng)
    assert g[1] == 0 and book.view("garnish_order")[1] == TO_SEEK
    assert (g[[0, 2]] == 400.0).all() and (book.view("garnish_order")[[0, 2]] == IN_FORCE).all()
    t.employed[1] = True
    assert garnish_wages(book, t, tac, rng)[1] == 400.0 and book.view("garnish_order")[1] == IN_FORCE


def test_a_change_of_employer_lapses_the_order_for_a_month():
    """With a change of employer every month, an order garnishes in the month it is served and lapses the next
    (the creditor must serve the new employer), so wages are taken every other month."""
    book, t = _judged(1)
    tac = Tactics(garnishment_order_share=1.0, garnishment_job_change=1.0)
    rng = np.random.default_rng(0)
    taken = [garnish_wages(book, t, tac, rng)[0] for _ in range(4)]
    assert taken == [400.0, 0.0, 400.0, 0.0]


def test_a_household_s_garnished_loans_share_one_quarter_of_its_free_earnings_and_stop_at_the_claim():
    """Two loans under orders share the quarter of the earnings above essentials ($400) equally; a claim smaller
    than its share is taken whole and no more."""
    book, t = _judged(2, owners=np.array([0, 0]))
    book.view("principal")[1] = 150.0
    tac = Tactics(garnishment_order_share=1.0, garnishment_job_change=0.0)
    g = garnish_wages(book, t, tac, np.random.default_rng(0))
    assert g[0] == 200.0 and np.isclose(g[1], book.claim()[1]) and g[1] <= 200.0


def test_loans_without_a_judgment_are_never_garnished():
    """No judgment, no order and nothing taken, whatever the draws."""
    book, t = _judged(50)
    book.view("judgment")[:] = False
    book.view("status")[:] = Status.DELINQUENT
    g = garnish_wages(book, t, Tactics(garnishment_order_share=1.0), np.random.default_rng(0))
    assert (g == 0).all() and (book.view("garnish_order") == TO_SEEK).all()
