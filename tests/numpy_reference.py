"""The numpy engine's contact calendar, frozen as it was before the compiled kernels (issue 14).

``sim.kernels`` must compute exactly what these functions computed; ``tests/test_kernels.py`` compares them.
Not used by the model.
"""

from __future__ import annotations

import numpy as np

from sim.regulation import (
    DAYS,
    CalendarResult,
    Regime,
    Rule,
    cluster_over_month,
    spread_over_month,
    would_clip,
    would_clip_rows,
)


def _p_conversation(p_answer: np.ndarray, attempts: np.ndarray) -> np.ndarray:
    """Probability that at least one of ``attempts`` calls in a day reaches the right party:
    ``1 - (1 - p) ** attempts`` (zero for no attempt), computed by table look-up when, as usual, the
    answer probabilities take few distinct values."""
    values, which = np.unique(p_answer, return_inverse=True)
    if len(values) > 8:
        shape = (-1,) + (1,) * (attempts.ndim - 1)
        return (1.0 - (1.0 - p_answer.reshape(shape)) ** attempts).astype(np.float32)
    k = int(attempts.max(initial=0)) + 1
    table = (1.0 - (1.0 - values[:, None]) ** np.arange(k)[None, :]).astype(np.float32)
    shape = (-1,) + (1,) * (attempts.ndim - 1)
    return table[which.reshape(shape), attempts]


