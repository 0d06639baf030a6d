"""Compiled month kernels: loops over accounts or households that do a step's arithmetic in one pass.

Each kernel is a pure ``@njit(cache=True)`` function over plain numpy arrays and scalars. It draws no
random numbers: the draws come in as arrays taken from the model's named streams, so common random
numbers and determinism survive. Each kernel's docstring gives the equation it computes or the ODD
section it implements, and names the numpy code it replaced; ``tests/test_kernels.py`` proves each one
equal to that code (bit for bit unless a test says otherwise).

Set ``NUMBA_DISABLE_JIT=1`` to run the kernels as plain Python (slow, but steppable in a debugger).
Compiled kernels are cached on disk next to this file (``__pycache__``) or under ``NUMBA_CACHE_DIR`` when
that is set; :func:`warm` compiles (or loads) every kernel on tiny arrays and returns the seconds it took.
"""

from __future__ import annotations

import time

import numpy as np
from numba import literal_unroll, njit

DAYS = 30
#: rule indices as in :class:`sim.regulation.Rule` (kept as plain ints for the compiled code)
DAILY_CAP, WEEKLY_CAP, AFTER_CONVERSATION, QUIET_HOURS = 0, 1, 2, 3
NO_LIMIT = -1  # a cap that is not set


# --------------------------------------------------------------------------------------------------
# the contact calendar (ODD section 7.5; sim.regulation.run_calendar)
# --------------------------------------------------------------------------------------------------
@njit(cache=True)
def lay_out_calls(calls, night_calls, due_day, cluster_shares, clustered, day_req, night_req):
    """Lay each account's requested day and night call attempts on the days of the month.

    Clustered (``clustered``, the model's default): with ``cum = cluster_shares[due_day % 30]`` (the
    cumulative share of a month's attempts by day), attempts up to day ``d`` are
    ``floor(count * cum[d] + 1e-9)``, the last edge being ``count``; otherwise evenly,
    ``(count * d) // 30``. Fills ``day_req`` and ``night_req`` (accounts x 30, int16, zero on entry) and
    returns the largest number of attempts (day and night) requested on one day. Replaces
    ``sim.regulation.cluster_over_month`` and ``spread_over_month``.
    """
    n = calls.shape[0]
    most = 0
    for i in range(n):
        for which in range(2):
            count = calls[i] if which == 0 else night_calls[i]
            if count == 0:
                continue
            out = day_req if which == 0 else night_req
            prev = 0
            if clustered:
                row = due_day[i] % DAYS
                if row < 0:
                    row += DAYS
                c = np.float64(count)
                for d in range(DAYS):
                    if d == DAYS - 1:
                        edge = np.int64(count)
                    else:
                        edge = np.int64(np.floor(c * cluster_shares[row, d + 1] + 1e-9))
                    out[i, d] = edge - prev
                    prev = edge
            else:
                for d in range(DAYS):
                    edge = (np.int64(count) * (d + 1)) // DAYS
                    out[i, d] = edge - prev
                    prev = edge
        if calls[i] != 0 or night_calls[i] != 0:
            for d in range(DAYS):
                total = np.int64(day_req[i, d]) + night_req[i, d]
                if total > most:
                    most = total
    return most


@njit(cache=True)
def more_distinct_than(values, k):
    """Whether ``values`` hold more than ``k`` distinct numbers: ``len(np.unique(values)) > k`` (values compared
    with ``==``, so -0.0 equals 0.0 as in the sort; NaN is not expected), stopping as soon as ``k + 1`` distinct
    values are seen. Replaces the sort that ``sim.regulation._p_conversation`` took to choose how it computes the
    chance of a conversation (by a table of few answer probabilities, or account by account)."""
    seen = np.empty(k + 1, dtype=values.dtype)
    m = 0
    for i in range(values.shape[0]):
        v = values[i]
        known = False
        for j in range(m):
            if seen[j] == v:
                known = True
                break
        if not known:
            if m == k:
                return True
            seen[m] = v
            m += 1
    return False


@njit(cache=True)
def _would_clip_day(d, day, night, window, last_talk, max_per_day, max_per_7_days, quiet_days, quiet_hours, out):
    """What a regime would have dropped of one executed day of an account, added to ``out`` by rule
    (``sim.regulation.would_clip_rows`` read day by day): the night attempts under quiet hours; attempts above the
    daily cap; in the 7 days ending today (``window`` attempts, today included), those beyond the weekly cap, at most
    today's; every attempt today when the last earlier conversation (day ``last_talk``) was less than
    ``quiet_days`` days ago."""
    total = day + night
    if total == 0:
        return
    if quiet_hours:
        out[QUIET_HOURS] += night
    if max_per_day >= 0 and total > max_per_day:
        out[DAILY_CAP] += total - max_per_day
    if max_per_7_days >= 0 and window > max_per_7_days:
        out[WEEKLY_CAP] += min(window - max_per_7_days, total)
    if quiet_days > 0 and d - last_talk < quiet_days:
        out[AFTER_CONVERSATION] += total


@njit(cache=True)
def run_calendar_month(calls, night_calls, due_day, layout, clustered, busy_days, answer_u, p_talk, enforced,
                       breaking, ref_covered, group,
                       max_per_day, max_per_7_days, quiet_days, quiet_hours,
                       ref_max_per_day, ref_max_per_7_days, ref_quiet_days, ref_quiet_hours, check_reference,
                       keep_daily, made_day, made_night, conv, attempts, night_attempts, conversations,
                       clipped, violations, would_clip, clipped_by_group, would_clip_by_group):
    """Run a month's calendar day by day for every account (ODD section 7.5; ``sim.regulation._enforce``
    and the rest of ``run_calendar`` in the numpy engine), in one pass over the accounts.

    An account's requested attempts by day are those :func:`lay_out_calls` lays out for its ``calls`` and
    ``night_calls``, read from ``layout[row, count, day]`` (:func:`_layout_row`), the layout of every count on every
    due day (``sim.regulation.run_calendar`` builds it with :func:`lay_out_calls`); only the days with requests
    (``busy_days``, from :func:`busiest_day` on the same accounts) are visited. For an
    account the regime binds and whose collector complies (``enforced``), each day's requests are clipped in this
    order, counting what is dropped by rule: night attempts under quiet hours; everything within ``quiet_days``
    days of a conversation (the conversation's day counting as the first); the daily cap (night attempts kept
    first); the weekly cap over the 7 days ending today. Other accounts make every request. A day has a
    conversation when ``answer_u[i, d] < p_talk[i, attempts that day]``, where ``p_talk[i, k] = 1 - (1 -
    p_answer_i) ** k`` (computed by numpy, so the probabilities are those of the numpy engine). What the regime
    forbids of a non-complying account's calls (``breaking``) is counted in ``violations`` and what the reference
    regime would forbid of ``ref_covered`` accounts in ``would_clip`` (:func:`_would_clip_day`). Caps are
    ``NO_LIMIT`` (-1) when not set.

    The counts by rule are added to the totals (``clipped``, ``violations``, ``would_clip``, by rule) and, for an
    account with ``group[i] >= 0``, to ``clipped_by_group[group[i]]`` and ``would_clip_by_group[group[i]]``
    (integers: exact in any order); the numpy engine kept (accounts x rules) matrices and summed them. The
    attempts made and the conversations are written day by day to ``made_day``, ``made_night`` and ``conv``
    only with ``keep_daily``. Replaces the (accounts x rules) matrices of the first compiled calendar and the sums
    over them (``_counts_by_group`` in ``sim.contacts``).
    """
    n = calls.shape[0]
    busy = np.empty(DAYS, dtype=np.int64)  # an account's days with requests, in order
    made = np.empty(DAYS, dtype=np.int64)  # the attempts made on each of them
    cut = np.zeros(4, dtype=np.int64)  # this account's counts by calendar rule (the first four of Rule)
    broke = np.zeros(4, dtype=np.int64)
    would = np.zeros(4, dtype=np.int64)
    for i in range(n):
        row = _layout_row(due_day[i], clustered)
        day_req, night_req = layout[row, calls[i]], layout[row, night_calls[i]]
        # only the days with requests change anything (a day without attempts has no conversation, clips and
        # breaks nothing): listed from the account's busy days (:func:`busiest_day`), lowest bit first
        k = 0
        days = busy_days[row, calls[i], night_calls[i]]
        while days:
            bit = days & -days
            busy[k] = _DE_BRUIJN[((bit * 0x077CB531) & 0xFFFFFFFF) >> 27]
            k += 1
            days ^= bit
        enforce = enforced[i]
        breaks = breaking[i]
        refers = check_reference and ref_covered[i]
        if not (enforce or breaks or refers or keep_daily):
            # no rule to apply or count: every request is made, only the conversations are drawn
            talks = 0
            for j in range(k):
                d = busy[j]
                total = np.int64(day_req[d]) + np.int64(night_req[d])
                if answer_u[i, d] < p_talk[i, total]:
                    talks += 1
                attempts[i] += day_req[d]
                night_attempts[i] += night_req[d]
            conversations[i] += talks
            continue
        last_talk = -10_000
        window = 0  # attempts made in the 6 days before today
        oldest = 0  # the first of the busy days still in the window
        cut[:] = 0
        broke[:] = 0
        would[:] = 0
        for j in range(k):
            d = busy[j]
            day = np.int64(day_req[d])
            night = np.int64(night_req[d])
            while busy[oldest] <= d - 7:  # days d - 7 and before leave the window
                window -= made[oldest]
                oldest += 1
            if enforce:
                if quiet_hours:
                    cut[QUIET_HOURS] += night
                    night = 0
                if quiet_days > 0 and d - last_talk < quiet_days:
                    cut[AFTER_CONVERSATION] += day + night
                    day = 0
                    night = 0
                if max_per_day >= 0:
                    total = day + night
                    if total > max_per_day:
                        cut[DAILY_CAP] += total - max_per_day
                        night = min(night, max_per_day)
                        day = min(day, max_per_day - night)
                if max_per_7_days >= 0:
                    room = max(max_per_7_days - window, 0)
                    total = day + night
                    if total > room:
                        cut[WEEKLY_CAP] += total - room
                        night = min(night, room)
                        day = min(day, room - night)
            if keep_daily:
                made_day[i, d] = day
                made_night[i, d] = night
            total = day + night
            made[j] = total
            window += total
            if breaks:
                _would_clip_day(d, day, night, window, last_talk, max_per_day, max_per_7_days, quiet_days,
                                quiet_hours, broke)
            if refers:
                _would_clip_day(d, day, night, window, last_talk, ref_max_per_day, ref_max_per_7_days,
                                ref_quiet_days, ref_quiet_hours, would)
            if total > 0 and answer_u[i, d] < p_talk[i, total]:
                if keep_daily:
                    conv[i, d] = True
                last_talk = d
                conversations[i] += 1
            attempts[i] += day
            night_attempts[i] += night
        g = group[i]
        for r in range(4):
            clipped[r] += cut[r]
            violations[r] += broke[r]
            would_clip[r] += would[r]
            if g >= 0:
                clipped_by_group[g, r] += cut[r]
                would_clip_by_group[g, r] += would[r]


# --------------------------------------------------------------------------------------------------
# the loan book's month (ODD section 7.6; sim.loans.LoanBook.schedule, apply_payments, refresh_status)
# --------------------------------------------------------------------------------------------------
#: loan statuses as in :class:`sim.loans.Status` (plain ints for the compiled code)
CURRENT, DELINQUENT, PLAN, LITIGATION, JUDGMENT, CHARGED_OFF, SOLD, PAID_OFF, CLOSED = range(9)
DAYS_PER_CYCLE = 30
REAGE_INTERVAL = 12
IN_COLLECTION_AFTER_CHARGE_OFF = 24


@njit(cache=True)
def claim(principal, interest, fees, out):
    """What each borrower still owes on each loan: ``principal + interest + fees`` (``LoanBook.claim``)."""
    for i in range(principal.shape[0]):
        out[i] = principal[i] + interest[i] + fees[i]


@njit(cache=True)
def amount_due(scheduled, arrears, principal, interest, fees, out):
    """What each loan asks this month: ``min(scheduled + arrears, principal + interest + fees)``
    (``LoanBook.amount_due``; the numpy engine took ``np.minimum`` of the sum and the claim)."""
    for i in range(scheduled.shape[0]):
        out[i] = min(scheduled[i] + arrears[i], principal[i] + interest[i] + fees[i])


@njit(cache=True)
def outcome_groups(lender, arm, group_offset, out):
    """The outcome group of each loan: ``group_offset[lender] + arm`` (``LoanBook.groups``; the numpy engine
    gathered the offsets and added the arms)."""
    for i in range(lender.shape[0]):
        out[i] = group_offset[lender[i]] + arm[i]


@njit(cache=True)
def on_book(status, out):
    """Whether each loan is on its lender's book: current, delinquent, on a plan, in litigation or judgment
    (``LoanBook.on_book``, the statuses up to ``JUDGMENT``)."""
    for i in range(status.shape[0]):
        out[i] = status[i] <= JUDGMENT


@njit(cache=True)
def in_collection(status, cycles, plan_left, deferral_left, litigation_age, judgment, out):
    """Whether each loan is in its lender's collection (``LoanBook.in_collection``): on the book and late, on a
    plan or deferral, in litigation or under judgment; or charged off (and so still held by the lender)."""
    for i in range(status.shape[0]):
        out[i] = _in_collection(status[i], cycles[i], plan_left[i], deferral_left[i], litigation_age[i], judgment[i])


@njit(cache=True)
def _in_collection(status, cycles, plan_left, deferral_left, litigation_age, judgment):
    """Whether one loan is in its lender's collection (:func:`in_collection`)."""
    worked = cycles > 0 or plan_left > 0 or deferral_left > 0 or litigation_age >= 0 or judgment
    return (worked and status <= JUDGMENT) or status == CHARGED_OFF


@njit(cache=True)
def observed_accounts(rows, uses_app, loan_id, dpd, cycles, scheduled, arrears, months_on_book, status, collector,
                      paid_last, broken_promises, contacts_last, rpc_last, disputed, judgment, months_since_chargeoff,
                      score, is_card, borrower, principal, interest, fees, plan_left, deferral_left, litigation_age,
                      o_loan_id, o_dpd, o_cycles, o_bucket, o_claim, o_scheduled, o_arrears, o_months_on_book,
                      o_status, o_collector, o_paid_last, o_broken_promises, o_contacts_last, o_rpc_last, o_disputed,
                      o_on_plan, o_in_litigation, o_judgment, o_charged_off, o_months_since_chargeoff, o_score,
                      o_is_card, o_uses_app):
    """What a lender's observation holds of the accounts at ``rows`` (``sim.loans.observe``), in one pass over
    them: each book column gathered (``o_<column> = column[rows]``, ``score`` from ``score_observed``); the claim
    ``principal + interest + fees``; the days-past-due bucket (:func:`buckets`); whether a plan or deferral runs,
    whether a lawsuit is pending or decided, whether the account is charged off; and whether its household uses
    the app (``uses_app[borrower]``; none when ``uses_app`` is empty). The numpy engine took one ``np.take`` a
    column and combined the copies."""
    has_app = uses_app.shape[0] > 0
    for j in range(rows.shape[0]):
        r = rows[j]
        o_loan_id[j] = loan_id[r]
        d = dpd[r]
        o_dpd[j] = d
        o_bucket[j] = _bucket(d)
        o_cycles[j] = cycles[r]
        o_claim[j] = principal[r] + interest[r] + fees[r]
        o_scheduled[j] = scheduled[r]
        o_arrears[j] = arrears[r]
        o_months_on_book[j] = months_on_book[r]
        st = status[r]
        o_status[j] = st
        o_charged_off[j] = st == CHARGED_OFF
        o_collector[j] = collector[r]
        o_paid_last[j] = paid_last[r]
        o_broken_promises[j] = broken_promises[r]
        o_contacts_last[j] = contacts_last[r]
        o_rpc_last[j] = rpc_last[r]
        o_disputed[j] = disputed[r]
        o_on_plan[j] = plan_left[r] > 0 or deferral_left[r] > 0
        o_in_litigation[j] = litigation_age[r] >= 0
        o_judgment[j] = judgment[r]
        o_months_since_chargeoff[j] = months_since_chargeoff[r]
        o_score[j] = score[r]
        o_is_card[j] = is_card[r]
        o_uses_app[j] = uses_app[borrower[r]] if has_app else False


