"""The set-up panel: a built-in or uploaded scenario, edits, strategies, or a guided tour; the Run button.

Options come from the engine's registries (:data:`sim.STRATEGIES`, the files in
:data:`sim.config.SCENARIO_DIR`, :data:`sim.regulation.REGIMES`, :data:`sim.presets.PRESETS`). Every
setting is registered with :mod:`ui.link`, so that a link reproduces the comparison.
"""

from __future__ import annotations

import copy
import hashlib
import tempfile
from pathlib import Path
from typing import Literal, get_args, get_origin

import streamlit as st

import sim
from sim import config as simconfig
from sim.economy import LEVERS, LeverInfo
from sim.presets import PRESETS, preset
from sim.regulation import REGIMES
from ui import link, texts
from ui.run import Arm, Setup

PREFERRED_STRATEGIES = ("conventional", "aggressive", "hardship_first")  # filtered by the registry
DEFAULT_SCENARIO = "baseline"
DEFAULT_HOUSEHOLDS = 1000
DEFAULT_REPS = 3
MAX_REPS = 30
MAX_HOUSEHOLDS = 200_000  # the app's limit; bigger runs belong on the command line
MAX_SCENARIO_MB = simconfig.MAX_SCENARIO_BYTES / 1e6  # checked by sim.config.parse_toml, with a message
MAX_PORTFOLIO_MB = 20  # checked here, with a message naming the file and its size
# Files up to server.maxUploadSize (.streamlit/config.toml, 50 MB) reach the app, which refuses those above
# the limits stated on the page with an error naming the problem; only bigger ones are stopped by the browser.
MAX_PORTFOLIO_ACCOUNTS = 300_000  # a 20 MB CSV holds about 250,000 accounts
OWN = "own"  # the "comparison" selector: your own, or a guided-tour preset key


def builtin_scenarios() -> list[str]:
    """Names of the scenario files shipped with the engine, the default first."""
    names = sorted(p.stem for p in simconfig.SCENARIO_DIR.glob("*.toml"))
    return sorted(names, key=lambda n: n != DEFAULT_SCENARIO)


def default_strategies() -> list[str]:
    chosen = [s for s in PREFERRED_STRATEGIES if s in sim.STRATEGIES]
    return chosen if len(chosen) >= 2 else list(sim.STRATEGIES)[:3]


def strategy_description(name: str, declared: dict[str, str] | None = None) -> str:
    if name in sim.STRATEGIES:
        return sim.STRATEGIES[name].description
    return (declared or {}).get(name, "declared in the scenario file")


def deep_merge(base: dict, extra: dict) -> dict:
    """``base`` with the tables of ``extra`` merged in (values and lists of ``extra`` win)."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _dotted(data: dict, path: str):
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _flat(data: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in data.items():
        out += _flat(value, f"{prefix}{key}.") if isinstance(value, dict) else [f"{prefix}{key}"]
    return out


def edited_description(base: sim.Scenario, overrides: dict, extra: dict) -> str:
    """The exported file's description: what it was made from and what was changed (so that a file made
    from "baseline, no contact rules" with China's rules does not claim no contact rules)."""
    dumped = base.model_dump(mode="json")
    changes = []
    for path, value in overrides.items():
        if path == "portfolio":
            changes.append("an uploaded portfolio")
        elif _dotted(dumped, path) != value:
            shown = value if not isinstance(value, (list, dict)) else "edited"
            changes.append(f"{path} = {shown}")
    changes += [f"{path} (from the extra TOML)" for path in _flat(extra)]
    if not changes:
        return base.description
    return f"Scenario {base.name!r} edited in collection-lab: " + "; ".join(changes)


