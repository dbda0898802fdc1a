"""Structural breaks with unknown timing: sup-F / HAC sup-Wald, p-values and Bai (1997) intervals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd

from pivotlib.analytics.regimes.common import (
    DEFAULT_FACTORS,
    Orthogonalize,
    _check_columns,
    _check_returns,
    _orthogonalized,
    _to_day,
    _valid_frame,
    hac_lags_rule,
)
from pivotlib.errors import InputError


def _estrella_pvalue(x: float, q: int, lam: float) -> float:
    """Estrella (2003) asymptotic tail approximation of P(sup-Wald > x)."""
    from scipy.special import gammaln

    if x <= 0:
        return 1.0
    term = abs(math.log(lam) * (1.0 - q / x) + 2.0 / x)
    if term == 0.0:
        return 1.0
    logp = -gammaln(q / 2.0) + (q / 2.0) * math.log(x / 2.0) - x / 2.0 + math.log(term)
    return float(min(1.0, math.exp(logp)))


@lru_cache(maxsize=64)
def _tail_threshold(q: int, lam: float) -> float:
    """Smallest x on the tail branch where the Estrella p-value equals 0.2."""
    lo, hi = float(q), float(q) + 200.0
    # walk down from the far tail until the approximation reaches 0.2 (it is monotone there)
    x = hi
    step = 0.25
    while x - step > lo and _estrella_pvalue(x - step, q, lam) < 0.2:
        x -= step
    a, b = x - step, x
    for _ in range(50):
        mid = 0.5 * (a + b)
        if _estrella_pvalue(mid, q, lam) < 0.2:
            b = mid
        else:
            a = mid
    return b


@lru_cache(maxsize=32)
def _simulated_supwald(q: int, trim: float, reps: int = 4000, steps: int = 1000,
                       seed: int = 19930701) -> np.ndarray:
    """Simulated Andrews (1993) limit of sup-Wald: sup ||B(pi)||^2 / (pi (1 - pi))."""
    rng = np.random.default_rng(seed)
    pi = np.arange(1, steps + 1) / steps
    sel = (pi >= trim - 1e-12) & (pi <= 1 - trim + 1e-12)
    w = pi[sel] * (1 - pi[sel])
    out = np.empty(reps)
    chunk = max(1, 2_000_000 // (steps * q))
    for s in range(0, reps, chunk):
        c = min(chunk, reps - s)
        W = np.cumsum(rng.standard_normal((c, steps, q)), axis=1) / math.sqrt(steps)
        B = W[:, sel] - pi[None, sel, None] * W[:, -1:, :]
        out[s:s + c] = ((B ** 2).sum(-1) / w[None, :]).max(axis=1)
    return np.sort(out)


def supf_pvalue(sup_f: float, q: int, trim: float = 0.15, lam: float | None = None) -> float:
    """Asymptotic p-value of a sup-F (Quandt-Andrews) statistic.

    Under no break, ``q * sup_F`` converges to the supremum over ``pi`` in ``[trim, 1-trim]``
    of ``||B(pi)||^2 / (pi (1 - pi))`` with ``B`` a ``q``-dimensional Brownian bridge
    (Andrews 1993). For ``p <= 0.2`` the p-value is Estrella's (2003) closed-form tail
    approximation

    .. math:: p \\approx \\frac{(x/2)^{q/2} e^{-x/2}}{\\Gamma(q/2)}
              \\left|\\ln\\lambda\\,(1 - q/x) + 2/x\\right|,\\quad x = q\\,\\text{supF},\\;
              \\lambda = \\frac{(1-\\pi_0)^2}{\\pi_0^2},

    which reproduces Andrews' (2003 corrigendum) 10/5/1 % critical values for q = 1..5 to within
    about 0.005 in p (checked in the tests). Above 0.2, where that tail formula breaks down,
    the p-value is read from a simulation of the limit (4000 draws, 1000-step grid, fixed
    seed), so it is indicative only (+-0.01). This is the same limit Hansen (1997) approximates
    with his response surface.

    Parameters
    ----------
    sup_f : float
        The sup-F statistic (F form, i.e. Wald / q).
    q : int
        Number of coefficients allowed to break.
    trim : float, default 0.15
        Symmetric trimming fraction ``pi_0``.
    lam : float, optional
        Override of ``lambda`` (e.g. the finite-sample ``((n-from) to)/(from (n-to))``).

    Returns
    -------
    float
    """
    if not (0.0 < trim < 0.5):
        raise InputError(f"trim={trim} must be between 0 and 0.5 (0.15 is standard)")
    if q < 1:
        raise InputError(f"q={q} must be at least 1")
    if not np.isfinite(sup_f):
        raise InputError(f"sup_f={sup_f} is not finite")
    lam = ((1.0 - trim) / trim) ** 2 if lam is None else float(lam)
    x = float(sup_f) * q
    if x >= _tail_threshold(int(q), round(lam, 10)):
        return _estrella_pvalue(x, int(q), lam)
    draws = _simulated_supwald(int(q), round(float(trim), 6))
    return float(max((draws >= x).mean(), 0.2))


@dataclass
class BreakResult:
    """Result of :func:`find_break`.

    Attributes
    ----------
    symbol, factors
        What was tested.
    break_date : Timestamp
        First session of the new regime at the sup-F maximum.
    sup_f, p_value, q, trim
        The sup-F statistic, its asymptotic p-value (see :func:`supf_pvalue`), the number of
        coefficients tested and the trimming fraction.
    f_path : Series
        Chow F statistic for every candidate break date (for plotting).
    ci_low, ci_high, ci_level, ci_sessions
        Bai (1997) confidence interval for the break date: ``k_hat +- ceil(c / L)`` sessions
        with ``L = delta' Q delta / sigma^2`` (``delta`` the coefficient change, ``Q = Z'Z/n``,
        ``sigma^2`` the split-regression residual variance) and ``c`` the quantile of
        ``|argmax_s W(s) - |s|/2|`` (11.03 at 95 %); assumes errors homoskedastic across the
        break, so read it as approximate for stock returns (in the planted-switch simulation of
        the tests, 200 draws, the 95 % interval covered the true date 91.5 % of the time).
        Only meaningful when the test rejects (with no break the date is not identified).
    nobs, start, end
        Sample used.
    stat : str
        ``"F"`` (classical Chow F) or ``"hac"`` (HAC Wald / q).
    before, after : DataFrame
        OLS coefficients of the two segments split at ``break_date``.
    """

    symbol: str
    factors: list[str]
    break_date: pd.Timestamp
    sup_f: float
    p_value: float
    q: int
    trim: float
    f_path: pd.Series
    nobs: int
    start: pd.Timestamp
    end: pd.Timestamp
    stat: str
    before: pd.Series
    after: pd.Series
    orthogonalize: str = "ai"
    ci_low: pd.Timestamp | None = None
    ci_high: pd.Timestamp | None = None
    ci_level: float = 0.95
    ci_sessions: int | None = None

    def summary(self) -> str:
        """Human-readable summary."""
        coef = pd.DataFrame({"before": self.before, "after": self.after})
        coef["diff"] = coef["after"] - coef["before"]
        return "\n".join([
            f"Break search for {self.symbol} on {', '.join(self.factors)} "
            f"({self.nobs} sessions {self.start.date()} to {self.end.date()}, trim {self.trim})",
            f"Most likely break: {self.break_date.date()}  sup-{self.stat} = {self.sup_f:.3f}, "
            f"p = {self.p_value:.3g} (q = {self.q}; Andrews 1993 limit, Estrella 2003 tail)",
            f"{100 * self.ci_level:.0f}% interval for the date (Bai 1997): "
            f"{self.ci_low.date() if self.ci_low is not None else '?'} to "
            f"{self.ci_high.date() if self.ci_high is not None else '?'} "
            f"(+-{self.ci_sessions} sessions)",
            coef.to_string(float_format=lambda v: f"{v: .4f}"),
        ])


def _chow_f_path(y: np.ndarray, Z: np.ndarray, cands: np.ndarray) -> tuple[np.ndarray, float]:
    """Classical Chow F for splits after ``cands`` observations (vectorised with cumulative sums)."""
    n, k = Z.shape
    zz = np.einsum("ti,tj->tij", Z, Z)
    zy = Z * y[:, None]
    czz, czy, cyy = np.cumsum(zz, axis=0), np.cumsum(zy, axis=0), np.cumsum(y * y)
    tzz, tzy, tyy = czz[-1], czy[-1], cyy[-1]

    def ssr(A: np.ndarray, c: np.ndarray, s: np.ndarray) -> np.ndarray:
        sol = np.linalg.solve(A, c[..., None])[..., 0]
        return s - np.einsum("ti,ti->t", c, sol)

    i = cands - 1
    ssr1 = ssr(czz[i], czy[i], cyy[i])
    ssr2 = ssr(tzz[None] - czz[i], tzy[None] - czy[i], tyy - cyy[i])
    ssr0 = float(ssr(tzz[None], tzy[None], np.array([tyy]))[0])
    ssru = ssr1 + ssr2
    F = ((ssr0 - ssru) / k) / (ssru / (n - 2 * k))
    return F, ssr0


def _ols_hac(y: np.ndarray, W: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and Newey-West covariance (Bartlett weights ``1 - j/(L+1)``, small-sample
    factor ``n/(n-k)``); numerically identical to statsmodels ``cov_type="HAC"`` with
    ``use_correction=True`` but without its per-fit overhead (used inside the break search)."""
    n, p = W.shape
    WW = W.T @ W
    b = np.linalg.solve(WW, W.T @ y)
    h = W * (y - W @ b)[:, None]
    S = h.T @ h
    for j in range(1, lags + 1):
        G = h[j:].T @ h[:-j]
        S += (1.0 - j / (lags + 1.0)) * (G + G.T)
    WWi = np.linalg.inv(WW)
    return b, WWi @ S @ WWi * (n / (n - p))


