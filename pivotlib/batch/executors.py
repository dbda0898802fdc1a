"""Run sweep items on Dask distributed (or a local process pool), never losing an item.

One *item* is a JSON-safe ``dict`` and one task runs it through the **same** function the
local pool uses, :func:`pivotlib.batch.sweep.run_sweep_item` (injectable as ``func`` for tests and
other sweeps). Where it runs is the ``scheduler``:

``"serial"``
    In this process, one item after the other.
``"threads"``
    ``workers`` threads of this process (the default for more than one worker). A report's
    work runs in its Jupyter kernel, a process of its own (one per thread), so the threads
    only orchestrate and export: no worker process to start and import pivotlib, papermill
    and nbconvert, and the HTML exporter's compiled templates are shared. A kernel that
    dies fails its item only. ``func.stop_threads`` (if the function has it) is called when
    the run ends, and at the deadline first, to stop the work still running (the sweep
    shuts down its threads' kernels).
``"processes"``
    A local :class:`concurrent.futures.ProcessPoolExecutor` (``spawn``) of ``workers``
    processes - no Dask needed; isolates an item that takes its whole worker process down.
``"local"``
    A Dask :class:`distributed.LocalCluster` on this machine: ``workers`` worker processes with
    one thread each, every socket bound to ``127.0.0.1`` (scheduler, workers, nannies), the
    dashboard off. Nothing listens on a public interface; the cluster is closed at the end.
``"tcp://host:8786"``
    Submit to an existing Dask scheduler a team already operates (its workers need
    ``pivotlib`` installed and read access to the same data and reports folders).

Guarantees
----------
* **Every item ends as a result or a recorded failure**, in input order. A task that raises
  (after ``retries`` re-runs), a worker process that dies while running an item
  (``KilledWorker`` after the item was retried on another worker), a lost scheduler
  connection - each becomes a failure dict ``{"key", "ok": False, "status": "failed",
  "error", "exit_code": 5, ...}`` naming the item and the cause. Nothing is dropped silently.
* **Killed workers are retried.** On a LocalCluster ``distributed.scheduler.allowed-failures``
  is set to ``retries``, so an item whose worker died is re-run on a fresh worker (the nanny
  restarts the dead one) up to ``retries`` times, then reported. The local process pool does
  the same with a fresh pool for the items a broken pool did not finish.
  ``worker-saturation`` is 1.0 so a worker holds only the item it is running: an innocent item
  is never counted as a suspect of another item's crash.
* **Workers only read prices.** The price store is prepared once, upstream, by the caller
  (``pivot data fetch`` / ``pivot data import`` before the sweep); items never fetch. Each item
  writes its own report files atomically (``pivotlib.runner.execute.run_report``), and the index is
  rebuilt once at the end from the sidecars of what finished (:func:`dispatch`).

CLI wiring (one line each in ``pivotlib/cli/reports.py``)::

    add_scheduler_argument(s)                                   # in register()
    results = dispatch(items, run_sweep_item, args)             # in cmd_sweep()

References: Dask distributed documentation, "Resilience" (``KilledWorker``,
``allowed-failures``) and "Futures" (``as_completed``); https://distributed.dask.org/.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pivotlib.errors import InputError, RunError

__all__ = ["SCHEDULERS", "run_items", "add_scheduler_argument", "dispatch", "local_cluster",
           "check_scheduler"]

SCHEDULERS = ("serial", "threads", "processes", "local")
"""Named schedulers; anything else must be a ``tcp://host:port`` (or ``tls://``) address."""

_ADDRESS = re.compile(r"^(tcp|tls)://[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")

Item = Mapping[str, Any]
Func = Callable[[dict[str, Any]], dict[str, Any]]


def check_scheduler(scheduler: str) -> str:
    """Validate a scheduler name or address; return it.

    Raises
    ------
    InputError
        Neither one of :data:`SCHEDULERS` nor ``tcp://host:port`` / ``tls://host:port``.
    """
    s = str(scheduler).strip()
    if s in SCHEDULERS or _ADDRESS.match(s):
        return s
    raise InputError(f"unknown scheduler {scheduler!r}; use local (a Dask LocalCluster on this "
                     "machine), tcp://host:8786 (an existing Dask scheduler), threads (threads "
                     "of this process), processes (a local process pool) or serial")


def _key(item: Item, i: int) -> str:
    params = item.get("parameters") or {}
    return str(item.get("key") or (params.get("event_id") if isinstance(params, Mapping)
                                   else None) or item.get("notebook") or f"item-{i}")


