"""The Results tab: one card per strategy, the monthly series with bands, and any monthly outcome."""

from __future__ import annotations

import streamlit as st

from sim.metrics import MONTHLY_COLUMNS
from ui.charts import band, note, series_spec, show_chart, summary_ci, with_ci
from ui.outcomes import CARDS, LEAD_CARDS, SERIES, difference, outcome
from ui.run import Results


def economies_differ(res: Results) -> bool:
    """Whether the arms live in different economies (a tour of a recession): then a difference between them
    is not better or worse, and the unemployment path is drawn."""
    first = res.scenario(res.labels[0]).economy
    return any(res.scenario(label).economy != first for label in res.labels[1:])


def view_cards(res: Results) -> None:
    s = res.summary_all()
    keys = [k for k in CARDS if k in s.columns]
    ci = summary_ci(s, keys, res.labels).set_index(["arm", "outcome"])
    champion = res.labels[0]
    neutral = economies_differ(res)
    note("cards")
    if neutral:
        st.caption("The arms differ in their economy, not only in a choice the lender makes: differences are "
                   "shown in grey, neither better nor worse.")
    lead = [k for k in keys if k in LEAD_CARDS]  # the money outcomes and fixed-base recovery: a row each
    rest = [k for k in keys if k not in lead]

    def metric(where, label: str, key: str) -> None:
        o = outcome(key)
        row = ci.loc[(label, key)]
        delta = None
        if label != champion:
            delta = difference(row["mean"] - ci.loc[(champion, key), "mean"], o.kind)
        color = "off" if neutral or o.higher_is_better is None else ("normal" if o.higher_is_better else "inverse")
        interval = (f"95% confidence interval across replications: "
                    f"{with_ci(row['mean'], row['ci_low'], row['ci_high'], o.kind)}."
                    if res.reps > 1 else "One replication: no confidence interval.")
        where.metric(o.label, o.format(row["mean"]), delta=delta, delta_color=color, help=f"{o.explanation} {interval}")

    per_row = min(len(res.labels), 3)
    for start in range(0, len(res.labels), per_row):
        cols = st.columns(per_row)
        for col, label in zip(cols, res.labels[start:start + per_row], strict=False):
            with col.container(border=True):
                st.markdown(f"**{label}**" + (" · champion" if label == champion else ""))
                st.caption(res.descriptions[label])
                for key in lead:
                    metric(st, label, key)
                grid = st.columns(2)
                for i, key in enumerate(rest):
                    metric(grid[i % 2], label, key)


def series_keys(res: Results) -> list[str]:
    """The monthly charts to draw: unemployment first when the scenario moves it (a path that is not
    constant) or when the arms live in different economies."""
    monthly = res.monthly_all()
    keys = [k for k in SERIES if k in monthly.columns]
    moving = any(res.scenario(label).economy.unemployment.kind != "constant" for label in res.labels)
    if "unemployment_rate" in monthly.columns and (moving or economies_differ(res)):
        keys.insert(0, "unemployment_rate")
    return keys


def show(res: Results) -> None:
    st.subheader(res.title)
    st.caption(f"{len(res.labels)} arms × {res.reps} replications, seeds {res.seeds} (replication r uses seed + r "
               f"for every arm). Shaded bands: 95% confidence interval of the mean across replications.")
    view_cards(res)
    st.markdown("#### Over time")
    monthly = res.monthly_all()
    for key in series_keys(res):
        show_chart(band(monthly, key), series_spec(res.labels, key), key)
    any_outcome(res)


@st.fragment
def any_outcome(res: Results) -> None:
    """A picker of any monthly outcome and its chart (a fragment: picking reruns only this part)."""
    monthly = res.monthly_all()
    st.markdown("#### Any outcome")
    cols = [c for c in MONTHLY_COLUMNS if c in monthly.columns]
    pick = st.selectbox("Monthly outcome", cols, key="any_outcome", format_func=lambda k: outcome(k).label,
                        index=cols.index("cure_rate") if "cure_rate" in cols else 0,
                        help="Every monthly outcome the model records.")
    if outcome(pick).explanation:
        st.caption(outcome(pick).explanation)
    show_chart(band(monthly, pick), series_spec(res.labels, pick), "any")
