"""``pivot data fetch``: Yahoo into the store, incrementally, checked like an import.

:func:`fetch_symbols` plans which range each symbol needs (incremental from a few sessions
before the stored last date, or the full history), asks :func:`pivotlib.data.sources.yahoo.
fetch_yahoo`, and passes every answer through :func:`pivotlib.data.rewrites.plan_fetch` (the
import's content checks and overlap rules, plus rewrites explained by Yahoo's own split and
dividend events) under the symbol's store lock; a rewrite or ``--replace`` backs the old file
up first (:mod:`pivotlib.data.backups`). Nothing a failed or refused fetch touches changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pivotlib import config
from pivotlib.data.store import PriceStore, SymbolMeta
from pivotlib.errors import DataError, InputError

DEFAULT_START = "2018-01-01"
DEFAULT_OVERLAP = 5


def _universe(universe: pd.DataFrame | Path | str | None) -> pd.DataFrame:
    """The universe frame: ``universe`` itself, the file it names, or ``data/universe.csv``."""
    from pivotlib.data.universe import load_universe

    if isinstance(universe, pd.DataFrame):
        return universe
    return load_universe(universe)


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
    and merge rules (:func:`pivotlib.data.rewrites.plan_fetch`): an answer that agrees with the
    stored rows is merged (stored rows kept, Yahoo's values win on common dates); one that
    rewrites stored history is written only when Yahoo's own split or dividend events in it
    explain the difference (the full history is fetched for that, and the old file is backed
    up, with a note); an unexplained rewrite, a history that would drop stored rows, absurd
    values (a x60 day; the unit errors yfinance's ``repair=True`` fixes, such as a day in
    cents, are repaired and listed in the metadata) or the other adjustment convention are
    refused
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

    The checks and merge rules are :func:`pivotlib.data.rewrites.plan_fetch` (the import's
    content checks and overlap tolerances); a rewrite or ``replace`` backs the old file up first.
    """
    from pivotlib.data.backups import make_backup
    from pivotlib.data.rewrites import plan_fetch
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
                    report.errors[s] = (f"{s}: the full history was needed ({fp.notes[0]}) "
                                        f"but fetching it failed: {exc}; the stored file is kept")
                    return
                events = dict(new.attrs.get("events") or {})
                repaired = list(new.attrs.get("repaired") or [])
                fp = plan_fetch(new, stored, symbol=s, info=info, where=where,
                                adjusted=auto_adjust, stored_adjusted=stored_meta.adjusted
                                if stored_meta is not None else None, events=events,
                                full_answer=True, replace=replace)
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
