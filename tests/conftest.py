"""Shared helpers for the engine tests.

Simulations here are small on purpose (a few hundred to a few thousand households, short burn-in and
horizon): the tests check what the model computes, not how fast it computes it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.borrowers import COLUMNS as BORROWER_COLUMNS
from sim.loans import COLUMNS as LOAN_COLUMNS

ROOT = Path(__file__).resolve().parent.parent

#: overrides that keep a run small: 500 households, 6 burn-in and 12 recorded months
SMALL = {"population.n_borrowers": 500, "horizon_months": 12, "burn_in_months": 6}

LEDGER_TOL = 1e-9  # criterion 4: the accounting identity holds to 1e-9 relative


def ledger_sides(book) -> tuple[np.ndarray, np.ndarray]:
    """Both sides of the accounting identity per loan, recomputed from the book's raw columns:
    lent + interest charged + fees charged, and outstanding on the book + repaid + written off + sold."""
    from sim.loans import ON_BOOK

    lhs = book.view("principal_lent") + book.view("interest_charged") + book.view("fees_charged")
    claim = book.view("principal") + book.view("interest") + book.view("fees")
    on_book = ON_BOOK[book.view("status")]
    outstanding = np.where(on_book, claim, 0.0)
    rhs = outstanding + book.view("repaid") + book.view("written_off") + book.view("sold")
    return lhs, rhs


def check_book(model) -> None:
    """Assert the per-loan and aggregate accounting identities, non-negative balances and no NaN in
    the loan and borrower columns of ``model`` right now."""
    book = model.book
    # the model's own per-loan gap
    gap = book.ledger_gap()
    assert gap.size == 0 or float(gap.max()) <= LEDGER_TOL, f"ledger gap {gap.max():.3e} at month {model.month}"
    # recomputed independently from the columns
    lhs, rhs = ledger_sides(book)
    rel = np.abs(lhs - rhs) / np.maximum(lhs, 1.0)
    assert rel.size == 0 or float(rel.max()) <= LEDGER_TOL, f"recomputed gap {rel.max():.3e}"
    # aggregate, including loans archived by compaction (paid off or closed: nothing on the book)
    arch = book.archived
    total_lhs = lhs.sum() + sum(arch[k].sum() for k in ("principal_lent", "interest_charged", "fees_charged"))
    total_rhs = rhs.sum() + sum(arch[k].sum() for k in ("repaid", "written_off", "sold"))
    assert abs(total_lhs - total_rhs) <= LEDGER_TOL * max(total_lhs, 1.0), (total_lhs, total_rhs)
    # no negative balance
    for name in ("principal", "interest", "fees", "arrears", "principal_lent", "interest_charged",
                 "fees_charged", "repaid", "sold", "buyer_collected", "plan_arrears"):
        col = book.view(name)
        assert col.size == 0 or col.min() >= 0.0, f"negative {name}: {col.min()!r} at month {model.month}"
    wo = book.view("written_off")
    assert wo.size == 0 or wo.min() >= -LEDGER_TOL * max(float(book.view("principal_lent").max()), 1.0)
    assert (book.view("dpd") >= 0).all() and (book.view("cycles") >= 0).all()
    # no NaN or infinity anywhere
    for name, dtype in LOAN_COLUMNS.items():
        if np.issubdtype(dtype, np.floating):
            assert np.isfinite(book.view(name)).all(), f"non-finite loan column {name}"
    t = model.borrowers
    for name, dtype in BORROWER_COLUMNS.items():
        if np.issubdtype(dtype, np.floating):
            assert np.isfinite(getattr(t, name)).all(), f"non-finite borrower column {name}"
    # consumption has its own test (tests/test_economy.py): an uncovered expense shock drives it negative
    for name in ("savings", "income", "shock", "shortfall", "paid", "essentials"):
        assert getattr(t, name).min() >= 0.0, f"negative borrower column {name}"
    assert ((t.wellbeing >= 0) & (t.wellbeing <= 100)).all()
    assert ((t.stress >= 0) & (t.stress <= 1)).all()


def check_tables(result, allow_empty_lender_wellbeing: bool = False) -> None:
    """No NaN or infinity in the monthly, segment and summary tables.

    With ``allow_empty_lender_wellbeing``, the per-lender well-being columns may be NaN (a lender with
    no households); ``test_accounting.py::test_no_nan_in_tables_for_a_lender_without_accounts`` checks
    that case on its own.
    """
    for name in ("monthly", "segments", "summary"):
        frame = getattr(result, name)
        if allow_empty_lender_wellbeing and "lender" in frame:
            frame = frame.copy()
            per_lender = frame["lender"] != "all"
            frame.loc[per_lender, ["wellbeing_mean", "wellbeing_low_share"]] = 0.0
        numeric = frame.select_dtypes("number")
        bad = [c for c in numeric.columns if not np.isfinite(numeric[c].to_numpy(dtype=float)).all()]
        assert not bad, f"non-finite values in {name}: {bad}"


def run_stepwise(model, check=check_book):
    """Step ``model`` month by month while it runs, checking after every step; return the model."""
    check(model)
    while model.running:
        model.step()
        check(model)
    return model


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m sim ARGS`` in a fresh process from the repository root."""
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="session")
def helpers():
    """The helper functions of this module, for test files (``helpers.check_book(model)``)."""
    import types

    return types.SimpleNamespace(SMALL=SMALL, check_book=check_book, check_tables=check_tables,
                                 run_stepwise=run_stepwise, run_cli=run_cli, ledger_sides=ledger_sides,
                                 ROOT=ROOT)


@pytest.fixture(scope="session")
def big_portfolio_csv(tmp_path_factory) -> Path:
    """A synthetic portfolio CSV of 19.5 MB (about 220,000 accounts), just under the app's 20 MB limit:
    what a lender's analyst uploads (made once per test session, from data/sample_portfolio.csv)."""
    from sim.portfolio import load_portfolio, synthesize_portfolio

    path = tmp_path_factory.mktemp("portfolio") / "book.csv"
    sample = load_portfolio(ROOT / "data" / "sample_portfolio.csv")
    path.write_bytes(synthesize_portfolio(sample, rows=int(19.5e6 / 88), seed=1).to_csv(index=False).encode())
    return path
