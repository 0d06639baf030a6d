"""Benchmark of portfolio files (issue 7, criterion 6): a one-million-row portfolio is generated, loaded
and validated (target: under 10 s), and the model runs from it for a few months.

The portfolio comes from ``data/make_sample_portfolio.py`` (the sample's distributions, more
households), written as CSV and as Parquet. Each measurement runs in a fresh subprocess, so that
timings include nothing cached and peak memory (maximum resident set size) is the child's own.

Usage:
    python experiments/benchmark_portfolio.py                 # 1,000,000 rows, 3 months
    python experiments/benchmark_portfolio.py --rows 100000 --months 6 --json out.json

Printed figures: seconds to load and validate (CSV from a path, CSV from bytes as an app upload,
Parquet), seconds to list every bad row of a copy with 1% of rows corrupted, model set-up seconds
(the load included), seconds per simulated month, borrower-months per second and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "data"))

LOAD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import sim.portfolio as sp
t1 = time.perf_counter()
path, mode = sys.argv[1], sys.argv[2]
if mode == "bytes":
    data = open(path, "rb").read()
    t1 = time.perf_counter()
c1 = time.process_time()
p = sp.load_portfolio(data if mode == "bytes" else path, name="upload.csv", strict=False)
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "cpu_s": c2 - c1, "accounts": p.n_accounts,
                  "problems": len(p.problems),
                  "rows_in_file": p.rows_in_file,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

MODEL = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import sim
t1 = time.perf_counter()
c1 = time.process_time()
model = sim.CollectionModel("portfolio_sample", rng=0, portfolio=sys.argv[1], horizon_months=int(sys.argv[2]))
t2, c2 = time.perf_counter(), time.process_time()
while model.running:
    model.step()
t3, c3 = time.perf_counter(), time.process_time()
gap = float(model.book.ledger_gap().max())
print(json.dumps({"import_s": t1 - t0, "setup_s": t2 - t1, "setup_cpu_s": c2 - c1, "steps_s": t3 - t2,
                  "steps_cpu_s": c3 - c2, "households": model.borrowers.n,
                  "loans_at_start": int(model.portfolio.n_accounts), "months": int(sys.argv[2]),
                  "borrower_months_per_s": model.borrowers.n * int(sys.argv[2]) / (t3 - t2),
                  "ledger_gap": gap, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, env=env,
                         check=False)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"benchmark child failed: {last}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_files(rows: int, folder: Path) -> dict[str, Path | float]:
    import numpy as np
    from make_sample_portfolio import make

    t0 = time.perf_counter()
    frame = make(households=int(rows / 1.19) + 10).head(rows)
    t1 = time.perf_counter()
    csv_path, parquet_path, bad_path = folder / "portfolio.csv", folder / "portfolio.parquet", folder / "bad.csv"
    frame.to_csv(csv_path, index=False, float_format="%.10g")
    frame.to_parquet(parquet_path, index=False)
    # a copy with 1% of rows corrupted: negative balances, text in rates, duplicate ids
    bad = frame.copy()
    rng = np.random.default_rng(0)
    idx = rng.choice(rows, size=max(rows // 100, 3), replace=False)
    third = len(idx) // 3
    bad["balance"] = bad["balance"].astype(object)
    bad["rate"] = bad["rate"].astype(object)
    bad.loc[idx[:third], "balance"] = -1.0
    bad.loc[idx[third:2 * third], "rate"] = "n/a"
    bad.loc[idx[2 * third:], "account_id"] = frame["account_id"].iloc[0]
    bad.to_csv(bad_path, index=False, float_format="%.10g")
    t2 = time.perf_counter()
    return {"csv": csv_path, "parquet": parquet_path, "bad": bad_path, "generate_s": t1 - t0, "write_s": t2 - t1,
            "bad_rows": len(idx)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    args = parser.parse_args(argv)
    if os.environ.get("COLLECTION_LAB_SMOKE", "") not in ("", "0"):
        print("COLLECTION_LAB_SMOKE is set: a tiny run, not the one the command asks for", file=sys.stderr)
        args.rows, args.months = 2000, 1
    if args.rows < 10 or args.months < 1:
        print("error: --rows must be at least 10 and --months at least 1", file=sys.stderr)
        return 2
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(args.rows, Path(tmp))
        size_mb = files["csv"].stat().st_size / 1e6
        print(f"portfolio: {args.rows:,} rows, CSV {size_mb:.0f} MB, Parquet "
              f"{files['parquet'].stat().st_size / 1e6:.0f} MB (generated in {files['generate_s']:.1f} s, "
              f"written in {files['write_s']:.1f} s)")
        print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall-clock seconds "
              "grow with other load; CPU seconds much less)")
        print(f"\n{'load and validate':<38} {'seconds':>8} {'CPU s':>6} {'import s':>9} {'accounts':>10} "
              f"{'problems':>9} {'peak MB':>8}")
        for label, path, mode in [("CSV from a path", files["csv"], "path"),
                                  ("CSV from bytes (an app upload)", files["csv"], "bytes"),
                                  ("Parquet from a path", files["parquet"], "path"),
                                  (f"CSV with {files['bad_rows']:,} bad rows, all listed", files["bad"], "path")]:
            r = child(LOAD, str(path), mode)
            results[label] = r
            flag = "" if r["load_s"] < 10 else "  (over the 10 s target)"
            print(f"{label:<38} {r['load_s']:>8.2f} {r['cpu_s']:>6.2f} {r['import_s']:>9.2f} {r['accounts']:>10,} "
                  f"{r['problems']:>9,} {r['peak_mb']:>8.0f}{flag}", flush=True)
        r = child(MODEL, str(files["csv"]), str(args.months))
        results["model"] = r
    print(f"\nmodel from the portfolio: {r['households']:,} households, {r['loans_at_start']:,} loans at the start")
    print(f"  set-up (load, validation, households, book, agents): {r['setup_s']:.2f} s "
          f"({r['setup_cpu_s']:.2f} CPU s)")
    print(f"  {r['months']} month{'s' * (r['months'] != 1)}: {r['steps_s']:.2f} s ({r['steps_cpu_s']:.2f} CPU s; "
          f"{r['steps_s'] / r['months']:.2f} s a month, "
          f"{r['borrower_months_per_s']:,.0f} borrower-months/s)")
    print(f"  peak memory {r['peak_mb']:.0f} MB; largest ledger gap {r['ledger_gap']:.1e}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": args.rows, **results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
