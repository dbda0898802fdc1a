r"""Downside and upside betas to bitcoin before and after a split date (the lifeboat test).

Ang, Chen and Xing (2006) measure downside risk with a beta estimated only on days when the
risk factor falls. Here the factor is bitcoin and the market is held fixed: on the sessions
where bitcoin's return is below ``threshold`` (default 0, "BTC down days"),

.. math:: r_{i,t} = a + b^{-}_{MKT} r_{MKT,t} + \beta^{-} r_{BTC,t}
          + D_t\,(\delta_a + \delta_{MKT} r_{MKT,t} + \delta^{-} r_{BTC,t}) + e_t,
          \qquad D_t = 1[t \ge \text{split}_i],

so :math:`\beta^{-}` is the downside BTC beta before the split, :math:`\beta^{-} +
\delta^{-}` after it and :math:`\delta^{-}` the change, tested with a Newey-West HAC standard
error in the same (fully interacted, hence equal to two separate fits) regression. The upside
beta :math:`\beta^{+}` is the same regression on BTC up days (return >= ``threshold``). A
lifeboat is :math:`\delta^{-} < 0`: the miner falls less with bitcoin than it used to. The
asymmetry change :math:`\delta^{-} - \delta^{+}` separates a lifeboat (less downside only)
from a plain fall in BTC exposure; its standard error treats the two subsamples as
independent (they share no rows), an approximation.

HAC: Bartlett kernel, lags ``floor(4 (T/100)^(2/9))`` with ``T`` the rows of each regression
(Newey and West 1994), small-sample factor ``T/(T-k)``. Down-day rows are not consecutive
sessions, so the lags run over consecutive down days (serial dependence of the errors across
a few sessions is what it guards against; it is conservative rather than exact).

References
----------
Ang, A., Chen, J. and Xing, Y. (2006). Downside risk. Review of Financial Studies 19(4),
    1191-1239.
Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
    autocorrelation consistent covariance matrix. Econometrica 55(3), 703-708.
Newey, W. K. and West, K. D. (1994). Automatic lag selection in covariance matrix estimation.
    Review of Economic Studies 61(4), 631-653.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pivotlib.analytics.lifeboat._common import (
    HAC_RULE,
    LifeboatResult,
    check_returns,
    check_roles,
    hac_lags,
    ols_hac,
    split_symbols,
    to_day,
)
from pivotlib.errors import InputError

__all__ = ["DownsideBetas", "down_changes", "downside_betas", "interaction_fit"]

_SIDES = ("down", "up")


@dataclass
class DownsideBetas(LifeboatResult):
    """Result of :func:`downside_betas`.

    ``table`` has one row per symbol: ``symbol, split_date, n_down_before, n_down_after,
    down_before, down_before_low, down_before_high, down_after, down_after_low,
    down_after_high, down_change, down_se, down_low, down_high, down_p`` and the same ``up_*``
    columns for BTC up days, ``asym_change`` (``down_change - up_change``), ``asym_p``,
    ``hac_lags_down``, ``note``. Symbols without enough data keep their row with NaN and a
    ``note`` (never an invented number).
    """

    market: str = "SPY"
    btc: str = "BTC-USD"
    threshold: float = 0.0
    level: float = 0.95


def interaction_fit(y: np.ndarray, X: np.ndarray, post: np.ndarray, mask: np.ndarray,
                    lags: np.ndarray | int | None = None) -> dict[str, np.ndarray]:
    """Batched before/after interaction regression ``y = Z b + D Z d + e``, ``Z = [1, X]``.

    Parameters
    ----------
    y : (S, n); X : (S, n, p) or (n, p); post : (S, n) or (n,) 0/1; mask : (S, n) bool.
    lags : HAC lags per batch; default the Newey-West rule on each batch's valid rows.

    Returns
    -------
    dict with ``before`` (S, p+1), ``change`` (S, p+1), ``se_before``, ``se_after``,
    ``se_change`` and ``nobs_before``/``nobs_after`` (S,).
    """
    y = np.atleast_2d(np.asarray(y, float))
    S, n = y.shape
    X = np.asarray(X, float)
    if X.ndim == 2:
        X = np.broadcast_to(X, (S, *X.shape))
    post = np.broadcast_to(np.asarray(post, float), (S, n))
    Z = np.concatenate([np.ones((S, n, 1)), X], axis=2)
    W = np.concatenate([Z, Z * post[..., None]], axis=2)
    m = np.asarray(mask, bool) & np.isfinite(y) & np.isfinite(X).all(axis=2)
    nb = (m & (post == 0)).sum(axis=1)
    na = (m & (post == 1)).sum(axis=1)
    if lags is None:
        lags = np.array([hac_lags(int(t)) for t in m.sum(axis=1)])
    b, V, _ = ols_hac(y, W, lags, m)
    k = Z.shape[2]
    Vb, Vd, Vbd = V[:, :k, :k], V[:, k:, k:], V[:, :k, k:]
    Va = Vb + Vd + Vbd + np.transpose(Vbd, (0, 2, 1))
    d = lambda M: np.sqrt(np.clip(np.diagonal(M, axis1=1, axis2=2), 0, None))  # noqa: E731
    return {"before": b[:, :k], "change": b[:, k:], "se_before": d(Vb), "se_after": d(Va),
            "se_change": d(Vd), "nobs_before": nb, "nobs_after": na, "lags": np.asarray(lags)}


def downside_betas(returns: pd.DataFrame, symbols: Sequence[str],
                   split_dates: Mapping[str, Any], *, market: str = "SPY",
                   btc: str = "BTC-USD", threshold: float = 0.0, level: float = 0.95,
                   min_obs: int = 20, start: Any = None, end: Any = None,
                   ends: Mapping[str, Any] | None = None) -> DownsideBetas:
    """Downside/upside BTC betas before and after each symbol's split date (see module doc).

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns on sessions (``pivotlib.data.load_returns``).
    symbols : sequence of str
        Miners to analyse; symbols absent from ``returns`` keep a row with a note.
    split_dates : mapping symbol -> date
        First session of the "after" regime for each symbol (e.g. its first signed AI/HPC
        contract, :func:`pivotlib.analytics.lifeboat.pivot_cohorts`). A symbol without one gets a note.
    market, btc : str
        Column roles (keyword only; validated present and distinct).
    threshold : float, default 0
        A session is a BTC down day when ``r_BTC < threshold``.
    level : float, default 0.95
        Confidence level of the intervals (normal reference).
    min_obs : int, default 20
        Minimum rows per regime and side (down days before, down days after, ...).
    start, end : date, optional
        Common sample bounds (inclusive).
    ends : mapping symbol -> date, optional
        Per-symbol exclusive end (used by the placebo check to stop before the real split).

    Returns
    -------
    DownsideBetas
    """
    returns = check_returns(returns)
    roles = check_roles(returns, market=market, btc=btc)
    syms, notes = split_symbols(returns, symbols, roles)
    if not 0.5 < level < 1:
        raise InputError(f"level={level} must be between 0.5 and 1 (0.95 is usual)")
    if min_obs < 5:
        raise InputError(f"min_obs={min_obs} is too small; use at least 5 rows per regime")
    frame = returns
    if start is not None:
        frame = frame[frame.index >= to_day(start, "start")]
    if end is not None:
        frame = frame[frame.index <= to_day(end, "end")]
    z = stats.norm.ppf(0.5 + level / 2)
    idx = frame.index
    fac = frame[[market, btc]].to_numpy(float)
    down = fac[:, 1] < threshold
    rows = []
    for s in syms:
        row: dict[str, Any] = {"symbol": s, "split_date": pd.NaT, "note": notes.get(s, "")}
        if s in notes:
            rows.append(row)
            continue
        if s not in split_dates or pd.isna(split_dates[s]):
            row["note"] = "no split date: left out"
            rows.append(row)
            continue
        split = to_day(split_dates[s], f"split date of {s}")
        row["split_date"] = split
        y = frame[s].to_numpy(float)
        ok = np.isfinite(y) & np.isfinite(fac).all(axis=1)
        if ends and s in ends and not pd.isna(ends[s]):
            ok &= idx < to_day(ends[s], f"end of {s}")
        post = (idx >= split).astype(float)
        fits = {}
        for side, sel in (("down", down), ("up", ~down)):
            m = ok & sel
            f = interaction_fit(y[None], fac, post, m[None])
            fits[side] = f
            row[f"n_{side}_before"] = int(f["nobs_before"][0])
            row[f"n_{side}_after"] = int(f["nobs_after"][0])
        short = [f"{side} days {when}: {row[f'n_{side}_{when}']}" for side in _SIDES
                 for when in ("before", "after") if row[f"n_{side}_{when}"] < min_obs]
        if short:
            row["note"] = f"too few rows (need {min_obs}): " + ", ".join(short)
            rows.append(row)
            continue
        for side in _SIDES:
            f = fits[side]
            b0, d, se0, sea, sed = (f["before"][0, 2], f["change"][0, 2], f["se_before"][0, 2],
                                    f["se_after"][0, 2], f["se_change"][0, 2])
            row.update({f"{side}_before": b0, f"{side}_before_low": b0 - z * se0,
                        f"{side}_before_high": b0 + z * se0, f"{side}_after": b0 + d,
                        f"{side}_after_low": b0 + d - z * sea,
                        f"{side}_after_high": b0 + d + z * sea, f"{side}_change": d,
                        f"{side}_se": sed, f"{side}_low": d - z * sed, f"{side}_high": d + z * sed,
                        f"{side}_p": float(2 * stats.norm.sf(abs(d / sed))) if sed > 0
                        else np.nan})
            row[f"hac_lags_{side}"] = int(f["lags"][0])
        row["asym_change"] = row["down_change"] - row["up_change"]
        se_a = float(np.hypot(row["down_se"], row["up_se"]))
        row["asym_p"] = float(2 * stats.norm.sf(abs(row["asym_change"] / se_a)))
        rows.append(row)
    cols = ["symbol", "split_date", "n_down_before", "n_down_after"]
    for side in _SIDES:
        cols += [f"{side}_{c}" for c in ("before", "before_low", "before_high", "after",
                                         "after_low", "after_high", "change", "se", "low",
                                         "high", "p")]
    cols += ["n_up_before", "n_up_after", "asym_change", "asym_p", "hac_lags_down",
             "hac_lags_up", "note"]
    table = pd.DataFrame(rows).reindex(columns=cols)
    table["note"] = table["note"].fillna("").astype(str)
    for c in cols:
        if c.startswith(("n_", "hac_lags")):
            table[c] = table[c].astype("Int64")
    out_notes = [f"{r.symbol}: {r.note}" for r in table.itertuples() if r.note]
    method = (f"Downside (BTC {btc} < {threshold:g}) and upside BTC betas holding {market} "
              f"fixed, before vs after each split date; {level:.0%} intervals from HAC: "
              f"{HAC_RULE}")
    return DownsideBetas(table=table, notes=out_notes, title="Downside BTC beta, before vs after",
                         method=method, market=market, btc=btc, threshold=threshold, level=level)


def down_changes(returns: pd.DataFrame, pairs: Sequence[tuple[str, Any]], *,
                 market: str = "SPY", btc: str = "BTC-USD", threshold: float = 0.0,
                 min_obs: int = 20) -> np.ndarray:
    """The downside-beta change :math:`\\delta^{-}` of many (symbol, split date) pairs at once.

    The same number as ``downside_betas(returns, [s], {s: split}, ...).table["down_change"]``
    for each pair (one batched :func:`interaction_fit` instead of one call per symbol), with
    NaN exactly where :func:`downside_betas` leaves a row without an estimate (symbol not in
    the data, no split date, or fewer than ``min_obs`` BTC down *or* up days before or after
    the split). Used by the lifeboat specification curve, which needs the change of each firm
    at a few split dates, thresholds and sample ends.

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns (already cut at the sample end).
    pairs : sequence of (symbol, date)
        Symbol and first session of its "after" regime.
    market, btc, threshold, min_obs
        As in :func:`downside_betas`.

    Returns
    -------
    ndarray, shape (len(pairs),)
    """
    returns = check_returns(returns)
    check_roles(returns, market=market, btc=btc)
    out = np.full(len(pairs), np.nan)
    idx = returns.index
    fac = returns[[market, btc]].to_numpy(float)
    fac_ok = np.isfinite(fac).all(axis=1)
    down = fac[:, 1] < threshold
    rows, ys, posts, masks = [], [], [], []
    for j, (s, d) in enumerate(pairs):
        if s not in returns.columns or pd.isna(d) or s in (market, btc):
            continue
        y = returns[s].to_numpy(float)
        ok = np.isfinite(y) & fac_ok
        if not ok.any():
            continue
        post = idx >= to_day(d, f"split date of {s}")
        counts = [int((ok & sel & when).sum()) for sel in (down, ~down)
                  for when in (~post, post)]
        if min(counts) < min_obs:
            continue
        rows.append(j)
        ys.append(y)
        posts.append(post.astype(float))
        masks.append(ok & down)
    if rows:
        f = interaction_fit(np.array(ys), fac, np.array(posts), np.array(masks))
        out[rows] = f["change"][:, 2]
    return out
