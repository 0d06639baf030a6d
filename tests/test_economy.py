"""The economy (criterion 3): unemployment paths (constant, monthly or quarterly series, regime
process), job-loss and job-finding hazards that make the households' unemployment rate follow the path,
expense shocks, and the income-support and forbearance levers; and the household budget they feed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.config import Economy
from sim.economy import labour_hazards, levers_at, short_hours_share, unemployment_path
from sim.loans import ON_BOOK

DATA = Path(__file__).resolve().parent.parent / "data"


def _economy(**unemployment) -> Economy:
    return Economy.model_validate({"unemployment": unemployment})


def _path(cfg: Economy, n: int, first_month: int = 0, seed: int = 0) -> np.ndarray:
    return unemployment_path(cfg, n, np.random.default_rng(seed), first_month=first_month)


# --------------------------------------------------------------------------------------------------
# unemployment paths
# --------------------------------------------------------------------------------------------------
def test_constant_path():
    np.testing.assert_array_equal(_path(_economy(kind="constant", rate=7.5), 10, first_month=-4), np.full(10, 0.075))


def test_quarterly_series_is_placed_mid_quarter_and_interpolated():
    cfg = _economy(kind="series", frequency="quarterly", values=[4.0, 7.0, 5.5])
    u = _path(cfg, 12)
    # quarter q's mean sits at month 3q + 1 (February, May, August of a January start)
    assert u[1] == pytest.approx(0.040) and u[4] == pytest.approx(0.070) and u[7] == pytest.approx(0.055)
    # linear in between
    assert u[2] == pytest.approx(0.040 + 0.030 / 3) and u[3] == pytest.approx(0.040 + 0.060 / 3)
    assert u[5] == pytest.approx(0.070 - 0.015 / 3) and u[6] == pytest.approx(0.070 - 0.030 / 3)
    # first value before the first midpoint, last value after the last
    assert u[0] == pytest.approx(0.040)
    np.testing.assert_allclose(u[7:], 0.055)
    # the quarterly means of the interpolated path are close to the data (exact for a flat series)
    flat = _path(_economy(kind="series", frequency="quarterly", values=[6.0] * 4), 12)
    np.testing.assert_allclose(flat, 0.06)


def test_series_holds_first_value_during_burn_in_and_first_month_shifts_the_path():
    cfg = _economy(kind="series", frequency="monthly", values=[5.0, 6.0, 9.0])
    u = _path(cfg, 10, first_month=-4)
    np.testing.assert_allclose(u[:5], 0.05)  # months -4..0
    assert u[5] == pytest.approx(0.06) and u[6] == pytest.approx(0.09)
    np.testing.assert_allclose(u[6:], 0.09)  # held at the last value after the end
    full = _path(cfg, 6, first_month=0)
    np.testing.assert_allclose(u[4:], full)
    q = _economy(kind="series", frequency="quarterly", values=[4.7, 4.6, 9.0])
    np.testing.assert_allclose(_path(q, 20, first_month=-8)[8:], _path(q, 12, first_month=0))
    np.testing.assert_allclose(_path(q, 20, first_month=-8)[:9], 0.047)


def test_model_path_starts_at_the_first_burn_in_month():
    model = sim.CollectionModel("recession", rng=0, **{"population.n_borrowers": 50, "burn_in_months": 5,
                                                       "horizon_months": 6})
    values = np.array(model.cfg.economy.unemployment.values) / 100
    np.testing.assert_allclose(model.unemployment[:6], values[0])  # months -5..0
    assert model.unemployment[5 + 1] == pytest.approx(values[0])  # month 1: mid-quarter of 2006Q1
    assert model.unemployment[5 + 4] == pytest.approx(values[1])  # month 4: 2006Q2


@settings(max_examples=40, deadline=None)
@given(
    expansion=st.floats(0, 60), recession=st.floats(0, 60), p_enter=st.floats(0, 1), p_exit=st.floats(0, 1),
    adjustment=st.floats(0, 1), volatility=st.floats(0, 5), start=st.booleans(), seed=st.integers(0, 2**31),
)
def test_regime_process_stays_in_bounds(expansion, recession, p_enter, p_exit, adjustment, volatility, start, seed):
    cfg = _economy(kind="regime", expansion_rate=expansion, recession_rate=recession, p_enter_recession=p_enter,
                   p_exit_recession=p_exit, adjustment=adjustment, volatility=volatility, start_in_recession=start)
    u = _path(cfg, 240, first_month=-24, seed=seed)
    assert u.shape == (240,)
    assert np.isfinite(u).all()
    assert (u >= 0).all() and (u <= 0.6).all()


def test_regime_process_without_noise_converges_geometrically():
    cfg = _economy(kind="regime", expansion_rate=4.0, recession_rate=10.0, p_enter_recession=0.0,
                   p_exit_recession=0.0, adjustment=0.1, volatility=0.0, start_in_recession=False)
    np.testing.assert_allclose(_path(cfg, 50), 0.04)  # never enters a recession
    stuck = cfg.model_copy(update={"unemployment": cfg.unemployment.model_copy(
        update={"start_in_recession": True, "expansion_rate": 10.0})})
    np.testing.assert_allclose(_path(stuck, 50), 0.10)
    # leaving a recession for sure in month 0: the gap to the expansion rate shrinks by 10% a month
    leave = cfg.model_copy(update={"unemployment": cfg.unemployment.model_copy(
        update={"start_in_recession": True, "p_exit_recession": 1.0})})
    u = _path(leave, 30)
    np.testing.assert_allclose(u, 0.04 + 0.06 * 0.9 ** np.arange(1, 31), rtol=1e-12)


def test_regime_process_spends_time_in_both_regimes():
    """With the default switching probabilities (mean expansion about 83 months, recession 11) a long
    path visits both levels. Tolerance: over 3,000 months the mean lies between the two regime rates
    and the path exceeds 8% for at least 3% of months."""
    cfg = _economy(kind="regime")
    u = _path(cfg, 3000, seed=1)
    assert 0.046 < u.mean() < 0.095
    assert (u > 0.08).mean() > 0.03
    assert (u < 0.055).mean() > 0.3


# --------------------------------------------------------------------------------------------------
# labour-market hazards
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("u_now", "u_next"), [(0.046, 0.046), (0.046, 0.06), (0.10, 0.09), (0.05, 0.10)])
def test_hazards_satisfy_the_stock_flow_identity(u_now, u_next):
    cfg = Economy()
    for w in (1.0, 0.7):
        h = labour_hazards(cfg, u_now, u_next, outflow_share=w)
        if h.separation <= 1e-5:  # the path falls faster than job finding allows: separation at its floor
            assert u_now + 1e-5 * (1 - u_now) - h.finding * w * u_now > u_next
            continue
        assert u_now + h.separation * (1 - u_now) - h.finding * w * u_now == pytest.approx(u_next, abs=1e-12)
        assert 0 < h.separation <= 0.5 and 0 < h.finding <= 0.95


def test_job_finding_falls_as_unemployment_rises():
    cfg = Economy()
    assert labour_hazards(cfg, 0.046, 0.046).finding == pytest.approx(cfg.job_finding_rate)
    assert labour_hazards(cfg, 0.092, 0.092).finding == pytest.approx(cfg.job_finding_rate / 2)


@pytest.mark.parametrize("scenario", ["baseline", "recession"])
def test_household_unemployment_tracks_the_scenario_path(scenario):
    """With 3,000 households the simulated unemployment rate follows the path. Tolerance (binomial
    noise of about 0.3 points a month, corrected every month): largest gap below 1.5 percentage
    points, mean absolute gap below 0.5, mean bias below 0.3."""
    for seed in (0, 1):
        model = sim.CollectionModel(scenario, rng=seed, **{"population.n_borrowers": 3000, "horizon_months": 48,
                                                           "burn_in_months": 6})
        model.run()
        monthly = model.results().monthly
        simulated = monthly.loc[monthly["lender"] == "all", "unemployment_rate"].to_numpy()
        target = model.unemployment[6:6 + 48]
        gap = simulated - target
        assert np.abs(gap).max() < 0.015
        assert np.abs(gap).mean() < 0.005
        assert abs(gap.mean()) < 0.003
    if scenario == "recession":
        assert simulated.max() > 0.09 and simulated[:12].max() < 0.06


def test_low_income_households_lose_jobs_more_often():
    """The separation weights by quintile (1.8 for the lowest to 0.55 for the highest) show in who is
    unemployed. Tolerance: over 24 months of 3,000 households, the lowest quintile's unemployment
    share is at least 1.5 times the highest's."""
    model = sim.CollectionModel("baseline", rng=0, **{"population.n_borrowers": 3000, "horizon_months": 24,
                                                      "burn_in_months": 0, "economy.unemployment.rate": 8.0})
    t = model.borrowers
    unemployed = np.zeros(5)
    while model.running:
        model.step()
        unemployed += np.bincount(t.quintile, weights=~t.employed, minlength=5)
    assert unemployed[0] > 1.5 * unemployed[4]