# ------------------------------------------------------------------------------------------------
# Widgets
# ------------------------------------------------------------------------------------------------
def load_base_scenario(source: str) -> tuple[dict | None, str, str | None]:
    """The base scenario as a dict, an id for widget keys, and an error message."""
    if source == "Upload a file":
        upload = st.sidebar.file_uploader(
            f"Scenario file (TOML, at most {MAX_SCENARIO_MB:g} MB)", type=["toml"], key="upload",
            help="The file is parsed as TOML and validated; nothing in it is executed.")
        if upload is None:
            return None, "upload", texts.UPLOAD_PROMPT
        raw = upload.getvalue()
        try:
            data = simconfig.parse_toml(raw, upload.name)
            simconfig.validate(data, upload.name)
        except sim.ScenarioError as exc:
            return None, "upload", str(exc)
        return data, "up" + hashlib.sha256(raw).hexdigest()[:8], None
    names = builtin_scenarios()
    if st.session_state.get("scenario") not in (None, *names):
        st.sidebar.warning(f"No built-in scenario {st.session_state['scenario']!r}: showing {DEFAULT_SCENARIO}.")
        st.session_state["scenario"] = DEFAULT_SCENARIO
    name = _widget(st.sidebar.selectbox, "Scenario", "scenario", DEFAULT_SCENARIO, names,
                   help="The files in scenarios/. A new file there appears here.")
    try:
        data = simconfig.parse_toml((simconfig.SCENARIO_DIR / f"{name}.toml").read_bytes(), f"{name}.toml")
        simconfig.validate(data, f"{name}.toml")
    except sim.ScenarioError as exc:
        return None, name, str(exc)
    return data, name, None


def _widget(kind, label: str, key: str, default, *args, **kwargs):
    """A set-up widget whose value travels in links (see :mod:`ui.link`)."""
    link.default(key, default)
    return kind(label, *args, key=key, **kwargs)


def economy_overrides(base: sim.Scenario, sid: str) -> dict:
    """Widgets for the unemployment path and shocks; returns dotted overrides."""
    o: dict = {}
    u = base.economy.unemployment
    paths = ["as in the scenario", "constant", "sudden shock", "random business cycle"]
    path = _widget(st.radio, "Unemployment path", f"upath.{sid}", paths[0], paths,
                   help=f"The scenario's own path is '{u.kind}'.")
    start_rate = {"constant": getattr(u, "rate", None), "regime": getattr(u, "expansion_rate", None),
                  "series": (getattr(u, "values", None) or [None])[0]}.get(u.kind)
    if start_rate is None:
        start_rate = simconfig.ConstantUnemployment().rate
    if path == "constant":
        rate = _widget(st.slider, "Unemployment rate, %", f"urate.{sid}", float(start_rate), 0.0, 30.0, step=0.1)
        o["economy.unemployment"] = {"kind": "constant", "rate": rate}
    elif path == "sudden shock":
        c1, c2 = st.columns(2)
        peak = _widget(c1.slider, "Peak rate, %", f"upeak.{sid}", 10.0, 0.0, 30.0, step=0.5)
        at = _widget(c2.number_input, "From month", f"uat.{sid}", 6, 0, 600)
        length = _widget(st.slider, "Months at the peak", f"ulen.{sid}", 18, 1, 120)
        values = [float(start_rate)] * max(base.horizon_months, at + length + 1)
        for m in range(at, at + length):
            values[m] = peak
        o["economy.unemployment"] = {"kind": "series", "frequency": "monthly", "values": values,
                                     "start": "month 0"}
    elif path == "random business cycle":
        c1, c2 = st.columns(2)
        calm = _widget(c1.number_input, "Expansion rate, %", f"uexp.{sid}", 4.6, 0.0, 30.0, step=0.1)
        bad = _widget(c2.number_input, "Recession rate, %", f"urec.{sid}", 9.5, 0.0, 30.0, step=0.1)
        start_bad = _widget(st.checkbox, "Start in a recession", f"ustart.{sid}", False)
        o["economy.unemployment"] = {"kind": "regime", "expansion_rate": calm, "recession_rate": bad,
                                     "start_in_recession": start_bad}
    shock = _widget(st.slider, "Expense shocks: monthly probability", f"shock.{sid}",
                    float(base.economy.expense_shock_probability), 0.0, 0.2, step=0.005,
                    help="Illness, repairs: each costs about a month of income on average.")
    if shock != base.economy.expense_shock_probability:
        o["economy.expense_shock_probability"] = shock
    return o


# ------------------------------------------------------------------------------------------------
# Crisis levers (sim.economy.LEVERS): one expander each, periods built from the period model's fields
# ------------------------------------------------------------------------------------------------
NEW_PERIOD_MONTHS = 6  # a new period runs from its start month for this many months


def _lever_key(lever: LeverInfo, sid: str) -> str:
    return f"lv.{lever.path.rsplit('.', 1)[-1]}.{sid}"


