r"""Peer spillover: what do the other miners do when one announces an AI deal?

For an event of announcer ``a`` on day 0 and every peer ``j != a``, the peer's abnormal
return against the market + BTC model, estimated on the peer's own estimation window
(sessions ``est_window`` around the announcer's day 0),

.. math:: AR_{j0} = r_{j0} - \hat a_j - \hat b_{M,j} r_{M0} - \hat b_{B,j} r_{B0},
          \qquad CAR_j(0,1) = AR_{j0} + AR_{j1}.

Positive peer ARs are **contagion** (investors re-rate the whole group: "my miner could sign
too"), negative are **competition** (the tenant went elsewhere; scarce AI capital flowed to
the announcer). A peer with its own catalog event within [0, +1] of the announcer's day 0 is
left out of that pair (``own_news``) so its own news is not read as spillover.

Matrix: announcer x peer mean AR over the announcer's events. Group tests: for each event the
mean AR over the peers of a group (pivoters, loyalists) is one observation, so the peers'
common shock on that day is not counted as independent evidence; across events,
cross-sectional t (Brown and Warner 1985) and an exact two-sided sign test (binomial, p=0.5)
of the number of positive event means. Events on the same day by different announcers are
separate observations but share the day; with clustered dates the t is optimistic.

References
----------
Brown, S. J. and Warner, J. B. (1985). Using daily stock returns: the case of event studies.
    Journal of Financial Economics 14(1), 3-31.
Lang, L. H. P. and Stulz, R. M. (1992). Contagion and competitive intra-industry effects of
    bankruptcy announcements. Journal of Financial Economics 32(1), 45-60.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pivotlib.analytics.lifeboat._common import LifeboatResult, check_returns, check_roles
from pivotlib.analytics.lifeboat.persistence import _events_frame
from pivotlib.errors import InputError

__all__ = ["SpilloverResult", "peer_spillover"]


@dataclass
class SpilloverResult(LifeboatResult):
    """Result of :func:`peer_spillover`.

    ``table``: group tests (``announcer_group``, ``peer_group``, ``window`` ('day 0' or
    '[0,+1]'), ``n_events``, ``mean``, ``low``, ``high``, ``t``, ``p``, ``n_positive``,
    ``sign_p``). ``pairs``: one row per (event, peer). ``matrix`` / ``matrix01``: announcer x
    peer mean AR on day 0 / CAR[0,+1].
    """

    pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    matrix: pd.DataFrame = field(default_factory=pd.DataFrame)
    matrix01: pd.DataFrame = field(default_factory=pd.DataFrame)


def peer_spillover(returns: pd.DataFrame, events: pd.DataFrame, cohorts: Mapping[str, str],
                   *, market: str = "SPY", btc: str | None = "BTC-USD",
                   est_window: tuple[int, int] = (-250, -11), min_est: int = 60,
                   level: float = 0.95, own_news: pd.DataFrame | None = None) -> SpilloverResult:
    """Peers' abnormal returns on announcers' event days, by peer group (module docstring).

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns on sessions.
    events : DataFrame
        Announcer events (``event_id, symbol, event_date``).
    cohorts : mapping symbol -> group
        Every peer to look at and its group (e.g. 'pivoter' / 'loyalist'); symbols absent
        from ``returns`` are skipped with a note.
    market, btc : str
        Model columns (keyword roles); ``btc=None`` (no bitcoin series): the market model.
    est_window, min_est
        Estimation window relative to day 0 and its minimum rows.
    level : float
        Confidence level of the t intervals.
    own_news : DataFrame, optional
        Events used to detect a peer's own news (default ``events``).

    Returns
    -------
    SpilloverResult
    """
    returns = check_returns(returns)
    check_roles(returns, market=market, **({"btc": btc} if btc else {}))
    ev = _events_frame(events)
    groups = {str(k): str(v) for k, v in dict(cohorts).items()}
    peers = [s for s in groups if s in returns.columns and s not in (market, btc)]
    notes = [f"{s}: not in the dataset, not a peer" for s in groups if s not in peers]
    if not peers:
        raise InputError("no peer of cohorts is a column of returns")
    news = _events_frame(own_news) if own_news is not None else ev
    idx = returns.index
    F = returns[[market] + ([btc] if btc else [])].to_numpy(float)  # no btc: market model
    Y = returns[peers].to_numpy(float)
    news_pos = {(s, int(idx.searchsorted(d))) for s, d in zip(news["symbol"], news["event_date"])}
    rows = []
    for e in ev.itertuples():
        pos = int(idx.searchsorted(e.event_date))
        if pos + 1 >= len(idx):  # day +1 must be in the data
            notes.append(f"{e.event_id}: day 0 or +1 after the end of the data, left out")
            continue
        lo, hi = max(0, pos + est_window[0]), max(0, pos + est_window[1] + 1)
        for j, s in enumerate(peers):
            if s == e.symbol:
                continue
            rec = {"event_id": e.event_id, "announcer": e.symbol,
                   "announcer_group": groups.get(e.symbol, "other"), "event_date": e.event_date,
                   "peer": s, "peer_group": groups[s], "ar0": np.nan, "car01": np.nan,
                   "note": ""}
            if (s, pos) in news_pos or (s, pos + 1) in news_pos:
                rec["note"] = "own_news"
                rows.append(rec)
                continue
            ye, Xe = Y[lo:hi, j], F[lo:hi]
            ok = np.isfinite(ye) & np.isfinite(Xe).all(axis=1)
            if ok.sum() < min_est:
                rec["note"] = f"estimation rows {ok.sum()} < {min_est}"
                rows.append(rec)
                continue
            Z = np.column_stack([np.ones(ok.sum()), Xe[ok]])
            coef, *_ = np.linalg.lstsq(Z, ye[ok], rcond=None)
            ar = Y[pos:pos + 2, j] - coef[0] - F[pos:pos + 2] @ coef[1:]
            rec["ar0"] = ar[0]
            rec["car01"] = ar.sum()
            rows.append(rec)
    pairs = pd.DataFrame(rows)
    if pairs.empty:
        raise InputError("no event falls inside the data; nothing to measure")
    matrix = pairs.pivot_table(index="announcer", columns="peer", values="ar0", aggfunc="mean")
    matrix01 = pairs.pivot_table(index="announcer", columns="peer", values="car01",
                                 aggfunc="mean")
    test_rows = []
    for (win, col) in (("day 0", "ar0"), ("[0,+1]", "car01")):
        per_event = pairs.groupby(["event_id", "announcer_group", "peer_group"])[col].mean()
        per_event = per_event.dropna().reset_index()
        for ag in ["all", *sorted(per_event["announcer_group"].unique())]:
            sub = per_event if ag == "all" else per_event[per_event["announcer_group"] == ag]
            for pg in sorted(sub["peer_group"].unique()):
                x = sub.loc[sub["peer_group"] == pg, col].to_numpy(float)
                n = len(x)
                rec: dict[str, Any] = {"announcer_group": ag, "peer_group": pg, "window": win,
                                       "n_events": n, "mean": x.mean() if n else np.nan}
                if n >= 2:
                    se = x.std(ddof=1) / np.sqrt(n)
                    q = stats.t.ppf(0.5 + level / 2, n - 1)
                    t = x.mean() / se if se > 0 else np.nan
                    k = int((x > 0).sum())
                    rec.update({"low": x.mean() - q * se, "high": x.mean() + q * se, "t": t,
                                "p": float(2 * stats.t.sf(abs(t), n - 1)), "n_positive": k,
                                "sign_p": float(stats.binomtest(k, n, 0.5).pvalue)})
                test_rows.append(rec)
    n_own = int((pairs["note"] == "own_news").sum())
    if n_own:
        notes.append(f"{n_own} event-peer pairs left out: the peer had its own news in [0,+1]")
    method = (f"Peers' AR vs {market}{'+' + btc if btc else ' (market model)'} (estimated on {list(est_window)}) on announcers' "
              "day 0 and [0,+1]; per-event group means, cross-sectional t and sign test")
    return SpilloverResult(table=pd.DataFrame(test_rows), notes=notes,
                           title="Peer spillover of AI announcements", method=method,
                           pairs=pairs, matrix=matrix, matrix01=matrix01)
