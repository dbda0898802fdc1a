r"""Ether and AI betas of miners around the Merge and ChatGPT (frames in, result objects out).

Ether orthogonalised on bitcoin
-------------------------------
Ether and bitcoin move together (daily correlation about 0.8), so a raw "ETH beta" beside a BTC
beta is hard to read. The ether factor is therefore the residual of an OLS regression (with
intercept) of ETH's session return on BTC's over the rows analysed,

.. math:: r^{\perp}_{ETH,t} = r_{ETH,t} - \hat c - \hat d\, r_{BTC,t},

and each miner's return is regressed on the market, bitcoin and that residual,

.. math:: r_{i,t} = a + b_{MKT} r_{MKT,t} + b_{BTC} r_{BTC,t} + b_{ETH} r^{\perp}_{ETH,t}
          + D_t\,(\delta_a + \delta_{MKT} r_{MKT,t} + \delta_{BTC} r_{BTC,t}
          + \delta_{ETH} r^{\perp}_{ETH,t}) + e_t, \qquad D_t = 1[t \ge T],

with ``T`` the Merge session: :math:`b_{ETH}` is the ether beta before, :math:`b_{ETH} +
\delta_{ETH}` after and :math:`\delta_{ETH}` the change, with market and bitcoin held fixed.
By the Frisch-Waugh-Lovell theorem the ETH coefficient is the same as with raw ETH (the
intercept and BTC are in both regimes); orthogonalising changes only the BTC beta's meaning, to
the total bitcoin exposure including what arrives through ether. The fit is
:func:`pivotlib.analytics.lifeboat.interaction_fit` (fully interacted, so the betas equal two
separate fits; Newey-West HAC covariance, Bartlett kernel, ``floor(4 (T/100)^(2/9))`` lags,
small-sample factor ``T/(T-k)``: statsmodels ``cov_type="HAC"`` with ``use_correction=True``).

Windows count valid sessions (the miner and every factor have a return): ``before`` sessions
strictly before ``T`` and ``after`` sessions from ``T`` on.

AI hand-over
------------
:func:`ai_handover` adds the AI proxy (SMH or NVDA, orthogonalised on the market the same way
as :mod:`pivotlib.analytics.regimes`) to the regression and estimates its beta in three windows:
``before`` sessions before the Merge, the Merge to ChatGPT, and ``after`` sessions from ChatGPT
on; the change from before the Merge to after ChatGPT is tested in one interaction regression
(HAC, as above; the Merge-to-ChatGPT rows are left out of that fit).

References
----------
Frisch, R. and Waugh, F. V. (1933). Partial time regressions as compared with individual trends.
    Econometrica 1(4), 387-401; Lovell, M. C. (1963). Seasonal adjustment of economic time
    series and multiple regression analysis. JASA 58(304), 993-1010.
Newey, W. K. and West, K. D. (1987, 1994), as in :mod:`pivotlib.analytics.lifeboat.betas`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pivotlib.analytics.lifeboat import (
    HAC_RULE,
    LifeboatResult,
    hac_lags,
    interaction_fit,
    ols_hac,
)
from pivotlib.errors import InputError

__all__ = ["ETH_PERP", "AI_PERP", "EtherBetas", "HandoverBetas", "ai_handover", "ether_betas",
           "orthogonalize", "rolling_correlation", "rolling_merge_betas"]

ETH_PERP = "ETH_perp_BTC"
"""Column name of ether's residual on bitcoin."""
AI_PERP = "AI_perp_MKT"
"""Column name of the AI proxy's residual on the market."""


def _check(returns: Any, **roles: str | None) -> pd.DataFrame:
    if not isinstance(returns, pd.DataFrame) or not isinstance(returns.index, pd.DatetimeIndex):
        raise InputError("returns must be a wide DataFrame indexed by session dates; load it "
                         "with pivotlib.data.loading.load_returns")
    for name, col in roles.items():
        if col is not None and col not in returns.columns:
            raise InputError(f"{name}={col!r} is not a column of the returns frame; load it or "
                             f"pass {name}=<column>")
    cols = [c for c in roles.values() if c is not None]
    if len(set(cols)) != len(cols):
        raise InputError(f"the roles {roles} must name distinct columns")
    return returns.sort_index()


def orthogonalize(returns: pd.DataFrame, column: str, on: Sequence[str]) -> pd.Series:
    """Residual of ``column`` on ``[1, on...]`` (OLS over the rows where all are finite).

    Returns a Series on ``returns.index``, NaN where any input is missing.
    """
    d = returns[[column, *on]].dropna()
    if len(d) < len(on) + 2:
        raise InputError(f"too few common rows ({len(d)}) to orthogonalise {column} on "
                         f"{list(on)}")
    X = np.column_stack([np.ones(len(d)), d[list(on)].to_numpy(float)])
    coef, *_ = np.linalg.lstsq(X, d[column].to_numpy(float), rcond=None)
    out = pd.Series(np.nan, index=returns.index, name=f"{column}_perp")
    out.loc[d.index] = d[column].to_numpy(float) - X @ coef
    return out


