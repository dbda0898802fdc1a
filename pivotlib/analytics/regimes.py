"""Pivot regime analytics: is a miner trading like bitcoin or like AI infrastructure?

The thesis behind the suite is that some bitcoin miners are turning into AI data-centre
companies. If so, their daily returns should load less on bitcoin and more on an
AI-infrastructure factor over time, and the change should line up with their announcements.
This module measures that with linear factor regressions of daily simple returns

.. math:: r_{i,t} = \\alpha + \\beta_{MKT} r_{MKT,t} + \\beta_{BTC} r_{BTC,t}
          + \\beta_{AI} r_{AI,t} + \\varepsilon_t

(defaults: market ``SPY``, bitcoin ``BTC-USD`` aligned to NYSE sessions, AI factor ``SMH``).

Public functions
----------------
rolling_exposures
    Rolling-window betas, their standard errors and R².
exposure_shift
    Betas before and after a known date, their difference with Newey-West (HAC) standard
    errors, and Chow tests of the whole coefficient vector (classical F and HAC Wald).
find_break
    The most likely single break date when the timing is unknown (Quandt-Andrews sup-F).
pivot_scores
    One row per miner: change in BTC beta, change in AI beta and a pivot score with a
    confidence interval, ranked.
ai_basket_returns
    Returns of an (equal-)weighted basket, e.g. an AI-infrastructure basket to use as the AI
    factor instead of SMH.
quarterly_correlations, break_table
    Notebook helpers: correlation with BTC and the (AI-specific) AI factor by quarter, and the
    break date per symbol beside the nearest catalog announcement.
supf_pvalue, hac_lags_rule
    The sup-F p-value and the Newey-West lag rule, exposed for reuse and checking.

Orthogonalisation (``orthogonalize``)
------------------------------------
SMH moves with the market (beta to SPY about 1.8, R² about 0.65), so an "AI beta" from a
regression *without* the market would largely be the market again. By default
(``orthogonalize="ai"``) the AI factor is replaced by its residual from an OLS regression
(with intercept) on the market factor, fitted over exactly the rows being analysed. Two
consequences, both by the Frisch-Waugh-Lovell theorem:

* when the market is among the regressors (the default), the AI and BTC betas are *identical*
  with or without orthogonalisation; only the market beta changes meaning, from "market
  exposure holding SMH fixed" to "total market exposure, including the part that arrives
  through the AI factor";
* when the market is *not* among the regressors, the orthogonalised AI beta still measures
  exposure to AI-specific moves only.

``"all"`` residualises every non-market factor (BTC too) on the market; ``"none"`` uses raw
factor returns.

Windows
-------
All windows count *valid observations*: sessions on which the symbol and every factor
(and the market, when it is needed for orthogonalisation) have a return. ``before=250``
therefore means the 250 valid sessions strictly before ``date`` and ``after=250`` the 250
valid sessions from ``date`` on (``date`` itself is the first session of the new regime).

References
----------
Bai, J. (1997). Estimation of a change point in multiple regression models. Review of
    Economics and Statistics 79(4), 551-563.
Andrews, D. W. K. (1993). Tests for parameter instability and structural change with unknown
    change point. Econometrica 61(4), 821-856; corrigendum Econometrica 71(1) (2003), 395-397.
Chow, G. C. (1960). Tests of equality between sets of coefficients in two linear regressions.
    Econometrica 28(3), 591-605.
Hall, P., Horowitz, J. L. and Jing, B.-Y. (1995). On blocking rules for the bootstrap with
    dependent data. Biometrika 82(3), 561-574.
Estrella, A. (2003). Critical values and p values of Bessel process distributions: computation
    and application to structural break tests. Econometric Theory 19(6), 1128-1143.
Hansen, B. E. (1997). Approximate asymptotic p values for structural-change tests. Journal of
    Business & Economic Statistics 15(1), 60-67.
Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
    autocorrelation consistent covariance matrix. Econometrica 55(3), 703-708.
Newey, W. K. and West, K. D. (1994). Automatic lag selection in covariance matrix estimation.
    Review of Economic Studies 61(4), 631-653.
Quandt, R. E. (1960). Tests of the hypothesis that a linear regression system obeys two
    separate regimes. JASA 55(290), 324-330.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd

from pivotlib.data.calendar import parse_day
from pivotlib.defaults import FactorRoles
from pivotlib.errors import InputError
from pivotlib.events.taxonomy import AI_ONLY_CATEGORIES, is_ai_category  # noqa: F401 (re-export)

__all__ = [
    "DEFAULT_FACTORS",
    "BreakResult",
    "ExposureShift",
    "ai_basket_returns",
    "break_table",
    "exposure_shift",
    "find_break",
    "hac_lags_rule",
    "AI_ONLY_CATEGORIES",
    "is_ai_category",
    "pivot_scores",
    "quarterly_correlations",
    "rolling_exposures",
    "supf_pvalue",
]

DEFAULT_FACTORS: tuple[str, ...] = ("SPY", "BTC-USD", "SMH")
"""Default factors: market, bitcoin, AI infrastructure."""

Orthogonalize = Literal["ai", "all", "none"]

HAC_RULE = "floor(4 * (T / 100) ** (2 / 9))  [Newey and West (1994) rule of thumb, Bartlett kernel]"


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def hac_lags_rule(nobs: int) -> int:
    """Newey-West (1994) rule-of-thumb lag truncation ``floor(4 * (T/100) ** (2/9))``.

    Parameters
    ----------
    nobs : int
        Number of observations ``T`` in the regression.

    Returns
    -------
    int
        The number of lags used by the Bartlett-kernel HAC covariance (at least 1).
    """
    return max(1, int(math.floor(4.0 * (nobs / 100.0) ** (2.0 / 9.0))))


def _check_returns(returns: Any) -> pd.DataFrame:
    if not isinstance(returns, pd.DataFrame):
        raise InputError(
            f"returns must be a wide pandas DataFrame (one column per symbol), got "
            f"{type(returns).__name__}; load it with pivotlib.data.loading.load_returns"
        )
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise InputError(
            "returns must be indexed by session dates (a DatetimeIndex); "
            "set the index with pd.to_datetime(...)"
        )
    if not returns.index.is_monotonic_increasing:
        returns = returns.sort_index()
    return returns


def _check_columns(returns: pd.DataFrame, symbol: str, factors: Sequence[str]) -> list[str]:
    if isinstance(factors, str):
        factors = [factors]
    factors = list(factors)
    if not factors:
        raise InputError("factors is empty; pass at least one factor, e.g. ['SPY', 'BTC-USD', 'SMH']")
    if len(set(factors)) != len(factors):
        raise InputError(f"factors {factors} contain duplicates; list each factor once")
    have = list(map(str, returns.columns))
    if symbol not in returns.columns:
        raise InputError(
            f"unknown symbol {symbol!r}: not a column of the returns frame "
            f"(columns: {', '.join(have[:30])}); load it or fix the spelling"
        )
    missing = [f for f in factors if f not in returns.columns]
    if missing:
        raise InputError(
            f"unknown factor(s) {missing}: not columns of the returns frame "
            f"(columns: {', '.join(have[:30])}); load them or add a basket column "
            "built with ai_basket_returns"
        )
    if symbol in factors:
        raise InputError(f"{symbol!r} is both the symbol and a factor; remove it from factors")
    return factors


def _needs_market(factors: Sequence[str], market: str, ai_factor: str | None,
                  orthogonalize: str) -> bool:
    if orthogonalize not in ("ai", "all", "none"):
        raise InputError(f"unknown orthogonalize={orthogonalize!r}; use 'ai', 'all' or 'none'")
    if orthogonalize == "none":
        return False
    if orthogonalize == "ai":
        return ai_factor is not None and ai_factor in factors and ai_factor != market
    return any(f != market for f in factors)


def _valid_frame(returns: pd.DataFrame, symbol: str, factors: list[str], market: str,
                 ai_factor: str | None, orthogonalize: str) -> pd.DataFrame:
    """Rows where the symbol, the factors (and the market if needed) are all finite."""
    cols = [symbol, *factors]
    if _needs_market(factors, market, ai_factor, orthogonalize) and market not in cols:
        if market not in returns.columns:
            raise InputError(
                f"orthogonalize={orthogonalize!r} residualises on the market factor {market!r}, "
                "which is not a column of the returns frame; add it, pass market=<column>, "
                "or pass orthogonalize='none'"
            )
        cols.append(market)
    frame = returns[cols].apply(pd.to_numeric, errors="coerce").astype("float64")
    frame = frame.replace([np.inf, -np.inf], np.nan).dropna(how="any")
    return frame


def _orthogonalized(frame: pd.DataFrame, factors: list[str], market: str,
                    ai_factor: str | None, orthogonalize: str) -> pd.DataFrame:
    """Factor matrix (columns = ``factors``) with the chosen factors residualised on the market."""
    X = frame[factors].copy()
    if orthogonalize == "none":
        return X
    targets = ([ai_factor] if orthogonalize == "ai" else list(factors))
    targets = [f for f in targets if f is not None and f in factors and f != market]
    if not targets:
        return X
    m = frame[market].to_numpy()
    M = np.column_stack([np.ones_like(m), m])
    for f in targets:
        coef, *_ = np.linalg.lstsq(M, X[f].to_numpy(), rcond=None)
        X[f] = X[f].to_numpy() - M @ coef
    return X


_to_day = parse_day  # dates in messages are named by ``what``: "date", "event date", ...


def _session_position(index: pd.DatetimeIndex, date: Any, what: str = "date") -> int:
    """Position of the first row on or after ``date``; InputError if outside the data."""
    ts = _to_day(date, what)
    if len(index) == 0:
        raise InputError("no valid observations (symbol and factors never overlap); check the data")
    if ts < index[0] or ts > index[-1]:
        raise InputError(
            f"{what} {ts.date()} is outside the data ({index[0].date()} to {index[-1].date()} "
            "where the symbol and all factors have returns); pick a date inside that range"
        )
    return int(index.searchsorted(ts, side="left"))


# ---------------------------------------------------------------------------------------------
# rolling exposures
# ---------------------------------------------------------------------------------------------


def rolling_exposures(returns: pd.DataFrame, symbol: str,
                      factors: Sequence[str] = DEFAULT_FACTORS, window: int = 120,
                      min_periods: int | None = None, *, market: str = "SPY",
                      ai_factor: str | None = "SMH", orthogonalize: Orthogonalize = "ai",
                      cov_type: Literal["nonrobust", "HC0"] = "nonrobust") -> pd.DataFrame:
    """Rolling-window OLS betas of ``symbol`` on ``factors``.

    Uses :class:`statsmodels.regression.rolling.RollingOLS` on the valid observations (rows
    where the symbol and all factors have returns); each row of the result is the regression
    over the ``window`` valid sessions ending on (and including) that session.

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
    from statsmodels.regression.rolling import RollingOLS

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
    model = RollingOLS(frame[symbol], exog, window=window, min_nobs=first, expanding=expanding)
    res = model.fit(cov_type="HCCM" if cov_type == "HC0" else "nonrobust")
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


