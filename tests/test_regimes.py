"""Tests of pivotlib.analytics.regimes on synthetic returns with a planted bitcoin -> AI switch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pivotlib.analytics import regimes as rg
from pivotlib.data.calendar import sessions
from pivotlib.errors import InputError

# Realistic daily vols (see ../shared/realdata/README.md calibration): SPY ~1%, BTC ~2.5%,
# SMH ~2% (beta 1.7 to SPY), miner idiosyncratic ~4.5% with fat tails (Student t, 5 df).
SPY_VOL, BTC_OWN_VOL, SMH_OWN_VOL, IDIO_VOL = 0.0095, 0.024, 0.012, 0.045
BTC_BEFORE, BTC_AFTER, AI_BEFORE, AI_AFTER, MKT_BETA = 1.8, 0.5, 0.0, 1.2, 1.5


def make_returns(n: int = 1000, brk: int = 500, seed: int = 0,
                 switchers: tuple[str, ...] = ("SW",), stayers: tuple[str, ...] = ("NO",)):
    """Factors plus miners; ``switchers`` change BTC beta 1.8 -> 0.5 and AI beta 0 -> 1.2 at
    row ``brk`` (the first session of the new regime); ``stayers`` keep BTC 1.8 and AI 0."""
    rng = np.random.default_rng(seed)
    idx = sessions("2021-01-04", "2031-12-31")[:n]
    spy = SPY_VOL * rng.standard_normal(n)
    btc = 0.5 * spy + BTC_OWN_VOL * rng.standard_normal(n)
    smh = 1.7 * spy + SMH_OWN_VOL * rng.standard_normal(n)
    df = pd.DataFrame({"SPY": spy, "BTC-USD": btc, "SMH": smh}, index=idx)
    post = np.arange(n) >= brk
    for name, switch in [*((s, True) for s in switchers), *((s, False) for s in stayers)]:
        e = IDIO_VOL * rng.standard_t(5, n) / np.sqrt(5 / 3)
        b_btc = np.where(post & switch, BTC_AFTER, BTC_BEFORE)
        b_ai = np.where(post & switch, AI_AFTER, AI_BEFORE)
        df[name] = MKT_BETA * spy + b_btc * btc + b_ai * smh + e
    df.index.name = "date"
    return df, idx[brk]


@pytest.fixture(scope="module")
def planted():
    return make_returns()


# ---------------------------------------------------------------------------------- shift


def test_exposure_shift_finds_planted_switch(planted):
    df, date = planted
    res = rg.exposure_shift(df, "SW", ["SPY", "BTC-USD", "SMH"], date)
    t = res.table.set_index("factor")
    assert res.date == date and res.n_before == 250 and res.n_after == 250
    assert t.at["BTC-USD", "diff"] < 0 and t.at["BTC-USD", "p"] < 0.01
    assert t.at["SMH", "diff"] > 0 and t.at["SMH", "p"] < 0.01
    # estimates near the planted values (within 3 HAC standard errors)
    assert abs(t.at["BTC-USD", "beta_before"] - BTC_BEFORE) < 3 * t.at["BTC-USD", "se_before"]
    assert abs(t.at["BTC-USD", "beta_after"] - BTC_AFTER) < 3 * t.at["BTC-USD", "se_after"]
    assert abs(t.at["SMH", "diff"] - (AI_AFTER - AI_BEFORE)) < 3 * t.at["SMH", "se_diff"]
    assert res.chow_p < 0.01 and res.chow_hac_p < 0.01 and res.slopes_hac_p < 0.01
    # HAC lag rule: floor(4 * (500/100) ** (2/9)) = 5, stated in the output
    assert res.hac_lags == 5 == rg.hac_lags_rule(500)
    assert "2 / 9" in res.hac_rule and "lags = 5" in res.summary()


def test_exposure_shift_matches_separate_regressions(planted):
    """The interaction regression reproduces two separate OLS fits, and the classical Chow F
    equals the textbook SSR formula."""
    import statsmodels.api as sm

    df, date = planted
    f = ["SPY", "BTC-USD", "SMH"]
    res = rg.exposure_shift(df, "SW", f, date, before=200, after=150, orthogonalize="none")
    pos = df.index.get_loc(date)
    pre, post = df.iloc[pos - 200:pos], df.iloc[pos:pos + 150]
    both = df.iloc[pos - 200:pos + 150]
    fits = [sm.OLS(d["SW"], sm.add_constant(d[f])).fit() for d in (pre, post, both)]
    t = res.table.set_index("factor")
    np.testing.assert_allclose(t["beta_before"].to_numpy(), fits[0].params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(t["beta_after"].to_numpy(), fits[1].params.to_numpy(), rtol=1e-8)
    k, n = 4, 350
    ssr_u = fits[0].ssr + fits[1].ssr
    chow = ((fits[2].ssr - ssr_u) / k) / (ssr_u / (n - 2 * k))
    assert res.chow_f == pytest.approx(chow, rel=1e-8)
    assert res.chow_df == (4, n - 8)


def test_ai_beta_invariant_to_orthogonalisation(planted):
    """Frisch-Waugh-Lovell: with the market among the regressors, residualising SMH on SPY
    leaves the BTC and AI betas unchanged and changes only the market beta."""
    df, date = planted
    a = rg.exposure_shift(df, "SW", date=date, orthogonalize="ai").table.set_index("factor")
    b = rg.exposure_shift(df, "SW", date=date, orthogonalize="none").table.set_index("factor")
    for f in ("BTC-USD", "SMH"):
        assert a.at[f, "diff"] == pytest.approx(b.at[f, "diff"], rel=1e-8)
        assert a.at[f, "se_diff"] == pytest.approx(b.at[f, "se_diff"], rel=1e-6)
    # total market exposure after the switch absorbs 1.2 * 1.7 through SMH
    assert a.at["SPY", "beta_after"] - b.at["SPY", "beta_after"] > 1.0
    # without the market among the regressors the orthogonalised AI beta stays near 1.2
    c = rg.exposure_shift(df, "SW", ["BTC-USD", "SMH"], date).table.set_index("factor")
    assert c.at["SMH", "beta_after"] == pytest.approx(AI_AFTER, abs=0.6)


def test_exposure_shift_errors(planted):
    df, date = planted
    with pytest.raises(InputError, match="unknown symbol"):
        rg.exposure_shift(df, "NOPE", date=date)
    with pytest.raises(InputError, match="unknown factor"):
        rg.exposure_shift(df, "SW", ["SPY", "ETH-USD"], date=date)
    with pytest.raises(InputError, match="outside the data"):
        rg.exposure_shift(df, "SW", date="2035-01-02")
    with pytest.raises(InputError, match="runs off the data"):
        rg.exposure_shift(df, "SW", date=df.index[100])
    with pytest.raises(InputError, match="runs off the data"):
        rg.exposure_shift(df, "SW", date=df.index[-20])
    with pytest.raises(InputError, match="not a date"):
        rg.exposure_shift(df, "SW", date="soon")
    with pytest.raises(InputError, match="market"):
        rg.exposure_shift(df.drop(columns="SPY"), "SW", ["BTC-USD", "SMH"], date)
    # clip shortens the window (and says so) but still needs min_obs on each side
    res = rg.exposure_shift(df, "SW", date=df.index[100], clip=True)
    assert res.n_before == 100 and res.notes
    with pytest.raises(InputError, match="too few observations"):
        rg.exposure_shift(df, "SW", date=df.index[30], clip=True)


def test_exposure_shift_skips_missing_rows(planted):
    """Windows count valid observations: NaNs (before listing, gaps) are skipped, not zeroed."""
    df, date = planted
    d = df.copy()
    d.loc[d.index[:300], "SW"] = np.nan  # listed late
    d.loc[d.index[450:455], "BTC-USD"] = np.nan
    res = rg.exposure_shift(d, "SW", date=date, before=150, after=250)
    assert res.n_before == 150 and res.start == d.index[300 + 45]
    with pytest.raises(InputError, match="runs off the data"):
        rg.exposure_shift(d, "SW", date=date, before=250, after=250)


# ---------------------------------------------------------------------------------- break


def test_find_break_lands_near_planted_date():
    errors, covered = [], []
    for seed in range(10):
        df, date = make_returns(seed=seed)
        res = rg.find_break(df, "SW")
        errors.append(abs(df.index.get_loc(res.break_date) - df.index.get_loc(date)))
        covered.append(res.ci_low <= date <= res.ci_high)
        assert res.ci_low <= res.break_date <= res.ci_high and 0 < res.ci_sessions < 100
        assert res.p_value < 0.01 and res.q == 4
        assert len(res.f_path) == 1000 - 2 * 150 + 1
        assert res.f_path.max() == pytest.approx(res.sup_f)
    # Bai (1997): with this signal-to-noise the estimate is within ~20 sessions ~97% of the time
    assert sum(e <= 20 for e in errors) >= 8, errors
    assert np.median(errors) <= 5, errors
    assert sum(covered) >= 8, covered  # Bai (1997) 95 % interval


def test_bai_critical_values():
    # Bai (1997): 90 % and 95 % quantiles of |argmax W(s) - |s|/2| are 7.69 and 11.03
    assert rg._bai_critical(0.90) == pytest.approx(7.69, abs=0.01)
    assert rg._bai_critical(0.95) == pytest.approx(11.03, abs=0.01)


def test_find_break_fixed_seed_and_hac_variant(planted):
    df, date = planted
    res = rg.find_break(make_returns(seed=1)[0], "SW")
    assert abs(res.break_date - date).days < 40
    hac = rg.find_break(df.iloc[:600], "SW", stat="hac")
    assert hac.stat == "hac" and np.isfinite(hac.sup_f) and hac.p_value < 0.01


def test_chow_path_matches_direct_regressions(planted):
    """The vectorised F path equals the Chow F of exposure_shift at the same split."""
    df, _ = planted
    d = df.iloc[:400]
    res = rg.find_break(d, "SW", orthogonalize="none")
    for date in (res.f_path.index[0], res.f_path.index[123], res.break_date):
        pos = d.index.get_loc(date)
        sh = rg.exposure_shift(d, "SW", date=date, before=pos, after=400 - pos,
                               orthogonalize="none", min_obs=10)
        assert res.f_path[date] == pytest.approx(sh.chow_f, rel=1e-6)


def test_hac_break_path_matches_exposure_shift(planted):
    """The HAC F path (own Newey-West code) equals statsmodels' HAC Wald / q of exposure_shift."""
    df, _ = planted
    d = df.iloc[:300]
    res = rg.find_break(d, "SW", stat="hac", orthogonalize="none", hac_lags=4)
    for date in (res.f_path.index[5], res.break_date):
        pos = d.index.get_loc(date)
        sh = rg.exposure_shift(d, "SW", date=date, before=pos, after=300 - pos, hac_lags=4,
                               orthogonalize="none", min_obs=10)
        assert res.f_path[date] == pytest.approx(sh.chow_hac_wald / 4, rel=1e-8)


