"""Every explanatory text of the app, in one place: learn-mode notes, the month's steps in plain words,
the evidence on tactics, and the messages about links and uploads.

The month's order itself comes from the model (:func:`month_steps` reads the numbered list in
:mod:`sim.model`'s docstring, which documents ``CollectionModel.step``); this module only adds a
plain-language gloss to each step. The well-being bands come from :mod:`sim.borrowers`.
"""

from __future__ import annotations

import re

import sim.model
from sim.borrowers import WELLBEING_BAND_NAMES, WELLBEING_BANDS

# Plain-language notes shown beside charts in learn mode (keys: a chart or an outcome of ui.outcomes).
NOTES = {
    "cards": "Each card is one strategy run on the same households. The small coloured number is the "
             "difference from the first strategy (the champion): green is better for the borrower or the "
             "lender, red is worse. Numbers are means over the replications; hover a number for its 95% "
             "confidence interval.",
    "recovery_rate_gross": "Of every dollar that fell delinquent, how much came back so far: payments from "
                           "accounts in collection plus what debt buyers paid. It rises over time as "
                           "collections accumulate.",
    "delinquency_30plus_rate": "The share of the book's balance that is at least 30 days late, as banks "
                               "report it. About 4% in calm US times (2006-07).",
    "chargeoff_rate": "Debt the lender gave up on (written off, usually at 180 days late) in a month, "
                      "less what it later recovered, times 12: the yearly loss rate banks report.",
    "complaints_per_1000": "Complaints in a month per 1,000 accounts in collection. Too many calls, "
                           "threats, home visits and disputes about the amount owed all cause complaints.",
    "wellbeing_mean": "A 0-100 index scaled like the US CFPB Financial Well-Being Scale (US mean about "
                      "54). Stress from arrears, job loss, calls and lawsuits pulls it down; savings "
                      "push it up.",
    "unemployment_rate": "The economy every arm of the comparison lives in. It is an input, not a result: "
                         "when arms differ here, they are not compared on the same economy.",
    "tradeoff": "Each point is a strategy; the crosses are 95% confidence intervals across replications. "
                "Up is more money recovered; left is fewer complaints; right (in the second picture) is "
                "higher well-being. A strategy that is up and to the left beats one that is down and to "
                "the right on both counts.",
    "segments": "The same outcome for groups of households: income quintiles (Q1 is the poorest fifth) "
                "and thirds by financial literacy. Collection pressure does not fall on everyone "
                "equally. The axis does not start at zero, so small differences show: read the numbers.",
    "complaints": "Complaints by what they are about (the categories of the US complaint database) and "
                  "where they go: to the lender, to the regulator, or in public. About half of real "
                  "US collection complaints say the debt is not owed.",
    "rules": "When a regulation regime is on, contacts that break its rules are dropped and counted "
             "('clipped'). Under a regime without rules, the model still counts what the reference regime "
             "would have dropped ('would clip'): what the rule would have spared borrowers.",
    "costs": "What collection costs the lender: calls, visits, lawsuits, plan set-up, agency fees and "
             "fines. Cost to collect is costs over money collected.",
    "explorer": "One household's life, month by month: its income and shocks, how it was contacted, "
                "what it paid, and how it felt. Every strategy met the same household with the same "
                "job losses and shocks, so you can see what the strategy changed.",
    "any": "Any monthly outcome the model records, with the same bands.",
    "money": "What each strategy is worth to the lender. NPV adds up every month's cash in (payments, "
             "recoveries, debt sales) less cash out (new loans, collection costs, agency fees, fines), "
             "discounted at the lender's cost of funds, plus what the book is worth at the end less what it was "
             "worth at the start. P&L is the same without discounting. A book is valued at its expected "
             "recovery: the later an account, the less it is worth. Compare strategies by their differences "
             "on the same seeds.",
    "recovery": "Recovery on a fixed base divides the dollars each strategy collected by one base for every "
                "strategy (the champion's book at stake on the same seed), so it ranks strategies as dollars "
                "do. Recovery on own book uses each run's own book. Gross and net recovery on delinquent "
                "exposure are the old rates: their base is what fell behind, which a strategy that keeps "
                "accounts current shrinks, so they can rise while fewer dollars come in. Read them within one "
                "strategy, not across strategies.",
    "kpis": "The numbers a collections department watches. Right-party contact rate: conversations with the "
            "borrower per call dialled. Promises to pay made in conversations, and the share kept. Dollars "
            "collected per collector hour, and cost to collect (costs per dollar collected). Cure rate: late "
            "accounts that catch up in a month. Re-default: cured or re-aged accounts that fall 30+ days "
            "behind again within a year.",
    "rolls": "A roll-rate matrix is how banks read a delinquent book: each row is where accounts stood at the "
             "start of a month (current, or how many days late), each column where they were at its end "
             "(still there, a bucket further, back to current, charged off, paid off or sold). A strategy that "
             "works moves late accounts back to current instead of on towards charge-off. By balance weighs "
             "each account by what it owed.",
    "welfare": "How much better or worse off households are than with no collection at all, in the same "
               "economy with the same job losses and shocks: the share of their consumption they would give up "
               "(negative) to avoid the strategy. With the future included, what households still owe at the "
               "end, their savings and the marks on their credit records count for seven more years, so not "
               "repaying is not a free gain. The run-months-only measure counts unpaid debt as consumption and "
               "is shown for comparison. It needs one extra run per replication (no collection, same seed): "
               "those runs start in the background when the Money tab opens, and the button shows the result.",
}

