"""Rolling-window OLS over every window at once (what ``statsmodels`` RollingOLS computes).

:class:`statsmodels.regression.rolling.RollingOLS` fits one window at a time in Python (a
matrix inverse, the residuals and the sums of squares per window: about 50 microseconds each,
0.6 s for the ten rolling-beta series of the Merge study). :func:`rolling_ols` forms the
same quantities for all windows with strided views of the data, one batched inverse and
``numpy.einsum``:

    b_t = (X_t'X_t)^{-1} X_t'y_t,   e_t = y_t - X_t b_t,   SSR_t = e_t'e_t,
    s2_t = SSR_t / (n_t - k),       Cov_t = s2_t (X_t'X_t)^{-1}                (classical)
    Cov_t = (X_t'X_t)^{-1} (sum_s e_s^2 x_s x_s') (X_t'X_t)^{-1}                 (White HC0)
    R^2_t = 1 - SSR_t / sum_s (y_s - ybar_t)^2

over the window ``X_t`` of the ``window`` rows ending at row ``t`` (or, ``expanding``, the
rows ``0..t`` until the window is full), as in RollingOLS with ``method="inv"`` (Greene,
*Econometric Analysis*, 8th ed., eq. 4-37 and 4-39 for the two covariances). The window sums
are taken directly (no running sum with subtractions), so the numbers agree with RollingOLS to
rounding (tested to 1e-9 in ``tests/test_regimes.py``). A window whose ``X'X`` cannot be
inverted gives NaN, as RollingOLS leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


@dataclass
class RollingFit:
    """Per-row results (NaN where no window ends or it could not be fitted).

    Attributes
    ----------
    params, bse : (N, k) arrays
    rsquared : (N,) array
    nobs : (N,) array
        Observations of the window ending on the row (0 where none was fitted, as in
        RollingOLS).
    """

    params: np.ndarray
    bse: np.ndarray
    rsquared: np.ndarray
    nobs: np.ndarray


def rolling_ols(y: np.ndarray, X: np.ndarray, window: int, *, min_nobs: int | None = None,
                expanding: bool = False, hc0: bool = False) -> RollingFit:
    """Fit ``y`` on ``X`` (a constant column included by the caller) over rolling windows.

    Parameters
    ----------
    y : (N,) array
        Response (no missing values).
    X : (N, k) array
        Regressors (no missing values).
    window : int
        Rows per window.
    min_nobs : int, optional
        First window size reported (default ``window``); with ``expanding`` the rows before
        a full window use all rows so far once there are ``min_nobs`` of them.
    expanding : bool
        See ``min_nobs``.
    hc0 : bool
        White (HC0) standard errors instead of the classical ones.

    Returns
    -------
    RollingFit
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    first = int(window if min_nobs is None else min_nobs)
    pad = window - 1 if expanding else 0
    # zero rows in front stand for "no observation": they add nothing to any sum
    yp = np.concatenate([np.zeros(pad), y])
    Xp = np.concatenate([np.zeros((pad, k)), X])
    on = np.concatenate([np.zeros(pad), np.ones(n)])
    Yw = sliding_window_view(yp, window)  # (M, w): window ending at row (start + w - 1 - pad)
    Xw = sliding_window_view(Xp, window, axis=0)  # (M, k, w)
    Ow = sliding_window_view(on, window)
    end = np.arange(Yw.shape[0]) + window - 1 - pad  # row of the data each window ends at
    nobs = Ow.sum(axis=1)
    keep = nobs >= first
    Yw, Xw, Ow, end, nobs = Yw[keep], Xw[keep], Ow[keep], end[keep], nobs[keep]
    XwT = Xw.swapaxes(1, 2)  # (M, w, k)
    xpx = Xw @ XwT
    xpy = (Xw @ Yw[..., None])[..., 0]
    xpxi = _inv(xpx)
    params = (xpxi @ xpy[..., None])[..., 0]
    resid = (Yw - (XwT @ params[..., None])[..., 0]) * Ow
    ssr = np.einsum("mw,mw->m", resid, resid)
    if hc0:
        xe = Xw * resid[:, None, :]
        cov = xpxi @ (xe @ xe.swapaxes(1, 2)) @ xpxi
    else:
        cov = (ssr / (nobs - k))[:, None, None] * xpxi
    ybar = (Yw * Ow).sum(axis=1) / nobs
    ctss = np.einsum("mw,mw->m", (Yw - ybar[:, None]) * Ow, (Yw - ybar[:, None]) * Ow)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = 1.0 - ssr / ctss
        bse = np.sqrt(np.diagonal(cov, 0, 1, 2))
    out = RollingFit(np.full((n, k), np.nan), np.full((n, k), np.nan), np.full(n, np.nan),
                     np.zeros(n))
    ok = np.isfinite(params).all(axis=1)
    out.params[end[ok]] = params[ok]
    out.bse[end[ok]] = bse[ok]
    out.rsquared[end[ok]] = r2[ok]
    out.nobs[end[ok]] = nobs[ok]
    return out


def _inv(a: np.ndarray) -> np.ndarray:
    """Batched inverse; a singular matrix gives NaN (the others are still inverted)."""
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        out = np.full_like(a, np.nan)
        for i in range(len(a)):
            try:
                out[i] = np.linalg.inv(a[i])
            except np.linalg.LinAlgError:
                pass
        return out
