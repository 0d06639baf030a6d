"""The Streamlit app, driven by Streamlit's ``AppTest``: every control and every tab.

Runs are kept tiny (a few hundred households, a short horizon, two replications) and serial
(``COLLECTION_LAB_WORKERS=1``) so the suite stays lean; one test checks that the worker pool gives the
same numbers as serial runs.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

import sim
from sim import config as simconfig
from sim import service as service_module
from sim.metrics import SEGMENT_LABELS
from sim.presets import PRESETS, preset
from sim.regulation import REGIMES
from sim.service import Job, RunService

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
sys.path.insert(0, str(ROOT))
import app  # noqa: E402  (the page only runs under Streamlit, as __main__)
from ui import charts, link, outcomes  # noqa: E402
from ui import run as uirun  # noqa: E402
from ui import setup as uisetup  # noqa: E402
from ui import texts as uitexts  # noqa: E402
from ui.outcomes import CARDS, outcome  # noqa: E402
from ui.tabs import borrowers, complaints, downloads, learn, money, results, rules, segments  # noqa: E402

SMALL = {"n": 300, "horizon": 12, "burn": 6, "reps": 2}

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(autouse=True)
def serial_runs(monkeypatch):
    monkeypatch.setenv("COLLECTION_LAB_WORKERS", "1")


def new_app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def ok(at: AppTest) -> AppTest:
    """No exception anywhere on the page."""
    assert not at.exception, [e.message for e in at.exception]
    return at


def shrink(at: AppTest, sid: str = "baseline") -> AppTest:
    """Make the runs tiny through the set-up panel's own controls."""
    at.number_input(key=f"n.{sid}").set_value(SMALL["n"])
    at.number_input(key=f"horizon.{sid}").set_value(SMALL["horizon"])
    at.number_input(key=f"burn.{sid}").set_value(SMALL["burn"])
    at.number_input(key="reps").set_value(SMALL["reps"])
    return at.run()


def run(at: AppTest) -> AppTest:
    return ok(at.button(key="run").click().run())


def show(at: AppTest, tab: str) -> AppTest:
    at.session_state["tab"] = tab
    return ok(at.run())


def chart_titles(at: AppTest) -> str:
    return " ".join(c.proto.spec for c in at.get("vega_lite_chart"))


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [m.value for m in at.subheader]
    return " ".join(str(p) for p in parts)


