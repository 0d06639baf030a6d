"""Runs for an interactive front end: worker processes shared by every session of a server, fair between
sessions, with progress, an estimate of the time left, and cancellation.

A :class:`Job` is one run of :func:`sim.simulate` (a scenario's exact TOML, a seed, and how many households
to trace). A :class:`RunService` owns the worker processes of a server and runs jobs for many sessions:

- **Fair.** Each session has its own queue; a dispatcher starts the next job round-robin across the
  sessions that are waiting, so one user's long comparison never sits in front of another's short one.
- **Two lanes.** Jobs of more than :data:`BIG_JOB` household-months run one at a time in a process of
  their own (the *big lane*), never in the pool of short runs (the *quick lane*), so a 200,000-household
  run leaves the quick workers free. A big run can be stopped: its process is terminated.
- **Shared and kept.** Runs are keyed by their job: two sessions asking for the same run share it, and
  the last :attr:`RunService.KEEP` finished runs are kept, so a rerun of the same set-up is instant.
- **Speculative.** A front end may start the set-up on screen before Run is pressed
  (``speculative=True``); such runs come after every run that was asked for, and are dropped when the
  set-up changes.

Results are identical wherever a job runs: every run owns its seed. With fewer than two workers the
service runs jobs in the calling thread (what the app's tests use).
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

import sim
from sim import config as simconfig

BIG_JOB = 2_000_000  # household-months (e.g. 33,000 households over 60 months): above this, the big lane
BIG_NICE = 10  # the big lane's processes run at this niceness (lower priority than the quick lane's)
PRIOR_RATE = 400_000.0  # household-months a second per process, until runs have been timed
JOB_OVERHEAD_S = 0.05  # seconds a run costs besides its household-months (set-up, transfer of tables)


class Job(NamedTuple):
    """One run: the exact TOML of a validated scenario, its seed, and the households traced (0: none)."""

    toml: str
    seed: int
    trace: int = 0


def run_job(job: Job):
    """Run one job with :func:`sim.simulate` (in whichever process calls it)."""
    return sim.simulate(simconfig.parse_toml(job.toml, "scenario"), seed=job.seed, trace=job.trace or None)


@functools.lru_cache(maxsize=512)
def household_months(toml: str) -> int:
    """Households times simulated months (burn-in included) of one run of a scenario's TOML; a scenario
    that starts from a portfolio counts one household per account of the file (an upper bound)."""
    scenario = simconfig.validate(simconfig.parse_toml(toml, "scenario"))
    households = scenario.population.n_borrowers
    if scenario.portfolio is not None:
        households = max(households, portfolio_accounts(scenario.portfolio))
    return households * (scenario.burn_in_months + scenario.horizon_months)


@functools.lru_cache(maxsize=64)
def _accounts(path: str, size: int, mtime: float) -> int:
    if Path(path).suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    with open(path, "rb") as f:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) - 1, 0)


def portfolio_accounts(value: str) -> int:
    """Accounts in a scenario's portfolio file (rows of a CSV or Parquet file; 0 if it cannot be read)."""
    from sim.portfolio import PortfolioError, portfolio_path

    try:
        path = portfolio_path(value)
        stat = path.stat()
        return _accounts(str(path), stat.st_size, stat.st_mtime)
    except (PortfolioError, OSError, ValueError):
        return 0


def comparison_jobs(tomls: Iterable[str], seed: int, reps: int, trace: int = 0) -> list[Job]:
    """The runs of a comparison: every arm's scenario ``reps`` times, replication ``r`` on seed ``seed + r``
    for every arm (common random numbers); the first replication traces ``trace`` households."""
    tomls = list(tomls)
    return [Job(toml, seed + rep, trace if rep == 0 else 0) for rep in range(reps) for toml in tomls]


def run_tables(result, traced: bool) -> dict[str, pd.DataFrame]:
    """The tables of one :class:`sim.metrics.RunResult`, with the API's cumulative series
    (``to_dict()["series.*"]``) that the monthly table lacks added to its ``lender == "all"`` rows."""
    allm = result.monthly[result.monthly["lender"] == "all"].sort_values("month")
    extra = pd.DataFrame({"month": allm["month"].to_numpy()})
    for key, values in result.to_dict().items():
        if key.startswith("series.") and key[7:] not in allm.columns:
            extra[key[7:]] = np.asarray(values, dtype=float)
    monthly = result.monthly.merge(extra, on="month", how="left")
    monthly.loc[monthly["lender"] != "all", list(extra.columns[1:])] = np.nan
    traces = result.traces if traced and result.traces is not None else pd.DataFrame()
    rolls = result.roll_rates if result.roll_rates is not None else pd.DataFrame()
    return {"monthly": monthly, "segments": result.segments, "summary": result.summary, "traces": traces,
            "roll_rates": rolls}


