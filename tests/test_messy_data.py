"""A messy ``csv:`` dataset, as a real analyst's folders look, built from the SYNTHETIC demo.

Made in a temp dir from the embedded demo data (no real prices, runs on any machine):

* miners and WGMI in one folder, SPY/QQQ/SMH/IWM/BTC-USD/ETH-USD in another (``csv:a,b``);
* different end dates: WULF, CIFR, MARA stop 1, 2 and 3 months before the others;
* a factor that stops early: BTC-USD ends about 6 months before the equities;
* universe symbols missing entirely: no HUT.csv, no GLXY.csv;
* a gap: 15 consecutive sessions of IREN are missing;
* a late listing: CORZ starts only 90 sessions before its latest catalog event.

Equity files are ``Date,Close`` on sessions from ``load_prices(dataset="demo")``; the crypto
files keep every calendar day (the demo store's raw BTC-USD/ETH-USD closes), as a real
``BTC-USD.csv`` does. Every command runs once per module, in-process through
:func:`pivotlib.cli.main`, with a private ``PIVOT_DATA_DIR`` and ``PIVOT_REPORTS_DIR``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _clikit import Run
from _clikit import cli as _cli

pytestmark = pytest.mark.slow

DATE = "2030-01-02"                       # fixed report date folder
FACTORS = ("SPY", "QQQ", "SMH", "IWM", "BTC-USD", "ETH-USD")
CRYPTO = ("BTC-USD", "ETH-USD")
MISSING = ("HUT", "GLXY")
EARLY_END = {"WULF": 1, "CIFR": 2, "MARA": 3}   # months before the demo's last session
BTC_MONTHS_EARLY = 6
GAP_SYMBOL, GAP_START, GAP_LEN = "IREN", "2025-06-02", 15
LATE_SYMBOL, LATE_SESSIONS = "CORZ", 90


@dataclass
class Messy:
    """The two folders, what was cut, and every command's outcome."""

    root: Path
    miners: Path
    factors: Path
    ends: dict[str, pd.Timestamp] = field(default_factory=dict)
    gap: pd.DatetimeIndex | None = None
    corz_start: pd.Timestamp | None = None
    runs: dict[str, Run] = field(default_factory=dict)
    built: bool = False
    error: BaseException | None = None

    @property
    def dataset(self) -> str:
        return f"csv:{self.miners},{self.factors}"


def _write(path: Path, series: pd.Series) -> None:
    s = series.dropna()
    pd.DataFrame({"Date": s.index.strftime("%Y-%m-%d"), "Close": s.to_numpy()}).to_csv(
        path, index=False, float_format="%.10g")


def _make_folders(m: Messy) -> None:
    from pivotlib import config
    from pivotlib.data.loading import load_prices
    from pivotlib.data.store import PriceStore
    from pivotlib.events.catalog import company_events

    px = load_prices(dataset="demo")
    last = px.index[-1]
    m.miners.mkdir()
    m.factors.mkdir()
    for sym in px.columns:
        if sym in MISSING:
            continue
        if sym in CRYPTO:  # calendar-day closes, weekends included
            s = PriceStore(config.synthetic_dir()).read(sym)[0]["close"]
        else:
            s = px[sym].copy()
        if sym in EARLY_END:
            s = s[s.index <= last - pd.DateOffset(months=EARLY_END[sym])]
        if sym == "BTC-USD":
            s = s[s.index <= last - pd.DateOffset(months=BTC_MONTHS_EARLY)]
        if sym == GAP_SYMBOL:
            s = s.dropna()
            i = int(s.index.searchsorted(pd.Timestamp(GAP_START)))
            m.gap = s.index[i:i + GAP_LEN]
            s = s.drop(m.gap)
        if sym == LATE_SYMBOL:
            s = s.dropna()
            latest = company_events().query("symbol == @sym")["event_date"].max()
            i = int(s.index.searchsorted(latest))
            s = s.iloc[i - LATE_SESSIONS:]
            m.corz_start = s.index[0]
        m.ends[sym] = s.dropna().index[-1]
        _write((m.factors if sym in FACTORS else m.miners) / f"{sym}.csv", s)


@pytest.fixture(scope="module")
def _messy(tmp_path_factory) -> Messy:
    root = tmp_path_factory.mktemp("messy")
    for d in ("data", "reports"):
        (root / d).mkdir()
    return Messy(root=root, miners=root / "a-miners", factors=root / "b-factors")


