"""The moments fit (running sums per mask) equals the batched least-squares fit."""

from __future__ import annotations

import numpy as np
import pytest

from pivotlib.analytics.eventstudy.models import MODELS, fit_vectorized
from pivotlib.analytics.eventstudy.moments import (
    fit_from_sums,
    prefix_moments,
    sub_channels,
    window_sums,
)

FIELDS = ("params", "sigma", "n_est", "ar", "c_evt", "var_car_corr", "d_evt", "sxx_inv", "sst",
          "sse", "singular")


def _data(seed: int, n: int = 40, le: int = 300, lw: int = 7, p: int = 2):
    rng = np.random.default_rng(seed)
    x_est = rng.normal(0.001, 0.02, (n, le, p))
    y_est = 0.002 + x_est @ rng.normal(1.0, 0.5, p) + rng.normal(0, 0.03, (n, le))
    x_evt = rng.normal(0.001, 0.02, (n, lw, p))
    y_evt = rng.normal(0.0, 0.04, (n, lw))
    y_est[rng.random((n, le)) < 0.03] = np.nan  # gaps
    x_evt[rng.random((n, lw, p)) < 0.05] = np.nan
    mask_extra = rng.random((n, le)) > 0.1  # other events masked
    x_est[3, :, 1] = 0.01  # a constant second factor: singular in the factors model
    return y_est, x_est, y_evt, x_evt, mask_extra


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("window", [(0, 300), (180, 290), (10, 121)])
def test_moments_fit_equals_the_batched_fit(model, window):
    y_est, x_est, y_evt, x_evt, extra = _data(7)
    if model in ("market_adjusted", "market"):
        x_est, x_evt = x_est[..., :1], x_evt[..., :1]
    if model == "constant_mean":
        x_est, x_evt = x_est[..., :0], x_evt[..., :0]
    p = x_est.shape[2]
    fin = np.isfinite(y_est) & np.isfinite(x_est).all(axis=2)
    w = fin & extra
    s0, s1 = window
    in_win = np.zeros(y_est.shape[1], dtype=bool)
    in_win[s0:s1] = True
    m_evt = np.isfinite(y_evt) & np.isfinite(x_evt).all(axis=2)
    ref = fit_vectorized(y_est, x_est, w & in_win[None], y_evt, x_evt, m_evt, model)
    sums = window_sums(prefix_moments(y_est, x_est, w), s0, s1)
    got = fit_from_sums(sums, p, y_evt, x_evt, m_evt, model)
    assert got.k == ref.k
    assert got.resid_est.shape == (len(y_est), 0)
    for f in FIELDS:
        a, b = getattr(got, f), getattr(ref, f)
        # a singular fit is flagged (and never reported); its placeholder numbers may differ
        ok = ~ref.singular if f != "singular" else slice(None)
        np.testing.assert_allclose(a[ok], b[ok], rtol=1e-10, atol=1e-12, err_msg=f)
    assert got.singular.sum() == ref.singular.sum() == (1 if model == "factors" else 0)


@pytest.mark.parametrize("idx", [[0], [1], [1, 0], []])
def test_subset_of_a_larger_running_sum_gives_the_subset_fit(idx):
    y_est, x_est, y_evt, x_evt, extra = _data(11, p=3)
    fin = np.isfinite(y_est) & np.isfinite(x_est).all(axis=2)
    m_evt = np.isfinite(y_evt) & np.isfinite(x_evt[..., idx]).all(axis=2)
    model = "factors" if idx else "constant_mean"
    big = window_sums(prefix_moments(y_est, x_est, fin & extra), 20, 260)
    got = fit_from_sums(big[:, sub_channels(3, idx)], len(idx), y_evt, x_evt[..., idx], m_evt,
                        model)
    own = window_sums(prefix_moments(y_est, x_est[..., idx], fin & extra), 20, 260)
    ref = fit_from_sums(own, len(idx), y_evt, x_evt[..., idx], m_evt, model)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(got, f), getattr(ref, f), err_msg=f)


def test_running_sums_at_chosen_positions_equal_the_full_running_sum():
    y_est, x_est, _y, _x, extra = _data(5)
    w = np.isfinite(y_est) & np.isfinite(x_est).all(axis=2) & extra
    full = prefix_moments(y_est, x_est, w)
    at = [0, 50, 190, 289, 300, 50]
    got = prefix_moments(y_est, x_est, w, at)
    assert got.shape == (len(y_est), len(at), full.shape[2])
    np.testing.assert_allclose(got, full[:, at], rtol=1e-12, atol=1e-14)
    assert np.array_equal(got[:, 0], np.zeros_like(got[:, 0]))
    with pytest.raises(ValueError, match="0..300"):
        prefix_moments(y_est, x_est, w, [301])
