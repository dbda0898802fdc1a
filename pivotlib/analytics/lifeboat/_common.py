"""Shared helpers of :mod:`pivotlib.analytics.lifeboat`: input checks, batched OLS with Newey-West HAC
covariance, and the result base class (``.table``, ``.summary()``, ``_repr_html_``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pivotlib.data.calendar import parse_day
from pivotlib.errors import InputError

HAC_RULE = ("floor(4 * (T / 100) ** (2 / 9)) lags, Bartlett kernel, small-sample factor "
            "T / (T - k) [Newey and West (1994) rule of thumb]")


def hac_lags(nobs: int) -> int:
    """Newey-West (1994) rule-of-thumb truncation ``max(1, floor(4 (T/100)^(2/9)))``."""
    return max(1, int(math.floor(4.0 * (max(nobs, 1) / 100.0) ** (2.0 / 9.0))))


def check_returns(returns: Any) -> pd.DataFrame:
    """A wide, date-indexed, sorted float frame or :class:`InputError`."""
    if not isinstance(returns, pd.DataFrame):
        raise InputError(f"returns must be a wide pandas DataFrame (one column per symbol), got "
                         f"{type(returns).__name__}; load it with pivotlib.data.load_returns")
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise InputError("returns must be indexed by session dates (a DatetimeIndex)")
    if not returns.index.is_monotonic_increasing:
        returns = returns.sort_index()
    return returns


def check_roles(returns: pd.DataFrame, **roles: str) -> dict[str, str]:
    """Validate explicit column roles (``market="SPY", btc="BTC-USD"``): present and distinct."""
    for name, col in roles.items():
        if not isinstance(col, str) or not col:
            raise InputError(f"{name} must be a column name (a non-empty string), got {col!r}")
        if col not in returns.columns:
            raise InputError(f"{name}={col!r} is not a column of the returns frame (columns: "
                             f"{', '.join(map(str, list(returns.columns)[:30]))}); load it or "
                             f"pass {name}=<column>")
    cols = list(roles.values())
    if len(set(cols)) != len(cols):
        raise InputError(f"the roles {roles} must name distinct columns")
    return dict(roles)


def split_symbols(returns: pd.DataFrame, symbols: Sequence[str] | str,
                  roles: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """Symbols in the frame and a note for each one that is not (never raises for absence)."""
    if isinstance(symbols, str):
        symbols = [symbols]
    symbols = list(dict.fromkeys(str(s) for s in symbols))
    if not symbols:
        raise InputError("symbols is empty; pass at least one miner")
    clash = [s for s in symbols if s in roles.values()]
    if clash:
        raise InputError(f"{clash} are factor columns (roles {dict(roles)}); remove them from "
                         "symbols")
    notes = {s: "not in the dataset (no column): left out" for s in symbols
             if s not in returns.columns or returns[s].notna().sum() == 0}
    return symbols, notes


def to_day(value: Any, what: str) -> pd.Timestamp:
    """A date parsed with :func:`pivotlib.calendar.parse_day` (InputError naming ``what``)."""
    return parse_day(value, what)


def ols_hac(y: np.ndarray, X: np.ndarray, lags: int | np.ndarray,
            mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Batched OLS with the Newey-West (Bartlett) HAC covariance.

    For each batch ``s`` (rows of ``y``) and its valid rows (``mask``),

    .. math:: \hat b = (X'X)^{-1} X'y, \quad
              \hat V = \frac{T}{T-k} (X'X)^{-1} \Big[\Gamma_0 + \sum_{l=1}^{L}
              \big(1 - \tfrac{l}{L+1}\big)(\Gamma_l + \Gamma_l')\Big] (X'X)^{-1},
              \quad \Gamma_l = \sum_t u_t u_{t-l}', \ u_t = x_t \hat e_t,

    which is statsmodels' ``OLS(...).fit(cov_type="HAC", cov_kwds={"maxlags": L,
    "use_correction": True})`` (Newey and West 1987). Rows outside ``mask`` are zeroed and
    dropped from the lag products, so the lags run over consecutive *valid* rows.

    Parameters
    ----------
    y : (S, n) array
    X : (S, n, k) or (n, k) array
    lags : int or (S,) int array
    mask : (S, n) bool array, optional (default: all rows)

    Returns
    -------
    (b, V, nobs) with shapes (S, k), (S, k, k), (S,). Rank-deficient batches give NaN.
    """
    y = np.atleast_2d(np.asarray(y, dtype=float))
    S, n = y.shape
    X = np.asarray(X, dtype=float)
    if X.ndim == 2:
        X = np.broadcast_to(X, (S, *X.shape))
    k = X.shape[2]
    m = np.ones((S, n), bool) if mask is None else np.asarray(mask, bool)
    m = m & np.isfinite(y) & np.isfinite(X).all(axis=2)
    # compact the valid rows to the front of each batch so lags run over valid rows only
    order = np.argsort(~m, axis=1, kind="stable")
    m = np.take_along_axis(m, order, axis=1)
    y = np.where(m, np.take_along_axis(y, order, axis=1), 0.0)
    X = np.where(m[..., None], np.take_along_axis(X, order[..., None], axis=1), 0.0)
    T = m.sum(axis=1)
    XtX = np.einsum("snk,snj->skj", X, X)
    ok = T > k
    det_ok = ok.copy()
    if ok.any():
        det_ok[ok] = np.linalg.matrix_rank(XtX[ok]) == k
    inv = np.full((S, k, k), np.nan)
    if det_ok.any():
        inv[det_ok] = np.linalg.inv(XtX[det_ok])
    b = np.einsum("skj,snj,sn->sk", inv, X, y)
    e = (y - np.einsum("snk,sk->sn", X, np.nan_to_num(b))) * m
    u = X * e[..., None]
    meat = np.einsum("snk,snj->skj", u, u)
    L = np.broadcast_to(np.asarray(lags, dtype=int), (S,))
    for lag in range(1, int(L.max(initial=0)) + 1):
        w = np.where(lag <= L, 1.0 - lag / (L + 1.0), 0.0)
        G = np.einsum("snk,snj->skj", u[:, lag:], u[:, :-lag])
        meat += w[:, None, None] * (G + np.transpose(G, (0, 2, 1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(T > k, T / (T - k), np.nan)
    V = corr[:, None, None] * (inv @ meat @ inv)
    return b, V, T


@dataclass
class LifeboatResult:
    """Base of the lifeboat result objects: a tidy ``table``, ``notes`` and a text summary."""

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    title: str = "Lifeboat analysis"
    method: str = ""

    def summary(self) -> str:
        """Title, method line, the table and the notes as plain text."""
        lines = [self.title]
        if self.method:
            lines.append(self.method)
        lines.append(self.table.to_string(index=False, float_format=lambda v: f"{v: .4f}"))
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{n}</li>" for n in self.notes)
        return (f"<h4>{self.title}</h4><p>{self.method}</p>"
                + self.table.to_html(index=False, float_format=lambda v: f"{v:.4f}", na_rep="")
                + (f"<ul>{notes}</ul>" if notes else ""))

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()
