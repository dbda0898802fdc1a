"""pivotlib: event studies and regime analytics for bitcoin miners pivoting to AI/HPC hosting.

Heavy dependencies (yfinance, plotly, statsmodels, papermill) are imported lazily inside the
functions that need them, so ``import pivotlib`` and the CLI start fast.
"""

from __future__ import annotations

from pivotlib import _deferred

__version__ = "0.1.0"

_deferred.install()  # rfc3987_syntax (0.7 s, imported by jsonschema) loads on first use only

__all__ = ["__version__"]
