"""The catalog against real closes in ../shared/realdata (skips when the folder is absent).

Every event's measured day-0 move is compared with the move its source reported; a flagged
row must carry its explanation in the catalog (notes containing ``CHECK: ...``). Run with
``-s`` to see the table.
"""

from __future__ import annotations

import functools
import os

import pandas as pd
import pytest

from pivotlib.events import catalog as ev
from pivotlib.studies import check as chk

pytestmark = pytest.mark.realdata

FOLDERS = ("dsturdy__Factor_Attribution_5_csvs/data",        # miners, SPY (its BTC.csv is an ETF)
           "SAToptunov__2526-dzi-ai-SAToptunov21/data",       # BTC-USD to 2026-02-05
           "bdesia__MSTGAM-4trading/data")                     # BITF


@functools.lru_cache(maxsize=2)
def _load(realdata_dir: str) -> pd.DataFrame:
    from pivotlib.data.loading import load_returns

    folders = [os.path.join(realdata_dir, f) for f in FOLDERS]
    # end before dsturdy's partial 2026-07-14 row (BTC-USD itself ends 2026-02-05)
    return load_returns(start="2021-06-01", end="2026-07-10",
                        dataset="csv:" + os.pathsep.join(folders))


@pytest.fixture
def real_returns(realdata) -> pd.DataFrame:
    """Real closes as returns through pivotlib's CSV import path (loaded once per run)."""
    return _load(str(realdata)).copy()


def test_loader_matches_a_plain_pandas_read(realdata, real_returns):
    raw = pd.read_csv(realdata / FOLDERS[0] / "APLD.csv", parse_dates=["Date"],
                      index_col="Date")["Close"]
    raw = raw[raw.index < "2026-07-14"]
    direct = raw.pct_change()
    for day in ("2023-05-16", "2023-06-23", "2025-06-02"):
        assert real_returns.loc[day, "APLD"] == pytest.approx(direct.loc[day], rel=1e-9)
    assert "BTC-USD" in real_returns and "SPY" in real_returns
    # BTC-USD is bitcoin (tens of thousands of dollars), not dsturdy's BTC ETF
    assert real_returns["BTC-USD"].std() > 0.015


def test_no_unexplained_flag_on_real_closes(real_returns):
    cat = ev.load_catalog()
    table = chk.check_events(real_returns, cat)
    with pd.option_context("display.width", 200):
        print("\n" + chk.format_check(table))
        print(f"-- model: {table.attrs['model']}")
    flagged = table[table["flag"] != ""]
    unexplained = flagged[~flagged["explained"]]
    assert unexplained.empty, "unexplained flags:\n" + unexplained[
        ["event_id", "reported", "basis", "raw_d0"]].to_string()
    # a close-basis mismatch is a wrong date or a wrong figure: none may remain
    assert not (flagged["flag"] == "MISMATCH").any()
    measured = table[table["status"].str.startswith("measured")]
    assert len(measured) >= 38
    assert (table.loc[table["status"] == "measured", "n_est"] >= 60).all()


@pytest.mark.parametrize("event_id,expected", [
    ("APLD-2023-05-16-first-ai-customer", 78.9),   # Tuesday 2023-05-16, not "some day in May"
    ("IREN-2023-06-20-hpc-expansion", 21.1),
    ("CORZ-2024-06-03-coreweave-200mw", 40.2),     # after-close 06-03 -> reacts 06-04
    ("WULF-2025-08-14-fluidstack-google", 59.5),
    ("APLD-2025-06-02-coreweave-leases", 48.5),
    ("APLD-2023-06-23-ceo-8k", -16.3),             # the 8-K, not the $460M contract, set the close
])
def test_known_real_moves(real_returns, event_id, expected):
    cat = ev.load_catalog()
    t = chk.check_events(real_returns, cat[cat["event_id"] == event_id])
    assert t.loc[0, "raw_d0"] == pytest.approx(expected, abs=0.1)


def test_apld_460m_row_is_resolved(real_returns):
    """The research draft's APLD $460M row contradicted real closes; the catalog explains why."""
    cat = ev.load_catalog()
    row = cat[cat["event_id"] == "APLD-2023-06-23-second-ai-customer"].iloc[0]
    assert row["event_date"] == pd.Timestamp("2023-06-23")
    assert "8-K" in row["confounders"] and "CHECK:" in row["notes"]
    t = chk.check_events(real_returns, cat[cat["event_id"].str.startswith("APLD-2023-06-23")])
    by_id = t.set_index("event_id")
    assert by_id.loc["APLD-2023-06-23-second-ai-customer", "flag"] == "basis differs"
    assert by_id.loc["APLD-2023-06-23-ceo-8k", "flag"] == ""
    # the next session's rebound is not the announcement: the [-1,+1] window nets out near 0
    assert abs(by_id.loc["APLD-2023-06-23-second-ai-customer", "raw_m1p1"]) < 5


def test_cli_check_on_real_closes(realdata, capsys):
    from pivotlib.cli import main

    ds = "csv:" + ",".join(str(realdata / f) for f in FOLDERS)
    rc = main(["events", "check", "--dataset", ds, "--symbol", "APLD", "--symbol", "CIFR"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "0 unexplained" in out and "UNEXPLAINED" not in out
    assert "APLD-2023-05-16-first-ai-customer" in out and "IREN-" not in out
