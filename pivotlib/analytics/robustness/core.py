"""Specification curves: how a headline estimate holds up under other reasonable choices.

Method (Simonsohn, Simmons and Nelson 2020, "Specification curve analysis", Nature Human
Behaviour 4, 1208-1214): run every combination of reasonable analytic choices, sort the
estimates (the curve), and ask three questions of the whole curve against curves computed
under the null hypothesis of no effect (their "inferential specification curve"):

1. the median estimate across specifications;
2. the number of specifications significant at ``alpha`` in the dominant direction;
3. the mean of the specifications' Stouffer Z, sum_s Z_s / S, with Z_s = Phi^-1(1 - p_s / 2)
   signed by the estimate (a one-number aggregate of the curve's evidence).

For each statistic T the joint p-value is (1 + #{b : T_b >= T_obs}) / (1 + B) over B null curves
(Davison and Hinkley 1997, eq. 4.11; the +1 keeps a permutation p above 0). The null curves
come from the study: placebo event dates for a CAR, cohort-label permutations for a DiD,
placebo split dates for a pivot score. Statistic 1 and 3 are compared in absolute value, and
statistic 2 takes each null curve's own dominant direction (conservative: a null curve is
never penalised for pointing the other way). The curve's ``joint_p`` is the largest of the
three p-values (a curve is called robust only if all three agree).

This module is engine-agnostic: a study produces the frame (one row per specification) and,
optionally, null curves as arrays; :func:`summarize_curve` and :class:`SpecCurve` do the rest.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri  # not scipy.stats: ~0.6 s of import in every report kernel

from pivotlib.defaults import ALPHA, ROBUST_MIN_SAME_SIGN
from pivotlib.errors import InputError

RESULT_COLUMNS: tuple[str, ...] = ("estimate", "ci_low", "ci_high", "p", "n")
"""Numeric columns of a curve frame, after the choice columns (``is_headline`` last)."""


def grid_specs(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of a grid of choices, in a deterministic order.

    Parameters
    ----------
    grid : mapping of str to sequence
        Choice name -> the reasonable values (the first value is listed first).

    Returns
    -------
    list of dict
        One dict per specification, keys in the grid's order (the product's last key varies
        fastest).
    """
    if not grid:
        raise InputError("a specification grid needs at least one choice; pass e.g. "
                         "{'window': [(-1, 1), (0, 2)]}")
    names = list(grid)
    for name in names:
        if len(grid[name]) == 0:
            raise InputError(f"choice {name!r} of the specification grid has no values; "
                             "give at least one")
    return [dict(zip(names, combo, strict=True)) for combo in product(*(grid[n] for n in names))]


def run_curve(run_spec: Callable[[dict[str, Any]], Mapping[str, float]],
              grid: Mapping[str, Sequence[Any]], headline: Mapping[str, Any]) -> pd.DataFrame:
    """Run a study once per specification (the generic, looped path).

    Studies with a batched engine build the same frame directly; this loop is the reference
    they are checked against and the path for studies without one.

    Parameters
    ----------
    run_spec : callable
        Takes one specification (a dict of choices) and returns a mapping with ``estimate``,
        ``ci_low``, ``ci_high``, ``p`` and ``n``; a specification that cannot run returns NaNs
        (or raises :class:`pivotlib.errors.PivotError`, recorded as NaN with its message in
        ``status``).
    grid : mapping
        The choices (see :func:`grid_specs`).
    headline : mapping
        The headline's own specification (one value per choice).

    Returns
    -------
    DataFrame
        The curve frame (see :func:`curve_frame`).
    """
    from pivotlib.errors import PivotError

    rows = []
    for spec in grid_specs(grid):
        try:
            out = dict(run_spec(spec))
            out.setdefault("status", "ok")
        except PivotError as exc:
            out = {"status": str(exc)}
        rows.append({**spec, **out})
    return curve_frame(pd.DataFrame(rows), list(grid), headline)


def curve_frame(frame: pd.DataFrame, choices: Sequence[str],
                headline: Mapping[str, Any]) -> pd.DataFrame:
    """Normalise a curve frame: choice columns, result columns, ``status``, ``is_headline``.

    Parameters
    ----------
    frame : DataFrame
        One row per specification with the choice columns and the result columns.
    choices : sequence of str
        Names of the choice columns.
    headline : mapping
        The headline specification; the row whose choices equal it gets ``is_headline``.

    Returns
    -------
    DataFrame
        Columns ``*choices, estimate, ci_low, ci_high, p, n, status, is_headline``, in the
        input's order, index 0..S-1.
    """
    missing = [c for c in choices if c not in frame.columns]
    if missing:
        raise InputError(f"curve frame lacks choice column(s) {missing}")
    out = frame.copy()
    for col in RESULT_COLUMNS:
        if col not in out.columns:
            out[col] = np.nan
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    if "status" not in out.columns:
        out["status"] = np.where(out["estimate"].notna(), "ok", "no estimate")
    out["status"] = out["status"].fillna("ok").astype(str)
    head = np.ones(len(out), dtype=bool)
    for c in choices:
        if c in headline:
            head &= np.array([_same(v, headline[c]) for v in out[c].tolist()], dtype=bool)
    out["is_headline"] = head
    return out[[*choices, *RESULT_COLUMNS, "status", "is_headline"]].reset_index(drop=True)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        try:
            return tuple(a) == tuple(b)
        except TypeError:
            return False
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return bool(a == b)


