"""Where a report's time goes: the phases of one :func:`pivotlib.runner.execute.run_report`.

``pivot report --timings`` and ``benchmarks/bench_reports.py`` print the split. The phases:

``prepare``            parameters validated, fingerprint, name reserved (this process)
``kernel start``       a fresh Jupyter kernel started until its first reply
``imports in kernel``  pivotlib's study and presentation modules and plotly imported in it
``data load``          time inside pivotlib's loaders in the kernel (prices, returns, catalog)
``study``              the notebook's study cell (the one calling ``study_*``) minus data load
``charts and tables``  every other executed cell (charts, tables, narrative, record)
``notebook overhead``  papermill and nbclient around the cells (reset, round trips, parameters)
``save notebook``      read back, normalise and write the executed ``.ipynb``
``HTML export``        the offline HTML page
``sidecar``            the ``.json`` sidecar
``index``              ``reports/index.html`` rebuilt

How the kernel side is measured: the run uses a kernel started for it (the same as a cold run),
then :func:`kernel_prelude` imports the modules (timed) and wraps pivotlib's loader functions
with a timer (only the outermost call counts, so a loader calling another is not counted
twice). The wrappers only measure: the notebook's outputs do not change (tested). Cell times
are papermill's own per-cell durations, read before they are stripped from the saved notebook.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

PHASES = ("prepare", "kernel start", "imports in kernel", "data load", "study",
          "charts and tables", "notebook overhead", "save notebook", "HTML export", "sidecar",
          "index")
"""The phases of a report, in order."""

LOADERS = ("pivotlib.data.loading", "pivotlib.events.catalog", "pivotlib.data.datasets")
"""Modules whose public ``load_*``/``read_*`` functions count as data load."""

PRELOAD = ("pivotlib.presentation.charts", "pivotlib.presentation.views",
           "pivotlib.presentation.narrative", "pivotlib.studies.params",
           "pivotlib.runner.recorder", "pivotlib.studies.event")
"""What a warm kernel imports before its first report (the study notebooks' own imports).
plotly's object model is not among them: the charts of the study notebooks are figure dicts
(:mod:`pivotlib.presentation.figspec`), and a chart that needs ``plotly.graph_objects`` imports
it on first use."""

_ACC: dict[str, float] = {"imports": 0.0, "data_load": 0.0}
_DEPTH = [0]
_INSTALLED: dict[str, bool] = {}


def kernel_prelude(*, instrument: bool = False) -> dict[str, float]:
    """Run inside a kernel: import :data:`PRELOAD` (timed) and, if ``instrument``, wrap the
    public ``load_*``/``read_*`` functions of :data:`LOADERS` with a timer everywhere pivotlib
    bound them. Returns the kernel-side accumulator (``imports``, ``data_load`` seconds).

    The wrappers call the original function and only add up the time of the outermost call;
    they stay installed for the kernel's life (a timed kernel is never reused for a report
    that is not timed).
    """
    import gc
    import importlib
    import sys
    import time

    t0 = time.perf_counter()
    for name in PRELOAD:
        importlib.import_module(name)
    _ACC["imports"] = time.perf_counter() - t0
    # the imported modules live as long as the kernel: move them out of the collector's sight,
    # so the full collection of every namespace reset between a warm kernel's reports only
    # walks what the reports made (0.15 s -> 0.003 s per reset; gc.freeze, Python 3.7+)
    gc.freeze()
    _ACC["data_load"] = 0.0
    if instrument and not _INSTALLED.get("loaders"):
        wrapped: dict[int, tuple[Any, Any]] = {}
        for m in LOADERS:
            mod = importlib.import_module(m)
            for k, v in list(vars(mod).items()):
                if (callable(v) and k.startswith(("load_", "read_"))
                        and getattr(v, "__module__", "") == m):
                    wrapped[id(v)] = (v, _timed(v))
        for mod in list(sys.modules.values()):
            if getattr(mod, "__name__", "").startswith("pivotlib"):
                for k, v in list(vars(mod).items()):
                    hit = wrapped.get(id(v))
                    if hit is not None and hit[0] is v:
                        setattr(mod, k, hit[1])
        _INSTALLED["loaders"] = True
    return _ACC


def _timed(fn: Any) -> Any:
    import functools
    import time

    @functools.wraps(fn)
    def timed(*a: Any, **k: Any) -> Any:
        _DEPTH[0] += 1
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            _DEPTH[0] -= 1
            if _DEPTH[0] == 0:
                _ACC["data_load"] += time.perf_counter() - t
    return timed


def prelude(*, instrument: bool) -> str:
    """Kernel code running :func:`kernel_prelude` (nothing is left in the user namespace)."""
    return ("import pivotlib.runner.timings as _pt\n"
            f"_pt.kernel_prelude(instrument={bool(instrument)!r})\n"
            "del _pt\n")


COLLECT_EXPR = ("__import__('json').dumps(__import__('pivotlib.runner.timings', "
                "fromlist=['_ACC'])._ACC)")
"""A kernel ``user_expression`` giving the kernel-side measurements as a JSON string."""


def parse_collected(text: str) -> dict[str, float]:
    """The measurements from :data:`COLLECT_EXPR`'s value (the ``repr`` of a JSON string) or
    from a printed JSON line (zeros when there is none)."""
    import ast

    try:
        text = str(ast.literal_eval(text.strip()))
    except (ValueError, SyntaxError):
        pass
    for line in reversed(text.strip().splitlines()):
        try:
            got = json.loads(line)
        except ValueError:
            continue
        if isinstance(got, dict):
            return {k: float(v) for k, v in got.items()}
    return {"imports": 0.0, "data_load": 0.0}


def cell_split(nb: Any) -> tuple[float, float]:
    """(study cell seconds, other cells seconds) from papermill's per-cell durations.

    The study cell is the code cell calling a ``study_*`` function; the parameters and the
    injected-parameters cells are left out (they are part of the notebook overhead).
    """
    study = other = 0.0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            continue
        dur = (cell.metadata.get("papermill") or {}).get("duration")
        if not isinstance(dur, int | float):
            continue
        if "study_" in cell.source and study == 0.0:
            study = float(dur)
        else:
            other += float(dur)
    return study, other


def split(parent: Mapping[str, float], kernel: Mapping[str, float], cells: tuple[float, float],
          execute_total: float) -> dict[str, float]:
    """Assemble the :data:`PHASES` (seconds) from the parent's, the kernel's and the cells'
    measurements. ``execute_total`` is the wall time of the papermill run (cells + overhead)."""
    study_cell, other_cells = cells
    data = float(kernel.get("data_load", 0.0))
    out = {
        "prepare": parent.get("prepare", 0.0),
        "kernel start": parent.get("kernel start", 0.0),
        "imports in kernel": float(kernel.get("imports", 0.0)),
        "data load": data,
        "study": max(study_cell - data, 0.0),
        "charts and tables": other_cells,
        "notebook overhead": max(execute_total - study_cell - other_cells, 0.0),
        "save notebook": parent.get("save notebook", 0.0),
        "HTML export": parent.get("HTML export", 0.0),
        "sidecar": parent.get("sidecar", 0.0),
        "index": parent.get("index", 0.0),
    }
    return {k: round(float(out[k]), 4) for k in PHASES}


def format_timings(t: Mapping[str, float], total: float | None = None) -> str:
    """A plain-text table of the phases (seconds and share of the total)."""
    tot = float(total) if total else sum(t.values())
    lines = [f"{'phase':<20} {'seconds':>8} {'share':>6}"]
    for k in PHASES:
        if k in t:
            v = float(t[k])
            lines.append(f"{k:<20} {v:8.3f} {100 * v / tot if tot else 0:5.1f}%")
    rest = tot - sum(float(t[k]) for k in PHASES if k in t)
    if total and abs(rest) >= 0.0005:
        lines.append(f"{'other':<20} {rest:8.3f} {100 * rest / tot:5.1f}%")
    lines.append(f"{'total':<20} {tot:8.3f}")
    return "\n".join(lines)
