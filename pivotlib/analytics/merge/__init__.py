"""The Merge (2022-09-15): did GPU (ether) miners lose their ether exposure and pick up AI?

Frames in, result objects out (like :mod:`pivotlib.analytics.lifeboat`):

1. **Ether beta** - :func:`ether_betas`: each miner's beta to ether orthogonalised on bitcoin,
   market and bitcoin held fixed, before vs after the Merge, HAC intervals.
2. **Cohort contrast** - :func:`cohort_contrast`: GPU/ether miners (HIVE, BTBT, HUT) vs
   bitcoin-only miners, DiD of the change with an exact permutation p and its floor.
3. **The Merge as an event** - :func:`merge_cars`: CAR of each miner around the Merge and the
   day its date was fixed, through the house event-study engine; cohort CAAR and tests.
4. **Hand-over** - :func:`ai_handover` and :func:`rolling_merge_betas`: the AI-proxy beta
   before the Merge, between the Merge and ChatGPT, and after ChatGPT; rolling ETH and AI betas.

Cohorts and dates come from a documented data table (``data/merge/cohorts.csv``,
``data/merge/dates.csv``), never from code. :func:`run_merge` runs everything.
"""

from __future__ import annotations

from pivotlib.analytics.merge.betas import (
    AI_PERP,
    ETH_PERP,
    EtherBetas,
    HandoverBetas,
    ai_handover,
    ether_betas,
    orthogonalize,
    rolling_correlation,
    rolling_merge_betas,
)
from pivotlib.analytics.merge.did import BTC_ONLY, GPU, CohortContrast, cohort_contrast
from pivotlib.analytics.merge.event import HEADLINE_TESTS, MergeCARs, merge_cars
from pivotlib.analytics.merge.run import (
    DATE_KEYS,
    MergeAnalysis,
    check_cohorts,
    check_dates,
    run_merge,
)

__all__ = ["AI_PERP", "BTC_ONLY", "DATE_KEYS", "ETH_PERP", "GPU", "HEADLINE_TESTS",
           "CohortContrast", "EtherBetas", "HandoverBetas", "MergeAnalysis", "MergeCARs",
           "ai_handover", "check_cohorts", "check_dates", "cohort_contrast", "ether_betas",
           "merge_cars", "orthogonalize", "rolling_correlation", "rolling_merge_betas",
           "run_merge"]
