"""Complaints: six categories (those of the US consumer complaint database for debt collection) and
three channels, drawn from hazards that rise with disputes, contact beyond tolerance, night calls,
threats, legal action and visits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from sim.config import Behaviour


class Category(IntEnum):
    DEBT_NOT_OWED = 0  # attempts to collect debt not owed
    WRITTEN_NOTIFICATION = 1  # written notification about debt
    COMMUNICATION_TACTICS = 2
    FALSE_STATEMENTS = 3  # false statements or representation
    LEGAL_ACTION = 4  # took or threatened negative or legal action
    IMPROPER_INFORMATION = 5  # improper use or sharing of information

    @property
    def label(self) -> str:
        return self.name.lower()


class Channel(IntEnum):
    LENDER = 0
    REGULATOR = 1
    PUBLIC = 2

    @property
    def label(self) -> str:
        return self.name.lower()


# How the base hazard of an account in collection splits across categories (assumption, shaped like
# CFPB debt-collection complaints, where "debt not owed" is the largest category).
BASE_MIX = np.array([0.45, 0.15, 0.20, 0.10, 0.05, 0.05])


@dataclass
class ComplaintInputs:
    """Per-loan drivers of complaints this month (loans in collection only)."""

    disputed: np.ndarray  # bool
    excess_contacts: np.ndarray  # contacts above the borrower's tolerance attributed to this loan
    night_calls: np.ndarray
    threatened: np.ndarray  # bool
    legal: np.ndarray  # bool: in litigation or judgment
    visits: np.ndarray
    third_party: np.ndarray  # contacts with relatives or phone-book contacts
    social_media: np.ndarray  # bool, a public post about the debt
    propensity: np.ndarray  # borrower's complaint propensity times a stress factor
    literacy_ratio: np.ndarray  # borrower literacy over the population mean


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
