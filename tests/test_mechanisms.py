"""Mechanisms (criterion 13): the direction and rough size of each effect, with fixed seeds, a few
replications and stated tolerances.

Every comparison uses common random numbers (the same seeds for both arms), so the arms differ only
by the lever under test. Populations of 2,000-3,000 households keep each run well under a second.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.loans import Status

SEEDS = (0, 1, 2)
MEDIUM = {"population.n_borrowers": 2000, "horizon_months": 12, "burn_in_months": 6}


def _miss_rate(seed: int, reminders: bool, **extra) -> float:
    """Share of accounts current at the start of a recorded month that miss that month's payment."""
    model = sim.CollectionModel("baseline", rng=seed, strategy="hardship_first",
                                **{**MEDIUM, **extra, "lenders.0.strategy_params.pre_due_reminders": reminders})
    current = missed = 0
    while model.running:
        book = model.book
        n = book.n
        was_current = book.view("status") == Status.CURRENT
        compacts = model.month % 12 == 11  # rows move at the end of that month
        recorded = model.month >= 0
        model.step()
        if recorded and not compacts:
            cycles = model.book.cycles[:n]
            current += int(was_current.sum())
            missed += int((was_current & (cycles > 0)).sum())
    return missed / current


def test_pre_due_reminders_cut_missed_payments():
    """Reminders before the due date fix inattentive lapses, so fewer current accounts miss a payment.

    Tolerance: with 2,000 households (about 1,600 current accounts a month, 10 months) the miss rate
    has a sampling error near 0.2 percentage points; we require a cut in every seed, of at least 10%
    pooled, and a pooled cut between 1 and 8 percentage points. The population is less attentive than
    the card default (attention 0.93, as in a reminder field study), so that there are lapses to fix:
    with the reminder fix (0.6) and reachability (0.85) that implies a cut near 0.08 * 0.6 * 0.85 = 4 points.
    """
    inattentive = {"population.attention_mean": 0.93}
    with_reminders = np.array([_miss_rate(s, True, **inattentive) for s in SEEDS])
    without = np.array([_miss_rate(s, False, **inattentive) for s in SEEDS])
    assert (with_reminders < without).all(), (with_reminders, without)
    assert with_reminders.mean() < 0.9 * without.mean()
    cut = without.mean() - with_reminders.mean()
    assert 0.01 < cut < 0.08, cut


def test_reminders_only_matter_through_attention():
    """With ``reminder_attention_fix = 0`` a reminder no longer restores attention; what is left of its
    effect (a little pressure) is small. Tolerance: the pooled cut in the miss rate is below a quarter
    of the cut with the default fix, and below 1 percentage point."""
    no_fix = {"behaviour.reminder_attention_fix": 0.0}
    cut_no_fix = np.mean([_miss_rate(s, False, **no_fix) - _miss_rate(s, True, **no_fix) for s in SEEDS[:2]])
    cut_default = np.mean([_miss_rate(s, False) - _miss_rate(s, True) for s in SEEDS[:2]])
    assert abs(cut_no_fix) < 0.25 * cut_default and abs(cut_no_fix) < 0.01, (cut_no_fix, cut_default)


@pytest.fixture(scope="module")
def strategy_runs() -> dict[str, list[dict]]:
    return {name: [sim.run_scenario("baseline", seed=s, strategy=name, **MEDIUM) for s in SEEDS]
            for name in ("conventional", "aggressive", "hardship_first")}


def _mean(runs, key):
    return float(np.mean([r[key] for r in runs]))


def test_aggressive_strategy_raises_complaints(strategy_runs):
    """Night calls, excess contact, threats and visits raise complaints per 1,000 accounts in
    collection. Tolerance: aggressive above both others in every seed, and at least 1.5 times their
    mean over seeds (observed at calibration: about 2.5x conventional, 6x hardship-first)."""
    aggressive = strategy_runs["aggressive"]
    for other in ("conventional", "hardship_first"):
        for a, o in zip(aggressive, strategy_runs[other], strict=True):
            assert a["complaints_per_1000"] > o["complaints_per_1000"], other
        assert _mean(aggressive, "complaints_per_1000") > 1.5 * _mean(strategy_runs[other], "complaints_per_1000")
    # and the complaints are about communication tactics, not disputes of the debt itself
    assert (_mean(aggressive, "complaints_communication_tactics_per_1000")
            > 2.0 * _mean(strategy_runs["conventional"], "complaints_communication_tactics_per_1000"))


