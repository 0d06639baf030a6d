"""The debt-collection lab: compare collection strategies side by side in the browser.

Run with ``streamlit run app.py``. The page is presentation only: it builds a scenario from a built-in
file or an upload plus the edits in the set-up panel, runs it through the public API
(:func:`sim.simulate`) once per compared arm and replication, and draws the tables that come back.
Strategies, scenarios, regulation regimes and outcomes are taken from the engine's registries
(:data:`sim.STRATEGIES`, the files in :data:`sim.config.SCENARIO_DIR`, :data:`sim.regulation.REGIMES`,
:mod:`sim.metrics`), so whatever the engine adds appears here without editing this file.

An "arm" is one side of a comparison: a validated scenario with one strategy. Replication ``r`` of every
arm uses seed ``seed + r`` (common random numbers), so all arms meet the same households and shocks.
Runs are cached by the exact TOML text of the arm's scenario and the seed.
"""

from __future__ import annotations

import copy
import hashlib
import io
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import zipfile
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from scipy import stats  # imported with the page, not on the first Run (confidence_table needs it too)

import sim
from sim import config as simconfig
from sim import metrics as simmetrics
from sim.presets import PRESETS
from sim.regulation import REGIMES
from sim.runner import confidence_table

# ------------------------------------------------------------------------------------------------
# App-level defaults (sizes chosen so the default comparison answers in well under 3 s)
# ------------------------------------------------------------------------------------------------
PREFERRED_STRATEGIES = ("conventional", "aggressive", "hardship_first")  # filtered by the registry
DEFAULT_SCENARIO = "baseline"
DEFAULT_HOUSEHOLDS = 1000
DEFAULT_REPS = 3
MAX_REPS = 30
MAX_HOUSEHOLDS = 200_000  # the app's limit; bigger runs belong on the command line
TRACED_HOUSEHOLDS = 40  # followed month by month in replication 1 (8 per income quintile)
MAX_UPLOAD_MB = 1
# household-months a set-up may need to be run in the background before Run is pressed (4x the default)
PREFETCH_LIMIT = 4 * DEFAULT_REPS * len(PREFERRED_STRATEGIES) * DEFAULT_HOUSEHOLDS * 60

def worker_count() -> int:
    """Worker processes for the runs: ``COLLECTION_LAB_WORKERS`` if set, else one per core (at most 4)."""
    value = os.environ.get("COLLECTION_LAB_WORKERS", "")
    return int(value) if value.isdigit() else min(os.cpu_count() or 1, 4)

OWN = "own"  # the "comparison" selector: your own, or a guided-tour preset key

TABS = ["Results", "Trade-offs", "Segments", "Complaints", "Rules", "Costs", "Borrowers", "Learn",
        "Downloads"]

# Key outcomes shown on the strategy cards: (summary key, label, format, higher is better).
CARD_OUTCOMES = [
    ("recovery_rate_net", "Net recovery", "pct", True, "Money recovered net of collection costs, agency fees "
     "and fines, over delinquent exposure."),
    ("recovery_rate_gross", "Gross recovery", "pct", True, "Money recovered over delinquent exposure."),
    ("complaints_per_1000", "Complaints", "num", False, "Complaints a month per 1,000 accounts in collection."),
    ("wellbeing_mean", "Well-being", "num", True, "Mean financial well-being index (0-100, CFPB scale)."),
    ("wellbeing_low_share", "Low well-being", "pct", False, "Share of households in the low and very low "
     "well-being bands (index below 38)."),
    ("delinquency_30plus_rate", "30+ delinquency", "pct", False, "Balance 30+ days past due over the book."),
    ("chargeoff_rate", "Charge-offs", "pct", False, "Net charge-offs, annualised, over the book."),
    ("cost_to_collect", "Cost to collect", "pct", False, "Collection costs over money collected."),
]
# Monthly series drawn with bands: (column of the combined monthly table, title, axis format).
SERIES = [
    ("recovery_rate_gross", "Recovery so far (share of delinquent exposure)", "%"),
    ("delinquency_30plus_rate", "30+ day delinquency rate", "%"),
    ("chargeoff_rate", "Net charge-off rate (annualised)", "%"),
    ("complaints_per_1000", "Complaints per 1,000 accounts in collection", ",.0f"),
    ("wellbeing_mean", "Mean well-being index (0-100)", ",.1f"),
]
RATE_WORDS = ("rate", "share", "cost_to_collect")

# Plain-language notes shown beside charts in learn mode.
NOTES = {
    "cards": "Each card is one strategy run on the same households. The small coloured number is the "
             "difference from the first strategy (the champion): green is better for the borrower or the "
             "lender, red is worse. Numbers are means over the replications.",
    "recovery_rate_gross": "Of every dollar that fell delinquent, how much came back so far: payments from "
                           "accounts in collection plus what debt buyers paid. It rises over time as "
                           "collections accumulate.",
    "delinquency_30plus_rate": "The share of the book's balance that is at least 30 days late, as banks "
                               "report it. About 4% in calm US times (2006-07).",
    "chargeoff_rate": "Debt the lender gave up on (written off, usually at 180 days late) in a month, "
                      "less what it later recovered, times 12: the yearly loss rate banks report.",
    "complaints_per_1000": "Complaints in a month per 1,000 accounts in collection. Too many calls, "
                           "threats, home visits and disputes about the amount owed all cause complaints.",
    "wellbeing_mean": "A 0-100 index scaled like the US CFPB Financial Well-Being Scale (US mean about "
                      "54). Stress from arrears, job loss, calls and lawsuits pulls it down; savings "
                      "push it up.",
    "tradeoff": "Each point is a strategy; the crosses are 95% confidence intervals across replications. "
                "Up is more money recovered; left is fewer complaints; right (in the second picture) is "
                "higher well-being. A strategy that is up and to the left beats one that is down and to "
                "the right on both counts.",
    "segments": "The same outcome for groups of households: income quintiles (Q1 is the poorest fifth) "
                "and thirds by financial literacy. Collection pressure does not fall on everyone "
                "equally.",
    "complaints": "Complaints by what they are about (the categories of the US complaint database) and "
                  "where they go: to the lender, to the regulator, or in public. About half of real "
                  "US collection complaints say the debt is not owed.",
    "rules": "When a regulation regime is on, calls that break its rules are dropped and counted "
             "('clipped'). Under 'none', the model still counts what a reference regime would have "
             "dropped ('would clip'): what the rule would have saved borrowers.",
    "costs": "What collection costs the lender: calls, visits, lawsuits, plan set-up, agency fees and "
             "fines. Cost to collect is costs over money collected.",
    "explorer": "One household's life, month by month: its income and shocks, how it was contacted, "
                "what it paid, and how it felt. Every strategy met the same household with the same "
                "job losses and shocks, so you can see what the strategy changed.",
    "any": "Any monthly outcome the model records, with the same bands.",
}

MECHANISMS = [
    ("1. The economy moves",
     "Unemployment follows a path: constant, a historical series, or a random business cycle. Support "
     "programmes (income transfers, forbearance) switch on or off."),
    ("2. Households earn and meet shocks",
     "People lose or find jobs at rates that follow unemployment; the poorest lose jobs most often. "
     "Illness or a broken car can cost a month's income. Savings cushion the blow until they run out."),
    ("3. Lenders lend and plan collection",
     "Lenders approve applicants whose score looks good enough (they see it with noise: the information "
     "gap runs both ways) and plan, for each late account, reminders, calls, visits, offers or legal "
     "steps: that is the strategy."),
    ("4. The contact calendar runs day by day",
     "Calls are laid out over the month. The regulation regime drops calls that break its rules "
     "(too many a day or a week, at night, right after a conversation) and counts them."),
    ("5. Households decide what to pay",
     "They pay out of what is left after essentials, if they are willing (intrinsic honesty, pressure, "
     "goodwill towards the lender, stress) and remember (reminders fix forgetting). Someone who owes "
     "several lenders pays the one who pushes hardest first."),
    ("6. Accounting",
     "Payments reduce arrears; accounts cure, roll to the next bucket, or are charged off; lawsuits lead "
     "to judgments and wage garnishment; old claims are sold to debt buyers for cents on the dollar."),
    ("7. Stress, well-being and complaints",
     "Arrears, job loss, shocks, many calls and legal threats raise stress; well-being follows. Some "
     "households complain, to the lender, the regulator or in public."),
    ("8. Lenders learn, the regulator enforces", "Reputation and fines follow complaints and violations."),
    ("9. Data collection", "Everything shown in this app is recorded at the end of the month."),
]
WELLBEING_BANDS = [("very low", "0-29"), ("low", "30-37"), ("medium-low", "38-49"), ("medium-high", "50-57"),
                   ("high", "58-67"), ("very high", "68-100")]
