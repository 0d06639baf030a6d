"""The Segments tab: who bears it, by income quintile and financial literacy."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sim.metrics import SEGMENT_COLUMNS
from ui.charts import N, Q, band, color_scale, show_chart
from ui.outcomes import SEGMENT_NAMES, outcome
from ui.run import Results

DIMENSIONS = (("income_quintile", "By income quintile (Q1 poorest)"), ("literacy", "By financial literacy"))


def segment_band(res: Results, key: str) -> pd.DataFrame:
    """Mean over the recorded months of each replication, then mean and 95% interval across replications,
    by arm and segment; segments labelled in words (column ``segment_label``)."""
    seg = res.tables["segments"]
    per_rep = seg.groupby(["arm", "rep", "dimension", "segment"], sort=False)[key].mean().reset_index()
    b = band(per_rep, key, by=("arm", "dimension", "segment"))
    b["segment_label"] = b["segment"].map(lambda s: SEGMENT_NAMES.get(s, s))
    return b


def segment_spec(res: Results, key: str, title: str, order: list[str]) -> dict:
    """A dot per arm and segment with its 95% interval, on an axis that does not start at zero (bars from
    zero would hide differences of a few points)."""
    o = outcome(key)
    y = Q("mean", o.axis_title, axis={"format": o.axis_format}, scale={"zero": False})
    return {
        "title": title, "height": 340,
        "encoding": {"x": N("segment_label", "", sort=order, axis={"labelAngle": 0}),
                     "xOffset": N("arm", sort=res.labels), "color": color_scale(res.labels)},
        "layer": [
            {"mark": {"type": "rule", "strokeWidth": 2},
             "encoding": {"y": Q("lo", o.axis_title), "y2": {"field": "hi"}}},
            {"mark": {"type": "point", "filled": True, "size": 90}, "encoding": {
                "y": y, "tooltip": [N("arm", "Strategy"), N("segment_label", "Segment"),
                                    Q("mean", o.label, format=o.axis_format), Q("lo", "95% low", format=o.axis_format),
                                    Q("hi", "95% high", format=o.axis_format)]}},
        ],
    }


@st.fragment
def show(res: Results) -> None:
    """The tab (a fragment: picking another outcome reruns only this tab)."""
    st.subheader("Who bears it: by income and financial literacy")
    seg = res.tables["segments"]
    cols = [c for c in SEGMENT_COLUMNS if c in seg.columns]
    pick = st.selectbox("Outcome", cols, key="segment_outcome", format_func=lambda k: outcome(k).label)
    if outcome(pick).explanation:
        st.caption(outcome(pick).explanation + " Mean over the recorded months; lines: 95% confidence intervals.")
    b = segment_band(res, pick)
    for dim, title in DIMENSIONS:
        part = b[b["dimension"] == dim]
        if len(part):
            show_chart(part, segment_spec(res, pick, title, list(dict.fromkeys(part["segment_label"]))), "segments")
    o = outcome(pick)
    table = b.assign(value=b["mean"].map(o.format)).pivot_table(
        index="segment_label", columns="arm", values="value", aggfunc="first", sort=False)[res.labels]
    table.index.name, table.columns.name = "Segment", None
    st.dataframe(table, width="stretch")
