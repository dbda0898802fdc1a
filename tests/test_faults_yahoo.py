"""Fault injection at the Yahoo boundary: every failure is a clear error, the store untouched.

The stub sits exactly where ``tests/test_yahoo.py`` puts it (the ``downloader`` seam of
:func:`pivotlib.data.sources.yahoo.fetch_yahoo`, fed chart-v8 bodies; or ``yfinance.download``
itself for the default downloader). Each test seeds a store file for APLD (Jan-Apr 2025),
runs the real incremental :func:`pivotlib.data.loading.fetch_symbols` against the fault, and checks:
the error names the symbol, the problem and what to do; the stored file is byte-identical
afterwards and still reads back.
"""

from __future__ import annotations

import logging
import random

import pandas as pd
import pytest
from _faultkit import TODAY, Sleeps, chart, charts, go_online, seed

from pivotlib.data.loading import fetch_symbols
from pivotlib.data.sources.yahoo import fetch_one
from pivotlib.data.store import PriceStore
from pivotlib.errors import SourceError


@pytest.fixture
def store(tmp_data_dir, monkeypatch):
    go_online(monkeypatch)
    st = PriceStore()
    return st


def _fetch(store, fake, symbols=("APLD",), **kw):
    kw.setdefault("sleep", Sleeps())
    kw.setdefault("rng", random.Random(0))
    kw.setdefault("pause", 0.0)
    return fetch_symbols(list(symbols), end="2025-06-30", store=store, downloader=fake,
                         today=TODAY, **kw)


def _untouched(store, symbol, before: bytes):
    assert store.path(symbol).read_bytes() == before, f"{symbol} file was modified"
    df, meta = store.read(symbol)
    assert meta.last == "2025-04-30" and len(df) == meta.rows
    assert not any(store.root.glob(".*.tmp")), "a temporary file was left behind"


def test_fault_yahoo_timeout_retries_then_clear_error(store):
    before = seed(store, "APLD")
    sleeps = Sleeps()
    fake = charts.FakeYahoo({"APLD": chart("APLD")}, forever="timeout")
    rep = _fetch(store, fake, retries=2, sleep=sleeps)
    msg = rep.errors["APLD"]
    assert len(fake.calls) == 3 and len(sleeps) == 2  # 1 try + 2 retries, backoff between
    assert msg.startswith("APLD:") and "after 3 attempts" in msg and "timed out" in msg
    assert "retry later" in msg and "import a CSV" in msg  # the fix
    assert not rep.written
    _untouched(store, "APLD", before)


def _seed_from_chart(store, symbol, start="2025-01-02", end="2025-04-30"):
    from pivotlib.data.sources.yahoo import chart_to_frame, to_store_layout

    df = to_store_layout(chart_to_frame(chart(symbol, start, end), symbol), symbol)
    return seed(store, symbol, df)


def test_fault_yahoo_timeout_then_recovers_appends(store):
    """A transient timeout is retried and the fetch then succeeds (incremental merge)."""
    _seed_from_chart(store, "APLD")
    fake = charts.FakeYahoo({"APLD": chart("APLD", start="2025-01-02")}, script=["timeout"])
    rep = _fetch(store, fake)
    assert rep.ok, rep.errors
    assert len(fake.calls) == 2 and fake.calls[0]["start"] > "2025-04-01"  # incremental
    df, meta = store.read("APLD")
    assert meta.last == "2025-06-30" and df.index[0] == pd.Timestamp("2025-01-02")


def test_fault_yahoo_revision_refetch_shorter_history_loses_nothing(store):
    """History rewritten (closes re-based) and Yahoo's "full" refetch starts later than the
    stored file: refused, the stored rows are not dropped; the message names the fix."""
    before = _seed_from_chart(store, "APLD")
    # closes re-based (a 2:1 split) and Yahoo's "full" history now starts only in April
    body = chart("APLD", start="2025-04-01", base=5.0)
    rep = _fetch(store, charts.FakeYahoo({"APLD": body}))
    msg = rep.refused["APLD"]
    assert "rewrites stored history" in msg and "--full --replace" in msg
    assert store.path("APLD").read_bytes() == before


