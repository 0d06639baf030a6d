"""The levers of a crisis response, one at a time and together, on a generic unemployment spike (issue 17).

The shock and the package are the scenario file ``scenarios/crisis_package.toml``: unemployment jumps from
4.6% to 13% in months 3-4 and recovers slowly; the package answers from month 4. Arms, each run on the
same seeds (common random numbers: the same households lose the same jobs in every arm):

- **no response**: the file with every lever removed;
- **forbearance only**: the blunt public lever that existed before issue 17 (`economy.forbearance` for the
  unemployed, months 4-9, interest paused), for contrast;
- one arm per lever of the file, alone: **stimulus**, **unemployment programme**, **other-debt pause**,
  **lockdown**, **accommodation (ramp)** (the lender's programme as in the file), **accommodation
  (cliff)** (the same programme ending at once), **anticipatory tightening**;
- **package**: the file as it is.

Outcomes per run (all lenders, recorded months 0-35): the mean and peak 30+ delinquency rate; net
charge-offs over the horizon as a share of the book balance in month 0, and the annualised charge-off rate
in months 0-11 and 12-35 (a lever that only delays losses moves them from the first to the second);
money collected on accounts in collection, collection costs and the net recovery rate; new lending (over
the horizon and in months 0-11, when anticipatory tightening bites); the
financial well-being index, the share of households in its low bands, the share of household-months below
the subsistence floor and mean consumption utility; accounts accommodated at the peak and transfers paid
to households (stimulus and unemployment programmes), read from the model after every month.
Effects are differences from "no response" paired by seed, with 95% Student-t intervals
(``sim.stats.interval_row``).

Whether the package lowers charge-offs should not hinge on one constant: the package and no response are
also run with the regular unemployment-insurance replacement rate (``economy.
unemployment_insurance_replacement``, a fitted average over all the unemployed) set to each value of
``REPLACEMENTS``.

The lender's P&L over the recorded months (``pnl``, docs/outcomes.md) is reported per household; another
outcome is one entry in ``OUTCOMES`` (a name, a label, a display scale and a function of the run), which the
tables, the figure and the page pick up.

Outputs (into ``--out``, default ``docs/``): ``crisis.md`` (regenerated from scratch, with the command
that reproduces it), ``crisis.csv`` (levels per arm), ``crisis_effects.csv`` (effects against no
response), ``crisis_monthly.csv`` (mean monthly series per arm), ``crisis_replacement.csv`` (the
package's effects at other replacement rates) and figures ``img/crisis_series.png``,
``img/crisis_effects.png`` (and ``.svg``).

Usage:
    python experiments/crisis.py                 # 5 replications of 4,000 households (about two minutes)
    python experiments/crisis.py --tiny          # a fast smoke run (tests)
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    StudyParser,
    check_study_args,
    plt,
    report,
    run_main,
    save_figure,
    style,
    write_study_page,
    write_tables,
)

import sim  # noqa: E402
from sim.config import load_scenario  # noqa: E402
from sim.progress import progress_bar  # noqa: E402
from sim.stats import interval_row  # noqa: E402

SCENARIO = "crisis_package"
ECONOMY_LEVERS = ("stimulus", "unemployment_programmes", "other_debt_pause", "lockdown")
LENDER_LEVERS = ("accommodation", "anticipation")
EARLY_MONTHS = 12  # charge-offs in months 0-11 against months 12 and later
FORBEARANCE = {"start_month": 4, "end_month": 9, "unemployed_only": True, "interest_accrues": False}
REPLACEMENTS = (0.2, 0.4)  # regular UI replacement rates tried besides the default (0.3058)
REPLACEMENT_OUTCOMES = ("net_chargeoffs", "delinquency_mean", "wellbeing_mean", "deprivation_share")


# --------------------------------------------------------------------------------------------------
# the arms: the package file, stripped and rebuilt one lever at a time
# --------------------------------------------------------------------------------------------------
def no_response(package: dict[str, Any]) -> dict[str, Any]:
    """The package scenario with every lever removed (the shock alone)."""
    data = {**package, "economy": {**package["economy"]}, "lenders": [dict(lc) for lc in package["lenders"]]}
    for key in (*ECONOMY_LEVERS, "income_support", "forbearance", "reporting_pause"):
        data["economy"][key] = []
    for lender in data["lenders"]:
        for key in LENDER_LEVERS:
            lender[key] = []
    return data


def arms(package: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Scenario dicts of every arm, in display order."""
    base = no_response(package)

    def with_economy(key: str, value: list) -> dict[str, Any]:
        return {**base, "economy": {**base["economy"], key: value}}

    def with_lender(key: str, value_of: Callable[[dict], list]) -> dict[str, Any]:
        lenders = [{**lc, key: value_of(orig)} for lc, orig in zip(base["lenders"], package["lenders"], strict=True)]
        return {**base, "lenders": lenders}

    out = {"no response": base, "forbearance only": with_economy("forbearance", [FORBEARANCE])}
    labels = {"stimulus": "stimulus", "unemployment_programmes": "unemployment programme",
              "other_debt_pause": "other-debt pause", "lockdown": "lockdown"}
    for key in ECONOMY_LEVERS:
        out[labels[key]] = with_economy(key, package["economy"][key])
    out["accommodation (ramp)"] = with_lender("accommodation", lambda lc: lc["accommodation"])
    out["accommodation (cliff)"] = with_lender(
        "accommodation", lambda lc: [{**p, "phase_out_months": 0} for p in lc["accommodation"]])
    out["anticipatory tightening"] = with_lender("anticipation", lambda lc: lc["anticipation"])
    out["package"] = package
    return out