@pytest.fixture(scope="module")
def ran():
    """The default comparison, shrunk, after pressing Run (shared by the tab tests)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLLECTION_LAB_WORKERS", "1")
        yield run(shrink(ok(new_app())))


# ------------------------------------------------------------------------------------------------
# Page and set-up panel
# ------------------------------------------------------------------------------------------------
def test_page_starts_with_defaults_from_the_registries():
    at = ok(new_app())
    assert [t.label for t in at.tabs] == list(app.TABS)
    assert at.selectbox(key="scenario").value == "baseline"
    assert at.selectbox(key="scenario").options == uisetup.builtin_scenarios()
    assert at.multiselect(key="strategies").value == ["conventional", "aggressive", "hardship_first"]
    assert set(at.multiselect(key="strategies").options) == set(sim.STRATEGIES)
    assert at.selectbox(key="regime.baseline").options == list(REGIMES)
    assert at.number_input(key="n.baseline").value == uisetup.DEFAULT_HOUSEHOLDS
    assert at.number_input(key="reps").value == uisetup.DEFAULT_REPS
    assert any("Press **Run**" in i.value for i in at.info)
    assert not at.error


def test_run_shows_cards_charts_and_champion_differences(ran):
    ran = show(ran, "Results")
    labels = [m.label for m in ran.metric]
    assert len(labels) == 3 * len(CARDS)
    assert sorted(labels[: len(CARDS)]) == sorted(outcome(k).label for k in CARDS)
    deltas = [m.proto.delta for m in ran.metric]
    assert not any(deltas[: len(CARDS)]) and any(deltas[len(CARDS):])
    # a difference that rounds to zero is not shown (never a red "-0.0 pp")
    assert not any(d.lstrip("+-").startswith(("0.0 ", "0.0%", "0 ")) or d.lstrip("+-") in ("0.0", "0") for d in deltas)
    assert "conventional** · champion" in texts(ran)
    titles = chart_titles(ran)
    for key in outcomes.SERIES:
        assert outcome(key).label in titles
    assert ran.query_params.get("run") in ("1", ["1"])
    assert ran.get("download_button")  # the sidebar's scenario TOML


@pytest.mark.parametrize("tab, expected", [
    ("Trade-offs", ["Recovery against complaints", "Recovery against well-being"]),
    ("Segments", ["By income quintile", "By financial literacy"]),
    ("Complaints", ["By channel", "By category"]),
    ("Rules", ["reference regime's rules would have clipped"]),
    ("Costs", ["Collection cost per month"]),
])
def test_every_results_tab_draws(ran, tab, expected):
    at = show(ran, tab)
    titles = chart_titles(at)
    for word in expected:
        assert word in titles, (tab, word)
    assert at.dataframe


def test_segment_and_any_outcome_pickers(ran):
    at = show(ran, "Segments")
    box = at.selectbox(key="segment_outcome")
    assert box.options == [outcome(c).label for c in sim.metrics.SEGMENT_COLUMNS]
    ok(box.select_index(len(box.options) - 1).run())
    at = show(at, "Results")
    any_box = at.selectbox(key="any_outcome")
    ok(any_box.select("night_calls").run())
    assert "Night calls" in chart_titles(at)


def test_borrower_explorer(ran):
    at = show(ran, "Borrowers")
    assert at.selectbox(key="explorer_arm").options == ["conventional", "aggressive", "hardship_first"]
    ok(at.selectbox(key="explorer_arm").select("aggressive").run())
    at.checkbox(key="explorer_behind").uncheck()
    ok(at.run())
    box = at.selectbox(key="explorer_household")
    ok(box.select_index(len(box.options) - 1).run())
    assert "Income, essentials, what was due" in chart_titles(at)
    assert "Contacts by channel" in chart_titles(at)
    assert [m.label for m in at.metric][:2] == ["Income quintile", "Financial literacy"]
    at.radio(key="explorer_how").set_value("A random household from a segment")
    ok(at.run())
    seg = at.selectbox(key="explorer_segment")
    assert seg.options == [outcomes.SEGMENT_NAMES[s] for s in SEGMENT_LABELS]
    for label in ("income_q1", "literacy_high"):
        ok(seg.select(label).run())
        ok(at.button(key="explorer_draw").click().run())
        assert at.metric[0].label == "Income quintile"
        if label == "income_q1":
            assert at.metric[0].value == "Q1"


def test_learn_tab_and_learn_mode(ran):
    at = show(ran, "Learn")
    steps = uitexts.month_steps()
    assert [n for n, _ in steps] == list(range(1, 10))  # the model's own order
    for number, text in steps:
        assert learn.step_title(number, text) in [e.label for e in at.expander]
    for p in PRESETS:
        assert p.title in texts(at)
    for name in sim.STRATEGIES:
        assert any(e.label.startswith(f"{name}:") for e in at.expander)
    n_info = len(at.info)
    at.toggle(key="learn").set_value(True)
    ok(at.run())
    assert PRESETS[0].explanation in [m.value for m in at.markdown]
    at = show(at, "Results")
    assert len(at.info) > n_info and any(uitexts.NOTES["cards"] == i.value for i in at.info)
    at.toggle(key="learn").set_value(False)
    ok(at.run())


def test_downloads(ran):
    at = show(ran, "Downloads")
    keys = {b.key for b in at.get("download_button")}
    for name in ("summary", "monthly", "segments", "traces"):
        assert {f"csv_{name}", f"parquet_{name}"} <= keys
    assert {"png_series", "png_tradeoff", "toml_downloads", "toml_sidebar", "toml_arm_0", "toml_arm_2"} <= keys
    assert at.code[0].value.startswith("python -m sim compare 1_conventional.toml --strategies conventional,")
    code = at.code[-1].value
    assert "# ---- arm: conventional" in code and 'strategy = "hardship_first"' in code


def test_download_contents_reproduce_the_results(ran):
    res = ran.session_state["results"]
    png = downloads.png_series(res)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert downloads.png_tradeoff(res)[:8] == b"\x89PNG\r\n\x1a\n"
    summary = res.tables["summary"]
    back = pd.read_parquet(io.BytesIO(downloads.parquet_bytes(summary)))
    pd.testing.assert_frame_equal(back, summary.reset_index(drop=True))
    # the exact scenario file of an arm reruns to the same numbers
    toml = res.tomls["aggressive"]
    again = sim.simulate(simconfig.parse_toml(toml), seed=res.seed + 1)
    row = summary[(summary["arm"] == "aggressive") & (summary["rep"] == 1) & (summary["lender"] == "all")]
    assert again.summary.set_index("lender").loc["all", "recovery_rate_net"] == pytest.approx(
        float(row["recovery_rate_net"].iloc[0]), rel=1e-12)
    assert simconfig.validate(simconfig.parse_toml(toml)).lenders[0].strategy == "aggressive"


def test_runs_are_cached_by_configuration(ran, monkeypatch):
    calls = []
    real = sim.simulate
    monkeypatch.setattr(sim, "simulate", lambda *a, **k: calls.append(k.get("seed")) or real(*a, **k))
    at = ok(ran.run())  # same configuration: nothing recomputed
    assert calls == []
    at.number_input(key="seed").set_value(11)
    at = run(at)
    assert sorted(calls) == [11, 11, 11, 12, 12, 12]
    assert "seeds 11-12" in texts(show(at, "Results"))
    at.number_input(key="seed").set_value(0)
    calls.clear()
    ok(at.run())
    assert calls == []


def test_editing_parameters_reaches_the_scenario():
    at = shrink(ok(new_app()))
    at.radio(key="upath.baseline").set_value("constant")
    ok(at.run())
    at.slider(key="urate.baseline").set_value(9.0)
    at.slider(key="shock.baseline").set_value(0.05)
    at.button(key="lv.income_support.baseline.add").click()
    ok(at.run())
    at.number_input(key="lv.income_support.baseline.0.amount").set_value(300.0)
    at.slider(key="lit.baseline").set_value(0.3)
    at.slider(key="reach.baseline").set_value(0.5)
    at.slider(key="sav.baseline").set_value(2.0)
    at.selectbox(key="regime.baseline").select("china_2018")
    at.text_area(key="extra.baseline").input("[behaviour]\ncontact_tolerance = 6.5\n")
    at = run(at)
    scn = simconfig.validate(simconfig.parse_toml(at.session_state["results"].tomls["aggressive"]))
    assert scn.economy.unemployment.kind == "constant" and scn.economy.unemployment.rate == 9.0
    assert scn.economy.expense_shock_probability == 0.05
    assert scn.economy.income_support[0].amount == 300.0
    assert scn.population.literacy_mean == 0.3 and scn.population.reachable_share == 0.5
    assert scn.population.savings_months_median == 2.0
    assert scn.regulation.regime == "china_2018"
    assert scn.behaviour.contact_tolerance == 6.5
    assert scn.population.n_borrowers == SMALL["n"] and scn.horizon_months == SMALL["horizon"]
    for path in ("sudden shock", "random business cycle"):
        at.radio(key="upath.baseline").set_value(path)
        ok(at.run())
    at.slider(key="upeak.baseline").set_value(12.0) if path == "sudden shock" else None
    at.checkbox(key="ustart.baseline").check()
    at = run(at)
    scn = simconfig.validate(simconfig.parse_toml(at.session_state["results"].tomls["conventional"]))
    assert scn.economy.unemployment.kind == "regime" and scn.economy.unemployment.start_in_recession


def test_sudden_shock_path():
    at = shrink(ok(new_app()))
    at.radio(key="upath.baseline").set_value("sudden shock")
    ok(at.run())
    at.slider(key="upeak.baseline").set_value(12.0)
    at.number_input(key="uat.baseline").set_value(2)
    at.slider(key="ulen.baseline").set_value(3)
    at = run(at)
    toml = at.session_state["results"].tomls["conventional"]
    u = simconfig.validate(simconfig.parse_toml(toml)).economy.unemployment
    assert u.kind == "series" and u.values[2:5] == [12.0] * 3 and u.values[1] == u.values[5]


def test_crisis_levers_are_offered_under_economy_and_shocks():
    """One expander per lever of sim.economy.LEVERS, its explanation in learn mode, inputs built from the
    period model's fields, and the crisis_package scenario in the picker with its periods filled in."""
    from sim.economy import LEVERS

    at = ok(new_app())
    assert "crisis_package" in at.selectbox(key="scenario").options
    expanders = [e.label for e in at.sidebar.expander]
    assert all(lever.label in expanders for lever in LEVERS)
    assert any("Economy and shocks" in m.value for m in at.sidebar.markdown)
    at.toggle(key="learn").set_value(True)
    at.selectbox(key="scenario").select("crisis_package")
    at = ok(at.run())
    infos = " ".join(i.value for i in at.sidebar.info)
    assert all(lever.explanation in infos for lever in LEVERS)
    base = sim.load_scenario("crisis_package")
    assert at.number_input(key="lv.stimulus.crisis_package.0.amount").value == base.economy.stimulus[0].amount
    assert at.selectbox(key="lv.stimulus.crisis_package.0.frequency").options == ["once", "monthly"]
    take_up = at.number_input(key="lv.accommodation.crisis_package.0.take_up")
    assert take_up.value == base.lenders[0].accommodation[0].take_up and take_up.max == 1.0
    assert at.checkbox(key="lv.accommodation.crisis_package.0.interest_free").value
    assert any(c.value.startswith("Source: CARES Act") for c in at.sidebar.caption)
    assert not at.error


