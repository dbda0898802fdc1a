"""Notebook 02's window table: the batched CAR t-test of every window equals one engine run per
window (SYNTHETIC demo returns and, when ../shared is there, real closes)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pivotlib.events.catalog import company_events, load_catalog
from pivotlib.studies import event as se
from pivotlib.studies.common import ModelSpec
from pivotlib.studies.results import headline_test

WINDOWS = [(0, 0), (-1, 1), (0, 5), (-5, 5), (-10, 20), (0, 60)]


def _loop(returns, events, spec, windows, catalog):
    """The reference: one engine run per window (the table's definition)."""
    rows = []
    for w in windows:
        r = se.run_study(returns, events, spec, catalog=catalog, window=w)
        if (r.events["status"] != "ok").all():
            rows.append((math.nan, math.nan, math.nan, str(r.events["status"].iloc[0])[:90]))
        else:
            _, t, p = headline_test(r)
            rows.append((float(r.caar), t, p, ""))
    return rows


def _check(returns, ev, spec, catalog):
    calls = []
    real = se.run_study

    def counted(*a, **k):
        calls.append(k.get("window"))
        return real(*a, **k)

    se.run_study = counted
    try:
        got = se.window_table(returns, ev, spec, WINDOWS, catalog=catalog)
    finally:
        se.run_study = real
    want = _loop(returns, ev, spec, WINDOWS, catalog)
    # batched: the engine runs only for the windows the event cannot be studied over
    assert len(calls) == sum(1 for w in want if w[3])
    assert list(got["window"]) == [f"[{a}, {b}]" for a, b in WINDOWS]
    n_ok = 0
    for (_, row), (car, t, p, note) in zip(got.iterrows(), want):
        assert row["note"] == note
        if note:
            assert math.isnan(row["car"]) and math.isnan(row["p_value"])
            continue
        assert row["car"] == pytest.approx(car, abs=1e-10, rel=0)
        assert row["t"] == pytest.approx(t, abs=1e-9, rel=1e-10)
        assert row["p_value"] == pytest.approx(p, abs=1e-10, rel=0)
        n_ok += 1
    return n_ok, len(WINDOWS) - n_ok


@pytest.mark.parametrize("model", ["factors", "market", "market_adjusted", "constant_mean"])
def test_batched_windows_equal_engine_runs_on_demo(model):
    from pivotlib.data.loading import load_returns

    cat = load_catalog()
    ev_all = company_events(cat)
    spec = ModelSpec.of(model=model)
    rets = load_returns(sorted(set(ev_all["symbol"])) + ["SPY", "BTC-USD"], dataset="demo",
                        on_missing="skip")
    last = rets.index[-1]
    # the latest events (their long windows run off the data: the engine's reason is kept)
    # and an early one
    picks = ev_all.sort_values("event_date").iloc[[3, -4, -3, -2, -1]]
    ok = bad = 0
    for _, e in picks.iterrows():
        if e["symbol"] not in rets.columns or e["event_date"] > last:
            continue
        a, b = _check(rets, e.to_frame().T.reset_index(drop=True), spec, cat)
        ok, bad = ok + a, bad + b
    assert ok >= 15 and bad >= 1


def test_several_events_run_the_engine_per_window():
    from pivotlib.data.loading import load_returns

    cat = load_catalog()
    ev = company_events(cat).sort_values("event_date").iloc[[3, 4]].reset_index(drop=True)
    rets = load_returns(sorted(set(ev["symbol"])) + ["SPY", "BTC-USD"], dataset="demo")
    got = se.window_table(rets, ev, ModelSpec.of(), [(0, 0), (-1, 1)], catalog=cat)
    want = _loop(rets, ev, ModelSpec.of(), [(0, 0), (-1, 1)], cat)
    assert got["car"].tolist() == pytest.approx([w[0] for w in want], abs=1e-12)


@pytest.mark.realdata
def test_batched_windows_equal_engine_runs_on_real_closes(realdata):
    from test_eventstudy_realdata import _returns

    r = _returns(realdata)
    cat = load_catalog()
    ok = 0
    for eid, sym, day in (("APLD-2025-06-02", "APLD", "2025-06-02"),
                          ("IREN-2026-01-30", "IREN", "2026-01-30")):
        ev = pd.DataFrame({"event_id": [eid], "symbol": [sym],
                           "event_date": [pd.Timestamp(day)]})
        for model in ("factors", "market"):
            a, _ = _check(r, ev, ModelSpec.of(model=model), cat)
            ok += a
    assert ok >= 8
