"""Loan accounting (criterion 4): the identity lent + interest + fees = outstanding + repaid + written off
+ sold for every loan and every month, no negative balance, no NaN; the payment waterfall, late fees,
days past due and buckets, cures, charge-off at the configured age, sale, and compaction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.loans import BUCKET_EDGES, Bucket, LoanBook, ProductTerms, Status, bucket_of
from sim.regulation import REGIMES

# --------------------------------------------------------------------------------------------------
# random scenarios
# --------------------------------------------------------------------------------------------------
REGIME_NAMES = sorted(REGIMES)


@st.composite
def scenarios(draw) -> dict:
    """A random but valid scenario dict: strategy, population, unemployment path, products, several
    lenders with market shares, income support and forbearance periods, regime, sale price."""
    horizon = draw(st.integers(6, 18))
    burn_in = draw(st.integers(0, 8))
    kind = draw(st.sampled_from(["constant", "series", "regime"]))
    if kind == "constant":
        unemployment = {"kind": "constant", "rate": draw(st.floats(2.0, 25.0))}
    elif kind == "series":
        unemployment = {
            "kind": "series",
            "frequency": draw(st.sampled_from(["monthly", "quarterly"])),
            "values": draw(st.lists(st.floats(2.0, 30.0), min_size=1, max_size=12)),
        }
    else:
        unemployment = {
            "kind": "regime",
            "p_enter_recession": draw(st.floats(0.0, 0.3)),
            "p_exit_recession": draw(st.floats(0.0, 0.5)),
            "recession_rate": draw(st.floats(5.0, 30.0)),
            "volatility": draw(st.floats(0.0, 1.0)),
            "start_in_recession": draw(st.booleans()),
        }
    n_lenders = draw(st.integers(1, 3))
    lenders = []
    for i in range(n_lenders):
        kind_i = draw(st.sampled_from(["card", "instalment"]))
        lenders.append({
            "name": f"L{i}",
            "strategy": draw(st.sampled_from(sorted(sim.STRATEGIES))),
            "market_share": draw(st.floats(0.05, 1.0)),
            "collectors": draw(st.sampled_from([0.0, 0.2, 1.0, 5.0])),
            "approval_cutoff": draw(st.floats(0.0, 0.6)),
            "product": {
                "kind": kind_i,
                "chargeoff_days": draw(st.sampled_from([60, 90, 120, 150, 180])),
                "late_fee": draw(st.sampled_from([0.0, 15.0, 35.0, 200.0])),
                "apr": draw(st.one_of(st.just(0.0), st.floats(0.001, 0.6))),
                "term_months": draw(st.integers(3, 48)),
            },
        })
    periods = draw(st.lists(st.tuples(st.integers(-4, 12), st.integers(0, 10)), max_size=2))
    income_support = [{"start_month": a, "end_month": a + d, "amount": draw(st.floats(0.0, 3000.0))}
                      for a, d in periods]
    fperiods = draw(st.lists(st.tuples(st.integers(-4, 12), st.integers(0, 10)), max_size=2))
    forbearance = [{"start_month": a, "end_month": a + d, "unemployed_only": draw(st.booleans()),
                    "interest_accrues": draw(st.booleans())} for a, d in fperiods]
    return {
        "name": "random",
        "horizon_months": horizon,
        "burn_in_months": burn_in,
        "population": {
            "n_borrowers": draw(st.integers(50, 800)),
            "willingness_mean": draw(st.floats(0.2, 0.95)),
            "initial_loans_per_borrower": draw(st.floats(0.2, 2.5)),
            "application_rate": draw(st.floats(0.0, 0.2)),
        },
        "economy": {
            "unemployment": unemployment,
            "expense_shock_probability": draw(st.floats(0.0, 0.2)),
            "income_support": income_support,
            "forbearance": forbearance,
        },
        "tactics": {
            "sale_price": draw(st.floats(0.0, 1.0)),
            "lawsuit_judgment_lag": draw(st.integers(0, 6)),
        },
        "lenders": lenders,
        "regulation": {"regime": draw(st.sampled_from(REGIME_NAMES))},
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_ledger_balances_every_loan_every_month(scenario, seed, helpers):
    """For every loan after every month: lent + interest + fees == outstanding + repaid + written off +
    sold to 1e-9 relative, also in aggregate with archived loans; no negative balance; no NaN in
    loans, borrowers or the result tables."""
    model = sim.CollectionModel(scenario, rng=seed)
    helpers.run_stepwise(model)
    assert model.month == scenario["horizon_months"]
    helpers.check_tables(model.results(), allow_empty_lender_wellbeing=True)


def test_recomputed_identity_matches_ledger_gap(helpers):
    """``book.ledger_gap()`` is the relative gap of the identity recomputed from the raw columns."""
    model = sim.CollectionModel("baseline", rng=3, strategy="aggressive", **helpers.SMALL)
    for _ in range(10):
        model.step()
    lhs, rhs = helpers.ledger_sides(model.book)
    np.testing.assert_allclose(model.book.ledger_gap(), np.abs(lhs - rhs) / np.maximum(lhs, 1.0), rtol=0,
                               atol=1e-15)
    # the run has exercised the interesting parts of the identity
    assert model.book.view("interest_charged").sum() > 0
    assert model.book.view("fees_charged").sum() > 0
    assert model.book.view("repaid").sum() > 0
    assert (model.book.view("status") == Status.CHARGED_OFF).any() or model.book.archived["written_off"].sum() > 0


@pytest.mark.parametrize("strategy", sorted(sim.STRATEGIES))
def test_ledger_in_every_regime_and_strategy(strategy, helpers):
    """Every strategy under every regime keeps the books balanced month by month (two lenders, one of
    each product), including after the compaction at the end of month -1."""
    for regime in REGIMES:
        scenario = {
            "horizon_months": 8, "burn_in_months": 4, "population": {"n_borrowers": 300},
            "lenders": [{"name": "card", "strategy": strategy, "product": {"kind": "card"}},
                        {"name": "loan", "strategy": strategy, "market_share": 0.5,
                         "product": {"kind": "instalment", "chargeoff_days": 120}}],
            "regulation": {"regime": regime},
        }
        helpers.run_stepwise(sim.CollectionModel(scenario, rng=11))


def test_compaction_archives_ledger_without_losing_money(helpers):
    """Compaction removes paid-off and closed loans and folds their ledger into ``book.archived``: the
    totals of every ledger column (book + archive) are unchanged, by lender."""
    model = sim.CollectionModel("baseline", rng=5, **{"population.n_borrowers": 600, "horizon_months": 13,
                                                      "burn_in_months": 0, "behaviour.prepayment_rate": 0.05})
    for _ in range(11):  # months 0..10; the step of month 11 compacts at its end
        model.step()
    book = model.book

    def totals():
        lender = book.view("lender")
        return {k: np.bincount(lender, weights=book.view(k), minlength=book.n_lenders) + book.archived[k]
                for k in book.LEDGER}

    before = totals()
    n_before = book.n
    status = book.view("status")
    gone = int(((status == Status.PAID_OFF) | (status == Status.CLOSED)).sum())
    assert gone > 0, "the test needs paid-off loans to archive"
    removed = book.compact()
    assert removed == gone and book.n == n_before - gone
    assert not np.isin(book.view("status"), [Status.PAID_OFF, Status.CLOSED]).any()
    after = totals()
    for k in book.LEDGER:
        np.testing.assert_allclose(after[k], before[k], rtol=1e-12, atol=1e-6, err_msg=k)
    helpers.check_book(model)
    # the model compacts on its own every 12 months and keeps balancing
    model.step()
    model.step()
    assert model.book.archived["principal_lent"].sum() > 0
    helpers.check_book(model)


# --------------------------------------------------------------------------------------------------
# buckets and days past due
# --------------------------------------------------------------------------------------------------
def test_bucket_of_maps_days_past_due_to_bank_buckets():
    dpd = np.array([0, 1, 15, 29, 30, 59, 60, 89, 90, 119, 120, 149, 150, 179, 180, 181, 365, 3000])
    expected = [0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 7, 7]
    assert bucket_of(dpd).tolist() == expected
    assert [Bucket(b).label for b in range(8)] == [
        "current", "1-29", "30-59", "60-89", "90-119", "120-149", "150-179", "180+"]
    assert BUCKET_EDGES.tolist() == [1, 30, 60, 90, 120, 150, 180]


def _terms(kind: str, chargeoff_days: int, late_fee: float = 35.0) -> ProductTerms:
    one = lambda v, dt=float: np.array([v], dtype=dt)  # noqa: E731
    return ProductTerms(is_card=one(kind == "card", bool), apr=one(0.18), apr_risk_spread=one(0.0),
                        min_payment_share=one(0.03), min_payment_floor=one(25.0), term=one(36, np.int16),
                        late_fee=one(late_fee), chargeoff_days=one(chargeoff_days, np.int16),
                        limit_income_multiple=one(1.0))


def _book(kind: str, chargeoff_days: int, n: int = 4, late_fee: float = 35.0) -> tuple[LoanBook, ProductTerms]:
    terms = _terms(kind, chargeoff_days, late_fee)
    book = LoanBook(1, capacity=n)
    book.originate(borrower=np.arange(n), lender=np.zeros(n, dtype=np.int64), amount=np.full(n, 5000.0),
                   apr=np.full(n, 0.18), terms=terms, goodwill=np.zeros(n), score_observed=np.full(n, 0.5, np.float32),
                   due_day=np.array([1, 10, 20, 28][:n] + [15] * max(0, n - 4), dtype=np.int8))
    return book, terms


def _month(book: LoanBook, terms: ProductTerms, paid: np.ndarray | None = None) -> dict:
    """One month of the book's accounting with the given payments (default: nothing paid)."""
    forborne = np.zeros(book.n, dtype=bool)
    interest = book.accrue_interest(forborne, False)
    book.schedule(interest, terms, forborne)
    events = book.apply_payments(np.zeros(book.n) if paid is None else paid, terms, forborne)
    book.refresh_status()
    gap = book.ledger_gap()
    assert gap.max() <= 1e-9
    return events


