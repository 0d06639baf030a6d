"""Benchmark of the model: set-up time, throughput of the monthly steps, and peak memory.

Each size runs in a fresh subprocess so that peak memory (the child's maximum resident set size) is
its own. A run is what a user runs: the scenario's burn-in (24 months in the baseline), then the
recorded months. The burn-in is timed on its own: the starting book holds no charged-off or sold
claims, which a running book keeps in collection for 24 months, so the first two years are cheaper
than the rest (``--burn-in 0`` shows it: the table of costs by year). Throughput is borrower-months per
second of the recorded months' steps (set-up and burn-in excluded); linearity compares the cost per
borrower-month across sizes and horizons.

The engine's compiled kernels (``sim.kernels``) are made ready before each child's clock starts; what that
costs is printed first: the compilation a fresh checkout pays once (``--cold`` empties the disk cache to
measure it) and the load from the disk cache that every later process pays. Each child also times a plain
Mesa agent loop (trivial agents whose step is one addition, shuffled), the yardstick of BRIEF section 6,
and the throughput is printed as a ratio to it.

Usage:
    python experiments/benchmark.py                      # 10k, 100k, 1M and 5M households, 36 months
    python experiments/benchmark.py --cold --sizes 10000  # what compiling the kernels costs a fresh checkout
    python experiments/benchmark.py --sizes 10000 100000 --months 12 36
    python experiments/benchmark.py --burn-in 0 --months 72 --sizes 30000   # the first years' build-up
    python experiments/benchmark.py --json out.json
    python experiments/benchmark.py --sizes 1000000 --months 12 --profile   # and where a month's time goes

Targets (BRIEF section 6) at 1M households: at least 10 million borrower-months per second in the
steps, set-up under 5 s, peak memory under 1.5 GB over 36 months.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
import mesa
import sim
import sim.kernels
n, months, scenario, strategy, burn_in = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
extra = {} if burn_in == "scenario" else {"burn_in_months": int(burn_in)}
warm_s = sim.kernels.warm()  # compiled kernels loaded (or compiled) before the clock starts
t0 = time.perf_counter()
model = sim.CollectionModel(scenario, rng=sim.load_scenario(scenario).seed, n_borrowers=n, horizon=months,
                            strategy=strategy, **extra)
t1 = time.perf_counter()
burn_in_months = model.cfg.burn_in_months
for _ in range(burn_in_months):
    model.step()
t2 = time.perf_counter()
month_s = []
while model.running:
    s = time.perf_counter()
    model.step()
    month_s.append(time.perf_counter() - s)
t3 = time.perf_counter()
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
agents = len(model.agents)
loans = model.book.n
del model


class Trivial(mesa.Agent):
    # the yardstick: a plain Mesa agent whose step is one addition
    def __init__(self, model):
        super().__init__(model)
        self.count = 0

    def step(self):
        self.count += 1


plain = mesa.Model(rng=0)
k = min(n, 100_000)
for _ in range(k):
    Trivial(plain)
plain_steps = max(1, 500_000 // k)
s = time.perf_counter()
for _ in range(plain_steps):
    plain.agents.shuffle_do("step")
mesa_rate = k * plain_steps / (time.perf_counter() - s)
print(json.dumps({"households": n, "months": months, "burn_in_months": burn_in_months, "setup_s": t1 - t0,
                  "burn_in_s": t2 - t1, "steps_s": t3 - t2, "borrower_months_per_s": n * months / (t3 - t2),
                  "peak_mb": peak_kb / 1024, "loans_at_end": loans, "agents": agents,
                  "month_s": month_s, "warm_s": warm_s, "mesa_agent_steps_per_s": mesa_rate}))
"""

