"""`pivot data fetch` through the real yfinance client, against recorded Yahoo answers.

A replay server (``tests/_yahoo_replay.py``) runs in its own process on 127.0.0.1 and answers
what yfinance 1.7 asks for (cookie, crumb, time-zone probe, ``v8/finance/chart``); only the host
is replaced (``PIVOT_YAHOO_HOST``), everything from ``yf.download`` down to its HTTP session is
the real code. Two fixture sets:

* recorded-format answers written here from the SYNTHETIC model (every machine runs them):
  a 24/7 crypto symbol with a partial current-day bar, an equity, a split, dividends;
* the real recorded answers in ``../shared/realdata`` (marked ``realdata``, skipped when absent).

After each test the server's process is gone (checked by pid). No test touches the internet.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import _yahoo_replay as replay_mod  # noqa: E402
from _clikit import cli  # noqa: E402
from fixtures.yahoo import charts  # noqa: E402

from pivotlib.data.calendar import sessions  # noqa: E402
from pivotlib.data.store import PriceStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HTTP = "gadicc__node-yahoo-finance2/tests/fixtures/http"
UNIVERSE = """symbol,role,calendar
APLD,ai_host,XNYS
MARA,miner,XNYS
NVDA,benchmark,XNYS
MSFT,benchmark,XNYS
AAPL,benchmark,XNYS
TSLA,benchmark,XNYS
QQQ,benchmark,XNYS
BTC-USD,crypto,24/7
"""


# ---- fixtures ---------------------------------------------------------------------------------
@pytest.fixture
def replay(tmp_path, monkeypatch, tmp_data_dir):
    """Start replay servers (``replay(bodies, faults)``); each is stopped by pid afterwards."""
    import yfinance as yf
    from yfinance import cache as yf_cache

    old_loc = yf_cache._TzDBManager.get_location()
    yf.set_tz_cache_location(str(tmp_path / "yf-cache"))  # private cookie/tz cache per test
    monkeypatch.delenv("PIVOT_OFFLINE", raising=False)
    started: list[replay_mod.Replay] = []

    def _start(bodies, faults=None, hang_seconds=5.0):
        rp = replay_mod.start(tmp_path / f"replay{len(started)}", bodies, faults,
                              hang_seconds=hang_seconds, max_seconds=180)
        started.append(rp)
        monkeypatch.setenv("PIVOT_YAHOO_HOST", rp.url)
        return rp

    yield _start
    for rp in started:
        rp.stop()
        assert rp.proc.poll() is not None
        with pytest.raises(ProcessLookupError):
            os.kill(rp.pid, 0)  # reaped: the pid is gone
    yf.set_tz_cache_location(old_loc)


@pytest.fixture
def universe_file(tmp_path) -> Path:
    p = tmp_path / "universe.csv"
    p.write_text(UNIVERSE)
    return p


def _fetch(universe_file, *args):
    return cli(["data", "fetch", *args, "--universe", str(universe_file), "--pause", "0",
                "--quiet"])


def _store() -> PriceStore:
    return PriceStore()


# ---- SYNTHETIC recorded-format answers --------------------------------------------------------
def _synthetic(symbol: str) -> pd.Series:
    """The SYNTHETIC model's closes of ``symbol`` (the embedded demo dataset)."""
    df, _ = PriceStore(ROOT / "data" / "synthetic").read(symbol)
    return df["close"]


def _today_utc() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()


def _equity_days(n: int) -> pd.DatetimeIndex:
    """The last ``n`` NYSE sessions strictly before today's New York date."""
    ny_today = pd.Timestamp.now(tz="America/New_York").tz_localize(None).normalize()
    idx = sessions(ny_today - pd.Timedelta(days=3 * n), ny_today - pd.Timedelta(days=1))
    return idx[-n:]


def _write(tmp_path: Path, name: str, body: dict) -> Path:
    p = tmp_path / "bodies" / f"{name}.json"
    p.parent.mkdir(exist_ok=True)
    p.write_text(json.dumps(body))
    return p


def _btc_answer(tmp_path: Path, n: int = 120) -> tuple[Path, pd.Series]:
    """SYNTHETIC BTC-USD: ``n`` complete UTC days to yesterday plus today's partial bar."""
    c = _synthetic("BTC-USD").iloc[-(n + 1):].to_numpy()
    days = pd.date_range(end=_today_utc(), periods=n + 1, freq="D")
    body = charts.build_chart("BTC-USD", days, c, tz="UTC")
    return _write(tmp_path, "BTC-USD", body), pd.Series(c, index=days)