def find_break(returns: pd.DataFrame, symbol: str, factors: Sequence[str] = DEFAULT_FACTORS,
               trim: float = 0.15, *, start: Any = None, end: Any = None,
               stat: Literal["F", "hac"] = "F", hac_lags: int | None = None,
               market: str = "SPY", ai_factor: str | None = "SMH",
               orthogonalize: Orthogonalize = "ai", min_obs: int = 60,
               ci_level: float = 0.95) -> BreakResult:
    """Most likely single break date with unknown timing (Quandt-Andrews sup-F).

    For every candidate split with at least ``trim * T`` observations on each side, the
    Chow F statistic of "all coefficients (intercept and betas) change" is computed; the
    break date is the argmax and the test statistic its maximum (Quandt 1960; Andrews 1993).
    The p-value is asymptotic (:func:`supf_pvalue`, ``q`` = number of coefficients).

    Parameters
    ----------
    returns, symbol, factors
        As in :func:`exposure_shift`.
    trim : float, default 0.15
        Fraction of the sample excluded at each end (Andrews' standard 15 %).
    start, end : date-like, optional
        Restrict the sample.
    stat : {"F", "hac"}, default "F"
        ``"F"``: classical Chow F (fast, vectorised; assumes homoskedastic errors, so volatility
        clusters inflate it). ``"hac"``: HAC Wald / q at every candidate (slower; robust to
        heteroskedasticity and autocorrelation; same limit distribution).
    hac_lags : int, optional
        Lags for ``stat="hac"``; default Newey-West (1994) rule on the full sample.
    market, ai_factor, orthogonalize
        See the module docstring; residualisation fitted over the whole sample.
    min_obs : int, default 60
        Minimum total observations.
    ci_level : float, default 0.95
        Level of the Bai (1997) interval for the break date.

    Returns
    -------
    BreakResult
    """
    returns = _check_returns(returns)
    factors = _check_columns(returns, symbol, factors)
    if not (0.0 < trim < 0.5):
        raise InputError(f"trim={trim} must be between 0 and 0.5 (0.15 is standard)")
    if stat not in ("F", "hac"):
        raise InputError(f"unknown stat {stat!r}; use 'F' or 'hac'")
    frame = _valid_frame(returns, symbol, factors, market, ai_factor, orthogonalize)
    if start is not None:
        frame = frame.loc[_to_day(start, "start"):]
    if end is not None:
        frame = frame.loc[:_to_day(end, "end")]
    n, k = len(frame), len(factors) + 1
    first = max(int(math.ceil(trim * n)), k + 1)
    if n < max(min_obs, 2 * k + 4) or first > n - first:
        raise InputError(
            f"too few observations for {symbol}: {n} valid sessions (need at least "
            f"{max(min_obs, 2 * k + 4)}); widen start/end or use fewer factors"
        )
    X = _orthogonalized(frame, factors, market, ai_factor, orthogonalize)
    y = frame[symbol].to_numpy()
    Z = np.column_stack([np.ones(n), X.to_numpy()])
    cands = np.arange(first, n - first + 1)  # observations in the first regime
    if np.linalg.matrix_rank(Z[:first]) < k or np.linalg.matrix_rank(Z[n - first:]) < k:
        raise InputError(
            f"the regression for {symbol} is singular at the sample ends (a factor is constant "
            "or collinear with others); drop that factor or raise trim"
        )
    if stat == "F":
        F, _ = _chow_f_path(y, Z, cands)
    else:
        lags = hac_lags_rule(n) if hac_lags is None else int(hac_lags)
        F = np.empty(len(cands))
        for j, c in enumerate(cands):
            post = (np.arange(n) >= c).astype(float)
            W = np.column_stack([Z, Z * post[:, None]])
            g, V = _ols_hac(y, W, lags)
            F[j] = float(g[k:] @ np.linalg.solve(V[k:, k:], g[k:])) / k
    idx = pd.DatetimeIndex(frame.index)
    f_path = pd.Series(F, index=idx[cands], name=f"{'chow_F' if stat == 'F' else 'hac_F'}")
    f_path.index.name = "date"
    j = int(np.nanargmax(F))
    c = int(cands[j])
    # lambda for the finite-sample candidate range (as in strucchange): ((n-from) to)/(from (n-to))
    to = n - first
    lam = ((n - first) * to) / (first * (n - to))
    sup = float(F[j])
    p = supf_pvalue(sup, k, trim=trim, lam=lam)
    names = ["alpha", *factors]
    b1, *_ = np.linalg.lstsq(Z[:c], y[:c], rcond=None)
    b2, *_ = np.linalg.lstsq(Z[c:], y[c:], rcond=None)
    delta = b2 - b1
    resid = np.concatenate([y[:c] - Z[:c] @ b1, y[c:] - Z[c:] @ b2])
    sigma2 = float(resid @ resid) / (n - 2 * k)
    signal = float(delta @ (Z.T @ Z / n) @ delta) / sigma2
    half = int(math.ceil(_bai_critical(ci_level) / signal)) if signal > 0 else n
    lo_ci, hi_ci = max(c - half, 0), min(c + half, n - 1)
    return BreakResult(
        symbol=symbol, factors=factors, break_date=idx[c], sup_f=sup, p_value=p, q=k,
        trim=trim, f_path=f_path, nobs=n, start=idx[0], end=idx[-1], stat=stat,
        before=pd.Series(b1, index=names), after=pd.Series(b2, index=names),
        orthogonalize=orthogonalize, ci_low=idx[lo_ci], ci_high=idx[hi_ci],
        ci_level=ci_level, ci_sessions=half,
    )


