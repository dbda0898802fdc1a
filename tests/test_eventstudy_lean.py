"""The lean path (market model, CAR, CAR t-test) equals the full engine to 1e-12."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from eventstudy_synth import make_events, make_returns

from pivotlib.analytics.eventstudy import run_event_study
from pivotlib.analytics.eventstudy.lean import LEAN_COLUMNS, car_tests
from pivotlib.errors import InputError

PAIRS = (("alpha", "alpha"), ("beta", "beta_SPY"), ("sigma", "sigma"), ("n_est", "n_est"),
         ("n_evt", "n_evt"), ("car", "car"), ("car_t", "car_t"), ("car_df", "car_df"),
         ("car_p", "car_p"))


def _messy() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Returns with gaps, a late listing, a constant stretch; events of every kind."""
    frame, _ = make_returns(n_firms=12, n_days=900, seed=3)
    rng = np.random.default_rng(5)
    vals = frame.to_numpy()
    holes = rng.random(vals.shape) < 0.03
    holes[:, -1] = rng.random(len(frame)) < 0.01  # the market has gaps too
    vals[holes] = np.nan
    frame.loc[:, :] = vals
    frame.iloc[:600, frame.columns.get_loc("F03")] = np.nan  # listed late
    frame.iloc[300:520, frame.columns.get_loc("F04")] = 0.0  # suspended: constant returns
    frame.iloc[:, frame.columns.get_loc("F05")] = np.where(
        np.arange(len(frame)) % 3 == 0, frame["F05"], np.nan)  # too few observations
    events = make_events(frame, 160, seed=2, lo=5, hi_pad=1)
    extra = pd.DataFrame({
        "event_id": ["nosym", "early", "late", "weekend", "F03-pre", "F04-flat"],
        "symbol": ["ZZZ", "F00", "F01", "F02", "F03", "F04"],
        "event_date": [frame.index[400], pd.Timestamp("2001-01-01"), frame.index[-1],
                       pd.Timestamp("2021-06-05"), frame.index[590], frame.index[530]],
    })
    others = make_events(frame, 40, seed=9, lo=300, hi_pad=5)
    others["event_id"] = [f"o{i}" for i in range(len(others))]
    return frame, pd.concat([events, extra], ignore_index=True), others


@pytest.mark.parametrize("kw", [
    {},
    {"mask_other_events": False},
    {"estimation": (-120, -6), "window": (0, 5), "min_est": 60},
    {"estimation": (5, 200), "window": (-2, 2), "nontrading": "previous"},
])
def test_lean_equals_full_engine(kw):
    frame, events, others = _messy()
    lean = car_tests(frame, events, other_events=others, **kw)
    full = run_event_study(frame, events, model="market", market="SPY", other_events=others,
                           n_boot=0, **kw).events
    assert list(lean.columns) == list(LEAN_COLUMNS)
    assert lean.index.equals(full.index)
    ok_lean = lean["status"] == "ok"
    assert ok_lean.equals(full["status"] == "ok")
    assert 50 < ok_lean.sum() < len(events)  # some events are left out, most are kept
    for a, b in PAIRS:
        x, y = lean[a].to_numpy(float), full[b].to_numpy(float)
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=a)
        fin = ~np.isnan(x)
        assert np.max(np.abs(x[fin] - y[fin])) <= 1e-12, a
    # the reasons for leaving an event out start like the full engine's
    for eid in lean.index[~ok_lean]:
        assert full.at[eid, "status"].startswith(lean.at[eid, "status"][:12]), eid
    assert lean.at["nosym", "status"] == "symbol not in returns"
    assert lean.at["F03-pre", "status"] == "not listed yet"
    assert lean["day0"].equals(full["day0"])


def test_lean_needs_a_market_column_and_valid_windows():
    frame, _ = make_returns(n_firms=2, n_days=400)
    events = make_events(frame, 3, lo=300)
    with pytest.raises(InputError, match="market column"):
        car_tests(frame, events, market="QQQ")
    with pytest.raises(InputError, match="overlaps"):
        car_tests(frame, events, estimation=(-10, 0), window=(-1, 1))
    with pytest.raises(InputError, match="duplicate event_id"):
        car_tests(frame, pd.concat([events, events]))


def test_lean_with_no_studiable_event_returns_nan_rows():
    frame, _ = make_returns(n_firms=2, n_days=400)
    ev = pd.DataFrame({"event_id": ["a"], "symbol": ["F00"], "event_date": [frame.index[10]]})
    out = car_tests(frame, ev)
    assert out.at["a", "status"] == "estimation runs off the data"
    assert np.isnan(out.at["a", "car"])


@pytest.mark.parametrize("mask", [True, False])
def test_lean_dense_path_equals_full_engine(mask):
    """No missing return anywhere (the unmasked fast path when mask is False)."""
    frame, _ = make_returns(n_firms=8, n_days=700, seed=11)
    events = make_events(frame, 120, seed=4, lo=260, hi_pad=3)
    lean = car_tests(frame, events, mask_other_events=mask)
    full = run_event_study(frame, events, model="market", market="SPY",
                           mask_other_events=mask, n_boot=0).events
    assert (lean["status"] == "ok").all()
    for a, b in PAIRS:
        assert np.max(np.abs(lean[a].to_numpy(float) - full[b].to_numpy(float))) <= 1e-12, a