def test_supf_pvalue_matches_andrews_critical_values():
    """Andrews (1993; 2003 corrigendum) sup-F critical values, 15 % trimming, as tabulated in
    Stock and Watson, Introduction to Econometrics, Table 14.5 (F form)."""
    table = {1: (7.12, 8.68, 12.16), 2: (5.00, 5.86, 7.78), 4: (3.59, 4.09, 5.12),
             5: (3.26, 3.66, 4.53)}
    for q, crit in table.items():
        for level, c in zip((0.10, 0.05, 0.01), crit):
            assert rg.supf_pvalue(c, q, 0.15) == pytest.approx(level, abs=0.006 if level > 0.02 else 0.002)
    # monotone decreasing in the statistic, in [0, 1]
    ps = [rg.supf_pvalue(f, 4) for f in np.linspace(0.1, 12, 60)]
    assert all(0 <= p <= 1 for p in ps) and all(a >= b for a, b in zip(ps, ps[1:]))
    with pytest.raises(InputError):
        rg.supf_pvalue(3.0, 4, trim=0.6)


def _false_detection_rates(reps: int, seed0: int):
    brk, shift = [], []
    for s in range(reps):
        df, date = make_returns(n=500, brk=250, seed=seed0 + s, switchers=(), stayers=("NO",))
        brk.append(rg.find_break(df, "NO").p_value < 0.05)
        shift.append(rg.exposure_shift(df, "NO", date=date).chow_hac_p < 0.05)
    return float(np.mean(brk)), float(np.mean(shift))


