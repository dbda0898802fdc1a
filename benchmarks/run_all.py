"""Run every ``benchmarks/bench_*.py`` and print every ratio in one table (``make bench``).

Each benchmark prints ``name=value`` pairs (its last lines); this runs them one after the other
in subprocesses (same interpreter), shows each one's own output, then one table of every pair
with its target and whether it is met. ``--tiny`` runs each on a tiny size (seconds, for the
test that checks the scripts still run; the numbers then mean nothing). Exit status 1 when a
benchmark failed (not when a target is missed: the table says that).

Run: ``.venv/bin/python benchmarks/run_all.py [--tiny] [--only reports peer]``
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

TARGETS: dict[str, tuple[str, float, str]] = {
    "report_vs_floor": ("<=", 2.0, "one report (02 + HTML, robustness curve on) / bare papermill"),
    "report_plain_vs_floor": ("<=", 2.0, "one report (02 + HTML, robustness=False) / bare papermill"),
    "sweep_vs_report": ("<", 0.5, "sweep seconds per report / one report of the same work (no curve)"),
    "sweep_processes_s_per_report": ("", 0.0, "the same sweep on a process pool, s per report"),
    "lean_vs_peer": (">=", 25.0, "lean engine / eventstudy 0.1a12, same work"),
    "full_vs_peer": ("", 0.0, "full battery / eventstudy 0.1a12 (reported beside)"),
    "speedup_vs_statsmodels_loop": ("", 0.0, "engine / per-event statsmodels loop"),
    "lifeboat_vs_regimes": ("<=", 2.0, "lifeboat study / regimes study"),
    "notebook06_vs_notebook04": ("<=", 2.0, "notebook 06 / notebook 04 end to end"),
    "notebook07_vs_notebook04": ("<=", 1.5, "notebook 07 (Merge) / notebook 04 end to end"),
    "merge_vs_regimes": ("", 0.0, "Merge study / regimes study"),
    "car_curve_speedup": (">=", 20.0, "batched CAR curve / loop of engine runs, same specs"),
    "lifeboat_curve_vs_study": ("<=", 30.0, "lifeboat curve per 200 specs / one study_lifeboat"),
    "lifeboat_curve_total_vs_study": ("", 0.0, "whole lifeboat curve + nulls / one study"),
}
"""name -> (comparison, target, what); an empty comparison is informative only."""

TINY: dict[str, list[str]] = {
    "bench_reports.py": ["--repeats", "0", "--sweep-items", "1", "--workers", "1"],
    "bench_eventstudy.py": ["--events", "200", "--loop-sample", "10", "--repeat", "1"],
    "bench_peer.py": ["--symbols", "10", "--days", "700", "--events-per-symbol", "2",
                      "--repeat", "1"],
    "bench_lifeboat.py": ["--repeats", "0"],
    "bench_store.py": ["--symbols", "3", "--years", "1"],
    "bench_merge.py": ["--repeats", "0"],
    "bench_robustness.py": ["--repeats", "0", "--no-lifeboat"],
    "bench_curves_lifeboat_regimes.py": ["--repeats", "0"],
}
"""Arguments of each benchmark for ``--tiny``."""

_PAIR = re.compile(r"(?<![\w.])([a-z][a-z0-9_]*)=(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\b")


def parse_pairs(text: str) -> dict[str, float]:
    """Every ``name=number`` pair printed (the last value of a name wins)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        for name, value in _PAIR.findall(line):
            out[name] = float(value)
    return out


def verdict(name: str, value: float) -> str:
    """``met``, ``MISSED`` or ``-`` (no target) for one pair."""
    op, target, _ = TARGETS.get(name, ("", 0.0, ""))
    if not op:
        return "-"
    ok = {"<=": value <= target, "<": value < target, ">=": value >= target}[op]
    return "met" if ok else "MISSED"


def table(rows: list[tuple[str, str, float]]) -> str:
    """The one table: benchmark, name, value, target, verdict, what."""
    lines = [f"{'benchmark':<20} {'ratio / figure':<28} {'value':>10} {'target':>8} "
             f"{'verdict':>7}  what"]
    for bench, name, value in rows:
        op, target, what = TARGETS.get(name, ("", 0.0, ""))
        tgt = f"{op}{target:g}" if op else ""
        lines.append(f"{bench:<20} {name:<28} {value:>10.3f} {tgt:>8} "
                     f"{verdict(name, value):>7}  {what}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="tiny sizes (checks the scripts run)")
    ap.add_argument("--only", nargs="+", help="only these benchmarks (e.g. reports peer)")
    args = ap.parse_args(argv)

    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    rows: list[tuple[str, str, float]] = []
    failed: list[str] = []
    for script in scripts:
        cmd = [sys.executable, str(script), *(TINY.get(script.name, []) if args.tiny else [])]
        print(f"== {script.name} {' '.join(cmd[2:])}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
        print(proc.stdout, end="")
        if proc.returncode != 0:
            failed.append(script.name)
            print(proc.stderr[-3000:], end="", file=sys.stderr)
            print(f"!! {script.name} exited {proc.returncode}")
        print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)
        for name, value in parse_pairs(proc.stdout).items():
            rows.append((script.stem, name, value))
    print()
    print(table(rows))
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
