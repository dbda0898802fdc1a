"""Tests of the SYNTHETIC default dataset (pivotlib.data.synthetic): labels, stats, planted effects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kurtosis

from pivotlib.data import calendar as cal
from pivotlib.data import synthetic as syn
from pivotlib.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "synthetic"
CATALOG = ROOT / "data" / "events" / "ai_pivot_events.csv"
REGEN = "regenerate with `python -m pivotlib.data.synthetic` and commit data/synthetic/"

_EVENT_SYMBOLS = ["MARA", "RIOT", "CLSK", "HIVE", "BTBT", "BITF", "IREN", "WULF", "CIFR", "APLD"]


def _test_events() -> pd.DataFrame:
    """About forty made-up events (independent of the catalog) with known planted values."""
    rng = np.random.default_rng(7)
    sess = cal.sessions("2023-03-01", "2026-05-29")
    rows = []
    for i in range(40):
        sym = _EVENT_SYMBOLS[i % len(_EVENT_SYMBOLS)]
        d = sess[int(rng.integers(0, len(sess)))]
        move = float(np.round(rng.choice([-1, 1, 1, 1]) * rng.uniform(5, 45), 1))
        rows.append({"event_id": f"T{i:02d}", "symbol": sym, "event_date": d.date().isoformat(),
                     "reported_move": f"{move:+.1f}% close"})
    rows += [
        {"event_id": "CTX", "symbol": "SECTOR", "event_date": "2022-09-15",
         "reported_move": "-10% close"},
        {"event_id": "EARLY", "symbol": "CORZ", "event_date": "2023-06-01",
         "reported_move": "+30% close"},
        {"event_id": "NOTE", "symbol": "GLXY", "event_date": "2025-09-02", "reported_move": ""},
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def res() -> syn.SyntheticResult:
    return syn.simulate(events=_test_events())


def _session_returns(res: syn.SyntheticResult) -> pd.DataFrame:
    closes = pd.DataFrame({s: f["close"] for s, f in res.frames.items()
                           if s not in ("BTC-USD", "ETH-USD")})
    rets = closes.pct_change(fill_method=None)
    rets["BTC-USD"] = cal.align_to_sessions(res.frames["BTC-USD"]["close"],
                                            closes.index).pct_change(fill_method=None)
    return rets


def _ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Coefficients (with intercept first), their classical standard errors, residual sd."""
    X = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    s2 = resid @ resid / (len(y) - X.shape[1])
    se = np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))
    return coef, se, float(np.sqrt(s2))


# --- planted-move rule --------------------------------------------------------------------------
@pytest.mark.parametrize("text, value, how", [
    ("+48.5% close ($10.14); +54 intraday high", 0.485, "close"),
    ("+30 premarket (TipRanks); ~+28 day", 0.28, "close"),
    ("-23.3 close ($7.12)", -0.233, "close"),
    ("+14.6% intraday (noon)", 0.146, "leading"),
    ("-5 (Cointelegraph) vs +5 to +6", -0.05, "leading"),
    ("+65% intraday", 0.60, "leading+clipped"),
    ("\u221270% close", -0.60, "close+clipped"),
    ("higher (no % stated)", 0.10, "default"),
    ("", 0.10, "default"),
    (None, 0.10, "default"),
    (float("nan"), 0.10, "default"),
])
def test_planted_rule(text, value, how):
    v, h = syn.planted_abnormal_return(text)
    assert v == pytest.approx(value)
    assert h == how


def test_tail_df():
    assert syn.tail_df(18.75) == 4.5
    assert syn.tail_df(0.5) == 10.0
    assert syn.tail_df(3.0) == pytest.approx(6.0)


# --- structure, labels, determinism --------------------------------------------------------------
def test_deterministic_and_seed_sensitive(res):
    again = syn.simulate(events=_test_events())
    assert list(again.frames) == list(res.frames)
    for s, f in res.frames.items():
        pd.testing.assert_frame_equal(f, again.frames[s], check_exact=True)
    pd.testing.assert_frame_equal(res.planted, again.planted)
    other = syn.generate_dataset(seed=syn.DEFAULT_SEED + 1, events=_test_events())
    assert not np.allclose(other["SPY"]["close"], res.frames["SPY"]["close"])


def test_symbol_streams_independent_of_universe():
    from pivotlib.data.universe import load_universe

    uni = load_universe()
    small = uni[uni["symbol"].isin(["SPY", "BTC-USD", "RIOT"])]
    a = syn.generate_dataset(events=_test_events(), universe=small)
    b = syn.generate_dataset(events=_test_events())
    assert set(a) == {"SPY", "BTC-USD", "RIOT"}
    for s in a:
        pd.testing.assert_frame_equal(a[s], b[s])