def _per_symbol(returns: pd.DataFrame, symbols: Sequence[str], fac: np.ndarray,
                rows: list[dict[str, Any]], **base: Any):
    """Each symbol's result row (``symbol``, ``base``, ``note``), returns and valid sessions
    (the symbol and every factor have a return); a symbol without data gets its row, with the
    note saying so, in ``rows`` and is skipped."""
    for s in dict.fromkeys(symbols):
        row: dict[str, Any] = {"symbol": s, **base, "note": ""}
        if s not in returns.columns or returns[s].notna().sum() == 0:
            row["note"] = "not in the dataset (no column): left out"
            rows.append(row)
            continue
        y = returns[s].to_numpy(float)
        yield s, row, y, np.isfinite(y) & np.isfinite(fac).all(axis=1)


def _windows(valid: np.ndarray, idx: pd.DatetimeIndex, date: pd.Timestamp, before: int,
             after: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the last ``before`` valid rows before ``date`` and first ``after`` from it."""
    pos = np.flatnonzero(valid)
    pre = pos[idx[pos] < date][-before:] if before > 0 else pos[:0]
    post = pos[idx[pos] >= date][:after] if after > 0 else pos[:0]
    m_pre = np.zeros(len(idx), bool)
    m_post = np.zeros(len(idx), bool)
    m_pre[pre] = True
    m_post[post] = True
    return m_pre, m_post


@dataclass
class EtherBetas(LifeboatResult):
    """Result of :func:`ether_betas`.

    ``table``: one row per symbol: ``symbol, date, n_before, n_after, eth_before,
    eth_before_low, eth_before_high, eth_after, eth_after_low, eth_after_high, eth_change,
    eth_se, eth_low, eth_high, eth_p, btc_before, btc_after, btc_change, btc_p, hac_lags,
    note`` (NaN and a note when a side is too short; never an invented number).
    """

    date: pd.Timestamp | None = None
    level: float = 0.95


def ether_betas(returns: pd.DataFrame, symbols: Sequence[str], date: Any, *,
                market: str = "SPY", btc: str = "BTC-USD", eth: str = "ETH-USD",
                before: int = 250, after: int = 250, level: float = 0.95,
                min_obs: int = 40) -> EtherBetas:
    """Ether beta (ETH orthogonalised on BTC; market and BTC held fixed) before/after ``date``.

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns on sessions (ETH and BTC aligned to sessions).
    symbols : sequence of str
        Miners; a symbol absent from ``returns`` keeps a row with a note.
    date : date
        First session of the "after" regime (the Merge, 2022-09-15).
    market, btc, eth : str
        Column roles.
    before, after : int
        Valid sessions on each side.
    level : float
        Confidence level (normal reference on the HAC standard errors).
    min_obs : int
        Fewest sessions on a side.

    Returns
    -------
    EtherBetas
    """
    returns = _check(returns, market=market, btc=btc, eth=eth)
    if not 0.5 < level < 1:
        raise InputError(f"level={level} must be between 0.5 and 1 (0.95 is usual)")
    day = pd.Timestamp(date).normalize()
    z = stats.norm.ppf(0.5 + level / 2)
    eperp = orthogonalize(returns, eth, [btc])
    fac = np.column_stack([returns[market].to_numpy(float), returns[btc].to_numpy(float),
                           eperp.to_numpy(float)])
    idx = returns.index
    rows = []
    for s, row, y, valid in _per_symbol(returns, symbols, fac, rows, date=day):
        m_pre, m_post = _windows(valid, idx, day, before, after)
        row["n_before"], row["n_after"] = int(m_pre.sum()), int(m_post.sum())
        if row["n_before"] < min_obs or row["n_after"] < min_obs:
            first = returns[s].first_valid_index()
            row["note"] = (f"too few sessions (need {min_obs} each side): {row['n_before']} "
                           f"before, {row['n_after']} after"
                           + (f"; its data start {first.date()}" if first is not None else ""))
            rows.append(row)
            continue
        m = m_pre | m_post
        f = interaction_fit(y[None], fac, m_post.astype(float), m[None])
        for j, name in ((3, "eth"), (2, "btc")):
            b0, d = f["before"][0, j], f["change"][0, j]
            se0, sea, sed = f["se_before"][0, j], f["se_after"][0, j], f["se_change"][0, j]
            row.update({f"{name}_before": b0, f"{name}_after": b0 + d, f"{name}_change": d,
                        f"{name}_p": float(2 * stats.norm.sf(abs(d / sed))) if sed > 0
                        else np.nan})
            if name == "eth":
                row.update({"eth_before_low": b0 - z * se0, "eth_before_high": b0 + z * se0,
                            "eth_after_low": b0 + d - z * sea, "eth_after_high": b0 + d + z * sea,
                            "eth_se": sed, "eth_low": d - z * sed, "eth_high": d + z * sed})
        row["hac_lags"] = int(f["lags"][0])
        rows.append(row)
    cols = ["symbol", "date", "n_before", "n_after", "eth_before", "eth_before_low",
            "eth_before_high", "eth_after", "eth_after_low", "eth_after_high", "eth_change",
            "eth_se", "eth_low", "eth_high", "eth_p", "btc_before", "btc_after", "btc_change",
            "btc_p", "hac_lags", "note"]
    table = pd.DataFrame(rows).reindex(columns=cols)
    table["note"] = table["note"].fillna("").astype(str)
    for c in ("n_before", "n_after", "hac_lags"):
        table[c] = table[c].astype("Int64")
    notes = [f"{r.symbol}: {r.note}" for r in table.itertuples() if r.note]
    method = (f"Ether beta ({eth} orthogonalised on {btc}) holding {market} and {btc} fixed, "
              f"{before} sessions before vs {after} from {day.date()}; {level:.0%} intervals "
              f"from HAC: {HAC_RULE}")
    return EtherBetas(table=table, notes=notes, title="Ether beta, before vs after the Merge",
                      method=method, date=day, level=level)


@dataclass
class HandoverBetas(LifeboatResult):
    """Result of :func:`ai_handover`.

    ``table``: one row per symbol: ``symbol, n_pre_merge, n_merge_to_chatgpt, n_post_chatgpt``,
    ``ai_pre_merge``, ``ai_merge_to_chatgpt``, ``ai_post_chatgpt`` with ``_low``/``_high``
    intervals, ``ai_change`` (post-ChatGPT minus pre-Merge), ``ai_change_se``, ``ai_change_low``,
    ``ai_change_high``, ``ai_change_p``, ``eth_pre_merge``, ``eth_post_chatgpt``, ``note``.
    """

    ai: str = "SMH"
    merge_date: pd.Timestamp | None = None
    chatgpt_date: pd.Timestamp | None = None
    level: float = 0.95


def ai_handover(returns: pd.DataFrame, symbols: Sequence[str], merge_date: Any,
                chatgpt_date: Any, *, market: str = "SPY", btc: str = "BTC-USD",
                eth: str | None = "ETH-USD", ai: str = "SMH", before: int = 250,
                after: int = 250, level: float = 0.95, min_obs: int = 40) -> HandoverBetas:
    """AI-proxy beta before the Merge, between the Merge and ChatGPT, and after ChatGPT.

    Regressors: market, BTC, ETH orthogonalised on BTC (left out when ``eth`` is None, e.g. a
    dataset without ETH-USD) and the AI proxy orthogonalised on the market (see module doc).

    Returns
    -------
    HandoverBetas
    """
    returns = _check(returns, market=market, btc=btc, eth=eth, ai=ai)
    if pd.Timestamp(chatgpt_date) <= pd.Timestamp(merge_date):
        raise InputError(f"chatgpt_date {chatgpt_date} must come after merge_date {merge_date}")
    d_m, d_c = pd.Timestamp(merge_date).normalize(), pd.Timestamp(chatgpt_date).normalize()
    z = stats.norm.ppf(0.5 + level / 2)
    cols = [returns[market], returns[btc]]
    if eth is not None:
        cols.append(orthogonalize(returns, eth, [btc]))
    cols.append(orthogonalize(returns, ai, [market]))
    fac = np.column_stack([c.to_numpy(float) for c in cols])
    j_ai = fac.shape[1]  # column of the AI factor in [1, X]
    idx = returns.index
    rows = []
    for _s, row, y, valid in _per_symbol(returns, symbols, fac, rows):
        pre, _ = _windows(valid, idx, d_m, before, 0)
        mid = valid & (idx >= d_m) & (idx < d_c)
        _, post = _windows(valid, idx, d_c, 0, after)
        for name, m in (("pre_merge", pre), ("merge_to_chatgpt", mid), ("post_chatgpt", post)):
            row[f"n_{name}"] = n = int(m.sum())
            if n < max(min_obs, fac.shape[1] + 2):
                continue
            b, V, T = ols_hac(y[None], np.column_stack([np.ones(len(y)), fac]),
                              np.array([hac_lags(n)]), m[None])
            se = np.sqrt(np.diag(V[0]))
            row[f"ai_{name}"] = b[0, j_ai]
            row[f"ai_{name}_low"] = b[0, j_ai] - z * se[j_ai]
            row[f"ai_{name}_high"] = b[0, j_ai] + z * se[j_ai]
            if eth is not None and name != "merge_to_chatgpt":
                row[f"eth_{name}"] = b[0, 3]
        short = [k for k in ("pre_merge", "merge_to_chatgpt", "post_chatgpt")
                 if f"ai_{k}" not in row]
        if short:
            row["note"] = (f"too few sessions (need {min_obs}) in: {', '.join(short)}")
        if "ai_pre_merge" in row and "ai_post_chatgpt" in row:
            m = pre | post
            f = interaction_fit(y[None], fac, post.astype(float), m[None])
            d, sed = f["change"][0, j_ai], f["se_change"][0, j_ai]
            row.update({"ai_change": d, "ai_change_se": sed, "ai_change_low": d - z * sed,
                        "ai_change_high": d + z * sed,
                        "ai_change_p": float(2 * stats.norm.sf(abs(d / sed))) if sed > 0
                        else np.nan})
        rows.append(row)
    out_cols = ["symbol", "n_pre_merge", "n_merge_to_chatgpt", "n_post_chatgpt"]
    for k in ("pre_merge", "merge_to_chatgpt", "post_chatgpt"):
        out_cols += [f"ai_{k}", f"ai_{k}_low", f"ai_{k}_high"]
    out_cols += ["ai_change", "ai_change_se", "ai_change_low", "ai_change_high", "ai_change_p",
                 "eth_pre_merge", "eth_post_chatgpt", "note"]
    table = pd.DataFrame(rows).reindex(columns=out_cols)
    table["note"] = table["note"].fillna("").astype(str)
    for c in out_cols[1:4]:
        table[c] = table[c].astype("Int64")
    notes = [f"{r.symbol}: {r.note}" for r in table.itertuples() if r.note]
    if eth is None:
        notes.append("no ether column: the AI betas hold only the market and bitcoin fixed")
    method = (f"AI beta ({ai} orthogonalised on {market}) holding {market}, {btc}"
              + (f" and {eth} (orthogonalised on {btc})" if eth else "")
              + f" fixed: {before} sessions before the Merge ({d_m.date()}), the Merge to "
              f"ChatGPT ({d_c.date()}), {after} sessions from ChatGPT; {level:.0%} HAC intervals")
    return HandoverBetas(table=table, notes=notes, title="AI hand-over: AI beta around the Merge "
                         "and ChatGPT", method=method, ai=ai, merge_date=d_m, chatgpt_date=d_c,
                         level=level)


def rolling_merge_betas(returns: pd.DataFrame, symbols: Sequence[str], *, market: str = "SPY",
                        btc: str = "BTC-USD", eth: str | None = "ETH-USD", ai: str = "SMH",
                        window: int = 120) -> pd.DataFrame:
    """Rolling ETH (orthogonalised on BTC) and AI betas of each symbol.

    Uses :func:`pivotlib.analytics.regimes.rolling_exposures` (RollingOLS over ``window``
    valid sessions; the AI proxy orthogonalised on the market) with the ether residual added as
    a factor. Returns a long frame ``date, symbol, factor ('ETH' or 'AI'), beta``; symbols with
    too little history are skipped (listed in ``attrs['skipped']``).
    """
    from pivotlib.analytics.regimes import rolling_exposures

    returns = _check(returns, market=market, btc=btc, eth=eth, ai=ai)
    frame = returns.copy()
    factors = [market, btc]
    if eth is not None:
        frame[ETH_PERP] = orthogonalize(returns, eth, [btc])
        factors.append(ETH_PERP)
    factors.append(ai)
    out, skipped = [], {}
    for s in dict.fromkeys(symbols):
        if s not in frame.columns:
            skipped[s] = "not in the dataset"
            continue
        try:
            ex = rolling_exposures(frame, s, factors, window=window, market=market, ai_factor=ai,
                                   orthogonalize="ai")
        except InputError as exc:
            skipped[s] = str(exc)
            continue
        for f, lab in ((ETH_PERP, "ETH"), (ai, "AI")):
            if f"beta_{f}" in ex:
                out.append(pd.DataFrame({"date": ex.index, "symbol": s, "factor": lab,
                                         "beta": ex[f"beta_{f}"].to_numpy()}))
    res = (pd.concat(out, ignore_index=True) if out else
           pd.DataFrame(columns=["date", "symbol", "factor", "beta"]))
    res.attrs["skipped"] = skipped
    res.attrs["window"] = window
    return res


def rolling_correlation(returns: pd.DataFrame, a: str = "ETH-USD", b: str = "BTC-USD",
                        window: int = 120) -> pd.Series:
    """Rolling Pearson correlation of two return columns over ``window`` common sessions
    (rows where either is missing are dropped first, never filled)."""
    _check(returns, a=a, b=b)
    d = returns[[a, b]].dropna()
    out = d[a].rolling(window).corr(d[b]).dropna()
    out.name = f"corr({a}, {b})"
    return out
