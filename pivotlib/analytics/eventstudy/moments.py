"""Normal-return fits from window moments: many estimation windows of one stack, cheaply.

A specification curve fits the same stock on many estimation windows that differ only in
where they start and end and in which days are masked (other events). The least-squares fit
of :func:`pivotlib.analytics.eventstudy.models.fit_vectorized` depends on the estimation
window only through its sums

    M = sum w_t,  S_y = sum w_t y_t,  S_x = sum w_t x_t,  S_yy = sum w_t y_t^2,
    S_xy = sum w_t x_t y_t,  S_xx = sum w_t x_t x_t'      (w_t = 1 on a valid, unmasked day)

(the normal equations; e.g. Greene, *Econometric Analysis*, 8th ed., sec. 3.2), so one running
(prefix) sum per validity mask gives every window's sums as a difference of two rows:
:func:`prefix_moments` then :func:`window_sums`, and :func:`fit_from_sums` solves them. The
centred forms are

    S_xx^c = S_xx - M xbar xbar',  S_xy^c = S_xy - M xbar ybar,  SST = S_yy - M ybar^2,
    b = (S_xx^c)^{-1} S_xy^c,  a = ybar - xbar' b,  SSE = SST - b' S_xy^c

(``market_adjusted``: SSE = S_yy - 2 S_xy + S_xx over the market, nothing estimated;
``constant_mean``: SSE = SST). Every field of the :class:`~.models.Fit` equals
:func:`~.models.fit_vectorized` on the same windows (tested to 1e-10 in
``tests/test_eventstudy_moments.py``) except ``resid_est``, which is not formed (an empty
``(N, 0)`` array): the specification curve needs the CAR test only, not the residual series.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pivotlib.analytics.eventstudy.models import (
    Fit,
    finish_fit,
    market_adjusted_fit,
    n_params,
    solve_normal,
)


def _channels(p: int) -> dict[str, int]:
    """Column of each moment in the prefix array (``xx`` pairs in upper-triangle order)."""
    names = ["w", "y", "yy", *[f"x{i}" for i in range(p)], *[f"xy{i}" for i in range(p)],
             *[f"xx{i}{j}" for i in range(p) for j in range(i, p)]]
    return {n: c for c, n in enumerate(names)}


def prefix_moments(y: np.ndarray, x: np.ndarray, w: np.ndarray,
                   at: Sequence[int] | None = None) -> np.ndarray:
    """Running sums of the moments over a window axis, at the positions ``at``.

    Parameters
    ----------
    y : (N, L) array
        Stock returns.
    x : (N, L, p) array
        Regressors.
    w : (N, L) bool array
        Valid (finite, unmasked) days.
    at : sequence of int, optional
        Positions (0 .. L) where the running sums are wanted (default: every position). A
        specification grid needs only its estimation windows' ends: the sums are then taken
        segment by segment between those positions (``numpy.add.reduceat``), a tenth of the
        cost of a running sum over every day.

    Returns
    -------
    (N, len(at), C) array
        Entry ``[:, j]`` holds the sums over days ``0 .. at[j] - 1`` (zero at position 0), in
        the order of the module's channels (``w, y, yy, x_j, xy_j, xx_jk``).
    """
    n, L = y.shape
    p = x.shape[2]
    pos = np.arange(L + 1) if at is None else np.asarray(at, dtype=np.int64)
    if pos.size and (pos.min() < 0 or pos.max() > L):
        raise ValueError(f"positions must lie in 0..{L}")
    y0 = np.where(w, y, 0.0)
    x0 = np.where(w[..., None], x, 0.0)
    cols = [w.astype(float), y0, y0 * y0]
    cols += [x0[..., i] for i in range(p)]
    cols += [x0[..., i] * y0 for i in range(p)]
    cols += [x0[..., i] * x0[..., j] for i in range(p) for j in range(i, p)]
    m = np.stack(cols, axis=0)  # (C, N, L): each channel contiguous along the days
    cuts = np.unique(np.concatenate([[0], pos[pos < L]])) if L else np.zeros(0, np.int64)
    running = np.zeros((len(cols), n, len(cuts) + 1))
    if L:
        np.cumsum(np.add.reduceat(m, cuts, axis=2), axis=2, out=running[:, :, 1:])
    # running[..., k] = sums over days before cuts[k] (k < len(cuts)), the last = all L days
    where = np.searchsorted(cuts, pos)
    where[pos == L] = len(cuts)
    return np.ascontiguousarray(running[:, :, where].transpose(1, 2, 0))


def sub_channels(p: int, idx: list[int]) -> np.ndarray:
    """Columns of a ``p``-regressor moment array that form the moments of the regressors
    ``idx`` (in that order), laid out as :func:`prefix_moments` lays out ``len(idx)``
    regressors: a fit on a subset of the regressors reuses the larger running sum."""
    full = _channels(p)
    names = ["w", "y", "yy", *[f"x{i}" for i in idx], *[f"xy{i}" for i in idx]]
    for a_, i in enumerate(idx):
        for j in idx[a_:]:
            names.append(f"xx{min(i, j)}{max(i, j)}")
    return np.array([full[n] for n in names], dtype=np.int64)


def window_sums(prefix: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Sums over window days ``at[start] .. at[stop] - 1`` from :func:`prefix_moments` (with
    the default ``at``, days ``start .. stop - 1``): (N, C)."""
    return prefix[:, stop] - prefix[:, start]


