"""Sweeps: many runs of the model over any ``concurrent.futures`` executor, saved as they complete
and resumable after a crash.

A sweep is a list of :class:`Cell` s, each one run of :func:`sim.run_scenario`: a scenario, a strategy,
parameter values (dotted overrides) and a replication number. :func:`plan` builds the list from
scenarios x parameter points (a grid or explicit samples) x strategies x replications, in that
canonical order, and validates every cell's scenario before anything runs. :func:`run_sweep` runs the
cells over an executor: the standard process pool by default, a Dask ``distributed.Client`` (local
cluster or remote scheduler) or anything with ``submit``. See :func:`open_executor`.

Seeds. Every cell's seed is drawn from ``numpy.random.SeedSequence(master_seed, spawn_key=...)`` where
the spawn key is a SHA-256 digest of the cell's identity, so it depends on nothing else: not on the
number of workers, the order of completion, or the other cells in the sweep. With common random
numbers (the default) the identity is (scenario, replication): every strategy and every parameter
point of replication ``r`` meets the same shocks, so differences between them are paired and not
noise. With ``common_random_numbers=False`` the identity also holds the strategy and parameter values.

Files. With ``out_dir``, the sweep writes::

    out_dir/sweep.json         the sidecar: base configs (full, validated) and their hashes, every cell
                               with its overrides, seed and config hash, package versions, git commit
    out_dir/parts/<id>.parquet one row per completed run, written atomically as it completes
    out_dir/runs.parquet, .csv the consolidated table: one row per run, sorted in plan order
    out_dir/monthly.parquet, .csv  one row per run and recorded month (the ``series.*`` outcomes)

Running the same sweep into the same directory again resumes it: cells that have a part file are
skipped. Because rows are sorted in plan order and each cell's result depends only on its config and
seed, a resumed sweep ends with the same tables as an uninterrupted one.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import itertools
import json
import logging
import math
import multiprocessing
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.config import Scenario, ScenarioError, load_scenario

FORMAT_VERSION = 1
ID_COLUMNS = ["cell", "cell_id", "scenario", "strategy", "rep", "seed", "config_hash"]
EXTRA_PACKAGES = ("dask", "distributed", "SALib", "optuna", "ema_workbench", "matplotlib", "tqdm")


class SweepError(RuntimeError):
    """A sweep cannot start or did not finish; the message says why in one line."""


# --------------------------------------------------------------------------------------------------
# Cells and seeds
# --------------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A JSON-ready copy of a value: numpy scalars and arrays become Python numbers and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: the same text for the same value on every machine."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class Cell:
    """One run of a sweep: a scenario (by label), a strategy (``None`` keeps the scenario's own),
    parameter values as dotted overrides, a replication number, and for sampled designs the sample
    number (a design such as Morris trajectories may visit the same values twice)."""

    scenario: str
    strategy: str | None = None
    params: tuple[tuple[str, Any], ...] = ()
    rep: int = 0
    point: int | None = None

    @classmethod
    def make(cls, scenario: str, strategy: str | None = None, params: Mapping[str, Any] | None = None,
             rep: int = 0, point: int | None = None) -> Cell:
        """A cell with its parameters stored as sorted, plain (JSON-ready) values."""
        items = tuple(sorted((str(k), _plain(v)) for k, v in (params or {}).items()))
        return cls(str(scenario), strategy, items, int(rep), None if point is None else int(point))

    @property
    def overrides(self) -> dict[str, Any]:
        """The keyword overrides that :func:`sim.run_scenario` takes for this cell."""
        out: dict[str, Any] = {} if self.strategy is None else {"strategy": self.strategy}
        out.update(dict(self.params))
        return out

    def identity(self, common_random_numbers: bool = True) -> dict[str, Any]:
        """What the cell's seed depends on."""
        if common_random_numbers:
            return {"scenario": self.scenario, "rep": self.rep}
        return {"scenario": self.scenario, "strategy": self.strategy, "params": [list(p) for p in self.params],
                "point": self.point, "rep": self.rep}


def cell_seed(master_seed: int, cell: Cell, common_random_numbers: bool = True) -> int:
    """The seed of one cell: a pure function of the master seed and the cell's identity.

    The identity's SHA-256 digest becomes the spawn key of a ``numpy.random.SeedSequence`` rooted at
    the master seed; the result is a 63-bit integer (the range a scenario's seed accepts).
    """
    digest = hashlib.sha256(canonical_json(cell.identity(common_random_numbers)).encode()).digest()
    key = tuple(int(w) for w in np.frombuffer(digest, dtype="<u4"))
    state = np.random.SeedSequence(int(master_seed), spawn_key=key).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


# --------------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------------
@dataclass
class Sweep:
    """A validated plan: base scenarios, cells in canonical order, and the seed of each cell.

    Build one with :func:`plan`. ``configs`` maps each cell to its full validated scenario (as JSON
    values) and ``hashes`` to that scenario's hash; ``description`` is free data recorded in the
    sidecar (for example the problem a sensitivity analysis declared).
    """

    scenarios: dict[str, dict[str, Any]]
    cells: list[Cell]
    master_seed: int = 0
    common_random_numbers: bool = True
    description: dict[str, Any] = field(default_factory=dict)
    seeds: list[int] = field(init=False)
    hashes: list[str] = field(init=False)
    ids: list[str] = field(init=False)
    strategy_labels: list[str] = field(init=False)

    def __post_init__(self) -> None:
        if not self.cells:
            raise SweepError("the sweep has no cells (no scenarios, strategies, points or replications)")
        self.seeds, self.hashes, self.ids, self.strategy_labels = [], [], [], []
        seen: set[str] = set()
        for cell in self.cells:
            if cell.scenario not in self.scenarios:
                raise SweepError(f"cell refers to unknown scenario {cell.scenario!r}")
            cfg = self.config(cell)
            seed = cell_seed(self.master_seed, cell, self.common_random_numbers)
            config_hash = cfg.config_hash()
            cid = hashlib.sha256(canonical_json(
                {"cell": [cell.scenario, cell.strategy, [list(p) for p in cell.params], cell.rep, cell.point],
                 "seed": seed, "config_hash": config_hash}).encode()).hexdigest()[:20]
            if cid in seen:
                raise SweepError(f"the sweep lists the same run twice: {cell}")
            seen.add(cid)
            self.seeds.append(seed)
            self.hashes.append(config_hash)
            self.ids.append(cid)
            self.strategy_labels.append(
                cell.strategy if cell.strategy is not None else "+".join(lc.strategy for lc in cfg.lenders))

    def config(self, cell: Cell) -> Scenario:
        """The validated scenario of one cell (raises ScenarioError naming the bad override)."""
        try:
            return load_scenario(self.scenarios[cell.scenario], **cell.overrides)
        except ScenarioError as exc:
            where = f"{cell.scenario}, strategy {cell.strategy}, " if cell.strategy else f"{cell.scenario}, "
            raise ScenarioError(f"{where}{dict(cell.params)}: {exc}") from None

    @cached_property
    def param_names(self) -> list[str]:
        """Every parameter that some cell sets, in order of first appearance."""
        return list(dict.fromkeys(name for cell in self.cells for name, _ in cell.params))

    @cached_property
    def param_columns(self) -> list[str]:
        """Parameters that get a column of their own in the run table (``strategy`` already has one)."""
        return [p for p in self.param_names if p not in ID_COLUMNS and p != "point"]

    @cached_property
    def text_params(self) -> set[str]:
        """Parameters whose values mix types (say 3 and "unlimited"): their column holds text."""
        kinds: dict[str, set[type]] = {}
        for cell in self.cells:
            for name, value in cell.params:
                kinds.setdefault(name, set()).add(float if isinstance(value, (int, float))
                                                  and not isinstance(value, bool) else type(value))
        return {name for name, k in kinds.items() if len(k) > 1}

    @cached_property
    def sweep_hash(self) -> str:
        """A hash of everything that determines the results: cells, configs and seeds."""
        return hashlib.sha256(canonical_json(self.ids).encode()).hexdigest()

    def __len__(self) -> int:
        return len(self.cells)

    def sidecar(self) -> dict[str, Any]:
        """The metadata written to ``sweep.json``."""
        scenarios = {}
        for label, data in self.scenarios.items():
            cfg = load_scenario(data)
            scenarios[label] = {"config_hash": cfg.config_hash(), "config": cfg.model_dump(mode="json")}
        cells = [
            {"cell": i, "cell_id": cid, "scenario": c.scenario, "strategy": label, "params": dict(c.params),
             "point": c.point, "rep": c.rep, "seed": seed, "config_hash": h}
            for i, (c, cid, label, seed, h) in enumerate(
                zip(self.cells, self.ids, self.strategy_labels, self.seeds, self.hashes, strict=True))
        ]
        return {
            "format": FORMAT_VERSION,
            "sweep_hash": self.sweep_hash,
            "master_seed": self.master_seed,
            "common_random_numbers": self.common_random_numbers,
            "seed_rule": ("SeedSequence(master_seed, spawn_key=uint32 words of sha256(canonical JSON of the cell "
                          "identity)).generate_state(1, uint64)[0] >> 1; identity = " +
                          ("(scenario, rep)" if self.common_random_numbers
                           else "(scenario, strategy, params, point, rep)")),
            "description": _plain(self.description),
            "n_cells": len(self.cells),
            "scenarios": scenarios,
            "cells": cells,
            "provenance": provenance(),
        }


def _label(scenario: Any) -> str:
    if isinstance(scenario, Scenario):
        return scenario.name
    if isinstance(scenario, Mapping):
        return str(scenario.get("name", "scenario"))
    return Path(str(scenario)).stem


def plan(scenarios: Any = "baseline", strategies: Sequence[str | None] | None = None, *,
         grid: Mapping[str, Sequence[Any]] | None = None, samples: Sequence[Mapping[str, Any]] | None = None,
         reps: int = 1, seed: int = 0, common_random_numbers: bool = True,
         description: Mapping[str, Any] | None = None, **overrides: Any) -> Sweep:
    """Plan a sweep: scenarios x parameter points x strategies x replications, in that order.

    Args:
        scenarios: one or several built-in names, paths, dicts or Scenarios, or a mapping of label to
            scenario. Labels (file stems or scenario names) must be unique.
        strategies: strategy names (``None`` keeps each scenario's own strategies); default: keep them.
        grid: dotted parameter -> values; every combination is a point.
        samples: explicit points, each a dict of dotted parameter -> value (for example a Sobol design).
        reps: replications of every point.
        seed: the master seed.
        common_random_numbers: replication ``r`` uses the same seed for every strategy and point.
        description: free data recorded in the sidecar.
        **overrides: dotted overrides applied to every scenario before anything else (for example
            ``n_borrowers=500``); they become part of the base configs.

    Raises:
        ScenarioError: a scenario, override, strategy or parameter value is invalid.
        SweepError: the plan is empty or names a run twice.
    """
    if grid is not None and samples is not None:
        raise SweepError("give a grid or samples, not both")
    if reps < 1:
        raise SweepError(f"reps must be at least 1, got {reps}")
    if seed < 0:
        raise SweepError(f"the master seed must not be negative, got {seed}")
    if isinstance(scenarios, Mapping) and not ("name" in scenarios or "population" in scenarios
                                               or "lenders" in scenarios):
        named = dict(scenarios)
    else:
        items = [scenarios] if isinstance(scenarios, (str, Path, Scenario, Mapping)) else list(scenarios)
        named = {}
        for item in items:
            label = _label(item)
            if label in named:
                raise SweepError(f"two scenarios share the label {label!r}; pass a dict of label -> scenario")
            named[label] = item
    base = {label: load_scenario(s, **overrides).model_dump(mode="json") for label, s in named.items()}
    numbered = samples is not None
    if grid is not None:
        names = list(grid)
        for name in names:
            if isinstance(grid[name], (str, bytes)) or not len(grid[name]):
                raise SweepError(f"grid parameter {name}: give a non-empty list of values")
        points = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(grid[n] for n in names))]
    elif samples is not None:
        points = [dict(s) for s in samples]
    else:
        points = [{}]
    strategies = list(strategies) if strategies else [None]
    cells = [Cell.make(label, strategy, point, rep, k if numbered else None)
             for label in base for k, point in enumerate(points) for strategy in strategies for rep in range(reps)]
    return Sweep(base, cells, int(seed), common_random_numbers, dict(description or {}))


