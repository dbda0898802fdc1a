"""Event taxonomy: which catalog categories count as AI/HPC events."""

from __future__ import annotations

from typing import Any

_AI_TOKENS = {"ai", "hpc"}
AI_ONLY_CATEGORIES: frozenset[str] = frozenset({"capacity_expansion"})
"""Catalog categories without "ai" in their name that are AI/HPC by definition
(``capacity_expansion``: new sites/power earmarked for AI/HPC, see ``pivotlib.events.catalog``)."""


def is_ai_category(category: Any) -> bool:
    """True if an event category counts as an AI/HPC event for :func:`pivot_scores`.

    AI events are categories with an ``ai`` or ``hpc`` token (``ai_hosting_lease``,
    ``ai_cloud_contract``, ``ai_capex``, ``financing_ai``, ``strategic_pivot_hpc/ai`` ...) plus
    :data:`AI_ONLY_CATEGORIES`. Excluded: ``context_*``/``sector_context`` rows, ``*non_ai*``,
    and mixed categories (``strategic_pivot``, ``financing``, ``spin_off``, ``m_and_a``,
    ``earnings``) whose rows are not all AI (e.g. Bit Digital's 2025 ether-treasury pivot is a
    ``strategic_pivot``); pass ``categories=`` to :func:`pivot_scores` to include them.
    """
    if not isinstance(category, str):
        return False
    c = category.strip().lower()
    if c.startswith("context") or c.endswith("context") or "non_ai" in c or "non-ai" in c:
        return False
    if c in AI_ONLY_CATEGORIES:
        return True
    tokens = set(c.replace("/", "_").replace("-", "_").split("_"))
    return bool(tokens & _AI_TOKENS)
