"""A bank's reports on its book: the monthly roll-rate matrix between delinquency buckets, vintage loss
curves by origination cohort, and cure and re-default rates. Each report is an accumulator that the
:class:`~sim.metrics.MonthlyRecorder` feeds once a recorded month and that returns a tidy table at the end.
Definitions: ``docs/outcomes.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim import kernels
from sim.loans import Bucket

FROM_STATES = [b.label for b in Bucket]  # where an account on the book starts the month
TO_STATES = [*FROM_STATES, "charged_off", "paid_off", "sold"]  # where it ends it
CHARGED_OFF_STATE, PAID_OFF_STATE, SOLD_STATE = len(Bucket), len(Bucket) + 1, len(Bucket) + 2
NOT_ON_BOOK = -1
assert (CHARGED_OFF_STATE, PAID_OFF_STATE, SOLD_STATE) == (8, 9, 10)  # as sim.kernels.account_states writes them
REDEFAULT_WINDOW = 12  # months after a cure or re-ageing in which a return to 30+ days past due is a re-default


def account_states(status: np.ndarray, dpd: np.ndarray) -> np.ndarray:
    """Report state of each loan: its days-past-due bucket on the book, or charged off, paid off (settled
    and prepaid included) or sold; ``NOT_ON_BOOK`` for claims closed after charge-off or sale."""
    state = np.empty(len(status), dtype=np.int8)
    kernels.account_states(status, dpd, NOT_ON_BOOK, state)
    return state


class RollRates:
    """Transitions of accounts on the book from their bucket at the start of a month to their state at its
    end, by count and by balance (the claim at the start), per outcome group and month."""

    def __init__(self, months: int, n_groups: int) -> None:
        shape = (months, n_groups, len(FROM_STATES), len(TO_STATES))
        self.count = np.zeros(shape)
        self.balance = np.zeros(shape)

    def update(self, month: int, start: np.ndarray, start_claim: np.ndarray, end: np.ndarray,
               group: np.ndarray) -> None:
        """One entry per account on the book at the start of the month: its state and claim then, its state
        now (``NOT_ON_BOOK`` if unknown) and its outcome group (the "all" group is added here)."""
        n_groups = self.count.shape[1] - 1
        counts = np.zeros((n_groups, len(FROM_STATES), len(TO_STATES)), dtype=np.int64)
        balances = np.zeros(counts.shape)
        kernels.roll_tallies(start, start_claim, end, group, len(FROM_STATES), counts, balances)
        self.count[month, :-1] = counts
        self.balance[month, :-1] = balances
        self.count[month, -1] = counts.sum(axis=0)
        self.balance[month, -1] = balances.sum(axis=0)

    def table(self, names: list[str]) -> pd.DataFrame:
        """One row per month, group, from-bucket and to-state with accounts and balance moving, and the
        shares of the from-bucket's accounts and balance (the roll rates)."""
        months, n_groups, nf, nt = self.count.shape
        count_share = self.count / np.maximum(self.count.sum(axis=3, keepdims=True), 1e-300)
        balance_share = self.balance / np.maximum(self.balance.sum(axis=3, keepdims=True), 1e-300)
        index = pd.MultiIndex.from_product([range(months), names, FROM_STATES, TO_STATES],
                                           names=["month", "lender", "from_state", "to_state"])
        frame = pd.DataFrame({"accounts": self.count.ravel(), "balance": self.balance.ravel(),
                              "roll_rate_accounts": count_share.ravel(), "roll_rate_balance": balance_share.ravel()},
                             index=index).reset_index()
        return frame[frame.groupby(["month", "lender", "from_state"])["accounts"].transform("sum") > 0].reset_index(
            drop=True)

    def pooled(self, names: list[str]) -> pd.DataFrame:
        """The roll-rate matrix pooled over the run's months: one row per group, from-bucket and to-state."""
        count, balance = self.count.sum(axis=0), self.balance.sum(axis=0)
        index = pd.MultiIndex.from_product([names, FROM_STATES, TO_STATES], names=["lender", "from_state", "to_state"])
        return pd.DataFrame({
            "accounts": count.ravel(), "balance": balance.ravel(),
            "roll_rate_accounts": (count / np.maximum(count.sum(axis=2, keepdims=True), 1e-300)).ravel(),
            "roll_rate_balance": (balance / np.maximum(balance.sum(axis=2, keepdims=True), 1e-300)).ravel(),
        }, index=index).reset_index()