# --------------------------------------------------------------------------------------------------
# Executors
# --------------------------------------------------------------------------------------------------
class SerialExecutor(cf.Executor):
    """Runs each task in the calling process when it is submitted (for debugging and overhead tests)."""

    def submit(self, fn, /, *args, **kwargs):  # noqa: D401 - Executor API
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


def _is_dask_client(obj: Any) -> bool:
    return hasattr(obj, "get_executor") and hasattr(obj, "scheduler_info")


def _describe(executor: Any) -> dict[str, Any]:
    if _is_dask_client(executor):
        return {"kind": "dask", "scheduler": executor.scheduler.address, "threads": _dask_threads(executor)}
    kind = type(executor).__name__
    return {"kind": kind, "workers": getattr(executor, "_max_workers", None)}


def _dask_threads(client: Any) -> int:
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001 - a scheduler without workers yet
        return 1


@contextmanager
def open_executor(kind: str = "process", workers: int | None = None, scheduler: str | None = None,
                  connect_timeout: float = 20.0) -> Iterator[Any]:
    """An executor for :func:`run_sweep`, shut down on exit.

    Args:
        kind: ``"process"`` (a ``ProcessPoolExecutor``), ``"dask"`` (a Dask ``LocalCluster`` of
            ``workers`` single-threaded worker processes) or ``"serial"`` (in this process).
        workers: worker processes; default: the number of CPUs.
        scheduler: the address of a running Dask scheduler (``tcp://HOST:PORT``); implies ``"dask"``.
        connect_timeout: seconds to wait for the scheduler.

    Yields a ``concurrent.futures.Executor`` or a ``distributed.Client``.

    Raises:
        SweepError: ``workers`` is below 1, the kind is unknown, or the scheduler cannot be reached.
    """
    if workers is not None and workers < 1:
        raise SweepError(f"workers must be at least 1, got {workers}")
    if scheduler:
        from distributed import Client

        try:
            client = Client(scheduler, timeout=f"{connect_timeout}s")
        except OSError as exc:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            yield client
        finally:
            client.close()
    elif kind == "dask":
        from distributed import Client, LocalCluster

        # the workers' own log stays at CRITICAL: on a loaded machine a worker's heartbeat can race the scheduler's
        # shutdown and log a traceback after every run has finished; a run that fails still raises in the sweep
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=":0", host="127.0.0.1", silence_logs=logging.CRITICAL)
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
    elif kind == "serial":
        yield SerialExecutor()
    elif kind == "process":
        context = multiprocessing.get_context("forkserver")
        with cf.ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, mp_context=context) as pool:
            yield pool
    else:
        raise SweepError(f"unknown executor kind {kind!r}; known: process, dask, serial")


