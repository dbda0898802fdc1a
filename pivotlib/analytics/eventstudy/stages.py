"""The event-study engine in stages: alignment, estimation, abnormal returns (tests: :mod:`.battery`).

:func:`pivotlib.analytics.eventstudy.run_event_study` is these stages in a row; a
specification curve (:mod:`pivotlib.analytics.robustness.car`) calls them itself so that
specifications sharing a stage share its work (one alignment for every specification of an
event, one batched fit per model over all estimation windows).

1. **Alignment** (:func:`align`, :func:`screen`): returns and events checked, each day 0 mapped
   to a session of the returns index (the non-trading-day policy), every event given a status
   ("ok" or why it cannot be studied), the other events' day 0s located (for masking and the
   ``confounded`` flag, :func:`other_cover`, :func:`confounding`).
2. **Windows** (:func:`gather`): estimation and event windows of the studiable events as
   stacked arrays with their validity masks (strided views of a symbol-major copy).
3. **Estimation** (:func:`estimate`, :func:`post_fit_status`): the normal-return model of every
   event in one batched fit (:mod:`.models`), then the post-fit drop reasons.
4. **Abnormal returns** (:func:`car_stats`): AR, SAR, CAR and its t-test, BHAR, R^2
   (MacKinlay 1997, eq. 7-16).
5. **Tests**: the battery over events (:func:`.battery._battery`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import stdtr  # t.sf(t, df) = stdtr(df, -t); lighter than scipy.stats

from pivotlib.analytics.eventstudy.models import Fit, fit_statsmodels, fit_vectorized
from pivotlib.errors import InputError


def _check_window(name: str, w: Sequence[int]) -> tuple[int, int]:
    try:
        a, b = (int(w[0]), int(w[1]))
        if len(w) != 2 or a != w[0] or b != w[1]:
            raise ValueError
    except (TypeError, ValueError, IndexError) as exc:
        raise InputError(f"{name}={w!r} is not a pair of integers (trading days relative to "
                         f"day 0); pass e.g. {name}=(-1, 1)") from exc
    if a > b:
        raise InputError(f"{name}={w!r} is reversed; pass ({b}, {a})")
    return a, b


def _prepare_returns(returns: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(returns, pd.DataFrame):
        raise InputError("returns must be a wide DataFrame (index = sessions, one column per "
                         "symbol); build it with pivotlib.data.loading.load_returns")
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise InputError("returns.index must be a DatetimeIndex of sessions; convert it with "
                         "pd.to_datetime")
    if returns.index.has_duplicates:
        raise InputError("returns.index has duplicate dates; drop them "
                         "(returns[~returns.index.duplicated()])")
    r = returns
    if r.index.tz is not None:
        r = r.tz_localize(None)
    if not r.index.is_monotonic_increasing:
        r = r.sort_index()
    return r


def check_event_frame(events: Any, what: str = "events") -> tuple[pd.Series, pd.Series]:
    """The one check of an events frame (the engine's and the lean path's): columns
    ``event_id``, ``symbol``, ``event_date``, unique ids, parseable dates. Returns the ids and
    the event days (tz-naive, normalised, ``datetime64[ns]``); InputError naming the problem
    and the fix otherwise."""
    if not isinstance(events, pd.DataFrame):
        raise InputError(f"{what} must be a DataFrame with columns event_id, symbol, event_date")
    missing = [c for c in ("event_id", "symbol", "event_date") if c not in events.columns]
    if missing:
        raise InputError(f"{what} lacks column(s) {missing}; it needs event_id, symbol, "
                         "event_date (pivotlib.events.catalog.load_catalog provides them)")
    ids = events["event_id"]
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        raise InputError(f"duplicate event_id(s) {dup[:5]}; every event needs a unique id "
                         "(e.g. '<SYMBOL>-<YYYYMMDD>-<n>')")
    try:
        d = pd.to_datetime(events["event_date"])
    except (ValueError, TypeError) as exc:
        raise InputError(f"{what}.event_date has unparseable dates ({exc}); use YYYY-MM-DD") \
            from exc
    if d.isna().any():
        bad = ids[d.isna()].tolist()[:5]
        raise InputError(f"{what} {bad} have no event_date; fill it or drop those rows")
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    return ids, d.dt.normalize().astype("datetime64[ns]")


def _prepare_events(events: pd.DataFrame) -> pd.DataFrame:
    _ids, days = check_event_frame(events)
    ev = events[["event_id", "symbol", "event_date"]].copy()
    ev["_date"] = days
    ev["symbol"] = ev["symbol"].astype(str)
    return ev


def _session_positions(index: pd.DatetimeIndex, dates: pd.Series, policy: str,
                       ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Map dates to row positions of ``index`` under the non-trading-day policy.

    Same logic as :func:`pivotlib.data.calendar.to_session`, applied to the returns index (the
    sessions actually in the data). Returns (position or -1, inside-data flag).
    """
    if policy not in ("next", "previous", "raise"):
        raise InputError(f"unknown nontrading policy {policy!r}; use 'next', 'previous' or "
                         "'raise'")
    idx = index.normalize().as_unit("ns").asi8
    x = dates.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    n = len(idx)
    inside = (x >= idx[0]) & (x <= idx[-1]) if n else np.zeros(len(x), dtype=bool)
    left = np.searchsorted(idx, x, side="left")
    exact = (left < n) & (idx[np.minimum(left, n - 1)] == x)
    if policy == "raise" and (inside & ~exact).any():
        bad = ids[inside & ~exact].tolist()[:5]
        raise InputError(f"event(s) {bad} fall on non-trading days; pass trading days or use "
                         "nontrading='next' or 'previous'")
    pos = np.where(exact, left, left if policy == "next" else left - 1)
    pos = np.where(inside & (pos >= 0) & (pos < n), pos, -1)
    return pos.astype(np.int64), inside




