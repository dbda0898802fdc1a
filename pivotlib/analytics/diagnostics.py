"""Residual diagnostics of a normal-return model (numpy only).
"""

from __future__ import annotations

from typing import Any


def residual_diagnostics(y: Any, X: Any, lags: int = 10):
    """OLS residual diagnostics with numpy (no statsmodels import, which costs ~2 s).

    ``X`` must include the constant column. Formulas (``e`` = OLS residuals, ``n`` obs):

    * Jarque-Bera (1980): ``JB = n/6 (S^2 + (K - 3)^2 / 4)`` with sample skewness ``S`` and
      kurtosis ``K`` (biased moments), ``p = P(chi2_2 > JB)``;
    * Durbin-Watson (1950): ``sum (e_t - e_{t-1})^2 / sum e_t^2`` (2 = no autocorrelation);
    * Ljung-Box (1978): ``Q = n (n + 2) sum_{k<=lags} r_k^2 / (n - k)``, ``p = P(chi2_lags > Q)``;
    * Breusch-Pagan (1979) in Koenker's (1981) studentised form: ``LM = n R^2`` of ``e^2`` on
      ``X``, ``p = P(chi2_{k-1} > LM)``.

    These match ``statsmodels`` (``jarque_bera``, ``durbin_watson``, ``acorr_ljungbox``,
    ``het_breuschpagan``); tests/test_reports.py checks it.

    Returns
    -------
    DataFrame
        Index = test; columns statistic, p_value, reading.
    """
    import numpy as np
    import pandas as pd
    from scipy.special import chdtrc

    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    e = y - X @ beta
    m2 = float(np.mean((e - e.mean()) ** 2))
    skew = float(np.mean((e - e.mean()) ** 3) / m2 ** 1.5)
    kurt = float(np.mean((e - e.mean()) ** 4) / m2 ** 2)
    jb = n / 6.0 * (skew ** 2 + (kurt - 3.0) ** 2 / 4.0)
    dw = float(np.sum(np.diff(e) ** 2) / np.sum(e ** 2))
    ec = e - e.mean()
    denom = float(np.sum(ec ** 2))
    r = np.array([np.sum(ec[j:] * ec[:-j]) / denom for j in range(1, lags + 1)])
    q = float(n * (n + 2) * np.sum(r ** 2 / (n - np.arange(1, lags + 1))))
    e2 = e ** 2
    b2, *_ = np.linalg.lstsq(X, e2, rcond=None)
    fitted = X @ b2
    r2 = 1.0 - float(np.sum((e2 - fitted) ** 2) / np.sum((e2 - e2.mean()) ** 2))
    lm = n * r2
    out = pd.DataFrame(columns=["statistic", "p_value", "reading"], dtype=object)
    out.loc["Jarque-Bera (normality)"] = [jb, float(chdtrc(2, jb)),
                                           f"skew {skew:.2f}, kurtosis {kurt:.1f}"]
    out.loc["Durbin-Watson"] = [dw, float("nan"), "2 = no autocorrelation"]
    out.loc[f"Ljung-Box Q({lags})"] = [q, float(chdtrc(lags, q)), "residual autocorrelation"]
    out.loc["Breusch-Pagan (Koenker)"] = [lm, float(chdtrc(k - 1, lm)) if k > 1 else float("nan"),
                                          "heteroskedasticity"]
    out["statistic"] = out["statistic"].astype(float)
    out["p_value"] = out["p_value"].astype(float)
    return out
