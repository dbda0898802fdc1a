"""Benchmark: one report's wall time against a bare papermill floor, and the sweep's throughput.

All measured in the same run, on the SYNTHETIC demo data, with the ``pivotlib`` kernel:

* ``floor``: ``papermill.execute_notebook`` of a notebook with one empty code cell (kernel
  start-up, one round trip, shutdown, save) -- nothing a report can avoid;
* ``report``: :func:`pivotlib.runner.execute.run_report` of ``02-event-study`` for one catalog event
  (parameter validation, fingerprint, execution, HTML export, sidecar) with the notebook's
  defaults, i.e. ``robustness = True`` (the CAR specification curve: 288 specifications and
  200 placebo null curves, about 1 s of computing);
* ``report_plain``: the same report with ``robustness = False`` -- the work the sweep's items
  do (``pivot sweep`` runs without curves unless ``--robustness``) and the work the issue's
  first ratio was measured on;
* ``sweep``: :func:`pivotlib.batch.sweep.run_items` of ``--sweep-items`` event-study reports with
  ``--workers`` workers on the default scheduler (threads of this process, one kernel each);
  ``sweep_s_per_report`` = total wall time / items. The same items on the ``processes``
  scheduler (a spawned process pool) are printed beside it
  (``sweep_processes_s_per_report``).

Each single measurement is the minimum over ``--repeats`` runs after one warm-up of each (so
both sides see warm parent-process imports). The last line printed is::

    report_vs_floor=<report / floor> report_plain_vs_floor=<report_plain / floor>
    sweep_s_per_report=<seconds> sweep_vs_report=<sweep seconds per report / report_plain>

(the sweep is compared with the report doing the same work, ``report_plain``).

It also prints the split of one report's time (:mod:`pivotlib.runner.timings`).

Targets (issue 20): ``report_vs_floor <= 2`` and ``sweep_s_per_report`` below half the single
report time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

EVENT = "APLD-2025-06-02-coreweave-leases"


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sweep-items", type=int, default=6)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    os.environ["PIVOT_REPORTS_DIR"] = str(tmp / "reports")
    os.environ["PIVOT_OFFLINE"] = "1"
    os.environ["PIVOT_DATASET"] = "demo"

    import nbformat
    import papermill as pm

    from pivotlib import config
    from pivotlib.batch import sweep
    from pivotlib.runner import engine, execute

    engine.ensure_kernel()
    empty = tmp / "empty.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": config.KERNEL_NAME, "display_name": "pivotlib",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("")]
    nbformat.write(nb, str(empty))

    def floor_run() -> None:
        pm.execute_notebook(str(empty), str(tmp / "empty-out.ipynb"),
                            kernel_name=config.KERNEL_NAME, progress_bar=False,
                            log_output=False, cwd=str(tmp),
                            extra_arguments=list(engine._KERNEL_ARGS))

    def report_run() -> None:
        res = execute.run_report("02-event-study", {"event_id": EVENT}, force=True,
                                 update_index=False)
        assert res.status == "ok", res.error

    def plain_run() -> None:
        res = execute.run_report("02-event-study", {"event_id": EVENT, "robustness": False},
                                 force=True, update_index=False)
        assert res.status == "ok", res.error

    if args.repeats > 0:  # --repeats 0: the tiny mode (one run of each, no warm-up)
        floor_run()
        report_run()  # warm-up (parent-side imports: nbconvert, jinja templates)
    floors, reps, plains = [], [], []
    for _ in range(max(1, args.repeats)):  # interleaved so drift hits all alike
        floors.append(_timed(floor_run))
        reps.append(_timed(report_run))
        plains.append(_timed(plain_run))
    floor, report, plain = min(floors), min(reps), min(plains)
    # where one report's time goes (a separate, instrumented run: same kernel start, its own
    # timers; see pivotlib.runner.timings)
    from pivotlib.runner.timings import format_timings

    split: dict[str, float] = {}
    execute.run_report("02-event-study", {"event_id": EVENT}, force=True, update_index=True,
                       timings=split)

    items = sweep.sweep_items(dataset="demo", limit=args.sweep_items)
    for it in items:
        it["force"] = True
    t0 = time.perf_counter()
    results = sweep.run_items(items, workers=args.workers, progress=False)
    sweep_total = time.perf_counter() - t0
    t0 = time.perf_counter()
    results += sweep.run_items(items, workers=args.workers, progress=False,
                               scheduler="processes")
    proc_total = time.perf_counter() - t0
    failed = [r for r in results if not r.get("ok")]
    per = sweep_total / max(len(items), 1)

    print(f"floor (bare papermill, empty notebook): min {floor:.2f} s  runs {[round(x, 2) for x in floors]}")
    print(f"report (02-event-study + HTML):         min {report:.2f} s  runs {[round(x, 2) for x in reps]}")
    print(f"report_plain (same, robustness=False):  min {plain:.2f} s  runs {[round(x, 2) for x in plains]}")
    print("split of one report (pivot report --timings; update_index on):")
    print(format_timings(split, split.get("total")))
    print(f"sweep: {len(items)} reports, {args.workers} workers, {sweep_total:.1f} s total on "
          f"threads (the default), {proc_total:.1f} s on processes; {len(failed)} failed")
    print(f"targets: report <= 2x floor ({'met' if report <= 2 * floor else 'MISSED'}; "
          f"without the curve {'met' if plain <= 2 * floor else 'MISSED'}); sweep per report "
          f"< half the single report doing the same work "
          f"({'met' if per < plain / 2 else 'MISSED'})")
    print(f"report_vs_floor={report / floor:.2f} report_plain_vs_floor={plain / floor:.2f} "
          f"sweep_s_per_report={per:.2f} sweep_vs_report={per / plain:.2f} "
          f"sweep_processes_s_per_report={proc_total / max(len(items), 1):.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
