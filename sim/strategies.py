"""Collection strategies: policies a lender owns that turn what it observes into treatment requests.

Every strategy is a small class with a ``name``, a one-line ``description``, a docstring with a
``Source:`` line, a ``classifier`` of its properties, declared ``defaults`` for its parameters (stored
unchanged, so a strategy prints and clones with its settings), and one decision method,
:meth:`Strategy.decide`, that sees only an :class:`~sim.loans.Observation`. Defining a subclass with a
``name`` registers it in :data:`STRATEGIES`; nothing else needs to be edited.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from sim.loans import Observation
from sim.tactics import Collector, Offer, Treatment

STRATEGIES: dict[str, type[Strategy]] = {}


class Strategy:
    """Base class of collection strategies."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    classifier: ClassVar[dict[str, Any]] = {}
    defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.name:
            raise TypeError(f"strategy class {cls.__name__} needs a name")
        if cls.name in STRATEGIES and STRATEGIES[cls.name].__qualname__ != cls.__qualname__:
            raise TypeError(f"strategy name {cls.name!r} is already registered by {STRATEGIES[cls.name].__name__}")
        if "Source:" not in (cls.__doc__ or ""):
            raise TypeError(f"strategy class {cls.__name__} needs a docstring with a 'Source:' line")
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
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{where}.{key}: must not be negative, got {value!r}")

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.params.items() if self.defaults.get(k) != v}
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"{type(self).__name__}({args})"

    @property
    def reminds_current(self) -> bool:
        """Whether the lender sends a reminder before the due date to every current account."""
        return bool(self.params.get("pre_due_reminders", False))

    def decide(self, obs: Observation, rng: np.random.Generator) -> Treatment:
        """Turn observed account state into treatment requests, one row per observed account."""
        raise NotImplementedError


def _by_cycle(values: tuple[int, ...] | list[int], cycles: np.ndarray) -> np.ndarray:
    """Look up a per-cycle schedule (index 0 = current, last value repeats)."""
    table = np.asarray(values, dtype=np.int16)
    return table[np.minimum(cycles, len(table) - 1)]


class ConventionalLadder(Strategy):
    """The conventional escalation ladder of a US card issuer: reminders and a few calls early,
    more calls as the account ages, a hardship plan offered to accounts 60+ days past due that talk to
    a collector, suit on large balances at 120+ days, agency placement at charge-off and sale of the
    claims an agency has not collected after a year.

    Source: the typical first-party collection lifecycle described in CFPB (2016) "Small Business
    Review Panel for Debt Collector and Debt Buyer Rulemaking", section 2, and FFIEC charge-off rules.
    """

    name = "conventional"
    description = "Escalation ladder: reminders, calls rising with days past due, plans at 60+, agency at charge-off"
    classifier = {"pressure": "medium", "restructuring": True, "litigation": True, "outsources": True,
                  "sells": True, "night_contact": False, "learns": False, "champion": True}
    defaults = {
        "pre_due_reminders": False,
        "plan_from_cycle": 3,
        "sue_from_cycle": 5,
        "sue_min_claim": 4000.0,
        "place_at_chargeoff": True,
        "sell_after_months": 12,
    }
    calls_by_cycle = (0, 3, 6, 10, 12, 12, 12)
    reminders_by_cycle = (0, 2, 2, 1, 1, 1, 1)

    def decide(self, obs: Observation, rng: np.random.Generator) -> Treatment:
        p = self.params
        t = Treatment.empty(len(obs))
        active = ~obs.charged_off & ~obs.on_plan
        t.reminders[:] = np.where(active | obs.on_plan, _by_cycle(self.reminders_by_cycle, obs.cycles), 0)
        t.calls[:] = np.where(active, _by_cycle(self.calls_by_cycle, obs.cycles), 0)
        t.calls[obs.charged_off & (obs.collector == Collector.LENDER)] = 4
        t.offer[active & (obs.cycles >= p["plan_from_cycle"])] = Offer.PLAN
        t.sue[:] = (active & (obs.cycles >= p["sue_from_cycle"]) & (obs.claim >= p["sue_min_claim"])
                    & ~obs.in_litigation)
        t.place[:] = obs.charged_off & (obs.collector == Collector.LENDER) & bool(p["place_at_chargeoff"])
        t.sell[:] = obs.charged_off & (obs.months_since_chargeoff >= p["sell_after_months"])
        t.priority[:] = obs.claim * (1 + obs.cycles)
        return t


