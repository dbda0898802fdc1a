r"""The specification curve of the lifeboat DiD (pivoters minus loyalists, change in downside BTC beta).

One specification is one set of the analyst's choices (:data:`pivotlib.defaults.
LIFEBOAT_CURVE_GRID`): catalog ``as_of``, the down-day ``threshold``, the sample ``end``, the
treatment of ``borderline`` miners and a ``leave_out`` firm. Each row of the curve is the
headline DiD row of :func:`pivotlib.studies.lifeboat.study_lifeboat` run with those options
(:func:`spec_options` gives them; a test checks the equality to 1e-10):

.. math:: \widehat{DiD}_s = \bar\Delta_{pivoters,s} - \bar\Delta_{loyalists,s},

with its Welch interval and the exact permutation p over cohort labels
(:func:`pivotlib.analytics.lifeboat.downside_did`).

**Shared work.** The expensive part is a firm's downside-beta change :math:`\Delta_i`, which
depends only on (firm, split date, threshold, sample end). The distinct tuples over the whole
grid are a few dozen (the split dates are the firms' own pivot dates and a handful of
loyalist dates), fitted in one batched regression per (threshold, end)
(:func:`pivotlib.analytics.lifeboat.down_changes`); each specification's DiD, interval and
permutation p are then means and a matrix product on top.

**Null curves** (the joint test of :mod:`pivotlib.analytics.robustness.core`). Under Fisher's
sharp null no firm's change depends on its cohort, so each firm keeps its own
:math:`\Delta_{i,s}` (at the split date it has under specification ``s``) and the cohort
*labels* are permuted: a null draw is one permutation :math:`\pi` of the miners, firm ``i``
takes the label (signed pivoter, borderline or loyalist, as of the specification's ``as_of``)
of firm :math:`\pi(i)`, and the *whole curve* is recomputed under that relabelling (the
borderline choice applies to the pseudo-borderline firms; the left-out firm stays out). Each
null specification's p is its own exact permutation p, as the study would report it for that
labelling. All :math:`N! - 1` relabellings are used when that is at most ``n_null`` (exact);
otherwise ``n_null`` seeded random permutations.

References
----------
Simonsohn, U., Simmons, J. P. and Nelson, L. D. (2020). Specification curve analysis. Nature
    Human Behaviour 4, 1208-1214.
Fisher, R. A. (1935). The Design of Experiments. Oliver and Boyd.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations, permutations
from typing import Any

import numpy as np
import pandas as pd

from pivotlib.analytics.lifeboat._common import check_returns, check_roles
from pivotlib.analytics.lifeboat.betas import down_changes
from pivotlib.analytics.lifeboat.cohorts import (
    BORDERLINE_CATEGORIES,
    CONTRACT_CATEGORIES,
    pivot_cohorts,
    welch_difference,
)
from pivotlib.analytics.robustness.core import SpecCurve, curve_frame, grid_specs
from pivotlib.defaults import LIFEBOAT_CURVE_GRID, ROBUST_NULL_DRAWS
from pivotlib.errors import InputError

__all__ = ["LIFEBOAT_CHOICES", "LIFEBOAT_HEADLINE", "lifeboat_curve", "lifeboat_specs",
           "resolve_end", "spec_options"]

LIFEBOAT_CHOICES: tuple[str, ...] = ("as_of", "threshold", "end", "borderline", "leave_out")
"""The choice columns of a lifeboat curve, in order."""
LIFEBOAT_HEADLINE: dict[str, Any] = {"as_of": "none", "threshold": 0.0, "end": "all",
                                     "borderline": "loyalist", "leave_out": "none"}
"""The study's default specification (what the briefing prints)."""

_P, _B, _L = 0, 1, 2  # signed pivoter, borderline, loyalist


def _as_of_label(a: Any) -> str:
    """A catalog cut-off as a frame label: ``"none"`` or ``YYYY-MM-DD``."""
    if a is None or (isinstance(a, str) and a.lower() in ("", "none")):
        return "none"
    try:
        return str(pd.Timestamp(a).date())
    except (TypeError, ValueError) as exc:
        raise InputError(f"as_of={a!r} is not a date (YYYY-MM-DD) or None") from exc


