"""Normal-return models fitted over stacked estimation windows.

Two engines produce identical numbers (tested to 1e-10):

* :func:`fit_vectorized` solves the normal equations of every event at once
  (``numpy.einsum`` + batched ``numpy.linalg``) on demeaned regressors;
* :func:`fit_statsmodels` fits one ``statsmodels.OLS`` per event (the reference loop).

Models (MacKinlay 1997, "Event Studies in Economics and Finance", JEL 35(1), sec. 4):

``constant_mean``  R_it = mu_i + e_it                                   (k = 1)
``market_adjusted`` AR_it = R_it - R_mt, nothing estimated            (k = 0)
``market``          R_it = alpha_i + beta_i R_mt + e_it               (k = 2)
``factors``         R_it = alpha_i + sum_j beta_ij F_jt + e_it         (k = 1 + #factors)

For ``market_adjusted`` (k = 0) sigma^2 = sum_t (R_it - R_mt)^2 / M: the expected AR is 0 by
construction, so no mean is estimated. ``sigma_ddof=1`` changes only the divisor to M - 1; the
estimation ARs are never re-centred.

For every event the fit returns what the statistics need: parameters, the residual variance
``sigma^2 = SSE / (M - ddof)`` (default ``ddof = k``, i.e. the unbiased OLS estimator used by
EventStudyTools, R ``EventStudy`` and Stata ``eventstudy2``; estudy2 uses ``M - 1``), and the
forecast-error factor of each event day in its general form

    C_t = 1 + x_t' (X'X)^{-1} x_t = 1 + 1/M + (x_t - xbar)' S_xx^{-1} (x_t - xbar),

(Patell 1976, eq. 4; MacKinlay 1997, eq. 8 for the market model), and the exact variance of a
CAR over the valid event days (MacKinlay 1997, eq. 15-16)

    Var(CAR_i) = sigma^2 * 1'(I + X*(X'X)^{-1}X*')1 = sigma^2 [L2 + L2^2/M + d' S_xx^{-1} d],
    d = sum_t (x_t - xbar) over the event days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODELS = ("constant_mean", "market_adjusted", "market", "factors")


@dataclass
class Fit:
    """Per-event fit arrays (N events, Le estimation days, L event days, p regressors).

    Attributes
    ----------
    params : (N, p + 1) array
        Intercept first, then slopes (``market_adjusted``: 0 and 1 fixed).
    sigma : (N,) residual standard deviation with ``M - ddof`` degrees of freedom.
    n_est : (N,) number of estimation observations used (M).
    k : int, number of estimated parameters.
    resid_est : (N, Le) estimation residuals, NaN where not used.
    ar : (N, L) event-window abnormal returns, NaN where missing.
    c_evt : (N, L) forecast-error factor C_t of each event day.
    var_car_corr : (N,) forecast-error-corrected variance of the full-window CAR.
    d_evt : (N, L, p) demeaned event regressors (for sub-window corrected variances).
    sxx_inv : (N, p, p) inverse demeaned cross-product matrix.
    sst : (N,) total sum of squares of R over the estimation window (around its mean).
    singular : (N,) bool, regressors (near-)collinear or constant.
    """

    params: np.ndarray
    sigma: np.ndarray
    n_est: np.ndarray
    k: int
    resid_est: np.ndarray
    ar: np.ndarray
    c_evt: np.ndarray
    var_car_corr: np.ndarray
    d_evt: np.ndarray
    sxx_inv: np.ndarray
    sst: np.ndarray
    sse: np.ndarray
    singular: np.ndarray


def n_params(model: str, n_regressors: int) -> int:
    """Number of estimated parameters k of a model (intercept included)."""
    if model == "market_adjusted":
        return 0
    return 1 + n_regressors


def fit_vectorized(y_est: np.ndarray, x_est: np.ndarray, mask_est: np.ndarray,
                   y_evt: np.ndarray, x_evt: np.ndarray, mask_evt: np.ndarray,
                   model: str, ddof: int | None = None) -> Fit:
    """Fit every event's normal-return model at once.

    Parameters
    ----------
    y_est, x_est, mask_est : arrays (N, Le), (N, Le, p), (N, Le)
        Firm returns, regressors and the validity mask over the estimation windows.
    y_evt, x_evt, mask_evt : arrays (N, L), (N, L, p), (N, L)
        The same over the event windows.
    model : str
        One of :data:`MODELS`. For ``market_adjusted`` ``x`` holds the market only.
    ddof : int, optional
        Residual degrees-of-freedom correction; default ``k``.

    Returns
    -------
    Fit
    """
    n, _le = y_est.shape
    p = x_est.shape[2]
    k = n_params(model, p)
    ddof = k if ddof is None else int(ddof)
    w = mask_est.astype(float)
    m = w.sum(axis=1)
    msafe = np.where(m > 0, m, 1.0)
    y0 = np.where(mask_est, y_est, 0.0)
    x0 = np.where(mask_est[..., None], x_est, 0.0)
    ybar = y0.sum(axis=1) / msafe
    yc = (y0 - ybar[:, None]) * w
    sst = np.einsum("nt,nt->n", yc, yc)
    ev = mask_evt
    if model == "market_adjusted":
        resid = np.where(mask_est, y_est - x_est[..., 0], np.nan)
        r0 = np.nan_to_num(resid)
        sse = np.einsum("nt,nt->n", r0, r0)
        return market_adjusted_fit(sse, m, k, ddof, resid, y_evt, x_evt, ev, sst)
    if p:
        xbar = x0.sum(axis=1) / msafe[:, None]
        xc = (x0 - xbar[:, None, :]) * w[..., None]
        sxx = np.einsum("ntp,ntq->npq", xc, xc)
        sxy = np.einsum("ntp,nt->np", xc, yc)
        raw = np.einsum("ntp,ntp->np", x0, x0)
        singular, sxx_inv, b, a = solve_normal(sxx, sxy, raw, xbar, ybar)
        fitted_c = np.einsum("ntp,np->nt", xc, b)
        resid0 = yc - fitted_c  # both are 0 where the mask is off
    else:
        xbar = sxx_inv = b = a = None
        resid0 = yc
    sse = np.einsum("nt,nt->n", resid0, resid0)
    resid = np.where(mask_est, resid0, np.nan)
    return finish_fit(sse, m, k, ddof, resid, y_evt, x_evt, ev, sst, ybar, xbar, a, b,
                      sxx_inv, singular if p else None)


def solve_normal(sxx: np.ndarray, sxy: np.ndarray, raw: np.ndarray, xbar: np.ndarray,
                 ybar: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Solve the centred normal equations of every row: (singular, S_xx^{-1}, b, a).

    ``raw`` holds each regressor's raw (uncentred) sum of squares. A factor that is constant
    over the window (centred sum of squares negligible against its raw sum of squares) or
    collinear factors make S_xx singular: flagged (``singular``), solved with the identity in
    its place so nothing crashes; such rows are never reported.
    """
    p = sxx.shape[1]
    diag = np.einsum("npp->np", sxx)
    const = (diag <= 1e-20 * np.maximum(raw, 1e-300)).any(axis=1)
    eig = np.linalg.eigvalsh(sxx)
    singular = const | ~(eig[:, 0] > 1e-12 * np.maximum(diag.max(axis=1), 1e-300))
    sxx_safe = np.where(singular[:, None, None], np.eye(p)[None], sxx)
    sxx_inv = np.linalg.inv(sxx_safe)
    b = np.einsum("npq,nq->np", sxx_inv, sxy)
    a = ybar - np.einsum("np,np->n", xbar, b)
    return singular, sxx_inv, b, a


