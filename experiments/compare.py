"""Strategies by scenarios, with replications, 95% confidence intervals and common random numbers.

Every strategy meets the same households and shocks in replication r of a scenario (common random
numbers), so the difference between two strategies is measured pair by pair: the table of
differences against a champion has much narrower intervals than the two means taken apart.

Writes into --out: ``runs/`` (the sweep: one Parquet part per run, sidecar, consolidated tables),
``summary.csv`` (mean, sd, 95% CI by scenario, strategy and outcome), ``differences.csv`` (paired
differences against the champion), and the figures ``compare_outcomes`` and ``compare_series``
(PNG and SVG).

    python experiments/compare.py --scenarios baseline,recession --reps 20 --workers 2
    python experiments/compare.py --tiny                      # seconds, for a smoke test
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import HEADLINE, UsageError  # noqa: E402

SERIES = ["recovery_rate_gross", "complaints_per_1000", "wellbeing_mean"]


def parser() -> argparse.ArgumentParser:
    from sim.strategies import STRATEGIES

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Registered strategies: " + ", ".join(sorted(STRATEGIES)))
    p.add_argument("--scenarios", default="baseline,recession",
                   help="comma-separated built-in names or TOML paths (default: %(default)s)")
    p.add_argument("--strategies", default=None, help="comma-separated strategy names (default: all registered)")
    p.add_argument("--reps", type=int, default=None, help="replications per cell (default 10; 3 with --tiny)")
    p.add_argument("--champion", default=None, help="strategy the others are compared with "
                   "(default: the one classified as champion, else the first)")
    p.add_argument("--outcomes", default=",".join(HEADLINE + ["recovery_rate_gross", "wellbeing_low_share",
                                                             "cost_to_collect", "chargeoff_rate"]),
                   help="comma-separated outcomes in the tables; the first three are drawn (default: %(default)s)")
    common.add_common_args(p, "results/compare")
    return p


def paired_differences(runs, champion: str, outcomes: list[str]):
    """Per scenario and strategy: mean difference from the champion over paired replications, with a
    95% confidence interval (:func:`sim.stats.paired_table`)."""
    import pandas as pd

    from sim.stats import paired_table

    tables = [paired_table(sel, "strategy", champion, outcomes, pair_on="rep").assign(scenario=scenario)
              for scenario, sel in runs.groupby("scenario", sort=False)]
    table = pd.concat(tables, ignore_index=True).rename(
        columns={"reference": "champion", "difference": "mean_difference", "n": "n_pairs"})
    return table[["scenario", "strategy", "champion", "outcome", "mean_difference", "ci_low", "ci_high", "n_pairs"]]


def figure_outcomes(summary, scenarios: list[str], strategies: list[str], outcomes: list[str], out: Path):
    plt = common.plt()
    panel = max(3.4, 0.22 * len(strategies) * len(scenarios) + 0.8)  # room for every strategy's interval
    fig, axes = plt.subplots(1, len(outcomes), figsize=(panel * len(outcomes), 3.4), squeeze=False,
                             layout="constrained")
    width = 0.8 / max(len(strategies), 1)
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        scale = common.outcome_scale(outcome)
        for j, strategy in enumerate(strategies):
            sel = summary[(summary["strategy"] == strategy) & (summary["outcome"] == outcome)]
            sel = sel.set_index("scenario").reindex(scenarios)
            x = [i + (j - (len(strategies) - 1) / 2) * width for i in range(len(scenarios))]
            mean = sel["mean"].to_numpy() * scale
            err = [(sel["mean"] - sel["ci_low"]).to_numpy() * scale, (sel["ci_high"] - sel["mean"]).to_numpy() * scale]
            st = common.style(j)
            ax.errorbar(x, mean, yerr=err, fmt=st["marker"], color=st["color"], capsize=3, label=strategy,
                        markersize=5)
        ax.set_xticks(range(len(scenarios)), scenarios)
        ax.set_xlabel("scenario")
        ax.set_ylabel(common.outcome_label(outcome))
    return common.save_with_legend(fig, axes[0][0], out / "compare_outcomes", ncols=min(len(strategies), 4),
                                   title="strategy: mean and 95% confidence interval over replications")


def figure_series(monthly, scenarios: list[str], strategies: list[str], out: Path):
    from sim.stats import grouped_mean_ci

    plt = common.plt()
    series = [s for s in SERIES if s in monthly.columns]
    fig, axes = plt.subplots(len(scenarios), len(series), figsize=(3.4 * len(series), 2.7 * len(scenarios)),
                             squeeze=False, layout="constrained")
    for r, scenario in enumerate(scenarios):
        for c, name in enumerate(series):
            ax = axes[r][c]
            scale = common.outcome_scale(name)
            for j, strategy in enumerate(strategies):
                sel = monthly[(monthly["scenario"] == scenario) & (monthly["strategy"] == strategy)]
                band = grouped_mean_ci(sel, ["month"], [name])
                st = common.style(j)
                ax.plot(band["month"], band["mean"] * scale, color=st["color"], linestyle=st["linestyle"],
                        label=strategy)
                ax.fill_between(band["month"], band["ci_low"] * scale, band["ci_high"] * scale, color=st["color"],
                                alpha=0.2, linewidth=0)
            ax.set_xlabel("month of the recorded horizon")
            label = common.outcome_label(name)
            ax.set_ylabel(label.replace("\n", ", cumulative\n", 1) if name == "recovery_rate_gross" else label)
            ax.set_title(f"scenario: {scenario}")
    return common.save_with_legend(fig, axes[0][0], out / "compare_series", ncols=min(len(strategies), 4),
                                   title="strategy: mean and 95% confidence band over replications")


def main(argv: list[str] | None = None) -> int:
    from sim.strategies import STRATEGIES
    from sim.sweep import plan, run_sweep, summarise

    args = common.smoke(parser().parse_args(argv), reps=2)
    scenarios, strategies, outcomes, reps = common.selection(args, reps=10, tiny_reps=3,
                                                             what="confidence intervals")
    champion = args.champion or next(
        (s for s in strategies if STRATEGIES[s].classifier.get("champion")), strategies[0])
    if champion not in strategies:
        raise UsageError(f"--champion {champion!r} is not among --strategies ({', '.join(strategies)})")
    sweep = plan(scenarios, strategies, reps=reps, seed=args.seed, common_random_numbers=True,
                 description={"experiment": "compare", "champion": champion}, **common.base_overrides(args))
    labels = list(sweep.scenarios)
    out = common.out_dir(args, "results/compare")
    with common.executor_from(args) as ex:
        result = run_sweep(sweep, out / "runs", ex, progress=not args.no_progress, fresh=args.fresh)
    runs = result.runs
    summary = summarise(runs, outcomes, by=["scenario", "strategy"])
    diffs = paired_differences(runs, champion, outcomes)
    paths = [common.write_csv(summary, out / "summary.csv"), common.write_csv(diffs, out / "differences.csv")]
    paths += figure_outcomes(summary, labels, strategies, outcomes[:3], out)
    paths += figure_series(result.monthly, labels, strategies, out)
    print(f"{len(runs)} runs ({result.skipped} resumed from {out / 'runs'}), {reps} replications, "
          f"common random numbers")
    table = summary[summary["outcome"].isin(outcomes[:3])].pivot_table(
        index=["scenario", "strategy"], columns="outcome", values="mean", sort=False)
    print(table.to_string(float_format=lambda v: f"{v:.4g}"))
    common.report(paths)
    return 0


if __name__ == "__main__":
    sys.exit(common.run_main(main))