class Vintages:
    """Net losses of the loans originated in each recorded quarter, by months on book.

    Net loss of a loan in a month: what was charged off (settlements and write-downs included) plus the loss
    on a sale before charge-off, less recoveries after charge-off (payments and sale proceeds)."""

    def __init__(self, months: int, n_groups: int) -> None:
        self.months = months
        n_cohorts = (months + 2) // 3
        self.lent = np.zeros((n_groups, n_cohorts))
        self.loss = np.zeros((n_groups, n_cohorts, months))
        self.loss_unrecorded = np.zeros(n_groups)  # net loss of loans originated before recording started

    def update(self, month: int, months_on_book: np.ndarray, principal_lent: np.ndarray, gross_chargeoff: np.ndarray,
               recovered: np.ndarray, sale_rows: np.ndarray, sale_loss: np.ndarray, group: np.ndarray) -> None:
        """One entry per loan of the book: its months on book (its vintage, the recorded month in which it was
        originated, is ``month + 1 - months_on_book``, negative before recording), principal lent, charge-off and
        recoveries after charge-off this month and group; ``sale_loss``: the net loss of each sale of the month
        (the loss on a sale before charge-off, less the proceeds of a sale after), on the loans ``sale_rows``."""
        n_groups = self.lent.shape[0] - 1
        lent, early = np.zeros((n_groups, self.lent.shape[1])), np.zeros(n_groups)
        loss = np.zeros(self.loss[:-1].shape)
        if np.any(sale_rows[1:] < sale_rows[:-1]):  # in row order, as the kernel reads them (ties keep their order)
            order = np.argsort(sale_rows, kind="stable")
            sale_rows, sale_loss = sale_rows[order], sale_loss[order]
        kernels.vintage_tallies(month, months_on_book, group, principal_lent, gross_chargeoff, recovered,
                                np.asarray(sale_rows, dtype=np.int64), np.asarray(sale_loss, dtype=np.float64), lent,
                                early, loss)
        self.lent[:-1] += lent
        self.lent[-1] += lent.sum(axis=0)
        # the loans originated before recording: adding zeros for the others leaves the sums unchanged
        self.loss_unrecorded[:-1] += early
        self.loss_unrecorded[-1] += early.sum()
        if (loss != 0.0).any():
            self.loss[:-1] += loss
            self.loss[-1] += loss.sum(axis=0)

    def table(self, names: list[str]) -> pd.DataFrame:
        """One row per group, origination quarter (``cohort``: recorded months 3q..3q+2) and months since
        origination up to what every loan of the cohort has been observed for: principal lent, net loss in
        that month of age and the cumulative net loss rate (cumulative net loss over principal lent)."""
        rows = []
        for g, name in enumerate(names):
            for q in range(self.lent.shape[1]):
                if self.lent[g, q] <= 0:
                    continue
                last_month = min(3 * q + 2, self.months - 1)
                observed = self.months - last_month  # ages 0..observed-1 are seen for every loan of the cohort
                cumulative = np.cumsum(self.loss[g, q, :observed])
                for age in range(observed):
                    rows.append({"lender": name, "cohort": f"Q{q + 1} (months {3 * q}-{last_month})",
                                 "months_on_book": age, "principal_lent": self.lent[g, q],
                                 "net_loss": self.loss[g, q, age],
                                 "cumulative_loss_rate": cumulative[age] / self.lent[g, q]})
        return pd.DataFrame(rows, columns=["lender", "cohort", "months_on_book", "principal_lent", "net_loss",
                                           "cumulative_loss_rate"])


