"""Run every Merge analysis with one set of column roles (:func:`run_merge`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib.analytics.merge.betas import (
    EtherBetas,
    HandoverBetas,
    ai_handover,
    ether_betas,
    rolling_merge_betas,
)
from pivotlib.analytics.merge.did import BTC_ONLY, GPU, CohortContrast, cohort_contrast
from pivotlib.analytics.merge.event import MergeCARs, merge_cars
from pivotlib.errors import InputError

__all__ = ["MergeAnalysis", "check_cohorts", "check_dates", "run_merge"]

DATE_KEYS = ("merge", "merge_fixed", "chatgpt")


def check_cohorts(cohorts: pd.DataFrame) -> pd.Series:
    """``symbol -> cohort`` from a cohort table (columns ``symbol, cohort``), validated."""
    if not isinstance(cohorts, pd.DataFrame) or not {"symbol", "cohort"} <= set(cohorts.columns):
        raise InputError("the cohort table needs columns symbol and cohort (gpu or bitcoin_only);"
                         " see data/merge/cohorts.csv")
    c = cohorts.assign(symbol=cohorts["symbol"].astype(str).str.strip().str.upper(),
                       cohort=cohorts["cohort"].astype(str).str.strip())
    dup = sorted(c.loc[c["symbol"].duplicated(), "symbol"])
    if dup:
        raise InputError(f"the cohort table lists {dup} twice; keep one row per symbol")
    bad = sorted(set(c["cohort"]) - {GPU, BTC_ONLY})
    if bad:
        raise InputError(f"unknown cohort(s) {bad} in the cohort table; use {GPU!r} or "
                         f"{BTC_ONLY!r}")
    return pd.Series(c["cohort"].to_numpy(), index=c["symbol"].to_numpy(), name="cohort")


def check_dates(dates: Mapping[str, Any]) -> dict[str, pd.Timestamp]:
    """The three dates (``merge``, ``merge_fixed``, ``chatgpt``) as Timestamps, validated."""
    miss = [k for k in DATE_KEYS if k not in dates or pd.isna(dates[k]) or dates[k] == ""]
    if miss:
        raise InputError(f"the Merge dates lack {miss}; data/merge/dates.csv needs rows "
                         f"{list(DATE_KEYS)}")
    try:
        out = {k: pd.Timestamp(dates[k]).normalize() for k in DATE_KEYS}
    except (TypeError, ValueError) as exc:
        raise InputError(f"a Merge date is not a date ({exc}); write YYYY-MM-DD") from None
    if not out["merge_fixed"] <= out["merge"] < out["chatgpt"]:
        raise InputError("the dates must run merge_fixed <= merge < chatgpt, got "
                         + ", ".join(f"{k} {v.date()}" for k, v in out.items()))
    return out


@dataclass
class MergeAnalysis:
    """Everything :func:`run_merge` computed; parts that could not run are None (see notes)."""

    cohorts: pd.Series
    dates: dict[str, pd.Timestamp]
    ether: EtherBetas | None
    ether_did: CohortContrast | None
    cars: MergeCARs
    handover: HandoverBetas
    ai_did: CohortContrast
    rolling: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def all_notes(self) -> list[str]:
        """Notes of every part, de-duplicated, in order."""
        out: list[str] = []
        parts = [self.ether, self.ether_did, self.cars, self.handover, self.ai_did]
        for n in [*self.notes, *(n for p in parts if p is not None for n in p.notes)]:
            if n not in out:
                out.append(n)
        return out


def run_merge(returns: pd.DataFrame, cohorts: pd.DataFrame, dates: Mapping[str, Any], *,
              market: str = "SPY", btc: str = "BTC-USD", eth: str | None = "ETH-USD",
              ai: str = "SMH", before: int = 250, after: int = 250, min_obs: int = 40,
              rolling_window: int = 120, estimation: tuple[int, int] = (-250, -11),
              window: tuple[int, int] = (-1, 1), level: float = 0.95, seed: int = 0,
              other_events: pd.DataFrame | None = None) -> MergeAnalysis:
    """Ether betas and their DiD, the Merge CARs, the AI hand-over and rolling betas.

    ``eth=None`` (or an ETH column absent from ``returns``) skips the ether betas and their
    DiD with a note; everything else still runs.
    """
    co = check_cohorts(cohorts)
    d = check_dates(dates)
    syms = list(co.index)
    notes: list[str] = []
    if eth is not None and eth not in returns.columns:
        notes.append(f"no {eth} column in the dataset: the ether betas and their DiD are left "
                     f"out (get ether with `pivot data fetch {eth}` or a {eth}.csv file)")
        eth = None
    ether = ether_did = None
    if eth is not None:
        ether = ether_betas(returns, syms, d["merge"], market=market, btc=btc, eth=eth,
                            before=before, after=after, level=level, min_obs=min_obs)
        ether_did = cohort_contrast(ether.table.set_index("symbol")["eth_change"], co,
                                    measure="ether-beta change at the Merge", level=level,
                                    seed=seed)
    cars = merge_cars(returns, co.to_dict(), {"merge": d["merge"],
                                              "merge_fixed": d["merge_fixed"]},
                      market=market, btc=btc, estimation=estimation, window=window,
                      other_events=other_events)
    hand = ai_handover(returns, syms, d["merge"], d["chatgpt"], market=market, btc=btc, eth=eth,
                       ai=ai, before=before, after=after, level=level, min_obs=min_obs)
    ai_did = cohort_contrast(hand.table.set_index("symbol")["ai_change"], co,
                             measure="AI-beta change (pre-Merge to post-ChatGPT)", level=level,
                             seed=seed)
    rolling = rolling_merge_betas(returns, syms, market=market, btc=btc, eth=eth, ai=ai,
                                  window=rolling_window)
    rolling["cohort"] = rolling["symbol"].map(co)
    return MergeAnalysis(cohorts=co, dates=d, ether=ether, ether_did=ether_did, cars=cars,
                         handover=hand, ai_did=ai_did, rolling=rolling, notes=notes)