def _failure(item: Item, i: int, error: str, *, attempts: int | None = None) -> dict[str, Any]:
    """The record of an item that produced no result."""
    params = item.get("parameters")
    out: dict[str, Any] = {
        "key": _key(item, i), "notebook": item.get("notebook"),
        "parameters": dict(params) if isinstance(params, Mapping) else {},
        "ok": False, "status": "failed", "error": error, "exit_code": RunError.exit_code,
        "html": None, "ipynb": None, "records": {}, "elapsed": None,
    }
    if attempts is not None:
        out["attempts"] = attempts
    return out


def _as_result(value: Any, item: Item, i: int) -> dict[str, Any]:
    if isinstance(value, Mapping):
        out = dict(value)
        out.setdefault("key", _key(item, i))
        out.setdefault("ok", True)
        return out
    return _failure(item, i, f"the item function returned {type(value).__name__}, not a dict")


def _bar(total: int, progress: bool, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="item", disable=not progress or total == 0,
                file=sys.stderr, dynamic_ncols=True)


# ---------------------------------------------------------------------------------------------
# the runner
# ---------------------------------------------------------------------------------------------
def run_items(items: Sequence[Item], func: Func, *, scheduler: str = "local",
              workers: int = 2, retries: int = 1, progress: bool = True,
              client: Any = None, connect_timeout: float = 20.0,
              deadline: float | None = None) -> list[dict[str, Any]]:
    """Run ``func(item)`` for every item; return one dict per item, in input order.

    Parameters
    ----------
    items : sequence of dict
        JSON-safe items (see :mod:`pivotlib.batch.sweep`); each is passed to ``func`` as a ``dict``.
    func : callable
        ``func(item) -> dict`` (the sweep passes :func:`pivotlib.batch.sweep.run_sweep_item`).
        Must be importable by the workers (a module-level function). This module imports
        nothing that runs reports: it is given the function to run.
    scheduler : str, default "local"
        ``"local"``, ``"tcp://host:port"``, ``"threads"``, ``"processes"`` or ``"serial"``
        (module docstring).
    workers : int, default 2
        Worker processes for ``"local"`` and ``"processes"``, threads for ``"threads"``.
    retries : int, default 1
        Re-runs of an item whose task raised or whose worker died, before it is reported.
    progress : bool, default True
        A tqdm bar on stderr.
    client : distributed.Client, optional
        Use this client instead of creating one (``scheduler`` is then ignored).
    connect_timeout : float, default 20
        Seconds to wait for a ``tcp://`` scheduler.
    deadline : float, optional
        Seconds for the whole run (``processes``, ``local``, ``tcp://``). Items not finished
        by then are cancelled and recorded as failures, so a hung notebook cannot hold a
        nightly job forever. On ``processes`` the pool's processes are terminated; on
        ``local`` the cluster is closed; on ``tcp://`` the tasks are cancelled (a task stuck
        inside C code keeps its worker thread busy until it returns). Not enforced on
        ``serial``.

    Returns
    -------
    list of dict
        ``func``'s result for items that ran, a failure record (``ok`` False, ``error``,
        ``exit_code`` 5) for the others. Never shorter than ``items``.

    Raises
    ------
    InputError
        Unknown scheduler, ``workers`` < 1 or ``retries`` < 0.
    RunError
        The Dask scheduler at ``tcp://...`` cannot be reached.
    """
    items = [dict(it) for it in items]
    if int(workers) < 1:
        raise InputError(f"workers must be >= 1, got {workers}; pass e.g. --workers 2")
    if int(retries) < 0:
        raise InputError(f"retries must be >= 0, got {retries}")
    if deadline is not None and not float(deadline) > 0:
        raise InputError(f"deadline must be a positive number of seconds, got {deadline}")
    if not items:
        return []
    if client is not None:
        return _run_dask(items, func, client, retries, progress, deadline)
    scheduler = check_scheduler(scheduler)
    if scheduler == "serial":
        return _run_serial(items, func, retries, progress)
    if scheduler == "threads":
        return _run_threads(items, func, int(workers), retries, progress, deadline)
    if scheduler == "processes":
        return _run_pool(items, func, int(workers), retries, progress, deadline)
    _require_dask(scheduler)
    if scheduler == "local":
        with local_cluster(int(workers), retries=retries) as (_cluster, cl):
            return _run_dask(items, func, cl, retries, progress, deadline)
    from distributed import Client

    try:
        cl = Client(scheduler, timeout=f"{float(connect_timeout)}s")
    except OSError as exc:
        raise RunError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); start it "
                       "(`dask scheduler` + `dask worker`) or use --scheduler local") from exc
    try:
        return _run_dask(items, func, cl, retries, progress, deadline)
    finally:
        cl.close()


