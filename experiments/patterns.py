"""The patterns the model must reproduce (pattern-oriented modelling, Grimm et al. 2005), measured with
replications on common random numbers, and written as docs/patterns.md and docs/patterns.csv.

Each study is a function that the tests (tests/test_patterns.py) call with fewer replications:

- ``book``: the shape of a card book in calm times: bucket shares by balance and by account, monthly
  roll rates between buckets, cure rates and on-time payment, against public card data;
- ``intensity``: one lender's conventional ladder with its calls scaled by 0.5, 1, 2 and 4, and no
  collection at all: what effort buys (net charge-offs, the lender's money) and costs (complaints);
- ``frontier``: the default comparison of strategies on money, complaints and well-being;
- ``caps``: an aggressive lender under each regulation regime: the share of requested calls each rule
  clips, and what that changes;
- ``threats``: threats of legal action from a collector that sues and from one that never does;
- ``literacy``, ``network``, ``regulator``: mechanisms that must matter (less literate households misread
  more; with more ties, more neighbours bear the stress of a home visit; an adaptive regulator's tightening
  changes conduct);
- ``robustness``: the frontier again, with each unsourced contact parameter (and the share of judgments that
  get a garnishment order) set low and high in turn;
- ``capacity``: the conventional ladder and ``value_based`` allocation at default and at realistic staffing;
- ``skill``: how well ``data_driven`` tells will-not-pay from cannot-pay against the model's hidden truth,
  next to a score-only rule.

The lender's money in these studies (``pnl``) is its P&L over the recorded months (``pnl``,
docs/outcomes.md): net cash flows plus the change in the value of its book, each claim valued at its expected
recovery.

Usage:
    python experiments/patterns.py                 # every study, 6 replications, 5,000 households
    python experiments/patterns.py --tiny          # a fast smoke run (tests)
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.loans import Status  # noqa: E402
from sim.metrics import RULE_COLUMNS  # noqa: E402
from sim.stats import interval_row  # noqa: E402

BUCKETS = ("current", "1-29", "30-59", "60-89", "90-179")

#: the shape of a card book, from public card data (docs/calibration.md cites each)
BOOK_TARGETS = {
    "on_time_rate": ((0.94, 0.985), "about 95% of accounts pay on time (BRIEF section 4); a cycle-1 share of 2-3% "
                                    "of receivables implies a little more"),
    "balance_share_1-29": ((0.015, 0.04), "Citibank card trust: 1.9% (2012) to 3.2% (2009) of receivables up to "
                                          "34 days past due"),
    "balance_share_30-59": ((0.004, 0.016), "BofA card trust 0.47-0.52% (2014-19), Citibank 0.74-1.52%, a 2007 "
                                            "trust 1.50%"),
    "roll_30-59_to_60-89": ((0.55, 0.85), "successive-bucket ratios of trust receivables: 0.61-0.77 (Chase 2024, "
                                          "BofA 2019, COMET 2008)"),
    "roll_60-89_to_90-179": ((0.6, 0.95), "successive-bucket ratios: 0.77-0.88 (Chase 2024, BofA 2019, Citibank "
                                          "2012)"),
}


# --------------------------------------------------------------------------------------------------
# one run
# --------------------------------------------------------------------------------------------------
def _bucket(book) -> np.ndarray:
    """0-4 for on-book loans by days past due (BUCKETS), 5 charged off, 6 otherwise."""
    dpd, cycles, status = book.view("dpd"), book.view("cycles"), book.view("status")
    b = np.zeros(book.n, np.int8)
    b[cycles > 0] = 1
    b[dpd >= 30] = 2
    b[dpd >= 60] = 3
    b[dpd >= 90] = 4
    on_book = book.on_book()
    return np.where(on_book, b, np.where(status == Status.CHARGED_OFF, 5, 6))


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for the positive ``label`` (Mann-Whitney, ties halved)."""
    from scipy.stats import rankdata

    pos, neg = int(label.sum()), int((~label).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))


