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

from pivotlib.analytics.lifeboat import LifeboatAnalysis, pivot_cohorts, run_lifeboat
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
    STAND_INS,
    choose_role,
    how_to_get,
)
from pivotlib.errors import DataError, PivotError
from pivotlib.events.catalog import load_catalog
from pivotlib.studies.common import CohortReport, Notes, Summary, dataset_symbols

__all__ = ["LifeboatReport", "study_lifeboat", "display_tables"]

_BETA_COLUMNS = ["symbol", "split_date", "n_down_before", "n_down_after", "down_before",
                 "down_after", "down_change", "down_low", "down_high", "down_p", "up_change",
                 "up_p", "asym_change", "note"]
NO_BITCOIN = ("No bitcoin series in this dataset (BTC-USD, nor a spot ETF standing in: IBIT, "
              "FBTC): the lifeboat test (downside BTC betas, the DiD) and the crash capture "
              "were left out; persistence and spillover use the market model; to run them, "
              "get it with `pivot data fetch BTC-USD` or `pivot data import <file> --symbol "
              "BTC-USD` (for a csv: dataset, put BTC-USD.csv in the folder).")
"""The note of a lifeboat analysis without bitcoin."""

_DID_COLUMNS = ["estimate", "did", "low", "high", "welch_p", "perm_p", "p_floor", "n_labelings",
                "n_pivoters", "n_loyalists", "loo_min", "loo_max"]


