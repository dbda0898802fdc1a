"""Benchmark: the lifeboat and pivot-score specification curves against their single runs.

On the SYNTHETIC demo data, returns loaded once, each time the minimum over ``--repeats`` runs
after one warm-up:

* ``study_lifeboat`` (notebook 06's computation, without its curve) vs
  :func:`pivotlib.analytics.robustness.lifeboat.lifeboat_curve` on the default grid
  (:data:`pivotlib.defaults.LIFEBOAT_CURVE_GRID`, 504 specifications with 13 miners) with its
  200 relabelled null curves, and on a 270-specification grid (three sample ends, leave-one-out
  limited to the first four miners: 2 x 3 x 3 x 3 x 5). Target (issue 18): 200 specifications
  within 30x one study (the ratio is printed per 200 specifications).
* the pivot-score curve of the top miner (:data:`pivotlib.defaults.PIVOT_CURVE_GRID`) vs the
  same specifications as a loop of :func:`pivotlib.analytics.regimes.pivot_scores` calls (no
  null curves in the loop; the curve includes its 200 placebo curves).

The last line printed is ``lifeboat_curve_vs_study=<ratio per 200 specifications>``.
"""

from __future__ import annotations

import argparse
import os

from _timing import best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ["PIVOT_OFFLINE"] = "1"

    from pivotlib.analytics.regimes import pivot_scores
    from pivotlib.analytics.robustness.lifeboat import lifeboat_curve
    from pivotlib.analytics.robustness.regimes import (
        pivot_score_curve,
        score_options,
        split_dates,
    )
    from pivotlib.data.loading import load_returns
    from pivotlib.defaults import LIFEBOAT_CURVE_GRID, LIFEBOAT_MINERS
    from pivotlib.events import load_catalog
    from pivotlib.studies.lifeboat import study_lifeboat

    cat = load_catalog()
    miners = list(LIFEBOAT_MINERS)
    r = load_returns([*miners, "SPY", "BTC-USD"], dataset="demo")
    t_one = best(lambda: study_lifeboat(dataset="demo", catalog=cat, curve=False), args.repeats)
    t_full = best(lambda: lifeboat_curve(r, cat, miners), args.repeats)
    n_full = len(lifeboat_curve(r, cat, miners, n_null=0).frame)
    g200 = dict(LIFEBOAT_CURVE_GRID) | {"end": ("all", "-3M", "-6M"),
                                        "leave_out": ("none", *miners[:4])}
    t_200 = best(lambda: lifeboat_curve(r, cat, miners, grid=g200), args.repeats)
    n_200 = len(lifeboat_curve(r, cat, miners, grid=g200, n_null=0).frame)
    print(f"study_lifeboat (one run, no curve):        {t_one:.3f} s")
    print(f"lifeboat_curve, default grid ({n_full} specs):  {t_full:.3f} s "
          f"({t_full / t_one:.1f}x one study)")
    print(f"lifeboat_curve, {n_200} specs:                  {t_200:.3f} s "
          f"({t_200 / t_one:.1f}x one study)")

    rr = load_returns(["CORZ", "SPY", "BTC-USD", "SMH", "QQQ", "NVDA"], dataset="demo",
                      on_missing="skip")
    t_pc = best(lambda: pivot_score_curve(rr, cat, "CORZ"), args.repeats)
    c = pivot_score_curve(rr, cat, "CORZ", n_null=0)
    d = split_dates(cat, "CORZ")

    def loop() -> None:
        for _, row in c.frame.iterrows():
            pivot_scores(rr, ["CORZ"], **score_options({k: row[k] for k in c.choices}, d))

    t_loop = best(loop, args.repeats)
    print(f"pivot_score_curve CORZ ({len(c.frame)} specs + 200 placebo curves): {t_pc:.3f} s; "
          f"loop of pivot_scores (the {len(c.frame)} specs, no nulls): {t_loop:.3f} s")
    print(f"lifeboat_curve_vs_study={t_200 / t_one * 200 / n_200:.2f} (per 200 specifications, "
          "target <= 30)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
