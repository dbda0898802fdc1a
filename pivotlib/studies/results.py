"""Tables read off an event-study result: CAR bands, the headline test, model fit, tests,
per-event intervals and the cross-section on deal size."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from pivotlib.analytics.diagnostics import residual_diagnostics
from pivotlib.analytics.eventstudy import EventStudyResult
from pivotlib.defaults import ALPHA
from pivotlib.errors import InputError
from pivotlib.studies.common import ModelSpec


def car_band(res: EventStudyResult, level: float = 0.95) -> pd.DataFrame:
    """CAR (one event) or CAAR (several) path by event day with a normal confidence band.

    One event: ``CAR_k +- z * sigma * sqrt(sum of C_t up to k)`` (the engine's forecast-error
    factors ``C_t``; MacKinlay 1997 eq. 15 without the parameter-uncertainty cross terms).
    Several events: ``CAAR_k +- z * sd_i(CAR_ik) / sqrt(N)`` (cross-sectional).
    """
    from statistics import NormalDist


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


def headline_test(res: EventStudyResult) -> tuple[str, float, float]:
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


def test_agreement(res: EventStudyResult, alpha: float = ALPHA) -> tuple[int, int]:
    """(number of tests significant at ``alpha``, number of tests with a p-value)."""

    pv = res.tests["p_value"].to_numpy(dtype=float)
    pv = pv[np.isfinite(pv)]
    return int((pv < alpha).sum()), int(len(pv))


def model_fit(res: EventStudyResult, returns: pd.DataFrame,
              spec: ModelSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normal-return model fit of a one-event study with residual diagnostics.

    Coefficients, sigma and R2 are the engine's (``res.events``); the diagnostics
    (:func:`residual_diagnostics`) come from an OLS refit on the same estimation window
    (other events not masked): Jarque-Bera, Durbin-Watson, Ljung-Box Q(10), Breusch-Pagan.

    Returns
    -------
    (coefficients DataFrame, diagnostics DataFrame)
    """

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
    regs = spec.regressors() if spec.model in ("factors", "market") else []
    if not regs:
        return coefs, pd.DataFrame(columns=["statistic", "p_value", "reading"])
    idx = returns.index
    pos = int(idx.searchsorted(pd.Timestamp(r["day0"])))
    e0, e1 = spec.estimation
    sl = returns.iloc[max(0, pos + e0): max(0, pos + e1 + 1)]
    frame = sl[[str(r["symbol"])] + regs].dropna()
    if len(frame) < 30:
        return coefs, pd.DataFrame(columns=["statistic", "p_value", "reading"])
    X = np.column_stack([np.ones(len(frame)), frame[regs].to_numpy()])
    return coefs, residual_diagnostics(frame[str(r["symbol"])].to_numpy(), X)


def stats_table(res: EventStudyResult) -> pd.DataFrame:
    """The full test table with descriptions (``res.to_frame()``), trimmed for display."""
    t = res.to_frame()
    keep = ["test", "statistic", "p_value", "df", "distribution", "description"]
    return t[[c for c in keep if c in t.columns]].set_index("test")


def event_forest(res: EventStudyResult, catalog: pd.DataFrame | None = None,
                 level: float = 0.95) -> pd.DataFrame:
    """Per-event CAR with a normal interval from the CAR t statistic (``se = CAR / t``)."""
    from statistics import NormalDist


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


def cross_section(res: EventStudyResult, catalog: pd.DataFrame,
                  min_per_category: int = 3) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Cross-sectional regression of CAR on deal size and category (OLS, HC3 robust SE).

    ``CAR_i = a + b * log10(deal_usd_i) * disclosed_i + c * disclosed_i + sum_k d_k cat_ik + e``
    where undisclosed deals get ``disclosed = 0`` (and no size term); categories with fewer than
    ``min_per_category`` events are pooled into ``other`` (the base level is the most common
    category). White (1980) / MacKinnon-White (1985) HC3 standard errors.

    Returns
    -------
    (coefficient table DataFrame, info dict with n, r2, base category)
    """
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
