"""The strategy library: one contract test over every registered strategy and every scenario file, and
behaviour tests of each strategy against scripted borrowers (Observation.scripted)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.config import SCENARIO_DIR, load_scenario
from sim.loans import Observation, collection_rows, observe
from sim.strategies import (
    CLASSIFIER_KEYS,
    STRATEGIES,
    DeclaredLadder,
    Strategy,
    check_classifier,
    collection,
    make_strategy,
)
from sim.tactics import Collector, Offer, Treatment

SCENARIOS = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
SMALL = {"population.n_borrowers": 600, "horizon_months": 8, "burn_in_months": 6}
RNG = np.random.default_rng


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_strategy_class_is_registered():
    # import every module of the package so that every subclass is defined
    for mod in pkgutil.iter_modules(sim.__path__):
        if mod.name != "__main__":
            importlib.import_module(f"sim.{mod.name}")
    unregistered = [c.__name__ for c in _all_subclasses(Strategy)  # (not the tests' own unregistered doubles)
                    if c.__module__.startswith("sim.") and c is not DeclaredLadder
                    and STRATEGIES.get(getattr(c, "name", "")) is not c]
    assert unregistered == [], f"strategy classes missing from the registry: {unregistered}"


def test_a_subclass_without_a_name_or_source_is_refused():
    with pytest.raises(TypeError, match="needs a name"):
        type("Nameless", (Strategy,), {"__doc__": "Source: x"})
    with pytest.raises(TypeError, match="Source"):
        type("Sourceless", (Strategy,), {"name": "sourceless_test", "__doc__": "no source"})
    assert "sourceless_test" not in STRATEGIES


def test_every_classifier_has_the_one_schema():
    for name, cls in STRATEGIES.items():
        assert list(cls.classifier) == list(CLASSIFIER_KEYS), name
        check_classifier(name, cls.classifier)
    declared = make_strategy("gentle_ladder", declared=load_scenario("custom_ladder").strategies)
    assert list(declared.classifier) == list(CLASSIFIER_KEYS)
    good = dict(STRATEGIES["conventional"].classifier, champion=False)
    for bad, message in [({k: v for k, v in good.items() if k != "digital"}, "missing \\['digital'\\]"),
                         ({**good, "friendly": True}, "unknown \\['friendly'\\]"),
                         ({**good, "pressure": "mild"}, "pressure='mild'"),
                         ({**good, "litigation": "yes"}, "litigation='yes'")]:
        with pytest.raises(TypeError, match=message):
            type("Odd", (Strategy,), {"name": "odd_test", "__doc__": "Source: x", "classifier": bad})
    assert "odd_test" not in STRATEGIES


def test_library_has_at_least_ten_documented_strategies():
    assert len(STRATEGIES) >= 10
    for name, cls in STRATEGIES.items():
        assert cls.name == name
        assert cls.description and len(cls.description) < 120
        assert "Source:" in inspect.getdoc(cls)
        assert {"pressure", "restructuring", "litigation", "learns"} <= set(cls.classifier)
        # parameters are stored unchanged and shown by repr
        s = cls()
        assert s.params == cls.defaults
        assert repr(s).startswith(cls.__name__)
    assert collection(learns=True) == ["data_driven", "value_based"]
    assert "hardship_first" in collection(litigation=False, restructuring=True)


def _mixed_observation(n: int = 400, seed: int = 0, capacity: float = 1e9) -> Observation:
    rng = RNG(seed)
    cycles = rng.integers(0, 8, n)
    charged_off = cycles >= 7
    dpd = np.where(cycles > 0, 30 * (cycles - 1) + rng.integers(2, 30, n), 0)
    return Observation.scripted(
        n, dpd=dpd, cycles=cycles, charged_off=charged_off, claim=rng.uniform(100, 9000, n),
        paid_last=np.where(rng.random(n) < 0.4, rng.uniform(0, 200, n), 0.0),
        rpc_last=rng.integers(0, 3, n), broken_promises=rng.integers(0, 4, n), score=rng.random(n),
        uses_app=rng.random(n) < 0.5, on_plan=(cycles == 0),
        months_since_chargeoff=np.where(charged_off, rng.integers(0, 30, n), -1),
        collector=np.where(charged_off & (rng.random(n) < 0.3), Collector.AGENCY, Collector.LENDER),
        capacity_hours=capacity, tactics=load_scenario("baseline").tactics,
    )


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_contract_legal_deterministic_treatments(name):
    obs = _mixed_observation()
    first = make_strategy(name).decide(obs, RNG(7))
    again = make_strategy(name).decide(obs, RNG(7))
    assert isinstance(first, Treatment)
    first.validate(len(obs))
    for field in vars(first):
        assert np.array_equal(getattr(first, field), getattr(again, field)), field
    # only legal actions: no restructuring, suit or threat on charged-off accounts except settlements,
    # no placing an account that is already placed, nothing negative
    co = obs.charged_off
    assert not (first.offer[co] & (first.offer[co] != Offer.SETTLEMENT)).any()
    assert not first.place[obs.collector == Collector.AGENCY].any()
    assert first.calls.min() >= 0 and first.visits.min() >= 0
    assert np.isfinite(first.priority).all()


# ------------------------------------------------------------------------------------------------
# Contract on a real lender's view: every strategy, on empty, one-account and full observations
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def observation() -> Observation:
    """A real lender's view of its accounts in collection, from a small run with many delinquencies
    (delinquent, on plans, in litigation, charged off, placed with the agency)."""
    m = sim.CollectionModel("baseline", rng=4, strategy="conventional",
                            **{"population.n_borrowers": 1500, "horizon_months": 6, "burn_in_months": 10,
                               "population.willingness_mean": 0.5})
    m.run()
    obs = observe(m.book, collection_rows(m.book, 0), m.month)
    assert len(obs) > 40 and obs.charged_off.any() and (obs.cycles > 0).any()
    return obs


def _first(obs: Observation, k: int) -> Observation:
    """The first ``k`` accounts of an observation."""
    return dataclasses.replace(obs, **{f.name: getattr(obs, f.name)[:k] for f in dataclasses.fields(obs)
                                       if isinstance(getattr(obs, f.name), np.ndarray)})


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_contract_on_a_real_lenders_view(name, observation):
    cls = STRATEGIES[name]
    assert cls.name == name and issubclass(cls, Strategy)
    assert cls.description and "\n" not in cls.description
    assert "Source:" in (cls.__doc__ or "")
    assert isinstance(cls.classifier, dict) and cls.classifier
    strategy = cls()
    assert strategy.params == cls.defaults
    assert repr(strategy) == f"{cls.__name__}()"
    for n in (0, 1, len(observation)):
        obs = _first(observation, n)
        t = strategy.decide(obs, np.random.default_rng(0))
        assert isinstance(t, Treatment)
        t.validate(n)  # right length, no negative counts, known offers
        assert np.isin(t.offer, [o.value for o in Offer]).all()
    # two fresh instances decide alike on the same observation and random stream (a learning
    # strategy may change its mind later, from what it has seen, but not from hidden global state)
    a = cls().decide(observation, np.random.default_rng(3))
    b = cls().decide(observation, np.random.default_rng(3))
    for field in ("calls", "night_calls", "visits", "reminders", "sue", "offer", "place", "sell"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    # parameters are stored unchanged and printed
    for key, default in list(cls.defaults.items())[:1]:
        if isinstance(default, bool):
            changed = not default
        elif isinstance(default, (int, float)):
            changed = default + 1
        else:
            changed = default
        s2 = cls(**{key: changed})
        assert s2.params[key] == changed
        if changed != default:
            assert f"{key}={changed!r}" in repr(s2)
    with pytest.raises(ValueError, match="unknown parameter"):
        cls(no_such_parameter=1)


# ------------------------------------------------------------------------------------------------
# Contract: each classifier says what the strategy does, checked on the requests it makes in a run
# ------------------------------------------------------------------------------------------------
#: what a True classifier value promises the strategy requests at least once (and a False one never)
SHOWN_BY = {
    "restructuring": lambda t: (t.offer != Offer.NONE).any(),
    "litigation": lambda t: t.sue.any(),
    "outsources": lambda t: t.place.any(),
    "sells": lambda t: t.sell.any(),
    "night_contact": lambda t: (t.night_calls > 0).any(),
    "third_party": lambda t: (t.third_party > 0).any(),
    "public_shaming": lambda t: t.social_media.any(),
    "digital": lambda t: (t.push > 0).any() or t.digital_offer.any(),
}
CONTACT = ("reminders", "calls", "night_calls", "visits", "push", "emails", "third_party", "social_media",
           "threaten", "education")
ACTION = (*CONTACT, "sue", "place", "sell", "digital_offer")
DECLARED = load_scenario("custom_ladder").strategies
CLASSIFIED = [*sorted(STRATEGIES), *(spec.name for spec in DECLARED)]


class Recording:
    """A strategy as the model sees it, that keeps every treatment the strategy requested (before capacity
    and the regime cut them)."""

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy
        self.requests: list[Treatment] = []

    def __getattr__(self, name):
        return getattr(self.strategy, name)

    def decide(self, obs: Observation, rng: np.random.Generator) -> Treatment:
        t = self.strategy.decide(obs, rng)
        self.requests.append(t)
        return t


@pytest.fixture(scope="module")
def requests_in_runs() -> dict[str, list[Treatment]]:
    """Every strategy (and the declared ladder) run by every lender of a small seeded model with many
    delinquencies; what each requested, month by month, with a scripted mixed book of accounts added."""
    out = {}
    for name in CLASSIFIED:
        scenario = "custom_ladder" if name not in STRATEGIES else "baseline"
        model = sim.CollectionModel(scenario, rng=4, strategy=name,
                                    **{"population.n_borrowers": 1500, "horizon_months": 6, "burn_in_months": 10,
                                       "population.willingness_mean": 0.5})
        recorders = []
        for lender in model.lenders:
            lender.strategies = [Recording(s) for s in lender.strategies]
            recorders += lender.strategies
        model.run()
        out[name] = [t for r in recorders for t in r.requests]
        out[name].append(make_strategy(name, declared=DECLARED).decide(_mixed_observation(), RNG(7)))
    return out


@pytest.mark.parametrize("name", CLASSIFIED)
def test_contract_classifier_says_what_the_strategy_requests(name, requests_in_runs):
    strategy = make_strategy(name, declared=DECLARED)
    classifier, requests = strategy.classifier, requests_in_runs[name]
    assert len(requests) > 10 and sum(len(t) for t in requests) > 500
    for key, shown in SHOWN_BY.items():
        does = any(shown(t) for t in requests)
        assert does == classifier[key], f"{name}: {key}={classifier[key]}, but it {'does' if does else 'never does'}"
    contacts = any(getattr(t, field).any() for t in requests for field in CONTACT)
    assert contacts == (classifier["pressure"] != "none"), f"{name}: pressure={classifier['pressure']!r}"
    acts = any(getattr(t, field).any() for t in requests for field in ACTION) or \
        any((t.offer != Offer.NONE).any() for t in requests) or strategy.params.get("pre_due_reminders", False)
    assert acts != classifier["counterfactual"], f"{name}: counterfactual={classifier['counterfactual']}"


@pytest.mark.parametrize("name", CLASSIFIED)
def test_contract_only_learners_remember(name):
    """A strategy that does not learn answers the same observation the same way whatever it saw before; one
    that learns (classifier ``learns``) answers differently after a history of payments."""
    strategy = make_strategy(name, declared=DECLARED)
    obs = _mixed_observation(seed=1)
    first = strategy.decide(obs, RNG(7))
    for month in range(1, 6):
        history = _mixed_observation(seed=1 + month)
        history.paid_last[:] = np.where(history.cycles % 2 == 0, 100.0, 0.0)
        strategy.decide(history, RNG(month))
    again = strategy.decide(obs, RNG(7))
    same = all(np.array_equal(getattr(first, f), getattr(again, f)) for f in vars(first))
    assert same != strategy.classifier["learns"], f"{name}: learns={strategy.classifier['learns']}"


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_contract_every_strategy_in_every_scenario(name, scenario):
    """Each strategy runs in each scenario: capacity respected every month, money balances, and the
    enforced regime's rules hold on every day and every 7-day window of the contact log."""
    overrides = dict(SMALL)
    cfg = load_scenario(scenario)
    for i in range(len(cfg.lenders)):
        overrides[f"lenders.{i}.strategy"] = name
        overrides[f"lenders.{i}.compliance"] = 1.0
    model = sim.CollectionModel(scenario, rng=3, keep_contact_log=True, **overrides)
    model.run()
    assert model.book.ledger_gap().max() < 1e-9
    # deterministic for a seed
    again = sim.CollectionModel(scenario, rng=3, **overrides).run()
    assert model.results().summary.equals(again.results().summary)
    for lender in model.lenders:
        for month, used, available in lender.capacity_log:
            assert used <= available + 1e-6, (lender.name, month, used, available)
    _assert_log_respects_rules(model)