@pytest.mark.parametrize(("kind", "chargeoff_days"), [("card", 180), ("instalment", 120), ("card", 90),
                                                      ("instalment", 150)])
def test_loan_that_is_never_paid_rolls_through_buckets_and_charges_off_at_configured_age(kind, chargeoff_days):
    """A loan never paid goes 1-29, 30-59, ... one bucket a month, and is charged off in the first month
    its days past due reach the configured age, never before."""
    book, terms = _book(kind, chargeoff_days)
    buckets, charged = [], []
    for month in range(1, 12):
        events = _month(book, terms)
        dpd = book.view("dpd").copy()
        co = events["chargeoff"]
        # never charged off before the age, always at it
        assert (dpd[co] >= chargeoff_days).all()
        assert (dpd[~co & (book.view("status") != Status.CHARGED_OFF)] < chargeoff_days).all()
        if co.any():
            charged.append(month)
            assert (book.view("status")[co] == Status.CHARGED_OFF).all()
            np.testing.assert_allclose(events["gross_chargeoff"][co], book.claim()[co])
            np.testing.assert_allclose(book.view("written_off")[co], book.claim()[co])
            break
        buckets.append(bucket_of(dpd))
        assert (book.view("cycles") == month).all()
        assert (book.view("status") == Status.DELINQUENT).all()
    # one bucket further each month, from 1-29
    for month, b in enumerate(buckets, start=1):
        assert (b == month).all(), (month, b)
    expected_month = -(-chargeoff_days // 30) + (1 if chargeoff_days % 30 == 0 else 0)
    assert charged == [expected_month]
    # late fees: one per missed month
    np.testing.assert_allclose(book.view("fees_charged"), 35.0 * charged[0])


def test_a_broken_plan_brings_back_its_arrears_counted_at_the_full_payment():
    """A card three cycles behind enters a plan (re-aged, arrears set aside, a reduced payment); it pays the
    first plan payment and misses the second: the plan breaks and the account is four cycles behind (three
    set aside and this month's), not more because the plan's payment was smaller (the arrears a broken plan
    brings back were missed at the full payment)."""
    book, terms = _book("card", 180)
    book.plan_payment_share = 0.6
    for _ in range(3):
        _month(book, terms)
    assert (book.view("cycles") == 3).all()
    rows = np.arange(book.n)
    book.reage(rows, month=3)
    book.view("plan_left")[:] = 12
    forborne = np.zeros(book.n, dtype=bool)
    book.schedule(book.accrue_interest(forborne, False), terms, forborne)
    book.apply_payments(book.amount_due(), terms, forborne)  # the first plan payment, in full
    book.refresh_status()
    assert (book.view("cycles") == 0).all() and (book.view("plan_left") == 11).all()
    events = _month(book, terms)  # the second is missed
    assert events["broken_plan"].all()
    assert (book.view("plan_left") == 0).all()
    assert book.view("cycles").tolist() == [4, 4, 4, 4]


def test_paying_arrears_cures_and_partial_payment_rolls_back_one_cycle():
    book, terms = _book("instalment", 120)
    for _ in range(3):
        _month(book, terms)
    assert (book.view("cycles") == 3).all()
    instalment = book.view("instalment").copy()
    forborne = np.zeros(book.n, dtype=bool)
    interest = book.accrue_interest(forborne, False)
    book.schedule(interest, terms, forborne)
    due = book.amount_due()
    # loan 0 pays everything due, loan 1 pays this month's instalment and one missed one,
    # loan 2 pays just this month's instalment, loan 3 pays nothing
    paid = np.array([due[0], 2 * instalment[1], instalment[2], 0.0])
    events = book.apply_payments(paid, terms, forborne)
    book.refresh_status()
    assert book.view("cycles").tolist() == [0, 2, 3, 4]
    assert events["cured"].tolist() == [True, False, False, False]
    assert book.view("dpd")[0] == 0 and book.view("arrears")[0] == 0.0
    assert book.view("status")[0] == Status.CURRENT
    assert (book.view("status")[1:] == Status.DELINQUENT).all()
    # a late fee for each short payment, none for the full one
    assert events["late_fee"].tolist() == [0.0, 35.0, 35.0, 35.0]
    assert book.ledger_gap().max() <= 1e-9


def test_payment_waterfall_pays_fees_then_interest_then_principal():
    book, terms = _book("card", 180, n=1)
    _month(book, terms)  # one missed month: a late fee and a month's interest
    fees, interest, principal = book.fees[0], book.interest[0], book.principal[0]
    assert fees == 35.0 and interest > 0
    forborne = np.zeros(1, dtype=bool)
    new_interest = book.accrue_interest(forborne, False)
    book.schedule(new_interest, terms, forborne)
    interest += new_interest[0]
    pay = fees + 0.5 * interest
    book.apply_payments(np.array([pay]), terms, forborne)
    assert book.fees[0] == pytest.approx(35.0)  # new late fee: the payment fell short of what was due
    assert book.interest[0] == pytest.approx(0.5 * interest)
    assert book.principal[0] == pytest.approx(principal)
    assert book.repaid[0] == pytest.approx(pay)
    assert book.ledger_gap().max() <= 1e-9


def test_sale_moves_written_off_claim_to_sold_and_buyer_collections_stay_off_the_ledger():
    book, terms = _book("card", 90, n=2)
    for _ in range(4):
        _month(book, terms)
    assert (book.view("status") == Status.CHARGED_OFF).all()
    face = book.claim().copy()
    proceeds = book.sell(np.array([0]), price=0.1)
    np.testing.assert_allclose(proceeds, 0.1 * face[:1])
    assert book.status[0] == Status.SOLD and book.sold[0] == pytest.approx(face[0])
    assert book.written_off[0] == pytest.approx(0.0, abs=1e-9)
    assert book.ledger_gap().max() <= 1e-9
    # payments after the sale go to the buyer; payments on a charged-off claim are recoveries
    forborne = np.zeros(2, dtype=bool)
    book.schedule(np.zeros(2), terms, forborne)
    book.apply_payments(np.array([100.0, 100.0]), terms, forborne)
    assert book.buyer_collected[0] == pytest.approx(100.0) and book.repaid[0] == 0.0
    assert book.repaid[1] == pytest.approx(100.0)
    assert book.written_off[1] == pytest.approx(face[1] - 100.0)
    assert book.ledger_gap().max() <= 1e-9


def test_never_paying_population_in_the_model_charges_off_at_the_configured_age(helpers):
    """In the full model, households that never pay (willingness nil, no conversations, no suits) roll
    one bucket a month and are charged off at 180 days (card) or 120 days (instalment)."""
    scenario = {
        "horizon_months": 10, "burn_in_months": 0,
        "population": {"n_borrowers": 150, "willingness_mean": 0.0, "willingness_sd": 0.0,
                       "application_rate": 0.0, "initial_loans_per_borrower": 1.0},
        "behaviour": {"willingness_intercept": -40.0, "prepayment_rate": 0.0},
        "tactics": {"call_answer_rate": 0.0},
        "lenders": [
            {"name": "card", "strategy": "conventional", "strategy_params": {"sue_min_claim": 1e12},
             "approval_cutoff": 0.0,
             "product": {"kind": "card", "chargeoff_days": 180}},
            {"name": "loan", "strategy": "conventional", "strategy_params": {"sue_min_claim": 1e12},
             "approval_cutoff": 0.0,
             "product": {"kind": "instalment", "chargeoff_days": 120}},
        ],
    }
    model = sim.CollectionModel(scenario, rng=2)
    book = model.book
    n0 = book.n
    assert n0 > 20
    is_card = book.view("is_card").copy()
    seen_buckets = np.zeros((n0, 8), dtype=bool)
    chargeoff_dpd = np.full(n0, -1)
    chargeoff_month = np.full(n0, -1)
    for month in range(10):
        model.step()
        helpers.check_book(model)
        assert book.n == n0  # no originations, no compaction before month 11
        status = book.view("status")
        dpd = book.view("dpd")
        fresh = (status == Status.CHARGED_OFF) & (chargeoff_month < 0)
        chargeoff_month[fresh] = month + 1
        chargeoff_dpd[fresh] = dpd[fresh]
        open_ = status == Status.DELINQUENT
        seen_buckets[np.flatnonzero(open_), bucket_of(dpd[open_])] = True
        assert book.view("paid_last").sum() == 0.0
    assert (chargeoff_month > 0).all(), "every loan is charged off"
    assert (chargeoff_dpd[is_card] >= 180).all() and (chargeoff_dpd[is_card] < 210).all()
    assert (chargeoff_month[is_card] == 7).all()
    assert (chargeoff_dpd[~is_card] >= 120).all() and (chargeoff_dpd[~is_card] < 150).all()
    assert (chargeoff_month[~is_card] == 5).all()
    # every card loan went through 1-29 ... 150-179; every instalment loan through 1-29 ... 90-119
    assert seen_buckets[is_card][:, 1:7].all()
    assert seen_buckets[~is_card][:, 1:5].all()


def test_instalment_is_finite_for_a_tiny_positive_apr(helpers):
    """The annuity formula must not divide by zero when ``apr`` is positive but so small that
    ``1 - (1 + r) ** -term`` rounds to 0 (any apr >= 0 is a valid scenario value)."""
    scenario = {"horizon_months": 3, "burn_in_months": 0, "population": {"n_borrowers": 60},
                "lenders": [{"name": "L", "product": {"kind": "instalment", "apr": 1e-20, "apr_risk_spread": 0.0,
                                                      "term_months": 12}}]}
    model = sim.CollectionModel(scenario, rng=0)
    instalment = model.book.view("instalment")
    np.testing.assert_allclose(instalment, model.book.view("principal_lent") / 12.0, rtol=1e-9)
    helpers.run_stepwise(model)


def test_no_nan_in_tables_for_a_lender_without_accounts(helpers):
    """A lender that holds no accounts (tiny market share, small population) must not put NaN in the
    monthly table or the summary: every outcome is a number."""
    scenario = {"horizon_months": 3, "burn_in_months": 0,
                "population": {"n_borrowers": 50, "initial_loans_per_borrower": 0.2, "application_rate": 0.0},
                "lenders": [{"name": "big", "market_share": 1.0},
                            {"name": "tiny", "market_share": 1e-9}]}
    model = helpers.run_stepwise(sim.CollectionModel(scenario, rng=0))
    assert (model.book.view("lender") == 1).sum() == 0  # the case under test: no account at "tiny"
    helpers.check_tables(model.results())


# --------------------------------------------------------------------------------------------------
# the reported figures are the book's
# --------------------------------------------------------------------------------------------------
ADDITIVE = ["accounts_open", "book_balance", "accounts_delinquent", "accounts_30plus", "balance_30plus",
            "gross_chargeoff", "recoveries", "net_chargeoff", "collected", "exposure", "collection_cost", "cures",
            "call_attempts", "visits", "lawsuits", "plans_accepted", "originated", "prepaid"]


def test_monthly_table_reports_the_state_of_the_book(helpers):
    """Each recorded month's book figures (accounts open, balances, 30+ delinquency, well-being)
    equal what the loan and borrower columns hold at the end of that month, per lender and overall;
    per-lender rows add up to "all"."""
    scenario = {"horizon_months": 14, "burn_in_months": 4, "population": {"n_borrowers": 800},
                "lenders": [{"name": "A", "strategy": "conventional"},
                            {"name": "B", "strategy": "aggressive", "product": {"kind": "instalment",
                                                                                "chargeoff_days": 120}}]}
    model = sim.CollectionModel(scenario, rng=8)
    expected = []
    while model.running:
        month = model.month
        model.step()
        if month < 0:
            continue
        book, t = model.book, model.borrowers
        on_book = book.on_book()
        claim = book.claim()
        lender = book.view("lender")
        in30 = on_book & (book.view("dpd") >= 30)
        for i, name in enumerate(["A", "B", "all"]):
            mine = np.ones(book.n, bool) if name == "all" else lender == i
            balance = claim[on_book & mine].sum()
            expected.append({
                "month": month, "lender": name,
                "accounts_open": (on_book & mine).sum(),
                "book_balance": balance,
                "accounts_delinquent": (on_book & mine & (book.view("cycles") > 0)).sum(),
                "accounts_30plus": (in30 & mine).sum(),
                "balance_30plus": claim[in30 & mine].sum(),
                "delinquency_30plus_rate": claim[in30 & mine].sum() / balance,
            })
        expected[-1]["wellbeing_mean"] = float(t.wellbeing.mean())
        expected[-1]["wellbeing_low_share"] = float((t.wellbeing < 38).mean())
    monthly = model.results().monthly.set_index(["month", "lender"])
    for row in expected:
        got = monthly.loc[(row["month"], row["lender"])]
        for key, value in row.items():
            if key in ("month", "lender"):
                continue
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), (row["month"], row["lender"], key)
    # per-lender rows add up to the total
    by_month = model.results().monthly
    parts = by_month[by_month["lender"] != "all"].groupby("month")[ADDITIVE].sum()
    total = by_month[by_month["lender"] == "all"].set_index("month")[ADDITIVE]
    for key in ADDITIVE:
        np.testing.assert_allclose(parts[key], total[key], rtol=1e-9, atol=1e-6, err_msg=key)
    # net charge-offs are gross charge-offs less recoveries, and the rate is annualised
    m = by_month
    np.testing.assert_allclose(m["net_chargeoff"], m["gross_chargeoff"] - m["recoveries"], rtol=1e-12, atol=1e-9)
    balance = m["book_balance"].to_numpy()
    rate = np.where(balance > 0, 12 * m["net_chargeoff"].to_numpy() / np.where(balance > 0, balance, 1.0), 0.0)
    np.testing.assert_allclose(m["chargeoff_rate"], rate, rtol=1e-9, atol=1e-12)
    # segments: mean well-being by income quintile is that of the households in it
    seg = model.results().segments
    last = seg[seg["month"] == seg["month"].max()].set_index("segment")
    t = model.borrowers
    for q in range(5):
        in_q = t.wellbeing[t.quintile == q]
        assert last.loc[f"income_q{q + 1}", "wellbeing_mean"] == pytest.approx(float(in_q.mean()), rel=1e-6)


