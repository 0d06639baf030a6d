"""Calibrate a small set of parameters to the 2006-07 baseline and the 2006-2011 card cycle.

Fitted parameters (and their search ranges):

- ``population.attention_mean``: the chance of remembering a due date (0.97-0.999);
- ``behaviour.catch_up_rate``: the chance that a household one payment behind that means to pay clears
  its arrears (0.5-0.99);
- ``tactics.offer_acceptance``: the chance that a willing household accepts a restructuring offer (0.2-1),
  which sets how many accounts 60+ days past due are re-aged by a plan;
- ``economy.unemployment_insurance_replacement``: income replaced while unemployed (0.15-0.6);
- ``economy.duration_dependence``: fall in job finding per month of unemployment (0.85-0.99);
- ``behaviour.willingness_intercept``: intercept of the payment-intention logit (-2.5 to 1);
- ``behaviour.delinquency_weight``: fall in the logit per missed cycle (-4 to -1.5);
- ``behaviour.delinquency_cap``: missed cycles beyond which that fall stops (2.5-6; a fraction caps it between
  two whole cycles), which sets how often households far behind come back and so the ratio of charge-offs to
  delinquency;
- ``lenders.0.supply_sensitivity`` (written as the default of every lender): rise in the approval cutoff
  per unit of expected annual loss above target (1-30), that is how hard underwriting tightens after losses;
- ``tactics.call_answer_rate``: the chance that a call attempt reaches a reachable household (0.05-0.4). Public
  figures span this range and more (right-party contacts per dial from well under 1% with predictive dialers
  to 20-30% per call), so it is pinned by a pattern instead: the return to contact below.

Targets: the quarterly 30+ delinquency and charge-off rates of US credit cards, 2006Q1-2011Q4
(``data/us_credit_cards_2006_2011.csv``; charge-off quarters without a verified figure are left out of
the fit), run through ``scenarios/recession.toml``; the calm-times baseline (``scenarios/baseline.toml``):
annual charge-off 3-4.5% and 30+ delinquency about 4%; and the fall in new lending, which pins the
strength of the credit-supply response: new card accounts at their trough 30-55% of the 2007 level
(Equifax: new bankcards opened in January-November 2009 were 54.5% fewer than in January-November 2007,
29.1 against 64 million, Equifax New Account Trends, January 2010; 54% fewer in July 2009 than in July
2008, Equifax Credit Trends, September 2009, which also reports the share going to scores below 660
nearly halved). The model's statistic is the lowest quarter of new lending ($) from 2008 on over the
2007 quarterly mean; and the shape of the baseline's card book (``experiments/patterns.py``,
``BOOK_TARGETS``): on-time payment, the balance shares 1-29 and 30-59 days past due, and the monthly roll
rates 30-59 to 60-89 and 60-89 to 90-179 days, each inside the range of public card data; and the return
to contact (pattern-oriented modelling, Grimm et al. 2005): halving the conventional ladder's call attempts
raises the baseline's annual net charge-off rate by 5-15% on paired seeds, around Fedaseyeu (2020)'s finding
that each state restriction on collectors lowers card recovery rates by about 9% of their mean; and what
the ladder recovers after charge-off (payments, garnished wages and sale proceeds on charged-off claims):
10-30% of its gross charge-offs, as US card issuers report (American Banker, 2012: the 18 largest issuers
recovered 0.8-0.9% of receivables a year in 2006-07, about 17-18% of gross charge-offs).

Method: the loss is the mean squared error in percentage points over the fitted quarters (delinquency
and charge-off weighted equally), plus a penalty for a baseline outside its target ranges, for
recession peaks outside theirs (30+ delinquency 6.0-7.6%, charge-off 9-12%), for 2011Q4 delinquency
at or above 4.5%, for a trough of new lending outside 30-55% of 2007 (the baseline's charge-off rate, the
delinquency peak and the balance shares are kept ``MARGIN``, 0.2 point, inside their ranges, so that the seeds'
noise does not take them out on other seeds), for a book shape outside its ranges and
for a return to contact or recoveries outside their ranges; every
evaluation uses the same seeds (common random numbers). A Latin hypercube of ``--points`` candidates is
followed by Nelder-Mead from the best one for ``--iterations`` evaluations.

Outputs (into ``--out``, default ``results/calibrate``; ``--out docs`` regenerates the committed
``docs/calibration.md`` and its figure): ``calibration.png``/``.svg`` (in ``OUT/img``) (model against data, mean and
5-95% band across ``--reps`` replications), ``calibration_fit.csv`` (fit statistics and target checks),
``calibration.md`` (the same as a table, with the command). ``--write`` puts the fitted values into the
defaults in ``sim/config.py``.

Usage:
    python experiments/calibrate.py                     # fit, report, figure (about 10 minutes)
    python experiments/calibrate.py --report-only       # figure and table for the current defaults
    python experiments/calibrate.py --report-only --out docs   # the same, as docs/calibration.md
    python experiments/calibrate.py --tiny              # a fast smoke run (tests)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "experiments"))

from patterns import BOOK_TARGETS  # noqa: E402

import sim  # noqa: E402
from sim.progress import progress_bar  # noqa: E402

DATA = ROOT / "data" / "us_credit_cards_2006_2011.csv"
PARAMETERS = {
    "population.attention_mean": (0.97, 0.999),
    "behaviour.catch_up_rate": (0.5, 0.99),
    "tactics.offer_acceptance": (0.2, 1.0),
    "economy.unemployment_insurance_replacement": (0.15, 0.6),
    "economy.duration_dependence": (0.85, 0.99),
    "behaviour.willingness_intercept": (-2.5, 1.0),
    "behaviour.delinquency_weight": (-4.0, -1.5),
    "lenders.0.supply_sensitivity": (1.0, 30.0),
    "tactics.call_answer_rate": (0.05, 0.4),
    "behaviour.delinquency_cap": (2.5, 6.0),
}
#: where the current defaults of the fitted set come from (the report-only page says so)
PROVENANCE = ("They come from fits after short hours (ODD 7.3: the share of the employed on part time for "
              "economic reasons rises with unemployment, as it did in 2006-2011) deepened the recession, each "
              "started from the defaults before it. First `python experiments/calibrate.py --points 16 --iterations "
              "140 --fit-seeds 8 --households 8000` (best loss 1.07 against 2.14 for the defaults it started from). "
              "The second kept the recession's delinquency peak, the balance shares and the baseline's charge-off "
              "rate 0.2 point inside their ranges (`MARGIN`: the seeds' noise is 0.1-0.3 point): `--points 4 "
              "--iterations 110`, which left the peak at 5.97%, a miss by a hair. The third keeps the baseline's "
              "delinquency 0.2 point above its floor too and weighs the targets five times more against the "
              "series' errors (a squared distance is cheap near an edge). Started from the second fit's values it "
              "found little (the same seven parameters with the default weight reached the peak, 6.09%, but put the "
              "share of balances 1-29 days late at 4.04% on 5,000 households; with weight 20 it did not move), so it "
              "started from the second fit's values with the "
              "weight of a missed cycle and its cap set to -3.1 and 3.0 (a probe: hope that fades faster leaves "
              "fewer accounts 1-29 days late and more 30+), `--points 4 --iterations 120 --fit-seeds 8 --households "
              "8000 --target-weight 20 --fit behaviour.willingness_intercept,economy.duration_dependence,"
              "population.attention_mean,economy.unemployment_insurance_replacement,behaviour.catch_up_rate,"
              "behaviour.delinquency_weight,behaviour.delinquency_cap` (best loss 0.88; the other three "
              "parameters keep the second fit's values). On the report's seeds that fit put recoveries after "
              "charge-off at 30.2%, just above their range; the cap trades them against the baseline's charge-off "
              "rate, so it was refitted alone with recoveries kept a point below their ceiling "
              "(`RECOVERY_MARGIN`): on eight seeds it stayed at 3.015, on sixteen (`--points 2 --iterations 16 "
              "--fit-seeds 16 --target-weight 20 --fit behaviour.delinquency_cap`) it went to 3.168, where the "
              "charge-off rate is 4.50% on the report's seeds, just inside. The default, 3.10, is set by hand "
              "between the two, where both are inside with room for the seeds' noise. Complaints feed back on "
              "payments through the lender's reputation, so halving the complaint hazard of a month in litigation "
              "(`behaviour.complaint_threat` 0.02, ODD 7.16) after the fits moved the outcomes a little: with "
              "these defaults every target is met on the report's 16 replications; on other sets of eight seeds "
              "the recession's delinquency peak is 6.06-6.27% (seeds 0-7, 100-107, 108-115, 200-207), the "
              "baseline's charge-off rate 4.24-4.34% and recoveries 28.5-29.8%.")
BASELINE_DELINQUENCY = (3.5, 4.5)  # % (target "about 4%")
#: rise in the baseline's annual net charge-off rate when the conventional ladder's call attempts are halved
#: (paired seeds): Fedaseyeu (2020) finds each state restriction on collectors lowers card recovery rates by
#: about 9% of the mean; a range around it
CONTACT_RESPONSE = (0.05, 0.15)
BASELINE_CHARGEOFF = (3.0, 4.5)  # % a year
#: recoveries on charged-off claims (payments, garnished wages, sale proceeds) over gross charge-offs in the
#: baseline: the 18 largest US card issuers recovered 0.8-0.9% of receivables a year in 2006-07, against net
#: charge-offs of about 4% (about 17-18% of gross charge-offs); single issuers' quarters in 2010-12 ran from
#: 11% to 32% (American Banker, 2012, from regulatory reports)
RECOVERY_SHARE = (0.10, 0.30)
#: how far below its ceiling the fit keeps the recovery share (a share; about the noise of eight seeds)
RECOVERY_MARGIN = 0.01
# trough of new lending over its 2007 level: Equifax, new bankcards Jan-Nov 2009 54.5% below Jan-Nov 2007
ORIGINATION_TROUGH = (0.30, 0.55)
FIRST_QUARTER_OF_2008 = 8
#: how far inside a range the fit keeps the targets that its seeds' noise (0.1-0.3 point) can push out of it on the
#: report's and the tests' seeds: the baseline's charge-off rate, the recession's delinquency peak and the book's
#: balance shares, in points
MARGIN = 0.2
#: weight of the targets' penalty against the series' squared errors in the loss (``--target-weight``): 4 in the
#: first two fits; a squared distance is cheap near an edge, so the third fit weighs the targets more
TARGET_WEIGHT = 4.0


def load_data() -> pd.DataFrame:
    data = pd.read_csv(DATA)
    data["delinquency"] = data["delinquency_rate_30plus"]
    data["chargeoff"] = data["charge_off_rate"]
    return data


def quarterly(result: sim.metrics.RunResult) -> pd.DataFrame:
    """Quarterly means of the monthly delinquency and charge-off rates, in %."""
    m = result.monthly[result.monthly["lender"] == "all"]
    q = m.groupby(m["month"] // 3)[["delinquency_30plus_rate", "chargeoff_rate", "unemployment_rate"]].mean() * 100
    q["originated"] = m.groupby(m["month"] // 3)["originated"].sum()
    return q.rename(columns={"delinquency_30plus_rate": "delinquency", "chargeoff_rate": "chargeoff",
                             "unemployment_rate": "unemployment"})


def origination_trough(q: pd.DataFrame) -> float:
    """Lowest quarter of new lending from 2008 on, over the 2007 quarterly mean."""
    lent = q["originated"].to_numpy()
    reference = lent[4:FIRST_QUARTER_OF_2008].mean()
    return float(lent[FIRST_QUARTER_OF_2008:].min() / reference) if reference > 0 else float("nan")


def run_pair(args: tuple[dict, int, int]) -> tuple[pd.DataFrame, dict]:
    """The recession path (quarterly) and the calm-times baseline with the shape of its book."""
    from patterns import run

    overrides, seed, n = args
    recession = quarterly(sim.simulate("recession", seed=seed, n_borrowers=n, **overrides))
    base = run(("baseline", {"population.n_borrowers": n, **overrides, "_shape": True}, seed, "baseline"))
    half = run(("calls x0.5", {"population.n_borrowers": n, **overrides,
                               "lenders.0.strategy_params.call_scale": 0.5}, seed, "baseline"))
    shape = {key: base[key] for key in BOOK_TARGETS}
    return recession, {"delinquency": 100 * base["delinquency_30plus_rate"], "chargeoff": 100 * base["chargeoff_rate"],
                       "recovery_share": base["recovery_share"],
                       "halving_rise": half["chargeoff_rate"] / max(base["chargeoff_rate"], 1e-9) - 1.0,
                       "halving_pnl": half["pnl"] - base["pnl"], **shape}


def evaluate(overrides: dict, seeds: list[int], n: int, pool: ProcessPoolExecutor,
             target_weight: float = TARGET_WEIGHT) -> tuple[float, list, list]:
    outs = list(pool.map(run_pair, [(overrides, s, n) for s in seeds]))
    rec = [o[0] for o in outs]
    base = [o[1] for o in outs]
    return loss(rec, base, target_weight), rec, base


def loss(rec: list[pd.DataFrame], base: list[dict], target_weight: float = TARGET_WEIGHT) -> float:
    """Mean squared errors of the quarterly delinquency and charge-off rates against the data (points), plus
    ``target_weight`` times the squared distances of the targets outside their ranges."""
    data = load_data()
    mean = sum(rec) / len(rec)
    d_err = (mean["delinquency"].to_numpy() - data["delinquency"].to_numpy()) ** 2
    co_known = data["chargeoff"].notna().to_numpy()
    c_err = (mean["chargeoff"].to_numpy()[co_known] - data["chargeoff"].to_numpy()[co_known]) ** 2
    b_del = np.mean([b["delinquency"] for b in base])
    b_co = np.mean([b["chargeoff"] for b in base])
    # the baseline's charge-off rate with a margin of 0.2 points below its ceiling, and its delinquency 0.2 point
    # above its floor: the fit's seeds are not the report's and the tests', and a fit on the edge lands outside on
    # those
    penalty = (_outside(b_del, (BASELINE_DELINQUENCY[0] + MARGIN, BASELINE_DELINQUENCY[1])) ** 2
               + _outside(b_co, (BASELINE_CHARGEOFF[0], BASELINE_CHARGEOFF[1] - MARGIN)) ** 2)
    # the recession targets of the brief: peaks inside their ranges (the delinquency peak 0.2 point above its floor,
    # for the same reason as the baseline's charge-offs)
    penalty += _outside(float(mean["delinquency"].max()), (6.0 + MARGIN, 7.6)) ** 2
    penalty += 0.25 * _outside(float(mean["chargeoff"].max()), (9.0, 12.0)) ** 2
    penalty += max(float(mean["delinquency"].iloc[-1]) - 4.4, 0.0) ** 2  # 2011Q4 below 4.5, with a margin
    # the credit-supply response: new lending at its trough (a ratio; 0.05 off counts like a point)
    penalty += (20.0 * _outside(origination_trough(mean), ORIGINATION_TROUGH)) ** 2
    # the shape of the book: shares in points, roll rates and on-time payment (0.1 off counts like a point)
    # (a balance share 0.2 point inside its range, as above)
    for key, (bounds, _) in BOOK_TARGETS.items():
        scale = 100.0 if key.startswith("balance_share") else 10.0
        if key.startswith("balance_share"):
            bounds = (bounds[0] + MARGIN / 100, bounds[1] - MARGIN / 100)
        penalty += (scale * _outside(float(np.mean([b[key] for b in base])), bounds)) ** 2
    # the return to contact (pattern-oriented modelling): halving the ladder's calls raises the charge-off rate
    # about as much as a restriction on collectors lowers recoveries (a point off counts like a point)
    penalty += (100.0 * _outside(float(np.mean([b["halving_rise"] for b in base])), CONTACT_RESPONSE)) ** 2
    # what the lender recovers after charge-off, as a share of what it charges off (a point off counts like a point)
    # (a point inside its ceiling: its seeds' noise is about a point)
    recovery_bounds = (RECOVERY_SHARE[0], RECOVERY_SHARE[1] - RECOVERY_MARGIN)
    penalty += (100.0 * _outside(float(np.mean([b["recovery_share"] for b in base])), recovery_bounds)) ** 2
    return float(d_err.mean() + c_err.mean() + target_weight * penalty)


def _outside(x: float, bounds: tuple[float, float]) -> float:
    return max(bounds[0] - x, 0.0, x - bounds[1])


def to_overrides(x: np.ndarray, names: list[str] | None = None) -> dict:
    return {name: float(v) for name, v in zip(names or list(PARAMETERS), x, strict=True)}


def fit(args: argparse.Namespace, pool: ProcessPoolExecutor) -> tuple[dict, float]:
    from scipy.optimize import minimize
    from scipy.stats import qmc

    names = args.fit or list(PARAMETERS)
    lo = np.array([PARAMETERS[name][0] for name in names])
    hi = np.array([PARAMETERS[name][1] for name in names])
    seeds = list(range(args.fit_seeds))
    current = np.array([_default(name) for name in names])
    candidates = [current] + list(qmc.scale(qmc.LatinHypercube(d=len(lo), seed=args.seed).random(args.points), lo, hi))
    best_x, best = current, np.inf
    with progress_bar(len(candidates) + args.iterations, "evaluations") as bar:
        for x in candidates:
            value, _, _ = evaluate(to_overrides(x, names), seeds, args.households, pool, args.target_weight)
            if value < best:
                best_x, best = x, value
            bar.update(1)
        if args.iterations:
            def objective(z: np.ndarray) -> float:
                bar.update(1)
                return evaluate(to_overrides(np.clip(z, lo, hi), names), seeds, args.households, pool,
                                args.target_weight)[0]

            res = minimize(objective, best_x, method="Nelder-Mead",
                           options={"maxfev": args.iterations, "xatol": 1e-3, "fatol": 1e-3,
                                    "initial_simplex": _simplex(best_x, lo, hi)})
            if res.fun < best:
                best_x, best = np.clip(res.x, lo, hi), float(res.fun)
    return {**{name: _default(name) for name in PARAMETERS}, **to_overrides(best_x, names)}, best


def _simplex(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    step = 0.1 * (hi - lo)
    return np.vstack([x] + [np.clip(x + np.eye(len(x))[i] * step, lo, hi) for i in range(len(x))])


def _default(dotted: str) -> float:
    scenario = sim.config.Scenario()
    node = scenario
    for part in dotted.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    return float(node)


def report(overrides: dict, args: argparse.Namespace, pool: ProcessPoolExecutor) -> pd.DataFrame:
    """Replicate the fitted model, write the figure and the fit table; return the fit table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = load_data()
    _, rec, base = evaluate(overrides, list(range(100, 100 + args.reps)), args.households, pool)
    stack = {k: np.stack([r[k].to_numpy() for r in rec]) for k in ("delinquency", "chargeoff", "unemployment")}
    trough = origination_trough(sum(rec) / len(rec))
    quarters = data["quarter"].tolist()
    x = np.arange(len(quarters))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for ax, key, label in ((axes[0], "delinquency", "30+ day delinquency rate (% of balances)"),
                           (axes[1], "chargeoff", "net charge-off rate (% a year)")):
        mean = stack[key].mean(axis=0)
        lo, hi = np.percentile(stack[key], [5, 95], axis=0)
        ax.fill_between(x, lo, hi, color="tab:blue", alpha=0.25, label=f"model, 5-95% of {args.reps} runs")
        ax.plot(x, mean, color="tab:blue", lw=2, label="model, mean")
        observed = data[key]
        ax.plot(x[observed.notna()], observed.dropna(), "o", color="black", ms=4, label="data (Federal Reserve)")
        if key == "chargeoff":
            ax.plot(x, observed.interpolate(limit_area="inside"), ":", color="black", lw=1,
                    label="data, interpolated (not fitted)")
        ax.set_ylabel(label)
        ax.set_xticks(x[::4], quarters[::4])
        ax.grid(alpha=0.3)
        ax2 = ax.twinx()
        ax2.plot(x, data["unemployment_rate"], color="tab:red", lw=1, alpha=0.6)
        ax2.set_ylabel("unemployment rate (%)", color="tab:red")
    axes[0].legend(loc="upper left", fontsize=8)
    axes[1].legend(loc="upper left", fontsize=8)
    fig.suptitle("US credit cards 2006-2011: model (scenarios/recession.toml) against data")
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "calibration" if not args.tiny else "calibration_tiny"
    (out / "img").mkdir(exist_ok=True)
    for ext in ("png", "svg"):
        fig.savefig(out / "img" / f"{name}.{ext}", dpi=150)
    plt.close(fig)

    mean_d, mean_c = stack["delinquency"].mean(axis=0), stack["chargeoff"].mean(axis=0)
    known = data["chargeoff"].notna().to_numpy()
    peak_d, peak_c = int(np.argmax(mean_d)), int(np.argmax(mean_c))
    q = {label: i for i, label in enumerate(quarters)}
    base_d = float(np.mean([b["delinquency"] for b in base]))
    base_c = float(np.mean([b["chargeoff"] for b in base]))
    rows = [
        ("RMSE, 30+ delinquency (pp)", np.sqrt(np.mean((mean_d - data["delinquency"]) ** 2)), "", ""),
        ("RMSE, charge-off on the quarters with data (pp)",
         np.sqrt(np.mean((mean_c[known] - data["chargeoff"].to_numpy()[known]) ** 2)), "", ""),
        ("baseline 30+ delinquency (%)", base_d, "about 4 (3.5-4.5)", BASELINE_DELINQUENCY[0] <= base_d <= 4.5),
        ("baseline charge-off (% a year)", base_c, "3-4.5", BASELINE_CHARGEOFF[0] <= base_c <= 4.5),
        ("peak 30+ delinquency (%)", mean_d[peak_d], "6.0-7.6", 6.0 <= mean_d[peak_d] <= 7.6),
        ("quarter of the delinquency peak", quarters[peak_d], "2008Q4-2009Q4",
         q["2008Q4"] <= peak_d <= q["2009Q4"]),
        ("peak charge-off (% a year)", mean_c[peak_c], "9-12", 9.0 <= mean_c[peak_c] <= 12.0),
        ("quarter of the charge-off peak", quarters[peak_c], "2009Q3-2010Q4", q["2009Q3"] <= peak_c <= q["2010Q4"]),
        ("30+ delinquency in 2011Q4 (%)", mean_d[q["2011Q4"]], "below 4.5", mean_d[q["2011Q4"]] < 4.5),
        ("new lending at its trough (% of 2007)", 100 * trough, "30-55",
         ORIGINATION_TROUGH[0] <= trough <= ORIGINATION_TROUGH[1]),
    ]
    rise = float(np.mean([b["halving_rise"] for b in base]))
    rows.append(("halving the ladder's calls: rise in the baseline's net charge-off rate (%)", 100 * rise,
                 f"{100 * CONTACT_RESPONSE[0]:g}-{100 * CONTACT_RESPONSE[1]:g} (Fedaseyeu 2020: about 9% per "
                 "restriction on collectors)", CONTACT_RESPONSE[0] <= rise <= CONTACT_RESPONSE[1]))
    recovered = float(np.mean([b["recovery_share"] for b in base]))
    rows.append(("baseline recoveries after charge-off (% of gross charge-offs)", 100 * recovered,
                 f"{100 * RECOVERY_SHARE[0]:g}-{100 * RECOVERY_SHARE[1]:g} (US card issuers, American Banker 2012)",
                 RECOVERY_SHARE[0] <= recovered <= RECOVERY_SHARE[1]))
    for key, ((lo, hi), source) in BOOK_TARGETS.items():
        value = float(np.mean([b[key] for b in base]))
        rows.append((f"baseline {key.replace('_', ' ')} (%)", 100 * value, f"{100 * lo:g}-{100 * hi:g} ({source})",
                     lo <= value <= hi))
    table = pd.DataFrame(rows, columns=["statistic", "model", "target", "met"])
    table.to_csv(out / f"{name}_fit.csv", index=False)
    lines = [
        "# Calibration to the 2008 credit-card cycle", "",
        f"Generated by `{args.command}`"
        f" ({args.reps} replications of {args.households:,} households; see the script's docstring for the "
        "method).", "",
        ("The fitted set at the current defaults in `sim/config.py` (a report: no fit was run). " + PROVENANCE
         if args.report_only
         else "Fitted parameters" + (" (now the defaults in `sim/config.py`)" if args.write else
                                     " (not written: run with `--write` to make them the defaults)") + ":"), "",
        "| parameter | value |", "| --- | --- |",
        *[f"| `{k}` | {v:.4g} |" for k, v in overrides.items()], "",
        "Fit:", "", "| statistic | model | target | met |", "| --- | --- | --- | --- |",
        *[f"| {s} | {m if isinstance(m, str) else f'{m:.2f}'} | {t} | {'' if t == '' else ('yes' if ok else 'no')} |"
          for s, m, t, ok in rows], "",
        f"![model against data](img/{name}.png)", "",
    ]
    (out / f"{name}.md").write_text("\n".join(lines))
    return table