def lever_periods(base: sim.Scenario, lever: LeverInfo) -> list[dict]:
    """The lever's periods in the base scenario (a per-lender lever: its first lender's), as plain dicts."""
    owner = base.lenders[0] if lever.per_lender else base.economy
    return [p.model_dump(mode="json") for p in getattr(owner, lever.path.rsplit(".", 1)[-1])]


def lever_paths(base: sim.Scenario, lever: LeverInfo) -> list[str]:
    """Where the lever's periods go: ``economy.<field>``, or ``lenders.<i>.<field>`` for every lender."""
    name = lever.path.rsplit(".", 1)[-1]
    if lever.per_lender:
        return [f"lenders.{i}.{name}" for i in range(len(base.lenders))]
    return [lever.path]


def _bounds(info) -> tuple[float | None, float | None]:
    low = high = None
    for m in info.metadata:
        low = getattr(m, "ge", getattr(m, "gt", low))
        high = getattr(m, "le", getattr(m, "lt", high))
    return low, high


def _field_default(name: str, info, start: int):
    if name == "end_month" and info.is_required():
        return start + NEW_PERIOD_MONTHS - 1
    return info.get_default(call_default_factory=True)


def period_field(key: str, name: str, info, default, learn: bool):
    """One input for one field of a period, built from its pydantic field: a Literal is a dropdown, a bool a
    checkbox, a number a number input within the field's bounds; the description and source are its help,
    and a cited source is a note under it in learn mode."""
    label = name.replace("_", " ").capitalize()
    source = (info.json_schema_extra or {}).get("source", "")
    help_text = f"{info.description or ''}\n\nSource: {source}" if source else info.description
    kind = info.annotation
    if get_origin(kind) is Literal:
        options = list(get_args(kind))
        value = _widget(st.selectbox, label, key, default, options, help=help_text)
    elif kind is bool:
        value = _widget(st.checkbox, label, key, bool(default), help=help_text)
    else:
        low, high = _bounds(info)
        if kind is int:
            value = _widget(st.number_input, label, key, int(default), None if low is None else int(low),
                            None if high is None else int(high), step=1, help=help_text)
        else:
            step = 0.01 if high is not None and high <= 2 else 10.0
            value = _widget(st.number_input, label, key, float(default), None if low is None else float(low),
                            None if high is None else float(high), step=step, help=help_text)
    if learn and source and source != "assumption":  # a bare "assumption" stays in the help, not on the panel
        st.caption(f"Source: {source}")
    return value


def _add_period(count_key: str) -> None:
    st.session_state[count_key] = int(st.session_state.get(count_key, 0)) + 1


def _remove_period(prefix: str, count_key: str, index: int, fields: list[str]) -> None:
    """Drop period ``index``: the later ones move up one place, and the last place is cleared."""
    n = int(st.session_state.get(count_key, 0))
    for j in range(index, n - 1):
        for name in fields:
            later = f"{prefix}.{j + 1}.{name}"
            if later in st.session_state:
                st.session_state[f"{prefix}.{j}.{name}"] = st.session_state[later]
    for name in fields:
        st.session_state.pop(f"{prefix}.{n - 1}.{name}", None)
    st.session_state[count_key] = max(n - 1, 0)


def lever_editor(base: sim.Scenario, data: dict, lever: LeverInfo, sid: str, learn: bool) -> dict:
    """The expander of one crisis lever: its explanation in learn mode, its periods (add, edit, remove),
    and the lever's own error. Returns dotted overrides when the periods differ from the scenario's."""
    prefix = _lever_key(lever, sid)
    count_key = f"{prefix}.n"
    existing = lever_periods(base, lever)
    fields = list(lever.period.model_fields)
    periods: list[dict] = []
    with st.sidebar.expander(lever.label, expanded=False):
        if learn:
            st.info(lever.explanation, icon=":material/school:")
        if lever.per_lender:
            names = ", ".join(lender.name for lender in base.lenders)
            st.caption(f"The lender's own programme: applies to {names}.")
        link.default(count_key, len(existing))
        n = int(st.session_state.get(count_key, len(existing)))
        for i in range(n):
            given = existing[i] if i < len(existing) else {}
            with st.container(border=True):
                st.markdown(f"**Period {i + 1}**")
                period = {}
                start = int(given.get("start_month", 0))
                for name, info in lever.period.model_fields.items():
                    default = given.get(name, _field_default(name, info, start))
                    period[name] = period_field(f"{prefix}.{i}.{name}", name, info, default, learn)
                periods.append(period)
                st.button(f"Remove period {i + 1}", key=f"{prefix}.{i}.rm", on_click=_remove_period,
                          args=(prefix, count_key, i, fields), icon=":material/delete:")
        st.button("Add a period", key=f"{prefix}.add", on_click=_add_period, args=(count_key,),
                  icon=":material/add:")
        if periods == existing:
            return {}
        overrides = {path: periods for path in lever_paths(base, lever)}
        try:
            simconfig.load_scenario(data, **overrides)
        except sim.ScenarioError as exc:
            st.error(str(exc).splitlines()[0])
    return overrides


