"""Read daily price CSV files a user already has into store layout.

Accepted layouts (detected from the header rows, case-insensitive):

``yahoo-export``
    Yahoo Finance's "Download" CSV: ``Date,Open,High,Low,Close,Adj Close,Volume``
    (``null`` cells are treated as missing).
``yfinance-multiheader``
    What ``yf.download(...).to_csv()`` writes: two or three header rows, e.g.
    ``Price,Close,High,Low,Open,Volume`` / ``Ticker,HUT,HUT,...`` / ``Date,,,,,`` (yfinance
    >= 0.2.48), the older two-row form ``Date,Close,High,...`` / ``,HUT,HUT,...``, or
    ``group_by="ticker"`` files whose first row holds the tickers. A file holding several
    tickers needs ``symbol=`` to pick one.
``date-close``
    A plain ``Date,Close`` file (close only; open/high/low/volume become NaN).
``ohlcv``
    Any other header with a date column and a close column, e.g. lowercase
    ``date,open,high,low,close,volume``. Unknown extra columns (``Log_Return``,
    ``Dividends``...) are ignored and listed in ``frame.attrs["ignored_columns"]``.

The caller states whether ``close`` is split- and dividend-adjusted (``adjusted``); a file
that also has ``Adj Close`` keeps it as ``adj_close``.

Delimiters: ``,``; or ``;`` with decimal commas, or tabs (European spreadsheet exports).

Dates: ISO ``YYYY-MM-DD`` (a time or UTC offset after it is ignored: the calendar date as
written is kept, which is the exchange-local date in yfinance exports) or US ``MM/DD/YYYY``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from pivotlib.data.store import normalize_frame
from pivotlib.errors import InputError

_FIELD_ALIASES: dict[str, str] = {
    "open": "open", "high": "high", "low": "low", "close": "close", "close/last": "close",
    "price": "close", "adj close": "adj_close", "adj_close": "adj_close", "adjclose": "adj_close",
    "adjusted close": "adj_close", "adjusted_close": "adj_close", "adj. close": "adj_close",
    "volume": "volume", "vol": "volume",
}
_DATE_NAMES = {"date", "datetime", "timestamp", "time", "day"}
_INDEX_LABELS = {"", "price", "ticker", "index", "unnamed: 0"}
_ISO_RE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
_US_RE = re.compile(r"^\s*(\d{1,2}/\d{1,2}/\d{4})\s*$")
_DATEISH_RE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_MISSING = {"", "null", "nan", "na", "n/a", "none", "-"}


def read_price_csv(path: Path | str, adjusted: bool, symbol: str | None = None, *,
                   drop_after: str | pd.Timestamp | None = None,
                   start: str | pd.Timestamp | None = None,
                   keep_lines: bool = False) -> pd.DataFrame:
    """Read one symbol's daily prices from a CSV file.

    Parameters
    ----------
    path : path
        The CSV file.
    adjusted : bool
        Whether the file's ``Close`` is split- and dividend-adjusted (the user knows; a file
        cannot tell). Recorded in ``frame.attrs["adjusted"]`` and in the store metadata.
    symbol : str, optional
        The symbol; required to pick one ticker out of a multi-ticker yfinance file, and
        checked against the file's ``Ticker`` row when there is one.
    drop_after : date, optional
        Drop rows dated after this day (e.g. a last intraday row of a file exported during
        the session).
    start : date, optional
        Drop rows dated before this day.
    keep_lines : bool, default False
        Put the file line number of each row in ``attrs["lines"]`` (a tuple), for messages
        such as ``file.csv:12: ...`` (:mod:`pivotlib.data.ingest`).

    Returns
    -------
    pandas.DataFrame
        Store layout (index ``date``; float64 open, high, low, close, volume [, adj_close]).
        ``attrs``: ``symbol``, ``adjusted``, ``layout``, ``path``, ``ticker`` (from the file,
        if any), ``ignored_columns``, ``dropped_missing_close``, ``dropped_after`` (and ``lines``
        with ``keep_lines``).

    Raises
    ------
    InputError
        Missing/empty file, unknown layout (no date or no close column), unparsable date,
        non-numeric or negative price, duplicate dates; messages give the line number.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"CSV file {p} not found; check the path")
    with open(p, newline="", encoding="utf-8-sig") as fh:
        first_line = fh.readline()
        fh.seek(0)
        # Excel in many European locales writes ';' (with decimal commas) or tabs
        delim = ","
        if "," not in first_line and ";" in first_line:
            delim = ";"
        elif "," not in first_line and "\t" in first_line:
            delim = "\t"
        reader = csv.reader(fh, delimiter=delim)
        rows: list[tuple[int, list[str]]] = []
        try:
            for raw in reader:
                rows.append((reader.line_num, raw))
        except csv.Error as exc:
            raise InputError(f"{p}:{reader.line_num}: unreadable CSV ({exc})") from exc
    rows = [(n, r) for n, r in rows if r and any(c.strip() for c in r)]
    if not rows:
        raise InputError(f"{p} is empty; expected a header such as Date,Open,High,Low,Close,"
                         "Adj Close,Volume")

    # ---- header rows: the first row, plus following rows whose first cell is not a date ----
    headers = [rows[0][1]]
    k = 1
    while k < len(rows) and len(headers) < 3 and not _DATEISH_RE.match(rows[k][1][0]):
        first = rows[k][1][0].strip().lower()
        if first not in _INDEX_LABELS | _DATE_NAMES:
            break
        headers.append(rows[k][1])
        k += 1
    data = rows[k:]
    ncol = max(len(h) for h in headers)
    field_row, ticker_row = _classify_headers(headers, p)
    fields = [_norm(c) for c in field_row] + [""] * (ncol - len(field_row))
    tickers = (list(ticker_row) + [""] * (ncol - len(ticker_row))) if ticker_row else None

    # ---- date column ----
    date_col = next((i for i, f in enumerate(fields) if f in _DATE_NAMES), None)
    if date_col is None and fields and fields[0] in _INDEX_LABELS:
        date_col = 0
    if date_col is None:
        raise InputError(
            f"{p}:{rows[0][0]}: unknown CSV layout: no date column in header {field_row}; "
            "expected Date,Open,High,Low,Close,Adj Close,Volume (Yahoo export), yfinance's "
            "multi-header CSV, Date,Close, or date,open,high,low,close,volume"
        )

    # ---- pick the ticker (multi-ticker yfinance files) ----
    file_ticker = None
    if tickers is not None:
        present = sorted({t.strip() for i, t in enumerate(tickers) if i != date_col and t.strip()})
        if len(present) > 1:
            if symbol is None or symbol not in present:
                raise InputError(f"{p} holds several tickers {present}; pass the one to import "
                                 "with --symbol (symbol=)")
            file_ticker = symbol
        elif present:
            file_ticker = present[0]
            if symbol is not None and symbol != file_ticker:
                raise InputError(f"{p} holds {file_ticker} (its Ticker header row) but the "
                                 f"symbol given is {symbol}; pass --symbol {file_ticker} or "
                                 "use the right file")

    colmap: dict[str, int] = {}
    ignored: list[str] = []
    for i, f in enumerate(fields):
        if i == date_col:
            continue
        if file_ticker is not None and tickers is not None and tickers[i].strip() not in ("", file_ticker):
            continue
        target = _FIELD_ALIASES.get(f)
        if target is None:
            if field_row[i:i + 1] and field_row[i].strip():
                ignored.append(field_row[i].strip())
            continue
        if target in colmap:
            if target == "close" and f == "price":
                continue
            raise InputError(f"{p}:{rows[0][0]}: column {field_row[i]!r} appears twice")
        colmap[target] = i
    if "close" not in colmap:
        raise InputError(
            f"{p}:{rows[0][0]}: unknown CSV layout: no Close column in header {field_row}; "
            "expected Date,Open,High,Low,Close,Adj Close,Volume (Yahoo export), yfinance's "
            "multi-header CSV, Date,Close, or date,open,high,low,close,volume"
        )
    if not data:
        raise InputError(f"{p} has a header but no data rows")

    # ---- dates ----
    lines = np.array([n for n, _ in data])
    date_strs = [r[date_col] if date_col < len(r) else "" for _, r in data]
    dates = _parse_dates(date_strs, lines, p)

    # ---- date filters first (a bad cell outside the wanted range does not matter) ----
    keep = np.ones(len(data), dtype=bool)
    dropped_after = 0
    if drop_after is not None:
        cut = pd.Timestamp(drop_after).normalize()
        dropped_after = int((dates > cut).sum())
        keep &= np.asarray(dates <= cut)
    if start is not None:
        keep &= np.asarray(dates >= pd.Timestamp(start).normalize())
    data = [row for row, k in zip(data, keep) if k]
    lines, dates = lines[keep], dates[keep]

    # ---- values ----
    out = pd.DataFrame(index=pd.DatetimeIndex(dates, name="date"))
    for target, i in colmap.items():
        cells = [r[i].strip() if i < len(r) else "" for _, r in data]
        out[target] = _parse_numbers(cells, lines, p, field_row[i].strip() or target,
                                     decimal_comma=(delim == ";"))

    # ---- duplicates, checks ----
    dup = out.index.duplicated(keep=False)
    if dup.any():
        d0 = out.index[dup][0]
        where = lines[np.asarray(out.index == d0)]
        raise InputError(f"{p}: date {d0.date()} appears {len(where)} times (lines "
                         f"{', '.join(map(str, where))}); keep one row per date")
    no_close = np.asarray(out["close"].isna())
    dropped_missing = int(no_close.sum())
    out, lines = out[~no_close], lines[~no_close]
    for c in out.columns:
        neg = np.asarray(out[c] < 0)
        if neg.any():
            raise InputError(f"{p}:{lines[neg][0]}: negative {c} {out[c][neg].iloc[0]}; prices "
                             "and volumes must be >= 0")
    if len(out) == 0:
        raise InputError(f"{p}: no rows with a close price left to import")
    if not out.index.is_monotonic_increasing:
        order = np.argsort(out.index.to_numpy(), kind="stable")
        out, lines = out.iloc[order], lines[order]
    frame = normalize_frame(out, symbol or file_ticker or p.stem)
    layout = _layout_name(headers, colmap)
    frame.attrs.update(symbol=symbol or file_ticker or p.stem, adjusted=bool(adjusted),
                       layout=layout, path=str(p), ticker=file_ticker,
                       ignored_columns=ignored, dropped_missing_close=dropped_missing,
                       dropped_after=dropped_after)
    if keep_lines:
        frame.attrs["lines"] = tuple(int(n) for n in lines)
    return frame


