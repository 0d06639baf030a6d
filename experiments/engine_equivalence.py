"""The engine against its recorded outcomes within replication noise: the check for a change of the order of draws.

``experiments/engine_reference.py`` holds the engine to its outputs float for float, which is the right rule
while the draws are the same. A faster engine may need to draw differently (fewer uniforms, in another
order, from inside a pass over the households): then no table stays identical, and the question becomes
whether the new engine computes the same *model*, that is, whether its outcomes differ from the old engine's
by no more than a different draw of the same randomness would make them.

This script answers it. It runs the engine reference's scenario x strategy combinations
(:data:`experiments.engine_reference.COMBINATIONS`) on :data:`REPLICATIONS` seeds each, at a size where the
replications' spread is moderate (:data:`SIZE`), and keeps :data:`OUTCOMES` of the run summary (all
lenders). The committed file ``tests/data/engine_equivalence.parquet`` holds them as the engine computed them
when it was written. ``--check`` reruns them and compares, combination by combination:

- **identical**: every outcome of every seed is the same float (the draws are the same);
- **within noise**: some differ, and no test below is significant;
- **differs**: at least one is; the report lists what.

Two kinds of test share a family-wise level of :data:`FAMILY_ALPHA` (half each, Bonferroni within each half:
valid however the tests are correlated):

- per combination and outcome, a paired t test of the difference now minus recorded, seed by seed
  (:func:`sim.stats.paired_difference`). The households, their jobs and their shocks come from streams of
  their own, so the two engines share them, and pairing takes that common part of the noise out. It catches
  a change that breaks one path of the model (a strategy, a regime, a lever);
- per outcome across all combinations, an exact sign-flip test of the sum of the scaled paired differences
  (:func:`pooled_shift`). It catches a small shift in the same direction everywhere, which no single
  combination's test has the power to see.

The test (``tests/test_engine_equivalence.py``) fails on "differs" and says which of the other two holds.

The file records the model's outcomes, not the engine's draws. Regenerate it when the model's economics change
on purpose (a new mechanism, a recalibrated parameter), together with the engine reference, and say why in the
commit. Do **not** regenerate it for a change that should leave the model as it is (a faster engine, another
order of draws): that is the change it is there to check.

    python experiments/engine_equivalence.py            # rewrites tests/data/engine_equivalence.parquet
    python experiments/engine_equivalence.py --check    # compares without writing (what the test does)
    python experiments/engine_equivalence.py --check --other-draws contacts,behaviour,complaints
    python experiments/engine_equivalence.py --check --set behaviour.willingness_intercept=-0.40

The last two show what the comparison lets through and what it catches: the same model with other draws, and a
changed model. Under ``COLLECTION_LAB_SMOKE=1`` (the documentation's examples test) ``--check`` runs the first two
combinations only.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from experiments.common import SMOKE_ENV  # noqa: E402
from experiments.engine_reference import COMBINATIONS, label, overrides_of  # noqa: E402
from sim.config import ScenarioError, parse_overrides  # noqa: E402
from sim.model import STREAMS  # noqa: E402
from sim.stats import paired_difference  # noqa: E402

RECORDED = ROOT / "tests" / "data" / "engine_equivalence.parquet"
SEEDS = tuple(range(7000, 7016))
REPLICATIONS = len(SEEDS)
#: large enough that a run's outcomes are not dominated by a handful of accounts, small enough that the whole
#: family (27 combinations x 16 seeds) runs in about a minute and a half on one core
SIZE = {"n_borrowers": 5000, "horizon": 12, "burn_in_months": 12}
#: the run summary's headline outcomes (all lenders): money, the book's health, contact, conduct and welfare
OUTCOMES = (
    "npv", "pnl", "collected", "collection_cost", "recovery_rate_net", "chargeoff_rate", "delinquency_30plus_rate",
    "cure_rate", "on_time_rate", "roll_rate_current_to_1-29", "roll_rate_1-29_to_30-59", "call_attempts",
    "conversations", "promises_kept", "lawsuits", "plans_accepted", "complaints_per_1000", "disputes_per_1000",
    "violations", "wellbeing_mean", "utility_mean", "deprivation_share",
)
FAMILY_ALPHA = 0.01
OTHER_DRAWS_SALT = 99  # seeds the streams of ``--other-draws``


def replicate(scenario: str, strategy: str | None, seeds: tuple[int, ...] = SEEDS, change: dict | None = None,
              other_draws: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per seed: the combination, the seed and :data:`OUTCOMES` for all lenders.

    ``change`` (dotted overrides) changes the model in every run; ``other_draws`` names random streams
    (``sim.model.STREAMS``) that are seeded otherwise once the model is built, from the seed and the stream's
    place in the list: the same model with other draws. Both exist to show what the comparison catches."""
    overrides = {**overrides_of(scenario, strategy, SIZE), **(change or {})}
    rows = []
    for seed in seeds:
        model = sim.CollectionModel(scenario, rng=seed, **overrides)
        for i, name in enumerate(other_draws):
            model.streams[name] = np.random.default_rng([seed, OTHER_DRAWS_SALT, i])
        every = model.run().results().summary.query("lender == 'all'").iloc[0]
        rows.append({"scenario": scenario, "strategy": label(scenario, strategy), "seed": seed,
                     **{name: float(every[name]) for name in OUTCOMES}})
    return pd.DataFrame(rows)


