"""Select events from the catalog: AI events of a symbol, sector selections, pivot dates."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pivotlib.errors import InputError
from pivotlib.events.catalog import company_events, load_catalog, select_events
from pivotlib.events.taxonomy import is_ai_category


def ai_events(catalog: pd.DataFrame | None = None, symbol: str | None = None) -> pd.DataFrame:
    """Company events whose category is an AI/HPC category
    (:func:`pivotlib.events.taxonomy.is_ai_category`), optionally of one symbol."""
    cat = company_events(load_catalog() if catalog is None else catalog)
    cat = cat[cat["category"].map(is_ai_category)]
    if symbol:
        cat = cat[cat["symbol"] == symbol]
    return cat.reset_index(drop=True)


def select_sector_events(catalog: pd.DataFrame | None = None, *, category: str | None = None,
                         symbols: Sequence[str] | None = None, start: str | None = None,
                         end: str | None = None) -> pd.DataFrame:
    """Company events matching a category, symbols and a date range (all optional).

    Raises
    ------
    InputError
        Nothing matches (names the fix).
    """
    cat = company_events(load_catalog() if catalog is None else catalog)
    out = select_events(cat, categories=category or None, symbols=list(symbols or []) or None,
                        start=start or None, end=end or None)
    if out.empty:
        raise InputError("no catalog events match category/symbols/start/end; widen the "
                         "selection (`pivot events list` shows the catalog)")
    return out
