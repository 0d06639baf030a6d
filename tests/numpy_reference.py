"""The numpy engine's contact calendar, loan accounting and household arithmetic, frozen as it was before
the compiled kernels (issue 14).

``sim.kernels`` must compute exactly what these functions computed; ``tests/test_kernels.py`` compares them.
Not used by the model.
"""

from __future__ import annotations

import numpy as np

from sim import reports
from sim.borrowers import BorrowerTable, LabourDraws, MonthSpending
from sim.complaints import BASE_MIX, Category, Channel, ComplaintInputs
from sim.config import Behaviour, Economy, Finance, Population
from sim.loans import (
    BUCKET_EDGES,
    DAYS_PER_CYCLE,
    IN_COLLECTION_AFTER_CHARGE_OFF,
    ON_BOOK,
    REAGE_INTERVAL,
    LoanBook,
    ProductTerms,
    Status,
)
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
from sim.tactics import Collector


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




class NumpyLoanBook(LoanBook):
    """The loan book with the numpy engine's month accounting (``accrue_interest``, ``schedule``,
    ``apply_payments``, ``refresh_status``)."""

    def accrue_interest(self, forborne: np.ndarray, forbearance_accrues: bool) -> np.ndarray:
        """Add a month's interest to on-book loans; return the interest charged per loan."""
        on_book = self.on_book()
        rate = self.view("apr") / 12.0
        accrue = on_book if forbearance_accrues else on_book & ~forborne
        interest = np.where(accrue, self.view("principal") * rate, 0.0)
        self.view("interest")[:] += interest
        self.view("interest_charged")[:] += interest
        return interest

    def schedule(self, interest_this_month: np.ndarray, terms: ProductTerms, forborne: np.ndarray,
                 payment_share: np.ndarray | None = None) -> np.ndarray:
        """Set and return this month's contractual payment of every loan (zero while forborne or
        deferred). Charged-off and sold claims are asked for a twelfth of the claim a month. With
        ``payment_share`` (accounts coming back from an accommodation on a ramp), only that share of the
        contractual payment is scheduled."""
        claim = self.claim()
        lender = self.view("lender")
        status = self.view("status")
        card = self.view("is_card")
        card_min = np.maximum(terms.min_payment_floor[lender],
                              terms.min_payment_share[lender] * self.view("principal") + interest_this_month)
        matured = self.view("months_on_book") >= self.view("term")
        contractual = np.where(card, card_min, np.where(matured, claim, self.view("instalment")))
        on_plan = self.view("plan_left") > 0
        contractual = np.where(on_plan, self.plan_payment_share * contractual, contractual)
        after = (status == Status.CHARGED_OFF) | (status == Status.SOLD)
        contractual = np.where(after, np.maximum(terms.min_payment_floor[lender], claim / 12.0), contractual)
        paused = forborne | (self.view("deferral_left") > 0)
        self.view("contractual")[:] = np.minimum(contractual, claim)
        scheduled = np.where(paused, 0.0, np.minimum(contractual, claim))
        scheduled = np.where(self.collecting(), scheduled, 0.0)
        if payment_share is not None:
            scheduled = scheduled * payment_share
        self.view("scheduled")[:] = scheduled
        return scheduled

    def apply_payments(self, paid: np.ndarray, terms: ProductTerms, forborne: np.ndarray,
                       month: int | None = None, fee_waived: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Apply payments (fees, then interest, then principal), update arrears, cycles, days past due,
        late fees, plans, cures and charge-offs. Return this month's events as boolean or money arrays.
        Accounts in ``fee_waived`` (an accommodation that waives late fees) are charged no late fee: the fee
        is never charged, so nothing is written off for it.
        """
        claim_before = self.claim()
        paid = np.minimum(paid, claim_before)
        full = paid >= claim_before * (1.0 - 1e-12)
        fees, interest, principal = self.view("fees"), self.view("interest"), self.view("principal")
        pay_fees = np.where(full, fees, np.minimum(paid, fees))
        rest = paid - pay_fees
        pay_interest = np.where(full, interest, np.minimum(rest, interest))
        pay_principal = np.where(full, principal, np.minimum(rest - pay_interest, principal))
        paid = pay_fees + pay_interest + pay_principal
        fees -= pay_fees
        interest -= pay_interest
        principal -= pay_principal
        np.maximum(principal, 0.0, out=principal)
        del claim_before, full, pay_fees, rest, pay_interest, pay_principal  # a million-loan book: free early

        status = self.view("status")
        sold = status == Status.SOLD
        charged_off = status == Status.CHARGED_OFF
        self.view("repaid")[:] += np.where(sold, 0.0, paid)
        self.view("written_off")[:] -= np.where(charged_off, paid, 0.0)
        self.view("buyer_collected")[:] += np.where(sold, paid, 0.0)
        self.view("paid_last")[:] = paid

        on_book = ON_BOOK[status]
        due = np.where(on_book, self.view("scheduled") + self.view("arrears"), 0.0)
        shortfall = np.maximum(due - paid, 0.0)
        claim_after = self.claim()
        arrears = np.minimum(shortfall, claim_after)
        old_cycles = self.view("cycles").copy()
        was_delinquent = old_cycles > 0
        missed = on_book & (shortfall > 1e-9) & (claim_after > 1e-9)

        # a plan is broken by a short payment and the account returns to its delinquency before the plan;
        # a plan kept to the end leaves the account re-aged (current)
        plan_left = self.view("plan_left")
        on_plan = plan_left > 0
        broken_plan = on_plan & missed
        plan_left[:] = np.where(on_plan & ~missed, plan_left - 1, 0)
        plan_completed = on_plan & ~missed & (plan_left == 0)
        plan_arrears = self.view("plan_arrears")
        arrears = np.where(broken_plan, np.minimum(arrears + plan_arrears, claim_after), arrears)
        plan_arrears[:] = np.where(plan_left > 0, plan_arrears, 0.0)
        del shortfall, due

        # late fee on a missed payment of an on-book loan (none while forborne or deferred)
        paused = forborne | (self.view("deferral_left") > 0)
        late = missed & ~paused
        if fee_waived is not None:
            late &= ~fee_waived
        fee = np.where(late, terms.late_fee[self.view("lender")], 0.0)
        fees += fee
        self.view("fees_charged")[:] += fee

        # arrears are counted in contractual payments (the card minimum as if nothing were paused, and as if
        # there were no plan: the arrears a broken plan brings back were missed at the full payment)
        contractual = self.view("contractual")
        reference = np.maximum(np.where(on_plan, contractual / max(self.plan_payment_share, 1e-9), contractual), 1.0)
        reference = np.where(self.view("is_card"), reference, np.maximum(self.view("instalment"), 1.0))
        # charged-off and sold claims keep the number of cycles they had at charge-off
        cycles = np.where(on_book, np.ceil(arrears / reference - 1e-9), old_cycles).astype(np.int16)
        # while payments are paused nothing falls due, so arrears only fall (as they are paid) and the
        # account does not age
        cycles = np.where(paused & on_book, np.minimum(cycles, old_cycles), cycles)
        np.minimum(cycles, 99, out=cycles)
        self.view("arrears")[:] = np.where(on_book, arrears, 0.0)
        self.view("cycles")[:] = cycles
        del reference, arrears
        dpd = np.where(cycles > 0, DAYS_PER_CYCLE * (cycles - 1) + (DAYS_PER_CYCLE - self.view("due_day")), 0)
        dpd = np.where(on_book, dpd, self.view("dpd"))
        self.view("dpd")[:] = dpd

        cured = on_book & was_delinquent & (cycles == 0)
        rolled_60 = on_book & (cycles >= 3) & (old_cycles < 3)
        # a delinquency episode starts at the first missed payment and ends with a cure by payment or a plan
        # kept to its end; an account re-aged by a plan that defaults again is still in the same episode
        in_episode = self.view("in_episode")
        new_episode = on_book & (cycles > 0) & ~in_episode
        in_episode |= new_episode
        in_episode &= ~(cured | plan_completed)
        if month is not None:
            # an account re-aged by a deferral or write-down that stays current for a year leaves its episode
            recovered = on_book & (cycles == 0) & (month - self.view("reaged_month").astype(np.int32) >= REAGE_INTERVAL)
            in_episode &= ~recovered
        self.view("episode_exposure")[:] = np.where(new_episode, claim_after, self.view("episode_exposure"))

        # charge-off at the configured age
        chargeoff = on_book & (dpd >= self.view("chargeoff_days"))
        gross_chargeoff = np.where(chargeoff, self.claim(), 0.0)
        self.view("written_off")[:] += gross_chargeoff
        status[chargeoff] = Status.CHARGED_OFF
        self.view("months_since_chargeoff")[chargeoff] = 0
        self.view("arrears")[chargeoff] = 0.0
        self.view("plan_left")[chargeoff] = 0

        # paid in full
        paid_off = (self.claim() <= 1e-9) & (status < Status.PAID_OFF)
        for name in ("principal", "interest", "fees"):
            col = self.view(name)
            col[paid_off] = 0.0
        status[paid_off] = Status.PAID_OFF
        self.view("arrears")[paid_off] = 0.0
        self.view("cycles")[paid_off] = 0
        self.view("dpd")[paid_off] = 0

        # clocks
        self.view("months_on_book")[:] += 1
        deferral = self.view("deferral_left")
        deferral[:] = np.maximum(deferral - 1, 0)
        mco = self.view("months_since_chargeoff")
        after = mco >= 0
        mco[after] += 1
        written = (status == Status.CHARGED_OFF) | (status == Status.SOLD)
        stale = after & (mco > IN_COLLECTION_AFTER_CHARGE_OFF) & written
        status[stale] = Status.CLOSED
        return {
            "paid": paid,
            "paid_on_charged_off": np.where(charged_off, paid, 0.0),  # recoveries (status before this month)
            "due_while_current": on_book & (old_cycles == 0) & (self.view("scheduled") > 0) & ~paused,
            "paid_on_time": on_book & (old_cycles == 0) & (self.view("scheduled") > 0) & ~paused & ~missed,
            "missed": missed,
            "cured": cured,
            "rolled_60": rolled_60,
            "new_episode": new_episode,
            "chargeoff": chargeoff,
            "gross_chargeoff": gross_chargeoff,
            "paid_off": paid_off,
            "broken_plan": broken_plan,
            "late_fee": fee,
        }

    def refresh_status(self) -> None:
        """Set the status of loans that are still on the book from their flags."""
        status = self.view("status")
        on_book = ON_BOOK[status]
        new = np.full(self.n, Status.CURRENT, dtype=np.int8)
        new[self.view("cycles") > 0] = Status.DELINQUENT
        new[(self.view("plan_left") > 0) | (self.view("deferral_left") > 0)] = Status.PLAN
        new[self.view("litigation_age") >= 0] = Status.LITIGATION
        new[self.view("judgment")] = Status.JUDGMENT
        status[on_book] = new[on_book]



def labour_and_shocks(
    t: BorrowerTable, cfg: Economy, separation: float, finding: float, support: float, draws: LabourDraws,
    separation_weights: np.ndarray, finding_weights: np.ndarray,
) -> np.ndarray:
    """Move households between jobs and unemployment, set income and expense shocks.

    Returns the mask of households who lost their job this month.
    """
    s_i = separation * separation_weights
    lost = t.employed & (draws.transition < s_i)
    found = ~t.employed & (draws.transition < finding * finding_weights)
    t.employed[:] = (t.employed & ~lost) | found
    t.months_unemployed[:] = np.where(t.employed, 0, t.months_unemployed + 1)
    earnings = t.income_base * np.exp(cfg.income_volatility * draws.income_noise - 0.5 * cfg.income_volatility**2)
    benefits = t.income_base * cfg.unemployment_insurance_replacement + support
    t.income[:] = np.where(t.employed, earnings, benefits)
    hit = draws.shock_event < cfg.expense_shock_probability
    t.shock[:] = np.where(hit, cfg.expense_shock_size * t.income_base * draws.shock_size, 0.0)
    return lost


# salts of the fixed hashes that pick the households a lever reaches (one per lever, so that the sets are
# independent of each other)
STIMULUS_SALT, PROGRAMME_SALT, PAUSE_SALT = 1, 2, 3


def payment_budget(t: BorrowerTable, drawdown: float = 0.5) -> np.ndarray:
    """Money a household can put towards its debts this month: what is left of income after
    essentials and shocks, plus part of its savings."""
    flow = t.income - t.essentials - t.shock
    liquid = t.savings + flow
    budget = np.maximum(flow, 0.0) + drawdown * np.maximum(t.savings + np.minimum(flow, 0.0), 0.0)
    return np.clip(np.minimum(budget, liquid), 0.0, None)


def split_budget(budget: np.ndarray, wanted: np.ndarray, owner: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """How much each household pays on each loan.

    A household pays what it means to pay on each loan (``wanted``) when its budget covers the total. When
    it does not, it cannot pay every lender: it splits its budget across the loans it meant to pay in
    proportion to ``priority * wanted`` (consequences first, then the loudest creditor: see
    ``CollectionModel._decide_payments``), never paying a loan more than it meant to, and passes what a loan
    cannot absorb to the others. Only the loans of such households are touched after the first test.
    """
    n = len(budget)
    total_wanted = np.bincount(owner, weights=wanted, minlength=n)
    short = budget < total_wanted - 1e-9
    pay = wanted.copy()
    rows = np.flatnonzero(short[owner] & (wanted > 0))
    if len(rows) == 0:
        return pay
    o = owner[rows]
    ask = wanted[rows]
    envelope = np.maximum(budget, 0.0)
    w = priority[rows] * ask
    w_sum = np.bincount(o, weights=w, minlength=n)[o]
    share = np.divide(w, w_sum, out=np.zeros_like(w), where=w_sum > 0)
    part = np.minimum(envelope[o] * share, ask)
    # second pass: hand what is left to loans that can still take it
    left = np.maximum(envelope - np.bincount(o, weights=part, minlength=n), 0.0)[o]
    room = ask - part
    room_sum = np.bincount(o, weights=room, minlength=n)[o]
    extra = np.divide(room, room_sum, out=np.zeros_like(room), where=room_sum > 0)
    pay[rows] = part + np.minimum(left * extra, room)
    return pay


def settle_month(t: BorrowerTable, paid: np.ndarray, cfg: Population, borrowed: np.ndarray | float = 0.0,
                 spending: MonthSpending | None = None) -> None:
    """Households pay, save towards their buffer, and consume the rest; a deficit draws savings down,
    and what savings cannot cover is consumption below essentials (``shortfall``). New loans are spent in
    the month they are taken (``borrowed``: the purchase the loan financed).

    With ``spending`` (a month with a pause on other debts or a lockdown; ``t.essentials`` is then the
    lowered amount), what a lockdown kept the household from spending is saved, beyond the buffer target,
    out of any surplus left after the usual saving; and the paused payments still count as consumption
    (the home they pay for is lived in)."""
    t.paid[:] = paid
    surplus = t.income - t.essentials - t.shock - paid
    save = np.clip(np.minimum(cfg.saving_rate * t.income, t.savings_target - t.savings), 0.0, None)
    save = np.where(surplus > 0, np.minimum(save, surplus), 0.0)
    if spending is not None:
        save = save + np.where(surplus > 0, np.minimum(spending.locked, surplus - save), 0.0)
    savings = t.savings + np.where(surplus > 0, save, surplus)
    # essentials not covered (a deficit beyond the essentials is bills, such as the shock, left unpaid)
    t.shortfall[:] = np.minimum(np.maximum(-savings, 0.0), t.essentials)
    t.savings[:] = np.maximum(savings, 0.0)
    # a shortfall larger than essentials means bills (the shock) went unpaid: consumption stops at zero
    t.consumption[:] = np.maximum(t.essentials + np.where(surplus > 0, surplus - save, 0.0) - t.shortfall, 0.0) \
        + borrowed
    if spending is not None:
        t.consumption += spending.paused


def update_stress_and_wellbeing(
    t: BorrowerTable, cfg: Behaviour, contact_stress: np.ndarray, any_30plus: np.ndarray, lost_job: np.ndarray,
) -> None:
    """Stress decays and rises with contacts, arrears, job loss, shocks and unmet essentials; the
    well-being index (0-100, scaled like the CFPB Financial Well-Being Scale) moves towards a target
    set by savings, stress, arrears and employment."""
    stress = (cfg.stress_decay * t.stress + contact_stress + cfg.stress_from_arrears * any_30plus
              + cfg.stress_from_job_loss * lost_job + cfg.stress_from_shock * (t.shock > 0)
              + 0.2 * (t.shortfall > 0))
    t.stress[:] = np.clip(stress, 0.0, 1.0)
    months = t.savings / np.maximum(t.essentials, 1.0)
    target = (cfg.wellbeing_base + t.wellbeing_offset
              + cfg.wellbeing_savings_weight * np.log((months + 0.1) / 1.1)
              - cfg.wellbeing_stress_weight * t.stress
              - cfg.wellbeing_arrears_weight * any_30plus
              - cfg.wellbeing_unemployment_weight * ~t.employed)
    wb = t.wellbeing + cfg.wellbeing_adjustment * (target - t.wellbeing)
    t.wellbeing[:] = np.clip(wb, 0.0, 100.0)


def draw_complaints(x: ComplaintInputs, cfg: Behaviour, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return (category, channel) per loan, with -1 where no complaint was made."""
    n = len(x.disputed)
    h = np.empty((n, len(Category)))
    base = cfg.complaint_base
    h[:, Category.DEBT_NOT_OWED] = base * BASE_MIX[0] + 0.8 * cfg.complaint_dispute * x.disputed
    h[:, Category.WRITTEN_NOTIFICATION] = base * BASE_MIX[1] + 0.2 * cfg.complaint_dispute * x.disputed
    h[:, Category.COMMUNICATION_TACTICS] = (base * BASE_MIX[2] + cfg.complaint_excess_contact * x.excess_contacts
                                           + cfg.complaint_night * x.night_calls)
    h[:, Category.FALSE_STATEMENTS] = base * BASE_MIX[3] + cfg.complaint_threat * (x.threatened & ~x.legal)
    h[:, Category.LEGAL_ACTION] = base * BASE_MIX[4] + cfg.complaint_threat * x.legal
    h[:, Category.IMPROPER_INFORMATION] = (base * BASE_MIX[5] + cfg.complaint_visit * x.visits
                                           + cfg.complaint_third_party * x.third_party
                                           + cfg.complaint_social_media * x.social_media)
    h *= x.propensity[:, None]
    total = np.minimum(h.sum(axis=1), 0.95)
    u = rng.random((n, 3))
    complains = u[:, 0] < total
    cum = np.cumsum(h, axis=1) / np.maximum(h.sum(axis=1), 1e-300)[:, None]
    category = (u[:, 1:2] > cum).sum(axis=1)
    category = np.minimum(category, len(Category) - 1)
    p_public = np.clip(cfg.public_channel_share * x.propensity * (1.0 + 3.0 * x.social_media), 0, 0.8)
    p_regulator = np.clip(cfg.regulator_channel_share * x.literacy_ratio, 0, 0.9)
    channel = np.where(u[:, 2] < p_public, Channel.PUBLIC,
                       np.where(u[:, 2] < p_public + p_regulator, Channel.REGULATOR, Channel.LENDER))
    return np.where(complains, category, -1), np.where(complains, channel, -1)


def account_states(status: np.ndarray, dpd: np.ndarray) -> np.ndarray:
    """Report state of each loan: its days-past-due bucket on the book, or charged off, paid off (settled
    and prepaid included) or sold; ``reports.NOT_ON_BOOK`` for claims closed after charge-off or sale."""
    state = np.full(len(status), reports.NOT_ON_BOOK, dtype=np.int8)
    on_book = ON_BOOK[status]
    state[on_book] = np.searchsorted(BUCKET_EDGES, dpd[on_book], side="right")  # the numpy engine's bucket_of
    state[status == Status.CHARGED_OFF] = reports.CHARGED_OFF_STATE
    state[status == Status.PAID_OFF] = reports.PAID_OFF_STATE
    state[status == Status.SOLD] = reports.SOLD_STATE
    return state


def recovery_per_dollar(book: LoanBook, cfg: Finance) -> np.ndarray:
    """Expected recovery per dollar of each loan's claim, from the lender's point of view: by days-past-due
    bucket on the book (``value_restructured`` for an account current only because it was re-aged, and
    ``value_judgment`` under judgment), ``value_charged_off`` for a charged-off claim the lender still works,
    zero for sold, closed and paid-off claims."""
    status = book.view("status")
    dpd = book.view("dpd")
    on_book = ON_BOOK[status]
    by_bucket = np.array([cfg.value_current, *cfg.value_by_bucket, cfg.value_by_bucket[-1]])
    # buckets: current, 1-29, 30-59, 60-89, 90-119, 120-149, 150-179, 180+ (the last two share a value)
    bucket = np.searchsorted(BUCKET_EDGES, dpd, side="right")
    value = np.where(on_book, by_bucket[bucket], 0.0)
    # current only because a plan, deferral or write-down re-aged it: not valued as a current account
    restructured = on_book & (bucket == 0) & book.view("in_episode")
    value = np.where(restructured, cfg.value_restructured, value)
    value = np.where(on_book & book.view("judgment"), cfg.value_judgment, value)
    held_after_chargeoff = (status == Status.CHARGED_OFF) & (book.view("collector") != Collector.BUYER)
    return np.where(held_after_chargeoff, cfg.value_charged_off, value)


# the payment decision as the numpy engine made it (sim.payments.decide_payments before its kernels)
def amount_due(book: LoanBook) -> np.ndarray:
    """This month's payment plus arrears, capped at the claim (``LoanBook.amount_due``)."""
    return np.minimum(book.view("scheduled") + book.view("arrears"), book.claim())


def in_collection(book: LoanBook) -> np.ndarray:
    """Loans in their lender's collection (``LoanBook.in_collection``)."""
    worked = ((book.view("cycles") > 0) | (book.view("plan_left") > 0) | (book.view("deferral_left") > 0)
              | (book.view("litigation_age") >= 0) | book.view("judgment"))
    status = book.view("status")
    return (worked & ON_BOOK[status]) | (status == Status.CHARGED_OFF)


def owed_by_household(book: LoanBook, n_households: int) -> np.ndarray:
    """What each household owes on the loans still collected (the debt overhang in ``decide_payments``)."""
    return np.bincount(book.view("borrower"), weights=np.where(book.collecting(), book.claim(), 0.0),
                       minlength=n_households)


from sim.payments import HiddenTruth, PaymentSetting, collection_pressure, garnish_wages  # noqa: E402
from sim.records import BudgetSplit, Payments  # noqa: E402


def numpy_decide_payments(setting: PaymentSetting, book: LoanBook, t: BorrowerTable, reactance: np.ndarray,
                    reminded: np.ndarray, rng: np.random.Generator,
                    keep_truth: bool = False) -> tuple[Payments, HiddenTruth | None]:
    """What each household pays on each loan this month (see the module docstring).

    ``reactance`` (per loan) is the fall in the payment logit that this month's contact provoked;
    ``reminded`` (per loan) says whether a reminder reached the household. With ``keep_truth``, also the
    hidden reasons for not paying (else None).
    """
    beh, tac = setting.behaviour, setting.tactics
    owner = book.view("borrower")
    n = book.n
    due = amount_due(book)
    settling = book.view("settlement_offer")
    if settling.any():
        due = np.where(settling, (1.0 - tac.settlement_haircut) * book.claim(), due)
    u = rng.random((4, n), dtype=np.float32)
    f32 = np.float32
    cycles = book.view("cycles")
    net = setting.network
    peer = (f32(net.peer_legal_deterrence) * setting.peer_legal
            - f32(net.peer_default_weight) * setting.peer_delinquent)
    reputation = (net.reputation_weight * setting.reputation).astype(f32)[book.view("lender")]
    # debt overhang: the more a household owes relative to its income, the less it tries
    owed = np.bincount(owner, weights=np.where(book.collecting(), book.claim(), 0.0), minlength=t.n)
    overhang = (f32(beh.overhang_weight) * np.log1p(owed / (12.0 * t.income_base))).astype(f32)
    pressure = collection_pressure(book, beh)
    legal = (book.view("litigation_age") >= 0) | book.view("judgment")
    consequence = legal + book.view("threat")
    logit = (f32(beh.willingness_intercept) + f32(beh.willingness_weight) * t.willingness[owner]
             + f32(beh.pressure_weight) * pressure + f32(beh.legal_weight) * consequence
             + f32(beh.goodwill_weight) * (book.view("goodwill") + reputation) + peer[owner] - overhang[owner]
             + f32(beh.delinquency_weight) * np.minimum(cycles, beh.delinquency_cap).astype(f32)
             + f32(beh.stress_weight) * t.stress[owner]
             + f32(tac.promise_boost) * book.view("promise") - reactance)
    # below 1 with the probability 1 / (1 + e^-logit); e^-logit capped at e^80 (float32 overflows at e^88.7)
    odds = u[0] * (f32(1.0) + np.exp(np.minimum(-logit, f32(80.0))))
    intends = odds < f32(1.0)
    # a delinquent household that means to pay clears its arrears only some of the time, the less often the
    # further behind it is; otherwise it pays this month's payment and stays as far behind as it was (the
    # same draw decides, so nothing shifts)
    catches_up = odds < np.power(f32(beh.catch_up_rate), np.maximum(cycles, 1))
    del logit, reputation, odds
    lapse = (f32(1.0) - t.attention[owner]) * np.where(reminded, f32(1.0 - beh.reminder_attention_fix), f32(1.0))
    forgets = u[1] < lapse
    del lapse
    delinquent = cycles > 0
    misunderstanding = t.misunderstanding * (f32(1.0) - t.education_effect)
    misreads = u[2] < misunderstanding[owner] * np.where(delinquent, f32(1.0), f32(beh.misread_current_share))
    scheduled = np.minimum(book.view("scheduled"), due)
    wanted = np.where(intends & ~forgets, np.where(catches_up | (cycles == 0), due, scheduled), 0.0)
    del scheduled
    wanted[misreads] *= 0.5
    # garnishment after judgment takes part of earnings above essentials, before anything else (the orders
    # that make it possible came after the kernels: the model's own function, sim.payments.garnish_wages)
    garnish = garnish_wages(book, t, tac, rng)
    budget = payment_budget(t)
    if garnish.any():
        budget = budget - np.bincount(owner, weights=garnish, minlength=t.n)
        wanted = np.maximum(wanted - garnish, 0.0)

    # a household that cannot pay all it means to pays first what has consequences, then the loudest creditor
    priority = np.exp(f32(beh.priority_consequence) * np.minimum(legal + 0.5 * book.view("threat"), 1.0)
                      + f32(beh.priority_loudness) * pressure)
    del consequence, legal, pressure

    # disputes: a misread amount, or an amount the lender's records got wrong; the household will not
    # pay an amount it disputes because of a record error
    record_error = book.view("record_error")
    error_dispute = record_error & delinquent & (u[3] < f32(beh.error_dispute_rate))
    wanted[error_dispute] = 0.0
    budget = np.maximum(budget, 0.0)
    voluntary = split_budget(budget, wanted, owner, priority)
    truth = None
    if keep_truth:
        truth = HiddenTruth(loan_id=book.view("loan_id").copy(), due=due.copy(), unwilling=~intends,
                            cash_short=voluntary < wanted - 1e-9)
    paid = voluntary + garnish
    disputed = (misreads & delinquent) | error_dispute
    book.view("disputed")[:] = disputed
    fixed = np.flatnonzero(error_dispute)
    fixed = fixed[rng.random(len(fixed)) < beh.error_correction_rate]
    record_error[fixed] = False
    # a promise is broken when the month's payment falls short of what was due
    broken = book.view("promise") & (paid < due - 1e-9)
    book.view("broken_promises")[:] += broken
    split = BudgetSplit(owner=owner.copy(), lender=book.view("lender").copy(), budget=budget, wanted=wanted,
                        paid=voluntary)
    return Payments(due=due, paid=paid, disputed=disputed, split=split), truth


# what contact does, as the numpy engine computed it (sim.contacts.contact_effects before its kernel)
from sim.contacts import ContactEffects, ContactSetting, threat_credibility  # noqa: E402
from sim.tactics import Tactic  # noqa: E402


def numpy_contact_effects(setting: ContactSetting, book: LoanBook, rows: np.ndarray, who: np.ndarray,
                    uses: dict[Tactic, np.ndarray], contacts: np.ndarray, night: np.ndarray,
                    conversations: np.ndarray, threatened: np.ndarray, sued: np.ndarray, accepted: np.ndarray,
                    suit_share: np.ndarray) -> ContactEffects:
    """What this month's contact does to each account in collection (ODD section 7.5).

    - The contact stock: last month's, times ``behaviour.pressure_memory``, plus each use's dose
      (``tactics.*.pressure``), ``tactics.conversation_dose`` per day with a right-party conversation,
      and a debt buyer's own effort. Pressure is concave in it (diminishing returns).
    - Threats of legal action weigh in proportion to their credibility: the share of its threatened
      accounts that the collector has sued, as a running average, over ``tactics.threat_credibility_full``.
    - Harassment units: contacts from this collector above ``behaviour.contact_tolerance``, plus each use's
      ``tactics.*.reactance`` (a threat's in proportion to how little it is believed), plus night calls at
      ``behaviour.night_reactance``; they lower the intention to pay this collector this month.
    - Goodwill: each use's ``tactics.*.goodwill`` (a call's only above tolerance), an accepted offer's, and a
      recovery of ``behaviour.goodwill_recovery`` of the gap to the account's goodwill at origination.
    - Stress: each use's ``tactics.*.stress``.
    """
    tac, beh = setting.tactics, setting.behaviour
    n = len(rows)
    dose = np.zeros(n)
    goodwill_add = np.zeros(n)
    stress_add = np.zeros(n)
    harassment = np.zeros(n)
    excess = np.maximum(contacts - beh.contact_tolerance, 0.0)
    lender_of_row = book.lender[rows]
    suit_share, credibility = threat_credibility(setting, suit_share, lender_of_row, who, threatened, sued)
    for tactic, count in uses.items():
        p = setting.tactic_params[tactic]
        dose += count * p.pressure
        stress_add += count * p.stress
        if tactic == Tactic.CALL:
            goodwill_add += np.minimum(count, excess) * p.goodwill
        elif tactic == Tactic.THREAT:
            goodwill_add += count * p.goodwill
            harassment += count * p.reactance * (1.0 - credibility)
        else:
            goodwill_add += count * p.goodwill
            harassment += count * p.reactance
    dose += tac.conversation_dose * conversations + np.where(who == Collector.BUYER, tac.buyer_pressure, 0.0)
    harassment += excess + beh.night_reactance * night
    goodwill_add += accepted * tac.plan.goodwill
    stock = book.view("pressure")
    stock *= np.float32(beh.pressure_memory)
    stock[rows] += dose.astype(np.float32)
    threat = book.view("threat")
    threat *= np.float32(beh.threat_memory)
    threat[rows] = np.maximum(threat[rows], (threatened * credibility).astype(np.float32))
    goodwill, base = book.view("goodwill"), book.view("goodwill_base")
    goodwill += np.float32(beh.goodwill_recovery) * (base - goodwill)
    goodwill[rows] = np.clip(goodwill[rows] + goodwill_add, -1.0, 1.0)
    reactance = np.zeros(book.n, dtype=np.float32)
    reactance[rows] = beh.reactance_weight * harassment
    return ContactEffects(reactance=reactance, harassment=harassment, stress=stress_add, suit_share=suit_share)


# the recorder's tallies as the numpy engine took them (sim.finance.book_value and sim.reports.RollRates.update
# before their kernels)
def book_value(book: LoanBook, group: np.ndarray, n_groups: int, cfg: Finance) -> np.ndarray:
    """Expected recovery of the claims each outcome group holds, $."""
    if book.n == 0:
        return np.zeros(n_groups)
    worth = book.claim() * recovery_per_dollar(book, cfg)
    return np.bincount(group, weights=worth, minlength=n_groups)


def roll_tallies(start: np.ndarray, start_claim: np.ndarray, end: np.ndarray, group: np.ndarray,
                 n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Accounts and balance (the claim at the start) moving from each bucket to each state, by group:
    arrays (group, from-state, to-state)."""
    ok = (start >= 0) & (start < len(reports.FROM_STATES)) & (end >= 0)
    cell = start[ok].astype(np.int64) * len(reports.TO_STATES) + end[ok]
    g = group[ok].astype(np.int64)
    size = len(reports.FROM_STATES) * len(reports.TO_STATES)
    flat = g * size + cell
    shape = (n_groups, len(reports.FROM_STATES), len(reports.TO_STATES))
    counts = np.bincount(flat, minlength=n_groups * size).reshape(shape)
    balances = np.bincount(flat, weights=start_claim[ok], minlength=n_groups * size).reshape(shape)
    return counts, balances


def effective_consumption(t: BorrowerTable, cfg, contacts) -> np.ndarray:
    """Consumption less the disutility of contacts and stress, $ thousands (``borrowers.effective_consumption``)."""
    owner = contacts.owner

    def per_household(values: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=values, minlength=t.n)

    calls = per_household(contacts.attempts + contacts.night)
    visits = per_household(contacts.visits)
    burden = cfg.call_cost * calls
    burden += cfg.night_call_cost * per_household(contacts.night)
    burden += cfg.visit_cost * visits
    burden += cfg.third_party_cost * per_household(contacts.third_party)
    burden += cfg.social_media_cost * per_household(contacts.social_media)
    calls += visits
    calls -= cfg.legal_cap
    burden += cfg.over_cap_cost * np.maximum(calls, 0)
    burden += cfg.stress_cost * t.stress
    burden *= t.essentials
    floor = 0.2 * cfg.subsistence_share * t.essentials
    np.subtract(t.consumption, burden, out=burden)
    np.maximum(burden, floor, out=burden)
    burden /= 1000.0
    return burden


def household_sums_by_cell(cell: np.ndarray, utility: np.ndarray, power: np.ndarray, wellbeing: np.ndarray,
                           low: np.ndarray, any_30plus: np.ndarray, short: np.ndarray) -> np.ndarray:
    """The recorder's sums by (quintile, tercile) cell (``MonthlyRecorder.record``): welfare and segments."""
    sums = [np.bincount(cell, weights=utility, minlength=15), np.bincount(cell, weights=power, minlength=15),
            np.bincount(cell, minlength=15).astype(float)]
    for values in (wellbeing, low, any_30plus, short):
        sums.append(np.bincount(cell, weights=values if values.dtype != bool else values.view(np.int8), minlength=15))
    return np.stack(sums)


def learn_scores(score: np.ndarray, lender: np.ndarray, learning_rate: np.ndarray, due: np.ndarray,
                 paid: np.ndarray) -> None:
    """Lenders' scores learnt from what was paid of what was due (``lenders.learn_scores``), in place."""
    ratio = np.maximum(due, 1e-9)
    np.divide(paid, ratio, out=ratio)
    np.clip(ratio, 0.0, 1.0, out=ratio)
    signal = ratio.astype(np.float32)
    rate = learning_rate.astype(np.float32)[lender]
    updated = 1.0 - rate
    updated *= score
    rate *= signal
    updated += rate
    np.copyto(score, updated, where=due > 0)


def vintage_tallies(month: int, vintage: np.ndarray, group: np.ndarray, principal_lent: np.ndarray,
                    net_loss: np.ndarray, n_groups: int, n_cohorts: int, months: int):
    """A month's vintage tallies by group (``reports.Vintages.update``): principal lent this month by cohort, net
    losses of loans originated before recording, net losses by cohort and age."""
    recorded = vintage >= 0
    new = recorded & (vintage == month)
    lent = np.bincount(group[new] * n_cohorts + vintage[new] // 3, weights=principal_lent[new],
                       minlength=n_groups * n_cohorts).reshape(n_groups, -1)
    early = np.bincount(group, weights=np.where(recorded, 0.0, net_loss), minlength=n_groups)
    lossy = recorded & (net_loss != 0.0)
    age = month - vintage[lossy]
    flat = (group[lossy] * n_cohorts + vintage[lossy] // 3) * months + age
    loss = np.bincount(flat, weights=net_loss[lossy], minlength=n_groups * n_cohorts * months).reshape(
        n_groups, n_cohorts, months)
    return lent, early, loss


def redefault_watch(month: int, window: int, loan_id: np.ndarray, bad: np.ndarray, fix_month: np.ndarray,
                    fix_kind: np.ndarray, fix_group: np.ndarray, redefaults: np.ndarray) -> None:
    """Re-defaults of the month counted and the watch ended (``reports.Redefaults.update``), in place."""
    n_groups = redefaults.shape[3] - 1
    watched = loan_id[bad]
    since = month - fix_month[watched]
    hit = watched[(fix_month[watched] >= 0) & (since >= 1) & (since <= window)]
    if len(hit):
        kind, when, g = fix_kind[hit], fix_month[hit], fix_group[hit]
        np.add.at(redefaults, (kind, when, month - when, g), 1.0)
        np.add.at(redefaults, (kind, when, month - when, np.full(len(hit), n_groups)), 1.0)
    fix_month[watched] = -1


def loans_per_household(borrower: np.ndarray, flags: np.ndarray, n_households: int) -> np.ndarray:
    """How many of each household's loans are flagged (the model's households 30+ days late, with a lawsuit, or
    holding loans on the book)."""
    return np.bincount(borrower[flags], minlength=n_households)


def loss_tallies(book: LoanBook, gross_chargeoff: np.ndarray, paid_on_charged_off: np.ndarray,
                 n_lenders: int) -> tuple[np.ndarray, np.ndarray]:
    """Each lender's on-book balance and net charge-offs of the month (``lenders.learn_losses``)."""
    lender = book.view("lender")
    balance = np.bincount(lender, weights=np.where(book.on_book(), book.claim(), 0.0), minlength=n_lenders)
    net = np.bincount(lender, weights=gross_chargeoff - paid_on_charged_off, minlength=n_lenders)
    return balance, net


def neighbour_shares(peers, first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The neighbours' means of two household flags (``CollectionModel._update_peers``): sparse products."""
    return peers @ first.astype(np.float32), peers @ second.astype(np.float32)