def test_fault_yahoo_rate_limit_exception_retries_then_clear_error(store):
    before = seed(store, "APLD")
    fake = charts.FakeYahoo({"APLD": chart("APLD")}, forever="429")  # raises YFRateLimitError
    rep = _fetch(store, fake, retries=3)
    msg = rep.errors["APLD"]
    assert len(fake.calls) == 4
    assert "Too Many Requests" in msg and "after 4 attempts" in msg and "retry later" in msg
    _untouched(store, "APLD", before)
    with pytest.raises(SourceError, match="APLD: Yahoo kept failing"):
        fetch_one("APLD", "2025-05-01", "2025-06-30", downloader=fake, today=TODAY,
                  sleep=Sleeps(), retries=1)


class _Resp429:
    status_code = 429


class _HTTPError(Exception):
    """Shape of requests/curl_cffi HTTP errors: ``.response.status_code``."""

    response = _Resp429()


def _raising(message, calls):
    def dl(tickers, start, end, auto_adjust, timeout):
        calls.append(list(tickers))
        raise _HTTPError(message)
    return dl


def test_fault_yahoo_http_429_response_retries_then_clear_error(store):
    """requests-style ``429 Client Error: Too Many Requests`` raised by the HTTP layer."""
    before = seed(store, "APLD")
    calls = []
    dl = _raising("429 Client Error: Too Many Requests for url: "
                  "https://query2.finance.yahoo.com/v8/finance/chart/APLD", calls)
    rep = _fetch(store, dl, retries=2)
    assert len(calls) == 3
    msg = rep.errors["APLD"]
    assert "after 3 attempts" in msg and "Too Many Requests" in msg and "retry later" in msg
    _untouched(store, "APLD", before)


def test_fault_yahoo_http_status_429_without_text_is_retried(store):
    before = seed(store, "APLD")
    calls = []
    rep = _fetch(store, _raising("Client Error for url: https://query2.finance.yahoo.com/",
                                 calls), retries=2)
    _untouched(store, "APLD", before)
    assert len(calls) == 3, rep.errors


def test_fault_yahoo_rate_limit_logged_by_yf_download(store, monkeypatch):
    """yfinance 1.7 logs YFRateLimitError and returns an empty frame: still retried, then an error."""
    import yfinance as yf

    before = seed(store, "APLD")
    calls = []

    def fake_download(tickers, **kw):
        calls.append(list(tickers))
        logging.getLogger("yfinance").error(
            "['APLD']: YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')")
        cols = pd.MultiIndex.from_product([list(tickers), ["Open", "High", "Low", "Close",
                                                           "Adj Close", "Volume"]])
        return pd.DataFrame(columns=cols)

    monkeypatch.setattr(yf, "download", fake_download)
    rep = fetch_symbols(["APLD"], end="2025-06-30", store=store, today=TODAY, sleep=Sleeps(),
                        retries=2, pause=0.0)
    assert len(calls) == 3
    assert "Rate limited" in rep.errors["APLD"] and "after 3 attempts" in rep.errors["APLD"]
    _untouched(store, "APLD", before)


def test_fault_yahoo_empty_frame(store):
    before = seed(store, "APLD")
    fake = charts.FakeYahoo({"APLD": "empty"})
    rep = _fetch(store, fake)
    msg = rep.errors["APLD"]
    assert msg.startswith("APLD: Yahoo returned no data") and "network" in msg
    assert "delisted" not in msg  # an empty answer is what yfinance gives offline, too
    assert len(fake.calls) == 1  # not transient: no pointless retries
    _untouched(store, "APLD", before)


def test_fault_yahoo_empty_frame_from_yf_download_without_error(store, monkeypatch):
    """yf.download returning ``DataFrame()`` with nothing logged (what it does offline)."""
    import yfinance as yf

    before = seed(store, "APLD")
    monkeypatch.setattr(yf, "download", lambda tickers, **kw: pd.DataFrame())
    rep = fetch_symbols(["APLD"], end="2025-06-30", store=store, today=TODAY, sleep=Sleeps(),
                        pause=0.0)
    assert rep.errors["APLD"].startswith("APLD: Yahoo returned no data")
    _untouched(store, "APLD", before)