def run(args: tuple[str, dict, int, str]) -> dict[str, Any]:
    """One run: ``(study arm, overrides, seed, scenario)``; returns its outcomes as a flat dict."""
    arm, overrides, seed, scenario = args
    shape = overrides.pop("_shape", False)
    skill = overrides.pop("_skill", False)
    model = sim.CollectionModel(scenario, rng=seed, **overrides)
    model.keep_truth = skill
    balances, accounts, rolls = [], [], np.zeros((5, 7))
    previous = None
    will_not, score_only, unwilling = [], [], []
    while model.running:
        model.step()
        if model.month <= 0:
            continue
        book = model.book
        if shape:
            b = _bucket(book)
            on_book = b < 5
            claim = book.claim()
            accounts.append(np.bincount(b[on_book], minlength=5) / max(on_book.sum(), 1))
            balances.append(np.bincount(b[on_book], weights=claim[on_book], minlength=5) / max(claim[on_book].sum(), 1))
            ids = book.view("loan_id")
            if previous is not None:
                pid, pb = previous
                pos = np.minimum(np.searchsorted(ids, pid), len(ids) - 1)
                rolls_to = np.where(ids[pos] == pid, b[pos], 6)
                np.add.at(rolls, (pb, rolls_to), 1)
            previous = (ids[on_book].copy(), b[on_book].copy())
        if skill and model.truth is not None:
            strategy = model.lenders[0].strategy
            truth = model.truth
            pos = np.searchsorted(truth.loan_id, strategy.scored_ids_)
            found = (pos < len(truth.loan_id)) & (truth.loan_id[np.minimum(pos, len(truth.loan_id) - 1)]
                                                  == strategy.scored_ids_)
            rows = pos[found]
            # the accounts that did not pay what was due this month, and why
            why = truth.unwilling[rows] | truth.cash_short[rows]
            keep = why & (truth.due[rows] > 0)
            will_not.append(strategy.will_not_score_[found][keep])
            unwilling.append(truth.unwilling[rows][keep])
            obs_score = model.book.view("score_observed")
            book_pos = np.searchsorted(model.book.view("loan_id"), strategy.scored_ids_[found][keep])
            score_only.append(-obs_score[np.minimum(book_pos, model.book.n - 1)])  # a low score flags will-not
    result = model.results()
    s = result.summary.set_index("lender").loc["all"]
    monthly = result.monthly[result.monthly["lender"] == "all"]
    out: dict[str, Any] = {
        "arm": arm, "seed": seed, "households": model.borrowers.n,
        "pnl": float(s["pnl"]) / 1e6,
        "npv": float(s["npv"]) / 1e6,
        "net_chargeoff": float(monthly["net_chargeoff"].sum()) / 1e6,
        "recovery_share": float(monthly["recoveries"].sum() / max(monthly["gross_chargeoff"].sum(), 1e-9)),
        "chargeoff_rate": float(s["chargeoff_rate"]),
        "delinquency_30plus_rate": float(s["delinquency_30plus_rate"]),
        "complaints_per_1000": float(s["complaints_per_1000"]),
        "communication_complaints_per_1000": float(s["complaints_communication_tactics_per_1000"]),
        "disputes_per_1000": float(s["disputes_per_1000"]),
        "public_complaints": float(monthly["complaints_via_public"].sum()),
        "complaints": float(monthly["complaints"].sum()),
        "wellbeing_mean": float(s["wellbeing_mean"]),
        "on_time_rate": float(s["on_time_rate"]),
        "call_requests": float(monthly["call_requests"].sum()),
        "call_attempts": float(monthly["call_attempts"].sum()),
        "collection_cost": float(s["collection_cost"]) / 1e6,
        "tightenings": model.regulator.tightenings,
        "collector_hours": sum(used for month, used, _ in model.lenders[0].capacity_log if month >= 0),
        "collector_hours_short": model.lenders[0].capacity_shortfall_hours,
        "collected_net": float(monthly["collected"].sum() - monthly["collection_cost"].sum()) / 1e6,
        "misunderstanding_mean": float(model.borrowers.misunderstanding.mean()),
    }
    for col in RULE_COLUMNS:
        out[col] = float(monthly[col].sum())
    if shape:
        bal, acc = np.mean(balances, axis=0), np.mean(accounts, axis=0)
        rates = rolls / np.maximum(rolls.sum(axis=1, keepdims=True), 1)
        for i, name in enumerate(BUCKETS):
            out[f"balance_share_{name}"] = float(bal[i])
            out[f"account_share_{name}"] = float(acc[i])
        for i in range(1, 5):
            out[f"cure_{BUCKETS[i]}"] = float(rates[i, 0])
            out[f"stay_{BUCKETS[i]}"] = float(rates[i, i])
        out["roll_current_to_1-29"] = float(rates[0, 1])
        out["roll_1-29_to_30-59"] = float(rates[1, 2])
        out["roll_30-59_to_60-89"] = float(rates[2, 3])
        out["roll_60-89_to_90-179"] = float(rates[3, 4])
        out["roll_90-179_to_charge_off"] = float(rates[4, 5])
    if skill:
        score, label, base = np.concatenate(will_not), np.concatenate(unwilling), np.concatenate(score_only)
        out["auc_data_driven"] = _auc(score, label)
        out["auc_score_only"] = _auc(base, label)
        flagged = score > 0
        out["precision_will_not"] = float(label[flagged].mean()) if flagged.any() else float("nan")
        out["recall_will_not"] = float(flagged[label].mean()) if label.any() else float("nan")
        out["unwilling_share"] = float(label.mean())
    return out


