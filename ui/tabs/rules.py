"""The Rules tab: which regime each arm ran under, the reference regime behind the "would clip" counts,
and the share of contact requests each rule clipped."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sim.regulation import REGIMES
from ui.charts import N, Q, chart, note, summary_ci, with_ci
from ui.outcomes import PCT, RULE_LABELS
from ui.run import Results

MADE = ["call_attempts", "visits", "third_party_contacts", "social_media_posts"]  # contacts that went ahead


def rule_shares(res: Results) -> pd.DataFrame:
    """Per arm and replication, the share of contact requests each rule clipped (``clipped.<rule>``: over
    the contacts made plus those the regime dropped) and would have clipped under the reference regime
    (``would.<rule>``: over the contacts made)."""
    s = res.summary_all()
    made = s[[c for c in MADE if c in s.columns]].sum(axis=1)
    clipped_cols = [f"clipped_{r}" for r in RULE_LABELS if f"clipped_{r}" in s.columns]
    requested = made + s[clipped_cols].sum(axis=1)
    out = s[["arm", "rep"]].copy()
    for rule in RULE_LABELS:
        if f"clipped_{rule}" in s.columns:
            out[f"clipped.{rule}"] = s[f"clipped_{rule}"] / requested.where(requested > 0)
        if f"would_clip_{rule}" in s.columns:
            out[f"would.{rule}"] = s[f"would_clip_{rule}"] / made.where(made > 0)
    return out.fillna(0.0)


def regime_table(res: Results) -> pd.DataFrame:
    rows = []
    for label in res.labels:
        reg = res.scenario(label).regulation
        reference = reg.reference_regime
        rows.append({"Strategy": label, "Regime in force": reg.regime,
                     "Rules in force": REGIMES[reg.regime].description if reg.regime in REGIMES else "",
                     "Reference regime (for 'would clip')": reference})
    return pd.DataFrame(rows)


def show(res: Results) -> None:
    st.subheader("Rules: contact requests dropped, or that a rule would have dropped")
    note("rules")
    regimes = regime_table(res)
    references = sorted(set(regimes["Reference regime (for 'would clip')"]))
    st.markdown("The **reference regime** behind the 'would clip' counts: "
                + ", ".join(f"**{r}** ({REGIMES[r].description if r in REGIMES else 'unknown'})" for r in references))
    st.dataframe(regimes, hide_index=True, width="stretch")
    shares = rule_shares(res)
    height = 150 + 35 * len(res.labels)
    for prefix, title, base in (
            ("clipped", "Share of contact requests clipped by the regime in force, by rule",
             "contacts made plus those dropped"),
            ("would", "Share of contacts the reference regime's rules would have clipped, by rule",
             "contacts made")):
        cols = [c for c in shares.columns if c.startswith(f"{prefix}.")]
        ci = summary_ci(shares, cols, res.labels)
        ci["rule"] = ci["outcome"].str.split(".").str[1].map(RULE_LABELS)
        if not (ci["mean"] > 0).any():
            st.info(f"{title}: none. " + ("No regime in force clips anything here (regime 'none' has no rules)."
                                         if prefix == "clipped" else "No contact broke a rule of the reference "
                                                                     "regime."))
            continue
        ci = ci[ci.groupby("rule")["mean"].transform("max") > 0]  # rules that clipped something only
        chart(st, ci, {"title": title, "height": height, "mark": "bar", "encoding": {
            "y": N("arm", "", sort=res.labels), "x": Q("mean", f"share of {base}", axis={"format": ".1%"}),
            "color": N("rule", "Rule"),
            "tooltip": [N("arm", "Strategy"), N("rule", "Rule"), Q("mean", "share", format=".2%")]}})
        ci["value"] = [with_ci(m, lo, hi, PCT) for m, lo, hi in zip(ci["mean"], ci["ci_low"], ci["ci_high"],
                                                                     strict=True)]
        table = ci.pivot_table(index="rule", columns="arm", values="value", aggfunc="first", sort=False)
        table = table[[label for label in res.labels if label in table.columns]]
        table.index.name, table.columns.name = "Rule", None
        st.caption(f"Share of {base} (95% confidence interval across replications).")
        st.dataframe(table, width="stretch")