def test_no_switch_false_detections_fast():
    brk, shift = _false_detection_rates(120, seed0=5000)
    # 120 draws at a nominal 5 %: 6 rejections expected, 1-13 covers > 99.5 % of outcomes
    assert 1 / 120 <= brk <= 13 / 120 and 1 / 120 <= shift <= 13 / 120, (brk, shift)


@pytest.mark.slow
def test_no_switch_false_detections_near_nominal():
    brk, shift = _false_detection_rates(1000, seed0=10_000)
    # binomial SE at 1000 draws is 0.7 %; HAC tests are a little oversized in finite samples
    assert 0.03 <= brk <= 0.07, brk
    assert 0.03 <= shift <= 0.08, shift


# ---------------------------------------------------------------------------------- rolling


def test_rolling_exposures_shape_and_last_window(planted):
    import statsmodels.api as sm

    df, _ = planted
    f = ["SPY", "BTC-USD", "SMH"]
    out = rg.rolling_exposures(df, "SW", f, window=120, orthogonalize="none")
    assert len(out) == len(df) - 119 and out.index[-1] == df.index[-1]
    assert [c for c in out.columns] == ["alpha", *[f"beta_{x}" for x in f],
                                        *[f"se_{x}" for x in f], "r2", "nobs"]
    fit = sm.OLS(df["SW"].iloc[-120:], sm.add_constant(df[f].iloc[-120:])).fit()
    last = out.iloc[-1]
    for x in f:
        assert last[f"beta_{x}"] == pytest.approx(fit.params[x], rel=1e-6)
        assert last[f"se_{x}"] == pytest.approx(fit.bse[x], rel=1e-6)
    assert last["r2"] == pytest.approx(fit.rsquared, rel=1e-6)
    # rolling BTC beta is high early and low late
    assert out["beta_BTC-USD"].iloc[:300].mean() > 1.4 > 0.9 > out["beta_BTC-USD"].iloc[-300:].mean()
    exp = rg.rolling_exposures(df, "SW", f, window=120, min_periods=30)
    assert len(exp) == len(df) - 29 and exp["nobs"].iloc[0] == 30
    with pytest.raises(InputError, match="window"):
        rg.rolling_exposures(df, "SW", f, window=3)
    with pytest.raises(InputError, match="too few"):
        rg.rolling_exposures(df.iloc[:50], "SW", f, window=120)


