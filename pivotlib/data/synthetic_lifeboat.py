r"""The planted *lifeboat* of the SYNTHETIC demo data (called from :mod:`pivotlib.data.synthetic`).

From the session of a pivoter's first signed AI/HPC contract in the catalog (the pivot date of
:func:`pivotlib.analytics.lifeboat.pivot_cohorts`: first ``ai_hosting_lease`` or ``ai_cloud_contract``),
its BTC beta becomes asymmetric: ``b - DELTA`` on BTC down days and ``b + DELTA`` on BTC up days,

.. math:: r_{it} \mathrel{+}= \delta \, 1[t \ge T_i] \, \big(|BTC_t| - \overline{|BTC|}_{t \ge T_i}\big),
          \qquad \delta = 0.5,

with the mean of ``|BTC|`` over the post-contract sessions subtracted so no drift is added. The
downside BTC beta (Ang, Chen and Xing 2006; BTC down days, market held fixed) therefore falls by
``DELTA`` at the contract date, on top of any planted regime switch at that date
(``planted_regimes.csv``: APLD, CORZ, WULF and CIFR switch on the same day; IREN and HUT
switched earlier, on their H200 purchase and Coatue financing; RIOT and BTBT have no regime
switch). Because ``|x|`` is uncorrelated
with ``x`` for a symmetric ``x``, the all-days BTC beta - and so every planted regime switch -
is unchanged in expectation. Loyalists (no signed contract) get nothing. The dates are constants
here (checked against the catalog by ``tests/test_lifeboat.py``), written to
``planted_lifeboat.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pivotlib.data import calendar as cal

LIFEBOAT_DELTA = 0.5
"""Change of the BTC beta on BTC down days (minus) and up days (plus) after the contract."""


@dataclass(frozen=True)
class Lifeboat:
    """A planted asymmetric BTC exposure from ``date`` (first signed AI/HPC contract) on."""

    date: str
    anchor: str


LIFEBOATS: dict[str, Lifeboat] = {
    "APLD": Lifeboat("2023-05-16", "APLD-2023-05-16-first-ai-customer"),
    "CORZ": Lifeboat("2024-06-04", "CORZ-2024-06-03-coreweave-200mw"),
    "WULF": Lifeboat("2025-08-14", "WULF-2025-08-14-fluidstack-google"),
    "CIFR": Lifeboat("2025-09-25", "CIFR-2025-09-25-fluidstack-google"),
    "IREN": Lifeboat("2025-11-03", "IREN-2025-11-03-microsoft"),
    "HUT": Lifeboat("2025-12-17", "HUT-2025-12-17-fluidstack-anthropic"),
    "RIOT": Lifeboat("2026-01-16", "RIOT-2026-01-16-amd-lease"),
    "BTBT": Lifeboat("2024-06-25", "BTBT-2024-06-25-gpu-contract-expansion"),
}


def lifeboat_component(symbol: str, sess: pd.DatetimeIndex, btc: np.ndarray, *,
                       delta: float = LIFEBOAT_DELTA) -> np.ndarray:
    """The additive return of the planted lifeboat for ``symbol`` (zeros if none).

    ``delta`` is the plant strength (default :data:`LIFEBOAT_DELTA`, what the demo data use;
    0 gives the no-effect variant the robustness tests use as a null)."""
    out = np.zeros(len(sess))
    lb = LIFEBOATS.get(symbol)
    if lb is None:
        return out
    post = sess >= cal.to_session(lb.date, "next")
    if not post.any():
        return out
    a = np.abs(np.nan_to_num(btc))
    out[post] = delta * (a[post] - a[post].mean())
    return out


def lifeboat_table(sess: pd.DatetimeIndex, b_btc: dict[str, float]) -> pd.DataFrame:
    """``planted_lifeboat.csv``: symbol, date, anchor, BTC beta after on down/up days."""
    rows = []
    for s, lb in LIFEBOATS.items():
        d = cal.to_session(lb.date, "next")
        if d > sess[-1] or s not in b_btc:
            continue
        b = b_btc[s]
        rows.append({"symbol": s, "lifeboat_date": d.date().isoformat(),
                     "delta_down_beta": -LIFEBOAT_DELTA, "delta_up_beta": LIFEBOAT_DELTA,
                     "btc_beta_down_after": round(b - LIFEBOAT_DELTA, 4),
                     "btc_beta_up_after": round(b + LIFEBOAT_DELTA, 4), "anchor_event_id": lb.anchor})
    return pd.DataFrame(rows)


def lifeboat_markdown(table: pd.DataFrame, md_table) -> str:
    """The MODEL.md section describing the planted lifeboat."""
    doc = (__doc__ or "").strip().split("\n", 1)[1].strip()
    return "\n".join(["## Planted lifeboat (`planted_lifeboat.csv`)", "", doc, "",
                      "`btc_beta_*_after`: the BTC beta on down / up days from the lifeboat date "
                      "(the regime's post-switch beta where it applies, else the constant one).",
                      "", md_table(table) if len(table) else "(none)", ""])