# --------------------------------------------------------------------------------------------------
# short hours (part time for economic reasons)
# --------------------------------------------------------------------------------------------------
def test_short_hours_slope_is_the_bls_relation():
    """The default slope is the least-squares slope of the share of employment part time for economic reasons
    on the unemployment rate in data/us_part_time_2006_2011.csv (to two decimals), and the income loss is
    1 - 22.5 / 40 hours."""
    data = pd.read_csv(DATA / "us_part_time_2006_2011.csv")
    share = 100.0 * data["part_time_economic_reasons"] / data["employed"]
    slope = np.polyfit(data["unemployment_rate"], share, 1)[0]
    assert Economy().short_hours_per_point == pytest.approx(slope, abs=0.005)
    assert Economy().short_hours_income_loss == pytest.approx(1 - 22.5 / 40, abs=0.005)


def test_short_hours_share_follows_unemployment_above_the_reference():
    cfg = Economy()
    assert short_hours_share(cfg, 0.030) == 0.0
    assert short_hours_share(cfg, cfg.reference_unemployment / 100) == 0.0
    assert short_hours_share(cfg, 0.096) == pytest.approx(cfg.short_hours_per_point * (9.6 - 4.6) / 100)
    assert short_hours_share(cfg.model_copy(update={"short_hours_per_point": 5.0}), 0.60) == 1.0