@lru_cache(maxsize=16)
def _bai_critical(level: float) -> float:
    """Quantile ``c`` with ``P(|argmax_s W(s) - |s|/2| <= c) = level`` (Bai 1997; the CDF of one
    side is Yao's (1987) closed form
    ``G(x) = 1 + sqrt(x/2pi) e^{-x/8} - (x+5)/2 Phi(-sqrt(x)/2) + 3/2 e^x Phi(-3 sqrt(x)/2)``)."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    if not (0.0 < level < 1.0):
        raise InputError(f"ci_level={level} must be between 0 and 1 (0.95 is usual)")

    def cdf_abs(x: float) -> float:
        r = math.sqrt(x)
        # e^x Phi(-1.5 sqrt x) computed in logs to avoid overflow for large x
        tail = math.exp(x + norm.logcdf(-1.5 * r))
        g = 1 + math.sqrt(x / (2 * math.pi)) * math.exp(-x / 8) - 0.5 * (x + 5) * norm.cdf(-r / 2) \
            + 1.5 * tail
        return 2 * g - 1

    return float(brentq(lambda x: cdf_abs(x) - level, 1e-9, 500.0))


def break_table(returns: pd.DataFrame, symbols: Sequence[str],
                factors: Sequence[str] = DEFAULT_FACTORS, events: pd.DataFrame | None = None,
                *, trim: float = 0.15, stat: Literal["F", "hac"] = "hac", start: Any = None,
                end: Any = None, categories: Sequence[str] | None = None,
                market: str = "SPY", ai_factor: str | None = "SMH",
                orthogonalize: Orthogonalize = "ai",
                btc_factor: str | None = "BTC-USD") -> pd.DataFrame:
    """Break date per symbol (:func:`find_break`) beside the nearest catalog announcement.

    Parameters
    ----------
    returns, symbols, factors
        As in :func:`find_break`.
    events : DataFrame, optional
        Events with ``symbol`` (or ``ticker``) and ``event_date`` (e.g.
        ``pivotlib.events.catalog.load_catalog()``); SECTOR/context rows never match a symbol.
    trim, stat, start, end, market, ai_factor, orthogonalize
        Passed to :func:`find_break` (default ``stat="hac"``: robust to volatility clusters).
    categories : sequence of str, optional
        Only events of these categories (default: every event of the symbol).

    Returns
    -------
    DataFrame
        Index ``symbol``; ``break_date``, ``ci_low``, ``ci_high`` (Bai 1997, 95 %), ``sup_f``,
        ``p_value``, ``nobs``, ``btc_before``/``btc_after``/``ai_before``/``ai_after`` (segment
        OLS betas, when those factors are present), and with ``events``: ``nearest_event``
        (date), ``nearest_category``, ``nearest_headline``, ``sessions_from_event`` (break minus
        event, in sessions of ``returns``; positive = break after the event) and
        ``event_in_ci``; ``note`` holds the reason when a symbol could not be analysed.
    """
    returns = _check_returns(returns)
    symbols = [symbols] if isinstance(symbols, str) else list(symbols)
    ev = None
    if events is not None:
        if not isinstance(events, pd.DataFrame):
            raise InputError("events must be a DataFrame (pivotlib.events.catalog.load_catalog())")
        sym_col = "symbol" if "symbol" in events.columns else "ticker"
        if sym_col not in events.columns or "event_date" not in events.columns:
            raise InputError("events need columns 'symbol' (or 'ticker') and 'event_date'")
        ev = events.assign(_d=pd.to_datetime(events["event_date"], errors="coerce"),
                           _s=events[sym_col].astype(str).str.upper())
        ev = ev[ev["_d"].notna()]
        if categories is not None and "category" in ev.columns:
            ev = ev[ev["category"].isin(list(categories))]
    idx = pd.DatetimeIndex(returns.index)
    rows = []
    for sym in symbols:
        _check_columns(returns, sym, factors)
        row: dict[str, Any] = {"symbol": sym, "note": ""}
        try:
            res = find_break(returns, sym, factors, trim=trim, stat=stat, start=start, end=end,
                             market=market, ai_factor=ai_factor, orthogonalize=orthogonalize)
        except InputError as exc:
            row["note"] = str(exc)
            rows.append(row)
            continue
        row.update({"break_date": res.break_date, "ci_low": res.ci_low, "ci_high": res.ci_high,
                    "sup_f": res.sup_f, "p_value": res.p_value, "nobs": res.nobs})
        if btc_factor is not None and btc_factor in res.before.index:
            row.update(btc_before=res.before[btc_factor], btc_after=res.after[btc_factor])
        if ai_factor is not None and ai_factor in res.before.index:
            row.update(ai_before=res.before[ai_factor], ai_after=res.after[ai_factor])
        if ev is not None:
            mine = ev[ev["_s"] == sym.upper()]
            if len(mine):
                gap = (mine["_d"] - res.break_date).abs()
                near = mine.loc[gap.idxmin()]
                d = pd.Timestamp(near["_d"])
                row.update({
                    "nearest_event": d,
                    "nearest_category": near.get("category", ""),
                    "nearest_headline": near.get("headline", ""),
                    "sessions_from_event": int(idx.searchsorted(res.break_date)
                                               - idx.searchsorted(d)),
                    "event_in_ci": bool(res.ci_low <= d <= res.ci_high),
                })
        rows.append(row)
    out = pd.DataFrame(rows).set_index("symbol")
    out.attrs.update({"stat": stat, "trim": trim, "factors": list(factors),
                      "ci": "Bai (1997) 95% interval"})
    return out
