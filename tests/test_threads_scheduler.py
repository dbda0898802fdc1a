"""The ``threads`` scheduler (the sweep's default for more than one worker)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from _faultkit import code_notebook, square_item

from pivotlib.batch.executors import check_scheduler, dispatch, run_items

DATE = "2026-01-02"


def _items(n, **special):
    out = [{"key": f"k{i}", "n": i, "mode": "ok"} for i in range(n)]
    for i, mode in special.items():
        out[int(i[1:])]["mode"] = mode
    return out


def test_threads_keep_order_retry_and_record_failures():
    assert check_scheduler("threads") == "threads"
    items = _items(6, k2="raise")
    res = run_items(items, square_item, scheduler="threads", workers=2, retries=2,
                    progress=False)
    assert [r["key"] for r in res] == [it["key"] for it in items]
    assert [r["ok"] for r in res] == [True, True, False, True, True, True]
    assert [r.get("value") for r in res] == [0, 1, None, 9, 16, 25]
    assert "ValueError: bad item k2" in res[2]["error"] and res[2]["attempts"] == 3
    assert {r["pid"] for r in res if r["ok"]} == {os.getpid()}  # this process's threads


def _sleepy(item):
    return square_item(item)


_stopped: list[float] = []


def _stop():
    _stopped.append(time.monotonic())


_sleepy.stop_threads = _stop  # type: ignore[attr-defined]


def test_threads_deadline_stops_running_work_and_reports_the_rest():
    _stopped.clear()
    items = _items(5) + [{"key": "slow", "n": 9, "mode": "sleep", "seconds": 3}]
    items = [items[-1], *items[:-1]]  # the slow one first: it is running at the deadline
    t0 = time.monotonic()
    res = run_items(items, _sleepy, scheduler="threads", workers=1, deadline=1.0,
                    progress=False)
    assert [r["key"] for r in res] == [it["key"] for it in items]
    assert not res[0]["ok"] and "deadline of 1 s" in res[0]["error"]
    assert not any(r["ok"] for r in res[1:])  # queued behind it: never started
    assert len(_stopped) == 2 and _stopped[0] - t0 < 2.5  # at the deadline, and at the end


def test_dispatch_defaults_to_threads_for_several_workers(monkeypatch):
    seen = {}

    def fake(items, func, *, scheduler, workers, retries, progress, deadline):
        seen.update(scheduler=scheduler, workers=workers)
        return []

    monkeypatch.setattr("pivotlib.batch.executors.run_items", fake)
    dispatch(_items(2), square_item, workers=2)
    assert seen == {"scheduler": "threads", "workers": 2}
    dispatch(_items(2), square_item, workers=1)
    assert seen["scheduler"] == "serial"


@pytest.mark.slow
def test_threaded_sweep_runs_reports_leaves_cwd_and_no_kernels(tmp_reports_dir, tmp_path):
    """Four reports on two threads: each gets its own kernel (no state shared: the value
    recorded is the item's own), the process's working folder is untouched (papermill would
    chdir the whole process) and the threads' kernels are stopped at the end."""
    from pivotlib.batch import sweep

    d = tmp_path / "nbs"
    d.mkdir()
    nb = code_notebook(d / "good.ipynb", [
        "import os, threading\nfrom pivotlib.runner import recorder\n"
        "assert 'y' not in dir()  # a fresh namespace every report\n"
        "y = x\nrecorder.record(title='good', value=x * 10, pid=os.getpid())"],
        parameters="x = 1")
    items = [{"notebook": str(nb), "parameters": {"x": x}, "date": DATE, "key": f"x{x}",
              "reports_root": str(tmp_reports_dir)} for x in (1, 2, 3, 4)]
    cwd = os.getcwd()
    res = sweep.run_items(items, workers=2, progress=False)
    assert os.getcwd() == cwd
    assert [r["ok"] for r in res] == [True] * 4, [r.get("error") for r in res]
    assert [r["records"]["value"] for r in res] == [10, 20, 30, 40]
    assert len({r["records"]["pid"] for r in res}) == 2  # two kernels, one per thread
    assert all(Path(r["html"]).exists() for r in res)
    assert not sweep._THREAD_KERNELS
    assert not [t for t in threading.enumerate() if t.name.startswith("pivot-item")]
