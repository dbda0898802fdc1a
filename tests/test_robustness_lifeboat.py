"""The lifeboat DiD's specification curve: rows equal single study runs, nulls equal relabelled
cohorts, a planted effect is robust and no effect is not significant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pivotlib.analytics.lifeboat as lb
from pivotlib.analytics.robustness.lifeboat import (
    CohortArrays,
    _drop_firm,
    lifeboat_curve,
    lifeboat_specs,
    resolve_end,
    spec_options,
)
from pivotlib.data import calendar as cal
from pivotlib.data import synthetic_lifeboat as slb
from pivotlib.defaults import LIFEBOAT_CURVE_GRID, LIFEBOAT_MINERS
from pivotlib.errors import InputError
from pivotlib.events import load_catalog

MINERS = list(LIFEBOAT_MINERS)


def synth(delta: float, seed: int) -> pd.DataFrame:
    """SYNTHETIC miners on NYSE sessions: market + BTC betas, fat tails, and the demo's planted
    lifeboat (:func:`pivotlib.data.synthetic_lifeboat.lifeboat_component`, on the catalog's signed
    pivoters from their first contract) at strength ``delta`` (0 = no effect)."""
    rng = np.random.default_rng(seed)
    sess = cal.sessions("2021-01-04", "2026-06-30")
    n = len(sess)
    spy = 0.011 * rng.standard_normal(n)
    btc = 0.4 * spy + 0.03 * rng.standard_t(4, n) / np.sqrt(2)
    out = {"SPY": spy, "BTC-USD": btc}
    for s in MINERS:
        out[s] = (1.2 * spy + rng.uniform(1.0, 2.0) * btc
                  + 0.035 * rng.standard_t(5, n) / np.sqrt(5 / 3)
                  + slb.lifeboat_component(s, sess, btc, delta=delta))
    return pd.DataFrame(out, index=sess)


SMALL = {"as_of": (None, "2025-12-31"), "threshold": (0.0, -0.01), "end": ("all", "-6M"),
         "borderline": ("loyalist", "pivoter", "excluded"), "leave_out": ("none", "APLD", "MARA")}


def test_resolve_end_and_specs():
    last = pd.Timestamp("2026-06-30")
    assert resolve_end("all", last) is None
    assert resolve_end("-6M", last) == pd.Timestamp("2025-12-30")
    assert resolve_end("2025-01-31", last) == pd.Timestamp("2025-01-31")
    with pytest.raises(InputError, match="-<k>M"):
        resolve_end("-0M", last)
    g, specs = lifeboat_specs({"leave_out": ("none", "each")}, ["A", "B"])
    assert g["leave_out"] == ("none", "A", "B") and len(specs) == 3
    with pytest.raises(InputError, match="not among the miners"):
        lifeboat_specs({"leave_out": ("ZZZ",)}, ["A", "B"])
    with pytest.raises(InputError, match="unknown lifeboat curve choice"):
        lifeboat_specs({"window": (1,)}, ["A", "B"])


def test_drop_firm_equals_pivot_cohorts_on_the_other_miners():
    cat = load_catalog()
    sess = cal.sessions("2021-01-04", "2026-06-30")
    for b in lb.BORDERLINE_CHOICES:
        full = lb.pivot_cohorts(cat, MINERS, sessions=sess, borderline=b, as_of="2025-12-31")
        for m in ("CIFR", "APLD", "MARA", "BITF"):
            want = lb.pivot_cohorts(cat, [x for x in MINERS if x != m], sessions=sess,
                                    borderline=b, as_of="2025-12-31")
            got = _drop_firm(full, m, sess)
            pd.testing.assert_frame_equal(got, want, check_dtype=False)
            assert got.attrs["loyalist_date"] == want.attrs["loyalist_date"]


def test_cohort_arrays_drop_firm_equals_drop_firm():
    cat = load_catalog()
    sess = cal.sessions("2021-01-04", "2026-06-30")
    for b in lb.BORDERLINE_CHOICES:
        for as_of in (None, "2025-12-31"):
            full = lb.pivot_cohorts(cat, MINERS, sessions=sess, borderline=b, as_of=as_of)
            arrays = CohortArrays.of(full)
            for m in [*MINERS, "ZZZ"]:
                want = CohortArrays.of(_drop_firm(full, m, sess))
                got = arrays.drop_firm(m, sess)
                assert got.names == want.names and got.excluded == want.excluded
                assert list(got.cohort) == list(want.cohort)
                assert got.split() == want.split(), (b, as_of, m)
                assert (got.loyalist_date == want.loyalist_date
                        or (pd.isna(got.loyalist_date) and pd.isna(want.loyalist_date)))


def test_borderline_rule_from_the_catalog():
    cat = load_catalog()
    sess = cal.sessions("2021-01-04", "2026-06-30")
    co = lb.pivot_cohorts(cat, MINERS, sessions=sess)
    assert co.loc["BITF", "borderline"] and co.loc["BITF", "cohort"] == "loyalist"
    assert co.loc["BITF", "announced"] == "BITF-2025-11-13-hpc-conversion"
    assert not co.loc["MARA", "borderline"] and not co.loc["APLD", "borderline"]
    piv = lb.pivot_cohorts(cat, MINERS, sessions=sess, borderline="pivoter")
    assert piv.loc["BITF", "cohort"] == "pivoter"
    assert piv.loc["BITF", "split_date"] == pd.Timestamp("2025-11-13")
    assert piv.attrs["loyalist_date"] == co.attrs["loyalist_date"]  # signed pivoters only
    ex = lb.pivot_cohorts(cat, MINERS, sessions=sess, borderline="excluded")
    assert "BITF" not in ex.index and "BITF" in ex.attrs["excluded"]
    # RIOT: a pivoter with every contract, borderline (its 2025 AI review) as of 2025-12-31
    assert co.loc["RIOT", "cohort"] == "pivoter"
    assert lb.pivot_cohorts(cat, MINERS, as_of="2025-12-31").loc["RIOT", "borderline"]
    with pytest.raises(InputError, match="borderline="):
        lb.pivot_cohorts(cat, MINERS, borderline="maybe")


def test_split_dates_are_sessions():
    cat = pd.DataFrame({"event_id": ["A-sat"], "symbol": ["A"],
                        "event_date": ["2024-06-01"], "category": ["ai_hosting_lease"]})
    sess = cal.sessions("2024-01-02", "2024-12-31")
    co = lb.pivot_cohorts(cat, ["A", "B"], sessions=sess)
    assert co.loc["A", "pivot_date"] == pd.Timestamp("2024-06-01")  # a Saturday, as catalogued
    assert co.loc["A", "split_date"] == pd.Timestamp("2024-06-03")  # the next session
    assert co.loc["B", "split_date"] == pd.Timestamp("2024-06-03")


def test_curve_rows_equal_single_study_runs():
    from pivotlib.studies.lifeboat import study_lifeboat

    rep = study_lifeboat(curve=True, curve_grid=SMALL, n_boot=99, horizons=(20,), n_null=49)
    c = rep.curve
    f = c.frame
    assert len(f) == 2 * 2 * 2 * 3 * 3 and f["is_headline"].sum() == 1
    h = f[f["is_headline"]].iloc[0]
    assert h["estimate"] == pytest.approx(float(rep.did["did"]), abs=1e-10)
    assert h["p"] == pytest.approx(float(rep.did["perm_p"]), abs=1e-10)
    # one row per value of every choice (plus the leave-outs), each against its own study run
    picks = [0, 5, 17, 28, 40, 46, 52, 69]
    last = f.attrs["data_end"]
    assert last == rep.returns.index[-1]  # demo: market and bitcoin run to the end
    for i in picks:
        row = f.iloc[i]
        spec = {k: row[k] for k in c.choices}
        one = study_lifeboat(**spec_options(spec, rep.miners, last), n_boot=99,
                             horizons=(20,), curve=False).did
        if np.isfinite(row["estimate"]):
            for col, want in (("estimate", "did"), ("ci_low", "low"), ("ci_high", "high"),
                              ("p", "perm_p")):
                assert abs(row[col] - float(one[want])) <= 1e-10, (spec, col)
            assert row["n"] == one["n_pivoters"] + one["n_loyalists"]
        else:
            assert not np.isfinite(float(one.get("did", np.nan))), spec
    assert rep.robustness_line.split(":")[0] in ("robust", "fragile", "no effect")
    assert rep.record()["robustness"]["n_specs"] == len(f)


def test_null_curves_equal_relabelled_cohorts():
    r = synth(0.5, 3)
    cat = load_catalog()
    grid = {"as_of": (None,), "threshold": (0.0,), "end": ("all",),
            "borderline": ("loyalist", "pivoter", "excluded"), "leave_out": ("none", "HUT")}
    c = lifeboat_curve(r, cat, MINERS, grid=grid, n_null=20, seed=4)
    from pivotlib.analytics.robustness.lifeboat import _relabellings

    perms = _relabellings(len(MINERS), 20, 4)
    base = lb.pivot_cohorts(cat, MINERS, sessions=r.index)
    lab = np.where(base["cohort"] == "pivoter", "P", np.where(base["borderline"], "B", "L"))
    for s, row in c.frame.iterrows():
        co = lb.pivot_cohorts(cat, [m for m in MINERS if m != row["leave_out"]],
                              sessions=r.index, borderline=row["borderline"])
        split = co["split_date"].to_dict()
        for m in co.attrs["excluded"]:
            split[m] = co.attrs["loyalist_date"]
        v = pd.Series(lb.down_changes(r, list(split.items())), index=list(split))
        for b in (0, 7, 19):
            pseudo = pd.Series(lab[perms[b]], index=MINERS)
            keep = [m for m in v.index if np.isfinite(v[m])
                    and not (row["borderline"] == "excluded" and pseudo[m] == "B")]
            t = np.array([pseudo[m] == "P" or (pseudo[m] == "B" and row["borderline"] == "pivoter")
                          for m in keep])
            vv = v[keep].to_numpy()
            p, _, _ = lb.label_permutation_p(vv, t)
            assert c.null_estimates[b, s] == pytest.approx(vv[t].mean() - vv[~t].mean(), abs=1e-12)
            assert c.null_pvalues[b, s] == pytest.approx(p, abs=1e-12)


def test_planted_lifeboat_is_robust():
    """The demo's plant strength, the default grid (504 specifications), 99 relabellings."""
    cat = load_catalog()
    for seed in (1, 5):
        c = lifeboat_curve(synth(slb.LIFEBOAT_DELTA, seed), cat, MINERS, n_null=99)
        s = c.summary()
        assert s.n_specs == 504 and s.verdict == "robust", c.line()
        assert s.joint_p <= 0.02 and s.share_same_sign >= 0.95 and s.share_significant > 0.5


