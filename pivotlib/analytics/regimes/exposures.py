"""Factor exposures: rolling betas, before/after shifts with HAC inference, quarterly correlations
and the AI basket.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from pivotlib.analytics.regimes.common import (
    DEFAULT_FACTORS,
    HAC_RULE,
    Orthogonalize,
    _check_columns,
    _check_returns,
    _orthogonalized,
    _session_position,
    _valid_frame,
    hac_lags_rule,
)
from pivotlib.analytics.regimes.rolling import rolling_ols
from pivotlib.errors import InputError


def rolling_exposures(returns: pd.DataFrame, symbol: str,
                      factors: Sequence[str] = DEFAULT_FACTORS, window: int = 120,
                      min_periods: int | None = None, *, market: str = "SPY",
                      ai_factor: str | None = "SMH", orthogonalize: Orthogonalize = "ai",
                      cov_type: Literal["nonrobust", "HC0"] = "nonrobust") -> pd.DataFrame:
    """Rolling-window OLS betas of ``symbol`` on ``factors``.

    The numbers of :class:`statsmodels.regression.rolling.RollingOLS` (``method="inv"``),
    computed for all windows at once by :func:`pivotlib.analytics.regimes.rolling.rolling_ols`
    on the valid observations (rows where the symbol and all factors have returns); each row
    of the result is the regression over the ``window`` valid sessions ending on (and
    including) that session.

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns (index = sessions, one column per symbol).
    symbol : str
        The stock to explain.
    factors : sequence of str, default ("SPY", "BTC-USD", "SMH")
        Factor columns of ``returns``.
    window : int, default 120
        Observations per regression (about six months of sessions).
    min_periods : int, optional
        If given and smaller than ``window``, the first rows use an *expanding* window from
        ``min_periods`` observations on (statsmodels ``expanding=True``); default: only full
        windows are reported.
    market, ai_factor, orthogonalize
        See the module docstring. The residualisation is fitted once over all valid rows.
    cov_type : {"nonrobust", "HC0"}, default "nonrobust"
        Standard-error type: classical OLS (homoskedastic) or White (HC0). Rolling HAC is not
        offered; use :func:`exposure_shift` for inference on changes.

    Returns
    -------
    DataFrame
        Index = session (window end). Columns ``alpha``, ``beta_<factor>``, ``se_<factor>``,
        ``r2`` and ``nobs``. ``attrs`` records the SE type, window and orthogonalisation.
    """
    returns = _check_returns(returns)
    factors = _check_columns(returns, symbol, factors)
    if not isinstance(window, int | np.integer) or window < len(factors) + 2:
        raise InputError(
            f"window={window!r} is too small for {len(factors)} factors; use an integer of "
            f"at least {len(factors) + 2} (120 is about six months)"
        )
    if cov_type not in ("nonrobust", "HC0"):
        raise InputError(f"unknown cov_type {cov_type!r}; use 'nonrobust' or 'HC0'")
    frame = _valid_frame(returns, symbol, factors, market, ai_factor, orthogonalize)
    first = min_periods if min_periods is not None else window
    if min_periods is not None and not (len(factors) + 2 <= min_periods <= window):
        raise InputError(
            f"min_periods={min_periods} must lie between {len(factors) + 2} and window={window}"
        )
    if len(frame) < first:
        raise InputError(
            f"too few observations for {symbol}: {len(frame)} valid sessions, need at least "
            f"{first}; use a shorter window or more history"
        )
    X = _orthogonalized(frame, factors, market, ai_factor, orthogonalize)
    exog = pd.concat([pd.Series(1.0, index=X.index, name="const"), X], axis=1)
    expanding = min_periods is not None and min_periods < window
    res = rolling_ols(frame[symbol].to_numpy(float), exog.to_numpy(float), window,
                      min_nobs=first, expanding=expanding, hc0=cov_type == "HC0")
    params = pd.DataFrame(res.params, index=X.index, columns=exog.columns)
    bse = pd.DataFrame(res.bse, index=X.index, columns=exog.columns)
    out = pd.DataFrame(index=X.index)
    out["alpha"] = params["const"]
    for f in factors:
        out[f"beta_{f}"] = params[f]
    for f in factors:
        out[f"se_{f}"] = bse[f]
    out["r2"] = np.asarray(res.rsquared)
    out["nobs"] = np.asarray(res.nobs, dtype="float64")
    out = out.dropna(subset=[f"beta_{factors[0]}"])
    out["nobs"] = out["nobs"].astype(int)
    out.index.name = "date"
    out.attrs.update({"symbol": symbol, "factors": factors, "window": window,
                      "se_type": "classical OLS" if cov_type == "nonrobust" else "White HC0",
                      "orthogonalize": orthogonalize, "market": market, "ai_factor": ai_factor})
    return out


@dataclass
class ExposureShift:
    """Result of :func:`exposure_shift`.

    Attributes
    ----------
    symbol, factors, date
        What was tested; ``date`` is the first session of the "after" regime.
    table : DataFrame
        One row per coefficient (``alpha`` then each factor): ``beta_before``, ``se_before``,
        ``beta_after``, ``se_after``, ``diff`` (after - before), ``se_diff`` (HAC), ``t``, ``p``
        (two-sided, normal reference distribution).
    chow_f, chow_p, chow_df
        Classical Chow (1960) F test that all coefficients (intercept included) are equal in
        the two regimes; assumes homoskedastic, serially uncorrelated errors.
    chow_hac_wald, chow_hac_p, chow_hac_df
        The same hypothesis as a Wald test with the HAC covariance (chi-square, ``df`` = number
        of coefficients): robust to heteroskedasticity and autocorrelation.
    slopes_hac_wald, slopes_hac_p
        HAC Wald test that the factor betas (not the intercept) are equal.
    hac_lags, hac_rule
        Lag truncation used and the rule that produced it.
    n_before, n_after, start, end
        Observations in each regime and the span used.
    cov_diff : DataFrame
        HAC covariance of the ``diff`` column (for combined contrasts such as pivot scores).
    """

    symbol: str
    factors: list[str]
    date: pd.Timestamp
    table: pd.DataFrame
    chow_f: float
    chow_p: float
    chow_df: tuple[int, int]
    chow_hac_wald: float
    chow_hac_p: float
    chow_hac_df: int
    slopes_hac_wald: float
    slopes_hac_p: float
    hac_lags: int
    hac_rule: str
    n_before: int
    n_after: int
    start: pd.Timestamp
    end: pd.Timestamp
    cov_diff: pd.DataFrame
    orthogonalize: str = "ai"
    notes: list[str] = field(default_factory=list)
    design: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    """Arrays of the regression (``y``, ``X`` factor matrix, ``post`` dummy) for resampling."""

    def bootstrap_contrast(self, weights: Mapping[str, float], n_boot: int = 999,
                           block: int | None = None, seed: int = 0,
                           alpha: float = 0.05) -> tuple[float, float, float]:
        """Moving-block bootstrap interval for ``sum_k w_k * diff_k``.

        Blocks of ``block`` consecutive observations (default ``ceil(T ** (1/3))``, Hall,
        Horowitz and Jing 1995) are drawn with replacement *within* each regime, so the
        regime sizes are kept; the interaction regression is refitted on each resample and
        the percentile interval is returned.

        Returns
        -------
        (se, low, high)
            Bootstrap standard error and the ``1 - alpha`` percentile interval.
        """
        if not self.design:
            raise InputError("this result carries no design arrays; rerun exposure_shift")
        names = ["alpha", *self.factors]
        unknown = [k for k in weights if k not in names]
        if unknown:
            raise InputError(f"unknown coefficient(s) {unknown}; use {names}")
        if n_boot < 99:
            raise InputError(f"n_boot={n_boot} is too small; use at least 99 (999 is usual)")
        y, X, post = self.design["y"], self.design["X"], self.design["post"]
        n = len(y)
        b = int(block) if block is not None else max(1, int(math.ceil(n ** (1 / 3))))
        if b < 1:
            raise InputError(f"block={block} must be a positive number of sessions")
        w = np.array([float(weights.get(nm, 0.0)) for nm in names])
        rng = np.random.default_rng(seed)
        segs = [np.flatnonzero(post == 0), np.flatnonzero(post == 1)]
        Z = np.column_stack([np.ones(n), X])
        draws = np.empty(n_boot)
        k = Z.shape[1]
        for r in range(n_boot):
            rows = []
            for seg in segs:
                m = len(seg)
                bb = min(b, m)
                starts = rng.integers(0, m - bb + 1, size=int(math.ceil(m / bb)))
                pos = (starts[:, None] + np.arange(bb)[None, :]).ravel()[:m]
                rows.append(seg[pos])
            i = np.concatenate(rows)
            Zi, pi = Z[i], post[i]
            W = np.column_stack([Zi, Zi * pi[:, None]])
            coef, *_ = np.linalg.lstsq(W, y[i], rcond=None)
            draws[r] = float(w @ coef[k:])
        lo_q, hi_q = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
        return float(draws.std(ddof=1)), float(lo_q), float(hi_q)

    def contrast(self, weights: Mapping[str, float]) -> tuple[float, float]:
        """Estimate and HAC standard error of ``sum_k w_k * diff_k`` (keys: factor names)."""
        unknown = [k for k in weights if k not in self.cov_diff.index]
        if unknown:
            raise InputError(f"unknown coefficient(s) {unknown}; use {list(self.cov_diff.index)}")
        w = pd.Series(0.0, index=self.cov_diff.index)
        for k, v in weights.items():
            w[k] = float(v)
        est = float(w @ self.table.set_index("factor")["diff"])
        var = float(w @ self.cov_diff @ w)
        return est, math.sqrt(max(var, 0.0))

    def summary(self) -> str:
        """Human-readable summary with the HAC lag rule stated."""
        lines = [
            f"Exposure shift for {self.symbol} at {self.date.date()} "
            f"({self.n_before} sessions before from {self.start.date()}, "
            f"{self.n_after} from {self.date.date()} to {self.end.date()})",
            f"Factors: {', '.join(self.factors)}; orthogonalize={self.orthogonalize!r}",
            f"HAC (Newey-West, Bartlett) lags = {self.hac_lags}, rule: {self.hac_rule}",
            self.table.to_string(index=False, float_format=lambda v: f"{v: .4f}"),
            f"Chow F({self.chow_df[0]}, {self.chow_df[1]}) = {self.chow_f:.3f}, p = {self.chow_p:.3g}"
            "  (classical, homoskedastic)",
            f"HAC Wald chi2({self.chow_hac_df}) = {self.chow_hac_wald:.3f}, p = {self.chow_hac_p:.3g}"
            "  (all coefficients)",
            f"HAC Wald chi2({len(self.factors)}) = {self.slopes_hac_wald:.3f}, "
            f"p = {self.slopes_hac_p:.3g}  (factor betas only)",
        ]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


def _shift_regression(y: np.ndarray, X: np.ndarray, post: np.ndarray, names: list[str],
                      hac_lags: int | None) -> dict[str, Any]:
    """Interaction regression y = Z b + post * Z g + e with Z = [1, X]; classical and HAC fits."""
    import statsmodels.api as sm
    from scipy import stats

    n, k = X.shape[0], X.shape[1] + 1
    Z = np.column_stack([np.ones(n), X])
    D = Z * post[:, None]
    W = np.column_stack([Z, D])
    if np.linalg.matrix_rank(W) < 2 * k:
        raise np.linalg.LinAlgError("singular design")
    lags = hac_lags_rule(n) if hac_lags is None else int(hac_lags)
    if lags < 0:
        raise InputError(f"hac_lags={hac_lags} is negative; pass None (rule of thumb) or >= 0")
    ols = sm.OLS(y, W)
    fit = ols.fit()
    hac = ols.fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    b = fit.params
    V = np.asarray(hac.cov_params())
    Vc = np.asarray(fit.cov_params())
    before = b[:k]
    diff = b[k:]
    after = before + diff
    Vb = V[:k, :k]
    Vd = V[k:, k:]
    Vbd = V[:k, k:]
    Va = Vb + Vd + Vbd + Vbd.T
    se_d = np.sqrt(np.clip(np.diag(Vd), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / se_d
    p = 2.0 * stats.norm.sf(np.abs(t))
    table = pd.DataFrame({
        "factor": names,
        "beta_before": before,
        "se_before": np.sqrt(np.clip(np.diag(Vb), 0, None)),
        "beta_after": after,
        "se_after": np.sqrt(np.clip(np.diag(Va), 0, None)),
        "diff": diff,
        "se_diff": se_d,
        "t": t,
        "p": p,
    })
    # Classical Chow test: F test of the k interaction terms under the classical covariance.
    # Equivalent to ((SSR_pooled - SSR_1 - SSR_2)/k) / ((SSR_1 + SSR_2)/(n - 2k)).
    dfd = n - 2 * k
    chow_f = float(diff @ np.linalg.solve(Vc[k:, k:], diff) / k)
    chow_p = float(stats.f.sf(chow_f, k, dfd))
    wald = float(diff @ np.linalg.solve(Vd, diff))
    wald_p = float(stats.chi2.sf(wald, k))
    ds = diff[1:]
    wald_s = float(ds @ np.linalg.solve(Vd[1:, 1:], ds))
    wald_s_p = float(stats.chi2.sf(wald_s, k - 1))
    return {
        "table": table, "chow_f": chow_f, "chow_p": chow_p, "chow_df": (k, dfd),
        "wald": wald, "wald_p": wald_p, "wald_s": wald_s, "wald_s_p": wald_s_p,
        "lags": lags, "cov_diff": pd.DataFrame(Vd, index=names, columns=names),
    }


def exposure_shift(returns: pd.DataFrame, symbol: str, factors: Sequence[str] = DEFAULT_FACTORS,
                   date: Any = None, before: int = 250, after: int = 250,
                   hac_lags: int | None = None, *, market: str = "SPY",
                   ai_factor: str | None = "SMH", orthogonalize: Orthogonalize = "ai",
                   clip: bool = False, min_obs: int = 60) -> ExposureShift:
    """Betas before and after ``date``, their difference with HAC standard errors, Chow tests.

    One regression over both regimes with interaction dummies,

    .. math:: r_t = Z_t' b + D_t Z_t' g + e_t,\\quad Z_t = (1, f_{1t}, ..., f_{Kt}),
              D_t = 1[t \\ge date],

    so ``b`` are the "before" coefficients, ``b + g`` the "after" ones and ``g`` the change,
    with its Newey-West (1987) HAC covariance (Bartlett kernel, ``hac_lags`` lags; default the
    Newey-West (1994) rule ``floor(4 (T/100)^(2/9))`` with ``T`` = total observations;
    statsmodels' small-sample correction). p-values of individual changes use the normal
    distribution (asymptotic).

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns.
    symbol : str
        The stock to explain.
    factors : sequence of str
        Factor columns (default SPY, BTC-USD, SMH).
    date : date-like
        First session of the "after" regime (a non-session moves to the next valid session).
    before, after : int, default 250
        Valid sessions before ``date`` and from ``date`` on.
    hac_lags : int, optional
        HAC lag truncation; default the rule above.
    market, ai_factor, orthogonalize
        See the module docstring; residualisation is fitted on the rows of the two windows.
    clip : bool, default False
        If False a window that runs off the data raises :class:`InputError`. If True it is
        shortened to the data available (a note says so) as long as each side keeps at least
        ``min_obs`` observations.
    min_obs : int, default 60
        Minimum valid observations per regime.

    Returns
    -------
    ExposureShift
    """
    returns = _check_returns(returns)
    factors = _check_columns(returns, symbol, factors)
    if date is None:
        raise InputError("date is required: the first session of the new regime (YYYY-MM-DD)")
    for nm, v in (("before", before), ("after", after), ("min_obs", min_obs)):
        if not isinstance(v, int | np.integer) or v < 1:
            raise InputError(f"{nm}={v!r} must be a positive integer number of sessions")
    k = len(factors) + 1
    floor_obs = max(int(min_obs), k + 2)
    frame = _valid_frame(returns, symbol, factors, market, ai_factor, orthogonalize)
    idx = pd.DatetimeIndex(frame.index)
    pos = _session_position(idx, date)
    notes: list[str] = []
    lo, hi = pos - before, pos + after
    if lo < 0 or hi > len(idx):
        msg = (
            f"the window runs off the data for {symbol}: {pos} valid sessions before "
            f"{idx[pos].date()} (asked {before}) and {len(idx) - pos} from it (asked {after}); "
        )
        if not clip:
            raise InputError(msg + "use smaller before/after, another date, or clip=True")
        cols = [symbol, *factors]
        if lo < 0:
            firsts = {c: returns[c].first_valid_index() for c in cols if c in returns}
            cause = max(firsts, key=lambda c: firsts[c] or pd.Timestamp.min)
            notes.append(f"before-window clipped to {pos} sessions (asked {before}): "
                         f"{cause} starts {pd.Timestamp(firsts[cause]).date()}")
        if hi > len(idx):
            lasts = {c: returns[c].last_valid_index() for c in cols if c in returns}
            cause = min(lasts, key=lambda c: lasts[c] or pd.Timestamp.max)
            notes.append(f"after-window clipped to {len(idx) - pos} sessions (asked {after}): "
                         f"{cause} ends {pd.Timestamp(lasts[cause]).date()}")
        lo, hi = max(lo, 0), min(hi, len(idx))
    nb, na = pos - lo, hi - pos
    if nb < floor_obs or na < floor_obs:
        raise InputError(
            f"too few observations for {symbol} around {idx[min(pos, len(idx) - 1)].date()}: "
            f"{nb} before and {na} after, need at least {floor_obs} on each side; "
            "choose another date or more history"
        )
    sub = frame.iloc[lo:hi]
    X = _orthogonalized(sub, factors, market, ai_factor, orthogonalize)
    post = (np.arange(hi - lo) >= nb).astype(float)
    try:
        reg = _shift_regression(sub[symbol].to_numpy(), X.to_numpy(), post,
                                ["alpha", *factors], hac_lags)
    except np.linalg.LinAlgError as exc:
        raise InputError(
            f"the regression for {symbol} around {idx[pos].date()} is singular (a factor is "
            "constant or collinear with others in one regime); drop that factor"
        ) from exc
    return ExposureShift(
        symbol=symbol, factors=factors, date=idx[pos], table=reg["table"],
        chow_f=reg["chow_f"], chow_p=reg["chow_p"], chow_df=reg["chow_df"],
        chow_hac_wald=reg["wald"], chow_hac_p=reg["wald_p"], chow_hac_df=k,
        slopes_hac_wald=reg["wald_s"], slopes_hac_p=reg["wald_s_p"],
        hac_lags=reg["lags"], hac_rule=HAC_RULE if hac_lags is None else "user-supplied",
        n_before=nb, n_after=na, start=idx[lo], end=idx[hi - 1], cov_diff=reg["cov_diff"],
        orthogonalize=orthogonalize, notes=notes,
        design={"y": sub[symbol].to_numpy(), "X": X.to_numpy(), "post": post},
    )


def ai_basket_returns(returns: pd.DataFrame, symbols: Sequence[str],
                      weights: Mapping[str, float] | Sequence[float] | None = None,
                      name: str = "AI_BASKET", min_members: int = 1) -> pd.Series:
    """Daily returns of a daily-rebalanced basket (default equal-weighted).

    On a session where some members have no return (before listing, gaps) the weights are
    renormalised over the members that do; sessions with fewer than ``min_members`` members
    are NaN. Add the result as a column and pass its name as a factor and as ``ai_factor``::

        rets["AI_BASKET"] = ai_basket_returns(rets, ["NVDA", "AVGO", "VRT"])
        pivot_scores(rets, miners, ["SPY", "BTC-USD", "AI_BASKET"], events,
                     ai_factor="AI_BASKET")

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns.
    symbols : sequence of str
        Basket members (columns of ``returns``).
    weights : mapping or sequence, optional
        Relative weights (normalised to sum to one); default equal weights.
    name : str, default "AI_BASKET"
    min_members : int, default 1

    Returns
    -------
    Series
    """
    returns = _check_returns(returns)
    symbols = [symbols] if isinstance(symbols, str) else list(symbols)
    if not symbols:
        raise InputError("symbols is empty; pass the basket members, e.g. ['NVDA', 'AVGO']")
    missing = [s for s in symbols if s not in returns.columns]
    if missing:
        raise InputError(f"unknown basket member(s) {missing}: not columns of the returns frame; "
                         "load them first")
    if weights is None:
        w = pd.Series(1.0, index=symbols)
    elif isinstance(weights, Mapping):
        extra = [s for s in weights if s not in symbols]
        if extra:
            raise InputError(f"weights name symbols not in the basket: {extra}")
        w = pd.Series({s: float(weights.get(s, 0.0)) for s in symbols})
    else:
        wl = list(weights)
        if len(wl) != len(symbols):
            raise InputError(f"{len(wl)} weights for {len(symbols)} symbols; give one per symbol")
        w = pd.Series([float(v) for v in wl], index=symbols)
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise InputError("weights must be finite, non-negative and not all zero")
    R = returns[symbols].astype("float64")
    avail = R.notna()
    wmat = avail.mul(w, axis=1)
    tot = wmat.sum(axis=1)
    out = (R.fillna(0.0) * wmat).sum(axis=1) / tot.replace(0.0, np.nan)
    out[avail.sum(axis=1) < min_members] = np.nan
    out.name = name
    return out


def quarterly_correlations(returns: pd.DataFrame, symbols: Sequence[str],
                           factors: Sequence[str] = ("BTC-USD", "SMH"), *, market: str = "SPY",
                           ai_factor: str | None = "SMH", orthogonalize: Orthogonalize = "ai",
                           min_obs: int = 20) -> pd.DataFrame:
    """Correlation of each symbol's daily returns with each factor, by calendar quarter.

    With ``orthogonalize="ai"`` (default) the AI factor is first residualised on the market
    over each symbol's valid rows (see the module docstring), so the AI column is the
    correlation with *AI-specific* moves, not with the market again.

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns.
    symbols : sequence of str
        Stocks.
    factors : sequence of str, default ("BTC-USD", "SMH")
        Factors to correlate with.
    market, ai_factor, orthogonalize
        See the module docstring.
    min_obs : int, default 20
        Quarters with fewer joint observations are left out.

    Returns
    -------
    DataFrame
        Tidy: ``quarter`` (Period), ``symbol``, ``factor``, ``corr``, ``nobs`` (for a heatmap,
        ``.pivot_table(index=["symbol", "factor"], columns="quarter", values="corr")``).
    """
    returns = _check_returns(returns)
    symbols = [symbols] if isinstance(symbols, str) else list(symbols)
    rows = []
    for sym in symbols:
        factors_l = _check_columns(returns, sym, factors)
        frame = _valid_frame(returns, sym, factors_l, market, ai_factor, orthogonalize)
        X = _orthogonalized(frame, factors_l, market, ai_factor, orthogonalize)
        q = pd.DatetimeIndex(frame.index).to_period("Q")
        for per in q.unique():
            m = np.asarray(q == per)
            if m.sum() < min_obs:
                continue
            y = frame[sym].to_numpy()[m]
            for f in factors_l:
                rows.append({"quarter": per, "symbol": sym, "factor": f,
                             "corr": float(np.corrcoef(y, X[f].to_numpy()[m])[0, 1]),
                             "nobs": int(m.sum())})
    return pd.DataFrame(rows, columns=["quarter", "symbol", "factor", "corr", "nobs"])
