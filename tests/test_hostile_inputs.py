"""Hostile input (issue 16): every bad input gets a clear one-line message naming the field or argument
(``ScenarioError``, ``PortfolioError`` or ``TypeError`` in Python, exit status 2 on the command line), never
a traceback; every numeric field is bounded, and any value within the bounds gives finite outcomes and a
balanced ledger with no numpy RuntimeWarning (pyproject.toml turns those into errors for ``sim``)."""

from __future__ import annotations

import json
import math
import typing

import annotated_types as at
import mesa
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import sim
import sim.config as config
from sim.config import ScenarioError, load_scenario, parse_toml
from sim.model import DATACOLLECTOR_SERIES

TINY = {"population.n_borrowers": 200, "burn_in_months": 2, "horizon_months": 3}


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text and len(text) < 400, text
    return text


# --------------------------------------------------------------------------------------------------
# every numeric field has bounds
# --------------------------------------------------------------------------------------------------
def _bounds(metadata) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in metadata:
        if isinstance(m, (at.Ge, at.Gt)):
            lo = m.ge if isinstance(m, at.Ge) else m.gt
        if isinstance(m, (at.Le, at.Lt)):
            hi = m.le if isinstance(m, at.Le) else m.lt
        for inner in getattr(m, "metadata", []) or []:  # Field(...) inside Annotated[...]
            a, b = _bounds([inner])
            lo, hi = (a if a is not None else lo), (b if b is not None else hi)
    return lo, hi


def numeric_leaves(model: BaseModel, prefix: str = "") -> list[tuple[str, type, float | None, float | None]]:
    """(dotted path, int or float, lower bound, upper bound) of every number in a scenario, list items
    included (their bounds come from the item type)."""
    out = []
    for name, field in type(model).model_fields.items():
        value, path, ann = getattr(model, name), f"{prefix}{name}", field.annotation
        if ann in (int, float):
            out.append((path, ann, *_bounds(field.metadata)))
        elif isinstance(value, BaseModel):
            out += numeric_leaves(value, f"{path}.")
        elif isinstance(value, list) and typing.get_origin(ann) is list:
            item = typing.get_args(ann)[0]
            for i, v in enumerate(value):
                if isinstance(v, BaseModel):
                    out += numeric_leaves(v, f"{path}.{i}.")
                elif typing.get_origin(item) is typing.Annotated:
                    base, *meta = typing.get_args(item)
                    out.append((f"{path}.{i}", base, *_bounds(meta)))
                else:
                    out.append((f"{path}.{i}", type(v), None, None))
    return out


#: a scenario in which every kind of section holds an item (a period, a challenger, a declared ladder)
RICH = load_scenario("baseline", **{
    "economy.income_support": [{"start_month": 0, "end_month": 2}],
    "economy.forbearance": [{"start_month": 1, "end_month": 2}],
    "economy.reporting_pause": [{"start_month": 0, "end_month": 1}],
    "economy.unemployment": {"kind": "regime"},
    "lenders.0.challengers": [{"strategy": "hardship_first", "share": 0.3}],
    "regulation.changes": [{"month": 1, "regime": "us_reg_f"}],
    "strategies": [{"name": "ladder", "steps": [{"min_dpd": 1, "max_dpd": 179, "calls": 3}]}],
})
LEAVES = numeric_leaves(RICH)


def test_every_numeric_field_has_both_bounds():
    assert len(LEAVES) > 150
    unbounded = [(path, lo, hi) for path, _, lo, hi in LEAVES if lo is None or hi is None]
    assert not unbounded, f"numeric fields without a lower or upper bound: {unbounded}"


#: fields the property test leaves alone: size and length (kept tiny for speed), and the seed
FIXED = {"population.n_borrowers", "horizon_months", "burn_in_months", "seed", "network.mesa_limit"}
VARIED = [leaf for leaf in LEAVES if leaf[0] not in FIXED and not leaf[0].startswith(("economy.income_support",
          "economy.forbearance", "economy.reporting_pause", "regulation.changes"))]