def _equity_answer(tmp_path: Path, symbol: str, n: int = 120, *, name: str | None = None,
                   splits: dict[str, float] | None = None,
                   dividends: dict[str, float] | None = None,
                   days: pd.DatetimeIndex | None = None,
                   closes: np.ndarray | None = None) -> tuple[Path, pd.DataFrame]:
    """SYNTHETIC equity answer, as Yahoo gives it: ``close`` split-adjusted, ``adjclose`` also
    dividend-adjusted (each dividend multiplies earlier prices by ``1 - D / previous close``)."""
    days = _equity_days(n) if days is None else days
    c = _synthetic(symbol).iloc[-len(days):].to_numpy().copy() if closes is None else closes
    c = np.asarray(c, dtype=float)
    for d, r in (splits or {}).items():
        c[days < pd.Timestamp(d)] /= r
    adj = c.copy()
    for d, amount in (dividends or {}).items():
        i = int(days.searchsorted(pd.Timestamp(d)))
        adj[:i] *= 1 - amount / c[i - 1]
    body = charts.build_chart(symbol, days, c, tz="America/New_York", splits=splits,
                              dividends=dividends, adjclose=adj)
    frame = pd.DataFrame({"close": c, "adj_close": adj}, index=days)
    return _write(tmp_path, name or symbol, body), frame


