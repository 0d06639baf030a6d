"""The patterns of the brief (section 4) that the model must reproduce, each with replications on common
random numbers and a stated tolerance (issue 12, criterion 8). The studies are those of
``experiments/patterns.py`` (docs/patterns.md reports them with more replications); here they run with
fewer households and seeds, so each check leaves room for the sampling noise measured when it was written.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _patterns():
    if "patterns_script" not in sys.modules:
        sys.path.insert(0, str(ROOT / "experiments"))
        spec = importlib.util.spec_from_file_location("patterns_script", ROOT / "experiments" / "patterns.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["patterns_script"] = module
        spec.loader.exec_module(module)
    return sys.modules["patterns_script"]


class _InProcess:
    """An executor that runs in this process (the tests run in parallel already)."""

    def map(self, fn, jobs):
        return [fn(job) for job in jobs]


@cache
def study(name: str, reps: int, households: int) -> pd.DataFrame:
    return getattr(_patterns(), name)(_InProcess(), range(reps), households)


def _by_seed(frame: pd.DataFrame, arm: str, value: str) -> np.ndarray:
    return frame[frame["arm"] == arm].sort_values("seed")[value].to_numpy()


# --------------------------------------------------------------------------------------------------
# criterion 1: contact pays, with diminishing returns
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def intensity():
    return study("intensity", 4, 4000)


def test_doing_nothing_loses_clearly_more(intensity):
    """No collection against the conventional ladder: charge-offs about 2.5-3 times as high and the lender's
    money about half when written. Checks, in every seed: charge-offs at least 1.5 times; money at least 20%
    lower."""
    ladder = _by_seed(intensity, "calls x1", "chargeoff_rate")
    nothing = _by_seed(intensity, "no collection", "chargeoff_rate")
    assert (nothing >= 1.5 * ladder).all(), (nothing, ladder)
    money_ladder = _by_seed(intensity, "calls x1", "pnl")
    money_nothing = _by_seed(intensity, "no collection", "pnl")
    assert (money_nothing < 0.8 * money_ladder).all(), (money_nothing, money_ladder)


def test_halving_the_calls_raises_losses_and_costs_the_lender(intensity):
    """Halving the ladder's call attempts raises the net charge-off rate (Fedaseyeu 2020: about 9% of recoveries
    per restriction on collectors) and lowers the lender's money. The rate, not the dollars: the lender tightens
    underwriting after losses, so its book shrinks. Checks on the means over seeds: the net charge-off rate
    1-30% higher; money lower."""
    ladder = _by_seed(intensity, "calls x1", "chargeoff_rate")
    half = _by_seed(intensity, "calls x0.5", "chargeoff_rate")
    rise = float(np.mean(half / ladder - 1.0))
    assert 0.01 <= rise <= 0.30, rise
    assert np.mean(_by_seed(intensity, "calls x0.5", "pnl") - _by_seed(intensity, "calls x1", "pnl")) < 0


def test_returns_to_contact_diminish_and_turn_negative(intensity):
    """Money gained per step of calls falls: x0.5 to x1 gains more than x1 to x2, and x4 earns less than x2
    (past some intensity more contact stops paying) while complaints rise steeply (at least 30% above x1)."""
    money = {arm: float(np.mean(_by_seed(intensity, arm, "pnl"))) for arm in _patterns().INTENSITY}
    assert money["calls x1"] - money["calls x0.5"] > money["calls x2"] - money["calls x1"]
    assert money["calls x4"] < money["calls x2"]
    complaints = {arm: float(np.mean(_by_seed(intensity, arm, "complaints_per_1000"))) for arm in ("calls x1",
                                                                                                    "calls x4")}
    assert complaints["calls x4"] > 1.3 * complaints["calls x1"]


# --------------------------------------------------------------------------------------------------
# criterion 2: a real frontier
# --------------------------------------------------------------------------------------------------
def test_no_strategy_is_best_on_money_complaints_and_wellbeing_at_once():
    """The default comparison's strategies: more than one is on the frontier of money, complaints and
    well-being (no single strategy beats all others on all three)."""
    frame = study("frontier", 2, 3000)
    means = frame.groupby("arm")[["pnl", "complaints_per_1000", "wellbeing_mean"]].mean()
    best = {"pnl": means["pnl"].idxmax(), "complaints": means["complaints_per_1000"].idxmin(),
            "wellbeing": means["wellbeing_mean"].idxmax()}
    assert len(set(best.values())) > 1, best
    assert _patterns()._dominance(frame).count("`") >= 4  # at least two names, each in backticks


# --------------------------------------------------------------------------------------------------
# criterion 4: caps that bind
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def caps():
    return study("caps", 2, 3000)


def _share(caps: pd.DataFrame, regime: str, rule: str) -> float:
    shares = _patterns().clipped_shares(caps)
    return float(shares[(shares["arm"] == regime) & (shares["rule"] == rule)]["share_of_requested_calls"].iloc[0])


def test_regulation_f_clips_an_aggressive_creditors_calls_and_changes_its_outcomes(caps):
    """Applied to the creditor's own calls, Regulation F's 7 days of silence after a conversation clip about a
    fifth of what an aggressive lender asks for, and its 7-in-7 cap about 1% more (the silence has already
    spaced most calls out); the calls made and complaints fall against no rules. Checks: at least 5% and
    0.3%; calls made below 80% of those without rules; fewer complaints."""
    assert _share(caps, "us_reg_f_creditors", "weekly_cap") >= 0.003
    assert _share(caps, "us_reg_f_creditors", "after_conversation") >= 0.05
    made = {r: caps[caps["arm"] == r]["call_attempts"].mean() for r in ("none", "us_reg_f_creditors")}
    assert made["us_reg_f_creditors"] < 0.8 * made["none"]
    complaints = {r: caps[caps["arm"] == r]["complaints_per_1000"].mean() for r in ("none", "us_reg_f_creditors")}
    assert complaints["us_reg_f_creditors"] < complaints["none"]
    # Regulation F as written covers only third-party collectors: the creditor's own calls are free
    assert _share(caps, "us_reg_f", "weekly_cap") < _share(caps, "us_reg_f_creditors", "weekly_cap")


def test_the_two_china_regimes_differ_where_their_rules_differ(caps):
    """china_2018 caps attempts at 3 a day, the 2026 guideline at 6: the first clips on the daily cap (about
    0.7% of requested calls), the second does not. Check: a difference of at least 0.2%."""
    assert _share(caps, "china_2018", "daily_cap") > _share(caps, "china_cba_2026", "daily_cap") + 0.002


def test_an_adaptive_regulator_tightens_and_conduct_changes():
    frame = study("regulator", 2, 3000)
    adaptive = frame[frame["arm"] == "adaptive regulator"]
    free = frame[frame["arm"] == "no regulator"]
    assert (adaptive["tightenings"] > 0).all()
    assert adaptive["call_attempts"].mean() < 0.9 * free["call_attempts"].mean()
    assert (adaptive["clipped_weekly_cap"] + adaptive["clipped_daily_cap"]).min() > 0


# --------------------------------------------------------------------------------------------------
# criterion 5: mechanisms that matter
# --------------------------------------------------------------------------------------------------
def test_threats_work_only_when_suits_follow():
    """The effect of threats of legal action depends on whether suits follow. From a collector that sues
    (balances of $500 or more from 60 days past due) a threat is believed: it adds to the pressure of the
    coming suit and costs the lender nothing on net (P&L +$0.01M [-0.2, 0.2], 6 x 5,000 households). From
    one that never sues it carries no weight, and only costs goodwill and draws harassment: P&L -$0.57M.
    Checks on the means of three seeds: without suits threats cost the lender money, and at least $0.2M more
    than with suits."""
    frame = study("threats", 3, 3000)
    pnl = {arm: _by_seed(frame, arm, "pnl") for arm in dict.fromkeys(frame["arm"])}
    with_suits = float(np.mean(pnl["suits, threats"] - pnl["suits, no threats"]))
    without = float(np.mean(pnl["no suits, threats"] - pnl["no suits, no threats"]))
    assert without < 0, without
    assert with_suits - without > 0.2, (with_suits, without)


def test_less_literate_households_misread_more():
    frame = study("literacy", 2, 3000)
    means = frame.groupby("arm", sort=False)[["misunderstanding_mean", "disputes_per_1000"]].mean()
    low, mid, high = (means.loc[f"literacy {x:g}"] for x in (0.35, 0.55, 0.75))
    assert low["misunderstanding_mean"] > 1.15 * mid["misunderstanding_mean"] > 1.15 * high["misunderstanding_mean"]
    assert low["disputes_per_1000"] > mid["disputes_per_1000"] > high["disputes_per_1000"]


def test_more_ties_more_neighbours_bear_the_stress_of_a_visit():
    """Under the aggressive strategy (home visits from 60 days past due), the more ties a household has, the
    more neighbours see each visit: mean well-being about 51.8 with 2 ties, 51.4 with 8 and 50.7 with 20.
    Check: falling with the degree."""
    frame = study("network", 2, 3000)
    wellbeing = frame.groupby("arm", sort=False)["wellbeing_mean"].mean()
    assert wellbeing["degree 2"] > wellbeing["degree 8"] > wellbeing["degree 20"]


# --------------------------------------------------------------------------------------------------
# criterion 6: learning strategies with skill
# --------------------------------------------------------------------------------------------------
def test_data_driven_tells_will_not_from_cannot_better_than_the_score_alone():
    """Among the accounts that did not pay what was due, ``data_driven``'s will-not-pay score separates the
    households that did not mean to pay from those short of cash with an AUC of about 0.96 against the
    model's hidden truth, above the lender's observed score alone (about 0.94), in every replication."""
    frame = study("skill", 2, 3000)
    assert frame["auc_data_driven"].mean() > 0.8
    assert (frame["auc_data_driven"] > frame["auc_score_only"]).all()


# --------------------------------------------------------------------------------------------------
# criterion 5: capacity that binds, and allocation that matters
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def capacity():
    return study("capacity", 2, 4000)


def test_capacity_binds_at_realistic_staffing_and_allocation_matters(capacity):
    """At 0.1 collectors per 1,000 loans the ladder asks for several times the hours it has; which requests
    the hours go to then decides a large part of the lender's money: rationing at random instead of by claim
    times age costs 21% of the P&L and raises charge-offs by about 1 point in docs/patterns.md (6 x 5,000); on
    these 2 x 4,000 households 10% and 19%. Checks: in every seed, hours short at realistic staffing and none at
    the default; random rationing at least 5% less P&L in every seed and at least 12% less on average, and at
    least half a point more charge-offs; rationing by age alone at least 10% less P&L in every seed (the claim
    matters); ``value_based`` above random rationing and within 20% of the ladder's P&L at realistic staffing
    (about as much as the ladder in docs/patterns.md), and, criterion 6, netting more per collector hour than
    the ladder on average (by about $100 an hour, se 15, on 16 paired seeds of 5,000 households when written;
    ranked by gain per hour instead it earned $0.38M [0.01, 0.75] less than the ladder and netted $71 [-6,
    148] an hour less in docs/patterns.md)."""
    short = _by_seed(capacity, "conventional, realistic staffing", "collector_hours_short")
    used = _by_seed(capacity, "conventional, realistic staffing", "collector_hours")
    assert (short > 2 * used).all()
    assert (_by_seed(capacity, "conventional, default staffing", "collector_hours_short") == 0).all()
    ladder = _by_seed(capacity, "conventional, realistic staffing", "pnl")
    at_random = _by_seed(capacity, "conventional rationed at random, realistic staffing", "pnl")
    assert (at_random < 0.95 * ladder).all()
    assert at_random.mean() < 0.88 * ladder.mean()
    assert (_by_seed(capacity, "conventional rationed at random, realistic staffing", "chargeoff_rate")
            > _by_seed(capacity, "conventional, realistic staffing", "chargeoff_rate") + 0.005).all()
    by_age = _by_seed(capacity, "conventional rationed by age, realistic staffing", "pnl")
    assert (by_age < 0.9 * ladder).all()  # the claim matters: -1.7M (-18%) on 16 x 5,000 when written
    learned = _by_seed(capacity, "value_based, realistic staffing", "pnl")
    assert (learned > at_random).all()
    assert (learned > 0.8 * ladder).all()
    per_hour = {arm: _by_seed(capacity, arm, "net_collected_per_hour")
                for arm in ("value_based, realistic staffing", "conventional, realistic staffing")}
    assert per_hour["value_based, realistic staffing"].mean() > per_hour["conventional, realistic staffing"].mean()


# --------------------------------------------------------------------------------------------------
# criterion 3: a card book that looks like one
# --------------------------------------------------------------------------------------------------
#: targets the defaults miss, reported in docs/patterns.md and docs/calibration.md (strict: the suite fails as soon
#: as one starts to hold, so that the mark and the docs get updated)
#: none with the defaults (the 1-29 share, the closest to an edge before, is 3.85% on the calibration report's seeds
#: and 3.84-3.89% on four sets of 8 x 8,000)
BOOK_MISSES: dict[str, str] = {}


@pytest.mark.parametrize("key", [
    pytest.param(key, marks=pytest.mark.xfail(strict=True, reason=BOOK_MISSES[key])) if key in BOOK_MISSES else key
    for key in ["on_time_rate", "balance_share_1-29", "balance_share_30-59", "roll_30-59_to_60-89",
                "roll_60-89_to_90-179"]])
def test_the_calm_book_has_the_shape_of_a_card_book(key):
    """On-time payment, balance shares 1-29 and 30-59 days past due and the roll rates 30-59 to 60-89 and
    60-89 to 90-179 days inside the ranges of public card data (experiments/patterns.py, BOOK_TARGETS), on
    the mean of three replications of 4,000 households."""
    frame = study("book", 3, 4000)
    (lo, hi), _ = _patterns().BOOK_TARGETS[key]
    value = float(frame[key].mean())
    assert lo <= value <= hi, (key, value, (lo, hi))
