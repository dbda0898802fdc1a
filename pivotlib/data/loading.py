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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pivotlib import config
from pivotlib.data.datasets import DatasetSpec, default_spec_text
from pivotlib.data.store import PriceStore, SymbolMeta
from pivotlib.errors import DataError, InputError, PivotError

FIELDS = ("close", "adj_close", "adjusted", "open", "high", "low", "volume")
DEFAULT_START = "2018-01-01"
DEFAULT_OVERLAP = 5


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


def _universe(universe: pd.DataFrame | Path | str | None) -> pd.DataFrame:
    from pivotlib.data.universe import load_universe

    if isinstance(universe, pd.DataFrame):
        return universe
    return load_universe(universe)


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
        sources={s: m.source for s, m in metas.items()},
        adjusted={s: bool(m.adjusted or field in ("adj_close", "adjusted")) for s, m in metas.items()},
        field=field,
    )
    if missing_all:
        out.attrs["missing"] = missing_all
    if left_out:
        out.attrs["left_out"] = left_out
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
# fetch (incremental refresh) and import
# ----------------------------------------------------------------------------------------
@dataclass
class FetchReport:
    """What :func:`fetch_symbols` did.

    Attributes
    ----------
    written : dict
        symbol -> rows in the file after the write.
    new_rows : dict
        symbol -> rows added or revised by this fetch.
    up_to_date : list
        Symbols already complete (nothing fetched).
    errors : dict
        symbol -> message (the existing file, if any, is untouched).
    notes : dict
        symbol -> remark (re-adjusted after a split, backup kept, ...).
    refused : dict
        symbol -> why Yahoo's answer was not written (it would corrupt or shrink the stored
        history) and how to accept it; the stored file is untouched.
    """

    written: dict[str, int] = field(default_factory=dict)
    new_rows: dict[str, int] = field(default_factory=dict)
    up_to_date: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.refused


