"""The Complaints tab: by category and by channel, over time, and a table with intervals."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.charts import N, Q, band, series_spec, show_chart, summary_ci
from ui.outcomes import CATEGORY_LABELS, CHANNEL_LABELS
from ui.run import Results
from ui.tabs.tradeoffs import outcome_table

PARTS = (("By channel", CHANNEL_LABELS), ("By category", CATEGORY_LABELS))
TOTAL = "complaints_per_1000"


def breakdown(res: Results, labels: dict[str, str]) -> pd.DataFrame:
    """Mean complaints per 1,000 accounts in collection a month, by arm and part (a category or a channel):
    the parts only, never the total, so that the stacked bar adds up to the total."""
    s = res.summary_all()
    keys = [k for k in labels if k in s.columns]
    ci = summary_ci(s, keys, res.labels)
    order = {key: i for i, key in enumerate(labels)}
    return pd.DataFrame({"arm": ci["arm"], "kind": ci["outcome"].map(labels), "per_1000": ci["mean"],
                         "order": ci["outcome"].map(order)})


def show(res: Results) -> None:
    st.subheader("Complaints by category and channel")
    for title, labels in PARTS:
        long = breakdown(res, labels)
        spec = {"title": title, "height": 150 + 35 * len(res.labels), "mark": "bar", "encoding": {
            "y": N("arm", "", sort=res.labels),
            "x": Q("per_1000", "Complaints a month per 1,000 accounts in collection"),
            "color": N("kind", title.removeprefix("By ").capitalize(), sort=list(labels.values()),
                       legend={"labelLimit": 260}),
            "order": {"field": "order", "type": "quantitative"},  # stacked in the legend's order
            "tooltip": [N("arm", "Strategy"), N("kind", title.removeprefix("By ").capitalize()),
                        Q("per_1000", "per 1,000", format=",.2f")]}}
        show_chart(long, spec, "complaints")
    show_chart(band(res.monthly_all(), TOTAL), series_spec(res.labels, TOTAL, "Complaints per 1,000 accounts in "
                                                                               "collection, over time"), TOTAL)
    keys = [TOTAL, *CHANNEL_LABELS, *CATEGORY_LABELS, "disputes_per_1000", "complaints"]
    st.caption("Mean (95% confidence interval) across replications; an interval never goes below zero.")
    st.dataframe(outcome_table(res, keys), width="stretch")