def curve_statistics(estimates: np.ndarray, pvalues: np.ndarray, *, alpha: float = ALPHA,
                     direction: int | None = None) -> np.ndarray:
    """The three curve statistics of Simonsohn et al. (2020) for one or many curves.

    Parameters
    ----------
    estimates, pvalues : ndarray, shape (S,) or (B, S)
        Estimates and two-sided p-values of S specifications (NaN = did not run; ignored).
    alpha : float
        Significance level.
    direction : {1, -1}, optional
        Direction counted by statistic 2; default each curve's own dominant direction (the
        sign of its median).

    Returns
    -------
    ndarray, shape (3,) or (B, 3)
        ``|median estimate|``, share of run specifications significant in the direction,
        ``|mean signed Stouffer Z|``.
    """
    est = np.atleast_2d(np.asarray(estimates, dtype=float))
    p = np.atleast_2d(np.asarray(pvalues, dtype=float))
    if est.shape != p.shape:
        raise InputError(f"estimates {est.shape} and p-values {p.shape} differ in shape")
    ok = np.isfinite(est) & np.isfinite(p)
    n_ok = ok.sum(axis=1)
    with np.errstate(all="ignore"):
        med = np.nanmedian(np.where(ok, est, np.nan), axis=1) if est.shape[1] else np.full(len(est), np.nan)
        sign = np.sign(med) if direction is None else np.full(len(est), float(direction))
        sig_dir = ok & (p < alpha) & (np.sign(est) == sign[:, None]) & (sign[:, None] != 0)
        share = sig_dir.sum(axis=1) / np.where(n_ok > 0, n_ok, np.nan)
        # z = Phi^-1(1 - p/2) = norm.isf(p/2), written as scipy.stats computes it
        # (-ndtri(q) * 1 + 0, same bits) without importing scipy.stats
        z = (0.0 - ndtri(np.clip(p, 1e-300, 1.0) / 2.0)) * np.sign(est)
        stouffer = np.where(ok, z, 0.0).sum(axis=1) / np.where(n_ok > 0, n_ok, np.nan)
    out = np.column_stack([np.abs(med), share, np.abs(stouffer)])
    return out[0] if np.ndim(estimates) == 1 else out


@dataclass(frozen=True)
class CurveSummary:
    """What a specification curve says, in numbers and one line.

    Attributes
    ----------
    estimand : str
        What was estimated (e.g. ``"CAR[-1,+1] of APLD-2025-06-02-coreweave-leases"``).
    n_specs, n_run : int
        Specifications in the grid, and those that produced an estimate.
    headline_estimate, headline_p : float
        The headline specification's numbers (NaN when it is not in the grid or did not run).
    median : float
        Median estimate across run specifications.
    share_same_sign : float
        Share of run specifications with the headline's sign.
    share_significant : float
        Share of run specifications with p < alpha (either sign).
    share_significant_same_sign : float
        Share significant with the headline's sign.
    joint_p : float or None
        Largest of the three curve p-values (None without null curves).
    stat_p : dict
        The three p-values (``median``, ``share_significant``, ``stouffer``) and ``n_null``.
    verdict : str
        ``"robust"``, ``"fragile"`` or ``"no effect"`` (rules in :func:`verdict_of`).
    mover : str
        The choice that moves the estimate most, with its effect (see :func:`biggest_mover`).
    """

    estimand: str
    n_specs: int
    n_run: int
    headline_estimate: float
    headline_p: float
    median: float
    share_same_sign: float
    share_significant: float
    share_significant_same_sign: float
    joint_p: float | None
    stat_p: dict[str, float] = field(default_factory=dict)
    verdict: str = "fragile"
    mover: str = ""
    alpha: float = ALPHA
    percent: bool = False

    def line(self, fmt: Callable[[float], str] | None = None) -> str:
        """The one robustness line a briefing carries.

        ``fmt`` formats the median (default: percent when ``percent``, else ``+.3g``).

        Examples: ``"robust: 212 of 240 specifications significant, all positive; joint p <
        0.001"`` or ``"fragile: significant in 31% of 180 specifications; ..."``.
        """
        if fmt is None:
            fmt = (lambda v: f"{v:+.2%}") if self.percent else (lambda v: f"{v:+.3g}")
        if self.n_run == 0:
            return f"not assessed: none of {self.n_specs} specifications could run"
        sign = "positive" if (self.headline_estimate if np.isfinite(self.headline_estimate)
                              else self.median) >= 0 else "negative"
        same = ("all " + sign if self.share_same_sign >= 1.0
                else f"{self.share_same_sign:.0%} {sign}")
        nsig = int(round(self.share_significant_same_sign * self.n_run))
        jp = ("" if self.joint_p is None else
              "; joint p < 0.001" if self.joint_p < 0.001 else f"; joint p = {self.joint_p:.3f}")
        head = (f"{self.verdict}: {nsig} of {self.n_run} specifications significant "
                f"({self.share_significant_same_sign:.0%}), {same}; median {fmt(self.median)}{jp}")
        if self.n_run < self.n_specs:
            head += f" ({self.n_specs - self.n_run} could not run)"
        return head + (f"; {self.mover}" if self.mover else "")

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python record (for sidecars and the index)."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: (None if isinstance(v, float) and v != v else v) for k, v in d.items()}


