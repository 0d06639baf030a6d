"""Statistics across replications: the one confidence interval, the paired comparison under common random
numbers, and the power calculation that says how many replications a comparison needs.

Every interval in the project (CLI, experiments, app) comes from here. With fewer than two finite values
there is no interval, and the helpers say so rather than compute one: an :class:`Interval`'s bounds (and a
:class:`PairedDifference`'s bounds and p-value) are ``None``; in a table (:func:`grouped_mean_ci`,
:func:`interval_row`, :func:`paired_table`) the missing bound is pandas' missing value, written empty in CSV
and shown as "n/a".
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
    """A mean with its two-sided confidence interval (Student t) over ``n`` finite values.

    With one value there is a mean but no interval (``low``, ``high`` and ``sd`` are ``None``); with none,
    no mean either."""

    mean: float | None
    low: float | None
    high: float | None
    n: int
    sd: float | None

    @property
    def exists(self) -> bool:
        """Whether there is an interval (at least two finite values)."""
        return self.low is not None

    @property
    def half_width(self) -> float | None:
        return (self.high - self.low) / 2.0 if self.exists else None


def _finite(values: Iterable[float]) -> np.ndarray:
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    return x[np.isfinite(x)]


def mean_ci(values: Iterable[float], level: float = 0.95) -> Interval:
    """Mean and Student-t confidence interval of the finite values (non-finite ones are dropped); no
    interval (``None`` bounds) with fewer than two."""
    x = _finite(values)
    n = len(x)
    mean = float(x.mean()) if n else None
    if n < 2:
        return Interval(mean, None, None, n, None)
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n))
    return Interval(mean, mean - half, mean + half, n, sd)


def _cell(value: float | None) -> float:
    """A number for a table: a missing one becomes pandas' missing value."""
    return math.nan if value is None else value


def interval_row(values: Iterable[float], level: float = 0.95, **keys: object) -> dict[str, object]:
    """One table row: ``keys``, then ``mean``, ``ci_low``, ``ci_high`` and ``n`` of :func:`mean_ci`."""
    ci = mean_ci(values, level)
    return {**keys, "mean": _cell(ci.mean), "ci_low": _cell(ci.low), "ci_high": _cell(ci.high), "n": ci.n}


