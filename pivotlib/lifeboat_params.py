"""Parameter spec of notebook 06 (``06-lifeboat``): the proposed ``params.SPECS`` entry.

:mod:`pivotlib.params` is owned by the lead, so the spec lives here until it is registered:
:data:`SPEC` is what ``params.SPECS["06-lifeboat"]`` should hold, and :func:`validate` calls
``params.validate("06-lifeboat", ...)`` as soon as that entry exists (same checks until then).
"""

from __future__ import annotations

from typing import Any

from . import params
from .errors import InputError

__all__ = ["NOTEBOOK", "SPEC", "validate"]

NOTEBOOK = "06-lifeboat"


def _float(lo: float, hi: float):
    def check(name: str, v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= float(v) <= hi:
            raise InputError(f"parameter {name!r} = {v!r} must be a number in [{lo}, {hi}]")
        return float(v)
    return check


def _int(lo: int, hi: int):
    def check(name: str, v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise InputError(f"parameter {name!r} = {v!r} must be an integer in [{lo}, {hi}]")
        return int(v)
    return check


def _horizons(name: str, v: Any) -> tuple[int, ...]:
    if not isinstance(v, list | tuple) or not v or not all(
            isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= 250 for h in v):
        raise InputError(f"parameter {name!r} = {v!r} must be a non-empty list of session "
                         "counts between 1 and 250, e.g. [20, 60, 120]")
    return tuple(sorted(set(v)))


SPEC: dict[str, params.Field] = {
    "dataset": params.Field(params._dataset, "\"demo\" (SYNTHETIC), \"store\" or \"csv:<folder>\""),
    "miners": params.Field(lambda n, v: params._symbols(n, v, allow_empty=False),
                           "miners to classify (cohorts come from the catalog)"),
    "market": params.Field(lambda n, v: params._symbol(n, v), "market column"),
    "btc": params.Field(lambda n, v: params._symbol(n, v), "bitcoin column"),
    "down_threshold": params.Field(_float(-0.2, 0.05), "BTC down day: return below this"),
    "crash_threshold": params.Field(_float(0.05, 0.9), "BTC crash episode: fall of at least"),
    "horizons": params.Field(_horizons, "persistence horizons in sessions"),
    "as_of": params.Field(lambda n, v: params._date(n, v, True),
                          "ignore contracts after this date (\"\" = none)"),
    "end": params.Field(lambda n, v: params._date(n, v, True), "last date (\"\" = latest)"),
    "seed": params.Field(_int(0, 2**31 - 1), "seed of the bootstrap"),
    "n_boot": params.Field(_int(99, 99999), "bootstrap draws"),
}
"""Proposed ``pivotlib.params.SPECS["06-lifeboat"]``."""


def validate(**values: Any) -> params.Params:
    """Validate notebook 06's parameters (``params.validate`` when its spec is registered)."""
    if NOTEBOOK in params.SPECS:
        return params.validate(NOTEBOOK, **values)
    unknown = sorted(set(values) - set(SPEC))
    missing = [k for k in SPEC if k not in values]
    if unknown or missing:
        raise InputError(f"notebook {NOTEBOOK!r}: unknown {unknown}, missing {missing}; its "
                         f"parameters are: {', '.join(SPEC)}")
    out = params.Params({k: f.check(k, values[k]) for k, f in SPEC.items()})
    if out["market"] == out["btc"]:
        raise InputError("parameters market and btc must be different columns")
    return out
