"""The lean engine path: market model, CAR and the CAR t-test for many events at once.

:func:`car_tests` computes only what a screening or a robustness sweep asks for, per event:
the market-model fit over the estimation window, the cumulative abnormal return over the event
window and its t-test. It skips everything else :func:`pivotlib.analytics.eventstudy.run_event_study`
builds (forecast-error factors, BHAR, the long AR table, the cross-sectional battery, KP
correlations, confounding labels), so it is the path to call when the same events are studied
hundreds of times (specification curves) or when thousands of events are screened.

Method (MacKinlay 1997, "Event Studies in Economics and Finance", JEL 35(1), 13-39, sec. 4-5),
for event i with day 0 at session tau_i, estimation window [tau_i + e0, tau_i + e1] and event
window [tau_i + w0, tau_i + w1] (trading days, inclusive):

* market model fitted by OLS on the M valid estimation days (firm and market return present,
  other events of the same symbol masked out): beta_i = S_xy / S_xx, alpha_i = ybar - beta_i
  xbar, sigma_i^2 = SSE_i / (M - 2) (MacKinlay eq. 7, 9-11);
* AR_it = R_it - alpha_i - beta_i R_mt on the L2 valid event days; CAR_i = sum_t AR_it;
* car_t = CAR_i / (sigma_i sqrt(L2)), df = M - 2, two-sided p from Student's t (the
  EventStudyTools "CART" test; MacKinlay eq. 13-14 without the forecast-error term).

The numbers are the same as ``run_event_study(returns, events, model="market", ...)``'s
``alpha, beta_<market>, sigma, n_est, n_evt, car, car_t, car_df, car_p`` columns under the same
options (checked to 1e-12 in ``tests/test_eventstudy_lean.py``), and an event is left out (NaN
statistics, ``status`` saying why) under the same conditions; the reasons are worded more
briefly (run the full engine on one event for the long wording with the fix).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from pivotlib.analytics.eventstudy.stages import _check_window as _pair
from pivotlib.analytics.eventstudy.stages import check_event_frame
from pivotlib.defaults import MIN_ESTIMATION_OBS
from pivotlib.errors import InputError

__all__ = ["car_tests", "LEAN_COLUMNS"]

LEAN_COLUMNS = ("symbol", "day0", "status", "n_est", "alpha", "beta", "sigma", "n_evt", "car",
                "car_t", "car_df", "car_p")
"""Columns of the :func:`car_tests` table (index ``event_id``)."""




def _events(events: pd.DataFrame, what: str = "events") -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """(ids, symbols, day as int64 ns) of an events frame (checked by
    :func:`~pivotlib.analytics.eventstudy.stages.check_event_frame`)."""
    ids, days = check_event_frame(events, what)
    return (ids.to_numpy(), events["symbol"].astype(str).to_numpy(dtype=object),
            days.to_numpy(dtype="datetime64[ns]").astype(np.int64))


def _positions(idx: np.ndarray, x: np.ndarray, policy: str, ids: np.ndarray) -> np.ndarray:
    """Row of ``idx`` (sorted int64 ns sessions) holding day 0 of each date, or -1 outside."""
    n = len(idx)
    if not n:
        return np.full(len(x), -1, dtype=np.int64)
    inside = (x >= idx[0]) & (x <= idx[-1])
    left = np.searchsorted(idx, x, side="left")
    exact = (left < n) & (idx[np.minimum(left, n - 1)] == x)
    if policy == "raise" and (inside & ~exact).any():
        raise InputError(f"event(s) {ids[inside & ~exact].tolist()[:5]} fall on non-trading "
                         "days; pass trading days or use nontrading='next' or 'previous'")
    pos = np.where(exact, left, left if policy == "next" else left - 1)
    return np.where(inside & (pos >= 0) & (pos < n), pos, -1).astype(np.int64)


def car_tests(returns: pd.DataFrame, events: pd.DataFrame, market: str = "SPY",
              estimation: tuple[int, int] = (-250, -11), window: tuple[int, int] = (-1, 1), *,
              other_events: pd.DataFrame | None = None,
              nontrading: Literal["next", "previous", "raise"] = "next",
              min_est: int = MIN_ESTIMATION_OBS,
              mask_other_events: bool = True) -> pd.DataFrame:
    """Market model, CAR and CAR t-test of every event at once (the lean path).

    Parameters
    ----------
    returns : DataFrame
        Wide simple daily returns (index = sessions, a DatetimeIndex; one column per symbol,
        NaN where missing), as for ``run_event_study``.
    events : DataFrame
        Columns ``event_id`` (unique), ``symbol``, ``event_date``.
    market : str, default "SPY"
        The market column.
    estimation, window : (int, int)
        Inclusive trading-day offsets from day 0; they must not overlap.
    other_events : DataFrame, optional
        Further events used only to mask their event windows out of estimation windows.
    nontrading : {"next", "previous", "raise"}, default "next"
        Day 0 of an event dated on a non-session (as ``run_event_study``).
    min_est : int, default :data:`pivotlib.defaults.MIN_ESTIMATION_OBS`
        Minimum estimation observations.
    mask_other_events : bool, default True
        Remove the event windows of the same symbol's other events from each estimation window.

    Returns
    -------
    DataFrame
        Index ``event_id`` in input order, columns :data:`LEAN_COLUMNS`: ``status`` ("ok" or
        why the event was left out), ``n_est`` (M), ``alpha``, ``beta``, ``sigma``, ``n_evt``
        (L2), ``car``, ``car_t`` = CAR / (sigma sqrt(L2)), ``car_df`` = M - 2 and the two-sided
        ``car_p``. Statistics are NaN for events left out.

    Raises
    ------
    InputError
        Malformed returns or events, unknown market column, reversed or overlapping windows,
        a non-trading day 0 under ``nontrading="raise"``.
    """
    from scipy.special import stdtr  # t.sf(t, df) = stdtr(df, -t)

    e0, e1 = _pair("estimation", estimation)
    w0, w1 = _pair("window", window)
    if not (e1 < w0 or e0 > w1):
        raise InputError(f"estimation {estimation} overlaps the event window {window}; end the "
                         f"estimation window before {w0} (e.g. estimation=({w0 - 250}, "
                         f"{w0 - 10}))")
    if nontrading not in ("next", "previous", "raise"):
        raise InputError(f"unknown nontrading policy {nontrading!r}; use 'next', 'previous' or "
                         "'raise'")
    if int(min_est) < 3:
        raise InputError(f"min_est={min_est} is too small; use at least 3")
    if not isinstance(returns, pd.DataFrame) or not isinstance(returns.index, pd.DatetimeIndex):
        raise InputError("returns must be a wide DataFrame indexed by a DatetimeIndex of "
                         "sessions (pivotlib.data.loading.load_returns builds it)")
    if returns.index.has_duplicates:
        raise InputError("returns.index has duplicate dates; drop them "
                         "(returns[~returns.index.duplicated()])")
    if market not in returns.columns:
        raise InputError(f"market column {market!r} not in returns; load it or pass market=")
    r = returns if returns.index.tz is None else returns.tz_localize(None)
    if not r.index.is_monotonic_increasing:
        r = r.sort_index()
    ids, sym, days = _events(events)
    sessions = r.index.normalize().as_unit("ns").asi8
    n_rows, n_ev = len(sessions), len(ids)
    pos = _positions(sessions, days, nontrading, ids)
    col = r.columns.get_indexer(sym).astype(np.int64)
    try:
        AT = np.ascontiguousarray(r.to_numpy(dtype=float, na_value=np.nan).T)
    except (TypeError, ValueError) as exc:
        raise InputError(f"returns must be numeric ({exc}); convert with "
                         "returns.apply(pd.to_numeric, errors='coerce')") from exc
    mc = int(r.columns.get_loc(market))

    status = np.full(n_ev, "ok", dtype=object)
    fin = np.isfinite(AT)
    anyv = fin.any(axis=1)
    first_valid = np.where(anyv, fin.argmax(axis=1), n_rows)
    lo_off, hi_off = min(e0, w0), max(e1, w1)
    safe_col = np.maximum(col, 0)
    checks = (
        (col < 0, "symbol not in returns"),
        (pos < 0, "event date outside data"),
        (first_valid[safe_col] > pos, "not listed yet"),
        ((pos + w1 >= n_rows) | (pos + w0 < 0), "event window runs off the data"),
        ((pos + lo_off < 0) | (pos + hi_off >= n_rows), "estimation runs off the data"),
    )
    for bad, why in checks:  # the first failing check names the reason
        status[bad & (status == "ok")] = why
    ok = np.flatnonzero(status == "ok")
    le, L = e1 - e0 + 1, w1 - w0 + 1

    out = pd.DataFrame({"symbol": sym}, index=pd.Index(ids, name="event_id"))
    day0 = np.full(n_ev, np.datetime64("NaT"), dtype="datetime64[ns]")
    day0[pos >= 0] = r.index.to_numpy()[pos[pos >= 0]]
    out["day0"] = day0
    nan = np.full(n_ev, np.nan)
    if not len(ok):
        out["status"] = status
        for c in LEAN_COLUMNS[3:]:
            out[c] = nan
        return out

    p0, ci = pos[ok], col[ok]
    win_est = sliding_window_view(AT, le, axis=1)
    win_evt = sliding_window_view(AT, L, axis=1)
    y = win_est[ci, p0 + e0]
    x = win_est[mc, p0 + e0]
    ye = win_evt[ci, p0 + w0]
    xe = win_evt[mc, p0 + w0]
    dense = bool(fin.all())  # no missing return anywhere: no estimation mask needed
    mask = None if dense else np.isfinite(y) & np.isfinite(x)
    ev_mask = np.isfinite(ye) & np.isfinite(xe)

    if mask_other_events:
        # event windows of every event of the same symbol (day-0 rows), as a coverage grid
        ap_col, ap_pos = col, pos
        if other_events is not None:
            oid, osym, odays = _events(other_events, "other_events")
            keep = ~np.isin(oid, ids)
            opos = _positions(sessions, odays[keep], "next" if nontrading == "raise"
                              else nontrading, oid[keep])
            ap_col = np.concatenate([ap_col, r.columns.get_indexer(osym[keep]).astype(np.int64)])
            ap_pos = np.concatenate([ap_pos, opos])
        use = (ap_col >= 0) & (ap_pos >= 0)
        ap_col, ap_pos = ap_col[use], ap_pos[use]
        cover = np.zeros((AT.shape[0], n_rows + 1), dtype=np.int32)
        np.add.at(cover, (ap_col, np.clip(ap_pos + w0, 0, n_rows)), 1)
        np.add.at(cover, (ap_col, np.clip(ap_pos + w1 + 1, 0, n_rows)), -1)
        cover = np.cumsum(cover, axis=1, dtype=np.int32)
        # an event's own window never meets its estimation window: any cover is another's
        free = sliding_window_view(cover, le, axis=1)[ci, p0 + e0] == 0
        mask = free if mask is None else mask & free
    if mask is not None and mask.all():
        mask = None

    # the market model on demeaned data (same arithmetic as models.fit_vectorized, p = 1;
    # without a mask the same numbers: where() and the 1.0 weights change no bit)
    if mask is None:
        m = np.full(len(ok), float(le))
        msafe = m
        y0, x0 = y, x
        ybar = y0.sum(axis=1) / msafe
        xbar = x0.sum(axis=1) / msafe
        yc = y0 - ybar[:, None]
        xc = x0 - xbar[:, None]
    else:
        w = mask.astype(float)
        m = w.sum(axis=1)
        msafe = np.where(m > 0, m, 1.0)
        y0 = np.where(mask, y, 0.0)
        x0 = np.where(mask, x, 0.0)
        ybar = y0.sum(axis=1) / msafe
        xbar = x0.sum(axis=1) / msafe
        yc = (y0 - ybar[:, None]) * w
        xc = (x0 - xbar[:, None]) * w
    sst = np.einsum("nt,nt->n", yc, yc)
    sxx = np.einsum("nt,nt->n", xc, xc)
    sxy = np.einsum("nt,nt->n", xc, yc)
    raw = np.einsum("nt,nt->n", x0, x0)
    with np.errstate(invalid="ignore", divide="ignore"):
        singular = ((sxx <= 1e-20 * np.maximum(raw, 1e-300))
                    | ~(sxx > 1e-12 * np.maximum(sxx, 1e-300)))
        b = (1.0 / np.where(singular, 1.0, sxx)) * sxy
    a = ybar - xbar * b
    resid = yc - xc * b[:, None]
    sse = np.einsum("nt,nt->n", resid, resid)
    sigma = np.sqrt(sse / np.maximum(m - 2, 1))
    ar = np.where(ev_mask, ye - a[:, None] - np.nan_to_num(xe) * b[:, None], np.nan)
    l2 = ev_mask.sum(axis=1).astype(float)
    car = np.where(l2 > 0, np.nansum(ar, axis=1), np.nan)
    df = m - 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        car_t = car / (sigma * np.sqrt(l2))
    car_p = np.where(df > 0, 2 * stdtr(np.maximum(df, 1), -np.abs(car_t)), np.nan)

    n_est = m.astype(int)
    with np.errstate(invalid="ignore"):
        dropped = {
            "too few observations": (n_est < min_est) | (n_est - 2 <= 2),
            "constant returns (zero variance in the estimation window)":
                ~(sst > 0) | ~(sigma > 0),
            "regressors constant or collinear in the estimation window": singular,
            "no valid returns in the event window": ~ev_mask.any(axis=1),
        }
    left_out = np.zeros(len(ok), dtype=bool)
    sub = status[ok]
    for why, bad in dropped.items():
        sub[bad & ~left_out] = why
        left_out |= bad
    status[ok] = sub

    out["status"] = status
    full = nan.copy()
    full[ok] = m
    out["n_est"] = full
    kept = ok[~left_out]
    for name, vals in (("alpha", a), ("beta", b), ("sigma", sigma), ("n_evt", l2), ("car", car),
                       ("car_t", car_t), ("car_df", df), ("car_p", car_p)):
        full = nan.copy()
        full[kept] = vals[~left_out]
        out[name] = full
    return out
