"""Is AI a lifeboat when bitcoin crashes? (notebook 06, the briefing): :func:`study_lifeboat`.

Loads the miners, the market and bitcoin (miners the dataset lacks are left out with a note;
the market or bitcoin missing is an error), then runs :func:`pivotlib.analytics.lifeboat.
run_lifeboat`: downside betas before/after each miner's pivot, the pivoters-vs-loyalists DiD,
crash capture, long-horizon persistence of AI-deal pops and peer spillover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib.analytics.lifeboat import HAC_RULE, LifeboatAnalysis, run_lifeboat
from pivotlib.analytics.robustness import SpecCurve
from pivotlib.analytics.robustness.lifeboat import lifeboat_curve
from pivotlib.data.datasets import DatasetSpec
from pivotlib.data.loading import load_returns
from pivotlib.defaults import (
    BITCOIN,
    LIFEBOAT_CRASH,
    LIFEBOAT_CURVE_GRID,
    LIFEBOAT_DOWN,
    LIFEBOAT_HORIZONS,
    LIFEBOAT_MINERS,
    MARKET,
    ROBUST_CURVES,
    ROBUST_NULL_DRAWS,
)
from pivotlib.errors import DataError, PivotError
from pivotlib.events.catalog import load_catalog
from pivotlib.studies.common import Notes, Summary

__all__ = ["LifeboatReport", "study_lifeboat", "display_tables"]


@dataclass
class LifeboatReport:
    """Everything notebook 06 shows (:func:`study_lifeboat`)."""

    dataset: str
    miners: list[str]
    analysis: LifeboatAnalysis
    returns: pd.DataFrame
    notes: Notes = field(default_factory=Notes)
    curve: SpecCurve | None = None
    """The DiD's specification curve (computed unless ``study_lifeboat(curve=False)``), else None."""

    @property
    def synthetic(self) -> bool:
        """True when the data are the SYNTHETIC demo."""
        return bool(self.returns.attrs.get("synthetic"))

    @property
    def hac_rule(self) -> str:
        """The Newey-West lag rule of the beta regressions."""
        return HAC_RULE

    @property
    def did(self) -> pd.Series:
        """The headline DiD row (estimate, did, low, high, perm_p, p_floor, ...; NaN where the
        DiD could not be estimated, e.g. a cohort without firms)."""
        row = self.analysis.did.table.iloc[0]
        need = ["did", "low", "high", "welch_p", "perm_p", "p_floor", "n_pivoters",
                "n_loyalists"]
        return row.reindex(list(dict.fromkeys([*row.index, *need])))

    def tables(self) -> dict[str, pd.DataFrame]:
        """Display-ready tables (:func:`display_tables`)."""
        return display_tables(self.analysis)

    @property
    def p_note(self) -> str:
        """A sentence when the DiD's permutation p sits on its floor (equal cohorts), else ""."""
        v = self.did.get("p_note", "")
        return v if isinstance(v, str) else ""

    @property
    def robustness_line(self) -> str:
        """The curve's one line (empty without a curve)."""
        return self.curve.line() if self.curve is not None else ""

    def summary(self) -> Summary:
        """Headline numbers (renders in a notebook)."""
        d = self.did
        p = f"{float(d['perm_p']):.3f}"
        if self.p_note:
            p += f" (the floor of this design: {float(d['p_floor']):.3f})"
        value = (f"{float(d['did']):+.2f} [{float(d['low']):+.2f}, {float(d['high']):+.2f}], "
                 f"permutation p = {p}" if pd.notna(d["did"]) else
                 f"not estimable: {d['n_pivoters']} pivoters and {d['n_loyalists']} loyalists "
                 "with an estimate (both cohorts need one)")
        rows = [("miners", ", ".join(self.miners)),
                ("DiD downside BTC beta (pivoters - loyalists)", value)]
        if self.curve is not None:
            rows.append(("robustness", self.robustness_line))
        return Summary(title="Lifeboat test", rows=rows, notes=list(self.notes))

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def record(self) -> dict[str, Any]:
        """The values the runner puts in the sidecar and the index."""
        a, d = self.analysis, self.did
        pt = a.persistence.table
        car = pt[(pt.benchmark == "model") & (pt.measure == "CAR")]
        return {"kind": "lifeboat", "title": "Lifeboat test", "symbols": ",".join(self.miners),
                "symbol": "", "car": None, "did_downside_beta": float(d["did"]),
                "p_value": float(d["perm_p"]), "did_ci": [float(d["low"]), float(d["high"])],
                "significant": bool(float(d["perm_p"]) < 0.05),
                "downside_change": {r.symbol: float(r.down_change) for r in
                                    a.betas.table.dropna(subset=["down_change"]).itertuples()},
                "car_by_horizon": {int(r.horizon): float(r.mean) for r in car.itertuples()},
                "missing": [s for s in self.returns.attrs.get("left_out", {})],
                "p_floor": float(d["p_floor"]) if pd.notna(d["p_floor"]) else None,
                "robustness": (self.curve.summary().to_dict() if self.curve is not None
                               else None),
                "robustness_line": self.robustness_line,
                "synthetic": self.synthetic, "dataset": self.dataset, "notes": list(self.notes)}


