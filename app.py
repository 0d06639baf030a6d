"""The debt-collection lab: compare collection strategies side by side in the browser.

Run with ``streamlit run app.py`` (``make run``). This file only lays out the page; the parts live in the
:mod:`ui` package (one module per tab in :mod:`ui.tabs`, the set-up panel in :mod:`ui.setup`, links in
:mod:`ui.link`, the outcomes' labels and formats in :mod:`ui.outcomes`, the texts in :mod:`ui.texts`) and
the runs go through :mod:`sim.service`, which shares worker processes fairly between sessions.

A comparison runs when Run is pressed (or a link with ``run=1`` is opened): replication ``r`` of every arm
uses seed ``seed + r`` (common random numbers). Results that no longer match the set-up panel are marked
as such until Run is pressed again.
"""

from __future__ import annotations

import os
import sys
import time

import streamlit as st

from ui import link, run, texts
from ui.setup import OWN, setup_panel
from ui.tabs import borrowers, complaints, costs, downloads, learn, money, results, rules, segments, tradeoffs

TABS = {"Results": results.show, "Money": money.show, "Trade-offs": tradeoffs.show, "Segments": segments.show,
        "Complaints": complaints.show, "Rules": rules.show, "Costs": costs.show, "Borrowers": borrowers.show,
        "Learn": None, "Downloads": downloads.show}


def main() -> None:
    started = time.perf_counter()
    st.set_page_config(page_title="Debt-collection lab", layout="wide")
    link_error = link.restore()
    run.warm_kernels()  # compile the kernels (or load them from the disk cache) before the first Run
    run.service()  # start the workers while the user chooses
    run.forget_closed_sessions()
    top = st.sidebar.container()  # the Run button, at the top of the panel: visible without scrolling
    setup = setup_panel()
    if link_error:
        st.sidebar.warning(link_error)
    run_clicked = top.button("Run", type="primary", key="run", width="stretch", disabled=bool(setup.error),
                             help="Compare the chosen strategies.")
    opened = not st.session_state.get("_opened")
    st.session_state["_opened"] = True
    if run_clicked or st.session_state.pop("run_next", False) or (opened and st.query_params.get("run") == "1"):
        st.session_state["want"] = setup.key
        st.session_state.pop("cancelled", None)
    if setup.uploads:
        portfolio = " and the portfolio file" if "portfolio" in setup.uploads else ""
        top.caption(texts.LINK_NOT_PORTABLE.format(what=" and ".join(setup.uploads), portfolio=portfolio))
    seconds = run.estimate_seconds(setup) if setup.arms and not setup.error else 0.0
    if seconds > run.CLI_HINT_S and st.session_state.get("tour") == OWN:
        top.caption(f"This comparison takes about {seconds / 60:.0f} min here (you can cancel "
                    "it; other users are not slowed down). On your own machine, with this scenario file:")
        top.code(run.cli_command(setup), language="bash", wrap_lines=True)
        top.download_button("scenario.toml", setup.arms[0].toml, file_name="scenario.toml", key="toml_setup",
                            mime="application/toml", icon=":material/download:", on_click="ignore")

    # more results in view; and the uploaders' own "50MB per file" (server.maxUploadSize, set above the app's
    # limits so that a file too big reaches the app and gets a banner naming it) is hidden: each uploader's label
    # states the limit the app applies (ui.setup)
    st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}"
            "[data-testid='stFileUploaderDropzoneInstructions']{display:none}</style>")
    st.title("Debt-collection lab")
    st.caption("An agent-based laboratory: households, lenders, collectors and regulators, month by month. "
               "Choose a scenario and strategies in the set-up panel, then press Run.")
    res = st.session_state.get("results")
    run.forget_abandoned(setup, res)
    wanted = st.session_state.get("want") == setup.key and not setup.error and setup.arms
    pending = wanted and (res is None or res.key != setup.key)
    banner = st.container()
    if st.session_state.get("cancelled"):
        banner.info("Cancelled: the runs were stopped. Press **Run** to start again.")
    tabs = st.tabs(list(TABS), key="tab", bind="query-params")
    if pending:
        active = next((t for t in tabs if t.open), tabs[0])
        with active:
            new = run.compute(setup, st.empty())
        if new is not None:
            st.session_state["results"] = res = new
    stale = res is not None and res.key != setup.key
    if stale:
        banner.warning(texts.STALE_RESULTS, icon=":material/history:")
    if setup.error and setup.error not in (texts.NEED_TWO, texts.UPLOAD_PROMPT):
        banner.error(f"The set-up has a problem: {setup.error}", icon=":material/error:")
    link.publish(ran=res is not None and not stale)
    if (res is None or stale) and not pending:
        run.prefetch(setup)  # the set-up on screen runs while the user reads it; Run collects it
    if res is not None:
        st.sidebar.markdown("---")
        downloads.toml_download(res, st.sidebar, "toml_sidebar")

    for (label, view), tab in zip(TABS.items(), tabs, strict=True):
        if tab.open is False:
            continue
        with tab:
            view_started = time.perf_counter()
            try:
                if view is None:
                    learn.show()
                elif res is None:
                    st.info("Press **Run** in the set-up panel to compare the strategies "
                            f"({', '.join(a.label for a in setup.arms) or 'choose two or more'}).")
                else:
                    view(res)
            except Exception as exc:  # keep the rest of the page working  # noqa: BLE001
                st.error(f"This view failed: {exc}")
                st.exception(exc)
            if os.environ.get("COLLECTION_LAB_TIMING"):
                print(f"collection-lab: tab {label} in {time.perf_counter() - view_started:.2f} s", file=sys.stderr)
    if os.environ.get("COLLECTION_LAB_TIMING"):
        print(f"collection-lab: page script ran in {time.perf_counter() - started:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
