"""The crisis-response levers (issue 17): each changes what it should and nothing else.

Most tests run two models in lockstep from the same seed, one with the lever and one without (a
"twin"): before the lever starts they must agree exactly, and in its first month they may differ only
where the lever acts. Runs are small (1,000-2,000 households, no burn-in).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.borrowers import PAUSE_SALT, PROGRAMME_SALT
from sim.config import (
    Accommodation,
    Economy,
    Lender,
    PhasedPeriod,
    Scenario,
    ScenarioError,
    load_scenario,
)
from sim.economy import LEVERS, anticipated_loss, household_uniform, levers_at
from sim.loans import ON_BOOK

BASE = {"population.n_borrowers": 1500, "horizon_months": 8, "burn_in_months": 0, "economy.unemployment.rate": 10.0}
HOUSEHOLD_COLUMNS = ("income", "essentials", "savings", "consumption", "paid", "employed", "stress", "wellbeing")


def twins(overrides: dict, seed: int = 1, **base):
    """Two models from the same seed: without and with ``overrides``."""
    cfg = {**BASE, **base}
    return sim.CollectionModel("baseline", rng=seed, **cfg), sim.CollectionModel("baseline", rng=seed, **cfg,
                                                                                   **overrides)


def same_households(a, b) -> None:
    for name in HOUSEHOLD_COLUMNS:
        np.testing.assert_array_equal(getattr(a.borrowers, name), getattr(b.borrowers, name), err_msg=name)


# --------------------------------------------------------------------------------------------------
# periods and defaults
# --------------------------------------------------------------------------------------------------
def test_strength_is_one_in_force_then_falls_linearly_over_the_phase_out():
    p = PhasedPeriod(start_month=2, end_month=4, phase_out_months=3)
    assert [p.strength(m) for m in range(10)] == [0, 0, 1, 1, 1, 0.75, 0.5, 0.25, 0, 0]
    cliff = PhasedPeriod(start_month=2, end_month=4)
    assert [cliff.strength(m) for m in range(7)] == [0, 0, 1, 1, 1, 0, 0]


def test_income_support_can_phase_out():
    cfg = Economy.model_validate({"income_support": [{"start_month": 1, "end_month": 2, "amount": 400.0,
                                                      "phase_out_months": 3}]})
    assert [levers_at(cfg, m).income_support for m in range(8)] == [0, 400, 400, 300, 200, 100, 0, 0]


def test_every_new_lever_is_off_by_default():
    s = Scenario()
    e = s.economy
    assert e.stimulus == e.unemployment_programmes == e.other_debt_pause == e.lockdown == []
    assert s.lenders[0].accommodation == s.lenders[0].anticipation == []
    assert levers_at(e, 0) == levers_at(Economy(), 5)
    assert not levers_at(e, 0).household_income_levers and not levers_at(e, 0).spending_levers


ALL_LEVERS_LATE = {
    "economy.stimulus": [{"start_month": 50, "end_month": 50}],
    "economy.unemployment_programmes": [{"start_month": 50, "end_month": 60, "top_up": 500.0}],
    "economy.other_debt_pause": [{"start_month": 50, "end_month": 60}],
    "economy.lockdown": [{"start_month": 50, "end_month": 60}],
    "lenders.0.accommodation": [{"start_month": 50, "end_month": 60}],
    "lenders.0.anticipation": [{"start_month": 50, "end_month": 60, "overlay": 0.05}],
}


@pytest.mark.parametrize("scenario", ["baseline", "recession"])
def test_levers_scheduled_after_the_horizon_change_nothing(scenario):
    """A scenario that declares every lever, all after the horizon, gives exactly the run without them:
    the levers draw nothing and touch nothing while they are off."""
    small = {"population.n_borrowers": 800, "horizon_months": 14, "burn_in_months": 4}
    plain = sim.simulate(scenario, seed=2, **small)
    late = sim.simulate(scenario, seed=2, **small, **ALL_LEVERS_LATE)
    pd.testing.assert_frame_equal(plain.monthly, late.monthly, check_exact=True)
    pd.testing.assert_frame_equal(plain.segments, late.segments, check_exact=True)


def test_household_hash_is_fixed_and_nested():
    u = household_uniform(10_000, seed=3, salt=PROGRAMME_SALT)
    np.testing.assert_array_equal(u, household_uniform(10_000, seed=3, salt=PROGRAMME_SALT))
    assert abs((u < 0.3).mean() - 0.3) < 0.02
    assert ((u < 0.3) <= (u < 0.6)).all()  # widening coverage only adds households
    other = household_uniform(10_000, seed=3, salt=PAUSE_SALT)
    assert abs(np.corrcoef(u, other)[0, 1]) < 0.05  # levers reach independent sets


# --------------------------------------------------------------------------------------------------
# household levers
# --------------------------------------------------------------------------------------------------
def test_stimulus_adds_the_payment_less_its_income_phase_out_in_its_month_only():
    a, b = twins({"economy.stimulus": [{"start_month": 2, "end_month": 2, "amount": 1200.0,
                                        "income_threshold": 6250.0, "income_phase_out_rate": 0.6}]})
    t = b.borrowers
    expected = np.maximum(1200.0 - 0.6 * np.maximum(t.income_base - 6250.0, 0.0), 0.0)
    assert (expected == 0).sum() > 10 and (expected == 1200).mean() > 0.7
    for month in range(3):
        a.step()
        b.step()
        np.testing.assert_array_equal(a.borrowers.employed, t.employed)  # the labour draws are untouched
        if month < 2:
            same_households(a, b)
        else:
            np.testing.assert_allclose(t.income - a.borrowers.income, expected, atol=1e-9)
            np.testing.assert_array_equal(t.essentials, a.borrowers.essentials)


def test_monthly_stimulus_is_scaled_down_over_its_phase_out():
    cfg = Economy.model_validate({"stimulus": [{"start_month": 1, "end_month": 2, "phase_out_months": 1,
                                                "frequency": "monthly", "amount": 250.0}]})
    paid = [sum(w * p.amount for p, w in levers_at(cfg, m).stimulus) for m in range(5)]
    assert paid == [0, 250, 250, 125, 0]
    once = Economy.model_validate({"stimulus": [{"start_month": 1, "end_month": 3, "phase_out_months": 2}]})
    assert [len(levers_at(once, m).stimulus) for m in range(7)] == [0, 1, 0, 0, 0, 0, 0]


def test_unemployment_programme_pays_covered_unemployed_within_its_duration_only():
    programme = {"start_month": 3, "end_month": 5, "coverage": 0.6, "max_months_unemployed": 2,
                 "replacement": 0.1, "top_up": 800.0}
    a, b = twins({"economy.unemployment_programmes": [programme]}, **{"population.n_borrowers": 6000})
    t = b.borrowers
    covered = household_uniform(t.n, b.seed, PROGRAMME_SALT) < 0.6
    for _ in range(3):
        a.step()
        b.step()
        same_households(a, b)
    a.step()
    b.step()
    extra = t.income - a.borrowers.income
    reached = ~t.employed & covered & (t.months_unemployed <= 2)
    assert reached.sum() > 50 and (~t.employed & (t.months_unemployed > 2)).sum() > 20
    np.testing.assert_allclose(extra[reached], 0.1 * t.income_base[reached] + 800.0, rtol=1e-12)
    assert (extra[~reached] == 0).all()  # the employed, the uncovered and the long-term unemployed get nothing
    share = reached.sum() / (~t.employed & (t.months_unemployed <= 2)).sum()
    assert abs(share - 0.6) < 0.08


def _cash_change(a, b) -> np.ndarray:
    """Change in consumption + payments + savings of each household, with the lever minus without."""
    ta, tb = a.borrowers, b.borrowers
    return (tb.consumption - ta.consumption) + (tb.paid - ta.paid) + (tb.savings - ta.savings)


def test_pause_on_other_debts_frees_the_paused_payment_for_the_households_reached_only():
    """In its first month the pause lowers the essential spending of the households reached by
    ``essentials_cut``: consumption (which still counts the paused payment), payments and savings together
    rise by exactly that amount (where savings did not run out), nobody else changes, and the usual
    essentials are back at the end of the month."""
    a, b = twins({"economy.other_debt_pause": [{"start_month": 1, "end_month": 3, "share": 0.3,
                                                 "essentials_cut": 0.25}]})
    t = b.borrowers
    reached = household_uniform(t.n, b.seed, PAUSE_SALT) < 0.3
    a.step()
    b.step()
    same_households(a, b)
    a.step()
    b.step()
    np.testing.assert_array_equal(t.essentials, a.borrowers.essentials)  # restored after the month
    no_shortfall = (t.shortfall == 0) & (a.borrowers.shortfall == 0)
    change = _cash_change(a, b)
    np.testing.assert_allclose(change[reached & no_shortfall], 0.25 * t.essentials[reached & no_shortfall],
                               rtol=1e-9)
    assert (change[~reached] == 0).all()
    assert (t.savings[reached] >= a.borrowers.savings[reached] - 1e-9).mean() > 0.95


def test_lockdown_moves_spending_it_prevents_into_savings():
    a, b = twins({"economy.lockdown": [{"start_month": 1, "end_month": 2, "spending_cut": 0.1}]})
    a.step()
    b.step()
    a.step()
    b.step()
    ta, tb = a.borrowers, b.borrowers
    np.testing.assert_array_equal(tb.essentials, ta.essentials)
    no_shortfall = (tb.shortfall == 0) & (ta.shortfall == 0)
    # no cash is created: what is not spent is paid or saved
    np.testing.assert_allclose(_cash_change(a, b)[no_shortfall], 0.0, atol=1e-6)
    same_pay = no_shortfall & (tb.paid == ta.paid) & (ta.consumption - ta.essentials > 0.1 * ta.essentials)
    assert same_pay.sum() > 500
    np.testing.assert_allclose(tb.savings[same_pay] - ta.savings[same_pay], 0.1 * ta.essentials[same_pay], rtol=1e-9)
    np.testing.assert_allclose(ta.consumption[same_pay] - tb.consumption[same_pay], 0.1 * ta.essentials[same_pay],
                               rtol=1e-9)


# --------------------------------------------------------------------------------------------------
# lenders' accommodation programmes
# --------------------------------------------------------------------------------------------------
PROGRAMME = {"start_month": 1, "end_month": 3, "phase_out_months": 3, "take_up": 1.0, "pause_months": 2}
LOAN_FIELDS = ("interest_charged", "fees_charged", "accommodation_left", "accommodated", "cycles", "scheduled",
               "contractual", "status", "principal", "borrower", "paid_last")


def step_aligned(model) -> tuple[dict, dict]:
    """Step the model; return loan columns before and after the month for the loans on the book at both
    times, aligned by loan id (the book is compacted every third month, so rows move)."""
    book = model.book
    ids = book.view("loan_id").copy()
    before = {name: book.view(name).copy() for name in LOAN_FIELDS}
    model.step()
    now = book.view("loan_id")
    pos = np.minimum(np.searchsorted(now, ids), max(len(now) - 1, 0))
    present = now[pos] == ids
    after = {name: book.view(name)[pos[present]] for name in LOAN_FIELDS}
    return {name: col[present] for name, col in before.items()}, {**after, "loan_id": ids[present]}


def test_accommodation_pauses_enrolled_accounts_interest_free_and_ramps_them_back(helpers):
    model = sim.CollectionModel("baseline", rng=4, **BASE, **{"behaviour.prepayment_rate": 0.0,
                                                               "lenders.0.accommodation": [PROGRAMME]})
    t = model.borrowers
    enrolled_ids = set()
    arrears_set_aside = False
    for month in range(8):
        before, after = step_aligned(model)
        helpers.check_book(model)
        enrolled = after["accommodated"]
        if month == 0 or month > 6:
            assert not enrolled.any()
            continue
        on_book = ON_BOOK[after["status"]]
        new = enrolled & ~before["accommodated"]
        if month <= 3:
            assert new.any()
            if month == 1:
                assert not t.employed[after["borrower"][new]].any()  # only the unemployed ask
            enrolled_ids.update(after["loan_id"][new].tolist())
            assert (after["cycles"][new] == 0).all()  # reported current: arrears set aside at enrolment
            arrears_set_aside |= bool((before["cycles"][new] > 0).any())
            pausing = enrolled & ((before["accommodation_left"] > 0) | new) & on_book
            assert pausing.any()
            assert (after["scheduled"][pausing] == 0).all()
            assert (after["interest_charged"][pausing] == before["interest_charged"][pausing]).all()  # interest-free
        else:
            assert not new.any()  # enrolment closes at end_month
            # the ramp: a rising share of the contractual payment (strength 0.75, 0.5, 0.25 in months 4-6)
            back = enrolled & on_book & (after["principal"] > 0)
            share = 1.0 - Accommodation(**PROGRAMME).strength(month)
            assert back.any() and share == pytest.approx({4: 0.25, 5: 0.5, 6: 0.75}[month])
            np.testing.assert_allclose(after["scheduled"][back], share * after["contractual"][back], rtol=1e-9)
        assert (after["fees_charged"][enrolled] == before["fees_charged"][enrolled]).all()  # late fees waived
    assert len(enrolled_ids) > 100
    assert arrears_set_aside  # some enrolled accounts were behind, and their arrears were set aside


def test_employed_households_do_not_enrol_unless_the_programme_says_so():
    for only, expect_employed in ((True, False), (False, True)):
        model = sim.CollectionModel("baseline", rng=5, **BASE, **{"lenders.0.accommodation": [
            {**PROGRAMME, "unemployed_only": only}]})
        model.step()
        model.step()
        book, t = model.book, model.borrowers
        enrolled = book.view("accommodated")
        assert enrolled.any()
        assert t.employed[book.view("borrower")[enrolled]].any() == expect_employed


def test_fee_waiver_only_programme_keeps_payments_due_and_charges_no_late_fee(helpers):
    programme = {**PROGRAMME, "pause_months": 0, "interest_free": False, "report_current": False}
    model = sim.CollectionModel("baseline", rng=6, **BASE, **{"lenders.0.accommodation": [programme]})
    model.step()
    missed_enrolled = 0
    for _ in range(3):
        before, after = step_aligned(model)
        helpers.check_book(model)
        on_book = ON_BOOK[after["status"]]
        enrolled = after["accommodated"] & on_book & (after["principal"] > 0)
        assert (after["scheduled"][enrolled] > 0).all()
        assert (after["interest_charged"][enrolled] > before["interest_charged"][enrolled]).all()
        assert (after["fees_charged"][enrolled] == before["fees_charged"][enrolled]).all()
        missed_enrolled += int((enrolled & (after["paid_last"] < after["scheduled"] - 1e-9)).sum())
        other = ~after["accommodated"] & on_book
        assert (after["fees_charged"][other] > before["fees_charged"][other]).any()  # others still pay late fees
    assert missed_enrolled > 10


@pytest.mark.parametrize("report_current", [True, False])
def test_accounts_reported_current_leave_no_adverse_mark(report_current):
    """With ``report_current`` no household whose loans are all enrolled gets a new mark (marks only fade);
    without it, some such households do."""
    programme = {**PROGRAMME, "end_month": 6, "pause_months": 0, "report_current": report_current,
                 "unemployed_only": False}
    model = sim.CollectionModel("baseline", rng=7, **{**BASE, "population.n_borrowers": 2000},
                                **{"lenders.0.accommodation": [programme]})
    book, t = model.book, model.borrowers
    memory = np.float32(model.cfg.economy.credit_record_memory)
    model.step()
    model.step()
    marked = 0
    for _ in range(4):
        before = t.derogatory.copy()
        model.step()
        on = book.on_book()
        owner = book.view("borrower")
        not_enrolled = np.bincount(owner[on & ~book.view("accommodated")], minlength=t.n) > 0
        all_enrolled = (np.bincount(owner[on], minlength=t.n) > 0) & ~not_enrolled
        marked += int((t.derogatory[all_enrolled] > before[all_enrolled] * memory + 1e-6).sum())
    assert (marked == 0) == report_current


def test_a_cliff_ends_every_accommodation_at_once():
    model = sim.CollectionModel("baseline", rng=8, **BASE, **{"lenders.0.accommodation": [
        {**PROGRAMME, "phase_out_months": 0, "pause_months": 6}]})
    for _ in range(4):
        model.step()
    book = model.book
    assert (book.view("accommodation_left") > 0).any()  # pauses still running at the end of enrolment
    model.step()  # month 4: the programme is over
    assert not book.view("accommodated").any() and not book.view("accommodation_left").any()
    current = ON_BOOK[book.view("status")] & (book.view("principal") > 0)
    assert (book.view("scheduled")[current] > 0).mean() > 0.95


def test_overlapping_accommodation_programmes_are_rejected():
    with pytest.raises(ScenarioError, match=r"lenders\.0\.accommodation: .*must not overlap"):
        load_scenario("baseline", **{"lenders.0.accommodation": [
            {"start_month": 0, "end_month": 3, "phase_out_months": 2}, {"start_month": 5, "end_month": 8}]})
    load_scenario("baseline", **{"lenders.0.accommodation": [
        {"start_month": 0, "end_month": 3, "phase_out_months": 2}, {"start_month": 6, "end_month": 8}]})


# --------------------------------------------------------------------------------------------------
# anticipatory tightening
# --------------------------------------------------------------------------------------------------
def test_anticipation_tightens_underwriting_on_the_unemployment_rise_before_losses_move():
    spike = {"economy.unemployment": {"kind": "series", "frequency": "monthly",
                                      "values": [4.6, 4.6, 9.0, 12.0, 12.0, 12.0, 12.0, 12.0]}}
    lever = {"lenders.0.anticipation": [{"start_month": 1, "end_month": 4, "phase_out_months": 1,
                                          "overlay": 0.01, "unemployment_weight": 0.01, "lookback_months": 2}]}
    a, b = twins(lever, **spike)
    for month in range(7):
        a.step()
        b.step()
        la, lb = a.lenders[0], b.lenders[0]
        expected = anticipated_loss(b.cfg.lenders[0].anticipation, month, b.unemployment, month)
        assert lb.anticipated_loss == pytest.approx(expected)
        if month == 0:
            pd.testing.assert_frame_equal(a.recorder.result().monthly, b.recorder.result().monthly)
            continue
        if month == 1:  # the learned loss is the same: only the anticipation differs so far
            assert lb.expected_loss == la.expected_loss
        if 1 <= month <= 5:
            assert lb.cutoff > la.cutoff
    path = b.unemployment
    assert anticipated_loss(b.cfg.lenders[0].anticipation, 3, path, 3) == pytest.approx(
        0.01 + 0.01 * 100 * (path[3] - path[1]))
    assert anticipated_loss(b.cfg.lenders[0].anticipation, 6, path, 6) == 0.0


def test_lenders_without_anticipation_are_not_affected():
    lever = {"lenders": [{"name": "A", "anticipation": [{"start_month": 0, "end_month": 5, "overlay": 0.05}]},
                         {"name": "B"}]}
    model = sim.CollectionModel("baseline", rng=0, **BASE, **lever)
    model.step()
    assert model.lenders[0].anticipated_loss == 0.05 and model.lenders[1].anticipated_loss == 0.0


# --------------------------------------------------------------------------------------------------
# validation and the registry the app reads
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("override", "field"), [
    ({"economy.stimulus": [{"start_month": 2, "end_month": 1}]}, "economy.stimulus.0"),
    ({"economy.stimulus": [{"end_month": 1, "frequency": "weekly"}]}, "economy.stimulus.0.frequency"),
    ({"economy.unemployment_programmes": [{"end_month": 1, "coverage": 1.5}]},
     "economy.unemployment_programmes.0.coverage"),
    ({"economy.other_debt_pause": [{"end_month": 1, "phase_out_months": -1}]},
     "economy.other_debt_pause.0.phase_out_months"),
    ({"economy.lockdown": [{"end_month": 1, "spending_cut": "a lot"}]}, "economy.lockdown.0.spending_cut"),
    ({"lenders.0.accommodation": [{"end_month": 1, "pause_months": 30}]}, "lenders.0.accommodation.0.pause_months"),
    ({"lenders.0.anticipation": [{"end_month": 1, "overlay": True}]}, "lenders.0.anticipation.0"),
    ({"economy.lockdown": [{"end_month": 1, "spending_cutt": 0.1}]}, "economy.lockdown.0.spending_cutt"),
])
def test_bad_lever_fields_are_one_line_errors_naming_the_field(override, field):
    with pytest.raises(ScenarioError) as err:
        load_scenario("baseline", **override)
    assert "\n" not in str(err.value) and field in str(err.value)


def test_the_lever_registry_names_real_list_fields_with_documented_periods():
    scenario_fields = {**{f"economy.{k}": v for k, v in Economy.model_fields.items()},
                       **{f"lenders.N.{k}": v for k, v in Lender.model_fields.items()}}
    assert len({lever.path for lever in LEVERS}) == len(LEVERS)
    for lever in LEVERS:
        field = scenario_fields[lever.path]
        assert field.annotation == list[lever.period], lever.path
        assert len(lever.explanation) > 100 and lever.label
        for name, f in lever.period.model_fields.items():
            assert f.description, f"{lever.path}.{name} has no description"
    new = {"economy.stimulus", "economy.unemployment_programmes", "economy.other_debt_pause", "economy.lockdown",
           "lenders.N.accommodation", "lenders.N.anticipation"}
    assert new <= {lever.path for lever in LEVERS}


def test_the_package_keeps_common_random_numbers_across_strategies(helpers):
    """Under every lever of scenarios/crisis_package.toml, two strategies run on one seed meet the same job
    losses (the levers draw from their own stream, one number per household), and the books balance."""
    small = {"population.n_borrowers": 800, "horizon_months": 14, "burn_in_months": 3}
    runs = []
    for strategy in ("conventional", "hardship_first"):
        model = sim.CollectionModel("crisis_package", rng=3, strategy=strategy, **small)
        helpers.run_stepwise(model)
        runs.append(model.results().monthly.query("lender == 'all'")["unemployment_rate"].to_numpy())
    np.testing.assert_array_equal(*runs)