def test_hardship_first_raises_wellbeing_against_aggressive(strategy_runs):
    """Plans, deferrals and gentle contact leave households better off than high pressure.
    Tolerance: hardship-first's mean well-being index (all households) is higher in every seed, by at
    least 0.3 points on average (observed at calibration: about 1.8 points), and its share in the low
    bands is lower on average."""
    hf, ag = strategy_runs["hardship_first"], strategy_runs["aggressive"]
    for h, a in zip(hf, ag, strict=True):
        assert h["wellbeing_mean"] > a["wellbeing_mean"]
    assert _mean(hf, "wellbeing_mean") - _mean(ag, "wellbeing_mean") > 0.3
    assert _mean(hf, "wellbeing_low_share") < _mean(ag, "wellbeing_low_share")


def test_strategies_use_the_tactics_they_declare(strategy_runs):
    """Only the aggressive strategy visits; only strategies that restructure accept plans. (Hardship-first
    offers plans from the first miss but, with its few calls and a plan needing a conversation, now enrols
    about as many as the ladder, about 183 against 192 here: the count is not checked against the ladder.)"""
    assert _mean(strategy_runs["aggressive"], "visits") > 0
    assert _mean(strategy_runs["conventional"], "visits") == 0
    assert _mean(strategy_runs["hardship_first"], "visits") == 0
    assert _mean(strategy_runs["aggressive"], "plans_accepted") == 0
    assert _mean(strategy_runs["hardship_first"], "plans_accepted") > 0
    assert _mean(strategy_runs["conventional"], "plans_accepted") > 0
    assert _mean(strategy_runs["hardship_first"], "lawsuits") == 0


# --------------------------------------------------------------------------------------------------
# the economy: recession, income support, forbearance
# --------------------------------------------------------------------------------------------------
JUMP = 6  # the month unemployment jumps from 4.6% to 10%
RECESSION = {
    "population.n_borrowers": 3000, "horizon_months": 24, "burn_in_months": 12,
    "economy.unemployment": {"kind": "series", "frequency": "monthly", "values": [4.6] * JUMP + [10.0] * 30},
}


def _delinquency(seed: int, **extra) -> np.ndarray:
    return sim.run_scenario("baseline", seed=seed, **RECESSION, **extra)["series.delinquency_30plus_rate"]


@pytest.fixture(scope="module")
def recession_paths() -> np.ndarray:
    return np.array([_delinquency(s) for s in SEEDS])


def test_simulated_unemployment_follows_the_jump():
    out = sim.run_scenario("baseline", seed=0, **RECESSION)
    u = out["series.unemployment_rate"]
    assert np.abs(u[:JUMP] - 0.046).max() < 0.012  # tolerance: binomial noise of 3,000 households
    assert np.abs(u[JUMP + 1:] - 0.10).max() < 0.015


def test_recession_raises_delinquency_with_a_lag(recession_paths):
    """After unemployment jumps, the 30+ delinquency rate rises, and peaks months later: missed
    payments take two cycles to reach 30 days, and savings buffers delay the first miss.

    Tolerance: in every seed, the mean over months JUMP+3..JUMP+8 exceeds the pre-jump mean; pooled
    over seeds, by more than 0.8 percentage points (observed: 1.5-1.7); the pooled series (3-month
    centred mean) peaks at least 2 months after the jump (observed: 3-4; the 30-day threshold alone
    would allow a peak in the jump month, since jobs are lost in the month before it); the rate in the
    jump month itself is below that peak."""
    d = recession_paths
    before = d[:, :JUMP].mean(axis=1)
    after = d[:, JUMP + 3:JUMP + 9].mean(axis=1)
    assert (after > before).all(), (before, after)
    assert after.mean() - before.mean() > 0.008
    pooled = d.mean(axis=0)
    smooth = np.convolve(pooled, np.ones(3) / 3, mode="same")
    peak = int(np.argmax(smooth[1:-1])) + 1
    assert peak >= JUMP + 2, (peak, np.round(pooled, 4))
    assert pooled[JUMP] < smooth[peak]