@dataclass
class LifeboatReport(CohortReport):
    """Everything notebook 06 shows (:func:`study_lifeboat`)."""

    dataset: str
    miners: list[str]
    analysis: LifeboatAnalysis
    returns: pd.DataFrame
    notes: Notes = field(default_factory=Notes)
    curve: SpecCurve | None = None
    """The DiD's specification curve (computed unless ``study_lifeboat(curve=False)``), else None."""

    @property
    def did(self) -> pd.Series:
        """The headline DiD row (estimate, did, low, high, perm_p, p_floor, ...; NaN where the
        DiD could not be computed: no bitcoin series, or a cohort without firms, :attr:`has_did`)."""
        if self.analysis.did is None:
            return pd.Series(float("nan"), index=_DID_COLUMNS)
        row = self.analysis.did.table.iloc[0]
        return row.reindex(list(dict.fromkeys([*row.index, *_DID_COLUMNS])))

    @property
    def did_method(self) -> str:
        """How the DiD was computed (the caption of its table), or why it was not."""
        if self.analysis.did is None:
            return "No DiD: the dataset has no bitcoin series (see the notes)"
        return str(self.analysis.did.method)

    @property
    def has_did(self) -> bool:
        """True when both cohorts had data and the pivoters-vs-loyalists DiD was computed."""
        d = self.did
        return bool(pd.notna(d["did"]) and pd.notna(d["perm_p"]))

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
        if self.has_did:
            p = f"{float(d['perm_p']):.3f}"
            if self.p_note:
                p += f" (the floor of this design: {float(d['p_floor']):.3f})"
            value = (f"{float(d['did']):+.2f} [{float(d['low']):+.2f}, {float(d['high']):+.2f}], "
                     f"permutation p = {p}")
        elif self.analysis.did is not None and pd.notna(d["n_pivoters"]):
            value = (f"not estimable: {d['n_pivoters']} pivoters and {d['n_loyalists']} "
                     "loyalists with an estimate (both cohorts need one)")
        else:
            value = "not computed (no bitcoin series, or a cohort has no miner with data; see the notes)"
        rows = [("miners", ", ".join(self.miners)),
                ("market, bitcoin", f"{self.analysis.params.get('market')}, "
                                    f"{self.analysis.params.get('btc')}"),
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
                "symbol": "", "car": None,
                "did_downside_beta": float(d["did"]) if self.has_did else None,
                "p_value": float(d["perm_p"]) if self.has_did else None,
                "did_ci": [float(d["low"]), float(d["high"])] if self.has_did else None,
                "significant": bool(self.has_did and float(d["perm_p"]) < 0.05),
                "market": self.analysis.params.get("market"),
                "downside_change": {r.symbol: float(r.down_change) for r in
                                    a.betas.table.dropna(subset=["down_change"]).itertuples()}
                if a.betas is not None else {},
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

    The market follows the rule per role (:func:`pivotlib.defaults.choose_role`): the default
    ``SPY`` the dataset lacks is replaced by its stand-in (``IWM``, ``QQQ``) with a note; a
    market the analyst named must be there. Bitcoin likewise: a spot bitcoin ETF stands in
    (``IBIT``, ``FBTC``); with none, the lifeboat test and the crash capture are left out
    (:data:`NO_BITCOIN`) and persistence and spillover run against the market model.

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
        No market series is in the dataset, no miner is, or an analyst-named series is
        missing (says which and how to get it).
    """
    ds = str(DatasetSpec.parse(dataset))
    cat = load_catalog() if catalog is None else catalog
    notes = Notes()
    have = dataset_symbols(ds)
    b = choose_role("bitcoin", have, btc, where=ds)
    if not b.column:
        notes.add(NO_BITCOIN)
    m = choose_role("market", have, market, taken=[c for c in (b.column,) if c], where=ds)
    if not m.column:
        raise DataError(f"the lifeboat analysis holds the market fixed and {ds} has no "
                        f"market series ({market}, nor {', '.join(STAND_INS['market'])}); "
                        f"{how_to_get(market)}")
    notes.extend([n for n in (m.note, b.note if b.column else "") if n])
    market, bcol = m.column, b.column
    syms = list(dict.fromkeys([*miners, market] + ([bcol] if bcol else [])))
    returns = load_returns(syms, end=end or None, dataset=ds, on_missing="skip")
    lost = notes.left_out(returns)
    for role in [market] + ([bcol] if bcol else []):
        if role in lost:
            raise DataError(f"the lifeboat analysis needs {role}: "
                            f"{returns.attrs['left_out'][role]}")
    have_m = [s for s in miners if s in returns.columns]
    if not have_m:
        raise DataError(f"none of the miners {', '.join(miners)} is in {ds}; "
                        f"{how_to_get(miners[0])} (and the others)")
    a = run_lifeboat(returns, cat, have_m, market=market, btc=bcol,
                     down_threshold=down_threshold, crash_threshold=crash_threshold,
                     horizons=horizons, as_of=as_of or None, n_boot=n_boot, seed=seed,
                     borderline=borderline)
    notes.extend(cohort_notes(pivot_cohorts(cat, list(miners), as_of=as_of or None,
                                            borderline=borderline), returns.columns))
    notes.extend(a.all_notes())
    spec_curve = None
    if curve and bcol and a.did is not None:
        head = {"as_of": as_of or None, "threshold": float(down_threshold), "end": "all",
                "borderline": borderline, "leave_out": "none"}
        grid = dict(LIFEBOAT_CURVE_GRID if curve_grid is None else curve_grid)
        for k in ("as_of", "threshold", "borderline"):
            vals = tuple(grid.get(k, ()))
            if head[k] not in vals:
                grid[k] = (head[k], *vals)
        try:
            spec_curve = lifeboat_curve(returns, cat, have_m, market=market, btc=bcol, grid=grid,
                                        headline=head, seed=seed, n_null=n_null)
            notes.extend(spec_curve.frame.attrs.get("notes", []))
        except PivotError as exc:
            notes.add(f"specification curve not computed: {exc}")
    elif curve:
        notes.add("specification curve not computed: the lifeboat DiD did not run (see the "
                  "notes above for the missing series)")
    return LifeboatReport(dataset=ds, miners=have_m, analysis=a, returns=returns, notes=notes,
                          curve=spec_curve)


def cohort_notes(cohorts: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Notes for a cohort with no miner in the data: the DiD needs both cohorts, and the
    loyal-miner control portfolio needs loyalists (persistence then runs against the market +
    BTC model only)."""
    have = set(columns)
    out = []
    for cohort, what in (("pivoter", "the DiD was not computed (it compares pivoters with "
                                     "loyalists)"),
                         ("loyalist", "the DiD was not computed and the loyal-miner control "
                                      "portfolio is empty (persistence is measured against "
                                      "the market + BTC model only)")):
        members = [str(s) for s in cohorts.index[cohorts["cohort"] == cohort]]
        if members and not any(s in have for s in members):
            out.append(f"No {cohort} in this dataset ({', '.join(members)} missing): {what}; "
                       f"to run it, {how_to_get(members[0])} and the other {cohort}s.")
    return out


def display_tables(a: Any) -> dict[str, pd.DataFrame]:
    """Display-ready tables of the analysis (column selections, cohort added, rounded later)."""
    co = a.cohorts["cohort"]
    b = a.betas.table.copy() if a.betas is not None else pd.DataFrame(columns=_BETA_COLUMNS)
    b.insert(1, "cohort", b["symbol"].map(co))
    b["split_date"] = pd.to_datetime(b["split_date"]).dt.date.astype(str)
    betas = b[["symbol", "cohort", *_BETA_COLUMNS[1:]]]
    did = (a.did.table if a.did is not None else pd.DataFrame()).reindex(columns=_DID_COLUMNS)
    pt = a.persistence.table
    pers = pt[["benchmark", "measure", "horizon", "n", "mean", "low", "high", "p", "boot_p",
               "pooled_kept", "median_kept"]]
    ev = a.persistence.events
    hs = a.persistence.horizons
    events = ev[["event_id", "deal_usd", "ar0_model"] + [f"car{h}_model" for h in hs]
                + [f"kept{h}_model" for h in hs] + [f"verdict{h}" for h in hs]
                + ["truncated", "h_avail"] + [c for c in ("confounders",) if c in ev]]
    cap = a.capture.by_symbol if a.capture is not None else pd.DataFrame()
    return {"betas": betas, "did": did, "persistence": pers, "events": events,
            "cross_section": a.persistence.cross_section, "capture": cap,
            "episodes": a.episodes, "spillover": a.spillover.table}
