"""Tests of pivotlib.data.store: round trip, metadata, validation, quarantine, atomicity, locking."""

from __future__ import annotations

import multiprocessing as mp
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pivotlib.data.store import META_KEY, PRICE_COLUMNS, PriceStore, SymbolMeta
from pivotlib.errors import DataError, InputError


def _bars(n: int = 10, start: str = "2024-01-02", scale: float = 1.0) -> pd.DataFrame:
    idx = pd.bdate_range(start, periods=n, name="date")
    close = scale * (10.0 + np.arange(n))
    return pd.DataFrame({"open": close - 0.5, "high": close + 1, "low": close - 1,
                         "close": close, "volume": 1000.0 + np.arange(n)}, index=idx)


@pytest.fixture
def store(tmp_path) -> PriceStore:
    return PriceStore(tmp_path / "store")


def test_round_trip_and_metadata(store):
    f = _bars(10)
    f["adj_close"] = f["close"] * 0.9
    path = store.write("APLD", f, SymbolMeta("APLD", "yahoo", adjusted=False, extra={"k": 1}))
    assert path == store.root / "APLD.parquet"
    df, meta = store.read("APLD")
    assert list(df.columns) == PRICE_COLUMNS + ["adj_close"]
    assert (df.dtypes == np.float64).all()
    assert df.index.name == "date" and df.index.tz is None
    assert (df.index == f.index).all() and df.index.dtype == "datetime64[ns]"
    np.testing.assert_array_equal(df["close"].to_numpy(), f["close"].to_numpy())
    assert meta.first == "2024-01-02" and meta.last == f.index[-1].date().isoformat()
    assert meta.rows == 10 and meta.source == "yahoo" and meta.extra == {"k": 1}
    assert not meta.synthetic
    # metadata lives in the Parquet schema itself
    raw = pq.read_schema(path).metadata[META_KEY]
    assert b'"schema_version": 1' in raw and b'"fetched_at"' in raw


def test_close_only_frame_gets_nan_ohlcv(store):
    f = pd.DataFrame({"Close": [1.0, 2.0]}, index=pd.to_datetime(["2024-01-02", "2024-01-03"]))
    store.write("SPY", f, SymbolMeta("SPY", "csv", adjusted=True))
    df, meta = store.read("SPY")
    assert df["open"].isna().all() and df["close"].tolist() == [1.0, 2.0]
    assert meta.adjusted


def test_tz_aware_index_is_stored_as_dates(store):
    idx = pd.date_range("2024-01-02 00:00", periods=3, freq="D", tz="UTC")
    f = pd.DataFrame({"close": [1.0, 2.0, 3.0]}, index=idx)
    store.write("BTC-USD", f, SymbolMeta("BTC-USD", "yahoo"))
    df, _ = store.read("BTC-USD")
    assert df.index.tz is None and str(df.index[0].date()) == "2024-01-02"


def test_write_rejects_bad_frames(store):
    f = _bars(3)
    bad = f.copy()
    bad.iloc[1, bad.columns.get_loc("close")] = -1.0
    with pytest.raises(DataError, match="negative close"):
        store.write("X", bad, SymbolMeta("X", "csv"))
    dup = pd.concat([f, f.iloc[[0]]])
    with pytest.raises(DataError, match="duplicate dates"):
        store.write("X", dup, SymbolMeta("X", "csv"))
    with pytest.raises(DataError, match="no 'close'"):
        store.write("X", f.drop(columns="close"), SymbolMeta("X", "csv"))
    with pytest.raises(DataError, match="empty"):
        store.write("X", f.iloc[:0], SymbolMeta("X", "csv"))
    with pytest.raises(DataError, match="unknown source"):
        store.write("X", f, SymbolMeta("X", "bloomberg"))
    assert not store.exists("X")


def test_invalid_symbol_names(store):
    for s in ["../etc", "", "a/b", "x y"]:
        with pytest.raises(InputError):
            store.path(s)


def test_missing_symbol_message_says_how_to_get_it(store):
    with pytest.raises(DataError, match=r"pivot data fetch ZZZ.*pivot data import"):
        store.read("ZZZ")


def _write_raw(path: Path, df: pd.DataFrame, meta_json: bytes | None) -> None:
    t = pa.Table.from_pandas(df, preserve_index=True)
    md = dict(t.schema.metadata or {})
    if meta_json is not None:
        md[META_KEY] = meta_json
    pq.write_table(t.replace_schema_metadata(md), path)


def _assert_quarantined(store: PriceStore, symbol: str, match: str) -> None:
    with pytest.raises(DataError, match=match) as ei:
        store.read(symbol)
    assert "moved to" in str(ei.value) and "pivot data fetch" in str(ei.value)
    assert not store.exists(symbol)
    q = list(store.quarantine_dir.glob(f"{symbol}.*.parquet"))
    assert len(q) == 1


