"""Benchmark of the sweep machinery: throughput with one and two workers, and per-run overhead.

Throughput: --runs runs of the baseline scenario with --borrowers households each (10,000 by
default, full burn-in and horizon), through a process pool and a Dask local cluster of 1 and then 2
single-threaded workers. Workers are started and warmed up (one run each) before the clock starts;
start-up is reported apart. Each sweep is timed --repeat times and the fastest counts, since other
work on a shared machine only ever slows a run down. The ratio of runs per second with 2 workers to
1 worker is the speed-up (the target is at least 1.7 on a machine with 2 free cores).

Overhead: --tiny-runs runs of a minimal scenario (200 households, 1 month, no burn-in) called
directly in a loop, then through run_sweep (with the results written to Parquet as in practice) on
each executor with one worker; the difference per run is the overhead of the executor and of saving.

Writes --out/benchmark_sweep.csv and --out/benchmark_sweep.json (with package versions, git commit
and CPU count). Timings depend on the machine and on what else runs on it: report them as measured.

    python experiments/benchmark_sweep.py
    python experiments/benchmark_sweep.py --runs 32 --borrowers 20000
    python experiments/benchmark_sweep.py --tiny
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import UsageError  # noqa: E402

MINIMAL = {"population.n_borrowers": 200, "horizon_months": 1, "burn_in_months": 0}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="baseline", help="built-in name or TOML path (default: %(default)s)")
    p.add_argument("--runs", type=int, default=None, help="runs per throughput measurement (default 16; 4 with --tiny)")
    p.add_argument("--borrowers", type=int, default=None,
                   help="households per throughput run (default 10000; 300 with --tiny)")
    p.add_argument("--tiny-runs", type=int, default=None,
                   help="runs per overhead measurement (default 200; 6 with --tiny)")
    p.add_argument("--executors", default="process,dask", help="comma-separated: process, dask (default: %(default)s)")
    p.add_argument("--repeat", type=int, default=None,
                   help="time each measurement this many times and keep the fastest (default 2; 1 with --tiny)")
    p.add_argument("--out", default="results/benchmark", help="output directory (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="master seed (default: %(default)s)")
    p.add_argument("--tiny", action="store_true", help="a tiny configuration for smoke tests")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def spin(n: int) -> int:
    """Pure CPU work with no memory traffic: what the machine's cores alone allow."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_ceiling(tasks: int = 6, n: int = 3_000_000) -> float:
    """Speed-up of pure CPU work from 1 to 2 worker processes: the most a sweep can reach on this
    machine at this moment (below 2 when other work competes for the cores)."""
    import concurrent.futures as cf
    import multiprocessing

    walls = {}
    for workers in (1, 2):
        with cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            list(pool.map(spin, [1000] * workers))  # start the workers
            started = time.perf_counter()
            list(pool.map(spin, [n] * tasks))
            walls[workers] = time.perf_counter() - started
    return walls[1] / walls[2]


def timed_sweeps(sweeps: dict, kind: str, workers: int, scratch: Path, repeat: int = 1) -> dict:
    """Start an executor, warm it up (one minimal run a worker), then time each sweep through it
    ``repeat`` times; the fastest time counts (the others were slowed by other work on the machine)."""
    from sim.sweep import open_executor, plan, run_sweep

    t0 = time.perf_counter()
    out = {}
    with open_executor(kind, workers=workers) as ex:
        first = next(iter(sweeps.values()))
        warm = plan(list(first.scenarios.values())[0], None, reps=workers, seed=10**6, **MINIMAL)
        run_sweep(warm, None, ex, progress=False)
        out["startup_s"] = time.perf_counter() - t0
        for name, sweep in sweeps.items():
            times = []
            for _ in range(repeat):
                target = scratch / f"{kind}_{workers}_{name}"
                shutil.rmtree(target, ignore_errors=True)
                started = time.perf_counter()
                run_sweep(sweep, target, ex, progress=False)
                times.append(time.perf_counter() - started)
            out[name] = min(times)
            out[f"{name}_all"] = times
    return out