# --------------------------------------------------------------------------------------------------
# outcomes: add a line to OUTCOMES to report another one
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """One finished run and what the hook read from the model after every month."""

    result: Any  # sim.metrics.RunResult
    accommodated_peak: float  # largest share of on-book accounts enrolled in an accommodation programme
    transfers: float  # stimulus and unemployment-programme payments per household over the horizon, $

    @property
    def monthly(self) -> pd.DataFrame:
        m = self.result.monthly
        return m[m["lender"] == "all"].sort_values("month")

    def summary(self, key: str) -> float:
        s = self.result.summary
        return float(s.loc[s["lender"] == "all", key].iloc[0])


@dataclass(frozen=True)
class Outcome:
    name: str
    label: str  # with its unit as displayed
    scale: float  # display value = value * scale
    of: Callable[[Run], float]
    digits: int = 1


def _chargeoff_rate(run: Run, early: bool) -> float:
    m = run.monthly
    sel = m[m["month"] < EARLY_MONTHS] if early else m[m["month"] >= EARLY_MONTHS]
    return float(12.0 * sel["net_chargeoff"].sum() / max(sel["book_balance"].sum(), 1e-9))


OUTCOMES: list[Outcome] = [
    Outcome("delinquency_mean", "30+ days delinquent, mean (% of balances)", 100,
            lambda r: float(r.monthly["delinquency_30plus_rate"].mean()), 2),
    Outcome("delinquency_peak", "30+ days delinquent, peak month (% of balances)", 100,
            lambda r: float(r.monthly["delinquency_30plus_rate"].max()), 2),
    Outcome("net_chargeoffs", "net charge-offs over 36 months (% of month-0 book)", 100,
            lambda r: float(r.monthly["net_chargeoff"].sum() / r.monthly["book_balance"].iloc[0]), 2),
    Outcome("chargeoff_early", "charge-off rate, months 0-11 (% a year)", 100, lambda r: _chargeoff_rate(r, True), 2),
    Outcome("chargeoff_late", "charge-off rate, months 12-35 (% a year)", 100, lambda r: _chargeoff_rate(r, False), 2),
    Outcome("pnl", "lender P&L over the recorded months ($ per household)", 1,
            lambda r: r.summary("pnl") / r.result.meta["households"], 0),
    Outcome("collected", "collected from accounts in collection ($ per household)", 1,
            lambda r: r.summary("collected") / r.result.meta["households"], 0),
    Outcome("collection_cost", "collection costs ($ per household)", 1,
            lambda r: r.summary("collection_cost") / r.result.meta["households"], 1),
    Outcome("recovery_rate_net", "net recovery (% of delinquent exposure)", 100,
            lambda r: r.summary("recovery_rate_net")),
    Outcome("originated", "new lending ($ per household)", 1,
            lambda r: r.summary("originated") / r.result.meta["households"], 0),
    Outcome("originated_early", "new lending, months 0-11 ($ per household)", 1,
            lambda r: float(r.monthly.loc[r.monthly["month"] < EARLY_MONTHS, "originated"].sum())
            / r.result.meta["households"], 0),
    Outcome("wellbeing_mean", "financial well-being (index 0-100, mean)", 1, lambda r: r.summary("wellbeing_mean"), 2),
    Outcome("wellbeing_low_share", "low well-being (% of households)", 100, lambda r: r.summary("wellbeing_low_share"),
            2),
    Outcome("deprivation_share", "below the subsistence floor (% of household-months)", 100,
            lambda r: r.summary("deprivation_share"), 2),
    Outcome("utility_mean", "consumption utility (mean, CRRA)", 1, lambda r: r.summary("utility_mean"), 4),
    Outcome("accommodated_peak", "accounts accommodated, peak (% of open accounts)", 100,
            lambda r: r.accommodated_peak, 1),
    Outcome("transfers", "stimulus and programme payments ($ per household)", 1, lambda r: r.transfers, 0),
]