def test_truncated_file_is_quarantined(store):
    path = store.write("APLD", _bars(50), SymbolMeta("APLD", "yahoo"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _assert_quarantined(store, "APLD", "not a readable Parquet")
    assert store.quarantine_dir == store.root.parent / "quarantine"


def test_garbage_file_is_quarantined(store):
    store.root.mkdir(parents=True)
    store.path("HUT").write_bytes(b"this is not parquet at all" * 10)
    _assert_quarantined(store, "HUT", "not a readable Parquet")


def test_missing_metadata_is_quarantined(store):
    store.root.mkdir(parents=True)
    _write_raw(store.path("IREN"), _bars(5), None)
    _assert_quarantined(store, "IREN", "no pivot metadata")


def test_schema_invalid_files_are_quarantined(store):
    store.root.mkdir(parents=True)
    good = SymbolMeta("WULF", "yahoo", first="2024-01-02", last="2024-01-08", rows=5)
    # unsorted dates
    _write_raw(store.path("WULF"), _bars(5).iloc[::-1], good.to_json().encode())
    _assert_quarantined(store, "WULF", "ascending")
    # missing column
    _write_raw(store.path("WULF"), _bars(5).drop(columns="volume"), good.to_json().encode())
    with pytest.raises(DataError, match="missing columns"):
        store.read("WULF")
    # wrong dtype
    f = _bars(5)
    f["volume"] = f["volume"].astype("int64")
    _write_raw(store.path("WULF"), f, good.to_json().encode())
    with pytest.raises(DataError, match="dtype"):
        store.read("WULF")
    # negative price
    f = _bars(5)
    f.loc[f.index[2], "low"] = -3.0
    _write_raw(store.path("WULF"), f, good.to_json().encode())
    with pytest.raises(DataError, match="negative low"):
        store.read("WULF")
    # metadata disagreeing with rows
    bad_meta = SymbolMeta("WULF", "yahoo", first="2024-01-02", last="2024-01-08", rows=7)
    _write_raw(store.path("WULF"), _bars(5), bad_meta.to_json().encode())
    with pytest.raises(DataError, match="metadata says 7 rows"):
        store.read("WULF")
    # metadata JSON missing keys
    _write_raw(store.path("WULF"), _bars(5), b'{"symbol": "WULF"}')
    with pytest.raises(DataError, match="bad metadata"):
        store.read("WULF")
    assert len(list(store.quarantine_dir.glob("WULF.*.parquet"))) == 6
    assert store.symbols() == []


def test_symbols_and_status(store):
    store.write("APLD", _bars(5, "2024-01-02"), SymbolMeta("APLD", "yahoo"))
    store.write("SPY", _bars(5, "2024-03-01"), SymbolMeta("SPY", "synthetic", synthetic=True))
    (store.root / "junk.txt").write_text("x")
    assert store.symbols() == ["APLD", "SPY"]
    st = store.status(today="2024-06-01")
    assert list(st.columns[:7]) == ["symbol", "source", "first", "last", "rows", "stale",
                                    "synthetic"]
    row = st.set_index("symbol")
    assert row.loc["APLD", "rows"] == 5 and row.loc["APLD", "stale"]
    assert row.loc["SPY", "synthetic"] and not row.loc["SPY", "stale"]
    st2 = store.status(today="2024-01-09")
    assert not st2.set_index("symbol").loc["APLD", "stale"]


def test_status_reports_unreadable_metadata_without_crashing(store):
    store.write("APLD", _bars(5), SymbolMeta("APLD", "yahoo"))
    store.path("BAD").write_bytes(b"junk")
    st = store.status().set_index("symbol")
    assert st.loc["BAD", "problem"] and st.loc["APLD", "problem"] == ""


def test_crash_mid_write_leaves_old_file_intact(store, monkeypatch):
    store.write("APLD", _bars(5), SymbolMeta("APLD", "yahoo"))
    before = store.path("APLD").read_bytes()

    def boom(src, dst):
        raise OSError("simulated crash during rename")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(DataError, match=r"APLD: cannot write .*simulated crash.*unchanged") as ei:
        store.write("APLD", _bars(8, scale=2.0), SymbolMeta("APLD", "yahoo"))
    assert isinstance(ei.value, OSError)  # StoreWriteError is both
    monkeypatch.undo()
    assert store.path("APLD").read_bytes() == before
    df, meta = store.read("APLD")
    assert meta.rows == 5 and df["close"].iloc[0] == 10.0
    assert not list(store.root.glob("*.tmp")), "temporary file left behind"


def _writer(root: str, scale: float, n: int, reps: int) -> None:
    s = PriceStore(root)
    for _ in range(reps):
        s.write("HUT", _bars(n, scale=scale), SymbolMeta("HUT", "yahoo", extra={"scale": scale}))


def test_two_processes_writing_same_symbol_leave_valid_file(store):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(store.root), sc, n, 15))
             for sc, n in [(1.0, 300), (3.0, 200)]]
    for p in procs:
        p.start()
    # a concurrent reader must never observe a partial file
    seen = 0
    while any(p.is_alive() for p in procs):
        if store.exists("HUT"):
            df, meta = store.read("HUT")
            assert meta.rows == len(df) in (300, 200)
            seen += 1
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    df, meta = store.read("HUT")
    scale = meta.extra["scale"]
    assert len(df) == {1.0: 300, 3.0: 200}[scale]
    assert df["close"].iloc[0] == pytest.approx(10.0 * scale)
    assert not store.quarantine_dir.exists(), "a concurrent write produced a bad file"
    assert not list(store.root.glob("*.tmp"))


