"""Collection strategies: policies a lender owns that turn what it observes into treatment requests.

Every strategy is a small class with a ``name``, a one-line ``description``, a docstring with a
``Source:`` line, a ``classifier`` of its properties, declared ``defaults`` for its parameters (stored
unchanged, so a strategy prints and clones with its settings), and one decision method,
:meth:`Strategy.treat`, that sees only an :class:`~sim.loans.Observation` of the accounts in collection
and fills in their treatment; :meth:`Strategy.decide`, which the lender calls, does the steps every
strategy shares (the pre-due reminders, the empty treatment) around it. Defining a subclass with a
``name`` registers it in :data:`STRATEGIES`; nothing else needs to be edited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.config import Tactics
from sim.loans import Observation
from sim.tactics import Collector, Offer, Treatment

if TYPE_CHECKING:
    from sim.config import DeclaredStrategy, LadderStep

#: the tactic costs and hours a strategy assumes when its observation carries none (scripted observations)
DEFAULT_TACTICS = Tactics()

STRATEGIES: dict[str, type[Strategy]] = {}

#: How hard a strategy presses, from no contact at all to the unregulated extreme; ``adaptive``: set account by
#: account from what it learns; ``declared``: a ladder written in a scenario file, as its steps say.
PRESSURES = ("none", "low", "medium", "high", "extreme", "adaptive", "declared")

#: The one classifier schema: every strategy's classifier has exactly these keys, in this order (:func:`classify`
#: builds one; registration checks it). All but ``pressure`` are booleans; each says what the strategy's requests
#: do or never do, and the shared contract test (tests/test_strategies.py) runs every strategy and checks its
#: requests against its classifier.
CLASSIFIER_KEYS: dict[str, str] = {
    "pressure": "one of PRESSURES; none: it requests no contact of any kind",
    "restructuring": "offers plans, deferrals, settlements or write-downs",
    "litigation": "files lawsuits",
    "outsources": "places accounts with a collection agency",
    "sells": "sells claims to a debt buyer",
    "night_contact": "calls at night (21:00-08:00)",
    "third_party": "contacts relatives and other third parties",
    "public_shaming": "posts about the debt on social media",
    "digital": "contacts households through the lender's app (push messages) or offers there",
    "learns": "what it requests depends on what it saw in earlier months",
    "champion": "the reference strategy that comparisons measure the others against (not a behaviour)",
    "counterfactual": "the no-collection counterfactual of the welfare outcomes: it requests nothing at all",
}


def classify(pressure: str, **properties: bool) -> dict[str, object]:
    """A classifier with every key of :data:`CLASSIFIER_KEYS`: ``pressure``, the properties named True, and
    False for the others (the contract test checks each against what the strategy requests)."""
    unknown = [k for k in properties if k not in CLASSIFIER_KEYS or k == "pressure"]
    if unknown:
        raise TypeError(f"classify: unknown classifier keys {unknown} (known: {', '.join(CLASSIFIER_KEYS)})")
    return {"pressure": pressure, **{k: bool(properties.get(k, False)) for k in CLASSIFIER_KEYS if k != "pressure"}}


def check_classifier(name: str, classifier: dict[str, object]) -> None:
    """Raise TypeError naming the strategy and the first key or value that departs from :data:`CLASSIFIER_KEYS`."""
    missing = [k for k in CLASSIFIER_KEYS if k not in classifier]
    unknown = [k for k in classifier if k not in CLASSIFIER_KEYS]
    if missing or unknown:
        raise TypeError(f"strategy {name!r}: classifier keys missing {missing}, unknown {unknown} "
                        f"(every classifier has exactly: {', '.join(CLASSIFIER_KEYS)})")
    if classifier["pressure"] not in PRESSURES:
        raise TypeError(f"strategy {name!r}: classifier pressure={classifier['pressure']!r}, not one of {PRESSURES}")
    for key, value in classifier.items():
        if key != "pressure" and not isinstance(value, bool):
            raise TypeError(f"strategy {name!r}: classifier {key}={value!r} is not True or False")


class Strategy:
    """Base class of collection strategies."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    classifier: ClassVar[dict[str, Any]] = {}
    defaults: ClassVar[dict[str, Any]] = {}
    #: the values a text parameter may take, by parameter
    choices: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not register:
            return
        if not cls.name:
            raise TypeError(f"strategy class {cls.__name__} needs a name")
        if cls.name in STRATEGIES and STRATEGIES[cls.name].__qualname__ != cls.__qualname__:
            raise TypeError(f"strategy name {cls.name!r} is already registered by {STRATEGIES[cls.name].__name__}")
        if "Source:" not in (cls.__doc__ or ""):
            raise TypeError(f"strategy class {cls.__name__} needs a docstring with a 'Source:' line")
        check_classifier(cls.name, cls.classifier)
        STRATEGIES[cls.name] = cls

    def __init__(self, **params: Any) -> None:
        self.check_params(params)
        self.params = {**self.defaults, **params}

    @classmethod
    def check_params(cls, params: dict[str, Any], where: str = "strategy_params") -> None:
        """Raise ValueError naming the first unknown or mistyped parameter."""
        for key, value in params.items():
            if key not in cls.defaults:
                known = ", ".join(sorted(cls.defaults)) or "none"
                raise ValueError(f"{where}.{key}: unknown parameter of strategy {cls.name!r} (known: {known})")
            default = cls.defaults[key]
            if isinstance(default, bool) != isinstance(value, bool) or (
                isinstance(default, (int, float)) and not isinstance(value, (int, float))
            ):
                raise ValueError(f"{where}.{key}: expected {type(default).__name__}, got {value!r}")
            if isinstance(default, str) and not isinstance(value, str):
                raise ValueError(f"{where}.{key}: expected str, got {value!r}")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{where}.{key}: must not be negative, got {value!r}")
            if key in cls.choices and value not in cls.choices[key]:
                raise ValueError(f"{where}.{key}: {value!r} is not one of {', '.join(cls.choices[key])}")

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.params.items() if self.defaults.get(k) != v}
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"{type(self).__name__}({args})"

    @property
    def reminds_current(self) -> bool:
        """Whether the lender sends a reminder before the due date to every current account."""
        return bool(self.params.get("pre_due_reminders", False))

    @property
    def looks_before_due(self) -> bool:
        """Whether the strategy reads its current accounts to decide what to send them before their due date.
        One that keeps :meth:`decide` and :meth:`remind_before_due` as defined here does not: what it sends is
        :meth:`reminders_unseen`, so its lender need not observe them (``sim.contacts.pre_due_reminders``)."""
        cls = type(self)
        return cls.decide is not Strategy.decide or cls.remind_before_due is not Strategy.remind_before_due

    def decide(self, obs: Observation, rng: np.random.Generator) -> Treatment:
        """Turn observed account state into treatment requests, one row per observed account.

        ``obs`` is either the lender's accounts in collection or, when ``obs.before_due`` is true, its
        current accounts before their due date, for which only ``reminders`` are executed. ``rng`` is the
        match's randomness (for strategies that explore); a strategy holds no generator.

        The steps every strategy shares are done here: before the due date the answer is
        :meth:`remind_before_due`; in collection an empty treatment is made and :meth:`treat` fills it in.
        A strategy implements :meth:`treat` (or overrides ``decide`` to answer both itself).
        """
        if obs.before_due:
            return self.remind_before_due(obs)
        t = Treatment.empty(len(obs))
        self.treat(obs, t, rng)
        return t

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        """Fill in ``t``, a treatment of the accounts in collection (``obs``, one row each) that requests
        nothing yet: what each account gets, and its ``priority`` when collector hours are rationed."""
        raise NotImplementedError

    def remind_before_due(self, obs: Observation) -> Treatment:
        """The pre-due treatment of current accounts (``obs.before_due``): :meth:`reminders_unseen` of them."""
        t = Treatment.empty(len(obs))
        t.reminders[:] = self.reminders_unseen(len(obs))
        return t

    def reminders_unseen(self, n: int) -> np.ndarray:
        """The pre-due reminders of ``n`` current accounts that need no look at them (int16, one per account):
        one SMS each when the strategy's ``pre_due_reminders`` parameter is on, none otherwise. This is what
        :meth:`remind_before_due` sends, and what a lender sends without observing its current accounts when the
        strategy does not look (:attr:`looks_before_due` false)."""
        return np.full(n, 1 if self.reminds_current else 0, dtype=np.int16)


