"""The Merge (notebook 07, one briefing line): :func:`study_merge`.

Reads the cohorts and dates table (``data/merge/cohorts.csv``, ``data/merge/dates.csv``, see
``data/merge/README.md``), loads the cohort miners with the market, bitcoin, ether and the AI
proxy (miners the dataset lacks are left out with a note; no ether drops only the ether parts,
with a note; no market, bitcoin or AI proxy is an error), then runs
:func:`pivotlib.analytics.merge.run_merge`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pivotlib.analytics.merge import MergeAnalysis, check_cohorts, run_merge
from pivotlib.config import data_dir
from pivotlib.data.datasets import DatasetSpec
from pivotlib.data.loading import load_returns
from pivotlib.defaults import (
    AI,
    BITCOIN,
    ESTIMATION_WINDOW,
    ETHER,
    EVENT_WINDOW,
    MARKET,
    MERGE_MIN_SIDE,
    MERGE_ROLLING,
    MERGE_SIDE,
)
from pivotlib.errors import DataError, InputError
from pivotlib.events.catalog import load_catalog
from pivotlib.studies.common import CohortReport, Notes, Summary

__all__ = ["MergeReport", "load_merge_tables", "study_merge"]


def merge_dir() -> Path:
    """``data/merge``: the cohort and date tables of the Merge study."""
    return data_dir() / "merge"


def load_merge_tables(cohorts_file: str | Path | None = None,
                      dates_file: str | Path | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The cohort table and ``{key: date}`` from the Merge data tables (clear errors)."""
    cf = Path(cohorts_file) if cohorts_file else merge_dir() / "cohorts.csv"
    df = Path(dates_file) if dates_file else merge_dir() / "dates.csv"
    for p, what in ((cf, "cohort"), (df, "dates")):
        if not p.is_file():
            raise DataError(f"the Merge {what} table {p} is missing; restore data/merge/ (git "
                            "checkout data/merge) or pass a file with the same columns")
    co = pd.read_csv(cf, dtype=str, keep_default_na=False)
    check_cohorts(co)
    dt = pd.read_csv(df, dtype=str, keep_default_na=False)
    if not {"key", "date"} <= set(dt.columns):
        raise InputError(f"{df} needs columns key and date (see data/merge/README.md)")
    return co, dict(zip(dt["key"].str.strip(), dt["date"].str.strip()))


@dataclass
class MergeReport(CohortReport):
    """Everything notebook 07 shows (:func:`study_merge`)."""

    dataset: str
    miners: list[str]
    analysis: MergeAnalysis
    returns: pd.DataFrame
    ai: str = AI
    notes: Notes = field(default_factory=Notes)

    @property
    def has_ether(self) -> bool:
        """True when the ether parts ran (the dataset has ether)."""
        return self.analysis.ether is not None

    @property
    def ether_method(self) -> str:
        """How the ether betas were estimated ("" without ether)."""
        return self.analysis.ether.method if self.analysis.ether is not None else ""

    def headline(self) -> str:
        """The Merge line of the briefing and the index (plain text)."""
        a = self.analysis
        parts = []
        if a.ether_did is not None:
            e = a.ether_did.row
            parts.append(f"GPU miners' ether beta changed {e['mean_gpu']:+.2f} at the Merge vs "
                         f"{e['mean_bitcoin_only']:+.2f} for bitcoin-only miners (DiD "
                         f"{e['did']:+.2f}, permutation p = {e['perm_p']:.3f}, floor "
                         f"{e['p_floor']:.3f})")
        h = a.ai_did.row
        if np.isfinite(h.get("did", np.nan)):
            parts.append(f"their {self.ai} beta changed {h['mean_gpu']:+.2f} from before the Merge "
                         f"to after ChatGPT vs {h['mean_bitcoin_only']:+.2f} (p = "
                         f"{h['perm_p']:.3f})")
        return "; ".join(parts) + "." if parts else "No Merge result (see the notes)."

    def summary(self) -> Summary:
        """Headline numbers (renders in a notebook)."""
        return Summary(title="The Merge", rows=[("miners", ", ".join(self.miners)),
                                                ("headline", self.headline())],
                       notes=list(self.notes))

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def record(self) -> dict[str, Any]:
        """The values the runner puts in the sidecar and the index."""
        a = self.analysis
        rec: dict[str, Any] = {"kind": "merge", "title": "The Merge", "symbol": "",
                               "symbols": ",".join(self.miners), "car": None,
                               "merge_line": self.headline(), "synthetic": self.synthetic,
                               "dataset": self.dataset, "notes": list(self.notes)}
        if a.ether_did is not None:
            e = a.ether_did.row
            rec.update(merge_eth_did=float(e["did"]), p_value=float(e["perm_p"]),
                       merge_p_floor=float(e["p_floor"]),
                       significant=bool(float(e["perm_p"]) < 0.05),
                       eth_change={r.symbol: float(r.eth_change) for r in
                                   a.ether.table.dropna(subset=["eth_change"]).itertuples()})
        h = a.ai_did.row
        rec.update(merge_ai_did=float(h["did"]) if np.isfinite(h.get("did", np.nan)) else None,
                   merge_ai_p=float(h["perm_p"]) if np.isfinite(h.get("perm_p", np.nan))
                   else None)
        ct = a.cars.table
        g = ct[(ct["event"] == "merge") & (ct["cohort"] == "gpu")]
        if len(g):
            rec["merge_caar_gpu"] = float(g["caar"].iloc[0])
        return rec

    def tables(self) -> dict[str, pd.DataFrame]:
        """Display-ready tables (cohort added)."""
        a, co = self.analysis, self.analysis.cohorts
        out: dict[str, pd.DataFrame] = {}
        if a.ether is None:
            out["ether"] = pd.DataFrame({"note": ["no ETH-USD in this dataset: the ether betas "
                                                  "were not measured"]})
        else:
            t = a.ether.table.copy()
            t.insert(1, "cohort", t["symbol"].map(co))
            out["ether"] = t[["symbol", "cohort", "n_before", "n_after", "eth_before",
                              "eth_before_low", "eth_before_high", "eth_after", "eth_after_low",
                              "eth_after_high", "eth_change", "eth_low", "eth_high", "eth_p",
                              "btc_change", "note"]]
        contrasts = [c for c in (a.ether_did, a.ai_did) if c is not None]
        out["did"] = pd.concat([c.table for c in contrasts], ignore_index=True)
        f = a.cars.firms.copy()
        f["date"] = pd.to_datetime(f["date"]).dt.date.astype(str)
        out["car_firms"] = f
        c = a.cars.table.copy()
        c["date"] = pd.to_datetime(c["date"]).dt.date.astype(str)
        out["caar"] = c
        h = a.handover.table.copy()
        h.insert(1, "cohort", h["symbol"].map(co))
        out["handover"] = h[["symbol", "cohort", "ai_pre_merge", "ai_merge_to_chatgpt",
                             "ai_post_chatgpt", "ai_change", "ai_change_low", "ai_change_high",
                             "ai_change_p", "note"]]
        return out


