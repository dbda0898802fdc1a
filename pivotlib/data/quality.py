"""What is on file and whether it looks right: status tables, data-quality flags, refresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from pivotlib import config
from pivotlib.errors import InputError


def refresh_data(p: Mapping[str, Any]) -> str:
    """Fetch the requested symbols into the store when ``dataset == "store"`` and online.

    Returns a one-line message of what was done (nothing for demo/csv datasets or offline).
    """
    ds = p.get("dataset") or "demo"
    if ds != "store":
        return f"dataset {ds!r}: nothing to fetch (read-only)."
    if p.get("offline") or config.offline():
        return "offline: no fetch; showing the store as it is."
    from pivotlib.data.loading import fetch_symbols

    rep = fetch_symbols(list(p.get("symbols") or []) or None, p.get("start"), p.get("end"))
    msg = f"fetched {len(rep.written)} symbol(s), {sum(rep.new_rows.values())} new rows"
    if rep.errors:
        msg += "; errors: " + "; ".join(f"{k}: {v}" for k, v in sorted(rep.errors.items()))
    return msg + "."


STATUS_COLUMNS = ["symbol", "source", "first", "last", "rows", "stale", "synthetic", "adjusted",
                  "fetched_at", "problem"]
"""Columns of every status table, whatever the dataset kind."""


def dataset_status(dataset: str | None = None, *, stale_days: int = 5,
                   universe: Path | str | None = None,
                   today: pd.Timestamp | str | None = None) -> tuple[Any, pd.DataFrame, list[str]]:
    """Status of a dataset: (reader, status table, universe symbols missing from it).

    The table has :data:`STATUS_COLUMNS` for every kind: store and demo from the Parquet
    metadata (:meth:`pivotlib.data.store.PriceStore.status`), csv folders by reading each file
    (a file that cannot be read is a row with its ``problem``, never a crash). ``stale`` means
    the last close is more than ``stale_days`` calendar days before ``today``; the SYNTHETIC
    sample is never stale (it is a fixed sample, labelled ``synthetic``).
    """
    from pivotlib.data.loading import resolve_dataset
    from pivotlib.data.universe import load_universe

    ds = resolve_dataset(dataset)
    if ds.store is not None:
        st = ds.store.status(stale_days=stale_days, today=today)
    else:
        ref = (pd.Timestamp(today) if today is not None
               else pd.Timestamp.now(tz="UTC").tz_localize(None)).normalize()
        rows = []
        for sym in ds.available():
            try:
                _, meta = ds.read(sym)
                stale = (ref - pd.Timestamp(meta.last)).days > stale_days
                rows.append(dict(symbol=sym, source="csv", first=meta.first, last=meta.last,
                                 rows=meta.rows, stale=bool(stale), synthetic=False,
                                 adjusted=bool(meta.adjusted), fetched_at="", problem=""))
            except Exception as exc:  # noqa: BLE001 - report, do not crash the listing
                rows.append(dict(symbol=sym, source="csv", first="", last="", rows=0,
                                 stale=True, synthetic=False, adjusted=False, fetched_at="",
                                 problem=str(exc)))
        st = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    try:
        uni = load_universe(universe)
        missing = [s for s in uni["symbol"] if s not in set(st["symbol"])]
    except InputError:
        if universe is not None:
            raise  # the user named a bad file: say so
        missing = []  # no default universe (custom install): just list the files
    return ds, st, missing


def _day(d: Any) -> str:
    return "" if d is None else str(d)[:10]


def quality_flags(prices: Any, *, max_move: float = 0.60, frozen_run: int = 5):
    """Data-quality flags per symbol from a wide close frame.

    Flags: ``gaps`` (missing sessions after the first valid close, excluding the trailing
    end), ``frozen`` (``frozen_run`` or more identical consecutive closes), ``big moves``
    (absolute daily simple return above ``max_move``, with the largest and its date),
    ``non-positive`` (closes <= 0).

    Returns
    -------
    DataFrame
        Index symbol; columns first, last, sessions, missing, max_abs_return, max_move_date,
        flags (``""`` when clean).
    """
    import numpy as np
    import pandas as pd

    rows = []
    for sym in prices.columns:
        s = prices[sym]
        fv, lv = s.first_valid_index(), s.last_valid_index()
        if fv is None:
            rows.append({"symbol": sym, "first": "", "last": "", "sessions": 0, "missing": 0,
                         "max_abs_return": np.nan, "max_move_date": "", "flags": "no data"})
            continue
        span = s.loc[fv:lv]
        missing = int(span.isna().sum())
        ret = span.dropna().pct_change().dropna()
        flags = []
        if missing:
            flags.append(f"{missing} missing sessions")
        same = span.dropna().diff().eq(0)
        run = int(same.groupby((~same).cumsum()).sum().max() or 0) + 1 if len(same) else 0
        if run >= frozen_run:
            flags.append(f"frozen price for {run} sessions")
        big = ret[ret.abs() > max_move]
        if len(big):
            flags.append(f"{len(big)} daily move(s) beyond +-{max_move:.0%}")
        if (span.dropna() <= 0).any():
            flags.append("non-positive closes")
        imax = ret.abs().idxmax() if len(ret) else None
        rows.append({"symbol": sym, "first": _day(fv), "last": _day(lv),
                     "sessions": int(span.notna().sum()), "missing": missing,
                     "max_abs_return": float(ret.abs().max()) if len(ret) else np.nan,
                     "max_move_date": _day(imax), "flags": "; ".join(flags)})
    return pd.DataFrame(rows).set_index("symbol")
