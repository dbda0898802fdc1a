"""Is each miner trading like bitcoin or like AI infrastructure? (notebook 04, the briefing)

:func:`study_regimes` loads the miners and the factors, leaves out (with a note) the miners the
dataset lacks, and computes the pivot scores, break dates, rolling betas and quarterly
correlations with explicit factor roles (:class:`pivotlib.defaults.FactorRoles`): a role is
never read from a factor's position or name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib.analytics.regimes import break_table, pivot_scores, rolling_exposures
from pivotlib.analytics.regimes import quarterly_correlations as _qc
from pivotlib.analytics.robustness import SpecCurve
from pivotlib.analytics.robustness.regimes import pivot_score_curve
from pivotlib.data.datasets import DatasetSpec
from pivotlib.data.loading import load_returns
from pivotlib.defaults import (
    AI,
    BITCOIN,
    MARKET,
    PIVOT_CURVE_GRID,
    REGIME_COHORT,
    REGIME_FACTORS,
    REGIME_MIN_SIDE,
    REGIME_SIDE,
    REGIME_WINDOW,
    ROBUST_CURVES,
    ROBUST_NULL_DRAWS,
    ROLE_DEFAULTS,
    STAND_INS,
    FactorRoles,
    choose_role,
    how_to_get,
    require_named,
)
from pivotlib.errors import DataError, PivotError
from pivotlib.events.catalog import company_events, load_catalog
from pivotlib.events.selection import ai_events
from pivotlib.studies.common import Notes, Summary, dataset_symbols

BREAK_COLUMNS = ["symbol", "break_date", "ci_low", "ci_high", "sup_f", "p_value",
                 "nearest_event", "sessions_from_event", "event_in_ci", "note"]


def regime_breaks(returns: pd.DataFrame, symbols: Sequence[str], factors: Sequence[str],
                  roles: FactorRoles, catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    """Break date per symbol beside the nearest catalog announcement of that symbol.

    :func:`pivotlib.analytics.regimes.break_table` (HAC sup-F, Bai 1997 95% interval) plus the
    ``event_id`` of the nearest company event. Columns :data:`BREAK_COLUMNS`.
    """
    cat = company_events(load_catalog() if catalog is None else catalog)
    ortho = "ai" if roles.market in factors else "none"
    bt = break_table(returns, list(symbols), list(factors), events=cat, market=roles.market,
                     ai_factor=roles.ai, btc_factor=roles.bitcoin,
                     orthogonalize=ortho).reset_index()
    ids = {(str(r.symbol), pd.Timestamp(r.event_date)): str(r.event_id)
           for r in cat[["symbol", "event_date", "event_id"]].itertuples()}
    near = bt["nearest_event"] if "nearest_event" in bt else pd.Series(pd.NaT, index=bt.index)
    bt["nearest_event"] = [ids.get((str(s), pd.Timestamp(d)), "") if pd.notna(d) else ""
                           for s, d in zip(bt["symbol"], near)]
    for c in BREAK_COLUMNS:
        if c not in bt:
            bt[c] = pd.NA
    bt["note"] = bt["note"].fillna("").astype(str)
    return bt[BREAK_COLUMNS]


def quarterly_correlation_matrix(returns: pd.DataFrame, symbols: Sequence[str], factor: str,
                                 roles: FactorRoles, min_obs: int = 20) -> pd.DataFrame:
    """Correlation of each symbol with ``factor`` by calendar quarter (rows symbols, columns
    quarters such as ``2024Q3``). The AI factor is residualised on the market first, so its map
    shows co-movement with AI-specific moves, as the regime betas do."""
    ortho = "ai" if roles.ai and roles.market in returns else "none"
    tidy = _qc(returns, list(symbols), [factor], market=roles.market, ai_factor=roles.ai,
               orthogonalize=ortho, min_obs=min_obs)
    if tidy.empty:
        return pd.DataFrame(index=list(symbols))
    wide = tidy.pivot_table(index="symbol", columns="quarter", values="corr")
    wide.columns = [str(c) for c in wide.columns]
    return wide.reindex([s for s in symbols if s in wide.index])


@dataclass
class RegimeReport:
    """Everything notebook 04 shows (:func:`study_regimes`)."""

    dataset: str
    symbols: list[str]
    factors: list[str]
    roles: FactorRoles
    returns: pd.DataFrame
    scores: pd.DataFrame
    breaks: pd.DataFrame
    window: int
    catalog: pd.DataFrame
    notes: Notes = field(default_factory=Notes)
    curve: SpecCurve | None = None
    """The headline (top) miner's pivot-score specification curve (None with
    ``study_regimes(curve=False)``)."""

    @property
    def robustness_line(self) -> str:
        """The curve's one line (empty without a curve)."""
        return self.curve.line() if self.curve is not None else ""

    @property
    def synthetic(self) -> bool:
        """True when the data are the SYNTHETIC demo."""
        return bool(self.returns.attrs.get("synthetic"))

    def rolling(self, symbol: str) -> pd.DataFrame:
        """Rolling betas of one miner (``beta_<factor>`` columns)."""
        return rolling_exposures(self.returns, symbol, self.factors, window=self.window,
                                 market=self.roles.market, ai_factor=self.roles.ai,
                                 orthogonalize="ai" if self.has_market else "none")

    @property
    def has_market(self) -> bool:
        """True when a market series (default or stand-in) is among the factors."""
        return self.roles.market in self.factors

    def role_label(self, role: str) -> str:
        """The series filling ``role``, or ``none (default X missing)`` when it was dropped."""
        col = getattr(self.roles, role)
        if role == "market" and not self.has_market:
            col = None
        return str(col) if col else f"none ({ROLE_DEFAULTS[role]} missing)"

    def ai_events(self, symbol: str) -> pd.DataFrame:
        """The miner's AI announcements (dotted lines on its rolling-beta chart)."""
        return ai_events(self.catalog, symbol)

    def correlations(self, factor: str) -> pd.DataFrame:
        """Quarterly correlation matrix with ``factor``."""
        return quarterly_correlation_matrix(self.returns, self.symbols, factor, self.roles)

    @property
    def top(self) -> pd.DataFrame:
        """Scored miners, best first (rows without a score dropped)."""
        return self.scores.dropna(subset=["pivot_score"])

    def summary(self) -> Summary:
        """Headline numbers (renders in a notebook)."""
        rows = [("miners", ", ".join(self.symbols)),
                ("roles", f"market {self.role_label('market')}, bitcoin "
                          f"{self.role_label('bitcoin')}, AI {self.role_label('ai')}")]
        if len(self.top):
            r = self.top.iloc[0]
            rows.append(("highest pivot score", f"{self.top.index[0]}: {r['pivot_score']:.2f} "
                         f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]"))
        if self.curve is not None:
            rows.append(("robustness", self.robustness_line))
        return Summary(title="Pivot regimes", rows=rows, notes=list(self.notes))

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def record(self) -> dict[str, Any]:
        """The values the runner puts in the sidecar and the index."""
        top = self.top
        return dict(kind="regime", title="Pivot regimes", symbols=",".join(self.symbols),
                    symbol=str(top.index[0]) if len(top) else "", car=None,
                    top_pivot_score=float(top["pivot_score"].iloc[0]) if len(top) else None,
                    p_value=float(top["p_value"].iloc[0]) if len(top) else None,
                    pivot_scores={s: r["pivot_score"] for s, r in top.iterrows()},
                    break_dates={r["symbol"]: r["break_date"] for _, r in self.breaks.iterrows()},
                    roles={r: self.role_label(r) for r in ("market", "bitcoin", "ai")},
                    robustness=self.curve.summary().to_dict() if self.curve is not None else None,
                    robustness_line=self.robustness_line,
                    synthetic=self.synthetic, dataset=self.dataset, notes=list(self.notes))


def fit_roles(factors: Sequence[str], available: Sequence[str], *, market: str | None = None,
              bitcoin: str | None = None, ai: str | None = None,
              where: str = "the dataset") -> tuple[FactorRoles, list[str], list[str]]:
    """The factor roles of a regime analysis fitted to the series a dataset has.

    Each role follows :func:`pivotlib.defaults.choose_role`: its default series, else a
    documented stand-in (:data:`pivotlib.defaults.STAND_INS`), else the role is dropped; a
    series the analyst named (not a role default) must be present.

    Returns
    -------
    (FactorRoles, list of str, list of str)
        The roles (a dropped role is None; a dropped market keeps its default name but is not
        among the factors), the factor columns to use, and the notes.

    Raises
    ------
    DataError
        A named series is missing, or neither bitcoin nor any AI series is there (nothing to
        score).
    """
    named = FactorRoles.from_factors(factors, market=market, bitcoin=bitcoin, ai=ai)
    named.require("bitcoin", "ai")
    role_cols = {named.market, named.bitcoin, named.ai}
    extras = [f for f in factors if f not in role_cols]
    require_named({f"factors[{i}]": f for i, f in enumerate(factors) if f in extras},
                  available, where)
    notes: list[str] = []
    taken: list[str] = []
    picked: dict[str, str | None] = {}
    for role in ("market", "bitcoin", "ai"):
        c = choose_role(role, available, getattr(named, role), taken=taken + extras, where=where)
        picked[role] = c.column
        if c.column:
            taken.append(c.column)
        if c.note:
            notes.append(c.note)
    if not picked["bitcoin"] and not picked["ai"]:
        raise DataError(f"the regime analysis needs bitcoin or an AI factor and {where} has "
                        f"neither ({BITCOIN}; {AI}, {', '.join(STAND_INS['ai'])}); "
                        f"{how_to_get(BITCOIN)}")
    if not picked["ai"]:
        notes.append("Regimes with bitcoin exposure only: the pivot score is the BTC part, "
                     "-(change in BTC beta); no AI beta is measured.")
    elif not picked["bitcoin"]:
        notes.append("Regimes with AI exposure only: the pivot score is the AI part, the "
                     "change in AI beta; no BTC beta is measured.")
    roles = FactorRoles(market=picked["market"] or MARKET, bitcoin=picked["bitcoin"],
                        ai=picked["ai"])
    cols = [c for c in (picked["market"], picked["bitcoin"], picked["ai"]) if c] + extras
    facs = [f for f in cols if f in set(available)]
    return roles, facs, notes


def study_regimes(*, dataset: str | None = None, symbols: Sequence[str] = REGIME_COHORT,
                  factors: Sequence[str] = REGIME_FACTORS, market: str | None = None,
                  bitcoin: str | None = None, ai: str | None = None,
                  window: int = REGIME_WINDOW, date: str | None = None,
                  start: str | None = None, end: str | None = None,
                  catalog: pd.DataFrame | None = None, breaks: bool = True,
                  curve: bool = ROBUST_CURVES, curve_grid: dict | None = None,
                  n_null: int = ROBUST_NULL_DRAWS) -> RegimeReport:
    """Pivot scores, break dates and rolling exposures of a set of miners.

    Parameters
    ----------
    dataset, start, end
        The data (:class:`~pivotlib.data.datasets.DatasetSpec`) and an optional date range.
    symbols : sequence of str
        The miners; those the dataset lacks are left out with a note.
    factors : sequence of str
        Factor columns. A role's default series the dataset lacks degrades (:func:`fit_roles`:
        a stand-in, else the part that needs it is dropped, with a note); any other factor
        must be in the dataset.
    market, bitcoin, ai : str, optional
        The factor playing each role (default: the role's default ticker, which must then be
        among ``factors``; :meth:`FactorRoles.from_factors`).
    window : int
        Rolling window in sessions.
    date : str, optional
        Common split date; default each miner's first AI announcement in the catalog.
    breaks : bool, default True
        Also search for break dates (the briefing skips it).
    curve : bool, default :data:`pivotlib.defaults.ROBUST_CURVES` (True)
        Also compute the top miner's pivot-score specification curve
        (:func:`pivotlib.analytics.robustness.regimes.pivot_score_curve` over ``curve_grid``,
        default :data:`pivotlib.defaults.PIVOT_CURVE_GRID`, with ``n_null`` placebo split
        dates) on ``report.curve``; the grid's extra AI proxies are loaded when the dataset has
        them (a proxy it lacks is left out with a note). Skipped with a note when ``date`` is
        given (a common date is not one of the curve's split rules) or the curve cannot run.
    """
    ds = str(DatasetSpec.parse(dataset))
    roles, facs, fitted = fit_roles(factors, dataset_symbols(ds), market=market,
                                    bitcoin=bitcoin, ai=ai, where=ds)
    cat = load_catalog() if catalog is None else catalog
    notes = Notes()
    notes.extend(fitted)
    returns = load_returns(list(dict.fromkeys(list(symbols) + facs)), start or None,
                           end or None, dataset=ds, on_missing="skip")
    lost = notes.left_out(returns)
    missing_f = [f for f in facs if f in lost]
    if missing_f:
        raise DataError(f"factor(s) {', '.join(missing_f)} cannot be read from {ds}: "
                        + "; ".join(returns.attrs["left_out"][f] for f in missing_f))
    syms = [s for s in symbols if s in returns.columns]
    if not syms:
        raise DataError(f"none of the miners {', '.join(symbols)} is in {ds}; "
                        f"{how_to_get(symbols[0])} (and the others)")
    ends = {f: returns[f].last_valid_index() for f in facs}
    short = min(ends, key=lambda f: ends[f] or pd.Timestamp.max)
    last = max(v for v in ends.values() if v is not None)
    if ends[short] is not None and ends[short] < last:
        notes.add(f"Factor {short} ends {ends[short].date()} (other series run to "
                  f"{last.date()}): regressions stop there.")
    ortho = "ai" if roles.market in facs else "none"
    target = date or company_events(cat)
    scores = pivot_scores(returns, syms, facs, target, btc_factor=roles.bitcoin,
                          ai_factor=roles.ai, market=roles.market, errors="skip", clip=True,
                          before=REGIME_SIDE, after=REGIME_SIDE, min_obs=REGIME_MIN_SIDE,
                          orthogonalize=ortho)
    for s, r in scores.iterrows():
        note = str(r.get("note") or "")
        if note:
            notes.add(f"{s}: {note}")
    if not isinstance(target, str) and "date" in scores:
        no_date = [s for s in syms if s in scores.index and pd.isna(scores.at[s, "date"])]
        if no_date:
            notes.add("No AI announcement in the catalog for " + ", ".join(no_date)
                      + " (no split date): pass date= for a common split date.")
    brk = (regime_breaks(returns, syms, facs, roles, cat) if breaks
           else pd.DataFrame(columns=BREAK_COLUMNS))
    spec_curve = None
    top = scores.dropna(subset=["pivot_score"])
    if curve and date:
        notes.add("specification curve not computed: a common split date (date=) is not one "
                  "of the curve's split rules")
    elif curve and scores.attrs.get("partial"):
        notes.add("specification curve not computed: the pivot score is one-sided here (a "
                  "factor role is missing; see the notes above)")
    elif curve and len(top):
        grid = dict(PIVOT_CURVE_GRID if curve_grid is None else curve_grid)
        proxies = tuple(dict.fromkeys([roles.ai, *grid.get("ai_proxy", ())]))
        grid["ai_proxy"] = proxies
        extra = [p for p in proxies if p not in returns.columns]
        data = returns
        if extra:
            try:
                more = load_returns(extra, start or None, end or None, dataset=ds,
                                    on_missing="skip")
                data = returns.join(more[[c for c in more.columns if c not in returns.columns]],
                                    how="left")
            except PivotError:
                pass  # none of them in the dataset: the curve notes each absent proxy
        try:
            spec_curve = pivot_score_curve(
                data, cat, str(top.index[0]), market=roles.market, btc=roles.bitcoin, grid=grid,
                headline={"split": "first_ai", "window": (REGIME_SIDE, REGIME_SIDE),
                          "ai_proxy": roles.ai, "hac_lags": "rule"},
                min_obs=REGIME_MIN_SIDE, n_null=n_null)
            notes.extend(spec_curve.frame.attrs.get("notes", []))
        except PivotError as exc:
            notes.add(f"specification curve not computed: {exc}")
    return RegimeReport(dataset=ds, symbols=syms, factors=facs, roles=roles, returns=returns,
                        scores=scores, breaks=brk, window=int(window), catalog=cat, notes=notes,
                        curve=spec_curve)
