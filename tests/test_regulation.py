"""Regulation regimes: rules enforced on the daily calendar at their own time scale, yes/no rules,
would-be violations under a laxer regime, compliance and fines, regime changes and the adaptive
regulator."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.regulation import REGIMES, Rule, clip_requests, run_calendar, spread_over_month, would_clip

SMALL = {"population.n_borrowers": 800, "horizon_months": 10, "burn_in_months": 8}
RNG = np.random.default_rng


def _summary(scenario, seed=2, **overrides):
    return sim.simulate(scenario, seed=seed, **{**SMALL, **overrides}).summary.set_index("lender").loc["all"]


def test_spread_over_month_keeps_every_attempt():
    counts = np.array([0, 1, 7, 29, 30, 31, 90])
    days = spread_over_month(counts)
    assert days.shape == (7, 30) and list(days.sum(axis=1)) == list(counts)
    assert days[4].max() == 1  # 30 attempts: one a day


def test_reg_f_seven_in_seven_days_and_silence_after_a_conversation():
    regime = REGIMES["us_reg_f"]
    calls = np.array([60, 60])
    third_party = np.array([True, True])
    # account 0 never answers; account 1 always answers
    cal = run_calendar(calls, np.zeros(2, int), third_party, np.array([0.0, 1.0]), RNG(0), regime, regime,
                       keep_daily=True)
    day = cal.daily.astype(int)
    c = np.cumsum(day, axis=1)
    window = c - np.concatenate([np.zeros((2, 7), int), c[:, :-7]], axis=1)
    assert window.max() <= 7
    assert cal.attempts[0] > 0 and cal.clipped[Rule.WEEKLY_CAP] > 0
    # a conversation starts a 7-day silence (its own day counts as the first): the next call comes 7 or
    # more days later
    talked_days = np.flatnonzero(day[1])
    assert np.all(np.diff(talked_days) >= 7) and np.diff(talked_days).min() == 7
    assert cal.clipped[Rule.AFTER_CONVERSATION] > 0


def test_reg_f_does_not_cover_first_party_lenders():
    regime = REGIMES["us_reg_f"]
    cal = run_calendar(np.array([60]), np.array([10]), np.array([False]), np.array([0.0]), RNG(0), regime, regime)
    assert cal.attempts[0] == 60 and cal.night_attempts[0] == 10 and cal.clipped.sum() == 0


def test_china_daily_cap_and_quiet_hours():
    regime = REGIMES["china_2018"]
    cal = run_calendar(np.array([150]), np.array([30]), np.array([False]), np.array([0.0]), RNG(0), regime, regime,
                       keep_daily=True)
    assert cal.daily.max() <= 3 and cal.night_attempts[0] == 0
    assert cal.clipped[Rule.QUIET_HOURS] == 30 and cal.clipped[Rule.DAILY_CAP] > 0


def test_none_logs_what_the_reference_would_forbid():
    none, ref = REGIMES["none"], REGIMES["china_2018"]
    cal = run_calendar(np.array([150]), np.array([30]), np.array([False]), np.array([0.0]), RNG(0), none, ref)
    assert cal.attempts[0] == 150 and cal.night_attempts[0] == 30 and cal.clipped.sum() == 0
    assert cal.would_clip[Rule.QUIET_HOURS] == 30 and cal.would_clip[Rule.DAILY_CAP] > 0


def test_non_compliant_collectors_make_violations_not_clips():
    regime = REGIMES["china_2018"]
    cal = run_calendar(np.array([150, 150]), np.array([0, 0]), np.array([False, False]), np.array([0.0, 0.0]),
                       RNG(0), regime, regime, complies=np.array([True, False]))
    assert cal.attempts[0] <= 90 and cal.attempts[1] == 150
    assert cal.violations[Rule.DAILY_CAP] == cal.clipped[Rule.DAILY_CAP]
    executed, clipped, violations = clip_requests(np.array([3, 2, 0]), False, np.array([True, True, False]),
                                                  np.array([True, False, True]))
    assert list(executed) == [0, 2, 0] and clipped == 3 and violations == 2


def test_would_clip_counts_silence_after_conversation():
    day = np.zeros((1, 30), dtype=np.int16)
    day[0, [0, 3, 7, 12]] = 1
    conv = np.zeros((1, 30), dtype=bool)
    conv[0, 0] = True
    out = would_clip(day, np.zeros_like(day), conv, np.array([True]), REGIMES["us_reg_f"])
    # the call on day 3 falls in the 7 days that start with the conversation on day 0; day 7 is allowed
    assert out[Rule.AFTER_CONVERSATION] == 1


def test_third_party_and_social_media_bans():
    lax = _summary("regime_none", strategy="phonebook_pressure")
    strict = _summary("regime_china_2018", strategy="phonebook_pressure")
    assert lax["third_party_contacts"] > 0 and lax["social_media_posts"] > 0
    assert lax["third_party_harm"] > strict["third_party_harm"]
    assert strict["third_party_contacts"] == 0 and strict["social_media_posts"] == 0
    assert strict["clipped_third_party"] > 0 and strict["clipped_social_media"] > 0 and strict["clipped_threats"] > 0


def test_regime_change_at_a_month():
    result = sim.simulate("regime_none", seed=1, **{**SMALL, "horizon_months": 10,
                                                    "regulation.changes": [{"month": 5, "regime": "china_2018"}]})
    monthly = result.monthly[result.monthly.lender == "all"].set_index("month")
    assert monthly.loc[:4, "clipped_quiet_hours"].sum() == 0
    assert monthly.loc[5:, "clipped_quiet_hours"].sum() > 0


def test_regulator_detects_and_fines_violations():
    out = _summary("regime_china_2018", **{"lenders.0.compliance": 0.3, "regulation.detection_probability": 1.0,
                                           "regulation.fine_per_violation": 10.0})
    assert out["violations"] > 0
    # detection probability 1: every violation is fined (one lender, so violations are whole numbers)
    assert out["fines"] == pytest.approx(10.0 * out["violations"])
    clean = _summary("regime_china_2018")
    assert clean["violations"] == 0 and clean["fines"] == 0


def test_adaptive_regulator_tightens_caps_when_complaints_stay_high():
    model = sim.CollectionModel("regime_china_2018", rng=1, **{**SMALL, "regulation.adaptive": True,
                                                               "regulation.complaint_threshold": 0.0,
                                                               "regulation.patience_months": 2})
    model.run()
    assert model.regulator.tightenings >= 2
    assert model.regime.name.endswith("+") and model.regime.max_attempts_per_day < 3


def test_dispute_pause_under_reg_f_for_third_party_collectors():
    out = _summary("regime_us_reg_f", strategy="outsource_early",
                   **{"behaviour.misunderstanding_mean": 0.5, "horizon_months": 14})
    assert out["clipped_dispute_pause"] > 0


def test_weekly_call_cap_is_a_scenario_parameter_for_sweeps():
    """regulation.weekly_call_cap overrides the regime's 7-day cap for every collector (a number), removes it
    ("unlimited") or keeps it ("regime"): tighter caps make fewer calls and clip more."""
    runs = {cap: _summary("regime_none", **{"regulation.weekly_call_cap": cap})
            for cap in (1, 7, "unlimited")}
    assert runs[1]["call_attempts"] < runs[7]["call_attempts"] <= runs["unlimited"]["call_attempts"]
    assert runs[1]["clipped_weekly_cap"] > runs[7]["clipped_weekly_cap"] >= 0
    assert runs["unlimited"]["clipped_weekly_cap"] == 0


def test_calendar_in_blocks_is_the_calendar_in_one_piece(monkeypatch):
    """Large months are run in blocks of accounts; the outcome (draws included) must not depend on it."""
    from sim import regulation

    rng = np.random.default_rng(0)
    n = 9_000
    calls, night = rng.integers(0, 40, n), rng.integers(0, 5, n)
    third, complies = rng.random(n) < 0.5, rng.random(n) < 0.9
    p_answer = rng.choice([0.1, 0.2, 0.3], n)

    def month(block: int):
        monkeypatch.setattr(regulation, "CALENDAR_BLOCK", block)
        return regulation.run_calendar(calls, night, third, p_answer, np.random.default_rng(5), REGIMES["us_reg_f"],
                                       REGIMES["china_2018"], complies, keep_daily=True)

    whole, blocks = month(10**9), month(1_000)
    for field in ("attempts", "night_attempts", "conversations", "clipped", "would_clip", "violations", "daily",
                  "daily_night"):
        assert np.array_equal(getattr(whole, field), getattr(blocks, field)), field
    assert whole.clipped.sum() > 0 and whole.would_clip.sum() > 0 and whole.violations.sum() > 0


def _would_clip_by_hand(day, night, conv, regime) -> np.ndarray:
    """Rule counts account by account and day by day, as the regulation reads."""
    out = np.zeros(len(Rule), dtype=np.int64)
    for i in range(day.shape[0]):
        total = day[i].astype(int) + night[i]
        if regime.quiet_hours:
            out[Rule.QUIET_HOURS] += int(night[i].sum())
        for d in range(day.shape[1]):
            if regime.max_attempts_per_day is not None:
                out[Rule.DAILY_CAP] += max(total[d] - regime.max_attempts_per_day, 0)
            if regime.max_attempts_per_7_days is not None:
                window = total[max(0, d - 6): d + 1].sum()
                out[Rule.WEEKLY_CAP] += min(max(window - regime.max_attempts_per_7_days, 0), total[d])
            # silence for k days counting the day of the conversation as the first (Reg F): days d+1 .. d+k-1
            k = regime.quiet_days_after_conversation
            if k and conv[i, max(0, d - k + 1): d].any():
                out[Rule.AFTER_CONVERSATION] += total[d]
    return out


@pytest.mark.parametrize("name", ["us_reg_f", "china_2018", "china_cba_2026"])
def test_would_clip_matches_the_rules_read_day_by_day(name):
    rng = np.random.default_rng(11)
    n = 300
    calls = rng.choice([0, 2, 5, 9, 20, 60], n)
    day = spread_over_month(calls).astype(np.int16)
    night = spread_over_month(rng.choice([0, 0, 3, 10], n)).astype(np.int16)
    conv = (rng.random(day.shape) < 0.2) & (day + night > 0)
    covered = rng.random(n) < 0.8
    regime = REGIMES[name]
    expected = _would_clip_by_hand(day[covered], night[covered], conv[covered], regime)
    assert np.array_equal(would_clip(day, night, conv, covered, regime), expected)
    assert expected.sum() > 0
