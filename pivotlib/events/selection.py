"""Select events from the catalog: AI events, sector selections.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pivotlib.errors import InputError
from pivotlib.studies.event import company_events


def ai_events(catalog: Any = None, symbol: str | None = None):
    """Company events whose category is an AI/HPC category (:func:`pivotlib.analytics.regimes.is_ai_category`),
    optionally of one symbol."""
    from pivotlib.analytics.regimes import is_ai_category

    cat = company_events(catalog)
    cat = cat[cat["category"].map(is_ai_category)]
    if symbol:
        cat = cat[cat["symbol"] == symbol]
    return cat.reset_index(drop=True)


def select_sector_events(p: Mapping[str, Any], catalog: Any = None):
    """Company events matching a sector notebook's category / symbols / date range."""
    from pivotlib.events.catalog import select_events

    cat = company_events(catalog)
    out = select_events(cat, categories=p.get("category") or None,
                        symbols=list(p.get("symbols") or []) or None,
                        start=p.get("start"), end=p.get("end"))
    if out.empty:
        raise InputError("no catalog events match category/symbols/start/end; widen the "
                         "selection (`pivot events list` shows the catalog)")
    return out