def study_lifeboat(*, dataset: str | None = None, miners: Sequence[str] = LIFEBOAT_MINERS,
                   market: str = MARKET, btc: str = BITCOIN,
                   down_threshold: float = LIFEBOAT_DOWN, crash_threshold: float = LIFEBOAT_CRASH,
                   horizons: Sequence[int] = LIFEBOAT_HORIZONS, as_of: str | None = None,
                   end: str | None = None, seed: int = 0, n_boot: int = 999,
                   catalog: pd.DataFrame | None = None, borderline: str = "loyalist",
                   curve: bool = ROBUST_CURVES, curve_grid: dict | None = None,
                   n_null: int = ROBUST_NULL_DRAWS) -> LifeboatReport:
    """Run the lifeboat analysis on a dataset (parameters are notebook 06's).

    ``borderline`` treats a miner with an announced pivot but no signed contract (e.g. BITF) as
    ``"loyalist"`` (default), ``"pivoter"`` or ``"excluded"``
    (:func:`pivotlib.analytics.lifeboat.pivot_cohorts`). ``curve`` (default
    :data:`pivotlib.defaults.ROBUST_CURVES`, on) also computes the DiD's specification curve
    (:func:`pivotlib.analytics.robustness.lifeboat.lifeboat_curve` over ``curve_grid``, default :data:`pivotlib.defaults.LIFEBOAT_CURVE_GRID` with this run's own
    ``as_of``, threshold and borderline choice added, so the headline is one of its rows) with
    ``n_null`` relabellings behind its joint test, on ``report.curve``; a curve that cannot run
    leaves ``report.curve`` None and a note saying why.

    Raises
    ------
    DataError
        The market or bitcoin column is not in the dataset (says how to get it).
    """
    ds = str(DatasetSpec.parse(dataset))
    cat = load_catalog() if catalog is None else catalog
    notes = Notes()
    syms = list(dict.fromkeys([*miners, market, btc]))
    returns = load_returns(syms, end=end or None, dataset=ds, on_missing="skip")
    lost = notes.left_out(returns)
    for role in (market, btc):
        if role in lost:
            raise DataError(f"the lifeboat analysis needs {role}: "
                            f"{returns.attrs['left_out'][role]}")
    have = [s for s in miners if s in returns.columns]
    a = run_lifeboat(returns, cat, have, market=market, btc=btc, down_threshold=down_threshold,
                     crash_threshold=crash_threshold, horizons=horizons, as_of=as_of or None,
                     n_boot=n_boot, seed=seed, borderline=borderline)
    notes.extend(a.all_notes())
    spec_curve = None
    if curve:
        head = {"as_of": as_of or None, "threshold": float(down_threshold), "end": "all",
                "borderline": borderline, "leave_out": "none"}
        grid = dict(LIFEBOAT_CURVE_GRID if curve_grid is None else curve_grid)
        for k in ("as_of", "threshold", "borderline"):
            vals = tuple(grid.get(k, ()))
            if head[k] not in vals:
                grid[k] = (head[k], *vals)
        try:
            spec_curve = lifeboat_curve(returns, cat, have, market=market, btc=btc, grid=grid,
                                        headline=head, seed=seed, n_null=n_null)
            notes.extend(spec_curve.frame.attrs.get("notes", []))
        except PivotError as exc:
            notes.add(f"specification curve not computed: {exc}")
    return LifeboatReport(dataset=ds, miners=have, analysis=a, returns=returns, notes=notes,
                          curve=spec_curve)


def display_tables(a: Any) -> dict[str, pd.DataFrame]:
    """Display-ready tables of the analysis (column selections, cohort added, rounded later)."""
    co = a.cohorts["cohort"]
    b = a.betas.table.copy()
    b.insert(1, "cohort", b["symbol"].map(co))
    b["split_date"] = pd.to_datetime(b["split_date"]).dt.date.astype(str)
    betas = b[["symbol", "cohort", "split_date", "n_down_before", "n_down_after", "down_before",
               "down_after", "down_change", "down_low", "down_high", "down_p", "up_change",
               "up_p", "asym_change", "note"]]
    did = a.did.table[["estimate", "did", "low", "high", "welch_p", "perm_p", "p_floor",
                       "n_labelings", "n_pivoters", "n_loyalists", "loo_min", "loo_max"]]
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
