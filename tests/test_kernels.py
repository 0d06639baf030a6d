"""The compiled kernels (sim/kernels.py) compute what the numpy engine computed.

Each test runs a kernel-backed function and the numpy engine's code it replaced (frozen in
``tests/numpy_reference.py``) on the same inputs and draws, and says how equal they must be: bit for bit
(``np.array_equal``) unless the test states a tolerance and why.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import numpy_reference as ref
import pytest
from conftest import ROOT

import sim
from sim import kernels
from sim.regulation import REGIMES, run_calendar

CALENDAR_FIELDS = ("attempts", "night_attempts", "conversations", "clipped", "would_clip", "violations",
                   "clipped_rows", "would_clip_rows", "daily", "daily_night")


def _calendar_inputs(seed: int, n: int, p_values: int | None):
    rng = np.random.default_rng(seed)
    calls = rng.choice([0, 1, 2, 3, 5, 9, 20, 45], n).astype(np.int16)
    night = rng.choice([0, 0, 0, 1, 3, 10], n).astype(np.int16)
    third, complies = rng.random(n) < 0.5, rng.random(n) < 0.85
    if p_values is None:  # as in the model: a different answer probability for nearly every account
        p_answer = (0.35 * (rng.random(n) < 0.9) * (1.0 - 0.5 * rng.random(n))).astype(np.float32)
    else:
        p_answer = rng.choice(np.linspace(0.05, 0.6, p_values), n).astype(np.float32)
    due_day = (rng.integers(1, 29, n) - 1).astype(np.int8)
    return calls, night, third, p_answer, complies, due_day


@pytest.mark.parametrize("regime,reference", [("none", "us_reg_f"), ("us_reg_f", "china_2018"),
                                              ("us_reg_f_creditors", "none"), ("china_2018", "us_reg_f"),
                                              ("china_cba_2026", "us_reg_f_creditors")])
@pytest.mark.parametrize("p_values", [None, 3])
@pytest.mark.parametrize("clustered", [True, False])
def test_calendar_kernel_is_the_numpy_calendar_bit_for_bit(regime, reference, p_values, clustered):
    """``run_calendar`` (kernels ``lay_out_calls`` and ``run_calendar_month``) against the numpy engine's, on
    more accounts than one block, with every regime as the one in force and as the reference: identical."""
    n = 20_000
    calls, night, third, p_answer, complies, due_day = _calendar_inputs(7, n, p_values)
    due = due_day if clustered else None
    new = run_calendar(calls, night, third, p_answer, np.random.default_rng(3), REGIMES[regime], REGIMES[reference],
                       complies, keep_daily=True, due_day=due)
    old = ref.run_calendar(calls, night, third, p_answer, np.random.default_rng(3), REGIMES[regime],
                           REGIMES[reference], complies, keep_daily=True, due_day=due)
    for field in CALENDAR_FIELDS:
        a, b = getattr(new, field), getattr(old, field)
        assert a.dtype == b.dtype or field in ("daily", "daily_night"), field
        assert np.array_equal(a, b), field
    brief = run_calendar(calls, night, third, p_answer, np.random.default_rng(3), REGIMES[regime], REGIMES[reference],
                         complies, keep_daily=False, due_day=due)  # the model's usual call: no day-by-day matrices
    for field in CALENDAR_FIELDS[:-2]:
        assert np.array_equal(getattr(brief, field), getattr(old, field)), field
    assert brief.daily is None and brief.daily_night is None
    assert new.conversations.sum() > 0
    if REGIMES[regime].has_rules:
        assert new.clipped.sum() > 0 and new.violations.sum() > 0


@pytest.mark.parametrize("regime,reference", [("us_reg_f", "china_2018"), ("china_cba_2026", "us_reg_f_creditors")])
def test_calendar_counts_by_group_are_the_numpy_sums_of_its_rows(regime, reference):
    """``run_calendar`` with outcome groups (what the model calls) tallies the rule counts by group in the kernel;
    they equal the numpy engine's per-account counts summed by group (accounts of group -1 in the totals only),
    and everything else equals the numpy calendar, on more accounts than one block."""
    n = 20_000
    calls, night, third, p_answer, complies, due_day = _calendar_inputs(11, n, None)
    group = np.random.default_rng(2).integers(-1, 3, n)
    new = run_calendar(calls, night, third, p_answer, np.random.default_rng(3), REGIMES[regime], REGIMES[reference],
                       complies, due_day=due_day, group=group, n_groups=3)
    old = ref.run_calendar(calls, night, third, p_answer, np.random.default_rng(3), REGIMES[regime],
                           REGIMES[reference], complies, due_day=due_day)
    for field in CALENDAR_FIELDS[:6]:
        assert np.array_equal(getattr(new, field), getattr(old, field)), field
    for g in range(3):
        assert np.array_equal(new.clipped_by_group[g], old.clipped_rows[group == g].sum(axis=0)), g
        assert np.array_equal(new.would_clip_by_group[g], old.would_clip_rows[group == g].sum(axis=0)), g
    assert new.clipped_by_group.sum() > 0 and new.would_clip_by_group.sum() > 0
    assert new.clipped_rows is None and new.would_clip_rows is None


def test_more_distinct_than_is_the_count_of_unique_values():
    """Kernel ``more_distinct_than`` against ``len(np.unique(values)) > k``, which ``_p_conversation`` took before."""
    rng = np.random.default_rng(4)
    cases = [np.zeros(0, dtype=np.float32), np.array([0.0, -0.0, 0.0], dtype=np.float32),
             (0.35 * rng.random(5_000)).astype(np.float32)]
    cases += [rng.choice(np.linspace(0.05, 0.6, m), 5_000).astype(dtype) for m in (1, 7, 8, 9, 12)
              for dtype in (np.float32, np.float64)]
    for values in cases:
        for k in (0, 1, 8):
            assert kernels.more_distinct_than(values, k) == (len(np.unique(values)) > k), (values[:5], k)


def test_drop_rows_is_the_gathered_copy_of_every_book_column():
    """Kernels ``drop_rows`` and ``drop_rows_archiving`` (``LoanBook.compact``, in place; the latter also sums the
    values of the rows gone by lender, as ``np.bincount`` does) against the numpy engine's ``col[:k] = np.take(col,
    keep)``, for a column of every dtype the book holds, with the first and last rows gone or kept; the rows after
    the kept ones are left as they were or hold rows already moved (never read)."""
    from sim.loans import COLUMNS, MOVED_TOGETHER

    rng = np.random.default_rng(8)
    n = 5_000
    for gone in (rng.random(n) < 0.1, np.r_[True, rng.random(n - 2) < 0.5, True], np.zeros(n, dtype=bool)):
        keep = np.flatnonzero(~gone)
        for dtype in sorted({np.dtype(d).name for d in COLUMNS.values()}):
            column = (rng.random(n) * 100).astype(dtype)
            expected = np.take(column, keep)
            assert kernels.drop_rows((column,), gone) == len(keep)
            assert np.array_equal(column[: len(keep)], expected), dtype
        for names in MOVED_TOGETHER:  # several columns a pass, as LoanBook.compact moves them
            columns = tuple((rng.random(n) * 100).astype(COLUMNS[name]) for name in names)
            expected = [np.take(column, keep) for column in columns]
            assert kernels.drop_rows(columns, gone) == len(keep)
            for column, want in zip(columns, expected, strict=True):
                assert np.array_equal(column[: len(keep)], want), names
        lender = rng.integers(0, 3, n).astype(np.int16)
        for width in (1, 3, 4):  # ledger columns moved and archived together
            columns = tuple(rng.lognormal(5.0, 2.0, n) for _ in range(width))
            expected, archived = [np.take(values, keep) for values in columns], np.zeros((width, 3))
            expected_archived = [np.bincount(lender[gone], weights=values[gone], minlength=3) for values in columns]
            assert kernels.drop_rows_archiving(columns, gone, lender, archived) == len(keep)
            for q, values in enumerate(columns):
                assert np.array_equal(values[: len(keep)], expected[q])
                assert np.array_equal(archived[q], expected_archived[q])


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"), reason="the JIT is off")
def test_every_kernel_is_cached_on_disk_and_documented():
    """Every compiled function in sim/kernels.py keeps its machine code on disk (``cache=True``) and says what it
    computes; ``warm()`` compiles each that the engine calls (a private helper is compiled inside its caller)."""
    kernels.warm()
    compiled = kernels.compiled_signatures()
    assert len(compiled) >= 20
    for name in compiled:
        dispatcher = getattr(kernels, name)
        assert type(dispatcher._cache).__name__ == "FunctionCache", name
        assert dispatcher.__doc__ and len(dispatcher.__doc__.split()) >= 8, name
        assert compiled[name] >= 1 or name.startswith("_"), f"{name} is not compiled by warm()"


def test_warm_compiles_every_kernel_and_reports_seconds():
    seconds = kernels.warm()
    assert 0.0 <= seconds < 600.0


def test_model_runs_with_the_jit_disabled_and_computes_the_same():
    """``NUMBA_DISABLE_JIT=1`` runs the kernels as Python (for a debugger): a small model gives the same
    outcomes, bit for bit, as with the compiled kernels."""
    script = ("import sys, hashlib, sim\n"
              "m = sim.CollectionModel('baseline', rng=11, n_borrowers=400, horizon=4, burn_in_months=3).run()\n"
              "r = m.results()\n"
              "print(hashlib.sha256(r.monthly.to_csv(index=False).encode()).hexdigest())\n")
    digests = []
    for disable in ("1", "0"):
        env = {**os.environ, "NUMBA_DISABLE_JIT": disable, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=600, check=False)
        assert out.returncode == 0, out.stderr[-2000:]
        digests.append(out.stdout.strip().splitlines()[-1])
    assert digests[0] == digests[1]


def _book_pair(scenario: str, months: int):
    """A loan book after ``months`` of a small run, and a copy of it with the numpy engine's accounting."""
    import copy

    from sim.loans import LoanBook

    model = sim.CollectionModel(scenario, rng=3, n_borrowers=3000, horizon=24, burn_in_months=0)
    for _ in range(months):
        model.step()
    book = copy.deepcopy(model.book)
    old = ref.NumpyLoanBook.__new__(ref.NumpyLoanBook)
    old.__dict__.update(copy.deepcopy(model.book.__dict__))
    assert type(book) is LoanBook
    return model, book, old


