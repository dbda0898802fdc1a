"""Shared pieces of the regime analytics: factor defaults, the HAC lag rule, input checks and the
AI-factor orthogonalisation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from pivotlib.data.calendar import parse_day
from pivotlib.errors import InputError

DEFAULT_FACTORS: tuple[str, ...] = ("SPY", "BTC-USD", "SMH")


"""Default factors: market, bitcoin, AI infrastructure."""


Orthogonalize = Literal["ai", "all", "none"]


HAC_RULE = "floor(4 * (T / 100) ** (2 / 9))  [Newey and West (1994) rule of thumb, Bartlett kernel]"


def hac_lags_rule(nobs: int) -> int:
    """Newey-West (1994) rule-of-thumb lag truncation ``floor(4 * (T/100) ** (2/9))``.

    Parameters
    ----------
    nobs : int
        Number of observations ``T`` in the regression.

    Returns
    -------
    int
        The number of lags used by the Bartlett-kernel HAC covariance (at least 1).
    """
    return max(1, int(math.floor(4.0 * (nobs / 100.0) ** (2.0 / 9.0))))


def _check_returns(returns: Any) -> pd.DataFrame:
    if not isinstance(returns, pd.DataFrame):
        raise InputError(
            f"returns must be a wide pandas DataFrame (one column per symbol), got "
            f"{type(returns).__name__}; load it with pivotlib.data.loading.load_returns"
        )
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise InputError(
            "returns must be indexed by session dates (a DatetimeIndex); "
            "set the index with pd.to_datetime(...)"
        )
    if not returns.index.is_monotonic_increasing:
        returns = returns.sort_index()
    return returns


def _check_columns(returns: pd.DataFrame, symbol: str, factors: Sequence[str]) -> list[str]:
    if isinstance(factors, str):
        factors = [factors]
    factors = list(factors)
    if not factors:
        raise InputError("factors is empty; pass at least one factor, e.g. ['SPY', 'BTC-USD', 'SMH']")
    if len(set(factors)) != len(factors):
        raise InputError(f"factors {factors} contain duplicates; list each factor once")
    have = list(map(str, returns.columns))
    if symbol not in returns.columns:
        raise InputError(
            f"unknown symbol {symbol!r}: not a column of the returns frame "
            f"(columns: {', '.join(have[:30])}); load it or fix the spelling"
        )
    missing = [f for f in factors if f not in returns.columns]
    if missing:
        raise InputError(
            f"unknown factor(s) {missing}: not columns of the returns frame "
            f"(columns: {', '.join(have[:30])}); load them or add a basket column "
            "built with ai_basket_returns"
        )
    if symbol in factors:
        raise InputError(f"{symbol!r} is both the symbol and a factor; remove it from factors")
    return factors


def _needs_market(factors: Sequence[str], market: str, ai_factor: str | None,
                  orthogonalize: str) -> bool:
    if orthogonalize not in ("ai", "all", "none"):
        raise InputError(f"unknown orthogonalize={orthogonalize!r}; use 'ai', 'all' or 'none'")
    if orthogonalize == "none":
        return False
    if orthogonalize == "ai":
        return ai_factor is not None and ai_factor in factors and ai_factor != market
    return any(f != market for f in factors)


def _valid_frame(returns: pd.DataFrame, symbol: str, factors: list[str], market: str,
                 ai_factor: str | None, orthogonalize: str) -> pd.DataFrame:
    """Rows where the symbol, the factors (and the market if needed) are all finite."""
    cols = [symbol, *factors]
    if _needs_market(factors, market, ai_factor, orthogonalize) and market not in cols:
        if market not in returns.columns:
            raise InputError(
                f"orthogonalize={orthogonalize!r} residualises on the market factor {market!r}, "
                "which is not a column of the returns frame; add it, pass market=<column>, "
                "or pass orthogonalize='none'"
            )
        cols.append(market)
    frame = returns[cols].apply(pd.to_numeric, errors="coerce").astype("float64")
    frame = frame.replace([np.inf, -np.inf], np.nan).dropna(how="any")
    return frame


def _orthogonalized(frame: pd.DataFrame, factors: list[str], market: str,
                    ai_factor: str | None, orthogonalize: str) -> pd.DataFrame:
    """Factor matrix (columns = ``factors``) with the chosen factors residualised on the market."""
    X = frame[factors].copy()
    if orthogonalize == "none":
        return X
    targets = ([ai_factor] if orthogonalize == "ai" else list(factors))
    targets = [f for f in targets if f is not None and f in factors and f != market]
    if not targets:
        return X
    m = frame[market].to_numpy()
    M = np.column_stack([np.ones_like(m), m])
    for f in targets:
        coef, *_ = np.linalg.lstsq(M, X[f].to_numpy(), rcond=None)
        X[f] = X[f].to_numpy() - M @ coef
    return X


_to_day = parse_day  # dates in messages are named by ``what``: "date", "event date", ...


def _session_position(index: pd.DatetimeIndex, date: Any, what: str = "date") -> int:
    """Position of the first row on or after ``date``; InputError if outside the data."""
    ts = _to_day(date, what)
    if len(index) == 0:
        raise InputError("no valid observations (symbol and factors never overlap); check the data")
    if ts < index[0] or ts > index[-1]:
        raise InputError(
            f"{what} {ts.date()} is outside the data ({index[0].date()} to {index[-1].date()} "
            "where the symbol and all factors have returns); pick a date inside that range"
        )
    return int(index.searchsorted(ts, side="left"))