def stack_results(results: list, labels: list[str], strategies: list[str], jobs: list[Job],
                  seed: int) -> dict[str, pd.DataFrame]:
    """The tables of a comparison's runs (in the order of :func:`comparison_jobs`), stacked, each row marked
    with its ``arm``, ``strategy``, replication ``rep`` and ``seed``. The summary gains recovery on a fixed
    base (:func:`sim.runner.add_common_base`): what each arm collected over the ``recovery_base`` of the
    first arm's run on the same seed, lender by lender."""
    tables: dict[str, list[pd.DataFrame]] = {"monthly": [], "segments": [], "summary": [], "traces": [],
                                             "roll_rates": []}
    arms = len(labels)
    for i, (result, job) in enumerate(zip(results, jobs, strict=True)):
        rep, a = divmod(i, arms)
        for name, frame in run_tables(result, bool(job.trace)).items():
            if len(frame):
                tables[name].append(frame.assign(arm=labels[a], strategy=strategies[a], rep=rep, seed=seed + rep))
    front = ["arm", "strategy", "rep", "seed"]
    out = {}
    for name, frames in tables.items():
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        out[name] = frame[[*front, *[c for c in frame.columns if c not in front]]] if len(frame) else frame
    if len(out["summary"]):
        out["summary"] = with_common_base(out["summary"], labels[0])
    return out


def with_common_base(summary: pd.DataFrame, reference: str) -> pd.DataFrame:
    """The stacked summary with ``recovery_rate_common_base`` and ``net_recovery_rate_common_base``: each
    row's collections over the ``recovery_base`` of the ``reference`` arm's row of the same lender and
    replication (docs/outcomes.md, "Recovery"), so the denominator is the same for every arm."""
    from sim.runner import add_common_base

    parts = [add_common_base(rows, by="arm", reference=reference)
             for _, rows in summary.groupby("lender", sort=False)]
    return pd.concat(parts).loc[summary.index]


@functools.lru_cache(maxsize=256)
def counterfactual_job(job: Job) -> Job:
    """The run of ``job``'s scenario on its seed with every lender using ``no_collection``
    (:func:`sim.welfare.counterfactual_scenario`), untraced."""
    from sim.welfare import counterfactual_scenario

    cfg = simconfig.validate(simconfig.parse_toml(job.toml, "scenario"))
    return Job(simconfig.scenario_to_toml(counterfactual_scenario(cfg)), job.seed)


def counterfactual_jobs(jobs: list[Job]) -> list[Job]:
    """The counterfactuals of ``jobs``, once per scenario and seed (arms that differ only in their strategy
    share one): the runs the welfare change of a comparison needs besides its own."""
    return list(dict.fromkeys(counterfactual_job(job) for job in jobs))


def welfare_table(jobs: list[Job], results: list, counterfactuals: dict[Job, object], labels: list[str],
                  strategies: list[str], seed: int) -> pd.DataFrame:
    """The consumption-equivalent welfare change of every run of a comparison against its counterfactual
    (:func:`sim.welfare.consumption_equivalent`): one row per run with ``arm``, ``strategy``, ``rep``,
    ``seed``, ``ce_change``, ``ce_change_horizon`` and their segment values. ``results``: the runs' results
    or their ``meta["welfare"]`` sums, in the order of :func:`comparison_jobs`; ``counterfactuals`` maps each
    job of :func:`counterfactual_jobs` to its result."""
    from sim.welfare import consumption_equivalent

    arms = len(labels)
    rows = []
    for i, (job, result) in enumerate(zip(jobs, results, strict=True)):
        rep, a = divmod(i, arms)
        rows.append({"arm": labels[a], "strategy": strategies[a], "rep": rep, "seed": seed + rep,
                     **consumption_equivalent(result, counterfactuals[counterfactual_job(job)])})
    return pd.DataFrame(rows)