def _calls_day_and_night(t: Treatment, obs: Observation, calls_by_cycle: tuple[int, ...], charged_off_calls: int,
                         night_share: float) -> None:
    """Call attempts by missed cycles (``calls_by_cycle``), ``charged_off_calls`` on charged-off accounts; a
    share ``night_share`` of them at night (rounded), the rest by day."""
    calls = np.where(~obs.charged_off, _by_cycle(calls_by_cycle, obs.cycles), charged_off_calls)
    night = np.round(calls * night_share).astype(np.int16)
    t.calls[:] = calls - night
    t.night_calls[:] = night


def _charged_off_for(obs: Observation, months: float) -> np.ndarray:
    """Accounts charged off at least ``months`` months ago (what a sale rule sells)."""
    return obs.charged_off & (obs.months_since_chargeoff >= months)


def _charged_off_in_house(obs: Observation) -> np.ndarray:
    """Charged-off accounts the lender still works itself (not placed with an agency)."""
    return obs.charged_off & (obs.collector == Collector.LENDER)


def _by_cycle(values: tuple[int, ...] | list[int], cycles: np.ndarray) -> np.ndarray:
    """Look up a per-cycle schedule (index 0 = current, last value repeats)."""
    table = np.asarray(values, dtype=np.int16)
    return table[np.minimum(cycles, len(table) - 1)]


