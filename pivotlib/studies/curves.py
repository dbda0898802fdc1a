"""Specification curves of the studies' headline numbers (notebooks 02, 05; the sweep).

:func:`event_curve` is the CAR curve of one event with the study's own conventions (the
catalog's other events masked and kept away from placebo dates, the study's model and windows
as the headline): :func:`pivotlib.analytics.robustness.car.car_curve` on the study's data.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pivotlib.analytics.robustness.car import car_curve, headline_spec
from pivotlib.analytics.robustness.core import SpecCurve
from pivotlib.data.loading import load_returns
from pivotlib.defaults import CAR_CURVE_GRID, ROBUST_NULL_DRAWS
from pivotlib.errors import PivotError
from pivotlib.events.catalog import company_events
from pivotlib.studies.common import ModelSpec


def event_curve(returns: pd.DataFrame, event: pd.DataFrame, spec: ModelSpec, *,
                catalog: pd.DataFrame, dataset: str | None = None,
                n_null: int = ROBUST_NULL_DRAWS, seed: int = 0,
                notes: Any = None) -> SpecCurve | None:
    """The CAR specification curve of one event (grid :data:`~pivotlib.defaults.CAR_CURVE_GRID`).

    Regressors of the grid's models that ``returns`` lacks are loaded from ``dataset``; a model
    whose regressors cannot be loaded leaves the grid, with a note (``notes.add``). Returns None
    (with a note) when the curve cannot be computed at all.
    """
    grid = dict(CAR_CURVE_GRID)
    need = list(dict.fromkeys([spec.market, *spec.factors]))
    have = returns
    missing = [s for s in need if s not in returns.columns]
    if missing and dataset is not None:
        try:
            extra = load_returns(missing, dataset=dataset, on_missing="skip")
            have = returns.join(extra[[c for c in extra.columns if c not in returns.columns]],
                                how="left")
        except PivotError:
            pass
    models = []
    for m in grid["model"]:
        regs = list(spec.factors) if m == "factors" else [spec.market]
        if all(r in have.columns for r in regs):
            models.append(m)
        elif notes is not None:
            notes.add(f"Robustness curve without the {m} model: {', '.join(regs)} not in the "
                      "data (load it to add those specifications).")
    if spec.model not in models and spec.model in ("factors", "market", "market_adjusted"):
        models = [spec.model, *models] if all(
            r in have.columns for r in spec.regressors()) else models
    if not models:
        if notes is not None:
            notes.add("No robustness curve: none of the grid's models has its regressors in "
                      "the data.")
        return None
    grid["model"] = tuple(models)
    head = headline_spec(spec.model, spec.estimation, spec.window)
    try:
        curve = car_curve(have, event[["event_id", "symbol", "event_date"]],
                          other_events=company_events(catalog), market=spec.market,
                          factors=spec.factors, headline=head, grid=grid, n_null=n_null,
                          seed=seed)
        if notes is not None:
            notes.extend(curve.frame.attrs.get("notes", []))
        return curve
    except PivotError as exc:
        if notes is not None:
            notes.add(f"No robustness curve: {exc}")
        return None