def _require_dask(scheduler: str) -> None:
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise InputError(f"--scheduler {scheduler} needs Dask distributed, which is not "
                         "installed; run `pip install -e '.[dask]'` or use --scheduler "
                         "processes") from exc


def _run_serial(items: list[dict[str, Any]], func: Func, retries: int,
                progress: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    bar = _bar(len(items), progress, "items")
    try:
        for i, it in enumerate(items):
            for attempt in range(retries + 1):
                try:
                    res = _as_result(func(dict(it)), it, i)
                    break
                except Exception as exc:  # noqa: BLE001 - recorded, never lost
                    res = _failure(it, i, f"{type(exc).__name__}: {exc}", attempts=attempt + 1)
            out.append(res)
            bar.update(1)
    finally:
        bar.close()
    return out


def _deadline_error(deadline: float) -> str:
    return (f"did not finish within the sweep deadline of {deadline:g} s and was cancelled "
            "(a hung notebook or kernel?); run it alone with --scheduler serial to see why, "
            "or raise --deadline")


def _remaining(t_end: float | None) -> float | None:
    return None if t_end is None else max(0.0, t_end - time.monotonic())


def _run_threads(items: list[dict[str, Any]], func: Func, workers: int, retries: int,
                 progress: bool, deadline: float | None = None) -> list[dict[str, Any]]:
    """Threads of this process. An item whose task raised is re-run (``retries`` times). At
    the ``deadline`` ``func.stop_threads()`` stops what is running, the unfinished items are
    recorded as failures and queued ones never start."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    t_end = time.monotonic() + deadline if deadline else None
    results: list[dict[str, Any] | None] = [None] * len(items)
    stop = getattr(func, "stop_threads", None)
    bar = _bar(len(items), progress, "items")
    ex = ThreadPoolExecutor(max_workers=max(1, min(workers, len(items))),
                            thread_name_prefix="pivot-item")
    timed_out = False
    try:
        futs = {ex.submit(func, dict(it)): (i, 1) for i, it in enumerate(items)}
        while futs:
            done, _ = wait(list(futs), timeout=_remaining(t_end), return_when=FIRST_COMPLETED)
            if not done:
                timed_out = True
                break
            for f in done:
                i, attempt = futs.pop(f)
                try:
                    results[i] = _as_result(f.result(), items[i], i)
                except Exception as exc:  # noqa: BLE001 - recorded, never lost
                    if attempt <= retries:
                        futs[ex.submit(func, dict(items[i]))] = (i, attempt + 1)
                        continue
                    results[i] = _failure(items[i], i, f"{type(exc).__name__}: {exc}",
                                          attempts=attempt)
                bar.update(1)
    finally:
        if timed_out and stop is not None:
            stop()  # the running items end now (their kernels are gone)
        ex.shutdown(wait=True, cancel_futures=True)
        if stop is not None:
            stop()
        bar.close()
    why = _deadline_error(deadline) if timed_out and deadline else "not run (runner stopped early)"
    return [r if r is not None else _failure(items[i], i, why) for i, r in enumerate(results)]


def _run_pool(items: list[dict[str, Any]], func: Func, workers: int, retries: int,
              progress: bool, deadline: float | None = None) -> list[dict[str, Any]]:
    """Local process pool. A dead worker breaks the whole pool (every unfinished future fails
    with ``BrokenProcessPool``), so the unfinished items are then re-run one at a time, each in
    a fresh one-process pool: the item that kills its process is identified and reported after
    ``retries`` re-runs, the innocent ones finish. At the ``deadline`` the unfinished items are
    recorded as failures and the pool's processes are terminated."""
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    t_end = time.monotonic() + deadline if deadline else None
    results: list[dict[str, Any] | None] = [None] * len(items)
    bar = _bar(len(items), progress, "items")
    suspects: list[int] = []
    timed_out = False
    try:
        ex = _pool(min(workers, len(items)))
        futs = {ex.submit(func, dict(it)): i for i, it in enumerate(items)}
        try:
            for f in as_completed(futs, timeout=_remaining(t_end)):
                i = futs[f]
                try:
                    results[i] = _as_result(f.result(), items[i], i)
                except BrokenProcessPool:
                    suspects.append(i)
                    continue
                except Exception as exc:  # noqa: BLE001 - the item raised
                    if retries > 0:
                        suspects.append(i)
                        continue
                    results[i] = _failure(items[i], i, f"{type(exc).__name__}: {exc}",
                                          attempts=1)
                bar.update(1)
        except TimeoutError:
            timed_out = True
        finally:
            _stop_pool(ex, force=timed_out)
        for i in sorted(suspects):
            if timed_out or (t_end is not None and time.monotonic() >= t_end):
                timed_out = True
                break
            error = ""
            for attempt in range(retries + 1):
                one = _pool(1)
                try:
                    value = one.submit(func, dict(items[i])).result(timeout=_remaining(t_end))
                    results[i] = _as_result(value, items[i], i)
                    _stop_pool(one, force=False)
                    break
                except BrokenProcessPool:
                    error = ("the worker process died while running this item (killed, "
                             "out of memory or os._exit)")
                    _stop_pool(one, force=False)
                except TimeoutError:
                    _stop_pool(one, force=True)
                    timed_out = True
                    break
                except Exception as exc:  # noqa: BLE001
                    error = f"{type(exc).__name__}: {exc}"
                    _stop_pool(one, force=False)
                results[i] = _failure(items[i], i, f"{error}; {attempt + 1} isolated "
                                      "attempt(s) after the pool run", attempts=attempt + 2)
            if timed_out:
                break
            bar.update(1)
    finally:
        bar.close()
    why = _deadline_error(deadline) if timed_out and deadline else "not run (runner stopped early)"
    return [r if r is not None else _failure(items[i], i, why) for i, r in enumerate(results)]


def _pool(n: int):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=max(1, n), mp_context=mp.get_context("spawn"))


