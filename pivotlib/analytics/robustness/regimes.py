r"""The specification curve of a miner's pivot score (change in AI beta minus change in BTC beta).

One specification is one set of choices (:data:`pivotlib.defaults.PIVOT_CURVE_GRID`): the
``split`` date (first AI announcement or first signed contract in the catalog), the
(before, after) ``window`` in valid sessions, the ``ai_proxy`` factor and the Newey-West
``hac_lags``. Each row equals :func:`pivotlib.analytics.regimes.pivot_scores` for that miner with
those options (``clip=True``, ``errors="skip"``, as :func:`pivotlib.studies.regime.study_regimes`
calls it; :func:`score_options` gives the call, a test checks the equality to 1e-10):

.. math:: \text{score} = \Delta\beta_{AI} - \Delta\beta_{BTC} = c'\hat\theta, \qquad
          \widehat{Var} = c'\hat V_{HAC} c,

from the interaction regression :math:`r_t = Z_t'b + D_t Z_t'g + e_t`, :math:`Z_t = (1, r_{MKT},
r_{BTC}, \tilde r_{AI})` (the AI proxy residualised on the market over the window's rows), with
``c`` picking :math:`g_{AI} - g_{BTC}`.

**Shared work.** The regression depends on (split, window, proxy) only; the HAC lags change the
variance alone. With :math:`a = (W'W)^{-1}c` and the scalar series :math:`z_t = \hat e_t\,
W_t'a`, the Newey-West variance of the contrast is

.. math:: c'\hat V c = \frac{T}{T-k}\Big[\hat\gamma_0 + 2\sum_{l=1}^{L}\big(1-\tfrac{l}{L+1}\big)
          \hat\gamma_l\Big], \qquad \hat\gamma_l = \sum_t z_t z_{t-l},

(Newey and West 1987; the same number as statsmodels' ``cov_type="HAC"`` with
``use_correction=True``), so every lag choice costs one autocovariance of one series. All the
windows (real and placebo) are fitted in batches.

**Null curves: placebo split dates.** Null draw ``b`` shifts every specification's split by the
same ``k_b`` valid sessions (seeded, uniform over the shifts that leave ``min_obs`` sessions on
each side of the headline's split, at least ``gap`` sessions from the real date) and recomputes
the whole curve. A placebo window that still straddles the real break picks up part of it,
which makes the joint test conservative, never liberal.

References
----------
Simonsohn, U., Simmons, J. P. and Nelson, L. D. (2020). Specification curve analysis. Nature
    Human Behaviour 4, 1208-1214.
Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
    autocorrelation consistent covariance matrix. Econometrica 55(3), 703-708.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri  # normal cdf and quantile, as scipy.stats.norm uses

from pivotlib.analytics.lifeboat.cohorts import CONTRACT_CATEGORIES
from pivotlib.analytics.regimes.common import _check_returns, _valid_frame, hac_lags_rule
from pivotlib.analytics.robustness.core import SpecCurve, curve_frame, grid_specs
from pivotlib.defaults import PIVOT_CURVE_GRID, REGIME_MIN_SIDE, ROBUST_NULL_DRAWS
from pivotlib.errors import InputError
from pivotlib.events.taxonomy import is_ai_category

__all__ = ["PIVOT_CHOICES", "PIVOT_HEADLINE", "pivot_score_curve", "score_options",
           "split_dates"]

PIVOT_CHOICES: tuple[str, ...] = ("split", "window", "ai_proxy", "hac_lags")
"""The choice columns of a pivot-score curve, in order."""
PIVOT_HEADLINE: dict[str, Any] = {"split": "first_ai", "window": (250, 250), "ai_proxy": "SMH",
                                  "hac_lags": "rule"}
"""The study's default specification (``hac_lags="rule"``: the Newey-West rule of thumb)."""
SPLITS = ("first_ai", "first_contract")


def split_dates(catalog: pd.DataFrame, symbol: str,
                contract_categories: Sequence[str] = CONTRACT_CATEGORIES) -> dict[str, Any]:
    """The two split rules for ``symbol``: first AI announcement (categories passing
    :func:`pivotlib.events.taxonomy.is_ai_category`, the study's rule) and first signed
    AI/HPC contract (``contract_categories``); NaT when the catalog has none."""
    need = {"symbol", "event_date", "category"}
    if not isinstance(catalog, pd.DataFrame) or not need <= set(catalog.columns):
        raise InputError(f"catalog must be a DataFrame with columns {sorted(need)}")
    ev = catalog[catalog["symbol"].astype(str).str.upper() == symbol.upper()].copy()
    ev["_d"] = pd.to_datetime(ev["event_date"], errors="coerce")
    ai = ev[ev["category"].map(is_ai_category) & ev["_d"].notna()]
    con = ev[ev["category"].isin(list(contract_categories)) & ev["_d"].notna()]
    return {"first_ai": ai["_d"].min() if len(ai) else pd.NaT,
            "first_contract": con["_d"].min() if len(con) else pd.NaT}


