"""The Merge as an event: CAR of each miner around the Merge (and the day its date was fixed).

Each date is an event for every miner of both cohorts, run through the house engine
(:func:`pivotlib.analytics.eventstudy.run_event_study`, market + bitcoin factor model,
estimation window (-250, -11), event window (-1, +1) by default): per-firm CAR with its t and
p, the cohort CAAR with the full test battery (cross-sectional t, Patell, BMP, Kolari-Pynnonen
BMP with the cross-correlation adjustment - all firms share the event date, so the KP
adjustment matters - ranks, sign, ...), and the AR paths for the chart. The model does not hold
ether fixed: a GPU miner's abnormal return on the Merge day includes whatever ether did that
day, which is the point of the exercise (the Merge hit ether miners' revenue). A same-day
cross-section (event-date clustering) is exactly where the cross-sectional t over-rejects; read
the KP-adjusted BMP beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib.analytics.eventstudy import EventStudyResult, run_event_study
from pivotlib.analytics.lifeboat import LifeboatResult

__all__ = ["MergeCARs", "merge_cars"]

HEADLINE_TESTS = ("cross_sectional_t", "patell_z", "bmp_t", "kp_bmp_t", "generalized_sign_z",
                  "corrado_rank_z")


@dataclass
class MergeCARs(LifeboatResult):
    """Result of :func:`merge_cars`.

    ``table``: one row per (date, cohort): ``event, date, cohort, n, caar`` and the p-values of
    :data:`HEADLINE_TESTS`. ``firms``: ``event, date, symbol, cohort, status, car, car_t,
    car_p``. ``results``: the engine's :class:`EventStudyResult` per ``(event, cohort)``;
    ``paths``: long AR/CAR paths (``event, cohort, symbol, rel_day, ar, car``).
    """

    firms: pd.DataFrame = field(default_factory=pd.DataFrame)
    paths: pd.DataFrame = field(default_factory=pd.DataFrame)
    results: dict[tuple[str, str], EventStudyResult] = field(default_factory=dict)


def merge_cars(returns: pd.DataFrame, cohorts: Mapping[str, str], dates: Mapping[str, Any], *,
               market: str = "SPY", btc: str = "BTC-USD",
               estimation: Sequence[int] = (-250, -11), window: Sequence[int] = (-1, 1),
               other_events: pd.DataFrame | None = None, min_est: int | None = None
               ) -> MergeCARs:
    """CAR of every cohort firm around each date (see module doc).

    Parameters
    ----------
    returns : DataFrame
        Wide daily simple returns.
    cohorts : mapping symbol -> cohort
        Firms and their cohort (``gpu`` / ``bitcoin_only``); absent firms are noted.
    dates : mapping name -> date
        Event dates, e.g. ``{"merge": "2022-09-15", "merge_fixed": "2022-08-11"}``.
    market, btc, estimation, window, other_events, min_est
        Passed to the engine (``model="factors", factors=[market, btc]``).

    Returns
    -------
    MergeCARs
    """
    notes: list[str] = []
    rows, firm_rows, paths, results = [], [], [], {}
    present = {s: c for s, c in cohorts.items() if s in returns.columns}
    for s in cohorts:
        if s not in present:
            notes.append(f"{s}: not in the dataset, no Merge CAR")
    kw: dict[str, Any] = {"model": "factors", "factors": [market, btc],
                          "estimation": tuple(estimation), "window": tuple(window),
                          "other_events": other_events}
    if min_est is not None:
        kw["min_est"] = min_est
    for name, day in dates.items():
        d0 = pd.Timestamp(day).normalize()
        for cohort in dict.fromkeys(present.values()):
            syms = [s for s, c in present.items() if c == cohort]
            ev = pd.DataFrame({"event_id": [f"{name}:{s}" for s in syms], "symbol": syms,
                               "event_date": [d0] * len(syms)})
            res = run_event_study(returns, ev, **kw)
            results[(name, cohort)] = res
            e = res.events
            for _eid, r in e.iterrows():
                firm_rows.append({"event": name, "date": d0, "symbol": r["symbol"],
                                  "cohort": cohort, "status": r["status"], "car": r.get("car"),
                                  "car_t": r.get("car_t"), "car_p": r.get("car_p")})
                if r["status"] != "ok":
                    notes.append(f"{name} {r['symbol']}: {r['status']}")
            if len(res.ar):
                p = res.ar[["symbol", "rel_day", "ar", "car"]].copy()
                p.insert(0, "cohort", cohort)
                p.insert(0, "event", name)
                paths.append(p)
            row: dict[str, Any] = {"event": name, "date": d0, "cohort": cohort, "n": res.n_ok,
                                   "caar": res.caar}
            for t in HEADLINE_TESTS:
                row[f"p_{t}"] = (float(res.tests.loc[t, "p_value"]) if t in res.tests.index
                                 else float("nan"))
            rows.append(row)
    table = pd.DataFrame(rows)
    firms = pd.DataFrame(firm_rows, columns=["event", "date", "symbol", "cohort", "status", "car",
                                             "car_t", "car_p"])
    method = (f"Event study, market + bitcoin model ({market}, {btc}), estimation "
              f"{tuple(estimation)}, CAR window {tuple(window)} trading days; cohort CAAR with "
              "the engine's test battery")
    return MergeCARs(table=table, notes=notes, title="The Merge as an event", method=method,
                     firms=firms, paths=pd.concat(paths, ignore_index=True) if paths else
                     pd.DataFrame(columns=["event", "cohort", "symbol", "rel_day", "ar", "car"]),
                     results=results)
