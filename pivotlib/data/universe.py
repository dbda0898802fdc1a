"""The universe of symbols: who is a miner, an AI host, a benchmark, crypto or an ETF.

The default file is ``data/universe.csv`` (:func:`pivotlib.config.universe_file`); users pass
their own with the same columns::

    symbol,name,role,yahoo_symbol,calendar,listed_from,notes

Only ``symbol`` and ``role`` are required. ``yahoo_symbol`` defaults to ``symbol``;
``calendar`` defaults to ``24/7`` for role ``crypto`` and ``XNYS`` otherwise; ``listed_from``
(ISO date, optional) is the first date whose history belongs to today's company - earlier
rows belong to another issuer (a SPAC shell, a reverse-merger partner, a pre-bankruptcy
equity) and are masked to NaN by the loaders in :mod:`pivotlib.data.loading`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from pivotlib import config
from pivotlib.data.filecache import FileCache, file_identity
from pivotlib.errors import InputError

ROLES: tuple[str, ...] = ("miner", "ai_host", "benchmark", "crypto", "etf")
COLUMNS: list[str] = ["symbol", "name", "role", "yahoo_symbol", "calendar", "listed_from", "notes"]
REQUIRED: tuple[str, ...] = ("symbol", "role")
_SYMBOL_RE = re.compile(r"^[A-Za-z0-9^=._\-]{1,32}$")
_CAL_RE = re.compile(r"^(24/7|[A-Z0-9]{3,5})$")


def load_universe(path: Path | str | None = None) -> pd.DataFrame:
    """Read and validate a universe file.

    Parameters
    ----------
    path : path, optional
        CSV file; default ``data/universe.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS` in that order, one row per symbol, in file order;
        ``listed_from`` is a datetime64 column (NaT when empty).

    Raises
    ------
    InputError
        Missing file or columns, or a bad row; the message names the file and line number.
    """
    p = Path(path) if path is not None else config.universe_file()
    if not p.is_file():
        raise InputError(f"universe file {p} not found; pass --universe FILE or create it "
                         f"with columns {','.join(COLUMNS)}")
    key = file_identity(p)
    hit = _UNIVERSE_CACHE.get(key)
    if hit is not None:
        return hit
    df = _read_universe(p)
    _UNIVERSE_CACHE.put(key, df)
    return df


_UNIVERSE_CACHE: FileCache[pd.DataFrame] = FileCache(pd.DataFrame.copy, maxsize=8)
"""Validated universes by file identity (a report's parameter check, dataset and catalog all
read the same file)."""


def _read_universe(p: Path) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    with open(p, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{p} is empty; it needs a header line {','.join(COLUMNS)}") from None
        header = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InputError(f"{p}:1: missing required column(s) {missing}; the header must "
                             f"contain {','.join(COLUMNS)} (only symbol and role are required)")
        unknown = [h for h in header if h and h not in COLUMNS]
        if unknown:
            raise InputError(f"{p}:1: unknown column(s) {unknown}; allowed: {','.join(COLUMNS)}")
        while True:
            line = reader.line_num + 1
            try:
                raw = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise InputError(f"{p}:{line}: unreadable CSV ({exc})") from exc
            if not raw or all(not c.strip() for c in raw):
                continue
            if raw[0].lstrip().startswith("#"):
                continue
            if len(raw) > len(header):
                raise InputError(f"{p}:{line}: {len(raw)} fields but the header has "
                                 f"{len(header)}; quote fields that contain commas")
            rec = {h: (raw[i].strip() if i < len(raw) else "") for i, h in enumerate(header) if h}
            rows.append(_validate_row(rec, p, line, seen))
    if not rows:
        raise InputError(f"{p} lists no symbols; add one row per symbol")
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["listed_from"] = pd.to_datetime(df["listed_from"]).astype("datetime64[ns]")
    df.attrs["path"] = str(p)
    return df


def _validate_row(rec: dict[str, str], p: Path, line: int, seen: dict[str, int]) -> dict[str, object]:
    sym = rec.get("symbol", "")
    if not sym:
        raise InputError(f"{p}:{line}: empty symbol")
    if not _SYMBOL_RE.match(sym):
        raise InputError(f"{p}:{line}: symbol {sym!r} has characters other than letters, "
                         "digits and ^ = . _ -")
    if sym in seen:
        raise InputError(f"{p}:{line}: symbol {sym} already listed on line {seen[sym]}; "
                         "keep one row per symbol")
    seen[sym] = line
    role = rec.get("role", "").lower()
    if role not in ROLES:
        raise InputError(f"{p}:{line}: {sym} has role {rec.get('role')!r}; use one of "
                         f"{', '.join(ROLES)}")
    cal = rec.get("calendar", "") or ("24/7" if role == "crypto" else "XNYS")
    if not _CAL_RE.match(cal):
        raise InputError(f"{p}:{line}: {sym} has calendar {cal!r}; use XNYS (NYSE sessions), "
                         "another exchange_calendars code, or 24/7 for crypto")
    lf_raw = rec.get("listed_from", "")
    listed: pd.Timestamp | None = None
    if lf_raw:
        try:
            listed = pd.Timestamp(lf_raw)
        except (ValueError, TypeError):
            listed = None
        if listed is None or pd.isna(listed) or not re.match(r"^\d{4}-\d{2}-\d{2}$", lf_raw):
            raise InputError(f"{p}:{line}: {sym} listed_from {lf_raw!r} is not a date; "
                             "use YYYY-MM-DD or leave it empty")
    ysym = rec.get("yahoo_symbol", "") or sym
    if not _SYMBOL_RE.match(ysym):
        raise InputError(f"{p}:{line}: yahoo_symbol {ysym!r} is not a valid ticker")
    return {"symbol": sym, "name": rec.get("name", "") or sym, "role": role,
            "yahoo_symbol": ysym, "calendar": cal, "listed_from": listed,
            "notes": rec.get("notes", "")}


def symbols_by_role(roles: str | Iterable[str] | None = None,
                    universe: pd.DataFrame | Path | str | None = None) -> list[str]:
    """Return the symbols whose role is in ``roles`` (all symbols if None), in file order.

    Parameters
    ----------
    roles : str or iterable of str, optional
        E.g. ``"miner"`` or ``["miner", "ai_host"]``.
    universe : DataFrame or path, optional
        A frame from :func:`load_universe`, or a path to load; default file if None.
    """
    u = universe if isinstance(universe, pd.DataFrame) else load_universe(universe)
    if roles is None:
        return u["symbol"].tolist()
    wanted = {roles} if isinstance(roles, str) else set(roles)
    bad = wanted - set(ROLES)
    if bad:
        raise InputError(f"unknown role(s) {sorted(bad)}; use {', '.join(ROLES)}")
    return u.loc[u["role"].isin(wanted), "symbol"].tolist()


def symbol_info(symbol: str, universe: pd.DataFrame | None) -> dict[str, object]:
    """Return the universe row of ``symbol`` as a dict, or defaults if it is not listed.

    Defaults for an unlisted symbol: calendar ``24/7`` if it ends in ``-USD`` (Yahoo's crypto
    pairs), else ``XNYS``; no ``listed_from``; ``yahoo_symbol`` = ``symbol``.
    """
    if universe is not None:
        hit = universe.loc[universe["symbol"] == symbol]
        if len(hit):
            return hit.iloc[0].to_dict()
    crypto = symbol.upper().endswith("-USD")
    return {"symbol": symbol, "name": symbol, "role": "crypto" if crypto else "",
            "yahoo_symbol": symbol, "calendar": "24/7" if crypto else "XNYS",
            "listed_from": pd.NaT, "notes": ""}