def _limiting(AT: np.ndarray, index: pd.DatetimeIndex, cols: Sequence[int], names: Sequence[str],
              lo: int, hi: int, what: str) -> str:
    """Name the series that limits a window: the one with the fewest valid returns in rows
    ``lo..hi`` of ``AT`` (symbol-major), with its first and last valid date, and the fix."""
    counts = [int(np.isfinite(AT[c, lo:hi + 1]).sum()) for c in cols]
    k = int(np.argmin(counts))
    row = AT[cols[k]]
    fin = np.flatnonzero(np.isfinite(row))
    if not len(fin):
        return f": {names[k]} has no data at all; load it or drop it from the model"
    first, last = index[fin[0]].date(), index[fin[-1]].date()
    if fin[-1] < hi:
        return (f": {names[k]} has {counts[k]} valid returns in the {what} (its data end "
                f"{last}); extend {names[k]} past {index[hi].date()} or pick an earlier event")
    if fin[0] > lo:
        return (f": {names[k]} has {counts[k]} valid returns in the {what} (its data start "
                f"{first}); load earlier history of {names[k]} or pick a later event")
    return (f": {names[k]} has {counts[k]} valid returns in the {what} (gaps between {first} "
            f"and {last}); fill the gaps or pick another event")


def regressors_of(model: str, market: str, factors: Sequence[str] | None,
                  columns: pd.Index) -> list[str]:
    """The regressor columns of a model, checked against the returns' columns.

    Raises
    ------
    InputError
        ``factors`` model without factors, a regressor not in ``columns``, or a repeated one.
    """
    if model == "factors":
        if not factors:
            raise InputError("model='factors' needs factors=[...], e.g. ['SPY', 'BTC-USD']")
        regs = [str(f) for f in factors]
    elif model in ("market", "market_adjusted"):
        regs = [market]
    else:
        regs = []
    miss = [c for c in regs if c not in columns]
    if miss:
        raise InputError(f"regressor column(s) {miss} not in returns; load them (e.g. "
                         f"load_returns([... , {miss[0]!r}])) or change market/factors")
    if len(set(regs)) != len(regs):
        raise InputError(f"factors {regs} repeat a column; list each once")
    return regs


