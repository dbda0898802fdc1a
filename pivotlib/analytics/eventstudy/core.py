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

from pivotlib.analytics.eventstudy.battery import _abnormal_volume, _ar_long, _battery, _Panel
from pivotlib.analytics.eventstudy.models import MODELS
from pivotlib.analytics.eventstudy.result import EventStudyResult
from pivotlib.analytics.eventstudy.stages import (
    _check_window,
    _prepare_events,
    _prepare_returns,
    align,
    car_stats,
    confounding,
    estimate,
    gather,
    mask_covered,
    other_cover,
    post_fit_status,
    regressors_of,
    screen,
)
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
    regs = regressors_of(model, market, factors, r.columns)

    options = dict(model=model, market=market, factors=list(factors) if factors else None,
                   estimation=(e0, e1), window=(w0, w1), nontrading=nontrading,
                   min_est=int(min_est), mask_other_events=mask_other_events,
                   sigma_ddof=sigma_ddof, car_variance=car_variance,
                   bmp_standardize=bmp_standardize, kp_correlation=kp_correlation,
                   kp_min_overlap=kp_min_overlap, kp_weight=kp_weight,
                   kp_max_events=kp_max_events, gsign_p=gsign_p, wilcoxon_p=wilcoxon_p,
                   engine=engine, seed=seed)

    # stage 1: alignment
    al = align(r, ev, nontrading=nontrading, other_events=other_events, prepared=(r, ev))
    index, pos = al.index, al.pos
    n_ev = len(ev)
    id_arr = ev["event_id"].to_numpy()
    sym_arr = ev["symbol"].to_numpy()
    status = screen(al, (e0, e1), (w0, w1), min_est)
    confounded, confounded_by = confounding(al, (w0, w1))

    # stage 2: windows (other events' windows masked from estimation)
    okpos = np.flatnonzero(status == "ok")
    rc = r.columns.get_indexer(regs).astype(np.int64)
    win = gather(al.AT, pos[okpos], al.col_idx[okpos], rc, (e0, e1), (w0, w1), okpos)
    if mask_other_events and len(okpos):
        win.mask_est = mask_covered(win.mask_est, other_cover(al, (w0, w1)), win.ci,
                                    win.p0 + e0)
    p0, y_evt, mask_evt = win.p0, win.y_evt, win.mask_evt

    # stage 3: estimation and the post-fit drop reasons
    fit = estimate(win, model, sigma_ddof, engine)
    keep = post_fit_status(al, win, fit, status, min_est, regs)

    # stage 4: abnormal returns
    cs = car_stats(fit, y_evt, mask_evt, model, car_variance)
    ar, sar, l2 = cs["ar"], cs["sar"], cs["l2"]

    # ------------------------------------------------------------------ per-event table
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

    out["n_est"] = put(fit.n_est.astype(float))
    out["alpha"] = put(fit.params[:, 0]) if model != "market_adjusted" else put(
        np.zeros(len(okpos)))
    for j, c in enumerate(regs):
        if model == "market_adjusted":
            out[f"beta_{c}"] = put(np.ones(len(okpos)))
        else:
            out[f"beta_{c}"] = put(fit.params[:, 1 + j])
    out["sigma"] = put(fit.sigma)
    out["r2"] = put(cs["r2"])
    out["n_evt"] = put(l2)
    out["car"] = put(cs["car"])
    out["car_t"] = put(cs["car_t"])
    out["car_df"] = put(cs["car_df"])
    out["car_p"] = put(cs["car_p"])
    out["car_se_corrected"] = put(cs["car_se_corrected"])
    out["bhar"] = put(cs["bhar"])
    out["confounded"] = confounded
    out["confounded_by"] = confounded_by
    # statistics only for kept events: blank the rest
    dropped_rows = okpos[~keep]
    stat_cols = [c for c in out.columns if c not in ("symbol", "event_date", "day0", "status",
                                                      "confounded", "confounded_by", "n_est")]
    out.loc[out.index[dropped_rows], stat_cols] = np.nan

    if volume is not None:
        av, avt = _abnormal_volume(volume, r.index, sym_arr, pos, okpos, win.est_off,
                                   win.evt_off)
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
    tests, daily, caar, kp_r = _battery(F, options, win.evt_off)
    ar_long = _ar_long(id_arr[gidx], sym_arr[gidx], win.evt_off, win.ridx_evt[kk], index, y_evt[kk],
                       ar[kk], sar[kk], fit.c_evt[kk])
    return EventStudyResult(events=out, ar=ar_long, tests=tests, daily=daily, caar=caar,
                            options=options, kp_r=kp_r)