TACTIC_EVIDENCE = [
    ("Reminder (SMS, e-mail)", "cents", "Fixes forgetting: text reminders raised on-time repayment by 7-9% "
                                        "(Cadena & Schoar 2011)."),
    ("Phone call", "a few dollars", "Conversations lead to promises and plans; too many calls cause "
                                    "annoyance and complaints (63% of contacted US consumers said they "
                                    "were contacted too often, CFPB 2017)."),
    ("Home visit", "tens of dollars", "Reaches people who cannot be called, but risks conflict and shows "
                                      "the debt to neighbours."),
    ("Agency placement", "25-40% of what is collected", "The agency may be harsher than the lender."),
    ("Debt sale", "buyer pays 4-16 cents per dollar", "Ends the lender's exposure and its control."),
    ("Lawsuit", "$50-400 plus attorney", "Over 70% end in default judgment (Pew 2020); wages garnished."),
    ("Plan, deferral, settlement", "forgone interest", "Principal write-downs raised repayment and "
                                                       "employment (Dobbie & Song 2020)."),
]


# ------------------------------------------------------------------------------------------------
# Small helpers
# ------------------------------------------------------------------------------------------------
def pretty(name: str) -> str:
    """A readable label for an outcome column."""
    text = name.replace("_per_1000", " per 1,000").replace("30plus", "30+").replace("_", " ")
    return text[:1].upper() + text[1:]


def is_rate(name: str) -> bool:
    return any(w in name for w in RATE_WORDS) and "per_1000" not in name and "wellbeing_mean" not in name


def fmt(value: float, kind: str) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{100 * value:.1f}%" if kind == "pct" else f"{value:,.1f}"


def builtin_scenarios() -> list[str]:
    """Names of the scenario files shipped with the engine, the default first."""
    names = sorted(p.stem for p in simconfig.SCENARIO_DIR.glob("*.toml"))
    return sorted(names, key=lambda n: n != DEFAULT_SCENARIO)


def default_strategies() -> list[str]:
    chosen = [s for s in PREFERRED_STRATEGIES if s in sim.STRATEGIES]
    return chosen if len(chosen) >= 2 else list(sim.STRATEGIES)[:3]


def note(key: str) -> None:
    """In learn mode, a plain-language explanation."""
    if st.session_state.get("learn") and key in NOTES:
        st.info(NOTES[key], icon=":material/school:")


def Q(field: str, title: str | None = None, **extra) -> dict:
    """A quantitative Vega-Lite channel."""
    return {"field": field, "type": "quantitative", "title": title if title is not None else field, **extra}


def N(field: str, title: str | None = None, **extra) -> dict:
    """A nominal Vega-Lite channel."""
    return {"field": field, "type": "nominal", "title": title if title is not None else field, **extra}


def chart(where, data: pd.DataFrame, spec: dict) -> None:
    """Draw a Vega-Lite spec (rendered by the Vega bundled with Streamlit: nothing is fetched)."""
    spec = dict(spec)
    height = spec.pop("height", 300)  # the whole chart, title, axes and legend included
    where.vega_lite_chart(data, spec, width="stretch", height=height)


def show_chart(data: pd.DataFrame, spec: dict, note_key: str) -> None:
    """A chart, with its explanation beside it in learn mode."""
    if st.session_state.get("learn") and note_key in NOTES:
        left, right = st.columns([3, 1])
        chart(left, data, spec)
        with right:
            note(note_key)
    else:
        chart(st, data, spec)


def deep_merge(base: dict, extra: dict) -> dict:
    """``base`` with the tables of ``extra`` merged in (values and lists of ``extra`` win)."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


# ------------------------------------------------------------------------------------------------
# Running (cached by configuration)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArmSpec:
    """One side of the comparison: a label, its strategy and the exact TOML of its scenario."""

    label: str
    strategy: str
    toml: str
    description: str = ""


def tables_of(result, n_trace: int) -> dict[str, pd.DataFrame]:
    """The tables of one :class:`sim.metrics.RunResult`, with the API's cumulative series
    (``to_dict()["series.*"]``) that the monthly table lacks added to its ``lender == "all"`` rows."""
    allm = result.monthly[result.monthly["lender"] == "all"].sort_values("month")
    extra = pd.DataFrame({"month": allm["month"].to_numpy()})
    for key, values in result.to_dict().items():
        if key.startswith("series.") and key[7:] not in allm.columns:
            extra[key[7:]] = np.asarray(values, dtype=float)
    monthly = result.monthly.merge(extra, on="month", how="left")
    monthly.loc[monthly["lender"] != "all", list(extra.columns[1:])] = np.nan
    traces = result.traces if n_trace and result.traces is not None else pd.DataFrame()
    return {"monthly": monthly, "segments": result.segments, "summary": result.summary, "traces": traces}


Job = tuple[str, int, int]  # (scenario TOML, seed, households to trace): one run, and its key


class WorkerPool:
    """Worker processes kept for the life of the server, started in the background so that the page
    never waits for them. The workers import the engine once, through a fork server; until they are
    ready (or if they break), runs happen in the server process. Results are identical either way:
    every run owns its seed.

    Runs are keyed by their job (scenario TOML, seed, traced households): the set-up on screen is
    started in the background before Run is pressed (:meth:`prefetch`), and Run collects whatever is
    done or under way instead of starting it again. The last ``KEEP`` runs are kept; a prefetched run
    that has not started when the set-up changes is cancelled, so stale work never delays a Run."""

    KEEP = 36

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.ready = threading.Event()
        self.lock = threading.Lock()
        self.runs: OrderedDict[Job, Future] = OrderedDict()
        self.speculative: set[Job] = set()  # prefetched runs nobody has asked for yet
        self.orders = ThreadPoolExecutor(max_workers=1, thread_name_prefix="collection-lab-prefetch")  # in order
        threading.Thread(target=self._start, name="collection-lab-pool", daemon=True).start()

    def _start(self) -> None:
        try:
            ctx = multiprocessing.get_context("forkserver")
            # workers re-import this script (as "__mp_main__"): preloading streamlit makes that instant
            ctx.set_forkserver_preload(["sim", "streamlit"])
            pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
            # boot every worker now, and let a tiny run load what the engine imports lazily
            tiny = {"population.n_borrowers": 20, "horizon_months": 1, "burn_in_months": 0}
            for f in [pool.submit(sim.simulate, DEFAULT_SCENARIO, seed=i, trace=5, **tiny)
                      for i in range(2 * self.workers)]:
                f.result()
            self.pool = pool
        except Exception:  # noqa: BLE001  (no workers: the runs happen in the server process instead)
            self.pool = None
        finally:
            self.ready.set()

    def _submit(self, job: Job) -> Future:
        """The run of ``job``: the one kept or under way, else a new one (call with the lock held)."""
        future = self.runs.get(job)
        if future is None or future.cancelled() or (future.done() and future.exception() is not None):
            text, seed, n_trace = job
            future = self.pool.submit(sim.simulate, simconfig.parse_toml(text, "scenario"), seed=seed,
                                      trace=n_trace or None)
            self.runs[job] = future
        self.runs.move_to_end(job)
        while len(self.runs) > self.KEEP:
            old_job, old = self.runs.popitem(last=False)
            old.cancel()  # a run that has not started is dropped; one under way finishes unused
            self.speculative.discard(old_job)
        return future

    def prefetch(self, jobs: list[Job]) -> None:
        """Start ``jobs`` in the background, once the workers are up; cancel earlier prefetched runs
        that have not started and are not among them."""
        def start() -> None:
            if not self.ready.wait(60) or self.pool is None:
                return
            with self.lock:
                for job in self.speculative - set(jobs):
                    future = self.runs.get(job)
                    if future is not None and future.cancel():
                        del self.runs[job]
                # runs already kept or asked for by a Run are not speculative
                self.speculative = {job for job in jobs if job not in self.runs or job in self.speculative}
                try:
                    for job in jobs:
                        self._submit(job)
                except (BrokenProcessPool, RuntimeError):
                    self.pool = None

        self.orders.submit(start)

    def map(self, jobs: list[Job], wait: float = 5.0) -> list | None:
        """Run the jobs in the workers (or collect them, when prefetched), or return None when the
        workers are not usable (still starting after ``wait`` seconds, or broken)."""
        if not self.ready.wait(wait) or self.pool is None:
            return None
        try:
            with self.lock:
                futures = [self._submit(job) for job in jobs]
                self.speculative -= set(jobs)
            return [f.result() for f in futures]
        except (BrokenProcessPool, RuntimeError):
            self.pool = None
            return None


@st.cache_resource(show_spinner=False)
def worker_pool(workers: int) -> WorkerPool | None:
    """The server's worker pool (None for fewer than 2 workers)."""
    return WorkerPool(workers) if workers >= 2 else None


