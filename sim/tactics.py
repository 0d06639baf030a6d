"""Collection tactics: what a collector can do to an account, and the treatment a strategy requests.

A :class:`Treatment` is a set of columns, one row per account in an :class:`~sim.loans.Observation`:
how many reminders, call attempts (day and night), home visits, whether to sue, what to offer,
whether to place the account with an agency or sell it, and a priority used when collector capacity
runs short. Strategies fill it; lenders ration it by capacity; the regulation regime clips it on the
daily calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Any

import numpy as np


class Tactic(IntEnum):
    """The tactics whose cost, collector time and effects are parameters in ``[tactics]``."""

    REMINDER = 0  # SMS reminder
    CALL = 1
    VISIT = 2  # home or field visit
    LAWSUIT = 3
    PLAN = 4  # restructuring offer (plan, deferral, settlement, write-down) made in a conversation
    PLACEMENT = 5  # placement with a collection agency
    SALE = 6  # sale to a debt buyer
    THREAT = 7  # a threat of legal action made in a call
    PUSH = 8  # app push notification
    EMAIL = 9
    CHAT = 10  # online chat or self-service app: an offer the household can take without a call
    SOCIAL_MEDIA = 11  # public social-media pressure about the debt (harassment)
    THIRD_PARTY = 12  # contact with relatives or phone-book contacts
    EDUCATION = 13  # financial education
    SETTLEMENT = 14  # settlement offer (claim settled for less)
    WRITEDOWN = 15  # principal write-down offer

    @property
    def key(self) -> str:
        return self.name.lower()


class Offer(IntEnum):
    """Restructuring offers a lender can make."""

    NONE = 0
    DEFERRAL = 1  # payments paused for `deferral_months`; interest keeps accruing
    PLAN = 2  # arrears re-aged; a reduced instalment for `plan_months`
    SETTLEMENT = 3  # the claim settled for a lump sum of (1 - settlement_haircut) of it
    WRITEDOWN = 4  # a share `writedown_share` of principal forgiven and the account re-aged


class Collector(IntEnum):
    """Who collects an account."""

    LENDER = 0  # first party
    AGENCY = 1  # third-party agency on contingency
    BUYER = 2  # debt buyer that owns the claim


@dataclass
class Treatment:
    """Requested actions, one row per observed account (all columns have the same length)."""

    reminders: np.ndarray  # int16, SMS reminders
    calls: np.ndarray  # int16, call attempts in the day (08:00-21:00)
    night_calls: np.ndarray  # int16, call attempts at night (21:00-08:00)
    visits: np.ndarray  # int16
    threaten: np.ndarray  # bool, the collector threatens legal action
    sue: np.ndarray  # bool
    offer: np.ndarray  # int8, an Offer
    place: np.ndarray  # bool
    sell: np.ndarray  # bool
    priority: np.ndarray  # float64, higher first when capacity is short
    push: np.ndarray  # int16, app push notifications
    emails: np.ndarray  # int16
    digital_offer: np.ndarray  # bool, the offer is also put in the chat / self-service app
    social_media: np.ndarray  # bool, public social-media pressure
    third_party: np.ndarray  # int16, contacts with relatives or phone-book contacts
    education: np.ndarray  # bool, financial education offered

    @classmethod
    def empty(cls, n: int) -> Treatment:
        """A treatment of ``n`` accounts that requests nothing."""
        z16 = lambda: np.zeros(n, dtype=np.int16)  # noqa: E731
        zb = lambda: np.zeros(n, dtype=bool)  # noqa: E731
        return cls(
            reminders=z16(), calls=z16(), night_calls=z16(), visits=z16(), threaten=zb(), sue=zb(),
            offer=np.zeros(n, dtype=np.int8), place=zb(), sell=zb(), priority=np.zeros(n),
            push=z16(), emails=z16(), digital_offer=zb(), social_media=zb(), third_party=z16(), education=zb(),
        )

    def __len__(self) -> int:
        return len(self.calls)

    def hours(self, tactics: Any) -> np.ndarray:
        """Collector hours each row's requests take, at the scenario's hours per use (``tactics``)."""
        return ((self.calls + self.night_calls) * tactics.call.hours + self.visits * tactics.visit.hours
                + self.sue * tactics.lawsuit.hours + (self.offer != Offer.NONE) * tactics.plan.hours
                + self.place * tactics.placement.hours + self.third_party * tactics.third_party.hours
                + self.social_media * tactics.social_media.hours + self.education * tactics.education.hours
                + self.digital_offer * tactics.chat.hours)

    def subset(self, mask: np.ndarray) -> Treatment:
        return Treatment(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})

    def scaled_down(self, keep: np.ndarray) -> Treatment:
        """Rows not in ``keep`` lose every action that uses collector time; messages and sales (which take
        no collector time) stay, and so does a threat (it is only made if a call still happens)."""
        out = Treatment(**{f.name: getattr(self, f.name).copy() for f in fields(self)})
        drop = ~keep
        for name in ("calls", "night_calls", "visits", "third_party"):
            getattr(out, name)[drop] = 0
        out.sue[drop] = False
        out.digital_offer[drop] = False
        out.social_media[drop] = False
        out.education[drop] = False
        out.offer[drop] = Offer.NONE
        out.place[drop] = False
        return out

    def validate(self, n: int) -> None:
        """Raise ValueError if a column has the wrong length, a negative count or an unknown offer."""
        for f in fields(self):
            col = getattr(self, f.name)
            if len(col) != n:
                raise ValueError(f"treatment column {f.name} has {len(col)} rows, expected {n}")
        for name in ("reminders", "calls", "night_calls", "visits", "push", "emails", "third_party"):
            if (getattr(self, name) < 0).any():
                raise ValueError(f"treatment column {name} has a negative count")
        if n and (self.offer.min() < 0 or self.offer.max() > max(Offer)):
            raise ValueError("treatment column offer holds an unknown offer")
