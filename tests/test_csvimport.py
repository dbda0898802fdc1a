"""Tests of pivotlib.data.sources.csvimport: every accepted layout and every error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pivotlib.data.sources.csvimport import read_price_csv
from pivotlib.errors import InputError


def _w(tmp_path, text, name="X.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


YAHOO_EXPORT = """Date,Open,High,Low,Close,Adj Close,Volume
2025-05-29,5.10,5.20,4.90,5.00,4.95,1000
2025-05-30,5.00,5.10,4.80,4.85,4.80,1100
2025-06-02,6.00,7.50,5.90,7.20,7.13,9000
"""


def test_yahoo_export(tmp_path):
    df = read_price_csv(_w(tmp_path, YAHOO_EXPORT), adjusted=False, symbol="APLD")
    assert df.attrs["layout"] == "yahoo-export" and df.attrs["adjusted"] is False
    assert list(df.columns) == ["open", "high", "low", "close", "volume", "adj_close"]
    assert (df.dtypes == np.float64).all()
    assert df.index.name == "date" and str(df.index[-1].date()) == "2025-06-02"
    assert df["close"].tolist() == [5.0, 4.85, 7.2]
    assert df["adj_close"].iloc[-1] == 7.13 and df["volume"].iloc[0] == 1000.0


def test_yahoo_export_null_rows_are_dropped(tmp_path):
    text = YAHOO_EXPORT + "2025-06-03,null,null,null,null,null,null\n"
    df = read_price_csv(_w(tmp_path, text), adjusted=False)
    assert len(df) == 3 and df.attrs["dropped_missing_close"] == 1


def test_yfinance_three_header_rows(tmp_path):
    text = ("Price,Adj Close,Close,High,Low,Open,Volume\n"
            "Ticker,HUT,HUT,HUT,HUT,HUT,HUT\n"
            "Date,,,,,,\n"
            "2025-01-02,20.5,21.0,21.5,19.9,20.0,300000\n"
            "2025-01-03,22.0,22.5,23.0,21.0,21.1,350000\n")
    df = read_price_csv(_w(tmp_path, text, "HUT.csv"), adjusted=False, symbol="HUT")
    assert df.attrs["layout"] == "yfinance-multiheader" and df.attrs["ticker"] == "HUT"
    assert df["close"].tolist() == [21.0, 22.5] and df["adj_close"].tolist() == [20.5, 22.0]
    assert df["open"].tolist() == [20.0, 21.1]


def test_yfinance_two_header_rows_old_style(tmp_path):
    text = ("Date,Close,High,Low,Open,Volume\n"
            ",HUT,HUT,HUT,HUT,HUT\n"
            "2018-03-08,17.98,18.71,17.90,17.91,5480\n"
            "2018-03-09,17.63,17.69,17.51,17.69,680\n")
    df = read_price_csv(_w(tmp_path, text, "HUT.csv"), adjusted=True)
    assert df.attrs["ticker"] == "HUT" and df["close"].tolist() == [17.98, 17.63]
    assert df["volume"].tolist() == [5480.0, 680.0] and "adj_close" not in df


def test_yfinance_multi_ticker_file_needs_symbol(tmp_path):
    text = ("Ticker,APLD,APLD,HUT,HUT\n"
            "Price,Close,Volume,Close,Volume\n"
            "Date,,,,\n"
            "2025-01-02,7.0,100,20.0,200\n"
            "2025-01-03,7.5,110,21.0,210\n")
    p = _w(tmp_path, text)
    with pytest.raises(InputError, match=r"several tickers \['APLD', 'HUT'\].*--symbol"):
        read_price_csv(p, adjusted=False)
    hut = read_price_csv(p, adjusted=False, symbol="HUT")
    assert hut["close"].tolist() == [20.0, 21.0] and hut["volume"].tolist() == [200.0, 210.0]
    apld = read_price_csv(p, adjusted=False, symbol="APLD")
    assert apld["close"].tolist() == [7.0, 7.5]


def test_ticker_row_must_match_symbol(tmp_path):
    text = "Price,Close\nTicker,HUT\nDate,\n2025-01-02,1.0\n"
    with pytest.raises(InputError, match="holds HUT .* symbol given is RIOT"):
        read_price_csv(_w(tmp_path, text), adjusted=True, symbol="RIOT")


def test_plain_date_close(tmp_path):
    df = read_price_csv(_w(tmp_path, "Date,Close\n2025-01-02,1.5\n2025-01-03,1.6\n"), adjusted=True)
    assert df.attrs["layout"] == "date-close" and df.attrs["adjusted"] is True
    assert df["close"].tolist() == [1.5, 1.6] and df["open"].isna().all()


def test_lowercase_ohlcv_with_extra_column(tmp_path):
    text = ("date,open,high,low,close,volume,Log_Return\n"
            "2025-01-02,1,2,0.5,1.5,10,\n2025-01-03,1.5,2,1,1.8,20,0.18\n")
    df = read_price_csv(_w(tmp_path, text), adjusted=False)
    assert df.attrs["layout"] == "ohlcv" and df.attrs["ignored_columns"] == ["Log_Return"]
    assert df["high"].tolist() == [2.0, 2.0]


def test_blank_index_header_and_timestamps_with_offsets(tmp_path):
    text = (",open,high,low,close,volume\n"
            "2024-03-08 00:00:00-05:00,1,1,1,1.0,5\n"
            "2024-03-11 00:00:00-04:00,1,1,1,2.0,5\n")
    df = read_price_csv(_w(tmp_path, text), adjusted=False)
    assert [d.date().isoformat() for d in df.index] == ["2024-03-08", "2024-03-11"]


def test_us_dates_and_dollar_signs(tmp_path):
    text = "Date,Close/Last,Volume,Open,High,Low\n06/03/2025,$7.30,900,$7.1,$7.5,$7.0\n06/02/2025,$7.20,1000,$6,$7.5,$5.9\n"
    df = read_price_csv(_w(tmp_path, text), adjusted=False)
    assert df["close"].tolist() == [7.2, 7.3]  # sorted ascending
    assert str(df.index[0].date()) == "2025-06-02"


def test_drop_after_and_start(tmp_path):
    text = "Date,Close\n2026-07-10,1\n2026-07-13,2\n2026-07-14,2.5\n"
    df = read_price_csv(_w(tmp_path, text), adjusted=True, drop_after="2026-07-13")
    assert str(df.index[-1].date()) == "2026-07-13" and df.attrs["dropped_after"] == 1
    df2 = read_price_csv(_w(tmp_path, text), adjusted=True, start="2026-07-13")
    assert len(df2) == 2


# ---- errors -------------------------------------------------------------------------------
@pytest.mark.parametrize("text,match", [
    ("Symbol,Close\nAPLD,1\n", r"X\.csv:1: unknown CSV layout: no date column"),
    ("Date,Open,Volume\n2025-01-02,1,2\n", r"X\.csv:1: unknown CSV layout: no Close column"),
    ("Date,Close\n2025-01-02,1\n2025-13-45,2\n", r"X\.csv:3: cannot parse date '2025-13-45'"),
    ("Date,Close\n2025-01-02,1\nyesterday,2\n", r"X\.csv:3: cannot parse date 'yesterday'"),
    ("Date,Close\n2025-01-02,1\n2025-01-03,abc\n", r"X\.csv:3: Close value 'abc' is not a number"),
    ("Date,Close\n2025-01-02,1\n2025-01-03,2\n2025-01-02,3\n",
     r"date 2025-01-02 appears 2 times \(lines 2, 4\)"),
    ("Date,Close\n2025-01-02,-1\n", r"X\.csv:2: negative close"),
    ("Date,Close\n", "no data rows"),
    ("", "is empty"),
    ("Date,Close\n2025-01-02,inf\n", "not finite"),
])
def test_errors_name_the_problem_and_line(tmp_path, text, match):
    with pytest.raises(InputError, match=match):
        read_price_csv(_w(tmp_path, text), adjusted=True)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_price_csv(tmp_path / "nope.csv", adjusted=True)


def test_result_is_store_layout_and_writable(tmp_path):
    from pivotlib.data.store import PriceStore, SymbolMeta

    df = read_price_csv(_w(tmp_path, YAHOO_EXPORT), adjusted=False)
    st = PriceStore(tmp_path / "store")
    st.write("APLD", df, SymbolMeta("APLD", "csv"))
    back, meta = st.read("APLD")
    pd.testing.assert_frame_equal(back, df, check_freq=False)
    assert meta.rows == 3


def test_semicolon_decimal_comma_and_tab_files(tmp_path):
    semi = "Date;Open;High;Low;Close;Volume\n2025-01-02;1.234,5;1.300,0;1.200,0;1.250,25;10\n"
    df = read_price_csv(_w(tmp_path, semi), adjusted=False)
    assert df["close"].iloc[0] == 1250.25 and df["open"].iloc[0] == 1234.5
    tab = "Date\tClose\n2025-01-02\t1,250.25\n"
    assert read_price_csv(_w(tmp_path, tab, "T.csv"), adjusted=True)["close"].iloc[0] == 1250.25
