"""Ready-made comparisons for the guided tour of the app: plain data, no model logic.

A :class:`Preset` is a titled comparison of a few :class:`Arm` s. Each arm names a built-in scenario, a
registered strategy and dotted-path overrides (the same overrides that :func:`sim.simulate` accepts), so
an arm can vary the strategy, the regulation regime or the economy. The first arm is the champion that the
others are compared with. The explanation says, in plain language, what the comparison shows and what
to look for; it must not quote numbers, because the numbers come from the run.

The app lists :data:`PRESETS` in its guided tour; ``tests/test_app.py`` checks that every scenario,
strategy and regime named here exists in the registries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Arm:
    """One side of a comparison: a scenario, a strategy and overrides."""

    label: str
    scenario: str
    strategy: str
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Preset:
    """A ready-made comparison with a plain-language explanation."""

    key: str
    title: str
    question: str
    explanation: str
    look_for: tuple[str, ...]
    arms: tuple[Arm, ...]


PRESETS: tuple[Preset, ...] = (
    Preset(
        key="contact_cap",
        title="What a contact cap costs and saves",
        question="If the law limits how often a collector may call, how much money does the lender lose, "
                 "and how many complaints and how much distress does the borrower avoid?",
        explanation=(
            "The same high-pressure strategy is run three times on the same households: with no contact "
            "rules, under China's 2018 rules (at most 3 calls a day, no calls at night, binding on the "
            "lender itself) and under US Regulation F (at most 7 call attempts in 7 days and a week of "
            "silence after a conversation, binding only on third-party collectors such as agencies). The "
            "strategy keeps asking for the same calls; the rules drop the calls that break them, and the "
            "app counts every dropped call by rule. Because every arm meets the same job losses and "
            "expense shocks, any difference comes from the rules alone."
        ),
        look_for=(
            "Recovery: does the cap cost the lender much? Calls beyond a few a month mostly add annoyance.",
            "Complaints about communication tactics and calls at night: these are what the cap targets.",
            "Rule violations: how many requested calls each regime dropped, and which rule dropped them.",
            "Regulation F covers agencies, not the lender's own collectors: see how little it clips here.",
        ),
        arms=(
            Arm("aggressive, no rules", "baseline", "aggressive", {"regulation.regime": "none"}),
            Arm("aggressive, China 2018 cap", "baseline", "aggressive", {"regulation.regime": "china_2018"}),
            Arm("aggressive, US Reg F", "baseline", "aggressive", {"regulation.regime": "us_reg_f"}),
        ),
    ),
    Preset(
        key="recession",
        title="A recession stress test",
        question="What happens to delinquency, charge-offs and borrowers' well-being when unemployment "
                 "doubles, and does a gentler strategy soften the blow?",
        explanation=(
            "The baseline scenario holds unemployment at its calm 2006-07 level. The recession scenario "
            "follows the actual US unemployment path from 2006 to 2011, from 4.6% to almost 10%. Job loss "
            "cuts income, savings run down, and borrowers fall behind not because they are unwilling but "
            "because they cannot pay. The third arm meets the same recession with the hardship-first "
            "strategy, which offers instalment plans and deferrals instead of escalating pressure. Every "
            "arm runs for the recession's 72 months after the same 24-month burn-in, so the calm economy "
            "is compared with the recession over the same horizon; the unemployment chart shows both paths."
        ),
        look_for=(
            "Unemployment (the first chart): the input that differs between the calm arm and the others.",
            "Delinquency and charge-offs rise with a lag behind unemployment, then fall as jobs return.",
            "Well-being falls most in the lowest income quintile: see the breakdowns.",
            "Whether restructuring recovers as much money as pressure when borrowers cannot pay.",
        ),
        arms=(
            Arm("conventional, calm economy", "baseline", "conventional", {"horizon_months": 72}),
            Arm("conventional, recession", "recession", "conventional"),
            Arm("hardship-first, recession", "recession", "hardship_first"),
        ),
    ),
    Preset(
        key="aggressive_vs_hardship",
        title="Aggressive against hardship-first",
        question="Does pressure pay? Compare a strategy of many calls, night calls, home visits, threats "
                 "and early lawsuits with one of reminders, gentle calls and payment plans.",
        explanation=(
            "Pressure raises the chance that a borrower who can pay does pay now, and it gets a borrower "
            "who owes several lenders to pay the one that pushes hardest. But it costs money (calls, "
            "visits, lawsuits), it annoys borrowers who would have paid anyway, and it produces complaints "
            "and stress. Restructuring makes paying possible for borrowers who cannot pay in full: "
            "principal write-downs and plans raised repayment in the evidence, and reminders fix simple "
            "forgetting. Both strategies meet exactly the same households and shocks."
        ),
        look_for=(
            "Recovery net of cost, not only gross recovery: pressure is expensive.",
            "Complaints by category: communication tactics and threats of legal action.",
            "Well-being, and the share of households in the low bands, by income quintile.",
            "In the borrower explorer, follow one household under both strategies.",
        ),
        arms=(
            Arm("aggressive", "baseline", "aggressive"),
            Arm("hardship_first", "baseline", "hardship_first"),
        ),
    ),
)


def preset(key: str) -> Preset:
    """Look up a preset by key, raising KeyError that lists the known keys."""
    for p in PRESETS:
        if p.key == key:
            return p
    raise KeyError(f"unknown preset {key!r}; known: {', '.join(p.key for p in PRESETS)}")
