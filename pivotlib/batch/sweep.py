"""The sweep: every catalog event to its own event-study report, failures isolated.

The unit of work is :func:`run_sweep_item`, a plain function of a JSON-safe ``dict`` returning a
JSON-safe ``dict``. It never raises, so any executor can call it: :func:`run_items` runs it on
threads of this process, one kernel each (``pivot sweep --workers N``), and
:mod:`pivotlib.batch.executors` submits the same function to a process pool or a Dask cluster
(``pivot sweep --scheduler processes|local|tcp://host:8786``).

Item keys (all but ``notebook`` optional)::

    {"notebook": "02-event-study", "parameters": {"event_id": "..."}, "date": "2026-11-26",
     "reports_root": "/path/reports", "timeout": 900, "single_file": False, "force": False,
     "key": "label for the summary", "reuse_kernel": True}

``reuse_kernel`` (default True) runs the report on this thread's warm kernel
(:class:`pivotlib.runner.kernels.WarmKernel`: one kernel per worker thread or process, started
and preloaded on first use, namespace reset between reports) instead of starting a kernel per
report.

Result keys: ``key, notebook, ok, status, name, html, ipynb, sidecar, elapsed, error, records``
plus ``exit_code`` (0, or the :mod:`pivotlib.errors` exit code of the failure).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pivotlib.defaults import REPORT_TIMEOUT
from pivotlib.runner.index import robustness_words

__all__ = ["run_sweep_item", "sweep_items", "screen_items", "run_items", "summary_table",
           "run_sweep", "NOT_STUDIABLE"]

SWEEP_NOTEBOOK = "02-event-study"


_LOCAL = threading.local()
_THREAD_KERNELS: dict[int, Any] = {}  # kernels of the "threads" scheduler's threads, by thread
_THREAD_LOCK = threading.Lock()


def _worker_kernel() -> Any:
    """This thread's warm kernel (created on first use, stopped when the process exits).

    One kernel per thread, so a threaded executor (the ``threads`` scheduler, a Dask worker
    with several threads) never runs two notebooks on the same kernel at once.
    """
    warm = getattr(_LOCAL, "warm", None)
    if warm is None:
        import atexit
        from multiprocessing import util

        from pivotlib.runner.kernels import WarmKernel

        warm = _LOCAL.warm = WarmKernel()
        atexit.register(warm.shutdown)  # the main process
        util.Finalize(warm, warm.shutdown, exitpriority=10)  # pool workers skip atexit
        # start it and send the study imports now: the kernel loads them while this process
        # imports papermill/nbconvert and prepares the first report
        warm.preload_soon()
    if threading.current_thread().name.startswith("pivot-item"):  # a "threads" scheduler's
        with _THREAD_LOCK:  # (a kernel stopped by stop_thread_kernels restarts on next use)
            _THREAD_KERNELS[threading.get_ident()] = warm
    return warm


def stop_thread_kernels() -> None:
    """Stop the kernels of the ``threads`` scheduler's threads (the executor calls this when
    a run ends, and at its deadline to stop the items still running: their kernels die, so
    their notebooks fail at once instead of running on)."""
    with _THREAD_LOCK:
        kernels = list(_THREAD_KERNELS.values())
        _THREAD_KERNELS.clear()
    for k in kernels:
        k.shutdown(wait=False)


def run_sweep_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """Run one report described by ``item``; never raises (errors are returned).

    Parameters
    ----------
    item : mapping
        See the module docstring.

    Returns
    -------
    dict
        JSON-safe outcome (``ok`` False and ``error`` set on failure).
    """
    t0 = time.perf_counter()
    warm = _worker_kernel() if item.get("reuse_kernel", True) else None  # starts loading now
    from pivotlib.errors import PivotError
    from pivotlib.runner.execute import failure_class, run_report

    params = dict(item.get("parameters") or {})
    key = str(item.get("key") or params.get("event_id") or item.get("notebook"))
    base = {"key": key, "notebook": str(item.get("notebook")), "parameters": params}
    try:
        root = item.get("reports_root")
        res = run_report(item["notebook"], params, date=item.get("date"),
                         reports_root=Path(root) if root else None,
                         timeout=int(item.get("timeout") or REPORT_TIMEOUT),
                         single_file=bool(item.get("single_file")),
                         force=bool(item.get("force")), update_index=False,
                         raise_on_error=False,
                         warm=warm)
        out = {**base, **res.to_dict(), "ok": res.ok,
               "exit_code": 0 if res.ok else failure_class(res.error).exit_code}
    except PivotError as exc:
        out = {**base, "ok": False, "status": "failed", "error": str(exc),
               "exit_code": exc.exit_code, "html": None, "ipynb": None, "records": {}}
    except Exception as exc:  # noqa: BLE001 - isolate every failure
        out = {**base, "ok": False, "status": "failed",
               "error": f"{type(exc).__name__}: {exc}", "exit_code": 1, "html": None,
               "ipynb": None, "records": {}}
    out["key"] = key
    out["elapsed"] = round(time.perf_counter() - t0, 3)
    return out


run_sweep_item.stop_threads = stop_thread_kernels  # type: ignore[attr-defined]
"""The ``threads`` scheduler stops the threads' kernels with it (see
:mod:`pivotlib.batch.executors`)."""


def sweep_items(*, category: str | None = None, symbols: Sequence[str] | None = None,
                dataset: str | None = None, date: str | None = None,
                reports_root: str | None = None, limit: int | None = None,
                extra: Mapping[str, Any] | None = None,
                robustness: bool = False) -> list[dict[str, Any]]:
    """One item per catalog event (optionally filtered), for :data:`SWEEP_NOTEBOOK`.

    ``robustness`` sets the notebook's ``robustness`` parameter: each report then carries its
    CAR specification curve and verdict (sidecar ``robustness``/``verdict``, shown in the index
    and the summary); off, the sweep skips the curve (about 2-4 s per event).
    """
    from pivotlib.events.catalog import company_events

    cat = company_events()  # sector context rows have no stock
    if category:
        cat = cat[cat["category"] == category]
    if symbols:
        cat = cat[cat["symbol"].isin([s.upper() for s in symbols])]
    ids = [str(e) for e in cat["event_id"]]
    if limit:
        ids = ids[:limit]
    items = []
    for eid in ids:
        prm: dict[str, Any] = {"event_id": eid, "robustness": bool(robustness), **(extra or {})}
        if dataset:
            prm["dataset"] = dataset
        items.append({"notebook": SWEEP_NOTEBOOK, "parameters": prm, "date": date,
                      "reports_root": reports_root, "key": eid})
    return items


NOT_STUDIABLE = "not studiable"
"""Status of a sweep item whose event the engine cannot study on this dataset (too little
history before it, not listed yet, ...): reported with the reason, not run, not a failure."""


def screen_items(items: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]],
                                                               list[dict[str, Any]]]:
    """Split sweep items into those to run and those whose event cannot be studied.

    One vectorised :func:`pivotlib.analytics.eventstudy.run_event_study` over every item's event (with
    each item's own parameters; items are grouped by parameters) gives each event's status.
    An event whose status is not ``"ok"`` would only fail inside its notebook with the same
    reason, so it is not run: it gets a result with status :data:`NOT_STUDIABLE`, ``ok``
    False, ``exit_code`` 0 and the engine's reason. A nightly sweep then exits 0 when every
    runnable report succeeded, and the summary still lists every skipped event and why.

    Items that are not event-study items, or whose parameters do not validate, are left to
    run (their notebook reports the problem).
    """
    import json

    from pivotlib.events.catalog import load_catalog
    from pivotlib.runner.notebooks import notebook_parameters, resolve_notebook
    from pivotlib.studies import params as _params
    from pivotlib.studies.common import ModelSpec, dataset_symbols, fit_spec
    from pivotlib.studies.event import screen_events

    groups: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        prm = dict(it.get("parameters") or {})
        if it.get("notebook") != SWEEP_NOTEBOOK or not prm.get("event_id"):
            continue
        key = json.dumps({k: v for k, v in prm.items() if k != "event_id"}, sort_keys=True,
                         default=str)
        groups.setdefault(key, []).append(i)
    if not groups:
        return [dict(it) for it in items], []
    catalog = load_catalog()
    defaults = notebook_parameters(resolve_notebook(SWEEP_NOTEBOOK))
    reasons: dict[int, str] = {}
    for idx in groups.values():
        prm = {**defaults, **dict(items[idx[0]].get("parameters") or {})}
        try:
            p = _params.validate(SWEEP_NOTEBOOK, **prm)
        except Exception:  # noqa: BLE001 - the notebook run will report bad parameters
            continue
        ids = [str(items[i]["parameters"]["event_id"]) for i in idx]
        evs = catalog[catalog["event_id"].isin(ids)]
        if evs.empty:
            continue
        spec = ModelSpec.of(model=p.model, market=p.market, factors=p.factors,
                            estimation=p.estimation, window=p.window)
        try:  # the model the notebook will run: a missing default regressor degrades
            spec, _ = fit_spec(spec, dataset_symbols(p.dataset), p.dataset)
            scr = screen_events(evs, spec, dataset=p.dataset, catalog=catalog)
        except Exception:  # noqa: BLE001 - nothing loadable: let each item report it
            continue
        for i in idx:
            eid = str(items[i]["parameters"]["event_id"])
            if eid in scr.index and not bool(scr.at[eid, "studiable"]):
                reasons[i] = str(scr.at[eid, "reason"])
    run, skipped = [], []
    for i, it in enumerate(items):
        if i in reasons:
            skipped.append({"key": str(it.get("key") or i), "notebook": it.get("notebook"),
                            "parameters": dict(it.get("parameters") or {}), "ok": False,
                            "status": NOT_STUDIABLE, "exit_code": 0, "html": None,
                            "ipynb": None, "elapsed": 0.0, "records": {},
                            "error": reasons[i]})
        else:
            run.append(dict(it))
    return run, skipped


def run_items(items: Sequence[Mapping[str, Any]], *, workers: int = 1, progress: bool = True,
              scheduler: str | None = None, retries: int = 1,
              deadline: float | None = None) -> list[dict[str, Any]]:
    """Run report items with :func:`run_sweep_item` on an executor; results in input order.

    :func:`pivotlib.batch.executors.dispatch` (scheduler ``None``: ``workers`` threads of this
    process, one kernel each, when ``workers`` > 1, else in-process; ``"processes"`` for a
    process pool, which also recovers from a crashed worker process by re-running the items it
    held one at a time; ``"local"``/``"tcp://..."`` for Dask).
    """
    from pivotlib.batch.executors import dispatch

    return dispatch(items, run_sweep_item, scheduler=scheduler, workers=workers,
                    retries=retries, progress=progress, deadline=deadline)


def summary_table(results: Sequence[Mapping[str, Any]]) -> str:
    """Plain-text table: one line per report (key, status, CAR, p, seconds, file or error)."""
    lines = [f"{'report':<34} {'status':<13} {'CAR':>8} {'p':>7} {'sec':>6}  file / error"]
    for r in results:
        rec = r.get("records") or {}
        car = rec.get("car")
        p = rec.get("p_value")
        car_s = f"{car * 100:+.1f}%" if isinstance(car, int | float) else ""
        p_s = f"{p:.3f}" if isinstance(p, int | float) else ""
        tail = r.get("html") or r.get("ipynb") or ""
        words = robustness_words(rec)  # the index's words: every headline's, not only the CAR's
        if words:
            tail = f"[{words}] {tail}"
        if not r.get("ok"):
            tail = (r.get("error") or "")[:160]
        lines.append(f"{str(r.get('key'))[:34]:<34} {str(r.get('status')):<13} {car_s:>8} "
                     f"{p_s:>7} {float(r.get('elapsed') or 0):>6.1f}  {tail}")
    notes: dict[str, list[str]] = {}
    for r in results:
        for n in (r.get("records") or {}).get("notes") or []:
            notes.setdefault(str(n), []).append(str(r.get("key")))
    if notes:
        lines.append("notes (what the reports left out or changed, and why):")
        for n, keys in notes.items():
            where = keys[0] if len(keys) == 1 else f"{len(keys)} reports"
            lines.append(f"  [{where}] {n[:300]}")
    n_ok = sum(1 for r in results if r.get("ok"))
    n_ns = sum(1 for r in results if r.get("status") == NOT_STUDIABLE)
    tail = f", {n_ns} not studiable (not run; reason shown)" if n_ns else ""
    lines.append(f"{n_ok} of {len(results)} reports ok, {len(results) - n_ok - n_ns} failed"
                 + tail)
    if any(r.get("status") == "skipped" for r in results):
        lines.append("skipped = identical inputs were already reported that day; the existing "
                     "files are kept (--force writes a new copy with a -2, -3 suffix)")
    return "\n".join(lines)


def run_sweep(items: Sequence[Mapping[str, Any]], *, workers: int | None = 1,
              progress: bool = True, scheduler: str | None = None, retries: int = 1,
              deadline: float | None = None,
              reports_root: str | None = None) -> list[dict[str, Any]]:
    """Run the items (:func:`run_items`), then rebuild each reports folder's index once."""
    from pivotlib.runner.index import build_index

    results = run_items(items, workers=int(workers or 1), progress=progress,
                        scheduler=scheduler, retries=retries, deadline=deadline)
    roots = sorted({str(it["reports_root"]) for it in items if it.get("reports_root")})
    for r in roots or [reports_root]:
        build_index(Path(r) if r else None)
    return results