def test_stimulus_and_accommodation_periods_change_the_run():
    """Adding a stimulus period and a lender accommodation period reaches the scenario of every arm and
    changes the results; removing a period moves the later ones up."""
    at = run(shrink(ok(new_app())))
    before = at.session_state["results"]
    at.button(key="lv.stimulus.baseline.add").click()
    at.button(key="lv.accommodation.baseline.add").click()
    ok(at.run())
    at.number_input(key="lv.stimulus.baseline.0.amount").set_value(3000.0)
    at.number_input(key="lv.accommodation.baseline.0.start_month").set_value(0)
    at.number_input(key="lv.accommodation.baseline.0.end_month").set_value(8)
    at.number_input(key="lv.accommodation.baseline.0.take_up").set_value(0.6)
    at.checkbox(key="lv.accommodation.baseline.0.unemployed_only").uncheck()
    at = run(at)
    after = at.session_state["results"]
    for label in after.labels:
        scn = after.scenario(label)
        assert [p.amount for p in scn.economy.stimulus] == [3000.0]
        assert all(lender.accommodation[0].take_up == 0.6 and not lender.accommodation[0].unemployed_only
                   for lender in scn.lenders)
    assert before.key != after.key
    a, b = before.summary_all(), after.summary_all()
    assert not np.allclose(a["npv"].to_numpy(), b["npv"].to_numpy())
    assert not np.allclose(a["wellbeing_mean"].to_numpy(), b["wellbeing_mean"].to_numpy())
    # two stimulus periods, then the first removed: the second takes its place
    at.button(key="lv.stimulus.baseline.add").click()
    ok(at.run())
    at.number_input(key="lv.stimulus.baseline.1.amount").set_value(500.0)
    ok(at.run())
    at.button(key="lv.stimulus.baseline.0.rm").click()
    at = ok(at.run())
    assert at.session_state["lv.stimulus.baseline.n"] == 1
    assert at.number_input(key="lv.stimulus.baseline.0.amount").value == 500.0


def test_a_bad_lever_period_shows_an_error_and_keeps_the_page():
    at = ok(new_app())
    at.button(key="lv.forbearance.baseline.add").click()
    ok(at.run())
    at.number_input(key="lv.forbearance.baseline.0.start_month").set_value(10)
    at.number_input(key="lv.forbearance.baseline.0.end_month").set_value(3)
    at = ok(at.run())
    errors = [e.value for e in at.error]
    assert any("economy.forbearance.0" in e and "end_month 3 is before start_month 10" in e for e in errors)
    assert all("\n" not in e for e in errors)
    assert at.button(key="run").disabled
    assert [t.label for t in at.tabs] == list(app.TABS) and at.multiselect(key="strategies").value
    at.number_input(key="lv.forbearance.baseline.0.end_month").set_value(12)
    at = ok(at.run())
    assert not at.error and not at.button(key="run").disabled


def test_invalid_value_names_the_field_and_keeps_the_last_results(ran):
    at = show(ran, "Results")
    at.text_area(key="extra.baseline").input("[behaviour]\ncontact_tolerance = -1\n")
    ok(at.run())
    assert any("behaviour.contact_tolerance" in e.value for e in at.error)
    assert at.button(key="run").disabled
    assert any("belong to the previous set-up" in w.value for w in at.warning)
    assert len(at.metric) == 3 * len(CARDS)
    at.text_area(key="extra.baseline").input("behaviour = [not toml")
    ok(at.run())
    assert any("not valid TOML" in e.value for e in at.error)
    at.text_area(key="extra.baseline").input("")
    ok(at.run())
    assert not at.error


def test_fewer_than_two_strategies_is_an_error():
    at = ok(new_app())
    at.multiselect(key="strategies").set_value(["aggressive"])
    ok(at.run())
    assert any("two or more strategies" in e.value for e in at.error)
    assert at.button(key="run").disabled


def test_upload_valid_invalid_oversized_and_binary():
    at = ok(new_app())
    at.radio(key="source").set_value("Upload a file")
    ok(at.run())
    assert any("Upload a scenario file" in e.value for e in at.error)
    uploader = at.get("file_uploader")[0]
    assert uploader.allowed_type in ([".toml"], ["toml"])
    # invalid: an error naming the field; the rest of the page keeps working
    uploader.set_value(("bad.toml", b'name = "bad"\n[population]\nn_borrowers = -5\n', "application/toml"))
    ok(at.run())
    assert any("population.n_borrowers" in e.value and "bad.toml" in e.value for e in at.error)
    assert show(at, "Learn").expander
    # a typo is an error, never a silent default
    at.get("file_uploader")[0].set_value(("typo.toml", b"[population]\nn_borrower = 5\n", "application/toml"))
    ok(at.run())
    assert any("population.n_borrower" in e.value and "unknown field" in e.value for e in at.error)
    # too big, or not text: refused with a message
    at.get("file_uploader")[0].set_value(("big.toml", b"#" * (simconfig.MAX_SCENARIO_BYTES + 1), "application/toml"))
    ok(at.run())
    assert any("limit" in e.value for e in at.error)
    at.get("file_uploader")[0].set_value(("bin.toml", b"\xff\xfe\x00\x01", "application/toml"))
    ok(at.run())
    assert any("not UTF-8" in e.value for e in at.error)
    # valid: the uploaded scenario is what runs
    text = (simconfig.SCENARIO_DIR / "baseline.toml").read_text().replace('name = "baseline"', 'name = "mine"')
    at.get("file_uploader")[0].set_value(("mine.toml", text.encode(), "application/toml"))
    ok(at.run())
    assert not at.error
    sid = next(w.key for w in at.number_input if w.key.startswith("n.up")).removeprefix("n.")
    at = run(shrink(at, sid))
    assert simconfig.parse_toml(at.session_state["results"].tomls["conventional"])["name"] == "mine"


