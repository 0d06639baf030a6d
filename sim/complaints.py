"""Complaints: six categories (those of the US consumer complaint database for debt collection) and
three channels, drawn from hazards that rise with disputes, contact beyond tolerance, night calls,
threats, legal action and visits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.config import Behaviour, NetworkConfig
from sim.records import Complaints, Contacts
from sim.tactics import Collector

if TYPE_CHECKING:
    from sim.borrowers import BorrowerTable
    from sim.loans import LoanBook


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


assert (len(Category), len(Channel)) == (kernels.N_CATEGORIES, kernels.N_CHANNELS)  # as the recorder's kernel counts

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
    u = rng.random((n, 3))
    category, channel = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    kernels.draw_complaints(
        x.disputed, x.excess_contacts, x.night_calls, x.threatened, x.legal, x.visits, x.third_party, x.social_media,
        x.propensity, x.literacy_ratio, u, BASE_MIX, cfg.complaint_base, cfg.complaint_dispute,
        cfg.complaint_excess_contact, cfg.complaint_night, cfg.complaint_threat, cfg.complaint_visit,
        cfg.complaint_third_party, cfg.complaint_social_media, cfg.public_channel_share, cfg.regulator_channel_share,
        category, channel)
    return category, channel


def month_complaints(contacts: Contacts, t: BorrowerTable, book: LoanBook, behaviour: Behaviour,
                     network: NetworkConfig, reputation: np.ndarray,
                     rng: np.random.Generator) -> tuple[Complaints, np.ndarray]:
    """Complaints about this month's contacts and disputes, one draw per contacted row, and each lender's
    reputation after them: public complaints above ``network.public_complaint_norm`` per 1,000 accounts in
    collection lower it, with memory ``network.reputation_memory``. Returns (complaints, reputation)."""
    rows, owner = contacts.rows, contacts.owner
    n, k = len(rows), len(reputation)
    lit_mean = max(float(t.literacy.mean()), 1e-6)
    # the drivers of each row's draw, and the rows each lender holds, in one pass (kernels.complaint_inputs)
    disputed, excess = np.empty(n, dtype=bool), np.empty(n)
    propensity, literacy_ratio = np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32)
    in_collection = np.zeros(k, dtype=np.int64)
    kernels.complaint_inputs(rows, owner, contacts.who, book.view("disputed"), book.view("lender"), contacts.attempts,
                             contacts.night, contacts.visits, behaviour.contact_tolerance, t.complaint_propensity,
                             t.stress, t.literacy, lit_mean, disputed, excess, propensity, literacy_ratio,
                             in_collection)
    x = ComplaintInputs(
        disputed=disputed, excess_contacts=excess, night_calls=contacts.night,
        threatened=contacts.threatened, legal=contacts.legal, visits=contacts.visits,
        third_party=contacts.third_party, social_media=contacts.social_media,
        propensity=propensity, literacy_ratio=literacy_ratio,
    )
    category, channel = draw_complaints(x, behaviour, rng)
    # public complaints cost the lender reputation
    public = np.flatnonzero(channel == Channel.PUBLIC)
    public = public[contacts.who[public] != Collector.BUYER]
    per_lender = np.bincount(book.lender[rows[public]], minlength=k)
    in_collection = np.maximum(in_collection, 1)
    public_rate = 1000.0 * per_lender / in_collection
    target = np.clip(-network.reputation_sensitivity * (public_rate - network.public_complaint_norm), -1.0, 1.0)
    reputation = network.reputation_memory * reputation + (1.0 - network.reputation_memory) * target
    return Complaints(rows=rows, category=category, channel=channel), reputation
