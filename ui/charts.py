"""Shared chart helpers: the data behind every chart (means and intervals from :mod:`sim.stats`), Vega-Lite
specs for the screen and matplotlib figures for downloads, drawn from the same data, colours and formats.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import streamlit as st

from sim.stats import grouped_mean_ci
from ui import texts
from ui.outcomes import MONEY, OUTCOMES, PCT, outcome

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


def colours(labels: list[str]) -> dict[str, str]:
    """The same colour for an arm on every chart, on screen and in downloads."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


# ------------------------------------------------------------------------------------------------
# The data behind the charts
# ------------------------------------------------------------------------------------------------
def band(frame: pd.DataFrame, value: str, by: tuple[str, ...] = ("arm", "month")) -> pd.DataFrame:
    """Mean and 95% confidence interval across replications (:func:`sim.stats.grouped_mean_ci`) of
    ``value`` for each group of ``by``: columns ``by``, ``mean``, ``lo``, ``hi``. With one replication the
    band is the mean itself; an outcome that cannot be negative has its interval clipped at zero, and a share
    at one."""
    ci = grouped_mean_ci(frame, list(by), [value])
    out = ci[[*by, "mean"]].copy()
    out["lo"] = ci["ci_low"].fillna(ci["mean"])
    out["hi"] = ci["ci_high"].fillna(ci["mean"])
    if not outcome(value).can_be_negative:
        out["lo"] = out["lo"].clip(lower=0.0)
    if outcome(value).is_share:
        out["hi"] = out["hi"].clip(upper=1.0)
    return out


def summary_ci(summary: pd.DataFrame, keys: list[str], order: list[str]) -> pd.DataFrame:
    """One row per arm (in ``order``) and outcome: mean and 95% interval across replications, clipped at
    zero for outcomes that cannot be negative and at one for shares (NaN bounds with one replication)."""
    ci = grouped_mean_ci(summary, ["arm"], keys)
    ci["arm"] = pd.Categorical(ci["arm"], order)
    ci = ci.sort_values(["arm"], kind="stable").reset_index(drop=True)
    ci["arm"] = ci["arm"].astype(str)
    clip = ci["outcome"].map(lambda k: not outcome(k).can_be_negative)
    ci.loc[clip, "ci_low"] = ci.loc[clip, "ci_low"].clip(lower=0.0)
    share = ci["outcome"].map(lambda k: outcome(k).is_share)
    ci.loc[share, "ci_high"] = ci.loc[share, "ci_high"].clip(upper=1.0)
    return ci


def with_ci(mean: float, lo: float, hi: float, kind: str) -> str:
    """ "12.3% (11.0% to 13.6%)", or the mean alone when there is no interval."""
    from ui.outcomes import fmt

    if not np.isfinite(lo) or fmt(lo, kind) == fmt(hi, kind):  # no interval, or one too narrow to show
        return fmt(mean, kind)
    return f"{fmt(mean, kind)} ({fmt(lo, kind)} to {fmt(hi, kind)})"


# ------------------------------------------------------------------------------------------------
# Vega-Lite
# ------------------------------------------------------------------------------------------------
def Q(field: str, title: str | None = None, **extra) -> dict:
    """A quantitative Vega-Lite channel."""
    return {"field": field, "type": "quantitative", "title": title if title is not None else field, **extra}


def N(field: str, title: str | None = None, **extra) -> dict:
    """A nominal Vega-Lite channel."""
    return {"field": field, "type": "nominal", "title": title if title is not None else field, **extra}


def color_scale(labels: list[str], legend: bool = True, lines: bool = False) -> dict:
    """The colour channel of the arms: the same colour for an arm on every chart."""
    style = {"orient": "bottom"} | ({"symbolType": "stroke", "symbolOpacity": 1, "symbolStrokeWidth": 3}
                                    if lines else {})
    return N("arm", "Strategy", sort=labels, scale={"domain": labels, "range": list(colours(labels).values())},
             legend=style if legend else None)


