"""Engine tests: API shape, vectorised == statsmodels (1e-10), planted effects recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from eventstudy_synth import make_events, make_returns

from pivotlib.analytics.eventstudy import TEST_NAMES, EventStudyResult, miner_model, run_event_study

REQUIRED_TESTS = ["cross_sectional_t", "patell_z", "bmp_t", "kp_bmp_t", "generalized_sign_z",
                  "corrado_rank_z", "modified_rank_z", "grank_t", "wilcoxon_z",
                  "skewness_corrected_t"]


@pytest.fixture(scope="module")
def data():
    frame, truth = make_returns(n_firms=8, n_days=700, seed=3, btc=True)
    events = make_events(frame, 24, seed=4)
    # same firm, nearby events: exercises masking and confounding
    extra = pd.DataFrame({"event_id": ["x1", "x2"], "symbol": ["F01", "F01"],
                          "event_date": [frame.index[500], frame.index[560]]})
    events = pd.concat([events, extra], ignore_index=True)
    # holes: a NaN inside an estimation window and one inside an event window
    frame = frame.copy()
    frame.loc[frame.index[450:455], "F02"] = np.nan
    frame.loc[frame.index[560], "F01"] = np.nan
    return frame, truth, events


def test_public_api_shapes(data):
    frame, _, events = data
    res = run_event_study(frame, events, model="market", market="SPY",
                          estimation=(-200, -11), window=(-2, 2), n_boot=0)
    assert isinstance(res, EventStudyResult)
    e = res.events
    assert e.index.name == "event_id" and list(e.index) == list(events["event_id"])
    for col in ("symbol", "event_date", "alpha", "beta_SPY", "sigma", "n_est", "r2", "car",
                "car_t", "car_p", "bhar", "confounded", "status"):
        assert col in e.columns
    for col in ("event_id", "rel_day", "date", "ar", "car", "sar"):
        assert col in res.ar.columns
    assert set(res.ar["rel_day"]) == {-2, -1, 0, 1, 2}
    assert list(res.tests.columns[:2]) == ["statistic", "p_value"]
    for name in REQUIRED_TESTS:
        assert name in res.tests.index
        assert np.isfinite(res.tests.loc[name, "statistic"]), name
        assert 0 <= res.tests.loc[name, "p_value"] <= 1, name
    assert set(REQUIRED_TESTS) <= set(TEST_NAMES)
    assert list(res.daily.index) == [-2, -1, 0, 1, 2]
    for col in ("aar", "caar", "aar_t", "caar_t", "aar_patell_z", "caar_bmp_t"):
        assert col in res.daily.columns
    text = res.summary()
    assert "patell_z" in text and "CAAR" in text and "market (SPY)" in text
    tidy = res.to_frame()
    assert {"test", "statistic", "p_value", "caar", "n_events"} <= set(tidy.columns)
    assert len(tidy) == len(res.tests)
    assert res.tidy().equals(tidy)


@pytest.mark.parametrize("model,kw", [
    ("market", {}),
    ("factors", {"factors": ["SPY", "BTC-USD"]}),
    ("constant_mean", {}),
    ("market_adjusted", {}),
])
def test_vectorized_equals_statsmodels(data, model, kw):
    frame, _, events = data
    common = dict(model=model, market="SPY", estimation=(-200, -11), window=(-2, 3),
                  n_boot=0, min_est=50, **kw)
    a = run_event_study(frame, events, engine="vectorized", **common)
    b = run_event_study(frame, events, engine="statsmodels", **common)
    assert (a.events["status"] == b.events["status"]).all()
    assert (a.events["status"] == "ok").sum() >= 20
    num = a.events.select_dtypes("number").columns
    pd.testing.assert_frame_equal(a.events[num], b.events[num], rtol=0, atol=1e-10)
    pd.testing.assert_frame_equal(a.ar.select_dtypes("number"), b.ar.select_dtypes("number"),
                                  rtol=0, atol=1e-10)
    pd.testing.assert_frame_equal(a.tests, b.tests, rtol=0, atol=1e-10)
    pd.testing.assert_frame_equal(a.daily, b.daily, rtol=0, atol=1e-10)


def test_statsmodels_reference_params_match_direct_fit(data):
    """The statsmodels engine is a genuine per-event OLS: check one event by hand."""
    import statsmodels.api as sm

    frame, _, events = data
    res = run_event_study(frame, events.iloc[:3], model="factors", factors=["SPY", "BTC-USD"],
                          estimation=(-200, -11), window=(-1, 1), engine="statsmodels",
                          mask_other_events=False, n_boot=0)
    ev = events.iloc[0]
    p0 = frame.index.get_loc(ev["event_date"])
    est = frame.iloc[p0 - 200: p0 - 10]
    fit = sm.OLS(est[ev["symbol"]], sm.add_constant(est[["SPY", "BTC-USD"]])).fit()
    row = res.events.loc[ev["event_id"]]
    assert row["alpha"] == pytest.approx(fit.params["const"], abs=1e-12)
    assert row["beta_SPY"] == pytest.approx(fit.params["SPY"], abs=1e-12)
    assert row["beta_BTC-USD"] == pytest.approx(fit.params["BTC-USD"], abs=1e-12)
    assert row["sigma"] == pytest.approx(np.sqrt(fit.mse_resid), abs=1e-12)
    assert row["r2"] == pytest.approx(fit.rsquared, abs=1e-12)
    evt = frame.iloc[p0 - 1: p0 + 2]
    ar = evt[ev["symbol"]] - fit.predict(sm.add_constant(evt[["SPY", "BTC-USD"]],
                                                         has_constant="add"))
    assert row["car"] == pytest.approx(ar.sum(), abs=1e-12)
    assert row["car_t"] == pytest.approx(ar.sum() / (np.sqrt(fit.mse_resid) * np.sqrt(3)),
                                         abs=1e-10)
    # forecast-error factor C_t = 1 + x_t'(X'X)^-1 x_t against statsmodels' own prediction se
    pred = fit.get_prediction(sm.add_constant(evt[["SPY", "BTC-USD"]], has_constant="add"))
    c_sm = 1 + pred.se_mean**2 / fit.mse_resid
    got = res.ar[res.ar["event_id"] == ev["event_id"]]["c_t"].to_numpy()
    np.testing.assert_allclose(got, c_sm, rtol=0, atol=1e-12)
    # corrected CAR variance = sigma^2 1'(I + X*(X'X)^-1 X*')1
    Xs = sm.add_constant(evt[["SPY", "BTC-USD"]], has_constant="add").to_numpy()
    V = fit.mse_resid * (np.eye(3) + Xs @ fit.normalized_cov_params.to_numpy() @ Xs.T)
    assert row["car_se_corrected"] == pytest.approx(np.sqrt(V.sum()), abs=1e-12)


def test_planted_abnormal_returns_recovered():
    frame, truth = make_returns(n_firms=12, n_days=600, seed=11, sigma=(0.002, 0.004))
    events = make_events(frame, 40, seed=12, lo=280)
    events = events.drop_duplicates(["symbol", "event_date"]).reset_index(drop=True)
    planted = {-1: 0.0, 0: 0.05, 1: 0.02}
    f = frame.copy()
    for _, ev in events.iterrows():
        p0 = f.index.get_loc(ev["event_date"])
        for d, v in planted.items():
            f.iloc[p0 + d, f.columns.get_loc(ev["symbol"])] += v
    res = run_event_study(f, events, model="market", window=(-1, 1), estimation=(-250, -11),
                          mask_other_events=True, n_boot=0)
    ok = res.events[res.events["status"] == "ok"]
    assert len(ok) >= 30
    clean = ok[~ok["confounded"]]
    np.testing.assert_allclose(clean["car"], 0.07, atol=0.02)
    # betas recovered
    b = np.array([truth["beta"][int(s[1:])] for s in clean["symbol"]])
    np.testing.assert_allclose(clean["beta_SPY"], b, atol=0.1)
    daily = res.daily
    assert daily.loc[0, "aar"] == pytest.approx(0.05, abs=0.005)
    assert daily.loc[1, "aar"] == pytest.approx(0.02, abs=0.005)
    assert daily.loc[-1, "aar"] == pytest.approx(0.0, abs=0.005)
    assert res.caar == pytest.approx(0.07, abs=0.01)
    for name in REQUIRED_TESTS:
        assert res.tests.loc[name, "p_value"] < 0.01, name
    assert (res.daily.loc[0, ["aar_t", "aar_patell_z", "aar_bmp_t", "aar_rank_z"]] > 3).all()


def test_factor_model_recovers_btc_beta():
    frame, truth = make_returns(n_firms=6, n_days=700, seed=5, btc=True, sigma=(0.005, 0.01))
    events = make_events(frame, 12, seed=6)
    res = run_event_study(frame, events, **miner_model(), n_boot=0)
    ok = res.events[res.events["status"] == "ok"]
    idx = [int(s[1:]) for s in ok["symbol"]]
    np.testing.assert_allclose(ok["beta_BTC-USD"], truth["beta_btc"][idx], atol=0.05)
    np.testing.assert_allclose(ok["beta_SPY"], truth["beta"][idx], atol=0.2)  # ~4 se
    # a market-only model leaves bitcoin in the residual: larger sigma
    mk = run_event_study(frame, events, model="market", n_boot=0).events.loc[ok.index]
    assert (mk["sigma"] > ok["sigma"]).all()


def test_options_change_what_they_should(data):
    frame, _, events = data
    base = dict(estimation=(-200, -11), window=(-2, 2), n_boot=0, min_est=50)
    d = run_event_study(frame, events, **base)
    c = run_event_study(frame, events, car_variance="corrected", **base)
    # corrected variance is larger than sigma^2 L2 -> |car_t| smaller; CARs identical
    np.testing.assert_allclose(d.events["car"], c.events["car"], equal_nan=True)
    ok = d.events["status"] == "ok"
    assert (c.events.loc[ok, "car_t"].abs() < d.events.loc[ok, "car_t"].abs()).all()
    s1 = run_event_study(frame, events, sigma_ddof=1, **base)
    assert (s1.events.loc[ok, "sigma"] < d.events.loc[ok, "sigma"]).all()
    bm = {v: run_event_study(frame, events, bmp_standardize=v, **base).tests.loc["bmp_t",
                                                                                "statistic"]
          for v in ("corrected", "sigma", "sar_sum")}
    assert len({round(x, 12) for x in bm.values()}) == 3
    ev = run_event_study(frame, events, kp_correlation="event_time", **base)
    assert ev.kp_r != d.kp_r
    assert d.tests.loc["kp_bmp_t", "statistic"] == pytest.approx(
        d.tests.loc["bmp_t", "statistic"] * np.sqrt((1 - d.kp_r) / (1 + (d.n_ok - 1) * d.kp_r)))
    per = run_event_study(frame, events, gsign_p="per_firm", **base)
    assert per.tests.loc["generalized_sign_z", "statistic"] != d.tests.loc[
        "generalized_sign_z", "statistic"]
    nomask = run_event_study(frame, events, mask_other_events=False, **base)
    assert nomask.events.loc["x2", "n_est"] > d.events.loc["x2", "n_est"]


def test_resampling_rows_seeded():
    frame, _ = make_returns(n_firms=5, n_days=500, seed=2)
    events = make_events(frame, 6, seed=1)
    a = run_event_study(frame, events, seed=7)   # few firms: resampling on by default
    b = run_event_study(frame, events, seed=7)
    c = run_event_study(frame, events, seed=8)
    for name in ("bootstrap_skew_t", "signflip_caar", "placebo_caar"):
        assert name in a.tests.index
        assert 0 < a.tests.loc[name, "p_value"] <= 1
    pd.testing.assert_frame_equal(a.tests, b.tests)
    assert not a.tests.loc["bootstrap_skew_t", "p_value"] == c.tests.loc["bootstrap_skew_t",
                                                                         "p_value"] or \
        not a.tests.loc["signflip_caar", "p_value"] == c.tests.loc["signflip_caar", "p_value"]
    off = run_event_study(frame, events, n_boot=0)
    assert "bootstrap_skew_t" not in off.tests.index


def test_kp_calendar_correlation_detects_clustered_events():
    """Events on the same date in correlated firms: calendar r > 0 and KP shrinks BMP."""
    rng = np.random.default_rng(0)
    frame, _ = make_returns(n_firms=10, n_days=600, seed=9)
    common = rng.normal(0, 0.01, len(frame))
    firms = [f"F{i:02d}" for i in range(10)]
    frame[firms] = frame[firms].to_numpy() + common[:, None]   # industry factor
    events = pd.DataFrame({"event_id": firms, "symbol": firms,
                           "event_date": frame.index[450]})
    res = run_event_study(frame, events, n_boot=0)
    assert res.kp_r > 0.1
    t = res.tests["statistic"]
    assert abs(t["kp_bmp_t"]) < abs(t["bmp_t"])
    # staggered by 25 sessions: the pairs still share most estimation dates, so the calendar
    # r stays, while R's event-time pivot misaligns the dates and finds ~0
    stag = events.assign(event_date=[frame.index[300 + 25 * i] for i in range(10)])
    cal = run_event_study(frame, stag, n_boot=0)
    evt = run_event_study(frame, stag, n_boot=0, kp_correlation="event_time")
    assert cal.kp_r > 0.1
    assert abs(evt.kp_r) < 0.05


def test_kp_pairs_without_shared_dates_count_zero():
    frame, _ = make_returns(n_firms=4, n_days=1400, seed=9)
    firms = [f"F{i:02d}" for i in range(4)]
    events = pd.DataFrame({"event_id": firms, "symbol": firms,
                           "event_date": [frame.index[300 + 260 * i] for i in range(4)]})
    res = run_event_study(frame, events, n_boot=0)
    assert res.kp_r == 0.0
    t = res.tests["statistic"]
    assert t["kp_bmp_t"] == pytest.approx(t["bmp_t"], abs=1e-12)
    # event-overlap weighting: pairs whose event windows never meet contribute 0 as well
    rng = np.random.default_rng(1)
    common = rng.normal(0, 0.01, len(frame))
    frame[firms] = frame[firms].to_numpy() + common[:, None]
    ev2 = events.assign(event_date=[frame.index[500 + 5 * i] for i in range(4)])
    plain = run_event_study(frame, ev2, n_boot=0, window=(-1, 1))
    weighted = run_event_study(frame, ev2, n_boot=0, window=(-1, 1), kp_weight="event_overlap")
    assert plain.kp_r > 0.1 and weighted.kp_r == 0.0


def test_rank_helpers_match_scipy():
    from scipy import stats as st

    from pivotlib.analytics.eventstudy import stats as S

    rng = np.random.default_rng(0)
    for ties in (True, False):
        x = rng.integers(0, 7, (200, 50)).astype(float) if ties else rng.normal(size=(200, 50))
        x[rng.random(x.shape) < 0.1] = np.nan
        e = rng.integers(0, 7, (200, 3)).astype(float) if ties else rng.normal(size=(200, 3))
        e[rng.random(e.shape) < 0.2] = np.nan
        want = st.rankdata(np.hstack([x, e]), axis=1, nan_policy="omit")
        np.testing.assert_allclose(S.ranks_rows(x), st.rankdata(x, axis=1, nan_policy="omit"),
                                   equal_nan=True)
        a, b = S.ranks_with_extra(S.ranks_rows(x), x, e)
        np.testing.assert_allclose(a, want[:, :50], equal_nan=True)
        np.testing.assert_allclose(b, want[:, 50:], equal_nan=True)


def test_pairwise_correlation_paths_agree_with_pandas():
    from pivotlib.analytics.eventstudy import stats as S

    rng = np.random.default_rng(1)
    n, le, span = 40, 60, 200
    start = rng.integers(0, span, n)
    common = rng.normal(size=span + le)
    resid = rng.normal(size=(n, le)) + 0.6 * np.array([common[s:s + le] for s in start])
    resid[rng.random(resid.shape) < 0.05] = np.nan
    direct = S.mean_pairwise_corr(resid, start, min_overlap=10, pair_work=10**12)
    blocked = S.mean_pairwise_corr(resid, start, min_overlap=10, pair_work=0, block=7)
    # brute force: calendar-placed frame, pandas pairwise-complete Pearson
    cal = pd.DataFrame(np.nan, index=range(span + le), columns=range(n))
    for i, s in enumerate(start):
        cal.iloc[s:s + le, i] = resid[i]
    c = cal.corr(min_periods=10).to_numpy()
    iu = np.triu_indices(n, 1)
    brute = np.nan_to_num(c[iu]).sum() / len(iu[0])
    assert direct == pytest.approx(brute, abs=1e-12)
    assert blocked == pytest.approx(brute, abs=1e-12)
    assert brute > 0.05


def test_rank_tests_against_brute_force_formulas():
    """Corrado, modified rank and GRANK recomputed literally from FORMULAS.md with scipy."""
    from scipy import stats as st

    frame, _ = make_returns(n_firms=8, n_days=500, seed=21)
    frame.loc[frame.index[300:304], "F03"] = np.nan       # unequal M_i
    events = make_events(frame, 9, seed=22, lo=280, hi_pad=10)
    res = run_event_study(frame, events, estimation=(-150, -11), window=(-2, 1), n_boot=0,
                          mask_other_events=False)
    ok = res.events[res.events["status"] == "ok"]
    n, L, T_est = len(ok), 4, 140
    e_rows, ar_rows, sar_rows, scar = [], [], [], []
    for eid, row in ok.iterrows():
        p0 = frame.index.get_loc(row["day0"])
        est = frame.iloc[p0 - 150: p0 - 10]
        y, x = est[row["symbol"]], est["SPY"]
        e_rows.append((y - row["alpha"] - row["beta_SPY"] * x).to_numpy())
        a = res.ar[res.ar["event_id"] == eid]
        ar_rows.append(a["ar"].to_numpy())
        sar_rows.append(a["sar"].to_numpy())
        scar.append(row["car"] / row["car_se_corrected"])
    E, A, SA = np.array(e_rows), np.array(ar_rows), np.array(sar_rows)
    sig = ok["sigma"].to_numpy()[:, None]
    # Corrado (1989) / Cowan (1992) CAR form
    K = st.rankdata(np.hstack([E, A]), axis=1, nan_policy="omit")
    Ti = np.isfinite(K).sum(axis=1)
    D = np.nanmean(K - ((Ti + 1) / 2)[:, None], axis=0)
    SK = np.sqrt(np.mean(D**2))
    z_corrado = D[-L:].sum() / (np.sqrt(L) * SK)
    # modified rank on standardized ARs
    K2 = st.rankdata(np.hstack([E / sig, SA]), axis=1, nan_policy="omit")
    U = K2 / (Ti + 1)[:, None] - 0.5
    s_t = np.nansum(U, axis=0) / np.sqrt(np.isfinite(U).sum(axis=0))
    z_mod = s_t[-L:].sum() / (np.sqrt(L) * np.sqrt(np.mean(s_t**2)))
    # GRANK (KP 2011)
    scar = np.array(scar)
    G = np.hstack([E / sig, (scar / scar.std(ddof=1))[:, None]])
    K3 = st.rankdata(G, axis=1, nan_policy="omit")
    U3 = K3 / (np.isfinite(K3).sum(axis=1) + 1)[:, None] - 0.5
    Nt = np.isfinite(U3).sum(axis=0)
    Ub = np.nansum(U3, axis=0) / Nt
    T = T_est + 1
    Z = Ub[-1] / np.sqrt(np.sum(Nt / n * Ub**2) / T)
    t_grank = Z * np.sqrt((T - 2) / (T - 1 - Z**2))
    t = res.tests["statistic"]
    assert t["corrado_rank_z"] == pytest.approx(z_corrado, abs=1e-10)
    assert t["modified_rank_z"] == pytest.approx(z_mod, abs=1e-10)
    assert t["grank_t"] == pytest.approx(t_grank, abs=1e-10)
    assert res.tests.loc["grank_t", "df"] == T - 2
    # daily Corrado z_0 = D_0 / S_K
    assert res.daily.loc[0, "aar_rank_z"] == pytest.approx(D[-L + 2] / SK, abs=1e-10)
    # Wilcoxon and skewness-corrected t from their textbook forms
    car = ok["car"].to_numpy()
    w = st.rankdata(np.abs(car))[car > 0].sum()
    z_w = (w - n * (n + 1) / 4) / np.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    assert t["wilcoxon_z"] == pytest.approx(z_w, abs=1e-12)
    S = car.mean() / car.std(ddof=1)
    g = n / ((n - 1) * (n - 2)) * ((car - car.mean()) ** 3).sum() / car.std(ddof=1) ** 3
    assert t["skewness_corrected_t"] == pytest.approx(np.sqrt(n) * (S + g * S**2 / 3 + g / (6 * n)),
                                                      abs=1e-12)


def test_wilcoxon_exact_option_matches_scipy():
    from scipy import stats as st

    frame, _ = make_returns(n_firms=5, n_days=500, seed=4)
    events = make_events(frame, 7, seed=5)
    res = run_event_study(frame, events, n_boot=0, wilcoxon_p="exact")
    car = res.events.loc[res.events["status"] == "ok", "car"].to_numpy()
    assert res.tests.loc["wilcoxon_z", "p_value"] == pytest.approx(
        st.wilcoxon(car, method="exact").pvalue, abs=1e-12)
    assert res.tests.loc["wilcoxon_z", "distribution"] == "exact"


def test_default_bmp_sign_and_cumulative_variance_brute_force():
    """Default BMP (corrected SCAR, also for each cumulative sub-window), pooled generalized
    sign and Patell recomputed per event with statsmodels."""
    import statsmodels.api as sm
    from scipy import stats as st

    frame, _ = make_returns(n_firms=6, n_days=450, seed=31)
    frame.loc[frame.index[350:353], "F02"] = np.nan
    events = make_events(frame, 8, seed=32, lo=300, hi_pad=10)
    res = run_event_study(frame, events, estimation=(-200, -11), window=(-2, 2), n_boot=0,
                          mask_other_events=False)
    ok = res.events[res.events["status"] == "ok"]
    scar_cum, pos, m_tot, sar_sum, q = [], 0, 0, [], []
    for _eid, row in ok.iterrows():
        p0 = frame.index.get_loc(row["day0"])
        est = frame.iloc[p0 - 200: p0 - 10][[row["symbol"], "SPY"]].dropna()
        fit = sm.OLS(est[row["symbol"]], sm.add_constant(est["SPY"])).fit()
        pos += int((fit.resid > 0).sum())
        m_tot += len(est)
        evt = frame.iloc[p0 - 2: p0 + 3]
        X = sm.add_constant(evt["SPY"], has_constant="add").to_numpy()
        ar = evt[row["symbol"]].to_numpy() - X @ fit.params.to_numpy()
        V = fit.mse_resid * (np.eye(5) + X @ fit.normalized_cov_params.to_numpy() @ X.T)
        scar_cum.append([ar[: j + 1].sum() / np.sqrt(V[: j + 1, : j + 1].sum())
                         for j in range(5)])
        c = np.diag(V) / fit.mse_resid
        sar_sum.append((ar / np.sqrt(fit.mse_resid * c)).sum())
        q.append((len(est) - 2) / (len(est) - 4))
    scar_cum = np.array(scar_cum)
    n = len(ok)
    for j, rel in enumerate(range(-2, 3)):
        t_j = np.sqrt(n) * scar_cum[:, j].mean() / scar_cum[:, j].std(ddof=1)
        assert res.daily.loc[rel, "caar_bmp_t"] == pytest.approx(t_j, abs=1e-10)
    assert res.tests.loc["bmp_t", "statistic"] == pytest.approx(
        np.sqrt(n) * scar_cum[:, -1].mean() / scar_cum[:, -1].std(ddof=1), abs=1e-10)
    p_hat = pos / m_tot
    w = int((ok["car"] > 0).sum())
    assert res.tests.loc["generalized_sign_z", "statistic"] == pytest.approx(
        (w - n * p_hat) / np.sqrt(n * p_hat * (1 - p_hat)), abs=1e-12)
    z = (np.array(sar_sum) / np.sqrt(5 * np.array(q))).sum() / np.sqrt(n)
    assert res.tests.loc["patell_z", "statistic"] == pytest.approx(z, abs=1e-10)
    t_cs = res.tests.loc["cross_sectional_t"]
    assert t_cs["p_value"] == pytest.approx(2 * st.t.sf(abs(t_cs["statistic"]), n - 1))
