r"""Cohort contrast: GPU (ether) miners vs bitcoin-only miners, with an exact permutation p.

With a per-firm change :math:`\Delta_i` (the ether-beta change at the Merge, or the AI-beta
change from before the Merge to after ChatGPT),

.. math:: \widehat{DiD} = \bar\Delta_{gpu} - \bar\Delta_{bitcoin\ only},

a Welch interval across firms (each firm one observation) and a randomisation p over cohort
labels (Fisher's sharp null: no cohort effect on any firm):
:func:`pivotlib.analytics.lifeboat.label_permutation_null` enumerates every way of labelling
``n_gpu`` of the ``N`` firms "gpu" (exact up to ``max_exact`` labelings) and

.. math:: p = \#\{|DiD^*| \ge |\widehat{DiD}|\} / \binom{N}{n_{gpu}}.

**Floor.** The observed labeling is one of them, so ``p`` can never be below ``1 / C(N, n_gpu)``;
with equal cohorts every labeling has a mirror image (the cohorts swapped) with the same
``|DiD*|``, so the two-sided p cannot go below ``2 / C(N, n_gpu)``. The floor reported
(``p_floor``) is the smallest p this labeling set can give, ``#{|DiD*| = max|DiD*|} / C``,
computed from the distribution itself; with 2 GPU miners and 7 others it is 1/36 = 0.028, with
2 and 2 it is 2/6 = 0.33 (no result could be significant). Read a p at its floor as "the most
extreme labeling", not as a small probability.

References
----------
Fisher, R. A. (1935). The Design of Experiments. Oliver and Boyd.
Bertrand, M., Duflo, E. and Mullainathan, S. (2004). How much should we trust
    differences-in-differences estimates? QJE 119(1), 249-275.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pivotlib.analytics.lifeboat import LifeboatResult, label_permutation_null
from pivotlib.analytics.lifeboat.cohorts import welch_difference
from pivotlib.errors import InputError

__all__ = ["CohortContrast", "cohort_contrast"]

GPU, BTC_ONLY = "gpu", "bitcoin_only"


@dataclass
class CohortContrast(LifeboatResult):
    """Result of :func:`cohort_contrast`.

    ``table`` (one row): ``measure, did, se, low, high, welch_p, perm_p, p_floor, n_labelings,
    exact, n_gpu, n_bitcoin_only, mean_gpu, mean_bitcoin_only``. ``firms``: symbol, cohort,
    value. ``null``: the DiD of every labeling (for the chart); ``observed`` the actual one.
    """

    firms: pd.DataFrame = field(default_factory=pd.DataFrame)
    null: np.ndarray = field(default_factory=lambda: np.empty(0))
    observed: float = float("nan")

    @property
    def row(self) -> pd.Series:
        """The single result row."""
        return self.table.iloc[0]


def cohort_contrast(values: Mapping[str, float] | pd.Series, cohorts: Mapping[str, str] | pd.Series,
                    *, measure: str = "change", level: float = 0.95, max_exact: int = 20000,
                    n_perm: int = 9999, seed: int = 0) -> CohortContrast:
    """DiD of a per-firm value, GPU cohort minus bitcoin-only cohort (see module doc).

    Parameters
    ----------
    values : mapping symbol -> float
        Per-firm changes (NaN = no estimate: left out with a note).
    cohorts : mapping symbol -> "gpu" | "bitcoin_only"
        Cohort of each firm (other labels are an error).
    measure : str
        Name of the value (for the table and the title).
    level, max_exact, n_perm, seed
        Welch interval level; exact enumeration up to ``max_exact`` labelings, else
        ``n_perm`` seeded random labelings.

    Returns
    -------
    CohortContrast
    """
    vals = pd.Series(values, dtype=float)
    co = pd.Series(cohorts, dtype=object)
    bad = sorted(set(co.dropna()) - {GPU, BTC_ONLY})
    if bad:
        raise InputError(f"unknown cohort label(s) {bad}; use {GPU!r} or {BTC_ONLY!r} "
                         "(data/merge/cohorts.csv)")
    firms = pd.DataFrame({"symbol": co.index, "cohort": co.to_numpy(),
                          "value": vals.reindex(co.index).to_numpy(float)})
    notes = [f"{s}: no {measure} estimate, left out of the contrast"
             for s in firms.loc[~np.isfinite(firms["value"]), "symbol"]]
    d = firms[np.isfinite(firms["value"])]
    g = d.loc[d["cohort"] == GPU, "value"].to_numpy(float)
    b = d.loc[d["cohort"] == BTC_ONLY, "value"].to_numpy(float)
    row: dict = {"measure": measure, "n_gpu": len(g), "n_bitcoin_only": len(b)}
    null, obs = np.empty(0), float("nan")
    if len(g) and len(b):
        obs, null, exact = label_permutation_null(d["value"].to_numpy(float),
                                                  (d["cohort"] == GPU).to_numpy(),
                                                  max_exact=max_exact, n_perm=n_perm, seed=seed)
        w = welch_difference(g, b, level)
        a = np.abs(null)
        row.update({"did": w["did"], "se": w["se"], "low": w["low"], "high": w["high"],
                    "welch_p": w["welch_p"],
                    "perm_p": float((a >= abs(obs) - 1e-12).mean()),
                    "p_floor": float((a >= a.max() - 1e-12).mean()),
                    "n_labelings": len(null), "exact": exact, "mean_gpu": g.mean(),
                    "mean_bitcoin_only": b.mean()})
        if row["p_floor"] >= 0.05:
            notes.append(f"{measure}: with {len(g)} GPU and {len(b)} bitcoin-only firms the "
                         f"smallest attainable permutation p is {row['p_floor']:.3f}, so the "
                         "test cannot reach 5 %; read the DiD and its interval, not the p")
    else:
        notes.append(f"{measure}: a cohort is empty ({len(g)} GPU, {len(b)} bitcoin-only "
                     "firms with an estimate): no contrast")
    cols = ["measure", "did", "se", "low", "high", "welch_p", "perm_p", "p_floor", "n_labelings",
            "exact", "n_gpu", "n_bitcoin_only", "mean_gpu", "mean_bitcoin_only"]
    table = pd.DataFrame([row]).reindex(columns=cols)
    method = (f"DiD of the {measure}: GPU mean minus bitcoin-only mean; Welch {level:.0%} interval "
              "across firms; exact randomisation p over cohort labels (floor = smallest "
              "attainable p)")
    return CohortContrast(table=table, notes=notes, title=f"GPU vs bitcoin-only miners: {measure}",
                          method=method, firms=firms, null=np.asarray(null), observed=obs)