def simulate_all(jobs: list[Job]) -> list:
    """Run ``(scenario TOML, seed, households to trace)`` jobs with :func:`sim.simulate`, in the
    worker pool when it is ready (collecting runs it has prefetched)."""
    pool = worker_pool(worker_count())
    start = time.perf_counter()
    results = pool.map(jobs) if pool is not None and len(jobs) > 1 else None
    where = f"{pool.workers} worker processes" if results is not None else "server process"
    if results is None:
        results = [sim.simulate(simconfig.parse_toml(text, "scenario"), seed=seed, trace=n_trace or None)
                   for text, seed, n_trace in jobs]
    if os.environ.get("COLLECTION_LAB_TIMING"):
        print(f"collection-lab: {len(jobs)} runs in {time.perf_counter() - start:.2f} s ({where})", file=sys.stderr)
    return results


def comparison_jobs(arms: tuple[tuple[str, str, str], ...], seed: int, reps: int) -> list[Job]:
    """The runs of a comparison: every arm ``reps`` times, replication ``r`` on seed ``seed + r``;
    the first replication traces households for the borrower explorer."""
    return [(toml, seed + rep, TRACED_HOUSEHOLDS if rep == 0 else 0) for rep in range(reps) for _, _, toml in arms]


def household_months(toml: str) -> int:
    """Households times simulated months (burn-in included) of one run of a scenario."""
    data = simconfig.parse_toml(toml, "scenario")
    default = simconfig.Scenario()
    months = data.get("burn_in_months", default.burn_in_months) + data.get("horizon_months", default.horizon_months)
    return int(data.get("population", {}).get("n_borrowers", default.population.n_borrowers)) * int(months)


def prefetch_comparison(setup: Setup) -> None:
    """Start the runs of the set-up on screen in the background, so that Run finds them done. Only
    for comparisons of the default's size or up to four times it: big ones wait for Run."""
    pool = worker_pool(worker_count())
    if pool is None or not setup.arms or setup.error:
        return
    work = setup.reps * sum(household_months(a.toml) for a in setup.arms)
    if work <= PREFETCH_LIMIT:
        pool.prefetch(comparison_jobs(tuple((a.label, a.strategy, a.toml) for a in setup.arms), setup.seed,
                                      setup.reps))


@st.cache_data(show_spinner=False, max_entries=32)
def run_comparison(arms: tuple[tuple[str, str, str], ...], seed: int, reps: int) -> dict[str, pd.DataFrame]:
    """Run every arm ``(label, strategy, scenario TOML)`` ``reps`` times with common random numbers
    (replication ``r`` uses ``seed + r`` for every arm) and stack the tables. Cached by exactly these
    arguments: the configuration."""
    jobs = comparison_jobs(arms, seed, reps)
    results = simulate_all(jobs)
    tables: dict[str, list[pd.DataFrame]] = {"monthly": [], "segments": [], "summary": [], "traces": []}
    runs = [(label, strategy, rep) for rep in range(reps) for label, strategy, _ in arms]
    for (label, strategy, rep), result, job in zip(runs, results, jobs, strict=True):
        for name, frame in tables_of(result, job[2]).items():
            if len(frame):
                tables[name].append(frame.assign(arm=label, strategy=strategy, rep=rep, seed=seed + rep))
    return {name: _front(pd.concat(frames, ignore_index=True), ["arm", "strategy", "rep", "seed"])
            if frames else pd.DataFrame() for name, frames in tables.items()}