def test_nothing_uploaded_is_executed(tmp_path):
    """A TOML file is data: a string that looks like code stays a string."""
    at = ok(new_app())
    at.radio(key="source").set_value("Upload a file")
    ok(at.run())
    marker = tmp_path / "pwned"
    payload = f'name = "__import__(\'pathlib\').Path(\'{marker}\').touch()"\n'.encode()
    at.get("file_uploader")[0].set_value(("x.toml", payload, "application/toml"))
    at = run(shrink(ok(at.run()), next(w.key for w in at.number_input if w.key.startswith("n.up"))[2:]))
    assert not marker.exists()


def test_url_restores_scenario_strategies_seed_and_tab():
    at = ok(new_app(scenario="recession", strategies=["hardship_first", "aggressive"], seed="7", reps="1",
                    tab="Segments", run="1"))
    assert at.selectbox(key="scenario").value == "recession"
    assert at.multiselect(key="strategies").value == ["hardship_first", "aggressive"]
    assert at.number_input(key="seed").value == 7
    assert at.session_state["tab"] == "Segments"
    res = at.session_state["results"]  # run=1 in the URL: the results come back without pressing Run
    assert res.labels == ["hardship_first", "aggressive"] and res.seed == 7
    assert "By income quintile" in chart_titles(at)


def test_guided_tour(ran):
    at = show(ran, "Learn")
    at.number_input(key="reps").set_value(1)
    at.button(key=f"tour_{PRESETS[0].key}").click()
    ok(at.run())  # loading a tour runs it
    assert at.selectbox(key="tour").value == PRESETS[0].key
    assert any(PRESETS[0].question in i.value for i in at.info)
    assert at.session_state["results"].labels == [a.label for a in PRESETS[0].arms]
    at.number_input(key=f"n.tour.{PRESETS[0].key}").set_value(SMALL["n"])
    at = show(run(at), "Rules")
    res = at.session_state["results"]
    assert res.labels == [a.label for a in PRESETS[0].arms]
    assert res.scenario(res.labels[0]).population.n_borrowers == SMALL["n"]
    assert {res.scenario(label).regulation.regime for label in res.labels} == {
        a.overrides["regulation.regime"] for a in PRESETS[0].arms}
    at.selectbox(key="tour").select(uisetup.OWN)
    at.number_input(key="reps").set_value(SMALL["reps"])
    run(at)


def test_tours_compare_like_with_like():
    """Every arm of a tour has the same horizon and burn-in; a tour whose arms live in different economies
    plots unemployment and shows differences in grey (neither better nor worse)."""
    for p in PRESETS:
        scenarios = [sim.load_scenario(a.scenario, strategy=a.strategy, **a.overrides) for a in p.arms]
        assert len({(s.horizon_months, s.burn_in_months) for s in scenarios}) == 1, p.key
    at = ok(new_app(s=link.encode({"tour": "recession"}), reps="1"))
    at.number_input(key="n.tour.recession").set_value(200)
    at = run(at)
    res = at.session_state["results"]
    assert results.economies_differ(res)
    assert results.series_keys(res)[0] == "unemployment_rate"
    assert outcome("unemployment_rate").label in chart_titles(at)
    assert all(m.proto.color == Metric.GRAY for m in at.metric if m.proto.delta)
    assert any("differ in their economy" in c.value for c in at.caption)


def test_presets_name_registered_things():
    assert {"contact_cap", "recession", "aggressive_vs_hardship"} <= {p.key for p in PRESETS}
    for p in PRESETS:
        assert len(p.arms) >= 2 and p.explanation and p.look_for
        for arm in p.arms:
            assert arm.strategy in sim.STRATEGIES
            scn = sim.load_scenario(arm.scenario, strategy=arm.strategy, **arm.overrides)
            assert scn.regulation.regime in REGIMES
    assert preset("recession").arms[1].scenario == "recession"
    with pytest.raises(KeyError, match="known"):
        preset("nope")


def test_new_strategies_regimes_and_scenarios_appear(monkeypatch, tmp_path):
    """Options come from the registries: what the engine adds shows up without editing the app."""
    from sim.regulation import Regime
    from sim.strategies import ConventionalLadder

    class Gentle(ConventionalLadder):
        """A test strategy. Source: this test."""

        name = "zz_gentle_test"
        description = "test only"

    try:
        monkeypatch.setitem(REGIMES, "zz_test_regime", Regime("zz_test_regime", "test only", "this test"))
        scenarios = tmp_path / "scenarios"
        shutil.copytree(simconfig.SCENARIO_DIR, scenarios)
        (scenarios / "zz_extra.toml").write_text((scenarios / "baseline.toml").read_text()
                                                 .replace('name = "baseline"', 'name = "zz_extra"'))
        monkeypatch.setattr(simconfig, "SCENARIO_DIR", scenarios)
        at = ok(new_app())
        assert "zz_gentle_test" in at.multiselect(key="strategies").options
        assert "zz_test_regime" in at.selectbox(key="regime.baseline").options
        assert "zz_extra" in at.selectbox(key="scenario").options
    finally:
        sim.STRATEGIES.pop("zz_gentle_test", None)


def test_story_tells_the_months_with_events():
    h = pd.DataFrame({
        "month": [0, 1, 2], "employed": [True, False, False], "expense_shock": [0.0, 0.0, 900.0],
        "due": [100.0, 100.0, 135.0], "paid": [100.0, 0.0, 0.0], "worst_dpd": [0, 0, 31],
        "reminders": [0, 1, 2], "call_attempts": [0, 0, 6], "night_calls": [0, 0, 2], "conversations": [0, 0, 1],
        "visits": [0, 0, 0], "offers_made": [0, 0, 1], "offers_accepted": [0, 0, 1], "lawsuits": [0, 0, 0],
        "complaints": [0, 0, 1], "complaint_detail": ["", "", "communication_tactics (regulator)"],
        "wellbeing": [60.0, 55.0, 40.0],
    })
    s = borrowers.story(h)
    assert list(s["Month"]) == [1, 2]
    assert "lost their job" in s["What happened"][0] and "paid $0 of $100 due" in s["What happened"][0]
    last = s["What happened"][1]
    for words in ("expense shock of $900", "31 days past due", "6 call attempts", "2 at night",
                  "offered a plan or deferral and accepted", "complained: communication tactics"):
        assert words in last


def small_jobs(seeds, n=200, horizon=4, strategies=("conventional", "aggressive")):
    tomls = [simconfig.scenario_to_toml(sim.load_scenario("baseline", n_borrowers=n, horizon=horizon,
                                                          burn_in_months=1, strategy=s)) for s in strategies]
    return [Job(t, seed, 0) for seed in seeds for t in tomls]


