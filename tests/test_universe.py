"""Tests of pivotlib.data.universe: the default file and validation errors with line numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from pivotlib.data.universe import COLUMNS, load_universe, symbol_info, symbols_by_role
from pivotlib.errors import InputError

HEADER = "symbol,name,role,yahoo_symbol,calendar,listed_from,notes\n"


def test_default_universe_has_the_issue_symbols():
    u = load_universe()
    assert list(u.columns) == COLUMNS
    expected = ("APLD IREN HUT CORZ WULF CIFR MARA RIOT CLSK BITF BTDR HIVE BTBT GLXY "
                "BTC-USD ETH-USD SPY QQQ SMH IWM WGMI").split()
    assert set(expected) <= set(u["symbol"])
    assert u["symbol"].is_unique
    assert u["listed_from"].dtype == "datetime64[ns]"
    lf = u.set_index("symbol")["listed_from"]
    assert lf["WULF"] == pd.Timestamp("2021-12-14")
    assert lf["CORZ"] == pd.Timestamp("2024-01-24")
    assert lf["HUT"] == pd.Timestamp("2023-11-30")
    cal = u.set_index("symbol")["calendar"]
    assert cal["BTC-USD"] == "24/7" and cal["APLD"] == "XNYS"


def test_symbols_by_role():
    assert symbols_by_role("crypto") == ["BTC-USD", "ETH-USD"]
    assert "SPY" in symbols_by_role(["benchmark"]) and "APLD" not in symbols_by_role("miner")
    with pytest.raises(InputError, match="unknown role"):
        symbols_by_role("bank")


def _write(tmp_path, text: str):
    p = tmp_path / "u.csv"
    p.write_text(text)
    return p


def test_minimal_user_file_gets_defaults(tmp_path):
    p = _write(tmp_path, "symbol,role\nAPLD,ai_host\nBTC-USD,crypto\n")
    u = load_universe(p)
    assert u["calendar"].tolist() == ["XNYS", "24/7"]
    assert u["yahoo_symbol"].tolist() == ["APLD", "BTC-USD"]
    assert u["listed_from"].isna().all()
    assert symbols_by_role(None, p) == ["APLD", "BTC-USD"]


@pytest.mark.parametrize("body,match", [
    ("APLD,Applied,bank,APLD,XNYS,,\n", r"u\.csv:2: APLD has role 'bank'"),
    ("APLD,Applied,miner,APLD,XNYS,2022-13-45,\n", r"u\.csv:2: APLD listed_from '2022-13-45'"),
    ("APLD,Applied,miner,APLD,XNYS,April 2022,\n", r"u\.csv:2: .*not a date"),
    ("APLD,A,miner,APLD,XNYS,,\nAPLD,A,miner,APLD,XNYS,,\n", r"u\.csv:3: symbol APLD already listed on line 2"),
    ("APLD,A,miner,APLD,NYSE!,,\n", r"u\.csv:2: APLD has calendar"),
    (",A,miner,APLD,XNYS,,\n", r"u\.csv:2: empty symbol"),
    ("AP LD,A,miner,APLD,XNYS,,\n", r"u\.csv:2: symbol 'AP LD'"),
    ("APLD,A,miner,APLD,XNYS,,note,extra\n", r"u\.csv:2: 8 fields"),
])
def test_bad_rows_name_the_line(tmp_path, body, match):
    with pytest.raises(InputError, match=match):
        load_universe(_write(tmp_path, HEADER + body))


def test_line_numbers_skip_blank_and_comment_lines(tmp_path):
    p = _write(tmp_path, HEADER + "APLD,A,miner,APLD,XNYS,,\n\n# comment\nX,A,oops,X,XNYS,,\n")
    with pytest.raises(InputError, match=r"u\.csv:5: X has role"):
        load_universe(p)


def test_bad_header_and_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"u\.csv:1: missing required column"):
        load_universe(_write(tmp_path, "ticker,name\nAPLD,A\n"))
    with pytest.raises(InputError, match="unknown column"):
        load_universe(_write(tmp_path, "symbol,role,sector\nAPLD,miner,tech\n"))
    with pytest.raises(InputError, match="lists no symbols"):
        load_universe(_write(tmp_path, "symbol,role\n"))
    with pytest.raises(InputError, match="not found"):
        load_universe(tmp_path / "nope.csv")


def test_symbol_info_defaults_for_unlisted_symbols():
    u = load_universe()
    assert symbol_info("HUT", u)["listed_from"] == pd.Timestamp("2023-11-30")
    assert symbol_info("SOL-USD", u)["calendar"] == "24/7"
    assert symbol_info("NVDA", u)["calendar"] == "XNYS"
    assert pd.isna(symbol_info("NVDA", None)["listed_from"])