def _front(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    if not len(frame):
        return frame
    return frame[[*cols, *[c for c in frame.columns if c not in cols]]]


def band(frame: pd.DataFrame, value: str, by: tuple[str, ...] = ("arm", "month")) -> pd.DataFrame:
    """Mean and 95% confidence interval (Student t) across replications."""
    g = frame.groupby(list(by), sort=False)[value]
    out = g.agg(["mean", "std", "count"]).reset_index()
    tq = stats.t.ppf(0.975, np.maximum(out["count"] - 1, 1))
    half = np.where(out["count"] > 1, tq * out["std"].fillna(0) / np.sqrt(out["count"]), 0.0)
    out["lo"], out["hi"] = out["mean"] - half, out["mean"] + half
    return out


# ------------------------------------------------------------------------------------------------
# Set-up panel
# ------------------------------------------------------------------------------------------------
@dataclass
class Setup:
    arms: list[ArmSpec]
    seed: int
    reps: int
    error: str | None
    title: str


def load_base_scenario(source: str) -> tuple[dict | None, str, str | None]:
    """The base scenario as a dict, an id for widget keys, and an error message."""
    if source == "Upload a file":
        upload = st.sidebar.file_uploader(
            "Scenario file (TOML, at most 1 MB)", type=["toml"], key="upload", max_upload_size=MAX_UPLOAD_MB,
            help="The file is parsed as TOML and validated; nothing in it is executed.")
        if upload is None:
            return None, "upload", "Upload a scenario file, or choose a built-in one."
        raw = upload.getvalue()
        try:
            data = simconfig.parse_toml(raw, upload.name)
            simconfig.validate(data, upload.name)
        except sim.ScenarioError as exc:
            return None, "upload", str(exc)
        return data, "up" + hashlib.sha256(raw).hexdigest()[:8], None
    name = st.sidebar.selectbox("Scenario", builtin_scenarios(), key="scenario", bind="query-params",
                                help="The files in scenarios/. A new file there appears here.")
    try:
        data = simconfig.parse_toml((simconfig.SCENARIO_DIR / f"{name}.toml").read_bytes(), f"{name}.toml")
        simconfig.validate(data, f"{name}.toml")
    except sim.ScenarioError as exc:
        return None, name, str(exc)
    return data, name, None


def economy_overrides(base: sim.Scenario, sid: str) -> dict:
    """Widgets for the unemployment path and shocks; returns dotted overrides."""
    o: dict = {}
    u = base.economy.unemployment
    paths = ["as in the scenario", "constant", "sudden shock", "random business cycle"]
    path = st.radio("Unemployment path", paths, key=f"upath.{sid}",
                    help=f"The scenario's own path is '{u.kind}'.")
    start_rate = {"constant": getattr(u, "rate", None), "regime": getattr(u, "expansion_rate", None),
                  "series": (getattr(u, "values", None) or [None])[0]}.get(u.kind)
    if start_rate is None:
        start_rate = simconfig.ConstantUnemployment().rate
    if path == "constant":
        rate = st.slider("Unemployment rate, %", 0.0, 30.0, float(start_rate), 0.1, key=f"urate.{sid}")
        o["economy.unemployment"] = {"kind": "constant", "rate": rate}
    elif path == "sudden shock":
        c1, c2 = st.columns(2)
        peak = c1.slider("Peak rate, %", 0.0, 30.0, 10.0, 0.5, key=f"upeak.{sid}")
        at = c2.number_input("From month", 0, 600, 6, key=f"uat.{sid}")
        length = st.slider("Months at the peak", 1, 120, 18, key=f"ulen.{sid}")
        horizon = base.horizon_months
        values = [float(start_rate)] * max(horizon, at + length + 1)
        for m in range(at, at + length):
            values[m] = peak
        o["economy.unemployment"] = {"kind": "series", "frequency": "monthly", "values": values,
                                     "start": "month 0"}
    elif path == "random business cycle":
        c1, c2 = st.columns(2)
        calm = c1.number_input("Expansion rate, %", 0.0, 30.0, 4.6, 0.1, key=f"uexp.{sid}")
        bad = c2.number_input("Recession rate, %", 0.0, 30.0, 9.5, 0.1, key=f"urec.{sid}")
        start_bad = st.checkbox("Start in a recession", key=f"ustart.{sid}")
        o["economy.unemployment"] = {"kind": "regime", "expansion_rate": calm, "recession_rate": bad,
                                     "start_in_recession": start_bad}
    shock = st.slider("Expense shocks: monthly probability", 0.0, 0.2,
                      float(base.economy.expense_shock_probability), 0.005, key=f"shock.{sid}",
                      help="Illness, repairs: each costs about a month of income on average.")
    o["economy.expense_shock_probability"] = shock
    if st.checkbox("Income support for the unemployed", key=f"support.{sid}"):
        c1, c2 = st.columns(2)
        amount = c1.number_input("$ a month", 0.0, 10_000.0, 600.0, 50.0, key=f"support_amt.{sid}")
        months = c2.slider("Months", 0, 600, (0, 12), key=f"support_months.{sid}")
        o["economy.income_support"] = [{"amount": amount, "start_month": months[0], "end_month": months[1]}]
    return o


def own_setup() -> tuple[list[ArmSpec], str | None]:
    """The set-up panel for a comparison of strategies on one scenario."""
    source = st.sidebar.radio("Scenario source", ["Built-in", "Upload a file"], key="source", horizontal=True)
    data, sid, error = load_base_scenario(source)
    if error:
        st.sidebar.error(error)
        return [], error
    base = simconfig.validate(data, sid)
    overrides: dict = {}
    with st.sidebar.expander("Economy and shocks", expanded=False):
        overrides |= economy_overrides(base, sid)
    with st.sidebar.expander("Population", expanded=False):
        overrides["population.n_borrowers"] = st.number_input(
            "Households", 100, MAX_HOUSEHOLDS, DEFAULT_HOUSEHOLDS, 500, key=f"n.{sid}",
            help=f"The scenario file has {base.population.n_borrowers:,}; the app starts small so that "
                 "results come back in seconds.")
        pop = base.population
        overrides["population.literacy_mean"] = st.slider(
            "Mean financial literacy (0-1)", 0.0, 1.0, float(pop.literacy_mean), 0.05, key=f"lit.{sid}")
        overrides["population.reachable_share"] = st.slider(
            "Share with valid contact details", 0.0, 1.0, float(pop.reachable_share), 0.05, key=f"reach.{sid}")
        overrides["population.savings_months_median"] = st.slider(
            "Median savings, months of income", 0.0, 12.0, float(pop.savings_months_median), 0.1,
            key=f"sav.{sid}")
    with st.sidebar.expander("Regulation", expanded=False):
        regimes = list(REGIMES)
        current = base.regulation.regime if base.regulation.regime in regimes else regimes[0]
        regime = st.selectbox("Regulation regime", regimes, index=regimes.index(current), key=f"regime.{sid}",
                              help="Rules the contact calendar enforces; from sim.regulation.REGIMES.")
        st.caption(REGIMES[regime].description)
        overrides["regulation.regime"] = regime
    with st.sidebar.expander("Run length", expanded=False):
        overrides["horizon_months"] = st.number_input("Horizon, months", 1, 600, base.horizon_months,
                                                      key=f"horizon.{sid}")
        overrides["burn_in_months"] = st.number_input(
            "Burn-in, months", 0, 600, base.burn_in_months, key=f"burn.{sid}",
            help="Months simulated before recording, so the loan book reaches a steady state.")
    with st.sidebar.expander("More parameters (TOML)", expanded=False):
        extra_text = st.text_area(
            "Any parameter of the scenario file", key=f"extra.{sid}", height=110,
            placeholder='[behaviour]\ncontact_tolerance = 6\n\n[tactics]\nsale_price = 0.04',
            help="TOML merged into the scenario; see docs/ODD.md for every parameter.")
    with st.sidebar.expander("Starting portfolio (optional)", expanded=False):
        uploaded_portfolio, portfolio_error = portfolio_upload(sid)
    if portfolio_error:
        st.sidebar.error(portfolio_error)
        return [], portfolio_error
    if uploaded_portfolio is not None:
        overrides["portfolio"] = str(uploaded_portfolio)
    try:
        scenario = sim.load_scenario(data, **overrides)
        if extra_text.strip():
            extra = simconfig.parse_toml(extra_text, "more parameters")
            scenario = simconfig.validate(deep_merge(scenario.model_dump(mode="json"), extra), "more parameters")
    except sim.ScenarioError as exc:
        st.sidebar.error(str(exc))
        return [], str(exc)
    if scenario.population.n_borrowers > MAX_HOUSEHOLDS:
        msg = (f"population.n_borrowers: {scenario.population.n_borrowers:,} households is more than the app's "
               f"limit of {MAX_HOUSEHOLDS:,}; run bigger populations with `python -m sim`")
        st.sidebar.error(msg)
        return [], msg
    if scenario.portfolio is not None and scenario.portfolio not in (data.get("portfolio"),
                                                                     str(uploaded_portfolio)):
        msg = ("portfolio: a scenario edited or uploaded here cannot name a portfolio file (the app does not "
               "read files from the server's disk); use a built-in portfolio scenario or the command line")
        st.sidebar.error(msg)
        return [], msg
    declared = {d.name: d.description or "declared in the scenario file" for d in scenario.strategies}
    strategies = strategy_picker(declared)
    if len(strategies) < 2:
        msg = "Choose two or more strategies to compare."
        st.sidebar.error(msg)
        return [], msg
    arms = [ArmSpec(name, name, simconfig.scenario_to_toml(sim.load_scenario(scenario, strategy=name)),
                    strategy_description(name, declared)) for name in strategies]
    return arms, None


MAX_PORTFOLIO_UPLOAD_MB = 20
MAX_PORTFOLIO_ACCOUNTS = 200_000


def portfolio_upload(sid: str) -> tuple[Path | None, str | None]:
    """An uploaded portfolio (CSV or Parquet), validated by :func:`sim.portfolio.validate_portfolio` with the
    same messages as the command line; a valid one is kept in a temporary file named by its hash (data only:
    nothing uploaded is executed or unpickled). Returns (its path, or None; the error, or None)."""
    from sim.portfolio import load_portfolio, validate_portfolio

    upload = st.file_uploader(
        f"Portfolio file (CSV or Parquet, at most {MAX_PORTFOLIO_UPLOAD_MB} MB)", type=["csv", "parquet"],
        key=f"portfolio.{sid}", max_upload_size=MAX_PORTFOLIO_UPLOAD_MB,
        help="Start from your own accounts instead of a synthetic population; schema in docs/portfolio.md.")
    st.caption("Columns: account_id, lender, product, balance, rate, remaining_term, days_past_due, and where "
               "known income or income_band, score, region, borrower_id. Missing columns are filled from "
               "documented distributions.")
    if upload is None:
        return None, None
    raw = upload.getvalue()
    problems = validate_portfolio(raw, name=upload.name)
    if problems:
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5:,} more)" if len(problems) > 5 else ""
        return None, f"{upload.name}: {len(problems):,} problem(s): {shown}{more}"
    portfolio = load_portfolio(raw, name=upload.name)
    if len(portfolio.frame) > MAX_PORTFOLIO_ACCOUNTS:
        return None, (f"{upload.name}: {len(portfolio.frame):,} accounts is more than the app's limit of "
                      f"{MAX_PORTFOLIO_ACCOUNTS:,}; run bigger portfolios with `python -m sim`")
    folder = Path(tempfile.gettempdir()) / "collection-lab-portfolios"
    folder.mkdir(exist_ok=True)
    suffix = ".parquet" if raw[:4] == b"PAR1" else ".csv"
    path = folder / f"{portfolio.sha256}{suffix}"
    if not path.exists():
        path.write_bytes(raw)
    filled = ", ".join(f"{column} ({count:,})" for column, count in portfolio.filled_columns.items())
    st.success(f"{upload.name}: {len(portfolio.frame):,} accounts, no problems"
               + (f"; filled from documented distributions: {filled}" if filled else ""))
    return path, None


