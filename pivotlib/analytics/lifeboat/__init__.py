"""Lifeboat analytics: do AI/HPC contracts protect a bitcoin miner when bitcoin crashes?

Frames in, result objects out (no file paths, no notebook code). Three questions:

1. **Lifeboat test** - :func:`downside_betas` (Ang-Chen-Xing downside/upside BTC betas before
   and after a split, HAC), :func:`crash_episodes` + :func:`episode_capture` (realised capture
   of BTC crashes), :func:`pivot_cohorts` + :func:`downside_did` (pivoters vs loyalists DiD
   with a permutation p over cohort labels and a placebo date).
2. **Hype or substance** - :func:`deal_persistence` (CAR/BHAR to +20/+60/+120 against the
   market+BTC model and the loyal-miner control portfolio, LBT skewness-adjusted bootstrap t,
   share of the day-0 move kept, kept on log deal size with HC3).
3. **Peer spillover** - :func:`peer_spillover` (announcer x peer AR matrix, pivoter vs
   loyalist peer groups, t and sign tests).

:func:`run_lifeboat` runs all of them with one set of column roles.
"""

from __future__ import annotations

from pivotlib.analytics.lifeboat._common import HAC_RULE, LifeboatResult, hac_lags, ols_hac
from pivotlib.analytics.lifeboat.betas import (
    DownsideBetas,
    down_changes,
    downside_betas,
    interaction_fit,
)
from pivotlib.analytics.lifeboat.cohorts import (
    BORDERLINE_CATEGORIES,
    BORDERLINE_CHOICES,
    CONTRACT_CATEGORIES,
    DiDResult,
    downside_did,
    label_permutation_null,
    label_permutation_p,
    permutation_p_floor,
    pivot_cohorts,
)
from pivotlib.analytics.lifeboat.episodes import (
    CaptureResult,
    crash_episodes,
    episode_capture,
    zigzag_episodes,
)
from pivotlib.analytics.lifeboat.persistence import (
    AI_EVENT_CATEGORIES,
    PersistenceResult,
    deal_persistence,
    event_paths,
)
from pivotlib.analytics.lifeboat.run import LifeboatAnalysis, ai_deal_events, run_lifeboat
from pivotlib.analytics.lifeboat.spillover import SpilloverResult, peer_spillover

__all__ = [
    "AI_EVENT_CATEGORIES", "BORDERLINE_CATEGORIES", "BORDERLINE_CHOICES", "CONTRACT_CATEGORIES", "HAC_RULE", "CaptureResult", "DiDResult",
    "DownsideBetas", "LifeboatAnalysis", "LifeboatResult", "PersistenceResult",
    "SpilloverResult", "ai_deal_events", "crash_episodes", "deal_persistence", "down_changes", "downside_betas",
    "downside_did", "episode_capture", "event_paths", "hac_lags", "interaction_fit",
    "label_permutation_null", "label_permutation_p", "ols_hac", "permutation_p_floor", "peer_spillover",
    "pivot_cohorts", "run_lifeboat",
    "zigzag_episodes",
]
