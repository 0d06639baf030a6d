"""The month's records, the observer hook, the book-seeding hook and pre-due reminders through the strategies.

- ``CollectionModel(observers=[...])`` calls each observer once a month, burn-in included, with the month's
  typed, frozen records (``sim.records.Month``); observing changes nothing.
- The records add up: the split of a short budget never pays more than the budget or than was meant.
- The step modules (``sim.contacts``, ``sim.payments``, ``sim.records``, ...) never import ``sim.model``.
- Pre-due reminders are what ``Strategy.decide`` requests on an observation of current accounts.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.loans import Status
from sim.records import Month
from sim.tactics import Tactic, Treatment
from tests.conftest import SMALL

ROOT = Path(__file__).resolve().parent.parent
STEP_MODULES = ["records", "contacts", "payments", "complaints", "lenders", "loans", "borrowers", "regulation",
                "metrics", "portfolio"]


class Recorder:
    def __init__(self) -> None:
        self.months: list[Month] = []
        self.splits: list[tuple[float, float, bool]] = []

    def __call__(self, model, month) -> None:
        self.months.append(month)
        split = month.payments.split
        per_household = np.bincount(split.owner, weights=split.paid, minlength=len(split.budget))
        self.splits.append((float((per_household - split.budget).max(initial=0.0)),
                            float((split.paid - split.wanted).max(initial=0.0)),
                            bool(np.all(split.paid >= 0))))


def test_observers_see_every_month_with_typed_frozen_records():
    watch = Recorder()
    model = sim.CollectionModel("baseline", rng=5, observers=[watch], **SMALL)
    model.run()
    burn_in, horizon = SMALL["burn_in_months"], SMALL["horizon_months"]
    assert [m.month for m in watch.months] == list(range(-burn_in, horizon))
    first = watch.months[0]
    assert isinstance(first, Month)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.month = 99
    assert first.consumption is None and watch.months[-1].consumption is not None  # recorded months only
    for record in watch.months:
        assert len(record.contacts.attempts) == len(record.contacts.rows) == len(record.complaints.rows)
        assert len(record.payments.paid) == len(record.payments.split.owner) == len(record.events.paid)


def test_observing_changes_nothing():
    plain = sim.CollectionModel("baseline", rng=6, **SMALL).run().results()
    watched = sim.CollectionModel("baseline", rng=6, observers=[Recorder()], **SMALL).run().results()
    pd.testing.assert_frame_equal(plain.monthly, watched.monthly, check_exact=True)
    pd.testing.assert_frame_equal(plain.summary, watched.summary, check_exact=True)


def test_budget_split_pays_at_most_the_budget_and_what_was_meant():
    watch = Recorder()
    sim.CollectionModel("baseline", rng=7, observers=[watch], **SMALL).run()
    over_budget, over_wanted, non_negative = np.array(watch.splits, dtype=float).T
    assert over_budget.max() <= 1e-6 and over_wanted.max() <= 1e-9 and non_negative.all()


def test_records_carry_the_month_costs_the_recorder_reports():
    """A recorded month's collection cost is the growth of the lenders' running books (costs and fines) over
    the month plus the month's agency fees, the first recorded month included: the burn-in's costs are not
    charged to it (they were until the thin model's records showed it)."""
    watch = Recorder()
    model = sim.CollectionModel("baseline", rng=8, observers=[watch], **SMALL)
    monthly = model.run().results().monthly
    months = watch.months
    running = np.array([m.books.cumulative_costs.sum(axis=1)[0] + m.books.cumulative_fines[0] for m in months])
    fees = np.array([m.books.agency_fees[0] for m in months])
    recorded = np.array([m.month >= 0 for m in months])
    growth = np.diff(running)[recorded[1:]]
    reported = monthly[monthly["lender"] == "all"]["collection_cost"].to_numpy()
    assert np.allclose(growth + fees[recorded], reported)
    # the first recorded month costs about what the second does, not the burn-in's sum
    assert reported[0] < 2 * reported[1]


def test_transfers_reach_observers_in_a_crisis_with_stimulus():
    watch = Recorder()
    sim.CollectionModel("crisis_package", rng=9, observers=[watch], n_borrowers=400, horizon=8,
                        burn_in_months=2).run()
    paid = [m.labour.transfers.sum() for m in watch.months if m.labour.transfers is not None]
    assert paid and max(paid) > 0


@pytest.mark.parametrize("module", STEP_MODULES)
def test_step_modules_do_not_import_the_model(module):
    """Arrows point down: model -> steps -> book, households, regulation, records (type hints excepted)."""
    tree = ast.parse((ROOT / "sim" / f"{module}.py").read_text())
    type_only = {id(node) for stmt in ast.walk(tree) if isinstance(stmt, ast.If)
                 and "TYPE_CHECKING" in ast.unparse(stmt.test) for node in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            assert node.module != "sim.model", f"sim/{module}.py imports sim.model"
        elif isinstance(node, ast.Import):
            assert all(alias.name != "sim.model" for alias in node.names), f"sim/{module}.py imports sim.model"


class ScoredReminders:
    """Test double with a strategy's interface (not a ``Strategy`` subclass, so that the registry's own
    tests never see it): a pre-due reminder only to current accounts with an observed score of 0.6 or
    more, and nothing in collection."""

    name = "scored_reminders"

    def __init__(self, before_due_calls: bool = False) -> None:
        self.before_due_calls = before_due_calls
        self.sent: dict[int, int] = {}
        self.statuses: set[int] = set()

    def decide(self, obs, rng):
        t = Treatment.empty(len(obs))
        if obs.before_due:
            t.reminders[:] = obs.score >= 0.6
            t.calls[:] = int(self.before_due_calls)
            self.sent[obs.month] = self.sent.get(obs.month, 0) + int(t.reminders.sum())
            self.statuses |= set(np.unique(obs.status).tolist())
        return t


def _with_strategy(strategy: ScoredReminders, **overrides) -> sim.CollectionModel:
    model = sim.CollectionModel("baseline", rng=10, **{**SMALL, **overrides})
    lender = model.lenders[0]
    lender.strategy = lender.strategies[0] = strategy
    return model


def test_pre_due_reminders_are_what_the_strategy_decides():
    strategy = ScoredReminders()
    watch = Recorder()
    model = _with_strategy(strategy)
    model.observers.append(watch)
    monthly = model.run().results().monthly
    assert strategy.statuses == {Status.CURRENT}  # the observation holds current accounts only
    months = range(SMALL["horizon_months"])
    sent = np.array([strategy.sent.get(m, 0) for m in months], dtype=float)
    assert sent.min() > 0
    cost = monthly[monthly["lender"] == "all"][f"cost_{Tactic.REMINDER.key}"].to_numpy()
    # nothing else sends an SMS
    assert np.allclose(cost, model.cfg.tactics.reminder.cost * sent)
    reached = [int(m.reminders.before_due.sum()) for m in watch.months if m.month >= 0]
    assert all(0 < r <= s for r, s in zip(reached, sent, strict=True))  # only reachable households


def test_a_strategy_that_calls_before_the_due_date_is_refused():
    model = _with_strategy(ScoredReminders(before_due_calls=True))
    with pytest.raises(ValueError, match="only reminders"):
        model.step()


def test_built_in_strategies_remind_before_due_as_their_parameter_says():
    from sim.loans import Observation
    from sim.strategies import STRATEGIES

    obs = Observation.scripted(5)
    obs = dataclasses.replace(obs, before_due=True)
    for name, cls in STRATEGIES.items():
        strategy = cls()
        t = strategy.decide(obs, np.random.default_rng(0))
        expected = 1 if strategy.params.get("pre_due_reminders", False) else 0
        assert (t.reminders == expected).all(), name
        assert not t.calls.any() and not t.visits.any() and not t.sue.any(), name


def test_portfolio_seeds_the_book_through_the_public_hook(monkeypatch):
    calls = []
    original = sim.CollectionModel.open_accounts

    def spy(self, *args, **kwargs):
        rows = original(self, *args, **kwargs)
        calls.append(len(rows))
        return rows

    monkeypatch.setattr(sim.CollectionModel, "open_accounts", spy)
    model = sim.CollectionModel("portfolio_sample", rng=1, horizon=1)
    assert calls and calls[0] == model.book.n > 0
