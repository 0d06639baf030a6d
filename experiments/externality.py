"""Several lenders, one budget: does an aggressive lender collect more at the expense of the others?

A market of two lenders, A and B, with half the applications each. Households may hold up to four loans
and apply often, so that many owe both lenders; a household that cannot pay everything it means to pay
pays first the loans with legal consequences and then the loudest creditor (``sim.borrowers.split_budget``
with the priorities of ``sim.payments.decide_payments``). Eight markets are compared on the same seeds
(common random numbers):

(a) both lenders conventional; (b) A aggressive, B conventional; (c) both aggressive; (d) A pressing
(the conventional ladder with 2.5 times the calls and threats from the second missed cycle), B
conventional; (e) both pressing; and (f) to (h), which rerun (a), (d) and (e) with the side effects of
contact switched off (goodwill and stress from calls and threats, reactance, reputation), compared with (f).

Each lender hires the collectors its strategy needs (``STAFFING``: collectors per 1,000 loans), so that a
pressing or aggressive lender's requests are not dropped for lack of collector hours; the share that still
is, ``capacity_shortfall``, is reported per lender.

Credit supply is held fixed (``supply_sensitivity = price_sensitivity = 0`` for both lenders) so that
the comparison isolates collection: otherwise an aggressive lender's higher losses tighten its
underwriting, its book shrinks, and the other lender's borrowers owe less elsewhere.

Outcomes per lender, with 95% intervals across replications and effects paired by seed: money collected
on accounts in collection (including debt-sale proceeds), gross and net recovery rates, the annualised
charge-off rate, complaints per 1,000 accounts in collection, the well-being of the households with an
account in collection there, and the payments each lender receives from households that owe both
lenders (read from the loan book after every month through the model's observer hook, ``MarketWatch``).

A single-lender study asks what the first half of the claim needs: with one lender running the conventional
ladder with its call attempts scaled by 0.5, 1 and 2.5, side effects of contact on and off, does a lender
that calls more lose less to default?

Outputs (into ``--out``, default ``docs/``): ``externality.md`` (with the command that reproduces it),
``externality.csv`` (per market and lender), ``externality_effects.csv`` (differences against each
market's control), ``externality_single_lender.csv`` (the single-lender study), and figures
``img/externality.png`` and ``.svg``.

Usage:
    python experiments/externality.py              # 5 replications, 6,000 households (about a minute)
    python experiments/externality.py --tiny       # a fast smoke run (tests)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import StudyParser, check_study_args, report, run_main, write_study_page  # noqa: E402
from field_effects import ci_row, fmt  # noqa: E402

import sim  # noqa: E402
from sim.progress import progress_bar  # noqa: E402

MARKETS = {
    "(a) both conventional": ("conventional", "conventional"),
    "(b) A aggressive, B conventional": ("aggressive", "conventional"),
    "(c) both aggressive": ("aggressive", "aggressive"),
    "(d) A pressing, B conventional": ("pressing", "conventional"),
    "(e) both pressing": ("pressing", "pressing"),
    "(f) both conventional, no contact side effects": ("conventional", "conventional"),
    "(g) A pressing, B conventional, no contact side effects": ("pressing", "conventional"),
    "(h) both pressing, no contact side effects": ("pressing", "pressing"),
}
#: the market each one is compared with (paired by seed)
CONTROL = {market: "(a) both conventional" for market in MARKETS}
for _market in ("(g) A pressing, B conventional, no contact side effects",
                "(h) both pressing, no contact side effects"):
    CONTROL[_market] = "(f) both conventional, no contact side effects"
CONTROLS = set(CONTROL.values())
#: the side effects of contact switched off in markets (f) to (h): the goodwill and stress that calls beyond the
#: tolerance and threats cost, reactance to harassment (contacts beyond the tolerance, night calls, visits,
#: unbelieved threats), and reputation's feedback on goodwill. What is left is pressure (in the intention to
#: pay and in the split), credible threats, promises, plans and the rest of each strategy.
NO_SIDE_EFFECTS = {
    "tactics.call.goodwill": 0.0, "tactics.call.stress": 0.0, "tactics.threat.goodwill": 0.0,
    "tactics.threat.stress": 0.0, "behaviour.reactance_weight": 0.0, "network.reputation_weight": 0.0,
}
SENSITIVITY = {market for market in MARKETS if market.endswith("no contact side effects")}
#: collectors per 1,000 loans by strategy: each lender hires the collectors its strategy needs, so that no
#: requested contact is dropped for lack of collector hours (``capacity_shortfall`` reports what still is).
#: With the default one collector per 1,000 loans, a pressing lender could make fewer than half its calls
#: and the comparison would measure understaffing, not pressure. Calls are paid per attempt either way.
STAFFING = {"conventional": 1.0, "pressing": 2.5, "aggressive": 5.0}
#: what each label runs: a registered strategy and its parameters. "pressing" isolates pressure: the
#: conventional ladder (same plans, suits, placement and sale) with 2.5 times its call attempts (about the
#: aggressive strategy's 10-30 a month) and threats of legal action from the second missed cycle.
STRATEGY_SPECS = {
    "conventional": ("conventional", {}),
    "aggressive": ("aggressive", {}),
    "pressing": ("conventional", {"call_scale": 2.5, "threaten_from_cycle": 2}),
}
LENDERS = ("A", "B")
#: households owe several lenders: up to four loans, a larger starting book, more applications
MARKET = {
    "population.max_loans_per_borrower": 4,
    "population.initial_loans_per_borrower": 1.6,
    "population.application_rate": 0.07,
}
OUTCOMES = {
    "pnl": ("lender P&L over the recorded months, $ million", 1e-6),
    "collected": ("collected on accounts in collection, $ million", 1e-6),
    "shared_paid": ("paid by households that owe both lenders, $ million", 1e-6),
    "recovery_rate_gross": ("gross recovery, % of delinquent exposure", 100.0),
    "recovery_rate_net": ("net recovery, % of delinquent exposure", 100.0),
    "chargeoff_rate": ("charge-offs, % of balances a year", 100.0),
    "complaints_per_1000": ("complaints per 1,000 accounts in collection a month", 1.0),
    "wellbeing_mean": ("well-being of its borrowers in collection (index 0-100)", 1.0),
    "capacity_shortfall": ("requested collector hours not available, %", 100.0),
    "pressure_mean": ("mean pressure on its late accounts (0-1)", 1.0),
    "goodwill_mean": ("mean goodwill of its late accounts towards it (-1..1)", 1.0),
}
#: per-lender outcomes that are states, not money: no relative change against the control
STATES = ("capacity_shortfall", "pressure_mean", "goodwill_mean")

#: the figure's axis labels of the outcomes that have none in ``common.OUTCOMES`` (or another there)
PLOT_LABELS = {
    "pnl": "lender P&L over the\nrecorded months ($ million)",
    "collected": "collected on accounts\nin collection ($ million)",
    "shared_paid": "paid by households owing\nboth lenders ($ million)",
    "wellbeing_mean": "well-being of its borrowers\nin collection (index 0-100)",
}
#: market-wide diagnostics: households owing both lenders, and how often the split of a short budget binds
DIAGNOSTICS = ("owes_both_share", "split_binding_share", "split_money_share")


def lender(name: str, label: str) -> dict[str, Any]:
    strategy, params = STRATEGY_SPECS[label]
    return {"name": name, "strategy": strategy, "strategy_params": params, "market_share": 0.5,
            "collectors": STAFFING[label], "supply_sensitivity": 0.0,
            "price_sensitivity": 0.0, "product": {"kind": "card", "chargeoff_days": 180}}


class MarketWatch:
    """Watches a two-lender market through the model's observer hook (``CollectionModel(observers=...)``,
    ``sim.model.Observer``), in recorded months only, changing nothing:

    - the split of short budgets (``month.payments.split``, a ``sim.records.BudgetSplit``): the households
      for which it decides who gets paid, because they mean to pay both lenders and their budget is
      positive but short of what they mean to pay; the money at stake in those households; all money paid;
    - from the loan book as the month leaves it: what households that owe both lenders paid each lender,
      the share of such households, and the mean pressure and goodwill of each lender's late accounts.
    """

    def __init__(self) -> None:
        self.split = {"binding_households": 0.0, "at_stake": 0.0, "paid": 0.0}
        self.shared = np.zeros(2)
        self.state = np.zeros((2, 3))  # per lender: sums of mean pressure, mean goodwill, months with late accounts
        self.shared_households = 0.0
        self.months = 0

    def __call__(self, model: sim.CollectionModel, month) -> None:
        if month.month < 0:
            return
        split = month.payments.split
        owner, lend, wanted, budget = split.owner, split.lender, split.wanted, split.budget
        n = len(budget)
        total_wanted = np.bincount(owner, weights=wanted, minlength=n)
        wants = wanted > 0
        both = ((np.bincount(owner[wants & (lend == 0)], minlength=n) > 0)
                & (np.bincount(owner[wants & (lend == 1)], minlength=n) > 0))
        binding = both & (budget > 0) & (budget < total_wanted - 1e-9)
        self.split["binding_households"] += float(binding.sum()) / n
        self.split["at_stake"] += float(budget[binding].sum())
        self.split["paid"] += float(split.paid.sum())

        book = model.book
        owner, lend = book.view("borrower"), book.view("lender")
        live = book.collecting()
        n = model.borrowers.n
        owes_both = ((np.bincount(owner[live & (lend == 0)], minlength=n) > 0)
                     & (np.bincount(owner[live & (lend == 1)], minlength=n) > 0))
        rows = owes_both[owner]
        self.shared += np.bincount(lend[rows], weights=book.view("paid_last")[rows], minlength=2)
        self.shared_households += float(owes_both.mean())
        late = live & (book.view("cycles") > 0)
        pressure = model.pressure()
        for i in range(2):
            mine = late & (lend == i)
            if mine.any():
                self.state[i] += (float(pressure[mine].mean()), float(book.view("goodwill")[mine].mean()), 1)
        self.months += 1


def run_market(market: str, seed: int, base: dict[str, Any]) -> list[dict[str, Any]]:
    """One run of one market: the summary per lender and for all, and what households owing both paid
    each lender."""
    a, b = MARKETS[market]
    extra = NO_SIDE_EFFECTS if market in SENSITIVITY else {}
    watch = MarketWatch()
    model = sim.CollectionModel("baseline", rng=seed, **base, **MARKET, **extra,
                                lenders=[lender("A", a), lender("B", b)], observers=[watch])
    model.run()
    shared, state, split, months = watch.shared, watch.state, watch.split, watch.months
    summary = model.results().summary.set_index("lender")
    requested = [sum(used for _, used, _ in lend.capacity_log) + lend.capacity_shortfall_hours
                 for lend in model.lenders]
    dropped = [lend.capacity_shortfall_hours for lend in model.lenders]
    shortfall = [*(d / r if r > 0 else 0.0 for d, r in zip(dropped, requested, strict=True)),
                 sum(dropped) / max(sum(requested), 1e-9)]
    out = []
    for i, name in enumerate((*LENDERS, "all")):
        row = summary.loc[name]
        out.append({"market": market, "seed": seed, "lender": name,
                    "strategy": "-" if name == "all" else MARKETS[market][i],
                    **{k: float(row[k]) for k in OUTCOMES if k not in ("shared_paid", *STATES)},
                    "capacity_shortfall": shortfall[i],
                    **_states(state, i),
                    "shared_paid": float(shared.sum() if name == "all" else shared[i]),
                    "owes_both_share": watch.shared_households / max(months, 1),
                    "split_binding_share": split["binding_households"] / max(months, 1),
                    "split_money_share": split["at_stake"] / max(split["paid"], 1e-9)})
    return out


#: the single-lender study: the conventional ladder with its call attempts scaled (staffed to match), with
#: the side effects of contact on (the defaults) and off. Its question is the marginal return to contact
#: that the externality needs: does a lender that calls more lose less to default?
CALL_SCALES = (0.5, 1.0, 2.5)
SINGLE_OUTCOMES = {
    "net_chargeoff": ("net charge-offs, $ million", 1e-6),
    "collected": OUTCOMES["collected"],
    "complaints_per_1000": OUTCOMES["complaints_per_1000"],
    "wellbeing_mean": ("well-being of its borrowers in collection", 1.0),
}


def run_single(scale: float, side_effects: bool, seed: int, base: dict[str, Any]) -> dict[str, Any]:
    """One lender (the whole market) running the conventional ladder with ``call_scale = scale``."""
    spec = {"name": "L", "strategy": "conventional", "strategy_params": {"call_scale": scale},
            "collectors": max(1.0, scale), "supply_sensitivity": 0.0, "price_sensitivity": 0.0,
            "product": {"kind": "card", "chargeoff_days": 180}}
    extra = {} if side_effects else NO_SIDE_EFFECTS
    model = sim.CollectionModel("baseline", rng=seed, **base, **MARKET, **extra, lenders=[spec])
    model.run()
    results = model.results()
    row = results.summary.set_index("lender").loc["all"]
    monthly = results.monthly[results.monthly["lender"] == "all"]
    return {"scale": scale, "side_effects": side_effects, "seed": seed,
            "net_chargeoff": float(monthly["net_chargeoff"].sum()), "collected": float(row["collected"]),
            "complaints_per_1000": float(row["complaints_per_1000"]), "wellbeing_mean": float(row["wellbeing_mean"])}


def summarise_single(runs: pd.DataFrame) -> pd.DataFrame:
    """Levels per call scale and side-effect setting, and relative changes against scale 1, paired by seed."""
    rows = []
    for side_effects in (True, False):
        ref = runs[(runs["side_effects"] == side_effects) & (runs["scale"] == 1.0)].set_index("seed")
        for scale in CALL_SCALES:
            sel = runs[(runs["side_effects"] == side_effects) & (runs["scale"] == scale)].set_index("seed")
            for outcome in SINGLE_OUTCOMES:
                rows.append(ci_row(outcome, sel[outcome].to_numpy(), scale=scale, side_effects=side_effects,
                                   kind="level"))
                if scale != 1.0:
                    rows += _paired(sel, ref, outcome, ("relative",), scale=scale, side_effects=side_effects)
    return pd.DataFrame(rows)


def _paired(sel: pd.DataFrame, ref: pd.DataFrame, outcome: str, kinds: tuple[str, ...], **labels: Any
            ) -> list[dict[str, Any]]:
    """Differences and/or relative changes of ``outcome`` against the control runs, paired by seed (both
    frames indexed by seed)."""
    change = {"difference": lambda: sel[outcome] - ref[outcome],
              "relative": lambda: sel[outcome] / ref[outcome] - 1.0}
    return [ci_row(outcome, change[kind]().to_numpy(), **labels, kind=kind) for kind in kinds]


def _states(state: np.ndarray, i: int) -> dict[str, float]:
    """Mean pressure and goodwill of a lender's late accounts over the recorded months (lender ``i``; 2: both,
    weighting the lenders equally)."""
    per = [state[j, :2] / max(state[j, 2], 1) for j in range(2)]
    mean = per[i] if i < 2 else (per[0] + per[1]) / 2
    return {"pressure_mean": float(mean[0]), "goodwill_mean": float(mean[1])}


def summarise(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    levels, effects = [], []
    for market in MARKETS:
        control = CONTROL[market]
        for name in (*LENDERS, "all"):
            sel = runs[(runs["market"] == market) & (runs["lender"] == name)].set_index("seed")
            ref = runs[(runs["market"] == control) & (runs["lender"] == name)].set_index("seed")
            for outcome in (*OUTCOMES, *DIAGNOSTICS):
                levels.append(ci_row(outcome, sel[outcome].to_numpy(), market=market, lender=name))
                if market != control and outcome not in DIAGNOSTICS and outcome not in STATES:
                    effects += _paired(sel, ref, outcome, ("difference", "relative"), market=market, lender=name)
    return pd.DataFrame(levels), pd.DataFrame(effects)


def figure(levels: pd.DataFrame, img: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 10, "axes.spines.top": False,
                         "axes.spines.right": False})
    colours = {"A": "#D55E00", "B": "#0072B2", "all": "#555555"}
    hatches = {"A": "", "B": "//", "all": ".."}
    panels = ["pnl", "shared_paid", "recovery_rate_net", "chargeoff_rate", "complaints_per_1000",
              "wellbeing_mean"]
    fig, axes = plt.subplots(2, 3, figsize=(14, 6.5))
    markets = list(MARKETS)
    width = 0.27
    for ax, outcome in zip(axes.ravel(), panels, strict=True):
        scale = OUTCOMES[outcome][1]
        for j, name in enumerate((*LENDERS, "all")):
            sel = levels[(levels["quantity"] == outcome) & (levels["lender"] == name)].set_index("market").loc[markets]
            x = np.arange(len(markets)) + (j - 1) * width
            err = np.vstack([sel["mean"] - sel["ci_low"], sel["ci_high"] - sel["mean"]]) * scale
            ax.bar(x, sel["mean"] * scale, width, color=colours[name], hatch=hatches[name], edgecolor="white",
                   yerr=None if np.isnan(err).any() else err, capsize=3,
                   label={"A": "lender A", "B": "lender B", "all": "both lenders"}[name])
        short = {"conventional": "conv", "aggressive": "aggr", "pressing": "press"}
        ax.set_xticks(range(len(markets)), [f"{m.split()[0]} {short[MARKETS[m][0]]}/{short[MARKETS[m][1]]}"
                                            for m in markets], fontsize=7)
        ax.set_ylabel(PLOT_LABELS.get(outcome) or common.outcome_label(outcome), fontsize=9)
        ax.set_xlabel("market (lender A / lender B strategy)", fontsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle("Two lenders, shared borrowers: outcomes by market (mean, 95% CI across replications)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9, frameon=False)
    img.mkdir(parents=True, exist_ok=True)
    paths = [img / "externality.png", img / "externality.svg"]
    fig.savefig(paths[0], dpi=200, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    plt.close(fig)
    return paths


def verdict(aggressor_gains: bool, other_loses: bool, together_worse: bool, word: str = "aggressive") -> str:
    """One sentence: what the run says about each part of the question. The answer is an outcome of the
    calibrated mechanisms, not a target (issue 12)."""
    article = "an" if word[0] in "aeiou" else "a"
    return (f"In this model {article} {word} lender {'gains' if aggressor_gains else 'does not gain'} (P&L), the "
            f"other lender {'loses' if other_loses else 'does not lose'}, and all lenders together "
            f"{'do worse' if together_worse else 'do not do worse'} when both are {word}.")


def write_page(levels: pd.DataFrame, effects: pd.DataFrame, single: pd.DataFrame, args: argparse.Namespace,
               command: str, out: Path) -> Path:
    def single_cell(scale: float, side: bool, outcome: str, kind: str = "level") -> pd.Series:
        sel = ((single["scale"] == scale) & (single["side_effects"] == side) & (single["quantity"] == outcome)
               & (single["kind"] == kind))
        return single[sel].iloc[0]

    def single_rel(scale: float, side: bool) -> str:
        return rel(single_cell(scale, side, "net_chargeoff", "relative"))

    def single_rows() -> list[str]:
        out_rows = []
        for side in (True, False):
            for scale in CALL_SCALES:
                cells = []
                for outcome, (_, unit) in SINGLE_OUTCOMES.items():
                    r = single_cell(scale, side, outcome)
                    cells.append(fmt(r["mean"], r["ci_low"], r["ci_high"], unit, 2 if unit == 1e-6 else 1))
                change = "-" if scale == 1.0 else single_rel(scale, side)
                out_rows.append(f"| {'on (defaults)' if side else 'off'} | {scale:g} | " + " | ".join(cells)
                                + f" | {change} |")
        return out_rows

    def level_row(market: str, name: str, outcome: str) -> pd.Series:
        return levels[(levels["market"] == market) & (levels["lender"] == name)
                      & (levels["quantity"] == outcome)].iloc[0]

    def lv(market: str, name: str, outcome: str) -> str:
        r = level_row(market, name, outcome)
        scale = OUTCOMES[outcome][1] if outcome in OUTCOMES else 100.0
        digits = 2 if scale == 1e-6 or outcome in ("pressure_mean", "goodwill_mean") else 1
        return fmt(r["mean"], r["ci_low"], r["ci_high"], scale, digits)

    def ef(market: str, name: str, outcome: str, kind: str = "relative") -> pd.Series:
        return effects[(effects["market"] == market) & (effects["lender"] == name)
                       & (effects["quantity"] == outcome) & (effects["kind"] == kind)].iloc[0]

    def rel(r: pd.Series) -> str:
        return fmt(r["mean"], r["ci_low"], r["ci_high"], 100, 1, "%")

    def claims(b: str, c: str) -> tuple[bool, bool, bool, dict[str, pd.Series]]:
        r = {"a_gain": ef(b, "A", "pnl"), "b_loss": ef(b, "B", "pnl"),
             "a_shared": ef(b, "A", "shared_paid"), "b_shared": ef(b, "B", "shared_paid"),
             "b_co": ef(b, "B", "chargeoff_rate", "difference"), "all_coll": ef(c, "all", "pnl"),
             "all_net": ef(c, "all", "recovery_rate_net", "difference"),
             "all_wb": ef(c, "all", "wellbeing_mean", "difference")}
        gains = r["a_gain"]["ci_low"] > 0 if not np.isnan(r["a_gain"]["ci_low"]) else r["a_gain"]["mean"] > 0
        loses = r["b_loss"]["ci_high"] < 0 if not np.isnan(r["b_loss"]["ci_high"]) else r["b_loss"]["mean"] < 0
        worse = r["all_coll"]["mean"] < 0 and r["all_net"]["mean"] < 0
        return gains, loses, worse, r

    def bullets(b: str, c: str, word: str) -> tuple[list[str], tuple[bool, bool, bool]]:
        gains, loses, worse, r = claims(b, c)
        b_co, net = r["b_co"], r["all_net"]
        return [
            f"- **Does the {word} lender gain?** "
            f"{'Yes' if gains else 'No'}: when A turns {word} in {b.split()[0]}, A's P&L changes by "
            f"{rel(r['a_gain'])} against {CONTROL[b].split()[0]}, and what A receives from households that owe "
            "both lenders by "
            f"{rel(r['a_shared'])}.",
            f"- **At the other lender's expense?** {'Yes' if loses else 'No'}: B's "
            f"P&L changes by {rel(r['b_loss'])} and what B receives from households owing both by "
            f"{rel(r['b_shared'])}; B's charge-off rate changes by "
            f"{fmt(b_co['mean'], b_co['ci_low'], b_co['ci_high'], 100, 2, ' pp')} a year.",
            f"- **All lenders together worse off?** {'Yes' if worse else 'No'}: with both {word} "
            f"{c.split()[0]} against both conventional {CONTROL[c].split()[0]}, the lenders' P&L changes by "
            f"{rel(r['all_coll'])}, "
            f"net recovery by {fmt(net['mean'], net['ci_low'], net['ci_high'], 100, 2, ' pp')}"
            f" of delinquent exposure, and mean household well-being by "
            f"{fmt(r['all_wb']['mean'], r['all_wb']['ci_low'], r['all_wb']['ci_high'], 1, 2, ' points')}.",
        ], (gains, loses, worse)

    aggressive_bullets, (aggressor_gains, other_loses, together_worse) = bullets(
        "(b) A aggressive, B conventional", "(c) both aggressive", "aggressive")
    pressing_bullets, pressing_claims = bullets("(d) A pressing, B conventional", "(e) both pressing", "pressing")
    def mean_of(market: str, name: str, outcome: str) -> float:
        return float(level_row(market, name, outcome)["mean"])

    g_market = "(g) A pressing, B conventional, no contact side effects"
    loudness = sim.load_scenario("baseline").behaviour.priority_loudness
    split_edge = float(np.exp(loudness * (mean_of(g_market, "A", "pressure_mean")
                                          - mean_of(g_market, "B", "pressure_mean"))) - 1.0)
    bare_co = ef(g_market, "A", "chargeoff_rate", "difference")
    beh = sim.load_scenario("baseline").behaviour
    pressure_rise = (mean_of(g_market, "A", "pressure_mean")
                     - mean_of("(f) both conventional, no contact side effects", "A", "pressure_mean"))
    bare_bullets, bare_claims = bullets("(g) A pressing, B conventional, no contact side effects",
                                        "(h) both pressing, no contact side effects", "pressing")

    def diag(quantity: str, market: str = "(a) both conventional") -> pd.Series:
        sel = (levels["quantity"] == quantity) & (levels["lender"] == "all") & (levels["market"] == market)
        return levels[sel].iloc[0]

    owes_both = levels[(levels["quantity"] == "owes_both_share") & (levels["lender"] == "all")]["mean"].mean()
    binding, money = diag("split_binding_share"), diag("split_money_share")

    lines = [
        "# Several lenders, one budget: the collection externality",
        "",
        "*Generated by `experiments/externality.py`; do not edit by hand.* Reproduce with:",
        "",
        "```",
        command,
        "```",
        "",
        f"{args.reps} replications (seeds {args.seed}-{args.seed + args.reps - 1}), {args.households:,} "
        f"households, {args.burn_in} months of burn-in and {args.horizon} recorded months, built on "
        "`scenarios/baseline.toml` (US cards, calm times). Two card lenders, A and B, each receive half the "
        "applications. Households may hold four loans (`population.max_loans_per_borrower = 4`), start with "
        "1.6 on average and apply twice as often as in the baseline (`application_rate = 0.07`), so that "
        f"on average {100 * owes_both:.0f}% of households owe both lenders at once. Credit supply is held "
        "fixed (`supply_sensitivity = price_sensitivity = 0`) so that only collection differs between "
        "markets. All markets run on the same seeds (common random numbers); differences are paired by "
        "seed; intervals are 95% Student-t intervals across replications.",
        "",
        "How a household's payment is split (`sim/borrowers.py`, `split_budget`; docs/ODD.md 7.5): a household "
        "whose budget covers what it means to pay pays it, loan by loan. One that cannot pay every lender "
        "pays first what has consequences and then the loudest creditor: its budget is shared across the "
        "loans it meant to pay in proportion to `exp(priority_consequence x [suit, judgment or credible "
        "threat] + priority_loudness x pressure) x amount meant`. Pressure (concave in the contact stock) "
        "also raises the intention to pay each loan; harassment by a collector lowers the intention to pay "
        "*that* collector (reactance); stress, which every collector's contact adds to, lowers the intention "
        "to pay every loan.",
        "",
        "## Per lender",
        "",
        "| market | lender | strategy | " + " | ".join(OUTCOMES[o][0] for o in OUTCOMES) + " |",
        "| --- | --- | --- | " + " | ".join("---" for _ in OUTCOMES) + " |",
    ]
    for market, strategies in MARKETS.items():
        for i, name in enumerate((*LENDERS, "all")):
            strategy = strategies[i] if name != "all" else "-"
            lines.append(f"| {market} | {name} | {strategy} | "
                         + " | ".join(lv(market, name, o) for o in OUTCOMES) + " |")
    lines += [
        "",
        "## Effects against the control market, paired by seed",
        "",
        "| market | against | lender | P&L | collected | paid by households owing both | net recovery (pp) | "
        "charge-offs (pp a year) | well-being (points) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for market in (m for m in MARKETS if m not in CONTROLS):
        for name in (*LENDERS, "all"):
            cells = [rel(ef(market, name, "pnl")), rel(ef(market, name, "collected")),
                     rel(ef(market, name, "shared_paid"))]
            for outcome, scale in (("recovery_rate_net", 100), ("chargeoff_rate", 100), ("wellbeing_mean", 1)):
                r = ef(market, name, outcome, "difference")
                cells.append(fmt(r["mean"], r["ci_low"], r["ci_high"], scale, 2))
            lines.append(f"| {market} | {CONTROL[market].split()[0]} | {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## What the model says",
        "",
        "With the library's `aggressive` strategy (markets (b) and (c)):",
        "",
        *aggressive_bullets,
        "",
        "With pressure isolated (markets (d) and (e)): the `pressing` lender runs the conventional ladder, "
        "with the same plans, suits, placement and sale, but 2.5 times its call attempts "
        "(`strategy_params = {call_scale = 2.5, threaten_from_cycle = 2}`: 8-30 attempts a month) and "
        "threats of legal action from the second missed cycle:",
        "",
        *pressing_bullets,
        "",
        "How often the split binds. In market (a), in an average month "
        f"{fmt(binding['mean'], binding['ci_low'], binding['ci_high'], 100, 2, '%')} of households mean to pay "
        "both lenders and are short of cash, and the budget they share is "
        f"{fmt(money['mean'], money['ci_low'], money['ci_high'], 100, 2, '%')} of all the money households "
        "pay (counted from each month's `sim.records.BudgetSplit` through the model's observer hook). What "
        "decides the aggressor's overall result is also the rest of its strategy (`sim/strategies.py`): "
        "10-30 call attempts a month from the "
        "first missed payment, a quarter of them at night (harassment that lowers the intention to pay it), "
        "home visits, threats, early suits, no instalment plans, and sale of charged-off claims after 3 months "
        f"at 10 cents on the dollar. The goodwill of A's late accounts towards it is "
        f"{lv('(b) A aggressive, B conventional', 'A', 'goodwill_mean')} in (b) against "
        f"{lv('(a) both conventional', 'A', 'goodwill_mean')} in (a). The other lender is touched through the "
        "households it shares with A: A's suits and credible threats put A first in a short budget, and A's "
        "contacts add to the stress that lowers the intention to pay every loan.",
        "",
        "Aggressive strategy: " + verdict(aggressor_gains, other_loses, together_worse),
        "",
        "Pressure alone: " + verdict(*pressing_claims, word="pressing"),
        "",
        "Pressure without its side effects. Markets (f) to (h) rerun (a), (d) and (e) "
        "with the side effects of contact switched off: no goodwill or stress from call attempts and threats, "
        "no reactance, and no feedback of reputation on goodwill (`NO_SIDE_EFFECTS` in the script). What is "
        "left is pressure itself, in the intention to pay and in the split. Against (f):",
        "",
        *bare_bullets,
        "",
        "Without side effects, the mean pressure on A's late accounts rises from "
        f"{lv('(f) both conventional, no contact side effects', 'A', 'pressure_mean')} to "
        f"{lv('(g) A pressing, B conventional, no contact side effects', 'A', 'pressure_mean')}: in the "
        f"intention to pay that adds about {beh.pressure_weight * pressure_rise:.2f} to the logit "
        f"(`behaviour.pressure_weight` = {beh.pressure_weight:g}; pressure is concave in the contact stock, so "
        "more calls add less and less), and in a short budget it gives the pressing lender about "
        f"{100 * split_edge:.0f}% more weight than its rival (`behaviour.priority_loudness`). A's charge-off "
        f"rate changes by {fmt(bare_co['mean'], bare_co['ci_low'], bare_co['ci_high'], 100, 2, ' pp')} a year. "
        "With the side effects on, markets (d) and (e), the goodwill of A's late accounts is "
        f"{lv('(d) A pressing, B conventional', 'A', 'goodwill_mean')} in (d) against "
        f"{lv('(a) both conventional', 'A', 'goodwill_mean')} in (a): calls beyond the household's tolerance and "
        "threats cost goodwill, which recovers when contact stops.",
        "",
        "## The marginal return to contact, one lender",
        "",
        "The first half of the claim, that aggression pays the aggressor, needs calls that pay the lender "
        "who makes them. The same households with one lender that runs the conventional ladder with its call "
        "attempts scaled (`call_scale`; staffed to match), with the side effects of contact on (the "
        "defaults) and off; changes against the ladder as it is (scale 1), paired by seed:",
        "",
        "| side effects of contact | call scale | " + " | ".join(SINGLE_OUTCOMES[o][0] for o in SINGLE_OUTCOMES)
        + " | net charge-offs against scale 1 |",
        "| --- | --- | " + " | ".join("---" for _ in SINGLE_OUTCOMES) + " | --- |",
        *single_rows(),
        "",
        f"With the defaults, halving the calls changes the lender's net charge-offs by {single_rel(0.5, True)} "
        f"and multiplying them by 2.5 by {single_rel(2.5, True)}; without the side effects, by "
        f"{single_rel(0.5, False)} and {single_rel(2.5, False)}. Fedaseyeu (2020) finds that restricting "
        "debt collectors lowers recoveries: fewer contacts should mean larger losses. "
        + ("With the defaults the model says the opposite in this market: halving the calls lowers the losses. "
           if single_cell(0.5, True, "net_chargeoff", "relative")["mean"] < 0 else
           "With the defaults, fewer calls do mean larger losses, as the contact mechanism is calibrated to "
           "(docs/patterns.md measures the same pattern on the baseline market). ")
        + "Whether aggression pays the aggressor, and at whose expense, is then what the markets above report; "
        "it is an outcome of the calibrated mechanisms, not a target.",
        "",
        "![outcomes by market and lender](img/externality.png)",
        "",
    ]
    return write_study_page(out, "externality", lines, [
        "`docs/externality.csv`: mean and 95% CI per market, lender and outcome.",
        "`docs/externality_effects.csv`: differences and relative changes against the control market, paired "
        "by seed.",
        "`docs/externality_single_lender.csv`: the single-lender call-intensity study (levels, and relative "
        "changes against scale 1).",
        "`docs/img/externality.png` and `.svg`: the figure.",
        "`tests/test_field_effects.py` runs `--tiny` and checks the key numbers.",
    ])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = StudyParser("Two lenders with shared borrowers: does an aggressive lender collect more at the other's "
                    "expense, and do both lenders together do worse when both are aggressive?",
                    what="market", households=6000, tiny={"households": 2000, "reps": 2, "horizon": 18, "burn_in": 12})
    args = p.parse_study(argv, smoke_sizes={"households": 300, "reps": 2, "horizon": 4, "burn_in": 2})
    check_study_args(args)
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    base = {"population.n_borrowers": args.households, "horizon_months": args.horizon,
            "burn_in_months": args.burn_in}
    rows, single_rows = [], []
    seeds = [args.seed + r for r in range(args.reps)]
    singles = [(scale, side) for side in (True, False) for scale in CALL_SCALES]
    with progress_bar(len(seeds) * (len(MARKETS) + len(singles)), "runs", enabled=not args.no_progress) as bar:
        for seed in seeds:
            for market in MARKETS:
                rows.extend(run_market(market, seed, base))
                bar.update(1)
            for scale, side in singles:
                single_rows.append(run_single(scale, side, seed, base))
                bar.update(1)
    levels, effects = summarise(pd.DataFrame(rows))
    single = summarise_single(pd.DataFrame(single_rows))
    out = Path(args.out)
    written = common.write_tables(out, {"externality": levels, "externality_effects": effects,
                                        "externality_single_lender": single})
    written += figure(levels, out / "img")
    command = " ".join(["python experiments/externality.py", *argv])
    written.append(write_page(levels, effects, single, args, command, out))
    report(written)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main, resumable=False))
