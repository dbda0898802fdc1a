r"""Cohorts from the catalog and the difference-in-differences of the downside beta.

Cohorts (:func:`pivot_cohorts`)
-------------------------------
A **pivoter** is a miner with at least one signed AI/HPC contract in the catalog (categories
``ai_hosting_lease`` or ``ai_cloud_contract`` by default); its pivot date is the ``event_date``
of the first one. A **loyalist** has none (it may have announced plans, reviews or a cloud
*launch*, but signed nothing). Loyalists get one common split date: the median of the
pivoters' pivot dates (the middle date; for an even count, the earlier of the two middle dates,
so it is a real pivot date), so that "before" and "after" cover the same market for both
cohorts. ``as_of`` ignores contracts dated after it (a miner that signed later counts as a
loyalist up to that date). Both cohorts' split dates are sessions: a pivoter's pivot date
(the catalog's ``event_date``, kept as ``pivot_date``) is moved to the first session on or
after it, as the loyalists' common date is, whenever ``sessions`` are given.

**Borderline** miners (one rule, :data:`BORDERLINE_CATEGORIES`): a miner with no signed
contract (as of ``as_of``) but a catalog row of an *announced* pivot (category
``strategic_pivot``: "into AI/HPC, or away from mining", ``data/events/SCHEMA.md``) on or
before ``as_of``, e.g. Bitfarms' 2025-11-13 HPC conversion. Whether such a firm is a clean
control is a judgement call, so ``borderline`` makes it explicit: ``"loyalist"`` (the
default, and the rule before borderline existed), ``"pivoter"`` (pivot date = its first
announcement) or ``"excluded"`` (left out of the cohorts; listed in ``attrs["excluded"]``).
The loyalists' common date is the median of the *signed* pivoters' dates whatever the choice,
so the choice moves only the borderline firms.

Difference-in-differences (:func:`downside_did`)
------------------------------------------------
With :math:`\Delta_i = \beta^{-}_{i,after} - \beta^{-}_{i,before}` from
:func:`~pivotlib.analytics.lifeboat.downside_betas` at each firm's split date,

.. math:: \widehat{DiD} = \bar\Delta_{pivoters} - \bar\Delta_{loyalists},

with a Welch standard error across firms (each firm one observation, so heterogeneity across
firms is in the error) and a randomisation p-value over cohort labels: every way of choosing
``n_p`` of the ``N`` firms as "pivoters" (exact enumeration when there are at most
``max_exact`` labelings, 924 for 6 of 12; otherwise ``n_perm`` seeded draws) gives a
pseudo-DiD, computed for all labelings at once as a matrix product, and

.. math:: p = \#\{|DiD^*| \ge |\widehat{DiD}|\} / \#\{\text{labelings}\}

(the observed labeling is one of them, so ``p >= 1 / #labelings``; with equal cohorts every
labeling has a mirror image with the same ``|DiD*|``, so ``p >= 2 / C(N, N/2)``, 0.10 at 3 vs
3: :func:`permutation_p_floor`, and the table says so beside the p when it binds). The firms'
changes are held at their own split dates (Fisher's sharp null: no cohort effect on any firm).

Placebo: every split date is moved ``placebo_shift`` sessions earlier and the "after" window
is cut at the real split date, so the placebo measures only pre-pivot drift; a sizeable
placebo DiD would mean the real one picks up a trend rather than the pivot.

References
----------
Fisher, R. A. (1935). The Design of Experiments. Oliver and Boyd (randomisation inference).
Bertrand, M., Duflo, E. and Mullainathan, S. (2004). How much should we trust
    differences-in-differences estimates? Quarterly Journal of Economics 119(1), 249-275.
Ang, A., Chen, J. and Xing, Y. (2006). Downside risk. Review of Financial Studies 19(4).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pivotlib.analytics.lifeboat._common import LifeboatResult, check_returns
from pivotlib.analytics.lifeboat.betas import DownsideBetas, downside_betas
from pivotlib.errors import InputError

__all__ = ["BORDERLINE_CATEGORIES", "BORDERLINE_CHOICES", "CONTRACT_CATEGORIES", "DiDResult",
           "downside_did", "label_permutation_null", "label_permutation_p", "permutation_p_floor",
           "pivot_cohorts", "welch_difference"]

CONTRACT_CATEGORIES: tuple[str, ...] = ("ai_hosting_lease", "ai_cloud_contract")
"""Catalog categories that count as a *signed* AI/HPC contract."""
BORDERLINE_CATEGORIES: tuple[str, ...] = ("strategic_pivot",)
"""Catalog categories of an *announced* pivot: a miner with one of these (and no signed contract)
is borderline (see the module docstring)."""
BORDERLINE_CHOICES: tuple[str, ...] = ("loyalist", "pivoter", "excluded")
"""What a borderline miner can be treated as."""


def pivot_cohorts(catalog: pd.DataFrame, symbols: Sequence[str], *,
                  categories: Sequence[str] = CONTRACT_CATEGORIES, as_of: Any = None,
                  sessions: pd.DatetimeIndex | None = None, borderline: str = "loyalist",
                  borderline_categories: Sequence[str] = BORDERLINE_CATEGORIES) -> pd.DataFrame:
    """Pivoter/loyalist cohort, pivot date and split date of each symbol, from the catalog.

    Parameters
    ----------
    catalog : DataFrame
        Event catalog with ``event_id, symbol, event_date, category`` (``load_catalog()``).
    symbols : sequence of str
        The miners to classify (symbols without catalog rows are loyalists).
    categories : sequence of str
        Categories that count as a signed AI/HPC contract.
    as_of : date, optional
        Ignore contracts with an ``event_date`` after this date.
    sessions : DatetimeIndex, optional
        If given, every split date (the pivoters' own and the loyalists' common one) is moved
        to the first session on or after it.
    borderline : {"loyalist", "pivoter", "excluded"}, default "loyalist"
        Treatment of borderline miners (announced pivot, no signed contract; module doc).
    borderline_categories : sequence of str
        Categories of an announced pivot (:data:`BORDERLINE_CATEGORIES`).

    Returns
    -------
    DataFrame
        Index ``symbol``; columns ``cohort`` ('pivoter'/'loyalist'), ``pivot_date`` (NaT for
        loyalists), ``first_contract`` (event id), ``split_date`` (a session when ``sessions``
        are given), ``split_rule``, ``borderline`` (bool) and ``announced`` (first announced
        pivot's event id of a borderline firm). ``attrs``: ``loyalist_date``, ``excluded``
        (borderline firms left out), ``borderline`` (the choice).
    """
    if borderline not in BORDERLINE_CHOICES:
        raise InputError(f"borderline={borderline!r}; use one of {list(BORDERLINE_CHOICES)}")
    need = {"symbol", "event_date", "category", "event_id"}
    if not isinstance(catalog, pd.DataFrame) or not need <= set(catalog.columns):
        raise InputError(f"catalog must be a DataFrame with columns {sorted(need)}; "
                         "load it with pivotlib.events.load_catalog()")
    syms = list(dict.fromkeys(str(s) for s in symbols))
    c = catalog[catalog["category"].isin(list(categories))].copy()
    c["event_date"] = pd.to_datetime(c["event_date"])
    if as_of is not None:
        c = c[c["event_date"] <= pd.Timestamp(as_of)]
    c = c[c["symbol"].isin(syms)].sort_values(["event_date", "event_id"])
    first = c.groupby("symbol").first()
    b = catalog[catalog["category"].isin(list(borderline_categories))].copy()
    b["event_date"] = pd.to_datetime(b["event_date"])
    if as_of is not None:
        b = b[b["event_date"] <= pd.Timestamp(as_of)]
    b = b[b["symbol"].isin(syms)].sort_values(["event_date", "event_id"])
    announced = b.groupby("symbol").first()
    rows = []
    for s in syms:
        if s in first.index:
            rows.append({"symbol": s, "cohort": "pivoter", "pivot_date": first.loc[s, "event_date"],
                         "first_contract": first.loc[s, "event_id"], "borderline": False,
                         "announced": ""})
        else:
            bl = s in announced.index
            rows.append({"symbol": s, "cohort": "loyalist", "pivot_date": pd.NaT,
                         "first_contract": "", "borderline": bl,
                         "announced": announced.loc[s, "event_id"] if bl else ""})
    out = pd.DataFrame(rows, columns=["symbol", "cohort", "pivot_date", "first_contract",
                                      "borderline", "announced"]).set_index("symbol")
    out["pivot_date"] = pd.to_datetime(out["pivot_date"])
    out["borderline"] = out["borderline"].astype(bool)
    piv = out["pivot_date"].dropna().sort_values()
    common = piv.iloc[(len(piv) - 1) // 2] if len(piv) else pd.NaT
    common = _to_session(common, sessions)
    own = out["pivot_date"].map(lambda d: _to_session(d, sessions))
    out["split_date"] = pd.to_datetime(own.where(out["cohort"] == "pivoter", common))
    out["split_rule"] = np.where(out["cohort"] == "pivoter", "first signed AI/HPC contract",
                                 "median pivot date of the pivoters")
    bl = out.index[out["borderline"]]
    excluded: list[str] = []
    if borderline == "pivoter" and len(bl):
        dates = announced.loc[bl, "event_date"]
        out.loc[bl, "cohort"] = "pivoter"
        out.loc[bl, "pivot_date"] = dates.to_numpy()
        out.loc[bl, "split_date"] = [_to_session(d, sessions) for d in dates]
        out.loc[bl, "split_rule"] = "first announced pivot (borderline: no signed contract)"
    elif borderline == "excluded" and len(bl):
        excluded = list(bl)
        out = out.drop(index=bl)
    out.attrs["loyalist_date"] = common
    out.attrs["excluded"] = excluded
    out.attrs["borderline"] = borderline
    return out


def _to_session(day: Any, sessions: pd.DatetimeIndex | None) -> Any:
    """``day`` moved to the first of ``sessions`` on or after it (the last one past the end)."""
    if sessions is None or not len(sessions) or pd.isna(day):
        return day
    pos = sessions.searchsorted(pd.Timestamp(day))
    return sessions[min(pos, len(sessions) - 1)]


def label_permutation_p(values: np.ndarray, treated: np.ndarray, *, max_exact: int = 20000,
                        n_perm: int = 9999, seed: int = 0) -> tuple[float, int, bool]:
    """Randomisation p-value of ``mean(treated) - mean(control)`` over cohort labels.

    Returns ``(p, n_labelings, exact)``. All labelings are built as a 0/1 matrix ``L`` and the
    pseudo-statistics computed at once, ``L v / n_t - (1 - L) v / n_c``
    (:func:`label_permutation_null`).
    """
    obs, null, exact = label_permutation_null(values, treated, max_exact=max_exact,
                                              n_perm=n_perm, seed=seed)
    if not len(null):
        return float("nan"), 0, False
    p = float((np.abs(null) >= abs(obs) - 1e-12).mean())
    return p, int(len(null)), exact


def label_permutation_null(values: np.ndarray, treated: np.ndarray, *, max_exact: int = 20000,
                           n_perm: int = 9999, seed: int = 0) -> tuple[float, np.ndarray, bool]:
    """The observed difference of means and its randomisation distribution over cohort labels.

    Returns ``(observed, null, exact)``: ``null`` holds the pseudo-statistic of every labeling
    (exact enumeration of all ``C(n, n_t)`` when at most ``max_exact``, else the observed one
    plus ``n_perm`` seeded random labelings); empty when a cohort is empty. NaN values are
    dropped first. The smallest attainable two-sided p is
    ``#{|null| >= max |null|} / len(null)``: ``1 / C(n, n_t)`` at best, and ``2 / C(n, n_t)``
    with equal cohorts, where every labeling has a mirror image with the opposite sign.
    """
    v = np.asarray(values, float)
    t = np.asarray(treated, bool)
    ok = np.isfinite(v)
    v, t = v[ok], t[ok]
    n, nt = len(v), int(t.sum())
    if nt == 0 or nt == n:
        return float("nan"), np.empty(0), False
    obs = float(v[t].mean() - v[~t].mean())
    exact = math.comb(n, nt) <= max_exact
    if exact:
        L = np.zeros((math.comb(n, nt), n))
        for r, idx in enumerate(combinations(range(n), nt)):
            L[r, list(idx)] = 1.0
    else:
        rng = np.random.default_rng(seed)
        L = (np.argsort(rng.random((n_perm, n)), axis=1) < nt).astype(float)
        L = np.vstack([t.astype(float), L])
    null = L @ v / nt - (1 - L) @ v / (n - nt)
    return obs, null, exact


def permutation_p_floor(n: int, n_treated: int, *, max_exact: int = 20000,
                        n_perm: int = 9999) -> float:
    r"""Smallest p-value :func:`label_permutation_p` can return for ``n_treated`` of ``n``.

    Exact enumeration over :math:`L = \binom{n}{n_t}` labelings gives :math:`p \ge 1/L`. With
    equal cohorts (:math:`n_t = n/2`) every labeling has a mirror image (the cohorts swapped)
    whose DiD is the same number with the other sign, so :math:`|DiD^*|` ties with it and
    :math:`p \ge 2/\binom{n}{n/2}` (0.10 for 3 vs 3, 0.057 for 4 vs 4: never significant at
    5% below 5 vs 5). With ``n_perm`` random labelings (plus the observed one) the floor is
    :math:`1/(n_{perm}+1)`.
    """
    if n_treated <= 0 or n_treated >= n:
        return float("nan")
    total = math.comb(n, n_treated)
    if total > max_exact:
        return 1.0 / (n_perm + 1)
    return (2.0 if 2 * n_treated == n else 1.0) / total


def p_floor_note(p: float, n_treated: int, n_control: int, floor: float) -> str:
    """A sentence beside a permutation p that sits on its floor (empty when it does not)."""
    if not (np.isfinite(p) and np.isfinite(floor)) or p > floor + 1e-12:
        return ""
    n = n_treated + n_control
    why = (f"{n_treated} vs {n_control}: every labelling has a mirror image, so p >= "
           f"2/C({n},{n_treated})" if n_treated == n_control else
           f"{n_treated} vs {n_control}: p >= 1/C({n},{n_treated})")
    return (f"the permutation p = {p:.3f} is the smallest this design allows ({why} = "
            f"{floor:.3f}); more firms are needed for a smaller p")


@dataclass
class DiDResult(LifeboatResult):
    """Result of :func:`downside_did`.

    ``table``: one row per estimate (``actual``, ``placebo``): ``did``, ``se``, ``low``,
    ``high``, ``welch_p``, ``perm_p``, ``p_floor`` (:func:`permutation_p_floor`), ``p_note``
    (a sentence when ``perm_p`` sits on the floor), ``n_labelings``, ``exact``, ``n_pivoters``,
    ``n_loyalists``, ``mean_change_pivoters``, ``mean_change_loyalists`` and, on the
    ``actual`` row, ``loo_min``/``loo_max`` (range of the DiD leaving one firm out). ``firms``:
    per-firm changes with cohort (the input of the DiD) and ``did_without``; ``betas`` and ``placebo_betas`` the full
    :class:`DownsideBetas`.
    """

    firms: pd.DataFrame = field(default_factory=pd.DataFrame)
    betas: DownsideBetas | None = None
    placebo_betas: DownsideBetas | None = None
    cohorts: pd.DataFrame = field(default_factory=pd.DataFrame)


def welch_difference(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Difference of two cohort means with a Welch interval (each firm one observation).

    diff = mean(a) - mean(b), se = sqrt(s_a^2/n_a + s_b^2/n_b), Welch-Satterthwaite
    dof = se^4 / ((s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1)) (Welch 1947, Biometrika 34);
    interval diff +/- t_{dof, (1+level)/2} se and two-sided p. A cohort of one firm has no
    variance: se, interval and p are NaN. Used by the lifeboat DiD, its specification curve and
    the Merge contrast (one formula, one place).

    Returns
    -------
    dict
        ``did, se, dof, low, high, welch_p``.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    did = float(a.mean() - b.mean())
    va = a.var(ddof=1) / len(a) if len(a) > 1 else np.nan
    vb = b.var(ddof=1) / len(b) if len(b) > 1 else np.nan
    se = math.sqrt(va + vb) if np.isfinite(va + vb) else np.nan
    dof = ((va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
           if np.isfinite(se) and se > 0 else np.nan)
    q = stats.t.ppf(0.5 + level / 2, dof) if np.isfinite(dof) else np.nan
    p = float(2 * stats.t.sf(abs(did / se), dof)) if np.isfinite(dof) else np.nan
    return {"did": did, "se": se, "dof": dof, "low": did - q * se, "high": did + q * se,
            "welch_p": p}


def _did_row(name: str, firms: pd.DataFrame, col: str, level: float, **perm: Any) -> dict:
    d = firms.dropna(subset=[col])
    piv = d.loc[d["cohort"] == "pivoter", col].to_numpy(float)
    loy = d.loc[d["cohort"] == "loyalist", col].to_numpy(float)
    row: dict[str, Any] = {"estimate": name, "n_pivoters": len(piv), "n_loyalists": len(loy)}
    if len(piv) < 1 or len(loy) < 1:
        return row | {"did": np.nan}
    w = welch_difference(piv, loy, level)
    did, se = w["did"], w["se"]
    p, nl, exact = label_permutation_p(d[col].to_numpy(float),
                                       (d["cohort"] == "pivoter").to_numpy(), **perm)
    floor = permutation_p_floor(len(piv) + len(loy), len(piv),
                                max_exact=perm.get("max_exact", 20000),
                                n_perm=perm.get("n_perm", 9999))
    return row | {"did": did, "se": se, "low": w["low"], "high": w["high"],
                  "welch_p": w["welch_p"], "perm_p": p, "p_floor": floor,
                  "p_note": p_floor_note(p, len(piv), len(loy), floor),
                  "n_labelings": nl, "exact": exact,
                  "mean_change_pivoters": piv.mean(), "mean_change_loyalists": loy.mean()}


def downside_did(returns: pd.DataFrame, cohorts: pd.DataFrame, *, market: str = "SPY",
                 btc: str = "BTC-USD", threshold: float = 0.0, level: float = 0.95,
                 min_obs: int = 20, placebo_shift: int = 250, max_exact: int = 20000,
                 n_perm: int = 9999, seed: int = 0, start: Any = None,
                 end: Any = None) -> DiDResult:
    """Difference-in-differences of the downside BTC beta, pivoters vs loyalists.

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns.
    cohorts : DataFrame
        :func:`pivot_cohorts` output (index symbol; ``cohort``, ``split_date``).
    market, btc, threshold, level, min_obs, start, end
        As in :func:`~pivotlib.analytics.lifeboat.downside_betas`.
    placebo_shift : int, default 250
        Sessions by which the placebo split precedes the real one (0 disables the placebo).
    max_exact, n_perm, seed
        Exact enumeration of cohort labelings up to ``max_exact``, else ``n_perm`` seeded
        random labelings.

    Returns
    -------
    DiDResult
    """
    returns = check_returns(returns)
    if not {"cohort", "split_date"} <= set(cohorts.columns):
        raise InputError("cohorts must have columns cohort and split_date (pivot_cohorts)")
    syms = list(cohorts.index)
    splits = cohorts["split_date"].to_dict()
    kw = dict(market=market, btc=btc, threshold=threshold, level=level, min_obs=min_obs,
              start=start, end=end)
    betas = downside_betas(returns, syms, splits, **kw)
    firms = betas.table.set_index("symbol")[["split_date", "down_change", "down_se",
                                            "up_change", "asym_change", "note"]].copy()
    firms.insert(0, "cohort", cohorts["cohort"].reindex(firms.index))
    perm = dict(max_exact=max_exact, n_perm=n_perm, seed=seed)
    rows = [_did_row("actual", firms, "down_change", level, **perm),
            _did_row("actual (asymmetry: down - up change)", firms, "asym_change", level, **perm)]
    placebo = None
    if placebo_shift > 0:
        idx = returns.index
        pl_dates, ends = {}, {}
        for s, d in splits.items():
            if pd.isna(d):
                continue
            pos = int(idx.searchsorted(pd.Timestamp(d))) - int(placebo_shift)
            if pos > 0:
                pl_dates[s], ends[s] = idx[pos], pd.Timestamp(d)
        placebo = downside_betas(returns, syms, pl_dates, ends=ends, **kw)
        pf = placebo.table.set_index("symbol")
        firms["placebo_date"] = pf["split_date"]
        firms["placebo_change"] = pf["down_change"]
        rows.append(_did_row(f"placebo ({placebo_shift} sessions earlier)", firms,
                             "placebo_change", level, **perm))
    # leave-one-out: the DiD without each firm (is one miner driving it?)
    ok = firms["down_change"].notna()
    loo = []
    for s in firms.index:
        if not ok[s]:
            loo.append(np.nan)
            continue
        rest = firms.drop(index=s)
        piv = rest.loc[ok.drop(index=s) & (rest["cohort"] == "pivoter"), "down_change"]
        loy = rest.loc[ok.drop(index=s) & (rest["cohort"] == "loyalist"), "down_change"]
        loo.append(piv.mean() - loy.mean() if len(piv) and len(loy) else np.nan)
    firms["did_without"] = loo
    table = pd.DataFrame(rows)
    table["loo_min"] = np.nan
    table["loo_max"] = np.nan
    if np.isfinite(firms["did_without"]).any():
        table.loc[0, ["loo_min", "loo_max"]] = [firms["did_without"].min(),
                                                firms["did_without"].max()]
    notes = list(betas.notes)
    if isinstance(rows[0].get("p_note"), str) and rows[0]["p_note"]:
        notes.append("DiD: " + rows[0]["p_note"])
    left = firms.index[firms["down_change"].isna()].tolist()
    if left:
        notes.append(f"left out of the DiD (no estimate): {', '.join(left)}")
    method = (f"DiD of the downside BTC beta change (BTC < {threshold:g}), mean over pivoters "
              f"minus mean over loyalists; Welch {level:.0%} interval across firms; "
              "randomisation p over cohort labels; loyalists split at "
              f"{pd.Timestamp(cohorts.attrs['loyalist_date']).date() if pd.notna(cohorts.attrs.get('loyalist_date', pd.NaT)) else 'n/a'}")
    return DiDResult(table=table, notes=notes, title="Lifeboat difference-in-differences",
                     method=method, firms=firms.reset_index(), betas=betas,
                     placebo_betas=placebo, cohorts=cohorts)
