"""Price store: one Parquet file per symbol, with metadata, atomic writes and a lock.

Layout::

    <root>/<SYMBOL>.parquet        daily bars, index "date", columns PRICE_COLUMNS (+ adj_close)
    <root>/<SYMBOL>.parquet.lock   filelock guarding writers (git-ignored)
    <root>/../quarantine/          corrupt or schema-invalid files moved aside with a timestamp

The metadata (:class:`SymbolMeta`) lives inside the Parquet file itself, as JSON under the
schema-metadata key ``b"pivot"``, so data and provenance can never drift apart.

Writes are atomic: the table is written to a temporary file *in the same folder*, flushed and
``fsync``-ed, then moved over the old file with :func:`os.replace` (an atomic rename on POSIX
and Windows), all under a per-symbol :class:`filelock.FileLock`, so two scheduled runs cannot
corrupt a file and a crash mid-write leaves the previous version intact.

Reads are validated (:meth:`PriceStore.read`): dates ascending, unique and tz-naive; required
columns present and float64; metadata present and consistent with the data; prices and volumes
non-negative and finite. A file that fails is moved to the quarantine folder and
:class:`~pivotlib.errors.DataError` is raised, so a caller refetches or reports - bad data is
never used.
"""

from __future__ import annotations

import copy
import dataclasses
import errno
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from pivotlib import config
from pivotlib.data.filecache import FileCache, file_identity
from pivotlib.errors import DataError, InputError

PRICE_COLUMNS: list[str] = ["open", "high", "low", "close", "volume"]
"""Required columns, all float64 (missing values are NaN, e.g. a close-only CSV import)."""

OPTIONAL_COLUMNS: list[str] = ["adj_close"]
"""Optional columns (float64): Yahoo's dividend- and split-adjusted close."""

SCHEMA_VERSION = 1
META_KEY = b"pivot"
SOURCES = ("yahoo", "csv", "synthetic")
_SYMBOL_RE = re.compile(r"^[A-Za-z0-9^=._\-]{1,32}$")
_LOCK_TIMEOUT = 120.0


def utc_now_iso() -> str:
    """Return the current UTC time as an ISO-8601 string (seconds precision, ``Z`` suffix)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SymbolMeta:
    """Provenance of one symbol's file.

    Attributes
    ----------
    symbol : str
    source : {"yahoo", "csv", "synthetic"}
    fetched_at : str
        ISO-8601 UTC time of the fetch/import/generation.
    adjusted : bool
        True if ``close`` is split- and dividend-adjusted.
    first, last : str
        ISO dates of the first and last row (recomputed by :meth:`PriceStore.write`).
    rows : int
        Number of rows (recomputed by :meth:`PriceStore.write`).
    synthetic : bool
        True for the generated (SYNTHETIC) default dataset.
    extra : dict
        Free-form JSON-serialisable details (e.g. original file, yahoo symbol, model seed).
    """

    symbol: str
    source: str
    fetched_at: str = field(default_factory=utc_now_iso)
    adjusted: bool = False
    first: str = ""
    last: str = ""
    rows: int = 0
    synthetic: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Serialise to JSON (with ``schema_version``)."""
        d = dataclasses.asdict(self)
        d["schema_version"] = SCHEMA_VERSION
        return json.dumps(d, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str | bytes) -> SymbolMeta:
        """Parse metadata JSON; raise ``ValueError`` if keys are missing or mistyped."""
        d = json.loads(text)
        if not isinstance(d, dict):
            raise ValueError("metadata is not a JSON object")
        required = {"symbol", "source", "fetched_at", "adjusted", "first", "last", "rows",
                    "synthetic", "schema_version"}
        missing = required - set(d)
        if missing:
            raise ValueError(f"metadata lacks {sorted(missing)}")
        if int(d["schema_version"]) > SCHEMA_VERSION:
            raise ValueError(
                f"metadata schema_version {d['schema_version']} is newer than this pivotlib "
                f"({SCHEMA_VERSION}); upgrade pivotlib"
            )
        return cls(
            symbol=str(d["symbol"]), source=str(d["source"]), fetched_at=str(d["fetched_at"]),
            adjusted=bool(d["adjusted"]), first=str(d["first"]), last=str(d["last"]),
            rows=int(d["rows"]), synthetic=bool(d["synthetic"]), extra=dict(d.get("extra") or {}),
        )