def outcomes_now(combinations: list[tuple[str, str | None]] = COMBINATIONS, change: dict | None = None,
                 other_draws: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every combination's replications, stacked."""
    return pd.concat([replicate(scenario, strategy, change=change, other_draws=other_draws)
                      for scenario, strategy in combinations], ignore_index=True)


@dataclass(frozen=True)
class Verdict:
    """One combination compared: ``identical``, ``within noise`` or ``differs``; the outcomes that differ
    significantly (name, mean difference, p-value); the smallest p-value of any outcome."""

    scenario: str
    strategy: str
    verdict: str
    differing: tuple[tuple[str, float, float], ...]
    smallest_p: float | None

    def line(self) -> str:
        head = f"{self.scenario} / {self.strategy}: {self.verdict}"
        if self.verdict == "within noise" and self.smallest_p is not None:
            head += f" (smallest p {self.smallest_p:.2g})"
        for name, diff, p in self.differing:
            head += f"\n    {name}: mean difference {diff:+.4g}, p = {p:.2g}"
        return head


def threshold(n_combinations: int = len(COMBINATIONS)) -> float:
    """The p-value below which one outcome of one combination differs: half the family-wise level, shared out
    over every combination and outcome (Bonferroni)."""
    return FAMILY_ALPHA / 2.0 / (n_combinations * len(OUTCOMES))


def pooled_threshold() -> float:
    """The p-value below which an outcome is shifted across the combinations: the other half of the family-wise
    level, shared out over the outcomes."""
    return FAMILY_ALPHA / 2.0 / len(OUTCOMES)


def _paired(recorded: pd.DataFrame, current: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """One combination's outcomes now and as recorded, (seeds x outcomes), rows in seed order."""
    recorded = recorded.sort_values("seed").reset_index(drop=True)
    current = current.sort_values("seed").reset_index(drop=True)
    if list(recorded["seed"]) != list(current["seed"]):
        raise ValueError(f"{recorded['scenario'].iloc[0]} / {recorded['strategy'].iloc[0]}: the seeds differ from "
                         "the recorded ones")
    return current[list(OUTCOMES)].to_numpy(dtype=float), recorded[list(OUTCOMES)].to_numpy(dtype=float)


def compare_one(recorded: pd.DataFrame, current: pd.DataFrame, limit: float) -> Verdict:
    """One combination's replications now against the recorded ones (the same seeds): each outcome's paired t
    test, significant below ``limit``."""
    return _verdict(str(recorded["scenario"].iloc[0]), str(recorded["strategy"].iloc[0]), *_paired(recorded, current),
                    limit)


def _verdict(scenario: str, strategy: str, a: np.ndarray, b: np.ndarray, limit: float) -> Verdict:
    """:func:`compare_one` on the outcomes now (``a``) and as recorded (``b``), (seeds x outcomes)."""
    if np.array_equal(a, b, equal_nan=True):
        return Verdict(scenario, strategy, "identical", (), None)
    differing, smallest = [], math.inf
    for q, name in enumerate(OUTCOMES):
        missing_now, missing_then = ~np.isfinite(a[:, q]), ~np.isfinite(b[:, q])
        if not np.array_equal(missing_now, missing_then) and (missing_now.all() or missing_then.all()):
            differing.append((name, math.nan, 0.0))  # defined in one engine, never in the other
            continue
        diff = paired_difference(a[:, q], b[:, q])
        if diff.p_value is None:
            continue
        smallest = min(smallest, diff.p_value)
        if diff.p_value < limit:
            differing.append((name, float(diff.mean), diff.p_value))
    return Verdict(scenario, strategy, "differs" if differing else "within noise", tuple(differing),
                   None if smallest == math.inf else smallest)


@dataclass(frozen=True)
class Shift:
    """One outcome across every combination: the sum over combinations and seeds of the paired differences,
    each combination's scaled by their root mean square (``statistic``: positive when the engine now gives more),
    its p-value, and whether it is significant."""

    outcome: str
    statistic: float
    p_value: float
    shifted: bool

    def line(self) -> str:
        return (f"{self.outcome}: shifted across the combinations (statistic {self.statistic:+.1f}, "
                f"p = {self.p_value:.2g})")


def pooled_shift(differences: np.ndarray) -> tuple[float, float]:
    """The statistic and two-sided p-value of a shift of one outcome in the same direction across combinations.

    ``differences`` is (seeds x combinations): now minus recorded, non-finite where either is. Each
    combination's column is divided by its root mean square (a scale a change of signs leaves alone); the
    statistic is the sum of all. Under the hypothesis that only the draws differ, the recorded and the current
    run of a seed are exchangeable (they share the households, jobs and shocks, and draw the rest alike), so
    each seed's differences may change sign together in every combination: the p-value is the share of all
    ``2 ** seeds`` such sign changes whose statistic is at least as far from zero (exact; it keeps whatever
    correlation the combinations have through their common seeds). A sum over combinations catches a small
    shift that no single combination's test can: a rebuilt engine that is slightly off is off everywhere."""
    d = np.where(np.isfinite(differences), differences, 0.0)
    scale = np.sqrt(np.mean(d * d, axis=0))
    z = d[:, scale > 0] / scale[scale > 0]
    by_seed = z.sum(axis=1)
    statistic = float(by_seed.sum())
    if statistic == 0.0:
        return 0.0, 1.0
    n = len(by_seed)
    signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
    flipped = signs @ by_seed
    return statistic, float(np.mean(np.abs(flipped) >= abs(statistic) * (1 - 1e-12)))


def compare(recorded: pd.DataFrame, current: pd.DataFrame) -> tuple[list[Verdict], list[Shift]]:
    """Every combination of ``current`` against ``recorded`` (in the recorded file's order), and every outcome
    across the combinations."""
    limit = threshold(recorded.groupby(["scenario", "strategy"], sort=False).ngroups)
    verdicts, differences = [], []
    for key, then in recorded.groupby(["scenario", "strategy"], sort=False):
        now = current[(current["scenario"] == key[0]) & (current["strategy"] == key[1])]
        if now.empty:
            raise ValueError(f"{key[0]} / {key[1]}: recorded, but not run now")
        a, b = _paired(then, now)
        verdicts.append(_verdict(key[0], key[1], a, b, limit))
        differences.append(a - b)
    stacked = np.stack(differences, axis=2)  # seeds x outcomes x combinations
    shifts = []
    for q, name in enumerate(OUTCOMES):
        statistic, p = pooled_shift(stacked[:, q, :])
        shifts.append(Shift(name, statistic, p, p < pooled_threshold()))
    return verdicts, shifts


def report(verdicts: list[Verdict], shifts: list[Shift]) -> tuple[str, str]:
    """The overall verdict (``identical``, ``within noise`` or ``differs``) and the report's text."""
    kinds = [v.verdict for v in verdicts]
    shifted = [s for s in shifts if s.shifted]
    overall = ("differs" if "differs" in kinds or shifted else
               "identical" if set(kinds) == {"identical"} else "within noise")
    lines = [v.line() for v in verdicts] + [s.line() for s in shifted]
    lines.append(f"{kinds.count('identical')} combinations identical, {kinds.count('within noise')} within noise, "
                 f"{kinds.count('differs')} differ; {len(shifted)} outcomes shifted across the combinations "
                 f"(smallest p {min(s.p_value for s in shifts):.2g}); family-wise level {FAMILY_ALPHA}: "
                 f"{overall}")
    return overall, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the recorded outcomes, write nothing")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="with --check: change the model in every run (to see what the comparison catches)")
    parser.add_argument("--other-draws", metavar="STREAMS", default="",
                        help="with --check: seed these random streams otherwise (comma-separated, e.g. "
                             "contacts,behaviour,complaints): the same model with other draws")
    args = parser.parse_args(argv)
    try:
        change = parse_overrides(args.set)
        other = tuple(name for name in args.other_draws.split(",") if name)
        unknown = sorted(set(other) - set(STREAMS))
        if unknown:
            raise ScenarioError(f"--other-draws: no random stream {unknown[0]!r} (there are {', '.join(STREAMS)})")
        if (change or other) and not args.check:
            raise ScenarioError("--set and --other-draws only go with --check (the file records the model as it is)")
        if args.check:
            combinations = COMBINATIONS
            if os.environ.get(SMOKE_ENV, "") not in ("", "0"):
                print(f"{SMOKE_ENV} is set: the first two combinations only", file=sys.stderr)
                combinations = COMBINATIONS[:2]
            current = outcomes_now(combinations, change=change, other_draws=other)
    except ScenarioError as err:
        print(f"engine_equivalence: {err}", file=sys.stderr)
        return 2
    if args.check:
        recorded = pd.read_parquet(RECORDED)
        ran = set(zip(current["scenario"], current["strategy"], strict=True))
        recorded = recorded[[key in ran for key in zip(recorded["scenario"], recorded["strategy"], strict=True)]]
        overall, text = report(*compare(recorded, current))
        print(text)
        return 1 if overall == "differs" else 0
    RECORDED.parent.mkdir(parents=True, exist_ok=True)
    outcomes_now().to_parquet(RECORDED, index=False)
    print(f"wrote {RECORDED.relative_to(ROOT)} ({len(COMBINATIONS)} combinations x {REPLICATIONS} seeds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