@pytest.fixture
def messy(_messy, monkeypatch) -> Messy:
    """The messy folders and every command's outcome (built once, on first use).

    The folders are made from the demo data before ``PIVOT_DATA_DIR`` points at the private
    (empty) data folder, which also moves the demo dataset's location."""
    if not _messy.built:
        try:
            _make_folders(_messy)
        except BaseException as exc:  # noqa: BLE001 - reported by every test
            _messy.built, _messy.error = True, exc
    monkeypatch.setenv("PIVOT_DATA_DIR", str(_messy.root / "data"))
    monkeypatch.setenv("PIVOT_REPORTS_DIR", str(_messy.root / "reports"))
    monkeypatch.delenv("PIVOT_DATASET", raising=False)
    if not _messy.built:
        _messy.built = True
        try:
            ds = _messy.dataset
            for name, argv in {
                "brief": ["brief", "--dataset", ds, "--date", DATE],
                "lifeboat": ["report", "06-lifeboat", "--dataset", ds, "--date", DATE],
                "sweep": ["sweep", "--dataset", ds, "--workers", "2", "--date", DATE,
                          "--no-progress"],
                "check": ["events", "check", "--dataset", ds],
                "scores": ["regimes", "scores", "--dataset", ds],
            }.items():
                _messy.runs[name] = _cli(argv)
        except BaseException as exc:  # noqa: BLE001 - reported by every test
            _messy.error = exc
    if _messy.error is not None:
        raise _messy.error
    return _messy


def _say(run: Run) -> str:
    return (f"pivot {' '.join(run.argv)} -> {run.rc}\n--- stdout\n{run.out[-3000:]}\n"
            f"--- stderr\n{run.err[-3000:]}")


def _records(m: Messy, notebook: str) -> dict:
    sides = [json.loads(p.read_text())
             for p in sorted((m.root / "reports" / DATE).glob(f"{notebook}-*.json"))]
    sides = [s for s in sides if not s.get("parameters", {}).get("event_id")]
    assert len(sides) == 1, [s.get("name") for s in sides]
    assert sides[0]["status"] == "ok", sides[0].get("error")
    return sides[0]["records"]


# ---------------------------------------------------------------------------------------
def test_folders_are_messy(messy):
    """The construction did what the module docstring says (guards the other tests)."""
    btc = messy.ends["BTC-USD"]
    assert (messy.ends["SPY"] - btc).days > 150
    assert not any((messy.miners / f"{s}.csv").exists() for s in MISSING)
    assert messy.ends["MARA"] < messy.ends["CIFR"] < messy.ends["WULF"] < messy.ends["SPY"]
    assert len(messy.gap) == GAP_LEN and messy.corz_start is not None
    print("\ncommand seconds: " + ", ".join(f"{k} {r.seconds:.1f}"
                                          for k, r in messy.runs.items()))


def test_brief_all_ok(messy):
    run = messy.runs["brief"]
    assert run.rc == 0, _say(run)
    assert "5 of 5 reports ok" in run.out, _say(run)


def test_lifeboat_report_ok(messy):
    run = messy.runs["lifeboat"]
    assert run.rc == 0, _say(run)
    assert "wrote " in run.out and "06-lifeboat" in run.out
    rec = _records(messy, "06-lifeboat")
    assert rec["missing"] == ["HUT"]  # GLXY is not a lifeboat miner
    assert any(n.startswith("HUT left out") for n in rec["notes"]), rec["notes"]


@pytest.mark.parametrize("notebook", ["04-pivot-regimes", "05-briefing"])
def test_reports_note_missing_hut(messy, notebook):
    notes = _records(messy, notebook)["notes"]
    assert any(n.startswith("HUT left out") for n in notes), notes