def verdict_of(share_same_sign: float, share_significant_same_sign: float,
               joint_p: float | None, headline_p: float, *, alpha: float = ALPHA) -> str:
    """The one word for a curve.

    * ``"robust"``: the headline is significant, at least ``ROBUST_MIN_SAME_SIGN`` of the
      specifications share its sign, a majority are significant with that sign, and (when null
      curves exist) the joint p is below alpha;
    * ``"no effect"``: neither the headline nor the curve is significant (joint p >= alpha or,
      without null curves, fewer than alpha of the specifications significant);
    * ``"fragile"``: everything else (the answer depends on the choices).
    """
    joint_ok = joint_p is None or joint_p < alpha
    if (np.isfinite(headline_p) and headline_p < alpha and share_same_sign >= ROBUST_MIN_SAME_SIGN
            and share_significant_same_sign > 0.5 and joint_ok):
        return "robust"
    head_sig = np.isfinite(headline_p) and headline_p < alpha
    curve_sig = (joint_p < alpha) if joint_p is not None else share_significant_same_sign >= alpha
    if not head_sig and not curve_sig:
        return "no effect"
    return "fragile"


def biggest_mover(frame: pd.DataFrame, choices: Sequence[str],
                  fmt: Callable[[float], str] = lambda v: f"{v:+.3g}") -> str:
    """Name the choice that moves the estimate most, and what the headline becomes under it.

    For each choice, the headline's specification is changed in that choice alone, to each
    other value; the change with the largest absolute move of the estimate is named, e.g.
    ``"without BITF it is -0.59 (p = 0.015)"`` reads ``"borderline=excluded: -0.59 (p =
    0.015)"``.
    """
    head = frame[frame["is_headline"]]
    if head.empty or not np.isfinite(head["estimate"].iloc[0]):
        return ""
    h = head.iloc[0]
    best: tuple[float, str] = (0.0, "")
    # per choice, which rows share the headline's value (computed once, combined per choice)
    eq = {o: np.array([_same(v, h[o]) for v in frame[o].tolist()], dtype=bool)
          for o in choices}
    for c in choices:
        mask = np.ones(len(frame), dtype=bool)
        for o in choices:
            if o != c:
                mask &= eq[o]
        alt = frame[mask & ~frame["is_headline"] & frame["estimate"].notna()]
        for _, r in alt.iterrows():
            move = abs(r["estimate"] - h["estimate"])
            if move > best[0]:
                best = (move, f"most moved by {c}={_label(r[c])}: {fmt(r['estimate'])} "
                              f"(p = {r['p']:.3f})")
    return best[1]


def _label(v: Any) -> str:
    if isinstance(v, tuple | list):
        return "[" + ",".join(f"{x:+d}" if isinstance(x, int | np.integer) else str(x)
                              for x in v) + "]"
    return str(v)