def strategy_description(name: str, declared: dict[str, str] | None = None) -> str:
    if name in sim.STRATEGIES:
        return sim.STRATEGIES[name].description
    return (declared or {}).get(name, "declared in the scenario file")


def strategy_picker(declared: dict[str, str]) -> list[str]:
    """Registered strategies, plus those the scenario file declares (ladders written in TOML)."""
    names = [*sim.STRATEGIES, *[n for n in declared if n not in sim.STRATEGIES]]
    current = st.session_state.get("strategies")
    if current is not None and any(n not in names for n in current):
        st.session_state["strategies"] = [n for n in current if n in names]
    chosen = st.sidebar.multiselect(
        "Strategies (the first is the champion)", names, default=default_strategies(), key="strategies",
        bind="query-params", help="From sim.STRATEGIES: a new strategy class appears here.")
    with st.sidebar.expander("What the strategies do", expanded=False):
        for name in names:
            st.markdown(f"**{name}**: {strategy_description(name, declared)}")
    return list(chosen)


def tour_setup(key: str, n_borrowers: int) -> tuple[list[ArmSpec], str | None]:
    """The arms of a guided-tour preset."""
    p = next(p for p in PRESETS if p.key == key)
    st.sidebar.info(f"**{p.title}**\n\n{p.question}")
    arms = []
    try:
        for arm in p.arms:
            scn = sim.load_scenario(arm.scenario, **{"population.n_borrowers": n_borrowers, **arm.overrides},
                                    strategy=arm.strategy)
            arms.append(ArmSpec(arm.label, arm.strategy, simconfig.scenario_to_toml(scn),
                                f"{strategy_description(arm.strategy)} · scenario {arm.scenario}"
                                + "".join(f" · {k.split('.')[-1]} {v}" for k, v in arm.overrides.items())))
    except sim.ScenarioError as exc:
        st.sidebar.error(str(exc))
        return [], str(exc)
    return arms, None


def load_tour(key: str) -> None:
    st.session_state["tour"] = key
    st.session_state["ran"] = True


def setup_panel() -> Setup:
    st.sidebar.header("Set-up")
    st.sidebar.toggle("Learn mode", key="learn", bind="query-params",
                      help="Plain-language explanations beside every mechanism and chart.")
    keys = [OWN, *[p.key for p in PRESETS]]
    titles = {OWN: "My own comparison", **{p.key: f"Tour: {p.title}" for p in PRESETS}}
    tour = st.sidebar.selectbox("Comparison", keys, format_func=titles.get, key="tour", bind="query-params")
    if tour == OWN:
        arms, error = own_setup()
        title = "Strategies compared"
    else:
        n = st.sidebar.number_input("Households", 100, MAX_HOUSEHOLDS, DEFAULT_HOUSEHOLDS, 500, key=f"n.tour.{tour}")
        arms, error = tour_setup(tour, n)
        title = titles[tour][6:]
    c1, c2 = st.sidebar.columns(2)
    reps = c1.number_input("Replications", 1, MAX_REPS, DEFAULT_REPS, key="reps", bind="query-params",
                           help="Each replication draws new households and shocks (seed + r).")
    seed = c2.number_input("Seed", 0, 2**31 - 1, 0, key="seed", bind="query-params")
    return Setup(arms, int(seed), int(reps), error, title)


# ------------------------------------------------------------------------------------------------
# Results views
# ------------------------------------------------------------------------------------------------
def arm_order(res: dict) -> list[str]:
    return list(res["labels"])


PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


def color_scale(res: dict, legend: bool = True, lines: bool = False) -> dict:
    """The same colour for an arm on every chart."""
    order = arm_order(res)
    palette = [PALETTE[i % len(PALETTE)] for i in range(len(order))]
    style = {"orient": "bottom"} | ({"symbolType": "stroke", "symbolOpacity": 1, "symbolStrokeWidth": 3}
                                    if lines else {})
    return N("arm", "Strategy", sort=order, scale={"domain": order, "range": palette},
             legend=style if legend else None)


def monthly_all(res: dict) -> pd.DataFrame:
    """The monthly rows of all lenders together (what the charts show)."""
    if "monthly_all" not in res:
        m = res["tables"]["monthly"]
        res["monthly_all"] = m[(m["lender"] == "all").to_numpy()]
    return res["monthly_all"]


def series_chart(res: dict, column: str, title: str, axis_format: str) -> tuple[pd.DataFrame, dict]:
    """Mean across replications by month, with a 95% band, one line per arm."""
    b = band(monthly_all(res), column)
    tip = [N("arm"), Q("month"), Q("mean", format=".4g"), Q("lo", "95% low", format=".4g"),
           Q("hi", "95% high", format=".4g")]
    spec = {
        "title": title, "height": 300,
        "encoding": {"x": Q("month", "month")},
        "layer": [
            {"mark": {"type": "area", "opacity": 0.2},
             "encoding": {"y": Q("lo", ""), "y2": {"field": "hi"}, "color": color_scale(res, lines=True)}},
            {"mark": {"type": "line", "strokeWidth": 2}, "encoding": {
                "y": Q("mean", "", axis={"format": axis_format}, scale={"zero": False}),
                "color": color_scale(res, lines=True),
                "tooltip": tip}},
        ],
    }
    return b, spec


def summary_all(res: dict) -> pd.DataFrame:
    s = res["tables"]["summary"]
    return s[s["lender"] == "all"]


def view_cards(res: dict) -> None:
    s = summary_all(res)
    means = s.groupby("arm", sort=False)[[k for k, *_ in CARD_OUTCOMES]].mean()
    ct = confidence_table(s, [k for k, *_ in CARD_OUTCOMES], by="arm", order=arm_order(res))
    ct = ct.set_index(["arm", "outcome"])
    champion = arm_order(res)[0]
    note("cards")
    labels = arm_order(res)
    per_row = min(len(labels), 3)
    for start in range(0, len(labels), per_row):
        cols = st.columns(per_row)
        for col, label in zip(cols, labels[start:start + per_row], strict=False):
            with col.container(border=True):
                st.markdown(f"**{label}**" + (" · champion" if label == champion else ""))
                st.caption(res["descriptions"][label])
                grid = st.columns(2)
                for i, (key, name, kind, higher, meaning) in enumerate(CARD_OUTCOMES):
                    value = means.loc[label, key]
                    lo, hi = ct.loc[(label, key), ["ci_low", "ci_high"]]
                    delta = None
                    if label != champion:
                        d = value - means.loc[champion, key]
                        delta = f"{100 * d:+.1f} pp" if kind == "pct" else f"{d:+,.1f}"
                    grid[i % 2].metric(name, fmt(value, kind), delta=delta,
                                       delta_color="normal" if higher else "inverse",
                                       help=f"{meaning} 95% CI across replications: {fmt(lo, kind)} to "
                                            f"{fmt(hi, kind)}.")


def view_results(res: dict) -> None:
    st.subheader(res["title"])
    st.caption(f"{len(arm_order(res))} arms × {res['reps']} replications, seeds {res['seed']}-"
               f"{res['seed'] + res['reps'] - 1} (replication r uses seed + r for every arm). "
               f"Shaded bands: 95% confidence interval of the mean across replications.")
    view_cards(res)
    st.markdown("#### Over time")
    monthly = res["tables"]["monthly"]
    for column, title, axis_format in SERIES:
        if column in monthly.columns:
            show_chart(*series_chart(res, column, title, axis_format), column)
    st.markdown("#### Any outcome")
    cols = [c for c in simmetrics.MONTHLY_COLUMNS if c in monthly.columns]
    pick = st.selectbox("Monthly outcome (from sim.metrics)", cols, key="any_outcome", format_func=pretty,
                        index=cols.index("cure_rate") if "cure_rate" in cols else 0)
    show_chart(*series_chart(res, pick, pretty(pick), "%" if is_rate(pick) else ",.4g"), "any")


