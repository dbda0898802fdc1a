"""Benchmark: the engine against the ``eventstudy`` package (0.1a12, PyPI) on the same work.

The same synthetic data as ``bench_eventstudy.py`` (500 symbols x 2,600 business days, 20
events per symbol = 10,000 events, no files, no network). The work the peer does per event is
the market model (statsmodels OLS over 240 estimation days), the CAR over the event window
[-1, +1] and its t-test; the same windows are given to both (the peer's ``estimation_size=240,
buffer_size=9`` is our ``estimation=(-250, -11)``). Timed, in the same run:

* ``peer``: ``eventstudy.Single.market_model`` for each event (CAR, t-stat and p-value read at
  the end of the window), on ``--peer-sample`` events (default: all) and scaled per event;
* ``lean``: :func:`pivotlib.analytics.eventstudy.lean.car_tests` on all events with
  ``mask_other_events=False`` (the peer does not mask other events): the same work;
* ``lean_masked``: the same with the default masking of other events (more work);
* ``full``: :func:`pivotlib.analytics.eventstudy.run_event_study` with the whole battery.

Checks printed beside the times: the lean CAR equals the peer's (max abs difference), the lean
t-stat equals the peer's rescaled by sqrt((M - 2) / M) (the peer's sigma^2 is SSE / M; ours is
SSE / (M - 2)), and the lean columns equal the full engine's (max abs difference).

The peer is not installed at test time: without it this prints that it skipped and exits 0
(``make bench`` installs it). The last line printed is::

    lean_vs_peer=<x> full_vs_peer=<y> lean_events_per_s=<n>

Target (issue 20): ``lean_vs_peer >= 25``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

PEER = "eventstudy"
PEER_VERSION = "0.1a12"


def _best(fn, repeats: int) -> tuple[float, object]:
    out, best = None, np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peer_run(returns, events) -> np.ndarray:
    """(CAR, t, p) at the end of the window, one row per event, with the peer package."""
    from eventstudy import Single

    out = np.empty((len(events), 3))
    for i, (sym, day) in enumerate(zip(events["symbol"], events["event_date"], strict=True)):
        es = Single.market_model(security_ticker=sym, market_ticker="SPY",
                                 event_date=np.datetime64(day, "D"), event_window=(-1, 1),
                                 estimation_size=240, buffer_size=9)
        out[i] = (es.CAR[-1], es.tstat[-1], es.pvalue[-1])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--days", type=int, default=2600)
    ap.add_argument("--events-per-symbol", type=int, default=20)
    ap.add_argument("--peer-sample", type=int, default=0, help="0 = every event")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    try:
        import eventstudy  # noqa: F401
    except ImportError:
        print(f"skipped: the peer package {PEER}=={PEER_VERSION} is not installed "
              f"(`make bench` installs it; or pip install {PEER}=={PEER_VERSION})")
        return 0
    from importlib.metadata import version

    from bench_eventstudy import synthetic

    from pivotlib.analytics.eventstudy import run_event_study
    from pivotlib.analytics.eventstudy.lean import car_tests

    returns, events = synthetic(n_symbols=args.symbols, n_days=args.days,
                                events_per_symbol=args.events_per_symbol)
    n = len(events)
    print(f"data: {returns.shape[0]} sessions x {returns.shape[1]} columns, {n} events; "
          f"peer {PEER} {version(PEER)}")

    from eventstudy import Single

    data = {"date": returns.index.to_numpy(dtype="datetime64[D]")}
    data.update({c: returns[c].to_numpy() for c in returns.columns})
    Single._save_parameter("returns", data)  # the peer's shared returns table (import untimed)

    sample = events if not args.peer_sample else events.sample(
        n=min(args.peer_sample, n), random_state=1)
    peer_run(returns, sample.iloc[:5])  # warm-up (statsmodels, scipy imports)
    car_tests(returns, events.iloc[:50])
    run_event_study(returns, events.iloc[:50], model="market", market="SPY")

    t0 = time.perf_counter()
    peer = peer_run(returns, sample)
    t_peer = (time.perf_counter() - t0) / len(sample) * n
    t_lean, lean = _best(lambda: car_tests(returns, events, mask_other_events=False),
                         args.repeat)
    t_lean_m, _ = _best(lambda: car_tests(returns, events), args.repeat)
    t_full, full = _best(lambda: run_event_study(returns, events, model="market",
                                                 market="SPY"), max(1, args.repeat // 2))
    t_full_u, full_u = _best(lambda: run_event_study(returns, events, model="market",
                                                     market="SPY", mask_other_events=False),
                             max(1, args.repeat // 2))

    sel = lean.loc[sample["event_id"]]
    okp = (sel["status"] == "ok").to_numpy()
    d_car = float(np.max(np.abs(sel["car"].to_numpy()[okp] - peer[okp, 0])))
    m = sel["n_est"].to_numpy()[okp]
    t_scaled = peer[okp, 1] * np.sqrt((m - 2) / m)
    d_t = float(np.max(np.abs(sel["car_t"].to_numpy()[okp] - t_scaled)))
    fe = full_u.events
    d_full = max(float(np.nanmax(np.abs(lean[a].to_numpy() - fe[b].to_numpy())))
                 for a, b in (("alpha", "alpha"), ("beta", "beta_SPY"), ("sigma", "sigma"),
                              ("car", "car"), ("car_t", "car_t"), ("car_p", "car_p")))

    def row(name: str, sec: float, what: str) -> None:
        print(f"{name:<12} {sec:8.3f} s  {n / sec:>10,.0f} events/s  {t_peer / sec:7.1f}x peer"
              f"  {what}")

    print(f"{'path':<12} {'seconds':>10}  {'throughput':>17}  {'vs peer':>8}")
    row("peer", t_peer, f"eventstudy.Single.market_model per event ({len(sample)} timed, "
        "scaled): market model, CAR, CAR t-test")
    row("lean", t_lean, "car_tests(mask_other_events=False): the same work")
    row("lean_masked", t_lean_m, "car_tests(): + masking of other events (default)")
    row("full", t_full, "run_event_study: full battery (default masking)")
    row("full_nomask", t_full_u, "run_event_study(mask_other_events=False): full battery")
    print(f"checks on {int(okp.sum())} events: max|CAR lean - CAR peer| = {d_car:.1e}; "
          f"max|t lean - t peer * sqrt((M-2)/M)| = {d_t:.1e}; max|lean - full| (alpha, beta, "
          f"sigma, car, car_t, car_p) = {d_full:.1e}")
    bad = not (d_car < 1e-10 and d_t < 1e-8 and d_full <= 1e-12)
    if bad:
        print("CHECK FAILED: the paths disagree")
    print(f"lean_vs_peer={t_peer / t_lean:.1f} full_vs_peer={t_peer / t_full:.1f} "
          f"lean_events_per_s={n / t_lean:.0f}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