def _lags_label(v: Any) -> Any:
    return "rule" if v is None or v == "rule" else int(v)


def score_options(spec: Mapping[str, Any], dates: Mapping[str, Any], *, market: str = "SPY",
                  btc: str = "BTC-USD", min_obs: int = REGIME_MIN_SIDE) -> dict[str, Any]:
    """Keyword arguments of :func:`pivotlib.analytics.regimes.pivot_scores` (after
    ``returns, [symbol]``) for one specification; ``dates`` from :func:`split_dates`."""
    before, after = spec["window"]
    lags = _lags_label(spec["hac_lags"])
    return {"factors": [market, btc, spec["ai_proxy"]],
            "date_or_events": dates[spec["split"]], "before": int(before), "after": int(after),
            "btc_factor": btc, "ai_factor": spec["ai_proxy"], "market": market,
            "hac_lags": None if lags == "rule" else lags, "clip": True, "min_obs": min_obs,
            "errors": "skip"}


def pivot_score_curve(returns: pd.DataFrame, catalog: pd.DataFrame, symbol: str, *,
                      market: str = "SPY", btc: str = "BTC-USD",
                      grid: Mapping[str, Sequence[Any]] | None = None,
                      headline: Mapping[str, Any] | None = None, alpha: float = 0.05,
                      min_obs: int = REGIME_MIN_SIDE, n_null: int = ROBUST_NULL_DRAWS,
                      gap: int = 120, seed: int = 0,
                      contract_categories: Sequence[str] = CONTRACT_CATEGORIES) -> SpecCurve:
    """Specification curve of one miner's pivot score with its placebo-date joint test.

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns with ``symbol``, ``market``, ``btc`` and the AI proxies.
    catalog : DataFrame
        The event catalog (split dates come from it).
    symbol : str
        The miner.
    market, btc : str
        Market and bitcoin columns.
    grid : mapping, optional
        Choices (default :data:`pivotlib.defaults.PIVOT_CURVE_GRID`); a proxy the data lack is
        dropped with a note; a choice left out is held at the headline's value.
    headline : mapping, optional
        The headline specification (default :data:`PIVOT_HEADLINE`).
    alpha : float
        Interval level ``1 - alpha`` (as :func:`~pivotlib.analytics.regimes.pivot_scores`).
    min_obs : int
        Fewest valid sessions on each side (the study's ``REGIME_MIN_SIDE``).
    n_null : int
        Placebo-date null curves; 0 skips the joint test.
    gap : int
        Fewest sessions between a placebo split and the real one.
    seed : int
        Seed of the placebo shifts.

    Returns
    -------
    SpecCurve
        ``frame``: choice columns, ``estimate`` (score), ``ci_low``, ``ci_high``, ``p``, ``n``
        (sessions), ``split_date``, ``status``, ``is_headline``; ``frame.attrs["notes"]``.
    """
    returns = _check_returns(returns)
    for role, col in (("symbol", symbol), ("market", market), ("btc", btc)):
        if col not in returns.columns:
            raise InputError(f"{role} {col!r} is not a column of the returns frame; load it")
    notes: list[str] = []
    g = {k: tuple(v) for k, v in (PIVOT_CURVE_GRID if grid is None else grid).items()}
    unknown = [k for k in g if k not in PIVOT_CHOICES]
    if unknown:
        raise InputError(f"unknown pivot curve choice(s) {unknown}; use {list(PIVOT_CHOICES)}")
    head = {**PIVOT_HEADLINE, **(headline or {})}
    head["hac_lags"] = _lags_label(head["hac_lags"])
    head["window"] = tuple(int(x) for x in head["window"])
    for k in PIVOT_CHOICES:
        g.setdefault(k, (head[k],))
    bad = [s for s in g["split"] if s not in SPLITS]
    if bad:
        raise InputError(f"split choice(s) {bad}; use {list(SPLITS)}")
    g["window"] = tuple(tuple(int(x) for x in w) for w in g["window"])
    g["hac_lags"] = tuple(_lags_label(v) for v in g["hac_lags"])
    absent = [p for p in g["ai_proxy"] if p not in returns.columns
              or not returns[p].notna().any()]
    if absent:
        notes.append(f"AI proxy {', '.join(absent)} not in the data: left out of the grid "
                     "(load it to add it)")
    g["ai_proxy"] = tuple(p for p in g["ai_proxy"] if p not in absent)
    if not g["ai_proxy"]:
        raise InputError(f"none of the AI proxies {absent} is in the data; load one (e.g. SMH)")
    g = {k: g[k] for k in PIVOT_CHOICES}
    specs = grid_specs(g)
    dates = split_dates(catalog, symbol, contract_categories)
    for k, d in dates.items():
        if k in g["split"] and pd.isna(d):
            notes.append(f"{symbol} has no {k.replace('_', ' ')} in the catalog: those "
                         "specifications cannot run")
    z = float(ndtri(1.0 - alpha / 2.0))  # = scipy.stats.norm.ppf, without importing it

    # valid frames and split positions per proxy
    frames: dict[str, dict[str, Any]] = {}
    for p in g["ai_proxy"]:
        fr = _valid_frame(returns, symbol, [market, btc, p], market, p, "ai")
        idx = pd.DatetimeIndex(fr.index)
        pos = {}
        for k, d in dates.items():
            if pd.notna(d) and len(idx) and idx[0] <= pd.Timestamp(d) <= idx[-1]:
                pos[k] = int(idx.searchsorted(pd.Timestamp(d), side="left"))
        frames[p] = {"y": fr[symbol].to_numpy(float),
                     "X": fr[[market, btc, p]].to_numpy(float), "idx": idx, "pos": pos}

    # placebo shifts
    shifts = np.zeros(1, dtype=int)
    method = "no joint test (n_null=0)"
    if n_null > 0:
        f0 = frames[head["ai_proxy"] if head["ai_proxy"] in frames else g["ai_proxy"][0]]
        p0 = f0["pos"].get(head["split"], f0["pos"].get(next(iter(f0["pos"]), ""), None))
        if p0 is None:
            method = "no joint test: no split date in the data"
        else:
            ks = np.arange(min_obs - p0, len(f0["idx"]) - min_obs - p0 + 1)
            ks = ks[np.abs(ks) >= gap]
            if len(ks) == 0:
                method = f"no joint test: no placebo date {gap}+ sessions from the split"
            else:
                rng = np.random.default_rng([seed, 4])
                shifts = np.concatenate([[0], rng.choice(ks, size=n_null, replace=True)])
                method = (f"joint test against {n_null} placebo split dates (the split shifted "
                          f"by the same {gap}+ valid sessions in every specification; seed {seed})")

    # every distinct regression (proxy, split, window, shift): one batched fit per proxy
    lag_choices = sorted({v for v in g["hac_lags"] if v != "rule"})
    est = np.full((len(shifts), len(specs)), np.nan)
    pv = np.full_like(est, np.nan)
    lo_hi = np.full((len(specs), 2), np.nan)
    nobs = np.full(len(specs), np.nan)
    status = ["ok"] * len(specs)
    split_day: list[Any] = [pd.NaT] * len(specs)
    for p, fr in frames.items():
        jobs: dict[tuple, int] = {}
        windows: list[tuple[int, int, int]] = []
        for s, sp in enumerate(specs):
            if sp["ai_proxy"] != p:
                continue
            if sp["split"] not in fr["pos"]:
                d = dates[sp["split"]]
                status[s] = (f"no {sp['split'].replace('_', ' ')} for {symbol}" if pd.isna(d)
                             else f"split {pd.Timestamp(d).date()} outside the data")
                continue
            split_day[s] = fr["idx"][fr["pos"][sp["split"]]]
            for b, k in enumerate(shifts):
                pos = fr["pos"][sp["split"]] + int(k)
                bef, aft = sp["window"]
                lo, hi = max(pos - bef, 0), min(pos + aft, len(fr["idx"]))
                if pos < 0 or pos >= len(fr["idx"]) or pos - lo < max(min_obs, 6) \
                        or hi - pos < max(min_obs, 6):
                    if b == 0:
                        status[s] = (f"too few sessions around {split_day[s].date()}: "
                                     f"{max(pos - lo, 0)} before, {max(hi - pos, 0)} after "
                                     f"(need {min_obs})")
                    continue
                key = (lo, pos, hi)
                if key not in jobs:
                    jobs[key] = len(windows)
                    windows.append(key)
        if not windows:
            continue
        res = _batched_contrast(fr["y"], fr["X"], windows, lag_choices)
        for s, sp in enumerate(specs):
            if sp["ai_proxy"] != p or sp["split"] not in fr["pos"]:
                continue
            lag_key = sp["hac_lags"]
            for b, k in enumerate(shifts):
                pos = fr["pos"][sp["split"]] + int(k)
                bef, aft = sp["window"]
                key = (max(pos - bef, 0), pos, min(pos + aft, len(fr["idx"])))
                if key not in jobs:
                    continue
                j = jobs[key]
                score, se = res["score"][j], res["se"][lag_key][j]
                est[b, s] = score
                pv[b, s] = 2.0 * ndtr(-abs(score / se)) if se > 0 else np.nan  # norm.sf
                if b == 0:
                    lo_hi[s] = (score - z * se, score + z * se)
                    nobs[s] = key[2] - key[0]
    raw = pd.DataFrame(specs)
    raw["estimate"], raw["p"] = est[0], pv[0]
    raw["ci_low"], raw["ci_high"], raw["n"] = lo_hi[:, 0], lo_hi[:, 1], nobs
    raw["status"] = status
    frame = curve_frame(raw, PIVOT_CHOICES, head)
    frame.insert(len(PIVOT_CHOICES) + 5, "split_date", pd.to_datetime(pd.Series(split_day)))
    if not frame["is_headline"].any():
        notes.append(f"the headline specification {head} is not in the grid")
    ne = npv = None
    if len(shifts) > 1:
        ne, npv = est[1:], pv[1:]
    curve = SpecCurve.build(frame, PIVOT_CHOICES, estimand=f"pivot score of {symbol}",
                            null_estimates=ne, null_pvalues=npv, fmt=lambda v: f"{v:+.2f}")
    curve.frame.attrs["notes"] = notes
    curve.frame.attrs["method"] = method
    return curve