def _assert_log_respects_rules(model):
    for entry in model.contact_log:
        regime = sim.regulation.REGIMES.get(entry["regime"].rstrip("+"))
        if entry["regime"].endswith("+") or regime is None:
            continue  # tightened regimes are checked in test_regulation
        bound = regime.binds(entry["who"] != Collector.LENDER) & entry["complies"]
        day, night = entry["daily"][bound].astype(int), entry["daily_night"][bound].astype(int)
        total = day + night
        if regime.quiet_hours:
            assert night.sum() == 0
        if regime.max_attempts_per_day is not None:
            assert total.max(initial=0) <= regime.max_attempts_per_day
        if regime.max_attempts_per_7_days is not None and len(total):
            c = np.cumsum(total, axis=1)
            window = c - np.concatenate([np.zeros((len(c), 7), int), c[:, :-7]], axis=1)
            assert window.max() <= regime.max_attempts_per_7_days


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_deterministic_for_a_seed_in_a_run(name):
    a = sim.run_scenario("baseline", seed=5, strategy=name, **SMALL)
    b = sim.run_scenario("baseline", seed=5, strategy=name, **SMALL)
    assert {k: v for k, v in a.items() if not k.startswith("series.")} == \
        {k: v for k, v in b.items() if not k.startswith("series.")}