@pytest.mark.parametrize("expanding,hc0", [(False, False), (True, False), (False, True),
                                           (True, True)])
def test_rolling_ols_equals_statsmodels_rolling_ols(expanding, hc0):
    from statsmodels.regression.rolling import RollingOLS

    from pivotlib.analytics.regimes.rolling import rolling_ols

    rng = np.random.default_rng(3)
    n = 700
    X = np.column_stack([np.ones(n), rng.normal(0, 0.02, (n, 3))])
    y = X @ [0.001, 1.0, 0.5, -0.3] + rng.normal(0, 0.03, n)
    X[400:405, 3] = 0.0  # a stretch where one regressor is flat (still invertible)
    mn = 30 if expanding else 120
    ref = RollingOLS(y, X, window=120, min_nobs=mn, expanding=expanding).fit(
        cov_type="HCCM" if hc0 else "nonrobust")
    got = rolling_ols(y, X, 120, min_nobs=mn, expanding=expanding, hc0=hc0)
    for a, b in ((got.params, ref.params), (got.bse, ref.bse),
                 (got.rsquared, np.asarray(ref.rsquared)), (got.nobs, np.asarray(ref.nobs))):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-14)
    assert np.isfinite(got.params[mn - 1]).all() and np.isnan(got.params[mn - 2]).all()


# ---------------------------------------------------------------------------------- scores


