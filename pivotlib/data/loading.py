"""Load wide price, return and volume frames from one dataset; fetch and import into the store.

Datasets (never mixed in one frame)
-----------------------------------
``"demo"``
    The SYNTHETIC default in ``data/synthetic`` (made by :mod:`pivotlib.data.synthetic`; create it
    with ``pivot data synthesize``). Frames carry ``attrs["synthetic"] = True``.
``"store"``
    Data fetched from Yahoo (``pivot data fetch``) or imported from CSV (``pivot data import``)
    into ``data/store``.
``"csv:<folder>"``
    A folder of ``<SYMBOL>.csv`` files read through :func:`pivotlib.data.sources.csvimport.
    read_price_csv`; nothing is written. Several folders may be given separated by
    ``os.pathsep`` (``:`` on Linux/macOS, ``;`` on Windows) or ``,``; the first folder holding
    a symbol wins (e.g. miners in one folder, ``BTC-USD.csv`` in another).

The default is the environment variable ``PIVOT_DATASET``, else ``"demo"``.

Frame layout
------------
Index ``date``: tz-naive XNYS sessions. One column per symbol. Crypto (universe calendar
``24/7``) is aligned with :func:`pivotlib.data.calendar.align_to_sessions` (the last close on or
before each session, so weekend moves fold into Monday's return); crypto volumes are summed
over the calendar days that fold into each session. Values before a symbol's ``listed_from``
(another issuer's history) are NaN. ``attrs``: ``synthetic``, ``dataset``, ``sources``
({symbol: source}), ``adjusted`` ({symbol: bool}), ``field``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pivotlib import config
from pivotlib.data.datasets import DatasetSpec, default_spec_text
from pivotlib.data.fetching import (  # noqa: F401 - re-exported (the fetch path's old home)
    DEFAULT_OVERLAP,
    DEFAULT_START,
    FetchReport,
    _universe,
    fetch_symbols,
)
from pivotlib.data.frozen import frozen
from pivotlib.data.store import PriceStore, SymbolMeta
from pivotlib.errors import DataError, InputError, PivotError

FIELDS = ("close", "adj_close", "adjusted", "open", "high", "low", "volume")


# ----------------------------------------------------------------------------------------
# dataset resolution
# ----------------------------------------------------------------------------------------
def default_dataset() -> str:
    """Return ``PIVOT_DATASET`` or ``"demo"`` (:func:`pivotlib.data.datasets.default_spec_text`)."""
    return default_spec_text()


@dataclass
class _Dataset:
    name: str
    kind: str  # demo | store | csv
    store: PriceStore | None = None
    folders: list[Path] = field(default_factory=list)
    csv_adjusted: bool = True
    drop_after: pd.Timestamp | None = None

    def available(self) -> list[str]:
        if self.store is not None:
            return self.store.symbols()
        seen: dict[str, None] = {}
        for f in self.folders:
            for p in sorted(f.glob("*.csv")):
                seen.setdefault(p.stem, None)
        return list(seen)

    def missing_message(self, symbol: str) -> str:
        if self.kind == "demo":
            return (f"{symbol} is not in the SYNTHETIC demo dataset ({self.store.root if self.store else ''}); "
                    "create it with `pivot data synthesize` (or pick dataset 'store' after "
                    f"`pivot data fetch {symbol}`)")
        if self.kind == "store":
            return (f"{symbol} is not in the store ({self.store.root if self.store else ''}); get "
                    f"it with `pivot data fetch {symbol}` or `pivot data import FILE --symbol "
                    f"{symbol}`")
        return (f"{symbol} is not in {self.name}: no {symbol}.csv in "
                f"{', '.join(str(f) for f in self.folders)}; add the file or drop the symbol")

    def read(self, symbol: str) -> tuple[pd.DataFrame, SymbolMeta]:
        if self.store is not None:
            if not self.store.exists(symbol):
                raise DataError(self.missing_message(symbol))
            return self.store.read(symbol)

        for f in self.folders:
            p = f / f"{symbol}.csv"
            if p.is_file():
                df = _read_csv_cached(p, self.csv_adjusted, self.drop_after)
                meta = SymbolMeta(symbol=symbol, source="csv", adjusted=self.csv_adjusted,
                                  first=df.index[0].date().isoformat(),
                                  last=df.index[-1].date().isoformat(), rows=len(df),
                                  extra={"path": str(p), "layout": df.attrs.get("layout")})
                return df, meta
        raise DataError(self.missing_message(symbol))


_CSV_CACHE: dict[tuple[Any, ...], pd.DataFrame] = {}
_CSV_CACHE_MAX = 256


def _read_csv_cached(path: Path, adjusted: bool, drop_after: pd.Timestamp | None) -> pd.DataFrame:
    """:func:`~pivotlib.data.sources.csvimport.read_price_csv`, memoised per process on the
    file's resolved path, size and modification time (a changed file is read again). A warm
    report kernel reads each file of a ``csv:`` dataset once per briefing set instead of once
    per notebook; callers get a copy."""
    from pivotlib.data.sources.csvimport import read_price_csv

    real = path.resolve()
    st = real.stat()
    key = (str(real), st.st_size, st.st_mtime_ns, bool(adjusted), drop_after)
    df = _CSV_CACHE.get(key)
    if df is None:
        df = read_price_csv(path, adjusted=adjusted, symbol=None, drop_after=drop_after)
        if len(_CSV_CACHE) >= _CSV_CACHE_MAX:
            _CSV_CACHE.pop(next(iter(_CSV_CACHE)))
        _CSV_CACHE[key] = df
    out = df.copy()
    out.attrs = dict(df.attrs)
    return out


def resolve_dataset(dataset: str | DatasetSpec | None = None, *, csv_adjusted: bool = True,
                    drop_after: str | pd.Timestamp | None = None) -> _Dataset:
    """Turn a dataset spec (:class:`~pivotlib.data.datasets.DatasetSpec`) into a reader.

    Raises
    ------
    InputError
        Unknown dataset name or a csv folder that does not exist.
    """
    spec = DatasetSpec.parse(dataset)
    name = str(spec)
    if spec.kind == "demo":
        return _Dataset(name, "demo", store=PriceStore(config.synthetic_dir()))
    if spec.kind == "store":
        return _Dataset(name, "store", store=PriceStore(config.store_dir()))
    return _Dataset(name, "csv", folders=list(spec.folders), csv_adjusted=csv_adjusted,
                    drop_after=pd.Timestamp(drop_after) if drop_after is not None else None)


# ----------------------------------------------------------------------------------------
# loaders
# ----------------------------------------------------------------------------------------
def load_prices(symbols: str | Sequence[str] | None = None, start: str | pd.Timestamp | None = None,
                end: str | pd.Timestamp | None = None, *, dataset: str | None = None,
                field: str = "close", universe: pd.DataFrame | Path | str | None = None,
                csv_adjusted: bool = True, on_missing: str = "raise") -> pd.DataFrame:
    """Load a wide frame of one price field on XNYS sessions.

    Parameters
    ----------
    symbols : str or sequence of str, optional
        Symbols to load. None: every universe symbol present in the dataset (those absent are
        listed in ``attrs["missing"]``).
    start, end : date, optional
        Inclusive session range; default: the union of the symbols' histories. Rows after
        ``end`` in a file (e.g. an intraday last row) are ignored.
    dataset : str, optional
        ``"demo"``, ``"store"`` or ``"csv:<folder>[:<folder>...]"``; default
        :func:`default_dataset`.
    field : str, default "close"
        ``close``, ``adj_close`` (error if a symbol lacks it), ``adjusted`` (``adj_close``
        when present, else ``close`` if the close itself is adjusted, else an error),
        ``open``, ``high``, ``low`` or ``volume``.
    universe : DataFrame or path, optional
        Universe (calendar and ``listed_from`` per symbol); default ``data/universe.csv``.
    csv_adjusted : bool, default True
        For ``csv:`` datasets: whether the files' Close is adjusted (recorded in attrs).
    on_missing : {"raise", "skip"}, default "raise"
        A requested symbol the dataset lacks (or cannot read): raise, or leave it out and
        say why in ``attrs["left_out"]`` ({symbol: reason and how to get it}). With "skip",
        a :class:`DataError` is raised only when none of the symbols can be loaded.

    Returns
    -------
    pandas.DataFrame
        Wide frame, see the module docstring.

    Raises
    ------
    DataError
        A requested symbol is missing (the message says how to get it) or a file is invalid.
    InputError
        Bad field, dates or dataset.
    """
    if field not in FIELDS:
        raise InputError(f"unknown field {field!r}; use one of {', '.join(FIELDS)}")
    ds = resolve_dataset(dataset, csv_adjusted=csv_adjusted,
                         drop_after=end if end is not None else None)
    uni = _universe(universe)
    if symbols is None:
        avail = set(ds.available())
        wanted = [s for s in uni["symbol"] if s in avail]
        missing_all = [s for s in uni["symbol"] if s not in avail]
        if not wanted:
            hint = {"demo": "create it with `pivot data synthesize`",
                    "store": "get data with `pivot data fetch` or `pivot data import FILE "
                             "--symbol SYM`"}.get(ds.kind, "add <SYMBOL>.csv files")
            raise DataError(f"dataset {ds.name} holds none of the universe symbols; {hint}")
    else:
        wanted = [symbols] if isinstance(symbols, str) else list(dict.fromkeys(symbols))
        if not wanted:
            raise InputError("no symbols given; pass at least one symbol (or None for all)")
        missing_all = []
    start_ts = _opt_day(start)
    end_ts = _opt_day(end)
    if start_ts is not None and end_ts is not None and end_ts < start_ts:
        raise InputError(f"end {end_ts.date()} is before start {start_ts.date()}; swap them")

    if on_missing not in ("raise", "skip"):
        raise InputError(f"on_missing must be 'raise' or 'skip', not {on_missing!r}")
    raw: dict[str, pd.Series] = {}
    metas: dict[str, SymbolMeta] = {}
    left_out: dict[str, str] = {}
    for s in wanted:
        try:
            df, meta = ds.read(s)
            raw[s] = _pick_field(df, meta, field, s)
        except PivotError as exc:  # missing, or e.g. InputError from a bad CSV file
            err = exc if isinstance(exc, DataError) else DataError(f"{s}: {exc}")
            if on_missing == "raise":
                raise err from exc
            left_out[s] = str(err)
            continue
        metas[s] = meta
    if not raw:
        raise DataError(f"none of {', '.join(wanted)} can be loaded from {ds.name}: "
                        + "; ".join(left_out.values()))

    from pivotlib.data.calendar import sessions
    from pivotlib.data.universe import symbol_info

    lo = start_ts or min(sr.index[0] for sr in raw.values())
    hi = end_ts or max(sr.index[-1] for sr in raw.values())
    idx = sessions(lo, hi) if hi >= lo else pd.DatetimeIndex([], name="date")
    cols: dict[str, pd.Series] = {}
    for s, sr in raw.items():
        info = symbol_info(s, uni)
        col = _on_sessions(sr, idx, str(info["calendar"]), field == "volume").astype("float64")
        lf = info.get("listed_from")
        if lf is not None and not pd.isna(lf):
            col[col.index < pd.Timestamp(lf)] = np.nan
        cols[s] = col
    out = pd.DataFrame(cols, index=idx, columns=list(raw))
    out.index.name = "date"
    out.columns.name = None
    out.attrs.update(
        synthetic=bool(metas) and all(m.synthetic for m in metas.values()),
        dataset=ds.name,
        sources=frozen({s: m.source for s, m in metas.items()}),
        adjusted=frozen({s: bool(m.adjusted or field in ("adj_close", "adjusted"))
                         for s, m in metas.items()}),
        field=field,
    )
    if missing_all:
        out.attrs["missing"] = missing_all
    if left_out:
        out.attrs["left_out"] = frozen(left_out)
    return out


def load_returns(symbols: str | Sequence[str] | None = None, start: str | pd.Timestamp | None = None,
                 end: str | pd.Timestamp | None = None, *, dataset: str | None = None,
                 field: str = "close", universe: pd.DataFrame | Path | str | None = None,
                 csv_adjusted: bool = True, on_missing: str = "raise") -> pd.DataFrame:
    """Load wide simple returns ``P_t / P_{t-1} - 1`` on XNYS sessions.

    Returns are computed from session-aligned prices (so crypto weekend moves fold into
    Monday) *before* cutting to ``start``, so the first session in range has a return. A gap
    (NaN price) gives NaN returns, never a fake zero; the first session on or after
    ``listed_from`` has no return (the previous price belongs to another issuer). Same
    parameters and attrs as :func:`load_prices`.
    """
    from pivotlib.data.calendar import simple_returns

    start_ts = _opt_day(start)
    pre = start_ts - pd.Timedelta(days=10) if start_ts is not None else None
    px = load_prices(symbols, pre, end, dataset=dataset, field=field, universe=universe,
                     csv_adjusted=csv_adjusted, on_missing=on_missing)
    r = simple_returns(px)
    if start_ts is not None:
        r = r[r.index >= start_ts]
    r.attrs = dict(px.attrs)
    r.attrs["kind"] = "simple returns"
    return r


def load_volumes(symbols: str | Sequence[str] | None = None, start: str | pd.Timestamp | None = None,
                 end: str | pd.Timestamp | None = None, *, dataset: str | None = None,
                 universe: pd.DataFrame | Path | str | None = None) -> pd.DataFrame:
    """Load wide daily volumes on XNYS sessions (crypto: summed over folded calendar days)."""
    return load_prices(symbols, start, end, dataset=dataset, field="volume", universe=universe)


def _opt_day(d: str | pd.Timestamp | None) -> pd.Timestamp | None:
    if d is None:
        return None
    from pivotlib.data.calendar import _day

    return _day(d)


def _pick_field(df: pd.DataFrame, meta: SymbolMeta, field: str, symbol: str) -> pd.Series:
    if field == "adjusted":
        if "adj_close" in df.columns and df["adj_close"].notna().any():
            sr = df["adj_close"]
        elif meta.adjusted:
            sr = df["close"]
        else:
            raise DataError(f"{symbol}: no adjusted close (source {meta.source}, adjusted=False); "
                            "refetch with --auto-adjust, import an adjusted file, or use field='close'")
    elif field == "adj_close":
        if "adj_close" not in df.columns or df["adj_close"].isna().all():
            raise DataError(f"{symbol}: no adj_close column (source {meta.source}); use "
                            "field='close' or field='adjusted'")
        sr = df["adj_close"]
    else:
        sr = df[field]
    sr = sr.dropna()
    if sr.empty:
        raise DataError(f"{symbol}: no {field} values in the dataset (close-only file?); use "
                        "field='close'")
    return sr


def _on_sessions(sr: pd.Series, idx: pd.DatetimeIndex, calendar: str, is_volume: bool) -> pd.Series:
    """Put one symbol's daily series on the session index."""
    from pivotlib.data.calendar import align_to_sessions

    if calendar != "24/7":
        return sr.reindex(idx)
    if not is_volume:
        return align_to_sessions(sr, idx)
    # volumes: each calendar day belongs to the first session on or after it
    if len(idx) == 0:
        return pd.Series(index=idx, dtype="float64")
    pos = idx.searchsorted(sr.index, side="left")
    ok = pos < len(idx)
    # days before the first session in range belong to no session in range
    first_ok = sr.index >= (idx[0] - pd.Timedelta(days=_gap_before(idx)))
    keep = ok & np.asarray(first_ok)
    summed = pd.Series(sr.to_numpy()[keep]).groupby(pos[keep]).sum()
    out = pd.Series(np.nan, index=idx)
    out.iloc[summed.index.to_numpy()] = summed.to_numpy()
    return out


