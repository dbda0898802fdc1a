"""Property tests (hypothesis): CAR = sum of AR; shifting and rescaling behave."""

from __future__ import annotations

import numpy as np
import pandas as pd
from eventstudy_synth import make_events, make_returns
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pivotlib.analytics.eventstudy import run_event_study

SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
PARAM_TESTS = ["cross_sectional_t", "patell_z", "kp_patell_z", "bmp_t", "kp_bmp_t",
               "generalized_sign_z", "corrado_rank_z", "modified_rank_z", "grank_t",
               "wilcoxon_z", "skewness_corrected_t"]

windows = st.tuples(st.integers(-5, 0), st.integers(0, 5))
models = st.sampled_from(["market", "constant_mean", "market_adjusted", "factors"])


def _setup(seed, n_events):
    frame, _ = make_returns(n_firms=6, n_days=450, seed=seed, btc=True)
    events = make_events(frame, n_events, seed=seed + 1, lo=260, hi_pad=10)
    return frame, events


def _run(frame, events, model, window, **kw):
    extra = {"factors": ["SPY", "BTC-USD"]} if model == "factors" else {}
    return run_event_study(frame, events, model=model, window=window,
                           estimation=(-250, -11), n_boot=0, min_est=60, **extra, **kw)


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(3, 12), window=windows, model=models,
       holes=st.integers(0, 20))
def test_car_equals_sum_of_ar(seed, n, window, model, holes):
    frame, events = _setup(seed, n)
    if holes:
        rng = np.random.default_rng(seed)
        f = frame.to_numpy().copy()
        f[rng.integers(0, len(frame), holes), rng.integers(0, 6, holes)] = np.nan
        frame = pd.DataFrame(f, index=frame.index, columns=frame.columns)
    res = _run(frame, events, model, window)
    ok = res.events[res.events["status"] == "ok"]
    sums = res.ar.groupby("event_id")["ar"].sum(min_count=1)
    np.testing.assert_allclose(ok["car"], sums.loc[ok.index], rtol=0, atol=1e-14)
    last = res.ar.groupby("event_id")["car"].last()
    np.testing.assert_allclose(ok["car"], last.loc[ok.index], rtol=0, atol=1e-14)
    # AAR / CAAR consistency
    d = res.daily
    np.testing.assert_allclose(d["caar"].iloc[-1], ok["car"].mean(), rtol=0, atol=1e-14)
    aar = res.ar.groupby("rel_day")["ar"].mean()
    np.testing.assert_allclose(d["aar"], aar.loc[d.index], rtol=0, atol=1e-14)
    # AR = return - normal return
    np.testing.assert_allclose(res.ar["ar"], res.ar["ret"] - res.ar["normal"], atol=1e-15)


@SETTINGS
@given(seed=st.integers(0, 10_000), c=st.floats(0.01, 100.0), window=windows, model=models)
def test_rescaling_scales_ars_and_keeps_statistics(seed, c, window, model):
    frame, events = _setup(seed, 8)
    a = _run(frame, events, model, window)
    b = _run(frame * c, events, model, window)
    ok = a.events["status"] == "ok"
    assert (b.events["status"] == a.events["status"]).all()
    for col in ("car", "sigma", "alpha"):
        np.testing.assert_allclose(b.events.loc[ok, col], c * a.events.loc[ok, col],
                                   rtol=1e-9, atol=1e-15)
    beta_cols = [x for x in a.events.columns if x.startswith("beta_")]
    np.testing.assert_allclose(b.events.loc[ok, beta_cols], a.events.loc[ok, beta_cols],
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b.ar["ar"], c * a.ar["ar"], rtol=1e-9, atol=1e-15)
    for col in ("car_t", "r2"):
        np.testing.assert_allclose(b.events.loc[ok, col], a.events.loc[ok, col], rtol=1e-8,
                                   atol=1e-10)
    np.testing.assert_allclose(b.tests.loc[PARAM_TESTS, "statistic"],
                               a.tests.loc[PARAM_TESTS, "statistic"], rtol=1e-8, atol=1e-10)
    assert abs(b.kp_r - a.kp_r) < 1e-10


@SETTINGS
@given(seed=st.integers(0, 10_000), d=st.floats(-0.01, 0.01), window=windows)
def test_shifting_firm_returns_moves_alpha_only(seed, d, window):
    frame, events = _setup(seed, 8)
    firms = [x for x in frame.columns if x.startswith("F")]
    shifted = frame.copy()
    shifted[firms] = shifted[firms] + d
    for model in ("market", "constant_mean", "factors"):
        a = _run(frame, events, model, window)
        b = _run(shifted, events, model, window)
        ok = a.events["status"] == "ok"
        np.testing.assert_allclose(b.events.loc[ok, "alpha"], a.events.loc[ok, "alpha"] + d,
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(b.ar["ar"], a.ar["ar"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(b.tests.loc[PARAM_TESTS, "statistic"],
                                   a.tests.loc[PARAM_TESTS, "statistic"], rtol=1e-7, atol=1e-8)


@SETTINGS
@given(seed=st.integers(0, 10_000), d=st.floats(-0.01, 0.01))
def test_shifting_the_market(seed, d):
    """Market model: R_m + d moves alpha by -beta d, ARs unchanged. Market-adjusted: shifting
    firm and market together leaves ARs unchanged."""
    frame, events = _setup(seed, 8)
    m = frame.copy()
    m["SPY"] = m["SPY"] + d
    a = _run(frame, events, "market", (-1, 1))
    b = _run(m, events, "market", (-1, 1))
    ok = a.events["status"] == "ok"
    np.testing.assert_allclose(b.events.loc[ok, "alpha"],
                               a.events.loc[ok, "alpha"] - a.events.loc[ok, "beta_SPY"] * d,
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.ar["ar"], a.ar["ar"], rtol=0, atol=1e-12)
    both = frame + d
    a2 = _run(frame, events, "market_adjusted", (-1, 1))
    b2 = _run(both, events, "market_adjusted", (-1, 1))
    np.testing.assert_allclose(b2.ar["ar"], a2.ar["ar"], rtol=0, atol=1e-12)


@SETTINGS
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 1000))
def test_event_order_does_not_matter(seed, perm_seed):
    frame, events = _setup(seed, 10)
    a = _run(frame, events, "market", (-2, 2))
    b = _run(frame, events.sample(frac=1.0, random_state=perm_seed), "market", (-2, 2))
    pd.testing.assert_frame_equal(a.events.loc[b.events.index], b.events)
    pd.testing.assert_frame_equal(a.tests, b.tests, rtol=1e-10, atol=1e-12)
