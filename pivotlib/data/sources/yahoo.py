"""Yahoo Finance daily bars through ``yfinance``: batched, throttled, retried, never silent.

What this module guarantees
---------------------------
* **Offline mode** (``PIVOT_OFFLINE=1`` or ``pivot --offline``) raises
  :class:`~pivotlib.errors.OfflineError` *before* ``yfinance`` is even imported.
* **Explicit adjustment.** ``auto_adjust=False`` (the default) keeps Yahoo's ``Close`` (split-
  adjusted, *not* dividend-adjusted) as ``close`` and Yahoo's ``Adj Close`` (split- and
  dividend-adjusted) as ``adj_close``; the store metadata says ``adjusted=False``.
  ``auto_adjust=True`` makes every OHLC column dividend-adjusted, there is no ``adj_close``,
  and the metadata says ``adjusted=True``.
* **No progress bars, flat columns.** ``progress=False``; the ``(Ticker, Price)`` column
  MultiIndex of ``yf.download`` is split into one flat frame per symbol.
* **Batched and throttled.** Symbols are requested ``batch_size`` at a time
  (``group_by="ticker"``) with ``pause`` seconds between batches.
* **Retries.** Rate limits (``YFRateLimitError``, HTTP 429, "Too Many Requests"), timeouts and
  connection errors are retried with exponential backoff and full jitter
  (``sleep = uniform(0, min(max_backoff, backoff * 2**attempt))``, the "full jitter" scheme of
  Brooker, *Exponential Backoff And Jitter*, AWS Architecture Blog, 2015). ``yf.download``
  does not raise for a failed ticker - it logs the error and returns an empty column - so the
  default downloader captures the ``yfinance`` logger to learn which tickers failed and why.
* **Never a silent empty frame.** An empty answer, an all-NaN answer, or a history that ends
  before the requested end (beyond ``tolerance_days``) is a
  :class:`~pivotlib.errors.SourceError` naming the symbol. ``yfinance`` 1.7 returns an empty
  frame without raising when there is no network: that becomes a SourceError too.
* **Dates.** Tz-aware indexes become tz-naive dates: equities take the exchange-local
  (America/New_York) date, crypto (``*-USD``) the **UTC** date - Yahoo's BTC-USD daily bar is the
  UTC calendar day ending at 00:00 UTC (see :mod:`pivotlib.data.calendar`).
* **No route is not a delisting.** An unresolvable host or a refused connection is one
  attempt and one line, ``cannot reach Yahoo: <cause>``, never yfinance's "possibly delisted;
  no timezone found" guess; the remaining batches are not requested.

Test seams
----------
Every network call goes through a *downloader*: ``downloader(tickers, start, end_exclusive,
auto_adjust, timeout) -> (frame, errors)`` where ``frame`` looks like ``yf.download(...,
group_by="ticker")`` output and ``errors`` maps ticker -> error text. Unit tests pass a stub
built from chart-v8 JSON (:func:`chart_to_frame`); production uses
:func:`~pivotlib.data.sources.yfclient.yfinance_downloader`, which the replay tests
(``tests/test_yahoo_replay.py``) run for real against recorded Yahoo answers on 127.0.0.1 by
replacing only the host (:data:`~pivotlib.data.sources.yfclient.HOST_ENV`).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pivotlib import config
from pivotlib.data.sources.yfclient import (  # noqa: F401 - re-exported (tests, docs)
    HOST_ENV,
    _ErrorCapture,
    yahoo_session,
    yfinance_downloader,
)
from pivotlib.data.store import normalize_frame
from pivotlib.errors import OfflineError, SourceError

Downloader = Callable[[list[str], str, str, bool, float], tuple[pd.DataFrame, dict[str, str]]]
"""``(tickers, start, end_exclusive, auto_adjust, timeout) -> (frame, {ticker: error})``."""

_COLUMN_ALIASES = {"open": "open", "high": "high", "low": "low", "close": "close",
                   "adj close": "adj_close", "adj_close": "adj_close", "adjclose": "adj_close",
                   "volume": "volume"}
_TRANSIENT_MARKERS = ("ratelimit", "rate limit", "rate-limit", "too many requests", "429",
                      "timed out", "timeout", "connectionerror", "connection error",
                      "connection aborted", "connection reset", "temporarily unavailable",
                      "max retries exceeded", "curl: (28)", "curl: (18)", "curl: (52)",
                      "curl: (56)", "partial file", "500", "502", "503", "504",
                      "service unavailable", "internal server error", "bad gateway",
                      "expecting value", "unterminated string", "jsondecodeerror")


_NETWORK_MARKERS = ("could not resolve", "name or service not known", "dnserror",
                    "temporary failure in name resolution", "failed to establish",
                    "connection refused", "couldn't connect", "could not connect",
                    "network is unreachable", "no route to host", "curl: (5)", "curl: (6)",
                    "curl: (7)")
"""Errors that mean "no route to Yahoo at all": one attempt, no retry, never a delisting."""
_GUESS_RE = re.compile(r"\s*[;,]?\s*\(?possibly delisted[^;)]*\)?|\s*[;,]?\s*no timezone found",
                       re.I)


@dataclass
class YahooResult:
    """Outcome of :func:`fetch_yahoo`.

    Attributes
    ----------
    frames : dict
        symbol -> frame in store layout, for symbols that succeeded.
    errors : dict
        symbol -> one-line error message, for symbols that failed.
    attempts : int
        Total downloader calls made (retries included).
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    attempts: int = 0