# ------------------------------------------------------------------------------------------------
# Behaviour against scripted borrowers
# ------------------------------------------------------------------------------------------------
def decide(name, **columns):
    n = len(next(iter(columns.values()))) if columns else 1
    return make_strategy(name).decide(Observation.scripted(n, **columns), RNG(0))


def test_conventional_escalates_and_offers_plans_at_60_days():
    t = decide("conventional", dpd=[5, 35, 65, 125, 155])
    assert list(t.calls) == sorted(t.calls) and t.calls[0] > 0
    assert t.offer[0] == Offer.NONE and t.offer[2] == Offer.PLAN
    assert not t.night_calls.any() and not t.third_party.any() and not t.social_media.any()
    big = decide("conventional", dpd=[125, 125], claim=[500.0, 9000.0])
    assert list(big.sue) == [False, True]  # suit only on large balances
    co = decide("conventional", dpd=[200, 200], charged_off=[True, True], months_since_chargeoff=[1, 13])
    assert co.place[0] and co.sell[1] and not co.sell[0]


def test_conventional_pressure_parameters_change_only_contact():
    """call_scale and threaten_from_cycle raise pressure; plans, suits, placement and sale stay as they are."""
    columns = {"dpd": [5, 35, 65, 125, 200], "claim": [5000.0] * 5, "charged_off": [False] * 4 + [True],
               "months_since_chargeoff": [-1] * 4 + [13]}
    base = decide("conventional", **columns)
    pressed = make_strategy("conventional", {"call_scale": 2.5, "threaten_from_cycle": 2}).decide(
        Observation.scripted(5, **columns), RNG(0))
    assert list(pressed.calls[:4]) == [round(2.5 * c) for c in base.calls[:4]] and pressed.calls[4] == base.calls[4]
    assert list(pressed.threaten) == [False, True, True, True, False] and not base.threaten.any()  # cycles 1, 2, 3, 5
    for field in ("offer", "sue", "place", "sell", "reminders"):
        assert (getattr(pressed, field) == getattr(base, field)).all(), field