def test_fault_yahoo_partial_history(store):
    before = seed(store, "APLD")
    fake = charts.FakeYahoo({"APLD": chart("APLD", start="2025-04-01", end="2025-06-10")})
    rep = _fetch(store, fake)
    msg = rep.errors["APLD"]
    assert "partial answer" in msg and "2025-06-10" in msg and "Retry later" in msg
    _untouched(store, "APLD", before)


@pytest.mark.parametrize("kind", ["length_mismatch", "no_close_column", "garbage_dates"])
def test_fault_yahoo_malformed_payload(store, kind):
    before = seed(store, "APLD")
    if kind == "length_mismatch":
        fake = charts.FakeYahoo({"APLD": charts.load_json("malformed_length_mismatch.json")})
        expect = "malformed Yahoo chart payload"
    elif kind == "no_close_column":
        def fake(tickers, start, end, auto_adjust, timeout):
            idx = pd.date_range("2025-04-23", "2025-06-30")
            cols = pd.MultiIndex.from_product([tickers, ["Open", "Volume"]])
            return pd.DataFrame(1.0, index=idx, columns=cols), {}
        expect = "no Close column (malformed payload)"
    else:
        def fake(tickers, start, end, auto_adjust, timeout):
            cols = pd.MultiIndex.from_product([tickers, ["Open", "Close", "Volume"]])
            return pd.DataFrame(1.0, index=["x", "y", "z"], columns=cols), {}
        expect = "no usable dates"
    rep = _fetch(store, fake)
    assert rep.errors["APLD"].startswith("APLD:") and expect in rep.errors["APLD"]
    _untouched(store, "APLD", before)


def test_fault_yahoo_nonexistent_symbol(store):
    """An unknown ticker is reported by name; the other symbol is still written; no file is
    created for the unknown one, and an unrelated stored file is untouched."""
    before_hut = seed(store, "HUT")
    _seed_from_chart(store, "APLD")
    fake = charts.FakeYahoo({"APLD": chart("APLD", start="2025-01-02")})
    rep = _fetch(store, fake, symbols=("APLD", "NOPEZZ"))
    msg = rep.errors["NOPEZZ"]
    assert msg.startswith("NOPEZZ:") and "possibly delisted" in msg
    nope_calls = [c for c in fake.calls if "NOPEZZ" in c["tickers"]]
    assert len(nope_calls) == 1  # a missing symbol is not retried
    assert rep.written["APLD"] > 0 and store.read("APLD")[1].last == "2025-06-30"
    assert not store.exists("NOPEZZ")
    assert store.path("HUT").read_bytes() == before_hut


def test_fault_yahoo_symbol_vanished_keeps_stored_file(store):
    """A stored symbol that Yahoo no longer knows (delisted/renamed): stored file untouched."""
    before = seed(store, "APLD")
    fake = charts.FakeYahoo({})  # every ticker -> YFPricesMissingError
    rep = _fetch(store, fake)
    assert "possibly delisted" in rep.errors["APLD"]
    _untouched(store, "APLD", before)


def test_fault_yahoo_failure_exit_code_via_cli(tmp_data_dir, monkeypatch, capsys):
    """`pivot data fetch` with a failing source exits 4 and prints the symbol's error."""
    from pivotlib.cli import main
    from pivotlib.data.sources import yahoo

    go_online(monkeypatch)
    st = PriceStore()
    before = seed(st, "APLD")
    fake = charts.FakeYahoo({"APLD": chart("APLD")}, forever="429")
    monkeypatch.setattr(yahoo, "yfinance_downloader", fake)
    real = yahoo.fetch_yahoo
    monkeypatch.setattr(yahoo, "fetch_yahoo", lambda *a, **k: real(*a, **{**k, "sleep": Sleeps()}))
    rc = main(["data", "fetch", "APLD", "--end", "2025-06-30", "--retries", "1", "--pause", "0",
               "--quiet"])
    err = capsys.readouterr().err
    assert rc == SourceError.exit_code == 4
    assert "APLD" in err and "FAILED" in err and "Too Many Requests" in err
    assert st.path("APLD").read_bytes() == before
