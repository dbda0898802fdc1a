"""Kernels and papermill's ``pivot`` engine: register the kernel, keep warm kernels, execute.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import sys
import tempfile
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


try:
    from jupyter_client.asynchronous import AsyncKernelClient as _AsyncKernelClient
except ImportError:  # pragma: no cover - jupyter_client is a notebooks dependency
    _AsyncKernelClient = object  # type: ignore[assignment,misc]


class FastReadyClient(_AsyncKernelClient):  # type: ignore[misc,valid-type]
    """jupyter_client's async client, minus 0.2 s of silence per ``wait_for_ready``.

    ``wait_for_ready`` sends ``kernel_info`` until the kernel answers on the shell channel and
    IOPub carries a message (so IOPub is connected: no cell output can be lost). The stock
    client then drains IOPub until it has been silent for 0.2 s, which every report pays
    (nbclient calls it before the first cell). This one drains IOPub only up to the kernel's
    ``idle`` status for that ``kernel_info`` request, the last message the request causes, and
    returns: the same guarantee, without the wait.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # noqa: D102
        import inspect
        from queue import Empty

        async def ensure_async(x: Any) -> Any:  # the channels' get_msg may be sync or async
            return await x if inspect.isawaitable(x) else x

        deadline = time.time() + (float("inf") if timeout is None else timeout)
        while True:
            msg_id = self.kernel_info()
            msg = None
            t_end = time.time() + 1.0
            while time.time() < t_end:  # skip replies to earlier attempts
                try:
                    got = await ensure_async(self.shell_channel.get_msg(
                        timeout=max(0.01, t_end - time.time())))
                except Empty:
                    break
                if (got["msg_type"] == "kernel_info_reply"
                        and got["parent_header"].get("msg_id") == msg_id):
                    msg = got
                    break
            if msg is not None:
                seen = False
                while True:
                    try:
                        io = await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                    except Empty:
                        break
                    seen = True
                    if (io["parent_header"].get("msg_id") == msg_id
                            and io["msg_type"] == "status"
                            and io["content"].get("execution_state") == "idle"):
                        break
                if seen:
                    self._handle_kernel_info_reply(msg)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.time() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


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
    2-core machine; a sweep worker keeps one kernel alive instead. After every run the
    kernel's user namespace is wiped with ``%reset -f`` (sent at once, while this process
    exports the HTML; confirmed before the next run), values recorded by :func:`record` are
    cleared and the execution counter is set back to 1, so the executed notebook matches a
    fresh-kernel run; imported modules stay loaded (that is the saving). After a failed run
    the kernel is shut down and the next run starts a new one. A single report without a
    warm kernel runs on a one-shot ``WarmKernel`` (started for it, shut down after).

    The kernel's clients never wait for 0.2 s of IOPub silence (:class:`FastReadyClient`;
    ``run_code`` uses the shell channel only).
    """

    def __init__(self, kernel_name: str = config.KERNEL_NAME, cwd: Path | None = None) -> None:
        self.kernel_name = kernel_name
        self.cwd = cwd or config.notebooks_dir()
        self.km: Any = None
        self.used = False  # a report ran on this kernel since its last reset
        self._kc: Any = None  # shell-only client for run_code / resets
        self._pending: str | None = None  # msg id of a reset sent by reset_soon
        self._ipc_dir: str | None = None  # the kernel's Unix sockets (POSIX)

    def manager(self) -> Any:
        """The running kernel manager (started on first use or after a failure)."""
        if self.km is not None and self.km.is_alive():
            return self.km
        from jupyter_client.manager import KernelManager

        ensure_kernel(self.kernel_name)
        # nbclient drives the kernel from an event loop: give it an *async* client, or a
        # blocking get_msg() starves nbclient's kernel-alive poll and a dead kernel hangs the run.
        km = KernelManager(kernel_name=self.kernel_name,
                           client_class="pivotlib.runner.engine.FastReadyClient")
        if self._ipc_dir is not None:  # the sockets of a kernel that died
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None
        if os.name == "posix":
            # Unix sockets in a private folder, not TCP ports: jupyter_client picks free TCP
            # ports before the kernel binds them, so kernels started at the same moment (a
            # sweep, parallel tests) can collide and one hangs or dies at startup. Nothing
            # listens on the network either.
            self._ipc_dir = tempfile.mkdtemp(prefix="pivot-kernel-")
            km.transport = "ipc"
            km.ip = os.path.join(self._ipc_dir, "k")
        km.start_kernel(extra_arguments=list(_KERNEL_ARGS), cwd=str(self.cwd))
        if self._kc is not None:  # a client of a dead kernel
            self._kc.stop_channels()
            self._kc = None
        self.km = km
        self.used = False
        self._pending = None
        return km

    def start(self) -> float:
        """Start the kernel (if needed) and wait for its first reply; return the seconds."""
        t0 = time.perf_counter()
        self.run_code("pass", what="start the kernel")
        return time.perf_counter() - t0

    def reset(self) -> None:
        """Wipe the user namespace and execution counter (imports stay warm).

        A kernel no report has run on yet needs no reset (what :meth:`preload` runs leaves
        nothing in the namespace and does not count executions). A reset sent ahead by
        :meth:`reset_soon` is only confirmed here (its reply checked)."""
        if self._pending is not None:
            msg_id, self._pending = self._pending, None
            self._reply(msg_id, "reset the warm kernel", 120.0)
            self.used = False
        if self.used and self.km is not None and self.km.is_alive():
            self.run_code(_RESET_CODE, what="reset the warm kernel")
            self.used = False

    def reset_soon(self) -> None:
        """Send the reset now, without waiting: the kernel wipes its namespace (a garbage
        collection, about 0.3 s) while this process exports the report's HTML. The kernel
        handles requests in order, so the next report's cells run after it; :meth:`reset`
        checks its reply before that."""
        if self.km is None or not self.km.is_alive():
            return
        kc = self._client()
        self._pending = kc.execute(_RESET_CODE, silent=False, store_history=False,
                                   allow_stdin=False)

    def preload(self, *, instrument: bool = False) -> None:
        """Import the study notebooks' modules and plotly in the kernel
        (:func:`pivotlib.runner.timings.kernel_prelude`); ``instrument`` also times the data
        loaders (``pivot report --timings``; read them with :meth:`collect`)."""
        from pivotlib.runner.timings import prelude

        self.run_code(prelude(instrument=instrument), what="preload the warm kernel")

    def collect(self) -> dict[str, float]:
        """The kernel-side timings (``imports``, ``data_load`` seconds) of the last report."""
        from pivotlib.runner.timings import COLLECT_EXPR, parse_collected

        got = self.run_code("", what="read the kernel timings",
                            expressions={"t": COLLECT_EXPR})
        return parse_collected(got.get("t", ""))

    def run_code(self, code: str, *, what: str = "run code in the warm kernel",
                 expressions: Mapping[str, str] | None = None,
                 timeout: float = 120.0) -> dict[str, str]:
        """Execute ``code`` in the kernel (no history, output discarded) and return the
        ``text/plain`` value of each of ``expressions`` evaluated after it.

        Only the shell channel is used: the request waits in the socket until a kernel that is
        still starting answers, and nothing depends on IOPub (no 0.2 s readiness drain).
        """
        if self._pending is not None:
            self.reset()
        kc = self._client()
        msg_id = kc.execute(code, silent=False, store_history=False,
                            user_expressions=dict(expressions or {}), allow_stdin=False)
        content = self._reply(msg_id, what, timeout)
        out = {}
        for k, v in (content.get("user_expressions") or {}).items():
            if v.get("status") == "ok":
                out[k] = str(v.get("data", {}).get("text/plain", ""))
        return out

    def _client(self) -> Any:
        """This kernel's shell-only blocking client (kept while the kernel lives)."""
        km = self.manager()
        if self._kc is None:
            from jupyter_client.blocking import BlockingKernelClient

            kc = BlockingKernelClient()
            kc.load_connection_info(km.get_connection_info())
            kc.start_channels(iopub=False, stdin=False, hb=False, control=False)
            self._kc = kc
        return self._kc

    def _reply(self, msg_id: str, what: str, timeout: float) -> dict[str, Any]:
        """Wait for the shell reply to ``msg_id``; RunError when it failed or never came."""
        from queue import Empty

        kc = self._client()
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = kc.get_shell_msg(timeout=0.5)
            except Empty:
                if not self.km.is_alive():
                    raise RunError(f"could not {what}: the kernel died before replying "
                                   "to kernel_info") from None
                if time.monotonic() > deadline:
                    raise RunError(f"could not {what}: no reply in {timeout:.0f} s") from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            raise RunError(f"could not {what}: {content.get('ename')}: {content.get('evalue')}")
        return content

    def shutdown(self) -> None:
        """Stop the kernel (idempotent)."""
        self.used = False
        self._pending = None
        if self._kc is not None:
            try:
                self._kc.stop_channels()
            except Exception:  # noqa: BLE001 - closing anyway
                pass
            self._kc = None
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - already dead
                pass
            self.km = None
        if self._ipc_dir is not None:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None


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
                    timeout=timeout, reset_after=one is None)
    finally:
        if one is not None:
            one.shutdown()


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
                language="python", cwd=str(nb_path.parent), progress_bar=False,
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