@dataclass
class Alignment:
    """Stage 1: events placed on the returns' sessions.

    Attributes
    ----------
    r : DataFrame
        The returns (sorted, tz-naive).
    ev : DataFrame
        The events (``event_id``, ``symbol``, ``event_date``, normalised ``_date``).
    pos : (N,) int array
        Row of day 0 in ``r`` (-1 outside the data).
    inside : (N,) bool array
        The event date lies within the data's first and last session.
    col_idx : (N,) int array
        Column of the event's symbol in ``r`` (-1 when absent).
    AT : (C, T) array
        Symbol-major copy of the returns (each window a contiguous slice of one row).
    first_valid : (C,) int array
        Row of every column's first valid return (T when none).
    ap_col, ap_pos, ap_ids : arrays
        Column, day-0 row and id of every event (the studied ones and ``other_events``) with a
        day 0 inside the data and a symbol in the returns, for masking and confounding.
    """

    r: pd.DataFrame
    ev: pd.DataFrame
    pos: np.ndarray
    inside: np.ndarray
    col_idx: np.ndarray
    AT: np.ndarray
    first_valid: np.ndarray
    ap_col: np.ndarray
    ap_pos: np.ndarray
    ap_ids: np.ndarray

    @property
    def index(self) -> pd.DatetimeIndex:
        """The sessions."""
        return self.r.index  # type: ignore[return-value]

    @property
    def n_rows(self) -> int:
        """Number of sessions."""
        return len(self.r.index)


