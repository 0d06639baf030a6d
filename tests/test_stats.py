"""The one confidence interval (sim.stats): Student t over the finite values, and what it answers with one
replication or none (a mean and a plain refusal of the interval, never NaN)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.stats import grouped_mean_ci, interval_row, mean_ci, paired_table


def test_interval_is_the_student_t_interval_of_the_finite_values():
    x = np.array([3.0, 5.0, 4.0, 8.0, np.nan, np.inf])
    ci = mean_ci(x)
    finite = x[np.isfinite(x)]
    half = sps.t.ppf(0.975, 3) * finite.std(ddof=1) / 2.0
    assert ci.exists and ci.n == 4 and ci.mean == pytest.approx(5.0, rel=1e-15)
    assert (ci.low, ci.high) == pytest.approx((5.0 - half, 5.0 + half), rel=1e-12)
    assert ci.half_width == pytest.approx(half, rel=1e-12)
    wider = mean_ci(x, level=0.99)
    assert wider.low < ci.low and wider.high > ci.high


@pytest.mark.parametrize("values", [[7.5], [7.5, math.nan], np.array([7.5, -np.inf])])
def test_one_replication_has_a_mean_and_no_interval(values):
    ci = mean_ci(values)
    assert (ci.mean, ci.n) == (7.5, 1)
    assert not ci.exists and ci.low is None and ci.high is None and ci.sd is None and ci.half_width is None


def test_no_replication_has_no_mean():
    ci = mean_ci([])
    assert (ci.mean, ci.low, ci.high, ci.n, ci.exists) == (None, None, None, 0, False)


def test_tables_mark_a_missing_interval_as_missing():
    frame = pd.DataFrame({"arm": ["a", "b", "b"], "rep": [0, 0, 1], "y": [1.0, 2.0, 4.0]})
    table = grouped_mean_ci(frame, ["arm"], ["y"]).set_index("arm")
    assert table.loc["a", "mean"] == 1.0 and table.loc["a", "n"] == 1
    assert pd.isna(table.loc["a", "ci_low"]) and pd.isna(table.loc["a", "ci_high"])
    assert table.loc["b", "ci_low"] < 3.0 < table.loc["b", "ci_high"]
    assert table["ci_low"].dtype == float  # a number column, not one of objects
    row = interval_row([2.0], arm="a")
    assert row["arm"] == "a" and row["mean"] == 2.0 and row["n"] == 1 and pd.isna(row["ci_low"])
    paired = paired_table(frame, "arm", "a", ["y"])
    assert paired.loc[0, "difference"] == 1.0 and pd.isna(paired.loc[0, "p_value"])