def test_no_effect_joint_test_not_significant_in_90pct_of_seeds():
    """Plant strength 0, ten fixed seeds: the joint test keeps its size."""
    cat = load_catalog()
    grid = dict(LIFEBOAT_CURVE_GRID) | {"leave_out": ("none", "APLD", "MARA")}
    joint = []
    for seed in range(10):
        c = lifeboat_curve(synth(0.0, 100 + seed), cat, MINERS, grid=grid, n_null=99, seed=seed)
        joint.append(c.summary().joint_p)
    assert sum(p >= 0.05 for p in joint) >= 9, joint


@pytest.mark.realdata
def test_realdata_curve_reproduces_the_headline_and_its_rows(realdata, tmp_path):
    """Real closes (dsturdy miners, SPY; SAToptunov BTC-USD; BITF from bdesia): the curve's
    headline is the study's DiD, rows match their own study runs, BITF is borderline."""
    from pivotlib.studies.lifeboat import study_lifeboat

    folder = tmp_path / "closes"
    folder.mkdir()
    for f in (realdata / "dsturdy__Factor_Attribution_5_csvs" / "data").glob("*.csv"):
        if f.name != "BTC.csv":  # an ETF, not bitcoin
            (folder / f.name).symlink_to(f)
    (folder / "BTC-USD.csv").symlink_to(realdata / "SAToptunov__2526-dzi-ai-SAToptunov21"
                                        / "data" / "BTC-USD.csv")
    (folder / "BITF.csv").symlink_to(realdata / "bdesia__MSTGAM-4trading" / "data" / "BITF.csv")
    grid = {"as_of": (None, "2025-12-31"), "threshold": (0.0, -0.01), "end": ("all",),
            "borderline": ("loyalist", "pivoter", "excluded"), "leave_out": ("none", "BITF")}
    rep = study_lifeboat(dataset=f"csv:{folder}", n_boot=99, horizons=(20,), curve_grid=grid,
                         n_null=99)
    f = rep.curve.frame
    assert len(f) == 24 and f["is_headline"].sum() == 1
    h = f[f["is_headline"]].iloc[0]
    assert h["estimate"] == pytest.approx(float(rep.did["did"]), abs=1e-10)
    assert bool(rep.analysis.cohorts.loc["BITF", "borderline"])
    last = f.attrs["data_end"]
    assert last <= pd.Timestamp("2026-02-05")  # bitcoin's end, not the miners'
    for i in (5, 13, 22):
        row = f.iloc[i]
        spec = {k: row[k] for k in rep.curve.choices}
        one = study_lifeboat(dataset=f"csv:{folder}", n_boot=99, horizons=(20,), curve=False,
                             **spec_options(spec, rep.miners, last)).did
        assert abs(row["estimate"] - float(one["did"])) <= 1e-10, spec
        assert abs(row["p"] - float(one["perm_p"])) <= 1e-10, spec
    assert rep.robustness_line.split(":")[0] in ("robust", "fragile", "no effect")


def test_study_degrades_when_the_did_or_its_curve_cannot_run():
    from pivotlib.studies.lifeboat import study_lifeboat

    rep = study_lifeboat(miners=("APLD", "IREN"), n_boot=99, horizons=(20,),
                         curve_grid={"threshold": (0.0, -0.01)})
    assert rep.curve is not None and rep.curve.verdict == "not assessed"
    assert rep.robustness_line.startswith("not assessed: none of 2 specifications")
    assert "not estimable: 2 pivoters and 0 loyalists" in str(rep.summary())
    assert rep.record()["p_floor"] is None
    assert study_lifeboat(n_boot=99, horizons=(20,), curve=False).curve is None