# --------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------
def run_cell(config: dict[str, Any], overrides: dict[str, Any], seed: int) -> dict[str, Any]:
    """Run one cell in a worker: :func:`sim.run_scenario` on a base scenario (a dict of plain values),
    the cell's dotted overrides and its seed."""
    from sim.runner import run_scenario

    return run_scenario(config, seed=seed, **overrides)


@dataclass
class SweepResult:
    """What a sweep produced: one row per run (``runs``), one per run and month (``monthly``), the
    sidecar (``meta``), and how many runs this call ran and how many it found already done."""

    runs: pd.DataFrame
    monthly: pd.DataFrame
    meta: dict[str, Any]
    ran: int = 0
    skipped: int = 0
    out_dir: Path | None = None


def _row(sweep: Sweep, i: int, outcome: Mapping[str, Any]) -> dict[str, Any]:
    cell = sweep.cells[i]
    row: dict[str, Any] = {"cell": i, "cell_id": sweep.ids[i], "scenario": cell.scenario,
                           "strategy": sweep.strategy_labels[i], "rep": cell.rep, "seed": sweep.seeds[i],
                           "config_hash": sweep.hashes[i]}
    if cell.point is not None:
        row["point"] = cell.point
    text = sweep.text_params
    for name in sweep.param_columns:
        value = dict(cell.params).get(name)
        row[name] = str(value) if name in text and value is not None else value
    for key, value in outcome.items():
        if key.startswith("series."):
            row[key] = [float(v) for v in np.asarray(value, dtype=float)]
        else:
            row[key] = float(value)
    return row