def test_lock_held_by_another_writer_times_out_with_clear_error(tmp_path):
    from filelock import FileLock

    store = PriceStore(tmp_path / "store", lock_timeout=0.2)
    store.write("APLD", _bars(5), SymbolMeta("APLD", "yahoo"))
    before = store.path("APLD").read_bytes()
    with FileLock(str(store.path("APLD")) + ".lock"):
        with pytest.raises(DataError, match=r"APLD\.parquet\.lock.*delete the \.lock file"):
            store.write("APLD", _bars(9), SymbolMeta("APLD", "yahoo"))
    assert store.path("APLD").read_bytes() == before


def test_remove_stale_tmp_only_old_leftovers(store):
    store.write("APLD", _bars(5), SymbolMeta("APLD", "yahoo"))
    old = store.root / ".APLD.parquet.123.abcd.tmp"
    young = store.root / ".APLD.parquet.456.ef01.tmp"
    old.write_bytes(b"x")
    young.write_bytes(b"y")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    assert store.remove_stale_tmp(600) == [old]
    assert young.exists() and store.exists("APLD")


def test_writer_killed_mid_write_leaves_a_valid_file(store):
    import signal
    import time

    store.write("HUT", _bars(300), SymbolMeta("HUT", "yahoo", extra={"scale": 1.0}))
    ctx = mp.get_context("spawn")
    p = ctx.Process(target=_writer, args=(str(store.root), 2.0, 3000, 10_000))
    p.start()
    deadline = time.time() + 30
    # wait until the child is busy writing (a temp file appears), then SIGKILL it
    while time.time() < deadline and not list(store.root.glob(".HUT.parquet.*.tmp")):
        time.sleep(0.005)
    os.kill(p.pid, signal.SIGKILL)
    p.join(10)
    assert p.exitcode == -signal.SIGKILL
    df, meta = store.read("HUT")  # old or new version, never a torn one
    assert meta.rows == len(df) in (300, 3000)
    store.remove_stale_tmp(max_age_s=-1)  # leftovers of the killed writer, if any
    assert not list(store.root.glob(".HUT.parquet.*.tmp"))


def test_unwritable_folder_is_data_error_naming_fix(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    store = PriceStore(blocker / "store")
    with pytest.raises(DataError, match=r"APLD: cannot write .*PIVOT_DATA_DIR") as ei:
        store.write("APLD", _bars(3), SymbolMeta("APLD", "csv"))
    assert ei.value.exit_code == 3
    assert blocker.read_text().startswith("a file")


def test_corrupt_file_in_unwritable_folder_still_refused(store, monkeypatch):
    store.write("APLD", _bars(5), SymbolMeta("APLD", "yahoo"))
    store.path("APLD").write_bytes(b"junk")
    import pivotlib.data.store as store_mod

    def no_move(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store_mod.shutil, "move", no_move)
    with pytest.raises(DataError, match=r"unusable .*could not be moved.*delete it"):
        store.read("APLD")


def test_round_trip_property(tmp_path):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    store = PriceStore(tmp_path / "prop")

    @settings(max_examples=25, deadline=None)
    @given(n=st.integers(1, 40), seed=st.integers(0, 10_000), holes=st.booleans(),
           adj=st.booleans())
    def check(n, seed, holes, adj):
        rng = np.random.default_rng(seed)
        idx = pd.DatetimeIndex(sorted(rng.choice(pd.date_range("2020-01-01", periods=400),
                                                 n, replace=False)), name="date")
        c = rng.uniform(0.01, 1e5, n)
        f = pd.DataFrame({"open": c, "high": c, "low": c, "close": c,
                          "volume": rng.integers(0, 10**9, n).astype(float)}, index=idx)
        if adj:
            f["adj_close"] = c * 0.9
        if holes and n > 1:
            f.iloc[0, 0] = np.nan
        store.write("P", f, SymbolMeta("P", "csv", adjusted=adj))
        back, meta = store.read("P")
        assert meta.rows == n and meta.adjusted is adj
        np.testing.assert_array_equal(back.to_numpy(), f[back.columns].to_numpy())
        assert (back.index == idx).all()

    check()


def test_file_holding_another_symbol_is_refused_not_quarantined(store):
    store.write("APLD", _bars(5), SymbolMeta("APLD", "yahoo"))
    store.path("APLD").rename(store.path("COPY"))
    with pytest.raises(DataError, match=r"holds 'APLD', not 'COPY'"):
        store.read("COPY")
    assert store.exists("COPY") and not store.quarantine_dir.exists()
