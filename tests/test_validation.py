"""Scenario validation (criterion 8): unknown keys, out-of-range values, wrong types, unknown strategies
and regimes, non-TOML, non-UTF-8 and oversized files are rejected with one line that names the field;
``python -m sim validate|run|compare`` print that line on stderr and exit 2."""

from __future__ import annotations

import math

import pytest

import sim
from sim.config import MAX_SCENARIO_BYTES, ScenarioError, load_scenario, parse_toml

# (overrides or scenario dict, text that the one-line message must contain)
BAD_DICTS = [
    pytest.param({"populaton": {}}, "populaton", id="unknown-top-level-key"),
    pytest.param({"population": {"n_borrowrs": 5}}, "population.n_borrowrs", id="unknown-nested-key"),
    pytest.param({"lenders": [{"name": "a", "product": {"kidn": "card"}}]}, "lenders.0.product.kidn",
                 id="unknown-key-in-list"),
    pytest.param({"economy": {"unemployment": {"kind": "constant", "rte": 5}}}, "rte", id="unknown-key-in-union"),
    pytest.param({"population": {"n_borrowers": 0}}, "population.n_borrowers", id="too-few-households"),
    pytest.param({"horizon_months": 0}, "horizon_months", id="zero-horizon"),
    pytest.param({"economy": {"unemployment": {"kind": "constant", "rate": 70}}}, "economy.unemployment.rate",
                 id="unemployment-above-60"),
    pytest.param({"economy": {"unemployment": {"kind": "series", "values": [4.0, -1.0]}}},
                 "economy.unemployment.values", id="negative-series-value"),
    pytest.param({"economy": {"unemployment": {"kind": "series", "values": []}}}, "economy.unemployment.values",
                 id="empty-series"),
    pytest.param({"tactics": {"sale_price": 1.5}}, "tactics.sale_price", id="sale-price-above-1"),
    pytest.param({"tactics": {"sale_price": math.nan}}, "tactics.sale_price", id="nan"),
    pytest.param({"lenders": [{"product": {"chargeoff_days": 10}}]}, "lenders.0.product.chargeoff_days",
                 id="chargeoff-too-early"),
    pytest.param({"lenders": [{"market_share": 0}]}, "lenders.0.market_share", id="zero-market-share"),
    pytest.param({"horizon_months": "abc"}, "horizon_months", id="string-for-int"),
    pytest.param({"population": {"n_borrowers": 1.5}}, "population.n_borrowers", id="fraction-for-int"),
    pytest.param({"population": {"n_borrowers": [1]}}, "population.n_borrowers", id="list-for-int"),
    pytest.param({"population": "many"}, "population", id="string-for-table"),
    pytest.param({"lenders": [{"product": {"kind": "mortgage"}}]}, "lenders.0.product.kind", id="unknown-product"),
    pytest.param({"economy": {"unemployment": {"kind": "weird"}}}, "economy.unemployment", id="unknown-path-kind"),
    pytest.param({"lenders": [{"strategy": "nice"}]}, "lenders.0.strategy", id="unknown-strategy"),
    pytest.param({"regulation": {"regime": "eu"}}, "regulation.regime", id="unknown-regime"),
    pytest.param({"regulation": {"reference_regime": "eu"}}, "regulation.reference_regime",
                 id="unknown-reference-regime"),
    pytest.param({"lenders": [{"strategy_params": {"foo": 1}}]}, "lenders.0.strategy_params.foo",
                 id="unknown-strategy-param"),
    pytest.param({"lenders": [{"strategy": "conventional", "strategy_params": {"sue_min_claim": "x"}}]},
                 "lenders.0.strategy_params.sue_min_claim", id="mistyped-strategy-param"),
    pytest.param({"lenders": [{"strategy": "conventional", "strategy_params": {"plan_from_cycle": -1}}]},
                 "lenders.0.strategy_params.plan_from_cycle", id="negative-strategy-param"),
    pytest.param({"economy": {"forbearance": [{"start_month": 5, "end_month": 2}]}}, "economy.forbearance.0",
                 id="period-ends-before-start"),
    pytest.param({"lenders": [{"name": "a"}, {"name": "a"}]}, "lenders", id="duplicate-lender-names"),
    pytest.param({"lenders": []}, "lenders", id="no-lender"),
]


