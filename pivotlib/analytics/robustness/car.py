"""The CAR specification curve of one event, in one batched call.

Every specification of :data:`pivotlib.defaults.CAR_CURVE_GRID` (model, estimation start,
estimation end, event window, timing, masking) is the single-event CAR t-test of
:func:`pivotlib.analytics.eventstudy.run_event_study` with those options (tested to 1e-10 in
``tests/test_robustness_car.py``), but the engine's stages are shared instead of looped:

* **alignment** once per event (:func:`pivotlib.analytics.eventstudy.stages.align`); the
  "next session" timing is day 0's row plus one;
* **windows** once per event and timing, over the union of the grid's estimation windows
  (earliest start to latest end) and event windows; a specification's own estimation window
  (and the masking of other events) is a validity mask on that union;
* **estimation**: one running sum of the regression moments per (event, timing, masking)
  (:mod:`pivotlib.analytics.eventstudy.moments`); each estimation window's sums are a
  difference of two of its rows, and one batched solve per model fits every (event, timing,
  estimation window, masking) combination: the same normal equations, hence the same numbers,
  as :func:`pivotlib.analytics.eventstudy.models.fit_vectorized` on the specification's own
  window, without forming each window's residuals;
* **abnormal returns**: the event windows are column subsets of the union window's ARs
  (:func:`pivotlib.analytics.eventstudy.stages.car_stats` on each subset).

The test of a specification is the CAR t-test, t = CAR / (sigma sqrt(L2)) with df = M - k
(MacKinlay 1997, eq. 13-15; the suite's one-event headline test), and its interval CAR +-
t_{0.975, M - k} sigma sqrt(L2).

Null curves (Simonsohn, Simmons and Nelson 2020, "inferential specification curve"): the whole
grid on placebo day 0s, sessions of the stock's own history drawn with a fixed seed at least
:data:`pivotlib.defaults.CAR_PLACEBO_BUFFER` sessions (beyond the widest window) from any of its
catalogued events; the placebo events run through the same batched call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import stdtrit

from pivotlib.analytics.eventstudy.models import MODELS
from pivotlib.analytics.eventstudy.moments import (
    fit_from_sums,
    prefix_moments,
    sub_channels,
    window_sums,
)
from pivotlib.analytics.eventstudy.stages import (
    Alignment,
    _check_window,
    align,
    car_stats,
    other_cover,
    regressors_of,
)
from pivotlib.analytics.robustness.core import SpecCurve, curve_frame, grid_specs
from pivotlib.defaults import (
    ALPHA,
    CAR_CURVE_GRID,
    CAR_PLACEBO_BUFFER,
    ESTIMATION_WINDOW,
    EVENT_FACTORS,
    EVENT_MODEL,
    EVENT_WINDOW,
    MARKET,
    MIN_ESTIMATION_OBS,
    ROBUST_NULL_DRAWS,
)
from pivotlib.errors import InputError

CHOICES: tuple[str, ...] = tuple(CAR_CURVE_GRID)
"""The choice columns of a CAR curve frame."""
TIMING_SHIFT = {"catalogued": 0, "next": 1}
"""Sessions day 0 moves under each timing choice."""
_MAX_BYTES = 96_000_000
"""Memory bound of one batch of events: the moments of their union estimation windows (built
one running sum at a time) and the running sums kept (one per timing and masked window, at the
estimation windows' ends), 8 bytes each; the default grid's 201 events (the event and 200
placebo dates) fit in one batch."""


def car_grid(headline: Mapping[str, Any] | None = None,
             grid: Mapping[str, Sequence[Any]] | None = None) -> dict[str, tuple]:
    """The CAR grid with the headline's own choices added where missing.

    Parameters
    ----------
    headline : mapping, optional
        The headline specification (choice -> value); default :func:`headline_spec`.
    grid : mapping, optional
        Choice -> values; default :data:`pivotlib.defaults.CAR_CURVE_GRID`.
    """
    g = {k: tuple(v) for k, v in (CAR_CURVE_GRID if grid is None else grid).items()}
    unknown = [k for k in g if k not in CHOICES]
    if unknown:
        raise InputError(f"unknown CAR curve choice(s) {unknown}; use {list(CHOICES)}")
    for k in CHOICES:
        g.setdefault(k, (CAR_CURVE_GRID[k][0],))
    head = headline_spec() if headline is None else dict(headline)
    for k, v in head.items():
        if k in g and not any(_eq(v, x) for x in g[k]):
            g[k] = (v, *g[k])
    g["window"] = tuple(tuple(int(x) for x in w) for w in g["window"])
    for m in g["model"]:
        if m not in MODELS:
            raise InputError(f"unknown model {m!r} in the CAR grid; use one of {MODELS}")
    for t in g["timing"]:
        if t not in TIMING_SHIFT:
            raise InputError(f"unknown timing {t!r} in the CAR grid; use {list(TIMING_SHIFT)}")
    for w in g["window"]:
        _check_window("window", w)
    for e in g["est_end"]:
        if e >= min(w[0] for w in g["window"]):
            raise InputError(f"est_end={e} reaches into the event window "
                             f"{min(g['window'])}; end the estimation before the earliest "
                             "event window")
    for s in g["est_start"]:
        if s > min(g["est_end"]):
            raise InputError(f"est_start={s} is after est_end={min(g['est_end'])}")
    return g


def headline_spec(model: str = EVENT_MODEL, estimation: Sequence[int] = ESTIMATION_WINDOW,
                  window: Sequence[int] = EVENT_WINDOW) -> dict[str, Any]:
    """The headline's choices: the study's model and windows, catalogued timing, masking on."""
    return {"model": model, "est_start": int(estimation[0]), "est_end": int(estimation[1]),
            "window": (int(window[0]), int(window[1])), "timing": "catalogued", "mask": True}


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return tuple(a) == tuple(b)
    return bool(a == b)


def car_curve_arrays(al: Alignment, day0: np.ndarray, col: np.ndarray,
                     specs: Sequence[Mapping[str, Any]], *, market: str = MARKET,
                     factors: Sequence[str] = EVENT_FACTORS, min_est: int = MIN_ESTIMATION_OBS,
                     sigma_ddof: int | None = None, exclude: Sequence[str] = (),
                     inside: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every specification for every event day 0, batched by model (the engine of the curve).

    Parameters
    ----------
    al : Alignment
        Stage 1 of the engine (returns, other events) from
        :func:`pivotlib.analytics.eventstudy.stages.align`.
    day0, col : (E,) int arrays
        Day-0 rows (catalogued timing) and stock columns of the events.
    specs : sequence of dict
        Specifications (choices of :data:`CHOICES`).
    market, factors : str, sequence of str
        Regressors of the ``market``/``market_adjusted`` and ``factors`` models.
    min_est, sigma_ddof
        As :func:`pivotlib.analytics.eventstudy.run_event_study`.
    exclude : sequence of str
        Event ids not masked (the studied event itself).
    inside : (E,) bool array, optional
        Whether each event date lies inside the data (default: all).

    Returns
    -------
    dict of (E, S) arrays
        ``estimate`` (CAR), ``ci_low``, ``ci_high``, ``p``, ``n`` (estimation sessions M),
        ``t``, and ``status`` (object: "ok" or why the specification could not run).
    """
    E, S = len(day0), len(specs)
    n_rows = al.n_rows
    out = {k: np.full((E, S), np.nan) for k in ("estimate", "ci_low", "ci_high", "p", "n", "t")}
    status = np.full((E, S), "ok", dtype=object)
    if not E or not S:
        out["status"] = status
        return out
    inside = np.ones(E, dtype=bool) if inside is None else np.asarray(inside, dtype=bool)
    E0 = min(int(s["est_start"]) for s in specs)
    E1 = max(int(s["est_end"]) for s in specs)
    W0 = min(int(s["window"][0]) for s in specs)
    W1 = max(int(s["window"][1]) for s in specs)
    LE, LW = E1 - E0 + 1, W1 - W0 + 1
    padl, padr = max(-E0, -W0, 0) + 2, max(W1, E1, 0) + 3
    ATp = np.pad(al.AT, ((0, 0), (padl, padr)), constant_values=np.nan)
    win_est = sliding_window_view(ATp, LE, axis=1)
    win_evt = sliding_window_view(ATp, LW, axis=1)
    evt_off = np.arange(W0, W1 + 1)
    timings = sorted({TIMING_SHIFT[s["timing"]] for s in specs})
    mask_windows = sorted({tuple(s["window"]) for s in specs if s["mask"]})
    covers = {}
    for w in mask_windows:
        cov = other_cover(al, w, exclude)
        covers[w] = None if cov is None else sliding_window_view(
            np.pad(cov[:, :n_rows], ((0, 0), (padl, padr))), LE, axis=1)
    fv = np.where(col >= 0, al.first_valid[np.maximum(col, 0)], n_rows)

    # pre-fit status of every (event, spec): the engine's screen, per specification
    for j, s in enumerate(specs):
        d = day0 + TIMING_SHIFT[s["timing"]]
        lo = min(int(s["est_start"]), int(s["window"][0]))
        hi = max(int(s["est_end"]), int(s["window"][1]))
        st = status[:, j]
        st[(d + hi >= n_rows) | (d + lo < 0)] = "window runs off the data"
        st[fv > d] = "not listed yet"
        st[~inside | (day0 < 0) | (d >= n_rows)] = "event date outside data"
        st[col < 0] = "symbol not in returns"

    by_model: dict[str, list[int]] = {}
    for j, s in enumerate(specs):
        by_model.setdefault(s["model"], []).append(j)
    # every model's regressors are a subset of their union: one running sum of the union's
    # moments serves each model whose validity mask is the same (the usual case: market and
    # bitcoin both present on the stock's sessions)
    regs_of = {m: regressors_of(m, market, factors, al.r.columns) for m in by_model}
    union = list(dict.fromkeys(r for m in by_model for r in regs_of[m]))
    uc = al.r.columns.get_indexer(union).astype(np.int64)
    plan = {}
    for model, cols in by_model.items():
        # fits of this model: (timing, est_start, est_end, masked window or None)
        keys: dict[tuple, int] = {}
        spec_key = {}
        for j in cols:
            s = specs[j]
            key = (TIMING_SHIFT[s["timing"]], int(s["est_start"]), int(s["est_end"]),
                   tuple(s["window"]) if s["mask"] else None)
            spec_key[j] = keys.setdefault(key, len(keys))
        idx = [union.index(r) for r in regs_of[model]]
        plan[model] = (cols, spec_key, list(keys), idx, sub_channels(len(union), idx))
    # the running sums are needed only where an estimation window starts or ends
    at = sorted({b for v in plan.values() for (_t, s0, s1, _mw) in v[2]
                 for b in (s0 - E0, s1 - E0 + 1)})
    at_ix = {b: i for i, b in enumerate(at)}
    n_moments = 3 + 2 * len(union) + len(union) * (len(union) + 1) // 2
    n_prefix = len(timings) * (len(mask_windows) + 1)
    chunk = max(1, _MAX_BYTES // (8 * n_moments * (n_prefix * len(at) + 2 * LE)))
    for a in range(0, E, chunk):
        ev = np.arange(a, min(E, a + chunk))
        n = len(ev)
        c = np.maximum(col[ev], 0)
        # per timing: the union windows; per (timing, masked window, validity): one running
        # sum of the moments, so each fit's estimation sums are a difference of two rows
        # (pivotlib.analytics.eventstudy.moments; same numbers as fit_vectorized)
        base: dict[int, tuple[np.ndarray, ...]] = {}
        for t in timings:
            d = np.clip(day0[ev] + t, 0, n_rows - 1) + padl
            y_e = win_est[c, d + E0]
            x_e = (np.stack([win_est[j, d + E0] for j in uc], axis=2) if len(uc)
                   else np.zeros((n, LE, 0)))
            y_v = win_evt[c, d + W0]
            x_v = (np.stack([win_evt[j, d + W0] for j in uc], axis=2) if len(uc)
                   else np.zeros((n, LW, 0)))
            base[t] = (y_e, x_e, np.isfinite(y_e), np.isfinite(x_e), y_v, x_v, d)
        prefix: dict[tuple, list[tuple[np.ndarray, np.ndarray]]] = {}
        for model, (cols, spec_key, klist, idx, chans) in plan.items():
            sums_list = []
            fins = {t: base[t][2] & base[t][3][..., idx].all(axis=2) for t in timings}
            for (t, s0, s1, mw) in klist:
                y_e, x_e, _fy, _fx, _y_v, _x_v, d = base[t]
                fin = fins[t]
                cached = prefix.setdefault((t, mw), [])
                pre = next((pm for f, pm in cached if f is fin or np.array_equal(f, fin)),
                           None)
                if pre is None:
                    w = fin
                    if mw is not None and covers[mw] is not None:
                        w = fin & (covers[mw][c, d + E0] == 0)
                    pre = prefix_moments(y_e, x_e, w, at)
                    cached.append((fin, pre))
                sums_list.append(window_sums(pre, at_ix[s0 - E0], at_ix[s1 - E0 + 1])[:, chans])
            sums = np.concatenate(sums_list)
            y_evt = np.concatenate([base[key[0]][4] for key in klist])
            x_evt = np.concatenate([base[key[0]][5][..., idx] for key in klist])
            m_evt = np.isfinite(y_evt) & np.isfinite(x_evt).all(axis=2)
            fit = fit_from_sums(sums, len(idx), y_evt, x_evt, m_evt, model, sigma_ddof)
            # the CAR test of every specification of this model, one call per event window
            # (the specifications sharing a window stacked along the rows)
            by_window: dict[tuple[int, int], list[int]] = {}
            for j in cols:
                by_window.setdefault(tuple(specs[j]["window"]), []).append(j)
            for (w0, w1), js in by_window.items():
                sel = (evt_off >= w0) & (evt_off <= w1)
                rows = np.concatenate([np.arange(spec_key[j] * n, (spec_key[j] + 1) * n)
                                       for j in js])
                sub = replace(fit, ar=fit.ar[rows][:, sel], c_evt=fit.c_evt[rows][:, sel],
                              sigma=fit.sigma[rows], n_est=fit.n_est[rows], sse=fit.sse[rows],
                              sst=fit.sst[rows], var_car_corr=fit.var_car_corr[rows])
                cs = car_stats(sub, y_evt[rows][:, sel], m_evt[rows][:, sel], model)
                with np.errstate(invalid="ignore", divide="ignore"):
                    half = stdtrit(np.maximum(cs["car_df"], 1), 1 - ALPHA / 2) * (
                        sub.sigma * np.sqrt(cs["l2"]))
                    bad = ((sub.n_est < min_est) | ~(sub.sst > 0) | ~(sub.sigma > 0)
                           | fit.singular[rows] | (cs["l2"] == 0) | (sub.n_est - fit.k <= 2))
                cell = np.ix_(ev, js)
                st = status[cell].T.ravel()  # (spec, event) order, as the rows
                why = np.where(sub.n_est < min_est, f"too few observations (< {min_est})",
                               np.where(cs["l2"] == 0, "no valid returns in the event window",
                                        "constant or collinear returns"))
                st = np.where((st == "ok") & bad, why, st)
                status[cell] = st.reshape(len(js), n).T
                good = st == "ok"
                for name, vals in (("estimate", cs["car"]), ("p", cs["car_p"]),
                                   ("t", cs["car_t"]), ("n", sub.n_est.astype(float)),
                                   ("ci_low", cs["car"] - half), ("ci_high", cs["car"] + half)):
                    out[name][cell] = np.where(good, vals, np.nan).reshape(len(js), n).T
    out["status"] = status
    return out


def placebo_days(al: Alignment, col: int, specs: Sequence[Mapping[str, Any]],
                 headline: Mapping[str, Any], n: int, seed: int = 0,
                 buffer: int = CAR_PLACEBO_BUFFER) -> np.ndarray:
    """Placebo day-0 rows of one stock for the curve's null, drawn with a fixed seed.

    Eligible: sessions where the headline specification fits inside the stock's data (after
    its first return, every window inside the data, the "next session" too), at least
    ``buffer`` sessions beyond the widest event window from any catalogued event of the stock
    (the studied one included). Sessions with room for the grid's longest estimation window are
    preferred when there are at least ``n`` of them.
    """
    n_rows = al.n_rows
    fv = int(al.first_valid[col])
    E0 = min(int(s["est_start"]) for s in specs)
    W0 = min(int(s["window"][0]) for s in specs)
    W1 = max(int(s["window"][1]) for s in specs)
    rows = np.arange(n_rows)
    room = rows + 1 + W1 < n_rows
    head_ok = room & (rows + min(int(headline["est_start"]), W0) >= fv)
    cat = al.ap_pos[al.ap_col == col]
    reach = buffer + max(abs(W0), abs(W1)) + 1
    away = np.ones(n_rows, dtype=bool)
    for q in cat:
        away[max(q - reach, 0):q + reach + 1] = False
    full = head_ok & away & (rows + E0 >= fv)
    pool = np.flatnonzero(full) if full.sum() >= n else np.flatnonzero(head_ok & away)
    if not len(pool):
        return pool
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(pool, size=min(n, len(pool)), replace=False))


def car_curve(returns: pd.DataFrame, event: pd.DataFrame, *,
              other_events: pd.DataFrame | None = None, market: str = MARKET,
              factors: Sequence[str] = EVENT_FACTORS,
              headline: Mapping[str, Any] | None = None,
              grid: Mapping[str, Sequence[Any]] | None = None,
              n_null: int = ROBUST_NULL_DRAWS, seed: int = 0,
              min_est: int = MIN_ESTIMATION_OBS, sigma_ddof: int | None = None,
              nontrading: str = "next") -> SpecCurve:
    """The specification curve of one event's CAR, with placebo null curves.

    Parameters
    ----------
    returns : DataFrame
        Wide daily returns holding the stock and every regressor of the grid's models.
    event : DataFrame
        One row: ``event_id``, ``symbol``, ``event_date`` (as for ``run_event_study``).
    other_events : DataFrame, optional
        Further events (the catalog) for masking and for keeping placebo dates away.
    market, factors
        Regressors of the market models and of the ``factors`` model.
    headline : mapping, optional
        The headline's choices (default :func:`headline_spec`); marked in the frame and added
        to the grid when missing.
    grid : mapping, optional
        Choice -> values (default :data:`pivotlib.defaults.CAR_CURVE_GRID`).
    n_null : int
        Placebo day 0s behind the joint test (0: no joint test).
    seed : int
        Seed of the placebo draw.
    min_est, sigma_ddof, nontrading
        As :func:`pivotlib.analytics.eventstudy.run_event_study`.

    Returns
    -------
    SpecCurve
        Frame with one row per specification (choices, ``estimate`` = CAR, 95% interval, p of
        the CAR t-test, ``n`` = estimation sessions, ``status``, ``is_headline``), its summary
        and the null curves.
    """
    if not isinstance(event, pd.DataFrame) or len(event) != 1:
        raise InputError("car_curve studies one event: pass a one-row events frame "
                         "(event_id, symbol, event_date)")
    head = headline_spec() if headline is None else {**headline_spec(), **dict(headline)}
    head["window"] = tuple(int(x) for x in head["window"])
    g = car_grid(head, grid)
    specs = grid_specs(g)
    al = align(returns, event, nontrading=nontrading, other_events=other_events)
    eid = str(al.ev["event_id"].iloc[0])
    kw = dict(market=market, factors=factors, min_est=min_est, sigma_ddof=sigma_ddof)
    obs = car_curve_arrays(al, al.pos, al.col_idx, specs, exclude=(eid,), inside=al.inside,
                           **kw)
    frame = pd.DataFrame(specs)
    frame["window"] = [tuple(w) for w in frame["window"]]
    for k in ("estimate", "ci_low", "ci_high", "p", "n"):
        frame[k] = obs[k][0]
    frame["status"] = obs["status"][0]
    frame = curve_frame(frame, list(g), head)
    null_e = null_p = None
    notes: list[str] = []
    if n_null and al.col_idx[0] >= 0:
        days = placebo_days(al, int(al.col_idx[0]), specs, head, int(n_null), seed)
        if len(days):
            nul = car_curve_arrays(al, days, np.full(len(days), al.col_idx[0]), specs, **kw)
            null_e, null_p = nul["estimate"], nul["p"]
        if len(days) < n_null:
            notes.append(f"CAR curve of {eid}: {len(days)} placebo dates instead of {n_null} "
                         "(the stock's history away from its catalogued events is short)"
                         + ("; no joint test" if not len(days) else "")
                         + ". Load more history of the stock for a full null.")
    frame.attrs["notes"] = notes
    return SpecCurve.build(frame, list(g), estimand=f"CAR of {eid}", null_estimates=null_e,
                           null_pvalues=null_p, fmt=lambda v: f"{v:+.2%}", percent=True)
