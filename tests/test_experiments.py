"""The experiment scripts, run as a user runs them: --help, one-line errors with exit status 2, and
each script's tiny configuration end to end (figures in PNG and SVG, tables in CSV, resume).

Runs are tiny (``--tiny``: 300 households, 3 burn-in and 6 recorded months); nothing here is timed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["compare", "sweep", "sensitivity", "frontier", "benchmark_sweep"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(script: str, *args: str, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "experiments" / f"{script}.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def assert_figure(stem: Path, *texts: str) -> None:
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    assert png.read_bytes()[:8] == PNG_MAGIC
    content = svg.read_text()
    assert "<svg" in content
    for text in texts:  # axis labels are real text in the SVG
        assert text in content, f"{text!r} not in {svg.name}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_help(script):
    proc = run(script, "--help", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout and "--tiny" in proc.stdout and "--out" in proc.stdout


@pytest.mark.parametrize("script,args,message", [
    ("compare", ["--strategies", "conventional,nope"], "unknown strategy 'nope'"),
    ("compare", ["--reps", "1"], "--reps must be at least 2"),
    ("compare", ["--set", "population.n_borowers=10"], "population.n_borowers"),
    ("sweep", ["--param", "tactics.agency_fee=2.5"], "tactics.agency_fee"),
    ("sweep", ["--range", "tactics.agency_fee=0:x:3"], "START:STOP:NUM"),
    ("sweep", ["--outcomes", "happiness"], "unknown outcome 'happiness'"),
    ("sensitivity", ["--samples", "6"], "power of two"),
    ("sensitivity", ["--params", "no/such/file.toml"], "cannot read"),
    ("frontier", ["--space", "conventional.nope=0:1"], "not a numeric parameter"),
    ("benchmark_sweep", ["--executors", "mpi"], "unknown executor 'mpi'"),
    ("compare", ["--workers", "0"], "--workers must be at least 1"),
])
def test_bad_input_is_one_line_and_exit_status_2(tmp_path, script, args, message):
    proc = run(script, "--tiny", "--out", str(tmp_path), "--executor", "serial", *args, timeout=120) \
        if script != "benchmark_sweep" else run(script, "--tiny", "--out", str(tmp_path), *args, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


def test_bad_option_is_an_argparse_error_with_status_2(tmp_path):
    proc = run("sweep", "--reps", "many", timeout=120)
    assert proc.returncode == 2 and "invalid int value" in proc.stderr


@pytest.mark.timeout(400)
def test_compare_tiny_with_a_process_pool(tmp_path):
    proc = run("compare", "--tiny", "--out", str(tmp_path), "--workers", "2", "--scenarios", "baseline,recession",
               "--strategies", "conventional,aggressive,hardship_first")
    assert proc.returncode == 0, proc.stderr
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert {"scenario", "strategy", "outcome", "mean", "ci_low", "ci_high", "n"} <= set(summary.columns)
    assert (summary["n"] == 3).all()
    ok = summary.dropna(subset=["ci_low"])
    assert ((ok["ci_low"] <= ok["mean"]) & (ok["mean"] <= ok["ci_high"])).all()
    diffs = pd.read_csv(tmp_path / "differences.csv")
    assert set(diffs["champion"]) == {"conventional"}  # the strategy classified as champion
    runs = pd.read_parquet(tmp_path / "runs" / "runs.parquet")
    assert len(runs) == 2 * 3 * 3
    # common random numbers: within a scenario and replication every strategy has the same seed
    assert (runs.groupby(["scenario", "rep"])["seed"].nunique() == 1).all()
    assert runs.groupby("scenario")["seed"].nunique().eq(3).all()
    meta = json.loads((tmp_path / "runs" / "sweep.json").read_text())
    assert meta["status"] == "complete" and meta["common_random_numbers"] is True
    assert_figure(tmp_path / "compare_outcomes", "net recovery", "complaints per 1,000", "95%")
    assert_figure(tmp_path / "compare_series", "month of the recorded horizon", "95%")


@pytest.mark.timeout(400)
def test_sweep_tiny_then_resume(tmp_path):
    args = ["--tiny", "--out", str(tmp_path), "--executor", "serial", "--strategies", "conventional,hardship_first"]
    first = run("sweep", *args)
    assert first.returncode == 0, first.stderr
    assert "12 runs (0 resumed)" in first.stdout
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert sorted(summary["value"].unique()) == [3, 6, 10]
    assert set(summary["parameter"]) == {"economy.unemployment.rate"}
    assert_figure(tmp_path / "sweep", "Unemployment rate", "economy.unemployment.rate", "95% confidence band")
    table = pd.read_parquet(tmp_path / "runs" / "runs.parquet")
    second = run("sweep", *args)
    assert second.returncode == 0, second.stderr
    assert "12 runs (12 resumed)" in second.stdout
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "runs" / "runs.parquet"), table)


@pytest.mark.timeout(400)
def test_sweep_over_named_values(tmp_path):
    proc = run("sweep", "--tiny", "--out", str(tmp_path), "--executor", "serial", "--strategies", "conventional",
               "--param", "regulation.regime=none,china_cba_2026")
    assert proc.returncode == 0, proc.stderr
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert list(dict.fromkeys(summary["value"])) == ["none", "china_cba_2026"]
    assert_figure(tmp_path / "sweep", "china_cba_2026", "95% confidence interval")


@pytest.mark.timeout(400)
def test_sensitivity_tiny(tmp_path):
    proc = run("sensitivity", "--tiny", "--out", str(tmp_path), "--executor", "serial")
    assert proc.returncode == 0, proc.stderr
    sobol = pd.read_csv(tmp_path / "sobol_indices.csv")
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(sobol.columns)
    assert len(sobol) == 3 * 3  # three declared parameters (tiny) x three outcomes
    assert (sobol["n_runs"] == 8 * (3 + 2)).all()
    morris = pd.read_csv(tmp_path / "morris_indices.csv")
    assert {"mu_star", "mu_star_conf", "sigma"} <= set(morris.columns)
    assert (morris["mu_star"] >= 0).all()
    assert_figure(tmp_path / "sensitivity_sobol", "Sobol index", "tactics.call_answer_rate")
    assert_figure(tmp_path / "sensitivity_morris", "mu*", "confidence interval")


@pytest.mark.timeout(400)
def test_frontier_tiny(tmp_path):
    proc = run("frontier", "--tiny", "--out", str(tmp_path), "--executor", "serial",
               "--strategies", "conventional,aggressive")
    assert proc.returncode == 0, proc.stderr
    trials = pd.read_csv(tmp_path / "trials.csv")
    assert len(trials) == 8 and trials["pareto"].any()
    assert trials["default_settings"].sum() >= 2  # the strategies at their defaults were evaluated
    pareto = trials[trials["pareto"]]
    for _, a in pareto.iterrows():  # no Pareto point is dominated by another candidate
        better = ((trials["recovery_rate_net"] >= a["recovery_rate_net"])
                  & (trials["complaints_per_1000"] <= a["complaints_per_1000"])
                  & (trials["wellbeing_mean"] >= a["wellbeing_mean"]))
        strictly = ((trials["recovery_rate_net"] > a["recovery_rate_net"])
                    | (trials["complaints_per_1000"] < a["complaints_per_1000"])
                    | (trials["wellbeing_mean"] > a["wellbeing_mean"]))
        assert not (better & strictly).any()
    assert (tmp_path / "pareto.csv").exists()
    assert_figure(tmp_path / "frontier", "net recovery", "Pareto")


@pytest.mark.timeout(400)
def test_benchmark_tiny(tmp_path):
    proc = run("benchmark_sweep", "--tiny", "--out", str(tmp_path), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "benchmark_sweep.csv")
    measures = set(table["measure"])
    assert {"throughput", "overhead", "speed-up 2 vs 1 workers"} <= measures
    assert set(table.loc[table["measure"] == "throughput", "executor"]) == {"process", "dask"}
    assert set(table.loc[table["measure"] == "overhead", "executor"]) >= {"process", "dask"}
    info = json.loads((tmp_path / "benchmark_sweep.json").read_text())
    assert info["packages"]["dask"] and info["git_commit"]


def test_model_benchmark_small(tmp_path):
    """experiments/benchmark.py end to end on small sizes: a row per size and horizon, the burn-in timed
    apart, costs by year, and the JSON file (no timing is asserted)."""
    out = tmp_path / "bench.json"
    proc = run("benchmark", "--sizes", "300", "600", "--months", "24", "--burn-in", "2", "--json", str(out),
               timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "borrower-months/s" in proc.stdout and "by year" in proc.stdout and "year 2:" in proc.stdout
    rows = json.loads(out.read_text())
    assert [(r["households"], r["months"], r["burn_in_months"]) for r in rows] == [(300, 24, 2), (600, 24, 2)]
    assert all(len(r["month_s"]) == 24 and r["peak_mb"] > 0 and r["borrower_months_per_s"] > 0 for r in rows)
    bad = run("benchmark", "--burn-in", "soon", timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--burn-in" in bad.stderr


def test_model_benchmark_profile(tmp_path):
    """``--profile`` adds where a recorded month's time goes: every step of the month with its time and share,
    the random draws apart, and the same in the JSON file (no timing is asserted)."""
    out = tmp_path / "bench.json"
    proc = run("benchmark", "--sizes", "400", "--months", "3", "--burn-in", "2", "--profile", "--json", str(out),
               timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "where a recorded month's time goes at 400 households" in proc.stdout
    assert "random draws (numpy Generators)" in proc.stdout
    profile = json.loads(out.read_text())["profile"]
    assert {"_pay", "_contact", "_account", "_record", "plan_treatments"} <= set(profile["steps"])
    assert profile["draws"]["random"] > 0 and 0 < sum(profile["steps"].values()) <= profile["wall_s"] * 1.01


@pytest.mark.timeout(400)
def test_crisis_tiny(tmp_path):
    """experiments/crisis.py end to end (issue 17): every arm and outcome in the tables, effects against
    no response with intervals, the figures, and a page that says how to reproduce it."""
    proc = run("crisis", "--tiny", "--no-progress", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    levels = pd.read_csv(tmp_path / "crisis.csv")
    effects = pd.read_csv(tmp_path / "crisis_effects.csv")
    arms = ["no response", "forbearance only", "stimulus", "unemployment programme", "other-debt pause", "lockdown",
            "accommodation (ramp)", "accommodation (cliff)", "anticipatory tightening", "package"]
    assert list(dict.fromkeys(levels["arm"])) == arms
    assert list(dict.fromkeys(effects["arm"])) == arms[1:]
    assert {"delinquency_mean", "net_chargeoffs", "collected", "wellbeing_mean", "transfers"} <= set(levels["outcome"])
    assert (levels["n"] == 2).all() and effects["ci_low"].notna().all()
    level = levels.set_index(["arm", "outcome"])["mean"]
    assert level["no response", "transfers"] == 0 and level["stimulus", "transfers"] > 0
    assert level["accommodation (ramp)", "accommodated_peak"] > 0 and level["stimulus", "accommodated_peak"] == 0
    page = (tmp_path / "crisis.md").read_text()
    assert "python experiments/crisis.py --tiny" in page and "P&L" in page
    assert_figure(tmp_path / "img" / "crisis_series", "month of the recorded horizon", "30+ days delinquent")
    assert_figure(tmp_path / "img" / "crisis_effects", "difference from no response")
    bad = run("crisis", "--reps", "1", "--out", str(tmp_path), timeout=120)
    assert bad.returncode == 2 and "--reps must be at least 2" in bad.stderr


def test_patterns_tiny(tmp_path):
    """experiments/patterns.py end to end (issue 12, criterion 8) on two studies: the runs table, a page with
    the command that reproduces it and a section per study; a bad option is one line and exit status 2."""
    proc = run("patterns", "--tiny", "--studies", "book,caps", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "patterns.csv")
    assert set(table["study"]) == {"book", "caps"}
    assert set(table[table["study"] == "caps"]["arm"]) == {"none", "us_reg_f", "us_reg_f_creditors", "china_2018",
                                                          "china_cba_2026"}
    page = (tmp_path / "patterns.md").read_text()
    assert "python experiments/patterns.py --tiny --studies book,caps" in page
    assert "## A card book that looks like one" in page and "## Caps that bind" in page
    bad = run("patterns", "--studies", "nonsense", "--out", str(tmp_path), timeout=120)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "unknown studies" in bad.stderr