def test_frames_layout_calendar_and_listing(res):
    from pivotlib.data.universe import load_universe

    uni = load_universe().set_index("symbol")
    assert set(res.frames) == set(uni.index)
    full = cal.sessions(syn.DEFAULT_START, syn.DEFAULT_END)
    for s, f in res.frames.items():
        assert list(f.columns) == ["open", "high", "low", "close", "volume"]
        assert f.index.name == "date"
        assert (f.dtypes == "float64").all()
        assert not f.isna().any().any(), s
        assert f.attrs["synthetic"] is True and f.attrs["dataset"] == "demo"
        assert f.attrs["sources"] == {s: "synthetic"}
        assert f.index[-1] <= pd.Timestamp(syn.DEFAULT_END)
        if uni.loc[s, "role"] == "crypto":
            assert f.index.equals(pd.date_range(syn.DEFAULT_START, syn.DEFAULT_END, name="date"))
            continue
        lf = uni.loc[s, "listed_from"]
        first = full[0] if pd.isna(lf) else full[full.searchsorted(lf)]
        assert f.index[0] == first, s
        assert f.index.equals(full[full >= first]), s


def test_ohlc_consistent_and_volumes(res):
    for s, f in res.frames.items():
        assert (f["low"] <= f[["open", "close"]].min(axis=1)).all(), s
        assert (f["high"] >= f[["open", "close"]].max(axis=1)).all(), s
        assert (f["low"] > 0).all(), s
        assert (f["volume"] > 0).all() and (f["volume"] == f["volume"].round()).all(), s
    # Volume spikes on planted event days.
    ratios = []
    for row in res.planted.itertuples():
        v = res.frames[row.symbol]["volume"]
        ratios.append(v.loc[pd.Timestamp(row.event_date)] / v.median())
    assert np.median(ratios) > 2.5


def test_crypto_open_is_previous_close(res):
    f = res.frames["BTC-USD"]
    assert np.allclose(f["open"].iloc[1:].to_numpy(), f["close"].iloc[:-1].to_numpy())


def test_events_bookkeeping(res):
    planted = res.planted.set_index("event_id")
    skipped = res.skipped.set_index("event_id")
    assert "CTX" in skipped.index and "CTX" not in planted.index          # sector context
    assert "EARLY" in skipped.index                                        # before CORZ listed
    assert planted.loc["NOTE", "planted_ar"] == pytest.approx(syn.PLANT_DEFAULT)
    assert len(planted) + len(skipped) == len(_test_events())


def test_missing_catalog_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="events="):
        syn.simulate(events=tmp_path / "nope.csv")


# --- realistic statistics ------------------------------------------------------------------------
def test_btc_and_spy_stats(res):
    btc = res.frames["BTC-USD"]["close"].pct_change().dropna()
    assert 0.021 < btc.std() < 0.028
    assert 1.0 < kurtosis(btc) < 12.0
    spy = res.frames["SPY"]["close"].pct_change().dropna()
    assert 0.008 < spy.std() < 0.012
    assert kurtosis(spy) > 0.5
    # volatility clustering: |r| is autocorrelated
    a = np.abs(btc.to_numpy() - btc.mean())
    assert np.corrcoef(a[1:], a[:-1])[0, 1] > 0.01
    eth = res.frames["ETH-USD"]["close"].pct_change().dropna()
    b = np.polyfit(btc, eth, 1)[0]
    assert 0.95 < b < 1.25


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_btc_vol_other_seeds(seed):
    f = syn.generate_dataset(seed=seed, events=_test_events())["BTC-USD"]
    r = f["close"].pct_change().dropna()
    assert 0.021 < r.std() < 0.028
    assert 1.0 < kurtosis(r) < 12.0