def resolve_end(label: Any, last: pd.Timestamp) -> pd.Timestamp | None:
    """Sample end of a specification: ``"all"`` -> None, ``"-6M"`` -> ``last`` minus 6 months,
    a date -> that date.

    Raises
    ------
    InputError
        An unreadable label (says which forms are accepted).
    """
    if label is None or (isinstance(label, str) and label.lower() in ("all", "none", "")):
        return None
    if isinstance(label, str) and label.startswith("-") and label[-1:].upper() == "M":
        try:
            months = int(label[1:-1])
        except ValueError:
            months = -1
        if months < 1:
            raise InputError(f"sample end {label!r}: use '-<k>M' with k >= 1, 'all' or a date")
        return (pd.Timestamp(last) - pd.DateOffset(months=months)).normalize()
    try:
        return pd.Timestamp(label).normalize()
    except (TypeError, ValueError) as exc:
        raise InputError(f"sample end {label!r} is neither 'all', '-<k>M' nor a date") from exc


def lifeboat_specs(grid: Mapping[str, Sequence[Any]] | None, miners: Sequence[str]
                   ) -> tuple[dict[str, tuple], list[dict[str, Any]]]:
    """The grid (``leave_out="each"`` expanded to ``none`` + every miner) and its specifications."""
    g = {k: tuple(v) for k, v in (LIFEBOAT_CURVE_GRID if grid is None else grid).items()}
    unknown = [k for k in g if k not in LIFEBOAT_CHOICES]
    if unknown:
        raise InputError(f"unknown lifeboat curve choice(s) {unknown}; use {list(LIFEBOAT_CHOICES)}")
    for k in LIFEBOAT_CHOICES:
        g.setdefault(k, (LIFEBOAT_HEADLINE[k],))
    lo: list[str] = []
    for v in g["leave_out"]:
        if v == "each":
            lo += ["none", *miners]
        elif v is None or v == "none":
            lo.append("none")
        elif v in miners:
            lo.append(str(v))
        else:
            raise InputError(f"leave_out={v!r} is not among the miners {list(miners)}")
    g["leave_out"] = tuple(dict.fromkeys(lo))
    g["as_of"] = tuple(_as_of_label(a) for a in g["as_of"])
    g["threshold"] = tuple(float(t) for t in g["threshold"])
    g = {k: g[k] for k in LIFEBOAT_CHOICES}
    return g, grid_specs(g)


def spec_options(spec: Mapping[str, Any], miners: Sequence[str],
                 last: pd.Timestamp) -> dict[str, Any]:
    """Keyword options of :func:`pivotlib.studies.lifeboat.study_lifeboat` for one specification.

    ``miners`` are the study's miners (those in the data); ``last`` the data's end as the curve
    saw it (``curve.frame.attrs["data_end"]``: the last session where the market and bitcoin
    both have returns; ``"-3M"`` counts back from it).
    """
    end = resolve_end(spec["end"], last)
    lo = spec["leave_out"]
    a = _as_of_label(spec["as_of"])
    return {"as_of": None if a == "none" else a, "down_threshold": float(spec["threshold"]),
            "end": None if end is None else str(end.date()),
            "borderline": spec["borderline"],
            "miners": [m for m in miners if m != lo]}


