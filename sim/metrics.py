"""Outcomes: monthly series per lender and overall, the run summary, and the bank's reports.

Every outcome is defined in one place, ``docs/outcomes.md``: money (cash flows, book value, P&L and NPV:
``sim/finance.py``), recovery on a fixed base, roll rates, vintages, cures and re-defaults and collection
KPIs (``sim/reports.py``), complaints, rules and harm, and welfare (``sim/welfare.py``). The main ones:

- ``delinquency_30plus_rate``: balance of on-book loans 30+ days past due over the on-book balance, end
  of month (as the Federal Reserve's DRCCLACBS series).
- ``chargeoff_rate``: net charge-offs (gross charge-offs less recoveries on charged-off claims and debt
  sale proceeds) in the month, times 12, over the on-book balance (as CORCCACBS, annualised).
- ``recovery_rate_gross``: money collected from accounts in collection (delinquent at the start of the
  month, or charged off and still collected by the lender or its agency) plus debt-sale proceeds, over
  the delinquent exposure: the claim of accounts in collection when recording starts plus the claim of
  every account when it enters delinquency. This denominator moves with the strategy (a strategy that keeps
  accounts from falling behind shrinks it): to rank strategies use ``recovery_rate_on_book`` (over the book
  at the start plus originations) or, in comparisons, ``recovery_rate_common_base`` (``sim.runner``).
  ``recovery_rate_net`` subtracts collection costs, agency fees and fines from the numerator.
  ``cost_to_collect`` is those costs over the money collected.
- ``npv`` and ``pnl``: the lender's (or arm's) net present value at the cost of funds and its undiscounted
  P&L over the run, from its cash in and out and its book valued at expected recovery (``sim.finance``).
- ``cure_rate``: accounts that return to current in the month over accounts delinquent at its start.
- ``complaints_per_1000``: complaints in the month per 1,000 accounts in collection at its start, in
  total and by category and channel.
- ``wellbeing_mean`` and ``wellbeing_low_share`` (index below 38, the CFPB "very low" and "low" bands):
  over all households, or for a lender over the households with an account in its book.
- Segments (table ``segments``): for all households, by income quintile (Q1 lowest) and by financial
  literacy tercile: well-being, low-band share, share with a loan 30+ days past due, share consuming
  below essentials, and complaints per 1,000 households.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim import kernels
from sim.borrowers import LOW_WELLBEING
from sim.complaints import Category, Channel
from sim.finance import book_value, net_present_value
from sim.loans import Status
from sim.regulation import Rule
from sim.reports import FROM_STATES, NOT_ON_BOOK, TO_STATES, Redefaults, RollRates, Vintages, account_states
from sim.tactics import Collector, Tactic

if TYPE_CHECKING:
    from sim.model import CollectionModel
    from sim.records import Month

CATEGORY_COLUMNS = [f"complaints_{c.label}" for c in Category]
CHANNEL_COLUMNS = [f"complaints_via_{c.label}" for c in Channel]
RULE_COLUMNS = [f"clipped_{r.name.lower()}" for r in Rule]
WOULD_COLUMNS = [f"would_clip_{r.name.lower()}" for r in Rule]
TACTIC_COST_COLUMNS = [f"cost_{t.key}" for t in Tactic]
# money (sim/finance.py): cash in and out of each lender or arm, and its book valued at expected recovery
MONEY_COLUMNS = ["payments_received", "recovery_payments", "sale_proceeds", "cash_in", *TACTIC_COST_COLUMNS,
                 "cash_out", "net_cash_flow", "book_value"]
# collection KPIs: promises, right-party contacts (``conversations``) and collector hours
KPI_COLUMNS = ["promises_made", "promises_kept", "collector_hours"]

MONTHLY_COLUMNS = [
    "unemployment_rate", "short_hours_rate", "accounts_open", "book_balance", "accounts_delinquent", "accounts_30plus",
    "balance_30plus", "delinquency_30plus_rate", "accounts_in_collection_start", "gross_chargeoff",
    "recoveries", "net_chargeoff", "chargeoff_rate", "collected", "exposure", "collection_cost",
    "agency_fees", "cures", "cure_rate", "complaints", "complaints_per_1000", *CATEGORY_COLUMNS,
    *CHANNEL_COLUMNS, "call_requests", "call_attempts", "night_calls", "conversations", "visits", "lawsuits",
    "plans_accepted",
    "placements", "sales", "third_party_contacts", "social_media_posts", "violations", "fines", "third_party_harm",
    "originated", "prepaid", "approval_cutoff", "expected_loss", "wellbeing_mean", "wellbeing_low_share",
    "utility_mean", "deprivation_share", "households", "due_while_current", "paid_on_time", "on_time_rate",
    "disputes",
    *RULE_COLUMNS, *WOULD_COLUMNS, *MONEY_COLUMNS, *KPI_COLUMNS,
]
# How the all-lenders value of each monthly column relates to the per-lender (per-arm) values:
# "sum": the sum of the lender rows; "lender_held": the lender rows count what happened on the lender's own and
# its agency's accounts, the all row adds the claims sold to the debt buyer (so the lender rows sum to at most
# the all row, exactly to it without sales); "ratio": a ratio of sums, recomputed for each row; "households":
# over the households with an account in the lender's book (overlapping: a household can owe several lenders);
# "mean": the all row is the mean of the lenders' values; "economy": the same value in every row.
LENDER_HELD = {"complaints", *CATEGORY_COLUMNS, *CHANNEL_COLUMNS, *RULE_COLUMNS, *WOULD_COLUMNS}
RATIOS = {"delinquency_30plus_rate", "chargeoff_rate", "cure_rate", "complaints_per_1000", "on_time_rate"}
HOUSEHOLD_MEANS = {"wellbeing_mean", "wellbeing_low_share", "utility_mean", "deprivation_share", "households"}


def aggregation(column: str) -> str:
    """How the all-lenders value of a monthly column relates to the per-lender values (see above)."""
    if column in LENDER_HELD:
        return "lender_held"
    if column in RATIOS:
        return "ratio"
    if column in HOUSEHOLD_MEANS:
        return "households"
    if column in ("approval_cutoff", "expected_loss"):
        return "mean"
    if column in ("unemployment_rate", "short_hours_rate"):
        return "economy"
    return "sum"


# the money outcomes first: what a lender made, and recovery on a base that the strategy does not move
MONEY_KEYS = ["npv", "pnl", "cash_in", "cash_out", "book_value_start", "book_value_end", "payments_received",
              "recovery_payments", "prepaid", "sale_proceeds", "principal_lent", *TACTIC_COST_COLUMNS,
              "agency_fees", "recovery_base", "recovery_rate_on_book", "net_recovery_rate_on_book"]
BANK_KEYS = ["rpc_per_attempt", "conversations", "promises_made", "promises_kept", "promise_kept_rate",
             "collector_hours", "collected_per_collector_hour", "redefault_rate_cured", "redefault_rate_reaged",
             "cured_watched", "reaged_watched", "redefault_window_months",
             *[f"roll_rate_{a}_to_{b}" for a, b in zip(FROM_STATES[:-2], FROM_STATES[1:-1], strict=True)],
             "roll_rate_150-179_to_charged_off"]
SUMMARY_KEYS = [*MONEY_KEYS, *BANK_KEYS,
    "recovery_rate_gross", "recovery_rate_net", "cost_to_collect", "cure_rate", "delinquency_30plus_rate",
    "chargeoff_rate", "complaints_per_1000", *[f"{c}_per_1000" for c in CATEGORY_COLUMNS],
    *[f"{c}_per_1000" for c in CHANNEL_COLUMNS], "on_time_rate", "disputes_per_1000", "wellbeing_mean",
    "wellbeing_low_share", "utility_mean",
    "deprivation_share",
    "collected", "collection_cost", "exposure", "gross_chargeoff", "originated", "call_requests", "call_attempts",
    "visits",
    "lawsuits", "plans_accepted", "complaints", "third_party_contacts", "social_media_posts", "violations", "fines",
    "third_party_harm", *[f"clipped_{r.name.lower()}" for r in Rule],
    *[f"would_clip_{r.name.lower()}" for r in Rule],
]
SEGMENT_LABELS = [*(f"income_q{i}" for i in range(1, 6)), "literacy_low", "literacy_medium", "literacy_high"]
SEGMENT_DIMENSIONS = ["income_quintile"] * 5 + ["literacy"] * 3
SEGMENT_COLUMNS = ["wellbeing_mean", "wellbeing_low_share", "share_30plus", "share_below_essentials",
                   "complaints_per_1000_households", "credit_extended", "applications_per_1000_households",
                   "approvals_per_1000_households"]


@dataclass
class RunResult:
    """What one run computed: tidy tables and a flat summary."""

    monthly: pd.DataFrame  # one row per month and lender ("all" included)
    segments: pd.DataFrame  # one row per month and household segment (income quintile, literacy tercile)
    summary: pd.DataFrame  # one row per lender ("all" included)
    meta: dict[str, Any] = field(default_factory=dict)
    traces: pd.DataFrame | None = None  # month-by-month stories of traced households
    roll_rates: pd.DataFrame | None = None  # one row per month, lender, from-bucket and to-state (sim/reports.py)
    vintages: pd.DataFrame | None = None  # one row per lender, origination quarter and months on book

    def to_dict(self) -> dict[str, Any]:
        """Plain values: every summary outcome for all lenders as a float, the same per lender as
        ``"<outcome>@<lender>"``, and monthly series of the main outcomes as fixed-length arrays
        (``"series.<outcome>"``)."""
        out: dict[str, Any] = {}
        for _, row in self.summary.iterrows():
            suffix = "" if row["lender"] == "all" else f"@{row['lender']}"
            for key in SUMMARY_KEYS:
                out[f"{key}{suffix}"] = float(row[key])
        allm = self.monthly[self.monthly["lender"] == "all"].sort_values("month")
        for key in ("delinquency_30plus_rate", "chargeoff_rate", "recovery_rate_gross", "complaints_per_1000",
                    "wellbeing_mean", "wellbeing_low_share", "unemployment_rate", "cure_rate", "net_cash_flow",
                    "book_value"):
            if key in allm:
                out[f"series.{key}"] = allm[key].to_numpy(dtype=float)
            elif key == "recovery_rate_gross":
                denom = allm["exposure"].cumsum().to_numpy() + self.meta.get("exposure_start", 0.0)
                out[f"series.{key}"] = allm["collected"].cumsum().to_numpy() / np.maximum(denom, 1e-9)
        seg = self.segments.groupby("segment", sort=False)[SEGMENT_COLUMNS].mean()
        for label, row in seg.iterrows():
            for col in SEGMENT_COLUMNS:
                out[f"{col}.{label}"] = float(row[col])
            applied = row["applications_per_1000_households"]
            approved = row["approvals_per_1000_households"]
            out[f"approval_rate.{label}"] = float(approved / applied) if applied > 0 else 0.0
        return out

    def roll_rate_matrix(self, lender: str = "all", weight: str = "accounts") -> pd.DataFrame:
        """The monthly roll-rate matrix pooled over the run: rows are buckets at the start of a month, columns
        the state at its end, cells the share of the row's accounts (``weight="accounts"``) or balance
        (``"balance"``) that moved there."""
        if self.roll_rates is None:
            raise ValueError("this result has no roll-rate table")
        from sim.reports import roll_rate_matrix

        return roll_rate_matrix(self.roll_rates, lender, weight)

    def segment_summary(self) -> pd.DataFrame:
        """Mean over recorded months of each segment's outcomes."""
        return self.segments.groupby(["dimension", "segment"], sort=False)[SEGMENT_COLUMNS].mean().reset_index()