def lever_overrides(base: sim.Scenario, data: dict, sid: str) -> dict:
    """Every crisis lever of :data:`sim.economy.LEVERS`, one expander each; returns dotted overrides."""
    learn = bool(st.session_state.get("learn"))
    out: dict = {}
    for lever in LEVERS:
        out |= lever_editor(base, data, lever, sid, learn)
    return out


def portfolio_upload(sid: str) -> tuple[Path | None, str | None]:
    """An uploaded portfolio (CSV or Parquet), validated by :func:`sim.portfolio.validate_portfolio` with the
    same messages as the command line; a valid one is kept in a temporary file named by its hash (data only:
    nothing uploaded is executed or unpickled). Returns (its path, or None; the error, or None)."""
    from sim.portfolio import load_portfolio, validate_portfolio

    upload = st.file_uploader(
        f"Portfolio file (CSV or Parquet, at most {MAX_PORTFOLIO_MB} MB, about 250,000 accounts)",
        type=["csv", "parquet"], key=f"portfolio.{sid}",
        help="Start from your own accounts instead of a synthetic population; schema in docs/portfolio.md.")
    st.caption("Columns: account_id, lender, product, balance, rate, remaining_term, days_past_due, and where "
               "known income or income_band, score, region, borrower_id. Missing columns are filled from "
               "documented distributions.")
    if upload is None:
        return None, None
    raw = upload.getvalue()
    if len(raw) > MAX_PORTFOLIO_MB * 1e6:
        return None, (f"{upload.name}: {len(raw) / 1e6:,.1f} MB is more than the app's limit of {MAX_PORTFOLIO_MB} MB "
                      "(about 250,000 accounts); check it with `python -m sim portfolio validate` and run it with "
                      "`python -m sim`")
    problems = validate_portfolio(raw, name=upload.name)
    if problems:
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5:,} more)" if len(problems) > 5 else ""
        return None, f"{upload.name}: {len(problems):,} problem(s): {shown}{more}"
    portfolio = load_portfolio(raw, name=upload.name)
    if len(portfolio.frame) > MAX_PORTFOLIO_ACCOUNTS:
        return None, (f"{upload.name}: {len(portfolio.frame):,} accounts is more than the app's limit of "
                      f"{MAX_PORTFOLIO_ACCOUNTS:,}; run bigger portfolios with `python -m sim`")
    folder = Path(tempfile.gettempdir()) / "collection-lab-portfolios"
    folder.mkdir(exist_ok=True)
    suffix = ".parquet" if raw[:4] == b"PAR1" else ".csv"
    path = folder / f"{portfolio.sha256}{suffix}"
    if not path.exists():
        path.write_bytes(raw)
    filled = ", ".join(f"{column} ({count:,})" for column, count in portfolio.filled_columns.items())
    st.success(f"{upload.name}: {len(portfolio.frame):,} accounts, no problems"
               + (f"; filled from documented distributions: {filled}" if filled else ""))
    return path, None


