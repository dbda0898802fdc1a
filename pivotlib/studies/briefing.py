"""The one-page briefing (notebook 05): the headline event, the regimes, the lifeboat and a Merge line.

:func:`study_briefing` is :func:`~pivotlib.studies.event.study_event` plus
:func:`~pivotlib.studies.regime.study_regimes` (without the break search) plus
:func:`~pivotlib.studies.lifeboat.study_lifeboat` (the lifeboat headline) plus
:func:`~pivotlib.studies.merge.study_merge` (one Merge line; dropped without ether): the briefing's
numbers are the same objects notebooks 02 and 04 show, never a copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib.data.datasets import DatasetSpec
from pivotlib.defaults import AI, BITCOIN, MARKET, REGIME_COHORT, REGIME_FACTORS, require_named
from pivotlib.errors import PivotError
from pivotlib.events.catalog import load_catalog
from pivotlib.studies.common import Missing, Summary, dataset_symbols
from pivotlib.studies.event import EventReport, study_event
from pivotlib.studies.lifeboat import LifeboatReport, study_lifeboat
from pivotlib.studies.merge import MergeReport, study_merge
from pivotlib.studies.regime import RegimeReport, study_regimes


@dataclass
class BriefingReport:
    """The briefing's sections, each its own study or a :class:`Missing` (why it could not
    run); the page shows every section that ran and one boxed line for each that did not."""

    event: EventReport | Missing
    regimes: RegimeReport | Missing
    lifeboat: LifeboatReport | Missing | None = None
    dataset: str = ""
    merge: MergeReport | None = None
    """The Merge line's study; None (line dropped, with a note in ``merge_notes``) without ether."""
    merge_notes: tuple[str, ...] = ()

    @property
    def sections(self) -> dict[str, Any]:
        """Section name -> study (or :class:`Missing`)."""
        return {"headline event": self.event, "regimes": self.regimes,
                "lifeboat": self.lifeboat}

    @property
    def missing(self) -> list[Missing]:
        """The sections that could not run."""
        return [v for v in self.sections.values() if isinstance(v, Missing)]

    @property
    def returns(self) -> pd.DataFrame:
        """The returns of the first section that ran (for the banner and the provenance)."""
        for v in self.sections.values():
            if v and hasattr(v, "returns"):
                return v.returns
        return pd.DataFrame()
    curve_missing: dict[str, str] = field(default_factory=dict)
    """Why a headline has no specification curve (headline label -> reason)."""

    def curves(self) -> dict[str, Any]:
        """The specification curve behind each headline number (None where there is none):
        ``event CAR``, ``pivot score``, ``lifeboat DiD``."""
        return {"event CAR": getattr(self.event, "curve", None),
                "pivot score": getattr(self.regimes, "curve", None),
                "lifeboat DiD": getattr(self.lifeboat, "curve", None)}

    def robustness(self) -> dict[str, tuple[str, str]]:
        """Headline label -> (verdict, robustness line) for each of the three headlines."""
        out = {}
        for label, c in self.curves().items():
            if c is None:
                out[label] = ("not assessed", "not assessed: " + self.curve_missing.get(
                    label, "no specification curve for this headline"))
            else:
                out[label] = (c.verdict, c.line())
        return out

    @property
    def synthetic(self) -> bool:
        """True when the data are the SYNTHETIC demo."""
        return bool(self.returns.attrs.get("synthetic")) or DatasetSpec.parse(
            self.dataset or None).synthetic

    @property
    def notes(self) -> list[str]:
        """Notes of every section (and one line per section that could not run)."""
        out: list[str] = [m.line for m in self.missing]
        for v in self.sections.values():
            for n in (v.notes if v else []):
                if n not in out:
                    out.append(n)
        out += [n for n in self.merge_notes if n not in out]
        return out

    def summary(self) -> Summary:
        """Headline numbers (renders in a notebook)."""
        rows: list[tuple[str, str]] = []
        if self.event:
            rows += self.event.summary().rows
        if self.regimes:
            rows += self.regimes.summary().rows[-1:]
        rows += [(f"robustness: {k}", line) for k, (_v, line) in self.robustness().items()]
        return Summary(title="Briefing", rows=rows, notes=self.notes)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def record(self) -> dict[str, Any]:
        """The values the runner puts in the sidecar and the index."""
        rec: dict[str, Any] = (self.event.record() if self.event else
                               dict(symbol="", event_id="", car=None, p_value=None,
                                    synthetic=self.synthetic, dataset=self.dataset))
        rec.update(kind="briefing", title="Briefing", notes=self.notes,
                   sections_missing={m.section: m.reason for m in self.missing})
        if self.regimes:
            top = self.regimes.top
            rec.update(top_pivot=str(top.index[0]) if len(top) else None,
                       top_pivot_score=float(top["pivot_score"].iloc[0]) if len(top) else None,
                       pivot_scores={s: r["pivot_score"] for s, r in top.iterrows()},
                       roles={r: self.regimes.role_label(r) for r in ("market", "bitcoin",
                                                                       "ai")})
        if self.lifeboat:
            lb = self.lifeboat.record()
            rec.update(lifeboat_did=lb["did_downside_beta"], lifeboat_p=lb["p_value"],
                       lifeboat_ci=lb["did_ci"])
        if self.merge is not None:
            mg = self.merge.record()
            rec.update(merge_line=mg["merge_line"], merge_eth_did=mg.get("merge_eth_did"),
                       merge_p=mg.get("p_value"))
        rob = self.robustness()
        rec.update(verdicts={k: v[0] for k, v in rob.items()},
                   robustness_lines={k: v[1] for k, v in rob.items()})
        return rec