def summarize_curve(frame: pd.DataFrame, choices: Sequence[str], *, estimand: str,
                    null_estimates: np.ndarray | None = None,
                    null_pvalues: np.ndarray | None = None, alpha: float = ALPHA,
                    fmt: Callable[[float], str] = lambda v: f"{v:+.3g}",
                    percent: bool = False) -> CurveSummary:
    """Summarise a curve frame and, given null curves, test it jointly.

    Parameters
    ----------
    frame : DataFrame
        A curve frame (:func:`curve_frame`).
    choices : sequence of str
        Its choice columns.
    estimand : str
        What was estimated, for the line.
    null_estimates, null_pvalues : ndarray, shape (B, S), optional
        B curves under the null, specifications in the frame's row order.
    alpha : float
        Significance level.
    fmt : callable
        Formats an estimate for the line (e.g. percent for a CAR).
    percent : bool
        The estimates are returns: the line prints the median in percent.

    Returns
    -------
    CurveSummary
    """
    est = frame["estimate"].to_numpy(float)
    p = frame["p"].to_numpy(float)
    ok = np.isfinite(est) & np.isfinite(p)
    n_run = int(ok.sum())
    head = frame[frame["is_headline"]]
    h_est = float(head["estimate"].iloc[0]) if len(head) else np.nan
    h_p = float(head["p"].iloc[0]) if len(head) else np.nan
    if n_run == 0:
        return CurveSummary(estimand, len(frame), 0, h_est, h_p, np.nan, np.nan, np.nan, np.nan,
                            None, {}, "not assessed", "", alpha, percent)
    med = float(np.median(est[ok]))
    ref_sign = np.sign(h_est) if np.isfinite(h_est) and h_est != 0 else np.sign(med) or 1.0
    same = float((np.sign(est[ok]) == ref_sign).mean())
    sig = float((p[ok] < alpha).mean())
    sig_same = float(((p[ok] < alpha) & (np.sign(est[ok]) == ref_sign)).mean())
    joint_p: float | None = None
    stat_p: dict[str, float] = {}
    if null_estimates is not None and null_pvalues is not None and len(null_estimates):
        ne = np.asarray(null_estimates, dtype=float)
        npv = np.asarray(null_pvalues, dtype=float)
        if ne.shape[1] != len(frame) or npv.shape != ne.shape:
            raise InputError(f"null curves have shape {ne.shape}/{npv.shape}; expected "
                             f"(B, {len(frame)}) for both")
        obs = curve_statistics(est, p, alpha=alpha)
        null = curve_statistics(ne, npv, alpha=alpha)
        good = np.isfinite(null).all(axis=1)
        null = null[good]
        b = len(null)
        if b:
            ps = [(1 + int((null[:, j] >= obs[j] - 1e-12).sum())) / (1 + b) for j in range(3)]
            stat_p = {"median": ps[0], "share_significant": ps[1], "stouffer": ps[2],
                      "n_null": float(b)}
            joint_p = float(max(ps))
    verdict = verdict_of(same, sig_same, joint_p, h_p, alpha=alpha)
    return CurveSummary(estimand, len(frame), n_run, h_est, h_p, med, same, sig, sig_same,
                        joint_p, stat_p, verdict, biggest_mover(frame, choices, fmt), alpha,
                        percent)


@dataclass(frozen=True)
class SpecCurve:
    """A specification curve: the frame, its choices, and its summary.

    Attributes
    ----------
    frame : DataFrame
        One row per specification (:func:`curve_frame`).
    choices : tuple of str
        The choice columns.
    summary_ : CurveSummary
        The summary (use :meth:`summary`).
    null_estimates, null_pvalues : ndarray or None
        The null curves behind the joint test.
    """

    frame: pd.DataFrame
    choices: tuple[str, ...]
    summary_: CurveSummary
    null_estimates: np.ndarray | None = None
    null_pvalues: np.ndarray | None = None

    @classmethod
    def build(cls, frame: pd.DataFrame, choices: Iterable[str], *, estimand: str,
              null_estimates: np.ndarray | None = None, null_pvalues: np.ndarray | None = None,
              alpha: float = ALPHA,
              fmt: Callable[[float], str] = lambda v: f"{v:+.3g}",
              percent: bool = False) -> SpecCurve:
        """Summarise ``frame`` and wrap it (see :func:`summarize_curve`)."""
        ch = tuple(choices)
        s = summarize_curve(frame, ch, estimand=estimand, null_estimates=null_estimates,
                            null_pvalues=null_pvalues, alpha=alpha, fmt=fmt, percent=percent)
        return cls(frame, ch, s, null_estimates, null_pvalues)

    def summary(self) -> CurveSummary:
        """The curve's summary."""
        return self.summary_

    @property
    def verdict(self) -> str:
        """``robust``, ``fragile``, ``no effect`` or ``not assessed``."""
        return self.summary_.verdict

    def line(self) -> str:
        """The robustness line (see :meth:`CurveSummary.line`)."""
        return self.summary_.line()

    def _repr_html_(self) -> str:
        s = self.summary_
        return (f"<div class='pivot-curve mathjax_ignore tex2jax_ignore'><b>Specification curve"
                f"</b> - {html.escape(s.estimand)}: {html.escape(s.line())}</div>")
