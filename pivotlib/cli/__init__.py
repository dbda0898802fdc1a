"""The ``pivot`` command line.

Each command group lives in its own module exposing ``register(subparsers)``; the module's
handlers import heavy libraries lazily, so ``pivot --help`` is instant.

Exit codes (for schedulers) are listed in :data:`pivotlib.errors.EXIT_CODES`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from pivotlib.errors import EXIT_CODES, PivotError

# command group -> module under pivotlib.cli that provides register(subparsers)
GROUPS: dict[str, str] = {
    "data": "data",
    "events": "events",
    "report": "reports",
    "brief": "reports",
    "sweep": "reports",
    "regimes": "regimes",
}


def build_parser() -> argparse.ArgumentParser:
    """Build the full ``pivot`` argument parser."""
    epilog = "exit codes:\n" + "\n".join(f"  {k}  {v}" for k, v in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="pivot",
        description="Event studies and regime analytics for bitcoin miners pivoting to AI.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--offline", action="store_true",
                        help="never touch the network (same as PIVOT_OFFLINE=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    seen: set[str] = set()
    for modname in dict.fromkeys(GROUPS.values()):
        if modname in seen:
            continue
        seen.add(modname)
        try:
            mod = importlib.import_module(f"{__name__}.{modname}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{modname}":
                continue  # command group not built yet
            raise
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pivot`` console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "offline", False):
        os.environ["PIVOT_OFFLINE"] = "1"
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        rc = func(args)
    except PivotError as exc:
        print(f"pivot: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pivot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `pivot events list | head`: the reader left; no traceback
        _silence_stdout()
        return 0
    return int(rc or 0)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's exit-time flush cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout already closed
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