PROFILE = r"""
import cProfile, json, pstats, sys, time
import sim
import sim.kernels
n, months, scenario, strategy, burn_in = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
extra = {} if burn_in == "scenario" else {"burn_in_months": int(burn_in)}
sim.kernels.warm()
model = sim.CollectionModel(scenario, rng=sim.load_scenario(scenario).seed, n_borrowers=n, horizon=months,
                            strategy=strategy, **extra)
for _ in range(model.cfg.burn_in_months):
    model.step()
draws = {}


class Timed:
    # a named stream whose draws are timed (cProfile does not see numpy's Generator methods); the same draws
    def __init__(self, generator):
        self.generator = generator

    def __getattr__(self, attribute):
        method = getattr(self.generator, attribute)
        if not callable(method):
            return method

        def timed(*args, **kwargs):
            s = time.perf_counter()
            out = method(*args, **kwargs)
            draws[attribute] = draws.get(attribute, 0.0) + time.perf_counter() - s
            return out
        return timed


model.streams = {name: Timed(generator) for name, generator in model.streams.items()}
profile = cProfile.Profile()
start = time.perf_counter()
profile.enable()
while model.running:
    model.step()
profile.disable()
wall = time.perf_counter() - start
steps = {}
for (_, _, name), (_, _, _, _, callers) in pstats.Stats(profile).stats.items():
    for (caller_file, _, caller), (_, _, _, cumulative) in callers.items():
        if caller in ("step", "_simulate_month") and caller_file.endswith("model.py"):
            steps[name] = steps.get(name, 0.0) + cumulative
steps.pop("_simulate_month", None)
print(json.dumps({"households": n, "months": months, "wall_s": wall, "steps": steps, "draws": draws}))
"""

WARM = "import sim.kernels; print(sim.kernels.warm())"

TARGET_RATE = 10e6
TARGET_SETUP_S = 5.0  # BRIEF section 6
TARGET_PEAK_MIB = 1.5e9 / 2**20  # 1.5 GB = 1,430.5 MiB (the stricter reading of the brief's '1.5 GB')


def warm_in_new_process() -> float:
    """Seconds a new process takes to make the compiled kernels ready (compiling them if the disk cache is empty)."""
    out = subprocess.run([sys.executable, "-c", WARM], cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"benchmark: the kernels failed to compile: {out.stderr.strip().splitlines()[-1]}")
    return float(out.stdout.strip().splitlines()[-1])


def clear_kernel_cache() -> int:
    """Remove the compiled kernels from the disk cache (``NUMBA_CACHE_DIR`` or ``sim/__pycache__``); return how many
    files were removed."""
    cache = Path(os.environ["NUMBA_CACHE_DIR"]) if os.environ.get("NUMBA_CACHE_DIR") else ROOT / "sim" / "__pycache__"
    files = [f for f in cache.rglob("kernels*") if f.suffix in (".nbi", ".nbc")] if cache.exists() else []
    for f in files:
        f.unlink()
    return len(files)