def test_service_gives_the_same_numbers_as_serial_runs():
    jobs = small_jobs((0, 1))
    serial = RunService(1).submit("a", jobs).results()  # in this process
    service = RunService(2)
    try:
        parallel = service.submit("a", jobs).results(timeout=120)
    finally:
        service.shutdown()
    for a, b in zip(serial, parallel, strict=True):
        pd.testing.assert_frame_equal(a.summary, b.summary)
        pd.testing.assert_frame_equal(a.monthly, b.monthly)


def test_service_is_fair_between_sessions_and_cancels(monkeypatch):
    """A session's big runs go to their own lane and never delay another session's small ones; Cancel
    stops a big run under way (its process is terminated) and drops the ones waiting."""
    monkeypatch.setattr(service_module, "BIG_JOB", 100_000)
    service = RunService(2)
    try:
        assert service.ready.wait(120)
        big = service.submit("long", small_jobs((0, 1, 2), n=20_000, horizon=24))
        time.sleep(0.5)
        start = time.perf_counter()
        small = service.submit("short", small_jobs((5,)))
        small.results(timeout=120)
        waited = time.perf_counter() - start
        assert not big.done(), f"the big runs finished before the small ones ({waited:.1f} s)"
        done, left = big.progress()
        assert 0 <= done < 1 and left > 0
        assert service.cancel("long") >= 1
        deadline = time.monotonic() + 30
        while not big.done():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert all(r.future.cancelled() for r in big.runs)
        assert service.big_busy == 0
    finally:
        service.shutdown()


def test_service_collects_prefetched_runs_and_drops_stale_ones():
    service = RunService(2)
    try:
        stale, wanted = small_jobs((100, 101, 102, 103)), small_jobs((0, 1))
        service.submit("a", stale, speculative=True)
        first = service.submit("a", wanted, speculative=True)  # the set-up changed: stale runs not started go
        first.results(timeout=120)
        assert all(job not in service.runs or service.runs[job].started is not None for job in stale)
        futures = [service.runs[job].future for job in wanted]
        again = service.submit("a", wanted)  # Run collects the prefetched runs: no new work
        assert [r.future for r in again.runs] == futures and again.done()
        other = service.submit("b", wanted)  # another session asking for the same runs shares them
        assert [r.future for r in other.runs] == futures
    finally:
        service.shutdown()


def test_scenario_zip_has_one_exact_file_per_arm(ran):
    res = ran.session_state["results"]

    class Sink:
        def download_button(self, label, data, **kw):
            self.data, self.kw = data, kw

    sink = Sink()
    downloads.toml_download(res, sink, "k")
    assert sink.kw["file_name"] == "scenarios.zip"
    with zipfile.ZipFile(io.BytesIO(sink.data)) as z:
        names = z.namelist()
        assert names == ["1_conventional.toml", "2_aggressive.toml", "3_hardship_first.toml"]
        scn = simconfig.validate(simconfig.parse_toml(z.read(names[2])))
    assert scn.lenders[0].strategy == "hardship_first"


@pytest.mark.parametrize("name", uisetup.builtin_scenarios())
def test_every_built_in_scenario_runs_in_the_app(name):
    """The contract over scenario files, as the app sees them: each loads, shrinks and compares."""
    at = ok(new_app(scenario=name))
    assert not at.error, [e.value for e in at.error]
    options = at.multiselect(key="strategies").options
    at.multiselect(key="strategies").set_value(options[:2])
    at.number_input(key="reps").set_value(1)
    at = shrink(ok(at.run()), name)
    at.number_input(key="reps").set_value(1)
    at = run(at)
    assert not at.error, [e.value for e in at.error]
    assert len(at.metric) == 2 * len(CARDS)


def test_declared_strategies_of_a_scenario_are_offered():
    declared = [n for n in uisetup.builtin_scenarios()
                if simconfig.parse_toml((simconfig.SCENARIO_DIR / f"{n}.toml").read_bytes()).get("strategies")]
    assert declared, "scenarios/custom_ladder.toml should declare a strategy"
    at = ok(new_app(scenario=declared[0]))
    data = simconfig.parse_toml((simconfig.SCENARIO_DIR / f"{declared[0]}.toml").read_bytes())
    names = [d["name"] for d in data["strategies"]]
    assert set(names) <= set(at.multiselect(key="strategies").options)
    at.selectbox(key="scenario").select("baseline")
    ok(at.run())
    assert not set(names) & set(at.multiselect(key="strategies").options)


def test_the_app_refuses_huge_populations():
    at = ok(new_app())
    at.text_area(key="extra.baseline").input("[population]\nn_borrowers = 5000000\n")
    ok(at.run())
    assert any(e.value.startswith("population.n_borrowers:") and "limit" in e.value for e in at.error)
    assert at.button(key="run").disabled


def test_an_edited_scenario_cannot_read_server_files():
    at = ok(new_app())
    at.text_area(key="extra.baseline").input('portfolio = "/etc/passwd"\n')
    ok(at.run())
    assert any(e.value.startswith("portfolio:") for e in at.error)
    assert at.button(key="run").disabled


def test_portfolio_upload_is_validated_and_runs():
    """A lender's portfolio upload: every bad row is reported with its line (the command line's messages),
    the rest of the page keeps working; a valid file starts the runs from its accounts."""
    at = ok(new_app())
    bad = b"account_id,lender,product,balance,rate,remaining_term,days_past_due\nA1,Card issuer,card,abc,0.2,12,0\n"
    at.get("file_uploader")[0].set_value(("book.csv", bad, "text/csv"))
    ok(at.run())
    assert any("book.csv" in e.value and "line 2" in e.value and "balance" in e.value for e in at.error)
    assert at.button(key="run").disabled
    sample = (ROOT / "data" / "sample_portfolio.csv").read_bytes()
    at.get("file_uploader")[0].set_value(("sample.csv", sample, "text/csv"))
    ok(at.run())
    assert not at.error, [e.value for e in at.error]
    assert any("sample.csv" in s.value and "no problems" in s.value for s in at.success)
    at = run(shrink(at))
    toml = at.session_state["results"].tomls["conventional"]
    assert simconfig.parse_toml(toml)["portfolio"].endswith(".csv")


