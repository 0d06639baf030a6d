"""The calibration targets of the brief, checked on the scenario defaults with the replications that
docs/calibration.md reports (seeds 100-107, 8,000 households; experiments/calibrate.py's own functions).

A target that the current defaults miss is marked ``xfail(strict=True)``: they are reported as known
failures, and the suite fails when one starts to hold so that the mark (and the docs) get updated.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(100, 108)
HOUSEHOLDS = 8_000


def _calibrate_module():
    spec = importlib.util.spec_from_file_location("calibrate_script", ROOT / "experiments" / "calibrate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["calibrate_script"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def runs():
    cal = _calibrate_module()
    pairs = [cal.run_pair(({}, seed, HOUSEHOLDS)) for seed in SEEDS]
    recession = [p[0] for p in pairs]
    quarters = cal.load_data()["quarter"].tolist()
    return {
        "baseline_delinquency": float(np.mean([p[1]["delinquency"] for p in pairs])),
        "baseline_chargeoff": float(np.mean([p[1]["chargeoff"] for p in pairs])),
        "delinquency": np.mean([r["delinquency"].to_numpy() for r in recession], axis=0),
        "chargeoff": np.mean([r["chargeoff"].to_numpy() for r in recession], axis=0),
        "trough": cal.origination_trough(sum(recession) / len(recession)),
        "quarter": {label: i for i, label in enumerate(quarters)},
    }


def test_baseline_delinquency_about_four_percent(runs):
    assert 3.5 <= runs["baseline_delinquency"] <= 4.5


def test_baseline_chargeoffs_three_to_four_and_a_half_percent(runs):
    assert 3.0 <= runs["baseline_chargeoff"] <= 4.5


def test_recession_delinquency_peaks_in_range_near_2009q2(runs):
    q, d = runs["quarter"], runs["delinquency"]
    peak = int(np.argmax(d))
    assert 6.0 <= d[peak] <= 7.6
    assert q["2008Q4"] <= peak <= q["2009Q4"]  # within two quarters of 2009Q2


def test_recession_chargeoffs_peak_in_range_in_2009q3_to_2010q4(runs):
    q, c = runs["quarter"], runs["chargeoff"]
    peak = int(np.argmax(c))
    assert 9.0 <= c[peak] <= 12.0
    assert q["2009Q3"] <= peak <= q["2010Q4"]


def test_recession_delinquency_below_four_and_a_half_percent_by_2011q4(runs):
    # 4.47% with these replications: met by a small margin (docs/calibration.md), thanks to the CARD Act's
    # ability-to-pay rule from February 2010 (scenarios/recession.toml)
    assert runs["delinquency"][runs["quarter"]["2011Q4"]] < 4.5


@pytest.mark.xfail(strict=True, reason="known miss: new lending falls to 80% of 2007 (data: about half); the "
                                       "credit-supply response is not fitted yet (docs/calibration.md)")
def test_new_lending_trough_is_about_half_of_2007(runs):
    assert 0.30 <= runs["trough"] <= 0.55