# --------------------------------------------------------------------------------------------------
# studies: each returns a table of runs, one row per arm and seed
# --------------------------------------------------------------------------------------------------
def _runs(pool: Executor, arms: dict[str, dict], seeds: range, households: int,
          scenario: str = "baseline") -> pd.DataFrame:
    jobs = [(arm, {"population.n_borrowers": households, **overrides}, seed, scenario)
            for arm, overrides in arms.items() for seed in seeds]
    return pd.DataFrame(list(pool.map(run, jobs)))


def book(pool: Executor, seeds: range, households: int) -> pd.DataFrame:
    return _runs(pool, {"conventional": {"_shape": True}}, seeds, households)


INTENSITY = {"calls x0.5": 0.5, "calls x1": 1.0, "calls x2": 2.0, "calls x4": 4.0}


def intensity(pool: Executor, seeds: range, households: int) -> pd.DataFrame:
    arms = {name: {"lenders.0.strategy_params.call_scale": scale} for name, scale in INTENSITY.items()}
    arms["no collection"] = {"lenders.0.strategy": "no_collection"}
    return _runs(pool, arms, seeds, households)


FRONTIER = ("conventional", "aggressive", "hardship_first", "digital_first", "data_driven", "value_based",
            "litigation_heavy", "outsource_early", "sell_early", "phonebook_pressure", "no_collection")


def frontier(pool: Executor, seeds: range, households: int, strategies=FRONTIER) -> pd.DataFrame:
    return _runs(pool, {name: {"lenders.0.strategy": name} for name in strategies}, seeds, households)


REGIMES = ("none", "us_reg_f", "us_reg_f_creditors", "china_2018", "china_cba_2026")


def caps(pool: Executor, seeds: range, households: int) -> pd.DataFrame:
    arms = {regime: {"lenders.0.strategy": "aggressive", "regulation.regime": regime} for regime in REGIMES}
    return _runs(pool, arms, seeds, households)


def threats(pool: Executor, seeds: range, households: int) -> pd.DataFrame:
    """Threats of legal action from 30 days past due, or none, by a collector that sues (the conventional
    ladder suing balances of $500 or more from 60 days past due) and by one that never sues."""
    threat = {"lenders.0.strategy_params.threaten_from_cycle": 2}
    suing = {"lenders.0.strategy_params.sue_from_cycle": 3, "lenders.0.strategy_params.sue_min_claim": 500.0}
    never = {"lenders.0.strategy_params.sue_from_cycle": 99}
    arms = {"suits, no threats": suing, "suits, threats": {**suing, **threat},
            "no suits, no threats": never, "no suits, threats": {**never, **threat}}
    return _runs(pool, arms, seeds, households)


def literacy(pool: Executor, seeds: range, households: int) -> pd.DataFrame:
    arms = {f"literacy {x:g}": {"population.literacy_mean": x} for x in (0.35, 0.55, 0.75)}
    return _runs(pool, arms, seeds, households)


def network(pool: Executor, seeds: range, households: int) -> pd.DataFrame:
    """An aggressive lender (home visits from 60 days past due, seen by the neighbours), with 2, 8 and 20 ties
    per household."""
    aggressive = {"lenders.0.strategy": "aggressive"}
    return _runs(pool, {f"degree {d}": {**aggressive, "network.degree": d} for d in (2, 8, 20)}, seeds, households)


def regulator(pool: Executor, seeds: range, households: int) -> pd.DataFrame:
    """An aggressive lender under no rules, with a regulator that tolerates 60 complaints per 1,000 a month for
    three months before it tightens the contact caps, and without one."""
    aggressive = {"lenders.0.strategy": "aggressive"}
    arms = {"no regulator": aggressive,
            "adaptive regulator": {**aggressive, "regulation.adaptive": True, "regulation.complaint_threshold": 60.0,
                                   "regulation.patience_months": 3}}
    return _runs(pool, arms, seeds, households)


#: collectors per 1,000 loans on the book at which capacity binds: with about 8% of the book in collection,
#: 0.1 collectors per 1,000 loans is about 800 accounts in collection per collector, near the low end of the
#: 1,000-3,000 accounts per collector of US collection agencies (CFPB 2016, Study of Third-Party Debt
#: Collection Operations); the default (1 per 1,000 loans) staffs the conventional ladder fully
REALISTIC_STAFFING = 0.1


