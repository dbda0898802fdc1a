"""The benchmark scripts still run (tiny sizes; nothing is timed or compared to a target here).

``make bench`` runs them at full size and prints every ratio in one table
(``benchmarks/run_all.py``). The peer package of ``bench_peer.py`` is never installed by the
tests: without it that script says it skipped and exits 0.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
spec = importlib.util.spec_from_file_location("bench_run_all", BENCH / "run_all.py")
run_all = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_all)

EXPECTED = {
    "bench_reports.py": {"report_vs_floor", "report_plain_vs_floor", "sweep_s_per_report",
                         "sweep_vs_report"},
    "bench_eventstudy.py": {"speedup_vs_statsmodels_loop", "events_per_s"},
    "bench_peer.py": {"lean_vs_peer", "full_vs_peer"},
    "bench_lifeboat.py": {"lifeboat_vs_regimes", "notebook06_vs_notebook04"},
    "bench_store.py": {"write_ms_per_symbol", "read_ms_per_symbol", "load_returns_s"},
    "bench_merge.py": {"merge_vs_regimes", "notebook07_vs_notebook04"},
    "bench_robustness.py": {"car_curve_speedup"},
    "bench_curves_lifeboat_regimes.py": {"lifeboat_curve_vs_study"},
}


def test_every_benchmark_has_tiny_arguments_and_expected_figures():
    names = {p.name for p in BENCH.glob("bench_*.py")}
    assert names == set(run_all.TINY) == set(EXPECTED)


def test_table_parses_pairs_and_judges_targets():
    pairs = run_all.parse_pairs("noise x=1\nreport_vs_floor=1.80 sweep_vs_report=0.61\n"
                                "lean_vs_peer=3.1e+01 path=/a=b")
    assert pairs == {"x": 1.0, "report_vs_floor": 1.8, "sweep_vs_report": 0.61,
                     "lean_vs_peer": 31.0}
    assert run_all.verdict("report_vs_floor", 1.8) == "met"
    assert run_all.verdict("sweep_vs_report", 0.61) == "MISSED"
    assert run_all.verdict("lean_vs_peer", 31.0) == "met"
    assert run_all.verdict("events_per_s", 5.0) == "-"
    text = run_all.table([("bench_peer", "lean_vs_peer", 31.0)])
    assert "lean_vs_peer" in text and ">=25" in text and "met" in text


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_benchmark_script_runs_on_a_tiny_size(script, tmp_path, monkeypatch, capsys):
    """Each script runs as a script (``__main__``, its folder first on ``sys.path``, its
    ``run_all.TINY`` arguments in ``sys.argv``) in this process rather than in a new
    interpreter: pivotlib, pandas and the plotting stack are imported once per worker, not
    once per script. The environment variables the scripts set are restored afterwards."""
    import os
    import runpy

    for var in ("PIVOT_DATA_DIR", "PIVOT_DATASET"):  # bench_store, bench_reports set them
        monkeypatch.setenv(var, os.environ.get(var, ""))  # so that undo restores them
        if var not in os.environ or not os.environ[var]:
            monkeypatch.delenv(var)
    monkeypatch.setenv("PIVOT_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("PIVOT_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setattr(sys, "argv", [str(BENCH / script), *run_all.TINY[script]])
    try:
        runpy.run_path(str(BENCH / script), run_name="__main__")
        rc = 0
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out = capsys.readouterr()
    assert rc == 0, out.out[-2000:] + out.err[-3000:]
    if script == "bench_peer.py" and "skipped: the peer package" in out.out:
        return  # the peer is installed by `make bench` only
    assert EXPECTED[script] <= set(run_all.parse_pairs(out.out)), out.out[-2000:]