def _stop_pool(ex: Any, *, force: bool) -> None:
    """Shut a pool down; ``force`` terminates its processes first (hung items)."""
    if force:
        # ProcessPoolExecutor has no public way to stop a running task: terminate its
        # processes (their Jupyter kernels exit on their own when the parent is gone)
        for proc in list(getattr(ex, "_processes", {}).values()):
            try:
                proc.terminate()
            except Exception:  # noqa: BLE001 - already gone
                pass
        ex.shutdown(wait=False, cancel_futures=True)
    else:
        ex.shutdown(wait=True, cancel_futures=True)


def _run_dask(items: list[dict[str, Any]], func: Func, client: Any, retries: int,
              progress: bool, deadline: float | None = None) -> list[dict[str, Any]]:
    """Submit one task per item; collect with ``as_completed``; record every failure.

    At the ``deadline`` the unfinished futures are cancelled and recorded as failures.
    """
    from distributed import as_completed

    try:
        from distributed import KilledWorker
    except ImportError:  # pragma: no cover - older distributed
        from distributed.scheduler import KilledWorker

    allowed = _allowed_failures(client)
    tag = uuid.uuid4().hex[:8]
    futures = {}
    for i, it in enumerate(items):
        fut = client.submit(func, it, key=f"pivot-item-{tag}-{i}", pure=False, retries=retries)
        futures[fut.key] = (fut, i)
    results: list[dict[str, Any] | None] = [None] * len(items)
    t_end = time.monotonic() + deadline if deadline else None
    bar = _bar(len(items), progress, "items")
    try:
        ac = as_completed([f for f, _ in futures.values()])
        while not ac.is_empty():
            batch = ac.next_batch(block=t_end is None)
            if not batch:
                if time.monotonic() >= t_end:
                    break
                time.sleep(0.05)
                continue
            for fut in batch:
                i = futures[fut.key][1]
                it = items[i]
                try:
                    results[i] = _as_result(fut.result(), it, i)
                except KilledWorker as exc:
                    results[i] = _failure(
                        it, i, f"a Dask worker process died each time it ran this item "
                        f"({allowed + 1 if allowed is not None else 'several'} attempts; "
                        f"KilledWorker: {exc}); run it alone with --scheduler serial to see why")
                except Exception as exc:  # noqa: BLE001 - the task raised (after its retries)
                    msg = f"{type(exc).__name__}: {str(exc).strip()}"
                    if "deserializ" in msg.lower():
                        msg += (f" (the scheduler or a worker cannot import "
                                f"{getattr(func, '__module__', '?')}."
                                f"{getattr(func, '__name__', '?')}; install the same pivotlib "
                                "version there)")
                    results[i] = _failure(it, i, msg, attempts=retries + 1)
                bar.update(1)
    except Exception as exc:  # noqa: BLE001 - the scheduler went away mid-sweep
        why = f"lost the Dask scheduler ({type(exc).__name__}: {exc}); re-run the sweep"
        for i, r in enumerate(results):
            if r is None:
                results[i] = _failure(items[i], i, why)
    finally:
        bar.close()
        late = [f for f, i in futures.values() if results[i] is None]
        if late:
            try:
                client.cancel(late, force=True)
            except Exception:  # noqa: BLE001 - best effort
                pass
        for f, _ in futures.values():
            f.release()
    why = _deadline_error(deadline) if deadline else "no result came back from Dask"
    return [r if r is not None else _failure(items[i], i, why) for i, r in enumerate(results)]