@st.composite
def valid_values(draw) -> dict:
    """Up to eight numeric fields set anywhere within their bounds, often at a bound."""
    chosen = draw(st.lists(st.sampled_from(VARIED), min_size=1, max_size=8, unique_by=lambda leaf: leaf[0]))
    out = {}
    for path, kind, lo, hi in chosen:
        if kind is int:
            value = draw(st.sampled_from([int(lo), int(hi)]) | st.integers(int(lo), int(hi)))
        else:
            lo_f, hi_f = float(lo), float(hi)
            value = draw(st.sampled_from([lo_f, hi_f]) | st.floats(lo_f, hi_f, allow_nan=False))
        out[path] = value
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=valid_values(), seed=st.integers(0, 2**63 - 1))
def test_any_valid_scenario_gives_finite_outcomes_and_a_balanced_ledger(values, seed, helpers):
    """Any value within the declared bounds (or a clean ScenarioError from a check across fields, such as
    a challenger share that leaves nothing to the champion): finite tables, a balanced ledger, no NaN in
    any column, and no numpy RuntimeWarning (an error under this suite's warning filter)."""
    try:
        model = sim.CollectionModel(RICH.model_dump(mode="python"), rng=seed, **{**TINY, **values})
    except ScenarioError as exc:
        one_line(exc)
        return
    helpers.run_stepwise(model)
    result = model.results()
    helpers.check_tables(result, allow_empty_lender_wellbeing=True)
    summary = result.to_dict()
    assert all(np.all(np.isfinite(v)) for k, v in summary.items() if "@" not in k), values


# --------------------------------------------------------------------------------------------------
# values that were silently wrong are now refused, naming the field
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("overrides", "field"), [
    ({"economy.separation_by_quintile": [0, 0, 0, 0, 0]}, "economy.separation_by_quintile.0"),
    ({"economy.separation_by_quintile": [1e308, 1, 1, 1, 1]}, "economy.separation_by_quintile.0"),
    ({"welfare.subsistence_share": 0}, "welfare.subsistence_share"),
    ({"lenders.0.market_share": 1e308}, "lenders.0.market_share"),
    ({"behaviour.willingness_intercept": 1e308}, "behaviour.willingness_intercept"),
    ({"behaviour.willingness_intercept": -101}, "behaviour.willingness_intercept"),
    ({"behaviour.pressure_weight": -1e6}, "behaviour.pressure_weight"),
    ({"population.income_median": 1e-300}, "population.income_median"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**63}, "seed"),
    ({"economy.forbearance": [{"start_month": 0, "end_month": 10**9}]}, "economy.forbearance.0.end_month"),
])
def test_values_that_made_nonsense_are_refused(overrides, field):
    with pytest.raises(ScenarioError) as err:
        load_scenario("baseline", **overrides)
    assert field in one_line(err.value)


def test_scenario_error_lists_every_problem():
    with pytest.raises(ScenarioError) as err:
        load_scenario({"horizon_months": 0, "population": {"n_borrowers": -1, "income_median": -3}})
    assert "(and 2 more)" in one_line(err.value)
    assert len(err.value.problems) == 3
    assert any("population.income_median" in p for p in err.value.problems)
    assert all("\n" not in p for p in err.value.problems)


def test_more_households_than_memory_allows_are_refused_at_validation(monkeypatch):
    monkeypatch.setattr(config, "machine_memory", lambda: 4 * 2**30)
    with pytest.raises(ScenarioError) as err:
        load_scenario("baseline", n_borrowers=5_000_000)
    text = one_line(err.value)
    assert "population.n_borrowers" in text and "5,000,000" in text
    assert "GiB of memory" in text and "4.0 GiB" in text  # both numbers
    load_scenario("baseline", n_borrowers=1_000_000)  # 1.6 GiB: fits


def test_memory_estimate_covers_the_measured_peaks():
    """The estimate is above the peaks measured with experiments/benchmark.py (MiB at households)."""
    for households, peak_mib in ((20_000, 228), (200_000, 451), (600_000, 934), (1_000_000, 1391)):
        estimate = config.estimated_memory(load_scenario("baseline", n_borrowers=households))
        assert peak_mib * 2**20 < estimate < 1.5 * peak_mib * 2**20 + 128 * 2**20, households


# --------------------------------------------------------------------------------------------------
# Python callers
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scenario", [None, 123, 4.5, ["baseline"], b"baseline", object()])
def test_a_scenario_of_the_wrong_type_is_a_type_error(scenario):
    with pytest.raises(TypeError, match="scenario: expected"):
        load_scenario(scenario)
    with pytest.raises(TypeError, match="scenario: expected"):
        sim.run_scenario(scenario)


@pytest.mark.parametrize("name", ["x" * 300, "x" * 5000, "", "base\x00line", "/" + "y/" * 3000])
def test_unusable_scenario_names_are_one_line_errors(name):
    with pytest.raises(ScenarioError) as err:
        load_scenario(name)
    assert len(one_line(err.value)) < 200


