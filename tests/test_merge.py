"""pivotlib.analytics.merge / studies.merge / notebook 07: statistics vs statsmodels, planted
effects recovered, a no-effect variant not significant, degradation without ether, real closes."""

from __future__ import annotations

import json
import math
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import pivotlib.analytics.merge as mg
from pivotlib.analytics.lifeboat import hac_lags
from pivotlib.data import calendar as cal
from pivotlib.data import synthetic as syn
from pivotlib.data import synthetic_merge as smg
from pivotlib.errors import DataError, InputError

MERGE = pd.Timestamp("2022-09-15")
CHATGPT = pd.Timestamp("2022-11-30")


def _frame(n: int = 900, seed: int = 0, stocks: dict | None = None) -> pd.DataFrame:
    """SPY, BTC, ETH (1.1 BTC + own), SMH and stocks loading on ETH's own move before row
    ``k_eth`` and on SMH's AI part from row ``k_ai``: name -> (b_eth_pre, k_eth, b_ai_post, k_ai)."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2021-06-01", periods=n)
    spy = 0.01 * rng.standard_normal(n)
    btc = 0.5 * spy + 0.03 * rng.standard_normal(n)
    e_own = 0.02 * rng.standard_normal(n)
    eth = 1.1 * btc + e_own
    ai = 0.012 * rng.standard_normal(n)
    smh = 1.7 * spy + ai
    out = {"SPY": spy, "BTC-USD": btc, "ETH-USD": eth, "SMH": smh}
    for name, (be, ke, ba, ka) in (stocks or {}).items():
        t = np.arange(n)
        out[name] = (1.6 * spy + 1.0 * btc + np.where(t < ke, be, 0.0) * e_own
                     + np.where(t >= ka, ba, 0.0) * ai
                     + 0.04 * rng.standard_t(6, n) / math.sqrt(1.5))
    return pd.DataFrame(out, index=idx)


# --- regressions against statsmodels -----------------------------------------------------------
def test_orthogonalize_residual_is_orthogonal():
    df = _frame(seed=1)
    e = mg.orthogonalize(df, "ETH-USD", ["BTC-USD"])
    assert abs(e.mean()) < 1e-12 and abs(np.corrcoef(e, df["BTC-USD"])[0, 1]) < 1e-10
    df.iloc[5, df.columns.get_loc("ETH-USD")] = np.nan
    assert np.isnan(mg.orthogonalize(df, "ETH-USD", ["BTC-USD"]).iloc[5])


def test_ether_betas_match_statsmodels_hac():
    df = _frame(seed=2, stocks={"GPU": (0.6, 450, 0.0, 10**6)})
    day = df.index[450]
    res = mg.ether_betas(df, ["GPU"], day, before=300, after=300)
    row = res.table.iloc[0]
    e = mg.orthogonalize(df, "ETH-USD", ["BTC-USD"])
    d = pd.DataFrame({"y": df["GPU"], "m": df["SPY"], "b": df["BTC-USD"], "e": e}).dropna()
    pre = d[d.index < day].iloc[-300:]
    post = d[d.index >= day].iloc[:300]
    w = pd.concat([pre, post])
    D = (w.index >= day).astype(float)
    X = np.column_stack([np.ones(len(w)), w["m"], w["b"], w["e"], D, D * w["m"], D * w["b"],
                         D * w["e"]])
    f = sm.OLS(w["y"].to_numpy(), X).fit(cov_type="HAC", cov_kwds={
        "maxlags": hac_lags(len(w)), "use_correction": True})
    V = f.cov_params()
    np.testing.assert_allclose(row["eth_before"], f.params[3], rtol=1e-8)
    np.testing.assert_allclose(row["eth_change"], f.params[7], rtol=1e-8)
    np.testing.assert_allclose(row["eth_se"], math.sqrt(V[7, 7]), rtol=1e-8)
    se_after = math.sqrt(V[3, 3] + V[7, 7] + 2 * V[3, 7])
    z = 1.959963984540054
    np.testing.assert_allclose(row["eth_after_high"] - row["eth_after"], z * se_after, rtol=1e-8)
    np.testing.assert_allclose(row["btc_change"], f.params[6], rtol=1e-8)
    assert row["n_before"] == 300 and row["n_after"] == 300 and row["hac_lags"] == hac_lags(600)
    # by Frisch-Waugh-Lovell the ETH beta is the same with raw ETH (BTC is a regressor)
    Xr = X.copy()
    Xr[:, 3] = df.loc[w.index, "ETH-USD"]
    Xr[:, 7] = D * Xr[:, 3]
    fr = sm.OLS(w["y"].to_numpy(), Xr).fit()
    np.testing.assert_allclose(fr.params[[3, 7]], f.params[[3, 7]], rtol=1e-8)


def test_ai_handover_matches_statsmodels_hac():
    df = _frame(seed=10, stocks={"GPU": (0.5, 300, 1.0, 400)})
    m_day, c_day = df.index[300], df.index[400]
    res = mg.ai_handover(df, ["GPU"], m_day, c_day, before=250, after=250)
    row = res.table.iloc[0]
    e = mg.orthogonalize(df, "ETH-USD", ["BTC-USD"])
    a = mg.orthogonalize(df, "SMH", ["SPY"])
    d = pd.DataFrame({"y": df["GPU"], "m": df["SPY"], "b": df["BTC-USD"], "e": e, "a": a})
    Z = lambda w: np.column_stack([np.ones(len(w)), w["m"], w["b"], w["e"], w["a"]])  # noqa: E731
    windows = {"pre_merge": d[d.index < m_day].iloc[-250:],
               "merge_to_chatgpt": d[(d.index >= m_day) & (d.index < c_day)],
               "post_chatgpt": d[d.index >= c_day].iloc[:250]}
    for name, w in windows.items():
        f = sm.OLS(w["y"].to_numpy(), Z(w)).fit(cov_type="HAC", cov_kwds={
            "maxlags": hac_lags(len(w)), "use_correction": True})
        np.testing.assert_allclose(row[f"ai_{name}"], f.params[4], rtol=1e-8)
        np.testing.assert_allclose(row[f"ai_{name}_high"] - row[f"ai_{name}"],
                                   1.959963984540054 * f.bse[4], rtol=1e-8)
        assert row[f"n_{name}"] == len(w)
    w = pd.concat([windows["pre_merge"], windows["post_chatgpt"]])
    D = (w.index >= c_day).astype(float)[:, None]
    f = sm.OLS(w["y"].to_numpy(), np.hstack([Z(w), D * Z(w)])).fit(
        cov_type="HAC", cov_kwds={"maxlags": hac_lags(len(w)), "use_correction": True})
    np.testing.assert_allclose(row["ai_change"], f.params[9], rtol=1e-8)
    np.testing.assert_allclose(row["ai_change_se"], f.bse[9], rtol=1e-8)
    assert row["ai_change_low"] <= 1.0 <= row["ai_change_high"]  # planted +1.0 on the AI part


# --- permutation p and its floor ---------------------------------------------------------------
@pytest.mark.parametrize("n_gpu,n_btc", [(2, 7), (3, 3), (2, 2)])
def test_cohort_contrast_exact_p_and_floor(n_gpu, n_btc):
    rng = np.random.default_rng(n_gpu * 10 + n_btc)
    syms = [f"G{i}" for i in range(n_gpu)] + [f"B{i}" for i in range(n_btc)]
    vals = pd.Series(rng.standard_normal(len(syms)), index=syms)
    vals.iloc[:n_gpu] -= 1.0
    cohorts = {s: "gpu" if s.startswith("G") else "bitcoin_only" for s in syms}
    res = mg.cohort_contrast(vals, cohorts, measure="x")
    row = res.row
    v = vals.to_numpy()
    obs = v[:n_gpu].mean() - v[n_gpu:].mean()
    stats_ = [v[list(c)].mean() - np.delete(v, list(c)).mean()
              for c in combinations(range(len(v)), n_gpu)]
    n_lab = math.comb(len(v), n_gpu)
    assert row["n_labelings"] == n_lab == len(stats_) and row["exact"]
    assert row["perm_p"] == pytest.approx(np.mean(np.abs(stats_) >= abs(obs) - 1e-12))
    assert row["did"] == pytest.approx(obs)
    floor = (2 if n_gpu == n_btc else 1) / n_lab  # mirror images with equal cohorts
    assert row["p_floor"] == pytest.approx(floor)
    assert row["perm_p"] >= row["p_floor"]
    assert (floor >= 0.05) == any("cannot reach 5 %" in n for n in res.notes)


def test_cohort_contrast_validates_labels():
    with pytest.raises(InputError, match="cohort"):
        mg.cohort_contrast({"A": 1.0, "B": 2.0}, {"A": "gpu", "B": "loyalist"})
    with pytest.raises(InputError, match="twice"):
        mg.check_cohorts(pd.DataFrame({"symbol": ["HIVE", "hive"], "cohort": ["gpu", "gpu"]}))
    with pytest.raises(InputError, match="merge_fixed <= merge < chatgpt"):
        mg.check_dates({"merge": "2022-09-15", "merge_fixed": "2022-10-01",
                        "chatgpt": "2022-11-30"})


# --- the demo: planted Merge recovered; a no-effect variant is not significant -----------------
def test_synthetic_plant_matches_the_data_tables():
    from pivotlib.studies.merge import load_merge_tables

    co, dates = load_merge_tables()
    assert dates["merge"] == smg.MERGE_DATE and dates["chatgpt"] == smg.CHATGPT_DATE
    gpu = set(co.loc[co["cohort"] == "gpu", "symbol"])
    assert set(smg.MERGE_PLANTED) <= gpu and "HUT" in gpu - set(smg.MERGE_PLANTED)


@pytest.fixture(scope="module")
def demo_study():
    from pivotlib.studies.merge import study_merge

    return study_merge(dataset="demo")


def test_demo_planted_merge_recovered(demo_study):
    a = demo_study.analysis
    t = a.ether.table.set_index("symbol")
    for s in smg.MERGE_PLANTED:
        r = t.loc[s]
        assert r["eth_before_low"] <= smg.MERGE_ETH_BETA <= r["eth_before_high"], s
        assert r["eth_after_low"] <= 0.0 <= r["eth_after_high"], s
        assert r["eth_high"] < 0, s
    e = a.ether_did.row
    assert e["did"] < 0 and e["high"] < 0 and e["perm_p"] <= 0.05
    assert e["perm_p"] == pytest.approx(e["p_floor"])  # the most extreme of 36 labelings
    h = a.ai_did.row
    assert h["did"] > 0 and h["perm_p"] <= 0.05
    ht = a.handover.table.set_index("symbol")
    assert (ht.loc[list(smg.MERGE_PLANTED), "ai_change"] > 0.4).all()
    # HUT: no pre-Merge history in the demo (Hut 8 Corp from 2023-11-30): noted, not invented
    assert np.isnan(t.loc["HUT", "eth_change"]) and "too few sessions" in t.loc["HUT", "note"]
    rec = demo_study.record()
    assert rec["significant"] and rec["synthetic"] and rec["merge_eth_did"] < 0
    assert demo_study.synthetic


def _session_returns(res: syn.SyntheticResult) -> pd.DataFrame:
    closes = pd.DataFrame({s: f["close"] for s, f in res.frames.items()
                           if s not in ("BTC-USD", "ETH-USD")})
    out = closes.pct_change(fill_method=None)
    for c in ("BTC-USD", "ETH-USD"):
        out[c] = cal.align_to_sessions(res.frames[c]["close"],
                                       closes.index).pct_change(fill_method=None)
    return out


def test_no_effect_variant_is_not_significant(monkeypatch):
    from pivotlib.studies.merge import load_merge_tables

    monkeypatch.setattr(smg, "MERGE_PLANTED", ())
    r = _session_returns(syn.simulate(end="2024-06-28"))
    co, dates = load_merge_tables()
    a = mg.run_merge(r, co, dates)
    assert a.ether_did.row["perm_p"] > 0.1 and a.ai_did.row["perm_p"] > 0.1
    gpu = a.ether.table.set_index("symbol").loc[["HIVE", "BTBT"]]
    assert (gpu["eth_before"].abs() < 0.3).all()


def test_car_table_is_the_engine_result(demo_study):
    a = demo_study.analysis
    for (ev, co), res in a.cars.results.items():
        row = a.cars.table[(a.cars.table.event == ev) & (a.cars.table.cohort == co)].iloc[0]
        assert row["caar"] == pytest.approx(res.caar) and row["n"] == res.n_ok
        ok = res.events[res.events.status == "ok"]
        assert res.caar == pytest.approx(ok["car"].mean())
    assert set(a.cars.table["event"]) == {"merge", "merge_fixed"}


# --- degradation and parameters ----------------------------------------------------------------
@pytest.fixture(scope="module")
def no_eth_folder(tmp_path_factory):
    from pivotlib.data import load_prices

    d = tmp_path_factory.mktemp("noeth")
    syms = ["HIVE", "BTBT", "MARA", "RIOT", "CLSK", "CIFR", "SPY", "BTC-USD", "SMH"]
    px = load_prices(syms, dataset="demo")
    for s in px.columns:
        px[s].dropna().rename("Close").rename_axis("Date").to_csv(d / f"{s}.csv")
    return d


def test_without_ether_the_study_runs_with_a_note(no_eth_folder):
    from pivotlib.presentation import merge_charts
    from pivotlib.presentation.narrative import Prose
    from pivotlib.studies.merge import study_merge

    rep = study_merge(dataset=f"csv:{no_eth_folder}")
    assert rep.analysis.ether is None and rep.analysis.ether_did is None
    assert any("No ETH-USD" in n for n in rep.notes)
    assert len(rep.analysis.cars.table) and np.isfinite(rep.analysis.ai_did.row["did"])
    assert isinstance(merge_charts.ether_arrows(rep), Prose)
    assert "note" in rep.tables()["ether"].columns
    assert "merge_eth_did" not in rep.record()


def test_missing_market_or_ai_is_a_clear_error(tmp_path):
    from pivotlib.data import load_prices
    from pivotlib.studies.merge import study_merge

    px = load_prices(["HIVE", "MARA", "SPY", "BTC-USD"], dataset="demo")
    for s in px.columns:
        px[s].dropna().rename("Close").rename_axis("Date").to_csv(tmp_path / f"{s}.csv")
    with pytest.raises(DataError, match="needs SMH"):
        study_merge(dataset=f"csv:{tmp_path}")


def test_notebook07_parameters_validated():
    from pivotlib.studies import params

    good = dict(dataset="demo", cohorts_file="", dates_file="", market="SPY", btc="BTC-USD",
                eth="eth-usd", ai="nvda", before=250, after=250, rolling_window=120,
                estimation=[-250, -11], window=[-1, 1], end="", seed=0)
    p = params.validate("07-merge", **good)
    assert p.ai == "NVDA" and p.eth == "ETH-USD"
    for bad in ({"ai": "SPY"}, {"before": 5}, {"window": [-1, 1, 2]}, {"cohorts_file": 3},
                {"end": "2025-13-01"}):
        with pytest.raises(InputError):
            params.validate("07-merge", **(good | bad))


# --- notebook 07 end to end --------------------------------------------------------------------
def _sidecar(res) -> dict:
    return json.loads(Path(res.sidecar).read_text(encoding="utf-8"))


@pytest.mark.slow
def test_notebook07_on_demo_finds_the_planted_merge(tmp_reports_dir):
    from pivotlib.runner import execute

    res = execute.run_report("07-merge", {}, date="2030-01-02")
    assert res.status == "ok", res.error
    rec = _sidecar(res)["records"]
    assert rec["synthetic"] and rec["merge_eth_did"] < 0 and rec["p_value"] <= 0.05
    assert rec["merge_ai_did"] > 0
    html = Path(res.html).read_text(encoding="utf-8")
    assert "SYNTHETIC" in html and "Randomisation distribution" in html


@pytest.mark.slow
def test_notebook07_without_ether_runs_with_a_note(tmp_reports_dir, no_eth_folder):
    from pivotlib.runner import execute

    res = execute.run_report("07-merge", {"dataset": f"csv:{no_eth_folder}"}, date="2030-01-02")
    assert res.status == "ok", res.error
    assert "No ETH-USD in this dataset" in Path(res.html).read_text(encoding="utf-8")


# --- real closes ---------------------------------------------------------------------------------
@pytest.fixture
def real_folder(realdata, tmp_path):
    folder = tmp_path / "closes"
    folder.mkdir()
    for f in (realdata / "dsturdy__Factor_Attribution_5_csvs" / "data").glob("*.csv"):
        if f.name != "BTC.csv":  # an ETF there, not bitcoin
            (folder / f.name).symlink_to(f)
    for s in ("ETH-USD", "BTC-USD", "NVDA"):
        (folder / f"{s}.csv").symlink_to(realdata / "MarcinJarema__bitcoin-halving-market-impact"
                                         / "data" / f"{s}.csv")
    return folder


REAL_END = "2026-03-26"  # the 2026-03-27 crypto rows and dsturdy's 2026-07-14 row are partial


@pytest.mark.realdata
def test_realdata_merge_structure(real_folder):
    from pivotlib.studies.merge import study_merge

    rep = study_merge(dataset=f"csv:{real_folder}", ai="NVDA", end=REAL_END)
    a = rep.analysis
    t = a.ether.table.set_index("symbol")
    ok = t.dropna(subset=["eth_change"])
    assert {"HIVE", "BTBT", "MARA", "RIOT", "CLSK"} <= set(ok.index)
    assert (ok["n_before"] >= 150).all() and (ok["n_after"] == 250).all()
    assert ((ok["eth_low"] <= ok["eth_change"]) & (ok["eth_change"] <= ok["eth_high"])).all()
    assert ok["eth_before"].between(-1.5, 2.5).all()
    e = a.ether_did.row
    assert e["exact"] and 0 < e["p_floor"] <= e["perm_p"] <= 1
    assert np.isnan(t.loc["HUT", "eth_change"])  # Hut 8 Corp from 2023-11-30: noted
    assert any("BITF left out" in n for n in rep.notes)
    cars = a.cars.firms
    assert (cars.loc[cars.symbol.isin(["HIVE", "BTBT"]), "status"] == "ok").all()
    assert np.isfinite(a.ai_did.row["did"])
    assert rep.record()["synthetic"] is False


@pytest.mark.realdata
@pytest.mark.slow
def test_realdata_notebook07_runs(real_folder, tmp_reports_dir):
    from pivotlib.runner import execute

    res = execute.run_report("07-merge", {"dataset": f"csv:{real_folder}", "ai": "NVDA",
                                          "end": REAL_END}, date="2030-01-02")
    assert res.status == "ok", res.error
    assert "SYNTHETIC" not in _sidecar(res)["records"].get("merge_line", "")


# --- briefing line and index -------------------------------------------------------------------
def test_briefing_without_ether_drops_only_its_merge_line(tmp_path):
    from pivotlib.data import load_prices
    from pivotlib.presentation import merge_charts
    from pivotlib.studies.briefing import study_briefing

    px = load_prices(dataset="demo")
    for s in px.columns:
        if s != "ETH-USD":
            px[s].dropna().rename("Close").rename_axis("Date").to_csv(tmp_path / f"{s}.csv")
    brief = study_briefing(dataset=f"csv:{tmp_path}")
    assert brief.merge is None and merge_charts.briefing_line(brief.merge) is None
    assert any(n.startswith("No Merge line") for n in brief.notes)
    assert brief.lifeboat is not None and len(brief.regimes.top)
    rec = brief.record()
    assert "merge_line" not in rec and np.isfinite(rec["car"])


def test_briefing_and_index_carry_the_merge_line(demo_study, tmp_path):
    from pivotlib.presentation import merge_charts
    from pivotlib.runner.index import build_index

    line = merge_charts.briefing_line(demo_study)
    assert "ether beta" in line.paragraphs[0] and "SYNTHETIC" in line.paragraphs[0]
    day = tmp_path / "2030-01-02"
    day.mkdir()
    (day / "07-merge-default.json").write_text(json.dumps(
        {"notebook": "07-merge", "name": "07-merge-default", "status": "ok",
         "records": demo_study.record()}), encoding="utf-8")
    html = build_index(tmp_path).read_text(encoding="utf-8")
    did = demo_study.record()["merge_eth_did"]
    assert f"Merge ETH-beta DiD {did:+.2f}" in html


def test_ether_is_a_realistic_session_aligned_series():
    """ETH-USD in the demo: 7 days a week, aligned to sessions like BTC, correlation with BTC
    near the real 2021-26 figure (about 0.77 on sessions)."""
    from pivotlib.data import load_prices, load_returns
    from pivotlib.presentation import merge_charts

    raw = syn.simulate(end="2022-03-31").frames["ETH-USD"]
    assert (raw.index.day_of_week >= 5).any()  # weekends present in the 24/7 file
    r = load_returns(["ETH-USD", "BTC-USD", "SPY"], dataset="demo")
    assert r.index.day_of_week.max() < 5 and r["ETH-USD"].notna().mean() > 0.99  # sessions
    c = r[["ETH-USD", "BTC-USD"]].dropna().corr().iloc[0, 1]
    assert 0.7 < c < 0.9
    assert mg.rolling_correlation(r, window=60).between(-1, 1).all()
    px = load_prices(["SPY", "BTC-USD"], dataset="demo")
    assert merge_charts.ether_panel(px).kind == "note"  # no ether: a note, not a crash
