"""What the experiment scripts share: command-line options for execution, outcome labels with units,
parameter labels from the scenario schema, figure style and saving, the tables and pages of the studies,
and one-line errors.

The scripts hold no model logic: they plan sweeps with :func:`sim.sweep.plan`, run them with
:func:`sim.sweep.run_sweep` and draw what comes back.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as ``python experiments/x.py`` from anywhere
    sys.path.insert(0, str(ROOT))

from sim.config import ScenarioError, parse_overrides  # noqa: E402
from sim.sweep import SweepError, open_executor  # noqa: E402

#: a run small enough for tests and smoke checks (a fraction of a second)
TINY = {"population.n_borrowers": 300, "horizon_months": 6, "burn_in_months": 3}


class UsageError(ValueError):
    """Bad input on the command line."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (raised as UsageError, printed by :func:`run_main`)."""

    def error(self, message: str):
        raise UsageError(message)


# name -> (label with unit, factor to the plotted unit)
OUTCOMES: dict[str, tuple[str, float]] = {
    "recovery_rate_gross": ("gross recovery\n(% of delinquent exposure)", 100.0),
    "recovery_rate_net": ("net recovery\n(% of delinquent exposure)", 100.0),
    "cost_to_collect": ("cost to collect\n(% of amount collected)", 100.0),
    "cure_rate": ("cure rate\n(% of delinquent accounts a month)", 100.0),
    "delinquency_30plus_rate": ("30+ days delinquent\n(% of balances)", 100.0),
    "chargeoff_rate": ("charge-offs\n(% of balances a year)", 100.0),
    "complaints_per_1000": ("complaints per 1,000 accounts\nin collection a month", 1.0),
    "wellbeing_mean": ("financial well-being\n(mean of index 0-100)", 1.0),
    "wellbeing_low_share": ("low well-being (index < 38)\n(% of households)", 100.0),
    "unemployment_rate": ("unemployment\n(% of labour force)", 100.0),
}
#: the three headline outcomes: recovery, complaints and welfare
HEADLINE = ["recovery_rate_net", "complaints_per_1000", "wellbeing_mean"]


def outcome_label(name: str) -> str:
    return OUTCOMES.get(name, (name.replace("_", " "), 1.0))[0]


def outcome_scale(name: str) -> float:
    return OUTCOMES.get(name, ("", 1.0))[1]


def check_outcomes(names: list[str], available: list[str] | None = None) -> list[str]:
    """Raise UsageError for an outcome that runs do not report."""
    from sim.metrics import SUMMARY_KEYS

    known = set(available) if available is not None else set(SUMMARY_KEYS)
    for name in names:
        if name not in known:
            raise UsageError(f"unknown outcome {name!r}; known include: {', '.join(HEADLINE)}, "
                             f"{', '.join(k for k in OUTCOMES if k not in HEADLINE)}")
    return names


def param_label(dotted: str) -> str:
    """A readable axis label for a scenario parameter: its description from the schema, and its path."""
    from pydantic import BaseModel

    from sim.config import Scenario

    node: Any = Scenario()
    for key in dotted.split("."):
        if isinstance(node, list):
            node = node[int(key)] if key.isdigit() and int(key) < len(node) else None
            continue
        if isinstance(node, BaseModel) and key in type(node).model_fields:
            field = type(node).model_fields[key]
            child = getattr(node, key)
            if not isinstance(child, (BaseModel, list)):
                text = (field.description or "").rstrip(".")
                # an axis label: the description's first clause, wrapped, never wider than the plot
                text = textwrap.fill(text.split(":")[0].split(";")[0], width=36)
                return f"{text}\n[{dotted}]" if text else dotted
            node = child
            continue
        break
    return dotted


def parse_list(text: str, what: str) -> list[str]:
    items = [s.strip() for s in text.split(",") if s.strip()]
    if not items:
        raise UsageError(f"{what}: give at least one name")
    return items


def check_strategies(names: list[str]) -> list[str]:
    from sim.strategies import STRATEGIES

    for name in names:
        if name not in STRATEGIES:
            raise UsageError(f"unknown strategy {name!r}; known: {', '.join(sorted(STRATEGIES))}")
    return names


# --------------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------------
def add_common_args(parser: argparse.ArgumentParser, out_default: str) -> None:
    """Options every script has: where to write, the master seed, base overrides, and how to run."""
    g = parser.add_argument_group("output and seeds")
    g.add_argument("--out", default=None,
                   help=f"output directory (default: {out_default}/ID, where ID is a short hash of the options that "
                   "decide the results, so that each command has its own folder and running it again resumes)")
    g.add_argument("--seed", type=int, default=0, help="master seed of the sweep (default: %(default)s)")
    g.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a scenario value in every run, e.g. --set population.n_borrowers=5000")
    g.add_argument("--tiny", action="store_true",
                   help="a tiny configuration (300 households, 6 months) for smoke tests")
    g.add_argument("--fresh", action="store_true", help="discard earlier results in --out instead of resuming")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    e = parser.add_argument_group("execution")
    e.add_argument("--executor", choices=["process", "dask", "serial"], default="process",
                   help="process pool (default), Dask local cluster, or in this process")
    e.add_argument("--workers", type=int, default=None, help="worker processes (default: number of CPUs)")
    e.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                   help="address of a running Dask scheduler (implies --executor dask)")