def _norm(cell: str) -> str:
    return re.sub(r"\s+", " ", cell.strip().lower())


def _classify_headers(headers: list[list[str]], p: Path) -> tuple[list[str], list[str] | None]:
    """Return (field row, ticker row or None) among the header rows."""
    def n_fields(row: list[str]) -> int:
        return sum(1 for c in row[1:] if _norm(c) in _FIELD_ALIASES and _norm(c) != "price")

    field_row: list[str] | None = None
    ticker_row: list[str] | None = None
    for row in headers:
        rest = [c for c in row[1:] if c.strip()]
        if not rest:
            continue  # e.g. "Date,,,,," - names the index only
        if field_row is None and n_fields(row) > 0:
            field_row = list(row)
        elif ticker_row is None and _norm(row[0]) in {"ticker", ""}:
            ticker_row = list(row)
    if field_row is None:
        field_row = list(headers[0])
    # "Price,Close,..." puts the index label in the field row; a later "Date,,," row names it.
    if len(headers) > 1 and _norm(field_row[0]) in {"price", "ticker"}:
        field_row = ["Date"] + field_row[1:]
    return field_row, ticker_row


def _layout_name(headers: list[list[str]], colmap: dict[str, int]) -> str:
    if len(headers) > 1:
        return "yfinance-multiheader"
    cols = set(colmap)
    if cols == {"close"}:
        return "date-close"
    if {"open", "high", "low", "close", "adj_close", "volume"} <= cols:
        return "yahoo-export"
    return "ohlcv"


