"""Pivot scores: change in AI beta minus change in BTC beta around each miner's split date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from pivotlib.analytics.regimes.common import (
    DEFAULT_FACTORS,
    HAC_RULE,
    Orthogonalize,
    _check_columns,
    _check_returns,
)
from pivotlib.analytics.regimes.exposures import exposure_shift
from pivotlib.defaults import FactorRoles
from pivotlib.errors import InputError
from pivotlib.events.taxonomy import is_ai_category


def _dates_by_symbol(symbols: list[str], date_or_events: Any,
                     categories: Sequence[str] | None) -> dict[str, pd.Timestamp | None]:
    if isinstance(date_or_events, pd.DataFrame):
        ev = date_or_events
        sym_col = "symbol" if "symbol" in ev.columns else ("ticker" if "ticker" in ev.columns else None)
        if sym_col is None or "event_date" not in ev.columns:
            raise InputError(
                "the events frame needs columns 'symbol' (or 'ticker') and 'event_date'; "
                "load it with pivotlib.events.catalog.load_catalog"
            )
        ev = ev.copy()
        ev["_d"] = pd.to_datetime(ev["event_date"], errors="coerce")
        ev = ev[ev["_d"].notna()]
        if categories is not None:
            ev = ev[ev["category"].isin(list(categories))] if "category" in ev.columns else ev
        elif "category" in ev.columns:
            ev = ev[ev["category"].map(is_ai_category)]
        first = ev.groupby(ev[sym_col].astype(str).str.upper())["_d"].min()
        return {s: (first[s] if s in first.index else None) for s in symbols}
    if isinstance(date_or_events, Mapping):
        out: dict[str, pd.Timestamp | None] = {}
        for s in symbols:
            v = date_or_events.get(s)
            out[s] = None if v is None or (not isinstance(v, str) and pd.isna(v)) else pd.Timestamp(v)
        return out
    if date_or_events is None:
        raise InputError("date_or_events is required: a date, a {symbol: date} mapping or an "
                         "events DataFrame")
    try:
        d = pd.Timestamp(date_or_events)
    except (TypeError, ValueError) as exc:
        raise InputError(f"date_or_events {date_or_events!r} is not a date, a mapping or an "
                         "events DataFrame") from exc
    return {s: d for s in symbols}


def pivot_scores(returns: pd.DataFrame, symbols: Sequence[str],
                 factors: Sequence[str] = DEFAULT_FACTORS, date_or_events: Any = None, *,
                 before: int = 250, after: int = 250, btc_factor: str | None = "BTC-USD",
                 ai_factor: str | None = "SMH", market: str = "SPY",
                 orthogonalize: Orthogonalize = "ai", hac_lags: int | None = None,
                 alpha: float = 0.05, clip: bool = False, min_obs: int = 60,
                 categories: Sequence[str] | None = None,
                 errors: Literal["raise", "skip"] = "raise",
                 ci_method: Literal["hac", "bootstrap"] = "hac", n_boot: int = 999,
                 block: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Rank miners by how far they moved from bitcoin towards AI infrastructure.

    For each symbol, :func:`exposure_shift` at its date gives the change in BTC beta
    (``delta_btc_beta``) and in AI beta (``delta_ai_beta``) with their joint HAC covariance.
    The pivot score is

    .. math:: \\text{pivot} = \\Delta\\beta_{AI} - \\Delta\\beta_{BTC},

    in beta units (a name whose BTC beta fell by 1.3 while its AI beta rose by 1.2 scores 2.5;
    zero means no net move). Its standard error is
    ``sqrt(Var(dAI) + Var(dBTC) - 2 Cov(dAI, dBTC))`` from the HAC covariance of the two
    differences, the interval is ``score +- z_{1-alpha/2} * se`` and ``p_value`` tests
    ``score = 0`` (normal). Rows are ranked by score, highest first.

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns.
    symbols : sequence of str
        Miners to score.
    factors : sequence of str
        Must contain ``btc_factor`` and ``ai_factor``.
    date_or_events : date, mapping or DataFrame
        One date for all symbols, a ``{symbol: date}`` mapping, or an events frame with
        ``symbol`` (or ``ticker``) and ``event_date``: each symbol's *first AI event* is used
        (categories passing :func:`is_ai_category`, or those in ``categories``).
    before, after, hac_lags, market, orthogonalize, clip, min_obs
        Passed to :func:`exposure_shift`.
    btc_factor, ai_factor : str or None
        Which factors are "bitcoin" and "AI". One of them may be None (the data lack it): the
        score is then the part that can be measured, ``-delta_btc_beta`` (BTC part only) or
        ``delta_ai_beta`` (AI part only), the missing role's columns are NaN and
        ``attrs["score"]`` says which part.
    alpha : float, default 0.05
        Interval level ``1 - alpha``.
    categories : sequence of str, optional
        Event categories that count as AI events (default: :func:`is_ai_category`).
    errors : {"raise", "skip"}, default "raise"
        ``"skip"`` keeps a symbol without a date or with too little data as a row with NaN
        numbers and the reason in ``note`` (ranked last) instead of raising.
    ci_method : {"hac", "bootstrap"}, default "hac"
        ``"hac"``: normal interval from the HAC covariance. ``"bootstrap"``: percentile interval
        from a moving-block bootstrap within each regime (:meth:`ExposureShift.bootstrap_contrast`,
        ``n_boot`` resamples, ``block`` sessions, ``seed``); ``se_score`` is then the bootstrap
        standard error and ``p_value`` stays the HAC one.

    Returns
    -------
    DataFrame
        Index ``symbol``; columns ``rank``, ``date``, ``n_before``, ``n_after``,
        ``btc_beta_before``, ``btc_beta_after``, ``delta_btc_beta``, ``se_delta_btc``,
        ``ai_beta_before``, ``ai_beta_after``, ``delta_ai_beta``, ``se_delta_ai``,
        ``pivot_score``, ``se_score``, ``ci_low``, ``ci_high``, ``p_value``, ``chow_hac_p``,
        ``hac_lags``, ``note``.
    """
    from scipy import stats

    returns = _check_returns(returns)
    symbols = [symbols] if isinstance(symbols, str) else list(symbols)
    if not symbols:
        raise InputError("symbols is empty; pass the miners to score, e.g. ['APLD', 'IREN']")
    factors = list(factors)
    if btc_factor is None and ai_factor is None:
        raise InputError("a pivot score needs a bitcoin or an AI factor; pass btc_factor= "
                         "and/or ai_factor=")
    for role, f in (("btc_factor", btc_factor), ("ai_factor", ai_factor)):
        if f is not None and f not in factors:
            raise InputError(f"{role}={f!r} is not among factors {factors}; add it to factors "
                             f"or pass {role}=<one of the factors>")
    FactorRoles(market=market, bitcoin=btc_factor, ai=ai_factor).validate()
    if errors not in ("raise", "skip"):
        raise InputError(f"unknown errors={errors!r}; use 'raise' or 'skip'")
    if not (0.0 < alpha < 1.0):
        raise InputError(f"alpha={alpha} must be between 0 and 1 (0.05 gives a 95% interval)")
    if ci_method not in ("hac", "bootstrap"):
        raise InputError(f"unknown ci_method={ci_method!r}; use 'hac' or 'bootstrap'")
    for s in symbols:  # unknown names are always an error, whatever `errors` says
        _check_columns(_check_returns(returns), s, factors)
    dates = _dates_by_symbol(symbols, date_or_events, categories)
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    rows = []
    for s in symbols:
        row: dict[str, Any] = {"symbol": s, "date": dates[s], "note": ""}
        try:
            if dates[s] is None:
                raise InputError(f"no date for {s}: no AI event in the events frame / mapping")
            res = exposure_shift(returns, s, factors, dates[s], before=before, after=after,
                                 hac_lags=hac_lags, market=market, ai_factor=ai_factor,
                                 orthogonalize=orthogonalize, clip=clip, min_obs=min_obs)
        except InputError as exc:
            if errors == "raise":
                raise
            row["note"] = str(exc)
            rows.append(row)
            continue
        t = res.table.set_index("factor")
        weights = {f: w for f, w in ((ai_factor, 1.0), (btc_factor, -1.0)) if f is not None}
        score, se = res.contrast(weights)
        p_hac = float(2.0 * stats.norm.sf(abs(score / se))) if se > 0 else float("nan")
        if ci_method == "bootstrap":
            se_b, lo_b, hi_b = res.bootstrap_contrast(weights,
                                                      n_boot=n_boot, block=block, seed=seed,
                                                      alpha=alpha)
        else:
            se_b, lo_b, hi_b = se, score - z * se, score + z * se
        def _at(f: str | None, col: str, t: pd.DataFrame = t) -> float:
            return float("nan") if f is None else t.at[f, col]

        row.update({
            "date": res.date, "n_before": res.n_before, "n_after": res.n_after,
            "btc_beta_before": _at(btc_factor, "beta_before"),
            "btc_beta_after": _at(btc_factor, "beta_after"),
            "delta_btc_beta": _at(btc_factor, "diff"), "se_delta_btc": _at(btc_factor, "se_diff"),
            "ai_beta_before": _at(ai_factor, "beta_before"),
            "ai_beta_after": _at(ai_factor, "beta_after"),
            "delta_ai_beta": _at(ai_factor, "diff"), "se_delta_ai": _at(ai_factor, "se_diff"),
            "pivot_score": score, "se_score": se_b, "ci_low": lo_b, "ci_high": hi_b,
            "p_value": p_hac,
            "chow_hac_p": res.chow_hac_p, "hac_lags": res.hac_lags,
            "note": "; ".join(res.notes),
        })
        rows.append(row)
    cols = ["symbol", "date", "n_before", "n_after", "btc_beta_before", "btc_beta_after",
            "delta_btc_beta", "se_delta_btc", "ai_beta_before", "ai_beta_after", "delta_ai_beta",
            "se_delta_ai", "pivot_score", "se_score", "ci_low", "ci_high", "p_value",
            "chow_hac_p", "hac_lags", "note"]
    out = pd.DataFrame(rows).reindex(columns=cols)
    out = out.sort_values("pivot_score", ascending=False, na_position="last", kind="stable")
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    out.loc[out["pivot_score"].isna(), "rank"] = np.nan
    out = out.set_index("symbol")
    out.attrs.update({
        "score": (f"delta_ai_beta - delta_btc_beta ({ai_factor} minus {btc_factor})"
                  if ai_factor and btc_factor else
                  f"-delta_btc_beta only (BTC part: no AI factor; {btc_factor})"
                  if btc_factor else f"delta_ai_beta only (AI part: no bitcoin; {ai_factor})"),
        "partial": None if ai_factor and btc_factor else ("ai" if btc_factor else "bitcoin"),
        "interval": (f"{100 * (1 - alpha):.0f}% normal interval from the HAC covariance"
                     if ci_method == "hac" else
                     f"{100 * (1 - alpha):.0f}% moving-block bootstrap percentile interval "
                     f"({n_boot} resamples, seed {seed})"),
        "hac_rule": HAC_RULE if hac_lags is None else f"user-supplied ({hac_lags})",
        "factors": factors, "orthogonalize": orthogonalize, "before": before, "after": after,
    })
    return out