def test_households_that_start_paying_cure_in_the_model(helpers):
    """Households that miss two payments and then pay all that is due (willing, catching up, attentive,
    flush with savings) return to current: no cycles, no days past due, status current, counted as cures."""
    scenario = {
        "horizon_months": 6, "burn_in_months": 0,
        "population": {"n_borrowers": 150, "willingness_mean": 0.0, "willingness_sd": 0.0,
                       "application_rate": 0.0, "initial_loans_per_borrower": 1.0},
        "behaviour": {"willingness_intercept": -40.0, "prepayment_rate": 0.0},
        "tactics": {"call_answer_rate": 0.0},
        "lenders": [{"name": "card", "approval_cutoff": 0.0, "record_error_rate": 0.0, "product": {"kind": "card"}}],
    }
    model = sim.CollectionModel(scenario, rng=3)
    model.step()
    model.step()
    book = model.book
    delinquent = book.view("cycles") == 2
    assert delinquent.all()
    # now every household wants to pay, clears its arrears, never forgets or misreads, and has the money
    model.cfg.behaviour.willingness_intercept = 40.0
    model.cfg.behaviour.catch_up_rate = 1.0
    t = model.borrowers
    t.attention[:] = 1.0
    t.misunderstanding[:] = 0.0
    t.savings[:] = 1e7
    model.step()
    helpers.check_book(model)
    assert (book.view("cycles") == 0).all()
    assert (book.view("dpd") == 0).all()
    assert np.isin(book.view("status"), [Status.CURRENT, Status.PAID_OFF]).all()
    model.run()
    monthly = model.results().monthly
    cures = monthly[(monthly["lender"] == "all") & (monthly["month"] == 2)]["cures"].item()
    assert cures == delinquent.sum()


