"""Notebook 06 support: data loading that degrades, headline prose, display tables, record.

Kept out of :mod:`pivotlib.lifeboat` (the analytics layer takes frames, never paths); the
parameter spec is :mod:`pivotlib.lifeboat_params`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError
from .narrative import Prose

__all__ = ["display_tables", "headline", "load_returns", "record_values"]


def load_returns(p: Any) -> pd.DataFrame:
    """Returns of the miners, market and BTC; miners the dataset lacks are dropped and listed
    in ``attrs["missing"]`` (market or BTC missing is an error)."""
    from .data import load_returns as _load

    syms = list(dict.fromkeys([*p["miners"], p["market"], p["btc"]]))
    kw = {"end": p.get("end") or None, "dataset": p["dataset"]}
    try:
        r = _load(syms, **kw)
        missing: list[str] = []
    except DataError:
        have, missing = [], []
        for s in syms:
            try:
                _load([s], **kw)
                have.append(s)
            except DataError:
                missing.append(s)
        for role in (p["market"], p["btc"]):
            if role in missing:
                raise DataError(f"{role} is not in dataset {p['dataset']}; the lifeboat "
                                "analysis needs the market and bitcoin columns") from None
        r = _load(have, **kw)
    r.attrs["missing"] = missing
    return r


def _pct(v: float) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:+.0%}"


def headline(a: Any, *, synthetic: bool = False) -> Prose:
    """The three answers in plain words, numbers from the analysis ``a`` (LifeboatAnalysis)."""
    did = a.did.table.set_index("estimate")
    act = did.iloc[0]
    plc = did.iloc[-1] if len(did) > 2 else None
    b = a.betas.table.dropna(subset=["down_change"])
    piv = b[b["symbol"].map(a.cohorts["cohort"]) == "pivoter"]
    fell = piv[piv["down_high"] < 0]["symbol"].tolist()
    pt = a.persistence.table
    model_car = pt[(pt.benchmark == "model") & (pt.measure == "CAR")].set_index("horizon")
    sp = a.spillover.table
    sp0 = sp[(sp.announcer_group == "all") & (sp.window == "day 0")].set_index("peer_group")
    bullets = [
        f"**Lifeboat**: pivoters' downside BTC beta changed by {act['mean_change_pivoters']:+.2f} "
        f"on average, loyalists' by {act['mean_change_loyalists']:+.2f}: DiD "
        f"{act['did']:+.2f} (95% CI {act['low']:+.2f} to {act['high']:+.2f}), permutation "
        f"p = {act['perm_p']:.3f} over {int(act['n_labelings'])} cohort labelings"
        + (f"; placebo DiD {plc['did']:+.2f} (p = {plc['perm_p']:.2f})" if plc is not None
           and np.isfinite(plc.get("did", np.nan)) else "") + ". "
        + (f"Individually significant falls: {', '.join(fell)}." if fell
           else "No single pivoter's fall is significant on its own."),
        "**Hype or substance**: mean CAR against market + BTC "
        + ", ".join(f"+{h}: {_pct(r['mean'])} [{_pct(r['low'])}, {_pct(r['high'])}] "
                    f"(n={int(r['n'])}, kept {r['pooled_kept']:.0%} of day 0)"
                    for h, r in model_car.iterrows()) + ".",
        "**Spillover**: on an announcer's day 0, pivoter peers moved "
        + (f"{_pct(sp0.loc['pivoter', 'mean'])} (p = {sp0.loc['pivoter', 'p']:.2f})"
           if "pivoter" in sp0.index else "n/a")
        + ", loyalist peers "
        + (f"{_pct(sp0.loc['loyalist', 'mean'])} (p = {sp0.loc['loyalist', 'p']:.2f})"
           if "loyalist" in sp0.index else "n/a") + " (abnormal, per-event means).",
    ]
    paras = []
    if synthetic:
        paras.append("SYNTHETIC demo data: these numbers show that the method finds the planted "
                     "lifeboat (see data/synthetic/MODEL.md), not how the stocks traded.")
    return Prose(title="Lifeboat, hype, spillover: the answers", paragraphs=paras,
                 bullets=bullets, kind="verdict")


def record_values(a: Any, p: Any, *, synthetic: bool, missing: Sequence[str] = ()) -> dict:
    """The values notebook 06 passes to ``reports.record``."""
    act = a.did.table.iloc[0]
    pt = a.persistence.table
    car = pt[(pt.benchmark == "model") & (pt.measure == "CAR")]
    return {"kind": "lifeboat", "title": "Lifeboat test", "symbols": ",".join(p["miners"]),
            "symbol": "", "car": None, "did_downside_beta": float(act["did"]),
            "p_value": float(act["perm_p"]), "did_ci": [float(act["low"]), float(act["high"])],
            "downside_change": {r.symbol: float(r.down_change) for r in
                                a.betas.table.dropna(subset=["down_change"]).itertuples()},
            "car_by_horizon": {int(r.horizon): float(r.mean) for r in car.itertuples()},
            "missing": list(missing), "synthetic": synthetic, "dataset": p["dataset"]}


def display_tables(a: Any) -> dict[str, pd.DataFrame]:
    """Display-ready tables of the analysis (column selections, cohort added, rounded later)."""
    co = a.cohorts["cohort"]
    b = a.betas.table.copy()
    b.insert(1, "cohort", b["symbol"].map(co))
    b["split_date"] = pd.to_datetime(b["split_date"]).dt.date.astype(str)
    betas = b[["symbol", "cohort", "split_date", "n_down_before", "n_down_after", "down_before",
               "down_after", "down_change", "down_low", "down_high", "down_p", "up_change",
               "up_p", "asym_change", "note"]]
    did = a.did.table[["estimate", "did", "low", "high", "welch_p", "perm_p", "n_labelings",
                       "n_pivoters", "n_loyalists", "loo_min", "loo_max"]]
    pt = a.persistence.table
    pers = pt[["benchmark", "measure", "horizon", "n", "mean", "low", "high", "p", "boot_p",
               "pooled_kept", "median_kept"]]
    ev = a.persistence.events
    hs = a.persistence.horizons
    events = ev[["event_id", "deal_usd", "ar0_model"] + [f"car{h}_model" for h in hs]
                + [f"kept{h}_model" for h in hs] + [f"verdict{h}" for h in hs]
                + ["truncated", "h_avail"] + [c for c in ("confounders",) if c in ev]]
    cap = a.capture.by_symbol
    return {"betas": betas, "did": did, "persistence": pers, "events": events,
            "cross_section": a.persistence.cross_section, "capture": cap,
            "episodes": a.episodes, "spillover": a.spillover.table}