class MonthlyRecorder:
    """Collects monthly outcomes from each recorded month's records (:class:`sim.records.Month`) and the
    book and households as the month left them; builds a :class:`RunResult` at the end.

    At set-up it takes from the model what does not change during a run: the scenario, the outcome groups,
    the households' segments, the loan book and household table it keeps reading, and the debt buyer's
    price. ``result`` reads the model once more, at the end, for the run's metadata and the welfare of the
    households after the horizon.
    """

    def __init__(self, model: CollectionModel) -> None:
        self.model = model
        self.cfg = model.cfg
        self.book = model.book
        self.households = model.borrowers
        self.group_offset = model.group_offset
        self.sale_price = model.buyer.price
        self.names = [name for _, _, name in model.groups]
        self.n_groups = len(self.names) + 1
        h = model.cfg.horizon_months
        self.data = {name: np.zeros((h, self.n_groups)) for name in MONTHLY_COLUMNS}
        self.segment_data = np.zeros((h, len(SEGMENT_LABELS), len(SEGMENT_COLUMNS)))
        t = model.borrowers
        tercile = np.searchsorted(np.quantile(t.literacy, [1 / 3, 2 / 3]), t.literacy) if t.n else t.quintile
        # one cell per (income quintile, literacy tercile); segment margins are sums over cells
        self.cell_of = t.quintile.astype(np.int64) * 3 + tercile.astype(np.int64)
        self.cell_to_segment = np.zeros((15, 8))
        for q in range(5):
            for lit in range(3):
                self.cell_to_segment[q * 3 + lit, q] = 1.0
                self.cell_to_segment[q * 3 + lit, 5 + lit] = 1.0
        self.segment_sizes = np.maximum(np.bincount(self.cell_of, minlength=15) @ self.cell_to_segment, 1)
        self.exposure_start = np.zeros(self.n_groups)
        self._last_costs = np.zeros((len(self.names), len(Tactic)))
        # the bank's reports (sim/reports.py) and the book at the start of recording (sim/finance.py)
        self.rolls = RollRates(h, self.n_groups)
        self.vintages = Vintages(h, self.n_groups)
        self.redefaults = Redefaults(h, self.n_groups)
        self.value_start = np.zeros(self.n_groups)
        self.balance_start = np.zeros(self.n_groups)
        # for welfare after the horizon (sim/welfare.py): claims that stopped being worked (archived from the
        # book), and each household's income over the last recorded year
        self.owed_closed = np.zeros(t.n)
        self.income_sum = np.zeros(t.n)
        self.income_months = 0
        self._last_fines = np.zeros(len(self.names))
        self.third_party_harm = 0.0
        # welfare accumulators by (income quintile, literacy tercile) cell: discounted utility W, discounted
        # sum of c^(1-gamma) A (for consumption-equivalent changes), and discounted household-months B
        self.welfare_w = np.zeros(15)
        self.welfare_a = np.zeros(15)
        self.welfare_b = np.zeros(15)
        self.snapshot(model.month)

    def _groups_in_book(self) -> np.ndarray:
        """Outcome group of every loan row in use."""
        return self.book.groups(self.group_offset)

    def _by_lender(self, mask_or_weights: np.ndarray, lender: np.ndarray) -> np.ndarray:
        """Sum per lender, with the total appended (a count for a boolean mask)."""
        if len(self.names) == 1:
            if mask_or_weights.dtype == bool:
                return _with_total([np.count_nonzero(mask_or_weights)])
            return _with_total([np.sum(mask_or_weights)])
        if mask_or_weights.dtype == bool:  # a count (exact: the same as summing ones and zeros)
            return _with_total(np.bincount(lender[mask_or_weights], minlength=len(self.names)))
        return _with_total(np.bincount(lender, weights=mask_or_weights, minlength=len(self.names)))

    def _by_lender_where(self, values: np.ndarray, where: np.ndarray, lender: np.ndarray) -> np.ndarray:
        """``_by_lender(np.where(where, values, 0.0), lender)`` for float64 ``values``, without the temporary
        (kernels ``sum_where`` and ``sum_by_group_masked``: the same sums, in the same order)."""
        if len(self.names) == 1:
            return _with_total([kernels.sum_where(values, where)])
        per = np.zeros(len(self.names))
        kernels.sum_by_group_masked(values, where, lender, per)
        return _with_total(per)

    def _account_tallies(self, events, lender: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """The month's money sums and counts over the book's accounts (``kernels.ACCOUNT_SUMS`` and
        ``ACCOUNT_COUNTS``), per group with the total appended, as ``_by_lender_where`` and ``_by_lender`` give them
        (``kernels.month_account_tallies``, one pass over the book)."""
        v = self.book.view
        groups = len(self.names)
        sums = np.zeros((len(kernels.ACCOUNT_SUMS), groups))
        counts = np.zeros((len(kernels.ACCOUNT_COUNTS), groups), dtype=np.int64)
        kernels.month_account_tallies(
            v("principal"), v("interest"), v("fees"), v("status"), v("dpd"), v("cycles"), v("collector"),
            int(Collector.BUYER), self.in_collection, events.paid, events.paid_on_charged_off, events.gross_chargeoff,
            v("episode_exposure"), events.new_episode, events.due_while_current, events.paid_on_time,
            events.disputed, events.cured, events.promise_kept, lender, sums, counts)
        return ({name: _with_total(sums[q]) for q, name in enumerate(kernels.ACCOUNT_SUMS)},
                {name: _with_total(counts[q]) for q, name in enumerate(kernels.ACCOUNT_COUNTS)})

    def _household_means(self, group: int, lender: np.ndarray, wb: np.ndarray, low: np.ndarray, utility: np.ndarray,
                         deprived: np.ndarray) -> tuple[float, ...] | None:
        """Over the households with an account in collection in ``group`` (every group's, with one group): mean
        well-being, share with low well-being, mean utility, share deprived and their number; None when there are
        none. The households are chosen in one pass over the book and their values gathered in one pass
        (``kernels.flag_households``, ``select_households``); the means are numpy's over the gathered values."""
        n = len(wb)
        flags = np.zeros(n, dtype=bool)
        kernels.flag_households(self.book.view("borrower"), self.book.view("status"), lender,
                                -1 if len(self.names) == 1 else group, flags)
        chosen_wb, chosen_utility = np.empty(n, dtype=wb.dtype), np.empty(n, dtype=utility.dtype)
        tallies = np.zeros(2, dtype=np.int64)
        k = kernels.select_households(flags, wb, utility, low, deprived, chosen_wb, chosen_utility, tallies)
        if not k:
            return None
        # (the float32 sum of well-being is divided in float64, as numpy divides it by an int64 count)
        return (float(np.float64(chosen_wb[:k].sum()) / k), float(tallies[0] / k), float(chosen_utility[:k].mean()),
                float(tallies[1] / k), float(k))

    def snapshot(self, next_month: int) -> None:
        """Remember the state at the start of ``next_month`` (who is in collection, where each account stands);
        before the first recorded month also the book's worth and balance (money at the start)."""
        book = self.book
        # last month's arrays go first, so that two months' copies are never held at once
        self.in_collection = self._start_ids = self._start_group = self._start_state = self._start_claim = None
        status = book.view("status")
        on_book = book.on_book()
        self.in_collection = book.in_collection()  # the accounts lenders observe (sim.loans.observe)
        group = self._groups_in_book()
        self._collection_count = self._by_lender(self.in_collection, group)
        # where every account starts the month (roll rates), and the book's worth (money at the start)
        claim = book.claim()
        self._start_ids = book.view("loan_id").copy()
        self._start_compactions = book.compactions
        self._start_group = group.astype(np.int16)
        self._start_state = account_states(status, book.view("dpd"))
        self._start_claim = claim
        if next_month == 0:
            self.value_start = _with_total(book_value(book, group, len(self.names), self.cfg.finance))
            self.balance_start = self._by_lender_where(claim, on_book, group)

    def note_closed(self) -> None:
        """Before the book is compacted: remember what households still owe on claims that are no longer
        worked (closed after charge-off or sale), which leave the book."""
        book = self.book
        closed = book.view("status") == Status.CLOSED
        if closed.any():
            self.owed_closed += np.bincount(book.view("borrower")[closed], weights=book.claim_of(closed),
                                            minlength=len(self.owed_closed))

    def note_burn_in(self, record: Month) -> None:
        """A burn-in month: nothing is recorded, but its costs and fines are spent, so that the first recorded
        month's costs are that month's alone (the running books are differenced month by month)."""
        self._last_costs = record.books.cumulative_costs.copy()
        self._last_fines = record.books.cumulative_fines.copy()

    def record(self, record: Month) -> None:
        """Add a recorded month's outcomes, from its records (``sim.records``) and the book and households
        as the month left them."""
        book, t = self.book, self.households
        month = record.month
        events, contacts, complaints = record.events, record.contacts, record.complaints
        agency_fee = record.books.agency_fees
        originated, prepaid = record.origination.originated_by_group, record.origination.prepaid_by_group
        any_30plus, c_eff = record.any_30plus, record.consumption
        lender = self._groups_in_book()  # outcome group of each loan (a lender, or an arm of one)
        d = {name: self.data[name] for name in MONTHLY_COLUMNS}
        # the month's sums over the book's accounts, in one pass (kernels.month_account_tallies)
        sums, counts = self._account_tallies(events, lender)
        if month == 0:
            self.exposure_start = sums["claim_in_collection"]
        d["unemployment_rate"][month] = record.labour.unemployment_rate
        d["short_hours_rate"][month] = record.labour.short_hours_rate
        d["accounts_open"][month] = counts["on_book"]
        balance = sums["balance"]
        d["book_balance"][month] = balance
        d["accounts_delinquent"][month] = counts["delinquent"]
        d["accounts_30plus"][month] = counts["in_30plus"]
        b30 = sums["balance_30plus"]
        d["balance_30plus"][month] = b30
        d["delinquency_30plus_rate"][month] = _ratio(b30, balance)
        start_count = self._collection_count
        d["accounts_in_collection_start"][month] = start_count
        gross = sums["gross_chargeoff"]
        proceeds = np.append(contacts.proceeds_by_group, contacts.proceeds_by_group.sum())
        proceeds_co = np.append(contacts.proceeds_co_by_group, contacts.proceeds_co_by_group.sum())
        sale_loss = np.append(contacts.sale_loss_by_group, contacts.sale_loss_by_group.sum())
        gross = gross + sale_loss  # a sale before charge-off books the loss on sale as a charge-off
        co_paid = sums["paid_on_charged_off"]
        recoveries = co_paid + proceeds_co
        d["gross_chargeoff"][month] = gross
        d["recoveries"][month] = recoveries
        d["net_chargeoff"][month] = gross - recoveries
        d["chargeoff_rate"][month] = 12.0 * _ratio(gross - recoveries, balance)
        d["collected"][month] = sums["collected"] + proceeds
        d["exposure"][month] = sums["exposure"]
        costs = record.books.cumulative_costs.copy()
        fines = record.books.cumulative_fines.copy()
        tactic_cost = costs - self._last_costs
        month_fines = fines - self._last_fines
        month_cost = tactic_cost.sum(axis=1) + month_fines + agency_fee
        self._last_costs, self._last_fines = costs.copy(), fines.copy()
        d["collection_cost"][month] = np.append(month_cost, month_cost.sum())
        d["agency_fees"][month] = np.append(agency_fee, agency_fee.sum())
        due_current = counts["due_while_current"]
        d["due_while_current"][month] = due_current
        d["paid_on_time"][month] = counts["paid_on_time"]
        d["on_time_rate"][month] = _ratio(d["paid_on_time"][month], due_current)
        d["disputes"][month] = counts["disputed"]
        cures = counts["cured"]
        d["cures"][month] = cures
        d["cure_rate"][month] = _ratio(cures, start_count)
        # complaints, attributed to the lender whose account it is (buyer-held claims only count in "all")
        rows, cat, chan = complaints.rows, complaints.category, complaints.channel
        made = cat >= 0
        # complaints are drawn per contacted row: counted in one pass, in all, by category and by channel
        columns = ["complaints", *CATEGORY_COLUMNS, *CHANNEL_COLUMNS]
        held = np.zeros((len(columns), len(self.names)), dtype=np.int64)
        every = np.zeros(len(columns), dtype=np.int64)
        kernels.complaint_tallies(cat, chan, contacts.group, contacts.who, held, every)
        for j, col in enumerate(columns):
            d[col][month] = [*held[j].astype(float), float(every[j])]
        d["complaints_per_1000"][month] = 1000.0 * _ratio(d["complaints"][month], start_count)
        # counts over the contacted rows in one pass (kernels.contact_tallies; promises go with the reports)
        tallies = np.zeros((len(kernels.CONTACT_COUNTS), len(self.names)), dtype=np.int64)
        c = contacts
        kernels.contact_tallies(c.group, c.call_requests, c.attempts, c.night, c.conversations, c.visits, c.sued,
                                c.accepted, c.placed, c.sold, c.third_party, c.social_media, c.promise, tallies)
        tallies = {name: _with_total(tallies[q]) for q, name in enumerate(kernels.CONTACT_COUNTS)}
        for name in kernels.CONTACT_COUNTS[:-1]:
            d[name][month] = tallies[name]
        viol = np.append(contacts.violations_by_group, contacts.violations_by_group.sum())
        d["violations"][month] = viol
        fines_now = np.append(record.enforcement.fines_by_group, 0.0)
        fines_now[-1] = fines_now[:-1].sum()
        d["fines"][month] = fines_now
        harm = np.zeros(self.n_groups)
        harm[:-1] = contacts.third_party_harm_by_group
        harm[-1] = contacts.third_party_harm
        d["third_party_harm"][month] = harm
        d["originated"][month] = np.append(originated, originated.sum())
        cut = [float(c) for c in record.books.cutoff]
        loss = [float(x) for x in record.books.expected_loss]
        d["approval_cutoff"][month] = [*cut, float(np.mean(cut))]
        d["expected_loss"][month] = [*loss, float(np.mean(loss))]
        d["prepaid"][month] = np.append(prepaid, prepaid.sum())
        # well-being, utility and deprivation: all households, and per lender the households with an account in
        # collection there
        wb = t.wellbeing
        # low well-being, deprivation (consumption below the subsistence floor) and a shortfall, in one pass
        low, deprived, short = (np.empty(t.n, dtype=bool) for _ in range(3))
        kernels.household_flags(wb, np.float32(LOW_WELLBEING), t.consumption, t.essentials,
                                float(self.cfg.welfare.subsistence_share), t.shortfall, low, deprived, short)
        complainers = book.borrower[rows[made]]
        gamma, beta = self.cfg.welfare.risk_aversion, self.cfg.welfare.discount
        weight = beta**month
        # c^(1-gamma) (log c at gamma = 1) once; the utility crra(c_eff, gamma) is (c^(1-gamma) - 1) / (1 - gamma)
        if abs(gamma - 1.0) < 1e-9:
            power = utility = np.log(c_eff)
        else:
            power = c_eff ** (1.0 - gamma)
            utility = power - 1.0
            utility /= 1.0 - gamma  # (power - 1) / (1 - gamma), in place
        population = (float(wb.mean()), float(low.mean()), float(utility.mean()),
                      float(np.count_nonzero(deprived)) / max(t.n, 1), float(t.n))
        # (a lender with no households reports the population's figures, and 0 households)
        per_lender = [self._household_means(i, lender, wb, low, utility, deprived) or (*population[:4], 0.0)
                      for i in range(len(self.names))]
        for j, col in enumerate(("wellbeing_mean", "wellbeing_low_share", "utility_mean", "deprivation_share",
                                 "households")):
            d[col][month] = [*(means[j] for means in per_lender), population[j]]
        # sums by (quintile, tercile) cell in one pass: utility, c^(1-gamma), households, and the segments' values
        by_cell = np.zeros((7, 15))
        kernels.household_sums_by_cell(self.cell_of, utility, power, wb, low, any_30plus, short, by_cell)
        self.welfare_w += weight * by_cell[0]
        self.welfare_a += weight * by_cell[1]
        self.welfare_b += weight * by_cell[2]
        for j in range(4):  # well-being, low well-being, a loan 30+ days late, a shortfall
            self.segment_data[month, :, j] = (by_cell[3 + j] @ self.cell_to_segment) / self.segment_sizes
        cells = np.bincount(self.cell_of[complainers], minlength=15).astype(float)
        self.segment_data[month, :, 4] = 1000.0 * (cells @ self.cell_to_segment) / self.segment_sizes
        # credit extended: new lending per household in the segment, and the share of applicants approved
        new = record.origination
        lent = np.bincount(self.cell_of[new.approved], weights=new.lent, minlength=15)
        self.segment_data[month, :, 5] = (lent @ self.cell_to_segment) / self.segment_sizes
        applied = np.bincount(self.cell_of[new.applicants], minlength=15) @ self.cell_to_segment
        approved = np.bincount(self.cell_of[new.approved], minlength=15) @ self.cell_to_segment
        self.segment_data[month, :, 6] = 1000.0 * applied / self.segment_sizes
        self.segment_data[month, :, 7] = 1000.0 * approved / self.segment_sizes
        # per lender: what was clipped on its own and its agency's accounts; all lenders: the debt buyer's too
        for r, col in zip(Rule, RULE_COLUMNS, strict=True):
            d[col][month] = [*contacts.clipped_by_group[:, r], contacts.clipped[r]]
        for r, col in zip(Rule, WOULD_COLUMNS, strict=True):
            d[col][month] = [*contacts.would_clip_by_group[:, r], contacts.would_clip[r]]
        # the household and book temporaries above are released before the money and the reports make theirs
        del utility, deprived, short, power, complainers, low
        self._record_money(month, lender, sums, proceeds, tactic_cost, month_fines, agency_fee)
        self._record_reports(month, events, contacts, lender, record.books.collector_hours, counts,
                             tallies["promises_made"])
        if month >= self.cfg.horizon_months - 12:
            self.income_sum += t.income
            self.income_months += 1

    def _record_money(self, month, lender, sums, proceeds, tactic_cost, month_fines, agency_fee) -> None:
        """Cash in and out of each lender or arm this month, and its book valued at expected recovery."""
        d, book = self.data, self.book
        co_paid = sums["paid_on_charged_off"]
        d["payments_received"][month] = sums["payments_received"]
        d["recovery_payments"][month] = co_paid
        d["sale_proceeds"][month] = proceeds
        d["cash_in"][month] = (d["payments_received"][month] + co_paid + d["prepaid"][month] + proceeds)
        for k, col in enumerate(TACTIC_COST_COLUMNS):
            d[col][month] = _with_total(tactic_cost[:, k])
        d["cash_out"][month] = (d["originated"][month] + _with_total(tactic_cost.sum(axis=1))
                                + _with_total(agency_fee) + _with_total(month_fines))
        d["net_cash_flow"][month] = d["cash_in"][month] - d["cash_out"][month]
        d["book_value"][month] = _with_total(book_value(book, lender, len(self.names), self.cfg.finance))

    def _record_reports(self, month, events, contacts, lender, collector_hours, counts, promises) -> None:
        """Roll rates, vintages, re-defaults and the collection KPIs of the month."""
        d, book = self.data, self.book
        status, dpd = book.view("status"), book.view("dpd")
        # the accounts of the start of the month: in the rows they had then (the book is only appended to
        # until the model compacts it, after recording: rows move only when a compaction removes some), else
        # found by id (it was compacted by hand)
        ids, k = book.view("loan_id"), len(self._start_ids)
        if book.n >= k and book.compactions == self._start_compactions:
            end = account_states(status[:k], dpd[:k])
        else:
            pos = np.minimum(np.searchsorted(ids, self._start_ids), max(book.n - 1, 0))
            found = (ids[pos] == self._start_ids) if book.n else np.zeros(k, dtype=bool)
            end = np.where(found, account_states(status, dpd)[pos] if book.n else NOT_ON_BOOK, NOT_ON_BOOK)
            del pos, found
        self.rolls.update(month, self._start_state, self._start_claim, end, self._start_group)
        # net loss of each loan this month: charge-offs (settlements and write-downs included) and losses on
        # sales before charge-off, less recoveries after charge-off (payments and sale proceeds)
        face, price = contacts.sold_face, self.sale_price
        sale_loss = np.where(contacts.sold_was_charged_off, -face * price, face * (1.0 - price))
        self.vintages.update(month, book.view("months_on_book"), book.view("principal_lent"), events.gross_chargeoff,
                             events.paid_on_charged_off, contacts.sold_rows, sale_loss, lender)
        on_book = book.on_book()
        bad = (on_book & (dpd >= 30)) | events.chargeoff
        self.redefaults.update(month, book.view("loan_id"), np.flatnonzero(events.cured),
                               np.flatnonzero(on_book & (book.view("reaged_month") == month)), bad, lender)
        d["promises_made"][month] = promises
        d["promises_kept"][month] = counts["promise_kept"]
        d["collector_hours"][month] = _with_total(collector_hours)

    def result(self) -> RunResult:
        m = self.model
        h = m.cfg.horizon_months
        groups = [*self.names, "all"]
        frames = []
        for g, name in enumerate(groups):
            frame = pd.DataFrame({col: self.data[col][:, g] for col in MONTHLY_COLUMNS})
            frame.insert(0, "lender", name)
            frame.insert(0, "month", np.arange(h))
            frames.append(frame)
        monthly = pd.concat(frames, ignore_index=True)
        k = len(SEGMENT_LABELS)
        segments = pd.DataFrame({
            "month": np.repeat(np.arange(h), k),
            "dimension": np.tile(SEGMENT_DIMENSIONS, h),
            "segment": np.tile(SEGMENT_LABELS, h),
            **{col: self.segment_data[:, :, j].ravel() for j, col in enumerate(SEGMENT_COLUMNS)},
        })
        rows = []
        redefault = self.redefaults.rates()
        for g, name in enumerate(groups):
            s = {col: self.data[col][:, g] for col in MONTHLY_COLUMNS}
            exposure = self.exposure_start[g] + s["exposure"].sum()
            collected, cost = s["collected"].sum(), s["collection_cost"].sum()
            start = s["accounts_in_collection_start"].sum()
            row = {
                "lender": name,
                "recovery_rate_gross": _scalar_ratio(collected, exposure),
                "recovery_rate_net": _scalar_ratio(collected - cost, exposure),
                "cost_to_collect": _scalar_ratio(cost, collected),
                "cure_rate": _scalar_ratio(s["cures"].sum(), start),
                "delinquency_30plus_rate": float(np.mean(s["delinquency_30plus_rate"])),
                "chargeoff_rate": float(np.mean(s["chargeoff_rate"])),
                "complaints_per_1000": 1000.0 * _scalar_ratio(s["complaints"].sum(), start),
                "wellbeing_mean": float(np.mean(s["wellbeing_mean"])),
                "wellbeing_low_share": float(np.mean(s["wellbeing_low_share"])),
                "on_time_rate": _scalar_ratio(s["paid_on_time"].sum(), s["due_while_current"].sum()),
                "disputes_per_1000": 1000.0 * _scalar_ratio(s["disputes"].sum(), start),
                "utility_mean": float(np.mean(s["utility_mean"])),
                "deprivation_share": float(np.mean(s["deprivation_share"])),
                "collected": float(collected),
                "collection_cost": float(cost),
                "exposure": float(exposure),
                "gross_chargeoff": float(s["gross_chargeoff"].sum()),
                "originated": float(s["originated"].sum()),
            }
            for col in [*CATEGORY_COLUMNS, *CHANNEL_COLUMNS]:
                row[f"{col}_per_1000"] = 1000.0 * _scalar_ratio(s[col].sum(), start)
            for col in ("call_requests", "call_attempts", "visits", "lawsuits", "plans_accepted", "complaints",
                        "third_party_contacts",
                        "social_media_posts", "violations", "fines", "third_party_harm", *RULE_COLUMNS, *WOULD_COLUMNS):
                row[col] = float(s[col].sum())
            row.update(self._money_summary(g, s, collected, cost))
            row.update(self._bank_summary(g, s, collected, redefault))
            rows.append(row)
        summary = pd.DataFrame(rows)[["lender", *SUMMARY_KEYS]]
        from sim.welfare import future_welfare

        future = future_welfare(m, self.owed_closed, self.income_sum / max(self.income_months, 1), self.cell_of)
        meta = {"seed": m.seed, "scenario": m.cfg.name, "exposure_start": float(self.exposure_start[-1]),
                "groups": [{"name": name, "lender": m.lenders[li].name, "arm": arm,
                            "share": float(m.lenders[li].arm_shares[arm])} for li, arm, name in m.groups],
                "welfare": {"risk_aversion": m.cfg.welfare.risk_aversion, "W": self.welfare_w.tolist(),
                            "A": self.welfare_a.tolist(), "B": self.welfare_b.tolist(),
                            "cell_to_segment": self.cell_to_segment.tolist(), **future}}
        return RunResult(monthly=monthly, segments=segments, summary=summary, meta=meta,
                         roll_rates=self.rolls.table(groups), vintages=self.vintages.table(groups))

    def _money_summary(self, g: int, s: dict[str, np.ndarray], collected: float, cost: float) -> dict[str, float]:
        """P&L, NPV and recovery on the book at the start plus originations, for group ``g``."""
        fin = self.cfg.finance
        value_start, value_end = float(self.value_start[g]), float(s["book_value"][-1])
        net = s["net_cash_flow"]
        base = float(self.balance_start[g] + s["originated"].sum())
        out = {"npv": net_present_value(net, value_start, value_end, fin.cost_of_funds),
               "pnl": float(value_end - value_start + net.sum()), "book_value_start": value_start,
               "book_value_end": value_end, "principal_lent": float(s["originated"].sum()),
               "recovery_base": base, "recovery_rate_on_book": _scalar_ratio(collected, base),
               "net_recovery_rate_on_book": _scalar_ratio(collected - cost, base)}
        for col in ("cash_in", "cash_out", "payments_received", "recovery_payments", "prepaid", "sale_proceeds",
                    "agency_fees", *TACTIC_COST_COLUMNS):
            out[col] = float(s[col].sum())
        return out

    def _bank_summary(self, g: int, s: dict[str, np.ndarray], collected: float,
                      redefault: dict[str, np.ndarray]) -> dict[str, float]:
        """Collection KPIs, re-default rates and the forward roll rates (by count) for group ``g``."""
        hours = float(s["collector_hours"].sum())
        out = {"rpc_per_attempt": _scalar_ratio(s["conversations"].sum(), s["call_attempts"].sum()),
               "conversations": float(s["conversations"].sum()),
               "promises_made": float(s["promises_made"].sum()), "promises_kept": float(s["promises_kept"].sum()),
               "promise_kept_rate": _scalar_ratio(s["promises_kept"].sum(), s["promises_made"].sum()),
               "collector_hours": hours, "collected_per_collector_hour": _scalar_ratio(collected, hours),
               "redefault_window_months": float(self.redefaults.window())}
        for key, values in redefault.items():
            out[key] = float(values[g])
        count = self.rolls.count[:, g].sum(axis=0)
        for i in range(len(FROM_STATES) - 2):
            out[f"roll_rate_{FROM_STATES[i]}_to_{FROM_STATES[i + 1]}"] = _scalar_ratio(count[i, i + 1], count[i].sum())
        last = FROM_STATES.index("150-179")
        out["roll_rate_150-179_to_charged_off"] = _scalar_ratio(count[last, TO_STATES.index("charged_off")],
                                                                count[last].sum())
        return out


def _with_total(per_group: np.ndarray) -> np.ndarray:
    """Per-group values (as float) with their sum appended (the "all" column); with one group the total is that
    group's value, as it is (numpy's sum would add it to 0.0 and turn a -0.0 into 0.0)."""
    per_group = np.asarray(per_group, dtype=float)
    return np.append(per_group, per_group[0] if len(per_group) == 1 else per_group.sum())


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)


