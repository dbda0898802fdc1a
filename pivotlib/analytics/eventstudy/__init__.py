"""Event studies: market, market + bitcoin and factor models with the full test battery.

>>> from pivotlib.analytics.eventstudy import run_event_study
>>> res = run_event_study(returns, events, **miner_model())   # market + BTC (miners' default)
>>> print(res.summary())

See :func:`run_event_study` for every option and which options reproduce the R package
``EventStudy`` (EventStudyTools). Formulas: MacKinlay (1997), Patell (1976), Boehmer-Musumeci-
Poulsen (1991), Kolari-Pynnonen (2010, 2011), Cowan (1992), Corrado (1989), Corrado-Zivney
(1992), Wilcoxon (1945), Hall (1992) / Lyon-Barber-Tsai (1999); see :mod:`.stats`.
"""

from __future__ import annotations

from pivotlib.analytics.eventstudy.core import DEFAULT_MIN_EST, miner_model, run_event_study
from pivotlib.analytics.eventstudy.models import MODELS
from pivotlib.analytics.eventstudy.result import TEST_NAMES, EventStudyResult

__all__ = ["run_event_study", "EventStudyResult", "miner_model", "MODELS", "TEST_NAMES",
           "DEFAULT_MIN_EST"]
