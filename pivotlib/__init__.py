"""pivotlib: event studies and regime analytics for bitcoin miners pivoting to AI/HPC hosting.

Heavy dependencies (yfinance, plotly, statsmodels, papermill) are imported lazily inside the
functions that need them, so ``import pivotlib`` and the CLI start fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
