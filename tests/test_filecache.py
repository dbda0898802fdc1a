"""The file-identity cache: the event catalog is parsed once per unchanged file, never stale."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pandas.testing as pdt

from pivotlib.data.filecache import FileCache, file_identity
from pivotlib.events import catalog as cat


def test_file_identity_changes_with_the_file(tmp_path):
    f = tmp_path / "a.csv"
    assert file_identity(f) is None  # missing: nothing cached
    assert file_identity(tmp_path) is None  # a folder is not a file
    f.write_text("x\n")
    first = file_identity(f)
    f.write_text("xy\n")
    assert file_identity(f) != first


def test_cache_copies_both_ways_and_is_bounded():
    c: FileCache[list[int]] = FileCache(list, maxsize=2)
    v = [1]
    c.put(("k", 1), v)
    v.append(2)
    got = c.get(("k", 1))
    assert got == [1]
    got.append(3)
    assert c.get(("k", 1)) == [1]
    c.put(None, [9])
    assert c.get(None) is None and len(c) == 1
    c.put(("k", 2), [2])
    c.put(("k", 3), [3])
    assert len(c) == 2 and c.get(("k", 1)) is None


def test_catalog_is_cached_copied_and_reread_when_changed(tmp_path, monkeypatch):
    monkeypatch.setattr(cat, "_CATALOG_CACHE", FileCache(pd.DataFrame.copy, maxsize=4))
    path = tmp_path / "events.csv"
    shutil.copy(cat.catalog_path(), path)
    a = cat.load_catalog(path)
    assert len(cat._CATALOG_CACHE) == 1
    a.loc[0, "headline"] = "changed by the caller"
    b = cat.load_catalog(path)
    assert b.loc[0, "headline"] != "changed by the caller"
    pdt.assert_frame_equal(b, cat.load_catalog(path))
    # drop the last row: a new size and time, so the file is read afresh
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert len(cat.load_catalog(path)) == len(b) - 1


def test_catalog_with_an_extra_frame_is_not_cached(monkeypatch):
    monkeypatch.setattr(cat, "_CATALOG_CACHE", FileCache(pd.DataFrame.copy, maxsize=4))
    extra = pd.DataFrame([{"event_id": "DF-1", "symbol": "hut", "announced": "2025-08-26",
                           "category": "capacity_expansion",
                           "sources": "https://example.com/a", "confidence": "approximate"}])
    out = cat.load_catalog(extra=extra)
    assert "DF-1" in set(out["event_id"])
    assert len(cat._CATALOG_CACHE) == 0


def test_universe_is_cached_and_reread_when_changed(tmp_path, monkeypatch):
    from pivotlib.data import universe as uni

    monkeypatch.setattr(uni, "_UNIVERSE_CACHE", FileCache(pd.DataFrame.copy, maxsize=4))
    path = tmp_path / "universe.csv"
    path.write_text("symbol,role\nMARA,miner\nSPY,benchmark\n", encoding="utf-8")
    a = uni.load_universe(path)
    a.loc[0, "symbol"] = "XXX"
    assert list(uni.load_universe(path)["symbol"]) == ["MARA", "SPY"]
    assert len(uni._UNIVERSE_CACHE) == 1
    path.write_text("symbol,role\nMARA,miner\nSPY,benchmark\nRIOT,miner\n", encoding="utf-8")
    assert list(uni.load_universe(path)["symbol"]) == ["MARA", "SPY", "RIOT"]
