r"""Bitcoin crash episodes found from the data, and each miner's drawdown over them.

Episodes (:func:`crash_episodes`)
---------------------------------
The BTC price index on sessions, :math:`P_t = \prod_{s \le t} (1 + r_{BTC,s})`, is cut into
alternating swings by a zig-zag rule with reversal size :math:`\theta` (``threshold``) in
simple-return terms. Starting from the first session, the running peak is tracked; once the
price is :math:`\theta` or more below it,

.. math:: P_t / \max_{s \in [u, t]} P_s - 1 \le -\theta,

a crash episode is open with ``start`` = the date of that peak. It stays open while the
price keeps making new lows; it closes when the price has risen :math:`\theta_r`
(``rebound``, default :math:`\theta`) above the lowest close since the peak. Its ``trough`` is
that lowest close and ``btc_drawdown`` = :math:`P_{trough}/P_{start} - 1`. The next search
starts from the trough (so the rebound peak that follows can start the next episode). An
episode still open at the end of the data is kept with ``complete=False``.

Capture (:func:`episode_capture`)
---------------------------------
For each miner and episode, its own move over the same dates,
:math:`m = \prod_{t \in (start, trough]} (1 + r_{i,t}) - 1`, its worst peak-to-trough fall
inside the window, and the realised capture

.. math:: c = m / d_{BTC}

(1 = fell as much as bitcoin, 0 = did not fall, < 0 = rose). A miner with any missing return in
the window (not yet listed, gap) gets NaN with the reason, never a filled number. Each
episode is ``before`` or ``after`` the miner's split date by its start date (``straddles``
when the split falls inside the window; such episodes are not averaged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pivotlib.analytics.lifeboat._common import (
    LifeboatResult,
    check_returns,
    check_roles,
    split_symbols,
    to_day,
)
from pivotlib.errors import InputError

__all__ = ["CaptureResult", "crash_episodes", "episode_capture", "zigzag_episodes"]


def zigzag_episodes(price: np.ndarray, threshold: float,
                    rebound: float | None = None) -> list[tuple[int, int, int | None]]:
    """Positions ``(peak, trough, end)`` of falls of at least ``threshold`` (see module doc).

    ``end`` is the position where the rebound of ``rebound`` from the trough is first reached,
    or None if the episode is still open at the end.
    """
    p = np.asarray(price, float)
    rb = threshold if rebound is None else rebound
    out: list[tuple[int, int, int | None]] = []
    n = len(p)
    i = 0
    while i < n:
        # search for a peak followed by a fall of threshold, from position i
        peak = i
        j = i
        found = False
        while j < n:
            if p[j] > p[peak]:
                peak = j
            elif p[j] / p[peak] - 1 <= -threshold:
                found = True
                break
            j += 1
        if not found:
            break
        trough, k, end = j, j, None
        while k < n:
            if p[k] < p[trough]:
                trough = k
            elif p[k] / p[trough] - 1 >= rb:
                end = k
                break
            k += 1
        out.append((peak, trough, end))
        if end is None:
            break
        i = trough + 1
    return out


def crash_episodes(returns: pd.DataFrame, *, btc: str = "BTC-USD", threshold: float = 0.20,
                   rebound: float | None = None) -> pd.DataFrame:
    """BTC peak-to-trough falls of at least ``threshold`` (zig-zag rule, module docstring).

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns on sessions; only ``btc`` is used.
    btc : str
        Bitcoin column (session-aligned, so weekend moves are in Monday's return).
    threshold : float, default 0.20
        Minimum fall, as a fraction (0.20 = 20 %).
    rebound : float, optional
        Rise from the trough that ends an episode (default ``threshold``).

    Returns
    -------
    DataFrame
        ``episode`` (1, 2, ...), ``start`` (peak date), ``trough``, ``end`` (rebound date or
        NaT), ``btc_drawdown`` (negative), ``sessions`` (start to trough), ``complete``.
    """
    returns = check_returns(returns)
    check_roles(returns, btc=btc)
    if not 0 < threshold < 1:
        raise InputError(f"threshold={threshold} must be a fraction between 0 and 1 (0.2 = 20%)")
    r = returns[btc].dropna()
    price = np.cumprod(1.0 + r.to_numpy(float))
    price = np.concatenate([[1.0], price])  # the close before the first return
    idx = r.index.insert(0, r.index[0] - pd.Timedelta(days=1)) if len(r) else r.index
    rows = []
    for e, (a, b, c) in enumerate(zigzag_episodes(price, threshold, rebound), start=1):
        rows.append({"episode": e, "start": idx[a], "trough": idx[b],
                     "end": idx[c] if c is not None else pd.NaT,
                     "btc_drawdown": price[b] / price[a] - 1.0, "sessions": int(b - a),
                     "complete": c is not None})
    cols = ["episode", "start", "trough", "end", "btc_drawdown", "sessions", "complete"]
    out = pd.DataFrame(rows, columns=cols)
    out.attrs.update({"threshold": threshold, "rebound": rebound or threshold, "btc": btc})
    return out


@dataclass
class CaptureResult(LifeboatResult):
    """Result of :func:`episode_capture`.

    ``table`` (long): ``episode, start, trough, btc_drawdown, symbol, cohort, phase,
    miner_move, miner_max_drawdown, capture, note``. ``by_symbol``: per symbol the mean capture
    over ``before`` and ``after`` episodes, their counts and the change. ``episodes``: the
    episode list.
    """

    by_symbol: pd.DataFrame = field(default_factory=pd.DataFrame)
    episodes: pd.DataFrame = field(default_factory=pd.DataFrame)

    def wide(self, value: str = "miner_move") -> pd.DataFrame:
        """Episodes x symbols table of ``value`` (for the crash-episode chart/table)."""
        w = self.table.pivot(index="episode", columns="symbol", values=value)
        meta = self.table.drop_duplicates("episode").set_index("episode")
        w = w.reindex(columns=list(dict.fromkeys(self.table["symbol"])))
        return meta[["start", "trough", "btc_drawdown"]].join(w)


def episode_capture(returns: pd.DataFrame, episodes: pd.DataFrame, symbols: Sequence[str],
                    split_dates: Mapping[str, Any] | None = None, *, btc: str = "BTC-USD",
                    cohorts: Mapping[str, str] | None = None) -> CaptureResult:
    """Each miner's move and capture over each BTC crash episode, before vs after its split.

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns on sessions.
    episodes : DataFrame
        :func:`crash_episodes` output.
    symbols : sequence of str
        Miners; absent ones keep rows with NaN and a note.
    split_dates : mapping symbol -> date, optional
        Each miner's split (pivot) date; without one every episode is ``n/a``.
    btc : str
        Bitcoin column (validated present).
    cohorts : mapping symbol -> cohort label, optional
        Carried into the table (e.g. ``pivot_cohorts(...)["cohort"]``).

    Returns
    -------
    CaptureResult
    """
    returns = check_returns(returns)
    roles = check_roles(returns, btc=btc)
    syms, missing = split_symbols(returns, symbols, roles)
    split_dates = dict(split_dates or {})
    cohorts = dict(cohorts or {})
    idx = returns.index
    rows = []
    for ep in episodes.itertuples():
        a = int(idx.searchsorted(ep.start, side="right"))  # first return after the peak close
        b = int(idx.searchsorted(ep.trough, side="right"))
        for s in syms:
            row: dict[str, Any] = {"episode": ep.episode, "start": ep.start, "trough": ep.trough,
                                   "btc_drawdown": ep.btc_drawdown, "symbol": s,
                                   "cohort": cohorts.get(s, ""), "phase": "n/a",
                                   "miner_move": np.nan, "miner_max_drawdown": np.nan,
                                   "capture": np.nan, "note": missing.get(s, "")}
            sd = split_dates.get(s)
            if sd is not None and not pd.isna(sd):
                sd = to_day(sd, f"split date of {s}")
                row["phase"] = ("after" if ep.start >= sd else
                                "before" if ep.trough < sd else "straddles")
            if s not in missing:
                r = returns[s].to_numpy(float)[a:b]
                if b <= a:
                    row["note"] = "empty window"
                elif not np.isfinite(r).all():
                    first = returns[s].first_valid_index()
                    row["note"] = ("not listed at the episode start" if first is None
                                   or first > idx[a] else "missing returns in the window")
                else:
                    path = np.concatenate([[1.0], np.cumprod(1.0 + r)])
                    row["miner_move"] = path[-1] - 1.0
                    row["miner_max_drawdown"] = float((path / np.maximum.accumulate(path)).min()
                                                      - 1.0)
                    row["capture"] = row["miner_move"] / ep.btc_drawdown
            rows.append(row)
    table = pd.DataFrame(rows, columns=["episode", "start", "trough", "btc_drawdown", "symbol",
                                        "cohort", "phase", "miner_move", "miner_max_drawdown",
                                        "capture", "note"])
    g = table[table["phase"].isin(["before", "after"])].groupby(["symbol", "phase"])["capture"]
    agg = g.agg(["mean", "count"]).unstack("phase")
    by = pd.DataFrame(index=pd.Index(syms, name="symbol"))
    for ph in ("before", "after"):
        by[f"capture_{ph}"] = agg["mean"][ph] if ("mean", ph) in agg.columns else np.nan
        by[f"n_{ph}"] = (agg["count"][ph] if ("count", ph) in agg.columns
                         else 0)
    by = by.fillna({"n_before": 0, "n_after": 0})
    by["n_before"] = by["n_before"].astype(int)
    by["n_after"] = by["n_after"].astype(int)
    by["change"] = by["capture_after"] - by["capture_before"]
    by.insert(0, "cohort", [cohorts.get(s, "") for s in by.index])
    notes = [f"{s}: {n}" for s, n in missing.items()]
    method = (f"BTC falls of at least {episodes.attrs.get('threshold', float('nan')):.0%} "
              "(zig-zag rule); capture = miner move / BTC move over start..trough")
    return CaptureResult(table=table, notes=notes, title="BTC crash episodes: miner capture",
                         method=method, by_symbol=by.reset_index(), episodes=episodes)