def is_crypto(symbol: str) -> bool:
    """Return True for Yahoo crypto pairs such as ``BTC-USD`` (24/7, UTC daily bars)."""
    return symbol.upper().endswith(("-USD", "-USDT", "-EUR"))


def offline_message(symbols: Iterable[str]) -> str:
    """The OfflineError text: why nothing was fetched and how to get the data."""
    syms = list(symbols)
    shown = " ".join(syms[:5]) + (" ..." if len(syms) > 5 else "")
    first = syms[0] if syms else "SYMBOL"
    return (f"offline mode is on (PIVOT_OFFLINE=1 or --offline): not fetching {shown} from "
            f"Yahoo. Import a CSV you have with `pivot data import FILE --symbol {first}`, "
            "or unset PIVOT_OFFLINE (and drop --offline) to fetch")


def fetch_yahoo(symbols: Sequence[str], start: str | pd.Timestamp, end: str | pd.Timestamp,
                *, auto_adjust: bool = False, batch_size: int = 10, pause: float = 1.0,
                retries: int = 4, backoff: float = 2.0, max_backoff: float = 60.0,
                timeout: float = 20.0, tolerance_days: int = 5,
                downloader: Downloader | None = None,
                sleep: Callable[[float], None] = time.sleep,
                rng: random.Random | None = None,
                today: str | pd.Timestamp | None = None,
                now: pd.Timestamp | None = None,
                on_batch: Callable[[list[str]], None] | None = None) -> YahooResult:
    """Fetch daily bars for ``symbols`` from Yahoo.

    Parameters
    ----------
    symbols : sequence of str
        Yahoo tickers (``APLD``, ``BTC-USD``...).
    start, end : date
        Inclusive date range (``end`` is made exclusive+1 for Yahoo internally).
    auto_adjust : bool, default False
        See the module docstring: False keeps ``close`` (split-adjusted) and ``adj_close``.
    batch_size : int, default 10
        Tickers per ``yf.download`` call.
    pause : float, default 1.0
        Seconds between batches (throttle).
    retries : int, default 4
        Retries of a batch's transiently failed tickers (so at most ``retries + 1`` calls).
    backoff, max_backoff : float
        Full-jitter exponential backoff: sleep ``uniform(0, min(max_backoff, backoff*2**k))``
        before retry ``k`` (k = 0, 1, ...), but at least ``backoff / 2``.
    timeout : float
        Per-request timeout passed to yfinance.
    tolerance_days : int, default 5
        A history whose last date is more than this many calendar days before the last
        expected date (the last session on or before ``min(end, yesterday)``) is *partial*.
    downloader : callable, optional
        The network seam (default :func:`yfinance_downloader`).
    sleep : callable
        Injected for tests (default :func:`time.sleep`).
    rng : random.Random, optional
        Jitter source (seed it in tests).
    today : date, optional
        Reference "today" for the partial check (default: today, UTC).
    now : Timestamp, optional
        Current time (tz-aware; default now). Bars still in progress are dropped so the store
        never keeps an intraday print as a daily close: for crypto the current UTC day, for
        equities today's New York session before 16:30 New York time.
    on_batch : callable, optional
        Called with each finished batch's tickers (progress bars).

    Returns
    -------
    YahooResult

    Raises
    ------
    OfflineError
        Offline mode is on (raised before any network use).
    InputError
        Bad dates or batch size.
    """
    from pivotlib.data.calendar import _day

    syms = list(dict.fromkeys(symbols))
    if config.offline():
        raise OfflineError(offline_message(syms))
    if batch_size < 1:
        from pivotlib.errors import InputError

        raise InputError(f"batch size must be >= 1, got {batch_size}")
    start_ts, end_ts = _day(start), _day(end)
    if end_ts < start_ts:
        from pivotlib.errors import InputError

        raise InputError(f"end {end_ts.date()} is before start {start_ts.date()}; swap them")
    if downloader is None:
        from pivotlib.data.sources.yfclient import replacement_host

        replacement_host()  # a bad PIVOT_YAHOO_HOST is bad input (exit 2), not a Yahoo failure
    dl = downloader or yfinance_downloader
    rng = rng or random.Random()
    ref = _day(today) if today is not None else _day(pd.Timestamp.now(tz="UTC"))
    now_ts = pd.Timestamp(now) if now is not None else pd.Timestamp.now(tz="UTC")
    if now_ts.tz is None:
        now_ts = now_ts.tz_localize("UTC")
    end_excl = (end_ts + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    start_s = start_ts.strftime("%Y-%m-%d")
    result = YahooResult()

    network_down: str | None = None
    for b in range(0, len(syms), batch_size):
        batch = syms[b:b + batch_size]
        if network_down is not None:
            # a whole batch already failed to connect after every retry: do not wait through
            # the same backoff for each remaining batch
            for s in batch:
                result.errors[s] = (f"{s}: not requested: cannot reach Yahoo ({network_down}); "
                                    "check the connection and retry, or import a CSV "
                                    f"(`pivot data import FILE --symbol {s}`)")
            if on_batch is not None:
                on_batch(batch)
            continue
        if b > 0 and pause > 0:
            sleep(pause)
        pending = list(batch)
        last_err: dict[str, str] = {}
        attempt = 0
        while pending:
            result.attempts += 1
            whole_call_transient = False
            try:
                frame, errors = dl(list(pending), start_s, end_excl, auto_adjust, timeout)
            except Exception as exc:  # noqa: BLE001 - classified below
                if is_transient(exc) or _network_text(_describe(exc)):
                    # the exception itself says "retry" (type, HTTP status or text): every
                    # pending ticker is retried, whatever its message text looks like
                    errors = {s: _describe(exc) for s in pending}
                    frame = pd.DataFrame()
                    whole_call_transient = True
                else:
                    for s in pending:
                        result.errors[s] = f"{s}: Yahoo request failed ({_describe(exc)})"
                    break
            retry: list[str] = []
            unreachable = [s for s in pending
                           if _network_text(errors.get(s) or errors.get(s.upper()) or "")]
            if unreachable and len(unreachable) == len(pending):
                # no route to Yahoo at all (DNS, refused, unreachable): retrying cannot help and
                # yfinance's "possibly delisted; no timezone found" is a guess, not the cause
                network_down = unreachable_reason(errors.get(unreachable[0])
                                                  or errors.get(unreachable[0].upper()) or "")
                for s in pending:
                    result.errors[s] = (f"{s}: cannot reach Yahoo: {network_down}; nothing was "
                                        "changed. Check the network (or proxy/DNS) and retry "
                                        "(exit code 4), or import a CSV "
                                        f"(`pivot data import FILE --symbol {s}`)")
                break
            for s in pending:
                err = errors.get(s) or errors.get(s.upper())
                if err and _network_text(err):
                    err = unreachable_reason(err)
                if err and (whole_call_transient or _transient_text(err)):
                    retry.append(s)
                    last_err[s] = err
                    continue
                try:
                    sub = extract_symbol(frame, s)
                    df = drop_unfinished(to_store_layout(sub, s), s, now_ts)
                    check_complete(df, s, start_ts, end_ts, ref, tolerance_days)
                except SourceError as exc:
                    msg = str(exc)
                    if err:
                        msg += f" (yfinance said: {err})"
                    result.errors[s] = msg
                    continue
                df.attrs.update(source="yahoo", auto_adjust=bool(auto_adjust))
                result.frames[s] = df
            if not retry:
                break
            if attempt >= retries:
                for s in retry:
                    result.errors[s] = (f"{s}: Yahoo kept failing after {attempt + 1} attempts "
                                        f"({last_err.get(s)}); retry later "
                                        "(exit code 4) or import a CSV")
                if len(retry) == len(batch) and all(_network_text(last_err.get(s, ""))
                                                    for s in retry):
                    network_down = last_err.get(retry[0], "connection failed")
                break
            cap = min(max_backoff, backoff * (2 ** attempt))
            sleep(max(backoff / 2, rng.uniform(0, cap)) if cap > 0 else 0.0)
            attempt += 1
            pending = retry
        if on_batch is not None:
            on_batch(batch)
    return result


def fetch_one(symbol: str, start: str | pd.Timestamp, end: str | pd.Timestamp,
              **kwargs: Any) -> pd.DataFrame:
    """Fetch one symbol; raise :class:`SourceError` if it failed (see :func:`fetch_yahoo`)."""
    res = fetch_yahoo([symbol], start, end, **kwargs)
    if symbol in res.errors:
        raise SourceError(res.errors[symbol])
    return res.frames[symbol]


# ----------------------------------------------------------------------------------------
# classification helpers
# ----------------------------------------------------------------------------------------
def is_transient(exc: BaseException) -> bool:
    """Return True for errors worth retrying: rate limits, HTTP 429/5xx, timeouts, connections."""
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    name = type(exc).__name__.lower()
    if any(k in name for k in ("ratelimit", "timeout", "connection")):
        return True
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status in (429, 500, 502, 503, 504):
        return True
    return _transient_text(f"{type(exc).__name__}: {exc}")


def _transient_text(text: str) -> bool:
    t = text.lower()
    return any(m in t for m in _TRANSIENT_MARKERS)


def unreachable_reason(text: str) -> str:
    """One line saying why Yahoo cannot be reached, without yfinance's delisting guess.

    ``yfinance`` turns a failed connection into "possibly delisted; no timezone found"; the
    root cause is the first error it logged (e.g. ``curl: (6) Could not resolve host:
    query2.finance.yahoo.com``). That cause is kept, the guess dropped.
    """
    parts = [p.strip() for p in re.split(r";\s*", text) if p.strip()]
    keep = [p for p in parts if _network_text(p)] or parts
    first = _GUESS_RE.sub("", keep[0] if keep else text).strip(" ;,")
    at = first.find("curl: (")
    if at >= 0:
        first = first[at:].split(" See https://curl.se", 1)[0].rstrip(" .')\"")
    return first or "connection failed"


def _network_text(text: str) -> bool:
    """True for "cannot reach the host at all" errors (DNS, refused, unreachable)."""
    t = text.lower()
    return any(m in t for m in _NETWORK_MARKERS)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# ----------------------------------------------------------------------------------------
# frames
# ----------------------------------------------------------------------------------------
def extract_symbol(frame: pd.DataFrame | None, symbol: str) -> pd.DataFrame:
    """Return ``symbol``'s flat OHLCV frame out of a ``yf.download`` answer.

    Handles ``group_by="ticker"`` (level 0 = ticker) and ``group_by="column"`` (level 1 =
    ticker) MultiIndex columns, and flat columns (single-ticker answers).

    Raises
    ------
    SourceError
        ``frame`` is None or empty, or holds no columns for ``symbol``.
    """
    if frame is None or not isinstance(frame, pd.DataFrame) or frame.empty:
        raise SourceError(f"{symbol}: Yahoo returned no data (an empty answer, which yfinance "
                          "also gives when the network is down or blocked); check the "
                          "connection and retry, and if it persists check the symbol with "
                          "`pivot data status` / data/universe.csv")
    cols = frame.columns
    if isinstance(cols, pd.MultiIndex):
        for lvl in range(cols.nlevels):
            vals = [str(v) for v in cols.get_level_values(lvl)]
            if symbol in vals or symbol.upper() in vals:
                key = symbol if symbol in vals else symbol.upper()
                sub = frame.xs(key, axis=1, level=lvl)
                if isinstance(sub.columns, pd.MultiIndex):
                    sub.columns = [" ".join(str(x) for x in c if str(x)) for c in sub.columns]
                return sub
        raise SourceError(f"{symbol}: Yahoo's answer has no columns for {symbol} "
                          f"(got {sorted({str(v) for v in cols.get_level_values(0)})[:5]})")
    return frame


def to_store_layout(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """Convert one symbol's yfinance frame to store layout.

    Columns are renamed (``Adj Close`` -> ``adj_close``), extra columns (Dividends, Stock
    Splits, Repaired?) dropped, rows without a close dropped (``yf.download`` pads a batch to
    the union of its tickers' dates), tz-aware dates converted (UTC date for crypto, New York
    date otherwise).

    Raises
    ------
    SourceError
        No close column, nothing left, or an unusable payload.
    """
    if frame is None or frame.empty:
        raise SourceError(f"{symbol}: Yahoo returned no rows")
    df = frame.copy()
    actions = {name: pd.to_numeric(df[c], errors="coerce") for c in df.columns
               for name in ("dividends", "stock splits") if str(c).strip().lower() == name}
    repaired_col = next((df[c] for c in df.columns if str(c).strip().lower() == "repaired?"),
                        None)
    df.columns = [_COLUMN_ALIASES.get(str(c).strip().lower(), "") for c in df.columns]
    df = df.loc[:, [c for c in df.columns if c]]
    if "close" not in df.columns:
        raise SourceError(f"{symbol}: Yahoo's answer has no Close column (malformed payload)")
    df = df.loc[:, ~df.columns.duplicated()]
    try:
        idx = pd.DatetimeIndex(df.index)
    except (TypeError, ValueError) as exc:
        raise SourceError(f"{symbol}: Yahoo's answer has no usable dates ({exc})") from exc
    if idx.tz is not None:
        idx = idx.tz_convert("UTC" if is_crypto(symbol) else "America/New_York").tz_localize(None)
    df.index = idx.normalize()
    events: dict[str, dict[str, float]] = {}
    for name, sr in actions.items():
        sr = pd.Series(sr.to_numpy(), index=df.index)
        sr = sr[sr.notna() & (sr != 0)]
        key = "splits" if name == "stock splits" else "dividends"
        events[key] = {d.date().isoformat(): float(v) for d, v in sr.items()}
    repaired: list[str] = []
    if repaired_col is not None:
        flags = pd.Series(repaired_col.to_numpy(), index=df.index).fillna(False).astype(bool)
        repaired = [d.date().isoformat() for d in flags.index[flags.to_numpy()]]
    for c in df.columns:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    df = df[df["close"].notna()]
    if df.empty:
        raise SourceError(f"{symbol}: Yahoo returned no prices in the requested range "
                          "(all closes missing)")
    df = df[~df.index.duplicated(keep="last")].sort_index()
    bad = (df[[c for c in df.columns if c != "volume"]] < 0).any(axis=1)
    if bad.any():
        raise SourceError(f"{symbol}: Yahoo returned negative prices on {bad.idxmax().date()}")
    try:
        out = normalize_frame(df, symbol)
    except Exception as exc:  # noqa: BLE001
        raise SourceError(f"{symbol}: malformed Yahoo payload ({exc})") from exc
    out.attrs["events"] = events  # Yahoo's own splits ({date: ratio}) and dividends ({date: $})
    out.attrs["repaired"] = [d for d in repaired if pd.Timestamp(d) in out.index]
    return out


def drop_unfinished(df: pd.DataFrame, symbol: str, now: pd.Timestamp) -> pd.DataFrame:
    """Drop bars that are not final yet at ``now`` (tz-aware).

    Crypto: rows dated on or after the current UTC date (Yahoo's daily crypto bar closes at
    00:00 UTC). Equities: rows dated after the New York date, and today's row before 16:30
    New York time (the 16:00 close plus a margin for the closing auction print).

    Raises
    ------
    SourceError
        If nothing is left.
    """
    if is_crypto(symbol):
        cut = now.tz_convert("UTC").tz_localize(None).normalize()
        keep = df.index < cut
    else:
        ny = now.tz_convert("America/New_York").tz_localize(None)
        day = ny.normalize()
        final_today = ny >= day + pd.Timedelta(hours=16, minutes=30)
        keep = (df.index < day) | ((df.index == day) & final_today)
    out = df[keep]
    if out.empty:
        raise SourceError(f"{symbol}: Yahoo returned only an unfinished bar for today; "
                          "retry after the close")
    return out


def check_complete(df: pd.DataFrame, symbol: str, start: pd.Timestamp, end: pd.Timestamp,
                   today: pd.Timestamp, tolerance_days: int = 5) -> None:
    """Raise :class:`SourceError` if ``df`` stops short of the requested ``end``.

    The last expected date is ``min(end, today - 1 day)``, moved back to the previous NYSE
    session for equities; the answer is *partial* when its last date is more than
    ``tolerance_days`` calendar days earlier.
    """
    expected = min(end, today - pd.Timedelta(days=1))
    if expected < start:
        return
    if not is_crypto(symbol):
        from pivotlib.data.calendar import to_session

        try:
            expected = to_session(expected, "previous")
        except Exception:  # noqa: BLE001 - outside calendar: keep the raw date
            pass
    last = df.index[-1]
    gap = (expected - last).days
    if gap > tolerance_days:
        raise SourceError(
            f"{symbol}: partial answer from Yahoo: history ends {last.date()} but "
            f"{expected.date()} was requested ({gap} days short; delisted or renamed? "
            "Yahoo outage?). Retry later, or pass an earlier --end"
        )


def chart_to_frame(payload: dict[str, Any], symbol: str | None = None) -> pd.DataFrame:
    """Parse a Yahoo chart-v8 JSON body into a yfinance-style frame.

    The body is ``{"chart": {"result": [{"meta", "timestamp", "indicators": {"quote": [{open,
    high, low, close, volume}], "adjclose": [{"adjclose"}]}}], "error": null}}``. Timestamps
    are UTC epoch seconds; the index is converted to ``meta.exchangeTimezoneName`` as yfinance
    does (columns ``Open High Low Close Adj Close Volume``).

    Raises
    ------
    SourceError
        The body reports an error (unknown symbol...), or is malformed.
    """
    sym = symbol or "?"
    try:
        chart = payload["chart"]
    except (KeyError, TypeError):
        raise SourceError(f"{sym}: malformed Yahoo chart payload (no 'chart' key)") from None
    err = chart.get("error") if isinstance(chart, dict) else None
    if err:
        desc = err.get("description") if isinstance(err, dict) else str(err)
        raise SourceError(f"{sym}: Yahoo error: {desc} (unknown or delisted symbol?)")
    try:
        res = chart["result"][0]
        meta = res.get("meta", {})
        sym = symbol or meta.get("symbol", "?")
        ts = res.get("timestamp")
        if not ts:
            return pd.DataFrame(columns=["Open", "High", "Low", "Close", "Adj Close", "Volume"])
        quote = res["indicators"]["quote"][0]
        tz = meta.get("exchangeTimezoneName") or "UTC"
        idx = pd.to_datetime(np.asarray(ts, dtype="int64"), unit="s", utc=True).tz_convert(tz)
        n = len(idx)
        cols: dict[str, Any] = {}
        for k, name in [("open", "Open"), ("high", "High"), ("low", "Low"), ("close", "Close")]:
            cols[name] = _series(quote.get(k), n, k)
        adj = res["indicators"].get("adjclose")
        if adj:
            cols["Adj Close"] = _series(adj[0].get("adjclose"), n, "adjclose")
        cols["Volume"] = _series(quote.get("volume"), n, "volume")
        ev = res.get("events") or {}
        if ev:  # as yf.download(actions=True): amounts on the bar of the event's day
            day = idx.normalize()
            for kind, name in [("dividends", "Dividends"), ("splits", "Stock Splits")]:
                col = np.zeros(n)
                for item in (ev.get(kind) or {}).values():
                    when = pd.Timestamp(int(item["date"]), unit="s", tz="UTC").tz_convert(tz)
                    hit = np.flatnonzero(day == when.normalize())
                    if len(hit):
                        col[hit[0]] = (float(item["amount"]) if kind == "dividends" else
                                       float(item["numerator"]) / float(item["denominator"]))
                cols[name] = col
    except SourceError:
        raise
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise SourceError(f"{sym}: malformed Yahoo chart payload ({type(exc).__name__}: "
                          f"{exc})") from exc
    out = pd.DataFrame(cols, index=pd.DatetimeIndex(idx, name="Date"))
    return out


def _series(values: Any, n: int, name: str) -> np.ndarray:
    if values is None:
        raise ValueError(f"no {name!r} array")
    if len(values) != n:
        raise ValueError(f"{name!r} has {len(values)} values for {n} timestamps")
    return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")
