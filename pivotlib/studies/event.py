"""One announcement, one stock (notebook 02, the briefing, the explorer): :func:`study_event`.

"Can this event be studied?" has one answer, the engine's: :func:`screen_events` runs
:func:`pivotlib.analytics.eventstudy.run_event_study` once over the candidate events and reads
each event's status. The sweep's pre-screen, the default headline event and ``pivot events
check`` all call it, so they cannot disagree with the notebook that would run the event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib import config
from pivotlib.analytics.eventstudy import EventStudyResult, run_event_study
from pivotlib.analytics.eventstudy.stages import align
from pivotlib.analytics.robustness.car import car_curve_arrays, headline_spec
from pivotlib.data.datasets import DatasetSpec
from pivotlib.data.loading import load_prices, load_returns
from pivotlib.defaults import ALPHA, EXTRA_WINDOWS, ROBUST_CURVES
from pivotlib.errors import DataError, InputError
from pivotlib.events.catalog import company_events, load_catalog, make_event
from pivotlib.events.taxonomy import is_ai_category
from pivotlib.studies.common import ModelSpec, Notes, Summary, dataset_symbols, fit_spec
from pivotlib.studies.results import car_band, headline_test, model_fit, stats_table


def run_study(returns: pd.DataFrame, events: pd.DataFrame, spec: ModelSpec, *,
              catalog: pd.DataFrame | None = None, window: Sequence[int] | None = None,
              **engine_options: Any) -> EventStudyResult:
    """The engine with the suite's conventions: other catalog events of the same symbols are
    masked from estimation windows, and staggered events weight the Kolari-Pynnonen
    correction by window overlap (``kp_weight="event_overlap"``; the engine's ``"none"``
    treats every pair as fully overlapping, the clustered case KP (2010) was built for)."""
    opts = spec.engine_options()
    if window is not None:
        opts["window"] = tuple(window)
    other = company_events(load_catalog() if catalog is None else catalog)
    return run_event_study(returns, events, other_events=other,
                           **{**opts, "kp_weight": "event_overlap", **engine_options})


def screen_events(events: pd.DataFrame, spec: ModelSpec, *, dataset: str | None = None,
                  returns: pd.DataFrame | None = None,
                  catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    """Whether each event can be studied on a dataset under a model, and if not, why.

    Returns
    -------
    DataFrame
        Index ``event_id``; columns ``symbol``, ``event_date``, ``studiable`` (bool),
        ``reason`` (the engine's status, naming the limiting series and its last/first date;
        or why the symbol or a regressor could not be loaded).
    """
    regs = spec.regressors()
    if returns is None:
        syms = list(dict.fromkeys([str(s) for s in events["symbol"]] + regs))
        returns = load_returns(syms, dataset=dataset, on_missing="skip")
    left = dict(returns.attrs.get("left_out") or {})
    out = pd.DataFrame({"symbol": events["symbol"].astype(str).to_numpy(),
                        "event_date": pd.to_datetime(events["event_date"]).to_numpy()},
                       index=pd.Index(events["event_id"].astype(str), name="event_id"))
    missing_regs = [r for r in regs if r not in returns.columns]
    if missing_regs:
        why = "; ".join(left.get(r, f"{r} is not in the data") for r in missing_regs)
        out["studiable"] = False
        out["reason"] = f"model regressor {', '.join(missing_regs)} missing: {why}"
        return out
    res = run_study(returns, events, spec, catalog=catalog, n_boot=0)
    status = res.events["status"].astype(str).reindex(out.index)
    for eid, sym in out["symbol"].items():
        if sym in left:
            status[eid] = f"{sym} not in the dataset: {left[sym]}"
    out["studiable"] = status == "ok"
    out["reason"] = status.where(status != "ok", "")
    return out


def headline_event(catalog: pd.DataFrame | None = None, *, spec: ModelSpec | None = None,
                   dataset: str | None = None) -> tuple[str, list[str]]:
    """The default headline event and the notes on how it was chosen.

    The latest large AI deal (AI category, disclosed deal size, ``verified``; ties: the larger
    deal) that the engine can study on ``dataset`` for the stock and every regressor of the
    model; newer candidates it passed over are listed with the engine's reason. When no
    large deal can be studied, the latest studiable company event.

    Raises
    ------
    InputError
        No catalog event can be studied on this dataset (names the first reasons).
    """
    spec = spec or ModelSpec()
    cat = company_events(load_catalog() if catalog is None else catalog)
    big = cat[cat["category"].map(is_ai_category) & cat["deal_usd"].notna()
              & (cat["confidence"] == "verified")]
    notes: list[str] = []
    for pool, label in ((big, "large AI deal"), (cat, "company event")):
        pool = pool.sort_values(["event_date", "deal_usd"], ascending=[False, False],
                                na_position="last")
        if pool.empty:
            continue
        scr = screen_events(pool, spec, dataset=dataset, catalog=catalog)
        ok = scr[scr["studiable"]]
        if len(ok):
            eid = str(ok.index[0])
            newer = scr.loc[:eid].iloc[:-1]
            passed = [f"{i} ({r})" for i, r in newer["reason"].items()]
            notes.append(f"Headline event: {eid}, the latest {label} this dataset can study "
                         f"with the {spec.label()} model.")
            if passed:
                notes.append(f"Passed over {len(passed)} newer {label}(s) the data cannot "
                             "support: " + "; ".join(passed[:5])
                             + ("; ..." if len(passed) > 5 else "") + ".")
            return eid, notes
        notes.append(f"No {label} can be studied on this dataset: "
                     + "; ".join(f"{i} ({r})" for i, r in scr["reason"].head(3).items()))
    raise InputError("no catalog event can be studied on this dataset with the "
                     f"{spec.label()} model: " + " ".join(notes)
                     + " Load more data or pass event_id / symbol + date explicitly.")


def resolve_event(catalog: pd.DataFrame | None = None, *, event_id: str | None = None,
                  symbol: str | None = None, date: str | None = None, timing: str = "unknown",
                  spec: ModelSpec | None = None,
                  dataset: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """One-row events frame: ``event_id`` from the catalog, an ad-hoc ``symbol`` + ``date``
    event, or the :func:`headline_event` when neither; plus notes on the choice."""
    cat = load_catalog() if catalog is None else catalog
    if not event_id and symbol and date:
        ev = make_event(symbol, date, timing or "unknown",
                        headline=f"Ad-hoc event for {symbol} on {date}")
        notes = []
        if pd.Timestamp(ev["event_date"].iloc[0]) != pd.Timestamp(date):
            notes.append(f"{date} ({timing}) first reaches the market on "
                         f"{pd.Timestamp(ev['event_date'].iloc[0]).date()} (the next session "
                         "the market could react), which is day 0.")
        return ev, notes
    notes: list[str] = []
    if not event_id:
        event_id, notes = headline_event(cat, spec=spec, dataset=dataset)
    row = cat[cat["event_id"] == event_id]
    if row.empty:
        raise InputError(f"event_id {event_id!r} is not in the catalog; `pivot events list` "
                         "shows ids")
    return row.reset_index(drop=True), notes


def planted_effect(event_id: str | None, dataset: str | None = None) -> float | None:
    """The abnormal return planted on ``event_id`` in the SYNTHETIC demo data (else None)."""
    path = config.synthetic_dir() / "planted_effects.csv"
    if not DatasetSpec.parse(dataset).synthetic or not event_id or not path.is_file():
        return None
    pe = pd.read_csv(path)
    row = pe[pe["event_id"] == event_id]
    return None if row.empty else float(row["planted_ar"].iloc[0])


def window_table(returns: pd.DataFrame, events: pd.DataFrame, spec: ModelSpec,
                 windows: Sequence[Sequence[int]], *,
                 catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    """CAR, t and p of one event over each window: :func:`run_study` with ``window=w``.

    One event (notebook 02): every window in one batched call of the CAR curve's engine
    (:func:`pivotlib.analytics.robustness.car.car_curve_arrays`, the engine's single-event CAR
    t-test, tested equal to :func:`run_study` to 1e-10) instead of one engine run per window;
    a window the event cannot be studied over is run through the engine for its reason.
    Several events (or a window reaching into the estimation window): one engine run per
    window.
    """
    est_end = int(spec.estimation[1])
    fast = len(events) == 1 and all(int(w[0]) > est_end for w in windows)
    batched = _windows_batched(returns, events, spec, windows, catalog) if fast else None
    rows = []
    for j, w in enumerate(windows):
        label = f"[{w[0]}, {w[1]}]"
        if batched is not None and batched["status"][0, j] == "ok":
            rows.append({"window": label, "car": float(batched["estimate"][0, j]),
                         "t": float(batched["t"][0, j]), "p_value": float(batched["p"][0, j]),
                         "note": ""})
            continue
        r = run_study(returns, events, spec, catalog=catalog, window=w)
        ok = r.events[r.events["status"] == "ok"]
        if ok.empty:
            rows.append({"window": label, "car": float("nan"), "t": float("nan"),
                         "p_value": float("nan"), "note": str(r.events["status"].iloc[0])[:90]})
            continue
        name, stat, pv = headline_test(r)
        rows.append({"window": label, "car": float(r.caar), "t": stat, "p_value": pv,
                     "note": ""})
    return pd.DataFrame(rows)


def _windows_batched(returns: pd.DataFrame, events: pd.DataFrame, spec: ModelSpec,
                     windows: Sequence[Sequence[int]],
                     catalog: pd.DataFrame | None) -> dict[str, Any]:
    """The CAR t-test of one event over each window, batched (:func:`window_table`)."""
    other = company_events(load_catalog() if catalog is None else catalog)
    al = align(returns, events[["event_id", "symbol", "event_date"]], other_events=other)
    specs = [headline_spec(spec.model, spec.estimation, w) for w in windows]
    return car_curve_arrays(al, al.pos, al.col_idx, specs, market=spec.market,
                            factors=spec.regressors() if spec.model == "factors" else (),
                            exclude=(str(al.ev["event_id"].iloc[0]),), inside=al.inside)


@dataclass
class EventReport:
    """Everything notebook 02 shows about one event (:func:`study_event`)."""

    event: pd.Series
    spec: ModelSpec
    dataset: str
    result: EventStudyResult
    returns: pd.DataFrame
    prices: pd.Series
    band: pd.DataFrame
    windows: pd.DataFrame
    coefs: pd.DataFrame
    diagnostics: pd.DataFrame
    tests: pd.DataFrame
    test_name: str
    test_stat: float
    p_value: float
    planted: float | None
    notes: Notes = field(default_factory=Notes)
    curve: Any = None
    """The CAR specification curve (:class:`pivotlib.analytics.robustness.SpecCurve`) when
    studied with ``robustness=True``, else None."""

    @property
    def row(self) -> pd.Series:
        """The engine's row for the event (day0, car, sigma, r2, n_est, ...)."""
        return self.result.events.iloc[0]

    @property
    def synthetic(self) -> bool:
        """True when the data are the SYNTHETIC demo."""
        return bool(self.returns.attrs.get("synthetic"))

    @property
    def day0_ar(self) -> float:
        """Abnormal return on day 0 (NaN when day 0 is outside the event window)."""
        ar = self.result.ar.set_index("rel_day")["ar"]
        return float(ar.get(0, float("nan")))

    def summary(self) -> Summary:
        """Headline numbers (renders in a notebook)."""
        r = self.row
        w = self.spec.window
        return Summary(
            title=f"Event study: {self.event['symbol']} {pd.Timestamp(r['day0']).date()}",
            rows=[("event", str(self.event["event_id"])),
                  ("model", self.spec.label()),
                  (f"CAR [{w[0]}, {w[1]}]", f"{float(r['car']):+.2%}"),
                  ("test", f"{self.test_name}: {self.test_stat:.2f}, p = {self.p_value:.4f}"),
                  ("estimation sessions", str(int(r["n_est"])))],
            notes=list(self.notes))

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def record(self) -> dict[str, Any]:
        """The values the runner puts in the sidecar and the index."""
        r = self.row
        return dict(kind="event", title="Event study", symbol=str(self.event["symbol"]),
                    event_id=str(self.event["event_id"]), headline=str(self.event["headline"]),
                    event_date=r["day0"], car=float(r["car"]), car_window=list(self.spec.window),
                    p_value=self.p_value, test=self.test_name,
                    significant=bool(self.p_value < ALPHA), day0_ar=self.day0_ar,
                    sigma=float(r["sigma"]), planted_ar=self.planted, synthetic=self.synthetic,
                    dataset=self.dataset, model=self.spec.model, notes=list(self.notes),
                    **self.robustness_record())

    def robustness_record(self) -> dict[str, Any]:
        """``robustness`` (the curve summary), ``robustness_line`` and ``verdict``, or {}."""
        if self.curve is None:
            return {}
        s = self.curve.summary()
        return dict(robustness=s.to_dict(), robustness_line=s.line(), verdict=s.verdict)


