"""Papermill's ``pivot`` engine: execute a notebook on a :class:`~.kernels.WarmKernel`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.iorw import write_ipynb

from pivotlib.runner.kernels import _KERNEL_ARGS, WarmKernel, ensure_kernel

__all__ = ["PivotEngine", "WarmKernel", "ensure_kernel", "_KERNEL_ARGS"]


class PivotEngine(NBClientEngine):
    """Papermill's ``pivot`` engine: nbclient as papermill runs it, plus two things.

    It can run on a given (warm) kernel manager (``km``), and when execution stops abnormally
    (the kernel died, a cell timed out, an interrupt) it writes the partially executed
    notebook to ``pivot_output`` before re-raising, so the analyst can read what ran up to the
    failure. Papermill itself only writes the output after a normal finish or a cell error,
    unless asked to save after every cell, which re-serialises the whole notebook (plotly
    payloads included) twice per cell and cost ~0.7 s per report.
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                 stdout_file: Any = None, stderr_file: Any = None,
                                 start_timeout: int = 60, execution_timeout: int | None = None,
                                 km: Any = None, pivot_output: str | None = None,
                                 **kwargs: Any) -> Any:
        for k in ("input_path", "timeout", "startup_timeout"):
            kwargs.pop(k, None)
        client = PapermillNotebookClient(
            nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout,
            kernel_name=kernel_name, log=logging.getLogger("papermill"),
            log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
        try:
            return client.execute()
        except BaseException:
            if pivot_output:
                try:
                    write_ipynb(nb_man.nb, pivot_output)
                except Exception:  # noqa: BLE001 - never mask the original failure
                    pass
            raise
        finally:
            if km is not None and client.kc is not None:
                client.kc.stop_channels()  # a warm kernel outlives its client


def _engine() -> str:
    """Register (once) and return the name of :class:`PivotEngine`."""
    if "pivot" not in papermill_engines._engines:
        papermill_engines.register("pivot", PivotEngine)
    return "pivot"


def _execute(nb_path: Path, out: Path, parameters: Mapping[str, Any], *, kernel_name: str,
             timeout: int, warm: WarmKernel | None = None,
             reset_after: bool | None = None) -> None:
    """Execute ``nb_path`` into ``out`` on ``warm`` (reset afterwards unless ``reset_after``
    is False: a kernel about to be shut down needs no reset) or on a one-shot kernel."""
    import logging

    logging.getLogger("papermill").setLevel(logging.WARNING)
    # the kernel inherits this process's environment (PIVOT_HOME, PIVOT_DATASET, ...); its
    # cwd is the notebooks folder, and pivotlib.config finds the project from the package
    ensure_kernel(kernel_name)
    # without a warm kernel the report still runs on a kernel started here (fresh, shut down
    # afterwards): the same kernel papermill would start, with the faster readiness check
    one = WarmKernel(kernel_name, cwd=nb_path.parent) if warm is None else None
    kernel = warm if warm is not None else one
    try:
        _execute_on(kernel, nb_path, out, parameters, kernel_name=kernel_name,
                    timeout=timeout,
                    reset_after=(one is None) if reset_after is None else reset_after)
    finally:
        if one is not None:
            one.shutdown(wait=False)  # it dies while the notebook is saved and exported


def _execute_on(kernel: WarmKernel, nb_path: Path, out: Path, parameters: Mapping[str, Any],
                *, kernel_name: str, timeout: int, reset_after: bool = True) -> None:
    import papermill as pm

    for attempt in (1, 2):
        extra: dict[str, Any] = {"engine_name": _engine(), "pivot_output": str(out)}
        try:
            kernel.reset()
            extra["km"] = kernel.manager()
            kernel.used = True
            pm.execute_notebook(
                str(nb_path), str(out), parameters=dict(parameters), kernel_name=kernel_name,
                # no cwd: papermill would chdir this whole process (a race between sweep
                # threads); the kernel already runs in its own folder (WarmKernel's cwd)
                language="python", cwd=None, progress_bar=False,
                log_output=False, request_save_on_cell_execute=False,
                execution_timeout=timeout, extra_arguments=list(_KERNEL_ARGS), **extra,
            )
            if reset_after:
                kernel.reset_soon()
            return
        except BaseException as exc:
            kernel.shutdown()  # unknown state after a failure or timeout: start afresh
            if attempt == 1 and _died_at_startup(exc):
                # kernels started at the same moment can race for the same free TCP ports
                # (jupyter_client picks them before the kernel binds): the loser exits before
                # its first reply. Nothing ran yet, so one fresh start is safe.
                time.sleep(0.2 + random.random())
                continue
            raise


def _died_at_startup(exc: BaseException) -> bool:
    """True when a kernel exited before answering its first request (no cell ran)."""
    return "died before replying to kernel_info" in str(exc)