def _write_part(parts: Path, row: dict[str, Any]) -> None:
    """Write one run's row atomically: a temporary file renamed into place."""
    table = pa.Table.from_pylist([row])
    tmp = parts / f".{row['cell_id']}.{os.getpid()}.tmp"
    pq.write_table(table, tmp, write_statistics=False)
    os.replace(tmp, parts / f"{row['cell_id']}.parquet")


def _tables(rows: list[pa.Table], sweep: Sweep) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into the run table (scalars) and the monthly table (series), sorted in plan order."""
    table = pa.concat_tables(rows, promote_options="permissive") if rows else pa.table({})
    frame = table.to_pandas()
    if frame.empty:
        return frame, frame
    frame = frame.sort_values("cell", kind="stable").reset_index(drop=True)
    series = [c for c in frame.columns if c.startswith("series.")]
    ident = ID_COLUMNS + (["point"] if "point" in frame.columns else []) + [
        p for p in sweep.param_columns if p in frame.columns]
    runs = frame.drop(columns=series)
    outcomes = sorted(c for c in runs.columns if c not in ident)
    runs = runs[ident + outcomes]
    lengths = np.array([max((len(row[c]) for c in series if row[c] is not None), default=0)
                        for _, row in frame[series].iterrows()] if series else [0] * len(frame), dtype=int)
    take = np.repeat(np.arange(len(frame)), lengths)
    monthly = frame[ident].iloc[take].reset_index(drop=True)
    monthly.insert(len(ident), "month", np.concatenate([np.arange(n) for n in lengths]) if len(take) else [])
    for c in series:
        values = [np.asarray(v if v is not None else [math.nan] * n, dtype=float)
                  for v, n in zip(frame[c], lengths, strict=True)]
        monthly[c.removeprefix("series.")] = np.concatenate(values) if values else np.array([], dtype=float)
    return runs, monthly


def _read_part(path: Path) -> pa.Table | None:
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowInvalid):
        return None  # unreadable: treat as not done (it is rewritten)


def run_sweep(sweep: Sweep, out_dir: str | Path | None = None, executor: Any = None, *,
              workers: int | None = None, progress: bool = True, max_in_flight: int | None = None,
              fresh: bool = False) -> SweepResult:
    """Run every cell of a sweep and return its tables; with ``out_dir``, save each run as it
    completes and skip runs already saved there (resume).

    Args:
        sweep: the plan (see :func:`plan`).
        out_dir: results directory; ``None`` keeps everything in memory.
        executor: a ``concurrent.futures.Executor``, a ``distributed.Client`` or ``None`` for a process
            pool of ``workers`` processes (opened and shut down here).
        workers: size of the default process pool.
        progress: show a progress bar (only when stderr is a terminal).
        max_in_flight: most runs submitted and not yet collected; default twice the workers.
        fresh: delete earlier results in ``out_dir`` instead of resuming.

    Raises:
        SweepError: ``out_dir`` holds a different sweep, or some runs failed (the others are saved,
            and running again retries only the failed ones).
    """
    if executor is None:
        with open_executor("process", workers=workers) as pool:
            return run_sweep(sweep, out_dir, pool, progress=progress, max_in_flight=max_in_flight, fresh=fresh)

    from sim.progress import progress_bar

    out = Path(out_dir) if out_dir is not None else None
    meta = sweep.sidecar()
    done: dict[int, pa.Table] = {}
    parts: Path | None = None
    if out is not None:
        parts = out / "parts"
        done, old = _prepare_directory(out, parts, sweep, fresh)
        commit = meta["provenance"]["git_commit"]
        earlier = [s for s in old.get("sessions", []) if s.get("git_commit") != commit]
        if done and earlier:
            warnings.warn(f"{out}: resuming runs made at commit {earlier[-1].get('git_commit', '?')[:12]} with "
                          f"commit {commit[:12]}; the table mixes code versions", stacklevel=2)
        meta["executor"] = _describe(executor)
        meta["started"] = _now()
        meta["status"] = "running"
        meta["resumed_with"] = len(done)
        meta["sessions"] = [*old.get("sessions", []), {"started": meta["started"], "git_commit": commit,
                                                       "executor": meta["executor"], "found_done": len(done)}]
        _write_json(out / "sweep.json", meta)

    todo = [i for i in range(len(sweep)) if i not in done]
    skipped = len(done)
    rows: dict[int, pa.Table] = dict(done)
    failures: list[tuple[int, str]] = []

    if _is_dask_client(executor):
        window = max_in_flight or 2 * _dask_threads(executor)
        submitter = executor.get_executor(pure=False)
    else:
        submitter = executor
        default = 1 if isinstance(executor, SerialExecutor) else 2 * (getattr(executor, "_max_workers", 1) or 1)
        window = max_in_flight or default
    window = max(1, int(window))

    queue = iter(todo)
    pending: dict[cf.Future, int] = {}
    with progress_bar(len(todo), "runs", enabled=progress) as bar:
        try:
            while True:
                for i in itertools.islice(queue, max(0, window - len(pending))):
                    cell = sweep.cells[i]
                    pending[submitter.submit(run_cell, sweep.scenarios[cell.scenario], cell.overrides,
                                             sweep.seeds[i])] = i
                if not pending:
                    break
                finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    i = pending.pop(future)
                    try:
                        outcome = future.result()
                    except Exception as exc:  # noqa: BLE001 - recorded; the rest of the sweep goes on
                        failures.append((i, f"{type(exc).__name__}: {exc}".splitlines()[0]))
                        bar.update(1)
                        continue
                    row = _row(sweep, i, outcome)
                    if parts is not None:
                        _write_part(parts, row)
                    rows[i] = pa.Table.from_pylist([row])
                    bar.update(1)
        except BaseException:
            for future in pending:
                future.cancel()
            raise

    runs, monthly = _tables([rows[i] for i in sorted(rows)], sweep)
    ran = len(todo) - len(failures)
    if out is not None:
        meta["finished"] = _now()
        meta["status"] = "failed" if failures else "complete"
        meta["failures"] = [{"cell": i, "cell_id": sweep.ids[i], "error": msg} for i, msg in failures]
        if not failures:
            _write_tables(out, runs, monthly, meta)
        _write_json(out / "sweep.json", meta)
    if failures:
        i, msg = failures[0]
        where = f" ({len(rows)} saved in {out}; run again to retry the rest)" if out is not None else ""
        raise SweepError(f"{len(failures)} of {len(sweep)} runs failed{where}; first: cell {i} "
                         f"{sweep.cells[i]}: {msg}")
    return SweepResult(runs, monthly, meta, ran=ran, skipped=skipped, out_dir=out)


def _prepare_directory(out: Path, parts: Path, sweep: Sweep, fresh: bool) -> tuple[dict[int, pa.Table], dict]:
    """Create the results directory, check that it holds this sweep, and read the runs already done
    (and the sidecar of the earlier session, if any)."""
    sidecar = out / "sweep.json"
    if fresh and out.exists():
        for path in list(parts.glob("*.parquet")) + list(parts.glob(".*.tmp")):
            path.unlink()
        for name in ("runs.parquet", "runs.csv", "monthly.parquet", "monthly.csv", "sweep.json"):
            (out / name).unlink(missing_ok=True)
    old: dict[str, Any] = {}
    if sidecar.exists():
        try:
            old = json.loads(sidecar.read_text())
        except (OSError, json.JSONDecodeError):
            old = {}
        if old.get("sweep_hash") not in (None, sweep.sweep_hash):
            raise SweepError(f"{out} holds a different sweep (hash {str(old.get('sweep_hash'))[:12]}, this one "
                             f"{sweep.sweep_hash[:12]}); use another directory, or start afresh (fresh=True, --fresh)")
    parts.mkdir(parents=True, exist_ok=True)
    for tmp in parts.glob(".*.tmp"):  # a write cut short by a crash
        tmp.unlink(missing_ok=True)
    index = {cid: i for i, cid in enumerate(sweep.ids)}
    done = {}
    for path in sorted(parts.glob("*.parquet")):
        i = index.get(path.stem)
        if i is None:
            continue
        table = _read_part(path)
        if table is not None:
            done[i] = table
    return done, old


def _write_tables(out: Path, runs: pd.DataFrame, monthly: pd.DataFrame, meta: dict[str, Any]) -> None:
    """The final tables as Parquet (carrying the sweep's hash, seed, base configs' hashes, versions and
    commit in the file's own metadata; every row has its seed and config hash) and CSV."""
    from sim.output import write_parquet

    stamp = _plain({k: meta.get(k) for k in ("sweep_hash", "master_seed", "common_random_numbers", "provenance")})
    stamp["config_hashes"] = {name: base.get("config_hash") for name, base in (meta.get("scenarios") or {}).items()
                              if isinstance(base, dict)}
    for name, frame in (("runs", runs), ("monthly", monthly)):
        tmp = out / f".{name}.parquet.tmp"
        write_parquet(frame, tmp, stamp)
        os.replace(tmp, out / f"{name}.parquet")
        frame.to_csv(out / f"{name}.csv", index=False)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(_plain(data), indent=1))
    os.replace(tmp, path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def provenance() -> dict[str, Any]:
    """:func:`sim.output.provenance` plus the versions of the sweep and analysis packages."""
    from sim.output import provenance as base

    return base(EXTRA_PACKAGES)


def load_results(out_dir: str | Path) -> SweepResult:
    """Read a finished sweep's tables and sidecar from its directory."""
    out = Path(out_dir)
    try:
        meta = json.loads((out / "sweep.json").read_text())
        runs = pd.read_parquet(out / "runs.parquet")
        monthly = pd.read_parquet(out / "monthly.parquet")
    except (OSError, json.JSONDecodeError) as exc:
        raise SweepError(f"{out}: not a finished sweep ({exc})") from None
    return SweepResult(runs, monthly, meta, out_dir=out)


def summarise(runs: pd.DataFrame, outcomes: Iterable[str], by: Sequence[str]) -> pd.DataFrame:
    """Mean, standard deviation and 95% confidence interval (Student t) of outcomes by group.

    Returns one row per group and outcome with ``mean``, ``sd``, ``n``, ``ci_low`` and ``ci_high``;
    groups keep their order of first appearance.
    """
    from sim.stats import grouped_mean_ci

    return grouped_mean_ci(runs, by, list(outcomes))
