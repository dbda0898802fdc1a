"""The briefing set (notebooks 01-05) run as one batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pivotlib.runner.index import build_index
from pivotlib.runner.notebooks import notebook_parameters, resolve_notebook

BRIEFING_SET: tuple[tuple[str, dict[str, Any]], ...] = (
    ("01-data-refresh", {}),
    ("02-event-study", {}),
    ("03-sector-event-study", {}),
    ("04-pivot-regimes", {}),
    ("05-briefing", {}),
)


"""The default briefing set run by ``pivot brief`` and ``pivot demo`` (notebook, parameters)."""


def run_briefing_set(parameters: Mapping[str, Any] | None = None, *, date: str | None = None,
                     reports_root: Path | None = None, workers: int = 1,
                     single_file: bool = False, force: bool = False,
                     progress: bool = False) -> list[dict[str, Any]]:
    """Run :data:`BRIEFING_SET` (optionally with common overrides such as ``dataset``).

    Failures are isolated (each item's result dict has ``ok``/``error``); the index is rebuilt
    once at the end. Returns one result dict per notebook (see :func:`pivotlib.batch.sweep.run_sweep_item`).
    """
    from pivotlib.batch.sweep import run_items

    common = dict(parameters or {})
    items = []
    for nb, extra in BRIEFING_SET:
        nbp = resolve_notebook(nb)
        defaults = notebook_parameters(nbp)
        prm = {**{k: v for k, v in common.items() if k in defaults}, **extra}
        items.append({"notebook": nb, "parameters": prm, "date": date,
                      "reports_root": str(reports_root) if reports_root else None,
                      "single_file": single_file, "force": force})
    results = run_items(items, workers=workers, progress=progress)
    build_index(reports_root)
    return results