def check_symbol(symbol: str) -> str:
    """Validate a ticker used as a file name; return it unchanged.

    Raises
    ------
    InputError
        If the symbol is empty or contains characters other than letters, digits and
        ``^ = . _ -`` (guards against path traversal such as ``../x``).
    """
    if not isinstance(symbol, str) or not _SYMBOL_RE.match(symbol) or symbol in {".", ".."}:
        raise InputError(
            f"{symbol!r} is not a valid symbol; use a ticker such as APLD or BTC-USD "
            "(letters, digits and ^ = . _ - only)"
        )
    return symbol


def normalize_frame(frame: pd.DataFrame, symbol: str = "?") -> pd.DataFrame:
    """Return ``frame`` in store layout: index ``date`` (tz-naive, normalised, ns), float64 columns.

    Column names are lower-cased with spaces as underscores (``Adj Close`` -> ``adj_close``);
    missing :data:`PRICE_COLUMNS` other than ``close`` are added as NaN; unknown columns are
    dropped. Rows are sorted by date. Duplicated dates raise (the caller must decide which to
    keep).

    Raises
    ------
    DataError
        No ``close`` column, a non-date index, or duplicate dates.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{symbol}: expected a DataFrame of prices, got {type(frame).__name__}")
    df = frame.copy()
    df.columns = [str(c).strip().lower().replace(" ", "_") for c in df.columns]
    if "close" not in df.columns:
        raise DataError(f"{symbol}: prices have no 'close' column (columns: {list(df.columns)})")
    try:
        idx = pd.DatetimeIndex(df.index)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{symbol}: the index is not dates ({exc})") from exc
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    df.index = idx.normalize().as_unit("ns")
    df.index.name = "date"
    if df.index.hasnans:
        raise DataError(f"{symbol}: some rows have no date")
    if df.index.has_duplicates:
        dups = df.index[df.index.duplicated()].unique()[:3]
        raise DataError(
            f"{symbol}: duplicate dates {[d.date().isoformat() for d in dups]}; keep one row per date"
        )
    df = df.sort_index()
    keep = [c for c in PRICE_COLUMNS + OPTIONAL_COLUMNS if c in df.columns]
    df = df[keep]
    for c in PRICE_COLUMNS:
        if c not in df.columns:
            df[c] = np.nan
    cols = PRICE_COLUMNS + [c for c in OPTIONAL_COLUMNS if c in df.columns]
    out = pd.DataFrame(index=df.index)
    for c in cols:
        try:
            out[c] = pd.to_numeric(df[c], errors="raise").astype("float64")
        except (TypeError, ValueError) as exc:
            raise DataError(f"{symbol}: column {c!r} is not numeric ({exc})") from exc
    return out


def validate_frame(frame: pd.DataFrame, symbol: str = "?") -> None:
    """Check a frame in store layout; raise :class:`DataError` describing the first problem.

    Checks: DatetimeIndex named ``date``, tz-naive, normalised (no time part), ascending,
    unique, no NaT; every :data:`PRICE_COLUMNS` present; every column float64; prices and
    volume finite where present and non-negative.
    """
    idx = frame.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise DataError(f"{symbol}: index is {type(idx).__name__}, not dates")
    if idx.tz is not None:
        raise DataError(f"{symbol}: index is tz-aware ({idx.tz}); store tz-naive dates")
    if idx.hasnans:
        raise DataError(f"{symbol}: index contains missing dates")
    if len(idx) and not (idx == idx.normalize()).all():
        raise DataError(f"{symbol}: index has intraday times; store one row per date")
    if not idx.is_unique:
        raise DataError(f"{symbol}: duplicate dates in the index")
    if not idx.is_monotonic_increasing:
        raise DataError(f"{symbol}: dates are not in ascending order")
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{symbol}: missing columns {missing}")
    for c in frame.columns:
        if c not in PRICE_COLUMNS + OPTIONAL_COLUMNS:
            raise DataError(f"{symbol}: unexpected column {c!r}")
        if frame[c].dtype != np.float64:
            raise DataError(f"{symbol}: column {c!r} has dtype {frame[c].dtype}, expected float64")
        v = frame[c].to_numpy()
        ok = ~np.isnan(v)
        if not np.isfinite(v[ok]).all():
            raise DataError(f"{symbol}: column {c!r} has infinite values")
        if (v[ok] < 0).any():
            bad = frame.index[ok][v[ok] < 0][0]
            raise DataError(f"{symbol}: negative {c} on {bad.date()}")
    if frame["close"].notna().sum() == 0 and len(frame):
        raise DataError(f"{symbol}: every close is missing")


def _copy_read(got: tuple[pd.DataFrame, SymbolMeta]) -> tuple[pd.DataFrame, SymbolMeta]:
    return got[0].copy(), copy.deepcopy(got[1])


_READ_CACHE: FileCache[tuple[pd.DataFrame, SymbolMeta]] = FileCache(_copy_read, maxsize=512)
"""Validated reads by file identity (:mod:`pivotlib.data.filecache`): a process that reads the
same unchanged file again (a warm kernel running report after report, a study loading prices and
then returns) gets a copy instead of parsing and validating it again. A rewritten file (atomic
replace: a new inode and time) is read afresh."""


class PriceStore:
    """A folder of per-symbol Parquet price files.

    Parameters
    ----------
    root : Path, optional
        Folder of the files; default :func:`pivotlib.config.store_dir` (``data/store``).
    quarantine : Path, optional
        Where bad files are moved; default ``<root>/../quarantine`` (``data/quarantine``).
    lock_timeout : float
        Seconds to wait for another writer before raising :class:`DataError`.
    """

    def __init__(self, root: Path | str | None = None, *, quarantine: Path | str | None = None,
                 lock_timeout: float = _LOCK_TIMEOUT) -> None:
        self.root = Path(root) if root is not None else config.store_dir()
        self.quarantine_dir = (Path(quarantine) if quarantine is not None
                               else self.root.parent / "quarantine")
        self.lock_timeout = float(lock_timeout)
        self._locks: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"PriceStore({str(self.root)!r})"

    # -- paths ------------------------------------------------------------------------------
    def path(self, symbol: str) -> Path:
        """Return ``<root>/<SYMBOL>.parquet``."""
        return self.root / f"{check_symbol(symbol)}.parquet"

    def _lock(self, symbol: str):
        # one FileLock object per file and store: it is re-entrant, so a caller holding
        # :meth:`locked` can read, back up and write without deadlocking on itself
        from filelock import FileLock

        key = str(self.path(symbol)) + ".lock"
        if key not in self._locks:
            self._locks[key] = FileLock(key, timeout=self.lock_timeout)
        return self._locks[key]

    @contextmanager
    def locked(self, symbol: str) -> Iterator[None]:
        """Hold ``symbol``'s writer lock across several steps (read, check, back up, write).

        :meth:`read` and :meth:`write` inside the block re-enter the same lock, so no other
        process can write between the check and the write.

        Raises
        ------
        DataError
            The lock could not be taken within ``lock_timeout`` seconds.
        """
        from filelock import Timeout

        lock = self._lock(symbol)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except OSError as exc:
            raise StoreWriteError.wrap(exc, symbol, self.path(symbol), self.root) from exc
        except Timeout as exc:
            raise DataError(
                f"{symbol}: another process has held {self.path(symbol).name}.lock for over "
                f"{self.lock_timeout:.0f}s; wait for it, or delete the .lock file if no pivot "
                "process is running"
            ) from exc
        try:
            yield
        finally:
            lock.release()

    def exists(self, symbol: str) -> bool:
        """Return True if a file exists for ``symbol`` (it is not validated)."""
        return self.path(symbol).is_file()

    def symbols(self) -> list[str]:
        """Return the symbols with a file in the store, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name[: -len(".parquet")] for p in self.root.glob("*.parquet")
                      if p.is_file() and _SYMBOL_RE.match(p.name[: -len(".parquet")]))

    def remove_stale_tmp(self, max_age_s: float = 600.0) -> list[Path]:
        """Delete temporary files left by writers that crashed (older than ``max_age_s``).

        A live writer's temporary file is younger than a write takes, so only leftovers of a
        killed process are removed. Returns the paths removed.
        """
        import time

        if not self.root.is_dir():
            return []
        now = time.time()
        gone = []
        for p in self.root.glob(".*.parquet.*.tmp"):
            try:
                if now - p.stat().st_mtime > max_age_s:
                    p.unlink()
                    gone.append(p)
            except FileNotFoundError:
                continue
        return gone

    # -- write ------------------------------------------------------------------------------
    def write(self, symbol: str, frame: pd.DataFrame, meta: SymbolMeta) -> Path:
        """Write ``frame`` for ``symbol`` atomically, replacing any existing file.

        The frame is normalised (:func:`normalize_frame`) and validated; ``meta.first``,
        ``meta.last`` and ``meta.rows`` are recomputed from it. The file is written to a
        temporary name in the same folder, fsync-ed and renamed over the target with
        :func:`os.replace` while holding ``<file>.lock``.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        DataError
            Invalid frame, empty frame, or the lock could not be taken.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq
        from filelock import Timeout

        check_symbol(symbol)
        df = normalize_frame(frame, symbol)
        validate_frame(df, symbol)
        if len(df) == 0:
            raise DataError(f"{symbol}: refusing to write an empty price frame")
        if meta.source not in SOURCES:
            raise DataError(f"{symbol}: unknown source {meta.source!r}; use one of {SOURCES}")
        meta = dataclasses.replace(
            meta, symbol=symbol, first=df.index[0].date().isoformat(),
            last=df.index[-1].date().isoformat(), rows=int(len(df)),
            extra=dict(meta.extra or {}),
        )
        table = pa.Table.from_pandas(df, preserve_index=True)
        md = dict(table.schema.metadata or {})
        md[META_KEY] = meta.to_json().encode()
        table = table.replace_schema_metadata(md)

        target = self.path(symbol)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with self._lock(symbol):
                atomic_write(target, lambda fh: pq.write_table(table, fh))
        except Timeout as exc:
            raise DataError(
                f"{symbol}: another process has held {target.name}.lock for over "
                f"{self.lock_timeout:.0f}s; wait for it, or delete the .lock file if no pivot "
                "process is running"
            ) from exc
        except OSError as exc:
            raise StoreWriteError.wrap(exc, symbol, target, self.root) from exc
        return target

    # -- read -------------------------------------------------------------------------------
    def read(self, symbol: str) -> tuple[pd.DataFrame, SymbolMeta]:
        """Read and validate ``symbol``'s file.

        Returns
        -------
        (DataFrame, SymbolMeta)
            Index ``date`` (tz-naive sessions/days), float64 :data:`PRICE_COLUMNS` (+ adj_close).

        Raises
        ------
        DataError
            The file does not exist (message says how to get it), or it is corrupt, truncated
            or schema-invalid - in which case it has been moved to the quarantine folder.
        """
        path = self.path(symbol)
        ident = file_identity(path)
        if ident is None:
            raise DataError(
                f"no data for {symbol} in {self.root}; get it with `pivot data fetch {symbol}` "
                f"or `pivot data import FILE --symbol {symbol}`"
            )
        key = (ident, symbol)
        hit = _READ_CACHE.get(key)
        if hit is not None:
            return hit
        got = self._read_checked(symbol, path)
        _READ_CACHE.put(key, got)
        return got

    def _read_checked(self, symbol: str, path: Path) -> tuple[pd.DataFrame, SymbolMeta]:
        """:meth:`read` without the cache: read, validate, quarantine a corrupt file."""
        try:
            return self._read_validated(symbol, path)
        except _Invalid as first:
            # Re-check under the lock: a writer may have just replaced the file.
            try:
                with self._lock(symbol):
                    if not path.is_file():
                        raise DataError(f"{symbol}: file vanished while reading; retry") from first
                    try:
                        return self._read_validated(symbol, path)
                    except _Invalid as exc:
                        dest = self._quarantine(path)
                        raise DataError(
                            f"{symbol}: {path.name} is unusable ({exc}); moved to {dest}. "
                            f"Refetch with `pivot data fetch {symbol}` or re-import it"
                        ) from exc
            except OSError as exc:  # read-only folder: cannot lock or move the bad file
                raise DataError(
                    f"{symbol}: {path.name} is unusable ({first}) and could not be moved to "
                    f"{self.quarantine_dir} ({exc}); delete it, then refetch with "
                    f"`pivot data fetch {symbol}` or re-import it"
                ) from exc

    def read_meta(self, symbol: str) -> SymbolMeta:
        """Read only the metadata (cheap; no validation of the rows, no quarantine).

        Raises
        ------
        DataError
            Missing file or unreadable metadata.
        """
        import pyarrow.parquet as pq

        path = self.path(symbol)
        if not path.is_file():
            raise DataError(f"no data for {symbol} in {self.root}")
        try:
            md = pq.read_schema(path).metadata or {}
            return SymbolMeta.from_json(md[META_KEY])
        except Exception as exc:  # noqa: BLE001 - any failure means unusable metadata
            raise DataError(f"{symbol}: cannot read metadata of {path.name} ({exc}); "
                            "run `pivot data verify`") from exc

    def _read_validated(self, symbol: str, path: Path) -> tuple[pd.DataFrame, SymbolMeta]:
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for bad files
            raise _Invalid(f"not a readable Parquet file: {exc}") from exc
        md = table.schema.metadata or {}
        if META_KEY not in md:
            raise _Invalid("no pivot metadata in the Parquet schema")
        try:
            meta = SymbolMeta.from_json(md[META_KEY])
        except (ValueError, TypeError) as exc:
            raise _Invalid(f"bad metadata: {exc}") from exc
        if meta.symbol != symbol:
            # not corruption (e.g. a renamed copy, or "apld" on a case-insensitive disk):
            # refuse it, but do not quarantine a file that may be valid under its own name
            raise DataError(f"{path} holds {meta.symbol!r}, not {symbol!r}; use the symbol "
                            f"{meta.symbol!r} or rename the file to {meta.symbol}.parquet")
        try:
            df = table.to_pandas()
        except Exception as exc:  # noqa: BLE001
            raise _Invalid(f"cannot convert to a frame: {exc}") from exc
        if not isinstance(df.index, pd.DatetimeIndex) or df.index.name != "date":
            raise _Invalid("index is not a 'date' DatetimeIndex")
        if df.index.tz is None:
            df.index = df.index.as_unit("ns")
        try:
            validate_frame(df, symbol)
        except DataError as exc:
            raise _Invalid(str(exc)) from exc
        if len(df) == 0:
            raise _Invalid("no rows")
        if meta.rows != len(df):
            raise _Invalid(f"metadata says {meta.rows} rows but the file has {len(df)}")
        if meta.first != df.index[0].date().isoformat() or meta.last != df.index[-1].date().isoformat():
            raise _Invalid("metadata first/last dates disagree with the rows")
        df.columns.name = None
        return df, meta

    def _quarantine(self, path: Path) -> Path:
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        dest = self.quarantine_dir / f"{path.stem}.{stamp}{path.suffix}"
        shutil.move(str(path), str(dest))
        return dest

    # -- status -----------------------------------------------------------------------------
    def status(self, *, stale_days: int = 5, today: pd.Timestamp | str | None = None) -> pd.DataFrame:
        """Summarise the store: one row per file, from metadata only (fast).

        Parameters
        ----------
        stale_days : int, default 5
            A file is ``stale`` when its last date is more than ``stale_days`` calendar days
            before ``today``. Synthetic files are never refreshed, so they report
            ``stale=False`` and are labelled by ``synthetic=True`` instead.
        today : date, optional
            Reference date (default: today, UTC).

        Returns
        -------
        pandas.DataFrame
            Columns ``symbol, source, first, last, rows, stale, synthetic, adjusted,
            fetched_at, problem`` (``problem`` is empty unless the metadata is unreadable;
            run :meth:`read` or ``pivot data verify`` for a full check).
        """
        ref = pd.Timestamp(today) if today is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
        ref = ref.normalize()
        rows = []
        for sym in self.symbols():
            try:
                m = self.read_meta(sym)
                last = pd.Timestamp(m.last)
                stale = (not m.synthetic) and (ref - last).days > stale_days
                rows.append(dict(symbol=sym, source=m.source, first=m.first, last=m.last,
                                 rows=m.rows, stale=bool(stale), synthetic=m.synthetic,
                                 adjusted=m.adjusted, fetched_at=m.fetched_at, problem=""))
            except DataError as exc:
                rows.append(dict(symbol=sym, source="?", first="", last="", rows=0, stale=True,
                                 synthetic=False, adjusted=False, fetched_at="",
                                 problem=str(exc)))
        cols = ["symbol", "source", "first", "last", "rows", "stale", "synthetic", "adjusted",
                "fetched_at", "problem"]
        return pd.DataFrame(rows, columns=cols)


class StoreWriteError(DataError, OSError):
    """A write failed at the operating-system level (read-only folder, full disk, data folder
    that is a file...). Both a :class:`~pivotlib.errors.DataError` (the CLI prints one line and
    exits 3) and an :class:`OSError` (``errno``/``strerror`` kept for callers that check them).
    The previous file, if any, is intact and no temporary file is left behind."""

    @classmethod
    def wrap(cls, exc: OSError, symbol: str, target: Path, root: Path) -> StoreWriteError:
        why = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            fix = "free disk space and retry"
        else:
            fix = (f"make {root} a writable folder, or point PIVOT_DATA_DIR at one "
                   "(free disk space if it is full)")
        err = cls(exc.errno, f"{symbol}: cannot write {target} ({why}); {fix}; the previous "
                             "file, if any, is unchanged")
        return err

    def __str__(self) -> str:
        return str(self.strerror)


class _Invalid(Exception):
    """Internal: a file failed validation (turned into DataError after quarantine)."""


def atomic_write(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write ``target`` atomically: ``write(fh)`` into a unique hidden temporary file beside
    it, fsync, ``os.replace``, fsync the folder; the temporary file never outlives a failure."""
    tmp = target.parent / f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        try:
            if tmp.exists():
                tmp.unlink()
        except OSError:
            pass
    _fsync_dir(target.parent)


def _fsync_dir(path: Path) -> None:
    """fsync a directory so a rename survives a power cut (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