def test_replay_synthetic_fetch_stores_the_recorded_answer(replay, tmp_path, universe_file):
    """SYNTHETIC: closes equal the answer's; BTC on UTC calendar days without today's partial
    bar; the equity on NYSE sessions; dividends in adj_close only; events in the metadata."""
    btc, btc_c = _btc_answer(tmp_path)
    days = _equity_days(120)
    divs = {str(days[40].date()): 0.30, str(days[100].date()): 0.30}
    mara, mara_f = _equity_answer(tmp_path, "MARA", dividends=divs, days=days)
    apld, apld_f = _equity_answer(tmp_path, "APLD", days=days)
    rp = replay({"BTC-USD": btc, "MARA": mara, "APLD": apld})
    start = str(days[0].date())
    r = _fetch(universe_file, "BTC-USD", "MARA", "APLD", "--start", start)
    assert r.rc == 0, r.err
    st = _store()
    b, bmeta = st.read("BTC-USD")
    # today's UTC bar is still trading: dropped; every other day kept, on its UTC date
    assert b.index[-1] == _today_utc() - pd.Timedelta(days=1)
    assert (b.index.to_series().diff().dropna() == pd.Timedelta(days=1)).all()
    want = btc_c[(btc_c.index >= pd.Timestamp(start)) & (btc_c.index < _today_utc())]
    np.testing.assert_allclose(b["close"].to_numpy(), want.to_numpy(), rtol=1e-12)
    assert list(b.index) == list(want.index)
    for sym, f in (("MARA", mara_f), ("APLD", apld_f)):
        df, meta = st.read(sym)
        assert list(df.index) == list(days)  # New York sessions, none shifted by a time zone
        np.testing.assert_allclose(df["close"].to_numpy(), f["close"].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(df["adj_close"].to_numpy(), f["adj_close"].to_numpy(),
                                   rtol=1e-12)
        assert meta.source == "yahoo" and meta.adjusted is False
    m = st.read_meta("MARA")
    assert m.extra["last_fetch"]["events"]["dividends"] == {d: 0.30 for d in divs}
    assert "repair=True" in m.extra["repair"] and m.extra["last_fetch"]["repaired"] == []
    # the real client asked the real endpoints (host replaced only)
    hosts = {e["host"] for e in rp.requests()}
    assert "query2.finance.yahoo.com" in hosts and "fc.yahoo.com" in hosts


@pytest.mark.parametrize("clock,kept", [("15:59", False), ("16:31", True)])
def test_replay_equity_bar_of_a_session_still_trading_is_dropped(replay, tmp_path,
                                                                 universe_file, clock, kept):
    """The answer's last session, fetched at 15:59 New York that day, is still trading: not
    stored; at 16:31 it is final and stored (the clock is passed in: no wall-clock race)."""
    days = _equity_days(40)
    apld, f = _equity_answer(tmp_path, "APLD", 40, days=days)
    replay({"APLD": apld})
    last = days[-1]
    now = pd.Timestamp(f"{last.date()} {clock}", tz="America/New_York")
    rep, _ = _lib_fetch(universe_file, ["APLD"], start=str(days[0].date()),
                        end=str(last.date()), today=str(last.date()), now=now)
    assert rep.ok, (rep.errors, rep.refused)
    df = _store().read("APLD")[0]
    assert (df.index[-1] == last) is kept
    assert df.index[-1] == (last if kept else days[-2])


def test_replay_second_fetch_asks_only_for_missing_days_and_merges(replay, tmp_path,
                                                                   universe_file):
    days = _equity_days(120)
    apld, f = _equity_answer(tmp_path, "APLD", days=days)
    rp = replay({"APLD": apld})
    first_end = days[80]
    r = _fetch(universe_file, "APLD", "--start", str(days[0].date()), "--end",
               str(first_end.date()))
    assert r.rc == 0, r.err
    assert _store().read_meta("APLD").last == str(first_end.date())
    n_before = len(rp.requests("APLD"))
    r = _fetch(universe_file, "APLD")
    assert r.rc == 0, r.err
    data = [e for e in rp.requests("APLD")[n_before:] if "period1" in e["query"]]
    assert len(data) == 1
    asked = pd.Timestamp(int(data[0]["query"]["period1"]), unit="s", tz="UTC").tz_convert(
        "America/New_York").tz_localize(None).normalize()
    assert asked == days[80 - 5]  # the default overlap: 5 sessions before the stored last date
    df, meta = _store().read("APLD")
    assert list(df.index) == list(days)
    np.testing.assert_allclose(df["close"].to_numpy(), f["close"].to_numpy(), rtol=1e-12)


def test_replay_split_rewrite_is_explained_backed_up_and_noted(replay, tmp_path, universe_file):
    """Yahoo re-adjusts history for a 3:1 split after the stored end: stored with a backup."""
    days = _equity_days(120)
    before, f0 = _equity_answer(tmp_path, "APLD", days=days[:90], name="v1",
                                closes=_synthetic("APLD").iloc[-120:-30].to_numpy() * 3)
    rp = replay({"APLD": before})
    assert _fetch(universe_file, "APLD", "--start", str(days[0].date()), "--end",
                  str(days[89].date())).rc == 0
    split_day = str(days[100].date())
    raw = _synthetic("APLD").iloc[-120:].to_numpy().copy()
    raw[:100] *= 3  # as traded: three times higher before the split
    after, f1 = _equity_answer(tmp_path, "APLD", days=days, name="v2", closes=raw,
                               splits={split_day: 3.0})
    rp.configure(bodies={"APLD": after})
    r = _fetch(universe_file, "APLD")
    assert r.rc == 0, r.err
    assert f"split 3:1 on {split_day}" in r.out and "backup" in r.out
    df, meta = _store().read("APLD")
    np.testing.assert_allclose(df["close"].to_numpy(), f1["close"].to_numpy(), rtol=1e-12)
    assert meta.extra["last_fetch"]["action"] == "rewritten"
    assert meta.extra["last_fetch"]["events"]["splits"] == {split_day: 3.0}
    bk = cli(["data", "backups", "APLD"])
    assert "fetch" in bk.out and "90 rows" in bk.out


def test_replay_dividend_readjusts_adj_close_only_and_is_explained(replay, tmp_path,
                                                                   universe_file):
    """A dividend after the stored end: Yahoo scales every earlier adj_close by one factor and
    leaves close alone; the answer's dividend event explains it (backup + note)."""
    days = _equity_days(120)
    c = _synthetic("MARA").iloc[-120:].to_numpy()
    v1, _ = _equity_answer(tmp_path, "MARA", days=days[:90], name="v1", closes=c[:90])
    rp = replay({"MARA": v1})
    assert _fetch(universe_file, "MARA", "--start", str(days[0].date()), "--end",
                  str(days[89].date())).rc == 0
    ex = str(days[100].date())
    v2, f2 = _equity_answer(tmp_path, "MARA", days=days, name="v2", closes=c,
                            dividends={ex: 0.25})
    rp.configure(bodies={"MARA": v2})
    r = _fetch(universe_file, "MARA")
    assert r.rc == 0, r.err
    assert f"dividend 0.25 on {ex}" in r.out and "adj_close x" in r.out
    df, meta = _store().read("MARA")
    np.testing.assert_allclose(df["close"].to_numpy(), c, rtol=1e-12)
    np.testing.assert_allclose(df["adj_close"].to_numpy(), f2["adj_close"].to_numpy(),
                               rtol=1e-12)
    assert meta.extra["last_fetch"]["action"] == "rewritten"
    assert meta.extra["last_fetch"]["backup"]


def test_replay_absurd_or_unexplained_answers_are_refused(replay, tmp_path, universe_file):
    days = _equity_days(120)
    good, f = _equity_answer(tmp_path, "APLD", days=days[:100], name="good")
    rp = replay({"APLD": good})
    assert _fetch(universe_file, "APLD", "--start", str(days[0].date()), "--end",
                  str(days[99].date())).rc == 0
    path = _store().path("APLD")
    stored = path.read_bytes()
    # a x60 spike in the new rows (not one of the unit errors yfinance repairs): refused
    c = _synthetic("APLD").iloc[-120:].to_numpy().copy()
    c[110] *= 60
    bad, _ = _equity_answer(tmp_path, "APLD", days=days, name="x60", closes=c)
    rp.configure(bodies={"APLD": bad})
    r = _fetch(universe_file, "APLD")
    assert r.rc == 3 and "REFUSED" in r.err and "in one day" in r.err, r.err
    assert str(days[110].date()) in r.err
    assert path.read_bytes() == stored
    # every close 10% lower and no split or dividend to explain it
    low, f_low = _equity_answer(tmp_path, "APLD", days=days, name="low",
                                closes=_synthetic("APLD").iloc[-120:].to_numpy() * 0.9)
    rp.configure(bodies={"APLD": low})
    r = _fetch(universe_file, "APLD")
    assert r.rc == 3 and "do not explain" in r.err and "--full --replace" in r.err, r.err
    assert path.read_bytes() == stored
    # the user accepts it (--replace alone: the full history is fetched, never just the
    # incremental days): replaced, the old file backed up
    r = _fetch(universe_file, "APLD", "--replace")
    assert r.rc == 0, r.err
    assert len(_store().read("APLD")[0]) == len(days)
    np.testing.assert_allclose(_store().read("APLD")[0]["close"].to_numpy(),
                               f_low["close"].to_numpy(), rtol=1e-12)
    assert "replace" in cli(["data", "backups", "APLD"]).out or "fetch" in cli(
        ["data", "backups", "APLD"]).out


def test_replay_x100_day_is_repaired_by_yfinance_and_recorded(replay, tmp_path, universe_file):
    """A day in cents instead of dollars (x100) and one x0.01: yfinance's repair=True restores
    both (measured: exactly), the store says which dates were repaired; a genuine +79% day
    that stays is left alone."""
    days = _equity_days(250)
    true = _synthetic("APLD").iloc[-250:].to_numpy().copy()
    true[150:] *= 1.789  # a real AI-news day (APLD 2023-05-16 was +78.9%)
    bad = true.copy()
    bad[200] *= 100
    bad[30] *= 0.01
    body, _ = _equity_answer(tmp_path, "APLD", days=days, closes=bad)
    replay({"APLD": body})
    r = _fetch(universe_file, "APLD", "--start", str(days[0].date()))
    assert r.rc == 0, r.err
    df, meta = _store().read("APLD")
    np.testing.assert_allclose(df["close"].to_numpy(), true, rtol=1e-9)
    assert meta.extra["last_fetch"]["repaired"] == [str(days[30].date()), str(days[200].date())]
    assert "repaired" in r.out


# ---- faults -------------------------------------------------------------------------------
def _lib_fetch(universe_file, symbols, **kw):
    from pivotlib.data.loading import fetch_symbols

    sleeps: list[float] = []
    rep = fetch_symbols(symbols, kw.pop("start", None), kw.pop("end", None), _store(),
                        universe=universe_file, pause=0, sleep=sleeps.append,
                        rng=random.Random(7), **kw)
    return rep, sleeps


@pytest.mark.parametrize("fault", ["429", "503", "truncated"])
def test_replay_transient_faults_are_retried_with_backoff(replay, tmp_path, universe_file, fault):
    days = _equity_days(60)
    apld, f = _equity_answer(tmp_path, "APLD", 60, days=days)
    # enough faults that yfinance's own single retry (other cookie strategy) cannot hide them
    rp = replay({"APLD": apld}, faults={"APLD": [fault] * 4})
    rep, sleeps = _lib_fetch(universe_file, ["APLD"], start=str(days[0].date()), retries=4,
                             backoff=2.0)
    assert rep.ok, (rep.errors, rep.refused)
    assert len(sleeps) >= 1
    for k, s in enumerate(sleeps):  # documented full-jitter backoff
        assert 1.0 <= s <= min(60.0, 2.0 * 2 ** k)
    assert [e["fault"] for e in rp.requests("APLD")].count(fault) == 4
    np.testing.assert_allclose(_store().read("APLD")[0]["close"].to_numpy(), f["close"])


def test_replay_retry_of_a_past_range_asks_yahoo_again(replay, tmp_path, universe_file):
    """yfinance memoises chart answers for a range that ended in the past (any status, a 503
    too) for the life of the process: a retry must reach the server again, not the memo."""
    days = _equity_days(60)
    apld, f = _equity_answer(tmp_path, "APLD", 60, days=days)
    rp = replay({"APLD": apld}, faults={"APLD": ["503"] * 3})
    rep, sleeps = _lib_fetch(universe_file, ["APLD"], start=str(days[0].date()),
                             end=str(days[-10].date()), retries=4, backoff=2.0)
    assert rep.ok, (rep.errors, rep.refused)
    assert [e["fault"] for e in rp.requests("APLD")].count("503") == 3
    np.testing.assert_allclose(_store().read("APLD")[0]["close"].to_numpy(), f["close"][:-9])


def test_replay_hang_past_timeout_is_retried(replay, tmp_path, universe_file):
    days = _equity_days(30)
    apld, _ = _equity_answer(tmp_path, "APLD", 30, days=days)
    # two hangs: yfinance may retry once on its own (its other cookie strategy), depending on
    # the cookie state its process-wide session holds from earlier tests; with two, at least one
    # hang always reaches pivotlib's retry, whichever way yfinance went
    replay({"APLD": apld}, faults={"APLD": ["hang", "hang"]}, hang_seconds=4)
    rep, sleeps = _lib_fetch(universe_file, ["APLD"], start=str(days[0].date()), timeout=1.0,
                             retries=4)
    assert rep.ok, rep.errors
    assert 1 <= len(sleeps) <= 2  # (a hung request is logged by the server only when it ends)


@pytest.mark.parametrize("fault,said", [("empty", "no"), ("error", "")])
def test_replay_empty_or_error_answer_fails_exit_4_and_changes_nothing(
        replay, tmp_path, universe_file, fault, said):
    days = _equity_days(60)
    apld, _ = _equity_answer(tmp_path, "APLD", 60, days=days)
    rp = replay({"APLD": apld})
    assert _fetch(universe_file, "APLD", "--start", str(days[0].date()), "--end",
                  str(days[50].date())).rc == 0
    stored = _store().path("APLD").read_bytes()
    rp.configure(faults={"APLD": [fault] * 10})
    r = _fetch(universe_file, "APLD", "--retries", "1")
    assert r.rc == 4 and "APLD" in r.err and "FAILED" in r.err, r.err
    assert _store().path("APLD").read_bytes() == stored


def test_replay_retries_exhausted_exit_4(replay, tmp_path, universe_file, monkeypatch):
    days = _equity_days(30)
    apld, _ = _equity_answer(tmp_path, "APLD", 30, days=days)
    replay({"APLD": apld}, faults={"APLD": ["503"] * 50})
    monkeypatch.setattr("time.sleep", lambda s: None)  # the CLI's backoff, not the server
    r = _fetch(universe_file, "APLD", "--start", str(days[0].date()), "--retries", "2")
    assert r.rc == 4 and "APLD" in r.err and "after 3 attempts" in r.err, r.err
    assert not _store().exists("APLD")


def test_unreachable_host_one_attempt_cannot_reach_yahoo(tmp_data_dir, universe_file,
                                                          monkeypatch, tmp_path):
    """No route to Yahoo (a host that does not resolve): one attempt, exit 4, one line saying
    so, never yfinance's "possibly delisted" guess. The resolver failure is the real curl_cffi
    exception, raised where the host would be looked up (no DNS query leaves the machine)."""
    from urllib.parse import urlsplit

    import yfinance as yf
    from curl_cffi import requests as curl_requests
    from curl_cffi.requests.exceptions import DNSError
    from yfinance import cache as yf_cache

    old_loc = yf_cache._TzDBManager.get_location()
    yf.set_tz_cache_location(str(tmp_path / "yf-cache"))
    monkeypatch.delenv("PIVOT_OFFLINE", raising=False)
    monkeypatch.delenv("PIVOT_YAHOO_HOST", raising=False)
    hosts: list[str] = []

    def no_dns(self, method, url, *a, **kw):  # curl_cffi's transport, below pivotlib's session
        host = urlsplit(url).hostname
        hosts.append(host)
        raise DNSError(f"Failed to perform, curl: (6) Could not resolve host: {host}. See "
                       "https://curl.se/libcurl/c/libcurl-errors.html first for more details.")

    monkeypatch.setattr(curl_requests.Session, "request", no_dns)
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    try:
        r = _fetch(universe_file, "APLD", "MARA", "--start", "2024-01-02")
    finally:
        yf.set_tz_cache_location(old_loc)
    assert r.rc == 4, r.err
    assert "cannot reach Yahoo: curl: (6) Could not resolve host" in r.err
    assert "delisted" not in r.err and "no timezone" not in r.err
    assert [s for s in slept if s >= 1] == []  # no backoff: one attempt
    # one yf.download call: yfinance's own probe and retry per symbol, no retry by pivotlib
    assert hosts.count("query2.finance.yahoo.com") <= 2 * 2
    assert not _store().exists("APLD")


def test_refused_connection_is_cannot_reach_yahoo(tmp_data_dir, universe_file, monkeypatch,
                                                   tmp_path):
    """A real curl connection refused on 127.0.0.1 (nothing listens): one attempt, exit 4."""
    import socket

    import yfinance as yf
    from yfinance import cache as yf_cache

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    old_loc = yf_cache._TzDBManager.get_location()
    yf.set_tz_cache_location(str(tmp_path / "yf-cache"))
    monkeypatch.delenv("PIVOT_OFFLINE", raising=False)
    monkeypatch.setenv("PIVOT_YAHOO_HOST", f"http://127.0.0.1:{port}")
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    try:
        r = _fetch(universe_file, "APLD", "--start", "2024-01-02")
    finally:
        yf.set_tz_cache_location(old_loc)
    assert r.rc == 4 and "cannot reach Yahoo" in r.err, r.err
    assert "delisted" not in r.err
    assert [x for x in slept if x >= 1] == []


# ---- the real recorded answers ----------------------------------------------------------------
REAL = {  # symbol: (fixture, start, end)
    "NVDA": (f"{HTTP}/historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv.json",
             "2021-02-01", "2022-01-28"),
    "MSFT": (f"{HTTP}/historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.csv.json",
             "2021-02-01", "2022-01-28"),
    "AAPL": (f"{HTTP}/chart-AAPL-2020-08-31-to-2020-11-07.json", "2020-08-31", "2020-11-06"),
    "QQQ": (f"{HTTP}/chart-QQQ-2020-01-01-to-2020-01-03.json", "2020-01-01", "2020-01-02"),
    "BTC-USD": (f"{HTTP}/chart-BTC-USD-2020-01-01-to-2020-01-03.json", "2020-01-01",
                "2020-01-02"),
    "TSLA": (f"{HTTP}/historical-via-chart-dividends-TSLA-no-dividends.json", "2010-06-29",
             "2023-08-10"),
}
CSV = {  # symbol: (file, close column, adjusted close column or None)
    "NVDA": ("MarcinJarema__bitcoin-halving-market-impact/data/NVDA.csv", "Close", "Adj Close"),
    "BTC-USD": ("MarcinJarema__bitcoin-halving-market-impact/data/BTC-USD.csv", "Close", None),
    "QQQ": ("Cole-Krudwig__rl-regime-trading/data/QQQ.csv", "close", None),
}


def _recorded(path: Path) -> pd.DataFrame:
    from pivotlib.data.sources.yahoo import chart_to_frame, to_store_layout

    data = json.loads(path.read_text())
    body = data["response"]["bodyJson"] if "response" in data else data
    sym = body["chart"]["result"][0]["meta"]["symbol"]
    return to_store_layout(chart_to_frame(body, sym), sym)


def _csv(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df = df[pd.to_datetime(df["Date"], errors="coerce").notna()]
    df.index = pd.to_datetime(df["Date"]).dt.tz_localize(None).dt.normalize()
    return df


@pytest.mark.realdata
def test_replay_real_recorded_answers(replay, realdata, universe_file, capsys):
    """Every real recorded symbol through `pivot data fetch`: the store holds the recorded closes
    (and the independent CSV's where one exists); NVDA across its 2021 4:1 split and MSFT
    across its 2021 dividends. Prints the table the issue's closing note quotes."""
    bodies = {s: realdata / f for s, (f, _, _) in REAL.items()}
    replay(bodies)
    lines = []
    for sym, (fx, start, end) in REAL.items():
        r = _fetch(universe_file, sym, "--start", start, "--end", end)
        assert r.rc == 0, (sym, r.err)
        df, meta = _store().read(sym)
        rec = _recorded(realdata / fx)
        rec = rec[(rec.index >= pd.Timestamp(start)) & (rec.index <= pd.Timestamp(end))]
        assert list(df.index) == list(rec.index), sym  # no day shifted by a time zone
        d_rec = float(np.max(np.abs(df["close"] / rec["close"] - 1)))
        assert d_rec < 1e-12, sym
        line = (f"{sym:8s} rows {len(df):5d} {df.index[0].date()}..{df.index[-1].date()} "
                f"max rel diff vs recorded close {d_rec:.2e}")
        if sym in CSV:
            f, ccol, acol = CSV[sym]
            c = _csv(realdata / f)
            common = df.index.intersection(c.index)
            assert len(common) == len(df), sym
            d_csv = float(np.max(np.abs(df.loc[common, "close"] / c.loc[common, ccol] - 1)))
            assert d_csv < 1e-6, (sym, d_csv)
            line += f", vs CSV close {d_csv:.2e} on {len(common)} days"
            if acol:
                ratio = df.loc[common, "adj_close"] / c.loc[common, acol]
                spread = float(ratio.max() / ratio.min() - 1)
                assert spread < 1e-5, (sym, spread)  # one constant ratio (another adj. date)
                line += f", adj_close/CSV constant x{ratio.median():.6f} (spread {spread:.1e})"
        if sym in ("BTC-USD",):
            assert (df.index.to_series().diff().dropna() == pd.Timedelta(days=1)).all()
        lines.append(line)
    # NVDA: the 4:1 split on 2021-07-20 leaves close continuous (split-adjusted) and is noted
    nv, nmeta = _store().read("NVDA")
    assert nmeta.extra["last_fetch"]["events"]["splits"] == {"2021-07-20": 4.0}
    jump = nv["close"].pct_change().abs()
    assert jump.max() < 0.2
    lines.append(f"NVDA split 2021-07-20: close 07-19 {nv.loc['2021-07-19', 'close']:.4f} -> "
                 f"07-20 {nv.loc['2021-07-20', 'close']:.4f}; adj_close/close "
                 f"{(nv['adj_close'] / nv['close']).min():.6f}..{(nv['adj_close'] / nv['close']).max():.6f}")
    # MSFT: close is not dividend-adjusted; adj_close/close steps at each ex-date only
    ms, mmeta = _store().read("MSFT")
    divs = mmeta.extra["last_fetch"]["events"]["dividends"]
    assert sorted(divs) == ["2021-02-17", "2021-05-19", "2021-08-18", "2021-11-17"]
    ratio = ms["adj_close"] / ms["close"]
    steps = ratio.index[(ratio.diff().abs() > 1e-4).to_numpy()]
    assert [str(d.date()) for d in steps] == sorted(divs)
    lines.append("MSFT dividends " + ", ".join(f"{d} ${v:g}" for d, v in sorted(divs.items()))
                 + f": adj_close/close {ratio.iloc[0]:.6f} -> {ratio.iloc[-1]:.6f}, steps only "
                 "on the ex-dates; close unchanged")
    with capsys.disabled():
        print("\n" + "\n".join(lines))


@pytest.mark.realdata
@pytest.mark.parametrize("symbol", ["MSFT", "AAPL"])
def test_replay_real_gramistella(replay, realdata, universe_file, symbol):
    """The other recorder's raw chart bodies (yfinance-rs, 2025): same rules; the dividends the
    body lists are the ones stored, on New York dates."""
    fx = realdata / f"gramistella__yfinance-rs/tests/fixtures/history_chart_{symbol}.json"
    body = json.loads(fx.read_text())["chart"]["result"][0]
    want = sorted(pd.Timestamp(int(k), unit="s", tz="UTC").tz_convert("America/New_York")
                  .strftime("%Y-%m-%d") for k in (body.get("events") or {}).get("dividends", {}))
    rec = _recorded(fx)
    replay({symbol: fx})
    r = _fetch(universe_file, symbol, "--start", str(rec.index[0].date()), "--end",
               str(rec.index[-1].date()))
    assert r.rc == 0, r.err
    df, meta = _store().read(symbol)
    assert list(df.index) == list(rec.index)
    np.testing.assert_allclose(df["close"].to_numpy(), rec["close"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(df["adj_close"].to_numpy(), rec["adj_close"].to_numpy(),
                               rtol=1e-12)
    assert sorted(meta.extra["last_fetch"]["events"].get("dividends", {})) == want
    if symbol == "MSFT":
        assert want == ["2025-05-15", "2025-08-21"]


def test_bad_replacement_host_is_bad_input(tmp_data_dir, universe_file, monkeypatch):
    monkeypatch.delenv("PIVOT_OFFLINE", raising=False)
    monkeypatch.setenv("PIVOT_YAHOO_HOST", "127.0.0.1:9")  # no scheme
    r = _fetch(universe_file, "APLD", "--start", "2024-01-02")
    assert r.rc == 2 and "PIVOT_YAHOO_HOST" in r.err and "fix or unset it" in r.err, r.err


@pytest.mark.realdata
def test_replay_real_nvda_split_rewrites_a_pre_split_store(replay, realdata, universe_file,
                                                            tmp_path):
    """A store fetched before NVDA's 2021-07-20 4:1 split holds as-traded closes (4x). Yahoo's
    real recorded answer after the split divides them by 4 and carries the split event:
    the rewrite is explained (x0.25 before 2021-07-20), backed up, and the store then equals
    the recorded closes on all 252 days."""
    fx = realdata / REAL["NVDA"][0]
    data = json.loads(fx.read_text())["response"]["bodyJson"]
    res = data["chart"]["result"][0]
    split_ts = int(next(iter(res["events"]["splits"])))
    pre = json.loads(json.dumps(data))  # as Yahoo answered before the split: unadjusted
    r0 = pre["chart"]["result"][0]
    r0.pop("events")
    keep = [i for i, t in enumerate(r0["timestamp"]) if t < split_ts]
    r0["timestamp"] = [r0["timestamp"][i] for i in keep]
    for arrs in r0["indicators"].values():
        for a in arrs:
            for k, v in a.items():
                a[k] = [(v[i] * 4 if k != "volume" and v[i] is not None else v[i]) for i in keep]
    v1 = _write(tmp_path, "NVDA-pre-split", pre)
    rp = replay({"NVDA": v1})
    r = _fetch(universe_file, "NVDA", "--start", "2021-02-01", "--end", "2021-07-19")
    assert r.rc == 0, r.err
    before = _store().read("NVDA")[0]
    rp.configure(bodies={"NVDA": fx})
    r = _fetch(universe_file, "NVDA", "--end", "2022-01-28")
    assert r.rc == 0, r.err
    assert "split 4:1 on 2021-07-20" in r.out and "close x0.25" in r.out
    df, meta = _store().read("NVDA")
    rec = _recorded(fx)
    assert len(df) == 252 and list(df.index) == list(rec.index)
    np.testing.assert_allclose(df["close"].to_numpy(), rec["close"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(df["adj_close"].to_numpy(), rec["adj_close"].to_numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(df.loc[before.index, "close"].to_numpy() * 4,
                               before["close"].to_numpy(), rtol=1e-9)
    assert meta.extra["last_fetch"]["action"] == "rewritten"
    assert "fetch" in cli(["data", "backups", "NVDA"]).out
