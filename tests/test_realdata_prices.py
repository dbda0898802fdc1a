"""Real-market checks through the CSV path, reading ../shared/realdata at run time.

They skip when the folder is absent (a user's machine). Nothing from it is copied here.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from pivotlib.data.loading import load_prices, load_returns
from pivotlib.data.sources.csvimport import read_price_csv
from pivotlib.data.sources.yahoo import chart_to_frame, to_store_layout

pytestmark = pytest.mark.realdata

DSTURDY = "dsturdy__Factor_Attribution_5_csvs/data"
BTC = "SAToptunov__2526-dzi-ai-SAToptunov21/data"
END = "2026-07-13"  # dsturdy's 2026-07-14 rows are intraday prices (README): cut them


def _ds(realdata, *folders):
    return "csv:" + os.pathsep.join(str(realdata / f) for f in folders)


def test_apld_2025_06_02_close_to_close(realdata):
    r = load_returns(["APLD"], "2025-05-01", "2025-06-30", dataset=_ds(realdata, DSTURDY))
    move = r.loc["2025-06-02", "APLD"]
    assert move == pytest.approx(0.485, abs=0.001)
    assert r.attrs["synthetic"] is False and r.attrs["sources"] == {"APLD": "csv"}


@pytest.mark.parametrize("sym,day,move", [
    ("IREN", "2023-06-20", 0.211), ("CORZ", "2024-06-04", 0.402),
    ("WULF", "2025-08-14", 0.595), ("APLD", "2023-05-16", 0.789),
])
def test_other_documented_moves(realdata, sym, day, move):
    r = load_returns([sym], day, day, dataset=_ds(realdata, DSTURDY))
    assert r.loc[day, sym] == pytest.approx(move, abs=0.001)


def test_btc_weekend_moves_fold_into_monday(realdata):
    ds = _ds(realdata, DSTURDY, BTC)
    r = load_returns(["BTC-USD", "SPY"], "2024-01-01", "2025-12-31", dataset=ds)
    raw = read_price_csv(realdata / BTC / "BTC-USD.csv", adjusted=True)["close"]
    daily = raw.pct_change()
    mondays = [d for d in r.index if d.day_of_week == 0]
    assert len(mondays) > 80
    checked = 0
    for mon in mondays:
        prev = r.index[r.index.get_loc(mon) - 1]
        # compounded calendar-day returns from the previous session (exclusive) to Monday
        seven = daily[(daily.index > prev) & (daily.index <= mon)]
        assert len(seven) == (mon - prev).days
        assert r.loc[mon, "BTC-USD"] == pytest.approx(np.prod(1 + seven) - 1, rel=1e-9, abs=1e-12)
        checked += 1
    assert checked == len(mondays)
    # sum of log returns over sessions equals the 7-day total: nothing lost, nothing doubled
    px = load_prices(["BTC-USD"], "2024-01-02", "2025-12-31", dataset=ds)["BTC-USD"]
    total = np.log(px.iloc[-1] / px.iloc[0])
    assert np.log1p(r.loc["2024-01-03":"2025-12-31", "BTC-USD"]).sum() == pytest.approx(total)
    # weekend days exist in the raw series but not in the aligned frame
    assert (raw.index.day_of_week >= 5).sum() > 150
    assert (r.index.day_of_week < 5).all()


def test_bdesia_hut_two_header_csv_parses(realdata):
    df = read_price_csv(realdata / "bdesia__MSTGAM-4trading/data/HUT.csv", adjusted=False,
                        symbol="HUT")
    assert df.attrs["layout"] == "yfinance-multiheader" and df.attrs["ticker"] == "HUT"
    assert df.index.is_monotonic_increasing and df.index.is_unique
    assert df[["open", "high", "low", "close", "volume"]].notna().all().all()
    assert (df["high"] >= df["low"]).all()
    assert str(df.index[-1].date()) == "2025-12-12"
    # agrees with the independent dsturdy copy where both exist (README cross-check)
    other = read_price_csv(realdata / DSTURDY / "HUT.csv", adjusted=True)["close"]
    common = df.index.intersection(other.index)
    common = common[common >= "2024-01-01"]
    assert len(common) > 400
    ratio = (df.loc[common, "close"] / other.loc[common]).to_numpy()
    assert np.allclose(ratio, ratio[0], rtol=1e-4)


def test_listed_from_masks_other_issuer_history(realdata):
    px = load_prices(["WULF", "CORZ"], "2021-06-01", END, dataset=_ds(realdata, DSTURDY))
    raw = read_price_csv(realdata / DSTURDY / "WULF.csv", adjusted=True)
    assert raw.index[0] < pd.Timestamp("2021-12-14")  # IKONICS history exists in the file
    assert px.loc[:"2021-12-13", "WULF"].isna().all()
    assert px.loc["2021-12-14", "WULF"] == raw.loc["2021-12-14", "close"]
    assert px["CORZ"].first_valid_index() == pd.Timestamp("2024-01-24")


def test_end_cuts_the_intraday_last_row(realdata):
    raw = read_price_csv(realdata / DSTURDY / "SPY.csv", adjusted=True)
    px = load_prices(["SPY"], "2026-07-01", END, dataset=_ds(realdata, DSTURDY))
    assert px.index[-1] == pd.Timestamp(END)
    if raw.index[-1] > pd.Timestamp(END):
        assert raw.index[-1] not in px.index


def test_recorded_yahoo_chart_matches_csv_btc(realdata):
    fx = realdata / "gadicc__node-yahoo-finance2/tests/fixtures/http"
    body = json.loads((fx / "chart-BTC-USD-2020-01-01-to-2020-01-03.json").read_text())
    df = to_store_layout(chart_to_frame(body["response"]["bodyJson"], "BTC-USD"), "BTC-USD")
    assert [d.date().isoformat() for d in df.index][:2] == ["2020-01-01", "2020-01-02"]
    csv = read_price_csv(realdata / BTC / "BTC-USD.csv", adjusted=True)["close"]
    common = df.index.intersection(csv.index)
    assert len(common) >= 2
    np.testing.assert_allclose(df.loc[common, "close"], csv.loc[common], rtol=1e-6)


def test_recorded_msft_chart_has_new_york_session_dates(realdata):
    body = json.loads((realdata / "gramistella__yfinance-rs/tests/fixtures/history_chart_MSFT.json")
                      .read_text())
    df = to_store_layout(chart_to_frame(body, "MSFT"), "MSFT")
    from pivotlib.data.calendar import is_session

    assert len(df) > 100
    assert all(is_session(d) for d in df.index)
    assert "adj_close" in df and (df["adj_close"] <= df["close"] + 1e-9).all()


def test_imported_store_equals_csv_dataset(realdata, tmp_data_dir):
    """`pivot data import` of real files, then dataset "store", gives the same frame as
    reading the folder directly ("csv:"), including BTC alignment and listed_from masks."""
    from pivotlib.cli import main

    files = {s: realdata / DSTURDY / f"{s}.csv" for s in ["APLD", "WULF", "SPY"]}
    files["BTC-USD"] = realdata / BTC / "BTC-USD.csv"
    files["HUT"] = realdata / "bdesia__MSTGAM-4trading/data/HUT.csv"
    for s, f in files.items():
        assert main(["data", "import", str(f), "--symbol", s, "--adjusted",
                     "--drop-after", END]) == 0
    syms = list(files)
    a = load_returns(syms, "2023-01-01", "2025-12-12", dataset="store")
    b = load_returns(syms, "2023-01-01", "2025-12-12",
                     dataset=_ds(realdata, "bdesia__MSTGAM-4trading/data", DSTURDY, BTC))
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a["HUT"].loc[:"2023-11-30"].isna().all()  # Hut 8 Mining history masked
    assert a.attrs["sources"] == {s: "csv" for s in syms}