def test_conventional_rations_by_the_rule_it_is_given():
    """``ration_by`` sets the priority that decides whose requests keep collector hours when they are short:
    claim times (1 + missed cycles) by default, or claim, age, claim times age squared, or a random order; the
    requests themselves do not change; an unknown rule or a rule that is not text is refused by name."""
    columns = {"dpd": [5, 35, 95, 125], "claim": [9000.0, 1000.0, 2000.0, 3000.0]}
    cycles = np.array([1, 2, 4, 5])
    claim = np.array(columns["claim"])
    expected = {"claim_x_age": claim * (1 + cycles), "claim": claim, "age": 1.0 + cycles,
                "claim_x_age_squared": claim * (1 + cycles) ** 2}
    base = decide("conventional", **columns)
    for rule, priority in expected.items():
        t = make_strategy("conventional", {"ration_by": rule}).decide(Observation.scripted(4, **columns), RNG(0))
        assert np.array_equal(t.priority, priority), rule
        assert np.array_equal(t.calls, base.calls) and np.array_equal(t.offer, base.offer), rule
    shuffled = [make_strategy("conventional", {"ration_by": "random"}).decide(Observation.scripted(4, **columns),
                                                                               RNG(seed)).priority for seed in (0, 1)]
    assert all(((p >= 0) & (p < 1)).all() for p in shuffled) and not np.array_equal(*shuffled)
    with pytest.raises(ValueError, match="ration_by: 'oldest' is not one of claim_x_age"):
        make_strategy("conventional", {"ration_by": "oldest"})
    with pytest.raises(ValueError, match="ration_by: expected str, got 1"):
        make_strategy("conventional", {"ration_by": 1})


