"""Every outcome the app shows, in one table: its label, unit, direction and plain-language meaning.

An outcome of the engine (a column of :mod:`sim.metrics`) appears on screen with the :class:`Outcome`
entry of the same key: the label on axes, tables and cards, the format of its numbers, whether higher is
better (for the colour of a difference), whether it can be negative (intervals are clipped at zero when
it cannot) and the explanation shown in learn mode and in tooltips. To show a new outcome, add one entry
here (with ``card=`` or ``series=`` to give it a place on the strategy cards or among the monthly charts);
a key without an entry is still shown, with a label made from its name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.complaints import Category, Channel
from sim.metrics import BANK_KEYS, SEGMENT_LABELS, TACTIC_COST_COLUMNS
from sim.regulation import Rule

PCT, MONEY, COUNT, INDEX, RATE = "pct", "money", "count", "index", "rate"
CURRENCY = "$"  # the model's money is US dollars (docs/ODD.md)


@dataclass(frozen=True)
class Outcome:
    """How one outcome is shown. ``kind``: ``pct`` (a share, shown as a percentage), ``money`` (dollars),
    ``count`` (a whole number of things), ``index`` (a score) or ``rate`` (a number per 1,000)."""

    key: str
    label: str
    kind: str
    explanation: str = ""
    higher_is_better: bool | None = None
    can_be_negative: bool = False
    is_share: bool = False  # a share of a whole (at most 100%): intervals are clipped at one
    card: int | None = None  # its place on the strategy cards (None: not on the cards)
    series: int | None = None  # its place among the monthly charts of the Results tab (None: not drawn there)

    def format(self, value: float | None, signed: bool = False) -> str:
        return fmt(value, self.kind, signed)

    @property
    def axis_format(self) -> str:
        """A d3 format for a chart axis."""
        return {PCT: ".1%", MONEY: "$,.3~s", COUNT: ",.0f", INDEX: ",.1f", RATE: ",.1f"}[self.kind]

    @property
    def axis_title(self) -> str:
        """The label with its unit, for an axis ("Complaints (per 1,000)"); percentages show on the ticks."""
        unit = {MONEY: "$", INDEX: "0-100" if self.key.startswith("wellbeing") else "", RATE: "per 1,000"}.get(
            self.kind, "")
        return f"{self.label} ({unit})" if unit else self.label

    @property
    def unit(self) -> str:
        return {PCT: "%", MONEY: CURRENCY, COUNT: "", INDEX: "0-100", RATE: "per 1,000"}[self.kind]


def fmt(value: float | None, kind: str, signed: bool = False) -> str:
    """A number as the user reads it: 12.3%, $3,390,000, 1,234, 54.2; "n/a" when there is none."""
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if signed else ""
    decimals = 0 if kind in (MONEY, COUNT) else 1
    if round(value * (100 if kind == PCT else 1), decimals) == 0:
        value = 0.0  # never "-0.0%"
    if kind == PCT:
        return f"{100 * value:{sign},.1f}%"
    if kind == MONEY:
        text = f"{CURRENCY}{abs(value):,.0f}"
        return ("-" if value < -0.5 else "+" if signed else "") + text
    if kind == COUNT:
        return f"{value:{sign},.0f}"
    return f"{value:{sign},.1f}"


def difference(value: float, kind: str) -> str | None:
    """A difference from the champion: "+1.2 pp", "-$3,400", "+0.4"; None when it rounds to zero (so that
    no "-0.0 pp" is ever shown in colour)."""
    scale, decimals = {PCT: (100.0, 1), MONEY: (1.0, 0), COUNT: (1.0, 0)}.get(kind, (1.0, 1))
    if not math.isfinite(value) or round(value * scale, decimals) == 0:
        return None
    if kind == PCT:
        return f"{100 * value:+,.1f} pp"
    if kind == MONEY:
        return f"{'-' if value < 0 else '+'}{CURRENCY}{abs(value):,.0f}"
    return f"{value:+,.0f}" if kind == COUNT else f"{value:+,.1f}"


def _roll_label(key: str) -> str:
    """ "roll_rate_1-29_to_30-59" -> "1-29 days to 30-59 days"; "current" and "charged off" stay words."""
    parts = key.removeprefix("roll_rate_").split("_to_")
    return " to ".join(p.replace("_", " ") + (" days" if p[0].isdigit() else "") for p in parts)


def _entries(*outcomes: Outcome) -> dict[str, Outcome]:
    return {o.key: o for o in outcomes}


_CATEGORY = {
    Category.DEBT_NOT_OWED: "Debt not owed",
    Category.WRITTEN_NOTIFICATION: "Written notification",
    Category.COMMUNICATION_TACTICS: "Communication tactics",
    Category.FALSE_STATEMENTS: "False statements",
    Category.LEGAL_ACTION: "Legal action taken or threatened",
    Category.IMPROPER_INFORMATION: "Improper use of information",
}
_CHANNEL = {Channel.LENDER: "To the lender", Channel.REGULATOR: "To the regulator", Channel.PUBLIC: "In public"}
_RULE = {
    Rule.DAILY_CAP: "Daily call cap", Rule.WEEKLY_CAP: "7-day call cap",
    Rule.AFTER_CONVERSATION: "Silence after a conversation", Rule.QUIET_HOURS: "Quiet hours (night)",
    Rule.VISIT_BAN: "Visit ban", Rule.THIRD_PARTY: "Third-party contact ban",
    Rule.SOCIAL_MEDIA: "Public social-media ban", Rule.THREATS: "Threat ban",
    Rule.DISPUTE_PAUSE: "Pause on a written dispute",
}
CATEGORY_LABELS = {f"complaints_{c.label}_per_1000": _CATEGORY.get(c, c.label.replace("_", " ").capitalize())
                   for c in Category}
CHANNEL_LABELS = {f"complaints_via_{c.label}_per_1000": _CHANNEL.get(c, c.label.capitalize()) for c in Channel}
RULE_LABELS = {r.name.lower(): _RULE.get(r, r.name.replace("_", " ").capitalize()) for r in Rule}
SEGMENT_NAMES = {label: (f"Income Q{label[-1]}" if label.startswith("income_q")
                         else f"{label.removeprefix('literacy_').capitalize()} literacy") for label in SEGMENT_LABELS}

OUTCOMES: dict[str, Outcome] = _entries(
    # money: what the lender made (docs/outcomes.md, "Money")
    Outcome("npv", "NPV", MONEY, "Net present value of the run to the lender: every month's cash in less cash "
            "out, discounted at the lender's cost of funds, plus the value of the book at the end, less the value "
            "of the book when recording started. The money outcome: what the strategy is worth to the lender.",
            True, can_be_negative=True, card=1),
    Outcome("pnl", "P&L", MONEY, "Profit and loss over the run, undiscounted: value of the book at the end less "
            "its value at the start, plus all cash in less all cash out.", True, can_be_negative=True, card=2),
    Outcome("cash_in", "Cash in", MONEY, "Payments on loans on the book, recoveries on charged-off claims, early "
            "repayments and debt-sale proceeds, over the run.", True),
    Outcome("cash_out", "Cash out", MONEY, "New lending plus every collection cost, agency fees and fines, over the "
            "run.", None),
    Outcome("net_cash_flow", "Net cash flow", MONEY, "Cash in less cash out in the month.", True,
            can_be_negative=True),
    Outcome("book_value", "Book value", MONEY, "The claims the lender holds valued at their expected recovery "
            "(current loans near face value, late ones less the later they are, sold and closed ones nothing).",
            True),
    Outcome("book_value_start", "Book value at the start", MONEY, "The book valued at its expected recovery when "
            "recording starts."),
    Outcome("book_value_end", "Book value at the end", MONEY, "The book valued at its expected recovery at the end "
            "of the run.", True),
    Outcome("payments_received", "Payments on the book", MONEY, "Payments on loans the lender holds, to it or to "
            "its agency (not prepayments, not recoveries after charge-off).", True),
    Outcome("recovery_payments", "Recoveries after charge-off", MONEY, "Payments on charged-off claims the lender "
            "still holds.", True),
    Outcome("sale_proceeds", "Debt-sale proceeds", MONEY, "What debt buyers paid for the claims sold.", True),
    Outcome("principal_lent", "Principal lent", MONEY, "Principal of the loans originated in the run."),
    Outcome("recovery_base", "Book at stake", MONEY, "The claim on the book when recording starts plus the "
            "principal lent in the run: the base of recovery on the own book."),
    # recovery
    Outcome("recovery_rate_common_base", "Recovery on a fixed base", PCT, "Money collected (payments from accounts "
            "in collection and debt-sale proceeds) over one base for every strategy: the book at stake in the "
            "champion's run on the same seed. The base does not move with the strategy, so this ranks strategies "
            "as dollars collected do.", True, card=3),
    Outcome("net_recovery_rate_common_base", "Net recovery on a fixed base", PCT, "Money collected less collection "
            "costs, agency fees and fines, over the champion's book at stake on the same seed (one base for every "
            "strategy).", True, can_be_negative=True),
    Outcome("recovery_rate_on_book", "Recovery on own book", PCT, "Money collected over this run's own book at "
            "stake (the book when recording starts plus the principal lent in the run).", True),
    Outcome("net_recovery_rate_on_book", "Net recovery on own book", PCT, "Money collected less collection costs, "
            "over this run's own book at stake.", True, can_be_negative=True),
    Outcome("recovery_rate_net", "Net recovery on delinquent exposure", PCT, "Money collected less collection "
            "costs, agency fees and fines, over delinquent exposure (the claim of accounts when they fell "
            "behind). Its denominator moves with the strategy: a strategy that keeps accounts from falling behind "
            "shrinks it. Use it within one strategy, not to rank strategies.", True, can_be_negative=True),
    Outcome("recovery_rate_gross", "Gross recovery on delinquent exposure", PCT, "Money recovered from accounts in "
            "collection plus what debt buyers paid, over delinquent exposure (the claim of accounts when they "
            "fell behind); over time, the cumulative share so far. Its denominator moves with the strategy, so "
            "it can rise while fewer dollars are collected: use recovery on a fixed base to rank strategies.",
            True, series=1),
    Outcome("cost_to_collect", "Cost to collect", PCT, "Collection costs, agency fees and fines over money "
            "collected.", False, card=9),
    # collection KPIs (docs/outcomes.md, "The bank's reports")
    Outcome("rpc_per_attempt", "Right-party contact rate", PCT, "Conversations with the borrower (calls answered "
            "by the borrower and visits where the household was met) per call attempt.", None, is_share=True),
    Outcome("promises_made", "Promises to pay", COUNT, "Promises to pay made in conversations, over the run.",
            None),
    Outcome("promises_kept", "Promises kept", COUNT, "Promises whose month's payment covered what was due.", True),
    Outcome("promise_kept_rate", "Promises kept (share)", PCT, "Promises kept over promises made.", True,
            is_share=True),
    Outcome("collector_hours", "Collector hours", COUNT, "Hours of collection work the strategy planned after "
            "rationing by its collector capacity, over the run.", None),
    Outcome("collected_per_collector_hour", "Collected per collector hour", MONEY, "Money collected over collector "
            "hours ($ an hour).", True),
    Outcome("redefault_rate_cured", "Re-default after a cure", PCT, "Of the accounts that caught up, the share back "
            "at 30+ days late, or charged off, within the watch window (12 months, or less in short runs).",
            False, is_share=True),
    Outcome("redefault_rate_reaged", "Re-default after a plan", PCT, "Of the accounts made current by a plan, "
            "deferral or write-down, the share back at 30+ days late, or charged off, within the watch window.",
            False, is_share=True),
    Outcome("cured_watched", "Cures watched", COUNT, "Cured accounts followed for the re-default window."),
    Outcome("reaged_watched", "Re-aged accounts watched", COUNT, "Re-aged accounts followed for the re-default "
            "window."),
    Outcome("redefault_window_months", "Re-default window (months)", COUNT, "Months a cured or re-aged account is "
            "watched for a re-default."),
    *[Outcome(k, f"Cost: {k.removeprefix('cost_').replace('_', ' ')}", MONEY, "What this tactic cost the lender "
              "over the run, at the tactic costs of the scenario.", False) for k in TACTIC_COST_COLUMNS],
    *[Outcome(k, f"Roll rate {_roll_label(k)}", PCT, "Of the accounts in the first bucket at the start of a month, "
              "the share in the second at its end, pooled over the run's months, by count.", False)
      for k in BANK_KEYS if k.startswith("roll_rate_")],
    # the welfare change against no collection (docs/outcomes.md, "Households and welfare")
    Outcome("ce_change", "Welfare change vs no collection", PCT, "The consumption-equivalent welfare change against "
            "the same households and shocks with no collection at all, future included: the share of their "
            "consumption households would give up (negative) or need (positive) to be as well off as without "
            "collection. The future (seven years) values what each household still owes at the end, its savings "
            "and the marks on its credit record, so not repaying is not counted as a gain.", True,
            can_be_negative=True),
    Outcome("ce_change_horizon", "Welfare change vs no collection (run months only)", PCT, "The same over the "
            "recorded months only: money a household does not repay counts as consumption, so more default can "
            "look like a gain. Shown beside the measure with the future for comparison.", True,
            can_be_negative=True),
    Outcome("collected", "Money collected", MONEY, "Payments from accounts in collection and debt-sale "
            "proceeds, over the run.", True),
    Outcome("collection_cost", "Collection cost", MONEY, "Calls, visits, lawsuits, plan set-up and other "
            "collection costs, over the run.", False),
    Outcome("agency_fees", "Agency fees", MONEY, "Contingency fees paid to collection agencies.", False),
    Outcome("fines", "Fines", MONEY, "Fines paid for detected rule violations.", False),
    Outcome("exposure", "Delinquent exposure", MONEY, "The claim of accounts when they entered delinquency: "
            "the base of the recovery rates."),
    Outcome("gross_chargeoff", "Gross charge-offs", MONEY, "Balances written off.", False),
    Outcome("net_chargeoff", "Net charge-offs", MONEY, "Charge-offs less recoveries.", False, can_be_negative=True),
    Outcome("recoveries", "Recoveries", MONEY, "Money recovered on charged-off claims and from debt sales.", True),
    Outcome("originated", "New lending", MONEY, "Loans originated over the run."),
    Outcome("book_balance", "Book balance", MONEY, "Balance of loans on the book at month end."),
    Outcome("balance_30plus", "Balance 30+ days late", MONEY, "Balance at least 30 days past due.", False),
    Outcome("third_party_harm", "Harm to third parties", MONEY, "Cost borne by relatives and neighbours "
            "contacted about someone else's debt.", False),
    # book
    Outcome("delinquency_30plus_rate", "30+ delinquency", PCT, "Balance 30+ days past due over the book, as "
            "banks report it. About 4% in calm US times (2006-07).", False, card=7, series=2),
    Outcome("chargeoff_rate", "Charge-offs", PCT, "Net charge-offs in a month, times 12, over the "
            "book: the yearly loss rate banks report.", False, can_be_negative=True, card=8, series=3),
    Outcome("cure_rate", "Cure rate", PCT, "Accounts that return to current in a month over accounts "
            "delinquent at its start.", True, is_share=True),
    Outcome("on_time_rate", "Paid on time", PCT, "Share of instalments due on current accounts paid on time.",
            True, is_share=True),
    Outcome("unemployment_rate", "Unemployment", PCT, "The unemployment rate of the scenario's economy (an "
            "input, not an outcome of the strategy).", None),
    Outcome("short_hours_rate", "On short hours", PCT, "Share of the employed whose hours are cut (part time for "
            "economic reasons), which rises with unemployment above 4.6% (an input, not an outcome of the "
            "strategy).", None),
    Outcome("approval_cutoff", "Approval cutoff", INDEX, "The score below which applicants are declined."),
    Outcome("expected_loss", "Expected loss", PCT, "The lender's expected loss rate, which sets its cutoff.",
            False),
    # complaints
    Outcome("complaints_per_1000", "Complaints", RATE, "Complaints a month per 1,000 accounts in collection.",
            False, card=4, series=4),
    *[Outcome(k, v, RATE, "Complaints of this category a month per 1,000 accounts in collection.", False)
      for k, v in CATEGORY_LABELS.items()],
    *[Outcome(k, v, RATE, "Complaints sent this way a month per 1,000 accounts in collection.", False)
      for k, v in CHANNEL_LABELS.items()],
    *[Outcome(k.removesuffix("_per_1000"), f"{v} (number)", COUNT, "Complaints of this category or channel in "
              "the month.", False) for k, v in {**CATEGORY_LABELS, **CHANNEL_LABELS}.items()],
    Outcome("disputes_per_1000", "Disputes", RATE, "Disputes of the debt a month per 1,000 accounts in "
            "collection.", False),
    Outcome("complaints", "Complaints (number)", COUNT, "Complaints over the run.", False),
    Outcome("violations", "Rule violations", COUNT, "Contacts that broke a rule of the regime in force.", False),
    # well-being
    Outcome("wellbeing_mean", "Well-being", INDEX, "Mean financial well-being index (0-100, scaled like the CFPB "
            "Financial Well-Being Scale; US mean about 54).", True, card=5, series=5),
    Outcome("wellbeing_low_share", "Low well-being", PCT, "Share of households in the low and very low "
            "well-being bands (index below 38).", False, card=6, is_share=True),
    Outcome("utility_mean", "Mean utility", INDEX, "Mean period utility of consumption (CRRA).", True,
            can_be_negative=True),
    Outcome("deprivation_share", "Below subsistence", PCT, "Share of households consuming below a subsistence "
            "floor.", False, is_share=True),
    # contacts
    Outcome("call_requests", "Calls planned", COUNT, "Calls the strategy asked for, before the regime's rules and "
            "the collectors' capacity.", None),
    Outcome("call_attempts", "Call attempts", COUNT, "Calls dialled, day and night.", None),
    Outcome("night_calls", "Night calls", COUNT, "Calls during the night.", False),
    Outcome("conversations", "Conversations", COUNT, "Calls that reached the borrower and became a "
            "conversation.", None),
    Outcome("visits", "Home visits", COUNT, "Field visits to a borrower's home.", None),
    Outcome("lawsuits", "Lawsuits filed", COUNT, "Debt lawsuits filed.", None),
    Outcome("plans_accepted", "Plans accepted", COUNT, "Instalment plans, deferrals or settlements accepted.",
            True),
    Outcome("placements", "Agency placements", COUNT, "Accounts placed with a collection agency."),
    Outcome("sales", "Debts sold", COUNT, "Accounts sold to a debt buyer."),
    Outcome("third_party_contacts", "Third-party contacts", COUNT, "Relatives or contacts told about a debt.",
            False),
    Outcome("social_media_posts", "Public posts", COUNT, "Public social-media posts about a debt.", False),
    Outcome("accounts_open", "Accounts open", COUNT, "Loans on the book at month end."),
    Outcome("accounts_delinquent", "Accounts delinquent", COUNT, "Accounts at least one day past due."),
    Outcome("accounts_30plus", "Accounts 30+ days late", COUNT, "Accounts at least 30 days past due."),
    Outcome("accounts_in_collection_start", "Accounts in collection", COUNT, "Accounts in collection at the start "
            "of the month."),
    Outcome("cures", "Cures", COUNT, "Accounts that returned to current."),
    Outcome("prepaid", "Prepaid", COUNT, "Loans repaid early."),
    Outcome("households", "Households", COUNT, "Households in the model."),
    Outcome("due_while_current", "Instalments due (current)", COUNT, "Instalments due on current accounts."),
    Outcome("paid_on_time", "Paid on time (number)", COUNT, "Instalments paid on time."),
    Outcome("disputes", "Disputes (number)", COUNT, "Disputes of the debt."),
    # segments (per household)
    Outcome("share_30plus", "Behind 30+ days", PCT, "Share of the segment's households with a loan 30+ days "
            "past due.", False, is_share=True),
    Outcome("share_below_essentials", "Below essentials", PCT, "Share of the segment's households consuming "
            "below their essential expenses.", False, is_share=True),
    Outcome("complaints_per_1000_households", "Complaints per 1,000 households", RATE, "Complaints a month per "
            "1,000 households of the segment.", False),
    Outcome("credit_extended", "Credit extended per household", MONEY, "New lending a month per household of "
            "the segment."),
    Outcome("applications_per_1000_households", "Applications per 1,000 households", RATE, "Loan applications "
            "a month per 1,000 households of the segment."),
    Outcome("approvals_per_1000_households", "Approvals per 1,000 households", RATE, "Loans approved a month per "
            "1,000 households of the segment."),
    # rules
    *[Outcome(f"clipped_{k}", f"{v}: clipped", COUNT, "Contact requests the regime in force dropped under this "
              "rule, over the run.") for k, v in RULE_LABELS.items()],
    *[Outcome(f"would_clip_{k}", f"{v}: would clip", COUNT, "Contacts made that the reference regime's rule "
              "would have dropped, over the run.") for k, v in RULE_LABELS.items()],
)

# The strategy cards and the Results tab's monthly charts, in order (from the entries' ``card`` and ``series``).
CARDS = sorted((k for k, o in OUTCOMES.items() if o.card is not None), key=lambda k: OUTCOMES[k].card)
LEAD_CARDS = CARDS[:3]  # NPV, P&L and recovery on a fixed base lead the cards, each on a row of its own
SERIES = sorted((k for k, o in OUTCOMES.items() if o.series is not None), key=lambda k: OUTCOMES[k].series)
# The Costs tab's table.
COSTS = ["collected", "collection_cost", "agency_fees", "fines", "cost_to_collect", "call_attempts", "visits",
         "lawsuits", "plans_accepted"]


def outcome(key: str) -> Outcome:
    """The entry of ``key``, or a plain one made from its name (a number with a readable label)."""
    if key in OUTCOMES:
        return OUTCOMES[key]
    text = key.replace("_per_1000", " per 1,000").replace("30plus", "30+").replace("_", " ")
    kind = PCT if key.endswith(("_rate", "_share")) else RATE if "per_1000" in key else INDEX
    return Outcome(key, text[:1].upper() + text[1:], kind)


def label(key: str) -> str:
    return outcome(key).label