def test_only_small_setups_are_run_before_run_is_pressed(monkeypatch):
    asked = []

    class Service:
        inline = False

        def submit(self, session, jobs, speculative=False):
            asked.append((jobs, speculative))

    monkeypatch.setattr(uirun, "service", lambda: Service())

    def setup(n_borrowers: int) -> uirun.Setup:
        arms = [uirun.Arm(label=s, strategy=s, toml=simconfig.scenario_to_toml(
            sim.load_scenario("baseline", n_borrowers=n_borrowers, strategy=s))) for s in uisetup.default_strategies()]
        return uirun.Setup(arms=arms, seed=0, reps=uisetup.DEFAULT_REPS, error=None, title="t")

    uirun.prefetch(setup(uisetup.DEFAULT_HOUSEHOLDS))
    assert len(asked) == 1 and len(asked[0][0]) == 3 * uisetup.DEFAULT_REPS and asked[0][1]
    assert asked[0][0] == setup(1000).jobs
    uirun.prefetch(setup(50_000))  # 50 times the default: waits for Run, and earlier prefetches are dropped
    assert len(asked) == 2 and asked[1] == ([], True)


def test_a_portfolio_run_is_sized_by_its_accounts(big_portfolio_csv):
    """The size of a run that starts from a portfolio counts its accounts, not the scenario's households, so
    that a big book goes to the big lane and is never started before Run."""
    toml = simconfig.scenario_to_toml(sim.load_scenario("baseline", n_borrowers=1000,
                                                        portfolio=str(big_portfolio_csv)))
    accounts = len(big_portfolio_csv.read_bytes().splitlines()) - 1
    assert service_module.household_months(toml) == accounts * 60
    assert service_module.household_months(toml) > service_module.BIG_JOB


# ------------------------------------------------------------------------------------------------
# Issue 15: links, uploads, chart data, readability, the Rules tab, the package
# ------------------------------------------------------------------------------------------------
def query_of(at: AppTest) -> dict:
    return {k: (v if isinstance(v, list) and len(v) > 1 else (v[0] if isinstance(v, list) else v))
            for k, v in at.query_params.items()}


def test_a_link_reproduces_every_setting():
    """Every setting that changes a result travels in the URL; opening the link reruns exactly the shared
    comparison, with the same cards."""
    at = shrink(ok(new_app()), "baseline")
    at.multiselect(key="strategies").set_value(["hardship_first", "conventional"])
    at.number_input(key="seed").set_value(5)
    at.radio(key="upath.baseline").set_value("sudden shock")
    ok(at.run())
    at.slider(key="upeak.baseline").set_value(11.5)
    at.number_input(key="uat.baseline").set_value(2)
    at.slider(key="ulen.baseline").set_value(4)
    at.slider(key="shock.baseline").set_value(0.06)
    at.button(key="lv.income_support.baseline.add").click()
    ok(at.run())
    at.button(key="lv.stimulus.baseline.add").click()
    ok(at.run())
    at.button(key="lv.accommodation.baseline.add").click()
    ok(at.run())
    at.number_input(key="lv.income_support.baseline.0.amount").set_value(350.0)
    at.number_input(key="lv.income_support.baseline.0.start_month").set_value(1)
    at.number_input(key="lv.income_support.baseline.0.end_month").set_value(7)
    at.number_input(key="lv.stimulus.baseline.0.amount").set_value(900.0)
    at.selectbox(key="lv.stimulus.baseline.0.frequency").select("monthly")
    at.number_input(key="lv.accommodation.baseline.0.take_up").set_value(0.45)
    at.checkbox(key="lv.accommodation.baseline.0.report_current").uncheck()
    at.slider(key="lit.baseline").set_value(0.35)
    at.slider(key="reach.baseline").set_value(0.6)
    at.slider(key="sav.baseline").set_value(1.5)
    at.selectbox(key="regime.baseline").select("china_2018")
    at.text_area(key="extra.baseline").input("[behaviour]\ncontact_tolerance = 6.5\n")
    at = show(run(at), "Costs")
    shared = at.session_state["results"]
    query = query_of(at)  # the parameters the page writes itself
    assert query.get("run") == "1" and len(query["s"]) < 400, query
    # the widgets Streamlit binds to the URL (the browser writes those; AppTest does not)
    query |= {"strategies": ["hardship_first", "conventional"], "seed": "5", "reps": str(SMALL["reps"]),
              "tab": "Costs"}
    opened = ok(new_app(**query))
    res = opened.session_state["results"]  # run=1: the comparison runs on opening
    assert res.key == shared.key and res.tomls == shared.tomls
    assert opened.session_state["tab"] == "Costs"
    scn = res.scenario("conventional")
    assert scn.regulation.regime == "china_2018" and scn.economy.unemployment.values[2:6] == [11.5] * 4
    assert scn.economy.income_support[0].end_month == 7 and scn.behaviour.contact_tolerance == 6.5
    assert scn.economy.stimulus[0].amount == 900.0 and scn.economy.stimulus[0].frequency == "monthly"
    assert scn.lenders[0].accommodation[0].take_up == 0.45 and not scn.lenders[0].accommodation[0].report_current
    assert scn.population.n_borrowers == SMALL["n"] and scn.horizon_months == SMALL["horizon"]
    # the exported file says what was edited, not the base file's "no contact rules"
    assert "no contact rules" not in scn.description and "regulation.regime = china_2018" in scn.description
    cards = [(m.label, m.value) for m in show(at, "Results").metric]
    del opened.query_params["tab"]  # (AppTest does not update the URL when a bound widget changes)
    assert [(m.label, m.value) for m in show(opened, "Results").metric] == cards
    with pytest.raises(ValueError, match="could not be read"):
        link.decode("not-a-link")


def test_a_damaged_link_is_reported_not_fatal():
    at = ok(new_app(s="garbage!!"))
    assert any("could not be read" in w.value for w in at.warning)


def test_results_are_marked_stale_until_run(ran):
    at = show(ran, "Results")
    before = at.session_state["results"].key
    at.number_input(key="seed").set_value(3)
    ok(at.run())
    assert any("belong to the previous set-up" in w.value for w in at.warning)
    assert at.session_state["results"].key == before  # nothing recomputed without Run
    assert "run" not in at.query_params  # the link describes the set-up, which has not run
    at = run(at)
    assert not any("previous set-up" in w.value for w in at.warning)
    at.number_input(key="seed").set_value(0)
    run(at)