@njit(cache=True)
def left_collection(previous, current, out):
    """The ids of ``previous`` (sorted, unique) that are not in ``current`` (sorted, unique), in order, written to
    the front of ``out``; returns how many, or -1 when either list is not increasing (``sim.loans.observe``: the
    accounts that left collection since last month). One merge of the two sorted lists; the numpy engine took
    ``np.setdiff1d(previous, current, assume_unique=True)``, which sorts them again."""
    for ids in (previous, current):
        for i in range(1, ids.shape[0]):
            if ids[i] <= ids[i - 1]:
                return -1
    j = 0
    k = 0
    for i in range(previous.shape[0]):
        v = previous[i]
        while j < current.shape[0] and current[j] < v:
            j += 1
        if j < current.shape[0] and current[j] == v:
            continue
        out[k] = v
        k += 1
    return k


@njit(cache=True)
def buckets(dpd, out):
    """The days-past-due bucket of each figure (``sim.loans.bucket_of``; :func:`_bucket`)."""
    for i in range(dpd.shape[0]):
        out[i] = _bucket(dpd[i])


@njit(cache=True)
def _bucket(d):
    """The days-past-due bucket of ``d`` days: 0 below 1 day, 1 for 1-29 days, then one bucket per 30 days up to 7
    for 180 days and more."""
    return 0 if d < 1 else min(d // 30 + 1, 7)


@njit(cache=True)
def accrue_interest(principal, apr, status, forborne, forbearance_accrues, interest, interest_charged, out):
    """A month's interest on each loan on the book, ``principal * (apr / 12)`` (none on a forborne loan unless
    ``forbearance_accrues``), added to ``interest`` and ``interest_charged`` and written to ``out``
    (``LoanBook.accrue_interest``; the numpy engine added ``np.where(accrue, principal * rate, 0.0)`` to both)."""
    for i in range(principal.shape[0]):
        accrue = status[i] <= JUDGMENT and (forbearance_accrues or not forborne[i])
        x = principal[i] * (apr[i] / 12.0) if accrue else 0.0
        interest[i] += x
        interest_charged[i] += x
        out[i] = x


@njit(cache=True)
def schedule_payments(principal, interest, fees, interest_this_month, lender, status, is_card, months_on_book, term,
                      instalment, plan_left, deferral_left, forborne, min_payment_floor, min_payment_share,
                      plan_payment_share, payment_share, has_payment_share, contractual, scheduled):
    """This month's contractual payment of every loan (``LoanBook.schedule``).

    A card asks ``max(floor, share * principal + this month's interest)``; an instalment loan its annuity,
    or the whole claim once matured; a plan ``plan_payment_share`` of that; a charged-off or sold claim
    ``max(floor, claim / 12)``; never more than the claim (``contractual``). Nothing is scheduled while
    forborne or deferred, nor on a loan no longer collected; with ``has_payment_share``, only
    ``payment_share`` of it (an accommodation's ramp back).
    """
    for i in range(principal.shape[0]):
        claim = principal[i] + interest[i] + fees[i]
        k = lender[i]
        if is_card[i]:
            c = max(min_payment_floor[k], min_payment_share[k] * principal[i] + interest_this_month[i])
        elif months_on_book[i] >= term[i]:
            c = claim
        else:
            c = instalment[i]
        if plan_left[i] > 0:
            c = plan_payment_share * c
        st = status[i]
        if st == CHARGED_OFF or st == SOLD:
            c = max(min_payment_floor[k], claim / 12.0)
        c = min(c, claim)
        contractual[i] = c
        s = 0.0 if (forborne[i] or deferral_left[i] > 0) else c
        if st >= PAID_OFF:
            s = 0.0
        if has_payment_share:
            s = s * payment_share[i]
        scheduled[i] = s


@njit(cache=True)
def apply_payments_pass(paid_in, late_fee, forborne, fee_waived, has_fee_waived, month, has_month, plan_payment_share,
                        lender, scheduled, contractual, instalment, is_card, due_day, chargeoff_days, reaged_month,
                        principal, interest, fees, repaid, written_off, buyer_collected, paid_last, fees_charged,
                        arrears, plan_left, plan_arrears, deferral_left, cycles, dpd, in_episode, episode_exposure,
                        status, months_since_chargeoff, months_on_book,
                        paid, paid_on_charged_off, due_while_current, paid_on_time, missed, cured, rolled_60,
                        new_episode, chargeoff, gross_chargeoff, paid_off, broken_plan, fee_out, has_details):
    """Apply a month's payments to every loan and update its arrears, clocks and status, in one pass
    (``LoanBook.apply_payments``; ODD section 7.6).

    The payment (at most the claim) goes to fees, then interest, then principal; what was due and not paid
    is the arrears (at most the claim); a short payment breaks a plan (the plan's set-aside arrears come
    back) and, unless payments are paused or the fee waived, costs the lender's late fee. Cycles are
    ``ceil(arrears / reference - 1e-9)`` in contractual payments (the card minimum, at the full payment for
    an account on a plan, i.e. divided by ``plan_payment_share``; else the instalment; at least $1), never
    rising while paused, at most 99; days past due ``30 (cycles - 1) + 30 - due_day``.
    Cures, rolls to 60+, delinquency episodes, charge-off at ``chargeoff_days``, pay-off and the clocks
    follow. Book columns are updated in place; the month's events are written to the output arrays, the
    details (``missed``, ``paid_off``, ``broken_plan``, ``fee_out``) only with ``has_details`` (else they may be
    empty: the model's month reads none of them).
    """
    for i in range(paid_in.shape[0]):
        claim_before = principal[i] + interest[i] + fees[i]
        pay = min(paid_in[i], claim_before)
        full = pay >= claim_before * (1.0 - 1e-12)
        pay_fees = fees[i] if full else min(pay, fees[i])
        rest = pay - pay_fees
        pay_interest = interest[i] if full else min(rest, interest[i])
        pay_principal = principal[i] if full else min(rest - pay_interest, principal[i])
        pay = pay_fees + pay_interest + pay_principal
        fees[i] -= pay_fees
        interest[i] -= pay_interest
        principal[i] -= pay_principal
        principal[i] = max(principal[i], 0.0)

        st = status[i]
        was_sold = st == SOLD
        was_charged_off = st == CHARGED_OFF
        # (a column that an event leaves as it is is not written: its memory stays clean)
        if was_sold:
            buyer_collected[i] += pay
        else:
            repaid[i] += pay
        if was_charged_off:
            written_off[i] -= pay
        paid_last[i] = pay
        paid[i] = pay
        paid_on_charged_off[i] = pay if was_charged_off else 0.0

        on_book = st <= JUDGMENT
        due = scheduled[i] + arrears[i] if on_book else 0.0
        shortfall = max(due - pay, 0.0)
        claim_after = principal[i] + interest[i] + fees[i]
        arr = min(shortfall, claim_after)
        old_cycles = cycles[i]
        was_delinquent = old_cycles > 0
        miss = on_book and shortfall > 1e-9 and claim_after > 1e-9

        on_plan = plan_left[i] > 0
        broken = on_plan and miss
        plan_left[i] = plan_left[i] - 1 if (on_plan and not miss) else 0
        plan_completed = on_plan and not miss and plan_left[i] == 0
        if broken:
            arr = min(arr + plan_arrears[i], claim_after)
        if plan_left[i] <= 0 and plan_arrears[i] != 0.0:
            plan_arrears[i] = 0.0

        paused = forborne[i] or deferral_left[i] > 0
        late = miss and not paused
        if has_fee_waived and fee_waived[i]:
            late = False
        fee = late_fee[lender[i]] if late else 0.0
        if late:
            fees[i] += fee
            fees_charged[i] += fee

        full_payment = contractual[i] / max(plan_payment_share, 1e-9) if on_plan else contractual[i]
        reference = max(full_payment, 1.0) if is_card[i] else max(instalment[i], 1.0)
        if on_book:
            cyc = np.int16(np.int64(np.ceil(arr / reference - 1e-9)))
        else:
            cyc = old_cycles
        if paused and on_book:
            cyc = min(cyc, old_cycles)
        cyc = min(cyc, np.int16(99))
        new_arrears = arr if on_book else 0.0
        if arrears[i] != new_arrears:
            arrears[i] = new_arrears
        cycles[i] = cyc
        if on_book:
            dpd[i] = DAYS_PER_CYCLE * (cyc - 1) + (DAYS_PER_CYCLE - due_day[i]) if cyc > 0 else 0
        days = dpd[i]

        cure = on_book and was_delinquent and cyc == 0
        cured[i] = cure
        rolled_60[i] = on_book and cyc >= 3 and old_cycles < 3
        new = on_book and cyc > 0 and not in_episode[i]
        new_episode[i] = new
        episode = (in_episode[i] or new) and not (cure or plan_completed)
        if has_month and on_book and cyc == 0 and month - np.int32(reaged_month[i]) >= REAGE_INTERVAL:
            episode = False
        in_episode[i] = episode
        if new:
            episode_exposure[i] = claim_after

        co = on_book and days >= chargeoff_days[i]
        chargeoff[i] = co
        gross = principal[i] + interest[i] + fees[i] if co else 0.0
        gross_chargeoff[i] = gross
        if co:
            written_off[i] += gross
            status[i] = CHARGED_OFF
            months_since_chargeoff[i] = 0
            arrears[i] = 0.0
            plan_left[i] = 0

        off = principal[i] + interest[i] + fees[i] <= 1e-9 and status[i] < PAID_OFF
        if off:
            principal[i] = 0.0
            interest[i] = 0.0
            fees[i] = 0.0
            status[i] = PAID_OFF
            arrears[i] = 0.0
            cycles[i] = 0
            dpd[i] = 0

        months_on_book[i] += 1
        deferral_left[i] = max(deferral_left[i] - 1, 0)
        if months_since_chargeoff[i] >= 0:
            months_since_chargeoff[i] += 1
            written = status[i] == CHARGED_OFF or status[i] == SOLD
            if written and months_since_chargeoff[i] > IN_COLLECTION_AFTER_CHARGE_OFF:
                status[i] = CLOSED
        counts = on_book and old_cycles == 0 and scheduled[i] > 0 and not paused
        due_while_current[i] = counts
        paid_on_time[i] = counts and not miss
        if has_details:
            missed[i] = miss
            paid_off[i] = off
            broken_plan[i] = broken
            fee_out[i] = fee


@njit(cache=True)
def drop_rows(columns, gone):
    """Move the rows of book columns (a tuple of columns of any dtypes) that are not ``gone`` to their front, in
    order, in place; returns how many (``LoanBook.compact``, a few columns a pass: ``sim.loans.MOVED_TOGETHER``).
    Safe in place because a kept row only moves up. Reads the mask, not an index array (a kept row is copied and
    the write position advances past it, with no branch); the numpy engine gathered a copy of each column with
    ``np.take(column, np.flatnonzero(~gone))`` and wrote it back."""
    j = 0
    for i in range(gone.shape[0]):
        for column in literal_unroll(columns):
            column[j] = column[i]
        j += not gone[i]
    return j


@njit(cache=True)
def refresh_status(status, cycles, plan_left, deferral_left, litigation_age, judgment):
    """The status of loans still on the book from their flags, the last that applies winning: current,
    delinquent (cycles > 0), plan (a plan or deferral running), litigation, judgment
    (``LoanBook.refresh_status``)."""
    for i in range(status.shape[0]):
        if status[i] <= JUDGMENT:
            status[i] = _status_on_book(cycles[i], plan_left[i], deferral_left[i], litigation_age[i], judgment[i])


@njit(cache=True)
def _status_on_book(cycles, plan_left, deferral_left, litigation_age, judgment):
    """The status of one loan still on the book (:func:`refresh_status`): the last that applies of current,
    delinquent, plan, litigation and judgment."""
    new = CURRENT
    if cycles > 0:
        new = DELINQUENT
    if plan_left > 0 or deferral_left > 0:
        new = PLAN
    if litigation_age >= 0:
        new = LITIGATION
    if judgment:
        new = JUDGMENT
    return new


# --------------------------------------------------------------------------------------------------
# households (ODD sections 7.2, 7.7 and 7.8; sim.borrowers)
# --------------------------------------------------------------------------------------------------
# Transcendental functions (exp, log) are computed by numpy before a kernel is called and passed in: numpy's
# vectorised exp and log round differently from the compiled ones in the last bit, and the kernels are to
# compute exactly what the numpy engine computed.
@njit(cache=True)
def labour_market(transition, separation_weights, finding_weights, separation, finding, growth, benefit_rate,
                  support, shock_event, shock_probability, shock_size, shock_scale,
                  employed, months_unemployed, income_base, income, shock, lost):
    """Jobs lost and found, income and expense shocks for every household (``borrowers.labour_and_shocks``).

    An employed household loses its job when ``transition < separation * separation_weight``; an unemployed one
    finds one when ``transition < finding * finding_weight``. Earnings are ``income_base * growth`` (``growth =
    exp(volatility * noise - volatility^2 / 2)``, from numpy), benefits ``income_base * benefit_rate + support``.
    A shock (``shock_event < shock_probability``, compared in float32 as numpy compared it) costs
    ``shock_scale * income_base * shock_size``. Writes ``lost`` (lost the job this month).
    """
    p_shock = np.float32(shock_probability)
    for i in range(employed.shape[0]):
        was = employed[i]
        job_lost = was and np.float64(transition[i]) < separation * separation_weights[i]
        found = (not was) and np.float64(transition[i]) < finding * finding_weights[i]
        now = (was and not job_lost) or found
        employed[i] = now
        lost[i] = job_lost
        months_unemployed[i] = 0 if now else months_unemployed[i] + 1
        if now:
            income[i] = income_base[i] * np.float64(growth[i])
        else:
            income[i] = income_base[i] * benefit_rate + support
        if shock_event[i] < p_shock:
            shock[i] = shock_scale * income_base[i] * np.float64(shock_size[i])
        else:
            shock[i] = 0.0


@njit(cache=True)
def payment_budget(income, essentials, shock, savings, drawdown, budget):
    """Money a household can put towards its debts this month (``borrowers.payment_budget``): with
    ``flow = income - essentials - shock``, ``max(flow, 0) + drawdown * max(savings + min(flow, 0), 0)``, at most
    ``savings + flow`` and at least 0."""
    for i in range(income.shape[0]):
        budget[i] = _budget(income[i], essentials[i], shock[i], savings[i], drawdown)


@njit(cache=True)
def _budget(income, essentials, shock, savings, drawdown):
    """One household's budget for its debts (:func:`payment_budget`): with ``flow = income - essentials - shock``,
    ``max(flow, 0) + drawdown * max(savings + min(flow, 0), 0)``, at most ``savings + flow`` and at least 0."""
    flow = income - essentials - shock
    b = max(flow, 0.0) + drawdown * max(savings + min(flow, 0.0), 0.0)
    return max(min(b, savings + flow), 0.0)


@njit(cache=True)
def split_budget(budget, wanted, owner, priority, pay):
    """How much each household pays on each loan (``borrowers.split_budget``; ODD section 7.5).

    A household whose budget covers the total it means to pay (``wanted``, summed over its loans) pays it. One
    that cannot splits ``max(budget, 0)`` across the loans it meant to pay as :func:`_split_rows` does. Sums over
    a household's loans run in loan order, as ``np.bincount`` sums.
    """
    n = budget.shape[0]
    total = np.zeros(n)
    for j in range(owner.shape[0]):
        total[owner[j]] += wanted[j]
        pay[j] = wanted[j]
    # the loans of households that cannot pay all they mean to (usually few), in loan order
    rows = np.empty(owner.shape[0], dtype=np.int64)
    k = 0
    for j in range(owner.shape[0]):
        o = owner[j]
        if wanted[j] > 0 and budget[o] < total[o] - 1e-9:
            rows[k] = j
            k += 1
    rows = rows[:k]
    _split_rows(rows, priority[rows], budget, wanted, owner, pay)


@njit(cache=True)
def settle_month(income, essentials, shock, paid, saving_rate, savings_target, borrowed, locked, paused,
                 has_spending, savings, shortfall, consumption):
    """Households pay, save towards their buffer and consume the rest (``borrowers.settle_month``; ODD 7.7).

    With ``surplus = income - essentials - shock - paid``: a surplus saves ``min(saving_rate * income, target -
    savings)`` (at least 0, at most the surplus), plus, in a lockdown, what it kept the household from spending
    (``locked``, out of what surplus is left); a deficit draws savings down, and what savings cannot cover is
    ``shortfall`` (at most the essentials). Consumption is ``essentials + surplus - save - shortfall`` (at least
    0) plus what new loans bought (``borrowed``) and, in a pause on other debts, the ``paused`` payments.
    """
    for i in range(income.shape[0]):
        surplus = income[i] - essentials[i] - shock[i] - paid[i]
        save = max(min(saving_rate * income[i], savings_target[i] - savings[i]), 0.0)
        save = min(save, surplus) if surplus > 0 else 0.0
        if has_spending:
            save = save + (min(locked[i], surplus - save) if surplus > 0 else 0.0)
        new = savings[i] + (save if surplus > 0 else surplus)
        short = min(max(-new, 0.0), essentials[i])
        shortfall[i] = short
        savings[i] = max(new, 0.0)
        c = max(essentials[i] + (surplus - save if surplus > 0 else 0.0) - short, 0.0) + borrowed[i]
        if has_spending:
            c += paused[i]
        consumption[i] = c


@njit(cache=True)
def effective_consumption(owner, attempts, night, visits, third_party, social_media, stress, essentials, consumption,
                          call_cost, night_call_cost, visit_cost, third_party_cost, social_media_cost, legal_cap,
                          over_cap_cost, stress_cost, floor_share, out):
    """Consumption less the money-equivalent disutility of the month's contacts and stress, in thousands of dollars
    (``borrowers.effective_consumption``; ODD section 7.8): each household's calls (day and night), night calls,
    visits, third-party contacts and posts are summed over its contacted rows (in integers, so exactly), then
    ``burden = c_call calls + c_night nights + c_visit visits + c_third third + c_social posts + c_over max(calls +
    visits - legal_cap, 0) + c_stress stress`` (the last product in float32), ``out = max(consumption - burden *
    essentials, floor_share * essentials) / 1000``. The numpy engine took five ``np.bincount`` (float64 sums of the
    same whole numbers) and added the terms in the same order; only the contacted households' counts are kept."""
    n = out.shape[0]
    # the contacted households' counts, exact in integers (so in any order), each in a slot of its own
    slot = np.full(n, -1, dtype=np.int32)
    counts = np.zeros((owner.shape[0], 5), dtype=np.int64)
    k = 0
    for j in range(owner.shape[0]):
        o = owner[j]
        if slot[o] < 0:
            slot[o] = k
            k += 1
        c = counts[slot[o]]
        c[0] += attempts[j] + night[j]
        c[1] += night[j]
        c[2] += visits[j]
        c[3] += third_party[j]
        c[4] += social_media[j]
    s32 = np.float32(stress_cost)
    for i in range(n):
        calls, nights, visited, third, posts = 0.0, 0.0, 0.0, 0.0, 0.0
        if slot[i] >= 0:
            c = counts[slot[i]]
            calls, nights, visited, third, posts = (np.float64(c[0]), np.float64(c[1]), np.float64(c[2]),
                                                    np.float64(c[3]), np.float64(c[4]))
        b = call_cost * calls
        b += night_call_cost * nights
        b += visit_cost * visited
        b += third_party_cost * third
        b += social_media_cost * posts
        over = (calls + visited) - legal_cap
        b += over_cap_cost * (over if over >= 0.0 else 0.0)
        b += np.float64(s32 * stress[i])
        b *= essentials[i]
        left = consumption[i] - b
        floor = floor_share * essentials[i]
        out[i] = (left if left >= floor else floor) / 1000.0


@njit(cache=True)
def stress_and_wellbeing(stress, contact_stress, any_30plus, lost_job, shock, shortfall, log_buffer, wellbeing,
                         wellbeing_offset, employed, stress_decay, stress_from_arrears, stress_from_job_loss,
                         stress_from_shock, wellbeing_base, savings_weight, stress_weight, arrears_weight,
                         unemployment_weight, adjustment):
    """Stress and the well-being index of every household (``borrowers.update_stress_and_wellbeing``; ODD 7.7).

    ``stress = clip(decay * stress + contact stress + arrears, job-loss, shock and shortfall terms, 0, 1)``;
    well-being moves by ``adjustment`` towards ``base + offset + savings_weight * log_buffer - stress_weight *
    stress - arrears_weight * [30+ days late] - unemployment_weight * [unemployed]``, clipped to 0-100, where
    ``log_buffer = log((savings / max(essentials, 1) + 0.1) / 1.1)`` comes from numpy. Products of a float32
    column and a weight are rounded to float32 first, as numpy rounded them.
    """
    decay = np.float32(stress_decay)
    w_stress = np.float32(stress_weight)
    for i in range(stress.shape[0]):
        s = (np.float64(decay * stress[i]) + contact_stress[i] + stress_from_arrears * any_30plus[i]
             + stress_from_job_loss * lost_job[i] + stress_from_shock * (shock[i] > 0) + 0.2 * (shortfall[i] > 0))
        st = np.float32(min(max(s, 0.0), 1.0))
        stress[i] = st
        target = (np.float64(np.float32(wellbeing_base) + wellbeing_offset[i]) + savings_weight * log_buffer[i]
                  - np.float64(w_stress * st) - arrears_weight * any_30plus[i]
                  - unemployment_weight * (not employed[i]))
        wb = np.float64(wellbeing[i]) + adjustment * (target - np.float64(wellbeing[i]))
        wellbeing[i] = np.float32(min(max(wb, 0.0), 100.0))


# --------------------------------------------------------------------------------------------------
# what contact does (ODD section 7.5; CollectionModel._contact_effects)
# --------------------------------------------------------------------------------------------------
CALL_USE, THREAT_USE, OTHER_USE = 1, 2, 0  # how a tactic's use enters goodwill and harassment


@njit(cache=True)
def contact_effects(rows, counts, kind, dose_per_use, stress_per_use, goodwill_per_use, reactance_per_use, contacts,
                    night, conversations, by_buyer, accepted, threatened, credibility, contact_tolerance,
                    conversation_dose, buyer_pressure, night_reactance, plan_goodwill, pressure_memory, threat_memory,
                    goodwill_recovery, reactance_weight, stock, threat, goodwill, goodwill_base, reactance, harassment,
                    stress):
    """What this month's contact does to each account in collection (ODD section 7.5), in the numpy engine's order:

    per contacted account (``rows``; ``counts`` is tactics x accounts, in the order of the tactics' parameters),
    the dose is ``sum(count * dose_per_use) + conversation_dose * conversations + buyer_pressure`` (for a debt
    buyer's account), stress ``sum(count * stress_per_use)``, harassment ``sum(count * reactance_per_use)`` (a
    threat's times ``1 - credibility``) ``+ excess contacts + night_reactance * night calls``, goodwill ``sum(count *
    goodwill_per_use)`` (a call's only on attempts above ``contact_tolerance``) ``+ plan_goodwill`` if an offer was
    accepted. Over the whole book the contact stock decays by ``pressure_memory``, threats by ``threat_memory``,
    and goodwill recovers ``goodwill_recovery`` of its gap to ``goodwill_base``; then each contacted account adds
    its dose, keeps the larger of its threat and ``threatened * credibility``, and adds its goodwill (clipped to
    -1..1). Writes ``harassment`` and ``stress`` per contacted account and ``reactance_weight * harassment`` into
    ``reactance`` (per loan, zero on entry).
    """
    memory, t_memory, recovery = np.float32(pressure_memory), np.float32(threat_memory), np.float32(goodwill_recovery)
    for j in range(stock.shape[0]):
        stock[j] *= memory
        threat[j] *= t_memory
        goodwill[j] += recovery * (goodwill_base[j] - goodwill[j])
    for i in range(rows.shape[0]):
        excess = max(contacts[i] - contact_tolerance, 0.0)
        dose, st, good, har = 0.0, 0.0, 0.0, 0.0
        for k in range(counts.shape[0]):
            c = counts[k, i]
            dose += c * dose_per_use[k]
            st += c * stress_per_use[k]
            if kind[k] == CALL_USE:
                good += min(np.float64(c), excess) * goodwill_per_use[k]
            elif kind[k] == THREAT_USE:
                good += c * goodwill_per_use[k]
                har += c * reactance_per_use[k] * (1.0 - credibility[i])
            else:
                good += c * goodwill_per_use[k]
                har += c * reactance_per_use[k]
        dose += conversation_dose * conversations[i] + (buyer_pressure if by_buyer[i] else 0.0)
        har += excess + night_reactance * night[i]
        good += accepted[i] * plan_goodwill
        r = rows[i]
        stock[r] += np.float32(dose)
        threat[r] = max(threat[r], np.float32(threatened[i] * credibility[i]))
        goodwill[r] = np.float32(min(max(np.float64(goodwill[r]) + good, -1.0), 1.0))
        reactance[r] = np.float32(reactance_weight * har)
        harassment[i] = har
        stress[i] = st


# --------------------------------------------------------------------------------------------------
# what a month's reports read from the book (sim.reports, sim.finance)
# --------------------------------------------------------------------------------------------------
@njit(cache=True)
def account_states(status, dpd, not_on_book, out):
    """The report state of each loan (``reports.account_states``): its days-past-due bucket (as
    :func:`buckets`) while on the book, 8 charged off, 9 paid off, 10 sold, ``not_on_book`` otherwise."""
    for i in range(status.shape[0]):
        st = status[i]
        if st <= JUDGMENT:
            d = dpd[i]
            out[i] = _bucket(d)
        elif st == CHARGED_OFF:
            out[i] = 8
        elif st == PAID_OFF:
            out[i] = 9
        elif st == SOLD:
            out[i] = 10
        else:
            out[i] = not_on_book


@njit(cache=True)
def _recovery_value(st, d, in_episode, judgment, held_by_buyer, by_bucket, value_restructured, value_judgment,
                    value_charged_off):
    """One loan's expected recovery per dollar (see :func:`recovery_per_dollar`), written as selections
    rather than nested branches (statuses and days past due vary from row to row, and mispredicted branches
    cost more than the arithmetic)."""
    bucket = _bucket(d)
    value = by_bucket[bucket]
    value = value_restructured if (bucket == 0 and in_episode) else value
    value = value_judgment if judgment else value
    value = value if st <= JUDGMENT else 0.0
    return value_charged_off if (st == CHARGED_OFF and not held_by_buyer) else value


@njit(cache=True)
def recovery_per_dollar(status, dpd, in_episode, judgment, held_by_buyer, by_bucket, value_restructured,
                        value_judgment, value_charged_off, out):
    """Expected recovery per dollar of each loan's claim, as its lender values it (``finance.recovery_per_dollar``):
    ``by_bucket[bucket]`` on the book, ``value_restructured`` for an account current only because it was re-aged
    (still in its delinquency episode), ``value_judgment`` under judgment, ``value_charged_off`` for a charged-off
    claim the lender still holds, zero otherwise."""
    for i in range(status.shape[0]):
        out[i] = _recovery_value(status[i], dpd[i], in_episode[i], judgment[i], held_by_buyer[i], by_bucket,
                                 value_restructured, value_judgment, value_charged_off)


@njit(cache=True)
def book_value_by_group(principal, interest, fees, status, dpd, in_episode, judgment, collector, buyer, by_bucket,
                        value_restructured, value_judgment, value_charged_off, group, out):
    """Expected recovery of the claims each outcome group holds, $ (``finance.book_value``): adds
    ``(principal + interest + fees) * recovery_per_dollar`` of each loan to ``out[group]`` (zero on entry), in
    row order, a loan held by the debt buyer being the one whose ``collector`` is ``buyer``. The numpy engine
    took ``np.bincount(group, weights=claim * recovery_per_dollar)``, which adds in the same order."""
    for i in range(status.shape[0]):
        value = _recovery_value(status[i], dpd[i], in_episode[i], judgment[i], collector[i] == buyer, by_bucket,
                                value_restructured, value_judgment, value_charged_off)
        out[group[i]] += (principal[i] + interest[i] + fees[i]) * value


@njit(cache=True)
def roll_tallies(start, start_claim, end, group, n_from, count, balance):
    """Accounts and balance moving between states in a month, by group (``reports.RollRates.update``): each
    account whose state at the start is a bucket (``0 <= start < n_from``) and whose state at the end is known
    (``end >= 0``) adds one to ``count[group, start, end]`` and its claim at the start to
    ``balance[group, start, end]`` (both zero on entry), in row order. The numpy engine took two
    ``np.bincount`` over the flat cells, which add in the same order."""
    for i in range(start.shape[0]):
        s, e = start[i], end[i]
        if s >= 0 and s < n_from and e >= 0:
            g = group[i]
            count[g, s, e] += 1
            balance[g, s, e] += start_claim[i]


@njit(cache=True)
def household_sums_by_cell(cell, utility, power, wellbeing, low, any_30plus, short, out):
    """The recorder's sums over households by (income quintile, literacy tercile) cell (``MonthlyRecorder.record``):
    ``out[:, cell[i]]`` (``out`` 7 x 15, zero on entry) adds, in row order, the household's utility,
    ``c^(1-gamma)``, 1, well-being, and 1 for each of low well-being, a loan 30+ days late and a shortfall (the
    flags as 0 or 1).
    The numpy engine took seven ``np.bincount(cell, weights=...)`` (the last four the segments' means), each adding
    the same float64 values in the same order."""
    for i in range(cell.shape[0]):
        c = cell[i]
        out[0, c] += utility[i]
        out[1, c] += power[i]
        out[2, c] += 1.0
        out[3, c] += np.float64(wellbeing[i])
        out[4, c] += 1.0 if low[i] else 0.0
        out[5, c] += 1.0 if any_30plus[i] else 0.0
        out[6, c] += 1.0 if short[i] else 0.0


@njit(cache=True)
def household_flags(wellbeing, low_level, consumption, essentials, subsistence_share, shortfall, low, deprived, short):
    """Three yes/no facts of each household the recorder counts (``MonthlyRecorder.record``), in one pass: low
    well-being ``wellbeing < low_level`` (both float32, as numpy compares a float32 column with a Python float),
    deprivation ``consumption < subsistence_share * essentials`` (float64) and a shortfall ``shortfall > 0``.
    Replaces three numpy comparisons and the product, a temporary of one float a household."""
    for h in range(wellbeing.shape[0]):
        low[h] = wellbeing[h] < low_level
        deprived[h] = consumption[h] < subsistence_share * essentials[h]
        short[h] = shortfall[h] > 0.0


@njit(cache=True)
def vintage_tallies(month, months_on_book, group, principal_lent, gross_chargeoff, recovered, sale_rows, sale_loss,
                    lent, early, loss):
    """A month's vintage tallies by outcome group (``reports.Vintages.update``), in row order (outputs zero on
    entry). A loan's vintage is the recorded month it was originated in, ``month + 1 - months_on_book`` (negative:
    before recording); its net loss ``gross_chargeoff - recovered``, to which the loss on its sale (``sale_loss``,
    for the rows ``sale_rows``, increasing) is added, as ``np.add.at`` added it. ``lent[group, vintage // 3]`` adds
    the principal of the loans originated this month (``vintage == month``); ``early[group]`` the net loss of the
    loans originated before recording (``vintage < 0``; 0.0 for the others); ``loss[group, vintage // 3, month -
    vintage]`` the nonzero net losses of the loans originated since. The numpy engine took three ``np.bincount``,
    which add the same values in the same order, of the vintages and net losses computed in numpy (a cast, a
    difference and ``np.add.at``). A zero net loss is not added to ``early``: a sum that starts at 0.0 is never
    -0.0, and adding a zero (of either sign) leaves any other value as it is (so most rows, with no loss, add
    nothing)."""
    s = 0
    n_sales = sale_rows.shape[0]
    first = np.int32(month + 1)
    for i in range(group.shape[0]):
        v = first - np.int32(months_on_book[i])
        x = gross_chargeoff[i] - recovered[i]
        while s < n_sales and sale_rows[s] == i:
            x += sale_loss[s]
            s += 1
        if v >= 0 and v == month:
            lent[group[i], v // 3] += principal_lent[i]
        if x != 0.0:
            if v < 0:
                early[group[i]] += x
            else:
                loss[group[i], v // 3, month - v] += x


@njit(cache=True)
def redefault_watch(month, window, loan_id, bad, fix_month, fix_kind, fix_group, redefaults):
    """Re-defaults of the month (``reports.Redefaults.update``): each loan ``bad`` this month (30+ days past due on
    the book, or charged off) whose last cure or re-ageing (``fix_month`` by loan id, -1 if none watched) was 1 to
    ``window`` months ago adds one to ``redefaults[kind, fix month, months since, group]`` and to the all-groups
    column (the last); the watch over every bad loan ends (``fix_month = -1``). Counts are whole numbers: exact in
    any order (the numpy engine took ``np.add.at`` over the same loans)."""
    total = redefaults.shape[3] - 1
    for i in range(loan_id.shape[0]):
        if not bad[i]:
            continue
        j = loan_id[i]
        fixed = fix_month[j]
        since = month - fixed
        if fixed >= 0 and 1 <= since <= window:
            redefaults[fix_kind[j], fixed, since, fix_group[j]] += 1.0
            redefaults[fix_kind[j], fixed, since, total] += 1.0
        fix_month[j] = -1


@njit(cache=True)
def sum_by_index(index, weights, out):
    """``out[index[i]] += weights[i]`` in row order (``out`` zero on entry): what each household paid
    (``CollectionModel._settle_households``). The numpy engine took ``np.bincount(index, weights=weights)``, which
    adds the same float64 values in the same order."""
    for i in range(index.shape[0]):
        out[index[i]] += weights[i]


@njit(cache=True)
def requests_by_group(requested, where, group, held, out):
    """Integer requests counted where ``where`` holds: returns their total over every row and adds, for the rows
    ``held`` (by a lender, not the debt buyer), each to ``out[group[i]]`` (int64, exact in any order). What a
    reference regime would have forbidden of the yes/no requests (``sim.contacts.run_contacts``); the numpy
    engine summed a masked copy and took per-group sums of another."""
    total = 0
    for i in range(requested.shape[0]):
        if where[i]:
            v = np.int64(requested[i])
            total += v
            if held[i]:
                out[group[i]] += v
    return total


@njit(cache=True)
def sum_by_group_where(values, where, group, out):
    """``out[group[i]] += values[i]`` (as float64) over the rows ``where`` holds, in row order (``out`` zero on
    entry): the uses of each tactic by outcome group (``lenders.Costs.book_contacts``) and the harm to third parties
    (``contacts.run_contacts``). The numpy engine took ``np.bincount(group[where], weights=values[where])``, which
    adds the same values in the same order."""
    for i in range(values.shape[0]):
        if where[i]:
            out[group[i]] += np.float64(values[i])


@njit(cache=True)
def _pairwise_block_where(values, where, lo, n):
    """numpy's pairwise summation of a block of at most 128 entries of ``values[lo:lo + n]``, the entries where
    ``where`` is false read as 0.0: below 8 entries a plain loop from -0.0; else eight accumulators combined as
    ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, then the remainder added."""
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += values[i] if where[i] else 0.0
        return res
    r = np.empty(8)
    for k in range(8):
        r[k] = values[lo + k] if where[lo + k] else 0.0
    i = 8
    m = n - n % 8
    while i < m:
        for k in range(8):
            r[k] += values[lo + i + k] if where[lo + i + k] else 0.0
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += values[lo + i] if where[lo + i] else 0.0
        i += 1
    return res


@njit(cache=True)
def sum_where(values, where):
    """``np.sum(np.where(where, values, 0.0))`` for float64 ``values``, bit for bit, without the temporary: numpy's
    reduction adds to its identity (0.0) the pairwise sum (``DOUBLE_pairwise_sum``) of the whole contiguous array,
    which splits a range of more than 128 entries into two halves (the first a multiple of 8 entries), sums each
    alike and adds them, and sums a block of at most 128 as :func:`_pairwise_block_where` does. The halving is run
    here with an explicit stack (a recursive kernel cannot be cached); ``tests/test_kernels.py`` checks the
    equality on arrays of many lengths. The recorder's sums of one group (``MonthlyRecorder._by_lender_where``)."""
    lo, size, steps = _pairwise_plan(values.shape[0])
    partial = np.empty(128)
    done = 0
    for k in range(steps):
        if size[k] < 0:  # both halves are summed: add them, left + right
            done -= 1
            partial[done - 1] = partial[done - 1] + partial[done]
        else:
            partial[done] = _pairwise_block_where(values, where, lo[k], size[k])
            done += 1
    return 0.0 + partial[0]


@njit(cache=True)
def _pairwise_plan(n):
    """The order in which numpy's pairwise summation (``DOUBLE_pairwise_sum``) adds ``n`` entries, as steps to
    replay with a stack of partial sums: step ``k`` either sums the block of ``size[k]`` entries (at most 128) from
    ``lo[k]`` and pushes it, or (``size[k] == -1``) pops the last two partial sums and pushes left + right. A range
    of more than 128 entries is split into two halves (the first a multiple of 8 entries), each planned alike,
    then added. Returns ``(lo, size, steps)``. The halving runs with an explicit stack (a recursive kernel cannot
    be cached); the stack of partial sums a replay needs is at most about ``log2(n)`` deep."""
    most = 2 * (n // 64 + 2)
    lo_out = np.empty(most, dtype=np.int64)
    size_out = np.empty(most, dtype=np.int64)
    task_lo = np.empty(128, dtype=np.int64)
    task_n = np.empty(128, dtype=np.int64)
    task_combine = np.empty(128, dtype=np.bool_)
    tasks = 1
    task_lo[0], task_n[0], task_combine[0] = 0, n, False
    steps = 0
    while tasks:
        tasks -= 1
        lo, m, combine = task_lo[tasks], task_n[tasks], task_combine[tasks]
        if combine or m <= 128:
            lo_out[steps] = lo
            size_out[steps] = -1 if combine else m
            steps += 1
        else:
            half = m // 2
            half -= half % 8
            # the left half, then the right, then their sum
            task_lo[tasks], task_n[tasks], task_combine[tasks] = lo, m, True
            task_lo[tasks + 1], task_n[tasks + 1], task_combine[tasks + 1] = lo + half, m - half, False
            task_lo[tasks + 2], task_n[tasks + 2], task_combine[tasks + 2] = lo, half, False
            tasks += 3
    return lo_out, size_out, steps


@njit(cache=True)
def sum_by_group_masked(values, where, group, out):
    """``out[group[i]] += values[i] if where[i] else 0.0`` in row order (``out`` zero on entry): the recorder's sums
    by group (``MonthlyRecorder._by_lender_where``), as ``np.bincount(group, weights=np.where(where, values, 0.0))``
    adds them."""
    for i in range(values.shape[0]):
        out[group[i]] += values[i] if where[i] else 0.0


@njit(cache=True)
def neighbour_shares(indptr, indices, weights, first, second, out_first, out_second):
    """Two row-normalised neighbour means at once, over one pass of the network's links (``CollectionModel.
    _update_peers``): ``out_first[i] = sum_k weights[k] first[indices[k]]`` over row ``i``'s links in their
    stored order, in float32, and the same for ``second`` (0/1 flags). The numpy engine took two scipy
    ``csr_matrix @ vector`` products, which add the same float32 products in the same order."""
    for i in range(indptr.shape[0] - 1):
        a = np.float32(0.0)
        b = np.float32(0.0)
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            a += weights[k] * np.float32(first[j])
            b += weights[k] * np.float32(second[j])
        out_first[i] = a
        out_second[i] = b


@njit(cache=True)
def shared_row_weights(indptr, indices, weights, out):
    """Whether every row's links share one weight and the links are symmetric (row ``i`` links to ``j`` exactly when
    row ``j`` links to ``i``), as in the model's row-normalised network; writes each row's weight to ``out``
    (0 for a row without links). What :func:`neighbour_shares_from_flagged` needs to give :func:`neighbour_shares`'
    results."""
    n = indptr.shape[0] - 1
    for i in range(n):
        lo, hi = indptr[i], indptr[i + 1]
        out[i] = weights[lo] if hi > lo else np.float32(0.0)
        for k in range(lo, hi):
            if weights[k] != out[i]:
                return False
            j = indices[k]
            back = False
            for m in range(indptr[j], indptr[j + 1]):
                if indices[m] == i:
                    back = True
                    break
            if not back:
                return False
    return True


@njit(cache=True)
def neighbour_shares_from_flagged(indptr, indices, row_weight, first, second, out_first, out_second):
    """:func:`neighbour_shares` on a network whose rows' links share one weight (``row_weight``) and are symmetric
    (:func:`shared_row_weights`), from the flagged households only: each flagged household adds one to the count of
    each of its neighbours, and a row's mean is then ``row_weight`` added to itself in float32 as many times as
    it has flagged neighbours. Bit for bit :func:`neighbour_shares`: a row's sum there adds the same weight
    once per flagged neighbour (in any order, the same sum) and ``+0.0`` for the others (which changes nothing);
    with few households flagged it reads a small part of the network."""
    n = indptr.shape[0] - 1
    count_first = np.zeros(n, dtype=np.int32)
    count_second = np.zeros(n, dtype=np.int32)
    for j in range(n):
        if first[j]:
            for k in range(indptr[j], indptr[j + 1]):
                count_first[indices[k]] += 1
        if second[j]:
            for k in range(indptr[j], indptr[j + 1]):
                count_second[indices[k]] += 1
    for i in range(n):
        w = row_weight[i]
        a = np.float32(0.0)
        for _ in range(count_first[i]):
            a += w
        b = np.float32(0.0)
        for _ in range(count_second[i]):
            b += w
        out_first[i] = a
        out_second[i] = b


@njit(cache=True)
def loss_tallies(principal, interest, fees, status, lender, gross_chargeoff, paid_on_charged_off, balance, net):
    """What each lender learns its losses from (``lenders.learn_losses``): ``balance[lender]`` adds each loan's
    claim (``principal + interest + fees``) while on the book (zero otherwise), and ``net[lender]`` its
    ``gross_chargeoff - paid_on_charged_off``, in row order (both zero on entry), as the numpy engine's two
    ``np.bincount`` did."""
    for i in range(status.shape[0]):
        k = lender[i]
        balance[k] += (principal[i] + interest[i] + fees[i]) if status[i] <= JUDGMENT else 0.0
        net[k] += gross_chargeoff[i] - paid_on_charged_off[i]


# --------------------------------------------------------------------------------------------------
# --- contacts, complaints and the recorder, fused (session 9)
# --------------------------------------------------------------------------------------------------
@njit(cache=True)
def _layout_row(due_day, clustered):
    """The row of a layout table (:func:`run_calendar_month`) for an account due on ``due_day``: ``due_day % 30``
    when the attempts are clustered after the due date, else 0 (an even spread does not depend on it)."""
    if not clustered:
        return 0
    row = due_day % DAYS
    return row + DAYS if row < 0 else row


@njit(cache=True)
def busiest_day(calls, night_calls, due_day, layout, clustered, memo, busy_days):
    """The largest number of attempts (day and night) requested on one day of the month by any account with calls,
    as :func:`lay_out_calls` returns it, from the layout table of :func:`run_calendar_month`; ``memo[row, calls,
    night calls]`` (-1 when not yet known) keeps each combination's busiest day, and ``busy_days[row, calls, night
    calls]`` the days with requests (bit ``d`` set for day ``d``), which :func:`run_calendar_month` reads."""
    most = 0
    for i in range(calls.shape[0]):
        c, c_night = calls[i], night_calls[i]
        if c == 0 and c_night == 0:
            continue
        row = _layout_row(due_day[i], clustered)
        busiest = memo[row, c, c_night]
        if busiest < 0:
            busiest = 0
            days = 0
            for d in range(DAYS):
                total = np.int64(layout[row, c, d]) + layout[row, c_night, d]
                busiest = max(busiest, total)
                days |= np.int64(total > 0) << d
            memo[row, c, c_night] = busiest
            busy_days[row, c, c_night] = days
        most = max(most, np.int64(busiest))
    return most


#: the day of a month's one set bit, by de Bruijn multiplication (``_DE_BRUIJN[(bit * 0x077CB531 mod 2**32) >> 27]``)
_DE_BRUIJN = np.array([0, 1, 28, 2, 29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4, 8, 31, 27, 13, 23, 21, 19, 16, 7, 26,
                       12, 18, 6, 11, 5, 10, 9], dtype=np.int64)


#: what :func:`month_account_tallies` sums over the book's accounts (money, $), and counts
ACCOUNT_SUMS = ("balance", "balance_30plus", "collected", "exposure", "gross_chargeoff", "paid_on_charged_off",
                "payments_received", "claim_in_collection")
ACCOUNT_COUNTS = ("on_book", "delinquent", "in_30plus", "due_while_current", "paid_on_time", "disputed", "cured",
                  "promise_kept")


@njit(cache=True)
def _account_block(lo, m, principal, interest, fees, status, dpd, cycles, collector, buyer, was, paid,
                   paid_on_charged_off, gross_chargeoff, episode_exposure, new_episode, due_while_current, paid_on_time,
                   disputed, cured, promise_kept, values, flags):
    """The terms of :func:`month_account_tallies` of the accounts ``lo .. lo + m - 1``: their money in ``values[:,
    :m]`` (one row per sum, zero where an account does not count) and their flags (0 or 1) in ``flags[:, :m]``."""
    for j in range(m):
        i = lo + j
        # every column read first, then selected (no branch on an account's state)
        claim = principal[i] + interest[i] + fees[i]  # as LoanBook.claim
        paid_i, recovered, exposure = paid[i], paid_on_charged_off[i], episode_exposure[i]
        on_book = status[i] <= JUDGMENT
        in_30 = on_book & (dpd[i] >= 30)
        was_in = (i < was.shape[0]) and was[i]
        held = collector[i] != buyer
        values[0, j] = claim if on_book else 0.0
        values[1, j] = claim if in_30 else 0.0
        values[2, j] = paid_i if (was_in & held) else 0.0
        values[3, j] = exposure if new_episode[i] else 0.0
        values[4, j] = gross_chargeoff[i]
        values[5, j] = recovered
        values[6, j] = (paid_i if held else 0.0) - recovered
        values[7, j] = claim if was_in else 0.0
        flags[0, j] = on_book
        flags[1, j] = on_book & (cycles[i] > 0)
        flags[2, j] = in_30
        flags[3, j] = due_while_current[i]
        flags[4, j] = paid_on_time[i]
        flags[5, j] = disputed[i]
        flags[6, j] = cured[i]
        flags[7, j] = promise_kept[i]


@njit(cache=True)
def _pairwise_block(values, m):
    """numpy's pairwise sum of ``values[:m]`` (``m`` at most 128), as :func:`_pairwise_block_where` with every entry
    kept."""
    if m < 8:
        res = -0.0
        for j in range(m):
            res += values[j]
        return res
    r0, r1, r2, r3 = values[0], values[1], values[2], values[3]
    r4, r5, r6, r7 = values[4], values[5], values[6], values[7]
    j = 8
    whole = m - m % 8
    while j < whole:
        r0 += values[j]
        r1 += values[j + 1]
        r2 += values[j + 2]
        r3 += values[j + 3]
        r4 += values[j + 4]
        r5 += values[j + 5]
        r6 += values[j + 6]
        r7 += values[j + 7]
        j += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while j < m:
        res += values[j]
        j += 1
    return res


@njit(cache=True)
def month_account_tallies(principal, interest, fees, status, dpd, cycles, collector, buyer, was, paid,
                          paid_on_charged_off, gross_chargeoff, episode_exposure, new_episode, due_while_current,
                          paid_on_time, disputed, cured, promise_kept, group, sums, counts):
    """The recorder's sums over the book's accounts in one pass (``MonthlyRecorder.record``; names in
    ``ACCOUNT_SUMS`` and ``ACCOUNT_COUNTS``), each loan adding to its outcome group ``group[i]``.

    Money (``sums``, sums x groups, zero on entry), with ``claim = principal + interest + fees``: the claim on the
    book (status up to judgment), and 30+ days past due on it; payments on accounts in collection at the start of
    the month (``was``, as long as the book was then; shorter: the loans opened since were not) held by a lender or
    its agency (``collector != buyer``); the exposure of new delinquency episodes; gross charge-offs; recoveries on
    charged-off claims; payments received on the book (a lender's or agency's payment less recoveries); the claim
    of the accounts in collection at the start. Counts (``counts``, int64, zero on entry): loans on the book,
    delinquent on it (``cycles > 0``), 30+ days past due on it, and the month's ``due_while_current``,
    ``paid_on_time``, ``disputed``, ``cured`` and ``promise_kept`` events.

    With several groups each money sum adds in row order, as ``np.bincount(group, weights=np.where(where, values,
    0.0))`` did; with one group, as numpy's pairwise ``np.sum(np.where(where, values, 0.0))`` (the halving of
    :func:`sum_where`, eight sums at once, each block of at most 128 accounts written out by
    :func:`_account_block` and summed by :func:`_pairwise_block`). Counts are integers, exact in any order.
    Replaces eight ``_by_lender_where``/``_by_lender`` sums over money and eight counts over masks, each a pass
    over the book.
    """
    n = status.shape[0]
    values = np.empty((8, 128))
    flags = np.empty((8, 128), dtype=np.int64)
    if sums.shape[1] > 1:
        for lo in range(0, n, 128):
            m = min(128, n - lo)
            _account_block(lo, m, principal, interest, fees, status, dpd, cycles, collector, buyer, was, paid,
                           paid_on_charged_off, gross_chargeoff, episode_exposure, new_episode, due_while_current,
                           paid_on_time, disputed, cured, promise_kept, values, flags)
            for j in range(m):
                g = group[lo + j]
                for q in range(8):
                    sums[q, g] += values[q, j]
                    counts[q, g] += flags[q, j]
        return
    lo, size, steps = _pairwise_plan(n)
    partial = np.empty((128, 8))
    done = 0
    for k in range(steps):
        m = size[k]
        if m < 0:  # both halves are summed: add them, left + right
            done -= 1
            for q in range(8):
                partial[done - 1, q] = partial[done - 1, q] + partial[done, q]
        else:
            _account_block(lo[k], m, principal, interest, fees, status, dpd, cycles, collector, buyer, was, paid,
                           paid_on_charged_off, gross_chargeoff, episode_exposure, new_episode, due_while_current,
                           paid_on_time, disputed, cured, promise_kept, values, flags)
            for q in range(8):
                partial[done, q] = _pairwise_block(values[q], m)
                c = 0
                for j in range(m):
                    c += flags[q, j]
                counts[q, 0] += c
            done += 1
    for q in range(8):
        sums[q, 0] = 0.0 + partial[0, q]



@njit(cache=True)
def flag_households(borrower, status, group, g, flags):
    """The households with a loan still collected (status below paid off, ``LoanBook.collecting``) in outcome group
    ``g`` (any group when ``g`` is -1): ``flags[borrower[i]] = True`` (``flags`` false on entry). The numpy
    engine counted each household's loans with ``np.bincount`` and kept the counts above zero."""
    for i in range(borrower.shape[0]):
        if status[i] < PAID_OFF and (g < 0 or group[i] == g):
            flags[borrower[i]] = True


@njit(cache=True)
def select_households(flags, wellbeing, utility, low, deprived, chosen_wellbeing, chosen_utility, tallies):
    """The flagged households' well-being and utility, gathered in household order into the first entries of
    ``chosen_wellbeing`` and ``chosen_utility`` (as ``wellbeing[flags]``, ``utility[flags]``); returns their
    number and adds to ``tallies`` (int64) how many of them have low well-being and how many are deprived.
    Replaces four boolean selections over the households (``MonthlyRecorder._household_means``)."""
    k = 0
    n_low = 0
    n_deprived = 0
    for h in range(flags.shape[0]):
        chosen_wellbeing[k] = wellbeing[h]
        chosen_utility[k] = utility[h]
        f = flags[h]
        n_low += f & low[h]
        n_deprived += f & deprived[h]
        k += f
    tallies[0] += n_low
    tallies[1] += n_deprived
    return k


@njit(cache=True)
def complaint_inputs(rows, owner, who, disputed, lender, attempts, night, visits, contact_tolerance, propensity,
                     stress, literacy, literacy_mean, row_disputed, excess, row_propensity, literacy_ratio,
                     in_collection):
    """The drivers of each contacted row's complaint draw (``complaints.month_complaints``; ODD section 7.7) in one
    pass: whether the loan ``rows[i]`` is disputed; contacts above ``contact_tolerance``, ``max(attempts + night +
    visits - tolerance, 0)`` (float64); the household's complaint propensity times ``0.5 + stress`` and its literacy
    over ``literacy_mean`` (float32, as numpy rounded them); and, per lender, the rows a lender or its agency holds
    (``who`` not the debt buyer) added to ``in_collection`` (int64). Replaces eight gathers and sums."""
    half, mean32 = np.float32(0.5), np.float32(literacy_mean)
    for i in range(rows.shape[0]):
        h, r = owner[i], rows[i]
        row_disputed[i] = disputed[r]
        excess[i] = max(np.float64(np.int64(attempts[i]) + night[i] + visits[i]) - contact_tolerance, 0.0)
        row_propensity[i] = propensity[h] * (half + stress[h])
        literacy_ratio[i] = literacy[h] / mean32
        in_collection[lender[r]] += who[i] != BUYER_COLLECTOR


@njit(cache=True)
def note_contacts(rows, attempts, visits, conversations, contacts_last, rpc_last):
    """What lenders observe next month of this month's contact (``CollectionModel._note_contacts``): every loan's
    ``contacts_last`` and ``rpc_last`` are reset to 0, then each contacted row ``rows[i]`` keeps its day attempts
    and visits (at most 32,000) and its conversations. The numpy engine zeroed both columns and scattered two
    temporaries."""
    contacts_last[:] = 0
    rpc_last[:] = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        contacts_last[r] = min(np.int64(attempts[i]) + visits[i], 32000)
        rpc_last[r] = conversations[i]


@njit(cache=True)
def complaint_tallies(category, channel, group, who, held, total):
    """The month's complaints counted for the recorder (``MonthlyRecorder.record``), one row of counts for all
    complaints, then one per category (``category`` 0-5, -1 for none) and one per channel (0-2): ``held[:, g]`` counts
    the complaints about rows of group ``g`` that a lender or its agency holds (``who`` not the debt buyer),
    ``total`` every complaint (int64, both zero on entry). Whole numbers, so equal to the float sums the numpy
    engine took over selections of the complaints."""
    for i in range(category.shape[0]):
        c = category[i]
        if c < 0:
            continue
        k = N_CATEGORIES + 1 + channel[i]
        total[0] += 1
        total[1 + c] += 1
        total[k] += 1
        if who[i] != BUYER_COLLECTOR:
            g = group[i]
            held[0, g] += 1
            held[1 + c, g] += 1
            held[k, g] += 1


@njit(cache=True)
def current_accounts(status, lender, arm, index, per_arm):
    """How many current accounts lender ``index`` holds (``sim.loans.current_rows``, counted without listing them):
    returns their number and, when ``per_arm`` has more than one entry (a lender testing challengers), adds each to
    ``per_arm[arm]`` (int64; arms beyond its length are counted in the total only). Whether a strategy that does
    not look sends pre-due reminders depends on this number alone (``sim.contacts.pre_due_reminders``)."""
    total = 0
    arms = per_arm.shape[0]
    for i in range(status.shape[0]):
        counted = (status[i] == CURRENT) & (lender[i] == index)  # (no branch on a loan's state)
        total += counted
        if arms > 1:
            a = arm[i]
            inside = a < arms
            per_arm[a if inside else 0] += counted & inside
    return total

#: what :func:`contact_tallies` counts over the contacted rows
CONTACT_COUNTS = ("call_requests", "call_attempts", "night_calls", "conversations", "visits", "lawsuits",
                  "plans_accepted", "placements", "sales", "third_party_contacts", "social_media_posts",
                  "promises_made")


@njit(cache=True)
def contact_tallies(group, call_requests, attempts, night, conversations, visits, sued, accepted, placed, sold,
                    third_party, social_media, promise, out):
    """The recorder's counts over the month's contacted rows by outcome group (``MonthlyRecorder.record``; names
    in ``CONTACT_COUNTS``): ``out[:, group[i]]`` (int64, zero on entry) adds the row's calls requested, call
    attempts (day and night), night attempts, conversations, visits, and 1 for each of a suit, an accepted offer,
    a placement, a sale, then its third-party contacts, 1 for a public post and 1 for a promise. Whole numbers:
    exact in any order, so equal to the float sums the numpy engine took (``np.sum`` or ``np.bincount`` of each
    column as floats, one pass each)."""
    for g in range(out.shape[1]):  # group by group, in scalars (few groups; no sum waits on the last one's store)
        requests = made = at_night = talks = visited = suits = accepts = placements = sales = third = posts = \
            promises = 0
        for i in range(group.shape[0]):
            if group[i] != g:
                continue
            requests += call_requests[i]
            made += np.int64(attempts[i]) + night[i]
            at_night += night[i]
            talks += conversations[i]
            visited += visits[i]
            suits += sued[i]
            accepts += accepted[i]
            placements += placed[i]
            sales += sold[i]
            third += third_party[i]
            posts += social_media[i]
            promises += promise[i]
        out[0, g], out[1, g], out[2, g], out[3, g] = requests, made, at_night, talks
        out[4, g], out[5, g], out[6, g], out[7, g] = visited, suits, accepts, placements
        out[8, g], out[9, g], out[10, g], out[11, g] = sales, third, posts, promises

#: offers as in :class:`sim.tactics.Offer`, the debt buyer as in :class:`sim.tactics.Collector` (plain ints)
NO_OFFER, DEFERRAL_OFFER, PLAN_OFFER, SETTLEMENT_OFFER, WRITEDOWN_OFFER = range(5)
BUYER_COLLECTOR = 2
N_CATEGORIES, N_CHANNELS = 6, 3  # complaint categories and channels (sim.complaints)
#: the rows of :func:`contact_outcomes`' ``uses``: a tactic's uses on each contacted row, in the order
#: ``sim.contacts.run_contacts`` lists the tactics (``CONTACT_USES`` there)
N_CONTACT_USES = 15



@njit(cache=True)
def contact_setup(rows, who, u, calls, night_calls, borrower, lender, arm, group_offset, dispute_pause, compliance,
                  binds_first_party, willingness, reachable, digital, call_answer_rate, call_avoidance, owner,
                  lender_of_row, group, complies, third, bound, lender_held, call_requests, paused, p_answer,
                  row_willingness, row_reachable, row_digital):
    """What the contact step first reads of each planned row (``sim.contacts.run_contacts``; ODD section 7.5), in
    one pass: its household, lender and outcome group (``group_offset[lender] + arm``); whether it is collected by
    a third party (agency or debt buyer), bound by the regime (every row when ``binds_first_party``, else the third
    parties'), held by a lender or its agency (not the debt buyer); whether its collector complies (a third party
    always, a lender's collector when ``u[i, 5] < compliance[lender]``); the calls requested (day and night, as
    int16 summed, then int32); whether a written dispute pauses it (``dispute_pause > 0`` and bound); and the chance
    that a call is answered, ``call_answer_rate * reachable * (1 - call_avoidance * (1 - willingness))``, in float32
    with the float64 product as numpy rounded it; and the household's ``willingness``, ``reachable`` and ``digital``
    (for :func:`contact_outcomes`). Replaces a dozen gathers and masks."""
    one32 = np.float32(1.0)
    avoidance32 = np.float32(call_avoidance)
    for i in range(rows.shape[0]):
        r = rows[i]
        h = borrower[r]
        k = lender[r]
        by_third = who[i] != 0
        binds = binds_first_party | by_third
        owner[i] = h
        lender_of_row[i] = k
        group[i] = group_offset[k] + arm[r]
        third[i] = by_third
        bound[i] = binds
        lender_held[i] = who[i] != BUYER_COLLECTOR
        complies[i] = by_third | (np.float64(u[i, 5]) < compliance[k])
        call_requests[i] = np.int32(np.int16(calls[i] + night_calls[i]))
        paused[i] = (dispute_pause[r] > 0) & binds
        willing, can_reach = willingness[h], reachable[h]
        row_willingness[i] = willing
        row_reachable[i] = can_reach
        row_digital[i] = digital[h]
        avoids = avoidance32 * (one32 - willing)
        p_answer[i] = np.float32(call_answer_rate * (1.0 if can_reach else 0.0) * np.float64(one32 - avoids))

@njit(cache=True)
def contact_outcomes(rows, u, reminders, push, emails, offer, digital_offer, education, sue, place, sell, visits,
                     threats, third_party, social, attempts, night, conversations, reachable, digital, willingness,
                     status, litigation_age, judgment, collector, reaged_month, month, push_reach, email_reach,
                     promise_rate, digital_take_up, offer_acceptance, reage_interval, visit_talk, talked, reminded,
                     promise, offered, accepted, educated, sued, placed, sold, threatened, legal, uses):
    """What the month's conversations and messages do on each contacted row (ODD section 7.5; the numpy engine's
    ``run_contacts`` after the calendar), in one pass over the loan rows ``rows`` (the book's ``status``,
    ``litigation_age``, ``judgment``, ``collector`` and ``reaged_month`` as the month found them; each row's
    household's ``reachable``, ``digital`` and ``willingness``, from :func:`contact_setup`). ``u`` holds the row's
    six uniforms (float32): 0 a visit's conversation, 1 the promise, 2 the offer's acceptance, 3 the app's take-up,
    4 which reminder reaches.

    - A visit is a conversation with chance 0.5; ``talked``: a call conversation or a visit's.
    - Reminders: SMS and e-mail reach a reachable household, push a digital one; attention is restored
      (``reminded``) when ``u4 < max(sms, push_reach * push, email_reach * email)`` (float64).
    - ``promise``: talked and ``u1 < promise_rate * willingness``; an offer is ``offered`` when made (talked, or
      taken up in the app by a digital household: ``u3 < digital_take_up``) on an account on the book, or a
      settlement of a charged-off claim; ``accepted`` when ``u2 < offer_acceptance * (0.5 + 0.5 * willingness)``
      and, for a plan, deferral or write-down, the account was last re-aged ``reage_interval`` months ago or more.
      These products are float32, as numpy rounded them (the rates come in as float32).
    - ``educated``: education offered and talked; ``sued``: a suit requested on an account neither in litigation
      nor under judgment and not sold; ``placed``: placement requested of an account the lender collects itself;
      ``sold``: a sale requested of a claim not sold; ``threatened``: a threat made in a conversation; ``legal``:
      in litigation or judgment after this month's suits and sales (a sale ends them).
    - ``uses`` (``N_CONTACT_USES`` x rows, int32): SMS, push and e-mails sent that reach, call attempts (day and
      night), visits, suits, plan or deferral offers made, settlement offers, write-down offers, app offers to
      digital households, placements, threats, public posts, third-party contacts, education.

    Replaces some thirty numpy passes over the contacted rows (each a gather or a mask)."""
    talk32, rate32, take_up32, accept32 = np.float32(0.5), np.float32(promise_rate), np.float32(digital_take_up), \
        np.float32(offer_acceptance)
    for i in range(rows.shape[0]):  # (& and | rather than `and` and `or`: no branch on a row's state)
        r = rows[i]
        can_reach, uses_app, willing = reachable[i], digital[i], willingness[i]
        st, o, lit, judged = status[r], offer[i], litigation_age[r], judgment[r]
        talk = (visits[i] > 0) & (u[i, 0] < talk32)
        spoke = (conversations[i] > 0) | talk
        sms = (reminders[i] > 0) & can_reach
        by_push = (push[i] > 0) & uses_app
        by_email = (emails[i] > 0) & can_reach
        reach = max(max(1.0 if sms else 0.0, push_reach if by_push else 0.0), email_reach if by_email else 0.0)
        by_app = digital_offer[i] & uses_app & (u[i, 3] < take_up32)
        made = ((o != NO_OFFER) & (spoke | by_app)
                & ((st <= JUDGMENT) | ((st == CHARGED_OFF) & (o == SETTLEMENT_OFFER))))
        reageable = month - np.int32(reaged_month[r]) >= reage_interval
        needs_reage = (o == PLAN_OFFER) | (o == DEFERRAL_OFFER) | (o == WRITEDOWN_OFFER)
        suit = sue[i] & (lit < 0) & (not judged) & (st < SOLD)
        sale = sell[i] & (st < SOLD)
        placement = place[i] & (collector[r] == 0) & (st < SOLD)
        threat = (threats[i] > 0) & spoke
        learned = education[i] & spoke
        visit_talk[i] = talk
        talked[i] = spoke
        reminded[i] = np.float64(u[i, 4]) < reach
        promise[i] = spoke & (u[i, 1] < rate32 * willing)
        offered[i] = made
        accepted[i] = made & (u[i, 2] < accept32 * (talk32 + talk32 * willing)) & (reageable | (not needs_reage))
        educated[i] = learned
        sued[i] = suit
        placed[i] = placement
        sold[i] = sale
        threatened[i] = threat
        legal[i] = ((lit >= 0) | judged | suit) & (not sale)
        uses[0, i] = reminders[i] if sms else 0
        uses[1, i] = push[i] if by_push else 0
        uses[2, i] = emails[i] if by_email else 0
        uses[3, i] = attempts[i] + night[i]
        uses[4, i] = visits[i]
        uses[5, i] = suit
        uses[6, i] = made & (o <= PLAN_OFFER)
        uses[7, i] = made & (o == SETTLEMENT_OFFER)
        uses[8, i] = made & (o == WRITEDOWN_OFFER)
        uses[9, i] = digital_offer[i] & uses_app
        uses[10, i] = placement
        uses[11, i] = threat
        uses[12, i] = social[i] > 0
        uses[13, i] = third_party[i]
        uses[14, i] = learned

# --------------------------------------------------------------------------------------------------
# complaints (ODD section 7.7; sim.complaints.draw_complaints)
# --------------------------------------------------------------------------------------------------
@njit(cache=True)
def draw_complaints(disputed, excess_contacts, night_calls, threatened, legal, visits, third_party, social_media,
                    propensity, literacy_ratio, u, mix, base, dispute, excess_weight, night_weight, threat_weight,
                    visit_weight, third_party_weight, social_media_weight, public_share, regulator_share,
                    category, channel):
    """A complaint's category and channel for each account in contact or dispute (``complaints.draw_complaints``),
    -1 where none is made, from three uniforms per account (``u``, accounts x 3).

    Hazards by category: ``base * mix[c]`` plus, for debt not owed and written notification, 0.8 and 0.2 of
    ``dispute`` if disputed; for communication tactics ``excess_weight * excess contacts + night_weight * night
    calls``; for false statements ``threat_weight`` if threatened without legal action; for legal action
    ``threat_weight`` if in litigation or judgment; for improper information ``visit_weight * visits +
    third_party_weight * third-party contacts + social_media_weight * public post``; all times the household's
    propensity. A complaint is made when ``u0 < min(total, 0.95)``; its category is the first whose cumulative
    share of the total reaches ``u1``; it goes in public when ``u2 < min(public_share * propensity * (1 + 3 * post),
    0.8)``, else to the regulator when ``u2`` is below that plus ``min(regulator_share * literacy ratio, 0.9)``,
    else to the lender. Float32 products are rounded as numpy rounded them.
    """
    c0, c1, c2 = base * mix[0], base * mix[1], base * mix[2]
    c3, c4, c5 = base * mix[3], base * mix[4], base * mix[5]
    d0, d1 = 0.8 * dispute, 0.2 * dispute
    public32, regulator32 = np.float32(public_share), np.float32(regulator_share)
    zero32, cap_regulator = np.float32(0.0), np.float32(0.9)
    h = np.empty(6)
    for i in range(disputed.shape[0]):
        h[0] = c0 + d0 * disputed[i]
        h[1] = c1 + d1 * disputed[i]
        h[2] = c2 + excess_weight * excess_contacts[i] + night_weight * night_calls[i]
        h[3] = c3 + threat_weight * (threatened[i] and not legal[i])
        h[4] = c4 + threat_weight * legal[i]
        h[5] = (c5 + visit_weight * visits[i] + third_party_weight * third_party[i]
                + social_media_weight * social_media[i])
        p = np.float64(propensity[i])
        total = 0.0
        for c in range(6):
            h[c] *= p
            total += h[c]
        if not u[i, 0] < min(total, 0.95):
            category[i] = -1
            channel[i] = -1
            continue
        scale = max(total, 1e-300)
        cum = 0.0
        which = 0
        for c in range(6):
            cum += h[c]
            if u[i, 1] > cum / scale:
                which += 1
        category[i] = min(which, 5)
        p_public = min(max(np.float64(public32 * propensity[i]) * (1.0 + 3.0 * social_media[i]), 0.0), 0.8)
        p_regulator = min(max(regulator32 * literacy_ratio[i], zero32), cap_regulator)
        if u[i, 2] < p_public:
            channel[i] = 2
        elif u[i, 2] < p_public + np.float64(p_regulator):
            channel[i] = 1
        else:
            channel[i] = 0


# --------------------------------------------------------------------------------------------------
# --- households and accounts, fused (session 9)
# --------------------------------------------------------------------------------------------------
# What a household pays (ODD section 7.5; sim.payments.decide_payments) in three compiled passes, between which
# numpy takes the transcendental functions (log1p of the debt-to-income ratio, expm1 of the contact stock, exp of
# the logits and of the short households' priorities): numpy's and the compiled ones differ in the last bit.
@njit(cache=True)
def debt_to_income(principal, interest, fees, status, borrower, income_base, out):
    """What each household owes on its loans still collected (status below ``PAID_OFF``), summed in row order,
    over a year of its base income: ``out = owed / (12 income_base)`` (``out`` zero on entry); the debt overhang
    is ``overhang_weight * log1p(out)``. The numpy engine took ``np.bincount(borrower, weights=claim)``, which
    adds in the same order, and divided."""
    for i in range(status.shape[0]):
        out[borrower[i]] += (principal[i] + interest[i] + fees[i]) if status[i] < PAID_OFF else 0.0
    for h in range(out.shape[0]):
        out[h] = out[h] / (12.0 * income_base[h])


@njit(cache=True)
def payment_logits(owner, lender, willingness, neg_pressure, litigation_age, judgment, threat, goodwill, reputation,
                   peer_legal, peer_delinquent, log_overhang, cycles, stress, promise, reactance, intercept,
                   willingness_weight, pressure_weight, legal_weight, goodwill_weight, peer_legal_weight,
                   peer_default_weight, overhang_weight, delinquency_weight, delinquency_cap, stress_weight,
                   promise_boost, priority_consequence, priority_loudness, neg_logit, priority_arg):
    """The payment logit of every loan and the exponent of its priority in a short budget (ODD section 7.5), in
    float32 and in the numpy engine's order of operations:

    ``logit = intercept + w_will * willingness + w_pressure * pressure + w_legal * (legal + threat)
    + w_goodwill * (goodwill + reputation) + (w_peer_legal * peer_legal - w_peer_default *
    peer_delinquent) - w_overhang * log1p(debt to income) + w_delinquency * min(cycles, cap) + w_stress * stress
    + promise_boost * promise - reactance``, with ``pressure = -neg_pressure`` (``neg_pressure = expm1(-stock /
    scale)`` from numpy) and ``legal`` a lawsuit pending or decided or a judgment; writes ``neg_logit =
    min(-logit, 80)`` (the chance of meaning to pay is ``1 / (1 + exp(neg_logit))``) and ``priority_arg =
    priority_consequence * min(legal + threat / 2, 1) + priority_loudness * pressure`` (the priority is its
    ``exp``). Household columns (willingness, peers, overhang, stress) are indexed by ``owner``; ``reputation``
    (float32, weighted) by lender. The overhang is rounded to float32 from ``float32(w_overhang) * log1p`` in
    float64, as numpy rounded it; the other products are float32. The household terms (``intercept + w_will *
    willingness``, the peers' term, the overhang, ``w_stress * stress``) are computed first, side by side in one
    block, so that a loan reads one cache line of its household's, not five (the same numbers, added in the same
    order).
    """
    a = np.float32(intercept)
    w_will, w_pressure = np.float32(willingness_weight), np.float32(pressure_weight)
    w_legal, w_goodwill = np.float32(legal_weight), np.float32(goodwill_weight)
    w_peer_legal, w_peer_default = np.float32(peer_legal_weight), np.float32(peer_default_weight)
    w_overhang = np.float64(np.float32(overhang_weight))
    w_delinquency, w_stress = np.float32(delinquency_weight), np.float32(stress_weight)
    boost = np.float32(promise_boost)
    p_consequence, p_loudness = np.float32(priority_consequence), np.float32(priority_loudness)
    cap80, half, one = np.float32(80.0), np.float32(0.5), np.float32(1.0)
    # the household terms side by side (one cache line per loan's household, not one per column)
    household = np.empty((willingness.shape[0], 4), dtype=np.float32)
    for h in range(willingness.shape[0]):
        household[h, 0] = a + w_will * willingness[h]
        household[h, 1] = w_peer_legal * peer_legal[h] - w_peer_default * peer_delinquent[h]
        household[h, 2] = np.float32(w_overhang * log_overhang[h])
        household[h, 3] = w_stress * stress[h]
    for j in range(owner.shape[0]):
        o = owner[j]
        sued = np.float32(litigation_age[j] >= 0 or judgment[j])
        pressure = -neg_pressure[j]
        logit = household[o, 0]
        logit = logit + w_pressure * pressure
        logit = logit + w_legal * (sued + threat[j])
        logit = logit + w_goodwill * (goodwill[j] + reputation[lender[j]])
        logit = logit + household[o, 1]
        logit = logit - household[o, 2]
        logit = logit + w_delinquency * np.float32(min(cycles[j], delinquency_cap))
        logit = logit + household[o, 3]
        logit = logit + boost * np.float32(promise[j])
        logit = logit - reactance[j]
        neg_logit[j] = min(-logit, cap80)
        priority_arg[j] = p_consequence * min(sued + half * threat[j], one) + p_loudness * pressure


@njit(cache=True)
def payment_decisions(u, exp_neg_logit, catch_up, owner, cycles, scheduled, arrears, principal, interest, fees,
                      settlement_offer, settlement_share, reminded, record_error, attention, reminder_keeps,
                      misunderstanding, education_effect, misread_current_share, error_dispute_rate, income,
                      essentials, shock, savings, drawdown, garnished, taken, promise, due, wanted, voluntary, paid,
                      budget, intends, disputed, book_disputed, broken_promises, short_rows, error_rows):
    """What each household means to pay on each loan, what it can pay, and what it pays where its budget covers
    all it means to pay (ODD section 7.5), in one pass over the loans, one over the households and one more over
    the loans. Returns ``(short, errors)``: the loans of households whose budget falls short are the first
    ``short`` entries of ``short_rows`` (their payments are left to :func:`split_short_budgets`), the disputed record
    errors the first ``errors`` of ``error_rows``; both in row order.

    Due is ``min(scheduled + arrears, claim)``, or ``settlement_share * claim`` where a settlement was accepted.
    From four uniform draws per loan (``u``, 4 x loans, float32): the household means to pay when ``odds = u0 *
    (1 + exp(-logit)) < 1``, and clears its arrears (pays all that is due) when also ``odds < catch_up[max(cycles,
    1) - 1]`` or it is current, else pays this month's payment (at most the amount due); it forgets when ``u1 <
    (1 - attention) * (reminder_keeps if reminded else 1)``; it misreads the amount (pays half) when ``u2 <
    misunderstanding * (1 - education_effect) * (1 if delinquent else misread_current_share)``; a delinquent
    household whose lender's record is wrong disputes it (pays nothing) when ``u3 < error_dispute_rate``; the
    comparisons in float32, as numpy made them. Wages garnished on a loan (``taken`` at the rows ``garnished``,
    increasing) come off what it means to pay there (at least 0) and off its household's budget, ``max(flow, 0) +
    drawdown * max(savings + min(flow, 0), 0)`` with ``flow = income - essentials - shock``, at most ``savings +
    flow``, at least 0. A household whose budget covers what it means to pay in total (less 1e-9) pays it;
    ``paid`` adds the garnished wages; a promise is broken when ``paid`` falls short of ``due`` (less 1e-9).
    Disputes (a misread while delinquent, or a record error) are written to ``disputed`` and ``book_disputed``.
    Sums over a household's loans run in row order, as ``np.bincount`` summed. ``budget`` is zero on entry.
    """
    one = np.float32(1.0)
    keeps = np.float32(reminder_keeps)
    current_share = np.float32(misread_current_share)
    dispute_rate = np.float32(error_dispute_rate)
    n_loans = owner.shape[0]
    total = np.zeros(budget.shape[0])
    n_garnished = garnished.shape[0]
    # what households mean to pay, and its total by household
    g = 0
    errors = 0
    for j in range(n_loans):
        o = owner[j]
        c = cycles[j]
        claim = principal[j] + interest[j] + fees[j]
        d = min(scheduled[j] + arrears[j], claim)
        if settlement_offer[j]:
            d = settlement_share * claim
        due[j] = d
        odds = u[0, j] * (one + exp_neg_logit[j])
        means = odds < one
        catches = odds < catch_up[max(c, 1) - 1]
        lapse = (one - attention[o]) * (keeps if reminded[j] else one)
        forgets = u[1, j] < lapse
        delinquent = c > 0
        misread = u[2, j] < (misunderstanding[o] * (one - education_effect[o])) * (one if delinquent else current_share)
        w = 0.0
        if means and not forgets:
            w = d if (catches or c == 0) else min(scheduled[j], d)
        if misread:
            w *= 0.5
        disputes = record_error[j] and delinquent and u[3, j] < dispute_rate
        if disputes:
            w = 0.0
            error_rows[errors] = j
            errors += 1
        if g < n_garnished and garnished[g] == j:
            w = w - taken[g]
            w = w if w > 0.0 else 0.0  # as np.maximum(w, 0.0)
            budget[o] += taken[g]  # the household's garnished wages (summed here, subtracted below)
            g += 1
        wanted[j] = w
        total[o] += w
        intends[j] = means
        flag = (misread and delinquent) or disputes
        disputed[j] = flag
        book_disputed[j] = flag
    # what each household can pay voluntarily
    for h in range(budget.shape[0]):
        b = _budget(income[h], essentials[h], shock[h], savings[h], drawdown) - budget[h]
        budget[h] = b if b > 0.0 else 0.0  # as np.maximum(b, 0.0)
    # households whose budget covers what they mean to pay pay it
    g = 0
    short = 0
    for j in range(n_loans):
        o = owner[j]
        w = wanted[j]
        garnish = g < n_garnished and garnished[g] == j
        if w > 0 and budget[o] < total[o] - 1e-9:
            short_rows[short] = j
            short += 1
        else:
            voluntary[j] = w
            p = w + taken[g] if garnish else w
            paid[j] = p
            if promise[j] and p < due[j] - 1e-9:
                broken_promises[j] += 1
        if garnish:
            g += 1
    return short, errors


@njit(cache=True)
def _split_rows(rows, priority, budget, wanted, owner, pay):
    """The split of a short budget over the loans ``rows`` (increasing) of households that cannot pay all they mean
    to (ODD section 7.5): each household splits ``max(budget, 0)`` across them in proportion to ``priority *
    wanted`` (``priority`` per row of ``rows``, float32), never paying a loan more than ``wanted``, then hands what
    is left to the loans with room, in proportion to their room; writes ``pay`` at ``rows``. Sums over a
    household's loans run in row order. Only the short households' entries of the scratch sums are touched."""
    n = budget.shape[0]
    k = rows.shape[0]
    if k == 0:
        return
    w_sum, part_sum = np.empty(n), np.empty(n)
    for r in range(k):
        o = owner[rows[r]]
        w_sum[o] = 0.0
        part_sum[o] = 0.0
    # first pass: shares of the envelope by priority-weighted ask
    for r in range(k):
        j = rows[r]
        w_sum[owner[j]] += np.float64(priority[r]) * wanted[j]
    for r in range(k):
        j = rows[r]
        o = owner[j]
        w = np.float64(priority[r]) * wanted[j]
        share = w / w_sum[o] if w_sum[o] > 0 else 0.0
        part = min(max(budget[o], 0.0) * share, wanted[j])
        pay[j] = part
        part_sum[o] += part
    # second pass: what is left goes to loans with room, in proportion to their room
    room_sum = w_sum  # reused
    for r in range(k):
        room_sum[owner[rows[r]]] = 0.0
    for r in range(k):
        j = rows[r]
        room_sum[owner[j]] += wanted[j] - pay[j]
    for r in range(k):
        j = rows[r]
        o = owner[j]
        part = pay[j]
        room = wanted[j] - part
        left = max(max(budget[o], 0.0) - part_sum[o], 0.0)
        extra = room / room_sum[o] if room_sum[o] > 0 else 0.0
        pay[j] = part + min(left * extra, room)


@njit(cache=True)
def split_short_budgets(rows, priority, budget, wanted, owner, garnished, taken, promise, due, voluntary, paid,
                        broken_promises):
    """How households whose budget falls short of what they mean to pay split it (ODD section 7.5;
    ``borrowers.split_budget``), over their loans ``rows`` (increasing; ``priority`` per row, numpy's ``exp`` of
    :func:`payment_logits`' exponent): each household splits ``max(budget, 0)`` across them in proportion to
    ``priority * wanted``, never more than ``wanted`` on a loan, then hands what is left to the loans with room,
    in proportion to their room (:func:`_split_rows`). Then, as in :func:`payment_decisions`, ``paid`` adds
    the garnished wages (``taken`` at ``garnished``) and a promise is broken when ``paid < due - 1e-9``."""
    _split_rows(rows, priority, budget, wanted, owner, voluntary)
    g = 0
    n_garnished = garnished.shape[0]
    for r in range(rows.shape[0]):
        j = rows[r]
        while g < n_garnished and garnished[g] < j:
            g += 1
        p = voluntary[j]
        if g < n_garnished and garnished[g] == j:
            p = p + taken[g]
        paid[j] = p
        if promise[j] and p < due[j] - 1e-9:
            broken_promises[j] += 1


# The ledger's month, after the waterfall (ODD section 7.6; CollectionModel._account).
@njit(cache=True)
def ledger_outcomes(paid, due, disputed, promise, collector, buyer, settlement_offer, lender, learning_rate, borrower,
                    score, promise_kept, disputed_held, settled_rows, paid_by_household):
    """What the month's payments (``paid``, as the waterfall applied them) mean, in one pass over the loans; returns
    how many settlements were paid (their rows, increasing, are the first entries of ``settled_rows``).

    A loan paid what was due when ``paid >= due - 1e-9``: a promise on it is kept (``promise_kept``), and an accepted
    settlement with something due is paid. Lenders update the score they see of each account where something was
    due: ``score = (1 - rate) score + rate signal`` in float32, ``rate`` the lender's ``learning_rate`` (float32),
    ``signal = clip(paid / max(due, 1e-9), 0, 1)`` rounded to float32 (the numpy engine's ``lenders.learn_scores``).
    Disputes of accounts not sold to the debt buyer (``collector != buyer``) are ``disputed_held``. What each
    household paid is summed in row order into ``paid_by_household`` (zero on entry), as ``np.bincount`` sums.
    """
    one = np.float32(1.0)
    k = 0
    for i in range(paid.shape[0]):
        p = paid[i]
        d = due[i]
        paid_due = p >= d - 1e-9
        promise_kept[i] = promise[i] and paid_due
        if d > 0:
            signal = np.float32(min(max(p / max(d, 1e-9), 0.0), 1.0))
            rate = learning_rate[lender[i]]
            updated = (one - rate) * score[i]
            score[i] = updated + rate * signal
            if paid_due and settlement_offer[i]:
                settled_rows[k] = i
                k += 1
        disputed_held[i] = disputed[i] and collector[i] != buyer
        paid_by_household[borrower[i]] += p
    return k


@njit(cache=True)
def refresh_status_by_household(status, cycles, plan_left, deferral_left, litigation_age, judgment, dpd, borrower,
                                late_30, legal):
    """:func:`refresh_status` (``LoanBook.refresh_status``), and in the same pass what households' loans are at the
    end of the month: ``late_30[household]`` when one of its loans is on the book 30+ days past due
    (``CollectionModel``'s households 30+ days late), ``legal[household]`` when one is in litigation or under
    judgment (what neighbours see, ``CollectionModel._update_peers``); both false on entry. The numpy engine
    counted the flagged loans of each household with ``np.bincount`` and compared the counts with 0."""
    for i in range(status.shape[0]):
        st = status[i]
        if st <= JUDGMENT:
            st = _status_on_book(cycles[i], plan_left[i], deferral_left[i], litigation_age[i], judgment[i])
            status[i] = st
            if dpd[i] >= 30:
                late_30[borrower[i]] = True
        if litigation_age[i] >= 0 or judgment[i]:
            legal[borrower[i]] = True


# Households and the book at the start of a month (CollectionModel._accrue, CreditMarket.applications) and at its end
# (borrowers.update_stress_and_wellbeing).
@njit(cache=True)
def on_book_by_group(status, group, out):
    """How many loans are on the book (current, delinquent, on a plan, in litigation or judgment) in each group
    (``group`` per loan, e.g. its lender): ``out[group] += 1`` (int64, zero on entry). The numpy engine took
    ``np.bincount(group[on_book])``."""
    for i in range(status.shape[0]):
        if status[i] <= JUDGMENT:
            out[group[i]] += 1


@njit(cache=True)
def loan_applicants(borrower, status, u_apply, application_rate, max_loans, out):
    """The households that apply for a loan this month (``CreditMarket.applications``): those whose uniform draw
    ``u_apply`` (float32) is below ``application_rate`` (compared in float32, as numpy compared it) and that hold
    fewer than ``max_loans`` loans on the book. Writes their rows, increasing, to the front of ``out`` and returns
    how many. The numpy engine counted each household's loans on the book with ``np.bincount`` and took
    ``np.flatnonzero`` of the two conditions."""
    open_loans = np.zeros(u_apply.shape[0], dtype=np.int32)
    for i in range(status.shape[0]):
        if status[i] <= JUDGMENT:
            open_loans[borrower[i]] += 1
    rate = np.float32(application_rate)
    k = 0
    for h in range(u_apply.shape[0]):
        if u_apply[h] < rate and open_loans[h] < max_loans:
            out[k] = h
            k += 1
    return k


@njit(cache=True)
def savings_buffer(savings, essentials, out):
    """Each household's savings buffer, ``(savings / max(essentials, 1) + 0.1) / 1.1``, whose logarithm (numpy's)
    enters its well-being target (``borrowers.update_stress_and_wellbeing``; ODD section 7.7)."""
    for i in range(savings.shape[0]):
        out[i] = (savings[i] / max(essentials[i], 1.0) + 0.1) / 1.1


# Which rows a lender looks at (sim.loans.collection_rows, current_rows; CreditMarket.prepay).
@njit(cache=True)
def collection_rows_of(which, lender, status, cycles, plan_left, deferral_left, litigation_age, judgment, out):
    """The rows of lender ``which``'s accounts in collection (:func:`in_collection`), increasing, written to the
    front of ``out``; returns how many. The numpy engine took ``np.flatnonzero(in_collection & (lender ==
    which))``."""
    k = 0
    for i in range(status.shape[0]):  # (each row is written, the count moves past the ones kept: no branch)
        out[k] = i
        k += lender[i] == which and _in_collection(status[i], cycles[i], plan_left[i], deferral_left[i],
                                                   litigation_age[i], judgment[i])
    return k


@njit(cache=True)
def rows_collected_where(flags, status, out):
    """The rows of the loans still collected (status below ``PAID_OFF``) where ``flags`` holds, increasing, written to
    the front of ``out``; returns how many (the loans under judgment whose garnishment orders move on,
    ``sim.payments.wage_garnishments``). The numpy engine took ``np.flatnonzero(flags & (status < PAID_OFF))``."""
    k = 0
    for i in range(status.shape[0]):
        if flags[i] and status[i] < PAID_OFF:
            out[k] = i
            k += 1
    return k


@njit(cache=True)
def rows_collected_by(status, collector, first, second, first_rows, second_rows):
    """The rows of the loans still collected (status below ``PAID_OFF``) whose ``collector`` is ``first``, and those
    whose collector is ``second``, increasing, written to the front of ``first_rows`` and ``second_rows`` (each as
    long as the book); returns how many of each (the accounts placed with the agency and those held by the debt
    buyer, ``lenders.plan_treatments``). Each row is written and its position advanced only where it belongs, with
    no branch. The numpy engine took ``np.flatnonzero(collecting & (collector == first))`` and the same for
    ``second``."""
    j = 0
    k = 0
    for i in range(status.shape[0]):
        collecting = status[i] < PAID_OFF
        c = collector[i]
        first_rows[j] = i
        j += collecting & (c == first)
        second_rows[k] = i
        k += collecting & (c == second)
    return j, k


@njit(cache=True)
def rows_with_status(status, value, lender, which, out):
    """The rows whose status is ``value`` and, unless ``which`` is negative, whose lender is ``which``, increasing,
    written to the front of ``out``; returns how many. The numpy engine took ``np.flatnonzero(status == value)``
    (and ``& (lender == which)``)."""
    k = 0
    for i in range(status.shape[0]):  # (each row is written, the count moves past the ones kept: no branch)
        out[k] = i
        k += status[i] == value and (which < 0 or lender[i] == which)
    return k


# What agencies and the debt buyer collected (CollectionModel._lenders_learn) and what leaves the book
# (LoanBook.compact).
@njit(cache=True)
def collections_by_collector(paid, collector, agency, buyer, lender, arm, group_offset, by_agency, buyer_paid):
    """What the month's payments (``paid``) brought the agency and the debt buyer, in one pass over the loans:
    ``by_agency[group_offset[lender] + arm] += paid`` over the rows placed with the agency (``collector ==
    agency``), in row order (zero on entry), as ``np.bincount`` summed; the payments on the buyer's rows are copied
    to the front of ``buyer_paid``, in row order, and their count returned (numpy's ``sum`` of them is then the
    pairwise sum of ``paid[collector == buyer]``)."""
    k = 0
    for i in range(paid.shape[0]):
        c = collector[i]
        if c == agency:
            by_agency[group_offset[lender[i]] + arm[i]] += paid[i]
        elif c == buyer:
            buyer_paid[k] = paid[i]
            k += 1
    return k


@njit(cache=True)
def drop_rows_archiving(columns, gone, lender, archived):
    """:func:`drop_rows` for ledger columns (a tuple of float64 columns, moved in one pass), adding the values of
    the rows gone of column ``q`` to ``archived[q, lender]`` in row order (zero on entry; ``LoanBook.compact``), as
    ``np.bincount`` summed; returns how many rows are kept."""
    j = 0
    for i in range(gone.shape[0]):
        if gone[i]:
            q = 0
            for archived_column in literal_unroll(columns):
                archived[q, lender[i]] += archived_column[i]
                q += 1
        for column in literal_unroll(columns):
            column[j] = column[i]
        j += not gone[i]
    return j


# --------------------------------------------------------------------------------------------------
# warming
# --------------------------------------------------------------------------------------------------
def warm() -> float:
    """Compile (or load from the disk cache) every kernel for the argument types the model passes, by calling
    each on arrays of two elements; return the seconds it took. The first call in a fresh checkout pays the
    compilation; later processes load the cache (``tests/test_kernels.py`` checks that a model run after
    ``warm()`` compiles nothing more)."""
    start = time.perf_counter()
    n = 2
    f64, f32, i16, i32, i64, i8, b = np.float64, np.float32, np.int16, np.int32, np.int64, np.int8, np.bool_

    def z(dtype, shape=n):
        return np.zeros(shape, dtype=dtype)

    # contacts, complaints and the recorder, fused (session 9)
    calls, layout, busy = np.array([3, 0], dtype=i16), z(i16, (DAYS, 4, DAYS)), z(i64, (DAYS, 4, 4))
    busiest_day(calls, calls, np.array([3, 7], dtype=i8), layout, True, np.full((DAYS, 4, 4), -1, dtype=i16), busy)
    for groups in (1, 2):
        month_account_tallies(z(f64), z(f64), z(f64), z(i8), z(i16), z(i16), z(i8), 2, z(b), z(f64), z(f64), z(f64),
                              z(f64), z(b), z(b), z(b), z(b), z(b), z(b), z(i64), z(f64, (8, groups)),
                              z(i64, (8, groups)))
    complaint_inputs(z(i64), z(i32), z(i8), z(b), z(i16), z(i32), z(i32), z(i16), 8.0, z(f32), z(f32), z(f32), 0.5,
                     z(b), z(f64), z(f32), z(f32), z(i64, 1))
    flag_households(z(i32), z(i8), z(i64), -1, z(b))
    select_households(z(b), z(f32), z(f64), z(b), z(b), z(f32), z(f64), z(i64))
    note_contacts(z(i64), z(i32), z(i16), z(i32), z(i16), z(i16))
    current_accounts(z(i8), z(i16), z(i8), 0, z(i64, 1))
    complaint_tallies(z(i64), z(i64), z(i64), z(i8), z(i64, (1 + N_CATEGORIES + N_CHANNELS, 1)),
                      z(i64, 1 + N_CATEGORIES + N_CHANNELS))
    contact_tallies(z(i64), z(i32), z(i32), z(i32), z(i32), z(i16), z(b), z(b), z(b), z(b), z(i16), z(b), z(b),
                    z(i64, (len(CONTACT_COUNTS), 1)))
    contact_setup(z(i64), z(i8), z(f32, (n, 6)), z(i16), z(i16), z(i32), z(i16), z(i8), z(i64, 1), z(i8), z(f64, 1),
                  True, z(f32), z(b), z(b), 0.9, 0.3, z(i32), z(i16), z(i64), z(b), z(b), z(b), z(b), z(i32), z(b),
                  z(f32), z(f32), z(b), z(b))
    contact_outcomes(z(i64), z(f32, (n, 6)), z(i16), z(i16), z(i16), z(i8), z(b), z(b), z(b), z(b), z(b),
                     z(i16), z(i16), z(i16), z(i16), z(i32), z(i32), z(i32), z(b), z(b), z(f32), z(i8), z(i16), z(b),
                     z(i8), z(i16), 0, 0.5, 0.5, 0.3, 0.2, 0.25, 12, *(z(b) for _ in range(12)),
                     z(i32, (N_CONTACT_USES, n)))
    # the calendar
    calls = np.array([3, 0], dtype=i16)
    day_req, night_req = z(i16, (n, DAYS)), z(i16, (n, DAYS))
    shares = np.tile(np.linspace(0.0, 1.0, DAYS + 1), (DAYS, 1))
    for clustered in (True, False):
        most = lay_out_calls(calls, calls, np.array([3, 7], dtype=i8), shares, clustered, day_req, night_req)
    more_distinct_than(z(f32), 8)
    flags = np.ones(n, dtype=b)
    run_calendar_month(calls, calls, np.array([3, 7], dtype=i8), layout, True, busy, z(f32, (n, DAYS)),
                       z(f32, (n, int(most) + 1)), flags, flags, flags, z(i64), 3, 7, 7, True, NO_LIMIT, 7, 7, True,
                       True, True, z(i16, (n, DAYS)), z(i16, (n, DAYS)), z(b, (n, DAYS)), z(i32), z(i32), z(i32),
                       z(i64, 9), z(i64, 9), z(i64, 9), z(i64, (n, 9)), z(i64, (n, 9)))
    # the loan book
    lender, status, term = z(i16), z(i8), np.full(n, 36, dtype=i16)
    schedule_payments(z(f64), z(f64), z(f64), z(f64), lender, status, z(b), z(i16), term, z(f64), z(i16), z(i16),
                      z(b), np.ones(1), np.ones(1), 0.6, np.ones(n), True, z(f64), z(f64))
    apply_payments_pass(z(f64), np.ones(1), z(b), z(b), True, 0, True, 0.6, lender, z(f64), z(f64), z(f64), z(b), z(i8),
                        np.full(n, 180, dtype=i16), z(i16), z(f64), z(f64), z(f64), z(f64), z(f64), z(f64), z(f64),
                        z(f64), z(f64), z(i16), z(f64), z(i16), z(i16), z(i16), z(b), z(f64), status, z(i16), z(i16),
                        z(f64), z(f64), z(b), z(b), z(b), z(b), z(b), z(b), z(b), z(f64), z(b), z(b), z(f64), True)
    refresh_status(status, z(i16), z(i16), z(i16), np.full(n, -1, dtype=i16), z(b))
    accrue_interest(z(f64), z(f64), status, z(b), True, z(f64), z(f64), z(f64))
    claim(z(f64), z(f64), z(f64), z(f64))
    amount_due(z(f64), z(f64), z(f64), z(f64), z(f64), z(f64))
    outcome_groups(lender, z(i8), z(i64, 1), z(i64))
    from sim.loans import COLUMNS, MOVED_TOGETHER  # (the book's columns, as LoanBook.compact moves them)

    for names in MOVED_TOGETHER:
        drop_rows(tuple(z(COLUMNS[name]) for name in names), z(b))
    on_book(status, z(b))
    in_collection(status, z(i16), z(i16), z(i16), np.full(n, -1, dtype=i16), z(b), z(b))
    left_collection(z(i64), z(i64), z(i64))
    book_in = (z(i64), z(i16), z(i16), z(f64), z(f64), z(i16), status, z(i8), z(f64), z(i16), z(i16), z(i16), z(b),
               z(b), z(i16), z(f32), z(b), z(i32), z(f64), z(f64), z(f64), z(i16), z(i16), z(i16))
    observed = (z(i64), z(i16), z(i16), z(i8), z(f64), z(f64), z(f64), z(i16), z(i8), z(i8), z(f64), z(i16), z(i16),
                z(i16), z(b), z(b), z(b), z(b), z(b), z(i16), z(f32), z(b), z(b))
    for uses_app in (z(b, 0), z(b)):
        observed_accounts(np.arange(n), uses_app, *book_in, *observed)
    buckets(z(i16), z(i8))
    # households
    labour_market(z(f32), z(f64), z(f64), 0.01, 0.3, z(f32), 0.4, 0.0, z(f32), 0.05, z(f32), 0.5,
                  z(b), z(i16), z(f64), z(f64), z(f64), z(b))
    payment_budget(z(f64), z(f64), z(f64), z(f64), 0.5, z(f64))
    split_budget(z(f64), np.ones(n), z(i32), np.ones(n, dtype=f32), z(f64))
    settle_month(z(f64), z(f64), z(f64), z(f64), 0.1, z(f64), z(f64), z(f64, 0), z(f64, 0), False, z(f64), z(f64),
                 z(f64))
    effective_consumption(z(i32), z(i32), z(i32), z(i16), z(i16), z(b), z(f32), z(f64), z(f64), 0.1, 0.2, 0.3, 0.1,
                          0.2, 28.0, 0.005, 0.15, 0.12, z(f64))
    stress_and_wellbeing(z(f32), z(f64), z(b), z(b), z(f64), z(f64), z(f64), z(f32), z(f32), z(b), 0.8, 0.1, 0.2,
                         0.1, 52.0, 3.0, 10.0, 5.0, 4.0, 0.3)
    # what contact does
    contact_effects(z(i64), z(i32, (3, n)), np.array([0, 1, 2]), z(f64, 3), z(f64, 3), z(f64, 3), z(f64, 3), z(i32),
                    z(i32), z(i32), z(b), z(b), z(b), z(f64), 8.0, 1.0, 0.5, 0.3, 0.1, 0.7, 0.9, 0.05, 0.2, z(f32),
                    z(f32), z(f32), z(f32), z(f32), z(f64), z(f64))
    # reports
    account_states(status, z(i16), -1, z(i8))
    recovery_per_dollar(status, z(i16), z(b), z(b), z(b), np.ones(8), 0.5, 0.3, 0.1, z(f64))
    book_value_by_group(z(f64), z(f64), z(f64), status, z(i16), z(b), z(b), z(i8), 2, np.ones(8), 0.5, 0.3, 0.1,
                        z(i64), z(f64))
    roll_tallies(z(i8), z(f64), z(i8), z(i16), 8, z(i64, (1, 8, 10)), z(f64, (1, 8, 10)))
    household_flags(z(f32), np.float32(38.0), z(f64), z(f64), 0.6, z(f64), z(b), z(b), z(b))
    sum_where(z(f64), z(b))
    sum_by_group_masked(z(f64), z(b), z(i64), z(f64))
    sum_by_index(z(i32), z(f64), z(f64))
    requests_by_group(z(i16), z(b), z(i64), z(b), z(i64))
    for dtype in (i32, f64):  # uses of a tactic; harm to third parties
        sum_by_group_where(z(dtype), z(b), z(i64), z(f64))
    household_sums_by_cell(z(i64), z(f64), z(f64), z(f32), z(b), z(b), z(b), z(f64, (7, 15)))
    vintage_tallies(0, z(i16), z(i64), z(f64), z(f64), z(f64), z(i64), z(f64), z(f64, (1, 1)), z(f64, 1),
                    z(f64, (1, 1, 1)))
    redefault_watch(0, 12, z(i64), z(b), z(i16), z(i8), z(i16), z(f64, (2, 1, 13, 2)))
    neighbour_shares(np.array([0, 1, 2], dtype=i32), np.array([1, 0], dtype=i32), np.ones(n, dtype=f32), z(b), z(b),
                     z(f32), z(f32))
    shared_row_weights(np.array([0, 1, 2], dtype=i32), np.array([1, 0], dtype=i32), np.ones(n, dtype=f32), z(f32))
    neighbour_shares_from_flagged(np.array([0, 1, 2], dtype=i32), np.array([1, 0], dtype=i32), z(f32), z(b), z(b),
                                  z(f32), z(f32))
    loss_tallies(z(f64), z(f64), z(f64), status, lender, z(f64), z(f64), z(f64), z(f64))
    # complaints
    draw_complaints(z(b), z(f64), z(i32), z(b), z(b), z(i16), z(i16), z(b), z(f32), z(f32), z(f64, (n, 3)),
                    np.full(6, 1 / 6), 0.002, 0.1, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.1, 0.3, z(i64), z(i64))
    # households and accounts, fused (session 9)
    debt_to_income(z(f64), z(f64), z(f64), status, z(i32), np.ones(n), z(f64))
    payment_logits(z(i32), lender, z(f32), z(f32), np.full(n, -1, dtype=i16), z(b), z(f32), z(f32), z(f32, 1), z(f32),
                   z(f32), z(f64), z(i16), z(f32), z(b), z(f32), -1.0, 2.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.3, -0.3, 6.0,
                   1.0, 0.9, 2.0, 1.0, z(f32), z(f32))
    payment_decisions(z(f32, (4, n)), z(f32), np.ones(1, dtype=f32), z(i32), z(i16), z(f64), z(f64), z(f64), z(f64),
                      z(f64), z(b), 0.6, z(b), z(b), z(f32), 0.4, z(f32), z(f32), 0.1, 0.5, z(f64), z(f64), z(f64),
                      z(f64), 0.5, z(i64, 0), z(f64, 0), z(b), z(f64), z(f64), z(f64), z(f64), z(f64), z(b), z(b), z(b),
                      z(i16), z(i64), z(i64))
    split_short_budgets(z(i64, 0), z(f32, 0), z(f64), z(f64), z(i32), z(i64, 0), z(f64, 0), z(b), z(f64), z(f64),
                        z(f64), z(i16))
    ledger_outcomes(z(f64), z(f64), z(b), z(b), z(i8), 2, z(b), lender, z(f32, 1), z(i32), z(f32), z(b), z(b), z(i64),
                    z(f64))
    refresh_status_by_household(status, z(i16), z(i16), z(i16), np.full(n, -1, dtype=i16), z(b), z(i16), z(i32), z(b),
                                z(b))
    on_book_by_group(status, lender, z(i64, 1))
    loan_applicants(z(i32), status, z(f32), 0.03, 3, z(i64))
    savings_buffer(z(f64), z(f64), z(f64))
    collection_rows_of(0, lender, status, z(i16), z(i16), z(i16), np.full(n, -1, dtype=i16), z(b), z(i64))
    rows_with_status(status, 0, lender, -1, z(i64))
    rows_collected_where(z(b), status, z(i64))
    rows_collected_by(status, z(i8), 1, 2, z(i64), z(i64))
    collections_by_collector(z(f64), z(i8), 1, 2, lender, z(i8), z(i64, 1), z(f64, 1), z(f64))
    from sim.loans import LEDGER_TOGETHER

    for names in LEDGER_TOGETHER:
        drop_rows_archiving(tuple(z(f64) for _ in names), z(b), lender, z(f64, (len(names), 1)))
    return time.perf_counter() - start


def compiled_signatures() -> dict[str, int]:
    """How many argument-type signatures each kernel has compiled in this process (zero when the JIT is off)."""
    return {name: len(getattr(obj, "signatures", ())) for name, obj in globals().items()
            if hasattr(obj, "py_func")}