def _section(name: str, run: Callable[[], Any]) -> Any:
    """Run one section; a :class:`~pivotlib.errors.PivotError` (missing data, nothing
    studiable) becomes a :class:`Missing` with the error's message, the rest of the page runs."""
    try:
        return run()
    except PivotError as exc:
        return Missing(name, str(exc))


def study_briefing(*, dataset: str | None = None, event_id: str | None = None,
                   model: str | None = None, market: str | None = None,
                   factors: Sequence[str] | None = None, estimation: Sequence[int] | None = None,
                   window: Sequence[int] | None = None,
                   regime_symbols: Sequence[str] = REGIME_COHORT,
                   regime_factors: Sequence[str] = REGIME_FACTORS,
                   catalog: pd.DataFrame | None = None) -> BriefingReport:
    """The headline event study, the regime scores and the lifeboat headline for the briefing.

    Each section runs on its own (:func:`_section`): one that cannot run on this dataset (a
    missing series without a stand-in, no studiable event) becomes a :class:`Missing` and the
    others still run. An empty dataset is one error before anything runs
    (:func:`~pivotlib.studies.common.dataset_symbols`), and so is an analyst-named series the
    data lack (:func:`~pivotlib.defaults.require_named`): neither is degraded.

    Raises
    ------
    DataError
        The dataset is empty, or a series named by the analyst (not a role default) is not in
        it.
    """
    cat = load_catalog() if catalog is None else catalog
    ds = str(DatasetSpec.parse(dataset))
    have = dataset_symbols(ds)
    named = {"market": market} if market and market != MARKET else {}
    named.update({f"factors[{i}]": f for i, f in enumerate(factors or ())
                  if f not in (MARKET, BITCOIN)})
    named.update({f"regime_factors[{i}]": f for i, f in enumerate(regime_factors)
                  if f not in (MARKET, BITCOIN, AI)})
    require_named(named, have, ds)
    ev = _section("headline event", lambda: study_event(
        dataset=ds, event_id=event_id, model=model, market=market, factors=factors,
        estimation=estimation, window=window, windows=(), catalog=cat, robustness=True))
    rg = _section("regimes", lambda: study_regimes(
        dataset=ds, symbols=regime_symbols, factors=regime_factors, catalog=cat, breaks=False,
        curve=True))
    lb = _section("lifeboat", lambda: study_lifeboat(dataset=ds, catalog=cat, curve=True))
    mg: MergeReport | None = None
    merge_notes: list[str] = []
    try:
        mg = study_merge(dataset=ds, catalog=cat)
    except PivotError as exc:  # the briefing drops only its Merge line, and says why
        merge_notes.append(f"No Merge line: {exc}")
    if mg is not None and not mg.has_ether:
        merge_notes.append("No Merge line: this dataset has no ETH-USD (notebook 07 shows what "
                           "it can)")
        mg = None
    why = "the curve could not be computed (see the notes)"
    missing = {"event CAR": why if ev else "the headline event section did not run",
               "pivot score": why if rg else "the regimes section did not run",
               "lifeboat DiD": why if lb else "the lifeboat section did not run"}
    return BriefingReport(event=ev, regimes=rg, lifeboat=lb, dataset=ds, merge=mg,
                          merge_notes=tuple(merge_notes), curve_missing=missing)
