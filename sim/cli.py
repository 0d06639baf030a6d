"""Command line: ``python -m sim {run,compare,validate,strategies,params}``.

Bad input (a malformed scenario, an unknown strategy, a bad override) prints one line naming the
problem on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ScenarioError, load_scenario, parse_overrides
from sim.output import write_outputs
from sim.runner import compare, confidence_table, simulate
from sim.strategies import STRATEGIES

KPIS = [
    # money first: what the lender made, and recovery on a base the strategy does not move (docs/outcomes.md)
    ("npv", "NPV at the cost of funds, $", "{:,.0f}"),
    ("pnl", "P&L over the run (undiscounted), $", "{:,.0f}"),
    ("recovery_rate_on_book", "recovered / (book at start + originations)", "{:.2%}"),
    ("recovery_rate_gross", "recovered / delinquent exposure (gross)", "{:.2%}"),
    ("recovery_rate_net", "recovered net of costs / delinquent exposure", "{:.2%}"),
    ("cost_to_collect", "cost to collect", "{:.2%}"),
    ("collected_per_collector_hour", "collected per collector hour, $", "{:,.0f}"),
    ("rpc_per_attempt", "right-party contacts per call attempt", "{:.2%}"),
    ("promise_kept_rate", "promises to pay kept", "{:.2%}"),
    ("cure_rate", "cure rate (monthly)", "{:.2%}"),
    ("redefault_rate_cured", "re-default rate after a cure", "{:.2%}"),
    ("delinquency_30plus_rate", "30+ delinquency rate", "{:.2%}"),
    ("chargeoff_rate", "charge-off rate (annualised)", "{:.2%}"),
    ("complaints_per_1000", "complaints per 1,000 in collection a month", "{:.1f}"),
    ("complaints_debt_not_owed_per_1000", "  of which debt not owed", "{:.1f}"),
    ("complaints_communication_tactics_per_1000", "  of which communication tactics", "{:.1f}"),
    ("wellbeing_mean", "well-being index (0-100)", "{:.1f}"),
    ("wellbeing_low_share", "share with low well-being (<38)", "{:.1%}"),
]
# outcomes of a champion/challenger or strategy comparison, paired replication by replication, with the
# difference a lender wants to see by default (``--detect`` overrides; ``None``: 1% of the reference's mean)
PAIRED = [
    ("npv", "NPV, $", "{:,.0f}", None),
    ("pnl", "P&L, $", "{:,.0f}", None),
    ("recovery_rate_common_base", "recovered / common base", "{:.2%}", 0.01),
    ("chargeoff_rate", "charge-off rate", "{:.2%}", 0.01),
    ("complaints_per_1000", "complaints per 1,000", "{:.2f}", 1.0),
    ("wellbeing_mean", "well-being index", "{:.2f}", 0.5),
    ("ce_change", "welfare (consumption equivalent)", "{:.2%}", 0.001),
]
WELFARE = [
    ("ce_change", "consumption-equivalent change against no collection, future included"),
    ("ce_change_horizon", "  recorded months only (counts unpaid debt as consumption)"),
    ("owed_end_per_household", "owed at the end per household, $ (no collection: {counterfactual})"),
]


class UsageError(Exception):
    """Bad input on the command line."""


#: set to 1 to shrink every run to 300 households, 3 burn-in and 6 recorded months and at most 2
#: replications whatever the command line asks (the test that runs the commands in the docs uses it)
SMOKE_ENV = "COLLECTION_LAB_SMOKE"
SMOKE = {"population.n_borrowers": 300, "burn_in_months": 3, "horizon_months": 6}


def _smoke() -> bool:
    if os.environ.get(SMOKE_ENV, "") in ("", "0"):
        return False
    print(f"{SMOKE_ENV} is set: {SMOKE['population.n_borrowers']} households, {SMOKE['burn_in_months']} + "
          f"{SMOKE['horizon_months']} months, at most 2 replications", file=sys.stderr)
    return True


def _overrides(pairs: list[str] | None, args: argparse.Namespace | None = None) -> dict[str, Any]:
    out = parse_overrides(pairs)
    if args is not None and _smoke():
        out.update(SMOKE)
        args.reps = min(args.reps, 2)
    return out


def _check_out(out: str | None) -> Path | None:
    """The ``--out`` folder, created now so that a path that cannot be written is refused before anything
    runs (and nothing computed is lost)."""
    if out is None:
        return None
    path = Path(out)
    try:
        if path.exists() and not path.is_dir():
            raise UsageError(f"--out {out}: is a file, not a folder")
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"--out {out}: cannot write there ({why})") from None
    return path


def _check_seed(seed: int | None, reps: int = 1) -> None:
    """Seeds SEED..SEED+REPS-1 must lie in 0..2**63-1 (what numpy's SeedSequence and meta.json take)."""
    from sim.model import MAX_SEED

    if seed is not None and not (0 <= seed and seed + reps - 1 <= MAX_SEED):
        raise UsageError(f"--seed must be between 0 and 2**63-1{' - (REPS-1)' if reps > 1 else ''}, got {seed}")


def _check_strategy(name: str) -> None:
    if name not in STRATEGIES:
        raise UsageError(f"unknown strategy {name!r}; known: {', '.join(sorted(STRATEGIES))}")


def cmd_validate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    households = f"{scenario.population.n_borrowers:,} households"
    if scenario.portfolio:
        from sim.portfolio import load_portfolio, portfolio_path

        path = portfolio_path(scenario.portfolio, args.scenario)
        portfolio = load_portfolio(path)
        households = f"portfolio {path.name}: {len(portfolio.frame):,} accounts"
    print(f"OK: {args.scenario} ({scenario.name}, {len(scenario.lenders)} lender(s), {households}, "
          f"{scenario.horizon_months} months)")
    return 0


def cmd_strategies(args: argparse.Namespace) -> int:
    width = max(len(n) for n in STRATEGIES)
    for name in sorted(STRATEGIES):
        cls = STRATEGIES[name]
        classifier = ", ".join(f"{k}={v}" for k, v in cls.classifier.items())
        print(f"{name:<{width}}  {cls.description}  [{classifier}]")
    return 0


def cmd_regimes(args: argparse.Namespace) -> int:
    from sim.regulation import REGIMES

    width = max(len(n) for n in REGIMES)
    for name, regime in REGIMES.items():
        print(f"{name:<{width}}  {regime.description}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    from sim.docs import parameter_table

    print(parameter_table())
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    overrides = _overrides(args.set, args)
    if args.strategy:
        _check_strategy(args.strategy)
        overrides["strategy"] = args.strategy
    load_scenario(args.scenario, **overrides)  # fail fast with a one-line message
    if args.reps < 1:
        raise UsageError(f"--reps must be at least 1, got {args.reps}")
    _check_seed(args.seed, args.reps)
    _check_out(args.out)
    if args.reps > 1:
        return _run_replicated(args, overrides)
    result = simulate(args.scenario, seed=args.seed, **overrides)
    summary = result.to_dict()
    welfare = {}
    if not args.no_welfare:
        from sim.welfare import welfare_outcomes

        welfare = welfare_outcomes(result, args.scenario)
    lenders = list(result.summary["lender"])
    rows = []
    for key, label, fmt in KPIS:
        row = {"outcome": label}
        for lender in lenders:
            suffix = "" if lender == "all" else f"@{lender}"
            row[lender] = fmt.format(summary[f"{key}{suffix}"])
        rows.append(row)
    table = pd.DataFrame(rows).set_index("outcome")
    if len(lenders) == 2:
        table = table[["all"]]
    violations = {k: summary[k] for k in summary if k.startswith(("clipped_", "would_clip_")) and "@" not in k
                  and summary[k] > 0}
    print(f"{result.meta['scenario']}: seed {result.meta['seed']}, "
          f"{result.meta['config']['population']['n_borrowers']:,} households, "
          f"{result.meta['config']['horizon_months']} months")
    print(table.to_string())
    for column, how in (result.meta.get("portfolio") or {}).get("filled", {}).items():
        print(f"portfolio: filled {column}: {how}")
    if violations:
        print("contact requests clipped by the regime (clipped_*) or that the reference regime would forbid "
              "(would_clip_*): " + ", ".join(f"{k} {v:,.0f}" for k, v in violations.items()))
    if welfare:
        print(_welfare_lines(welfare))
    if args.out:
        paths = write_outputs(Path(args.out), result, welfare=welfare or None)
        print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def _welfare_lines(welfare: dict[str, float]) -> str:
    """The welfare block of ``run``: households, against the no-collection counterfactual on the same seed."""
    lines = ["welfare of households against no collection (same seed; docs/outcomes.md):"]
    for key, label in WELFARE:
        if key == "owed_end_per_household":
            text = label.format(counterfactual=f"{welfare['counterfactual.owed_end_per_household']:,.0f}")
            lines.append(f"  {text}: {welfare[key]:,.0f}")
        else:
            lines.append(f"  {label}: {welfare[key]:.2%}")
    segments = [k for k in welfare if k.startswith("ce_change.")]
    lines.append("  by segment (future included): " + ", ".join(
        f"{k.split('.', 1)[1]} {welfare[k]:.2%}" for k in segments))
    return "\n".join(lines)


def _run_replicated(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    """Run a scenario ``--reps`` times and print each outcome per lender (or arm) with a 95% CI; on a
    champion/challenger scenario, each challenger against its champion, paired replication by replication."""
    from sim.progress import progress_bar
    from sim.runner import arm_outcomes

    first = 0 if args.seed is None else args.seed
    frames = []
    with progress_bar(args.reps, "runs") as bar:
        for rep in range(args.reps):
            result = simulate(args.scenario, seed=first + rep, **overrides)
            frame = arm_outcomes(result)
            frame.insert(1, "rep", rep)
            frames.append(frame)
            bar.update(1)
    runs = pd.concat(frames, ignore_index=True)
    groups = list(dict.fromkeys(runs["group"]))
    table = confidence_table(runs, [k for k, _, _ in KPIS], by="group", order=groups)
    print(f"{result.meta['scenario']}: {args.reps} replications, seeds {first}..{first + args.reps - 1}; "
          "mean [95% CI] per lender or arm")
    print(_confidence_grid(table, "group", groups))
    paired = []
    for lender, arms in runs[runs["arm"] >= 0].groupby("lender_name", sort=False):
        names = list(dict.fromkeys(arms["group"]))
        if len(names) < 2:
            continue
        champion = names[0]
        print(f"\n{lender}: challengers against the champion, paired by replication (same seed); money scaled "
              "to the whole book (divided by the arm's share of accounts)")
        scaled = arms.assign(npv=arms["npv_scaled"], pnl=arms["pnl_scaled"])
        part = _paired(scaled, "group", champion, args.detect, welfare=False)
        paired.append(part)
    if args.out:
        # the config as run with the first seed (the others differ in the seed alone)
        meta = {"scenario": result.meta["scenario"], "seeds": list(range(first, first + args.reps)),
                "config": {**result.meta["config"], "seed": first}}
        meta["config_hash"] = load_scenario(meta["config"]).config_hash()
        out = _write_runs(Path(args.out), runs, table, meta)
        written = [out / "runs.parquet", out / "runs.csv", out / "confidence.csv", out / "meta.json"]
        if paired:
            pd.concat(paired, ignore_index=True).to_csv(out / "paired.csv", index=False)
            written.append(out / "paired.csv")
        print(f"wrote {', '.join(str(p) for p in written)}")
    return 0


def _detect(pairs: list[str] | None) -> dict[str, float]:
    """``--detect OUTCOME=DIFFERENCE`` pairs as a dict."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        try:
            out[key.strip()] = abs(float(value))
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise UsageError(f"--detect {pair}: expected OUTCOME=DIFFERENCE, for example chargeoff_rate=0.01")
    return out


def _paired(runs: pd.DataFrame, by: str, reference: str, detect_args: list[str] | None,
            welfare: bool) -> pd.DataFrame:
    """Print and return the paired comparison of every group against ``reference``, with the replications
    needed to detect the default (or ``--detect``) difference of each outcome."""
    from sim.stats import paired_table

    rows = [r for r in PAIRED if welfare or r[0] != "ce_change"]
    detect = _detect(detect_args)
    unknown = sorted(set(detect) - {k for k, *_ in rows})
    if unknown:
        raise UsageError(f"--detect {unknown[0]}: not a compared outcome; known: {', '.join(k for k, *_ in rows)}")
    ref_rows = runs[runs[by] == reference]
    for key, _, _, default in rows:
        if key not in detect:
            detect[key] = default if default is not None else 0.01 * abs(float(ref_rows[key].mean()))
    table = paired_table(runs, by, reference, [k for k, *_ in rows], detect=detect)
    fmt = {k: (label, f) for k, label, f, _ in rows}
    lines = []
    for _, r in table.iterrows():
        label, f = fmt[r["outcome"]]
        cell = f.format(r["difference"])
        if np.isfinite(r["ci_low"]):
            cell += f" [{f.format(r['ci_low'])}, {f.format(r['ci_high'])}]  p = {r['p_value']:.3g}"
        needed = r["replications_needed"]
        reps = "n/a" if not np.isfinite(needed) and np.isnan(needed) else (
            "more than 100,000" if not np.isfinite(needed) else f"{int(needed):,}")
        lines.append({"outcome": label, by: r[by], "difference [95% CI]": cell,
                      "to detect": f.format(r["detect"]), "replications needed": reps})
    print(f"difference against {reference}: mean [95% CI] and paired t-test p-value; replications needed to detect "
          "the stated difference with 80% power at the 5% level (--detect OUTCOME=DIFFERENCE to change it)")
    print(pd.DataFrame(lines).to_string(index=False))
    return table


def _confidence_grid(table: pd.DataFrame, by: str, columns: list[str]) -> str:
    """The KPI table with one column per group: mean [95% CI] (the mean alone with one replication)."""
    labels = {k: (label.strip(), fmt) for k, label, fmt in KPIS}
    wide: dict[str, dict[str, str]] = {}
    for _, r in table.iterrows():
        label, fmt = labels[r["outcome"]]
        cell = fmt.format(r["mean"])
        if np.isfinite(r["ci_low"]):
            cell += f" [{fmt.format(r['ci_low'])}, {fmt.format(r['ci_high'])}]"
        wide.setdefault(label, {})[r[by]] = cell
    return pd.DataFrame(wide).T[columns].to_string()


def _write_runs(out: Path, runs: pd.DataFrame, table: pd.DataFrame, meta: dict[str, Any]) -> Path:
    """Every run's outcomes (Parquet, and CSV), the confidence table (CSV) and ``meta.json``: ``meta`` with
    the provenance record, which the Parquet file also carries in its own metadata."""
    from sim.output import provenance, write_meta, write_parquet

    out.mkdir(parents=True, exist_ok=True)
    meta = {**meta, **provenance()}
    write_meta(out, meta)
    write_parquet(runs, out / "runs.parquet", meta)
    runs.to_csv(out / "runs.csv", index=False)
    table.to_csv(out / "confidence.csv", index=False)
    return out


def cmd_compare(args: argparse.Namespace) -> int:
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    if len(strategies) < 1:
        raise UsageError("--strategies needs at least one strategy name")
    for name in strategies:
        _check_strategy(name)
    if args.reps < 1:
        raise UsageError(f"--reps must be at least 1, got {args.reps}")
    _check_seed(args.seed, args.reps)
    overrides = _overrides(args.set, args)
    scenario = load_scenario(args.scenario, **overrides)
    _detect(args.detect)  # fail fast on a malformed --detect
    _check_out(args.out)
    runs = compare(args.scenario, strategies, args.reps, seed=args.seed, progress=True,
                   welfare=not args.no_welfare, **overrides)
    keys = [k for k, _, _ in KPIS]
    table = confidence_table(runs, keys, order=strategies)
    print(f"{scenario.name}: {args.reps} replication(s) per strategy, seeds {args.seed}..{args.seed + args.reps - 1}, "
          f"common random numbers; mean [95% CI]")
    print(_confidence_grid(table, "strategy", strategies))
    paired = None
    if len(strategies) > 1:
        print(f"\npaired under common random numbers, the first strategy ({strategies[0]}) as the reference; "
              "recovered / common base divides by its book at the start plus originations")
        paired = _paired(runs, "strategy", strategies[0], args.detect, welfare=not args.no_welfare)
    if args.out:
        meta = {"scenario": scenario.model_dump(mode="json"), "config_hash": scenario.config_hash(),
                "strategies": strategies, "reps": args.reps, "seeds": list(range(args.seed, args.seed + args.reps))}
        out = _write_runs(Path(args.out), runs, table, meta)
        if paired is not None:
            paired.to_csv(out / "paired.csv", index=False)
        extra = f", {out / 'paired.csv'}" if paired is not None else ""
        print(f"wrote {out / 'runs.parquet'}, {out / 'runs.csv'}, {out / 'confidence.csv'}{extra}, {out / 'meta.json'}")
    return 0


# --------------------------------------------------------------------------------------------------
# python -m sim portfolio {validate,synthesize,schema}  (sim/portfolio.py does the work)
# --------------------------------------------------------------------------------------------------
def cmd_portfolio_validate(args: argparse.Namespace) -> int:
    from sim.portfolio import PortfolioError, load_portfolio

    try:
        portfolio = load_portfolio(args.file, strict=False)
    except PortfolioError as exc:
        if len(exc.problems) > 1:  # several file-level problems: list them all
            sys.stdout.write("".join(f"{args.file}: {p}\n" for p in exc.problems))
        raise
    if portfolio.problems:
        sys.stdout.write("".join(f"{args.file}: {p}\n" for p in portfolio.problems))
        n_bad = len({p.line for p in portfolio.problems})
        raise UsageError(f"{args.file}: {len(portfolio.problems):,} problem(s) in {n_bad:,} of "
                         f"{portfolio.rows_in_file:,} rows (listed above); no row was used")
    households = int(portfolio.household_keys().max()) + 1
    filled = ", ".join(f"{c} ({'all' if k == portfolio.n_accounts else f'{k:,}'})"
                       for c, k in portfolio.filled_columns.items()) or "none"
    print(f"OK: {args.file}: {portfolio.n_accounts:,} accounts, {households:,} households; "
          f"accounts whose value the model fills: {filled}")
    return 0


def cmd_portfolio_synthesize(args: argparse.Namespace) -> int:
    from sim.portfolio import load_portfolio, synthesize_portfolio, write_portfolio

    out = Path(args.out)
    if out.exists() and Path(args.file).exists() and out.resolve() == Path(args.file).resolve():
        raise UsageError(f"--out {args.out}: would overwrite the original portfolio")
    if out.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise UsageError(f"--out {args.out}: expected a .csv or .parquet file name")
    portfolio = load_portfolio(args.file)
    frame = synthesize_portfolio(portfolio, rows=args.rows, seed=args.seed)
    try:
        write_portfolio(frame, out)
    except OSError as exc:
        raise UsageError(f"--out {args.out}: cannot write ({exc.strerror or exc})") from None
    print(f"wrote {out}: {len(frame):,} synthetic accounts (seed {args.seed}) with the marginal distributions "
          f"and correlations of {args.file}; no row of it is copied")
    return 0


def cmd_portfolio_schema(args: argparse.Namespace) -> int:
    from sim.portfolio import schema_table

    print(schema_table())
    return 0


def _command(sub, name: str, func, help_text: str) -> argparse.ArgumentParser:
    """Add the subcommand ``name`` to ``sub`` (``help_text`` says what it does); ``main`` calls ``func`` for it."""
    p = sub.add_parser(name, help=help_text)
    p.set_defaults(func=func)
    return p


def _add_portfolio_parser(sub) -> None:
    p = sub.add_parser("portfolio", help="check a portfolio file, or make a synthetic copy of one")
    psub = p.add_subparsers(dest="portfolio_command", required=True)
    q = _command(psub, "validate", cmd_portfolio_validate, "report every bad row with its line number (exit 2 if any)")
    q.add_argument("file", help="a CSV or Parquet portfolio (schema: docs/portfolio.md)")
    q = _command(psub, "synthesize", cmd_portfolio_synthesize,
                 "write a synthetic portfolio with the same distributions, no row copied")
    q.add_argument("file")
    q.add_argument("--out", required=True, help="the new file (.csv or .parquet)")
    q.add_argument("--rows", type=int, default=None, help="number of accounts (default: as many as the original)")
    q.add_argument("--seed", type=int, default=0, help="seed of the synthetic draw (default 0)")
    _command(psub, "schema", cmd_portfolio_schema, "print the portfolio schema (Markdown)")


def _add_run_options(p: argparse.ArgumentParser, *, welfare: str, detect: str) -> None:
    """The options of the commands that run scenarios: overrides, the welfare counterfactual (``welfare`` helps
    ``--no-welfare``) and the difference to detect in the power calculation (``detect`` helps ``--detect``)."""
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a scenario value (dotted path)")
    p.add_argument("--no-welfare", action="store_true", help=welfare)
    p.add_argument("--detect", action="append", metavar="OUTCOME=DIFFERENCE", help=detect)


def build_parser() -> argparse.ArgumentParser:
    from sim import __version__
    from sim.output import git_commit

    parser = argparse.ArgumentParser(prog="python -m sim", description="Debt-collection strategy laboratory")
    parser.add_argument("--version", action="version",
                        version=f"collection-lab {__version__} (commit {git_commit()[:12]})")
    sub = parser.add_subparsers(dest="command", required=True)

    p = _command(sub, "run", cmd_run, "run one scenario and print its outcomes")
    p.add_argument("scenario", help="a built-in scenario name (baseline, recession, ...) or a TOML file")
    p.add_argument("--strategy", help="set every lender's strategy")
    p.add_argument("--seed", type=int, default=None, help="master seed (default: the scenario's)")
    p.add_argument("--out", help="write monthly and summary tables (Parquet and CSV) and meta.json here")
    p.add_argument("--reps", type=int, default=1,
                   help="replications (seeds SEED..SEED+REPS-1); above 1, print means with 95%% CIs per lender or arm")
    _add_run_options(p, welfare="skip the no-collection counterfactual run behind the welfare change",
                     detect="with --reps on a champion/challenger scenario: the difference to detect for the power "
                            "calculation (e.g. npv=50000, chargeoff_rate=0.01)")

    p = _command(sub, "compare", cmd_compare, "compare strategies with replications and 95%% confidence intervals")
    p.add_argument("scenario")
    p.add_argument("--strategies", required=True, help="comma-separated strategy names")
    p.add_argument("--reps", type=int, default=5, help="replications per strategy (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first replication (default 0)")
    p.add_argument("--out", help="write every run's outcomes, the confidence table and the paired comparison here")
    _add_run_options(p, welfare="skip the no-collection counterfactual runs behind the welfare change",
                     detect="difference to detect for the power calculation (e.g. npv=50000, chargeoff_rate=0.01); "
                            "defaults: 1%% of the reference's NPV and P&L, one point of a rate")

    _command(sub, "validate", cmd_validate, "check a scenario file").add_argument("scenario")
    _command(sub, "strategies", cmd_strategies, "list the registered strategies with their classifiers")
    _command(sub, "regimes", cmd_regimes, "list the regulation regimes")
    _command(sub, "params", cmd_params, "print every scenario parameter with its default and source (Markdown)")
    _add_portfolio_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ScenarioError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - nothing more is written
        return 0


if __name__ == "__main__":
    sys.exit(main())