class AggressivePressure(Strategy):
    """High-pressure collection: frequent calls from the first missed payment, calls at night, home
    visits from 60 days, threats of legal action, early lawsuits, no restructuring, and quick sale.

    Source: practices documented in CFPB complaint data (communication tactics, threats of legal
    action) and FTC enforcement actions against abusive collectors; parameters are assumptions.
    """

    name = "aggressive"
    description = "High pressure: many calls incl. at night, visits, threats, early suits, no plans, quick sale"
    classifier = {"pressure": "high", "restructuring": False, "litigation": True, "outsources": False,
                  "sells": True, "night_contact": True, "learns": False, "champion": False}
    defaults = {
        "pre_due_reminders": False,
        "night_share": 0.25,
        "visit_from_cycle": 3,
        "sue_from_cycle": 4,
        "sue_min_claim": 1000.0,
        "sell_after_months": 3,
    }
    calls_by_cycle = (0, 10, 20, 28, 30, 30, 30)

    def decide(self, obs: Observation, rng: np.random.Generator) -> Treatment:
        p = self.params
        t = Treatment.empty(len(obs))
        active = ~obs.charged_off
        calls = np.where(active, _by_cycle(self.calls_by_cycle, obs.cycles), 12)
        night = np.round(calls * p["night_share"]).astype(np.int16)
        t.calls[:] = calls - night
        t.night_calls[:] = night
        t.reminders[:] = np.where(active, 3, 1)
        t.visits[:] = (active & (obs.cycles >= p["visit_from_cycle"])).astype(np.int16)
        t.threaten[:] = obs.cycles >= 2
        t.sue[:] = (obs.cycles >= p["sue_from_cycle"]) & (obs.claim >= p["sue_min_claim"]) & ~obs.in_litigation
        t.sell[:] = obs.charged_off & (obs.months_since_chargeoff >= p["sell_after_months"])
        t.priority[:] = obs.claim
        return t


class HardshipFirst(Strategy):
    """Hardship-first restructuring: reminders before the due date to every account, gentle contact,
    an instalment plan offered from the first missed payment and a deferral to accounts that paid
    nothing, no lawsuits, placement only after charge-off and late sale.

    Source: "hardship-first" and forbearance practice (CFPB 2020 guidance on pandemic hardship
    programmes); Dobbie & Song (2020, AER) on restructuring; Cadena & Schoar (2011) on reminders.
    """

    name = "hardship_first"
    description = "Hardship first: pre-due reminders, gentle calls, plans from the first miss, deferrals, no suits"
    classifier = {"pressure": "low", "restructuring": True, "litigation": False, "outsources": True,
                  "sells": True, "night_contact": False, "learns": False, "champion": False}
    defaults = {
        "pre_due_reminders": True,
        "plan_from_cycle": 1,
        "defer_when_nothing_paid": True,
        "place_at_chargeoff": True,
        "sell_after_months": 18,
    }
    calls_by_cycle = (0, 2, 3, 4, 4, 4, 4)

    def decide(self, obs: Observation, rng: np.random.Generator) -> Treatment:
        p = self.params
        t = Treatment.empty(len(obs))
        active = ~obs.charged_off
        t.reminders[:] = np.where(active, 2, 1)
        t.calls[:] = np.where(active & ~obs.on_plan, _by_cycle(self.calls_by_cycle, obs.cycles), 0)
        t.calls[obs.charged_off & (obs.collector == Collector.LENDER)] = 2
        offer = np.where(active & ~obs.on_plan & (obs.cycles >= p["plan_from_cycle"]), Offer.PLAN, Offer.NONE)
        if p["defer_when_nothing_paid"]:
            offer = np.where((offer == Offer.PLAN) & (obs.paid_last <= 0) & (obs.cycles >= 2), Offer.DEFERRAL, offer)
        t.offer[:] = offer
        t.place[:] = obs.charged_off & (obs.collector == Collector.LENDER) & bool(p["place_at_chargeoff"])
        t.sell[:] = obs.charged_off & (obs.months_since_chargeoff >= p["sell_after_months"])
        t.priority[:] = obs.cycles + obs.claim / 1e4
        return t


def make_strategy(name: str, params: dict[str, Any] | None = None) -> Strategy:
    """Instantiate a registered strategy by name, raising ValueError for an unknown name."""
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; known: {', '.join(sorted(STRATEGIES))}") from None
    return cls(**(params or {}))
