"""Run the ``pivot`` CLI in-process for end-to-end tests (shared by the real-data and messy-data
scenarios)."""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass


@dataclass
class Run:
    """One CLI invocation: exit code, captured stdout/stderr, wall seconds."""

    argv: list[str]
    rc: int
    out: str
    err: str
    seconds: float


def cli(argv: list[str]) -> Run:
    """``pivot ARGV`` in-process, stdout and stderr captured."""
    from pivotlib.cli import main

    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return Run(argv, rc, out.getvalue(), err.getvalue(), time.perf_counter() - t0)