def test_hours_are_cut_for_the_employed_in_proportion_and_cost_earnings():
    """At 9.6% unemployment, 0.72 x 5 = 3.6% of the employed are on short hours, more of them in the lowest
    quintile (their job-loss weight), the same households month after month, and each earns 44% less than its
    usual pay times the month's growth. Tolerance: 20,000 households, the share within 0.6 point of 3.6%."""
    model = sim.CollectionModel("baseline", rng=3, **{"population.n_borrowers": 20_000, "horizon_months": 3,
                                                      "burn_in_months": 0, "economy.unemployment.rate": 9.6,
                                                      "economy.income_volatility": 0.0})
    t = model.borrowers
    seen = []
    while model.running:
        model.step()
        assert not (t.short_hours & ~t.employed).any()
        seen.append(t.short_hours.copy())
        np.testing.assert_allclose(t.income[t.short_hours], 0.56 * t.income_base[t.short_hours])
        full = t.employed & ~t.short_hours
        np.testing.assert_allclose(t.income[full], t.income_base[full])
    share = seen[-1].sum() / t.employed.sum()
    assert abs(share - 0.036) < 0.006
    lowest, highest = (seen[-1] & (t.quintile == 0)).sum(), (seen[-1] & (t.quintile == 4)).sum()
    assert lowest > 2 * highest
    stayed = seen[0] & t.employed  # still employed: still on short hours (a trait of the job)
    assert (seen[-1] | ~stayed).all()
    recorded = model.results().monthly
    assert recorded["short_hours_rate"].iloc[-1] == pytest.approx(0.036, abs=1e-9)


def test_no_hours_are_cut_at_the_reference_rate():
    model = sim.CollectionModel("baseline", rng=3, **{"population.n_borrowers": 2000, "horizon_months": 2,
                                                      "burn_in_months": 0})
    model.run_model()
    assert not model.borrowers.short_hours.any()
    assert (model.results().monthly["short_hours_rate"] == 0.0).all()


# --------------------------------------------------------------------------------------------------
# expense shocks, income support, forbearance
# --------------------------------------------------------------------------------------------------
def test_expense_shocks_have_the_configured_frequency_and_size():
    """Tolerance: 36,000 household-months at p = 0.05 give about 1,800 shocks (sd about 41): the
    frequency is within 12% of p and the mean size (months of income) within 10% of its parameter."""
    model = sim.CollectionModel("baseline", rng=2, **{"population.n_borrowers": 3000, "horizon_months": 12,
                                                      "burn_in_months": 0, "economy.expense_shock_probability": 0.05,
                                                      "economy.expense_shock_size": 2.0})
    t = model.borrowers
    hits, sizes = 0, []
    while model.running:
        model.step()
        hit = t.shock > 0
        hits += int(hit.sum())
        sizes.append(t.shock[hit] / t.income_base[hit])
    assert abs(hits / (3000 * 12) - 0.05) < 0.12 * 0.05
    assert np.concatenate(sizes).mean() == pytest.approx(2.0, rel=0.10)


