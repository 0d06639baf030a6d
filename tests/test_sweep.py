"""The sweep function: seeds from the cell alone, results independent of workers and completion order,
Dask (local cluster and a scheduler started here on loopback), results saved as they complete, and
a sweep killed with SIGKILL that resumes to the same table as an uninterrupted one.

Every run is tiny (300 households, 3 burn-in and 6 recorded months): the tests check what the sweep
computes and saves, never how fast.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.sweep import Cell, SerialExecutor, SweepError, cell_seed, open_executor, plan, run_sweep

ROOT = Path(__file__).resolve().parent.parent
TINY = {"population.n_borrowers": 300, "horizon_months": 6, "burn_in_months": 3}


def small_sweep(reps: int = 2, **kw):
    """Two strategies x two regimes x ``reps`` replications on the tiny baseline."""
    return plan("baseline", ["conventional", "aggressive"], grid={"regulation.regime": ["none", "china_cba_2026"]},
                reps=reps, seed=11, **{**TINY, **kw})


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small sweep run serially in this process, in plan order, saved to disk."""
    out = tmp_path_factory.mktemp("reference")
    return run_sweep(small_sweep(), out, SerialExecutor(), progress=False)


def assert_same_tables(a, b) -> None:
    pd.testing.assert_frame_equal(a.runs, b.runs, check_exact=True)
    pd.testing.assert_frame_equal(a.monthly, b.monthly, check_exact=True)


# --------------------------------------------------------------------------------------------------
# seeds
# --------------------------------------------------------------------------------------------------
def test_seed_is_a_pure_function_of_master_seed_and_cell():
    cell = Cell.make("baseline", "conventional", {"regulation.regime": "none"}, rep=3)
    assert cell_seed(5, cell) == cell_seed(5, Cell.make("baseline", "conventional", {"regulation.regime": "none"}, 3))
    assert cell_seed(5, cell) != cell_seed(6, cell)
    assert cell_seed(5, cell) != cell_seed(5, Cell.make("baseline", "conventional", {"regulation.regime": "none"}, 4))
    assert cell_seed(5, cell) != cell_seed(5, Cell.make("recession", "conventional", {"regulation.regime": "none"}, 3))
    assert 0 <= cell_seed(5, cell) < 2**63


def test_common_random_numbers_share_seeds_across_strategies_and_points_only_within_a_replication():
    sweep = small_sweep(reps=3)
    by_rep: dict[int, set[int]] = {}
    for cell, seed in zip(sweep.cells, sweep.seeds, strict=True):
        by_rep.setdefault(cell.rep, set()).add(seed)
    assert all(len(seeds) == 1 for seeds in by_rep.values())  # one seed a replication
    assert len({next(iter(s)) for s in by_rep.values()}) == 3  # different across replications
    independent = plan("baseline", ["conventional", "aggressive"], reps=2, seed=11, common_random_numbers=False,
                       **TINY)
    assert len(set(independent.seeds)) == len(independent.cells)


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(8)), st.integers(1, 8))
def test_seeds_and_ids_do_not_depend_on_the_other_cells_or_their_order(order, keep):
    full = small_sweep()
    cells = [full.cells[i] for i in order[:keep]]
    subset = type(full)(full.scenarios, cells, full.master_seed, full.common_random_numbers)
    index = {c: i for i, c in enumerate(full.cells)}
    for j, cell in enumerate(cells):
        assert subset.seeds[j] == full.seeds[index[cell]]
        assert subset.ids[j] == full.ids[index[cell]]


def test_a_cell_gives_the_same_outcomes_as_run_scenario_with_its_seed(reference):
    sweep = small_sweep()
    i = 5
    cell = sweep.cells[i]
    direct = sim.run_scenario("baseline", seed=sweep.seeds[i], **TINY, **cell.overrides)
    row = reference.runs.iloc[i]
    assert row["seed"] == sweep.seeds[i]
    for key in ("recovery_rate_net", "complaints_per_1000", "wellbeing_mean"):
        assert row[key] == direct[key]
    months = reference.monthly[reference.monthly["cell"] == i]
    np.testing.assert_array_equal(months["wellbeing_mean"].to_numpy(), direct["series.wellbeing_mean"])


