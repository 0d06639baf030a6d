"""How contact happens and what it does: the month's contact calendar under the regulation regime.

:func:`run_contacts` executes the treatments the lenders' strategies, the agency and the debt buyer
planned (a :class:`~sim.records.Plan`) and returns a :class:`~sim.records.Contacts` record:

1. the rules: a written dispute pauses collection where the regime requires validation; yes/no rules
   (third parties, social media, threats, visits) clip what a complying collector requests, and count what
   the reference regime would have clipped (``sim.regulation``);
2. the call calendar, day by day (``sim.regulation.run_calendar``): attempts, night calls, right-party
   conversations;
3. conversations and messages: reminders that restore attention, promises, offers made and accepted
   (plans, deferrals, write-downs, settlements), financial education;
4. lawsuits, placements with the agency and sales to the debt buyer;
5. the effects of each use (:func:`contact_effects`, ODD section 7.5): pressure, threat credibility,
   goodwill, harassment (reactance) and stress, including the stress of neighbours and of relatives and
   contacts called.

Costs are not booked here: the record's ``uses`` are what ``sim.lenders.Costs`` books. Pre-due reminders
to current accounts are decided by the strategies too, through ``Strategy.decide`` on an observation of
current accounts (:func:`pre_due_reminders`).

The step changes the loan book's collection state (pressure, threat, goodwill, promises, offers,
litigation, collector, sales) and the households' education effect; it draws from the ``contacts``
stream only, in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from sim import kernels
from sim.borrowers import BorrowerTable
from sim.config import Behaviour, NetworkConfig, Tactics
from sim.loans import REAGE_INTERVAL, LoanBook, Status, current_rows, observe
from sim.records import Contacts, Plan
from sim.regulation import Regime, Rule, clip_requests, run_calendar
from sim.tactics import Collector, Offer, Tactic, Treatment

if TYPE_CHECKING:
    from sim.lenders import Lender


#: the tactics whose uses ``kernels.contact_outcomes`` counts, in the order of its rows (the order in which
#: ``contact_effects`` adds their doses)
CONTACT_USES = (Tactic.REMINDER, Tactic.PUSH, Tactic.EMAIL, Tactic.CALL, Tactic.VISIT, Tactic.LAWSUIT, Tactic.PLAN,
                Tactic.SETTLEMENT, Tactic.WRITEDOWN, Tactic.CHAT, Tactic.PLACEMENT, Tactic.THREAT, Tactic.SOCIAL_MEDIA,
                Tactic.THIRD_PARTY, Tactic.EDUCATION)
assert len(CONTACT_USES) == kernels.N_CONTACT_USES


@dataclass(frozen=True)
class ContactSetting:
    """What the contact step needs to know of the world, fixed at set-up."""

    tactics: Tactics
    behaviour: Behaviour
    network: NetworkConfig
    tactic_params: dict[Tactic, Any]  # each tactic's parameters (cost, pressure, goodwill, stress, reactance)
    compliance: np.ndarray  # per lender: share of forbidden requests its collectors drop
    group_offset: np.ndarray  # per lender: its first outcome group (its arms follow)
    n_groups: int
    n_lenders: int
    adjacency: Any  # the households' social network (sparse), for visits seen by neighbours
    peers: Any  # row-normalised network, for relatives and contacts called
    buyer_price: float  # what the debt buyer pays per dollar of face value


@dataclass(frozen=True)
class ContactEffects:
    """What this month's contact did to the accounts in collection (one row per account contacted)."""

    reactance: np.ndarray  # fall in the payment logit, one entry per loan row of the book
    harassment: np.ndarray  # harassment units per contacted account
    stress: np.ndarray  # stress added to the household per contacted account
    suit_share: np.ndarray  # per lender: running share of threatened accounts sued, after this month


def groups_of(setting: ContactSetting, book: LoanBook, rows: np.ndarray) -> np.ndarray:
    """Outcome group (lender arm) of loan rows."""
    return setting.group_offset[book.lender[rows]] + book.arm[rows]