def test_pivot_scores_rank_switcher_first():
    df, date = make_returns(switchers=("SW",), stayers=("NO", "NO2"), seed=7)
    out = rg.pivot_scores(df, ["NO", "SW", "NO2"], date_or_events=date)
    assert list(out.index)[0] == "SW" and out.at["SW", "rank"] == 1
    sw = out.loc["SW"]
    assert sw["delta_btc_beta"] < 0 < sw["delta_ai_beta"]
    assert sw["pivot_score"] == pytest.approx(sw["delta_ai_beta"] - sw["delta_btc_beta"])
    assert sw["ci_low"] > 0 and sw["ci_low"] < sw["pivot_score"] < sw["ci_high"]
    assert abs(sw["pivot_score"] - 2.5) < 3 * sw["se_score"]
    for s in ("NO", "NO2"):
        assert out.at[s, "ci_low"] < sw["ci_low"]
        assert abs(out.at[s, "pivot_score"]) < 3.5 * out.at[s, "se_score"]
    # se_score comes from the joint covariance, not from adding variances
    naive = np.hypot(sw["se_delta_btc"], sw["se_delta_ai"])
    assert sw["se_score"] != pytest.approx(naive, rel=1e-6)


def test_pivot_scores_bootstrap_interval():
    df, date = make_returns(switchers=("SW",), stayers=("NO",), seed=7)
    hac = rg.pivot_scores(df, ["SW", "NO"], date_or_events=date)
    boot = rg.pivot_scores(df, ["SW", "NO"], date_or_events=date, ci_method="bootstrap",
                           n_boot=299, seed=1)
    again = rg.pivot_scores(df, ["SW", "NO"], date_or_events=date, ci_method="bootstrap",
                            n_boot=299, seed=1)
    pd.testing.assert_frame_equal(boot, again)  # seeded
    assert "bootstrap" in boot.attrs["interval"]
    for s in ("SW", "NO"):
        assert boot.at[s, "pivot_score"] == pytest.approx(hac.at[s, "pivot_score"])
        # bootstrap and HAC standard errors agree (ratios 0.98 and 1.01 at this seed)
        assert 0.8 < boot.at[s, "se_score"] / hac.at[s, "se_score"] < 1.25
        assert boot.at[s, "ci_low"] < boot.at[s, "pivot_score"] < boot.at[s, "ci_high"]
    assert boot.at["SW", "ci_low"] > 0
    with pytest.raises(InputError, match="ci_method"):
        rg.pivot_scores(df, ["SW"], date_or_events=date, ci_method="jackknife")


def test_pivot_scores_date_sources_and_errors():
    df, date = make_returns(switchers=("SW",), stayers=("NO",), seed=11)
    i = df.index.get_loc(date)
    events = pd.DataFrame({
        "symbol": ["SW", "SW", "NO", "NO"],
        "event_date": [df.index[i + 40], date, df.index[i - 300], df.index[i]],
        "category": ["ai_hosting_lease", "financing_ai", "context_ai", "strategic_pivot_hpc/ai"],
    })
    out = rg.pivot_scores(df, ["SW", "NO"], date_or_events=events)
    assert out.at["SW", "date"] == date  # first AI event
    assert out.at["NO", "date"] == df.index[i]  # context row ignored
    m = rg.pivot_scores(df, ["SW", "NO"], date_or_events={"SW": date, "NO": df.index[i]})
    pd.testing.assert_frame_equal(out, m)
    skipped = rg.pivot_scores(df, ["SW", "NO"], date_or_events={"SW": date}, errors="skip")
    assert np.isnan(skipped.at["NO", "pivot_score"]) and "no date" in skipped.at["NO", "note"]
    assert list(skipped.index) == ["SW", "NO"]
    with pytest.raises(InputError, match="no date"):
        rg.pivot_scores(df, ["SW", "NO"], date_or_events={"SW": date})
    with pytest.raises(InputError, match="unknown symbol"):
        rg.pivot_scores(df, ["SW", "ZZZ"], date_or_events=date, errors="skip")
    with pytest.raises(InputError, match="ai_factor"):
        rg.pivot_scores(df, ["SW"], ["SPY", "BTC-USD"], date)