class Redefaults:
    """Cures and re-ageings (plans, deferrals, write-downs) and whether the account is back at 30+ days past
    due, or charged off, within ``REDEFAULT_WINDOW`` months: tracked by loan id."""

    KINDS = ("cured", "reaged")

    def __init__(self, months: int, n_groups: int) -> None:
        self.fix_month = np.full(1024, -1, dtype=np.int16)
        self.fix_kind = np.zeros(1024, dtype=np.int8)
        self.fix_group = np.zeros(1024, dtype=np.int16)
        self.fixes = np.zeros((2, months, n_groups))  # by kind, month of the cure or re-ageing, group
        self.redefaults = np.zeros((2, months, REDEFAULT_WINDOW + 1, n_groups))  # ... by months until re-default
        self.months = months

    def _grow(self, size: int) -> None:
        if size <= len(self.fix_month):
            return
        new = max(size, 2 * len(self.fix_month))
        for name, fill in (("fix_month", -1), ("fix_kind", 0), ("fix_group", 0)):
            col = getattr(self, name)
            grown = np.full(new, fill, dtype=col.dtype)
            grown[: len(col)] = col
            setattr(self, name, grown)

    def update(self, month: int, loan_id: np.ndarray, cured: np.ndarray, reaged: np.ndarray,
               bad: np.ndarray, group: np.ndarray) -> None:
        """``cured``/``reaged``: rows cured or re-aged this month; ``bad``: rows 30+ days past due on the
        book or charged off this month."""
        self._grow(int(loan_id.max(initial=0)) + 1)
        n_groups = self.fixes.shape[2] - 1
        # a re-default ends the watch over the last cure or re-ageing
        kernels.redefault_watch(month, REDEFAULT_WINDOW, loan_id, bad, self.fix_month, self.fix_kind, self.fix_group,
                                self.redefaults)
        for k, rows in enumerate((cured, reaged)):
            ids = loan_id[rows]
            self.fix_month[ids] = month
            self.fix_kind[ids] = k
            self.fix_group[ids] = group[rows]
            counts = np.bincount(group[rows], minlength=n_groups)
            self.fixes[k, month, :-1] += counts
            self.fixes[k, month, -1] += counts.sum()

    def window(self) -> int:
        """Months watched after a cure or re-ageing: ``REDEFAULT_WINDOW``, or fewer in a shorter run."""
        return max(min(REDEFAULT_WINDOW, self.months - 1), 0)

    def rates(self) -> dict[str, np.ndarray]:
        """Per group: cures and re-ageings watched for the whole window within the run (``<kind>_watched``)
        and the share of them back at 30+ days past due or charged off within it (``redefault_rate_<kind>``,
        0 when none was watched)."""
        w = self.window()
        complete = self.months - w  # fixes in months 0..complete-1 are watched for w months
        out = {}
        for k, kind in enumerate(self.KINDS):
            fixes = self.fixes[k, :complete].sum(axis=0)
            again = self.redefaults[k, :complete, 1:w + 1].sum(axis=(0, 1))
            out[f"{kind}_watched"] = fixes
            out[f"redefault_rate_{kind}"] = np.divide(again, fixes, out=np.zeros_like(again), where=fixes > 0)
        return out


def roll_rate_matrix(roll_rates: pd.DataFrame, lender: str = "all", weight: str = "accounts") -> pd.DataFrame:
    """The roll-rate matrix of a ``roll_rates`` table (one run's, or several runs' stacked: they are pooled):
    rows are buckets at the start of a month, columns the state at its end, cells the share of the row's
    accounts (``weight="accounts"``) or balance (``"balance"``) that moved there; a row with nothing in it
    is all zeros."""
    sel = roll_rates[roll_rates["lender"] == lender]
    if sel.empty:
        raise ValueError(f"no lender {lender!r} in the roll-rate table")
    moved = sel.pivot_table(index="from_state", columns="to_state", values=weight, aggfunc="sum", fill_value=0.0)
    moved = moved.reindex(index=FROM_STATES, columns=TO_STATES, fill_value=0.0)
    return moved.div(moved.sum(axis=1).where(lambda x: x > 0), axis=0).fillna(0.0)