#: studies that need more replications than ``--reps`` to resolve the effect they report: the capacity study's
#: paired difference in net collected per collector hour between ``value_based`` and the ladder is about $80 an
#: hour with a seed-to-seed spread of about $70, too little for six replications
STUDY_REPS = {"capacity": 16}
#: the label of ``value_based`` ranking the steps by expected gain per hour instead of by expected gain
VALUE_PER_HOUR = "value_based ranked by gain per hour"
#: the ladder's other rationing rules (``ration_by``; its default is claim times age) and their labels
RATION_RULES = {"random": "at random", "claim": "by claim", "age": "by age", "claim_x_age_squared": "by claim x age^2"}


def capacity(pool: Executor, seeds: range, households: int) -> pd.DataFrame:
    """The conventional ladder and value-based allocation, fully staffed and at realistic staffing, the
    ladder at realistic staffing rationed by other rules (:data:`RATION_RULES`; at random: does allocation
    matter?), and ``value_based`` ranking its steps by expected gain per hour (``rank_by``)."""
    arms = {}
    for name in ("conventional", "value_based"):
        arms[f"{name}, default staffing"] = {"lenders.0.strategy": name}
        arms[f"{name}, realistic staffing"] = {"lenders.0.strategy": name, "lenders.0.collectors": REALISTIC_STAFFING}
    for rule, label in RATION_RULES.items():
        arms[f"conventional rationed {label}, realistic staffing"] = {
            "lenders.0.strategy": "conventional", "lenders.0.collectors": REALISTIC_STAFFING,
            "lenders.0.strategy_params": {"ration_by": rule}}
    arms[f"{VALUE_PER_HOUR}, realistic staffing"] = {
        "lenders.0.strategy": "value_based", "lenders.0.collectors": REALISTIC_STAFFING,
        "lenders.0.strategy_params": {"rank_by": "gain_per_hour"}}
    frame = _runs(pool, arms, seeds, households)
    frame["net_collected_per_hour"] = 1e6 * frame["collected_net"] / frame["collector_hours"].clip(lower=1.0)
    return frame


def skill(pool: Executor, seeds: range, households: int) -> pd.DataFrame:
    return _runs(pool, {"data_driven": {"lenders.0.strategy": "data_driven", "_skill": True}}, seeds, households)


#: the unsourced parameters of the contact mechanism, and the weakest-sourced one of the legal channel (the share
#: of judgments on which a garnishment order is served: one Colorado sample), each set one at a time to a low and
#: a high value
UNSOURCED = {
    "behaviour.pressure_scale": (2.0, 8.0),
    "tactics.conversation_dose": (0.25, 1.0),
    "behaviour.contact_tolerance": (4.0, 16.0),
    "behaviour.reactance_weight": (0.02, 0.08),
    "behaviour.night_reactance": (0.5, 2.0),
    "behaviour.goodwill_recovery": (0.02, 0.3),
    "tactics.offer_acceptance": (0.25, 1.0),  # around the fitted 0.48
    "tactics.threat_credibility_full": (0.05, 0.2),
    "tactics.call_avoidance": (0.0, 1.0),
    "tactics.garnishment_order_share": (0.3, 0.8),
}
ROBUSTNESS_STRATEGIES = ("conventional", "aggressive", "hardship_first", "digital_first", "litigation_heavy",
                         "no_collection")


def robustness(pool: Executor, seeds: range, households: int) -> pd.DataFrame:
    """The frontier of a few strategies with each unsourced parameter set low and high in turn (at most 3
    replications of 3,000 households: 21 settings x 6 strategies)."""
    seeds, households = range(min(len(seeds), 3)), min(households, 3000)
    settings = {"defaults": {}}
    for name, values in UNSOURCED.items():
        for value in values:
            settings[f"{name}={value:g}"] = {name: value}
    arms = {f"{label} | {strategy}": {**overrides, "lenders.0.strategy": strategy}
            for label, overrides in settings.items() for strategy in ROBUSTNESS_STRATEGIES}
    frame = _runs(pool, arms, seeds, households)
    frame[["setting", "strategy"]] = frame["arm"].str.split(" \\| ", expand=True)
    return frame


def robustness_table(frame: pd.DataFrame) -> list[str]:
    """Per setting: the best strategy on each axis and the frontier."""
    lines = ["| setting | most money | fewest complaints | highest well-being | frontier |",
             "| --- | --- | --- | --- | --- |"]
    for setting, sel in frame.groupby("setting", sort=False):
        means = sel.groupby("strategy")[["pnl", "complaints_per_1000", "wellbeing_mean"]].mean()
        front = _dominance(sel.assign(arm=sel["strategy"])).split(": ", 1)[1].rstrip(".")
        lines.append(f"| {setting} | `{means['pnl'].idxmax()}` | `{means['complaints_per_1000'].idxmin()}` | "
                     f"`{means['wellbeing_mean'].idxmax()}` | {front} |")
    return lines