def study_event(*, dataset: str | None = None, event_id: str | None = None,
                symbol: str | None = None, date: str | None = None, timing: str = "unknown",
                model: str | None = None, market: str | None = None,
                factors: Sequence[str] | None = None, estimation: Sequence[int] | None = None,
                window: Sequence[int] | None = None,
                windows: Sequence[Sequence[int]] = EXTRA_WINDOWS,
                catalog: pd.DataFrame | None = None, returns: pd.DataFrame | None = None,
                prices: pd.Series | None = None,
                robustness: bool = ROBUST_CURVES) -> EventReport:
    """Study one announcement: resolve it, fit the normal model, run every test.

    Parameters are notebook 02's (``None`` = the default of :mod:`pivotlib.defaults`). A
    default regressor the dataset lacks degrades (:func:`~pivotlib.studies.common.fit_spec`:
    the market to a stand-in, market + BTC to the market model) with a note; a regressor
    named by the analyst must be there.
    ``returns`` (holding the stock and the model's regressors) and ``prices`` (the stock's
    closes) may be passed preloaded from the same dataset, as the explorer does to re-run only
    the engine when a widget changes. ``robustness`` (default
    :data:`pivotlib.defaults.ROBUST_CURVES`) adds the CAR specification curve
    (:func:`pivotlib.studies.curves.event_curve`: 288 specifications and placebo null curves)
    as ``report.curve`` and its verdict to the record; ``robustness=False`` skips it.

    Raises
    ------
    InputError
        The event cannot be studied on this dataset: the engine's reason, naming the
        limiting series and its last (or first) date.
    DataError
        The stock or a regressor of the model is not in the dataset (says how to get it).
    """
    spec = ModelSpec.of(model=model, market=market, factors=factors, estimation=estimation,
                        window=window)
    ds = str(DatasetSpec.parse(dataset))
    cat = load_catalog() if catalog is None else catalog
    spec, fitted = fit_spec(spec, dataset_symbols(ds), ds)
    events, why = resolve_event(cat, event_id=event_id, symbol=symbol, date=date,
                                timing=timing, spec=spec, dataset=ds)
    notes = Notes()
    notes.extend(fitted)
    notes.extend(why)
    ev = events.iloc[0]
    syms = list(dict.fromkeys([str(ev["symbol"])] + spec.regressors()))
    try:
        if returns is None or any(s not in returns.columns for s in syms):
            returns = load_returns(syms, dataset=ds)
    except DataError as exc:
        raise DataError(f"cannot study {ev['event_id']} with the {spec.label()} model: {exc}") from exc
    res = run_study(returns, events, spec, catalog=cat)
    if (res.events["status"] != "ok").all():
        raise InputError(f"event {ev['event_id']} cannot be studied on {ds}: "
                         f"{res.events['status'].iloc[0]}")
    name, stat, pv = headline_test(res)
    coefs, diag = model_fit(res, returns, spec)
    if prices is None:
        prices = load_prices([str(ev["symbol"])], dataset=ds)[str(ev["symbol"])]
    curve = None
    if robustness:
        from pivotlib.studies.curves import event_curve

        curve = event_curve(returns, events, spec, catalog=cat, dataset=ds, notes=notes)
    return EventReport(event=ev, spec=spec, dataset=ds, result=res, returns=returns,
                       prices=prices, band=car_band(res),
                       windows=window_table(returns, events, spec, windows, catalog=cat),
                       coefs=coefs, diagnostics=diag, tests=stats_table(res), test_name=name,
                       test_stat=stat, p_value=pv, planted=planted_effect(ev["event_id"], ds),
                       notes=notes, curve=curve)