def strategy_picker(declared: dict[str, str]) -> list[str]:
    """Registered strategies, plus those the scenario file declares (ladders written in TOML)."""
    names = [*sim.STRATEGIES, *[n for n in declared if n not in sim.STRATEGIES]]
    current = st.session_state.get("strategies")
    if current is not None and any(n not in names for n in current):
        st.session_state["strategies"] = [n for n in current if n in names]
    chosen = _widget(st.sidebar.multiselect, "Strategies (the first is the champion)", "strategies",
                     default_strategies(), names, help="The registered strategies, and those the scenario file "
                                                       "declares.")
    with st.sidebar.expander("What the strategies do", expanded=False):
        for name in names:
            st.markdown(f"**{name}**: {strategy_description(name, declared)}")
    return list(chosen)


def own_setup() -> tuple[list[Arm], str | None, list[str]]:
    """The set-up panel for a comparison of strategies on one scenario: (arms, error, uploads)."""
    source = st.sidebar.radio("Scenario source", ["Built-in", "Upload a file"], key="source", horizontal=True)
    uploads = ["scenario file"] if source == "Upload a file" else []
    data, sid, error = load_base_scenario(source)
    if error:
        st.sidebar.error(error)
        return [], error, uploads
    base = simconfig.validate(data, sid)
    # the strategies, near the top and drawn whatever else in the panel is wrong: the registered ones and
    # those the scenario file declares
    declared = {d.name: d.description or "declared in the scenario file" for d in base.strategies}
    strategies = strategy_picker(declared)
    overrides: dict = {}
    with st.sidebar.expander("Population", expanded=False):
        overrides["population.n_borrowers"] = _widget(
            st.number_input, "Households", f"n.{sid}", DEFAULT_HOUSEHOLDS, 100, MAX_HOUSEHOLDS, step=500,
            help=f"The scenario file has {base.population.n_borrowers:,}; the app starts small so that "
                 "results come back in seconds.")
        pop = base.population
        for key, label, field, top, step in (
                ("lit", "Mean financial literacy (0-1)", "literacy_mean", 1.0, 0.05),
                ("reach", "Share with valid contact details", "reachable_share", 1.0, 0.05),
                ("sav", "Median savings, months of income", "savings_months_median", 12.0, 0.1)):
            value = _widget(st.slider, label, f"{key}.{sid}", float(getattr(pop, field)), 0.0, top, step=step)
            if value != getattr(pop, field):
                overrides[f"population.{field}"] = value
    st.sidebar.markdown("**Economy and shocks**")
    if st.session_state.get("learn"):
        st.sidebar.caption("The path of unemployment, expense shocks, and the crisis levers: public support, "
                           "payment pauses and the lenders' own programmes. Each lever is on for the periods "
                           "you add (months count from the first recorded month, 0).")
    with st.sidebar.expander("Unemployment and expense shocks", expanded=False):
        overrides |= economy_overrides(base, sid)
    overrides |= lever_overrides(base, data, sid)
    with st.sidebar.expander("Regulation", expanded=False):
        regimes = list(REGIMES)
        current = base.regulation.regime if base.regulation.regime in regimes else regimes[0]
        regime = _widget(st.selectbox, "Regulation regime", f"regime.{sid}", current, regimes,
                         help="The rules the contact calendar enforces; the Learn tab lists every regime.")
        st.caption(REGIMES[regime].description)
        if regime != base.regulation.regime:
            overrides["regulation.regime"] = regime
    with st.sidebar.expander("Run length", expanded=False):
        horizon = _widget(st.number_input, "Horizon, months", f"horizon.{sid}", base.horizon_months, 1, 600)
        burn = _widget(st.number_input, "Burn-in, months", f"burn.{sid}", base.burn_in_months, 0, 600,
                       help="Months simulated before recording, so the loan book reaches a steady state.")
        overrides["horizon_months"], overrides["burn_in_months"] = horizon, burn
    with st.sidebar.expander("More parameters (TOML)", expanded=False):
        extra_text = _widget(
            st.text_area, "Any parameter of the scenario file", f"extra.{sid}", "", height=110,
            placeholder='[behaviour]\ncontact_tolerance = 6\n\n[tactics]\nsale_price = 0.04',
            help="TOML merged into the scenario; see docs/ODD.md for every parameter.")
    with st.sidebar.expander("Starting portfolio (optional)", expanded=False):
        uploaded_portfolio, portfolio_error = portfolio_upload(sid)
    if uploaded_portfolio is not None or portfolio_error:
        uploads.append("portfolio")
    if portfolio_error:
        st.sidebar.error(portfolio_error)
        return [], portfolio_error, uploads
    if uploaded_portfolio is not None:
        overrides["portfolio"] = str(uploaded_portfolio)
    try:
        extra = simconfig.parse_toml(extra_text, "more parameters") if extra_text.strip() else {}
        overrides["description"] = edited_description(base, overrides, extra)
        scenario = sim.load_scenario(data, **overrides)
        if extra:
            scenario = simconfig.validate(deep_merge(scenario.model_dump(mode="json"), extra), "more parameters")
    except sim.ScenarioError as exc:
        st.sidebar.error(str(exc))
        return [], str(exc), uploads
    if scenario.population.n_borrowers > MAX_HOUSEHOLDS:
        msg = (f"population.n_borrowers: {scenario.population.n_borrowers:,} households is more than the app's "
               f"limit of {MAX_HOUSEHOLDS:,}; run bigger populations with `python -m sim`")
        st.sidebar.error(msg)
        return [], msg, uploads
    if scenario.portfolio is not None and scenario.portfolio not in (data.get("portfolio"),
                                                                     str(uploaded_portfolio)):
        msg = ("portfolio: a scenario edited or uploaded here cannot name a portfolio file (the app does not "
               "read files from the server's disk); use a built-in portfolio scenario or the command line")
        st.sidebar.error(msg)
        return [], msg, uploads
    if len(strategies) < 2:
        msg = texts.NEED_TWO
        st.sidebar.error(msg)
        return [], msg, uploads
    arms = [Arm(name, name, simconfig.scenario_to_toml(sim.load_scenario(scenario, strategy=name)),
                strategy_description(name, declared)) for name in strategies]
    return arms, None, uploads


