"""The lender's money: what its book is worth, and its P&L and net present value over a run.

Cash flows of a lender (or of one arm of a champion/challenger test), month by month (``docs/outcomes.md``):

- in: payments on its loans (by households to the lender or to its agency, prepayments included),
  recoveries on charged-off claims it still holds, and debt-sale proceeds;
- out: principal lent, collection costs by tactic, agency fees and regulatory fines.

The book is valued at its expected recovery: every claim the lender still holds times the expected recovery
per dollar of its state (``[finance]`` in the scenario: current, re-aged by a restructuring, each
days-past-due bucket, judgment, charged off). A claim sold or no longer worked is worth nothing to the lender. Then::

    P&L = value at the end - value at the start + sum of net cash flows
    NPV = - value at the start + sum_t net cash flow_t / (1 + r)^((t + 1) / 12) + value at the end / (1 + r)^(T / 12)

with ``r`` the annual cost of funds, cash flows at the end of recorded month ``t`` (0-based) and ``T`` the
number of recorded months. The value at the start is the book the lender holds when recording starts, so
both measure what the run's months added.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.tactics import Collector

if TYPE_CHECKING:
    from sim.config import Finance
    from sim.loans import LoanBook


def recovery_per_dollar(book: LoanBook, cfg: Finance) -> np.ndarray:
    """Expected recovery per dollar of each loan's claim, from the lender's point of view: by days-past-due
    bucket on the book (``value_restructured`` for an account current only because it was re-aged, and
    ``value_judgment`` under judgment), ``value_charged_off`` for a charged-off claim the lender still works,
    zero for sold, closed and paid-off claims."""
    value = np.empty(book.n)
    kernels.recovery_per_dollar(book.view("status"), book.view("dpd"), book.view("in_episode"), book.view("judgment"),
                                book.view("collector") == Collector.BUYER, _by_bucket(cfg),
                                float(cfg.value_restructured), float(cfg.value_judgment), float(cfg.value_charged_off),
                                value)
    return value


def _by_bucket(cfg: Finance) -> np.ndarray:
    """Recovery per dollar by days-past-due bucket: current, 1-29, 30-59, 60-89, 90-119, 120-149, 150-179, 180+
    (the last two share a value)."""
    return np.array([cfg.value_current, *cfg.value_by_bucket, cfg.value_by_bucket[-1]], dtype=float)


def book_value(book: LoanBook, group: np.ndarray, n_groups: int, cfg: Finance) -> np.ndarray:
    """Expected recovery of the claims each outcome group holds, $ (length ``n_groups``)."""
    out = np.zeros(n_groups)
    v = book.view
    kernels.book_value_by_group(v("principal"), v("interest"), v("fees"), v("status"), v("dpd"), v("in_episode"),
                                v("judgment"), v("collector"), int(Collector.BUYER), _by_bucket(cfg),
                                float(cfg.value_restructured), float(cfg.value_judgment), float(cfg.value_charged_off),
                                np.asarray(group, dtype=np.int64), out)
    return out


def discount_factors(months: int, annual_rate: float) -> np.ndarray:
    """Discount factor of a cash flow at the end of each of ``months`` recorded months."""
    return (1.0 + annual_rate) ** (-(np.arange(months) + 1.0) / 12.0)


def net_present_value(net_cash: np.ndarray, value_start: float, value_end: float, annual_rate: float) -> float:
    """NPV of a run: minus the book at the start, plus discounted monthly net cash flows and the discounted
    book at the end (formula in the module docstring)."""
    net_cash = np.asarray(net_cash, dtype=float)
    factors = discount_factors(len(net_cash), annual_rate)
    end = factors[-1] if len(factors) else 1.0
    return float(-value_start + net_cash @ factors + value_end * end)
