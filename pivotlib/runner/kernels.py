"""Jupyter kernels for reports: register the ``pivotlib`` kernel, start it, keep it warm.

:class:`WarmKernel` is one started kernel (one-shot for a single report, reused with a
namespace reset by a sweep worker); :class:`FastReadyClient` is the client nbclient drives it
with. Nothing here imports papermill or nbconvert, so a sweep worker can start its kernel (and
the kernel its imports) before this process loads them (:mod:`pivotlib.runner.engine` runs
the notebook).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
        self._pending: tuple[str, str] | None = None  # (msg id, what) sent ahead, unconfirmed
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
                           client_class="pivotlib.runner.kernels.FastReadyClient")
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
            (msg_id, what), self._pending = self._pending, None
            self._reply(msg_id, what, 120.0)
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
        self._pending = (kc.execute(_RESET_CODE, silent=False, store_history=False,
                                    allow_stdin=False), "reset the warm kernel")

    def preload(self, *, instrument: bool = False) -> None:
        """Import the study notebooks' modules and plotly in the kernel
        (:func:`pivotlib.runner.timings.kernel_prelude`); ``instrument`` also times the data
        loaders (``pivot report --timings``; read them with :meth:`collect`)."""
        from pivotlib.runner.timings import prelude

        self.run_code(prelude(instrument=instrument), what="preload the warm kernel")

    def preload_soon(self) -> None:
        """Start the kernel and send :meth:`preload` without waiting for it: the kernel imports
        the study modules while this process prepares the first report (a sweep worker
        imports papermill and nbconvert meanwhile). The next :meth:`reset` or :meth:`run_code`
        confirms it (a failed preload raises there, as a failed :meth:`preload` would)."""
        from pivotlib.runner.timings import prelude

        kc = self._client()
        self._pending = (kc.execute(prelude(instrument=False), silent=False,
                                    store_history=False, allow_stdin=False),
                         "preload the warm kernel")

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

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the kernel (idempotent).

        ``wait=False`` detaches the kernel from this object at once and stops it in a
        background thread (jupyter_client's kill and clean-up take about 0.1 s): a one-shot
        report's kernel dies while the report's notebook is saved and its HTML exported. The
        thread is not a daemon, so the process still waits for it before exiting (no kernel
        or socket folder is left behind).
        """
        kc, km, ipc = self._kc, self.km, self._ipc_dir
        self.used = False
        self._pending = None
        self._kc = self.km = self._ipc_dir = None
        if wait:
            _stop(kc, km, ipc)
        elif kc is not None or km is not None or ipc is not None:
            threading.Thread(target=_stop, args=(kc, km, ipc), name="pivot-kernel-stop",
                             daemon=False).start()


def _stop(kc: Any, km: Any, ipc_dir: str | None) -> None:
    """Close a kernel's client, kill the kernel and remove its socket folder."""
    if kc is not None:
        try:
            kc.stop_channels()
        except Exception:  # noqa: BLE001 - closing anyway
            pass
    if km is not None:
        try:
            km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - already dead
            pass
    if ipc_dir is not None:
        shutil.rmtree(ipc_dir, ignore_errors=True)
