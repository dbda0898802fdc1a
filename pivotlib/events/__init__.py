"""Events layer: the AI-pivot catalog (schema, validation, derived dates) and event selection.

Depends only on :mod:`pivotlib.data` (the NYSE calendar and the universe).
"""

from __future__ import annotations

from pivotlib.events.catalog import company_events, load_catalog, make_event, select_events

__all__ = ["load_catalog", "company_events", "select_events", "make_event"]