def fetch_symbols(symbols: Iterable[str] | None, start: str | pd.Timestamp | None = None,
                  end: str | pd.Timestamp | None = None, store: PriceStore | None = None, *,
                  universe: pd.DataFrame | Path | str | None = None, overlap: int = DEFAULT_OVERLAP,
                  auto_adjust: bool = False, batch_size: int = 10, full: bool = False,
                  replace: bool = False, today: str | pd.Timestamp | None = None,
                  progress: Callable[[int], None] | None = None,
                  **yahoo_kwargs: Any) -> FetchReport:
    """Fetch symbols from Yahoo into the store, incrementally; never corrupt or shrink it.

    For a symbol already stored from Yahoo: fetch only from ``overlap`` sessions before the
    stored last date to ``end``. Every answer then goes through the import's content checks
    and merge rules (:func:`pivotlib.data.ingest.plan_fetch`): an answer that agrees with the
    stored rows is merged (stored rows kept, Yahoo's values win on common dates); one that
    rewrites stored history is written only when Yahoo's own split or dividend events in it
    explain the difference (the full history is fetched for that, and the old file is backed
    up, with a note); an unexplained rewrite, a history that would drop stored rows, absurd
    values (a x100 day) or the other adjustment convention are refused
    (:attr:`FetchReport.refused`) unless ``replace``. Data imported from CSV is only
    re-checked against Yahoo with ``full``. A failed or refused fetch never touches the file.

    Parameters
    ----------
    symbols : iterable of str, optional
        Universe symbols (the Yahoo ticker comes from the universe's ``yahoo_symbol``);
        None = the whole universe.
    start, end : date, optional
        Default start: the symbol's ``listed_from`` or 2018-01-01; default end: today.
    store : PriceStore, optional
        Default ``PriceStore()`` (``data/store``).
    overlap : int, default 5
        Sessions re-fetched before the stored last date.
    auto_adjust, batch_size : see :func:`pivotlib.data.sources.yahoo.fetch_yahoo`.
    full : bool
        Fetch the whole history (from ``start``) even when some is stored; it is still
        checked against the stored rows.
    replace : bool
        Take Yahoo's answer as the history even when it disagrees with the stored one or is
        shorter (the old file is backed up first); the content checks still apply.
    progress : callable, optional
        Called with the number of symbols finished after each batch.
    **yahoo_kwargs
        Passed to :func:`~pivotlib.data.sources.yahoo.fetch_yahoo` (``downloader``, ``sleep``,
        ``pause``, ``retries``, ...).

    Returns
    -------
    FetchReport

    Raises
    ------
    OfflineError
        Offline mode is on (before any network use).
    """
    from pivotlib.data.calendar import _day
    from pivotlib.data.sources.yahoo import fetch_yahoo, offline_message
    from pivotlib.data.universe import symbol_info

    store = store or PriceStore()
    uni = _universe(universe)
    syms = list(dict.fromkeys(symbols)) if symbols is not None else uni["symbol"].tolist()
    if not syms:
        raise InputError("no symbols to fetch; name some or check the universe file")
    if config.offline():
        from pivotlib.errors import OfflineError

        raise OfflineError(offline_message(syms))
    today_ts = _day(today) if today is not None else _day(pd.Timestamp.now(tz="UTC"))
    end_ts = _day(end) if end is not None else today_ts
    report = FetchReport()

    plans: dict[str, dict[str, Any]] = {}
    for s in syms:
        info = symbol_info(s, uni)
        ysym = str(info.get("yahoo_symbol") or s)
        lf = info.get("listed_from")
        s_start = _day(start) if start is not None else (
            pd.Timestamp(lf) if lf is not None and not pd.isna(lf) else _day(DEFAULT_START))
        old = None
        meta = None
        if not full and store.exists(s):
            try:
                old, meta = store.read(s)
            except DataError as exc:
                report.notes[s] = f"stored file unusable, refetching in full ({exc})"
        plan = {"ysym": ysym, "start": s_start, "old": old, "meta": meta,
                "calendar": info["calendar"], "requested_start": s_start}
        if old is not None and meta is not None:
            if meta.source != "yahoo":
                # never overwrite a user's import behind their back
                report.errors[s] = (f"{s}: the stored data came from {meta.source} "
                                    f"({meta.extra.get('path', 'an import')}); kept as is. "
                                    "Pass --full (full=True) to check Yahoo's history against "
                                    "it and merge (add --replace to replace it)")
                continue
            if meta.adjusted != bool(auto_adjust):
                plan["old"] = None  # fetched in full; the store keeps it only with --replace
            elif (start is not None and old.index[0] > s_start + pd.Timedelta(days=7)
                  and _requested_start(meta, old) > s_start):
                # the file was fetched from a later start than asked now: backfill in full
                # (not when an earlier fetch already asked from this start and Yahoo simply
                # has no older history, e.g. a later IPO)
                report.notes[s] = "stored history starts after --start: refetching in full"
                plan["start"] = min(s_start, old.index[0])
                plan["old"] = None
            else:
                last = old.index[-1]
                if last >= end_ts:
                    report.up_to_date.append(s)
                    continue
                plan["start"] = _back(last, overlap, str(info["calendar"]))
                plan["full_start"] = old.index[0]
                plan["requested_start"] = min(_requested_start(meta, old), s_start)
        if plan["start"] > end_ts:
            report.errors[s] = (f"{s}: start {plan['start'].date()} is after end {end_ts.date()}; "
                                "pass a later --end")
            continue
        plans[s] = plan

    if progress is not None and len(syms) > len(plans):
        progress(len(syms) - len(plans))  # up to date or refused: nothing to fetch
    # Two groups - full fetches and incremental ones - so yf.download batches stay large;
    # each group is requested from its earliest start and every answer is cut back to its own
    # symbol's start afterwards.
    groups: dict[str, list[str]] = {}
    for s, plan in plans.items():
        groups.setdefault("full" if plan["old"] is None else "incremental", []).append(s)
    for g_syms in groups.values():
        g_start = min(plans[s]["start"] for s in g_syms)
        ymap = {plans[s]["ysym"]: s for s in g_syms}
        res = fetch_yahoo(list(ymap), g_start, end_ts, auto_adjust=auto_adjust,
                          batch_size=batch_size, today=today_ts,
                          on_batch=(lambda b: progress(len(b))) if progress else None,
                          **yahoo_kwargs)
        for ysym, s in ymap.items():
            if ysym in res.errors:
                report.errors[s] = res.errors[ysym].replace(f"{ysym}:", f"{s}:", 1) if ysym != s else res.errors[ysym]
                continue
            plan = plans[s]
            new = res.frames[ysym]
            events = dict(new.attrs.get("events") or {})
            repaired = list(new.attrs.get("repaired") or [])
            new = new[new.index >= plan["start"]]
            if new.empty:
                report.errors[s] = (f"{s}: Yahoo returned no rows on or after "
                                    f"{plan['start'].date()}")
                continue
            new.attrs["repaired"] = repaired
            _store_answer(s, ysym, new, events, plan, store, report, uni,
                          auto_adjust=auto_adjust, replace=replace, end_ts=end_ts,
                          today_ts=today_ts, yahoo_kwargs=yahoo_kwargs)
    return report


