"""Resampling p-values for the few-firm case (a handful of correlated miners).

Three complements to the parametric battery, all reproducible (seeded ``numpy`` Generator):

``bootstrap_skew_t``
    Skewness-adjusted bootstrap t of Hall (1992) as used by Lyon, Barber and Tsai (1999,
    sec. III.B): resample the CARs with replacement, recompute the skewness-corrected t of the
    re-centred draws, and read the two-sided p-value off the bootstrap distribution
    ``p = 2 min(P*(t* <= t), P*(t* >= t))``.
``signflip_caar``
    Randomisation (sign-flip) test of CAAR = 0: under a symmetric null each CAR_i is equally
    likely to be +/-; p = (1 + #{|CAAR*| >= |CAAR|}) / (B + 1). Assumes independent events.
``placebo_caar``
    Calendar-preserving placebo test: the same L-day window is slid over every possible offset
    of the estimation window, *with one common offset for all events*, and the pseudo-CAAR of
    the estimation residuals is recorded. Events that share calendar dates keep their
    cross-correlation, so this is the honest test when a few miners react to the same news.
    Exact enumeration (no randomness); in-sample residuals are slightly less variable than
    prediction errors (by about (M-k)/M), so it is mildly liberal for tiny M.
"""

from __future__ import annotations

import numpy as np

from pivotlib.analytics.eventstudy.stats import skewness_corrected_t


def _skew_t_rows(x: np.ndarray) -> np.ndarray:
    n = x.shape[1]
    m = x.mean(axis=1)
    sd = x.std(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = m / sd
        g = n / ((n - 1) * (n - 2)) * ((x - m[:, None]) ** 3).sum(axis=1) / sd**3
        return np.sqrt(n) * (s + g * s * s / 3.0 + g / (6.0 * n))


def bootstrap_skew_t(car: np.ndarray, n_boot: int, rng: np.random.Generator) -> tuple[float, float]:
    """Hall (1992) / Lyon-Barber-Tsai (1999) bootstrap of the skewness-corrected t.

    Returns (t, p_value). NaN when fewer than 3 finite CARs.
    """
    x = np.asarray(car, dtype=float)
    x = x[np.isfinite(x)]
    t0, _ = skewness_corrected_t(x)
    if x.size < 3 or not np.isfinite(t0):
        return float("nan"), float("nan")
    draws = x[rng.integers(0, x.size, size=(n_boot, x.size))]
    draws = draws - x.mean()  # impose the null on the bootstrap population
    return t0, two_sided_p(t0, _skew_t_rows(draws))


def two_sided_p(t0: float, tb: np.ndarray) -> float:
    """Two-sided bootstrap p of ``t0`` against the resampled statistics ``tb`` (non-finite
    draws dropped): ``min(1, 2 min(lo, hi))`` with ``lo = (1 + #{tb <= t0}) / (B + 1)`` and
    ``hi`` likewise (Davison and Hinkley 1997, eq. 4.11); NaN without a finite draw."""
    tb = tb[np.isfinite(tb)]
    if tb.size == 0:
        return float("nan")
    lo = (1 + (tb <= t0).sum()) / (tb.size + 1)
    hi = (1 + (tb >= t0).sum()) / (tb.size + 1)
    return float(min(1.0, 2 * min(lo, hi)))


def signflip_caar(car: np.ndarray, n_boot: int, rng: np.random.Generator) -> tuple[float, float]:
    """Sign-flip randomisation test of mean(CAR) = 0. Returns (CAAR, p_value)."""
    x = np.asarray(car, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 1:
        return float("nan"), float("nan")
    obs = x.mean()
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n_boot, x.size))
    null = (signs * x).mean(axis=1)
    p = (1 + (np.abs(null) >= abs(obs) - 1e-15).sum()) / (n_boot + 1)
    return float(obs), float(p)


def placebo_caar(resid_est: np.ndarray, length: int, caar: float) -> tuple[float, float, int]:
    """Common-offset placebo distribution of CAAR from the estimation residuals.

    Parameters
    ----------
    resid_est : (N, Le) estimation residuals (NaN where unused), aligned in event time.
    length : event-window length L.
    caar : the observed CAAR.

    Returns
    -------
    (caar, p_value, n_placebos). A placebo window counts an event only if all its L days
    are observed.
    """
    n, le = resid_est.shape
    if le < length or n == 0:
        return caar, float("nan"), 0
    ok = np.isfinite(resid_est)
    c = np.concatenate([np.zeros((n, 1)), np.cumsum(np.nan_to_num(resid_est), axis=1)], axis=1)
    cn = np.concatenate([np.zeros((n, 1)), np.cumsum(ok, axis=1)], axis=1)
    sums = c[:, length:] - c[:, :-length]
    full = (cn[:, length:] - cn[:, :-length]) == length
    cnt = full.sum(axis=0)
    good = cnt > 0
    null = np.where(full, sums, 0.0).sum(axis=0)[good] / cnt[good]
    if null.size == 0:
        return caar, float("nan"), 0
    p = (1 + (np.abs(null) >= abs(caar)).sum()) / (null.size + 1)
    return caar, float(p), int(null.size)