def chart(where, data: pd.DataFrame, spec: dict) -> None:
    """Draw a Vega-Lite spec (rendered by the Vega bundled with Streamlit: nothing is fetched)."""
    spec = dict(spec)
    height = spec.pop("height", 300)  # the whole chart, title, axes and legend included
    where.vega_lite_chart(data, spec, width="stretch", height=height)


def explanation(key: str) -> str:
    """The learn-mode text of a chart or an outcome: its note, else the outcome's own explanation."""
    return texts.NOTES.get(key) or (OUTCOMES[key].explanation if key in OUTCOMES else "")


def note(key: str) -> None:
    """In learn mode, a plain-language explanation."""
    if st.session_state.get("learn") and explanation(key):
        st.info(explanation(key), icon=":material/school:")


def show_chart(data: pd.DataFrame, spec: dict, note_key: str) -> None:
    """A chart, with its explanation beside it in learn mode."""
    if st.session_state.get("learn") and explanation(note_key):
        left, right = st.columns([3, 1])
        chart(left, data, spec)
        with right:
            note(note_key)
    else:
        chart(st, data, spec)


def series_spec(labels: list[str], key: str, title: str | None = None) -> dict:
    """Mean by month with a 95% band, one line per arm (data: :func:`band` of the monthly table)."""
    o = outcome(key)
    title = title or o.axis_title
    tip = [N("arm", "Strategy"), Q("month", "Month"), Q("mean", o.label, format=o.axis_format),
           Q("lo", "95% low", format=o.axis_format), Q("hi", "95% high", format=o.axis_format)]
    return {
        "title": title, "height": 300,
        "encoding": {"x": Q("month", "Month")},
        "layer": [
            {"mark": {"type": "area", "opacity": 0.2},
             "encoding": {"y": Q("lo", ""), "y2": {"field": "hi"}, "color": color_scale(labels, lines=True)}},
            {"mark": {"type": "line", "strokeWidth": 2}, "encoding": {
                "y": Q("mean", "", axis={"format": o.axis_format}, scale={"zero": False}),
                "color": color_scale(labels, lines=True), "tooltip": tip}},
        ],
    }


def tradeoff_frame(summary: pd.DataFrame, labels: list[str], x: str, y: str) -> pd.DataFrame:
    """One row per arm: means and 95% intervals of two outcomes (columns ``mean__x``, ``ci_low__x``...)."""
    ci = summary_ci(summary, [x, y], labels)
    ci["ci_low"] = ci["ci_low"].fillna(ci["mean"])
    ci["ci_high"] = ci["ci_high"].fillna(ci["mean"])
    wide = ci.pivot(index="arm", columns="outcome", values=["mean", "ci_low", "ci_high"])
    wide.columns = [f"{a}__{b}" for a, b in wide.columns]
    return wide.reindex(labels).reset_index()


def tradeoff_spec(labels: list[str], x: str, y: str, title: str) -> dict:
    ox, oy = outcome(x), outcome(y)
    xs = Q(f"mean__{x}", ox.axis_title, scale={"zero": False}, axis={"format": ox.axis_format})
    ys = Q(f"mean__{y}", oy.axis_title, scale={"zero": False}, axis={"format": oy.axis_format})
    return {
        "title": title, "height": 400,
        "encoding": {"color": color_scale(labels)},
        "layer": [
            {"mark": "rule", "encoding": {"x": Q(f"ci_low__{x}", ox.axis_title), "x2": {"field": f"ci_high__{x}"},
                                          "y": ys}},
            {"mark": "rule", "encoding": {"y": Q(f"ci_low__{y}", oy.axis_title), "y2": {"field": f"ci_high__{y}"},
                                          "x": xs}},
            {"mark": {"type": "point", "size": 120, "filled": True}, "encoding": {
                "x": xs, "y": ys, "tooltip": [N("arm", "Strategy"), Q(f"mean__{x}", ox.label, format=ox.axis_format),
                                              Q(f"mean__{y}", oy.label, format=oy.axis_format)]}},
            {"mark": {"type": "text", "dy": -12}, "encoding": {"x": xs, "y": ys, "text": {"field": "arm"}}},
        ],
    }