def _scalar_ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else 0.0


class Tracer:
    """Records the month-by-month story of a few households: income and shocks, contacts by channel,
    payments, offers, stress, well-being and complaints."""

    def __init__(self, model: CollectionModel, trace: int | list[int]) -> None:
        self.model = model
        t = model.borrowers
        if isinstance(trace, int):
            rng = model.streams["trace"]
            per = max(trace // 5, 1)
            picks = [rng.permutation(np.flatnonzero(t.quintile == q))[:per] for q in range(5)]
            rows = np.sort(np.concatenate(picks))[:trace]
        else:
            rows = np.asarray(trace, dtype=np.int64)
            bad = rows[(rows < 0) | (rows >= t.n)]
            if len(bad):
                raise ValueError(f"trace: household {int(bad[0])} does not exist (there are {t.n})")
        self.rows = rows
        self.index = np.full(t.n, -1, dtype=np.int64)
        self.index[rows] = np.arange(len(rows))
        self.records: list[dict[str, Any]] = []

    def _per_household(self, owner: np.ndarray, values: np.ndarray) -> np.ndarray:
        idx = self.index[owner]
        sel = idx >= 0
        return np.bincount(idx[sel], weights=np.asarray(values, dtype=float)[sel], minlength=len(self.rows))

    def record(self, record: Month) -> None:
        """Add the traced households' month from its records."""
        m = self.model
        t, book = m.borrowers, m.book
        month, contacts, complaints = record.month, record.contacts, record.complaints
        r = self.rows
        owner = book.view("borrower")
        co = contacts.owner
        on_book = book.on_book()
        idx = self.index[owner]
        worst = np.zeros(len(r))
        sel = (idx >= 0) & book.collecting()
        np.maximum.at(worst, idx[sel], book.view("dpd")[sel])
        made = complaints.category >= 0
        comp_owner = co[made]
        comp_cat = complaints.category[made]
        comp_chan = complaints.channel[made]
        # only the (few) complaints of traced households are spelled out
        cats = [""] * len(r)
        traced = np.flatnonzero(self.index[comp_owner] >= 0)
        for i, c, ch in zip(self.index[comp_owner[traced]], comp_cat[traced], comp_chan[traced], strict=True):
            entry = f"{Category(c).label} ({Channel(ch).label})"
            cats[i] = f"{cats[i]}; {entry}" if cats[i] else entry
        self.records.append({
            "month": np.full(len(r), month, dtype=np.int64),
            "household": r,
            "unique_id": r + m.first_borrower_id,
            "income_quintile": t.quintile[r] + 1,
            "literacy": t.literacy[r],
            "literacy_segment": np.array(["literacy_low", "literacy_medium", "literacy_high"])[
                m.recorder.cell_of[r] % 3],
            "employed": t.employed[r],
            "income": t.income[r],
            "expense_shock": t.shock[r],
            "essentials": t.essentials[r],
            "savings": t.savings[r],
            "consumption": t.consumption[r],
            "due": self._per_household(owner, record.payments.due),
            "paid": t.paid[r],
            "loans_open": self._per_household(owner, on_book),
            "worst_dpd": worst,
            "reminders": self._per_household(co, record.reminders.reminded[contacts.rows]),
            "call_attempts": self._per_household(co, contacts.attempts),
            "night_calls": self._per_household(co, contacts.night),
            "conversations": self._per_household(co, contacts.conversations),
            "visits": self._per_household(co, contacts.visits),
            "offers_made": self._per_household(co, contacts.offered),
            "offers_accepted": self._per_household(co, contacts.accepted),
            "lawsuits": self._per_household(co, contacts.sued),
            "stress": t.stress[r],
            "wellbeing": t.wellbeing[r],
            "complaints": self._per_household(comp_owner, np.ones(len(comp_owner))),
            "complaint_detail": cats,
        })

    def table(self) -> pd.DataFrame:
        """One row per traced household and recorded month (the columns are gathered month by month
        and framed once)."""
        if not self.records:
            return pd.DataFrame()
        columns = {}
        for name in self.records[0]:
            parts = [rec[name] for rec in self.records]
            columns[name] = [x for part in parts for x in part] if isinstance(parts[0], list) else np.concatenate(parts)
        return pd.DataFrame(columns)
