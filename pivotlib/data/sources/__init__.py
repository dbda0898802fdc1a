"""Price sources behind one interface: each returns frames in store layout.

* :mod:`pivotlib.data.sources.yahoo` - Yahoo Finance through ``yfinance`` (network; batched,
  throttled, retried; refuses to run in offline mode).
* :mod:`pivotlib.data.sources.csvimport` - CSV files a user already has (Yahoo's CSV export,
  yfinance's multi-header CSV, plain ``Date,Close``, lowercase OHLCV).

"Store layout" means: index ``date`` (tz-naive, one row per day, ascending), float64 columns
:data:`pivotlib.data.store.PRICE_COLUMNS` and optionally ``adj_close``.
"""

from __future__ import annotations
