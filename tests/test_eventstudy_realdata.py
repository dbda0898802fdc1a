"""Smoke test on real closes (../shared/realdata; skipped when absent): the market + BTC model
on the big single-day moves listed in the realdata README."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pivotlib.analytics.eventstudy import miner_model, run_event_study
from pivotlib.data.calendar import align_to_sessions, sessions, simple_returns

pytestmark = pytest.mark.realdata

MOVES = [("APLD", "2025-06-02", 0.485), ("IREN", "2023-06-20", 0.211),
         ("CORZ", "2024-06-04", 0.402), ("WULF", "2025-08-14", 0.595),
         ("APLD", "2023-05-16", 0.789)]


def _returns(realdata):
    d = realdata / "dsturdy__Factor_Attribution_5_csvs" / "data"
    closes = {}
    for sym in ("APLD", "IREN", "CORZ", "WULF", "SPY"):
        s = pd.read_csv(d / f"{sym}.csv", parse_dates=["Date"]).set_index("Date")["Close"]
        closes[sym] = s[s.index < "2026-07-14"]  # last row is intraday
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idx = sessions("2021-01-04", "2026-02-05")
    frame = pd.DataFrame({k: v.reindex(idx) for k, v in closes.items()})
    btc = pd.read_csv(realdata / "SAToptunov__2526-dzi-ai-SAToptunov21" / "data" / "BTC-USD.csv",
                      parse_dates=["Date"]).set_index("Date")["Close"]
    frame["BTC-USD"] = align_to_sessions(btc, idx)
    # CORZ before its 2024-01 relisting is another security
    frame.loc[frame.index < "2024-01-24", "CORZ"] = np.nan
    return simple_returns(frame)


def test_big_moves_are_abnormal_under_market_plus_btc(realdata):
    rets = _returns(realdata)
    events = pd.DataFrame({"event_id": [f"{s}-{d}" for s, d, _ in MOVES],
                           "symbol": [s for s, _, _ in MOVES],
                           "event_date": [d for _, d, _ in MOVES]})
    res = run_event_study(rets, events, **miner_model(), window=(0, 0), seed=1)
    e = res.events
    # CORZ 2024-06-04 has only ~90 sessions since relisting: dropped for too few observations
    assert e.loc["CORZ-2024-06-04", "status"].startswith("too few observations")
    ok = e[e["status"] == "ok"]
    assert len(ok) == 4
    for (s, d, move) in MOVES:
        eid = f"{s}-{d}"
        if eid not in ok.index:
            continue
        ar0 = res.ar.set_index("event_id").loc[eid, "ar"]
        ret0 = res.ar.set_index("event_id").loc[eid, "ret"]
        assert ret0 == pytest.approx(move, abs=0.002)      # README's close-to-close move
        assert ar0 > 0.5 * move                             # mostly abnormal
        assert ok.loc[eid, "car_t"] == pytest.approx(ar0 / ok.loc[eid, "sigma"])  # L2 = 1
        assert ok.loc[eid, "car_t"] > 1.9   # IREN's +21% is "only" 2 sigma for a 7.7% vol stock
    assert (ok["beta_SPY"] > 0.5).all() and (ok["beta_BTC-USD"] > 0).all()
    assert res.tests.loc["cross_sectional_t", "statistic"] > 2
    assert "factors (SPY, BTC-USD)" in res.summary()
    # with min_est lowered, CORZ is admitted
    res2 = run_event_study(rets, events, **miner_model(), window=(0, 0), min_est=60, n_boot=0)
    assert res2.events.loc["CORZ-2024-06-04", "status"] == "ok"