def lifeboat_curve(returns: pd.DataFrame, catalog: pd.DataFrame, miners: Sequence[str], *,
                   market: str = "SPY", btc: str = "BTC-USD",
                   grid: Mapping[str, Sequence[Any]] | None = None,
                   headline: Mapping[str, Any] | None = None, level: float = 0.95,
                   min_obs: int = 20, max_exact: int = 20000, n_perm: int = 9999,
                   seed: int = 0, n_null: int = ROBUST_NULL_DRAWS,
                   contract_categories: Sequence[str] = CONTRACT_CATEGORIES,
                   borderline_categories: Sequence[str] = BORDERLINE_CATEGORIES) -> SpecCurve:
    """Specification curve of the lifeboat DiD with its joint test (see the module docstring).

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns with the miners, ``market`` and ``btc`` (as the study loads
        them).
    catalog : DataFrame
        The event catalog (cohorts come from it).
    miners : sequence of str
        The miners (those without a column are left out with a note).
    market, btc : str
        Factor columns.
    grid : mapping, optional
        Choices (default :data:`pivotlib.defaults.LIFEBOAT_CURVE_GRID`); a choice left out is
        held at the headline's value.
    headline : mapping, optional
        The headline specification (default :data:`LIFEBOAT_HEADLINE`, the study's defaults).
    level, min_obs, max_exact, n_perm, seed
        As in :func:`pivotlib.analytics.lifeboat.downside_did`; ``seed`` also seeds the null
        relabellings.
    n_null : int
        Null curves (relabellings) behind the joint test; 0 skips the joint test.
    contract_categories, borderline_categories
        Cohort rules (:func:`pivotlib.analytics.lifeboat.pivot_cohorts`).

    Returns
    -------
    SpecCurve
        ``frame`` has the choice columns, ``estimate`` (DiD), ``ci_low``/``ci_high`` (Welch),
        ``p`` (permutation), ``n`` (firms), ``n_pivoters``, ``n_loyalists``, ``status`` and
        ``is_headline``; ``frame.attrs["notes"]`` says what was left out, ``frame.attrs["method"]``
        how the joint test was run.
    """
    returns = check_returns(returns)
    check_roles(returns, market=market, btc=btc)
    notes: list[str] = []
    have = [m for m in dict.fromkeys(str(x) for x in miners)
            if m in returns.columns and returns[m].notna().any()]
    lost = [m for m in miners if m not in have]
    if lost:
        notes.append(f"not in the data, left out of every specification: {', '.join(lost)}")
    if len(have) < 2:
        raise InputError(f"the lifeboat curve needs at least two miners in the data; have {have}")
    g, specs = lifeboat_specs(grid, have)
    head = {**LIFEBOAT_HEADLINE, **(headline or {})}
    head["as_of"] = _as_of_label(head["as_of"])
    ends = [returns[c].last_valid_index() for c in (market, btc)]
    if any(e is None for e in ends):
        raise InputError(f"{market} or {btc} has no data; load both")
    last = min(ends)  # the DiD's data end: where the market and bitcoin both still have returns
    idx_u = {m: i for i, m in enumerate(have)}
    N = len(have)

    # 1. cohorts per (as_of, end, borderline), memoised (leave-one-out: CohortArrays.drop_firm)
    frames: dict[Any, pd.DataFrame] = {}
    for e in g["end"]:
        end = resolve_end(e, last)
        frames[e] = returns if end is None else returns[returns.index <= end]
    cohorts: dict[tuple, pd.DataFrame] = {}

    def cohort(a: Any, e: Any, b: str) -> pd.DataFrame:
        key = (a, e, b)
        if key not in cohorts:
            cohorts[key] = pivot_cohorts(catalog, have, categories=contract_categories,
                                         as_of=None if a == "none" else a,
                                         sessions=frames[e].index, borderline=b,
                                         borderline_categories=borderline_categories)
        return cohorts[key]

    # 2. each spec's split date for every firm (real cohort members, and the excluded
    #    borderline firms at the loyalists' date for the null relabellings), as plain arrays
    plain: dict[tuple, tuple[list[int], np.ndarray, dict[str, Any]]] = {}
    label_of: dict[tuple, np.ndarray] = {}
    split_of: list[dict[str, Any]] = []
    labels: list[np.ndarray] = []
    members: list[tuple[list[int], np.ndarray]] = []
    bases: dict[tuple, CohortArrays] = {}
    for sp in specs:
        key = (sp["as_of"], sp["end"], sp["borderline"], sp["leave_out"])
        if key not in plain:
            bkey = key[:3]
            if bkey not in bases:
                bases[bkey] = CohortArrays.of(cohort(*bkey))
            base = bases[bkey]
            sub = base if key[3] == "none" else base.drop_firm(key[3], frames[key[1]].index)
            plain[key] = ([idx_u[m] for m in sub.names], sub.cohort == "pivoter", sub.split())
        cols, treated, split = plain[key]
        split_of.append(split)
        members.append((cols, treated))
        lkey = (sp["as_of"], sp["end"])
        if lkey not in label_of:
            base = cohort(sp["as_of"], sp["end"], "loyalist")
            lab = np.full(N, _L)
            lab[[idx_u[m] for m in base.index[base["cohort"] == "pivoter"]]] = _P
            lab[[idx_u[m] for m in base.index[base["borderline"]]]] = _B
            label_of[lkey] = lab
        labels.append(label_of[lkey])

    # 3. the downside-beta changes, one batched fit per (threshold, end)
    cache: dict[tuple, float] = {}
    for th in g["threshold"]:
        for e in g["end"]:
            keys = sorted({(m, pd.Timestamp(d)) for sp, split in zip(specs, split_of)
                           if sp["threshold"] == th and sp["end"] == e
                           for m, d in split.items() if pd.notna(d)})
            vals = down_changes(frames[e], keys, market=market, btc=btc, threshold=th,
                                min_obs=min_obs)
            cache.update({(th, e, m, d): v for (m, d), v in zip(keys, vals)})

    # 4. each spec's DiD row, exactly as downside_did computes it
    perm = dict(max_exact=max_exact, n_perm=n_perm, seed=seed)
    V = np.full((len(specs), N), np.nan)
    rows = []
    for s, (sp, split, (cols, treated)) in enumerate(zip(specs, split_of, members)):
        for m, d in split.items():
            if pd.notna(d):
                V[s, idx_u[m]] = cache[(sp["threshold"], sp["end"], m, pd.Timestamp(d))]
        r = _did_fast(V[s, cols], treated, level, perm)
        ok = np.isfinite(r.get("did", np.nan))
        status = "ok" if ok else (f"no DiD: {r['n_pivoters']} pivoters and {r['n_loyalists']} "
                                  "loyalists with an estimate")
        rows.append({**sp, "estimate": r.get("did"), "ci_low": r.get("low"),
                     "ci_high": r.get("high"), "p": r.get("perm_p"),
                     "n": r["n_pivoters"] + r["n_loyalists"], "n_pivoters": r["n_pivoters"],
                     "n_loyalists": r["n_loyalists"], "status": status})
    raw = pd.DataFrame(rows)
    frame = curve_frame(raw, LIFEBOAT_CHOICES, head)
    frame.insert(len(LIFEBOAT_CHOICES) + 5, "n_pivoters", raw["n_pivoters"].to_numpy())
    frame.insert(len(LIFEBOAT_CHOICES) + 6, "n_loyalists", raw["n_loyalists"].to_numpy())
    if not frame["is_headline"].any():
        notes.append(f"the headline specification {head} is not in the grid")

    # 5. null curves: relabel the cohorts, recompute the whole curve
    ne = npv = None
    method = "no joint test (n_null=0)"
    if n_null > 0:
        perms = _relabellings(N, n_null, seed)
        if len(perms) == 0:
            notes.append("joint test skipped: fewer than two miners to relabel")
        else:
            choice = np.array([sp["borderline"] for sp in specs])
            ne, npv = _null_curves(V, np.array(labels), choice, perms, perm)
            exact = math.factorial(N) - 1 <= n_null
            method = (f"joint test against {len(perms)} cohort relabellings "
                      + ("(all of them)" if exact else f"(seeded sample, seed {seed})"))
    curve = SpecCurve.build(frame, LIFEBOAT_CHOICES,
                            estimand="DiD of the downside BTC beta (pivoters - loyalists)",
                            null_estimates=ne, null_pvalues=npv,
                            fmt=lambda v: f"{v:+.2f}")
    curve.frame.attrs["notes"] = notes
    curve.frame.attrs["method"] = method
    curve.frame.attrs["data_end"] = last
    return curve