def by_name(name: str) -> Outcome:
    return next(o for o in OUTCOMES if o.name == name)


class ArmWatch:
    """Watches one arm through the model's observer hook (``CollectionModel(observers=...)``,
    ``sim.model.Observer``), in recorded months, changing nothing: the peak share of open accounts in an
    accommodation programme (from the loan book as the month leaves it) and the stimulus and programme
    payments households received (``month.labour.transfers``, a ``sim.records.Labour``)."""

    def __init__(self) -> None:
        self.accommodated_peak = 0.0
        self.transfers = 0.0

    def __call__(self, model: sim.CollectionModel, month) -> None:
        if month.month < 0:
            return
        book = model.book
        on_book = book.on_book()
        self.accommodated_peak = max(self.accommodated_peak, float((book.view("accommodated") & on_book).sum())
                                     / max(int(on_book.sum()), 1))
        if month.labour.transfers is not None:
            self.transfers += float(month.labour.transfers.sum())


def run_arm(scenario: dict[str, Any], seed: int, base: dict[str, Any]) -> Run:
    """Run one arm, with :class:`ArmWatch` reading the accommodated accounts and the transfers paid after every
    recorded month."""
    watch = ArmWatch()
    model = sim.CollectionModel(scenario, rng=seed, observers=[watch], **base)
    model.run()
    result = model.results()
    result.meta["households"] = model.borrowers.n
    return Run(result=result, accommodated_peak=watch.accommodated_peak, transfers=watch.transfers / model.borrowers.n)


