"""What every benchmark times with: the best of several runs after a warm-up (one copy)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(fn: Callable[[], object], repeats: int) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn``, after one untimed warm-up call
    (imports, caches and first-touch costs are not what a benchmark compares).

    ``repeats`` <= 0 is the tiny mode (``run_all.py --tiny``, the test that the scripts still
    run): one timed call, no warm-up; the figure then means nothing."""
    if repeats <= 0:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    fn()
    out = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def best_reports(notebooks: tuple[str, ...], repeats: int) -> dict[str, float]:
    """Fastest end-to-end ``run_report`` seconds of each notebook (demo data, fresh dated
    folders in a throw-away reports root, no index); a failed report stops the benchmark."""
    import tempfile
    from pathlib import Path

    from pivotlib.runner.execute import run_report

    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as d:
        for nb in notebooks:
            fastest = float("inf")
            for k in range(max(1, repeats - 1)):
                r = run_report(nb, {}, reports_root=Path(d), date=f"2026-01-0{k + 1}",
                               force=True, update_index=False)
                if r.status != "ok":
                    raise SystemExit(f"{nb} failed: {r.error}")
                fastest = min(fastest, r.elapsed)
            times[nb] = fastest
    return times