def study_merge(*, dataset: str | None = None, cohorts_file: str | None = None,
                dates_file: str | None = None, market: str = MARKET, btc: str = BITCOIN,
                eth: str = ETHER, ai: str = AI, before: int = MERGE_SIDE,
                after: int = MERGE_SIDE, min_obs: int = MERGE_MIN_SIDE,
                rolling_window: int = MERGE_ROLLING,
                estimation: tuple[int, int] | list[int] = ESTIMATION_WINDOW,
                window: tuple[int, int] | list[int] = EVENT_WINDOW, end: str | None = None,
                seed: int = 0, catalog: pd.DataFrame | None = None) -> MergeReport:
    """Run the Merge analysis on a dataset (parameters are notebook 07's).

    Raises
    ------
    DataError
        The market, bitcoin or AI-proxy column is not in the dataset (says how to get it), or
        no cohort miner is.
    """
    ds = str(DatasetSpec.parse(dataset))
    co, dates = load_merge_tables(cohorts_file, dates_file)
    cohorts = check_cohorts(co)
    notes = Notes()
    syms = list(dict.fromkeys([*cohorts.index, market, btc, eth, ai]))
    returns = load_returns(syms, end=end or None, dataset=ds, on_missing="skip")
    lost = notes.left_out(returns)
    for role in (market, btc, ai):
        if role in lost or role not in returns.columns:
            why = returns.attrs.get("left_out", {}).get(role, "not in the dataset")
            raise DataError(f"the Merge analysis needs {role}: {why}")
    have = [s for s in cohorts.index if s in returns.columns]
    if not have:
        raise DataError("no miner of the Merge cohort table is in this dataset; fetch or "
                        "import HIVE, BTBT and the bitcoin-only miners")
    cat = load_catalog() if catalog is None else catalog
    other = cat[cat["symbol"].isin(have)][["event_id", "symbol", "event_date"]]
    a = run_merge(returns, co[co["symbol"].str.upper().isin(have)], dates, market=market,
                  btc=btc, eth=eth if eth in returns.columns else None, ai=ai, before=before,
                  after=after, min_obs=min_obs, rolling_window=rolling_window,
                  estimation=tuple(estimation), window=tuple(window), seed=seed,
                  other_events=other)
    if eth not in returns.columns:
        notes.add(f"No {eth} in this dataset: the ether betas and their DiD are left out; get "
                  f"ether with `pivot data fetch {eth}` (or a {eth}.csv file for csv:) and rerun.")
    merge_day = a.dates["merge"]
    late = {s: returns[s].first_valid_index() for s in have
            if returns[s].first_valid_index() is not None
            and returns[s].first_valid_index() > merge_day}
    for s, first in late.items():
        notes.add(f"{s}: its data start {first.date()}, after the Merge ({merge_day.date()}): left "
                  "out of the ether betas, the Merge CARs and the AI-beta change (shown after "
                  "ChatGPT only)" + (" - HUT before 2023-11-30 is Hut 8 Mining, another issuer "
                                     "(data/merge/README.md)" if s == "HUT" else ""))
    notes.extend(n for n in a.all_notes()
                 if not any(n.startswith((f"{s}:", f"merge {s}:", f"merge_fixed {s}:"))
                            for s in late))
    return MergeReport(dataset=ds, miners=have, analysis=a, returns=returns, ai=ai, notes=notes)