class ConventionalLadder(Strategy):
    """The conventional escalation ladder of a US card issuer: reminders and a few calls early,
    more calls as the account ages, a hardship plan offered to accounts 60+ days past due that talk to
    a collector, suit on large balances at 120+ days, agency placement at charge-off and sale of the
    claims an agency has not collected after a year.

    Two parameters turn up the pressure without touching the rest of the policy (plans, suits,
    placement, sale): ``call_scale`` multiplies the call attempts on accounts not charged off, and
    ``threaten_from_cycle`` (0: never) adds threats of legal action from that many missed cycles. The
    externality experiment uses them to isolate pressure. When collector hours are short, the requests of
    the accounts first in ``ration_by`` order are kept: ``"claim_x_age"`` (the default: the claim times one
    plus the missed cycles, largest first), ``"claim"``, ``"age"`` (missed cycles), ``"claim_x_age_squared"``
    (older accounts weigh more), or ``"random"`` (the counterfactual of the capacity study: does allocation
    matter?).

    Source: the typical first-party collection lifecycle described in CFPB (2016) "Small Business
    Review Panel for Debt Collector and Debt Buyer Rulemaking", section 2, and FFIEC charge-off rules.
    """

    name = "conventional"
    description = "Escalation ladder: reminders, calls rising with days past due, plans at 60+, agency at charge-off"
    classifier = classify("medium", restructuring=True, litigation=True, outsources=True, sells=True, champion=True)
    defaults = {
        "pre_due_reminders": False,
        "plan_from_cycle": 3,
        "sue_from_cycle": 5,
        "sue_min_claim": 4000.0,
        "place_at_chargeoff": True,
        "sell_after_months": 12,
        "call_scale": 1.0,
        "threaten_from_cycle": 0,
        "ration_by": "claim_x_age",
    }
    choices = {"ration_by": ("claim_x_age", "claim", "age", "claim_x_age_squared", "random")}
    calls_by_cycle = (0, 3, 6, 10, 12, 12, 12)
    reminders_by_cycle = (0, 2, 2, 1, 1, 1, 1)

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        p = self.params
        active = ~obs.charged_off & ~obs.on_plan
        t.reminders[:] = np.where(obs.on_plan, 1, np.where(active, _by_cycle(self.reminders_by_cycle, obs.cycles), 0))
        calls = _by_cycle(self.calls_by_cycle, obs.cycles)
        if p["call_scale"] != 1.0:
            calls = np.minimum(np.round(calls * float(p["call_scale"])), 300).astype(np.int16)
        t.calls[:] = np.where(active, calls, 0)
        t.calls[_charged_off_in_house(obs)] = 4
        if p["threaten_from_cycle"] > 0:
            t.threaten[:] = active & (obs.cycles >= p["threaten_from_cycle"])
        t.offer[active & (obs.cycles >= p["plan_from_cycle"])] = Offer.PLAN
        t.sue[:] = (active & (obs.cycles >= p["sue_from_cycle"]) & (obs.claim >= p["sue_min_claim"])
                    & ~obs.in_litigation)
        t.place[:] = _charged_off_in_house(obs) & bool(p["place_at_chargeoff"])
        t.sell[:] = _charged_off_for(obs, p["sell_after_months"])
        t.priority[:] = self.ration_priority(obs, rng)

    def ration_priority(self, obs: Observation, rng: np.random.Generator) -> np.ndarray:
        """Priority of each account's requests when collector hours are short (``ration_by``; highest first)."""
        rule, age = self.params["ration_by"], 1.0 + obs.cycles
        if rule == "random":
            return rng.random(len(obs))
        return {"claim_x_age": lambda: obs.claim * age, "claim": lambda: obs.claim, "age": lambda: age,
                "claim_x_age_squared": lambda: obs.claim * age * age}[rule]()


class AggressivePressure(Strategy):
    """High-pressure collection: frequent calls from the first missed payment, calls at night, home
    visits from 60 days, threats of legal action, early lawsuits, no restructuring, and quick sale.

    Source: practices documented in CFPB complaint data (communication tactics, threats of legal
    action) and FTC enforcement actions against abusive collectors; parameters are assumptions.
    """

    name = "aggressive"
    description = "High pressure: many calls incl. at night, visits, threats, early suits, no plans, quick sale"
    classifier = classify("high", litigation=True, sells=True, night_contact=True)
    defaults = {
        "pre_due_reminders": False,
        "night_share": 0.25,
        "visit_from_cycle": 3,
        "sue_from_cycle": 4,
        "sue_min_claim": 1000.0,
        "sell_after_months": 3,
    }
    calls_by_cycle = (0, 10, 20, 28, 30, 30, 30)

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        p = self.params
        active = ~obs.charged_off
        _calls_day_and_night(t, obs, self.calls_by_cycle, 12, p["night_share"])
        t.reminders[:] = np.where(active, 3, 1)
        t.visits[:] = (active & (obs.cycles >= p["visit_from_cycle"])).astype(np.int16)
        t.threaten[:] = obs.cycles >= 2
        t.sue[:] = (obs.cycles >= p["sue_from_cycle"]) & (obs.claim >= p["sue_min_claim"]) & ~obs.in_litigation
        t.sell[:] = _charged_off_for(obs, p["sell_after_months"])
        t.priority[:] = obs.claim


class HardshipFirst(Strategy):
    """Hardship-first restructuring: reminders before the due date to every account, gentle contact,
    an instalment plan offered from the first missed payment and a deferral to accounts that paid
    nothing, no lawsuits, placement only after charge-off and late sale.

    Source: "hardship-first" and forbearance practice (CFPB 2020 guidance on pandemic hardship
    programmes); Dobbie & Song (2020, AER) on restructuring; Cadena & Schoar (2011) on reminders.
    """

    name = "hardship_first"
    description = "Hardship first: pre-due reminders, gentle calls, plans from the first miss, deferrals, no suits"
    classifier = classify("low", restructuring=True, outsources=True, sells=True)
    defaults = {
        "pre_due_reminders": True,
        "plan_from_cycle": 1,
        "defer_when_nothing_paid": True,
        "place_at_chargeoff": True,
        "sell_after_months": 18,
    }
    calls_by_cycle = (0, 2, 3, 4, 4, 4, 4)

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        p = self.params
        active = ~obs.charged_off
        t.reminders[:] = np.where(active, 2, 1)
        t.calls[:] = np.where(active & ~obs.on_plan, _by_cycle(self.calls_by_cycle, obs.cycles), 0)
        t.calls[_charged_off_in_house(obs)] = 2
        offer = np.where(active & ~obs.on_plan & (obs.cycles >= p["plan_from_cycle"]), Offer.PLAN, Offer.NONE)
        if p["defer_when_nothing_paid"]:
            offer = np.where((offer == Offer.PLAN) & (obs.paid_last <= 0) & (obs.cycles >= 2), Offer.DEFERRAL, offer)
        t.offer[:] = offer
        t.place[:] = _charged_off_in_house(obs) & bool(p["place_at_chargeoff"])
        t.sell[:] = _charged_off_for(obs, p["sell_after_months"])
        t.priority[:] = obs.cycles + obs.claim / 1e4


