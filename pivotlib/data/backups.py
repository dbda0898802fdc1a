"""Backups of store files: nothing the store held is ever deleted by pivot.

Layout::

    <root>/.backups/<SYMBOL>/<UTC timestamp>-<reason>.parquet

``reason`` is ``replace`` (``pivot data import --replace``), ``fetch`` (a fetch that rewrote the
history: Yahoo re-adjusted it for a split or dividend, or ``fetch --replace``), ``restore`` (the
file a restore overwrote) or ``remove`` (``pivot data remove``). Backups are removed only by an
explicit ``pivot data backups --prune`` (:func:`prune`: keep the newest few per symbol and
every one younger than a set age, never the only copy of a history). A backup is an exact byte copy of the store
file (with its metadata), written to a temporary file in the same folder, fsync-ed and renamed
into place, so a crash never leaves a half backup under a backup's name. The folder starts
with a dot and is one level down, so :meth:`PriceStore.symbols` never lists it.

Every function here that changes a file holds the symbol's store lock
(:meth:`PriceStore.locked`, re-entrant) for the whole operation.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from pivotlib.data.store import (
    PriceStore,
    StoreWriteError,
    SymbolMeta,
    _fsync_dir,
    atomic_write,
    check_symbol,
)
from pivotlib.errors import DataError, InputError

BACKUP_DIR = ".backups"
_NAME_RE = re.compile(r"^(\d{8}T\d{12}Z)-([a-z]+)(?:-\d+)?\.parquet$")


@dataclass
class Backup:
    """One backup file (``rows``/``first``/``last`` from its metadata; 0/"" if unreadable)."""

    symbol: str
    name: str
    path: Path
    reason: str
    taken_at: str
    rows: int = 0
    first: str = ""
    last: str = ""
    source: str = ""
    problem: str = ""


def backup_root(store: PriceStore) -> Path:
    """Return ``<store root>/.backups``."""
    return store.root / BACKUP_DIR


def _copy_atomic(src: Path, dest: Path) -> None:
    def copy(fo: BinaryIO) -> None:
        with open(src, "rb") as fi:
            shutil.copyfileobj(fi, fo, 1 << 20)

    atomic_write(dest, copy)


def _new_name(folder: Path, reason: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    dest = folder / f"{stamp}-{reason}.parquet"
    k = 2
    while dest.exists():
        dest = folder / f"{stamp}-{reason}-{k}.parquet"
        k += 1
    return dest


def make_backup(store: PriceStore, symbol: str, reason: str) -> Path:
    """Copy ``symbol``'s store file to a new backup; return the backup's path.

    Raises
    ------
    DataError
        No stored file, or the copy failed (:class:`~pivotlib.data.store.StoreWriteError`; the
        store file is untouched either way).
    """
    src = store.path(symbol)
    with store.locked(symbol):
        if not src.is_file():
            raise DataError(f"{symbol}: no stored file to back up in {store.root}")
        folder = backup_root(store) / symbol
        try:
            folder.mkdir(parents=True, exist_ok=True)
            dest = _new_name(folder, reason)
            _copy_atomic(src, dest)
        except OSError as exc:
            raise StoreWriteError.wrap(exc, symbol, folder, folder) from exc
    return dest


def _describe(symbol: str, path: Path) -> Backup:
    import pyarrow.parquet as pq

    m = _NAME_RE.match(path.name)
    b = Backup(symbol, path.name, path, m.group(2) if m else "?", m.group(1) if m else "")
    try:
        meta = SymbolMeta.from_json((pq.read_schema(path).metadata or {})[b"pivot"])
        b.rows, b.first, b.last, b.source = meta.rows, meta.first, meta.last, meta.source
    except Exception as exc:  # noqa: BLE001 - list it anyway, with the problem
        b.problem = f"unreadable metadata ({exc})"
    return b


def list_backups(store: PriceStore, symbol: str | None = None) -> list[Backup]:
    """Return the backups (of ``symbol``, or of every symbol), oldest first per symbol."""
    root = backup_root(store)
    if symbol is not None:
        check_symbol(symbol)
        folders = [root / symbol]
    else:
        folders = sorted(p for p in root.glob("*") if p.is_dir()) if root.is_dir() else []
    out: list[Backup] = []
    for f in folders:
        if f.is_dir():
            out += [_describe(f.name, p) for p in sorted(f.glob("*.parquet"))
                    if not p.name.startswith(".")]
    return out


def restore(store: PriceStore, symbol: str, name: str | None = None) -> tuple[Backup, Path | None]:
    """Put a backup back as ``symbol``'s store file (exact bytes); return (backup, saved).

    The current file, if any, is first backed up itself (reason ``restore``; its path is the
    second item returned), so a restore never loses anything either. The backup is copied,
    not moved: it stays listed and can be restored again.

    Parameters
    ----------
    name : str, optional
        Backup file name (with or without ``.parquet``), as ``pivot data backups`` lists it;
        default the newest.

    Raises
    ------
    InputError
        No backup of that name (the message lists the available ones).
    DataError
        The backup is not a readable store file for ``symbol``.
    """
    import pyarrow.parquet as pq

    check_symbol(symbol)
    with store.locked(symbol):
        have = list_backups(store, symbol)
        if not have:
            raise InputError(f"{symbol} has no backups in {backup_root(store) / symbol}")
        if name is None:
            pick = max(have, key=lambda b: b.name)
        else:
            want = name if name.endswith(".parquet") else f"{name}.parquet"
            hits = [b for b in have if b.name == want]
            if not hits:
                raise InputError(f"{symbol} has no backup named {name!r}; available: "
                                 + ", ".join(b.name for b in have))
            pick = hits[0]
        try:
            meta = SymbolMeta.from_json((pq.read_schema(pick.path).metadata or {})[b"pivot"])
        except Exception as exc:  # noqa: BLE001
            raise DataError(f"{symbol}: backup {pick.path} is not a readable store file "
                            f"({exc}); pick another with --backup") from exc
        if meta.symbol != symbol:
            raise DataError(f"{symbol}: backup {pick.path} holds {meta.symbol!r}, not {symbol!r}")
        saved = make_backup(store, symbol, "restore") if store.exists(symbol) else None
        try:
            store.root.mkdir(parents=True, exist_ok=True)
            _copy_atomic(pick.path, store.path(symbol))
        except OSError as exc:
            raise StoreWriteError.wrap(exc, symbol, store.path(symbol), store.root) from exc
    return pick, saved


def remove(store: PriceStore, symbol: str) -> Path:
    """Move ``symbol``'s store file into its backups (never deleted); return the backup path.

    Raises
    ------
    DataError
        No stored file for ``symbol``.
    """
    with store.locked(symbol):
        src = store.path(symbol)
        if not src.is_file():
            raise DataError(f"no data for {symbol} in {store.root}; nothing to remove")
        folder = backup_root(store) / symbol
        try:
            folder.mkdir(parents=True, exist_ok=True)
            dest = _new_name(folder, "remove")
            os.replace(src, dest)  # same file system: an atomic rename
            _fsync_dir(folder)
            _fsync_dir(store.root)
        except OSError as exc:
            raise StoreWriteError.wrap(exc, symbol, src, store.root) from exc
    return dest


KEEP_NEWEST = 5
"""``pivot data backups --prune`` keeps at least this many newest backups per symbol."""
KEEP_DAYS = 30
"""... and every backup younger than this many days."""


def prune_plan(store: PriceStore, symbol: str | None = None, *, keep: int = KEEP_NEWEST,
               max_age_days: float = KEEP_DAYS,
               now: datetime | None = None) -> tuple[list[Backup], list[tuple[Backup, str]]]:
    """Decide which backups a prune removes; return ``(remove, kept_with_reason)``.

    Retention, per symbol: keep the ``keep`` newest backups and every backup younger than
    ``max_age_days``; of the rest, keep a backup that is the only copy of a history (the newest
    backup of a symbol whose store file is gone, e.g. after ``pivot data remove``) and any
    backup whose metadata cannot be read (it cannot be judged). Everything else may go.

    Raises
    ------
    InputError
        ``keep < 1`` or ``max_age_days < 0`` (a prune must never empty a symbol's backups).
    """
    if keep < 1:
        raise InputError(f"--keep must be at least 1 (got {keep}): a prune never removes "
                         "every backup of a symbol")
    if max_age_days < 0:
        raise InputError(f"--max-age-days must be >= 0 (got {max_age_days})")
    now = now or datetime.now(UTC)
    by_symbol: dict[str, list[Backup]] = {}
    for b in list_backups(store, symbol):
        by_symbol.setdefault(b.symbol, []).append(b)
    remove: list[Backup] = []
    kept: list[tuple[Backup, str]] = []
    for sym, items in by_symbol.items():
        items = sorted(items, key=lambda b: b.name, reverse=True)  # newest first
        has_file = store.path(sym).is_file()
        for i, b in enumerate(items):
            try:
                taken = datetime.strptime(b.taken_at, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
                age = (now - taken).total_seconds() / 86400
            except ValueError:
                kept.append((b, "unknown age (unexpected name)"))
                continue
            if i < keep:
                kept.append((b, f"one of the {keep} newest"))
            elif age < max_age_days:
                kept.append((b, f"younger than {max_age_days:g} days"))
            elif b.problem:
                kept.append((b, "unreadable metadata: not judged"))
            elif i == 0 and not has_file:
                kept.append((b, "the only copy of this history (no stored file)"))
            else:
                remove.append(b)
    return remove, kept


def prune(store: PriceStore, symbol: str | None = None, *, keep: int = KEEP_NEWEST,
          max_age_days: float = KEEP_DAYS, now: datetime | None = None,
          dry_run: bool = False) -> list[Backup]:
    """Delete the backups :func:`prune_plan` selects (under each symbol's lock); return them."""
    gone, _ = prune_plan(store, symbol, keep=keep, max_age_days=max_age_days, now=now)
    if dry_run:
        return gone
    for b in gone:
        with store.locked(b.symbol):
            try:
                b.path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StoreWriteError.wrap(exc, b.symbol, b.path, b.path.parent) from exc
    return gone
