"""The calibration targets of the brief, checked on the scenario defaults with the replications that
docs/calibration.md reports (seeds 100-115, 8,000 households; experiments/calibrate.py's own functions).

A target that the current defaults miss is marked ``xfail(strict=True)``: they are reported as known
failures, and the suite fails when one starts to hold so that the mark (and the docs) get updated.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(100, 116)
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
        "halving_rise": float(np.mean([p[1]["halving_rise"] for p in pairs])),
        "halving_pnl": float(np.mean([p[1]["halving_pnl"] for p in pairs])),
        "contact_response": cal.CONTACT_RESPONSE,
        "recovery_share": float(np.mean([p[1]["recovery_share"] for p in pairs])),
        "recovery_target": cal.RECOVERY_SHARE,
    }


def test_baseline_delinquency_about_four_percent(runs):
    assert 3.5 <= runs["baseline_delinquency"] <= 4.5


def test_baseline_chargeoffs_three_to_four_and_a_half_percent(runs):
    assert 3.0 <= runs["baseline_chargeoff"] <= 4.5


def test_halving_the_calls_raises_the_chargeoff_rate_about_as_a_restriction_lowers_recoveries(runs):
    """The fitted return to contact (pattern 9): halving the conventional ladder's call attempts raises the
    baseline's charge-off rate by 5-15% on paired seeds (Fedaseyeu 2020: about 9% of recoveries per state
    restriction on collectors; 10.9% here) and costs the lender money."""
    lo, hi = runs["contact_response"]
    assert lo <= runs["halving_rise"] <= hi
    assert runs["halving_pnl"] < 0


def test_recoveries_after_chargeoff_are_what_card_issuers_report(runs):
    """Pattern 5, fitted: the conventional ladder recovers 10-30% of what it charges off (payments and garnished
    wages on charged-off claims, what its agency passes on, sale proceeds), as US card issuers did (American
    Banker 2012: 0.8-0.9% of receivables a year in 2006-07, about 17-18% of gross charge-offs). Garnishment
    needs an order served on the employer (ODD 7.5); without that every employed household under judgment
    repaid its whole claim and recoveries were 42%."""
    lo, hi = runs["recovery_target"]
    assert lo <= runs["recovery_share"] <= hi


def test_recession_delinquency_peaks_near_2009q2(runs):
    q, d = runs["quarter"], runs["delinquency"]
    assert q["2008Q4"] <= int(np.argmax(d)) <= q["2009Q4"]  # within two quarters of 2009Q2


def test_recession_delinquency_peak_in_range(runs):
    """6.20% with these replications (docs/calibration.md); other sets of eight seeds give 6.06-6.27%."""
    assert 6.0 <= float(np.max(runs["delinquency"])) <= 7.6


def test_recession_chargeoffs_peak_in_range_in_2009q3_to_2010q4(runs):
    q, c = runs["quarter"], runs["chargeoff"]
    peak = int(np.argmax(c))
    assert 9.0 <= c[peak] <= 12.0
    assert q["2009Q3"] <= peak <= q["2010Q4"]


def test_recession_delinquency_below_four_and_a_half_percent_by_2011q4(runs):
    # 3.43% with these replications (docs/calibration.md); the CARD Act's ability-to-pay rule from February 2010
    # (scenarios/recession.toml) helps
    assert runs["delinquency"][runs["quarter"]["2011Q4"]] < 4.5


def test_new_lending_trough_is_about_half_of_2007(runs):
    # 42% of 2007 with the fitted supply response (docs/calibration.md)
    assert 0.30 <= runs["trough"] <= 0.55


def test_calibrate_script_smoke_run_writes_its_report(tmp_path):
    """``calibrate.py --tiny`` runs the whole pipeline (a two-point fit, the report, the figure) in seconds and
    writes a page that names the exact command, options included, with one row per target of the brief."""
    out = tmp_path / "cal"
    proc = subprocess.run([sys.executable, str(ROOT / "experiments" / "calibrate.py"), "--tiny", "--workers", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = (out / "calibration_tiny.md").read_text()
    assert f"Generated by `python experiments/calibrate.py --tiny --workers 1 --out {out}`" in page
    assert (out / "img" / "calibration_tiny.png").read_bytes()[:4] == b"\x89PNG"
    table = pd.read_csv(out / "calibration_tiny_fit.csv")
    assert len(table) == 17 and {"statistic", "model", "target", "met"} <= set(table.columns)
    assert "30+ delinquency in 2011Q4 (%)" in set(table["statistic"])


def test_calibrate_script_refuses_bad_options(tmp_path):
    """Bad numbers are refused with one line and exit status 2."""
    proc = subprocess.run([sys.executable, str(ROOT / "experiments" / "calibrate.py"), "--reps", "0",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "must be positive" in proc.stderr