@dataclass(frozen=True)
class CohortArrays:
    """A :func:`~pivotlib.analytics.lifeboat.pivot_cohorts` frame as plain arrays (the curve
    derives thousands of leave-one-out cohorts; pandas costs ~2 ms per derived frame)."""

    names: list[str]
    cohort: np.ndarray  # "pivoter" / "loyalist"
    borderline: np.ndarray  # bool
    pivot_date: list[Any]  # Timestamp or NaT
    split_date: list[Any]
    excluded: list[str]
    loyalist_date: Any

    @classmethod
    def of(cls, co: pd.DataFrame) -> CohortArrays:
        return cls([str(m) for m in co.index], co["cohort"].to_numpy(object),
                   co["borderline"].to_numpy(bool), list(co["pivot_date"]),
                   list(co["split_date"]), list(co.attrs.get("excluded", [])),
                   co.attrs.get("loyalist_date", pd.NaT))

    def split(self) -> dict[str, Any]:
        """Split date of every firm: members' own, the excluded firms' at the loyalists'."""
        out = dict(zip(self.names, self.split_date))
        for m in self.excluded:
            out[m] = self.loyalist_date
        return out

    def drop_firm(self, firm: str, sessions: pd.DatetimeIndex) -> CohortArrays:
        """:func:`_drop_firm` on the arrays (equal to it, checked by a test)."""
        if firm not in self.names:
            return replace(self, excluded=[m for m in self.excluded if m != firm])
        keep = [i for i, m in enumerate(self.names) if m != firm]
        coh, bl = self.cohort[keep], self.borderline[keep]
        piv = sorted(d for d, c, b in zip((self.pivot_date[i] for i in keep), coh, bl)
                     if c == "pivoter" and not b and pd.notna(d))
        common = piv[(len(piv) - 1) // 2] if piv else pd.NaT
        if pd.notna(common) and len(sessions):
            common = sessions[min(sessions.searchsorted(common), len(sessions) - 1)]
        split = [common if c == "loyalist" else self.split_date[i] for i, c in zip(keep, coh)]
        return CohortArrays([self.names[i] for i in keep], coh, bl,
                            [self.pivot_date[i] for i in keep], split, self.excluded, common)


def _drop_firm(co: pd.DataFrame, firm: str, sessions: pd.DatetimeIndex) -> pd.DataFrame:
    """``pivot_cohorts`` without ``firm``, derived from the full cohorts (the loyalists' common
    date is recomputed when a signed pivoter leaves; equal to calling ``pivot_cohorts`` on the
    other miners, checked by a test)."""
    if firm not in co.index:
        out = co.copy()
        out.attrs = dict(co.attrs)
        out.attrs["excluded"] = [m for m in co.attrs.get("excluded", []) if m != firm]
        return out
    out = co.drop(index=firm)
    out.attrs = dict(co.attrs)
    signed = (out["cohort"] == "pivoter") & ~out["borderline"]
    piv = out.loc[signed, "pivot_date"].dropna().sort_values()
    common = piv.iloc[(len(piv) - 1) // 2] if len(piv) else pd.NaT
    if pd.notna(common) and len(sessions):
        common = sessions[min(sessions.searchsorted(common), len(sessions) - 1)]
    loy = out["cohort"] == "loyalist"
    out.loc[loy, "split_date"] = common
    out.attrs["loyalist_date"] = common
    return out


def _did_fast(v: np.ndarray, treated: np.ndarray, level: float,
              perm: Mapping[str, Any]) -> dict[str, Any]:
    """The ``actual`` row of ``downside_did`` (``_did_row``) on arrays: DiD, Welch interval,
    permutation p (same labelling matrix as ``label_permutation_p``)."""

    ok = np.isfinite(v)
    v, t = v[ok], np.asarray(treated, bool)[ok]
    piv, loy = v[t], v[~t]
    row: dict[str, Any] = {"n_pivoters": len(piv), "n_loyalists": len(loy)}
    if len(piv) < 1 or len(loy) < 1:
        return row | {"did": np.nan}
    w = welch_difference(piv, loy, level)
    did = w["did"]
    n, nt = len(v), len(piv)
    L, exact = _labelings(n, nt, int(perm["max_exact"]), int(perm["n_perm"]), int(perm["seed"]))
    if not exact:
        L = np.vstack([t.astype(float), L])
    null = L @ v / nt - (1 - L) @ v / (n - nt)
    p = float((np.abs(null) >= abs(did) - 1e-12).mean())
    return row | {"did": did, "low": w["low"], "high": w["high"], "perm_p": p}


def _relabellings(n: int, n_null: int, seed: int) -> np.ndarray:
    """All ``n! - 1`` non-identity permutations when at most ``n_null``, else a seeded sample."""
    if n < 2:
        return np.empty((0, n), dtype=int)
    if math.factorial(n) - 1 <= n_null:
        allp = np.array(list(permutations(range(n))), dtype=int)
        return allp[1:]
    rng = np.random.default_rng([seed, 18])
    return np.array([rng.permutation(n) for _ in range(n_null)], dtype=int)


_LABELINGS: dict[tuple[int, int], np.ndarray] = {}


def _labelings(n: int, nt: int, max_exact: int, n_perm: int, seed: int) -> tuple[np.ndarray, bool]:
    """The labelling matrix of :func:`pivotlib.analytics.lifeboat.label_permutation_p`."""
    if math.comb(n, nt) <= max_exact:
        key = (n, nt)
        if key not in _LABELINGS:
            L = np.zeros((math.comb(n, nt), n))
            for r, idx in enumerate(combinations(range(n), nt)):
                L[r, list(idx)] = 1.0
            _LABELINGS[key] = L
        return _LABELINGS[key], True
    rng = np.random.default_rng(seed)
    return (np.argsort(rng.random((n_perm, n)), axis=1) < nt).astype(float), False


def _null_curves(V: np.ndarray, labels: np.ndarray, choice: np.ndarray, perms: np.ndarray,
                 perm: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """DiD and permutation p of every specification under every relabelling, shape (B, S).

    Per specification, the relabellings that leave the same firms in the DiD with the same
    number of pseudo-pivoters share one permutation distribution; the distributions of all
    such groups with the same (firms, pivoters) counts are one matrix product with the
    labelling matrix of :func:`pivotlib.analytics.lifeboat.label_permutation_p`.
    """
    S, N = V.shape
    B = len(perms)
    est = np.full((B, S), np.nan)
    pv = np.full((B, S), np.nan)
    weights = np.int64(2) ** np.arange(N, dtype=np.int64)
    for s in range(S):
        pseudo = labels[s][perms]  # (B, N): firm i gets the label of firm perms[b, i]
        fin = np.isfinite(V[s])[None, :]
        if choice[s] == "excluded":
            inc = fin & (pseudo != _B)
            treated = pseudo == _P
        else:
            inc = np.broadcast_to(fin, (B, N))
            treated = (pseudo == _P) | ((pseudo == _B) & (choice[s] == "pivoter"))
        treated = treated & inc
        n_b, nt_b = inc.sum(axis=1), treated.sum(axis=1)
        v0 = np.where(np.isfinite(V[s]), V[s], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            obs = treated @ v0 / nt_b - (inc & ~treated) @ v0 / (n_b - nt_b)
        code = (inc.astype(np.int64) @ weights) * 128 + nt_b
        _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        gn, gnt = n_b[first], nt_b[first]
        for n, nt in set(zip(gn.tolist(), gnt.tolist())):
            if nt == 0 or nt == n:
                continue
            gsel = np.flatnonzero((gn == n) & (gnt == nt))
            Vg = np.stack([V[s, inc[first[g]]] for g in gsel])  # (G, n), firms in order
            L, exact = _labelings(n, nt, int(perm["max_exact"]), int(perm["n_perm"]),
                                  int(perm["seed"]))
            absnull = np.abs(Vg @ L.T / nt - Vg @ (1 - L).T / (n - nt))  # (G, C)
            draws = np.flatnonzero(np.isin(inverse, gsel))
            rows = np.searchsorted(gsel, inverse[draws])
            ge = (absnull[rows] >= np.abs(obs[draws])[:, None] - 1e-12).sum(axis=1)
            C = L.shape[0]
            est[draws, s] = obs[draws]
            pv[draws, s] = ge / C if exact else (1 + ge) / (1 + C)
    return est, pv
