"""Pivot regime analytics: is a miner trading like bitcoin or like AI infrastructure?

The thesis behind the suite is that some bitcoin miners are turning into AI data-centre
companies. If so, their daily returns should load less on bitcoin and more on an
AI-infrastructure factor over time, and the change should line up with their announcements.
This module measures that with linear factor regressions of daily simple returns

.. math:: r_{i,t} = \alpha + \beta_{MKT} r_{MKT,t} + \beta_{BTC} r_{BTC,t}
          + \beta_{AI} r_{AI,t} + \varepsilon_t

(defaults: market ``SPY``, bitcoin ``BTC-USD`` aligned to NYSE sessions, AI factor ``SMH``).

Public functions
----------------
rolling_exposures
    Rolling-window betas, their standard errors and R².
exposure_shift
    Betas before and after a known date, their difference with Newey-West (HAC) standard
    errors, and Chow tests of the whole coefficient vector (classical F and HAC Wald).
find_break
    The most likely single break date when the timing is unknown (Quandt-Andrews sup-F).
pivot_scores
    One row per miner: change in BTC beta, change in AI beta and a pivot score with a
    confidence interval, ranked.
ai_basket_returns
    Returns of an (equal-)weighted basket, e.g. an AI-infrastructure basket to use as the AI
    factor instead of SMH.
quarterly_correlations, break_table
    Notebook helpers: correlation with BTC and the (AI-specific) AI factor by quarter, and the
    break date per symbol beside the nearest catalog announcement.
supf_pvalue, hac_lags_rule
    The sup-F p-value and the Newey-West lag rule, exposed for reuse and checking.

Orthogonalisation (``orthogonalize``)
------------------------------------
SMH moves with the market (beta to SPY about 1.8, R² about 0.65), so an "AI beta" from a
regression *without* the market would largely be the market again. By default
(``orthogonalize="ai"``) the AI factor is replaced by its residual from an OLS regression
(with intercept) on the market factor, fitted over exactly the rows being analysed. Two
consequences, both by the Frisch-Waugh-Lovell theorem:

* when the market is among the regressors (the default), the AI and BTC betas are *identical*
  with or without orthogonalisation; only the market beta changes meaning, from "market
  exposure holding SMH fixed" to "total market exposure, including the part that arrives
  through the AI factor";
* when the market is *not* among the regressors, the orthogonalised AI beta still measures
  exposure to AI-specific moves only.

``"all"`` residualises every non-market factor (BTC too) on the market; ``"none"`` uses raw
factor returns.

Windows
-------
All windows count *valid observations*: sessions on which the symbol and every factor
(and the market, when it is needed for orthogonalisation) have a return. ``before=250``
therefore means the 250 valid sessions strictly before ``date`` and ``after=250`` the 250
valid sessions from ``date`` on (``date`` itself is the first session of the new regime).

References
----------
Bai, J. (1997). Estimation of a change point in multiple regression models. Review of
    Economics and Statistics 79(4), 551-563.
Andrews, D. W. K. (1993). Tests for parameter instability and structural change with unknown
    change point. Econometrica 61(4), 821-856; corrigendum Econometrica 71(1) (2003), 395-397.
Chow, G. C. (1960). Tests of equality between sets of coefficients in two linear regressions.
    Econometrica 28(3), 591-605.
Hall, P., Horowitz, J. L. and Jing, B.-Y. (1995). On blocking rules for the bootstrap with
    dependent data. Biometrika 82(3), 561-574.
Estrella, A. (2003). Critical values and p values of Bessel process distributions: computation
    and application to structural break tests. Econometric Theory 19(6), 1128-1143.
Hansen, B. E. (1997). Approximate asymptotic p values for structural-change tests. Journal of
    Business & Economic Statistics 15(1), 60-67.
Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
    autocorrelation consistent covariance matrix. Econometrica 55(3), 703-708.
Newey, W. K. and West, K. D. (1994). Automatic lag selection in covariance matrix estimation.
    Review of Economic Studies 61(4), 631-653.
Quandt, R. E. (1960). Tests of the hypothesis that a linear regression system obeys two
    separate regimes. JASA 55(290), 324-330.
"""

from __future__ import annotations

from pivotlib.analytics.regimes.breaks import (
    BreakResult,
    _bai_critical,  # noqa: F401 (tests read it)
    break_table,
    find_break,
    supf_pvalue,
)
from pivotlib.analytics.regimes.common import DEFAULT_FACTORS, HAC_RULE, hac_lags_rule
from pivotlib.analytics.regimes.exposures import (
    ExposureShift,
    ai_basket_returns,
    exposure_shift,
    quarterly_correlations,
    rolling_exposures,
)
from pivotlib.analytics.regimes.scores import pivot_scores
from pivotlib.events.taxonomy import AI_ONLY_CATEGORIES, is_ai_category

__all__ = ["AI_ONLY_CATEGORIES", "BreakResult", "DEFAULT_FACTORS", "ExposureShift", "HAC_RULE", "ai_basket_returns", "break_table", "exposure_shift", "find_break", "hac_lags_rule", "is_ai_category", "pivot_scores", "quarterly_correlations", "rolling_exposures", "supf_pvalue"]
