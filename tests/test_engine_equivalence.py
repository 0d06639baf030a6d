"""The engine against its recorded outcomes within replication noise (``experiments/engine_equivalence.py``).

The engine reference (``tests/test_engine_reference.py``) holds every number to the float while the draws are
the same. This test holds the *model* to its recorded outcomes when they are not: 27 scenario x strategy
combinations, 16 seeds each, 22 headline outcomes; each combination's outcomes compared seed by seed with a
paired t test, and each outcome across all combinations with an exact sign-flip test of the summed differences;
Bonferroni over the whole family at 1%. It fails when an outcome differs significantly, and its report says
whether the engine is identical to the recording or within noise of it.

The comparison itself is tested on made-up replications: identical ones, ones redrawn from the same
distribution, and ones shifted in one combination or by a little in all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import engine_equivalence as eq
from sim.stats import paired_difference


def _replications(rng: np.random.Generator, shift: float = 0.0, common: np.ndarray | None = None) -> pd.DataFrame:
    """Made-up replications of one combination: each outcome is a common part per seed (what two engines share:
    the households and their shocks) plus noise of its own, plus ``shift`` standard deviations."""
    n = eq.REPLICATIONS
    rows = {name: (common[:, q] if common is not None else 0.0) + rng.normal(0.0, 1.0, n) + shift
            for q, name in enumerate(eq.OUTCOMES)}
    return pd.DataFrame({"scenario": "made_up", "strategy": "(scenario's own)", "seed": list(eq.SEEDS), **rows})


def test_the_same_replications_are_identical() -> None:
    then = _replications(np.random.default_rng(1))
    verdict = eq.compare_one(then, then.copy(), eq.threshold())
    assert verdict.verdict == "identical" and verdict.differing == ()


def test_a_redraw_of_the_same_model_is_within_noise() -> None:
    """Redraws of the same model: the paired p-values are uniform (5% of them below 0.05), and at most 1% of
    the combinations are declared different (the family-wise level is 1% over every combination; per
    combination, with 22 outcomes at the Bonferroni threshold, it is about 0.02%)."""
    rng = np.random.default_rng(2)
    verdicts, p_values = [], []
    for _ in range(200):
        common = rng.normal(0.0, 3.0, (eq.REPLICATIONS, len(eq.OUTCOMES)))
        then, now = _replications(rng, common=common), _replications(rng, common=common)
        verdicts.append(eq.compare_one(then, now, eq.threshold()).verdict)
        p_values += [paired_difference(now[name], then[name]).p_value for name in eq.OUTCOMES]
    assert set(verdicts) <= {"within noise", "differs"}
    assert verdicts.count("differs") <= 2
    assert 0.04 < np.mean(np.array(p_values) < 0.05) < 0.06


def test_a_shift_of_three_standard_deviations_of_the_paired_noise_differs() -> None:
    """A model change that moves one outcome by three times the noise the engines do not share is caught, and
    the report names that outcome."""
    rng = np.random.default_rng(3)
    common = rng.normal(0.0, 3.0, (eq.REPLICATIONS, len(eq.OUTCOMES)))
    then = _replications(rng, common=common)
    now = _replications(rng, common=common)
    now["pnl"] += 3.0 * np.sqrt(2.0)  # the paired differences have sd sqrt(2)
    verdict = eq.compare_one(then, now, eq.threshold())
    assert verdict.verdict == "differs"
    assert [name for name, _, _ in verdict.differing] == ["pnl"]
    assert "pnl: mean difference" in verdict.line()


def test_an_outcome_defined_in_one_engine_only_differs() -> None:
    rng = np.random.default_rng(4)
    then = _replications(rng)
    now = then.copy()
    now["cure_rate"] = np.nan
    now["pnl"] += 1e-9  # not identical
    verdict = eq.compare_one(then, now, eq.threshold())
    assert verdict.verdict == "differs" and "cure_rate" in [name for name, _, _ in verdict.differing]


def test_other_seeds_are_refused() -> None:
    then = _replications(np.random.default_rng(5))
    now = then.assign(seed=then["seed"] + 1)
    with pytest.raises(ValueError, match="seeds differ"):
        eq.compare_one(then, now, eq.threshold())


def test_the_recording_covers_every_combination_with_every_seed() -> None:
    recorded = pd.read_parquet(eq.RECORDED)
    assert len(eq.COMBINATIONS) >= 20
    assert recorded.groupby(["scenario", "strategy"]).ngroups == len(eq.COMBINATIONS)
    assert (recorded.groupby(["scenario", "strategy"])["seed"].apply(sorted).map(tuple) == eq.SEEDS).all()
    assert list(recorded.columns[3:]) == list(eq.OUTCOMES)


def _family(rng: np.random.Generator, shift: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Made-up recorded and current replications of 27 combinations that share each seed's common part (as
    the scenarios share households and shocks), the current ones shifted by ``shift`` in every outcome."""
    common = rng.normal(0.0, 3.0, (eq.REPLICATIONS, len(eq.OUTCOMES)))
    then, now = [], []
    for k in range(27):
        own = common + rng.normal(0.0, 1.0, common.shape)
        then.append(_replications(rng, common=own).assign(strategy=f"s{k}"))
        now.append(_replications(rng, shift=shift, common=own).assign(strategy=f"s{k}"))
    return pd.concat(then, ignore_index=True), pd.concat(now, ignore_index=True)


def test_a_small_shift_everywhere_is_caught_across_the_combinations() -> None:
    """A shift of half the paired noise's spread in every combination: hardly any combination's own test sees it
    (a t of about 2 against a Bonferroni threshold of 6.6), the sign-flip test across the combinations does,
    in every outcome; without the shift, none is flagged."""
    rng = np.random.default_rng(6)
    verdicts, shifts = eq.compare(*_family(rng, shift=np.sqrt(2.0) / 2.0))
    assert [v.verdict for v in verdicts].count("differs") <= 3
    assert all(s.shifted and s.statistic > 0 for s in shifts)
    assert eq.report(verdicts, shifts)[0] == "differs"
    verdicts, shifts = eq.compare(*_family(rng))
    assert not any(s.shifted for s in shifts)
    assert eq.report(verdicts, shifts)[0] == "within noise"


def test_the_sign_flip_p_value_is_exact() -> None:
    """Four seeds whose differences are all positive: the statistic is the largest of the 16 sign changes,
    and so is its mirror image, so the two-sided p-value is 2/16."""
    statistic, p = eq.pooled_shift(np.array([[1.0], [2.0], [1.5], [0.5]]))
    assert statistic > 0 and p == 2 / 16
    assert eq.pooled_shift(np.zeros((4, 3))) == (0.0, 1.0)


def test_the_engine_computes_the_recorded_model() -> None:
    """Every combination's 16 seeds now against the recording: identical, or within noise; never different."""
    overall, text = eq.report(*eq.compare(pd.read_parquet(eq.RECORDED), eq.outcomes_now()))
    print(text)
    assert overall in ("identical", "within noise"), text