def _same_book(a, b) -> None:
    from sim.loans import COLUMNS

    for name in COLUMNS:
        assert np.array_equal(a.view(name), b.view(name)), name
        assert a.view(name).dtype == b.view(name).dtype


@pytest.mark.parametrize("scenario,months", [("baseline", 14), ("recession", 20), ("crisis_package", 16)])
@pytest.mark.parametrize("variant", ["plain", "forborne", "accommodated"])
def test_loan_kernels_are_the_numpy_accounting_bit_for_bit(scenario, months, variant):
    """``LoanBook.accrue_interest``, ``schedule``, ``apply_payments`` and ``refresh_status`` (kernels
    ``accrue_interest``, ``schedule_payments``, ``apply_payments_pass``, ``refresh_status``) against the numpy
    engine's on a running book with delinquent, charged-off, sold and planned loans: every column of the book and
    every event identical; with ``details=False`` the same book and events, less ``EVENT_DETAILS``."""
    from sim.loans import EVENT_DETAILS

    model, new, old = _book_pair(scenario, months)
    n = new.n
    rng = np.random.default_rng(1)
    forborne = (rng.random(n) < 0.2) if variant == "forborne" else np.zeros(n, dtype=bool)
    share = rng.choice([0.25, 0.5, 1.0], n) if variant == "accommodated" else None
    waived = (rng.random(n) < 0.3) if variant == "accommodated" else None
    accrued = [book.accrue_interest(forborne, variant != "forborne") for book in (new, old)]  # kernel accrue_interest
    assert np.array_equal(*accrued) and accrued[0].any()
    _same_book(new, old)
    interest = rng.random(n) * 20.0
    for book in (new, old):
        book.schedule(interest, model.terms, forborne, share)
    _same_book(new, old)
    due = new.amount_due()
    # pay nothing, part, what is due, or more than the claim
    paid = np.select([rng.random(n) < 0.2, rng.random(n) < 0.3, rng.random(n) < 0.5],
                     [0.0 * due, rng.random(n) * due, due], 2.0 * new.claim())
    events_new = new.apply_payments(paid, model.terms, forborne, month=model.month, fee_waived=waived)
    events_old = old.apply_payments(paid, model.terms, forborne, month=model.month, fee_waived=waived)
    assert events_new.keys() == events_old.keys()
    for name in events_old:
        assert np.array_equal(events_new[name], events_old[name]), name
        assert events_new[name].dtype == events_old[name].dtype, name
    _same_book(new, old)
    # the model's call (details=False): the same book and the same events, without the details
    _, plain, _ = _book_pair(scenario, months)
    plain.accrue_interest(forborne, variant != "forborne")
    plain.schedule(interest, model.terms, forborne, share)
    events_plain = plain.apply_payments(paid, model.terms, forborne, month=model.month, fee_waived=waived,
                                        details=False)
    _same_book(new, plain)
    assert set(events_plain) == set(events_new) - set(EVENT_DETAILS)
    for name in events_plain:
        assert np.array_equal(events_plain[name], events_new[name]), name
    new.litigation_age[: n // 7] = 0
    old.litigation_age[: n // 7] = 0
    new.refresh_status()
    old.refresh_status()
    _same_book(new, old)
    statuses = set(np.unique(new.view("status")).tolist())
    assert len(statuses) >= 4, statuses
    assert events_new["chargeoff"].any() and events_new["cured"].any() and events_new["late_fee"].any()


def _same_households(a, b) -> None:
    from sim.borrowers import COLUMNS

    for name in COLUMNS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert getattr(a, name).dtype == getattr(b, name).dtype, name


@pytest.mark.parametrize("scenario", ["baseline", "crisis_package"])
def test_household_kernels_are_the_numpy_arithmetic_bit_for_bit(scenario):
    """``labour_and_shocks``, ``payment_budget``, ``settle_month`` and ``update_stress_and_wellbeing`` (kernels
    ``labour_market``, ``payment_budget``, ``settle_month``, ``stress_and_wellbeing``) against the numpy engine's on
    a population part-way through a run, with and without a month of lowered spending: every column identical."""
    import copy

    from sim import borrowers
    from sim.economy import levers_at

    model = sim.CollectionModel(scenario, rng=4, n_borrowers=5000, horizon=24, burn_in_months=0)
    for _ in range(6):
        model.step()
    new, old = copy.deepcopy(model.borrowers), copy.deepcopy(model.borrowers)
    n = new.n
    cfg = model.cfg
    draws = borrowers.draw_labour(np.random.default_rng(8), np.random.default_rng(9), n)
    weights = model._separation_by_quintile[new.quintile] / 1.1
    finding_weights = 0.97 ** np.minimum(new.months_unemployed, 24)
    lost = [mod.labour_and_shocks(t, cfg.economy, 0.03, 0.3, 25.0, draws, weights, finding_weights)
            for mod, t in ((borrowers, new), (ref, old))]
    assert np.array_equal(lost[0], lost[1]) and lost[0].any()
    _same_households(new, old)
    assert np.array_equal(borrowers.payment_budget(new), ref.payment_budget(old))
    rng = np.random.default_rng(2)
    paid = rng.random(n) * 300.0 * (rng.random(n) < 0.7)
    borrowed = rng.random(n) * 1000.0 * (rng.random(n) < 0.05)
    levers = next((levers_at(cfg.economy, m) for m in range(60) if levers_at(cfg.economy, m).spending_levers), None)
    for with_spending in (False, True):
        spending = [None, None]
        if with_spending:
            if levers is None:
                continue
            spending = [borrowers.lower_essentials(t, levers, 7) for t in (new, old)]
        borrowers.settle_month(new, paid, cfg.population, borrowed, spending[0])
        ref.settle_month(old, paid, cfg.population, borrowed, spending[1])
        _same_households(new, old)
        if with_spending:
            borrowers.restore_essentials(new, spending[0])
            borrowers.restore_essentials(old, spending[1])
    assert scenario != "crisis_package" or levers is not None
    contact_stress = rng.random(n) * 0.3 * (rng.random(n) < 0.1)
    any_30 = rng.random(n) < 0.05
    for _ in range(3):
        borrowers.update_stress_and_wellbeing(new, cfg.behaviour, contact_stress, any_30, lost[0])
        ref.update_stress_and_wellbeing(old, cfg.behaviour, contact_stress, any_30, lost[0])
        _same_households(new, old)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_split_budget_kernel_is_the_numpy_split_bit_for_bit(seed):
    """``split_budget`` (kernel ``split_budget``) against the numpy engine's, with loans in no order of household,
    short and ample budgets, zero and negative budgets, and zero priorities: identical."""
    from sim.borrowers import split_budget

    rng = np.random.default_rng(seed)
    households, loans = 4000, 9000
    owner = rng.integers(0, households, loans)
    wanted = rng.choice([0.0, 25.0, 80.0, 400.0], loans) * rng.random(loans)
    priority = np.exp(rng.standard_normal(loans).astype(np.float32)) * (rng.random(loans) < 0.95)
    budget = rng.choice([-50.0, 0.0, 60.0, 500.0, 5000.0], households) * rng.random(households)
    new = split_budget(budget, wanted, owner, priority)
    old = ref.split_budget(budget, wanted, owner, priority)
    assert new.dtype == old.dtype and np.array_equal(new, old)
    assert (new < wanted).any() and (new == wanted).any()


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"), reason="the JIT is off")
def test_a_model_run_after_warm_compiles_nothing_more():
    """``warm()`` compiles every kernel for the argument types the model passes: the app's first Run, after the
    warm-up at start-up, does not pay a compilation."""
    kernels.warm()
    before = kernels.compiled_signatures()
    for scenario in ("baseline", "regime_us_reg_f", "crisis_package", "champion_challenger", "portfolio_sample"):
        size = {} if scenario == "portfolio_sample" else {"n_borrowers": 400}
        sim.CollectionModel(scenario, rng=1, horizon=8, burn_in_months=2, **size).run()
    assert kernels.compiled_signatures() == before


@pytest.mark.parametrize("scenario", ["baseline", "recession", "regime_us_reg_f", "champion_challenger"])
def test_payment_kernels_are_the_numpy_decision_bit_for_bit(scenario, monkeypatch):
    """Every month of a run, ``sim.payments.decide_payments`` (kernels ``debt_to_income``, ``payment_logits``,
    ``payment_decisions`` and ``split_short_budgets``) gives what the numpy engine's decision
    (``numpy_reference.numpy_decide_payments``) gives on a copy of the book, the households and the behaviour
    stream: the payments, disputes, amounts due,
    the budget split and the hidden truth, and the book and households after."""
    import copy

    from numpy_reference import numpy_decide_payments

    import sim.model

    compiled = sim.model.decide_payments
    months = []

    def both(setting, book, t, reactance, reminded, rng, keep_truth=False):
        twin_book, twin_t, twin_rng = copy.deepcopy(book), copy.deepcopy(t), copy.deepcopy(rng)
        new, new_truth = compiled(setting, book, t, reactance, reminded, rng, keep_truth=True)
        old, old_truth = numpy_decide_payments(setting, twin_book, twin_t, reactance.copy(), reminded.copy(),
                                               twin_rng, keep_truth=True)
        for name in ("due", "paid", "disputed"):
            assert np.array_equal(getattr(old, name), getattr(new, name)), name
        for name in ("budget", "wanted", "paid"):
            assert np.array_equal(getattr(old.split, name), getattr(new.split, name)), name
        for name in ("unwilling", "cash_short", "due"):
            assert np.array_equal(getattr(old_truth, name), getattr(new_truth, name)), name
        _same_book(twin_book, book)
        _same_households(twin_t, t)
        months.append((new.paid > 0).mean())
        return new, (new_truth if keep_truth else None)

    monkeypatch.setattr(sim.model, "decide_payments", both)
    sim.CollectionModel(scenario, rng=6, n_borrowers=3000, horizon=10, burn_in_months=8).run()
    assert len(months) == 18 and 0.5 < np.mean(months) < 1.0


def test_claim_on_book_and_buckets_are_the_numpy_ones():
    """``LoanBook.claim``, ``LoanBook.on_book`` and ``bucket_of`` (kernels ``claim``, ``on_book``, ``buckets``)
    against the numpy expressions they replaced, on a running book and on every days-past-due figure: identical."""
    from sim.loans import BUCKET_EDGES, ON_BOOK, bucket_of

    _, book, _ = _book_pair("recession", 16)
    assert np.array_equal(book.claim(), book.view("principal") + book.view("interest") + book.view("fees"))
    assert np.array_equal(book.on_book(), ON_BOOK[book.view("status")])
    dpd = np.arange(-5, 400, dtype=np.int16)
    for values in (dpd, dpd.astype(np.int64), dpd.astype(float) + 0.5, dpd.reshape(-1, 5)):
        expected = np.searchsorted(BUCKET_EDGES, values, side="right").astype(np.int8)
        got = bucket_of(values)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


@pytest.mark.parametrize("seed", [0, 1])
def test_complaint_kernel_is_the_numpy_draw_bit_for_bit(seed):
    """``draw_complaints`` (kernel ``draw_complaints``) against the numpy engine's on accounts with every trigger,
    with the default hazards and with hazards raised a hundredfold (so that every category and channel occurs)."""
    from sim.complaints import ComplaintInputs, draw_complaints
    from sim.config import load_scenario

    rng = np.random.default_rng(seed)
    n = 50_000
    x = ComplaintInputs(
        disputed=rng.random(n) < 0.2, excess_contacts=np.maximum(rng.integers(0, 20, n) - 8.0, 0.0),
        night_calls=rng.choice([0, 0, 1, 4], n).astype(np.int32), threatened=rng.random(n) < 0.1,
        legal=rng.random(n) < 0.05, visits=rng.choice([0, 0, 0, 1], n).astype(np.int16),
        third_party=rng.choice([0, 0, 2], n).astype(np.int16), social_media=rng.random(n) < 0.02,
        propensity=(rng.gamma(2.0, 0.5, n) * (0.5 + rng.random(n))).astype(np.float32),
        literacy_ratio=(rng.beta(2, 2, n) / 0.5).astype(np.float32))
    behaviour = load_scenario("baseline").behaviour
    loud = behaviour.model_copy(update={name: min(100 * getattr(behaviour, name), 1.0) for name in (
        "complaint_base", "complaint_dispute", "complaint_excess_contact", "complaint_night", "complaint_threat",
        "complaint_visit", "complaint_third_party", "complaint_social_media")})
    for cfg in (behaviour, loud):
        new = draw_complaints(x, cfg, np.random.default_rng(9))
        old = ref.draw_complaints(x, cfg, np.random.default_rng(9))
        for a, b in zip(new, old, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
    assert set(np.unique(new[0]).tolist()) == set(range(-1, 6)) and set(np.unique(new[1]).tolist()) == {-1, 0, 1, 2}


@pytest.mark.parametrize("scenario,months", [("recession", 22), ("regime_us_reg_f", 20)])
def test_report_kernels_are_the_numpy_reports_bit_for_bit(scenario, months):
    """``reports.account_states`` and ``finance.recovery_per_dollar`` (kernels ``account_states`` and
    ``recovery_per_dollar``) against the numpy engine's on a running book with every status: identical."""
    from sim.finance import recovery_per_dollar
    from sim.reports import account_states

    model, book, _ = _book_pair(scenario, months)
    status, dpd = book.view("status"), book.view("dpd")
    assert len(np.unique(status)) >= 5
    assert np.array_equal(account_states(status, dpd), ref.account_states(status, dpd))
    finance = model.cfg.finance
    assert np.array_equal(recovery_per_dollar(book, finance), ref.recovery_per_dollar(book, finance))


@pytest.mark.parametrize("scenario", ["baseline", "regime_china_2018", "champion_challenger"])
@pytest.mark.parametrize("strategy", [None, "aggressive"])
def test_contact_effect_kernel_is_the_numpy_effects_bit_for_bit(scenario, strategy, monkeypatch):
    """Every month of a run, ``sim.contacts.contact_effects`` (kernel ``contact_effects``) gives what the numpy
    engine's effects (``numpy_reference.numpy_contact_effects``) give on a copy of the book: reactance,
    harassment, stress, the contact stock, threats and goodwill of every loan, and the lenders' running share
    of threats carried out."""
    import copy

    from numpy_reference import numpy_contact_effects

    import sim.contacts

    compiled = sim.contacts.contact_effects
    months = []

    def both(setting, book, rows, who, uses, *rest):
        twin_book, twin_rest = copy.deepcopy(book), copy.deepcopy(rest)
        new = compiled(setting, book, rows, who, uses, *rest)
        old = numpy_contact_effects(setting, twin_book, rows, who, copy.deepcopy(uses), *twin_rest)
        for name in ("reactance", "harassment", "stress", "suit_share"):
            assert np.array_equal(getattr(old, name), getattr(new, name)), name
        _same_book(twin_book, book)
        months.append(len(uses))
        return new

    monkeypatch.setattr(sim.contacts, "contact_effects", both)
    extra = {} if strategy is None else {"strategy": strategy}
    sim.CollectionModel(scenario, rng=2, n_borrowers=2000, horizon=8, burn_in_months=6, **extra).run()
    assert len(months) == 14 and max(months) >= 4


@pytest.mark.parametrize("scenario,months", [("recession", 22), ("champion_challenger", 15),
                                             ("china_online_lending", 16)])
def test_recorder_kernels_are_the_numpy_tallies_bit_for_bit(scenario, months):
    """``finance.book_value`` and ``reports.RollRates.update`` (kernels ``book_value_by_group`` and
    ``roll_tallies``) against the numpy engine's bincounts, on a running book with every status, several
    outcome groups, and accounts whose end state is unknown: identical."""
    from sim.finance import book_value
    from sim.reports import NOT_ON_BOOK, RollRates, account_states

    model, book, _ = _book_pair(scenario, months)
    group = model.group_offset[book.view("lender")] + book.view("arm")
    n_groups = len(model.groups)
    finance = model.cfg.finance
    assert np.array_equal(book_value(book, group, n_groups, finance), ref.book_value(book, group, n_groups, finance))
    start = account_states(book.view("status"), book.view("dpd"))
    claim = book.claim()
    model.step()  # a month without compaction (months % 3 != 2): the accounts keep their rows
    k = len(start)
    end = account_states(model.book.view("status")[:k], model.book.view("dpd")[:k])
    end[np.random.default_rng(4).random(k) < 0.05] = NOT_ON_BOOK
    assert len(np.unique(start)) >= 5 and (end == NOT_ON_BOOK).any()
    rolls = RollRates(1, n_groups + 1)
    rolls.update(0, start, claim, end, group.astype(np.int16))
    counts, balances = ref.roll_tallies(start, claim, end, group, n_groups)
    assert np.array_equal(rolls.count[0, :-1], counts) and np.array_equal(rolls.balance[0, :-1], balances)
    assert rolls.count[0].sum() > 0


@pytest.mark.parametrize("scenario,months", [("recession", 22), ("china_online_lending", 16)])
def test_loss_tallies_are_the_numpy_bincounts_bit_for_bit(scenario, months):
    """Kernel ``loss_tallies`` (``lenders.learn_losses``) against the numpy engine's bincounts on a running book
    with several lenders: identical."""
    model, book, _ = _book_pair(scenario, months)
    rng = np.random.default_rng(5)
    k = len(model.lenders)
    gross = np.where(rng.random(book.n) < 0.05, rng.random(book.n) * 3000.0, 0.0)
    recovered = np.where(rng.random(book.n) < 0.05, rng.random(book.n) * 200.0, 0.0)
    balance, net = np.zeros(k), np.zeros(k)
    v = book.view
    kernels.loss_tallies(v("principal"), v("interest"), v("fees"), v("status"), v("lender"), gross, recovered,
                         balance, net)
    old_balance, old_net = ref.loss_tallies(book, gross, recovered, k)
    assert np.array_equal(balance, old_balance) and np.array_equal(net, old_net)
    assert (balance > 0).sum() == k


def ref_buckets(dpd):
    """The days-past-due buckets as the numpy engine found them."""
    from sim.loans import BUCKET_EDGES

    return np.searchsorted(BUCKET_EDGES, dpd, side="right").astype(np.int8)


@pytest.mark.parametrize("scenario,months", [("recession", 22), ("china_online_lending", 16)])
def test_amount_due_and_debts_owed_are_the_numpy_sums_bit_for_bit(scenario, months):
    """Kernels ``amount_due`` (``LoanBook.amount_due``) and ``debt_to_income`` (the debt overhang in
    ``decide_payments``) against the numpy engine's ``np.minimum`` and ``np.bincount`` (over a year's base income)
    on a running book with charged-off, sold and closed loans: identical."""
    model, book, _ = _book_pair(scenario, months)
    v = book.view
    assert np.array_equal(book.amount_due(), ref.amount_due(book))
    ratio = np.zeros(model.borrowers.n)
    kernels.debt_to_income(v("principal"), v("interest"), v("fees"), v("status"), v("borrower"),
                           model.borrowers.income_base, ratio)
    owed = ref.owed_by_household(book, model.borrowers.n)
    assert np.array_equal(ratio, owed / (12.0 * model.borrowers.income_base))
    assert (~book.collecting()).any() and (owed > 0).any()
    assert np.array_equal(book.in_collection(), ref.in_collection(book)) and book.in_collection().any()
    from sim.loans import observe

    rows = np.flatnonzero(book.in_collection())
    uses_app = np.random.default_rng(2).random(model.borrowers.n) < 0.5
    obs = observe(book, rows, model.month, uses_app)  # kernel observed_accounts
    for name in ("loan_id", "dpd", "cycles", "scheduled", "arrears", "months_on_book", "status", "collector",
                 "paid_last", "broken_promises", "contacts_last", "rpc_last", "disputed", "judgment",
                 "months_since_chargeoff", "is_card"):
        assert np.array_equal(getattr(obs, name), np.take(v(name), rows)) and getattr(obs, name).dtype == v(name).dtype
    assert np.array_equal(obs.score, v("score_observed")[rows]) and obs.score.dtype == np.float32
    assert np.array_equal(obs.bucket, ref_buckets(obs.dpd)) and obs.bucket.dtype == np.int8
    assert np.array_equal(obs.charged_off, obs.status == 5)
    assert np.array_equal(obs.uses_app, uses_app[v("borrower")[rows]]) and obs.uses_app.any()
    assert not observe(book, rows, model.month).uses_app.any()
    assert np.array_equal(obs.claim, v("principal")[rows] + v("interest")[rows] + v("fees")[rows])
    assert np.array_equal(obs.on_plan, (v("plan_left")[rows] > 0) | (v("deferral_left")[rows] > 0))
    assert np.array_equal(obs.in_litigation, v("litigation_age")[rows] >= 0) and obs.on_plan.any()
    groups = book.groups(model.group_offset)  # kernel outcome_groups
    assert groups.dtype == np.int64 and np.array_equal(groups, model.group_offset[v("lender")] + v("arm"))


def test_household_flags_are_the_numpy_comparisons():
    """Kernel ``household_flags`` (``MonthlyRecorder.record``) against the numpy comparisons it replaced, with values
    on the thresholds: low well-being ``wellbeing < 38.0`` on the float32 column, deprivation ``consumption <
    share * essentials``, a shortfall ``shortfall > 0``."""
    rng = np.random.default_rng(12)
    n = 20_000
    wellbeing = rng.uniform(0, 100, n).astype(np.float32)
    wellbeing[:50] = np.float32(38.0)
    wellbeing[50:100] = np.nextafter(np.float32(38.0), np.float32(0.0))
    essentials = rng.lognormal(7.5, 0.4, n)
    consumption = essentials * rng.uniform(0.3, 1.5, n)
    consumption[:100] = 0.6 * essentials[:100]
    shortfall = np.where(rng.random(n) < 0.3, rng.random(n) * 100.0, 0.0)
    shortfall[:10] = -0.0
    low, deprived, short = (np.empty(n, dtype=bool) for _ in range(3))
    kernels.household_flags(wellbeing, np.float32(38.0), consumption, essentials, 0.6, shortfall, low, deprived,
                            short)
    assert np.array_equal(low, wellbeing < 38.0) and low.any() and not low.all()
    assert np.array_equal(deprived, consumption < 0.6 * essentials) and deprived.any() and not deprived.all()
    assert np.array_equal(short, shortfall > 0) and short.any() and not short.all()


def test_recorder_sums_are_the_numpy_bincounts_bit_for_bit():
    """Kernels ``household_sums_by_cell`` (welfare and segments in ``MonthlyRecorder.record``),
    ``vintage_tallies`` and ``redefault_watch`` (``reports.Vintages.update``, ``Redefaults.update``) and
    ``sum_by_index`` against the numpy engine's bincounts and ``np.add.at``: identical."""
    rng = np.random.default_rng(10)
    n = 50_000
    cell = rng.integers(0, 15, n)
    c_eff = rng.lognormal(7.5, 0.6, n)
    power = c_eff ** (1.0 - 2.0)
    utility = (power - 1.0) / (1.0 - 2.0)
    wellbeing = rng.uniform(0, 100, n).astype(np.float32)
    low, any_30, short = wellbeing < 40, rng.random(n) < 0.1, rng.random(n) < 0.2
    out = np.zeros((7, 15))
    kernels.household_sums_by_cell(cell, utility, power, wellbeing, low, any_30, short, out)
    assert np.array_equal(out, ref.household_sums_by_cell(cell, utility, power, wellbeing, low, any_30, short))
    group = rng.integers(0, 3, n)
    month, months = 7, 12
    months_on_book = rng.integers(1, month + 32, n).astype(np.int16)  # vintages -30 to month
    principal = rng.random(n) * 1e4
    gross = np.where(rng.random(n) < 0.1, rng.normal(500.0, 900.0, n), 0.0)
    recovered = np.where(rng.random(n) < 0.1, rng.random(n) * 300.0, 0.0)
    recovered[:20] = gross[:20]  # net losses of zero
    sale_rows = np.sort(rng.choice(n, 500, replace=False))
    sale_loss = rng.normal(100.0, 400.0, 500)
    lent, early, loss = np.zeros((3, 4)), np.zeros(3), np.zeros((3, 4, months))
    kernels.vintage_tallies(month, months_on_book, group, principal, gross, recovered, sale_rows, sale_loss, lent,
                            early, loss)
    # the recorder's numpy: the vintage cast and difference, the net loss and the sales added with np.add.at
    vintage = month + 1 - months_on_book.astype(np.int32)
    net_loss = gross - recovered
    np.add.at(net_loss, sale_rows, sale_loss)
    for new, old in zip((lent, early, loss), ref.vintage_tallies(month, vintage, group, principal, net_loss, 3, 4,
                                                                  months), strict=True):
        assert np.array_equal(new, old) and (new != 0).any()
    # re-defaults: the watch over cured and re-aged loans, by loan id
    loan_id = rng.permutation(n).astype(np.int64)
    bad = rng.random(n) < 0.2
    fix_month = np.where(rng.random(n) < 0.5, rng.integers(0, month + 1, n), -1).astype(np.int16)
    fix_kind, fix_group = rng.integers(0, 2, n).astype(np.int8), rng.integers(0, 3, n).astype(np.int16)
    counts, old_counts = np.zeros((2, months, 13, 4)), np.zeros((2, months, 13, 4))
    old_fix = fix_month.copy()
    kernels.redefault_watch(month, 12, loan_id, bad, fix_month, fix_kind, fix_group, counts)
    ref.redefault_watch(month, 12, loan_id, bad, old_fix, fix_kind, fix_group, old_counts)
    assert np.array_equal(counts, old_counts) and np.array_equal(fix_month, old_fix) and counts.sum() > 0
    paid = np.zeros(15)  # kernel sum_by_index (what each household paid), against np.bincount
    kernels.sum_by_index(cell, c_eff, paid)
    assert np.array_equal(paid, np.bincount(cell, weights=c_eff, minlength=15))


def test_ledger_outcomes_are_the_numpy_updates_bit_for_bit():
    """Kernel ``ledger_outcomes`` (``CollectionModel._account``) against the numpy engine's: the lenders' float32
    score update over every loan, kept only where something was due (``lenders.learn_scores``), promises kept,
    disputes of accounts not sold, the settlements paid and what each household paid (``np.bincount``): identical,
    with nothing due, overpaid and unpaid loans among them."""
    rng = np.random.default_rng(12)
    n, households = 50_000, 20_000
    lender = rng.integers(0, 3, n).astype(np.int16)
    rates = np.array([0.1, 0.25, 0.05], dtype=np.float32)
    due = np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(4.0, 1.0, n))
    paid = np.where(rng.random(n) < 0.4, 0.0, due * rng.uniform(0.0, 1.5, n))
    score = rng.random(n).astype(np.float32)
    disputed, promise, offer = rng.random(n) < 0.1, rng.random(n) < 0.2, rng.random(n) < 0.1
    collector = rng.integers(0, 3, n).astype(np.int8)
    borrower = rng.integers(0, households, n).astype(np.int32)
    old, before = score.copy(), score.copy()
    kept, held, settled, by_household = (np.empty(n, dtype=bool), np.empty(n, dtype=bool), np.empty(n, dtype=np.int64),
                                         np.zeros(households))
    k = kernels.ledger_outcomes(paid, due, disputed, promise, collector, 2, offer, lender, rates, borrower, score, kept,
                                held, settled, by_household)
    ref.learn_scores(old, lender, rates, due, paid)
    assert np.array_equal(score, old) and (score != before).any() and (score[due == 0] == before[due == 0]).all()
    paid_due = paid >= due - 1e-9
    assert np.array_equal(kept, promise & paid_due) and kept.any()
    assert np.array_equal(held, disputed & (collector != 2)) and held.any()
    assert np.array_equal(settled[:k], np.flatnonzero(paid_due & offer & (due > 0))) and k > 0
    assert np.array_equal(by_household, np.bincount(borrower, weights=paid, minlength=households))


def test_collections_by_collector_are_the_numpy_sums_bit_for_bit():
    """Kernel ``collections_by_collector`` (``CollectionModel._lenders_learn``) against the numpy engine's
    ``np.bincount`` of the agency's rows by outcome group and numpy's sum of the buyer's payments: identical."""
    rng = np.random.default_rng(13)
    n = 50_000
    paid = np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(4.0, 1.5, n))
    collector = rng.integers(0, 3, n).astype(np.int8)
    lender, arm = rng.integers(0, 2, n).astype(np.int16), rng.integers(0, 2, n).astype(np.int8)
    offset = np.array([0, 2])
    by_agency, buyer_paid = np.zeros(4), np.empty(n)
    k = kernels.collections_by_collector(paid, collector, 1, 2, lender, arm, offset, by_agency, buyer_paid)
    placed = collector == 1
    expected = np.bincount(offset[lender[placed]] + arm[placed], weights=paid[placed], minlength=4)
    assert np.array_equal(by_agency, expected) and (by_agency > 0).all()
    assert float(buyer_paid[:k].sum()) == float(paid[collector == 2].sum()) and k > 0


@pytest.mark.parametrize("scenario,months", [("recession", 22), ("china_online_lending", 16)])
def test_counts_of_the_month_are_the_numpy_ones_bit_for_bit(scenario, months):
    """Kernels ``on_book_by_group`` (``CollectionModel._accrue``), ``loan_applicants`` (``CreditMarket.applications``,
    with a rate whose float32 rounding is below it and one above) and ``savings_buffer``
    (``update_stress_and_wellbeing``) against the numpy engine's bincounts and arithmetic on a running book:
    identical."""
    model, book, _ = _book_pair(scenario, months)
    t, n_lenders = model.borrowers, len(model.lenders)
    owner, lender, status = book.view("borrower"), book.view("lender"), book.view("status")
    on_book = book.on_book()
    counts = np.zeros(n_lenders, dtype=np.int64)
    kernels.on_book_by_group(status, lender, counts)
    assert np.array_equal(counts, np.bincount(lender[on_book], minlength=n_lenders)) and counts.sum() > 0
    limit = model.cfg.population.max_loans_per_borrower
    open_loans = np.bincount(owner[on_book], minlength=t.n)
    u = np.random.default_rng(3).random(t.n, dtype=np.float32)
    for rate in (0.035, 0.7):
        u[:2] = np.float32(rate)
        out = np.empty(t.n, dtype=np.int64)
        k = kernels.loan_applicants(owner, status, u, rate, limit, out)
        assert np.array_equal(out[:k], np.flatnonzero((u < rate) & (open_loans < limit))) and k > 0
    buffer = np.empty(t.n)
    kernels.savings_buffer(t.savings, t.essentials, buffer)
    assert np.array_equal(buffer, (t.savings / np.maximum(t.essentials, 1.0) + 0.1) / 1.1)


@pytest.mark.parametrize("scenario,months", [("recession", 22), ("champion_challenger", 15)])
def test_rows_a_lender_looks_at_are_the_numpy_ones(scenario, months):
    """``collection_rows``, ``current_rows``, ``LoanBook.rows_with_status`` and ``LoanBook.rows_collected_by``
    (kernels ``collection_rows_of``, ``rows_with_status`` and ``rows_collected_by``) against the numpy engine's
    ``np.flatnonzero`` on a running book: identical."""
    from sim.loans import Status, collection_rows, current_rows
    from sim.tactics import Collector

    model, book, _ = _book_pair(scenario, months)
    lender, status = book.view("lender"), book.view("status")
    for index in range(len(model.lenders)):
        assert np.array_equal(collection_rows(book, index), np.flatnonzero(ref.in_collection(book) & (lender == index)))
        assert np.array_equal(current_rows(book, index), np.flatnonzero((status == Status.CURRENT) & (lender == index)))
    for value in Status:
        assert np.array_equal(book.rows_with_status(value), np.flatnonzero(status == value))
    assert len(collection_rows(book, 0)) > 0
    collector = book.view("collector")
    for who in (Collector.AGENCY, Collector.BUYER):  # a few claims no longer collected, left with a collector
        status[np.flatnonzero(collector == who)[:3]] = Status.CLOSED
    collecting = book.collecting()
    placed, sold = book.rows_collected_by(Collector.AGENCY, Collector.BUYER)
    assert np.array_equal(placed, np.flatnonzero(collecting & (collector == Collector.AGENCY))) and len(placed)
    assert np.array_equal(sold, np.flatnonzero(collecting & (collector == Collector.BUYER)))
    assert len(sold) or scenario == "champion_challenger"  # (no sales there yet)


def test_contact_tallies_are_the_numpy_sums_bit_for_bit():
    """Kernels ``requests_by_group`` (what a reference regime would forbid, ``run_contacts``) and
    ``sum_by_group_where`` (``Costs.book_contacts``, ``LoanBook.compact``) against the numpy engine's masked sums
    and bincounts."""
    rng = np.random.default_rng(13)
    n = 40_000
    requested = rng.choice([0, 0, 0, 1, 2, 5], n).astype(np.int16)
    where, held = rng.random(n) < 0.6, rng.random(n) < 0.8
    group = rng.integers(0, 4, n)
    counts = np.zeros(4, dtype=np.int64)
    total = kernels.requests_by_group(requested, where, group, held, counts)
    assert total == int(requested[where].astype(np.int64).sum())
    masked = np.where(where, requested.astype(np.int64), 0)
    assert np.array_equal(counts, [masked[held & (group == g)].sum() for g in range(4)])
    uses = rng.integers(0, 9, n).astype(np.int32)
    spent = np.zeros(4)
    kernels.sum_by_group_where(uses, where, group, spent)
    assert np.array_equal(spent, np.bincount(group[where], weights=uses[where], minlength=4))
    ledger, lender = rng.lognormal(7.0, 1.5, n), group.astype(np.int16)  # a compaction's archived ledger
    archived = np.zeros(4)
    kernels.sum_by_group_where(ledger, where, lender, archived)
    assert np.array_equal(archived, np.bincount(lender[where], weights=ledger[where], minlength=4))


@pytest.mark.parametrize("scenario", ["baseline", "regime_china_2018", "crisis_package"])
def test_effective_consumption_is_the_numpy_welfare_bit_for_bit(scenario):
    """Kernel ``effective_consumption`` (``borrowers.effective_consumption``, each recorded month's consumption net
    of the disutility of contacts and stress) against the numpy engine's five bincounts and sums: identical."""
    checked = []

    def compare(model, month):
        if month.consumption is not None:
            old = ref.effective_consumption(model.borrowers, model.cfg.welfare, month.contacts)
            assert np.array_equal(month.consumption, old)
            checked.append(len(month.contacts.rows))

    model = sim.CollectionModel(scenario, rng=4, n_borrowers=3000, horizon=4, burn_in_months=6, observers=[compare])
    model.run()
    assert len(checked) == 4 and min(checked) > 0


def test_sum_where_is_numpys_pairwise_sum_bit_for_bit():
    """Kernel ``sum_where`` (numpy's pairwise summation, run without the masked temporary) against
    ``np.sum(np.where(where, values, 0.0))`` on arrays of every length up to 300 and of lengths around the
    blocks and halvings, up to a book of a million and a half loans; ``sum_by_group_masked`` against the bincount."""
    rng = np.random.default_rng(14)
    lengths = [*range(0, 300), 1023, 1024, 1025, 8191, 8192, 8193, 65_537, 1_487_386]
    for n in lengths:
        values = rng.lognormal(6.0, 2.0, n) * rng.choice([1.0, 1e-3, 1e4], n)
        where = rng.random(n) < 0.7
        assert kernels.sum_where(values, where) == np.sum(np.where(where, values, 0.0)), n
    assert np.array_equal(kernels.sum_where(np.zeros(0), np.zeros(0, dtype=bool)), 0.0)
    group = rng.integers(0, 3, n)
    out = np.zeros(3)
    kernels.sum_by_group_masked(values, where, group, out)
    assert np.array_equal(out, np.bincount(group, weights=np.where(where, values, 0.0), minlength=3))



def test_month_account_tallies_are_the_recorders_sums_bit_for_bit():
    """Kernel ``month_account_tallies`` (the recorder's sums over the book in one pass) against the numpy sums it
    replaced: with one group ``np.sum(np.where(where, values, 0.0))`` (pairwise) and ``np.count_nonzero``, with
    several ``np.bincount`` by group; lengths around the blocks and halvings, up to a book of 1.5 million loans, and
    a start-of-month ``was`` shorter than the book."""
    rng = np.random.default_rng(21)
    for n in [0, 1, 7, 8, 9, 127, 128, 129, 300, 1025, 8193, 65_537, 1_487_386]:
        principal, interest, fees, paid, recovered, gross, exposure = (
            rng.lognormal(6.0, 2.0, n) * rng.choice([0.0, 1.0, 1e-3, 1e4], n) for _ in range(7))
        status = rng.integers(0, 9, n).astype(np.int8)
        dpd = rng.integers(0, 200, n).astype(np.int16)
        cycles = (dpd // 30).astype(np.int16)
        collector = rng.integers(0, 3, n).astype(np.int8)
        was = (rng.random(n) < 0.3)[: max(n - 5, 0)]
        # new_episode, due_while_current, paid_on_time, disputed, cured, promise_kept
        events = [rng.random(n) < 0.3 for _ in range(6)]
        claim = principal + interest + fees
        on_book = status <= 4
        was_in = np.zeros(n, dtype=bool)
        was_in[: len(was)] = was
        held = collector != 2
        masked = [np.where(on_book, claim, 0.0), np.where(on_book & (dpd >= 30), claim, 0.0),
                  np.where(was_in & held, paid, 0.0), np.where(events[0], exposure, 0.0), gross, recovered,
                  np.where(held, paid, 0.0) - recovered, np.where(was_in, claim, 0.0)]
        masks = [on_book, on_book & (cycles > 0), on_book & (dpd >= 30), *events[1:]]
        for k in (1, 3):
            group = rng.integers(0, k, n)
            sums, counts = np.zeros((8, k)), np.zeros((8, k), dtype=np.int64)
            kernels.month_account_tallies(principal, interest, fees, status, dpd, cycles, collector, 2, was, paid,
                                          recovered, gross, exposure, *events, group, sums, counts)
            for q in range(8):
                want = ([np.sum(masked[q])] if k == 1 else np.bincount(group, weights=masked[q], minlength=k))
                assert np.array_equal(sums[q], want), (n, k, q)
                assert np.array_equal(counts[q], np.bincount(group[masks[q]], minlength=k)), (n, k, q)

def test_left_collection_is_the_sorted_set_difference():
    """Kernel ``left_collection`` (one merge of two sorted id lists) against ``np.setdiff1d(previous, current,
    assume_unique=True)``; -1 when a list is not increasing (``observe`` then takes the set difference)."""
    rng = np.random.default_rng(9)
    for n_prev, n_cur in ((0, 0), (0, 50), (50, 0), (2_000, 1_500), (1_000, 3_000)):
        previous = np.sort(rng.choice(5_000, n_prev, replace=False)).astype(np.int64)
        current = np.sort(rng.choice(5_000, n_cur, replace=False)).astype(np.int64)
        out = np.empty(len(previous), dtype=np.int64)
        k = kernels.left_collection(previous, current, out)
        assert np.array_equal(out[:k], np.setdiff1d(previous, current, assume_unique=True))
    assert kernels.left_collection(np.array([3, 1], dtype=np.int64), np.zeros(0, dtype=np.int64), out) == -1
    assert kernels.left_collection(np.zeros(0, dtype=np.int64), np.array([2, 2], dtype=np.int64), out) == -1


@pytest.mark.parametrize("n,degree,rewire", [(20_000, 8, 0.1), (5_000, 20, 0.5), (2, 8, 0.1)])
def test_neighbour_shares_are_the_sparse_products_bit_for_bit(n, degree, rewire):
    """Kernel ``neighbour_shares`` against the numpy engine's two ``peers @ flags`` products on the model's
    row-normalised small-world network (float32 sums of uneven weights): identical."""
    from sim.network import row_normalised, small_world

    peers = row_normalised(small_world(n, degree, rewire, np.random.default_rng(6)))
    rng = np.random.default_rng(7)
    first, second = rng.random(n) < 0.3, rng.random(n) < 0.05
    a, b = np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32)
    kernels.neighbour_shares(peers.indptr, peers.indices, peers.data, first, second, a, b)
    old_a, old_b = ref.neighbour_shares(peers, first, second)
    assert a.dtype == old_a.dtype and np.array_equal(a, old_a) and np.array_equal(b, old_b)


@pytest.mark.parametrize("n,degree,rewire", [(20_000, 8, 0.1), (5_000, 20, 0.5), (2, 8, 0.1), (3_000, 0, 0.1)])
def test_neighbour_shares_from_flagged_households_are_the_sparse_products_bit_for_bit(n, degree, rewire):
    """Kernel ``neighbour_shares_from_flagged`` (the model's path: counts of flagged neighbours, then each row's one
    weight added that many times) against the numpy engine's two ``peers @ flags`` products on the model's
    row-normalised small-world network: identical; ``shared_row_weights`` refuses uneven or one-way links."""
    import scipy.sparse as sp

    from sim.network import row_normalised, shared_row_weights, small_world

    peers = row_normalised(small_world(n, degree, rewire, np.random.default_rng(6)))
    weight = shared_row_weights(peers)
    assert weight is not None
    rng = np.random.default_rng(7)
    for share in (0.3, 0.05, 1.0):
        first, second = rng.random(n) < share, rng.random(n) < share / 3
        a, b = np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32)
        kernels.neighbour_shares_from_flagged(peers.indptr, peers.indices, weight, first, second, a, b)
        old_a, old_b = ref.neighbour_shares(peers, first, second)
        assert a.dtype == old_a.dtype and np.array_equal(a, old_a) and np.array_equal(b, old_b)
    uneven = peers.copy()
    if uneven.nnz:
        uneven.data[0] *= np.float32(2.0)
        assert shared_row_weights(uneven) is None
    one_way = row_normalised(sp.csr_matrix(np.array([[0, 1, 1], [1, 0, 0], [0, 1, 0]], dtype=np.float32)))
    assert shared_row_weights(one_way) is None
