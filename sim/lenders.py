"""Lenders, collection agencies and debt buyers: ordinary Mesa agents.

A lender owns a strategy, underwrites applicants from a noisy view of their creditworthiness, rations
its strategy's requests by collector capacity, and keeps its costs and revenue. Agencies work placed
accounts for a contingency fee; a debt buyer buys claims at a price per dollar and collects them.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.config import Lender as LenderConfig, Tactics
from sim.loans import Observation
from sim.strategies import Strategy, make_strategy
from sim.tactics import Offer, Tactic, Treatment


class Lender(mesa.Agent):
    """A lender with a product, underwriting, a collection strategy and collector capacity."""

    def __init__(self, model: mesa.Model, index: int, cfg: LenderConfig) -> None:
        super().__init__(model)
        self.index = index
        self.cfg = cfg
        self.name = cfg.name
        self.strategy: Strategy = make_strategy(cfg.strategy, cfg.strategy_params)
        self.costs = np.zeros(len(Tactic))  # cumulative cost by tactic, $
        self.sale_proceeds = 0.0
        self.agency_fees = 0.0
        self.fines = 0.0
        self.capacity_shortfall_hours = 0.0

    def approves(self, observed_score: np.ndarray) -> np.ndarray:
        """Underwriting: approve applicants whose observed score clears the cutoff."""
        return observed_score >= self.cfg.approval_cutoff

    def price(self, observed_score: np.ndarray) -> np.ndarray:
        """APR for approved applicants: the base rate plus a spread that grows with risk."""
        cut = self.cfg.approval_cutoff
        risk = np.clip((1.0 - observed_score) / max(1.0 - cut, 1e-6), 0.0, 1.0)
        return self.cfg.product.apr + self.cfg.product.apr_risk_spread * risk

    def capacity_hours(self, accounts_on_book: int) -> float:
        """Collector hours available this month."""
        return self.cfg.collectors * accounts_on_book / 1000.0 * self.cfg.hours_per_collector

    def hours_needed(self, t: Treatment, tactics: Tactics) -> np.ndarray:
        return ((t.calls + t.night_calls) * tactics.call.hours + t.visits * tactics.visit.hours
                + t.sue * tactics.lawsuit.hours + (t.offer != Offer.NONE) * tactics.plan.hours
                + t.place * tactics.placement.hours)

    def ration(self, t: Treatment, tactics: Tactics, accounts_on_book: int) -> Treatment:
        """Keep the highest-priority requests that fit in collector capacity; the rest lose every action
        that takes collector time."""
        hours = self.hours_needed(t, tactics)
        available = self.capacity_hours(accounts_on_book)
        total = float(hours.sum())
        if total <= available:
            return t
        self.capacity_shortfall_hours += total - available
        order = np.argsort(-t.priority, kind="stable")
        keep = np.zeros(len(t), dtype=bool)
        keep[order] = np.cumsum(hours[order]) <= available
        return t.scaled_down(keep)

    def plan(self, obs: Observation, tactics: Tactics, accounts_on_book: int, rng: np.random.Generator) -> Treatment:
        """The treatments this lender requests for its accounts in collection this month."""
        t = self.strategy.decide(obs, rng)
        if not isinstance(t, Treatment):
            raise TypeError(f"strategy {self.strategy.name!r} returned {type(t).__name__}, not a Treatment")
        t.validate(len(obs))
        return self.ration(t, tactics, accounts_on_book)


class CollectionAgency(mesa.Agent):
    """A third-party agency that works placed accounts for a contingency fee."""

    def __init__(self, model: mesa.Model, fee: float, calls_per_month: int) -> None:
        super().__init__(model)
        self.fee = fee
        self.calls_per_month = calls_per_month
        self.collected = 0.0
        self.fees_earned = 0.0


class DebtBuyer(mesa.Agent):
    """A debt buyer: buys claims at a price per dollar of face value and collects them."""

    def __init__(self, model: mesa.Model, price: float, calls_per_month: int) -> None:
        super().__init__(model)
        self.price = price
        self.calls_per_month = calls_per_month
        self.face_bought = 0.0
        self.paid = 0.0
        self.collected = 0.0