#: set to 1 to shrink every script to its ``--tiny`` size whatever the command line asks (the test that runs
#: the commands of the README and docs/ uses it); the scripts say so on stderr
SMOKE_ENV = "COLLECTION_LAB_SMOKE"


def smoke(args: argparse.Namespace, **values: Any) -> argparse.Namespace:
    """Under ``COLLECTION_LAB_SMOKE=1``: ``--tiny``, every count option back to its tiny default (None), and
    ``values`` set; otherwise ``args`` unchanged."""
    import os

    if os.environ.get(SMOKE_ENV, "") in ("", "0"):
        return args
    for name in ("reps", "samples", "trajectories", "trials", "population", "runs", "borrowers", "tiny_runs",
                 "repeat", "workers"):
        if hasattr(args, name):
            setattr(args, name, None)
    if hasattr(args, "tiny"):
        args.tiny = True
    for name, value in values.items():
        setattr(args, name, value)
    print(f"{SMOKE_ENV} is set: a tiny run, not the one the command asks for", file=sys.stderr)
    return args


#: options that change how a sweep runs, never what it computes (left out of the default folder's ID)
HOW_TO_RUN = {"out", "fresh", "no_progress", "executor", "workers", "scheduler"}


def out_dir(args: argparse.Namespace, out_default: str) -> Path:
    """``--out``, or by default ``out_default/ID`` with ID a hash of the options that decide the results:
    commands that differ get their own folders (the docs run several in a row), and the same command run
    again finds its own folder and resumes. The options are written to ``options.json`` in the folder."""
    import hashlib
    import json

    if args.out is not None:
        return Path(args.out)
    options = {k: v for k, v in sorted(vars(args).items()) if k not in HOW_TO_RUN}
    text = json.dumps(options, sort_keys=True, default=str)
    out = Path(out_default) / hashlib.sha256(text.encode()).hexdigest()[:10]
    out.mkdir(parents=True, exist_ok=True)
    (out / "options.json").write_text(json.dumps(options, indent=1, default=str) + "\n")
    print(f"results go to {out} (--out to choose)", file=sys.stderr)
    return out


class StudyParser(Parser):
    """The command line of a replicated study (field effects, externality, crisis): where to write, how many
    replications of how many households, seeds, run length, and ``--tiny``, a small configuration for tests
    whose sizes (option name to value) are ``tiny``."""

    def __init__(self, description: str, *, what: str, households: int, tiny: dict[str, int],
                 horizon_help: str = "recorded months", reps: int = 5) -> None:
        super().__init__(description=description)
        self.tiny = tiny
        sizes = ", ".join(f"{name.replace('_', ' ')} {value:,}" for name, value in tiny.items())
        self.add_argument("--out", default=str(ROOT / "docs"), help="output directory for the page and tables; "
                          "figures go to OUT/img (default: %(default)s)")
        self.add_argument("--reps", type=int, default=reps, help=f"replications per {what} (default: %(default)s)")
        self.add_argument("--households", type=int, default=households,
                          help="households per run (default: %(default)s)")
        self.add_argument("--seed", type=int, default=0,
                          help="first seed; replication r uses seed + r (default: %(default)s)")
        self.add_argument("--horizon", type=int, default=36, help=f"{horizon_help} (default: %(default)s)")
        self.add_argument("--burn-in", type=int, default=24, help="burn-in months (default: %(default)s)")
        self.add_argument("--tiny", action="store_true", help=f"a small, fast configuration for tests: {sizes}")
        self.add_argument("--no-progress", action="store_true", help="no progress bar")

    def parse_study(self, argv: list[str] | None, smoke_sizes: dict[str, int] | None = None) -> argparse.Namespace:
        """The options: parsed, with the ``tiny`` sizes under ``--tiny``, and under ``COLLECTION_LAB_SMOKE`` the
        ``smoke_sizes`` (:func:`smoke`; a study without them is not shrunk)."""
        args = self.parse_args(argv)
        if args.tiny:
            for name, value in self.tiny.items():
                setattr(args, name, value)
        return smoke(args, **smoke_sizes) if smoke_sizes is not None else args


