"""pivotlib.batch.executors: every item ends as a result or a recorded failure, on every scheduler.

The cluster tests start a real Dask LocalCluster of 2 worker processes (marked slow). A task
that kills its own worker process (``os._exit``) is retried on a fresh worker or reported as a
failure naming the item; the other items finish.
"""

from __future__ import annotations

import argparse
import json
import os
import socket

import pytest
from _faultkit import code_notebook, square_item

from pivotlib.batch.executors import (
    add_scheduler_argument,
    check_scheduler,
    dispatch,
    local_cluster,
    run_items,
    scheduler_options,
)
from pivotlib.errors import InputError, RunError


def _items(n, **special):
    out = [{"key": f"k{i}", "n": i, "mode": "ok"} for i in range(n)]
    for i, mode in special.items():
        out[int(i[1:])]["mode"] = mode
    return out


def _check_all_accounted(items, results):
    assert [r["key"] for r in results] == [it["key"] for it in items]
    for it, r in zip(items, results, strict=True):
        if r["ok"]:
            assert r["value"] == it["n"] ** 2
        else:
            assert r["status"] == "failed" and r["error"] and r["exit_code"] == 5


# ---- fast: argument checks, serial runner, CLI helpers ------------------------------------
@pytest.mark.parametrize("s", ["local", "serial", "processes", "tcp://127.0.0.1:8786",
                               "tcp://scheduler.internal:8786", "tls://10.0.0.5:8786"])
def test_check_scheduler_accepts(s):
    assert check_scheduler(s) == s


@pytest.mark.parametrize("s", ["", "dask", "http://host:8786", "tcp://host", "local; rm -rf /"])
def test_check_scheduler_rejects_with_fix(s):
    with pytest.raises(InputError, match="tcp://host:8786.*local"):
        check_scheduler(s)


def test_run_items_bad_arguments():
    with pytest.raises(InputError, match="workers must be >= 1"):
        run_items(_items(1), square_item, scheduler="serial", workers=0)
    with pytest.raises(InputError, match="retries must be >= 0"):
        run_items(_items(1), square_item, scheduler="serial", retries=-1)
    assert run_items([], square_item, scheduler="serial") == []


def test_serial_records_failures_and_keeps_order():
    items = _items(4, k2="raise")
    res = run_items(items, square_item, scheduler="serial", retries=2, progress=False)
    _check_all_accounted(items, res)
    assert [r["ok"] for r in res] == [True, True, False, True]
    assert "ValueError: bad item k2" in res[2]["error"] and res[2]["attempts"] == 3


def test_non_dict_result_is_a_failure_not_a_crash():
    res = run_items([{"key": "a"}], lambda it: 42, scheduler="serial", progress=False)
    assert res[0]["ok"] is False and "returned int, not a dict" in res[0]["error"]


def test_add_scheduler_argument_and_dispatch_serial():
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--no-progress", action="store_true")
    add_scheduler_argument(p)
    args = p.parse_args(["--no-progress"])
    assert args.scheduler is None and args.retries == 1
    items = _items(3, k1="raise")
    res = dispatch(items, square_item, **scheduler_options(args))
    _check_all_accounted(items, res)
    assert [r["ok"] for r in res] == [True, False, True]
    args = p.parse_args(["--scheduler", "nowhere"])
    with pytest.raises(InputError, match="unknown scheduler 'nowhere'"):
        dispatch(items, square_item, **scheduler_options(args))


def test_unreachable_tcp_scheduler_is_run_error():
    # a free localhost port with nothing listening
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(RunError, match=rf"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"):
        run_items(_items(1), square_item, scheduler=f"tcp://127.0.0.1:{port}", progress=False,
                  connect_timeout=1)