# --------------------------------------------------------------------------------------------------
# executors, worker count and completion order
# --------------------------------------------------------------------------------------------------
class JitterExecutor(cf.ThreadPoolExecutor):
    """Threads that start each task after a random delay, so that tasks complete out of order; and, so that they
    surely do (random delays alone can leave the runs, which hold the GIL far longer than the delays, finishing in
    the order they were planned), the first task reports its end only after the second has finished."""

    def __init__(self, seed: int) -> None:
        super().__init__(max_workers=4)
        self.rng = np.random.default_rng(seed)
        self.finished: list[tuple] = []
        self.submitted = 0
        self.second_done = threading.Event()

    def submit(self, fn, /, *args, **kwargs):
        delay = float(self.rng.uniform(0, 0.15))
        _, overrides, seed = args
        key = (overrides["strategy"], overrides["regulation.regime"], seed)
        order = self.submitted
        self.submitted += 1

        def late():
            time.sleep(delay)
            out = fn(*args, **kwargs)
            if order == 0:
                self.second_done.wait(timeout=120)
            self.finished.append(key)
            if order == 1:
                self.second_done.set()
            return out

        return super().submit(late)


def test_results_do_not_depend_on_completion_order(reference, tmp_path):
    with JitterExecutor(seed=3) as ex:
        shuffled = run_sweep(small_sweep(), tmp_path, ex, progress=False, max_in_flight=8)
    sweep = small_sweep()
    in_plan_order = [(c.strategy, dict(c.params)["regulation.regime"], seed)
                     for c, seed in zip(sweep.cells, sweep.seeds, strict=True)]
    assert sorted(ex.finished) == sorted(in_plan_order)
    assert ex.finished != in_plan_order  # the runs really completed out of order
    assert_same_tables(reference, shuffled)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "runs.parquet"), reference.runs)


@pytest.mark.parametrize("workers", [1, 2])
def test_results_do_not_depend_on_the_number_of_process_workers(reference, tmp_path, workers):
    with open_executor("process", workers=workers) as ex:
        result = run_sweep(small_sweep(), tmp_path, ex, progress=False)
    assert_same_tables(reference, result)


@pytest.mark.timeout(240)
def test_dask_local_cluster_gives_the_same_table(reference, tmp_path):
    with open_executor("dask", workers=2) as client:
        result = run_sweep(small_sweep(), tmp_path, client, progress=False)
    assert result.meta["executor"]["kind"] == "dask"
    assert_same_tables(reference, result)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.mark.timeout(240)
