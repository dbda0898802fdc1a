"""Benchmark: the lifeboat analysis against the regimes analysis of notebook 04, same run.

Both on the SYNTHETIC demo data, returns loaded once (loading is common to both notebooks):

* ``regimes``: :func:`pivotlib.studies.regime.study_regimes` (notebook 04's computation) on
  notebook 04's default symbols and factors (read-only use; the HAC sup-F break search
  dominates);
* ``lifeboat``: :func:`pivotlib.studies.lifeboat.study_lifeboat` on notebook 06's default miners
  (cohorts, downside betas, DiD with exact permutation and placebo, crash episodes, CAR/BHAR
  persistence with 999 bootstrap draws, spillover).

Each is the minimum over ``--repeats`` runs after one warm-up. The last line printed is::

    lifeboat_vs_regimes=<lifeboat seconds / regimes seconds>

Target (issue 12): notebook 06 within 2x notebook 04, i.e. ``lifeboat_vs_regimes <= 2``.
"""

from __future__ import annotations

import argparse
import os

from _timing import best, best_reports


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ["PIVOT_OFFLINE"] = "1"


    from pivotlib.studies.lifeboat import study_lifeboat
    from pivotlib.studies.regime import study_regimes

    def regimes() -> None:
        study_regimes(dataset="demo")

    def life() -> None:
        study_lifeboat(dataset="demo")

    t_reg = best(regimes, args.repeats)
    t_lb = best(life, args.repeats)
    print(f"study_regimes (notebook 04's computation):  {t_reg:.3f} s")
    print(f"study_lifeboat (notebook 06's computation): {t_lb:.3f} s")
    print(f"lifeboat_vs_regimes={t_lb / t_reg:.3f}")
    times = best_reports(("04-pivot-regimes", "06-lifeboat"), args.repeats)
    print(f"notebook 04 end to end: {times['04-pivot-regimes']:.2f} s, "
          f"notebook 06: {times['06-lifeboat']:.2f} s")
    print(f"notebook06_vs_notebook04={times['06-lifeboat'] / times['04-pivot-regimes']:.3f} "
          "(target <= 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
