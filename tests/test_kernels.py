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
    assert new.conversations.sum() > 0
    if REGIMES[regime].has_rules:
        assert new.clipped.sum() > 0 and new.violations.sum() > 0


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