@pytest.mark.parametrize(("data", "field"), BAD_DICTS)
def test_bad_scenario_dict_is_rejected_with_one_line_naming_the_field(data, field):
    with pytest.raises(ScenarioError) as err:
        load_scenario(data)
    message = str(err.value)
    assert "\n" not in message
    assert field in message


@pytest.mark.parametrize("field", ["horizon_months", "population.n_borrowers", "burn_in_months"])
def test_boolean_is_not_accepted_for_an_integer(field):
    """``n_borrowers = true`` in a TOML file is a type error, not one household."""
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        load_scenario("baseline", **{field: True})


def test_bad_override_names_the_field():
    with pytest.raises(ScenarioError, match=r"population\.n_borrowers"):
        load_scenario("baseline", **{"population.n_borrowers": "many"})
    with pytest.raises(ScenarioError, match=r"lenders\.3"):
        load_scenario("baseline", **{"lenders.3.strategy": "aggressive"})
    with pytest.raises(ScenarioError, match=r"population\.n_borowers"):
        load_scenario("baseline", **{"population.n_borowers": 100})
    with pytest.raises(ScenarioError, match="strategy"):
        load_scenario("baseline", strategy="nope")


def test_model_and_api_raise_the_same_error():
    with pytest.raises(ScenarioError, match=r"population\.n_borrowers"):
        sim.CollectionModel("baseline", **{"population.n_borrowers": -5})
    with pytest.raises(ScenarioError, match="regulation.regime"):
        sim.run_scenario("baseline", **{"regulation.regime": "eu"})


def test_good_dict_validates_with_defaults():
    s = load_scenario({"population": {"n_borrowers": 10}})
    assert s.population.n_borrowers == 10
    assert s.lenders[0].strategy == "conventional" and s.regulation.regime == "none"


def test_non_toml_non_utf8_and_oversized_bytes():
    with pytest.raises(ScenarioError, match="not valid TOML") as err:
        parse_toml(b"name = ", "x.toml")
    assert str(err.value).startswith("x.toml:") and "\n" not in str(err.value)
    with pytest.raises(ScenarioError, match="not UTF-8"):
        parse_toml(b'name = "\xff\xfe"', "x.toml")
    with pytest.raises(ScenarioError, match="limit"):
        parse_toml(b"# " + b"x" * MAX_SCENARIO_BYTES, "x.toml")
    with pytest.raises(ScenarioError, match="limit"):
        parse_toml("# " + "x" * MAX_SCENARIO_BYTES, "x.toml")
    # exactly at the limit is fine
    assert parse_toml(b"#" + b"x" * (MAX_SCENARIO_BYTES - 1)) == {}


def test_missing_file_and_unknown_builtin_name():
    with pytest.raises(ScenarioError, match="no such scenario"):
        load_scenario("no_such_scenario")


# --------------------------------------------------------------------------------------------------
# files and the command line
# --------------------------------------------------------------------------------------------------
GOOD_TOML = """
name = "tiny"
horizon_months = 4
burn_in_months = 2
[population]
n_borrowers = 200
[[lenders]]
name = "A"
strategy = "hardship_first"
"""

BAD_FILES = {
    "unknown_key": (GOOD_TOML.replace("n_borrowers = 200", "n_borrowers = 200\nincome_medain = 3000"),
                    "population.income_medain"),
    "out_of_range": (GOOD_TOML.replace("n_borrowers = 200", "n_borrowers = -3"), "population.n_borrowers"),
    "wrong_type": (GOOD_TOML.replace("horizon_months = 4", 'horizon_months = "four"'), "horizon_months"),
    "unknown_strategy": (GOOD_TOML.replace('"hardship_first"', '"gentle"'), "lenders.0.strategy"),
    "unknown_regime": (GOOD_TOML + '[regulation]\nregime = "eu_gdpr"\n', "regulation.regime"),
    "not_toml": (GOOD_TOML + "\nthis is not toml\n", "not valid TOML"),
}