STUDIES = {"book": book, "intensity": intensity, "frontier": frontier, "caps": caps, "threats": threats,
           "literacy": literacy, "network": network, "regulator": regulator, "capacity": capacity, "skill": skill,
           "robustness": robustness}


# --------------------------------------------------------------------------------------------------
# summaries
# --------------------------------------------------------------------------------------------------
def paired(frame: pd.DataFrame, control: str, value: str, relative: bool = False) -> pd.DataFrame:
    """Per arm: the mean paired difference (or relative difference) of ``value`` against ``control`` over
    seeds, with its 95% interval."""
    base = frame[frame["arm"] == control].set_index("seed")[value]
    rows = []
    for arm, sel in frame.groupby("arm", sort=False):
        if arm == control:
            continue
        x = sel.set_index("seed")[value]
        d = (x / base - 1.0) if relative else (x - base)
        rows.append(interval_row(d.to_numpy(), arm=arm, vs=control, outcome=value, relative=relative))
    return pd.DataFrame(rows)


def levels(frame: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    rows = []
    for arm, sel in frame.groupby("arm", sort=False):
        for outcome in outcomes:
            rows.append(interval_row(sel[outcome].to_numpy(), arm=arm, outcome=outcome))
    return pd.DataFrame(rows)


def clipped_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Per regime: the share of requested calls each calendar rule clipped (pooled over seeds)."""
    rows = []
    for arm, sel in frame.groupby("arm", sort=False):
        requested = sel["call_requests"].sum()
        for col in ("clipped_daily_cap", "clipped_weekly_cap", "clipped_after_conversation", "clipped_quiet_hours",
                    "clipped_dispute_pause"):
            rows.append({"arm": arm, "rule": col.removeprefix("clipped_"),
                         "share_of_requested_calls": float(sel[col].sum() / requested) if requested else 0.0})
    return pd.DataFrame(rows)


def _fmt(ci_row: pd.Series, scale: float = 1.0, digits: int = 2, unit: str = "") -> str:
    m, lo, hi = (_no_negative_zero(ci_row[key] * scale, digits) for key in ("mean", "ci_low", "ci_high"))
    if np.isnan(lo):
        return f"{m:.{digits}f}{unit}"
    return f"{m:.{digits}f}{unit} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _no_negative_zero(x: float, digits: int) -> float:
    """``x``, or 0.0 where it would print as -0 at ``digits`` decimals."""
    return 0.0 if round(x, digits) == 0 else x


def _table(frame: pd.DataFrame, columns: dict[str, tuple[str, float, int, str]]) -> list[str]:
    lines = ["| arm | " + " | ".join(columns) + " |", "| --- |" + " --- |" * len(columns)]
    lev = levels(frame, [c[0] for c in columns.values()])
    for arm in dict.fromkeys(frame["arm"]):
        cells = []
        for outcome, scale, digits, unit in columns.values():
            row = lev[(lev["arm"] == arm) & (lev["outcome"] == outcome)].iloc[0]
            cells.append(_fmt(row, scale, digits, unit))
        lines.append(f"| {arm} | " + " | ".join(cells) + " |")
    return lines


def page(results: dict[str, pd.DataFrame], args: argparse.Namespace) -> str:
    reps, n = args.reps, args.households
    out = ["# Patterns the model reproduces", "",
           f"Generated by `{args.command}`: {reps} replications of {n:,} households per arm, common random "
           "numbers (replication *r* uses seed *r* in every arm), 95% intervals (Student t) across replications. "
           "Each pattern is also a test with fewer replications (`tests/test_patterns.py`). Money is the lender's "
           "P&L over the recorded months in $ million (`pnl`: net cash flows plus the change in the book's value "
           "at expected recovery, docs/outcomes.md).", ""]
    if "book" in results:
        f = results["book"]
        out += ["## A card book that looks like one (conventional ladder, calm times)", "",
                "| statistic | model | target | source |", "| --- | --- | --- | --- |"]
        lev = levels(f, [k for k in f.columns if k.startswith(("balance_share", "account_share", "roll_", "cure_",
                                                                 "stay_"))] + ["on_time_rate"])
        for key in lev["outcome"]:
            row = lev[lev["outcome"] == key].iloc[0]
            target, source = BOOK_TARGETS.get(key, (None, ""))
            shown = f"{target[0]:.1%}-{target[1]:.1%}" if target else ""
            out.append(f"| {key} | {_fmt(row, 100, 2, '%')} | {shown} | {source} |")
        out.append("")
    if "intensity" in results:
        f = results["intensity"]
        out += ["## Collection effort pays, with diminishing returns", "",
                "One lender, the conventional ladder with its call attempts scaled (`call_scale`), and no collection "
                "at all. Paired differences against the ladder as it is (calls x1); the net charge-off rate is "
                "net charge-offs per dollar of book a year (in dollars they are confounded by the lender's own "
                "response: underwriting tightens after losses, so the book shrinks):", "",
                "| arm | net charge-off rate | lender P&L ($M) | complaints per 1,000 in collection |",
                "| --- | --- | --- | --- |"]
        rel = paired(f, "calls x1", "chargeoff_rate", relative=True)
        money = paired(f, "calls x1", "pnl")
        comp = paired(f, "calls x1", "complaints_per_1000")
        for arm in rel["arm"]:
            r = rel[rel["arm"] == arm].iloc[0]
            m = money[money["arm"] == arm].iloc[0]
            c = comp[comp["arm"] == arm].iloc[0]
            out.append(f"| {arm} | {_fmt(r, 100, 1, '%')} | {_fmt(m, 1, 3)} | {_fmt(c, 1, 1)} |")
        out += ["", "Levels:", ""]
        out += _table(f, {"charge-off rate": ("chargeoff_rate", 100, 2, "%"),
                          "lender P&L ($M)": ("pnl", 1, 2, ""),
                          "complaints per 1,000": ("complaints_per_1000", 1, 1, ""),
                          "call attempts (thousands)": ("call_attempts", 1e-3, 0, "")})
        out += ["", "Fedaseyeu (2020, Philadelphia Fed WP 13-38) finds that each additional state restriction on "
                "collectors lowers card recovery rates by about 9% of the mean; Laudenbach, Pirschel & Siegel (2018) "
                "that a conversation with an agent raises on-time repayment. Halving the calls should raise losses "
                "and cost the lender money; doing nothing should lose clearly more.", ""]
    if "frontier" in results:
        f = results["frontier"]
        out += ["## What each strategy buys and costs (single lender, calm times)", ""]
        out += _table(f, {"lender P&L ($M)": ("pnl", 1, 2, ""),
                          "charge-off rate": ("chargeoff_rate", 100, 2, "%"),
                          "recoveries, % of gross charge-offs": ("recovery_share", 100, 0, "%"),
                          "complaints per 1,000": ("complaints_per_1000", 1, 1, ""),
                          "well-being (0-100)": ("wellbeing_mean", 1, 2, "")})
        recovered = f.groupby("arm")["recovery_share"].mean()
        out += ["", _dominance(f), "",
                "Recoveries are what the lender receives on charged-off claims (payments and garnished wages, what "
                "agencies pass on, sale proceeds) over what it charges off, both in the recorded months. Card "
                "issuers report 10-30% (American Banker 2011-12, from regulatory reports), a target the calibration "
                f"fits for the conventional ladder ({100 * recovered['conventional']:.0f}% here; docs/calibration.md). "
                "Garnishment needs an order served on the household's employer, which a creditor gets on about half "
                "of its judgments and never where wages are exempt, and which ends with the job (ODD 7.5).", ""]
    if "robustness" in results:
        out += ["### How robust the frontier is to the unsourced parameters", "",
                "Each unsourced parameter of the contact mechanism, and the share of judgments on which a "
                "garnishment order is served (sourced to one Colorado sample), set low and high in turn (one at a "
                "time), with "
                f"the strategies {', '.join(f'`{s}`' for s in ROBUSTNESS_STRATEGIES)} "
                f"({results['robustness']['seed'].nunique()} replications of "
                f"{int(results['robustness']['households'].iloc[0]):,} households):", ""]
        out += robustness_table(results["robustness"]) + [""]
    if "caps" in results:
        f = results["caps"]
        out += ["## Caps that bind (an aggressive lender under each regime)", "",
                "Share of the calls the strategy requested that each rule clipped (pooled over replications):", "",
                "| regime | " + " | ".join(r for r in ("daily_cap", "weekly_cap", "after_conversation", "quiet_hours",
                                                     "dispute_pause")) + " |", "| --- |" + " --- |" * 5]
        shares = clipped_shares(f)
        for arm in dict.fromkeys(f["arm"]):
            sel = shares[shares["arm"] == arm]
            out.append(f"| {arm} | " + " | ".join(f"{v:.1%}" for v in sel["share_of_requested_calls"]) + " |")
        out += ["", "Outcomes:", ""]
        out += _table(f, {"charge-off rate": ("chargeoff_rate", 100, 2, "%"),
                          "lender P&L ($M)": ("pnl", 1, 2, ""),
                          "complaints per 1,000": ("complaints_per_1000", 1, 1, ""),
                          "well-being": ("wellbeing_mean", 1, 2, "")})
        out += ["", "Regulation F covers third-party collectors (agencies, debt buyers), so under `us_reg_f` only "
                "the calls on accounts sold by the aggressive lender are covered; `us_reg_f_creditors` applies the "
                "same rules to the creditor's own calls.", ""]
    for key, title, cols in (
        ("threats", "Threats work only when credible", {"charge-off rate": ("chargeoff_rate", 100, 2, "%"),
                                                         "lender P&L ($M)": ("pnl", 1, 2, ""),
                                                         "complaints per 1,000": ("complaints_per_1000", 1, 1, "")}),
        ("literacy", "Literacy drives misunderstanding", {"mean misunderstanding": ("misunderstanding_mean", 1, 4, ""),
                                                          "disputes per 1,000": ("disputes_per_1000", 1, 1, ""),
                                                          "complaints per 1,000": ("complaints_per_1000", 1, 1, "")}),
        ("network", "More ties, more neighbours who see a visit",
         {"well-being": ("wellbeing_mean", 1, 2, ""), "charge-off rate": ("chargeoff_rate", 100, 2, "%"),
          "public complaints": ("public_complaints", 1, 0, "")}),
        ("regulator", "An adaptive regulator changes conduct", {"tightenings": ("tightenings", 1, 1, ""),
                                                                "call attempts (thousands)": ("call_attempts", 1e-3, 0,
                                                                                              ""),
                                                                "charge-off rate": ("chargeoff_rate", 100, 2, "%"),
                                                                "complaints per 1,000": ("complaints_per_1000", 1, 1,
                                                                                         "")}),
        ("capacity", "Capacity that binds, and allocation that matters",
         {"net collected per collector hour ($)": ("net_collected_per_hour", 1, 1, ""),
          "collector hours used (thousands)": ("collector_hours", 1e-3, 1, ""),
          "hours requested but not available (thousands)": ("collector_hours_short", 1e-3, 1, ""),
          "lender P&L ($M)": ("pnl", 1, 2, ""),
          "charge-off rate": ("chargeoff_rate", 100, 2, "%"),
          "30+ delinquency": ("delinquency_30plus_rate", 100, 2, "%")}),
        ("skill", "Learning strategies with skill: data_driven against the hidden truth",
         {"AUC, data_driven's will-not-pay score": ("auc_data_driven", 1, 3, ""),
          "AUC, observed score alone (low: will not)": ("auc_score_only", 1, 3, ""),
          "precision (will not pay)": ("precision_will_not", 1, 3, ""),
          "recall (will not pay)": ("recall_will_not", 1, 3, ""),
          "unwilling share of non-payers": ("unwilling_share", 1, 3, "")}),
    ):
        if key in results:
            out += [f"## {title}", ""] + _table(results[key], cols) + [""]
    if "capacity" in results:
        out += [f"{results['capacity']['seed'].nunique()} replications (`STUDY_REPS`: the per-hour differences "
                "need more than the other studies). "
                f"Realistic staffing is {REALISTIC_STAFFING} collectors per 1,000 loans on the book (about 800 "
                "accounts "
                "in collection per collector, near the low end of the 1,000-3,000 accounts per collector that US "
                "collection agencies reported to the CFPB in 2016); the default, 1 per 1,000 loans, staffs the "
                "conventional ladder fully. Net collected is the money collected from accounts in collection less "
                "collection costs, over the recorded months, per collector hour used in them.", ""]
        pnl = results["capacity"].groupby("arm")["pnl"].mean()
        ladder = pnl["conventional, realistic staffing"]
        rnd = pnl["conventional rationed at random, realistic staffing"]
        learned = pnl["value_based, realistic staffing"]
        money = paired(results["capacity"], "conventional, realistic staffing", "pnl")
        hourly = paired(results["capacity"], "conventional, realistic staffing", "net_collected_per_hour")

        def against_ladder(arm: str) -> str:
            m, h = (frame[frame["arm"] == arm].iloc[0] for frame in (money, hourly))
            return (f"P&L ${m['mean']:+.2f}M [{m['ci_low']:+.2f}, {m['ci_high']:+.2f}], net collected per hour "
                    f"${h['mean']:+.0f} [{h['ci_low']:+.0f}, {h['ci_high']:+.0f}]")

        def verdict(arm: str, frame: pd.DataFrame) -> str:
            row = frame[frame["arm"] == arm].iloc[0]
            return "more" if row["ci_low"] > 0 else "less" if row["ci_high"] < 0 else "about as much"

        arm = "value_based, realistic staffing"
        out += [f"Allocation matters when capacity binds: the same ladder rationed at random instead of by claim "
                f"times age earns ${ladder - rnd:.2f}M less ({(rnd / ladder - 1):+.0%}). `value_based` learns in "
                f"dollars what the ladder's step adds over the months to come and gives the hours to the steps "
                f"with the highest expected gain. Against the ladder at realistic staffing (paired differences) it "
                f"earns {(learned / ladder - 1):+.1%}: {against_ladder(arm)}; it earns "
                f"{verdict(arm, money)} and nets {verdict(arm, hourly)} per "
                f"collector hour. Ranked by expected gain per hour instead (`rank_by = \"gain_per_hour\"`, the "
                f"textbook rule for a budget of hours): {against_ladder(VALUE_PER_HOUR + ', realistic staffing')}. "
                f"Per hour, the learned gains favour the cheapest steps, the three calls to an account one payment "
                f"behind, whose gain they appear to overstate (most such accounts cure without a call, and a cure "
                f"is valued at the whole claim though some come back); ranked by gain, `value_based` works the "
                f"older accounts first, as the ladder does, and picks among them by what it has learned."]
        rows = [f"{label}: {against_ladder(f'conventional rationed {label}, realistic staffing')}"
                for rule, label in RATION_RULES.items() if rule != "random"]
        out += ["", "Other rules for the same ladder at realistic staffing (paired differences against claim times "
                "age): " + "; ".join(rows) + ". The two measures need not agree: net collected per hour counts what "
                "the accounts in collection pay against the hours spent on them; the P&L counts the whole book "
                "(interest, principal, book value), which a rule that works the oldest accounts first, leaving "
                "more of the younger ones late (the 30+ delinquency column), can lose elsewhere."]
        out += [""]
    if "skill" in results:
        out += ["The hidden truth: among the accounts `data_driven` scored that did not pay what was due in the month, "
                "those whose household did not intend to pay (will not) against those that intended to but were "
                "short of cash (cannot), as only the model knows it (`CollectionModel.keep_truth`). AUC 0.5 is "
                "chance.", ""]
    return "\n".join(out) + "\n"


def _dominance(frame: pd.DataFrame) -> str:
    """Which strategies no other beats on money, complaints and well-being at once (the Pareto set)."""
    means = frame.groupby("arm", sort=False)[["pnl", "complaints_per_1000", "wellbeing_mean"]].mean()
    better = means.copy()
    better["complaints_per_1000"] *= -1
    front = []
    for arm, row in better.iterrows():
        dominated = ((better >= row).all(axis=1) & (better > row).any(axis=1)).any()
        if not dominated:
            front.append(arm)
    return ("Strategies on the frontier (no other is better on money, complaints and well-being at once): "
            + ", ".join(f"`{a}`" for a in front) + ".")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=6, help="replications per arm (default 6)")
    parser.add_argument("--households", type=int, default=5000, help="households per run (default 5000)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--studies", default=",".join(STUDIES), help="comma-separated studies (default: all)")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for patterns.md and patterns.csv")
    parser.add_argument("--tiny", action="store_true", help="a fast smoke run: 2 replications of 800 households")
    args = parser.parse_args(argv)
    args.command = " ".join(["python experiments/patterns.py", *(sys.argv[1:] if argv is None else argv)])
    if os.environ.get("COLLECTION_LAB_SMOKE", "") not in ("", "0"):
        print("COLLECTION_LAB_SMOKE is set: a tiny run of two studies, not the one the command asks for",
              file=sys.stderr)
        args.tiny, args.studies, args.workers = True, "book,caps", 1
    if args.tiny:
        args.reps, args.households = 2, 800
    names = [s.strip() for s in args.studies.split(",") if s.strip()]
    unknown = sorted(set(names) - set(STUDIES))
    if unknown or args.reps < 1 or args.households < 1 or args.workers < 1:
        print(f"error: unknown studies {unknown}" if unknown else
              "error: --reps, --households and --workers must be positive", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for name in names:
            reps = args.reps if args.tiny else max(args.reps, STUDY_REPS.get(name, 0))
            results[name] = STUDIES[name](pool, range(reps), args.households)
            print(f"{name}: {len(results[name])} runs", file=sys.stderr)
    table = pd.concat([f.assign(study=name) for name, f in results.items()], ignore_index=True)
    table.to_csv(out / "patterns.csv", index=False)
    (out / "patterns.md").write_text(page(results, args))
    print(f"wrote {out / 'patterns.md'} and {out / 'patterns.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
