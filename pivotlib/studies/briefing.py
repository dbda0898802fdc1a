"""The one-page briefing (notebook 05): the headline event and the regime headline, together.

:func:`study_briefing` is :func:`~pivotlib.studies.event.study_event` plus
:func:`~pivotlib.studies.regime.study_regimes` (without the break search) plus
:func:`~pivotlib.studies.lifeboat.study_lifeboat` (the lifeboat headline): the briefing's
numbers are the same objects notebooks 02 and 04 show, never a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib.defaults import REGIME_COHORT, REGIME_FACTORS
from pivotlib.errors import PivotError
from pivotlib.events.catalog import load_catalog
from pivotlib.studies.common import Summary
from pivotlib.studies.event import EventReport, study_event
from pivotlib.studies.lifeboat import LifeboatReport, study_lifeboat
from pivotlib.studies.regime import RegimeReport, study_regimes


@dataclass
class BriefingReport:
    """The briefing's two studies."""

    event: EventReport
    regimes: RegimeReport
    lifeboat: LifeboatReport | None = None
    curve_missing: dict[str, str] = field(default_factory=dict)
    """Why a headline has no specification curve (headline label -> reason)."""

    def curves(self) -> dict[str, Any]:
        """The specification curve behind each headline number (None where there is none):
        ``event CAR``, ``pivot score``, ``lifeboat DiD``."""
        return {"event CAR": self.event.curve,
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
        return self.event.synthetic

    @property
    def notes(self) -> list[str]:
        """Notes of both studies."""
        out = list(self.event.notes)
        for n in [*self.regimes.notes, *(self.lifeboat.notes if self.lifeboat else [])]:
            if n not in out:
                out.append(n)
        return out

    def summary(self) -> Summary:
        """Headline numbers (renders in a notebook)."""
        s = self.event.summary()
        s.rows += self.regimes.summary().rows[-1:]
        s.rows += [(f"robustness: {k}", line) for k, (_v, line) in self.robustness().items()]
        s.title = "Briefing"
        s.notes = self.notes
        return s

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def record(self) -> dict[str, Any]:
        """The values the runner puts in the sidecar and the index."""
        rec = self.event.record()
        top = self.regimes.top
        rec.update(kind="briefing", title="Briefing",
                   top_pivot=str(top.index[0]) if len(top) else None,
                   top_pivot_score=float(top["pivot_score"].iloc[0]) if len(top) else None,
                   pivot_scores={s: r["pivot_score"] for s, r in top.iterrows()},
                   notes=self.notes)
        if self.lifeboat is not None:
            lb = self.lifeboat.record()
            rec.update(lifeboat_did=lb["did_downside_beta"], lifeboat_p=lb["p_value"],
                       lifeboat_ci=lb["did_ci"])
        rob = self.robustness()
        rec.update(verdicts={k: v[0] for k, v in rob.items()},
                   robustness_lines={k: v[1] for k, v in rob.items()})
        return rec


def study_briefing(*, dataset: str | None = None, event_id: str | None = None,
                   model: str | None = None, market: str | None = None,
                   factors: Sequence[str] | None = None, estimation: Sequence[int] | None = None,
                   window: Sequence[int] | None = None,
                   regime_symbols: Sequence[str] = REGIME_COHORT,
                   regime_factors: Sequence[str] = REGIME_FACTORS,
                   catalog: pd.DataFrame | None = None) -> BriefingReport:
    """The headline event study and the regime scores for the briefing."""
    cat = load_catalog() if catalog is None else catalog
    ev = study_event(dataset=dataset, event_id=event_id, model=model, market=market,
                     factors=factors, estimation=estimation, window=window, windows=(),
                     catalog=cat, robustness=True)
    rg = study_regimes(dataset=ev.dataset, symbols=regime_symbols, factors=regime_factors,
                       catalog=cat, breaks=False, curve=True)
    try:
        lb: LifeboatReport | None = study_lifeboat(dataset=ev.dataset, catalog=cat, curve=True)
    except PivotError as exc:  # e.g. no BTC column: the briefing still stands, and says why
        lb = None
        ev.notes.add(f"No lifeboat headline: {exc}")
    missing = {"event CAR": "the curve could not be computed (see the notes)",
               "pivot score": "the curve could not be computed (see the notes)",
               "lifeboat DiD": ("no lifeboat headline (see the notes)" if lb is None else
                                "the curve could not be computed (see the notes)")}
    return BriefingReport(event=ev, regimes=rg, lifeboat=lb, curve_missing=missing)
