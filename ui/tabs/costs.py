"""The Costs tab: what collection costs the lender, in dollars and in contacts."""

from __future__ import annotations

import streamlit as st

from ui.charts import band, note, series_spec, show_chart
from ui.outcomes import COSTS, outcome
from ui.run import Results
from ui.tabs.tradeoffs import outcome_table


def show(res: Results) -> None:
    st.subheader("Costs of collection")
    note("costs")
    st.caption("Totals over the recorded months, mean (95% confidence interval) across replications; money in "
               "US dollars, contacts and lawsuits as whole numbers.")
    st.dataframe(outcome_table(res, COSTS), width="stretch")
    monthly = res.monthly_all()
    for key in ("collection_cost", "agency_fees", "call_attempts"):
        if key in monthly.columns:
            show_chart(band(monthly, key), series_spec(res.labels, key, f"{outcome(key).label} per month"), "costs")
