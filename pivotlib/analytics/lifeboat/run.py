"""One call for the whole lifeboat analysis (what notebook 06 and the benchmark run)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib.analytics.lifeboat._common import check_returns, check_roles
from pivotlib.analytics.lifeboat.betas import DownsideBetas
from pivotlib.analytics.lifeboat.cohorts import (
    CONTRACT_CATEGORIES,
    DiDResult,
    downside_did,
    pivot_cohorts,
)
from pivotlib.analytics.lifeboat.episodes import CaptureResult, crash_episodes, episode_capture
from pivotlib.analytics.lifeboat.persistence import (
    AI_EVENT_CATEGORIES,
    PersistenceResult,
    deal_persistence,
)
from pivotlib.analytics.lifeboat.spillover import SpilloverResult, peer_spillover
from pivotlib.errors import InputError

__all__ = ["LifeboatAnalysis", "ai_deal_events", "run_lifeboat"]


def ai_deal_events(catalog: pd.DataFrame, symbols: Sequence[str], *,
                   categories: Sequence[str] = AI_EVENT_CATEGORIES) -> pd.DataFrame:
    """Company rows of ``catalog`` for ``symbols`` whose category is in ``categories``."""
    if not isinstance(catalog, pd.DataFrame) or not {"symbol", "category"} <= set(catalog):
        raise InputError("catalog must be a DataFrame with symbol and category columns")
    c = catalog[catalog["symbol"].isin(list(symbols)) & catalog["category"].isin(list(categories))]
    return c.reset_index(drop=True)


@dataclass
class LifeboatAnalysis:
    """Everything :func:`run_lifeboat` computed; each part is its own result object."""

    cohorts: pd.DataFrame
    betas: DownsideBetas | None
    did: DiDResult | None
    episodes: pd.DataFrame
    capture: CaptureResult | None
    persistence: PersistenceResult
    spillover: SpilloverResult
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def all_notes(self) -> list[str]:
        """Every part's notes (missing symbols, too-short windows, truncated events...), once."""
        parts = [self.notes, self.did.notes if self.did else [],
                 self.capture.notes if self.capture else [], self.persistence.notes,
                 self.spillover.notes]
        return list(dict.fromkeys(n for part in parts for n in part))

    def summary(self) -> str:
        """All parts' summaries, one after the other."""
        parts = [self.did.betas.summary() if self.did and self.did.betas else "",
                 self.did.summary() if self.did else "",
                 self.capture.summary() if self.capture else "", self.persistence.summary(),
                 self.spillover.summary()]
        return "\n\n".join(p for p in parts if p)


def run_lifeboat(returns: pd.DataFrame, catalog: pd.DataFrame, miners: Sequence[str], *,
                 market: str = "SPY", btc: str | None = "BTC-USD",
                 down_threshold: float = 0.0,
                 crash_threshold: float = 0.20, horizons: Sequence[int] = (20, 60, 120),
                 contract_categories: Sequence[str] = CONTRACT_CATEGORIES,
                 event_categories: Sequence[str] = AI_EVENT_CATEGORIES, as_of: Any = None,
                 placebo_shift: int = 250, n_boot: int = 999, seed: int = 0,
                 level: float = 0.95, min_obs: int = 20,
                 borderline: str = "loyalist") -> LifeboatAnalysis:
    """Cohorts, downside betas, DiD, crash capture, persistence and spillover in one call.

    Parameters are those of the parts: :func:`pivot_cohorts` (``contract_categories``,
    ``as_of``, ``borderline``: how a miner with an announced pivot but no signed contract is
    treated), :func:`downside_did` (``down_threshold``, ``placebo_shift``, ``min_obs``),
    :func:`crash_episodes` (``crash_threshold``), :func:`deal_persistence` (``horizons``,
    ``n_boot``, ``seed``; events = catalog rows of ``event_categories``; controls = the
    loyalists in the data) and :func:`peer_spillover`. Miners missing from ``returns``
    degrade to rows with notes; missing ``market``/``btc`` columns raise ``InputError``.
    ``btc=None`` (the data have no bitcoin series): the lifeboat test (downside betas, DiD)
    and the crash capture are not run (``betas``, ``did``, ``capture`` None, no episodes) and
    persistence and spillover use the market model.
    """
    returns = check_returns(returns)
    check_roles(returns, market=market, **({"btc": btc} if btc else {}))
    miners = list(dict.fromkeys(miners))
    notes = [f"{s}: not in the dataset" for s in miners if s not in returns.columns]
    cohorts = pivot_cohorts(catalog, miners, categories=contract_categories, as_of=as_of,
                            sessions=returns.index, borderline=borderline)
    if cohorts.attrs.get("excluded"):
        notes.append("borderline miners (announced pivot, no signed contract) left out of the "
                     f"cohorts: {', '.join(cohorts.attrs['excluded'])} (borderline='excluded')")
    did: DiDResult | None = None
    cap: CaptureResult | None = None
    eps = pd.DataFrame()
    if btc:
        did = downside_did(returns, cohorts, market=market, btc=btc, threshold=down_threshold,
                           level=level, min_obs=min_obs, placebo_shift=placebo_shift,
                           seed=seed)
        eps = crash_episodes(returns, btc=btc, threshold=crash_threshold)
        cap = episode_capture(returns, eps, miners, cohorts["split_date"].to_dict(), btc=btc,
                              cohorts=cohorts["cohort"].to_dict())
    events = ai_deal_events(catalog, miners, categories=event_categories)
    if as_of is not None:
        events = events[pd.to_datetime(events["event_date"]) <= pd.Timestamp(as_of)]
    loyal = [s for s in cohorts.index[cohorts["cohort"] == "loyalist"] if s in returns.columns]
    pers = deal_persistence(returns, events, market=market, btc=btc, controls=loyal,
                            horizons=horizons, n_boot=n_boot, seed=seed, level=level)
    spill = peer_spillover(returns, events, cohorts["cohort"].to_dict(), market=market,
                           btc=btc, level=level,
                           own_news=catalog[catalog["symbol"].isin(miners)])
    params = {"market": market, "btc": btc, "down_threshold": down_threshold,
              "crash_threshold": crash_threshold, "horizons": list(horizons),
              "as_of": None if as_of is None else str(as_of), "seed": seed, "n_boot": n_boot,
              "borderline": borderline,
              "loyalist_date": str(pd.Timestamp(cohorts.attrs["loyalist_date"]).date())
              if pd.notna(cohorts.attrs.get("loyalist_date")) else None}
    return LifeboatAnalysis(cohorts=cohorts, betas=did.betas if did else None, did=did,
                            episodes=eps,
                            capture=cap, persistence=pers, spillover=spill, params=params,
                            notes=notes)
