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
from numba import njit

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
    ``(count * d) // 30``. Fills ``day_req`` and ``night_req`` (accounts x 30, int16) and returns the
    largest number of attempts (day and night) requested on one day. Replaces
    ``sim.regulation.cluster_over_month`` and ``spread_over_month``.
    """
    n = calls.shape[0]
    most = 0
    for i in range(n):
        for which in range(2):
            count = calls[i] if which == 0 else night_calls[i]
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
        for d in range(DAYS):
            total = np.int64(day_req[i, d]) + night_req[i, d]
            if total > most:
                most = total
    return most


@njit(cache=True)
def _would_clip_account(day, night, conv, max_per_day, max_per_7_days, quiet_days, quiet_hours, out):
    """Attempts a regime would have dropped from one account's executed calendar, added to ``out`` by
    rule (``sim.regulation.would_clip_rows`` for one row): night attempts under quiet hours; attempts
    above the daily cap on each day; in the 7-day window ending each day, attempts beyond the weekly cap
    (at most that day's attempts); attempts in the ``quiet_days - 1`` days after a conversation."""
    total_month = 0
    night_month = 0
    for d in range(DAYS):
        total_month += np.int64(day[d]) + night[d]
        night_month += night[d]
    if quiet_hours:
        out[QUIET_HOURS] = night_month
    if max_per_day >= 0 and total_month > max_per_day:
        s = 0
        for d in range(DAYS):
            excess = np.int64(day[d]) + night[d] - max_per_day
            if excess > 0:
                s += excess
        out[DAILY_CAP] = s
    if max_per_7_days >= 0 and total_month > max_per_7_days:
        s = 0
        for d in range(DAYS):
            window = 0
            for j in range(max(0, d - 6), d + 1):
                window += np.int64(day[j]) + night[j]
            excess = window - max_per_7_days
            if excess > 0:
                today = np.int64(day[d]) + night[d]
                s += excess if excess < today else today
        out[WEEKLY_CAP] = s
    if quiet_days > 0 and total_month >= 2:
        s = 0
        for d in range(DAYS):
            recent = False
            for j in range(max(0, d - quiet_days + 1), d):
                if conv[j]:
                    recent = True
            if recent:
                s += np.int64(day[d]) + night[d]
        out[AFTER_CONVERSATION] = s


@njit(cache=True)
def run_calendar_month(day_req, night_req, answer_u, p_talk, enforced, breaking, ref_covered,
                       max_per_day, max_per_7_days, quiet_days, quiet_hours,
                       ref_max_per_day, ref_max_per_7_days, ref_quiet_days, ref_quiet_hours, check_reference,
                       made_day, made_night, conv, attempts, night_attempts, conversations,
                       clipped_rows, violation_rows, would_clip_rows):
    """Run a month's calendar day by day for every account (ODD section 7.5; ``sim.regulation._enforce``
    and the rest of ``run_calendar``).

    For an account the regime binds and whose collector complies (``enforced``), each day's requests are
    clipped in this order, counting what is dropped by rule: night attempts under quiet hours; everything
    within ``quiet_days`` days of a conversation (the conversation's day counting as the first); the daily
    cap (night attempts kept first); the weekly cap over the 7 days ending today. Other accounts make every
    request. A day has a conversation when ``answer_u[i, d] < p_talk[i, attempts that day]``, where
    ``p_talk[i, k] = 1 - (1 - p_answer_i) ** k`` (computed by numpy, so the probabilities are those of the
    numpy engine). What the regime forbids of a non-complying account's calls (``breaking``) is counted in
    ``violation_rows`` and what the reference regime would forbid of ``ref_covered`` accounts in
    ``would_clip_rows`` (:func:`_would_clip_account`). Caps are ``NO_LIMIT`` (-1) when not set.
    """
    n = day_req.shape[0]
    for i in range(n):
        last_conversation = -10_000
        for d in range(DAYS):
            day = np.int64(day_req[i, d])
            night = np.int64(night_req[i, d])
            if enforced[i]:
                if quiet_hours:
                    clipped_rows[i, QUIET_HOURS] += night
                    night = 0
                if quiet_days > 0 and d - last_conversation < quiet_days:
                    clipped_rows[i, AFTER_CONVERSATION] += day + night
                    day = 0
                    night = 0
                if max_per_day >= 0:
                    total = day + night
                    if total > max_per_day:
                        clipped_rows[i, DAILY_CAP] += total - max_per_day
                        night = min(night, max_per_day)
                        day = min(day, max_per_day - night)
                if max_per_7_days >= 0:
                    used = 0
                    for j in range(max(0, d - 6), d):
                        used += np.int64(made_day[i, j]) + made_night[i, j]
                    room = max(max_per_7_days - used, 0)
                    total = day + night
                    if total > room:
                        clipped_rows[i, WEEKLY_CAP] += total - room
                        night = min(night, room)
                        day = min(day, room - night)
            made_day[i, d] = day
            made_night[i, d] = night
            talked = answer_u[i, d] < p_talk[i, day + night]
            conv[i, d] = talked
            if talked:
                last_conversation = d
            attempts[i] += day
            night_attempts[i] += night
            conversations[i] += talked
        if breaking[i]:
            _would_clip_account(made_day[i], made_night[i], conv[i], max_per_day, max_per_7_days, quiet_days,
                                quiet_hours, violation_rows[i])
        if check_reference and ref_covered[i]:
            _would_clip_account(made_day[i], made_night[i], conv[i], ref_max_per_day, ref_max_per_7_days,
                                ref_quiet_days, ref_quiet_hours, would_clip_rows[i])


# --------------------------------------------------------------------------------------------------
# warming
# --------------------------------------------------------------------------------------------------
def warm() -> float:
    """Compile (or load from the disk cache) every kernel by calling it on tiny arrays; return the
    seconds it took. The first call in a fresh checkout pays the compilation (tens of seconds); later
    processes load the cache in well under a second."""
    start = time.perf_counter()
    n = 2
    calls = np.array([3, 0], dtype=np.int16)
    day_req = np.zeros((n, DAYS), dtype=np.int16)
    night_req = np.zeros((n, DAYS), dtype=np.int16)
    shares = np.tile(np.linspace(0.0, 1.0, DAYS + 1), (DAYS, 1))
    due = np.array([3, 7], dtype=np.int8)
    for clustered in (True, False):
        most = lay_out_calls(calls, calls, due, shares, clustered, day_req, night_req)
    p_talk = np.zeros((n, int(most) + 1), dtype=np.float32)
    flags = np.ones(n, dtype=np.bool_)
    i32 = lambda: np.zeros(n, dtype=np.int32)  # noqa: E731
    rows = lambda: np.zeros((n, 9), dtype=np.int64)  # noqa: E731
    run_calendar_month(day_req, night_req, np.zeros((n, DAYS), dtype=np.float32), p_talk, flags, flags, flags,
                       3, 7, 7, True, 3, 7, 7, True, True, np.zeros_like(day_req), np.zeros_like(night_req),
                       np.zeros((n, DAYS), dtype=np.bool_), i32(), i32(), i32(), rows(), rows(), rows())
    return time.perf_counter() - start
