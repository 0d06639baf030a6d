"""The engine's reference outcomes: a fixed set of scenario x strategy runs whose tables must not change.

Refactoring the engine (moving a step into its own module, fusing arithmetic into a compiled kernel) must
leave every number a run produces unchanged for a seed. This script runs :data:`COMBINATIONS` (every
scenario file in ``scenarios/`` with its own strategies, and the baseline, a regime and a crisis with
other strategies) on a small population for a few months with a fixed seed, and writes every run's
monthly table, run summary, segment table and traced households to one Parquet file.
``tests/test_engine_reference.py`` reruns them and compares with the committed file.

The rule: where the draws are the same (the same seed, the same streams, the same order of draws) the
tables must be identical, float for float (``pandas.testing.assert_frame_equal`` with ``check_exact``).

When the model's economics change on purpose (a new mechanism, a recalibrated parameter, a different
order of draws), the reference changes with them. Regenerate it in the same commit and say why in the
commit message::

    python experiments/engine_reference.py            # rewrites tests/data/engine_reference.parquet
    python experiments/engine_reference.py --check    # compares without writing (what the test does)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402

REFERENCE = ROOT / "tests" / "data" / "engine_reference.parquet"
SEED = 20261205
#: small and short, so that the whole set runs in well under a minute; a burn-in long enough for accounts
#: to reach collection, charge-off and sale
SIZE = {"n_borrowers": 1500, "horizon": 8, "burn_in_months": 12}
TRACE = 6  # households whose month-by-month story is compared too
NATIVE = None  # the scenario's own strategies (and challengers)
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
#: (scenario, strategy) pairs: every scenario with its own strategies, every registered strategy on the
#: baseline, and a few strategies under other regimes and economies
COMBINATIONS: list[tuple[str, str | None]] = [
    *((name, NATIVE) for name in SCENARIOS),
    *(("baseline", s) for s in ("aggressive", "hardship_first", "phonebook_pressure", "digital_first",
                                "litigation_heavy", "outsource_early", "sell_early", "data_driven",
                                "value_based", "no_collection")),
    ("regime_us_reg_f", "phonebook_pressure"),
    ("regime_china_2018", "hardship_first"),
    ("recession", "litigation_heavy"),
    ("crisis_package", "digital_first"),
    ("china_online_lending", "aggressive"),
    ("regime_us_reg_f", "aggressive"),  # with EXTRA below: violations, fines and an adaptive regulator
]
#: further overrides of some combinations, so that rarely used paths run too
EXTRA: dict[tuple[str, str | None], dict] = {
    ("regime_us_reg_f", "aggressive"): {"lenders.0.compliance": 0.5, "regulation.adaptive": True,
                                        "regulation.detection_probability": 0.5,
                                        "regulation.complaint_threshold": 5.0, "regulation.patience_months": 2},
}
TABLES = ("monthly", "summary", "segments", "traces")


def overrides_of(scenario: str, strategy: str | None, size: dict) -> dict:
    """The overrides a combination runs with: the ``size`` (households, months, burn-in), the strategy and the
    combination's :data:`EXTRA`."""
    overrides = dict(size)
    if scenario == "portfolio_sample":  # the file sets the households and starts recording at once
        overrides.pop("n_borrowers")
        overrides["burn_in_months"] = 0
    if strategy is not None:
        overrides["strategy"] = strategy
    overrides.update(EXTRA.get((scenario, strategy), {}))
    return overrides


def label(scenario: str, strategy: str | None) -> str:
    """How a combination is named in the tables: its strategy, or the scenario's own, marked when it has
    :data:`EXTRA` overrides."""
    return (strategy or "(scenario's own)") + (" (+ overrides)" if (scenario, strategy) in EXTRA else "")


def run_one(scenario: str, strategy: str | None) -> dict[str, pd.DataFrame]:
    """The tables of one run, each with the columns ``scenario`` and ``strategy`` in front."""
    model = sim.CollectionModel(scenario, rng=SEED, trace=TRACE, **overrides_of(scenario, strategy, SIZE))
    model.keep_truth = True  # exercises the hidden-truth record too (it draws nothing)
    result = model.run().results()
    out = {}
    for name in TABLES:
        frame = getattr(result, name).copy()
        frame.insert(0, "strategy", label(scenario, strategy))
        frame.insert(0, "scenario", scenario)
        out[name] = frame
    return out


def reference_tables() -> dict[str, pd.DataFrame]:
    """Every combination's tables, stacked."""
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for scenario, strategy in COMBINATIONS:
        for name, frame in run_one(scenario, strategy).items():
            parts[name].append(frame)
    return {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}


def to_long(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One frame for one file: the tables side by side in long form would lose dtypes, so each table is
    kept whole and tagged with its name in a ``table`` column (its other columns are empty elsewhere)."""
    frames = []
    for name, frame in tables.items():
        frame = frame.copy()
        frame.insert(0, "table", name)
        frame.columns = [c if c in ("table", "scenario", "strategy") else f"{name}.{c}" for c in frame.columns]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def from_long(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The tables back from :func:`to_long`."""
    out = {}
    for name in TABLES:
        part = frame[frame["table"] == name].reset_index(drop=True)
        cols = ["scenario", "strategy", *(c for c in part.columns if c.startswith(f"{name}."))]
        part = part[cols]
        part.columns = [c.split(".", 1)[1] if c.startswith(f"{name}.") else c for c in part.columns]
        out[name] = part
    return out


def write(path: Path = REFERENCE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    to_long(reference_tables()).to_parquet(path, index=False)


def compare(reference: dict[str, pd.DataFrame], current: dict[str, pd.DataFrame]) -> list[str]:
    """The tables that differ, with the first differing column of each (empty: identical)."""
    problems = []
    for name in TABLES:
        ref = reference[name]
        now = current[name]
        # a table rebuilt from the long file has every column nullable: compare values, not storage
        now = now.astype(ref.dtypes.to_dict()) if list(now.columns) == list(ref.columns) else now
        if list(ref.columns) != list(now.columns):
            problems.append(f"{name}: columns differ: {sorted(set(ref.columns) ^ set(now.columns))[:5]}")
            continue
        if len(ref) != len(now):
            problems.append(f"{name}: {len(ref)} rows in the reference, {len(now)} now")
            continue
        for col in ref.columns:
            try:
                pd.testing.assert_series_equal(ref[col], now[col], check_exact=True, check_dtype=False)
            except AssertionError:
                bad = ref[col].ne(now[col]) & ~(ref[col].isna() & now[col].isna())
                first = int(bad.to_numpy().argmax())
                problems.append(f"{name}.{col}: first difference at {ref.loc[first, 'scenario']} / "
                                f"{ref.loc[first, 'strategy']}: {ref[col].iloc[first]!r} -> {now[col].iloc[first]!r}")
                break
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed reference, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = compare(from_long(pd.read_parquet(REFERENCE)), from_long(to_long(reference_tables())))
        print("identical" if not problems else "\n".join(problems))
        return 1 if problems else 0
    write()
    print(f"wrote {REFERENCE.relative_to(ROOT)} ({len(COMBINATIONS)} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