class PhonebookPressure(Strategy):
    """Phone-book and social-media pressure as seen in unregulated online lending: frequent calls from the
    first missed payment including at night, calls to relatives and phone-book contacts from 30 days,
    public social-media posts about the debt from 60 days, threats, no restructuring, quick sale.

    Source: reports on Chinese online-lending collection before the 2018 rules (e.g. Human Rights
    Watch and press accounts of "phone-book" collection; internet-finance self-regulatory convention of
    28 March 2018, which banned it); intensities are assumptions.
    """

    name = "phonebook_pressure"
    description = "Unregulated online lending: calls day and night, relatives and contacts, social-media shaming"
    classifier = classify("extreme", sells=True, night_contact=True, third_party=True, public_shaming=True)
    defaults = {"third_party_from_cycle": 2, "social_media_from_cycle": 3, "night_share": 0.3,
                "sell_after_months": 1}
    calls_by_cycle = (0, 15, 25, 30, 30, 30, 30)

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        p = self.params
        active = ~obs.charged_off
        _calls_day_and_night(t, obs, self.calls_by_cycle, 10, p["night_share"])
        t.reminders[:] = 4
        t.third_party[:] = np.where(obs.cycles >= p["third_party_from_cycle"], 6, 0)
        t.social_media[:] = active & (obs.cycles >= p["social_media_from_cycle"])
        t.threaten[:] = obs.cycles >= 1
        t.sell[:] = _charged_off_for(obs, p["sell_after_months"])
        t.priority[:] = obs.claim


class DigitalFirst(Strategy):
    """Soft, digital-first collection ("customer experience first"): push and SMS before the due date,
    push, e-mail and an instalment plan in the self-service app from the first missed payment, calls only
    from 60 days, a settlement offer late in the cycle, agency placement at charge-off.

    Source: fintech collection practice described in McKinsey (2019) "The analytics-enabled collections
    model" and CFPB (2017) survey evidence on contact preferences; intensities are assumptions.
    """

    name = "digital_first"
    description = "Digital first: pre-due push and SMS, self-service plans in the app, calls only from 60 days"
    classifier = classify("low", restructuring=True, outsources=True, sells=True, digital=True)
    defaults = {"pre_due_reminders": True, "calls_from_cycle": 3, "settle_from_cycle": 5, "sell_after_months": 12}

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        p = self.params
        active = ~obs.charged_off
        t.reminders[:] = np.where(active, 1, 0)
        t.push[:] = np.where(active, 3, 1)
        t.emails[:] = 2
        t.calls[:] = np.where(active & (obs.cycles >= p["calls_from_cycle"]), 3, 0)
        offer = np.where(active & ~obs.on_plan, Offer.PLAN, Offer.NONE)
        offer = np.where(active & (obs.cycles >= p["settle_from_cycle"]), Offer.SETTLEMENT, offer)
        t.offer[:] = offer
        t.digital_offer[:] = offer != Offer.NONE
        t.place[:] = _charged_off_in_house(obs)
        t.sell[:] = _charged_off_for(obs, p["sell_after_months"])
        t.priority[:] = obs.claim


class LitigationHeavy(Strategy):
    """Litigation-heavy collection: letters and a few calls, threats of legal action from 30 days, suit
    on most balances from 90 days, then judgment and wage garnishment; no restructuring.

    Source: Pew Charitable Trusts (2020) "How Debt Collectors Are Transforming the Business of State
    Courts" (debt claims dominate civil dockets, over 70% end in default judgment); intensities are
    assumptions.
    """

    name = "litigation_heavy"
    description = "Litigation heavy: threats from 30 days, suits from 90 days, judgments and garnishment"
    classifier = classify("high", litigation=True)
    defaults = {"sue_from_cycle": 3, "sue_min_claim": 500.0}

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        p = self.params
        t.reminders[:] = 2
        t.calls[:] = np.where(obs.charged_off, 2, _by_cycle((0, 3, 5, 5, 5, 5, 5), obs.cycles))
        t.threaten[:] = obs.cycles >= 2
        t.sue[:] = ((obs.cycles >= p["sue_from_cycle"]) | obs.charged_off) & (obs.claim >= p["sue_min_claim"]) & \
            ~obs.in_litigation & ~obs.judgment
        t.priority[:] = obs.claim


class OutsourceEarly(Strategy):
    """Outsource early: reminders and a few calls in-house, then placement with a collection agency at
    60 days past due, long before charge-off.

    Source: CFPB (2016) small business review panel outline (first-party creditors place accounts with
    third-party agencies at various stages); timing is an assumption.
    """

    name = "outsource_early"
    description = "Outsource early: reminders and a few calls, then an agency from 60 days past due"
    classifier = classify("medium", outsources=True, sells=True)
    defaults = {"place_from_cycle": 3, "sell_after_months": 12}

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        p = self.params
        in_house = obs.collector == Collector.LENDER
        t.reminders[:] = 2
        t.calls[:] = np.where(in_house & ~obs.charged_off, _by_cycle((0, 2, 4), obs.cycles), 0)
        t.place[:] = in_house & ((obs.cycles >= p["place_from_cycle"]) | obs.charged_off)
        t.sell[:] = _charged_off_for(obs, p["sell_after_months"])
        t.priority[:] = obs.claim


class SellEarly(Strategy):
    """Sell early: a short in-house effort, then sale of the account to a debt buyer at 90 days past due,
    before charge-off, ending the lender's exposure and its control.

    Source: FTC (2013) "The Structure and Practices of the Debt Buying Industry" and CFPB (2014) on debt
    sale prices (fresher debt sells for more); timing is an assumption.
    """

    name = "sell_early"
    description = "Sell early: reminders and calls, then sale to a debt buyer at 90 days past due"
    classifier = classify("medium", sells=True)
    defaults = {"sell_from_cycle": 4}

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        p = self.params
        t.reminders[:] = 2
        t.calls[:] = np.where(obs.charged_off, 0, _by_cycle((0, 3, 6, 8), obs.cycles))
        t.sell[:] = (obs.cycles >= p["sell_from_cycle"]) | obs.charged_off
        t.priority[:] = obs.claim


