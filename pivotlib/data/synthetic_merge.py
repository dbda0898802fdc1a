r"""The planted *Merge* of the SYNTHETIC demo data (called from :mod:`pivotlib.data.synthetic`).

GPU (ether) miners load on ether's own move - its session return net of bitcoin's,
``E_t = r^{ETH}_t - 1.1 r^{BTC}_t`` (1.1 is the model's ETH-on-BTC loading, so ``E_t`` is, up
to compounding, ether's own noise aggregated over the days since the previous session) - until
the Merge, and pick up the AI factor from ChatGPT on:

.. math:: r_{it} \mathrel{+}= \beta^{ETH}_i\, 1[t < T_{Merge}]\, E_t
          + \gamma^{AI}_i\, 1[t \ge T_{ChatGPT}]\, AI_t,

with :math:`\beta^{ETH} = 0.5` and :math:`\gamma^{AI} = 1.0` (``MERGE_ETH_BETA``,
``MERGE_AI_BETA``). So the GPU cohort's ether beta (ETH orthogonalised on BTC) falls from 0.5
to 0 at the Merge and its AI beta rises by 1.0 after ChatGPT; the bitcoin-only miners get
nothing. The series draw no new random numbers (``E_t`` comes from ether's own seeded stream,
``AI_t`` from the AI factor's), so every symbol that does not load on them is unchanged; the
planted symbols and the miner basket WGMI change. HUT (a GPU miner as Hut 8 Mining) is not
planted: its demo history starts with today's Hut 8 Corp on 2023-11-30, after both dates.
The dates and cohort are constants here (checked against ``data/merge/`` by
``tests/test_merge.py``), written to ``planted_merge.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pivotlib.data import calendar as cal

MERGE_DATE = "2022-09-15"
CHATGPT_DATE = "2022-11-30"
MERGE_ETH_BETA = 0.5
"""Ether beta (orthogonal to BTC) of the GPU miners before the Merge (0 after)."""
MERGE_AI_BETA = 1.0
"""AI beta added to the GPU miners from ChatGPT on."""
MERGE_PLANTED: tuple[str, ...] = ("HIVE", "BTBT")
"""GPU miners with a pre-Merge history in the demo data (HUT's starts 2023-11-30)."""


def merge_component(symbol: str, sess: pd.DatetimeIndex, eth_own: np.ndarray,
                    ai: np.ndarray) -> np.ndarray:
    """The additive return of the planted Merge for ``symbol`` (zeros if not planted)."""
    out = np.zeros(len(sess))
    if symbol not in MERGE_PLANTED:
        return out
    pre = sess < cal.to_session(MERGE_DATE, "next")
    post = sess >= cal.to_session(CHATGPT_DATE, "next")
    out[pre] += MERGE_ETH_BETA * np.nan_to_num(eth_own[pre])
    out[post] += MERGE_AI_BETA * ai[post]
    return out


def merge_table(sess: pd.DatetimeIndex) -> pd.DataFrame:
    """``planted_merge.csv``: symbol, dates, ether beta before/after, AI beta added."""
    rows = [{"symbol": s, "merge_session": cal.to_session(MERGE_DATE, "next").date().isoformat(),
             "eth_beta_before": MERGE_ETH_BETA, "eth_beta_after": 0.0,
             "chatgpt_session": cal.to_session(CHATGPT_DATE, "next").date().isoformat(),
             "ai_beta_added_after_chatgpt": MERGE_AI_BETA} for s in MERGE_PLANTED]
    return pd.DataFrame(rows)


def merge_markdown(table: pd.DataFrame, md_table) -> str:
    """The MODEL.md section describing the planted Merge."""
    doc = (__doc__ or "").strip().split("\n", 1)[1].strip()
    return "\n".join(["## Planted Merge (`planted_merge.csv`)", "", doc, "",
                      md_table(table) if len(table) else "(none)", ""])
