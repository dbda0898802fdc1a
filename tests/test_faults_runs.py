"""Fault injection in notebook runs and sweeps: a dying kernel, a timeout, one bad item of many.

Tiny notebooks written here are run through the real :func:`pivotlib.runner.execute.run_report`
(papermill + the ``pivotlib`` kernel) and the real sweep runner
(:func:`pivotlib.batch.sweep.run_sweep_item` / :func:`pivotlib.batch.sweep.run_sweep`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from _faultkit import code_notebook

from pivotlib.errors import RunError

pytestmark = pytest.mark.slow  # every test starts Jupyter kernels

DATE = "2026-01-02"


@pytest.fixture(scope="module")
def nbs(tmp_path_factory):
    d = tmp_path_factory.mktemp("nbs")  # read only: every run writes to its reports folder
    return {
        "good": code_notebook(d / "good.ipynb", [
            "from pivotlib.runner import recorder\nrecorder.record(title='good', value=x * 10)"],
            parameters="x = 1"),
        "die": code_notebook(d / "die.ipynb", [
            "print('before the crash')", "import os\nos._exit(1)", "print('never')"],
            parameters="x = 1"),
        "slow": code_notebook(d / "slow.ipynb", [
            "print('started')", "import time\ntime.sleep(60)"], parameters="x = 1"),
        "raise": code_notebook(d / "raise.ipynb", [
            "raise ValueError(f'planted failure for x={x}')"], parameters="x = 1"),
    }


def _sidecar(res_or_path) -> dict:
    return json.loads(Path(res_or_path).read_text())


@dataclass
class Failed:
    """One ``run_report`` that raised :class:`RunError`: the error, its reports folder and its
    wall seconds."""

    error: RunError
    reports: Path
    seconds: float


def _failed_run(tmp_path_factory, nb: Path, **kw) -> Failed:
    """``run_report(nb, {}, date=DATE, **kw)`` in a private reports folder; it must raise
    :class:`RunError` (anything else propagates; no error fails the tests that use it)."""
    import time

    from pivotlib.runner.execute import run_report

    reports = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIVOT_REPORTS_DIR", str(reports))
        mp.setenv("PIVOT_OFFLINE", "1")
        t0 = time.perf_counter()
        with pytest.raises(RunError) as ei:
            run_report(nb, {}, date=DATE, **kw)
    return Failed(ei.value, reports, time.perf_counter() - t0)


@pytest.fixture(scope="module")
def died(nbs, tmp_path_factory) -> Failed:
    """The dying-kernel notebook run once for the tests that read its outcome (rule 6)."""
    return _failed_run(tmp_path_factory, nbs["die"], timeout=120)


@pytest.fixture(scope="module")
def timed_out(nbs, tmp_path_factory) -> Failed:
    """The 60 s cell under a 3 s timeout, run once for the tests that read its outcome."""
    return _failed_run(tmp_path_factory, nbs["slow"], timeout=3)


# ---- a kernel that dies ------------------------------------------------------------------------
def test_fault_run_kernel_dies_is_run_error(died):
    msg = str(died.error)
    assert died.error.exit_code == 5
    assert "die failed: DeadKernelError: Kernel died" in msg
    side = _sidecar(died.reports / DATE / "die-default.json")
    assert side["status"] == "failed" and "DeadKernelError" in side["error"]
    assert "die-default.ipynb" in msg  # the message points at the executed notebook


def test_fault_run_kernel_dies_cli_exit_5(nbs, tmp_reports_dir, capsys):
    from pivotlib.cli import main

    rc = main(["report", str(nbs["die"]), "--date", DATE])
    err = capsys.readouterr().err
    assert rc == RunError.exit_code == 5
    assert err.startswith("pivot: error: die failed: DeadKernelError") and "Traceback" not in err


def test_fault_run_kernel_dies_executed_notebook_kept(died):
    assert isinstance(died.error, RunError)
    kept = died.reports / DATE / "die-default.ipynb"
    assert kept.exists(), "executed notebook was not kept"
    assert "before the crash" in kept.read_text()


# ---- a notebook that times out ---------------------------------------------------------------
def test_fault_run_cell_timeout_is_run_error(timed_out):
    assert timed_out.seconds < 45  # the 60 s cell was interrupted
    msg = str(timed_out.error)
    assert "CellTimeoutError" in msg and "after 3 seconds" in msg and "time.sleep(60)" in msg
    side = _sidecar(timed_out.reports / DATE / "slow-default.json")
    assert side["status"] == "failed" and "timed out" in side["error"]


def test_fault_run_cell_timeout_executed_notebook_kept(timed_out):
    assert isinstance(timed_out.error, RunError)
    kept = timed_out.reports / DATE / "slow-default.ipynb"
    assert kept.exists() and "started" in kept.read_text()


def test_fault_run_cell_error_notebook_kept_with_traceback(nbs, tmp_reports_dir):
    """The ordinary failure (an exception in a cell): notebook kept, traceback inside."""
    from pivotlib.runner.execute import run_report

    with pytest.raises(RunError, match="raise failed: ValueError: planted failure for x=4"):
        run_report(nbs["raise"], {"x": 4}, date=DATE, timeout=120)
    kept = tmp_reports_dir / DATE / "raise-x-4.ipynb"
    assert kept.exists() and "planted failure for x=4" in kept.read_text()


# ---- one failing sweep item among many ---------------------------------------------------------
def _item(nb, x, key, root):
    return {"notebook": str(nb), "parameters": {"x": x}, "date": DATE, "key": key,
            "reports_root": str(root), "timeout": 30}


def test_fault_sweep_one_bad_item_among_many(nbs, tmp_reports_dir, capsys):
    """Five items on 2 worker processes: one raises, one names a missing notebook. The good
    ones finish with their files; the summary says which failed and why; the CLI exit code is
    non-zero; the index is built from what finished."""
    from pivotlib.batch.sweep import run_sweep, summary_table
    from pivotlib.cli.reports import _print_results

    root = tmp_reports_dir
    items = [_item(nbs["good"], 1, "good-1", root), _item(nbs["raise"], 2, "bad-raise", root),
             _item(nbs["good"], 3, "good-3", root), _item(nbs["good"], 5, "good-5", root),
             {"notebook": "no-such-notebook", "key": "bad-name", "date": DATE}]
    res = run_sweep(items, workers=2, progress=False, reports_root=str(root))
    by = {r["key"]: r for r in res}
    assert [r["key"] for r in res] == [it["key"] for it in items]
    assert [by[k]["ok"] for k in ("good-1", "good-3", "good-5")] == [True, True, True]
    assert [by[k]["records"]["value"] for k in ("good-1", "good-3", "good-5")] == [10, 30, 50]
    assert "ValueError: planted failure for x=2" in by["bad-raise"]["error"]
    assert "notebook 'no-such-notebook' not found" in by["bad-name"]["error"]
    assert by["bad-name"]["exit_code"] == 2 and by["bad-raise"]["exit_code"] == 5
    for k in ("good-1", "good-3", "good-5"):
        assert Path(by[k]["html"]).exists() and Path(by[k]["ipynb"]).exists()
    table = summary_table(res)
    assert "3 of 5 reports ok, 2 failed" in table
    for k, why in (("bad-raise", "planted failure"), ("bad-name", "not found")):
        line = next(ln for ln in table.splitlines() if ln.startswith(k))
        assert "failed" in line and why in line
    assert _print_results(res) == RunError.exit_code
    capsys.readouterr()
    index = (root / "index.html").read_text()
    assert "planted failure for x=2" in index
    assert index.count("good-") >= 3


_SWEEP_SCRIPT = """
import json, sys
sys.path.insert(0, {tests!r})
from pivotlib.batch.sweep import run_items
if __name__ == "__main__":
    items = json.loads(sys.argv[1])
    res = run_items(items, workers=int(sys.argv[2]), progress=False)
    print(json.dumps([{{"key": r["key"], "ok": r["ok"], "error": r.get("error")}} for r in res]))
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_fault_sweep_kernel_death_among_items_does_not_hang(nbs, tmp_reports_dir, tmp_path,
                                                             workers):
    """A sweep item whose kernel dies (os._exit in a cell): the item is reported
    (DeadKernelError) and the items after it on the same worker still run - the sweep ends.

    Run in a subprocess with a hard limit so a hang fails the test instead of the suite."""
    import subprocess
    import sys

    root = tmp_reports_dir
    items = [_item(nbs["good"], 1, "good-1", root), _item(nbs["die"], 2, "bad-kernel", root),
             _item(nbs["good"], 3, "good-3", root), _item(nbs["good"], 5, "good-5", root)]
    script = tmp_path / "sweep.py"
    script.write_text(_SWEEP_SCRIPT.format(tests=str(Path(__file__).parent)))
    import os
    import signal

    proc = subprocess.Popen([sys.executable, str(script), json.dumps(items), str(workers)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=75)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its kernels
        proc.communicate()
        pytest.fail("the sweep hung for 75 s after a kernel died (per-item timeout 30 s)")
    assert proc.returncode == 0, stderr[-2000:]
    res = json.loads(stdout.strip().splitlines()[-1])
    assert [r["key"] for r in res] == ["good-1", "bad-kernel", "good-3", "good-5"]
    assert [r["ok"] for r in res] == [True, False, True, True], res
    assert "DeadKernelError" in res[1]["error"] or "died" in res[1]["error"]


def test_fault_sweep_all_bad_parameters_exit_2(tmp_reports_dir):
    """Only input errors (bad parameters, checked before any kernel) -> exit code 2."""
    from pivotlib.batch.sweep import run_items
    from pivotlib.cli.reports import _print_results

    items = [{"notebook": "02-event-study", "parameters": {"window": [2, -1]}, "key": "w",
              "date": DATE, "reports_root": str(tmp_reports_dir)},
             {"notebook": "02-event-study", "parameters": {"model": "astrology"}, "key": "m",
              "date": DATE, "reports_root": str(tmp_reports_dir)}]
    res = run_items(items, workers=1, progress=False)
    assert [r["ok"] for r in res] == [False, False]
    assert "is reversed" in res[0]["error"] and "is not a known model" in res[1]["error"]
    assert _print_results(res) == 2
    assert not list(tmp_reports_dir.rglob("*.ipynb"))


# ---- concurrent report runs into one reports folder -------------------------------------------
_RUN_SCRIPT = """
import sys
from pivotlib.runner.execute import run_report
res = run_report(sys.argv[1], {"x": 7}, date=sys.argv[2], timeout=120, force=True,
                 raise_on_error=False)
print(res.name, res.status)
"""


def test_fault_concurrent_report_runs_never_share_a_file(nbs, tmp_reports_dir, tmp_path):
    """Three processes run the same notebook with the same parameters at once (force): each
    gets its own name (-2, -3 suffixes reserved under the reports lock), every sidecar is
    complete JSON, and the index lists all three."""
    import subprocess
    import sys

    from pivotlib.runner.index import build_index

    script = tmp_path / "run.py"
    script.write_text(_RUN_SCRIPT)
    procs = [subprocess.Popen([sys.executable, str(script), str(nbs["good"]), DATE],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-2000:]
        outs.append(out.split()[-2:])
    names = sorted(n for n, _ in outs)
    assert names == ["good-x-7", "good-x-7-2", "good-x-7-3"], outs
    assert all(status == "ok" for _, status in outs)
    day = tmp_reports_dir / DATE
    for n in names:
        side = _sidecar(day / f"{n}.json")
        assert side["status"] == "ok" and side["records"]["value"] == 70
        assert (day / f"{n}.html").exists() and (day / f"{n}.ipynb").exists()
    assert not list(day.glob("*.tmp"))
    index = build_index(tmp_reports_dir).read_text()
    assert all(n in index for n in names)
