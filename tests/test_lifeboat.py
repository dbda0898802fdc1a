"""pivotlib.lifeboat: planted effects recovered, statistics vs independent computations."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import pivotlib.analytics.lifeboat as lb
from pivotlib.data import synthetic_lifeboat as slb
from pivotlib.errors import InputError

MINERS = ["APLD", "IREN", "HUT", "CORZ", "WULF", "CIFR", "MARA", "RIOT", "CLSK", "BITF", "BTDR",
          "HIVE", "BTBT"]


def _frame(n: int = 1200, seed: int = 0, stocks: dict | None = None) -> pd.DataFrame:
    """SPY, BTC and stocks with r = 1.5 SPY + b_down(t) BTC- + b_up(t) BTC+ + noise.

    ``stocks``: name -> (b_pre, b_down_post, b_up_post, split position).
    """
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2021-01-04", periods=n)
    spy = 0.01 * rng.standard_normal(n)
    btc = 0.5 * spy + 0.03 * rng.standard_normal(n)
    out = {"SPY": spy, "BTC-USD": btc}
    for name, (b0, bd, bu, k) in (stocks or {}).items():
        post = np.arange(n) >= k
        beta = np.where(post, np.where(btc < 0, bd, bu), b0)
        out[name] = 1.5 * spy + beta * btc + 0.04 * rng.standard_t(6, n) / math.sqrt(1.5)
    return pd.DataFrame(out, index=idx)


# --- HAC core -------------------------------------------------------------------------------------
def test_ols_hac_matches_statsmodels():
    rng = np.random.default_rng(3)
    n = 400
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 2))])
    e = np.convolve(rng.standard_normal(n + 2), [1, 0.5, 0.3], "valid")
    y = X @ [0.1, 1.0, -2.0] + e
    mask = rng.random(n) > 0.4
    for lags in (1, 4, 9):
        b, V, T = lb.ols_hac(y[None], X, lags, mask[None])
        f = sm.OLS(y[mask], X[mask]).fit(cov_type="HAC",
                                         cov_kwds={"maxlags": lags, "use_correction": True})
        np.testing.assert_allclose(b[0], f.params, rtol=1e-10)
        np.testing.assert_allclose(V[0], f.cov_params(), rtol=1e-8, atol=1e-14)
        assert T[0] == mask.sum()


def test_downside_betas_match_statsmodels_hac():
    df = _frame(seed=1, stocks={"AAA": (1.2, 0.5, 1.2, 700)})
    res = lb.downside_betas(df, ["AAA"], {"AAA": df.index[700]})
    row = res.table.iloc[0]
    for side, sel in (("down", df["BTC-USD"] < 0), ("up", df["BTC-USD"] >= 0)):
        d = df[sel]
        post = (d.index >= df.index[700]).astype(float)
        Z = np.column_stack([np.ones(len(d)), d["SPY"], d["BTC-USD"]])
        W = np.column_stack([Z, Z * post[:, None]])
        lags = lb.hac_lags(len(d))
        f = sm.OLS(d["AAA"].to_numpy(), W).fit(cov_type="HAC", cov_kwds={
            "maxlags": lags, "use_correction": True})
        assert row[f"{side}_before"] == pytest.approx(f.params[2], rel=1e-9)
        assert row[f"{side}_change"] == pytest.approx(f.params[5], rel=1e-9)
        assert row[f"{side}_se"] == pytest.approx(f.bse[5], rel=1e-8)
        assert row[f"{side}_p"] == pytest.approx(f.pvalues[5], rel=1e-6)
        assert row[f"hac_lags_{side}"] == lags
        # the after beta equals a separate fit on the post rows
        g = sm.OLS(d["AAA"].to_numpy()[post == 1], Z[post == 1]).fit()
        assert row[f"{side}_after"] == pytest.approx(g.params[2], rel=1e-9)


def test_planted_downside_fall_recovered():
    df = _frame(n=1500, seed=7, stocks={"PIV": (1.4, 0.4, 1.4, 750), "LOY": (1.1, 1.1, 1.1, 750)})
    t = lb.downside_betas(df, ["PIV", "LOY"], {"PIV": df.index[750], "LOY": df.index[750]})
    tab = t.table.set_index("symbol")
    assert tab.loc["PIV", "down_low"] <= -1.0 <= tab.loc["PIV", "down_high"]
    assert tab.loc["PIV", "down_high"] < 0 and tab.loc["PIV", "down_p"] < 0.01
    assert tab.loc["PIV", "up_low"] <= 0 <= tab.loc["PIV", "up_high"]
    assert tab.loc["LOY", "down_low"] <= 0 <= tab.loc["LOY", "down_high"]
    assert "HAC" in t.method and "<table" in t._repr_html_() and "PIV" in t.summary()


def test_false_change_rate_near_nominal():
    """No-change control: the 5% HAC test of the downside change rejects about 5% of seeds."""
    S, n = 2000, 600
    rng = np.random.default_rng(11)
    spy = 0.01 * rng.standard_normal((S, n))
    btc = 0.5 * spy + 0.03 * rng.standard_normal((S, n))
    y = 1.5 * spy + 1.1 * btc + 0.04 * rng.standard_t(6, (S, n)) / math.sqrt(1.5)
    X = np.stack([spy, btc], axis=2)
    post = (np.arange(n) >= n // 2).astype(float)
    f = lb.interaction_fit(y, X, post, btc < 0)
    z = f["change"][:, 2] / f["se_change"][:, 2]
    rate = float((np.abs(z) > 1.959964).mean())
    assert 0.035 <= rate <= 0.075, rate


# --- cohorts and DiD ----------------------------------------------------------------------------
def test_pivot_cohorts_from_catalog():
    from pivotlib.events import load_catalog

    cat = load_catalog()
    co = lb.pivot_cohorts(cat, MINERS)
    assert co.loc["APLD", "pivot_date"] == pd.Timestamp("2023-05-16")
    assert co.loc["CORZ", "first_contract"] == "CORZ-2024-06-03-coreweave-200mw"
    for s in ("MARA", "CLSK", "BITF", "BTDR", "HIVE"):
        assert co.loc[s, "cohort"] == "loyalist" and pd.isna(co.loc[s, "pivot_date"])
        assert co.loc[s, "split_date"] == co.attrs["loyalist_date"]
    # Bit Digital's GPU-cloud contract (issue 19's catalog rows) makes it a pivoter
    assert co.loc["BTBT", "first_contract"] == "BTBT-2024-06-25-gpu-contract-expansion"
    piv = co.loc[co["cohort"] == "pivoter", "pivot_date"].sort_values()
    assert co.attrs["loyalist_date"] == piv.iloc[(len(piv) - 1) // 2]
    # RIOT's AMD lease (2026-01-16) makes it a pivoter unless the cut-off is before it
    assert co.loc["RIOT", "cohort"] == "pivoter"
    assert lb.pivot_cohorts(cat, MINERS, as_of="2025-12-31").loc["RIOT", "cohort"] == "loyalist"
    # the synthetic lifeboat is planted exactly on these dates
    for s, life in slb.LIFEBOATS.items():
        assert co.loc[s, "pivot_date"] == pd.Timestamp(life.date), s
        assert co.loc[s, "first_contract"] == life.anchor
    assert set(slb.LIFEBOATS) == set(co.index[co["cohort"] == "pivoter"])


def test_label_permutation_exact_matches_loop():
    rng = np.random.default_rng(5)
    v = rng.standard_normal(9)
    t = np.zeros(9, bool)
    t[[0, 3, 4, 8]] = True
    p, n_lab, exact = lb.label_permutation_p(v, t)
    obs = v[t].mean() - v[~t].mean()
    cnt = tot = 0
    for c in combinations(range(9), 4):
        m = np.zeros(9, bool)
        m[list(c)] = True
        tot += 1
        cnt += abs(v[m].mean() - v[~m].mean()) >= abs(obs) - 1e-12
    assert exact and n_lab == tot == 126 and p == pytest.approx(cnt / tot)
    p2, n2, exact2 = lb.label_permutation_p(v, t, max_exact=10, n_perm=999, seed=1)
    assert not exact2 and n2 == 1000 and abs(p2 - p) < 0.08


def test_did_recovers_planted_cohort_effect():
    stocks = {f"P{i}": (1.3, 0.5, 1.3, 600) for i in range(6)}
    stocks |= {f"L{i}": (1.1, 1.1, 1.1, 600) for i in range(6)}
    df = _frame(n=1200, seed=21, stocks=stocks)
    co = pd.DataFrame({"cohort": ["pivoter"] * 6 + ["loyalist"] * 6,
                       "split_date": df.index[600]}, index=list(stocks))
    co.attrs["loyalist_date"] = df.index[600]
    d = lb.downside_did(df, co, placebo_shift=200)
    act = d.table.set_index("estimate").loc["actual"]
    assert act["low"] <= -0.8 <= act["high"] and act["high"] < 0
    assert act["exact"] and act["n_labelings"] == 924 and act["perm_p"] <= 2 / 924 + 1e-12
    plc = d.table.iloc[-1]
    assert plc["estimate"].startswith("placebo") and plc["perm_p"] > 0.05
    assert (d.firms["placebo_date"] < d.firms["split_date"]).all()


# --- crash episodes -------------------------------------------------------------------------------
def _brute_episodes(p: np.ndarray, th: float) -> list[tuple[int, int, int | None]]:
    n, i, out = len(p), 0, []
    while True:
        t = next((t for t in range(i, n) if p[t] / p[i:t + 1].max() <= 1 - th), None)
        if t is None:
            return out
        peak = i + int(np.argmax(p[i:t + 1]))
        k = next((k for k in range(t, n) if p[k] / p[t:k + 1].min() >= 1 + th), None)
        trough = t + int(np.argmin(p[t:(n if k is None else k + 1)]))
        out.append((peak, trough, k))
        if k is None:
            return out
        i = trough + 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_episodes_and_capture_vs_brute_force(seed):
    df = _frame(n=800, seed=seed, stocks={"AAA": (1.2, 0.6, 1.2, 400)})
    df.iloc[:50, df.columns.get_loc("AAA")] = np.nan  # not listed at first
    ep = lb.crash_episodes(df, threshold=0.15)
    price = np.concatenate([[1.0], np.cumprod(1 + df["BTC-USD"].to_numpy())])
    brute = _brute_episodes(price, 0.15)
    assert len(ep) == len(brute) >= 2
    dates = df.index.insert(0, df.index[0] - pd.Timedelta(days=1))
    for row, (a, b, c) in zip(ep.itertuples(), brute):
        assert (row.start, row.trough) == (dates[a], dates[b])
        assert row.btc_drawdown == pytest.approx(price[b] / price[a] - 1) and row.btc_drawdown <= -0.15
        assert (pd.isna(row.end) and c is None) or row.end == dates[c]
    cap = lb.episode_capture(df, ep, ["AAA", "ZZZ"], {"AAA": df.index[400]})
    for r in cap.table[cap.table["symbol"] == "AAA"].itertuples():
        sel = (df.index > r.start) & (df.index <= r.trough)
        x = df.loc[sel, "AAA"].to_numpy()
        if np.isnan(x).any():
            assert np.isnan(r.capture) and r.note
            continue
        m = 1.0
        for v in x:
            m *= 1 + v
        assert r.miner_move == pytest.approx(m - 1)
        assert r.capture == pytest.approx((m - 1) / r.btc_drawdown)
    assert cap.table.loc[cap.table["symbol"] == "ZZZ", "capture"].isna().all()
    assert set(cap.by_symbol["symbol"]) == {"AAA", "ZZZ"}


# --- persistence ----------------------------------------------------------------------------------
def _event_frame(seed: int = 0, n: int = 600, pops: dict | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2022-01-03", periods=n)
    spy = 0.01 * rng.standard_normal(n)
    btc = 0.03 * rng.standard_normal(n)
    df = {"SPY": spy, "BTC-USD": btc}
    for name, (pos, pop, keep) in (pops or {}).items():
        r = 0.2 * spy + 0.8 * btc + 0.015 * rng.standard_normal(n)
        r[pos] += pop
        # reversal spread evenly over the next 10 sessions, to keep the share `keep`
        r[pos + 1:pos + 11] += -(1 - keep) * pop / 10
        df[name] = r
    for c in ("C1", "C2"):
        df[c] = 0.3 * spy + 1.0 * btc + 0.02 * rng.standard_normal(n)
    return pd.DataFrame(df, index=idx)


def test_bhar_and_car_vs_brute_force():
    df = _event_frame(pops={"AAA": (400, 0.3, 1.0)})
    ev = pd.DataFrame({"event_id": ["e1"], "symbol": ["AAA"], "event_date": [df.index[400]],
                       "deal_usd": [1e9]})
    res = lb.deal_persistence(df, ev, controls=["C1", "C2", "AAA"], horizons=(20, 60),
                              n_boot=199)
    e = res.events.iloc[0]
    est = df.iloc[400 - 250:400 - 10]
    f = sm.OLS(est["AAA"], sm.add_constant(est[["SPY", "BTC-USD"]])).fit()
    for h in (20, 60):
        win = df.iloc[400:400 + h + 1]
        exp = f.params["const"] + win[["SPY", "BTC-USD"]] @ f.params[["SPY", "BTC-USD"]]
        gr = ge = gc = 1.0
        car = 0.0
        for t in range(h + 1):
            gr *= 1 + win["AAA"].iloc[t]
            ge *= 1 + exp.iloc[t]
            gc *= 1 + (win["C1"].iloc[t] + win["C2"].iloc[t]) / 2  # the announcer is excluded
            car += win["AAA"].iloc[t] - exp.iloc[t]
        assert e[f"bhar{h}_model"] == pytest.approx(gr - ge, rel=1e-9)
        assert e[f"bhar{h}_control"] == pytest.approx(gr - gc, rel=1e-9)
        assert e[f"car{h}_model"] == pytest.approx(car, rel=1e-9)
        assert e[f"kept{h}_model"] == pytest.approx(car / e["ar0_model"])
    assert not e["truncated"]


def test_persistent_vs_reverting_pop_classified():
    df = _event_frame(seed=4, pops={"KEEP": (300, 0.4, 1.0), "FADE": (300, 0.4, 0.0)})
    ev = pd.DataFrame({"event_id": ["k", "f"], "symbol": ["KEEP", "FADE"],
                       "event_date": [df.index[300]] * 2})
    res = lb.deal_persistence(df, ev, controls=["C1", "C2"], n_boot=199)
    e = res.events.set_index("event_id")
    assert e.loc["k", "verdict20"] == "persists" and e.loc["f", "verdict20"] == "reverts"
    assert e.loc["k", "kept20_model"] > 0.7 and abs(e.loc["f", "kept20_model"]) < 0.3


def test_horizon_past_data_is_truncated_not_filled():
    df = _event_frame(pops={"AAA": (560, 0.2, 1.0)})
    ev = pd.DataFrame({"event_id": ["late"], "symbol": ["AAA"], "event_date": [df.index[560]]})
    res = lb.deal_persistence(df, ev, n_boot=199)
    e = res.events.iloc[0]
    assert e["truncated"] and e["h_avail"] == 39
    assert np.isfinite(e["car20_model"]) and np.isnan(e["car60_model"]) and np.isnan(e["bhar120_model"])
    assert any("truncated" in n for n in res.notes)
    pth = res.paths[(res.paths.benchmark == "model") & (res.paths.measure == "CAR")]
    assert pth.loc[pth.tau > 39, "n"].eq(0).all()


def test_lbt_bootstrap_and_cross_section():
    rng = np.random.default_rng(9)
    n_ev = 16
    pops = {f"S{i}": (260 + 10 * i, 0.1 + 0.02 * i, 1.0) for i in range(n_ev)}
    df = _event_frame(seed=9, n=700, pops=pops)
    ev = pd.DataFrame({"event_id": list(pops), "symbol": list(pops),
                       "event_date": [df.index[p[0]] for p in pops.values()],
                       "deal_usd": np.exp(rng.uniform(18, 23, n_ev))})
    res = lb.deal_persistence(df, ev, controls=["C1", "C2"], n_boot=499, seed=3)
    row = res.table[(res.table.benchmark == "model") & (res.table.measure == "BHAR")
                    & (res.table.horizon == 20)].iloc[0]
    x = res.events["bhar20_model"].to_numpy()
    n, sd = len(x), x.std(ddof=1)
    g = ((x - x.mean()) ** 3).sum() / (n * sd ** 3)  # LBT (1999) eq. 5
    S = x.mean() / sd
    assert row["skew_t"] == pytest.approx(np.sqrt(n) * (S + g * S * S / 3 + g / (6 * n)))
    assert 0 < row["boot_p"] < 0.05 and row["mean"] > 0
    xs = res.cross_section.set_index("horizon").loc[20]
    k = res.events["kept20_model"]
    f = sm.OLS(k, sm.add_constant(np.log(res.events["deal_usd"]))).fit(cov_type="HC3")
    assert xs["n"] == n_ev and xs["slope_log_deal"] == pytest.approx(f.params.iloc[1])
    assert xs["se"] == pytest.approx(f.bse.iloc[1])


# --- spillover ------------------------------------------------------------------------------------
def test_spillover_groups_and_matrix():
    rng = np.random.default_rng(2)
    n = 900
    idx = pd.bdate_range("2021-01-04", periods=n)
    spy = 0.01 * rng.standard_normal(n)
    btc = 0.03 * rng.standard_normal(n)
    df = pd.DataFrame({"SPY": spy, "BTC-USD": btc}, index=idx)
    days = np.arange(300, 880, 20)
    for s in ("A1", "A2", "P1", "L1", "L2"):
        df[s] = spy + btc + 0.01 * rng.standard_normal(n)
    ann = np.where(np.arange(len(days)) % 2 == 0, "A1", "A2")
    for d, a in zip(days, ann):
        df.iloc[d, df.columns.get_loc(a)] += 0.2
        df.iloc[d, df.columns.get_loc("P1")] += 0.03   # contagion to the pivoter peer
        for s in ("L1", "L2"):
            df.iloc[d, df.columns.get_loc(s)] -= 0.03  # competition for the loyalists
    ev = pd.DataFrame({"event_id": [f"e{i}" for i in range(len(days))], "symbol": ann,
                       "event_date": idx[days]})
    co = {"A1": "pivoter", "A2": "pivoter", "P1": "pivoter", "L1": "loyalist", "L2": "loyalist",
          "ZZZ": "loyalist"}
    res = lb.peer_spillover(df, ev, co)
    t = res.table.set_index(["announcer_group", "peer_group", "window"])
    assert t.loc[("all", "loyalist", "day 0"), "mean"] == pytest.approx(-0.03, abs=0.005)
    assert t.loc[("all", "loyalist", "day 0"), "sign_p"] < 0.001
    assert t.loc[("all", "pivoter", "day 0"), "p"] < 0.001
    assert res.matrix.loc["A1", "L1"] == pytest.approx(-0.03, abs=0.006)
    assert np.isnan(res.matrix.loc["A1", "A1"]) if "A1" in res.matrix.columns else True
    assert any("ZZZ" in n for n in res.notes)
    # independent check of one pair: OLS on the estimation window
    d0 = days[3]
    est = df.iloc[d0 - 250:d0 - 10]
    f = sm.OLS(est["L1"], sm.add_constant(est[["SPY", "BTC-USD"]])).fit()
    ar = df["L1"].iloc[d0] - f.params.iloc[0] - df[["SPY", "BTC-USD"]].iloc[d0] @ f.params.iloc[1:]
    got = res.pairs[(res.pairs.event_id == "e3") & (res.pairs.peer == "L1")]["ar0"].iloc[0]
    assert got == pytest.approx(ar, rel=1e-9)


# --- whole analysis: demo recovery, degradation, validation ---------------------------------------
@pytest.fixture(scope="module")
def demo():
    from pivotlib.data import load_returns
    from pivotlib.events import load_catalog

    return load_returns(dataset="demo"), load_catalog()


def test_demo_lifeboat_recovered(demo):
    r, cat = demo
    a = lb.run_lifeboat(r, cat, MINERS, n_boot=199)
    act = a.did.table.set_index("estimate").loc["actual"]
    assert act["did"] < 0 and act["perm_p"] < 0.05 and act["high"] < 0
    b = a.betas.table.set_index("symbol")
    assert (b.loc[list(slb.LIFEBOATS), "down_change"] < 0).mean() >= 0.8
    assert isinstance(a.persistence, lb.PersistenceResult) and len(a.capture.table)
    # where the regime switch and the lifeboat share the date, the planted downside change is
    # (b_post - DELTA) - b_pre; the HAC 95% interval should cover it
    from pivotlib.data import synthetic as syn

    cover = []
    for s in ("APLD", "CORZ", "WULF", "CIFR"):
        reg = syn.REGIMES[s]
        planted = reg.b_btc_post - slb.LIFEBOAT_DELTA - reg.b_btc_pre
        cover.append(b.loc[s, "down_low"] <= planted <= b.loc[s, "down_high"])
    assert sum(cover) >= 3, cover


def test_missing_symbols_degrade_with_notes(demo):
    r, cat = demo
    sub = r.drop(columns=["HUT", "CLSK", "IREN"])
    a = lb.run_lifeboat(sub, cat, MINERS, n_boot=99, horizons=(20,))
    b = a.betas.table.set_index("symbol")
    assert b.loc["HUT", "down_change"] != b.loc["HUT", "down_change"]  # NaN
    assert "not in the dataset" in b.loc["HUT", "note"]
    assert any("HUT" in n for n in a.notes) and any("CLSK" in n for n in a.spillover.notes)
    e = a.persistence.events.set_index("event_id")
    assert "not in the dataset" in e.loc["IREN-2025-11-03-microsoft", "note"]
    assert a.capture.table.loc[a.capture.table.symbol == "CLSK", "capture"].isna().all()


def test_roles_validated(demo):
    r, cat = demo
    with pytest.raises(InputError, match="distinct"):
        lb.downside_betas(r, ["APLD"], {"APLD": "2023-05-16"}, market="SPY", btc="SPY")
    with pytest.raises(InputError, match="btc="):
        lb.run_lifeboat(r.drop(columns=["BTC-USD"]), cat, MINERS)
    with pytest.raises(InputError, match="factor columns"):
        lb.downside_betas(r, ["SPY"], {"SPY": "2023-05-16"})


@pytest.mark.realdata
def test_realdata_lifeboat_structure(realdata, tmp_path):
    from pivotlib.data import load_returns
    from pivotlib.events import load_catalog

    folder = tmp_path / "closes"
    folder.mkdir()
    src = realdata / "dsturdy__Factor_Attribution_5_csvs" / "data"
    for f in src.glob("*.csv"):
        if f.name != "BTC.csv":  # BTC.csv there is an ETF, not bitcoin
            (folder / f.name).symlink_to(f)
    (folder / "BTC-USD.csv").symlink_to(realdata / "SAToptunov__2526-dzi-ai-SAToptunov21"
                                        / "data" / "BTC-USD.csv")
    syms = [s for s in MINERS if (folder / f"{s}.csv").exists()]
    r = load_returns(syms + ["SPY", "BTC-USD"], end="2026-02-05", dataset=f"csv:{folder}")
    a = lb.run_lifeboat(r, load_catalog(), MINERS, n_boot=199, as_of="2025-12-31")
    b = a.betas.table
    assert set(b["symbol"]) == set(MINERS)
    ok = b.dropna(subset=["down_change"])
    assert len(ok) >= 8
    assert (ok["down_low"] <= ok["down_change"]).all() and (ok["down_change"] <= ok["down_high"]).all()
    assert ok["down_before"].between(-1, 4).all()
    assert b.loc[b.symbol == "BITF", "note"].str.contains("not in the dataset").all()
    act = a.did.table.iloc[0]
    assert np.isfinite(act["did"]) and 0 < act["perm_p"] <= 1 and act["exact"]
    assert len(a.episodes) >= 3 and (a.episodes["btc_drawdown"] <= -0.2).all()
    assert a.persistence.table["n"].max() >= 10
    assert set(a.spillover.table["peer_group"]) == {"pivoter", "loyalist"}


def test_notebook06_parameters_validated():
    from pivotlib.studies import params

    good = dict(dataset="demo", miners=["apld", "MARA"], market="SPY", btc="BTC-USD",
                down_threshold=0.0, crash_threshold=0.2, horizons=[60, 20], as_of="", end="",
                seed=0, n_boot=999)
    p = params.validate("06-lifeboat", **good)
    assert p.miners == ("APLD", "MARA") and p.horizons == (20, 60) and p.as_of is None
    for bad in ({"crash_threshold": 2}, {"horizons": []}, {"btc": "SPY"}, {"as_of": "2025-13-01"},
                {"n_boot": 10}):
        with pytest.raises(InputError):
            params.validate("06-lifeboat", **(good | bad))
    with pytest.raises(InputError, match="no parameter"):
        params.validate("06-lifeboat", **good, window=3)


def test_study_lifeboat_leaves_out_missing_miners_with_a_note(tmp_path):
    """A dataset without some miners: the study runs, says which were left out and why."""
    from pivotlib.data import load_prices
    from pivotlib.studies.lifeboat import study_lifeboat

    px = load_prices(["APLD", "IREN", "CORZ", "WULF", "MARA", "RIOT", "CLSK", "SPY", "BTC-USD"],
                     dataset="demo")
    for s in px.columns:
        px[s].dropna().rename("Close").rename_axis("Date").to_csv(tmp_path / f"{s}.csv")
    rep = study_lifeboat(dataset=f"csv:{tmp_path}", n_boot=99, horizons=(20,))
    assert "HUT" not in rep.miners and "APLD" in rep.miners
    assert any(n.startswith("HUT left out:") for n in rep.notes)
    rec = rep.record()
    assert "HUT" in rec["missing"] and np.isfinite(rec["did_downside_beta"])


def test_did_leave_one_out_matches_recomputation():
    stocks = {f"P{i}": (1.3, 0.6 - 0.1 * i, 1.3, 500) for i in range(4)}
    stocks |= {f"L{i}": (1.1, 1.1, 1.1, 500) for i in range(4)}
    df = _frame(n=1000, seed=5, stocks=stocks)
    co = pd.DataFrame({"cohort": ["pivoter"] * 4 + ["loyalist"] * 4,
                       "split_date": df.index[500]}, index=list(stocks))
    co.attrs["loyalist_date"] = df.index[500]
    d = lb.downside_did(df, co, placebo_shift=0)
    f = d.firms.set_index("symbol")
    for s in f.index:
        rest = f.drop(index=s)
        want = (rest.loc[rest.cohort == "pivoter", "down_change"].mean()
                - rest.loc[rest.cohort == "loyalist", "down_change"].mean())
        assert f.loc[s, "did_without"] == pytest.approx(want)
    assert d.table.loc[0, "loo_min"] == pytest.approx(f["did_without"].min())


# --- LBT (1999) as the paper computes it; p-value floor of the label permutation ------------------
def test_lbt_skew_t_formulas():
    from pivotlib.analytics.eventstudy.stats import skewness_corrected_t
    from pivotlib.analytics.lifeboat.persistence import lbt_skew_t

    x = np.random.default_rng(4).lognormal(0, 0.8, 30) - 1.2
    n, sd, m = len(x), x.std(ddof=1), x.mean()
    S = m / sd
    for skew, g in (("lbt", ((x - m) ** 3).sum() / (n * sd ** 3)),
                    ("bias_corrected", n / ((n - 1) * (n - 2)) * ((x - m) ** 3).sum() / sd ** 3)):
        want = np.sqrt(n) * (S + g * S * S / 3 + g / (6 * n))
        assert lbt_skew_t(x, skew=skew) == pytest.approx(want, rel=1e-12)
    assert lbt_skew_t(x, skew="bias_corrected") == pytest.approx(skewness_corrected_t(x)[0])
    # the paper's skewness is (n-1)(n-2)/n^2 of the bias-corrected one: a smaller adjustment
    assert abs(lbt_skew_t(x) - np.sqrt(n) * S) < abs(lbt_skew_t(x, skew="bias_corrected")
                                                      - np.sqrt(n) * S)
    with pytest.raises(InputError, match="skew="):
        lbt_skew_t(x, skew="hall")


def test_lbt_bootstrap_draws_n_over_4_recentred():
    from pivotlib.analytics.lifeboat.persistence import lbt_bootstrap, lbt_skew_t

    x = np.random.default_rng(8).standard_t(3, 41) * 0.1 + 0.03
    t0, p = lbt_bootstrap(x, 499, np.random.default_rng(12))
    rng = np.random.default_rng(12)
    d = x[rng.integers(0, 41, size=(499, 10))]  # n_b = floor(41 / 4) = 10
    tb = []
    for row in d:
        sd = row.std(ddof=1)
        S = (row.mean() - x.mean()) / sd
        g = ((row - row.mean()) ** 3).sum() / (10 * sd ** 3)
        tb.append(np.sqrt(10) * (S + g * S * S / 3 + g / 60))
    tb = np.array(tb)
    want = min(1.0, 2 * min((1 + (tb <= t0).sum()) / 500, (1 + (tb >= t0).sum()) / 500))
    assert t0 == pytest.approx(lbt_skew_t(x)) and p == pytest.approx(want)
    _, p_n = lbt_bootstrap(x, 499, np.random.default_rng(12), skew="bias_corrected")
    assert p_n != p  # resamples of n, another skewness: another number


def test_persistence_p_does_not_depend_on_the_horizons_requested():
    pops = {f"S{i}": (260 + 10 * i, 0.1 + 0.02 * i, 1.0) for i in range(12)}
    df = _event_frame(seed=9, n=700, pops=pops)
    ev = pd.DataFrame({"event_id": list(pops), "symbol": list(pops),
                       "event_date": [df.index[p[0]] for p in pops.values()]})
    one = lb.deal_persistence(df, ev, controls=["C1", "C2"], horizons=(20,), n_boot=199, seed=3)
    three = lb.deal_persistence(df, ev, controls=["C1", "C2"], horizons=(20, 60, 120),
                                n_boot=199, seed=3)
    key = ["benchmark", "measure", "horizon"]
    a = one.table[one.table.measure == "BHAR"].set_index(key)["boot_p"]
    b = three.table[three.table.measure == "BHAR"].set_index(key)["boot_p"]
    assert a.notna().all() and (a == b.loc[a.index]).all()
    assert "n/4" in three.method


def test_permutation_p_floor_with_equal_cohorts():
    assert lb.permutation_p_floor(6, 3) == pytest.approx(2 / 20)
    assert lb.permutation_p_floor(7, 3) == pytest.approx(1 / 35)
    assert lb.permutation_p_floor(12, 6) == pytest.approx(2 / 924)
    stocks = {f"P{i}": (1.3, 0.2, 1.3, 500) for i in range(3)}
    stocks |= {f"L{i}": (1.1, 1.1, 1.1, 500) for i in range(3)}
    df = _frame(n=1000, seed=3, stocks=stocks)
    co = pd.DataFrame({"cohort": ["pivoter"] * 3 + ["loyalist"] * 3,
                       "split_date": df.index[500]}, index=list(stocks))
    co.attrs["loyalist_date"] = df.index[500]
    d = lb.downside_did(df, co, placebo_shift=0)
    act = d.table.iloc[0]
    # a huge effect, yet 3 vs 3 cannot go below 0.10: said beside the p
    assert act["did"] < -0.5 and act["perm_p"] == pytest.approx(0.1) and act["p_floor"] == 0.1
    assert "mirror image" in act["p_note"] and any("2/C(6,3)" in n for n in d.notes)
    # the same test with an observed labelling (brute force) confirms the floor binds
    v = d.firms.set_index("symbol")["down_change"].to_numpy()
    t = np.array([True] * 3 + [False] * 3)
    assert lb.label_permutation_p(v, t)[0] == pytest.approx(0.1)
