"""The engine against its committed reference: 27 scenario x strategy runs whose tables must not change.

``experiments/engine_reference.py`` lists the runs (every scenario file with its own strategies, every
strategy on the baseline, a few strategies under other regimes and economies, one with a non-complying
lender and an adaptive regulator) and wrote their monthly tables, run summaries, segment tables and traced
households to ``tests/data/engine_reference.parquet``.

The rule: the draws are the same (same seed, same streams, same order of draws), so every number must be
identical, float for float. A refactoring of the engine (a step moved to its own module, arithmetic fused
into a kernel) must pass unchanged. A deliberate change of the economics changes the reference: regenerate
it with ``python experiments/engine_reference.py`` in the same commit and say why.
"""

from __future__ import annotations

import pandas as pd

from experiments.engine_reference import COMBINATIONS, REFERENCE, compare, from_long, reference_tables, to_long


def test_reference_covers_at_least_20_combinations() -> None:
    assert len(set(COMBINATIONS)) >= 20


def test_outcome_tables_identical_to_the_reference() -> None:
    reference = from_long(pd.read_parquet(REFERENCE))
    current = from_long(to_long(reference_tables()))
    problems = compare(reference, current)
    assert not problems, "the engine's outputs changed for a seed:\n" + "\n".join(problems)
