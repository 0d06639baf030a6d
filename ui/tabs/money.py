"""The Money tab: what each strategy is worth to the lender (NPV, P&L), recovery on a fixed base, the
collection KPIs, the roll-rate matrix, and the households' welfare change against no collection."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sim.reports import TO_STATES, roll_rate_matrix
from ui.charts import note
from ui.run import Results, compute_welfare, prefetch_welfare
from ui.tabs.tradeoffs import outcome_table

MONEY = ["npv", "pnl", "cash_in", "cash_out", "book_value_start", "book_value_end", "principal_lent"]
RECOVERY = ["recovery_rate_common_base", "net_recovery_rate_common_base", "recovery_rate_on_book",
            "net_recovery_rate_on_book", "recovery_rate_gross", "recovery_rate_net", "cost_to_collect"]
KPIS = ["rpc_per_attempt", "promises_made", "promises_kept", "promise_kept_rate", "collector_hours",
        "collected_per_collector_hour", "cost_to_collect", "cure_rate", "redefault_rate_cured",
        "redefault_rate_reaged"]
WELFARE = ["ce_change", "ce_change_horizon"]
WEIGHTS = {"accounts": "By number of accounts", "balance": "By balance"}


def roll_matrix(res: Results, arm: str, weight: str) -> pd.DataFrame:
    """The arm's roll-rate matrix over every replication and month (all lenders), as shares of each row."""
    rolls = res.tables["roll_rates"]
    return roll_rate_matrix(rolls[rolls["arm"] == arm], "all", weight)


def _matrix_view(matrix: pd.DataFrame) -> pd.DataFrame:
    """The matrix as the user reads it: buckets in days past due, shares as percentages, empty rows out."""
    shown = matrix.loc[matrix.sum(axis=1) > 0].map(lambda v: f"{100 * v:.1f}%" if v > 0 else "·")
    names = {s: (f"{s} days" if s[0].isdigit() else s.replace("_", " ")) for s in TO_STATES}
    shown.index = [f"from {names[s]}" for s in shown.index]
    shown.columns = [names[s] for s in shown.columns]
    return shown


def welfare_view(res: Results) -> None:
    st.markdown("#### Households' welfare against no collection")
    note("welfare")
    table = res.tables.get("welfare")
    if table is None:
        st.caption("The welfare change needs one more run per replication: the same households and shocks with "
                   "no collection at all (about a third more time for three strategies). Those runs start in the "
                   "background when this tab opens; the button shows the result.")
        prefetch_welfare(res)
        if not st.button("Compute the welfare change", key="welfare", icon=":material/calculate:",
                         help="Runs each replication once more without collection (same seeds) and compares."):
            return
        table = compute_welfare(res, st.empty())
        if table is None:
            return
    st.dataframe(outcome_table(res, WELFARE, table), width="stretch")


def show(res: Results) -> None:
    st.subheader("Money: what each strategy is worth to the lender")
    note("money")
    interval = "mean (95% confidence interval)" if res.reps > 1 else "one replication, no interval"
    st.caption(f"Over the recorded months, {interval} across replications; money in US dollars.")
    st.dataframe(outcome_table(res, MONEY), width="stretch")
    st.markdown("#### Recovery")
    note("recovery")
    st.dataframe(outcome_table(res, RECOVERY), width="stretch")
    st.markdown("#### Collection KPIs")
    note("kpis")
    st.dataframe(outcome_table(res, KPIS), width="stretch")
    st.markdown("#### Roll rates")
    note("rolls")
    if len(res.tables.get("roll_rates", [])):
        c1, c2 = st.columns(2)
        arm = c1.selectbox("Strategy", res.labels, key="roll_arm")
        weight = c2.radio("Weight", list(WEIGHTS), key="roll_weight", format_func=WEIGHTS.get, horizontal=True)
        st.caption(f"{arm}: where accounts in each bucket at the start of a month are at its end, pooled over the "
                   f"months and replications ({WEIGHTS[weight].lower()}); each row adds up to 100%.")
        st.dataframe(_matrix_view(roll_matrix(res, arm, weight)), width="stretch")
    welfare_view(res)