def fit_from_sums(sums: np.ndarray, p: int, y_evt: np.ndarray, x_evt: np.ndarray,
                  mask_evt: np.ndarray, model: str, ddof: int | None = None) -> Fit:
    """Fit every row's normal-return model from its estimation-window sums.

    Parameters
    ----------
    sums : (N, C) array
        Window sums (:func:`window_sums`) of ``p`` regressors.
    p : int
        Number of regressors (``market_adjusted``: the market only).
    y_evt, x_evt, mask_evt : arrays (N, L), (N, L, p), (N, L)
        The event windows, as for :func:`~.models.fit_vectorized`.
    model : str
        One of :data:`~.models.MODELS`.
    ddof : int, optional
        Residual degrees-of-freedom correction; default ``k``.

    Returns
    -------
    Fit
        As :func:`~.models.fit_vectorized`, with an empty ``resid_est``.
    """
    ch = _channels(p)
    n = sums.shape[0]
    k = n_params(model, p)
    ddof = k if ddof is None else int(ddof)
    m = sums[:, ch["w"]]
    msafe = np.where(m > 0, m, 1.0)
    ybar = sums[:, ch["y"]] / msafe
    sst = np.maximum(sums[:, ch["yy"]] - m * ybar * ybar, 0.0)
    no_resid = np.zeros((n, 0))
    if model == "market_adjusted":
        sse = np.maximum(sums[:, ch["yy"]] - 2 * sums[:, ch["xy0"]] + sums[:, ch["xx00"]], 0.0)
        return market_adjusted_fit(sse, m, k, ddof, no_resid, y_evt, x_evt, mask_evt, sst)
    if not p:
        return finish_fit(sst, m, k, ddof, no_resid, y_evt, x_evt, mask_evt, sst, ybar, None,
                          None, None, None, None)
    xbar = np.stack([sums[:, ch[f"x{i}"]] for i in range(p)], axis=1) / msafe[:, None]
    sxy = np.stack([sums[:, ch[f"xy{i}"]] for i in range(p)], axis=1) - (
        m[:, None] * xbar * ybar[:, None])
    raw = np.empty((n, p, p))
    for i in range(p):
        for j in range(i, p):
            raw[:, i, j] = raw[:, j, i] = sums[:, ch[f"xx{i}{j}"]]
    sxx = raw - m[:, None, None] * xbar[:, :, None] * xbar[:, None, :]
    singular, sxx_inv, b, a = solve_normal(sxx, sxy, np.einsum("npp->np", raw), xbar, ybar)
    sse = np.maximum(sst - np.einsum("np,np->n", b, sxy), 0.0)
    return finish_fit(sse, m, k, ddof, no_resid, y_evt, x_evt, mask_evt, sst, ybar, xbar, a, b,
                      sxx_inv, singular)