def test_is_ai_category():
    yes = ["ai_hosting_lease", "financing_ai", "strategic_pivot_hpc/ai", "spin_off_ai",
           "capacity_expansion_ai", "ipo_ai_subsidiary", "ai_cloud_capex", "ai_capex",
           "capacity_expansion", "ai_cloud_launch"]
    no = ["context_ai", "context_ai_shock", "strategic_pivot_non_ai", "m_and_a", "short_report",
          "corporate_rebrand", "sector_context", "strategic_pivot", "financing", "spin_off",
          None]
    assert all(rg.is_ai_category(c) for c in yes)
    assert not any(rg.is_ai_category(c) for c in no)


def test_ai_basket_returns():
    idx = sessions("2024-01-02", "2024-01-09")
    r = pd.DataFrame({"A": [0.01, 0.02, np.nan, 0.0, 0.03, 0.01],
                      "B": [0.03, np.nan, np.nan, 0.02, 0.01, -0.01]}, index=idx)
    eq = rg.ai_basket_returns(r, ["A", "B"])
    assert eq.name == "AI_BASKET"
    np.testing.assert_allclose(eq.to_numpy(), [0.02, 0.02, np.nan, 0.01, 0.02, 0.0])
    w = rg.ai_basket_returns(r, ["A", "B"], weights={"A": 3, "B": 1}, min_members=2, name="X")
    np.testing.assert_allclose(w.to_numpy(), [0.015, np.nan, np.nan, 0.005, 0.025, 0.005])
    with pytest.raises(InputError, match="unknown basket member"):
        rg.ai_basket_returns(r, ["A", "C"])
    with pytest.raises(InputError, match="weights"):
        rg.ai_basket_returns(r, ["A", "B"], weights=[1.0])


def test_basket_as_ai_factor(planted):
    df, date = planted
    d = df.copy()
    d["AI_BASKET"] = rg.ai_basket_returns(d, ["SMH"])
    out = rg.pivot_scores(d, ["SW"], ["SPY", "BTC-USD", "AI_BASKET"], date, ai_factor="AI_BASKET")
    ref = rg.pivot_scores(df, ["SW"], date_or_events=date)
    assert out.at["SW", "pivot_score"] == pytest.approx(ref.at["SW", "pivot_score"], rel=1e-10)


def test_bad_inputs():
    with pytest.raises(InputError, match="DataFrame"):
        rg.rolling_exposures([1, 2, 3], "SW")  # type: ignore[arg-type]
    df, date = make_returns(n=300, brk=150)
    with pytest.raises(InputError, match="both the symbol and a factor"):
        rg.find_break(df, "SPY", ["SPY", "SMH"])
    with pytest.raises(InputError, match="orthogonalize"):
        rg.find_break(df, "SW", orthogonalize="yes")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="too few"):
        rg.find_break(df.iloc[:40], "SW")
    with pytest.raises(InputError, match="trim"):
        rg.find_break(df, "SW", trim=0.5)
    with pytest.raises(InputError, match="not a date"):
        rg.find_break(df, "SW", start="someday")
    d = df.assign(DUP=2 * df["BTC-USD"])
    with pytest.raises(InputError, match="singular"):
        rg.exposure_shift(d, "SW", ["SPY", "BTC-USD", "DUP"], date, before=150, after=150)
    with pytest.raises(InputError, match="singular"):
        rg.find_break(d, "SW", ["SPY", "BTC-USD", "DUP"])


def test_quarterly_correlations(planted):
    df, date = planted
    out = rg.quarterly_correlations(df, ["SW", "NO"])
    assert set(out.columns) == {"quarter", "symbol", "factor", "corr", "nobs"}
    assert out["nobs"].min() >= 20 and out["corr"].between(-1, 1).all()
    heat = out.pivot_table(index=["symbol", "factor"], columns="quarter", values="corr")
    q_switch = pd.Period(date, "Q")
    before = [q for q in heat.columns if q < q_switch]
    after = [q for q in heat.columns if q > q_switch]
    # the switcher decouples from BTC and couples to AI-specific moves; the stayer does not
    assert heat.loc[("SW", "BTC-USD"), before].mean() > heat.loc[("SW", "BTC-USD"), after].mean() + 0.2
    assert heat.loc[("SW", "SMH"), after].mean() > heat.loc[("SW", "SMH"), before].mean() + 0.1
    assert abs(heat.loc[("NO", "SMH"), after].mean()) < 0.1
    q_after = after[-1]
    # a quarter's value is the plain correlation with the residualised AI factor
    sub = df[pd.DatetimeIndex(df.index).to_period("Q") == q_after]
    resid = sub["SMH"] - np.polyval(np.polyfit(df["SPY"], df["SMH"], 1), sub["SPY"])
    got = heat.loc[("SW", "SMH"), q_after]
    assert got == pytest.approx(np.corrcoef(sub["SW"], resid)[0, 1], rel=1e-9)


