"""Do AI announcements move miners on average? (notebook 03): :func:`study_sector`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib.analytics.eventstudy import EventStudyResult
from pivotlib.data.datasets import DatasetSpec
from pivotlib.data.loading import load_returns
from pivotlib.defaults import ALPHA
from pivotlib.errors import DataError, InputError
from pivotlib.events.catalog import load_catalog
from pivotlib.events.selection import select_sector_events
from pivotlib.studies.common import ModelSpec, Notes, Summary, dataset_symbols, fit_spec
from pivotlib.studies.event import run_study
from pivotlib.studies.results import (
    car_band,
    cross_section,
    event_forest,
    headline_test,
    stats_table,
    test_agreement,
)


@dataclass
class SectorReport:
    """Everything notebook 03 shows (:func:`study_sector`)."""

    dataset: str
    category: str | None
    spec: ModelSpec
    selected: pd.DataFrame
    result: EventStudyResult
    returns: pd.DataFrame
    band: pd.DataFrame
    forest: pd.DataFrame
    tests: pd.DataFrame
    dropped: pd.DataFrame
    test_name: str
    test_stat: float
    p_value: float
    agreement: tuple[int, int]
    cross_section: tuple[pd.DataFrame, dict[str, Any]] | None
    notes: Notes = field(default_factory=Notes)

    @property
    def synthetic(self) -> bool:
        """True when the data are the SYNTHETIC demo."""
        return bool(self.returns.attrs.get("synthetic"))

    def summary(self) -> Summary:
        """Headline numbers (renders in a notebook)."""
        w = self.spec.window
        return Summary(title=f"Sector event study: {self.category or 'all'} events",
                       rows=[("events studied", f"{self.result.n_ok} of {len(self.selected)}"),
                             (f"CAAR [{w[0]}, {w[1]}]", f"{float(self.result.caar):+.2%}"),
                             ("test", f"{self.test_name}, p = {self.p_value:.4f}")],
                       notes=list(self.notes))

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def record(self) -> dict[str, Any]:
        """The values the runner puts in the sidecar and the index."""
        ok = self.result.events["status"] == "ok"
        return dict(kind="sector", title="Sector event study", category=self.category or "all",
                    symbols=",".join(sorted(set(self.selected["symbol"]))),
                    car=float(self.result.caar), car_window=list(self.spec.window),
                    p_value=self.p_value, test=self.test_name,
                    significant=bool(self.p_value < ALPHA), n_events=self.result.n_ok,
                    synthetic=self.synthetic, event_ids=list(self.result.events.index[ok]),
                    dataset=self.dataset, notes=list(self.notes))


def study_sector(*, dataset: str | None = None, category: str | None = None,
                 symbols: Sequence[str] | None = None, start: str | None = None,
                 end: str | None = None, model: str | None = None, market: str | None = None,
                 factors: Sequence[str] | None = None, estimation: Sequence[int] | None = None,
                 window: Sequence[int] | None = None,
                 catalog: pd.DataFrame | None = None) -> SectorReport:
    """Average abnormal returns over a set of catalog events, every test, the cross-section.

    Events of symbols the dataset lacks are left out with a note (which symbols, why, how to
    get them); events the engine cannot study are listed in ``dropped`` with its reason.

    Raises
    ------
    InputError
        No event matches, or fewer than two can be studied.
    DataError
        A regressor of the model is not in the dataset.
    """
    spec = ModelSpec.of(model=model, market=market, factors=factors, estimation=estimation,
                        window=window)
    ds = str(DatasetSpec.parse(dataset))
    cat = load_catalog() if catalog is None else catalog
    selected = select_sector_events(cat, category=category, symbols=symbols, start=start,
                                    end=end)
    notes = Notes()
    spec, fitted = fit_spec(spec, dataset_symbols(ds), ds)
    notes.extend(fitted)
    regs = spec.regressors()
    returns = load_returns(list(dict.fromkeys(sorted(set(selected["symbol"])) + regs)),
                           dataset=ds, on_missing="skip")
    lost = notes.left_out(returns)
    if any(r in lost for r in regs):
        raise DataError(f"model regressor(s) {', '.join(r for r in regs if r in lost)} not in "
                        f"{ds}: " + "; ".join(returns.attrs["left_out"][r] for r in regs
                                              if r in lost))
    if lost:
        n = int(selected["symbol"].isin(lost).sum())
        notes.add(f"{n} event(s) of {', '.join(lost)} not studied: the symbol is not in the data.")
        selected = selected[~selected["symbol"].isin(lost)].reset_index(drop=True)
    if selected.empty:
        raise InputError("none of the selected events' symbols is in the data; "
                         + "; ".join(notes))
    res = run_study(returns, selected, spec, catalog=cat)
    if res.n_ok < 2:
        raise InputError(f"only {res.n_ok} of {len(selected)} events can be studied on {ds}; "
                         "widen the selection or load more data. Reasons: "
                         + "; ".join(f"{i}: {s}" for i, s in res.events["status"].items()
                                     if s != "ok")[:600])
    dropped = res.events.loc[res.events["status"] != "ok", ["symbol", "event_date", "status"]]
    if len(dropped):
        notes.add(f"{len(dropped)} event(s) dropped by the engine (listed under Tests).")
    name, stat, pv = headline_test(res)
    try:
        xs: tuple[pd.DataFrame, dict[str, Any]] | None = cross_section(res, cat)
    except InputError as exc:
        xs = None
        notes.add(f"No cross-section: {exc}")
    return SectorReport(dataset=ds, category=category or None, spec=spec, selected=selected,
                        result=res, returns=returns, band=car_band(res),
                        forest=event_forest(res, cat), tests=stats_table(res), dropped=dropped,
                        test_name=name, test_stat=stat, p_value=pv,
                        agreement=test_agreement(res), cross_section=xs, notes=notes)
