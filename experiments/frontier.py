"""Multi-objective search over strategy parameters: the Pareto set of recovery, complaints and welfare.

NSGA-II (optuna) searches the parameters of the chosen strategies (which strategy is itself a
choice) to maximise net recovery, minimise complaints and maximise mean financial well-being. Each
candidate is run --reps times with common random numbers (every candidate meets the same shocks, so
candidates are compared on equal terms) and scored by its mean; the first candidates are the
strategies at their default settings, so the figure shows where today's strategies sit against the
frontier. A generation of candidates runs in parallel as one sweep; the search is seeded, so
running the same command again replays it and resumes the runs already saved.

The search space of each strategy comes from its declared defaults: a yes/no setting is a choice;
a share (a float default of at most 1) ranges over 0-1; another float over 0 to twice its default; an
integer over 0 to max(2 x default, default + 3). Change a range with --space STRATEGY.PARAM=LOW:HIGH.

Writes into --out: ``runs/gen_NNN/`` (one resumable sweep per generation), ``trials.csv`` (every
candidate: parameters, mean and 95% CI of each objective, Pareto flag), ``pareto.csv``, and the
figure ``frontier`` (PNG and SVG).

    python experiments/frontier.py --trials 400 --population 40 --reps 4 --workers 2
    python experiments/frontier.py --strategies conventional --space conventional.sue_min_claim=0:20000
    python experiments/frontier.py --tiny
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import UsageError  # noqa: E402

OBJECTIVES = [("recovery_rate_net", "maximize"), ("complaints_per_1000", "minimize"),
              ("wellbeing_mean", "maximize")]


def parser() -> argparse.ArgumentParser:
    from sim.strategies import STRATEGIES

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Registered strategies: " + ", ".join(sorted(STRATEGIES)))
    p.add_argument("--scenario", default="baseline", help="built-in name or TOML path (default: %(default)s)")
    p.add_argument("--strategies", default=None, help="comma-separated strategies to search (default: all)")
    p.add_argument("--trials", type=int, default=None, help="candidates in all (default 240; 8 with --tiny)")
    p.add_argument("--population", type=int, default=None,
                   help="NSGA-II population, also the size of a generation (default 24; 4 with --tiny)")
    p.add_argument("--reps", type=int, default=None, help="replications per candidate (default 3; 2 with --tiny)")
    p.add_argument("--space", action="append", metavar="STRATEGY.PARAM=LOW:HIGH",
                   help="override the range of a strategy parameter")
    common.add_common_args(p, "results/frontier")
    return p


def search_space(strategies: list[str], overrides: list[str] | None) -> dict[str, dict[str, tuple]]:
    """Per strategy: parameter -> ("bool",) | ("int", low, high) | ("float", low, high)."""
    from sim.strategies import STRATEGIES

    space: dict[str, dict[str, tuple]] = {}
    for name in strategies:
        params: dict[str, tuple] = {}
        for key, default in STRATEGIES[name].defaults.items():
            if isinstance(default, bool):
                params[key] = ("bool",)
            elif isinstance(default, int):
                params[key] = ("int", 0, max(2 * default, default + 3))
            elif isinstance(default, float):
                params[key] = ("float", 0.0, 1.0 if default <= 1 else 2 * default)
        space[name] = params
    for item in overrides or []:
        try:
            target, spec = item.split("=", 1)
            strategy, key = target.strip().split(".", 1)
            low, high = (float(v) for v in spec.split(":"))
        except ValueError:
            raise UsageError(f"--space {item}: expected STRATEGY.PARAM=LOW:HIGH") from None
        if strategy not in space or key not in space[strategy] or space[strategy][key][0] == "bool":
            known = ", ".join(f"{s}.{k}" for s in space for k, v in space[s].items() if v[0] != "bool")
            raise UsageError(f"--space {item}: not a numeric parameter of a searched strategy (known: {known})")
        if not 0 <= low < high:
            raise UsageError(f"--space {item}: need 0 <= LOW < HIGH")
        kind = space[strategy][key][0]
        space[strategy][key] = (kind, int(low), int(high)) if kind == "int" else (kind, low, high)
    return space


def suggest(trial, strategies: list[str], space: dict[str, dict[str, tuple]]) -> tuple[str, dict[str, Any]]:
    """Ask a trial for a strategy and its parameters (define-by-run: parameters depend on the strategy)."""
    strategy = trial.suggest_categorical("strategy", strategies)
    params = {}
    for key, spec in space[strategy].items():
        name = f"{strategy}.{key}"
        if spec[0] == "bool":
            params[key] = trial.suggest_categorical(name, [True, False])
        elif spec[0] == "int":
            params[key] = trial.suggest_int(name, spec[1], spec[2])
        else:
            params[key] = trial.suggest_float(name, spec[1], spec[2])
    return strategy, params


def overrides_for(strategy: str, params: dict[str, Any], n_lenders: int) -> dict[str, Any]:
    out: dict[str, Any] = {"strategy": strategy}
    for i in range(n_lenders):
        for key, value in params.items():
            out[f"lenders.{i}.strategy_params.{key}"] = value
    return out


def search(args, strategies: list[str], space, out: Path, ex) -> pd.DataFrame:
    import optuna

    from sim.config import load_scenario
    from sim.stats import interval_row
    from sim.strategies import STRATEGIES
    from sim.sweep import plan, run_sweep

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    trials = args.trials or (8 if args.tiny else 240)
    population = args.population or (4 if args.tiny else 24)
    reps = args.reps or (2 if args.tiny else 3)
    if trials < 1 or population < 2 or reps < 2:
        raise UsageError("--trials must be at least 1, --population at least 2 and --reps at least 2")
    base = common.base_overrides(args)
    n_lenders = len(load_scenario(args.scenario, **base).lenders)
    sampler = optuna.samplers.NSGAIISampler(population_size=population, seed=args.seed)
    study = optuna.create_study(directions=[d for _, d in OBJECTIVES], sampler=sampler)
    for name in strategies:  # today's strategies at their defaults come first
        fixed = {f"{name}.{k}": STRATEGIES[name].defaults[k] for k in space[name]}
        study.enqueue_trial({"strategy": name, **fixed})
    rows = []
    generation = 0
    while len(rows) < trials:
        batch = [study.ask() for _ in range(min(population, trials - len(rows)))]
        chosen = [suggest(t, strategies, space) for t in batch]
        samples = [overrides_for(s, p, n_lenders) for s, p in chosen]
        sweep = plan([args.scenario], None, samples=samples, reps=reps, seed=args.seed,
                     description={"experiment": "frontier", "generation": generation,
                                  "objectives": OBJECTIVES}, **base)
        result = run_sweep(sweep, out / "runs" / f"gen_{generation:03d}", ex, progress=not args.no_progress,
                           fresh=args.fresh)
        runs = result.runs
        for k, (trial, (strategy, params)) in enumerate(zip(batch, chosen, strict=True)):
            sel = runs[runs["point"] == k]
            row: dict[str, Any] = {"trial": trial.number, "generation": generation, "strategy": strategy,
                                   "default_settings": params == {key: STRATEGIES[strategy].defaults[key]
                                                                  for key in params},
                                   "params": repr(params)}
            values = []
            for objective, _ in OBJECTIVES:
                x = sel[objective].to_numpy(dtype=float)
                ci = interval_row(x)
                row[objective] = ci["mean"]
                row[f"{objective}_ci_low"] = ci["ci_low"]
                row[f"{objective}_ci_high"] = ci["ci_high"]
                values.append(float(ci["mean"]))
            row["n_reps"] = len(sel)
            study.tell(trial, values)
            rows.append(row)
        generation += 1
    table = pd.DataFrame(rows)
    pareto = {t.number for t in study.best_trials}
    table["pareto"] = table["trial"].isin(pareto)
    return table


def figure(table: pd.DataFrame, strategies: list[str], out: Path):
    from matplotlib.lines import Line2D

    plt = common.plt()
    pairs = [(0, 1), (0, 2), (1, 2)]
    fig, axes = plt.subplots(1, 3, figsize=(11, 4.2), layout="constrained")
    for ax, (i, j) in zip(axes, pairs, strict=True):
        xo, yo = OBJECTIVES[i][0], OBJECTIVES[j][0]
        sx, sy = common.outcome_scale(xo), common.outcome_scale(yo)
        for k, strategy in enumerate(strategies):
            st = common.style(k)
            mine = table[table["strategy"] == strategy]
            dominated, front = mine[~mine["pareto"]], mine[mine["pareto"]]
            ax.scatter(dominated[xo] * sx, dominated[yo] * sy, s=14, marker=st["marker"], color=st["color"],
                       alpha=0.35, linewidths=0, zorder=1)
            if not front.empty:
                ax.errorbar(front[xo] * sx, front[yo] * sy,
                            xerr=[(front[xo] - front[f"{xo}_ci_low"]) * sx, (front[f"{xo}_ci_high"] - front[xo]) * sx],
                            yerr=[(front[yo] - front[f"{yo}_ci_low"]) * sy, (front[f"{yo}_ci_high"] - front[yo]) * sy],
                            fmt=st["marker"], color=st["color"], markersize=6, capsize=2, elinewidth=0.7,
                            zorder=3)
            default = mine[mine["default_settings"]]
            ax.scatter(default[xo] * sx, default[yo] * sy, s=70, marker=st["marker"], facecolors="none",
                       edgecolors="black", linewidths=1.3, zorder=4)
        ax.set_xlabel(common.outcome_label(xo) + ("\nbetter: right" if OBJECTIVES[i][1] == "maximize"
                                                  else "\nbetter: left"))
        ax.set_ylabel(common.outcome_label(yo) + ("\nbetter: up" if OBJECTIVES[j][1] == "maximize"
                                                  else "\nbetter: down"))
    handles = [Line2D([], [], linestyle="none", marker=common.style(k)["marker"], color=common.style(k)["color"],
                      label=strategy) for k, strategy in enumerate(strategies)]
    handles += [
        Line2D([], [], linestyle="none", marker="o", color="0.3", markersize=6,
               label="Pareto set: mean and 95% CI over replications"),
        Line2D([], [], linestyle="none", marker="o", color="0.3", alpha=0.35, markersize=4, label="dominated"),
        Line2D([], [], linestyle="none", marker="o", markerfacecolor="none", markeredgecolor="black", markersize=8,
               label="strategy at its default settings"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5), frameon=False)
    return common.save_figure(fig, out / "frontier")


def main(argv: list[str] | None = None) -> int:
    from sim.strategies import STRATEGIES

    args = common.smoke(parser().parse_args(argv))
    strategies = common.check_strategies(
        common.parse_list(args.strategies, "--strategies") if args.strategies else sorted(STRATEGIES))
    space = search_space(strategies, args.space)
    out = common.out_dir(args, "results/frontier")
    with common.executor_from(args) as ex:
        table = search(args, strategies, space, out, ex)
    paths = [common.write_csv(table, out / "trials.csv"),
             common.write_csv(table[table["pareto"]], out / "pareto.csv")]
    paths += figure(table, strategies, out)
    front = table[table["pareto"]]
    print(f"{len(table)} candidates, {len(front)} on the Pareto front "
          f"({', '.join(f'{s}: {n}' for s, n in front['strategy'].value_counts().items())})")
    cols = ["trial", "strategy"] + [o for o, _ in OBJECTIVES]
    print(front[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    common.report(paths)
    return 0


if __name__ == "__main__":
    sys.exit(common.run_main(main))