def test_break_table_nearest_event(planted):
    df, date = planted
    i = df.index.get_loc(date)
    events = pd.DataFrame({"symbol": ["SW", "SW", "NO", "SECTOR"],
                           "event_date": [df.index[i - 200], df.index[i + 3], df.index[i],
                                          df.index[i]],
                           "category": ["financing", "ai_hosting_lease", "earnings",
                                        "sector_context"],
                           "headline": ["a", "b", "c", "d"]})
    out = rg.break_table(df, ["SW", "NO"], events=events, stat="F")
    sw = out.loc["SW"]
    assert sw["nearest_event"] == df.index[i + 3] and sw["nearest_headline"] == "b"
    assert sw["sessions_from_event"] == df.index.get_loc(sw["break_date"]) - (i + 3)
    assert sw["event_in_ci"] == (sw["ci_low"] <= df.index[i + 3] <= sw["ci_high"])
    assert sw["p_value"] < 0.01 and sw["btc_after"] < sw["btc_before"]
    short = rg.break_table(df.iloc[:50], ["SW"], stat="F")
    assert "too few" in short.at["SW", "note"]


# ---------------------------------------------------------------------------------- demo data

ROOT = Path(__file__).resolve().parents[1]
PLANTED = ROOT / "data" / "synthetic" / "planted_regimes.csv"


@pytest.fixture
def demo_returns():
    if not PLANTED.is_file():
        pytest.skip("data/synthetic (the SYNTHETIC demo dataset) is absent")
    from pivotlib.data.loading import load_returns

    planted = pd.read_csv(PLANTED)
    syms = [*planted["symbol"], "MARA", "RIOT", "SPY", "BTC-USD", "SMH"]
    return load_returns(syms, dataset="demo"), planted


def test_demo_dataset_planted_switches_recovered(demo_returns):
    """End to end on the SYNTHETIC demo: the switches planted by pivotlib.data.synthetic
    (planted_regimes.csv) come out with the right signs and a positive pivot score."""
    rets, planted = demo_returns
    dates = dict(zip(planted["symbol"], planted["switch_date"]))
    out = rg.pivot_scores(rets, list(planted["symbol"]), date_or_events=dates, clip=True)
    for _, p in planted.iterrows():
        row = out.loc[p["symbol"]]
        assert row["delta_btc_beta"] < 0 < row["delta_ai_beta"], p["symbol"]
        want = p["b_btc_post"] - p["b_btc_pre"]
        assert abs(row["delta_btc_beta"] - want) < 3.5 * row["se_delta_btc"], p["symbol"]
        assert row["ci_low"] > 0, p["symbol"]
    # names without a planted switch score near zero at an arbitrary date
    calm = rg.pivot_scores(rets, ["MARA", "RIOT"], date_or_events="2024-06-04")
    assert (calm["pivot_score"].abs() < 3.5 * calm["se_score"]).all()


def test_cli_regimes(demo_returns, capsys):
    from pivotlib.cli import main

    assert main(["regimes", "scores", "IREN", "CORZ", "--clip", "--dataset", "demo"]) == 0
    text = capsys.readouterr().out
    assert "SYNTHETIC" in text and "IREN" in text and "pivot_score" in text
    assert main(["regimes", "scores", "IREN", "--date", "2031-01-02", "--dataset", "demo"]) == 2
    assert "outside the data" in capsys.readouterr().err
    assert main(["regimes", "breaks", "IREN", "--stat", "F", "--format", "csv",
                 "--dataset", "demo"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("symbol,break_date,sup_f,p_value") and lines[1].startswith("IREN,")
