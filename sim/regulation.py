"""Regulation regimes and the daily contact calendar on which their rules are enforced.

Calls requested for a month are laid out on a 30-day calendar. Each day the regime's rules are checked
at their own time scale (attempts a day, attempts in any 7 consecutive days, days of silence after a
conversation, quiet hours); attempts that would break a rule are dropped and counted by rule. Under a
regime without rules, the calendar still counts what a chosen reference regime would have forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

import numpy as np

from sim import kernels
from sim.tactics import Collector

DAYS = 30


class Rule(IntEnum):
    """Rules that can clip a contact request."""

    DAILY_CAP = 0  # attempts a day per account
    WEEKLY_CAP = 1  # attempts in any 7 consecutive days per account
    AFTER_CONVERSATION = 2  # no call within N days after a conversation
    QUIET_HOURS = 3  # no calls at night
    VISIT_BAN = 4
    THIRD_PARTY = 5  # no contact with third parties about the debt
    SOCIAL_MEDIA = 6  # no public social-media posts about a debt
    THREATS = 7  # no threats
    DISPUTE_PAUSE = 8  # collection pauses on a written dispute until the debt is validated


@dataclass(frozen=True)
class Regime:
    """A set of contact rules. ``None`` means no limit."""

    name: str
    description: str
    source: str
    max_attempts_per_day: int | None = None
    max_attempts_per_7_days: int | None = None
    quiet_days_after_conversation: int = 0
    quiet_hours: bool = False  # forbids calls at night (21:00/22:00-08:00)
    visits_allowed: bool = True
    applies_to_first_party: bool = True
    collectors_per_visit: int = 1
    third_party_allowed: bool = True
    social_media_allowed: bool = True
    threats_allowed: bool = True
    dispute_pause: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def has_rules(self) -> bool:
        """Whether any calendar rule (caps, silence after a conversation, quiet hours) applies."""
        return (self.max_attempts_per_day is not None or self.max_attempts_per_7_days is not None
                or self.quiet_days_after_conversation > 0 or self.quiet_hours)

    def tightened(self, step: int = 1) -> Regime:
        """A stricter copy: caps lowered by ``step`` (an adaptive regulator's response)."""
        weekly = self.max_attempts_per_7_days if self.max_attempts_per_7_days is not None else 14
        daily = self.max_attempts_per_day if self.max_attempts_per_day is not None else 6
        return replace(self, name=f"{self.name}+", max_attempts_per_7_days=max(weekly - step, 2),
                       max_attempts_per_day=max(daily - step, 1), applies_to_first_party=True)

    def binds(self, collector_is_third_party: np.ndarray) -> np.ndarray:
        """Which accounts the regime covers."""
        if self.applies_to_first_party:
            return np.ones(len(collector_is_third_party), dtype=bool)
        return collector_is_third_party


#: US Regulation F as written: it covers third-party collectors
REG_F = Regime(
    "us_reg_f",
    "US FDCPA / Regulation F: at most 7 call attempts in 7 days per debt, none within 7 days after "
    "a telephone conversation, no calls before 08:00 or after 21:00, no discussing the debt with third "
    "parties or in public, no threats, collection paused on a written dispute until validated. Covers "
    "third-party collectors (agencies and debt buyers), not first-party lenders.",
    "12 CFR 1006.14(b)(2), 1006.6(b)(1)(i), 1006.6(d), 1006.34 and 1006.38; FDCPA 15 U.S.C. 1692c-e; in force "
    "30 Nov 2021",
    max_attempts_per_7_days=7,
    quiet_days_after_conversation=7,
    quiet_hours=True,
    applies_to_first_party=False,
    third_party_allowed=False,
    social_media_allowed=False,
    threats_allowed=False,
    dispute_pause=True,
)


REGIMES: dict[str, Regime] = {
    r.name: r
    for r in (
        Regime("none", "No contact rules.", "—"),
        REG_F,
        replace(
            REG_F,
            name="us_reg_f_creditors",
            description="Regulation F's rules applied to creditors collecting their own debts as well as to "
            "third-party collectors, as some US states do: at most 7 call attempts in 7 days per debt, none within "
            "7 days after a telephone conversation, no calls before 08:00 or after 21:00, no third parties, no "
            "public posts, no threats, collection paused on a written dispute.",
            source="12 CFR 1006 as for us_reg_f; applied to first-party creditors as by California's Rosenthal Fair "
            "Debt Collection Practices Act (Cal. Civ. Code 1788.17 requires creditors to comply with FDCPA "
            "1692b-1692j)",
            applies_to_first_party=True,
        ),
        Regime(
            "china_2018",
            "China: no collection from unrelated third parties, no violence, threats or insults, at most 3 "
            "calls a day (the guidance counts connected calls; the model caps attempts) and no calls "
            "22:00-08:00; applies to lenders and their agents.",
            "bank card rules 2011; internet-finance self-regulatory convention of 28 March 2018; call caps weakly "
            "sourced industry guidance",
            max_attempts_per_day=3,
            quiet_hours=True,
            third_party_allowed=False,
            social_media_allowed=False,
            threats_allowed=False,
        ),
        Regime(
            "china_cba_2026",
            "China Banking Association guideline of 30 January 2026: no collection 22:00-08:00, at most 6 "
            "attempts a day to the same number, at least two collectors per home visit, no unrelated third "
            "parties, no threats.",
            "China Banking Association, guideline of 30 January 2026",
            max_attempts_per_day=6,
            quiet_hours=True,
            collectors_per_visit=2,
            third_party_allowed=False,
            social_media_allowed=False,
            threats_allowed=False,
        ),
    )
}


@dataclass
class CalendarResult:
    """What happened on the calendar this month, one row per account."""

    attempts: np.ndarray  # day attempts made
    night_attempts: np.ndarray  # night attempts made
    conversations: np.ndarray  # number of right-party conversations by phone
    clipped: np.ndarray  # attempts dropped by the enforced regime, by Rule (len(Rule),)
    would_clip: np.ndarray  # attempts the reference regime would have dropped, by Rule
    violations: np.ndarray  # attempts made against the enforced regime by collectors that do not comply, by Rule
    clipped_rows: np.ndarray | None = None  # (accounts, len(Rule)) attempts dropped per account; sums to clipped
    would_clip_rows: np.ndarray | None = None  # (accounts, len(Rule)) per account; sums to would_clip
    clipped_by_group: np.ndarray | None = None  # (groups, len(Rule)) attempts dropped, when counted by group
    would_clip_by_group: np.ndarray | None = None  # (groups, len(Rule)) what the reference would drop, by group
    daily: np.ndarray | None = None  # (accounts, DAYS) day attempts made each day, when kept
    daily_night: np.ndarray | None = None  # (accounts, DAYS) night attempts made each day, when kept


def spread_over_month(count: np.ndarray) -> np.ndarray:
    """Lay ``count`` attempts of each account evenly over 30 days: an (accounts, 30) matrix."""
    count = count.astype(np.int16)
    edges = (count[:, None] * np.arange(DAYS + 1, dtype=np.int16)[None, :]) // np.int16(DAYS)
    return edges[:, 1:] - edges[:, :-1]


WORKING_DAYS = np.arange(DAYS) % 7 < 5  # the month's days 0-29 run Monday to Sunday, four weeks and two days
CLUSTER_DAYS = 7.0  # attempts fall off with the days since the due date, with this scale (ODD section 7.5)


def _cluster_shares() -> np.ndarray:
    """(30 start days, 31) cumulative shares of a month's attempts by day, for each due day: working days only,
    falling off as exp(-days since the due date / CLUSTER_DAYS)."""
    since = (np.arange(DAYS)[None, :] - np.arange(DAYS)[:, None]) % DAYS
    weight = WORKING_DAYS[None, :] * np.exp(-since / CLUSTER_DAYS)
    cum = np.cumsum(weight, axis=1) / weight.sum(axis=1, keepdims=True)
    return np.concatenate([np.zeros((DAYS, 1)), cum], axis=1)


CLUSTER_SHARES = _cluster_shares()


def cluster_over_month(count: np.ndarray, due_day: np.ndarray) -> np.ndarray:
    """Lay ``count`` attempts of each account on the days collectors make them: working days, most of them in
    the days after the account's due date (day ``due_day``, 0-29), several on one day when there are more
    attempts than days (a dialer retries the same day). An (accounts, 30) matrix; every attempt is placed."""
    cum = CLUSTER_SHARES[np.asarray(due_day) % DAYS]
    edges = np.floor(count.astype(np.float64)[:, None] * cum + 1e-9).astype(np.int16)
    edges[:, -1] = count
    return edges[:, 1:] - edges[:, :-1]


def _p_conversation(p_answer: np.ndarray, attempts: np.ndarray) -> np.ndarray:
    """Probability that at least one of ``attempts`` calls in a day reaches the right party:
    ``1 - (1 - p) ** attempts`` (zero for no attempt), computed by table look-up when, as usual, the
    answer probabilities take few distinct values (at most 8: ``kernels.more_distinct_than`` asks without
    sorting them)."""
    shape = (-1,) + (1,) * (attempts.ndim - 1)
    if kernels.more_distinct_than(p_answer, 8):
        return (1.0 - (1.0 - p_answer.reshape(shape)) ** attempts).astype(np.float32)
    values, which = np.unique(p_answer, return_inverse=True)
    k = int(attempts.max(initial=0)) + 1
    table = (1.0 - (1.0 - values[:, None]) ** np.arange(k)[None, :]).astype(np.float32)
    return table[which.reshape(shape), attempts]


def would_clip(
    day_req: np.ndarray, night_req: np.ndarray, conv_days: np.ndarray, covered: np.ndarray, regime: Regime,
) -> np.ndarray:
    """Attempts that ``regime`` would have dropped from a calendar that was executed without it
    (conversations as they happened), counted by rule without changing anything."""
    return would_clip_rows(day_req, night_req, conv_days, covered, regime).sum(axis=0)


def would_clip_rows(
    day_req: np.ndarray, night_req: np.ndarray, conv_days: np.ndarray, covered: np.ndarray, regime: Regime,
) -> np.ndarray:
    """:func:`would_clip` account by account: an (accounts, len(Rule)) array, zero for accounts not covered."""
    n = day_req.shape[0]
    clipped = np.zeros((n, len(Rule)), dtype=np.int64)
    if not covered.any():
        return clipped
    cov = np.flatnonzero(covered)
    day_req, night_req, conv_days = day_req[cov], night_req[cov], conv_days[cov]
    night_month = night_req.sum(axis=1, dtype=np.int64)
    month_total = day_req.sum(axis=1, dtype=np.int64) + night_month
    if regime.quiet_hours:
        clipped[cov, Rule.QUIET_HOURS] = night_month
    # each cap is checked only on the accounts that could break it: a month with no more attempts than the
    # cap cannot exceed it on any day or in any 7 days
    if regime.max_attempts_per_day is not None:
        rows = month_total > regime.max_attempts_per_day
        total = day_req[rows].astype(np.int32) + night_req[rows]
        clipped[cov[rows], Rule.DAILY_CAP] = np.maximum(total - regime.max_attempts_per_day, 0).sum(axis=1)
    if regime.max_attempts_per_7_days is not None:
        rows = month_total > regime.max_attempts_per_7_days
        total = day_req[rows].astype(np.int32) + night_req[rows]
        csum = np.cumsum(total, axis=1)
        window = csum - np.concatenate([np.zeros((len(total), 7), dtype=csum.dtype), csum[:, :-7]], axis=1)
        # attempts beyond the cap in the 7-day window ending each day, counted once per day
        excess = np.maximum(window - regime.max_attempts_per_7_days, 0)
        clipped[cov[rows], Rule.WEEKLY_CAP] = np.minimum(excess, total).sum(axis=1)
    if regime.quiet_days_after_conversation:
        # only accounts with a conversation and another attempt can be called in the silent days after it
        rows = (month_total >= 2) & conv_days.any(axis=1)
        total = day_req[rows].astype(np.int32) + night_req[rows]
        k = regime.quiet_days_after_conversation
        conv_c = np.cumsum(conv_days[rows], axis=1)
        lagged = np.concatenate([np.zeros((len(total), 1), dtype=conv_c.dtype), conv_c[:, :-1]], axis=1)
        before = np.concatenate([np.zeros((len(total), k), dtype=conv_c.dtype), conv_c[:, :-k]], axis=1)
        recent = (lagged - before) > 0
        clipped[cov[rows], Rule.AFTER_CONVERSATION] = np.where(recent, total, 0).sum(axis=1)
    return clipped


CALENDAR_BLOCK = 16_384  # accounts run at once (their (accounts, 30) draws and chances of a conversation)


def run_calendar(
    calls: np.ndarray,
    night_calls: np.ndarray,
    third_party: np.ndarray,
    p_answer: np.ndarray,
    rng: np.random.Generator,
    regime: Regime,
    reference: Regime,
    complies: np.ndarray | None = None,
    keep_daily: bool = False,
    due_day: np.ndarray | None = None,
    group: np.ndarray | None = None,
    n_groups: int = 0,
) -> CalendarResult:
    """Execute a month of call requests under ``regime``.

    Accounts the regime covers and whose collector complies have their requests clipped day by day
    (``clipped``, by rule). Covered accounts whose collector does not comply (``complies`` false) are
    called as requested, and what the regime forbids is counted as ``violations``. Separately, what the
    ``reference`` regime would have forbidden of the attempts actually made is counted as
    ``would_clip`` (when the two regimes differ).

    Attempts are laid out as collectors make them (:func:`cluster_over_month`, from each account's ``due_day``,
    0-29); without ``due_day`` they are spread evenly over the month.

    With ``group`` (each account's outcome group, below ``n_groups``, or -1 for an account counted in the
    totals only), the counts by rule are tallied by group (``clipped_by_group``, ``would_clip_by_group``);
    without it, account by account (``clipped_rows``, ``would_clip_rows``).

    Each count of attempts is laid out once (:func:`_layout_table`); the accounts are run block after block of
    ``CALENDAR_BLOCK`` (``kernels.busiest_day`` and ``kernels.run_calendar_month``): the draws are the same as in one
    piece, and the block fixes how the chances of a conversation are computed (:func:`_p_conversation`).
    """
    n = len(calls)
    complies = np.ones(n, dtype=bool) if complies is None else complies
    by_account = group is None
    if by_account:
        group, n_groups = np.arange(n), n
    clustered = due_day is not None
    due_day = np.zeros(n, dtype=np.int8) if due_day is None else due_day
    bound = regime.binds(third_party) if regime.has_rules else np.zeros(n, dtype=bool)
    enforced = bound & complies
    breaking = bound & ~complies
    ref_covered = reference.binds(third_party)
    check_reference = reference.name != regime.name and bool(ref_covered.any())
    kept = n if keep_daily else 0  # the day-by-day calendar is written only when it is kept
    made_day, made_night = np.zeros((kept, DAYS), dtype=np.int16), np.zeros((kept, DAYS), dtype=np.int16)
    conv = np.zeros((kept, DAYS), dtype=bool)
    attempts, night_attempts, conversations = (np.zeros(n, dtype=np.int32) for _ in range(3))
    clipped, violations, would = (np.zeros(len(Rule), dtype=np.int64) for _ in range(3))
    clipped_by_group, would_by_group = (np.zeros((n_groups, len(Rule)), dtype=np.int64) for _ in range(2))
    layout = _layout_table(max(int(calls.max(initial=0)), int(night_calls.max(initial=0))), clustered,
                           calls.dtype, due_day.dtype)
    memo = np.full(layout.shape[:2] + layout.shape[1:2], -1, dtype=np.int16)  # busiest day of each request
    busy_days = np.zeros(memo.shape, dtype=np.int64)  # and its days with attempts, as bits
    for lo in range(0, n, CALENDAR_BLOCK):
        s = slice(lo, lo + CALENDAR_BLOCK)
        m = len(calls[s])
        most = kernels.busiest_day(calls[s], night_calls[s], due_day[s], layout, clustered, memo, busy_days)
        answer_u = rng.random((m, DAYS), dtype=np.float32)
        p_talk = _p_talk(p_answer[s], enforced[s], int(most))
        day_s = s if keep_daily else slice(0, 0)
        kernels.run_calendar_month(
            calls[s], night_calls[s], due_day[s], layout, clustered, busy_days, answer_u, p_talk, enforced[s],
            breaking[s], ref_covered[s], group[s],
            *_limits(regime), *_limits(reference), check_reference, keep_daily, made_day[day_s], made_night[day_s],
            conv[day_s], attempts[s], night_attempts[s], conversations[s], clipped, violations, would,
            clipped_by_group, would_by_group)
    return CalendarResult(
        attempts=attempts,
        night_attempts=night_attempts,
        conversations=conversations,
        clipped=clipped,
        would_clip=would,
        violations=violations,
        clipped_rows=clipped_by_group if by_account else None,
        would_clip_rows=would_by_group if by_account else None,
        clipped_by_group=None if by_account else clipped_by_group,
        would_clip_by_group=None if by_account else would_by_group,
        daily=made_day if keep_daily else None,
        daily_night=made_night if keep_daily else None,
    )


def _layout_table(most: int, clustered: bool, count_dtype: np.dtype, day_dtype: np.dtype) -> np.ndarray:
    """How ``kernels.lay_out_calls`` lays out every count of attempts up to ``most`` on the month's days, for an
    account due on each day (clustered) or for any account (an even spread): an int16 array (due days, counts,
    days), from which ``kernels.run_calendar_month`` reads each account's requests (the layout depends on nothing
    else)."""
    due_days = DAYS if clustered else 1
    counts = np.tile(np.arange(most + 1), due_days).astype(count_dtype)
    due = np.repeat(np.arange(due_days), most + 1).astype(day_dtype)
    day, night = np.zeros((len(counts), DAYS), dtype=np.int16), np.zeros((len(counts), DAYS), dtype=np.int16)
    kernels.lay_out_calls(counts, np.zeros_like(counts), due, CLUSTER_SHARES, clustered, day, night)
    return day.reshape(due_days, most + 1, DAYS)


def _p_talk(p_answer: np.ndarray, enforced: np.ndarray, most: int) -> np.ndarray:
    """The chance of a conversation on a day with ``k`` attempts (0..``most``), one row per account of a block, as
    the numpy engine computed it: accounts the regime enforces in float64 from their attempts as int32, the
    others from int16 (see :func:`_p_conversation`)."""
    n = len(p_answer)
    k = np.arange(most + 1)
    k16 = lambda rows: np.tile(k.astype(np.int16), (rows, 1))  # noqa: E731
    if not enforced.any():
        return _p_conversation(p_answer, k16(n))
    p_talk = np.zeros((n, len(k)), dtype=np.float32)
    sub, free = np.flatnonzero(enforced), np.flatnonzero(~enforced)
    for j in k:  # the numpy engine's day loop asked one column at a time
        p_talk[sub, j] = _p_conversation(p_answer[sub], np.full(len(sub), j, dtype=np.int32))
    if len(free):
        p_talk[free] = _p_conversation(p_answer[free], k16(len(free)))
    return p_talk


def _limits(regime: Regime) -> tuple[int, int, int, bool]:
    """A regime's calendar rules as the kernel takes them: daily cap, weekly cap (``kernels.NO_LIMIT`` when not
    set), days of silence after a conversation, quiet hours."""
    return (kernels.NO_LIMIT if regime.max_attempts_per_day is None else regime.max_attempts_per_day,
            kernels.NO_LIMIT if regime.max_attempts_per_7_days is None else regime.max_attempts_per_7_days,
            regime.quiet_days_after_conversation, regime.quiet_hours)


def clip_requests(
    requested: np.ndarray, allowed: bool, bound: np.ndarray, complies: np.ndarray,
) -> tuple[np.ndarray, int, int]:
    """Apply a yes/no rule (third parties, social media, threats) to per-account request counts.

    Returns (requests executed, clipped, violations): covered accounts whose collector complies lose the
    forbidden requests; covered accounts whose collector does not comply make them as violations.
    """
    requested = np.asarray(requested)
    if allowed:
        return requested, 0, 0
    forbidden = bound & (requested > 0)
    drop = forbidden & complies
    executed = np.where(drop, 0, requested).astype(requested.dtype)
    return executed, int(requested[drop].astype(np.int64).sum()), int(requested[forbidden & ~complies].astype(
        np.int64).sum())


def regime_in_force(regulation: Any, month: int, tightenings: int) -> Regime:
    """The regime in force in ``month``: the scenario's starting regime (``regulation.regime``), the latest
    scheduled change (``regulation.changes``), the weekly call cap the scenario sets, and as many
    tightenings as an adaptive regulator has made."""
    name = regulation.regime
    for change in sorted(regulation.changes, key=lambda c: c.month):
        if month >= change.month:
            name = change.regime
    regime = REGIMES[name]
    cap = regulation.weekly_call_cap
    if cap == "unlimited":
        regime = replace(regime, name=f"{regime.name} (no weekly cap)", max_attempts_per_7_days=None)
    elif cap != "regime":
        regime = replace(regime, name=f"{regime.name} (cap {cap} a week)", max_attempts_per_7_days=int(cap),
                         applies_to_first_party=True)
    for _ in range(tightenings):
        regime = regime.tightened()
    return regime


def pause_disputed(regime: Regime, book: Any, t: Any, disputed: np.ndarray, notice_effect: float) -> None:
    """Where ``regime`` requires validation of a disputed debt, the month's disputes (per loan) pause the
    collection of the accounts it binds next month, and the validation notice, a clear statement of the
    debt, lowers the household's misunderstanding a little (its education effect rises to at least
    ``behaviour.notice_effect``)."""
    if not regime.dispute_pause:
        return
    rows = np.flatnonzero(disputed)
    bound = regime.binds(book.collector[rows] != Collector.LENDER)
    book.dispute_pause[rows[bound]] = 1
    households = book.borrower[rows[bound]]
    t.education_effect[households] = np.maximum(t.education_effect[households], np.float32(notice_effect))
