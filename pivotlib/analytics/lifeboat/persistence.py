r"""Hype or substance: do AI-deal pops persist or revert over 20, 60 and 120 sessions?

For each event (symbol ``i``, day 0 = first session that could react) and each day
:math:`\tau = 0..H` after it, two benchmarks:

* **factor model** (market + BTC), OLS over the estimation window ``est_window`` (default
  sessions [-250, -11]; at least ``min_est`` rows): :math:`E_{i\tau} = \hat a + \hat b_{M}
  r_{M\tau} + \hat b_{B} r_{B\tau}`;
* **loyal-miner control portfolio**: :math:`E_{i\tau} = \bar r_{C\tau}`, the equal-weight mean
  of the control symbols with a return that day (the announcer is never its own control).

Then :math:`AR_{i\tau} = r_{i\tau} - E_{i\tau}`, :math:`CAR_i(0,h) = \sum_{\tau=0}^{h}
AR_{i\tau}` and the buy-and-hold abnormal return

.. math:: BHAR_i(0,h) = \prod_{\tau=0}^{h} (1 + r_{i\tau}) - \prod_{\tau=0}^{h} (1 + E_{i\tau}).

**Share kept** at ``h``: :math:`k_i(h) = CAR_i(0,h) / AR_{i0}` (1 = the whole day-0 move is
still there, 0 = fully reverted, > 1 = drift in the same direction). The ratio is unstable
when the pop is small, so the cross-section uses events with :math:`|AR_{i0}| \ge`
``min_pop`` and the summary also reports the pooled ratio :math:`\overline{CAR}(0,h) /
\overline{AR}_0`. **Per-event verdict** at ``h`` from the CAR interval
:math:`CAR \pm z\,\hat\sigma_i \sqrt{h+1}` (:math:`\hat\sigma_i` the estimation residual sd):
``persists`` (excludes 0, includes the pop), ``reverts`` (includes 0, excludes the pop),
``partial`` (excludes both), ``unclear`` (includes both).

Tests across events at each horizon: cross-sectional t of the mean CAR/BHAR, and for BHAR the
Lyon, Barber and Tsai (1999) skewness-adjusted t with its bootstrap p-value
(:func:`lbt_skew_t`, :func:`lbt_bootstrap`). As the paper computes it (``skew="lbt"``, the
default), with :math:`S = \bar x / s` and :math:`s` the sample standard deviation,

.. math:: \hat\gamma = \frac{\sum_i (x_i - \bar x)^3}{n s^3}, \qquad
          t_{sa} = \sqrt n \Big(S + \tfrac13 \hat\gamma S^2 + \tfrac{1}{6n}\hat\gamma\Big)

(LBT eq. 5), and the bootstrap draws ``n_boot`` resamples of size :math:`n_b = n/4` (at least
3) with replacement, computes :math:`t_{sa}^b` on each with :math:`S^b = (\bar x^b - \bar x) /
s^b` (the null imposed by re-centring on the original mean) and :math:`\hat\gamma^b` of the
resample, and reports the two-sided p :math:`2 \min(\Pr^*(t^b \le t_{sa}), \Pr^*(t^b \ge
t_{sa}))` (each share with +1 in numerator and denominator). ``skew="bias_corrected"`` keeps
the earlier variant, named: Hall's (1992) bias-corrected skewness :math:`\frac{n}{(n-1)(n-2)}
\sum (x_i - \bar x)^3 / s^3` and resamples of size ``n`` (about 4% larger t at n = 30). Each
(benchmark, horizon) has its own random stream, seeded by ``(seed, benchmark, h)``, so a
horizon's p does not change with the other horizons requested. Cross-section: :math:`k_i(h) = c_0 + c_1 \log(\text{deal\_usd}_i) + u_i`, OLS with HC3
standard errors (MacKinnon and White 1985).

Horizons past the data: an event whose path ends before ``h`` (end of data, or a missing
return of the symbol) has NaN at ``h`` and ``truncated=True`` with ``h_avail``; nothing is
forward-filled. Later events of the same symbol inside the horizon are flagged
(``overlaps``), not removed.

References
----------
Barber, B. M. and Lyon, J. D. (1997). Detecting long-run abnormal stock returns. Journal of
    Financial Economics 43(3), 341-372.
Lyon, J. D., Barber, B. M. and Tsai, C.-L. (1999). Improved methods for tests of long-run
    abnormal stock returns. Journal of Finance 54(1), 165-201.
Hall, P. (1992). On the removal of skewness by transformation. JRSS B 54(1), 221-228.
MacKinnon, J. G. and White, H. (1985). Some heteroskedasticity-consistent covariance matrix
    estimators with improved finite sample properties. Journal of Econometrics 29(3), 305-325.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pivotlib.analytics.eventstudy.resample import two_sided_p
from pivotlib.analytics.lifeboat._common import LifeboatResult, check_returns, check_roles
from pivotlib.errors import InputError

__all__ = ["AI_EVENT_CATEGORIES", "SKEW_METHODS", "PersistenceResult", "deal_persistence",
           "event_paths", "lbt_bootstrap", "lbt_skew_t"]

SKEW_METHODS: tuple[str, ...] = ("lbt", "bias_corrected")
"""``lbt``: Lyon, Barber and Tsai (1999) eq. 5 and n/4 resamples; ``bias_corrected``: Hall's
bias-corrected skewness and resamples of n (the variant used before)."""


def _skew_t_rows(x: np.ndarray, centre: np.ndarray | float, skew: str) -> np.ndarray:
    """t_sa of each row of ``x`` with ``S = (mean - centre) / s`` (module docstring)."""
    n = x.shape[1]
    m = x.mean(axis=1)
    sd = x.std(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        S = (m - centre) / sd
        third = ((x - m[:, None]) ** 3).sum(axis=1) / sd ** 3
        g = third / n if skew == "lbt" else n / ((n - 1) * (n - 2)) * third
        return np.sqrt(n) * (S + g * S * S / 3.0 + g / (6.0 * n))


def lbt_skew_t(x: np.ndarray, *, skew: str = "lbt") -> float:
    r"""Skewness-adjusted t of the mean (Lyon, Barber and Tsai 1999, eq. 5).

    :math:`t_{sa} = \sqrt n (S + \hat\gamma S^2 / 3 + \hat\gamma / (6n))`, :math:`S = \bar x/s`,
    :math:`\hat\gamma = \sum (x_i - \bar x)^3 / (n s^3)` (``skew="lbt"``) or Hall's
    bias-corrected :math:`\frac{n}{(n-1)(n-2)} \sum (x_i - \bar x)^3 / s^3`
    (``skew="bias_corrected"``). NaN with fewer than 3 finite values or no dispersion.
    """
    if skew not in SKEW_METHODS:
        raise InputError(f"skew={skew!r}; use one of {list(SKEW_METHODS)}")
    v = np.asarray(x, float)
    v = v[np.isfinite(v)]
    if v.size < 3 or not v.std(ddof=1) > 0:
        return float("nan")
    return float(_skew_t_rows(v[None, :], 0.0, skew)[0])


def lbt_bootstrap(x: np.ndarray, n_boot: int, rng: np.random.Generator, *,
                  skew: str = "lbt") -> tuple[float, float]:
    r"""Skewness-adjusted t and its bootstrap p (LBT 1999; module docstring).

    ``skew="lbt"``: resamples of size :math:`n_b = \max(3, \lfloor n/4 \rfloor)` as LBT draw;
    ``"bias_corrected"``: resamples of size ``n``. Each resample's statistic uses
    :math:`S^b = (\bar x^b - \bar x)/s^b`. Returns ``(t_sa, p)``; NaN with fewer than 3 values.
    """
    v = np.asarray(x, float)
    v = v[np.isfinite(v)]
    t0 = lbt_skew_t(v, skew=skew)
    if not np.isfinite(t0):
        return float("nan"), float("nan")
    size = max(3, v.size // 4) if skew == "lbt" else v.size
    draws = v[rng.integers(0, v.size, size=(int(n_boot), size))]
    return t0, two_sided_p(t0, _skew_t_rows(draws, v.mean(), skew))

AI_EVENT_CATEGORIES: tuple[str, ...] = ("ai_hosting_lease", "ai_cloud_contract",
                                        "ai_cloud_launch", "ai_capex")
"""Default AI-deal categories for the persistence and spillover analyses."""

BENCHMARKS = ("model", "control")


def _events_frame(events: pd.DataFrame) -> pd.DataFrame:
    need = {"event_id", "symbol", "event_date"}
    if not isinstance(events, pd.DataFrame) or not need <= set(events.columns):
        raise InputError(f"events must be a DataFrame with columns {sorted(need)}")
    ev = events.copy()
    ev["event_date"] = pd.to_datetime(ev["event_date"])
    if "deal_usd" not in ev:
        ev["deal_usd"] = np.nan
    ev["deal_usd"] = pd.to_numeric(ev["deal_usd"], errors="coerce")
    return ev.sort_values(["event_date", "event_id"]).reset_index(drop=True)


def _no_day0(returns: pd.DataFrame, pos: int, names: Sequence[str]) -> str:
    """Why an event has no return on day 0, naming the limiting series and its dates (the
    wording of the event-study engine's reasons, so 06 reads like 02)."""
    day = returns.index[pos].date()
    for name in names:
        col = returns[name]
        if np.isfinite(col.iloc[pos]):
            continue
        valid = col[np.isfinite(col.to_numpy(float))]
        if valid.empty:
            return f"no return on day 0 ({day}): {name} has no data at all; load it"
        first, last = valid.index[0].date(), valid.index[-1].date()
        if last < day:
            return (f"no return on day 0 ({day}): {name} data end {last}; extend {name} "
                    f"past {day} or pick an earlier event")
        if first > day:
            return (f"no return on day 0 ({day}): {name} data start {first}; load earlier "
                    f"history of {name}")
        return (f"no return on day 0 ({day}): {name} has a gap on that session (data "
                f"{first} to {last}, not filled); fill the gap or pick another event")
    return f"no return on day 0 ({day})"


def event_paths(returns: pd.DataFrame, events: pd.DataFrame, *, market: str, btc: str | None,
                controls: Sequence[str] = (), horizon: int = 120,
                est_window: tuple[int, int] = (-250, -11), min_est: int = 60) -> dict[str, Any]:
    """Abnormal-return paths of each event over ``0..horizon`` against both benchmarks.

    Returns a dict with ``info`` (per-event DataFrame: ``pos``, ``sigma``, ``n_est``,
    ``h_avail``, ``note``), ``r`` (raw returns, events x (H+1)), ``exp_model``, ``exp_control``
    (expected returns), NaN where the path is unavailable (after the first missing day).
    """
    returns = check_returns(returns)
    check_roles(returns, market=market, **({"btc": btc} if btc else {}))
    ev = _events_frame(events)
    idx = returns.index
    H = int(horizon)
    n = len(ev)
    R = np.full((n, H + 1), np.nan)
    EM = np.full((n, H + 1), np.nan)
    EC = np.full((n, H + 1), np.nan)
    F = returns[[market] + ([btc] if btc else [])].to_numpy(float)  # no btc: market model
    ctrl = [c for c in controls if c in returns.columns]
    C = returns[ctrl].to_numpy(float) if ctrl else np.empty((len(idx), 0))
    info = []
    for e, row in ev.iterrows():
        rec: dict[str, Any] = {"pos": -1, "sigma": np.nan, "n_est": 0, "h_avail": -1, "note": ""}
        s = str(row["symbol"])
        pos = int(idx.searchsorted(row["event_date"]))
        if s not in returns.columns:
            rec["note"] = "symbol not in the dataset"
        elif pos >= len(idx):
            rec["note"] = "event after the end of the data"
        else:
            rec["pos"] = pos
            y = returns[s].to_numpy(float)
            lo, hi = max(0, pos + est_window[0]), max(0, pos + est_window[1] + 1)
            ye, Xe = y[lo:hi], F[lo:hi]
            ok = np.isfinite(ye) & np.isfinite(Xe).all(axis=1)
            rec["n_est"] = int(ok.sum())
            seg = slice(pos, min(len(idx), pos + H + 1))
            yy = y[seg]
            good = np.isfinite(yy) & np.isfinite(F[seg]).all(axis=1)
            L = int(np.argmin(good)) if not good.all() else len(yy)
            rec["h_avail"] = L - 1
            R[e, :L] = yy[:L]
            if ok.sum() >= min_est:
                Z = np.column_stack([np.ones(ok.sum()), Xe[ok]])
                coef, *_ = np.linalg.lstsq(Z, ye[ok], rcond=None)
                res = ye[ok] - Z @ coef
                rec["sigma"] = float(res.std(ddof=Z.shape[1]))
                EM[e, :L] = coef[0] + F[seg][:L] @ coef[1:]
            else:
                rec["note"] = f"estimation window has {ok.sum()} rows (< {min_est}): no model AR"
            cols = [j for j, c in enumerate(ctrl) if c != s]
            if cols:
                cm = C[seg][:L][:, cols]
                with np.errstate(invalid="ignore"):
                    mean = np.nanmean(np.where(np.isfinite(cm), cm, np.nan), axis=1) \
                        if np.isfinite(cm).any() else np.full(L, np.nan)
                EC[e, :L] = mean
            if L == 0:
                rec["note"] = _no_day0(returns, pos, [s, market, btc])
        info.append(rec)
    return {"events": ev, "info": pd.DataFrame(info), "r": R, "exp_model": EM,
            "exp_control": EC}


@dataclass
class PersistenceResult(LifeboatResult):
    """Result of :func:`deal_persistence`.

    ``table``: per benchmark (``model``/``control``), measure (``CAR``/``BHAR``) and horizon:
    ``n``, ``mean``, ``low``, ``high``, ``t``, ``p``, ``skew_t``, ``boot_p`` (BHAR only),
    ``mean_ar0``, ``pooled_kept``, ``median_kept``. ``events``: one row per event with its
    day-0 AR, CAR/BHAR and share kept at each horizon, ``verdict_<h>``, ``truncated``,
    ``h_avail``, ``overlaps``, ``note`` (and the catalog's ``confounders`` when given). ``paths``: long mean paths (benchmark, measure,
    ``tau``, ``n``, ``mean``, ``low``, ``high``) for the chart. ``cross_section``: kept on log
    deal size per horizon.
    """

    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    paths: pd.DataFrame = field(default_factory=pd.DataFrame)
    cross_section: pd.DataFrame = field(default_factory=pd.DataFrame)
    horizons: tuple[int, ...] = (20, 60, 120)


def _mean_ci(x: np.ndarray, z: float) -> tuple[int, float, float, float, float, float]:
    x = x[np.isfinite(x)]
    n = x.size
    if n < 2:
        return n, float(x.mean()) if n else np.nan, np.nan, np.nan, np.nan, np.nan
    m, se = x.mean(), x.std(ddof=1) / np.sqrt(n)
    q = stats.t.ppf(0.5 + z / 2, n - 1)
    t = m / se if se > 0 else np.nan
    return n, m, m - q * se, m + q * se, t, float(2 * stats.t.sf(abs(t), n - 1))


def deal_persistence(returns: pd.DataFrame, events: pd.DataFrame, *, market: str = "SPY",
                     btc: str | None = "BTC-USD", controls: Sequence[str] = (),
                     horizons: Sequence[int] = (20, 60, 120),
                     est_window: tuple[int, int] = (-250, -11), min_est: int = 60,
                     min_pop: float = 0.05, level: float = 0.95, n_boot: int = 999,
                     seed: int = 0, skew: str = "lbt") -> PersistenceResult:
    """CAR, BHAR and share of the day-0 move kept at each horizon (see module docstring).

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns on sessions.
    events : DataFrame
        ``event_id, symbol, event_date`` and optionally ``deal_usd``, ``category``.
    market, btc : str
        Factor-model columns (keyword roles, validated present and distinct). ``btc=None``
        (no bitcoin series): the market model.
    controls : sequence of str
        Loyal-miner control portfolio members (equal weight; missing symbols are skipped).
    horizons : sequence of int, default (20, 60, 120)
        Sessions after day 0 (the window is [0, h]).
    est_window, min_est
        Estimation window in sessions relative to day 0 and its minimum rows.
    min_pop : float, default 0.05
        Minimum |AR_0| for an event to enter the share-kept cross-section.
    level : float
        Confidence level of the intervals.
    n_boot, seed
        Bootstrap draws and seed of the skewness-adjusted t (each benchmark and horizon its
        own stream, ``np.random.default_rng([seed, benchmark, h])``).
    skew : {"lbt", "bias_corrected"}, default "lbt"
        The skewness estimator and resample size (:data:`SKEW_METHODS`, module docstring).

    Returns
    -------
    PersistenceResult
    """
    hs = sorted({int(h) for h in horizons})
    if not hs or hs[0] < 1:
        raise InputError(f"horizons={list(horizons)} must be positive session counts")
    if not 0.5 < level < 1:
        raise InputError(f"level={level} must be between 0.5 and 1")
    P = event_paths(returns, events, market=market, btc=btc, controls=controls,
                    horizon=hs[-1], est_window=est_window, min_est=min_est)
    ev, info, R = P["events"], P["info"], P["r"]
    if skew not in SKEW_METHODS:
        raise InputError(f"skew={skew!r}; use one of {list(SKEW_METHODS)}")
    z = stats.norm.ppf(0.5 + level / 2)
    out = ev[["event_id", "symbol", "event_date"] + [c for c in ("category", "deal_usd",
                                                                 "confounders") if c in ev]].copy()
    out["h_avail"] = info["h_avail"].to_numpy()
    out["truncated"] = out["h_avail"] < hs[-1]
    out["note"] = info["note"].to_numpy()
    # later events of the same symbol inside the longest horizon
    pos = info["pos"].to_numpy()
    out["overlaps"] = [int(((ev["symbol"] == s) & (pos > p) & (pos <= p + hs[-1])).sum())
                       if p >= 0 else 0 for s, p in zip(ev["symbol"], pos)]
    rows, path_rows = [], []
    taus = np.arange(hs[-1] + 1)
    for bi, bench in enumerate(BENCHMARKS):
        E = P[f"exp_{bench}"]
        AR = R - E
        CAR = np.cumsum(AR, axis=1)  # NaN propagates: no path past the first gap
        BH = np.cumprod(1 + R, axis=1) - np.cumprod(1 + E, axis=1)
        ar0 = AR[:, 0]
        out[f"ar0_{bench}"] = ar0
        for h in hs:
            out[f"car{h}_{bench}"] = CAR[:, h]
            out[f"bhar{h}_{bench}"] = BH[:, h]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[f"kept{h}_{bench}"] = CAR[:, h] / ar0
        for meas, M in (("CAR", CAR), ("BHAR", BH)):
            for h in hs:
                n, m, lo, hi, t, p = _mean_ci(M[:, h], level)
                row = {"benchmark": bench, "measure": meas, "horizon": h, "n": n, "mean": m,
                       "low": lo, "high": hi, "t": t, "p": p}
                if meas == "BHAR":
                    rng = np.random.default_rng([int(seed), bi, int(h)])
                    row["skew_t"], row["boot_p"] = lbt_bootstrap(M[:, h], n_boot, rng, skew=skew)
                okh = np.isfinite(M[:, h]) & np.isfinite(ar0)
                row["mean_ar0"] = float(ar0[okh].mean()) if okh.any() else np.nan
                kept = CAR[okh, h] / ar0[okh]
                row["pooled_kept"] = (float(CAR[okh, h].mean() / ar0[okh].mean())
                                      if okh.any() else np.nan)
                big = np.abs(ar0[okh]) >= min_pop
                row["median_kept"] = float(np.median(kept[big])) if big.any() else np.nan
                rows.append(row)
            fin = np.isfinite(M)
            cnt = fin.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.nansum(np.where(fin, M, 0), axis=0) / cnt
                sd = np.sqrt(np.nansum(np.where(fin, (M - mean) ** 2, 0), axis=0) / (cnt - 1))
                q = stats.t.ppf(0.5 + level / 2, np.maximum(cnt - 1, 1))
                half = q * sd / np.sqrt(cnt)
            path_rows.append(pd.DataFrame({"benchmark": bench, "measure": meas, "tau": taus,
                                           "n": cnt, "mean": mean, "low": mean - half,
                                           "high": mean + half}))
    sig = info["sigma"].to_numpy()
    for h in hs:
        car, a0 = out[f"car{h}_model"].to_numpy(), out["ar0_model"].to_numpy()
        half = z * sig * np.sqrt(h + 1)
        inc0 = np.abs(car) <= half
        incp = np.abs(car - a0) <= half
        v = np.select([~np.isfinite(car), ~inc0 & incp, inc0 & ~incp, ~inc0 & ~incp],
                      ["", "persists", "reverts", "partial"], "unclear")
        out[f"verdict{h}"] = v
    xs = []
    logd = np.log(out["deal_usd"].to_numpy(float))
    for h in hs:
        k = out[f"kept{h}_model"].to_numpy(float)
        ok = np.isfinite(k) & np.isfinite(logd) & (np.abs(out["ar0_model"].to_numpy()) >= min_pop)
        rec: dict[str, Any] = {"horizon": h, "n": int(ok.sum())}
        if ok.sum() >= 4:
            import statsmodels.api as sm
            fit = sm.OLS(k[ok], sm.add_constant(logd[ok])).fit(cov_type="HC3")
            ci = fit.conf_int(1 - level)
            rec.update({"intercept": fit.params[0], "slope_log_deal": fit.params[1],
                        "se": fit.bse[1], "low": ci[1, 0], "high": ci[1, 1],
                        "p": fit.pvalues[1], "r2": fit.rsquared})
        xs.append(rec)
    notes = [f"{r.event_id}: {r.note}" for r in out.itertuples() if r.note]
    tr = out.loc[out["truncated"] & (out["h_avail"] >= 0), "event_id"].tolist()
    if tr:
        notes.append(f"truncated before +{hs[-1]} (data end or gap; not filled): "
                     + ", ".join(tr))
    how = ("LBT eq. 5, resamples of n/4" if skew == "lbt"
           else "bias-corrected skewness, resamples of n")
    method = (f"CAR/BHAR over [0,h], h in {hs}: factor model {market}{'+' + btc if btc else ' (market model: no bitcoin)'} estimated on "
              f"sessions {list(est_window)}, and the equal-weight control portfolio "
              f"{', '.join(controls) or '(none)'}; LBT skewness-adjusted bootstrap t ({how}; "
              f"{n_boot} draws, seed {seed} per horizon); kept = CAR(0,h)/AR0")
    return PersistenceResult(table=pd.DataFrame(rows), notes=notes,
                             title="AI-deal pops: persistence", method=method, events=out,
                             paths=pd.concat(path_rows, ignore_index=True),
                             cross_section=pd.DataFrame(xs), horizons=tuple(hs))