def write_defaults(overrides: dict) -> None:
    """Put the fitted values into the parameter defaults in sim/config.py."""
    path = ROOT / "sim" / "config.py"
    text = path.read_text()
    for dotted, value in overrides.items():
        field = dotted.split(".")[-1]
        pattern = re.compile(rf"(\n    {field}: float = P\(\s*)(-?[0-9.eE+-]+)(,)")
        new = float(f"{value:.6g}")  # six significant digits: four moved outcomes by about the seeds' noise
        text, count = pattern.subn(lambda m, new=new: f"{m.group(1)}{new}{m.group(3)}", text, count=1)
        if count != 1:
            raise SystemExit(f"error: could not find the default of {field} in sim/config.py")
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--points", type=int, default=24, help="Latin hypercube candidates (default 24)")
    parser.add_argument("--iterations", type=int, default=24, help="Nelder-Mead evaluations (default 24)")
    parser.add_argument("--fit-seeds", type=int, default=2, help="replications per evaluation while fitting")
    parser.add_argument("--reps", type=int, default=16, help="replications in the report (default 16)")
    parser.add_argument("--households", type=int, default=8000, help="households per run (default 8000)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the Latin hypercube")
    parser.add_argument("--out", default="results/calibrate",
                        help="folder for the page, table and figure (default: %(default)s; docs to update the docs)")
    parser.add_argument("--report-only", action="store_true", help="no fit: report the current defaults")
    parser.add_argument("--fit", type=lambda text: [p.strip() for p in text.split(",") if p.strip()], default=None,
                        help="comma-separated subset of the fitted parameters to fit (the rest keep their defaults)")
    parser.add_argument("--write", action="store_true", help="write the fitted values into sim/config.py")
    parser.add_argument("--target-weight", type=float, default=TARGET_WEIGHT,
                        help="weight of the targets outside their ranges in the loss (default %(default)s)")
    parser.add_argument("--tiny", action="store_true", help="a fast smoke run")
    args = parser.parse_args(argv)
    if os.environ.get("COLLECTION_LAB_SMOKE", "") not in ("", "0"):
        print("COLLECTION_LAB_SMOKE is set: a tiny run, not the one the command asks for", file=sys.stderr)
        args.tiny, args.workers = True, 1
    args.command = " ".join(["python experiments/calibrate.py", *(sys.argv[1:] if argv is None else argv)])
    if args.tiny:
        args.points, args.iterations, args.reps, args.households, args.fit_seeds = 2, 0, 2, 600, 1
    unknown = sorted(set(args.fit or []) - set(PARAMETERS))
    if unknown:
        print(f"error: --fit: not a fitted parameter: {', '.join(unknown)} (known: {', '.join(PARAMETERS)})",
              file=sys.stderr)
        return 2
    if (min(args.points, args.reps, args.households, args.workers, args.fit_seeds) < 1 or args.iterations < 0
            or not args.target_weight >= 0):
        print("error: --points, --reps, --households, --workers and --fit-seeds must be positive, --target-weight "
              "not negative", file=sys.stderr)
        return 2
    with ProcessPoolExecutor(args.workers) as pool:
        if args.report_only:
            fitted = {name: _default(name) for name in PARAMETERS}
        else:
            fitted, value = fit(args, pool)
            print(f"best loss {value:.3f}: " + ", ".join(f"{k} = {v:.6g}" for k, v in fitted.items()))
            if args.write:
                write_defaults(fitted)
                print("wrote the fitted values into sim/config.py")
        table = report(fitted, args, pool)
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
