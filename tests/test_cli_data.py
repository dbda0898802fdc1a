"""Tests of the ``pivot data`` CLI: exit codes, messages, labels (no network)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from fixtures.yahoo import charts  # chart-v8 bodies + fake yfinance downloader

from pivotlib import config
from pivotlib.cli import main
from pivotlib.data.calendar import sessions
from pivotlib.data.store import PriceStore, SymbolMeta
from pivotlib.errors import EXIT_CODES


def _eq(start="2024-01-02", end="2024-02-29"):
    idx = sessions(start, end)
    c = 10 + 0.1 * np.arange(len(idx))
    return pd.DataFrame({"close": c, "volume": 1.0}, index=idx)


@pytest.fixture
def demo(tmp_data_dir):
    st = PriceStore(config.synthetic_dir())
    for s in ["APLD", "SPY"]:
        st.write(s, _eq(), SymbolMeta(s, "synthetic", synthetic=True))
    return st


def test_exit_codes_are_documented():
    assert {0, 2, 3, 4} <= set(EXIT_CODES)


def test_status_demo_labelled_synthetic(demo, capsys):
    assert main(["data", "status", "--dataset", "demo"]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out.splitlines()[0] and "NOT market prices" in out
    assert "APLD" in out and "symbol" in out and "stale" in out
    assert "missing from this dataset" in out and "BTC-USD" in out


def test_status_json(demo, capsys):
    assert main(["data", "status", "--dataset", "demo", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["synthetic"] is True and {r["symbol"] for r in d["symbols"]} == {"APLD", "SPY"}
    assert set(d["symbols"][0]) >= {"symbol", "source", "first", "last", "rows", "stale",
                                    "synthetic"}


def test_status_empty_store_exit_3(tmp_data_dir, capsys):
    assert main(["data", "status", "--dataset", "store"]) == 3
    assert "pivot data fetch" in capsys.readouterr().err


def test_import_then_status(tmp_data_dir, tmp_path, capsys):
    p = tmp_path / "HUT.csv"
    p.write_text("Price,Close,Volume\nTicker,HUT,HUT\nDate,,\n2025-01-02,20,100\n2025-01-03,21,90\n")
    assert main(["data", "import", str(p), "--symbol", "HUT", "--unadjusted"]) == 0
    out = capsys.readouterr().out
    assert "HUT: 2 rows 2025-01-02..2025-01-03" in out and "yfinance-multiheader" in out
    assert main(["data", "status", "--dataset", "store"]) == 0
    out = capsys.readouterr().out
    assert "HUT" in out and "csv" in out and "SYNTHETIC" not in out


def test_import_requires_adjusted_flag(tmp_data_dir, tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("Date,Close\n2025-01-02,1\n")
    with pytest.raises(SystemExit) as ei:
        main(["data", "import", str(p), "--symbol", "X"])
    assert ei.value.code == 2


def test_import_bad_file_exit_2(tmp_data_dir, tmp_path, capsys):
    p = tmp_path / "x.csv"
    p.write_text("Date,Close\n2025-01-02,1\n2025-01-02,2\n")
    assert main(["data", "import", str(p), "--symbol", "X", "--adjusted"]) == 2
    assert "appears 2 times" in capsys.readouterr().err


def test_verify_quarantines_and_exits_3(demo, capsys):
    store = PriceStore(config.store_dir())
    store.write("APLD", _eq(), SymbolMeta("APLD", "yahoo"))
    assert main(["data", "verify", "-q"]) == 0
    assert "verified 3 files, 0 bad" in capsys.readouterr().out
    store.path("APLD").write_bytes(store.path("APLD").read_bytes()[:100])
    assert main(["data", "verify", "-q"]) == 3
    cap = capsys.readouterr()
    assert "1 bad" in cap.out and "BAD store/APLD" in cap.err
    assert not store.exists("APLD")
    assert list((config.data_dir() / "quarantine").glob("APLD.*.parquet"))


def test_fetch_offline_exit_3(tmp_data_dir, capsys):
    assert main(["data", "fetch", "APLD", "--start", "2024-01-02"]) == 3
    err = capsys.readouterr().err
    assert "offline" in err and "pivot data import FILE --symbol APLD" in err


def test_fetch_with_stubbed_yahoo(tmp_data_dir, monkeypatch, capsys):
    monkeypatch.delenv("PIVOT_OFFLINE", raising=False)
    idx = sessions("2024-01-02", "2024-02-29")
    fake = charts.FakeYahoo({"APLD": charts.build_chart("APLD", idx, 10 + np.arange(len(idx)))})
    monkeypatch.setattr("pivotlib.data.sources.yahoo.yfinance_downloader", fake)
    monkeypatch.setattr("time.sleep", lambda s: None)
    rc = main(["data", "fetch", "APLD", "NOPE", "--start", "2024-01-02", "--end", "2024-02-29",
               "--pause", "0", "-q"])
    cap = capsys.readouterr()
    assert rc == 4  # one symbol failed -> source failure code, the other was written
    assert "NOPE" in cap.err and "FAILED" in cap.err
    assert "fetched 1" in cap.out
    assert PriceStore().read("APLD")[1].rows == len(idx)
    rc = main(["data", "fetch", "APLD", "--end", "2024-02-29", "-q"])
    assert rc == 0 and "up to date" in capsys.readouterr().out


def test_global_offline_flag(tmp_data_dir, monkeypatch, capsys):
    monkeypatch.delenv("PIVOT_OFFLINE", raising=False)
    fake = charts.FakeYahoo({})
    monkeypatch.setattr("pivotlib.data.sources.yahoo.yfinance_downloader", fake)
    assert main(["--offline", "data", "fetch", "APLD"]) == 3
    assert fake.calls == []


def test_synthesize_calls_generator(tmp_data_dir, monkeypatch, capsys, tmp_path):
    seen = {}

    def fake_write(**kw):
        seen.update(kw)
        return {"out_dir": str(tmp_path / "o"), "symbols": ["APLD", "SPY"], "seed": kw["seed"],
                "start": "2021-01-04", "end": "2026-06-30", "planted_events": 3}

    import pivotlib.data.synthetic as synth

    monkeypatch.setattr(synth, "write_default_dataset", fake_write)
    assert main(["data", "synthesize", "--seed", "7", "--out", str(tmp_path / "o")]) == 0
    assert seen == {"seed": 7, "out_dir": tmp_path / "o"}
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out and "2 symbols" in out and "seed 7" in out


def test_cli_subprocess_help_is_fast_and_lists_actions():
    r = subprocess.run([sys.executable, "-m", "pivotlib", "data", "--help"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0
    for a in ["fetch", "status", "import", "verify", "synthesize"]:
        assert a in r.stdout


# ---- compare, verify --reference, backups --prune ---------------------------------------------
def _csv_folder(path, frames):
    path.mkdir(parents=True, exist_ok=True)
    for sym, df in frames.items():
        pd.DataFrame({"Date": df.index.strftime("%Y-%m-%d"), "Close": df["close"]}).to_csv(
            path / f"{sym}.csv", index=False)
    return path


def test_compare_agree_constant_ratio_and_disagree(tmp_data_dir, tmp_path, capsys):
    base = _eq()
    moved = base.copy()
    moved.iloc[10, 0] *= 1.05  # one revised close
    a = _csv_folder(tmp_path / "a", {"APLD": base, "SPY": base, "IREN": base})
    b = _csv_folder(tmp_path / "b", {"APLD": base, "SPY": base.assign(close=base["close"] * 0.98),
                                     "IREN": moved})
    rc = main(["data", "compare", f"csv:{a}", f"csv:{b}"])
    out = capsys.readouterr().out
    assert rc == 3  # IREN disagrees
    lines = {ln.split()[0]: ln for ln in out.splitlines() if ln[:4] in ("APLD", "SPY ", "IREN")}
    assert f"{len(base)}/{len(base)} agree" in lines["APLD"]
    assert "B = A x 0.980000 on every day" in lines["SPY"]
    assert "disagree on " + str(base.index[10].date()) in lines["IREN"]
    assert f"{len(base) - 1}/{len(base)} agree" in lines["IREN"]
    rc = main(["data", "compare", f"csv:{a}", f"csv:{b}", "--symbols", "APLD", "SPY",
               "--format", "json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and [r["verdict"] for r in d] == ["agree", "constant ratio"]
    assert d[1]["constant_ratio"] == pytest.approx(0.98)


@pytest.mark.realdata
def test_compare_real_benda931_against_dsturdy(realdata, capsys):
    """The same history adjusted at another date: one constant ratio per file (SPY, QQQ)."""
    a = realdata / "benda931__pairs_trading_system/data"
    b = realdata / "dsturdy__Factor_Attribution_5_csvs/data"
    main(["data", "compare", f"csv:{a}", f"csv:{b}", "--symbols", "SPY", "QQQ", "RIOT"])
    out = capsys.readouterr().out
    spy = next(ln for ln in out.splitlines() if ln.startswith("SPY"))
    assert "0/123 agree" in spy and "B = A x 0.98" in spy
    assert "123/123 agree" in next(ln for ln in out.splitlines() if ln.startswith("RIOT"))


def test_verify_reference_flags_a_disagreeing_store(tmp_data_dir, tmp_path, capsys):
    st = PriceStore(config.store_dir())
    base = _eq()
    st.write("APLD", base, SymbolMeta("APLD", "yahoo"))
    st.write("SPY", base, SymbolMeta("SPY", "yahoo"))
    ref = _csv_folder(tmp_path / "ref", {"APLD": base, "SPY": base.assign(
        close=base["close"] * 1.5)})
    ref_ok = _csv_folder(tmp_path / "ref_ok", {"APLD": base, "SPY": base})
    assert main(["data", "verify", "--dataset", "store", "--reference", f"csv:{ref_ok}",
                 "--quiet"]) == 0
    capsys.readouterr()
    # SPY x1.5 everywhere is a constant ratio (adjusted at another date): a note, not a check
    assert main(["data", "verify", "--dataset", "store", "--reference", f"csv:{ref}",
                 "--quiet"]) == 0
    assert "B = A x 1.500000" in capsys.readouterr().out
    wrong = base.copy()
    wrong.iloc[5:, 0] *= 2  # another symbol's file from day 5
    ref2 = _csv_folder(tmp_path / "ref2", {"SPY": wrong})
    assert main(["data", "verify", "--dataset", "store", "--reference", f"csv:{ref2}",
                 "--quiet"]) == 3
    assert "store/SPY: differs from" in capsys.readouterr().err


def test_backups_prune_keeps_newest_young_and_only_copy(tmp_data_dir, capsys):
    from datetime import UTC, datetime, timedelta

    from pivotlib.data import backups

    st = PriceStore(config.store_dir())
    st.write("APLD", _eq(), SymbolMeta("APLD", "yahoo"))
    st.write("SPY", _eq(), SymbolMeta("SPY", "yahoo"))
    now = datetime.now(UTC)
    folder = backups.backup_root(st)

    def old_backup(sym, days_ago, reason="replace"):
        p = backups.make_backup(st, sym, reason)
        stamp = (now - timedelta(days=days_ago)).strftime("%Y%m%dT%H%M%S%fZ")
        dest = p.with_name(f"{stamp}-{reason}.parquet")
        p.rename(dest)
        return dest

    apld = [old_backup("APLD", d) for d in (100, 90, 80, 70, 60, 50, 40, 2)]
    spy_only = old_backup("SPY", 200, "remove")
    st.path("SPY").unlink()  # the SPY history now lives only in its backup
    rc = main(["data", "backups", "--prune", "--keep", "3", "--max-age-days", "45",
               "--dry-run"])
    out = capsys.readouterr().out
    assert rc == 0 and "would remove 5 backup(s)" in out  # APLD 60..100 days
    assert all(p.exists() for p in apld)
    assert main(["data", "backups", "--prune", "--keep", "3", "--max-age-days", "45"]) == 0
    left = sorted(p.name for p in (folder / "APLD").glob("*.parquet"))
    # kept: the 3 newest (2, 40, 50 days) and none older than 45 days beyond them
    assert left == sorted(p.name for p in apld[-3:])
    assert spy_only.exists()  # the only copy of SPY's history is never pruned
    assert main(["data", "backups", "--prune", "--keep", "0"]) == 2