def test_income_support_lowers_delinquency_in_a_recession(recession_paths):
    """A monthly transfer to unemployed households while it is on keeps them paying.
    Tolerance: lower mean 30+ delinquency over months JUMP+2..23 in every seed, by more than 0.5
    percentage points pooled (observed at calibration: about 2 points)."""
    support = {"economy.income_support": [{"start_month": JUMP, "end_month": 23, "amount": 1500.0}]}
    with_support = np.array([_delinquency(s, **support) for s in SEEDS])
    window = slice(JUMP + 2, 24)
    on = with_support[:, window].mean(axis=1)
    off = recession_paths[:, window].mean(axis=1)
    assert (on < off).all(), (on, off)
    assert off.mean() - on.mean() > 0.005
    # before the programme starts, the two arms are identical (common random numbers)
    np.testing.assert_array_equal(with_support[:, :JUMP], recession_paths[:, :JUMP])


def test_forbearance_lowers_delinquency_while_on(recession_paths):
    """Payments paused for unemployed households (no arrears accumulate) lower 30+ delinquency while
    forbearance is on. Tolerance: lower mean over months JUMP+2..17 in every seed, by more than 0.5
    percentage points pooled (observed: about 2 points)."""
    forbearance = {"economy.forbearance": [{"start_month": JUMP, "end_month": 17}]}
    with_fb = np.array([_delinquency(s, **forbearance) for s in SEEDS])
    window = slice(JUMP + 2, 18)
    on = with_fb[:, window].mean(axis=1)
    off = recession_paths[:, window].mean(axis=1)
    assert (on < off).all(), (on, off)
    assert off.mean() - on.mean() > 0.005
    np.testing.assert_array_equal(with_fb[:, :JUMP], recession_paths[:, :JUMP])


def test_regulation_clips_contacts():
    """Under China 2018 rules (3 attempts a day, no night calls) the aggressive strategy makes no night
    calls and the clipped attempts are logged; under 'none' the same calls are logged as would-be
    violations of the reference regime."""
    ruled = sim.run_scenario("baseline", seed=0, strategy="aggressive",
                             **{**MEDIUM, "regulation.regime": "china_2018", "regulation.reference_regime": "none"})
    free = sim.run_scenario("baseline", seed=0, strategy="aggressive",
                            **{**MEDIUM, "regulation.regime": "none", "regulation.reference_regime": "china_2018"})
    assert ruled["clipped_quiet_hours"] > 0
    assert ruled["call_attempts"] < free["call_attempts"]
    assert free["would_clip_quiet_hours"] > 0 and free["clipped_quiet_hours"] == 0
    assert ruled["complaints_per_1000"] < free["complaints_per_1000"]


def test_ability_to_pay_rule_declines_applicants_out_of_work_from_its_month():
    """From ``regulation.ability_to_pay_from`` on (the CARD Act's rule, in force February 2010), no household
    out of work gets a new loan; before it, some do; and before it the run is the same run."""
    def approvals(rule_from):
        model = sim.CollectionModel("recession", rng=4, n_borrowers=4000, horizon=10, burn_in_months=0,
                                    **{"regulation.ability_to_pay_from": rule_from})
        out = []
        while model.running:
            model.step()
            t = model.borrowers
            out.append((model.month - 1, t.employed[model.last_approved].copy(), len(model.last_applicants)))
        return out

    free, ruled = approvals(None), approvals(5)
    assert any((~employed).any() for month, employed, _ in free if month >= 5)  # without the rule they can
    assert all(employed.all() for month, employed, _ in ruled if month >= 5)
    # before the rule's month the two runs are the same run
    assert [(len(e), n) for m, e, n in ruled if m < 5] == [(len(e), n) for m, e, n in free if m < 5]


def test_debt_not_owed_is_the_largest_complaint_category_about_half():
    """Issue 3, criterion 1: misread amounts, fees and due dates and the lenders' record errors make "attempts
    to collect debt not owed" the largest complaint category, about half (CFPB complaint data). Baseline,
    conventional ladder, 3 seeds x 8,000 households, 24 + 36 months: 49% of complaints, then legal action (22%:
    a judgment keeps its hazard open month after month; ``complaint_threat`` is sized for this mix), communication
    tactics (14%) and written notification (13%). Checks: the largest category, with a share of 40-60%."""
    from sim.complaints import Category

    counts = np.zeros(len(Category))
    for seed in SEEDS:
        summary = sim.CollectionModel("baseline", rng=seed, n_borrowers=8000).run().results().summary
        row = summary.set_index("lender").loc["all"]
        counts += [row[f"complaints_{c.label}_per_1000"] for c in Category]
    shares = counts / counts.sum()
    assert int(np.argmax(shares)) == Category.DEBT_NOT_OWED, dict(zip([c.label for c in Category], shares, strict=True))
    assert 0.40 <= shares[Category.DEBT_NOT_OWED] <= 0.60
