"""Regime study helpers shared by notebook 04 and the briefing (so the numbers agree).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pivotlib.studies.event import company_events

REGIME_SYMBOLS: tuple[str, ...] = ("APLD", "IREN", "HUT", "CORZ", "WULF", "CIFR")


REGIME_FACTORS: tuple[str, ...] = ("SPY", "BTC-USD", "SMH")


def regime_returns(p: Mapping[str, Any], symbols: Sequence[str] | None = None,
                   factors: Sequence[str] | None = None):
    """Returns of the regime symbols and factors (``p["start"]``/``p["end"]`` when given)."""
    from pivotlib.data.loading import load_returns

    syms = list(symbols or p.get("symbols") or REGIME_SYMBOLS)
    facs = list(factors or p.get("factors") or REGIME_FACTORS)
    return load_returns(list(dict.fromkeys(syms + facs)), p.get("start"), p.get("end"),
                        dataset=p.get("dataset"))


def regime_scores(returns: Any, symbols: Sequence[str], factors: Sequence[str],
                  date: str | None = None, catalog: Any = None):
    """:func:`pivotlib.analytics.regimes.pivot_scores` at ``date`` or each miner's first AI event.

    Factors are read as (market, BTC, AI) = (first, the one containing BTC, last). Windows are
    250 sessions each side, clipped to the data (``clip=True``; at least 60 each side);
    symbols without enough data stay as rows with a note (``errors="skip"``).
    """
    from pivotlib.analytics.regimes import pivot_scores

    facs = list(factors)
    btc = next((f for f in facs if "BTC" in f.upper()), facs[1] if len(facs) > 1 else facs[0])
    ai = facs[-1]
    market = facs[0]
    target = date or company_events(catalog)
    return pivot_scores(returns, list(symbols), facs, target, btc_factor=btc, ai_factor=ai,
                        market=market, errors="skip", clip=True)


def regime_breaks(returns: Any, symbols: Sequence[str], factors: Sequence[str],
                  catalog: Any = None):
    """Break date per symbol beside the nearest catalog announcement of that symbol.

    :func:`pivotlib.analytics.regimes.break_table` with the notebook's factors read as (market, BTC, AI)
    = (first, ..., last) and its robust default (HAC sup-F, Bai 1997 95% interval), plus the
    ``event_id`` of the nearest company event. Columns: symbol, break_date, ci_low, ci_high,
    sup_f, p_value, nearest_event (event id), sessions_from_event, event_in_ci, note.
    """
    import pandas as pd

    from pivotlib.analytics.regimes import break_table

    cat = company_events(catalog)
    facs = list(factors)
    bt = break_table(returns, list(symbols), facs, events=cat, market=facs[0],
                     ai_factor=facs[-1]).reset_index()
    ids = {(str(r.symbol), pd.Timestamp(r.event_date)): str(r.event_id)
           for r in cat[["symbol", "event_date", "event_id"]].itertuples()}
    bt["nearest_event"] = [
        ids.get((str(sym), pd.Timestamp(d)), "") if pd.notna(d) else ""
        for sym, d in zip(bt["symbol"], bt.get("nearest_event", pd.Series(pd.NaT, index=bt.index)))]
    cols = ["symbol", "break_date", "ci_low", "ci_high", "sup_f", "p_value", "nearest_event",
            "sessions_from_event", "event_in_ci", "note"]
    for c in cols:
        if c not in bt:
            bt[c] = pd.NA
    bt["note"] = bt["note"].fillna("").astype(str)
    return bt[cols]


def quarterly_correlations(returns: Any, symbols: Sequence[str], factor: str,
                           factors: Sequence[str] | None = None, min_obs: int = 20):
    """Correlation of each symbol with ``factor`` by calendar quarter, as a heatmap matrix.

    :func:`pivotlib.analytics.regimes.quarterly_correlations` pivoted to rows = symbols, columns =
    quarters (``2024Q3``). With ``factors`` = the notebook's (market, BTC, AI) list, an AI
    ``factor`` (the last one) is residualised on the market first, so its column measures
    co-movement with AI-specific moves, as the regime betas do.
    """
    from pivotlib.analytics.regimes import quarterly_correlations as _qc

    facs = list(factors) if factors else [factor]
    market = facs[0] if len(facs) > 1 else "SPY"
    ai = facs[-1] if len(facs) > 1 else None
    tidy = _qc(returns, list(symbols), [factor], market=market, ai_factor=ai,
               orthogonalize="ai" if ai and market in returns else "none", min_obs=min_obs)
    if tidy.empty:
        import pandas as pd

        return pd.DataFrame(index=list(symbols))
    wide = tidy.pivot_table(index="symbol", columns="quarter", values="corr")
    wide.columns = [str(c) for c in wide.columns]
    return wide.reindex([s for s in symbols if s in wide.index])