def test_aggressive_calls_at_night_visits_threatens_and_never_restructures():
    t = decide("aggressive", dpd=[5, 65, 95, 125], claim=[3000.0] * 4)
    assert (t.night_calls > 0).all() and t.calls.sum() > decide("conventional", dpd=[5, 65, 95, 125]).calls.sum()
    assert t.visits[1:].all() and t.threaten[1:].all() and (t.offer == Offer.NONE).all()
    assert t.sue[-1] and not t.sue[0]


def test_hardship_first_offers_plans_early_and_never_sues():
    t = decide("hardship_first", dpd=[5, 40, 40], paid_last=[10.0, 0.0, 50.0])
    assert t.offer[0] == Offer.PLAN and t.offer[1] == Offer.DEFERRAL and t.offer[2] == Offer.PLAN
    assert not t.sue.any() and not t.night_calls.any()
    assert make_strategy("hardship_first").reminds_current


def test_phonebook_pressure_uses_contacts_and_public_shaming():
    t = decide("phonebook_pressure", dpd=[5, 45, 75])
    assert t.third_party[0] == 0 and t.third_party[1] > 0
    assert not t.social_media[1] and t.social_media[2]
    assert (t.night_calls > 0).all()


def test_digital_first_uses_the_app_and_calls_late():
    t = decide("digital_first", dpd=[5, 35, 75, 135], uses_app=[True] * 4)
    assert (t.push > 0).all() and t.digital_offer[:3].all()
    assert t.calls[0] == 0 and t.calls[2] > 0
    assert t.offer[3] == Offer.SETTLEMENT


def test_litigation_heavy_sues_from_90_days():
    t = decide("litigation_heavy", dpd=[45, 95, 95], claim=[3000.0, 3000.0, 100.0])
    assert list(t.sue) == [False, True, False] and t.threaten[0]


def test_outsource_early_places_at_60_days():
    t = decide("outsource_early", dpd=[35, 65], )
    assert list(t.place) == [False, True]


def test_sell_early_sells_at_90_days():
    t = decide("sell_early", dpd=[65, 95])
    assert list(t.sell) == [False, True]


def test_data_driven_learns_to_treat_cannot_and_will_not_differently():
    """Scripted borrowers: "cannot pay" households answer, have a fair payment record (score 0.5) and pay a
    little after an offer; "will not pay" households never answer, have a poor payment record (score 0.3),
    and pay only after pressure. The strategy must tell them apart, and learn to offer to the first and
    press the second."""
    strategy = make_strategy("data_driven", {"explore": 0.1})
    n = 400
    will_not = np.arange(n) >= n // 2
    paid = np.zeros(n)
    for month in range(8):
        obs = Observation.scripted(
            n, month=month, dpd=45, score=np.where(will_not, 0.3, 0.5), rpc_last=np.where(will_not, 0, 1),
            paid_last=paid, loan_id=np.arange(n))
        t = strategy.decide(obs, RNG(month))
        pressed = t.calls >= 4
        offered = t.offer != Offer.NONE
        paid = np.where(will_not, np.where(pressed, 30.0, 0.0), np.where(offered, 10.0, 0.0))
    assert (t.offer[~will_not] != Offer.NONE).mean() > 0.8  # 10% exploration: 0.8 leaves room
    assert (t.calls[will_not] >= 4).mean() > 0.8
    rates = strategy.successes / strategy.trials
    assert rates[0, 0] > rates[0, 1] and rates[1, 1] > rates[1, 0]


