"""The Learn tab: how the model works (the month's steps as the model documents them), the guided tours,
the strategies, the regimes, the evidence on tactics and the well-being bands."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

import sim
from sim.presets import PRESETS
from sim.regulation import REGIMES
from ui import texts
from ui.setup import load_tour


def step_title(number: int, text: str) -> str:
    """ "3. Lenders originate loans to applicants who pass underwriting" from the model's step text."""
    return f"{number}. " + re.split(r"[(:;]", text, maxsplit=1)[0].strip().rstrip(".,")


def show() -> None:
    st.subheader("How the model works")
    st.caption("One month, in the model's order (from the documentation of sim.model). Switch on Learn mode in "
               "the set-up panel to see explanations beside every chart.")
    for number, text in texts.month_steps():
        with st.expander(step_title(number, text), expanded=bool(st.session_state.get("learn"))):
            if number in texts.STEP_GLOSS:
                st.write(texts.STEP_GLOSS[number])
            st.caption(f"In the model: {text}")
    st.markdown("#### Guided tour")
    st.write("Ready-made comparisons. Load one and read the results tabs.")
    for p in PRESETS:
        with st.container(border=True):
            st.markdown(f"**{p.title}**")
            st.write(p.question)
            if st.session_state.get("learn"):
                st.write(p.explanation)
            st.markdown("What to look for:\n" + "\n".join(f"- {x}" for x in p.look_for))
            st.caption("Arms: " + "; ".join(f"{a.label} ({a.scenario}, {a.strategy})" for a in p.arms))
            st.button("Load and run this comparison", key=f"tour_{p.key}", on_click=load_tour, args=(p.key,))
    st.markdown("#### The strategies")
    for name, cls in sim.STRATEGIES.items():
        with st.expander(f"{name}: {cls.description}"):
            st.write((cls.__doc__ or "").strip())
            st.json(cls.classifier, expanded=False)
    st.markdown("#### The regulation regimes")
    st.dataframe(pd.DataFrame([{"Regime": r.name, "Rules": r.description, "Source": r.source}
                               for r in REGIMES.values()]), hide_index=True, width="stretch")
    st.markdown("#### Tactics and the evidence")
    st.dataframe(pd.DataFrame(texts.TACTIC_EVIDENCE, columns=["Tactic", "Cost", "Effect"]), hide_index=True,
                 width="stretch")
    st.markdown("#### Well-being bands (CFPB scale)")
    st.dataframe(pd.DataFrame(texts.wellbeing_bands(), columns=["Band", "Index"]), hide_index=True)
