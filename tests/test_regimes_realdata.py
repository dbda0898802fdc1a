"""Regime analytics on real closes (../shared/realdata); prints findings, asserts only structure.

Data: Yahoo adjusted closes for the miners, SPY and SMH from ``dsturdy__Factor_Attribution_5_csvs``
(its ``BTC.csv`` is an ETF, not bitcoin, and is not used) and real BTC-USD closes from
``SAToptunov__2526-dzi-ai-SAToptunov21`` (to 2026-02-05), aligned to NYSE sessions. Nothing is
copied into the repository; run with ``pytest -s -m realdata`` to see the tables.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pivotlib.analytics import regimes as rg
from pivotlib.data.calendar import align_to_sessions, sessions, simple_returns

pytestmark = pytest.mark.realdata

MINERS = ["APLD", "IREN", "HUT", "CORZ", "WULF", "CIFR", "MARA", "RIOT", "CLSK", "BTDR", "HIVE",
          "BTBT"]
FACTORS = ["SPY", "BTC-USD", "SMH"]
EQUITY_DIR = "dsturdy__Factor_Attribution_5_csvs/data"
BTC_FILE = "SAToptunov__2526-dzi-ai-SAToptunov21/data/BTC-USD.csv"
START, END = "2021-01-04", "2026-02-05"  # END: last real BTC-USD close available


def _read_close(path: Path) -> pd.Series:
    df = pd.read_csv(path)
    s = pd.Series(pd.to_numeric(df["Close"], errors="coerce").to_numpy(),
                  index=pd.to_datetime(df["Date"]).dt.normalize(), name=path.stem)
    s = s[s.index <= pd.Timestamp("2026-07-13")]  # the 2026-07-14 row is an intraday print
    return s[~s.index.duplicated(keep="last")].dropna()


def load_real_returns(realdata: Path) -> pd.DataFrame:
    """Wide session returns through the CSV import path (``pivotlib.data.loading.load_returns`` with a
    ``csv:<folder>:<folder>`` dataset), or plain pandas if that module is unavailable."""
    try:
        from pivotlib.data.loading import load_returns
    except ImportError:
        return load_real_returns_pandas(realdata)
    folders = [realdata / EQUITY_DIR, (realdata / BTC_FILE).parent]
    dataset = "csv:" + os.pathsep.join(str(f) for f in folders)
    return load_returns([*MINERS, "SPY", "SMH", "BTC-USD"], START, END, dataset=dataset)


def load_real_returns_pandas(realdata: Path) -> pd.DataFrame:
    """Wide session returns via plain pandas + calendar.align_to_sessions."""
    idx = sessions(START, END)
    closes = {}
    for sym in [*MINERS, "SPY", "SMH"]:
        closes[sym] = _read_close(realdata / EQUITY_DIR / f"{sym}.csv").reindex(idx)
    closes["BTC-USD"] = align_to_sessions(_read_close(realdata / BTC_FILE), idx)
    frame = pd.DataFrame(closes, index=idx)
    rets = simple_returns(frame)
    # Before these dates the ticker history is another issuer or a SPAC shell (universe notes).
    listed = {"CORZ": "2024-01-24", "WULF": "2021-12-14", "CIFR": "2021-08-30",
              "BTDR": "2023-04-14", "HUT": "2023-11-30", "APLD": "2022-04-13"}
    for sym, d in listed.items():
        rets.loc[rets.index <= pd.Timestamp(d), sym] = np.nan
    rets.index.name = "date"
    return rets


_CACHE: dict[Path, pd.DataFrame] = {}


@pytest.fixture
def real_returns(realdata):
    if realdata not in _CACHE:
        _CACHE[realdata] = load_real_returns(realdata)
    return _CACHE[realdata]


def _fmt(df: pd.DataFrame) -> str:
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        return df.to_string(float_format=lambda v: f"{v:.3f}")


def test_real_loaders_agree(realdata, real_returns):
    """The CSV import path and a plain-pandas reading give the same returns."""
    manual = load_real_returns_pandas(realdata)
    a, b = real_returns.align(manual, join="inner")
    assert len(a) > 1000 and set(a.columns) == set(manual.columns)
    assert (a.isna() == b.isna()).all().all()
    assert float((a - b).abs().max().max()) < 1e-12


def test_real_pivot_scores_first_ai_event(real_returns):
    from pivotlib.events.catalog import load_catalog

    events = load_catalog()
    out = rg.pivot_scores(real_returns, MINERS, FACTORS, events, before=250, after=250,
                          clip=True, min_obs=60, errors="skip")
    cols = ["rank", "date", "n_before", "n_after", "btc_beta_before", "btc_beta_after",
            "ai_beta_before", "ai_beta_after", "delta_btc_beta", "delta_ai_beta", "pivot_score",
            "ci_low", "ci_high", "p_value", "chow_hac_p"]
    print("\nPivot scores at each miner's first catalog AI event (250 sessions each side, "
          "clipped to data; 95% HAC intervals; HAC rule", out.attrs["hac_rule"], ")")
    print(_fmt(out[cols]))
    skipped = out[out["pivot_score"].isna()]
    if len(skipped):
        print("skipped:\n" + "\n".join(f"  {s}: {n}" for s, n in skipped["note"].items()))
    scored = out.dropna(subset=["pivot_score"])
    assert len(scored) >= 5
    num = scored[["delta_btc_beta", "delta_ai_beta", "pivot_score", "se_score", "ci_low",
                  "ci_high", "p_value"]]
    assert np.isfinite(num.to_numpy(dtype=float)).all()
    assert (scored["se_score"] > 0).all()
    assert (scored["ci_low"] < scored["pivot_score"]).all()
    assert scored["pivot_score"].is_monotonic_decreasing


def test_real_pivot_scores_common_date(real_returns):
    date = "2024-06-04"  # CORZ-CoreWeave 200MW lease: the sector's first large AI hosting deal
    out = rg.pivot_scores(real_returns, MINERS, FACTORS, date, before=250, after=250, clip=True,
                          errors="skip")
    boot = rg.pivot_scores(real_returns, MINERS, FACTORS, date, before=250, after=250,
                           clip=True, errors="skip", ci_method="bootstrap", n_boot=999, seed=0)
    out = out.join(boot[["ci_low", "ci_high"]].add_suffix("_boot"))
    print(f"\nPivot scores with a common date {date} (250 sessions each side, clipped; "
          "95% HAC and moving-block bootstrap intervals)")
    print(_fmt(out[["rank", "n_before", "n_after", "btc_beta_before", "btc_beta_after",
                    "ai_beta_before", "ai_beta_after", "pivot_score", "ci_low", "ci_high",
                    "ci_low_boot", "ci_high_boot", "p_value"]]))
    assert np.isfinite(out["pivot_score"].dropna().to_numpy()).all()
    assert (out["ci_low_boot"] < out["ci_high_boot"]).all()


def test_real_find_break(real_returns):
    rows = []
    for sym in MINERS:
        res = rg.find_break(real_returns, sym, FACTORS, trim=0.15)
        hac = rg.find_break(real_returns, sym, FACTORS, trim=0.15, stat="hac")
        rows.append({
            "symbol": sym, "start": res.start.date(), "nobs": res.nobs,
            "break_F": res.break_date.date(), "supF": res.sup_f, "p_F": res.p_value,
            "break_hac": hac.break_date.date(), "supF_hac": hac.sup_f, "p_hac": hac.p_value,
            "btc_before": res.before["BTC-USD"], "btc_after": res.after["BTC-USD"],
            "ai_before": res.before["SMH"], "ai_after": res.after["SMH"],
        })
        assert np.isfinite(res.f_path.to_numpy()).all() and 0 <= res.p_value <= 1
        assert res.start <= res.break_date <= res.end
    table = pd.DataFrame(rows).set_index("symbol")
    print("\nUnknown-date break search (sup-F, 15% trimming, q = 4; classical F and HAC Wald/q)")
    print(_fmt(table))
    assert np.isfinite(table[["supF", "supF_hac"]].to_numpy()).all()


def test_real_break_table_since_mid_2023(real_returns):
    """The full-sample search is dominated by the 2022 crypto-winter shift; restricting the
    sample to the AI-hosting era shows the break nearest the pivot announcements."""
    from pivotlib.events.catalog import load_catalog

    table = rg.break_table(real_returns, MINERS, FACTORS, events=load_catalog(),
                           start="2023-06-01", stat="hac")
    cols = ["break_date", "ci_low", "ci_high", "sup_f", "p_value", "btc_before", "btc_after",
            "ai_before", "ai_after", "nearest_event", "nearest_category", "sessions_from_event",
            "event_in_ci"]
    print("\nBreak search from 2023-06-01 (HAC Wald/q, 15% trimming, Bai 95% interval) beside "
          "the nearest catalog event")
    print(_fmt(table[cols]))
    assert np.isfinite(table[["sup_f", "p_value"]].to_numpy(dtype=float)).all()
    assert (table["ci_low"] <= table["break_date"]).all()
    assert (table["break_date"] <= table["ci_high"]).all()


def test_real_quarterly_correlations(real_returns):
    out = rg.quarterly_correlations(real_returns, MINERS)
    out["year"] = out["quarter"].dt.year
    yearly = out.pivot_table(index="symbol", columns=["factor", "year"], values="corr")
    print("\nMean quarterly correlation with BTC-USD and with SMH residualised on SPY, by year")
    print(_fmt(yearly))
    assert out["corr"].between(-1, 1).all() and len(out) > 100


def test_real_rolling_exposures(real_returns):
    out = rg.rolling_exposures(real_returns, "APLD", FACTORS, window=120)
    print("\nAPLD rolling 120-session betas, quarter ends:")
    print(_fmt(out.resample("QE").last()[["beta_SPY", "beta_BTC-USD", "beta_SMH", "r2"]].tail(12)))
    assert out.index[0] > pd.Timestamp("2022-04-13")
    assert np.isfinite(out[["beta_BTC-USD", "se_BTC-USD", "r2"]].to_numpy()).all()
    assert (out["nobs"] == 120).all()
