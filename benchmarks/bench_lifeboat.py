"""Benchmark: the lifeboat analysis against the regimes analysis of notebook 04, same run.

Both on the SYNTHETIC demo data, returns loaded once (loading is common to both notebooks):

* ``regimes``: ``pivotlib.reports.regime_scores`` + ``pivotlib.reports.regime_breaks`` on
  notebook 04's default symbols and factors (read-only use; the HAC sup-F break search
  dominates);
* ``lifeboat``: :func:`pivotlib.lifeboat.run_lifeboat` on notebook 06's default miners
  (cohorts, downside betas, DiD with exact permutation and placebo, crash episodes, CAR/BHAR
  persistence with 999 bootstrap draws, spillover).

Each is the minimum over ``--repeats`` runs after one warm-up. The last line printed is::

    lifeboat_vs_regimes=<lifeboat seconds / regimes seconds>

Target (issue 12): notebook 06 within 2x notebook 04, i.e. ``lifeboat_vs_regimes <= 2``.
"""

from __future__ import annotations

import argparse
import os
import time


def _best(fn, repeats: int) -> float:
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ["PIVOT_OFFLINE"] = "1"

    from pivotlib import lifeboat, reports
    from pivotlib.data import load_returns
    from pivotlib.events import load_catalog

    reg_syms = ["APLD", "IREN", "HUT", "CORZ", "WULF", "CIFR"]
    reg_facs = ["SPY", "BTC-USD", "SMH"]
    miners = ["APLD", "IREN", "HUT", "CORZ", "WULF", "CIFR", "MARA", "RIOT", "CLSK", "BITF",
              "BTDR", "HIVE", "BTBT"]
    catalog = load_catalog()
    r_reg = load_returns(reg_syms + reg_facs, dataset="demo")
    r_lb = load_returns(miners + ["SPY", "BTC-USD"], dataset="demo")

    def regimes() -> None:
        reports.regime_scores(r_reg, reg_syms, reg_facs, None, catalog)
        reports.regime_breaks(r_reg, reg_syms, reg_facs, catalog)

    def life() -> None:
        lifeboat.run_lifeboat(r_lb, catalog, miners, n_boot=999, seed=0)

    t_reg = _best(regimes, args.repeats)
    t_lb = _best(life, args.repeats)
    print(f"regimes (regime_scores + regime_breaks): {t_reg:.3f} s")
    print(f"lifeboat (run_lifeboat):                 {t_lb:.3f} s")
    print(f"lifeboat_vs_regimes={t_lb / t_reg:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