def _parse_dates(values: list[str], lines: np.ndarray, p: Path) -> pd.DatetimeIndex:
    iso = [_ISO_RE.match(v) for v in values]
    if all(iso):
        txt = [m.group(1) for m in iso]  # type: ignore[union-attr]
        fmt = "%Y-%m-%d"
    else:
        us = [_US_RE.match(v) for v in values]
        if all(us):
            txt = [m.group(1) for m in us]  # type: ignore[union-attr]
            fmt = "%m/%d/%Y"
        else:
            bad = next(i for i, (a, b) in enumerate(zip(iso, us)) if not a and not b)
            if any(iso):
                bad = next(i for i, a in enumerate(iso) if not a)
            raise InputError(f"{p}:{lines[bad]}: cannot parse date {values[bad]!r}; use "
                             "YYYY-MM-DD (or MM/DD/YYYY) in the first column")
    parsed = pd.to_datetime(pd.Series(txt), format=fmt, errors="coerce")
    if parsed.isna().any():
        bad = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise InputError(f"{p}:{lines[bad]}: cannot parse date {values[bad]!r} (not a real "
                         "calendar date)")
    return pd.DatetimeIndex(parsed).as_unit("ns")


def _parse_numbers(cells: list[str], lines: np.ndarray, p: Path, name: str,
                   decimal_comma: bool = False) -> np.ndarray:
    out = np.full(len(cells), np.nan)
    for j, c in enumerate(cells):
        if c.lower() in _MISSING:
            continue
        txt = c.replace("$", "").replace("\u00a0", "").replace(" ", "")
        if decimal_comma:  # 1.234,56 -> 1234.56
            txt = txt.replace(".", "").replace(",", ".")
        else:  # 1,234.56 -> 1234.56
            txt = txt.replace(",", "")
        try:
            out[j] = float(txt)
        except ValueError:
            raise InputError(f"{p}:{lines[j]}: {name} value {c!r} is not a number; fix or "
                             "blank that cell") from None
        if not np.isfinite(out[j]):
            raise InputError(f"{p}:{lines[j]}: {name} value {c!r} is not finite")
    return out
