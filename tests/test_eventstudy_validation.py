"""Reproduce the R package ``EventStudy`` 0.50 (EventStudyTools) on its S&P 500 example.

Inputs and expected values are read at run time from ``../shared/validation/
eventstudytools_sp500`` (the ``validation`` fixture skips when it is absent); nothing is copied.

Which options reproduce which number (tolerance 1e-6):

* alpha, beta, sigma (M - 2 dof), CAR[-2,+2], AAR, CAAR, cross-sectional t (CSectT) and
  Patell Z (PatellZ, daily and cumulative): the defaults (``model="market"``).
* BMP (``bmp_t``/``cbmp_t``): ``bmp_standardize="sigma"`` -- R standardises by sigma without
  the forecast-error correction. Our default ``"corrected"`` (BMP 1991 / EventStudyTools web)
  gives a different number, which is asserted too.
* Kolari-Pynnonen (``kp_t``/``ckp_t``): ``bmp_standardize="sigma"`` plus
  ``kp_correlation="event_time"`` -- R correlates event-time-aligned estimation residuals.
* Generalized sign (``gsign_z``/``cgsign_z``): ``gsign_p="per_firm"`` -- R's p-hat is the mean
  of per-firm shares of positive estimation ARs (default "pooled" is Cowan 1992). With every
  M_i = 120 here the two coincide, so the default reproduces R's number as well.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pivotlib.analytics.eventstudy import run_event_study

pytestmark = pytest.mark.realdata

TOL = 1e-6
R_OPTIONS = dict(bmp_standardize="sigma", kp_correlation="event_time", gsign_p="per_firm")


def _load(validation):
    d = validation / "eventstudytools_sp500"
    req = pd.read_csv(d / "01_RequestFile.csv", sep=";", header=None,
                      names=["event_id", "firm", "index", "date", "group", "w0", "w1",
                             "est_end", "est_len"])
    firm = pd.read_csv(d / "02_FirmData.csv", sep=";", header=None,
                       names=["firm", "date", "price"])
    mkt = pd.read_csv(d / "03_MarketData.csv", sep=";", header=None,
                      names=["index", "date", "price"])
    for f in (req, firm, mkt):
        f["date"] = pd.to_datetime(f["date"], format="%d.%m.%Y")
    prices = firm.pivot(index="date", columns="firm", values="price")
    index_name = str(req["index"].iloc[0])
    prices[index_name] = mkt.set_index("date")["price"]
    # simple returns of each series on its own dates, then one wide frame
    rets = pd.DataFrame({c: prices[c].dropna().pct_change().iloc[1:] for c in prices.columns})
    rets.index.name = "date"
    events = pd.DataFrame({"event_id": req["event_id"], "symbol": req["firm"],
                           "event_date": req["date"]})
    # request file: window [-2, +2], estimation = est_len days ending at est_end
    w0, w1 = int(req["w0"].iloc[0]), int(req["w1"].iloc[0])
    est_end, est_len = int(req["est_end"].iloc[0]), int(req["est_len"].iloc[0])
    firms = pd.read_csv(d / "EventStudyR_firms.csv").set_index("event_id")
    daily = pd.read_csv(d / "EventStudyR_aar_caar.csv")
    return rets, events, (est_end - est_len + 1, est_end), (w0, w1), index_name, firms, daily


_CACHE: dict = {}


@pytest.fixture
def case(validation):
    if validation not in _CACHE:
        _CACHE[validation] = _load(validation)
    return _CACHE[validation]


def _run(case, **kw):
    rets, events, est, win, mkt, *_ = case
    return run_event_study(rets, events, model="market", market=mkt, estimation=est,
                           window=win, min_est=100, n_boot=0, **kw)


def test_estimation_design(case):
    _, _, est, win, *_ = case
    assert est == (-130, -11) and win == (-2, 2)


def test_per_event_parameters_and_car(case):
    firms = case[5]
    res = _run(case)
    e = res.events.loc[firms.index]
    assert (e["status"] == "ok").all()
    assert (e["n_est"] - 2 == firms["df"]).all()
    np.testing.assert_allclose(e["alpha"], firms["alpha"], atol=TOL, rtol=0)
    np.testing.assert_allclose(e["beta_" + case[4]], firms["beta"], atol=TOL, rtol=0)
    np.testing.assert_allclose(e["sigma"], firms["sigma"], atol=TOL, rtol=0)
    np.testing.assert_allclose(e["car"], firms["CAR_m2_p2"], atol=TOL, rtol=0)


def _block(daily, stat):
    return daily[daily["stat"] == stat].set_index("relative_index").sort_index()


def test_aar_caar_cs_t_and_patell_defaults(case):
    daily = case[6]
    res = _run(case)  # defaults reproduce these
    d = res.daily
    cs = _block(daily, "CSectT")
    np.testing.assert_allclose(d["aar"], cs["aar"], atol=TOL, rtol=0)
    np.testing.assert_allclose(d["caar"], cs["caar"], atol=TOL, rtol=0)
    np.testing.assert_allclose(d["aar_t"], cs["aar_t"], atol=TOL, rtol=0)
    np.testing.assert_allclose(d["caar_t"], cs["caar_t"], atol=TOL, rtol=0)
    np.testing.assert_array_equal(d["n_pos"], cs["n_pos"])
    pz = _block(daily, "PatellZ")
    np.testing.assert_allclose(d["aar_patell_z"], pz["aar_z"], atol=TOL, rtol=0)
    np.testing.assert_allclose(d["caar_patell_z"], pz["caar_z"], atol=TOL, rtol=0)
    assert res.caar == pytest.approx(0.0564557808497045, abs=TOL)
    assert res.tests.loc["cross_sectional_t", "statistic"] == pytest.approx(3.7673342135, abs=TOL)
    assert res.tests.loc["patell_z", "statistic"] == pytest.approx(3.8358039216, abs=TOL)


def test_bmp_kp_gsign_with_r_options(case):
    daily = case[6]
    res = _run(case, **R_OPTIONS)
    d = res.daily
    bmp = _block(daily, "BMP")
    np.testing.assert_allclose(d["aar_bmp_t"], bmp["bmp_t"], atol=TOL, rtol=0)
    np.testing.assert_allclose(d["caar_bmp_t"], bmp["cbmp_t"], atol=TOL, rtol=0)
    kp = _block(daily, "KP")
    np.testing.assert_allclose(d["aar_kp_t"], kp["kp_t"], atol=TOL, rtol=0)
    np.testing.assert_allclose(d["caar_kp_t"], kp["ckp_t"], atol=TOL, rtol=0)
    gs = _block(daily, "GSignT")
    np.testing.assert_allclose(d["aar_gsign_z"], gs["gsign_z"], atol=TOL, rtol=0)
    np.testing.assert_allclose(d["caar_gsign_z"], gs["cgsign_z"], atol=TOL, rtol=0)
    t = res.tests["statistic"]
    assert t["bmp_t"] == pytest.approx(2.52096812284261, abs=TOL)
    assert t["kp_bmp_t"] == pytest.approx(2.23170233094418, abs=TOL)
    assert t["generalized_sign_z"] == pytest.approx(2.47920029320077, abs=TOL)
    # the R-only options change nothing else
    base = _run(case)
    for name in ("cross_sectional_t", "patell_z", "corrado_rank_z", "wilcoxon_z"):
        assert base.tests.loc[name, "statistic"] == pytest.approx(t[name], abs=1e-12)


def test_default_variants_differ_from_r(case):
    """The textbook defaults are genuinely different numbers (so the options matter)."""
    res = _run(case)
    t = res.tests["statistic"]
    assert abs(t["bmp_t"] - 2.52096812284261) > 1e-3          # corrected SCAR
    # pooled and per-firm p-hat coincide here because every M_i = 120
    assert t["generalized_sign_z"] == pytest.approx(2.47920029320077, abs=TOL)
    # calendar-time KP differs from R's event-time pivot for these staggered dates
    r_cal = _run(case, bmp_standardize="sigma", gsign_p="per_firm")
    assert abs(r_cal.tests.loc["kp_bmp_t", "statistic"] - 2.23170233094418) > 1e-3
