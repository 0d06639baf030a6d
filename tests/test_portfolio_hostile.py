"""Hostile input (issue 7, criterion 5): the scenario loader and the portfolio reader are fed random
bytes, wrong types, NaN and infinities, negative and enormous values, duplicate ids, wrong encodings
and oversized files. Never a crash or a traceback: always a PortfolioError or ScenarioError whose
message names the problem in one line, or a list of problems with line numbers; exit status 2 on the
command line.

Hypothesis runs a modest number of examples (the machine is shared); failures print the example.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.portfolio as portfolio_module
from sim.config import ScenarioError, load_scenario, parse_toml, validate
from sim.portfolio import (
    MAX_PORTFOLIO_BYTES,
    SCHEMA,
    Portfolio,
    PortfolioError,
    Problem,
    load_portfolio,
    validate_portfolio,
)

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["account_id", "lender", "product", "balance", "rate", "remaining_term", "days_past_due"]
GOOD = ["A{i}", "Bank", "card", "1200.50", "0.19", "24", "0"]
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_one_line(exc: BaseException) -> None:
    msg = str(exc)
    assert msg and "\n" not in msg and "\r" not in msg and "Traceback" not in msg, msg


def read_anything(data: bytes) -> Portfolio | None:
    """Load bytes non-strictly; the only exception allowed is a one-line PortfolioError."""
    try:
        p = load_portfolio(data, name="upload", strict=False)
    except PortfolioError as exc:
        assert_one_line(exc)
        assert exc.problems and all(isinstance(q, Problem) for q in exc.problems)
        return None
    for q in p.problems:
        assert isinstance(q.line, int) and q.line >= 2 if p.unit == "line" else q.line >= 1
        assert str(q) and "\n" not in q.message
    # no row is lost silently: every data row is either in the frame or named by a problem
    named = {q.line for q in p.problems}
    assert len(p.frame) + len(named) >= p.rows_in_file
    return p


# --------------------------------------------------------------------------------------------------
# portfolio reader
# --------------------------------------------------------------------------------------------------
@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash_the_reader(data):
    read_anything(data)
    problems = validate_portfolio(data)
    assert all(isinstance(q, Problem) for q in problems)


@FAST
@given(st.binary(max_size=500))
def test_random_bytes_after_a_valid_header_never_crash(tail):
    read_anything(",".join(HEADER).encode() + b"\n" + tail)


CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e400", "-1", "-0", "0",
                     "1e308", "9" * 40, "12.5", "0x1F", "1,000", "$100", "true", "None", "null", "\"",
                     "\"quoted, comma\"", "\"a\nb\"", " 7 ", "\t", "card", "instalment", "CARD", "é"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@FAST
@given(st.lists(st.lists(CELL, min_size=5, max_size=9), min_size=1, max_size=15),
       st.sampled_from([",", ";", "\t"]), st.sampled_from(["\n", "\r\n"]))
def test_random_cells_never_crash_and_bad_rows_are_named(rows, delim, newline):
    lines = [delim.join(HEADER)] + [delim.join(r) for r in rows]
    read_anything(newline.join(lines).encode("utf-8"))


BAD_VALUES = {
    "account_id": [""],
    "lender": ["", "x" * 81],
    "product": ["mortgage", "", "1"],
    "balance": ["abc", "", "nan", "inf", "-inf", "-5", "0", "1e400", "1e12", "\"1,000\"", "\"$5\""],
    "rate": ["abc", "", "NaN", "Infinity", "-0.1", "19.9", "1e9"],
    "remaining_term": ["x", "", "nan", "inf", "-1", "12.5", "601", "1e20"],
    "days_past_due": ["x", "", "nan", "-inf", "-3", "3.5", "99999"],
}


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=3, max_value=30), st.data())
def test_each_corrupted_cell_is_reported_on_its_line(n, data):
    """Start from clean rows and corrupt some cells: exactly those rows are reported, each on its line
    and column, and the clean rows are kept."""
    rows = [[v.format(i=i) for v in GOOD] for i in range(n)]
    corrupt = data.draw(st.sets(st.integers(0, n - 1), max_size=n))
    expected = set()
    for i in sorted(corrupt):
        col = data.draw(st.sampled_from(HEADER))
        rows[i][HEADER.index(col)] = data.draw(st.sampled_from(BAD_VALUES[col]))
        expected.add((i + 2, col))
    dup = data.draw(st.booleans()) and n - 1 not in corrupt and 0 not in corrupt
    if dup:
        rows[n - 1][0] = rows[0][0]
        expected.add((n + 1, "account_id"))
    text = "\n".join([",".join(HEADER)] + [",".join(r) for r in rows]) + "\n"
    p = load_portfolio(text.encode(), strict=False)
    assert {(q.line, q.column) for q in p.problems} == expected
    assert sorted(p.frame["line"]) == sorted(set(range(2, n + 2)) - {line for line, _ in expected})
    for q in p.problems:
        assert q.column in str(q) and f"line {q.line}" in str(q)
    if expected:
        with pytest.raises(PortfolioError) as err:
            load_portfolio(text.encode())
        assert_one_line(err.value)


@pytest.mark.parametrize("encoding, expected", [
    ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-32", "UTF-32"), ("latin-1", "not UTF-8"),
    ("cp1252", "not UTF-8"),
])
def test_wrong_encodings_are_named(encoding, expected):
    text = ",".join(HEADER + ["region"]) + "\nA1,Crédit Agricole,card,100,0.2,12,0,Zürich\n"
    with pytest.raises(PortfolioError, match=expected) as err:
        load_portfolio(text.encode(encoding), name="upload.csv")
    assert_one_line(err.value)
    assert "UTF-8" in str(err.value)


@pytest.mark.parametrize("data, expected", [
    (b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00]\x94.", "pickle"),
    (b"\x93NUMPY\x01\x00", "numpy"),
    (b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),
    (b"\x1f\x8b\x08\x00\x00\x00", "gzip"),
    (b"ARROW1\x00\x00", "Arrow"),
    (b"PAR1 this is not really parquet PAR1", "not a readable Parquet file"),
    (b"", "empty"),
    (b"   \n\n  ", "empty"),
    (b"a,b\x00,c\n", "NUL"),
    (b"account_id,\"lender\n", "cannot read the header line"),
])
def test_other_formats_and_binary_data_are_named(data, expected):
    with pytest.raises(PortfolioError, match=expected) as err:
        load_portfolio(data)
    assert_one_line(err.value)


def test_pickle_is_refused_without_being_unpickled(tmp_path, monkeypatch):
    import pickle

    def boom(*args, **kwargs):  # pragma: no cover - must never run
        raise AssertionError("a portfolio file was unpickled")

    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "load", boom)
    frame = pd.DataFrame({c: [v.format(i=1)] for c, v in zip(HEADER, GOOD, strict=True)})
    path = tmp_path / "portfolio.pkl"
    path.write_bytes(pickle.dumps(frame))
    with pytest.raises(PortfolioError, match="pickle"):
        load_portfolio(path)


def test_oversized_files_are_refused_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:  # a sparse file: no disk space used
        fh.truncate(MAX_PORTFOLIO_BYTES + 1)
    with pytest.raises(PortfolioError, match="more than the limit") as err:
        load_portfolio(big)
    assert_one_line(err.value)
    monkeypatch.setattr(portfolio_module, "MAX_PORTFOLIO_BYTES", 100)
    with pytest.raises(PortfolioError, match="more than the limit of 100"):
        load_portfolio(b"x" * 101)


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(portfolio_module, "MAX_PORTFOLIO_ROWS", 3)
    rows = "\n".join(",".join(v.format(i=i) for v in GOOD) for i in range(4))
    with pytest.raises(PortfolioError, match="more than the limit of 3"):
        load_portfolio((",".join(HEADER) + "\n" + rows).encode())


@pytest.mark.parametrize("source", [123, None, ["a.csv"], "", "/", "no/such/file.csv", "bad\x00name.csv",
                                    "x" * 5000])
def test_wrong_source_types_and_paths(source):
    with pytest.raises(PortfolioError) as err:
        load_portfolio(source)
    assert_one_line(err.value)


def test_wrong_parquet_types_nan_and_nulls(tmp_path):
    frame = pd.DataFrame({
        "account_id": ["A1", "A2", "A3", None],
        "lender": ["L", "L", "L", "L"],
        "product": ["card", "card", "card", "card"],
        "balance": [100.0, math.nan, math.inf, -1.0],
        "rate": [0.1, 0.1, 0.1, 0.1],
        "remaining_term": [12, 12, 12, 12],
        "days_past_due": [0, 0, 0, 0],
    })
    frame.to_parquet(tmp_path / "p.parquet", index=False)
    problems = {(q.line, q.column) for q in validate_portfolio(tmp_path / "p.parquet")}
    assert problems == {(2, "balance"), (3, "balance"), (4, "account_id"), (4, "balance")}
    frame["days_past_due"] = pd.to_datetime(["2024-01-01"] * 4)
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    with pytest.raises(PortfolioError, match="'days_past_due' has Parquet type timestamp"):
        load_portfolio(tmp_path / "t.parquet")


@FAST
@given(st.binary(min_size=1, max_size=300))
def test_corrupted_parquet_never_crashes(noise):
    buf = io.BytesIO()
    pd.DataFrame({c: [v.format(i=1)] for c, v in zip(HEADER, GOOD, strict=True)}).to_parquet(buf)
    data = bytearray(buf.getvalue())
    pos = len(noise) % max(len(data) - len(noise), 1)
    data[pos:pos + len(noise)] = noise
    read_anything(bytes(data))


def test_duplicate_ids_are_all_reported():
    rows = [",".join(v.format(i=i % 3) for v in GOOD) for i in range(7)]
    p = load_portfolio((",".join(HEADER) + "\n" + "\n".join(rows)).encode(), strict=False)
    assert [q.line for q in p.problems] == [5, 6, 7, 8]
    assert all("duplicate account id" in q.message for q in p.problems)
    assert list(p.frame["line"]) == [2, 3, 4]


def test_schema_limits_are_the_documented_ones():
    text = (ROOT / "docs" / "portfolio.md").read_text()
    for col in SCHEMA.values():
        assert f"`{col.name}`" in text and col.allowed in text


# --------------------------------------------------------------------------------------------------
# scenario loader
# --------------------------------------------------------------------------------------------------
@FAST
@given(st.binary(max_size=1000))
def test_random_bytes_never_crash_the_scenario_parser(data):
    try:
        out = parse_toml(data, "upload.toml")
    except ScenarioError as exc:
        assert_one_line(exc)
        return
    try:
        validate(out, "upload.toml")
    except ScenarioError as exc:
        assert_one_line(exc)


KEY = st.text(max_size=8)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**70), 2**70)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEY, children, max_size=3),
    max_leaves=8,
)
FIELDS = ["name", "horizon_months", "burn_in_months", "seed", "portfolio", "population", "population.n_borrowers",
          "population.income_median", "economy.unemployment", "economy.unemployment.rate", "lenders",
          "lenders.0.strategy", "lenders.0.product.apr", "regulation.regime", "tactics.call.cost", "behaviour"]


@FAST
@given(st.dictionaries(st.sampled_from(FIELDS), JSONISH, max_size=4))
def test_wrong_types_nan_and_huge_values_in_scenarios(overrides):
    try:
        load_scenario("baseline", **overrides)
    except ScenarioError as exc:
        assert_one_line(exc)


def test_line_breaks_in_unknown_keys_stay_on_one_line():
    with pytest.raises(ScenarioError) as err:
        load_scenario("baseline", **{"behaviour": {"bad\nkey": 1}})
    assert_one_line(err.value)


@pytest.mark.parametrize("value", [1, 2.5, True, [], {}, "", "x" * 5000])
def test_portfolio_field_of_the_wrong_type(value):
    with pytest.raises(ScenarioError, match="portfolio") as err:
        load_scenario({"portfolio": value})
    assert_one_line(err.value)


def test_scenario_pointing_to_a_broken_portfolio(tmp_path):
    import sim

    (tmp_path / "p.csv").write_bytes("account_id;lender\nA;B\n".encode("utf-16"))
    (tmp_path / "s.toml").write_text('portfolio = "p.csv"\n')
    with pytest.raises(PortfolioError, match="UTF-16") as err:
        sim.CollectionModel(tmp_path / "s.toml")
    assert_one_line(err.value)


@FAST
@given(st.binary(max_size=300))
def test_random_scenario_files(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("s") / "s.toml"
    path.write_bytes(data)
    try:
        load_scenario(path)
    except ScenarioError as exc:
        assert_one_line(exc)


# --------------------------------------------------------------------------------------------------
# command line: exit status 2 and one line, never a traceback
# --------------------------------------------------------------------------------------------------
def test_cli_exits_2_with_one_line(helpers, tmp_path):
    cases = {
        "utf16.csv": ",".join(HEADER).encode("utf-16"),
        "random.csv": bytes(np.random.default_rng(0).integers(0, 256, 400, dtype=np.uint8)),
        "pickle.pkl": b"\x80\x05\x95\x00",
        "nocols.csv": b"a,b,c\n1,2,3\n",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "s.toml").write_text('portfolio = "nocols.csv"\nhorizon_months = 1\n')
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe[[[")
    runs = [("portfolio", "validate", str(tmp_path / n)) for n in cases]
    runs += [("portfolio", "validate", str(tmp_path / "missing.csv")),
             ("portfolio", "synthesize", str(tmp_path / "random.csv"), "--out", str(tmp_path / "o.csv")),
             ("run", str(tmp_path / "s.toml")),
             ("validate", str(tmp_path / "bad.toml"))]
    for args in runs:
        out = helpers.run_cli(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert "Traceback" not in out.stderr, (args, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, out.stderr)


SAFE_CELL = st.text(st.characters(blacklist_characters='",;', blacklist_categories=("Cs", "Cc")), max_size=6)


@FAST
@given(st.lists(st.one_of(st.just([]), st.lists(SAFE_CELL, min_size=1, max_size=9)), min_size=1, max_size=20),
       st.sampled_from(["\n", "\r\n"]))
def test_fast_reader_agrees_with_the_exact_reader(rows, newline):
    """The vectorised CSV reader and Python's csv module give the same rows, lines and problems."""
    text = newline.join([",".join(HEADER)] + [",".join(r) for r in rows]) + newline
    data = text.encode()
    if all(not ",".join(r) for r in rows):  # only blank lines: both readers refuse the file
        with pytest.raises(PortfolioError, match="no rows"):
            portfolio_module._read_csv(data, "f.csv")
        with pytest.raises(PortfolioError, match="no rows"):
            portfolio_module._read_csv_python(data, "f.csv", ",", HEADER)
        return
    fast = portfolio_module._read_csv(data, "f.csv")
    exact = portfolio_module._read_csv_python(data, "f.csv", ",", HEADER)
    assert list(fast.lines) == list(exact.lines)
    assert [(p.line, p.message) for p in fast.problems] == [(p.line, p.message) for p in exact.problems]
    for name in HEADER:
        assert fast.columns[name].to_pylist() == exact.columns[name].to_pylist()