# A plain-language gloss for each numbered step of the month (sim.model's docstring holds the steps).
STEP_GLOSS = {
    1: "Unemployment follows a path: constant, a historical series, or a random business cycle. Support "
       "programmes (income transfers, forbearance) switch on or off.",
    2: "People lose or find jobs at rates that follow unemployment; the poorest lose jobs most often. "
       "Illness or a broken car can cost a month's income. Savings cushion the blow until they run out.",
    3: "Lenders approve applicants whose score looks good enough (they see it with noise: the information "
       "gap runs both ways) and plan, for each late account, reminders, calls, visits, offers or legal "
       "steps: that is the strategy.",
    4: "Calls are laid out over the month. The regulation regime drops calls that break its rules "
       "(too many a day or a week, at night, right after a conversation) and counts them.",
    5: "They pay out of what is left after essentials, if they are willing (intrinsic honesty, pressure, "
       "goodwill towards the lender, stress) and remember (reminders fix forgetting). Someone who owes "
       "several lenders pays the one who pushes hardest first.",
    6: "Payments reduce arrears; accounts cure, roll to the next bucket, or are charged off; lawsuits lead "
       "to judgments and wage garnishment; old claims are sold to debt buyers for cents on the dollar.",
    7: "Arrears, job loss, shocks, many calls and legal threats raise stress; well-being follows. Some "
       "households complain, to the lender, the regulator or in public.",
    8: "Reputation and fines follow complaints and violations.",
    9: "Everything shown in this app is recorded at the end of the month.",
}


def month_steps() -> list[tuple[int, str]]:
    """The numbered steps of one month, as the model documents them (``sim.model``'s docstring)."""
    doc = sim.model.__doc__ or ""
    steps = re.findall(r"^(\d+)\. (.+?)(?=^\d+\. |\Z|^\S)", doc, flags=re.M | re.S)
    return [(int(n), " ".join(text.split())) for n, text in steps]


def wellbeing_bands() -> list[tuple[str, str]]:
    """The CFPB well-being bands as the model uses them: (name, "low-high")."""
    edges = WELLBEING_BANDS
    return [(name, f"{lo}-{min(hi - 1, 100)}") for name, lo, hi in zip(WELLBEING_BAND_NAMES, edges[:-1], edges[1:],
                                                                        strict=True)]


TACTIC_EVIDENCE = [
    ("Reminder (SMS, e-mail)", "cents", "Fixes forgetting: text reminders raised on-time repayment by 7-9% "
                                        "(Cadena & Schoar 2011)."),
    ("Phone call", "a few dollars", "Conversations lead to promises and plans; too many calls cause "
                                    "annoyance and complaints (63% of contacted US consumers said they "
                                    "were contacted too often, CFPB 2017)."),
    ("Home visit", "tens of dollars", "Reaches people who cannot be called, but risks conflict and shows "
                                      "the debt to neighbours."),
    ("Agency placement", "25-40% of what is collected", "The agency may be harsher than the lender."),
    ("Debt sale", "buyer pays 4-16 cents per dollar", "Ends the lender's exposure and its control."),
    ("Lawsuit", "$50-400 plus attorney", "Over 70% end in default judgment (Pew 2020); wages garnished."),
    ("Plan, deferral, settlement", "forgone interest", "Principal write-downs raised repayment and "
                                                       "employment (Dobbie & Song 2020)."),
]

LINK_NOT_PORTABLE = ("An uploaded {what} cannot travel in a link. To share this comparison, send the scenario "
                     "file (Downloads){portfolio}.")
NEED_TWO = "Choose two or more strategies to compare."
UPLOAD_PROMPT = "Upload a scenario file, or choose a built-in one."
STALE_RESULTS = ("The results below belong to the previous set-up, not to the one in the panel. Press "
                 "**Run** to compare the new set-up.")
