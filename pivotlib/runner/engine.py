"""Kernels and papermill's ``pivot`` engine: register the kernel, keep warm kernels, execute.
"""

from __future__ import annotations

import logging
import random
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.iorw import write_ipynb

from pivotlib import config
from pivotlib.errors import RunError


def ensure_kernel(name: str = config.KERNEL_NAME) -> str:
    """Make sure the Jupyter kernel ``name`` exists (register it in this venv if missing).

    ``make demo``/``make test`` register it with
    ``python -m ipykernel install --sys-prefix --name pivotlib``; this does the same when a
    user runs ``pivot`` before ``make``.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return name
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name="Python (pivotlib)", prefix=sys.prefix)
    print(f"pivot: registered Jupyter kernel {name!r} in {sys.prefix}", file=sys.stderr)
    return name


_KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False"]


_RESET_CODE = """\
get_ipython().run_line_magic("reset", "-f")
import sys as _sys
_m = _sys.modules.get("pivotlib.runner.recorder")
if _m is not None:
    _m._RECORDED.clear()
del _sys, _m
get_ipython().execution_count = 1
"""


class WarmKernel:
    """A started Jupyter kernel reused across report runs (the sweep's per-worker kernel).

    Starting a kernel and importing pandas/scipy/plotly costs about 2 s per report on a
    2-core machine; a sweep worker keeps one kernel alive instead. Before every run the
    kernel's user namespace is wiped with ``%reset -f``, values recorded by
    :func:`record` are cleared and the execution counter is set back to 1, so the executed
    notebook matches a fresh-kernel run; imported modules stay loaded (that is the saving).
    After a failed run the kernel is shut down and the next run starts a new one.
    """

    def __init__(self, kernel_name: str = config.KERNEL_NAME, cwd: Path | None = None) -> None:
        self.kernel_name = kernel_name
        self.cwd = cwd or config.notebooks_dir()
        self.km: Any = None

    def manager(self) -> Any:
        """The running kernel manager (started on first use or after a failure)."""
        if self.km is not None and self.km.is_alive():
            return self.km
        from jupyter_client.manager import KernelManager

        ensure_kernel(self.kernel_name)
        # nbclient drives the kernel from an event loop: give it an *async* client, or a
        # blocking get_msg() starves nbclient's kernel-alive poll and a dead kernel hangs the run.
        km = KernelManager(kernel_name=self.kernel_name,
                           client_class="jupyter_client.asynchronous.AsyncKernelClient")
        km.start_kernel(extra_arguments=list(_KERNEL_ARGS), cwd=str(self.cwd))
        self.km = km
        return km

    def start(self) -> float:
        """Start the kernel (if needed) and wait for its first reply; return the seconds."""
        t0 = time.perf_counter()
        self.run_code("pass", what="start the kernel")
        return time.perf_counter() - t0

    def reset(self) -> None:
        """Wipe the user namespace and execution counter (imports stay warm)."""
        self.run_code(_RESET_CODE, what="reset the warm kernel")

    def preload(self, *, instrument: bool = False) -> str:
        """Import the study notebooks' modules and plotly in the kernel
        (:func:`pivotlib.runner.timings.kernel_prelude`); ``instrument`` also times the data
        loaders (``pivot report --timings``). Returns nothing useful; see :meth:`collect`."""
        from pivotlib.runner.timings import prelude

        return self.run_code(prelude(instrument=instrument), what="preload the warm kernel")

    def collect(self) -> dict[str, float]:
        """The kernel-side timings (``imports``, ``data_load`` seconds) of the last report."""
        from pivotlib.runner.timings import COLLECT_CODE, parse_collected

        return parse_collected(self.run_code(COLLECT_CODE, what="read the kernel timings"))

    def run_code(self, code: str, *, what: str = "run code in the warm kernel") -> str:
        """Execute ``code`` silently in the kernel (no history); return its stdout text."""
        from jupyter_client.blocking import BlockingKernelClient

        km = self.manager()
        kc = BlockingKernelClient()
        kc.load_connection_info(km.get_connection_info())
        kc.start_channels()
        out: list[str] = []

        def hook(msg: dict) -> None:
            if msg.get("msg_type") == "stream" and msg["content"].get("name") == "stdout":
                out.append(msg["content"].get("text", ""))

        try:
            kc.wait_for_ready(timeout=60)
            reply = kc.execute_interactive(code, store_history=False, timeout=120,
                                           output_hook=hook)
            if reply["content"].get("status") != "ok":
                raise RunError(f"could not {what}: {reply['content']}")
        finally:
            kc.stop_channels()
        return "".join(out)

    def shutdown(self) -> None:
        """Stop the kernel (idempotent)."""
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - already dead
                pass
            self.km = None


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
             timeout: int, warm: WarmKernel | None = None) -> None:
    import logging

    import papermill as pm

    logging.getLogger("papermill").setLevel(logging.WARNING)
    # the kernel inherits this process's environment (PIVOT_HOME, PIVOT_DATASET, ...); its
    # cwd is the notebooks folder, and pivotlib.config finds the project from the package
    ensure_kernel(kernel_name)
    for attempt in (1, 2):
        extra: dict[str, Any] = {"engine_name": _engine(), "pivot_output": str(out)}
        try:
            if warm is not None:
                warm.reset()
                extra["km"] = warm.manager()
            pm.execute_notebook(
                str(nb_path), str(out), parameters=dict(parameters), kernel_name=kernel_name,
                language="python", cwd=str(nb_path.parent), progress_bar=False,
                log_output=False, request_save_on_cell_execute=False,
                execution_timeout=timeout, extra_arguments=list(_KERNEL_ARGS), **extra,
            )
            return
        except BaseException as exc:
            if warm is not None:
                warm.shutdown()  # unknown state after a failure or timeout: start afresh
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
