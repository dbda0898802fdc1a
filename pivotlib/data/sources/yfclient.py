"""The real ``yfinance`` client: one ``yf.download`` call per batch, and the session it runs on.

:func:`yfinance_downloader` is the production downloader of :func:`pivotlib.data.sources.yahoo.
fetch_yahoo`; :func:`yahoo_session` is the ``curl_cffi`` session yfinance runs on (its own kind,
observed, so the real cause of a failure is known; its host replaceable for the replay tests).
"""

from __future__ import annotations

import ast
import logging
import re
from typing import Any

import pandas as pd

HOST_ENV = "PIVOT_YAHOO_HOST"
"""Environment variable: a base URL (``http://127.0.0.1:PORT``) that replaces every Yahoo host.

Set by the replay tests (``tests/_yahoo_replay.py``) so the real ``yfinance`` client runs
against recorded answers; only the scheme and host change, the path and query stay Yahoo's
(``https://query2.finance.yahoo.com/v8/...`` becomes ``BASE/query2.finance.yahoo.com/v8/...``).
Unset (the default), yfinance talks to Yahoo itself."""

_FAILED_TICKER_RE = re.compile(r"Failed to get ticker '([^']+)' reason: (.*)", re.S)


class _ErrorCapture(logging.Handler):
    """Collect the per-ticker errors that ``yf.download`` logs instead of raising."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.errors: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        m = _FAILED_TICKER_RE.search(msg)
        if m:  # the timezone probe failed: the real cause of a later "no timezone found"
            self._add(m.group(1), m.group(2).strip())
            return
        head, sep, tail = msg.partition("]: ")
        if not sep or not head.lstrip().startswith("["):
            return
        try:
            syms = ast.literal_eval(head.strip() + "]")
        except (ValueError, SyntaxError):
            return
        for s in syms if isinstance(syms, list) else []:
            self._add(str(s), tail.strip())

    def _add(self, ticker: str, text: str) -> None:
        text = text.split(" See https://curl.se", 1)[0].strip()
        prev = self.errors.get(ticker)
        # the first message logged is the root cause (e.g. the failed timezone probe)
        self.errors[ticker] = text if not prev or prev == text else f"{prev}; {text}"


def yfinance_downloader(tickers: list[str], start: str, end_exclusive: str, auto_adjust: bool,
                        timeout: float) -> tuple[pd.DataFrame, dict[str, str]]:
    """Call ``yf.download`` for one batch and return ``(frame, {ticker: error})``.

    ``progress=False``, ``group_by="ticker"``, ``actions=True`` (Yahoo's own split and
    dividend events travel with the prices: they are what may explain a rewritten history),
    ``repair=True`` (yfinance fixes Yahoo's known price errors, e.g. a day in cents instead of
    dollars; the repaired dates travel as ``attrs["repaired"]`` into the store's metadata, and
    the import's content checks still run on the result). Measured through the replay server
    (``tests/test_yahoo_replay.py``): on a SYNTHETIC year with one x100 and one x0.01 day it
    restored both exactly and left a genuine +78.9% and a -71% move alone; on the real recorded
    NVDA 2021 (split), MSFT 2021 (dividends), TSLA 2010-2023 and AAPL 2020 answers (3,855 rows)
    it changed nothing and made no extra request. ``threads`` limited to 2,
    ``multi_level_index=True`` (so every answer has the same shape). Errors that yfinance
    logs rather than raises are captured from its logger. yfinance memoises identical chart
    requests for a past range within a process (``YfData.cache_get``, responses of any
    status): that memo is cleared before each call, so a retry asks Yahoo again instead of
    replaying a 5xx.
    """
    import warnings

    import yfinance as yf

    logger = logging.getLogger("yfinance")
    cap = _ErrorCapture()
    logger.addHandler(cap)
    _forget_memoised_answers()
    session = yahoo_session()
    seen: dict[str, str] = getattr(session, "seen", {})
    seen.clear()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"yfinance(\..*)?")
            frame = yf.download(
                tickers, start=start, end=end_exclusive, auto_adjust=auto_adjust,
                actions=True, progress=False, group_by="ticker", repair=True,
                threads=min(2, len(tickers)), multi_level_index=True, timeout=timeout,
                session=session,
            )
    finally:
        logger.removeHandler(cap)
    errors = dict(cap.errors)
    for t in tickers:  # the real cause first (yfinance logs only its "possibly delisted" guess)
        cause = seen.get(t) or seen.get(t.upper())
        if cause:
            errors[t] = cause + (f"; {errors[t]}" if errors.get(t) else "")
    return (frame if frame is not None else pd.DataFrame()), errors


def _forget_memoised_answers() -> None:
    """Clear yfinance's in-process memo of chart answers (it keeps a 503 as well as a 200)."""
    try:
        from yfinance.data import YfData

        YfData.cache_get.cache_clear()
    except Exception:  # noqa: BLE001 - another yfinance layout: nothing to clear
        pass


_SESSIONS: dict[str, Any] = {}


def replacement_host() -> str:
    """The validated :data:`HOST_ENV` base URL, or "" when unset.

    Raises
    ------
    InputError
        It is set but not an ``http(s)://host[:port]`` URL.
    """
    import os
    from urllib.parse import urlsplit

    base = os.environ.get(HOST_ENV, "").strip().rstrip("/")
    if base and (urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc):
        from pivotlib.errors import InputError

        raise InputError(f"{HOST_ENV}={base!r} is not a base URL like http://127.0.0.1:8080; "
                         "fix or unset it")
    return base


def yahoo_session() -> Any:
    """The HTTP session ``yf.download`` runs on: yfinance's own kind, observed, one per process.

    A ``curl_cffi`` session impersonating Chrome, as yfinance makes itself, that also notes per
    symbol the transport error or HTTP error status of its last chart request (``.seen``):
    yfinance 1.7 swallows those (a 503, a truncated body, a timeout or an unresolvable host all
    end as "possibly delisted; no price data found"), and the retry rules need the real cause.
    The session object lives for the process, so yfinance's cookie and crumb stay valid.

    With :data:`HOST_ENV` (``PIVOT_YAHOO_HOST=http://127.0.0.1:PORT``) every request to a
    ``*.yahoo.com`` URL goes to that base instead, the original host becoming the first path
    segment; everything else (cookie, crumb, time-zone probe, chart request, parsing) is
    yfinance's own code. Returns None (yfinance's default session) when ``curl_cffi`` is not
    importable.

    Raises
    ------
    InputError
        :data:`HOST_ENV` is not an ``http(s)://host[:port]`` URL.
    """
    from urllib.parse import unquote, urlsplit

    base = replacement_host()
    if base in _SESSIONS:
        return _SESSIONS[base]
    try:
        from curl_cffi import requests as curl_requests
    except ImportError:  # yfinance falls back to requests: let it make its own session
        return None

    class _ObservedSession(curl_requests.Session):  # type: ignore[misc]
        seen: dict[str, str]

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            parts = urlsplit(url)
            host = parts.hostname or ""
            sym = (unquote(parts.path.rsplit("/", 1)[-1])
                   if "/v8/finance/chart/" in parts.path else "")
            if base and host.endswith("yahoo.com"):
                url = f"{base}/{host}{parts.path or '/'}" + (f"?{parts.query}" if parts.query
                                                             else "")
            try:
                resp = super().request(method, url, *args, **kwargs)
            except Exception as exc:
                if sym:
                    self.seen[sym] = f"{type(exc).__name__}: {exc}"
                raise
            if sym:
                if resp.status_code >= 400:
                    self.seen[sym] = f"HTTP {resp.status_code} from Yahoo for {host}{parts.path}"
                else:
                    self.seen.pop(sym, None)
            return resp

    sess = _ObservedSession() if base else _ObservedSession(impersonate="chrome")
    sess.seen = {}
    _SESSIONS[base] = sess
    return sess