def market_adjusted_fit(sse: np.ndarray, m: np.ndarray, k: int, ddof: int, resid: np.ndarray,
                        y_evt: np.ndarray, x_evt: np.ndarray, ev: np.ndarray,
                        sst: np.ndarray) -> Fit:
    """The :class:`Fit` of ``market_adjusted`` (nothing estimated) from its SSE."""
    n = len(sse)
    params = np.column_stack([np.zeros(n), np.ones(n)])
    ar = np.where(ev, y_evt - x_evt[..., 0], np.nan)
    nev = ev.sum(axis=1)
    sigma2 = sse / np.maximum(m - ddof, 1)
    return Fit(params, np.sqrt(sigma2), m.astype(int), k, resid, ar, np.ones_like(ar),
               sigma2 * nev, np.zeros((n, y_evt.shape[1], 0)), np.zeros((n, 0, 0)), sst, sse,
               np.zeros(n, dtype=bool))


def finish_fit(sse: np.ndarray, m: np.ndarray, k: int, ddof: int, resid: np.ndarray,
               y_evt: np.ndarray, x_evt: np.ndarray, ev: np.ndarray, sst: np.ndarray,
               ybar: np.ndarray, xbar: np.ndarray | None, a: np.ndarray | None,
               b: np.ndarray | None, sxx_inv: np.ndarray | None,
               singular: np.ndarray | None) -> Fit:
    """The event-window part of a fit (ARs, C_t, the corrected CAR variance) and the
    :class:`Fit`, given the estimation's SSE and parameters (``xbar`` None: constant mean)."""
    n = len(sse)
    msafe = np.where(m > 0, m, 1.0)
    if xbar is not None:
        d_evt = np.where(ev[..., None], x_evt - xbar[:, None, :], 0.0)
        quad = np.einsum("ntp,npq,ntq->nt", d_evt, sxx_inv, d_evt)
        dsum = d_evt.sum(axis=1)
        quad_sum = np.einsum("np,npq,nq->n", dsum, sxx_inv, dsum)
        ar = np.where(ev, y_evt - a[:, None] - np.einsum("ntp,np->nt", np.nan_to_num(x_evt), b),
                      np.nan)
        params = np.column_stack([a, b])
    else:
        singular = np.zeros(n, dtype=bool)
        sxx_inv = np.zeros((n, 0, 0))
        d_evt = np.zeros((n, y_evt.shape[1], 0))
        quad = np.zeros(y_evt.shape)
        quad_sum = np.zeros(n)
        ar = np.where(ev, y_evt - ybar[:, None], np.nan)
        params = ybar[:, None]
    sigma2 = sse / np.maximum(m - ddof, 1)
    nev = ev.sum(axis=1)
    c_evt = np.where(ev, 1.0 + 1.0 / msafe[:, None] + quad, np.nan)
    var_car = sigma2 * (nev + nev**2 / msafe + quad_sum)
    return Fit(params, np.sqrt(sigma2), m.astype(int), k, resid, ar, c_evt, var_car, d_evt,
               sxx_inv, sst, sse, singular)


