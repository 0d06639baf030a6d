"""The Downloads tab: tables, the figures as on screen, the exact scenario files and the command line."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import streamlit as st

from ui import charts
from ui.run import Results
from ui.tabs.results import series_keys
from ui.tabs.tradeoffs import PAIRS


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def figure_title(res: Results, what: str) -> str:
    return (f"{res.title}: {what}. {len(res.labels)} arms × {res.reps} replications, seeds {res.seeds}; "
            "bands and crosses: 95% confidence intervals")


def png_series(res: Results) -> bytes:
    return charts.png_series(res.monthly_all(), res.labels, series_keys(res), figure_title(res, "over time"))


def png_tradeoff(res: Results) -> bytes:
    return charts.png_tradeoff(res.summary_all(), res.labels, PAIRS, figure_title(res, "trade-offs"))


def safe(label: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in label)


def scenario_bundle(res: Results) -> str:
    """The exact scenario file of every arm, as one commented text (the first arm's file first)."""
    return "\n".join(f"# ---- arm: {label} (seeds {res.seeds}) ----\n{res.tomls[label]}" for label in res.labels)


def toml_download(res: Results, where, key: str) -> None:
    """Download the exact scenario TOML behind the results: one file, or a zip with one per arm."""
    tomls = res.tomls
    if len(set(tomls.values())) == 1 or len(tomls) == 1:
        data, name, mime = next(iter(tomls.values())), "scenario.toml", "application/toml"
    else:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for i, label in enumerate(res.labels):
                z.writestr(f"{i + 1}_{safe(label)}.toml",
                           f"# arm: {label}; replication r uses seed {res.seed} + r\n{tomls[label]}")
        data, name, mime = buf.getvalue(), "scenarios.zip", "application/zip"
    where.download_button("Download the scenario files (TOML)", data, file_name=name, mime=mime,
                          key=key, on_click="ignore", help="The exact validated scenario of every arm: rerun "
                          "with `python -m sim` or upload it here.")


def commands(res: Results) -> str:
    """Command lines that rerun the comparison from the downloaded files."""
    if len({res.arms[label].toml.replace(f'strategy = "{res.arms[label].strategy}"', "") for label in res.labels}) == 1:
        strategies = ",".join(res.arms[label].strategy for label in res.labels)
        return (f"python -m sim compare 1_{safe(res.labels[0])}.toml --strategies {strategies} "
                f"--reps {res.reps} --seed {res.seed}")
    return "\n".join(f"python -m sim compare {i + 1}_{safe(label)}.toml --strategies {res.arms[label].strategy} "
                     f"--reps {res.reps} --seed {res.seed}" for i, label in enumerate(res.labels))


def show(res: Results) -> None:
    st.subheader("Download the results")
    st.caption("Tables have one row per arm, replication and month (or lender, or segment), with the engine's "
               "column names (docs/ODD.md defines them). The scenario files reproduce them exactly with the "
               "seeds shown.")
    for name in ("summary", "monthly", "segments", "roll_rates", "welfare", "traces"):
        frame = res.tables.get(name, [])
        if not len(frame):
            continue
        c1, c2, c3 = st.columns([2, 1, 1])
        c1.markdown(f"**{name}** · {len(frame):,} rows")
        c2.download_button("CSV", lambda f=frame: f.to_csv(index=False).encode(), file_name=f"{name}.csv",
                           mime="text/csv", key=f"csv_{name}", on_click="ignore")
        c3.download_button("Parquet", lambda f=frame: parquet_bytes(f), file_name=f"{name}.parquet",
                           mime="application/vnd.apache.parquet", key=f"parquet_{name}", on_click="ignore")
    st.markdown("**Figures** (the charts of the Results and Trade-offs tabs, with their title and seeds)")
    c1, c2 = st.columns(2)
    c1.download_button("Monthly series (PNG)", lambda: png_series(res), file_name="series.png", mime="image/png",
                       key="png_series", on_click="ignore")
    c2.download_button("Trade-offs (PNG)", lambda: png_tradeoff(res), file_name="tradeoffs.png", mime="image/png",
                       key="png_tradeoff", on_click="ignore")
    st.markdown("**Scenario files** (the exact validated scenario of each arm)")
    toml_download(res, st, "toml_downloads")
    cols = st.columns(min(len(res.labels), 4))
    for i, label in enumerate(res.labels):
        cols[i % len(cols)].download_button(
            (name := f"{i + 1}_{safe(label)}.toml"),
            f"# arm: {label}; replication r uses seed {res.seed} + r\n{res.tomls[label]}",
            file_name=name, mime="application/toml", key=f"toml_arm_{i}",
            on_click="ignore")
    st.markdown("**On the command line** (for big comparisons: the same runs, with a progress bar)")
    st.code(commands(res), language="bash")
    with st.expander("Show the scenario files"):
        st.code(scenario_bundle(res), language="toml")