def _gap_before(idx: pd.DatetimeIndex) -> int:
    """Calendar days folded into the first session in range (0 unless it follows a weekend)."""
    from pivotlib.data.calendar import to_session

    try:
        prev = to_session(idx[0] - pd.Timedelta(days=1), "previous")
    except InputError:
        return 0
    return max(0, (idx[0] - prev).days - 1)


# ----------------------------------------------------------------------------------------
# import (fetch lives in pivotlib.data.fetching; re-exported here)
# ----------------------------------------------------------------------------------------
def import_csv(path: Path | str, symbol: str, *, adjusted: bool, store: PriceStore | None = None,
               drop_after: str | pd.Timestamp | None = None, replace: bool = False,
               allow_unknown_symbol: bool = False,
               universe: pd.DataFrame | Path | str | None = None) -> tuple[Path, SymbolMeta]:
    """Read a price CSV (:func:`~pivotlib.data.sources.csvimport.read_price_csv`) into the store.

    Checked and merged by :func:`pivotlib.data.ingest.import_prices`: a file that would lose or
    corrupt stored rows is refused (the stored file is untouched); ``replace`` replaces the
    history after backing up the current file. Returns the file path and metadata; what was
    done is in ``meta.extra["last_import"]`` (``action``, ``notes``).
    """
    from pivotlib.data.ingest import import_prices

    res = import_prices(path, symbol, adjusted=adjusted, store=store, drop_after=drop_after,
                        replace=replace, allow_unknown_symbol=allow_unknown_symbol,
                        universe=universe)
    if res.action == "unchanged":  # nothing written: report this run, not the last import
        res.meta.extra["last_import"] = {"action": "unchanged", "notes": res.notes}
    return res.path, res.meta