def run_contacts(setting: ContactSetting, plan: Plan, book: LoanBook, t: BorrowerTable, regime: Regime,
                 reference: Regime, suit_share: np.ndarray, rng: np.random.Generator, month: int,
                 keep_daily: bool = False) -> tuple[Contacts, np.ndarray, dict[str, Any] | None]:
    """Execute the month's contacts under ``regime`` (see the module docstring).

    Returns the month's :class:`~sim.records.Contacts`, each lender's running share of threatened accounts
    that it sued (threat credibility, updated with this month's threats and suits), and, with
    ``keep_daily``, the day-by-day calendar of the accounts called (else None).
    """
    tac = setting.tactics
    rows, treat, who = plan.rows, plan.treatment, plan.who
    n = len(rows)
    u = rng.random((n, 6), dtype=np.float32)
    # each row's household, lender, group, collector, rules and chance of an answer, in one pass
    owner, lender_of_row, group = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int16), np.empty(n, dtype=np.int64)
    complies, third, bound, lender_held, paused = (np.empty(n, dtype=bool) for _ in range(5))
    call_requests, p_answer = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.float32)
    willing, reachable, digital = np.empty(n, dtype=np.float32), np.empty(n, dtype=bool), np.empty(n, dtype=bool)
    kernels.contact_setup(rows, who, u, treat.calls, treat.night_calls, book.view("borrower"), book.view("lender"),
                          book.view("arm"), setting.group_offset, book.view("dispute_pause"), setting.compliance,
                          regime.applies_to_first_party, t.willingness, t.reachable, t.digital, tac.call_answer_rate,
                          tac.call_avoidance, owner, lender_of_row, group, complies, third, bound, lender_held,
                          call_requests, paused, p_answer, willing, reachable, digital)
    clipped = np.zeros(len(Rule), dtype=np.int64)
    violations = np.zeros(len(Rule), dtype=np.int64)
    would = np.zeros(len(Rule), dtype=np.int64)
    # the same counts by outcome group, for the lender's own and its agency's accounts (a debt buyer's
    # claims count only in the all-lenders totals, as their complaints do)
    clipped_by_group = np.zeros((setting.n_groups, len(Rule)))
    would_by_group = np.zeros((setting.n_groups, len(Rule)))

    held_group = group[lender_held]

    def by_group(per_row: np.ndarray) -> np.ndarray:
        """Sums per group over the rows the lenders hold (counts: exact integer sums, see _counts_by_group)."""
        if per_row.dtype.kind in "biu":
            return _counts_by_group(held_group, per_row[lender_held], setting.n_groups)
        return np.bincount(held_group, weights=per_row[lender_held].astype(np.float64), minlength=setting.n_groups)

    # a written dispute pauses collection until the debt is validated, where the regime requires it
    if paused.any():
        stop = paused & complies
        requests = (treat.calls + treat.night_calls + treat.visits + treat.third_party + treat.sue).astype(np.int64)
        clipped[Rule.DISPUTE_PAUSE] += int(requests[stop].sum())
        clipped_by_group[:, Rule.DISPUTE_PAUSE] += by_group(np.where(stop, requests, 0))
        violations[Rule.DISPUTE_PAUSE] += int(requests[paused & ~complies].sum())
        for name in ("calls", "night_calls", "visits", "third_party"):
            getattr(treat, name)[stop] = 0
        treat.sue[stop] = False
    book.view("dispute_pause")[:] = np.maximum(book.view("dispute_pause") - 1, 0)

    # yes/no rules
    third_party, c, v = clip_requests(treat.third_party, regime.third_party_allowed, bound, complies)
    clipped[Rule.THIRD_PARTY] += c
    violations[Rule.THIRD_PARTY] += v
    social, c, v = clip_requests(treat.social_media.astype(np.int16), regime.social_media_allowed, bound, complies)
    clipped[Rule.SOCIAL_MEDIA] += c
    violations[Rule.SOCIAL_MEDIA] += v
    threats, c, v = clip_requests(treat.threaten.astype(np.int16), regime.threats_allowed, bound, complies)
    clipped[Rule.THREATS] += c
    violations[Rule.THREATS] += v
    visits, c, v = clip_requests(treat.visits, regime.visits_allowed, bound, complies)
    clipped[Rule.VISIT_BAN] += c
    violations[Rule.VISIT_BAN] += v
    for requested, executed, allowed, rule in (
            (treat.third_party, third_party, regime.third_party_allowed, Rule.THIRD_PARTY),
            (treat.social_media, social, regime.social_media_allowed, Rule.SOCIAL_MEDIA),
            (treat.threaten, threats, regime.threats_allowed, Rule.THREATS),
            (treat.visits, visits, regime.visits_allowed, Rule.VISIT_BAN)):
        if not allowed:  # (an allowed request is executed as requested: nothing clipped)
            clipped_by_group[:, rule] += by_group(requested.astype(np.int64) - executed.astype(np.int64))
    if reference.name != regime.name:
        ref_bound = reference.binds(third)
        for requested, allowed, rule in ((third_party, reference.third_party_allowed, Rule.THIRD_PARTY),
                                         (social, reference.social_media_allowed, Rule.SOCIAL_MEDIA),
                                         (threats, reference.threats_allowed, Rule.THREATS),
                                         (visits, reference.visits_allowed, Rule.VISIT_BAN)):
            if not allowed and requested.any():  # (no request: nothing to count)
                counts = np.zeros(setting.n_groups, dtype=np.int64)
                would[rule] += kernels.requests_by_group(requested, ref_bound, group, lender_held, counts)
                would_by_group[:, rule] += counts

    # the call calendar
    attempts = np.zeros(n, dtype=np.int32)
    night = np.zeros(n, dtype=np.int32)
    conversations = np.zeros(n, dtype=np.int32)
    has_calls = (treat.calls + treat.night_calls) > 0
    daily_log = None
    if has_calls.any():
        sub = np.flatnonzero(has_calls)
        # per group and rule, over the called rows the lenders hold (-1: the debt buyer's, in the totals only)
        called_group = np.where(lender_held[sub], group[sub], -1)
        cal = run_calendar(treat.calls[sub], treat.night_calls[sub], third[sub], p_answer[sub], rng, regime,
                           reference, complies=complies[sub], keep_daily=keep_daily,
                           due_day=book.due_day[rows[sub]] - 1, group=called_group, n_groups=setting.n_groups)
        attempts[sub], night[sub], conversations[sub] = cal.attempts, cal.night_attempts, cal.conversations
        clipped += cal.clipped
        would += cal.would_clip
        clipped_by_group += cal.clipped_by_group
        would_by_group += cal.would_clip_by_group
        violations += cal.violations
        if keep_daily:
            daily_log = {"month": month, "rows": rows[sub], "loan_id": book.loan_id[rows[sub]],
                         "who": who[sub], "lender": lender_of_row[sub], "complies": complies[sub],
                         "regime": regime.name, "daily": cal.daily, "daily_night": cal.daily_night}

    # conversations and messages, offers, suits, placements and sales, each use: one pass over the rows
    visit_talk, talked, reminded, promise, offered, accepted, educated, can_sue, place, sell, threatened, legal = (
        np.empty(n, dtype=bool) for _ in range(12))
    counts = np.empty((len(CONTACT_USES), n), dtype=np.int32)
    kernels.contact_outcomes(
        rows, u, treat.reminders, treat.push, treat.emails, treat.offer, treat.digital_offer, treat.education,
        treat.sue, treat.place, treat.sell, visits, threats, third_party, social, attempts, night, conversations,
        reachable, digital, willing, book.view("status"), book.view("litigation_age"), book.view("judgment"),
        book.view("collector"), book.view("reaged_month"), month, tac.push_reach, tac.email_reach, tac.promise_rate,
        tac.digital_take_up, tac.offer_acceptance, REAGE_INTERVAL, visit_talk, talked, reminded, promise, offered,
        accepted, educated, can_sue, place, sell, threatened, legal, counts)
    uses = {tactic: counts[k] for k, tactic in enumerate(CONTACT_USES) if counts[k].any()}  # (unused: no cost)

    # offers accepted
    accepted_offer = np.where(accepted, treat.offer, Offer.NONE)
    plan_rows = rows[accepted_offer == Offer.PLAN]
    defer_rows = rows[accepted_offer == Offer.DEFERRAL]
    write_rows = rows[accepted_offer == Offer.WRITEDOWN]
    settle_rows = rows[accepted_offer == Offer.SETTLEMENT]
    book.plan_left[plan_rows] = tac.plan_months
    book.deferral_left[defer_rows] = tac.deferral_months
    writedown_amounts = book.write_down(write_rows, tac.writedown_share)
    book.reage(np.concatenate([plan_rows, defer_rows, write_rows]), month)
    book.settlement_offer[:] = False
    book.settlement_offer[settle_rows] = True

    # financial education: misunderstanding falls, and the effect fades
    t.education_effect *= np.float32(tac.education_decay)
    t.education_effect[owner[educated]] = np.float32(tac.education_effect)

    # lawsuits, placements, sales
    book.litigation_age[rows[can_sue]] = 0
    book.collector[rows[place]] = Collector.AGENCY
    sale = _sell(setting, book, rows[sell])

    # pressure, goodwill and stress of each use
    effects = contact_effects(setting, book, rows, who, uses, attempts + night + visits, night,
                              conversations + visit_talk, threatened, can_sue, accepted, suit_share)
    book.promise[:] = False
    book.promise[rows] = promise

    # harm to people who owe nothing: relatives and contacts called, audiences of public posts
    third_party_harm = float(third_party.sum() + (social > 0).sum() * tac.third_party_audience)
    harm_by_group = np.zeros(setting.n_groups)
    if third_party.any() or social.any():  # (else no harm: adding zeros changes nothing)
        kernels.sum_by_group_where(third_party + (social > 0) * tac.third_party_audience, lender_held, group,
                                   harm_by_group)
    stress_by_household = np.zeros(t.n)
    kernels.sum_by_index(owner, effects.stress, stress_by_household)
    # neighbours see home visits; relatives and contacts called about a debt bear stress too
    net = setting.network
    if visits.any():
        visited = np.bincount(owner, weights=visits, minlength=t.n).astype(np.float32)
        stress_by_household += net.visit_exposure_stress * (setting.adjacency @ visited)
    if third_party.any():
        called = np.bincount(owner, weights=third_party, minlength=t.n).astype(np.float32)
        stress_by_household += net.third_party_stress * (setting.peers.T @ called)
    violations_by_group = np.zeros(setting.n_groups)
    if violations.any():
        # violations are attributed to lender arms in proportion to their non-complying contacts
        breaking = bound & ~complies & (who == Collector.LENDER)
        weights = np.bincount(group[breaking], minlength=setting.n_groups).astype(float)
        if weights.sum() > 0:
            violations_by_group = violations.sum() * weights / weights.sum()
    contacts = Contacts(
        rows=rows, who=who, owner=owner, group=group, call_requests=call_requests, attempts=attempts, night=night,
        visits=visits, conversations=conversations + visit_talk, talked=talked, promise=promise, offered=offered,
        accepted=accepted, settled_offer=accepted_offer == Offer.SETTLEMENT, sued=can_sue, placed=place,
        sold=sell, threatened=threatened, legal=legal, reminded=reminded, third_party=third_party,
        social_media=social > 0, uses=uses, reactance=effects.reactance, harassment=effects.harassment,
        writedown_rows=write_rows, writedown_amounts=writedown_amounts, **sale, clipped=clipped, would_clip=would,
        violations=violations, clipped_by_group=clipped_by_group, would_clip_by_group=would_by_group,
        violations_by_group=violations_by_group, third_party_harm=third_party_harm,
        third_party_harm_by_group=harm_by_group, stress_by_household=stress_by_household)
    return contacts, effects.suit_share, daily_log


