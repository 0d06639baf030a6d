"""Global sensitivity analysis: Sobol and Morris indices (SALib) over declared uncertain parameters.

The uncertain parameters and their ranges are declared in a TOML file (default:
``experiments/uncertain_parameters.toml``): dotted paths into the scenario, with bounds, unit and why
the value is uncertain. Sobol first-order (S1) and total (ST) indices say how much of an outcome's
variance each parameter explains, alone and with its interactions; Morris elementary effects (mu*,
sigma) rank parameters cheaply. Both come with 95% bootstrap confidence intervals. Every sample of
replication r meets the same shocks (common random numbers), so the indices measure the parameters,
not simulation noise; with --reps > 1 the outcome of a sample is its mean over replications.

Cost: Sobol needs N x (D + 2) runs (N base samples, a power of two; D parameters), Morris r x (D + 1).

Writes into --out: ``sobol_runs/`` and ``morris_runs/`` (resumable sweeps), ``sobol_indices.csv``,
``morris_indices.csv``, and the figures ``sensitivity_sobol`` and ``sensitivity_morris`` (PNG, SVG).

    python experiments/sensitivity.py --samples 256 --trajectories 20 --workers 2
    python experiments/sensitivity.py --method morris --params my_parameters.toml
    python experiments/sensitivity.py --tiny
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import HEADLINE, UsageError  # noqa: E402

DEFAULT_PARAMS = Path(__file__).resolve().parent / "uncertain_parameters.toml"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--params", type=Path, default=DEFAULT_PARAMS,
                   help="TOML file declaring the uncertain parameters (default: %(default)s)")
    p.add_argument("--method", choices=["sobol", "morris", "both"], default="both", help="default: %(default)s")
    p.add_argument("--scenario", default="baseline", help="built-in name or TOML path (default: %(default)s)")
    p.add_argument("--strategy", default="conventional", help="strategy of every lender (default: %(default)s)")
    p.add_argument("--samples", type=int, default=None,
                   help="Sobol base samples N, a power of two (default 256; 8 with --tiny)")
    p.add_argument("--trajectories", type=int, default=None, help="Morris trajectories r (default 20; 4 with --tiny)")
    p.add_argument("--levels", type=int, default=4, help="Morris grid levels (default: %(default)s)")
    p.add_argument("--reps", type=int, default=1, help="replications averaged per sample (default: %(default)s)")
    p.add_argument("--outcomes", default=",".join(HEADLINE),
                   help="comma-separated outcomes, one panel each (default: %(default)s)")
    common.add_common_args(p, "results/sensitivity")
    return p


def load_problem(path: Path, tiny: bool = False) -> tuple[dict, list[dict]]:
    """Read the declared parameters into a SALib problem; with ``tiny`` keep the first three."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise UsageError(f"--params {path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--params {path}: not valid TOML: {exc}") from None
    entries = data.get("parameter")
    if not isinstance(entries, list) or not entries:
        raise UsageError(f"--params {path}: declare at least one [[parameter]] with name, low and high")
    for i, e in enumerate(entries):
        missing = [k for k in ("name", "low", "high") if k not in e]
        if missing:
            raise UsageError(f"--params {path}: parameter {i + 1} lacks {', '.join(missing)}")
        if not float(e["low"]) < float(e["high"]):
            raise UsageError(f"--params {path}: {e['name']}: low {e['low']} is not below high {e['high']}")
    names = [e["name"] for e in entries]
    if len(set(names)) != len(names):
        raise UsageError(f"--params {path}: a parameter is declared twice")
    if tiny:
        entries = entries[:3]
    problem = {"num_vars": len(entries), "names": [e["name"] for e in entries],
               "bounds": [[float(e["low"]), float(e["high"])] for e in entries]}
    return problem, entries


def to_samples(x: np.ndarray, entries: list[dict]) -> list[dict]:
    """Rows of a design matrix as dotted overrides (integers rounded)."""
    out = []
    for row in x:
        point = {}
        for value, e in zip(row, entries, strict=True):
            point[e["name"]] = int(round(value)) if e.get("integer") else float(value)
        out.append(point)
    return out


def outcome_matrix(runs: pd.DataFrame, n_points: int, outcomes: list[str]) -> dict[str, np.ndarray]:
    """One value per design point and outcome: the mean over replications."""
    point = runs["point"].to_numpy()
    return {o: pd.Series(runs[o].to_numpy(dtype=float)).groupby(point).mean().reindex(range(n_points)).to_numpy()
            for o in outcomes}


def run_design(name: str, x: np.ndarray, entries: list[dict], args, outcomes, out: Path, ex, problem):
    from sim.sweep import plan, run_sweep

    sweep = plan([args.scenario], [args.strategy], samples=to_samples(x, entries), reps=args.reps, seed=args.seed,
                 description={"experiment": f"sensitivity/{name}", "problem": problem,
                              "parameters": entries}, **common.base_overrides(args))
    result = run_sweep(sweep, out / f"{name}_runs", ex, progress=not args.no_progress, fresh=args.fresh)
    return outcome_matrix(result.runs, len(x), outcomes), result


def sobol(args, problem, entries, outcomes, out: Path, ex) -> pd.DataFrame:
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    n = args.samples or (8 if args.tiny else 256)
    if n < 2 or n & (n - 1):
        raise UsageError(f"--samples must be a power of two (Sobol sequence), got {n}")
    x = sobol_sample.sample(problem, n, calc_second_order=False, seed=args.seed)
    ys, result = run_design("sobol", x, entries, args, outcomes, out, ex, problem)
    rows = []
    for outcome, y in ys.items():
        if np.ptp(y) == 0:
            s = {k: np.full(problem["num_vars"], np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            s = sobol_analyze.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=args.seed)
        for i, name in enumerate(problem["names"]):
            rows.append({"outcome": outcome, "parameter": name, "S1": s["S1"][i], "S1_conf": s["S1_conf"][i],
                         "ST": s["ST"][i], "ST_conf": s["ST_conf"][i], "n_runs": len(result.runs),
                         "base_samples": n})
    return pd.DataFrame(rows)


def morris(args, problem, entries, outcomes, out: Path, ex) -> pd.DataFrame:
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    r = args.trajectories or (4 if args.tiny else 20)
    if r < 2:
        raise UsageError(f"--trajectories must be at least 2, got {r}")
    if args.levels < 2 or args.levels % 2:
        raise UsageError(f"--levels must be an even number of at least 2, got {args.levels}")
    x = morris_sample.sample(problem, r, num_levels=args.levels, seed=args.seed)
    ys, result = run_design("morris", x, entries, args, outcomes, out, ex, problem)
    rows = []
    for outcome, y in ys.items():
        s = morris_analyze.analyze(problem, x, y, conf_level=0.95, num_levels=args.levels, seed=args.seed)
        for i, name in enumerate(problem["names"]):
            rows.append({"outcome": outcome, "parameter": name, "mu": s["mu"][i], "mu_star": s["mu_star"][i],
                         "mu_star_conf": s["mu_star_conf"][i], "sigma": s["sigma"][i],
                         "n_runs": len(result.runs), "trajectories": r})
    return pd.DataFrame(rows)


def figure_sobol(table: pd.DataFrame, names: list[str], outcomes: list[str], out: Path):
    plt = common.plt()
    fig, axes = plt.subplots(1, len(outcomes), figsize=(3.3 * len(outcomes) + 1.5, 0.45 * len(names) + 1.6),
                             squeeze=False, sharey=True, layout="constrained")
    y = np.arange(len(names))
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        sel = table[table["outcome"] == outcome].set_index("parameter").reindex(names)
        ax.barh(y - 0.2, sel["S1"], height=0.38, xerr=sel["S1_conf"], color=common.COLOURS[0], capsize=2,
                label="first order S1")
        ax.barh(y + 0.2, sel["ST"], height=0.38, xerr=sel["ST_conf"], color=common.COLOURS[1], capsize=2,
                hatch="//", edgecolor="white", label="total ST")
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel("Sobol index (share of variance)")
        ax.set_title(common.outcome_label(outcome).replace("\n", " "), fontsize=9)
    axes[0][0].set_yticks(y, names)
    axes[0][0].invert_yaxis()
    return common.save_with_legend(fig, axes[0][0], out / "sensitivity_sobol", ncols=2,
                                   title="index with 95% bootstrap confidence interval")


def figure_morris(table: pd.DataFrame, names: list[str], outcomes: list[str], out: Path):
    plt = common.plt()
    fig, axes = plt.subplots(1, len(outcomes), figsize=(3.6 * len(outcomes), 3.6), squeeze=False,
                             layout="constrained")
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        sel = table[table["outcome"] == outcome].set_index("parameter").reindex(names)
        scale = common.outcome_scale(outcome)
        for j, name in enumerate(names):
            st = common.style(j)
            ax.errorbar(sel.loc[name, "mu_star"] * scale, sel.loc[name, "sigma"] * scale,
                        xerr=sel.loc[name, "mu_star_conf"] * scale, fmt=st["marker"], color=st["color"],
                        capsize=2, markersize=5, label=name)
        ax.set_xlabel("mu*: mean |elementary effect|\n(outcome units per range of the parameter)")
        ax.set_ylabel("sigma: std. dev. of elementary effects\n(outcome units per range)")
        ax.set_title(common.outcome_label(outcome).replace("\n", " "), fontsize=9)
    return common.save_with_legend(fig, axes[0][0], out / "sensitivity_morris", ncols=min(len(names), 3),
                                   title="parameter (mu* with 95% bootstrap confidence interval)")


#: each method: its analysis, its figure, the index printed, the printed heading and the index's format
METHODS = {
    "sobol": (sobol, figure_sobol, "ST", "Sobol total indices ST:", ".3f"),
    "morris": (morris, figure_morris, "mu_star", "Morris mu*:", ".4g"),
}


def main(argv: list[str] | None = None) -> int:
    from sim.config import load_scenario

    args = common.smoke(parser().parse_args(argv), reps=1)
    common.check_strategies([args.strategy])
    outcomes = common.check_outcomes(common.parse_list(args.outcomes, "--outcomes"))
    if args.reps < 1:
        raise UsageError(f"--reps must be at least 1, got {args.reps}")
    problem, entries = load_problem(args.params, tiny=args.tiny)
    # fail fast on a bad path or range: validate the scenario at both ends of every range
    for e in entries:
        for bound in ("low", "high"):
            value = int(round(e[bound])) if e.get("integer") else float(e[bound])
            load_scenario(args.scenario, **{**common.base_overrides(args), e["name"]: value})
    out = common.out_dir(args, "results/sensitivity")
    paths = []
    with common.executor_from(args) as ex:
        for method, (analyse, figure, index, heading, digits) in METHODS.items():
            if args.method not in (method, "both"):
                continue
            table = analyse(args, problem, entries, outcomes, out, ex)
            paths.append(common.write_csv(table, out / f"{method}_indices.csv"))
            paths += figure(table, problem["names"], outcomes, out)
            print(heading)
            print(table.pivot_table(index="parameter", columns="outcome", values=index, sort=False)
                  .to_string(float_format=lambda v, digits=digits: f"{v:{digits}}"))
    common.report(paths)
    return 0


if __name__ == "__main__":
    sys.exit(common.run_main(main))