@pytest.mark.parametrize("notebook", ["02-event-study", "05-briefing"])
def test_headline_note_names_passed_over_events_and_btc(messy, notebook):
    """The default headline event is older than the newest large deals; the note says which
    were passed over and that BTC-USD (ending early) is why."""
    from pivotlib.events.catalog import company_events

    rec = _records(messy, notebook)
    notes = rec["notes"]
    passed = next((n for n in notes if n.startswith("Passed over")), None)
    assert passed is not None, notes
    assert "BTC-USD" in passed and str(messy.ends["BTC-USD"].date()) in passed, passed
    comp = company_events().set_index("event_id")
    assert comp.at[rec["event_id"], "event_date"] <= messy.ends["BTC-USD"]
    newer = re.findall(r"([A-Z]+-\d{4}-\d{2}-\d{2}-[a-z0-9-]+) \(", passed)
    assert newer and all(comp.at[e, "event_date"] > comp.at[rec["event_id"], "event_date"]
                         for e in newer), newer


def test_sweep_lists_not_studiable_with_limiting_series(messy):
    from pivotlib.events.catalog import company_events

    run = messy.runs["sweep"]
    assert run.rc == 0, _say(run)
    m = re.search(r"(\d+) of (\d+) reports ok, 0 failed, (\d+) not studiable", run.out)
    assert m, _say(run)
    lines = {ln.split()[0]: ln for ln in run.out.splitlines()
             if ln.split()[1:3] == ["not", "studiable"]}
    assert len(lines) == int(m.group(3)) > 0
    comp = company_events()

    def line(eid: str) -> str:
        assert eid[:34] in lines, f"{eid} not listed as not studiable\n{_say(run)}"
        return lines[eid[:34]]

    btc_end = messy.ends["BTC-USD"]
    for _, ev in comp.iterrows():
        eid, sym = str(ev["event_id"]), str(ev["symbol"])
        if sym in MISSING:
            assert f"{sym} not in the dataset" in line(eid)
        elif ev["event_date"] > btc_end:
            assert "BTC-USD" in line(eid) and str(btc_end.date()) in line(eid), line(eid)
        elif sym == LATE_SYMBOL:  # every CORZ event: not listed yet, or too little history
            assert LATE_SYMBOL in line(eid) or "not listed yet" in line(eid), line(eid)


@pytest.mark.parametrize("which", ["check", "scores"])
def test_check_and_scores_exit_0(messy, which):
    run = messy.runs[which]
    assert run.rc == 0, _say(run)
    assert run.out.strip()
    if which == "scores":  # HUT is in the default cohort: left out with a note, no failure
        assert "note: HUT left out" in run.err, _say(run)


def test_no_forward_filled_returns(messy):
    """After a series' last close, and inside the IREN gap, returns are NaN, never 0.0."""
    from pivotlib.data.loading import load_returns

    r = load_returns(dataset=messy.dataset)
    btc = r["BTC-USD"]
    after = btc[btc.index > messy.ends["BTC-USD"]]
    assert len(after) > 100 and after.isna().all(), after.dropna().head()
    assert (btc.dropna() != 0.0).all()
    for sym in EARLY_END:
        assert r.loc[r.index > messy.ends[sym], sym].isna().all(), sym
    gap = r.loc[messy.gap, GAP_SYMBOL]
    assert gap.isna().all(), gap
    nxt = r.index[r.index.get_loc(messy.gap[-1]) + 1]
    assert np.isnan(r.at[nxt, GAP_SYMBOL])  # no return across the gap either
    assert r.loc[r.index < messy.corz_start, LATE_SYMBOL].isna().all()
    for s in MISSING:
        assert s not in r.columns


def test_crypto_gap_is_not_forward_filled(tmp_path):
    """A hole of 15 calendar days in a BTC-USD file gives NaN returns inside the hole, as an
    equity gap does (``load_returns``: "a gap gives NaN returns, never a fake zero"); only
    weekend and holiday closes fold into the next session."""
    from pivotlib import config
    from pivotlib.data.loading import load_prices, load_returns
    from pivotlib.data.store import PriceStore

    btc = PriceStore(config.synthetic_dir()).read("BTC-USD")[0]["close"]
    hole = pd.date_range("2025-03-10", "2025-03-24")
    _write(tmp_path / "BTC-USD.csv", btc.drop(hole, errors="ignore"))
    _write(tmp_path / "SPY.csv", load_prices(["SPY"], dataset="demo")["SPY"])
    r = load_returns(["SPY", "BTC-USD"], dataset=f"csv:{tmp_path}")["BTC-USD"]
    inside = r[(r.index > hole[0]) & (r.index <= hole[-1])]
    assert len(inside) >= 9
    assert inside.isna().all(), inside[inside.notna()]