@pytest.mark.parametrize("text", [
    "a = " + "[" * 1200 + "]" * 1200,
    "a = " + "{b = " * 1200 + "1" + "}" * 1200,
    "[" + ".".join(["t"] * 5000) + "]\nx = 1",
])
def test_deeply_nested_toml_is_a_one_line_error(text):
    try:
        data = parse_toml(text, "deep.toml")
    except ScenarioError as exc:
        assert "deep.toml" in one_line(exc)
        return
    with pytest.raises(ScenarioError):
        load_scenario(data)


def test_deeply_nested_override_is_a_one_line_error():
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(ScenarioError) as err:
        load_scenario("baseline", behaviour=deep)
    one_line(err.value)


def test_run_scenario_takes_seed_none_as_simulate_does():
    assert sim.run_scenario(seed=None, **TINY)["collected"] == sim.run_scenario(seed=0, **TINY)["collected"]


@pytest.mark.parametrize(("seed", "error"), [
    (math.nan, TypeError), (1.5, TypeError), ("3", TypeError), (True, TypeError), ([1], TypeError),
    (-1, ScenarioError), (2**63, ScenarioError), (1e30, ScenarioError),
])
def test_bad_seeds_name_the_seed(seed, error):
    with pytest.raises(error) as err:
        sim.run_scenario(seed=seed, **TINY)
    assert "seed" in one_line(err.value)


def test_whole_float_and_numpy_seeds_are_seeds():
    a = sim.run_scenario(seed=3, **TINY)["collected"]
    assert sim.run_scenario(seed=3.0, **TINY)["collected"] == a
    assert sim.run_scenario(seed=np.uint32(3), **TINY)["collected"] == a


@pytest.mark.parametrize(("trace", "error"), [
    (math.nan, TypeError), ("5", TypeError), (2.5, TypeError), ([0.5, 1.5], TypeError), (True, TypeError),
    (-1, ScenarioError), ([0, 10**6], ScenarioError),
])
def test_bad_trace_names_trace(trace, error):
    with pytest.raises(error) as err:
        sim.simulate(trace=trace, **TINY)
    assert "trace" in one_line(err.value)


# --------------------------------------------------------------------------------------------------
# Mesa conventions
# --------------------------------------------------------------------------------------------------
def test_rng_takes_an_int_a_generator_or_a_seed_sequence():
    by_int = sim.CollectionModel(rng=7, **TINY)
    assert by_int.seed == 7
    gen = sim.CollectionModel(rng=np.random.default_rng(1), **TINY)
    again = sim.CollectionModel(rng=np.random.default_rng(1), **TINY)
    assert gen.seed == again.seed  # drawn from the generator: the same generator, the same seed
    seq = sim.CollectionModel(rng=np.random.SeedSequence(5), **TINY)
    assert seq.seed == sim.CollectionModel(rng=np.random.SeedSequence(5), **TINY).seed
    for bad in ("seven", 1.5, [1]):
        with pytest.raises(TypeError, match="rng"):
            sim.CollectionModel(rng=bad, **TINY)
    with pytest.raises(ScenarioError, match="seed"):
        sim.CollectionModel(rng=-1, **TINY)


def test_rng_none_draws_fresh_entropy_and_records_the_seed():
    a, b = sim.CollectionModel(**TINY).run(), sim.CollectionModel(**TINY).run()
    assert a.seed != b.seed
    replay = sim.CollectionModel(rng=a.seed, **TINY).run()
    pd.testing.assert_frame_equal(a.results().monthly, replay.results().monthly)
    assert sim.run_scenario(seed=a.seed, **TINY)["collected"] == replay.results().to_dict()["collected"]
    # an explicit seed override keeps the scenario's seed
    assert sim.CollectionModel(seed=11, **TINY).seed == 11


def test_batch_run_replications_differ_and_each_is_reproducible():
    rows = mesa.batch_run(sim.CollectionModel, parameters=dict(TINY), rng=[None, None], max_steps=5,
                          number_processes=1, data_collection_period=-1, display_progress=False)
    table = pd.DataFrame(rows)
    assert len(table) == 2 and table["seed"].nunique() == 2
    assert table["month_collected"].nunique() == 2
    for _, row in table.iterrows():
        direct = sim.CollectionModel(rng=int(row["seed"]), **TINY).run()
        last = direct.datacollector.get_model_vars_dataframe().iloc[-1]
        assert last["month_collected"] == row["month_collected"]


def test_datacollector_columns_never_share_a_name_with_run_scenario_keys():
    model = sim.CollectionModel(rng=1, **TINY).run()
    columns = set(model.datacollector.get_model_vars_dataframe().columns)
    assert columns == {"seed", "month", *(f"month_{name}" for name in DATACOLLECTOR_SERIES)}
    assert not columns & set(sim.run_scenario(seed=1, **TINY))


