"""Event-study helpers: resolve the event, run the engine with a notebook's parameters, bands, fits.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from pivotlib import config
from pivotlib.analytics.diagnostics import residual_diagnostics
from pivotlib.errors import InputError


def _regressors(p: Mapping[str, Any]) -> list[str]:
    model = p.get("model", "market")
    if model == "factors":
        return list(p.get("factors") or [])
    if model in ("market", "market_adjusted"):
        return [p.get("market") or "SPY"]
    return []


def company_events(catalog: Any = None):
    """The catalog without SECTOR context rows (:func:`pivotlib.events.catalog.company_events`)."""
    from pivotlib.events.catalog import company_events as _company_events

    return _company_events(catalog)


def headline_event(catalog: Any = None, *, dataset: str | None = None, window_end: int = 1,
                   estimation: int = 250) -> str:
    """The default headline event: the most recent large AI deal the data can study.

    Among company events whose category is an AI category
    (:func:`pivotlib.analytics.regimes.is_ai_category`) with a disclosed deal size and ``verified``
    confidence, keep those with ``estimation`` sessions of data before and the event window
    inside the data, and return the latest (ties: the largest deal).
    """
    from pivotlib.analytics.regimes import is_ai_category
    from pivotlib.data.loading import load_prices

    cat = company_events(catalog)
    px = load_prices(["SPY"], dataset=dataset)
    idx = px["SPY"].dropna().index
    if len(idx) < estimation + 20:
        raise InputError("the dataset is too short for an event study; fetch more history")
    lo, hi = idx[estimation + 10], idx[-1 - max(window_end, 0)]
    c = cat[cat["category"].map(is_ai_category) & cat["deal_usd"].notna()
            & (cat["confidence"] == "verified")
            & (cat["event_date"] >= lo) & (cat["event_date"] <= hi)]
    if c.empty:
        c = cat[(cat["event_date"] >= lo) & (cat["event_date"] <= hi)]
    if c.empty:
        raise InputError("no catalog event falls inside the data; pass event_id explicitly")
    c = c.sort_values(["event_date", "deal_usd"], ascending=[False, False], na_position="last")
    return str(c["event_id"].iloc[0])


def resolve_event(p: Mapping[str, Any], catalog: Any = None):
    """One-row events frame for a notebook: ``event_id`` from the catalog, or an ad-hoc event
    from ``symbol`` + ``date`` (+ ``timing``), or the :func:`headline_event` when neither."""
    from pivotlib.events.catalog import load_catalog, make_event

    cat = load_catalog() if catalog is None else catalog
    eid = p.get("event_id")
    if not eid and p.get("symbol") and p.get("date"):
        return make_event(p["symbol"], p["date"], p.get("timing") or "unknown",
                          headline=f"Ad-hoc event for {p['symbol']} on {p['date']}")
    if not eid:
        eid = headline_event(cat, dataset=p.get("dataset"),
                             window_end=int((p.get("window") or (-1, 1))[1]))
    row = cat[cat["event_id"] == eid]
    if row.empty:
        raise InputError(f"event_id {eid!r} is not in the catalog; `pivot events list` shows ids")
    return row.reset_index(drop=True)


def event_study(p: Mapping[str, Any], events: Any, *, catalog: Any = None,
                window: Sequence[int] | None = None, returns: Any = None,
                strict: bool = True, **engine_options: Any):
    """Run :func:`pivotlib.analytics.eventstudy.run_event_study` with a notebook's parameters.

    Loads the returns of the event symbols plus the model's regressors from ``p["dataset"]``
    (unless ``returns`` is given) and masks the catalog's other events of the same symbols.

    Catalog events are staggered in time, so the Kolari-Pynnonen correction weights each pair
    of events by the share of event-window days they share (``kp_weight="event_overlap"``);
    the engine's default (``"none"``) treats every pair as fully overlapping, the clustered
    case KP (2010) was built for, and would shrink the t statistic of staggered events by
    ``sqrt((1 - r) / (1 + (n - 1) r))`` for no reason. ``engine_options`` override this.

    With ``strict`` (the notebooks' case) a single event that cannot be studied raises
    :class:`~pivotlib.errors.InputError` with the engine's reason; otherwise the reason is
    left in ``res.events["status"]``.

    Returns
    -------
    (EventStudyResult, returns DataFrame)
    """
    from pivotlib.analytics.eventstudy import run_event_study
    from pivotlib.data.loading import load_returns

    syms = sorted({str(s) for s in events["symbol"]})
    regs = _regressors(p)
    if returns is None:
        returns = load_returns(list(dict.fromkeys(syms + regs)), dataset=p.get("dataset"))
    other = company_events(catalog)
    res = run_event_study(returns, events, model=p.get("model", "market"),
                          market=p.get("market") or "SPY", factors=regs if p.get(
                              "model") == "factors" else None,
                          estimation=tuple(p.get("estimation") or (-250, -11)),
                          window=tuple(window or p.get("window") or (-1, 1)),
                          other_events=other,
                          **{"kp_weight": "event_overlap", **engine_options})
    if strict and len(events) == 1 and (res.events["status"] != "ok").all():
        status = str(res.events["status"].iloc[0])
        est = tuple(p.get("estimation") or (-250, -11))
        raise InputError(
            f"event {events['event_id'].iloc[0]} cannot be studied: {status}. If the stock has "
            f"too little history before the event, shorten the estimation window (now "
            f"{list(est)}), e.g. -p estimation '[-110, -11]' (the engine needs 100 "
            "observations); if it was not listed yet, there is nothing to measure")
    return res, returns


def car_band(res: Any, level: float = 0.95):
    """CAR (one event) or CAAR (several) path by event day with a normal confidence band.

    One event: ``CAR_k +- z * sigma * sqrt(sum of C_t up to k)`` (the engine's forecast-error
    factors ``C_t``; MacKinlay 1997 eq. 15 without the parameter-uncertainty cross terms).
    Several events: ``CAAR_k +- z * sd_i(CAR_ik) / sqrt(N)`` (cross-sectional).
    """
    from statistics import NormalDist

    import numpy as np
    import pandas as pd

    z = NormalDist().inv_cdf(0.5 + level / 2)
    ar = res.ar
    ok = res.events[res.events["status"] == "ok"]
    if len(ok) == 1:
        sigma = float(ok["sigma"].iloc[0])
        a = ar.sort_values("rel_day")
        se = sigma * np.sqrt(a["c_t"].cumsum().to_numpy())
        out = pd.DataFrame({"car": a["car"].to_numpy(), "se": se}, index=a["rel_day"].to_numpy())
    else:
        wide = ar.pivot(index="rel_day", columns="event_id", values="car")
        n = wide.notna().sum(axis=1)
        out = pd.DataFrame({"car": wide.mean(axis=1), "se": wide.std(axis=1, ddof=1) / np.sqrt(n)})
    out["lower"] = out["car"] - z * out["se"]
    out["upper"] = out["car"] + z * out["se"]
    out.index.name = "rel_day"
    return out


def headline_test(res: Any) -> tuple[str, float, float]:
    """(test name, statistic, p-value) to headline a result.

    One event: the CAR t-test (``car_t``, df = M - k). Several: Kolari-Pynnonen adjusted BMP
    t when available (robust to event-induced variance and cross-correlation), else BMP t,
    else the cross-sectional t.
    """

    ok = res.events[res.events["status"] == "ok"]
    if len(ok) == 1:
        r = ok.iloc[0]
        return "CAR t-test", float(r["car_t"]), float(r["car_p"])
    for name, label in (("kp_bmp_t", "BMP t, Kolari-Pynnonen adjusted"), ("bmp_t", "BMP t"),
                        ("cross_sectional_t", "cross-sectional t")):
        if name in res.tests.index and math.isfinite(float(res.tests.at[name, "p_value"])):
            return label, float(res.tests.at[name, "statistic"]), float(
                res.tests.at[name, "p_value"])
    return "none", float("nan"), float("nan")


def test_agreement(res: Any, alpha: float = 0.05) -> tuple[int, int]:
    """(number of tests significant at ``alpha``, number of tests with a p-value)."""
    import numpy as np

    pv = res.tests["p_value"].to_numpy(dtype=float)
    pv = pv[np.isfinite(pv)]
    return int((pv < alpha).sum()), int(len(pv))


def window_table(p: Mapping[str, Any], events: Any, returns: Any, catalog: Any = None):
    """CAR, t and p of one event over each window in ``p["windows"]`` (one run per window)."""
    import pandas as pd

    rows = []
    for w in p.get("windows") or [p.get("window")]:
        try:
            r, _ = event_study(p, events, catalog=catalog, window=w, returns=returns)
        except InputError as exc:
            rows.append({"window": f"[{w[0]}, {w[1]}]", "car": float("nan"), "t": float("nan"),
                         "p_value": float("nan"), "note": str(exc)[:80]})
            continue
        name, stat, pv = headline_test(r)
        rows.append({"window": f"[{w[0]}, {w[1]}]", "car": float(r.caar), "t": stat,
                     "p_value": pv, "note": ""})
    return pd.DataFrame(rows)


def model_fit(res: Any, returns: Any, p: Mapping[str, Any]):
    """Normal-return model fit of a one-event study with residual diagnostics.

    Coefficients, sigma and R2 are the engine's (``res.events``); the diagnostics
    (:func:`residual_diagnostics`) come from an OLS refit on the same estimation window
    (other events not masked): Jarque-Bera, Durbin-Watson, Ljung-Box Q(10), Breusch-Pagan.

    Returns
    -------
    (coefficients DataFrame, diagnostics DataFrame)
    """
    import numpy as np
    import pandas as pd

    ok = res.events[res.events["status"] == "ok"]
    if ok.empty:
        raise InputError("the event was dropped by the event study: " +
                         "; ".join(map(str, res.events["status"])))
    r = ok.iloc[0]
    coef_cols = ["alpha"] + [c for c in ok.columns if str(c).startswith("beta_")]
    rows = [(c, f"{float(r[c]):.4f}") for c in coef_cols]
    rows += [("sigma (daily)", f"{float(r['sigma']):.2%}"), ("R2", f"{float(r['r2']):.3f}"),
             ("estimation sessions", f"{int(r['n_est'])}")]
    coefs = pd.DataFrame({"estimate": [v for _, v in rows]}, index=[k for k, _ in rows])
    regs = _regressors(p) if p.get("model") in ("factors", "market") else []
    if not regs:
        return coefs, pd.DataFrame(columns=["statistic", "p_value", "reading"])
    idx = returns.index
    pos = int(idx.searchsorted(pd.Timestamp(r["day0"])))
    e0, e1 = (p.get("estimation") or (-250, -11))
    sl = returns.iloc[max(0, pos + e0): max(0, pos + e1 + 1)]
    frame = sl[[str(r["symbol"])] + regs].dropna()
    if len(frame) < 30:
        return coefs, pd.DataFrame(columns=["statistic", "p_value", "reading"])
    X = np.column_stack([np.ones(len(frame)), frame[regs].to_numpy()])
    return coefs, residual_diagnostics(frame[str(r["symbol"])].to_numpy(), X)


def stats_table(res: Any):
    """The full test table with descriptions (``res.to_frame()``), trimmed for display."""
    t = res.to_frame()
    keep = ["test", "statistic", "p_value", "df", "distribution", "description"]
    return t[[c for c in keep if c in t.columns]].set_index("test")


def planted_effect(event_id: str | None, dataset: str | None = None) -> float | None:
    """The abnormal return planted on ``event_id`` in the SYNTHETIC demo data (else None)."""
    import pandas as pd

    ds = dataset or os.environ.get("PIVOT_DATASET") or "demo"
    path = config.synthetic_dir() / "planted_effects.csv"
    if ds != "demo" or not event_id or not path.is_file():
        return None
    pe = pd.read_csv(path)
    row = pe[pe["event_id"] == event_id]
    return None if row.empty else float(row["planted_ar"].iloc[0])


def event_forest(res: Any, catalog: Any = None, level: float = 0.95):
    """Per-event CAR with a normal interval from the CAR t statistic (``se = CAR / t``)."""
    from statistics import NormalDist

    import numpy as np

    z = NormalDist().inv_cdf(0.5 + level / 2)
    ev = res.events[res.events["status"] == "ok"].copy()
    se = (ev["car"] / ev["car_t"]).abs().replace([np.inf], np.nan)
    ev["lower"] = ev["car"] - z * se
    ev["upper"] = ev["car"] + z * se
    ev = ev.reset_index()
    if catalog is not None:
        ev = ev.merge(catalog[["event_id", "category", "headline", "deal_usd"]], on="event_id",
                      how="left")
    return ev


def cross_section(res: Any, catalog: Any, min_per_category: int = 3):
    """Cross-sectional regression of CAR on deal size and category (OLS, HC3 robust SE).

    ``CAR_i = a + b * log10(deal_usd_i) * disclosed_i + c * disclosed_i + sum_k d_k cat_ik + e``
    where undisclosed deals get ``disclosed = 0`` (and no size term); categories with fewer than
    ``min_per_category`` events are pooled into ``other`` (the base level is the most common
    category). White (1980) / MacKinnon-White (1985) HC3 standard errors.

    Returns
    -------
    (coefficient table DataFrame, info dict with n, r2, base category)
    """
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    ev = event_forest(res, catalog)
    ev = ev[np.isfinite(ev["car"])]
    if len(ev) < 6:
        raise InputError(f"only {len(ev)} events: too few for a cross-sectional regression "
                         "(need 6+); widen the selection")
    disclosed = ev["deal_usd"].notna() & (ev["deal_usd"] > 0)
    X = pd.DataFrame(index=ev.index)
    X["log10_deal_usd"] = np.where(disclosed, np.log10(ev["deal_usd"].where(disclosed, 1.0)), 0.0)
    X["deal_disclosed"] = disclosed.astype(float)
    cats = ev["category"].fillna("other")
    counts = cats.value_counts()
    cats = cats.where(cats.map(counts) >= min_per_category, "other")
    base = cats.value_counts().index[0]
    dummies = pd.get_dummies(cats, prefix="cat", dtype=float).drop(columns=f"cat_{base}")
    X = pd.concat([X, dummies], axis=1)
    X = X.loc[:, X.std(ddof=0) > 0]
    X = sm.add_constant(X, has_constant="add")
    if X.shape[1] >= len(ev):
        raise InputError("more regressors than events; select more events or fewer categories")
    fit = sm.OLS(ev["car"].to_numpy(), X).fit(cov_type="HC3")
    table = pd.DataFrame({"coef": fit.params, "se_hc3": fit.bse, "t": fit.tvalues,
                          "p_value": fit.pvalues})
    info = {"n": int(fit.nobs), "r2": float(fit.rsquared), "base_category": str(base),
            "cov": "HC3"}
    return table, info
