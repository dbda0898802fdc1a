"""Synthetic return frames for the event-study tests (no files, no network)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_returns(n_firms: int = 10, n_days: int = 800, seed: int = 0, *,
                 start: str = "2020-01-02", btc: bool = False, df: float | None = None,
                 sigma: tuple[float, float] = (0.01, 0.03)) -> tuple[pd.DataFrame, dict]:
    """Wide returns following R_it = a_i + b_i SPY_t [+ c_i BTC_t] + e_it.

    Returns the frame (columns F00.., SPY[, BTC-USD]) and the true parameters.
    ``df``: Student-t degrees of freedom of e (None = normal).
    """
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range(start, periods=n_days, name="date")
    spy = rng.normal(0.0003, 0.01, n_days)
    a = rng.normal(0.0, 0.0005, n_firms)
    b = rng.uniform(0.5, 1.8, n_firms)
    s = rng.uniform(*sigma, n_firms)
    if df is None:
        e = rng.standard_normal((n_days, n_firms))
    else:
        e = rng.standard_t(df, size=(n_days, n_firms)) / np.sqrt(df / (df - 2))
    r = a[None, :] + spy[:, None] * b[None, :] + e * s[None, :]
    out = {"alpha": a, "beta": b, "sigma": s}
    cols = [f"F{i:02d}" for i in range(n_firms)]
    frame = pd.DataFrame(r, index=idx, columns=cols)
    frame["SPY"] = spy
    if btc:
        btc_r = rng.normal(0.001, 0.035, n_days)
        c = rng.uniform(0.2, 0.9, n_firms)
        frame[cols] = frame[cols].to_numpy() + btc_r[:, None] * c[None, :]
        frame["BTC-USD"] = btc_r
        out["beta_btc"] = c
    return frame, out


def make_events(frame: pd.DataFrame, n_events: int, seed: int = 0, *, lo: int = 300,
                hi_pad: int = 30, firms: list[str] | None = None) -> pd.DataFrame:
    """Random events (one firm, one session each) at row positions in [lo, len - hi_pad)."""
    rng = np.random.default_rng(seed)
    firms = firms or [c for c in frame.columns if c.startswith("F")]
    pos = rng.integers(lo, len(frame) - hi_pad, n_events)
    sym = rng.choice(firms, n_events)
    return pd.DataFrame({"event_id": [f"ev{i:04d}" for i in range(n_events)], "symbol": sym,
                         "event_date": frame.index[pos]})