def main(argv: list[str] | None = None) -> int:
    from sim.runner import run_scenario
    from sim.sweep import SerialExecutor, plan, provenance, run_sweep

    args = common.smoke(parser().parse_args(argv))
    runs = args.runs or (4 if args.tiny else 16)
    borrowers = args.borrowers or (300 if args.tiny else 10_000)
    tiny_runs = args.tiny_runs or (6 if args.tiny else 200)
    repeat = args.repeat or (1 if args.tiny else 2)
    if repeat < 1:
        raise UsageError(f"--repeat must be at least 1, got {repeat}")
    kinds = common.parse_list(args.executors, "--executors")
    for kind in kinds:
        if kind not in ("process", "dask"):
            raise UsageError(f"--executors: unknown executor {kind!r}; known: process, dask")
    if runs < 2 or borrowers < 1 or tiny_runs < 1:
        raise UsageError("--runs must be at least 2, --borrowers and --tiny-runs at least 1")
    base = {"population.n_borrowers": borrowers, **({"horizon_months": 6, "burn_in_months": 3} if args.tiny else {})}
    heavy = plan(args.scenario, None, reps=runs, seed=args.seed, **base)
    light = plan(args.scenario, None, reps=tiny_runs, seed=args.seed, **MINIMAL)
    cfg = heavy.config(heavy.cells[0])
    rows = []
    load_before = os.getloadavg()[0]
    scratch = Path(tempfile.mkdtemp(prefix="benchmark_sweep_"))
    try:
        # reference: one run at a time, in this process, no executor and no files
        t = time.perf_counter()
        for i, cell in enumerate(heavy.cells):
            run_scenario(heavy.scenarios[cell.scenario], seed=heavy.seeds[i], **cell.overrides)
        direct_heavy = (time.perf_counter() - t) / runs
        t = time.perf_counter()
        for i, cell in enumerate(light.cells):
            run_scenario(light.scenarios[cell.scenario], seed=light.seeds[i], **cell.overrides)
        direct_light = (time.perf_counter() - t) / tiny_runs
        rows.append({"measure": "direct call", "executor": "none", "workers": 1, "runs": runs,
                     "runs_per_s": 1 / direct_heavy, "seconds_per_run": direct_heavy})

        ceiling_before = machine_ceiling(n=300_000 if args.tiny else 3_000_000)
        rows.append({"measure": "machine ceiling (pure CPU, 2 vs 1 processes)", "executor": "process", "workers": 2,
                     "ratio": ceiling_before})
        with common.progress_total(len(kinds) * 2 + 1, not args.no_progress) as bar:
            t = time.perf_counter()
            run_sweep(light, scratch / "serial_light", SerialExecutor(), progress=False)
            rows.append({"measure": "overhead", "executor": "serial (run_sweep, in process)", "workers": 1,
                         "runs": tiny_runs,
                         "overhead_ms_per_run": 1000 * ((time.perf_counter() - t) / tiny_runs - direct_light)})
            bar.update(1)
            for kind in kinds:
                timing = {}
                for workers in (1, 2):
                    sweeps = {"heavy": heavy, "light": light} if workers == 1 else {"heavy": heavy}
                    timing[workers] = timed_sweeps(sweeps, kind, workers, scratch, repeat)
                    rows.append({"measure": "throughput", "executor": kind, "workers": workers, "runs": runs,
                                 "runs_per_s": runs / timing[workers]["heavy"],
                                 "seconds_per_run": timing[workers]["heavy"] / runs,
                                 "startup_s": timing[workers]["startup_s"],
                                 "wall_s_each_repeat": " ".join(f"{t:.2f}" for t in timing[workers]["heavy_all"])})
                    bar.update(1)
                rows.append({"measure": "speed-up 2 vs 1 workers", "executor": kind, "workers": 2, "runs": runs,
                             "ratio": timing[1]["heavy"] / timing[2]["heavy"]})
                rows.append({"measure": "overhead", "executor": kind, "workers": 1, "runs": tiny_runs,
                             "overhead_ms_per_run": 1000 * (timing[1]["light"] / tiny_runs - direct_light)})
        ceiling_after = machine_ceiling(n=300_000 if args.tiny else 3_000_000)
        rows.append({"measure": "machine ceiling at the end", "executor": "process", "workers": 2,
                     "ratio": ceiling_after})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = os.getloadavg()[0]
    table = pd.DataFrame(rows)
    out = Path(args.out)
    paths = [common.write_csv(table, out / "benchmark_sweep.csv")]
    info = {"scenario": args.scenario, "borrowers": borrowers, "repeat": repeat, "horizon_months": cfg.horizon_months,
            "burn_in_months": cfg.burn_in_months, "runs": runs, "tiny_runs": tiny_runs,
            "minimal_run": MINIMAL, "cpu_count": os.cpu_count(), "load_average_1min": [load_before, load_after],
            "results": rows, **provenance()}
    (out / "benchmark_sweep.json").write_text(json.dumps(info, indent=1, default=float))
    paths.append(out / "benchmark_sweep.json")
    print(f"{runs} runs of {args.scenario}, {borrowers:,} households, {cfg.burn_in_months} burn-in + "
          f"{cfg.horizon_months} recorded months; {os.cpu_count()} CPUs, load average {load_before:.1f} before "
          f"and {load_after:.1f} after (a load above the CPU count means other work competes for the cores and "
          f"caps the speed-up)")
    print(f"direct call: {direct_heavy:.3f} s a run; minimal run {1000 * direct_light:.1f} ms")
    for row in rows:
        if row["measure"] == "throughput":
            print(f"  {row['executor']:>7} x{row['workers']}: {row['runs_per_s']:.2f} runs/s "
                  f"(start-up {row['startup_s']:.1f} s; wall s of each repeat: {row['wall_s_each_repeat']})")
        elif row["measure"].startswith("speed-up"):
            print(f"  {row['executor']:>7} speed-up 2 vs 1 workers: {row['ratio']:.2f} (target >= 1.7; "
                  f"pure CPU work got {ceiling_before:.2f} at the start and {ceiling_after:.2f} at the end)")
    for row in rows:
        if row["measure"] == "overhead":
            print(f"  overhead per run, {row['executor']}: {row['overhead_ms_per_run']:.1f} ms")
    common.report(paths)
    return 0


if __name__ == "__main__":
    sys.exit(common.run_main(main))
