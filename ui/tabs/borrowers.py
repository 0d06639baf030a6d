"""The Borrowers tab: one household's story, month by month, under each strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from sim.metrics import SEGMENT_LABELS
from ui.charts import N, Q, chart, color_scale, note, show_chart
from ui.outcomes import SEGMENT_NAMES, outcome
from ui.run import Results

FLOWS = {"income": "Income", "essentials": "Essential expenses", "due": "Due", "paid": "Paid",
         "consumption": "Consumption"}
CHANNELS = ["reminders", "call_attempts", "night_calls", "conversations", "visits", "offers_made", "lawsuits"]
CHANNEL_NAMES = {"reminders": "Reminders", "offers_made": "Offers made"}


def story(h: pd.DataFrame) -> pd.DataFrame:
    """What happened to one household each month, in words (months with something to tell)."""
    rows = []
    prev_employed = None
    for rec in h.sort_values("month").itertuples(index=False):
        events = []
        if prev_employed is not None and rec.employed != prev_employed:
            events.append("lost their job" if not rec.employed else "found a job")
        prev_employed = rec.employed
        if rec.expense_shock > 0:
            events.append(f"expense shock of ${rec.expense_shock:,.0f}")
        if rec.due > 0 and rec.paid + 1e-6 < rec.due:
            events.append(f"paid ${rec.paid:,.0f} of ${rec.due:,.0f} due")
        if rec.worst_dpd >= 30:
            events.append(f"{rec.worst_dpd:.0f} days past due")
        contacts = [(rec.reminders, "reminder"), (rec.call_attempts, "call attempt"), (rec.night_calls, "at night"),
                    (rec.conversations, "conversation"), (rec.visits, "home visit")]
        said = [f"{n:.0f} {w}{'s' if n > 1 and w != 'at night' else ''}" for n, w in contacts if n > 0]
        if said:
            events.append(", ".join(said))
        if rec.offers_made > 0:
            events.append("was offered a plan or deferral" + (" and accepted" if rec.offers_accepted > 0 else ""))
        if rec.lawsuits > 0:
            events.append("was sued")
        if rec.complaints > 0:
            events.append(f"complained: {str(rec.complaint_detail).replace('_', ' ')}")
        if events:
            rows.append({"Month": rec.month, "What happened": "; ".join(events),
                         "Well-being": round(rec.wellbeing, 1)})
    return pd.DataFrame(rows)


@st.fragment
def show(res: Results) -> None:
    """The tab (a fragment: choosing a household reruns only this tab, not the page)."""
    st.subheader("Borrower explorer: one household's story")
    note("explorer")
    traces = res.tables["traces"]
    if not len(traces):
        st.warning("This run recorded no household traces.")
        return
    arm = st.selectbox("Strategy", res.labels, key="explorer_arm")
    tr = traces[traces["arm"] == arm]
    first = tr.drop_duplicates("household").set_index("household")
    behind = tr.groupby("household")["worst_dpd"].max()
    literacy = first["literacy_segment"]  # the engine's literacy tercile, as in the Segments tab
    how = st.radio("Choose", ["A household", "A random household from a segment"], key="explorer_how",
                   horizontal=True)
    households = list(first.index)
    if how == "A household":
        only_behind = st.checkbox("Only households that fell 30+ days behind", key="explorer_behind",
                                  value=bool((behind >= 30).any()))
        pool = [h for h in households if not only_behind or behind[h] >= 30] or households
        household = st.selectbox(
            "Household", pool, key="explorer_household",
            format_func=lambda h: f"#{first.loc[h, 'unique_id']} · income Q{first.loc[h, 'income_quintile']} · "
                                  f"{SEGMENT_NAMES[literacy[h]].lower()} · "
                                  f"{'fell behind' if behind[h] >= 30 else 'kept up'}")
    else:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        seg = c1.selectbox("Segment", SEGMENT_LABELS, key="explorer_segment", format_func=SEGMENT_NAMES.get)
        if c2.button("Draw another", key="explorer_draw"):
            st.session_state["explorer_draws"] = st.session_state.get("explorer_draws", 0) + 1
        if seg.startswith("income_q"):
            pool = [h for h in households if f"income_q{first.loc[h, 'income_quintile']}" == seg]
        else:
            pool = [h for h in households if literacy[h] == seg]
        if not pool:
            st.warning(f"No traced household in {SEGMENT_NAMES[seg]}.")
            return
        rng = np.random.default_rng([res.seed, st.session_state.get("explorer_draws", 0)])
        household = pool[int(rng.integers(len(pool)))]
    h = tr[tr["household"] == household].sort_values("month")
    info = first.loc[household]
    c = st.columns(5)
    c[0].metric("Income quintile", f"Q{info['income_quintile']}")
    c[1].metric("Financial literacy", f"{info['literacy']:.2f}")
    c[2].metric("Total paid", f"${h['paid'].sum():,.0f}")
    c[3].metric("Worst days past due", f"{h['worst_dpd'].max():.0f}")
    c[4].metric("Complaints", f"{h['complaints'].sum():.0f}")
    money = h.melt("month", list(FLOWS), var_name="flow", value_name="amount")
    money["flow"] = money["flow"].map(FLOWS)
    show_chart(money, {"title": "Income, essentials, what was due and what was paid", "height": 320, "mark": "line",
                       "encoding": {"x": Q("month", "Month"), "y": Q("amount", "$ a month", axis={"format": "$,.0f"}),
                                    "color": N("flow", "", sort=list(FLOWS.values())),
                                    "tooltip": [Q("month", "Month"), N("flow", ""),
                                                Q("amount", "$", format="$,.0f")]}}, "explorer")
    channels = [c for c in CHANNELS if c in h.columns]
    contacts = h.melt("month", channels, var_name="channel", value_name="count")
    contacts["channel"] = contacts["channel"].map(lambda c: CHANNEL_NAMES.get(c, outcome(c).label))
    chart(st, contacts, {"title": "Contacts by channel", "height": 300, "mark": "bar", "encoding": {
        "x": {"field": "month", "type": "ordinal", "title": "Month"}, "y": Q("count", "Contacts"),
        "color": N("channel", "Channel"),
        "tooltip": [Q("month", "Month"), N("channel", "Channel"), Q("count", "Number")]}})
    left, right = st.columns(2)
    chart(left, h, {"title": "Stress (0-1)", "height": 240, "mark": {"type": "line", "color": "#d62728"},
                    "encoding": {"x": Q("month", "Month"), "y": Q("stress", "Stress", scale={"domain": [0, 1]})}})
    chart(right, h, {"title": "Well-being (0-100)", "height": 240, "mark": "line",
                     "encoding": {"x": Q("month", "Month"),
                                  "y": Q("wellbeing", "Well-being", scale={"domain": [0, 100]})}})
    st.markdown("##### Month by month")
    st.dataframe(story(h), hide_index=True, width="stretch")
    same = traces[traces["household"] == household]
    if same["arm"].nunique() > 1:
        st.markdown("##### The same household under every strategy")
        chart(st, same[["month", "arm", "wellbeing"]], {
            "title": "Well-being of this household under each strategy", "height": 300, "mark": "line",
            "encoding": {"x": Q("month", "Month"), "y": Q("wellbeing", "Well-being", scale={"zero": False}),
                         "color": color_scale(res.labels)}})
    with st.expander("Raw trace (the engine's column names)"):
        st.dataframe(h, hide_index=True)
