"""Data layer: calendars, the universe, the price store, sources, datasets and the demo generator.

Nothing here knows about events, statistics or notebooks. The everyday entry points are
re-exported: :func:`load_prices`, :func:`load_returns`, :func:`load_volumes` (wide frames from
one dataset), :func:`fetch_symbols` (Yahoo into the store) and :func:`import_csv`.
"""

from __future__ import annotations

from pivotlib.data.loading import (
    fetch_symbols,
    import_csv,
    load_prices,
    load_returns,
    load_volumes,
    resolve_dataset,
)

__all__ = ["load_prices", "load_returns", "load_volumes", "fetch_symbols", "import_csv",
           "resolve_dataset"]
