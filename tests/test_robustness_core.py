"""The specification-curve core: grids, frames, the three curve statistics, the joint test."""

import numpy as np
import pandas as pd
import pytest

from pivotlib.analytics.robustness import (
    SpecCurve,
    curve_statistics,
    grid_specs,
    run_curve,
)
from pivotlib.errors import InputError, PivotError


def test_grid_specs_is_the_full_product_in_order():
    specs = grid_specs({"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(specs) == 6
    assert specs[0] == {"a": 1, "b": "x"} and specs[-1] == {"a": 2, "b": "z"}
    with pytest.raises(InputError, match="no values"):
        grid_specs({"a": []})


def test_run_curve_marks_headline_and_records_failures():
    def run(spec):
        if spec["b"] == "z":
            raise PivotError("cannot run z")
        return {"estimate": spec["a"] * 0.1, "ci_low": 0, "ci_high": 1, "p": 0.01, "n": 5}

    f = run_curve(run, {"a": [1, 2], "b": ["x", "z"]}, {"a": 1, "b": "x"})
    assert f["is_headline"].sum() == 1 and f.loc[f["is_headline"], "a"].item() == 1
    assert f.loc[f["b"] == "z", "estimate"].isna().all()
    assert (f.loc[f["b"] == "z", "status"] == "cannot run z").all()


def test_curve_statistics_by_hand():
    est = np.array([0.1, 0.2, -0.1, 0.3])
    p = np.array([0.01, 0.20, 0.01, 0.04])
    med, share, stouf = curve_statistics(est, p)
    assert med == pytest.approx(0.15)
    assert share == pytest.approx(2 / 4)  # 0.1 and 0.3 significant and positive
    from scipy.stats import norm
    z = norm.isf(p / 2) * np.sign(est)
    assert stouf == pytest.approx(abs(z.mean()))


def _curve(effect, rng, s=24):
    est = effect + rng.normal(0, 0.02, s)
    se = np.full(s, 0.02)
    from scipy.stats import norm
    p = 2 * norm.sf(np.abs(est / se))
    return est, p


def test_joint_test_separates_effect_from_null():
    rng = np.random.default_rng(7)
    null = [_curve(0.0, rng) for _ in range(199)]
    ne = np.array([n[0] for n in null])
    npv = np.array([n[1] for n in null])
    for effect, robust in ((0.08, True), (0.0, False)):
        est, p = _curve(effect, rng)
        f = pd.DataFrame({"k": range(24), "estimate": est, "p": p, "n": 100})
        from pivotlib.analytics.robustness import curve_frame
        c = SpecCurve.build(curve_frame(f, ["k"], {"k": 0}), ["k"], estimand="x",
                            null_estimates=ne, null_pvalues=npv)
        s = c.summary()
        if robust:
            assert s.verdict == "robust" and s.joint_p <= 0.01
            assert s.line().startswith("robust: ")
        else:
            assert s.joint_p > 0.05 and s.verdict in ("no effect", "fragile")


def test_biggest_mover_names_the_choice():
    f = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": [1, 2, 1, 2],
                      "estimate": [0.5, 0.45, -0.2, -0.1], "p": [0.01, 0.02, 0.3, 0.5]})
    from pivotlib.analytics.robustness import curve_frame
    c = SpecCurve.build(curve_frame(f, ["a", "b"], {"a": "x", "b": 1}), ["a", "b"], estimand="e")
    assert "a=y" in c.summary().mover and "-0.2" in c.summary().mover
    assert c.verdict == "fragile"


def test_normal_quantiles_are_scipy_stats_bits():
    """core and regimes use scipy.special (no scipy.stats import in a report kernel); the
    values are scipy.stats.norm's to the bit, NaN, p = 0 and p = 1 included."""
    from scipy import special, stats

    rng = np.random.default_rng(7)
    p = np.concatenate([rng.uniform(0, 1, 500), 10.0 ** -rng.uniform(0, 320, 200),
                        [0.0, 1.0, np.nan, 0.5, 1e-300]])
    q = np.clip(p, 1e-300, 1.0) / 2.0
    ref = stats.norm.isf(q)
    got = 0.0 - special.ndtri(q)
    np.testing.assert_array_equal(got, ref)
    fin = np.isfinite(ref)  # signed zeros too (a NaN's sign bit means nothing: never summed)
    assert np.array_equal(np.signbit(got[fin]), np.signbit(ref[fin]))
    x = np.abs(rng.standard_normal(500) * 10.0 ** rng.uniform(-3, 2, 500))
    np.testing.assert_array_equal(special.ndtr(-x), stats.norm.sf(x))
    assert float(special.ndtri(0.975)) == float(stats.norm.ppf(0.975))
    # the statistic itself, against the scipy.stats formula
    est = rng.standard_normal((6, 40))
    pv = rng.uniform(0, 1, (6, 40))
    pv[0, :5] = np.nan
    out = curve_statistics(est, pv)
    ok = np.isfinite(est) & np.isfinite(pv)
    z = stats.norm.isf(np.clip(pv, 1e-300, 1.0) / 2.0) * np.sign(est)
    stouffer = np.abs(np.where(ok, z, 0.0).sum(axis=1) / ok.sum(axis=1))
    np.testing.assert_array_equal(out[:, 2], stouffer)