def _batched_contrast(y: np.ndarray, X: np.ndarray, windows: Sequence[tuple[int, int, int]],
                      lag_choices: Sequence[int], chunk: int = 256) -> dict[str, Any]:
    """Pivot score and its HAC standard error (rule-of-thumb lags and each of ``lag_choices``)
    for windows ``(lo, pos, hi)`` of one valid frame (``X`` = market, btc, AI proxy)."""
    W_n = len(windows)
    score = np.full(W_n, np.nan)
    se: dict[Any, np.ndarray] = {"rule": np.full(W_n, np.nan)}
    se.update({L: np.full(W_n, np.nan) for L in lag_choices})
    c = np.zeros(8)
    c[4 + 3], c[4 + 2] = 1.0, -1.0  # g_AI - g_BTC (Z = 1, mkt, btc, ai)
    for start in range(0, W_n, chunk):
        part = windows[start:start + chunk]
        S = len(part)
        n = max(hi - lo for lo, _, hi in part)
        Y = np.zeros((S, n))
        W = np.zeros((S, n, 8))
        T = np.zeros(S, dtype=int)
        for i, (lo, pos, hi) in enumerate(part):
            m = hi - lo
            x = X[lo:hi]
            mk, ai = x[:, 0], x[:, 2]
            M = np.column_stack([np.ones(m), mk])
            coef, *_ = np.linalg.lstsq(M, ai, rcond=None)
            Z = np.column_stack([np.ones(m), mk, x[:, 1], ai - M @ coef])
            post = (np.arange(m) >= pos - lo).astype(float)[:, None]
            W[i, :m] = np.hstack([Z, Z * post])
            Y[i, :m] = y[lo:hi]
            T[i] = m
        XtX = np.einsum("snk,snj->skj", W, W)
        inv = np.linalg.inv(XtX)
        b = np.einsum("skj,snj,sn->sk", inv, W, Y)
        e = Y - np.einsum("snk,sk->sn", W, b)
        a = inv @ c
        zt = np.einsum("snk,sk->sn", W, a) * e
        corr = T / (T - 8.0)
        rule = np.array([hac_lags_rule(int(t)) for t in T])
        Lmax = max([int(rule.max()), *lag_choices])
        gam = np.empty((S, Lmax + 1))
        gam[:, 0] = (zt * zt).sum(axis=1)
        for lag in range(1, Lmax + 1):
            gam[:, lag] = (zt[:, lag:] * zt[:, :-lag]).sum(axis=1)

        sl = slice(start, start + S)
        score[sl] = b @ c
        se["rule"][sl] = np.sqrt(np.clip(_nw_var(gam, corr, rule), 0, None))
        for L in lag_choices:
            se[L][sl] = np.sqrt(np.clip(_nw_var(gam, corr, np.full(S, L)), 0, None))
    return {"score": score, "se": se}


def _nw_var(gam: np.ndarray, corr: np.ndarray, L: np.ndarray) -> np.ndarray:
    """``T/(T-k) [gamma_0 + 2 sum_{l<=L} (1 - l/(L+1)) gamma_l]`` per row (Bartlett weights)."""
    lags = np.arange(1, gam.shape[1])
    w = np.where(lags[None, :] <= L[:, None], 1.0 - lags[None, :] / (L[:, None] + 1.0), 0.0)
    return corr * (gam[:, 0] + 2.0 * (w * gam[:, 1:]).sum(axis=1))
