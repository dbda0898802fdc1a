"""Tests of pivotlib.data.sources.yahoo against chart-v8 responses built here (no network)."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.yahoo import charts  # chart-v8 bodies + fake yfinance downloader

from pivotlib.data.sources import yahoo
from pivotlib.data.sources.yahoo import (
    chart_to_frame,
    fetch_one,
    fetch_yahoo,
    is_transient,
    to_store_layout,
)
from pivotlib.errors import OfflineError, SourceError

TODAY = "2025-07-01"


@pytest.fixture
def online(monkeypatch):
    """Allow the (stubbed) Yahoo path: conftest sets PIVOT_OFFLINE=1 for every test."""
    monkeypatch.delenv("PIVOT_OFFLINE", raising=False)


class Sleeps(list):
    def __call__(self, s):
        self.append(s)


def _chart(symbol, start="2025-05-01", end="2025-06-30", base=10.0, tz="America/New_York",
           calendar="XNYS", adj=0.98):
    idx, closes = charts.sessions_closes(start, end, base=base, calendar=calendar)
    return charts.build_chart(symbol, idx, closes, tz=tz, adj_factor=adj), idx, closes


def _fetch(fake, symbols, start="2025-05-01", end="2025-06-30", **kw):
    kw.setdefault("sleep", Sleeps())
    kw.setdefault("rng", random.Random(0))
    return fetch_yahoo(symbols, start, end, downloader=fake, today=TODAY, **kw)


# ---- chart-v8 parsing ---------------------------------------------------------------------
def test_chart_to_frame_handmade_body():
    df = chart_to_frame(charts.load_json("handmade_ny_3days.json"))
    assert list(df.columns) == ["Open", "High", "Low", "Close", "Adj Close", "Volume"]
    assert str(df.index.tz) == "America/New_York"
    assert [d.date().isoformat() for d in df.index] == ["2025-06-02", "2025-06-03", "2025-06-04"]
    assert np.isnan(df["Open"].iloc[2]) and df["Close"].tolist() == [15.0, 15.1, 14.5]
    out = to_store_layout(df, "TEST")
    assert out.index.tz is None and str(out.index[0].date()) == "2025-06-02"
    assert out["adj_close"].tolist() == [14.9, 15.0, 14.5]


def test_chart_error_body_is_source_error_naming_symbol():
    with pytest.raises(SourceError, match=r"ZZZZ: Yahoo error: No data found.*delisted"):
        chart_to_frame(charts.load_json("unknown_symbol.json"), "ZZZZ")


@pytest.mark.parametrize("body", [
    charts.load_json("malformed_length_mismatch.json"),
    {"chart": {"result": [{"meta": {}, "timestamp": [1748871000]}], "error": None}},
    {"nochart": 1},
    ["not", "a", "dict"],
    {"chart": {"result": [], "error": None}},
])
def test_malformed_chart_bodies(body):
    with pytest.raises(SourceError, match="malformed"):
        chart_to_frame(body, "APLD")


# ---- fetch: normal, batching, throttling --------------------------------------------------
def test_normal_fetch_two_symbols(online):
    a, idx, closes = _chart("APLD")
    b, _, _ = _chart("HUT", base=20.0)
    fake = charts.FakeYahoo({"APLD": a, "HUT": b})
    res = _fetch(fake, ["APLD", "HUT"])
    assert res.errors == {} and res.attempts == 1
    assert fake.calls[0]["tickers"] == ["APLD", "HUT"]
    assert fake.calls[0]["end"] == "2025-07-01"  # inclusive end -> Yahoo's exclusive end
    assert fake.calls[0]["auto_adjust"] is False
    df = res.frames["APLD"]
    assert list(df.columns) == ["open", "high", "low", "close", "volume", "adj_close"]
    assert (df.index == idx).all() and df.index.tz is None
    np.testing.assert_allclose(df["close"], closes)
    np.testing.assert_allclose(df["adj_close"], closes * 0.98)
    assert res.frames["HUT"]["close"].iloc[0] == 20.0


def test_auto_adjust_true_has_no_adj_close(online):
    a, _, closes = _chart("APLD")
    fake = charts.FakeYahoo({"APLD": a})
    df = fetch_one("APLD", "2025-05-01", "2025-06-30", auto_adjust=True, downloader=fake,
                   today=TODAY, sleep=Sleeps())
    assert fake.calls[0]["auto_adjust"] is True
    assert "adj_close" not in df.columns
    np.testing.assert_allclose(df["close"], closes * 0.98)


def test_batches_and_throttle(online):
    syms = ["A", "B", "C", "D", "E"]
    fake = charts.FakeYahoo({s: _chart(s)[0] for s in syms})
    sleeps = Sleeps()
    finished = []
    res = _fetch(fake, syms, batch_size=2, pause=1.5, sleep=sleeps, on_batch=finished.append)
    assert [c["tickers"] for c in fake.calls] == [["A", "B"], ["C", "D"], ["E"]]
    assert sleeps == [1.5, 1.5]
    assert finished == [["A", "B"], ["C", "D"], ["E"]]
    assert sorted(res.frames) == syms


# ---- rate limits and transient errors -----------------------------------------------------
def test_rate_limited_then_success(online):
    a, _, _ = _chart("APLD")
    fake = charts.FakeYahoo({"APLD": a}, script=["429", "timeout", None])
    sleeps = Sleeps()
    res = _fetch(fake, ["APLD"], sleep=sleeps, backoff=2.0, max_backoff=60.0)
    assert res.errors == {} and "APLD" in res.frames
    assert res.attempts == 3 and len(fake.calls) == 3
    # full jitter: retry k sleeps in [backoff/2, backoff * 2**k]
    assert len(sleeps) == 2
    assert 1.0 <= sleeps[0] <= 2.0 and 1.0 <= sleeps[1] <= 4.0


def test_rate_limited_forever_is_source_error(online):
    a, _, _ = _chart("APLD")
    fake = charts.FakeYahoo({"APLD": a}, forever="429")
    sleeps = Sleeps()
    res = _fetch(fake, ["APLD"], sleep=sleeps, retries=3, backoff=1.0, max_backoff=3.0)
    assert "APLD" not in res.frames
    assert "after 4 attempts" in res.errors["APLD"] and "Too Many Requests" in res.errors["APLD"]
    assert len(fake.calls) == 4 and len(sleeps) == 3
    assert all(0.5 <= s <= 3.0 for s in sleeps)  # capped by max_backoff
    with pytest.raises(SourceError, match="APLD: Yahoo kept failing"):
        fetch_one("APLD", "2025-05-01", "2025-06-30", downloader=fake, today=TODAY,
                  sleep=Sleeps(), retries=1)


def test_only_failed_tickers_are_retried(online):
    a, _, _ = _chart("APLD")
    b, _, _ = _chart("HUT")
    rl = "YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')"
    fake = charts.FakeYahoo({"APLD": a, "HUT": b}, script=[{"HUT": rl}])
    res = _fetch(fake, ["APLD", "HUT"])
    assert [c["tickers"] for c in fake.calls] == [["APLD", "HUT"], ["HUT"]]
    assert sorted(res.frames) == ["APLD", "HUT"] and not res.errors


def test_non_transient_exception_is_not_retried(online):
    fake = charts.FakeYahoo({"APLD": ValueError("unexpected payload shape")})
    res = _fetch(fake, ["APLD"])
    assert len(fake.calls) == 1
    assert "APLD: Yahoo request failed" in res.errors["APLD"]


@pytest.mark.parametrize("exc,expected", [
    (TimeoutError("read timed out"), True),
    (ConnectionError("reset by peer"), True),
    (OSError("curl: (28) Operation timed out after 10000 ms"), True),
    (ValueError("bad json"), False),
    (KeyError("chart"), False),
])
def test_is_transient(exc, expected):
    assert is_transient(exc) is expected


def test_is_transient_http_429_and_yf_rate_limit():
    class Resp:
        status_code = 429

    class HTTPError(Exception):
        response = Resp()

    assert is_transient(HTTPError("Client Error"))
    assert is_transient(charts.yf_rate_limit_error())


# ---- empty, partial, unknown, malformed ---------------------------------------------------
def test_empty_answer_names_symbol(online):
    fake = charts.FakeYahoo({"APLD": "empty"})
    res = _fetch(fake, ["APLD"])
    assert res.errors["APLD"].startswith("APLD: Yahoo returned no data")
    with pytest.raises(SourceError, match="APLD"):
        fetch_one("APLD", "2025-05-01", "2025-06-30", downloader=fake, today=TODAY)


def test_partial_history_is_error(online):
    a, _, _ = _chart("APLD", end="2025-06-10")
    fake = charts.FakeYahoo({"APLD": a})
    res = _fetch(fake, ["APLD"], end="2025-06-30")
    assert "partial answer" in res.errors["APLD"] and "2025-06-10" in res.errors["APLD"]
    # within tolerance: ends 2025-06-26 (Thu) for a request to 2025-06-30 (Mon) -> 4 days short
    a2, _, _ = _chart("APLD", end="2025-06-26")
    res2 = _fetch(charts.FakeYahoo({"APLD": a2}), ["APLD"], end="2025-06-30", tolerance_days=5)
    assert "APLD" in res2.frames


def test_request_ending_today_is_not_partial(online):
    # data to yesterday's session is complete for a request ending today
    a, _, _ = _chart("APLD", end="2025-06-30")
    res = _fetch(charts.FakeYahoo({"APLD": a}), ["APLD"], end=TODAY, tolerance_days=0)
    assert "APLD" in res.frames, res.errors


def test_unknown_symbol_reported_with_yfinance_message(online):
    a, _, _ = _chart("APLD")
    fake = charts.FakeYahoo({"APLD": a})
    res = _fetch(fake, ["APLD", "NOPE"])
    assert "APLD" in res.frames
    assert res.errors["NOPE"].startswith("NOPE:") and "possibly delisted" in res.errors["NOPE"]
    assert len(fake.calls) == 1  # not a transient error: no retry


def test_malformed_frame_without_close(online):
    def dl(tickers, start, end, auto_adjust, timeout):
        idx = pd.date_range("2025-05-01", periods=3)
        cols = pd.MultiIndex.from_product([tickers, ["Open", "Volume"]])
        return pd.DataFrame(1.0, index=idx, columns=cols), {}

    res = fetch_yahoo(["APLD"], "2025-05-01", "2025-05-03", downloader=dl, today="2025-05-04")
    assert "no Close column" in res.errors["APLD"]


def test_negative_prices_rejected(online):
    a, _, _ = _chart("APLD")
    a["chart"]["result"][0]["indicators"]["quote"][0]["close"][3] = -1.0
    res = _fetch(charts.FakeYahoo({"APLD": a}), ["APLD"])
    assert "negative" in res.errors["APLD"]


# ---- timezones ----------------------------------------------------------------------------
def test_timezone_new_york_index_keeps_local_dates(online):
    a, idx, _ = _chart("APLD")
    fake = charts.FakeYahoo({"APLD": a}, keep_tz=True)
    df = _fetch(fake, ["APLD"]).frames["APLD"]
    assert df.index.tz is None and (df.index == idx).all()


def test_timezone_btc_utc_dates_even_when_converted_to_new_york(online):
    body, days, closes = _chart("BTC-USD", tz="UTC", calendar="24/7", base=60000.0)
    # yfinance aligns a mixed batch to the most common timezone: BTC's 00:00 UTC bars become
    # 19:00/20:00 of the PREVIOUS day in New York; the UTC date must still be used.
    fake = charts.FakeYahoo({"BTC-USD": body}, tz_convert="America/New_York")
    df = _fetch(fake, ["BTC-USD"]).frames["BTC-USD"]
    assert (df.index == days).all()
    assert df.loc["2025-05-03", "close"] == closes[2]  # a Saturday, UTC date
    fake_utc = charts.FakeYahoo({"BTC-USD": body}, keep_tz=True)
    df2 = _fetch(fake_utc, ["BTC-USD"]).frames["BTC-USD"]
    assert (df2.index == days).all()


# ---- offline --------------------------------------------------------------------------------
def test_offline_raises_before_any_call():
    fake = charts.FakeYahoo({})
    with pytest.raises(OfflineError) as ei:
        fetch_yahoo(["APLD", "HUT"], "2025-01-01", "2025-02-01", downloader=fake)
    msg = str(ei.value)
    assert "pivot data import FILE --symbol APLD" in msg and "PIVOT_OFFLINE" in msg
    assert fake.calls == []


# ---- the default downloader: yf.download stubbed, its logged errors captured -------------
def test_default_downloader_captures_logged_rate_limit(online, monkeypatch):
    import yfinance as yf

    body, idx, closes = _chart("APLD")
    calls = []

    def fake_download(tickers, **kw):
        calls.append((list(tickers), kw))
        assert kw["progress"] is False and kw["group_by"] == "ticker"
        assert kw["auto_adjust"] is False and kw["multi_level_index"] is True
        if len(calls) == 1:
            # what yfinance 1.7 does: log the failure, return an empty frame, raise nothing
            log = logging.getLogger("yfinance")
            log.error("\n1 Failed download:")
            log.error("['APLD']: YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')")
            cols = pd.MultiIndex.from_product([tickers, ["Open", "High", "Low", "Close",
                                                         "Adj Close", "Volume"]])
            return pd.DataFrame(columns=cols)
        df = chart_to_frame(body, "APLD")
        df.index = df.index.tz_localize(None)
        return pd.concat({"APLD": df}, axis=1, names=["Ticker", "Price"])

    monkeypatch.setattr(yf, "download", fake_download)
    sleeps = Sleeps()
    res = fetch_yahoo(["APLD"], "2025-05-01", "2025-06-30", today=TODAY, sleep=sleeps)
    assert res.errors == {} and len(calls) == 2 and len(sleeps) == 1
    np.testing.assert_allclose(res.frames["APLD"]["close"], closes)


def test_default_downloader_empty_frame_without_error_is_source_error(online, monkeypatch):
    import yfinance as yf

    monkeypatch.setattr(yf, "download", lambda tickers, **kw: pd.DataFrame())
    res = fetch_yahoo(["HUT"], "2025-05-01", "2025-06-30", today=TODAY, sleep=Sleeps())
    assert res.errors["HUT"].startswith("HUT: Yahoo returned no data")


def test_chart_json_round_trip_is_json_serialisable():
    body, _, _ = _chart("APLD")
    assert chart_to_frame(json.loads(json.dumps(body)), "APLD").shape[0] > 30


def test_module_does_not_import_yfinance_at_top():
    src = Path(yahoo.__file__).read_text()
    top = src.split("\ndef ", 1)[0]
    assert "import yfinance" not in top


# ---- unfinished bars ------------------------------------------------------------------------
def test_unfinished_bars_are_dropped(online):
    body, days, _ = _chart("BTC-USD", start="2025-06-01", end="2025-06-30", tz="UTC",
                           calendar="24/7")
    eq, idx, _ = _chart("APLD", start="2025-06-02", end="2025-06-30")
    fake = charts.FakeYahoo({"BTC-USD": body, "APLD": eq})
    # Monday 2025-06-30 15:00 New York (19:00 UTC): both of today's bars are still in progress
    now = pd.Timestamp("2025-06-30 19:00", tz="UTC")
    res = fetch_yahoo(["BTC-USD", "APLD"], "2025-06-01", "2025-06-30", downloader=fake,
                      today="2025-06-30", now=now, sleep=Sleeps())
    assert res.frames["BTC-USD"].index[-1] == pd.Timestamp("2025-06-29")
    assert res.frames["APLD"].index[-1] == pd.Timestamp("2025-06-27")
    # 17:00 New York: the equity bar is final; the UTC crypto day is not over (21:00 UTC)
    now2 = pd.Timestamp("2025-06-30 17:00", tz="America/New_York")
    res2 = fetch_yahoo(["BTC-USD", "APLD"], "2025-06-01", "2025-06-30", downloader=fake,
                       today="2025-06-30", now=now2, sleep=Sleeps())
    assert res2.frames["APLD"].index[-1] == pd.Timestamp("2025-06-30")
    assert res2.frames["BTC-USD"].index[-1] == pd.Timestamp("2025-06-29")
    # 21:00 New York = 01:00 UTC on 07-01: the 06-30 UTC bar is final
    now3 = pd.Timestamp("2025-06-30 21:00", tz="America/New_York")
    res3 = fetch_yahoo(["BTC-USD"], "2025-06-01", "2025-06-30", downloader=fake,
                       today="2025-07-01", now=now3, sleep=Sleeps())
    assert res3.frames["BTC-USD"].index[-1] == pd.Timestamp("2025-06-30")


def test_http_status_429_without_telltale_text_is_retried(online):
    class Resp:
        status_code = 503

    class HTTPError(Exception):
        response = Resp()

    a, _, _ = _chart("APLD")
    calls = []

    def dl(tickers, start, end, auto_adjust, timeout):
        calls.append(list(tickers))
        if len(calls) < 3:
            raise HTTPError("Server Error for url: https://query2.finance.yahoo.com/")
        return charts.FakeYahoo({"APLD": a})(tickers, start, end, auto_adjust, timeout)

    res = _fetch(dl, ["APLD"], retries=3)
    assert len(calls) == 3 and "APLD" in res.frames, res.errors


def test_unreachable_network_fails_fast_after_first_batch(online):
    dns = ("DNSError('Failed to perform, curl: (6) Could not resolve host: "
           "query2.finance.yahoo.com')")
    calls = []

    def dl(tickers, start, end, auto_adjust, timeout):
        calls.append(list(tickers))
        return pd.DataFrame(), {t: dns for t in tickers}

    sleeps = Sleeps()
    res = fetch_yahoo(["A", "B", "C", "D", "E"], "2025-05-01", "2025-06-30", downloader=dl,
                      today=TODAY, sleep=sleeps, batch_size=2, retries=2)
    assert calls == [["A", "B"]]  # no route to Yahoo: one attempt, no retries, no more batches
    assert res.errors["A"].startswith("A: cannot reach Yahoo: curl: (6) Could not resolve host")
    assert "delisted" not in res.errors["A"] and list(sleeps) == []
    assert res.errors["E"].startswith("E: not requested: cannot reach Yahoo")
    assert "pivot data import FILE --symbol E" in res.errors["E"]
    assert set(res.errors) == {"A", "B", "C", "D", "E"}


def test_rate_limit_does_not_trigger_fail_fast(online):
    a, _, _ = _chart("C")
    calls = []

    def dl(tickers, start, end, auto_adjust, timeout):
        calls.append(list(tickers))
        if tickers == ["A", "B"]:
            raise charts.yf_rate_limit_error()
        return charts.FakeYahoo({"C": a})(tickers, start, end, auto_adjust, timeout)

    res = fetch_yahoo(["A", "B", "C"], "2025-05-01", "2025-06-30", downloader=dl, today=TODAY,
                      sleep=Sleeps(), batch_size=2, retries=1)
    assert "C" in res.frames and calls[-1] == ["C"]


def test_error_capture_keeps_the_timezone_probe_cause():
    cap = yahoo._ErrorCapture()
    log = logging.getLogger("yfinance")
    log.addHandler(cap)
    try:
        log.error("Failed to get ticker 'APLD' reason: Failed to perform, curl: (6) Could not "
                  "resolve host: query2.finance.yahoo.com")
        log.error("\n1 Failed download:")
        log.error("['APLD']: YFTzMissingError('$APLD: possibly delisted; no timezone found')")
    finally:
        log.removeHandler(cap)
    err = cap.errors["APLD"]
    assert "no timezone found" in err and "Could not resolve host" in err
    # no route to Yahoo, not a delisting: reported as such (and not retried)
    assert yahoo._network_text(err)
    assert yahoo.unreachable_reason(err) == ("curl: (6) Could not resolve host: "
                                             "query2.finance.yahoo.com")