def _run_in_child(job: Job, conn) -> None:
    """The body of a big-lane process: at a lower scheduling priority (so that the quick lane's short runs
    take the processor first), run the job and send back the result or the exception."""
    try:
        os.nice(BIG_NICE)
    except OSError:  # not allowed here: the run goes ahead at normal priority
        pass
    try:
        conn.send((True, run_job(job)))
    except BaseException as exc:  # noqa: BLE001  (sent to the parent, which raises it)
        conn.send((False, exc))
    finally:
        conn.close()


@dataclass
class _Run:
    """A job's run: its future, its size, who asked for it, and when it started."""

    job: Job
    work: int
    future: Future = field(default_factory=Future)
    owners: set[str] = field(default_factory=set)
    speculative: set[str] = field(default_factory=set)  # owners that only prefetched it
    started: float | None = None
    finished: float | None = None
    process: object = None  # the big-lane process running it

    @property
    def big(self) -> bool:
        return self.work > BIG_JOB


class Comparison:
    """A handle on the jobs of one request: done, progress, time left, results, in the jobs' order."""

    def __init__(self, service: RunService, runs: list[_Run]) -> None:
        self.service = service
        self.runs = runs
        self.total = sum(r.work for r in runs) or 1

    def done(self) -> bool:
        return all(r.future.done() for r in self.runs)

    def progress(self) -> tuple[float, float]:
        """The share of the work done (0-1) and an estimate of the seconds left."""
        now = time.perf_counter()
        done = 0.0
        for r in self.runs:
            if r.future.done():
                done += r.work
            elif r.started is not None:
                done += min(self.service.rates[r.big] * (now - r.started), 0.95 * r.work)
        pending = [r for r in self.runs if not r.future.done()]
        return min(done / self.total, 1.0), self.service.seconds_for(pending, self.total - done)

    def results(self, timeout: float | None = None) -> list:
        """The results, in the order of the jobs (waits; raises what a run raised)."""
        return [r.future.result(timeout) for r in self.runs]


