"""Exception hierarchy. Every error names the problem and the fix.

All inherit from :class:`PivotError` so the CLI can turn them into a one-line message and
an exit code a scheduler can act on (see :data:`EXIT_CODES`).
"""

from __future__ import annotations


class PivotError(Exception):
    """Base class of every error pivotlib raises on purpose."""

    exit_code = 1


class InputError(PivotError, ValueError):
    """Bad user input: parameters, files, symbols, dates, windows."""

    exit_code = 2


class DataError(PivotError):
    """Price data missing, stale, corrupt or schema-invalid."""

    exit_code = 3


class OfflineError(DataError):
    """Data would need the network but offline mode is on."""

    exit_code = 3


class SourceError(DataError):
    """A data source (Yahoo) failed, returned nothing, or returned a partial answer."""

    exit_code = 4


class RunError(PivotError):
    """A notebook or sweep item failed."""

    exit_code = 5


EXIT_CODES = {
    0: "success",
    1: "unexpected error",
    2: "bad input (parameters, files, symbols, dates)",
    3: "data missing or invalid (run `pivot data fetch` or `pivot data import`)",
    4: "data source failed (network, rate limit, empty answer); retry later",
    5: "a notebook run or sweep item failed (its executed notebook is kept)",
}
"""Exit codes of the ``pivot`` CLI, documented for schedulers."""
