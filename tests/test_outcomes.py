"""Outcomes that cannot mislead (issue 13): the lender's P&L and NPV reconcile with the loan ledger; recovery
on a base every compared strategy shares; the bank's reports (roll rates, vintages, cures and re-defaults,
KPIs) count what happened; welfare values what households still owe and the marks on their records;
champion against challenger with paired tests and a power calculation; per-lender rows that add up."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import sim
from sim.config import Welfare, load_scenario
from sim.finance import net_present_value, recovery_per_dollar
from sim.loans import Status
from sim.metrics import MONTHLY_COLUMNS, SUMMARY_KEYS, aggregation
from sim.model import CollectionModel
from sim.reports import FROM_STATES, TO_STATES, Redefaults
from sim.runner import add_common_base, arm_outcomes, compare
from sim.stats import paired_difference, paired_table, replications_needed
from sim.welfare import HouseholdEnd, consumption_equivalent, future_utility, future_welfare

SMALL = {"population.n_borrowers": 3000, "horizon_months": 18, "burn_in_months": 12}


def _run_stepwise_with_ledger(scenario: str, seed: int, **overrides):
    """Run a model, keeping the per-lender ledger totals (book and archive) at the start of recording."""
    model = CollectionModel(scenario, rng=seed, **{**SMALL, **overrides})
    while model.month < 0:
        model.step()
    start = {**_ledger(model), "buyer_paid": model.buyer.paid}
    model.run()
    return model, start, _ledger(model)


def _ledger(model) -> dict[str, np.ndarray]:
    book = model.book
    lender = book.view("lender")
    return {k: np.bincount(lender, weights=book.view(k), minlength=book.n_lenders) + book.archived[k]
            for k in book.LEDGER}


@pytest.fixture(scope="module")
def cc_run():
    """The champion/challenger scenario, run step by step so that the ledger at month 0 is known."""
    model, start, end = _run_stepwise_with_ledger("champion_challenger", 4)
    return model, model.results(), start, end


@pytest.fixture(scope="module")
def sold_run():
    """A lender that sells early (sales, a debt buyer) next to a conventional one."""
    two = {"lenders": [{"name": "Seller", "strategy": "sell_early"}, {"name": "Keeper", "strategy": "aggressive"}],
           "regulation": {"regime": "us_reg_f", "weekly_call_cap": 3}, "name": "two"}
    model, start, end = _run_stepwise_with_ledger(two, 2)
    return model, model.results(), start, end


# --------------------------------------------------------------------------------------------------
# criterion 1: P&L and NPV
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["cc_run", "sold_run"])
def test_cash_flows_reconcile_with_the_loan_ledger(fixture, request):
    """Payments received, recoveries and prepayments are exactly what the ledger's ``repaid`` column gained
    over the recorded months, per lender; principal lent is what ``principal_lent`` gained; collection costs
    by tactic plus agency fees and fines are the collection cost; cash in and out are their parts."""
    model, result, start, end = request.getfixturevalue(fixture)
    s = result.summary.set_index("lender")
    groups = pd.DataFrame(result.meta["groups"])
    for lender in model.lenders:
        names = groups.loc[groups["lender"] == lender.name, "name"]
        rows = s.loc[names]
        received = (rows["payments_received"] + rows["recovery_payments"] + rows["prepaid"]).sum()
        gained = end["repaid"][lender.index] - start["repaid"][lender.index]
        assert received == pytest.approx(gained, rel=1e-9)
        lent = end["principal_lent"][lender.index] - start["principal_lent"][lender.index]
        assert rows["principal_lent"].sum() == pytest.approx(lent, rel=1e-9)
    tactic_costs = s[[k for k in SUMMARY_KEYS if k.startswith("cost_") and k != "cost_to_collect"]].sum(axis=1)
    np.testing.assert_allclose(tactic_costs + s["agency_fees"] + s["fines"], s["collection_cost"], rtol=1e-9)
    np.testing.assert_allclose(s["cash_in"], s["payments_received"] + s["recovery_payments"] + s["prepaid"]
                               + s["sale_proceeds"], rtol=1e-12)
    np.testing.assert_allclose(s["cash_out"], s["principal_lent"] + s["collection_cost"], rtol=1e-9)
    if fixture == "sold_run":
        assert s.loc["Seller", "sale_proceeds"] > 0
        assert s.loc["all", "sale_proceeds"] == pytest.approx(model.buyer.paid - start["buyer_paid"], rel=1e-9)


def test_pnl_and_npv_follow_their_formulas(cc_run):
    """P&L = end value - start value + net cash; NPV discounts month-end cash flows and the end value at the
    cost of funds; with a zero cost of funds NPV equals P&L."""
    model, result, _, _ = cc_run
    m, s = result.monthly, result.summary.set_index("lender")
    rate = model.cfg.finance.cost_of_funds
    for name, row in s.iterrows():
        series = m[m["lender"] == name].sort_values("month")
        net = series["net_cash_flow"].to_numpy()
        assert row["book_value_end"] == series["book_value"].iloc[-1]
        assert row["pnl"] == pytest.approx(row["book_value_end"] - row["book_value_start"] + net.sum(), rel=1e-12)
        months = np.arange(len(net)) + 1.0
        by_hand = -row["book_value_start"] + np.sum(net / (1 + rate) ** (months / 12)) + row["book_value_end"] / (
            1 + rate) ** (len(net) / 12)
        assert row["npv"] == pytest.approx(by_hand, rel=1e-12)
        assert net_present_value(net, row["book_value_start"], row["book_value_end"], 0.0) == pytest.approx(
            row["pnl"], rel=1e-12)


def test_book_value_is_the_held_claims_at_their_stated_recovery(cc_run):
    """At the end, the book's value is every claim the lender holds times the recovery of its state: a sold,
    closed or paid-off claim is worth nothing, an account current only because it was re-aged is valued as
    restructured, not as current; with every recovery set to 1 the value is the held claim."""
    model, result, _, _ = cc_run
    book = model.book
    per_dollar = recovery_per_dollar(book, model.cfg.finance)
    status = book.view("status")
    assert (per_dollar[(status == Status.SOLD) | (status == Status.CLOSED) | (status == Status.PAID_OFF)] == 0).all()
    assert (per_dollar[status == Status.CHARGED_OFF] == model.cfg.finance.value_charged_off).all()
    value = float((book.claim() * per_dollar).sum())
    assert result.summary.set_index("lender").loc["all", "book_value_end"] == pytest.approx(value, rel=1e-12)
    restructured = book.on_book() & (book.view("dpd") == 0) & book.view("in_episode") & ~book.view("judgment")
    assert restructured.any() and (per_dollar[restructured] == model.cfg.finance.value_restructured).all()
    ones = model.cfg.finance.model_copy(update={"value_current": 1.0, "value_by_bucket": [1.0] * 6,
                                                "value_restructured": 1.0, "value_judgment": 1.0,
                                                "value_charged_off": 1.0})
    held = book.on_book() | (status == Status.CHARGED_OFF)
    assert float((book.claim() * recovery_per_dollar(book, ones)).sum()) == pytest.approx(
        float(book.claim()[held].sum()), rel=1e-12)


def test_a_higher_cost_of_funds_changes_npv_only_through_discounting():
    """The cost of funds is a valuation parameter: the run and its P&L are identical; NPV moves."""
    low = sim.run_scenario("baseline", seed=1, **SMALL, **{"finance.cost_of_funds": 0.0})
    high = sim.run_scenario("baseline", seed=1, **SMALL, **{"finance.cost_of_funds": 0.20})
    assert low["pnl"] == high["pnl"] and low["collected"] == high["collected"]
    assert low["npv"] == pytest.approx(low["pnl"], rel=1e-12)
    assert high["npv"] != low["npv"]


# --------------------------------------------------------------------------------------------------
# criterion 2: recovery on a fixed base
# --------------------------------------------------------------------------------------------------
def test_common_base_recovery_has_the_same_denominator_for_every_strategy():
    """In a comparison, ``recovery_rate_common_base`` divides each strategy's collections by one number per
    replication (the reference strategy's book at the start plus originations), unlike today's rate."""
    runs = compare("baseline", ["conventional", "hardship_first", "aggressive"], 2, seed=5, **SMALL)
    for _, rep in runs.groupby("rep"):
        base = rep["collected"] / rep["recovery_rate_common_base"]
        assert np.allclose(base, base.iloc[0], rtol=1e-12)
        assert base.iloc[0] == pytest.approx(rep["recovery_base"].iloc[0], rel=1e-12)
        exposure = rep["collected"] / rep["recovery_rate_gross"]
        assert exposure.std() > 0  # today's rate: a denominator that moves with the strategy
        lender_base = rep["collected@Card issuer"] / rep["recovery_rate_common_base@Card issuer"]
        assert np.allclose(lender_base, lender_base.iloc[0], rtol=1e-12)


def test_arms_share_one_base_scaled_by_their_share(cc_run):
    _, result, _, _ = cc_run
    arms = arm_outcomes(result)
    lender = arms[arms["arm"] >= 0]
    base = lender["collected"] / lender["recovery_rate_common_base"] / lender["share"]
    assert np.allclose(base, lender["recovery_base"].sum(), rtol=1e-12)
    np.testing.assert_allclose(lender["npv_scaled"] * lender["share"], lender["npv"], rtol=1e-12)


def test_add_common_base_uses_the_reference_of_the_same_replication():
    runs = pd.DataFrame({"strategy": ["a", "b", "a", "b"], "rep": [0, 0, 1, 1], "recovery_base": [100.0, 50, 200, 10],
                         "collected": [10.0, 20, 30, 40], "collection_cost": [1.0, 2, 3, 4]})
    out = add_common_base(runs, by="strategy", reference="a")
    np.testing.assert_allclose(out["recovery_rate_common_base"], [0.1, 0.2, 0.15, 0.2])
    np.testing.assert_allclose(out["net_recovery_rate_common_base"], [0.09, 0.18, 0.135, 0.18])


# --------------------------------------------------------------------------------------------------
# criterion 3: the bank's reports
# --------------------------------------------------------------------------------------------------
def test_roll_rates_follow_every_account_on_the_book(cc_run):
    """Each month, the accounts in the roll-rate table's from-buckets are the accounts on the book at the
    start of the month (the previous month's ``accounts_open``); every row's roll rates sum to 1, by count
    and by balance; the pooled matrix has every bucket and state."""
    _, result, _, _ = cc_run
    rolls, monthly = result.roll_rates, result.monthly
    for lender in monthly["lender"].unique():
        moved = rolls[rolls["lender"] == lender].groupby("month")["accounts"].sum()
        opened = monthly[monthly["lender"] == lender].set_index("month")["accounts_open"]
        for month in range(1, len(opened)):
            assert moved.get(month, 0.0) == opened[month - 1], (lender, month)
    sums = rolls.groupby(["month", "lender", "from_state"])[["roll_rate_accounts", "roll_rate_balance"]].sum()
    np.testing.assert_allclose(sums["roll_rate_accounts"], 1.0, rtol=1e-9)
    ok = rolls.groupby(["month", "lender", "from_state"])["balance"].sum() > 0
    np.testing.assert_allclose(sums.loc[ok, "roll_rate_balance"], 1.0, rtol=1e-9)
    matrix = result.roll_rate_matrix()
    assert list(matrix.index) == FROM_STATES and list(matrix.columns) == TO_STATES
    assert 0 < matrix.loc["current", "1-29"] < 1 and matrix.loc["150-179", "charged_off"] > 0
    summary = result.summary.set_index("lender").loc["all"]
    pooled = rolls[rolls["lender"] == "all"].groupby(["from_state", "to_state"])["accounts"].sum()
    assert summary["roll_rate_30-59_to_60-89"] == pytest.approx(pooled["30-59"]["60-89"] / pooled["30-59"].sum())


def test_vintage_losses_add_up_to_net_charge_offs(cc_run):
    """Net losses of the cohorts originated in recorded months plus those of older loans are the net
    charge-offs; cumulative loss rates are cumulative net losses over the cohort's principal lent."""
    model, result, _, _ = cc_run
    vint, monthly = result.vintages, result.monthly
    rec = model.recorder.vintages
    for g, name in enumerate([*[n for _, _, n in model.groups], "all"]):
        total = monthly.loc[monthly["lender"] == name, "net_chargeoff"].sum()
        assert rec.loss[g].sum() + rec.loss_unrecorded[g] == pytest.approx(total, rel=1e-9, abs=1e-6)
        lent = monthly.loc[monthly["lender"] == name, "originated"].sum()
        assert rec.lent[g].sum() == pytest.approx(lent, rel=1e-9)
    first = vint[(vint["lender"] == "all") & (vint["cohort"].str.startswith("Q1 "))]
    np.testing.assert_allclose(first["cumulative_loss_rate"], first["net_loss"].cumsum() / first["principal_lent"],
                               rtol=1e-12)
    assert first["cumulative_loss_rate"].iloc[-1] > 0


def test_redefaults_count_returns_to_30_days_within_the_window():
    """Scripted: loan 0 cures in month 0 and is 30+ in month 3 (a re-default); loan 1 cures and stays
    current; loan 2 is re-aged in month 1 and charged off in month 14 (outside the 12-month window)."""
    r = Redefaults(months=16, n_groups=2)
    ids = np.array([0, 1, 2])
    group = np.zeros(3, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    for month in range(16):
        cured = np.array([0, 1]) if month == 0 else none
        reaged = np.array([2]) if month == 1 else none
        bad = np.array([month == 3, False, month == 14])
        r.update(month, ids, cured, reaged, bad, group)
    rates = r.rates()
    assert r.window() == 12
    assert rates["cured_watched"][0] == 2 and rates["redefault_rate_cured"][0] == 0.5
    assert rates["reaged_watched"][0] == 1 and rates["redefault_rate_reaged"][0] == 0.0
    assert rates["redefault_rate_cured"][1] == 0.5  # the all-lenders column


def test_collection_kpis_count_what_happened(cc_run):
    model, result, _, _ = cc_run
    s = result.summary.set_index("lender")
    assert (s["promises_kept"] <= s["promises_made"]).all() and (s["promises_made"] > 0).all()
    assert (s["rpc_per_attempt"] > 0).all() and (s["rpc_per_attempt"] < 1).all()
    np.testing.assert_allclose(s["collected_per_collector_hour"], s["collected"] / s["collector_hours"], rtol=1e-12)
    recorded = [used for month, used, _ in model.lenders[0].capacity_log if month >= 0]
    assert s.loc["all", "collector_hours"] == pytest.approx(sum(recorded), rel=1e-12)


def test_reports_are_in_the_api_and_the_cli_output(tmp_path, helpers):
    out = sim.run_scenario("baseline", seed=0, **SMALL)
    for key in ("npv", "pnl", "recovery_rate_on_book", "rpc_per_attempt", "promise_kept_rate",
                "redefault_rate_cured", "roll_rate_current_to_1-29", "npv@Card issuer"):
        assert type(out[key]) is float, key
    proc = helpers.run_cli("run", "baseline", "--seed", "0", "--out", str(tmp_path), "--set",
                           "population.n_borrowers=400", "--set", "horizon_months=6", "--set", "burn_in_months=3")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    first_kpi = lines[next(i for i, line in enumerate(lines) if line.startswith("outcome")) + 1]
    assert first_kpi.startswith("NPV at the cost of funds")
    assert "consumption-equivalent change against no collection, future included" in proc.stdout
    for name in ("roll_rates", "vintages"):
        assert len(pd.read_parquet(tmp_path / f"{name}.parquet")) > 0
    welfare = pd.read_csv(tmp_path / "welfare.csv").set_index("outcome")["value"]
    assert {"ce_change", "ce_change_horizon", "ce_change.income_q1"} <= set(welfare.index)


# --------------------------------------------------------------------------------------------------
# criterion 4: welfare with the future in it
# --------------------------------------------------------------------------------------------------
def _one(**values) -> HouseholdEnd:
    base = {"income": 4000.0, "savings": 3000.0, "owed": 0.0, "owed_judged": 0.0, "marks": 0.0,
            "income_base": 4000.0, "essentials": 2300.0}
    base.update(values)
    return HouseholdEnd(**{k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in base.items()})


def test_charge_off_alone_cannot_raise_welfare(cc_run):
    """Charging off a delinquent account changes no payment: the household owes the same and gains the marks
    of a charge-off. Done to the end state of a run, every household's future utility falls or stays, and the
    run's consumption-equivalent change against its counterfactual falls; the recorded-months-only measure
    cannot see the difference."""
    model, result, _, _ = cc_run
    rec = model.recorder
    income = rec.income_sum / rec.income_months
    before = future_welfare(model, rec.owed_closed, income, rec.cell_of)
    book, t = model.book, model.borrowers
    delinquent = np.flatnonzero(book.on_book() & (book.view("cycles") > 0))
    assert len(delinquent) > 10
    status, claim = book.view("status"), book.claim()
    book.view("written_off")[delinquent] += claim[delinquent]
    status[delinquent] = Status.CHARGED_OFF
    marks_before = t.derogatory.copy()
    np.add.at(t.derogatory, book.view("borrower")[delinquent], np.float32(2.0))
    try:
        after = future_welfare(model, rec.owed_closed, income, rec.cell_of)
    finally:
        status[delinquent] = Status.DELINQUENT
        book.view("written_off")[delinquent] -= claim[delinquent]
        t.derogatory[:] = marks_before
    assert after["owed_end"] == pytest.approx(before["owed_end"], rel=1e-12)
    assert np.all(np.asarray(after["W_future"]) <= np.asarray(before["W_future"]) + 1e-12)
    assert sum(after["W_future"]) < sum(before["W_future"])
    cf = sim.simulate(load_scenario("champion_challenger", **SMALL, **{"lenders.0.strategy": "no_collection",
                                                                         "lenders.0.challengers": []}), seed=4)
    as_run = consumption_equivalent({**result.meta["welfare"], **before}, cf)
    charged = consumption_equivalent({**result.meta["welfare"], **after}, cf)
    assert charged["ce_change"] < as_run["ce_change"]
    assert charged["ce_change_horizon"] == as_run["ce_change_horizon"]


@pytest.mark.parametrize("gamma", [1.0, 2.0, 4.0])
@pytest.mark.parametrize("skipped", [100.0, 1000.0, 4000.0])
def test_not_paying_is_no_gain_for_a_household_with_smooth_consumption(gamma, skipped):
    """A household consuming $3,000 a month could pay ``skipped`` in month 6 of 24. If it does not, it
    consumes that much more then, but the unpaid amount accrues 14% APR and a $35 late fee for the six months
    to charge-off, and the account earns the three marks of a 60-day delinquency and a charge-off. Valued
    with the future, not paying is a loss; valued over the recorded months only (the old measure), a gain."""
    cfg = Welfare(risk_aversion=gamma)
    horizon, month = 24, 6
    beta = cfg.discount
    c = np.full(horizon, 3.0)
    weights = beta ** np.arange(horizon)
    from sim.borrowers import crra

    paid_run = float(weights @ crra(c, gamma))
    c_skip = c.copy()
    c_skip[month] += skipped / 1000.0
    skip_run = float(weights @ crra(c_skip, gamma))
    owed_extra = skipped * (1 + 0.14 / 12) ** 6 + 6 * 35.0
    paid_future = future_utility(_one(), cfg, 0.988, horizon)[0]
    skip_future = future_utility(_one(owed=owed_extra, marks=3.0 * 0.988 ** (horizon - month - 6)), cfg, 0.988,
                                 horizon)[0]
    assert skip_run > paid_run  # what the recorded months alone see
    assert skip_run + skip_future < paid_run + paid_future


def test_welfare_in_the_outcome_dict_and_by_segment():
    out = sim.run_scenario("baseline", seed=2, welfare=True, strategy="aggressive", **SMALL)
    for key in ("ce_change", "ce_change_horizon", "owed_end_per_household", "marks_end_per_household",
                "counterfactual.owed_end_per_household"):
        assert type(out[key]) is float and math.isfinite(out[key]), key
    segments = [k for k in out if k.startswith("ce_change.")]
    assert len(segments) == 8 and all(math.isfinite(out[k]) for k in segments)
    own = sim.run_scenario("baseline", seed=2, welfare=True, strategy="no_collection", **SMALL)
    assert abs(own["ce_change"]) < 1e-12 and abs(own["ce_change_horizon"]) < 1e-12


# --------------------------------------------------------------------------------------------------
# criterion 5: champion against challenger
# --------------------------------------------------------------------------------------------------
def test_paired_difference_is_the_paired_t_test():
    rng = np.random.default_rng(3)
    a = rng.normal(10, 2, 12)
    b = a + 0.5 + rng.normal(0, 0.4, 12)
    d = paired_difference(b, a)
    ref = sps.ttest_rel(b, a)
    assert d.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert d.mean == pytest.approx((b - a).mean(), rel=1e-12)
    half = sps.t.ppf(0.975, 11) * (b - a).std(ddof=1) / math.sqrt(12)
    assert (d.low, d.high) == pytest.approx((d.mean - half, d.mean + half), rel=1e-12)
    one = paired_difference([1.0], [2.0])  # one pair: a difference, no interval and no test
    assert (one.mean, one.low, one.high, one.sd, one.p_value, one.n) == (-1.0, None, None, None, None, 1)
    with pytest.raises(ValueError, match="paired_difference"):
        paired_difference([1.0, 2.0], [1.0])


@pytest.mark.parametrize(("effect", "expected"), [(1.0, 10), (0.5, 34), (0.25, 128)])
def test_replications_needed_matches_the_paired_t_test_tables(effect, expected):
    """Two-sided paired t test, 5% level, 80% power: standardised effect 1 needs 10 pairs, 0.5 needs 34 and
    0.25 needs 128 (G*Power's exact values)."""
    assert replications_needed(2.0, 2.0 * effect) == expected


def test_replications_needed_delivers_its_power_in_simulation():
    """Draw paired differences with the stated sd and mean, as many as the function asks for: the t test
    rejects in about 80% of 4,000 simulated comparisons (tolerance 3 points)."""
    rng = np.random.default_rng(11)
    n = replications_needed(3.0, 1.5)
    diffs = rng.normal(1.5, 3.0, (4000, n))
    t = diffs.mean(axis=1) / (diffs.std(axis=1, ddof=1) / math.sqrt(n))
    power = np.mean(np.abs(t) > sps.t.ppf(0.975, n - 1))
    assert abs(power - 0.8) < 0.03
    assert replications_needed(3.0, 0.0) == math.inf and math.isnan(replications_needed(math.nan, 1.0))


def test_paired_table_pairs_on_the_replication():
    runs = pd.DataFrame({"arm": ["c", "x"] * 3, "rep": [0, 0, 1, 1, 2, 2], "npv": [10.0, 12, 20, 23, 30, 31]})
    table = paired_table(runs, "arm", "c", ["npv"], detect={"npv": 1.0})
    row = table.iloc[0]
    assert row["arm"] == "x" and row["difference"] == pytest.approx(2.0) and row["n"] == 3
    assert row["sd_difference"] == pytest.approx(1.0) and row["replications_needed"] == 10


def test_compare_and_run_reps_print_paired_tests_and_power(tmp_path, helpers):
    small = ["--set", "population.n_borrowers=400", "--set", "horizon_months=6", "--set", "burn_in_months=3"]
    proc = helpers.run_cli("compare", "baseline", "--strategies", "conventional,aggressive", "--reps", "3",
                           "--out", str(tmp_path / "c"), "--detect", "chargeoff_rate=0.02", *small)
    assert proc.returncode == 0, proc.stderr
    assert "paired t-test p-value" in proc.stdout and "replications needed" in proc.stdout
    paired = pd.read_csv(tmp_path / "c" / "paired.csv")
    runs = pd.read_csv(tmp_path / "c" / "runs.csv")
    row = paired[paired["outcome"] == "npv"].iloc[0]
    diff = (runs[runs["strategy"] == "aggressive"].set_index("rep")["npv"]
            - runs[runs["strategy"] == "conventional"].set_index("rep")["npv"])
    assert row["difference"] == pytest.approx(diff.mean(), rel=1e-9)
    assert paired.set_index("outcome").loc["chargeoff_rate", "detect"] == 0.02
    assert "ce_change" in set(paired["outcome"])
    proc = helpers.run_cli("run", "champion_challenger", "--reps", "3", "--out", str(tmp_path / "r"), *small)
    assert proc.returncode == 0, proc.stderr
    assert "challengers against the champion, paired by replication" in proc.stdout
    paired = pd.read_csv(tmp_path / "r" / "paired.csv")
    assert set(paired["reference"]) == {"Card issuer [champion: conventional]"}
    assert len(set(paired["group"])) == 2
    bad = helpers.run_cli("compare", "baseline", "--strategies", "conventional", "--detect", "npv", *small)
    assert bad.returncode == 2 and "--detect npv" in bad.stderr


# --------------------------------------------------------------------------------------------------
# criterion 6: per-lender rows complete
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["cc_run", "sold_run"])
def test_per_lender_rows_add_up_to_the_all_lenders_row(fixture, request):
    """Every monthly column is classified (``sim.metrics.aggregation``); where the all row is a sum the
    lender rows add up to it, where it adds the debt buyer's claims they add up to at most it; the summary's
    money and count outcomes add up too."""
    _, result, _, _ = request.getfixturevalue(fixture)
    m = result.monthly
    per = m[m["lender"] != "all"].groupby("month")[MONTHLY_COLUMNS].sum()
    alls = m[m["lender"] == "all"].set_index("month")[MONTHLY_COLUMNS]
    kinds = {c: aggregation(c) for c in MONTHLY_COLUMNS}
    assert set(kinds.values()) <= {"sum", "lender_held", "ratio", "households", "mean", "economy"}
    for col, kind in kinds.items():
        if kind == "sum":
            np.testing.assert_allclose(per[col], alls[col], rtol=1e-9, atol=1e-6, err_msg=col)
        elif kind == "lender_held":
            assert (per[col] <= alls[col] + 1e-9).all(), col
    s = result.summary.set_index("lender")
    additive = ["npv", "pnl", "cash_in", "cash_out", "book_value_start", "book_value_end", "recovery_base",
                "collected", "collection_cost", "exposure", "gross_chargeoff", "principal_lent", "fines",
                "third_party_harm", "violations", "promises_made", "promises_kept", "collector_hours",
                "conversations", "cured_watched", "reaged_watched", "sale_proceeds", "agency_fees"]
    np.testing.assert_allclose(s.drop(index="all")[additive].sum(), s.loc["all", additive], rtol=1e-9, atol=1e-6)


def test_clipping_and_third_party_harm_are_filled_per_lender(sold_run):
    """Under Regulation F the lenders' requests are clipped and phone-book pressure harms third parties:
    the per-lender rows show it, not zeros; without sales to a buyer the lender rows sum to the total."""
    _, result, _, _ = sold_run
    s = result.summary.set_index("lender")
    clipped = [k for k in SUMMARY_KEYS if k.startswith("clipped_")]
    assert s.loc[["Seller", "Keeper"], clipped].to_numpy().sum() > 0
    two = {"lenders": [{"name": "Alpha", "strategy": "phonebook_pressure"}, {"name": "Beta"}], "name": "harm"}
    t = sim.simulate(two, seed=1, **SMALL).summary.set_index("lender")
    assert t.loc["Alpha", "third_party_harm"] > 0 and t.loc["Beta", "third_party_harm"] == 0
    lenders = t.drop(index="all")
    assert lenders["third_party_harm"].sum() == pytest.approx(t.loc["all", "third_party_harm"], rel=1e-12)


def test_run_scenario_documents_every_key_in_docs():
    """Every summary outcome is explained in docs/outcomes.md."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "outcomes.md").read_text()
    missing = [k for k in SUMMARY_KEYS if f"`{k}`" not in text and not k.startswith(("complaints_", "cost_",
                                                                                      "clipped_", "would_clip_",
                                                                                      "roll_rate_"))]
    assert not missing, missing
    for pattern in ("`complaints_<category>_per_1000`", "`cost_<tactic>`", "`clipped_<rule>`",
                    "`would_clip_<rule>`", "`roll_rate_<from>_to_<to>`", "`ce_change`", "`ce_change_horizon`",
                    "`recovery_rate_common_base`"):
        assert pattern in text, pattern