def _counts_by_group(group: np.ndarray, counts: np.ndarray, n_groups: int) -> np.ndarray:
    """Integer ``counts`` (one value, or one row of values, per account) summed per outcome ``group``, as floats
    (shape ``(n_groups,)`` or ``(n_groups, columns)``). The sums are integers, exact in any order, so they equal
    the float sums ``np.bincount`` takes row by row; this is several times faster (one integer sum per group)."""
    if n_groups == 1:
        return counts.sum(axis=0, dtype=np.int64)[None].astype(np.float64)
    out = np.zeros((n_groups, *counts.shape[1:]))
    for g in range(n_groups):
        out[g] = counts[group == g].sum(axis=0, dtype=np.int64)
    return out


def _sell(setting: ContactSetting, book: LoanBook, sell_rows: np.ndarray) -> dict[str, np.ndarray]:
    """Sell claims to the debt buyer; the sale's rows, faces and proceeds by group (the fields of
    :class:`~sim.records.Contacts` about sales)."""
    k = setting.n_groups
    if not len(sell_rows):
        return {"sold_rows": np.zeros(0, dtype=np.int64), "sold_was_charged_off": np.zeros(0, dtype=bool),
                "sold_face": np.zeros(0), "sold_proceeds": np.zeros(0), "proceeds_by_group": np.zeros(k),
                "proceeds_co_by_group": np.zeros(k), "sale_loss_by_group": np.zeros(k)}
    was_co = book.status[sell_rows] == Status.CHARGED_OFF
    face = book.claim_of(sell_rows)
    group_sold = groups_of(setting, book, sell_rows)
    proceeds = book.sell(sell_rows, setting.buyer_price)
    return {"sold_rows": sell_rows, "sold_was_charged_off": was_co, "sold_face": face, "sold_proceeds": proceeds,
            "proceeds_by_group": np.bincount(group_sold, weights=proceeds, minlength=k),
            "proceeds_co_by_group": np.bincount(group_sold, weights=np.where(was_co, proceeds, 0.0), minlength=k),
            "sale_loss_by_group": np.bincount(group_sold, weights=np.where(was_co, 0.0, face - proceeds),
                                              minlength=k)}