def test_data_driven_learns_from_accounts_that_cured():
    """Scripted borrowers: "cannot pay" accounts that get an offer pay everything due and leave collection
    (they cure), so they never appear again; the strategy must count them as successes, which it sees
    only through the accounts that left (``Observation.left_ids``)."""
    strategy = make_strategy("data_driven", {"explore": 0.2})
    next_id = 0
    open_ids = np.zeros(0, dtype=np.int64)
    cured_ids, cured_paid = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    for month in range(6):
        fresh = np.arange(next_id, next_id + 200)
        next_id += 200
        ids = np.concatenate([open_ids, fresh])
        obs = Observation.scripted(len(ids), month=month, dpd=45, score=0.5, rpc_last=1, loan_id=ids,
                                   left_ids=cured_ids, left_paid=cured_paid)
        t = strategy.decide(obs, RNG(month))
        offered = t.offer != Offer.NONE
        cured_ids, cured_paid = np.sort(ids[offered]), np.ones(int(offered.sum()), dtype=bool)
        open_ids = ids[~offered]  # pressed accounts stay in collection and pay nothing
    rates = strategy.successes / strategy.trials
    assert strategy.trials[0, 0] > 500  # the cured accounts were counted
    assert rates[0, 0] > 0.9 > 0.2 > rates[0, 1]
    assert (t.offer[: len(open_ids)] != Offer.NONE).mean() > 0.7


def test_lenders_see_the_accounts_that_left_collection():
    model = sim.CollectionModel("baseline", n_borrowers=3000, horizon=4, burn_in_months=6, seed=2,
                                strategy="data_driven")
    seen = []
    lender = model.lenders[0]
    original = lender.plan

    def spy(obs, *args, **kwargs):
        seen.append(obs)
        return original(obs, *args, **kwargs)

    lender.plan = spy
    while model.running:
        model.step()
    ids = model.book.view("loan_id")
    assert np.all(np.diff(ids) > 0)  # ids ascend along the book, through compactions
    for before, after in zip(seen, seen[1:], strict=False):
        expected = np.setdiff1d(before.loan_id, after.loan_id)
        assert np.array_equal(after.left_ids, expected)
        if len(expected):
            assert after.left_paid.mean() > 0.5  # most accounts leave collection by paying
    assert sum(len(o.left_ids) for o in seen) > 100


def test_value_based_spends_capacity_on_the_best_accounts():
    tactics = load_scenario("baseline").tactics
    claim = np.array([200.0, 9000.0, 9000.0, 150.0])
    obs = Observation.scripted(4, dpd=35, claim=claim, scheduled=claim / 20, capacity_hours=0.9, tactics=tactics)
    t = make_strategy("value_based").decide(obs, RNG(0))
    hours = (t.calls + t.night_calls) * tactics.call.hours + t.visits * tactics.visit.hours
    assert hours.sum() <= 0.9 + 1e-9
    assert hours[1] + hours[2] > hours[0] + hours[3]