class _Memory:
    """Per-account memory keyed by stable loan ids (rows move when the book is compacted)."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, dtype=np.int64)
        self.values: dict[str, np.ndarray] = {}

    def recall(self, ids: np.ndarray, name: str, default: float) -> np.ndarray:
        out = np.full(len(ids), default, dtype=float)
        if len(self.ids) and name in self.values:
            pos = np.searchsorted(self.ids, ids)
            pos = np.minimum(pos, len(self.ids) - 1)
            hit = self.ids[pos] == ids
            out[hit] = self.values[name][pos[hit]]
        return out

    def store(self, ids: np.ndarray, **columns: np.ndarray) -> None:
        order = np.argsort(ids, kind="stable")
        self.ids = ids[order]
        self.values = {k: np.asarray(v)[order] for k, v in columns.items()}


class DataDriven(Strategy):
    """Data-driven segmentation: learns from the lender's own observations to tell "cannot pay" from
    "will not pay" and treats them differently.

    Each account carries running signals the lender observes: how much of what was asked it paid
    (payment ratio), whether it paid nothing at all, whether it answers (right-party contacts), promises
    broken, and the observed score. They add up to a will-not-pay score (``will_not_score_``, kept for
    inspection with the ids it scores, ``scored_ids_``): a poor payment record (a low observed score, which
    the lender updates from payments), many missed cycles, unanswered calls, nothing paid and broken
    promises raise it; a part payment (trying but falling short) lowers it. Accounts below zero are classed
    "cannot pay" and offered a plan (or a write-down after broken promises); the others are classed "will
    not pay" and get calls, threats and, past 90 days, a suit. The strategy learns which treatment works for
    each class from the payments that follow (Beta-Bernoulli counts), and explores the other treatment a
    share ``explore`` of the time.

    Source: collection-scoring practice ("ability vs willingness to pay" segmentation, e.g. Thomas,
    Crook & Edelman (2017) "Credit Scoring and Its Applications", ch. 13) and bandit learning.
    """

    name = "data_driven"
    description = "Learns cannot-pay from will-not-pay from its own data; offers to the first, pressure to the second"
    classifier = classify("adaptive", restructuring=True, litigation=True, outsources=True, sells=True, digital=True,
                          learns=True)
    defaults = {"explore": 0.1, "score_cutoff": 0.55, "memory": 0.6, "sue_min_claim": 2000.0}

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.memory = _Memory()
        # successes and trials of "paid something next month" by class (cannot, will-not) x treatment
        # (offer, pressure), with a weak prior
        self.successes = np.array([[2.0, 1.0], [1.0, 2.0]])
        self.trials = np.array([[4.0, 4.0], [4.0, 4.0]])

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        p = self.params
        ids = obs.loan_id
        asked = np.maximum(obs.scheduled + obs.arrears, 1.0)
        ratio_now = np.clip(obs.paid_last / asked, 0, 1)
        keep = p["memory"]
        ratio = keep * self.memory.recall(ids, "ratio", 0.5) + (1 - keep) * ratio_now
        engaged = keep * self.memory.recall(ids, "engaged", 0.5) + (1 - keep) * (obs.rpc_last > 0)
        # learn from last month's treatment
        last_class = self.memory.recall(ids, "klass", -1).astype(int)
        last_treat = self.memory.recall(ids, "treat", -1).astype(int)
        seen = (last_class >= 0) & (last_treat >= 0)
        paid = obs.paid_last > 0
        np.add.at(self.trials, (last_class[seen], last_treat[seen]), 1.0)
        np.add.at(self.successes, (last_class[seen], last_treat[seen]), paid[seen].astype(float))
        # ... and from the accounts it treated that have left collection since (most of them cured by paying)
        left_class = self.memory.recall(obs.left_ids, "klass", -1).astype(int)
        left_treat = self.memory.recall(obs.left_ids, "treat", -1).astype(int)
        seen = (left_class >= 0) & (left_treat >= 0)
        np.add.at(self.trials, (left_class[seen], left_treat[seen]), 1.0)
        np.add.at(self.successes, (left_class[seen], left_treat[seen]), obs.left_paid[seen].astype(float))
        # classify: 0 = cannot pay, 1 = will not pay. The will-not-pay score adds up what the lender observes:
        # a poor payment record (the observed score), many missed cycles, calls not answered, nothing paid at all
        # and broken promises point to unwillingness; a part payment says the household tries but falls short.
        paid_nothing = (keep * self.memory.recall(ids, "nothing", 0.5) + (1 - keep) * (obs.paid_last <= 0))
        part = (obs.paid_last > 0) & (ratio_now < 0.999)
        will_not_score = (8.0 * (p["score_cutoff"] - obs.score) + 0.6 * np.minimum(obs.cycles, 6) - 2.0
                          + 1.0 * (0.5 - engaged) + 1.0 * (paid_nothing - 0.5) - 1.0 * part
                          + 0.5 * np.minimum(obs.broken_promises, 4))
        klass = (will_not_score > 0.0).astype(int)
        self.scored_ids_, self.will_not_score_ = ids, will_not_score
        rates = self.successes / self.trials
        best = np.argmax(rates, axis=1)  # per class: 0 = offer, 1 = pressure
        arm = best[klass]  # the treatment each account gets
        explore = rng.random(len(obs)) < p["explore"]
        arm = np.where(explore, 1 - arm, arm)
        active = ~obs.charged_off
        t.reminders[:] = np.where(active, 2, 1)
        t.push[:] = np.where(obs.uses_app, 2, 0)
        offer_rows = active & (arm == 0) & ~obs.on_plan
        offer = np.where(offer_rows, Offer.PLAN, Offer.NONE)
        offer = np.where(offer_rows & (obs.broken_promises >= 2), Offer.WRITEDOWN, offer)
        t.offer[:] = offer
        t.digital_offer[:] = offer_rows & obs.uses_app
        late = active & (obs.cycles > 0)
        t.calls[:] = np.where(late & (arm == 1), _by_cycle((0, 4, 8, 10, 12), obs.cycles), np.where(late, 2, 0))
        t.threaten[:] = active & (arm == 1) & (obs.cycles >= 2)
        t.sue[:] = active & (arm == 1) & (obs.cycles >= 4) & (obs.claim >= p["sue_min_claim"]) & ~obs.in_litigation
        t.place[:] = _charged_off_in_house(obs)
        t.sell[:] = _charged_off_for(obs, 12)
        t.priority[:] = obs.claim * np.where(klass == 1, 1.5, 1.0)
        self.memory.store(ids, ratio=ratio, engaged=engaged, nothing=paid_nothing, klass=np.where(active, klass, -1),
                          treat=np.where(active, arm, -1))
        self.class_share_ = float(klass.mean()) if len(klass) else 0.0


class ValueAllocator(Strategy):
    """Value-based allocation of limited collector capacity. Every account in collection is offered the
    conventional ladder's step for its age (calls, a plan offer from 60 days, a suit on large old claims).
    From its own accounts it learns a model of a month in dollars: by state (days-past-due bucket or charged
    off, whether a suit is pending or decided, score band) and action (reminders only, the ladder's step, the
    step with a suit), where the account is the next month (another state, or out of collection: having
    paid, sold, closed) and what it paid, net of the agency's fee. Solving that model (policy evaluation of
    the current allocation, each later month's action in the shares it now takes) gives the value of an
    account per dollar of its claim over all the months to come, a judgment's payments after charge-off
    included, discounted at ``discount`` a month; an account that leaves collection having paid is worth
    what it owes, a sold one the sale price. The gain of the step on an account is what it adds to that
    value over reminders only, times the claim, less the step's cost (a one-step policy improvement). When the
    ladder needs more collector hours than there are, the hours go to the steps in ``rank_by`` order and the
    rest get reminders only: ``"gain"`` (the default: the highest expected gain first) or ``"gain_per_hour"``
    (gain over the step's hours, the textbook rule for filling a budget of hours, which would be the better
    one if the gains were known). The default follows what was measured (docs/patterns.md, the capacity
    study): per hour, the learned gains favour the cheapest steps, the three calls of an account one payment
    behind, and the gain of those appears overstated (most such accounts cure without a call, and a cure is
    valued at the whole claim, though some come back); ranked per hour, it earned less than the ladder and netted
    no more per collector hour; ranked by gain, it works the older accounts first, as the ladder does,
    earns about as much and nets more per hour. Charged-off claims are placed with the agency without the
    ladder's last calls. Each month the transition chances are drawn from their posteriors (Thompson
    sampling), so the rationed-out accounts also teach it.

    Source: Abe et al. (2010) "Optimizing debt collections using constrained reinforcement learning",
    KDD (IBM and New York State tax collection): a model of the collection process as a Markov decision
    process over account states, valued in dollars collected, and limited collection resources allocated to
    the actions with the highest expected value under capacity constraints; the transition model extends the
    flow-rate (roll-rate) model of card loss forecasting.
    """

    name = "value_based"
    description = "Spends limited collector hours where they add the most expected dollars"
    classifier = classify("adaptive", restructuring=True, litigation=True, outsources=True, sells=True, learns=True)
    #: ``discount``: monthly discount of later dollars, 0.996 (about 5% a year, the model's cost of funds);
    #: ``rank_by``: which steps keep the hours when they are short
    defaults = {"discount": 0.996, "rank_by": "gain"}
    choices = {"rank_by": ("gain", "gain_per_hour")}
    #: prior (ten pseudo-accounts) of the month's outcome (cure, stay, roll) by bucket (current, 1-29, ...,
    #: 180+) for reminders only; the step's prior is 10% less likely to roll
    PRIOR = np.array([[0.9, 0.05, 0.05], [0.4, 0.2, 0.4], [0.15, 0.15, 0.7], [0.05, 0.1, 0.85], [0.05, 0.05, 0.9],
                      [0.05, 0.05, 0.9], [0.05, 0.05, 0.9], [0.1, 0.1, 0.8]])
    #: the last bucket before charge-off (150-179 days past due)
    LAST_BUCKET = 6
    #: edges of the score bands within a bucket (about the terciles of the observed score of delinquent accounts
    #: not charged off, 0.55-0.9 from the 10th to the 90th percentile on the baseline)
    SCORE_EDGES = np.array([0.7, 0.83])
    CURE, STAY, ROLL = 0, 1, 2
    #: actions: reminders only, the ladder's step, the ladder's step with a suit
    NONE, STEP, SUE = 0, 1, 2
    #: prior accounts per state and action
    PRIOR_WEIGHT = 10.0

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.memory = _Memory()
        self.ladder = ConventionalLadder()
        self.shape = (len(self.PRIOR) + 1, 2, len(self.SCORE_EDGES) + 1)
        self.n_states = int(np.prod(self.shape))
        #: the exits after the states: out of collection having paid, sold, closed without paying
        self.PAID, self.SOLD, self.CLOSED = self.n_states, self.n_states + 1, self.n_states + 2
        self.transitions = self.prior_transitions()
        self.prior = self.transitions.copy()
        # what the accounts paid the month after, per dollar of claim: sums and counts by state and action, from
        # a prior of ten accounts that paid nothing
        self.paid_sum = np.zeros((self.n_states, 3))
        self.paid_n = np.full((self.n_states, 3), self.PRIOR_WEIGHT)

    def state(self, bucket: np.ndarray, charged_off: np.ndarray, in_litigation: np.ndarray,
              band: np.ndarray) -> np.ndarray:
        """Index of each account's state: bucket 0-7, or 8 if charged off; in litigation or not; score band."""
        base = np.where(charged_off, len(self.PRIOR), np.minimum(bucket, len(self.PRIOR) - 1)).astype(int)
        return np.ravel_multi_index((base, np.asarray(in_litigation, dtype=int), band), self.shape)

    def prior_transitions(self) -> np.ndarray:
        """Prior counts (state, action, next state or exit): the outcome prior of each bucket, a cure leaving
        collection paid, a roll going to the next bucket and out of the last to charge-off, a suit putting the
        account in litigation; a charged-off claim is sold after a year."""
        out = np.zeros((self.n_states, 3, self.n_states + 3))
        step = self.PRIOR.copy()
        step[:, self.ROLL] *= 0.9
        step[:, self.CURE] += 0.1 * self.PRIOR[:, self.ROLL]
        charged_off = len(self.PRIOR)
        w = self.PRIOR_WEIGHT
        for base, lit, band in np.ndindex(*self.shape):
            i = np.ravel_multi_index((base, lit, band), self.shape)
            if base == charged_off:
                out[i, :, i] = w * 11 / 12
                out[i, :, self.SOLD] = w / 12
                continue
            nxt = base + 1 if base < self.LAST_BUCKET else charged_off
            for action, rates in ((self.NONE, self.PRIOR[base]), (self.STEP, step[base]), (self.SUE, step[base])):
                to_lit = 1 if action == self.SUE else lit
                out[i, action, self.PAID] += w * rates[self.CURE]
                out[i, action, np.ravel_multi_index((base, to_lit, band), self.shape)] += w * rates[self.STAY]
                out[i, action, np.ravel_multi_index((nxt, to_lit, band), self.shape)] += w * rates[self.ROLL]
        return out

    def values(self, chances: np.ndarray, paid: np.ndarray, sale_price: float) -> np.ndarray:
        """Value (state, action) per dollar of claim: what the account pays this month plus the discounted value
        of where it is the next month, the later months following the current allocation (in each state, the
        actions in the shares its accounts took them so far; the step where there are none yet).
        ``chances``: (state, action, next state or exit); ``paid``: (state, action) per dollar of claim."""
        n, gamma = self.n_states, self.params["discount"]
        exits = np.array([1.0, sale_price, 0.0])  # left having paid (worth what it owes), sold, closed
        taken = (self.transitions - self.prior).sum(axis=-1)
        taken[taken.sum(axis=1) == 0, self.STEP] = 1.0
        share = taken / taken.sum(axis=1, keepdims=True)
        now = paid + gamma * chances[:, :, n:] @ exits
        policy = np.einsum("sa,san->sn", share, chances[:, :, :n])
        value = np.linalg.solve(np.eye(n) - gamma * policy, (share * now).sum(axis=1))
        return now + gamma * chances[:, :, :n] @ value

    def _learn(self, obs: Observation, state: np.ndarray, fee: float) -> None:
        """Count where the accounts it treated last month are now and what they paid (the agency keeps its fee)."""
        recall = self.memory.recall
        last = recall(obs.loan_id, "cell", -1).astype(int)
        seen = last >= 0
        paid = obs.paid_last * np.where(obs.collector == Collector.AGENCY, 1.0 - fee, 1.0)
        share = np.minimum(paid / np.maximum(recall(obs.loan_id, "claim", 1.0), 1.0), 1.0)  # at most what it owed
        np.add.at(self.transitions.reshape(-1, self.n_states + 3), (last[seen], state[seen]), 1.0)
        np.add.at(self.paid_sum.reshape(-1), last[seen], share[seen])
        np.add.at(self.paid_n.reshape(-1), last[seen], 1.0)
        # accounts that have left collection since: sold if it asked for that, else paid (most cured) or closed
        last = recall(obs.left_ids, "cell", -1).astype(int)
        seen = last >= 0
        sold = recall(obs.left_ids, "sell", 0.0) > 0
        exit_ = np.where(sold, self.SOLD, np.where(obs.left_paid, self.PAID, self.CLOSED))
        np.add.at(self.transitions.reshape(-1, self.n_states + 3), (last[seen], exit_[seen]), 1.0)

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        tac = obs.tactics if obs.tactics is not None else DEFAULT_TACTICS
        band = np.searchsorted(self.SCORE_EDGES, obs.score)
        state = self.state(obs.bucket, obs.charged_off, obs.in_litigation, band)
        self._learn(obs, state, tac.agency_fee)
        self.ladder.treat(obs, t, rng)
        # a charged-off claim goes to the agency without the ladder's last calls
        t.calls[obs.charged_off] = 0
        hours = t.hours(tac)
        cost = ((t.calls + t.night_calls) * tac.call.cost + t.visits * tac.visit.cost
                + t.sue * tac.lawsuit.cost + (t.offer != Offer.NONE) * tac.plan.cost)
        # Thompson sampling: one draw of every state's transition chances from their Dirichlet posteriors
        chances = rng.gamma(self.transitions)
        chances /= chances.sum(axis=-1, keepdims=True)
        value = self.values(chances, self.paid_sum / self.paid_n, tac.sale_price)
        step_action = np.where(t.sue, self.SUE, self.STEP)
        gain = (value[state, step_action] - value[state, self.NONE]) * obs.claim - cost
        worked = ~obs.charged_off & ~obs.in_litigation & (obs.cycles > 0) & (hours > 0)
        # what it must do anyway (placing charged-off claims, the ladder's step in litigation) comes first
        available = max(obs.capacity_hours, 0.0) - float(hours[~worked].sum())
        rank = gain / np.maximum(hours, 1e-9) if self.params["rank_by"] == "gain_per_hour" else gain
        rank = np.where(worked, rank, -np.inf)
        order = np.argsort(-rank, kind="stable")
        keep = np.zeros(len(obs), dtype=bool)
        keep[order] = np.cumsum(np.where(worked, hours, 0.0)[order]) <= available
        step = worked & keep & (gain > 0)
        # the accounts it does not work get the ladder's reminders only
        rest = worked & ~step
        t.calls[rest] = 0
        t.night_calls[rest] = 0
        t.visits[rest] = 0
        t.sue[rest] = False
        t.offer[rest] = Offer.NONE
        t.priority[:] = np.where(worked, np.where(step, rank, 0.0), 1e12)
        action = np.where(rest, self.NONE, step_action)
        self.memory.store(obs.loan_id, cell=state * 3 + action, claim=obs.claim, sell=t.sell.astype(float))