def contact_effects(setting: ContactSetting, book: LoanBook, rows: np.ndarray, who: np.ndarray,
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
    suit_share, credibility = threat_credibility(setting, suit_share, book.lender[rows], who, threatened, sued)
    # the arithmetic above, in one compiled pass over the contacted accounts (kernels.contact_effects)
    params = [setting.tactic_params[tactic] for tactic in uses]
    counts = np.stack(list(uses.values())) if uses else np.zeros((0, n), dtype=np.int32)
    kind = np.array([kernels.CALL_USE if t == Tactic.CALL else kernels.THREAT_USE if t == Tactic.THREAT
                     else kernels.OTHER_USE for t in uses], dtype=np.int64)
    reactance = np.zeros(book.n, dtype=np.float32)
    harassment, stress_add = np.empty(n), np.empty(n)
    kernels.contact_effects(
        rows, counts, kind, *(np.array([getattr(p, name) for p in params], dtype=float)
                              for name in ("pressure", "stress", "goodwill", "reactance")),
        contacts, night, conversations, who == Collector.BUYER, accepted, threatened, credibility,
        beh.contact_tolerance, tac.conversation_dose, tac.buyer_pressure, beh.night_reactance, tac.plan.goodwill,
        beh.pressure_memory, beh.threat_memory, beh.goodwill_recovery, beh.reactance_weight, book.view("pressure"),
        book.view("threat"), book.view("goodwill"), book.view("goodwill_base"), reactance, harassment, stress_add)
    return ContactEffects(reactance=reactance, harassment=harassment, stress=stress_add, suit_share=suit_share)


def threat_credibility(setting: ContactSetting, suit_share: np.ndarray, lender_of_row: np.ndarray, who: np.ndarray,
                       threatened: np.ndarray, sued: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each lender's running share of threatened accounts sued, updated with this month's threats and suits
    (the lender's own collection only; agencies and buyers sue through the lender's suits), and the
    credibility (0-1) of each account's threat this month: that share over
    ``tactics.threat_credibility_full``, zero for accounts the lender does not collect itself."""
    k = setting.n_lenders
    own = who == Collector.LENDER
    threats = np.bincount(lender_of_row[own & threatened], minlength=k).astype(float)
    suits = np.bincount(lender_of_row[own & sued], minlength=k).astype(float)
    active = threats > 0
    rate = np.divide(suits, threats, out=np.zeros(k), where=active)
    suit_share = np.where(active, 0.9 * suit_share + 0.1 * np.minimum(rate, 1.0), suit_share)
    full = setting.tactics.threat_credibility_full
    return suit_share, np.minimum(suit_share / full, 1.0)[lender_of_row] * own


def pre_due_reminders(lenders: list[Lender], book: LoanBook, t: BorrowerTable, month: int,
                      rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Pre-due reminders: each lender's strategies (champion and challengers, each on its arm's accounts)
    decide through :meth:`Strategy.decide <sim.strategies.Strategy.decide>` what to send to the lender's
    current accounts before their due date (an observation with ``before_due``); only reminders (SMS) are
    executed, and one reaches a reachable household. Returns, per loan, whether a pre-due reminder reached
    the household, and the reminders each arm sent as ``(lender index, arm, count)`` (for the costs).

    Raises:
        ValueError: a strategy requested anything but reminders for a current account.
    """
    reached = np.zeros(book.n, dtype=bool)
    sent = []
    for lender in lenders:
        # observed only for a strategy that reads them (Strategy.looks_before_due): observing every current
        # account is a good share of a month's work, and the built-in strategies answer from a parameter; when
        # no strategy looks, the current accounts are counted by arm (kernels.current_accounts) and listed only
        # if a reminder is sent
        looking = any(_looks_before_due(strategy) for strategy in lender.strategies)
        several = len(lender.strategies) > 1
        current = arms = obs = None
        if looking:
            current = current_rows(book, lender.index)
            obs = observe(book, current, month, t.digital, before_due=True)
            arms = book.arm[current]
        else:
            per_arm = np.zeros(len(lender.strategies), dtype=np.int64)
            total = kernels.current_accounts(book.view("status"), book.view("lender"), book.view("arm"), lender.index,
                                             per_arm)
        for arm, strategy in enumerate(lender.strategies):
            if _looks_before_due(strategy):
                mine = arms == arm
                sub = obs.subset(mine) if several else obs
                treat = strategy.decide(sub, rng)
                treat.validate(len(sub))
                _check_before_due(strategy.name, treat)
                reminders = treat.reminders
            else:  # what Strategy.remind_before_due would answer, without the look
                if looking:
                    size = int((arms == arm).sum()) if several else len(current)
                else:
                    size = int(per_arm[arm]) if several else total
                reminders = strategy.reminders_unseen(size)
            if reminders.any():
                if current is None:
                    current = current_rows(book, lender.index)
                    arms = book.arm[current]
                sub_rows = current[arms == arm] if several else current
                rows = sub_rows[reminders > 0]
                reached[rows] = t.reachable[book.borrower[rows]]
            sent.append((lender.index, arm, int(reminders.sum())))
    return reached, sent


def _looks_before_due(strategy: Any) -> bool:
    """Whether ``strategy`` reads the current accounts it reminds (``Strategy.looks_before_due``); any other
    object that decides (a strategy written from scratch) is shown them."""
    return getattr(strategy, "looks_before_due", True)


def _check_before_due(name: str, treat: Treatment) -> None:
    for f in fields(Treatment):
        if f.name in ("reminders", "priority"):
            continue
        values = getattr(treat, f.name)
        if np.any(values != (Offer.NONE if f.name == "offer" else 0)):
            raise ValueError(f"strategy {name!r} requested {f.name} for current accounts before their due date; "
                             "only reminders are sent then")
