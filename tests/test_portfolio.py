"""Portfolio files (issue 7): the schema, validation with line numbers, starting a run from a lender's
book, filled columns, and synthetic copies.

Everything runs on the shipped sample (data/sample_portfolio.csv, about 3,000 accounts) or on small
files written here; the million-row check is experiments/benchmark_portfolio.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.config import ScenarioError, load_scenario
from sim.portfolio import (
    SCHEMA,
    PortfolioError,
    copied_rows,
    load_portfolio,
    schema_table,
    synthesize_portfolio,
    validate_portfolio,
    write_portfolio,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample_portfolio.csv"
HEADER = "account_id,lender,product,balance,rate,remaining_term,days_past_due"


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture(scope="module")
def sample():
    return load_portfolio(SAMPLE)


# --------------------------------------------------------------------------------------------------
# the sample and the documented schema
# --------------------------------------------------------------------------------------------------
def test_sample_portfolio_is_clean(sample):
    assert sample.ok and sample.problems == []
    assert sample.n_accounts == sample.rows_in_file == 2984
    assert int(sample.household_keys().max()) + 1 == 2500
    assert set(sample.columns) == set(SCHEMA) - {"months_on_book"}
    # optional columns with empty cells, or absent, are reported as filled
    assert sample.filled_columns["months_on_book"] == sample.n_accounts
    assert 0 < sample.filled_columns["income"] < sample.n_accounts
    assert 0 < sample.filled_columns["score"] < sample.n_accounts
    assert validate_portfolio(SAMPLE) == []


def test_sample_is_reproduced_by_its_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "data" / "make_sample_portfolio.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.make().to_csv(index=False, float_format="%.10g")
    assert text.encode() == SAMPLE.read_bytes()


def test_docs_carry_the_schema_table():
    assert schema_table() in (ROOT / "docs" / "portfolio.md").read_text()


def test_sample_shape_is_plausible(sample):
    f = sample.frame
    assert set(f["lender"]) == {"Card issuer", "Instalment lender"}
    assert 0.03 < (f["days_past_due"] >= 30).mean() < 0.08  # Fed 2006-07 card 30+ about 4%
    assert 0.10 < f.loc[f["product"] == "card", "rate"].mean() < 0.20  # Fed G.19 card APR 13-15%


# --------------------------------------------------------------------------------------------------
# validation: every bad row, with its line number and reason
# --------------------------------------------------------------------------------------------------
def test_every_bad_row_is_reported_with_its_line():
    data = csv_bytes(
        "A1,L,card,100,0.2,12,0",  # line 2: good
        "A2,L,carx,100,0.2,12,0",  # 3: product
        "",  # 4: blank, skipped
        "A3,L,card,abc,0.2,12,0",  # 5: balance not a number
        'A4,"Lender, with comma",instalment,100,0.2,12,0',  # 6: good (quoted comma)
        'A5,"two\nlines",card,-5,0.2,12,0',  # 7-8: negative balance, reported on its first line
        "A6,L,card,100,19.9,12,0",  # 9: rate in percent
        "A7,L,card,100,0.2,12.5,0",  # 10: fractional term
        "A1,L,card,100,0.2,12,0",  # 11: duplicate id
        "A8,L,card,nan,inf,12,0",  # 12: NaN and infinity
        "A9,L,card,100,0.2,12",  # 13: a missing field
        "A10,L,card,1e12,0.2,12,99999",  # 14: enormous balance and days past due
        ",L,card,100,0.2,12,0",  # 15: empty id
    )
    portfolio = load_portfolio(data, strict=False)
    found = {(p.line, p.column) for p in portfolio.problems}
    assert found == {
        (3, "product"), (5, "balance"), (7, "balance"), (9, "rate"), (10, "remaining_term"),
        (11, "account_id"), (12, "balance"), (12, "rate"), (13, None), (14, "balance"),
        (14, "days_past_due"), (15, "account_id"),
    }
    # good rows are kept with their lines; no row is dropped without a problem naming it
    assert list(portfolio.frame["line"]) == [2, 6]
    assert portfolio.frame.loc[1, "lender"] == "Lender, with comma"
    lines_seen = set(portfolio.frame["line"]) | {p.line for p in portfolio.problems}
    assert lines_seen == {2, 3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15}
    messages = {(p.line, p.column): p.message for p in portfolio.problems}
    assert "0.199 means 19.9%" in messages[(9, "rate")]
    assert "first on line 2" in messages[(11, "account_id")]
    assert messages[(13, None)].startswith("has 6 fields, expected 7")
    assert str(portfolio.problems[0]) == "line 3: product: 'carx' is not a product (card or instalment)"


def test_strict_load_raises_one_line_naming_the_first_problem():
    data = csv_bytes("A1,L,card,100,0.2,12,0", "A2,L,card,-1,0.2,12,0", "A3,L,card,x,0.2,12,0")
    with pytest.raises(PortfolioError) as err:
        load_portfolio(data, name="upload.csv")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("upload.csv: line 3: balance:")
    assert "2 bad rows" in msg
    assert isinstance(err.value, ScenarioError)
    assert [p.line for p in err.value.problems] == [3, 4]


def test_file_level_problems_name_the_columns():
    with pytest.raises(PortfolioError, match="missing required columns balance, rate"):
        load_portfolio(b"account_id,lender,product,remaining_term,days_past_due\nA,L,card,1,0\n")
    with pytest.raises(PortfolioError, match="unknown column 'balanse' \\(did you mean 'balance'\\?\\)"):
        load_portfolio(csv_bytes("A,L,card,1,0.1,1,0,2", header=HEADER + ",balanse"))
    with pytest.raises(PortfolioError, match="appears twice"):
        load_portfolio(csv_bytes("A,L,card,1,0.1,1,0,2", header=HEADER + ",rate"))
    with pytest.raises(PortfolioError, match="no rows"):
        load_portfolio(csv_bytes())
    problems = validate_portfolio(csv_bytes("A,L,card,1,0.1,1,0,2,3", header=HEADER + ",balanse,scor"))
    assert len(problems) == 2 and all(p.line is None for p in problems)


def test_bom_semicolons_tabs_crlf_and_case_are_accepted():
    rows = ["A1;L;Card;100.5;0.2;12;0", "A2;L;INSTALLMENT;50;0;0;45"]
    text = "\r\n".join([HEADER.upper().replace(",", ";"), *rows]) + "\r\n"
    p = load_portfolio(b"\xef\xbb\xbf" + text.encode())
    assert list(p.frame["product"]) == ["card", "instalment"]
    assert list(p.frame["line"]) == [2, 3]
    tabbed = load_portfolio(text.replace(";", "\t").encode())
    assert tabbed.frame["balance"].tolist() == [100.5, 50.0]


def test_parquet_reads_like_csv(tmp_path, sample):
    path = tmp_path / "sample.parquet"
    write_portfolio(sample.frame, path)
    p = load_portfolio(path)
    assert p.unit == "row" and p.n_accounts == sample.n_accounts
    cols = [c for c in sample.columns]
    pd.testing.assert_frame_equal(p.frame[cols], sample.frame[cols], check_dtype=False)
    # bad values in a Parquet file are reported by row
    bad = sample.frame[["account_id", "lender", "product", "balance", "rate", "remaining_term",
                        "days_past_due"]].head(5).copy()
    bad.loc[3, "balance"] = np.inf
    bad.to_parquet(tmp_path / "bad.parquet", index=False)
    problems = validate_portfolio(tmp_path / "bad.parquet")
    assert [(str(p)) for p in problems] == ["row 4: balance: 'inf' is infinite"]


# --------------------------------------------------------------------------------------------------
# starting a simulation from the portfolio
# --------------------------------------------------------------------------------------------------
def test_model_starts_from_the_portfolio_and_keeps_the_ledger(helpers, sample):
    model = sim.CollectionModel("portfolio_sample", rng=0, horizon_months=4)
    f = sample.frame
    book = model.book
    assert model.borrowers.n == 2500 == model.cfg.population.n_borrowers
    assert book.n == len(f)
    # the book at month 0 is the file: balances, rates, days past due, products, lenders
    assert np.allclose(book.view("principal"), f["balance"])
    assert np.allclose(book.view("apr"), f["rate"])
    on_book = book.on_book()
    assert np.array_equal(book.view("dpd")[on_book], f["days_past_due"].to_numpy()[on_book])
    assert np.array_equal(book.view("is_card"), (f["product"] == "card").to_numpy())
    names = [lc.name for lc in model.cfg.lenders]
    assert [names[i] for i in book.view("lender")] == list(f["lender"])
    # instalment loans with a known original amount have repaid the difference
    known = f["original_amount"].notna().to_numpy()
    assert np.allclose(book.view("principal_lent")[known], f["original_amount"][known])
    # accounts at or past the charge-off age start charged off
    cod = np.where(f["product"] == "card", 180, 120)
    assert int((~on_book).sum()) == int((f["days_past_due"].to_numpy() >= cod).sum()) > 0
    # households: incomes from the file where known
    household = sample.household_keys()
    inc = f["income"].to_numpy()
    has = np.isfinite(inc)
    assert np.allclose(model.borrowers.income_base[household[has]], inc[has])
    helpers.run_stepwise(model)  # ledger identity, no NaN, no negative balance, every month


def test_run_says_which_columns_were_filled():
    result = sim.simulate("portfolio_sample", horizon_months=2)
    report = result.meta["portfolio"]
    assert report["accounts"] == 2984 and report["households"] == 2500
    assert set(report["filled"]) >= {"income", "income_band", "score", "months_on_book", "original_amount"}
    assert "savings" in report["always_from_population_model"]
    assert report["lenders"] == {"Card issuer": "Card issuer", "Instalment lender": "Instalment lender"}
    import json

    json.dumps(report)  # goes into meta.json


def test_score_orders_households_and_bands_bound_incomes(sample):
    model = sim.CollectionModel("portfolio_sample", rng=0, horizon_months=1)
    f = sample.frame
    household = sample.household_keys()
    score = pd.Series(f["score"].to_numpy()).groupby(household).mean()
    scored = score.dropna()
    risk = model.borrowers.risk_score[scored.index.to_numpy()]
    rho = pd.Series(risk).corr(pd.Series(scored.to_numpy()), method="spearman")
    assert rho > 0.99
    band_only = f["income"].isna().to_numpy() & (f["income_band"] != "").to_numpy()
    lo, hi = f["_income_low"].to_numpy()[band_only], f["_income_high"].to_numpy()[band_only]
    income = model.borrowers.income_base[household[band_only]]
    assert np.all((income >= lo - 1e-6) & (income <= hi + 1e-6))


def test_one_household_per_account_without_borrower_id(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(csv_bytes("A1,Mine,card,500,0.2,36,0", "A2,Mine,instalment,900,0.1,10,65",
                               "A3,Mine,card,700,0.25,36,200"))
    scenario = tmp_path / "s.toml"
    scenario.write_text('portfolio = "p.csv"\nhorizon_months = 2\nburn_in_months = 0\n')
    cfg = load_scenario(scenario)
    assert cfg.portfolio == "p.csv"  # kept as written; read from the scenario file's folder
    model = sim.CollectionModel(scenario, rng=0)
    assert model.borrowers.n == 3
    report = model.portfolio_report
    assert report["filled"]["borrower_id"] == "one household per account"
    assert report["lenders"] == {"Mine": "Lender"}  # a one-lender scenario takes every account
    assert report["charged_off_at_start"] == 1 and report["delinquent_at_start"] == 1


def test_unknown_lender_in_a_multi_lender_scenario_is_an_error(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(csv_bytes("A1,Elsewhere Bank,card,500,0.2,36,0"))
    with pytest.raises(PortfolioError, match="'Elsewhere Bank' not in the scenario"):
        sim.CollectionModel("portfolio_sample", portfolio=str(path))


def test_original_amount_below_balance_keeps_the_ledger(tmp_path, helpers):
    path = tmp_path / "p.csv"
    path.write_bytes(csv_bytes("A1,L,instalment,1000,0.2,12,0,800", "A2,L,instalment,1000,0.2,12,31,1500",
                               header=HEADER + ",original_amount"))
    model = sim.CollectionModel({"portfolio": str(path), "horizon_months": 3, "burn_in_months": 0}, rng=0)
    lhs, rhs = helpers.ledger_sides(model.book)
    assert np.allclose(lhs, [1000, 1500]) and np.allclose(lhs, rhs)
    helpers.run_stepwise(model)


def test_missing_portfolio_file_is_a_one_line_error():
    with pytest.raises(PortfolioError, match="no such file"):
        sim.CollectionModel({"portfolio": "/nonexistent/p.csv"})


# --------------------------------------------------------------------------------------------------
# synthetic copies
# --------------------------------------------------------------------------------------------------
def test_synthetic_portfolio_matches_distributions_and_copies_no_row(sample):
    from scipy.stats import ks_2samp

    orig = sample.frame
    syn = synthesize_portfolio(sample, seed=1)
    assert len(syn) == len(orig)
    assert list(syn.columns) == list(sample.columns)
    # marginals: two-sample KS distance below 0.06 for every numeric column (n about 3,000 each)
    for col in ("balance", "rate", "remaining_term", "days_past_due", "original_amount", "income", "score"):
        a, b = orig[col].dropna(), syn[col].dropna()
        assert ks_2samp(a, b).statistic < 0.06, col
        assert abs(orig[col].isna().mean() - syn[col].isna().mean()) < 0.03, col
    # categorical frequencies within 3 points
    for col in ("lender", "product", "region", "income_band"):
        diff = (orig[col].value_counts(normalize=True) - syn[col].value_counts(normalize=True)).abs()
        assert diff.fillna(1).max() < 0.03, col
    # main correlations (Spearman, within products) within 0.1
    for product in ("card", "instalment"):
        cols = ["balance", "rate", "days_past_due", "income", "score"]
        a = orig[orig["product"] == product][cols].corr(method="spearman")
        b = syn[syn["product"] == product][cols].corr(method="spearman")
        assert float((a - b).abs().max().max()) < 0.1, product
    # households: same distribution of accounts per household
    sizes = lambda f: f["borrower_id"].value_counts().value_counts(normalize=True)  # noqa: E731
    assert abs(sizes(orig).get(2, 0) - sizes(syn).get(2, 0)) < 0.03
    # no row copied, no id reused
    cols = [c for c in sample.columns if c not in ("account_id", "borrower_id")]
    assert not copied_rows(orig, syn, cols).any()
    assert not set(syn["account_id"]) & set(orig["account_id"])
    assert not set(syn["borrower_id"]) & set(orig["borrower_id"])
    # and the synthetic file is itself a clean portfolio
    buf = io.BytesIO()
    syn.to_csv(buf, index=False)
    assert validate_portfolio(buf.getvalue()) == []


def test_synthesis_is_reproducible(sample):
    a = synthesize_portfolio(sample, rows=200, seed=3)
    b = synthesize_portfolio(sample, rows=200, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 200


# --------------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------------
def test_cli_validate_and_synthesize(helpers, tmp_path):
    ok = helpers.run_cli("portfolio", "validate", "data/sample_portfolio.csv")
    assert ok.returncode == 0 and ok.stdout.startswith("OK: data/sample_portfolio.csv: 2,984 accounts")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes("A1,L,card,100,0.2,12,0", "A2,L,card,-1,0.2,12,0", "A3,L,card,1,0.2,12"))
    out = helpers.run_cli("portfolio", "validate", str(bad))
    assert out.returncode == 2
    assert out.stdout.splitlines() == [f"{bad}: line 3: balance: '-1' must be above 0",
                                       f"{bad}: line 4: has 6 fields, expected 7 (one per header column)"]
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ")
    new = tmp_path / "synthetic.csv"
    syn = helpers.run_cli("portfolio", "synthesize", "data/sample_portfolio.csv", "--out", str(new),
                          "--rows", "500")
    assert syn.returncode == 0, syn.stderr
    assert load_portfolio(new).n_accounts == 500


def test_champion_and_challenger_split_the_portfolio(sample):
    """A lender testing a challenger on its own book: the file's accounts are split between the arms,
    and households with accounts 60+ days late start with marks on their credit record."""
    scenario = {"portfolio": str(SAMPLE), "horizon_months": 2, "burn_in_months": 0,
                "lenders": [{"name": "Card issuer", "challengers": [{"strategy": "hardship_first", "share": 0.5}]},
                            {"name": "Instalment lender", "product": {"kind": "instalment"}}]}
    model = sim.CollectionModel(scenario, rng=0)
    book = model.book
    card = book.view("lender") == 0
    share = float((book.view("arm")[card] == 1).mean())
    assert 0.45 < share < 0.55
    assert (book.view("arm")[~card] == 0).all()
    late = sample.frame["days_past_due"].to_numpy() >= 60
    household = sample.household_keys()
    assert (model.borrowers.derogatory[household[late]] >= 1).all()
    assert (model.borrowers.derogatory[np.setdiff1d(household, household[late])] == 0).all()
    model.run()


VALID_ROW = st.fixed_dictionaries({
    "product": st.sampled_from(["card", "instalment"]),
    "balance": st.floats(0.01, 1e6),
    "rate": st.floats(0.0, 10.0),
    "remaining_term": st.integers(0, 600),
    "days_past_due": st.integers(0, 3650),
    "income": st.one_of(st.none(), st.floats(1.0, 1e6)),
    "income_band": st.sampled_from(["", "0-2000", "2000-4000", "10000+"]),
    "score": st.one_of(st.none(), st.floats(0, 1000)),
    "borrower_id": st.sampled_from(["", "H1", "H2", "H3"]),
    "months_on_book": st.one_of(st.none(), st.integers(0, 600)),
    "original_amount": st.one_of(st.none(), st.floats(0.01, 1e6)),
})


@settings(max_examples=12, deadline=None)
@given(st.lists(VALID_ROW, min_size=1, max_size=12))
def test_any_valid_portfolio_runs_with_the_ledger_balanced(helpers, rows):
    """Whatever valid values a file holds (extreme rates, terms, arrears, empty optional cells), the
    model starts from it and the accounting identity holds every month."""
    frame = pd.DataFrame(rows)
    frame.insert(0, "account_id", [f"A{i}" for i in range(len(frame))])
    frame.insert(1, "lender", "Bank")
    buf = io.BytesIO()
    frame.to_csv(buf, index=False, float_format="%.17g")
    p = load_portfolio(buf.getvalue())
    assert p.n_accounts == len(frame)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.csv"
        path.write_bytes(buf.getvalue())
        model = sim.CollectionModel({"portfolio": str(path), "horizon_months": 2, "burn_in_months": 0}, rng=0)
        assert model.book.n == len(frame)
        helpers.run_stepwise(model)
    syn = synthesize_portfolio(p, seed=0)
    assert len(syn) == len(frame)
    cols = [c for c in p.columns if c not in ("account_id", "borrower_id")]
    assert not copied_rows(p.frame, syn, cols).any()
