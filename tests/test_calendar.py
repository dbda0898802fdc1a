import numpy as np
import pandas as pd
import pytest

from pivotlib.data import calendar as cal
from pivotlib.errors import InputError


def test_sessions_skip_weekends_and_holidays():
    s = cal.sessions("2024-12-20", "2025-01-03")
    assert pd.Timestamp("2024-12-25") not in s  # Christmas
    assert pd.Timestamp("2025-01-01") not in s  # New Year
    assert pd.Timestamp("2024-12-21") not in s  # Saturday
    assert pd.Timestamp("2024-12-24") in s
    assert s.is_monotonic_increasing and s.name == "date"


def test_national_day_of_mourning_is_closed():
    # NYSE closed 2025-01-09 (President Carter); a hand-made holiday list would miss it.
    assert not cal.is_session("2025-01-09")


@pytest.mark.parametrize(
    "date,policy,expected",
    [("2024-04-20", "next", "2024-04-22"), ("2024-04-20", "previous", "2024-04-19"),
     ("2024-04-22", "next", "2024-04-22")],
)
def test_to_session_policies(date, policy, expected):
    assert cal.to_session(date, policy) == pd.Timestamp(expected)


def test_to_session_raise_names_the_day():
    with pytest.raises(InputError, match="Saturday"):
        cal.to_session("2024-04-20", "raise")


@pytest.mark.parametrize(
    "announced,timing,expected",
    [("2025-07-30", "after-close", "2025-07-31"), ("2025-06-02", "pre-market", "2025-06-02"),
     ("2024-04-19", "after-close", "2024-04-22"), ("2024-04-20", "unknown", "2024-04-22"),
     ("2024-07-03", "after-close", "2024-07-05")],
)
def test_event_session(announced, timing, expected):
    assert cal.event_session(announced, timing) == pd.Timestamp(expected)


def test_bad_timing_and_bad_date():
    with pytest.raises(InputError, match="timing"):
        cal.event_session("2025-01-02", "lunchtime")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        cal.to_session("not a date")


def test_weekend_moves_fold_into_monday():
    days = pd.date_range("2024-04-18", "2024-04-23", freq="D")  # Thu..Tue
    btc = pd.Series([100.0, 101.0, 110.0, 121.0, 120.0, 126.0], index=days)
    sess = cal.sessions("2024-04-18", "2024-04-23")
    aligned = cal.align_to_sessions(btc, sess)
    r = cal.simple_returns(aligned)
    # Friday close 101 -> Monday close 120: the weekend's +19/101 lands on Monday.
    assert r.loc["2024-04-22"] == pytest.approx(120 / 101 - 1)
    # Compounded returns over the span equal the 7-day series' compounded returns.
    assert np.prod(1 + r) == pytest.approx(btc.iloc[-1] / btc.iloc[0])


def test_shift_sessions():
    assert cal.shift_sessions("2024-12-24", 1) == pd.Timestamp("2024-12-26")
    assert cal.shift_sessions("2024-12-26", -1) == pd.Timestamp("2024-12-24")


def test_session_cache_matches_the_library_and_survives_corruption(tmp_path, monkeypatch):
    monkeypatch.setenv("PIVOT_CACHE_DIR", str(tmp_path))
    cal._all_sessions.cache_clear()
    try:
        built = cal._all_sessions("XNYS")  # builds from exchange_calendars, writes the cache
        (cache_file,) = tmp_path.glob("sessions-XNYS-*.npy")
        cal._all_sessions.cache_clear()
        assert cal._all_sessions("XNYS").equals(built)  # read back from the cache
        cache_file.write_bytes(b"not an npy file")
        cal._all_sessions.cache_clear()
        assert cal._all_sessions("XNYS").equals(built)  # corrupt cache: rebuilt, not used
        xc = cal._calendar("XNYS").sessions
        assert built.equals(pd.DatetimeIndex(xc.tz_localize(None) if xc.tz else xc).as_unit("ns"))
    finally:
        cal._all_sessions.cache_clear()
