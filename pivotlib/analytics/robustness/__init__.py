"""Robustness of headline numbers: specification curves (:mod:`.core`) and their study grids."""

from pivotlib.analytics.robustness.core import (
    CurveSummary,
    SpecCurve,
    curve_frame,
    curve_statistics,
    grid_specs,
    run_curve,
    summarize_curve,
)

__all__ = ["CurveSummary", "SpecCurve", "curve_frame", "curve_statistics", "grid_specs",
           "run_curve", "summarize_curve"]
