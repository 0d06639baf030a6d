"""Running a comparison from the page: through the server's :class:`sim.service.RunService`, with progress,
an estimate of the time left and a Cancel button; the results of a Run as one :class:`Results` record.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from sim import config as simconfig
from sim import kernels
from sim.service import (
    RunService,
    comparison_jobs,
    counterfactual_jobs,
    household_months,
    stack_results,
    welfare_table,
)

TRACED_HOUSEHOLDS = 40  # followed month by month in replication 1 (8 per income quintile)
DEFAULT_WORK = 3 * 3 * 1000 * 60  # household-months of the default comparison
PREFETCH_LIMIT = 4 * DEFAULT_WORK  # set-ups up to this size start in the background before Run is pressed
CLI_HINT_S = 60.0  # comparisons expected to take longer than this are offered as a command line too


@dataclass(frozen=True)
class Arm:
    """One side of a comparison: a label, its strategy and the exact TOML of its scenario."""

    label: str
    strategy: str
    toml: str
    description: str = ""


@dataclass
class Setup:
    """What the set-up panel describes: the arms, seeds and replications (or the error that stops a Run)."""

    arms: list[Arm]
    seed: int
    reps: int
    error: str | None
    title: str
    uploads: list[str] = field(default_factory=list)  # what cannot travel in a link: "scenario file", ...

    @property
    def key(self) -> tuple:
        return tuple((a.label, a.toml) for a in self.arms), self.seed, self.reps

    @property
    def jobs(self) -> list:
        return comparison_jobs([a.toml for a in self.arms], self.seed, self.reps, TRACED_HOUSEHOLDS)

    @property
    def work(self) -> int:
        return self.reps * sum(household_months(a.toml) for a in self.arms)


@dataclass
class Results:
    """A finished comparison: the set-up it ran and its stacked tables (see :func:`sim.service.stack_results`)."""

    key: tuple
    labels: list[str]
    arms: dict[str, Arm]
    seed: int
    reps: int
    title: str
    tables: dict[str, pd.DataFrame]
    seconds: float = 0.0
    welfare_sums: list = field(default_factory=list, repr=False)  # each run's meta["welfare"], in job order
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def tomls(self) -> dict[str, str]:
        return {label: arm.toml for label, arm in self.arms.items()}

    @property
    def descriptions(self) -> dict[str, str]:
        return {label: arm.description for label, arm in self.arms.items()}

    def scenario(self, label: str) -> simconfig.Scenario:
        if ("scenario", label) not in self._cache:
            self._cache["scenario", label] = simconfig.validate(simconfig.parse_toml(self.arms[label].toml))
        return self._cache["scenario", label]

    @property
    def seeds(self) -> str:
        return f"{self.seed}" if self.reps == 1 else f"{self.seed}-{self.seed + self.reps - 1}"

    def monthly_all(self) -> pd.DataFrame:
        """The monthly rows of all lenders together (what the charts show)."""
        if "monthly_all" not in self._cache:
            m = self.tables["monthly"]
            self._cache["monthly_all"] = m[(m["lender"] == "all").to_numpy()]
        return self._cache["monthly_all"]

    def summary_all(self) -> pd.DataFrame:
        s = self.tables["summary"]
        return s[s["lender"] == "all"]

    @property
    def jobs(self) -> list:
        return comparison_jobs([self.arms[label].toml for label in self.labels], self.seed, self.reps,
                               TRACED_HOUSEHOLDS)

    @property
    def strategies(self) -> list[str]:
        return [self.arms[label].strategy for label in self.labels]


def worker_count() -> int:
    """Worker processes for the runs: ``COLLECTION_LAB_WORKERS`` if set, else one per core (at most 4)."""
    value = os.environ.get("COLLECTION_LAB_WORKERS", "")
    return int(value) if value.isdigit() else min(os.cpu_count() or 1, 4)


@st.cache_resource(show_spinner="Preparing the engine's compiled kernels (once per server)...")
def warm_kernels() -> float:
    """Compile the engine's kernels, or load them from the disk cache, once per server and before anyone presses
    Run (the worker processes then load them from the cache); return the seconds it took, also logged."""
    seconds = kernels.warm()
    print(f"collection-lab: compiled kernels ready in {seconds:.1f} s", file=sys.stderr)
    return seconds


@st.cache_resource(show_spinner=False)
def run_service(workers: int) -> RunService:
    """The server's run service, shared by every session (serial in this process for fewer than 2)."""
    return RunService(workers)


def service() -> RunService:
    return run_service(worker_count())


def session_id() -> str:
    """This browser session's id (Streamlit's, so that closed sessions can be recognised)."""
    if "_session" not in st.session_state:
        ctx = get_script_run_ctx()
        st.session_state["_session"] = ctx.session_id if ctx is not None else uuid.uuid4().hex
    return st.session_state["_session"]


def forget_closed_sessions() -> None:
    """Withdraw the runs of sessions whose browser has gone (a closed tab's long comparison would otherwise
    hold the big lane until it ends)."""
    svc = service()
    if svc.inline or not runtime.exists():
        return
    active = runtime.get_instance().is_active_session
    for session in svc.sessions():
        if not active(session):
            svc.cancel(session)