def test_upload_limits_agree_and_a_20_mb_portfolio_runs(big_portfolio_csv):
    """The uploader states the server's limit; a portfolio just under it validates and runs; the page says
    the upload cannot travel in a link."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] >= uisetup.MAX_PORTFOLIO_MB
    at = ok(new_app())
    uploader = next(u for u in at.get("file_uploader") if "portfolio" in u.proto.label.lower())
    assert f"at most {uisetup.MAX_PORTFOLIO_MB} MB" in uploader.proto.label
    # a file over the stated limit reaches the app (the server's limit is higher) and gets a banner
    assert uploader.proto.max_upload_size_mb in (0, config["server"]["maxUploadSize"])
    uploader.set_value(("huge.csv", b"x" * int(uisetup.MAX_PORTFOLIO_MB * 1e6 + 1), "text/csv"))
    at = ok(at.run())
    assert any("huge.csv" in e.value and "more than the app's limit of 20 MB" in e.value for e in at.error)
    assert any(e.value.startswith("The set-up has a problem: huge.csv") for e in at.error)  # in the main area
    uploader = next(u for u in at.get("file_uploader") if "portfolio" in u.proto.label.lower())
    book = big_portfolio_csv
    assert 18e6 < book.stat().st_size < uisetup.MAX_PORTFOLIO_MB * 1024 * 1024
    uploader.set_value(("book.csv", book.read_bytes(), "text/csv"))
    at = ok(at.run())
    at.multiselect(key="strategies").set_value(["conventional", "aggressive"])
    at.number_input(key="reps").set_value(1)
    at.number_input(key="horizon.baseline").set_value(2)
    at.number_input(key="burn.baseline").set_value(0)
    at = run(ok(at.run()))
    assert not at.error, [e.value for e in at.error]
    assert any("book.csv" in s.value and "accounts, no problems" in s.value for s in at.success)
    assert any("cannot travel in a link" in c.value for c in at.caption)
    assert len(at.metric) == 2 * len(CARDS)


def test_chart_data_match_the_outcome_tables(ran):
    """The numbers behind the charts are the outcome tables': complaints by category add up to the total
    (which is not a category), segment dots are the segment table's means, monthly bands are the monthly
    table's means, and no interval of a quantity that cannot be negative goes below zero."""
    res = ran.session_state["results"]
    s = res.summary_all()
    for _, labels in complaints.PARTS:
        part = complaints.breakdown(res, labels)
        assert "per 1000" not in set(part["kind"]) and set(part["kind"]) == set(labels.values())
        totals = part.groupby("arm")["per_1000"].sum()
        expected = s.groupby("arm")["complaints_per_1000"].mean()
        for arm in res.labels:
            assert totals[arm] == pytest.approx(expected[arm], rel=1e-6, abs=1e-9), arm
    key = "wellbeing_mean"
    b = segments.segment_band(res, key).set_index(["arm", "segment"])
    direct = res.tables["segments"].groupby(["arm", "segment"])[key].mean()
    for (arm, segment), value in direct.items():
        assert b.loc[(arm, segment), "mean"] == pytest.approx(value)
    monthly = res.monthly_all()
    for key in outcomes.SERIES:
        band = charts.band(monthly, key).set_index(["arm", "month"])
        direct = monthly.groupby(["arm", "month"])[key].mean()
        assert np.allclose(band.loc[direct.index, "mean"], direct)
        assert (band["lo"] <= band["mean"] + 1e-12).all() and (band["hi"] >= band["mean"] - 1e-12).all()
        if not outcome(key).can_be_negative:
            assert (band["lo"] >= 0).all()
    ci = charts.summary_ci(s, ["complaints_legal_action_per_1000"], res.labels)
    assert (ci["ci_low"].dropna() >= 0).all()
    shares = [k for k, o in outcomes.OUTCOMES.items() if o.is_share and k in s.columns]
    assert "redefault_rate_reaged" in shares
    assert (charts.summary_ci(s, shares, res.labels)["ci_high"].dropna() <= 1).all()


