"""The event-study engine: :func:`run_event_study` and :class:`EventStudyResult`.

Method (MacKinlay 1997, "Event Studies in Economics and Finance", JEL 35(1), 13-39):
for every event i with day 0 at session tau_i, a normal-return model is fitted over the
estimation window [tau_i + e0, tau_i + e1] (trading days, inclusive), abnormal returns
AR_it = R_it - E[R_it | X_t] are formed over the event window [tau_i + w0, tau_i + w1] and
aggregated across events (AAR, CAAR) and tested with the battery in :mod:`.stats`.

Reproducing the R package ``EventStudy`` 0.50 (EventStudyTools' engine), checked to 1e-6 on
``../shared/validation/eventstudytools_sp500`` in ``tests/test_eventstudy_validation.py``:

==========================  ===============================================================
number                      options
==========================  ===============================================================
alpha, beta, sigma, CAR      defaults (``model="market"``, ``sigma_ddof=None`` -> M - 2)
cross-sectional t, Patell    defaults
BMP (cbmp_t)                 ``bmp_standardize="sigma"`` (SCAR = CAR / (sigma sqrt(L2)),
                             no forecast-error correction); the default ``"corrected"`` is
                             EventStudyTools' web service / BMP (1991) proper
KP (ckp_t)                   ``bmp_standardize="sigma", kp_correlation="event_time"``
generalized sign (cgsign_z)  ``gsign_p="per_firm"`` (mean of per-firm shares); the default
                             ``"pooled"`` is Cowan (1992), estudy2 and eventstudy2
==========================  ===============================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from pivotlib.analytics.eventstudy.battery import _abnormal_volume, _ar_long, _battery, _Panel
from pivotlib.analytics.eventstudy.models import MODELS, fit_statsmodels, fit_vectorized
from pivotlib.analytics.eventstudy.result import EventStudyResult
from pivotlib.defaults import BITCOIN, MARKET, MIN_ESTIMATION_OBS
from pivotlib.errors import InputError

Model = Literal["constant_mean", "market_adjusted", "market", "factors"]


DEFAULT_MIN_EST = MIN_ESTIMATION_OBS
"""Default minimum number of estimation observations. 100 of the default 240-day window (-250,
-11): enough for stable betas (Patell's Q_i <= 1.02) while still admitting a stock about five
months after listing; below it the event is dropped with status "too few observations"."""


def miner_model(market: str = MARKET, crypto: str = BITCOIN) -> dict[str, Any]:
    """Keyword arguments of the documented default for bitcoin miners: market + bitcoin.

    ``run_event_study(returns, events, **miner_model())`` is
    ``model="factors", factors=["SPY", "BTC-USD"]``: a miner's announcement is judged
    against what both the equity market and bitcoin explained that day (none of
    EventStudyTools, estudy2 or eventstudy2 offers this as a first-class model).
    """
    return {"model": "factors", "factors": [market, crypto]}


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


def _prepare_events(events: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(events, pd.DataFrame):
        raise InputError("events must be a DataFrame with columns event_id, symbol, event_date")
    missing = [c for c in ("event_id", "symbol", "event_date") if c not in events.columns]
    if missing:
        raise InputError(f"events lacks column(s) {missing}; it needs event_id, symbol, "
                         "event_date (pivotlib.events.catalog.load_catalog provides them)")
    ev = events[["event_id", "symbol", "event_date"]].copy()
    dup = ev["event_id"][ev["event_id"].duplicated()].unique().tolist()
    if dup:
        raise InputError(f"duplicate event_id(s) {dup[:5]}; every event needs a unique id "
                         "(e.g. '<SYMBOL>-<YYYYMMDD>-<n>')")
    try:
        d = pd.to_datetime(ev["event_date"])
    except (ValueError, TypeError) as exc:
        raise InputError(f"events.event_date has unparseable dates ({exc}); use YYYY-MM-DD") \
            from exc
    if d.isna().any():
        bad = ev.loc[d.isna(), "event_id"].tolist()[:5]
        raise InputError(f"events {bad} have no event_date; fill it or drop those rows")
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    ev["_date"] = d.dt.normalize().astype("datetime64[ns]")
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


def run_event_study(
    returns: pd.DataFrame,
    events: pd.DataFrame,
    model: Model = "market",
    market: str = "SPY",
    factors: Sequence[str] | None = None,
    estimation: tuple[int, int] = (-250, -11),
    window: tuple[int, int] = (-1, 1),
    *,
    volume: pd.DataFrame | None = None,
    other_events: pd.DataFrame | None = None,
    nontrading: Literal["next", "previous", "raise"] = "next",
    min_est: int = DEFAULT_MIN_EST,
    mask_other_events: bool = True,
    sigma_ddof: int | None = None,
    car_variance: Literal["simple", "corrected"] = "simple",
    bmp_standardize: Literal["corrected", "sigma", "sar_sum"] = "corrected",
    kp_correlation: Literal["calendar", "event_time"] = "calendar",
    kp_min_overlap: int = 30,
    kp_weight: Literal["none", "event_overlap"] = "none",
    kp_max_events: int | None = 1000,
    gsign_p: Literal["pooled", "per_firm"] = "pooled",
    wilcoxon_p: Literal["normal", "exact"] = "normal",
    engine: Literal["vectorized", "statsmodels"] = "vectorized",
    n_boot: int | None = None,
    seed: int = 0,
) -> EventStudyResult:
    """Run a short-window event study.

    Parameters
    ----------
    returns : DataFrame
        Wide simple daily returns: index = sessions (DatetimeIndex), one column per symbol,
        NaN where missing (before listing, gaps).
    events : DataFrame
        Columns ``event_id`` (unique), ``symbol``, ``event_date``; other columns are ignored.
    model : {"market", "factors", "constant_mean", "market_adjusted"}, default "market"
        Normal-return model (MacKinlay 1997, sec. 4). For bitcoin miners use
        ``model="factors", factors=["SPY", "BTC-USD"]`` (market + bitcoin).
    market : str, default "SPY"
        Market column for ``market`` and ``market_adjusted``.
    factors : list of str, optional
        Regressor columns for ``model="factors"`` (an intercept is always added).
    estimation, window : (int, int)
        Inclusive trading-day offsets from day 0 (never calendar days). The estimation window
        must not overlap the event window; it may lie before (usual) or after it.
    volume : DataFrame, optional
        Wide volumes (same layout). Adds ``abn_volume`` = mean event-window log(1+V) minus its
        estimation-window mean and ``abn_volume_t`` = abn_volume / (sd_est / sqrt(L2))
        (Campbell and Wasley 1996, "Measuring abnormal daily trading volume", RQFA 6).
    other_events : DataFrame, optional
        Further events (event_id, symbol, event_date), e.g. the whole catalog, used only for
        masking and the ``confounded`` flag.
    nontrading : {"next", "previous", "raise"}, default "next"
        Day 0 of an event dated on a non-session: the next / previous session of the returns
        index, or InputError. The whole timeline (estimation and event windows) moves with it.
    min_est : int, default 100
        Minimum estimation observations (see :data:`DEFAULT_MIN_EST`).
    mask_other_events : bool, default True
        Remove from each estimation window the event windows of the same symbol's other events
        (so one announcement does not inflate sigma for the next).
    sigma_ddof : int, optional
        sigma^2 = SSE / (M - sigma_ddof); default k (number of parameters incl. intercept), as
        EventStudyTools / R EventStudy / eventstudy2. ``sigma_ddof=1`` is estudy2.
    car_variance : {"simple", "corrected"}, default "simple"
        ``car_t`` denominator: sigma sqrt(L2) (EventStudyTools CART) or the forecast-error
        corrected sqrt(sigma^2 1'(I + X*(X'X)^-1 X*')1) (MacKinlay 1997 eq. 15). ``car_t``
        has df = M - k either way.
    bmp_standardize : {"corrected", "sigma", "sar_sum"}, default "corrected"
        BMP SCAR_i: CAR_i / sqrt(corrected Var(CAR_i)) (EventStudyTools; BMP 1991),
        CAR_i / (sigma_i sqrt(L2)) (R ``EventStudy``), or sum_t SAR_it / sqrt(L2)
        (eventstudy2). Daily BMP uses SAR = AR / (sigma sqrt(C_t)) except under "sigma"
        (AR / sigma, as R).
    kp_correlation : {"calendar", "event_time"}, default "calendar"
        Kolari-Pynnonen (2010) rbar over the calendar dates a pair of events shares, or over
        event-time-aligned estimation residuals (R ``EventStudy``; meaningless for staggered
        events).
    kp_min_overlap : int, default 30
        A pair sharing fewer dates contributes r = 0 to rbar (see
        :func:`.stats.mean_pairwise_corr`).
    kp_weight : {"none", "event_overlap"}, default "none"
        "event_overlap" multiplies r_ij by the share of event-window days the pair shares,
        the correlation of their CARs for staggered events.
    kp_max_events : int or None, default 1000
        Above this many events rbar (a mean over pairs) is estimated on a seeded random subset
        of this many events (exact: ``None``; cost grows with N x overlapping partners). For
        very large N the KP factor 1/sqrt(1 + (N-1) rbar) is sensitive to tiny errors in rbar,
        so use ``None`` when kp_bmp_t matters for thousands of events.
    gsign_p : {"pooled", "per_firm"}, default "pooled"
        Generalized sign p-hat: pooled share of positive estimation ARs (Cowan 1992, estudy2,
        eventstudy2) or mean of per-firm shares (R ``EventStudy``).
    wilcoxon_p : {"normal", "exact"}, default "normal"
        p-value of ``wilcoxon_z``: normal approximation (eventstudy2) or the exact
        signed-rank distribution (estudy2's ``qsignrank``; ``scipy.stats.wilcoxon``
        ``method="exact"``), better for a handful of events.
    engine : {"vectorized", "statsmodels"}, default "vectorized"
        Batched normal equations, or one statsmodels OLS per event (reference; same numbers).
    n_boot : int, optional
        Resamples for ``bootstrap_skew_t`` and ``signflip_caar`` (plus ``placebo_caar``).
        Default: 999 when at most 30 events are used (the few-firm case), else 0 (skipped).
    seed : int, default 0
        Seed of the bootstrap, sign-flip and KP subsample.

    Returns
    -------
    EventStudyResult

    Notes
    -----
    ``events.status`` is "ok" or why the event was left out of the statistics:
    "symbol not in returns"; "event date outside data (...)"; "not listed yet (first return
    ...)" when day 0 precedes the symbol's first return; "event window runs off the data";
    "estimation runs off the data (...)" when the returns frame does not reach back far
    enough; "too few observations (M < min_est)"; "constant returns (zero variance ...)";
    "regressors constant or collinear ..."; "no valid returns in the event window".
    NaNs inside a window are skipped: M counts the estimation days actually used and
    L2 (``n_evt``) the event days with a return, and CAR sums the available ARs.

    Conventions (defaults): sigma^2 = SSE/(M - k); SAR_t = AR_t / (sigma sqrt(C_t)) with
    C_t = 1 + x_t'(X'X)^-1 x_t; car_t = CAR / (sigma sqrt(L2)) with df M - k; Patell Z =
    N^-1/2 sum_i [sum_t SAR_it / sqrt(L2 Q_i)], Q_i = (M_i - k)/(M_i - k - 2); BMP t =
    sqrt(N) mean(SCAR)/sd(SCAR) with SCAR_i = CAR_i / sqrt(corrected Var(CAR_i)); KP =
    BMP sqrt((1 - r)/(1 + (N - 1) r)); generalized sign Z = (w - N p)/sqrt(N p (1 - p))
    with pooled p. See the module docstring for the options that reproduce R ``EventStudy``.

    Raises
    ------
    InputError
        Malformed inputs, unknown model/columns, duplicate event ids, reversed or overlapping
        windows, non-trading day 0 under ``nontrading="raise"``.
    """
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}; use one of {', '.join(MODELS)}")
    e0, e1 = _check_window("estimation", estimation)
    w0, w1 = _check_window("window", window)
    if not (e1 < w0 or e0 > w1):
        raise InputError(f"estimation {estimation} overlaps the event window {window}; end the "
                         f"estimation before the window, e.g. estimation=({e0}, {w0 - 1})")
    for name, val, allowed in (("car_variance", car_variance, ("simple", "corrected")),
                               ("bmp_standardize", bmp_standardize,
                                ("corrected", "sigma", "sar_sum")),
                               ("kp_correlation", kp_correlation, ("calendar", "event_time")),
                               ("kp_weight", kp_weight, ("none", "event_overlap")),
                               ("gsign_p", gsign_p, ("pooled", "per_firm")),
                               ("wilcoxon_p", wilcoxon_p, ("normal", "exact")),
                               ("engine", engine, ("vectorized", "statsmodels"))):
        if val not in allowed:
            raise InputError(f"{name}={val!r} is not one of {allowed}")
    if int(min_est) < 3:
        raise InputError(f"min_est={min_est} is too small; use at least 3 (default "
                         f"{DEFAULT_MIN_EST})")
    r = _prepare_returns(returns)
    ev = _prepare_events(events)

    if model == "factors":
        if not factors:
            raise InputError("model='factors' needs factors=[...], e.g. ['SPY', 'BTC-USD']")
        regs = [str(f) for f in factors]
    elif model in ("market", "market_adjusted"):
        regs = [market]
    else:
        regs = []
    miss = [c for c in regs if c not in r.columns]
    if miss:
        raise InputError(f"regressor column(s) {miss} not in returns; load them (e.g. "
                         f"load_returns([... , {miss[0]!r}])) or change market/factors")
    if len(set(regs)) != len(regs):
        raise InputError(f"factors {regs} repeat a column; list each once")

    options = dict(model=model, market=market, factors=list(factors) if factors else None,
                   estimation=(e0, e1), window=(w0, w1), nontrading=nontrading,
                   min_est=int(min_est), mask_other_events=mask_other_events,
                   sigma_ddof=sigma_ddof, car_variance=car_variance,
                   bmp_standardize=bmp_standardize, kp_correlation=kp_correlation,
                   kp_min_overlap=kp_min_overlap, kp_weight=kp_weight,
                   kp_max_events=kp_max_events, gsign_p=gsign_p, wilcoxon_p=wilcoxon_p,
                   engine=engine, seed=seed)

    index = r.index
    n_rows = len(index)
    ids = ev["event_id"]
    pos, inside = _session_positions(index, ev["_date"], nontrading, ids)
    n_ev = len(ev)
    status = np.array(["ok"] * n_ev, dtype=object)
    col_idx = r.columns.get_indexer(ev["symbol"].to_numpy(dtype=object)).astype(np.int64)
    has_sym = col_idx >= 0
    # symbol-major copy: each event's window is a contiguous slice of one row (fast gathers)
    try:
        AT = np.ascontiguousarray(r.to_numpy(dtype=float, na_value=np.nan).T)
    except (TypeError, ValueError) as exc:
        raise InputError(f"returns must be numeric ({exc}); convert with "
                         "returns.apply(pd.to_numeric, errors='coerce')") from exc

    # first valid return of every symbol (for "not listed yet")
    first_valid = np.full(AT.shape[0], n_rows, dtype=np.int64)
    fin = np.isfinite(AT)
    anyv = fin.any(axis=1)
    first_valid[anyv] = fin.argmax(axis=1)[anyv]

    lo_off, hi_off = min(e0, w0), max(e1, w1)
    fv_ev = np.where(col_idx >= 0, first_valid[np.maximum(col_idx, 0)], n_rows)
    suspect = (~has_sym | ~inside | (pos < 0) | (fv_ev > pos) | (pos + lo_off < 0)
               | (pos + hi_off >= n_rows))
    for i in np.flatnonzero(suspect):
        if not has_sym[i]:
            status[i] = "symbol not in returns"
        elif not inside[i] or pos[i] < 0:
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

    # day-0 positions of all events (incl. other_events) per symbol, for masking/confounding
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

    okpos = np.flatnonzero(status == "ok")
    est_off = np.arange(e0, e1 + 1)
    evt_off = np.arange(w0, w1 + 1)
    le, L = len(est_off), len(evt_off)
    p0 = pos[okpos]
    ci = col_idx[okpos]
    ridx_evt = p0[:, None] + evt_off[None, :]
    # windows are contiguous slices of a symbol's row: gather them through strided views
    if len(okpos):  # then every window fits inside the data
        win_est = sliding_window_view(AT, le, axis=1)
        win_evt = sliding_window_view(AT, L, axis=1)
    else:
        win_est = np.zeros((AT.shape[0], 1, le))
        win_evt = np.zeros((AT.shape[0], 1, L))
    y_est = win_est[ci, p0 + e0]
    y_evt = win_evt[ci, p0 + w0]
    rc = r.columns.get_indexer(regs).astype(np.int64)
    x_est = np.stack([win_est[c, p0 + e0] for c in rc], axis=2) if len(rc) else np.zeros(
        (len(okpos), le, 0))
    x_evt = np.stack([win_evt[c, p0 + w0] for c in rc], axis=2) if len(rc) else np.zeros(
        (len(okpos), L, 0))
    mask_est = np.isfinite(y_est) & np.isfinite(x_est).all(axis=2)
    mask_evt = np.isfinite(y_evt) & np.isfinite(x_evt).all(axis=2)

    # other events of the same symbol: mask from estimation, flag confounding. Grids over
    # (session, symbol): how many events' windows cover a cell and how many day 0s fall on it.
    sym_arr = ev["symbol"].to_numpy()
    id_arr = ids.to_numpy()
    confounded = np.zeros(n_ev, dtype=bool)
    confounded_by = np.array([""] * n_ev, dtype=object)
    ap_col = r.columns.get_indexer(allpos["symbol"].astype(str).to_numpy(dtype=object)).astype(
        np.int64)
    ap_pos = allpos["pos"].to_numpy(dtype=np.int64)
    use = ap_col >= 0
    ap_col, ap_pos = ap_col[use], ap_pos[use]
    n_cols = AT.shape[0]
    day0_grid = np.zeros((n_cols, n_rows + 1), dtype=np.int32)
    np.add.at(day0_grid, (ap_col, ap_pos + 1), 1)
    day0_cum = np.cumsum(day0_grid, axis=1, dtype=np.int32)  # [c, t] = # day 0s at rows < t
    valid_ev = (pos >= 0) & (col_idx >= 0)
    vi = np.flatnonzero(valid_ev)
    lo_r = np.clip(pos[vi] + w0, 0, n_rows)
    hi_r = np.clip(pos[vi] + w1 + 1, 0, n_rows)
    cnt = day0_cum[col_idx[vi], hi_r] - day0_cum[col_idx[vi], lo_r] - (1 if w0 <= 0 <= w1 else 0)
    confounded[vi] = cnt > 0
    if confounded.any():
        ap_ids = allpos["event_id"].to_numpy()[use]
        for gi in np.flatnonzero(confounded):
            hit = ((ap_col == col_idx[gi]) & (ap_pos >= pos[gi] + w0) & (ap_pos <= pos[gi] + w1)
                   & (ap_ids != id_arr[gi]))
            confounded_by[gi] = ",".join(sorted(str(x) for x in ap_ids[hit]))
    if mask_other_events and len(okpos) and len(ap_pos):
        cover = np.zeros((n_cols, n_rows + 1), dtype=np.int32)
        np.add.at(cover, (ap_col, np.clip(ap_pos + w0, 0, n_rows)), 1)
        np.add.at(cover, (ap_col, np.clip(ap_pos + w1 + 1, 0, n_rows)), -1)
        cover = np.cumsum(cover, axis=1, dtype=np.int32)
        # an event's own window never meets its estimation window, so any cover is another's
        mask_est &= sliding_window_view(cover, le, axis=1)[ci, p0 + e0] == 0

    fitter = fit_vectorized if engine == "vectorized" else fit_statsmodels
    fit = fitter(y_est, x_est, mask_est, y_evt, x_evt, mask_evt, model, sigma_ddof)

    # post-fit drop reasons
    keep = np.ones(len(okpos), dtype=bool)
    with np.errstate(invalid="ignore"):
        suspect = ((fit.n_est < min_est) | ~(fit.sst > 0) | ~(fit.sigma > 0) | fit.singular
                   | ~mask_evt.any(axis=1) | (fit.n_est - fit.k <= 2))
    for j in np.flatnonzero(suspect):
        gi = okpos[j]
        m = fit.n_est[j]
        if m < min_est:
            status[gi] = (f"too few observations ({m} < min_est={min_est})"
                          + _limiting(AT, index, [ci[j]] + list(rc), [sym_arr[gi]] + regs,
                                      p0[j] + e0, p0[j] + e1, "estimation window"))
        elif not (fit.sst[j] > 0) or not (fit.sigma[j] > 0):
            status[gi] = "constant returns (zero variance in the estimation window)"
        elif fit.singular[j]:
            status[gi] = "regressors constant or collinear in the estimation window"
        elif not mask_evt[j].any():
            status[gi] = ("no valid returns in the event window"
                          + _limiting(AT, index, [ci[j]] + list(rc), [sym_arr[gi]] + regs,
                                      p0[j] + w0, p0[j] + w1, "event window"))
        elif fit.n_est[j] - fit.k <= 2:
            status[gi] = f"too few observations ({m})"
        else:
            continue
        keep[j] = False

    # ------------------------------------------------------------------ per-event table
    k = fit.k
    out = pd.DataFrame({"symbol": ev["symbol"].to_numpy(),
                        "event_date": ev["_date"].to_numpy()}, index=pd.Index(id_arr,
                                                                                   name="event_id"))
    day0 = np.full(n_ev, np.datetime64("NaT"), dtype="datetime64[ns]")
    valid_pos = pos >= 0
    day0[valid_pos] = index.to_numpy()[pos[valid_pos]]
    out["day0"] = day0
    out["status"] = status
    nan = np.full(n_ev, np.nan)

    def put(vals: np.ndarray) -> np.ndarray:
        full = nan.copy()
        full[okpos] = vals
        return full

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
        r2 = (1 - fit.sse / fit.sst) if model not in ("market_adjusted",) else np.full(
            len(okpos), np.nan)
    from scipy.special import stdtr  # t.sf(t, df) = stdtr(df, -t); lighter than scipy.stats

    car_df = (fit.n_est - k).astype(float)
    car_p = np.where(car_df > 0, 2 * stdtr(np.maximum(car_df, 1), -np.abs(car_t)), np.nan)

    out["n_est"] = put(fit.n_est.astype(float))
    out["alpha"] = put(fit.params[:, 0]) if model != "market_adjusted" else put(
        np.zeros(len(okpos)))
    for j, c in enumerate(regs):
        if model == "market_adjusted":
            out[f"beta_{c}"] = put(np.ones(len(okpos)))
        else:
            out[f"beta_{c}"] = put(fit.params[:, 1 + j])
    out["sigma"] = put(sig)
    out["r2"] = put(r2)
    out["n_evt"] = put(l2)
    out["car"] = put(car)
    out["car_t"] = put(car_t)
    out["car_df"] = put(car_df)
    out["car_p"] = put(car_p)
    out["car_se_corrected"] = put(car_se_corr)
    out["bhar"] = put(bhar)
    out["confounded"] = confounded
    out["confounded_by"] = confounded_by
    # statistics only for kept events: blank the rest
    dropped_rows = okpos[~keep]
    stat_cols = [c for c in out.columns if c not in ("symbol", "event_date", "day0", "status",
                                                      "confounded", "confounded_by", "n_est")]
    out.loc[out.index[dropped_rows], stat_cols] = np.nan

    if volume is not None:
        av, avt = _abnormal_volume(volume, r.index, sym_arr, pos, okpos, est_off, evt_off)
        av[dropped_rows] = np.nan
        avt[dropped_rows] = np.nan
        out["abn_volume"] = av
        out["abn_volume_t"] = avt

    # ------------------------------------------------------------------ aggregate
    kk = keep
    gidx = okpos[kk]
    F = _Panel(fit=fit, keep=kk, ar=ar[kk], sar=sar[kk], mask_evt=mask_evt[kk],
               start=(p0 + e0)[kk], pos0=p0[kk])
    n_boot_eff = (999 if len(gidx) <= 30 else 0) if n_boot is None else int(n_boot)
    options["n_boot"] = n_boot_eff
    tests, daily, caar, kp_r = _battery(F, options, evt_off)
    ar_long = _ar_long(id_arr[gidx], sym_arr[gidx], evt_off, ridx_evt[kk], index, y_evt[kk],
                       ar[kk], sar[kk], fit.c_evt[kk])
    return EventStudyResult(events=out, ar=ar_long, tests=tests, daily=daily, caar=caar,
                            options=options, kp_r=kp_r)


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