# --------------------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------------------
def summarise(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Levels per arm, and effects against no response paired by seed (95% intervals)."""
    names = [o.name for o in OUTCOMES]
    levels = [interval_row(sel[o], arm=arm, outcome=o) for arm, sel in runs.groupby("arm", sort=False) for o in names]
    control = runs[runs["arm"] == "no response"].set_index("seed")
    effects = []
    for arm, sel in runs.groupby("arm", sort=False):
        if arm == "no response":
            continue
        sel = sel.set_index("seed")
        for o in names:
            effects.append(interval_row((sel[o] - control.loc[sel.index, o]).to_numpy(), arm=arm, outcome=o))
    return pd.DataFrame(levels), pd.DataFrame(effects)


# --------------------------------------------------------------------------------------------------
# figures and the page
# --------------------------------------------------------------------------------------------------
SERIES_ARMS = ("no response", "forbearance only", "accommodation (cliff)", "accommodation (ramp)", "package")
SERIES = {"unemployment_rate": "unemployment (%)", "delinquency_30plus_rate": "30+ days delinquent (% of balances)",
          "chargeoff_rate": "charge-offs (% of balances a year)", "wellbeing_mean": "financial well-being (0-100)"}
EFFECT_PANELS = ("net_chargeoffs", "delinquency_mean", "wellbeing_mean", "deprivation_share")


def series_figure(monthly: pd.DataFrame, img: Path) -> list[Path]:
    pyplot = plt()
    fig, axes = pyplot.subplots(2, 2, figsize=(11, 7), sharex=True)
    for ax, (col, label) in zip(axes.ravel(), SERIES.items(), strict=True):
        for i, arm in enumerate(SERIES_ARMS):
            sel = monthly[monthly["arm"] == arm]
            scale = 1.0 if col == "wellbeing_mean" else 100.0
            s = style(i)
            ax.plot(sel["month"], sel[col] * scale, color=s["color"], linestyle=s["linestyle"], label=arm)
        ax.set_ylabel(label)
    for ax in axes[1]:
        ax.set_xlabel("month of the recorded horizon (shock in months 3-4)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle("Generic unemployment spike: selected arms (mean across replications)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=len(SERIES_ARMS), frameon=False)
    return save_figure(fig, img / "crisis_series")


def effects_figure(effects: pd.DataFrame, img: Path) -> list[Path]:
    pyplot = plt()
    by_name = {o.name: o for o in OUTCOMES}
    arms_shown = list(dict.fromkeys(effects["arm"]))
    fig, axes = pyplot.subplots(1, len(EFFECT_PANELS), figsize=(14, 4.8), sharey=True)
    y = np.arange(len(arms_shown))[::-1]
    for ax, name in zip(axes, EFFECT_PANELS, strict=True):
        o = by_name[name]
        sel = effects[effects["outcome"] == name].set_index("arm").loc[arms_shown]
        mean = sel["mean"].to_numpy() * o.scale
        err = np.vstack([sel["mean"] - sel["ci_low"], sel["ci_high"] - sel["mean"]]) * o.scale
        ax.errorbar(mean, y, xerr=None if np.isnan(err).any() else err, fmt="o", color="#0072B2", capsize=3)
        ax.axvline(0.0, color="#555555", linewidth=1)
        ax.set_title(textwrap.fill(f"change in {o.label}", width=30), fontsize=9)
        ax.set_xlabel("difference from no response")
    axes[0].set_yticks(y, arms_shown)
    fig.suptitle("Effect of each lever alone and of the package against no response (mean, 95% CI, paired by seed)")
    fig.tight_layout()
    return save_figure(fig, img / "crisis_effects")


def _cell(frame: pd.DataFrame, arm: str, outcome: Outcome) -> str:
    r = frame[(frame["arm"] == arm) & (frame["outcome"] == outcome.name)].iloc[0]
    d = outcome.digits
    mean, low, high = (r[k] * outcome.scale for k in ("mean", "ci_low", "ci_high"))
    return f"{mean:.{d}f}" if np.isnan(low) else f"{mean:.{d}f} [{low:.{d}f}, {high:.{d}f}]"


def direction(frame: pd.DataFrame, arm: str, name: str) -> str:
    """'lowers', 'raises' or 'does not clearly change' (its 95% interval includes zero)."""
    r = frame[(frame["arm"] == arm) & (frame["outcome"] == name)].iloc[0]
    if np.isnan(r["ci_low"]) or r["ci_low"] <= 0 <= r["ci_high"]:
        return "does not clearly change"
    return "lowers" if r["mean"] < 0 else "raises"


def replacement_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """Per replacement rate: the level with no response and with the package, and the package's effect
    paired by seed, for ``REPLACEMENT_OUTCOMES``."""
    rows = []
    for value, sel in runs.groupby("replacement", sort=True):
        control = sel[sel["arm"] == "no response"].set_index("seed")
        treated = sel[sel["arm"] == "package"].set_index("seed")
        for o in REPLACEMENT_OUTCOMES:
            rows.append(interval_row(control[o], replacement=value, outcome=o, quantity="no response"))
            rows.append(interval_row(treated[o], replacement=value, outcome=o, quantity="package"))
            rows.append(interval_row((treated[o] - control.loc[treated.index, o]).to_numpy(), replacement=value,
                                     outcome=o, quantity="effect"))
    return pd.DataFrame(rows)


def write_page(levels: pd.DataFrame, effects: pd.DataFrame, package: dict[str, Any], args: argparse.Namespace,
               command: str, out: Path, replacement: pd.DataFrame) -> Path:
    by_name = {o.name: o for o in OUTCOMES}
    arm_names = list(dict.fromkeys(levels["arm"]))
    money = ["pnl", "collected", "collection_cost", "recovery_rate_net", "originated", "originated_early"]
    well = ["wellbeing_mean", "wellbeing_low_share", "deprivation_share", "utility_mean"]
    credit = ["delinquency_mean", "delinquency_peak", "net_chargeoffs", "chargeoff_early", "chargeoff_late"]
    extra = ["accommodated_peak", "transfers"]

    def table(frame: pd.DataFrame, names: list[str], rows: list[str]) -> list[str]:
        head = "| arm | " + " | ".join(by_name[n].label for n in names) + " |"
        lines = [head, "| --- " * (len(names) + 1) + "|"]
        lines += [f"| {arm} | " + " | ".join(_cell(frame, arm, by_name[n]) for n in names) + " |" for arm in rows]
        return lines

    effect_rows = [a for a in arm_names if a != "no response"]

    def rcell(value: float, o: str, quantity: str) -> str:
        r = replacement[(replacement["replacement"] == value) & (replacement["outcome"] == o)
                        & (replacement["quantity"] == quantity)]
        return _cell(r.assign(arm="x"), "x", by_name[o])

    replacement_table = ["| regular UI replacement | " + " | ".join(
        f"{by_name[o].label}: no response / package / effect" for o in REPLACEMENT_OUTCOMES) + " |",
        "| --- " * (len(REPLACEMENT_OUTCOMES) + 1) + "|"]
    for value in sorted(replacement["replacement"].unique()):
        replacement_table.append(f"| {value:g} | " + " | ".join(
            " / ".join(rcell(value, o, q) for q in ("no response", "package", "effect"))
            for o in REPLACEMENT_OUTCOMES) + " |")
    co = replacement[(replacement["outcome"] == "net_chargeoffs") & (replacement["quantity"] == "effect")]
    holds = bool((co["ci_high"] < 0).all())

    def say(arm: str) -> str:
        co = direction(effects, arm, "net_chargeoffs")
        early, late = direction(effects, arm, "chargeoff_early"), direction(effects, arm, "chargeoff_late")
        dq = direction(effects, arm, "delinquency_mean")
        wb = direction(effects, arm, "wellbeing_mean")
        return (f"- **{arm}** {co} net charge-offs over the horizon ({early} them in months 0-11, {late} them "
                f"afterwards), {dq} the mean 30+ delinquency rate and {wb} mean well-being.")

    econ = package["economy"]
    lender = package["lenders"][0]
    settings = [
        f"- stimulus: `{econ['stimulus']}`",
        f"- unemployment programme: `{econ['unemployment_programmes']}`",
        f"- other-debt pause: `{econ['other_debt_pause']}`",
        f"- lockdown: `{econ['lockdown']}`",
        f"- accommodation (ramp): `{lender['accommodation']}`; the cliff arm sets `phase_out_months = 0`",
        f"- anticipatory tightening: `{lender['anticipation']}`",
        f"- forbearance only (for contrast, not in the package): `{FORBEARANCE}`",
    ]
    lines = [
        "# The levers of a crisis response",
        "",
        "<!-- generated by experiments/crisis.py: do not edit by hand; rerun the command below -->",
        "",
        "What does each lever of a crisis response do on its own, and what does the package do, when "
        "unemployment spikes? The shock is generic (not fitted to any historical episode): unemployment "
        "sits at 4.6%, jumps to 8% in month 3 and 13% in month 4, holds two months and falls back by a tenth "
        "of the gap each month (`scenarios/crisis_package.toml`). The package answers from month 4. Each arm "
        "is the package file with every lever removed (\"no response\") plus one lever, on the same seeds "
        "(common random numbers: the same households lose the same jobs in every arm).",
        "",
        f"Settings: {args.reps} replications of {args.households:,} households, {args.burn_in} months of burn-in "
        f"and {args.horizon} recorded months, one card lender with the conventional strategy. Intervals are "
        "95% Student-t intervals across replications; effects are differences from no response paired by seed.",
        "",
        "Reproduce with:",
        "",
        "```",
        command,
        "```",
        "",
        "## The levers as set in the package",
        "",
        *settings,
        "",
        "What each field means, and its source or assumption: `docs/ODD.md` (sections 7.3, 7.6, 7.8, 7.9 and "
        "the parameter tables of 7.19).",
        "",
        "## What each lever does on its own",
        "",
        *[say(a) for a in effect_rows],
        "",
        "![delinquency, charge-offs and well-being over time](img/crisis_series.png)",
        "",
        "![effects against no response](img/crisis_effects.png)",
        "",
        "### Delinquency and charge-offs: effects against no response",
        "",
        *table(effects, credit, effect_rows),
        "",
        "### Money: effects against no response",
        "",
        "The lender's P&L over the recorded months: net cash flows plus the change in the value of its book "
        "(docs/outcomes.md), per household.",
        "",
        *table(effects, money, effect_rows),
        "",
        "### Household well-being: effects against no response",
        "",
        *table(effects, well, effect_rows),
        "",
        "## Does the package's effect hinge on the regular replacement rate?",
        "",
        "The regular unemployment-insurance replacement rate (`economy.unemployment_insurance_replacement`) "
        "is one constant fitted to the 2006-11 card cycle. The package and no response were rerun with it set "
        f"to {', '.join(f'{v:g}' for v in REPLACEMENTS)} (same seeds). "
        + ("At every rate tried the package lowers net charge-offs (the 95% interval of its effect lies "
           "below zero)." if holds else
           "At some rate tried the package's effect on net charge-offs is not clearly below zero: read "
           "the table before relying on it."),
        "",
        *replacement_table,
        "",
        "### Levels per arm",
        "",
        *table(levels, credit, arm_names),
        "",
        *table(levels, money, arm_names),
        "",
        *table(levels, well, arm_names),
        "",
        *table(levels, extra, arm_names),
        "",
        "## How to read this",
        "",
        "- Charge-offs in months 0-11 and 12-35 separate a lever that prevents losses from one that delays "
        "them: a pause that only moves losses shows a fall early and a rise later.",
        "- An accommodation programme that reports accounts as current re-ages them: the 30+ delinquency rate "
        "then counts them as current, so part of its fall in delinquency is the reporting rule, not better "
        "payment. Charge-offs are not affected by the reporting rule.",
        "- The financial well-being index (ODD 7.7) rises with savings and does not see consumption itself, "
        "so a lockdown, which turns spending it prevents into savings, raises it; consumption utility and the "
        "share below the subsistence floor are the measures that count the lost consumption. A lockdown also "
        "cuts every household's essentials by the same share, including households in deficit, whose deficit "
        "shrinks: read its effects as those of fewer opportunities to spend, not of a closed economy.",
        "- Anticipatory tightening works through new lending: fewer, safer loans; the households refused "
        "credit are not counted as harmed by any outcome here.",
        "- Transfers (stimulus, unemployment programmes) are paid by nobody in the model: there is no "
        "government budget, so their cost is shown per household, not netted from well-being. The paused "
        "payments on other debts are not charged back after the pause.",
        "- One lender and one strategy: how lenders' collection strategies interact with the levers is a "
        "question for `experiments/compare.py` on `scenarios/crisis_package.toml`.",
        "",
    ]
    return write_study_page(out, "crisis", lines, [
        "`docs/crisis.csv`: levels per arm and outcome (mean, 95% interval, replications).",
        "`docs/crisis_effects.csv`: differences from no response, paired by seed.",
        "`docs/crisis_monthly.csv`: mean monthly series per arm.",
        "`docs/crisis_replacement.csv`: the package against no response at other regular replacement rates.",
        "`docs/img/crisis_series.png`, `docs/img/crisis_effects.png` (and `.svg`): the figures.",
        "`tests/test_crisis_levers.py` tests each lever's mechanism; `tests/test_experiments.py` runs this "
        "script with `--tiny`.",
    ])


# --------------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = StudyParser("Each lever of a crisis response alone and the package, on a generic unemployment spike: "
                    "delinquency, charge-offs, money and well-being against no response.",
                    what="arm", households=4000, tiny={"households": 600, "reps": 2, "horizon": 18, "burn_in": 6})
    args = p.parse_study(argv)
    check_study_args(args, EARLY_MONTHS + 1, f" (charge-offs before and after month {EARLY_MONTHS})")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    package = load_scenario(SCENARIO).model_dump(mode="json")
    scenarios = arms(package)
    base = {"population.n_borrowers": args.households, "horizon_months": args.horizon,
            "burn_in_months": args.burn_in}
    seeds = [args.seed + r for r in range(args.reps)]
    rows, series, replacement_runs = [], [], []
    default_replacement = float(package["economy"]["unemployment_insurance_replacement"])
    total = len(seeds) * (len(scenarios) + 2 * len(REPLACEMENTS))
    with progress_bar(total, "runs", enabled=not args.no_progress) as bar:
        for seed in seeds:
            for arm, scenario in scenarios.items():
                run = run_arm(scenario, seed, base)
                row = {"arm": arm, "seed": seed, **{o.name: o.of(run) for o in OUTCOMES}}
                rows.append(row)
                if arm in ("no response", "package"):
                    replacement_runs.append({**row, "replacement": default_replacement})
                series.append(run.monthly[["month", *SERIES]].assign(arm=arm, seed=seed))
                bar.update(1)
            for value in REPLACEMENTS:
                for arm in ("no response", "package"):
                    run = run_arm(scenarios[arm], seed, {**base, "economy.unemployment_insurance_replacement": value})
                    replacement_runs.append({"arm": arm, "seed": seed, "replacement": value,
                                             **{o: by_name(o).of(run) for o in REPLACEMENT_OUTCOMES}})
                    bar.update(1)
    levels, effects = summarise(pd.DataFrame(rows))
    replacement = replacement_rows(pd.DataFrame(replacement_runs))
    monthly = pd.concat(series).groupby(["arm", "month"], sort=False)[list(SERIES)].mean().reset_index()
    out = Path(args.out)
    written = write_tables(out, {"crisis": levels, "crisis_effects": effects, "crisis_monthly": monthly,
                                 "crisis_replacement": replacement})
    written += series_figure(monthly, out / "img") + effects_figure(effects, out / "img")
    command = " ".join(["python experiments/crisis.py", *(a for a in argv if a != "--no-progress")])
    written.append(write_page(levels, effects, package, args, command, out, replacement))
    report(written)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main, resumable=False))
