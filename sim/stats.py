"""Statistics across replications: the one confidence interval, the paired comparison under common random
numbers, and the power calculation that says how many replications a comparison needs.

Every interval in the project (CLI, experiments, app) comes from here. With fewer than two finite values
there is no interval: its bounds are NaN, and displays show "n/a".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval (Student t) over ``n`` finite values."""

    mean: float
    low: float
    high: float
    n: int
    sd: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0


def mean_ci(values: Iterable[float], level: float = 0.95) -> Interval:
    """Mean and Student-t confidence interval of the finite values; NaN bounds with fewer than two."""
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    if n < 2:
        return Interval(mean, math.nan, math.nan, n, math.nan)
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n))
    return Interval(mean, mean - half, mean + half, n, sd)


def grouped_mean_ci(frame: pd.DataFrame, by: Sequence[str], outcomes: Sequence[str],
                    level: float = 0.95) -> pd.DataFrame:
    """One row per group (in order of first appearance) and outcome: ``mean``, ``sd``, ``n``, ``ci_low``,
    ``ci_high``."""
    rows = []
    for key, sel in frame.groupby(list(by), sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        for outcome in outcomes:
            ci = mean_ci(sel[outcome].to_numpy(dtype=float), level)
            rows.append({**dict(zip(by, key, strict=True)), "outcome": outcome, "mean": ci.mean, "sd": ci.sd,
                         "n": ci.n, "ci_low": ci.low, "ci_high": ci.high})
    return pd.DataFrame(rows)