def run_one(n: int, months: int, scenario: str, strategy: str, burn_in: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(months), scenario, strategy, burn_in], cwd=ROOT,
                         capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed for {n} households: {out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def profile_one(n: int, months: int, scenario: str, strategy: str, burn_in: str) -> dict:
    """One run of ``n`` households under cProfile (recorded months only): seconds in each step the month calls
    (cumulative, compiled kernels included) and in the random draws, by Generator method (timed by a wrapper
    around each named stream: the same draws)."""
    out = subprocess.run([sys.executable, "-c", PROFILE, str(n), str(months), scenario, strategy, burn_in], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"benchmark profile failed for {n} households: {out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_profile(p: dict) -> None:
    """Where a recorded month's time goes, step by step (the order of ``CollectionModel._simulate_month``)."""
    per_month = 1e3 / p["months"]
    total = p["wall_s"] * per_month
    print(f"\nwhere a recorded month's time goes at {p['households']:,} households ({p['months']} months under "
          f"cProfile: {total:.0f} ms a month; a step's time includes its kernels and its draws)")
    for name, seconds in sorted(p["steps"].items(), key=lambda kv: -kv[1]):
        if seconds * per_month >= 0.5:
            print(f"  {name:<32} {seconds * per_month:7.1f} ms  {seconds * per_month / total:6.1%}")
    draws = sum(p["draws"].values()) * per_month
    print(f"  of which random draws (numpy Generators): {draws:.1f} ms ({draws / total:.1%}); "
          + ", ".join(f"{m} {s * per_month:.1f}" for m, s in sorted(p["draws"].items(), key=lambda kv: -kv[1])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000, 5_000_000])
    parser.add_argument("--months", type=int, nargs="+", default=[36], help="recorded months (after burn-in)")
    parser.add_argument("--burn-in", default="scenario",
                        help="burn-in months before the recorded ones (default: the scenario's own)")
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--strategy", default="conventional")
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    parser.add_argument("--profile", action="store_true",
                        help="then profile one run of the largest size: the time of each step of a month")
    parser.add_argument("--cold", action="store_true",
                        help="empty the kernels' disk cache first, to measure what a fresh checkout pays to compile")
    args = parser.parse_args(argv)
    if os.environ.get("COLLECTION_LAB_SMOKE", "") not in ("", "0"):
        print("COLLECTION_LAB_SMOKE is set: a tiny run, not the one the command asks for", file=sys.stderr)
        args.sizes, args.months, args.burn_in = [300], [3], "2"
    if any(n < 1 for n in args.sizes) or any(m < 1 for m in args.months):
        print("error: --sizes and --months must be positive", file=sys.stderr)
        return 2
    if args.burn_in != "scenario" and not (args.burn_in.isdigit()):
        print("error: --burn-in must be a number of months or 'scenario'", file=sys.stderr)
        return 2

    if args.cold:
        clear_kernel_cache()
    first, second = warm_in_new_process(), warm_in_new_process()
    how = "compiled: the disk cache was emptied" if args.cold else "compiled if the disk cache was empty, else loaded"
    print(f"compiled kernels: first process {first:.2f} s ({how}), a later process {second:.2f} s (loaded from "
          "the disk cache); not counted in set-up\n")

    rows = []
    print(f"{'households':>11} {'months':>6} {'set-up s':>9} {'burn-in s':>17} {'steps s':>8} "
          f"{'borrower-months/s':>18} {'ns per b-m':>10} {'peak MiB':>8}")
    for months in args.months:
        for n in args.sizes:
            r = run_one(n, months, args.scenario, args.strategy, args.burn_in)
            rows.append(r)
            ns = 1e9 / r["borrower_months_per_s"]
            burn = f"{r['burn_in_s']:.2f} ({r['burn_in_months']} mo)"
            print(f"{n:>11,} {months:>6} {r['setup_s']:>9.2f} {burn:>17} {r['steps_s']:>8.2f} "
                  f"{r['borrower_months_per_s']:>18,.0f} {ns:>10.0f} {r['peak_mb']:>8.0f}", flush=True)
    if len(rows) > 1:
        base = rows[0]
        print("\nlinearity: cost per borrower-month of the recorded months relative to the first row "
              "(1.0 = perfectly linear in households and months)")
        for r in rows:
            rel = base["borrower_months_per_s"] / r["borrower_months_per_s"]
            print(f"  {r['households']:>11,} households x {r['months']:>3} months: {rel:.2f}")
    long_runs = [r for r in rows if r["months"] >= 24]
    if long_runs:
        print("\ncost per borrower-month by year of the recorded months, relative to the first year")
        for r in long_runs:
            years = [sum(r["month_s"][y:y + 12]) / len(r["month_s"][y:y + 12]) for y in range(0, r["months"], 12)]
            print(f"  {r['households']:>11,} households: "
                  + "  ".join(f"year {i + 1}: {c / years[0]:.2f}" for i, c in enumerate(years)))
    big = [r for r in rows if r["households"] >= 1_000_000]
    if big:
        r = max(big, key=lambda row: row["months"])
        print(f"\ntargets at {r['households']:,} households over {r['months']} recorded months: "
              f"steps {r['borrower_months_per_s'] / 1e6:.2f}M borrower-months/s (target >= {TARGET_RATE / 1e6:.0f}M: "
              f"{'met' if r['borrower_months_per_s'] >= TARGET_RATE else 'not met'}), "
              f"set-up {r['setup_s']:.1f} s (target < {TARGET_SETUP_S:.0f} s: "
              f"{'met' if r['setup_s'] < TARGET_SETUP_S else 'not met'}), "
              f"peak memory {r['peak_mb']:.0f} MiB = {r['peak_mb'] * 2**20 / 1e9:.2f} GB (target < 1.5 GB: "
              f"{'met' if r['peak_mb'] < TARGET_PEAK_MIB else 'not met'})")
    print("\nagainst a plain Mesa agent loop (trivial agents, one addition a step, shuffled; in the same process)")
    for r in rows:
        print(f"  {r['households']:>11,} households: {r['borrower_months_per_s'] / 1e6:.2f}M borrower-months/s, "
              f"plain Mesa {r['mesa_agent_steps_per_s'] / 1e6:.2f}M agent-steps/s, ratio "
              f"{r['borrower_months_per_s'] / r['mesa_agent_steps_per_s']:.2f}")
    profile = None
    if args.profile:
        profile = profile_one(max(args.sizes), max(args.months), args.scenario, args.strategy, args.burn_in)
        print_profile(profile)
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": rows, "profile": profile} if profile else rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