def test_value_based_learns_what_the_ladder_step_adds_and_stays_within_capacity():
    """At realistic staffing (0.1 collectors per 1,000 loans) ``value_based`` learns, from its own accounts,
    that accounts 60-119 days past due roll on (to a later bucket or charge-off) far less often after the
    ladder's step than after reminders alone (the contact mechanism of ODD 7.5 makes contact pay; about 0.8
    against 0.97-1.0 when written), that the step adds value in dollars at 60-179 days, that a charged-off
    claim under a suit is worth more than one without (a judgment's payments after charge-off; about 0.25
    against 0.10 per dollar), and it never asks for more hours than it has.

    Rewritten when ``value_based`` came to learn transitions and payments in dollars (ODD 4.5-4.6) instead of
    one-month cure/stay/roll counts: the same expectations about the step's effect, read from the new model."""
    model = sim.CollectionModel("baseline", rng=3, **{"population.n_borrowers": 2000,
                                                       "lenders.0.strategy": "value_based",
                                                       "lenders.0.collectors": 0.1})
    model.run()
    lender = model.lenders[0]
    strategy = lender.strategy
    shape, none, step = strategy.shape, strategy.NONE, strategy.STEP
    seen = (strategy.transitions - strategy.prior).sum(axis=-1).reshape(*shape, 3)  # beyond the priors
    for bucket in (3, 4):
        assert seen[bucket, 0, :, none].sum() > 20 and seen[bucket, 0, :, step].sum() > 20
        rows = np.ravel_multi_index((np.full(shape[2], bucket), np.zeros(shape[2], int), np.arange(shape[2])), shape)
        later = np.zeros(strategy.n_states + 3, dtype=bool)
        later[:strategy.n_states] = np.unravel_index(np.arange(strategy.n_states), shape)[0] > bucket
        counts = strategy.transitions[rows].sum(axis=0)  # action x next, over score bands
        roll = counts[:, later].sum(axis=1) / counts.sum(axis=1)
        assert roll[step] < roll[none] - 0.1
    chances = strategy.transitions / strategy.transitions.sum(axis=-1, keepdims=True)
    sale_price = load_scenario("baseline").tactics.sale_price
    value = strategy.values(chances, strategy.paid_sum / strategy.paid_n, sale_price).reshape(*shape, 3).mean(axis=2)
    assert np.all(value[3:7, 0, step] > value[3:7, 0, none])
    charged_off = len(strategy.PRIOR)
    assert value[charged_off, 1, step] > value[charged_off, 0, step] + 0.05
    assert lender.capacity_shortfall_hours == 0.0
    assert all(used <= available + 1e-6 for _, used, available in lender.capacity_log)


def test_declared_ladder_follows_its_steps():
    cfg = load_scenario("custom_ladder")
    strategy = make_strategy("gentle_ladder", declared=cfg.strategies)
    t = strategy.decide(Observation.scripted(4, dpd=[10, 45, 45, 200], score=[0.5, 0.3, 0.8, 0.5],
                                             charged_off=[False, False, False, True]), RNG(0))
    assert list(t.reminders[:3]) == [2, 2, 2] and t.push[0] == 2
    assert t.offer[1] == Offer.PLAN and t.calls[1] == 3
    assert t.offer[2] == Offer.NONE and t.calls[2] == 8 and t.threaten[2]
    assert t.place[3]
    assert strategy.reminds_current


def test_declared_ladder_classifier_counts_only_steps_that_can_apply():
    """The first matching step wins. custom_ladder's sale step (charged off 12+ months) comes before its
    placement step for every charged-off account, so the ladder sells old claims and its classifier says so;
    in the other order the sale step could never apply, and the classifier says that the ladder never sells."""
    spec = load_scenario("custom_ladder").strategies[0]
    ladder = make_strategy(spec.name, declared=[spec])
    old = Observation.scripted(1, dpd=400, charged_off=True, months_since_chargeoff=20)
    fresh = Observation.scripted(1, dpd=200, charged_off=True, months_since_chargeoff=0)
    assert ladder.decide(old, RNG(0)).sell.all() and ladder.classifier["sells"] is True
    assert ladder.decide(fresh, RNG(0)).place.all() and not ladder.decide(fresh, RNG(0)).sell.any()
    assert ladder.classifier["outsources"] and ladder.classifier["restructuring"] and ladder.classifier["digital"]
    swapped = spec.model_copy(update={"steps": [*spec.steps[:3], spec.steps[4], spec.steps[3]]})
    shadowed = make_strategy(spec.name, declared=[swapped])
    assert not shadowed.decide(old, RNG(0)).sell.any() and shadowed.classifier["sells"] is False