def align(returns: pd.DataFrame, events: pd.DataFrame, *, nontrading: str = "next",
          other_events: pd.DataFrame | None = None,
          prepared: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> Alignment:
    """Stage 1: map every event's day 0 to a session and locate the other events.

    Parameters
    ----------
    returns, events, nontrading, other_events
        As :func:`pivotlib.analytics.eventstudy.run_event_study`.
    prepared : (returns, events), optional
        Already-checked frames (:func:`_prepare_returns`, :func:`_prepare_events`).
    """
    r, ev = prepared if prepared is not None else (_prepare_returns(returns),
                                                   _prepare_events(events))
    index = r.index
    ids = ev["event_id"]
    pos, inside = _session_positions(index, ev["_date"], nontrading, ids)
    col_idx = r.columns.get_indexer(ev["symbol"].to_numpy(dtype=object)).astype(np.int64)
    try:
        AT = np.ascontiguousarray(r.to_numpy(dtype=float, na_value=np.nan).T)
    except (TypeError, ValueError) as exc:
        raise InputError(f"returns must be numeric ({exc}); convert with "
                         "returns.apply(pd.to_numeric, errors='coerce')") from exc
    n_rows = len(index)
    first_valid = np.full(AT.shape[0], n_rows, dtype=np.int64)
    fin = np.isfinite(AT)
    anyv = fin.any(axis=1)
    first_valid[anyv] = fin.argmax(axis=1)[anyv]
    allpos = pd.DataFrame({"event_id": ids.to_numpy(), "symbol": ev["symbol"].to_numpy(),
                           "pos": pos})
    if other_events is not None:
        oe = _prepare_events(other_events)
        oe = oe[~oe["event_id"].isin(set(ids))]
        opos, _ = _session_positions(index, oe["_date"], "next" if nontrading == "raise"
                                     else nontrading, oe["event_id"])
        allpos = pd.concat([allpos, pd.DataFrame({"event_id": oe["event_id"].to_numpy(),
                                                  "symbol": oe["symbol"].to_numpy(),
                                                  "pos": opos})], ignore_index=True)
    allpos = allpos[allpos["pos"] >= 0]
    ap_col = r.columns.get_indexer(allpos["symbol"].astype(str).to_numpy(dtype=object)).astype(
        np.int64)
    ap_pos = allpos["pos"].to_numpy(dtype=np.int64)
    use = ap_col >= 0
    return Alignment(r, ev, pos, inside, col_idx, AT, first_valid, ap_col[use], ap_pos[use],
                     allpos["event_id"].to_numpy()[use])


def screen(al: Alignment, estimation: tuple[int, int], window: tuple[int, int], min_est: int,
           pos: np.ndarray | None = None) -> np.ndarray:
    """Stage 1: each event's pre-fit status ("ok" or why it cannot be studied).

    ``pos`` overrides the day-0 rows (e.g. shifted one session for the "next session" timing).
    """
    e0, e1 = estimation
    w0, w1 = window
    index, n_rows = al.index, al.n_rows
    pos = al.pos if pos is None else pos
    col_idx, first_valid = al.col_idx, al.first_valid
    status = np.array(["ok"] * len(pos), dtype=object)
    has_sym = col_idx >= 0
    lo_off, hi_off = min(e0, w0), max(e1, w1)
    fv_ev = np.where(has_sym, first_valid[np.maximum(col_idx, 0)], n_rows)
    suspect = (~has_sym | ~al.inside | (pos < 0) | (fv_ev > pos) | (pos + lo_off < 0)
               | (pos + hi_off >= n_rows))
    for i in np.flatnonzero(suspect):
        if not has_sym[i]:
            status[i] = "symbol not in returns"
        elif not al.inside[i] or pos[i] < 0:
            status[i] = (f"event date outside data ({index[0].date()} to "
                         f"{index[-1].date()})") if n_rows else "event date outside data"
        elif first_valid[col_idx[i]] > pos[i]:
            fv = first_valid[col_idx[i]]
            status[i] = ("not listed yet (first return "
                         f"{index[fv].date() if fv < n_rows else 'never'})")
        elif pos[i] + w1 >= n_rows or pos[i] + w0 < 0:
            status[i] = (f"event window runs off the data (the returns end "
                         f"{index[-1].date()}; the window needs {w1} session(s) after day 0)"
                         if pos[i] + w1 >= n_rows else "event window runs off the data")
        elif pos[i] + lo_off < 0 or pos[i] + hi_off >= n_rows:
            have = int(pos[i])
            fix = (f"load history before {index[0].date()} or start the estimation window "
                   f"at -{have} (e.g. estimation [-{have}, {e1}])"
                   if have + e1 + 1 >= min_est else
                   f"load history before {index[0].date()} (the engine needs {min_est} "
                   "estimation returns)")
            status[i] = (f"estimation runs off the data (needs {max(-lo_off, 0)} sessions "
                         f"before day 0, the returns start {index[0].date()}, {have} sessions "
                         f"earlier); {fix}")
    return status


def confounding(al: Alignment, window: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Stage 1: whether another event's day 0 falls in each event's window, and which."""
    w0, w1 = window
    n_ev, n_rows = len(al.pos), al.n_rows
    pos, col_idx = al.pos, al.col_idx
    id_arr = al.ev["event_id"].to_numpy()
    confounded = np.zeros(n_ev, dtype=bool)
    confounded_by = np.array([""] * n_ev, dtype=object)
    # how many day 0s fall on each (symbol, session) cell, cumulated along sessions
    day0_grid = np.zeros((al.AT.shape[0], n_rows + 1), dtype=np.int32)
    np.add.at(day0_grid, (al.ap_col, al.ap_pos + 1), 1)
    day0_cum = np.cumsum(day0_grid, axis=1, dtype=np.int32)  # [c, t] = # day 0s at rows < t
    vi = np.flatnonzero((pos >= 0) & (col_idx >= 0))
    lo_r = np.clip(pos[vi] + w0, 0, n_rows)
    hi_r = np.clip(pos[vi] + w1 + 1, 0, n_rows)
    cnt = day0_cum[col_idx[vi], hi_r] - day0_cum[col_idx[vi], lo_r] - (1 if w0 <= 0 <= w1 else 0)
    confounded[vi] = cnt > 0
    for gi in np.flatnonzero(confounded):
        hit = ((al.ap_col == col_idx[gi]) & (al.ap_pos >= pos[gi] + w0)
               & (al.ap_pos <= pos[gi] + w1) & (al.ap_ids != id_arr[gi]))
        confounded_by[gi] = ",".join(sorted(str(x) for x in al.ap_ids[hit]))
    return confounded, confounded_by


def other_cover(al: Alignment, window: tuple[int, int],
                exclude: Sequence[str] = ()) -> np.ndarray | None:
    """Stage 1: (C, T) count of event windows ``window`` covering each (symbol, session) cell.

    None when there are no events to mask. Events whose id is in ``exclude`` are left out. An event's own window never meets its estimation
    window (they may not overlap), so any cover inside an estimation window is another event's.
    """
    if not len(al.ap_pos):
        return None
    w0, w1 = window
    n_rows = al.n_rows
    use = ~np.isin(al.ap_ids, np.asarray(list(exclude), dtype=object)) if len(exclude) else \
        np.ones(len(al.ap_pos), dtype=bool)
    ap_col, ap_pos = al.ap_col[use], al.ap_pos[use]
    cover = np.zeros((al.AT.shape[0], n_rows + 1), dtype=np.int32)
    np.add.at(cover, (ap_col, np.clip(ap_pos + w0, 0, n_rows)), 1)
    np.add.at(cover, (ap_col, np.clip(ap_pos + w1 + 1, 0, n_rows)), -1)
    return np.cumsum(cover, axis=1, dtype=np.int32)


@dataclass
class Windows:
    """Stage 2: stacked estimation and event windows of the studiable events.

    ``okpos`` are the events' rows in the alignment, ``p0`` their day-0 rows and ``ci`` their
    columns; ``y_*``/``x_*`` the stock's and the regressors' returns, ``mask_*`` where both are
    valid; ``est_off``/``evt_off`` the offsets from day 0.
    """

    okpos: np.ndarray
    p0: np.ndarray
    ci: np.ndarray
    rc: np.ndarray
    est_off: np.ndarray
    evt_off: np.ndarray
    y_est: np.ndarray
    x_est: np.ndarray
    mask_est: np.ndarray
    y_evt: np.ndarray
    x_evt: np.ndarray
    mask_evt: np.ndarray

    @property
    def ridx_evt(self) -> np.ndarray:
        """(N, L) rows of the event-window days."""
        return self.p0[:, None] + self.evt_off[None, :]


def gather(AT: np.ndarray, p0: np.ndarray, ci: np.ndarray, rc: np.ndarray,
           estimation: tuple[int, int], window: tuple[int, int],
           okpos: np.ndarray | None = None) -> Windows:
    """Stage 2: the windows of events with day 0 at rows ``p0`` of columns ``ci`` of ``AT``.

    Every window must fit inside the data (:func:`screen` ensures it). ``rc`` are the
    regressors' columns.
    """
    e0, e1 = estimation
    w0, w1 = window
    est_off = np.arange(e0, e1 + 1)
    evt_off = np.arange(w0, w1 + 1)
    le, L = len(est_off), len(evt_off)
    n = len(p0)
    if n:  # then every window fits inside the data
        win_est = sliding_window_view(AT, le, axis=1)
        win_evt = sliding_window_view(AT, L, axis=1)
    else:
        win_est = np.zeros((AT.shape[0], 1, le))
        win_evt = np.zeros((AT.shape[0], 1, L))
    y_est = win_est[ci, p0 + e0]
    y_evt = win_evt[ci, p0 + w0]
    x_est = np.stack([win_est[c, p0 + e0] for c in rc], axis=2) if len(rc) else np.zeros(
        (n, le, 0))
    x_evt = np.stack([win_evt[c, p0 + w0] for c in rc], axis=2) if len(rc) else np.zeros(
        (n, L, 0))
    mask_est = np.isfinite(y_est) & np.isfinite(x_est).all(axis=2)
    mask_evt = np.isfinite(y_evt) & np.isfinite(x_evt).all(axis=2)
    return Windows(np.arange(n) if okpos is None else okpos, p0, ci, rc, est_off, evt_off,
                   y_est, x_est, mask_est, y_evt, x_evt, mask_evt)


def mask_covered(mask_est: np.ndarray, cover: np.ndarray | None, ci: np.ndarray,
                 start: np.ndarray) -> np.ndarray:
    """Stage 2: drop from estimation masks the sessions another event's window covers.

    ``start`` are the estimation windows' first rows; ``mask_est`` is (N, Le).
    """
    if cover is None or not len(ci):
        return mask_est
    le = mask_est.shape[1]
    return mask_est & (sliding_window_view(cover, le, axis=1)[ci, start] == 0)


def estimate(win: Windows, model: str, sigma_ddof: int | None = None,
             engine: str = "vectorized") -> Fit:
    """Stage 3: the normal-return model of every event, one batched fit (:mod:`.models`)."""
    fitter = fit_vectorized if engine == "vectorized" else fit_statsmodels
    return fitter(win.y_est, win.x_est, win.mask_est, win.y_evt, win.x_evt, win.mask_evt,
                  model, sigma_ddof)


def post_fit_status(al: Alignment, win: Windows, fit: Fit, status: np.ndarray, min_est: int,
                    regs: Sequence[str]) -> np.ndarray:
    """Stage 3: why a fitted event is left out; writes ``status`` and returns the keep mask.

    Too few observations (M < ``min_est`` or M - k <= 2), constant returns, collinear
    regressors, no valid event-window return.
    """
    keep = np.ones(len(win.okpos), dtype=bool)
    sym_arr = al.ev["symbol"].to_numpy()
    e0, e1 = int(win.est_off[0]), int(win.est_off[-1])
    w0, w1 = int(win.evt_off[0]), int(win.evt_off[-1])
    ci, p0, rc = win.ci, win.p0, win.rc
    with np.errstate(invalid="ignore"):
        suspect = ((fit.n_est < min_est) | ~(fit.sst > 0) | ~(fit.sigma > 0) | fit.singular
                   | ~win.mask_evt.any(axis=1) | (fit.n_est - fit.k <= 2))
    for j in np.flatnonzero(suspect):
        gi = win.okpos[j]
        m = fit.n_est[j]
        if m < min_est:
            status[gi] = (f"too few observations ({m} < min_est={min_est})"
                          + _limiting(al.AT, al.index, [ci[j]] + list(rc),
                                      [sym_arr[gi]] + list(regs), p0[j] + e0, p0[j] + e1,
                                      "estimation window"))
        elif not (fit.sst[j] > 0) or not (fit.sigma[j] > 0):
            status[gi] = "constant returns (zero variance in the estimation window)"
        elif fit.singular[j]:
            status[gi] = "regressors constant or collinear in the estimation window"
        elif not win.mask_evt[j].any():
            status[gi] = ("no valid returns in the event window"
                          + _limiting(al.AT, al.index, [ci[j]] + list(rc),
                                      [sym_arr[gi]] + list(regs), p0[j] + w0, p0[j] + w1,
                                      "event window"))
        elif fit.n_est[j] - fit.k <= 2:
            status[gi] = f"too few observations ({m})"
        else:
            continue
        keep[j] = False
    return keep


def car_stats(fit: Fit, y_evt: np.ndarray, mask_evt: np.ndarray, model: str,
              car_variance: str = "simple") -> dict[str, Any]:
    """Stage 4: abnormal returns and the per-event CAR test.

    SAR_t = AR_t / (sigma sqrt(C_t)); CAR = sum of the valid ARs over L2 days; ``car_t`` =
    CAR / (sigma sqrt(L2)) ("simple", EventStudyTools' CART) or CAR / sqrt(sigma^2 1'(I +
    X*(X'X)^-1 X*')1) ("corrected", MacKinlay 1997 eq. 15), two-sided p from Student t with
    df = M - k; BHAR = prod(1 + R) - prod(1 + normal return); R^2 = 1 - SSE/SST.

    Returns
    -------
    dict of arrays
        ``ar``, ``sar``, ``l2``, ``car``, ``car_t``, ``car_df``, ``car_p``,
        ``car_se_corrected``, ``bhar``, ``r2``.
    """
    ar = fit.ar
    sig = fit.sigma
    with np.errstate(invalid="ignore", divide="ignore"):
        sar = ar / (sig[:, None] * np.sqrt(fit.c_evt))
    l2 = mask_evt.sum(axis=1).astype(float)
    car = np.where(l2 > 0, np.nansum(ar, axis=1), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        car_se_simple = sig * np.sqrt(l2)
        car_se_corr = np.sqrt(fit.var_car_corr)
        car_se = car_se_simple if car_variance == "simple" else car_se_corr
        car_t = car / car_se
        normal = y_evt - ar
        bhar = np.where(l2 > 0, np.nanprod(np.where(mask_evt, 1 + y_evt, np.nan), axis=1)
                        - np.nanprod(np.where(mask_evt, 1 + normal, np.nan), axis=1), np.nan)
        r2 = (1 - fit.sse / fit.sst) if model != "market_adjusted" else np.full(len(sig), np.nan)
    car_df = (fit.n_est - fit.k).astype(float)
    car_p = np.where(car_df > 0, 2 * stdtr(np.maximum(car_df, 1), -np.abs(car_t)), np.nan)
    return dict(ar=ar, sar=sar, l2=l2, car=car, car_t=car_t, car_df=car_df, car_p=car_p,
                car_se_corrected=car_se_corr, bhar=bhar, r2=r2)
