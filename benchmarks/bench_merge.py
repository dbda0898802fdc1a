"""Benchmark: notebook 07 (the Merge) end to end against notebook 04, same run.

Both on the SYNTHETIC demo data, through the report runner (papermill, a fresh kernel, HTML
export), each the minimum over ``--repeats`` runs:

* ``04-pivot-regimes``: rolling betas, before/after shifts, HAC sup-F break search;
* ``07-merge``: ether betas (interaction HAC regressions), the two cohort DiDs with exact
  permutation, the Merge CARs through the event-study engine (2 dates x 2 cohorts), the AI
  hand-over regressions and rolling ETH/AI betas for ten miners.

The study functions alone are timed first (``study_regimes`` vs ``study_merge``). The last line
printed is::

    notebook07_vs_notebook04=<07 seconds / 04 seconds> (target <= 1.5)
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


    from pivotlib.studies.merge import study_merge
    from pivotlib.studies.regime import study_regimes

    t_reg = best(lambda: study_regimes(dataset="demo"), args.repeats)
    t_mg = best(lambda: study_merge(dataset="demo"), args.repeats)
    print(f"study_regimes (notebook 04's computation): {t_reg:.3f} s")
    print(f"study_merge (notebook 07's computation):   {t_mg:.3f} s")
    print(f"merge_vs_regimes={t_mg / t_reg:.3f}")
    times = best_reports(("04-pivot-regimes", "07-merge"), args.repeats)
    print(f"notebook 04 end to end: {times['04-pivot-regimes']:.2f} s, "
          f"notebook 07: {times['07-merge']:.2f} s")
    print(f"notebook07_vs_notebook04={times['07-merge'] / times['04-pivot-regimes']:.3f} "
          "(target <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
