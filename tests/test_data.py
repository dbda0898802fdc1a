"""Tests of pivotlib.data.loading: dataset loaders, calendar alignment, listed_from masks, incremental
fetch (stubbed at the yfinance boundary), import."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fixtures.yahoo import charts  # chart-v8 bodies + fake yfinance downloader

from pivotlib import config
from pivotlib.data.calendar import sessions
from pivotlib.data.loading import (
    fetch_symbols,
    import_csv,
    load_prices,
    load_returns,
    load_volumes,
    resolve_dataset,
)
from pivotlib.data.store import PriceStore, SymbolMeta
from pivotlib.errors import DataError, InputError, OfflineError

UNIVERSE = """symbol,name,role,yahoo_symbol,calendar,listed_from,notes
APLD,Applied Digital,ai_host,APLD,XNYS,,
WULF,TeraWulf,miner,WULF,XNYS,2024-01-10,before this another issuer
BTC-USD,Bitcoin,crypto,BTC-USD,24/7,,
SPY,S&P 500,benchmark,SPY,XNYS,,
"""


@pytest.fixture
def universe(tmp_path):
    p = tmp_path / "universe.csv"
    p.write_text(UNIVERSE)
    return p


def _equity(start="2024-01-02", end="2024-02-29", base=10.0, step=0.1):
    idx = sessions(start, end)
    c = base + step * np.arange(len(idx))
    return pd.DataFrame({"open": c, "high": c * 1.01, "low": c * 0.99, "close": c,
                         "volume": 100.0 + np.arange(len(idx))}, index=idx)


def _crypto(start="2024-01-01", end="2024-02-29"):
    idx = pd.date_range(start, end, freq="D", name="date")
    c = 40000.0 * np.exp(0.01 * np.sin(np.arange(len(idx))))
    return pd.DataFrame({"open": c, "high": c, "low": c, "close": c,
                         "volume": np.full(len(idx), 10.0)}, index=idx)


@pytest.fixture
def filled_store(tmp_data_dir):
    st = PriceStore(config.store_dir())
    st.write("APLD", _equity(), SymbolMeta("APLD", "yahoo"))
    st.write("WULF", _equity(base=3.0), SymbolMeta("WULF", "csv", adjusted=True))
    st.write("BTC-USD", _crypto(), SymbolMeta("BTC-USD", "yahoo"))
    st.write("SPY", _equity(base=470.0), SymbolMeta("SPY", "yahoo"))
    return st


# ---- loaders ------------------------------------------------------------------------------
def test_load_prices_store_dataset(filled_store, universe):
    px = load_prices(["APLD", "BTC-USD", "WULF"], "2024-01-02", "2024-02-29", dataset="store",
                     universe=universe)
    assert list(px.columns) == ["APLD", "BTC-USD", "WULF"]
    assert px.index.name == "date" and px.index.tz is None
    assert (px.index == sessions("2024-01-02", "2024-02-29")).all()
    assert px.attrs["synthetic"] is False and px.attrs["dataset"] == "store"
    assert px.attrs["sources"] == {"APLD": "yahoo", "BTC-USD": "yahoo", "WULF": "csv"}
    # listed_from mask: WULF NaN before 2024-01-10, present from it
    assert px.loc[:"2024-01-09", "WULF"].isna().all()
    assert px.loc["2024-01-10":, "WULF"].notna().all()
    # crypto aligned: Monday 2024-01-08 carries Sunday... no: the close ON Monday's date
    btc = _crypto()["close"]
    assert px.loc["2024-01-08", "BTC-USD"] == btc["2024-01-08"]
    # MLK day 2024-01-15 is not a session: not in the index
    assert pd.Timestamp("2024-01-15") not in px.index


def test_load_returns_fold_weekend_into_monday(filled_store, universe):
    r = load_returns(["BTC-USD"], "2024-01-08", "2024-02-29", dataset="store", universe=universe)
    btc = _crypto()["close"]
    # Friday 2024-01-05 -> Monday 2024-01-08: the return covers Sat, Sun and Mon
    daily = btc.pct_change()
    expected = np.prod(1 + daily["2024-01-06":"2024-01-08"]) - 1
    assert r.loc["2024-01-08", "BTC-USD"] == pytest.approx(expected, rel=1e-12)
    assert r.index[0] == pd.Timestamp("2024-01-08")  # first day in range has a return
    # Tue after MLK day folds Sat..Tue
    exp2 = btc["2024-01-16"] / btc["2024-01-12"] - 1
    assert r.loc["2024-01-16", "BTC-USD"] == pytest.approx(exp2)
    assert r.attrs["dataset"] == "store"


def test_load_returns_first_listed_day_has_no_return(filled_store, universe):
    r = load_returns(["WULF"], "2024-01-02", dataset="store", universe=universe)
    assert r.loc[:"2024-01-10", "WULF"].isna().all()
    assert r.loc["2024-01-11", "WULF"] == pytest.approx(
        (3.0 + 0.1 * 7) / (3.0 + 0.1 * 6) - 1)


def test_load_volumes_sums_crypto_weekend(filled_store, universe):
    v = load_volumes(["BTC-USD", "APLD"], "2024-01-08", "2024-01-16", dataset="store",
                     universe=universe)
    assert v.loc["2024-01-08", "BTC-USD"] == 30.0  # Sat + Sun + Mon
    assert v.loc["2024-01-09", "BTC-USD"] == 10.0
    assert v.loc["2024-01-16", "BTC-USD"] == 40.0  # Sat, Sun, MLK Mon, Tue
    assert v.loc["2024-01-08", "APLD"] == 100.0 + 4


def test_symbols_none_loads_universe_present(filled_store, universe):
    px = load_prices(None, dataset="store", universe=universe)
    assert list(px.columns) == ["APLD", "WULF", "BTC-USD", "SPY"]


def test_missing_symbol_says_how_to_get_it(filled_store, universe):
    with pytest.raises(DataError, match=r"HUT is not in the store.*pivot data fetch HUT.*"
                                        r"pivot data import FILE --symbol HUT"):
        load_prices(["APLD", "HUT"], dataset="store", universe=universe)


def test_demo_dataset_is_synthetic_and_missing_says_synthesize(tmp_data_dir, universe):
    with pytest.raises(DataError, match="pivot data synthesize"):
        load_prices(["APLD"], dataset="demo", universe=universe)
    with pytest.raises(DataError, match="pivot data synthesize"):
        load_prices(None, dataset="demo", universe=universe)
    st = PriceStore(config.synthetic_dir())
    st.write("APLD", _equity(), SymbolMeta("APLD", "synthetic", synthetic=True))
    px = load_prices(["APLD"], dataset="demo", universe=universe)
    assert px.attrs["synthetic"] is True and px.attrs["dataset"] == "demo"


def test_default_dataset_from_env(filled_store, universe, monkeypatch):
    monkeypatch.setenv("PIVOT_DATASET", "store")
    assert load_prices(["APLD"], universe=universe).attrs["dataset"] == "store"
    monkeypatch.delenv("PIVOT_DATASET")
    assert resolve_dataset().name == "demo"


def test_csv_dataset_multiple_folders_first_wins(tmp_path, universe):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "APLD.csv").write_text("Date,Close\n2024-01-02,1\n2024-01-03,2\n2024-01-04,3\n")
    (b / "APLD.csv").write_text("Date,Close\n2024-01-02,100\n2024-01-03,200\n2024-01-04,300\n")
    (b / "BTC-USD.csv").write_text("Date,Close\n2023-12-29,9\n2023-12-30,10\n2023-12-31,11\n2024-01-01,12\n"
                                   "2024-01-02,13\n2024-01-03,14\n2024-01-04,15\n")
    ds = f"csv:{a}:{b}"
    px = load_prices(["APLD", "BTC-USD"], "2024-01-02", "2024-01-04", dataset=ds,
                     universe=universe)
    assert px["APLD"].tolist() == [1.0, 2.0, 3.0]
    assert px["BTC-USD"].tolist() == [13.0, 14.0, 15.0]
    assert px.attrs["sources"] == {"APLD": "csv", "BTC-USD": "csv"}
    r = load_returns(["BTC-USD"], "2024-01-02", "2024-01-04", dataset=ds, universe=universe)
    # Fri 2023-12-29 -> Tue 2024-01-02 (New Year holiday): Sat, Sun, Mon and Tue fold in
    assert r.loc["2024-01-02", "BTC-USD"] == pytest.approx(13 / 9 - 1)
    with pytest.raises(DataError, match=r"no SPY\.csv"):
        load_prices(["SPY"], dataset=ds, universe=universe)
    same = load_prices(["APLD", "BTC-USD"], "2024-01-02", "2024-01-04",
                       dataset=f"csv:{a},{b}", universe=universe)
    pd.testing.assert_frame_equal(same, px)


def test_csv_dataset_end_drops_later_rows(tmp_path, universe):
    (tmp_path / "APLD.csv").write_text("Date,Close\n2024-01-02,1\n2024-01-03,2\n2024-01-04,abc\n")
    with pytest.raises(DataError, match="not a number"):
        load_prices(["APLD"], dataset=f"csv:{tmp_path}", universe=universe)
    px = load_prices(["APLD"], end="2024-01-03", dataset=f"csv:{tmp_path}", universe=universe)
    assert px["APLD"].tolist() == [1.0, 2.0]


def test_bad_arguments(filled_store, universe, tmp_path):
    with pytest.raises(InputError, match="unknown dataset"):
        load_prices(["APLD"], dataset="bloomberg")
    with pytest.raises(InputError, match="does not exist"):
        load_prices(["APLD"], dataset=f"csv:{tmp_path / 'nope'}")
    with pytest.raises(InputError, match="unknown field"):
        load_prices(["APLD"], dataset="store", field="vwap")
    with pytest.raises(InputError, match="before start"):
        load_prices(["APLD"], "2024-02-01", "2024-01-01", dataset="store", universe=universe)
    with pytest.raises(DataError, match="no adj_close"):
        load_prices(["APLD"], dataset="store", field="adj_close", universe=universe)
    with pytest.raises(DataError, match="no adjusted close"):
        load_prices(["APLD"], dataset="store", field="adjusted", universe=universe)
    # WULF was imported as adjusted: its close serves as the adjusted series
    assert load_prices(["WULF"], dataset="store", field="adjusted",
                       universe=universe)["WULF"].notna().any()


def test_corrupt_file_in_dataset_is_quarantined_not_used(filled_store, universe):
    filled_store.path("SPY").write_bytes(b"PAR1 broken")
    with pytest.raises(DataError, match="moved to"):
        load_prices(["SPY"], dataset="store", universe=universe)
    with pytest.raises(DataError, match="pivot data fetch SPY"):
        load_prices(["SPY"], dataset="store", universe=universe)


# ---- fetch_symbols (incremental refresh) ---------------------------------------------------
@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("PIVOT_OFFLINE", raising=False)


def _body(symbol, start, end, base=10.0, step=0.1, tz="America/New_York", cal="XNYS", bump=None,
          splits=None):
    idx = sessions(start, end, cal)
    c = base + step * np.arange(len(idx))
    if bump is not None:
        c = c * bump
    return charts.build_chart(symbol, idx, c, tz=tz, splits=splits), idx, c


def test_fetch_new_symbol_writes_store(tmp_data_dir, universe, online):
    body, idx, c = _body("APLD", "2024-01-02", "2024-03-28")
    fake = charts.FakeYahoo({"APLD": body})
    store = PriceStore()
    rep = fetch_symbols(["APLD"], "2024-01-02", "2024-03-28", store, universe=universe,
                        downloader=fake, today="2024-04-01", sleep=lambda s: None)
    assert rep.ok and rep.written == {"APLD": len(idx)}
    df, meta = store.read("APLD")
    assert meta.source == "yahoo" and meta.adjusted is False
    assert meta.extra["auto_adjust"] is False and "adj_close" in df.columns
    assert fake.calls[0]["start"] == "2024-01-02"


def test_incremental_refresh_fetches_only_overlap_and_new(tmp_data_dir, universe, online):
    store = PriceStore()
    body, idx, c = _body("APLD", "2024-01-02", "2024-03-28")
    old = charts.chart_to_frame(body, "APLD")
    from pivotlib.data.sources.yahoo import to_store_layout

    old_df = to_store_layout(old, "APLD")
    store.write("APLD", old_df.loc[:"2024-02-29"], SymbolMeta("APLD", "yahoo"))
    # Yahoo revises the last stored day slightly (< 0.5%) and has new days after it
    body2, _, c2 = _body("APLD", "2024-01-02", "2024-03-28")
    pos = list(idx).index(pd.Timestamp("2024-02-29"))
    body2["chart"]["result"][0]["indicators"]["quote"][0]["close"][pos] = c2[pos] * 1.001
    fake = charts.FakeYahoo({"APLD": body2})
    rep = fetch_symbols(["APLD"], None, "2024-03-28", store, universe=universe,
                        downloader=fake, today="2024-04-01", sleep=lambda s: None, overlap=5)
    assert rep.ok, rep.errors
    # start = 5 sessions before the stored last date (2024-02-29 -> 2024-02-22)
    assert fake.calls[0]["start"] == "2024-02-22"
    df, meta = store.read("APLD")
    assert len(df) == len(idx) and meta.last == "2024-03-28"
    assert df.loc["2024-02-29", "close"] == pytest.approx(c2[pos] * 1.001)  # revision taken
    assert df.loc["2024-01-02", "close"] == c[0]  # old rows kept
    assert rep.new_rows["APLD"] == len(sessions("2024-02-22", "2024-03-28"))


def test_split_in_overlap_triggers_full_refetch(tmp_data_dir, universe, online):
    store = PriceStore()
    body, idx, c = _body("APLD", "2024-01-02", "2024-02-29")
    from pivotlib.data.sources.yahoo import to_store_layout

    store.write("APLD", to_store_layout(charts.chart_to_frame(body, "APLD"), "APLD"),
                SymbolMeta("APLD", "yahoo"))
    # a 2:1 split on 2024-03-01, after the stored history: Yahoo halves every earlier close
    split, idx2, c2 = _body("APLD", "2024-01-02", "2024-03-28", bump=0.5,
                            splits={"2024-03-01": 2.0})
    fake = charts.FakeYahoo({"APLD": split})
    rep = fetch_symbols(["APLD"], None, "2024-03-28", store, universe=universe,
                        downloader=fake, today="2024-04-01", sleep=lambda s: None)
    assert rep.ok and "split 2:1 on 2024-03-01" in rep.notes["APLD"]
    assert "backup" in rep.notes["APLD"]
    assert [k["start"] for k in fake.calls] == ["2024-02-22", "2024-01-02"]
    df, _ = store.read("APLD")
    np.testing.assert_allclose(df["close"], c2)
    # without Yahoo's split event the same answer is an unexplained rewrite: refused
    store2 = PriceStore(tmp_data_dir / "other")
    store2.write("APLD", to_store_layout(charts.chart_to_frame(body, "APLD"), "APLD"),
                 SymbolMeta("APLD", "yahoo"))
    before = store2.path("APLD").read_bytes()
    nosplit, _, _ = _body("APLD", "2024-01-02", "2024-03-28", bump=0.5)
    rep2 = fetch_symbols(["APLD"], None, "2024-03-28", store2, universe=universe,
                         downloader=charts.FakeYahoo({"APLD": nosplit}), today="2024-04-01",
                         sleep=lambda s: None)
    assert not rep2.ok and "--replace" in rep2.refused["APLD"]
    assert store2.path("APLD").read_bytes() == before


def test_up_to_date_symbol_not_fetched(filled_store, universe, online):
    fake = charts.FakeYahoo({})
    rep = fetch_symbols(["APLD"], None, "2024-02-29", filled_store, universe=universe,
                        downloader=fake, today="2024-03-01")
    assert rep.up_to_date == ["APLD"] and fake.calls == []


def test_failed_fetch_leaves_store_untouched(filled_store, universe, online):
    before = filled_store.path("APLD").read_bytes()
    fake = charts.FakeYahoo({}, forever="429")
    rep = fetch_symbols(["APLD", "SPY"], None, "2024-03-28", filled_store, universe=universe,
                        downloader=fake, today="2024-04-01", sleep=lambda s: None, retries=2)
    assert set(rep.errors) == {"APLD", "SPY"} and not rep.written
    assert "Yahoo kept failing" in rep.errors["APLD"]
    assert filled_store.path("APLD").read_bytes() == before
    # an empty answer: same
    rep2 = fetch_symbols(["APLD"], None, "2024-03-28", filled_store, universe=universe,
                         downloader=charts.FakeYahoo({"APLD": "empty"}), today="2024-04-01")
    assert "no data" in rep2.errors["APLD"]
    assert filled_store.path("APLD").read_bytes() == before


def test_corrupt_stored_file_is_refetched_in_full(filled_store, universe, online):
    filled_store.path("SPY").write_bytes(b"garbage")
    body, idx, _ = _body("SPY", "2024-01-02", "2024-03-28", base=470.0)
    fake = charts.FakeYahoo({"SPY": body})
    rep = fetch_symbols(["SPY"], "2024-01-02", "2024-03-28", filled_store, universe=universe,
                        downloader=fake, today="2024-04-01")
    assert rep.ok and "unusable" in rep.notes["SPY"]
    assert fake.calls[0]["start"] == "2024-01-02"
    assert len(list((config.data_dir() / "quarantine").glob("SPY.*"))) == 1
    assert filled_store.read("SPY")[1].rows == len(idx)


def test_csv_import_is_kept_unless_full(filled_store, universe, online):
    before = filled_store.path("WULF").read_bytes()
    body, idx, _ = _body("WULF", "2024-01-10", "2024-03-28", base=3.0)
    fake = charts.FakeYahoo({"WULF": body})
    rep = fetch_symbols(["WULF"], None, "2024-03-28", filled_store, universe=universe,
                        downloader=fake, today="2024-04-01")
    assert "came from csv" in rep.errors["WULF"] and "--full" in rep.errors["WULF"]
    assert fake.calls == [] and filled_store.path("WULF").read_bytes() == before
    rep = fetch_symbols(["WULF"], None, "2024-03-28", filled_store, universe=universe,
                        downloader=fake, today="2024-04-01", full=True)
    # Yahoo's closes disagree with the imported file: refused, the import kept
    assert "--replace" in rep.refused["WULF"] and fake.calls[0]["start"] == "2024-01-10"
    assert filled_store.path("WULF").read_bytes() == before
    rep = fetch_symbols(["WULF"], None, "2024-03-28", filled_store, universe=universe,
                        downloader=fake, today="2024-04-01", full=True, replace=True)
    assert rep.ok and "backup" in rep.notes["WULF"]
    assert filled_store.read("WULF")[1].source == "yahoo"


def test_changed_adjustment_refetches_in_full(filled_store, universe, online):
    body, idx, _ = _body("APLD", "2024-01-02", "2024-03-28")
    fake = charts.FakeYahoo({"APLD": body})
    before = filled_store.path("APLD").read_bytes()
    rep = fetch_symbols(["APLD"], None, "2024-03-28", filled_store, universe=universe,
                        downloader=fake, today="2024-04-01", auto_adjust=True)
    # the other convention would splice two adjustments: refused unless --replace
    assert "splice two conventions" in rep.refused["APLD"]
    assert fake.calls[0]["start"] == "2018-01-01" and fake.calls[0]["auto_adjust"] is True
    assert filled_store.path("APLD").read_bytes() == before
    rep = fetch_symbols(["APLD"], None, "2024-03-28", filled_store, universe=universe,
                        downloader=fake, today="2024-04-01", auto_adjust=True, replace=True)
    assert rep.ok and filled_store.read_meta("APLD").adjusted is True


def test_crypto_overlap_in_days_and_yahoo_symbol_mapping(tmp_data_dir, tmp_path, online):
    uni = tmp_path / "u.csv"
    uni.write_text("symbol,role,yahoo_symbol\nBTC,crypto,BTC-USD\n")
    store = PriceStore()
    store.write("BTC", _crypto(end="2024-02-20"), SymbolMeta("BTC", "yahoo"))
    full = _crypto(end="2024-02-29")  # Yahoo's answer agrees with the stored closes
    body = charts.build_chart("BTC-USD", full.index, full["close"], tz="UTC")
    fake = charts.FakeYahoo({"BTC-USD": body}, tz_convert="America/New_York")
    rep = fetch_symbols(["BTC"], None, "2024-02-29", store, universe=uni, downloader=fake,
                        today="2024-03-01", overlap=3)
    assert rep.ok, rep.errors
    assert fake.calls[0]["tickers"] == ["BTC-USD"] and fake.calls[0]["start"] == "2024-02-17"
    df, meta = store.read("BTC")
    assert meta.last == "2024-02-29" and meta.extra["yahoo_symbol"] == "BTC-USD"


def test_fetch_offline_raises_before_network(filled_store, universe):
    fake = charts.FakeYahoo({})
    with pytest.raises(OfflineError, match="pivot data import"):
        fetch_symbols(["APLD"], None, None, filled_store, universe=universe, downloader=fake)
    assert fake.calls == []


def test_import_csv_into_store(tmp_data_dir, tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n"
                 "2024-01-02,1,2,0.5,1.5,1.4,10\n2024-01-03,1.5,2,1,1.8,1.7,20\n")
    path, meta = import_csv(p, "APLD", adjusted=False)
    assert path == config.store_dir() / "APLD.parquet"
    assert meta.source == "csv" and meta.adjusted is False and meta.rows == 2
    assert meta.extra["layout"] == "yahoo-export"
    with pytest.raises(InputError):
        import_csv(p, "../evil", adjusted=False)


def test_revision_refetch_with_shorter_history_keeps_stored_file(tmp_data_dir, universe, online):
    store = PriceStore()
    body, idx, c = _body("APLD", "2024-01-02", "2024-02-29")
    from pivotlib.data.sources.yahoo import to_store_layout

    store.write("APLD", to_store_layout(charts.chart_to_frame(body, "APLD"), "APLD"),
                SymbolMeta("APLD", "yahoo"))
    before = store.path("APLD").read_bytes()
    # a 2:1 split re-bases history, and Yahoo's "full" answer now starts only in February
    short, _, _ = _body("APLD", "2024-02-01", "2024-03-28", base=10.0 + 0.1 * 21, bump=0.5)
    rep = fetch_symbols(["APLD"], None, "2024-03-28", store, universe=universe,
                        downloader=charts.FakeYahoo({"APLD": short}), today="2024-04-01")
    assert "unchanged" in rep.refused["APLD"] and "--replace" in rep.refused["APLD"]
    assert store.path("APLD").read_bytes() == before


def test_later_ipo_is_not_refetched_every_time(tmp_data_dir, universe, online):
    body, idx, _ = _body("APLD", "2024-02-01", "2024-02-29")  # Yahoo history starts in Feb
    store = PriceStore()
    fake = charts.FakeYahoo({"APLD": body})
    rep = fetch_symbols(["APLD"], "2024-01-02", "2024-02-29", store, universe=universe,
                        downloader=fake, today="2024-03-01")
    assert rep.ok and store.read_meta("APLD").extra["requested_start"] == "2024-01-02"
    body2, _, _ = _body("APLD", "2024-02-01", "2024-03-28")
    fake2 = charts.FakeYahoo({"APLD": body2})
    rep2 = fetch_symbols(["APLD"], "2024-01-02", "2024-03-28", store, universe=universe,
                         downloader=fake2, today="2024-04-01")
    assert rep2.ok and "APLD" not in rep2.notes
    assert fake2.calls[0]["start"] == "2024-02-22"  # incremental, not a full backfill
    # asking from an earlier start than ever before does backfill
    fake3 = charts.FakeYahoo({"APLD": body2})
    rep3 = fetch_symbols(["APLD"], "2023-06-01", "2024-03-28", store, universe=universe,
                         downloader=fake3, today="2024-04-01")
    assert "refetching in full" in rep3.notes["APLD"] and fake3.calls[0]["start"] == "2023-06-01"


def test_full_fetches_share_batches_and_are_cut_to_listed_from(tmp_data_dir, universe, online):
    # APLD (no listed_from) and WULF (listed 2024-01-10) in one request from the earliest start
    a, _, _ = _body("APLD", "2023-12-01", "2024-02-29")
    w, _, _ = _body("WULF", "2023-12-01", "2024-02-29", base=3.0)
    fake = charts.FakeYahoo({"APLD": a, "WULF": w})
    store = PriceStore()
    rep = fetch_symbols(["APLD", "WULF"], None, "2024-02-29", store, universe=universe,
                        downloader=fake, today="2024-03-01")
    assert rep.ok, rep.errors
    assert len(fake.calls) == 1 and fake.calls[0]["tickers"] == ["APLD", "WULF"]
    assert fake.calls[0]["start"] == "2018-01-01"  # APLD's default start
    assert store.read_meta("WULF").first == "2024-01-10"  # the other issuer's rows not stored
    assert store.read_meta("APLD").first == "2023-12-01"


def test_progress_counts_every_symbol(filled_store, universe, online):
    body, _, _ = _body("SPY", "2024-01-02", "2024-03-28", base=470.0)
    ticks = []
    rep = fetch_symbols(["APLD", "SPY"], None, "2024-02-29", filled_store, universe=universe,
                        downloader=charts.FakeYahoo({"SPY": body}), today="2024-03-01",
                        progress=ticks.append)
    assert rep.up_to_date == ["APLD", "SPY"] and sum(ticks) == 2
    ticks.clear()
    rep = fetch_symbols(["APLD", "SPY"], None, "2024-03-28", filled_store, universe=universe,
                        downloader=charts.FakeYahoo({"SPY": body}), today="2024-04-01",
                        progress=ticks.append)
    assert sum(ticks) == 2 and "APLD" in rep.errors and rep.written["SPY"] > 0
