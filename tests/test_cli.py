"""The command line (criterion 9): ``run`` prints a KPI table and writes Parquet, CSV and meta.json;
``compare`` prints each outcome's mean and 95% CI per strategy; ``strategies`` lists the registry."""

from __future__ import annotations

import json
import re
import subprocess

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.cli import KPIS

SET = ["--set", "population.n_borrowers=500", "--set", "horizon_months=6", "--set", "burn_in_months=3"]
OVERRIDES = {"population.n_borrowers": 500, "horizon_months": 6, "burn_in_months": 3}


@pytest.fixture(scope="module")
def run_out(tmp_path_factory, helpers):
    out = tmp_path_factory.mktemp("run")
    proc = helpers.run_cli("run", "baseline", "--strategy", "aggressive", "--seed", "3", "--out", str(out), *SET)
    assert proc.returncode == 0, proc.stderr
    return proc, out


def _kpi_cells(stdout: str) -> dict[str, str]:
    """Label -> printed value of the single-lender KPI table."""
    cells = {}
    for key, label, _ in KPIS:
        line = next(line for line in stdout.splitlines() if line.startswith(label + " ") or line.rstrip() == label)
        cells[key] = line[len(label):].strip()
    return cells


def test_run_prints_every_kpi_with_the_value_the_model_computes(run_out):
    proc, out = run_out
    assert proc.stdout.startswith("baseline: seed 3, 500 households, 6 months")
    cells = _kpi_cells(proc.stdout)
    summary = pd.read_csv(out / "summary.csv").set_index("lender").loc["all"]
    for key, _label, fmt in KPIS:
        assert cells[key] == fmt.format(summary[key]), key
    # the same numbers as the Python API with the same arguments
    api = sim.run_scenario("baseline", seed=3, strategy="aggressive", **OVERRIDES)
    for key, _label, fmt in KPIS:
        assert cells[key] == fmt.format(api[key]), key


def test_run_writes_parquet_csv_and_meta(run_out):
    proc, out = run_out
    for name in ("monthly", "segments", "summary"):
        parquet = pd.read_parquet(out / f"{name}.parquet")
        csv = pd.read_csv(out / f"{name}.csv")
        assert list(parquet.columns) == list(csv.columns)
        assert len(parquet) == len(csv) > 0
        numeric = parquet.select_dtypes("number").columns
        np.testing.assert_allclose(parquet[numeric].to_numpy(float), csv[numeric].to_numpy(float), rtol=1e-12)
    monthly = pd.read_parquet(out / "monthly.parquet")
    assert sorted(monthly["lender"].unique()) == ["Card issuer", "all"]
    assert sorted(monthly["month"].unique()) == list(range(6))
    assert f"wrote {out / 'monthly.parquet'}" in proc.stdout


def test_meta_json_holds_config_hash_seed_versions_and_commit(run_out, helpers):
    _, out = run_out
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 3
    assert meta["scenario"] == "baseline"
    cfg = sim.Scenario.model_validate(meta["config"])
    assert cfg.population.n_borrowers == 500 and cfg.horizon_months == 6 and cfg.burn_in_months == 3
    assert cfg.lenders[0].strategy == "aggressive"
    assert meta["config_hash"] == cfg.config_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", meta["config_hash"])
    assert meta["packages"]["mesa"] == "3.5.1"
    assert meta["packages"]["numpy"] == np.__version__
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=helpers.ROOT, capture_output=True,
                            text=True).stdout.strip()
    assert meta["git_commit"] == commit
    assert re.fullmatch(r"[0-9a-f]{40}", meta["git_commit"])


def test_meta_json_reproduces_the_run(run_out):
    """The config and seed in meta.json are enough to reproduce the written monthly table exactly."""
    _, out = run_out
    meta = json.loads((out / "meta.json").read_text())
    again = sim.simulate(meta["config"], seed=meta["seed"])
    written = pd.read_parquet(out / "monthly.parquet")
    pd.testing.assert_frame_equal(again.monthly.reset_index(drop=True), written, check_exact=True)


