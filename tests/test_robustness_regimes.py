"""The pivot score's specification curve: rows equal pivot_scores runs, a planted pivot is robust,
no pivot is not significant in the joint test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pivotlib.analytics.regimes import pivot_scores
from pivotlib.analytics.robustness.regimes import (
    pivot_score_curve,
    score_options,
    split_dates,
)
from pivotlib.errors import InputError


def synth(shift: float, seed: int, n: int = 1400) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SYNTHETIC: a miner whose BTC beta falls and AI beta rises by ``shift`` at session 700
    (its first AI announcement; first signed contract at 720), market, BTC, SMH and QQQ."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2020-01-06", periods=n)
    spy = 0.01 * rng.standard_normal(n)
    btc = 0.4 * spy + 0.03 * rng.standard_t(5, n) / np.sqrt(5 / 3)
    smh = 1.6 * spy + 0.012 * rng.standard_normal(n)
    qqq = 1.1 * spy + 0.4 * (smh - 1.6 * spy) + 0.004 * rng.standard_normal(n)
    post = np.arange(n) >= 700
    ai = smh - 1.6 * spy
    y = (1.2 * spy + (1.3 - shift * post) * btc + (0.2 + shift * post) * ai
         + 0.03 * rng.standard_t(5, n) / np.sqrt(5 / 3))
    r = pd.DataFrame({"AAA": y, "SPY": spy, "BTC-USD": btc, "SMH": smh, "QQQ": qqq}, index=idx)
    cat = pd.DataFrame({"event_id": ["AAA-launch", "AAA-lease"], "symbol": ["AAA", "AAA"],
                        "event_date": [idx[700], idx[720]],
                        "category": ["ai_cloud_launch", "ai_hosting_lease"]})
    return r, cat


GRID = {"split": ("first_ai", "first_contract"), "window": ((250, 250), (120, 120)),
        "ai_proxy": ("SMH", "QQQ", "NVDA"), "hac_lags": (None, 10)}


def test_rows_equal_pivot_scores():
    r, cat = synth(0.8, 1)
    c = pivot_score_curve(r, cat, "AAA", grid=GRID, n_null=20)
    assert len(c.frame) == 2 * 2 * 2 * 2 and c.frame["is_headline"].sum() == 1
    assert any("NVDA" in n for n in c.frame.attrs["notes"])
    d = split_dates(cat, "AAA")
    assert d == {"first_ai": r.index[700], "first_contract": r.index[720]}
    for _, row in c.frame.iterrows():
        spec = {k: row[k] for k in c.choices}
        one = pivot_scores(r, ["AAA"], **score_options(spec, d)).iloc[0]
        for a, b in (("estimate", "pivot_score"), ("ci_low", "ci_low"),
                     ("ci_high", "ci_high"), ("p", "p_value")):
            assert abs(row[a] - one[b]) <= 1e-10, (spec, a)
        assert row["n"] == one["n_before"] + one["n_after"]


def test_demo_study_headline_is_a_curve_row():
    from pivotlib.studies.regime import study_regimes

    rep = study_regimes(breaks=False, curve=True, n_null=19,
                        curve_grid={"split": ("first_ai", "first_contract"),
                                    "window": ((250, 250), (120, 120)), "ai_proxy": ("SMH",),
                                    "hac_lags": (None,)})
    top = rep.top.iloc[0]
    h = rep.curve.frame[rep.curve.frame["is_headline"]].iloc[0]
    assert rep.curve.summary().estimand.endswith(rep.top.index[0])
    assert h["estimate"] == pytest.approx(top["pivot_score"], abs=1e-10)
    assert h["p"] == pytest.approx(top["p_value"], abs=1e-10)
    assert rep.record()["robustness"]["n_specs"] == 4 and rep.robustness_line


def test_missing_split_and_bad_grid():
    r, cat = synth(0.0, 2)
    c = pivot_score_curve(r, cat[cat["category"] != "ai_hosting_lease"], "AAA", grid=GRID,
                          n_null=0)
    f = c.frame
    assert f.loc[f["split"] == "first_contract", "estimate"].isna().all()
    assert f.loc[f["split"] == "first_contract", "status"].str.contains("no first contract").all()
    assert c.summary().joint_p is None
    with pytest.raises(InputError, match="split choice"):
        pivot_score_curve(r, cat, "AAA", grid={"split": ("median",)})
    with pytest.raises(InputError, match="none of the AI proxies"):
        pivot_score_curve(r, cat, "AAA", grid={"ai_proxy": ("NVDA",)})


def test_planted_pivot_is_robust():
    r, cat = synth(1.0, 3)
    s = pivot_score_curve(r, cat, "AAA", grid=GRID, n_null=99).summary()
    assert s.verdict == "robust" and s.joint_p <= 0.02 and s.share_same_sign == 1.0


def test_no_pivot_joint_test_not_significant_in_90pct_of_seeds():
    joint = []
    for seed in range(10):
        r, cat = synth(0.0, 200 + seed)
        joint.append(pivot_score_curve(r, cat, "AAA", grid=GRID, n_null=99,
                                       seed=seed).summary().joint_p)
    assert sum(p >= 0.05 for p in joint) >= 9, joint


def test_study_with_a_common_date_says_why_there_is_no_curve():
    from pivotlib.studies.regime import study_regimes

    rep = study_regimes(breaks=False, date="2024-06-03")
    assert rep.curve is None and rep.robustness_line == ""
    assert any("specification curve not computed" in n for n in rep.notes)