def grouped_mean_ci(frame: pd.DataFrame, by: Sequence[str], outcomes: Sequence[str],
                    level: float = 0.95) -> pd.DataFrame:
    """One row per group (in order of first appearance) and outcome: ``mean``, ``sd``, ``n``, ``ci_low``,
    ``ci_high``."""
    rows = []
    for key, sel in frame.groupby(list(by), sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        for outcome in outcomes:
            ci = mean_ci(sel[outcome].to_numpy(dtype=float), level)
            rows.append({**dict(zip(by, key, strict=True)), "outcome": outcome, "mean": _cell(ci.mean),
                         "sd": _cell(ci.sd), "n": ci.n, "ci_low": _cell(ci.low), "ci_high": _cell(ci.high)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class PairedDifference:
    """The mean of paired differences (challenger minus reference) with its Student-t interval, the two-sided
    p-value of "no difference" (paired t test), and the standard deviation of the differences; ``None``
    where fewer than two pairs leave no interval (and no mean without any pair)."""

    mean: float | None
    low: float | None
    high: float | None
    n: int
    sd: float | None
    p_value: float | None


def paired_difference(challenger: Sequence[float], reference: Sequence[float], level: float = 0.95) -> PairedDifference:
    """Paired comparison of two outcomes measured on the same replications (common random numbers): the
    differences ``challenger[i] - reference[i]``, their mean, its confidence interval and the p-value of a
    paired t test. Pairs with a non-finite value are dropped; with fewer than two pairs there is no interval
    and no p-value (``None``).

    Raises:
        ValueError: the two sequences differ in length.
    """
    a = np.asarray(challenger, dtype=float)
    b = np.asarray(reference, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired_difference: {len(a)} challenger values against {len(b)} reference values")
    ci = mean_ci(a - b, level)
    if not ci.exists:
        return PairedDifference(ci.mean, None, None, ci.n, None, None)
    if ci.sd == 0.0:
        p = 1.0 if ci.mean == 0.0 else 0.0
    else:
        t = ci.mean / (ci.sd / math.sqrt(ci.n))
        p = float(2.0 * stats.t.sf(abs(t), ci.n - 1))
    return PairedDifference(ci.mean, ci.low, ci.high, ci.n, ci.sd, p)


def replications_needed(sd_difference: float | None, detect: float, level: float = 0.95, power: float = 0.8,
                        most: int = 100_000) -> float:
    """Smallest number of paired replications for which a two-sided paired t test at ``1 - level`` detects a
    true mean difference of ``detect`` with probability ``power``, given the standard deviation of the
    paired differences (from a pilot comparison). Exact for normal differences: the power of the test is
    the tail of a noncentral t with ``n - 1`` degrees of freedom and noncentrality ``detect sqrt(n) / sd``.

    Returns at least 2; ``math.inf`` if ``detect`` is 0 or more than ``most`` replications would be needed;
    NaN if the standard deviation is not known (``None`` or NaN).

    Raises:
        ValueError: ``level`` or ``power`` outside (0, 1), or a negative standard deviation.
    """
    if not (0.0 < level < 1.0 and 0.0 < power < 1.0):
        raise ValueError(f"replications_needed: level and power must be in (0, 1), got {level} and {power}")
    if sd_difference is None or not math.isfinite(sd_difference):
        return math.nan
    if sd_difference < 0:
        raise ValueError(f"replications_needed: negative standard deviation {sd_difference}")
    detect = abs(float(detect))
    if detect == 0.0:
        return math.inf
    if sd_difference == 0.0:
        return 2

    def achieved(n: int) -> float:
        df = n - 1
        crit = stats.t.ppf(0.5 + level / 2.0, df)
        nc = detect * math.sqrt(n) / sd_difference
        return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))

    # start from the normal approximation and step to the exact answer
    z = stats.norm.ppf(0.5 + level / 2.0) + stats.norm.ppf(power)
    n = max(2, int(math.ceil((z * sd_difference / detect) ** 2)))
    if n > most:
        return math.inf
    while n > 2 and achieved(n - 1) >= power:
        n -= 1
    while achieved(n) < power:
        n += 1
        if n > most:
            return math.inf
    return n


def paired_table(runs: pd.DataFrame, by: str, reference: str, outcomes: Sequence[str], pair_on: str = "rep",
                 detect: dict[str, float] | None = None, level: float = 0.95, power: float = 0.8) -> pd.DataFrame:
    """Every group of ``runs[by]`` other than ``reference`` against ``reference``, outcome by outcome, paired
    on ``pair_on`` (the replication, whose seed every group shares): the mean difference with its interval,
    the p-value, the standard deviation of the differences and, where ``detect`` gives a difference to
    detect for the outcome, the replications needed to detect it with ``power`` (:func:`replications_needed`).
    """
    detect = detect or {}
    ref = runs[runs[by] == reference].set_index(pair_on)
    rows = []
    for group in dict.fromkeys(runs[by]):
        if group == reference:
            continue
        other = runs[runs[by] == group].set_index(pair_on)
        common = ref.index.intersection(other.index)
        for outcome in outcomes:
            diff = paired_difference(other.loc[common, outcome].to_numpy(dtype=float),
                                     ref.loc[common, outcome].to_numpy(dtype=float), level)
            delta = detect.get(outcome, math.nan)
            needed = replications_needed(diff.sd, delta, level, power) if math.isfinite(delta) else math.nan
            rows.append({by: group, "reference": reference, "outcome": outcome, "difference": _cell(diff.mean),
                         "ci_low": _cell(diff.low), "ci_high": _cell(diff.high), "p_value": _cell(diff.p_value),
                         "sd_difference": _cell(diff.sd), "n": diff.n, "detect": delta,
                         "replications_needed": needed})
    return pd.DataFrame(rows, columns=[by, "reference", "outcome", "difference", "ci_low", "ci_high", "p_value",
                                       "sd_difference", "n", "detect", "replications_needed"])