# ---------------------------------------------------------------------------------------------
# exposure shift at a known date
# ---------------------------------------------------------------------------------------------


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
        if lo < 0:
            notes.append(f"before-window clipped to {pos} sessions (asked {before})")
        if hi > len(idx):
            notes.append(f"after-window clipped to {len(idx) - pos} sessions (asked {after})")
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


# ---------------------------------------------------------------------------------------------
# sup-F p-values
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# break with unknown timing
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# baskets and pivot scores
# ---------------------------------------------------------------------------------------------


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


def _dates_by_symbol(symbols: list[str], date_or_events: Any,
                     categories: Sequence[str] | None) -> dict[str, pd.Timestamp | None]:
    if isinstance(date_or_events, pd.DataFrame):
        ev = date_or_events
        sym_col = "symbol" if "symbol" in ev.columns else ("ticker" if "ticker" in ev.columns else None)
        if sym_col is None or "event_date" not in ev.columns:
            raise InputError(
                "the events frame needs columns 'symbol' (or 'ticker') and 'event_date'; "
                "load it with pivotlib.events.catalog.load_catalog"
            )
        ev = ev.copy()
        ev["_d"] = pd.to_datetime(ev["event_date"], errors="coerce")
        ev = ev[ev["_d"].notna()]
        if categories is not None:
            ev = ev[ev["category"].isin(list(categories))] if "category" in ev.columns else ev
        elif "category" in ev.columns:
            ev = ev[ev["category"].map(is_ai_category)]
        first = ev.groupby(ev[sym_col].astype(str).str.upper())["_d"].min()
        return {s: (first[s] if s in first.index else None) for s in symbols}
    if isinstance(date_or_events, Mapping):
        out: dict[str, pd.Timestamp | None] = {}
        for s in symbols:
            v = date_or_events.get(s)
            out[s] = None if v is None or (not isinstance(v, str) and pd.isna(v)) else pd.Timestamp(v)
        return out
    if date_or_events is None:
        raise InputError("date_or_events is required: a date, a {symbol: date} mapping or an "
                         "events DataFrame")
    try:
        d = pd.Timestamp(date_or_events)
    except (TypeError, ValueError) as exc:
        raise InputError(f"date_or_events {date_or_events!r} is not a date, a mapping or an "
                         "events DataFrame") from exc
    return {s: d for s in symbols}