def check_study_args(args: argparse.Namespace, min_horizon: int = 1, why: str = "") -> None:
    """Raise UsageError for options no replicated study can run with: fewer than two replications (no
    interval), fewer than 100 households, a horizon below ``min_horizon`` (``why`` says why), or a negative
    burn-in or seed."""
    if args.reps < 2:
        raise UsageError(f"--reps must be at least 2 for confidence intervals, got {args.reps}")
    if args.households < 100:
        raise UsageError(f"--households must be at least 100, got {args.households}")
    if args.horizon < min_horizon:
        raise UsageError(f"--horizon must be at least {min_horizon}{why}, got {args.horizon}")
    if args.burn_in < 0 or args.seed < 0:
        raise UsageError("--burn-in and --seed must not be negative")


def write_tables(out: Path, tables: dict[str, Any]) -> list[Path]:
    """Write each of a study's ``tables`` (name to data frame) as ``out/NAME.csv``, without the index, making
    ``out`` first; the paths, in the order of ``tables``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=False)
        written.append(path)
    return written


def write_study_page(out: Path, name: str, lines: list[str], files: list[str]) -> Path:
    """Write a study's page ``out/NAME.md``: ``lines``, then a section listing the ``files`` it writes."""
    path = out / f"{name}.md"
    path.write_text("\n".join([*lines, "## Files", "", *(f"- {f}" for f in files), ""]))
    return path


def selection(args: argparse.Namespace, *, reps: int, tiny_reps: int, what: str
              ) -> tuple[list[str], list[str], list[str], int]:
    """The scenarios, strategies (all registered ones by default), outcomes and replications that
    ``--scenarios``, ``--strategies``, ``--outcomes`` and ``--reps`` ask for, checked."""
    from sim.strategies import STRATEGIES

    scenarios = parse_list(args.scenarios, "--scenarios")
    strategies = check_strategies(parse_list(args.strategies, "--strategies") if args.strategies
                                  else sorted(STRATEGIES))
    outcomes = check_outcomes(parse_list(args.outcomes, "--outcomes"))
    n = args.reps if args.reps is not None else (tiny_reps if args.tiny else reps)
    if n < 2:
        raise UsageError(f"--reps must be at least 2 for {what}, got {n}")
    return scenarios, strategies, outcomes, n


def base_overrides(args: argparse.Namespace) -> dict[str, Any]:
    out = dict(TINY) if args.tiny else {}
    out.update(parse_overrides(args.set))
    return out


@contextmanager
def executor_from(args: argparse.Namespace):
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    with open_executor(args.executor, workers=args.workers, scheduler=args.scheduler) as ex:
        yield ex


def run_main(main: Callable[[list[str] | None], int], argv: list[str] | None = None, *,
             resumable: bool = True) -> int:
    """Run a script's ``main``; bad input prints one line on stderr and returns 2."""
    try:
        return main(argv)
    except (UsageError, ScenarioError, SweepError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output folder that cannot be written, a full disk...
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished runs are saved; run the same command again to resume" if resumable
              else "interrupted: nothing was written", file=sys.stderr)
        return 130


# --------------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------------
def plt():
    """matplotlib.pyplot with a headless backend and a style legible in print."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    pyplot.rcParams.update({
        "font.size": 10, "axes.titlesize": 10, "axes.labelsize": 10, "legend.fontsize": 9,
        "xtick.labelsize": 9, "ytick.labelsize": 9, "axes.spines.top": False, "axes.spines.right": False,
        "axes.grid": True, "grid.alpha": 0.3, "lines.linewidth": 1.8, "savefig.bbox": "tight",
        "svg.fonttype": "none",
    })
    return pyplot


#: colour-blind-safe colours (Okabe & Ito) and line styles so that lines differ in grey print too
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def style(i: int) -> dict[str, Any]:
    shift = i // len(COLOURS)  # past eight series, colours repeat with another marker and line style
    return {"color": COLOURS[i % len(COLOURS)], "linestyle": LINESTYLES[(i + shift) % len(LINESTYLES)],
            "marker": MARKERS[(i + shift) % len(MARKERS)]}


def save_figure(fig, stem: Path) -> list[Path]:
    """Save a figure as PNG (200 dpi) and SVG; return both paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=200)
    fig.savefig(paths[1])
    import matplotlib.pyplot as pyplot

    pyplot.close(fig)
    return paths


def save_with_legend(fig, ax, stem: Path, *, title: str, ncols: int) -> list[Path]:
    """Save ``fig`` (:func:`save_figure`) with the legend of ``ax``'s labelled lines below it, titled ``title``,
    in ``ncols`` columns."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, title=title, loc="outside lower center", ncols=ncols, frameon=False)
    return save_figure(fig, stem)


def write_csv(frame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def report(paths: list[Path]) -> None:
    for path in paths:
        print(f"wrote {path}")


@contextmanager
def progress_total(total: int, enabled: bool = True):
    """A progress bar over ``total`` steps (quiet when stderr is not a terminal)."""
    from sim.progress import progress_bar

    with progress_bar(total, "steps", enabled=enabled) as bar:
        yield bar
