"""The store's read cache: a copy of an unchanged file's validated read, never a stale one."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from pivotlib.data import store as st
from pivotlib.data.filecache import FileCache
from pivotlib.data.store import PriceStore, SymbolMeta
from pivotlib.errors import DataError


def _bars(n: int = 10, scale: float = 1.0) -> pd.DataFrame:
    idx = pd.bdate_range("2024-01-02", periods=n, name="date")
    close = scale * (10.0 + np.arange(n))
    return pd.DataFrame({"open": close - 0.5, "high": close + 1, "low": close - 1,
                         "close": close, "volume": 1000.0 + np.arange(n)}, index=idx)


def test_repeat_reads_are_copies_and_changes_are_seen(tmp_path, monkeypatch):
    calls = []
    real = PriceStore._read_validated
    monkeypatch.setattr(PriceStore, "_read_validated",
                        lambda self, s, p: calls.append(s) or real(self, s, p))
    store = PriceStore(tmp_path / "store")
    store.write("APLD", _bars(10), SymbolMeta("APLD", "yahoo", extra={"k": [1]}))
    a, ma = store.read("APLD")
    a.loc[a.index[0], "close"] = -1.0  # a caller changing its frame...
    ma.extra["k"].append(2)
    b, mb = store.read("APLD")  # ...does not change the next read
    assert calls == ["APLD"]  # parsed once
    assert b["close"].iloc[0] == 10.0 and mb.extra == {"k": [1]}
    # the file rewritten (atomic replace): read afresh
    store.write("APLD", _bars(12, scale=2.0), SymbolMeta("APLD", "yahoo"))
    c, mc = store.read("APLD")
    assert calls == ["APLD", "APLD"] and len(c) == 12 and c["close"].iloc[0] == 20.0
    assert mc.rows == 12


def test_a_file_damaged_in_place_is_not_served_from_the_cache(tmp_path):
    store = PriceStore(tmp_path / "store")
    path = store.write("MARA", _bars(50), SymbolMeta("MARA", "yahoo"))
    store.read("MARA")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # other size, new time: a new identity
    os.utime(path, ns=(1, 1))
    with pytest.raises(DataError, match="not a readable Parquet"):
        store.read("MARA")
    assert not path.exists()  # quarantined, as without a cache


def test_cache_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(st, "_READ_CACHE", FileCache(st._copy_read, maxsize=3))
    store = PriceStore(tmp_path / "store")
    for s in ("A", "B", "C", "D", "E"):
        store.write(s, _bars(5), SymbolMeta(s, "yahoo"))
        store.read(s)
    assert len(st._READ_CACHE) == 3
