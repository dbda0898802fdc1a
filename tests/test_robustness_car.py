"""The batched CAR specification curve: each row is the single engine run with those options,
and the joint test finds a planted effect and stays quiet without one (SYNTHETIC returns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from eventstudy_synth import make_returns

from pivotlib.analytics.eventstudy import run_event_study
from pivotlib.analytics.robustness.car import car_curve, car_grid, headline_spec
from pivotlib.errors import InputError


def _setup(seed: int = 0, effect: float = 0.0, n_days: int = 900):
    """SYNTHETIC miner F00 (market + bitcoin), one studied event at row 700 carrying
    ``effect`` spread over days 0..+1, and three other catalogued events of the stock (one
    inside the long estimation windows, so masking matters)."""
    r, _ = make_returns(n_firms=2, n_days=n_days, seed=seed, btc=True)
    p = 700
    r.iloc[p, 0] += effect / 2
    r.iloc[p + 1, 0] += effect / 2
    ev = pd.DataFrame({"event_id": ["E"], "symbol": ["F00"], "event_date": [r.index[p]]})
    other = pd.DataFrame({"event_id": ["O1", "O2", "O3", "E"],
                          "symbol": ["F00", "F00", "F01", "F00"],
                          "event_date": [r.index[p - 60], r.index[p - 300], r.index[p - 100],
                                         r.index[p]]})
    return r, ev, other


def test_every_row_equals_the_single_engine_run():
    r, ev, other = _setup(seed=3, effect=0.05)
    # a weekend event date: both timings must follow the engine's non-trading policy
    curve = car_curve(r, ev, other_events=other, n_null=0)
    f = curve.frame
    assert len(f) == 3 * 3 * 2 * 4 * 2 * 2 and f["is_headline"].sum() == 1
    p = int(r.index.get_loc(ev["event_date"].iloc[0]))
    checked = 0
    for _, row in f.iterrows():
        shift = 1 if row["timing"] == "next" else 0
        e = ev.assign(event_date=[r.index[p + shift]])
        kw = ({"model": "factors", "factors": ["SPY", "BTC-USD"]} if row["model"] == "factors"
              else {"model": row["model"], "market": "SPY"})
        res = run_event_study(r, e, estimation=(row["est_start"], row["est_end"]),
                              window=row["window"], other_events=other,
                              mask_other_events=bool(row["mask"]), n_boot=0, **kw)
        one = res.events.iloc[0]
        if one["status"] != "ok":
            assert np.isnan(row["estimate"]) and row["status"] != "ok"
            continue
        assert row["estimate"] == pytest.approx(one["car"], abs=1e-10, rel=0)
        assert row["p"] == pytest.approx(one["car_p"], abs=1e-10, rel=0)
        assert row["n"] == one["n_est"]
        half = row["ci_high"] - row["estimate"]
        assert half == pytest.approx(row["estimate"] - row["ci_low"], abs=1e-12)
        checked += 1
    assert checked >= 250  # a few short windows may fall below min_est after masking
    # masking matters on this data (O1 sits in every estimation window)
    on = f[(f["mask"]) & (f["est_start"] == -250)]["n"].to_numpy()
    off = f[(~f["mask"]) & (f["est_start"] == -250)]["n"].to_numpy()
    assert (on < off).all()


def test_headline_is_in_the_grid_and_bad_grids_are_named():
    g = car_grid(headline_spec(estimation=(-200, -11)))
    assert -200 in g["est_start"]
    with pytest.raises(InputError, match="reaches into the event window"):
        car_grid(grid={"est_end": (-1,), "window": ((-2, 2),)})
    with pytest.raises(InputError, match="unknown CAR curve choice"):
        car_grid(grid={"colour": ("red",)})


def test_planted_effect_is_robust():
    r, ev, other = _setup(seed=1, effect=0.30)
    curve = car_curve(r, ev, other_events=other, n_null=99, seed=0)
    s = curve.summary()
    assert s.headline_estimate > 0.2
    assert s.share_significant_same_sign > 0.7
    assert s.joint_p is not None and s.joint_p < 0.05
    assert s.verdict == "robust"
    assert s.line().startswith("robust: ")
    # placebo dates stay away from the stock's catalogued events
    assert curve.null_estimates.shape == (99, len(curve.frame))


def test_no_effect_joint_test_is_quiet_over_fixed_seeds():
    rejections = 0
    seeds = range(20)
    for seed in seeds:
        r, ev, other = _setup(seed=100 + seed, effect=0.0)
        s = car_curve(r, ev, other_events=other, n_null=39, seed=seed,
                      grid={"model": ("factors", "market_adjusted"), "est_start": (-250,),
                            "est_end": (-11,), "window": ((0, 0), (-1, 1), (-2, 2)),
                            "timing": ("catalogued", "next"), "mask": (True,)}).summary()
        rejections += int(s.joint_p is not None and s.joint_p < 0.05)
    assert rejections <= 2  # >= 90% of seeds not significant at 5%


@pytest.mark.realdata
def test_rows_equal_single_runs_on_real_closes(realdata):
    """Real closes (gaps, a relisting, bitcoin folded onto sessions) and the real catalog as
    other events: every row of the APLD-2025-06-02 curve is the engine's single run."""
    from test_eventstudy_realdata import _returns

    from pivotlib.events.catalog import company_events

    r = _returns(realdata)
    other = company_events()
    ev = pd.DataFrame({"event_id": ["APLD-2025-06-02"], "symbol": ["APLD"],
                       "event_date": ["2025-06-02"]})
    curve = car_curve(r, ev, other_events=other, n_null=20, seed=1)
    f = curve.frame
    p = int(r.index.get_loc(pd.Timestamp("2025-06-02")))
    ran = 0
    for _, row in f.iterrows():
        e = ev.assign(event_date=[r.index[p + (row["timing"] == "next")]])
        kw = ({"model": "factors", "factors": ["SPY", "BTC-USD"]} if row["model"] == "factors"
              else {"model": row["model"], "market": "SPY"})
        one = run_event_study(r, e, estimation=(row["est_start"], row["est_end"]),
                              window=row["window"], other_events=other,
                              mask_other_events=bool(row["mask"]), n_boot=0,
                              **kw).events.iloc[0]
        assert (one["status"] == "ok") == (row["status"] == "ok"), (row.to_dict(), one["status"])
        if one["status"] == "ok":
            assert row["estimate"] == pytest.approx(one["car"], abs=1e-10, rel=0)
            assert row["p"] == pytest.approx(one["car_p"], abs=1e-10, rel=0)
            ran += 1
    assert ran == curve.summary().n_run > 200
    assert curve.null_estimates.shape == (20, len(f))
