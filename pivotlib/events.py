"""AI-pivot event catalog: load, validate, derive event dates, check against prices.

(first version: the normaliser that fills ``event_date``; the loader follows.)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import calendar as cal
from .config import events_dir

COLUMNS = ["event_id", "symbol", "announced", "timing", "event_date", "category", "headline",
           "counterparty", "deal_usd", "reported_move", "sources", "confidence", "confounders",
           "notes"]
TIMINGS = ("pre-market", "intraday", "after-close", "unknown")


def catalog_path() -> Path:
    """Return the path of the shipped catalog, ``data/events/ai_pivot_events.csv``."""
    return events_dir() / "ai_pivot_events.csv"


def derive_event_dates(df: pd.DataFrame) -> pd.Series:
    """Return ``event_date`` derived from ``announced`` + ``timing`` (ISO strings)."""
    return pd.Series([cal.event_session(a, t or "unknown").strftime("%Y-%m-%d")
                      for a, t in zip(df["announced"], df["timing"])], index=df.index)


def write_catalog(df: pd.DataFrame, path: Path | None = None) -> Path:
    """Fill ``event_date`` in code and write the catalog CSV."""
    out = df.copy()
    out["event_date"] = derive_event_dates(out)
    out = out[COLUMNS]
    p = Path(path) if path else catalog_path()
    out.to_csv(p, index=False, lineterminator="\n")
    return p