def fit_statsmodels(y_est: np.ndarray, x_est: np.ndarray, mask_est: np.ndarray,
                    y_evt: np.ndarray, x_evt: np.ndarray, mask_evt: np.ndarray,
                    model: str, ddof: int | None = None) -> Fit:
    """Reference engine: one ``statsmodels.OLS`` per event (slow; same outputs as
    :func:`fit_vectorized`).

    ``C_t`` and the corrected CAR variance use ``results.normalized_cov_params`` =
    (X'X)^{-1} with the intercept column, i.e. the general form ``1 + x_t'(X'X)^{-1}x_t``.
    """
    import statsmodels.api as sm

    if model == "market_adjusted":
        return fit_vectorized(y_est, x_est, mask_est, y_evt, x_evt, mask_evt, model, ddof)
    n, le = y_est.shape
    L = y_evt.shape[1]
    p = x_est.shape[2]
    k = n_params(model, p)
    ddof = k if ddof is None else int(ddof)
    params = np.full((n, p + 1), np.nan)
    sigma = np.full(n, np.nan)
    resid = np.full((n, le), np.nan)
    ar = np.full((n, L), np.nan)
    c_evt = np.full((n, L), np.nan)
    var_car = np.full(n, np.nan)
    d_evt = np.zeros((n, L, p))
    sxx_inv = np.zeros((n, p, p))
    sst = np.zeros(n)
    sse = np.zeros(n)
    m_arr = mask_est.sum(axis=1)
    singular = np.zeros(n, dtype=bool)
    for i in range(n):
        mk = mask_est[i]
        y = y_est[i, mk]
        X = np.column_stack([np.ones(mk.sum()), x_est[i, mk]])
        sst[i] = float(((y - y.mean()) ** 2).sum())
        xc = x_est[i, mk] - x_est[i, mk].mean(axis=0)
        if p and ((xc**2).sum(axis=0) <= 1e-20 * np.maximum((x_est[i, mk] ** 2).sum(axis=0),
                                                             1e-300)).any() or (
                p and np.linalg.matrix_rank(X) < X.shape[1]):
            singular[i] = True
            continue
        res = sm.OLS(y, X).fit()
        params[i] = res.params
        sse[i] = float(res.ssr)
        s2 = res.ssr / max(mk.sum() - ddof, 1)
        sigma[i] = np.sqrt(s2)
        resid[i, mk] = res.resid
        ncp = res.normalized_cov_params
        ev = mask_evt[i]
        Xe = np.column_stack([np.ones(L), x_evt[i]])
        ar[i, ev] = y_evt[i, ev] - Xe[ev] @ res.params
        c_evt[i, ev] = 1.0 + np.einsum("tp,pq,tq->t", Xe[ev], ncp, Xe[ev])
        s = Xe[ev].sum(axis=0)
        var_car[i] = s2 * (ev.sum() + s @ ncp @ s)
        if p:
            xbar = x_est[i, mk].mean(axis=0)
            d_evt[i, ev] = x_evt[i, ev] - xbar
            xc = x_est[i, mk] - xbar
            sxx_inv[i] = np.linalg.inv(xc.T @ xc)
    return Fit(params, sigma, m_arr.astype(int), k, resid, ar, c_evt, var_car, d_evt, sxx_inv,
               sst, sse, singular)