def test_level_payment_is_the_annuity_and_continuous_at_a_zero_rate():
    """The one annuity formula (instalments, seeded portfolios, welfare's net-worth annuity)."""
    from sim.loans import level_payment

    r, n = 0.015, 36
    assert float(level_payment(1000.0, r, n)) == pytest.approx(1000.0 * r / (1 - (1 + r) ** -n), rel=1e-12)
    assert float(level_payment(1000.0, 0.0, 36)) == pytest.approx(1000.0 / 36, rel=1e-15)
    assert float(level_payment(1000.0, 1e-9, 36)) == pytest.approx(1000.0 / 36, rel=1e-7)
    # it repays the amount: the payments discounted at the rate add up to it
    pay = level_payment(np.array([500.0, 2000.0]), np.array([0.01, 0.02]), np.array([12, 60]))
    for p, a, rate, months in zip(pay, (500.0, 2000.0), (0.01, 0.02), (12, 60), strict=True):
        assert sum(p / (1 + rate) ** k for k in range(1, months + 1)) == pytest.approx(a, rel=1e-12)


def test_one_in_collection_mask_is_what_lenders_observe():
    """LoanBook.in_collection is the one "in collection" mask: the accounts lenders observe, and the base of
    rates per account in collection. A judgment never stands without its lawsuit, so the mask is the same
    whether or not it names judgments."""
    from sim.loans import ON_BOOK, collection_rows

    model = sim.CollectionModel("baseline", rng=4, strategy="litigation_heavy",
                                **{"population.n_borrowers": 1500, "horizon_months": 6, "burn_in_months": 10,
                                   "population.willingness_mean": 0.5})
    judged = 0
    while model.running:
        model.step()
        book = model.book
        mask = book.in_collection()
        rows = np.concatenate([collection_rows(book, lender.index) for lender in model.lenders])
        assert np.array_equal(np.sort(rows), np.flatnonzero(mask))
        on_book = ON_BOOK[book.view("status")]
        assert not (book.view("judgment") & on_book & (book.view("litigation_age") < 0)).any()
        judged += int((book.view("judgment") & mask).sum())
    assert judged > 0
