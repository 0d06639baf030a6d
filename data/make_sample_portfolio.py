"""Generate ``data/sample_portfolio.csv``: a synthetic portfolio of about 3,000 accounts held by 2,500
households at two lenders, in the schema of ``docs/portfolio.md``. No real person is in it.

Usage (from the repository root; the output is identical on every run, seed 20261129)::

    python data/make_sample_portfolio.py              # writes data/sample_portfolio.csv
    python data/make_sample_portfolio.py --households 1000000 --out /tmp/big.csv   # for the benchmark

Distributions (monthly dollars; "assumption" where no source is given):

- households: one or two accounts (20% hold one of each product); ``borrower_id`` on every account.
- income: log-normal, median $4,200 a month, sigma 0.6 (US CPS 2006 median household income about
  $48k a year; the model's default). Known exactly for 70% of households, only as a band
  (0-2000, 2000-4000, 4000-6000, 6000-10000, 10000+) for 20%, unknown for 10% (assumption).
- score: FICO-like, 690 + 60 z clipped to 300-850 (FICO median about 700-720 in 2006-07, Fed SHED/FICO
  reports), correlated 0.35 with log income; missing for 5% (assumption).
- region: the four US Census regions in their 2010 population shares (Northeast 18%, Midwest 22%,
  South 37%, West 23%; US Census 2010).
- lender and product: 65% of households hold a card at "Card issuer"; the others, and the 20% with
  two accounts, an instalment loan at "Instalment lender" (assumption).
- card balance: log-normal, median $2,500, sigma 0.9, rising with income (Fed SCF 2007: median card
  balance of families that carry one about $3,000); APR 0.12 + 0.10 x risk (Fed G.19: card APRs
  about 13-15% in 2006-07); remaining term 24-48 months (expected life of the balance).
- instalment loans: amount log-normal, median $6,000, sigma 0.6; term 12, 24, 36, 48 or 60 months,
  opened 0 to term-1 months ago, balance the amortised remainder; APR 0.08 + 0.20 x risk.
- days past due: 9% of accounts delinquent, more often at low scores; among them 45% at 1-29 days,
  20% at 30-59, 12% at 60-89, 9% at 90-119, 7% at 120-149 and 7% at 150-179 (shape of US card
  roll rates; the 30+ share of about 5% matches Fed 2006-07 card delinquency of about 4%).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261129
OUT = Path(__file__).resolve().parent / "sample_portfolio.csv"
BANDS = [(0, 2000), (2000, 4000), (4000, 6000), (6000, 10000), (10000, np.inf)]
REGIONS = ["Northeast", "Midwest", "South", "West"]
REGION_SHARES = [0.18, 0.22, 0.37, 0.23]
DPD_BUCKETS = [(1, 29, 0.45), (30, 59, 0.20), (60, 89, 0.12), (90, 119, 0.09), (120, 149, 0.07), (150, 179, 0.07)]


def make(households: int = 2_500, seed: int = SEED) -> pd.DataFrame:
    """The sample portfolio as a frame (one row per account)."""
    rng = np.random.default_rng(seed)
    h = households
    z_income = rng.standard_normal(h)
    income = np.round(4200.0 * np.exp(0.6 * z_income), 2)
    z_score = 0.35 * z_income + np.sqrt(1 - 0.35**2) * rng.standard_normal(h)
    score = np.clip(np.round(690 + 60 * z_score), 300, 850)
    risk = (850 - score) / 550  # 0 best, 1 worst
    region = rng.choice(REGIONS, size=h, p=REGION_SHARES)
    known = rng.random(h)
    # products: a card (65%) or an instalment loan (35%); 20% also hold the other one
    first_card = rng.random(h) < 0.65
    second = rng.random(h) < 0.20
    owner = np.concatenate([np.arange(h), np.flatnonzero(second)])
    is_card = np.concatenate([first_card, ~first_card[second]])
    order = np.argsort(owner, kind="stable")
    owner, is_card = owner[order], is_card[order]
    n = len(owner)
    # cards
    bal_card = 2500.0 * np.exp(0.9 * rng.standard_normal(n) + 0.3 * z_income[owner])
    apr_card = 0.12 + 0.10 * risk[owner] + rng.normal(0, 0.01, n)
    term_card = rng.integers(24, 49, n)
    # instalment loans
    amount = np.round(6000.0 * np.exp(0.6 * rng.standard_normal(n) + 0.2 * z_income[owner]), -1)
    term = rng.choice([12, 24, 36, 48, 60], size=n)
    age = (rng.random(n) * term).astype(int)
    apr_inst = 0.08 + 0.20 * risk[owner] + rng.normal(0, 0.01, n)
    r = apr_inst / 12
    annuity = amount * r / (1 - (1 + r) ** -term)
    bal_inst = amount * (1 + r) ** age - annuity * ((1 + r) ** age - 1) / r
    # delinquency, more likely at low scores
    p_late = 0.09 * 2.2 * risk[owner] / np.mean(2.2 * risk[owner])
    late = rng.random(n) < np.clip(p_late, 0, 0.9)
    bucket = rng.choice(len(DPD_BUCKETS), size=n, p=[b[2] for b in DPD_BUCKETS])
    lo = np.array([b[0] for b in DPD_BUCKETS])[bucket]
    hi = np.array([b[1] for b in DPD_BUCKETS])[bucket]
    dpd = np.where(late, rng.integers(lo, hi + 1), 0)

    inc = income[owner]
    kind = known[owner]
    band_idx = np.searchsorted([b[1] for b in BANDS], inc, side="right")
    band_text = np.array([f"{lo_}+" if np.isinf(hi_) else f"{lo_}-{hi_}" for lo_, hi_ in BANDS])[band_idx]
    frame = pd.DataFrame({
        "account_id": [f"A{i + 1:07d}" for i in range(n)],
        "borrower_id": [f"C{o + 1:07d}" for o in owner],
        "lender": np.where(is_card, "Card issuer", "Instalment lender"),
        "product": np.where(is_card, "card", "instalment"),
        "balance": np.round(np.where(is_card, bal_card, bal_inst), 2),
        "rate": np.round(np.where(is_card, apr_card, apr_inst), 4),
        "remaining_term": np.where(is_card, term_card, term - age),
        "days_past_due": dpd,
        "original_amount": np.where(is_card, np.nan, amount),
        "income": np.where(kind < 0.70, inc, np.nan),
        "income_band": np.where((kind >= 0.70) & (kind < 0.90), band_text, ""),
        "score": np.where(rng.random(n) < 0.05, np.nan, score[owner]),
        "region": region[owner],
    })
    frame["rate"] = frame["rate"].clip(lower=0.0)
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=2_500)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    frame = make(args.households, args.seed)
    frame.to_csv(args.out, index=False, float_format="%.10g")
    print(f"wrote {args.out}: {len(frame):,} accounts, {args.households:,} households")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