def _allowed_failures(client: Any) -> int | None:
    try:
        return int(client.run_on_scheduler(
            lambda dask_scheduler: dask_scheduler.allowed_failures))
    except Exception:  # noqa: BLE001 - informational only
        return None


# ---------------------------------------------------------------------------------------------
# the local cluster
# ---------------------------------------------------------------------------------------------
class local_cluster:
    """Context manager: a localhost-only Dask LocalCluster and a client to it.

    ``with local_cluster(2) as (cluster, client): ...``. Scheduler, workers and nannies bind
    to ``127.0.0.1`` on random free ports (the scheduler's HTTP server too, which would take
    8787); the scheduler and worker dashboards are off; each
    worker is a separate process with one thread (notebook kernels are processes of their
    own). ``allowed-failures`` = ``retries`` and ``worker-saturation`` = 1.0 (module docstring).
    """

    def __init__(self, workers: int = 2, *, retries: int = 1, memory_limit: str = "auto",
                 silence_logs: bool = True) -> None:
        self.workers = int(workers)
        self.retries = int(retries)
        self.memory_limit = memory_limit
        self.silence_logs = silence_logs
        self.cluster = None
        self.client = None

    def __enter__(self):
        import logging

        import dask
        from distributed import Client, LocalCluster

        cfg = {"distributed.scheduler.allowed-failures": self.retries,
               "distributed.scheduler.worker-saturation": 1.0}
        t0 = time.perf_counter()
        with dask.config.set(cfg):
            self.cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                # the scheduler's HTTP server runs even without a dashboard, on 8787 unless
                # told otherwise: a random free port too (two clusters never clash)
                host="127.0.0.1", scheduler_port=0, dashboard_address="127.0.0.1:0",
                scheduler_kwargs={"dashboard": False},
                worker_dashboard_address=None, memory_limit=self.memory_limit,
                silence_logs=logging.ERROR if self.silence_logs else logging.INFO,
            )
            self.client = Client(self.cluster)
        self.startup_seconds = time.perf_counter() - t0
        return self.cluster, self.client

    def __exit__(self, *exc: Any) -> None:
        try:
            if self.client is not None:
                self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


# ---------------------------------------------------------------------------------------------
# CLI helpers
# ---------------------------------------------------------------------------------------------
def add_scheduler_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--scheduler``, ``--retries`` and ``--deadline`` to a sweep sub-parser (it already
    has ``--workers``)."""
    parser.add_argument(
        "--scheduler", default=None, metavar="WHERE",
        help="where items run: local (a Dask LocalCluster of --workers processes on "
             "127.0.0.1), tcp://host:8786 (an existing Dask scheduler), threads (--workers "
             "threads of this process, each with its own kernel), processes (a local process "
             "pool) or serial; default: threads if --workers > 1 else serial")
    parser.add_argument("--retries", type=int, default=1,
                        help="re-runs of an item whose task failed or whose worker died (1)")
    parser.add_argument("--deadline", type=float, default=None, metavar="SECONDS",
                        help="stop the whole sweep after this many seconds; unfinished items "
                             "are cancelled and reported as failed (default: no limit)")


def scheduler_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :func:`dispatch` keywords from parsed CLI arguments (:func:`add_scheduler_argument`)."""
    return {"scheduler": getattr(args, "scheduler", None),
            "workers": getattr(args, "workers", None),
            "retries": int(getattr(args, "retries", 1) or 0),
            "progress": not getattr(args, "no_progress", False) and sys.stderr.isatty(),
            "deadline": getattr(args, "deadline", None)}


def dispatch(items: Sequence[Item], func: Func, *, scheduler: str | None = None,
             workers: int | None = None, retries: int = 1, progress: bool = False,
             deadline: float | None = None) -> list[dict[str, Any]]:
    """Run ``items`` with the CLI's scheduler defaults (:func:`run_items` with defaults filled).

    Parameters
    ----------
    items, func, retries, progress, deadline
        As :func:`run_items`.
    scheduler : str, optional
        None -> ``threads`` when ``workers`` > 1, else ``serial``.
    workers : int, optional
        Default 1; a LocalCluster (``scheduler="local"``) gets at least 2.
    """
    n = int(workers or 1)
    if scheduler is None:
        scheduler = "threads" if n > 1 else "serial"
    elif scheduler == "local" and n < 2 and workers in (None, 1):
        n = 2
    return run_items(items, func, scheduler=scheduler, workers=n, retries=retries,
                     progress=progress, deadline=deadline)