def tradeoff_chart(res: dict, x: str, y: str, x_title: str, y_title: str, title: str) -> tuple[pd.DataFrame, dict]:
    """One point per arm at the mean of two outcomes, with 95% confidence intervals as crosses."""
    ct = confidence_table(summary_all(res), [x, y], by="arm", order=arm_order(res))
    ct["ci_low"] = ct["ci_low"].fillna(ct["mean"])  # one replication: no interval
    ct["ci_high"] = ct["ci_high"].fillna(ct["mean"])
    wide = ct.pivot(index="arm", columns="outcome", values=["mean", "ci_low", "ci_high"])
    wide.columns = [f"{a}__{b}" for a, b in wide.columns]
    wide = wide.reset_index()
    xs = Q(f"mean__{x}", x_title, scale={"zero": False})
    ys = Q(f"mean__{y}", y_title, scale={"zero": False}, axis={"format": "%"})
    spec = {
        "title": title, "height": 400,
        "encoding": {"color": color_scale(res)},
        "layer": [
            {"mark": "rule", "encoding": {"x": Q(f"ci_low__{x}", x_title), "x2": {"field": f"ci_high__{x}"},
                                          "y": ys}},
            {"mark": "rule", "encoding": {"y": Q(f"ci_low__{y}", y_title), "y2": {"field": f"ci_high__{y}"},
                                          "x": xs}},
            {"mark": {"type": "point", "size": 120, "filled": True}, "encoding": {
                "x": xs, "y": ys, "tooltip": [N("arm"), Q(f"mean__{x}", x_title, format=".3g"),
                                              Q(f"mean__{y}", y_title, format=".3%")]}},
            {"mark": {"type": "text", "dy": -12}, "encoding": {"x": xs, "y": ys, "text": {"field": "arm"}}},
        ],
    }
    return wide, spec


def view_tradeoffs(res: dict) -> None:
    st.subheader("Trade-offs: money against complaints and well-being")
    show_chart(*tradeoff_chart(res, "complaints_per_1000", "recovery_rate_net", "Complaints per 1,000 in collection",
                               "Recovery, net of cost", "Recovery against complaints"), "tradeoff")
    show_chart(*tradeoff_chart(res, "wellbeing_mean", "recovery_rate_net", "Mean well-being (0-100)",
                               "Recovery, net of cost", "Recovery against well-being"), "tradeoff")
    st.markdown("#### Every outcome, with 95% confidence intervals")
    keys = [k for k in simmetrics.SUMMARY_KEYS if k in summary_all(res).columns]
    ct = confidence_table(summary_all(res), keys, by="arm", order=arm_order(res))
    table = ct.pivot(index="outcome", columns="arm", values="mean").loc[keys, arm_order(res)]
    table.index = [pretty(k) for k in table.index]
    st.dataframe(table.style.format("{:,.4g}"), width="stretch")


def view_segments(res: dict) -> None:
    st.subheader("Who bears it: by income and financial literacy")
    seg = res["tables"]["segments"]
    cols = [c for c in simmetrics.SEGMENT_COLUMNS if c in seg.columns]
    pick = st.selectbox("Outcome", cols, key="segment_outcome", format_func=pretty)
    per_rep = seg.groupby(["arm", "rep", "dimension", "segment"], sort=False)[pick].mean().reset_index()
    b = band(per_rep, pick, by=("arm", "dimension", "segment"))
    fmt_axis = "%" if is_rate(pick) else ",.3g"
    for dim, title in (("income_quintile", "By income quintile (Q1 poorest)"), ("literacy", "By financial literacy")):
        part = b[b["dimension"] == dim]
        if not len(part):
            continue
        part = part.assign(segment=part["segment"].map(segment_label))
        order = list(dict.fromkeys(part["segment"]))
        spec = {
            "title": title, "height": 340,
            "encoding": {"x": N("segment", "", sort=order, axis={"labelAngle": 0}),
                         "xOffset": N("arm", sort=arm_order(res)),
                         "color": color_scale(res)},
            "layer": [
                {"mark": "bar", "encoding": {"y": Q("mean", pretty(pick), axis={"format": fmt_axis}),
                                             "tooltip": [N("arm"), N("segment"), Q("mean", format=".4g")]}},
                {"mark": {"type": "rule", "color": "black"},
                 "encoding": {"y": Q("lo", pretty(pick)), "y2": {"field": "hi"}}},
            ],
        }
        show_chart(part, spec, "segments")
    table = b.pivot_table(index=["dimension", "segment"], columns="arm", values="mean", sort=False)
    st.dataframe(table[arm_order(res)], width="stretch")


def view_complaints(res: dict) -> None:
    st.subheader("Complaints by category and channel")
    s = summary_all(res)
    for prefix, title in (("complaints_via_", "By channel"), ("complaints_", "By category")):
        keys = [k for k in simmetrics.SUMMARY_KEYS if k.startswith(prefix) and k.endswith("_per_1000")
                and (prefix == "complaints_via_" or not k.startswith("complaints_via_")) and k in s.columns]
        long = (s.groupby("arm", sort=False)[keys].mean().reset_index()
                .melt("arm", var_name="kind", value_name="per_1000"))
        long["kind"] = long["kind"].str.removeprefix(prefix).str.removesuffix("_per_1000").str.replace("_", " ")
        spec = {"title": title, "height": 150 + 35 * len(arm_order(res)), "mark": "bar", "encoding": {
            "y": N("arm", "", sort=arm_order(res)),
            "x": Q("per_1000", "complaints per 1,000 accounts in collection per month"),
            "color": N("kind", title.removeprefix("By ")),
            "tooltip": [N("arm"), N("kind"), Q("per_1000", format=".2f")]}}
        show_chart(long, spec, "complaints")
    show_chart(*series_chart(res, "complaints_per_1000", "Complaints per 1,000 over time", ",.0f"),
               "complaints_per_1000")
    keys = [k for k in simmetrics.SUMMARY_KEYS if k.startswith("complaints") and k in s.columns]
    ct = confidence_table(s, keys, by="arm", order=arm_order(res))
    ct["value"] = [f"{m:,.2f} ({lo:,.2f} to {hi:,.2f})" for m, lo, hi in zip(ct["mean"], ct["ci_low"], ct["ci_high"],
                                                                            strict=True)]
    table = ct.pivot(index="outcome", columns="arm", values="value").loc[keys, arm_order(res)]
    table.index = [pretty(k) for k in table.index]
    st.caption("Mean (95% confidence interval) across replications.")
    st.dataframe(table, width="stretch")


def view_rules(res: dict) -> None:
    st.subheader("Rule violations: calls dropped or that a rule would have dropped")
    note("rules")
    s = summary_all(res)
    keys = [k for k in simmetrics.SUMMARY_KEYS if (k.startswith("clipped_") or k.startswith("would_clip_"))
            and k in s.columns]
    long = s.groupby("arm", sort=False)[keys].mean().reset_index().melt("arm", var_name="rule", value_name="count")
    long["kind"] = np.where(long["rule"].str.startswith("would_"), "would clip (reference regime)", "clipped")
    long["rule"] = long["rule"].str.replace("would_clip_", "").str.replace("clipped_", "").str.replace("_", " ")
    for kind, title in (("clipped", "Requests clipped by rule (dropped by the regime)"),
                        ("would clip (reference regime)", "Requests the reference regime's rules would clip")):
        part = long[long["kind"] == kind]
        chart(st, part, {"title": title, "height": 150 + 35 * len(arm_order(res)), "mark": "bar", "encoding": {
            "y": N("arm", "", sort=arm_order(res)), "x": Q("count", "requests over the run (mean)"),
            "color": N("rule"), "tooltip": [N("arm"), N("rule"), Q("count", format=",.0f")]}})
    regimes = res.get("regimes", {})
    if regimes:
        st.caption("Regimes: " + "; ".join(f"{arm}: {r}" for arm, r in regimes.items()))
    st.dataframe(long.pivot_table(index=["kind", "rule"], columns="arm", values="count", sort=False)[arm_order(res)],
                 width="stretch")


def view_costs(res: dict) -> None:
    st.subheader("Costs of collection")
    note("costs")
    s = summary_all(res)
    keys = [k for k in ("collected", "collection_cost", "cost_to_collect", "call_attempts", "visits", "lawsuits",
                        "plans_accepted") if k in s.columns]
    table = s.groupby("arm", sort=False)[keys].mean().T[arm_order(res)]
    table.index = [pretty(k) for k in table.index]
    st.dataframe(table.style.format("{:,.3g}"), width="stretch")
    monthly = res["tables"]["monthly"]
    for column in ("collection_cost", "agency_fees", "call_attempts"):
        if column in monthly.columns:
            show_chart(*series_chart(res, column, f"{pretty(column)} per month", ",.3s"), "costs")