def test_module_imports_dask_lazily():
    import subprocess
    import sys

    code = ("import sys, pivotlib.batch.executors; "
            "print(any(m == 'distributed' or m.startswith('dask') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- slow: local process pool -------------------------------------------------------------
@pytest.mark.slow
def test_process_pool_dead_worker_isolated_others_finish():
    items = _items(5, k1="exit", k3="raise")
    res = run_items(items, square_item, scheduler="processes", workers=2, retries=1,
                    progress=False)
    _check_all_accounted(items, res)
    assert [r["ok"] for r in res] == [True, False, True, False, True]
    assert "worker process died" in res[1]["error"]
    assert "ValueError: bad item k3" in res[3]["error"]


# ---- slow: a real LocalCluster of 2 worker processes -------------------------------------
@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster of 2 worker processes on 127.0.0.1 (``local_cluster``), shared by the
    tests that only submit work to a cluster (tests/README.md rule 4: a cluster start is the
    expensive part). Tests that kill or hang a worker, or test ``scheduler="local"`` /
    ``--scheduler local`` itself (the cluster made inside ``run_items``), start their own."""
    pytest.importorskip("distributed")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIVOT_OFFLINE", "1")  # the worker processes (and their kernels) inherit it
        with local_cluster(2) as (c, client):
            mp.undo()
            yield c, client


def _listening_addresses():
    import psutil

    me = psutil.Process()
    out = set()
    for proc in [me, *me.children(recursive=True)]:
        try:
            conns = proc.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        out |= {(c.laddr.ip, c.laddr.port) for c in conns if c.status == psutil.CONN_LISTEN}
    return out


@pytest.mark.slow
def test_local_cluster_binds_localhost_only_and_runs_items(cluster):
    cluster, client = cluster
    addr = cluster.scheduler_address
    assert addr.startswith("tcp://127.0.0.1:")
    info = client.scheduler_info()
    assert len(info["workers"]) == 2
    assert all(w.startswith("tcp://127.0.0.1:") for w in info["workers"])
    assert all(w["nthreads"] == 1 for w in info["workers"].values())
    # every listening socket of this process and of the worker processes is on 127.0.0.1
    listeners = _listening_addresses()
    assert listeners and all(ip == "127.0.0.1" for ip, _port in listeners), listeners
    # no fixed port either: the scheduler's HTTP server would take 8787 unless told otherwise
    assert 8787 not in {port for _ip, port in listeners}, listeners
    assert client.dashboard_link is None or "127.0.0.1" in client.dashboard_link
    items = [{"key": f"k{i}", "n": i, "mode": "sleep", "seconds": 0.3} for i in range(6)]
    res = run_items(items, square_item, client=client, progress=False)
    _check_all_accounted(items, res)
    assert all(r["ok"] for r in res)
    assert len({r["pid"] for r in res}) == 2  # both worker processes did work
    assert os.getpid() not in {r["pid"] for r in res}


@pytest.mark.slow
def test_local_cluster_killed_worker_retried_or_reported(tmp_path):
    """k1 kills its worker once (then succeeds on the retry); k3 kills it every time
    (reported as a KilledWorker failure after the retry); k4 raises; the rest finish."""
    items = _items(7, k1="exit_once", k3="exit", k4="raise")
    items[1]["marker"] = str(tmp_path / "k1.died")
    res = run_items(items, square_item, scheduler="local", workers=2, retries=1,
                    progress=False)
    _check_all_accounted(items, res)
    assert [r["ok"] for r in res] == [True, True, True, False, False, True, True]
    assert (tmp_path / "k1.died").exists()  # k1 really killed a worker, then was retried
    assert int((tmp_path / "k1.died").read_text()) != res[1]["pid"]
    assert "worker process died" in res[3]["error"] and "KilledWorker" in res[3]["error"]
    assert res[3]["key"] == "k3"
    assert "ValueError: bad item k4" in res[4]["error"]


@pytest.mark.slow
def test_tcp_scheduler_address_submits_to_existing_cluster(cluster):
    items = _items(4, k2="raise")
    res = run_items(items, square_item, scheduler=cluster[0].scheduler_address,
                    progress=False)
    _check_all_accounted(items, res)
    assert [r["ok"] for r in res] == [True, True, False, True]


@pytest.mark.slow
def test_sweep_item_function_on_local_cluster_writes_reports_and_index(cluster, tmp_path,
                                                                       monkeypatch):
    """The real pivotlib.batch.sweep.run_sweep_item on a LocalCluster: each worker runs a notebook
    and writes its own report files; a failing notebook is kept and reported; the index is
    built once at the end from what finished."""
    from pivotlib.batch.sweep import run_sweep

    reports = tmp_path / "reports"
    reports.mkdir()
    monkeypatch.setenv("PIVOT_REPORTS_DIR", str(reports))
    good = code_notebook(tmp_path / "good.ipynb",
                         ["from pivotlib.runner import recorder\nrecorder.record(title='ok', value=x * 2)"],
                         parameters="x = 1")
    bad = code_notebook(tmp_path / "bad.ipynb", ["raise RuntimeError('planted failure')"],
                        parameters="x = 1")
    items = [{"notebook": str(good), "parameters": {"x": i}, "reports_root": str(reports),
              "date": "2026-01-02", "key": f"good-{i}", "timeout": 120} for i in range(3)]
    items.insert(1, {"notebook": str(bad), "parameters": {"x": 9}, "reports_root": str(reports),
                     "date": "2026-01-02", "key": "bad-9", "timeout": 120})
    ns = argparse.Namespace(scheduler=cluster[0].scheduler_address, workers=2, retries=1,
                            no_progress=True)
    res = run_sweep(items, **scheduler_options(ns))
    assert [r["key"] for r in res] == ["good-0", "bad-9", "good-1", "good-2"]
    assert [r["ok"] for r in res] == [True, False, True, True]
    assert "planted failure" in res[1]["error"] and res[1]["exit_code"] == 5
    assert [r["records"]["value"] for r in res if r["ok"]] == [0, 2, 4]
    day = reports / "2026-01-02"
    sidecars = sorted(day.glob("*.json"))
    assert len(sidecars) == 4 and not list(day.glob("*.tmp"))
    status = {json.loads(p.read_text())["status"] for p in sidecars}
    assert status == {"ok", "failed"}
    assert (day / os.path.basename(res[1]["ipynb"])).exists()  # failed notebook kept
    index = (reports / "index.html").read_text()
    assert "planted failure" in index and index.count("<tr class=") >= 4


@pytest.mark.slow
def test_real_catalog_sweep_on_local_cluster(cluster, tmp_reports_dir):
    """`pivot sweep`'s own items (sweep_items) and function (run_sweep_item) on a LocalCluster
    of 2 workers, on the SYNTHETIC demo data: every report written, index built once."""
    from pivotlib.batch.sweep import run_sweep, summary_table, sweep_items

    items = sweep_items(dataset="demo", date="2026-01-02", limit=3,
                        reports_root=str(tmp_reports_dir))
    assert len(items) == 3
    ns = argparse.Namespace(scheduler=cluster[0].scheduler_address, workers=2, retries=1,
                            no_progress=True)
    res = run_sweep(items, **scheduler_options(ns))
    assert [r["key"] for r in res] == [it["key"] for it in items]
    assert all(r["ok"] for r in res), summary_table(res)
    assert all(isinstance(r["records"].get("car"), float) for r in res)
    index = (tmp_reports_dir / "index.html").read_text()
    assert all(it["key"] in index for it in items)


@pytest.mark.slow
def test_external_dask_cluster_documented_flags(tmp_path, tmp_reports_dir):
    """`dask scheduler` + `dask worker` started as in docs/distributed.md (separate processes,
    not importing the tests): every socket on 127.0.0.1; the real run_sweep_item runs there;
    a function the cluster cannot import is reported per item with the fix, not lost."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    import psutil

    from pivotlib.batch.sweep import run_sweep_item

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    dask = str(Path(sys.executable).parent / "dask")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard", "--dashboard-address", "127.0.0.1:0"],
                              cwd=str(tmp_path), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    try:
        time.sleep(2)
        procs.append(subprocess.Popen(
            [dask, "worker", f"tcp://127.0.0.1:{port}", "--nworkers", "2", "--nthreads", "1",
             "--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"],
            cwd=str(tmp_path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(f"tcp://127.0.0.1:{port}", timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        listeners = set()
        for p in procs:
            for q in [psutil.Process(p.pid), *psutil.Process(p.pid).children(recursive=True)]:
                listeners |= {c.laddr.ip for c in q.net_connections(kind="inet")
                              if c.status == psutil.CONN_LISTEN}
        assert listeners == {"127.0.0.1"}, listeners
        good = code_notebook(tmp_path / "good.ipynb",
                             ["from pivotlib.runner import recorder\nrecorder.record(value=x + 1)"],
                             parameters="x = 1")
        items = [{"notebook": str(good), "parameters": {"x": i}, "date": "2026-01-02",
                  "reports_root": str(tmp_reports_dir), "key": f"g{i}"} for i in range(2)]
        res = run_items(items, run_sweep_item, scheduler=f"tcp://127.0.0.1:{port}",
                        progress=False)
        assert [r["ok"] for r in res] == [True, True], res
        assert [r["records"]["value"] for r in res] == [1, 2]
        bad = run_items(_items(2), square_item, scheduler=f"tcp://127.0.0.1:{port}",
                        progress=False)
        assert [r["ok"] for r in bad] == [False, False]
        assert all("cannot import _faultkit.square_item" in r["error"] for r in bad)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_deadline_must_be_positive():
    with pytest.raises(InputError, match="deadline must be a positive number of seconds"):
        run_items(_items(1), square_item, scheduler="serial", deadline=0)


@pytest.mark.slow
@pytest.mark.parametrize("scheduler", ["processes", "local"])
def test_deadline_cancels_a_hung_item_others_finish(scheduler):
    """A hung item (sleeps 120 s) cannot hold the sweep: at the deadline it is cancelled and
    reported; the other items finished; the run returns promptly."""
    import time

    items = _items(4)
    items[0].update(mode="sleep", seconds=120)
    t0 = time.perf_counter()
    res = run_items(items, square_item, scheduler=scheduler, workers=2, deadline=8,
                    progress=False)
    elapsed = time.perf_counter() - t0
    _check_all_accounted(items, res)
    assert [r["ok"] for r in res] == [False, True, True, True]
    assert "did not finish within the sweep deadline of 8 s" in res[0]["error"]
    assert elapsed < 40, elapsed


@pytest.mark.slow
def test_deadline_contains_a_dying_kernel_sweep_item(cluster, tmp_path, tmp_reports_dir):
    """The real run_sweep_item on a LocalCluster with an item whose kernel dies: the item is
    reported (DeadKernelError), every other item finishes, well inside the deadline that
    would otherwise bound a hang (the warm-kernel hang once seen: see
    test_fault_sweep_kernel_death_among_items_does_not_hang)."""
    import time

    from pivotlib.batch.sweep import run_sweep_item

    good = code_notebook(tmp_path / "good.ipynb",
                         ["from pivotlib.runner import recorder\nrecorder.record(value=x + 1)"],
                         parameters="x = 1")
    die = code_notebook(tmp_path / "die.ipynb", ["import os\nos._exit(1)"], parameters="x = 1")

    def item(nb, x, key):
        return {"notebook": str(nb), "parameters": {"x": x}, "date": "2026-01-02",
                "reports_root": str(tmp_reports_dir), "key": key, "timeout": 20}

    items = [item(good, 1, "g1"), item(die, 2, "die"), item(good, 3, "g3"), item(good, 4, "g4")]
    t0 = time.perf_counter()
    # 60 s: under `make test` (xdist) other tests share the two cores with this cluster
    res = run_items(items, run_sweep_item, scheduler=cluster[0].scheduler_address, deadline=60,
                    progress=False)
    assert time.perf_counter() - t0 < 120
    assert [r["key"] for r in res] == ["g1", "die", "g3", "g4"]
    assert [r["ok"] for r in res] == [True, False, True, True], res
    assert "DeadKernelError" in res[1]["error"], res[1]["error"]
    assert time.perf_counter() - t0 < 60


@pytest.mark.slow
def test_cli_pivot_sweep_scheduler_local(tmp_reports_dir, capsys):
    """`pivot sweep --scheduler local` end to end, once the lead has wired
    add_scheduler_argument/dispatch into pivotlib/cli/reports.py (skips until then)."""
    from pivotlib.cli import build_parser, main

    try:
        build_parser().parse_args(["sweep", "--scheduler", "local", "--deadline", "600"])
    except SystemExit:
        pytest.skip("pivot sweep --scheduler is not wired into pivotlib/cli/reports.py yet")
    capsys.readouterr()
    rc = main(["sweep", "--scheduler", "local", "--workers", "2", "--limit", "2",
               "--dataset", "demo", "--date", "2026-01-02", "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "2 of 2 reports ok" in out
    assert (tmp_reports_dir / "index.html").exists()


@pytest.mark.slow
def test_serial_sweep_item_listens_on_localhost_only(tmp_path, tmp_reports_dir):
    """Without Dask nothing listens on a public interface: the Jupyter kernel running a real
    sweep item reports its own listening sockets (its ZeroMQ ports) - all on 127.0.0.1 - and
    so does every process of this run afterwards."""
    from pivotlib.batch.sweep import run_sweep_item

    nb = code_notebook(tmp_path / "ports.ipynb", [
        "import psutil\nfrom pivotlib.runner import recorder\n"
        "me = psutil.Process()\n"
        "recorder.record(ports=sorted({(c.laddr.ip, c.laddr.port) for c in "
        "me.net_connections(kind='inet') if c.status == psutil.CONN_LISTEN}))"],
        parameters="x = 1")
    item = {"notebook": str(nb), "parameters": {"x": 1}, "date": "2026-01-02",
            "reports_root": str(tmp_reports_dir), "key": "ports"}
    res = run_items([item], run_sweep_item, scheduler="serial", progress=False)
    assert res[0]["ok"], res[0].get("error")
    kernel_ports = res[0]["records"]["ports"]
    import os

    if os.name == "posix":  # the runner's kernels talk over Unix sockets (their 5 channels)
        assert {ip for ip, _ in kernel_ports} <= {"127.0.0.1"}, kernel_ports
    else:
        assert len(kernel_ports) >= 5  # shell, iopub, stdin, control, heartbeat
        assert {ip for ip, _ in kernel_ports} == {"127.0.0.1"}, kernel_ports
    after = _listening_addresses()
    assert all(ip == "127.0.0.1" for ip, _ in after), after


def test_missing_dask_is_input_error_naming_the_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *a, **k):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(InputError, match=r"needs Dask distributed.*pip install -e '.\[dask\]'"):
        run_items(_items(1), square_item, scheduler="local", progress=False)