def test_betas_recovered(res):
    rets = _session_returns(res)
    rows = []
    for s, p in syn.EQUITY_PARAMS.items():
        if s in syn.REGIMES:
            continue
        d = rets[[s, "SPY", "BTC-USD"]].dropna()
        coef, se, _ = _ols(d[s].to_numpy(), d[["SPY", "BTC-USD"]].to_numpy())
        assert abs(coef[1] - p.b_spy) < 3.5 * se[1], (s, coef, se)
        assert abs(coef[2] - p.b_btc) < 3.5 * se[2], (s, coef, se)
        rows.append((coef[1] - p.b_spy, coef[2] - p.b_btc))
    err = np.array(rows)
    # errors share SPY, BTC and the sector factor, so their mean is not much tighter
    assert abs(err[:, 0].mean()) < 0.3 and abs(err[:, 1].mean()) < 0.1
    for s in ("SMH", "QQQ"):
        d = rets[[s, "SPY", "BTC-USD"]].dropna()
        coef, se, _ = _ols(d[s].to_numpy(), d[["SPY", "BTC-USD"]].to_numpy())
        assert abs(coef[1] - syn.BENCHMARK_PARAMS[s].b_spy) < 3.5 * se[1]
        assert abs(coef[2]) < 3.5 * se[2]
    # The AI factor shows in SMH beyond the market: residual sd well above its own noise.
    d = rets[["SMH", "SPY"]].dropna()
    _, _, sd = _ols(d["SMH"].to_numpy(), d[["SPY"]].to_numpy())
    assert sd > 2.5 * syn.BENCHMARK_PARAMS["SMH"].idio
    # WGMI is a miner basket.
    d = rets[["WGMI", "SPY", "BTC-USD"]].dropna()
    coef, _, _ = _ols(d["WGMI"].to_numpy(), d[["SPY", "BTC-USD"]].to_numpy())
    assert 1.3 < coef[1] < 2.2 and 0.8 < coef[2] < 1.3


# --- planted effects recovered -------------------------------------------------------------------
def _day0_ar(rets: pd.DataFrame, sym: str, day: pd.Timestamp) -> tuple[float, float] | None:
    """Day-0 abnormal return vs OLS on SPY + BTC over sessions [-260, -11], and residual sd."""
    pos = rets.index.get_loc(day)
    est = rets.iloc[max(0, pos - 260):pos - 10][[sym, "SPY", "BTC-USD"]].dropna()
    if len(est) < 120:
        return None
    coef, _, sd = _ols(est[sym].to_numpy(), est[["SPY", "BTC-USD"]].to_numpy())
    x = rets.loc[day, ["SPY", "BTC-USD"]].to_numpy(dtype=float)
    return float(rets.loc[day, sym] - coef[0] - coef[1:] @ x), sd


def _check_recovery(res: syn.SyntheticResult) -> None:
    rets = _session_returns(res)
    got = []
    for row in res.planted.drop_duplicates(["symbol", "event_date"]).itertuples():
        out = _day0_ar(rets, row.symbol, pd.Timestamp(row.event_date))
        if out is not None:
            got.append((row.planted_ar, out[0], out[1]))
    g = np.array(got)
    assert len(g) >= 20, len(g)
    err = g[:, 1] - g[:, 0]
    within = np.abs(err) <= 2.5 * g[:, 2]
    assert within.mean() >= 0.85, (within.mean(), g)
    se_mean = np.sqrt(np.mean(g[:, 2] ** 2) / len(g))
    assert abs(err.mean()) < 3 * se_mean, (err.mean(), se_mean)
    assert np.corrcoef(g[:, 0], g[:, 1])[0, 1] > 0.7


def test_planted_jumps_recovered(res):
    _check_recovery(res)


def test_regime_switch_visible(res):
    rets = _session_returns(res)
    z_btc, z_ai = [], []
    for sym, reg in syn.REGIMES.items():
        d = rets[[sym, "SPY", "BTC-USD", "SMH"]].dropna()
        sw = cal.to_session(reg.date, "next")
        pre = d[d.index < sw].iloc[-250:]
        post = d[d.index >= sw].iloc[:250]
        cpre, sepre, _ = _ols(pre[sym].to_numpy(), pre[["SPY", "BTC-USD", "SMH"]].to_numpy())
        cpost, sepost, _ = _ols(post[sym].to_numpy(), post[["SPY", "BTC-USD", "SMH"]].to_numpy())
        dbtc, dai = cpost[2] - cpre[2], cpost[3] - cpre[3]
        se_btc = np.hypot(sepre[2], sepost[2])
        se_ai = np.hypot(sepre[3], sepost[3])
        # planted direction, magnitude within 3.5 se of the planted change
        assert dbtc < -se_btc, (sym, dbtc, se_btc)
        assert dai > 0, (sym, dai, se_ai)
        assert abs(dbtc - (reg.b_btc_post - reg.b_btc_pre)) < 3.5 * se_btc, (sym, dbtc)
        z_btc.append(dbtc / se_btc)
        z_ai.append(dai / se_ai)
    # Each name alone is noisy (idio vol 5-8 %/day; the AI beta is measured through SMH,
    # collinear with SPY); pooled over the six names (Stouffer) both shifts are unmistakable.
    assert np.sum(z_btc) / np.sqrt(len(z_btc)) < -6, z_btc
    assert np.sum(z_ai) / np.sqrt(len(z_ai)) > 4, z_ai
    assert {"APLD", "IREN", "CORZ", "WULF", "CIFR", "HUT"} <= set(res.regimes["symbol"])