def _write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / f"{name}.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_rejected_naming_the_problem(tmp_path, name):
    content, field = BAD_FILES[name]
    path = _write(tmp_path, name, content)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert field in str(err.value) and "\n" not in str(err.value)
    assert str(path) in str(err.value) or path.name in str(err.value)


def test_non_utf8_and_oversized_files(tmp_path):
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(_write(tmp_path, "latin1", 'name = "caf\xe9"\n'.encode("latin-1")))
    big = _write(tmp_path, "big", GOOD_TOML + "#" + "x" * MAX_SCENARIO_BYTES + "\n")
    with pytest.raises(ScenarioError, match="limit"):
        load_scenario(big)


def _one_error_line(proc, field: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert field in lines[0]
    assert "Traceback" not in proc.stderr


def test_cli_validate_good_file_prints_ok(tmp_path, helpers):
    path = _write(tmp_path, "good", GOOD_TOML)
    proc = helpers.run_cli("validate", str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK")
    assert proc.stderr == ""


@pytest.mark.parametrize("name", ["unknown_key", "unknown_strategy", "not_toml"])
def test_cli_validate_bad_file_prints_one_line_and_exits_2(tmp_path, name, helpers):
    content, field = BAD_FILES[name]
    proc = helpers.run_cli("validate", str(_write(tmp_path, name, content)))
    _one_error_line(proc, field)
    assert "OK" not in proc.stdout


def _main(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the command line in this process (the same ``main`` that ``python -m sim`` calls)."""
    from sim.cli import main

    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


class _Proc:
    def __init__(self, code, stdout, stderr):
        self.returncode, self.stdout, self.stderr = code, stdout, stderr


def test_cli_validate_non_utf8_and_oversized(tmp_path, capsys):
    latin = _write(tmp_path, "latin1", 'name = "caf\xe9"\n'.encode("latin-1"))
    _one_error_line(_Proc(*_main(capsys, "validate", str(latin))), "UTF-8")
    big = _write(tmp_path, "big", "#" + "x" * (MAX_SCENARIO_BYTES + 10))
    _one_error_line(_Proc(*_main(capsys, "validate", str(big))), "limit")


@pytest.mark.parametrize("command", ["run", "compare"])
def test_cli_run_and_compare_reject_a_bad_file(tmp_path, command, helpers):
    content, field = BAD_FILES["out_of_range"]
    path = _write(tmp_path, "bad", content)
    extra = ["--strategies", "conventional,aggressive", "--reps", "2"] if command == "compare" else []
    proc = helpers.run_cli(command, str(path), *extra)
    _one_error_line(proc, field)
    assert proc.stdout == ""


def test_cli_rejects_unknown_strategy_and_bad_override(tmp_path, capsys):
    path = str(_write(tmp_path, "good", GOOD_TOML))
    _one_error_line(_Proc(*_main(capsys, "run", path, "--strategy", "gentle")), "gentle")
    _one_error_line(_Proc(*_main(capsys, "compare", path, "--strategies", "conventional,gentle", "--reps", "1")),
                    "gentle")
    _one_error_line(_Proc(*_main(capsys, "compare", path, "--strategies", "conventional", "--reps", "0")), "reps")
    _one_error_line(_Proc(*_main(capsys, "run", path, "--set", "population.n_borrowers=0")),
                    "population.n_borrowers")
    _one_error_line(_Proc(*_main(capsys, "run", path, "--set", "populaton.n_borrowers=10")), "populaton")
    _one_error_line(_Proc(*_main(capsys, "run", path, "--set", "n_borrowers")), "KEY=VALUE")


def test_cli_validate_builtin_scenarios(capsys):
    for name in ("baseline", "recession"):
        code, out, err = _main(capsys, "validate", name)
        assert code == 0 and out.startswith("OK") and err == ""