class NoCollection(Strategy):
    """No collection at all: no contact, no offer, no suit, no placement, no sale. Loans still age,
    charge off and are written off. This is the counterfactual against which welfare changes are
    measured (``sim.welfare.welfare_change``), run on the same random numbers.

    Source: the no-collection counterfactual of the BRIEF (section 3, welfare outcomes).
    """

    name = "no_collection"
    description = "Counterfactual: no collection effort of any kind"
    classifier = classify("none", counterfactual=True)
    defaults: ClassVar[dict[str, Any]] = {}

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        """Requests nothing: ``t`` stays empty."""


OFFER_NAMES = {"none": Offer.NONE, "deferral": Offer.DEFERRAL, "plan": Offer.PLAN,
               "settlement": Offer.SETTLEMENT, "writedown": Offer.WRITEDOWN}


class DeclaredLadder(Strategy, register=False):
    """A strategy written in a scenario file (``[[strategies]]``): a ladder of steps by days past due,
    months since charge-off and score segment; the first matching step applies to an account.

    Its classifier is read from the steps that can apply: what one of them requests, the ladder does. A step
    that an earlier step covers entirely (same kind of account, a segment and claim floor at least as wide,
    days past due or months since charge-off within the earlier step's) never applies, and does not count.

    Source: the scenario file that declares it.
    """

    def __init__(self, spec: DeclaredStrategy) -> None:
        self.spec = spec
        self.name = spec.name
        self.description = spec.description or f"declared ladder {spec.name}"
        self.params = {"pre_due_reminders": spec.pre_due_reminders}
        steps = [s for k, s in enumerate(spec.steps) if not any(_covers(e, s) for e in spec.steps[:k])]
        contact = any(s.sms or s.push or s.emails or s.calls or s.night_calls or s.visits or s.third_party
                      or s.threaten or s.social_media or s.education for s in steps)
        acts = contact or any(s.sue or s.place or s.sell or s.offer != "none" for s in steps)
        self.classifier = classify(
            "declared" if contact else "none",
            restructuring=any(s.offer != "none" for s in steps),
            litigation=any(s.sue for s in steps),
            outsources=any(s.place for s in steps),
            sells=any(s.sell for s in steps),
            night_contact=any(s.night_calls > 0 for s in steps),
            third_party=any(s.third_party > 0 for s in steps),
            public_shaming=any(s.social_media for s in steps),
            digital=any(s.push > 0 or s.digital_offer for s in steps),
            counterfactual=not acts and not spec.pre_due_reminders,
        )

    def __repr__(self) -> str:
        return f"DeclaredLadder({self.spec.name!r}, {len(self.spec.steps)} steps)"

    def treat(self, obs: Observation, t: Treatment, rng: np.random.Generator) -> None:
        free = np.ones(len(obs), dtype=bool)
        high = obs.score >= self.spec.score_cutoff
        for step in self.spec.steps:
            if step.charged_off:
                match = _charged_off_for(obs, step.min_months_charged_off)
            else:
                match = ~obs.charged_off & (obs.dpd >= step.min_dpd) & (obs.dpd <= step.max_dpd)
            if step.segment == "low_score":
                match &= ~high
            elif step.segment == "high_score":
                match &= high
            match &= free & (obs.claim >= step.min_claim)
            if not match.any():
                continue
            free &= ~match
            t.reminders[match] = step.sms
            t.push[match] = step.push
            t.emails[match] = step.emails
            t.calls[match] = step.calls
            t.night_calls[match] = step.night_calls
            t.visits[match] = step.visits
            t.third_party[match] = step.third_party
            t.threaten[match] = step.threaten
            t.sue[match] = step.sue & ~obs.in_litigation[match]
            t.place[match] = step.place & (obs.collector[match] == Collector.LENDER)
            t.sell[match] = step.sell
            t.social_media[match] = step.social_media
            t.education[match] = step.education
            t.offer[match] = OFFER_NAMES[step.offer]
            t.digital_offer[match] = step.digital_offer
        t.priority[:] = obs.claim


def _covers(earlier: LadderStep, step: LadderStep) -> bool:
    """Whether every account ``step`` matches is matched by ``earlier`` (so that ``step`` never applies)."""
    if earlier.charged_off != step.charged_off or earlier.min_claim > step.min_claim:
        return False
    if earlier.segment not in ("any", step.segment):
        return False
    if step.charged_off:
        return earlier.min_months_charged_off <= step.min_months_charged_off
    return earlier.min_dpd <= step.min_dpd and step.max_dpd <= earlier.max_dpd


def make_strategy(name: str, params: dict[str, Any] | None = None, declared: list | None = None) -> Strategy:
    """Instantiate a registered strategy, or one declared in the scenario, by name.

    Raises:
        ValueError: the name is neither registered nor declared.
    """
    for spec in declared or []:
        if spec.name == name:
            return DeclaredLadder(spec)
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; known: {', '.join(sorted(STRATEGIES))}") from None
    return cls(**(params or {}))


def collection(**properties: Any) -> list[str]:
    """Names of the registered strategies whose classifier has all the given properties, e.g.
    ``collection(litigation=False)``."""
    return sorted(name for name, cls in STRATEGIES.items()
                  if all(cls.classifier.get(k) == v for k, v in properties.items()))
