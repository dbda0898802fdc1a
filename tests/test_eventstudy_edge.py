"""Edge cases: non-trading dates, listing, NaNs, zero variance, bad ids and windows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pivotlib.analytics.eventstudy import run_event_study
from pivotlib.data.calendar import sessions
from pivotlib.errors import InputError


@pytest.fixture(scope="module")
def frame():
    with warnings.catch_warnings():  # exchange_calendars trips a pandas 3.1 deprecation
        warnings.simplefilter("ignore")
        idx = sessions("2022-01-03", "2024-12-31")  # real XNYS sessions (holidays missing)
    rng = np.random.default_rng(0)
    n = len(idx)
    spy = rng.normal(0, 0.01, n)
    data = {"SPY": spy}
    for i, b in enumerate([0.8, 1.2, 1.5]):
        data[f"A{i}"] = 0.0002 + b * spy + rng.normal(0, 0.02, n)
    f = pd.DataFrame(data, index=idx)
    f["NEW"] = f["A0"]
    f.loc[f.index < "2024-03-01", "NEW"] = np.nan     # listed 2024-03-01
    f["FLAT"] = 0.0                                    # constant returns
    return f


def ev(*rows):
    return pd.DataFrame(rows, columns=["event_id", "symbol", "event_date"])


def one(frame, date, **kw):
    return run_event_study(frame, ev(("e", "A1", date)), n_boot=0, **kw).events.loc["e"]


def test_weekend_event_policies(frame):
    sat = "2024-06-08"
    assert one(frame, sat)["day0"] == pd.Timestamp("2024-06-10")          # next (default)
    assert one(frame, sat, nontrading="previous")["day0"] == pd.Timestamp("2024-06-07")
    with pytest.raises(InputError, match="non-trading"):
        one(frame, sat, nontrading="raise")
    # the whole timeline moves: identical to passing Monday directly
    a = one(frame, sat)
    b = one(frame, "2024-06-10")
    assert a["car"] == b["car"] and a["alpha"] == b["alpha"]


def test_holiday_event_moves_to_next_session(frame):
    r = one(frame, "2024-07-04")  # Independence Day
    assert r["day0"] == pd.Timestamp("2024-07-05") and r["status"] == "ok"
    r = one(frame, "2024-07-04", nontrading="previous")
    assert r["day0"] == pd.Timestamp("2024-07-03")


def test_window_counts_trading_days_across_holidays(frame):
    res = run_event_study(frame, ev(("e", "A1", "2024-07-03")), window=(-1, 2), n_boot=0)
    dates = list(res.ar["date"])
    assert dates == [pd.Timestamp(d) for d in ("2024-07-02", "2024-07-03", "2024-07-05",
                                               "2024-07-08")]


def test_event_before_listing_and_too_few_observations(frame):
    res = run_event_study(frame, ev(("a", "NEW", "2024-01-10"), ("b", "NEW", "2024-05-01"),
                                    ("c", "NEW", "2024-12-02"), ("d", "A0", "2024-05-01")),
                          n_boot=0)
    st = res.events["status"]
    assert st["a"].startswith("not listed yet") and "2024-03-01" in st["a"]
    assert st["b"].startswith("too few observations")
    assert st["c"] == "ok"                    # 9 months after listing: enough data
    assert st["d"] == "ok"
    assert np.isnan(res.events.loc["b", "car"])
    assert res.n_ok == 2
    # min_est is an option
    res2 = run_event_study(frame, ev(("b", "NEW", "2024-05-01")), min_est=30, n_boot=0)
    assert res2.events.loc["b", "status"] == "ok"
    assert res2.events.loc["b", "n_est"] == len(frame.loc["2024-03-01":"2024-05-01"]) - 11


def test_symbol_missing_date_outside_and_runoff(frame):
    res = run_event_study(frame, ev(("m", "ZZZZ", "2024-05-01"), ("o", "A1", "2030-01-02"),
                                    ("p", "A1", "2021-06-01"), ("q", "A1", "2022-03-01"),
                                    ("r", "A1", "2024-12-31"), ("s", "A1", "2024-05-01")),
                          n_boot=0)
    st = res.events["status"]
    assert st["m"] == "symbol not in returns"
    assert st["o"].startswith("event date outside data")
    assert st["p"].startswith("event date outside data")
    assert st["q"].startswith("estimation runs off the data")
    assert st["r"].startswith("event window runs off the data (the returns end")
    assert st["s"] == "ok"
    assert res.ar["event_id"].unique().tolist() == ["s"]


def test_nans_inside_windows(frame):
    f = frame.copy()
    f.loc["2024-04-29", "A2"] = np.nan          # day -2 of 2024-05-01 event (window -2..2)
    f.loc["2024-02-01":"2024-02-09", "A2"] = np.nan  # 7 sessions inside estimation
    base = run_event_study(frame, ev(("e", "A2", "2024-05-01")), window=(-2, 2), n_boot=0)
    res = run_event_study(f, ev(("e", "A2", "2024-05-01")), window=(-2, 2), n_boot=0)
    r, b = res.events.loc["e"], base.events.loc["e"]
    assert r["status"] == "ok"
    assert r["n_est"] == b["n_est"] - 7
    assert r["n_evt"] == 4
    ar = res.ar.set_index("rel_day")["ar"]
    assert np.isnan(ar[-2]) and np.isfinite(ar[[-1, 0, 1, 2]]).all()
    assert r["car"] == pytest.approx(ar.dropna().sum())
    assert r["car_t"] == pytest.approx(r["car"] / (r["sigma"] * 2.0))  # sqrt(L2 = 4)
    # a NaN in the market drops that day too
    g = frame.copy()
    g.loc["2024-05-02", "SPY"] = np.nan
    assert run_event_study(g, ev(("e", "A2", "2024-05-01")), n_boot=0).events.loc[
        "e", "n_evt"] == 2


def test_all_event_returns_missing(frame):
    f = frame.copy()
    f.loc["2024-04-30":"2024-05-02", "A2"] = np.nan
    res = run_event_study(f, ev(("e", "A2", "2024-05-01"), ("g", "A1", "2024-05-01")), n_boot=0)
    assert res.events.loc["e", "status"].startswith("no valid returns in the event window: A2 has 0")
    assert res.n_ok == 1


def test_zero_variance(frame):
    res = run_event_study(frame, ev(("f", "FLAT", "2024-05-01"), ("g", "A1", "2024-05-01")),
                          n_boot=0)
    assert res.events.loc["f", "status"].startswith("constant returns")
    # a constant market makes the regressor singular
    g = frame.copy()
    g["SPY"] = 0.001
    r = run_event_study(g, ev(("g", "A1", "2024-05-01")), n_boot=0).events.loc["g"]
    assert r["status"].startswith("regressors constant")
    # constant-mean model does not need the market
    r = run_event_study(g, ev(("g", "A1", "2024-05-01")), model="constant_mean",
                        n_boot=0).events.loc["g"]
    assert r["status"] == "ok"


def test_all_events_dropped_gives_nan_tests(frame):
    res = run_event_study(frame, ev(("f", "FLAT", "2024-05-01")), n_boot=0)
    assert res.n_ok == 0
    assert res.tests["statistic"].isna().all()
    assert "Dropped events" in res.summary()


def test_duplicate_ids(frame):
    with pytest.raises(InputError, match="duplicate event_id"):
        run_event_study(frame, ev(("e", "A1", "2024-05-01"), ("e", "A2", "2024-06-03")))


@pytest.mark.parametrize("kw,msg", [
    (dict(window=(2, -2)), "reversed"),
    (dict(estimation=(-11, -250)), "reversed"),
    (dict(estimation=(-250, 0), window=(-1, 1)), "overlaps"),
    (dict(estimation=(-250, -1), window=(-1, 1)), "overlaps"),
    (dict(window=(-1.5, 1)), "integers"),
    (dict(model="fama"), "unknown model"),
    (dict(model="factors"), "factors="),
    (dict(model="factors", factors=["SPY", "BTC-USD"]), "not in returns"),
    (dict(market="QQQ"), "not in returns"),
    (dict(bmp_standardize="x"), "bmp_standardize"),
    (dict(nontrading="soon"), "nontrading"),
    (dict(min_est=1), "min_est"),
])
def test_bad_parameters_raise_with_fix(frame, kw, msg):
    with pytest.raises(InputError, match=msg):
        run_event_study(frame, ev(("e", "A1", "2024-05-01")), **kw)


def test_overlap_message_suggests_fix(frame):
    with pytest.raises(InputError, match=r"estimation=\(-250, -2\)"):
        run_event_study(frame, ev(("e", "A1", "2024-05-01")), estimation=(-250, 0),
                        window=(-1, 1))


def test_bad_events_frame(frame):
    with pytest.raises(InputError, match="lacks column"):
        run_event_study(frame, pd.DataFrame({"symbol": ["A1"], "event_date": ["2024-05-01"]}))
    with pytest.raises(InputError, match="unparseable|not a date|no event_date"):
        run_event_study(frame, ev(("e", "A1", "not a date")))
    with pytest.raises(InputError, match="DatetimeIndex"):
        run_event_study(frame.reset_index(drop=True), ev(("e", "A1", "2024-05-01")))


def test_post_event_estimation_window_allowed(frame):
    r = run_event_study(frame, ev(("e", "A1", "2023-05-01")), estimation=(11, 250),
                        n_boot=0).events.loc["e"]
    assert r["status"] == "ok" and r["n_est"] == 240


def test_confounding_flag_and_masking(frame):
    events = ev(("a", "A1", "2024-05-01"), ("b", "A1", "2024-05-02"), ("c", "A1", "2024-06-14"),
                ("d", "A2", "2024-05-01"))
    res = run_event_study(frame, events, n_boot=0)
    e = res.events
    assert e.loc["a", "confounded"] and e.loc["a", "confounded_by"] == "b"
    assert e.loc["b", "confounded"] and e.loc["b", "confounded_by"] == "a"
    assert not e.loc["c", "confounded"] and not e.loc["d", "confounded"]
    # c's estimation window [-250, -11] contains a's and b's windows (4 distinct sessions)
    assert e.loc["c", "n_est"] == 240 - 4
    nomask = run_event_study(frame, events, n_boot=0, mask_other_events=False)
    assert nomask.events.loc["c", "n_est"] == 240
    # other_events: catalog events outside the study still confound / mask
    res2 = run_event_study(frame, events.iloc[[2]], other_events=events, n_boot=0)
    assert res2.events.loc["c", "n_est"] == 236
    res3 = run_event_study(frame, events.iloc[[0]], other_events=events, n_boot=0)
    assert res3.events.loc["a", "confounded_by"] == "b"


def test_abnormal_volume(frame):
    rng = np.random.default_rng(1)
    vol = pd.DataFrame(rng.lognormal(13, 0.3, (len(frame), 2)), index=frame.index,
                       columns=["A1", "A2"])
    vol.loc["2024-04-30":"2024-05-02", "A1"] *= 5
    res = run_event_study(frame, ev(("e", "A1", "2024-05-01"), ("g", "A2", "2024-05-01")),
                          volume=vol, n_boot=0)
    e = res.events
    assert e.loc["e", "abn_volume"] == pytest.approx(np.log(5), abs=0.4)
    assert e.loc["e", "abn_volume_t"] > 5
    assert abs(e.loc["g", "abn_volume_t"]) < 4
    assert "abn_volume" not in run_event_study(frame, ev(("e", "A1", "2024-05-01")),
                                               n_boot=0).events.columns


def test_unsorted_and_tz_aware_inputs(frame):
    shuffled = frame.sample(frac=1.0, random_state=0)
    a = run_event_study(frame, ev(("e", "A1", "2024-05-01")), n_boot=0).events
    b = run_event_study(shuffled, ev(("e", "A1", "2024-05-01")), n_boot=0).events
    pd.testing.assert_frame_equal(a, b)
    c = run_event_study(frame, ev(("e", "A1", pd.Timestamp("2024-05-01 15:30",
                                                             tz="America/New_York"))),
                        n_boot=0).events
    assert c.loc["e", "car"] == a.loc["e", "car"]


def test_short_data_every_event_dropped(frame):
    short = frame.iloc[:60]
    res = run_event_study(short, ev(("e", "A1", short.index[40]), ("g", "ZZ", short.index[40])),
                          n_boot=0)
    assert res.events.loc["e", "status"].startswith("estimation runs off the data")
    assert res.n_ok == 0 and res.ar.empty and res.tests["statistic"].isna().all()
    empty = run_event_study(short, ev(("e", "A1", short.index[40])).iloc[:0], n_boot=0)
    assert empty.events.empty and empty.n_ok == 0


def test_non_numeric_returns(frame):
    bad = frame.astype(object)
    bad.iloc[5, 1] = "n/a"
    with pytest.raises(InputError, match="numeric"):
        run_event_study(bad, ev(("e", "A1", "2024-05-01")))