def test_run_with_several_lenders_prints_a_column_per_lender(tmp_path, helpers):
    path = tmp_path / "two.toml"
    path.write_text('name = "two"\nhorizon_months = 4\nburn_in_months = 2\n[population]\nn_borrowers = 300\n'
                    '[[lenders]]\nname = "Alpha"\n[[lenders]]\nname = "Beta"\nstrategy = "aggressive"\n')
    proc = helpers.run_cli("run", str(path), "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    header = next(line for line in proc.stdout.splitlines() if "Alpha" in line)
    assert header.split() == ["Alpha", "Beta", "all"]


@pytest.fixture(scope="module")
def compare_out(tmp_path_factory, helpers):
    out = tmp_path_factory.mktemp("compare")
    proc = helpers.run_cli("compare", "baseline", "--strategies", "conventional,aggressive", "--reps", "3",
                           "--seed", "2", "--out", str(out), *SET)
    assert proc.returncode == 0, proc.stderr
    return proc, out


CELL = re.compile(r"(-?[\d.,]+)%? \[(-?[\d.,]+)%?, (-?[\d.,]+)%?\]")


def test_compare_prints_mean_and_95ci_per_strategy(compare_out):
    proc, out = compare_out
    lines = proc.stdout.splitlines()
    assert "3 replication(s)" in lines[0] and "95% CI" in lines[0] and "seeds 2..4" in lines[0]
    header = lines[1].split()
    assert header == ["conventional", "aggressive"]
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 6 and sorted(runs["seed"].unique()) == [2, 3, 4]
    for key, label, fmt in KPIS:
        line = next(line for line in lines[2:] if line.startswith(label.strip() + " "))
        cells = CELL.findall(line)
        assert len(cells) == 2, line
        for strategy, (mean, lo, hi) in zip(["conventional", "aggressive"], cells, strict=True):
            x = runs.loc[runs["strategy"] == strategy, key].to_numpy(float)
            half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
            assert mean == _bare(fmt.format(x.mean())), (key, strategy)
            assert lo == _bare(fmt.format(x.mean() - half)), (key, strategy)
            assert hi == _bare(fmt.format(x.mean() + half)), (key, strategy)


def _bare(text: str) -> str:
    return text.rstrip("%")


def test_compare_uses_common_random_numbers_and_matches_the_api(compare_out):
    """Replication r runs every strategy with seed (first seed + r), the same runs as the Python API."""
    _, out = compare_out
    runs = pd.read_csv(out / "runs.csv")
    row = runs[(runs["strategy"] == "aggressive") & (runs["rep"] == 1)].iloc[0]
    assert row["seed"] == 3
    api = sim.run_scenario("baseline", seed=3, strategy="aggressive", **OVERRIDES)
    assert row["complaints_per_1000"] == pytest.approx(api["complaints_per_1000"], rel=1e-12)
    conf = pd.read_csv(out / "confidence.csv")
    assert set(conf["strategy"]) == {"conventional", "aggressive"} and (conf["n"] == 3).all()
    assert (conf["ci_low"] <= conf["mean"] + 1e-12).all() and (conf["mean"] <= conf["ci_high"] + 1e-12).all()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seeds"] == [2, 3, 4] and meta["strategies"] == ["conventional", "aggressive"]
    assert meta["config_hash"] == sim.Scenario.model_validate(meta["scenario"]).config_hash()


def test_compare_is_quiet_when_not_a_terminal(compare_out):
    proc, _ = compare_out
    assert proc.stderr == ""


def test_strategies_lists_every_registered_strategy(helpers):
    proc = helpers.run_cli("strategies")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert len(lines) == len(sim.STRATEGIES)
    names = [line.split()[0] for line in lines]
    assert sorted(names) == sorted(sim.STRATEGIES)
    for line in lines:
        name, description = line.split(None, 1)
        # the one-line description, possibly followed by the classifier
        assert description.strip().startswith(sim.STRATEGIES[name].description)
        assert sim.STRATEGIES[name].description


@pytest.mark.parametrize("argv", [[], ["fly"], ["run"], ["compare", "baseline"]])
def test_missing_or_unknown_command_exits_2(argv, capsys):
    from sim.cli import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert capsys.readouterr().err