# --------------------------------------------------------------------------------------------------
# outputs and the command line
# --------------------------------------------------------------------------------------------------
def test_parquet_outputs_carry_their_provenance(tmp_path, helpers):
    from sim.output import read_provenance

    out = helpers.run_cli("run", "baseline", "--seed", "4", "--out", str(tmp_path / "o"),
                          *[f"--set={k}={v}" for k, v in TINY.items()])
    assert out.returncode == 0, out.stderr
    sidecar = json.loads((tmp_path / "o" / "meta.json").read_text())
    for name in ("monthly", "segments", "summary"):
        meta = read_provenance(tmp_path / "o" / f"{name}.parquet")
        assert meta["seed"] == 4 and meta["config_hash"] == sidecar["config_hash"]
        assert meta["git_commit"] == sidecar["git_commit"] and meta["packages"]["mesa"] == mesa.__version__
        assert meta["collection_lab"] == sim.__version__


def test_cli_version(helpers):
    out = helpers.run_cli("--version")
    assert out.returncode == 0 and out.stdout.startswith(f"collection-lab {sim.__version__}")


@pytest.mark.parametrize("args", [
    ["--seed", "-1"], ["--seed", str(2**63)], ["--seed", "nan"],
    ["--out", "{file}"], ["--out", "{file}/sub"], ["--out", "/proc/no/such/dir"], ["--out", "{long}"],
    ["--reps", "0"],
])
def test_cli_run_refuses_bad_arguments_before_running(args, tmp_path, helpers):
    (tmp_path / "a_file").write_text("x")
    values = {"file": str(tmp_path / "a_file"), "long": str(tmp_path / ("y" * 300))}
    out = helpers.run_cli("run", "baseline", *[a.format(**values) for a in args])
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    if lines[-1].startswith("python -m sim run: error:"):  # argparse's own: the usage, then one error line
        return
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr


def test_cli_compare_refuses_a_bad_seed_and_out(tmp_path, helpers):
    (tmp_path / "a_file").write_text("x")
    for args in (["--seed", "-3"], ["--out", str(tmp_path / "a_file")]):
        out = helpers.run_cli("compare", "baseline", "--strategies", "conventional", "--reps", "2", *args)
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr


@pytest.mark.parametrize("value", [2**53 + 1, 2**60, 2**63 - 1])
def test_parquet_integers_beyond_float_precision_are_named_on_their_row(value, tmp_path):
    from sim.portfolio import load_portfolio

    frame = pd.DataFrame({"account_id": ["a", "b", "c"], "lender": ["L"] * 3, "product": ["card"] * 3,
                          "balance": [100.0, 200.0, 300.0], "rate": [0.1] * 3,
                          "remaining_term": np.array([12, value, 12], dtype=np.int64),
                          "days_past_due": np.array([0, 0, 0], dtype=np.int64)})
    path = tmp_path / "big.parquet"
    frame.to_parquet(path, index=False)
    portfolio = load_portfolio(path, strict=False)
    assert [p.line for p in portfolio.problems] == [2]
    assert "remaining_term" in str(portfolio.problems[0])


def test_runtime_warnings_from_the_model_are_errors_in_this_suite():
    """pyproject.toml's filter: a numpy RuntimeWarning raised in sim/ fails the test that caused it."""
    from sim.borrowers import crra

    with pytest.raises(RuntimeWarning):
        crra(np.array([0.0]), 2.0)


@pytest.mark.parametrize("strategy", sorted(name for name, cls in sim.STRATEGIES.items() if cls.defaults))
def test_strategy_parameters_at_their_bounds_give_finite_outcomes(strategy, helpers):
    """Every numeric strategy parameter is bounded (sim.config.STRATEGY_PARAM_BOUNDS); at either bound a
    run is finite and balanced, and beyond it the scenario is refused naming the parameter."""
    from sim.config import STRATEGY_PARAM_BOUNDS

    for key, default in sim.STRATEGIES[strategy].defaults.items():
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            continue
        high = 1200 if isinstance(default, int) else next(
            (b for word, b in STRATEGY_PARAM_BOUNDS if word in key), 1e6)
        where = f"lenders.0.strategy_params.{key}"
        for value in (0, high):
            model = sim.CollectionModel(rng=2, **TINY, **{"lenders.0.strategy": strategy, where: value})
            helpers.run_stepwise(model)
            helpers.check_tables(model.results())
        for value in (-1, high * 10, 1e308):
            with pytest.raises(ScenarioError, match=where.replace(".", r"\.")):
                load_scenario("baseline", **{"lenders.0.strategy": strategy, where: value})