def _store_answer(s: str, ysym: str, new: pd.DataFrame, events: dict[str, Any],
                  plan: dict[str, Any], store: PriceStore, report: FetchReport,
                  uni: pd.DataFrame, *, auto_adjust: bool, replace: bool, end_ts: pd.Timestamp,
                  today_ts: pd.Timestamp, yahoo_kwargs: dict[str, Any]) -> None:
    """Check one symbol's answer against the store and write it (or refuse), under its lock.

    The checks and merge rules are :func:`pivotlib.data.ingest.plan_fetch` (the import's
    content checks and overlap tolerances); a rewrite or ``replace`` backs the old file up first.
    """
    from pivotlib.data.backups import make_backup
    from pivotlib.data.ingest import plan_fetch
    from pivotlib.data.store import utc_now_iso
    from pivotlib.data.universe import symbol_info

    info = symbol_info(s, uni)
    where = f"Yahoo's answer for {ysym}"
    repaired = list(new.attrs.get("repaired") or [])
    with store.locked(s):
        stored = stored_meta = None
        if store.exists(s):
            try:
                stored, stored_meta = store.read(s)
            except DataError:
                stored = stored_meta = None  # quarantined by the read: nothing to protect
        full_answer = stored is None or new.index[0] <= stored.index[0] + pd.Timedelta(days=7)
        try:
            fp = plan_fetch(new, stored, symbol=s, info=info, where=where, adjusted=auto_adjust,
                            stored_adjusted=None if stored_meta is None else stored_meta.adjusted,
                            events=events, full_answer=full_answer, replace=replace)
            if fp.action == "needs_full":
                assert stored is not None
                try:
                    new = _refetch_full(ysym, stored.index[0], end_ts, auto_adjust, today_ts,
                                        yahoo_kwargs)
                except DataError as exc:
                    report.errors[s] = (f"{s}: the answer re-adjusts stored history ({fp.notes[0]}) "
                                        f"and the full refetch failed: {exc}; the stored file is kept")
                    return
                events = dict(new.attrs.get("events") or {})
                repaired = list(new.attrs.get("repaired") or [])
                fp = plan_fetch(new, stored, symbol=s, info=info, where=where,
                                adjusted=auto_adjust, stored_adjusted=stored_meta.adjusted
                                if stored_meta is not None else None, events=events,
                                full_answer=True, replace=False)
        except DataError as exc:
            report.refused[s] = str(exc)
            return
        notes = list(fp.notes)
        if repaired:
            notes.append(f"yfinance repaired Yahoo's price errors on {len(repaired)} day(s): "
                         + ", ".join(repaired[:5]) + (" ..." if len(repaired) > 5 else ""))
        if fp.action == "unchanged":
            report.up_to_date.append(s)
            return
        backup = None
        if fp.action in ("rewritten", "replaced") and stored is not None:
            backup = make_backup(store, s, "fetch")
            notes.append(f"the previous file is kept as {backup.name} (`pivot data restore {s} "
                         f"--backup {backup.stem}`)")
        if stored_meta is not None and stored_meta.source != "yahoo":
            notes.append(f"the stored data came from {stored_meta.source}: Yahoo's rows agree "
                         "with them" if fp.action == "merged" else
                         f"replaced {stored_meta.source} data")
        req = plan["requested_start"]
        if stored_meta is not None:
            req = min(req, _requested_start(stored_meta, stored))
        meta = SymbolMeta(symbol=s, source="yahoo", adjusted=bool(auto_adjust),
                          extra={"yahoo_symbol": ysym, "auto_adjust": bool(auto_adjust),
                                 "requested_start": req.date().isoformat(),
                                 "close_is": ("split- and dividend-adjusted" if auto_adjust
                                              else "split-adjusted, not dividend-adjusted "
                                              "(adj_close is fully adjusted)"),
                                 "repair": ("yfinance repair=True: Yahoo's known price "
                                            "errors (e.g. a day in cents) are repaired by "
                                            "yfinance; the dates it repaired are in "
                                            "last_fetch.repaired"),
                                 "last_fetch": {"at": utc_now_iso(), "action": fp.action,
                                                "notes": notes, "events": events,
                                                "repaired": repaired,
                                                "backup": backup.name if backup else None}})
        try:
            store.write(s, fp.frame, meta)
        except DataError as exc:
            report.errors[s] = str(exc)
            return
    report.written[s] = len(fp.frame)
    report.new_rows[s] = len(new)
    said = notes if fp.action != "merged" else notes[1:]  # a plain merge needs no remark
    if said:
        report.notes[s] = "; ".join(([report.notes[s]] if s in report.notes else []) + said)


def _requested_start(meta: SymbolMeta, old: pd.DataFrame) -> pd.Timestamp:
    """The earliest start any fetch of this file asked for (else its first date)."""
    try:
        return pd.Timestamp(meta.extra["requested_start"])
    except (KeyError, TypeError, ValueError):
        return old.index[0]


def _back(last: pd.Timestamp, n: int, calendar: str) -> pd.Timestamp:
    """``n`` sessions (or days for 24/7) before ``last``."""
    if n <= 0:
        return last + pd.Timedelta(days=1)
    if calendar == "24/7":
        return last - pd.Timedelta(days=n)
    from pivotlib.data.calendar import shift_sessions, to_session

    try:
        return shift_sessions(to_session(last, "previous"), -n)
    except InputError:
        return last - pd.Timedelta(days=2 * n)


def _refetch_full(ysym: str, start: pd.Timestamp, end: pd.Timestamp, auto_adjust: bool,
                  today: pd.Timestamp, kwargs: dict[str, Any]) -> pd.DataFrame:
    from pivotlib.data.sources.yahoo import fetch_one

    return fetch_one(ysym, start, end, auto_adjust=auto_adjust, today=today, **kwargs)


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