# ------------------------------------------------------------------------------------------------
# Borrower explorer
# ------------------------------------------------------------------------------------------------
def segment_label(segment: str) -> str:
    """income_q1 -> "income Q1", literacy_low -> "literacy low"."""
    kind, _, level = segment.partition("_")
    return f"{kind} {level.upper() if level.startswith('q') else level}"


def literacy_groups(traces: pd.DataFrame) -> pd.Series:
    """Literacy tercile of each traced household (engine column if present, else within the traced)."""
    first = traces.drop_duplicates("household").set_index("household")
    for col in ("literacy_segment", "literacy_tercile"):
        if col in first.columns:
            values = first[col]
            if col == "literacy_tercile":
                values = values.map({0: "literacy_low", 1: "literacy_medium", 2: "literacy_high"})
            return values
    cuts = np.quantile(first["literacy"], [1 / 3, 2 / 3])
    names = np.array(["literacy_low", "literacy_medium", "literacy_high"])
    return pd.Series(names[np.searchsorted(cuts, first["literacy"])], index=first.index)


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
            events.append(f"complained: {rec.complaint_detail}")
        if events:
            rows.append({"month": rec.month, "what happened": "; ".join(events),
                         "well-being": round(rec.wellbeing, 1)})
    return pd.DataFrame(rows)


def view_explorer(res: dict) -> None:
    st.subheader("Borrower explorer: one household's story")
    note("explorer")
    traces = res["tables"]["traces"]
    if not len(traces):
        st.warning("This run recorded no household traces.")
        return
    labels = arm_order(res)
    arm = st.selectbox("Strategy", labels, key="explorer_arm")
    tr = traces[traces["arm"] == arm]
    first = tr.drop_duplicates("household").set_index("household")
    behind = tr.groupby("household")["worst_dpd"].max()
    lit = literacy_groups(tr)
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
                                  f"{lit[h].removeprefix('literacy_')} literacy · "
                                  f"{'fell behind' if behind[h] >= 30 else 'kept up'}")
    else:
        segments = [s for s in simmetrics.SEGMENT_LABELS]
        c1, c2 = st.columns([3, 1])
        seg = c1.selectbox("Segment", segments, key="explorer_segment", format_func=pretty)
        if c2.button("Draw another", key="explorer_draw"):
            st.session_state["explorer_draws"] = st.session_state.get("explorer_draws", 0) + 1
        if seg.startswith("income_q"):
            pool = [h for h in households if f"income_q{first.loc[h, 'income_quintile']}" == seg]
        else:
            pool = [h for h in households if lit[h] == seg]
            st.caption("Literacy thirds are taken among the traced households.")
        if not pool:
            st.warning(f"No traced household in {pretty(seg)}.")
            return
        rng = np.random.default_rng([res["seed"], st.session_state.get("explorer_draws", 0)])
        household = pool[int(rng.integers(len(pool)))]
    h = tr[tr["household"] == household].sort_values("month")
    info = first.loc[household]
    c = st.columns(5)
    c[0].metric("Income quintile", f"Q{info['income_quintile']}")
    c[1].metric("Financial literacy", f"{info['literacy']:.2f}")
    c[2].metric("Total paid", f"${h['paid'].sum():,.0f}")
    c[3].metric("Worst days past due", f"{h['worst_dpd'].max():.0f}")
    c[4].metric("Complaints", f"{h['complaints'].sum():.0f}")
    money = h.melt("month", ["income", "essentials", "due", "paid", "consumption"], var_name="flow",
                   value_name="amount")
    show_chart(money, {"title": "Income, essentials, what was due and what was paid", "height": 320, "mark": "line",
                       "encoding": {"x": Q("month"), "y": Q("amount", "$ a month"), "color": N("flow"),
                                    "tooltip": [Q("month"), N("flow"), Q("amount", "$", format=",.0f")]}}, "explorer")
    channels = [c for c in ("reminders", "call_attempts", "night_calls", "conversations", "visits", "offers_made",
                            "lawsuits") if c in h.columns]
    contacts = h.melt("month", channels, var_name="channel", value_name="count")
    chart(st, contacts, {"title": "Contacts by channel", "height": 300, "mark": "bar", "encoding": {
        "x": {"field": "month", "type": "ordinal"}, "y": Q("count", "contacts"), "color": N("channel"),
        "tooltip": [Q("month"), N("channel"), Q("count")]}})
    left, right = st.columns(2)
    chart(left, h, {"title": "Stress (0-1)", "height": 240, "mark": {"type": "line", "color": "#d62728"},
                    "encoding": {"x": Q("month"), "y": Q("stress", scale={"domain": [0, 1]})}})
    chart(right, h, {"title": "Well-being (0-100)", "height": 240, "mark": "line",
                     "encoding": {"x": Q("month"), "y": Q("wellbeing", "well-being", scale={"domain": [0, 100]})}})
    st.markdown("##### Month by month")
    st.dataframe(story(h), hide_index=True, width="stretch")
    same = traces[traces["household"] == household]
    if same["arm"].nunique() > 1:
        st.markdown("##### The same household under every strategy")
        chart(st, same[["month", "arm", "wellbeing"]], {
            "title": "Well-being of this household under each strategy", "height": 300, "mark": "line",
            "encoding": {"x": Q("month"), "y": Q("wellbeing", "well-being", scale={"zero": False}),
                         "color": color_scale(res)}})
    with st.expander("Raw trace"):
        st.dataframe(h, hide_index=True)


# ------------------------------------------------------------------------------------------------
# Learn mode
# ------------------------------------------------------------------------------------------------
def view_learn() -> None:
    st.subheader("How the model works")
    st.caption("Switch on Learn mode in the set-up panel to see explanations beside every chart.")
    for title, text in MECHANISMS:
        with st.expander(title, expanded=bool(st.session_state.get("learn"))):
            st.write(text)
    st.markdown("#### Guided tour")
    st.write("Ready-made comparisons. Load one, press nothing else, and read the results tabs.")
    for p in PRESETS:
        with st.container(border=True):
            st.markdown(f"**{p.title}**")
            st.write(p.question)
            if st.session_state.get("learn"):
                st.write(p.explanation)
            st.markdown("What to look for:\n" + "\n".join(f"- {x}" for x in p.look_for))
            st.caption("Arms: " + "; ".join(f"{a.label} ({a.scenario}, {a.strategy})" for a in p.arms))
            st.button("Load this comparison", key=f"tour_{p.key}", on_click=load_tour, args=(p.key,))
    st.markdown("#### The strategies")
    for name, cls in sim.STRATEGIES.items():
        with st.expander(f"{name}: {cls.description}"):
            st.write((cls.__doc__ or "").strip())
            st.json(cls.classifier, expanded=False)
    st.markdown("#### The regulation regimes")
    st.dataframe(pd.DataFrame([{"regime": r.name, "rules": r.description, "source": r.source}
                               for r in REGIMES.values()]),
                 hide_index=True, width="stretch")
    st.markdown("#### Tactics and the evidence")
    st.dataframe(pd.DataFrame(TACTIC_EVIDENCE, columns=["tactic", "cost", "effect"]), hide_index=True, width="stretch")
    st.markdown("#### Well-being bands (CFPB scale)")
    st.dataframe(pd.DataFrame(WELLBEING_BANDS, columns=["band", "index"]), hide_index=True)


# ------------------------------------------------------------------------------------------------
# Downloads
# ------------------------------------------------------------------------------------------------
def scenario_bundle(res: dict) -> str:
    """The exact scenario file of every arm, as one commented text (the first arm's file first)."""
    parts = []
    for label in arm_order(res):
        parts.append(f"# ---- arm: {label} (seeds {res['seed']}..{res['seed'] + res['reps'] - 1}) ----\n"
                     + res["tomls"][label])
    return "\n".join(parts)


