"""The Trade-offs tab: money against complaints and well-being, and every outcome with its interval."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sim.metrics import SUMMARY_KEYS
from ui.charts import show_chart, summary_ci, tradeoff_frame, tradeoff_spec, with_ci
from ui.outcomes import outcome
from ui.run import Results

PAIRS = [("complaints_per_1000", "net_recovery_rate_common_base", "Recovery against complaints"),
         ("wellbeing_mean", "net_recovery_rate_common_base", "Recovery against well-being")]


def outcome_table(res: Results, keys: list[str], runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean (95% interval) of each outcome by arm, formatted with its unit; rows labelled in words. ``runs``:
    one row per arm and replication (default: the all-lenders summary)."""
    s = res.summary_all() if runs is None else runs
    keys = [k for k in keys if k in s.columns]
    ci = summary_ci(s, keys, res.labels)
    ci["value"] = [with_ci(m, lo, hi, outcome(k).kind)
                   for k, m, lo, hi in zip(ci["outcome"], ci["mean"], ci["ci_low"], ci["ci_high"], strict=True)]
    table = ci.pivot(index="outcome", columns="arm", values="value").loc[keys, res.labels]
    table.index = [outcome(k).label for k in keys]
    table.index.name = "Outcome"
    table.columns.name = None
    return table


def show(res: Results) -> None:
    st.subheader("Trade-offs: money against complaints and well-being")
    for x, y, title in PAIRS:
        show_chart(tradeoff_frame(res.summary_all(), res.labels, x, y), tradeoff_spec(res.labels, x, y, title),
                   "tradeoff")
    interval = "with 95% confidence intervals" if res.reps > 1 else "(one replication: no intervals)"
    st.markdown(f"#### Every outcome, {interval}")
    st.caption("Mean over the replications, and in brackets the 95% confidence interval of the mean.")
    keys = [k for k in SUMMARY_KEYS if not k.startswith(("clipped_", "would_clip_"))]
    st.dataframe(outcome_table(res, keys), width="stretch")
