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
