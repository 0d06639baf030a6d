"""Sweep any scenario parameter over a grid: curves of recovery, complaints and welfare with 95% bands.

The parameter is a dotted path into the scenario file (``python -m sim params`` lists them all), for
example ``economy.unemployment.rate``, ``tactics.agency_fee``, ``behaviour.contact_tolerance``,
``lenders.0.strategy_params.sell_after_months`` or ``regulation.regime``. Numeric values give curves
with confidence bands; other values (regime names, or a mix such as ``1,3,7,"unlimited"``) give points
with error bars in the order listed. Every grid point of replication r meets the same shocks (common
random numbers), so the curves are smooth in the parameter.

Writes into --out: ``runs/`` (the resumable sweep), ``summary.csv`` (mean, sd, 95% CI by scenario,
strategy, value and outcome) and the figure ``sweep`` (PNG and SVG).

    python experiments/sweep.py --param economy.unemployment.rate=3,4.6,6,8,10 --reps 10
    python experiments/sweep.py --param regulation.regime=none,china_2018,us_reg_f,china_cba_2026
    python experiments/sweep.py --range tactics.agency_fee=0.15:0.5:8 --strategies conventional
    python experiments/sweep.py --tiny
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import HEADLINE, UsageError  # noqa: E402

from sim.config import parse_value  # noqa: E402

DEFAULT_PARAM = "economy.unemployment.rate=3,4.6,6,8,10"
TINY_PARAM = "economy.unemployment.rate=3,6,10"


def parser() -> argparse.ArgumentParser:
    from sim.strategies import STRATEGIES

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Registered strategies: " + ", ".join(sorted(STRATEGIES)))
    axis = p.add_mutually_exclusive_group()
    axis.add_argument("--param", metavar="NAME=V1,V2,...",
                      help=f"the parameter and its values (default: {DEFAULT_PARAM})")
    axis.add_argument("--range", metavar="NAME=START:STOP:NUM",
                      help="the parameter over NUM evenly spaced values from START to STOP")
    p.add_argument("--scenarios", default="baseline", help="comma-separated built-in names or TOML paths "
                   "(default: %(default)s)")
    p.add_argument("--strategies", default=None, help="comma-separated strategy names (default: all registered)")
    p.add_argument("--reps", type=int, default=None, help="replications per point (default 8; 2 with --tiny)")
    p.add_argument("--outcomes", default=",".join(HEADLINE), help="comma-separated outcomes, one panel each "
                   "(default: %(default)s)")
    common.add_common_args(p, "results/sweep")
    return p


def parse_axis(args: argparse.Namespace) -> tuple[str, list]:
    """The swept parameter and its values, from --param or --range."""
    if args.range:
        if "=" not in args.range:
            raise UsageError(f"--range {args.range}: expected NAME=START:STOP:NUM")
        name, spec = (s.strip() for s in args.range.split("=", 1))
        try:
            start, stop, num = spec.split(":")
            values = np.linspace(float(start), float(stop), int(num)).tolist()
        except ValueError:
            raise UsageError(f"--range {args.range}: expected NAME=START:STOP:NUM with numbers") from None
        if len(values) < 2:
            raise UsageError(f"--range {args.range}: NUM must be at least 2")
        return name, values
    text = args.param or (TINY_PARAM if args.tiny else DEFAULT_PARAM)
    if "=" not in text:
        raise UsageError(f"--param {text}: expected NAME=V1,V2,...")
    name, spec = (s.strip() for s in text.split("=", 1))
    values = [parse_value(v.strip()) for v in spec.split(",") if v.strip()]
    if not name or not values:
        raise UsageError(f"--param {text}: give a parameter name and at least one value")
    if len({repr(v) for v in values}) != len(values):
        raise UsageError(f"--param {text}: a value is listed twice")
    return name, values


def is_numeric(values: list) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def figure(summary, name: str, values: list, scenarios: list[str], strategies: list[str], outcomes: list[str],
           out: Path):
    plt = common.plt()
    numeric = is_numeric(values)
    fig, axes = plt.subplots(len(scenarios), len(outcomes), figsize=(3.4 * len(outcomes), 2.9 * len(scenarios)),
                             squeeze=False, layout="constrained")
    positions = {repr(v): (v if numeric else i) for i, v in enumerate(values)}
    width = 0.6 / max(len(strategies), 1)
    for r, scenario in enumerate(scenarios):
        for c, outcome in enumerate(outcomes):
            ax = axes[r][c]
            scale = common.outcome_scale(outcome)
            for j, strategy in enumerate(strategies):
                sel = summary[(summary["scenario"] == scenario) & (summary["strategy"] == strategy)
                              & (summary["outcome"] == outcome)]
                x = (sel["value"].to_numpy(dtype=float) if numeric  # a numeric column may hold 3 as 3.0
                     else np.array([positions[repr(v)] for v in sel["value"]], dtype=float))
                mean, low, high = (sel[k].to_numpy() * scale for k in ("mean", "ci_low", "ci_high"))
                st = common.style(j)
                if numeric:
                    ax.plot(x, mean, color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
                            markersize=4, label=strategy)
                    ax.fill_between(x, low, high, color=st["color"], alpha=0.2, linewidth=0)
                else:
                    x = x + (j - (len(strategies) - 1) / 2) * width
                    ax.errorbar(x, mean, yerr=[mean - low, high - mean], fmt=st["marker"], color=st["color"],
                                capsize=3, markersize=5, label=strategy)
            if not numeric:
                ax.set_xticks(range(len(values)), [str(v) for v in values], rotation=20)
            ax.set_xlabel(common.param_label(name))
            ax.set_ylabel(common.outcome_label(outcome))
            if len(scenarios) > 1:
                ax.set_title(f"scenario: {scenario}")
    return common.save_with_legend(fig, axes[0][0], out / "sweep", ncols=min(len(strategies), 4),
                                   title=f"strategy: mean and 95% confidence {'band' if numeric else 'interval'} "
                                   "over replications")


def main(argv: list[str] | None = None) -> int:
    from sim.sweep import plan, run_sweep, summarise

    args = common.smoke(parser().parse_args(argv), reps=2)
    name, values = parse_axis(args)
    scenarios, strategies, outcomes, reps = common.selection(args, reps=8, tiny_reps=2, what="confidence bands")
    sweep = plan(scenarios, strategies, grid={name: values}, reps=reps, seed=args.seed,
                 description={"experiment": "sweep", "parameter": name, "values": values},
                 **common.base_overrides(args))
    out = common.out_dir(args, "results/sweep")
    with common.executor_from(args) as ex:
        result = run_sweep(sweep, out / "runs", ex, progress=not args.no_progress, fresh=args.fresh)
    runs = result.runs.copy()
    # the grid value of each run, as its position's key: a column of 3 and 4.6 is float64, where 3 would
    # come back as 3.0 and no longer match the grid's '3'
    runs["value_key"] = [repr(values[i]) for i in _value_index(runs[name], values)]
    summary = summarise(runs, outcomes, by=["scenario", "strategy", "value_key"])
    lookup = {repr(v): v for v in values}
    summary.insert(2, "value", summary.pop("value_key").map(lookup))
    summary.insert(2, "parameter", name)
    paths = [common.write_csv(summary, out / "summary.csv")]
    paths += figure(summary, name, values, list(sweep.scenarios), strategies, outcomes, out)
    print(f"{len(runs)} runs ({result.skipped} resumed), {name} over {len(values)} values, {reps} replications")
    table = summary[summary["outcome"] == outcomes[0]].pivot_table(index="value", columns="strategy", values="mean",
                                                                   sort=False)
    print(f"{outcomes[0]} (mean):")
    print(table.to_string(float_format=lambda v: f"{v:.4g}"))
    common.report(paths)
    return 0


def _value_index(column, values: list) -> list[int]:
    """Map each run's parameter value back to its position in the grid (robust to dtype changes)."""
    keys = {str(v): i for i, v in enumerate(values)}
    numeric = is_numeric(values)
    out = []
    for v in column:
        if numeric:
            out.append(int(np.argmin([abs(float(v) - float(u)) for u in values])))
        else:
            out.append(keys[str(v)])
    return out


if __name__ == "__main__":
    sys.exit(common.run_main(main))