def toml_download(res: dict, where, key: str) -> None:
    """Download the exact scenario TOML behind the results: one file, or a zip with one per arm."""
    tomls = res["tomls"]
    if len(set(tomls.values())) == 1 or len(tomls) == 1:
        data, name, mime = next(iter(tomls.values())), "scenario.toml", "application/toml"
    else:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for i, label in enumerate(arm_order(res)):
                safe = "".join(ch if ch.isalnum() else "_" for ch in label)
                z.writestr(f"{i + 1}_{safe}.toml",
                           f"# arm: {label}; replication r uses seed {res['seed']} + r\n{tomls[label]}")
        data, name, mime = buf.getvalue(), "scenarios.zip", "application/zip"
    where.download_button("Download the scenario files (TOML)", data, file_name=name, mime=mime,
                          key=key, help="The exact validated scenario of every arm: rerun "
                          "with `python -m sim` or upload it here.")


def png_series(res: dict) -> bytes:
    from matplotlib.figure import Figure  # no pyplot: its global state is not for a threaded server

    m = monthly_all(res)
    fig = Figure(figsize=(4 * len(SERIES), 3.2), layout="constrained")
    axes = fig.subplots(1, len(SERIES))
    for ax, (column, title, _) in zip(axes, SERIES, strict=True):
        if column not in m.columns:
            continue
        b = band(m, column)
        for label in arm_order(res):
            part = b[b["arm"] == label]
            (line,) = ax.plot(part["month"], part["mean"], label=label)
            ax.fill_between(part["month"], part["lo"], part["hi"], color=line.get_color(), alpha=0.2)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("month")
    axes[0].legend(fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    return buf.getvalue()


def png_tradeoff(res: dict) -> bytes:
    from matplotlib.figure import Figure

    s = summary_all(res)
    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, x, title in ((axes[0], "complaints_per_1000", "Complaints per 1,000 in collection"),
                         (axes[1], "wellbeing_mean", "Mean well-being (0-100)")):
        ct = confidence_table(s, [x, "recovery_rate_net"], by="arm", order=arm_order(res))
        ct = ct.fillna({"ci_low": ct["mean"], "ci_high": ct["mean"]}).set_index(["arm", "outcome"])
        for label in arm_order(res):
            cx, cy = ct.loc[(label, x)], ct.loc[(label, "recovery_rate_net")]
            ax.errorbar(cx["mean"], cy["mean"], xerr=[[cx["mean"] - cx["ci_low"]], [cx["ci_high"] - cx["mean"]]],
                        yerr=[[cy["mean"] - cy["ci_low"]], [cy["ci_high"] - cy["mean"]]], fmt="o", capsize=4,
                        label=label)
        ax.set_xlabel(title)
        ax.set_ylabel("Recovery, net of cost")
    axes[0].legend(fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    return buf.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def view_downloads(res: dict) -> None:
    st.subheader("Download the results")
    st.caption("Tables have one row per arm, replication and month (or lender, or segment). The scenario "
               "files reproduce them exactly with the seeds shown.")
    tables = res["tables"]
    for name in ("summary", "monthly", "segments", "traces"):
        frame = tables[name]
        if not len(frame):
            continue
        c1, c2, c3 = st.columns([2, 1, 1])
        c1.markdown(f"**{name}** · {len(frame):,} rows")
        c2.download_button("CSV", lambda f=frame: f.to_csv(index=False).encode(), file_name=f"{name}.csv",
                           mime="text/csv", key=f"csv_{name}")
        c3.download_button("Parquet", lambda f=frame: parquet_bytes(f), file_name=f"{name}.parquet",
                           mime="application/vnd.apache.parquet", key=f"parquet_{name}")
    st.markdown("**Figures**")
    c1, c2 = st.columns(2)
    c1.download_button("Monthly series (PNG)", lambda: png_series(res), file_name="series.png", mime="image/png",
                       key="png_series")
    c2.download_button("Trade-offs (PNG)", lambda: png_tradeoff(res), file_name="tradeoffs.png", mime="image/png",
                       key="png_tradeoff")
    st.markdown("**Scenario files** (the exact validated scenario of each arm)")
    toml_download(res, st, "toml_downloads")
    cols = st.columns(min(len(arm_order(res)), 4))
    for i, label in enumerate(arm_order(res)):
        safe = "".join(ch if ch.isalnum() else "_" for ch in label)
        cols[i % len(cols)].download_button(
            f"{label}.toml", f"# arm: {label}; replication r uses seed {res['seed']} + r\n{res['tomls'][label]}",
            file_name=f"{safe}.toml", mime="application/toml", key=f"toml_arm_{i}")
    with st.expander("Show the scenario files"):
        st.code(scenario_bundle(res), language="toml")


# ------------------------------------------------------------------------------------------------
# Page
# ------------------------------------------------------------------------------------------------
def compute(setup: Setup) -> dict | None:
    """Results for the current set-up (cached by configuration), or the last good ones."""
    key = (tuple((a.label, a.toml) for a in setup.arms), setup.seed, setup.reps)
    last = st.session_state.get("results")
    if setup.error or not setup.arms:
        return last
    if last is not None and last["key"] == key:
        return last
    try:
        with st.spinner(f"Running {len(setup.arms)} arms × {setup.reps} replications…"):
            tables = run_comparison(tuple((a.label, a.strategy, a.toml) for a in setup.arms), setup.seed, setup.reps)
    except Exception as exc:  # an engine error must not take the page down  # noqa: BLE001
        st.error(f"The run failed: {type(exc).__name__}: {exc}")
        return last
    res = {"key": key, "labels": [a.label for a in setup.arms],
           "strategy_of": {a.label: a.strategy for a in setup.arms},
           "descriptions": {a.label: a.description for a in setup.arms},
           "tomls": {a.label: a.toml for a in setup.arms}, "seed": setup.seed, "reps": setup.reps,
           "title": setup.title, "tables": tables,
           "regimes": {a.label: simconfig.parse_toml(a.toml).get("regulation", {}).get("regime", "?")
                       for a in setup.arms}}
    st.session_state["results"] = res
    return res


VIEWS = {"Results": view_results, "Trade-offs": view_tradeoffs, "Segments": view_segments,
         "Complaints": view_complaints, "Rules": view_rules, "Costs": view_costs, "Borrowers": view_explorer,
         "Downloads": view_downloads}


def main() -> None:
    started = time.perf_counter()
    st.set_page_config(page_title="Debt-collection lab", layout="wide")
    worker_pool(worker_count())  # start the workers while the user chooses
    setup = setup_panel()
    run_clicked = st.sidebar.button("Run", type="primary", key="run", width="stretch",
                                    disabled=bool(setup.error), help="Compare the chosen strategies.")
    if run_clicked:
        st.session_state["ran"] = True
        st.query_params["run"] = "1"
    if st.query_params.get("run") == "1":
        st.session_state["ran"] = True

    st.title("Debt-collection lab")
    st.caption("An agent-based laboratory: households, lenders, collectors and regulators, month by month. "
               "Choose a scenario and strategies in the set-up panel, then press Run.")
    ran = bool(st.session_state.get("ran"))
    if not ran and not setup.error and len(setup.arms) >= 2:
        prefetch_comparison(setup)  # the set-up on screen runs while the user reads it; Run collects it
    res = compute(setup) if ran else None
    if res is not None and setup.error:
        st.warning("The set-up has a problem (see the panel); showing the last results that ran.")
    if res is not None:
        st.sidebar.markdown("---")
        toml_download(res, st.sidebar, "toml_sidebar")

    tabs = st.tabs(TABS, key="tab", bind="query-params")
    for label, tab in zip(TABS, tabs, strict=True):
        if tab.open is False:
            continue
        with tab:
            view_started = time.perf_counter()
            try:
                if label == "Learn":
                    view_learn()
                elif res is None:
                    st.info("Press **Run** in the set-up panel to compare the strategies "
                            f"({', '.join(a.label for a in setup.arms) or 'choose two or more'}).")
                else:
                    VIEWS[label](res)
            except Exception as exc:  # keep the rest of the page working  # noqa: BLE001
                st.error(f"This view failed: {exc}")
                st.exception(exc)
            if os.environ.get("COLLECTION_LAB_TIMING"):
                print(f"collection-lab: tab {label} in {time.perf_counter() - view_started:.2f} s", file=sys.stderr)
    if os.environ.get("COLLECTION_LAB_TIMING"):
        print(f"collection-lab: page script ran in {time.perf_counter() - started:.2f} s", file=sys.stderr)



# Streamlit runs this script as "__main__"; worker processes re-import it as "__mp_main__" and tests
# import it as "app": they only need its functions, not the page.
if __name__ == "__main__":
    main()
