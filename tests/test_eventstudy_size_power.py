"""Size and power of the test battery on simulated events (no effect: ~5% rejections)."""

from __future__ import annotations

import pandas as pd
import pytest
from eventstudy_synth import make_events, make_returns

from pivotlib.analytics.eventstudy import run_event_study

TESTS = ["cross_sectional_t", "patell_z", "bmp_t", "kp_bmp_t", "generalized_sign_z",
         "corrado_rank_z", "modified_rank_z", "grank_t", "wilcoxon_z", "skewness_corrected_t"]


def _frame(df=None, seed=1):
    frame, truth = make_returns(n_firms=40, n_days=3000, seed=seed, df=df)
    return frame, truth


def rejection_rates(frame, truth, reps, n_events, effect=0.0, seed=0, **kw):
    """Share of simulated studies rejecting at 5%; ``effect`` in units of each firm's sigma,
    added to the day-0 return of every event."""
    rows = []
    sig = pd.Series(truth["sigma"], index=[f"F{i:02d}" for i in range(len(truth["sigma"]))])
    for rep in range(reps):
        ev = make_events(frame, n_events, seed=seed * 100_000 + rep, lo=200)
        ev = ev.drop_duplicates(["symbol", "event_date"])
        f = frame
        if effect:
            f = frame.copy()
            for sym, g in ev.groupby("symbol"):
                f.loc[g["event_date"], sym] += effect * sig[sym]
        res = run_event_study(f, ev, estimation=(-150, -11), window=(-1, 1), n_boot=0,
                              mask_other_events=False, **kw)
        rows.append(res.tests.loc[TESTS, "p_value"] < 0.05)
    return pd.DataFrame(rows).mean()


def test_size_quick():
    """150 studies x 20 events: every test rejects 0.5%-11% of true nulls (about +-3.5 se)."""
    frame, truth = _frame()
    rates = rejection_rates(frame, truth, reps=150, n_events=20, seed=1)
    bad = rates[(rates < 0.005) | (rates > 0.11)]
    assert bad.empty, f"size off: {bad.to_dict()}"


@pytest.mark.slow
def test_size_many_studies_normal_and_fat_tails():
    """600 studies x 25 events (15,000 events): 2.5%-8% (about +-3 se of 5%)."""
    for df in (None, 4):
        frame, truth = _frame(df=df, seed=2)
        rates = rejection_rates(frame, truth, reps=600, n_events=25, seed=2)
        bad = rates[(rates < 0.025) | (rates > 0.08)]
        assert bad.empty, f"size off (t df={df}): {bad.to_dict()}"


def test_power_rises_with_effect():
    frame, truth = _frame(seed=3)
    # window (-1, 1): a day-0 effect of d sigma gives a CAR of about d/sqrt(3) sd
    r0 = rejection_rates(frame, truth, reps=40, n_events=20, effect=0.0, seed=3)
    r1 = rejection_rates(frame, truth, reps=40, n_events=20, effect=0.5, seed=3)
    r2 = rejection_rates(frame, truth, reps=40, n_events=20, effect=1.5, seed=3)
    assert (r1 >= r0).all(), (r0.to_dict(), r1.to_dict())
    assert (r2 > r1).all() or (r2 >= 0.99).all(), (r1.to_dict(), r2.to_dict())
    assert (r2[["cross_sectional_t", "patell_z", "bmp_t", "grank_t"]] >= 0.9).all(), r2.to_dict()
    assert (r2 > 0.5).all(), r2.to_dict()


@pytest.mark.slow
def test_few_correlated_firms_placebo_keeps_size():
    """Five miners hit by a common shock the market model misses, all events on one date:
    the cross-sectional t over-rejects, the calendar-preserving placebo test does not, and the
    KP adjustment moves BMP towards the right size."""
    import numpy as np

    from pivotlib.analytics.eventstudy import run_event_study as run

    rej = {"cross_sectional_t": 0, "bmp_t": 0, "kp_bmp_t": 0, "placebo_caar": 0,
           "bootstrap_skew_t": 0, "signflip_caar": 0}
    reps = 150
    for rep in range(reps):
        frame, _ = make_returns(n_firms=5, n_days=400, seed=10_000 + rep)
        rng = np.random.default_rng(rep)
        shock = rng.normal(0, 0.03, len(frame))          # sector factor, not in SPY
        firms = [f"F{i:02d}" for i in range(5)]
        frame[firms] = frame[firms].to_numpy() + shock[:, None]
        ev = pd.DataFrame({"event_id": firms, "symbol": firms,
                           "event_date": frame.index[380]})
        res = run(frame, ev, estimation=(-250, -11), window=(-1, 1), n_boot=199, seed=rep)
        for k in rej:
            rej[k] += res.tests.loc[k, "p_value"] < 0.05
    rates = {k: v / reps for k, v in rej.items()}
    assert rates["cross_sectional_t"] > 0.15, rates        # naive test badly oversized
    assert rates["placebo_caar"] < 0.10, rates               # calendar-preserving placebo holds
    assert rates["kp_bmp_t"] < rates["bmp_t"], rates