def test_levers_are_on_in_their_periods():
    cfg = Economy.model_validate({
        "income_support": [{"start_month": 2, "end_month": 5, "amount": 300.0},
                           {"start_month": 4, "end_month": 8, "amount": 100.0}],
        "forbearance": [{"start_month": 3, "end_month": 3, "interest_accrues": True, "unemployed_only": False}],
    })
    assert [levers_at(cfg, m).income_support for m in range(10)] == [0, 0, 300, 300, 400, 400, 100, 100, 100, 0]
    assert [levers_at(cfg, m).forbearance for m in range(5)] == [False, False, False, True, False]
    on = levers_at(cfg, 3)
    assert on.forbearance_interest_accrues and not on.forbearance_unemployed_only


def test_income_support_tops_up_the_income_of_the_unemployed():
    model = sim.CollectionModel("baseline", rng=0, **{
        "population.n_borrowers": 1000, "horizon_months": 4, "burn_in_months": 0, "economy.unemployment.rate": 10.0,
        "economy.income_support": [{"start_month": 1, "end_month": 2, "amount": 700.0}]})
    t = model.borrowers
    replacement = model.cfg.economy.unemployment_insurance_replacement
    for month in range(4):
        model.step()
        out = ~t.employed
        assert out.sum() > 50
        support = 700.0 if month in (1, 2) else 0.0
        np.testing.assert_allclose(t.income[out], t.income_base[out] * replacement + support, rtol=1e-12)


@pytest.mark.parametrize("accrues", [False, True])
def test_forbearance_pauses_payments_and_interest_of_the_unemployed(accrues):
    model = sim.CollectionModel("baseline", rng=1, **{
        "population.n_borrowers": 1500, "horizon_months": 6, "burn_in_months": 0, "economy.unemployment.rate": 10.0,
        "behaviour.prepayment_rate": 0.0,
        "economy.forbearance": [{"start_month": 2, "end_month": 3, "interest_accrues": accrues}]})
    book, t = model.book, model.borrowers
    for month in range(5):
        n = book.n
        interest_before = book.view("interest_charged").copy()
        cycles_before = book.view("cycles").copy()
        on_book_before = ON_BOOK[book.view("status")]
        model.step()
        owner = book.borrower[:n]
        forborne = on_book_before & ~t.employed[owner]
        assert forborne.sum() > 20
        accrued = book.interest_charged[:n] - interest_before
        if month in (2, 3):
            assert (book.scheduled[:n][forborne] == 0).all()
            assert (book.cycles[:n][forborne] <= cycles_before[forborne]).all()  # no roll while paused
            if accrues:
                assert (accrued[forborne] > 0).mean() > 0.9
            else:
                assert (accrued[forborne] == 0).all()
            # employed households are not covered (unemployed_only defaults to true)
            employed_on_book = on_book_before & t.employed[owner] & (book.principal[:n] > 0)
            assert (book.scheduled[:n][employed_on_book] > 0).mean() > 0.9
        else:
            assert (accrued[forborne & (book.principal[:n] > 0)] > 0).mean() > 0.9
            assert (book.scheduled[:n][forborne & (book.principal[:n] > 0)] > 0).mean() > 0.9


def test_consumption_is_never_negative():
    """Consumption is what a household spends after paying; an expense shock that income and savings
    cannot cover leaves consumption at most at zero, and the shortfall at most the essentials.
    (Default baseline parameters: large exponential shocks happen to a few households each month.)"""
    model = sim.CollectionModel("baseline", rng=0, **{"population.n_borrowers": 2000, "horizon_months": 12,
                                                      "burn_in_months": 0})
    t = model.borrowers
    while model.running:
        model.step()
        assert t.consumption.min() >= 0.0, f"month {model.month - 1}: consumption {t.consumption.min():.2f}"
        assert (t.shortfall <= t.essentials + 1e-9).all()