def pivot_scores(returns: pd.DataFrame, symbols: Sequence[str],
                 factors: Sequence[str] = DEFAULT_FACTORS, date_or_events: Any = None, *,
                 before: int = 250, after: int = 250, btc_factor: str = "BTC-USD",
                 ai_factor: str = "SMH", market: str = "SPY",
                 orthogonalize: Orthogonalize = "ai", hac_lags: int | None = None,
                 alpha: float = 0.05, clip: bool = False, min_obs: int = 60,
                 categories: Sequence[str] | None = None,
                 errors: Literal["raise", "skip"] = "raise",
                 ci_method: Literal["hac", "bootstrap"] = "hac", n_boot: int = 999,
                 block: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Rank miners by how far they moved from bitcoin towards AI infrastructure.

    For each symbol, :func:`exposure_shift` at its date gives the change in BTC beta
    (``delta_btc_beta``) and in AI beta (``delta_ai_beta``) with their joint HAC covariance.
    The pivot score is

    .. math:: \\text{pivot} = \\Delta\\beta_{AI} - \\Delta\\beta_{BTC},

    in beta units (a name whose BTC beta fell by 1.3 while its AI beta rose by 1.2 scores 2.5;
    zero means no net move). Its standard error is
    ``sqrt(Var(dAI) + Var(dBTC) - 2 Cov(dAI, dBTC))`` from the HAC covariance of the two
    differences, the interval is ``score +- z_{1-alpha/2} * se`` and ``p_value`` tests
    ``score = 0`` (normal). Rows are ranked by score, highest first.

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns.
    symbols : sequence of str
        Miners to score.
    factors : sequence of str
        Must contain ``btc_factor`` and ``ai_factor``.
    date_or_events : date, mapping or DataFrame
        One date for all symbols, a ``{symbol: date}`` mapping, or an events frame with
        ``symbol`` (or ``ticker``) and ``event_date``: each symbol's *first AI event* is used
        (categories passing :func:`is_ai_category`, or those in ``categories``).
    before, after, hac_lags, market, orthogonalize, clip, min_obs
        Passed to :func:`exposure_shift`.
    btc_factor, ai_factor : str
        Which factors are "bitcoin" and "AI".
    alpha : float, default 0.05
        Interval level ``1 - alpha``.
    categories : sequence of str, optional
        Event categories that count as AI events (default: :func:`is_ai_category`).
    errors : {"raise", "skip"}, default "raise"
        ``"skip"`` keeps a symbol without a date or with too little data as a row with NaN
        numbers and the reason in ``note`` (ranked last) instead of raising.
    ci_method : {"hac", "bootstrap"}, default "hac"
        ``"hac"``: normal interval from the HAC covariance. ``"bootstrap"``: percentile interval
        from a moving-block bootstrap within each regime (:meth:`ExposureShift.bootstrap_contrast`,
        ``n_boot`` resamples, ``block`` sessions, ``seed``); ``se_score`` is then the bootstrap
        standard error and ``p_value`` stays the HAC one.

    Returns
    -------
    DataFrame
        Index ``symbol``; columns ``rank``, ``date``, ``n_before``, ``n_after``,
        ``btc_beta_before``, ``btc_beta_after``, ``delta_btc_beta``, ``se_delta_btc``,
        ``ai_beta_before``, ``ai_beta_after``, ``delta_ai_beta``, ``se_delta_ai``,
        ``pivot_score``, ``se_score``, ``ci_low``, ``ci_high``, ``p_value``, ``chow_hac_p``,
        ``hac_lags``, ``note``.
    """
    from scipy import stats

    returns = _check_returns(returns)
    symbols = [symbols] if isinstance(symbols, str) else list(symbols)
    if not symbols:
        raise InputError("symbols is empty; pass the miners to score, e.g. ['APLD', 'IREN']")
    factors = list(factors)
    for role, f in (("btc_factor", btc_factor), ("ai_factor", ai_factor)):
        if f not in factors:
            raise InputError(f"{role}={f!r} is not among factors {factors}; add it to factors "
                             f"or pass {role}=<one of the factors>")
    FactorRoles(market=market, bitcoin=btc_factor, ai=ai_factor).validate()
    if errors not in ("raise", "skip"):
        raise InputError(f"unknown errors={errors!r}; use 'raise' or 'skip'")
    if not (0.0 < alpha < 1.0):
        raise InputError(f"alpha={alpha} must be between 0 and 1 (0.05 gives a 95% interval)")
    if ci_method not in ("hac", "bootstrap"):
        raise InputError(f"unknown ci_method={ci_method!r}; use 'hac' or 'bootstrap'")
    for s in symbols:  # unknown names are always an error, whatever `errors` says
        _check_columns(_check_returns(returns), s, factors)
    dates = _dates_by_symbol(symbols, date_or_events, categories)
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    rows = []
    for s in symbols:
        row: dict[str, Any] = {"symbol": s, "date": dates[s], "note": ""}
        try:
            if dates[s] is None:
                raise InputError(f"no date for {s}: no AI event in the events frame / mapping")
            res = exposure_shift(returns, s, factors, dates[s], before=before, after=after,
                                 hac_lags=hac_lags, market=market, ai_factor=ai_factor,
                                 orthogonalize=orthogonalize, clip=clip, min_obs=min_obs)
        except InputError as exc:
            if errors == "raise":
                raise
            row["note"] = str(exc)
            rows.append(row)
            continue
        t = res.table.set_index("factor")
        score, se = res.contrast({ai_factor: 1.0, btc_factor: -1.0})
        p_hac = float(2.0 * stats.norm.sf(abs(score / se))) if se > 0 else float("nan")
        if ci_method == "bootstrap":
            se_b, lo_b, hi_b = res.bootstrap_contrast({ai_factor: 1.0, btc_factor: -1.0},
                                                      n_boot=n_boot, block=block, seed=seed,
                                                      alpha=alpha)
        else:
            se_b, lo_b, hi_b = se, score - z * se, score + z * se
        row.update({
            "date": res.date, "n_before": res.n_before, "n_after": res.n_after,
            "btc_beta_before": t.at[btc_factor, "beta_before"],
            "btc_beta_after": t.at[btc_factor, "beta_after"],
            "delta_btc_beta": t.at[btc_factor, "diff"], "se_delta_btc": t.at[btc_factor, "se_diff"],
            "ai_beta_before": t.at[ai_factor, "beta_before"],
            "ai_beta_after": t.at[ai_factor, "beta_after"],
            "delta_ai_beta": t.at[ai_factor, "diff"], "se_delta_ai": t.at[ai_factor, "se_diff"],
            "pivot_score": score, "se_score": se_b, "ci_low": lo_b, "ci_high": hi_b,
            "p_value": p_hac,
            "chow_hac_p": res.chow_hac_p, "hac_lags": res.hac_lags,
            "note": "; ".join(res.notes),
        })
        rows.append(row)
    cols = ["symbol", "date", "n_before", "n_after", "btc_beta_before", "btc_beta_after",
            "delta_btc_beta", "se_delta_btc", "ai_beta_before", "ai_beta_after", "delta_ai_beta",
            "se_delta_ai", "pivot_score", "se_score", "ci_low", "ci_high", "p_value",
            "chow_hac_p", "hac_lags", "note"]
    out = pd.DataFrame(rows).reindex(columns=cols)
    out = out.sort_values("pivot_score", ascending=False, na_position="last", kind="stable")
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    out.loc[out["pivot_score"].isna(), "rank"] = np.nan
    out = out.set_index("symbol")
    out.attrs.update({
        "score": f"delta_ai_beta - delta_btc_beta ({ai_factor} minus {btc_factor})",
        "interval": (f"{100 * (1 - alpha):.0f}% normal interval from the HAC covariance"
                     if ci_method == "hac" else
                     f"{100 * (1 - alpha):.0f}% moving-block bootstrap percentile interval "
                     f"({n_boot} resamples, seed {seed})"),
        "hac_rule": HAC_RULE if hac_lags is None else f"user-supplied ({hac_lags})",
        "factors": factors, "orthogonalize": orthogonalize, "before": before, "after": after,
    })
    return out


# ---------------------------------------------------------------------------------------------
# notebook helpers
# ---------------------------------------------------------------------------------------------


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