def tour_setup(key: str, n_borrowers: int) -> tuple[list[Arm], str | None]:
    """The arms of a guided-tour preset."""
    p = preset(key)
    st.sidebar.info(f"**{p.title}**\n\n{p.question}")
    arms = []
    try:
        for arm in p.arms:
            scn = sim.load_scenario(arm.scenario, **{"population.n_borrowers": n_borrowers, **arm.overrides},
                                    strategy=arm.strategy)
            arms.append(Arm(arm.label, arm.strategy, simconfig.scenario_to_toml(scn),
                            f"{strategy_description(arm.strategy)} · scenario {arm.scenario}"
                            + "".join(f" · {k.split('.')[-1]} {v}" for k, v in arm.overrides.items())))
    except sim.ScenarioError as exc:
        st.sidebar.error(str(exc))
        return [], str(exc)
    return arms, None


def load_tour(key: str) -> None:
    st.session_state["tour"] = key
    st.session_state["run_next"] = True


def setup_panel() -> Setup:
    """The whole panel; the Run button is drawn at its top by the page (see ``app.py``)."""
    keys = [OWN, *[p.key for p in PRESETS]]
    titles = {OWN: "My own comparison", **{p.key: f"Tour: {p.title}" for p in PRESETS}}
    tour = _widget(st.sidebar.selectbox, "Comparison", "tour", OWN, keys, format_func=titles.get)
    _widget(st.sidebar.toggle, "Learn mode: explanations beside every chart", "learn", False,
            help="Plain-language explanations beside every mechanism and chart.")
    c1, c2 = st.sidebar.columns(2)
    st.session_state["reps"] = min(max(int(st.session_state.get("reps", DEFAULT_REPS)), 1), MAX_REPS)
    st.session_state["seed"] = min(max(int(st.session_state.get("seed", 0)), 0), 2**31 - 1)
    reps = _widget(c1.number_input, "Replications", "reps", DEFAULT_REPS, 1, MAX_REPS,
                   help="Each replication draws new households and shocks (seed + r).")
    seed = _widget(c2.number_input, "Seed", "seed", 0, 0, 2**31 - 1)
    uploads: list[str] = []
    if tour == OWN:
        arms, error, uploads = own_setup()
        title = "Strategies compared"
    else:
        n = _widget(st.sidebar.number_input, "Households", f"n.tour.{tour}", DEFAULT_HOUSEHOLDS, 100,
                    MAX_HOUSEHOLDS, step=500)
        arms, error = tour_setup(tour, n)
        title = titles[tour].removeprefix("Tour: ")
    return Setup(arms, int(seed), int(reps), error, title, uploads)