def prefetch(setup: Setup) -> None:
    """Start the runs of the set-up on screen in the background, so that Run finds them done. Only for
    comparisons up to four times the default's size: bigger ones wait for Run."""
    svc = service()
    if svc.inline:
        return
    eligible = setup.arms and not setup.error and setup.work <= PREFETCH_LIMIT
    svc.submit(session_id(), setup.jobs if eligible else [], speculative=True)  # drops earlier prefetches


def forget_abandoned(setup: Setup, res: Results | None) -> None:
    """A Run whose set-up was changed before its results came back is withdrawn (its runs are dropped or
    stopped unless another session wants them): its results would never be shown."""
    want = st.session_state.get("want")
    if want is not None and want != setup.key and (res is None or res.key != want):
        service().cancel(session_id())
        st.session_state["want"] = None


def cancel() -> None:
    """The Cancel button: withdraw this session's runs; nothing is shown for the cancelled set-up."""
    service().cancel(session_id())
    st.session_state["want"] = None
    st.session_state["cancelled"] = True


def estimate_seconds(setup: Setup) -> float:
    return service().estimate(setup.jobs)


def cli_command(setup: Setup, file_name: str = "scenario.toml") -> str:
    """The command line that runs the same comparison (the scenario file is the champion's, downloadable)."""
    strategies = ",".join(a.strategy for a in setup.arms)
    return f"python -m sim compare {file_name} --strategies {strategies} --reps {setup.reps} --seed {setup.seed}"


def compute(setup: Setup, where) -> Results | None:
    """Run the set-up (or collect its runs, when they were started in the background), showing progress,
    the time left and a Cancel button in ``where`` while waiting. None when the runs failed."""
    started = time.perf_counter()
    svc = service()
    jobs = setup.jobs
    handle = svc.submit(session_id(), jobs)
    if not handle.done():
        with where.container(border=True):
            st.markdown(f"**Running {setup.title.lower()}**")
            st.button("Cancel", key="cancel", on_click=cancel, icon=":material/stop_circle:",
                      help="Stop these runs; the page keeps what it showed before.")
            bar = st.progress(0.0, text="Starting…")
            while not handle.done():
                done, left = handle.progress()
                bar.progress(done, text=f"Running {len(setup.arms)} arms × {setup.reps} replications "
                                        f"({len(jobs)} runs, {setup.work:,} household-months): {done:.0%} done, "
                                        f"about {_duration(left)} left")
                time.sleep(0.2)
        where.empty()
    try:
        results = handle.results()
    except Exception as exc:  # an engine error must not take the page down  # noqa: BLE001
        st.session_state["want"] = None
        where.error(f"The run failed: {type(exc).__name__}: {exc}")
        return None
    tables = stack_results(results, [a.label for a in setup.arms], [a.strategy for a in setup.arms], jobs,
                           setup.seed)
    seconds = time.perf_counter() - started
    if os.environ.get("COLLECTION_LAB_TIMING"):
        print(f"collection-lab: {len(jobs)} runs in {seconds:.2f} s", file=sys.stderr)
    return Results(key=setup.key, labels=[a.label for a in setup.arms], arms={a.label: a for a in setup.arms},
                   seed=setup.seed, reps=setup.reps, title=setup.title, tables=tables, seconds=seconds,
                   welfare_sums=[r.meta["welfare"] for r in results])


def prefetch_welfare(res: Results) -> None:
    """Start the no-collection runs of ``res`` in the background (after every run that was asked for), so
    that the welfare change is quick when asked for; nothing when it is known or runs are serial."""
    svc = service()
    if svc.inline or "welfare" in res.tables:
        return
    svc.submit(session_id(), counterfactual_jobs(res.jobs), speculative=True)


def compute_welfare(res: Results, where) -> pd.DataFrame | None:
    """The welfare change of every run of ``res`` against no collection (:func:`sim.service.welfare_table`):
    one no-collection run per scenario and seed (the comparison's own runs left their welfare sums in
    ``res``), with progress in ``where``. Kept in ``res.tables["welfare"]``; None when the runs failed."""
    if "welfare" in res.tables:
        return res.tables["welfare"]
    jobs = res.jobs
    extra = counterfactual_jobs(jobs)
    handle = service().submit(session_id(), extra)
    if not handle.done():
        with where.container(border=True):
            bar = st.progress(0.0, text="Starting…")
            while not handle.done():
                done, left = handle.progress()
                bar.progress(done, text=f"Running {len(extra)} runs without collection: {done:.0%} done, "
                                        f"about {_duration(left)} left")
                time.sleep(0.2)
        where.empty()
    try:
        counterfactuals = dict(zip(extra, handle.results(), strict=True))
    except Exception as exc:  # noqa: BLE001  (an engine error must not take the page down)
        where.error(f"The runs without collection failed: {type(exc).__name__}: {exc}")
        return None
    table = welfare_table(jobs, res.welfare_sums, counterfactuals, res.labels, res.strategies, res.seed)
    res.tables["welfare"] = table
    return table


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    return f"{seconds / 60:.0f} min"