class RunService:
    """Worker processes for :func:`sim.simulate`, shared by the sessions of a server (see the module)."""

    KEEP = 48  # finished runs kept for reuse

    def __init__(self, workers: int, big_lanes: int = 1) -> None:
        self.workers = max(1, workers)
        self.big_lanes = big_lanes
        self.inline = workers < 2
        self.rates = {False: PRIOR_RATE, True: PRIOR_RATE}  # household-months a second: quick lane, big lane
        self.lock = threading.Condition()
        self.runs: OrderedDict[Job, _Run] = OrderedDict()
        self.queues: dict[str, deque[_Run]] = {}
        self.turn = itertools.count()
        self.last_served: dict[str, int] = {}
        self.quick_busy = 0
        self.big_busy = 0
        self.pool: ProcessPoolExecutor | None = None
        self.ready = threading.Event()
        self.ctx = None
        if self.inline:
            self.ready.set()
            return
        threading.Thread(target=self._start, name="collection-lab-pool", daemon=True).start()
        threading.Thread(target=self._dispatch, name="collection-lab-dispatch", daemon=True).start()

    # -- set-up -----------------------------------------------------------------------------------
    def _start(self) -> None:
        """Start the quick lane's workers through a fork server that has imported the engine, and let a
        tiny run load what the engine imports lazily (compiled kernels)."""
        try:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["sim", "streamlit"])
            self.ctx = ctx
            pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
            tiny = simconfig.scenario_to_toml(sim.load_scenario(
                "baseline", **{"population.n_borrowers": 20, "horizon_months": 1, "burn_in_months": 0}))
            for f in [pool.submit(run_job, Job(tiny, i, 5)) for i in range(2 * self.workers)]:
                f.result()
            self.pool = pool
        except Exception:  # noqa: BLE001  (no pool: quick jobs run in a thread of this process)
            self.pool = None
        finally:
            self.ready.set()
            with self.lock:
                self.lock.notify_all()

    def seconds_for(self, runs: list[_Run], work: float | None = None) -> float:
        """An estimate of the seconds that ``work`` household-months (default: the runs' own) take, given
        how many of the runs can go at once (big ones one at a time per big lane)."""
        if not runs:
            return 0.0
        total = sum(r.work for r in runs) or 1
        share = 1.0 if work is None else work / total  # the part of the runs' work still to do
        big = [r for r in runs if r.big]
        quick = [r for r in runs if not r.big]
        big_s = sum(r.work / self.rates[True] + JOB_OVERHEAD_S for r in big) / self.big_lanes
        quick_s = sum(r.work / self.rates[False] + JOB_OVERHEAD_S for r in quick) / max(1, min(self.workers,
                                                                                               len(quick)))
        return share * max(big_s, quick_s)

    def estimate(self, jobs: list[Job]) -> float:
        """An estimate of the seconds a request for ``jobs`` takes, from the measured speed of past runs."""
        return self.seconds_for([_Run(job, household_months(job.toml)) for job in jobs])

    # -- requests -----------------------------------------------------------------------------------
    def submit(self, session: str, jobs: list[Job], speculative: bool = False) -> Comparison:
        """Ask for ``jobs`` on behalf of ``session``; runs already kept or under way are shared. A
        speculative request replaces the session's earlier speculative one."""
        if self.inline:
            return self._run_inline(jobs, speculative)
        with self.lock:
            if speculative:
                self._drop(session, keep=set(jobs), speculative_only=True)
            runs = []
            for job in jobs:
                run = self.runs.get(job)
                if run is None or run.future.cancelled() or (run.future.done() and run.future.exception()):
                    run = _Run(job, household_months(job.toml))
                    self.runs[job] = run
                    self.queues.setdefault(session, deque()).append(run)
                elif not run.future.done() and run.started is None and session not in run.owners:
                    self.queues.setdefault(session, deque()).append(run)
                run.owners.add(session)
                if speculative:
                    run.speculative.add(session)
                else:
                    run.speculative.discard(session)
                self.runs.move_to_end(job)
                runs.append(run)
            self._forget_old()
            self.lock.notify_all()
        return Comparison(self, runs)

    def cancel(self, session: str) -> int:
        """Withdraw every request of ``session``: runs nobody else wants are dropped if they have not
        started, and stopped if they run in the big lane. Returns the number of runs stopped or dropped."""
        if self.inline:
            return 0
        with self.lock:
            n = self._drop(session, keep=set(), speculative_only=False)
            self.lock.notify_all()
        return n

    def sessions(self) -> set[str]:
        """The sessions that have runs waiting or under way."""
        with self.lock:
            return {owner for run in self.runs.values() if not run.future.done() for owner in run.owners}

    def _run_inline(self, jobs: list[Job], speculative: bool) -> Comparison:
        runs = []
        for job in jobs:
            run = self.runs.get(job)
            if run is None or not run.future.done() or run.future.exception():
                run = _Run(job, household_months(job.toml))
                if not speculative:
                    run.started = time.perf_counter()
                    try:
                        run.future.set_result(run_job(job))
                    except Exception as exc:  # noqa: BLE001  (raised by Comparison.results)
                        run.future.set_exception(exc)
                    self.runs[job] = run
            if job in self.runs:
                self.runs.move_to_end(job)
            runs.append(run)
        self._forget_old()
        return Comparison(self, runs)

    # -- bookkeeping (lock held) ----------------------------------------------------------------------
    def _drop(self, session: str, keep: set[Job], speculative_only: bool) -> int:
        dropped = 0
        for job, run in list(self.runs.items()):
            if session not in run.owners or job in keep or run.future.done():
                continue
            if speculative_only and session not in run.speculative:
                continue
            run.owners.discard(session)
            run.speculative.discard(session)
            if run.owners:
                continue
            if run.started is None:
                run.future.cancel()
                del self.runs[job]
                dropped += 1
            elif run.process is not None:
                run.process.terminate()  # the big lane's thread sees it end and frees the lane
                dropped += 1
        queue = self.queues.get(session)
        if queue is not None:
            self.queues[session] = deque(r for r in queue if not r.future.cancelled())
        return dropped

    def _forget_old(self) -> None:
        finished = [job for job, run in self.runs.items() if run.future.done()]
        for job in finished[: max(0, len(finished) - self.KEEP)]:
            del self.runs[job]

    def _next(self, big: bool) -> _Run | None:
        """The next run for a lane: asked-for runs before speculative ones; among the sessions waiting,
        the one served longest ago first."""
        best = None
        for session, queue in self.queues.items():
            while queue and (queue[0].started is not None or queue[0].future.cancelled()):
                queue.popleft()
            for run in queue:
                if run.future.cancelled() or run.started is not None or run.big != big:
                    continue
                rank = (bool(run.owners) and run.speculative >= run.owners, self.last_served.get(session, -1))
                if best is None or rank < best[0]:
                    best = (rank, session, run)
                break
        if best is None:
            return None
        _, session, run = best
        self.queues[session].remove(run)
        self.last_served[session] = next(self.turn)
        run.started = time.perf_counter()
        return run

    # -- the dispatcher -------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        """Start runs as lanes free up. Until the pool has started, one quick run at a time runs in a thread
        of this process, so that the first Run after the server starts does not wait for the workers."""
        while True:
            with self.lock:
                started = []
                capacity = self.workers if self.ready.is_set() else 1
                while self.quick_busy < capacity and (run := self._next(big=False)) is not None:
                    self.quick_busy += 1
                    started.append(run)
                while self.big_busy < self.big_lanes and (run := self._next(big=True)) is not None:
                    self.big_busy += 1
                    started.append(run)
                if not started:
                    self.lock.wait(1.0)
                    continue
            for run in started:
                if run.big:
                    threading.Thread(target=self._run_big, args=(run,), daemon=True).start()
                elif self.ready.is_set() and self.pool is not None:
                    self.pool.submit(run_job, run.job).add_done_callback(lambda f, r=run: self._finish(r, f))
                else:
                    threading.Thread(target=self._run_thread, args=(run,), daemon=True).start()

    def _run_thread(self, run: _Run) -> None:
        f: Future = Future()
        try:
            f.set_result(run_job(run.job))
        except Exception as exc:  # noqa: BLE001
            f.set_exception(exc)
        self._finish(run, f)

    def _run_big(self, run: _Run) -> None:
        """Run a big job in a process of its own, so that it can be stopped."""
        f: Future = Future()
        proc = None
        try:
            ctx = self.ctx or multiprocessing.get_context("forkserver")
            receive, send = ctx.Pipe(duplex=False)
            with self.lock:
                if run.owners:
                    proc = ctx.Process(target=_run_in_child, args=(run.job, send), daemon=True)
                    run.process = proc
                    proc.start()
            send.close()
            try:
                if proc is None:
                    raise CancelledError
                ok, value = receive.recv()
                f.set_result(value) if ok else f.set_exception(value)
            except (EOFError, OSError):  # the process ended without an answer: stopped, or it died
                proc.join(5)
                stopped = not run.owners
                f.set_exception(CancelledError("the run was stopped") if stopped else RuntimeError(
                    f"the run's process ended unexpectedly (exit code {proc.exitcode}); try fewer households "
                    "or the command line"))
            finally:
                receive.close()
        except CancelledError:
            f.set_exception(CancelledError("the run was withdrawn before it started"))
        except Exception as exc:  # noqa: BLE001  (no process could be started: the run fails, the lane goes on)
            f.set_exception(exc)
        finally:
            if proc is not None and proc.is_alive():
                proc.join(5)
            self._finish(run, f, big=True)

    def _finish(self, run: _Run, f: Future, big: bool = False) -> None:
        with self.lock:
            if big:
                self.big_busy -= 1
            else:
                self.quick_busy -= 1
            run.finished = time.perf_counter()
            run.process = None
            exc = f.exception() if not f.cancelled() else CancelledError()
            if exc is None and run.started is not None:
                seconds = run.finished - run.started - JOB_OVERHEAD_S
                if seconds > 0.2:
                    observed = run.work / seconds
                    self.rates[run.big] = 0.7 * self.rates[run.big] + 0.3 * observed
            if not run.future.done():
                if exc is None:
                    run.future.set_result(f.result())
                elif isinstance(exc, CancelledError) or not run.owners:
                    run.future.cancel() or run.future.set_exception(exc)
                    self.runs.pop(run.job, None)
                else:
                    run.future.set_exception(exc)
            self.lock.notify_all()

    def shutdown(self) -> None:
        """Stop the workers (for tests; a server keeps them for its life)."""
        with self.lock:
            for run in self.runs.values():
                if run.process is not None:
                    run.process.terminate()
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