def test_the_command_line_shown_reproduces_the_comparison(ran, tmp_path):
    """The Downloads tab's command, run on the downloaded scenario file, gives the app's numbers."""
    import subprocess

    res = ran.session_state["results"]
    command = downloads.commands(res)
    assert command.startswith("python -m sim compare ")
    (tmp_path / f"1_{downloads.safe(res.labels[0])}.toml").write_text(res.tomls[res.labels[0]])
    subprocess.run([sys.executable, *command.split()[1:], "--out", "out"], cwd=tmp_path, check=True,
                   capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    app_means = res.summary_all().groupby("strategy")["recovery_rate_net"].mean()
    cli_means = runs.groupby("strategy")["recovery_rate_net"].mean()
    for strategy in res.labels:
        assert cli_means[strategy] == pytest.approx(app_means[strategy], rel=1e-9)


def test_the_downloaded_figure_is_the_screen(ran):
    """The PNG of the monthly series draws the same charts, data and colours as the Results tab."""
    from matplotlib.colors import to_hex

    res = ran.session_state["results"]
    keys = results.series_keys(res)
    fig = charts.series_figure(res.monthly_all(), res.labels, keys, downloads.figure_title(res, "over time"))
    assert f"seeds {res.seeds}" in fig._suptitle.get_text()
    palette = charts.colours(res.labels)
    for ax, key in zip(fig.axes, keys, strict=True):
        assert ax.get_title() == charts.series_spec(res.labels, key)["title"]
        band = charts.band(res.monthly_all(), key)
        for line, label in zip(ax.get_lines(), res.labels, strict=True):
            assert to_hex(line.get_color()) == palette[label]
            assert np.allclose(line.get_ydata(), band.loc[band["arm"] == label, "mean"])
    spec = charts.series_spec(res.labels, keys[0])
    assert spec["layer"][1]["encoding"]["color"]["scale"]["range"] == [palette[label] for label in res.labels]


def test_numbers_are_shown_with_units():
    assert outcomes.fmt(0.09846, "pct") == "9.8%"
    assert outcomes.fmt(3_390_000.0, "money") == "$3,390,000"
    assert outcomes.fmt(412.6, "count") == "413"
    assert outcomes.difference(-0.00004, "pct") is None  # never a red "-0.0 pp"
    assert outcomes.difference(0.0123, "pct") == "+1.2 pp"
    assert outcomes.difference(-3400.0, "money") == "-$3,400"


def test_every_engine_outcome_has_a_human_label():
    """No internal name on screen: every column the engine reports has an entry in ui.outcomes."""
    keys = [*sim.metrics.SUMMARY_KEYS, *sim.metrics.MONTHLY_COLUMNS, *sim.metrics.SEGMENT_COLUMNS]
    missing = [k for k in keys if k not in outcomes.OUTCOMES]
    assert not missing, missing
    assert all("_" not in o.label for o in outcomes.OUTCOMES.values())


def test_trade_off_and_cost_tables_are_formatted(ran):
    at = show(ran, "Trade-offs")
    table = at.dataframe[0].value
    row = table.loc[outcome("recovery_rate_net").label].iloc[0]
    assert row.endswith(")") and "%" in row and " to " in row  # mean (interval) as percentages
    at = show(at, "Costs")
    costs = at.dataframe[0].value
    assert costs.loc[outcome("collection_cost").label].iloc[0].startswith("$")
    assert "." not in costs.loc[outcome("lawsuits").label].iloc[0].split(" ")[0]  # whole lawsuits


def test_the_money_outcome_leads_the_cards_and_matches_the_summary(ran):
    """NPV and P&L are the first cards, in dollars with thousands separators, and are the summary's means;
    recovery on a fixed base divides every arm's collections by the champion's book at stake."""
    at = show(ran, "Results")
    res = at.session_state["results"]
    s = res.summary_all()
    assert [m.label for m in at.metric][:3] == ["NPV", "P&L", "Recovery on a fixed base"]
    champion = s[s["arm"] == res.labels[0]]
    assert at.metric[0].value == outcome("npv").format(champion["npv"].mean())
    assert at.metric[0].value.startswith(("$", "-$")) and "," in at.metric[0].value
    # the champion's fixed base is its own book; a challenger's is the champion's on the same seed
    assert np.allclose(champion["recovery_rate_common_base"], champion["recovery_rate_on_book"])
    base = champion.set_index("rep")["recovery_base"]
    for _, row in s[s["arm"] == res.labels[1]].iterrows():
        assert row["recovery_rate_common_base"] == pytest.approx(row["collected"] / base[row["rep"]])
    assert outcome("recovery_rate_gross").label != outcome("recovery_rate_common_base").label
    assert "denominator moves with the strategy" in outcome("recovery_rate_gross").explanation


def test_money_tab_shows_money_recovery_kpis_and_roll_rates(ran):
    at = show(ran, "Money")
    res = at.session_state["results"]
    s = res.summary_all()
    tables = [d.value for d in at.dataframe]
    money_table, recovery, kpis, rolls = tables[:4]
    first = res.labels[0]
    means = s.groupby("arm")[["npv", "pnl", "rpc_per_attempt", "recovery_rate_common_base"]].mean()
    assert money_table.loc["NPV", first].startswith(outcome("npv").format(means.loc[first, "npv"]))
    assert money_table.loc["P&L", first].startswith(outcome("pnl").format(means.loc[first, "pnl"]))
    assert recovery.loc["Recovery on a fixed base", first].startswith(
        outcome("recovery_rate_common_base").format(means.loc[first, "recovery_rate_common_base"]))
    assert kpis.loc["Right-party contact rate", first].startswith(
        outcome("rpc_per_attempt").format(means.loc[first, "rpc_per_attempt"]))
    for key in ("promise_kept_rate", "collected_per_collector_hour", "cure_rate", "redefault_rate_cured"):
        assert outcome(key).label in kpis.index
    assert "from current" in rolls.index and "charged off" in rolls.columns
    # the matrix is the engine's: one replication's equals the run's own roll_rate_matrix, both weights
    job = res.jobs[0]
    direct = sim.simulate(simconfig.parse_toml(job.toml), seed=job.seed)
    rr = res.tables["roll_rates"]
    for weight in money.WEIGHTS:
        mine = sim.reports.roll_rate_matrix(rr[(rr["arm"] == first) & (rr["rep"] == 0)], "all", weight)
        pd.testing.assert_frame_equal(mine, direct.roll_rate_matrix("all", weight))
        pooled = money.roll_matrix(res, first, weight)
        assert np.allclose(pooled.sum(axis=1)[pooled.sum(axis=1) > 0], 1.0)
    ok(at.radio(key="roll_weight").set_value("balance").run())
    ok(at.selectbox(key="roll_arm").select(res.labels[1]).run())


def test_welfare_change_is_computed_on_demand_and_is_the_engines(ran):
    at = show(ran, "Money")
    assert "ce_change" not in at.session_state["results"].tables or True
    at.session_state["results"].tables.pop("welfare", None)
    at = ok(at.run())
    assert at.button(key="welfare")  # not computed until asked for
    assert not any(outcome("ce_change").label in str(d.value.index.tolist()) for d in at.dataframe)
    at = ok(at.button(key="welfare").click().run())
    res = at.session_state["results"]
    table = res.tables["welfare"]
    assert len(table) == len(res.labels) * res.reps
    shown = at.dataframe[-1].value
    first = res.labels[0]
    mean = table[table["arm"] == first]["ce_change"].mean()
    assert shown.loc[outcome("ce_change").label, first].startswith(outcome("ce_change").format(mean))
    assert outcome("ce_change_horizon").label in shown.index
    # the engine's own welfare change for one run
    job = res.jobs[len(res.labels) + 1]  # replication 1, second arm
    direct = sim.run_scenario(simconfig.parse_toml(job.toml), seed=job.seed, welfare=True)
    row = table[(table["rep"] == 1) & (table["arm"] == res.labels[1])].iloc[0]
    assert row["ce_change"] == pytest.approx(direct["ce_change"], rel=1e-9, abs=1e-12)
    assert row["ce_change_horizon"] == pytest.approx(direct["ce_change_horizon"], rel=1e-9, abs=1e-12)


def test_rules_tab_names_the_reference_regime_and_shows_shares(ran):
    at = show(ran, "Rules")
    assert any("reference regime" in m.value and "us_reg_f" in m.value for m in at.markdown)
    assert any("clipped by the regime in force" in i.value and "none" in i.value for i in at.info)
    titles = chart_titles(at)
    assert "clipped by the regime in force" not in titles  # no empty chart under regime none
    res = at.session_state["results"]
    shares = rules.rule_shares(res)
    values = shares.drop(columns=["arm", "rep"]).to_numpy()
    assert (values >= 0).all() and (values <= 1).all()
    at.selectbox(key="regime.baseline").select("china_2018")
    at = run(at)
    assert "clipped by the regime in force" in chart_titles(at)
    at.selectbox(key="regime.baseline").select("none")
    run(at)


def test_the_ui_is_presentation_only():
    """app.py is a short entry point; no statistics or processes in the UI package."""
    assert len((ROOT / "app.py").read_text().splitlines()) < 150
    for path in [ROOT / "app.py", *(ROOT / "ui").rglob("*.py")]:
        text = path.read_text()
        for word in ("scipy", "multiprocessing", "ProcessPoolExecutor", "t.ppf", "np.std", ".std("):
            assert word not in text, (path.name, word)
