"""Benchmark: the batched CAR specification curve against a loop of single studies, and the
lifeboat curve against one lifeboat study; all in the same run, on the SYNTHETIC demo data.

* ``curve``: :func:`pivotlib.studies.curves.event_curve` of the default headline event over
  :data:`pivotlib.defaults.CAR_CURVE_GRID` (288 specifications), without null curves
  (``curve_null``: with the default 200 placebo curves, i.e. 201 x 288 specifications);
* ``loop``: the same 288 specifications one at a time, each run as
  :func:`pivotlib.studies.event.study_event` runs its engine (``run_study``: the catalog's
  other events, the full test battery), day 0 moved one session for the "next" timing;
* ``loop_study_event``: :func:`study_event` itself (returns and prices preloaded, no extra
  windows) for the 72 specifications it can express (model x estimation x window; catalogued
  timing, masking on), scaled to 288;
* ``lifeboat``: one :func:`pivotlib.studies.lifeboat.study_lifeboat` against the lifeboat DiD
  curve alone (``study_lifeboat(curve=True)`` minus the study; its grid size is printed).

Each number is the minimum over ``--repeats`` runs after one warm-up. The last line::

    car_curve_speedup=<loop / curve> lifeboat_curve_vs_study=<curve / study> (<S> specs)

Targets (issue 18): ``car_curve_speedup >= 20``; the lifeboat curve at most 30 x one study for
200 specifications.
"""

from __future__ import annotations

import argparse
import sys

from _timing import best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-lifeboat", action="store_true")
    args = ap.parse_args(argv)

    from pivotlib.analytics.robustness import grid_specs
    from pivotlib.analytics.robustness.car import car_grid, headline_spec
    from pivotlib.events.catalog import company_events, load_catalog
    from pivotlib.studies.curves import event_curve
    from pivotlib.studies.event import run_study, study_event

    cat = load_catalog()
    rep = study_event(dataset="demo", catalog=cat, robustness=False)
    returns, event, spec = rep.returns, rep.result.events.reset_index()[
        ["event_id", "symbol", "event_date"]], rep.spec
    event = event.assign(event_date=[rep.event["event_date"]])
    specs = grid_specs(car_grid(headline_spec(spec.model, spec.estimation, spec.window)))
    idx = returns.index
    p0 = int(idx.get_loc(rep.row["day0"]))
    other = company_events(cat)

    def curve() -> None:
        event_curve(returns, event, spec, catalog=cat, n_null=0)

    def curve_null() -> None:
        event_curve(returns, event, spec, catalog=cat)

    def loop() -> None:
        from pivotlib.studies.common import ModelSpec

        for s in specs:
            ms = ModelSpec.of(model=s["model"], market=spec.market, factors=spec.factors,
                              estimation=(s["est_start"], s["est_end"]), window=s["window"])
            ev = event.assign(event_date=[idx[p0 + (1 if s["timing"] == "next" else 0)]])
            run_study(returns, ev, ms, catalog=other, mask_other_events=bool(s["mask"]))

    expressible = [s for s in specs if s["timing"] == "catalogued" and s["mask"]]

    def loop_study_event() -> None:
        for s in expressible:
            study_event(dataset="demo", event_id=str(rep.event["event_id"]), catalog=cat,
                        model=s["model"], estimation=(s["est_start"], s["est_end"]),
                        window=s["window"], returns=returns, prices=rep.prices, windows=(),
                        robustness=False)

    t_curve = best(curve, args.repeats)
    t_null = best(curve_null, max(0 if args.repeats <= 0 else 1, args.repeats - 2))
    t_loop = best(loop, max(0 if args.repeats <= 0 else 1, args.repeats - 2))
    t_se = best(loop_study_event, max(0 if args.repeats <= 0 else 1, args.repeats - 2)) * len(specs) / len(expressible)
    print(f"event {rep.event['event_id']}: {len(specs)} specifications")
    print(f"curve (batched, no null)          {t_curve:8.3f} s")
    print(f"curve + 200 placebo null curves   {t_null:8.3f} s")
    print(f"loop of study engine runs         {t_loop:8.3f} s  ({t_loop / t_curve:.0f}x)")
    print(f"loop of study_event (72 -> 288)   {t_se:8.3f} s  ({t_se / t_curve:.0f}x)")
    tail = ""
    if not args.no_lifeboat:
        from pivotlib.studies.lifeboat import study_lifeboat

        try:
            t_one = best(lambda: study_lifeboat(dataset="demo", catalog=cat, curve=False),
                          args.repeats)
            holder = {}

            def with_curve() -> None:
                holder["r"] = study_lifeboat(dataset="demo", catalog=cat, curve=True)

            t_both = best(with_curve, max(0 if args.repeats <= 0 else 1, args.repeats - 2))
            n = len(holder["r"].curve.frame) if holder["r"].curve is not None else 0
            t_c = max(t_both - t_one, 0.0)
            print(f"study_lifeboat                    {t_one:8.3f} s")
            print(f"lifeboat curve ({n} specs + null)  {t_c:8.3f} s  ({t_c / t_one:.1f}x one "
                  f"study; {t_c / t_one * 200 / max(n, 1):.1f}x per 200 specs)")
            tail = f" lifeboat_curve_total_vs_study={t_c / t_one:.1f} ({n} specs)"
        except TypeError:
            print("lifeboat curve: not available (study_lifeboat has no curve option)")
    print(f"car_curve_speedup={t_loop / t_curve:.1f}" + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
