"""pivotlib's own errors in a notebook as one short box, the traceback folded behind it.

A :class:`~pivotlib.errors.PivotError` says what is wrong and how to fix it (the same message
the ``pivot`` command line prints). Raised in a notebook cell, IPython would show it at the
bottom of a stack of frames. :func:`install` (called by every notebook's setup cell) registers
an IPython custom exception handler (``InteractiveShell.set_custom_exc``) for ``PivotError`` and
its subclasses that

1. displays :func:`box_html`: the kind of problem (from :data:`pivotlib.errors.EXIT_CODES`), the
   message, and the full traceback in a folded ``<details>`` block, as a ``text/html`` output
   (so JupyterLab and the exported HTML show the same box; ``text/plain`` keeps the message);
2. publishes a one-line ``error`` output whose ``ename``/``evalue`` are the exception's, so the
   kernel reply says "error", Lab's "run all" stops, and papermill still marks the run failed
   (it raises on error outputs) with the right exit code (``pivotlib.runner.execute
   .failure_class`` reads ``ename``).

Any other exception keeps IPython's full traceback. Nothing is installed outside IPython.
"""

from __future__ import annotations

import html
import re
import traceback
from typing import Any

from pivotlib.errors import EXIT_CODES, PivotError
from pivotlib.presentation import markup

__all__ = ["install", "uninstall", "box_html", "short_traceback"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

_STYLE = ("border:1px solid #b00020;border-left:6px solid #b00020;background:#fff5f5;"
          "padding:10px 14px;margin:6px 0;border-radius:4px;max-width:100%;"
          "box-sizing:border-box;overflow-wrap:anywhere")


def _kind(exc: BaseException) -> str:
    code = int(getattr(exc, "exit_code", 1))
    text = EXIT_CODES.get(code, "error")
    return text[:1].upper() + text[1:]


def box_html(exc: BaseException, tb_text: str = "") -> str:
    """The error box: kind and class, the message (what is wrong and the fix), and the
    traceback folded in a ``<details>`` block (escaped, MathJax-ignored)."""
    name = type(exc).__name__
    msg = str(exc) or name
    fold = ""
    if tb_text.strip():
        fold = ('<details style="margin-top:6px"><summary style="cursor:pointer;color:#555">'
                "Traceback (for a bug report)</summary>"
                '<pre style="white-space:pre-wrap;font-size:12px;max-height:24em;'
                f'overflow:auto">{markup.escape(_ANSI.sub("", tb_text))}</pre></details>')
    body = (f'<div style="font-weight:600;color:#b00020">{markup.escape(_kind(exc))} '
            f'<span style="font-weight:400;color:#555">({markup.escape(name)})</span></div>'
            f'<div class="pivot-error-message" style="margin-top:4px;font-size:14px">'
            f"{markup.escape(msg)}</div>{fold}")
    return markup.block(body, cls="pivot-error", style=_STYLE)


def short_traceback(exc: BaseException) -> list[str]:
    """The one-line structured traceback of the ``error`` output under the box."""
    return [f"\x1b[0;31m{type(exc).__name__}\x1b[0m: stopped here; what is wrong and the fix "
            "are in the box above"]


def _handler(shell: Any, etype: type, value: BaseException, tb: Any,
             tb_offset: int | None = None) -> list[str]:
    from IPython.display import display

    try:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        full = shell.InteractiveTB.stb2text(stb)
    except Exception:  # noqa: BLE001 - the box must show even if IPython's formatter fails
        full = "".join(traceback.format_exception(etype, value, tb))
    display({"text/html": box_html(value, full),
             "text/plain": f"{etype.__name__}: {value}"}, raw=True)
    short = short_traceback(value)
    shell._showtraceback(etype, value, short)  # the error output papermill and Lab act on
    return short


def install(shell: Any = None) -> bool:
    """Show :class:`~pivotlib.errors.PivotError` as a box in this IPython session.

    Returns False (and does nothing) outside IPython, so a notebook run as a script works too.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython ships with the notebooks extra
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    shell.set_custom_exc((PivotError,), _handler)
    return True


def uninstall(shell: Any = None) -> None:
    """Back to IPython's default tracebacks for every exception."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((), None)


def plain_text(html_text: str) -> str:
    """The text of an HTML snippet (tags dropped, entities decoded), for tests and logs."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))