# ------------------------------------------------------------------------------------------------
# Figures for download (matplotlib, from the same data as the screen)
# ------------------------------------------------------------------------------------------------
def _axis_formatter(kind: str):
    from matplotlib.ticker import FuncFormatter

    if kind == PCT:
        return FuncFormatter(lambda v, _: f"{100 * v:.1f}%")
    if kind == MONEY:
        return FuncFormatter(lambda v, _: f"${v:,.0f}")
    return FuncFormatter(lambda v, _: f"{v:,.1f}")


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    return buf.getvalue()


def png_series(monthly: pd.DataFrame, labels: list[str], keys: list[str], title: str) -> bytes:
    """The monthly charts of the Results tab, side by side, as a PNG."""
    return _png(series_figure(monthly, labels, keys, title))


def series_figure(monthly: pd.DataFrame, labels: list[str], keys: list[str], title: str):
    """The monthly charts of the Results tab as a matplotlib figure: the same bands, colours and formats."""
    from matplotlib.figure import Figure  # no pyplot: its global state is not for a threaded server

    keys = [k for k in keys if k in monthly.columns]
    fig = Figure(figsize=(4 * len(keys), 3.6), layout="constrained")
    fig.suptitle(title, fontsize=10)
    axes = np.atleast_1d(fig.subplots(1, len(keys)))
    palette = colours(labels)
    for ax, key in zip(axes, keys, strict=True):
        b = band(monthly, key)
        for label in labels:
            part = b[b["arm"] == label]
            ax.plot(part["month"], part["mean"], label=label, color=palette[label], linewidth=2)
            ax.fill_between(part["month"], part["lo"], part["hi"], color=palette[label], alpha=0.2)
        ax.set_title(series_spec(labels, key)["title"], fontsize=9)
        ax.yaxis.set_major_formatter(_axis_formatter(outcome(key).kind))
        ax.set_xlabel("Month")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=min(len(labels), 5),
               fontsize=8)
    return fig


def png_tradeoff(summary: pd.DataFrame, labels: list[str], pairs: list[tuple[str, str, str]], title: str) -> bytes:
    """The trade-off pictures: one point per arm with 95% intervals as crosses, as on screen."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5 * len(pairs), 4.2), layout="constrained")
    fig.suptitle(title, fontsize=10)
    axes = np.atleast_1d(fig.subplots(1, len(pairs)))
    palette = colours(labels)
    for ax, (x, y, sub) in zip(axes, pairs, strict=True):
        w = tradeoff_frame(summary, labels, x, y).set_index("arm")
        for label in labels:
            r = w.loc[label]
            ax.errorbar(r[f"mean__{x}"], r[f"mean__{y}"],
                        xerr=[[r[f"mean__{x}"] - r[f"ci_low__{x}"]], [r[f"ci_high__{x}"] - r[f"mean__{x}"]]],
                        yerr=[[r[f"mean__{y}"] - r[f"ci_low__{y}"]], [r[f"ci_high__{y}"] - r[f"mean__{y}"]]],
                        fmt="o", capsize=4, color=palette[label], label=label)
            ax.annotate(label, (r[f"mean__{x}"], r[f"mean__{y}"]), textcoords="offset points", xytext=(0, 8),
                        ha="center", fontsize=8)
        ax.set_title(sub, fontsize=9)
        ax.set_xlabel(outcome(x).axis_title)
        ax.set_ylabel(outcome(y).axis_title)
        ax.xaxis.set_major_formatter(_axis_formatter(outcome(x).kind))
        ax.yaxis.set_major_formatter(_axis_formatter(outcome(y).kind))
    axes[0].legend(fontsize=8)
    return _png(fig)
