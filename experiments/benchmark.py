"""Benchmark of the model: set-up time, throughput of the monthly steps, and peak memory.

Each size runs in a fresh subprocess so that peak memory (the child's maximum resident set size) is
its own. The monthly-step throughput is borrower-months per second over the simulated months only
(set-up excluded). Linearity is checked by comparing the cost per borrower-month across sizes and
across horizons.

Usage:
    python experiments/benchmark.py                      # 10k, 100k and 1M households, 36 months
    python experiments/benchmark.py --sizes 10000 100000 --months 12 36
    python experiments/benchmark.py --json out.json

Targets (BRIEF section 6) at 1M households: at least 10 million borrower-months per second in the
steps, set-up under 10 s, peak memory under 1.5 GB.
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
import sim
n, months, scenario, strategy = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
t0 = time.perf_counter()
model = sim.CollectionModel(scenario, n_borrowers=n, horizon=months, burn_in_months=0, strategy=strategy)
t1 = time.perf_counter()
month_s = []
while model.running:
    s = time.perf_counter()
    model.step()
    month_s.append(time.perf_counter() - s)
t2 = time.perf_counter()
loans = model.book.n
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"households": n, "months": months, "setup_s": t1 - t0, "steps_s": t2 - t1,
                  "borrower_months_per_s": n * months / (t2 - t1), "peak_mb": peak_kb / 1024,
                  "loans_at_end": loans, "agents": len(model.agents), "month_s": month_s}))
"""


def run_one(n: int, months: int, scenario: str, strategy: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(months), scenario, strategy], cwd=ROOT,
                         capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed for {n} households: {out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--months", type=int, nargs="+", default=[36])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--strategy", default="conventional")
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.sizes) or any(m < 1 for m in args.months):
        print("error: --sizes and --months must be positive", file=sys.stderr)
        return 2

    rows = []
    print(f"{'households':>11} {'months':>6} {'set-up s':>9} {'steps s':>8} {'borrower-months/s':>18} "
          f"{'ns per b-m':>10} {'peak MB':>8}")
    for months in args.months:
        for n in args.sizes:
            r = run_one(n, months, args.scenario, args.strategy)
            rows.append(r)
            ns = 1e9 / r["borrower_months_per_s"]
            print(f"{n:>11,} {months:>6} {r['setup_s']:>9.2f} {r['steps_s']:>8.2f} "
                  f"{r['borrower_months_per_s']:>18,.0f} {ns:>10.0f} {r['peak_mb']:>8.0f}", flush=True)
    if len(rows) > 1:
        base = rows[0]
        print("\nlinearity: cost per borrower-month relative to the first row "
              "(1.0 = perfectly linear in households and months)")
        for r in rows:
            rel = base["borrower_months_per_s"] / r["borrower_months_per_s"]
            print(f"  {r['households']:>11,} households x {r['months']:>3} months: {rel:.2f}")
    long_runs = [r for r in rows if r["months"] >= 24]
    if long_runs:
        print("\ncost per borrower-month by year of the run, relative to the first year (the book starts without "
              "the charged-off and sold claims that a running book keeps in collection for 24 months, so it "
              "builds up over the first two years)")
        for r in long_runs:
            years = [sum(r["month_s"][y:y + 12]) / len(r["month_s"][y:y + 12])
                     for y in range(0, r["months"], 12)]
            print(f"  {r['households']:>11,} households: "
                  + "  ".join(f"year {i + 1}: {c / years[0]:.2f}" for i, c in enumerate(years)))
    big = [r for r in rows if r["households"] >= 1_000_000]
    if big:
        r = big[-1]
        print("\ntargets at 1M households: "
              f"steps {r['borrower_months_per_s'] / 1e6:.1f}M borrower-months/s (target >= 10M), "
              f"set-up {r['setup_s']:.1f} s (target < 10 s), peak memory {r['peak_mb']:.0f} MB (target < 1,536 MB)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