def _enforce(
    day_req: np.ndarray, night_req: np.ndarray, covered: np.ndarray, regime: Regime, answer_u: np.ndarray,
    p_answer: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run the calendar day by day under ``regime`` for covered accounts (uncovered ones are free).

    Returns (day attempts made, night attempts made, conversations per day, clipped by account and rule).
    The loop is over the 30 days; every step is vectorised over accounts.
    """
    n = day_req.shape[0]
    made_day = np.zeros_like(day_req)
    made_night = np.zeros_like(night_req)
    conv = np.zeros(day_req.shape, dtype=bool)
    clipped = np.zeros((n, len(Rule)), dtype=np.int64)
    last_conversation = np.full(n, -10_000)
    window = regime.max_attempts_per_7_days
    for d in range(DAYS):
        day = day_req[:, d].astype(np.int32)
        night = night_req[:, d].astype(np.int32)
        if regime.quiet_hours:
            clipped[:, Rule.QUIET_HOURS] += np.where(covered, night, 0)
            night = np.where(covered, 0, night)
        if regime.quiet_days_after_conversation:
            # Regulation F counts the day of the conversation as the first of the seven
            silent = covered & (d - last_conversation < regime.quiet_days_after_conversation)
            clipped[:, Rule.AFTER_CONVERSATION] += np.where(silent, day + night, 0)
            day = np.where(silent, 0, day)
            night = np.where(silent, 0, night)
        if regime.max_attempts_per_day is not None:
            total = day + night
            over = covered & (total > regime.max_attempts_per_day)
            cap = regime.max_attempts_per_day
            clipped[:, Rule.DAILY_CAP] += np.where(over, total - cap, 0)
            night = np.where(over, np.minimum(night, cap), night)
            day = np.where(over, np.minimum(day, cap - night), day)
        if window is not None:
            lo = max(0, d - 6)
            used = made_day[:, lo:d].sum(axis=1) + made_night[:, lo:d].sum(axis=1)
            room = np.maximum(window - used, 0)
            total = day + night
            over = covered & (total > room)
            clipped[:, Rule.WEEKLY_CAP] += np.where(over, total - room, 0)
            night = np.where(over, np.minimum(night, room), night)
            day = np.where(over, np.minimum(day, room - night), day)
        made_day[:, d] = day
        made_night[:, d] = night
        attempts = day + night
        # a conversation happens if any attempt that day reaches the right party
        talked = answer_u[:, d] < _p_conversation(p_answer, attempts)
        conv[:, d] = talked
        last_conversation = np.where(talked, d, last_conversation)
    return made_day, made_night, conv, clipped


CALENDAR_BLOCK = 16_384  # accounts whose (accounts, 30) day matrices are built at once


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
) -> CalendarResult:
    """Execute a month of call requests under ``regime``.

    Accounts the regime covers and whose collector complies have their requests clipped day by day
    (``clipped``, by rule). Covered accounts whose collector does not comply (``complies`` false) are
    called as requested, and what the regime forbids is counted as ``violations``. Separately, what the
    ``reference`` regime would have forbidden of the attempts actually made is counted as
    ``would_clip`` (when the two regimes differ).

    Attempts are laid out as collectors make them (:func:`cluster_over_month`, from each account's ``due_day``,
    0-29); without ``due_day`` they are spread evenly over the month.

    Accounts are independent, so the month is run in blocks of ``CALENDAR_BLOCK`` accounts: the day
    matrices stay small (in memory and in cache), and the random draws, taken block after block, are
    the same as in one piece.
    """
    n = len(calls)
    complies = np.ones(n, dtype=bool) if complies is None else complies
    if n > CALENDAR_BLOCK:
        parts = [run_calendar(calls[s], night_calls[s], third_party[s], p_answer[s], rng, regime, reference,
                              complies[s], keep_daily, None if due_day is None else due_day[s])
                 for s in (slice(lo, lo + CALENDAR_BLOCK) for lo in range(0, n, CALENDAR_BLOCK))]
        return CalendarResult(
            attempts=np.concatenate([p.attempts for p in parts]),
            night_attempts=np.concatenate([p.night_attempts for p in parts]),
            conversations=np.concatenate([p.conversations for p in parts]),
            clipped=sum(p.clipped for p in parts),
            would_clip=sum(p.would_clip for p in parts),
            violations=sum(p.violations for p in parts),
            clipped_rows=np.concatenate([p.clipped_rows for p in parts]),
            would_clip_rows=np.concatenate([p.would_clip_rows for p in parts]),
            daily=np.concatenate([p.daily for p in parts]) if keep_daily else None,
            daily_night=np.concatenate([p.daily_night for p in parts]) if keep_daily else None,
        )
    if due_day is None:
        day_req, night_req = spread_over_month(calls), spread_over_month(night_calls)
    else:
        day_req, night_req = cluster_over_month(calls, due_day), cluster_over_month(night_calls, due_day)
    answer_u = rng.random((n, DAYS), dtype=np.float32)
    bound = regime.binds(third_party) if regime.has_rules else np.zeros(n, dtype=bool)
    enforced = bound & complies
    made_day, made_night = day_req, night_req
    clipped_rows = np.zeros((n, len(Rule)), dtype=np.int64)
    if not enforced.any():
        # every requested attempt is made
        conv = answer_u < _p_conversation(p_answer, made_day + made_night)
    else:
        conv = np.zeros(day_req.shape, dtype=bool)
        sub = np.flatnonzero(enforced)
        made_day, made_night = day_req.copy(), night_req.copy()
        md, mn, cv, clipped_rows[sub] = _enforce(day_req[sub], night_req[sub], np.ones(len(sub), dtype=bool), regime,
                                       answer_u[sub], p_answer[sub])
        made_day[sub], made_night[sub], conv[sub] = md, mn, cv
        free = np.flatnonzero(~enforced)  # uncovered or not complying: every requested attempt is made
        if len(free):
            attempts = made_day[free] + made_night[free]
            conv[free] = answer_u[free] < _p_conversation(p_answer[free], attempts)
    breaking = bound & ~complies
    violations = (would_clip(made_day, made_night, conv, breaking, regime) if breaking.any()
                  else np.zeros(len(Rule), dtype=np.int64))
    ref_covered = reference.binds(third_party)
    if reference.name != regime.name and ref_covered.any():
        would_rows = would_clip_rows(made_day, made_night, conv, ref_covered, reference)
    else:
        would_rows = np.zeros((n, len(Rule)), dtype=np.int64)
    return CalendarResult(
        attempts=made_day.sum(axis=1).astype(np.int32),
        night_attempts=made_night.sum(axis=1).astype(np.int32),
        conversations=conv.sum(axis=1).astype(np.int32),
        clipped=clipped_rows.sum(axis=0),
        would_clip=would_rows.sum(axis=0),
        violations=violations,
        clipped_rows=clipped_rows,
        would_clip_rows=would_rows,
        daily=made_day if keep_daily else None,
        daily_night=made_night if keep_daily else None,
    )


