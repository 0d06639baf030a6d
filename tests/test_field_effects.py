"""Effect sizes from field experiments and the several-lenders externality (issue 3, criteria 4 and 10).

Runs ``experiments/field_effects.py --tiny`` and ``experiments/externality.py --tiny`` once each (fixed
seeds 0-1, 2,000-2,500 households) and checks the key numbers they write, with tolerances stated
next to each check. Tolerances are wide enough for two replications of a small population and narrow
enough to fail if a mechanism breaks (a reminder that does nothing, a write-down that does not lower
default, education that does not fade, aggressive collection that does not cost the market). The
documented figures come from the scripts' full settings (docs/field_effects.md, docs/externality.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "experiments" / f"{script}.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def field(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("field_effects")
    proc = run("field_effects", "--tiny", "--no-progress", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("externality")
    proc = run("externality", "--tiny", "--no-progress", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def value(table: pd.DataFrame, quantity: str, **where: str) -> pd.Series:
    sel = table["quantity"] == quantity
    for key, v in where.items():
        sel &= table[key] == v
    assert sel.sum() == 1, (quantity, where)
    return table[sel].iloc[0]


# --------------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("script", ["field_effects", "externality"])
def test_help(script):
    proc = run(script, "--help")
    assert proc.returncode == 0
    assert "usage:" in proc.stdout and "--tiny" in proc.stdout and "--reps" in proc.stdout


@pytest.mark.parametrize("script,args,message", [
    ("field_effects", ["--reps", "1"], "--reps must be at least 2"),
    ("field_effects", ["--only", "astrology"], "unknown experiment 'astrology'"),
    ("field_effects", ["--horizon", "12"], "--horizon must be at least"),
    ("field_effects", ["--households", "many"], "invalid int value"),
    ("field_effects", ["--education-households", "50"], "must be at least 100"),
    ("externality", ["--reps", "1"], "--reps must be at least 2"),
    ("externality", ["--households", "5"], "--households must be at least 100"),
])
def test_bad_input_is_one_line_and_exit_status_2(tmp_path, script, args, message):
    proc = run(script, "--out", str(tmp_path), *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not any(tmp_path.iterdir())  # nothing written


# --------------------------------------------------------------------------------------------------
# criterion 10: field experiments
# --------------------------------------------------------------------------------------------------
def test_outputs_and_page(field):
    page = (field / "field_effects.md").read_text()
    assert "python experiments/field_effects.py --tiny" in page  # the exact command
    for stem in ("field_effects_reminders", "field_effects_writedowns", "field_effects_education"):
        assert (field / "img" / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
        svg = (field / "img" / f"{stem}.svg").read_text()
        assert "<svg" in svg
    assert "on time" in (field / "img" / "field_effects_reminders.svg").read_text()
    assert "month" in (field / "img" / "field_effects_education.svg").read_text()


def test_reminders_raise_on_time_payment_by_about_7_to_9_percent(field):
    """Cadena & Schoar (2011): 7-9%. Tiny run (2 x 2,500 households) gives about 7.4%; tolerance 5-10%."""
    t = pd.read_csv(field / "field_effects_reminders.csv")
    rise = value(t, "relative rise in on-time rate (treated / control - 1)")
    assert 0.05 <= rise["mean"] <= 0.10
    control = value(t, "on-time rate, no reminders")["mean"]
    treated = value(t, "on-time rate, pre-due reminders")["mean"]
    assert 0.7 < control < treated < 1.0


@pytest.mark.xfail(strict=True, reason="known miss: a plan's re-ageing restores the intention to pay, so lower "
                   "payments also cut 12-month default (-15.4 pp against -32.0 pp for write-downs) and the book's "
                   "30+ share (by 0.4 point; docs/field_effects.md); re-ageing only after three plan payments "
                   "(FFIEC) restores the pattern but no refit kept the card-cycle calibration with it (ODD 7.11)")
def test_writedowns_lower_default_where_lower_payments_do_not():
    """Dobbie & Song (2020), from the committed full-size run (docs/field_effects_writedowns.csv, 10 x 8,000
    households; the tiny run is too noisy for effects of this size): in the share of the 30+ cohort charged off
    within 12 months, write-downs -32.0 pp and lower payments -15.4 pp with the current defaults. Checks: the
    write-down effect is at least 3 pp below zero and at least 5 pp below the lower-payment effect; on the whole
    book the write-down arm has fewer accounts 30+ days late than both other arms, and lower payments do not
    lower that share by more than 0.2 point (Dobbie & Song find no significant effect of lower payments on
    default)."""
    t = pd.read_csv(ROOT / "docs" / "field_effects_writedowns.csv")
    wd = value(t, "charged_off_share", arm="write-down - no relief")["mean"]
    lp = value(t, "charged_off_share", arm="lower payments - no relief")["mean"]
    assert wd <= -0.03
    assert wd <= lp - 0.05
    late = {arm: value(t, "accounts_30plus_share", arm=arm)["mean"]
            for arm in ("no relief", "lower payments", "write-down")}
    assert late["write-down"] < min(late["no relief"], late["lower payments"])
    assert late["lower payments"] >= late["no relief"] - 0.002  # lower payments do not help
    # offers are made and taken in both relief arms, none in the control arm
    assert value(t, "offers_accepted", arm="no relief")["mean"] == 0
    assert value(t, "offers_accepted", arm="write-down")["mean"] > 50
    assert value(t, "offers_accepted", arm="lower payments")["mean"] > 50


def test_education_effect_is_small_and_does_not_touch_payment(field):
    """Fernandes, Lynch & Netemeyer (2014): small effects. The tiny run (2 x 6,000 households) is too small
    to sign the effect on disputes (it gives about +2%); checks: the relative difference in disputes while
    the programme runs is under 30% in size (education cuts misunderstanding by 15% at most), and
    on-time payment moves by less than 1% in either window."""
    t = pd.read_csv(field / "field_effects_education.csv")
    early = value(t, "relative difference in disputes", window="months 1-6")["mean"]
    assert abs(early) < 0.30
    for window in ("months 1-6", "months 18-30"):
        assert abs(value(t, "relative difference in on time rate", window=window)["mean"]) < 0.01


def test_education_effect_fades():
    """The fading itself, measured where the tiny run is too noisy: the mean monthly difference in
    disputes in the documented run (10 x 30,000 households), months 18-30 against months 1-6: the early
    effect is a fall with its 95% CI below zero, and the late one is under half of it in size (the
    documented tables are committed: `python experiments/field_effects.py` writes them)."""
    path = ROOT / "docs" / "field_effects_education.csv"
    assert path.exists(), "docs/field_effects_education.csv is missing: run python experiments/field_effects.py"
    t = pd.read_csv(path)
    early = value(t, "difference in disputes per 1,000 (education - none)", window="months 1-6")
    late = value(t, "difference in disputes per 1,000 (education - none)", window="months 18-30")
    assert early["ci_high"] < 0  # a real effect while the programme runs
    assert abs(late["mean"]) < abs(early["mean"]) / 2


# --------------------------------------------------------------------------------------------------
# criterion 4: several lenders, one budget
# --------------------------------------------------------------------------------------------------
def test_externality_outputs_and_page(market):
    page = (market / "externality.md").read_text()
    assert "python experiments/externality.py --tiny" in page
    assert (market / "img" / "externality.png").read_bytes()[:4] == b"\x89PNG"
    svg = (market / "img" / "externality.svg").read_text()
    assert "net recovery" in svg and "market" in svg
    levels = pd.read_csv(market / "externality.csv")
    assert set(levels["lender"]) == {"A", "B", "all"}
    # many households owe both lenders (tiny run: about 50%)
    assert value(levels, "owes_both_share", market="(a) both conventional", lender="all")["mean"] > 0.25


def test_all_lenders_do_worse_when_both_are_aggressive():
    """(c) against (a), from the committed full-size run (docs/externality_effects.csv, 5 x 6,000 households;
    the tiny run is too noisy): total collected about -13%, net recovery about -0.6 pp, well-being about
    -0.7 points. Checks: each is below zero with a margin (collected at least 3% lower, net recovery at least
    0.5 pp, well-being at least 0.5 points)."""
    e = pd.read_csv(ROOT / "docs" / "externality_effects.csv")
    where = {"market": "(c) both aggressive", "lender": "all"}
    assert value(e, "collected", kind="relative", **where)["mean"] < -0.03
    assert value(e, "recovery_rate_net", kind="difference", **where)["mean"] < -0.005
    assert value(e, "wellbeing_mean", kind="difference", **where)["mean"] < -0.5


def test_aggressive_lender_harms_the_other_lenders_borrowers(market):
    """(b) against (a), tiny run: the well-being of B's borrowers falls by about 4.7 points although B did not
    change its strategy, and A's own collections fall by about 15% (in this model aggression does not pay
    the aggressor: reactance, lost goodwill and no plans outweigh its larger share of short budgets; see
    docs/externality.md). Checks: B's borrowers lose at least 0.3 points; A's collections do not rise by
    more than 2%."""
    e = pd.read_csv(market / "externality_effects.csv")
    b = "(b) A aggressive, B conventional"
    assert value(e, "wellbeing_mean", kind="difference", market=b, lender="B")["mean"] < -0.3
    assert value(e, "collected", kind="relative", market=b, lender="A")["mean"] < 0.02


def test_each_lender_has_the_collectors_its_strategy_needs(market):
    """Pressing and aggressive lenders hire collectors for their calls (``STAFFING``), so the markets compare
    pressure, not understaffing: in the tiny run at most about 3% of any lender's requested collector hours
    are dropped (with one collector per 1,000 loans a pressing lender lost more than half). Check: below 5%
    for every lender in every market."""
    levels = pd.read_csv(market / "externality.csv")
    shortfall = levels[levels["quantity"] == "capacity_shortfall"]
    assert len(shortfall) == 3 * 8
    assert shortfall["mean"].max() < 0.05


def test_side_effect_free_markets_isolate_pressure(market):
    """Markets (f) to (h) switch off the goodwill, stress, reactance and reputation effects of contact: the
    goodwill of late accounts then no longer falls with calls beyond the tolerance and threats (tiny run:
    about 0.20 in (a), 0.27 in (f)), pressing raises the pressure on A's late accounts (concave in contact:
    about 0.34 to 0.41), and (g) and (h) are compared with (f), not (a). Checks: goodwill in (f) above (a)
    by at least 0.03; A's pressure in (g) above (f) by at least 0.03; the page reports the side-effect-free
    comparison."""
    levels = pd.read_csv(market / "externality.csv")
    effects = pd.read_csv(market / "externality_effects.csv")
    f, g = "(f) both conventional, no contact side effects", "(g) A pressing, B conventional, no contact side effects"
    gw = {m: value(levels, "goodwill_mean", market=m, lender="A")["mean"] for m in ("(a) both conventional", f)}
    assert gw[f] - gw["(a) both conventional"] > 0.03
    pressure = {m: value(levels, "pressure_mean", market=m, lender="A")["mean"] for m in (f, g)}
    assert pressure[g] - pressure[f] > 0.03
    # (g)'s effects are differences against (f), paired by seed: their mean is the difference of the means
    diff = value(effects, "wellbeing_mean", market=g, lender="A", kind="difference")["mean"]
    levels_wb = {m: value(levels, "wellbeing_mean", market=m, lender="A")["mean"] for m in (f, g)}
    assert diff == pytest.approx(levels_wb[g] - levels_wb[f], abs=1e-9)
    page = (market / "externality.md").read_text()
    assert "| (g) A pressing, B conventional, no contact side effects | (f) | A |" in page
    assert "Markets (f) to (h) rerun (a), (d) and (e)" in page


def test_single_lender_call_intensity_study(market):
    """The single-lender study behind the claim's first half: one lender runs the conventional ladder with its
    calls scaled by 0.5, 1 and 2.5, side effects of contact on and off. Tiny run: with the defaults, 2.5 times
    the calls raise complaints per 1,000 and cut the well-being of its borrowers in collection from about
    50.9 to 50.1 (calls within the household's tolerance cost no goodwill, but each adds stress). Checks: both
    move that way, by at least 3 complaints and 0.4 points; with the side effects off, well-being at 2.5 times
    the calls is within 1 point of the ladder's (no stress from calls); relative changes are against scale 1;
    the page shows the table."""
    single = pd.read_csv(market / "externality_single_lender.csv")

    def level(scale: float, side: bool, outcome: str) -> float:
        sel = ((single["scale"] == scale) & (single["side_effects"] == side) & (single["quantity"] == outcome)
               & (single["kind"] == "level"))
        assert sel.sum() == 1
        return float(single[sel]["mean"].iloc[0])

    assert level(2.5, True, "complaints_per_1000") - level(1.0, True, "complaints_per_1000") > 3
    assert level(1.0, True, "wellbeing_mean") - level(2.5, True, "wellbeing_mean") > 0.4
    assert abs(level(2.5, False, "wellbeing_mean") - level(1.0, False, "wellbeing_mean")) < 1
    relative = single[single["kind"] == "relative"]
    assert set(relative["scale"]) == {0.5, 2.5}
    page = (market / "externality.md").read_text()
    assert "## The marginal return to contact, one lender" in page
    assert "| on (defaults) | 2.5 |" in page and "| off | 0.5 |" in page
