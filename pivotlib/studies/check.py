"""``pivot events check``: every catalog event's measured move beside the move its source reported.

The abnormal returns come from the event-study engine (:func:`pivotlib.studies.event.run_study`)
with the same model, windows and masking as notebook 02, so the numbers equal the notebook's
for the same event and options; an event the engine refuses (too little history, a factor that
ends early) is listed with the engine's reason and only its raw moves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pivotlib.defaults import BITCOIN, ESTIMATION_WINDOW, MARKET
from pivotlib.events.catalog import (
    _EXPLAINED_RE,
    SECTOR,
    load_catalog,
    move_subject,
    parse_reported_move,
)
from pivotlib.studies.common import ModelSpec
from pivotlib.studies.event import run_study


def check_events(returns: pd.DataFrame, catalog: pd.DataFrame, *, market: str = MARKET,
                 factor: str | None = BITCOIN,
                 estimation: tuple[int, int] = ESTIMATION_WINDOW,
                 tolerance: float = 5.0, all_events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Measure every event's day-0 and [-1, +1] moves beside its reported move.

    Raw moves are close to close (``raw_d0``; ``raw_m1p1`` compounded over [-1, +1]).
    Abnormal ones (``ar_d0``, ``car_m1p1``) are the engine's under the ``factors`` model on
    ``market`` + ``factor`` (the ``market`` model when ``factor`` is None), estimation window
    ``estimation``, other catalog events masked: exactly notebook 02's numbers.

    Flags (comparing like with like): a ``close``-basis reported move is compared with the
    close-to-close day-0 return and flagged ``MISMATCH`` when the signs differ or the two are
    more than ``tolerance`` points apart; an intraday/premarket/afterhours move failing the
    same test is flagged ``basis differs``. A flagged row is ``explained`` when its notes
    contain ``CHECK:`` followed by the explanation. Sector rows are measured on the symbol
    named in their reported move (``"(CORZ)"``), if any.

    Returns
    -------
    pandas.DataFrame
        One row per event: event_id, symbol, event_date, reported, basis, raw_d0, raw_m1p1,
        ar_d0, car_m1p1 (percent), n_est, model, status (``measured``, or the engine's
        reason), flag, explained, notes.
    """
    rets = returns.sort_index()
    idx = pd.DatetimeIndex(rets.index)
    spec = (ModelSpec.of(model="factors", factors=[market, factor], estimation=estimation,
                         window=(-1, 1)) if factor else
            ModelSpec.of(model="market", market=market, estimation=estimation, window=(-1, 1)))
    subj = catalog.copy()
    sector = subj["symbol"].astype(str) == SECTOR
    subj.loc[sector, "symbol"] = subj.loc[sector, "reported_move"].map(move_subject)
    measurable = subj[(subj["symbol"].astype(str) != "") & subj["symbol"].isin(rets.columns)]
    engine = None
    if len(measurable) and all(r in rets.columns for r in spec.regressors()):
        cat = load_catalog() if all_events is None else all_events
        parts = []
        # company events exactly as notebook 02 runs them; a sector row measured on its subject
        # in a run of its own, so its window is never masked out of a company event's estimation
        is_sector = measurable["event_id"].isin(catalog.loc[sector, "event_id"])
        for chunk in [measurable[~is_sector]] + [measurable[is_sector].iloc[[k]]
                                                 for k in range(int(is_sector.sum()))]:
            if len(chunk):
                res = run_study(rets, chunk, spec, catalog=cat, n_boot=0)
                ar0 = res.ar[res.ar["rel_day"] == 0].set_index("event_id")["ar"]
                parts.append(res.events.assign(ar_d0=ar0.reindex(res.events.index)))
        engine = pd.concat(parts)
    rows = []
    for (_, ev), sym in zip(catalog.iterrows(), subj["symbol"]):
        pct, basis = parse_reported_move(ev.get("reported_move", ""))
        rec = {"event_id": ev["event_id"], "symbol": sym or SECTOR,
               "event_date": ev["event_date"], "reported": pct, "basis": basis,
               "raw_d0": np.nan, "raw_m1p1": np.nan, "ar_d0": np.nan, "car_m1p1": np.nan,
               "n_est": 0, "model": "", "status": "", "flag": "", "explained": False,
               "notes": ev.get("notes", "")}
        rows.append(rec)
        if not sym:
            rec["status"] = "sector"
            continue
        if sym not in rets.columns:
            rec["status"] = "no data"
            continue
        i = idx.get_indexer([pd.Timestamp(ev["event_date"])])[0]
        r = rets[sym].to_numpy(dtype=float)
        if i < 0 or not np.isfinite(r[i]):
            rec["status"] = "no data on event date"
            continue
        rec["raw_d0"] = 100 * r[i]
        win = r[max(i - 1, 0): i + 2]
        if len(win) == 3 and np.isfinite(win).all():
            rec["raw_m1p1"] = 100 * (np.prod(1 + win) - 1)
        if engine is not None and ev["event_id"] in engine.index:
            e = engine.loc[ev["event_id"]]
            rec["n_est"] = int(e["n_est"]) if np.isfinite(e["n_est"]) else 0
            if e["status"] == "ok":
                rec.update(ar_d0=100 * float(e["ar_d0"]), car_m1p1=100 * float(e["car"]),
                           model=" + ".join(spec.regressors()), status="measured")
            else:
                rec["status"] = f"raw only: {e['status']}"
        else:
            rec["status"] = "raw only: model factors missing"
        if np.isfinite(pct):
            d0 = rec["raw_d0"]
            wrong = (np.sign(d0) != np.sign(pct) and abs(d0) > 0.5 and abs(pct) > 0.5) or \
                abs(d0 - pct) > tolerance
            if wrong:
                rec["flag"] = "MISMATCH" if basis == "close" else "basis differs"
                rec["explained"] = bool(_EXPLAINED_RE.search(str(ev.get("notes", ""))))
    out = pd.DataFrame(rows)
    out.attrs["model"] = (f"engine: {spec.label()}, estimation {list(estimation)}, "
                          "other catalog events masked")
    return out


def format_check(table: pd.DataFrame) -> str:
    """Render a :func:`check_events` table as fixed-width text for a terminal or a log."""
    def f(x: float) -> str:
        return "" if not np.isfinite(x) else f"{x:+.1f}"
    lines = [f"{'event_id':44s} {'date':10s} {'rep':>7s} {'basis':9s} {'d0':>7s} "
             f"{'[-1,1]':>7s} {'AR0':>7s} {'CAR':>7s}  flag"]
    for _, r in table.iterrows():
        d = pd.Timestamp(r["event_date"]).strftime("%Y-%m-%d")
        flag = r["flag"] + (" (explained)" if r["flag"] and r["explained"] else
                            (" (UNEXPLAINED)" if r["flag"] else ""))
        if not r["flag"] and r["status"] != "measured":
            flag = str(r["status"])[:90]

        lines.append(f"{str(r['event_id'])[:44]:44s} {d:10s} {f(r['reported']):>7s} "
                     f"{r['basis']:9s} {f(r['raw_d0']):>7s} {f(r['raw_m1p1']):>7s} "
                     f"{f(r['ar_d0']):>7s} {f(r['car_m1p1']):>7s}  {flag}")
    return "\n".join(lines)