# --- writing and the shipped files ---------------------------------------------------------------
def test_write_default_dataset(tmp_path):
    import time

    from pivotlib.data.store import PriceStore

    t0 = time.perf_counter()
    summary = syn.write_default_dataset(tmp_path / "syn", events=_test_events())
    assert time.perf_counter() - t0 < 5.0
    out = Path(summary["out_dir"])
    assert summary["synthetic"] is True and summary["dataset"] == "demo"
    store = PriceStore(out)
    assert sorted(store.symbols()) == sorted(summary["symbols"])
    for s in summary["symbols"]:
        frame, meta = store.read(s)
        assert meta.synthetic is True and meta.source == "synthetic" and meta.adjusted is True
        assert meta.extra["label"] == "SYNTHETIC" and meta.extra["seed"] == syn.DEFAULT_SEED
        assert meta.rows == summary["rows"][s]
    pe = pd.read_csv(out / "planted_effects.csv")
    assert list(pe.columns[:4]) == ["event_id", "symbol", "event_date", "planted_ar"]
    assert len(pe) == summary["planted_events"]
    pr = pd.read_csv(out / "planted_regimes.csv")
    assert set(pr["symbol"]) == set(syn.REGIMES)
    md = (out / "MODEL.md").read_text()
    assert "SYNTHETIC" in md and "GARCH" in md and "planted_effects.csv" in md
    # A second write is byte-identical (no timestamps), and stale symbols are removed.
    (out / "ZZZ.parquet").write_bytes(b"junk")
    before = {p.name: p.read_bytes() for p in out.glob("*.parquet") if p.name != "ZZZ.parquet"}
    summary2 = syn.write_default_dataset(out, events=_test_events())
    assert summary2["removed"] == ["ZZZ.parquet"]
    after = {p.name: p.read_bytes() for p in out.glob("*.parquet")}
    assert before == after


def test_shipped_dataset_matches_code():
    """data/synthetic must equal a fresh generation from the committed catalog."""
    from pivotlib.data.store import PriceStore

    assert CATALOG.exists(), "data/events/ai_pivot_events.csv is missing"
    assert SHIPPED.is_dir(), f"data/synthetic is missing; {REGEN}"
    res = syn.simulate(events=None)
    store = PriceStore(SHIPPED)
    assert sorted(store.symbols()) == sorted(res.frames), f"symbol set differs; {REGEN}"
    for s, fresh in res.frames.items():
        shipped, meta = store.read(s)
        assert meta.synthetic and meta.source == "synthetic"
        pd.testing.assert_frame_equal(shipped, fresh, check_exact=False, rtol=1e-12,
                                      check_freq=False, obj=f"{s} ({REGEN})")
    pe = pd.read_csv(SHIPPED / "planted_effects.csv", keep_default_na=False)
    fresh_pe = res.planted.astype(str)
    assert pe.astype(str).equals(fresh_pe.reset_index(drop=True)), f"planted_effects.csv; {REGEN}"
    pr = pd.read_csv(SHIPPED / "planted_regimes.csv")
    assert list(pr["symbol"]) == list(res.regimes["symbol"]), REGEN
    assert (SHIPPED / "MODEL.md").read_text() == syn.model_markdown(res), f"MODEL.md; {REGEN}"


def test_shipped_planted_effects_recovered():
    """The catalog's planted jumps are found in the default dataset (the real demo data)."""
    _check_recovery(syn.simulate(events=None))


def test_regime_dates_match_catalog_anchors():
    """Each planted switch date is day 0 of the catalog event it is documented against."""
    from pivotlib.events.catalog import load_catalog

    cat = load_catalog().set_index("event_id")
    for sym, reg in syn.REGIMES.items():
        assert reg.anchor in cat.index, f"{sym}: anchor {reg.anchor} not in the catalog"
        assert cat.loc[reg.anchor, "symbol"] == sym
        assert pd.Timestamp(cat.loc[reg.anchor, "event_date"]) == cal.to_session(reg.date), sym