def test_dask_scheduler_and_worker_started_on_loopback(reference, tmp_path):
    """A scheduler and a worker started here as separate processes, as on a cluster."""
    from distributed import Client

    bindir = Path(sys.executable).parent
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    logs = [open(tmp_path / "scheduler.log", "w"), open(tmp_path / "worker.log", "w")]  # noqa: SIM115
    scheduler = subprocess.Popen([str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], cwd=ROOT, env=env, stdout=logs[0], stderr=subprocess.STDOUT)
    worker = None
    try:
        worker = subprocess.Popen([str(bindir / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                   "--no-dashboard", "--host", "127.0.0.1"], cwd=ROOT, env=env, stdout=logs[1],
                                  stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:  # wait for the scheduler to listen and the worker to register
            try:
                with Client(address, timeout="5s") as probe:
                    probe.wait_for_workers(1, timeout=60)
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline or scheduler.poll() is not None:
                    raise
                time.sleep(0.5)
        with open_executor(scheduler=address) as client:
            result = run_sweep(small_sweep(), tmp_path / "out", client, progress=False)
        assert result.meta["executor"] == {"kind": "dask", "scheduler": address, "threads": 1}
        assert_same_tables(reference, result)
        # the same scheduler from an experiment script's command line
        script = subprocess.run([sys.executable, str(ROOT / "experiments" / "compare.py"), "--tiny", "--scheduler",
                                 address, "--scenarios", "baseline", "--strategies", "conventional,aggressive",
                                 "--reps", "2", "--out", str(tmp_path / "compare")], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=180)
        assert script.returncode == 0, script.stderr
        meta = json.loads((tmp_path / "compare" / "runs" / "sweep.json").read_text())
        assert meta["executor"]["scheduler"] == address and meta["status"] == "complete"
    finally:
        if worker is not None:
            _stop(worker)
        _stop(scheduler)
        for log in logs:
            log.close()


def test_unreachable_scheduler_is_a_one_line_error():
    with pytest.raises(SweepError, match="cannot reach the Dask scheduler"):
        with open_executor(scheduler=f"tcp://127.0.0.1:{_free_port()}", connect_timeout=2):
            pass


# --------------------------------------------------------------------------------------------------
# nothing lost: parts, sidecar, resume, SIGKILL
# --------------------------------------------------------------------------------------------------
def test_sidecar_holds_configs_hashes_seeds_versions_and_commit(reference):
    meta = json.loads((reference.out_dir / "sweep.json").read_text())
    sweep = small_sweep()
    assert meta["status"] == "complete" and meta["n_cells"] == len(sweep)
    base = meta["scenarios"]["baseline"]
    assert base["config"]["population"]["n_borrowers"] == 300
    assert base["config_hash"] == sim.load_scenario(base["config"]).config_hash()
    assert [c["seed"] for c in meta["cells"]] == sweep.seeds
    for c in meta["cells"]:  # each cell's config is the base config with its overrides
        cfg = sim.load_scenario(base["config"], strategy=c["strategy"], **c["params"])
        assert cfg.config_hash() == c["config_hash"]
    assert meta["provenance"]["git_commit"]
    for package in ("numpy", "mesa", "pandas", "dask", "distributed"):
        assert meta["provenance"]["packages"][package]
    assert list(reference.runs["config_hash"]) == [c["config_hash"] for c in meta["cells"]]


def test_one_part_file_per_completed_run(reference):
    parts = sorted(p.stem for p in (reference.out_dir / "parts").glob("*.parquet"))
    assert parts == sorted(reference.runs["cell_id"])
    one = pd.read_parquet(reference.out_dir / "parts" / f"{reference.runs['cell_id'][0]}.parquet")
    assert len(one) == 1 and one["cell"][0] == 0


def test_rerun_skips_everything_done(reference, tmp_path):
    import shutil

    shutil.copytree(reference.out_dir, tmp_path / "copy")
    again = run_sweep(small_sweep(), tmp_path / "copy", SerialExecutor(), progress=False)
    assert (again.ran, again.skipped) == (0, len(small_sweep()))
    assert_same_tables(reference, again)


def test_a_directory_holding_another_sweep_is_refused(reference, tmp_path):
    import shutil

    shutil.copytree(reference.out_dir, tmp_path / "copy")
    with pytest.raises(SweepError, match="holds a different sweep"):
        run_sweep(small_sweep(reps=3), tmp_path / "copy", SerialExecutor(), progress=False)
    fresh = run_sweep(small_sweep(reps=1), tmp_path / "copy", SerialExecutor(), progress=False, fresh=True)
    assert fresh.skipped == 0 and len(fresh.runs) == 4


def test_failed_runs_are_reported_and_retried_without_redoing_the_rest(monkeypatch, reference, tmp_path):
    import sim.sweep as sweep_module

    real = sweep_module.run_cell
    bad_seed = small_sweep().seeds[0]
    calls = []

    def flaky(config, overrides, seed):
        calls.append(seed)
        if overrides["regulation.regime"] == "china_cba_2026":
            raise RuntimeError("worker lost")
        return real(config, overrides, seed)

    monkeypatch.setattr(sweep_module, "run_cell", flaky)
    with pytest.raises(SweepError, match=r"4 of 8 runs failed .*worker lost"):
        run_sweep(small_sweep(), tmp_path, SerialExecutor(), progress=False)
    assert len(list((tmp_path / "parts").glob("*.parquet"))) == 4
    assert json.loads((tmp_path / "sweep.json").read_text())["status"] == "failed"
    monkeypatch.setattr(sweep_module, "run_cell", real)
    done = run_sweep(small_sweep(), tmp_path, SerialExecutor(), progress=False)
    assert (done.ran, done.skipped) == (4, 4)
    assert_same_tables(reference, done)
    assert bad_seed in calls


def test_a_torn_or_corrupt_part_is_run_again(reference, tmp_path):
    import shutil

    shutil.copytree(reference.out_dir, tmp_path / "copy")
    parts = tmp_path / "copy" / "parts"
    victim = sorted(parts.glob("*.parquet"))[0]
    victim.write_bytes(b"not parquet")
    (parts / ".deadbeef.123.tmp").write_bytes(b"half a file")
    again = run_sweep(small_sweep(), tmp_path / "copy", SerialExecutor(), progress=False)
    assert (again.ran, again.skipped) == (1, len(small_sweep()) - 1)
    assert not list(parts.glob(".*.tmp"))
    assert_same_tables(reference, again)


KILLED_SWEEP = """
import sys
sys.path.insert(0, {root!r})
from sim.sweep import plan, run_sweep
sweep = plan("baseline", ["conventional", "aggressive", "hardship_first"], reps=10, seed=3,
             **{{"population.n_borrowers": 500, "horizon_months": 6, "burn_in_months": 3}})
run_sweep(sweep, {out!r}, workers=1, progress=False)
"""


def killed_plan():
    return plan("baseline", ["conventional", "aggressive", "hardship_first"], reps=10, seed=3,
                **{"population.n_borrowers": 500, "horizon_months": 6, "burn_in_months": 3})


@pytest.mark.timeout(300)
def test_sweep_killed_with_sigkill_resumes_to_the_uninterrupted_table(tmp_path):
    out = tmp_path / "killed"
    script = KILLED_SWEEP.format(root=str(ROOT), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while len(list((out / "parts").glob("*.parquet"))) < 3:
            assert proc.poll() is None, f"the sweep ended before it was killed: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "no runs saved in time"
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes, at once
        proc.wait(timeout=30)
    saved = {p.stem for p in (out / "parts").glob("*.parquet")}
    total = len(killed_plan())
    assert proc.returncode == -signal.SIGKILL
    assert 3 <= len(saved) < total, "kill the sweep part-way"
    assert not (out / "runs.parquet").exists()
    assert json.loads((out / "sweep.json").read_text())["status"] == "running"

    resumed = run_sweep(killed_plan(), out, SerialExecutor(), progress=False)
    assert resumed.skipped == len(saved)  # parts are renamed into place whole; a torn write is a temp file
    assert resumed.ran == total - len(saved)
    uninterrupted = run_sweep(killed_plan(), tmp_path / "whole", SerialExecutor(), progress=False)
    assert_same_tables(uninterrupted, resumed)
    for name in ("runs.parquet", "monthly.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(tmp_path / "whole" / name))
    assert (out / "runs.csv").read_bytes() == (tmp_path / "whole" / "runs.csv").read_bytes()
    assert (out / "monthly.csv").read_bytes() == (tmp_path / "whole" / "monthly.csv").read_bytes()


# --------------------------------------------------------------------------------------------------
# planning
# --------------------------------------------------------------------------------------------------
def test_plan_is_in_canonical_order_and_validates_every_cell_first():
    sweep = small_sweep()
    assert [(c.params[0][1], c.strategy, c.rep) for c in sweep.cells[:4]] == [
        ("none", "conventional", 0), ("none", "conventional", 1), ("none", "aggressive", 0), ("none", "aggressive", 1)]
    with pytest.raises(sim.ScenarioError, match="regulation.regime"):
        plan("baseline", ["conventional"], grid={"regulation.regime": ["none", "mars"]}, **TINY)
    with pytest.raises(sim.ScenarioError, match="population.n_borowers"):
        plan("baseline", ["conventional"], **{"population.n_borowers": 10})
    with pytest.raises(sim.ScenarioError, match="unknown strategy"):
        plan("baseline", ["nope"], **TINY)
    with pytest.raises(SweepError, match="reps"):
        plan("baseline", ["conventional"], reps=0, **TINY)


def test_sampled_designs_may_visit_the_same_point_twice():
    sweep = plan("baseline", ["conventional"], samples=[{"tactics.agency_fee": 0.3}, {"tactics.agency_fee": 0.3}],
                 **TINY)
    assert len(set(sweep.ids)) == 2 and sweep.seeds[0] == sweep.seeds[1]
    with pytest.raises(SweepError, match="same run twice"):
        type(sweep)(sweep.scenarios, [sweep.cells[0], sweep.cells[0]])


def test_in_memory_sweep_matches_the_saved_one(reference):
    result = run_sweep(small_sweep(), None, SerialExecutor(), progress=False)
    assert result.out_dir is None
    assert_same_tables(reference, result)


def test_load_results_reads_back_the_finished_sweep(reference, tmp_path):
    from sim.sweep import load_results

    loaded = load_results(reference.out_dir)
    assert_same_tables(reference, loaded)
    assert loaded.meta["sweep_hash"] == small_sweep().sweep_hash
    with pytest.raises(SweepError, match="not a finished sweep"):
        load_results(tmp_path)