def test_declared_strategy_errors_name_the_field():
    bad = Path(SCENARIO_DIR / "custom_ladder.toml").read_text().replace('offer = "plan"', 'offer = "bribe"')
    with pytest.raises(sim.ScenarioError, match="strategies.0.steps.1.offer"):
        sim.load_scenario(sim.config.parse_toml(bad))
    with pytest.raises(sim.ScenarioError, match="unknown strategy 'gentle_ladders'"):
        sim.load_scenario("custom_ladder", **{"lenders.0.strategy": "gentle_ladders"})


def test_champion_and_challengers_split_accounts_at_random_and_report_per_arm():
    result = sim.simulate("champion_challenger", seed=1, **SMALL)
    names = list(result.summary["lender"])
    assert len(names) == 4 and names[-1] == "all" and "challenger 2: data_driven" in names[2]
    model = sim.CollectionModel("champion_challenger", rng=1, **SMALL)
    arms = np.bincount(model.book.view("arm"), minlength=3) / model.book.n
    assert np.allclose(arms, [0.6, 0.2, 0.2], atol=0.05)  # 600 households, ~500 loans: 5-point tolerance


def test_strategy_docs_are_current():
    from sim.docs import regime_table, replace_block, strategy_table

    path = Path(__file__).resolve().parent.parent / "docs" / "strategies.md"
    text = path.read_text()
    fresh = replace_block(replace_block(text, "strategies", strategy_table()), "regimes", regime_table())
    assert text == fresh, "docs/strategies.md is out of date: run python docs/update_strategies.py"


def test_a_strategy_fills_in_treat_and_decide_does_the_shared_steps():
    """``Strategy.decide`` is the template: before the due date it answers ``remind_before_due``; in
    collection it hands ``treat`` an empty treatment of one row per account and returns it filled in."""

    class CallTwice(Strategy, register=False):
        """Two call attempts to every account in collection. Source: this test."""

        defaults = {"pre_due_reminders": True}

        def treat(self, obs, t, rng):
            t.calls[:] = 2

    obs = Observation.scripted(3, dpd=[10, 40, 70])
    t = CallTwice().decide(obs, RNG(0))
    assert len(t) == 3 and t.calls.tolist() == [2, 2, 2]
    assert not (t.reminders.any() or t.sue.any() or t.sell.any() or t.priority.any())
    before = dataclasses.replace(Observation.scripted(3), before_due=True)
    assert CallTwice().decide(before, RNG(0)).reminders.tolist() == [1, 1, 1]
    assert not CallTwice(pre_due_reminders=False).decide(before, RNG(0)).reminders.any()
    assert not CallTwice().decide(before, RNG(0)).calls.any()


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@pytest.mark.parametrize("pre_due", [False, True])
def test_a_strategy_that_does_not_look_before_due_answers_what_decide_would(name, pre_due):
    """A lender skips observing its current accounts for a strategy whose ``looks_before_due`` is false and sends
    ``reminders_unseen`` instead (``sim.contacts.pre_due_reminders``): for every registered strategy that does
    not look, that is exactly what ``decide`` answers before the due date, with the parameter off and on."""
    cls = STRATEGIES[name]
    strategy = cls(pre_due_reminders=pre_due) if "pre_due_reminders" in cls.defaults else cls()
    if strategy.looks_before_due:  # it is asked through decide, with its accounts: it must answer them itself
        assert cls.decide is not Strategy.decide or cls.remind_before_due is not Strategy.remind_before_due
        return
    before = dataclasses.replace(Observation.scripted(5), before_due=True)
    answer = strategy.decide(before, RNG(0))
    np.testing.assert_array_equal(answer.reminders, strategy.reminders_unseen(5))
    assert answer.reminders.dtype == strategy.reminders_unseen(5).dtype


def test_a_strategy_that_overrides_the_pre_due_answer_is_shown_its_accounts():
    class RemindTheLate(Strategy, register=False):
        """Reminds only accounts that were late before. Source: this test."""

        def remind_before_due(self, obs):
            t = Treatment.empty(len(obs))
            t.reminders[:] = obs.cycles >= 0
            return t

        def treat(self, obs, t, rng):
            pass

    class CustomDecide(Strategy, register=False):
        """Answers both itself. Source: this test."""

        def decide(self, obs, rng):
            return Treatment.empty(len(obs))

    assert RemindTheLate().looks_before_due and CustomDecide().looks_before_due
    assert not STRATEGIES["conventional"]().looks_before_due
